/*
 * x86 → TCG IR translator: 16-, 32- and 64-bit code, user and system level.
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
 * Modes.  The TB flags (tb->flags = env->hflags, target/x86/SYSTEM.md)
 * say everything that changes decoding or the generated code: CPL, real /
 * protected / virtual-8086 / long mode, the default operand and address
 * size (CS.D, CS.L), the stack size (SS.B), whether DS/ES/SS bases may be
 * non-zero (ADDSEG), IOPL, TF/RF/interrupt shadow, the FPU/SSE enables.
 * They are copied into DisasContext once per TB and every mode decision
 * is taken at translate time.  In user mode (no CONFIG_SOFTMMU) the mode
 * accessors below are constants (64-bit code, CPL 3, flat segments), so
 * the compiler folds the generated code to what a 64-bit process needs.
 *
 * Addresses.  s->pc and tb->pc are linear addresses (CS base + EIP);
 * env->rip (cpu_rip) holds EIP, the offset in CS.  A memory operand's
 * effective address is masked to the address size (16/32/64 bits) and
 * its segment base added (gen_lea_seg); 16-bit code wraps IP at 64 KiB.
 *
 * Flags are lazy (cpu.h CCOp): the translator tracks the current cc_op at
 * translate time (s->cc_op) and writes it to env only when needed
 * (helpers, TB end); conditions after CMP/SUB/TEST/logic ops are computed
 * inline from cc_dst/cc_src/cc_src2 without materializing EFLAGS.
 *
 * Files: translate-int.c.inc (general-purpose instructions),
 * translate-optab.c.inc (the one- and two-byte maps), translate-sys.c.inc
 * (segments, far transfers, interrupts, I/O, control registers and the
 * other system instructions), translate-legacy.c.inc (instructions only
 * valid outside 64-bit mode), translate-sse/x87/vex.c.inc.
 *
 * Usage: accel/tcg calls x86_tcg_ops.translate_code (cpu.c) for each TB.
 * insn_start records (linear pc, translate-time cc_op) for every insn.
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
    DISAS_EOB_ONLY, /* rip set dynamically, state changed: main loop */
    DISAS_TOO_MANY, /* max insns / page end: chain to s->pc */
};

typedef struct DisasContext {
    CPUState *cs;
    TranslationBlock *tb;
    uint64_t pc_start; /* this insn (linear) */
    uint64_t pc;       /* next byte to fetch (linear) */
    int prefix;
    int override_seg; /* -1 or R_ES..R_GS */
    bool rex_present;
    int rex_w, rex_r, rex_x, rex_b;
    MemOp dflag;    /* operand size: MO_16/MO_32/MO_64 */
    MemOp aflag;    /* address size: MO_16/MO_32/MO_64 */
    int rip_offset; /* bytes of immediate after the displacement */
    CCOp cc_op;
    bool cc_op_dirty;
    int is_jmp;
    int b; /* opcode (0x0f00 | byte for the 0F map) */
    int modrm;
    bool has_modrm;
    int ea_seg; /* default segment of the ModRM memory operand (DS/SS) */
    bool ea_rsp; /* ... and its base register is rSP (POP m adjusts) */
    TCGv_i64 A0;
#ifdef CONFIG_SOFTMMU
    uint64_t cs_base;
    uint32_t flags; /* tb->flags: HF_* */
    int cpl, iopl, mem_index;
    bool pe, vm86, code32, code64, ss32, addseg;
    bool no_chain;   /* TF, RF or the interrupt shadow: exits see the loop */
    bool no_tf_trap; /* MOV/POP SS: the single-step trap waits one insn */
#endif
} DisasContext;

/*
 * Mode accessors.  User mode: a 64-bit process at CPL 3 with flat
 * segments, all constants.
 */
#ifdef CONFIG_SOFTMMU
#define CODE64(s)   ((s)->code64)
#define CODE32(s)   ((s)->code32)
#define SS32(s)     ((s)->ss32)
#define ADDSEG(s)   ((s)->addseg)
#define PE(s)       ((s)->pe)
#define VM86(s)     ((s)->vm86)
#define CPL(s)      ((s)->cpl)
#define IOPL(s)     ((s)->iopl)
#define CS_BASE(s)  ((s)->cs_base)
#define MEM_IDX(s)  ((s)->mem_index)
#define HFLAGS(s)   ((s)->flags)
#define NO_CHAIN(s) ((s)->no_chain)
#define SYSMODE     true
#else
#define CODE64(s)   true
#define CODE32(s)   true
#define SS32(s)     true
#define ADDSEG(s)   false
#define PE(s)       true
#define VM86(s)     false
#define CPL(s)      3
#define IOPL(s)     0
#define CS_BASE(s)  0
#define MEM_IDX(s)  0
#define HFLAGS(s)   0u
#define NO_CHAIN(s) false
#define SYSMODE     false
#endif

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

static TCGTemp *env_arg(void)
{
    return tcgv_ptr_temp(tcg_env);
}

static TCGTemp *i32_arg(int32_t v)
{
    return tcgv_i32_temp(tcg_constant_i32(v));
}

static TCGTemp *i64_arg(TCGv_i64 v)
{
    return tcgv_i64_temp(v);
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

/* After a helper that left its own cc_op in env. */
static void set_cc_op_dynamic(DisasContext *s)
{
    s->cc_op = CC_OP_DYNAMIC;
    s->cc_op_dirty = false;
}

/* EIP (offset in CS) of a linear code address, wrapped to the code size. */
static uint64_t eip_of(DisasContext *s, uint64_t pc)
{
    uint64_t eip = pc - CS_BASE(s);

    if (!CODE64(s)) {
        eip = CODE32(s) ? (uint32_t)eip : (uint16_t)eip;
    }
    return eip;
}

/* Linear address of EIP eip (32-bit wrap outside 64-bit code). */
static uint64_t pc_of(DisasContext *s, uint64_t eip)
{
    uint64_t pc = CS_BASE(s) + eip;

    return CODE64(s) ? pc : (uint32_t)pc;
}

static uint64_t eip_cur(DisasContext *s)
{
    return eip_of(s, s->pc_start);
}

static uint64_t eip_next(DisasContext *s)
{
    return eip_of(s, s->pc);
}

/* Length of the current insn (next_eip_addend of the helpers). */
static inline int insn_len(DisasContext *s)
{
    return s->pc - s->pc_start;
}

static void gen_update_rip_cur(DisasContext *s)
{
    tcg_gen_movi_i64(cpu_rip, eip_cur(s));
}

/* Syncs what a helper that may fault needs: cc_op and rip. */
static void gen_sync_for_helper(DisasContext *s)
{
    gen_update_cc_op(s);
    gen_update_rip_cur(s);
}

/* Raises exception EXCP (no error code) at the current insn; ends the TB. */
static void gen_exception(DisasContext *s, int excp)
{
    gen_sync_for_helper(s);
#ifdef CONFIG_SOFTMMU
    tcg_gen_call3(&helper_info_raise_exception_err, NULL, env_arg(),
                  i32_arg(excp), i32_arg(0));
#else
    tcg_gen_call2(&helper_info_raise_exception, NULL, env_arg(), i32_arg(excp));
#endif
    s->is_jmp = DISAS_NORETURN;
}

/* #GP(0) for a privileged insn (user mode: EXCP0D_GPF, SIGSEGV). */
static void gen_exception_gpf(DisasContext *s)
{
    gen_exception(s, EXCP0D_GPF);
}

static void gen_illegal_opcode(DisasContext *s)
{
    gen_update_cc_op(s);
    gen_update_rip_cur(s);
#ifdef CONFIG_SOFTMMU
    if (qemu_loglevel_mask(LOG_UNIMP)) {
        uint64_t p;
        qemu_log("qemu-system-x86_64: undefined or unimplemented opcode at "
                 "eip 0x%llx (linear 0x%llx):",
                 (unsigned long long)eip_cur(s),
                 (unsigned long long)s->pc_start);
        for (p = s->pc_start; p < s->pc; p++) {
            qemu_log(" %02x", translator_ldub(s->cs, s->tb, p));
        }
        qemu_log("\n");
    }
    tcg_gen_call3(&helper_info_raise_exception_err, NULL, env_arg(),
                  i32_arg(EXCP06_ILLOP), i32_arg(0));
#else
    tcg_gen_call3(&helper_info_unimp, NULL, env_arg(),
                  tcgv_i64_temp(tcg_constant_i64(s->pc_start)),
                  i32_arg(s->pc - s->pc_start));
#endif
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

/* Guest memory at a linear address, with the TB's MMU index. */
static void gen_ld(DisasContext *s, MemOp ot, TCGv_i64 t, TCGv_i64 addr)
{
    tcg_gen_qemu_ld_i64(t, addr, MEM_IDX(s), ot | MO_LE);
}

static void gen_st(DisasContext *s, MemOp ot, TCGv_i64 t, TCGv_i64 addr)
{
    tcg_gen_qemu_st_i64(t, addr, MEM_IDX(s), ot | MO_LE);
}

/* Load/store the E operand. */
static void gen_ld_E(DisasContext *s, X86Operands *o, MemOp ot, TCGv_i64 t)
{
    if (o->mem) {
        gen_ld(s, ot, t, s->A0);
    } else {
        gen_op_mov_v_reg(s, ot, t, o->rm);
    }
}

static void gen_st_E(DisasContext *s, X86Operands *o, MemOp ot, TCGv_i64 t)
{
    if (o->mem) {
        gen_st(s, ot, t, s->A0);
    } else {
        gen_op_mov_reg_v(s, ot, o->rm, t);
    }
}

/* ---- segments and effective addresses ---- */

/*
 * a = the linear address of effective address a (in place): a is
 * truncated to the address size aflag, then the segment base is added:
 * the override if any, else def_seg (DS, SS for BP/SP-based operands,
 * ES for string destinations; def_seg < 0: no default segment).  In
 * 64-bit mode only FS and GS have a base.  Outside 64-bit mode linear
 * addresses wrap at 4 GiB; with ADDSEG clear (32-bit code whose DS, ES
 * and SS bases are zero) the default segment adds nothing.
 * Quirk (docs/quirks.md): the segment limit, type and null-selector
 * checks of the hardware are not made, as in QEMU's TCG.
 */
static void gen_lea_seg_ovr(DisasContext *s, TCGv_i64 a, MemOp aflag,
                            int def_seg, int ovr_seg)
{
    int seg = ovr_seg;

    if (aflag == MO_16) {
        tcg_gen_ext16u_i64(a, a);
    } else if (aflag == MO_32) {
        tcg_gen_ext32u_i64(a, a);
    }
    if (CODE64(s)) {
        if (seg == R_FS || seg == R_GS) {
            tcg_gen_add_i64(a, a, cpu_seg_base[seg]);
        }
        return;
    }
    if (seg < 0) {
        if (!ADDSEG(s) || def_seg < 0) {
            return;
        }
        seg = def_seg;
    }
    tcg_gen_add_i64(a, a, cpu_seg_base[seg]);
    tcg_gen_ext32u_i64(a, a);
}

static void gen_lea_seg(DisasContext *s, TCGv_i64 a, MemOp aflag, int def_seg)
{
    gen_lea_seg_ovr(s, a, aflag, def_seg, s->override_seg);
}

/* The segment base the current prefix selects for a DS-relative operand. */
static inline TCGv_i64 gen_seg_base_ds(DisasContext *s)
{
    int seg = s->override_seg;

    if (CODE64(s)) {
        return seg == R_FS || seg == R_GS ? cpu_seg_base[seg]
                                          : tcg_constant_i64(0);
    }
    return cpu_seg_base[seg >= 0 ? seg : R_DS];
}

/*
 * 16-bit addressing (SDM vol. 2 table 2-1): the effective address into
 * A0, wrapped at 64 KiB; BP-based forms default to SS.
 */
static void gen_lea_modrm16(DisasContext *s, int mod, int rm)
{
    static const int8_t base_reg[8] = {R_EBX, R_EBX, R_EBP, R_EBP,
                                       R_ESI, R_EDI, R_EBP, R_EBX};
    static const int8_t index_reg[8] = {R_ESI, R_EDI, R_ESI, R_EDI,
                                        -1,    -1,    -1,    -1};
    TCGv_i64 a = s->A0;
    int32_t disp = 0;
    int base = base_reg[rm], index = index_reg[rm];

    if (mod == 0 && rm == 6) {
        base = -1;
        disp = x86_lduw_code(s);
    } else if (mod == 1) {
        disp = (int8_t)x86_ldub_code(s);
    } else if (mod == 2) {
        disp = (int16_t)x86_lduw_code(s);
    }
    s->ea_seg = base == R_EBP ? R_SS : R_DS;
    if (base < 0) {
        tcg_gen_movi_i64(a, disp & 0xffff);
        return;
    }
    if (index >= 0) {
        tcg_gen_add_i64(a, cpu_regs[base], cpu_regs[index]);
        tcg_gen_addi_i64(a, a, disp);
    } else {
        tcg_gen_addi_i64(a, cpu_regs[base], disp);
    }
    tcg_gen_ext16u_i64(a, a);
}

/*
 * Reads ModRM (already in s->modrm) / SIB / displacement and, for a memory
 * operand, computes the effective address into s->A0 (no segment yet;
 * s->ea_seg = its default segment).  RIP-relative addressing needs the
 * length of the whole insn, so the caller sets s->rip_offset to the size
 * of the immediate still to come.  Returns whether the rip-relative form
 * was used (its address is already final).
 */
static bool gen_ea_modrm(DisasContext *s, X86Operands *o)
{
    int mod = (s->modrm >> 6) & 3, rm = s->modrm & 7;
    int base, index = -1, scale = 0;
    int64_t disp = 0;
    bool riprel = false;

    s->ea_rsp = false;
    if (mod == 3) {
        o->mem = false;
        o->rm = rm | (s->rex_b << 3);
        return false;
    }
    o->mem = true;
    if (s->aflag == MO_16) {
        gen_lea_modrm16(s, mod, rm);
        return false;
    }
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
        riprel = CODE64(s);
        disp = (int32_t)x86_ldl_code(s);
    } else {
        base |= s->rex_b << 3;
    }
    if (mod == 1) {
        disp = (int8_t)x86_ldub_code(s);
    } else if (mod == 2) {
        disp = (int32_t)x86_ldl_code(s);
    }
    s->ea_seg = base == R_ESP || base == R_EBP ? R_SS : R_DS;
    s->ea_rsp = base == R_ESP;

    TCGv_i64 a = s->A0;
    if (riprel) {
        uint64_t target = eip_next(s) + s->rip_offset + disp;
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
    return riprel;
}

/* As gen_ea_modrm, then A0 = the linear address (segment added). */
static void gen_lea_modrm(DisasContext *s, X86Operands *o)
{
    bool riprel = gen_ea_modrm(s, o);

    if (!o->mem) {
        return;
    }
    if (riprel) {
        /* 64-bit mode: only an FS/GS base applies */
        gen_lea_seg(s, s->A0, MO_64, -1);
        return;
    }
    gen_lea_seg(s, s->A0, s->aflag, s->ea_seg);
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

/*
 * Leaves the TB with rip already in cpu_rip.  main_loop: the state
 * changed in a way the main loop must see (interrupts may be unmasked,
 * hflags changed), so return to it instead of looking up the next TB.
 * Single-stepping (TF) raises #DB here, after the instruction.
 */
static void gen_exit_dyn(DisasContext *s, bool main_loop)
{
    gen_update_cc_op(s);
#ifdef CONFIG_SOFTMMU
    if ((HFLAGS(s) & HF_TF_MASK) && !s->no_tf_trap) {
        tcg_gen_call1(&helper_info_single_step, NULL, env_arg());
        return;
    }
#endif
    if (main_loop || NO_CHAIN(s)) {
        tcg_gen_exit_tb(NULL, 0);
    } else {
        tcg_gen_lookup_and_goto_ptr();
    }
}

/* Jump to EIP dest (in CS), chained through slot n when possible. */
static void gen_jmp_tb(DisasContext *s, uint64_t dest, int n)
{
    gen_update_cc_op(s);
    if (!NO_CHAIN(s) && translator_use_goto_tb(s->tb, pc_of(s, dest))) {
        tcg_gen_goto_tb(n);
        tcg_gen_movi_i64(cpu_rip, dest);
        tcg_gen_exit_tb(s->tb, n);
    } else {
        tcg_gen_movi_i64(cpu_rip, dest);
        gen_exit_dyn(s, false);
    }
}

/* Jump to the EIP in t (already wrapped to the operand size). */
static void gen_jmp_v(DisasContext *s, TCGv_i64 t)
{
    tcg_gen_mov_i64(cpu_rip, t);
    gen_update_cc_op(s);
    s->is_jmp = DISAS_JUMP;
}

/* The EIP of a near branch target: wrapped to 16 bits with 16-bit size. */
static uint64_t jmp_target(DisasContext *s, int64_t rel)
{
    uint64_t dest = eip_next(s) + rel;

    if (CODE64(s)) {
        return dest;
    }
    return s->dflag == MO_16 ? (uint16_t)dest : (uint32_t)dest;
}

static void gen_jcc(DisasContext *s, int b, uint64_t taken)
{
    CCPrepare cc = gen_prepare_cc(s, b);
    uint64_t next = eip_next(s);

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

/* PUSH/POP size: 64-bit mode 64 (16 with 66h), else the operand size. */
static MemOp stack_ot(DisasContext *s)
{
    if (!CODE64(s)) {
        return s->dflag;
    }
    return (s->prefix & PREFIX_DATA) && !s->rex_w ? MO_16 : MO_64;
}

/* Size of the stack pointer: RSP, ESP (SS.B) or SP. */
static MemOp stack_aflag(DisasContext *s)
{
    return CODE64(s) ? MO_64 : SS32(s) ? MO_32 : MO_16;
}

/* a = linear address of stack offset sp (SS-relative, wrapped). */
static void gen_stack_addr(DisasContext *s, TCGv_i64 a, TCGv_i64 sp)
{
    tcg_gen_mov_i64(a, sp);
    gen_lea_seg_ovr(s, a, stack_aflag(s), R_SS, -1);
}

/* rSP = v at the stack pointer's size. */
static void gen_set_sp(DisasContext *s, TCGv_i64 v)
{
    gen_op_mov_reg_v(s, stack_aflag(s), R_ESP, v);
}

static void gen_push_v(DisasContext *s, MemOp ot, TCGv_i64 v)
{
    TCGv_i64 a = tcg_temp_new_i64();
    tcg_gen_subi_i64(a, cpu_regs[R_ESP], 1 << ot);
    if (CODE64(s)) {
        gen_st(s, ot, v, a);
        tcg_gen_mov_i64(cpu_regs[R_ESP], a);
        return;
    }
    TCGv_i64 la = tcg_temp_new_i64();
    gen_stack_addr(s, la, a);
    gen_st(s, ot, v, la);
    gen_set_sp(s, a);
}

/* v = the value at the top of the stack (rSP unchanged). */
static void gen_pop_v(DisasContext *s, MemOp ot, TCGv_i64 v)
{
    if (CODE64(s)) {
        gen_ld(s, ot, v, cpu_regs[R_ESP]);
        return;
    }
    TCGv_i64 la = tcg_temp_new_i64();
    gen_stack_addr(s, la, cpu_regs[R_ESP]);
    gen_ld(s, ot, v, la);
}

/* rSP += bytes, at the stack pointer's size. */
static void gen_sp_add(DisasContext *s, int64_t bytes)
{
    if (CODE64(s)) {
        tcg_gen_addi_i64(cpu_regs[R_ESP], cpu_regs[R_ESP], bytes);
        return;
    }
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_addi_i64(t, cpu_regs[R_ESP], bytes);
    gen_set_sp(s, t);
}

static void gen_pop_update(DisasContext *s, MemOp ot)
{
    gen_sp_add(s, 1 << ot);
}

/* ---- the decoder tables ---- */

typedef void (*X86GenFunc)(DisasContext *s, X86Operands *o);

/*
 * Operand forms, in the SDM's notation (vol. 2D A.2): E = ModRM r/m,
 * G = ModRM.reg, I = immediate, J = relative offset, Z = register in the
 * opcode's low 3 bits, M = ModRM memory only, R = ModRM r/m always a
 * register (MOV CRn/DRn), A = far pointer; b = byte, w = word,
 * d = dword, v = operand size, z = 16/32 (64-bit: 32 sign-extended),
 * p = far pointer in memory.
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
    X_Gv_M, /* LEA: the effective address, no segment */
    X_Gv_Mp,
    X_Gv_Ev_Iz,
    X_Gv_Ev_Ib,
    X_Gv_Eb,
    X_Gv_Ew,
    X_Gv_Ed,
    X_Ev_Gv_Ib,
    X_M,
    X_R,
    X_Ap,
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
    XF_I64 = 16, /* invalid (#UD) in 64-bit mode */
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
    case X_Gv_Mp:
    case X_Gv_Ev_Iz:
    case X_Gv_Ev_Ib:
    case X_Gv_Eb:
    case X_Gv_Ew:
    case X_Gv_Ed:
    case X_Ev_Gv_Ib:
    case X_M:
    case X_R:
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
        if (sp == X_R) {
            /* MOV CRn/DRn: r/m is a register whatever ModRM.mod says */
            o->mem = false;
            o->rm = (s->modrm & 7) | (s->rex_b << 3);
        } else if (sp == X_Gv_M) {
            /* LEA: the offset only, at the address size */
            if (!gen_ea_modrm(s, o) && o->mem && s->aflag == MO_32) {
                tcg_gen_ext32u_i64(s->A0, s->A0);
            }
        } else {
            gen_lea_modrm(s, o);
        }
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
        /* 64-bit mode: always rel32 (66h ignored, as Intel CPUs do) */
        if (!CODE64(s) && s->dflag == MO_16) {
            o->imm = (int16_t)x86_lduw_code(s);
        } else {
            o->imm = (int32_t)x86_ldl_code(s);
        }
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
    case X_Ap:
        /* ptr16:16 / ptr16:32: the offset, then the selector */
        o->imm = s->dflag == MO_16 ? x86_lduw_code(s) : x86_ldl_code(s);
        o->imm2 = x86_lduw_code(s);
        break;
    case X_Ob:
    case X_Ov: {
        uint64_t a = s->aflag == MO_64   ? x86_ldq_code(s)
                     : s->aflag == MO_32 ? x86_ldl_code(s)
                                         : x86_lduw_code(s);
        tcg_gen_movi_i64(s->A0, a);
        gen_lea_seg(s, s->A0, s->aflag, R_DS);
        o->mem = true;
        break;
    }
    default:
        break;
    }
}

/* ---- hflags and EFLAGS bits kept in env ---- */

#ifdef CONFIG_SOFTMMU
/*
 * env->hflags keeps the bits the helpers derive (CPL, modes, CR0/CR4
 * bits, the interrupt shadow); TF, IOPL, RF, VM and AC live only in
 * env->eflags and get_tb_cpu_state adds them to the TB flags, so POPF,
 * CLI/STI and STAC/CLAC write eflags alone (SYSTEM.md notes).
 */
static void gen_hflags_update(uint32_t clear, uint32_t set)
{
    TCGv_i32 h = tcg_temp_new_i32();
    tcg_gen_ld_i32(h, tcg_env, offsetof(CPUX86State, hflags));
    if (clear) {
        tcg_gen_andi_i32(h, h, ~clear);
    }
    if (set) {
        tcg_gen_ori_i32(h, h, set);
    }
    tcg_gen_st_i32(h, tcg_env, offsetof(CPUX86State, hflags));
}

/*
 * MOV SS / POP SS / STI: interrupts (and, for MOV SS, debug traps) are
 * held off until after the next instruction (SDM vol. 3A 6.8.3).  The
 * shadow does not extend over a second such instruction.
 */
static void gen_set_inhibit_irq(DisasContext *s)
{
    if (!(s->flags & HF_INHIBIT_IRQ_MASK)) {
        gen_hflags_update(0, HF_INHIBIT_IRQ_MASK);
    }
}
#endif

static void gen_eflags_update(uint64_t clear, uint64_t set)
{
    TCGv_i64 e = tcg_temp_new_i64();
    tcg_gen_ld_i64(e, tcg_env, offsetof(CPUX86State, eflags));
    if (clear) {
        tcg_gen_andi_i64(e, e, ~clear);
    }
    if (set) {
        tcg_gen_ori_i64(e, e, set);
    }
    tcg_gen_st_i64(e, tcg_env, offsetof(CPUX86State, eflags));
}

#include "target/x86/translate-int.c.inc"
#include "target/x86/translate-sys.c.inc"
#include "target/x86/translate-legacy.c.inc"
#include "target/x86/translate-optab.c.inc"
#include "target/x86/translate-sse.c.inc"
#include "target/x86/translate-x87.c.inc"
#include "target/x86/translate-vex.c.inc"

/* ---- one instruction ---- */

/* Whether the row's flags forbid the current prefixes / mode. */
static bool row_invalid(DisasContext *s, int flags)
{
    if ((flags & XF_I64) && CODE64(s)) {
        return true;
    }
    return (s->prefix & PREFIX_LOCK) && !(flags & XF_LOCK);
}

static MemOp row_ot(DisasContext *s, X86Spec sp, int flags)
{
    if ((flags & XF_BYTE) || spec_is_byte(sp)) {
        return MO_8;
    }
    if ((flags & XF_F64) && CODE64(s)) {
        return MO_64;
    }
    if (flags & XF_D64) {
        return stack_ot(s);
    }
    return s->dflag;
}

static void disas_insn(DisasContext *s)
{
    const X86Op *row;
    X86Operands o;
    int b, flags;
    X86Spec sp;

    s->pc_start = s->pc;
    s->prefix = 0;
    s->override_seg = -1;
    s->rex_present = false;
    s->rex_w = s->rex_r = s->rex_x = s->rex_b = 0;
    s->rip_offset = 0;
    s->has_modrm = false;
    s->ea_seg = R_DS;

    /* Legacy prefixes, then REX (64-bit mode only; it must come last). */
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
            /* ES/CS/SS/DS: ignored in 64-bit mode */
            s->override_seg = CODE64(s) ? -1 : (b >> 3) & 3;
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
    if (CODE64(s) && (b & 0xf0) == 0x40) {
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
    if (CODE64(s)) {
        s->aflag = (s->prefix & PREFIX_ADR) ? MO_32 : MO_64;
        s->dflag = s->rex_w ? MO_64 : (s->prefix & PREFIX_DATA) ? MO_16 : MO_32;
    } else {
        /* CS.D gives the default; 66h/67h select the other size */
        bool d32 = CODE32(s) ^ !!(s->prefix & PREFIX_DATA);
        bool a32 = CODE32(s) ^ !!(s->prefix & PREFIX_ADR);
        s->dflag = d32 ? MO_32 : MO_16;
        s->aflag = a32 ? MO_32 : MO_16;
    }

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
            /* VEX in 64-bit mode, or when the next byte has mod == 3 */
            if (CODE64(s) ||
                (translator_ldub(s->cs, s->tb, s->pc) & 0xc0) == 0xc0) {
                gen_vex(s, b);
                return;
            }
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
        flags = row->flags | sub->flags;
        if (!sub->gen || row_invalid(s, (row->flags & XF_I64) | sub->flags)) {
            gen_illegal_opcode(s);
            return;
        }
        o.ot = row_ot(s, sp, flags);
        decode_operands(s, sp, &o);
        if ((s->prefix & PREFIX_LOCK) && !o.mem) {
            gen_illegal_opcode(s);
            return;
        }
        sub->gen(s, &o);
        return;
    }
    if (!row->gen || row_invalid(s, row->flags)) {
        gen_illegal_opcode(s);
        return;
    }
    o.arg = row->arg;
    o.ot = row_ot(s, sp, row->flags);
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

#ifdef CONFIG_SOFTMMU
/* DisasContext fields from the TB flags (SYSTEM.md hflags table). */
static void init_mode(DisasContext *s, TranslationBlock *tb, int *max_insns)
{
    uint32_t f = tb->flags;

    s->flags = f;
    s->cs_base = tb->cs_base;
    s->cpl = f & HF_CPL_MASK;
    s->iopl = (f & HF_IOPL_MASK) >> HF_IOPL_SHIFT;
    s->pe = f & HF_PE_MASK;
    s->vm86 = f & HF_VM_MASK;
    s->code64 = f & HF_CS64_MASK;
    s->code32 = (f & HF_CS32_MASK) || s->code64;
    s->ss32 = f & HF_SS32_MASK;
    s->addseg = (f & HF_ADDSEG_MASK) && !s->code64;
    if (s->cpl == 3) {
        s->mem_index = MMU_USER_IDX;
    } else if ((f & HF_SMAP_MASK) && !(f & HF_AC_MASK)) {
        s->mem_index = MMU_KSMAP_IDX;
    } else {
        s->mem_index = MMU_KNOSMAP_IDX;
    }
    /*
     * Single-step, RF and the interrupt shadow apply to one instruction:
     * one-insn TBs whose exits go back to the main loop.
     */
    s->no_chain = f & (HF_TF_MASK | HF_RF_MASK | HF_INHIBIT_IRQ_MASK);
    if (s->no_chain) {
        *max_insns = 1;
    }
}

/*
 * At the start of a TB that runs under the interrupt shadow or with RF
 * set: both end after this instruction (SDM vol. 3A 6.8.3, 17.3.1.1).
 */
static void gen_tb_start_flags(DisasContext *s)
{
    if (s->flags & HF_INHIBIT_IRQ_MASK) {
        TCGv_i32 h = tcg_temp_new_i32();
        tcg_gen_ld_i32(h, tcg_env, offsetof(CPUX86State, hflags));
        tcg_gen_andi_i32(h, h, ~HF_INHIBIT_IRQ_MASK);
        tcg_gen_st_i32(h, tcg_env, offsetof(CPUX86State, hflags));
    }
    if (s->flags & HF_RF_MASK) {
        TCGv_i64 e = tcg_temp_new_i64();
        tcg_gen_ld_i64(e, tcg_env, offsetof(CPUX86State, eflags));
        tcg_gen_andi_i64(e, e, ~(uint64_t)RF_MASK);
        tcg_gen_st_i64(e, tcg_env, offsetof(CPUX86State, eflags));
    }
}
#endif

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
#ifdef CONFIG_SOFTMMU
    init_mode(s, tb, &max_insns);
    gen_tb_start_flags(s);
#endif
    for (;;) {
        /* data[0]: the linear pc (restore_state_to_opc subtracts CS base) */
        tcg_gen_insn_start(pc_of(s, eip_of(s, s->pc)), s->cc_op, 0);
        n++;
#ifdef CONFIG_SOFTMMU
        /* RF: this TB's one insn runs without the breakpoint check */
        if ((s->flags & (HF_IBP_MASK | HF_RF_MASK)) == HF_IBP_MASK) {
            tcg_gen_call2(&helper_info_ibp_check, NULL, env_arg(),
                          i64_arg(tcg_constant_i64(
                              pc_of(s, eip_of(s, s->pc)))));
        }
#endif
        disas_insn(s);
        if (s->is_jmp != DISAS_NEXT) {
            break;
        }
        if (n >= max_insns || translator_should_stop(tb, s->pc)) {
            s->is_jmp = DISAS_TOO_MANY;
            break;
        }
        if (!CODE64(s) && s->pc - CS_BASE(s) != eip_next(s)) {
            /* IP/EIP wrapped: the next insn is at CS:0 */
            s->is_jmp = DISAS_TOO_MANY;
            break;
        }
    }
    switch (s->is_jmp) {
    case DISAS_TOO_MANY:
        gen_jmp_tb(s, eip_next(s), 0);
        break;
    case DISAS_EOB_NEXT:
        gen_update_cc_op(s);
        tcg_gen_movi_i64(cpu_rip, eip_next(s));
        gen_exit_dyn(s, true);
        break;
    case DISAS_EOB_ONLY:
        gen_exit_dyn(s, true);
        break;
    case DISAS_JUMP:
        gen_exit_dyn(s, false);
        break;
    default:
        break;
    }
    tb->size = s->pc - tb->pc;
    tb->icount = n;
}
