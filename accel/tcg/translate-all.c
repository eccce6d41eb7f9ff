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
#include <inttypes.h>
#include <string.h>
#include "accel/tcg/tb-internal.h"
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
    __atomic_store_n(&e->tb, NULL, __ATOMIC_RELAXED);
    __atomic_store_n(&e->pc, (uint64_t)-1, __ATOMIC_RELAXED);
    e->cs_base = tb->cs_base;
    e->flags = tb->flags;
    e->tc_ptr = tb->tc_ptr;
    /* pc last: the inline probe matches on it alone */
    __atomic_store_n(&e->pc, tb->pc, __ATOMIC_RELEASE);
    __atomic_store_n(&e->tb, tb, __ATOMIC_RELEASE);
}

TranslationBlock *tb_lookup(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                            uint32_t flags, uint32_t cflags)
{
    TBJmpCacheEntry *e = &cpu->tb_jmp_cache[tb_jmp_cache_hash(pc)];
    TranslationBlock *tb = __atomic_load_n(&e->tb, __ATOMIC_ACQUIRE);
    if (tb && e->pc == pc && e->cs_base == cs_base && e->flags == flags) {
        return tb;
    }
    tb_stats.lookups_slow++;
    tb = __atomic_load_n(&tb_hash[tb_hash_func(pc, cs_base, flags)],
                         __ATOMIC_ACQUIRE);
    for (; tb; tb = __atomic_load_n(&tb->hash_next, __ATOMIC_ACQUIRE)) {
        if (tb->pc == pc && tb->cs_base == cs_base && tb->flags == flags &&
            !(__atomic_load_n(&tb->cflags, __ATOMIC_RELAXED) & CF_INVALID)) {
            tb_jmp_cache_set(cpu, tb);
            return tb;
        }
    }
    return NULL;
}

/* Fast path for generated code: host code of the TB, or NULL. */
const void *tb_lookup_tc(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                         uint32_t flags)
{
    TBJmpCacheEntry *e = &cpu->tb_jmp_cache[tb_jmp_cache_hash(pc)];
    if (__atomic_load_n(&e->tb, __ATOMIC_ACQUIRE) && e->pc == pc &&
        e->cs_base == cs_base && e->flags == flags) {
        return e->tc_ptr;
    }
    TranslationBlock *tb = tb_lookup(cpu, pc, cs_base, flags, 0);
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
    }
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
        &tb_hash[tb_hash_func(tb->pc, tb->cs_base, tb->flags)];
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
    tb_page_remove(tb->page_addr[0], tb);
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
    tb_lock_acquire();
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
                if (tb->pc < end && tb->pc + tb->size > start) {
                    tb_invalidate(tb);
                } else {
                    i++;
                }
            }
        }
        g_list_free(keys);
        tb_lock_release();
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
            if (tb->pc < end && tb->pc + tb->size > start) {
                tb_invalidate(tb); /* removes it from a */
            } else {
                i++;
            }
        }
        if (page + TARGET_PAGE_SIZE < page) {
            break; /* wrapped */
        }
    }
    tb_lock_release();
}

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

void tb_flush(CPUState *cpu)
{
    tb_flush_if(tb_flush_count);
}

/* ---- translation ------------------------------------------------------ */

/* State of the translation in progress (under tb_lock). */
static struct {
    TranslationBlock *tb;
    sigjmp_buf fault_jmp;
    uint64_t fault_addr;
} tr;

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
        page_protect(page);
    }
    g_ptr_array_add(all_tbs, tb);
    if (hash) {
        unsigned h = tb_hash_func(tb->pc, tb->cs_base, tb->flags);
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
 * On exit: the TB is linked in the page lists (its pages write-protected)
 * and, unless one-off, in the hash table.  If the code buffer was full it
 * has been flushed (tb_flush_count changed: older TB pointers are stale).
 * If the first insn cannot be fetched it does not return: the target's
 * record_sigsegv is called and cpu_loop_exit longjmps to cpu_exec.
 */
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

    tb_lock_acquire();
    unsigned flush_seen = tb_flush_count;
    TranslationBlock *tb = g_new0(TranslationBlock, 1);
    tb->pc = pc;
    tb->cs_base = cs_base;
    tb->flags = flags;
    tb->cflags = cflags;

restart:
    tb->page_addr[0] = pc & TARGET_PAGE_MASK;
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
        g_free(tb);
        tb_lock_release();
        if (!ops->record_sigsegv) {
            g_error("tcg: guest executes unmapped code at 0x%" PRIx64, addr);
        }
        bool maperr = !(page_get_flags_internal(addr) & PAGE_VALID);
        ops->record_sigsegv(cpu, addr, MMU_INST_FETCH, maperr, 0);
        cpu_loop_exit(cpu);
    }

    /* prologue: leave at once if another thread asked us to */
    TCGLabel *exit_label = gen_new_label();
    TCGv_i32 req = tcg_temp_ebb_new_i32();
    tcg_gen_ld_i32(req, tcg_env,
                   offsetof(CPUState, exit_request) - ops->env_offset);
    tcg_gen_brcondi_i32(TCG_COND_NE, req, 0, exit_label);
    tcg_temp_free_i32(req);

    ops->translate_code(cpu, tb, max_insns);
    if (qemu_loglevel_mask(CPU_LOG_TB_IN_ASM) && tb->size) {
        FILE *f = qemu_log_stream();
        fprintf(f, "----------------\nIN: \n");
        tcg_disas_guest(f, ops->disas_arch, g2h(tb->pc), tb->size, tb->pc);
        fprintf(f, "\n");
        qemu_log_flush();
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
    if (qemu_loglevel_mask(CPU_LOG_TB_OUT_ASM)) {
        tb_log_out_asm(tb);
    }
    /* one-off TBs (e.g. the 1-insn TB after SMC) are not hashed */
    tb_link(tb, !(cflags & CF_COUNT_MASK));
    tb_lock_release();
    return tb;
}
