/*
 * target/x86 in system mode: reset values, INIT/SIPI, and the conversion
 * between CPUX86State and the board's X86CPUState (hw/x86/x86-cpu.h).
 *
 * Follows the Intel SDM vol. 3A 9.1.1 (processor state after reset and
 * INIT: table 9-1), 8.4 (MP initialization: wait-for-SIPI, the startup
 * vector), 11.11.2.1 / 11.12.4 (MTRR and PAT reset values).
 */
#include <string.h>

#include "target/x86/sys-cpu.h"
#include "system/main-loop.h"
#include "target/x86/sys-internal.h"

/* ---- segments -------------------------------------------------------------
 */

static uint32_t flags_from_board(const X86Segment *sg)
{
    uint32_t f = ((uint32_t)(sg->type & 0xf) << DESC_TYPE_SHIFT) |
                 (sg->s ? DESC_S_MASK : 0) |
                 ((uint32_t)(sg->dpl & 3) << DESC_DPL_SHIFT) |
                 (sg->present ? DESC_P_MASK : 0) |
                 (sg->avl ? DESC_AVL_MASK : 0) | (sg->l ? DESC_L_MASK : 0) |
                 (sg->db ? DESC_B_MASK : 0) | (sg->g ? DESC_G_MASK : 0);

    if (sg->unusable) {
        f &= ~DESC_P_MASK;
    }
    return f;
}

static void seg_from_board(SegmentCache *sc, const X86Segment *sg)
{
    sc->selector = sg->selector;
    sc->base = sg->base;
    sc->limit = sg->limit;
    sc->flags = flags_from_board(sg);
}

static void seg_to_board(X86Segment *sg, const SegmentCache *sc)
{
    memset(sg, 0, sizeof(*sg));
    sg->selector = sc->selector;
    sg->base = sc->base;
    sg->limit = sc->limit;
    sg->type = (sc->flags >> DESC_TYPE_SHIFT) & 0xf;
    sg->s = sc->flags & DESC_S_MASK;
    sg->dpl = (sc->flags >> DESC_DPL_SHIFT) & 3;
    sg->present = sc->flags & DESC_P_MASK;
    sg->avl = sc->flags & DESC_AVL_MASK;
    sg->l = sc->flags & DESC_L_MASK;
    sg->db = sc->flags & DESC_B_MASK;
    sg->g = sc->flags & DESC_G_MASK;
    sg->unusable = !sg->present;
}

/* ---- whole state ----------------------------------------------------------
 */

void x86_cpu_put_state(CPUX86State *env, const X86CPUState *s)
{
    int i;

    memcpy(env->regs, s->regs, sizeof(env->regs));
    env->rip = s->rip;
    for (i = 0; i < 6; i++) {
        seg_from_board(&env->segs[i], &s->segs[i]);
    }
    seg_from_board(&env->ldt, &s->ldt);
    seg_from_board(&env->tr, &s->tr);
    env->gdt.base = s->gdt_base;
    env->gdt.limit = s->gdt_limit;
    env->idt.base = s->idt_base;
    env->idt.limit = s->idt_limit;
    env->cr[0] = s->cr0 | CR0_ET_MASK;
    env->cr[2] = s->cr2;
    env->cr[3] = s->cr3;
    env->cr[4] = s->cr4;
    env->efer = s->efer;
    memcpy(env->dr, s->dr, sizeof(env->dr));
    env->dr[6] |= 0xffff0ff0;
    env->dr[7] |= 0x400;
    env->wait_sipi = s->mp_state == X86_MP_WAIT_SIPI;
    /* EFLAGS last: cpu_load_eflags keeps only what it is told */
    cpu_load_eflags(env, s->rflags, ~0ull);
    /* x87 / SSE */
    env->fpuc = s->fcw;
    cpu_set_fsw(env, s->fsw);
    cpu_set_abridged_ftw(env, s->ftw);
    env->mxcsr = s->mxcsr ? s->mxcsr : 0x1f80;
    for (i = 0; i < 8; i++) {
        FPReg *r = &env->fpregs[(env->fpstt + i) & 7];

        memcpy(&r->mant, s->fpregs[i], 8);
        memcpy(&r->sexp, s->fpregs[i] + 8, 2);
    }
    memcpy(env->xmm, s->xmm, sizeof(s->xmm));
    env->hflags = 0;
    x86_update_hflags(env);
    if (env->sys_hooks && env->sys_hooks->tpr_write && s->cr8) {
        env->sys_hooks->tpr_write(env, s->cr8 & 0xf);
    }
}

void x86_cpu_get_state(CPUX86State *env, X86CPUState *s)
{
    CPUState *cs = env_cpu(env);
    int i;

    memset(s, 0, sizeof(*s));
    memcpy(s->regs, env->regs, sizeof(s->regs));
    s->rip = env->rip;
    s->rflags = cpu_compute_eflags(env);
    for (i = 0; i < 6; i++) {
        seg_to_board(&s->segs[i], &env->segs[i]);
    }
    seg_to_board(&s->ldt, &env->ldt);
    seg_to_board(&s->tr, &env->tr);
    s->gdt_base = env->gdt.base;
    s->gdt_limit = env->gdt.limit;
    s->idt_base = env->idt.base;
    s->idt_limit = env->idt.limit;
    s->cr0 = env->cr[0];
    s->cr2 = env->cr[2];
    s->cr3 = env->cr[3];
    s->cr4 = env->cr[4];
    s->efer = env->efer;
    if (env->sys_hooks && env->sys_hooks->tpr_read) {
        s->cr8 = env->sys_hooks->tpr_read(env) & 0xf;
    }
    if (env->sys_hooks && env->sys_hooks->apic_base_read) {
        s->apic_base = env->sys_hooks->apic_base_read(env);
    }
    memcpy(s->dr, env->dr, sizeof(s->dr));
    s->mp_state = env->wait_sipi ? X86_MP_WAIT_SIPI
                  : cs->halted   ? X86_MP_HALTED
                                 : X86_MP_RUNNABLE;
    s->fcw = env->fpuc;
    s->fsw = cpu_get_fsw(env);
    s->ftw = cpu_get_abridged_ftw(env);
    s->mxcsr = env->mxcsr;
    for (i = 0; i < 8; i++) {
        FPReg *r = &env->fpregs[(env->fpstt + i) & 7];

        memcpy(s->fpregs[i], &r->mant, 8);
        memcpy(s->fpregs[i] + 8, &r->sexp, 2);
    }
    memcpy(s->xmm, env->xmm, sizeof(s->xmm));
}

/* Everything a reset sets that the board state does not describe. */
static void reset_msrs(CPUX86State *env)
{
    env->efer = 0;
    env->star = env->lstar = env->cstar = env->fmask = 0;
    env->kernelgsbase = 0;
    env->sysenter_cs = env->sysenter_esp = env->sysenter_eip = 0;
    env->pat = 0x0007040600070406ull;
    env->msr_misc_enable = 1; /* fast strings */
    env->xcr0 = 1;
    env->xss = 0;
    env->a20_mask = ~0ull;
    env->mtrr_deftype = 0;
    memset(env->mtrr_fixed, 0, sizeof(env->mtrr_fixed));
    memset(env->mtrr_var, 0, sizeof(env->mtrr_var));
    env->mcg_status = env->mcg_ctl = 0;
    memset(env->mce_banks, 0, sizeof(env->mce_banks));
    env->msr_spec_ctrl = 0;
    env->msr_amd_hwcr = env->msr_amd_de_cfg = 0;
    env->tsc_aux = 0;
    env->old_exception = -1;
    env->exception_is_int = 0;
    env->hflags2 = 0;
    env->monitor_armed = false;
}

void x86_cpu_sys_reset(CPUX86State *env, const X86CPUState *s)
{
    CPUState *cs = env_cpu(env);

    reset_msrs(env);
    memset(env->fpregs, 0, sizeof(env->fpregs));
    memset(env->xmm, 0, sizeof(env->xmm));
    env->fpstt = 0;
    /*
     * TSC = virtual clock (ns) + 0: every CPU reads the same clock, so the
     * TSCs are synchronized (Linux checks it when an AP comes up).
     */
    env->tsc_offset = 0;
    x86_cpu_put_state(env, s);
    env->hflags &= ~HF_INHIBIT_IRQ_MASK;
    cs->halted = env->wait_sipi;
    cs->exception_index = -1;
    tlb_flush(cs);
}

void x86_cpu_init_reset(CPUX86State *env)
{
    X86CPUState s;
    uint64_t pat = env->pat, misc = env->msr_misc_enable;
    uint64_t mtrr_def = env->mtrr_deftype, tsc = env->tsc_offset;
    uint64_t fixed[11], var[16];

    /* INIT keeps the MTRRs, PAT and TSC (SDM table 9-1) */
    memcpy(fixed, env->mtrr_fixed, sizeof(fixed));
    memcpy(var, env->mtrr_var, sizeof(var));
    x86_cpu_power_on_state(&s, false);
    x86_cpu_sys_reset(env, &s);
    env->pat = pat;
    env->msr_misc_enable = misc;
    env->mtrr_deftype = mtrr_def;
    env->tsc_offset = tsc;
    memcpy(env->mtrr_fixed, fixed, sizeof(fixed));
    memcpy(env->mtrr_var, var, sizeof(var));
    env->wait_sipi = true;
}

void x86_cpu_sipi(CPUX86State *env)
{
    uint32_t sel = (uint32_t)env->sipi_vector << 8;

    env->wait_sipi = false;
    env->rip = 0;
    cpu_x86_load_seg_cache(env, R_CS, sel, (uint64_t)sel << 4, 0xffff,
                           env->segs[R_CS].flags);
}

/* -d cpu in system mode: the board's `info registers` layout (QEMU's). */
void x86_cpu_sys_dump(CPUState *cs, FILE *f)
{
    CPUX86State *env = cs->env_ptr;
    X86CPU tmp;
    GString *out = g_string_new(NULL);

    memset(&tmp, 0, sizeof(tmp));
    if (env->board_cpu) {
        tmp = *(X86CPU *)env->board_cpu;
    }
    x86_cpu_get_state(env, &tmp.env);
    x86_cpu_dump_state(&tmp, out);
    fprintf(f, "%s", out->str);
    g_string_free(out, true);
}

void x86_cpu_firmware_mtrrs(CPUX86State *env)
{
    int i;

    /* fixed ranges WB, except the legacy VGA window A0000-BFFFF (UC) */
    for (i = 0; i < 11; i++) {
        env->mtrr_fixed[i] = 0x0606060606060606ull;
    }
    env->mtrr_fixed[MSR_MTRRfix16K_A0000 - MSR_MTRRfix16K_80000 + 1] = 0;
    memset(env->mtrr_var, 0, sizeof(env->mtrr_var));
    /* 2-4 GiB (the PCI hole) uncacheable */
    env->mtrr_var[0] = 0x80000000ull;
    env->mtrr_var[1] = ((~0x7fffffffull) & ((1ull << 39) - 1)) | 0x800;
    env->mtrr_deftype = 0xc06; /* MTRRs + fixed enabled, default WB */
}
