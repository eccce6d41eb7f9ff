/*
 * Legacy SSE m128 operands: misaligned ones raise #GP(0) -> SIGSEGV with
 * si_code SI_KERNEL and si_addr 0 (SDM vol. 1 11.6.7), except MOVUPS/
 * MOVUPD/MOVDQU/LDDQU, PCMPxSTRx, MASKMOVDQU and the 64/32-bit forms;
 * a faulting store leaves memory unchanged.  Each case starts from
 * xmm0 = 0, xmm1 = all ones.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf jb;
static volatile int sig, code;
static volatile void *addr;

static void handler(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    sig = s;
    code = si->si_code;
    addr = si->si_addr;
    siglongjmp(jb, 1);
}

static unsigned char buf[96] __attribute__((aligned(16)));

#define TRY(name, insn, ...)                                                   \
    do {                                                                       \
        sig = 0;                                                               \
        if (!sigsetjmp(jb, 1)) {                                               \
            __asm__ volatile(                                                  \
                "pxor %%xmm0, %%xmm0\n\tpcmpeqb %%xmm1, %%xmm1\n\t" insn       \
                :                                                              \
                : __VA_ARGS__                                                  \
                : "xmm0", "xmm1", "mm0", "memory", "cc", "eax", "ecx", "edx"); \
        }                                                                      \
        printf("%-22s %s", name, sig ? "SIGSEGV" : "ok");                      \
        if (sig) {                                                             \
            printf(" code=%d addr=%p", code, (void *)addr);                    \
        }                                                                      \
        printf("\n");                                                          \
    } while (0)

int main(void)
{
    struct sigaction sa;
    unsigned char *a = buf + 16, *m = buf + 20, *m8 = buf + 24;
    unsigned sum = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    for (int i = 0; i < 96; i++) {
        buf[i] = (unsigned char)(i * 7 + 1);
    }

    /* aligned: all fine */
    TRY("movaps aligned", "movaps (%0), %%xmm0", "r"(a));
    TRY("movdqa st aligned", "movdqa %%xmm0, (%0)", "r"(a));
    TRY("addps aligned", "addps (%0), %%xmm0", "r"(a));
    /* misaligned m128: #GP */
    TRY("movaps", "movaps (%0), %%xmm0", "r"(m));
    TRY("movapd", "movapd (%0), %%xmm0", "r"(m));
    TRY("movdqa", "movdqa (%0), %%xmm0", "r"(m));
    TRY("movaps st", "movaps %%xmm1, (%0)", "r"(m));
    TRY("movdqa st", "movdqa %%xmm1, (%0)", "r"(m));
    TRY("movntdq", "movntdq %%xmm1, (%0)", "r"(m));
    TRY("movntps", "movntps %%xmm1, (%0)", "r"(m));
    TRY("addps", "addps (%0), %%xmm0", "r"(m));
    TRY("mulpd", "mulpd (%0), %%xmm0", "r"(m));
    TRY("pxor", "pxor (%0), %%xmm0", "r"(m));
    TRY("paddd", "paddd (%0), %%xmm0", "r"(m));
    TRY("pshufd", "pshufd $0x1b, (%0), %%xmm0", "r"(m));
    TRY("movsldup", "movsldup (%0), %%xmm0", "r"(m));
    TRY("pshufb", "pshufb (%0), %%xmm0", "r"(m));
    TRY("ptest", "ptest (%0), %%xmm0", "r"(m));
    TRY("roundps", "roundps $1, (%0), %%xmm0", "r"(m));
    TRY("cvtpd2pi", "cvtpd2pi (%0), %%mm0\n\temms", "r"(m));
    TRY("cvtps2pd m64 (8-byte)", "cvtps2pd (%0), %%xmm0", "r"(m));
    /* no alignment needed */
    TRY("movups", "movups (%0), %%xmm0", "r"(m));
    TRY("movupd st", "movupd %%xmm1, (%0)", "r"(m));
    TRY("movdqu", "movdqu (%0), %%xmm0", "r"(m));
    TRY("movdqu st", "movdqu %%xmm1, (%0)", "r"(m));
    TRY("lddqu", "lddqu (%0), %%xmm0", "r"(m));
    TRY("pcmpestri",
        "movl $4, %%eax\n\tmovl $4, %%edx\n\t"
        "pcmpestri $0, (%0), %%xmm0",
        "r"(m));
    TRY("movsd m64", "movsd (%0), %%xmm0", "r"(m));
    TRY("addsd m64", "addsd (%0), %%xmm0", "r"(m8 + 1));
    TRY("movq m64", "movq (%0), %%xmm0", "r"(m + 1));
    TRY("pmovzxbw m64", "pmovzxbw (%0), %%xmm0", "r"(m + 3));
    TRY("maskmovdqu", "pcmpeqb %%xmm1, %%xmm1\n\tmaskmovdqu %%xmm1, %%xmm0",
        "D"(m + 1));

    /* the faulting stores above wrote nothing */
    for (int i = 0; i < 96; i++) {
        sum = sum * 31 + buf[i];
    }
    printf("buffer sum %08x\n", sum);
    return 0;
}
