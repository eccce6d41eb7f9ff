/*
 * The TB cache: translation (tb_gen_code), the TB hash table, direct
 * chaining, invalidation (self-modifying code, unmapped pages) and the
 * code buffer flush.
 *
 * Locking: tb_lock serializes translation, chaining and invalidation.
 * Lookups (hash and per-CPU jump cache) are lock-free: a TB is published
 * with a release store and is never freed except by tb_flush, which runs
 * with all other vCPUs stopped (start_exclusive).  An invalidated TB is
 * marked CF_INVALID, unhashed and unchained; a vCPU already inside it
 * finishes it.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <inttypes.h>
#include <string.h>
#include "accel/tcg/tb-internal.h"
#ifdef CONFIG_SOFTMMU
#include "accel/tcg/tcg-accel-ops.h"
#endif
#include "tcg/tcg-internal.h"
#include "tcg/tcg-op.h"
#include "util/log.h"

pthread_mutex_t tb_lock = PTHREAD_MUTEX_INITIALIZER;
__thread bool tb_lock_held;
volatile unsigned tb_flush_count;
TBStats tb_stats;

#define TB_HASH_BITS 16
#define TB_HASH_SIZE (1u << TB_HASH_BITS)

static TranslationBlock *tb_hash[TB_HASH_SIZE];
static GPtrArray *all_tbs;      /* in code-buffer order */
static GHashTable *page_tbs;    /* guest page -> GPtrArray of TBs */
static uint8_t *code_gen_start; /* first byte after the prologue */
static uint8_t *code_gen_ptr;
static uint8_t *code_gen_end;

static unsigned tb_hash_func(uint64_t pc, uint64_t cs_base, uint32_t flags)
{
    uint64_t h = pc * 0x9e3779b97f4a7c15ull ^ cs_base ^ ((uint64_t)flags << 32);
    h ^= h >> 29;
    return (h * 0xbf58476d1ce4e5b9ull >> 40) & (TB_HASH_SIZE - 1);
}

void tb_cache_init(void);
void tb_cache_init(void)
{
    all_tbs = g_ptr_array_new();
    page_tbs = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                     (GDestroyNotify)g_ptr_array_unref);
    code_gen_start = tcg_code_buf_start();
    code_gen_ptr = code_gen_start;
    code_gen_end = code_gen_start + tcg_code_buf_size();
}

bool tb_host_pc_in_buffer(uintptr_t host_pc)
{
    return host_pc >= (uintptr_t)code_gen_start &&
           host_pc < (uintptr_t)code_gen_end;
}

TranslationBlock *tb_find_by_host_pc(uintptr_t host_pc)
{
    if (!tb_host_pc_in_buffer(host_pc) || !all_tbs) {
        return NULL;
    }
    int lo = 0, hi = (int)all_tbs->len - 1;
    TranslationBlock *found = NULL;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        TranslationBlock *tb = g_ptr_array_index(all_tbs, mid);
        if ((uintptr_t)tb->tc_ptr <= host_pc) {
            found = tb;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (found && host_pc < (uintptr_t)found->tc_ptr + found->tc_size) {
        return found;
    }
    return NULL;
}

void tb_restore_state(CPUState *cpu, TranslationBlock *tb, uintptr_t host_pc)
{
    uintptr_t off = host_pc - (uintptr_t)tb->tc_ptr;
    unsigned words = cpu->tcg_ops->insn_start_words;
    for (int i = 0; i < tb->nb_insns; i++) {
        if (off < tb->insn_end_off[i]) {
            cpu->tcg_ops->restore_state_to_opc(cpu, tb,
                                               &tb->insn_data[i * words]);
            return;
        }
    }
}

void tb_jmp_cache_set(CPUState *cpu, TranslationBlock *tb)
{
    TBJmpCacheEntry *e = &cpu->tb_jmp_cache[tb_jmp_cache_hash(tb->pc)];
#ifdef CONFIG_SOFTMMU
    /* the page groups tb_jmp_cache_clear must empty */
    cpu->tb_jmp_used |= 1ull
                        << (tb_jmp_cache_hash_page(tb->pc) >> TB_JMP_PAGE_BITS);
#endif
    __atomic_store_n(&e->tb, NULL, __ATOMIC_RELAXED);
    __atomic_store_n(&e->pc, (uint64_t)-1, __ATOMIC_RELAXED);
    e->cs_base = tb->cs_base;
    e->flags = tb->flags;
    e->tc_ptr = tb->tc_ptr;
    /* pc last: the inline probe matches on it alone */
    __atomic_store_n(&e->pc, tb->pc, __ATOMIC_RELEASE);
    __atomic_store_n(&e->tb, tb, __ATOMIC_RELEASE);
}

/*
 * The hash table lookup.  In system mode the key includes the code
 * address (host address of the guest RAM) of pc, found through the code
 * TLB: with probe a fault returns NULL, else it is raised (the guest
 * state must then be exact).
 */
static TranslationBlock *tb_htable_lookup(CPUState *cpu, uint64_t pc,
                                          uint64_t cs_base, uint32_t flags,
                                          bool probe)
{
    uint64_t phys_pc = pc;
#ifdef CONFIG_SOFTMMU
    bool fault = false, is_io = false;
    void *host = tlb_code_host(cpu, pc, probe, &fault, &is_io);
    if (!host) {
        return NULL; /* fault (probe), or code in MMIO: never cached */
    }
    phys_pc = (uintptr_t)host;
#endif
    tb_stats.lookups_slow++;
    TranslationBlock *tb = __atomic_load_n(
        &tb_hash[tb_hash_func(phys_pc, cs_base, flags)], __ATOMIC_ACQUIRE);
    for (; tb; tb = __atomic_load_n(&tb->hash_next, __ATOMIC_ACQUIRE)) {
        if (tb->phys_pc == phys_pc && tb->pc == pc && tb->cs_base == cs_base &&
            tb->flags == flags &&
            !(__atomic_load_n(&tb->cflags, __ATOMIC_RELAXED) & CF_INVALID)) {
            tb_jmp_cache_set(cpu, tb);
            return tb;
        }
    }
    return NULL;
}

TranslationBlock *tb_lookup(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                            uint32_t flags, uint32_t cflags)
{
    TBJmpCacheEntry *e = &cpu->tb_jmp_cache[tb_jmp_cache_hash(pc)];
    TranslationBlock *tb = __atomic_load_n(&e->tb, __ATOMIC_ACQUIRE);
    if (tb && e->pc == pc && e->cs_base == cs_base && e->flags == flags) {
        return tb;
    }
    return tb_htable_lookup(cpu, pc, cs_base, flags, false);
}

#ifdef CONFIG_SOFTMMU
static void tb_jmp_cache_clear_group(CPUState *cpu, unsigned i0)
{
    for (unsigned i = 0; i < TB_JMP_PAGE_SIZE; i++) {
        __atomic_store_n(&cpu->tb_jmp_cache[i0 + i].tb, NULL, __ATOMIC_RELAXED);
        cpu->tb_jmp_cache[i0 + i].pc = (uint64_t)-1;
    }
}

/* Only the page groups used since the last clear (a CR3 write is cheap). */
void tb_jmp_cache_clear(CPUState *cpu)
{
    _Static_assert(TB_JMP_CACHE_SIZE / TB_JMP_PAGE_SIZE <= 64, "groups");
    for (uint64_t m = cpu->tb_jmp_used; m; m &= m - 1) {
        tb_jmp_cache_clear_group(cpu, __builtin_ctzll(m) << TB_JMP_PAGE_BITS);
    }
    cpu->tb_jmp_used = 0;
}

static void tb_jmp_cache_clear_one_page(CPUState *cpu, uint64_t page)
{
    tb_jmp_cache_clear_group(cpu, tb_jmp_cache_hash_page(page));
}

void tb_jmp_cache_clear_page(CPUState *cpu, uint64_t page)
{
    /* a TB starting on the previous page may run into this one */
    tb_jmp_cache_clear_one_page(cpu, page - TARGET_PAGE_SIZE);
    tb_jmp_cache_clear_one_page(cpu, page);
}
#endif

/* Fast path for generated code: host code of the TB, or NULL. */
const void *tb_lookup_tc(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                         uint32_t flags)
{
    TBJmpCacheEntry *e = &cpu->tb_jmp_cache[tb_jmp_cache_hash(pc)];
    if (__atomic_load_n(&e->tb, __ATOMIC_ACQUIRE) && e->pc == pc &&
        e->cs_base == cs_base && e->flags == flags) {
        return e->tc_ptr;
    }
    /* from generated code: a fetch fault is raised by cpu_exec instead */
    TranslationBlock *tb = tb_htable_lookup(cpu, pc, cs_base, flags, true);
    return tb ? tb->tc_ptr : NULL;
}

/* ---- chaining --------------------------------------------------------- */

static void tb_reset_jump(TranslationBlock *tb, int n)
{
    tcg_tb_set_jmp_target((uintptr_t)tb->tc_ptr + tb->jmp_insn_offset[n],
                          (uintptr_t)tb->tc_ptr + tb->jmp_reset_offset[n]);
    tb->jmp_dest[n] = 0;
}

void tb_add_jump(TranslationBlock *tb, int n, TranslationBlock *next)
{
    if (tb->jmp_insn_offset[n] == 0xffff || tb->jmp_dest[n] ||
        (tb->cflags | next->cflags) & (CF_INVALID | CF_NOCHAIN)) {
        return;
    }
    tb_lock_acquire();
    if (!tb->jmp_dest[n] && !((tb->cflags | next->cflags) & CF_INVALID)) {
        tcg_tb_set_jmp_target((uintptr_t)tb->tc_ptr + tb->jmp_insn_offset[n],
                              (uintptr_t)next->tc_ptr);
        tb->jmp_dest[n] = (uintptr_t)next;
        tb->jmp_list_next[n] = next->jmp_list_head;
        next->jmp_list_head = (uintptr_t)tb | n;
        tb_stats.chained++;
    }
    tb_lock_release();
}

/* Removes (src, n) from dest's list of incoming jumps. */
static void tb_remove_incoming(TranslationBlock *dest, TranslationBlock *src,
                               int n)
{
    uintptr_t *pp = &dest->jmp_list_head;
    while (*pp) {
        TranslationBlock *t = (TranslationBlock *)(*pp & ~(uintptr_t)3);
        int k = *pp & 3;
        if (t == src && k == n) {
            *pp = t->jmp_list_next[k];
            return;
        }
        pp = &t->jmp_list_next[k];
    }
}

static void tb_page_remove(uint64_t page, TranslationBlock *tb)
{
    GPtrArray *a = g_hash_table_lookup(page_tbs, &page);
    if (a) {
        g_ptr_array_remove_fast(a, tb);
#ifdef CONFIG_SOFTMMU
        if (!a->len) {
            /* writes to the page may take the fast path again */
            tb_page_clear_code(page);
        }
#endif
    }
}

/* Whether tb holds code bytes in [start, end) (code addresses). */
static bool tb_overlaps(const TranslationBlock *tb, uint64_t start,
                        uint64_t end)
{
    uint64_t n0 = TARGET_PAGE_SIZE - (tb->pc & ~TARGET_PAGE_MASK);
    if (n0 > tb->size) {
        n0 = tb->size;
    }
    if (tb->phys_pc < end && tb->phys_pc + n0 > start) {
        return true;
    }
    if (tb->page_addr[1] == (uint64_t)-1 || tb->size <= n0) {
        return false;
    }
    return tb->page_addr[1] < end && tb->page_addr[1] + (tb->size - n0) > start;
}

/* tb_lock held */
static void tb_invalidate(TranslationBlock *tb)
{
    if (tb->cflags & CF_INVALID) {
        return;
    }
    __atomic_or_fetch(&tb->cflags, CF_INVALID, __ATOMIC_RELEASE);
    tb_stats.invalidated++;
    /* unhash */
    TranslationBlock **pp =
        &tb_hash[tb_hash_func(tb->phys_pc, tb->cs_base, tb->flags)];
    for (; *pp; pp = &(*pp)->hash_next) {
        if (*pp == tb) {
            __atomic_store_n(pp, tb->hash_next, __ATOMIC_RELEASE);
            break;
        }
    }
    /* jump caches */
    unsigned jh = tb_jmp_cache_hash(tb->pc);
    for (CPUState *c = first_cpu; c; c = c->next) {
        TBJmpCacheEntry *e = &c->tb_jmp_cache[jh];
        if (__atomic_load_n(&e->tb, __ATOMIC_RELAXED) == tb) {
            /* the inline probe in generated code only compares the pc */
            __atomic_store_n(&e->pc, (uint64_t)-1, __ATOMIC_RELAXED);
            __atomic_store_n(&e->tb, NULL, __ATOMIC_RELEASE);
        }
    }
    /* incoming jumps go back to their exit stubs */
    uintptr_t p = tb->jmp_list_head;
    while (p) {
        TranslationBlock *src = (TranslationBlock *)(p & ~(uintptr_t)3);
        int n = p & 3;
        p = src->jmp_list_next[n];
        tb_reset_jump(src, n);
    }
    tb->jmp_list_head = 0;
    /* outgoing jumps */
    for (int n = 0; n < 2; n++) {
        if (tb->jmp_dest[n]) {
            tb_remove_incoming((TranslationBlock *)tb->jmp_dest[n], tb, n);
            tb_reset_jump(tb, n);
        }
    }
    if (tb->page_addr[0] != (uint64_t)-1) {
        tb_page_remove(tb->page_addr[0], tb);
    }
    if (tb->page_addr[1] != (uint64_t)-1) {
        tb_page_remove(tb->page_addr[1], tb);
    }
}

void tb_invalidate_page_locked(uint64_t page, TranslationBlock **hit,
                               uintptr_t host_pc)
{
    GPtrArray *a = g_hash_table_lookup(page_tbs, &page);
    TranslationBlock *cur = host_pc ? tb_find_by_host_pc(host_pc) : NULL;
    if (hit) {
        *hit = NULL;
    }
    if (!a || !a->len) {
        return;
    }
    GPtrArray *copy = g_ptr_array_copy(a, NULL, NULL);
    for (guint i = 0; i < copy->len; i++) {
        TranslationBlock *tb = g_ptr_array_index(copy, i);
        if (tb == cur && hit) {
            *hit = tb;
        }
        tb_invalidate(tb);
    }
    g_ptr_array_unref(copy);
}

void tb_invalidate_phys_range(uint64_t start, uint64_t end)
{
    if (!page_tbs || end <= start) {
        return;
    }
    /*
     * A page walk during translation (the target's tlb_fill under
     * tb_lock) may set A/D bits in a page that holds code.
     */
    bool take = !tb_lock_held;
    if (take) {
        tb_lock_acquire();
    }
    uint64_t npages =
        ((end - 1) >> TARGET_PAGE_BITS) - (start >> TARGET_PAGE_BITS) + 1;
    if (npages > g_hash_table_size(page_tbs)) {
        /* a huge range (munmap of a reservation): visit the code pages */
        GList *keys = g_hash_table_get_keys(page_tbs);
        for (GList *l = keys; l; l = l->next) {
            uint64_t page = *(uint64_t *)l->data;
            if (page + TARGET_PAGE_SIZE <= start || page >= end) {
                continue;
            }
            GPtrArray *a = g_hash_table_lookup(page_tbs, &page);
            for (guint i = 0; a && i < a->len;) {
                TranslationBlock *tb = g_ptr_array_index(a, i);
                if (tb_overlaps(tb, start, end)) {
                    tb_invalidate(tb);
                } else {
                    i++;
                }
            }
        }
        g_list_free(keys);
        if (take) {
            tb_lock_release();
        }
        return;
    }
    for (uint64_t page = start & TARGET_PAGE_MASK; page < end;
         page += TARGET_PAGE_SIZE) {
        GPtrArray *a = g_hash_table_lookup(page_tbs, &page);
        if (!a) {
            continue;
        }
        for (guint i = 0; i < a->len;) {
            TranslationBlock *tb = g_ptr_array_index(a, i);
            if (tb_overlaps(tb, start, end)) {
                tb_invalidate(tb); /* removes it from a */
            } else {
                i++;
            }
        }
        if (page + TARGET_PAGE_SIZE < page) {
            break; /* wrapped */
        }
    }
    if (take) {
        tb_lock_release();
    }
}

#ifdef CONFIG_SOFTMMU
bool tb_invalidate_for_store(CPUState *cpu, uint64_t host, unsigned size,
                             uintptr_t ra)
{
    TranslationBlock *cur = NULL, *hit = NULL;
    bool still_code = false;
    uint64_t end = host + size;

    tb_lock_acquire();
    if (ra) {
        cur = tb_find_by_host_pc(ra - 1);
    }
    for (uint64_t page = host & TARGET_PAGE_MASK; page < end;
         page += TARGET_PAGE_SIZE) {
        GPtrArray *a = g_hash_table_lookup(page_tbs, &page);
        for (guint i = 0; a && i < a->len;) {
            TranslationBlock *tb = g_ptr_array_index(a, i);
            if (tb_overlaps(tb, host, end)) {
                if (tb == cur) {
                    hit = tb;
                }
                tb_invalidate(tb); /* removes it from a */
            } else {
                i++;
            }
        }
        if (a && a->len) {
            still_code = true;
        } else {
            tb_page_clear_code(page);
        }
    }
    tb_lock_release();
    if (hit && (hit->cflags & CF_COUNT_MASK) != 1) {
        /*
         * The store is inside a TB translated from the bytes it writes:
         * the rest of the TB is stale.  Run the store again as a 1-insn
         * TB (allowed to complete even if it modifies itself).
         */
        tb_restore_state(cpu, hit, ra - 1);
        cpu->cflags_next_tb = 1;
        cpu_loop_exit_noexc(cpu);
    }
    return still_code;
}
#endif

/* ---- flush ------------------------------------------------------------ */

static void tb_flush_locked(void)
{
    for (guint i = 0; i < all_tbs->len; i++) {
        TranslationBlock *tb = g_ptr_array_index(all_tbs, i);
        g_free(tb->insn_end_off);
        g_free(tb->insn_data);
        g_free(tb);
    }
    g_ptr_array_set_size(all_tbs, 0);
#ifdef CONFIG_SOFTMMU
    {
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, page_tbs);
        while (g_hash_table_iter_next(&it, &key, NULL)) {
            tb_page_clear_code(*(uint64_t *)key);
        }
    }
#endif
    g_hash_table_remove_all(page_tbs);
    memset(tb_hash, 0, sizeof(tb_hash));
    for (CPUState *c = first_cpu; c; c = c->next) {
        for (unsigned i = 0; i < TB_JMP_CACHE_SIZE; i++) {
            c->tb_jmp_cache[i].tb = NULL;
            c->tb_jmp_cache[i].pc = (uint64_t)-1;
        }
    }
    code_gen_ptr = code_gen_start;
    tb_stats.flushes++;
    __atomic_add_fetch(&tb_flush_count, 1, __ATOMIC_SEQ_CST);
}

static void tb_flush_if(unsigned count)
{
    start_exclusive();
    tb_lock_acquire();
    if (tb_flush_count == count) {
        tb_flush_locked();
    }
    tb_lock_release();
    end_exclusive();
}

#ifdef CONFIG_SOFTMMU
static void tb_flush_work(CPUState *cpu, void *data)
{
    tb_lock_acquire();
    if (tb_flush_count == (unsigned)(uintptr_t)data) {
        tb_flush_locked();
    }
    tb_lock_release();
}
#endif

void tb_flush(CPUState *cpu)
{
#ifdef CONFIG_SOFTMMU
    /*
     * Not on a vCPU thread (the monitor, a device): this thread may hold
     * the BQL that a vCPU inside guest code waits for, so it must not
     * wait for the vCPUs to stop.  A vCPU does it in an exclusive
     * section at its next TB boundary.
     */
    CPUState *c = first_cpu;
    if (!current_cpu && c && c->thread_created) {
        async_safe_run_on_cpu(c, tb_flush_work,
                              (void *)(uintptr_t)tb_flush_count);
        return;
    }
#endif
    tb_flush_if(tb_flush_count);
}

/* ---- translation ------------------------------------------------------ */

/* State of the translation in progress (under tb_lock). */
static struct {
    TranslationBlock *tb;
    sigjmp_buf fault_jmp;
    uint64_t fault_addr;
#ifdef CONFIG_SOFTMMU
    uint64_t vpage[2]; /* guest virtual pages read (vpage[1] = -1: one) */
    uint8_t *host[2];  /* their host addresses (NULL: not RAM) */
    bool io;           /* code is not in RAM: a one-off 1-insn TB */
    bool fault_io;     /* the longjmp was for code in I/O, not a fault */
    /*
     * I/O code is read before taking tb_lock (the device and the BQL must
     * not be reached with tb_lock held): up to 16 bytes, to the page end.
     */
    uint8_t io_buf[16];
    unsigned io_len;
#endif
} tr;

#ifdef CONFIG_SOFTMMU
/*
 * The host address of guest code byte pc, NULL if it is read through
 * the slow path (I/O).  A new page is looked up (probed) in the code
 * TLB; a fault or I/O code on it ends the translation before the
 * current insn (tr.fault_jmp), or makes the first insn raise the fault.
 */
static uint8_t *translator_host(CPUState *cpu, TranslationBlock *tb,
                                uint64_t pc)
{
    uint64_t vpage = pc & TARGET_PAGE_MASK;
    int k;
    if (vpage == tr.vpage[0]) {
        k = 0;
    } else if (vpage == tr.vpage[1]) {
        k = 1;
    } else if (tr.vpage[1] == (uint64_t)-1) {
        bool fault = false, is_io = false;
        uint8_t *h = tlb_code_host(cpu, pc, true, &fault, &is_io);
        if (fault || (is_io && !tr.io)) {
            tr.fault_addr = pc;
            tr.fault_io = !fault;
            siglongjmp(tr.fault_jmp, 1);
        }
        k = 1;
        tr.vpage[1] = vpage;
        if (h) {
            tr.host[1] = h - (pc & ~TARGET_PAGE_MASK);
            if (!tr.io) {
                tb->page_addr[1] = (uintptr_t)tr.host[1];
                if (!tb_page_has_code(tb->page_addr[1])) {
                    tb_page_set_code(tb->page_addr[1]);
                    tlb_protect_code(tb->page_addr[1]);
                }
            }
        }
    } else {
        /* a third page: the frontend ignored translator_should_stop */
        g_error("tcg: TB at 0x%" PRIx64 " spans more than two pages", tb->pc);
    }
    return tr.host[k] ? tr.host[k] + (pc & ~TARGET_PAGE_MASK) : NULL;
}

static uint64_t translator_fetch(CPUState *cpu, TranslationBlock *tb,
                                 uint64_t pc, int len)
{
    uint64_t v = 0;
    if (((pc & ~TARGET_PAGE_MASK) + len) <= TARGET_PAGE_SIZE) {
        uint8_t *h = translator_host(cpu, tb, pc);
        if (h) {
            memcpy(&v, h, len);
            return v;
        }
    }
    for (int i = 0; i < len; i++) {
        uint8_t *h = translator_host(cpu, tb, pc + i);
        uint64_t b;
        if (h) {
            b = *h;
        } else if (pc + i - tb->pc < tr.io_len) {
            b = tr.io_buf[pc + i - tb->pc];
        } else {
            /* past what was read ahead: an I/O insn crossing a page */
            b = tlb_code_load_io(cpu, pc + i, 1);
        }
        v |= (b & 0xff) << (8 * i);
    }
    return v;
}

uint8_t translator_ldub(CPUState *cpu, TranslationBlock *tb, uint64_t pc)
{
    return translator_fetch(cpu, tb, pc, 1);
}

uint16_t translator_lduw(CPUState *cpu, TranslationBlock *tb, uint64_t pc)
{
    return translator_fetch(cpu, tb, pc, 2);
}

uint32_t translator_ldl(CPUState *cpu, TranslationBlock *tb, uint64_t pc)
{
    return translator_fetch(cpu, tb, pc, 4);
}

uint64_t translator_ldq(CPUState *cpu, TranslationBlock *tb, uint64_t pc)
{
    return translator_fetch(cpu, tb, pc, 8);
}

bool translator_use_goto_tb(TranslationBlock *tb, uint64_t dest)
{
    /*
     * A chained jump skips the code TLB: only to the same virtual page,
     * whose mapping is the one this TB was looked up through.
     */
    return !(tb->cflags & (CF_NOCHAIN | CF_SINGLE_STEP)) &&
           ((tb->pc ^ dest) & TARGET_PAGE_MASK) == 0 &&
           !qemu_loglevel_mask(CPU_LOG_TB_NOCHAIN);
}

/* The disassembler's name for tb's guest ISA (TCGCPUOps.disas_arch_tb). */
static const char *tb_disas_arch(CPUState *cpu, TranslationBlock *tb)
{
    if (cpu->tcg_ops->disas_arch_tb) {
        return cpu->tcg_ops->disas_arch_tb(tb->flags);
    }
    return cpu->tcg_ops->disas_arch;
}

/* -d in_asm: the guest bytes of tb (from its pages' host addresses). */
static void tb_log_in_asm(CPUState *cpu, TranslationBlock *tb)
{
    FILE *f = qemu_log_stream();
    uint8_t *buf = g_malloc(tb->size);
    fprintf(f, "----------------\nIN: \n");
    for (uint32_t i = 0; i < tb->size; i++) {
        uint64_t a = tb->pc + i;
        int k = (a & TARGET_PAGE_MASK) == tr.vpage[0] ? 0 : 1;
        buf[i] = tr.host[k] ? tr.host[k][a & ~TARGET_PAGE_MASK] : 0xff;
    }
    tcg_disas_guest(f, tb_disas_arch(cpu, tb), buf, tb->size, tb->pc);
    fprintf(f, "\n");
    qemu_log_flush();
    g_free(buf);
}
#else
static void tb_note_page(TranslationBlock *tb, uint64_t addr)
{
    uint64_t page = addr & TARGET_PAGE_MASK;
    if (page == tb->page_addr[0] || page == tb->page_addr[1]) {
        return;
    }
    if (tb->page_addr[1] == (uint64_t)-1) {
        tb->page_addr[1] = page;
        return;
    }
    /* a third page: the frontend ignored translator_should_stop */
    g_error("tcg: TB at 0x%" PRIx64 " spans more than two pages", tb->pc);
}

int page_get_flags_internal(uint64_t addr);

static void translator_check(TranslationBlock *tb, uint64_t pc, int len)
{
    for (uint64_t a = pc & TARGET_PAGE_MASK; a < pc + len;
         a += TARGET_PAGE_SIZE) {
        if (!(page_get_flags_internal(a) & PAGE_EXEC)) {
            tr.fault_addr = a < pc ? pc : a;
            siglongjmp(tr.fault_jmp, 1);
        }
        tb_note_page(tb, a);
    }
}

uint8_t translator_ldub(CPUState *cpu, TranslationBlock *tb, uint64_t pc)
{
    translator_check(tb, pc, 1);
    return *(uint8_t *)g2h(pc);
}

uint16_t translator_lduw(CPUState *cpu, TranslationBlock *tb, uint64_t pc)
{
    uint16_t v;
    translator_check(tb, pc, 2);
    memcpy(&v, g2h(pc), 2);
    return v;
}

uint32_t translator_ldl(CPUState *cpu, TranslationBlock *tb, uint64_t pc)
{
    uint32_t v;
    translator_check(tb, pc, 4);
    memcpy(&v, g2h(pc), 4);
    return v;
}

uint64_t translator_ldq(CPUState *cpu, TranslationBlock *tb, uint64_t pc)
{
    uint64_t v;
    translator_check(tb, pc, 8);
    memcpy(&v, g2h(pc), 8);
    return v;
}

bool translator_use_goto_tb(TranslationBlock *tb, uint64_t dest)
{
    /* user mode: invalidation unlinks jumps, so any target is fine */
    return !(tb->cflags & (CF_NOCHAIN | CF_SINGLE_STEP)) &&
           !qemu_loglevel_mask(CPU_LOG_TB_NOCHAIN);
}

static void tb_log_in_asm(CPUState *cpu, TranslationBlock *tb)
{
    FILE *f = qemu_log_stream();
    fprintf(f, "----------------\nIN: \n");
    tcg_disas_guest(f, cpu->tcg_ops->disas_arch, g2h(tb->pc), tb->size, tb->pc);
    fprintf(f, "\n");
    qemu_log_flush();
}
#endif

bool translator_should_stop(TranslationBlock *tb, uint64_t next_pc)
{
    return ((next_pc ^ tb->pc) & TARGET_PAGE_MASK) != 0 || tcg_op_buf_full();
}

static void tb_link(TranslationBlock *tb, bool hash)
{
    for (int i = 0; i < 2; i++) {
        uint64_t page = tb->page_addr[i];
        if (page == (uint64_t)-1) {
            continue;
        }
        GPtrArray *a = g_hash_table_lookup(page_tbs, &page);
        if (!a) {
            a = g_ptr_array_new();
            g_hash_table_insert(page_tbs, g_memdup2(&page, sizeof(page)), a);
        }
        g_ptr_array_add(a, tb);
#ifndef CONFIG_SOFTMMU
        page_protect(page);
#else
        /* set before reading; an invalidation meanwhile may have cleared it */
        if (!tb_page_has_code(page)) {
            tb_page_set_code(page);
            tlb_protect_code(page);
        }
#endif
    }
    g_ptr_array_add(all_tbs, tb);
    if (hash) {
        unsigned h = tb_hash_func(tb->phys_pc, tb->cs_base, tb->flags);
        tb->hash_next = tb_hash[h];
        __atomic_store_n(&tb_hash[h], tb, __ATOMIC_RELEASE);
    }
}

static void tb_log_out_asm(TranslationBlock *tb)
{
    FILE *f = qemu_log_stream();
    fprintf(f, "OUT: [size=%u] guest 0x%" PRIx64 "\n", tb->tc_size, tb->pc);
    tcg_disas_host(f, tb->tc_ptr, tb->tc_size);
    fprintf(f, "\n");
    qemu_log_flush();
}

/*
 * Translates the TB at (pc, cs_base, flags).
 * On entry: tb_lock not held.  cflags & CF_COUNT_MASK limits the insns
 * (a one-off TB that is not hashed).
 * On exit: the TB is linked in the page lists (user mode: its pages
 * write-protected; system mode: TLB_NOTDIRTY on writes to them) and,
 * unless one-off, in the hash table.  If the code buffer was full it
 * has been flushed (tb_flush_count changed: older TB pointers are stale).
 * If the first insn cannot be fetched it does not return: user mode
 * calls the target's record_sigsegv, system mode its tlb_fill (which
 * raises the fetch fault), then cpu_loop_exit.  System mode: code that
 * is not in RAM/ROM gives a one-off 1-insn TB (cflags count 1).
 */
/*
 * QUASAR_PERFMAP=1: every TB is named in /tmp/perf-<pid>.map ("tb <guest
 * pc>"), so that `perf report` attributes samples in generated code to
 * guest code.  tb_lock held.
 */
static void tb_perfmap_add(const TranslationBlock *tb)
{
    static FILE *map;
    static int state; /* 0: not checked, 1: on, -1: off */
    if (!state) {
        const char *e = getenv("QUASAR_PERFMAP");
        state = e && *e && strcmp(e, "0") ? 1 : -1;
        if (state > 0) {
            char name[64];
            snprintf(name, sizeof(name), "/tmp/perf-%d.map", (int)getpid());
            map = fopen(name, "w");
            if (!map) {
                state = -1;
            }
        }
    }
    if (state > 0) {
        fprintf(map, "%" PRIxPTR " %x tb %" PRIx64 "/%x\n",
                (uintptr_t)tb->tc_ptr, tb->tc_size, tb->pc, tb->flags);
        fflush(map);
    }
}

TranslationBlock *tb_gen_code(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                              uint32_t flags, uint32_t cflags)
{
    static uint16_t insn_end_off[TCG_MAX_INSNS + 8];
    static uint64_t insn_data[(TCG_MAX_INSNS + 8) * TCG_MAX_INSN_START_WORDS];
    const TCGCPUOps *ops = cpu->tcg_ops;
    volatile int max_insns = cflags & CF_COUNT_MASK;
    if (!max_insns || max_insns > TCG_MAX_INSNS) {
        max_insns = TCG_MAX_INSNS;
    }
#ifdef CONFIG_SOFTMMU
    /* the first page: raises the fetch fault (state exact) */
    bool is_io = false;
    uint8_t *host0 = tlb_code_host(cpu, pc, false, NULL, &is_io);
    volatile bool io = host0 == NULL;
    static __thread uint8_t io_buf[16];
    unsigned io_len = 0;
    if (io) {
        max_insns = 1;
        io_len = TARGET_PAGE_SIZE - (pc & ~TARGET_PAGE_MASK);
        io_len = io_len < sizeof(io_buf) ? io_len : sizeof(io_buf);
        for (unsigned i = 0; i < io_len; i++) {
            io_buf[i] = tlb_code_load_io(cpu, pc + i, 1);
        }
    }
#endif

    tb_lock_acquire();
    unsigned flush_seen = tb_flush_count;
    TranslationBlock *tb = g_new0(TranslationBlock, 1);
    tb->pc = pc;
    tb->cs_base = cs_base;
    tb->flags = flags;
    tb->cflags = cflags;
#ifdef CONFIG_SOFTMMU
    if (io) {
        /* one-off, never a chaining target: re-read on every execution */
        tb->cflags = (tb->cflags & ~CF_COUNT_MASK) | 1 | CF_NOCHAIN;
    }
#endif

restart:
#ifdef CONFIG_SOFTMMU
    tr.vpage[0] = pc & TARGET_PAGE_MASK;
    tr.vpage[1] = (uint64_t)-1;
    tr.host[0] = host0 ? host0 - (pc & ~TARGET_PAGE_MASK) : NULL;
    tr.host[1] = NULL;
    tr.io = io;
    tr.fault_io = false;
    memcpy(tr.io_buf, io_buf, sizeof(io_buf));
    tr.io_len = io_len;
    if (io) {
        tb->phys_pc = (uint64_t)-1;
        tb->page_addr[0] = (uint64_t)-1;
    } else {
        tb->phys_pc = (uintptr_t)host0;
        tb->page_addr[0] = (uintptr_t)tr.host[0];
        if (!tb_page_has_code(tb->page_addr[0])) {
            /* before reading it: stores from now on invalidate */
            tb_page_set_code(tb->page_addr[0]);
            tlb_protect_code(tb->page_addr[0]);
        }
    }
#else
    tb->phys_pc = pc;
    tb->page_addr[0] = pc & TARGET_PAGE_MASK;
#endif
    tb->page_addr[1] = (uint64_t)-1;
    tb->size = 0;
    tb->icount = 0;
    tcg_func_start();
    tr.tb = tb;
    if (sigsetjmp(tr.fault_jmp, 0)) {
        /* code fetch hit a page without PAGE_EXEC */
        int done = tcg_ctx->nb_insn_starts - 1;
        if (done > 0) {
            max_insns = done;
            goto restart;
        }
        uint64_t addr = tr.fault_addr;
#ifdef CONFIG_SOFTMMU
        if (tr.fault_io) {
            /* the first insn runs into I/O memory: a one-off TB */
            io = true;
            max_insns = 1;
            tb->cflags = (tb->cflags & ~CF_COUNT_MASK) | 1 | CF_NOCHAIN;
            goto restart;
        }
        g_free(tb);
        tb_lock_release();
        /* raises the fault on the insn's second page (state exact) */
        tlb_code_host(cpu, addr, false, NULL, &is_io);
        /* the mapping appeared meanwhile: translate again */
        return tb_gen_code(cpu, pc, cs_base, flags, cflags);
#else
        g_free(tb);
        tb_lock_release();
        if (!ops->record_sigsegv) {
            g_error("tcg: guest executes unmapped code at 0x%" PRIx64, addr);
        }
        bool maperr = !(page_get_flags_internal(addr) & PAGE_VALID);
        ops->record_sigsegv(cpu, addr, MMU_INST_FETCH, maperr, 0);
        cpu_loop_exit(cpu);
#endif
    }

    /* prologue: leave at once if another thread asked us to */
    TCGLabel *exit_label = gen_new_label();
    TCGv_i32 req = tcg_temp_ebb_new_i32();
    tcg_gen_ld_i32(req, tcg_env,
                   offsetof(CPUState, exit_request) - ops->env_offset);
    tcg_gen_brcondi_i32(TCG_COND_NE, req, 0, exit_label);
    tcg_temp_free_i32(req);

#ifdef CONFIG_SOFTMMU
    /* the key the inline jump-cache probe assumes (tb_key_inline) */
    tcg_ctx->lookup_flags = flags;
    tcg_ctx->lookup_pc32 = !(flags & ops->pc64_flags);
#endif
    ops->translate_code(cpu, tb, max_insns);
    if (qemu_loglevel_mask(CPU_LOG_TB_IN_ASM) && tb->size) {
        tb_log_in_asm(cpu, tb);
    }

    gen_set_label(exit_label);
    tcg_gen_exit_tb(tb, TB_EXIT_REQUESTED);

    TCGGenInfo info = {.insn_end_off = insn_end_off, .insn_data = insn_data};
    uint8_t *buf = (uint8_t *)(((uintptr_t)code_gen_ptr + 15) & ~15);
    int size = -1;
    if (buf < code_gen_end - 4096) {
        size = tcg_gen_code(tcg_ctx, buf, code_gen_end - buf, &info);
    }
    if (size == -1) {
        /* code buffer full: flush everything and start over */
        g_free(tb);
        tb_lock_release();
        tb_flush_if(flush_seen);
        return tb_gen_code(cpu, pc, cs_base, flags, cflags);
    }
    if (size == -2) {
        int n = tcg_ctx->nb_insn_starts;
        g_assert(n > 1);
        max_insns = n / 2;
        goto restart;
    }

    tb->tc_ptr = buf;
    tb->tc_size = size;
    code_gen_ptr = buf + size;
    for (int n = 0; n < 2; n++) {
        tb->jmp_insn_offset[n] = info.jmp_insn_offset[n];
        tb->jmp_reset_offset[n] = info.jmp_reset_offset[n];
    }
    tb->nb_insns = info.nb_insns;
    tb->insn_end_off = g_memdup2(insn_end_off, info.nb_insns * 2);
    tb->insn_data =
        g_memdup2(insn_data, info.nb_insns * 8 * tcg_ctx->insn_start_words);
    tb_stats.translated++;
    tb_stats.code_bytes += size;
    tb_stats.guest_bytes += tb->size;
    tb_perfmap_add(tb);
    if (qemu_loglevel_mask(CPU_LOG_TB_OUT_ASM)) {
        tb_log_out_asm(tb);
    }
    /* one-off TBs (e.g. the 1-insn TB after SMC) are not hashed */
    tb_link(tb, !(tb->cflags & CF_COUNT_MASK));
    tb_lock_release();
    return tb;
}
