/*
 * The ISA bus and the abstract "isa-device" type (see isa.h).
 */
#include "hw/isa/isa.h"

typedef struct ISABusPriv {
    qemu_irq irqs[ISA_NUM_IRQS];
} ISABusPriv;

BusState *isa_bus_new(DeviceState *parent, const qemu_irq *irqs)
{
    BusState *bus = bus_new(parent, "ISA", "isa.0");
    ISABusPriv *priv = g_new0(ISABusPriv, 1);

    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        priv->irqs[i] = irqs ? irqs[i] : NULL;
    }
    bus->opaque = priv;
    return bus;
}

static qemu_irq bus_irq(BusState *bus, unsigned n)
{
    ISABusPriv *priv = bus ? bus->opaque : NULL;

    if (!priv || n >= ISA_NUM_IRQS) {
        return NULL;
    }
    return priv->irqs[n];
}

qemu_irq isa_get_irq(ISADevice *dev, unsigned n)
{
    BusState *bus = dev->parent.parent_bus;

    return bus_irq(bus ? bus : bus_find_type("ISA"), n);
}

qemu_irq isa_bus_get_irq(unsigned n)
{
    return bus_irq(bus_find_type("ISA"), n);
}

void isa_register_ioport(ISADevice *dev, MemoryRegion *mr, uint16_t start)
{
    memory_region_add_subregion(get_system_io(), start, mr);
}

ISADevice *isa_create_simple(const char *typename, Error **errp)
{
    DeviceState *dev = device_create_simple(typename, NULL, errp);

    return dev ? ISA_DEVICE(dev) : NULL;
}

static const DeviceTypeInfo isa_device_info = {
    .name = "isa-device",
    .parent = "device",
    .instance_size = sizeof(ISADevice),
    .abstract = true,
    .bus_type = "ISA",
};
DEVICE_TYPE_REGISTER(isa_device_info)
