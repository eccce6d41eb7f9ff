/*
 * accel/tcg internals shared by cpu-exec.c, translate-all.c and
 * user-exec.c.
 */
#ifndef ACCEL_TCG_TB_INTERNAL_H
#define ACCEL_TCG_TB_INTERNAL_H

#include <pthread.h>
#include "accel/tcg/cpu-exec.h"

#define TB_EXIT_REQUESTED 3

extern pthread_mutex_t tb_lock;
extern __thread bool tb_lock_held;
static inline void tb_lock_acquire(void)
{
    pthread_mutex_lock(&tb_lock);
    tb_lock_held = true;
}
static inline void tb_lock_release(void)
{
    tb_lock_held = false;
    pthread_mutex_unlock(&tb_lock);
}

/* Bumped by every tb_flush (TB pointers from before are stale). */
extern volatile unsigned tb_flush_count;
extern const TCGCPUOps *tcg_cpu_ops;

TranslationBlock *tb_lookup(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                            uint32_t flags, uint32_t cflags);
/* Translates; called without tb_lock (takes it). */
TranslationBlock *tb_gen_code(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                              uint32_t flags, uint32_t cflags);
void tb_jmp_cache_set(CPUState *cpu, TranslationBlock *tb);
const void *tb_lookup_tc(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                         uint32_t flags);
void tb_add_jump(TranslationBlock *tb, int n, TranslationBlock *next);
/* The TB whose code contains host_pc, or NULL. */
TranslationBlock *tb_find_by_host_pc(uintptr_t host_pc);
bool tb_host_pc_in_buffer(uintptr_t host_pc);
/* Invalidates TBs on the guest page containing addr; tb_lock held. */
void tb_invalidate_page_locked(uint64_t page, TranslationBlock **hit,
                               uintptr_t host_pc);
void tb_restore_state(CPUState *cpu, TranslationBlock *tb, uintptr_t host_pc);

extern pthread_mutex_t page_lock;

/* user-exec.c: write-protect a guest page that now holds code. */
void page_protect(uint64_t page);

void cpu_exec_start(CPUState *cpu);
void cpu_exec_end(CPUState *cpu);

#ifdef CONFIG_SOFTMMU
/*
 * System mode: the high half of the index is from the page number, so
 * that tlb_flush_page clears the 64 entries of a page (tb_jmp_cache_
 * clear_page) instead of the whole cache.
 */
#define TB_JMP_PAGE_BITS (TB_JMP_CACHE_BITS / 2)
#define TB_JMP_PAGE_SIZE (1u << TB_JMP_PAGE_BITS)
#define TB_JMP_PAGE_MASK (TB_JMP_CACHE_SIZE - TB_JMP_PAGE_SIZE)
static inline unsigned tb_jmp_cache_hash_page(uint64_t pc)
{
    return ((pc >> TARGET_PAGE_BITS) << TB_JMP_PAGE_BITS) & TB_JMP_PAGE_MASK;
}
static inline unsigned tb_jmp_cache_hash(uint64_t pc)
{
    return tb_jmp_cache_hash_page(pc) |
           ((pc ^ (pc >> TB_JMP_PAGE_BITS)) & (TB_JMP_PAGE_SIZE - 1));
}
/* Empties the whole jump cache / the entries of one page (own thread). */
void tb_jmp_cache_clear(CPUState *cpu);
void tb_jmp_cache_clear_page(CPUState *cpu, uint64_t page);

/* ---- cputlb.c <-> translate-all.c ---- */
void cputlb_cpu_init(CPUState *cpu);
/*
 * Host address of the code at pc (filling the code TLB).  NULL if it is
 * not RAM/ROM (*is_io set) or, with probe, if it faults (*fault set).
 * Without probe a fault is raised (state must be exact, ra = 0).
 */
void *tlb_code_host(CPUState *cpu, uint64_t pc, bool probe, bool *fault,
                    bool *is_io);
/* Reads guest code through the slow path (code in MMIO): may raise. */
uint64_t tlb_code_load_io(CPUState *cpu, uint64_t pc, int size);
/* Whether a host page holds translated code; set / clear (tb_lock). */
bool tb_page_has_code(uint64_t host_page);
void tb_page_set_code(uint64_t host_page);
void tb_page_clear_code(uint64_t host_page);
/* Marks every TLB write entry for host_page TLB_NOTDIRTY (any thread). */
void tlb_protect_code(uint64_t host_page);
/*
 * A store of size bytes at host (guest RAM) is about to happen from
 * generated code or a helper with return address ra: invalidates the TBs
 * on those bytes.  If the running TB was one of them, restores state to
 * the store insn and restarts it as a 1-insn TB (does not return).
 * Returns whether the pages still hold code.
 */
bool tb_invalidate_for_store(CPUState *cpu, uint64_t host, unsigned size,
                             uintptr_t ra);
#else
static inline unsigned tb_jmp_cache_hash(uint64_t pc)
{
    return (pc ^ (pc >> TB_JMP_CACHE_BITS)) & (TB_JMP_CACHE_SIZE - 1);
}
#endif

#endif
