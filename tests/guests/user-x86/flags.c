/*
 * Integer ALU results and EFLAGS (CF PF AF ZF SF OF) after each
 * operation, for a grid of operand values and all operand sizes.
 * Output is compared byte for byte with a native run.
 */
#include <stdint.h>
#include <stdio.h>

#define FLAGMASK 0x8d5UL

#define OP2(name, insn, sfx, reg, type)                                        \
    static void name(type a, type b)                                           \
    {                                                                          \
        unsigned long f;                                                       \
        type r = a;                                                            \
        __asm__ volatile(insn sfx " %2, %0\n\tpushfq\n\tpopq %1"               \
                         : "+" reg(r), "=r"(f)                                 \
                         : reg(b)                                              \
                         : "cc");                                              \
        printf(#name " %llx %llx -> %llx %03lx\n", (unsigned long long)a,      \
               (unsigned long long)b, (unsigned long long)r, f &FLAGMASK);     \
    }

#define ALL_SIZES(op)                                                          \
    OP2(op##b, #op, "b", "q", uint8_t)                                         \
    OP2(op##w, #op, "w", "r", uint16_t)                                        \
    OP2(op##l, #op, "l", "r", uint32_t)                                        \
    OP2(op##q, #op, "q", "r", uint64_t)

ALL_SIZES(add)
ALL_SIZES(sub)
ALL_SIZES(and)
ALL_SIZES(or)
ALL_SIZES(xor)
ALL_SIZES(cmp)
ALL_SIZES(test)
ALL_SIZES(imul)

/* Carry-in variants: set CF first with stc/clc. */
#define OPC(name, insn, type, reg)                                             \
    static void name(type a, type b, int c)                                    \
    {                                                                          \
        unsigned long f;                                                       \
        type r = a;                                                            \
        __asm__ volatile("cmp $1, %3\n\tcmc\n\t" insn                          \
                         " %2, %0\n\tpushfq\n\tpopq %1"                        \
                         : "+" reg(r), "=r"(f)                                 \
                         : reg(b), "r"(c)                                      \
                         : "cc");                                              \
        printf(#name " %d %llx %llx -> %llx %03lx\n", c,                       \
               (unsigned long long)a, (unsigned long long)b,                   \
               (unsigned long long)r, f &FLAGMASK);                            \
    }
OPC(adcb, "adcb", uint8_t, "q")
OPC(adcq, "adcq", uint64_t, "r")
OPC(sbbb, "sbbb", uint8_t, "q")
OPC(sbbl, "sbbl", uint32_t, "r")
OPC(sbbq, "sbbq", uint64_t, "r")

/* Shifts and rotates by CL (flags defined for count 1, kept for 0). */
#define SH(name, insn, type, reg)                                              \
    static void name(type a, unsigned char c)                                  \
    {                                                                          \
        unsigned long f;                                                       \
        type r = a;                                                            \
        __asm__ volatile("xor %%eax, %%eax\n\t" insn " %%cl, %0\n\t"           \
                         "pushfq\n\tpopq %1"                                   \
                         : "+" reg(r), "=r"(f)                                 \
                         : "c"(c)                                              \
                         : "cc", "rax");                                       \
        if (c != 1) {                                                          \
            f &= ~0x800UL; /* OF undefined for counts other than 1 */          \
        }                                                                      \
        if (c != 0) {                                                          \
            f &= ~0x10UL; /* AF undefined */                                   \
        }                                                                      \
        printf(#name " %llx %u -> %llx %03lx\n", (unsigned long long)a, c,     \
               (unsigned long long)r, f &FLAGMASK);                            \
    }
SH(shlb, "shlb", uint8_t, "q")
SH(shrw, "shrw", uint16_t, "r")
SH(sarl, "sarl", uint32_t, "r")
SH(shlq, "shlq", uint64_t, "r")
SH(shrq, "shrq", uint64_t, "r")
SH(sarq, "sarq", uint64_t, "r")
SH(rolb, "rolb", uint8_t, "q")
SH(rorw, "rorw", uint16_t, "r")
SH(roll, "roll", uint32_t, "r")
SH(rorq, "rorq", uint64_t, "r")
SH(rclb, "rclb", uint8_t, "q")
SH(rcrl, "rcrl", uint32_t, "r")
SH(rclq, "rclq", uint64_t, "r")

/* One-operand ops */
#define OP1(name, insn, type, reg)                                             \
    static void name(type a)                                                   \
    {                                                                          \
        unsigned long f;                                                       \
        type r = a;                                                            \
        __asm__ volatile("xor %%eax, %%eax\n\tstc\n\t" insn                    \
                         " %0\n\tpushfq\n\tpopq %1"                            \
                         : "+" reg(r), "=r"(f)                                 \
                         :                                                     \
                         : "cc", "rax");                                       \
        printf(#name " %llx -> %llx %03lx\n", (unsigned long long)a,           \
               (unsigned long long)r, f &FLAGMASK);                            \
    }
OP1(incb, "incb", uint8_t, "q")
OP1(incl, "incl", uint32_t, "r")
OP1(decw, "decw", uint16_t, "r")
OP1(decq, "decq", uint64_t, "r")
OP1(negb, "negb", uint8_t, "q")
OP1(negq, "negq", uint64_t, "r")
OP1(notl, "notl", uint32_t, "r")

static const uint64_t vals[] = {
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x7fffffffffffffffULL,
    0x8000000000000000ULL,
    0xffffffffffffffffULL,
    0x123456789abcdef0ULL,
    0xfedcba9876543210ULL,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

int main(void)
{
    unsigned i, j, c;

    for (i = 0; i < NV; i++) {
        for (j = 0; j < NV; j++) {
            uint64_t a = vals[i], b = vals[j];
            addb(a, b), addw(a, b), addl(a, b), addq(a, b);
            subb(a, b), subw(a, b), subl(a, b), subq(a, b);
            andb(a, b), andw(a, b), andl(a, b), andq(a, b);
            orb(a, b), orw(a, b), orl(a, b), orq(a, b);
            xorb(a, b), xorw(a, b), xorl(a, b), xorq(a, b);
            cmpb(a, b), cmpw(a, b), cmpl(a, b), cmpq(a, b);
            testb(a, b), testw(a, b), testl(a, b), testq(a, b);
            imulw(a, b), imull(a, b), imulq(a, b);
            for (c = 0; c < 2; c++) {
                adcb(a, b, c), adcq(a, b, c);
                sbbb(a, b, c), sbbl(a, b, c), sbbq(a, b, c);
            }
        }
        for (c = 0; c < 70; c += (c < 10 ? 1 : 7)) {
            shlb(vals[i], c), shrw(vals[i], c), sarl(vals[i], c);
            shlq(vals[i], c), shrq(vals[i], c), sarq(vals[i], c);
            rolb(vals[i], c), rorw(vals[i], c), roll(vals[i], c);
            rorq(vals[i], c), rclb(vals[i], c), rcrl(vals[i], c);
            rclq(vals[i], c);
        }
        incb(vals[i]), incl(vals[i]), decw(vals[i]), decq(vals[i]);
        negb(vals[i]), negq(vals[i]), notl(vals[i]);
    }
    return 0;
}
