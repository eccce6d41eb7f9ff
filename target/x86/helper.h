/*
 * x86 helpers called from generated code.  Each helper has a C prototype
 * here and a TCGHelperInfo (helper_info_<name>) next to its definition,
 * made with DEF_HELPER_INFO.  Naming: helper_<name>.
 */
#ifndef TARGET_X86_HELPER_H
#define TARGET_X86_HELPER_H

#include "target/x86/cpu.h"
#include "tcg/tcg.h"

#define DEF_HELPER_INFO(NAME, FLAGS, RET, N, ...)                              \
    const TCGHelperInfo helper_info_##NAME = {                                 \
        .func = (void *)helper_##NAME,                                         \
        .name = #NAME,                                                         \
        .flags = (FLAGS),                                                      \
        .ret = (RET),                                                          \
        .nargs = (N),                                                          \
        .args = {__VA_ARGS__},                                                 \
    }
#define HI_VOID TCG_CALL_VOID
#define HI_I32  TCG_CALL_I32
#define HI_I64  TCG_CALL_I64
#define HI_PTR  TCG_CALL_PTR

#define DECL_HELPER(NAME) extern const TCGHelperInfo helper_info_##NAME

/* translate.c */
void x86_translate_code(CPUState *cs, TranslationBlock *tb, int max_insns);

/* cc_helper.c */
uint64_t helper_cc_compute_all(uint64_t dst, uint64_t src, uint64_t src2,
                               uint32_t op);
uint64_t helper_cc_compute_c(uint64_t dst, uint64_t src, uint64_t src2,
                             uint32_t op);
DECL_HELPER(cc_compute_all);
DECL_HELPER(cc_compute_c);

/* int_helper.c */
void helper_raise_exception(CPUX86State *env, uint32_t excp)
    __attribute__((noreturn));
void helper_div(CPUX86State *env, uint64_t src, uint32_t ot);
void helper_idiv(CPUX86State *env, uint64_t src, uint32_t ot);
void helper_cpuid(CPUX86State *env);
void helper_rdtsc(CPUX86State *env);
void helper_rdtscp(CPUX86State *env);
uint64_t helper_rotc(CPUX86State *env, uint64_t val, uint32_t count,
                     uint32_t ot_right);
void helper_rep_string(CPUX86State *env, uint32_t desc, uint64_t seg);
void helper_fxsave(CPUX86State *env, uint64_t addr);
void helper_fxrstor(CPUX86State *env, uint64_t addr);
void helper_xsave(CPUX86State *env, uint64_t addr, uint64_t rfbm);
void helper_xrstor(CPUX86State *env, uint64_t addr, uint64_t rfbm);
void helper_cmpxchg16b(CPUX86State *env, uint64_t addr);
void helper_cmpxchg8b(CPUX86State *env, uint64_t addr);
uint64_t helper_crc32(uint64_t crc, uint64_t val, uint32_t bytes);
uint64_t helper_pdep(uint64_t src, uint64_t mask);
uint64_t helper_pext(uint64_t src, uint64_t mask);
void helper_unimp(CPUX86State *env, uint64_t pc, uint32_t len);
DECL_HELPER(raise_exception);
DECL_HELPER(div);
DECL_HELPER(idiv);
DECL_HELPER(cpuid);
DECL_HELPER(rdtsc);
DECL_HELPER(rdtscp);
DECL_HELPER(rotc);
DECL_HELPER(rep_string);
DECL_HELPER(fxsave);
DECL_HELPER(fxrstor);
DECL_HELPER(xsave);
DECL_HELPER(xrstor);
DECL_HELPER(cmpxchg16b);
DECL_HELPER(cmpxchg8b);
DECL_HELPER(crc32);
DECL_HELPER(pdep);
DECL_HELPER(pext);
DECL_HELPER(unimp);

/*
 * rep_string descriptor: bits 0-1 size (MO_8..MO_64), bits 4-7 op,
 * bit 8 REP/REPE, bit 9 REPNE, bit 10 32-bit addressing.
 */
enum {
    STR_MOVS = 0,
    STR_STOS = 1,
    STR_LODS = 2,
    STR_CMPS = 3,
    STR_SCAS = 4,
};
#define STR_DESC(ot, op, rep, repne, a32)                                      \
    ((ot) | ((op) << 4) | ((rep) ? 0x100 : 0) | ((repne) ? 0x200 : 0) |        \
     ((a32) ? 0x400 : 0))

/* sse_helper.c: run host thunks (host-thunk.h) on XMM registers. */
void helper_sse_call(CPUX86State *env, void *fn, void *d, void *s);
void helper_sse_blendv(CPUX86State *env, void *fn, void *d, void *s);
uint64_t helper_sse_to_gpr(CPUX86State *env, void *fn, void *s);
void helper_sse_from_gpr(CPUX86State *env, void *fn, void *d, uint64_t v);
uint64_t helper_sse_flags(CPUX86State *env, void *fn, void *d, void *s);
void helper_sse_pcmpstr(CPUX86State *env, void *fn, void *d, void *s,
                        uint32_t mask_form);
void helper_ldmxcsr(CPUX86State *env, uint32_t val);
uint32_t helper_stmxcsr(CPUX86State *env);
void helper_sse_call_s64(CPUX86State *env, void *fn, void *d, void *s);
DECL_HELPER(stmxcsr);
DECL_HELPER(sse_call_s64);
uint64_t helper_sse_scalar(CPUX86State *env, void *fn, uint64_t d,
                           uint64_t s);
DECL_HELPER(sse_scalar);
void helper_mmx_call(CPUX86State *env, void *fn, void *d, void *s);
void helper_mmx_from_gpr(CPUX86State *env, void *fn, void *d, uint64_t v);
uint64_t helper_mmx_to_gpr(CPUX86State *env, void *fn, void *s);
DECL_HELPER(mmx_call);
void helper_mmx_call_x(CPUX86State *env, void *fn, void *d, void *s);
DECL_HELPER(mmx_call_x);
void helper_maskmov(CPUX86State *env, void *data, void *mask, uint64_t addr,
                    uint32_t len);
DECL_HELPER(maskmov);
DECL_HELPER(mmx_from_gpr);
DECL_HELPER(mmx_to_gpr);
DECL_HELPER(sse_call);
DECL_HELPER(sse_blendv);
DECL_HELPER(sse_to_gpr);
DECL_HELPER(sse_from_gpr);
DECL_HELPER(sse_flags);
DECL_HELPER(sse_pcmpstr);
DECL_HELPER(ldmxcsr);

/*
 * fpu_helper.c: one x87 insn through a host thunk.  desc: bits 0-7 the
 * memory operand size in bytes, bit 8 load, bit 9 store, bit 10 the insn
 * sets EFLAGS (FCOMI), bit 11 it reads EFLAGS (FCMOV).
 */
#define X87_LOAD     0x100
#define X87_STORE    0x200
#define X87_SETFLAGS 0x400
#define X87_GETFLAGS 0x800
void helper_x87(CPUX86State *env, void *fn, uint64_t addr, uint32_t desc);
DECL_HELPER(x87);

#endif
