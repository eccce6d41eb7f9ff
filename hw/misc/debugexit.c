/*
 * isa-debug-exit: a port that ends the emulator with a status the guest
 * chooses, for test programs.
 *
 * Interface:
 *   ports   iobase .. iobase+iosize-1 (defaults 0x501, 2)
 *   props   iobase, iosize
 * A write of value v (any width) exits with status (v << 1) | 1, as
 * QEMU's device does, so a guest can never fake a clean exit (0).
 * Reads return 0.
 */
#include "hw/isa/isa.h"
#include "system/runstate.h"

typedef struct DebugExitState {
    ISADevice parent;
    uint32_t iobase;
    uint32_t iosize;
    MemoryRegion io;
} DebugExitState;
DECLARE_DEVICE_CAST(DebugExitState, ISA_DEBUG_EXIT, "isa-debug-exit")

static uint64_t debug_exit_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void debug_exit_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    qemu_system_exit_request((int)((val << 1) | 1));
}

static const MemoryRegionOps debug_exit_ops = {
    .read = debug_exit_read,
    .write = debug_exit_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

static bool debug_exit_realize(DeviceState *dev, Error **errp)
{
    DebugExitState *s = ISA_DEBUG_EXIT(dev);

    if (s->iosize == 0 || s->iobase + s->iosize > 0x10000) {
        error_setg(errp,
                   "isa-debug-exit: iobase 0x%x iosize 0x%x is outside "
                   "the I/O space",
                   s->iobase, s->iosize);
        return false;
    }
    memory_region_init_io(&s->io, dev, &debug_exit_ops, s, "isa-debug-exit",
                          s->iosize);
    isa_register_ioport(ISA_DEVICE(s), &s->io, s->iobase);
    return true;
}

static const Property debug_exit_props[] = {
    DEFINE_PROP_UINT32("iobase", DebugExitState, iobase, 0x501),
    DEFINE_PROP_UINT32("iosize", DebugExitState, iosize, 0x02),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo debug_exit_info = {
    .name = "isa-debug-exit",
    .parent = "isa-device",
    .instance_size = sizeof(DebugExitState),
    .desc = "exits the emulator with a guest-chosen status",
    .category = DEVICE_CATEGORY_MISC,
    .user_creatable = true,
    .props = debug_exit_props,
    .realize = debug_exit_realize,
};
DEVICE_TYPE_REGISTER(debug_exit_info)
