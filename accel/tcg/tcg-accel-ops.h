/*
 * TCG system emulation: the "tcg" accelerator and its vCPU threads.
 *
 * One host thread per vCPU (multi-threaded TCG; x86 guests on an x86
 * host need no extra barriers).  A vCPU thread loops:
 *
 *     run queued work (run_on_cpu, TLB flushes of other vCPUs...)
 *     park while the VM is stopped (stop / -S / machine reset)
 *     sleep while halted and !cpu_has_work   (condvar, no spinning)
 *     cpu_exec(cpu) without the BQL          (the slow path takes it for
 *                                             MMIO/PIO, interrupt delivery)
 *
 * The target's board glue registers itself once and creates its CPUs
 * when the accelerator starts the vCPUs:
 *
 *     static bool x86_tcg_create_vcpus(MachineState *ms, Error **errp)
 *     {
 *         for (each X86CPU the board made) {
 *             cpu_exec_init(cs, &x86_sys_tcg_ops);   // accel/tcg/cpu-exec.h
 *             if (!tcg_vcpu_start(cs, errp)) return false;
 *         }
 *         return true;
 *     }
 *     static const TCGSysTarget x86_tcg_target = {
 *         .arch = "x86_64", .create_vcpus = x86_tcg_create_vcpus,
 *     };
 *     static void __attribute__((constructor)) x86_tcg_register(void)
 *     {
 *         tcg_sys_register_target(&x86_tcg_target);
 *     }
 *
 * Run state: the accelerator registers a runstate change handler; vCPUs
 * run only while the VM runs ("cont", no -S), and vm_stop / a machine
 * reset park them all (pause_all_vcpus) before the main thread goes on.
 * Machines without CPUs ("none", qtest-style boards) need no target.
 */
#ifndef ACCEL_TCG_TCG_ACCEL_OPS_H
#define ACCEL_TCG_TCG_ACCEL_OPS_H

#include <stdbool.h>
#include "accel/tcg/cpu-exec.h"
#include "hw/core/machine.h"
#include "util/error.h"

typedef struct TCGSysTarget {
    const char *arch; /* "x86_64": for messages */
    /*
     * Creates the machine's CPUs for TCG (cpu_exec_init each) and starts
     * them with tcg_vcpu_start.  Called once, after the machine's init,
     * with the BQL held.
     */
    bool (*create_vcpus)(MachineState *ms, Error **errp);
} TCGSysTarget;

/* Once, from a constructor of the target's board glue. */
void tcg_sys_register_target(const TCGSysTarget *t);
/* The registered target, or NULL. */
const TCGSysTarget *tcg_sys_target(void);

/*
 * Creates cpu's thread (cpu_exec_init done).  It starts parked: it runs
 * guest code once the VM runs.  Returns false (errp) if the thread could
 * not be created.
 */
bool tcg_vcpu_start(CPUState *cpu, Error **errp);

/*
 * Makes cpu leave guest code soon and look at its work queue, stop flag
 * and interrupt_request; wakes it if halted or parked.  Any thread.
 */
void qemu_cpu_kick(CPUState *cpu);
/* Whether the calling thread is cpu's vCPU thread. */
bool qemu_cpu_is_self(CPUState *cpu);

/*
 * Parks every vCPU (not the caller's own) and waits until they are out
 * of guest code; resume lets them run again (if the VM runs).  Called
 * by the runstate handler; may be called with the BQL held (it is
 * released while waiting).
 */
void pause_all_vcpus(void);
void resume_all_vcpus(void);
bool all_vcpus_paused(void);

typedef void (*run_on_cpu_func)(CPUState *cpu, void *data);
/*
 * Runs fn(cpu, data) on cpu's thread at a safe point (outside guest
 * code, parked or not) and waits for it.  On cpu's own thread, or before
 * its thread exists, runs it at once.  May be called with the BQL held
 * (released while waiting; fn runs without it).
 */
void run_on_cpu(CPUState *cpu, run_on_cpu_func fn, void *data);
/* Queues fn(cpu, data) on cpu's thread and kicks it; does not wait. */
void async_run_on_cpu(CPUState *cpu, run_on_cpu_func fn, void *data);
/*
 * Like async_run_on_cpu, but fn runs inside an exclusive section: no
 * other vCPU is executing guest code meanwhile (e.g. tb_flush).
 */
void async_safe_run_on_cpu(CPUState *cpu, run_on_cpu_func fn, void *data);

/*
 * Runs the queued work of cpu now (the vCPU thread does this itself;
 * for tests driving cpu_exec without a thread).
 */
void tcg_vcpu_process_work(CPUState *cpu);

/* Stops and joins every vCPU thread (process exit). */
void tcg_vcpus_quit(void);

#endif
