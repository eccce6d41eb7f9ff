/* String instructions: MOVS/STOS/LODS/CMPS/SCAS in every size, with and
 * without REP/REPE/REPNE, forward and backward (DF), overlapping copies,
 * and the register state (RSI/RDI/RCX/flags) they leave. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned char buf[512];

static void dump(const char *what, const void *p, size_t n)
{
    const unsigned char *b = p;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum = sum * 31 + b[i];
    }
    printf("%-14s %08x\n", what, sum);
}

int main(void)
{
    uint64_t si, di, cx, ax;
    unsigned long f;
    unsigned i;

    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = i * 7 + 3;
    }
    /* forward rep movsb overlapping (byte-by-byte semantics) */
    si = (uint64_t)buf, di = (uint64_t)buf + 3, cx = 100;
    __asm__ volatile("cld\n\trep movsb"
                     : "+S"(si), "+D"(di), "+c"(cx)
                     :
                     : "memory");
    printf("movsb si+%lld di+%lld cx %llu\n", (long long)(si - (uint64_t)buf),
           (long long)(di - (uint64_t)buf), (unsigned long long)cx);
    dump("movsb-overlap", buf, sizeof(buf));
    /* backward rep movsq */
    si = (uint64_t)(buf + 200), di = (uint64_t)(buf + 256), cx = 20;
    __asm__ volatile("std\n\trep movsq\n\tcld"
                     : "+S"(si), "+D"(di), "+c"(cx)
                     :
                     : "memory");
    printf("movsq-back si %lld di %lld\n", (long long)(si - (uint64_t)buf),
           (long long)(di - (uint64_t)buf));
    dump("movsq-back", buf, sizeof(buf));
    /* stos in all sizes */
    di = (uint64_t)buf, cx = 33, ax = 0x1122334455667788ULL;
    __asm__ volatile("rep stosw" : "+D"(di), "+c"(cx) : "a"(ax) : "memory");
    di = (uint64_t)(buf + 100), cx = 7;
    __asm__ volatile("rep stosl" : "+D"(di), "+c"(cx) : "a"(ax) : "memory");
    di = (uint64_t)(buf + 200), cx = 5;
    __asm__ volatile("rep stosq" : "+D"(di), "+c"(cx) : "a"(ax) : "memory");
    dump("stos", buf, sizeof(buf));
    /* lods */
    si = (uint64_t)(buf + 10);
    ax = 0xffffffffffffffffULL;
    __asm__ volatile("lodsb\n\tlodsw" : "+S"(si), "+a"(ax));
    printf("lods ax %llx si %lld\n", (unsigned long long)ax,
           (long long)(si - (uint64_t)buf));
    /* repe cmpsb: find first difference */
    {
        char a[] = "hello, world: quasar emulator";
        char b[] = "hello, world: quasar emuLator";
        si = (uint64_t)a, di = (uint64_t)b, cx = sizeof(a);
        __asm__ volatile("repe cmpsb\n\tpushfq\n\tpopq %3"
                         : "+S"(si), "+D"(di), "+c"(cx), "=r"(f)
                         :
                         : "memory", "cc");
        printf("repe cmpsb at %lld cx %llu flags %03lx\n",
               (long long)(si - (uint64_t)a), (unsigned long long)cx,
               f & 0x8d5);
        /* repne scasb: strlen */
        di = (uint64_t)a, cx = ~0ULL;
        __asm__ volatile("repne scasb\n\tpushfq\n\tpopq %2"
                         : "+D"(di), "+c"(cx), "=r"(f)
                         : "a"(0)
                         : "memory", "cc");
        printf("repne scasb len %llu flags %03lx\n",
               (unsigned long long)(~cx - 1), f & 0x8d5);
        /* backward scasw */
        di = (uint64_t)(a + 20), cx = 10;
        __asm__ volatile("std\n\trepne scasw\n\tpushfq\n\tpopq %2\n\tcld"
                         : "+D"(di), "+c"(cx), "=r"(f)
                         : "a"(0x6c6c)
                         : "memory", "cc");
        printf("repne scasw back di %lld cx %llu flags %03lx\n",
               (long long)(di - (uint64_t)a), (unsigned long long)cx,
               f & 0x8d5);
        /* cmpsq with rcx = 0 does nothing, flags unchanged */
        si = (uint64_t)a, di = (uint64_t)b, cx = 0;
        __asm__ volatile("xor %%eax, %%eax\n\trepe cmpsq\n\tpushfq\n\tpopq %3"
                         : "+S"(si), "+D"(di), "+c"(cx), "=r"(f)
                         :
                         : "memory", "cc", "rax");
        printf("cmpsq rcx=0 flags %03lx si %lld\n", f & 0x8d5,
               (long long)(si - (uint64_t)a));
    }
    /* 32-bit address size (67h): ecx counter */
    {
        static unsigned char low[64];
        uint64_t c64 = 0xffffffff00000004ULL;
        di = (uint64_t)low;
        if (di < 0x100000000ULL) {
            __asm__ volatile("addr32 rep stosb"
                             : "+D"(di), "+c"(c64)
                             : "a"(0x5a)
                             : "memory");
            printf("addr32 rep stos rcx %llx\n", (unsigned long long)c64);
        }
        dump("low", low, sizeof(low));
    }
    /* glibc's own string functions over many lengths and alignments */
    {
        static char s1[300], s2[300];
        unsigned acc = 0;
        for (i = 0; i < 300; i++) {
            s1[i] = 'a' + i % 26;
        }
        for (unsigned off = 0; off < 16; off++) {
            for (unsigned len = 0; len < 200; len += 7) {
                memset(s2, 0, sizeof(s2));
                memcpy(s2 + off, s1, len);
                memmove(s2 + off + 1, s2 + off, len);
                acc = acc * 33 + strlen(s2 + off + 1) +
                      (memcmp(s2 + off + 1, s1, len) != 0) +
                      (unsigned)(strchr(s2 + off + 1, 'q') != NULL) +
                      (unsigned)strspn(s2 + off + 1, "abcdef") +
                      (unsigned)strcspn(s2 + off + 1, "xyz");
            }
        }
        printf("libc strings %08x\n", acc);
    }
    return 0;
}
