/*
 * Lazy flags: helper_cc_compute_all() against the host CPU.  For each
 * operation, size and operand pair, the same instruction runs on the host
 * and the EFLAGS it produced (the defined bits) must equal what the lazy
 * evaluation computes from (cc_op, cc_dst, cc_src, cc_src2) as the
 * translator fills them.  Also checks the CPUID model against what the
 * translator implements.
 */
#include <glib.h>
#include <stdint.h>

#include "target/x86/cpu.h"
#include "target/x86/helper.h"

static const uint64_t vals[] = {
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000ULL,
    0x7fffffffffffffffULL,
    0x8000000000000000ULL,
    0xffffffffffffffffULL,
    0x123456789abcdef0ULL,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

#define HOST_OP(insn, sfx, reg, type, a, b, cin, res, fl)                      \
    do {                                                                       \
        type r_ = (type)(a);                                                   \
        uint64_t f_;                                                           \
        __asm__("cmp $1, %3\n\tcmc\n\t" insn sfx " %2, %0\n\tpushfq\n\t"       \
                "popq %1"                                                      \
                : "+" reg(r_), "=r"(f_)                                        \
                : reg((type)(b)), "r"((uint64_t)(cin))                         \
                : "cc");                                                       \
        res = r_;                                                              \
        fl = f_;                                                               \
    } while (0)

#define ALL_SIZES(insn, ot, a, b, cin, res, fl)                                \
    do {                                                                       \
        switch (ot) {                                                          \
        case 0:                                                                \
            HOST_OP(insn, "b", "q", uint8_t, a, b, cin, res, fl);              \
            break;                                                             \
        case 1:                                                                \
            HOST_OP(insn, "w", "r", uint16_t, a, b, cin, res, fl);             \
            break;                                                             \
        case 2:                                                                \
            HOST_OP(insn, "l", "r", uint32_t, a, b, cin, res, fl);             \
            break;                                                             \
        default:                                                               \
            HOST_OP(insn, "q", "r", uint64_t, a, b, cin, res, fl);             \
            break;                                                             \
        }                                                                      \
    } while (0)

static uint64_t mask_of(int ot)
{
    return ot == 3 ? ~0ULL : (1ULL << (8 << ot)) - 1;
}

static void test_arith(void)
{
    unsigned i, j, ot, cin;

    for (ot = 0; ot < 4; ot++) {
        uint64_t m = mask_of(ot);
        for (i = 0; i < NV; i++) {
            for (j = 0; j < NV; j++) {
                uint64_t a = vals[i] & m, b = vals[j] & m, r, f, lazy;
                ALL_SIZES("add", ot, a, b, 0, r, f);
                lazy = helper_cc_compute_all(a + b, b, 0, CC_OP_ADDB + ot);
                g_assert_cmphex(lazy, ==, f & CC_ALL);
                ALL_SIZES("sub", ot, a, b, 0, r, f);
                lazy = helper_cc_compute_all(a - b, b, 0, CC_OP_SUBB + ot);
                g_assert_cmphex(lazy, ==, f & CC_ALL);
                ALL_SIZES("and", ot, a, b, 0, r, f);
                lazy = helper_cc_compute_all(a & b, 0, 0, CC_OP_LOGICB + ot);
                g_assert_cmphex(lazy, ==, f & (CC_ALL & ~CC_A));
                for (cin = 0; cin < 2; cin++) {
                    ALL_SIZES("adc", ot, a, b, cin, r, f);
                    lazy = helper_cc_compute_all(a + b + cin, b, cin,
                                                 CC_OP_ADCB + ot);
                    g_assert_cmphex(lazy, ==, f & CC_ALL);
                    g_assert_cmphex(r & m, ==, (a + b + cin) & m);
                    ALL_SIZES("sbb", ot, a, b, cin, r, f);
                    lazy = helper_cc_compute_all(a - b - cin, b, cin,
                                                 CC_OP_SBBB + ot);
                    g_assert_cmphex(lazy, ==, f & CC_ALL);
                }
            }
        }
    }
}

static void test_incdec_shift(void)
{
    unsigned i, c;

    for (i = 0; i < NV; i++) {
        uint64_t a = vals[i], f, r;
        for (c = 0; c < 2; c++) {
            __asm__("cmp $1, %2\n\tcmc\n\tincq %0\n\tpushfq\n\tpopq %1"
                    : "=r"(r), "=r"(f)
                    : "r"((uint64_t)c), "0"(a)
                    : "cc");
            g_assert_cmphex(helper_cc_compute_all(a + 1, c, 0, CC_OP_INCQ), ==,
                            f & CC_ALL);
            __asm__("cmp $1, %2\n\tcmc\n\tdecl %k0\n\tpushfq\n\tpopq %1"
                    : "=r"(r), "=r"(f)
                    : "r"((uint64_t)c), "0"(a)
                    : "cc");
            g_assert_cmphex(
                helper_cc_compute_all((uint32_t)(a - 1), c, 0, CC_OP_DECL), ==,
                f & CC_ALL);
        }
        /* SHL by 1: src = value shifted by count-1 = a */
        __asm__("shlq $1, %0\n\tpushfq\n\tpopq %1"
                : "=r"(r), "=r"(f)
                : "0"(a)
                : "cc");
        g_assert_cmphex(helper_cc_compute_all(a << 1, a, 0, CC_OP_SHLQ), ==,
                        f & (CC_ALL & ~CC_A));
        /* SAR by 1 */
        __asm__("sarq $1, %0\n\tpushfq\n\tpopq %1"
                : "=r"(r), "=r"(f)
                : "0"(a)
                : "cc");
        g_assert_cmphex(
            helper_cc_compute_all((int64_t)a >> 1, a, 0, CC_OP_SARQ), ==,
            f & (CC_ALL & ~CC_A));
    }
}

static void test_cpuid_model(void)
{
    CPUX86State env;
    uint32_t a, b, c, d;

    cpu_x86_reset(&env);
    g_assert_true(cpu_x86_select_model("max"));
    cpu_x86_cpuid(&env, 1, 0, &a, &b, &c, &d);
    g_assert_true(d & (1u << 26));  /* SSE2 */
    g_assert_true(c & (1u << 20));  /* SSE4.2 */
    g_assert_false(c & (1u << 28)); /* no AVX */
    g_assert_true(c & (1u << 27));  /* OSXSAVE: XGETBV gives XCR0 = 3 */
    g_assert_true(c & (1u << 26));  /* XSAVE */
    cpu_x86_cpuid(&env, 0xd, 0, &a, &b, &c, &d);
    g_assert_cmpuint(a, ==, 3); /* x87 | SSE, no AVX state */
    g_assert_cmpuint(c, ==, 576);
    cpu_x86_cpuid(&env, 1, 0, &a, &b, &c, &d);
    cpu_x86_cpuid(&env, 7, 0, &a, &b, &c, &d);
    g_assert_false(b & (1u << 5));  /* no AVX2 */
    g_assert_true(b & (1u << 3));   /* BMI1 */
    g_assert_false(b & (1u << 16)); /* no AVX-512 */
    g_assert_true(cpu_x86_select_model("qemu64"));
    cpu_x86_cpuid(&env, 1, 0, &a, &b, &c, &d);
    g_assert_false(c & (1u << 20));
    g_assert_false(cpu_x86_select_model("nosuch"));
    g_assert_true(cpu_x86_select_model("max"));
}

static void test_eflags_roundtrip(void)
{
    CPUX86State env;

    cpu_x86_reset(&env);
    cpu_load_eflags(&env, CC_C | CC_Z | DF_MASK | AC_MASK, ~0ULL);
    g_assert_cmphex(cpu_compute_eflags(&env) & (CC_ALL | DF_MASK | AC_MASK), ==,
                    CC_C | CC_Z | DF_MASK | AC_MASK);
    g_assert_cmpint(env.df, ==, -1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86/cc/arith", test_arith);
    g_test_add_func("/x86/cc/incdec-shift", test_incdec_shift);
    g_test_add_func("/x86/cpuid/model", test_cpuid_model);
    g_test_add_func("/x86/eflags/roundtrip", test_eflags_roundtrip);
    return g_test_run();
}
