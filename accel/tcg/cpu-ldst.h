/*
 * Guest memory access from C helpers.
 *
 *     uint32_t v = cpu_ldl_data_ra(env, addr, GETPC());
 *     cpu_stq_data_ra(env, addr, v, GETPC());
 *
 * The _ra forms take the helper's GETPC() so that a fault (SIGSEGV in user
 * mode) restores the guest state to the calling insn; the plain forms
 * pass 0 (the state must then already be exact).  All accesses are
 * little-endian unless the name says _be_.  In user mode they go through
 * guest_base; in system mode through the softmmu TLB (accel/tcg/cputlb.h)
 * with the current MMU index, or the one given to the _mmuidx_ forms.
 * A page-crossing access is split in two (each page checked before
 * either is written); MMIO goes to the device with the BQL taken.
 */
#ifndef ACCEL_TCG_CPU_LDST_H
#define ACCEL_TCG_CPU_LDST_H

#include <stdint.h>
#include "accel/tcg/cpu-exec.h"

uint32_t cpu_ldub_data_ra(void *env, uint64_t addr, uintptr_t ra);
int32_t cpu_ldsb_data_ra(void *env, uint64_t addr, uintptr_t ra);
uint32_t cpu_lduw_data_ra(void *env, uint64_t addr, uintptr_t ra);
int32_t cpu_ldsw_data_ra(void *env, uint64_t addr, uintptr_t ra);
uint32_t cpu_ldl_data_ra(void *env, uint64_t addr, uintptr_t ra);
uint64_t cpu_ldq_data_ra(void *env, uint64_t addr, uintptr_t ra);
uint32_t cpu_lduw_be_data_ra(void *env, uint64_t addr, uintptr_t ra);
uint32_t cpu_ldl_be_data_ra(void *env, uint64_t addr, uintptr_t ra);
uint64_t cpu_ldq_be_data_ra(void *env, uint64_t addr, uintptr_t ra);

void cpu_stb_data_ra(void *env, uint64_t addr, uint32_t v, uintptr_t ra);
void cpu_stw_data_ra(void *env, uint64_t addr, uint32_t v, uintptr_t ra);
void cpu_stl_data_ra(void *env, uint64_t addr, uint32_t v, uintptr_t ra);
void cpu_stq_data_ra(void *env, uint64_t addr, uint64_t v, uintptr_t ra);
void cpu_stw_be_data_ra(void *env, uint64_t addr, uint32_t v, uintptr_t ra);
void cpu_stl_be_data_ra(void *env, uint64_t addr, uint32_t v, uintptr_t ra);
void cpu_stq_be_data_ra(void *env, uint64_t addr, uint64_t v, uintptr_t ra);

static inline uint32_t cpu_ldub_data(void *env, uint64_t addr)
{
    return cpu_ldub_data_ra(env, addr, 0);
}
static inline uint32_t cpu_lduw_data(void *env, uint64_t addr)
{
    return cpu_lduw_data_ra(env, addr, 0);
}
static inline uint32_t cpu_ldl_data(void *env, uint64_t addr)
{
    return cpu_ldl_data_ra(env, addr, 0);
}
static inline uint64_t cpu_ldq_data(void *env, uint64_t addr)
{
    return cpu_ldq_data_ra(env, addr, 0);
}
static inline void cpu_stb_data(void *env, uint64_t addr, uint32_t v)
{
    cpu_stb_data_ra(env, addr, v, 0);
}
static inline void cpu_stw_data(void *env, uint64_t addr, uint32_t v)
{
    cpu_stw_data_ra(env, addr, v, 0);
}
static inline void cpu_stl_data(void *env, uint64_t addr, uint32_t v)
{
    cpu_stl_data_ra(env, addr, v, 0);
}
static inline void cpu_stq_data(void *env, uint64_t addr, uint64_t v)
{
    cpu_stq_data_ra(env, addr, v, 0);
}

/*
 * Explicit MMU index forms.  System mode: through the softmmu TLB of
 * mmu_idx (a miss calls the target's tlb_fill; a fault restores state
 * from ra and raises).  User mode: the same as the _data_ra forms
 * (mmu_idx is ignored).  In system mode the _data_ra forms above use
 * the index of the current state (TCGCPUOps.mmu_index(cpu, false)).
 */
uint32_t cpu_ldub_mmuidx_ra(void *env, uint64_t addr, int mmu_idx,
                            uintptr_t ra);
int32_t cpu_ldsb_mmuidx_ra(void *env, uint64_t addr, int mmu_idx, uintptr_t ra);
uint32_t cpu_lduw_mmuidx_ra(void *env, uint64_t addr, int mmu_idx,
                            uintptr_t ra);
int32_t cpu_ldsw_mmuidx_ra(void *env, uint64_t addr, int mmu_idx, uintptr_t ra);
uint32_t cpu_ldl_mmuidx_ra(void *env, uint64_t addr, int mmu_idx, uintptr_t ra);
uint64_t cpu_ldq_mmuidx_ra(void *env, uint64_t addr, int mmu_idx, uintptr_t ra);
void cpu_stb_mmuidx_ra(void *env, uint64_t addr, uint32_t v, int mmu_idx,
                       uintptr_t ra);
void cpu_stw_mmuidx_ra(void *env, uint64_t addr, uint32_t v, int mmu_idx,
                       uintptr_t ra);
void cpu_stl_mmuidx_ra(void *env, uint64_t addr, uint32_t v, int mmu_idx,
                       uintptr_t ra);
void cpu_stq_mmuidx_ra(void *env, uint64_t addr, uint64_t v, int mmu_idx,
                       uintptr_t ra);

/*
 * 128-bit atomic compare-and-exchange (CMPXCHG16B): if *addr == cmpv then
 * *addr = newv.  Returns the old value.  addr must be 16-byte aligned
 * (the caller raises #GP otherwise).
 */
unsigned __int128 cpu_atomic_cmpxchgo_le(void *env, uint64_t addr,
                                         unsigned __int128 cmpv,
                                         unsigned __int128 newv, uintptr_t ra);
/* 64-bit (CMPXCHG8B etc.) from C. */
uint64_t cpu_atomic_cmpxchgq_le(void *env, uint64_t addr, uint64_t cmpv,
                                uint64_t newv, uintptr_t ra);
/*
 * System mode: the atomics above are atomic on RAM (host atomics through
 * the TLB, write access checked first).  On MMIO, or when the operand
 * crosses a page or a host cache line (a host split lock otherwise),
 * they are done as a load and a store inside an exclusive section
 * (every other vCPU stopped), which is atomic for the guest.
 */

#endif
