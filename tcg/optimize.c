/*
 * The TCG optimizer: one forward pass over the op list doing constant
 * propagation and folding, copy propagation, algebraic identities, known
 * zero bits and branch folding.  Dead code is removed afterwards by
 * liveness analysis (tcg.c), which drops pure ops with unused results.
 *
 * Facts about temps (constant value, copies, known-zero bits) are valid
 * within an extended basic block: they are reset at every label, and for
 * globals at every helper call that may write them.
 *
 * Each op has one fold_<op>() (sorted by op name below); it returns true
 * when it has fully handled the op (folded it to a mov or removed it).
 */
#include <string.h>
#include "tcg/tcg-internal.h"

typedef struct TempOptInfo {
    bool is_const;
    unsigned gen; /* valid if == OptContext.gen (set in this EBB) */
    TCGTemp *prev_copy, *next_copy;
    uint64_t val;
    uint64_t z_mask;  /* bits that may be nonzero */
    uint32_t version; /* bumped at every redefinition (for CSE) */
    /* the op that defined it in this EBB, and its inputs' versions then */
    TCGOp *def_op;
    uint32_t def_in_ver[2];
} TempOptInfo;

typedef struct OptContext {
    TCGContext *tcg;
    TempOptInfo *info;
    unsigned gen;
    TCGType type;
} OptContext;

static void __attribute__((noinline))
ti_init(OptContext *ctx, TempOptInfo *i, TCGTemp *ts)
{
    i->gen = ctx->gen;
    i->version = 0;
    i->def_op = NULL;
    i->prev_copy = i->next_copy = ts;
    if (ts->kind == TEMP_CONST) {
        i->is_const = true;
        i->val = ts->val;
        i->z_mask = ts->val & tcg_type_mask(ts->base_type);
    } else {
        i->is_const = false;
        i->z_mask = tcg_type_mask(ts->base_type);
    }
}

/* Facts about ts, (re)initialized when first seen in this EBB. */
static inline TempOptInfo *ti(OptContext *ctx, TCGTemp *ts)
{
    TempOptInfo *i = &ctx->info[ts->index];
    if (__builtin_expect(i->gen != ctx->gen, 0)) {
        ti_init(ctx, i, ts);
    }
    return i;
}

static bool arg_is_const(OptContext *ctx, TCGArg a)
{
    return ti(ctx, arg_temp(a))->is_const;
}

static uint64_t arg_val(OptContext *ctx, TCGArg a)
{
    return ti(ctx, arg_temp(a))->val;
}

static bool arg_is_const_val(OptContext *ctx, TCGArg a, uint64_t v)
{
    TempOptInfo *i = ti(ctx, arg_temp(a));
    return i->is_const && i->val == v;
}

/* Forget everything known about ts (it is being redefined). */
static void reset_temp(OptContext *ctx, TCGTemp *ts)
{
    TempOptInfo *i = ti(ctx, ts);
    TCGTemp *p = i->prev_copy, *n = i->next_copy;
    if (n != ts) {
        ti(ctx, p)->next_copy = n;
        ti(ctx, n)->prev_copy = p;
    }
    i->prev_copy = i->next_copy = ts;
    i->is_const = ts->kind == TEMP_CONST;
    i->val = ts->val;
    i->z_mask = tcg_type_mask(ts->base_type);
    i->version++;
    i->def_op = NULL;
}

static void reset_all(OptContext *ctx)
{
    static unsigned gen;
    ctx->gen = ++gen;
    if (ctx->gen == 0) {
        /* wrapped: really clear */
        memset(ctx->info, 0, sizeof(TempOptInfo) * TCG_MAX_TEMPS);
        ctx->gen = ++gen;
    }
}

static void reset_globals(OptContext *ctx)
{
    for (int i = 0; i < ctx->tcg->nb_globals; i++) {
        TCGTemp *ts = &ctx->tcg->temps[i];
        if (ts->kind == TEMP_GLOBAL) {
            reset_temp(ctx, ts);
        }
    }
}

static bool temps_are_copies(OptContext *ctx, TCGTemp *a, TCGTemp *b)
{
    if (a == b) {
        return true;
    }
    TempOptInfo *ia = ti(ctx, a), *ib = ti(ctx, b);
    if (ia->is_const && ib->is_const) {
        return ia->val == ib->val;
    }
    for (TCGTemp *t = ia->next_copy; t != a; t = ti(ctx, t)->next_copy) {
        if (t == b) {
            return true;
        }
    }
    return false;
}

static bool args_are_copies(OptContext *ctx, TCGArg a, TCGArg b)
{
    return temps_are_copies(ctx, arg_temp(a), arg_temp(b));
}

static int kind_rank(TCGTempKind k)
{
    switch (k) {
    case TEMP_CONST:
        return 0;
    case TEMP_FIXED:
    case TEMP_GLOBAL:
        return 1;
    case TEMP_TB:
        return 2;
    default:
        return 3;
    }
}

/* The best representative of ts's copy class (or a constant temp). */
static TCGTemp *find_better_copy(OptContext *ctx, TCGTemp *ts, TCGType type)
{
    TempOptInfo *i = ti(ctx, ts);
    if (i->is_const) {
        return tcg_constant_internal(type, i->val);
    }
    TCGTemp *best = ts;
    for (TCGTemp *t = i->next_copy; t != ts; t = ti(ctx, t)->next_copy) {
        if (kind_rank(t->kind) < kind_rank(best->kind)) {
            best = t;
        }
    }
    return best;
}

/* Replaces op with "mov dst, src" and records the copy. */
static bool tcg_opt_gen_mov(OptContext *ctx, TCGOp *op, TCGArg dst, TCGArg src)
{
    TCGTemp *d = arg_temp(dst), *s = arg_temp(src);
    TCGType type = d->base_type;
    if (temps_are_copies(ctx, d, s)) {
        tcg_op_remove(op);
        return true;
    }
    TempOptInfo *si = ti(ctx, s);
    reset_temp(ctx, d);
    op->opc = INDEX_op_mov;
    op->type = type;
    op->nargs = 2;
    op->args[0] = dst;
    op->args[1] = src;
    TempOptInfo *di = ti(ctx, d);
    di->z_mask = si->z_mask;
    if (si->is_const) {
        di->is_const = true;
        di->val = si->val;
    } else if (d->base_type == s->base_type) {
        /* link d into s's copy ring */
        di->next_copy = si->next_copy;
        di->prev_copy = s;
        ti(ctx, si->next_copy)->prev_copy = d;
        si->next_copy = d;
    }
    return true;
}

static bool tcg_opt_gen_movi(OptContext *ctx, TCGOp *op, TCGArg dst,
                             uint64_t val)
{
    /* the output's type: extrl_i64_i32 is an i64 op with an i32 result */
    TCGTemp *c = tcg_constant_internal(arg_temp(dst)->base_type, val);
    return tcg_opt_gen_mov(ctx, op, dst, temp_arg(c));
}

/* Called for ops not folded: output facts. */
static void finish_outputs(OptContext *ctx, TCGOp *op, int no, uint64_t z_mask)
{
    for (int i = 0; i < no; i++) {
        TCGTemp *d = arg_temp(op->args[i]);
        reset_temp(ctx, d);
        if (i == 0) {
            ti(ctx, d)->z_mask = z_mask & tcg_type_mask(d->base_type);
        }
    }
}

/* Output with known-zero bits z_mask: a constant 0 if no bit may be set. */
static bool fold_masks(OptContext *ctx, TCGOp *op, uint64_t z_mask)
{
    if ((z_mask & tcg_type_mask(ctx->type)) == 0) {
        return tcg_opt_gen_movi(ctx, op, op->args[0], 0);
    }
    finish_outputs(ctx, op, tcg_op_nb_oargs(op), z_mask);
    return true;
}

/* ---- constant evaluation ---------------------------------------------- */

static uint64_t do_constant_folding_2(TCGOpcode opc, TCGType type, uint64_t x,
                                      uint64_t y)
{
    int w = tcg_type_bits(type);
    uint64_t m = tcg_type_mask(type);
    x &= m;
    y &= m;
    switch (opc) {
    case INDEX_op_add:
        return x + y;
    case INDEX_op_sub:
        return x - y;
    case INDEX_op_mul:
        return x * y;
    case INDEX_op_and:
        return x & y;
    case INDEX_op_or:
        return x | y;
    case INDEX_op_xor:
        return x ^ y;
    case INDEX_op_andc:
        return x & ~y;
    case INDEX_op_shl:
        return x << (y & (w - 1));
    case INDEX_op_shr:
        return x >> (y & (w - 1));
    case INDEX_op_sar:
        return w == 32 ? (uint64_t)((int32_t)x >> (y & 31))
                       : (uint64_t)((int64_t)x >> (y & 63));
    case INDEX_op_rotl:
        y &= w - 1;
        return y ? (x << y) | (x >> (w - y)) : x;
    case INDEX_op_rotr:
        y &= w - 1;
        return y ? (x >> y) | (x << (w - y)) : x;
    case INDEX_op_neg:
        return -x;
    case INDEX_op_not:
        return ~x;
    case INDEX_op_ext8s:
        return (int8_t)x;
    case INDEX_op_ext8u:
        return (uint8_t)x;
    case INDEX_op_ext16s:
        return (int16_t)x;
    case INDEX_op_ext16u:
        return (uint16_t)x;
    case INDEX_op_ext32s:
    case INDEX_op_ext_i32_i64:
        return (int32_t)x;
    case INDEX_op_ext32u:
    case INDEX_op_extu_i32_i64:
    case INDEX_op_extrl_i64_i32:
        return (uint32_t)x;
    case INDEX_op_extrh_i64_i32:
        return x >> 32;
    case INDEX_op_ctpop:
        return __builtin_popcountll(x);
    case INDEX_op_clz:
        if (!x) {
            return y;
        }
        return w == 32 ? __builtin_clz(x) : __builtin_clzll(x);
    case INDEX_op_ctz:
        return x ? (uint64_t)__builtin_ctzll(x) : y;
    default:
        g_assert_not_reached();
    }
}

static bool fold_const1(OptContext *ctx, TCGOp *op)
{
    if (arg_is_const(ctx, op->args[1])) {
        uint64_t v = do_constant_folding_2(op->opc, ctx->type,
                                           arg_val(ctx, op->args[1]), 0);
        return tcg_opt_gen_movi(ctx, op, op->args[0], v);
    }
    return false;
}

static bool fold_const2(OptContext *ctx, TCGOp *op)
{
    if (arg_is_const(ctx, op->args[1]) && arg_is_const(ctx, op->args[2])) {
        uint64_t v =
            do_constant_folding_2(op->opc, ctx->type, arg_val(ctx, op->args[1]),
                                  arg_val(ctx, op->args[2]));
        return tcg_opt_gen_movi(ctx, op, op->args[0], v);
    }
    return false;
}

/* Puts a constant second for commutative ops. */
static void swap_commutative(OptContext *ctx, TCGOp *op, int a, int b)
{
    if (arg_is_const(ctx, op->args[a]) && !arg_is_const(ctx, op->args[b])) {
        TCGArg t = op->args[a];
        op->args[a] = op->args[b];
        op->args[b] = t;
    }
}

/*
 * Returns 1 / 0 if cond on (x, y) is known, else -1.
 */
static int do_constant_folding_cond(OptContext *ctx, TCGType type, TCGArg x,
                                    TCGArg y, TCGCond c)
{
    if (arg_is_const(ctx, x) && arg_is_const(ctx, y)) {
        return tcg_cond_eval(type, c, arg_val(ctx, x), arg_val(ctx, y));
    }
    if (args_are_copies(ctx, x, y)) {
        switch (c) {
        case TCG_COND_EQ:
        case TCG_COND_GE:
        case TCG_COND_LE:
        case TCG_COND_GEU:
        case TCG_COND_LEU:
            return 1;
        case TCG_COND_NE:
        case TCG_COND_LT:
        case TCG_COND_GT:
        case TCG_COND_LTU:
        case TCG_COND_GTU:
            return 0;
        default:
            break;
        }
    }
    if (arg_is_const_val(ctx, y, 0)) {
        switch (c) {
        case TCG_COND_LTU:
            return 0;
        case TCG_COND_GEU:
            return 1;
        case TCG_COND_TSTEQ:
            return 1;
        case TCG_COND_TSTNE:
            return 0;
        default:
            break;
        }
    }
    if (c == TCG_COND_TSTEQ || c == TCG_COND_TSTNE) {
        if (arg_is_const(ctx, y) &&
            (ti(ctx, arg_temp(x))->z_mask & arg_val(ctx, y) &
             tcg_type_mask(type)) == 0) {
            return c == TCG_COND_TSTEQ;
        }
    }
    return -1;
}

/* Canonicalizes (x, y, cond): constant second. */
static TCGCond canon_cond(OptContext *ctx, TCGOp *op, int ix, int iy, TCGCond c)
{
    if (arg_is_const(ctx, op->args[ix]) && !arg_is_const(ctx, op->args[iy])) {
        TCGArg t = op->args[ix];
        op->args[ix] = op->args[iy];
        op->args[iy] = t;
        c = tcg_swap_cond(c);
    }
    /* x & -1 tested: plain compare with zero */
    if ((c == TCG_COND_TSTEQ || c == TCG_COND_TSTNE) &&
        arg_is_const(ctx, op->args[iy]) &&
        (arg_val(ctx, op->args[iy]) & tcg_type_mask(ctx->type)) ==
            tcg_type_mask(ctx->type)) {
        op->args[iy] = temp_arg(tcg_constant_internal(ctx->type, 0));
        c = c == TCG_COND_TSTEQ ? TCG_COND_EQ : TCG_COND_NE;
    }
    return c;
}

/* ---- fold_<op>, sorted ------------------------------------------------ */

static bool fold_add(OptContext *ctx, TCGOp *op)
{
    swap_commutative(ctx, op, 1, 2);
    if (fold_const2(ctx, op)) {
        return true;
    }
    if (arg_is_const_val(ctx, op->args[2], 0)) {
        return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
    }
    return false;
}

static bool fold_add2_sub2(OptContext *ctx, TCGOp *op)
{
    if (arg_is_const(ctx, op->args[2]) && arg_is_const(ctx, op->args[3]) &&
        arg_is_const(ctx, op->args[4]) && arg_is_const(ctx, op->args[5])) {
        int w = tcg_type_bits(ctx->type);
        uint64_t m = tcg_type_mask(ctx->type);
        unsigned __int128 a =
            ((unsigned __int128)(arg_val(ctx, op->args[3]) & m) << w) |
            (arg_val(ctx, op->args[2]) & m);
        unsigned __int128 b =
            ((unsigned __int128)(arg_val(ctx, op->args[5]) & m) << w) |
            (arg_val(ctx, op->args[4]) & m);
        unsigned __int128 r = op->opc == INDEX_op_add2 ? a + b : a - b;
        TCGArg dl = op->args[0], dh = op->args[1];
        TCGOp *op2 = tcg_op_insert_after(op, INDEX_op_mov, ctx->type, 2);
        tcg_opt_gen_movi(ctx, op, dl, (uint64_t)r & m);
        tcg_opt_gen_movi(ctx, op2, dh, (uint64_t)(r >> w) & m);
        return true;
    }
    finish_outputs(ctx, op, 2, ~0ull);
    return true;
}

static bool fold_and(OptContext *ctx, TCGOp *op)
{
    swap_commutative(ctx, op, 1, 2);
    if (fold_const2(ctx, op)) {
        return true;
    }
    TempOptInfo *a = ti(ctx, arg_temp(op->args[1]));
    if (arg_is_const_val(ctx, op->args[2], 0)) {
        return tcg_opt_gen_movi(ctx, op, op->args[0], 0);
    }
    if (args_are_copies(ctx, op->args[1], op->args[2])) {
        return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
    }
    if (arg_is_const(ctx, op->args[2])) {
        uint64_t c = arg_val(ctx, op->args[2]) & tcg_type_mask(ctx->type);
        /* all possibly-set bits of a are kept: and is a no-op */
        if ((a->z_mask & ~c & tcg_type_mask(ctx->type)) == 0) {
            return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
        }
        return fold_masks(ctx, op, a->z_mask & c);
    }
    TempOptInfo *b = ti(ctx, arg_temp(op->args[2]));
    return fold_masks(ctx, op, a->z_mask & b->z_mask);
}

static bool fold_andc(OptContext *ctx, TCGOp *op)
{
    if (fold_const2(ctx, op)) {
        return true;
    }
    if (args_are_copies(ctx, op->args[1], op->args[2])) {
        return tcg_opt_gen_movi(ctx, op, op->args[0], 0);
    }
    if (arg_is_const_val(ctx, op->args[2], 0)) {
        return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
    }
    finish_outputs(ctx, op, 1, ti(ctx, arg_temp(op->args[1]))->z_mask);
    return true;
}

static bool fold_brcond(OptContext *ctx, TCGOp *op)
{
    TCGCond c = canon_cond(ctx, op, 0, 1, op->args[2]);
    op->args[2] = c;
    int r =
        do_constant_folding_cond(ctx, ctx->type, op->args[0], op->args[1], c);
    if (r == 0) {
        tcg_op_remove(op);
        return true;
    }
    if (r == 1) {
        TCGLabel *l = arg_label(op->args[3]);
        op->opc = INDEX_op_br;
        op->nargs = 1;
        op->args[0] = label_arg(l);
        return true;
    }
    return true;
}

static bool fold_bswap(OptContext *ctx, TCGOp *op)
{
    if (arg_is_const(ctx, op->args[1])) {
        uint64_t x = arg_val(ctx, op->args[1]);
        int flags = op->args[2];
        uint64_t v;
        switch (op->opc) {
        case INDEX_op_bswap16:
            v = __builtin_bswap16(x);
            if (flags & TCG_BSWAP_OS) {
                v = (int16_t)v;
            } else if (!(flags & TCG_BSWAP_OZ)) {
                /* high bits unspecified: keep them zero */
            }
            break;
        case INDEX_op_bswap32:
            v = __builtin_bswap32(x);
            if ((flags & TCG_BSWAP_OS) || ctx->type == TCG_TYPE_I32) {
                v = (int32_t)v;
            }
            break;
        default:
            v = __builtin_bswap64(x);
            break;
        }
        return tcg_opt_gen_movi(ctx, op, op->args[0], v);
    }
    uint64_t z = ~0ull;
    if (op->opc == INDEX_op_bswap16 && (op->args[2] & TCG_BSWAP_OZ)) {
        z = 0xffff;
    } else if (op->opc == INDEX_op_bswap32 && ctx->type == TCG_TYPE_I64 &&
               !(op->args[2] & TCG_BSWAP_OS)) {
        z = 0xffffffff;
    }
    finish_outputs(ctx, op, 1, z);
    return true;
}

static bool fold_call(OptContext *ctx, TCGOp *op)
{
    unsigned f = op->call->flags;
    if (!(f & TCG_CALL_NO_WRITE_GLOBALS)) {
        reset_globals(ctx);
    }
    finish_outputs(ctx, op, tcg_op_nb_oargs(op), ~0ull);
    return true;
}

static bool fold_count_zeros(OptContext *ctx, TCGOp *op)
{
    if (arg_is_const(ctx, op->args[1])) {
        uint64_t x = arg_val(ctx, op->args[1]) & tcg_type_mask(ctx->type);
        if (x) {
            uint64_t v = op->opc == INDEX_op_clz
                             ? (ctx->type == TCG_TYPE_I32 ? __builtin_clz(x)
                                                          : __builtin_clzll(x))
                             : __builtin_ctzll(x);
            return tcg_opt_gen_movi(ctx, op, op->args[0], v);
        }
        return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[2]);
    }
    finish_outputs(ctx, op, 1, ~0ull);
    return true;
}

static bool fold_ctpop(OptContext *ctx, TCGOp *op)
{
    if (fold_const1(ctx, op)) {
        return true;
    }
    finish_outputs(ctx, op, 1, tcg_type_bits(ctx->type) == 32 ? 63 : 127);
    return true;
}

static bool fold_deposit(OptContext *ctx, TCGOp *op)
{
    int pos = op->args[3], len = op->args[4];
    uint64_t fm = (len == 64 ? ~0ull : ((1ull << len) - 1)) << pos;
    if (arg_is_const(ctx, op->args[1]) && arg_is_const(ctx, op->args[2])) {
        uint64_t v = (arg_val(ctx, op->args[1]) & ~fm) |
                     ((arg_val(ctx, op->args[2]) << pos) & fm);
        return tcg_opt_gen_movi(ctx, op, op->args[0], v);
    }
    uint64_t z = (ti(ctx, arg_temp(op->args[1]))->z_mask & ~fm) |
                 ((ti(ctx, arg_temp(op->args[2]))->z_mask << pos) & fm);
    finish_outputs(ctx, op, 1, z);
    return true;
}

static bool fold_divide(OptContext *ctx, TCGOp *op)
{
    /* (q, r, lo, hi, b): fold only the common zero/sign-extended case */
    if (arg_is_const(ctx, op->args[2]) && arg_is_const(ctx, op->args[3]) &&
        arg_is_const(ctx, op->args[4])) {
        uint64_t m = tcg_type_mask(ctx->type);
        uint64_t lo = arg_val(ctx, op->args[2]) & m;
        uint64_t hi = arg_val(ctx, op->args[3]) & m;
        uint64_t b = arg_val(ctx, op->args[4]) & m;
        int w = tcg_type_bits(ctx->type);
        bool sign = op->opc == INDEX_op_div2;
        uint64_t q, r;
        bool ok = false;
        if (b != 0) {
            if (!sign && hi == 0) {
                q = lo / b;
                r = lo % b;
                ok = true;
            } else if (sign) {
                int64_t sl = tcg_canon(ctx->type, lo);
                int64_t sb = tcg_canon(ctx->type, b);
                int64_t sh = tcg_canon(ctx->type, hi);
                bool ext = sh == (sl < 0 ? -1 : 0);
                int64_t minv = w == 32 ? INT32_MIN : INT64_MIN;
                if (ext && !(sl == minv && sb == -1)) {
                    q = sl / sb;
                    r = sl % sb;
                    ok = true;
                }
            }
        }
        if (ok) {
            TCGArg dq = op->args[0], dr = op->args[1];
            TCGOp *op2 = tcg_op_insert_after(op, INDEX_op_mov, ctx->type, 2);
            tcg_opt_gen_movi(ctx, op, dq, q & m);
            tcg_opt_gen_movi(ctx, op2, dr, r & m);
            return true;
        }
    }
    finish_outputs(ctx, op, 2, ~0ull);
    return true;
}

static bool fold_exts(OptContext *ctx, TCGOp *op)
{
    if (fold_const1(ctx, op)) {
        return true;
    }
    uint64_t z = ti(ctx, arg_temp(op->args[1]))->z_mask;
    uint64_t sign;
    switch (op->opc) {
    case INDEX_op_ext8s:
        sign = 0x80;
        break;
    case INDEX_op_ext16s:
        sign = 0x8000;
        break;
    default:
        sign = 0x80000000u;
        break;
    }
    /* sign bit known zero: a zero-extension, maybe a no-op */
    if (!(z & sign)) {
        if ((z & ~(sign * 2 - 1)) == 0 && op->opc != INDEX_op_ext_i32_i64) {
            return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
        }
        finish_outputs(ctx, op, 1, z & (sign * 2 - 1));
        return true;
    }
    finish_outputs(ctx, op, 1, ~0ull);
    return true;
}

/*
 * The op defining t if it still describes t's value (neither t nor the
 * op's first two inputs were redefined since), else NULL.
 */
static TCGOp *live_def(OptContext *ctx, TCGTemp *t, TCGOpcode opc)
{
    TempOptInfo *i = ti(ctx, t);
    TCGOp *d = i->def_op;
    if (!d || d->opc != opc) {
        return NULL;
    }
    int ni = tcg_op_defs[opc].nb_iargs;
    for (int k = 0; k < ni && k < 2; k++) {
        if (ti(ctx, arg_temp(d->args[1 + k]))->version != i->def_in_ver[k]) {
            return NULL;
        }
    }
    return d;
}

/*
 * ext32u(rot(deposit(x, x, 32, 32), n)) is a 32-bit rotate of x: how
 * frontends that work in i64 express "ror r32, n".  Rewrite it as
 * extrl + rotr_i32 + extu (the deposit and rotate die if unused).
 */
static bool fold_rot32_pattern(OptContext *ctx, TCGOp *op)
{
    TCGTemp *e = arg_temp(op->args[1]);
    TCGOp *rot = live_def(ctx, e, INDEX_op_rotr);
    if (!rot) {
        rot = live_def(ctx, e, INDEX_op_rotl);
    }
    if (!rot || rot->type != TCG_TYPE_I64 ||
        !temp_is_const(arg_temp(rot->args[2]))) {
        return false;
    }
    TCGOp *dep = live_def(ctx, arg_temp(rot->args[1]), INDEX_op_deposit);
    if (!dep || dep->type != TCG_TYPE_I64 || dep->args[1] != dep->args[2] ||
        dep->args[3] != 32 || dep->args[4] != 32) {
        return false;
    }
    int n = arg_temp(rot->args[2])->val & 31;
    TCGTemp *x = arg_temp(dep->args[1]);
    TCGTemp *t = tcg_temp_new_internal(TCG_TYPE_I32, TEMP_EBB);
    TCGOp *o1 =
        tcg_op_insert_before(op, INDEX_op_extrl_i64_i32, TCG_TYPE_I64, 2);
    o1->args[0] = temp_arg(t);
    o1->args[1] = temp_arg(x);
    TCGOp *o2 = tcg_op_insert_before(op, rot->opc, TCG_TYPE_I32, 3);
    o2->args[0] = temp_arg(t);
    o2->args[1] = temp_arg(t);
    o2->args[2] = temp_arg(tcg_constant_internal(TCG_TYPE_I32, n));
    reset_temp(ctx, t);
    op->opc = INDEX_op_extu_i32_i64;
    op->args[1] = temp_arg(t);
    finish_outputs(ctx, op, 1, 0xffffffffu);
    return true;
}

static bool fold_extu(OptContext *ctx, TCGOp *op)
{
    if (fold_const1(ctx, op)) {
        return true;
    }
    if (op->opc == INDEX_op_ext32u && fold_rot32_pattern(ctx, op)) {
        return true;
    }
    uint64_t m;
    switch (op->opc) {
    case INDEX_op_ext8u:
        m = 0xff;
        break;
    case INDEX_op_ext16u:
        m = 0xffff;
        break;
    default:
        m = 0xffffffffu;
        break;
    }
    uint64_t z = ti(ctx, arg_temp(op->args[1]))->z_mask;
    if ((z & ~m) == 0 && op->opc != INDEX_op_extu_i32_i64 &&
        op->opc != INDEX_op_extrl_i64_i32) {
        return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
    }
    if (op->opc == INDEX_op_extu_i32_i64 || op->opc == INDEX_op_extrl_i64_i32) {
        finish_outputs(ctx, op, 1, z & m);
        return true;
    }
    return fold_masks(ctx, op, z & m);
}

static bool fold_extract(OptContext *ctx, TCGOp *op)
{
    int pos = op->args[2], len = op->args[3];
    uint64_t lm = len == 64 ? ~0ull : (1ull << len) - 1;
    bool sign = op->opc == INDEX_op_sextract;
    if (arg_is_const(ctx, op->args[1])) {
        uint64_t x = arg_val(ctx, op->args[1]) >> pos;
        uint64_t v = x & lm;
        if (sign && len < 64 && (v >> (len - 1)) & 1) {
            v |= ~lm;
        }
        return tcg_opt_gen_movi(ctx, op, op->args[0], v);
    }
    uint64_t z = (ti(ctx, arg_temp(op->args[1]))->z_mask >> pos) & lm;
    if (sign && (z >> (len - 1)) & 1) {
        z = ~0ull;
    }
    return fold_masks(ctx, op, z);
}

static bool fold_extract2(OptContext *ctx, TCGOp *op)
{
    if (arg_is_const(ctx, op->args[1]) && arg_is_const(ctx, op->args[2])) {
        int w = tcg_type_bits(ctx->type), pos = op->args[3];
        uint64_t m = tcg_type_mask(ctx->type);
        uint64_t lo = arg_val(ctx, op->args[1]) & m;
        uint64_t hi = arg_val(ctx, op->args[2]) & m;
        uint64_t v = (lo >> pos) | (hi << (w - pos));
        return tcg_opt_gen_movi(ctx, op, op->args[0], v);
    }
    finish_outputs(ctx, op, 1, ~0ull);
    return true;
}

/*
 * Guest memory ops: "add t, x, $c" right before "qemu_ld/st ..., t" becomes
 * an address x with displacement c (the add dies if t is not used again).
 */
static void fold_guest_addr(OptContext *ctx, TCGOp *op, int ai)
{
    TCGOp *prev = op->prev;
    TCGTemp *t = arg_temp(op->args[ai]);
    if (!prev || prev->opc != INDEX_op_add || prev->type != TCG_TYPE_I64 ||
        arg_temp(prev->args[0]) != t) {
        return;
    }
    TCGTemp *x = arg_temp(prev->args[1]);
    TCGTemp *c = arg_temp(prev->args[2]);
    if (x == t || !temp_is_const(c)) {
        return;
    }
    int64_t disp = (int64_t)op->args[ai + 2] + c->val;
    /* the backend adds guest_base as a displacement when it fits */
    bool gb_disp = (intptr_t)guest_base == (int32_t)guest_base;
    int64_t host = disp + (gb_disp ? (int64_t)guest_base : 0);
    if (disp != (int32_t)disp || host != (int32_t)host) {
        return;
    }
    op->args[ai] = temp_arg(x);
    op->args[ai + 2] = disp;
}

static bool fold_load(OptContext *ctx, TCGOp *op)
{
    if (op->opc == INDEX_op_qemu_ld) {
        fold_guest_addr(ctx, op, 1);
    }
    uint64_t z = ~0ull;
    switch (op->opc) {
    case INDEX_op_ld8u:
        z = 0xff;
        break;
    case INDEX_op_ld16u:
        z = 0xffff;
        break;
    case INDEX_op_ld32u:
        z = 0xffffffffu;
        break;
    case INDEX_op_qemu_ld: {
        MemOp mop = get_memop(op->args[2]);
        if (!(mop & MO_SIGN) && (mop & MO_SIZE) < MO_64) {
            z = (1ull << (8 << (mop & MO_SIZE))) - 1;
        }
        break;
    }
    default:
        break;
    }
    finish_outputs(ctx, op, 1, z);
    return true;
}

static bool fold_movcond(OptContext *ctx, TCGOp *op)
{
    TCGCond c = canon_cond(ctx, op, 1, 2, op->args[5]);
    op->args[5] = c;
    int r =
        do_constant_folding_cond(ctx, ctx->type, op->args[1], op->args[2], c);
    if (r >= 0) {
        return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[r ? 3 : 4]);
    }
    if (args_are_copies(ctx, op->args[3], op->args[4])) {
        return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[3]);
    }
    uint64_t z = ti(ctx, arg_temp(op->args[3]))->z_mask |
                 ti(ctx, arg_temp(op->args[4]))->z_mask;
    finish_outputs(ctx, op, 1, z);
    return true;
}

static bool fold_mov(OptContext *ctx, TCGOp *op)
{
    return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
}

static bool fold_mul(OptContext *ctx, TCGOp *op)
{
    swap_commutative(ctx, op, 1, 2);
    if (fold_const2(ctx, op)) {
        return true;
    }
    if (arg_is_const_val(ctx, op->args[2], 0)) {
        return tcg_opt_gen_movi(ctx, op, op->args[0], 0);
    }
    if (arg_is_const(ctx, op->args[2]) &&
        tcg_canon(ctx->type, arg_val(ctx, op->args[2])) == 1) {
        return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
    }
    return false;
}

static bool fold_mul2(OptContext *ctx, TCGOp *op)
{
    swap_commutative(ctx, op, 2, 3);
    if (arg_is_const(ctx, op->args[2]) && arg_is_const(ctx, op->args[3])) {
        uint64_t m = tcg_type_mask(ctx->type);
        int w = tcg_type_bits(ctx->type);
        uint64_t lo, hi;
        if (op->opc == INDEX_op_mulu2) {
            unsigned __int128 r =
                (unsigned __int128)(arg_val(ctx, op->args[2]) & m) *
                (arg_val(ctx, op->args[3]) & m);
            lo = r;
            hi = r >> w;
        } else {
            __int128 r =
                (__int128)tcg_canon(ctx->type, arg_val(ctx, op->args[2])) *
                tcg_canon(ctx->type, arg_val(ctx, op->args[3]));
            lo = (uint64_t)r;
            hi = (uint64_t)(r >> w);
        }
        TCGArg dl = op->args[0], dh = op->args[1];
        TCGOp *op2 = tcg_op_insert_after(op, INDEX_op_mov, ctx->type, 2);
        tcg_opt_gen_movi(ctx, op, dl, lo & m);
        tcg_opt_gen_movi(ctx, op2, dh, hi & m);
        return true;
    }
    finish_outputs(ctx, op, 2, ~0ull);
    return true;
}

static bool fold_neg_not(OptContext *ctx, TCGOp *op)
{
    return fold_const1(ctx, op);
}

static bool fold_or_xor(OptContext *ctx, TCGOp *op)
{
    bool is_xor = op->opc == INDEX_op_xor;
    swap_commutative(ctx, op, 1, 2);
    if (fold_const2(ctx, op)) {
        return true;
    }
    if (arg_is_const_val(ctx, op->args[2], 0)) {
        return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
    }
    if (args_are_copies(ctx, op->args[1], op->args[2])) {
        if (is_xor) {
            return tcg_opt_gen_movi(ctx, op, op->args[0], 0);
        }
        return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
    }
    if (is_xor && arg_is_const(ctx, op->args[2]) &&
        (arg_val(ctx, op->args[2]) & tcg_type_mask(ctx->type)) ==
            tcg_type_mask(ctx->type)) {
        op->opc = INDEX_op_not;
        op->nargs = 2;
        return false;
    }
    finish_outputs(ctx, op, 1,
                   ti(ctx, arg_temp(op->args[1]))->z_mask |
                       ti(ctx, arg_temp(op->args[2]))->z_mask);
    return true;
}

static bool fold_setcond(OptContext *ctx, TCGOp *op)
{
    TCGCond c = canon_cond(ctx, op, 1, 2, op->args[3]);
    op->args[3] = c;
    int r =
        do_constant_folding_cond(ctx, ctx->type, op->args[1], op->args[2], c);
    if (r >= 0) {
        uint64_t v = r ? (op->opc == INDEX_op_setcond ? 1 : ~0ull) : 0;
        return tcg_opt_gen_movi(ctx, op, op->args[0], v);
    }
    finish_outputs(ctx, op, 1, op->opc == INDEX_op_setcond ? 1 : ~0ull);
    return true;
}

static bool fold_shift(OptContext *ctx, TCGOp *op)
{
    if (fold_const2(ctx, op)) {
        return true;
    }
    if (arg_is_const_val(ctx, op->args[1], 0) && op->opc != INDEX_op_sar) {
        return tcg_opt_gen_movi(ctx, op, op->args[0], 0);
    }
    if (arg_is_const(ctx, op->args[2])) {
        int w = tcg_type_bits(ctx->type);
        int n = arg_val(ctx, op->args[2]) & (w - 1);
        if (n == 0) {
            return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
        }
        uint64_t z =
            ti(ctx, arg_temp(op->args[1]))->z_mask & tcg_type_mask(ctx->type);
        if (op->opc == INDEX_op_shr) {
            return fold_masks(ctx, op, z >> n);
        }
        if (op->opc == INDEX_op_shl) {
            return fold_masks(ctx, op, z << n);
        }
    }
    return false;
}

static bool fold_sub(OptContext *ctx, TCGOp *op)
{
    if (fold_const2(ctx, op)) {
        return true;
    }
    if (args_are_copies(ctx, op->args[1], op->args[2])) {
        return tcg_opt_gen_movi(ctx, op, op->args[0], 0);
    }
    if (arg_is_const(ctx, op->args[2])) {
        uint64_t v = arg_val(ctx, op->args[2]);
        if (v == 0) {
            return tcg_opt_gen_mov(ctx, op, op->args[0], op->args[1]);
        }
        /* sub x, c -> add x, -c */
        op->opc = INDEX_op_add;
        op->args[2] = temp_arg(tcg_constant_internal(ctx->type, -v));
        return false;
    }
    if (arg_is_const_val(ctx, op->args[1], 0)) {
        op->opc = INDEX_op_neg;
        op->args[1] = op->args[2];
        op->nargs = 2;
        return false;
    }
    return false;
}

/* ---- common subexpressions ------------------------------------------- */

/*
 * A pure op whose inputs (by temp and version) and constant args match an
 * earlier one in the same EBB, whose output still holds that value, is
 * replaced by a mov from it.  Frontends repeat such ops a lot (the same
 * zero-extension of a register, the same env+offset pointer).
 */
#define CSE_SIZE 256

typedef struct CSEKey {
    uint8_t opc, type, nin, ncarg;
    uint32_t in[3], in_ver[3];
    TCGArg carg[2];
} CSEKey;

typedef struct CSEEntry {
    CSEKey key;
    unsigned gen;
    uint32_t out, out_ver;
} CSEEntry;

static CSEEntry cse_table[CSE_SIZE];

static bool cse_op_ok(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_add:
    case INDEX_op_sub:
    case INDEX_op_mul:
    case INDEX_op_and:
    case INDEX_op_or:
    case INDEX_op_xor:
    case INDEX_op_andc:
    case INDEX_op_neg:
    case INDEX_op_not:
    case INDEX_op_shl:
    case INDEX_op_shr:
    case INDEX_op_sar:
    case INDEX_op_rotl:
    case INDEX_op_rotr:
    case INDEX_op_ext8s:
    case INDEX_op_ext8u:
    case INDEX_op_ext16s:
    case INDEX_op_ext16u:
    case INDEX_op_ext32s:
    case INDEX_op_ext32u:
    case INDEX_op_ext_i32_i64:
    case INDEX_op_extu_i32_i64:
    case INDEX_op_extrl_i64_i32:
    case INDEX_op_extrh_i64_i32:
    case INDEX_op_extract:
    case INDEX_op_sextract:
    case INDEX_op_deposit:
    case INDEX_op_extract2:
    case INDEX_op_setcond:
    case INDEX_op_negsetcond:
    case INDEX_op_bswap16:
    case INDEX_op_bswap32:
    case INDEX_op_bswap64:
    case INDEX_op_clz:
    case INDEX_op_ctz:
    case INDEX_op_ctpop:
        return true;
    default:
        return false;
    }
}

static bool cse_key(OptContext *ctx, TCGOp *op, CSEKey *k)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    if (!cse_op_ok(op->opc) || def->nb_oargs != 1 || def->nb_iargs > 3 ||
        def->nb_cargs > 2) {
        return false;
    }
    memset(k, 0, sizeof(*k));
    k->opc = op->opc;
    k->type = op->type;
    k->nin = def->nb_iargs;
    k->ncarg = def->nb_cargs;
    for (int i = 0; i < k->nin; i++) {
        TCGTemp *t = arg_temp(op->args[1 + i]);
        k->in[i] = t->index;
        k->in_ver[i] = ti(ctx, t)->version;
    }
    for (int i = 0; i < k->ncarg; i++) {
        k->carg[i] = op->args[1 + k->nin + i];
    }
    return true;
}

static unsigned cse_hash(const CSEKey *k)
{
    uint64_t h = k->opc * 0x9e3779b97f4a7c15ull + k->type;
    for (int i = 0; i < k->nin; i++) {
        h = (h ^ k->in[i] ^ ((uint64_t)k->in_ver[i] << 20)) *
            0xbf58476d1ce4e5b9ull;
    }
    for (int i = 0; i < k->ncarg; i++) {
        h = (h ^ k->carg[i]) * 0x94d049bb133111ebull;
    }
    return (h >> 32) & (CSE_SIZE - 1);
}

/* The temp that already holds this value, or NULL. */
static TCGTemp *cse_lookup(OptContext *ctx, const CSEKey *k)
{
    CSEEntry *e = &cse_table[cse_hash(k)];
    if (e->gen != ctx->gen || memcmp(&e->key, k, sizeof(*k))) {
        return NULL;
    }
    TCGTemp *out = &ctx->tcg->temps[e->out];
    if (ti(ctx, out)->version != e->out_ver) {
        return NULL;
    }
    return out;
}

static void cse_record(OptContext *ctx, const CSEKey *k, TCGTemp *out)
{
    CSEEntry *e = &cse_table[cse_hash(k)];
    e->key = *k;
    e->gen = ctx->gen;
    e->out = out->index;
    e->out_ver = ti(ctx, out)->version;
}

/* ---- the pass --------------------------------------------------------- */

void tcg_optimize(TCGContext *s)
{
    /* covers the constants the optimizer creates too */
    static TempOptInfo info[TCG_MAX_TEMPS];
    OptContext ctx = {.tcg = s, .info = info};
    reset_all(&ctx);
    tcg_opt_stats.ops_before = s->nb_ops;

    TCGOp *op, *next;
    for (op = s->first_op; op; op = next) {
        next = op->next;
        TCGOpcode opc = op->opc;
        const TCGOpDef *def = &tcg_op_defs[opc];
        ctx.type = op->type;

        if (opc == INDEX_op_insn_start || opc == INDEX_op_discard) {
            if (opc == INDEX_op_discard) {
                reset_temp(&ctx, arg_temp(op->args[0]));
            }
            continue;
        }
        if (opc == INDEX_op_set_label) {
            TCGLabel *l = arg_label(op->args[0]);
            if (l->refs == 0) {
                tcg_op_remove(op);
            } else {
                reset_all(&ctx);
            }
            continue;
        }

        /* copy/constant propagation into the inputs */
        int no = tcg_op_nb_oargs(op), ni = tcg_op_nb_iargs(op);
        for (int i = no; i < no + ni; i++) {
            TCGTemp *ts = arg_temp(op->args[i]);
            TCGType ty = opc == INDEX_op_call ? ts->base_type : ts->base_type;
            TCGTemp *b = find_better_copy(&ctx, ts, ty);
            if (b != ts && b->base_type == ts->base_type) {
                op->args[i] = temp_arg(b);
            }
        }

        CSEKey key;
        bool cse = cse_key(&ctx, op, &key);
        TCGTemp *cse_out = cse ? arg_temp(op->args[0]) : NULL;
        if (cse) {
            TCGTemp *prev = cse_lookup(&ctx, &key);
            if (prev && prev->base_type == cse_out->base_type) {
                tcg_opt_gen_mov(&ctx, op, op->args[0], temp_arg(prev));
                continue;
            }
        }

        TCGOp *before = op->prev;
        uint32_t in_ver[2] = {0, 0};
        for (int i = 0; i < ni && i < 2; i++) {
            in_ver[i] = ti(&ctx, arg_temp(op->args[no + i]))->version;
        }

        bool done = false;
        switch (opc) {
        case INDEX_op_add:
            done = fold_add(&ctx, op);
            break;
        case INDEX_op_add2:
        case INDEX_op_sub2:
            done = fold_add2_sub2(&ctx, op);
            break;
        case INDEX_op_and:
            done = fold_and(&ctx, op);
            break;
        case INDEX_op_andc:
            done = fold_andc(&ctx, op);
            break;
        case INDEX_op_brcond:
            done = fold_brcond(&ctx, op);
            break;
        case INDEX_op_bswap16:
        case INDEX_op_bswap32:
        case INDEX_op_bswap64:
            done = fold_bswap(&ctx, op);
            break;
        case INDEX_op_call:
            done = fold_call(&ctx, op);
            break;
        case INDEX_op_clz:
        case INDEX_op_ctz:
            done = fold_count_zeros(&ctx, op);
            break;
        case INDEX_op_ctpop:
            done = fold_ctpop(&ctx, op);
            break;
        case INDEX_op_deposit:
            done = fold_deposit(&ctx, op);
            break;
        case INDEX_op_div2:
        case INDEX_op_divu2:
            done = fold_divide(&ctx, op);
            break;
        case INDEX_op_ext8s:
        case INDEX_op_ext16s:
        case INDEX_op_ext32s:
        case INDEX_op_ext_i32_i64:
            done = fold_exts(&ctx, op);
            break;
        case INDEX_op_ext8u:
        case INDEX_op_ext16u:
        case INDEX_op_ext32u:
        case INDEX_op_extu_i32_i64:
        case INDEX_op_extrl_i64_i32:
            done = fold_extu(&ctx, op);
            break;
        case INDEX_op_extrh_i64_i32:
            done = fold_const1(&ctx, op);
            break;
        case INDEX_op_extract:
        case INDEX_op_sextract:
            done = fold_extract(&ctx, op);
            break;
        case INDEX_op_extract2:
            done = fold_extract2(&ctx, op);
            break;
        case INDEX_op_ld8u:
        case INDEX_op_ld16u:
        case INDEX_op_ld32u:
        case INDEX_op_qemu_ld:
            done = fold_load(&ctx, op);
            break;
        case INDEX_op_movcond:
            done = fold_movcond(&ctx, op);
            break;
        case INDEX_op_mov:
            done = fold_mov(&ctx, op);
            break;
        case INDEX_op_mul:
            done = fold_mul(&ctx, op);
            break;
        case INDEX_op_mulu2:
        case INDEX_op_muls2:
            done = fold_mul2(&ctx, op);
            break;
        case INDEX_op_neg:
        case INDEX_op_not:
            done = fold_neg_not(&ctx, op);
            break;
        case INDEX_op_or:
        case INDEX_op_xor:
            done = fold_or_xor(&ctx, op);
            break;
        case INDEX_op_setcond:
        case INDEX_op_negsetcond:
            done = fold_setcond(&ctx, op);
            break;
        case INDEX_op_shl:
        case INDEX_op_shr:
        case INDEX_op_sar:
        case INDEX_op_rotl:
        case INDEX_op_rotr:
            done = fold_shift(&ctx, op);
            break;
        case INDEX_op_sub:
            done = fold_sub(&ctx, op);
            break;
        case INDEX_op_qemu_st:
            fold_guest_addr(&ctx, op, 1);
            break;
        default:
            break;
        }
        if (!done) {
            finish_outputs(&ctx, op, tcg_op_nb_oargs(op), ~0ull);
        }
        if (cse) {
            /* the output now holds the value (even if folded to a mov) */
            cse_record(&ctx, &key, cse_out);
        }
        /* remember the defining op (if it survived, unchanged in kind) */
        bool alive = before ? before->next == op : s->first_op == op;
        if (alive && op->opc == opc && no == 1 && opc != INDEX_op_call &&
            opc != INDEX_op_mov) {
            TempOptInfo *oi = ti(&ctx, arg_temp(op->args[0]));
            oi->def_op = op;
            oi->def_in_ver[0] = in_ver[0];
            oi->def_in_ver[1] = in_ver[1];
        }
        if (def->flags & TCG_OPF_BB_END && opc != INDEX_op_brcond) {
            /* after br/exit: unreachable until the next label */
            reset_all(&ctx);
        }
    }
    tcg_opt_stats.ops_after = s->nb_ops;
}
