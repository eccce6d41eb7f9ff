/*
 * The x86 board glue of TCG: one TCG vCPU (target/x86's X86ArchCPU) per
 * board CPU (hw/x86/x86-cpu.h's X86CPU).
 *
 * Interface: registers the "x86_64" TCG target (accel/tcg/
 * tcg-accel-ops.h).  When the accelerator starts the vCPUs it creates a
 * CPU per entry of x86_cpus, selects the -cpu model (qemu64, kvm64, max;
 * "host" needs KVM), connects the CPU to its userspace local APIC
 * (hw/intc/apic.h: INTR, NMI, INIT, SIPI become interrupt_request bits)
 * and fills the X86SysHooks target/x86 calls: interrupt acknowledge,
 * IA32_APIC_BASE, CR8/TPR, triple fault (guest reset, or exit with
 * -no-reboot).  On every machine reset each CPU takes its reset state
 * (the power-on state, or the board's boot state for -kernel); the
 * monitor's view (`info registers`, `info cpus`) is refreshed through
 * X86CPUAccelOps.sync_state on the vCPU's thread.
 */
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accel/tcg/cputlb.h"
#include "accel/tcg/tcg-accel-ops.h"
#include "hw/intc/apic.h"
#include "hw/x86/x86-cpu.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "target/x86/cpu.h"
#include "target/x86/sys-cpu.h"
#include "util/log.h"

static X86ArchCPU *arch_of(X86CPU *cpu)
{
    return cpu->accel;
}

static X86CPU *board_of(CPUX86State *env)
{
    return env->board_cpu;
}

/* ---- the board hooks target/x86 calls ----------------------------------- */

/* Runs fn with the BQL held (vCPU threads run guest code without it). */
#define WITH_BQL(stmt)                                                         \
    do {                                                                       \
        bool locked_ = bql_locked();                                           \
        if (!locked_) {                                                        \
            bql_lock();                                                        \
        }                                                                      \
        stmt;                                                                  \
        if (!locked_) {                                                        \
            bql_unlock();                                                      \
        }                                                                      \
    } while (0)

static int tcg_x86_get_interrupt(CPUX86State *env)
{
    DeviceState *apic = board_of(env)->apic;
    int v = -1;

    if (apic) {
        WITH_BQL(v = apic_get_interrupt(apic));
    }
    return v;
}

static uint64_t tcg_x86_apic_base_read(CPUX86State *env)
{
    DeviceState *apic = board_of(env)->apic;
    uint64_t v = 0;

    if (apic) {
        WITH_BQL(v = apic_get_base(apic));
    }
    return v;
}

static void tcg_x86_apic_base_write(CPUX86State *env, uint64_t val)
{
    DeviceState *apic = board_of(env)->apic;

    if (apic) {
        WITH_BQL(apic_set_base(apic, val));
    }
}

static uint8_t tcg_x86_tpr_read(CPUX86State *env)
{
    DeviceState *apic = board_of(env)->apic;
    uint8_t v = 0;

    if (apic) {
        WITH_BQL(v = apic_get_tpr(apic));
    }
    return v;
}

static void tcg_x86_tpr_write(CPUX86State *env, uint8_t tpr)
{
    DeviceState *apic = board_of(env)->apic;

    if (apic) {
        WITH_BQL(apic_set_tpr(apic, tpr));
    }
}

static void tcg_x86_triple_fault(CPUX86State *env)
{
    qemu_log_mask(CPU_LOG_RESET, "CPU %d: triple fault, guest reset\n",
                  board_of(env)->index);
    qemu_system_guest_reset_request();
}

static const X86SysHooks tcg_x86_hooks = {
    .get_interrupt = tcg_x86_get_interrupt,
    .apic_base_read = tcg_x86_apic_base_read,
    .apic_base_write = tcg_x86_apic_base_write,
    .tpr_read = tcg_x86_tpr_read,
    .tpr_write = tcg_x86_tpr_write,
    .triple_fault = tcg_x86_triple_fault,
};

/* ---- what the local APIC asks of its CPU ------------------------------------
 */

static void tcg_apic_set_intr(void *opaque, bool pending)
{
    CPUState *cs = &arch_of(opaque)->parent_obj;

    if (pending) {
        cpu_interrupt(cs, CPU_INTERRUPT_HARD);
    } else {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_HARD);
    }
}

static void tcg_apic_nmi(void *opaque)
{
    cpu_interrupt(&arch_of(opaque)->parent_obj, CPU_INTERRUPT_NMI);
}

static void tcg_apic_init(void *opaque)
{
    cpu_interrupt(&arch_of(opaque)->parent_obj, CPU_INTERRUPT_INIT);
}

static void tcg_apic_sipi(void *opaque, uint8_t vector)
{
    X86ArchCPU *a = arch_of(opaque);

    a->env.sipi_vector = vector;
    cpu_interrupt(&a->parent_obj, CPU_INTERRUPT_SIPI);
}

static const APICCPUOps tcg_apic_ops = {
    .set_intr = tcg_apic_set_intr,
    .nmi = tcg_apic_nmi,
    .init = tcg_apic_init,
    .sipi = tcg_apic_sipi,
};

/* ---- reset and the monitor's view
 * --------------------------------------------- */

static void reset_work(CPUState *cs, void *data)
{
    X86CPU *cpu = data;
    X86ArchCPU *a = arch_of(cpu);
    X86CPUState st;

    x86_cpu_reset_state(cpu, &st);
    cpu_reset_interrupt(cs, ~0);
    x86_cpu_sys_reset(&a->env, &st);
    if (x86_cpu_get(0)->has_boot_state) {
        /* direct -kernel boot: no firmware programs the MTRRs */
        x86_cpu_firmware_mtrrs(&a->env);
    }
    cpu->env = st;
    cpu->halted = cs->halted;
    if (qemu_loglevel_mask(CPU_LOG_RESET)) {
        qemu_log("CPU Reset (CPU %d)%s\n", cpu->index,
                 a->env.wait_sipi ? " (waits for SIPI)" : "");
        x86_cpu_sys_dump(cs, qemu_log_stream());
    }
}

/* Machine reset: the vCPUs are parked (the runstate handler stopped them). */
static void tcg_x86_reset(void *opaque)
{
    for (guint i = 0; i < x86_cpus->len; i++) {
        X86CPU *cpu = g_ptr_array_index(x86_cpus, i);

        run_on_cpu(&arch_of(cpu)->parent_obj, reset_work, cpu);
    }
}

static void sync_work(CPUState *cs, void *data)
{
    X86CPU *cpu = data;

    x86_cpu_get_state(&arch_of(cpu)->env, &cpu->env);
    cpu->halted = cs->halted;
}

static void tcg_x86_sync_state(X86CPU *cpu)
{
    run_on_cpu(&arch_of(cpu)->parent_obj, sync_work, cpu);
}

static const X86CPUAccelOps tcg_x86_cpu_ops = {
    .sync_state = tcg_x86_sync_state,
};

/* First work item on the vCPU's own thread: its APIC and thread id. */
static void thread_start_work(CPUState *cs, void *data)
{
    X86CPU *cpu = data;

    cpu->thread_id = (int)syscall(SYS_gettid);
    if (cpu->apic) {
        apic_set_current(cpu->apic);
    }
}

/* ---- creation
 * ------------------------------------------------------------------ */

static bool tcg_x86_create_vcpus(MachineState *ms, Error **errp)
{
    if (!x86_cpus || !x86_cpus->len) {
        error_setg(errp, "tcg: the machine created no x86 CPU");
        return false;
    }
    {
        X86CPU *bsp = g_ptr_array_index(x86_cpus, 0);
        const char *model = bsp->model ? bsp->model : "qemu64";
        size_t n = strcspn(model, ",");

        if (n == 4 && !strncmp(model, "host", 4)) {
            error_setg(errp, "CPU model 'host' requires KVM or HVF");
            return false;
        }
        if (!cpu_x86_select_model(model)) {
            error_setg(errp, "unable to find CPU model '%.*s'", (int)n, model);
            return false;
        }
        if (model[n]) {
            qemu_log_mask(LOG_UNIMP, "tcg: -cpu feature flags '%s' ignored\n",
                          model + n + 1);
        }
    }
    x86_translate_init();
    x86_fpexc_init(); /* guest SIMD/x87 exceptions taken on the host */
    for (guint i = 0; i < x86_cpus->len; i++) {
        X86CPU *cpu = g_ptr_array_index(x86_cpus, i);
        X86ArchCPU *a = g_new0(X86ArchCPU, 1);
        CPUState *cs = &a->parent_obj;
        X86CPUState st;

        cs->env_ptr = &a->env;
        cpu_exec_init(cs, &x86_tcg_ops);
        cs->as = &address_space_memory;
        cpu->accel = a;
        cpu->ops = &tcg_x86_cpu_ops;
        a->env.board_cpu = cpu;
        a->env.sys_hooks = &tcg_x86_hooks;
        a->env.apic_id = cpu->apic_id;
        a->env.nr_cpus = x86_cpus->len;
        x86_cpu_reset_state(cpu, &st);
        x86_cpu_sys_reset(&a->env, &st);
        if (cpu->apic) {
            apic_set_cpu(cpu->apic, &tcg_apic_ops, cpu);
        }
        if (!tcg_vcpu_start(cs, errp)) {
            return false;
        }
        async_run_on_cpu(cs, thread_start_work, cpu);
    }
    qemu_register_reset(tcg_x86_reset, NULL);
    return true;
}

static const TCGSysTarget tcg_x86_target = {
    .arch = "x86_64",
    .create_vcpus = tcg_x86_create_vcpus,
};

static void __attribute__((constructor)) tcg_x86_register(void)
{
    tcg_sys_register_target(&tcg_x86_target);
}
