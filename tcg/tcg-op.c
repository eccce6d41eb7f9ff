/*
 * IR builders (tcg/tcg-op.h).  Each typed builder is a thin wrapper over a
 * type-generic gen_<op>(type, ...) below; the immediate forms fold the
 * trivial cases (STYLE.md §9) and ops the host lacks are expanded here.
 */
#include <string.h>
#include "tcg/tcg-internal.h"
#include "tcg/tcg-op.h"
#include "util/log.h"

#define T(x)                                                                   \
    _Generic((x), TCGv_i32                                                     \
             : tcgv_i32_temp, TCGv_i64                                         \
             : tcgv_i64_temp, TCGv_ptr                                         \
             : tcgv_ptr_temp)(x)
#define A(t) temp_arg(t)

static TCGTemp *cst(TCGType t, int64_t v)
{
    return tcg_constant_internal(t, v);
}

static TCGTemp *tmp(TCGType t)
{
    return tcg_temp_new_internal(t, TEMP_EBB);
}

static void tfree(TCGTemp *t)
{
    tcg_temp_free_internal(t);
}

/* ---- generic emitters ------------------------------------------------- */

static void op2(TCGOpcode opc, TCGType t, TCGTemp *d, TCGTemp *a)
{
    tcg_emit_op2(opc, t, A(d), A(a));
}

static void op3(TCGOpcode opc, TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    tcg_emit_op3(opc, t, A(d), A(a), A(b));
}

static void gen_mov(TCGType t, TCGTemp *d, TCGTemp *a)
{
    if (d != a) {
        op2(INDEX_op_mov, t, d, a);
    }
}

static void gen_movi(TCGType t, TCGTemp *d, int64_t v)
{
    gen_mov(t, d, cst(t, v));
}

static void gen_add(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    op3(INDEX_op_add, t, d, a, b);
}

static void gen_addi(TCGType t, TCGTemp *d, TCGTemp *a, int64_t b)
{
    if (tcg_canon(t, b) == 0) {
        gen_mov(t, d, a);
    } else {
        gen_add(t, d, a, cst(t, b));
    }
}

static void gen_sub(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    op3(INDEX_op_sub, t, d, a, b);
}

static void gen_subi(TCGType t, TCGTemp *d, TCGTemp *a, int64_t b)
{
    /* canonical form: add of the negated constant */
    gen_addi(t, d, a, -(uint64_t)b);
}

static void gen_subfi(TCGType t, TCGTemp *d, int64_t a, TCGTemp *b)
{
    if (tcg_canon(t, a) == 0) {
        op2(INDEX_op_neg, t, d, b);
    } else {
        gen_sub(t, d, cst(t, a), b);
    }
}

static void gen_neg(TCGType t, TCGTemp *d, TCGTemp *a)
{
    op2(INDEX_op_neg, t, d, a);
}

static void gen_not(TCGType t, TCGTemp *d, TCGTemp *a)
{
    op2(INDEX_op_not, t, d, a);
}

static void gen_mul(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    op3(INDEX_op_mul, t, d, a, b);
}

static void gen_shifti(TCGOpcode opc, TCGType t, TCGTemp *d, TCGTemp *a,
                       int64_t b)
{
    g_assert(b >= 0 && b < tcg_type_bits(t));
    if (b == 0) {
        gen_mov(t, d, a);
    } else {
        op3(opc, t, d, a, cst(t, b));
    }
}

static void gen_muli(TCGType t, TCGTemp *d, TCGTemp *a, int64_t b)
{
    b = tcg_canon(t, b);
    if (b == 0) {
        gen_movi(t, d, 0);
    } else if (b == 1) {
        gen_mov(t, d, a);
    } else if (b > 0 && !(b & (b - 1))) {
        gen_shifti(INDEX_op_shl, t, d, a, __builtin_ctzll(b));
    } else {
        gen_mul(t, d, a, cst(t, b));
    }
}

static void gen_and(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    op3(INDEX_op_and, t, d, a, b);
}

static void gen_andi(TCGType t, TCGTemp *d, TCGTemp *a, int64_t b)
{
    uint64_t m = (uint64_t)b & tcg_type_mask(t);
    if (m == 0) {
        gen_movi(t, d, 0);
    } else if (m == tcg_type_mask(t)) {
        gen_mov(t, d, a);
    } else if (m == 0xff) {
        op2(INDEX_op_ext8u, t, d, a);
    } else if (m == 0xffff) {
        op2(INDEX_op_ext16u, t, d, a);
    } else if (m == 0xffffffffu && t == TCG_TYPE_I64) {
        op2(INDEX_op_ext32u, t, d, a);
    } else {
        gen_and(t, d, a, cst(t, b));
    }
}

static void gen_or(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    op3(INDEX_op_or, t, d, a, b);
}

static void gen_ori(TCGType t, TCGTemp *d, TCGTemp *a, int64_t b)
{
    uint64_t m = (uint64_t)b & tcg_type_mask(t);
    if (m == 0) {
        gen_mov(t, d, a);
    } else if (m == tcg_type_mask(t)) {
        gen_movi(t, d, -1);
    } else {
        gen_or(t, d, a, cst(t, b));
    }
}

static void gen_xor(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    op3(INDEX_op_xor, t, d, a, b);
}

static void gen_xori(TCGType t, TCGTemp *d, TCGTemp *a, int64_t b)
{
    uint64_t m = (uint64_t)b & tcg_type_mask(t);
    if (m == 0) {
        gen_mov(t, d, a);
    } else if (m == tcg_type_mask(t)) {
        gen_not(t, d, a);
    } else {
        gen_xor(t, d, a, cst(t, b));
    }
}

static void gen_andc(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    if (tcg_host_has_bmi1) {
        op3(INDEX_op_andc, t, d, a, b);
    } else {
        TCGTemp *x = tmp(t);
        gen_not(t, x, b);
        gen_and(t, d, a, x);
        tfree(x);
    }
}

static void gen_orc(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    TCGTemp *x = tmp(t);
    gen_not(t, x, b);
    gen_or(t, d, a, x);
    tfree(x);
}

static void gen_eqv(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    gen_xor(t, d, a, b);
    gen_not(t, d, d);
}

static void gen_nand(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    gen_and(t, d, a, b);
    gen_not(t, d, d);
}

static void gen_nor(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    gen_or(t, d, a, b);
    gen_not(t, d, d);
}

static void gen_div2(TCGOpcode opc, TCGType t, TCGTemp *q, TCGTemp *r,
                     TCGTemp *lo, TCGTemp *hi, TCGTemp *b)
{
    tcg_emit_op5(opc, t, A(q), A(r), A(lo), A(hi), A(b));
}

/* which: 0 = quotient, 1 = remainder */
static void gen_divrem(TCGType t, bool sign, int which, TCGTemp *d, TCGTemp *a,
                       TCGTemp *b)
{
    TCGTemp *hi = tmp(t), *other = tmp(t);
    if (sign) {
        gen_shifti(INDEX_op_sar, t, hi, a, tcg_type_bits(t) - 1);
    } else {
        gen_movi(t, hi, 0);
    }
    gen_div2(sign ? INDEX_op_div2 : INDEX_op_divu2, t, which ? other : d,
             which ? d : other, a, hi, b);
    tfree(hi);
    tfree(other);
}

static void gen_mul2(TCGOpcode opc, TCGType t, TCGTemp *lo, TCGTemp *hi,
                     TCGTemp *a, TCGTemp *b)
{
    tcg_emit_op4(opc, t, A(lo), A(hi), A(a), A(b));
}

static void gen_addsub2(TCGOpcode opc, TCGType t, TCGTemp *dl, TCGTemp *dh,
                        TCGTemp *al, TCGTemp *ah, TCGTemp *bl, TCGTemp *bh)
{
    tcg_emit_op6(opc, t, A(dl), A(dh), A(al), A(ah), A(bl), A(bh));
}

static void gen_setcond(TCGOpcode opc, TCGType t, TCGCond c, TCGTemp *d,
                        TCGTemp *a, TCGTemp *b)
{
    if (c == TCG_COND_ALWAYS) {
        gen_movi(t, d, opc == INDEX_op_setcond ? 1 : -1);
    } else if (c == TCG_COND_NEVER) {
        gen_movi(t, d, 0);
    } else {
        tcg_emit_op4(opc, t, A(d), A(a), A(b), c);
    }
}

static void gen_movcond(TCGType t, TCGCond c, TCGTemp *d, TCGTemp *c1,
                        TCGTemp *c2, TCGTemp *v1, TCGTemp *v2)
{
    if (c == TCG_COND_ALWAYS) {
        gen_mov(t, d, v1);
    } else if (c == TCG_COND_NEVER) {
        gen_mov(t, d, v2);
    } else {
        tcg_emit_op6(INDEX_op_movcond, t, A(d), A(c1), A(c2), A(v1), A(v2), c);
    }
}

static void gen_brcond(TCGType t, TCGCond c, TCGTemp *a, TCGTemp *b,
                       TCGLabel *l)
{
    if (c == TCG_COND_ALWAYS) {
        tcg_gen_br(l);
    } else if (c != TCG_COND_NEVER) {
        l->refs++;
        tcg_emit_op4(INDEX_op_brcond, t, A(a), A(b), c, label_arg(l));
    }
}

static void gen_extract(TCGType t, bool sign, TCGTemp *d, TCGTemp *a,
                        unsigned pos, unsigned len)
{
    unsigned w = tcg_type_bits(t);
    g_assert(len > 0 && len <= w && pos + len <= w);
    if (len == w) {
        gen_mov(t, d, a);
    } else if (pos + len == w) {
        gen_shifti(sign ? INDEX_op_sar : INDEX_op_shr, t, d, a, pos);
    } else if (pos == 0 && !sign) {
        gen_andi(t, d, a, (1ull << len) - 1);
    } else if (pos == 0 && len == 8) {
        op2(INDEX_op_ext8s, t, d, a);
    } else if (pos == 0 && len == 16) {
        op2(INDEX_op_ext16s, t, d, a);
    } else if (pos == 0 && len == 32) {
        op2(INDEX_op_ext32s, t, d, a);
    } else {
        tcg_emit_op4(sign ? INDEX_op_sextract : INDEX_op_extract, t, A(d), A(a),
                     pos, len);
    }
}

static void gen_deposit(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b,
                        unsigned pos, unsigned len)
{
    unsigned w = tcg_type_bits(t);
    g_assert(len > 0 && len <= w && pos + len <= w);
    if (len == w) {
        gen_mov(t, d, b);
    } else {
        tcg_emit_op5(INDEX_op_deposit, t, A(d), A(a), A(b), pos, len);
    }
}

static void gen_extract2(TCGType t, TCGTemp *d, TCGTemp *lo, TCGTemp *hi,
                         unsigned pos)
{
    unsigned w = tcg_type_bits(t);
    g_assert(pos <= w);
    if (pos == 0) {
        gen_mov(t, d, lo);
    } else if (pos == w) {
        gen_mov(t, d, hi);
    } else {
        tcg_emit_op4(INDEX_op_extract2, t, A(d), A(lo), A(hi), pos);
    }
}

/* ---- bit counting (helpers when the host lacks lzcnt/popcnt) ---------- */

static uint64_t helper_clz64(uint64_t a, uint64_t b)
{
    return a ? (uint64_t)__builtin_clzll(a) : b;
}
static uint64_t helper_ctz64(uint64_t a, uint64_t b)
{
    return a ? (uint64_t)__builtin_ctzll(a) : b;
}
static uint64_t helper_ctpop64(uint64_t a)
{
    return __builtin_popcountll(a);
}

static const TCGHelperInfo info_clz64 = {
    .func = helper_clz64,
    .name = "clz64",
    .flags = TCG_CALL_NO_RWG_SE,
    .ret = TCG_CALL_I64,
    .nargs = 2,
    .args = {TCG_CALL_I64, TCG_CALL_I64},
};
static const TCGHelperInfo info_ctz64 = {
    .func = helper_ctz64,
    .name = "ctz64",
    .flags = TCG_CALL_NO_RWG_SE,
    .ret = TCG_CALL_I64,
    .nargs = 2,
    .args = {TCG_CALL_I64, TCG_CALL_I64},
};
static const TCGHelperInfo info_ctpop64 = {
    .func = helper_ctpop64,
    .name = "ctpop64",
    .flags = TCG_CALL_NO_RWG_SE,
    .ret = TCG_CALL_I64,
    .nargs = 1,
    .args = {TCG_CALL_I64},
};

static void gen_ext_to64(TCGTemp *d64, TCGType t, TCGTemp *a)
{
    if (t == TCG_TYPE_I32) {
        op2(INDEX_op_extu_i32_i64, TCG_TYPE_I64, d64, a);
    } else {
        gen_mov(TCG_TYPE_I64, d64, a);
    }
}

static void gen_from64(TCGType t, TCGTemp *d, TCGTemp *a64)
{
    if (t == TCG_TYPE_I32) {
        op2(INDEX_op_extrl_i64_i32, TCG_TYPE_I64, d, a64);
    } else {
        gen_mov(TCG_TYPE_I64, d, a64);
    }
}

static void gen_clz(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    if (tcg_host_has_lzcnt) {
        op3(INDEX_op_clz, t, d, a, b);
        return;
    }
    TCGTemp *x = tmp(TCG_TYPE_I64), *y = tmp(TCG_TYPE_I64);
    gen_ext_to64(x, t, a);
    gen_ext_to64(y, t, b);
    if (t == TCG_TYPE_I32) {
        /* clz64 of a zero-extended i32 is 32 too many */
        gen_addi(TCG_TYPE_I64, y, y, 32);
        TCGTemp *args[2] = {x, y};
        tcg_gen_callN(&info_clz64, x, 2, args);
        gen_addi(TCG_TYPE_I64, x, x, -32);
    } else {
        TCGTemp *args[2] = {x, y};
        tcg_gen_callN(&info_clz64, x, 2, args);
    }
    gen_from64(t, d, x);
    tfree(x);
    tfree(y);
}

static void gen_ctz(TCGType t, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    if (tcg_host_has_bmi1) {
        op3(INDEX_op_ctz, t, d, a, b);
        return;
    }
    TCGTemp *x = tmp(TCG_TYPE_I64), *y = tmp(TCG_TYPE_I64);
    gen_ext_to64(x, t, a);
    gen_ext_to64(y, t, b);
    TCGTemp *args[2] = {x, y};
    tcg_gen_callN(&info_ctz64, x, 2, args);
    gen_from64(t, d, x);
    tfree(x);
    tfree(y);
}

static void gen_ctpop(TCGType t, TCGTemp *d, TCGTemp *a)
{
    if (tcg_host_has_popcnt) {
        op2(INDEX_op_ctpop, t, d, a);
        return;
    }
    TCGTemp *x = tmp(TCG_TYPE_I64);
    gen_ext_to64(x, t, a);
    TCGTemp *args[1] = {x};
    tcg_gen_callN(&info_ctpop64, x, 1, args);
    gen_from64(t, d, x);
    tfree(x);
}

static void gen_minmax(TCGType t, TCGCond c, TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    gen_movcond(t, c, d, a, b, a, b);
}

static void gen_abs(TCGType t, TCGTemp *d, TCGTemp *a)
{
    TCGTemp *x = tmp(t);
    gen_neg(t, x, a);
    gen_movcond(t, TCG_COND_LT, d, a, cst(t, 0), x, a);
    tfree(x);
}

static void gen_ldst(TCGOpcode opc, TCGType t, TCGTemp *v, TCGTemp *base,
                     intptr_t off)
{
    tcg_emit_op3(opc, t, A(v), A(base), (TCGArg)off);
}

static void gen_bswap(TCGOpcode opc, TCGType t, TCGTemp *d, TCGTemp *a,
                      int flags)
{
    tcg_emit_op3(opc, t, A(d), A(a), flags);
}

/* ---- control ---------------------------------------------------------- */

void tcg_gen_insn_start(uint64_t data0, uint64_t data1, uint64_t data2)
{
    tcg_ctx->nb_insn_starts++;
    tcg_emit_op3(INDEX_op_insn_start, TCG_TYPE_I64, data0, data1, data2);
}

void gen_set_label(TCGLabel *l)
{
    l->present = true;
    tcg_emit_op1(INDEX_op_set_label, TCG_TYPE_I64, label_arg(l));
}

void tcg_gen_br(TCGLabel *l)
{
    l->refs++;
    tcg_emit_op1(INDEX_op_br, TCG_TYPE_I64, label_arg(l));
}

void tcg_gen_goto_tb(unsigned idx)
{
    g_assert(idx < 2);
    tcg_emit_op1(INDEX_op_goto_tb, TCG_TYPE_I64, idx);
}

void tcg_gen_exit_tb(const struct TranslationBlock *tb, unsigned idx)
{
    uintptr_t v = (uintptr_t)tb + idx;
    g_assert(idx < 4 && (tb || idx == 0));
    tcg_emit_op1(INDEX_op_exit_tb, TCG_TYPE_I64, v);
}

void tcg_gen_goto_ptr(TCGv_ptr ptr)
{
    tcg_emit_op1(INDEX_op_goto_ptr, TCG_TYPE_I64, A(T(ptr)));
}

/* The TCG global backed by env + off (i64), or NULL. */
static TCGTemp *global_at(TCGContext *s, intptr_t off)
{
    for (int i = 0; i < s->nb_globals; i++) {
        TCGTemp *t = &s->temps[i];
        if (t->kind == TEMP_GLOBAL && t->base_type == TCG_TYPE_I64 &&
            t->mem_offset == off) {
            return t;
        }
    }
    return NULL;
}

/* dst = the uint64_t at env + off, through its global if there is one. */
static void gen_ld_env_i64(TCGContext *s, TCGTemp *dst, intptr_t off)
{
    TCGTemp *g = global_at(s, off);
    if (g) {
        /* it may be cached in a register, newer than env */
        gen_mov(TCG_TYPE_I64, dst, g);
    } else {
        gen_ldst(INDEX_op_ld, TCG_TYPE_I64, dst, T(tcg_env), off);
    }
}

/*
 * Inline probe of the per-vCPU jump cache: entry = cache[hash(pc)]; if
 * entry.pc == pc (and in system mode entry.cs_base == cs_base and
 * entry.flags == this TB's flags), jump to entry.tc_ptr.  Empty and
 * invalidated entries hold pc -1, which is not a canonical guest address
 * (nor a 32-bit one).  The target TB's own exit check still honours
 * cpu_exit().
 */
static void gen_lookup_inline(TCGContext *s)
{
    TCGLabel *slow = gen_new_label();
    TCGTemp *env = T(tcg_env);
    TCGTemp *pc = tmp(TCG_TYPE_I64), *h = tmp(TCG_TYPE_I64);
    TCGTemp *e = tmp(TCG_TYPE_I64), *x = tmp(TCG_TYPE_I64);
    TCGTemp *cs = NULL;
    unsigned mask = (1u << s->lookup_bits) - 1;

    gen_ld_env_i64(s, pc, s->lookup_pc_off);
    if (s->lookup_key_sys) {
        cs = tmp(TCG_TYPE_I64);
        gen_ld_env_i64(s, cs, s->lookup_cs_base_off);
        gen_add(TCG_TYPE_I64, pc, pc, cs);
        if (s->lookup_pc32) {
            gen_andi(TCG_TYPE_I64, pc, pc, 0xffffffffu);
        }
    }
    if (s->lookup_page_bits) {
        /* ((pc >> page_shift) << pb | ((pc ^ pc >> pb) & low)) & mask */
        unsigned pb = s->lookup_page_bits, low = (1u << pb) - 1;
        gen_shifti(INDEX_op_shr, TCG_TYPE_I64, h, pc, pb);
        gen_shifti(INDEX_op_shr, TCG_TYPE_I64, x, pc,
                   s->lookup_page_shift - pb);
        gen_xor(TCG_TYPE_I64, h, h, pc);
        gen_andi(TCG_TYPE_I64, h, h, low);
        gen_andi(TCG_TYPE_I64, x, x, mask & ~low);
        gen_or(TCG_TYPE_I64, h, h, x);
    } else {
        gen_shifti(INDEX_op_shr, TCG_TYPE_I64, h, pc, s->lookup_bits);
        gen_xor(TCG_TYPE_I64, h, h, pc);
        gen_andi(TCG_TYPE_I64, h, h, mask);
    }
    gen_muli(TCG_TYPE_I64, h, h, s->lookup_entry_size);
    gen_ldst(INDEX_op_ld, TCG_TYPE_I64, e, env, s->lookup_cache_off);
    gen_add(TCG_TYPE_I64, e, e, h);
    /* empty and invalidated entries hold pc -1 */
    gen_ldst(INDEX_op_ld, TCG_TYPE_I64, x, e, s->lookup_entry_pc);
    gen_brcond(TCG_TYPE_I64, TCG_COND_NE, x, pc, slow);
    if (s->lookup_key_sys) {
        gen_ldst(INDEX_op_ld, TCG_TYPE_I64, x, e, s->lookup_entry_cs_base);
        gen_brcond(TCG_TYPE_I64, TCG_COND_NE, x, cs, slow);
        gen_ldst(INDEX_op_ld32u, TCG_TYPE_I64, x, e, s->lookup_entry_flags);
        gen_brcond(TCG_TYPE_I64, TCG_COND_NE, x,
                   cst(TCG_TYPE_I64, s->lookup_flags), slow);
    }
    gen_ldst(INDEX_op_ld, TCG_TYPE_I64, x, e, s->lookup_entry_tc);
    tcg_emit_op1(INDEX_op_goto_ptr, TCG_TYPE_I64, A(x));
    gen_set_label(slow);
    tfree(pc);
    tfree(h);
    tfree(e);
    tfree(x);
    if (cs) {
        tfree(cs);
    }
}

void tcg_gen_lookup_and_goto_ptr(void)
{
    if (tcg_ctx->lookup_inline &&
        !qemu_loglevel_mask(CPU_LOG_EXEC | CPU_LOG_TB_NOCHAIN)) {
        gen_lookup_inline(tcg_ctx);
    }
    TCGTemp *p = tmp(TCG_TYPE_PTR);
    TCGTemp *args[1] = {T(tcg_env)};
    tcg_gen_callN(&helper_info_lookup_tb_ptr, p, 1, args);
    tcg_emit_op1(INDEX_op_goto_ptr, TCG_TYPE_I64, A(p));
    tfree(p);
}

void tcg_gen_mb(unsigned bar)
{
    tcg_emit_op1(INDEX_op_mb, TCG_TYPE_I64, bar);
}

void tcg_gen_discard_i32(TCGv_i32 t)
{
    tcg_emit_op1(INDEX_op_discard, TCG_TYPE_I32, A(T(t)));
}

void tcg_gen_discard_i64(TCGv_i64 t)
{
    tcg_emit_op1(INDEX_op_discard, TCG_TYPE_I64, A(T(t)));
}

/* ---- calls ------------------------------------------------------------ */

void tcg_gen_callN(const TCGHelperInfo *info, TCGTemp *ret, unsigned nargs,
                   TCGTemp **args)
{
    g_assert(nargs == info->nargs && nargs <= TCG_MAX_CALL_ARGS);
    g_assert((ret != NULL) == (info->ret != TCG_CALL_VOID));
    int no = ret != NULL;
    TCGOp *op = tcg_emit_op(INDEX_op_call, TCG_TYPE_I64, no + nargs);
    op->call = info;
    if (ret) {
        op->args[0] = A(ret);
    }
    for (unsigned i = 0; i < nargs; i++) {
        op->args[no + i] = A(args[i]);
    }
}

void tcg_gen_call0(const TCGHelperInfo *info, TCGTemp *ret)
{
    tcg_gen_callN(info, ret, 0, NULL);
}

void tcg_gen_call1(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1)
{
    TCGTemp *a[] = {a1};
    tcg_gen_callN(info, ret, 1, a);
}

void tcg_gen_call2(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1,
                   TCGTemp *a2)
{
    TCGTemp *a[] = {a1, a2};
    tcg_gen_callN(info, ret, 2, a);
}

void tcg_gen_call3(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1,
                   TCGTemp *a2, TCGTemp *a3)
{
    TCGTemp *a[] = {a1, a2, a3};
    tcg_gen_callN(info, ret, 3, a);
}

void tcg_gen_call4(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1,
                   TCGTemp *a2, TCGTemp *a3, TCGTemp *a4)
{
    TCGTemp *a[] = {a1, a2, a3, a4};
    tcg_gen_callN(info, ret, 4, a);
}

void tcg_gen_call5(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1,
                   TCGTemp *a2, TCGTemp *a3, TCGTemp *a4, TCGTemp *a5)
{
    TCGTemp *a[] = {a1, a2, a3, a4, a5};
    tcg_gen_callN(info, ret, 5, a);
}

void tcg_gen_call6(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1,
                   TCGTemp *a2, TCGTemp *a3, TCGTemp *a4, TCGTemp *a5,
                   TCGTemp *a6)
{
    TCGTemp *a[] = {a1, a2, a3, a4, a5, a6};
    tcg_gen_callN(info, ret, 6, a);
}

/* ---- guest memory ----------------------------------------------------- */

static MemOp canon_memop(TCGType t, MemOp mop, bool st)
{
    mop &= MO_SIZE | MO_SIGN | MO_BSWAP | MO_ALIGN;
    if ((mop & MO_SIZE) == MO_8) {
        mop &= ~MO_BSWAP;
    }
    if (st || (mop & MO_SIZE) == (t == TCG_TYPE_I32 ? MO_32 : MO_64)) {
        mop &= ~MO_SIGN;
    }
    g_assert((mop & MO_SIZE) <= (t == TCG_TYPE_I32 ? MO_32 : MO_64));
    return mop;
}

static void gen_qemu_ldst(TCGOpcode opc, TCGType t, TCGTemp *v, TCGTemp *addr,
                          unsigned idx, MemOp mop)
{
    mop = canon_memop(t, mop, opc == INDEX_op_qemu_st);
    tcg_emit_op4(opc, t, A(v), A(addr), make_memop_idx(mop, idx), 0);
}

void tcg_gen_qemu_ld_i32(TCGv_i32 val, TCGv_i64 addr, unsigned mem_idx,
                         MemOp memop)
{
    gen_qemu_ldst(INDEX_op_qemu_ld, TCG_TYPE_I32, T(val), T(addr), mem_idx,
                  memop);
}

void tcg_gen_qemu_st_i32(TCGv_i32 val, TCGv_i64 addr, unsigned mem_idx,
                         MemOp memop)
{
    gen_qemu_ldst(INDEX_op_qemu_st, TCG_TYPE_I32, T(val), T(addr), mem_idx,
                  memop);
}

void tcg_gen_qemu_ld_i64(TCGv_i64 val, TCGv_i64 addr, unsigned mem_idx,
                         MemOp memop)
{
    gen_qemu_ldst(INDEX_op_qemu_ld, TCG_TYPE_I64, T(val), T(addr), mem_idx,
                  memop);
}

void tcg_gen_qemu_st_i64(TCGv_i64 val, TCGv_i64 addr, unsigned mem_idx,
                         MemOp memop)
{
    gen_qemu_ldst(INDEX_op_qemu_st, TCG_TYPE_I64, T(val), T(addr), mem_idx,
                  memop);
}

/* Sign- or zero-extends a helper's zero-extended result per memop. */
static void gen_atomic_result(TCGType t, TCGTemp *ret, TCGTemp *r64, MemOp mop)
{
    TCGTemp *x = tmp(TCG_TYPE_I64);
    switch (mop & (MO_SIZE | MO_SIGN)) {
    case MO_SB:
        op2(INDEX_op_ext8s, TCG_TYPE_I64, x, r64);
        break;
    case MO_SW:
        op2(INDEX_op_ext16s, TCG_TYPE_I64, x, r64);
        break;
    case MO_SL:
        op2(INDEX_op_ext32s, TCG_TYPE_I64, x, r64);
        break;
    default:
        gen_mov(TCG_TYPE_I64, x, r64);
        break;
    }
    gen_from64(t, ret, x);
    tfree(x);
}

/*
 * User mode does guest atomics inline on host memory; system mode calls
 * the helpers, which find the host address through the softmmu TLB.
 */
#ifdef CONFIG_SOFTMMU
#define ATOMIC_INLINE false
#else
#define ATOMIC_INLINE true
#endif

static void gen_atomic_cmpxchg(TCGType t, TCGTemp *ret, TCGTemp *addr,
                               TCGTemp *cmpv, TCGTemp *newv, unsigned idx,
                               MemOp mop)
{
    if (ATOMIC_INLINE && (!(mop & MO_BSWAP) || (mop & MO_SIZE) == MO_8)) {
        /* host lock cmpxchg */
        mop = canon_memop(t, mop, false);
        tcg_emit_op5(INDEX_op_atomic_cmpxchg, t, A(ret), A(addr), A(cmpv),
                     A(newv), make_memop_idx(mop, idx));
        return;
    }
    TCGTemp *c = tmp(TCG_TYPE_I64), *n = tmp(TCG_TYPE_I64);
    TCGTemp *r = tmp(TCG_TYPE_I64);
    mop = canon_memop(t, mop, false);
    gen_ext_to64(c, t, cmpv);
    gen_ext_to64(n, t, newv);
    TCGTemp *args[5] = {T(tcg_env), addr, c, n,
                        cst(TCG_TYPE_I32, make_memop_idx(mop, idx))};
    tcg_gen_callN(&helper_info_atomic_cmpxchg, r, 5, args);
    gen_atomic_result(t, ret, r, mop);
    tfree(c);
    tfree(n);
    tfree(r);
}

void tcg_gen_atomic_cmpxchg_i32(TCGv_i32 ret, TCGv_i64 addr, TCGv_i32 cmpv,
                                TCGv_i32 newv, unsigned mem_idx, MemOp memop)
{
    gen_atomic_cmpxchg(TCG_TYPE_I32, T(ret), T(addr), T(cmpv), T(newv), mem_idx,
                       memop);
}

void tcg_gen_atomic_cmpxchg_i64(TCGv_i64 ret, TCGv_i64 addr, TCGv_i64 cmpv,
                                TCGv_i64 newv, unsigned mem_idx, MemOp memop)
{
    gen_atomic_cmpxchg(TCG_TYPE_I64, T(ret), T(addr), T(cmpv), T(newv), mem_idx,
                       memop);
}

static void gen_atomic_op(TCGAtomicOp aop, TCGType t, TCGTemp *ret,
                          TCGTemp *addr, TCGTemp *val, unsigned idx, MemOp mop)
{
    if (ATOMIC_INLINE && (!(mop & MO_BSWAP) || (mop & MO_SIZE) == MO_8)) {
        /* host xchg / lock xadd; add_fetch adds once more afterwards */
        MemOp m = canon_memop(t, mop, false);
        if (aop == TCG_ATOMIC_XCHG) {
            tcg_emit_op4(INDEX_op_atomic_xchg, t, A(ret), A(addr), A(val),
                         make_memop_idx(m, idx));
            return;
        }
        if (aop == TCG_ATOMIC_FETCH_ADD && ret != val) {
            tcg_emit_op4(INDEX_op_atomic_fetch_add, t, A(ret), A(addr), A(val),
                         make_memop_idx(m, idx));
            return;
        }
        if (aop == TCG_ATOMIC_ADD_FETCH || aop == TCG_ATOMIC_FETCH_ADD) {
            TCGTemp *old = tmp(t), *v = tmp(t);
            gen_mov(t, v, val);
            tcg_emit_op4(INDEX_op_atomic_fetch_add, t, A(old), A(addr), A(v),
                         make_memop_idx(m, idx));
            if (aop == TCG_ATOMIC_ADD_FETCH) {
                /* the new value, extended like the loaded one */
                TCGTemp *sum = tmp(t);
                gen_add(t, sum, old, v);
                switch (m & (MO_SIZE | MO_SIGN)) {
                case MO_UB:
                    op2(INDEX_op_ext8u, t, ret, sum);
                    break;
                case MO_SB:
                    op2(INDEX_op_ext8s, t, ret, sum);
                    break;
                case MO_UW:
                    op2(INDEX_op_ext16u, t, ret, sum);
                    break;
                case MO_SW:
                    op2(INDEX_op_ext16s, t, ret, sum);
                    break;
                case MO_UL:
                    if (t == TCG_TYPE_I64) {
                        op2(INDEX_op_ext32u, t, ret, sum);
                    } else {
                        gen_mov(t, ret, sum);
                    }
                    break;
                case MO_SL:
                    if (t == TCG_TYPE_I64) {
                        op2(INDEX_op_ext32s, t, ret, sum);
                    } else {
                        gen_mov(t, ret, sum);
                    }
                    break;
                default:
                    gen_mov(t, ret, sum);
                    break;
                }
                tfree(sum);
            } else {
                gen_mov(t, ret, old);
            }
            tfree(old);
            tfree(v);
            return;
        }
    }
    TCGTemp *v = tmp(TCG_TYPE_I64), *r = tmp(TCG_TYPE_I64);
    mop = canon_memop(t, mop, false);
    gen_ext_to64(v, t, val);
    uint32_t oi = make_memop_idx(mop, idx) | ((uint32_t)aop << 16);
    TCGTemp *args[4] = {T(tcg_env), addr, v, cst(TCG_TYPE_I32, oi)};
    tcg_gen_callN(&helper_info_atomic_op, r, 4, args);
    gen_atomic_result(t, ret, r, mop);
    tfree(v);
    tfree(r);
}

void tcg_gen_atomic_op_i32(TCGAtomicOp aop, TCGv_i32 ret, TCGv_i64 addr,
                           TCGv_i32 val, unsigned mem_idx, MemOp memop)
{
    gen_atomic_op(aop, TCG_TYPE_I32, T(ret), T(addr), T(val), mem_idx, memop);
}

void tcg_gen_atomic_op_i64(TCGAtomicOp aop, TCGv_i64 ret, TCGv_i64 addr,
                           TCGv_i64 val, unsigned mem_idx, MemOp memop)
{
    gen_atomic_op(aop, TCG_TYPE_I64, T(ret), T(addr), T(val), mem_idx, memop);
}

/* ---- conversions ------------------------------------------------------ */

void tcg_gen_extu_i32_i64(TCGv_i64 d, TCGv_i32 a)
{
    op2(INDEX_op_extu_i32_i64, TCG_TYPE_I64, T(d), T(a));
}

void tcg_gen_ext_i32_i64(TCGv_i64 d, TCGv_i32 a)
{
    op2(INDEX_op_ext_i32_i64, TCG_TYPE_I64, T(d), T(a));
}

void tcg_gen_extrl_i64_i32(TCGv_i32 d, TCGv_i64 a)
{
    op2(INDEX_op_extrl_i64_i32, TCG_TYPE_I64, T(d), T(a));
}

void tcg_gen_extrh_i64_i32(TCGv_i32 d, TCGv_i64 a)
{
    op2(INDEX_op_extrh_i64_i32, TCG_TYPE_I64, T(d), T(a));
}

void tcg_gen_concat_i32_i64(TCGv_i64 d, TCGv_i32 lo, TCGv_i32 hi)
{
    TCGTemp *x = tmp(TCG_TYPE_I64), *y = tmp(TCG_TYPE_I64);
    op2(INDEX_op_extu_i32_i64, TCG_TYPE_I64, x, T(lo));
    op2(INDEX_op_extu_i32_i64, TCG_TYPE_I64, y, T(hi));
    gen_deposit(TCG_TYPE_I64, T(d), x, y, 32, 32);
    tfree(x);
    tfree(y);
}

void tcg_gen_extr_i64_i32(TCGv_i32 lo, TCGv_i32 hi, TCGv_i64 a)
{
    op2(INDEX_op_extrl_i64_i32, TCG_TYPE_I64, T(lo), T(a));
    op2(INDEX_op_extrh_i64_i32, TCG_TYPE_I64, T(hi), T(a));
}

/* ---- pointers --------------------------------------------------------- */

void tcg_gen_mov_ptr(TCGv_ptr d, TCGv_ptr a)
{
    gen_mov(TCG_TYPE_PTR, T(d), T(a));
}

void tcg_gen_movi_ptr(TCGv_ptr d, intptr_t v)
{
    gen_movi(TCG_TYPE_PTR, T(d), v);
}

void tcg_gen_add_ptr(TCGv_ptr d, TCGv_ptr a, TCGv_ptr b)
{
    gen_add(TCG_TYPE_PTR, T(d), T(a), T(b));
}

void tcg_gen_addi_ptr(TCGv_ptr d, TCGv_ptr a, intptr_t b)
{
    gen_addi(TCG_TYPE_PTR, T(d), T(a), b);
}

void tcg_gen_ld_ptr(TCGv_ptr d, TCGv_ptr base, intptr_t off)
{
    gen_ldst(INDEX_op_ld, TCG_TYPE_PTR, T(d), T(base), off);
}

void tcg_gen_st_ptr(TCGv_ptr v, TCGv_ptr base, intptr_t off)
{
    gen_ldst(INDEX_op_st, TCG_TYPE_PTR, T(v), T(base), off);
}

void tcg_gen_ext_i32_ptr(TCGv_ptr d, TCGv_i32 a)
{
    op2(INDEX_op_ext_i32_i64, TCG_TYPE_I64, T(d), T(a));
}

void tcg_gen_extu_i32_ptr(TCGv_ptr d, TCGv_i32 a)
{
    op2(INDEX_op_extu_i32_i64, TCG_TYPE_I64, T(d), T(a));
}

/* ---- typed wrappers (generated shape, one per builder) ---------------- */

#include "tcg/tcg-op-wrappers.c.inc"
