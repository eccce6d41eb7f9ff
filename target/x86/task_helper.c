/*
 * Hardware task switches (protected mode, not long mode): JMP/CALL to a
 * TSS descriptor or a task gate, interrupts and exceptions through a
 * task gate, IRET with EFLAGS.NT.
 *
 * Follows the Intel SDM vol. 3A ch. 7 (task management): 7.2.1 the
 * 32-bit TSS (figure 7-2) and 7.6 the 16-bit TSS (figure 7-11), 7.3 the
 * switch sequence, 7.4 task linking (NT, previous task link, busy flag),
 * and table 7-1 (exception conditions during a switch).
 *
 * The old task's state is saved before anything of the new task is
 * loaded; faults detected while loading the new task's segments are
 * raised in the context of the new task, as on hardware.
 */
#include <string.h>

#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "target/x86/sys-internal.h"
#include "util/log.h"

/* A segment register of the new task (SDM table 7-1 checks, #TS). */
static void load_task_seg(CPUX86State *env, int seg, uint32_t sel, uintptr_t ra)
{
    uint32_t e1, e2;
    uint64_t ptr;
    int cpl = env->hflags & HF_CPL_MASK, rpl = sel & 3, dpl;

    if ((sel & 0xfffc) == 0) {
        if (seg == R_SS || seg == R_CS) {
            x86_raise_exception_err_ra(env, EXCP0A_TSS, sel & 0xfffc, ra);
        }
        cpu_x86_load_seg_cache(env, seg, sel, 0, 0, 0);
        return;
    }
    if (!x86_load_descriptor(env, sel, &e1, &e2, &ptr, ra) ||
        !(e2 & DESC_S_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, sel & 0xfffc, ra);
    }
    dpl = desc_dpl(e2);
    if (seg == R_CS) {
        if (!(e2 & DESC_CS_MASK) ||
            ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl)) {
            x86_raise_exception_err_ra(env, EXCP0A_TSS, sel & 0xfffc, ra);
        }
    } else if (seg == R_SS) {
        if ((e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK) || dpl != cpl ||
            rpl != cpl) {
            x86_raise_exception_err_ra(env, EXCP0A_TSS, sel & 0xfffc, ra);
        }
    } else {
        if ((e2 & (DESC_CS_MASK | DESC_R_MASK)) == DESC_CS_MASK) {
            x86_raise_exception_err_ra(env, EXCP0A_TSS, sel & 0xfffc, ra);
        }
        if ((!(e2 & DESC_CS_MASK) || !(e2 & DESC_C_MASK)) &&
            (dpl < cpl || dpl < rpl)) {
            x86_raise_exception_err_ra(env, EXCP0A_TSS, sel & 0xfffc, ra);
        }
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(
            env, seg == R_SS ? EXCP0C_STACK : EXCP0B_NOSEG, sel & 0xfffc, ra);
    }
    if (!(e2 & DESC_A_MASK)) {
        e2 |= DESC_A_MASK;
        x86_st_kernel(env, ptr + 4, 4, e2, ra);
    }
    cpu_x86_load_seg_cache(env, seg, sel, desc_base(e1, e2), desc_limit(e1, e2),
                           desc_flags(e2));
}

/*
 * Where a TSS keeps the state a task switch saves and loads (SDM figure
 * 7-11, the 16-bit TSS, and figure 7-2, the 32-bit one).  EIP, EFLAGS and
 * the 8 general registers take width bytes each; the selectors (ES, CS,
 * SS, DS, then FS, GS in a 32-bit TSS) are 16 bits in width-byte slots.
 */
typedef struct TssLayout {
    uint16_t eip, eflags, regs, sels, ldt;
    uint8_t width, nsegs;
} TssLayout;

static const TssLayout tss_layout[2] = {
    [0] = {.eip = 0x0e,
           .eflags = 0x10,
           .regs = 0x12,
           .sels = 0x22,
           .ldt = 0x2a,
           .width = 2,
           .nsegs = 4},
    [1] = {.eip = 0x20,
           .eflags = 0x24,
           .regs = 0x28,
           .sels = 0x48,
           .ldt = 0x60,
           .width = 4,
           .nsegs = 6},
};

/* Sets (busy) or clears the busy bit of the TSS descriptor of sel. */
static void set_tss_busy(CPUX86State *env, uint32_t sel, bool busy,
                         uintptr_t ra)
{
    uint64_t ptr = env->gdt.base + (sel & ~7u);
    uint32_t e2 = x86_ld_kernel(env, ptr + 4, 4, ra);

    e2 = busy ? e2 | (2 << DESC_TYPE_SHIFT) : e2 & ~(2u << DESC_TYPE_SHIFT);
    x86_st_kernel(env, ptr + 4, 4, e2, ra);
}

void x86_task_switch(CPUX86State *env, uint32_t selector, uint32_t e1,
                     uint32_t e2, int source, uint64_t next_eip, uintptr_t ra)
{
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    bool tss32 = type & 8;
    uint32_t limit = desc_limit(e1, e2), min = tss32 ? 0x67 : 0x2b;
    uint64_t base = desc_base(e1, e2), old_base = env->tr.base;
    bool old32 = (env->tr.flags >> DESC_TYPE_SHIFT) & 8;
    const TssLayout *nl = &tss_layout[tss32], *ol = &tss_layout[old32];
    uint32_t regs[8], sels[6], new_eip, new_eflags, new_cr3 = 0, ldt, i;
    uint64_t eflags;

    qemu_log_mask(CPU_LOG_INT, "x86: task switch (%d) to TSS 0x%x\n", source,
                  selector);
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err_ra(env, EXCP0B_NOSEG, selector & 0xfffc, ra);
    }
    if (limit < min) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, selector & 0xfffc, ra);
    }

    /* read the new task's state first: a fault here leaves the old task */
    if (tss32 && (env->cr[0] & CR0_PG_MASK)) {
        new_cr3 = x86_ld_kernel(env, base + 0x1c, 4, ra);
    }
    new_eip = x86_ld_kernel(env, base + nl->eip, nl->width, ra);
    new_eflags = x86_ld_kernel(env, base + nl->eflags, nl->width, ra);
    for (i = 0; i < 8; i++) {
        regs[i] =
            x86_ld_kernel(env, base + nl->regs + i * nl->width, nl->width, ra);
    }
    memset(sels, 0, sizeof(sels)); /* FS, GS of a 16-bit TSS: null */
    for (i = 0; i < nl->nsegs; i++) {
        sels[i] = x86_ld_kernel(env, base + nl->sels + i * nl->width, 2, ra);
    }
    ldt = x86_ld_kernel(env, base + nl->ldt, 2, ra);

    /* the old task: busy flag, NT, saved state */
    if (source == X86_TASK_JMP || source == X86_TASK_IRET) {
        set_tss_busy(env, env->tr.selector, false, ra);
    }
    eflags = cpu_compute_eflags(env);
    if (source == X86_TASK_IRET) {
        eflags &= ~(uint64_t)NT_MASK;
    }
    x86_st_kernel(env, old_base + ol->eip, ol->width, next_eip, ra);
    x86_st_kernel(env, old_base + ol->eflags, ol->width, eflags, ra);
    for (i = 0; i < 8; i++) {
        x86_st_kernel(env, old_base + ol->regs + i * ol->width, ol->width,
                      env->regs[i], ra);
    }
    for (i = 0; i < ol->nsegs; i++) {
        x86_st_kernel(env, old_base + ol->sels + i * ol->width, 2,
                      env->segs[i].selector, ra);
    }

    /* the new task: back link, NT, busy */
    if (source == X86_TASK_CALL || source == X86_TASK_INT) {
        x86_st_kernel(env, base, 2, env->tr.selector, ra);
        new_eflags |= NT_MASK;
    }
    if (source != X86_TASK_IRET) {
        set_tss_busy(env, selector, true, ra);
        e2 |= 2 << DESC_TYPE_SHIFT;
    }
    env->tr.selector = selector;
    env->tr.base = base;
    env->tr.limit = limit;
    env->tr.flags = desc_flags(e2);
    env->cr[0] |= CR0_TS_MASK;
    env->hflags |= HF_TS_MASK;
    /* the local breakpoint enables L0-L3 are per task (SDM 18.2.4) */
    env->dr[7] &= ~0x55ull;

    /* load it: CR3, registers, EFLAGS, then the segments (may fault) */
    if (tss32 && (env->cr[0] & CR0_PG_MASK)) {
        cpu_x86_update_cr3(env, new_cr3);
    }
    for (i = 0; i < 8; i++) {
        env->regs[i] =
            tss32 ? regs[i] : (env->regs[i] & ~0xffffull) | (regs[i] & 0xffff);
    }
    env->rip = new_eip;
    cpu_load_eflags(env, new_eflags | 2,
                    tss32 ? ~0ull : 0xffffull & ~(uint64_t)VM_MASK);
    /* the selectors first, so a fault below shows the new task's */
    for (i = 0; i < 6; i++) {
        env->segs[i].selector = sels[i];
    }
    env->ldt.selector = ldt;
    if (new_eflags & VM_MASK) {
        for (i = 0; i < 6; i++) {
            cpu_x86_load_seg_cache(env, i, sels[i], (uint64_t)sels[i] << 4,
                                   0xffff,
                                   DESC_P_MASK | DESC_S_MASK | DESC_W_MASK |
                                       DESC_A_MASK | (3 << DESC_DPL_SHIFT));
        }
        x86_update_hflags(env);
        return;
    }
    /* CPL = the new CS's RPL */
    env->hflags = (env->hflags & ~HF_CPL_MASK) | (sels[R_CS] & 3);
    if (ldt & 4) {
        x86_raise_exception_err_ra(env, EXCP0A_TSS, ldt & 0xfffc, ra);
    }
    if ((ldt & 0xfffc) == 0) {
        env->ldt.base = 0;
        env->ldt.limit = 0;
        env->ldt.flags = 0;
    } else {
        uint32_t l1, l2;
        uint64_t ptr;

        if (!x86_load_descriptor(env, ldt, &l1, &l2, &ptr, ra) ||
            (l2 & DESC_S_MASK) || ((l2 >> DESC_TYPE_SHIFT) & 0xf) != DESC_LDT) {
            x86_raise_exception_err_ra(env, EXCP0A_TSS, ldt & 0xfffc, ra);
        }
        if (!(l2 & DESC_P_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0A_TSS, ldt & 0xfffc, ra);
        }
        env->ldt.base = desc_base(l1, l2);
        env->ldt.limit = desc_limit(l1, l2);
        env->ldt.flags = desc_flags(l2);
    }
    load_task_seg(env, R_CS, sels[R_CS], ra);
    load_task_seg(env, R_SS, sels[R_SS], ra);
    load_task_seg(env, R_ES, sels[R_ES], ra);
    load_task_seg(env, R_DS, sels[R_DS], ra);
    load_task_seg(env, R_FS, sels[R_FS], ra);
    load_task_seg(env, R_GS, sels[R_GS], ra);
    x86_update_hflags(env);
    if (new_eip > env->segs[R_CS].limit) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
}
