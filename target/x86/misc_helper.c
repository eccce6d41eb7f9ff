/*
 * System register helpers: control registers (mode changes and their TLB
 * flushes), debug registers, MSRs, INVLPG, HLT/MWAIT, port I/O, XSETBV,
 * RDPMC, RDRAND, the TSC of system mode.
 *
 * Follows the Intel SDM vol. 3A 2.5 (control registers), 9.8.5
 * (initializing IA-32e mode: LME + PG activate LMA), 4.10.4
 * (invalidation of TLBs: MOV CR3, INVLPG, CR0/CR4 changes), 11.11
 * (MTRRs), 11.12 (PAT), ch. 17 (debug registers), vol. 4 (MSRs) and
 * vol. 1 13.3 (XCR0).
 *
 * System mode takes the TSC from the virtual clock (1 tick per ns, i.e.
 * a 1 GHz TSC) so that Linux's calibration against the PIT, which also
 * runs on the virtual clock, is stable; a write to IA32_TSC adjusts
 * tsc_offset.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <x86intrin.h>

#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "target/x86/sys-internal.h"
#include "util/log.h"

#ifdef CONFIG_SOFTMMU
#include "system/main-loop.h"
#include "system/memory.h"
#endif

/* ---- RDRAND, XGETBV, single step: both modes ------------------------------
 */

uint64_t helper_rdrand(CPUX86State *env, uint32_t ot)
{
    uint64_t v = 0;
    uint64_t f;

    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v)) {
        v = __rdtsc() * 0x9e3779b97f4a7c15ull; /* never fails visibly */
    }
    switch (ot) {
    case 1:
        v &= 0xffff;
        break;
    case 2:
        v &= 0xffffffff;
        break;
    default:
        break;
    }
    /* CF = 1 (a value was returned), OF SF ZF AF PF = 0 */
    f = CC_C;
    env->cc_src = f;
    env->cc_op = CC_OP_EFLAGS;
    return v;
}
DEF_HELPER_INFO(rdrand, 0, HI_I64, 2, HI_PTR, HI_I32);

uint64_t helper_xgetbv(CPUX86State *env, uint32_t ecx)
{
    if (ecx == 0) {
        return env->xcr0;
    }
    x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
}
DEF_HELPER_INFO(xgetbv, 0, HI_I64, 2, HI_PTR, HI_I32);

void helper_single_step(CPUX86State *env)
{
    env->dr[6] |= 0x4000; /* BS */
    x86_raise_exception_err_ra(env, EXCP01_DB, 0, 0);
}
DEF_HELPER_INFO(single_step, 0, HI_VOID, 1, HI_PTR);

/*
 * Instruction breakpoints (SDM vol. 3B 18.2, 18.3.1.1): a fault before the
 * insn at pc runs; B0-B3 of DR6 report the breakpoints that matched (the
 * others cleared, as QEMU does).  RF suppresses the check for one insn
 * (the translator does not call this then).
 */
void helper_ibp_check(CPUX86State *env, uint64_t pc)
{
    uint64_t dr7 = env->dr[7], hit = 0;

    for (int n = 0; n < 4; n++) {
        uint64_t a = env->dr[n];
        if (!(env->hflags & HF_CS64_MASK)) {
            a = (uint32_t)a;
        }
        if (x86_dr7_enabled(dr7, n) && x86_dr7_rw(dr7, n) == 0 && a == pc) {
            hit |= 1u << n;
        }
    }
    if (hit) {
        env->dr[6] = (env->dr[6] & ~0xfull) | hit;
        x86_raise_exception_err_ra(env, EXCP01_DB, 0, GETPC());
    }
}
DEF_HELPER_INFO(ibp_check, 0, HI_VOID, 2, HI_PTR, HI_I64);

void helper_wbinvd(CPUX86State *env)
{
}
DEF_HELPER_INFO(wbinvd, 0, HI_VOID, 1, HI_PTR);

void helper_invd(CPUX86State *env)
{
}
DEF_HELPER_INFO(invd, 0, HI_VOID, 1, HI_PTR);

void helper_rsm(CPUX86State *env)
{
    x86_raise_exception_ra(env, EXCP06_ILLOP, GETPC());
}
DEF_HELPER_INFO(rsm, 0, HI_VOID, 1, HI_PTR);

void helper_pause(CPUX86State *env, uint32_t next_eip_addend)
{
}
DEF_HELPER_INFO(pause, 0, HI_VOID, 2, HI_PTR, HI_I32);

#ifdef CONFIG_SOFTMMU

static inline CPUState *cs_of(CPUX86State *env)
{
    return env_cpu(env);
}

void x86_cpu_tlb_flush_all(CPUX86State *env)
{
    tlb_flush(cs_of(env));
}

/* ---- TSC -------------------------------------------------------------------
 */

uint64_t cpu_x86_get_tsc(CPUX86State *env)
{
    return (uint64_t)qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + env->tsc_offset;
}

/* ---- control registers ------------------------------------------------------
 */

/* Recomputes the hflags that depend on CR0/CR4/EFER and the mode. */
static void update_mode_hflags(CPUX86State *env)
{
    uint32_t hf = (env->hflags & ~HF_CR_MASK) | x86_cr_hflags(env);

    if (!(env->cr[0] & CR0_PE_MASK)) {
        hf &= ~HF_CPL_MASK;
    }
    env->hflags = hf;
    /* CS64/CS32/ADDSEG depend on LMA and PE */
    cpu_x86_load_seg_cache(env, R_CS, env->segs[R_CS].selector,
                           env->segs[R_CS].base, env->segs[R_CS].limit,
                           env->segs[R_CS].flags);
    if (!(env->hflags & HF_CS64_MASK)) {
        env->hflags = (env->segs[R_SS].flags & DESC_B_MASK)
                          ? env->hflags | HF_SS32_MASK
                          : env->hflags & ~HF_SS32_MASK;
    }
}

void cpu_x86_update_cr0(CPUX86State *env, uint64_t new_cr0)
{
    uint64_t old = env->cr[0];

    new_cr0 |= CR0_ET_MASK;
    if ((old ^ new_cr0) & (CR0_PG_MASK | CR0_WP_MASK | CR0_PE_MASK)) {
        x86_cpu_tlb_flush_all(env);
    }
    if (!(old & CR0_PG_MASK) && (new_cr0 & CR0_PG_MASK) &&
        (env->efer & MSR_EFER_LME)) {
        env->efer |= MSR_EFER_LMA; /* entering IA-32e mode */
    } else if ((old & CR0_PG_MASK) && !(new_cr0 & CR0_PG_MASK) &&
               (env->efer & MSR_EFER_LMA)) {
        env->efer &= ~MSR_EFER_LMA;
    }
    env->cr[0] = new_cr0;
    update_mode_hflags(env);
}

/* A CR3 write keeps global pages (SDM 4.10.4.1). */
void cpu_x86_update_cr3(CPUX86State *env, uint64_t new_cr3)
{
    env->cr[3] = new_cr3;
    if (env->cr[0] & CR0_PG_MASK) {
        tlb_flush_nonglobal(cs_of(env));
    }
}

void cpu_x86_update_cr4(CPUX86State *env, uint64_t new_cr4)
{
    uint64_t old = env->cr[4];

    if ((old ^ new_cr4) &
        (CR4_PGE_MASK | CR4_PAE_MASK | CR4_PSE_MASK | CR4_SMEP_MASK |
         CR4_SMAP_MASK | CR4_PCIDE_MASK | CR4_PKE_MASK | CR4_LA57_MASK)) {
        x86_cpu_tlb_flush_all(env);
    }
    env->cr[4] = new_cr4;
    update_mode_hflags(env);
}

void cpu_x86_set_efer(CPUX86State *env, uint64_t val)
{
    if ((env->efer ^ val) & MSR_EFER_NXE) {
        x86_cpu_tlb_flush_all(env);
    }
    env->efer = val;
    update_mode_hflags(env);
}

/* CR4 bits this CPU model supports (cpuid.c decides what is advertised). */
uint64_t x86_cr4_supported(CPUX86State *env);

void helper_write_crN(CPUX86State *env, uint32_t reg, uint64_t val)
{
    uintptr_t ra = GETPC();

    switch (reg) {
    case 0:
        if ((env->hflags & HF_LMA_MASK) || (val >> 32)) {
            if (val >> 32) {
                x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
            }
        }
        if ((val & CR0_PG_MASK) && !(val & CR0_PE_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        if ((val & CR0_NW_MASK) && !(val & CR0_CD_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        if (!(env->cr[0] & CR0_PG_MASK) && (val & CR0_PG_MASK) &&
            (env->efer & MSR_EFER_LME) && !(env->cr[4] & CR4_PAE_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        if ((env->hflags & HF_CS64_MASK) && !(val & CR0_PG_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        cpu_x86_update_cr0(env, val);
        break;
    case 2:
        env->cr[2] = val;
        break;
    case 3:
        if ((env->hflags & HF_LMA_MASK) && (val >> 52)) {
            if (!((env->cr[4] & CR4_PCIDE_MASK) && (val >> 63) &&
                  !((val << 1) >> 53))) {
                x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
            }
        }
        if (env->cr[4] & CR4_PCIDE_MASK) {
            /* bit 63: keep the TLB (we flush anyway: correct, simpler) */
            val &= ~(1ull << 63);
        }
        if (!(env->hflags & HF_LMA_MASK)) {
            val = (uint32_t)val;
        }
        cpu_x86_update_cr3(env, val);
        break;
    case 4:
        if (val & ~x86_cr4_supported(env)) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "%s: CR4 bits 0x%llx not supported\n", __func__,
                          (unsigned long long)(val & ~x86_cr4_supported(env)));
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        if ((env->hflags & HF_LMA_MASK) && !(val & CR4_PAE_MASK)) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        if ((val & CR4_PCIDE_MASK) && !(env->cr[4] & CR4_PCIDE_MASK) &&
            ((env->cr[3] & 0xfff) || !(env->hflags & HF_LMA_MASK))) {
            x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
        }
        cpu_x86_update_cr4(env, val);
        break;
    case 8:
        if (env->sys_hooks && env->sys_hooks->tpr_write) {
            env->sys_hooks->tpr_write(env, val & 0xf);
        }
        break;
    default:
        x86_raise_exception_ra(env, EXCP06_ILLOP, ra);
    }
}
DEF_HELPER_INFO(write_crN, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I64);

uint64_t helper_read_crN(CPUX86State *env, uint32_t reg)
{
    switch (reg) {
    case 0:
    case 2:
    case 3:
    case 4:
        return env->cr[reg];
    case 8:
        if (env->sys_hooks && env->sys_hooks->tpr_read) {
            return env->sys_hooks->tpr_read(env) & 0xf;
        }
        return 0;
    default:
        x86_raise_exception_ra(env, EXCP06_ILLOP, GETPC());
    }
}
DEF_HELPER_INFO(read_crN, 0, HI_I64, 2, HI_PTR, HI_I32);

void helper_lmsw(CPUX86State *env, uint64_t t0)
{
    /* PE can be set, not cleared; MP, EM, TS are loaded */
    cpu_x86_update_cr0(env, (env->cr[0] & ~0xeull) | (t0 & 0xf));
}
DEF_HELPER_INFO(lmsw, 0, HI_VOID, 2, HI_PTR, HI_I64);

void helper_clts(CPUX86State *env)
{
    env->cr[0] &= ~(uint64_t)CR0_TS_MASK;
    env->hflags &= ~HF_TS_MASK;
}
DEF_HELPER_INFO(clts, 0, HI_VOID, 1, HI_PTR);

/* ---- debug registers -------------------------------------------------------
 */

void helper_set_dr(CPUX86State *env, uint32_t reg, uint64_t val)
{
    uintptr_t ra = GETPC();

    if ((reg == 4 || reg == 5) && (env->cr[4] & CR4_DE_MASK)) {
        x86_raise_exception_ra(env, EXCP06_ILLOP, ra);
    }
    if (reg == 4) {
        reg = 6;
    } else if (reg == 5) {
        reg = 7;
    }
    if (reg >= 6 && (val >> 32)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    switch (reg) {
    case 6:
        env->dr[6] = (val & 0x0000f00f) | 0xffff0ff0;
        break;
    case 7:
        for (int n = 0; n < 4; n++) {
            if (x86_dr7_enabled(val, n) && x86_dr7_rw(val, n) != 0) {
                qemu_log_mask(LOG_UNIMP,
                              "x86: data/I/O breakpoint %d (DR7=0x%llx) "
                              "ignored\n",
                              n, (unsigned long long)val);
            }
        }
        env->dr[7] = (val & 0xffff2fff) | 0x400;
        break;
    default:
        env->dr[reg & 3] = val;
        break;
    }
}
DEF_HELPER_INFO(set_dr, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I64);

uint64_t helper_get_dr(CPUX86State *env, uint32_t reg)
{
    if ((reg == 4 || reg == 5) && (env->cr[4] & CR4_DE_MASK)) {
        x86_raise_exception_ra(env, EXCP06_ILLOP, GETPC());
    }
    if (reg == 4) {
        reg = 6;
    } else if (reg == 5) {
        reg = 7;
    }
    return env->dr[reg & 7];
}
DEF_HELPER_INFO(get_dr, 0, HI_I64, 2, HI_PTR, HI_I32);

/* ---- MSRs -------------------------------------------------------------------
 */

/* EFER bits the model supports (LME/LMA only with long mode). */
uint64_t x86_efer_supported(CPUX86State *env);

#define MTRR_CAP_VCNT     8
#define MSR_MTRRcap_VALUE (MTRR_CAP_VCNT | (1 << 8) | (1 << 10)) /* FIX, WC */

/* The MSRs with side effects or checks: read/write functions. */
static bool msr_tsc_read(CPUX86State *env, uint64_t *val)
{
    *val = cpu_x86_get_tsc(env);
    return true;
}

static bool msr_tsc_write(CPUX86State *env, uint64_t val)
{
    env->tsc_offset = val - (uint64_t)qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    return true;
}

static bool msr_apicbase_read(CPUX86State *env, uint64_t *val)
{
    const X86SysHooks *h = env->sys_hooks;

    *val = h && h->apic_base_read ? h->apic_base_read(env) : 0xfee00900;
    return true;
}

static bool msr_apicbase_write(CPUX86State *env, uint64_t val)
{
    const X86SysHooks *h = env->sys_hooks;

    if (h && h->apic_base_write) {
        h->apic_base_write(env, val);
    }
    return true;
}

static bool msr_efer_write(CPUX86State *env, uint64_t val)
{
    if (val & ~x86_efer_supported(env)) {
        return false;
    }
    /* LMA is read-only; LME cannot change while paging is on */
    val = (val & ~(uint64_t)MSR_EFER_LMA) | (env->efer & MSR_EFER_LMA);
    if ((env->cr[0] & CR0_PG_MASK) && ((val ^ env->efer) & MSR_EFER_LME)) {
        return false;
    }
    cpu_x86_set_efer(env, val);
    return true;
}

static bool msr_tsc_aux_read(CPUX86State *env, uint64_t *val)
{
    *val = env->tsc_aux;
    return true;
}

static bool msr_tsc_aux_write(CPUX86State *env, uint64_t val)
{
    env->tsc_aux = (uint32_t)val;
    return true;
}

static bool msr_mcg_ctl_write(CPUX86State *env, uint64_t val)
{
    if (val != 0 && val != ~0ull) {
        return false; /* all enabled or all disabled */
    }
    env->mcg_ctl = val;
    return true;
}

/*
 * One MSR.  An MSR with a field reads the uint64_t at offset in
 * CPUX86State and writes it with wmask applied; one without reads value
 * and ignores writes; read/write functions, where set, do the access
 * instead (false: #GP).  MSR_NO_READ / MSR_NO_WRITE make that access
 * #GP.
 */
enum {
    MSR_FIELD = 1 << 0,
    MSR_NO_READ = 1 << 1,
    MSR_NO_WRITE = 1 << 2,
};

typedef struct X86Msr {
    uint32_t index;
    uint32_t flags;
    size_t offset;
    uint64_t wmask;
    uint64_t value;
    bool (*read)(CPUX86State *env, uint64_t *val);
    bool (*write)(CPUX86State *env, uint64_t val);
} X86Msr;

#define FIELD(f) .flags = MSR_FIELD, .offset = offsetof(CPUX86State, f)

/* Sorted by index (x86_msr_find bisects). */
static const X86Msr x86_msrs[] = {
    {MSR_IA32_TSC, .read = msr_tsc_read, .write = msr_tsc_write},
    {MSR_IA32_PLATFORM_ID, MSR_NO_WRITE},
    {MSR_IA32_APICBASE, .read = msr_apicbase_read, .write = msr_apicbase_write},
    {MSR_IA32_FEATURE_CONTROL, MSR_NO_WRITE},
    {MSR_IA32_TSC_ADJUST},
    {MSR_IA32_SPEC_CTRL, FIELD(msr_spec_ctrl), .wmask = ~0ull},
    {MSR_IA32_PRED_CMD, MSR_NO_READ},
    {MSR_IA32_UCODE_REV},
    {MSR_MTRRcap, MSR_NO_WRITE, .value = MSR_MTRRcap_VALUE},
    {MSR_IA32_SYSENTER_CS, FIELD(sysenter_cs), .wmask = 0xffff},
    {MSR_IA32_SYSENTER_ESP, FIELD(sysenter_esp), .wmask = ~0ull},
    {MSR_IA32_SYSENTER_EIP, FIELD(sysenter_eip), .wmask = ~0ull},
    /* banks, MCG_CTL present */
    {MSR_MCG_CAP, MSR_NO_WRITE, .value = X86_MCE_BANKS | (1 << 8)},
    {MSR_MCG_STATUS, FIELD(mcg_status), .wmask = ~0ull},
    {MSR_MCG_CTL, FIELD(mcg_ctl), .write = msr_mcg_ctl_write},
    {MSR_IA32_MISC_ENABLE, FIELD(msr_misc_enable), .wmask = ~0ull},
    {MSR_PAT, FIELD(pat), .wmask = ~0ull},
    {MSR_MTRRdefType, FIELD(mtrr_deftype), .wmask = 0xcff},
    {MSR_EFER, FIELD(efer), .write = msr_efer_write},
    {MSR_STAR, FIELD(star), .wmask = ~0ull},
    {MSR_LSTAR, FIELD(lstar), .wmask = ~0ull},
    {MSR_CSTAR, FIELD(cstar), .wmask = ~0ull},
    {MSR_FMASK, FIELD(fmask), .wmask = ~0ull},
    {MSR_FSBASE, FIELD(segs[R_FS].base), .wmask = ~0ull},
    {MSR_GSBASE, FIELD(segs[R_GS].base), .wmask = ~0ull},
    {MSR_KERNELGSBASE, FIELD(kernelgsbase), .wmask = ~0ull},
    {MSR_TSC_AUX, .read = msr_tsc_aux_read, .write = msr_tsc_aux_write},
    {MSR_K8_SYSCFG},
    {MSR_K7_HWCR, FIELD(msr_amd_hwcr), .wmask = ~0ull},
    {MSR_K8_INT_PENDING_MSG},
    {MSR_K8_TSEG_ADDR, MSR_NO_WRITE},
    {MSR_K8_TSEG_MASK, MSR_NO_WRITE},
    {MSR_K8_VM_CR},
    {MSR_VM_HSAVE_PA},
    {MSR_AMD64_DE_CFG, FIELD(msr_amd_de_cfg), .wmask = ~0ull},
};

#undef FIELD

static const X86Msr *x86_msr_find(uint32_t msr)
{
    size_t lo = 0, hi = sizeof(x86_msrs) / sizeof(x86_msrs[0]);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (x86_msrs[mid].index == msr) {
            return &x86_msrs[mid];
        }
        if (x86_msrs[mid].index < msr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

static uint64_t *msr_field(CPUX86State *env, const X86Msr *m)
{
    return (uint64_t *)((char *)env + m->offset);
}

/*
 * The MSRs that are arrays in CPUX86State: the variable and fixed MTRRs
 * and the machine-check banks.  Returns NULL for any other MSR.
 */
static uint64_t *msr_array_slot(CPUX86State *env, uint32_t msr)
{
    if (msr >= MSR_MTRRphysBase0 && msr <= MSR_MTRRphysMask7) {
        return &env->mtrr_var[msr - MSR_MTRRphysBase0];
    }
    if (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * X86_MCE_BANKS) {
        return &env->mce_banks[msr - MSR_MC0_CTL];
    }
    if (msr == MSR_MTRRfix64K_00000) {
        return &env->mtrr_fixed[0];
    }
    if (msr == MSR_MTRRfix16K_80000 || msr == MSR_MTRRfix16K_A0000) {
        return &env->mtrr_fixed[1 + msr - MSR_MTRRfix16K_80000];
    }
    if (msr >= MSR_MTRRfix4K_C0000 && msr <= MSR_MTRRfix4K_F8000) {
        return &env->mtrr_fixed[3 + msr - MSR_MTRRfix4K_C0000];
    }
    return NULL;
}

/* Returns false for an MSR this CPU does not have (#GP). */
static bool x86_rdmsr(CPUX86State *env, uint32_t msr, uint64_t *val)
{
    const X86SysHooks *h = env->sys_hooks;
    const X86Msr *m = x86_msr_find(msr);
    uint64_t *slot;

    if (m) {
        if (m->flags & MSR_NO_READ) {
            return false;
        }
        if (m->read) {
            return m->read(env, val);
        }
        *val = (m->flags & MSR_FIELD) ? *msr_field(env, m) : m->value;
        return true;
    }
    if (msr >= MSR_K7_EVNTSEL0 && msr <= MSR_K7_PERFCTR3) {
        *val = 0; /* AMD legacy counters: present, never counting */
        return true;
    }
    slot = msr_array_slot(env, msr);
    if (slot) {
        *val = *slot;
        return true;
    }
    if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) {
        return h && h->x2apic_msr_read && h->x2apic_msr_read(env, msr, val);
    }
    return false;
}

static bool x86_wrmsr(CPUX86State *env, uint32_t msr, uint64_t val)
{
    const X86SysHooks *h = env->sys_hooks;
    const X86Msr *m = x86_msr_find(msr);
    uint64_t *slot;

    if (m) {
        if (m->flags & MSR_NO_WRITE) {
            return false;
        }
        if (m->write) {
            return m->write(env, val);
        }
        if (m->flags & MSR_FIELD) {
            *msr_field(env, m) = val & m->wmask;
        }
        return true;
    }
    if (msr >= MSR_K7_EVNTSEL0 && msr <= MSR_K7_PERFCTR3) {
        return true;
    }
    /* MCi_CTL: any value; STATUS/ADDR/MISC: only 0 (no errors) */
    if (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * X86_MCE_BANKS &&
        ((msr - MSR_MC0_CTL) & 3) != 0 && val != 0) {
        return false;
    }
    slot = msr_array_slot(env, msr);
    if (slot) {
        *slot = val;
        return true;
    }
    if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) {
        return h && h->x2apic_msr_write && h->x2apic_msr_write(env, msr, val);
    }
    return false;
}

void helper_rdmsr(CPUX86State *env)
{
    uint32_t msr = env->regs[R_ECX];
    uint64_t val = 0;

    if (!x86_rdmsr(env, msr, &val)) {
        qemu_log_mask(LOG_UNIMP, "x86: rdmsr 0x%x: not implemented, #GP\n",
                      msr);
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
    }
    env->regs[R_EAX] = (uint32_t)val;
    env->regs[R_EDX] = val >> 32;
}
DEF_HELPER_INFO(rdmsr, 0, HI_VOID, 1, HI_PTR);

void helper_wrmsr(CPUX86State *env)
{
    uint32_t msr = env->regs[R_ECX];
    uint64_t val =
        (uint32_t)env->regs[R_EAX] | ((uint64_t)env->regs[R_EDX] << 32);

    if (!x86_wrmsr(env, msr, val)) {
        qemu_log_mask(LOG_UNIMP,
                      "x86: wrmsr 0x%x <- 0x%llx: not implemented, #GP\n", msr,
                      (unsigned long long)val);
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
    }
}
DEF_HELPER_INFO(wrmsr, 0, HI_VOID, 1, HI_PTR);

/* ---- TLB, HLT, MWAIT --------------------------------------------------------
 */

void helper_invlpg(CPUX86State *env, uint64_t addr)
{
    tlb_flush_page(cs_of(env), addr);
}
DEF_HELPER_INFO(invlpg, 0, HI_VOID, 2, HI_PTR, HI_I64);

static void __attribute__((noreturn)) do_hlt(CPUX86State *env)
{
    CPUState *cs = cs_of(env);

    env->hflags &= ~HF_INHIBIT_IRQ_MASK;
    cs->halted = 1;
    cs->exception_index = EXCP_HLT;
    cpu_loop_exit(cs);
}

void helper_hlt(CPUX86State *env, uint32_t next_eip_addend)
{
    env->rip += next_eip_addend;
    do_hlt(env);
}
DEF_HELPER_INFO(hlt, 0, HI_VOID, 2, HI_PTR, HI_I32);

void helper_monitor(CPUX86State *env, uint64_t ptr)
{
    if ((uint32_t)env->regs[R_ECX] != 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
    }
    env->monitor_armed = true;
}
DEF_HELPER_INFO(monitor, 0, HI_VOID, 2, HI_PTR, HI_I64);

void helper_mwait(CPUX86State *env, uint32_t next_eip_addend)
{
    if ((uint32_t)env->regs[R_ECX] != 0) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
    }
    env->rip += next_eip_addend;
    if (!env->monitor_armed) {
        return;
    }
    env->monitor_armed = false;
    /* no store wakes us: behave as HLT (interrupts wake it) */
    do_hlt(env);
}
DEF_HELPER_INFO(mwait, 0, HI_VOID, 2, HI_PTR, HI_I32);

/* ---- port I/O
 * ---------------------------------------------------------------- */

static uint32_t io_read(uint32_t port, int size)
{
    uint8_t buf[4] = {0};
    bool locked = bql_locked();

    if (!locked) {
        bql_lock();
    }
    address_space_rw(&address_space_io, port & 0xffff, MEMTXATTRS_UNSPECIFIED,
                     buf, size, false);
    if (!locked) {
        bql_unlock();
    }
    return buf[0] | (buf[1] << 8) | (buf[2] << 16) | ((uint32_t)buf[3] << 24);
}

static void io_write(uint32_t port, uint32_t val, int size)
{
    uint8_t buf[4] = {val, val >> 8, val >> 16, val >> 24};
    bool locked = bql_locked();

    if (!locked) {
        bql_lock();
    }
    address_space_rw(&address_space_io, port & 0xffff, MEMTXATTRS_UNSPECIFIED,
                     buf, size, true);
    if (!locked) {
        bql_unlock();
    }
}

uint32_t helper_inb(CPUX86State *env, uint32_t port)
{
    return io_read(port, 1);
}
DEF_HELPER_INFO(inb, 0, HI_I32, 2, HI_PTR, HI_I32);

uint32_t helper_inw(CPUX86State *env, uint32_t port)
{
    return io_read(port, 2);
}
DEF_HELPER_INFO(inw, 0, HI_I32, 2, HI_PTR, HI_I32);

uint32_t helper_inl(CPUX86State *env, uint32_t port)
{
    return io_read(port, 4);
}
DEF_HELPER_INFO(inl, 0, HI_I32, 2, HI_PTR, HI_I32);

void helper_outb(CPUX86State *env, uint32_t port, uint32_t data)
{
    io_write(port, data, 1);
}
DEF_HELPER_INFO(outb, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);

void helper_outw(CPUX86State *env, uint32_t port, uint32_t data)
{
    io_write(port, data, 2);
}
DEF_HELPER_INFO(outw, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);

void helper_outl(CPUX86State *env, uint32_t port, uint32_t data)
{
    io_write(port, data, 4);
}
DEF_HELPER_INFO(outl, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);

/* ---- RDPMC, XSETBV
 * ------------------------------------------------------------ */

void helper_rdpmc(CPUX86State *env)
{
    /* no performance counters (CPUID leaf 0xa is 0) */
    x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
}
DEF_HELPER_INFO(rdpmc, 0, HI_VOID, 1, HI_PTR);

/* XCR0 bits the model supports (x87 | SSE). */
#define XCR0_SUPPORTED 3ull

void helper_xsetbv(CPUX86State *env)
{
    uintptr_t ra = GETPC();
    uint64_t val =
        (uint32_t)env->regs[R_EAX] | ((uint64_t)env->regs[R_EDX] << 32);

    if (x86_cpl(env) != 0 || (uint32_t)env->regs[R_ECX] != 0 || !(val & 1) ||
        (val & ~XCR0_SUPPORTED)) {
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, ra);
    }
    env->xcr0 = val;
}
DEF_HELPER_INFO(xsetbv, 0, HI_VOID, 1, HI_PTR);

#else /* CONFIG_USER_ONLY: privileged, #GP (SIGSEGV) */

#define USER_GP(NAME, ...)                                                     \
    void helper_##NAME(__VA_ARGS__)                                            \
    {                                                                          \
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());               \
    }

USER_GP(write_crN, CPUX86State *env, uint32_t reg, uint64_t val)
USER_GP(lmsw, CPUX86State *env, uint64_t t0)
USER_GP(clts, CPUX86State *env)
USER_GP(set_dr, CPUX86State *env, uint32_t reg, uint64_t val)
USER_GP(rdmsr, CPUX86State *env)
USER_GP(wrmsr, CPUX86State *env)
USER_GP(invlpg, CPUX86State *env, uint64_t addr)
USER_GP(hlt, CPUX86State *env, uint32_t next_eip_addend)
USER_GP(monitor, CPUX86State *env, uint64_t ptr)
USER_GP(mwait, CPUX86State *env, uint32_t next_eip_addend)
USER_GP(outb, CPUX86State *env, uint32_t port, uint32_t data)
USER_GP(outw, CPUX86State *env, uint32_t port, uint32_t data)
USER_GP(outl, CPUX86State *env, uint32_t port, uint32_t data)
USER_GP(rdpmc, CPUX86State *env)
USER_GP(xsetbv, CPUX86State *env)

uint64_t helper_read_crN(CPUX86State *env, uint32_t reg)
{
    x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
}
uint64_t helper_get_dr(CPUX86State *env, uint32_t reg)
{
    x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
}
uint32_t helper_inb(CPUX86State *env, uint32_t port)
{
    x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
}
uint32_t helper_inw(CPUX86State *env, uint32_t port)
{
    x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
}
uint32_t helper_inl(CPUX86State *env, uint32_t port)
{
    x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, GETPC());
}

DEF_HELPER_INFO(write_crN, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I64);
DEF_HELPER_INFO(read_crN, 0, HI_I64, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(lmsw, 0, HI_VOID, 2, HI_PTR, HI_I64);
DEF_HELPER_INFO(clts, 0, HI_VOID, 1, HI_PTR);
DEF_HELPER_INFO(set_dr, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I64);
DEF_HELPER_INFO(get_dr, 0, HI_I64, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(rdmsr, 0, HI_VOID, 1, HI_PTR);
DEF_HELPER_INFO(wrmsr, 0, HI_VOID, 1, HI_PTR);
DEF_HELPER_INFO(invlpg, 0, HI_VOID, 2, HI_PTR, HI_I64);
DEF_HELPER_INFO(hlt, 0, HI_VOID, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(monitor, 0, HI_VOID, 2, HI_PTR, HI_I64);
DEF_HELPER_INFO(mwait, 0, HI_VOID, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(inb, 0, HI_I32, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(inw, 0, HI_I32, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(inl, 0, HI_I32, 2, HI_PTR, HI_I32);
DEF_HELPER_INFO(outb, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);
DEF_HELPER_INFO(outw, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);
DEF_HELPER_INFO(outl, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);
DEF_HELPER_INFO(rdpmc, 0, HI_VOID, 1, HI_PTR);
DEF_HELPER_INFO(xsetbv, 0, HI_VOID, 1, HI_PTR);

#endif
