/*
 * TCG: the Tiny Code Generator's intermediate representation, context and
 * code generation entry points.  tcg/ knows nothing of any guest: frontends
 * (target/<arch>/) emit IR with the builders of tcg/tcg-op.h, the optimizer
 * (tcg/optimize.c) folds it, liveness + the register allocator (tcg/tcg.c)
 * and a host backend (tcg/x86_64/) turn it into host code, and accel/tcg/
 * caches the result as TranslationBlocks.
 *
 * Usage sketch (a frontend's translate hook, see accel/tcg/cpu-exec.h):
 *
 *     // once, at CPU class init (after tcg_exec_init() of
 *     // accel/tcg/cpu-exec.h, which calls tcg_init() and creates tcg_env):
 *     cpu_rax = tcg_global_mem_new_i64(tcg_env, offsetof(Env, regs[0]),
 *                                      "rax");
 *     cpu_pc  = tcg_global_mem_new_i64(tcg_env, offsetof(Env, pc), "pc");
 *
 *     // per TB, called by accel/tcg with the op list already started:
 *     void x86_translate(CPUState *cs, TranslationBlock *tb, int max_insns)
 *     {
 *         uint64_t pc = tb->pc;
 *         tcg_gen_insn_start(pc, 0, 0);          // one per guest insn
 *         uint8_t b = translator_ldub(cs, tb, pc); // fetch guest code
 *         TCGv_i64 t = tcg_temp_new_i64();       // TB-lifetime temp
 *         tcg_gen_addi_i64(t, cpu_rax, 1);       // rax + 1
 *         tcg_gen_qemu_st_i64(t, cpu_rbx, 0, MO_64 | MO_LE);  // [rbx] = t
 *         TCGLabel *l = gen_new_label();
 *         tcg_gen_brcondi_i64(TCG_COND_EQ, t, 0, l);
 *         ...
 *         gen_set_label(l);
 *         tcg_gen_movi_i64(cpu_pc, next_pc);
 *         if (translator_use_goto_tb(tb, next_pc)) {
 *             tcg_gen_goto_tb(0);                // chained direct jump
 *             tcg_gen_movi_i64(cpu_pc, next_pc);
 *             tcg_gen_exit_tb(tb, 0);
 *         } else {
 *             tcg_gen_lookup_and_goto_ptr();     // indirect, stays in JIT
 *         }
 *         tb->size = next_pc - tb->pc;  tb->icount = ninsns;
 *     }
 *
 * Rules for frontends:
 *  - Every TB must end with exit_tb, goto_ptr/lookup_and_goto_ptr, or a
 *    goto_tb followed by exit_tb; control never falls off the end.
 *  - Globals live in CPU state (env); the allocator caches them in host
 *    registers and writes them back before any op that can fault or call
 *    out (guest loads/stores, helpers unless flagged otherwise), at branch
 *    and label boundaries, and at TB end.  So at every possible fault the
 *    guest state in env is exact except for the pc, which accel/tcg
 *    restores from the insn_start data (restore_state_to_opc).
 *  - Temps (tcg_temp_new_*) keep their value for the whole TB, across
 *    labels and branches.  tcg_temp_free_* lets the slot be reused.
 *    Temps from tcg_temp_ebb_new_* are cheaper but die at the next label or
 *    branch (extended basic block).
 *  - Constants (tcg_constant_*) are read-only and interned per TB.
 *  - i32 ops operate on the low 32 bits; values are always kept so that
 *    an i32 temp read back holds exactly 32 bits.  Conversions between i32
 *    and i64 are explicit (tcg_gen_extu_i32_i64 etc.).
 *  - TCGv_ptr is a host pointer (i64 on a 64-bit host).
 *
 * Threading: there is one TCGContext; accel/tcg serializes translation with
 * a lock, so builders need no locking.  Generated code runs concurrently.
 */
#ifndef TCG_TCG_H
#define TCG_TCG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- value types ------------------------------------------------------ */

typedef enum TCGType {
    TCG_TYPE_I32,
    TCG_TYPE_I64,
    TCG_TYPE_COUNT,
    TCG_TYPE_PTR = TCG_TYPE_I64, /* 64-bit hosts only */
    TCG_TYPE_REG = TCG_TYPE_I64,
} TCGType;

typedef enum TCGTempKind {
    TEMP_EBB,    /* dies at the end of the extended basic block */
    TEMP_TB,     /* lives for the whole TB (tcg_temp_new_*) */
    TEMP_GLOBAL, /* backed by a field of env */
    TEMP_FIXED,  /* pinned to a host register (tcg_env) */
    TEMP_CONST,  /* a constant, interned per TB */
} TCGTempKind;

typedef uint64_t TCGArg;
typedef struct TCGTemp TCGTemp;

/*
 * Typed handles.  They are really TCGTemp pointers; the distinct struct
 * types make mixing i32 and i64 a compile error.
 */
typedef struct TCGv_i32_d *TCGv_i32;
typedef struct TCGv_i64_d *TCGv_i64;
typedef struct TCGv_ptr_d *TCGv_ptr;

static inline TCGTemp *tcgv_i32_temp(TCGv_i32 v)
{
    return (TCGTemp *)v;
}
static inline TCGTemp *tcgv_i64_temp(TCGv_i64 v)
{
    return (TCGTemp *)v;
}
static inline TCGTemp *tcgv_ptr_temp(TCGv_ptr v)
{
    return (TCGTemp *)v;
}
static inline TCGv_i32 temp_tcgv_i32(TCGTemp *t)
{
    return (TCGv_i32)t;
}
static inline TCGv_i64 temp_tcgv_i64(TCGTemp *t)
{
    return (TCGv_i64)t;
}
static inline TCGv_ptr temp_tcgv_ptr(TCGTemp *t)
{
    return (TCGv_ptr)t;
}

/* ---- conditions ------------------------------------------------------- */

/*
 * Bit 0: invert; bit 1: unsigned; bits 2-3: relation.  TCG_COND_TSTEQ/NE
 * test (a & b) == 0 / != 0.
 */
typedef enum TCGCond {
    TCG_COND_NEVER = 0,
    TCG_COND_ALWAYS = 1,
    TCG_COND_EQ = 8,
    TCG_COND_NE = 9,
    TCG_COND_LT = 2,
    TCG_COND_GE = 3,
    TCG_COND_LE = 4,
    TCG_COND_GT = 5,
    TCG_COND_LTU = 6,
    TCG_COND_GEU = 7,
    TCG_COND_LEU = 10,
    TCG_COND_GTU = 11,
    TCG_COND_TSTEQ = 12,
    TCG_COND_TSTNE = 13,
} TCGCond;

/* !cond: EQ <-> NE, LT <-> GE, ... */
static inline TCGCond tcg_invert_cond(TCGCond c)
{
    return (TCGCond)(c ^ 1);
}

/* The condition with operands swapped: LT <-> GT, EQ stays. */
TCGCond tcg_swap_cond(TCGCond c);
bool tcg_cond_is_unsigned(TCGCond c);
/* Evaluates cond on two constants of the given width. */
bool tcg_cond_eval(TCGType type, TCGCond c, uint64_t a, uint64_t b);

/* ---- guest memory operations ------------------------------------------ */

typedef enum MemOp {
    MO_8 = 0,
    MO_16 = 1,
    MO_32 = 2,
    MO_64 = 3,
    MO_SIZE = 3,
    MO_SIGN = 4,  /* sign-extend the loaded value */
    MO_BSWAP = 8, /* byte-swap relative to the host (little-endian host) */
    MO_LE = 0,
    MO_BE = MO_BSWAP,
    /* Alignment: fault (target hook) if the address is not aligned. */
    MO_ALIGN = 0x10,
    MO_AMASK = 0x10,

    MO_UB = MO_8,
    MO_UW = MO_16,
    MO_UL = MO_32,
    MO_UQ = MO_64,
    MO_SB = MO_SIGN | MO_8,
    MO_SW = MO_SIGN | MO_16,
    MO_SL = MO_SIGN | MO_32,
    MO_LEUW = MO_LE | MO_UW,
    MO_LEUL = MO_LE | MO_UL,
    MO_LEUQ = MO_LE | MO_UQ,
    MO_LESW = MO_LE | MO_SW,
    MO_LESL = MO_LE | MO_SL,
    MO_BEUW = MO_BE | MO_UW,
    MO_BEUL = MO_BE | MO_UL,
    MO_BEUQ = MO_BE | MO_UQ,
} MemOp;

static inline unsigned memop_size(MemOp op)
{
    return 1u << (op & MO_SIZE);
}

/*
 * A MemOp plus the MMU index (ignored in user mode; selects the softmmu
 * TLB in system mode).  Bits 0-7: MemOp, bits 8-15: mmu_idx.
 */
typedef uint32_t MemOpIdx;
static inline MemOpIdx make_memop_idx(MemOp op, unsigned mmu_idx)
{
    return (uint32_t)op | (mmu_idx << 8);
}
static inline MemOp get_memop(MemOpIdx oi)
{
    return (MemOp)(oi & 0xff);
}
static inline unsigned get_mmuidx(MemOpIdx oi)
{
    return (oi >> 8) & 0xff;
}

/* ---- labels ----------------------------------------------------------- */

typedef struct TCGLabelUse {
    struct TCGLabelUse *next;
    uint8_t *ptr; /* rel32 field to patch */
} TCGLabelUse;

typedef struct TCGLabel {
    int id;
    bool has_value;
    bool present; /* set_label emitted */
    int refs;     /* branches to it (the optimizer removes unused labels) */
    uint8_t *value;
    TCGLabelUse *uses;
} TCGLabel;

/* ---- opcodes ---------------------------------------------------------- */

/*
 * Ops are type-generic: TCGOp.type says i32 or i64 for those that exist in
 * both widths.  docs/devel/tcg-ops.md documents each op.  Args are listed
 * as outputs, then inputs, then constant args (conds, offsets, labels...).
 */
typedef enum TCGOpcode {
    INDEX_op_discard,    /* (t): t's value is dead */
    INDEX_op_set_label,  /* (label) */
    INDEX_op_br,         /* (label) */
    INDEX_op_brcond,     /* (a, b, cond, label) */
    INDEX_op_call,       /* see TCGOp.call */
    INDEX_op_insn_start, /* (data0, data1, data2) guest insn boundary */
    INDEX_op_mb,         /* (bar) memory barrier */
    INDEX_op_goto_tb,    /* (idx) */
    INDEX_op_exit_tb,    /* (val) return val to cpu_exec */
    INDEX_op_goto_ptr,   /* (ptr) jump to host code */

    INDEX_op_mov,        /* (d, a) */
    INDEX_op_setcond,    /* (d, a, b, cond) d = a cond b ? 1 : 0 */
    INDEX_op_negsetcond, /* (d, a, b, cond) d = a cond b ? -1 : 0 */
    INDEX_op_movcond,    /* (d, c1, c2, v1, v2, cond) */

    /* host memory: (val, base, offset) */
    INDEX_op_ld8u,
    INDEX_op_ld8s,
    INDEX_op_ld16u,
    INDEX_op_ld16s,
    INDEX_op_ld32u,
    INDEX_op_ld32s,
    INDEX_op_ld,
    INDEX_op_st8,
    INDEX_op_st16,
    INDEX_op_st32,
    INDEX_op_st,

    /* arithmetic: (d, a, b) unless noted */
    INDEX_op_add,
    INDEX_op_sub,
    INDEX_op_neg, /* (d, a) */
    INDEX_op_mul,
    INDEX_op_and,
    INDEX_op_or,
    INDEX_op_xor,
    INDEX_op_andc,
    INDEX_op_not, /* (d, a) */
    INDEX_op_shl,
    INDEX_op_shr,
    INDEX_op_sar,
    INDEX_op_rotl,
    INDEX_op_rotr,
    INDEX_op_div2,  /* (q, r, lo, hi, b): signed (hi:lo) / b */
    INDEX_op_divu2, /* (q, r, lo, hi, b): unsigned */
    INDEX_op_mulu2, /* (lo, hi, a, b) */
    INDEX_op_muls2, /* (lo, hi, a, b) */
    INDEX_op_add2,  /* (dl, dh, al, ah, bl, bh) */
    INDEX_op_sub2,  /* (dl, dh, al, ah, bl, bh) */

    INDEX_op_ext8s, /* (d, a) */
    INDEX_op_ext8u,
    INDEX_op_ext16s,
    INDEX_op_ext16u,
    INDEX_op_ext32s,        /* i64 only */
    INDEX_op_ext32u,        /* i64 only */
    INDEX_op_ext_i32_i64,   /* (d64, a32) sign-extend */
    INDEX_op_extu_i32_i64,  /* (d64, a32) zero-extend */
    INDEX_op_extrl_i64_i32, /* (d32, a64) low half */
    INDEX_op_extrh_i64_i32, /* (d32, a64) high half */
    INDEX_op_extract,       /* (d, a, pos, len) unsigned bitfield */
    INDEX_op_sextract,      /* (d, a, pos, len) signed bitfield */
    INDEX_op_deposit,       /* (d, a, b, pos, len) */
    INDEX_op_extract2,      /* (d, lo, hi, pos): (hi:lo) >> pos */
    INDEX_op_bswap16,       /* (d, a, flags) */
    INDEX_op_bswap32,       /* (d, a, flags) */
    INDEX_op_bswap64,       /* (d, a, flags) i64 only */
    INDEX_op_clz,           /* (d, a, b): b if a == 0 */
    INDEX_op_ctz,           /* (d, a, b): b if a == 0 */
    INDEX_op_ctpop,         /* (d, a) */

    INDEX_op_qemu_ld, /* (val, addr, oi, disp) guest load at addr + disp */
    INDEX_op_qemu_st, /* (val, addr, oi, disp) guest store */
    /* guest atomics, host-native (see tcg-op.h for the helper fallback) */
    INDEX_op_atomic_cmpxchg,   /* (old, addr, cmpv, newv, oi) */
    INDEX_op_atomic_xchg,      /* (old, addr, val, oi) */
    INDEX_op_atomic_fetch_add, /* (old, addr, val, oi) */

    NB_OPS,
} TCGOpcode;

/* bswap flags */
enum {
    TCG_BSWAP_IZ = 1, /* input is zero-extended already */
    TCG_BSWAP_OZ = 2, /* zero-extend the output */
    TCG_BSWAP_OS = 4, /* sign-extend the output */
};

/* mb barrier bits (host x86 is TSO: only ST_LD needs a fence) */
enum {
    TCG_MO_LD_LD = 1,
    TCG_MO_ST_LD = 2,
    TCG_MO_LD_ST = 4,
    TCG_MO_ST_ST = 8,
    TCG_MO_ALL = 15,
    TCG_BAR_SC = 0x30,
};

/* Op flags (TCGOpDef.flags) */
enum {
    TCG_OPF_BB_END = 1,       /* ends a basic block */
    TCG_OPF_SIDE_EFFECTS = 2, /* never removed; globals synced before it */
    TCG_OPF_CALL_CLOBBER = 4, /* clobbers call-clobbered host regs */
    TCG_OPF_BOTH = 8,         /* exists as i32 and i64 (op->type) */
    TCG_OPF_NOT_PRESENT = 16, /* pseudo-op, never reaches the backend */
    TCG_OPF_COND_BRANCH = 32, /* brcond */
    TCG_OPF_BB_EXIT = 64,     /* leaves the TB */
};

#define TCG_MAX_OP_ARGS 8

typedef struct TCGOpDef {
    const char *name;
    uint8_t nb_oargs, nb_iargs, nb_cargs;
    uint8_t flags;
} TCGOpDef;

extern const TCGOpDef tcg_op_defs[NB_OPS];

/* ---- helper calls ----------------------------------------------------- */

/* Helper call flags (TCGHelperInfo.flags). */
enum {
    TCG_CALL_NO_READ_GLOBALS = 1,  /* helper reads no TCG global via env */
    TCG_CALL_NO_WRITE_GLOBALS = 2, /* helper writes no TCG global */
    TCG_CALL_NO_SIDE_EFFECTS = 4,  /* may be removed if result unused */
    TCG_CALL_NO_RETURN = 8,        /* never returns (raises an exception) */

    TCG_CALL_NO_RWG = TCG_CALL_NO_READ_GLOBALS | TCG_CALL_NO_WRITE_GLOBALS,
    TCG_CALL_NO_WG = TCG_CALL_NO_WRITE_GLOBALS,
    TCG_CALL_NO_SE = TCG_CALL_NO_SIDE_EFFECTS,
    TCG_CALL_NO_RWG_SE = TCG_CALL_NO_RWG | TCG_CALL_NO_SE,
    TCG_CALL_NO_WG_SE = TCG_CALL_NO_WG | TCG_CALL_NO_SE,
};

/* Argument/return kinds for TCGHelperInfo.ret / .args[]. */
typedef enum TCGCallArgKind {
    TCG_CALL_VOID = 0, /* ret only */
    TCG_CALL_I32,      /* uint32_t / int32_t */
    TCG_CALL_I64,      /* uint64_t / int64_t */
    TCG_CALL_PTR,      /* pointer (env etc.) */
} TCGCallArgKind;

#define TCG_MAX_CALL_ARGS 6

/*
 * One static const struct per helper, next to the helper:
 *
 *     uint64_t helper_cc_compute(CPUX86State *env, uint32_t op);
 *     const TCGHelperInfo helper_info_cc_compute = {
 *         .func = helper_cc_compute, .name = "cc_compute",
 *         .flags = TCG_CALL_NO_RWG_SE,
 *         .ret = TCG_CALL_I64, .nargs = 2,
 *         .args = { TCG_CALL_PTR, TCG_CALL_I32 },
 *     };
 *     tcg_gen_call2(&helper_info_cc_compute, tcgv_i64_temp(dst),
 *                   tcgv_ptr_temp(tcg_env), tcgv_i32_temp(op));
 *
 * A helper that may raise a guest exception (cpu_loop_exit*) must not be
 * flagged NO_WG/NO_RWG unless it restores state itself; use flags 0 or
 * TCG_CALL_NO_WG with cpu_loop_exit_restore(cpu, GETPC()).
 */
typedef struct TCGHelperInfo {
    void *func;
    const char *name;
    unsigned flags;
    TCGCallArgKind ret;
    unsigned nargs;
    TCGCallArgKind args[TCG_MAX_CALL_ARGS];
} TCGHelperInfo;

/* ---- the op list ------------------------------------------------------ */

typedef struct TCGOp {
    struct TCGOp *prev, *next;
    TCGOpcode opc : 8;
    TCGType type : 8;   /* TCG_TYPE_I32 / I64 for TCG_OPF_BOTH ops */
    unsigned nargs : 8; /* for calls: 1 + number of inputs (+1 if ret) */
    /* liveness: bit n set = arg n dies here; sync: bit n = store output n */
    uint16_t life_dead;
    uint16_t life_sync;
    const TCGHelperInfo *call; /* INDEX_op_call only */
    TCGArg args[TCG_MAX_OP_ARGS];
} TCGOp;

/* Temps and labels appear in args[] as pointers. */
static inline TCGTemp *arg_temp(TCGArg a)
{
    return (TCGTemp *)(uintptr_t)a;
}
static inline TCGArg temp_arg(TCGTemp *t)
{
    return (TCGArg)(uintptr_t)t;
}
static inline TCGLabel *arg_label(TCGArg a)
{
    return (TCGLabel *)(uintptr_t)a;
}
static inline TCGArg label_arg(TCGLabel *l)
{
    return (TCGArg)(uintptr_t)l;
}

/* ---- temps ------------------------------------------------------------ */

typedef enum TCGTempVal {
    TEMP_VAL_DEAD,
    TEMP_VAL_REG,
    TEMP_VAL_MEM,
    TEMP_VAL_CONST,
} TCGTempVal;

struct TCGTemp {
    int8_t reg;
    TCGTempVal val_type : 8;
    TCGType base_type : 8;
    TCGTempKind kind : 8;
    bool mem_coherent;   /* register value equals memory value */
    bool mem_allocated;  /* a stack slot has been assigned (TB/EBB temps) */
    bool temp_allocated; /* in use (for free-list reuse) */
    uint8_t state;       /* liveness scratch */
    int64_t val;         /* TEMP_CONST value (sign/zero as stored) */
    struct TCGTemp *mem_base; /* env temp for globals, frame for temps */
    intptr_t mem_offset;
    const char *name;
    void *state_ptr; /* free-list link of released temps */
    int index;       /* position in TCGContext.temps */
};

/* ---- the context ------------------------------------------------------ */

#define TCG_MAX_TEMPS            4096
#define TCG_MAX_OPS              6000
#define TCG_MAX_INSNS            512 /* guest insns per TB */
#define TCG_MAX_INSN_START_WORDS 3

typedef struct TCGContext TCGContext;
extern TCGContext *tcg_ctx;

/* The pointer to the CPU state (env), pinned in a host register. */
extern TCGv_ptr tcg_env;

/*
 * Once per process, before anything else: allocates the context and the
 * code buffer (code_size bytes; 0 = default 256 MiB) and creates tcg_env.
 * insn_start_words: data words per insn_start (1..3) for this target.
 */
void tcg_init(size_t code_size, unsigned insn_start_words);

/* Globals: a field of env at offset.  base must be tcg_env. */
TCGv_i32 tcg_global_mem_new_i32(TCGv_ptr base, intptr_t offset,
                                const char *name);
TCGv_i64 tcg_global_mem_new_i64(TCGv_ptr base, intptr_t offset,
                                const char *name);
TCGv_ptr tcg_global_mem_new_ptr(TCGv_ptr base, intptr_t offset,
                                const char *name);

/* TB-lifetime temps (value survives branches and labels). */
TCGv_i32 tcg_temp_new_i32(void);
TCGv_i64 tcg_temp_new_i64(void);
TCGv_ptr tcg_temp_new_ptr(void);
/* EBB temps: dead after the next label/branch. */
TCGv_i32 tcg_temp_ebb_new_i32(void);
TCGv_i64 tcg_temp_ebb_new_i64(void);
/* Optional: lets the slot be reused later in this TB. */
void tcg_temp_free_i32(TCGv_i32 t);
void tcg_temp_free_i64(TCGv_i64 t);
void tcg_temp_free_ptr(TCGv_ptr t);
void tcg_temp_free_internal(TCGTemp *t);

/* Constants: read-only, never free them. */
TCGv_i32 tcg_constant_i32(int32_t val);
TCGv_i64 tcg_constant_i64(int64_t val);
TCGv_ptr tcg_constant_ptr(intptr_t val);
TCGTemp *tcg_constant_internal(TCGType type, int64_t val);

TCGTemp *tcg_temp_new_internal(TCGType type, TCGTempKind kind);
TCGTemp *tcg_global_mem_new_internal(TCGType type, intptr_t offset,
                                     const char *name);

static inline bool temp_is_const(const TCGTemp *t)
{
    return t->kind == TEMP_CONST;
}
static inline bool temp_is_global(const TCGTemp *t)
{
    return t->kind == TEMP_GLOBAL || t->kind == TEMP_FIXED;
}

/* Labels */
TCGLabel *gen_new_label(void);

/* ---- op list access (optimizer, tests, backends) ---------------------- */

TCGOp *tcg_emit_op(TCGOpcode opc, TCGType type, unsigned nargs);
TCGOp *tcg_op_insert_before(TCGOp *old, TCGOpcode opc, TCGType type,
                            unsigned nargs);
TCGOp *tcg_op_insert_after(TCGOp *old, TCGOpcode opc, TCGType type,
                           unsigned nargs);
void tcg_op_remove(TCGOp *op);
TCGOp *tcg_first_op(void);
TCGOp *tcg_last_op(void);
int tcg_nb_ops(void);
int tcg_nb_temps(void);
TCGTemp *tcg_temp_at(int index);
int tcg_nb_globals(void);

/* True when the frontend should end the TB (op or temp buffer filling up). */
bool tcg_op_buf_full(void);

/* Starts a new function (TB): clears ops, temps (not globals), labels. */
void tcg_func_start(void);

/* Passes.  tcg_gen_code() runs them all. */
void tcg_optimize(TCGContext *s);
void tcg_liveness_analysis(TCGContext *s);

/*
 * Generates host code for the current op list at code_ptr (within the code
 * buffer, at most max_size bytes).  On exit, *info receives the jump patch
 * offsets and insn_start table.  Returns the code size, or -1 if the code
 * did not fit (the caller flushes the buffer and retries), or -2 if the
 * TB was too big (retry with fewer insns).
 */
typedef struct TCGGenInfo {
    uint16_t jmp_insn_offset[2];  /* offset of the rel32 of goto_tb n */
    uint16_t jmp_reset_offset[2]; /* offset just after goto_tb n */
    int nb_insns;                 /* insn_start ops seen */
    uint16_t *insn_end_off;       /* host offset of end of insn i */
    uint64_t *insn_data;          /* [nb_insns * words] */
} TCGGenInfo;
int tcg_gen_code(TCGContext *s, void *code_ptr, size_t max_size,
                 TCGGenInfo *info);

/* Dumps the op list ("-d op", "-d op_opt" format). */
void tcg_dump_ops(TCGContext *s, FILE *f, bool have_prefs);

/* The generated prologue: runs tc_ptr with env; returns exit_tb's value. */
uintptr_t tcg_qemu_tb_exec(void *env, const void *tc_ptr);

/* Code buffer (RWX mapping) */
void *tcg_code_buf_start(void);
size_t tcg_code_buf_size(void);
/* Address that exit_tb(0) / goto_ptr-to-nothing returns through. */
const void *tcg_code_gen_epilogue(void);
/* Atomically retargets the goto_tb jump at jmp_rx (rel32 field) to addr. */
void tcg_tb_set_jmp_target(uintptr_t jmp_rel32_addr, uintptr_t addr);

/* Host disassembly into the log (capstone when available). */
void tcg_disas_host(FILE *f, const void *code, size_t size);
/*
 * Guest disassembly: arch is "x86_64", "i386", "i8086" (16-bit code) or
 * "aarch64"; addresses are
 * printed from pc.  Falls back to a hex dump without capstone.
 */
void tcg_disas_guest(FILE *f, const char *arch, const void *code, size_t size,
                     uint64_t pc);

/* Guest base (user mode): host address = guest address + guest_base. */
extern uintptr_t guest_base;

/* For tests: stats of the last optimize pass. */
typedef struct TCGOptStats {
    int ops_before, ops_after;
} TCGOptStats;
extern TCGOptStats tcg_opt_stats;

#endif
