/*
 * System mode: host SIMD and x87 exceptions on a vCPU thread.
 *
 * The SSE and x87 thunks (host-thunk.h) run the guest's instruction on
 * the host unit with the guest's MXCSR (and FCW), masks included, so an
 * unmasked SIMD exception that the guest asked for is a host #XM: SIGFPE
 * on the vCPU thread, taken before the destination is written and with
 * the exception's flags in the host MXCSR, exactly as the guest's CPU
 * leaves them (SDM vol. 1 11.5, vol. 3A 6.15 interrupt 19).  The handler
 * makes it the guest's: #XM with CR4.OSXMMEXCPT, #UD without, at the
 * instruction (restored from the thunk's return address into the TB at
 * (%rsp), or helper_retaddr for a thunk called from a C helper).  A host
 * #MF inside an x87 thunk (helper_x87 raises the guest's #MF before the
 * host could) is the guest's #MF the same way.
 *
 * A host #XM outside the thunks on a vCPU thread is the emulator's own
 * floating point running under the guest's unmasked MXCSR (device
 * models, glib): it is retried with every exception masked, which is
 * what that code expects, and the vCPU leaves its TB so that the next
 * cpu_exec loads the guest's MXCSR again (x86_cpu_exec_enter).
 * Anything else is not the guest's and goes to the previous handler
 * (chardev's terminal restore, or the default action).
 *
 * Usage: x86_fpexc_init() once before the vCPU threads run guest code.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "target/x86/host-thunk.h"
#include "target/x86/sys-cpu.h"
#include "target/x86/sys-internal.h"

#define TRAP_MF     16
#define TRAP_XM     19
#define MXCSR_MASKS 0x1f80u

static struct sigaction fpexc_old;

/* Not ours: what SIGFPE would have done without this handler. */
static void fpexc_chain(int sig, siginfo_t *info, void *puc)
{
    if (fpexc_old.sa_flags & SA_SIGINFO) {
        fpexc_old.sa_sigaction(sig, info, puc);
        return;
    }
    if (fpexc_old.sa_handler == SIG_IGN) {
        return;
    }
    if (fpexc_old.sa_handler != SIG_DFL) {
        fpexc_old.sa_handler(sig);
        return;
    }
    /* a fault happens again on return, now with the default action */
    signal(sig, SIG_DFL);
    if (info->si_code <= 0) {
        raise(sig); /* sent by kill(): delivered once unblocked */
    }
}

/*
 * The guest's exception for a host fault at a thunk instruction.  Does
 * not return when the fault is the guest's.
 */
static void fpexc_guest(CPUState *cs, ucontext_t *uc, long trap)
{
    CPUX86State *env = cs->env_ptr;
    uintptr_t ra = *(uintptr_t *)uc->uc_mcontext.gregs[REG_RSP];
    sigset_t fpe;
    int excp;

    /* a TB's call, else the C helper's helper_retaddr (cpu_restore_state) */
    if (!cpu_restore_state(cs, ra - 1)) {
        return;
    }
    if (trap == TRAP_XM) {
        env->mxcsr |= uc->uc_mcontext.fpregs->mxcsr & 0x3f;
        excp = (env->cr[4] & CR4_OSXMMEXCPT_MASK) ? EXCP13_XMM : EXCP06_ILLOP;
    } else {
        /* the insn did nothing: env's x87 state is the one it faulted on */
        excp = EXCP10_COPR;
    }
    helper_retaddr = 0;
    /*
     * The kernel gave this handler a fresh FPU state (MXCSR 0x1f80) and
     * siglongjmp keeps it: the guest's MXCSR goes back on the host.
     */
    x86_mxcsr_to_host(env);
    sigemptyset(&fpe);
    sigaddset(&fpe, SIGFPE);
    pthread_sigmask(SIG_UNBLOCK, &fpe, NULL);
    x86_raise_exception_ra(env, excp, 0);
}

static void fpexc_handler(int sig, siginfo_t *info, void *puc)
{
    ucontext_t *uc = puc;
    CPUState *cs = current_cpu;
    long trap = uc->uc_mcontext.gregs[REG_TRAPNO];

    if (info->si_code > 0 && cs && uc->uc_mcontext.fpregs &&
        (trap == TRAP_XM || trap == TRAP_MF)) {
        uintptr_t pc = uc->uc_mcontext.gregs[REG_RIP];

        if (x86_host_thunk_contains(pc)) {
            fpexc_guest(cs, uc, trap);
        } else if (trap == TRAP_XM && (uc->uc_mcontext.fpregs->mxcsr &
                                       MXCSR_MASKS) != MXCSR_MASKS) {
            /* the emulator's own code under the guest's MXCSR: retry */
            uc->uc_mcontext.fpregs->mxcsr |= MXCSR_MASKS;
            cpu_exit(cs);
            return;
        }
    }
    fpexc_chain(sig, info, puc);
}

static void fpexc_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fpexc_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, &fpexc_old);
}

void x86_fpexc_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, fpexc_install);
}

/*
 * cpu_exec entry: the host MXCSR is the guest's while guest code runs
 * (sse_helper.c); load it again in case something else ran on this
 * thread (a retried emulator exception above, a state load).
 */
void x86_cpu_exec_enter(CPUState *cs)
{
    x86_mxcsr_to_host(cs->env_ptr);
}
