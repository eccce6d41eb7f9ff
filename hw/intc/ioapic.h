/*
 * The userspace 82093AA I/O APIC ("ioapic"): board-facing interface.
 *
 *     DeviceState *ioapic = ioapic_init(errp);
 *     qemu_irq *pins = ioapic_get_irqs(ioapic);     24 input pins
 *
 * Interrupts go out as messages on the APIC bus (hw/intc/apic.h); the
 * local APICs' EOIs of level-triggered vectors come back to it.
 */
#ifndef HW_INTC_IOAPIC_H
#define HW_INTC_IOAPIC_H

#include "hw/core/qdev.h"
#include "hw/intc/irq.h"

#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_PINS 24

/* Creates and realizes "ioapic" (id "ioapic", MMIO 0xfec00000, IOAPIC ID 0). */
DeviceState *ioapic_init(Error **errp);
qemu_irq *ioapic_get_irqs(DeviceState *ioapic);

#endif
