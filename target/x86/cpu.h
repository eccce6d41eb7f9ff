/*
 * x86-64 CPU state as the translator, the helpers, linux-user and the
 * system-mode board glue see it.
 *
 * Interface: CPUX86State holds the 16 general registers, RIP (the offset
 * in CS), the lazily evaluated arithmetic flags (CC_OP scheme: the last
 * operation and its operands, flags computed on demand by cc_helper.c),
 * DF, the segment registers with their descriptor caches, the x87 stack
 * (80-bit registers, also the MMX registers), the 16 XMM registers and
 * MXCSR, and the system state (control/debug registers, descriptor
 * tables, MSRs).  hflags caches what the translator needs from the
 * system state (target/x86/SYSTEM.md has the table).  In user mode the
 * system state is what Linux gives a 64-bit process (CPL 3, 64-bit CS).
 * Follows the Intel SDM vol. 1 ch. 3 (basic execution environment),
 * ch. 8 (x87), ch. 10 (SSE), vol. 3A ch. 2-6 (system architecture,
 * segmentation, paging, protection, interrupts and exceptions).
 */
#ifndef TARGET_X86_CPU_H
#define TARGET_X86_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "accel/tcg/cpu-exec.h"

/* General register numbers (SDM Table 2-2 order). */
enum {
    R_EAX = 0,
    R_ECX = 1,
    R_EDX = 2,
    R_EBX = 3,
    R_ESP = 4,
    R_EBP = 5,
    R_ESI = 6,
    R_EDI = 7,
};

/* Segment register numbers (ModRM.reg of MOV Sreg). */
enum {
    R_ES = 0,
    R_CS = 1,
    R_SS = 2,
    R_DS = 3,
    R_FS = 4,
    R_GS = 5,
};

/* EFLAGS bits. */
#define CC_C       0x0001u
#define CC_P       0x0004u
#define CC_A       0x0010u
#define CC_Z       0x0040u
#define CC_S       0x0080u
#define CC_O       0x0800u
#define TF_MASK    0x0100u
#define IF_MASK    0x0200u
#define DF_MASK    0x0400u
#define IOPL_MASK  0x3000u
#define IOPL_SHIFT 12
#define NT_MASK    0x4000u
#define RF_MASK    0x10000u
#define VM_MASK    0x20000u
#define AC_MASK    0x40000u
#define VIF_MASK   0x80000u
#define VIP_MASK   0x100000u
#define ID_MASK    0x200000u
#define CC_ALL     (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)

/*
 * hflags: the state the translator depends on, kept by the helpers
 * (x86_update_hflags) and used as the TB flags (SYSTEM.md).
 */
#define HF_CPL_SHIFT         0
#define HF_INHIBIT_IRQ_SHIFT 3
#define HF_CS32_SHIFT        4
#define HF_SS32_SHIFT        5
#define HF_ADDSEG_SHIFT      6
#define HF_PE_SHIFT          7
#define HF_TF_SHIFT          8
#define HF_MP_SHIFT          9
#define HF_EM_SHIFT          10
#define HF_TS_SHIFT          11
#define HF_IOPL_SHIFT        12
#define HF_LMA_SHIFT         14
#define HF_CS64_SHIFT        15
#define HF_RF_SHIFT          16
#define HF_VM_SHIFT          17
#define HF_AC_SHIFT          18
#define HF_SMM_SHIFT         19
#define HF_OSFXSR_SHIFT      20
#define HF_SMAP_SHIFT        21
#define HF_PG_SHIFT          22
#define HF_OSXSAVE_SHIFT     23
#define HF_UMIP_SHIFT        24
#define HF_FSGSBASE_SHIFT    25
#define HF_TSD_SHIFT         26
/* TB flag only (get_tb_cpu_state): DR7 enables an instruction breakpoint */
#define HF_IBP_SHIFT         27

#define HF_CPL_MASK         (3u << HF_CPL_SHIFT)
#define HF_INHIBIT_IRQ_MASK (1u << HF_INHIBIT_IRQ_SHIFT)
#define HF_CS32_MASK        (1u << HF_CS32_SHIFT)
#define HF_SS32_MASK        (1u << HF_SS32_SHIFT)
#define HF_ADDSEG_MASK      (1u << HF_ADDSEG_SHIFT)
#define HF_PE_MASK          (1u << HF_PE_SHIFT)
#define HF_TF_MASK          (1u << HF_TF_SHIFT)
#define HF_MP_MASK          (1u << HF_MP_SHIFT)
#define HF_EM_MASK          (1u << HF_EM_SHIFT)
#define HF_TS_MASK          (1u << HF_TS_SHIFT)
#define HF_IOPL_MASK        (3u << HF_IOPL_SHIFT)
#define HF_LMA_MASK         (1u << HF_LMA_SHIFT)
#define HF_CS64_MASK        (1u << HF_CS64_SHIFT)
#define HF_RF_MASK          (1u << HF_RF_SHIFT)
#define HF_VM_MASK          (1u << HF_VM_SHIFT)
#define HF_AC_MASK          (1u << HF_AC_SHIFT)
#define HF_SMM_MASK         (1u << HF_SMM_SHIFT)
#define HF_OSFXSR_MASK      (1u << HF_OSFXSR_SHIFT)
#define HF_SMAP_MASK        (1u << HF_SMAP_SHIFT)
#define HF_PG_MASK          (1u << HF_PG_SHIFT)
#define HF_OSXSAVE_MASK     (1u << HF_OSXSAVE_SHIFT)
#define HF_UMIP_MASK        (1u << HF_UMIP_SHIFT)
#define HF_FSGSBASE_MASK    (1u << HF_FSGSBASE_SHIFT)
#define HF_TSD_MASK         (1u << HF_TSD_SHIFT)
#define HF_IBP_MASK         (1u << HF_IBP_SHIFT)

/*
 * DR7 breakpoint n: enabled (Ln or Gn) and its R/W field (00 execute, 01
 * write, 10 I/O, 11 read/write).
 */
static inline bool x86_dr7_enabled(uint64_t dr7, int n)
{
    return (dr7 >> (2 * n)) & 3;
}
static inline unsigned x86_dr7_rw(uint64_t dr7, int n)
{
    return (dr7 >> (16 + 4 * n)) & 3;
}
/* Whether DR7 enables an instruction (execute) breakpoint. */
static inline bool x86_dr7_has_ibp(uint64_t dr7)
{
    for (int n = 0; n < 4; n++) {
        if (x86_dr7_enabled(dr7, n) && x86_dr7_rw(dr7, n) == 0) {
            return true;
        }
    }
    return false;
}

/* hflags2 */
#define HF2_NMI_MASK (1u << 0) /* NMI blocked until the next IRET */
#define HF2_GIF_MASK (1u << 1) /* unused */

/* Segment descriptor flags (bits 8..23 of the high dword, in place). */
#define DESC_TYPE_SHIFT 8
#define DESC_TYPE_MASK  (0xfu << DESC_TYPE_SHIFT)
#define DESC_A_MASK     (1u << 8)  /* code/data: accessed */
#define DESC_W_MASK     (1u << 9)  /* data: writable */
#define DESC_R_MASK     (1u << 9)  /* code: readable */
#define DESC_E_MASK     (1u << 10) /* data: expand down */
#define DESC_C_MASK     (1u << 10) /* code: conforming */
#define DESC_CS_MASK    (1u << 11) /* code (vs data) */
#define DESC_S_MASK     (1u << 12) /* code/data (vs system) */
#define DESC_DPL_SHIFT  13
#define DESC_DPL_MASK   (3u << DESC_DPL_SHIFT)
#define DESC_P_MASK     (1u << 15)
#define DESC_AVL_MASK   (1u << 20)
#define DESC_L_MASK     (1u << 21)
#define DESC_B_MASK     (1u << 22)
#define DESC_G_MASK     (1u << 23)
/* System descriptor types (S = 0). */
#define DESC_TSS16_AVAIL 1
#define DESC_LDT         2
#define DESC_TSS16_BUSY  3
#define DESC_CALLGATE16  4
#define DESC_TASKGATE    5
#define DESC_INTGATE16   6
#define DESC_TRAPGATE16  7
#define DESC_TSS32_AVAIL 9
#define DESC_TSS32_BUSY  11
#define DESC_CALLGATE32  12
#define DESC_INTGATE32   14
#define DESC_TRAPGATE32  15

/* Control registers. */
#define CR0_PE_MASK (1u << 0)
#define CR0_MP_MASK (1u << 1)
#define CR0_EM_MASK (1u << 2)
#define CR0_TS_MASK (1u << 3)
#define CR0_ET_MASK (1u << 4)
#define CR0_NE_MASK (1u << 5)
#define CR0_WP_MASK (1u << 16)
#define CR0_AM_MASK (1u << 18)
#define CR0_NW_MASK (1u << 29)
#define CR0_CD_MASK (1u << 30)
#define CR0_PG_MASK (1u << 31)

#define CR4_VME_MASK        (1u << 0)
#define CR4_PVI_MASK        (1u << 1)
#define CR4_TSD_MASK        (1u << 2)
#define CR4_DE_MASK         (1u << 3)
#define CR4_PSE_MASK        (1u << 4)
#define CR4_PAE_MASK        (1u << 5)
#define CR4_MCE_MASK        (1u << 6)
#define CR4_PGE_MASK        (1u << 7)
#define CR4_PCE_MASK        (1u << 8)
#define CR4_OSFXSR_MASK     (1u << 9)
#define CR4_OSXMMEXCPT_MASK (1u << 10)
#define CR4_UMIP_MASK       (1u << 11)
#define CR4_LA57_MASK       (1u << 12)
#define CR4_FSGSBASE_MASK   (1u << 16)
#define CR4_PCIDE_MASK      (1u << 17)
#define CR4_OSXSAVE_MASK    (1u << 18)
#define CR4_SMEP_MASK       (1u << 20)
#define CR4_SMAP_MASK       (1u << 21)
#define CR4_PKE_MASK        (1u << 22)

/* EFER */
#define MSR_EFER_SCE   (1u << 0)
#define MSR_EFER_LME   (1u << 8)
#define MSR_EFER_LMA   (1u << 10)
#define MSR_EFER_NXE   (1u << 11)
#define MSR_EFER_FFXSR (1u << 14)

/* Page table entry bits (SDM vol. 3A 4.3-4.5). */
#define PG_PRESENT_MASK  (1ull << 0)
#define PG_RW_MASK       (1ull << 1)
#define PG_USER_MASK     (1ull << 2)
#define PG_PWT_MASK      (1ull << 3)
#define PG_PCD_MASK      (1ull << 4)
#define PG_ACCESSED_MASK (1ull << 5)
#define PG_DIRTY_MASK    (1ull << 6)
#define PG_PSE_MASK      (1ull << 7)
#define PG_GLOBAL_MASK   (1ull << 8)
#define PG_NX_MASK       (1ull << 63)

/* #PF error code bits */
#define PG_ERROR_P_MASK    0x01
#define PG_ERROR_W_MASK    0x02
#define PG_ERROR_U_MASK    0x04
#define PG_ERROR_RSVD_MASK 0x08
#define PG_ERROR_I_D_MASK  0x10
#define PG_ERROR_PK_MASK   0x20

/* MMU indexes (SYSTEM.md; accel/tcg has NB_MMU_MODES 8). */
#define MMU_KSMAP_IDX   0 /* supervisor, SMAP enforced */
#define MMU_USER_IDX    1
#define MMU_KNOSMAP_IDX 2 /* supervisor, SMAP off or EFLAGS.AC = 1 */
#define MMU_PHYS_IDX    3 /* no paging: helpers' physical accesses */

/* MSRs */
#define MSR_IA32_TSC               0x10
#define MSR_IA32_PLATFORM_ID       0x17
#define MSR_IA32_APICBASE          0x1b
#define MSR_IA32_FEATURE_CONTROL   0x3a
#define MSR_IA32_TSC_ADJUST        0x3b
#define MSR_IA32_SPEC_CTRL         0x48
#define MSR_IA32_PRED_CMD          0x49
#define MSR_IA32_UCODE_REV         0x8b
#define MSR_IA32_CORE_CAPABILITY   0xcf
#define MSR_MTRRcap                0xfe
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define MSR_IA32_SYSENTER_CS       0x174
#define MSR_IA32_SYSENTER_ESP      0x175
#define MSR_IA32_SYSENTER_EIP      0x176
#define MSR_MCG_CAP                0x179
#define MSR_MCG_STATUS             0x17a
#define MSR_MCG_CTL                0x17b
#define MSR_IA32_PERF_STATUS       0x198
#define MSR_IA32_MISC_ENABLE       0x1a0
#define MSR_MTRRphysBase0          0x200
#define MSR_MTRRphysMask7          0x20f
#define MSR_MTRRfix64K_00000       0x250
#define MSR_MTRRfix16K_80000       0x258
#define MSR_MTRRfix16K_A0000       0x259
#define MSR_MTRRfix4K_C0000        0x268
#define MSR_MTRRfix4K_F8000        0x26f
#define MSR_PAT                    0x277
#define MSR_MTRRdefType            0x2ff
#define MSR_MC0_CTL                0x400
#define X86_MCE_BANKS              10 /* MCG_CAP.Count (as QEMU) */
#define MSR_X2APIC_FIRST           0x800
#define MSR_X2APIC_LAST            0x8ff
#define MSR_IA32_XSS               0xda0
#define MSR_EFER                   0xc0000080
#define MSR_STAR                   0xc0000081
#define MSR_LSTAR                  0xc0000082
#define MSR_CSTAR                  0xc0000083
#define MSR_FMASK                  0xc0000084
#define MSR_FSBASE                 0xc0000100
#define MSR_GSBASE                 0xc0000101
#define MSR_KERNELGSBASE           0xc0000102
#define MSR_TSC_AUX                0xc0000103
#define MSR_VM_HSAVE_PA            0xc0010117
/* AMD (the system-mode CPU is AuthenticAMD) */
#define MSR_K7_EVNTSEL0        0xc0010000
#define MSR_K7_PERFCTR3        0xc0010007
#define MSR_K8_SYSCFG          0xc0010010
#define MSR_K7_HWCR            0xc0010015
#define MSR_K8_INT_PENDING_MSG 0xc0010055
#define MSR_K8_TSEG_ADDR       0xc0010112
#define MSR_K8_TSEG_MASK       0xc0010113
#define MSR_K8_VM_CR           0xc0010114
#define MSR_AMD64_DE_CFG       0xc0011029

/*
 * Lazy flags.  Each operation that sets flags stores its result in cc_dst,
 * an operand in cc_src (and cc_src2 for ADC/SBB carry-in) and its kind in
 * cc_op; cc_helper.c turns that back into EFLAGS bits.  The size variants
 * are consecutive: B, W, L, Q.
 */
typedef enum CCOp {
    CC_OP_DYNAMIC, /* translate time only: cc_op must be read from env */
    CC_OP_EFLAGS,  /* cc_src holds the flags themselves */
    CC_OP_CLR,     /* Z and P set, the rest clear (xor r,r) */
    CC_OP_POPCNT,  /* Z from cc_src == 0, the rest clear */

    CC_OP_MULB, /* dst = low half, src = 0 unless the high half is needed */
    CC_OP_MULW,
    CC_OP_MULL,
    CC_OP_MULQ,
    CC_OP_ADDB, /* dst = result, src = second operand */
    CC_OP_ADDW,
    CC_OP_ADDL,
    CC_OP_ADDQ,
    CC_OP_ADCB, /* dst = result, src = operand, src2 = carry in */
    CC_OP_ADCW,
    CC_OP_ADCL,
    CC_OP_ADCQ,
    CC_OP_SUBB, /* dst = result, src = subtrahend */
    CC_OP_SUBW,
    CC_OP_SUBL,
    CC_OP_SUBQ,
    CC_OP_SBBB, /* dst = result, src = subtrahend, src2 = borrow in */
    CC_OP_SBBW,
    CC_OP_SBBL,
    CC_OP_SBBQ,
    CC_OP_LOGICB, /* dst = result */
    CC_OP_LOGICW,
    CC_OP_LOGICL,
    CC_OP_LOGICQ,
    CC_OP_INCB, /* dst = result, src = C flag before */
    CC_OP_INCW,
    CC_OP_INCL,
    CC_OP_INCQ,
    CC_OP_DECB, /* dst = result, src = C flag before */
    CC_OP_DECW,
    CC_OP_DECL,
    CC_OP_DECQ,
    CC_OP_SHLB, /* dst = result, src = value shifted by count-1 */
    CC_OP_SHLW,
    CC_OP_SHLL,
    CC_OP_SHLQ,
    CC_OP_SARB, /* dst = result, src = value shifted by count-1 (right) */
    CC_OP_SARW,
    CC_OP_SARL,
    CC_OP_SARQ,
    CC_OP_BMILGB, /* BLSR/BLSMSK/BLSI/ANDN/BZHI: dst = result, src = C */
    CC_OP_BMILGW,
    CC_OP_BMILGL,
    CC_OP_BMILGQ,
    CC_OP_NB,
} CCOp;

/* Size index of a sized CC op (0 = byte .. 3 = quad). */
static inline int cc_op_size(CCOp op)
{
    return (op - CC_OP_MULB) & 3;
}

/* One 128-bit XMM register, viewed at every lane width. */
typedef union XMMReg {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t l[4];
    uint64_t q[2];
    int8_t sb[16];
    int16_t sw[8];
    int32_t sl[4];
    int64_t sq[2];
    float s[4];
    double d[2];
} XMMReg;

/* One x87 register: 64-bit significand + sign/exponent; MMX uses mant. */
typedef struct FPReg {
    uint64_t mant;
    uint16_t sexp;
    uint16_t pad[3];
} FPReg;

/*
 * Exceptions raised by the translator/helpers.  User mode: returned by
 * cpu_exec.  System mode: delivered through the IDT by do_interrupt.
 */
enum {
    EXCP00_DIVZ = 0,
    EXCP01_DB = 1,
    EXCP02_NMI = 2,
    EXCP03_INT3 = 3,
    EXCP04_INTO = 4,
    EXCP05_BOUND = 5,
    EXCP06_ILLOP = 6,
    EXCP07_PREX = 7,
    EXCP08_DBLE = 8,
    EXCP09_XERR = 9,
    EXCP0A_TSS = 10,
    EXCP0B_NOSEG = 11,
    EXCP0C_STACK = 12,
    EXCP0D_GPF = 13,
    EXCP0E_PAGE = 14,
    EXCP10_COPR = 16,
    EXCP11_ALGN = 17,
    EXCP12_MCHK = 18,
    EXCP13_XMM = 19,
    EXCP_SYSCALL = 0x100, /* SYSCALL executed: rip is past it (user mode) */
};

/*
 * Target interrupt_request bits (system mode; accel/tcg's
 * CPU_INTERRUPT_TGT_* values, repeated so the user build needs no
 * softmmu header).
 */
#define CPU_INTERRUPT_NMI  0x0200 /* CPU_INTERRUPT_TGT_EXT_3 */
#define CPU_INTERRUPT_SMI  0x0008 /* CPU_INTERRUPT_TGT_EXT_0 */
#define CPU_INTERRUPT_INIT 0x0010 /* CPU_INTERRUPT_TGT_EXT_1 */
#define CPU_INTERRUPT_SIPI 0x0040 /* CPU_INTERRUPT_TGT_EXT_2 */
#define CPU_INTERRUPT_MCE  0x1000 /* CPU_INTERRUPT_TGT_EXT_4 */
#define CPU_INTERRUPT_POLL 0x0100 /* CPU_INTERRUPT_TGT_INT_0 */

/* A segment register and its descriptor cache. */
typedef struct SegmentCache {
    uint32_t selector;
    uint64_t base;
    uint32_t limit; /* in bytes - 1, granularity applied */
    uint32_t flags; /* DESC_* bits 8..23 of the descriptor's high dword */
} SegmentCache;

struct CPUX86State;
/* Board hooks of a system-mode CPU (hw/x86/x86-tcg.c fills them). */
typedef struct X86SysHooks {
    /* INTR acknowledged: the vector, or -1 (spurious / none). */
    int (*get_interrupt)(struct CPUX86State *env);
    uint64_t (*apic_base_read)(struct CPUX86State *env);
    void (*apic_base_write)(struct CPUX86State *env, uint64_t val);
    uint8_t (*tpr_read)(struct CPUX86State *env);
    void (*tpr_write)(struct CPUX86State *env, uint8_t tpr);
    /* optional: x2APIC MSRs 0x800-0x8ff; false = #GP */
    bool (*x2apic_msr_read)(struct CPUX86State *env, uint32_t msr,
                            uint64_t *val);
    bool (*x2apic_msr_write)(struct CPUX86State *env, uint32_t msr,
                             uint64_t val);
    /* Shutdown: machine reset, or exit with -no-reboot. */
    void (*triple_fault)(struct CPUX86State *env);
    void (*apic_poll)(struct CPUX86State *env); /* optional */
} X86SysHooks;

typedef struct CPUX86State {
    uint64_t regs[16];
    uint64_t rip;

    /* Lazy flags (see CCOp). */
    uint64_t cc_dst;
    uint64_t cc_src;
    uint64_t cc_src2;
    uint32_t cc_op;
    /* Direction: +1 or -1. */
    int32_t df;
    /* EFLAGS bits other than the arithmetic ones and DF (ID, AC, IF...). */
    uint64_t eflags;

    /* ES CS SS DS FS GS (R_ES..R_GS) */
    SegmentCache segs[6];

    /* x87: top of stack, status (without TOP), control, tags (1 = empty). */
    uint32_t fpstt;
    uint16_t fpus;
    uint16_t fpuc;
    uint8_t fptags[8];
    FPReg fpregs[8];
    uint64_t fpip;
    uint64_t fpdp;
    uint16_t fpop;

    uint32_t mxcsr;
    XMMReg xmm[16];
    XMMReg xmm_t0; /* scratch for helpers */

    /* Faults: vector, error code. */
    int exception_index;
    int error_code;
    /* Delivery of the pending exception: software INT n (next eip). */
    int exception_is_int;
    uint64_t exception_next_eip;
    /* Vector being delivered (-1: none), for double/triple faults. */
    int old_exception;

    /* Time stamp counter offset (RDTSC = host TSC + offset). */
    uint64_t tsc_offset;
    /* IA32_TSC_AUX for RDTSCP/RDPID (Linux: cpu number). */
    uint32_t tsc_aux;

    /* ---- system state (user mode: fixed, see cpu_x86_reset) ---- */
    SegmentCache ldt, tr;
    SegmentCache gdt, idt; /* base + limit only */
    uint64_t cr[5];        /* cr[0], cr[2] (fault address), cr[3], cr[4] */
    uint32_t hflags, hflags2;
    uint64_t efer, star, lstar, cstar, fmask, kernelgsbase;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t pat, msr_misc_enable, xcr0, xss;
    uint64_t dr[8];
    uint64_t a20_mask;
    uint64_t mtrr_deftype;
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[16]; /* base0, mask0, base1, ... */
    uint64_t mcg_status, mcg_ctl;
    uint64_t mce_banks[X86_MCE_BANKS * 4]; /* MCi_CTL, STATUS, ADDR, MISC */
    uint64_t msr_spec_ctrl;
    uint64_t msr_amd_hwcr, msr_amd_de_cfg;
    /* Wait-for-SIPI state after INIT (application processors). */
    bool wait_sipi;
    uint8_t sipi_vector;
    /* MONITOR armed (MWAIT acts as HLT). */
    bool monitor_armed;
    /* The CPU's own APIC ID and index (CPUID.1:EBX, leaf 0xb). */
    uint32_t apic_id;
    uint32_t nr_cpus;
    /* Board hooks (system mode), NULL in user mode. */
    const X86SysHooks *sys_hooks;
    /* The board's CPU (hw/x86/x86-cpu.h), system mode. */
    void *board_cpu;
} CPUX86State;

/* The CPU object: the generic CPUState first, then the x86 state. */
typedef struct X86ArchCPU {
    CPUState parent_obj;
    CPUX86State env;
} X86ArchCPU;

/* Allocates and resets a CPU and registers it with accel/tcg. */
X86ArchCPU *x86_arch_cpu_new(void);
/* Creates the TCG globals; once per process after tcg_exec_init(). */
void x86_translate_init(void);
extern const TCGCPUOps x86_tcg_ops;
/* -one-insn-per-tb */
extern bool x86_one_insn_per_tb;

/* EFLAGS as the guest sees it (computes the lazy flags). */
uint64_t cpu_compute_eflags(CPUX86State *env);
/* Loads EFLAGS from a value (POPF, sigreturn); mask = bits allowed. */
void cpu_load_eflags(CPUX86State *env, uint64_t eflags, uint64_t mask);
/* x87 FSW with TOP merged in. */
uint16_t cpu_get_fsw(CPUX86State *env);
void cpu_set_fsw(CPUX86State *env, uint16_t fsw);
/* Abridged FTW (FXSAVE format) and back. */
uint8_t cpu_get_abridged_ftw(CPUX86State *env);
void cpu_set_abridged_ftw(CPUX86State *env, uint8_t ftw);
/* Resets the state to what Linux gives a new x86-64 process. */
void cpu_x86_reset(CPUX86State *env);

/* ---- system state (seg_helper.c, misc_helper.c) ---------------------- */

/* Recomputes every hflags bit derivable from the state (after a load). */
void x86_update_hflags(CPUX86State *env);
/*
 * Loads one segment register's cache and updates CS32/SS32/CS64/ADDSEG
 * and CPL (CS: CPL = selector RPL outside vm86 and real mode; SS: the
 * CPL is kept).
 */
void cpu_x86_load_seg_cache(CPUX86State *env, int seg, uint32_t selector,
                            uint64_t base, uint32_t limit, uint32_t flags);
/* Mode-changing register writes with their side effects (TLB flushes). */
void cpu_x86_update_cr0(CPUX86State *env, uint64_t new_cr0);
void cpu_x86_update_cr3(CPUX86State *env, uint64_t new_cr3);
void cpu_x86_update_cr4(CPUX86State *env, uint64_t new_cr4);
void cpu_x86_set_efer(CPUX86State *env, uint64_t val);
/* The mmu index of implicit supervisor accesses (GDT/IDT/TSS, stacks). */
static inline int x86_mmu_index_kernel(CPUX86State *env)
{
    if ((env->hflags & HF_SMAP_MASK) &&
        ((env->hflags & HF_CPL_MASK) < 3 && (env->eflags & AC_MASK))) {
        return MMU_KNOSMAP_IDX;
    }
    return (env->hflags & HF_SMAP_MASK) ? MMU_KSMAP_IDX : MMU_KNOSMAP_IDX;
}
/* The mmu index of the current privilege level (data accesses). */
static inline int x86_mmu_index(CPUX86State *env)
{
    if ((env->hflags & HF_CPL_MASK) == 3) {
        return MMU_USER_IDX;
    }
    if ((env->hflags & HF_SMAP_MASK) && !(env->eflags & AC_MASK)) {
        return MMU_KSMAP_IDX;
    }
    return MMU_KNOSMAP_IDX;
}

/*
 * The guest's MXCSR control lives in the host MXCSR while guest code
 * runs (sse_helper.c): merge the host's exception flags into
 * env->mxcsr, or load env->mxcsr into the host.
 */
void x86_mxcsr_from_host(CPUX86State *env);
void x86_mxcsr_to_host(CPUX86State *env);

/* FXSAVE/FXRSTOR images (512 bytes), used by the signal frame too. */
void cpu_x86_fxsave(CPUX86State *env, void *dst512);
void cpu_x86_fxrstor(CPUX86State *env, const void *src512);

/* CPUID as this model advertises it (cpuid.c). */
void cpu_x86_cpuid(CPUX86State *env, uint32_t leaf, uint32_t subleaf,
                   uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx);
/* -cpu NAME: returns false for an unknown model; "help" lists them. */
bool cpu_x86_select_model(const char *name);
void cpu_x86_list_models(void);
/* AT_HWCAP as Linux computes it (CPUID.1:EDX). */
uint32_t cpu_x86_hwcap(void);
/* AT_HWCAP2 (bit 1: FSGSBASE available to user). */
uint32_t cpu_x86_hwcap2(void);

#endif
