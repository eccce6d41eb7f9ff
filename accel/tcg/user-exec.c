/*
 * User mode support: guest page flags, write-protection of pages holding
 * translated code (self-modifying code detection), guest memory access
 * from C helpers, and the atomic helpers behind tcg_gen_atomic_*.
 *
 * Page flags live in a two-level table covering the 47-bit user address
 * space: 2^17 first-level slots of 2^18 one-byte page entries, allocated
 * on first use.  Writers (linux-user mmap, translation) hold page_lock;
 * readers (translator, fault handler) read bytes without locking.
 */
#include <string.h>
#include <sys/mman.h>
#include "accel/tcg/atomic-host.h"
#include "accel/tcg/cpu-ldst.h"
#include "accel/tcg/tb-internal.h"
#include "tcg/tcg-internal.h"

#define L2_BITS 18
#define L1_BITS (47 - TARGET_PAGE_BITS - L2_BITS)
#define L1_SIZE (1u << L1_BITS)
#define L2_SIZE (1u << L2_BITS)

static uint8_t *page_l1[L1_SIZE];
static bool page_flags_in_use;
pthread_mutex_t page_lock = PTHREAD_MUTEX_INITIALIZER;

static uint8_t *page_entry(uint64_t addr, bool alloc)
{
    uint64_t idx = addr >> TARGET_PAGE_BITS;
    if (idx >> (L1_BITS + L2_BITS)) {
        return NULL;
    }
    uint8_t **l1 = &page_l1[idx >> L2_BITS];
    uint8_t *l2 = __atomic_load_n(l1, __ATOMIC_ACQUIRE);
    if (!l2) {
        if (!alloc) {
            return NULL;
        }
        l2 = g_malloc0(L2_SIZE);
        __atomic_store_n(l1, l2, __ATOMIC_RELEASE);
    }
    return &l2[idx & (L2_SIZE - 1)];
}

int page_get_flags_internal(uint64_t addr);
int page_get_flags_internal(uint64_t addr)
{
    if (!page_flags_in_use) {
        /* nobody tracks pages (unit tests): everything is valid */
        return PAGE_VALID | PAGE_RWX;
    }
    uint8_t *e = page_entry(addr, false);
    return e ? __atomic_load_n(e, __ATOMIC_RELAXED) : 0;
}

int page_get_flags(uint64_t addr)
{
    int f = page_get_flags_internal(addr);
    /* hide our write protection from the guest's view */
    if (f & PAGE_WRITE_ORG) {
        f |= PAGE_WRITE;
    }
    return f & ~PAGE_WRITE_ORG;
}

void page_set_flags(uint64_t start, uint64_t last, int flags)
{
    if (last < start) {
        return;
    }
    pthread_mutex_lock(&page_lock);
    page_flags_in_use = true;
    bool inval = false;
    for (uint64_t a = start & TARGET_PAGE_MASK; a <= last;
         a += TARGET_PAGE_SIZE) {
        uint8_t *e = page_entry(a, flags & PAGE_VALID);
        if (e) {
            /*
             * Any change to a mapped page drops its TBs: it may have been
             * unmapped, replaced by MAP_FIXED with other code, lost
             * PROT_EXEC, or become writable (our write protection is gone
             * with the new host mapping).  Pages without TBs cost a hash
             * lookup.
             */
            if (*e & PAGE_VALID) {
                inval = true;
            }
            *e = flags & ~PAGE_WRITE_ORG;
        }
        if (a + TARGET_PAGE_SIZE < a) {
            break;
        }
    }
    pthread_mutex_unlock(&page_lock);
    if (inval) {
        tb_invalidate_phys_range(start & TARGET_PAGE_MASK, last + 1);
    }
}

bool page_check_range(uint64_t start, uint64_t len, int flags)
{
    if (len == 0) {
        return true;
    }
    uint64_t last = start + len - 1;
    if (last < start) {
        return false;
    }
    for (uint64_t a = start & TARGET_PAGE_MASK; a <= last;
         a += TARGET_PAGE_SIZE) {
        int f = page_get_flags(a);
        if (!(f & PAGE_VALID) || (f & flags) != flags) {
            return false;
        }
        if (a + TARGET_PAGE_SIZE < a) {
            break;
        }
    }
    return true;
}

uint64_t page_find_range_empty(uint64_t start, uint64_t max, uint64_t len,
                               uint64_t align)
{
    if (align < TARGET_PAGE_SIZE) {
        align = TARGET_PAGE_SIZE;
    }
    uint64_t a = (start + align - 1) & ~(align - 1);
    while (a + len - 1 <= max && a + len > a) {
        uint64_t p;
        bool ok = true;
        for (p = a; p < a + len; p += TARGET_PAGE_SIZE) {
            if (page_get_flags_internal(p) & PAGE_VALID) {
                ok = false;
                break;
            }
        }
        if (ok) {
            return a;
        }
        a = (p + TARGET_PAGE_SIZE + align - 1) & ~(align - 1);
    }
    return (uint64_t)-1;
}

static int host_prot(int flags)
{
    return (flags & PAGE_READ ? PROT_READ : 0) |
           (flags & PAGE_WRITE ? PROT_WRITE : 0) |
           (flags & PAGE_EXEC ? PROT_EXEC : 0);
}

/* Called under tb_lock when a TB is created on page. */
void page_protect(uint64_t page)
{
    if (!page_flags_in_use) {
        return;
    }
    pthread_mutex_lock(&page_lock);
    uint8_t *e = page_entry(page, false);
    if (e && (*e & PAGE_WRITE)) {
        int f = (*e & ~PAGE_WRITE) | PAGE_WRITE_ORG;
        mprotect(g2h(page), TARGET_PAGE_SIZE, host_prot(f));
        __atomic_store_n(e, f, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&page_lock);
}

/* Unprotects page; returns the TB containing host_pc if invalidated. */
static bool page_unprotect_one(uint64_t page, uintptr_t host_pc,
                               TranslationBlock **hit)
{
    bool done = false;
    tb_lock_acquire();
    pthread_mutex_lock(&page_lock);
    uint8_t *e = page_entry(page, false);
    if (e && (*e & PAGE_WRITE_ORG)) {
        tb_invalidate_page_locked(page, hit, host_pc);
        int f = (*e & ~PAGE_WRITE_ORG) | PAGE_WRITE;
        mprotect(g2h(page), TARGET_PAGE_SIZE, host_prot(f));
        __atomic_store_n(e, f, __ATOMIC_RELEASE);
        done = true;
    } else if (e && (*e & PAGE_WRITE)) {
        done = true; /* another thread unprotected it meanwhile */
    }
    pthread_mutex_unlock(&page_lock);
    tb_lock_release();
    return done;
}

int page_unprotect(uint64_t addr, uintptr_t host_pc, const sigset_t *old_set)
{
    uint64_t page = addr & TARGET_PAGE_MASK;
    TranslationBlock *hit = NULL;
    uintptr_t pc = host_pc;
    if (pc && !tb_host_pc_in_buffer(pc) && helper_retaddr > 1) {
        pc = helper_retaddr - 1;
    }
    if (!page_unprotect_one(page, pc, &hit)) {
        return 0;
    }
    CPUState *cpu = current_cpu;
    if (hit && cpu && (hit->cflags & CF_COUNT_MASK) != 1) {
        /*
         * The store is inside a TB translated from this very page: the
         * rest of the TB may be stale.  Restart at the store as a 1-insn
         * TB (which is allowed to complete even if it modifies itself).
         */
        tb_restore_state(cpu, hit, pc);
        cpu->cflags_next_tb = 1;
        if (old_set) {
            pthread_sigmask(SIG_SETMASK, old_set, NULL);
        } else {
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, SIGSEGV);
            sigaddset(&s, SIGBUS);
            pthread_sigmask(SIG_UNBLOCK, &s, NULL);
        }
        helper_retaddr = 0;
        cpu_loop_exit_noexc(cpu);
    }
    return 1;
}

/* ---- loads and stores from helpers ------------------------------------ */

#define DEF_LD(NAME, T, RT, SWAP)                                              \
    RT NAME(void *env, uint64_t addr, uintptr_t ra)                            \
    {                                                                          \
        T v;                                                                   \
        helper_retaddr = ra;                                                   \
        memcpy(&v, g2h(addr), sizeof(v));                                      \
        helper_retaddr = 0;                                                    \
        return (RT)(T)SWAP(v);                                                 \
    }
#define NOSWAP(x) (x)
DEF_LD(cpu_ldub_data_ra, uint8_t, uint32_t, NOSWAP)
DEF_LD(cpu_ldsb_data_ra, int8_t, int32_t, NOSWAP)
DEF_LD(cpu_lduw_data_ra, uint16_t, uint32_t, NOSWAP)
DEF_LD(cpu_ldsw_data_ra, int16_t, int32_t, NOSWAP)
DEF_LD(cpu_ldl_data_ra, uint32_t, uint32_t, NOSWAP)
DEF_LD(cpu_ldq_data_ra, uint64_t, uint64_t, NOSWAP)
DEF_LD(cpu_lduw_be_data_ra, uint16_t, uint32_t, __builtin_bswap16)
DEF_LD(cpu_ldl_be_data_ra, uint32_t, uint32_t, __builtin_bswap32)
DEF_LD(cpu_ldq_be_data_ra, uint64_t, uint64_t, __builtin_bswap64)

#define DEF_ST(NAME, T, VT, SWAP)                                              \
    void NAME(void *env, uint64_t addr, VT val, uintptr_t ra)                  \
    {                                                                          \
        T v = SWAP((T)val);                                                    \
        helper_retaddr = ra;                                                   \
        memcpy(g2h(addr), &v, sizeof(v));                                      \
        helper_retaddr = 0;                                                    \
    }
DEF_ST(cpu_stb_data_ra, uint8_t, uint32_t, NOSWAP)
DEF_ST(cpu_stw_data_ra, uint16_t, uint32_t, NOSWAP)
DEF_ST(cpu_stl_data_ra, uint32_t, uint32_t, NOSWAP)
DEF_ST(cpu_stq_data_ra, uint64_t, uint64_t, NOSWAP)
DEF_ST(cpu_stw_be_data_ra, uint16_t, uint32_t, __builtin_bswap16)
DEF_ST(cpu_stl_be_data_ra, uint32_t, uint32_t, __builtin_bswap32)
DEF_ST(cpu_stq_be_data_ra, uint64_t, uint64_t, __builtin_bswap64)

/* User mode has one address space: the MMU index is ignored. */
#define DEF_LD_IDX(NAME, RT, BASE)                                             \
    RT NAME(void *env, uint64_t addr, int mmu_idx, uintptr_t ra)               \
    {                                                                          \
        return BASE(env, addr, ra);                                            \
    }
DEF_LD_IDX(cpu_ldub_mmuidx_ra, uint32_t, cpu_ldub_data_ra)
DEF_LD_IDX(cpu_ldsb_mmuidx_ra, int32_t, cpu_ldsb_data_ra)
DEF_LD_IDX(cpu_lduw_mmuidx_ra, uint32_t, cpu_lduw_data_ra)
DEF_LD_IDX(cpu_ldsw_mmuidx_ra, int32_t, cpu_ldsw_data_ra)
DEF_LD_IDX(cpu_ldl_mmuidx_ra, uint32_t, cpu_ldl_data_ra)
DEF_LD_IDX(cpu_ldq_mmuidx_ra, uint64_t, cpu_ldq_data_ra)

#define DEF_ST_IDX(NAME, VT, BASE)                                             \
    void NAME(void *env, uint64_t addr, VT v, int mmu_idx, uintptr_t ra)       \
    {                                                                          \
        BASE(env, addr, v, ra);                                                \
    }
DEF_ST_IDX(cpu_stb_mmuidx_ra, uint32_t, cpu_stb_data_ra)
DEF_ST_IDX(cpu_stw_mmuidx_ra, uint32_t, cpu_stw_data_ra)
DEF_ST_IDX(cpu_stl_mmuidx_ra, uint32_t, cpu_stl_data_ra)
DEF_ST_IDX(cpu_stq_mmuidx_ra, uint64_t, cpu_stq_data_ra)

/* ---- atomics ---------------------------------------------------------- */

unsigned __int128 cpu_atomic_cmpxchgo_le(void *env, uint64_t addr,
                                         unsigned __int128 cmpv,
                                         unsigned __int128 newv, uintptr_t ra)
{
    uint64_t lo = (uint64_t)cmpv, hi = (uint64_t)(cmpv >> 64);
    helper_retaddr = ra;
    __asm__ volatile("lock cmpxchg16b %2"
                     : "+a"(lo), "+d"(hi), "+m"(*(unsigned __int128 *)g2h(addr))
                     : "b"((uint64_t)newv), "c"((uint64_t)(newv >> 64))
                     : "memory", "cc");
    helper_retaddr = 0;
    return ((unsigned __int128)hi << 64) | lo;
}

uint64_t cpu_atomic_cmpxchgq_le(void *env, uint64_t addr, uint64_t cmpv,
                                uint64_t newv, uintptr_t ra)
{
    helper_retaddr = ra;
    __atomic_compare_exchange_n((uint64_t *)g2h(addr), &cmpv, newv, false,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    helper_retaddr = 0;
    return cmpv;
}

static uint64_t helper_atomic_cmpxchg(void *env, uint64_t addr, uint64_t cmpv,
                                      uint64_t newv, uint32_t oi)
{
    helper_retaddr = GETPC();
    uint64_t old = atomic_host_cmpxchg(g2h(addr), get_memop(oi), cmpv, newv);
    helper_retaddr = 0;
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

static uint64_t helper_atomic_op(void *env, uint64_t addr, uint64_t val,
                                 uint32_t oi)
{
    helper_retaddr = GETPC();
    uint64_t res =
        atomic_host_rmw(g2h(addr), get_memop(oi), (TCGAtomicOp)(oi >> 16), val);
    helper_retaddr = 0;
    return res;
}

const TCGHelperInfo helper_info_atomic_op = {
    .func = helper_atomic_op,
    .name = "atomic_op",
    .flags = TCG_CALL_NO_WG,
    .ret = TCG_CALL_I64,
    .nargs = 4,
    .args = {TCG_CALL_PTR, TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I32},
};

void page_unprotect_range(uint64_t start, uint64_t len)
{
    if (!page_flags_in_use || len == 0) {
        return;
    }
    for (uint64_t a = start & TARGET_PAGE_MASK; a < start + len;
         a += TARGET_PAGE_SIZE) {
        if (page_get_flags_internal(a) & PAGE_WRITE_ORG) {
            page_unprotect_one(a, 0, NULL);
        }
        if (a + TARGET_PAGE_SIZE < a) {
            break;
        }
    }
}
