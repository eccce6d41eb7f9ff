/*
 * x86-64 CPU state as the translator, the helpers and linux-user see it.
 *
 * Interface: CPUX86State holds everything a user-level x86-64 program can
 * observe: the 16 general registers, RIP, the lazily evaluated arithmetic
 * flags (CC_OP scheme: the last operation and its operands, flags computed
 * on demand by cc_helper.c), DF, FS/GS bases, the x87 stack (80-bit
 * registers, also the MMX registers), the 16 XMM registers and MXCSR.
 * Follows the Intel SDM vol. 1 ch. 3 (basic execution environment),
 * ch. 8 (x87), ch. 10 (SSE), vol. 3 ch. 6 (exceptions).
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
#define CC_C    0x0001u
#define CC_P    0x0004u
#define CC_A    0x0010u
#define CC_Z    0x0040u
#define CC_S    0x0080u
#define CC_O    0x0800u
#define TF_MASK 0x0100u
#define IF_MASK 0x0200u
#define DF_MASK 0x0400u
#define AC_MASK 0x40000u
#define ID_MASK 0x200000u
#define CC_ALL  (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)

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

/* Exceptions raised by the translator/helpers (returned by cpu_exec). */
enum {
    EXCP00_DIVZ = 0,
    EXCP01_DB = 1,
    EXCP03_INT3 = 3,
    EXCP04_INTO = 4,
    EXCP05_BOUND = 5,
    EXCP06_ILLOP = 6,
    EXCP07_PREX = 7,
    EXCP0D_GPF = 13,
    EXCP0E_PAGE = 14,
    EXCP10_COPR = 16,
    EXCP11_ALGN = 17,
    EXCP13_XMM = 19,
    EXCP_SYSCALL = 0x100, /* SYSCALL executed: rip is past it */
};

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

    uint64_t segs_base[6];
    uint16_t segs_sel[6];

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

    /* Faults: vector, error code, faulting address (CR2), bytes at RIP. */
    int exception_index;
    int error_code;
    uint64_t cr2;

    /* Time stamp counter offset (RDTSC = host TSC + offset). */
    uint64_t tsc_offset;
    /* IA32_TSC_AUX for RDTSCP/RDPID (Linux: cpu number). */
    uint32_t tsc_aux;
} CPUX86State;

/* The CPU object: the generic CPUState first, then the x86 state. */
typedef struct X86CPU {
    CPUState parent_obj;
    CPUX86State env;
} X86CPU;

/* Allocates and resets a CPU and registers it with accel/tcg. */
X86CPU *x86_cpu_new(void);
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
