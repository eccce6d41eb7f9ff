/*
 * target/x86 private: what the system-level helpers share (exceptions,
 * descriptor access, the page walker, the TSC).  Not for other modules.
 */
#ifndef TARGET_X86_SYS_INTERNAL_H
#define TARGET_X86_SYS_INTERNAL_H

#include "accel/tcg/cpu-ldst.h"
#include "target/x86/cpu.h"

static inline int x86_cpl(CPUX86State *env)
{
    return env->hflags & HF_CPL_MASK;
}

/*
 * Raises exception excp (with an error code for the vectors that have
 * one) at the insn containing host return address ra (0: env->rip is
 * already exact).  A fault while another exception is being delivered
 * becomes #DF, a fault while delivering #DF a triple fault (SDM vol. 3A
 * 6.15, table 6-5).
 */
void x86_raise_exception_err_ra(CPUX86State *env, int excp, int error_code,
                                uintptr_t ra) __attribute__((noreturn));
static inline void __attribute__((noreturn))
x86_raise_exception_ra(CPUX86State *env, int excp, uintptr_t ra)
{
    x86_raise_exception_err_ra(env, excp, 0, ra);
}
/*
 * The hflags that follow CR0 (PE, MP, EM, TS, PG), EFER.LMA and CR4
 * (OSFXSR, SMAP, OSXSAVE, UMIP, FSGSBASE, TSD): x86_cr_hflags returns
 * them for env's current registers.
 */
#define HF_CR_MASK                                                             \
    (HF_PE_MASK | HF_MP_MASK | HF_EM_MASK | HF_TS_MASK | HF_PG_MASK |          \
     HF_LMA_MASK | HF_OSFXSR_MASK | HF_SMAP_MASK | HF_OSXSAVE_MASK |           \
     HF_UMIP_MASK | HF_FSGSBASE_MASK | HF_TSD_MASK)
uint32_t x86_cr_hflags(const CPUX86State *env);

/* Software interrupt INT n / INT3 / INTO / INT1 (next_eip = return rip). */
void x86_raise_interrupt2(CPUX86State *env, int intno, int is_int,
                          int error_code, int next_eip_addend, uintptr_t ra)
    __attribute__((noreturn));

/* ---- system mode only ------------------------------------------------- */
#ifdef CONFIG_SOFTMMU
#include "accel/tcg/cputlb.h"

/*
 * Supervisor accesses to descriptor tables, TSS and interrupt stacks:
 * size bytes (1, 2, 4 or 8) at linear address a, zero-extended.
 */
static inline uint64_t x86_ld_kernel(CPUX86State *env, uint64_t a, int size,
                                     uintptr_t ra)
{
    int idx = x86_mmu_index_kernel(env);

    switch (size) {
    case 1:
        return cpu_ldub_mmuidx_ra(env, a, idx, ra);
    case 2:
        return cpu_lduw_mmuidx_ra(env, a, idx, ra);
    case 4:
        return cpu_ldl_mmuidx_ra(env, a, idx, ra);
    default:
        return cpu_ldq_mmuidx_ra(env, a, idx, ra);
    }
}

static inline void x86_st_kernel(CPUX86State *env, uint64_t a, int size,
                                 uint64_t v, uintptr_t ra)
{
    int idx = x86_mmu_index_kernel(env);

    switch (size) {
    case 1:
        cpu_stb_mmuidx_ra(env, a, v, idx, ra);
        break;
    case 2:
        cpu_stw_mmuidx_ra(env, a, v, idx, ra);
        break;
    case 4:
        cpu_stl_mmuidx_ra(env, a, v, idx, ra);
        break;
    default:
        cpu_stq_mmuidx_ra(env, a, v, idx, ra);
        break;
    }
}

/* ---- descriptors (SDM vol. 3A 3.4.5) ---- */

static inline uint32_t desc_limit(uint32_t e1, uint32_t e2)
{
    uint32_t limit = (e1 & 0xffff) | (e2 & 0x000f0000);

    if (e2 & DESC_G_MASK) {
        limit = (limit << 12) | 0xfff;
    }
    return limit;
}

static inline uint32_t desc_base(uint32_t e1, uint32_t e2)
{
    return (e1 >> 16) | ((e2 & 0xff) << 16) | (e2 & 0xff000000);
}

/* The cached flags of a descriptor: bits 8..15 and 20..23 of e2. */
static inline uint32_t desc_flags(uint32_t e2)
{
    return e2 & 0x00f0ff00;
}

static inline int desc_dpl(uint32_t e2)
{
    return (e2 >> DESC_DPL_SHIFT) & 3;
}

/*
 * Reads the 8-byte descriptor of selector from the GDT or LDT.  Returns
 * false if it lies beyond the table's limit.  *ptr gets its address.
 */
static inline bool x86_load_descriptor(CPUX86State *env, uint32_t selector,
                                       uint32_t *e1, uint32_t *e2,
                                       uint64_t *ptr, uintptr_t ra)
{
    SegmentCache *dt = (selector & 4) ? &env->ldt : &env->gdt;
    uint32_t index = selector & ~7u;

    if ((uint64_t)index + 7 > dt->limit) {
        return false;
    }
    *ptr = dt->base + index;
    *e1 = x86_ld_kernel(env, *ptr, 4, ra);
    *e2 = x86_ld_kernel(env, *ptr + 4, 4, ra);
    return true;
}

/* ---- stacks of a privilege change (seg_helper.c) ---- */

/*
 * The inner stack for privilege level dpl from the 32/16-bit TSS
 * (SS:ESP).  Raises #TS(TR) if the TSS is not present or too short.
 */
void x86_tss_stack(CPUX86State *env, int dpl, uint32_t *ss, uint32_t *esp,
                   uintptr_t ra);
/* RSPn (ist = 0, n = dpl) or ISTn of the 64-bit TSS.  Raises #TS(TR). */
uint64_t x86_tss64_stack(CPUX86State *env, int dpl, int ist, uintptr_t ra);
/*
 * Checks the SS selector of a stack switch to privilege dpl (from the
 * TSS or popped by RET/IRET); exc is #TS for TSS stacks, #GP for
 * returns; not present is #SS.  Returns the descriptor in e1, e2 and its
 * address in ptr.
 */
void x86_check_new_ss(CPUX86State *env, uint32_t ss, int dpl, int exc,
                      uint32_t *e1, uint32_t *e2, uint64_t *ptr, uintptr_t ra);

/*
 * Loads the descriptor (e1, e2 at ptr) of the code segment sel that a
 * call gate (jmp: reached by JMP) or an interrupt/trap gate points to,
 * and checks it (SDM vol. 2 CALL, JMP; vol. 3A 6.12.1): not null, else
 * #GP(0); a code segment, 64-bit in IA-32e mode, DPL <= CPL (JMP: DPL =
 * CPL unless conforming), else #GP(sel); present, else #NP(sel).
 * Returns its DPL.
 */
int x86_load_gate_cs(CPUX86State *env, uint32_t sel, bool jmp, uint32_t *e1,
                     uint32_t *e2, uint64_t *ptr, uintptr_t ra);

/* ---- task switches (task_helper.c) ---- */
enum {
    X86_TASK_JMP,  /* JMP to a TSS or task gate: old TSS not busy */
    X86_TASK_CALL, /* CALL: nested (NT, back link) */
    X86_TASK_INT,  /* interrupt/exception through a task gate: nested */
    X86_TASK_IRET, /* IRET with NT: back to the linked task */
};
/*
 * Switches to the task whose TSS descriptor (e1, e2) selector names
 * (SDM vol. 3A 7.3).  next_eip is the EIP saved in the old task.  Raises
 * #TS/#NP/#GP as the SDM lists; after the state of the new task is
 * loaded, faults happen in the new task.
 */
void x86_task_switch(CPUX86State *env, uint32_t selector, uint32_t e1,
                     uint32_t e2, int source, uint64_t next_eip, uintptr_t ra);

/* Delivers env's pending exception/interrupt through the IVT/IDT. */
void x86_cpu_do_interrupt(CPUState *cs);
bool x86_cpu_exec_interrupt(CPUState *cs, int interrupt_request);
bool x86_cpu_has_work(CPUState *cs);
/*
 * Delivers vector intno now (is_int: software INT, error code valid for
 * exceptions that push one, next_eip for INT n / traps).
 */
void x86_do_interrupt_all(CPUX86State *env, int intno, int is_int,
                          int error_code, uint64_t next_eip, int is_hw);

/* mmu_helper.c */
bool x86_cpu_tlb_fill(CPUState *cs, uint64_t addr, int size,
                      MMUAccessType access_type, int mmu_idx, bool probe,
                      uintptr_t retaddr);

/*
 * The page walk itself: translates addr for access_type at mmu_idx with
 * the current CR0/CR3/CR4/EFER.  Returns true with *paddr, *prot
 * (PAGE_READ|WRITE|EXEC, and PAGE_GLOBAL for a global page: G in the
 * leaf entry with CR4.PGE) and *page_size, or false with the #PF error
 * code in *error_code.  Sets accessed/dirty bits when set_ad.
 */
bool x86_page_walk(CPUX86State *env, uint64_t addr, MMUAccessType access_type,
                   int mmu_idx, bool set_ad, uint64_t *paddr, int *prot,
                   uint64_t *page_size, int *error_code);

/* misc_helper.c */
uint64_t cpu_x86_get_tsc(CPUX86State *env);
void x86_cpu_tlb_flush_all(CPUX86State *env);
#endif

#endif
