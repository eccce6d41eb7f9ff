/*
 * vCPU threads of TCG system emulation: the per-vCPU loop, kicks,
 * parking (pause/resume), halt sleeping, and work queued on a vCPU
 * (run_on_cpu).  See tcg-accel-ops.h.
 *
 * Locking.  vcpu_lock protects every CPUState's thread fields (stop,
 * stopped, quit, the work list) and the global run flag; a vCPU sleeps on
 * its own halt_cond, callers waiting for work or for parking sleep on
 * vcpu_done_cond.  Nobody takes the BQL while holding vcpu_lock; callers
 * that wait release the BQL first (a vCPU may need it to finish an MMIO
 * access before it can reach a safe point).
 */
#include <errno.h>
#include <string.h>
#include "accel/tcg/tb-internal.h"
#include "accel/tcg/tcg-accel-ops.h"
#include "system/main-loop.h"
#include "util/log.h"

typedef struct TCGWorkItem {
    struct TCGWorkItem *next;
    run_on_cpu_func fn;
    void *data;
    bool wait; /* run_on_cpu: on the caller's stack, caller waits */
    bool safe; /* inside an exclusive section */
    bool done;
} TCGWorkItem;

static pthread_mutex_t vcpu_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vcpu_done_cond = PTHREAD_COND_INITIALIZER;
static bool vcpus_may_run; /* the VM runs (resume_all_vcpus) */
static __thread CPUState *vcpu_self;

bool qemu_cpu_is_self(CPUState *cpu)
{
    return vcpu_self == cpu;
}

/* vcpu_lock held */
static void vcpu_wake(CPUState *cpu)
{
    pthread_cond_broadcast(&cpu->halt_cond);
}

void qemu_cpu_kick(CPUState *cpu)
{
    cpu_exit(cpu);
    pthread_mutex_lock(&vcpu_lock);
    vcpu_wake(cpu);
    pthread_mutex_unlock(&vcpu_lock);
}

void cpu_interrupt(CPUState *cpu, int mask)
{
    __atomic_or_fetch(&cpu->interrupt_request, (uint32_t)mask,
                      __ATOMIC_SEQ_CST);
    qemu_cpu_kick(cpu);
}

void cpu_reset_interrupt(CPUState *cpu, int mask)
{
    __atomic_and_fetch(&cpu->interrupt_request, ~(uint32_t)mask,
                       __ATOMIC_SEQ_CST);
}

/* ---- work ------------------------------------------------------------- */

static void queue_work(CPUState *cpu, TCGWorkItem *w)
{
    w->next = NULL;
    if (cpu->work_last) {
        cpu->work_last->next = w;
    } else {
        cpu->work_first = w;
    }
    cpu->work_last = w;
}

static void run_item(CPUState *cpu, TCGWorkItem *w)
{
    if (w->safe) {
        start_exclusive();
        w->fn(cpu, w->data);
        end_exclusive();
    } else {
        w->fn(cpu, w->data);
    }
}

/* Runs cpu's queue; vcpu_lock held on entry and exit (dropped around fn). */
static void process_work_locked(CPUState *cpu)
{
    TCGWorkItem *w;
    while ((w = cpu->work_first)) {
        cpu->work_first = w->next;
        if (!cpu->work_first) {
            cpu->work_last = NULL;
        }
        pthread_mutex_unlock(&vcpu_lock);
        run_item(cpu, w);
        pthread_mutex_lock(&vcpu_lock);
        if (w->wait) {
            w->done = true;
            pthread_cond_broadcast(&vcpu_done_cond);
        } else {
            g_free(w);
        }
    }
}

void tcg_vcpu_process_work(CPUState *cpu)
{
    pthread_mutex_lock(&vcpu_lock);
    process_work_locked(cpu);
    pthread_mutex_unlock(&vcpu_lock);
}

static bool vcpu_has_thread(CPUState *cpu)
{
    return cpu->thread_created && !cpu->quit;
}

void run_on_cpu(CPUState *cpu, run_on_cpu_func fn, void *data)
{
    TCGWorkItem w = {.fn = fn, .data = data, .wait = true};
    bool had_bql;

    if (qemu_cpu_is_self(cpu) || !vcpu_has_thread(cpu)) {
        fn(cpu, data);
        return;
    }
    had_bql = bql_locked();
    if (had_bql) {
        bql_unlock();
    }
    /*
     * From another vCPU's guest code (a helper): stop counting as
     * running while we wait, or an exclusive section that the target
     * vCPU enters first would wait for us forever.
     */
    CPUState *self = current_cpu;
    bool was_running = self && self->running;
    if (was_running) {
        cpu_exec_end(self);
    }
    pthread_mutex_lock(&vcpu_lock);
    queue_work(cpu, &w);
    vcpu_wake(cpu);
    pthread_mutex_unlock(&vcpu_lock);
    cpu_exit(cpu);
    pthread_mutex_lock(&vcpu_lock);
    while (!w.done) {
        pthread_cond_wait(&vcpu_done_cond, &vcpu_lock);
    }
    pthread_mutex_unlock(&vcpu_lock);
    if (was_running) {
        cpu_exec_start(self);
    }
    if (had_bql) {
        bql_lock();
    }
}

static void async_queue(CPUState *cpu, run_on_cpu_func fn, void *data,
                        bool safe)
{
    if (!vcpu_has_thread(cpu)) {
        /* not running guest code: nothing to wait for */
        TCGWorkItem w = {.fn = fn, .data = data, .safe = safe};
        run_item(cpu, &w);
        return;
    }
    TCGWorkItem *w = g_new0(TCGWorkItem, 1);
    w->fn = fn;
    w->data = data;
    w->safe = safe;
    pthread_mutex_lock(&vcpu_lock);
    queue_work(cpu, w);
    vcpu_wake(cpu);
    pthread_mutex_unlock(&vcpu_lock);
    cpu_exit(cpu);
}

void async_run_on_cpu(CPUState *cpu, run_on_cpu_func fn, void *data)
{
    async_queue(cpu, fn, data, false);
}

void async_safe_run_on_cpu(CPUState *cpu, run_on_cpu_func fn, void *data)
{
    async_queue(cpu, fn, data, true);
}

/* ---- the vCPU thread -------------------------------------------------- */

static bool vcpu_should_park(CPUState *cpu)
{
    return cpu->stop || !vcpus_may_run;
}

static bool vcpu_sleeps(CPUState *cpu)
{
    return cpu->halted &&
           !(cpu->tcg_ops->cpu_has_work && cpu->tcg_ops->cpu_has_work(cpu));
}

static void *tcg_vcpu_thread(void *opaque)
{
    CPUState *cpu = opaque;

    vcpu_self = cpu;
    current_cpu = cpu;
    pthread_mutex_lock(&vcpu_lock);
    while (!cpu->quit) {
        if (cpu->work_first) {
            process_work_locked(cpu);
            continue;
        }
        if (vcpu_should_park(cpu)) {
            if (!cpu->stopped) {
                cpu->stopped = true;
                pthread_cond_broadcast(&vcpu_done_cond);
            }
            pthread_cond_wait(&cpu->halt_cond, &vcpu_lock);
            continue;
        }
        cpu->stopped = false;
        if (vcpu_sleeps(cpu)) {
            /* HLT: woken by qemu_cpu_kick (cpu_interrupt) */
            pthread_cond_wait(&cpu->halt_cond, &vcpu_lock);
            continue;
        }
        pthread_mutex_unlock(&vcpu_lock);
        int r = cpu_exec(cpu);
        pthread_mutex_lock(&vcpu_lock);
        switch (r) {
        case EXCP_INTERRUPT: /* kicked: work, park, interrupts */
        case EXCP_HLT:
        case EXCP_HALTED: /* the loop sleeps until cpu_has_work */
        case EXCP_YIELD:
            break;
        case EXCP_DEBUG:
            /* no debugger attached yet: park this vCPU */
            qemu_log_mask(LOG_UNIMP, "tcg: vCPU %d debug exception\n",
                          cpu->cpu_index);
            cpu->stop = true;
            break;
        default:
            qemu_log_mask(LOG_GUEST_ERROR,
                          "tcg: vCPU %d: unhandled exit 0x%x\n", cpu->cpu_index,
                          r);
            break;
        }
    }
    cpu->stopped = true;
    pthread_cond_broadcast(&vcpu_done_cond);
    pthread_mutex_unlock(&vcpu_lock);
    vcpu_self = NULL;
    current_cpu = NULL;
    return NULL;
}

bool tcg_vcpu_start(CPUState *cpu, Error **errp)
{
    pthread_attr_t attr;
    int r;

    pthread_mutex_lock(&vcpu_lock);
    cpu->stopped = true;
    cpu->quit = false;
    pthread_mutex_unlock(&vcpu_lock);
    pthread_attr_init(&attr);
    /* deep guest-controlled recursion never happens on a vCPU stack */
    pthread_attr_setstacksize(&attr, 8 << 20);
    r = pthread_create(&cpu->thread, &attr, tcg_vcpu_thread, cpu);
    pthread_attr_destroy(&attr);
    if (r) {
        error_setg(errp, "tcg: cannot create the thread of vCPU %d: %s",
                   cpu->cpu_index, strerror(r));
        return false;
    }
    cpu->thread_created = true;
    return true;
}

/* ---- pausing ---------------------------------------------------------- */

bool all_vcpus_paused(void)
{
    CPUState *c;
    bool all = true;
    pthread_mutex_lock(&vcpu_lock);
    CPU_FOREACH(c)
    {
        if (vcpu_has_thread(c) && !qemu_cpu_is_self(c) && !c->stopped) {
            all = false;
        }
    }
    pthread_mutex_unlock(&vcpu_lock);
    return all;
}

void pause_all_vcpus(void)
{
    CPUState *c;
    bool had_bql = bql_locked();

    pthread_mutex_lock(&vcpu_lock);
    vcpus_may_run = false;
    CPU_FOREACH(c)
    {
        if (vcpu_has_thread(c)) {
            cpu_exit(c);
            vcpu_wake(c);
        }
    }
    pthread_mutex_unlock(&vcpu_lock);
    if (had_bql) {
        bql_unlock(); /* a vCPU may wait for it inside an MMIO access */
    }
    pthread_mutex_lock(&vcpu_lock);
    for (;;) {
        bool all = true;
        CPU_FOREACH(c)
        {
            if (vcpu_has_thread(c) && !qemu_cpu_is_self(c) && !c->stopped) {
                all = false;
            }
        }
        if (all) {
            break;
        }
        pthread_cond_wait(&vcpu_done_cond, &vcpu_lock);
    }
    pthread_mutex_unlock(&vcpu_lock);
    if (had_bql) {
        bql_lock();
    }
}

void resume_all_vcpus(void)
{
    CPUState *c;
    pthread_mutex_lock(&vcpu_lock);
    vcpus_may_run = true;
    CPU_FOREACH(c)
    {
        c->stop = false;
        vcpu_wake(c);
    }
    pthread_mutex_unlock(&vcpu_lock);
}

void tcg_vcpus_quit(void)
{
    CPUState *c;
    bool had_bql = bql_locked();

    pthread_mutex_lock(&vcpu_lock);
    CPU_FOREACH(c)
    {
        if (c->thread_created) {
            c->quit = true;
            cpu_exit(c);
            vcpu_wake(c);
        }
    }
    pthread_mutex_unlock(&vcpu_lock);
    if (had_bql) {
        bql_unlock();
    }
    CPU_FOREACH(c)
    {
        if (c->thread_created && !qemu_cpu_is_self(c)) {
            pthread_join(c->thread, NULL);
            c->thread_created = false;
        }
    }
    if (had_bql) {
        bql_lock();
    }
}
