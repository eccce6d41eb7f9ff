/*
 * Unmasked x87 exceptions (SDM vol. 1 8.6, 8.7): a division by zero with
 * FCW.ZM clear sets ZE, ES and B and does not fault itself; the next
 * waiting x87 instruction raises #MF before doing anything, which Linux
 * delivers as SIGFPE with FPE_FLTDIV and si_addr = that instruction.
 * No-wait instructions (FNSTSW) see the pending exception without a
 * fault; FWAIT takes it.  Then the C way: feenableexcept(FE_DIVBYZERO)
 * and 1.0L / 0.0L, leaving the handler with siglongjmp.  Run natively, by
 * qemu-x86_64 and in a Linux guest of qemu-system-x86_64.
 */
#define _GNU_SOURCE
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

extern char fld1_here[], fwait_here[];
static volatile int got, code, jump;
static volatile uintptr_t addr;
static volatile unsigned swd;
static sigjmp_buf jb;

static void h_fpe(int sig, siginfo_t *si, void *puc)
{
    ucontext_t *uc = puc;

    got = sig;
    code = si->si_code;
    addr = (uintptr_t)si->si_addr;
    swd = uc->uc_mcontext.fpregs->swd;
    if (jump) {
        siglongjmp(jb, 1);
    }
    /* clear the exception in the saved state: the insn runs again */
    uc->uc_mcontext.fpregs->swd &= ~0x80ffu;
}

/* 1 / 0 with ZM clear, then "next" (a waiting or no-wait insn) */
#define DIV_THEN(next, sw_out)                                                 \
    __asm__ volatile("fninit\n\t"                                              \
                     "fldcw %[cw]\n\t"                                         \
                     "fldz\n\t"                                                \
                     "fld1\n\t"                                                \
                     "fdiv %%st(1), %%st\n\t"                                  \
                     "fnstsw %%ax\n\t"                                         \
                     "movw %%ax, %[sw]\n\t" next "\n\t"                        \
                     "fninit"                                                  \
                     : [sw] "=m"(sw_out)                                       \
                     : [cw] "m"(cw_zm)                                         \
                     : "eax", "memory", "st", "st(1)", "st(2)")

int main(void)
{
    struct sigaction sa;
    static const uint16_t cw_zm = 0x37b; /* ZM (bit 2) clear */
    uint16_t sw = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = h_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, NULL);

    got = 0;
    DIV_THEN("fld1_here: fld1", sw);
    printf("fdiv: no fault, fnstsw=%04x\n", sw);
    printf("fld1: sig=%d code=%d addr-ok=%d swd=%04x\n", got, code,
           addr == (uintptr_t)fld1_here, swd);

    got = 0;
    DIV_THEN("fwait_here: fwait", sw);
    printf("fwait: sig=%d code=%d addr-ok=%d swd=%04x\n", got, code,
           addr == (uintptr_t)fwait_here, swd);

    got = 0;
    DIV_THEN("fnclex\n\tfld1", sw);
    printf("fnclex then fld1: sig=%d\n", got);

    /* masked: the flag only */
    got = 0;
    __asm__ volatile("fninit\n\t"
                     "fldz\n\t"
                     "fld1\n\t"
                     "fdiv %%st(1), %%st\n\t"
                     "fld1\n\t"
                     "fnstsw %%ax\n\t"
                     "movw %%ax, %[sw]\n\t"
                     "fninit"
                     : [sw] "=m"(sw)
                     :
                     : "eax", "memory", "st", "st(1)", "st(2)");
    printf("masked: sig=%d fnstsw=%04x\n", got, sw);

    /* C: the fault is at the insn after FDIV, the handler leaves */
    got = 0;
    jump = 1;
    if (!sigsetjmp(jb, 1)) {
        volatile long double one = 1.0L, zero = 0.0L, r;
        feenableexcept(FE_DIVBYZERO);
        r = one / zero;
        printf("C: no signal %d\n", (int)(r > 0));
    }
    jump = 0;
    printf("C: sig=%d code=%d swd-flags=%02x after: except=%x enabled=%x\n",
           got, code, swd & 0xff, fetestexcept(FE_ALL_EXCEPT), fegetexcept());
    return 0;
}
