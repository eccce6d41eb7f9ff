/*
 * The softmmu TLB and guest memory access in system mode: filling and
 * flushing the per-vCPU tables, the slow path of guest loads and stores
 * (misses, page-crossing accesses, MMIO, ROM, unassigned memory, stores
 * into pages holding translated code), the helpers behind generated code
 * and cpu-ldst.h, probes, atomics, code fetch for the translator, and
 * the coupling to system/memory.c (map changes flush every TLB; DMA and
 * loader writes invalidate translated code).  See cputlb.h for the
 * layout and the rules.
 *
 * Code pages.  A bitmap over host page numbers says which host pages of
 * guest RAM hold translated code (set under tb_lock before translation
 * reads a page, cleared when the page's last TB goes).  tlb_set_page
 * gives such pages TLB_NOTDIRTY on writes; a new code page gets the bit
 * in every vCPU's write entries (tlb_protect_code).  The two sides
 * (bit set then entries scanned / entry written then bit checked) each
 * issue a full barrier between their two steps, so one of them sees the
 * other.  The window that remains: a store that already passed the
 * inline compare when the bit was set lands unseen - cross-modifying
 * code needs guest synchronisation anyway (x86 SDM 8.1.3).
 */
#include <inttypes.h>
#include <string.h>
#include "accel/tcg/atomic-host.h"
#include "accel/tcg/cpu-ldst.h"
#include "accel/tcg/cputlb.h"
#include "accel/tcg/tb-internal.h"
#include "accel/tcg/tcg-accel-ops.h"
#include "system/main-loop.h"
#include "tcg/tcg-internal.h"
#include "util/log.h"

TLBStats tlb_stats;

/* Entries are cleared and tracked in blocks of 64 (one bitmap word). */
#define TLB_BLOCK   64
#define TLB_NBLOCKS (CPU_TLB_SIZE / TLB_BLOCK)
_Static_assert(TLB_NBLOCKS >= 1 && TLB_NBLOCKS <= 64, "dirty_blocks: a word");

typedef struct CPUTLBDesc {
    /* the union of the large pages entered since the last full flush */
    uint64_t large_page_addr; /* -1: none */
    uint64_t large_page_mask;
    /* the same for the global ones (what tlb_flush_nonglobal keeps) */
    uint64_t glarge_page_addr;
    uint64_t glarge_page_mask;
    /* bit k of global[b]: entry b * TLB_BLOCK + k was entered PAGE_GLOBAL */
    uint64_t global[TLB_NBLOCKS];
    /* 64-entry blocks of the table written since the last flush */
    uint64_t dirty_blocks;
    unsigned vindex;
    CPUTLBEntry vtable[CPU_VTLB_SIZE];
    CPUTLBEntryFull vfull[CPU_VTLB_SIZE];
    CPUTLBEntryFull *full; /* CPU_TLB_SIZE */
} CPUTLBDesc;

struct CPUTLB {
    CPUTLBDesc d[NB_MMU_MODES];
};


static inline AddressSpace *cpu_as(CPUState *cpu)
{
    return cpu->as ? cpu->as : &address_space_memory;
}

/* ---- code page bitmap (host pages) ------------------------------------ */

#define CODE_L2_BITS 16
#define CODE_L1_BITS (47 - TARGET_PAGE_BITS - CODE_L2_BITS)
static unsigned long *code_l1[1u << CODE_L1_BITS];
#define LBITS (8 * sizeof(unsigned long))

static unsigned long *code_word(uint64_t host_page, bool alloc,
                                unsigned long *bit)
{
    uint64_t pfn = host_page >> TARGET_PAGE_BITS;
    if (pfn >> (CODE_L1_BITS + CODE_L2_BITS)) {
        return NULL;
    }
    unsigned long **l1 = &code_l1[pfn >> CODE_L2_BITS];
    unsigned long *l2 = __atomic_load_n(l1, __ATOMIC_ACQUIRE);
    if (!l2) {
        if (!alloc) {
            return NULL;
        }
        /* under tb_lock: one writer */
        l2 = g_new0(unsigned long, (1u << CODE_L2_BITS) / LBITS);
        __atomic_store_n(l1, l2, __ATOMIC_RELEASE);
    }
    unsigned idx = pfn & ((1u << CODE_L2_BITS) - 1);
    *bit = 1ul << (idx % LBITS);
    return &l2[idx / LBITS];
}

bool tb_page_has_code(uint64_t host_page)
{
    unsigned long bit;
    unsigned long *w = code_word(host_page, false, &bit);
    return w && (__atomic_load_n(w, __ATOMIC_ACQUIRE) & bit);
}

void tb_page_set_code(uint64_t host_page)
{
    unsigned long bit;
    unsigned long *w = code_word(host_page, true, &bit);
    if (w) {
        __atomic_or_fetch(w, bit, __ATOMIC_SEQ_CST);
    }
}

void tb_page_clear_code(uint64_t host_page)
{
    unsigned long bit;
    unsigned long *w = code_word(host_page, false, &bit);
    if (w) {
        __atomic_and_fetch(w, ~bit, __ATOMIC_SEQ_CST);
    }
}

/* ---- init, flush -------------------------------------------------------- */

static inline unsigned tlb_index(uint64_t addr)
{
    return (addr >> TARGET_PAGE_BITS) & (CPU_TLB_SIZE - 1);
}

static inline CPUTLBEntry *tlb_entry(CPUState *cpu, int mmu_idx, uint64_t addr)
{
    return &cpu->tlb_fast[mmu_idx].table[tlb_index(addr)];
}

/* Whether comparator cmp (flags included) is for the page of addr. */
static inline bool tlb_hit_page(uint64_t cmp, uint64_t addr)
{
    return (cmp & (TARGET_PAGE_MASK | TLB_INVALID_MASK)) ==
           (addr & TARGET_PAGE_MASK);
}

static inline bool tlb_entry_is_page(const CPUTLBEntry *e, uint64_t page)
{
    return tlb_hit_page(e->addr_read, page) ||
           tlb_hit_page(__atomic_load_n(&e->addr_write, __ATOMIC_RELAXED),
                        page) ||
           tlb_hit_page(e->addr_code, page);
}

static void tlb_entry_clear(CPUTLBEntry *e)
{
    e->addr_read = -1;
    __atomic_store_n(&e->addr_write, (uint64_t)-1, __ATOMIC_RELAXED);
    e->addr_code = -1;
    e->addend = 0;
}

void cputlb_cpu_init(CPUState *cpu)
{
    cpu->tlb = g_new0(struct CPUTLB, 1);
    for (int i = 0; i < NB_MMU_MODES; i++) {
        CPUTLBDesc *d = &cpu->tlb->d[i];
        cpu->tlb_fast[i].table = g_new(CPUTLBEntry, CPU_TLB_SIZE);
        memset(cpu->tlb_fast[i].table, 0xff,
               CPU_TLB_SIZE * sizeof(CPUTLBEntry));
        cpu->tlb_fast[i].mask = (uintptr_t)(CPU_TLB_SIZE - 1)
                                << CPU_TLB_ENTRY_BITS;
        d->full = g_new0(CPUTLBEntryFull, CPU_TLB_SIZE);
        memset(d->vtable, 0xff, sizeof(d->vtable));
        d->large_page_addr = -1;
        d->large_page_mask = -1;
        d->glarge_page_addr = -1;
        d->glarge_page_mask = -1;
    }
    if (!cpu->as) {
        cpu->as = &address_space_memory;
    }
}

static void tlb_flush_one_mmuidx(CPUState *cpu, int i)
{
    CPUTLBDesc *d = &cpu->tlb->d[i];
    /* a flush after a few fills (a guest CR3 write) clears only those */
    for (uint64_t m = d->dirty_blocks; m; m &= m - 1) {
        unsigned b = __builtin_ctzll(m);
        memset(&cpu->tlb_fast[i].table[b * TLB_BLOCK], 0xff,
               TLB_BLOCK * sizeof(CPUTLBEntry));
    }
    if (d->dirty_blocks) {
        memset(d->vtable, 0xff, sizeof(d->vtable));
        memset(d->global, 0, sizeof(d->global));
        __atomic_store_n(&d->dirty_blocks, 0, __ATOMIC_RELAXED);
    }
    d->large_page_addr = -1;
    d->large_page_mask = -1;
    d->glarge_page_addr = -1;
    d->glarge_page_mask = -1;
}

/*
 * Clears the entries of MMU index i not entered with PAGE_GLOBAL.  Blocks
 * with global entries stay dirty; the victims are kept only then, so that
 * dirty_blocks == 0 still means "nothing entered" for the full flush.
 */
static void tlb_flush_nonglobal_one(CPUState *cpu, int i)
{
    CPUTLBDesc *d = &cpu->tlb->d[i];
    uint64_t keep = 0;

    for (uint64_t m = d->dirty_blocks; m; m &= m - 1) {
        unsigned b = __builtin_ctzll(m);
        CPUTLBEntry *t = &cpu->tlb_fast[i].table[b * TLB_BLOCK];
        uint64_t g = d->global[b];

        if (!g) {
            memset(t, 0xff, TLB_BLOCK * sizeof(CPUTLBEntry));
            continue;
        }
        for (unsigned k = 0; k < TLB_BLOCK; k++) {
            if (!((g >> k) & 1)) {
                tlb_entry_clear(&t[k]);
            }
        }
        keep |= 1ull << b;
    }
    for (int k = 0; k < CPU_VTLB_SIZE; k++) {
        if (!keep || !(d->vfull[k].prot & PAGE_GLOBAL)) {
            tlb_entry_clear(&d->vtable[k]);
        }
    }
    __atomic_store_n(&d->dirty_blocks, keep, __ATOMIC_RELAXED);
    d->large_page_addr = d->glarge_page_addr;
    d->large_page_mask = d->glarge_page_mask;
}

static void tlb_flush_nonglobal_local(CPUState *cpu)
{
    for (int i = 0; i < NB_MMU_MODES; i++) {
        tlb_flush_nonglobal_one(cpu, i);
    }
    tb_jmp_cache_clear(cpu);
    tlb_stats.flushes++;
}

/* On cpu's own thread (or a cpu that is not running). */
static void tlb_flush_by_mmuidx_local(CPUState *cpu, uint16_t idxmap)
{
    for (int i = 0; i < NB_MMU_MODES; i++) {
        if (idxmap & (1u << i)) {
            tlb_flush_one_mmuidx(cpu, i);
        }
    }
    tb_jmp_cache_clear(cpu);
    tlb_stats.flushes++;
}

static void tlb_flush_page_local(CPUState *cpu, uint64_t addr, uint16_t idxmap)
{
    uint64_t page = addr & TARGET_PAGE_MASK;
    for (int i = 0; i < NB_MMU_MODES; i++) {
        if (!(idxmap & (1u << i))) {
            continue;
        }
        CPUTLBDesc *d = &cpu->tlb->d[i];
        if ((page & d->large_page_mask) == d->large_page_addr) {
            /* inside a large page: we don't know its 4 KiB entries */
            tlb_flush_one_mmuidx(cpu, i);
            continue;
        }
        CPUTLBEntry *e = tlb_entry(cpu, i, page);
        if (tlb_entry_is_page(e, page)) {
            tlb_entry_clear(e);
        }
        for (int k = 0; k < CPU_VTLB_SIZE; k++) {
            if (tlb_entry_is_page(&d->vtable[k], page)) {
                tlb_entry_clear(&d->vtable[k]);
            }
        }
    }
    tb_jmp_cache_clear_page(cpu, page);
    tlb_stats.flush_pages++;
}

static bool tlb_flush_is_local(CPUState *cpu)
{
    return !cpu->thread_created || qemu_cpu_is_self(cpu);
}

static void tlb_flush_work(CPUState *cpu, void *data)
{
    tlb_flush_by_mmuidx_local(cpu, (uint16_t)(uintptr_t)data);
}

static void tlb_flush_nonglobal_work(CPUState *cpu, void *data)
{
    tlb_flush_nonglobal_local(cpu);
}

void tlb_flush_nonglobal(CPUState *cpu)
{
    if (tlb_flush_is_local(cpu)) {
        tlb_flush_nonglobal_local(cpu);
    } else {
        async_run_on_cpu(cpu, tlb_flush_nonglobal_work, NULL);
    }
}

/* data: the page address with the idxmap in its low bits */
static void tlb_flush_page_work(CPUState *cpu, void *data)
{
    uintptr_t v = (uintptr_t)data;
    tlb_flush_page_local(cpu, v & TARGET_PAGE_MASK, v & 0xff);
}

void tlb_flush_by_mmuidx(CPUState *cpu, uint16_t idxmap)
{
    idxmap &= (1u << NB_MMU_MODES) - 1;
    if (tlb_flush_is_local(cpu)) {
        tlb_flush_by_mmuidx_local(cpu, idxmap);
    } else {
        async_run_on_cpu(cpu, tlb_flush_work, (void *)(uintptr_t)idxmap);
    }
}

void tlb_flush(CPUState *cpu)
{
    tlb_flush_by_mmuidx(cpu, (1u << NB_MMU_MODES) - 1);
}

void tlb_flush_page_by_mmuidx(CPUState *cpu, uint64_t addr, uint16_t idxmap)
{
    idxmap &= (1u << NB_MMU_MODES) - 1;
    if (tlb_flush_is_local(cpu)) {
        tlb_flush_page_local(cpu, addr, idxmap);
    } else {
        async_run_on_cpu(
            cpu, tlb_flush_page_work,
            (void *)(uintptr_t)((addr & TARGET_PAGE_MASK) | idxmap));
    }
}

void tlb_flush_page(CPUState *cpu, uint64_t addr)
{
    tlb_flush_page_by_mmuidx(cpu, addr, (1u << NB_MMU_MODES) - 1);
}

void tlb_flush_by_mmuidx_all_cpus_synced(CPUState *src, uint16_t idxmap)
{
    CPUState *c;
    CPU_FOREACH(c)
    {
        tlb_flush_by_mmuidx(c, idxmap);
    }
}

void tlb_flush_all_cpus_synced(CPUState *src)
{
    tlb_flush_by_mmuidx_all_cpus_synced(src, (1u << NB_MMU_MODES) - 1);
}

void tlb_flush_page_by_mmuidx_all_cpus_synced(CPUState *src, uint64_t addr,
                                              uint16_t idxmap)
{
    CPUState *c;
    CPU_FOREACH(c)
    {
        tlb_flush_page_by_mmuidx(c, addr, idxmap);
    }
}

void tlb_flush_page_all_cpus_synced(CPUState *src, uint64_t addr)
{
    tlb_flush_page_by_mmuidx_all_cpus_synced(src, addr,
                                             (1u << NB_MMU_MODES) - 1);
}

/* ---- filling ------------------------------------------------------------ */

/* Widens the region at addr, mask (-1: none) to cover the large page. */
static void tlb_add_large_page(uint64_t *addr, uint64_t *mask, uint64_t vaddr,
                               uint64_t size)
{
    uint64_t m = ~(size - 1);
    uint64_t base = vaddr & m;
    if (*addr == (uint64_t)-1) {
        *addr = base;
        *mask = m;
        return;
    }
    /* widen the recorded region until it covers both */
    m &= *mask;
    while ((*addr ^ base) & m) {
        m <<= 1;
    }
    *addr &= m;
    *mask = m;
}

/* Records whether entry idx of the table now holds a global translation. */
static inline void tlb_mark_global(CPUTLBDesc *d, unsigned idx, int prot)
{
    uint64_t bit = 1ull << (idx % TLB_BLOCK);

    if (prot & PAGE_GLOBAL) {
        d->global[idx / TLB_BLOCK] |= bit;
    } else {
        d->global[idx / TLB_BLOCK] &= ~bit;
    }
}

/* Sets TLB_NOTDIRTY on e if it writes RAM at host page host_page. */
static void tlb_entry_protect(CPUTLBEntry *e, uint64_t host_page)
{
    uint64_t w = __atomic_load_n(&e->addr_write, __ATOMIC_RELAXED);
    if ((w & (TLB_INVALID_MASK | TLB_MMIO | TLB_NOTDIRTY)) ||
        w == (uint64_t)-1) {
        return;
    }
    if ((uint64_t)((w & TARGET_PAGE_MASK) + e->addend) == host_page) {
        __atomic_or_fetch(&e->addr_write, (uint64_t)TLB_NOTDIRTY,
                          __ATOMIC_SEQ_CST);
    }
}

void tlb_protect_code(uint64_t host_page)
{
    CPUState *c;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the bit is set */
    CPU_FOREACH(c)
    {
        if (!c->tlb) {
            continue;
        }
        for (int i = 0; i < NB_MMU_MODES; i++) {
            CPUTLBEntry *t = c->tlb_fast[i].table;
            /*
             * Only blocks filled since the last flush can hold entries.
             * An owner filling one concurrently marks it after writing
             * the entry, then re-checks the code bit (tlb_set_page).
             */
            uint64_t dirty =
                __atomic_load_n(&c->tlb->d[i].dirty_blocks, __ATOMIC_RELAXED);
            for (; dirty; dirty &= dirty - 1) {
                unsigned b = __builtin_ctzll(dirty) * TLB_BLOCK;
                for (unsigned k = b; k < b + TLB_BLOCK; k++) {
                    tlb_entry_protect(&t[k], host_page);
                }
            }
            for (int k = 0; k < CPU_VTLB_SIZE; k++) {
                tlb_entry_protect(&c->tlb->d[i].vtable[k], host_page);
            }
        }
    }
}

void tlb_set_page_with_attrs(CPUState *cpu, uint64_t vaddr, uint64_t paddr,
                             MemTxAttrs attrs, int prot, int mmu_idx,
                             uint64_t size)
{
    g_assert(mmu_idx >= 0 && mmu_idx < NB_MMU_MODES);
    CPUTLBDesc *d = &cpu->tlb->d[mmu_idx];
    uint64_t vpage = vaddr & TARGET_PAGE_MASK;
    uint64_t ppage = paddr & TARGET_PAGE_MASK;

    if (size > TARGET_PAGE_SIZE) {
        tlb_add_large_page(&d->large_page_addr, &d->large_page_mask, vpage,
                           size);
        if (prot & PAGE_GLOBAL) {
            tlb_add_large_page(&d->glarge_page_addr, &d->glarge_page_mask,
                               vpage, size);
        }
    }

    /* What the physical page holds. */
    FlatView *fv = address_space_get_flatview(cpu_as(cpu));
    MemoryRegionSection sec = flatview_find(fv, ppage);
    uint8_t *host = NULL;
    bool writable = false;
    if (sec.mr && memory_region_is_ram(sec.mr) && sec.mr->ram_ptr &&
        sec.size >= TARGET_PAGE_SIZE) {
        /* RAM regions are never freed while vCPUs run */
        host = sec.mr->ram_ptr + sec.offset_within_region;
        writable = !sec.readonly && !sec.mr->readonly && !sec.mr->rom_device;
    }
    flatview_unref(fv);

    CPUTLBEntry n;
    n.addend = host ? (uintptr_t)host - vpage : 0;
    n.addr_read =
        (prot & PAGE_READ) ? vpage | (host ? 0 : TLB_MMIO) : (uint64_t)-1;
    /* code that is not at a page-aligned host address is run as I/O */
    bool code_ok = host && !((uintptr_t)host & ~TARGET_PAGE_MASK);
    n.addr_code =
        (prot & PAGE_EXEC) ? vpage | (code_ok ? 0 : TLB_MMIO) : (uint64_t)-1;
    n.addr_write = -1;
    if (prot & PAGE_WRITE) {
        n.addr_write = vpage | (writable ? 0 : TLB_MMIO);
        if (writable && tb_page_has_code((uintptr_t)host)) {
            n.addr_write |= TLB_NOTDIRTY;
        }
    }

    unsigned idx = tlb_index(vpage);
    CPUTLBEntry *e = &cpu->tlb_fast[mmu_idx].table[idx];
    /* keep a different page's entry in the victim TLB */
    if (!tlb_entry_is_page(e, vpage) &&
        (e->addr_read != (uint64_t)-1 || e->addr_write != (uint64_t)-1 ||
         e->addr_code != (uint64_t)-1)) {
        unsigned v = d->vindex++ % CPU_VTLB_SIZE;
        d->vtable[v] = *e;
        d->vfull[v] = d->full[idx];
    }
    d->full[idx] = (CPUTLBEntryFull){
        .phys_addr = ppage,
        .attrs = attrs,
        .prot = prot,
        .lg_page_size =
            size > TARGET_PAGE_SIZE ? __builtin_ctzll(size) : TARGET_PAGE_BITS,
    };
    e->addend = n.addend;
    e->addr_read = n.addr_read;
    e->addr_code = n.addr_code;
    __atomic_store_n(&e->addr_write, n.addr_write, __ATOMIC_RELAXED);
    tlb_mark_global(d, idx, prot);
    __atomic_store_n(&d->dirty_blocks,
                     d->dirty_blocks | (1ull << (idx / TLB_BLOCK)),
                     __ATOMIC_RELAXED);
    /* a concurrent translation may have made the page a code page */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (writable && (prot & PAGE_WRITE) && !(n.addr_write & TLB_NOTDIRTY) &&
        tb_page_has_code((uintptr_t)host)) {
        __atomic_or_fetch(&e->addr_write, (uint64_t)TLB_NOTDIRTY,
                          __ATOMIC_SEQ_CST);
    }
    tlb_stats.fills++;
}

void tlb_set_page(CPUState *cpu, uint64_t vaddr, uint64_t paddr, int prot,
                  int mmu_idx, uint64_t size)
{
    tlb_set_page_with_attrs(cpu, vaddr, paddr, MEMTXATTRS_UNSPECIFIED, prot,
                            mmu_idx, size);
}

/* ---- lookup ---------------------------------------------------------------
 */

static inline uint64_t tlb_cmp(const CPUTLBEntry *e, MMUAccessType type)
{
    switch (type) {
    case MMU_DATA_LOAD:
        return e->addr_read;
    case MMU_DATA_STORE:
        return __atomic_load_n(&e->addr_write, __ATOMIC_RELAXED);
    default:
        return e->addr_code;
    }
}

/* Swaps a victim entry for the page of addr into the main table. */
static bool victim_tlb_hit(CPUState *cpu, int mmu_idx, uint64_t addr,
                           MMUAccessType type)
{
    CPUTLBDesc *d = &cpu->tlb->d[mmu_idx];
    unsigned idx = tlb_index(addr);
    for (int k = 0; k < CPU_VTLB_SIZE; k++) {
        CPUTLBEntry *v = &d->vtable[k];
        if (tlb_hit_page(tlb_cmp(v, type), addr)) {
            CPUTLBEntry *e = &cpu->tlb_fast[mmu_idx].table[idx];
            CPUTLBEntry te = *e;
            CPUTLBEntryFull tf = d->full[idx];
            *e = *v;
            d->full[idx] = d->vfull[k];
            *v = te;
            d->vfull[k] = tf;
            tlb_mark_global(d, idx, d->full[idx].prot);
            __atomic_store_n(&d->dirty_blocks,
                             d->dirty_blocks | (1ull << (idx / TLB_BLOCK)),
                             __ATOMIC_RELAXED);
            tlb_stats.victim_hits++;
            /* the copy may have missed a concurrent tlb_protect_code */
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            uint64_t w = __atomic_load_n(&e->addr_write, __ATOMIC_RELAXED);
            if (w != (uint64_t)-1 && !(w & TLB_FLAGS_MASK) &&
                tb_page_has_code((w & TARGET_PAGE_MASK) + e->addend)) {
                __atomic_or_fetch(&e->addr_write, (uint64_t)TLB_NOTDIRTY,
                                  __ATOMIC_SEQ_CST);
            }
            return true;
        }
    }
    return false;
}

/*
 * Makes the TLB hold a translation of addr for type.  Returns the entry,
 * or NULL if probe and it faults.  Without probe a fault is raised.
 */
static CPUTLBEntry *tlb_lookup(CPUState *cpu, uint64_t addr, int size,
                               MMUAccessType type, int mmu_idx, bool probe,
                               uintptr_t ra)
{
    CPUTLBEntry *e = tlb_entry(cpu, mmu_idx, addr);
    if (tlb_hit_page(tlb_cmp(e, type), addr)) {
        return e;
    }
    if (victim_tlb_hit(cpu, mmu_idx, addr, type)) {
        return e;
    }
    for (int tries = 0; tries < 2; tries++) {
        if (!cpu->tcg_ops->tlb_fill(cpu, addr, size, type, mmu_idx, probe,
                                    ra)) {
            return NULL;
        }
        if (tlb_hit_page(tlb_cmp(e, type), addr)) {
            return e;
        }
    }
    /* the target installed a page without this access: a target bug */
    qemu_log_mask(LOG_GUEST_ERROR,
                  "tcg: tlb_fill for 0x%" PRIx64 " (%d) entered no access\n",
                  addr, type);
    return NULL;
}

static inline CPUTLBEntryFull *tlb_full(CPUState *cpu, int mmu_idx,
                                        uint64_t addr)
{
    return &cpu->tlb->d[mmu_idx].full[tlb_index(addr)];
}

/* ---- MMIO -----------------------------------------------------------------
 */

static bool bql_take(void)
{
    if (bql_locked()) {
        return false;
    }
    bql_lock();
    return true;
}

static inline uint64_t ld_le_host(const void *p, int size)
{
    switch (size) {
    case 1:
        return *(const uint8_t *)p;
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

static inline void st_le_host(void *p, uint64_t v, int size)
{
    switch (size) {
    case 1:
        *(uint8_t *)p = v;
        break;
    case 2: {
        uint16_t x = v;
        memcpy(p, &x, 2);
        break;
    }
    case 4: {
        uint32_t x = v;
        memcpy(p, &x, 4);
        break;
    }
    default:
        memcpy(p, &v, 8);
        break;
    }
}

/*
 * One access of size bytes (within a page) at guest physical paddr that
 * is not plain RAM: a device (one call of exactly size bytes when the
 * region takes it), ROM (writes ignored), or nothing (reads all ones,
 * logged under -d guest_errors by the memory core).  BQL taken.
 */
static uint64_t io_access(CPUState *cpu, uint64_t paddr, MemTxAttrs attrs,
                          uint64_t val, int size, bool is_write)
{
    AddressSpace *as = cpu_as(cpu);
    bool took = bql_take();
    FlatView *fv = address_space_get_flatview(as);
    MemoryRegionSection sec = flatview_find(fv, paddr);
    tlb_stats.slow_mmio++;
    if (sec.mr && sec.size >= (uint64_t)size && !memory_region_is_ram(sec.mr)) {
        if (is_write) {
            memory_region_dispatch_write(sec.mr, sec.offset_within_region, val,
                                         size, attrs);
        } else {
            memory_region_dispatch_read(sec.mr, sec.offset_within_region, &val,
                                        size, attrs);
        }
    } else {
        uint8_t buf[8];
        if (is_write) {
            st_le_host(buf, val, size);
        }
        address_space_rw(as, paddr, attrs, buf, size, is_write);
        if (!is_write) {
            val = ld_le_host(buf, size);
        }
    }
    flatview_unref(fv);
    if (took) {
        bql_unlock();
    }
    return val;
}

/* ---- the slow path ---------------------------------------------------- */

static void check_align(CPUState *cpu, uint64_t addr, MemOp mop,
                        MMUAccessType type, int mmu_idx, uintptr_t ra)
{
    unsigned size = memop_size(mop);
    if ((mop & MO_ALIGN) && (addr & (size - 1)) &&
        cpu->tcg_ops->do_unaligned_access) {
        cpu->tcg_ops->do_unaligned_access(cpu, addr, type, mmu_idx, ra);
    }
}

/* A load of size bytes within one page. */
static uint64_t load_page(CPUState *cpu, uint64_t addr, int size,
                          MMUAccessType type, int mmu_idx, uintptr_t ra)
{
    CPUTLBEntry *e = tlb_lookup(cpu, addr, size, type, mmu_idx, false, ra);
    if (!e) {
        return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
    }
    if (tlb_cmp(e, type) & TLB_MMIO) {
        CPUTLBEntryFull *f = tlb_full(cpu, mmu_idx, addr);
        return io_access(cpu, f->phys_addr | (addr & ~TARGET_PAGE_MASK),
                         f->attrs, 0, size, false);
    }
    return ld_le_host((void *)(uintptr_t)(addr + e->addend), size);
}

/* Checks (fills) the page of addr for type; raises on a fault. */
static void probe_page(CPUState *cpu, uint64_t addr, MMUAccessType type,
                       int mmu_idx, uintptr_t ra)
{
    tlb_lookup(cpu, addr, 1, type, mmu_idx, false, ra);
}

/* A store of size bytes within one page. */
static void store_page(CPUState *cpu, uint64_t addr, uint64_t val, int size,
                       int mmu_idx, uintptr_t ra)
{
    CPUTLBEntry *e =
        tlb_lookup(cpu, addr, size, MMU_DATA_STORE, mmu_idx, false, ra);
    if (!e) {
        return;
    }
    uint64_t cmp = tlb_cmp(e, MMU_DATA_STORE);
    if (cmp & TLB_MMIO) {
        CPUTLBEntryFull *f = tlb_full(cpu, mmu_idx, addr);
        io_access(cpu, f->phys_addr | (addr & ~TARGET_PAGE_MASK), f->attrs, val,
                  size, true);
        return;
    }
    void *host = (void *)(uintptr_t)(addr + e->addend);
    if (cmp & TLB_NOTDIRTY) {
        tlb_stats.notdirty++;
        /* may restart the insn as a 1-insn TB (does not return then) */
        bool code = tb_invalidate_for_store(cpu, (uintptr_t)host, size, ra);
        st_le_host(host, val, size);
        if (!code) {
            /* refill without TLB_NOTDIRTY on the next store */
            __atomic_store_n(&e->addr_write, (uint64_t)-1, __ATOMIC_RELAXED);
        }
        return;
    }
    st_le_host(host, val, size);
}

static uint64_t memop_finish_load(uint64_t v, MemOp mop)
{
    if (mop & MO_BSWAP) {
        v = bswap_size(v, mop);
    }
    if (mop & MO_SIGN) {
        switch (mop & MO_SIZE) {
        case MO_8:
            return (int64_t)(int8_t)v;
        case MO_16:
            return (int64_t)(int16_t)v;
        case MO_32:
            return (int64_t)(int32_t)v;
        default:
            break;
        }
    }
    return v;
}

static uint64_t load_helper(CPUState *cpu, uint64_t addr, MemOpIdx oi,
                            uintptr_t ra, MMUAccessType type)
{
    MemOp mop = get_memop(oi);
    int mmu_idx = get_mmuidx(oi);
    int size = memop_size(mop);
    uint64_t v;

    check_align(cpu, addr, mop, type, mmu_idx, ra);
    unsigned off = addr & ~TARGET_PAGE_MASK;
    if (off + size <= TARGET_PAGE_SIZE) {
        CPUTLBEntry *e = tlb_entry(cpu, mmu_idx, addr);
        uint64_t cmp = tlb_cmp(e, type);
        if (tlb_hit_page(cmp, addr) && !(cmp & TLB_FLAGS_MASK)) {
            v = ld_le_host((void *)(uintptr_t)(addr + e->addend), size);
        } else {
            v = load_page(cpu, addr, size, type, mmu_idx, ra);
        }
    } else {
        /* crosses a page: both pages checked before reading */
        uint64_t addr2 = (addr & TARGET_PAGE_MASK) + TARGET_PAGE_SIZE;
        int n1 = TARGET_PAGE_SIZE - off;
        probe_page(cpu, addr, type, mmu_idx, ra);
        probe_page(cpu, addr2, type, mmu_idx, ra);
        v = 0;
        for (int i = 0; i < size; i++) {
            uint64_t a = i < n1 ? addr + i : addr2 + (i - n1);
            v |= load_page(cpu, a, 1, type, mmu_idx, ra) << (8 * i);
        }
    }
    return memop_finish_load(v, mop);
}

static void store_helper(CPUState *cpu, uint64_t addr, uint64_t val,
                         MemOpIdx oi, uintptr_t ra)
{
    MemOp mop = get_memop(oi);
    int mmu_idx = get_mmuidx(oi);
    int size = memop_size(mop);

    check_align(cpu, addr, mop, MMU_DATA_STORE, mmu_idx, ra);
    if (mop & MO_BSWAP) {
        val = bswap_size(val, mop);
    }
    unsigned off = addr & ~TARGET_PAGE_MASK;
    if (off + size <= TARGET_PAGE_SIZE) {
        CPUTLBEntry *e = tlb_entry(cpu, mmu_idx, addr);
        uint64_t cmp = tlb_cmp(e, MMU_DATA_STORE);
        if (tlb_hit_page(cmp, addr) && !(cmp & TLB_FLAGS_MASK)) {
            st_le_host((void *)(uintptr_t)(addr + e->addend), val, size);
        } else {
            store_page(cpu, addr, val, size, mmu_idx, ra);
        }
        return;
    }
    /* crosses a page: fault on either page before writing anything */
    uint64_t addr2 = (addr & TARGET_PAGE_MASK) + TARGET_PAGE_SIZE;
    int n1 = TARGET_PAGE_SIZE - off;
    probe_page(cpu, addr, MMU_DATA_STORE, mmu_idx, ra);
    probe_page(cpu, addr2, MMU_DATA_STORE, mmu_idx, ra);
    for (int i = 0; i < size; i++) {
        uint64_t a = i < n1 ? addr + i : addr2 + (i - n1);
        store_page(cpu, a, (val >> (8 * i)) & 0xff, 1, mmu_idx, ra);
    }
}

/*
 * The slow path of generated code (tcg/x86_64: the inline TLB compare
 * failed), with the return address into the TB.  Loads return the value
 * extended to 64 bits as the MemOp says.
 */
uint64_t helper_ld_mmu(void *env, uint64_t addr, uint32_t oi, uintptr_t ra)
{
    tlb_stats.slow_calls++;
    return load_helper(env_cpu(env), addr, oi, ra, MMU_DATA_LOAD);
}

void helper_st_mmu(void *env, uint64_t addr, uint64_t val, uint32_t oi,
                   uintptr_t ra)
{
    tlb_stats.slow_calls++;
    store_helper(env_cpu(env), addr, val, oi, ra);
}

/* The layout generated code reads (tcg/tcg-internal.h). */
_Static_assert(sizeof(CPUTLBEntry) == 1 << TCG_TLB_ENTRY_BITS, "entry");
_Static_assert(offsetof(CPUTLBEntry, addr_read) == TCG_TLB_OFF_READ, "rd");
_Static_assert(offsetof(CPUTLBEntry, addr_write) == TCG_TLB_OFF_WRITE, "wr");
_Static_assert(offsetof(CPUTLBEntry, addend) == TCG_TLB_OFF_ADDEND, "add");
_Static_assert(sizeof(CPUTLBDescFast) == TCG_TLB_FAST_SIZE, "fast");
_Static_assert(offsetof(CPUTLBDescFast, mask) == TCG_TLB_FAST_MASK, "mask");
_Static_assert(offsetof(CPUTLBDescFast, table) == TCG_TLB_FAST_TABLE, "tab");
_Static_assert(TARGET_PAGE_BITS == TCG_TLB_PAGE_BITS, "page");
_Static_assert(CPU_TLB_ENTRY_BITS == TCG_TLB_ENTRY_BITS, "bits");

/* ---- cpu-ldst.h --------------------------------------------------------- */

static inline int cpu_data_mmu_index(void *env)
{
    CPUState *cpu = env_cpu(env);
    return cpu->tcg_ops->mmu_index ? cpu->tcg_ops->mmu_index(cpu, false) : 0;
}

#define DEF_LD(NAME, RT, MOP)                                                  \
    RT NAME##_mmuidx_ra(void *env, uint64_t addr, int mmu_idx, uintptr_t ra)   \
    {                                                                          \
        return (RT)load_helper(env_cpu(env), addr,                             \
                               make_memop_idx(MOP, mmu_idx), ra,               \
                               MMU_DATA_LOAD);                                 \
    }                                                                          \
    RT NAME##_data_ra(void *env, uint64_t addr, uintptr_t ra)                  \
    {                                                                          \
        return NAME##_mmuidx_ra(env, addr, cpu_data_mmu_index(env), ra);       \
    }
DEF_LD(cpu_ldub, uint32_t, MO_UB)
DEF_LD(cpu_ldsb, int32_t, MO_SB)
DEF_LD(cpu_lduw, uint32_t, MO_LEUW)
DEF_LD(cpu_ldsw, int32_t, MO_LESW)
DEF_LD(cpu_ldl, uint32_t, MO_LEUL)
DEF_LD(cpu_ldq, uint64_t, MO_LEUQ)

#define DEF_ST(NAME, VT, MOP)                                                  \
    void NAME##_mmuidx_ra(void *env, uint64_t addr, VT v, int mmu_idx,         \
                          uintptr_t ra)                                        \
    {                                                                          \
        store_helper(env_cpu(env), addr, v, make_memop_idx(MOP, mmu_idx), ra); \
    }                                                                          \
    void NAME##_data_ra(void *env, uint64_t addr, VT v, uintptr_t ra)          \
    {                                                                          \
        NAME##_mmuidx_ra(env, addr, v, cpu_data_mmu_index(env), ra);           \
    }
DEF_ST(cpu_stb, uint32_t, MO_UB)
DEF_ST(cpu_stw, uint32_t, MO_LEUW)
DEF_ST(cpu_stl, uint32_t, MO_LEUL)
DEF_ST(cpu_stq, uint64_t, MO_LEUQ)

#define DEF_LD_BE(NAME, RT, MOP)                                               \
    RT NAME(void *env, uint64_t addr, uintptr_t ra)                            \
    {                                                                          \
        return (RT)load_helper(env_cpu(env), addr,                             \
                               make_memop_idx(MOP, cpu_data_mmu_index(env)),   \
                               ra, MMU_DATA_LOAD);                             \
    }
DEF_LD_BE(cpu_lduw_be_data_ra, uint32_t, MO_BEUW)
DEF_LD_BE(cpu_ldl_be_data_ra, uint32_t, MO_BEUL)
DEF_LD_BE(cpu_ldq_be_data_ra, uint64_t, MO_BEUQ)

#define DEF_ST_BE(NAME, VT, MOP)                                               \
    void NAME(void *env, uint64_t addr, VT v, uintptr_t ra)                    \
    {                                                                          \
        store_helper(env_cpu(env), addr, v,                                    \
                     make_memop_idx(MOP, cpu_data_mmu_index(env)), ra);        \
    }
DEF_ST_BE(cpu_stw_be_data_ra, uint32_t, MO_BEUW)
DEF_ST_BE(cpu_stl_be_data_ra, uint32_t, MO_BEUL)
DEF_ST_BE(cpu_stq_be_data_ra, uint64_t, MO_BEUQ)

/* ---- probes ------------------------------------------------------------- */

int probe_access_flags(void *env, uint64_t addr, int size,
                       MMUAccessType access_type, int mmu_idx, bool nonfault,
                       void **phost, uintptr_t ra)
{
    CPUState *cpu = env_cpu(env);
    *phost = NULL;
    CPUTLBEntry *e = tlb_lookup(cpu, addr, size ? size : 1, access_type,
                                mmu_idx, nonfault, ra);
    if (!e) {
        return TLB_INVALID_MASK;
    }
    uint64_t cmp = tlb_cmp(e, access_type);
    if (cmp & TLB_MMIO) {
        return TLB_MMIO;
    }
    void *host = (void *)(uintptr_t)(addr + e->addend);
    if ((cmp & TLB_NOTDIRTY) && access_type == MMU_DATA_STORE && size) {
        /* the caller will write: translated code there goes first */
        if (!tb_invalidate_for_store(cpu, (uintptr_t)host, size, ra)) {
            __atomic_store_n(&e->addr_write, (uint64_t)-1, __ATOMIC_RELAXED);
        }
    }
    *phost = host;
    return 0;
}

void *probe_access(void *env, uint64_t addr, int size,
                   MMUAccessType access_type, int mmu_idx, uintptr_t ra)
{
    void *host;
    probe_access_flags(env, addr, size, access_type, mmu_idx, false, &host, ra);
    return host;
}

void *probe_write(void *env, uint64_t addr, int size, int mmu_idx, uintptr_t ra)
{
    return probe_access(env, addr, size, MMU_DATA_STORE, mmu_idx, ra);
}

bool probe_access_nofault(void *env, uint64_t addr, int size,
                          MMUAccessType access_type, int mmu_idx)
{
    return tlb_lookup(env_cpu(env), addr, size ? size : 1, access_type, mmu_idx,
                      true, 0) != NULL;
}

void *tlb_vaddr_to_host(void *env, uint64_t addr, MMUAccessType access_type,
                        int mmu_idx)
{
    CPUState *cpu = env_cpu(env);
    CPUTLBEntry *e = tlb_entry(cpu, mmu_idx, addr);
    uint64_t cmp = tlb_cmp(e, access_type);
    if (!tlb_hit_page(cmp, addr) || (cmp & TLB_FLAGS_MASK)) {
        return NULL;
    }
    return (void *)(uintptr_t)(addr + e->addend);
}

/* ---- code fetch --------------------------------------------------------- */

static inline int cpu_code_mmu_index(CPUState *cpu)
{
    return cpu->tcg_ops->mmu_index ? cpu->tcg_ops->mmu_index(cpu, true) : 0;
}

void *tlb_code_host(CPUState *cpu, uint64_t pc, bool probe, bool *fault,
                    bool *is_io)
{
    int mmu_idx = cpu_code_mmu_index(cpu);
    CPUTLBEntry *e = tlb_lookup(cpu, pc, 1, MMU_INST_FETCH, mmu_idx, probe, 0);
    if (!e) {
        if (fault) {
            *fault = true;
        }
        return NULL;
    }
    if (e->addr_code & TLB_MMIO) {
        if (is_io) {
            *is_io = true;
        }
        return NULL;
    }
    return (void *)(uintptr_t)(pc + e->addend);
}

uint64_t tlb_code_load_io(CPUState *cpu, uint64_t pc, int size)
{
    return load_helper(
        cpu, pc,
        make_memop_idx(size == 1 ? MO_UB : MO_LEUL, cpu_code_mmu_index(cpu)), 0,
        MMU_INST_FETCH);
}

uint64_t get_page_addr_code(void *env, uint64_t addr)
{
    CPUState *cpu = env_cpu(env);
    int mmu_idx = cpu_code_mmu_index(cpu);
    CPUTLBEntry *e =
        tlb_lookup(cpu, addr, 1, MMU_INST_FETCH, mmu_idx, false, 0);
    if (!e || (e->addr_code & TLB_MMIO)) {
        return (uint64_t)-1;
    }
    return tlb_full(cpu, mmu_idx, addr)->phys_addr | (addr & ~TARGET_PAGE_MASK);
}

/* ---- atomics ------------------------------------------------------------ */

/* x86 hosts: a locked access spanning two of these is a split lock. */
#define HOST_CACHE_LINE 64

/*
 * The host address for an atomic access of size bytes at addr (read and
 * write checked, faults raised from ra), or NULL when it is not plain RAM
 * in one host cache line: then the caller does it in an exclusive section.
 *
 * A host locked instruction whose operand crosses a cache line is a split
 * lock: the host locks the bus (thousands of cycles, every core stalls),
 * and Linux's split-lock detection traps it (#AC/#DB: a warning, a
 * throttled thread, under a hypervisor seconds per access; SIGBUS with
 * split_lock_detect=fatal).  A misaligned guest LOCK insn must not become
 * one: one such LOCK XADD stalled each AP of a test guest for 1 to 23 s
 * (docs/devel/smp-layout.md).
 */
static void *atomic_host(CPUState *cpu, uint64_t addr, MemOpIdx oi, int size,
                         uintptr_t ra)
{
    int mmu_idx = get_mmuidx(oi);
    void *host;
    check_align(cpu, addr, get_memop(oi), MMU_DATA_STORE, mmu_idx, ra);
    if ((addr & ~TARGET_PAGE_MASK) + size > TARGET_PAGE_SIZE) {
        probe_page(cpu, addr, MMU_DATA_STORE, mmu_idx, ra);
        probe_page(cpu, addr + size - 1, MMU_DATA_STORE, mmu_idx, ra);
        return NULL;
    }
    if (probe_access_flags(cpu->env_ptr, addr, size, MMU_DATA_STORE, mmu_idx,
                           false, &host, ra)) {
        return NULL;
    }
    if (((uintptr_t)host & (HOST_CACHE_LINE - 1)) + size > HOST_CACHE_LINE) {
        return NULL;
    }
    return host;
}

static uint64_t helper_atomic_cmpxchg(void *env, uint64_t addr, uint64_t cmpv,
                                      uint64_t newv, uint32_t oi)
{
    CPUState *cpu = env_cpu(env);
    uintptr_t ra = GETPC();
    MemOp mop = get_memop(oi);
    void *host = atomic_host(cpu, addr, oi, memop_size(mop), ra);
    if (host) {
        return atomic_host_cmpxchg(host, mop, cmpv, newv);
    }
    start_exclusive();
    uint64_t mask =
        memop_size(mop) == 8 ? ~0ull : (1ull << (8 * memop_size(mop))) - 1;
    uint64_t old = load_helper(cpu, addr, oi & ~MO_SIGN, ra, MMU_DATA_LOAD);
    if (old == (cmpv & mask)) {
        store_helper(cpu, addr, newv, oi, ra);
    }
    end_exclusive();
    return old;
}

const TCGHelperInfo helper_info_atomic_cmpxchg = {
    .func = helper_atomic_cmpxchg,
    .name = "atomic_cmpxchg",
    .flags = TCG_CALL_NO_WG,
    .ret = TCG_CALL_I64,
    .nargs = 5,
    .args = {TCG_CALL_PTR, TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64,
             TCG_CALL_I32},
};

static uint64_t rmw_value(TCGAtomicOp aop, uint64_t cur, uint64_t val)
{
    switch (aop) {
    case TCG_ATOMIC_XCHG:
        return val;
    case TCG_ATOMIC_FETCH_ADD:
    case TCG_ATOMIC_ADD_FETCH:
        return cur + val;
    case TCG_ATOMIC_FETCH_AND:
    case TCG_ATOMIC_AND_FETCH:
        return cur & val;
    case TCG_ATOMIC_FETCH_OR:
    case TCG_ATOMIC_OR_FETCH:
        return cur | val;
    default:
        return cur ^ val;
    }
}

static uint64_t helper_atomic_op(void *env, uint64_t addr, uint64_t val,
                                 uint32_t oi)
{
    CPUState *cpu = env_cpu(env);
    uintptr_t ra = GETPC();
    MemOp mop = get_memop(oi);
    TCGAtomicOp aop = (TCGAtomicOp)(oi >> 16);
    MemOpIdx moi = oi & 0xffff;
    int size = memop_size(mop);
    void *host = atomic_host(cpu, addr, moi, size, ra);
    if (host) {
        return atomic_host_rmw(host, mop, aop, val);
    }
    uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
    start_exclusive();
    uint64_t cur =
        load_helper(cpu, addr, moi & ~MO_SIGN, ra, MMU_DATA_LOAD) & mask;
    uint64_t nv = rmw_value(aop, cur, val) & mask;
    store_helper(cpu, addr, nv, moi, ra);
    end_exclusive();
    /* the helper's callers extend the result themselves */
    return aop >= TCG_ATOMIC_ADD_FETCH ? nv : cur;
}

const TCGHelperInfo helper_info_atomic_op = {
    .func = helper_atomic_op,
    .name = "atomic_op",
    .flags = TCG_CALL_NO_WG,
    .ret = TCG_CALL_I64,
    .nargs = 4,
    .args = {TCG_CALL_PTR, TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I32},
};

unsigned __int128 cpu_atomic_cmpxchgo_le(void *env, uint64_t addr,
                                         unsigned __int128 cmpv,
                                         unsigned __int128 newv, uintptr_t ra)
{
    CPUState *cpu = env_cpu(env);
    int mmu_idx = cpu_data_mmu_index(env);
    void *host = atomic_host(cpu, addr, make_memop_idx(MO_64, mmu_idx), 16, ra);
    if (host) {
        uint64_t lo = (uint64_t)cmpv, hi = (uint64_t)(cmpv >> 64);
        __asm__ volatile("lock cmpxchg16b %2"
                         : "+a"(lo), "+d"(hi), "+m"(*(unsigned __int128 *)host)
                         : "b"((uint64_t)newv), "c"((uint64_t)(newv >> 64))
                         : "memory", "cc");
        return ((unsigned __int128)hi << 64) | lo;
    }
    MemOpIdx oi = make_memop_idx(MO_LEUQ, mmu_idx);
    start_exclusive();
    uint64_t lo = load_helper(cpu, addr, oi, ra, MMU_DATA_LOAD);
    uint64_t hi = load_helper(cpu, addr + 8, oi, ra, MMU_DATA_LOAD);
    unsigned __int128 old = ((unsigned __int128)hi << 64) | lo;
    if (old == cmpv) {
        store_helper(cpu, addr, (uint64_t)newv, oi, ra);
        store_helper(cpu, addr + 8, (uint64_t)(newv >> 64), oi, ra);
    }
    end_exclusive();
    return old;
}

uint64_t cpu_atomic_cmpxchgq_le(void *env, uint64_t addr, uint64_t cmpv,
                                uint64_t newv, uintptr_t ra)
{
    CPUState *cpu = env_cpu(env);
    MemOpIdx oi = make_memop_idx(MO_LEUQ, cpu_data_mmu_index(env));
    void *host = atomic_host(cpu, addr, oi, 8, ra);
    if (host) {
        return atomic_host_cmpxchg(host, MO_LEUQ, cmpv, newv);
    }
    start_exclusive();
    uint64_t old = load_helper(cpu, addr, oi, ra, MMU_DATA_LOAD);
    if (old == cmpv) {
        store_helper(cpu, addr, newv, oi, ra);
    }
    end_exclusive();
    return old;
}

/* ---- guest physical memory ---------------------------------------------- */

void *cpu_physical_ram_ptr(hwaddr addr, hwaddr len)
{
    FlatView *fv = address_space_get_flatview(&address_space_memory);
    MemoryRegionSection sec = flatview_find(fv, addr);
    void *p = NULL;
    if (sec.mr && memory_region_is_ram(sec.mr) && sec.mr->ram_ptr &&
        sec.size >= len) {
        p = sec.mr->ram_ptr + sec.offset_within_region;
    }
    flatview_unref(fv);
    return p;
}

/* Writable RAM at addr for len bytes (not ROM), else NULL. */
static void *phys_ram_writable(hwaddr addr, hwaddr len)
{
    FlatView *fv = address_space_get_flatview(&address_space_memory);
    MemoryRegionSection sec = flatview_find(fv, addr);
    void *p = NULL;
    if (sec.mr && memory_region_is_ram(sec.mr) && sec.mr->ram_ptr &&
        sec.size >= len && !sec.readonly && !sec.mr->readonly &&
        !sec.mr->rom_device) {
        p = sec.mr->ram_ptr + sec.offset_within_region;
    }
    flatview_unref(fv);
    return p;
}

bool cpu_physical_cmpxchg32(hwaddr addr, uint32_t expected, uint32_t newv)
{
    uint32_t *p = phys_ram_writable(addr, 4);
    if (!p) {
        return false;
    }
    bool ok = __atomic_compare_exchange_n(p, &expected, newv, false,
                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    if (ok && tb_page_has_code((uintptr_t)p & TARGET_PAGE_MASK)) {
        tb_invalidate_phys_range((uintptr_t)p, (uintptr_t)p + 4);
    }
    return ok;
}

bool cpu_physical_cmpxchg64(hwaddr addr, uint64_t expected, uint64_t newv)
{
    uint64_t *p = phys_ram_writable(addr, 8);
    if (!p) {
        return false;
    }
    bool ok = __atomic_compare_exchange_n(p, &expected, newv, false,
                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    if (ok && tb_page_has_code((uintptr_t)p & TARGET_PAGE_MASK)) {
        tb_invalidate_phys_range((uintptr_t)p, (uintptr_t)p + 8);
    }
    return ok;
}

/* DMA, loaders, address_space_write: drop the code they overwrite. */
static void cputlb_ram_written(void *host, uint64_t len)
{
    uintptr_t h = (uintptr_t)host;
    for (uintptr_t p = h & TARGET_PAGE_MASK; p < h + len;
         p += TARGET_PAGE_SIZE) {
        if (tb_page_has_code(p)) {
            tb_invalidate_phys_range(h, h + len);
            return;
        }
    }
}

void tb_invalidate_phys_addr(CPUState *cpu, hwaddr addr, hwaddr len)
{
    FlatView *fv = address_space_get_flatview(cpu_as(cpu));
    while (len > 0) {
        MemoryRegionSection sec = flatview_find(fv, addr);
        hwaddr l = MIN(len, sec.size);
        if (sec.mr && memory_region_is_ram(sec.mr) && sec.mr->ram_ptr) {
            uintptr_t h = (uintptr_t)sec.mr->ram_ptr + sec.offset_within_region;
            tb_invalidate_phys_range(h, h + l);
        }
        if (!l) {
            break;
        }
        addr += l;
        len -= l;
    }
    flatview_unref(fv);
}

/* ---- memory map changes ------------------------------------------------- */

static bool map_changed;

static void tcg_listener_change(MemoryListener *l, MemoryRegionSection *s)
{
    map_changed = true;
}

static void tcg_listener_commit(MemoryListener *l)
{
    CPUState *c;
    if (!map_changed) {
        return;
    }
    map_changed = false;
    /*
     * Entries point at the old RAM/ROM/MMIO.  TBs are keyed by host RAM
     * addresses and stay valid; the virtual-pc jump caches are cleared
     * with the TLBs.
     */
    CPU_FOREACH(c)
    {
        if (c->tlb) {
            tlb_flush(c);
        }
    }
}

static MemoryListener tcg_memory_listener = {
    .region_add = tcg_listener_change,
    .region_del = tcg_listener_change,
    .commit = tcg_listener_commit,
    .priority = 10,
    .name = "tcg",
};

void cputlb_system_init(void)
{
    static bool done;
    if (done) {
        return;
    }
    done = true;
    get_system_memory(); /* address_space_memory exists */
    memory_listener_register(&tcg_memory_listener, &address_space_memory);
    memory_ram_write_notify = cputlb_ram_written;
}
