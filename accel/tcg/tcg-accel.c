/*
 * The "tcg" accelerator of qemu-system-*: machine setup, the target's
 * vCPU creation, run state (stop/cont/-S/reset park the vCPUs) and
 * shutdown.  Machines without CPUs need no target and run nothing.
 */
#include <string.h>

#include "accel/tcg/cputlb.h"
#include "accel/tcg/tcg-accel-ops.h"
#include "system/accel.h"
#include "system/runstate.h"
#include "util/cutils.h"
#include "util/option.h"

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

/*
 * -accel tcg,thread=multi|single,tb-size=MiB (QEMU's properties).  There
 * is one host thread per vCPU whatever thread= says: x86 guests on an x86
 * host get the host's memory ordering, so "single" (QEMU's round-robin
 * mode) is accepted and runs multi-threaded (docs/quirks.md).
 */
static const char *const tcg_accel_props[] = {"thread", "tb-size", NULL};

static bool tcg_accel_parse_opts(MachineState *ms, size_t *tb_size,
                                 Error **errp)
{
    const char *thread = ms->accel_opts ? opts_get(ms->accel_opts, "thread")
                                        : NULL;
    const char *tb = ms->accel_opts ? opts_get(ms->accel_opts, "tb-size")
                                    : NULL;
    uint64_t mib;

    *tb_size = 0;
    if (thread && strcmp(thread, "multi") && strcmp(thread, "single")) {
        error_setg(errp, "-accel tcg: Invalid 'thread' setting %s", thread);
        return false;
    }
    if (tb) {
        if (!parse_uint64(tb, &mib) || mib > 2048) {
            error_setg(errp,
                       "-accel tcg: Parameter 'tb-size' expects a size in "
                       "MiB (0 to 2048)");
            return false;
        }
        *tb_size = (size_t)mib << 20;
    }
    return true;
}

/* QUASAR_TCG_STATS=1: TB and TLB counters on stderr at exit (tuning). */
static void tcg_stats_at_exit(void)
{
    tb_stats_print(stderr);
    fprintf(stderr,
            "tlb: fills %" PRIu64 " flushes %" PRIu64 " flush_pages %" PRIu64
            " victim_hits %" PRIu64 " slow_calls %" PRIu64 " mmio %" PRIu64
            " notdirty %" PRIu64 "\n",
            tlb_stats.fills, tlb_stats.flushes, tlb_stats.flush_pages,
            tlb_stats.victim_hits, tlb_stats.slow_calls, tlb_stats.slow_mmio,
            tlb_stats.notdirty);
}

static bool tcg_accel_init_machine(MachineState *ms, Error **errp)
{
    size_t tb_size;

    if (!tcg_accel_parse_opts(ms, &tb_size, errp)) {
        return false;
    }
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
    tcg_exec_init(tb_size);
    cputlb_system_init();
    if (getenv("QUASAR_TCG_STATS")) {
        atexit(tcg_stats_at_exit);
    }
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
    .props = tcg_accel_props,
    .init_machine = tcg_accel_init_machine,
    .start_vcpus = tcg_accel_start_vcpus,
    .shutdown = tcg_accel_shutdown,
};
ACCEL_REGISTER(tcg_accel_ops)
