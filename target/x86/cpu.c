/*
 * x86-64 CPU object: reset state, EFLAGS/FSW/FTW views, FXSAVE images,
 * and the CPUID model.
 *
 * CPUID advertises exactly what the translator implements (SDM vol. 2A,
 * CPUID): x87, MMX, SSE, SSE2, SSE3, SSSE3, SSE4.1, SSE4.2, PCLMULQDQ,
 * AES, POPCNT, CX8, CX16, CMOV, FXSR, XSAVE (x87+SSE, XGETBV), MOVBE,
 * LZCNT, BMI1, BMI2, RDTSCP.  Not advertised: AVX (VEX is decoded for
 * BMI only), XSAVEOPT/XSAVEC, FSGSBASE, ERMS: glibc's ifunc selection
 * then picks only SSE2..SSE4.2 code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "target/x86/sys-internal.h"

bool x86_one_insn_per_tb;

/* CPUID.1:EDX */
#define CPUID_FP87    (1u << 0)
#define CPUID_DE      (1u << 2)
#define CPUID_PSE     (1u << 3)
#define CPUID_TSC     (1u << 4)
#define CPUID_MSR     (1u << 5)
#define CPUID_PAE     (1u << 6)
#define CPUID_CX8     (1u << 8)
#define CPUID_APIC    (1u << 9)
#define CPUID_SEP     (1u << 11)
#define CPUID_MTRR    (1u << 12)
#define CPUID_PGE     (1u << 13)
#define CPUID_CMOV    (1u << 15)
#define CPUID_PAT     (1u << 16)
#define CPUID_PSE36   (1u << 17)
#define CPUID_CLFLUSH (1u << 19)
#define CPUID_MMX     (1u << 23)
#define CPUID_FXSR    (1u << 24)
#define CPUID_SSE     (1u << 25)
#define CPUID_SSE2    (1u << 26)
/* what a system-mode CPU adds to CPUID.1:EDX */
#define CPUID_MCE (1u << 7)
#define CPUID_MCA (1u << 14)
#define CPUID_SYS_EDX                                                          \
    (CPUID_DE | CPUID_PSE | CPUID_MSR | CPUID_PAE | CPUID_MCE | CPUID_APIC |   \
     CPUID_SEP | CPUID_MTRR | CPUID_PGE | CPUID_MCA | CPUID_PAT | CPUID_PSE36)
/* CPUID.1:ECX */
#define CPUID_EXT_SSE3       (1u << 0)
#define CPUID_EXT_PCLMULQDQ  (1u << 1)
#define CPUID_EXT_MONITOR    (1u << 3)
#define CPUID_EXT_SSSE3      (1u << 9)
#define CPUID_EXT_CX16       (1u << 13)
#define CPUID_EXT_SSE41      (1u << 19)
#define CPUID_EXT_SSE42      (1u << 20)
#define CPUID_EXT_MOVBE      (1u << 22)
#define CPUID_EXT_POPCNT     (1u << 23)
#define CPUID_EXT_AES        (1u << 25)
#define CPUID_EXT_XSAVE      (1u << 26)
#define CPUID_EXT_OSXSAVE    (1u << 27)
#define CPUID_EXT_RDRAND     (1u << 30)
#define CPUID_EXT_HYPERVISOR (1u << 31)
/* CPUID.7.0:EBX */
#define CPUID_7_BMI1 (1u << 3)
#define CPUID_7_BMI2 (1u << 8)
#define CPUID_7_ERMS (1u << 9)
#define CPUID_7_SMEP (1u << 7)
#define CPUID_7_SMAP (1u << 20)
/* CPUID.80000001:ECX/EDX */
#define CPUID_8_LAHF    (1u << 0)
#define CPUID_8_ABM     (1u << 5)
#define CPUID_8_SYSCALL (1u << 11)
#define CPUID_8_NX      (1u << 20)
#define CPUID_8_RDTSCP  (1u << 27)
#define CPUID_8_LM      (1u << 29)

typedef struct X86CPUModel {
    const char *name;
    const char *desc;
    uint32_t feat1_edx, feat1_ecx, feat7_ebx, ext_ecx, ext_edx;
} X86CPUModel;

/* clang-format off */
static const X86CPUModel x86_models[] = {
    {"max", "all features Quasar implements",
     CPUID_FP87 | CPUID_TSC | CPUID_CX8 | CPUID_CMOV | CPUID_CLFLUSH |
         CPUID_MMX | CPUID_FXSR | CPUID_SSE | CPUID_SSE2,
     CPUID_EXT_SSE3 | CPUID_EXT_PCLMULQDQ | CPUID_EXT_SSSE3 |
         CPUID_EXT_CX16 | CPUID_EXT_SSE41 | CPUID_EXT_SSE42 |
         CPUID_EXT_MOVBE | CPUID_EXT_POPCNT | CPUID_EXT_AES |
         CPUID_EXT_XSAVE | CPUID_EXT_OSXSAVE,
     CPUID_7_BMI1 | CPUID_7_BMI2, CPUID_8_LAHF | CPUID_8_ABM,
     CPUID_8_SYSCALL | CPUID_8_NX | CPUID_8_RDTSCP | CPUID_8_LM},
    {"qemu64", "x86-64 baseline (SSE2)",
     CPUID_FP87 | CPUID_TSC | CPUID_CX8 | CPUID_CMOV | CPUID_CLFLUSH |
         CPUID_MMX | CPUID_FXSR | CPUID_SSE | CPUID_SSE2,
     CPUID_EXT_SSE3 | CPUID_EXT_CX16, 0, CPUID_8_LAHF,
     CPUID_8_SYSCALL | CPUID_8_NX | CPUID_8_LM},
};
/* clang-format on */

static const X86CPUModel *cur_model = &x86_models[0];

#ifdef CONFIG_SOFTMMU
/*
 * System mode presents an AMD-vendor CPU as QEMU's TCG does (qemu64:
 * family 15 model 107): Linux then needs no page table isolation, whose
 * CR3 switch on every kernel entry would flush our whole TLB each time.
 */
static bool sys_model_intel; /* -cpu kvm64 */
#endif

bool cpu_x86_select_model(const char *name)
{
    size_t i, n = strcspn(name, ",");

#ifdef CONFIG_SOFTMMU
    /* system mode: kvm64 is qemu64 with an Intel vendor */
    sys_model_intel = n == 5 && !strncmp(name, "kvm64", 5);
    if (sys_model_intel) {
        name = "qemu64";
        n = 6;
    }
#endif
    for (i = 0; i < sizeof(x86_models) / sizeof(x86_models[0]); i++) {
        if (strlen(x86_models[i].name) == n &&
            !strncmp(x86_models[i].name, name, n)) {
            cur_model = &x86_models[i];
            return true;
        }
    }
    return false;
}

/* CR4 bits a MOV to CR4 may set (misc_helper.c). */
uint64_t x86_cr4_supported(CPUX86State *env);
uint64_t x86_cr4_supported(CPUX86State *env)
{
    uint64_t m = CR4_TSD_MASK | CR4_DE_MASK | CR4_PSE_MASK | CR4_PAE_MASK |
                 CR4_MCE_MASK | CR4_PGE_MASK | CR4_PCE_MASK | CR4_OSFXSR_MASK |
                 CR4_OSXMMEXCPT_MASK;

    if (cur_model->feat1_ecx & CPUID_EXT_XSAVE) {
        m |= CR4_OSXSAVE_MASK;
    }
#ifdef CONFIG_SOFTMMU
    if (cur_model == &x86_models[0]) {
        m |= CR4_SMEP_MASK | CR4_SMAP_MASK;
    }
#endif
    return m;
}

/* EFER bits a WRMSR may set. */
uint64_t x86_efer_supported(CPUX86State *env);
uint64_t x86_efer_supported(CPUX86State *env)
{
    uint64_t m = MSR_EFER_SCE;

    if (cur_model->ext_edx & CPUID_8_LM) {
        m |= MSR_EFER_LME | MSR_EFER_LMA;
    }
    if (cur_model->ext_edx & CPUID_8_NX) {
        m |= MSR_EFER_NXE;
    }
    return m;
}

void cpu_x86_list_models(void)
{
    size_t i;

    printf("Available CPUs:\n");
    for (i = 0; i < sizeof(x86_models) / sizeof(x86_models[0]); i++) {
        printf("  %-10s %s\n", x86_models[i].name, x86_models[i].desc);
    }
}

uint32_t cpu_x86_hwcap(void)
{
    return cur_model->feat1_edx;
}

uint32_t cpu_x86_hwcap2(void)
{
    return 0;
}

static void set_str(uint32_t *r, const char *s)
{
    memcpy(r, s, 4);
}

void cpu_x86_cpuid(CPUX86State *env, uint32_t leaf, uint32_t sub, uint32_t *eax,
                   uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
    *eax = *ebx = *ecx = *edx = 0;
#ifdef CONFIG_SOFTMMU
    switch (leaf) {
    case 0:
        *eax = 0xd;
        if (sys_model_intel) {
            set_str(ebx, "Genu");
            set_str(edx, "ineI");
            set_str(ecx, "ntel");
        } else {
            set_str(ebx, "Auth");
            set_str(edx, "enti");
            set_str(ecx, "cAMD");
        }
        return;
    case 1:
        /* family 15 model 107 stepping 1 (QEMU's qemu64), own APIC ID */
        *eax = sys_model_intel ? 0x00000f61 : 0x00060fb1;
        *ebx = (env->apic_id << 24) | (1 << 16) | (8 << 8);
        *ecx =
            (cur_model->feat1_ecx & ~CPUID_EXT_OSXSAVE) | CPUID_EXT_HYPERVISOR;
        if (env->cr[4] & CR4_OSXSAVE_MASK) {
            *ecx |= CPUID_EXT_OSXSAVE;
        }
        *edx = cur_model->feat1_edx | CPUID_SYS_EDX;
        if (cur_model == &x86_models[0]) {
            *ecx |= CPUID_EXT_RDRAND;
        }
        return;
    case 7:
        /* max adds the supervisor protections the page walker enforces */
        if (sub == 0) {
            *ebx = cur_model->feat7_ebx;
            if (cur_model == &x86_models[0]) {
                *ebx |= CPUID_7_SMEP | CPUID_7_SMAP;
            }
        }
        return;
    case 4:
    case 2:
        if (!sys_model_intel) {
            return;
        }
        break;
    case 0x80000000:
        *eax = 0x8000000a;
        if (!sys_model_intel) {
            set_str(ebx, "Auth");
            set_str(edx, "enti");
            set_str(ecx, "cAMD");
        }
        return;
    case 0x80000005:
        /* AMD L1: 64K 2-way d and i, 64-byte lines */
        *ecx = (64 << 24) | (2 << 16) | (1 << 8) | 64;
        *edx = (64 << 24) | (2 << 16) | (1 << 8) | 64;
        return;
    case 0x80000007:
        /*
         * Invariant TSC: every vCPU reads the one virtual clock (constant
         * rate, synchronized), so Linux may trust it with several CPUs.
         */
        *edx = 1u << 8;
        return;
    case 0x80000008:
        *eax = 0x3027; /* 39-bit physical, 48-bit virtual */
        return;
    case 0x40000000:
        /* QEMU's TCG signature; no paravirtual features (leaf 0x40000001) */
        *eax = 0x40000001;
        set_str(ebx, "TCGT");
        set_str(ecx, "CGTC");
        set_str(edx, "GTCG");
        return;
    case 0x40000001:
        return;
    case 0x80000001:
        /* AMD mirrors the leaf 1 EDX bits it shares */
        *ecx = cur_model->ext_ecx;
        *edx = cur_model->ext_edx;
        if (!sys_model_intel) {
            *edx |= (cur_model->feat1_edx | CPUID_SYS_EDX) & 0x0183f3ff;
        }
        return;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
        /* the brand strings QEMU gives these models */
        uint32_t brand[12] = {0};
        const char *name = sys_model_intel ? "Common KVM processor"
                           : cur_model == &x86_models[0]
                               ? "QEMU TCG CPU version 2.5+"
                               : "QEMU Virtual CPU version 2.5+";
        const uint32_t *b = brand + (leaf - 0x80000002) * 4;

        memcpy(brand, name, strlen(name));
        *eax = b[0];
        *ebx = b[1];
        *ecx = b[2];
        *edx = b[3];
        return;
    }
    default:
        break;
    }
#endif
    switch (leaf) {
    case 0:
        *eax = 0xd;
        set_str(ebx, "Genu");
        set_str(edx, "ineI");
        set_str(ecx, "ntel");
        break;
    case 1:
        *eax = 0x000906ed;           /* family 6 model 158 */
        *ebx = (8 << 8) | (1 << 16); /* clflush 64 bytes, 1 logical cpu */
        *ecx = cur_model->feat1_ecx;
        *edx = cur_model->feat1_edx;
        break;
    case 2:
        *eax = 1;
        break;
    case 4: {
        /* Deterministic cache parameters: L1d 32K, L1i 32K, L2 256K, L3 8M */
        static const uint32_t caches[4][4] = {
            {0x121, 0x01c0003f, 63, 0},
            {0x122, 0x01c0003f, 63, 0},
            {0x143, 0x00c0003f, 1023, 0},
            {0x163, 0x03c0003f, 8191, 6},
        };
        if (sub < 4) {
            *eax = caches[sub][0];
            *ebx = caches[sub][1];
            *ecx = caches[sub][2];
            *edx = caches[sub][3];
        }
        break;
    }
    case 7:
        if (sub == 0) {
            *ebx = cur_model->feat7_ebx;
        }
        break;
    case 0xd:
        /* XSAVE: x87 and SSE only (XCR0 = 3), standard format, 576 bytes */
        if (cur_model->feat1_ecx & CPUID_EXT_XSAVE) {
            if (sub == 0) {
                *eax = 3;
                *ebx = 576;
                *ecx = 576;
            } else if (sub == 1) {
                *eax = 0; /* no XSAVEOPT/XSAVEC/XGETBV1/XSAVES */
            }
        }
        break;
    case 0x80000000:
        *eax = 0x80000008;
        break;
    case 0x80000001:
        *ecx = cur_model->ext_ecx;
        *edx = cur_model->ext_edx;
        break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
        static const char brand[48] = "Quasar Virtual CPU";
        const uint32_t *b = (const uint32_t *)brand + (leaf - 0x80000002) * 4;
        *eax = b[0];
        *ebx = b[1];
        *ecx = b[2];
        *edx = b[3];
        break;
    }
    case 0x80000006:
        *ecx = (256 << 16) | (8 << 12) | 64; /* L2: 256K, 8-way, 64B */
        break;
    case 0x80000008:
        *eax = 0x3027; /* 39-bit physical, 48-bit virtual */
        break;
    default:
        break;
    }
}

/* ---- flags and x87 views ---------------------------------------------- */

uint64_t cpu_compute_eflags(CPUX86State *env)
{
    uint64_t f = helper_cc_compute_all(env->cc_dst, env->cc_src, env->cc_src2,
                                       env->cc_op);
    return env->eflags | f | (env->df < 0 ? DF_MASK : 0) | 2;
}

void cpu_load_eflags(CPUX86State *env, uint64_t eflags, uint64_t mask)
{
    uint64_t cur = cpu_compute_eflags(env);

    eflags = (cur & ~mask) | (eflags & mask);
    env->cc_src = eflags & CC_ALL;
    env->cc_op = CC_OP_EFLAGS;
    env->df = (eflags & DF_MASK) ? -1 : 1;
    env->eflags = eflags & ~(CC_ALL | DF_MASK | 2);
}

uint16_t cpu_get_fsw(CPUX86State *env)
{
    return (env->fpus & ~0x3800) | ((env->fpstt & 7) << 11);
}

void cpu_set_fsw(CPUX86State *env, uint16_t fsw)
{
    env->fpstt = (fsw >> 11) & 7;
    env->fpus = fsw & ~0x3800;
}

uint8_t cpu_get_abridged_ftw(CPUX86State *env)
{
    uint8_t ftw = 0;
    int i;

    for (i = 0; i < 8; i++) {
        if (!env->fptags[i]) {
            ftw |= 1 << i;
        }
    }
    return ftw;
}

void cpu_set_abridged_ftw(CPUX86State *env, uint8_t ftw)
{
    int i;

    for (i = 0; i < 8; i++) {
        env->fptags[i] = !((ftw >> i) & 1);
    }
}

void cpu_x86_reset(CPUX86State *env)
{
    static const uint32_t data_flags = DESC_P_MASK | DESC_S_MASK |
                                       (3 << DESC_DPL_SHIFT) | DESC_W_MASK |
                                       DESC_A_MASK | DESC_B_MASK | DESC_G_MASK;
    int i;

    memset(env, 0, sizeof(*env));
    env->cc_op = CC_OP_EFLAGS;
    env->df = 1;
    env->eflags = IF_MASK;
    env->fpuc = 0x37f;
    env->mxcsr = 0x1f80;
    memset(env->fptags, 1, sizeof(env->fptags));
    /* What Linux gives a 64-bit process: CPL 3, flat, long mode. */
    for (i = 0; i < 6; i++) {
        env->segs[i].limit = 0xffffffff;
        env->segs[i].flags = data_flags;
    }
    env->segs[R_CS].selector = 0x33;
    env->segs[R_CS].flags = DESC_P_MASK | DESC_S_MASK | (3 << DESC_DPL_SHIFT) |
                            DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK |
                            DESC_L_MASK | DESC_G_MASK;
    env->segs[R_SS].selector = 0x2b;
    env->cr[0] = CR0_PE_MASK | CR0_MP_MASK | CR0_ET_MASK | CR0_NE_MASK |
                 CR0_WP_MASK | CR0_AM_MASK | CR0_PG_MASK;
    env->cr[4] = CR4_PAE_MASK | CR4_PGE_MASK | CR4_OSFXSR_MASK |
                 CR4_OSXMMEXCPT_MASK | CR4_OSXSAVE_MASK;
    env->efer = MSR_EFER_SCE | MSR_EFER_LME | MSR_EFER_LMA | MSR_EFER_NXE;
    env->xcr0 = 3;
    env->a20_mask = ~0ull;
    env->pat = 0x0007040600070406ull;
    env->old_exception = -1;
    env->hflags = 3 | HF_CS32_MASK | HF_SS32_MASK | HF_PE_MASK | HF_LMA_MASK |
                  HF_CS64_MASK | HF_OSFXSR_MASK | HF_PG_MASK | HF_OSXSAVE_MASK |
                  HF_MP_MASK;
}

/* FXSAVE layout: SDM vol. 1 table 10-2. */
void cpu_x86_fxsave(CPUX86State *env, void *dst)
{
    uint8_t *p = dst;
    int i;

    memset(p, 0, 512);
    *(uint16_t *)(p + 0) = env->fpuc;
    *(uint16_t *)(p + 2) = cpu_get_fsw(env);
    p[4] = cpu_get_abridged_ftw(env);
    *(uint16_t *)(p + 6) = env->fpop;
    *(uint64_t *)(p + 8) = env->fpip;
    *(uint64_t *)(p + 16) = env->fpdp;
    *(uint32_t *)(p + 24) = env->mxcsr;
    *(uint32_t *)(p + 28) = 0xffff; /* MXCSR_MASK */
    for (i = 0; i < 8; i++) {
        FPReg *r = &env->fpregs[(env->fpstt + i) & 7];
        memcpy(p + 32 + i * 16, &r->mant, 8);
        memcpy(p + 40 + i * 16, &r->sexp, 2);
    }
    memcpy(p + 160, env->xmm, 256);
}

void cpu_x86_fxrstor(CPUX86State *env, const void *src)
{
    const uint8_t *p = src;
    int i;

    env->fpuc = *(const uint16_t *)(p + 0);
    cpu_set_fsw(env, *(const uint16_t *)(p + 2));
    cpu_set_abridged_ftw(env, p[4]);
    env->fpop = *(const uint16_t *)(p + 6);
    env->fpip = *(const uint64_t *)(p + 8);
    env->fpdp = *(const uint64_t *)(p + 16);
    env->mxcsr = *(const uint32_t *)(p + 24) & 0xffff;
    x86_mxcsr_to_host(env);
    for (i = 0; i < 8; i++) {
        FPReg *r = &env->fpregs[(env->fpstt + i) & 7];
        memcpy(&r->mant, p + 32 + i * 16, 8);
        memcpy(&r->sexp, p + 40 + i * 16, 2);
    }
    memcpy(env->xmm, p + 160, 256);
}

/* ---- TCG hooks ---------------------------------------------------------- */

static void x86_get_tb_cpu_state(CPUState *cs, uint64_t *pc, uint64_t *cs_base,
                                 uint32_t *flags)
{
    CPUX86State *env = cs->env_ptr;

#ifdef CONFIG_USER_ONLY
    *pc = env->rip;
    *cs_base = 0;
    *flags = env->hflags;
#else
    *cs_base = env->segs[R_CS].base;
    *pc = *cs_base + env->rip;
    if (!(env->hflags & HF_CS64_MASK)) {
        *pc = (uint32_t)*pc;
    }
    /* TF, IOPL, RF, VM, AC are read from EFLAGS (same bit positions) */
    *flags =
        env->hflags |
        (env->eflags & (TF_MASK | IOPL_MASK | RF_MASK | VM_MASK | AC_MASK));
    /* MOV DR and task switches end their TB: DR7 is constant in a TB */
    if ((env->dr[7] & 0xff) && x86_dr7_has_ibp(env->dr[7])) {
        *flags |= HF_IBP_MASK;
    }
#endif
}

static void x86_restore_state_to_opc(CPUState *cs, const TranslationBlock *tb,
                                     const uint64_t *data)
{
    CPUX86State *env = cs->env_ptr;

#ifdef CONFIG_USER_ONLY
    env->rip = data[0];
#else
    env->rip = data[0] - tb->cs_base;
    if (!(tb->flags & HF_CS64_MASK)) {
        env->rip = (uint32_t)env->rip;
    }
#endif
    if (data[1] != CC_OP_DYNAMIC) {
        env->cc_op = data[1];
    }
}

#ifdef CONFIG_USER_ONLY
static void x86_record_sigsegv(CPUState *cs, uint64_t addr,
                               MMUAccessType access_type, bool maperr,
                               uintptr_t ra)
{
    CPUX86State *env = cs->env_ptr;

    env->cr[2] = addr;
    env->error_code =
        (access_type == MMU_DATA_STORE ? 2 : 0) | 4 | (maperr ? 0 : 1);
    cs->exception_index = EXCP0E_PAGE;
}
#endif

#ifdef CONFIG_USER_ONLY
static void x86_dump_state(CPUState *cs, FILE *f)
{
    CPUX86State *env = cs->env_ptr;
    static const char *names[16] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP",
                                    "RSI", "RDI", "R8",  "R9",  "R10", "R11",
                                    "R12", "R13", "R14", "R15"};
    int i;

    for (i = 0; i < 16; i++) {
        fprintf(f, "%-3s=%016llx%s", names[i], (unsigned long long)env->regs[i],
                (i & 3) == 3 ? "\n" : " ");
    }
    fprintf(f, "RIP=%016llx RFL=%08llx CC_OP=%u FS=%016llx GS=%016llx\n",
            (unsigned long long)env->rip,
            (unsigned long long)cpu_compute_eflags(env), env->cc_op,
            (unsigned long long)env->segs[R_FS].base,
            (unsigned long long)env->segs[R_GS].base);
}
#endif

#ifdef CONFIG_SOFTMMU
#include "target/x86/sys-cpu.h"

static int x86_cpu_mmu_index(CPUState *cs, bool ifetch)
{
    return x86_mmu_index(cs->env_ptr);
}

/* -d in_asm: the code segment's operand size picks the disassembler mode */
static const char *x86_disas_arch_tb(uint32_t flags)
{
    if (flags & HF_CS64_MASK) {
        return "x86_64";
    }
    return (flags & HF_CS32_MASK) ? "i386" : "i8086";
}
#endif

const TCGCPUOps x86_tcg_ops = {
    .env_offset = offsetof(X86ArchCPU, env),
    .insn_start_words = 2,
    .get_tb_cpu_state = x86_get_tb_cpu_state,
    .translate_code = x86_translate_code,
    .restore_state_to_opc = x86_restore_state_to_opc,
#ifdef CONFIG_SOFTMMU
    .dump_state = x86_cpu_sys_dump,
    .tlb_fill = x86_cpu_tlb_fill,
    .mmu_index = x86_cpu_mmu_index,
    .cpu_exec_interrupt = x86_cpu_exec_interrupt,
    .do_interrupt = x86_cpu_do_interrupt,
    .cpu_has_work = x86_cpu_has_work,
    .cpu_exec_enter = x86_cpu_exec_enter,
    .disas_arch_tb = x86_disas_arch_tb,
    /*
     * Indirect jumps probe the jump cache inline: pc = CS.base + rip
     * (32-bit outside 64-bit code), and every insn that changes the TB
     * flags (hflags, TF/IOPL/RF/VM/AC) ends its TB through the main loop
     * (SYSTEM.md "TB ends"); far jumps that end with a lookup (real mode)
     * change only CS.base.
     */
    .tb_key_inline = true,
    .pc_offset = offsetof(CPUX86State, rip),
    .cs_base_offset = offsetof(CPUX86State, segs[R_CS].base),
    .pc64_flags = HF_CS64_MASK,
#else
    .dump_state = x86_dump_state,
    .record_sigsegv = x86_record_sigsegv,
    /*
     * User mode: the TB key is rip alone (cs_base 0; the flags are the
     * constant user-mode hflags), so indirect jumps probe the jump cache
     * inline.
     */
    .tb_key_is_pc = true,
    .pc_offset = offsetof(CPUX86State, rip),
#endif
};

X86ArchCPU *x86_arch_cpu_new(void)
{
    X86ArchCPU *cpu = calloc(1, sizeof(*cpu));

    cpu_x86_reset(&cpu->env);
    cpu->parent_obj.env_ptr = &cpu->env;
    cpu_exec_init(&cpu->parent_obj, &x86_tcg_ops);
    return cpu;
}
