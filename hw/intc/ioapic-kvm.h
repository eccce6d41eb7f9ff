/*
 * The interrupt controllers' inputs when they live in the KVM kernel
 * module: board-facing interface.
 */
#ifndef HW_INTC_IOAPIC_KVM_H
#define HW_INTC_IOAPIC_KVM_H

#include "hw/core/qdev.h"
#include "hw/intc/irq.h"

#define IOAPIC_NUM_PINS 24

/*
 * Creates "kvm-ioapic" (id "ioapic") and returns its 24 GSI input lines.
 * GSI n drives the in-kernel IOAPIC pin n (ISA IRQ 0: pin 2) and, for
 * n < 16, the in-kernel 8259s, when KVM is in use; qtest can intercept
 * them with "irq_intercept_in ioapic".
 */
qemu_irq *ioapic_kvm_init(Error **errp);

#endif
