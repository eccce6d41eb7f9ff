/*
 * x86 CPUs of a system-mode machine, as the board and the accelerator
 * share them: the architectural state the monitor shows and a board sets
 * for a direct kernel boot, and one X86CPU per vCPU.
 *
 * The board creates the CPUs (x86_cpu_new) and may give the boot CPU an
 * entry state instead of the power-on one; the accelerator creates a
 * vCPU per X86CPU when it starts, loads the reset state on every machine
 * reset, and implements ops->sync so that the monitor sees live values.
 * Follows the Intel SDM vol. 3A, 9.1.1 (processor state after reset).
 */
#ifndef HW_X86_X86_CPU_H
#define HW_X86_X86_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

enum {
    X86_SEG_ES,
    X86_SEG_CS,
    X86_SEG_SS,
    X86_SEG_DS,
    X86_SEG_FS,
    X86_SEG_GS,
    X86_SEG_COUNT
};

/* A segment register with its descriptor cache. */
typedef struct X86Segment {
    uint16_t selector;
    uint64_t base;
    uint32_t limit; /* in bytes - 1, granularity applied */
    uint8_t type;   /* descriptor type field, 4 bits */
    bool s, present, avl, l, db, g, unusable;
    uint8_t dpl;
} X86Segment;

/* What runs is described by mp_state, as KVM's MP states. */
enum {
    X86_MP_RUNNABLE = 0,
    X86_MP_WAIT_SIPI = 1, /* application processor before SIPI */
    X86_MP_HALTED = 3,
};

typedef struct X86CPUState {
    uint64_t regs[16]; /* RAX RCX RDX RBX RSP RBP RSI RDI R8-R15 */
    uint64_t rip;
    uint64_t rflags;
    X86Segment segs[X86_SEG_COUNT];
    X86Segment ldt, tr;
    uint64_t gdt_base, idt_base;
    uint16_t gdt_limit, idt_limit;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t efer;
    uint64_t apic_base;
    uint64_t dr[8];
    uint32_t mp_state;
    /* x87/SSE, for the monitor */
    uint16_t fcw, fsw;
    uint8_t ftw; /* abridged: 1 bit per register, 1 = valid */
    uint32_t mxcsr;
    uint8_t fpregs[8][16];
    uint8_t xmm[16][16];
} X86CPUState;

typedef struct X86CPU X86CPU;

/* Implemented by the accelerator that runs the CPU. */
typedef struct X86CPUAccelOps {
    /* Refreshes cpu->env from the running vCPU (BQL held). */
    void (*sync_state)(X86CPU *cpu);
} X86CPUAccelOps;

struct X86CPU {
    int index;
    uint32_t apic_id;
    char *model;     /* -cpu, e.g. "qemu64", "host,+x2apic" */
    X86CPUState env; /* last synchronized state */
    /* Board-provided entry state for the boot CPU (direct kernel boot). */
    bool has_boot_state;
    X86CPUState boot_state;
    /* Program LINT0 as ExtINT and LINT1 as NMI, as firmware does. */
    bool bios_lapic_setup;
    int thread_id; /* host thread id of the vCPU, 0 before it runs */
    bool halted;
    const X86CPUAccelOps *ops;
    void *accel; /* accelerator's per-vCPU state */
    /*
     * The userspace local APIC ("apic" DeviceState *, hw/intc/apic.h)
     * when the board created one (no in-kernel irqchip: TCG, qtest);
     * NULL under KVM's in-kernel irqchip.  The accelerator connects it
     * to its vCPU with apic_set_cpu() and apic_set_current().
     */
    void *apic;
};

/* Every CPU, by index. */
extern GPtrArray *x86_cpus;

X86CPU *x86_cpu_new(int index, uint32_t apic_id, const char *model);
static inline X86CPU *x86_cpu_get(unsigned index)
{
    return x86_cpus && index < x86_cpus->len
               ? g_ptr_array_index(x86_cpus, index)
               : NULL;
}

/* The architectural power-on state (real mode at f000:fff0). */
void x86_cpu_power_on_state(X86CPUState *s, bool bsp);
/*
 * 32-bit flat protected mode, paging off, interrupts off, at eip, with
 * code selector cs and data selector ds describing 4 GiB segments whose
 * descriptors are in the GDT at gdt_base (limit gdt_limit).
 */
void x86_cpu_flat32_state(X86CPUState *s, uint32_t eip, uint16_t cs,
                          uint16_t ds, uint32_t gdt_base, uint16_t gdt_limit);
/* The state the CPU takes at machine reset. */
void x86_cpu_reset_state(X86CPU *cpu, X86CPUState *s);

/*
 * -cpu models of system emulation: whether the model part of NAME[,opts]
 * is known, and `-cpu help` text ("Available CPUs:" then one per line).
 */
bool x86_cpu_model_known(const char *cpu_type);
void x86_cpu_model_help(GString *out);

/* Calls the accelerator to refresh cpu->env. */
void x86_cpu_synchronize(X86CPU *cpu);
/* `info registers` text for one CPU (QEMU's layout). */
void x86_cpu_dump_state(X86CPU *cpu, GString *out);

#endif
