/*
 * The x86 page walk and the softmmu tlb_fill hook (system mode).
 *
 * Follows the Intel SDM vol. 3A ch. 4 (paging): 4.3 32-bit paging (with
 * PSE 4 MiB pages), 4.4 PAE paging, 4.5 4-level paging (2 MiB and 1 GiB
 * pages), 4.6 access rights (U/S, R/W with CR0.WP, NX with EFER.NXE,
 * SMEP, SMAP), 4.7 page-fault exceptions (error code bits P, W/R, U/S,
 * RSVD, I/D; CR2), 4.8 accessed and dirty flags.
 *
 * Entries are read from guest physical memory with the A20 mask
 * applied; accessed/dirty bits are set with an atomic compare-and-swap
 * on RAM and the walk restarts if an entry changed under it.  The TLB
 * entry gets only the rights the walk proves for this mmu index, and no
 * write right while the dirty bit is clear (the first write refills and
 * sets it).  Global pages (G with CR4.PGE) are entered PAGE_GLOBAL: a CR3
 * write keeps them; INVLPG, CR4.PGE/PAE/PSE/SMEP/SMAP changes, CR0.PG/WP
 * changes and EFER.NXE changes flush them (misc_helper.c).
 */
#include <string.h>

#include "target/x86/cpu.h"
#include "target/x86/sys-internal.h"
#include "util/log.h"

/* Physical address width (CPUID 0x80000008: 39 bits). */
#define PHYS_BITS 39
#define PHYS_MASK ((1ull << PHYS_BITS) - 1)
/* Address bits of a PAE/4-level entry (12..PHYS_BITS-1). */
#define PTE_ADDR_MASK (PHYS_MASK & ~0xfffull)

typedef struct Walk {
    CPUX86State *env;
    bool set_ad;
    bool restart;
    bool is64; /* 8-byte entries (PAE, 4-level) */
    /* the entries read, root first (for the accessed/dirty pass) */
    int levels;
    uint64_t entry[4], entry_addr[4];
} Walk;

static uint64_t ld_phys(CPUX86State *env, uint64_t addr, bool is64)
{
    addr &= env->a20_mask;
    if (is64) {
        return address_space_ldq_le(&address_space_memory, addr,
                                    MEMTXATTRS_UNSPECIFIED, NULL);
    }
    return address_space_ldl_le(&address_space_memory, addr,
                                MEMTXATTRS_UNSPECIFIED, NULL);
}

/*
 * Reads the next entry of the walk at pte_addr into *pte and records it.
 * Returns whether it is present.
 */
static bool walk_entry(Walk *w, uint64_t pte_addr, uint64_t *pte)
{
    *pte = ld_phys(w->env, pte_addr, w->is64);
    w->entry[w->levels] = *pte;
    w->entry_addr[w->levels] = pte_addr;
    w->levels++;
    return *pte & PG_PRESENT_MASK;
}

/*
 * Sets bits in the entry at addr (value old) atomically.  Returns false
 * if the entry changed meanwhile (the walk restarts).  Entries outside
 * RAM are left alone.
 */
static bool set_bits(Walk *w, uint64_t addr, uint64_t old, uint64_t bits)
{
    bool is64 = w->is64;
    bool ok;

    if (!w->set_ad || (old & bits) == bits) {
        return true;
    }
    addr &= w->env->a20_mask;
    if (is64) {
        ok = cpu_physical_cmpxchg64(addr, old, old | bits);
    } else {
        ok = cpu_physical_cmpxchg32(addr, old, old | bits);
    }
    if (!ok) {
        /* changed, or not RAM: re-read to tell */
        if (ld_phys(w->env, addr, is64) != old) {
            w->restart = true;
            return false;
        }
    }
    return true;
}

bool x86_page_walk(CPUX86State *env, uint64_t addr, MMUAccessType access_type,
                   int mmu_idx, bool set_ad, uint64_t *paddr, int *prot,
                   uint64_t *page_size, int *error_code)
{
    bool is_user = mmu_idx == MMU_USER_IDX;
    bool is_write = access_type == MMU_DATA_STORE;
    bool is_exec = access_type == MMU_INST_FETCH;
    bool nxe = env->efer & MSR_EFER_NXE;
    uint64_t cr4 = env->cr[4];
    uint64_t rsvd_nx = nxe ? 0 : PG_NX_MASK;
    uint64_t pte = 0, pte_addr, base, ptep, large_rsvd;
    int i, err;
    Walk w = {env, set_ad};

restart:
    w.restart = false;
    w.levels = 0;
    /* ptep: the AND of the rights along the walk; NX as a "no exec" bit */
    ptep = PG_USER_MASK | PG_RW_MASK;
    *page_size = 4096;

    if (env->cr[4] & CR4_PAE_MASK) {
        int level;

        w.is64 = true;
        if (env->hflags & HF_LMA_MASK) {
            /* 4-level: PML4 -> PDPT -> PD -> PT */
            base = env->cr[3] & PTE_ADDR_MASK;
            level = 4;
        } else {
            /*
             * PAE: the 4 PDPTEs at CR3 (32-byte aligned), read on each
             * walk rather than cached at the CR3 write (docs/quirks.md)
             */
            pte_addr =
                (env->cr[3] & ~0x1full & 0xffffffffull) + ((addr >> 27) & 0x18);
            pte = ld_phys(env, pte_addr, true);
            if (!(pte & PG_PRESENT_MASK)) {
                goto do_fault_np;
            }
            /* PDPTE: bits 1,2,5-8 and 63 reserved */
            if (pte & (0x1e6ull | ~PHYS_MASK)) {
                goto do_fault_rsvd;
            }
            base = pte & PTE_ADDR_MASK;
            level = 2;
        }
        for (; level >= 1; level--) {
            int shift = 12 + 9 * (level - 1);

            if (!walk_entry(&w, base + ((addr >> shift) & 511) * 8, &pte)) {
                goto do_fault_np;
            }
            if ((pte & ~PG_NX_MASK & ~PHYS_MASK & ~(0x7ffull << 52)) ||
                (pte & rsvd_nx)) {
                goto do_fault_rsvd;
            }
            if (level == 4 && (pte & PG_PSE_MASK)) {
                goto do_fault_rsvd;
            }
            ptep &= pte | PG_NX_MASK;
            ptep |= pte & PG_NX_MASK;
            if (level == 3 && (pte & PG_PSE_MASK)) {
                /* 1 GiB page: only with CPUID pdpe1gb (not advertised) */
                goto do_fault_rsvd;
            }
            if (level == 2 && (pte & PG_PSE_MASK)) {
                /* 2 MiB page: bits 20:13 reserved */
                large_rsvd = 0x1fe000ull;
                if (pte & large_rsvd) {
                    goto do_fault_rsvd;
                }
                *page_size = 2ull << 20;
                base = pte & PTE_ADDR_MASK & ~((2ull << 20) - 1);
                break;
            }
            base = pte & PTE_ADDR_MASK;
        }
        if (*page_size == 4096) {
            base = pte & PTE_ADDR_MASK;
        }
    } else {
        /* 32-bit paging: PD -> PT (or a 4 MiB page with CR4.PSE) */
        w.is64 = false;
        if (!walk_entry(&w,
                        (env->cr[3] & 0xfffff000ull) + ((addr >> 20) & 0xffc),
                        &pte)) {
            goto do_fault_np;
        }
        ptep &= pte;
        if ((pte & PG_PSE_MASK) && (cr4 & CR4_PSE_MASK)) {
            /* bits 20:13 hold PA 39:32 with PSE-36; bit 21 reserved */
            if (pte & (1ull << 21)) {
                goto do_fault_rsvd;
            }
            *page_size = 4ull << 20;
            base = (pte & 0xffc00000ull) | ((pte & 0x1fe000ull) << 19);
            base &= PHYS_MASK;
        } else {
            if (!walk_entry(&w, (pte & 0xfffff000ull) + ((addr >> 10) & 0xffc),
                            &pte)) {
                goto do_fault_np;
            }
            ptep &= pte;
            base = pte & 0xfffff000ull;
        }
    }

    /* ---- access rights (SDM 4.6) ---- */
    {
        bool user_page = ptep & PG_USER_MASK;
        bool writable = ptep & PG_RW_MASK;
        bool nx = nxe && (ptep & PG_NX_MASK);
        bool smap = (cr4 & CR4_SMAP_MASK) && mmu_idx == MMU_KSMAP_IDX;
        bool smep = cr4 & CR4_SMEP_MASK;
        bool wp = env->cr[0] & CR0_WP_MASK;
        int p = 0;

        if (is_user) {
            if (user_page) {
                p |= PAGE_READ;
                if (writable) {
                    p |= PAGE_WRITE;
                }
                if (!nx) {
                    p |= PAGE_EXEC;
                }
            }
        } else {
            if (!(user_page && smap)) {
                p |= PAGE_READ;
                if (writable || !wp) {
                    p |= PAGE_WRITE;
                }
            }
            if (!nx && !(user_page && smep)) {
                p |= PAGE_EXEC;
            }
        }
        if ((is_write && !(p & PAGE_WRITE)) || (is_exec && !(p & PAGE_EXEC)) ||
            (access_type == MMU_DATA_LOAD && !(p & PAGE_READ))) {
            err = PG_ERROR_P_MASK;
            goto do_fault;
        }

        /* ---- accessed / dirty (SDM 4.8) ---- */
        for (i = 0; i < w.levels; i++) {
            bool leaf = i == w.levels - 1;
            uint64_t bits = PG_ACCESSED_MASK;

            if (leaf && is_write) {
                bits |= PG_DIRTY_MASK;
            }
            if (!set_bits(&w, w.entry_addr[i], w.entry[i], bits)) {
                goto restart;
            }
        }
        if (!is_write && !(w.entry[w.levels - 1] & PG_DIRTY_MASK)) {
            p &= ~PAGE_WRITE; /* the first write sets D */
        }
        if ((cr4 & CR4_PGE_MASK) && (w.entry[w.levels - 1] & PG_GLOBAL_MASK)) {
            p |= PAGE_GLOBAL; /* kept across CR3 writes (SDM 4.10.2.4) */
        }
        *prot = p;
    }
    *paddr = (base + (addr & (*page_size - 1))) & env->a20_mask;
    return true;

do_fault_np:
    err = 0;
    goto do_fault;
do_fault_rsvd:
    err = PG_ERROR_RSVD_MASK | PG_ERROR_P_MASK;
do_fault:
    if (is_write) {
        err |= PG_ERROR_W_MASK;
    }
    if (is_user) {
        err |= PG_ERROR_U_MASK;
    }
    if (is_exec && (nxe || (cr4 & CR4_SMEP_MASK)) &&
        (env->cr[4] & CR4_PAE_MASK || (cr4 & CR4_SMEP_MASK))) {
        err |= PG_ERROR_I_D_MASK;
    }
    *error_code = err;
    return false;
}

bool x86_cpu_tlb_fill(CPUState *cs, uint64_t addr, int size,
                      MMUAccessType access_type, int mmu_idx, bool probe,
                      uintptr_t retaddr)
{
    CPUX86State *env = cs->env_ptr;
    uint64_t paddr, page_size;
    int prot, err;

    if (mmu_idx == MMU_PHYS_IDX || !(env->cr[0] & CR0_PG_MASK)) {
        /* no paging: linear = physical (32-bit outside long mode) */
        uint64_t a = addr;

        if (!(env->hflags & HF_LMA_MASK)) {
            a = (uint32_t)a;
        }
        paddr = a & env->a20_mask & PHYS_MASK;
        tlb_set_page(cs, addr & TARGET_PAGE_MASK, paddr & TARGET_PAGE_MASK,
                     PAGE_READ | PAGE_WRITE | PAGE_EXEC, mmu_idx,
                     TARGET_PAGE_SIZE);
        return true;
    }
    if ((env->hflags & HF_LMA_MASK) &&
        (int64_t)(addr << 16) >> 16 != (int64_t)addr) {
        /* non-canonical: #GP(0) (#SS for stack accesses: not told apart) */
        if (probe) {
            return false;
        }
        x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, retaddr);
    }
    if (!(env->hflags & HF_LMA_MASK)) {
        addr = (uint32_t)addr;
    }
    if (x86_page_walk(env, addr, access_type, mmu_idx, true, &paddr, &prot,
                      &page_size, &err)) {
        tlb_set_page(cs, addr & TARGET_PAGE_MASK, paddr & TARGET_PAGE_MASK,
                     prot, mmu_idx, page_size);
        return true;
    }
    if (probe) {
        return false;
    }
    qemu_log_mask(CPU_LOG_MMU, "x86: #PF at 0x%llx err 0x%x (mmu_idx %d)\n",
                  (unsigned long long)addr, err, mmu_idx);
    env->cr[2] = addr;
    x86_raise_exception_err_ra(env, EXCP0E_PAGE, err, retaddr);
}
