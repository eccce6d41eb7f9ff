/* Signals: handlers with siginfo, faults (SIGSEGV/SIGFPE/SIGILL/SIGTRAP)
 * with si_addr and resumption through a modified ucontext, sigaltstack,
 * masks and pending signals, and SIGALRM interrupting a blocking read
 * with and without SA_RESTART. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static volatile uintptr_t fault_addr, fault_pc;
static volatile int fault_code, on_alt;
static char *altstack;
static int pipefd[2];
extern char ud2_here[], int3_after[], div_here[], segv_here[];

static void h_simple(int sig, siginfo_t *si, void *uc)
{
    got = sig * 100 + (si->si_code == SI_TKILL || si->si_code == SI_USER);
}

static void h_fault(int sig, siginfo_t *si, void *puc)
{
    ucontext_t *uc = puc;
    char here;
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    fault_pc = uc->uc_mcontext.gregs[REG_RIP];
    on_alt = &here >= altstack && &here < altstack + 65536;
    got = sig;
    /* skip the faulting insn: all of ours are 2 bytes (ud2, div, mov) */
    if (sig != SIGTRAP) {
        uc->uc_mcontext.gregs[REG_RIP] += 2;
    }
}

static void h_fpstate(int sig, siginfo_t *si, void *puc)
{
    ucontext_t *uc = puc;
    const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;
    unsigned magic1, xsize;

    memcpy(&magic1, fp + 464, 4);
    memcpy(&xsize, fp + 480, 4);
    printf("fpstate: fp-xstate %lu magic1 %x mxcsr %x fcw %x\n",
           uc->uc_flags & 1, magic1, uc->uc_mcontext.fpregs->mxcsr,
           uc->uc_mcontext.fpregs->cwd);
}

static void h_alarm(int sig)
{
    got = sig;
    if (write(pipefd[1], "!", 1) != 1) {
        _exit(9);
    }
}

static void alarm_read(int restart)
{
    struct sigaction sa;
    struct itimerval it = {{0, 0}, {0, 50000}};
    char c = 0;
    ssize_t n;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = h_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    got = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    n = read(pipefd[0], &c, 1);
    printf("read restart=%d -> n=%zd errno=%s c=%c got=%d\n", restart, n,
           n < 0 ? strerrorname_np(errno) : "-", c ? c : '-', got);
    if (n < 0) {
        if (read(pipefd[0], &c, 1) != 1) { /* drain the handler's byte */
            exit(8);
        }
    }
}

int main(void)
{
    struct sigaction sa;
    stack_t ss;
    sigset_t set, old;

    setvbuf(stdout, NULL, _IONBF, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = h_simple;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR1);
    printf("raise SIGUSR1 -> %d\n", got);

    /* masking and pending */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, &old);
    got = 0;
    kill(getpid(), SIGUSR2);
    sigpending(&set);
    printf("blocked: got=%d pending=%d\n", got, sigismember(&set, SIGUSR2));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: got=%d\n", got);

    /* alternate stack + faults */
    altstack = malloc(65536);
    ss.ss_sp = altstack;
    ss.ss_size = 65536;
    ss.ss_flags = 0;
    sigaltstack(&ss, NULL);
    sa.sa_sigaction = h_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);

    got = 0;
    __asm__ volatile("mov $0x1234, %%rax\n"
                     "segv_here: mov (%%rax), %%eax"
                     :
                     :
                     : "rax", "memory");
    printf("SIGSEGV got=%d addr=%lx code=%d pc-ok=%d alt=%d\n", got,
           (unsigned long)fault_addr, fault_code,
           fault_pc == (uintptr_t)segv_here, on_alt);
    got = 0;
    __asm__ volatile("xor %%ecx, %%ecx\n\tmov $5, %%eax\n\tcdq\n"
                     "div_here: idiv %%ecx"
                     :
                     :
                     : "rax", "rcx", "rdx", "cc");
    printf("SIGFPE got=%d code=%d addr-ok=%d alt=%d\n", got, fault_code,
           fault_addr == (uintptr_t)div_here, on_alt);
    got = 0;
    __asm__ volatile("ud2_here: ud2");
    printf("SIGILL got=%d code=%d addr-ok=%d\n", got, fault_code,
           fault_addr == (uintptr_t)ud2_here);
    got = 0;
    __asm__ volatile("int3\nint3_after:");
    printf("SIGTRAP got=%d pc-ok=%d\n", got, fault_pc == (uintptr_t)int3_after);

    /* SIGALRM during a blocking read */
    if (pipe(pipefd) != 0) {
        return 1;
    }
    alarm_read(1);
    alarm_read(0);

    /* the FPU/SSE state saved in the frame (MXCSR, FCW as set here) */
    sa.sa_sigaction = h_fpstate;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    {
        unsigned csr = 0x3f80, old;
        unsigned short cw = 0x27f, oldcw;
        __asm__ volatile("stmxcsr %0\n\tldmxcsr %1" : "=m"(old) : "m"(csr));
        __asm__ volatile("fnstcw %0\n\tfldcw %1" : "=m"(oldcw) : "m"(cw));
        raise(SIGUSR2);
        __asm__ volatile("ldmxcsr %0" : : "m"(old));
        __asm__ volatile("fldcw %0" : : "m"(oldcw));
    }

    /* a handler that blocks a signal while it runs (sa_mask) */
    sa.sa_sigaction = h_simple;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &sa);
    printf("resethand: now %s\n",
           sa.sa_handler == SIG_DFL ? "SIG_DFL" : "handler");
    return 0;
}
