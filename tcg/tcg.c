/*
 * TCG core: the context, temps, labels, the op list, liveness analysis and
 * the register allocator that drives the host backend.
 *
 * Pipeline for one TB (tcg_gen_code):
 *   ops (from the builders)  -> tcg_optimize()          optimize.c
 *                            -> tcg_liveness_analysis()  dead args, syncs
 *                            -> register allocation + tcg_out_op() per op
 * The allocator is a local one (QEMU-style): a temp's value is DEAD, in a
 * host REG, in MEM (env field or stack slot) or a CONST.  It keeps values
 * in registers within an extended basic block and writes globals back
 * where liveness says they must be in memory.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "tcg/tcg-internal.h"
#include "util/log.h"

TCGContext tcg_ctx_storage;
TCGContext *tcg_ctx;
TCGv_ptr tcg_env;
uintptr_t guest_base;
TCGOptStats tcg_opt_stats;

#define OPDEF(NAME, O, I, C, F)                                                \
    {                                                                          \
        NAME, O, I, C, F                                                       \
    }
/* clang-format off */
const TCGOpDef tcg_op_defs[NB_OPS] = {
    [INDEX_op_discard]    = OPDEF("discard", 1, 0, 0, TCG_OPF_NOT_PRESENT),
    [INDEX_op_set_label]  = OPDEF("set_label", 0, 0, 1, TCG_OPF_BB_END),
    [INDEX_op_br]         = OPDEF("br", 0, 0, 1, TCG_OPF_BB_END),
    [INDEX_op_brcond]     = OPDEF("brcond", 0, 2, 2, TCG_OPF_BB_END |
                                  TCG_OPF_COND_BRANCH | TCG_OPF_BOTH),
    [INDEX_op_call]       = OPDEF("call", 0, 0, 0, TCG_OPF_CALL_CLOBBER),
    [INDEX_op_insn_start] = OPDEF("insn_start", 0, 0, 3,
                                  TCG_OPF_NOT_PRESENT),
    [INDEX_op_mb]         = OPDEF("mb", 0, 0, 1, TCG_OPF_SIDE_EFFECTS),
    [INDEX_op_goto_tb]    = OPDEF("goto_tb", 0, 0, 1, TCG_OPF_BB_EXIT |
                                  TCG_OPF_BB_END),
    [INDEX_op_exit_tb]    = OPDEF("exit_tb", 0, 0, 1, TCG_OPF_BB_EXIT |
                                  TCG_OPF_BB_END),
    [INDEX_op_goto_ptr]   = OPDEF("goto_ptr", 0, 1, 0, TCG_OPF_BB_EXIT |
                                  TCG_OPF_BB_END),
    [INDEX_op_mov]        = OPDEF("mov", 1, 1, 0, TCG_OPF_BOTH),
    [INDEX_op_setcond]    = OPDEF("setcond", 1, 2, 1, TCG_OPF_BOTH),
    [INDEX_op_negsetcond] = OPDEF("negsetcond", 1, 2, 1, TCG_OPF_BOTH),
    [INDEX_op_movcond]    = OPDEF("movcond", 1, 4, 1, TCG_OPF_BOTH),
    [INDEX_op_ld8u]       = OPDEF("ld8u", 1, 1, 1, TCG_OPF_BOTH),
    [INDEX_op_ld8s]       = OPDEF("ld8s", 1, 1, 1, TCG_OPF_BOTH),
    [INDEX_op_ld16u]      = OPDEF("ld16u", 1, 1, 1, TCG_OPF_BOTH),
    [INDEX_op_ld16s]      = OPDEF("ld16s", 1, 1, 1, TCG_OPF_BOTH),
    [INDEX_op_ld32u]      = OPDEF("ld32u", 1, 1, 1, TCG_OPF_BOTH),
    [INDEX_op_ld32s]      = OPDEF("ld32s", 1, 1, 1, TCG_OPF_BOTH),
    [INDEX_op_ld]         = OPDEF("ld", 1, 1, 1, TCG_OPF_BOTH),
    [INDEX_op_st8]        = OPDEF("st8", 0, 2, 1, TCG_OPF_BOTH),
    [INDEX_op_st16]       = OPDEF("st16", 0, 2, 1, TCG_OPF_BOTH),
    [INDEX_op_st32]       = OPDEF("st32", 0, 2, 1, TCG_OPF_BOTH),
    [INDEX_op_st]         = OPDEF("st", 0, 2, 1, TCG_OPF_BOTH),
    [INDEX_op_add]        = OPDEF("add", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_sub]        = OPDEF("sub", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_neg]        = OPDEF("neg", 1, 1, 0, TCG_OPF_BOTH),
    [INDEX_op_mul]        = OPDEF("mul", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_and]        = OPDEF("and", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_or]         = OPDEF("or", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_xor]        = OPDEF("xor", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_andc]       = OPDEF("andc", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_not]        = OPDEF("not", 1, 1, 0, TCG_OPF_BOTH),
    [INDEX_op_shl]        = OPDEF("shl", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_shr]        = OPDEF("shr", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_sar]        = OPDEF("sar", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_rotl]       = OPDEF("rotl", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_rotr]       = OPDEF("rotr", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_div2]       = OPDEF("div2", 2, 3, 0, TCG_OPF_BOTH),
    [INDEX_op_divu2]      = OPDEF("divu2", 2, 3, 0, TCG_OPF_BOTH),
    [INDEX_op_mulu2]      = OPDEF("mulu2", 2, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_muls2]      = OPDEF("muls2", 2, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_add2]       = OPDEF("add2", 2, 4, 0, TCG_OPF_BOTH),
    [INDEX_op_sub2]       = OPDEF("sub2", 2, 4, 0, TCG_OPF_BOTH),
    [INDEX_op_ext8s]      = OPDEF("ext8s", 1, 1, 0, TCG_OPF_BOTH),
    [INDEX_op_ext8u]      = OPDEF("ext8u", 1, 1, 0, TCG_OPF_BOTH),
    [INDEX_op_ext16s]     = OPDEF("ext16s", 1, 1, 0, TCG_OPF_BOTH),
    [INDEX_op_ext16u]     = OPDEF("ext16u", 1, 1, 0, TCG_OPF_BOTH),
    [INDEX_op_ext32s]     = OPDEF("ext32s", 1, 1, 0, TCG_OPF_BOTH),
    [INDEX_op_ext32u]     = OPDEF("ext32u", 1, 1, 0, TCG_OPF_BOTH),
    [INDEX_op_ext_i32_i64]  = OPDEF("ext_i32_i64", 1, 1, 0, 0),
    [INDEX_op_extu_i32_i64] = OPDEF("extu_i32_i64", 1, 1, 0, 0),
    [INDEX_op_extrl_i64_i32] = OPDEF("extrl_i64_i32", 1, 1, 0, 0),
    [INDEX_op_extrh_i64_i32] = OPDEF("extrh_i64_i32", 1, 1, 0, 0),
    [INDEX_op_extract]    = OPDEF("extract", 1, 1, 2, TCG_OPF_BOTH),
    [INDEX_op_sextract]   = OPDEF("sextract", 1, 1, 2, TCG_OPF_BOTH),
    [INDEX_op_deposit]    = OPDEF("deposit", 1, 2, 2, TCG_OPF_BOTH),
    [INDEX_op_extract2]   = OPDEF("extract2", 1, 2, 1, TCG_OPF_BOTH),
    [INDEX_op_bswap16]    = OPDEF("bswap16", 1, 1, 1, TCG_OPF_BOTH),
    [INDEX_op_bswap32]    = OPDEF("bswap32", 1, 1, 1, TCG_OPF_BOTH),
    [INDEX_op_bswap64]    = OPDEF("bswap64", 1, 1, 1, TCG_OPF_BOTH),
    [INDEX_op_clz]        = OPDEF("clz", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_ctz]        = OPDEF("ctz", 1, 2, 0, TCG_OPF_BOTH),
    [INDEX_op_ctpop]      = OPDEF("ctpop", 1, 1, 0, TCG_OPF_BOTH),
    [INDEX_op_qemu_ld]    = OPDEF("qemu_ld", 1, 1, 2, TCG_OPF_BOTH |
                                  TCG_OPF_SIDE_EFFECTS),
    [INDEX_op_qemu_st]    = OPDEF("qemu_st", 0, 2, 2, TCG_OPF_BOTH |
                                  TCG_OPF_SIDE_EFFECTS),
    [INDEX_op_atomic_cmpxchg]   = OPDEF("atomic_cmpxchg", 1, 3, 1,
                                        TCG_OPF_BOTH | TCG_OPF_SIDE_EFFECTS),
    [INDEX_op_atomic_xchg]      = OPDEF("atomic_xchg", 1, 2, 1,
                                        TCG_OPF_BOTH | TCG_OPF_SIDE_EFFECTS),
    [INDEX_op_atomic_fetch_add] = OPDEF("atomic_fetch_add", 1, 2, 1,
                                        TCG_OPF_BOTH | TCG_OPF_SIDE_EFFECTS),
};
/* clang-format on */

TCGCond tcg_swap_cond(TCGCond c)
{
    switch (c) {
    case TCG_COND_LT:
        return TCG_COND_GT;
    case TCG_COND_GT:
        return TCG_COND_LT;
    case TCG_COND_LE:
        return TCG_COND_GE;
    case TCG_COND_GE:
        return TCG_COND_LE;
    case TCG_COND_LTU:
        return TCG_COND_GTU;
    case TCG_COND_GTU:
        return TCG_COND_LTU;
    case TCG_COND_LEU:
        return TCG_COND_GEU;
    case TCG_COND_GEU:
        return TCG_COND_LEU;
    default:
        return c;
    }
}

bool tcg_cond_is_unsigned(TCGCond c)
{
    return c == TCG_COND_LTU || c == TCG_COND_GEU || c == TCG_COND_LEU ||
           c == TCG_COND_GTU;
}

bool tcg_cond_eval(TCGType type, TCGCond c, uint64_t a, uint64_t b)
{
    int64_t sa, sb;
    if (type == TCG_TYPE_I32) {
        a = (uint32_t)a;
        b = (uint32_t)b;
        sa = (int32_t)a;
        sb = (int32_t)b;
    } else {
        sa = a;
        sb = b;
    }
    switch (c) {
    case TCG_COND_NEVER:
        return false;
    case TCG_COND_ALWAYS:
        return true;
    case TCG_COND_EQ:
        return a == b;
    case TCG_COND_NE:
        return a != b;
    case TCG_COND_LT:
        return sa < sb;
    case TCG_COND_GE:
        return sa >= sb;
    case TCG_COND_LE:
        return sa <= sb;
    case TCG_COND_GT:
        return sa > sb;
    case TCG_COND_LTU:
        return a < b;
    case TCG_COND_GEU:
        return a >= b;
    case TCG_COND_LEU:
        return a <= b;
    case TCG_COND_GTU:
        return a > b;
    case TCG_COND_TSTEQ:
        return (a & b) == 0;
    case TCG_COND_TSTNE:
        return (a & b) != 0;
    }
    g_assert_not_reached();
}

/* ---- temps ------------------------------------------------------------ */

static TCGTemp *tcg_temp_alloc(TCGContext *s)
{
    if (s->nb_temps >= TCG_MAX_TEMPS) {
        /* The frontend ignored tcg_op_buf_full(); an internal bug. */
        g_error("tcg: too many temps in one TB");
    }
    TCGTemp *ts = &s->temps[s->nb_temps];
    memset(ts, 0, sizeof(*ts));
    ts->index = s->nb_temps++;
    ts->reg = -1;
    return ts;
}

TCGTemp *tcg_global_mem_new_internal(TCGType type, intptr_t offset,
                                     const char *name)
{
    TCGContext *s = tcg_ctx;
    g_assert(s->nb_temps == s->nb_globals); /* only before any TB */
    TCGTemp *ts = tcg_temp_alloc(s);
    ts->base_type = type;
    ts->kind = TEMP_GLOBAL;
    ts->mem_base = tcgv_ptr_temp(tcg_env);
    ts->mem_offset = offset;
    ts->mem_allocated = true;
    ts->temp_allocated = true;
    ts->name = g_strdup(name);
    ts->val_type = TEMP_VAL_MEM;
    s->nb_globals++;
    return ts;
}

TCGv_i32 tcg_global_mem_new_i32(TCGv_ptr base, intptr_t offset,
                                const char *name)
{
    g_assert(base == tcg_env);
    return temp_tcgv_i32(
        tcg_global_mem_new_internal(TCG_TYPE_I32, offset, name));
}

TCGv_i64 tcg_global_mem_new_i64(TCGv_ptr base, intptr_t offset,
                                const char *name)
{
    g_assert(base == tcg_env);
    return temp_tcgv_i64(
        tcg_global_mem_new_internal(TCG_TYPE_I64, offset, name));
}

TCGv_ptr tcg_global_mem_new_ptr(TCGv_ptr base, intptr_t offset,
                                const char *name)
{
    g_assert(base == tcg_env);
    return temp_tcgv_ptr(
        tcg_global_mem_new_internal(TCG_TYPE_PTR, offset, name));
}

TCGTemp *tcg_temp_new_internal(TCGType type, TCGTempKind kind)
{
    TCGContext *s = tcg_ctx;
    int k = kind == TEMP_TB;
    TCGTemp *ts = s->free_temps[type][k];
    if (ts) {
        s->free_temps[type][k] = ts->state_ptr;
        ts->state_ptr = NULL;
    } else {
        ts = tcg_temp_alloc(s);
        ts->base_type = type;
        ts->kind = kind;
    }
    ts->temp_allocated = true;
    return ts;
}

void tcg_temp_free_internal(TCGTemp *ts)
{
    TCGContext *s = tcg_ctx;
    if (ts->kind != TEMP_TB && ts->kind != TEMP_EBB) {
        return; /* globals and constants are never freed */
    }
    g_assert(ts->temp_allocated);
    ts->temp_allocated = false;
    int k = ts->kind == TEMP_TB;
    ts->state_ptr = s->free_temps[ts->base_type][k];
    s->free_temps[ts->base_type][k] = ts;
}

TCGv_i32 tcg_temp_new_i32(void)
{
    return temp_tcgv_i32(tcg_temp_new_internal(TCG_TYPE_I32, TEMP_TB));
}
TCGv_i64 tcg_temp_new_i64(void)
{
    return temp_tcgv_i64(tcg_temp_new_internal(TCG_TYPE_I64, TEMP_TB));
}
TCGv_ptr tcg_temp_new_ptr(void)
{
    return temp_tcgv_ptr(tcg_temp_new_internal(TCG_TYPE_PTR, TEMP_TB));
}
TCGv_i32 tcg_temp_ebb_new_i32(void)
{
    return temp_tcgv_i32(tcg_temp_new_internal(TCG_TYPE_I32, TEMP_EBB));
}
TCGv_i64 tcg_temp_ebb_new_i64(void)
{
    return temp_tcgv_i64(tcg_temp_new_internal(TCG_TYPE_I64, TEMP_EBB));
}
void tcg_temp_free_i32(TCGv_i32 t)
{
    tcg_temp_free_internal(tcgv_i32_temp(t));
}
void tcg_temp_free_i64(TCGv_i64 t)
{
    tcg_temp_free_internal(tcgv_i64_temp(t));
}
void tcg_temp_free_ptr(TCGv_ptr t)
{
    tcg_temp_free_internal(tcgv_ptr_temp(t));
}

static unsigned const_hash(TCGType type, int64_t val)
{
    uint64_t h = (uint64_t)val * 0x9e3779b97f4a7c15ull + type;
    return (h >> 40) & (TCG_CONST_HASH_SIZE - 1);
}

TCGTemp *tcg_constant_internal(TCGType type, int64_t val)
{
    TCGContext *s = tcg_ctx;
    val = tcg_canon(type, val);
    unsigned h = const_hash(type, val);
    for (;;) {
        int idx = s->const_hash[h];
        if (idx < 0) {
            break;
        }
        TCGTemp *ts = &s->temps[idx];
        if (ts->val == val && ts->base_type == type) {
            return ts;
        }
        h = (h + 1) & (TCG_CONST_HASH_SIZE - 1);
    }
    TCGTemp *ts = tcg_temp_alloc(s);
    ts->base_type = type;
    ts->kind = TEMP_CONST;
    ts->temp_allocated = true;
    ts->val = val;
    ts->val_type = TEMP_VAL_CONST;
    /* keep the table at most half full; extra constants are not shared */
    if (s->nb_consts < TCG_CONST_HASH_SIZE / 2) {
        s->const_hash[h] = ts->index;
        s->nb_consts++;
    }
    return ts;
}

TCGv_i32 tcg_constant_i32(int32_t val)
{
    return temp_tcgv_i32(tcg_constant_internal(TCG_TYPE_I32, val));
}
TCGv_i64 tcg_constant_i64(int64_t val)
{
    return temp_tcgv_i64(tcg_constant_internal(TCG_TYPE_I64, val));
}
TCGv_ptr tcg_constant_ptr(intptr_t val)
{
    return temp_tcgv_ptr(tcg_constant_internal(TCG_TYPE_PTR, val));
}

int tcg_nb_temps(void)
{
    return tcg_ctx->nb_temps;
}
int tcg_nb_globals(void)
{
    return tcg_ctx->nb_globals;
}
TCGTemp *tcg_temp_at(int index)
{
    return &tcg_ctx->temps[index];
}

/* ---- labels ----------------------------------------------------------- */

TCGLabel *gen_new_label(void)
{
    TCGContext *s = tcg_ctx;
    TCGLabel *l = g_new0(TCGLabel, 1);
    l->id = s->nb_labels++;
    g_ptr_array_add(s->labels, l);
    return l;
}

/* ---- ops -------------------------------------------------------------- */

static TCGOp *tcg_op_alloc(TCGContext *s)
{
    TCGOp *op;
    if (s->free_ops) {
        op = s->free_ops;
        s->free_ops = op->next;
    } else {
        op = g_new(TCGOp, 1);
    }
    memset(op, 0, sizeof(*op));
    s->nb_ops++;
    return op;
}

static TCGOp *tcg_op_new(TCGOpcode opc, TCGType type, unsigned nargs)
{
    TCGOp *op = tcg_op_alloc(tcg_ctx);
    op->opc = opc;
    op->type = type;
    op->nargs = nargs;
    return op;
}

TCGOp *tcg_emit_op(TCGOpcode opc, TCGType type, unsigned nargs)
{
    TCGContext *s = tcg_ctx;
    TCGOp *op = tcg_op_new(opc, type, nargs);
    op->prev = s->last_op;
    if (s->last_op) {
        s->last_op->next = op;
    } else {
        s->first_op = op;
    }
    s->last_op = op;
    return op;
}

TCGOp *tcg_op_insert_before(TCGOp *old, TCGOpcode opc, TCGType type,
                            unsigned nargs)
{
    TCGContext *s = tcg_ctx;
    TCGOp *op = tcg_op_new(opc, type, nargs);
    op->next = old;
    op->prev = old->prev;
    if (old->prev) {
        old->prev->next = op;
    } else {
        s->first_op = op;
    }
    old->prev = op;
    return op;
}

TCGOp *tcg_op_insert_after(TCGOp *old, TCGOpcode opc, TCGType type,
                           unsigned nargs)
{
    TCGContext *s = tcg_ctx;
    TCGOp *op = tcg_op_new(opc, type, nargs);
    op->prev = old;
    op->next = old->next;
    if (old->next) {
        old->next->prev = op;
    } else {
        s->last_op = op;
    }
    old->next = op;
    return op;
}

void tcg_op_remove(TCGOp *op)
{
    TCGContext *s = tcg_ctx;
    if (op->opc == INDEX_op_br) {
        arg_label(op->args[0])->refs--;
    } else if (op->opc == INDEX_op_brcond) {
        arg_label(op->args[3])->refs--;
    }
    if (op->prev) {
        op->prev->next = op->next;
    } else {
        s->first_op = op->next;
    }
    if (op->next) {
        op->next->prev = op->prev;
    } else {
        s->last_op = op->prev;
    }
    s->nb_ops--;
    op->next = s->free_ops;
    s->free_ops = op;
}

TCGOp *tcg_first_op(void)
{
    return tcg_ctx->first_op;
}
TCGOp *tcg_last_op(void)
{
    return tcg_ctx->last_op;
}
int tcg_nb_ops(void)
{
    return tcg_ctx->nb_ops;
}

bool tcg_op_buf_full(void)
{
    TCGContext *s = tcg_ctx;
    return s->nb_ops > TCG_MAX_OPS - 400 || s->nb_temps > TCG_MAX_TEMPS - 300 ||
           s->nb_insn_starts >= TCG_MAX_INSNS;
}

TCGOp *tcg_emit_op1(TCGOpcode opc, TCGType type, TCGArg a1)
{
    TCGOp *op = tcg_emit_op(opc, type, 1);
    op->args[0] = a1;
    return op;
}
TCGOp *tcg_emit_op2(TCGOpcode opc, TCGType type, TCGArg a1, TCGArg a2)
{
    TCGOp *op = tcg_emit_op(opc, type, 2);
    op->args[0] = a1;
    op->args[1] = a2;
    return op;
}
TCGOp *tcg_emit_op3(TCGOpcode opc, TCGType type, TCGArg a1, TCGArg a2,
                    TCGArg a3)
{
    TCGOp *op = tcg_emit_op(opc, type, 3);
    op->args[0] = a1;
    op->args[1] = a2;
    op->args[2] = a3;
    return op;
}
TCGOp *tcg_emit_op4(TCGOpcode opc, TCGType type, TCGArg a1, TCGArg a2,
                    TCGArg a3, TCGArg a4)
{
    TCGOp *op = tcg_emit_op(opc, type, 4);
    op->args[0] = a1;
    op->args[1] = a2;
    op->args[2] = a3;
    op->args[3] = a4;
    return op;
}
TCGOp *tcg_emit_op5(TCGOpcode opc, TCGType type, TCGArg a1, TCGArg a2,
                    TCGArg a3, TCGArg a4, TCGArg a5)
{
    TCGOp *op = tcg_emit_op(opc, type, 5);
    op->args[0] = a1;
    op->args[1] = a2;
    op->args[2] = a3;
    op->args[3] = a4;
    op->args[4] = a5;
    return op;
}
TCGOp *tcg_emit_op6(TCGOpcode opc, TCGType type, TCGArg a1, TCGArg a2,
                    TCGArg a3, TCGArg a4, TCGArg a5, TCGArg a6)
{
    TCGOp *op = tcg_emit_op(opc, type, 6);
    op->args[0] = a1;
    op->args[1] = a2;
    op->args[2] = a3;
    op->args[3] = a4;
    op->args[4] = a5;
    op->args[5] = a6;
    return op;
}

void tcg_func_start(void)
{
    TCGContext *s = tcg_ctx;
    /* drop ops */
    TCGOp *op = s->first_op;
    if (op) {
        s->last_op->next = s->free_ops;
        s->free_ops = op;
    }
    s->first_op = s->last_op = NULL;
    s->nb_ops = 0;
    /* drop temps (keep globals) */
    s->nb_temps = s->nb_globals;
    for (int t = 0; t < TCG_TYPE_COUNT; t++) {
        s->free_temps[t][0] = s->free_temps[t][1] = NULL;
    }
    memset(s->const_hash, 0xff, sizeof(s->const_hash));
    s->nb_consts = 0;
    for (guint i = 0; i < s->labels->len; i++) {
        TCGLabel *l = g_ptr_array_index(s->labels, i);
        TCGLabelUse *u = l->uses;
        while (u) {
            TCGLabelUse *n = u->next;
            g_free(u);
            u = n;
        }
        g_free(l);
    }
    g_ptr_array_set_size(s->labels, 0);
    s->nb_labels = 0;
    s->nb_insn_starts = 0;
}

/* ---- dump ------------------------------------------------------------- */

static const char *cond_name[16] = {
    [TCG_COND_NEVER] = "never", [TCG_COND_ALWAYS] = "always",
    [TCG_COND_EQ] = "eq",       [TCG_COND_NE] = "ne",
    [TCG_COND_LT] = "lt",       [TCG_COND_GE] = "ge",
    [TCG_COND_LE] = "le",       [TCG_COND_GT] = "gt",
    [TCG_COND_LTU] = "ltu",     [TCG_COND_GEU] = "geu",
    [TCG_COND_LEU] = "leu",     [TCG_COND_GTU] = "gtu",
    [TCG_COND_TSTEQ] = "tsteq", [TCG_COND_TSTNE] = "tstne",
};

static void tcg_temp_name(TCGContext *s, char *buf, size_t n, TCGTemp *ts)
{
    switch (ts->kind) {
    case TEMP_GLOBAL:
    case TEMP_FIXED:
        snprintf(buf, n, "%s", ts->name);
        break;
    case TEMP_CONST:
        if (ts->base_type == TCG_TYPE_I32) {
            snprintf(buf, n, "$0x%x", (uint32_t)ts->val);
        } else {
            snprintf(buf, n, "$0x%" PRIx64, (uint64_t)ts->val);
        }
        break;
    case TEMP_TB:
        snprintf(buf, n, "tmp%d", ts->index - s->nb_globals);
        break;
    case TEMP_EBB:
        snprintf(buf, n, "loc%d", ts->index - s->nb_globals);
        break;
    }
}

void tcg_dump_ops(TCGContext *s, FILE *f, bool have_prefs)
{
    char buf[64];
    TCGOp *op;
    for (op = s->first_op; op; op = op->next) {
        const TCGOpDef *def = &tcg_op_defs[op->opc];
        int col = 0;
        if (op->opc == INDEX_op_insn_start) {
            col += fprintf(f, "\n ---- ");
            for (unsigned i = 0; i < s->insn_start_words; i++) {
                col += fprintf(f, " %016" PRIx64, op->args[i]);
            }
            fputc('\n', f);
            continue;
        }
        if (op->opc == INDEX_op_call) {
            int no = tcg_op_nb_oargs(op);
            col += fprintf(f, " call %s", op->call->name);
            for (int i = 0; i < no + (int)op->call->nargs; i++) {
                tcg_temp_name(s, buf, sizeof(buf), arg_temp(op->args[i]));
                col += fprintf(f, "%s%s", i ? "," : " ", buf);
            }
        } else {
            const char *sfx = "";
            if (def->flags & TCG_OPF_BOTH) {
                sfx = op->type == TCG_TYPE_I32 ? "_i32" : "_i64";
            }
            col += fprintf(f, " %s%s ", def->name, sfx);
            int k = 0;
            for (int i = 0; i < def->nb_oargs + def->nb_iargs; i++) {
                tcg_temp_name(s, buf, sizeof(buf), arg_temp(op->args[i]));
                col += fprintf(f, "%s%s", k++ ? "," : "", buf);
            }
            for (int i = 0; i < def->nb_cargs; i++) {
                TCGArg a = op->args[def->nb_oargs + def->nb_iargs + i];
                const char *sep = k++ ? "," : "";
                if ((op->opc == INDEX_op_brcond && i == 0) ||
                    ((op->opc == INDEX_op_setcond ||
                      op->opc == INDEX_op_negsetcond ||
                      op->opc == INDEX_op_movcond) &&
                     i == 0)) {
                    col += fprintf(f, "%s%s", sep, cond_name[a & 15]);
                } else if ((op->opc == INDEX_op_brcond && i == 1) ||
                           op->opc == INDEX_op_br ||
                           op->opc == INDEX_op_set_label) {
                    col += fprintf(f, "%s$L%d", sep, arg_label(a)->id);
                } else {
                    col += fprintf(f, "%s$0x%" PRIx64, sep, (uint64_t)a);
                }
            }
        }
        if (have_prefs && (op->life_dead || op->life_sync)) {
            for (; col < 40; col++) {
                fputc(' ', f);
            }
            if (op->life_sync) {
                col += fprintf(f, " sync:");
                for (int i = 0; i < 16; i++) {
                    if (op->life_sync & (1 << i)) {
                        fprintf(f, " %d", i);
                    }
                }
            }
            if (op->life_dead) {
                fprintf(f, " dead:");
                for (int i = 0; i < 16; i++) {
                    if (op->life_dead & (1 << i)) {
                        fprintf(f, " %d", i);
                    }
                }
            }
        }
        fputc('\n', f);
    }
}

/* ---- liveness --------------------------------------------------------- */

enum { TS_DEAD = 1, TS_MEM = 2 };

/*
 * A TEMP_TB temp used in only one extended basic block is handled as an
 * EBB temp: it need not be stored to its stack slot at block ends.
 */
static void liveness_demote_tb_temps(TCGContext *s)
{
    int n = s->nb_temps;
    static int bb[TCG_MAX_TEMPS];
    static bool multi[TCG_MAX_TEMPS];
    memset(multi, 0, n * sizeof(bool));
    int cur = 0;
    for (int i = 0; i < n; i++) {
        bb[i] = -1;
    }
    TCGOp *op;
    for (op = s->first_op; op; op = op->next) {
        if (op->opc == INDEX_op_set_label) {
            cur++;
        }
        int nt =
            op->opc == INDEX_op_call
                ? tcg_op_nb_oargs(op) + tcg_op_nb_iargs(op)
                : tcg_op_defs[op->opc].nb_oargs + tcg_op_defs[op->opc].nb_iargs;
        for (int i = 0; i < nt; i++) {
            TCGTemp *ts = arg_temp(op->args[i]);
            if (ts->kind != TEMP_TB) {
                continue;
            }
            if (bb[ts->index] < 0) {
                bb[ts->index] = cur;
            } else if (bb[ts->index] != cur) {
                multi[ts->index] = true;
            }
        }
        if (tcg_op_defs[op->opc].flags & TCG_OPF_BB_END &&
            op->opc != INDEX_op_set_label) {
            /*
             * A conditional branch ends the block but the fall-through
             * continues the same EBB; values flow into it.  Only labels
             * start a new EBB, so nothing to do here.
             */
        }
    }
    /* block ends only need to visit globals and these */
    s->nb_tb_temps = 0;
    for (int i = s->nb_globals; i < n; i++) {
        TCGTemp *ts = &s->temps[i];
        if (ts->kind == TEMP_TB && !multi[i]) {
            ts->kind = TEMP_EBB;
        }
        if (ts->kind == TEMP_TB || ts->kind == TEMP_CONST) {
            s->tb_temps[s->nb_tb_temps++] = i;
        }
    }
}

/*
 * At a block end: globals must be in memory, TB temps too unless the TB
 * ends, everything else is dead.  EBB temps need no visit: going
 * backwards, each is DEAD again once its definition has been passed.
 */
static void la_bb_end(TCGContext *s, bool exit)
{
    for (int i = 0; i < s->nb_globals; i++) {
        TCGTemp *ts = &s->temps[i];
        ts->state = ts->kind == TEMP_GLOBAL ? TS_DEAD | TS_MEM : TS_DEAD;
    }
    for (int k = 0; k < s->nb_tb_temps; k++) {
        TCGTemp *ts = &s->temps[s->tb_temps[k]];
        ts->state = ts->kind == TEMP_TB && !exit ? TS_DEAD | TS_MEM : TS_DEAD;
    }
}

/* EBB temps stay live across a conditional branch (fall-through). */
static void la_bb_end_cond(TCGContext *s)
{
    for (int i = 0; i < s->nb_globals; i++) {
        if (s->temps[i].kind == TEMP_GLOBAL) {
            s->temps[i].state |= TS_MEM;
        }
    }
    for (int k = 0; k < s->nb_tb_temps; k++) {
        TCGTemp *ts = &s->temps[s->tb_temps[k]];
        if (ts->kind == TEMP_TB) {
            ts->state |= TS_MEM;
        }
    }
}

static void la_global_sync(TCGContext *s)
{
    for (int i = 0; i < s->nb_globals; i++) {
        if (s->temps[i].kind == TEMP_GLOBAL) {
            s->temps[i].state |= TS_MEM;
        }
    }
}

static void la_global_kill(TCGContext *s)
{
    for (int i = 0; i < s->nb_globals; i++) {
        if (s->temps[i].kind == TEMP_GLOBAL) {
            s->temps[i].state = TS_DEAD | TS_MEM;
        }
    }
}

void tcg_liveness_analysis(TCGContext *s)
{
    liveness_demote_tb_temps(s);
    for (int i = 0; i < s->nb_temps; i++) {
        s->temps[i].state = TS_DEAD;
    }
    la_bb_end(s, true);
    TCGOp *op, *prev;
    for (op = s->last_op; op; op = prev) {
        prev = op->prev;
        TCGOpcode opc = op->opc;
        const TCGOpDef *def = &tcg_op_defs[opc];
        int no = tcg_op_nb_oargs(op), ni = tcg_op_nb_iargs(op);
        uint16_t dead = 0, sync = 0;

        if (opc == INDEX_op_insn_start) {
            continue;
        }
        if (opc == INDEX_op_discard) {
            arg_temp(op->args[0])->state = TS_DEAD;
            tcg_op_remove(op);
            continue;
        }
        if (opc == INDEX_op_set_label || opc == INDEX_op_br) {
            la_bb_end(s, false);
            op->life_dead = op->life_sync = 0;
            continue;
        }
        if (def->flags & TCG_OPF_BB_EXIT) {
            la_bb_end(s, true);
        } else if (opc == INDEX_op_brcond) {
            la_bb_end_cond(s);
        }

        /* Dead code: pure op whose outputs are all dead. */
        bool pure =
            opc == INDEX_op_call
                ? (op->call->flags & TCG_CALL_NO_SIDE_EFFECTS) != 0
                : !(def->flags & (TCG_OPF_SIDE_EFFECTS | TCG_OPF_BB_END));
        if (pure && no > 0) {
            bool all_dead = true;
            for (int i = 0; i < no; i++) {
                if (arg_temp(op->args[i])->state != TS_DEAD) {
                    all_dead = false;
                }
            }
            if (all_dead) {
                tcg_op_remove(op);
                continue;
            }
        }

        for (int i = 0; i < no; i++) {
            TCGTemp *ts = arg_temp(op->args[i]);
            if (ts->state & TS_DEAD) {
                dead |= 1 << i;
            }
            if (ts->state & TS_MEM) {
                sync |= 1 << i;
            }
            ts->state = TS_DEAD;
        }

        if (opc == INDEX_op_call) {
            unsigned f = op->call->flags;
            if (!(f & TCG_CALL_NO_WRITE_GLOBALS)) {
                la_global_kill(s);
            } else if (!(f & TCG_CALL_NO_READ_GLOBALS)) {
                la_global_sync(s);
            }
        } else if (def->flags & TCG_OPF_SIDE_EFFECTS) {
            la_global_sync(s);
        }

        for (int i = no; i < no + ni; i++) {
            TCGTemp *ts = arg_temp(op->args[i]);
            if (ts->state & TS_DEAD) {
                dead |= 1 << i;
            }
        }
        for (int i = no; i < no + ni; i++) {
            arg_temp(op->args[i])->state &= ~TS_DEAD;
        }
        /*
         * Calls that read globals need them in memory: that was set above
         * (global kill/sync) before the inputs were marked live.
         */
        op->life_dead = dead;
        op->life_sync = sync;
    }
}

/* ---- the backend ------------------------------------------------------ */

#include "tcg/x86_64/tcg-target.c.inc"

/* ---- register allocation ---------------------------------------------- */

static void temp_alloc_frame(TCGContext *s, TCGTemp *ts)
{
    if (s->frame_next + 8 > s->frame_end) {
        s->frame_overflow = true;
        ts->mem_offset = s->frame_end - 8; /* keep going; result discarded */
    } else {
        ts->mem_offset = s->frame_next;
        s->frame_next += 8;
    }
    ts->mem_base = NULL; /* the frame (host stack) */
    ts->mem_allocated = true;
}

static void temp_store(TCGContext *s, TCGTemp *ts, TCGReg reg)
{
    if (!ts->mem_allocated) {
        temp_alloc_frame(s, ts);
    }
    tcg_out_st(s, ts->base_type, reg,
               ts->mem_base ? TCG_AREG0 : TCG_REG_CALL_STACK, ts->mem_offset);
}

static void temp_load_from_mem(TCGContext *s, TCGTemp *ts, TCGReg reg)
{
    tcg_out_ld(s, ts->base_type, reg,
               ts->mem_base ? TCG_AREG0 : TCG_REG_CALL_STACK, ts->mem_offset);
}

static void temp_sync_slow(TCGContext *s, TCGTemp *ts);

/* Writes ts back to memory if its memory copy is stale; keeps the reg. */
static inline void temp_sync(TCGContext *s, TCGTemp *ts)
{
    /* fast path: nothing to write (the common case at block ends) */
    if (ts->val_type == TEMP_VAL_MEM || ts->val_type == TEMP_VAL_DEAD ||
        (ts->val_type == TEMP_VAL_REG && ts->mem_coherent)) {
        return;
    }
    temp_sync_slow(s, ts);
}

static void temp_sync_slow(TCGContext *s, TCGTemp *ts)
{
    if (ts->kind == TEMP_CONST || ts->kind == TEMP_FIXED) {
        return;
    }
    switch (ts->val_type) {
    case TEMP_VAL_CONST:
        if (!ts->mem_allocated) {
            temp_alloc_frame(s, ts);
        }
        if (!tcg_out_sti(s, ts->base_type, ts->val,
                         ts->mem_base ? TCG_AREG0 : TCG_REG_CALL_STACK,
                         ts->mem_offset)) {
            tcg_out_movi(s, ts->base_type, TCG_TMP, ts->val);
            temp_store(s, ts, TCG_TMP);
        }
        ts->mem_coherent = true;
        break;
    case TEMP_VAL_REG:
        if (!ts->mem_coherent) {
            temp_store(s, ts, ts->reg);
            ts->mem_coherent = true;
        }
        break;
    default:
        break;
    }
}

static void temp_free_or_dead(TCGContext *s, TCGTemp *ts, bool dead)
{
    if (ts->kind == TEMP_FIXED) {
        return;
    }
    if (ts->val_type == TEMP_VAL_REG) {
        s->reg_to_temp[ts->reg] = NULL;
    }
    if (ts->kind == TEMP_CONST) {
        ts->val_type = TEMP_VAL_CONST;
    } else if (ts->val_type == TEMP_VAL_DEAD) {
        /* stays dead */
    } else if (dead) {
        /* globals and TB temps live on in memory (synced if needed) */
        ts->val_type = ts->kind == TEMP_EBB ? TEMP_VAL_DEAD : TEMP_VAL_MEM;
    } else {
        ts->val_type = TEMP_VAL_MEM; /* caller synced it */
    }
}

/* Temp is dead: free its register. */
static void temp_dead(TCGContext *s, TCGTemp *ts)
{
    temp_free_or_dead(s, ts, true);
}

/* Save: sync to memory and free the register. */
static void temp_save(TCGContext *s, TCGTemp *ts)
{
    temp_sync(s, ts);
    temp_free_or_dead(s, ts, false);
}

/* Evicts whatever temp occupies reg (saving it to memory). */
static void tcg_reg_free(TCGContext *s, TCGReg reg)
{
    TCGTemp *ts = s->reg_to_temp[reg];
    if (ts) {
        temp_save(s, ts);
    }
}

static int regset_first(TCGRegSet set)
{
    for (int i = 0; i < TCG_TARGET_NB_REGS; i++) {
        int r = tcg_target_reg_alloc_order[i];
        if (set & (1u << r)) {
            return r;
        }
    }
    return -1;
}

/* Picks a register from want, not in avoid: a free one, else evicts. */
static TCGReg tcg_reg_alloc(TCGContext *s, TCGRegSet want, TCGRegSet avoid)
{
    TCGRegSet ok = want & ~avoid & ~s->reserved_regs;
    for (int i = 0; i < TCG_TARGET_NB_REGS; i++) {
        int r = tcg_target_reg_alloc_order[i];
        if ((ok & (1u << r)) && !s->reg_to_temp[r]) {
            return r;
        }
    }
    /* evict: prefer a temp whose memory copy is already coherent */
    for (int i = 0; i < TCG_TARGET_NB_REGS; i++) {
        int r = tcg_target_reg_alloc_order[i];
        if ((ok & (1u << r)) && s->reg_to_temp[r]->mem_coherent) {
            tcg_reg_free(s, r);
            return r;
        }
    }
    int r = regset_first(ok);
    g_assert(r >= 0);
    tcg_reg_free(s, r);
    return r;
}

static void temp_set_reg(TCGContext *s, TCGTemp *ts, TCGReg reg)
{
    if (ts->val_type == TEMP_VAL_REG && ts->reg != reg) {
        s->reg_to_temp[ts->reg] = NULL;
    }
    ts->val_type = TEMP_VAL_REG;
    ts->reg = reg;
    s->reg_to_temp[reg] = ts;
}

/* Makes ts live in some register of want (not avoid); returns it. */
static TCGReg temp_load(TCGContext *s, TCGTemp *ts, TCGRegSet want,
                        TCGRegSet avoid)
{
    if (ts->val_type == TEMP_VAL_REG && (want & ~avoid & (1u << ts->reg))) {
        return ts->reg;
    }
    TCGReg reg = tcg_reg_alloc(s, want, avoid);
    switch (ts->val_type) {
    case TEMP_VAL_REG:
        tcg_out_mov(s, ts->base_type, reg, ts->reg);
        break;
    case TEMP_VAL_CONST:
        tcg_out_movi(s, ts->base_type, reg, ts->val);
        ts->mem_coherent = false;
        break;
    case TEMP_VAL_MEM:
        temp_load_from_mem(s, ts, reg);
        ts->mem_coherent = true;
        break;
    case TEMP_VAL_DEAD:
        /* Reading an uninitialised temp: value is unspecified. */
        ts->mem_coherent = false;
        break;
    }
    temp_set_reg(s, ts, reg);
    return reg;
}

/* At the end of a basic block: everything to memory, all regs free. */
static void tcg_reg_alloc_bb_end(TCGContext *s)
{
    for (int i = 0; i < s->nb_globals; i++) {
        if (s->temps[i].kind == TEMP_GLOBAL) {
            temp_save(s, &s->temps[i]);
        }
    }
    for (int k = 0; k < s->nb_tb_temps; k++) {
        TCGTemp *ts = &s->temps[s->tb_temps[k]];
        if (ts->kind == TEMP_TB) {
            temp_save(s, ts);
        } else {
            temp_free_or_dead(s, ts, true);
        }
    }
    /* EBB temps still in registers die here */
    for (int r = 0; r < TCG_TARGET_NB_REGS; r++) {
        TCGTemp *ts = s->reg_to_temp[r];
        if (ts && ts->kind != TEMP_FIXED) {
            temp_free_or_dead(s, ts, true);
        }
    }
}

/* After a conditional branch: globals/TB temps synced, EBB temps kept. */
static void tcg_reg_alloc_cbranch(TCGContext *s)
{
    for (int i = 0; i < s->nb_globals; i++) {
        temp_sync(s, &s->temps[i]);
    }
    for (int k = 0; k < s->nb_tb_temps; k++) {
        TCGTemp *ts = &s->temps[s->tb_temps[k]];
        if (ts->kind == TEMP_TB) {
            temp_sync(s, ts);
        }
    }
}

static void sync_globals(TCGContext *s)
{
    for (int i = 0; i < s->nb_globals; i++) {
        temp_sync(s, &s->temps[i]);
    }
}

static void save_globals(TCGContext *s)
{
    for (int i = 0; i < s->nb_globals; i++) {
        if (s->temps[i].kind == TEMP_GLOBAL) {
            temp_save(s, &s->temps[i]);
        }
    }
}

static void tcg_reg_alloc_mov(TCGContext *s, const TCGOp *op)
{
    TCGTemp *ots = arg_temp(op->args[0]);
    TCGTemp *its = arg_temp(op->args[1]);
    bool idead = op->life_dead & 2;

    if (ots == its) {
        return;
    }
    if (its->val_type == TEMP_VAL_CONST) {
        if (ots->val_type == TEMP_VAL_REG) {
            s->reg_to_temp[ots->reg] = NULL;
        }
        ots->val_type = TEMP_VAL_CONST;
        ots->val = tcg_canon(ots->base_type, its->val);
        ots->mem_coherent = false;
        if (idead) {
            temp_dead(s, its);
        }
    } else {
        TCGReg ireg = temp_load(s, its, ALL_GENERAL_REGS, 0);
        if (idead && its->kind != TEMP_FIXED && its->kind != TEMP_CONST) {
            /* steal the register */
            temp_dead(s, its);
            if (ots->val_type == TEMP_VAL_REG) {
                s->reg_to_temp[ots->reg] = NULL;
            }
            temp_set_reg(s, ots, ireg);
        } else {
            if (idead) {
                temp_dead(s, its);
            }
            TCGRegSet avoid = idead ? 0 : (1u << ireg);
            TCGReg oreg = ots->val_type == TEMP_VAL_REG && ots->reg != ireg
                              ? ots->reg
                              : tcg_reg_alloc(s, ALL_GENERAL_REGS, avoid);
            tcg_out_mov(s, ots->base_type, oreg, ireg);
            temp_set_reg(s, ots, oreg);
        }
        ots->mem_coherent = false;
    }
    if (op->life_sync & 1) {
        temp_sync(s, ots);
    }
    if (op->life_dead & 1) {
        temp_dead(s, ots);
    }
}

static void tcg_reg_alloc_call(TCGContext *s, const TCGOp *op)
{
    const TCGHelperInfo *info = op->call;
    int no = tcg_op_nb_oargs(op), ni = info->nargs;
    TCGRegSet arg_regs = 0;

    /* place args */
    for (int i = 0; i < ni; i++) {
        TCGTemp *ts = arg_temp(op->args[no + i]);
        TCGReg r = tcg_target_call_iarg_regs[i];
        if (ts->val_type == TEMP_VAL_REG && ts->reg == r) {
            arg_regs |= 1u << r;
            continue;
        }
        TCGTemp *occ = s->reg_to_temp[r];
        if (occ) {
            /* move the occupant elsewhere, keeping placed args */
            TCGReg n = tcg_reg_alloc(s, ALL_GENERAL_REGS, arg_regs | (1u << r));
            tcg_out_mov(s, occ->base_type, n, r);
            temp_set_reg(s, occ, n);
            s->reg_to_temp[r] = NULL;
        }
        switch (ts->val_type) {
        case TEMP_VAL_REG:
            tcg_out_mov(s, TCG_TYPE_I64, r, ts->reg);
            break;
        case TEMP_VAL_CONST:
            tcg_out_movi(s, TCG_TYPE_I64, r, ts->val);
            break;
        case TEMP_VAL_MEM:
            temp_load_from_mem(s, ts, r);
            break;
        default:
            break;
        }
        arg_regs |= 1u << r;
    }
    for (int i = 0; i < ni; i++) {
        if (op->life_dead & (1 << (no + i))) {
            temp_dead(s, arg_temp(op->args[no + i]));
        }
    }
    /* clobbered registers */
    for (int r = 0; r < TCG_TARGET_NB_REGS; r++) {
        if (TCG_CALL_CLOBBERED & (1u << r)) {
            tcg_reg_free(s, r);
        }
    }
    if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
        save_globals(s);
    } else if (!(info->flags & TCG_CALL_NO_READ_GLOBALS)) {
        sync_globals(s);
    }
    tcg_out_call(s, info->func);
    if (no) {
        TCGTemp *ots = arg_temp(op->args[0]);
        if (ots->val_type == TEMP_VAL_REG) {
            s->reg_to_temp[ots->reg] = NULL;
        }
        temp_set_reg(s, ots, TCG_REG_RAX);
        ots->mem_coherent = false;
        if (op->life_sync & 1) {
            temp_sync(s, ots);
        }
        if (op->life_dead & 1) {
            temp_dead(s, ots);
        }
    }
}

static bool const_fits(const char *ct, TCGType type, int64_t v)
{
    for (; *ct; ct++) {
        switch (*ct) {
        case 'i':
            return true;
        case 'e':
            if (type == TCG_TYPE_I32 || v == (int32_t)v) {
                return true;
            }
            break;
        case 'Z': /* zero */
            if (v == 0) {
                return true;
            }
            break;
        default:
            break;
        }
    }
    return false;
}

static inline TCGRegSet ct_regs(const char *ct)
{
    TCGRegSet set = 0;
    for (; *ct; ct++) {
        switch (*ct) {
        case 'r':
            set |= ALL_GENERAL_REGS;
            break;
        case 'a':
            set |= 1u << TCG_REG_RAX;
            break;
        case 'c':
            set |= 1u << TCG_REG_RCX;
            break;
        case 'd':
            set |= 1u << TCG_REG_RDX;
            break;
#ifdef CONFIG_SOFTMMU
        case 'L': /* guest memory op input: not the TLB scratch regs */
            set |= ALL_GENERAL_REGS & ~(1u << TCG_REG_L0) & ~(1u << TCG_REG_L1);
            break;
#endif
        default:
            break;
        }
    }
    return set;
}

static inline bool ct_fixed(const char *ct)
{
    for (; *ct; ct++) {
        if (*ct == 'a' || *ct == 'c' || *ct == 'd') {
            return true;
        }
    }
    return false;
}

/*
 * Allocates registers for one op and emits it.
 * On entry: the op's life_dead/life_sync bits are set (liveness).
 * Inputs are placed first, fixed-register and output-aliased ones before
 * the rest; an aliased input that is still live afterwards is copied
 * (it keeps a home register), a dead one gives its register to the
 * output.  Dead inputs are then freed, block ends save everything, ops
 * with side effects sync the globals, and outputs get registers that
 * avoid live inputs ("&" avoids all inputs).
 * On exit: outputs are in registers (synced or freed per liveness).
 */
static void tcg_reg_alloc_op(TCGContext *s, const TCGOp *op)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    const TCGTargetOpDef *ct = tcg_target_op_def(op);
    int no = def->nb_oargs, ni = def->nb_iargs;
    TCGArg new_args[TCG_MAX_OP_ARGS];
    int const_args[TCG_MAX_OP_ARGS];
    TCGRegSet i_regs = 0, o_regs = 0;
    int alias_in[4] = {-1, -1, -1, -1}; /* output -> aliased input index */
    int order[TCG_MAX_OP_ARGS];
    int n = 0;

    memcpy(new_args, op->args, sizeof(new_args));
    memset(const_args, 0, sizeof(const_args));

    /* registers demanded by fixed-register inputs ("c" for shifts) */
    TCGRegSet fixed_in = 0;
    for (int i = no; i < no + ni; i++) {
        if (ct_fixed(ct->args[i])) {
            fixed_in |= ct_regs(ct->args[i]);
        }
    }

    /* inputs with fixed/alias constraints first */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = no; i < no + ni; i++) {
            const char *c = ct->args[i];
            bool fixed = ct_fixed(c) || (c[0] >= '0' && c[0] <= '3');
            if (fixed == (pass == 0)) {
                order[n++] = i;
            }
        }
    }

    for (int k = 0; k < n; k++) {
        int i = order[k];
        TCGTemp *ts = arg_temp(op->args[i]);
        const char *c = ct->args[i];
        if (c[0] >= '0' && c[0] <= '3') {
            int o = c[0] - '0';
            TCGRegSet want = ct_regs(ct->args[o]);
            bool dead = (op->life_dead & (1 << i)) != 0;
            /* the value must survive if another input reads the same temp */
            for (int j = no; j < no + ni; j++) {
                if (j != i && op->args[j] == op->args[i]) {
                    dead = false;
                }
            }
            alias_in[o] = i;
            /*
             * The output overwrites this register: reuse the input's
             * register only if the input dies here and it is not a global
             * (whose register copy may be newer than memory) or is synced.
             */
            if (dead && ts->val_type == TEMP_VAL_REG &&
                (want & (1u << ts->reg)) &&
                !((i_regs | (ct_fixed(ct->args[o]) ? 0 : fixed_in)) &
                  (1u << ts->reg)) &&
                ts->kind != TEMP_FIXED) {
                /*
                 * A dead global needs no sync: liveness put a sync on its
                 * last definition if memory must hold the value later.
                 */
                new_args[i] = ts->reg;
                i_regs |= 1u << ts->reg;
                continue;
            }
            TCGRegSet avoid = i_regs | (ct_fixed(ct->args[o]) ? 0 : fixed_in);
            if (!dead && ts->val_type == TEMP_VAL_MEM) {
                /* still needed later: give it a home register first */
                temp_load(s, ts, ALL_GENERAL_REGS,
                          avoid | (ct_fixed(ct->args[o]) ? want : 0));
                avoid |= 1u << ts->reg;
            }
            TCGReg r = tcg_reg_alloc(s, want, avoid);
            if (ts->val_type == TEMP_VAL_REG) {
                tcg_out_mov(s, ts->base_type, r, ts->reg);
            } else if (ts->val_type == TEMP_VAL_CONST) {
                tcg_out_movi(s, ts->base_type, r, ts->val);
            } else if (ts->val_type == TEMP_VAL_MEM) {
                temp_load_from_mem(s, ts, r);
            }
            /* r holds a scratch copy; it is not ts's home */
            new_args[i] = r;
            i_regs |= 1u << r;
            continue;
        }
        if (ts->val_type == TEMP_VAL_CONST &&
            const_fits(c, op->type, tcg_canon(op->type, ts->val))) {
            new_args[i] = tcg_canon(op->type, ts->val);
            const_args[i] = 1;
            continue;
        }
        TCGRegSet want = ct_regs(c);
        if (ct_fixed(c)) {
            TCGReg r = regset_first(want);
            if (!(ts->val_type == TEMP_VAL_REG && ts->reg == r)) {
                TCGTemp *occ = s->reg_to_temp[r];
                if (occ) {
                    /* move the occupant away (it may be another input) */
                    TCGReg nr =
                        tcg_reg_alloc(s, ALL_GENERAL_REGS, i_regs | (1u << r));
                    tcg_out_mov(s, occ->base_type, nr, r);
                    temp_set_reg(s, occ, nr);
                    s->reg_to_temp[r] = NULL;
                    for (int j = 0; j < k; j++) {
                        if (!const_args[order[j]] &&
                            new_args[order[j]] == (TCGArg)r &&
                            arg_temp(op->args[order[j]]) == occ) {
                            new_args[order[j]] = nr;
                            i_regs |= 1u << nr;
                        }
                    }
                }
            }
            new_args[i] = temp_load(s, ts, want, 0);
        } else {
            TCGRegSet avoid = i_regs | fixed_in;
            if (ts->val_type == TEMP_VAL_REG) {
                avoid &= ~(1u << ts->reg);
            }
            new_args[i] = temp_load(s, ts, want, avoid);
        }
        i_regs |= 1u << new_args[i];
    }

    /* free dead inputs */
    for (int i = no; i < no + ni; i++) {
        if (op->life_dead & (1 << i)) {
            TCGTemp *ts = arg_temp(op->args[i]);
            /* a global whose register is reused as an aliased output must
               already be synced (done above) */
            temp_dead(s, ts);
        }
    }

    if (def->flags & TCG_OPF_BB_END) {
        if (op->opc == INDEX_op_brcond) {
            tcg_reg_alloc_cbranch(s);
        } else {
            tcg_reg_alloc_bb_end(s);
        }
    } else if (def->flags & TCG_OPF_SIDE_EFFECTS) {
        sync_globals(s);
    }
#ifdef CONFIG_SOFTMMU
    if (op->opc == INDEX_op_qemu_ld || op->opc == INDEX_op_qemu_st) {
        /*
         * The slow path calls a helper: nothing may stay in a
         * call-clobbered register (inputs already have theirs; a live
         * one is saved and reloaded later).
         */
        for (int r = 0; r < TCG_TARGET_NB_REGS; r++) {
            if (TCG_CALL_CLOBBERED & (1u << r)) {
                tcg_reg_free(s, r);
            }
        }
    }
#endif

    /* outputs */
    for (int o = 0; o < no; o++) {
        TCGTemp *ts = arg_temp(op->args[o]);
        const char *c = ct->args[o];
        TCGReg r;
        if (alias_in[o] >= 0) {
            r = new_args[alias_in[o]];
            /* evict whoever else still claims r */
            TCGTemp *occ = s->reg_to_temp[r];
            if (occ && occ != ts) {
                temp_save(s, occ);
            }
        } else if (ct_fixed(c)) {
            r = regset_first(ct_regs(c));
            TCGTemp *occ = s->reg_to_temp[r];
            if (occ && occ != ts) {
                temp_save(s, occ);
            }
        } else {
            TCGRegSet avoid = o_regs;
            if (c[0] == '&') {
                avoid |= i_regs;
            } else {
                /* may share a dead input's register, never a live one */
                for (int i = no; i < no + ni; i++) {
                    if (!const_args[i] && !(op->life_dead & (1 << i))) {
                        avoid |= 1u << new_args[i];
                    }
                }
                /* aliased scratch copies are live until the op runs */
                for (int j = 0; j < no; j++) {
                    if (alias_in[j] >= 0) {
                        avoid |= 1u << new_args[alias_in[j]];
                    }
                }
            }
            if (ts->val_type == TEMP_VAL_REG && !(avoid & (1u << ts->reg)) &&
                (ct_regs(c) & (1u << ts->reg))) {
                r = ts->reg;
            } else {
                r = tcg_reg_alloc(s, ct_regs(c), avoid);
            }
        }
        if (ts->val_type == TEMP_VAL_REG && ts->reg != r) {
            s->reg_to_temp[ts->reg] = NULL;
        }
        ts->val_type = TEMP_VAL_REG;
        ts->reg = r;
        s->reg_to_temp[r] = ts;
        ts->mem_coherent = false;
        new_args[o] = r;
        o_regs |= 1u << r;
    }

    tcg_out_op(s, op, new_args, const_args);

    for (int o = 0; o < no; o++) {
        TCGTemp *ts = arg_temp(op->args[o]);
        if (op->life_sync & (1 << o)) {
            temp_sync(s, ts);
        }
        if (op->life_dead & (1 << o)) {
            temp_dead(s, ts);
        }
    }
}

static void tcg_reg_alloc_start(TCGContext *s)
{
    memset(s->reg_to_temp, 0, sizeof(s->reg_to_temp));
    for (int i = 0; i < s->nb_temps; i++) {
        TCGTemp *ts = &s->temps[i];
        switch (ts->kind) {
        case TEMP_GLOBAL:
            ts->val_type = TEMP_VAL_MEM;
            ts->mem_coherent = true;
            break;
        case TEMP_FIXED:
            ts->val_type = TEMP_VAL_REG;
            break;
        case TEMP_CONST:
            ts->val_type = TEMP_VAL_CONST;
            break;
        default:
            ts->val_type = TEMP_VAL_DEAD;
            ts->mem_allocated = false;
            ts->mem_coherent = false;
            break;
        }
    }
    s->frame_next = TCG_FRAME_START;
    s->frame_end = TCG_FRAME_START + TCG_FRAME_SIZE;
    s->frame_overflow = false;
}

/*
 * "ld_i32 t, env, off; brcond_i32 t, $0, eq/ne, L" with t dead after it
 * (the TB-start exit check) becomes "cmp dword [env + off], 0; jcc L".
 */
static bool tcg_try_ld_brcond(TCGContext *s, TCGOp *op)
{
    TCGOp *br = op->next;
    TCGTemp *t = arg_temp(op->args[0]);
    if (op->type != TCG_TYPE_I32 || !br || br->opc != INDEX_op_brcond ||
        br->type != TCG_TYPE_I32 || arg_temp(br->args[0]) != t ||
        !(br->life_dead & 1) || arg_temp(op->args[1])->kind != TEMP_FIXED ||
        !temp_is_const(arg_temp(br->args[1])) ||
        arg_temp(br->args[1])->val != 0 ||
        (br->args[2] != TCG_COND_EQ && br->args[2] != TCG_COND_NE) ||
        (intptr_t)op->args[2] != (int32_t)op->args[2]) {
        return false;
    }
    tcg_reg_alloc_cbranch(s);
    tcg_out_cmp_mem0(s, arg_temp(op->args[1])->reg, op->args[2]);
    tcg_out_jxx(s, tcg_cond_to_jcc[br->args[2]], arg_label(br->args[3]));
    return true;
}

int tcg_gen_code(TCGContext *s, void *code_ptr, size_t max_size,
                 TCGGenInfo *info)
{
    if (qemu_loglevel_mask(CPU_LOG_TB_OP)) {
        FILE *f = qemu_log_stream();
        fprintf(f, "OP:\n");
        tcg_dump_ops(s, f, false);
        fprintf(f, "\n");
        qemu_log_flush();
    }
    tcg_optimize(s);
    tcg_liveness_analysis(s);
    if (qemu_loglevel_mask(CPU_LOG_TB_OP_OPT)) {
        FILE *f = qemu_log_stream();
        fprintf(f, "OP after optimization and liveness analysis:\n");
        tcg_dump_ops(s, f, true);
        fprintf(f, "\n");
        qemu_log_flush();
    }

    s->code_start = s->code_ptr = code_ptr;
    s->code_limit = (uint8_t *)code_ptr + max_size;
#ifdef CONFIG_SOFTMMU
    /* labels of an attempt that gave up (-1/-2) */
    for (TCGLdstLabel *l = s->ldst_labels, *n; l; l = n) {
        n = l->next;
        g_free(l);
    }
    s->ldst_labels = NULL;
    s->ldst_pending = 0;
#endif
    s->gen_info = info;
    memset(info->jmp_insn_offset, 0xff, sizeof(info->jmp_insn_offset));
    memset(info->jmp_reset_offset, 0xff, sizeof(info->jmp_reset_offset));
    info->nb_insns = 0;
    tcg_reg_alloc_start(s);

    int cur_insn = -1;
    TCGOp *op;
    for (op = s->first_op; op; op = op->next) {
        switch (op->opc) {
        case INDEX_op_mov:
            tcg_reg_alloc_mov(s, op);
            break;
        case INDEX_op_insn_start:
            if (cur_insn >= 0) {
                info->insn_end_off[cur_insn] = s->code_ptr - s->code_start;
            }
            cur_insn++;
            if (cur_insn >= TCG_MAX_INSNS) {
                return -2; /* the frontend ignored tcg_op_buf_full() */
            }
            for (unsigned w = 0; w < s->insn_start_words; w++) {
                info->insn_data[cur_insn * s->insn_start_words + w] =
                    op->args[w];
            }
            break;
        case INDEX_op_discard:
            temp_dead(s, arg_temp(op->args[0]));
            break;
        case INDEX_op_set_label:
            tcg_reg_alloc_bb_end(s);
            tcg_out_label(s, arg_label(op->args[0]));
            break;
        case INDEX_op_call:
            tcg_reg_alloc_call(s, op);
            break;
        case INDEX_op_ld:
            if (tcg_try_ld_brcond(s, op)) {
                op = op->next; /* the brcond was emitted too */
                break;
            }
            tcg_reg_alloc_op(s, op);
            break;
        default:
            tcg_reg_alloc_op(s, op);
            break;
        }
        if (s->code_ptr + s->ldst_pending > s->code_limit - 1024) {
            return -1;
        }
        if (s->frame_overflow) {
            return -2;
        }
    }
    if (cur_insn >= 0) {
        info->insn_end_off[cur_insn] = s->code_ptr - s->code_start;
    }
    info->nb_insns = cur_insn + 1;
#ifdef CONFIG_SOFTMMU
    tcg_out_ldst_finalize(s);
#endif
    if (!tcg_resolve_labels(s)) {
        return -2;
    }
    if (s->code_ptr - s->code_start > 0xff00) {
        return -2; /* offsets are 16-bit */
    }
    return s->code_ptr - s->code_start;
}

/* ---- init ------------------------------------------------------------- */

/*
 * The code buffer goes within +-2 GiB of our own text when possible, so
 * calls to helpers (in this binary) are a 5-byte call rel32.
 */
static void *tcg_alloc_code_buffer(size_t size)
{
    int prot = PROT_READ | PROT_WRITE | PROT_EXEC;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    uintptr_t text = (uintptr_t)(void *)tcg_alloc_code_buffer;
    static const intptr_t tries[] = {-(1l << 30), -(3l << 29), 1l << 29};
    for (unsigned i = 0; i < G_N_ELEMENTS(tries); i++) {
        uintptr_t hint = (text + tries[i]) & ~(uintptr_t)0xfffff;
        void *p =
            mmap((void *)hint, size, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED) {
            continue;
        }
        intptr_t lo = (intptr_t)p - (intptr_t)text;
        intptr_t hi = lo + (intptr_t)size;
        if (lo == (int32_t)lo && hi == (int32_t)hi) {
            return p;
        }
        munmap(p, size);
    }
    return mmap(NULL, size, prot, flags, -1, 0);
}

void tcg_init(size_t code_size, unsigned insn_start_words)
{
    TCGContext *s = &tcg_ctx_storage;
    if (tcg_ctx) {
        return;
    }
    tcg_ctx = s;
    memset(s, 0, sizeof(*s));
    g_assert(insn_start_words >= 1 &&
             insn_start_words <= TCG_MAX_INSN_START_WORDS);
    s->insn_start_words = insn_start_words;
    memset(s->const_hash, 0xff, sizeof(s->const_hash));
    s->labels = g_ptr_array_new();
    if (!code_size) {
        code_size = 256 * 1024 * 1024;
    }
    s->code_buf_size = code_size;
    s->code_buf = tcg_alloc_code_buffer(code_size);
    if (s->code_buf == MAP_FAILED) {
        g_error("tcg: cannot allocate %zu bytes of code buffer", code_size);
    }
    tcg_target_init(s);

    /* env: pinned to TCG_AREG0 */
    TCGTemp *env = tcg_temp_alloc(s);
    env->base_type = TCG_TYPE_PTR;
    env->kind = TEMP_FIXED;
    env->reg = TCG_AREG0;
    env->val_type = TEMP_VAL_REG;
    env->temp_allocated = true;
    env->name = "env";
    s->nb_globals++;
    tcg_env = temp_tcgv_ptr(env);

    /* prologue at the start of the buffer */
    s->code_ptr = s->code_buf;
    tcg_target_qemu_prologue(s);
    s->code_ptr = (uint8_t *)(((uintptr_t)s->code_ptr + 63) & ~(uintptr_t)63);
}

/* Start of space available for TBs (after the prologue). */
void *tcg_code_buf_start(void)
{
    return tcg_ctx->code_ptr;
}

size_t tcg_code_buf_size(void)
{
    return tcg_ctx->code_buf + tcg_ctx->code_buf_size - tcg_ctx->code_ptr;
}

const void *tcg_code_gen_epilogue(void)
{
    return tcg_ctx->code_gen_epilogue;
}

uintptr_t tcg_qemu_tb_exec(void *env, const void *tc_ptr)
{
    uintptr_t (*fn)(void *, const void *) =
        (uintptr_t(*)(void *, const void *))(void *)tcg_ctx->code_buf;
    return fn(env, tc_ptr);
}
