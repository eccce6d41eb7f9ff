/*
 * Lazy flags: EFLAGS arithmetic bits from (cc_op, cc_dst, cc_src, cc_src2)
 * as described for each CCOp in cpu.h (SDM vol. 1 appendix A, EFLAGS
 * cross-reference).
 */
#include "target/x86/cpu.h"
#include "target/x86/helper.h"

static inline uint64_t szp(uint64_t d, unsigned bits)
{
    uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    uint64_t f = __builtin_parity(d & 0xff) ? 0 : CC_P;

    d &= mask;
    if (d == 0) {
        f |= CC_Z;
    }
    if ((d >> (bits - 1)) & 1) {
        f |= CC_S;
    }
    return f;
}

static inline uint64_t sign_of(uint64_t v, unsigned bits)
{
    return (v >> (bits - 1)) & 1;
}

uint64_t helper_cc_compute_all(uint64_t dst, uint64_t src, uint64_t src2,
                               uint32_t op)
{
    unsigned bits, sz;
    uint64_t mask, d, s1, s2, cf, f;

    switch (op) {
    case CC_OP_EFLAGS:
        return src & CC_ALL;
    case CC_OP_CLR:
        return CC_Z | CC_P;
    case CC_OP_POPCNT:
        return src ? 0 : CC_Z;
    case CC_OP_DYNAMIC:
        return 0;
    default:
        break;
    }
    sz = cc_op_size(op);
    bits = 8 << sz;
    mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    d = dst & mask;
    switch ((op - CC_OP_MULB) >> 2) {
    case 0: /* MUL */
        /* Intel: ZF and AF are cleared, SF and PF follow the result */
        cf = src != 0;
        return (cf ? CC_C | CC_O : 0) | (szp(d, bits) & ~CC_Z);
    case 1: /* ADD */
        s2 = src & mask;
        s1 = (dst - src) & mask;
        cf = d < s2;
        f = szp(d, bits) | (cf ? CC_C : 0) | ((d ^ s1 ^ s2) & CC_A);
        if (sign_of((s1 ^ s2 ^ mask) & (s1 ^ d), bits)) {
            f |= CC_O;
        }
        return f;
    case 2: /* ADC */
        s2 = src & mask;
        s1 = (dst - src - src2) & mask;
        cf = src2 ? d <= s2 : d < s2;
        f = szp(d, bits) | (cf ? CC_C : 0) | ((d ^ s1 ^ s2) & CC_A);
        if (sign_of((s1 ^ s2 ^ mask) & (s1 ^ d), bits)) {
            f |= CC_O;
        }
        return f;
    case 3: /* SUB */
        s2 = src & mask;
        s1 = (dst + src) & mask;
        cf = s1 < s2;
        f = szp(d, bits) | (cf ? CC_C : 0) | ((d ^ s1 ^ s2) & CC_A);
        if (sign_of((s1 ^ s2) & (s1 ^ d), bits)) {
            f |= CC_O;
        }
        return f;
    case 4: /* SBB */
        s2 = src & mask;
        s1 = (dst + src + src2) & mask;
        cf = src2 ? s1 <= s2 : s1 < s2;
        f = szp(d, bits) | (cf ? CC_C : 0) | ((d ^ s1 ^ s2) & CC_A);
        if (sign_of((s1 ^ s2) & (s1 ^ d), bits)) {
            f |= CC_O;
        }
        return f;
    case 5: /* LOGIC */
        return szp(d, bits);
    case 6: /* INC */
        s1 = (d - 1) & mask;
        f = szp(d, bits) | (src ? CC_C : 0) | ((d ^ s1 ^ 1) & CC_A);
        if (d == (1ULL << (bits - 1))) {
            f |= CC_O;
        }
        return f;
    case 7: /* DEC */
        s1 = (d + 1) & mask;
        f = szp(d, bits) | (src ? CC_C : 0) | ((d ^ s1 ^ 1) & CC_A);
        if (d == (1ULL << (bits - 1)) - 1) {
            f |= CC_O;
        }
        return f;
    case 8: /* SHL */
        cf = sign_of(src, bits);
        f = szp(d, bits) | (cf ? CC_C : 0);
        if (sign_of(src ^ dst, bits)) {
            f |= CC_O;
        }
        return f;
    case 9: /* SAR/SHR */
        f = szp(d, bits) | (src & 1 ? CC_C : 0);
        if (sign_of(src ^ dst, bits)) {
            f |= CC_O;
        }
        return f;
    case 10: /* BMILG: PF and AF come out clear on Intel */
        return (szp(d, bits) & ~CC_P) | (src ? CC_C : 0);
    default:
        return 0;
    }
}
DEF_HELPER_INFO(cc_compute_all, TCG_CALL_NO_RWG_SE, HI_I64, 4, HI_I64, HI_I64,
                HI_I64, HI_I32);

uint64_t helper_cc_compute_c(uint64_t dst, uint64_t src, uint64_t src2,
                             uint32_t op)
{
    return helper_cc_compute_all(dst, src, src2, op) & CC_C;
}
DEF_HELPER_INFO(cc_compute_c, TCG_CALL_NO_RWG_SE, HI_I64, 4, HI_I64, HI_I64,
                HI_I64, HI_I32);
