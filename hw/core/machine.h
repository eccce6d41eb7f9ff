/*
 * Machines: the registry behind -M/-machine, and the state the CLI fills.
 *
 *     static void pc_init(MachineState *ms, Error **errp) { ... }
 *     static const MachineClass pc_machine = {
 *         .name = "pc-i440fx-7.2", .alias = "pc",
 *         .desc = "Standard PC (i440FX + PIIX, 1996)", .is_default = true,
 *         .init = pc_init, .default_ram_size = 128 * MiB, .max_cpus = 255,
 *         .default_cpu_type = "qemu64",
 *     };
 *     MACHINE_REGISTER(pc_machine)
 *
 * main() parses the command line into a MachineState, picks the class,
 * creates the accelerator, then calls mc->init(ms, errp).  Machine init
 * creates RAM (ms->ram), CPUs and devices, and loads ms->kernel etc.
 */
#ifndef HW_CORE_MACHINE_H
#define HW_CORE_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "util/error.h"
#include "util/option.h"
#include "system/memory.h"

typedef struct MachineState MachineState;

typedef struct MachineClass {
    const char *name;
    const char *alias; /* "pc" for "pc-i440fx-7.2" */
    const char *desc;
    const char *arch; /* "x86_64", "aarch64", or NULL for every arch */
    bool is_default;  /* the default machine of its arch */
    void (*init)(MachineState *ms, Error **errp);
    uint64_t default_ram_size;
    const char *default_ram_id; /* name of ms->ram: "pc.ram"; NULL: "ram" */
    unsigned max_cpus;          /* 0 means 1 */
    const char *default_cpu_type;
    bool no_cpu;    /* the "none" machine: nothing executes */
    bool no_serial; /* no default serial port (as QEMU's `none`) */
    /* Machine-specific -machine properties (e.g. "pflash0"). */
    const OptDesc *props;
    /* -drive without if=: a BlockInterfaceType (hw/block/drive.h). */
    int block_default_type;
    /* An empty CD-ROM drive at index 2 unless -nodefaults (as QEMU). */
    bool default_cdrom;
} MachineClass;

struct MachineState {
    const MachineClass *mc;
    Opts *opts;            /* -machine, machine-specific keys included */
    const char *accel;     /* "tcg", "kvm", "qtest" */
    Opts *accel_opts;      /* its -accel options, or NULL */
    uint64_t ram_size;     /* -m, bytes */
    unsigned smp_cpus;     /* -smp cpus */
    unsigned smp_max_cpus; /* maxcpus */
    unsigned smp_sockets, smp_dies, smp_cores, smp_threads;
    char *cpu_type;        /* -cpu, NULL = machine default */
    char *kernel_filename; /* -kernel */
    char *initrd_filename; /* -initrd */
    char *kernel_cmdline;  /* -append */
    char *firmware;        /* -bios */
    char *boot_order;      /* -boot order=... */
    MemoryRegion *ram;     /* main RAM, created by main() */
};

/* The one machine instance (NULL before creation). */
extern MachineState *current_machine;

void machine_class_register(const MachineClass *mc);
#define MACHINE_REGISTER(mc)                                                   \
    static void __attribute__((constructor)) register_##mc(void)               \
    {                                                                          \
        machine_class_register(&(mc));                                         \
    }

/* By name or alias, for this arch; NULL if unknown. */
const MachineClass *machine_class_find(const char *name, const char *arch);
const MachineClass *machine_class_default(const char *arch);
/* `-M help`: "Supported machines are:" then one line per machine. */
void machine_print_help(GString *out, const char *arch);

#endif
