/*
 * Guest signals: dispositions, masks, the x86-64 rt_sigframe and
 * rt_sigreturn, sigaltstack, and faults of guest code.
 *
 * The host disposition mirrors the guest's: SIG_DFL and SIG_IGN are given
 * to the host kernel as they are (so a default-fatal signal kills the
 * process exactly as it would natively), and a guest handler becomes the
 * host handler host_signal_handler(), which queues the signal in the
 * thread's TaskState and kicks the CPU out of generated code; the frame is
 * built between two TBs by process_pending_signals().  The host thread
 * mask mirrors the guest mask, except that the synchronous signals
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) always stay deliverable,
 * because the emulator needs them for guest faults.
 *
 * Frame layout: Linux arch/x86/kernel/signal_64.c (rt_sigframe: pretcode,
 * ucontext, siginfo, then the FXSAVE image 64-byte aligned below).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "linux-user/lockstep.h"
#include "linux-user/user.h"
#include "target/x86/host-thunk.h"
#include "util/log.h"

/* The kernel's struct sigaction on x86-64. */
typedef struct KernelSigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
} KernelSigaction;

#define K_SA_RESTORER  0x04000000ULL
#define K_SA_ONSTACK   0x08000000ULL
#define K_SA_RESTART   0x10000000ULL
#define K_SA_NODEFER   0x40000000ULL
#define K_SA_RESETHAND 0x80000000ULL
#define K_SA_SIGINFO   0x4ULL
#define K_SS_ONSTACK   1
#define K_SS_DISABLE   2
#define K_MINSIGSTKSZ  2048

#define SIGBIT(s) (1ULL << ((s)-1))
#define SYNC_SIGNALS                                                           \
    (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGFPE) | SIGBIT(SIGILL) |      \
     SIGBIT(SIGTRAP))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

static KernelSigaction guest_actions[TARGET_NSIG + 1];

/* x86-64 struct sigcontext (uc_mcontext), 256 bytes. */
typedef struct TargetSigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;
    uint64_t reserved1[8];
} TargetSigcontext;

typedef struct TargetUcontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
    TargetSigcontext mc;
    uint64_t sigmask;
} TargetUcontext;

typedef struct TargetRtSigframe {
    uint64_t pretcode;
    TargetUcontext uc;
    uint8_t info[128];
} TargetRtSigframe;

_Static_assert(sizeof(TargetSigcontext) == 256, "sigcontext layout");
_Static_assert(sizeof(TargetRtSigframe) == 8 + 304 + 128, "frame layout");

/* ---- host side ------------------------------------------------------- */

/* rt_sigreturn trampoline for host handlers installed with raw syscalls. */
extern void quasar_host_restorer(void);
__asm__(".text\n"
        ".globl quasar_host_restorer\n"
        "quasar_host_restorer:\n"
        "    mov $15, %eax\n"
        "    syscall\n"
        "    hlt\n");

static void host_signal_handler(int sig, siginfo_t *info, void *puc);

static int host_set_action(int sig, void *handler)
{
    KernelSigaction k = {0};

    k.handler = (uint64_t)handler;
    if (handler != SIG_DFL && handler != SIG_IGN) {
        k.flags = K_SA_SIGINFO | K_SA_RESTORER;
        k.mask = ~0ULL & ~UNBLOCKABLE & ~SYNC_SIGNALS;
    } else {
        k.flags = K_SA_RESTORER;
    }
    k.restorer = (uint64_t)quasar_host_restorer;
    return host_syscall6(SYS_rt_sigaction, sig, (long)&k, 0, 8, 0, 0);
}

static bool is_sync_signal(int sig)
{
    return sig < 64 && (SYNC_SIGNALS & SIGBIT(sig));
}

static void host_set_mask(uint64_t guest_mask)
{
    uint64_t m = guest_mask & ~SYNC_SIGNALS & ~UNBLOCKABLE;
    host_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, 0, 8, 0, 0);
}

void signal_init(void)
{
    int sig;

    /* Inherit the dispositions the kernel gave us (SIG_IGN survives exec). */
    for (sig = 1; sig <= TARGET_NSIG; sig++) {
        KernelSigaction k;
        memset(&guest_actions[sig], 0, sizeof(guest_actions[sig]));
        if (host_syscall6(SYS_rt_sigaction, sig, 0, (long)&k, 8, 0, 0) == 0) {
            if (k.handler == (uint64_t)SIG_IGN) {
                guest_actions[sig].handler = (uint64_t)SIG_IGN;
            }
        }
    }
    for (sig = 1; sig <= TARGET_NSIG; sig++) {
        if (is_sync_signal(sig)) {
            host_set_action(sig, host_signal_handler);
        }
    }
}

void signal_init_thread(TaskState *ts)
{
    uint64_t m = 0;

    host_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&m, 8, 0, 0);
    ts->sigmask = m;
    ts->ss_flags = K_SS_DISABLE;
}

bool signal_is_pending(void)
{
    TaskState *ts = thread_task_state();
    return ts->signal_pending != 0;
}

bool signal_restarts(int sig)
{
    return (guest_actions[sig].flags & K_SA_RESTART) != 0;
}

void dump_core_and_abort(int sig)
{
    uint64_t m = SIGBIT(sig);

    lockstep_flush();
    qemu_log_flush();
    fflush(stdout);
    fflush(stderr);
    host_set_action(sig, SIG_DFL);
    host_syscall6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&m, 0, 8, 0, 0);
    host_syscall6(SYS_tgkill, getpid(),
                  host_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0), sig, 0, 0, 0);
    /* A stop signal or one the host ignores: kill for real. */
    host_syscall6(SYS_kill, getpid(), sig, 0, 0, 0, 0);
    _exit(128 + sig);
}

static void host_signal_handler(int sig, siginfo_t *info, void *puc)
{
    TaskState *ts = thread_task_state();
    ucontext_t *uc = puc;

    if (sig == SIGSEGV && info->si_code == SI_KERNEL && lockstep_enabled &&
        lockstep_rdtsc(puc)) {
        return;
    }
    if (is_sync_signal(sig) && info->si_code > 0) {
        /* A fault of the CPU (not kill()): guest code or helper. */
        uintptr_t pc = uc->uc_mcontext.gregs[REG_RIP];
        CPUState *cpu = current_cpu;
        bool is_write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;

        if (sig == SIGSEGV && is_write && info->si_code == SEGV_ACCERR &&
            page_unprotect(h2g(info->si_addr), pc, &uc->uc_sigmask) == 1) {
            return; /* self-modifying code: retry the store */
        }
        /* a host-instruction thunk called from a TB (an unmasked SIMD
         * exception): the return address into the TB is at (%rsp) */
        uintptr_t thunk_ra = x86_host_thunk_contains(pc)
                                 ? *(uintptr_t *)uc->uc_mcontext.gregs[REG_RSP]
                                 : 0;

        if (cpu &&
            (cpu_restore_state(cpu, pc) ||
             (thunk_ra && cpu_restore_state(cpu, thunk_ra)) ||
             (helper_retaddr && cpu_restore_state(cpu, helper_retaddr)))) {
            CPUX86State *env = cpu->env_ptr;
            uint64_t m = SIGBIT(sig);
            uint64_t addr = (uint64_t)info->si_addr;
            helper_retaddr = 0;
            if (sig != SIGSEGV && sig != SIGBUS) {
                addr = env->rip;
            }
            if (sig == SIGFPE && x86_host_thunk_contains(pc) &&
                uc->uc_mcontext.fpregs) {
                /* the SIMD exception's flag, as the CPU leaves it */
                env->mxcsr |= uc->uc_mcontext.fpregs->mxcsr & 0x3f;
            }
            env->exception_index = EXCP0E_PAGE;
            env->error_code =
                (is_write ? 2 : 0) | 4 | (info->si_code == SEGV_ACCERR ? 1 : 0);
            env->cr[2] = addr;
            queue_sync_signal(env, sig, info->si_code, addr);
            host_syscall6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&m, 0, 8, 0,
                          0);
            cpu->exception_index = EXCP_INTERRUPT;
            cpu_loop_exit(cpu);
        }
        /* Not the guest's: an emulator bug.  Die with the signal. */
        host_set_action(sig, SIG_DFL);
        return;
    }
    if (!ts) {
        return;
    }
    ts->sigtab[sig].info = *info;
    ts->sigtab[sig].pending = true;
    ts->signal_pending = 1;
    thread_kick_cpu();
}

/* ---- guest side ------------------------------------------------------ */

/* After a mask change: deliver kill()ed sync signals that are now open. */
static void signal_rearm_sync(TaskState *ts)
{
    int sig;

    for (sig = 1; sig <= TARGET_NSIG; sig++) {
        if (ts->sigtab[sig].pending && !(ts->sigmask & SIGBIT(sig))) {
            ts->signal_pending = 1;
        }
    }
}

int64_t do_rt_sigaction(int sig, uint64_t act, uint64_t oact, size_t sz)
{
    KernelSigaction k;

    if (sz != 8 || sig < 1 || sig > TARGET_NSIG) {
        return -EINVAL;
    }
    if (act && (sig == SIGKILL || sig == SIGSTOP)) {
        return -EINVAL;
    }
    if (oact) {
        *(KernelSigaction *)oact = guest_actions[sig];
    }
    if (!act) {
        return 0;
    }
    k = *(KernelSigaction *)act;
    guest_actions[sig] = k;
    if (is_sync_signal(sig)) {
        return 0; /* the host handler stays; delivery consults the table */
    }
    if (k.handler == (uint64_t)SIG_DFL || k.handler == (uint64_t)SIG_IGN) {
        host_set_action(sig, (void *)k.handler);
    } else {
        host_set_action(sig, host_signal_handler);
    }
    return 0;
}

int64_t do_rt_sigprocmask(int how, uint64_t set, uint64_t oset, size_t sz)
{
    TaskState *ts = thread_task_state();
    uint64_t old = ts->sigmask, nm;

    if (sz != 8) {
        return -EINVAL;
    }
    if (set) {
        uint64_t s = *(uint64_t *)set;
        switch (how) {
        case SIG_BLOCK:
            nm = old | s;
            break;
        case SIG_UNBLOCK:
            nm = old & ~s;
            break;
        case SIG_SETMASK:
            nm = s;
            break;
        default:
            return -EINVAL;
        }
        nm &= ~UNBLOCKABLE;
        ts->sigmask = nm;
        host_set_mask(nm);
        signal_rearm_sync(ts);
    }
    if (oset) {
        *(uint64_t *)oset = old;
    }
    return 0;
}

static bool on_sig_stack(TaskState *ts, uint64_t sp)
{
    return sp - ts->ss_sp < ts->ss_size; /* (sp > ss_sp && sp <= top) */
}

int64_t do_sigaltstack(CPUX86State *env, uint64_t uss, uint64_t uoss)
{
    TaskState *ts = thread_task_state();
    uint64_t sp = env->regs[R_ESP];

    if (uoss) {
        uint64_t *o = (uint64_t *)uoss;
        o[0] = ts->ss_sp;
        ((int32_t *)o)[2] = ts->ss_size == 0       ? K_SS_DISABLE
                            : on_sig_stack(ts, sp) ? K_SS_ONSTACK
                                                   : ts->ss_flags;
        ((int32_t *)o)[3] = 0;
        o[2] = ts->ss_size;
    }
    if (uss) {
        uint64_t *n = (uint64_t *)uss;
        int flags = ((int32_t *)n)[2];
        if (ts->ss_size && on_sig_stack(ts, sp)) {
            return -EPERM;
        }
        if (flags & K_SS_DISABLE) {
            ts->ss_sp = 0;
            ts->ss_size = 0;
            ts->ss_flags = K_SS_DISABLE;
        } else {
            if ((flags & ~(K_SS_ONSTACK | (1u << 31))) != 0) {
                return -EINVAL;
            }
            if (n[2] < K_MINSIGSTKSZ) {
                return -ENOMEM;
            }
            ts->ss_sp = n[0];
            ts->ss_size = n[2];
            ts->ss_flags = 0;
        }
    }
    return 0;
}

void queue_sync_signal(CPUX86State *env, int sig, int code, uint64_t addr)
{
    TaskState *ts = thread_task_state();
    siginfo_t *si = &ts->sync_signal.info;

    memset(si, 0, sizeof(*si));
    si->si_signo = sig;
    si->si_code = code;
    si->si_addr = (void *)addr;
    ts->sync_signal.pending = true;
    ts->signal_pending = 1;
}

static void setup_rt_frame(CPUX86State *env, int sig, KernelSigaction *ka,
                           siginfo_t *info, TaskState *ts)
{
    uint64_t sp = env->regs[R_ESP] - 128; /* red zone */
    uint64_t fpstate;
    TargetRtSigframe *f;

    if ((ka->flags & K_SA_ONSTACK) && ts->ss_size &&
        !on_sig_stack(ts, env->regs[R_ESP])) {
        sp = ts->ss_sp + ts->ss_size;
    }
    sp -= 576 + 4; /* XSAVE area (x87 + SSE) and FP_XSTATE_MAGIC2 */
    sp &= ~63ULL;
    fpstate = sp;
    sp -= sizeof(TargetRtSigframe);
    sp = (sp & ~15ULL) - 8;
    f = (TargetRtSigframe *)sp;

    cpu_x86_fxsave(env, (void *)fpstate);
    {
        /*
         * XSAVE is enabled (XCR0 = x87|SSE), so, as Linux does, the frame
         * holds an XSAVE image: FXSAVE area whose software-reserved bytes
         * describe it (struct _fpx_sw_bytes), the XSAVE header, MAGIC2.
         */
        uint8_t *fp = (uint8_t *)fpstate;
        *(uint32_t *)(fp + 464) = 0x46505853; /* FP_XSTATE_MAGIC1 */
        *(uint32_t *)(fp + 468) = 576 + 4;    /* extended_size */
        *(uint64_t *)(fp + 472) = 3;          /* xfeatures */
        *(uint32_t *)(fp + 480) = 576;        /* xstate_size */
        memset(fp + 484, 0, 28);
        memset(fp + 512, 0, 64);
        *(uint64_t *)(fp + 512) = 3;          /* XSTATE_BV */
        *(uint32_t *)(fp + 576) = 0x46505845; /* FP_XSTATE_MAGIC2 */
    }
    memset(f, 0, sizeof(*f));
    f->pretcode = ka->restorer;
    /* UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */
    f->uc.uc_flags = 0x7;
    f->uc.uc_link = 0;
    f->uc.ss_sp = ts->ss_sp;
    f->uc.ss_flags = ts->ss_size == 0                     ? K_SS_DISABLE
                     : on_sig_stack(ts, env->regs[R_ESP]) ? K_SS_ONSTACK
                                                          : 0;
    f->uc.ss_size = ts->ss_size;
    TargetSigcontext *mc = &f->uc.mc;
    mc->r8 = env->regs[8];
    mc->r9 = env->regs[9];
    mc->r10 = env->regs[10];
    mc->r11 = env->regs[11];
    mc->r12 = env->regs[12];
    mc->r13 = env->regs[13];
    mc->r14 = env->regs[14];
    mc->r15 = env->regs[15];
    mc->rdi = env->regs[R_EDI];
    mc->rsi = env->regs[R_ESI];
    mc->rbp = env->regs[R_EBP];
    mc->rbx = env->regs[R_EBX];
    mc->rdx = env->regs[R_EDX];
    mc->rax = env->regs[R_EAX];
    mc->rcx = env->regs[R_ECX];
    mc->rsp = env->regs[R_ESP];
    mc->rip = env->rip;
    mc->eflags = cpu_compute_eflags(env);
    mc->cs = 0x33;
    mc->ss = 0x2b;
    mc->trapno = env->exception_index;
    mc->err = env->error_code;
    mc->cr2 = env->cr[2];
    mc->oldmask = ts->sigmask;
    mc->fpstate = fpstate;
    f->uc.sigmask = ts->sigmask;
    memcpy(f->info, info, sizeof(f->info));

    env->regs[R_EDI] = sig;
    env->regs[R_ESI] = (uint64_t)f->info;
    env->regs[R_EDX] = (uint64_t)&f->uc;
    env->regs[R_EAX] = 0;
    env->regs[R_ESP] = sp;
    env->rip = ka->handler;
    env->df = 1;
    /* The handler starts with a fresh FPU/SSE control state, as on Linux;
     * sigreturn restores the saved one from the frame. */
    env->mxcsr = 0x1f80;
    x86_mxcsr_to_host(env);
    env->fpuc = 0x37f;
    env->fpus = 0;
    env->fpstt = 0;
    memset(env->fptags, 1, sizeof(env->fptags));
    /* The kernel clears DF, TF and RF for the handler. */
    cpu_load_eflags(env, cpu_compute_eflags(env) & ~(DF_MASK | TF_MASK), ~0ULL);
}

int64_t do_rt_sigreturn(CPUX86State *env)
{
    TaskState *ts = thread_task_state();
    TargetRtSigframe *f = (TargetRtSigframe *)(env->regs[R_ESP] - 8);
    TargetSigcontext *mc = &f->uc.mc;

    env->regs[8] = mc->r8;
    env->regs[9] = mc->r9;
    env->regs[10] = mc->r10;
    env->regs[11] = mc->r11;
    env->regs[12] = mc->r12;
    env->regs[13] = mc->r13;
    env->regs[14] = mc->r14;
    env->regs[15] = mc->r15;
    env->regs[R_EDI] = mc->rdi;
    env->regs[R_ESI] = mc->rsi;
    env->regs[R_EBP] = mc->rbp;
    env->regs[R_EBX] = mc->rbx;
    env->regs[R_EDX] = mc->rdx;
    env->regs[R_EAX] = mc->rax;
    env->regs[R_ECX] = mc->rcx;
    env->regs[R_ESP] = mc->rsp;
    env->rip = mc->rip;
    /* User-changeable flags: CF PF AF ZF SF TF DF OF AC RF NT */
    cpu_load_eflags(env, mc->eflags, 0x254dd5ULL);
    if (mc->fpstate) {
        cpu_x86_fxrstor(env, (void *)mc->fpstate);
    }
    ts->sigmask = f->uc.sigmask & ~UNBLOCKABLE;
    host_set_mask(ts->sigmask);
    signal_rearm_sync(ts);
    /* restore_altstack(): like sigaltstack(&uc->uc_stack, NULL) */
    if (!(ts->ss_size && on_sig_stack(ts, env->regs[R_ESP]))) {
        if (f->uc.ss_flags & K_SS_DISABLE) {
            ts->ss_sp = 0;
            ts->ss_size = 0;
        } else if (f->uc.ss_size >= K_MINSIGSTKSZ) {
            ts->ss_sp = f->uc.ss_sp;
            ts->ss_size = f->uc.ss_size;
        }
    }
    return -QEMU_ESIGRETURN;
}

/* Default action of a signal: true when it terminates the process. */
static bool default_is_ignore(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

static void deliver_signal(CPUX86State *env, TaskState *ts, int sig,
                           siginfo_t *info, bool sync)
{
    KernelSigaction *ka = &guest_actions[sig];

    if (do_strace) {
        fprintf(
            stderr,
            "--- SIG%s {si_signo=%d, si_code=%d, si_addr=%p} rip=%llx ---\n",
            sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", sig, info->si_code,
            info->si_addr, (unsigned long long)env->rip);
    }
    if (ka->handler == (uint64_t)SIG_DFL ||
        (sync &&
         ((ts->sigmask & SIGBIT(sig)) || ka->handler == (uint64_t)SIG_IGN))) {
        if (!sync && default_is_ignore(sig)) {
            return;
        }
        if (!sync && (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) {
            host_syscall6(SYS_kill, getpid(), SIGSTOP, 0, 0, 0, 0);
            return;
        }
        dump_core_and_abort(sig);
    }
    if (ka->handler == (uint64_t)SIG_IGN) {
        return;
    }
    setup_rt_frame(env, sig, ka, info, ts);
    uint64_t nm = ts->sigmask | ka->mask;
    if (!(ka->flags & K_SA_NODEFER)) {
        nm |= SIGBIT(sig);
    }
    if (ka->flags & K_SA_RESETHAND) {
        ka->handler = (uint64_t)SIG_DFL;
        if (!is_sync_signal(sig)) {
            host_set_action(sig, SIG_DFL);
        }
    }
    ts->sigmask = nm & ~UNBLOCKABLE;
    host_set_mask(ts->sigmask);
}

void process_pending_signals(CPUX86State *env)
{
    TaskState *ts = thread_task_state();
    int sig;

    while (ts->signal_pending) {
        ts->signal_pending = 0;
        if (ts->sync_signal.pending) {
            ts->sync_signal.pending = false;
            deliver_signal(env, ts, ts->sync_signal.info.si_signo,
                           &ts->sync_signal.info, true);
        }
        for (sig = 1; sig <= TARGET_NSIG; sig++) {
            if (ts->sigtab[sig].pending) {
                if (ts->sigmask & SIGBIT(sig)) {
                    if (is_sync_signal(sig)) {
                        /*
                         * kill()ed SIGSEGV & co: the host never blocks
                         * them, so keep it here until the guest unblocks
                         * it (sigprocmask, sigreturn re-arm the check).
                         */
                        continue;
                    }
                    /* Blocked meanwhile: hand it back to the kernel. */
                    ts->sigtab[sig].pending = false;
                    host_syscall6(SYS_rt_tgsigqueueinfo, getpid(), ts->tid, sig,
                                  (long)&ts->sigtab[sig].info, 0, 0);
                    continue;
                }
                ts->sigtab[sig].pending = false;
                deliver_signal(env, ts, sig, &ts->sigtab[sig].info, false);
                /* One frame at a time keeps the nesting like the kernel. */
                if (ts->signal_pending == 0) {
                    for (int s2 = sig + 1; s2 <= TARGET_NSIG; s2++) {
                        if (ts->sigtab[s2].pending) {
                            ts->signal_pending = 1;
                        }
                    }
                }
                break;
            }
        }
    }
}
