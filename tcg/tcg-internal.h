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

/*
 * System mode (CONFIG_SOFTMMU): the layout of the softmmu TLB that the
 * backend reads inline, matched by accel/tcg (cpu-exec.h CPUTLBEntry,
 * CPUTLBDescFast; checked there at compile time).
 */
#define TCG_TLB_PAGE_BITS   12
#define TCG_TLB_ENTRY_BITS  5  /* sizeof(CPUTLBEntry) == 32 */
#define TCG_TLB_OFF_READ    0  /* CPUTLBEntry.addr_read */
#define TCG_TLB_OFF_WRITE   8  /* CPUTLBEntry.addr_write */
#define TCG_TLB_OFF_ADDEND  24 /* CPUTLBEntry.addend */
#define TCG_TLB_FAST_SIZE   16 /* sizeof(CPUTLBDescFast) */
#define TCG_TLB_FAST_MASK   0  /* CPUTLBDescFast.mask */
#define TCG_TLB_FAST_TABLE  8  /* CPUTLBDescFast.table */

/* A guest access's out-of-line slow path, emitted after the TB's code. */
typedef struct TCGLdstLabel {
    struct TCGLdstLabel *next;
    bool is_ld;
    uint8_t type;         /* TCGType of a load's value */
    uint32_t oi;          /* MemOpIdx */
    int data, addr;       /* TCGReg of the value and the guest address */
    uint8_t *slow_jcc;    /* rel32 of the jne to the slow path */
    const uint8_t *raddr; /* where the fast path goes on */
} TCGLdstLabel;

/* The slow path helpers (accel/tcg/cputlb.c); ra = raddr in the TB. */
uint64_t helper_ld_mmu(void *env, uint64_t addr, uint32_t oi, uintptr_t ra);
void helper_st_mmu(void *env, uint64_t addr, uint64_t val, uint32_t oi,
                   uintptr_t ra);

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
    /*
     * System mode (TCGCPUOps.tb_key_inline): pc = the uint64_t at env +
     * lookup_cs_base_off + the one at lookup_pc_off, truncated to 32 bits
     * if lookup_pc32; the entry's cs_base must equal that cs_base and its
     * flags lookup_flags.  lookup_page_bits: the index is ((pc >>
     * lookup_page_shift) << lookup_page_bits | (pc ^ pc >> lookup_page_bits)
     * & (2^lookup_page_bits - 1)) masked to lookup_bits (0: (pc ^ pc >>
     * lookup_bits) masked).
     */
    bool lookup_key_sys;
    intptr_t lookup_cs_base_off;
    unsigned lookup_entry_cs_base, lookup_entry_flags;
    unsigned lookup_page_bits, lookup_page_shift;
    /* per TB: set by accel/tcg before translate_code */
    bool lookup_pc32;
    uint32_t lookup_flags;

    /* System mode: env offset of CPUState.tlb_fast[0] (negative). */
    intptr_t tlb_fast_off;
    TCGLdstLabel *ldst_labels; /* slow paths of the TB being generated */
    size_t ldst_pending;       /* bytes they will need */
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


#endif
