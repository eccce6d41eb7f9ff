/*
 * TCG internals shared by tcg.c, tcg-op.c, optimize.c and the unit tests.
 * Frontends use tcg/tcg.h and tcg/tcg-op.h only.
 */
#ifndef TCG_TCG_INTERNAL_H
#define TCG_TCG_INTERNAL_H

#include <glib.h>
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"

#define TCG_TARGET_NB_REGS 16

typedef uint32_t TCGRegSet;

struct TCGContext {
    /* temps: [0, nb_globals) are globals, then per-TB temps */
    int nb_globals;
    int nb_temps;
    TCGTemp temps[TCG_MAX_TEMPS];
    /* free lists of per-TB temps by (type, kind) */
    /* free lists of per-TB temps by (type, kind), linked by state_ptr */
    TCGTemp *free_temps[TCG_TYPE_COUNT][2];
    /* constants of this TB: open hash of temp indexes, by (type, value) */
#define TCG_CONST_HASH_SIZE 1024
    int16_t const_hash[TCG_CONST_HASH_SIZE];
    int nb_consts;
    /* temps still TEMP_TB after liveness demotion (live across labels) */
    int nb_tb_temps;
    int16_t tb_temps[TCG_MAX_TEMPS];

    /* ops */
    TCGOp *first_op, *last_op;
    int nb_ops;
    TCGOp *free_ops;   /* linked by next */
    GPtrArray *labels; /* TCGLabel* of this TB, freed at func start */
    int nb_labels;

    /* target */
    unsigned insn_start_words;
    int nb_insn_starts;

    /* code generation */
    uint8_t *code_buf;
    size_t code_buf_size;
    uint8_t *code_ptr;
    uint8_t *code_start;           /* start of the current TB's code */
    uint8_t *code_limit;           /* past here: out of space */
    const void *tb_ret_addr;       /* epilogue: return rax */
    const void *code_gen_epilogue; /* epilogue with rax = 0 */
    bool guest_base_in_reg;

    /* register allocator */
    TCGRegSet reserved_regs;
    TCGTemp *reg_to_temp[TCG_TARGET_NB_REGS];
    intptr_t frame_next; /* next free spill slot offset */
    intptr_t frame_end;
    bool frame_overflow;

    /* per-TB outputs */
    TCGGenInfo *gen_info;

    /*
     * Inline jump-cache probe for lookup_and_goto_ptr, configured by
     * accel/tcg when the target's TB key is just the pc (see
     * TCGCPUOps.tb_key_is_pc).  Offsets are from env.
     */
    bool lookup_inline;
    intptr_t lookup_pc_off;    /* guest pc in env */
    intptr_t lookup_cache_off; /* CPUState.tb_jmp_cache pointer */
    unsigned lookup_bits;      /* jump cache index bits */
    unsigned lookup_entry_size;
    unsigned lookup_entry_tb, lookup_entry_pc, lookup_entry_tc;
};

extern TCGContext tcg_ctx_storage;

/* Temps are numbered; TCGTemp.index is the position in temps[]. */
static inline TCGTemp *tcg_temp(TCGContext *s, int i)
{
    return &s->temps[i];
}

/* Width mask of a type. */
static inline uint64_t tcg_type_mask(TCGType t)
{
    return t == TCG_TYPE_I32 ? 0xffffffffull : ~0ull;
}
static inline int tcg_type_bits(TCGType t)
{
    return t == TCG_TYPE_I32 ? 32 : 64;
}

/* Canonical constant value for a type: i32 constants are sign-extended. */
static inline int64_t tcg_canon(TCGType t, uint64_t v)
{
    return t == TCG_TYPE_I32 ? (int64_t)(int32_t)v : (int64_t)v;
}

/* Op list iteration. */
#define TCG_FOREACH_OP(op) for (op = tcg_ctx->first_op; op; op = op->next)
#define TCG_FOREACH_OP_SAFE(op, n)                                             \
    for (op = tcg_ctx->first_op; op && ((n = op->next), 1); op = n)

static inline int tcg_op_nb_oargs(const TCGOp *op)
{
    if (op->opc == INDEX_op_call) {
        return op->call->ret != TCG_CALL_VOID;
    }
    return tcg_op_defs[op->opc].nb_oargs;
}
static inline int tcg_op_nb_iargs(const TCGOp *op)
{
    if (op->opc == INDEX_op_call) {
        return op->call->nargs;
    }
    return tcg_op_defs[op->opc].nb_iargs;
}

/* Backend queries used by the builders. */
extern bool tcg_host_has_lzcnt, tcg_host_has_bmi1, tcg_host_has_popcnt;

/* Emits op with up to 6 args (tcg-op.c uses these). */
TCGOp *tcg_emit_op1(TCGOpcode opc, TCGType type, TCGArg a1);
TCGOp *tcg_emit_op2(TCGOpcode opc, TCGType type, TCGArg a1, TCGArg a2);
TCGOp *tcg_emit_op3(TCGOpcode opc, TCGType type, TCGArg a1, TCGArg a2,
                    TCGArg a3);
TCGOp *tcg_emit_op4(TCGOpcode opc, TCGType type, TCGArg a1, TCGArg a2,
                    TCGArg a3, TCGArg a4);
TCGOp *tcg_emit_op5(TCGOpcode opc, TCGType type, TCGArg a1, TCGArg a2,
                    TCGArg a3, TCGArg a4, TCGArg a5);
TCGOp *tcg_emit_op6(TCGOpcode opc, TCGType type, TCGArg a1, TCGArg a2,
                    TCGArg a3, TCGArg a4, TCGArg a5, TCGArg a6);

/* Runtime helpers defined in accel/tcg (used by tcg-op.c). */
extern const TCGHelperInfo helper_info_lookup_tb_ptr;
extern const TCGHelperInfo helper_info_atomic_cmpxchg;
extern const TCGHelperInfo helper_info_atomic_op;
/* System mode: guest loads/stores through the softmmu TLB (cputlb.c). */
extern const TCGHelperInfo helper_info_ld_mmu;
extern const TCGHelperInfo helper_info_st_mmu;

#endif
