/*
 * The `none` machine: no CPU, no devices.  RAM given with -m is mapped at
 * guest-physical 0, as QEMU's `none` machine does, so qtest and the monitor
 * have memory to look at.
 */
#include "hw/core/machine.h"

static void machine_none_init(MachineState *ms, Error **errp)
{
    if (ms->ram) {
        memory_region_add_subregion(get_system_memory(), 0, ms->ram);
    }
}

static const MachineClass machine_none = {
    .name = "none",
    .desc = "empty machine",
    .init = machine_none_init,
    .default_ram_size = 0,
    .max_cpus = 1,
    .no_cpu = true,
    .no_serial = true,
};
MACHINE_REGISTER(machine_none)
