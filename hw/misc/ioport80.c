/*
 * Port 0x80, the POST diagnostic port that PC software writes to as an
 * I/O delay ("ioport80").
 *
 * Interface:
 *   ports   0x80 (1 byte)
 * Writes are latched and read back, as on QEMU's pc; nothing else
 * happens.
 */
#include "hw/isa/isa.h"

typedef struct Port80State {
    ISADevice parent;
    MemoryRegion io;
    uint8_t last;
} Port80State;
DECLARE_DEVICE_CAST(Port80State, PORT80, "ioport80")

static uint64_t port80_read(void *opaque, hwaddr addr, unsigned size)
{
    Port80State *s = opaque;

    return s->last;
}

static void port80_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    Port80State *s = opaque;

    s->last = val;
}

static const MemoryRegionOps port80_ops = {
    .read = port80_read,
    .write = port80_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static void port80_reset(DeviceState *dev)
{
    PORT80(dev)->last = 0;
}

static bool port80_realize(DeviceState *dev, Error **errp)
{
    Port80State *s = PORT80(dev);

    memory_region_init_io(&s->io, dev, &port80_ops, s, "ioport80", 1);
    isa_register_ioport(ISA_DEVICE(s), &s->io, 0x80);
    return true;
}

static const DeviceTypeInfo port80_info = {
    .name = "ioport80",
    .parent = "isa-device",
    .instance_size = sizeof(Port80State),
    .desc = "POST diagnostic port 0x80",
    .category = DEVICE_CATEGORY_MISC,
    .realize = port80_realize,
    .reset = port80_reset,
};
DEVICE_TYPE_REGISTER(port80_info)
