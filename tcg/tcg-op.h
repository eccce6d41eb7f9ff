/*
 * IR builders: what frontends call to emit TCG ops.  See tcg/tcg.h for the
 * usage sketch and docs/devel/tcg-ops.md for the meaning of each op.
 *
 * Naming: tcg_gen_<op>_<type>(dest, srcs...); the immediate forms
 * tcg_gen_<op>i_<type>(dest, src, imm) fold the trivial cases (add 0, mul
 * 1, and -1, shift 0, ...) into a move or nothing.  Shift and rotate
 * counts must be in [0, width); out-of-range counts give an unspecified
 * value (never a crash).  _ptr forms operate on host pointers.
 */
#ifndef TCG_TCG_OP_H
#define TCG_TCG_OP_H

#include "tcg/tcg.h"

struct TranslationBlock;

/* ---- control ---------------------------------------------------------- */

/*
 * Marks the start of a guest insn.  data0 is normally the guest pc; the
 * words (target-defined, up to 3) are handed back to
 * TCGCPUOps.restore_state_to_opc when a fault or helper needs the state at
 * this insn.
 */
void tcg_gen_insn_start(uint64_t data0, uint64_t data1, uint64_t data2);

void gen_set_label(TCGLabel *l);
void tcg_gen_br(TCGLabel *l);
void tcg_gen_brcond_i32(TCGCond cond, TCGv_i32 a, TCGv_i32 b, TCGLabel *l);
void tcg_gen_brcondi_i32(TCGCond cond, TCGv_i32 a, int32_t b, TCGLabel *l);
void tcg_gen_brcond_i64(TCGCond cond, TCGv_i64 a, TCGv_i64 b, TCGLabel *l);
void tcg_gen_brcondi_i64(TCGCond cond, TCGv_i64 a, int64_t b, TCGLabel *l);

/*
 * Chained direct jump slot n (0 or 1): must be followed by the code that
 * sets the guest pc and tcg_gen_exit_tb(tb, n).  accel/tcg patches the
 * jump to go straight to the next TB once it is known.  At most one
 * goto_tb per slot per TB.
 */
void tcg_gen_goto_tb(unsigned idx);
/*
 * Returns to cpu_exec.  tb == NULL: plain exit (idx must be 0).  With a
 * TB: idx is the goto_tb slot, so cpu_exec can chain it.
 */
void tcg_gen_exit_tb(const struct TranslationBlock *tb, unsigned idx);
/* Jumps to host code at ptr (from helper_lookup_tb_ptr, or the epilogue). */
void tcg_gen_goto_ptr(TCGv_ptr ptr);
/*
 * Looks up the TB for the current CPU state (guest pc already written to
 * env) and jumps to it without leaving generated code; returns to the
 * main loop if not yet translated or if an exit was requested.
 */
void tcg_gen_lookup_and_goto_ptr(void);

/* Memory barrier, TCG_MO_* | TCG_BAR_SC. */
void tcg_gen_mb(unsigned bar);

/* Tells the optimizer the value of t is no longer needed. */
void tcg_gen_discard_i32(TCGv_i32 t);
void tcg_gen_discard_i64(TCGv_i64 t);

/* ---- helper calls ----------------------------------------------------- */

/* ret may be NULL for a void helper.  args are TCGTemp pointers. */
void tcg_gen_callN(const TCGHelperInfo *info, TCGTemp *ret, unsigned nargs,
                   TCGTemp **args);
void tcg_gen_call0(const TCGHelperInfo *info, TCGTemp *ret);
void tcg_gen_call1(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1);
void tcg_gen_call2(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1,
                   TCGTemp *a2);
void tcg_gen_call3(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1,
                   TCGTemp *a2, TCGTemp *a3);
void tcg_gen_call4(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1,
                   TCGTemp *a2, TCGTemp *a3, TCGTemp *a4);
void tcg_gen_call5(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1,
                   TCGTemp *a2, TCGTemp *a3, TCGTemp *a4, TCGTemp *a5);
void tcg_gen_call6(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *a1,
                   TCGTemp *a2, TCGTemp *a3, TCGTemp *a4, TCGTemp *a5,
                   TCGTemp *a6);

/* ---- i32 -------------------------------------------------------------- */

void tcg_gen_mov_i32(TCGv_i32 d, TCGv_i32 a);
void tcg_gen_movi_i32(TCGv_i32 d, int32_t v);
void tcg_gen_add_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_addi_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_sub_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_subi_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_subfi_i32(TCGv_i32 d, int32_t a, TCGv_i32 b); /* d = a - b */
void tcg_gen_neg_i32(TCGv_i32 d, TCGv_i32 a);
void tcg_gen_mul_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_muli_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_and_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_andi_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_or_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_ori_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_xor_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_xori_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_andc_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b); /* a & ~b */
void tcg_gen_orc_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);  /* a | ~b */
void tcg_gen_eqv_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);  /* ~(a ^ b) */
void tcg_gen_nand_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_nor_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_not_i32(TCGv_i32 d, TCGv_i32 a);
void tcg_gen_shl_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_shli_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_shr_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_shri_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_sar_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_sari_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_rotl_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_rotli_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_rotr_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_rotri_i32(TCGv_i32 d, TCGv_i32 a, int32_t b);
/* Division: b == 0, or INT_MIN / -1 for signed, is undefined (host #DE). */
void tcg_gen_div_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_rem_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_divu_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_remu_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
/* q, r = (hi:lo) / b; quotient overflow is undefined (host #DE). */
void tcg_gen_div2_i32(TCGv_i32 q, TCGv_i32 r, TCGv_i32 lo, TCGv_i32 hi,
                      TCGv_i32 b);
void tcg_gen_divu2_i32(TCGv_i32 q, TCGv_i32 r, TCGv_i32 lo, TCGv_i32 hi,
                       TCGv_i32 b);
void tcg_gen_mulu2_i32(TCGv_i32 lo, TCGv_i32 hi, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_muls2_i32(TCGv_i32 lo, TCGv_i32 hi, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_add2_i32(TCGv_i32 dl, TCGv_i32 dh, TCGv_i32 al, TCGv_i32 ah,
                      TCGv_i32 bl, TCGv_i32 bh);
void tcg_gen_sub2_i32(TCGv_i32 dl, TCGv_i32 dh, TCGv_i32 al, TCGv_i32 ah,
                      TCGv_i32 bl, TCGv_i32 bh);
void tcg_gen_setcond_i32(TCGCond c, TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_setcondi_i32(TCGCond c, TCGv_i32 d, TCGv_i32 a, int32_t b);
void tcg_gen_negsetcond_i32(TCGCond c, TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
/* d = (c1 cond c2) ? v1 : v2 */
void tcg_gen_movcond_i32(TCGCond cond, TCGv_i32 d, TCGv_i32 c1, TCGv_i32 c2,
                         TCGv_i32 v1, TCGv_i32 v2);
void tcg_gen_ext8s_i32(TCGv_i32 d, TCGv_i32 a);
void tcg_gen_ext8u_i32(TCGv_i32 d, TCGv_i32 a);
void tcg_gen_ext16s_i32(TCGv_i32 d, TCGv_i32 a);
void tcg_gen_ext16u_i32(TCGv_i32 d, TCGv_i32 a);
/* d = (a >> pos) & ((1 << len) - 1), 0 < len, pos + len <= 32 */
void tcg_gen_extract_i32(TCGv_i32 d, TCGv_i32 a, unsigned pos, unsigned len);
void tcg_gen_sextract_i32(TCGv_i32 d, TCGv_i32 a, unsigned pos, unsigned len);
/* d = a with bits [pos, pos+len) replaced by the low len bits of b */
void tcg_gen_deposit_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b, unsigned pos,
                         unsigned len);
/* d = (hi:lo) >> pos, 0 <= pos <= 32 */
void tcg_gen_extract2_i32(TCGv_i32 d, TCGv_i32 lo, TCGv_i32 hi, unsigned pos);
void tcg_gen_bswap16_i32(TCGv_i32 d, TCGv_i32 a, int flags);
void tcg_gen_bswap32_i32(TCGv_i32 d, TCGv_i32 a);
/* d = a ? clz(a) : b */
void tcg_gen_clz_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_clzi_i32(TCGv_i32 d, TCGv_i32 a, uint32_t b);
void tcg_gen_ctz_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_ctzi_i32(TCGv_i32 d, TCGv_i32 a, uint32_t b);
void tcg_gen_ctpop_i32(TCGv_i32 d, TCGv_i32 a);
void tcg_gen_abs_i32(TCGv_i32 d, TCGv_i32 a);
void tcg_gen_smin_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_smax_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_umin_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_umax_i32(TCGv_i32 d, TCGv_i32 a, TCGv_i32 b);
/* host loads/stores relative to a pointer (normally tcg_env) */
void tcg_gen_ld8u_i32(TCGv_i32 d, TCGv_ptr base, intptr_t off);
void tcg_gen_ld8s_i32(TCGv_i32 d, TCGv_ptr base, intptr_t off);
void tcg_gen_ld16u_i32(TCGv_i32 d, TCGv_ptr base, intptr_t off);
void tcg_gen_ld16s_i32(TCGv_i32 d, TCGv_ptr base, intptr_t off);
void tcg_gen_ld_i32(TCGv_i32 d, TCGv_ptr base, intptr_t off);
void tcg_gen_st8_i32(TCGv_i32 v, TCGv_ptr base, intptr_t off);
void tcg_gen_st16_i32(TCGv_i32 v, TCGv_ptr base, intptr_t off);
void tcg_gen_st_i32(TCGv_i32 v, TCGv_ptr base, intptr_t off);

/* ---- i64 -------------------------------------------------------------- */

void tcg_gen_mov_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_movi_i64(TCGv_i64 d, int64_t v);
void tcg_gen_add_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_addi_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_sub_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_subi_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_subfi_i64(TCGv_i64 d, int64_t a, TCGv_i64 b);
void tcg_gen_neg_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_mul_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_muli_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_and_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_andi_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_or_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_ori_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_xor_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_xori_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_andc_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_orc_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_eqv_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_nand_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_nor_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_not_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_shl_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_shli_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_shr_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_shri_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_sar_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_sari_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_rotl_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_rotli_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_rotr_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_rotri_i64(TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_div_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_rem_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_divu_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_remu_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_div2_i64(TCGv_i64 q, TCGv_i64 r, TCGv_i64 lo, TCGv_i64 hi,
                      TCGv_i64 b);
void tcg_gen_divu2_i64(TCGv_i64 q, TCGv_i64 r, TCGv_i64 lo, TCGv_i64 hi,
                       TCGv_i64 b);
void tcg_gen_mulu2_i64(TCGv_i64 lo, TCGv_i64 hi, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_muls2_i64(TCGv_i64 lo, TCGv_i64 hi, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_add2_i64(TCGv_i64 dl, TCGv_i64 dh, TCGv_i64 al, TCGv_i64 ah,
                      TCGv_i64 bl, TCGv_i64 bh);
void tcg_gen_sub2_i64(TCGv_i64 dl, TCGv_i64 dh, TCGv_i64 al, TCGv_i64 ah,
                      TCGv_i64 bl, TCGv_i64 bh);
void tcg_gen_setcond_i64(TCGCond c, TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_setcondi_i64(TCGCond c, TCGv_i64 d, TCGv_i64 a, int64_t b);
void tcg_gen_negsetcond_i64(TCGCond c, TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_movcond_i64(TCGCond cond, TCGv_i64 d, TCGv_i64 c1, TCGv_i64 c2,
                         TCGv_i64 v1, TCGv_i64 v2);
void tcg_gen_ext8s_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_ext8u_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_ext16s_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_ext16u_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_ext32s_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_ext32u_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_extract_i64(TCGv_i64 d, TCGv_i64 a, unsigned pos, unsigned len);
void tcg_gen_sextract_i64(TCGv_i64 d, TCGv_i64 a, unsigned pos, unsigned len);
void tcg_gen_deposit_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b, unsigned pos,
                         unsigned len);
void tcg_gen_extract2_i64(TCGv_i64 d, TCGv_i64 lo, TCGv_i64 hi, unsigned pos);
void tcg_gen_bswap16_i64(TCGv_i64 d, TCGv_i64 a, int flags);
void tcg_gen_bswap32_i64(TCGv_i64 d, TCGv_i64 a, int flags);
void tcg_gen_bswap64_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_clz_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_clzi_i64(TCGv_i64 d, TCGv_i64 a, uint64_t b);
void tcg_gen_ctz_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_ctzi_i64(TCGv_i64 d, TCGv_i64 a, uint64_t b);
void tcg_gen_ctpop_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_abs_i64(TCGv_i64 d, TCGv_i64 a);
void tcg_gen_smin_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_smax_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_umin_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_umax_i64(TCGv_i64 d, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_ld8u_i64(TCGv_i64 d, TCGv_ptr base, intptr_t off);
void tcg_gen_ld8s_i64(TCGv_i64 d, TCGv_ptr base, intptr_t off);
void tcg_gen_ld16u_i64(TCGv_i64 d, TCGv_ptr base, intptr_t off);
void tcg_gen_ld16s_i64(TCGv_i64 d, TCGv_ptr base, intptr_t off);
void tcg_gen_ld32u_i64(TCGv_i64 d, TCGv_ptr base, intptr_t off);
void tcg_gen_ld32s_i64(TCGv_i64 d, TCGv_ptr base, intptr_t off);
void tcg_gen_ld_i64(TCGv_i64 d, TCGv_ptr base, intptr_t off);
void tcg_gen_st8_i64(TCGv_i64 v, TCGv_ptr base, intptr_t off);
void tcg_gen_st16_i64(TCGv_i64 v, TCGv_ptr base, intptr_t off);
void tcg_gen_st32_i64(TCGv_i64 v, TCGv_ptr base, intptr_t off);
void tcg_gen_st_i64(TCGv_i64 v, TCGv_ptr base, intptr_t off);

/* ---- conversions ------------------------------------------------------ */

void tcg_gen_extu_i32_i64(TCGv_i64 d, TCGv_i32 a);
void tcg_gen_ext_i32_i64(TCGv_i64 d, TCGv_i32 a);
void tcg_gen_extrl_i64_i32(TCGv_i32 d, TCGv_i64 a);
void tcg_gen_extrh_i64_i32(TCGv_i32 d, TCGv_i64 a);
/* d = (uint64_t)hi << 32 | lo */
void tcg_gen_concat_i32_i64(TCGv_i64 d, TCGv_i32 lo, TCGv_i32 hi);
void tcg_gen_extr_i64_i32(TCGv_i32 lo, TCGv_i32 hi, TCGv_i64 a);

/* ---- pointers --------------------------------------------------------- */

void tcg_gen_mov_ptr(TCGv_ptr d, TCGv_ptr a);
void tcg_gen_movi_ptr(TCGv_ptr d, intptr_t v);
void tcg_gen_add_ptr(TCGv_ptr d, TCGv_ptr a, TCGv_ptr b);
void tcg_gen_addi_ptr(TCGv_ptr d, TCGv_ptr a, intptr_t b);
void tcg_gen_ld_ptr(TCGv_ptr d, TCGv_ptr base, intptr_t off);
void tcg_gen_st_ptr(TCGv_ptr v, TCGv_ptr base, intptr_t off);
void tcg_gen_ext_i32_ptr(TCGv_ptr d, TCGv_i32 a);  /* sign-extend */
void tcg_gen_extu_i32_ptr(TCGv_ptr d, TCGv_i32 a); /* zero-extend */
/* Reinterpret an i64 temp as ptr and back (same register, no op). */
static inline TCGv_ptr tcgv_i64_as_ptr(TCGv_i64 v)
{
    return (TCGv_ptr)v;
}
static inline TCGv_i64 tcgv_ptr_as_i64(TCGv_ptr v)
{
    return (TCGv_i64)v;
}

/* ---- guest memory ----------------------------------------------------- */

/*
 * Guest loads and stores.  addr is a guest virtual address (i64; guests
 * with 32-bit addresses zero-extend it themselves).  memop gives size,
 * sign (loads) and endianness; the load result is extended to the temp's
 * width.  A fault raises the guest exception through the target
 * (linux-user: SIGSEGV handler + cpu_restore_state), with all globals
 * already written back.  mem_idx selects the MMU in system mode.
 */
void tcg_gen_qemu_ld_i32(TCGv_i32 val, TCGv_i64 addr, unsigned mem_idx,
                         MemOp memop);
void tcg_gen_qemu_st_i32(TCGv_i32 val, TCGv_i64 addr, unsigned mem_idx,
                         MemOp memop);
void tcg_gen_qemu_ld_i64(TCGv_i64 val, TCGv_i64 addr, unsigned mem_idx,
                         MemOp memop);
void tcg_gen_qemu_st_i64(TCGv_i64 val, TCGv_i64 addr, unsigned mem_idx,
                         MemOp memop);

/*
 * Atomic read-modify-write on guest memory (LOCK prefix, XCHG).  Each
 * returns the OLD memory value in ret (extended per memop), except the
 * *_fetch forms which return the NEW value.  Sequentially consistent.
 * Sizes MO_8 .. MO_64.  cmpxchg: if mem == cmpv then mem = newv; ret = old.
 */
void tcg_gen_atomic_cmpxchg_i32(TCGv_i32 ret, TCGv_i64 addr, TCGv_i32 cmpv,
                                TCGv_i32 newv, unsigned mem_idx, MemOp memop);
void tcg_gen_atomic_cmpxchg_i64(TCGv_i64 ret, TCGv_i64 addr, TCGv_i64 cmpv,
                                TCGv_i64 newv, unsigned mem_idx, MemOp memop);

typedef enum TCGAtomicOp {
    TCG_ATOMIC_XCHG,
    TCG_ATOMIC_FETCH_ADD,
    TCG_ATOMIC_FETCH_AND,
    TCG_ATOMIC_FETCH_OR,
    TCG_ATOMIC_FETCH_XOR,
    TCG_ATOMIC_ADD_FETCH,
    TCG_ATOMIC_AND_FETCH,
    TCG_ATOMIC_OR_FETCH,
    TCG_ATOMIC_XOR_FETCH,
    TCG_ATOMIC_NB,
} TCGAtomicOp;

void tcg_gen_atomic_op_i32(TCGAtomicOp aop, TCGv_i32 ret, TCGv_i64 addr,
                           TCGv_i32 val, unsigned mem_idx, MemOp memop);
void tcg_gen_atomic_op_i64(TCGAtomicOp aop, TCGv_i64 ret, TCGv_i64 addr,
                           TCGv_i64 val, unsigned mem_idx, MemOp memop);

#define TCG_ATOMIC_WRAPPERS(NAME, AOP)                                         \
    static inline void tcg_gen_atomic_##NAME##_i32(                            \
        TCGv_i32 r, TCGv_i64 a, TCGv_i32 v, unsigned idx, MemOp mo)            \
    {                                                                          \
        tcg_gen_atomic_op_i32(AOP, r, a, v, idx, mo);                          \
    }                                                                          \
    static inline void tcg_gen_atomic_##NAME##_i64(                            \
        TCGv_i64 r, TCGv_i64 a, TCGv_i64 v, unsigned idx, MemOp mo)            \
    {                                                                          \
        tcg_gen_atomic_op_i64(AOP, r, a, v, idx, mo);                          \
    }
TCG_ATOMIC_WRAPPERS(xchg, TCG_ATOMIC_XCHG)
TCG_ATOMIC_WRAPPERS(fetch_add, TCG_ATOMIC_FETCH_ADD)
TCG_ATOMIC_WRAPPERS(fetch_and, TCG_ATOMIC_FETCH_AND)
TCG_ATOMIC_WRAPPERS(fetch_or, TCG_ATOMIC_FETCH_OR)
TCG_ATOMIC_WRAPPERS(fetch_xor, TCG_ATOMIC_FETCH_XOR)
TCG_ATOMIC_WRAPPERS(add_fetch, TCG_ATOMIC_ADD_FETCH)
TCG_ATOMIC_WRAPPERS(and_fetch, TCG_ATOMIC_AND_FETCH)
TCG_ATOMIC_WRAPPERS(or_fetch, TCG_ATOMIC_OR_FETCH)
TCG_ATOMIC_WRAPPERS(xor_fetch, TCG_ATOMIC_XOR_FETCH)
#undef TCG_ATOMIC_WRAPPERS

#endif
