/*
 * x86-64 → TCG IR translator (long mode, user level).
 *
 * Overview: x86_translate_code() decodes guest instructions one by one
 * into IR until a branch, a page boundary or max_insns.  Decoding is
 * table-driven (STYLE.md §8): prefixes are consumed first, then the
 * opcode selects a row of the one-byte map (op_table1), the two-byte map
 * (op_table2, 0F xx) or the SSE maps (translate-sse.c.inc), in the SDM's
 * notation (Intel SDM vol. 2D, appendix A, opcode map).  A row names the
 * operand form (X86Spec: "E,v G,v", "I,b"...) and a gen_* function; a
 * ModRM.reg group is an 8-entry sub-table.  decode_operands() reads the
 * ModRM/SIB/displacement/immediate as the form says, computes the
 * effective address, and hands the gen function an X86Operands.
 *
 * Flags are lazy (cpu.h CCOp): the translator tracks the current cc_op at
 * translate time (s->cc_op) and writes it to env only when needed
 * (helpers, TB end); conditions after CMP/SUB/TEST/logic ops are computed
 * inline from cc_dst/cc_src/cc_src2 without materializing EFLAGS.
 *
 * Usage: accel/tcg calls x86_tcg_ops.translate_code (cpu.c) for each TB.
 */
#include <string.h>

#include "accel/tcg/cpu-exec.h"
#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "tcg/tcg-op.h"
#include "tcg/tcg.h"
#include "util/log.h"

/* Prefixes (DisasContext.prefix). */
#define PREFIX_REPZ  0x01
#define PREFIX_REPNZ 0x02
#define PREFIX_LOCK  0x04
#define PREFIX_DATA  0x08
#define PREFIX_ADR   0x10

/* How a translation ends (DisasContext.is_jmp). */
enum {
    DISAS_NEXT,     /* keep going */
    DISAS_JUMP,     /* rip set dynamically: look up the next TB */
    DISAS_NORETURN, /* exception raised, code after is dead */
    DISAS_EOB_NEXT, /* end the TB, continue at s->pc (state changed) */
    DISAS_TOO_MANY, /* max insns / page end: chain to s->pc */
};

typedef struct DisasContext {
    CPUState *cs;
    TranslationBlock *tb;
    uint64_t pc_start; /* this insn */
    uint64_t pc;       /* next byte to fetch */
    int prefix;
    int override_seg; /* -1, R_FS or R_GS */
    bool rex_present;
    int rex_w, rex_r, rex_x, rex_b;
    MemOp dflag;    /* operand size: MO_16/MO_32/MO_64 */
    MemOp aflag;    /* address size: MO_32/MO_64 */
    int rip_offset; /* bytes of immediate after the displacement */
    CCOp cc_op;
    bool cc_op_dirty;
    int is_jmp;
    int b; /* opcode (0x0f00 | byte for the 0F map) */
    int modrm;
    bool has_modrm;
    TCGv_i64 A0;
} DisasContext;

/* Decoded operands of one instruction. */
typedef struct X86Operands {
    MemOp ot;    /* operand size of E/G */
    int reg;     /* G operand register (ModRM.reg with REX.R) */
    int rm;      /* E operand register when !mem */
    bool mem;    /* E operand is memory at s->A0 */
    int64_t imm; /* immediate (sign-extended per its form) */
    int64_t imm2;
    int arg; /* the row's argument */
} X86Operands;

/* TCG globals */
static TCGv_i64 cpu_regs[16];
static TCGv_i64 cpu_cc_dst, cpu_cc_src, cpu_cc_src2;
static TCGv_i32 cpu_cc_op;
static TCGv_i64 cpu_rip;
static TCGv_i64 cpu_seg_base[6];
static TCGv_i32 cpu_df;

void x86_translate_init(void)
{
    static const char *const names[16] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
    };
    static const char *const seg_names[6] = {"es_base", "cs_base", "ss_base",
                                             "ds_base", "fs_base", "gs_base"};
    int i;

    for (i = 0; i < 16; i++) {
        cpu_regs[i] = tcg_global_mem_new_i64(
            tcg_env, offsetof(CPUX86State, regs[i]), names[i]);
    }
    for (i = 0; i < 6; i++) {
        cpu_seg_base[i] = tcg_global_mem_new_i64(
            tcg_env, offsetof(CPUX86State, segs[i].base), seg_names[i]);
    }
    cpu_cc_dst = tcg_global_mem_new_i64(tcg_env, offsetof(CPUX86State, cc_dst),
                                        "cc_dst");
    cpu_cc_src = tcg_global_mem_new_i64(tcg_env, offsetof(CPUX86State, cc_src),
                                        "cc_src");
    cpu_cc_src2 = tcg_global_mem_new_i64(
        tcg_env, offsetof(CPUX86State, cc_src2), "cc_src2");
    cpu_cc_op =
        tcg_global_mem_new_i32(tcg_env, offsetof(CPUX86State, cc_op), "cc_op");
    cpu_rip =
        tcg_global_mem_new_i64(tcg_env, offsetof(CPUX86State, rip), "rip");
    cpu_df = tcg_global_mem_new_i32(tcg_env, offsetof(CPUX86State, df), "df");
}

/* ---- code fetch ---- */

static uint8_t x86_ldub_code(DisasContext *s)
{
    return translator_ldub(s->cs, s->tb, s->pc++);
}

static uint16_t x86_lduw_code(DisasContext *s)
{
    uint16_t v = translator_lduw(s->cs, s->tb, s->pc);
    s->pc += 2;
    return v;
}

static uint32_t x86_ldl_code(DisasContext *s)
{
    uint32_t v = translator_ldl(s->cs, s->tb, s->pc);
    s->pc += 4;
    return v;
}

static uint64_t x86_ldq_code(DisasContext *s)
{
    uint64_t v = translator_ldq(s->cs, s->tb, s->pc);
    s->pc += 8;
    return v;
}

/* ---- small IR helpers ---- */

static TCGv_ptr env_ptr_at(intptr_t off)
{
    TCGv_ptr p = tcg_temp_new_ptr();
    tcg_gen_addi_ptr(p, tcg_env, off);
    return p;
}

static void gen_update_cc_op(DisasContext *s)
{
    if (s->cc_op_dirty) {
        tcg_gen_movi_i32(cpu_cc_op, s->cc_op);
        s->cc_op_dirty = false;
    }
}

static void set_cc_op(DisasContext *s, CCOp op)
{
    if (s->cc_op != op) {
        s->cc_op = op;
        s->cc_op_dirty = op != CC_OP_DYNAMIC;
    }
}

static void gen_update_rip_cur(DisasContext *s)
{
    tcg_gen_movi_i64(cpu_rip, s->pc_start);
}

/* Raises exception EXCP at the current insn; ends the TB. */
static void gen_exception(DisasContext *s, int excp)
{
    gen_update_cc_op(s);
    gen_update_rip_cur(s);
    tcg_gen_call2(&helper_info_raise_exception, NULL, tcgv_ptr_temp(tcg_env),
                  tcgv_i32_temp(tcg_constant_i32(excp)));
    s->is_jmp = DISAS_NORETURN;
}

static void gen_illegal_opcode(DisasContext *s)
{
    gen_update_cc_op(s);
    gen_update_rip_cur(s);
    tcg_gen_call3(&helper_info_unimp, NULL, tcgv_ptr_temp(tcg_env),
                  tcgv_i64_temp(tcg_constant_i64(s->pc_start)),
                  tcgv_i32_temp(tcg_constant_i32(s->pc - s->pc_start)));
    s->is_jmp = DISAS_NORETURN;
}

/* Byte registers 4-7 without REX are AH, CH, DH, BH. */
static bool byte_reg_is_xH(DisasContext *s, int reg)
{
    return reg >= 4 && reg < 8 && !s->rex_present;
}

/* t = register reg at size ot, zero-extended. */
static void gen_op_mov_v_reg(DisasContext *s, MemOp ot, TCGv_i64 t, int reg)
{
    if (ot == MO_8 && byte_reg_is_xH(s, reg)) {
        tcg_gen_extract_i64(t, cpu_regs[reg - 4], 8, 8);
        return;
    }
    switch (ot) {
    case MO_8:
        tcg_gen_ext8u_i64(t, cpu_regs[reg]);
        break;
    case MO_16:
        tcg_gen_ext16u_i64(t, cpu_regs[reg]);
        break;
    case MO_32:
        tcg_gen_ext32u_i64(t, cpu_regs[reg]);
        break;
    default:
        tcg_gen_mov_i64(t, cpu_regs[reg]);
        break;
    }
}

/* register reg at size ot = t (32-bit writes zero the upper half). */
static void gen_op_mov_reg_v(DisasContext *s, MemOp ot, int reg, TCGv_i64 t)
{
    switch (ot) {
    case MO_8:
        if (byte_reg_is_xH(s, reg)) {
            tcg_gen_deposit_i64(cpu_regs[reg - 4], cpu_regs[reg - 4], t, 8, 8);
        } else {
            tcg_gen_deposit_i64(cpu_regs[reg], cpu_regs[reg], t, 0, 8);
        }
        break;
    case MO_16:
        tcg_gen_deposit_i64(cpu_regs[reg], cpu_regs[reg], t, 0, 16);
        break;
    case MO_32:
        tcg_gen_ext32u_i64(cpu_regs[reg], t);
        break;
    default:
        tcg_gen_mov_i64(cpu_regs[reg], t);
        break;
    }
}

static void gen_ext(MemOp ot, TCGv_i64 d, TCGv_i64 v, bool sign)
{
    switch (ot) {
    case MO_8:
        sign ? tcg_gen_ext8s_i64(d, v) : tcg_gen_ext8u_i64(d, v);
        break;
    case MO_16:
        sign ? tcg_gen_ext16s_i64(d, v) : tcg_gen_ext16u_i64(d, v);
        break;
    case MO_32:
        sign ? tcg_gen_ext32s_i64(d, v) : tcg_gen_ext32u_i64(d, v);
        break;
    default:
        tcg_gen_mov_i64(d, v);
        break;
    }
}

static void gen_ld(MemOp ot, TCGv_i64 t, TCGv_i64 addr)
{
    tcg_gen_qemu_ld_i64(t, addr, 0, ot | MO_LE);
}

static void gen_st(MemOp ot, TCGv_i64 t, TCGv_i64 addr)
{
    tcg_gen_qemu_st_i64(t, addr, 0, ot | MO_LE);
}

/* Load/store the E operand. */
static void gen_ld_E(DisasContext *s, X86Operands *o, MemOp ot, TCGv_i64 t)
{
    if (o->mem) {
        gen_ld(ot, t, s->A0);
    } else {
        gen_op_mov_v_reg(s, ot, t, o->rm);
    }
}

static void gen_st_E(DisasContext *s, X86Operands *o, MemOp ot, TCGv_i64 t)
{
    if (o->mem) {
        gen_st(ot, t, s->A0);
    } else {
        gen_op_mov_reg_v(s, ot, o->rm, t);
    }
}

/* Adds the FS/GS base of a segment override to an address. */
static void gen_add_seg(DisasContext *s, TCGv_i64 a)
{
    if (s->override_seg >= 0) {
        tcg_gen_add_i64(a, a, cpu_seg_base[s->override_seg]);
    }
}

/* ---- effective addresses ---- */

/*
 * Reads ModRM (already in s->modrm) / SIB / displacement and, for a memory
 * operand, computes the address into s->A0 (segment base included).
 * RIP-relative addressing needs the length of the whole insn, so the
 * caller sets s->rip_offset to the size of the immediate still to come.
 */
static void gen_lea_modrm(DisasContext *s, X86Operands *o)
{
    int mod = (s->modrm >> 6) & 3, rm = s->modrm & 7;
    int base, index = -1, scale = 0;
    int64_t disp = 0;
    bool riprel = false;

    if (mod == 3) {
        o->mem = false;
        o->rm = rm | (s->rex_b << 3);
        return;
    }
    o->mem = true;
    base = rm;
    if (rm == 4) {
        int sib = x86_ldub_code(s);
        scale = sib >> 6;
        index = ((sib >> 3) & 7) | (s->rex_x << 3);
        if (index == 4) {
            index = -1;
        }
        base = sib & 7;
        if (mod == 0 && base == 5) {
            base = -1;
            disp = (int32_t)x86_ldl_code(s);
        } else {
            base |= s->rex_b << 3;
        }
    } else if (mod == 0 && rm == 5) {
        base = -1;
        riprel = true;
        disp = (int32_t)x86_ldl_code(s);
    } else {
        base |= s->rex_b << 3;
    }
    if (mod == 1) {
        disp = (int8_t)x86_ldub_code(s);
    } else if (mod == 2) {
        disp = (int32_t)x86_ldl_code(s);
    }

    TCGv_i64 a = s->A0;
    if (riprel) {
        uint64_t target = s->pc + s->rip_offset + disp;
        if (s->aflag == MO_32) {
            target = (uint32_t)target;
        }
        tcg_gen_movi_i64(a, target);
    } else if (base >= 0 && index >= 0) {
        tcg_gen_shli_i64(a, cpu_regs[index], scale);
        tcg_gen_add_i64(a, a, cpu_regs[base]);
        tcg_gen_addi_i64(a, a, disp);
    } else if (base >= 0) {
        tcg_gen_addi_i64(a, cpu_regs[base], disp);
    } else if (index >= 0) {
        tcg_gen_shli_i64(a, cpu_regs[index], scale);
        tcg_gen_addi_i64(a, a, disp);
    } else {
        tcg_gen_movi_i64(a, s->aflag == MO_32 ? (uint32_t)disp : disp);
    }
    if (s->aflag == MO_32 && !riprel) {
        tcg_gen_ext32u_i64(a, a);
    }
    gen_add_seg(s, a);
}

/* ---- conditions ---- */

/* Puts EFLAGS' arithmetic bits in t (cc state unchanged). */
static void gen_compute_eflags_into(DisasContext *s, TCGv_i64 t)
{
    if (s->cc_op == CC_OP_EFLAGS) {
        tcg_gen_mov_i64(t, cpu_cc_src);
        return;
    }
    TCGv_i32 op =
        s->cc_op == CC_OP_DYNAMIC ? cpu_cc_op : tcg_constant_i32(s->cc_op);
    tcg_gen_call4(&helper_info_cc_compute_all, tcgv_i64_temp(t),
                  tcgv_i64_temp(cpu_cc_dst), tcgv_i64_temp(cpu_cc_src),
                  tcgv_i64_temp(cpu_cc_src2), tcgv_i32_temp(op));
}

/* Materializes the flags: afterwards cc_op is EFLAGS and cc_src holds them. */
static void gen_compute_eflags(DisasContext *s)
{
    if (s->cc_op == CC_OP_EFLAGS) {
        return;
    }
    TCGv_i64 t = tcg_temp_new_i64();
    gen_compute_eflags_into(s, t);
    tcg_gen_mov_i64(cpu_cc_src, t);
    set_cc_op(s, CC_OP_EFLAGS);
}

/* t = CF (0 or 1). */
static void gen_compute_c(DisasContext *s, TCGv_i64 t)
{
    MemOp ot;

    switch (s->cc_op) {
    case CC_OP_SUBB ... CC_OP_SUBQ:
        ot = cc_op_size(s->cc_op);
        {
            TCGv_i64 a = tcg_temp_new_i64(), b = tcg_temp_new_i64();
            tcg_gen_add_i64(a, cpu_cc_dst, cpu_cc_src);
            gen_ext(ot, a, a, false);
            gen_ext(ot, b, cpu_cc_src, false);
            tcg_gen_setcond_i64(TCG_COND_LTU, t, a, b);
        }
        return;
    case CC_OP_ADDB ... CC_OP_ADDQ:
        ot = cc_op_size(s->cc_op);
        {
            TCGv_i64 a = tcg_temp_new_i64(), b = tcg_temp_new_i64();
            gen_ext(ot, a, cpu_cc_dst, false);
            gen_ext(ot, b, cpu_cc_src, false);
            tcg_gen_setcond_i64(TCG_COND_LTU, t, a, b);
        }
        return;
    case CC_OP_LOGICB ... CC_OP_LOGICQ:
    case CC_OP_CLR:
    case CC_OP_POPCNT:
        tcg_gen_movi_i64(t, 0);
        return;
    case CC_OP_INCB ... CC_OP_DECQ:
        tcg_gen_mov_i64(t, cpu_cc_src);
        return;
    case CC_OP_EFLAGS:
        tcg_gen_andi_i64(t, cpu_cc_src, CC_C);
        return;
    default:
        gen_compute_eflags_into(s, t);
        tcg_gen_andi_i64(t, t, CC_C);
        return;
    }
}

typedef struct CCPrepare {
    TCGCond cond;
    TCGv_i64 a;
    TCGv_i64 b;
} CCPrepare;

/* Prepares condition code B (Jcc low nibble) as a comparison. */
static CCPrepare gen_prepare_cc(DisasContext *s, int b)
{
    int jcc = (b >> 1) & 7;
    bool inv = b & 1;
    CCPrepare cc = {TCG_COND_NEVER, NULL, NULL};
    CCOp op = s->cc_op;
    MemOp ot = 0;
    TCGv_i64 t = tcg_temp_new_i64(), u;

    enum { JO, JB, JZ, JBE, JS, JP, JL, JLE };

    if (op >= CC_OP_MULB && op < CC_OP_NB) {
        ot = cc_op_size(op);
    }
    /* Fast paths from the lazy state. */
    if (op >= CC_OP_SUBB && op <= CC_OP_SUBQ && jcc != JO && jcc != JP) {
        u = tcg_temp_new_i64();
        switch (jcc) {
        case JB:
        case JBE:
            tcg_gen_add_i64(t, cpu_cc_dst, cpu_cc_src);
            gen_ext(ot, t, t, false);
            gen_ext(ot, u, cpu_cc_src, false);
            cc = (CCPrepare){jcc == JB ? TCG_COND_LTU : TCG_COND_LEU, t, u};
            goto done;
        case JL:
        case JLE:
            tcg_gen_add_i64(t, cpu_cc_dst, cpu_cc_src);
            gen_ext(ot, t, t, true);
            gen_ext(ot, u, cpu_cc_src, true);
            cc = (CCPrepare){jcc == JL ? TCG_COND_LT : TCG_COND_LE, t, u};
            goto done;
        default:
            break;
        }
    }
    if (op >= CC_OP_MULB && op < CC_OP_NB && (jcc == JZ || jcc == JS)) {
        if (jcc == JZ) {
            gen_ext(ot, t, cpu_cc_dst, false);
            cc = (CCPrepare){TCG_COND_EQ, t, tcg_constant_i64(0)};
        } else {
            gen_ext(ot, t, cpu_cc_dst, true);
            cc = (CCPrepare){TCG_COND_LT, t, tcg_constant_i64(0)};
        }
        goto done;
    }
    if (op >= CC_OP_LOGICB && op <= CC_OP_LOGICQ) {
        switch (jcc) {
        case JO:
        case JB:
            cc = (CCPrepare){TCG_COND_NEVER, t, t};
            goto done;
        case JBE:
            gen_ext(ot, t, cpu_cc_dst, false);
            cc = (CCPrepare){TCG_COND_EQ, t, tcg_constant_i64(0)};
            goto done;
        case JL:
            gen_ext(ot, t, cpu_cc_dst, true);
            cc = (CCPrepare){TCG_COND_LT, t, tcg_constant_i64(0)};
            goto done;
        case JLE:
            gen_ext(ot, t, cpu_cc_dst, true);
            cc = (CCPrepare){TCG_COND_LE, t, tcg_constant_i64(0)};
            goto done;
        default:
            break;
        }
    }
    if (jcc == JB && ((op >= CC_OP_ADDB && op <= CC_OP_ADDQ) ||
                      (op >= CC_OP_INCB && op <= CC_OP_DECQ))) {
        gen_compute_c(s, t);
        cc = (CCPrepare){TCG_COND_NE, t, tcg_constant_i64(0)};
        goto done;
    }

    /* Generic: from the materialized flags. */
    gen_compute_eflags_into(s, t);
    switch (jcc) {
    case JO:
        cc = (CCPrepare){TCG_COND_TSTNE, t, tcg_constant_i64(CC_O)};
        break;
    case JB:
        cc = (CCPrepare){TCG_COND_TSTNE, t, tcg_constant_i64(CC_C)};
        break;
    case JZ:
        cc = (CCPrepare){TCG_COND_TSTNE, t, tcg_constant_i64(CC_Z)};
        break;
    case JBE:
        cc = (CCPrepare){TCG_COND_TSTNE, t, tcg_constant_i64(CC_Z | CC_C)};
        break;
    case JS:
        cc = (CCPrepare){TCG_COND_TSTNE, t, tcg_constant_i64(CC_S)};
        break;
    case JP:
        cc = (CCPrepare){TCG_COND_TSTNE, t, tcg_constant_i64(CC_P)};
        break;
    case JL:
    case JLE:
        /* SF != OF (or ZF): move OF onto SF and xor. */
        u = tcg_temp_new_i64();
        tcg_gen_shri_i64(u, t, 4); /* OF (bit 11) -> bit 7 */
        tcg_gen_xor_i64(u, u, t);
        if (jcc == JL) {
            tcg_gen_andi_i64(u, u, CC_S);
        } else {
            tcg_gen_andi_i64(t, t, CC_Z);
            tcg_gen_andi_i64(u, u, CC_S);
            tcg_gen_or_i64(u, u, t);
        }
        cc = (CCPrepare){TCG_COND_NE, u, tcg_constant_i64(0)};
        break;
    }
done:
    if (inv) {
        cc.cond = tcg_invert_cond(cc.cond);
    }
    return cc;
}

static void gen_setcc(DisasContext *s, int b, TCGv_i64 d)
{
    CCPrepare cc = gen_prepare_cc(s, b);

    if (cc.cond == TCG_COND_NEVER || cc.cond == TCG_COND_ALWAYS) {
        tcg_gen_movi_i64(d, cc.cond == TCG_COND_ALWAYS);
    } else {
        tcg_gen_setcond_i64(cc.cond, d, cc.a, cc.b);
    }
}

/* ---- ending a TB ---- */

static void gen_jmp_tb(DisasContext *s, uint64_t dest, int n)
{
    gen_update_cc_op(s);
    if (translator_use_goto_tb(s->tb, dest)) {
        tcg_gen_goto_tb(n);
        tcg_gen_movi_i64(cpu_rip, dest);
        tcg_gen_exit_tb(s->tb, n);
    } else {
        tcg_gen_movi_i64(cpu_rip, dest);
        tcg_gen_lookup_and_goto_ptr();
    }
}

/* Jump to the address in t (already the full rip). */
static void gen_jmp_v(DisasContext *s, TCGv_i64 t)
{
    tcg_gen_mov_i64(cpu_rip, t);
    gen_update_cc_op(s);
    s->is_jmp = DISAS_JUMP;
}

static void gen_jcc(DisasContext *s, int b, uint64_t taken)
{
    CCPrepare cc = gen_prepare_cc(s, b);
    uint64_t next = s->pc;

    gen_update_cc_op(s);
    if (cc.cond == TCG_COND_NEVER) {
        gen_jmp_tb(s, next, 1);
    } else if (cc.cond == TCG_COND_ALWAYS) {
        gen_jmp_tb(s, taken, 0);
    } else {
        TCGLabel *l = gen_new_label();
        tcg_gen_brcond_i64(cc.cond, cc.a, cc.b, l);
        gen_jmp_tb(s, next, 1);
        gen_set_label(l);
        gen_jmp_tb(s, taken, 0);
    }
    s->is_jmp = DISAS_NORETURN;
}

/* ---- stack ---- */

/* PUSH/POP size: 64 by default, 16 with 66h. */
static MemOp stack_ot(DisasContext *s)
{
    return (s->prefix & PREFIX_DATA) && !s->rex_w ? MO_16 : MO_64;
}

static void gen_push_v(DisasContext *s, MemOp ot, TCGv_i64 v)
{
    TCGv_i64 a = tcg_temp_new_i64();
    tcg_gen_subi_i64(a, cpu_regs[R_ESP], 1 << ot);
    gen_st(ot, v, a);
    tcg_gen_mov_i64(cpu_regs[R_ESP], a);
}

static void gen_pop_v(DisasContext *s, MemOp ot, TCGv_i64 v)
{
    gen_ld(ot, v, cpu_regs[R_ESP]);
}

static void gen_pop_update(DisasContext *s, MemOp ot)
{
    tcg_gen_addi_i64(cpu_regs[R_ESP], cpu_regs[R_ESP], 1 << ot);
}

/* ---- the decoder tables ---- */

typedef void (*X86GenFunc)(DisasContext *s, X86Operands *o);

/*
 * Operand forms, in the SDM's notation (vol. 2D A.2): E = ModRM r/m,
 * G = ModRM.reg, I = immediate, J = relative offset, Z = register in the
 * opcode's low 3 bits, M = ModRM memory only; b = byte, w = word,
 * d = dword, v = operand size, z = 16/32 (64-bit: 32 sign-extended).
 */
typedef enum X86Spec {
    X_None,
    X_Eb_Gb,
    X_Ev_Gv,
    X_Gb_Eb,
    X_Gv_Ev,
    X_AL_Ib,
    X_rAX_Iz,
    X_Eb_Ib,
    X_Ev_Iz,
    X_Ev_Ib,
    X_Eb,
    X_Ev,
    X_Ew,
    X_Zv,
    X_Zb_Ib,
    X_Zv_Iv,
    X_Jb,
    X_Jz,
    X_Ib,
    X_Iw,
    X_Iz,
    X_Iw_Ib,
    X_Gv_M,
    X_Gv_Ev_Iz,
    X_Gv_Ev_Ib,
    X_Gv_Eb,
    X_Gv_Ew,
    X_Gv_Ed,
    X_Ev_Gv_Ib,
    X_M,
    X_Ob, /* moffs */
    X_Ov,
    X_Inherit, /* group sub-entry: the parent's form */
} X86Spec;

/* Row attributes */
enum {
    XF_BYTE = 1, /* operand size is 8 (b forms) */
    XF_D64 = 2,  /* operand size defaults to 64 in long mode */
    XF_LOCK = 4, /* LOCK is allowed (memory destination) */
    XF_F64 = 8,  /* operand size is always 64 */
};

typedef struct X86Op {
    X86GenFunc gen;
    uint8_t spec;
    uint8_t flags;
    int16_t arg;
    const struct X86Op *group; /* 8-entry ModRM.reg table */
} X86Op;

#define OP(g, sp, fl, a)                                                       \
    {                                                                          \
        (g), (sp), (fl), (a), NULL                                             \
    }
#define GRP(t, sp, fl)                                                         \
    {                                                                          \
        NULL, (sp), (fl), 0, (t)                                               \
    }
#define UD                                                                     \
    {                                                                          \
        NULL, X_None, 0, 0, NULL                                               \
    }

static bool spec_is_byte(X86Spec sp)
{
    switch (sp) {
    case X_Eb_Gb:
    case X_Gb_Eb:
    case X_AL_Ib:
    case X_Eb_Ib:
    case X_Eb:
    case X_Zb_Ib:
    case X_Ob:
        return true;
    default:
        return false;
    }
}

static bool spec_has_modrm(X86Spec sp)
{
    switch (sp) {
    case X_Eb_Gb:
    case X_Ev_Gv:
    case X_Gb_Eb:
    case X_Gv_Ev:
    case X_Eb_Ib:
    case X_Ev_Iz:
    case X_Ev_Ib:
    case X_Eb:
    case X_Ev:
    case X_Ew:
    case X_Gv_M:
    case X_Gv_Ev_Iz:
    case X_Gv_Ev_Ib:
    case X_Gv_Eb:
    case X_Gv_Ew:
    case X_Gv_Ed:
    case X_Ev_Gv_Ib:
    case X_M:
        return true;
    default:
        return false;
    }
}

/* Size in bytes of the immediate of a form (for RIP-relative). */
static int spec_imm_size(DisasContext *s, X86Spec sp, MemOp ot)
{
    switch (sp) {
    case X_Eb_Ib:
    case X_Ev_Ib:
    case X_Gv_Ev_Ib:
    case X_Ev_Gv_Ib:
        return 1;
    case X_Ev_Iz:
    case X_Gv_Ev_Iz:
        return ot == MO_16 ? 2 : 4;
    default:
        return 0;
    }
}

static int64_t fetch_imm(DisasContext *s, MemOp ot)
{
    switch (ot) {
    case MO_8:
        return (int8_t)x86_ldub_code(s);
    case MO_16:
        return (int16_t)x86_lduw_code(s);
    default:
        return (int32_t)x86_ldl_code(s);
    }
}

/* Reads ModRM/SIB/disp/imm for the form SP; on exit o is filled. */
static void decode_operands(DisasContext *s, X86Spec sp, X86Operands *o)
{
    if (spec_has_modrm(sp)) {
        s->rip_offset = spec_imm_size(s, sp, o->ot);
        o->reg = ((s->modrm >> 3) & 7) | (s->rex_r << 3);
        gen_lea_modrm(s, o);
    }
    switch (sp) {
    case X_AL_Ib:
    case X_Eb_Ib:
    case X_Ev_Ib:
    case X_Gv_Ev_Ib:
    case X_Ev_Gv_Ib:
    case X_Ib:
    case X_Jb:
        o->imm = (int8_t)x86_ldub_code(s);
        break;
    case X_Zb_Ib:
        o->imm = (int8_t)x86_ldub_code(s);
        o->reg = (s->b & 7) | (s->rex_b << 3);
        break;
    case X_rAX_Iz:
    case X_Ev_Iz:
    case X_Gv_Ev_Iz:
    case X_Iz:
        o->imm = fetch_imm(s, o->ot == MO_16 ? MO_16 : MO_32);
        break;
    case X_Jz:
        o->imm = (int32_t)x86_ldl_code(s);
        break;
    case X_Iw:
        o->imm = x86_lduw_code(s);
        break;
    case X_Iw_Ib:
        o->imm = x86_lduw_code(s);
        o->imm2 = x86_ldub_code(s);
        break;
    case X_Zv:
        o->reg = (s->b & 7) | (s->rex_b << 3);
        break;
    case X_Zv_Iv:
        o->reg = (s->b & 7) | (s->rex_b << 3);
        if (o->ot == MO_64) {
            o->imm = x86_ldq_code(s);
        } else {
            o->imm = fetch_imm(s, o->ot);
        }
        break;
    case X_Ob:
    case X_Ov: {
        uint64_t a = s->aflag == MO_64 ? x86_ldq_code(s) : x86_ldl_code(s);
        tcg_gen_movi_i64(s->A0, a);
        gen_add_seg(s, s->A0);
        o->mem = true;
        break;
    }
    default:
        break;
    }
}

#include "target/x86/translate-int.c.inc"
#include "target/x86/translate-optab.c.inc"
#include "target/x86/translate-sse.c.inc"
#include "target/x86/translate-x87.c.inc"
#include "target/x86/translate-vex.c.inc"

/* ---- one instruction ---- */

static void disas_insn(DisasContext *s)
{
    const X86Op *row;
    X86Operands o;
    int b;
    X86Spec sp;

    s->pc_start = s->pc;
    s->prefix = 0;
    s->override_seg = -1;
    s->rex_present = false;
    s->rex_w = s->rex_r = s->rex_x = s->rex_b = 0;
    s->rip_offset = 0;
    s->has_modrm = false;

    /* Legacy prefixes, then REX (which must come last). */
    for (;;) {
        b = x86_ldub_code(s);
        switch (b) {
        case 0xf3:
            s->prefix = (s->prefix & ~PREFIX_REPNZ) | PREFIX_REPZ;
            continue;
        case 0xf2:
            s->prefix = (s->prefix & ~PREFIX_REPZ) | PREFIX_REPNZ;
            continue;
        case 0xf0:
            s->prefix |= PREFIX_LOCK;
            continue;
        case 0x2e:
        case 0x36:
        case 0x3e:
        case 0x26:
            s->override_seg = -1; /* flat in long mode */
            continue;
        case 0x64:
            s->override_seg = R_FS;
            continue;
        case 0x65:
            s->override_seg = R_GS;
            continue;
        case 0x66:
            s->prefix |= PREFIX_DATA;
            continue;
        case 0x67:
            s->prefix |= PREFIX_ADR;
            continue;
        default:
            break;
        }
        break;
    }
    if ((b & 0xf0) == 0x40) {
        s->rex_present = true;
        s->rex_w = (b >> 3) & 1;
        s->rex_r = (b >> 2) & 1;
        s->rex_x = (b >> 1) & 1;
        s->rex_b = b & 1;
        b = x86_ldub_code(s);
        if ((b & 0xf0) == 0x40) {
            /* two REX: the last one counts */
            s->rex_w = (b >> 3) & 1;
            s->rex_r = (b >> 2) & 1;
            s->rex_x = (b >> 1) & 1;
            s->rex_b = b & 1;
            b = x86_ldub_code(s);
        }
    }
    s->aflag = (s->prefix & PREFIX_ADR) ? MO_32 : MO_64;
    s->dflag = s->rex_w ? MO_64 : (s->prefix & PREFIX_DATA) ? MO_16 : MO_32;

    if (b == 0x0f) {
        b = x86_ldub_code(s);
        if (b == 0x38 || b == 0x3a) {
            int b3 = x86_ldub_code(s);
            s->b = (b << 8) | b3;
            if (!gen_sse_3byte(s, b == 0x3a, b3)) {
                gen_illegal_opcode(s);
            }
            return;
        }
        s->b = 0x100 | b;
        if (gen_sse(s, b)) {
            return;
        }
        row = &op_table2[b];
    } else {
        s->b = b;
        if (b >= 0xd8 && b <= 0xdf) {
            gen_x87(s, b);
            return;
        }
        if (b == 0xc4 || b == 0xc5) {
            gen_vex(s, b);
            return;
        }
        row = &op_table1[b];
    }

    memset(&o, 0, sizeof(o));
    sp = row->spec;
    if (row->group) {
        s->modrm = x86_ldub_code(s);
        s->has_modrm = true;
        const X86Op *sub = &row->group[(s->modrm >> 3) & 7];
        if (sub->spec != X_Inherit) {
            sp = sub->spec;
        }
        o.arg = sub->arg;
        if (!sub->gen) {
            gen_illegal_opcode(s);
            return;
        }
        if ((row->flags | sub->flags) & XF_BYTE || spec_is_byte(sp)) {
            o.ot = MO_8;
        } else if ((row->flags | sub->flags) & XF_D64) {
            o.ot = stack_ot(s);
        } else {
            o.ot = s->dflag;
        }
        if ((s->prefix & PREFIX_LOCK) &&
            !((row->flags | sub->flags) & XF_LOCK)) {
            gen_illegal_opcode(s);
            return;
        }
        decode_operands(s, sp, &o);
        if ((s->prefix & PREFIX_LOCK) && !o.mem) {
            gen_illegal_opcode(s);
            return;
        }
        sub->gen(s, &o);
        return;
    }
    if (!row->gen) {
        gen_illegal_opcode(s);
        return;
    }
    o.arg = row->arg;
    if ((row->flags & XF_BYTE) || spec_is_byte(sp)) {
        o.ot = MO_8;
    } else if (row->flags & XF_F64) {
        o.ot = MO_64;
    } else if (row->flags & XF_D64) {
        o.ot = stack_ot(s);
    } else {
        o.ot = s->dflag;
    }
    if ((s->prefix & PREFIX_LOCK) && !(row->flags & XF_LOCK)) {
        gen_illegal_opcode(s);
        return;
    }
    if (spec_has_modrm(sp)) {
        s->modrm = x86_ldub_code(s);
        s->has_modrm = true;
    }
    decode_operands(s, sp, &o);
    if ((s->prefix & PREFIX_LOCK) && !o.mem) {
        gen_illegal_opcode(s);
        return;
    }
    row->gen(s, &o);
}

/* ---- the TB loop ---- */

void x86_translate_code(CPUState *cs, TranslationBlock *tb, int max_insns)
{
    DisasContext ctx, *s = &ctx;
    int n = 0;

    memset(s, 0, sizeof(*s));
    s->cs = cs;
    s->tb = tb;
    s->pc = tb->pc;
    s->cc_op = CC_OP_DYNAMIC;
    s->cc_op_dirty = false;
    s->is_jmp = DISAS_NEXT;
    s->A0 = tcg_temp_new_i64();
    if (x86_one_insn_per_tb) {
        max_insns = 1;
    }
    for (;;) {
        tcg_gen_insn_start(s->pc, s->cc_op, 0);
        n++;
        disas_insn(s);
        if (s->is_jmp != DISAS_NEXT) {
            break;
        }
        if (n >= max_insns || translator_should_stop(tb, s->pc)) {
            s->is_jmp = DISAS_TOO_MANY;
            break;
        }
    }
    switch (s->is_jmp) {
    case DISAS_TOO_MANY:
        gen_jmp_tb(s, s->pc, 0);
        break;
    case DISAS_EOB_NEXT:
        gen_update_cc_op(s);
        tcg_gen_movi_i64(cpu_rip, s->pc);
        tcg_gen_exit_tb(NULL, 0);
        break;
    case DISAS_JUMP:
        gen_update_cc_op(s);
        tcg_gen_lookup_and_goto_ptr();
        break;
    default:
        break;
    }
    tb->size = s->pc - tb->pc;
    tb->icount = n;
}
