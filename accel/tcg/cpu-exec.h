/*
 * accel/tcg: the generic CPU, translation blocks, the execution loop, and
 * (user mode) guest page tracking for self-modifying code.
 *
 * A target embeds CPUState at offset 0 of its CPU struct, with its env
 * somewhere after it, and fills one TCGCPUOps:
 *
 *     typedef struct X86CPU { CPUState parent_obj; CPUX86State env; } X86CPU;
 *     static const TCGCPUOps x86_tcg_ops = {
 *         .env_offset = offsetof(X86CPU, env),
 *         .insn_start_words = 1,
 *         .get_tb_cpu_state = x86_get_tb_cpu_state,
 *         .translate_code = x86_translate_code,
 *         .restore_state_to_opc = x86_restore_state_to_opc,
 *         .record_sigsegv = x86_record_sigsegv,   // user mode
 *         .dump_state = x86_dump_state,            // -d cpu
 *         // TB key is just env->rip: indirect jumps probe inline
 *         .tb_key_is_pc = true,
 *         .pc_offset = offsetof(CPUX86State, rip),
 *     };
 *     tcg_exec_init(0);                           // once per process
 *     cpu_exec_init(&cpu->parent_obj, &x86_tcg_ops);  // per vCPU
 *     for (;;) {
 *         int trap = cpu_exec(&cpu->parent_obj);
 *         switch (trap) { case EXCP_SYSCALL: ...; case EXCP_INTERRUPT: ... }
 *     }
 *
 * cpu_exec returns when cpu->exception_index is set (by a helper calling
 * cpu_loop_exit, or by an exit_tb path), or with EXCP_INTERRUPT after
 * cpu_exit(cpu) was called from another thread or a signal handler.
 * Another thread's exclusive section (a TB flush) also kicks every vCPU
 * out with EXCP_INTERRUPT: the caller handles pending signals, if any,
 * and calls cpu_exec again.  The guest state is exact at every return.
 *
 * System mode (accel/tcg built with CONFIG_SOFTMMU: tcg_sys_dep, linked
 * into qemu-system-*).  Guest memory is reached through a per-vCPU
 * softmmu TLB (accel/tcg/cputlb.h) filled by the target's tlb_fill hook;
 * the target also fills the interrupt hooks below:
 *
 *     static const TCGCPUOps x86_sys_tcg_ops = {
 *         ...the user-mode fields above...,
 *         .tlb_fill = x86_tlb_fill,              // page walk
 *         .mmu_index = x86_mmu_index,            // CPL/SMAP -> TLB index
 *         .cpu_exec_interrupt = x86_exec_interrupt,
 *         .do_interrupt = x86_do_interrupt,      // exception -> IDT
 *         .cpu_has_work = x86_has_work,          // wakes HLT
 *     };
 *     cpu_exec_init(cs, &x86_sys_tcg_ops);
 *     cs->as = &address_space_memory;            // the default if NULL
 *     tcg_vcpu_start(cs, errp);                  // accel/tcg/tcg-accel-ops.h
 *
 * In system mode cpu_exec delivers guest exceptions itself: an
 * exception_index below EXCP_INTERRUPT goes to do_interrupt and
 * execution continues; pending cpu->interrupt_request bits are offered to
 * cpu_exec_interrupt at every return to the loop (TB boundaries that are
 * not chained: cpu_interrupt() makes the running TB chain exit at the
 * next TB start).  cpu_exec returns only for EXCP_INTERRUPT (kick: run
 * queued work, pause), EXCP_HLT/EXCP_HALTED (sleep until cpu_has_work),
 * EXCP_DEBUG and other exception indexes >= EXCP_INTERRUPT.  A target
 * must end the TB with exit_tb (not goto_tb) after an instruction that
 * may unmask interrupts (x86: STI, POPF, IRET, MOV SS...), or a pending
 * interrupt waits until the next unchained TB boundary.
 */
#ifndef ACCEL_TCG_CPU_EXEC_H
#define ACCEL_TCG_CPU_EXEC_H

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "tcg/tcg.h"

/* Generic exception indexes (targets use 0..0xffff for their own). */
#define EXCP_INTERRUPT 0x10000 /* cpu_exit() was called: check signals */
#define EXCP_HLT       0x10001
#define EXCP_DEBUG     0x10002
#define EXCP_HALTED    0x10003
#define EXCP_YIELD     0x10004
#define EXCP_ATOMIC    0x10005

#define TARGET_PAGE_BITS 12
#define TARGET_PAGE_SIZE (1ull << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK (~(TARGET_PAGE_SIZE - 1))

typedef struct CPUState CPUState;
typedef struct TranslationBlock TranslationBlock;

typedef enum MMUAccessType {
    MMU_DATA_LOAD = 0,
    MMU_DATA_STORE = 1,
    MMU_INST_FETCH = 2,
} MMUAccessType;

/*
 * cpu->interrupt_request bits (system mode).  The generic ones are
 * handled by cpu_exec; the TGT_* ones belong to the target (x86: NMI,
 * SMI, INIT, SIPI, MCE, VIRQ, POLL) and are offered to cpu_exec_interrupt.
 */
#define CPU_INTERRUPT_HARD      0x0002 /* external interrupt line */
#define CPU_INTERRUPT_EXITTB    0x0004 /* leave the TB chain (flags changed) */
#define CPU_INTERRUPT_HALT      0x0020 /* enter halted state */
#define CPU_INTERRUPT_DEBUG     0x0080 /* return EXCP_DEBUG */
#define CPU_INTERRUPT_RESET     0x0400 /* target-defined reset request */
#define CPU_INTERRUPT_TGT_EXT_0 0x0008
#define CPU_INTERRUPT_TGT_EXT_1 0x0010
#define CPU_INTERRUPT_TGT_EXT_2 0x0040
#define CPU_INTERRUPT_TGT_EXT_3 0x0200
#define CPU_INTERRUPT_TGT_EXT_4 0x1000
#define CPU_INTERRUPT_TGT_INT_0 0x0100
#define CPU_INTERRUPT_TGT_INT_1 0x0800
#define CPU_INTERRUPT_TGT_INT_2 0x2000

/* Softmmu TLB: one table per MMU index (see accel/tcg/cputlb.h). */
#define NB_MMU_MODES 8

/*
 * One TLB entry.  The comparators hold the page-aligned guest virtual
 * address for read, write and execute, with TLB_* flag bits (cputlb.h)
 * in the low bits that force the slow path; -1 = no access.  addend:
 * host address = guest virtual address + addend (RAM pages).
 */
typedef struct CPUTLBEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;
} CPUTLBEntry;
#define CPU_TLB_ENTRY_BITS 5 /* log2(sizeof(CPUTLBEntry)) */

/*
 * What generated code reads: mask = (entries - 1) << CPU_TLB_ENTRY_BITS,
 * so that ((addr >> (TARGET_PAGE_BITS - CPU_TLB_ENTRY_BITS)) & mask) is
 * the byte offset of the entry in table.
 */
typedef struct CPUTLBDescFast {
    uintptr_t mask;
    CPUTLBEntry *table;
} CPUTLBDescFast;

typedef struct TCGCPUOps {
    /* offsetof(ArchCPU, env): CPUState must be at offset 0. */
    ptrdiff_t env_offset;
    /* Words per insn_start (1..3), handed to restore_state_to_opc. */
    unsigned insn_start_words;
    /* The TB lookup key for the current state. */
    void (*get_tb_cpu_state)(CPUState *cpu, uint64_t *pc, uint64_t *cs_base,
                             uint32_t *flags);
    /*
     * Emits IR for the TB at tb->pc (tb->cs_base, tb->flags) with at most
     * max_insns guest insns, using translator_ld* to read code.  Must set
     * tb->size (guest bytes) and tb->icount.  The op list is already
     * started; the TB prologue (exit check) and epilogue are added by
     * accel/tcg.
     */
    void (*translate_code)(CPUState *cpu, TranslationBlock *tb, int max_insns);
    /* Sets the guest pc (etc.) from the insn_start words of one insn. */
    void (*restore_state_to_opc)(CPUState *cpu, const TranslationBlock *tb,
                                 const uint64_t *data);
    /*
     * User mode: records a SIGSEGV for the guest (e.g. set exception_index
     * and the fault address).  Called with state already restored to the
     * faulting insn; the caller then does cpu_loop_exit.
     */
    void (*record_sigsegv)(CPUState *cpu, uint64_t addr,
                           MMUAccessType access_type, bool maperr,
                           uintptr_t ra);
    /* -d cpu: prints the registers. */
    void (*dump_state)(CPUState *cpu, FILE *f);

    /* ---- system mode only (NULL in user mode) ---- */
    /*
     * Translates addr (the first byte of an access of size bytes that does
     * not cross a page) for access_type in mmu_idx.  On success: calls
     * tlb_set_page() (cputlb.h) for the page and returns true.  On a
     * fault: returns false if probe; else raises the guest exception
     * (sets cpu->exception_index and the target's fault state, then
     * cpu_loop_exit_restore(cpu, retaddr)) and does not return.
     * retaddr is 0 when the guest state is already exact (code fetch at a
     * TB start, a call outside generated code).
     */
    bool (*tlb_fill)(CPUState *cpu, uint64_t addr, int size,
                     MMUAccessType access_type, int mmu_idx, bool probe,
                     uintptr_t retaddr);
    /*
     * The MMU index (0..NB_MMU_MODES-1) of the current state, for code
     * fetch (ifetch) or data; used by translator_ld*, tb lookup and the
     * cpu_*_data_ra accessors of cpu-ldst.h.
     */
    int (*mmu_index)(CPUState *cpu, bool ifetch);
    /*
     * Offered every pending interrupt_request mask when cpu_exec is at a
     * TB boundary (guest state exact, BQL held).  Delivers what the state
     * allows (may call do_interrupt or cpu_loop_exit) and returns true if
     * it changed the control flow; pending bits it cannot take yet stay
     * set (and cost nothing until the next unchained TB boundary).
     */
    bool (*cpu_exec_interrupt)(CPUState *cpu, int interrupt_request);
    /*
     * Delivers cpu->exception_index (< EXCP_INTERRUPT) to the guest
     * (x86: through the IDT).  Called with the BQL held, state exact;
     * cpu_exec resets exception_index to -1 afterwards and continues.
     */
    void (*do_interrupt)(CPUState *cpu);
    /* Whether a halted CPU wakes up (x86: IF && HARD, NMI, INIT, ...). */
    bool (*cpu_has_work)(CPUState *cpu);
    /* Optional: called on entry to / before return from cpu_exec. */
    void (*cpu_exec_enter)(CPUState *cpu);
    void (*cpu_exec_exit)(CPUState *cpu);
    /*
     * Optional: a MO_ALIGN access at a misaligned addr.  Raises the guest
     * exception (cpu_loop_exit_restore(cpu, retaddr)); does not return.
     * NULL: alignment is not checked.
     */
    void (*do_unaligned_access)(CPUState *cpu, uint64_t addr,
                                MMUAccessType access_type, int mmu_idx,
                                uintptr_t retaddr);
    /*
     * -d in_asm: the guest ISA for the disassembler, "x86_64" (default
     * when NULL), "i386" or "aarch64".
     */
    const char *disas_arch;
    /*
     * Optional: the guest ISA of one TB from its flags (x86 system mode:
     * "x86_64", "i386" or "i8086" by the code segment); overrides
     * disas_arch.
     */
    const char *(*disas_arch_tb)(uint32_t flags);
    /*
     * Optional speed-up of indirect jumps: set tb_key_is_pc when
     * get_tb_cpu_state always returns cs_base 0, flags 0 and pc = the
     * uint64_t at env + pc_offset.  Then lookup_and_goto_ptr probes the
     * jump cache inline instead of calling a helper.
     */
    bool tb_key_is_pc;
    ptrdiff_t pc_offset;
    /*
     * The same in system mode (tb_key_inline), where the key has a
     * cs_base and flags: the target promises that
     *  - cs_base is the uint64_t at env + cs_base_offset and pc is cs_base
     *    + the uint64_t at env + pc_offset, truncated to 32 bits unless
     *    (flags & pc64_flags);
     *  - at every lookup_and_goto_ptr, the flags get_tb_cpu_state would
     *    return are those of the TB that executes it (an insn that
     *    changes them ends its TB with exit_tb, as direct chaining with
     *    goto_tb already requires).
     * The probe then compares the jump cache entry's pc and cs_base with
     * the current ones and its flags with the TB's.  QUASAR_DEBUG_TB_KEY=1
     * checks the promise on every indirect jump (slow).
     */
    bool tb_key_inline;
    ptrdiff_t cs_base_offset;
    uint32_t pc64_flags;
} TCGCPUOps;

#define TB_JMP_CACHE_BITS 12
#define TB_JMP_CACHE_SIZE (1u << TB_JMP_CACHE_BITS)

/*
 * Per-vCPU direct-mapped cache pc -> TB.  The key and the host code
 * address are kept in the entry so that a hit touches no TB.
 */
typedef struct TBJmpCacheEntry {
    struct TranslationBlock *tb; /* NULL: empty */
    uint64_t pc;
    uint64_t cs_base;
    uint32_t flags;
    const void *tc_ptr;
} TBJmpCacheEntry;

struct CPUTLB;
struct AddressSpace;
struct TCGWorkItem;

struct CPUState {
    const TCGCPUOps *tcg_ops;
    void *env_ptr;
    int cpu_index;
    /*
     * System mode: pending CPU_INTERRUPT_* bits (atomic; set with
     * cpu_interrupt, cleared with cpu_reset_interrupt or by the target).
     */
    volatile uint32_t interrupt_request;
    /* System mode: the CPU waits (HLT) until cpu_has_work. */
    volatile uint32_t halted;
    /* System mode: physical address space (NULL: address_space_memory). */
    struct AddressSpace *as;
    /* Set >= 0 to make cpu_exec return it; reset to -1 on return. */
    int32_t exception_index;
    /* Nonzero: leave generated code at the next TB start (atomic). */
    volatile int32_t exit_request;
    /* cflags for the next TB only (e.g. 1-insn TB after SMC); 0 = none. */
    uint32_t cflags_next_tb;
    bool running; /* inside cpu_exec (for exclusive sections) */
    bool can_do_io;
    sigjmp_buf jmp_env;
    TBJmpCacheEntry *tb_jmp_cache; /* TB_JMP_CACHE_SIZE entries */
    uint64_t tb_jmp_used;  /* system mode: page groups set since a clear */
    void *opaque;          /* the user of the CPU (linux-user TaskState) */
    struct CPUState *next; /* all CPUs list, in creation order */

    /* ---- system mode (accel/tcg/cputlb.c, tcg-accel-ops.c) ---- */
    /* Read by generated code at a negative offset from env. */
    CPUTLBDescFast tlb_fast[NB_MMU_MODES];
    struct CPUTLB *tlb; /* the rest of the TLB (private to cputlb.c) */
    /* vCPU thread state, under the vCPU lock of tcg-accel-ops.c */
    bool thread_created;
    bool stop;    /* asked to park (pause_all_vcpus) */
    bool stopped; /* parked */
    bool quit;    /* thread must exit */
    pthread_t thread;
    pthread_cond_t halt_cond; /* the thread sleeps here (halted/parked) */
    struct TCGWorkItem *work_first, *work_last;
};

/* The list of all CPUs, in creation order (for system mode's boards). */
extern CPUState *first_cpu;
#define CPU_FOREACH(cpu) for ((cpu) = first_cpu; (cpu); (cpu) = (cpu)->next)

/* The CPU whose code this thread is running (NULL outside cpu_exec). */
extern __thread CPUState *current_cpu;

/* The CPUState containing env (uses the registered env_offset). */
extern ptrdiff_t tcg_cpu_env_offset;
static inline CPUState *env_cpu(void *env)
{
    return (CPUState *)((char *)env - tcg_cpu_env_offset);
}

/* cflags */
#define CF_COUNT_MASK  0x000001ff /* max insns, 0 = default */
#define CF_NOCHAIN     0x00000200 /* don't chain into/out of this TB */
#define CF_INVALID     0x00010000 /* TB was invalidated */
#define CF_SINGLE_STEP 0x00020000

struct TranslationBlock {
    uint64_t pc;
    uint64_t cs_base;
    uint32_t flags;
    uint32_t cflags;
    uint32_t size;   /* guest bytes, set by translate_code */
    uint16_t icount; /* guest insns, set by translate_code */
    void *tc_ptr;    /* host code */
    uint32_t tc_size;
    /*
     * Code addresses: the guest virtual address in user mode; in system
     * mode the host address of the guest RAM/ROM byte ("ram address"), so
     * that one physical page mapped at several virtual (or physical, via
     * aliases) addresses is one set of TBs.  phys_pc: of the first byte,
     * part of the TB key.  page_addr: the pages it was read from
     * (page_addr[1] = -1 if one page).
     */
    uint64_t phys_pc;
    uint64_t page_addr[2];
    /* chaining: see accel/tcg/tb-maint.c */
    uint16_t jmp_reset_offset[2];
    uint16_t jmp_insn_offset[2];
    uintptr_t jmp_dest[2];      /* TB jumped to by slot n, tagged */
    uintptr_t jmp_list_head;    /* incoming jumps (tb | slot) */
    uintptr_t jmp_list_next[2]; /* next incoming jump in dest's list */
    struct TranslationBlock *hash_next;
    /* insn_start data for state restore */
    int nb_insns;
    uint16_t *insn_end_off;
    uint64_t *insn_data;
};

/* ---- setup ------------------------------------------------------------ */

/* Once per process: TCG context + code buffer (0 = default size). */
void tcg_exec_init(size_t code_size);
/* Per vCPU: registers the CPU (env must be at ops->env_offset). */
void cpu_exec_init(CPUState *cpu, const TCGCPUOps *ops);
/* Removes a CPU (thread exit). */
void cpu_exec_fini(CPUState *cpu);

/* ---- running ---------------------------------------------------------- */

/* Runs guest code until an exception/exit; returns the exception index. */
int cpu_exec(CPUState *cpu);

/* Make cpu leave generated code soon (thread/signal safe). */
void cpu_exit(CPUState *cpu);

/*
 * System mode: sets mask in cpu->interrupt_request and kicks the vCPU
 * (leaves the TB chain at the next TB start; wakes it if halted).  Safe
 * from any thread (devices call it with the BQL held).
 */
void cpu_interrupt(CPUState *cpu, int mask);
/* Clears mask in cpu->interrupt_request (atomic). */
void cpu_reset_interrupt(CPUState *cpu, int mask);

/* Longjmp back to cpu_exec (exception_index already set). */
void cpu_loop_exit(CPUState *cpu) __attribute__((noreturn));
/*
 * Like cpu_loop_exit, but first restores the guest state (pc) to the insn
 * containing host_retaddr (GETPC() in a helper, or the faulting host pc).
 */
void cpu_loop_exit_restore(CPUState *cpu, uintptr_t host_retaddr)
    __attribute__((noreturn));
/* Ends the TB after the current insn without an exception (state saved). */
void cpu_loop_exit_noexc(CPUState *cpu) __attribute__((noreturn));
/*
 * Restores guest state for a host pc inside generated code (or a helper's
 * return address).  Returns false if host_pc is not in generated code.
 */
bool cpu_restore_state(CPUState *cpu, uintptr_t host_pc);

/* The return address inside generated code, for use in helpers. */
#define GETPC() ((uintptr_t)__builtin_return_address(0))

/* Raise via record_sigsegv + cpu_loop_exit_restore (user mode). */
void cpu_loop_exit_sigsegv(CPUState *cpu, uint64_t addr,
                           MMUAccessType access_type, bool maperr, uintptr_t ra)
    __attribute__((noreturn));

/* ---- translation helpers (frontends) ---------------------------------- */

/* Guest code fetch during translate_code; records the pages used. */
uint8_t translator_ldub(CPUState *cpu, TranslationBlock *tb, uint64_t pc);
uint16_t translator_lduw(CPUState *cpu, TranslationBlock *tb, uint64_t pc);
uint32_t translator_ldl(CPUState *cpu, TranslationBlock *tb, uint64_t pc);
uint64_t translator_ldq(CPUState *cpu, TranslationBlock *tb, uint64_t pc);
/* Whether a direct goto_tb to dest is allowed (else lookup_and_goto_ptr). */
bool translator_use_goto_tb(TranslationBlock *tb, uint64_t dest);
/*
 * Whether the next insn (at next_pc) should start a new TB: true when it
 * is on another page than tb->pc, or the op buffer is full.  Frontends
 * check this, and max_insns, before each insn except the first.
 */
bool translator_should_stop(TranslationBlock *tb, uint64_t next_pc);

/* ---- TB cache --------------------------------------------------------- */

/*
 * Invalidates every TB containing guest code in [start, end) (code
 * addresses: guest addresses in user mode, host addresses of guest RAM
 * in system mode, see TranslationBlock.phys_pc); unlinks chained jumps
 * into them.  Safe from any thread.
 */
void tb_invalidate_phys_range(uint64_t start, uint64_t end);
/* Drops all TBs and resets the code buffer (stops all other CPUs). */
void tb_flush(CPUState *cpu);

typedef struct TBStats {
    uint64_t translated, flushes, invalidated, chained, lookups_slow;
    uint64_t lookups_helper; /* indirect jumps resolved by the C helper */
    uint64_t code_bytes, guest_bytes; /* generated / translated, all TBs */
} TBStats;
extern TBStats tb_stats;
/* One line of statistics (for a user's -d option or debugging). */
void tb_stats_print(FILE *f);

/* ---- exclusive sections (all other vCPUs stopped outside guest code) -- */

void start_exclusive(void);
void end_exclusive(void);

/* ---- user-mode guest memory ------------------------------------------- */

/* Host address of a guest address (user mode). */
static inline void *g2h(uint64_t addr)
{
    return (void *)(uintptr_t)(addr + guest_base);
}
static inline uint64_t h2g(const void *p)
{
    return (uint64_t)((uintptr_t)p - guest_base);
}

/* Guest page flags, kept by accel/tcg/user-exec.c, set by linux-user mmap */
#define PAGE_READ      0x01
#define PAGE_WRITE     0x02
#define PAGE_EXEC      0x04
#define PAGE_VALID     0x08
#define PAGE_WRITE_ORG 0x10 /* writable before write-protecting for SMC */
#define PAGE_ANON      0x20
#define PAGE_RWX       (PAGE_READ | PAGE_WRITE | PAGE_EXEC)

/*
 * Sets the flags of the guest pages covering [start, last] (inclusive);
 * flags without PAGE_VALID unmaps.  linux-user calls it after every host
 * mmap/munmap/mprotect/brk change.  Invalidates TBs in pages that lose
 * PAGE_VALID or are re-mapped.
 */
void page_set_flags(uint64_t start, uint64_t last, int flags);
int page_get_flags(uint64_t addr);
/* True if every page of [start, start+len) has all of flags. */
bool page_check_range(uint64_t start, uint64_t len, int flags);
/*
 * Finds a free guest range of len bytes at or above start (pages with no
 * PAGE_VALID); returns -1 if none below max.
 */
uint64_t page_find_range_empty(uint64_t start, uint64_t max, uint64_t len,
                               uint64_t align);

/*
 * The SIGSEGV hook for self-modifying code.  linux-user's host SIGSEGV
 * handler calls it first for a write fault at guest address addr:
 *   returns 0: not a write-protect for translated code; a real fault.
 *   returns 1: the page was unprotected and its TBs invalidated; return
 *              from the signal handler to retry the store.
 * If the store's own TB was invalidated it does not return: it restores
 * state and longjmps to cpu_exec to run the store as a 1-insn TB.
 * host_pc: the faulting host pc (uc_mcontext RIP).  old_set: the signal
 * mask to restore before such a longjmp (the handler's uc_sigmask).
 */
int page_unprotect(uint64_t addr, uintptr_t host_pc, const sigset_t *old_set);

/*
 * Makes the guest pages of [start, start+len) writable again if they were
 * write-protected for translated code (invalidating their TBs).  linux-user
 * calls it before a syscall writes into guest memory (read(2) etc.), since
 * the kernel would fail with EFAULT instead of raising SIGSEGV.
 */
void page_unprotect_range(uint64_t start, uint64_t len);

/*
 * Set while a C helper touches guest memory (cpu_ld*_data_ra etc.), so
 * the SIGSEGV handler can restore state: the helper's GETPC(), else 0.
 */
extern __thread uintptr_t helper_retaddr;

#endif
