/*
 * Unmasked SSE floating-point exceptions: with a mask bit of MXCSR clear,
 * the faulting instruction raises #XM, which Linux delivers as SIGFPE with
 * the si_code of the exception and si_addr = the instruction; MXCSR keeps
 * the exception's flag.  Scalar (DIVSD, SQRTSD) and packed (DIVPD) forms,
 * conversions (CVTSD2SI, CVTSI2SS, CVTPD2PI) and COMISD.  Run natively, by
 * qemu-x86_64 and in a Linux guest of qemu-system-x86_64 (#XM there).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

extern char divsd_here[], sqrtsd_here[], divpd_here[];
extern char cvtsd2si_here[], cvtsi2ss_here[], cvtpd2pi_here[], comisd_here[];
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

    /* conversions and compares (4-byte encodings, no REX) */
    {
        double nan = __builtin_nan(""), d[2] = {__builtin_nan(""), 1.0};
        int big = 0x1000001, r = 0x55;

        got = 0;
        csr = (saved & ~0x80u) & ~0x3fu; /* invalid unmasked */
        __asm__ volatile("ldmxcsr %[c]\n\t"
                         "movsd %[n], %%xmm1\n\t"
                         "movl $0x55, %%eax\n"
                         "cvtsd2si_here: cvtsd2si %%xmm1, %%eax\n\t"
                         "movl %%eax, %[r]\n\t"
                         "stmxcsr %[a]\n\t"
                         "ldmxcsr %[s]"
                         : [a] "=m"(after), [r] "=m"(r)
                         : [c] "m"(csr), [s] "m"(saved), [n] "m"(nan)
                         : "eax", "xmm1", "memory");
        printf("cvtsd2si: sig=%d code=%d addr-ok=%d mxcsr=%x eax=%x\n", got,
               code, addr == (uintptr_t)cvtsd2si_here, after, r);

        got = 0;
        __asm__ volatile("ldmxcsr %[c]\n\t"
                         "movsd %[n], %%xmm1\n\t"
                         "movsd %[n], %%xmm0\n"
                         "comisd_here: comisd %%xmm1, %%xmm0\n\t"
                         "stmxcsr %[a]\n\t"
                         "ldmxcsr %[s]"
                         : [a] "=m"(after)
                         : [c] "m"(csr), [s] "m"(saved), [n] "m"(nan)
                         : "xmm0", "xmm1", "memory", "cc");
        printf("comisd: sig=%d code=%d addr-ok=%d mxcsr=%x\n", got, code,
               addr == (uintptr_t)comisd_here, after);

        got = 0;
        __asm__ volatile("ldmxcsr %[c]\n\t"
                         "movupd %[d], %%xmm1\n"
                         "cvtpd2pi_here: cvtpd2pi %%xmm1, %%mm0\n\t"
                         "stmxcsr %[a]\n\t"
                         "ldmxcsr %[s]\n\t"
                         "emms"
                         : [a] "=m"(after)
                         : [c] "m"(csr), [s] "m"(saved), [d] "m"(d)
                         : "xmm1", "mm0", "memory");
        printf("cvtpd2pi: sig=%d code=%d addr-ok=%d mxcsr=%x\n", got, code,
               addr == (uintptr_t)cvtpd2pi_here, after);

        got = 0;
        csr = (saved & ~0x1000u) & ~0x3fu; /* precision unmasked */
        __asm__ volatile("ldmxcsr %[c]\n\t"
                         "movl %[b], %%eax\n\t"
                         "xorps %%xmm0, %%xmm0\n"
                         "cvtsi2ss_here: cvtsi2ss %%eax, %%xmm0\n\t"
                         "stmxcsr %[a]\n\t"
                         "ldmxcsr %[s]"
                         : [a] "=m"(after)
                         : [c] "m"(csr), [s] "m"(saved), [b] "m"(big)
                         : "eax", "xmm0", "memory");
        printf("cvtsi2ss: sig=%d code=%d addr-ok=%d mxcsr=%x\n", got, code,
               addr == (uintptr_t)cvtsi2ss_here, after);
    }

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
