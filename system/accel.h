/*
 * Accelerators for system emulation: "kvm", "tcg", "qtest".
 *
 * main() picks one from -accel / -machine accel= / -enable-kvm (default
 * tcg; "kvm:tcg" style fallback lists are accepted), then:
 *   ops->init_machine(ms)    before the machine's init (open /dev/kvm,
 *                            create the VM, register memory listeners);
 *   mc->init(ms)             the machine creates RAM, CPUs, devices;
 *   ops->start_vcpus(ms)     create one thread per vCPU; they wait
 *                            until the VM runs (runstate handlers);
 * and at exit ops->shutdown().  Pausing on stop/cont goes through
 * runstate_add_change_handler().  A CPU is created by the machine through
 * the accelerator-specific hooks the target provides; devices never call
 * an accelerator.
 */
#ifndef SYSTEM_ACCEL_H
#define SYSTEM_ACCEL_H

#include <stdbool.h>
#include "util/error.h"
#include "hw/core/machine.h"

typedef struct AccelOps {
    const char *name;
    /*
     * The -accel NAME,KEY=VALUE properties it takes (NULL-terminated;
     * NULL = none); main() refuses other keys with QEMU's message and
     * hands the parsed options over in MachineState.accel_opts.
     */
    const char *const *props;
    /* Whether it can work on this host (e.g. /dev/kvm opens). */
    bool (*available)(void);
    bool (*init_machine)(MachineState *ms, Error **errp);
    bool (*start_vcpus)(MachineState *ms, Error **errp);
    void (*shutdown)(void);
} AccelOps;

void accel_register(const AccelOps *ops);
#define ACCEL_REGISTER(ops)                                                    \
    static void __attribute__((constructor)) register_##ops(void)              \
    {                                                                          \
        accel_register(&(ops));                                                \
    }
const AccelOps *accel_find(const char *name);
/* The accelerator in use (NULL before main picks one). */
extern const AccelOps *current_accel;

#endif
