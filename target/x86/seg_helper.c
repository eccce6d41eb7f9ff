/*
 * Segmentation and protection helpers: segment register loads through
 * the GDT/LDT, LLDT/LTR/LGDT/LIDT, LAR/LSL/VERR/VERW, far JMP/CALL/RET
 * (with call gates), IRET, SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS and
 * the TSS I/O permission bitmap.
 *
 * Follows the Intel SDM vol. 3A ch. 3 (protected-mode memory
 * management), ch. 5 (protection: privilege checks for data and code
 * segments, call gates), ch. 7 (task management: TSS layout) and the
 * instruction pages of vol. 2 (MOV Sreg, JMP, CALL, RET, IRET, SYSCALL,
 * SYSRET, SYSENTER, SYSEXIT, LAR, LSL).
 *
 * Conventions: every descriptor-table read is an implicit supervisor
 * access (x86_mmu_index_kernel).  Faults are raised with the helper's
 * GETPC() so the guest state is that of the faulting instruction.  State
 * is committed only after every memory access of the instruction
 * succeeded, so a fault in the middle leaves the registers unchanged.
 */
#include <string.h>

#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "target/x86/sys-internal.h"
#include "util/log.h"

/* ---- hflags ----------------------------------------------------------- */

void cpu_x86_load_seg_cache(CPUX86State *env, int seg, uint32_t selector,
                            uint64_t base, uint32_t limit, uint32_t flags)
{
    SegmentCache *sc = &env->segs[seg];
    uint32_t hf = env->hflags;

    sc->selector = selector;
    sc->base = base;
    sc->limit = limit;
    sc->flags = flags;

    if (seg == R_CS) {
        hf &= ~(HF_CS32_MASK | HF_CS64_MASK);
        if ((hf & HF_LMA_MASK) && (flags & DESC_L_MASK)) {
            /* 64-bit code: CS32/SS32 are set too (QEMU-compatible). */
            hf |= HF_CS32_MASK | HF_SS32_MASK | HF_CS64_MASK;
        } else if (flags & DESC_B_MASK) {
            hf |= HF_CS32_MASK;
        }
    }
    if (seg == R_SS) {
        if (!(hf & HF_CS64_MASK)) {
            hf = (flags & DESC_B_MASK) ? hf | HF_SS32_MASK : hf & ~HF_SS32_MASK;
        }
        /* In protected mode the CPL is SS.DPL (= CS.RPL). */
        if ((env->cr[0] & CR0_PE_MASK) && !(env->eflags & VM_MASK)) {
            hf = (hf & ~HF_CPL_MASK) | ((flags >> DESC_DPL_SHIFT) & 3);
        }
    }
    /* ADDSEG: whether DS/ES/SS bases must be added (SYSTEM.md). */
    hf &= ~HF_ADDSEG_MASK;
    if (hf & HF_CS64_MASK) {
        /* 64-bit code: DS/ES/SS bases are ignored */
    } else if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK) ||
               !(hf & HF_CS32_MASK)) {
        hf |= HF_ADDSEG_MASK;
    } else if (env->segs[R_DS].base | env->segs[R_ES].base |
               env->segs[R_SS].base) {
        hf |= HF_ADDSEG_MASK;
    }
    env->hflags = hf;
}

/* CR4 bits that have an hflag of their own. */
static const struct {
    uint64_t cr4;
    uint32_t hf;
} cr4_hflags[] = {
    {CR4_OSFXSR_MASK, HF_OSFXSR_MASK},     {CR4_SMAP_MASK, HF_SMAP_MASK},
    {CR4_OSXSAVE_MASK, HF_OSXSAVE_MASK},   {CR4_UMIP_MASK, HF_UMIP_MASK},
    {CR4_FSGSBASE_MASK, HF_FSGSBASE_MASK}, {CR4_TSD_MASK, HF_TSD_MASK},
};

uint32_t x86_cr_hflags(const CPUX86State *env)
{
    uint64_t cr0 = env->cr[0], cr4 = env->cr[4];
    uint32_t hf = ((cr0 >> 1) & 7) << HF_MP_SHIFT; /* MP, EM, TS */

    if (cr0 & CR0_PE_MASK) {
        hf |= HF_PE_MASK;
    }
    if (cr0 & CR0_PG_MASK) {
        hf |= HF_PG_MASK;
    }
    if (env->efer & MSR_EFER_LMA) {
        hf |= HF_LMA_MASK;
    }
    for (size_t i = 0; i < sizeof(cr4_hflags) / sizeof(cr4_hflags[0]); i++) {
        if (cr4 & cr4_hflags[i].cr4) {
            hf |= cr4_hflags[i].hf;
        }
    }
    return hf;
}

void x86_update_hflags(CPUX86State *env)
{
    uint32_t hf = env->hflags & (HF_INHIBIT_IRQ_MASK | HF_SMM_MASK);
    uint64_t cr0 = env->cr[0];

    if (!(cr0 & CR0_PE_MASK)) {
        /* real mode: CPL 0 */
    } else if (env->eflags & VM_MASK) {
        hf |= 3;
    } else {
        hf |= (env->segs[R_SS].flags >> DESC_DPL_SHIFT) & 3;
    }
    hf |= x86_cr_hflags(env);
    env->hflags = hf;
    /* CS then SS recompute CS32/CS64/SS32/ADDSEG (CPL from SS.DPL). */
    cpu_x86_load_seg_cache(env, R_CS, env->segs[R_CS].selector,
                           env->segs[R_CS].base, env->segs[R_CS].limit,
                           env->segs[R_CS].flags);
    cpu_x86_load_seg_cache(env, R_SS, env->segs[R_SS].selector,
                           env->segs[R_SS].base, env->segs[R_SS].limit,
                           env->segs[R_SS].flags);
    if (!(cr0 & CR0_PE_MASK)) {
        env->hflags &= ~HF_CPL_MASK;
    } else if (env->eflags & VM_MASK) {
        env->hflags |= 3;
    }
}

#ifdef CONFIG_SOFTMMU

/* ---- descriptors -------------------------------------------------------- */

/* Sets the accessed bit of a code/data descriptor if clear. */
static void set_accessed(CPUX86State *env, uint64_t ptr, uint32_t *e2,
                         uintptr_t ra)
{
    if (!(*e2 & DESC_A_MASK)) {
        *e2 |= DESC_A_MASK;
        x86_st_kernel(env, ptr + 4, 4, *e2, ra);
    }
}

static void load_seg_desc(CPUX86State *env, int seg, uint32_t selector,
                          uint32_t e1, uint32_t e2)
{
    cpu_x86_load_seg_cache(env, seg, selector, desc_base(e1, e2),
                           desc_limit(e1, e2), desc_flags(e2));
}

/* A segment register in vm86 mode: base = selector << 4, 64K, ring 3. */
static void load_seg_vm86(CPUX86State *env, int seg, uint32_t selector)
{
    selector &= 0xffff;
    cpu_x86_load_seg_cache(env, seg, selector, (uint64_t)selector << 4, 0xffff,
                           DESC_P_MASK | DESC_S_MASK | DESC_W_MASK |
                               DESC_A_MASK | (3 << DESC_DPL_SHIFT));
}

/* The stack pointer mask for SS's B bit. */
static inline uint32_t sp_mask_of(uint32_t ss_flags)
{
    return (ss_flags & DESC_B_MASK) ? 0xffffffff : 0xffff;
}

/* Sets ESP/RSP under a stack mask (16-bit stacks keep the high bits). */
static inline void set_esp(CPUX86State *env, uint64_t val, uint64_t mask)
{
    if (mask == 0xffff) {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (val & 0xffff);
    } else if (mask == 0xffffffff) {
        env->regs[R_ESP] = (uint32_t)val;
    } else {
        env->regs[R_ESP] = val;
    }
}

/*
 * A stack in the middle of an instruction: pushes and pops go to
 * base + (sp & mask) (linear addresses wrap at 4 GiB outside 64-bit
 * mode); sp is committed by the caller.
 */
typedef struct X86Stack {
    CPUX86State *env;
    uint64_t base;
    uint64_t sp;
    uint64_t mask; /* 0xffff, 0xffffffff or ~0 (64-bit) */
    int mmu_idx;
    uintptr_t ra;
} X86Stack;

static inline uint64_t stack_addr(X86Stack *st)
{
    uint64_t a = st->base + (st->sp & st->mask);

    return st->mask == ~0ull ? a : (uint32_t)a;
}

static void stack_push(X86Stack *st, int size, uint64_t v)
{
    st->sp -= size;
    switch (size) {
    case 2:
        cpu_stw_mmuidx_ra(st->env, stack_addr(st), v, st->mmu_idx, st->ra);
        break;
    case 4:
        cpu_stl_mmuidx_ra(st->env, stack_addr(st), v, st->mmu_idx, st->ra);
        break;
    default:
        cpu_stq_mmuidx_ra(st->env, stack_addr(st), v, st->mmu_idx, st->ra);
        break;
    }
}

static uint64_t stack_pop(X86Stack *st, int size)
{
    uint64_t v;

    switch (size) {
    case 2:
        v = cpu_lduw_mmuidx_ra(st->env, stack_addr(st), st->mmu_idx, st->ra);
        break;
    case 4:
        v = cpu_ldl_mmuidx_ra(st->env, stack_addr(st), st->mmu_idx, st->ra);
        break;
    default:
        v = cpu_ldq_mmuidx_ra(st->env, stack_addr(st), st->mmu_idx, st->ra);
        break;
    }
    st->sp += size;
    return v;
}

/* The data mmu index at privilege level pl. */
static inline int mmu_index_pl(CPUX86State *env, int pl)
{
    return pl == 3 ? MMU_USER_IDX : x86_mmu_index_kernel(env);
}

static void stack_init(X86Stack *st, CPUX86State *env, int pl, uintptr_t ra)
{
    st->env = env;
    st->base = env->segs[R_SS].base;
    st->sp = env->regs[R_ESP];
    st->mask = (env->hflags & HF_CS64_MASK) ? ~0ull
                                            : sp_mask_of(env->segs[R_SS].flags);
    if (st->mask == ~0ull) {
        st->base = 0;
    }
    st->mmu_idx = mmu_index_pl(env, pl);
    st->ra = ra;
}

/* ---- segment loads ------------------------------------------------------ */

void helper_load_seg(CPUX86State *env, uint32_t seg_reg, uint32_t selector)
{
    uintptr_t ra = GETPC();
    int cpl = x86_cpl(env);
    uint32_t e1, e2;
    uint64_t ptr;
    int rpl, dpl;

    selector &= 0xffff;
    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK)) {
        /* real mode / vm86 (the translator normally inlines these) */
        env->segs[seg_reg].selector = selector;
        env->segs[seg_reg].base = (uint64_t)selector << 4;
        cpu_x86_load_seg_cache(env, seg_reg, selector, selector << 4,
                               env->segs[seg_reg].limit,
                               env->segs[seg_reg].flags);
        return;
    }
    if ((selector & 0xfffc) == 0) {
        /* null selector: allowed except for SS (64-bit mode: CPL < 3) */
        if (seg_reg == R_SS) {
            if (!(env->hflags & HF_CS64_MASK) || cpl == 3 ||
                (int)(selector & 3) != cpl) {
                x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
            }
            cpu_x86_load_seg_cache(env, R_SS, selector, 0, 0,
                                   (uint32_t)cpl << DESC_DPL_SHIFT |
                                       DESC_S_MASK | DESC_W_MASK | DESC_A_MASK);
        } else {
            cpu_x86_load_seg_cache(env, seg_reg, selector, 0, 0, 0);
        }
        return;
    }
    if (!x86_load_descriptor(env, selector, &e1, &e2, &ptr, ra)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, selector & 0xfffc, ra);
    }
    if (!(e2 & DESC_S_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, selector & 0xfffc, ra);
    }
    rpl = selector & 3;
    dpl = desc_dpl(e2);
    if (seg_reg == R_SS) {
        /* a writable data segment at exactly CPL */
        if ((e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK) || rpl != cpl ||
            dpl != cpl) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, selector & 0xfffc, ra);
        }
    } else {
        /* data or readable code */
        if ((e2 & (DESC_CS_MASK | DESC_R_MASK)) == DESC_CS_MASK) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, selector & 0xfffc, ra);
        }
        if (!(e2 & DESC_CS_MASK) || !(e2 & DESC_C_MASK)) {
            /* data or non-conforming code: DPL >= max(CPL, RPL) */
            if (dpl < cpl || dpl < rpl) {
                x86_raise_exception_err_ra(env, EXCP0D_GPF, selector & 0xfffc,
                                           ra);
            }
        }
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(
            env, seg_reg == R_SS ? EXCP0C_STACK : EXCP0B_NOSEG,
            selector & 0xfffc, ra);
    }
    set_accessed(env, ptr, &e2, ra);
    load_seg_desc(env, seg_reg, selector, e1, e2);
}
DEF_HELPER_INFO(load_seg, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);

/*
 * Loads a system descriptor (LDT or TSS) from the GDT for LLDT/LTR:
 * 16 bytes in long mode.  Returns the base (with bits 63:32).
 */
static uint64_t load_system_desc(CPUX86State *env, uint32_t selector,
                                 uint32_t *e1, uint32_t *e2, uint64_t *ptr,
                                 uintptr_t ra)
{
    int entry_limit = (env->hflags & HF_LMA_MASK) ? 15 : 7;
    uint32_t index = selector & ~7u;
    uint64_t base;

    if (selector & 4) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, selector & 0xfffc, ra);
    }
    if ((uint64_t)index + entry_limit > env->gdt.limit) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, selector & 0xfffc, ra);
    }
    *ptr = env->gdt.base + index;
    *e1 = x86_ld_kernel(env, *ptr, 4, ra);
    *e2 = x86_ld_kernel(env, *ptr + 4, 4, ra);
    base = desc_base(*e1, *e2);
    if (env->hflags & HF_LMA_MASK) {
        uint32_t e3 = x86_ld_kernel(env, *ptr + 8, 4, ra);
        uint32_t e4 = x86_ld_kernel(env, *ptr + 12, 4, ra);

        if ((e4 >> DESC_TYPE_SHIFT) & 0x1f) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, selector & 0xfffc, ra);
        }
        base |= (uint64_t)e3 << 32;
    }
    return base;
}

void helper_lldt(CPUX86State *env, uint32_t selector)
{
    uintptr_t ra = GETPC();
    uint32_t e1, e2;
    uint64_t ptr, base;

    selector &= 0xffff;
    if ((selector & 0xfffc) == 0) {
        env->ldt.selector = selector;
        env->ldt.base = 0;
        env->ldt.limit = 0;
        env->ldt.flags = 0;
        return;
    }
    base = load_system_desc(env, selector, &e1, &e2, &ptr, ra);
    if ((e2 & DESC_S_MASK) || ((e2 >> DESC_TYPE_SHIFT) & 0xf) != DESC_LDT) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, selector & 0xfffc, ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, selector & 0xfffc, ra);
    }
    env->ldt.selector = selector;
    env->ldt.base = base;
    env->ldt.limit = desc_limit(e1, e2);
    env->ldt.flags = desc_flags(e2);
}
DEF_HELPER_INFO(lldt, 0, HI_VOID, 2, HI_PTR, HI_I32);

void helper_ltr(CPUX86State *env, uint32_t selector)
{
    uintptr_t ra = GETPC();
    uint32_t e1, e2, type;
    uint64_t ptr, base;

    selector &= 0xffff;
    if ((selector & 0xfffc) == 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    base = load_system_desc(env, selector, &e1, &e2, &ptr, ra);
    type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    if ((e2 & DESC_S_MASK) ||
        (type != DESC_TSS32_AVAIL &&
         (type != DESC_TSS16_AVAIL || (env->hflags & HF_LMA_MASK)))) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, selector & 0xfffc, ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, selector & 0xfffc, ra);
    }
    /* mark it busy */
    e2 |= 2 << DESC_TYPE_SHIFT;
    x86_st_kernel(env, ptr + 4, 4, e2, ra);
    env->tr.selector = selector;
    env->tr.base = base;
    env->tr.limit = desc_limit(e1, e2);
    env->tr.flags = desc_flags(e2);
}
DEF_HELPER_INFO(ltr, 0, HI_VOID, 2, HI_PTR, HI_I32);

void helper_lgdt(CPUX86State *env, uint64_t base, uint32_t limit)
{
    env->gdt.base = base;
    env->gdt.limit = limit & 0xffff;
}
DEF_HELPER_INFO(lgdt, 0, HI_VOID, 3, HI_PTR, HI_I64, HI_I32);

void helper_lidt(CPUX86State *env, uint64_t base, uint32_t limit)
{

    env->idt.base = base;
    env->idt.limit = limit & 0xffff;
}
DEF_HELPER_INFO(lidt, 0, HI_VOID, 3, HI_PTR, HI_I64, HI_I32);

/* ---- LAR / LSL / VERR / VERW -------------------------------------------- */

/* ZF into the flags (cc_src, CC_OP_EFLAGS). */
static void set_zf(CPUX86State *env, bool z)
{
    uint64_t f = helper_cc_compute_all(env->cc_dst, env->cc_src, env->cc_src2,
                                       env->cc_op);

    env->cc_src = z ? (f | CC_Z) : (f & ~(uint64_t)CC_Z);
    env->cc_op = CC_OP_EFLAGS;
}

/*
 * The common checks of LAR/LSL/VERR/VERW: loads the descriptor and
 * checks the privilege rule for code/data descriptors.  Returns false
 * (ZF = 0) on failure; system descriptors are left to the caller.
 */
static bool check_desc_visible(CPUX86State *env, uint32_t selector,
                               uint32_t *e1, uint32_t *e2, uintptr_t ra)
{
    uint64_t ptr;
    int dpl, rpl = selector & 3, cpl = x86_cpl(env);

    if ((selector & 0xfffc) == 0) {
        return false;
    }
    if (!x86_load_descriptor(env, selector, e1, e2, &ptr, ra)) {
        return false;
    }
    dpl = desc_dpl(*e2);
    if ((*e2 & DESC_S_MASK) && (*e2 & DESC_CS_MASK) && (*e2 & DESC_C_MASK)) {
        return true; /* conforming code: always visible */
    }
    return dpl >= cpl && dpl >= rpl;
}

/*
 * The system descriptor types LAR and LSL accept (bit n: type n): in
 * legacy mode the 16/32-bit TSS (available, busy), LDT and, for LAR,
 * the gates; in IA-32e mode the 64-bit TSS and LDT and, for LAR, the
 * 64-bit call gate (SDM vol. 2 LAR, LSL).
 */
#define LAR_TYPES_LEGACY 0x1a3e /* 1 2 3 4 5 9 11 12 */
#define LAR_TYPES_LONG                                                         \
    ((1u << DESC_LDT) | (1u << DESC_TSS32_AVAIL) | (1u << DESC_TSS32_BUSY) |   \
     (1u << DESC_CALLGATE32))
#define LSL_TYPES_LEGACY 0x0a0e /* 1 2 3 9 11 */
#define LSL_TYPES_LONG                                                         \
    ((1u << DESC_LDT) | (1u << DESC_TSS32_AVAIL) | (1u << DESC_TSS32_BUSY))

/*
 * LAR and LSL: loads the descriptor of sel into e1, e2 and sets ZF if
 * the instruction may read it (a visible code/data descriptor or a
 * system descriptor of one of the types in the mask for the mode);
 * clears ZF and returns false otherwise.
 */
static bool lar_lsl_load(CPUX86State *env, uint64_t sel, uint16_t legacy,
                         uint16_t lma, uint32_t *e1, uint32_t *e2, uintptr_t ra)
{
    bool ok = check_desc_visible(env, sel & 0xffff, e1, e2, ra);

    if (ok && !(*e2 & DESC_S_MASK)) {
        int type = (*e2 >> DESC_TYPE_SHIFT) & 0xf;

        ok = (((env->hflags & HF_LMA_MASK) ? lma : legacy) >> type) & 1;
    }
    set_zf(env, ok);
    return ok;
}

uint64_t helper_lar(CPUX86State *env, uint64_t sel)
{
    uint32_t e1, e2;

    if (!lar_lsl_load(env, sel, LAR_TYPES_LEGACY, LAR_TYPES_LONG, &e1, &e2,
                      GETPC())) {
        return 0;
    }
    /* bits 19:16 (limit) read as 0, as QEMU (docs/quirks.md) */
    return e2 & 0x00f0ff00;
}
DEF_HELPER_INFO(lar, 0, HI_I64, 2, HI_PTR, HI_I64);

uint64_t helper_lsl(CPUX86State *env, uint64_t sel)
{
    uint32_t e1, e2;

    if (!lar_lsl_load(env, sel, LSL_TYPES_LEGACY, LSL_TYPES_LONG, &e1, &e2,
                      GETPC())) {
        return 0;
    }
    return desc_limit(e1, e2);
}
DEF_HELPER_INFO(lsl, 0, HI_I64, 2, HI_PTR, HI_I64);

void helper_verr(CPUX86State *env, uint64_t sel)
{
    uint32_t e1, e2, selector = sel & 0xffff;
    bool ok = check_desc_visible(env, selector, &e1, &e2, GETPC());

    /* readable: data, or code with R */
    ok = ok && (e2 & DESC_S_MASK) &&
         (!(e2 & DESC_CS_MASK) || (e2 & DESC_R_MASK));
    set_zf(env, ok);
}
DEF_HELPER_INFO(verr, 0, HI_VOID, 2, HI_PTR, HI_I64);

void helper_verw(CPUX86State *env, uint64_t sel)
{
    uint32_t e1, e2, selector = sel & 0xffff;
    bool ok = check_desc_visible(env, selector, &e1, &e2, GETPC());

    /* writable data only */
    ok = ok && (e2 & DESC_S_MASK) && !(e2 & DESC_CS_MASK) && (e2 & DESC_W_MASK);
    set_zf(env, ok);
}
DEF_HELPER_INFO(verw, 0, HI_VOID, 2, HI_PTR, HI_I64);

/* ---- far transfers ------------------------------------------------------ */

/* An eip beyond a non-64-bit code segment's limit is #GP(0). */
static void check_eip(CPUX86State *env, uint64_t eip, uint32_t e1, uint32_t e2,
                      uintptr_t ra)
{
    bool code64 = (env->hflags & HF_LMA_MASK) && (e2 & DESC_L_MASK);

    if (code64) {
        if ((int64_t)(eip << 16) >> 16 != (int64_t)eip) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
    } else if (eip > desc_limit(e1, e2)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
}

/*
 * Checks a code segment descriptor (e1, e2) as the target of a far
 * JMP/CALL to sel:eip directly (not through a gate).  Raises #GP/#NP.
 */
static void check_direct_code(CPUX86State *env, uint32_t sel, uint32_t e1,
                              uint32_t e2, uint64_t eip, uintptr_t ra)
{
    int cpl = x86_cpl(env), dpl = desc_dpl(e2), rpl = sel & 3;

    if (!(e2 & DESC_CS_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (e2 & DESC_C_MASK) {
        if (dpl > cpl) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
        }
    } else if (rpl > cpl || dpl != cpl) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, sel & 0xfffc, ra);
    }
    check_eip(env, eip, e1, e2, ra);
}

/*
 * The last step of a far transfer: sets the accessed bit of the code
 * segment descriptor (e1, e2 at ptr) and loads CS with sel at RPL rpl.
 */
static void load_far_cs(CPUX86State *env, uint32_t sel, int rpl, uint32_t e1,
                        uint32_t e2, uint64_t ptr, uintptr_t ra)
{
    set_accessed(env, ptr, &e2, ra);
    load_seg_desc(env, R_CS, (sel & 0xfffc) | rpl, e1, e2);
}

/*
 * The descriptor (e1, e2 at ptr) of the target of a far JMP/CALL to sel
 * in protected mode: #GP(0) if sel is null, #GP(sel) beyond the table
 * or, in IA-32e mode, for a system descriptor other than a call gate.
 */
static void load_far_target(CPUX86State *env, uint32_t sel, uint32_t *e1,
                            uint32_t *e2, uint64_t *ptr, uintptr_t ra)
{
    if ((sel & 0xfffc) == 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    if (!x86_load_descriptor(env, sel, e1, e2, ptr, ra) ||
        (!(*e2 & DESC_S_MASK) && (env->hflags & HF_LMA_MASK) &&
         ((*e2 >> DESC_TYPE_SHIFT) & 0xf) != DESC_CALLGATE32)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
}

/*
 * Checks and reads the call gate sel (e1, e2 at ptr; 16 bytes in long
 * mode, where only 64-bit gates exist): DPL >= CPL and RPL, else
 * #GP(sel); present, else #NP(sel).  Returns the target selector and
 * offset and the parameter count.
 */
static void read_call_gate(CPUX86State *env, uint32_t sel, uint32_t e1,
                           uint32_t e2, uint64_t ptr, uint32_t *gate_cs,
                           uint64_t *offset, int *param_count, uintptr_t ra)
{
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf, dpl = desc_dpl(e2);

    if (dpl < x86_cpl(env) || dpl < (int)(sel & 3)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, sel & 0xfffc, ra);
    }
    *gate_cs = e1 >> 16;
    *offset = e1 & 0xffff;
    if (type == DESC_CALLGATE32) {
        *offset |= e2 & 0xffff0000;
    }
    *param_count = e2 & 0x1f;
    if (env->hflags & HF_LMA_MASK) {
        uint32_t e3, e4;

        if ((uint64_t)(sel & ~7u) + 15 >
            ((sel & 4) ? env->ldt.limit : env->gdt.limit)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
        }
        e3 = x86_ld_kernel(env, ptr + 8, 4, ra);
        e4 = x86_ld_kernel(env, ptr + 12, 4, ra);
        if ((e4 >> DESC_TYPE_SHIFT) & 0x1f) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
        }
        *offset |= (uint64_t)e3 << 32;
        *param_count = 0;
    }
}

int x86_load_gate_cs(CPUX86State *env, uint32_t sel, bool jmp, uint32_t *e1,
                     uint32_t *e2, uint64_t *ptr, uintptr_t ra)
{
    int cpl = x86_cpl(env), dpl;

    if ((sel & 0xfffc) == 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    if (!x86_load_descriptor(env, sel, e1, e2, ptr, ra)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    dpl = desc_dpl(*e2);
    if (!(*e2 & DESC_S_MASK) || !(*e2 & DESC_CS_MASK) || dpl > cpl ||
        (jmp && !(*e2 & DESC_C_MASK) && dpl != cpl) ||
        ((env->hflags & HF_LMA_MASK) &&
         (!(*e2 & DESC_L_MASK) || (*e2 & DESC_B_MASK)))) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (!(*e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, sel & 0xfffc, ra);
    }
    return dpl;
}

/* The EIP after an instruction of addend bytes (wrapped outside CS64). */
static uint64_t next_ip(CPUX86State *env, uint32_t addend)
{
    uint64_t ip = env->rip + addend;

    if (env->hflags & HF_CS64_MASK) {
        return ip;
    }
    return (env->hflags & HF_CS32_MASK) ? (uint32_t)ip : (ip & 0xffff);
}

/*
 * JMP/CALL to a TSS descriptor or a task gate (e1, e2 of sel): the
 * privilege checks, then the task switch (task_helper.c).
 */
static void far_task_switch(CPUX86State *env, uint32_t sel, uint32_t e1,
                            uint32_t e2, int source, uint64_t next_eip,
                            uintptr_t ra)
{
    int cpl = x86_cpl(env), dpl = desc_dpl(e2), rpl = sel & 3;
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    uint64_t ptr;

    if (dpl < cpl || dpl < rpl) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, sel & 0xfffc, ra);
    }
    if (type == DESC_TASKGATE) {
        sel = e1 >> 16;
        if ((sel & 4) || !x86_load_descriptor(env, sel, &e1, &e2, &ptr, ra)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
        }
        type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
        if ((e2 & DESC_S_MASK) ||
            (type != DESC_TSS16_AVAIL && type != DESC_TSS32_AVAIL)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
        }
    } else if (sel & 4) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, sel & 0xfffc, ra);
    }
    x86_task_switch(env, sel, e1, e2, source, next_eip, ra);
}

void helper_ljmp_protected(CPUX86State *env, uint32_t new_cs, uint64_t new_eip,
                           uint32_t next_eip_addend)
{
    uintptr_t ra = GETPC();
    int cpl = x86_cpl(env), type, param_count;
    uint32_t e1, e2, gate_cs;
    uint64_t ptr;

    new_cs &= 0xffff;
    load_far_target(env, new_cs, &e1, &e2, &ptr, ra);
    if (e2 & DESC_S_MASK) {
        check_direct_code(env, new_cs, e1, e2, new_eip, ra);
        load_far_cs(env, new_cs, cpl, e1, e2, ptr, ra);
        env->rip = new_eip;
        return;
    }
    type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    switch (type) {
    case DESC_TSS16_AVAIL:
    case DESC_TSS32_AVAIL:
    case DESC_TASKGATE:
        far_task_switch(env, new_cs, e1, e2, X86_TASK_JMP,
                        next_ip(env, next_eip_addend), ra);
        break;
    case DESC_CALLGATE16:
    case DESC_CALLGATE32:
        read_call_gate(env, new_cs, e1, e2, ptr, &gate_cs, &new_eip,
                       &param_count, ra);
        x86_load_gate_cs(env, gate_cs, true, &e1, &e2, &ptr, ra);
        if (type == DESC_CALLGATE16) {
            new_eip &= 0xffff;
        }
        check_eip(env, new_eip, e1, e2, ra);
        load_far_cs(env, gate_cs, cpl, e1, e2, ptr, ra);
        env->rip = new_eip;
        break;
    default:
        x86_raise_exception_err_ra(env, EXCP0D_GPF, new_cs & 0xfffc, ra);
    }
}
DEF_HELPER_INFO(ljmp_protected, 0, HI_VOID, 4, HI_PTR, HI_I32, HI_I64, HI_I32);

void helper_lcall_real(CPUX86State *env, uint32_t new_cs, uint64_t new_eip,
                       uint32_t shift, uint32_t next_eip)
{
    X86Stack st;
    int size = shift ? 4 : 2;

    stack_init(&st, env, x86_cpl(env), GETPC());
    stack_push(&st, size, env->segs[R_CS].selector);
    stack_push(&st, size, next_eip);
    set_esp(env, st.sp, st.mask);
    new_cs &= 0xffff;
    cpu_x86_load_seg_cache(env, R_CS, new_cs, (uint64_t)new_cs << 4,
                           env->segs[R_CS].limit, env->segs[R_CS].flags);
    env->rip = shift ? (uint32_t)new_eip : (new_eip & 0xffff);
}
DEF_HELPER_INFO(lcall_real, 0, HI_VOID, 5, HI_PTR, HI_I32, HI_I64, HI_I32,
                HI_I32);

void x86_tss_stack(CPUX86State *env, int dpl, uint32_t *ss, uint32_t *esp,
                   uintptr_t ra)
{
    int type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;
    int shift = type >> 3; /* 0: 16-bit TSS, 1: 32-bit */
    uint32_t index = (dpl * 4 + 2) << shift;

    if (!(env->tr.flags & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, env->tr.selector & 0xfffc,
                                   ra);
    }
    if (index + (4u << shift) - 1 > env->tr.limit) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, env->tr.selector & 0xfffc,
                                   ra);
    }
    *esp = x86_ld_kernel(env, env->tr.base + index, 2 << shift, ra);
    *ss = x86_ld_kernel(env, env->tr.base + index + (2 << shift), 2, ra);
}

uint64_t x86_tss64_stack(CPUX86State *env, int dpl, int ist, uintptr_t ra)
{
    uint32_t index = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * dpl;

    if (!(env->tr.flags & DESC_P_MASK) || index + 7 > env->tr.limit) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, env->tr.selector & 0xfffc,
                                   ra);
    }
    return x86_ld_kernel(env, env->tr.base + index, 8, ra);
}

void x86_check_new_ss(CPUX86State *env, uint32_t ss, int dpl, int exc,
                      uint32_t *e1, uint32_t *e2, uint64_t *ptr, uintptr_t ra)
{
    if ((ss & 0xfffc) == 0 || (int)(ss & 3) != dpl) {
        x86_raise_exception_err_ra(env, exc, ss & 0xfffc, ra);
    }
    if (!x86_load_descriptor(env, ss, e1, e2, ptr, ra)) {
        x86_raise_exception_err_ra(env, exc, ss & 0xfffc, ra);
    }
    if (desc_dpl(*e2) != dpl || !(*e2 & DESC_S_MASK) || (*e2 & DESC_CS_MASK) ||
        !(*e2 & DESC_W_MASK)) {
        x86_raise_exception_err_ra(env, exc, ss & 0xfffc, ra);
    }
    if (!(*e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0C_STACK, ss & 0xfffc, ra);
    }
}

void helper_lcall_protected(CPUX86State *env, uint32_t new_cs, uint64_t new_eip,
                            uint32_t shift, uint32_t next_eip_addend)
{
    uintptr_t ra = GETPC();
    int cpl = x86_cpl(env), dpl, type, param_count, i;
    uint32_t e1, e2, gate_cs, ss_e1, ss_e2;
    uint64_t ptr, ss_ptr, next_eip = next_ip(env, next_eip_addend);
    int size = 2 << shift;
    X86Stack st;

    new_cs &= 0xffff;
    load_far_target(env, new_cs, &e1, &e2, &ptr, ra);
    if (e2 & DESC_S_MASK) {
        /* direct call: same privilege */
        check_direct_code(env, new_cs, e1, e2, new_eip, ra);
        stack_init(&st, env, cpl, ra);
        stack_push(&st, size, env->segs[R_CS].selector);
        stack_push(&st, size, next_eip);
        load_far_cs(env, new_cs, cpl, e1, e2, ptr, ra);
        set_esp(env, st.sp, st.mask);
        env->rip = new_eip;
        return;
    }
    type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    switch (type) {
    case DESC_TSS16_AVAIL:
    case DESC_TSS32_AVAIL:
    case DESC_TASKGATE:
        far_task_switch(env, new_cs, e1, e2, X86_TASK_CALL, next_eip, ra);
        return;
    case DESC_CALLGATE16:
    case DESC_CALLGATE32:
        break;
    default:
        x86_raise_exception_err_ra(env, EXCP0D_GPF, new_cs & 0xfffc, ra);
    }
    read_call_gate(env, new_cs, e1, e2, ptr, &gate_cs, &new_eip, &param_count,
                   ra);
    /* the gate's size decides the pushes */
    shift = (env->hflags & HF_LMA_MASK) ? 2 : type >> 3;
    size = 2 << shift;
    dpl = x86_load_gate_cs(env, gate_cs, false, &e1, &e2, &ptr, ra);
    check_eip(env, new_eip, e1, e2, ra);

    if (!(e2 & DESC_C_MASK) && dpl < cpl) {
        /* more privileged: switch to the inner stack from the TSS */
        uint32_t ss = 0, esp32;
        uint64_t esp, old_ss = env->segs[R_SS].selector;
        uint64_t old_esp = env->regs[R_ESP];
        X86Stack old;
        uint64_t params[32];

        stack_init(&old, env, cpl, ra);
        if (shift == 2) {
            esp = x86_tss64_stack(env, dpl, 0, ra);
            ss = dpl; /* null selector, RPL = new CPL */
            st.env = env;
            st.base = 0;
            st.sp = esp;
            st.mask = ~0ull;
            st.mmu_idx = mmu_index_pl(env, dpl);
            st.ra = ra;
            ss_e1 = 0;
            ss_e2 = (uint32_t)dpl << DESC_DPL_SHIFT | DESC_S_MASK |
                    DESC_W_MASK | DESC_A_MASK | DESC_P_MASK;
        } else {
            x86_tss_stack(env, dpl, &ss, &esp32, ra);
            x86_check_new_ss(env, ss, dpl, EXCP0A_TSS, &ss_e1, &ss_e2, &ss_ptr,
                             ra);
            st.env = env;
            st.base = desc_base(ss_e1, ss_e2);
            st.sp = esp32;
            st.mask = sp_mask_of(ss_e2);
            st.mmu_idx = mmu_index_pl(env, dpl);
            st.ra = ra;
        }
        /* parameters from the old stack, pushed in the same order */
        for (i = 0; i < param_count; i++) {
            X86Stack p = old;

            p.sp = old.sp + (uint64_t)(param_count - 1 - i) * size;
            params[i] = stack_pop(&p, size);
        }
        stack_push(&st, size, old_ss);
        stack_push(&st, size, old_esp);
        for (i = 0; i < param_count; i++) {
            stack_push(&st, size, params[i]);
        }
        stack_push(&st, size, env->segs[R_CS].selector);
        stack_push(&st, size, next_eip);
        if (shift == 2) {
            cpu_x86_load_seg_cache(env, R_SS, ss, 0, 0, ss_e2);
        } else {
            set_accessed(env, ss_ptr, &ss_e2, ra);
            load_seg_desc(env, R_SS, ss, ss_e1, ss_e2);
        }
        set_esp(env, st.sp, st.mask);
        load_far_cs(env, gate_cs, dpl, e1, e2, ptr, ra);
    } else {
        stack_init(&st, env, cpl, ra);
        stack_push(&st, size, env->segs[R_CS].selector);
        stack_push(&st, size, next_eip);
        set_esp(env, st.sp, st.mask);
        load_far_cs(env, gate_cs, cpl, e1, e2, ptr, ra);
    }
    env->rip = new_eip;
}
DEF_HELPER_INFO(lcall_protected, 0, HI_VOID, 5, HI_PTR, HI_I32, HI_I64, HI_I32,
                HI_I32);

/* ---- RET FAR / IRET ------------------------------------------------------ */

/* EFLAGS with every bit (arithmetic ones computed). */
static void load_eflags_masked(CPUX86State *env, uint64_t val, uint64_t mask)
{
    cpu_load_eflags(env, val, mask | CC_ALL | DF_MASK);
}

void helper_iret_real(CPUX86State *env, uint32_t shift)
{
    uintptr_t ra = GETPC();
    X86Stack st;
    uint64_t new_eip, new_cs, new_eflags, mask;
    int size = shift ? 4 : 2;

    stack_init(&st, env, x86_cpl(env), ra);
    st.mask = 0xffff; /* real mode: the stack is 16-bit */
    if (env->segs[R_SS].flags & DESC_B_MASK) {
        st.mask = 0xffffffff;
    }
    new_eip = stack_pop(&st, size);
    new_cs = stack_pop(&st, size) & 0xffff;
    new_eflags = stack_pop(&st, size);
    if (env->eflags & VM_MASK) {
        /* vm86 IRET (IOPL 3; the translator checks IOPL) */
        mask = TF_MASK | IF_MASK | AC_MASK | ID_MASK | RF_MASK | NT_MASK;
    } else {
        mask = TF_MASK | IF_MASK | IOPL_MASK | AC_MASK | ID_MASK | RF_MASK |
               NT_MASK;
    }
    if (!shift) {
        mask &= 0xffff;
    }
    set_esp(env, st.sp, st.mask);
    cpu_x86_load_seg_cache(env, R_CS, new_cs, new_cs << 4,
                           env->segs[R_CS].limit, env->segs[R_CS].flags);
    env->rip = shift ? (uint32_t)new_eip : (new_eip & 0xffff);
    load_eflags_masked(env, new_eflags, mask);
    env->hflags2 &= ~HF2_NMI_MASK;
}
DEF_HELPER_INFO(iret_real, 0, HI_VOID, 2, HI_PTR, HI_I32);

/* After a return to an outer level, DS/ES/FS/GS the new CPL may not use
 * become null (SDM RET, "RETURN-TO-OUTER-PRIVILEGE-LEVEL"). */
static void validate_seg(CPUX86State *env, int seg, int cpl)
{
    uint32_t flags = env->segs[seg].flags;
    int dpl = (flags >> DESC_DPL_SHIFT) & 3;

    if ((seg == R_FS || seg == R_GS) &&
        (env->segs[seg].selector & 0xfffc) == 0) {
        return; /* null FS/GS keep their base (64-bit software uses it) */
    }
    if (!(flags & DESC_CS_MASK) || !(flags & DESC_C_MASK)) {
        if (dpl < cpl) {
            cpu_x86_load_seg_cache(env, seg, 0, 0, 0, 0);
        }
    }
}

/*
 * RET FAR (is_iret = 0, addend = the imm16) and IRET (is_iret = 1) in
 * protected mode: same level, outer level, and (IRET) back to vm86.
 */
static void ret_protected(CPUX86State *env, int shift, int is_iret, int addend,
                          uintptr_t ra)
{
    int cpl = x86_cpl(env), size = 2 << shift, rpl, dpl;
    uint64_t new_eip, new_cs, new_eflags = 0, new_esp, new_ss, ptr, ss_ptr;
    uint32_t e1, e2, ss_e1 = 0, ss_e2 = 0;
    X86Stack st;

    stack_init(&st, env, cpl, ra);
    new_eip = stack_pop(&st, size);
    new_cs = stack_pop(&st, size) & 0xffff;
    if (is_iret) {
        new_eflags = stack_pop(&st, size);
        if (shift == 1 && (new_eflags & VM_MASK) && cpl == 0 &&
            !(env->hflags & HF_LMA_MASK)) {
            /* back to vm86: ESP, SS, ES, DS, FS, GS follow */
            uint32_t sels[6];
            int i;

            new_esp = stack_pop(&st, 4);
            for (i = 0; i < 5; i++) {
                sels[i] = stack_pop(&st, 4) & 0xffff;
            }
            cpu_load_eflags(env, new_eflags,
                            CC_ALL | DF_MASK | TF_MASK | IF_MASK | IOPL_MASK |
                                NT_MASK | RF_MASK | VM_MASK | AC_MASK |
                                VIF_MASK | VIP_MASK | ID_MASK);
            load_seg_vm86(env, R_CS, new_cs);
            load_seg_vm86(env, R_SS, sels[0]);
            load_seg_vm86(env, R_ES, sels[1]);
            load_seg_vm86(env, R_DS, sels[2]);
            load_seg_vm86(env, R_FS, sels[3]);
            load_seg_vm86(env, R_GS, sels[4]);
            env->hflags |= 3;
            x86_update_hflags(env);
            env->regs[R_ESP] = (uint32_t)new_esp;
            env->rip = new_eip & 0xffff;
            env->hflags2 &= ~HF2_NMI_MASK;
            return;
        }
    }
    if ((new_cs & 0xfffc) == 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    if (!x86_load_descriptor(env, new_cs, &e1, &e2, &ptr, ra)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, new_cs & 0xfffc, ra);
    }
    rpl = new_cs & 3;
    dpl = desc_dpl(e2);
    if (!(e2 & DESC_S_MASK) || !(e2 & DESC_CS_MASK) || rpl < cpl) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, new_cs & 0xfffc, ra);
    }
    if ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, new_cs & 0xfffc, ra);
    }
    if ((env->hflags & HF_LMA_MASK) && (e2 & DESC_L_MASK) &&
        (e2 & DESC_B_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, new_cs & 0xfffc, ra);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, new_cs & 0xfffc, ra);
    }
    st.sp += addend;
    if (rpl == cpl && !(is_iret && (env->hflags & HF_CS64_MASK))) {
        /* same privilege level */
        check_eip(env, new_eip, e1, e2, ra);
        set_esp(env, st.sp, st.mask);
        load_seg_desc(env, R_CS, new_cs, e1, e2);
    } else {
        /* outer level (or 64-bit IRET): SS:ESP follow */
        bool to64 = (env->hflags & HF_LMA_MASK) && (e2 & DESC_L_MASK);
        uint64_t new_mask;

        new_esp = stack_pop(&st, size);
        new_ss = stack_pop(&st, size) & 0xffff;
        if ((new_ss & 0xfffc) == 0) {
            /* null SS: only into 64-bit code at CPL < 3 */
            if (!to64 || rpl == 3 || (int)(new_ss & 3) != rpl) {
                x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
            }
            ss_e2 = (uint32_t)rpl << DESC_DPL_SHIFT | DESC_S_MASK |
                    DESC_W_MASK | DESC_A_MASK | DESC_B_MASK;
        } else {
            x86_check_new_ss(env, new_ss, rpl, EXCP0D_GPF, &ss_e1, &ss_e2,
                             &ss_ptr, ra);
        }
        check_eip(env, new_eip, e1, e2, ra);
        if ((new_ss & 0xfffc) != 0) {
            set_accessed(env, ss_ptr, &ss_e2, ra);
        }
        load_seg_desc(env, R_CS, new_cs, e1, e2);
        if ((new_ss & 0xfffc) == 0) {
            cpu_x86_load_seg_cache(env, R_SS, new_ss, 0, 0xffffffff, ss_e2);
        } else {
            load_seg_desc(env, R_SS, new_ss, ss_e1, ss_e2);
        }
        new_mask = (env->hflags & HF_CS64_MASK) ? ~0ull : sp_mask_of(ss_e2);
        new_esp += (rpl == cpl) ? 0 : addend;
        set_esp(env, new_esp, new_mask);
        if (rpl != cpl) {
            validate_seg(env, R_ES, rpl);
            validate_seg(env, R_DS, rpl);
            validate_seg(env, R_FS, rpl);
            validate_seg(env, R_GS, rpl);
        }
    }
    env->rip = new_eip;
    if (is_iret) {
        /* IOPL only at CPL 0, IF only at CPL <= IOPL (old CPL) */
        uint64_t mask = TF_MASK | AC_MASK | ID_MASK | RF_MASK | NT_MASK;
        int iopl = (env->eflags >> IOPL_SHIFT) & 3;

        if (cpl == 0) {
            mask |= IOPL_MASK | IF_MASK | VIF_MASK | VIP_MASK;
        } else if (cpl <= iopl) {
            mask |= IF_MASK;
        }
        if (shift == 0) {
            mask &= 0xffff;
        }
        load_eflags_masked(env, new_eflags, mask);
        env->hflags2 &= ~HF2_NMI_MASK;
    }
}

/* IRET with NT: back to the task in the current TSS's link field. */
static void iret_task(CPUX86State *env, uint64_t next_eip, uintptr_t ra)
{
    uint32_t link = x86_ld_kernel(env, env->tr.base, 2, ra), e1, e2, type;
    uint64_t ptr;

    if ((link & 4) || !x86_load_descriptor(env, link, &e1, &e2, &ptr, ra)) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, link & 0xfffc, ra);
    }
    type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    if ((e2 & DESC_S_MASK) ||
        (type != DESC_TSS16_BUSY && type != DESC_TSS32_BUSY)) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, link & 0xfffc, ra);
    }
    x86_task_switch(env, link, e1, e2, X86_TASK_IRET, next_eip, ra);
}

void helper_iret_protected(CPUX86State *env, uint32_t shift, uint32_t next_eip)
{
    uintptr_t ra = GETPC();

    if (env->eflags & NT_MASK) {
        /* nested task return */
        if (env->hflags & HF_LMA_MASK) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        iret_task(env, next_eip, ra);
        return;
    }
    ret_protected(env, shift, 1, 0, ra);
}
DEF_HELPER_INFO(iret_protected, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);

void helper_lret_protected(CPUX86State *env, uint32_t shift, uint32_t addend)
{
    ret_protected(env, shift, 0, addend, GETPC());
}
DEF_HELPER_INFO(lret_protected, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);

/* ---- SYSCALL / SYSRET / SYSENTER / SYSEXIT / SWAPGS ---------------------- */

#define FLAT_CODE_FLAGS                                                        \
    (DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK |    \
     DESC_G_MASK)
#define FLAT_DATA_FLAGS                                                        \
    (DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK | DESC_G_MASK |     \
     DESC_B_MASK)

static bool is_canonical(uint64_t a)
{
    return (int64_t)(a << 16) >> 16 == (int64_t)a;
}

void helper_syscall(CPUX86State *env, uint32_t next_eip_addend)
{
    uint32_t sel;
    uint64_t next = env->rip + next_eip_addend;

    if (!(env->efer & MSR_EFER_SCE)) {
        x86_raise_exception_ra(env, EXCP06_ILLOP, GETPC());
    }
    sel = (env->star >> 32) & 0xffff;
    if (env->hflags & HF_LMA_MASK) {
        bool code64 = env->hflags & HF_CS64_MASK;
        uint64_t fl = cpu_compute_eflags(env);

        env->regs[R_ECX] = code64 ? next : (uint32_t)next;
        env->regs[11] = fl & ~RF_MASK;
        cpu_load_eflags(env, fl & ~env->fmask & ~(RF_MASK | VM_MASK), ~0ull);
        cpu_x86_load_seg_cache(env, R_CS, sel & 0xfffc, 0, 0xffffffff,
                               FLAT_CODE_FLAGS | DESC_L_MASK);
        cpu_x86_load_seg_cache(env, R_SS, (sel + 8) & 0xfffc, 0, 0xffffffff,
                               FLAT_DATA_FLAGS);
        env->rip = code64 ? env->lstar : env->cstar;
    } else {
        env->regs[R_ECX] = (uint32_t)next;
        env->eflags &= ~(IF_MASK | RF_MASK | VM_MASK);
        cpu_x86_load_seg_cache(env, R_CS, sel & 0xfffc, 0, 0xffffffff,
                               FLAT_CODE_FLAGS | DESC_B_MASK);
        cpu_x86_load_seg_cache(env, R_SS, (sel + 8) & 0xfffc, 0, 0xffffffff,
                               FLAT_DATA_FLAGS);
        env->rip = (uint32_t)env->star;
    }
}
DEF_HELPER_INFO(syscall, 0, HI_VOID, 2, HI_PTR, HI_I32);

void helper_sysret(CPUX86State *env, uint32_t dflag)
{
    uintptr_t ra = GETPC();
    uint32_t sel = (env->star >> 48) & 0xffff;

    if (!(env->efer & MSR_EFER_SCE)) {
        x86_raise_exception_ra(env, EXCP06_ILLOP, ra);
    }
    if (!(env->cr[0] & CR0_PE_MASK) || x86_cpl(env) != 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    if (env->hflags & HF_LMA_MASK) {
        if (dflag == MO_64 && !is_canonical(env->regs[R_ECX])) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        cpu_load_eflags(env, (env->regs[11] & 0x3c7fd7) | 2, ~0ull);
        if (dflag == MO_64) {
            cpu_x86_load_seg_cache(env, R_CS, (sel + 16) | 3, 0, 0xffffffff,
                                   FLAT_CODE_FLAGS | DESC_L_MASK |
                                       (3 << DESC_DPL_SHIFT));
            env->rip = env->regs[R_ECX];
        } else {
            cpu_x86_load_seg_cache(env, R_CS, sel | 3, 0, 0xffffffff,
                                   FLAT_CODE_FLAGS | DESC_B_MASK |
                                       (3 << DESC_DPL_SHIFT));
            env->rip = (uint32_t)env->regs[R_ECX];
        }
    } else {
        env->eflags |= IF_MASK;
        cpu_x86_load_seg_cache(env, R_CS, sel | 3, 0, 0xffffffff,
                               FLAT_CODE_FLAGS | DESC_B_MASK |
                                   (3 << DESC_DPL_SHIFT));
        env->rip = (uint32_t)env->regs[R_ECX];
    }
    cpu_x86_load_seg_cache(env, R_SS, (sel + 8) | 3, 0, 0xffffffff,
                           FLAT_DATA_FLAGS | (3 << DESC_DPL_SHIFT));
}
DEF_HELPER_INFO(sysret, 0, HI_VOID, 2, HI_PTR, HI_I32);

void helper_sysenter(CPUX86State *env)
{
    uint32_t cs = env->sysenter_cs & 0xfffc;

    if (!(env->cr[0] & CR0_PE_MASK) || cs == 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
    }
    env->eflags &= ~(VM_MASK | IF_MASK | RF_MASK);
    if (env->hflags & HF_LMA_MASK) {
        cpu_x86_load_seg_cache(env, R_CS, cs, 0, 0xffffffff,
                               FLAT_CODE_FLAGS | DESC_L_MASK);
    } else {
        cpu_x86_load_seg_cache(env, R_CS, cs, 0, 0xffffffff,
                               FLAT_CODE_FLAGS | DESC_B_MASK);
    }
    cpu_x86_load_seg_cache(env, R_SS, cs + 8, 0, 0xffffffff, FLAT_DATA_FLAGS);
    if (env->hflags & HF_LMA_MASK) {
        env->regs[R_ESP] = env->sysenter_esp;
        env->rip = env->sysenter_eip;
    } else {
        env->regs[R_ESP] = (uint32_t)env->sysenter_esp;
        env->rip = (uint32_t)env->sysenter_eip;
    }
}
DEF_HELPER_INFO(sysenter, 0, HI_VOID, 1, HI_PTR);

void helper_sysexit(CPUX86State *env, uint32_t dflag)
{
    uintptr_t ra = GETPC();
    uint32_t cs = env->sysenter_cs & 0xfffc;

    if (!(env->cr[0] & CR0_PE_MASK) || x86_cpl(env) != 0 || cs == 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    if (dflag == MO_64) {
        if (!is_canonical(env->regs[R_EDX]) ||
            !is_canonical(env->regs[R_ECX])) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        cpu_x86_load_seg_cache(env, R_CS, (cs + 32) | 3, 0, 0xffffffff,
                               FLAT_CODE_FLAGS | DESC_L_MASK |
                                   (3 << DESC_DPL_SHIFT));
        cpu_x86_load_seg_cache(env, R_SS, (cs + 40) | 3, 0, 0xffffffff,
                               FLAT_DATA_FLAGS | (3 << DESC_DPL_SHIFT));
        env->regs[R_ESP] = env->regs[R_ECX];
        env->rip = env->regs[R_EDX];
    } else {
        cpu_x86_load_seg_cache(env, R_CS, (cs + 16) | 3, 0, 0xffffffff,
                               FLAT_CODE_FLAGS | DESC_B_MASK |
                                   (3 << DESC_DPL_SHIFT));
        cpu_x86_load_seg_cache(env, R_SS, (cs + 24) | 3, 0, 0xffffffff,
                               FLAT_DATA_FLAGS | (3 << DESC_DPL_SHIFT));
        env->regs[R_ESP] = (uint32_t)env->regs[R_ECX];
        env->rip = (uint32_t)env->regs[R_EDX];
    }
}
DEF_HELPER_INFO(sysexit, 0, HI_VOID, 2, HI_PTR, HI_I32);

void helper_swapgs(CPUX86State *env)
{
    uint64_t t;

    if (!(env->hflags & HF_CS64_MASK)) {
        x86_raise_exception_ra(env, EXCP06_ILLOP, GETPC());
    }
    if (x86_cpl(env) != 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
    }
    t = env->segs[R_GS].base;
    env->segs[R_GS].base = env->kernelgsbase;
    env->kernelgsbase = t;
}
DEF_HELPER_INFO(swapgs, 0, HI_VOID, 1, HI_PTR);

/* ---- I/O permission bitmap ------------------------------------------------
 */

/*
 * IN/OUT at CPL > IOPL or in vm86: every bit of the accessed ports must
 * be clear in the TSS I/O bitmap (SDM vol. 1 19.5.2), else #GP(0).
 */
static void check_io(CPUX86State *env, uint32_t port, int size, uintptr_t ra)
{
    int type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;
    uint32_t io_offset, val;

    if (!(env->tr.flags & DESC_P_MASK) ||
        (type != DESC_TSS32_AVAIL && type != DESC_TSS32_BUSY) ||
        env->tr.limit < 103) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    io_offset = x86_ld_kernel(env, env->tr.base + 0x66, 2, ra);
    io_offset += (port & 0xffff) >> 3;
    if (io_offset + 1 > env->tr.limit) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    val = x86_ld_kernel(env, env->tr.base + io_offset, 2, ra);
    val >>= port & 7;
    if (val & ((1u << size) - 1)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
}

void helper_check_iob(CPUX86State *env, uint32_t port)
{
    check_io(env, port, 1, GETPC());
}
DEF_HELPER_INFO(check_iob, 0, HI_VOID, 2, HI_PTR, HI_I32);

void helper_check_iow(CPUX86State *env, uint32_t port)
{
    check_io(env, port, 2, GETPC());
}
DEF_HELPER_INFO(check_iow, 0, HI_VOID, 2, HI_PTR, HI_I32);

void helper_check_iol(CPUX86State *env, uint32_t port)
{
    check_io(env, port, 4, GETPC());
}
DEF_HELPER_INFO(check_iol, 0, HI_VOID, 2, HI_PTR, HI_I32);

#else /* CONFIG_USER_ONLY */

/*
 * User mode: the translator handles what a user program may do; the
 * rest is what Linux does for a 64-bit process (#GP → SIGSEGV).
 */
#define USER_GP(NAME, ...)                                                     \
    void helper_##NAME(__VA_ARGS__)                                            \
    {                                                                          \
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());               \
    }

USER_GP(load_seg, CPUX86State *env, uint32_t seg_reg, uint32_t selector)
USER_GP(lldt, CPUX86State *env, uint32_t sel)
USER_GP(ltr, CPUX86State *env, uint32_t sel)
USER_GP(lgdt, CPUX86State *env, uint64_t base, uint32_t limit)
USER_GP(lidt, CPUX86State *env, uint64_t base, uint32_t limit)
USER_GP(verr, CPUX86State *env, uint64_t sel)
USER_GP(verw, CPUX86State *env, uint64_t sel)
USER_GP(ljmp_protected, CPUX86State *env, uint32_t new_cs, uint64_t new_eip,
        uint32_t next_eip_addend)
USER_GP(lcall_real, CPUX86State *env, uint32_t new_cs, uint64_t new_eip,
        uint32_t shift, uint32_t next_eip)
USER_GP(lcall_protected, CPUX86State *env, uint32_t new_cs, uint64_t new_eip,
        uint32_t shift, uint32_t next_eip_addend)
USER_GP(iret_real, CPUX86State *env, uint32_t shift)
USER_GP(iret_protected, CPUX86State *env, uint32_t shift, uint32_t next_eip)
USER_GP(lret_protected, CPUX86State *env, uint32_t shift, uint32_t addend)
USER_GP(syscall, CPUX86State *env, uint32_t next_eip_addend)
USER_GP(sysret, CPUX86State *env, uint32_t dflag)
USER_GP(sysenter, CPUX86State *env)
USER_GP(sysexit, CPUX86State *env, uint32_t dflag)
USER_GP(swapgs, CPUX86State *env)
USER_GP(check_iob, CPUX86State *env, uint32_t port)
USER_GP(check_iow, CPUX86State *env, uint32_t port)
USER_GP(check_iol, CPUX86State *env, uint32_t port)

uint64_t helper_lar(CPUX86State *env, uint64_t sel)
{
    x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
}
uint64_t helper_lsl(CPUX86State *env, uint64_t sel)
{
    x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
}

DEF_HELPER_INFO(load_seg, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);
DEF_HELPER_INFO(lldt, 0, HI_VOID, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(ltr, 0, HI_VOID, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(lgdt, 0, HI_VOID, 3, HI_PTR, HI_I64, HI_I32);
DEF_HELPER_INFO(lidt, 0, HI_VOID, 3, HI_PTR, HI_I64, HI_I32);
DEF_HELPER_INFO(lar, 0, HI_I64, 2, HI_PTR, HI_I64);
DEF_HELPER_INFO(lsl, 0, HI_I64, 2, HI_PTR, HI_I64);
DEF_HELPER_INFO(verr, 0, HI_VOID, 2, HI_PTR, HI_I64);
DEF_HELPER_INFO(verw, 0, HI_VOID, 2, HI_PTR, HI_I64);
DEF_HELPER_INFO(ljmp_protected, 0, HI_VOID, 4, HI_PTR, HI_I32, HI_I64, HI_I32);
DEF_HELPER_INFO(lcall_real, 0, HI_VOID, 5, HI_PTR, HI_I32, HI_I64, HI_I32,
                HI_I32);
DEF_HELPER_INFO(lcall_protected, 0, HI_VOID, 5, HI_PTR, HI_I32, HI_I64, HI_I32,
                HI_I32);
DEF_HELPER_INFO(iret_real, 0, HI_VOID, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(iret_protected, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);
DEF_HELPER_INFO(lret_protected, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);
DEF_HELPER_INFO(syscall, 0, HI_VOID, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(sysret, 0, HI_VOID, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(sysenter, 0, HI_VOID, 1, HI_PTR);
DEF_HELPER_INFO(sysexit, 0, HI_VOID, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(swapgs, 0, HI_VOID, 1, HI_PTR);
DEF_HELPER_INFO(check_iob, 0, HI_VOID, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(check_iow, 0, HI_VOID, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(check_iol, 0, HI_VOID, 2, HI_PTR, HI_I32);

#endif
