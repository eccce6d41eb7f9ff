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
extern CPUState *first_cpu;
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

static inline unsigned tb_jmp_cache_hash(uint64_t pc)
{
    return (pc ^ (pc >> TB_JMP_CACHE_BITS)) & (TB_JMP_CACHE_SIZE - 1);
}

#endif
