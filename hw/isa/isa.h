/*
 * The ISA bus: port I/O devices with 16 interrupt lines.
 *
 * An ISA device's instance struct starts with ISADevice; its type has
 * parent "isa-device" and plugs into the bus of type "ISA" that the
 * south bridge (PIIX3) creates.  In realize it maps its ports and takes
 * its IRQ line:
 *
 *     memory_region_init_io(&s->io, DEVICE(s), &ops, s, "serial", 8);
 *     isa_register_ioport(ISA_DEVICE(s), &s->io, s->iobase);
 *     s->irq = isa_get_irq(ISA_DEVICE(s), s->isairq);
 */
#ifndef HW_ISA_ISA_H
#define HW_ISA_ISA_H

#include <stdint.h>
#include "hw/core/qdev.h"
#include "hw/intc/irq.h"
#include "system/memory.h"

#define ISA_NUM_IRQS 16

typedef struct ISADevice {
    DeviceState parent;
} ISADevice;

static inline ISADevice *ISA_DEVICE(void *dev)
{
    return (ISADevice *)device_check_cast(dev, "isa-device", __FILE__,
                                          __LINE__);
}

/*
 * Creates the ISA bus under parent (the south bridge).  irqs[0..15] are
 * the bus's interrupt lines (copied).  I/O ports go to get_system_io().
 */
BusState *isa_bus_new(DeviceState *parent, const qemu_irq *irqs);
/* The line for ISA IRQ n of the bus dev is on (NULL if n > 15). */
qemu_irq isa_get_irq(ISADevice *dev, unsigned n);
/* Same, on the first ISA bus, for board code. */
qemu_irq isa_bus_get_irq(unsigned n);
/* Maps mr at port start in the I/O address space. */
void isa_register_ioport(ISADevice *dev, MemoryRegion *mr, uint16_t start);
/* Creates, configures nothing, and realizes a device on the ISA bus. */
ISADevice *isa_create_simple(const char *typename, Error **errp);

#endif
