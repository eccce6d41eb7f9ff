/*
 * The "tcg" accelerator of qemu-system-*: machine setup, the target's
 * vCPU creation, run state (stop/cont/-S/reset park the vCPUs) and
 * shutdown.  Machines without CPUs need no target and run nothing.
 */
#include "accel/tcg/cputlb.h"
#include "accel/tcg/tcg-accel-ops.h"
#include "system/accel.h"
#include "system/runstate.h"

static const TCGSysTarget *sys_target;
static bool tcg_has_vcpus;

void tcg_sys_register_target(const TCGSysTarget *t)
{
    sys_target = t;
}

const TCGSysTarget *tcg_sys_target(void)
{
    return sys_target;
}

static bool tcg_accel_init_machine(MachineState *ms, Error **errp)
{
    if (ms->mc->no_cpu) {
        return true;
    }
    if (!sys_target) {
        error_setg(errp,
                   "-accel tcg: TCG system emulation of machine '%s' "
                   "is not available in this build yet; use -accel kvm",
                   ms->mc->name);
        return false;
    }
    /* the code buffer and the softmmu hooks, before the machine's RAM */
    tcg_exec_init(0);
    cputlb_system_init();
    return true;
}

static void tcg_runstate_changed(void *opaque, bool running, RunState state)
{
    if (running) {
        resume_all_vcpus();
    } else {
        pause_all_vcpus();
    }
}

static bool tcg_accel_start_vcpus(MachineState *ms, Error **errp)
{
    if (ms->mc->no_cpu || !sys_target) {
        return true;
    }
    runstate_add_change_handler(tcg_runstate_changed, NULL);
    if (!sys_target->create_vcpus(ms, errp)) {
        return false;
    }
    tcg_has_vcpus = true;
    return true;
}

static void tcg_accel_shutdown(void)
{
    if (tcg_has_vcpus) {
        tcg_vcpus_quit();
    }
}

static const AccelOps tcg_accel_ops = {
    .name = "tcg",
    .init_machine = tcg_accel_init_machine,
    .start_vcpus = tcg_accel_start_vcpus,
    .shutdown = tcg_accel_shutdown,
};
ACCEL_REGISTER(tcg_accel_ops)
