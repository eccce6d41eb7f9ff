/*
 * Unmasked SSE floating-point exceptions: with a mask bit of MXCSR clear,
 * the faulting instruction raises #XM, which Linux delivers as SIGFPE with
 * the si_code of the exception and si_addr = the instruction; MXCSR keeps
 * the exception's flag.  Scalar (DIVSD, SQRTSD) and packed (DIVPD) forms.
 * Not in GUEST_PROGRAMS: qemu-system-x86_64 does not take host SIMD
 * exceptions yet (target/x86/BUGS-helpers.md).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

extern char divsd_here[], sqrtsd_here[], divpd_here[];
static volatile int got, code;
static volatile uintptr_t addr;

static void h_fpe(int sig, siginfo_t *si, void *puc)
{
    ucontext_t *uc = puc;
    got = sig;
    code = si->si_code;
    addr = (uintptr_t)si->si_addr;
    uc->uc_mcontext.gregs[REG_RIP] += 4; /* all three are 4 bytes */
}

int main(void)
{
    struct sigaction sa;
    unsigned saved, csr, after;
    double one[2] = {1.0, 2.0}, zero[2] = {0.0, 0.0}, minus = -1.0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = h_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, NULL);
    __asm__ volatile("stmxcsr %0" : "=m"(saved));

    csr = (saved & ~0x200u) & ~0x3fu; /* divide-by-zero unmasked */
    __asm__ volatile("ldmxcsr %[c]\n\t"
                     "movsd %[o], %%xmm0\n\t"
                     "movsd %[z], %%xmm1\n"
                     "divsd_here: divsd %%xmm1, %%xmm0\n\t"
                     "stmxcsr %[a]\n\t"
                     "ldmxcsr %[s]"
                     : [a] "=m"(after)
                     : [c] "m"(csr), [s] "m"(saved), [o] "m"(one[0]),
                       [z] "m"(zero[0])
                     : "xmm0", "xmm1", "memory");
    printf("divsd: sig=%d code=%d addr-ok=%d mxcsr=%x\n", got, code,
           addr == (uintptr_t)divsd_here, after);

    got = 0;
    csr = (saved & ~0x80u) & ~0x3fu; /* invalid unmasked */
    __asm__ volatile("ldmxcsr %[c]\n\t"
                     "movsd %[m], %%xmm1\n"
                     "sqrtsd_here: sqrtsd %%xmm1, %%xmm0\n\t"
                     "stmxcsr %[a]\n\t"
                     "ldmxcsr %[s]"
                     : [a] "=m"(after)
                     : [c] "m"(csr), [s] "m"(saved), [m] "m"(minus)
                     : "xmm0", "xmm1", "memory");
    printf("sqrtsd: sig=%d code=%d addr-ok=%d mxcsr=%x\n", got, code,
           addr == (uintptr_t)sqrtsd_here, after);

    got = 0;
    csr = (saved & ~0x200u) & ~0x3fu;
    __asm__ volatile("ldmxcsr %[c]\n\t"
                     "movupd %[o], %%xmm0\n\t"
                     "movupd %[z], %%xmm1\n"
                     "divpd_here: divpd %%xmm1, %%xmm0\n\t"
                     "stmxcsr %[a]\n\t"
                     "ldmxcsr %[s]"
                     : [a] "=m"(after)
                     : [c] "m"(csr), [s] "m"(saved), [o] "m"(one),
                       [z] "m"(zero)
                     : "xmm0", "xmm1", "memory");
    printf("divpd: sig=%d code=%d addr-ok=%d mxcsr=%x\n", got, code,
           addr == (uintptr_t)divpd_here, after);

    /* masked again: no signal, the flag only */
    got = 0;
    __asm__ volatile("movsd %[o], %%xmm0\n\t"
                     "movsd %[z], %%xmm1\n\t"
                     "divsd %%xmm1, %%xmm0\n\t"
                     "stmxcsr %[a]\n\t"
                     "ldmxcsr %[s]"
                     : [a] "=m"(after)
                     : [s] "m"(saved), [o] "m"(one[0]), [z] "m"(zero[0])
                     : "xmm0", "xmm1", "memory");
    printf("masked: sig=%d mxcsr=%x\n", got, after);
    return 0;
}
