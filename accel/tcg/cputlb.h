/*
 * The softmmu TLB (system mode): guest virtual -> host address for RAM,
 * or the slow path for MMIO, ROM writes, unassigned memory and pages
 * holding translated code.
 *
 * Layout.  Each vCPU has, per MMU index (0..NB_MMU_MODES-1), a
 * direct-mapped table of CPU_TLB_SIZE entries indexed by the virtual page
 * number (CPUTLBEntry in cpu-exec.h: addr_read/addr_write/addr_code
 * comparators + addend), read inline by generated code through
 * CPUState.tlb_fast, plus a side table of CPUTLBEntryFull (physical
 * address, protection, attributes) and an 8-entry victim TLB per index
 * that catches conflicts.  The comparators' low bits carry TLB_* flags
 * (below): any flag makes the inline compare fail, so the access goes to
 * the C slow path, which looks at the flags.
 *
 * Filling.  On a miss the slow path calls the target's tlb_fill hook
 * (cpu-exec.h), which walks the guest page tables and calls tlb_set_page:
 *
 *     static bool x86_tlb_fill(CPUState *cs, uint64_t addr, int size,
 *                              MMUAccessType type, int mmu_idx, bool probe,
 *                              uintptr_t ra)
 *     {
 *         uint64_t paddr, page_size; int prot;
 *         if (!x86_walk(cs, addr, type, mmu_idx, &paddr, &prot,
 *                       &page_size)) {
 *             if (probe) return false;
 *             x86_raise_page_fault(cs, addr, type, ra);  // noreturn
 *         }
 *         tlb_set_page(cs, addr & TARGET_PAGE_MASK,
 *                      paddr & TARGET_PAGE_MASK, prot, mmu_idx, page_size);
 *         return true;
 *     }
 *
 * Flushing.  The target flushes what the guest invalidates:
 * tlb_flush_nonglobal on a CR3 write, tlb_flush_page for INVLPG,
 * ..._all_cpus_synced for a shootdown that other vCPUs must see.  Flushes of
 * another vCPU run as queued work on that vCPU's thread at its next TB boundary
 * (a running vCPU is kicked).  Memory map changes (PCI BARs, PAM) flush every
 * TLB by themselves (a memory listener), and the TB cache is keyed by host RAM
 * addresses, so changing what RAM/ROM a physical address shows never runs
 * stale code.
 *
 * Threads.  A vCPU's TLB is written only by its own thread; other
 * threads only set TLB_NOTDIRTY bits atomically (new code page).
 */
#ifndef ACCEL_TCG_CPUTLB_H
#define ACCEL_TCG_CPUTLB_H

#include <stdbool.h>
#include <stdint.h>
#include "accel/tcg/cpu-exec.h"
#include "system/memory.h"

#define CPU_TLB_BITS    12 /* entries per MMU index: 4096 */
#define CPU_TLB_SIZE    (1u << CPU_TLB_BITS)
#define CPU_VTLB_SIZE   8
#define CPU_TLB_DYN_MAX CPU_TLB_SIZE

/*
 * Flags in the low bits of a comparator (above any alignment bits the
 * inline path may compare: accesses are at most 64 bytes aligned).
 */
#define TLB_INVALID_MASK (1u << 11) /* no valid translation for this type */
#define TLB_NOTDIRTY     (1u << 10) /* writes: the page holds translated code */
#define TLB_MMIO         (1u << 9)  /* not plain RAM for this type */
#define TLB_FLAGS_MASK   (TLB_INVALID_MASK | TLB_NOTDIRTY | TLB_MMIO)

/*
 * The rest of an entry, kept beside the fast table.  phys_addr is the
 * guest physical address of the page; lg_page_size the log2 of the
 * mapping's size (12 for 4 KiB, 21 for 2 MiB...).
 */
typedef struct CPUTLBEntryFull {
    uint64_t phys_addr;
    MemTxAttrs attrs;
    int prot;
    uint8_t lg_page_size;
} CPUTLBEntryFull;

/* ---- filling (the target's tlb_fill) ---------------------------------- */

/*
 * A prot bit for tlb_set_page: the translation is global (x86: G in the
 * leaf entry with CR4.PGE), so tlb_flush_nonglobal keeps it.
 */
#define PAGE_GLOBAL 0x100

/*
 * Installs the translation of the 4 KiB page at vaddr (page aligned) to
 * the guest physical page paddr, with prot = PAGE_READ | PAGE_WRITE |
 * PAGE_EXEC bits (cpu-exec.h), in mmu_idx.  size is the size of the
 * guest mapping containing it (4096, 2 MiB, 1 GiB...): only the 4 KiB
 * page is entered, but a later tlb_flush_page of any address inside the
 * large mapping flushes it.  What paddr holds (RAM, ROM, MMIO, nothing)
 * is looked up in cpu->as now.  Called by the vCPU's own thread only.
 */
void tlb_set_page(CPUState *cpu, uint64_t vaddr, uint64_t paddr, int prot,
                  int mmu_idx, uint64_t size);
/* The same with memory transaction attributes (for MMIO dispatch). */
void tlb_set_page_with_attrs(CPUState *cpu, uint64_t vaddr, uint64_t paddr,
                             MemTxAttrs attrs, int prot, int mmu_idx,
                             uint64_t size);

/* ---- flushing --------------------------------------------------------- */

/*
 * These act on cpu's TLB at once when called by cpu's own thread (or when
 * cpu has no thread yet); otherwise they queue the flush on cpu's thread
 * (it runs before cpu executes guest code again) and kick it.
 */
void tlb_flush(CPUState *cpu);
void tlb_flush_page(CPUState *cpu, uint64_t addr);
/*
 * Flushes every entry of every MMU index except those entered with
 * PAGE_GLOBAL (x86: MOV to CR3, task switch).  tlb_flush and
 * tlb_flush_page flush global entries too.
 */
void tlb_flush_nonglobal(CPUState *cpu);
/* idxmap: bit n set = flush MMU index n. */
void tlb_flush_by_mmuidx(CPUState *cpu, uint16_t idxmap);
void tlb_flush_page_by_mmuidx(CPUState *cpu, uint64_t addr, uint16_t idxmap);
/*
 * Flush every vCPU (src included).  src's own flush is done at once;
 * the others run theirs before they execute guest code again (queued
 * work + kick), which is what a guest's TLB shootdown IPI needs: they
 * are interrupted anyway before they can observe the change.
 */
void tlb_flush_all_cpus_synced(CPUState *src);
void tlb_flush_page_all_cpus_synced(CPUState *src, uint64_t addr);
void tlb_flush_by_mmuidx_all_cpus_synced(CPUState *src, uint16_t idxmap);
void tlb_flush_page_by_mmuidx_all_cpus_synced(CPUState *src, uint64_t addr,
                                              uint16_t idxmap);

/* ---- probing (helpers of the target) ---------------------------------- */

/*
 * Makes sure [addr, addr + size) (not crossing a page; size may be 0) is
 * accessible for access_type in mmu_idx, filling the TLB and raising the
 * guest fault (restoring state from ra) if not.  Returns the host
 * address of addr for plain RAM (for stores: TBs on the bytes are
 * invalidated first, so the caller may write), or NULL for MMIO, ROM
 * writes and unassigned memory (use cpu_st*_mmuidx_ra then).
 */
void *probe_access(void *env, uint64_t addr, int size,
                   MMUAccessType access_type, int mmu_idx, uintptr_t ra);
void *probe_write(void *env, uint64_t addr, int size, int mmu_idx,
                  uintptr_t ra);
/*
 * Like probe_access, but with nonfault a missing translation returns
 * TLB_INVALID_MASK instead of raising.  Returns the TLB_* flags of the
 * page (0: plain RAM, *phost set), TLB_MMIO (*phost = NULL) or
 * TLB_INVALID_MASK.  E.g. x86 checks that both pages of a split store
 * are writable before writing either.
 */
int probe_access_flags(void *env, uint64_t addr, int size,
                       MMUAccessType access_type, int mmu_idx, bool nonfault,
                       void **phost, uintptr_t ra);
/* Whether addr is accessible now (fills the TLB, never raises). */
bool probe_access_nofault(void *env, uint64_t addr, int size,
                          MMUAccessType access_type, int mmu_idx);
/*
 * The host address for addr if it is in the TLB now as plain RAM for
 * access_type (no fill, no fault), else NULL.
 */
void *tlb_vaddr_to_host(void *env, uint64_t addr, MMUAccessType access_type,
                        int mmu_idx);

/*
 * Code fetch: the guest physical address of addr for execution in the
 * current code MMU index, filling the TLB (raises the fetch fault with
 * state assumed exact); -1 if it is not RAM/ROM.
 */
uint64_t get_page_addr_code(void *env, uint64_t addr);

/* ---- guest physical memory (page walks) ------------------------------- */

/*
 * Host address of [addr, addr + len) of address_space_memory if the whole
 * range is RAM or ROM of one region, else NULL.  Page walks read page
 * table entries with address_space_ldq_le/ldl_le; to set A/D bits use
 * the cmpxchg below, which is atomic against other vCPUs and keeps
 * translated code coherent.
 */
void *cpu_physical_ram_ptr(hwaddr addr, hwaddr len);
/*
 * If the little-endian word at guest physical addr (RAM) equals expected,
 * replaces it with newv atomically and returns true.  Returns false if it
 * differed (another vCPU changed the entry: walk again) or addr is not
 * writable RAM (then nothing is written).
 */
bool cpu_physical_cmpxchg32(hwaddr addr, uint32_t expected, uint32_t newv);
bool cpu_physical_cmpxchg64(hwaddr addr, uint64_t expected, uint64_t newv);

/*
 * Invalidates TBs translated from guest physical [addr, addr + len) of
 * cpu's address space (e.g. after writing code through a host pointer).
 */
void tb_invalidate_phys_addr(CPUState *cpu, hwaddr addr, hwaddr len);

/*
 * Once, when the accelerator starts: a memory listener on
 * address_space_memory that flushes every TLB when the map changes, and
 * the RAM write hook of system/memory.h that invalidates overwritten
 * code.  (The "tcg" accelerator calls it; unit tests too.)
 */
void cputlb_system_init(void);

/* ---- statistics (tests, -d) ------------------------------------------- */

typedef struct TLBStats {
    uint64_t fills;   /* tlb_fill calls that installed an entry */
    uint64_t flushes; /* full flushes (any MMU index set) */
    uint64_t flush_pages;
    uint64_t slow_mmio; /* accesses dispatched to a MemoryRegion */
    uint64_t notdirty;  /* stores into pages with translated code */
    uint64_t victim_hits;
    uint64_t slow_calls; /* generated code's slow path (inline miss) */
} TLBStats;
extern TLBStats tlb_stats;

#endif
