/*
 * Bochs-style debug console port ("isa-debugcon"): bytes written to the
 * port go to a chardev; firmware (SeaBIOS at 0x402, OVMF) logs here.
 *
 * Interface:
 *   ports   iobase (default 0xe9), 1 byte
 *   props   iobase, chardev, readback (value reads return, default 0xe9)
 */
#include "chardev/char.h"
#include "hw/isa/isa.h"

typedef struct DebugconState {
    ISADevice parent;
    uint32_t iobase;
    uint32_t readback;
    Chardev *chr;
    CharFrontend fe;
    MemoryRegion io;
} DebugconState;
DECLARE_DEVICE_CAST(DebugconState, ISA_DEBUGCON, "isa-debugcon")

static uint64_t debugcon_read(void *opaque, hwaddr addr, unsigned size)
{
    return ((DebugconState *)opaque)->readback;
}

static void debugcon_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    DebugconState *s = opaque;
    uint8_t b = val;

    chr_fe_write_all(&s->fe, &b, 1);
}

static const MemoryRegionOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static bool debugcon_realize(DeviceState *dev, Error **errp)
{
    DebugconState *s = ISA_DEBUGCON(dev);

    if (s->iobase > 0xffff) {
        error_setg(errp, "isa-debugcon: iobase 0x%x is outside the I/O space",
                   s->iobase);
        return false;
    }
    if (s->chr && !chr_fe_init(&s->fe, s->chr, errp)) {
        return false;
    }
    memory_region_init_io(&s->io, dev, &debugcon_ops, s, "isa-debugcon", 1);
    isa_register_ioport(ISA_DEVICE(s), &s->io, s->iobase);
    return true;
}

static const Property debugcon_props[] = {
    DEFINE_PROP_UINT32("iobase", DebugconState, iobase, 0xe9),
    DEFINE_PROP_UINT32("readback", DebugconState, readback, 0xe9),
    DEFINE_PROP_CHR("chardev", DebugconState, chr),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo debugcon_info = {
    .name = "isa-debugcon",
    .parent = "isa-device",
    .instance_size = sizeof(DebugconState),
    .desc = "Bochs debug console port",
    .category = DEVICE_CATEGORY_MISC,
    .user_creatable = true,
    .props = debugcon_props,
    .realize = debugcon_realize,
};
DEVICE_TYPE_REGISTER(debugcon_info)
