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
/*
 * #GP(0) at the current insn (state restored from the return address):
 * a legacy SSE m128 operand that is not 16-byte aligned.
 */
void helper_gp_misaligned(CPUX86State *env) __attribute__((noreturn));
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
DECL_HELPER(gp_misaligned);
DECL_HELPER(cmpxchg8b);
DECL_HELPER(crc32);
DECL_HELPER(pdep);
DECL_HELPER(pext);
DECL_HELPER(unimp);

/*
 * rep_string descriptor: bits 0-1 size (MO_8..MO_64), bits 4-7 op,
 * bit 8 REP/REPE, bit 9 REPNE, bit 10 32-bit addressing; system mode
 * only: bit 11 16-bit addressing, bit 12 legacy mode (the destination is
 * ES-relative, linear addresses wrap at 4 GiB), bit 13 a REP stops after
 * STR_BUDGET_COUNT elements (the translator re-executes it while work is
 * left, so interrupts are taken in between).
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
#define STR_A16          0x800
#define STR_L32          0x1000
#define STR_BUDGET       0x2000
#define STR_BUDGET_COUNT 4096

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
uint64_t helper_sse_scalar(CPUX86State *env, void *fn, uint64_t d, uint64_t s);
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
 * System-level helpers (SYSTEM.md).  They exist in both builds; in user
 * mode the translator does not call them (the few that a user program
 * could reach raise #GP or #UD).
 *
 * seg_helper.c: segments, descriptor tables, far transfers, IRET,
 * SYSCALL/SYSENTER, software interrupts, the I/O permission bitmap.
 */
void helper_load_seg(CPUX86State *env, uint32_t seg_reg, uint32_t selector);
void helper_lldt(CPUX86State *env, uint32_t sel);
void helper_ltr(CPUX86State *env, uint32_t sel);
void helper_lgdt(CPUX86State *env, uint64_t base, uint32_t limit);
void helper_lidt(CPUX86State *env, uint64_t base, uint32_t limit);
uint64_t helper_lar(CPUX86State *env, uint64_t sel);
uint64_t helper_lsl(CPUX86State *env, uint64_t sel);
void helper_verr(CPUX86State *env, uint64_t sel);
void helper_verw(CPUX86State *env, uint64_t sel);
void helper_ljmp_protected(CPUX86State *env, uint32_t new_cs, uint64_t new_eip,
                           uint32_t next_eip_addend);
void helper_lcall_real(CPUX86State *env, uint32_t new_cs, uint64_t new_eip,
                       uint32_t shift, uint32_t next_eip);
void helper_lcall_protected(CPUX86State *env, uint32_t new_cs, uint64_t new_eip,
                            uint32_t shift, uint32_t next_eip_addend);
void helper_iret_real(CPUX86State *env, uint32_t shift);
void helper_iret_protected(CPUX86State *env, uint32_t shift, uint32_t next_eip);
void helper_lret_protected(CPUX86State *env, uint32_t shift, uint32_t addend);
void helper_syscall(CPUX86State *env, uint32_t next_eip_addend);
/* dflag: the MemOp operand size (MO_32, or MO_64 for REX.W) */
void helper_sysret(CPUX86State *env, uint32_t dflag);
void helper_sysenter(CPUX86State *env);
void helper_sysexit(CPUX86State *env, uint32_t dflag);
void helper_swapgs(CPUX86State *env);
void helper_raise_interrupt(CPUX86State *env, uint32_t intno,
                            uint32_t next_eip_addend) __attribute__((noreturn));
void helper_raise_exception_err(CPUX86State *env, uint32_t excp,
                                uint32_t error_code) __attribute__((noreturn));
void helper_check_iob(CPUX86State *env, uint32_t port);
void helper_check_iow(CPUX86State *env, uint32_t port);
void helper_check_iol(CPUX86State *env, uint32_t port);
DECL_HELPER(load_seg);
DECL_HELPER(lldt);
DECL_HELPER(ltr);
DECL_HELPER(lgdt);
DECL_HELPER(lidt);
DECL_HELPER(lar);
DECL_HELPER(lsl);
DECL_HELPER(verr);
DECL_HELPER(verw);
DECL_HELPER(ljmp_protected);
DECL_HELPER(lcall_real);
DECL_HELPER(lcall_protected);
DECL_HELPER(iret_real);
DECL_HELPER(iret_protected);
DECL_HELPER(lret_protected);
DECL_HELPER(syscall);
DECL_HELPER(sysret);
DECL_HELPER(sysenter);
DECL_HELPER(sysexit);
DECL_HELPER(swapgs);
DECL_HELPER(raise_interrupt);
DECL_HELPER(raise_exception_err);
DECL_HELPER(check_iob);
DECL_HELPER(check_iow);
DECL_HELPER(check_iol);

/*
 * misc_helper.c: control/debug registers, MSRs, TLB maintenance, HLT,
 * port I/O, XSETBV, RDPMC, RDRAND.
 */
void helper_write_crN(CPUX86State *env, uint32_t reg, uint64_t val);
uint64_t helper_read_crN(CPUX86State *env, uint32_t reg);
void helper_lmsw(CPUX86State *env, uint64_t t0);
void helper_clts(CPUX86State *env);
void helper_set_dr(CPUX86State *env, uint32_t reg, uint64_t val);
uint64_t helper_get_dr(CPUX86State *env, uint32_t reg);
void helper_rdmsr(CPUX86State *env);
void helper_wrmsr(CPUX86State *env);
void helper_invlpg(CPUX86State *env, uint64_t addr);
void helper_hlt(CPUX86State *env, uint32_t next_eip_addend)
    __attribute__((noreturn));
void helper_pause(CPUX86State *env, uint32_t next_eip_addend);
void helper_monitor(CPUX86State *env, uint64_t ptr);
void helper_mwait(CPUX86State *env, uint32_t next_eip_addend);
uint32_t helper_inb(CPUX86State *env, uint32_t port);
uint32_t helper_inw(CPUX86State *env, uint32_t port);
uint32_t helper_inl(CPUX86State *env, uint32_t port);
void helper_outb(CPUX86State *env, uint32_t port, uint32_t data);
void helper_outw(CPUX86State *env, uint32_t port, uint32_t data);
void helper_outl(CPUX86State *env, uint32_t port, uint32_t data);
void helper_rdpmc(CPUX86State *env);
void helper_xsetbv(CPUX86State *env);
uint64_t helper_xgetbv(CPUX86State *env, uint32_t ecx);
void helper_rsm(CPUX86State *env);
void helper_wbinvd(CPUX86State *env);
void helper_invd(CPUX86State *env);
/* RDRAND/RDSEED: returns the value; CF=1 in cc_src (CC_OP_EFLAGS). */
uint64_t helper_rdrand(CPUX86State *env, uint32_t ot);
/* #DB after a single-stepped insn (TF): sets DR6.BS. */
void helper_single_step(CPUX86State *env) __attribute__((noreturn));
/*
 * Before each insn of a TB translated with HF_IBP: #DB (a fault, DR6.Bn
 * set) when an enabled instruction breakpoint is at the linear pc.
 */
void helper_ibp_check(CPUX86State *env, uint64_t pc);
DECL_HELPER(ibp_check);
DECL_HELPER(write_crN);
DECL_HELPER(read_crN);
DECL_HELPER(lmsw);
DECL_HELPER(clts);
DECL_HELPER(set_dr);
DECL_HELPER(get_dr);
DECL_HELPER(rdmsr);
DECL_HELPER(wrmsr);
DECL_HELPER(invlpg);
DECL_HELPER(hlt);
DECL_HELPER(pause);
DECL_HELPER(monitor);
DECL_HELPER(mwait);
DECL_HELPER(inb);
DECL_HELPER(inw);
DECL_HELPER(inl);
DECL_HELPER(outb);
DECL_HELPER(outw);
DECL_HELPER(outl);
DECL_HELPER(rdpmc);
DECL_HELPER(xsetbv);
DECL_HELPER(xgetbv);
DECL_HELPER(rsm);
DECL_HELPER(wbinvd);
DECL_HELPER(invd);
DECL_HELPER(rdrand);
DECL_HELPER(single_step);

/*
 * fpu_helper.c: one x87 insn through a host thunk.  desc: bits 0-7 the
 * memory operand size in bytes, bit 8 load, bit 9 store, bit 10 the insn
 * sets EFLAGS (FCOMI), bit 11 it reads EFLAGS (FCMOV), bit 12 it is a
 * no-wait insn (FNSTSW, FNSTCW, FNSTENV, FNSAVE, FNCLEX, FNINIT, FENI,
 * FDISI, FSETPM: a pending unmasked exception does not stop it).
 */
#define X87_LOAD     0x100
#define X87_STORE    0x200
#define X87_SETFLAGS 0x400
#define X87_GETFLAGS 0x800
#define X87_NOWAIT   0x1000
void helper_x87(CPUX86State *env, void *fn, uint64_t addr, uint32_t desc);
DECL_HELPER(x87);

#endif
