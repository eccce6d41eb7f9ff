/*
 * Lockstep tracing for tests/tools/x86-lockstep (see lockstep.h).
 *
 * Full mode replaces the vCPU's dump_state hook (called before every TB
 * under -d cpu) by one that appends a binary record to a buffer; with one
 * instruction per TB and no chaining that is every instruction boundary.
 * Only the main thread of the first process reports; the buffer goes to the
 * pipe when full, at syscalls and at exit.
 */
#include <stdlib.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-user/lockstep.h"
#include "linux-user/user.h"
#include "util/log.h"

bool lockstep_enabled;
uint64_t lockstep_interp_base, lockstep_stack_top;
static bool lockstep_full, lockstep_each;
static int lockstep_fd = -1, lockstep_ack = -1;
static pid_t lockstep_pid;
static TCGCPUOps lockstep_ops;
static LockstepRecord lockstep_buf[256];
static unsigned lockstep_count;

static void lockstep_go_full(void)
{
    lockstep_full = true;
    x86_one_insn_per_tb = true;
    qemu_log_set_mask(qemu_loglevel | CPU_LOG_TB_CPU | CPU_LOG_TB_NOCHAIN);
}

bool lockstep_init(void)
{
    const char *s = getenv("QUASAR_LOCKSTEP_FD");

    if (!s) {
        return false;
    }
    lockstep_fd = atoi(s);
    unsetenv("QUASAR_LOCKSTEP_FD");
    s = getenv("QUASAR_LOCKSTEP_ACK");
    if (s) {
        lockstep_ack = atoi(s);
        unsetenv("QUASAR_LOCKSTEP_ACK");
    }
    s = getenv("QUASAR_LOCKSTEP_LAYOUT");
    if (s) {
        const char *p = strstr(s, "interp=");
        if (p) {
            lockstep_interp_base = strtoull(p + 7, NULL, 16);
        }
        p = strstr(s, "stack=");
        if (p) {
            lockstep_stack_top = strtoull(p + 6, NULL, 16);
        }
        unsetenv("QUASAR_LOCKSTEP_LAYOUT");
    }
    lockstep_pid = getpid();
    lockstep_enabled = true;
    /* RDTSC traps (lockstep_rdtsc): both sides then read the same counter */
    prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
    if (getenv("QUASAR_LOCKSTEP_SYSCALLS")) {
        unsetenv("QUASAR_LOCKSTEP_SYSCALLS");
    } else {
        lockstep_go_full();
    }
    return true;
}

void lockstep_flush(void)
{
    const char *p = (const char *)lockstep_buf;
    size_t left = lockstep_count * sizeof(LockstepRecord);

    if (!lockstep_enabled || getpid() != lockstep_pid) {
        return;
    }
    while (left) {
        ssize_t n = write(lockstep_fd, p, left);
        if (n <= 0) {
            /* the tracer went away: stop reporting */
            lockstep_enabled = false;
            break;
        }
        p += n;
        left -= n;
    }
    lockstep_count = 0;
}

static bool lockstep_main_thread(CPUState *cs)
{
    TaskState *ts = cs->opaque;

    return lockstep_enabled && ts && ts->tid == lockstep_pid &&
           getpid() == lockstep_pid;
}

static LockstepRecord *lockstep_new(uint32_t magic)
{
    LockstepRecord *r = &lockstep_buf[lockstep_count++];

    memset(r, 0, sizeof(*r));
    r->magic = magic;
    r->tid = lockstep_pid;
    return r;
}

static void lockstep_push(void)
{
    if (lockstep_count == sizeof(lockstep_buf) / sizeof(lockstep_buf[0])) {
        lockstep_flush();
    }
}

static void lockstep_record(CPUX86State *env, uint32_t magic)
{
    LockstepRecord *r = lockstep_new(magic);

    r->rip = env->rip;
    memcpy(r->regs, env->regs, sizeof(r->regs));
    r->eflags = cpu_compute_eflags(env);
    r->fs_base = env->segs[R_FS].base;
    r->gs_base = env->segs[R_GS].base;
    for (int i = 0; i < 16; i++) {
        r->xmm[i][0] = env->xmm[i].q[0];
        r->xmm[i][1] = env->xmm[i].q[1];
    }
    lockstep_push();
}

static char lockstep_wait(void)
{
    char c = 0;

    if (lockstep_ack >= 0 && read(lockstep_ack, &c, 1) != 1) {
        lockstep_ack = -1;
    }
    return c;
}

static void lockstep_dump(CPUState *cs, FILE *f)
{
    (void)f;
    if (lockstep_full && lockstep_main_thread(cs)) {
        lockstep_record(cs->env_ptr, LOCKSTEP_MAGIC);
        if (lockstep_each) {
            /* memory as it is before this instruction, for the tracer */
            lockstep_flush();
            lockstep_wait();
        }
    }
}

void lockstep_start(CPUX86State *env)
{
    lockstep_record(env, LOCKSTEP_MAGIC);
    lockstep_flush();
}

void lockstep_syscall_entry(CPUX86State *env)
{
    if (lockstep_main_thread(env_cpu(env))) {
        lockstep_record(env, LOCKSTEP_SYSENTRY);
        lockstep_flush();
    }
}

void lockstep_syscall_done(CPUX86State *env)
{
    char c;

    if (!lockstep_main_thread(env_cpu(env))) {
        return;
    }
    lockstep_record(env, LOCKSTEP_SYNC);
    lockstep_flush();
    c = lockstep_wait();
    if ((c == 'f' || c == 'F') && !lockstep_full) {
        lockstep_go_full();
        tb_flush(env_cpu(env)); /* multi-instruction TBs go */
    }
    if (c == 'F') {
        lockstep_each = true;
    }
}

/* The model's CPUID, for the tracer to answer the native program's. */
static void lockstep_send_cpuid(CPUX86State *env)
{
    static const uint32_t bases[2] = {0, 0x80000000u};

    for (int b = 0; b < 2; b++) {
        uint32_t a, bx, c, d, max;
        cpu_x86_cpuid(env, bases[b], 0, &max, &bx, &c, &d);
        for (uint32_t leaf = bases[b]; leaf <= max && leaf < bases[b] + 64;
             leaf++) {
            for (uint32_t sub = 0; sub < 8; sub++) {
                LockstepRecord *r = lockstep_new(LOCKSTEP_CPUID);
                cpu_x86_cpuid(env, leaf, sub, &a, &bx, &c, &d);
                r->rip = leaf;
                r->eflags = sub;
                r->regs[0] = a;
                r->regs[3] = bx;
                r->regs[1] = c;
                r->regs[2] = d;
                lockstep_push();
            }
        }
    }
    lockstep_flush();
}

void lockstep_attach(X86ArchCPU *cpu)
{
    static bool cpuid_sent;

    if (!lockstep_enabled) {
        return;
    }
    lockstep_ops = *cpu->parent_obj.tcg_ops;
    lockstep_ops.dump_state = lockstep_dump;
    cpu->parent_obj.tcg_ops = &lockstep_ops;
    if (!cpuid_sent) {
        cpuid_sent = true;
        lockstep_send_cpuid(&cpu->env);
    }
}

/*
 * The host SIGSEGV of a trapped RDTSC/RDTSCP (PR_TSC_SIGSEGV), executed by
 * the emulator's RDTSC helper: answer with a counter that goes up by 1000
 * per read, as the tracer does for the native program.
 */
bool lockstep_rdtsc(void *puc)
{
    static uint64_t tsc = 1ull << 32;
    ucontext_t *uc = puc;
    const uint8_t *pc = (const uint8_t *)uc->uc_mcontext.gregs[REG_RIP];
    uint64_t t;
    int len;

    if (pc[0] == 0x0f && pc[1] == 0x31) {
        len = 2;
    } else if (pc[0] == 0x0f && pc[1] == 0x01 && pc[2] == 0xf9) {
        len = 3;
        uc->uc_mcontext.gregs[REG_RCX] = 0;
    } else {
        return false;
    }
    t = __atomic_add_fetch(&tsc, 1000, __ATOMIC_RELAXED);
    uc->uc_mcontext.gregs[REG_RAX] = (uint32_t)t;
    uc->uc_mcontext.gregs[REG_RDX] = t >> 32;
    uc->uc_mcontext.gregs[REG_RIP] += len;
    return true;
}
