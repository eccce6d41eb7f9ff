/*
 * target/x86 system-mode helpers, driven directly on hand-built tables in
 * a RAM region of system/memory.c: hflags across real, protected and long
 * mode; segment loads through the GDT (checks, accessed bit, error
 * codes); the page walker (32-bit with PSE, PAE with NX, 4-level; U/S,
 * WP, A/D bits, reserved bits, #PF error codes); interrupt delivery in
 * real mode (IVT), protected mode (stack switch through the TSS) and
 * long mode (IST, alignment); the double fault rules; IRET to ring 3;
 * SYSCALL/SYSRET.
 *
 * Faults raised by a helper longjmp to cs->jmp_env: try() catches them
 * and returns the vector (-1 when the call completed).
 */
#include <setjmp.h>
#include <string.h>
#include <glib.h>

#include "accel/tcg/cputlb.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "target/x86/helper.h"
#include "target/x86/sys-cpu.h"
#include "target/x86/sys-internal.h"
#include "x86-sys-try.h"

#define RAM_SIZE (4u << 20)

static MemoryRegion ram_mr;
static uint8_t *ram;
static X86ArchCPU acpu;
static CPUX86State *env = &acpu.env;
static CPUState *cs = &acpu.parent_obj;
static int triple_faults;

static void hook_triple(CPUX86State *e)
{
    triple_faults++;
}

static const X86SysHooks hooks = {.triple_fault = hook_triple};

static void put32(uint64_t pa, uint32_t v)
{
    memcpy(ram + pa, &v, 4);
}

static void put64(uint64_t pa, uint64_t v)
{
    memcpy(ram + pa, &v, 8);
}

static void put16(uint64_t pa, uint16_t v)
{
    memcpy(ram + pa, &v, 2);
}

static uint32_t get32(uint64_t pa)
{
    uint32_t v;
    memcpy(&v, ram + pa, 4);
    return v;
}

static uint64_t get64(uint64_t pa)
{
    uint64_t v;
    memcpy(&v, ram + pa, 8);
    return v;
}

/* An 8-byte code/data descriptor. */
static uint64_t desc(uint32_t base, uint32_t limit, uint32_t access,
                     uint32_t flags4)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | (access << 8) | (limit & 0xf0000) |
                  (flags4 << 20) | (base & 0xff000000);
    return lo | ((uint64_t)hi << 32);
}

#define GDT 0x1000

/* Flat 32-bit protected mode, CPL 0, paging off, GDT at GDT. */
static void setup_flat32(void)
{
    X86CPUState s;

    x86_cpu_power_on_state(&s, true);
    for (int i = 0; i < X86_SEG_COUNT; i++) {
        s.segs[i].selector = 0x10;
        s.segs[i].base = 0;
        s.segs[i].limit = 0xffffffff;
        s.segs[i].type = 3;
        s.segs[i].db = s.segs[i].g = true;
    }
    s.segs[X86_SEG_CS].selector = 0x08;
    s.segs[X86_SEG_CS].type = 0xb;
    s.gdt_base = GDT;
    s.gdt_limit = 0x7f;
    s.cr0 = 0x11;
    s.rip = 0x100000;
    x86_cpu_sys_reset(env, &s);
    env->sys_hooks = &hooks;

    memset(ram + GDT, 0, 0x80);
    put64(GDT + 0x08, desc(0, 0xfffff, 0x9b, 0xc));        /* code32 */
    put64(GDT + 0x10, desc(0, 0xfffff, 0x93, 0xc));        /* data */
    put64(GDT + 0x18, desc(0x12345000, 0xfff, 0x92, 0x4)); /* data, A=0 */
    put64(GDT + 0x20, desc(0, 0xfffff, 0x13, 0xc));        /* not present */
    put64(GDT + 0x28, desc(0, 0xfffff, 0xf3, 0xc));        /* data DPL3 */
    put64(GDT + 0x30, desc(0, 0xfffff, 0x99, 0xc));        /* exec-only */
    put64(GDT + 0x38, desc(0, 0xfffff, 0xfb, 0xc));        /* code32 DPL3 */
    put64(GDT + 0x40, desc(0, 0xfffff, 0x9b, 0xa));        /* code64 */
    put64(GDT + 0x48, desc(0x4000, 0x67, 0x89, 0));        /* TSS32 */
}

/* ---- hflags -----------------------------------------------------------------
 */

static void test_hflags_modes(void)
{
    X86CPUState s;

    x86_cpu_power_on_state(&s, true);
    x86_cpu_sys_reset(env, &s);
    g_assert_cmpuint(env->hflags & HF_CPL_MASK, ==, 0);
    g_assert_false(env->hflags & HF_PE_MASK);
    g_assert_true(env->hflags & HF_ADDSEG_MASK);
    g_assert_false(env->hflags & HF_CS32_MASK);
    g_assert_cmphex(env->segs[R_CS].base + env->rip, ==, 0xfffffff0);

    setup_flat32();
    g_assert_true(env->hflags & HF_PE_MASK);
    g_assert_true(env->hflags & HF_CS32_MASK);
    g_assert_true(env->hflags & HF_SS32_MASK);
    g_assert_false(env->hflags & HF_ADDSEG_MASK);
    g_assert_cmpuint(env->hflags & HF_CPL_MASK, ==, 0);

    /* long mode: PAE, LME, then PG activates LMA; CS.L gives 64-bit code */
    cpu_x86_update_cr4(env, CR4_PAE_MASK);
    cpu_x86_set_efer(env, MSR_EFER_LME);
    cpu_x86_update_cr0(env, env->cr[0] | CR0_PG_MASK);
    g_assert_true(env->efer & MSR_EFER_LMA);
    g_assert_true(env->hflags & HF_LMA_MASK);
    g_assert_true(env->hflags & HF_PG_MASK);
    g_assert_false(env->hflags & HF_CS64_MASK); /* compatibility mode */
    cpu_x86_load_seg_cache(env, R_CS, 0x40, 0, 0xffffffff,
                           DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK |
                               DESC_R_MASK | DESC_L_MASK | DESC_G_MASK);
    g_assert_true(env->hflags & HF_CS64_MASK);
    g_assert_false(env->hflags & HF_ADDSEG_MASK);

    /* real mode again: CPL 0, ADDSEG */
    cpu_x86_update_cr0(env, env->cr[0] & ~(uint64_t)CR0_PG_MASK);
    g_assert_false(env->efer & MSR_EFER_LMA);
    cpu_x86_update_cr0(env, env->cr[0] & ~(uint64_t)CR0_PE_MASK);
    g_assert_false(env->hflags & HF_PE_MASK);
    g_assert_true(env->hflags & HF_ADDSEG_MASK);
}

/* ---- segment loads
 * ------------------------------------------------------------ */

static void test_load_seg(void)
{
    setup_flat32();
    g_assert_cmpint(TRY(helper_load_seg(env, R_DS, 0x18)), ==, -1);
    g_assert_cmphex(env->segs[R_DS].base, ==, 0x12345000);
    g_assert_cmphex(env->segs[R_DS].limit, ==, 0xfff);
    g_assert_true(env->segs[R_DS].flags & DESC_A_MASK);
    g_assert_true(get32(GDT + 0x18 + 4) & DESC_A_MASK); /* written back */
    g_assert_true(env->hflags & HF_ADDSEG_MASK);

    /* beyond the GDT limit: #GP(selector) */
    g_assert_cmpint(TRY(helper_load_seg(env, R_ES, 0x80)), ==, EXCP0D_GPF);
    g_assert_cmphex(env->error_code, ==, 0x80);
    /* not present: #NP(selector); as SS: #GP first (DPL/type checks) */
    g_assert_cmpint(TRY(helper_load_seg(env, R_ES, 0x20)), ==, EXCP0B_NOSEG);
    g_assert_cmphex(env->error_code, ==, 0x20);
    /* SS with DPL 3 at CPL 0 */
    g_assert_cmpint(TRY(helper_load_seg(env, R_SS, 0x2b)), ==, EXCP0D_GPF);
    g_assert_cmphex(env->error_code, ==, 0x28);
    /* execute-only code into DS */
    g_assert_cmpint(TRY(helper_load_seg(env, R_DS, 0x30)), ==, EXCP0D_GPF);
    /* null: fine for DS, #GP(0) for SS outside 64-bit mode */
    g_assert_cmpint(TRY(helper_load_seg(env, R_DS, 0)), ==, -1);
    g_assert_cmpint(TRY(helper_load_seg(env, R_SS, 0)), ==, EXCP0D_GPF);
    g_assert_cmphex(env->error_code, ==, 0);
    /* LAR on a DPL 3 data segment: ZF and the access rights */
    g_assert_cmphex(helper_lar(env, 0x28), ==, 0x00c0f300);
    g_assert_true(env->cc_src & CC_Z);
    helper_lsl(env, 0x80);
    g_assert_false(env->cc_src & CC_Z);
}

/* ---- page walks
 * ------------------------------------------------------------------ */

static int walk(uint64_t va, MMUAccessType t, int idx, uint64_t *pa, int *prot,
                uint64_t *psize)
{
    int err = -1;

    if (!x86_page_walk(env, va, t, idx, true, pa, prot, psize, &err)) {
        return err;
    }
    return -1;
}

static void test_walk_32(void)
{
    uint64_t pa, ps;
    int prot;

    setup_flat32();
    memset(ram + 0x10000, 0, 0x2000);
    put32(0x10000 + 1 * 4, 0x11000 | 7);       /* 4M..8M -> PT */
    put32(0x11000 + 0 * 4, 0x200000 | 7);      /* 0x400000 -> 2M, U RW */
    put32(0x11000 + 1 * 4, 0x201000 | 5);      /* 0x401000: U, RO */
    put32(0x11000 + 2 * 4, 0x202000 | 3);      /* 0x402000: S, RW */
    put32(0x10000 + 2 * 4, 0x00c00000 | 0x87); /* 8M: 4M page U RW */
    env->cr[3] = 0x10000;
    cpu_x86_update_cr4(env, CR4_PSE_MASK);
    cpu_x86_update_cr0(env, env->cr[0] | CR0_PG_MASK);

    g_assert_cmpint(
        walk(0x400123, MMU_DATA_LOAD, MMU_USER_IDX, &pa, &prot, &ps), ==, -1);
    g_assert_cmphex(pa, ==, 0x200123);
    g_assert_cmpuint(ps, ==, 4096);
    g_assert_true(prot & PAGE_READ);
    g_assert_false(prot & PAGE_WRITE); /* D clear: the first write refills */
    g_assert_true(get32(0x10004) & PG_ACCESSED_MASK);
    g_assert_true(get32(0x11000) & PG_ACCESSED_MASK);
    g_assert_false(get32(0x11000) & PG_DIRTY_MASK);
    g_assert_cmpint(
        walk(0x400123, MMU_DATA_STORE, MMU_USER_IDX, &pa, &prot, &ps), ==, -1);
    g_assert_true(get32(0x11000) & PG_DIRTY_MASK);
    g_assert_true(prot & PAGE_WRITE);

    /* 4 MiB page */
    g_assert_cmpint(
        walk(0x923456, MMU_DATA_LOAD, MMU_USER_IDX, &pa, &prot, &ps), ==, -1);
    g_assert_cmphex(pa, ==, 0xd23456);
    g_assert_cmpuint(ps, ==, 4u << 20);

    /* not present: error code 0 / W / U bits */
    g_assert_cmpint(
        walk(0xc00000, MMU_DATA_LOAD, MMU_KNOSMAP_IDX, &pa, &prot, &ps), ==, 0);
    g_assert_cmpint(
        walk(0xc00000, MMU_DATA_STORE, MMU_USER_IDX, &pa, &prot, &ps), ==,
        PG_ERROR_W_MASK | PG_ERROR_U_MASK);
    /* user write to a read-only page: P|W|U */
    g_assert_cmpint(
        walk(0x401000, MMU_DATA_STORE, MMU_USER_IDX, &pa, &prot, &ps), ==, 7);
    /* supervisor write to it: allowed with WP=0, P|W with WP=1 */
    g_assert_cmpint(
        walk(0x401000, MMU_DATA_STORE, MMU_KNOSMAP_IDX, &pa, &prot, &ps), ==,
        -1);
    cpu_x86_update_cr0(env, env->cr[0] | CR0_WP_MASK);
    g_assert_cmpint(
        walk(0x401000, MMU_DATA_STORE, MMU_KNOSMAP_IDX, &pa, &prot, &ps), ==,
        3);
    /* user read of a supervisor page: P|U */
    g_assert_cmpint(
        walk(0x402000, MMU_DATA_LOAD, MMU_USER_IDX, &pa, &prot, &ps), ==, 5);
}

static void test_walk_pae_nx(void)
{
    uint64_t pa, ps;
    int prot;

    setup_flat32();
    memset(ram + 0x20000, 0, 0x3000);
    put64(0x20000 + 0 * 8, 0x21000 | 1);                 /* PDPTE 0 */
    put64(0x21000 + 2 * 8, 0x400000 | 0x83);             /* 4M: 2M page */
    put64(0x21000 + 3 * 8, 0x22000 | 7);                 /* 6M: PT */
    put64(0x22000 + 0 * 8, 0x300000 | 7 | PG_NX_MASK);   /* 6M: NX */
    put64(0x22000 + 1 * 8, 0x301000 | 7 | (1ull << 45)); /* reserved bit */
    env->cr[3] = 0x20000;
    cpu_x86_set_efer(env, MSR_EFER_NXE);
    cpu_x86_update_cr4(env, CR4_PAE_MASK);
    cpu_x86_update_cr0(env, env->cr[0] | CR0_PG_MASK);

    g_assert_cmpint(
        walk(0x412345, MMU_INST_FETCH, MMU_KNOSMAP_IDX, &pa, &prot, &ps), ==,
        -1);
    g_assert_cmphex(pa, ==, 0x412345);
    g_assert_cmpuint(ps, ==, 2u << 20);
    g_assert_true(prot & PAGE_EXEC);
    /* NX: fetch fault P|I/D, reads fine */
    g_assert_cmpint(
        walk(0x600010, MMU_INST_FETCH, MMU_USER_IDX, &pa, &prot, &ps), ==,
        PG_ERROR_P_MASK | PG_ERROR_U_MASK | PG_ERROR_I_D_MASK);
    g_assert_cmpint(
        walk(0x600010, MMU_DATA_LOAD, MMU_USER_IDX, &pa, &prot, &ps), ==, -1);
    g_assert_false(prot & PAGE_EXEC);
    /* a reserved address bit: P|RSVD */
    g_assert_cmpint(
        walk(0x601000, MMU_DATA_LOAD, MMU_KNOSMAP_IDX, &pa, &prot, &ps), ==,
        PG_ERROR_P_MASK | PG_ERROR_RSVD_MASK);
    /* without NXE, bit 63 is reserved */
    cpu_x86_set_efer(env, 0);
    g_assert_cmpint(
        walk(0x600010, MMU_DATA_LOAD, MMU_KNOSMAP_IDX, &pa, &prot, &ps), ==,
        PG_ERROR_P_MASK | PG_ERROR_RSVD_MASK);
}

/* 4-level tables at 0x30000: va 0x7f0000200000 -> 2M page at 0x600000. */
static void setup_long64(void)
{
    setup_flat32();
    memset(ram + 0x30000, 0, 0x4000);
    put64(0x30000 + 0xfe * 8, 0x31000 | 7);  /* PML4[254] */
    put64(0x31000 + 0 * 8, 0x32000 | 7);     /* PDPT[0] */
    put64(0x32000 + 1 * 8, 0x600000 | 0x87); /* PD[1]: 2M page */
    put64(0x30000 + 0 * 8, 0x33000 | 3);     /* identity low 2M, S */
    put64(0x33000 + 0 * 8, 0x34000 | 3);
    put64(0x34000 + 0 * 8, 0x83);
    env->cr[3] = 0x30000;
    cpu_x86_update_cr4(env, CR4_PAE_MASK);
    cpu_x86_set_efer(env, MSR_EFER_LME | MSR_EFER_NXE | MSR_EFER_SCE);
    cpu_x86_update_cr0(env, env->cr[0] | CR0_PG_MASK);
    cpu_x86_load_seg_cache(env, R_CS, 0x40, 0, 0xffffffff,
                           DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK |
                               DESC_R_MASK | DESC_L_MASK | DESC_G_MASK |
                               DESC_A_MASK);
    put64(GDT + 0x50, 0); /* upper half of a 16-byte TSS descriptor slot */
}

static void test_walk_4level(void)
{
    uint64_t pa, ps;
    int prot;

    setup_long64();
    g_assert_true(env->hflags & HF_CS64_MASK);
    g_assert_cmpint(
        walk(0x7f0000234567ull, MMU_DATA_STORE, MMU_USER_IDX, &pa, &prot, &ps),
        ==, -1);
    g_assert_cmphex(pa, ==, 0x634567);
    g_assert_cmpuint(ps, ==, 2u << 20);
    g_assert_true(get64(0x30000 + 0xfe * 8) & PG_ACCESSED_MASK);
    g_assert_true(get64(0x32000 + 8) & PG_DIRTY_MASK);
    /* low 2M is supervisor only */
    g_assert_cmpint(walk(0x1000, MMU_DATA_LOAD, MMU_USER_IDX, &pa, &prot, &ps),
                    ==, 5);
    g_assert_cmpint(walk(0x1000, MMU_DATA_LOAD, MMU_KSMAP_IDX, &pa, &prot, &ps),
                    ==, -1);
    /* PML4 entry 1 not present */
    g_assert_cmpint(
        walk(0x8000000000ull, MMU_DATA_LOAD, MMU_KSMAP_IDX, &pa, &prot, &ps),
        ==, 0);

    /* SMEP: supervisor fetch from a user page faults (P|I/D) */
    cpu_x86_update_cr4(env, env->cr[4] | CR4_SMEP_MASK | CR4_SMAP_MASK);
    g_assert_cmpint(walk(0x7f0000200000ull, MMU_INST_FETCH, MMU_KNOSMAP_IDX,
                         &pa, &prot, &ps),
                    ==, PG_ERROR_P_MASK | PG_ERROR_I_D_MASK);
    /* SMAP: supervisor data access to a user page faults unless AC/KNOSMAP */
    g_assert_cmpint(
        walk(0x7f0000200000ull, MMU_DATA_LOAD, MMU_KSMAP_IDX, &pa, &prot, &ps),
        ==, PG_ERROR_P_MASK);
    g_assert_cmpint(walk(0x7f0000200000ull, MMU_DATA_LOAD, MMU_KNOSMAP_IDX, &pa,
                         &prot, &ps),
                    ==, -1);
    g_assert_false(prot & PAGE_EXEC);
    /* the user itself still may */
    g_assert_cmpint(
        walk(0x7f0000200000ull, MMU_INST_FETCH, MMU_USER_IDX, &pa, &prot, &ps),
        ==, -1);
    cpu_x86_update_cr4(env,
                       env->cr[4] & ~(uint64_t)(CR4_SMEP_MASK | CR4_SMAP_MASK));
}

/* ---- global pages -----------------------------------------------------
 */

/* A supervisor byte load through the TLB (refills from the tables). */
static uint8_t kload(uint64_t va)
{
    return cpu_ldub_mmuidx_ra(env, va, x86_mmu_index_kernel(env), 0);
}

/*
 * Maps (second: remaps) the 4 KiB pages at va 0x200000 (global) and
 * 0x201000 and the 2 MiB page at 0x400000 (global) to other frames (their old
 * mapping may stay in the TLB until a flush).
 */
static void remap_globals(bool second)
{
    put64(0x35000 + 0 * 8, (second ? 0x102000 : 0x100000) | 0x103);
    put64(0x35000 + 1 * 8, (second ? 0x103000 : 0x101000) | 0x3);
    put64(0x34000 + 2 * 8, (second ? 0 : 0x200000) | 0x183);
}

static void test_global_pages(void)
{
    uint64_t pa, ps;
    int prot;

    setup_long64();
    put64(0x34000 + 1 * 8, 0x35000 | 3); /* PD[1]: page table at 0x35000 */
    memset(ram + 0x35000, 0, 0x1000);
    ram[0x100000] = 0x11;
    ram[0x101000] = 0x33;
    ram[0x102000] = 0x22;
    ram[0x103000] = 0x44;
    ram[0x201234] = 0x55;
    ram[0x001234] = 0x66;
    ram[0x200000] = 0x77;
    remap_globals(false);

    /* G counts only with CR4.PGE */
    g_assert_cmpint(
        walk(0x200000, MMU_DATA_LOAD, MMU_KNOSMAP_IDX, &pa, &prot, &ps), ==,
        -1);
    g_assert_false(prot & PAGE_GLOBAL);
    cpu_x86_update_cr4(env, env->cr[4] | CR4_PGE_MASK);
    g_assert_cmpint(
        walk(0x200000, MMU_DATA_LOAD, MMU_KNOSMAP_IDX, &pa, &prot, &ps), ==,
        -1);
    g_assert_true(prot & PAGE_GLOBAL);
    g_assert_cmpint(
        walk(0x201000, MMU_DATA_LOAD, MMU_KNOSMAP_IDX, &pa, &prot, &ps), ==,
        -1);
    g_assert_false(prot & PAGE_GLOBAL);

    /* MOV CR3 keeps the global translations, drops the others */
    g_assert_cmphex(kload(0x200000), ==, 0x11);
    g_assert_cmphex(kload(0x201000), ==, 0x33);
    g_assert_cmphex(kload(0x401234), ==, 0x55);
    remap_globals(true);
    g_assert_cmphex(kload(0x200000), ==, 0x11); /* still in the TLB */
    g_assert_cmpint(TRY(helper_write_crN(env, 3, 0x30000)), ==, -1);
    g_assert_cmphex(kload(0x200000), ==, 0x11);
    g_assert_cmphex(kload(0x201000), ==, 0x44);
    g_assert_cmphex(kload(0x401234), ==, 0x55);

    /* INVLPG flushes a global page, and any address in a global 2M page */
    helper_invlpg(env, 0x200000);
    g_assert_cmphex(kload(0x200000), ==, 0x22);
    helper_invlpg(env, 0x5ff000);
    g_assert_cmphex(kload(0x401234), ==, 0x66);

    /* toggling CR4.PGE flushes everything */
    g_assert_cmphex(kload(0x200000), ==, 0x22);
    remap_globals(false);
    g_assert_cmphex(kload(0x200000), ==, 0x22); /* in the TLB */
    g_assert_cmpint(TRY(helper_write_crN(env, 4, env->cr[4] & ~CR4_PGE_MASK)),
                    ==, -1);
    g_assert_cmphex(kload(0x200000), ==, 0x11);
    g_assert_cmphex(kload(0x401234), ==, 0x55);
    /* without PGE a CR3 write drops them too */
    remap_globals(true);
    g_assert_cmpint(TRY(helper_write_crN(env, 3, 0x30000)), ==, -1);
    g_assert_cmphex(kload(0x200000), ==, 0x22);
    g_assert_cmphex(kload(0x401234), ==, 0x66);

    /* a global entry moved to the victim TLB survives MOV CR3 as well */
    cpu_x86_update_cr4(env, env->cr[4] | CR4_PGE_MASK);
    remap_globals(false);
    g_assert_cmphex(kload(0x200000), ==, 0x11);
    g_assert_cmphex(kload(0x401234), ==, 0x55); /* a global in block 0 */
    put64(0x34000 + 3 * 8, 0x200000 | 0x83);    /* va 0x600000: same slot */
    g_assert_cmphex(kload(0x600000), ==, 0x77); /* 0x200000 -> victim */
    remap_globals(true);
    g_assert_cmpint(TRY(helper_write_crN(env, 3, 0x30000)), ==, -1);
    g_assert_cmphex(kload(0x200000), ==, 0x11);

    /* CR0.PG off and on again flushes everything */
    cpu_x86_update_cr0(env, env->cr[0] & ~(uint64_t)CR0_PG_MASK);
    cpu_x86_update_cr0(env, env->cr[0] | CR0_PG_MASK);
    g_assert_cmphex(kload(0x200000), ==, 0x22);
    cpu_x86_update_cr4(env, env->cr[4] & ~(uint64_t)CR4_PGE_MASK);
}

/* ---- interrupts
 * ------------------------------------------------------------------- */

static void test_interrupt_real(void)
{
    X86CPUState s;

    x86_cpu_power_on_state(&s, true);
    x86_cpu_sys_reset(env, &s);
    env->sys_hooks = &hooks;
    env->idt.base = 0;
    env->idt.limit = 0x3ff;
    put32(0x21 * 4, 0x12345678); /* 1234:5678 */
    cpu_x86_load_seg_cache(env, R_SS, 0x2000, 0x20000, 0xffff,
                           env->segs[R_SS].flags);
    env->regs[R_ESP] = 0x100;
    env->eflags |= IF_MASK;
    x86_do_interrupt_all(env, 0x21, 1, 0, 0xfff2, 0);
    g_assert_cmphex(env->segs[R_CS].selector, ==, 0x1234);
    g_assert_cmphex(env->segs[R_CS].base, ==, 0x12340);
    g_assert_cmphex(env->rip, ==, 0x5678);
    g_assert_cmphex(env->regs[R_ESP], ==, 0xfa);
    g_assert_cmphex(get32(0x200fa) & 0xffff, ==, 0xfff2); /* IP */
    g_assert_cmphex(get32(0x200fc) & 0xffff, ==, 0xf000); /* CS */
    g_assert_true(get32(0x200fe) & IF_MASK);              /* FLAGS */
    g_assert_false(env->eflags & IF_MASK);
}

#define IDT 0x3000
#define TSS 0x4000

static void idt_gate32(int vec, uint16_t sel, uint32_t off, int type, int dpl)
{
    put32(IDT + vec * 8, (off & 0xffff) | ((uint32_t)sel << 16));
    put32(IDT + vec * 8 + 4,
          (off & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8));
}

static void test_interrupt_protected(void)
{
    setup_flat32();
    env->idt.base = IDT;
    env->idt.limit = 0x7ff;
    idt_gate32(14, 0x08, 0x5000, DESC_INTGATE32, 0);
    idt_gate32(0x80, 0x08, 0x6000, DESC_TRAPGATE32, 3);
    idt_gate32(0x81, 0x08, 0x6000, DESC_TRAPGATE32, 0);
    memset(ram + TSS, 0, 0x68);
    put32(TSS + 4, 0x9000); /* ESP0 */
    put32(TSS + 8, 0x10);   /* SS0 */
    g_assert_cmpint(TRY(helper_ltr(env, 0x48)), ==, -1);
    g_assert_true(get32(GDT + 0x48 + 4) & (2 << 8)); /* busy */

    /* at CPL 3 */
    cpu_x86_load_seg_cache(env, R_CS, 0x3b, 0, 0xffffffff,
                           0xcffb00 & 0x00f0ff00);
    cpu_x86_load_seg_cache(env, R_SS, 0x2b, 0, 0xffffffff,
                           0xcff300 & 0x00f0ff00);
    g_assert_cmpuint(env->hflags & HF_CPL_MASK, ==, 3);
    env->regs[R_ESP] = 0x8000;
    env->rip = 0x1234;
    env->eflags |= IF_MASK;

    /* #PF from ring 3: stack switch, frame SS ESP EFLAGS CS EIP err */
    x86_do_interrupt_all(env, 14, 0, 6, 0, 0);
    g_assert_cmpuint(env->hflags & HF_CPL_MASK, ==, 0);
    g_assert_cmphex(env->segs[R_CS].selector, ==, 0x08);
    g_assert_cmphex(env->segs[R_SS].selector, ==, 0x10);
    g_assert_cmphex(env->rip, ==, 0x5000);
    g_assert_cmphex(env->regs[R_ESP], ==, 0x9000 - 24);
    g_assert_cmphex(get32(0x9000 - 24), ==, 6);      /* error code */
    g_assert_cmphex(get32(0x9000 - 20), ==, 0x1234); /* EIP */
    g_assert_cmphex(get32(0x9000 - 16), ==, 0x3b);   /* CS */
    g_assert_true(get32(0x9000 - 12) & IF_MASK);     /* EFLAGS */
    g_assert_cmphex(get32(0x9000 - 8), ==, 0x8000);  /* ESP */
    g_assert_cmphex(get32(0x9000 - 4), ==, 0x2b);    /* SS */
    g_assert_false(env->eflags & IF_MASK);           /* interrupt gate */

    /* IRET back to ring 3; DS (DPL 0) becomes null */
    g_assert_cmpint(TRY(helper_load_seg(env, R_DS, 0x10)), ==, -1);
    env->regs[R_ESP] = 0x9000 - 20;
    g_assert_cmpint(TRY(helper_iret_protected(env, 1, 0)), ==, -1);
    g_assert_cmpuint(env->hflags & HF_CPL_MASK, ==, 3);
    g_assert_cmphex(env->rip, ==, 0x1234);
    g_assert_cmphex(env->regs[R_ESP], ==, 0x8000);
    g_assert_cmphex(env->segs[R_DS].selector, ==, 0);
    g_assert_true(env->eflags & IF_MASK);

    /* INT 0x81 from ring 3 through a DPL 0 gate: #GP(0x81 * 8 + 2) */
    g_assert_cmpint(TRY(x86_do_interrupt_all(env, 0x81, 1, 0, 0x1236, 0)), ==,
                    EXCP0D_GPF);
    g_assert_cmphex(env->error_code, ==, 0x81 * 8 + 2);
    /* INT 0x80 through a DPL 3 trap gate: IF kept, return address */
    env->old_exception = -1;
    x86_do_interrupt_all(env, 0x80, 1, 0, 0x1236, 0);
    g_assert_cmphex(env->rip, ==, 0x6000);
    g_assert_cmphex(get32(0x9000 - 20), ==, 0x1236);
    g_assert_true(env->eflags & IF_MASK);
}

static void test_interrupt_long(void)
{
    setup_long64();
    env->idt.base = IDT;
    env->idt.limit = 0xfff;
    /* vector 13: 64-bit interrupt gate, IST 1, handler 0xffff800000001000 */
    put32(IDT + 13 * 16, 0x1000 | (0x40 << 16));
    put32(IDT + 13 * 16 + 4, 0x8e00 | 1);
    put32(IDT + 13 * 16 + 8, 0xffff8000);
    put32(IDT + 13 * 16 + 12, 0);
    memset(ram + TSS, 0, 0x68);
    put64(TSS + 0x24, 0x7008); /* IST1, misaligned on purpose */
    env->tr.base = TSS;
    env->tr.limit = 0x67;
    env->tr.flags = DESC_P_MASK | (11 << 8);
    env->regs[R_ESP] = 0x5555;
    env->rip = 0x400000;
    x86_do_interrupt_all(env, 13, 0, 0x18, 0, 0);
    g_assert_cmphex(env->rip, ==, 0xffff800000001000ull);
    g_assert_cmphex(env->regs[R_ESP], ==, 0x7000 - 48);
    g_assert_cmphex(get64(0x7000 - 48), ==, 0x18);     /* error code */
    g_assert_cmphex(get64(0x7000 - 40), ==, 0x400000); /* RIP */
    g_assert_cmphex(get64(0x7000 - 32), ==, 0x40);     /* CS */
    g_assert_cmphex(get64(0x7000 - 16), ==, 0x5555);   /* RSP */
}

/* A 32-bit TSS at base: EIP, ESP, EAX and flat selectors. */
static void put_tss32(uint32_t base, uint32_t eip, uint32_t esp, uint32_t eax)
{
    memset(ram + base, 0, 0x68);
    put32(base + 0x20, eip);
    put32(base + 0x24, 2);
    put32(base + 0x28, eax);
    put32(base + 0x38, esp);
    put32(base + 0x4c, 0x08);
    for (int i = 0; i < 6; i++) {
        if (i != R_CS) {
            put32(base + 0x48 + i * 4, 0x10);
        }
    }
}

static void test_task_switch(void)
{
    setup_flat32();
    put64(GDT + 0x50, desc(0x4100, 0x67, 0x89, 0)); /* TSS B, available */
    g_assert_cmpint(TRY(helper_ltr(env, 0x48)), ==, -1);
    put_tss32(0x4000, 0, 0, 0);
    put_tss32(0x4100, 0x7000, 0x6000, 0x1234);
    env->regs[R_EAX] = 0x5555;
    env->rip = 0x100000;

    /* CALL to TSS B: nested, back link, both busy */
    g_assert_cmpint(TRY(helper_lcall_protected(env, 0x50, 0, 1, 7)), ==, -1);
    g_assert_cmphex(env->tr.selector, ==, 0x50);
    g_assert_cmphex(env->rip, ==, 0x7000);
    g_assert_cmphex(env->regs[R_EAX], ==, 0x1234);
    g_assert_cmphex(env->regs[R_ESP], ==, 0x6000);
    g_assert_true(env->eflags & NT_MASK);
    g_assert_true(env->cr[0] & CR0_TS_MASK);
    g_assert_cmphex(get32(0x4100) & 0xffff, ==, 0x48);   /* link */
    g_assert_cmphex(get32(0x4000 + 0x20), ==, 0x100007); /* saved EIP */
    g_assert_cmphex(get32(0x4000 + 0x28), ==, 0x5555);   /* saved EAX */
    g_assert_true(get32(GDT + 0x50 + 4) & (2 << 8));
    g_assert_true(get32(GDT + 0x48 + 4) & (2 << 8));

    /* IRET with NT: back to A, B no longer busy */
    g_assert_cmpint(TRY(helper_iret_protected(env, 1, 0)), ==, -1);
    g_assert_cmphex(env->tr.selector, ==, 0x48);
    g_assert_cmphex(env->rip, ==, 0x100007);
    g_assert_cmphex(env->regs[R_EAX], ==, 0x5555);
    g_assert_false(get32(GDT + 0x50 + 4) & (2 << 8));
    g_assert_false(env->eflags & NT_MASK);

    /* #DF through a task gate: B runs with the error code on its stack */
    env->idt.base = IDT;
    env->idt.limit = 0x7ff;
    put32(IDT + 8 * 8, 0x50 << 16);
    put32(IDT + 8 * 8 + 4, 0x8500); /* present task gate */
    put_tss32(0x4100, 0x7000, 0x6000, 0x1234);
    x86_do_interrupt_all(env, EXCP08_DBLE, 0, 0, 0, 0);
    g_assert_cmphex(env->tr.selector, ==, 0x50);
    g_assert_cmphex(env->rip, ==, 0x7000);
    g_assert_cmphex(env->regs[R_ESP], ==, 0x6000 - 4);
    g_assert_cmphex(get32(0x6000 - 4), ==, 0);

    /* JMP to the busy (nesting) task A: #GP(selector) */
    g_assert_cmpint(TRY(helper_ljmp_protected(env, 0x48, 0, 5)), ==,
                    EXCP0D_GPF);
    g_assert_cmphex(env->error_code, ==, 0x48);
    /* IRET back to A, then JMP to B: not nested, A no longer busy */
    g_assert_cmpint(TRY(helper_iret_protected(env, 1, 0)), ==, -1);
    g_assert_cmphex(env->tr.selector, ==, 0x48);
    put_tss32(0x4100, 0x7000, 0x6000, 0x1234);
    g_assert_cmpint(TRY(helper_ljmp_protected(env, 0x50, 0, 5)), ==, -1);
    g_assert_cmphex(env->tr.selector, ==, 0x50);
    g_assert_false(env->eflags & NT_MASK);
    g_assert_false(get32(GDT + 0x48 + 4) & (2 << 8));
    g_assert_true(get32(GDT + 0x50 + 4) & (2 << 8));
    env->cr[0] &= ~(uint64_t)CR0_TS_MASK;
}

/* A 16-bit TSS at base (SDM figure 7-11): IP, SP, AX, flat selectors. */
static void put_tss16(uint32_t base, uint16_t ip, uint16_t sp, uint16_t ax)
{
    memset(ram + base, 0, 0x2c);
    put16(base + 0x0e, ip);
    put16(base + 0x10, 2);
    put16(base + 0x12, ax);
    put16(base + 0x1a, sp);
    put16(base + 0x22, 0x10); /* ES */
    put16(base + 0x24, 0x08); /* CS */
    put16(base + 0x26, 0x10); /* SS */
    put16(base + 0x28, 0x10); /* DS */
}

static void test_task_switch16(void)
{
    setup_flat32();
    put64(GDT + 0x58, desc(0x4200, 0x2b, 0x81, 0)); /* 16-bit TSS, avail. */
    g_assert_cmpint(TRY(helper_ltr(env, 0x48)), ==, -1);
    put_tss32(0x4000, 0, 0, 0);
    put_tss16(0x4200, 0x7000, 0x6000, 0x1234);
    env->regs[R_EAX] = 0xaaaa5555;
    env->regs[R_EBX] = 0xbbbb0000;
    env->rip = 0x100000;
    cpu_x86_load_seg_cache(env, R_FS, 0x10, 0, 0xffffffff,
                           DESC_P_MASK | DESC_S_MASK | DESC_W_MASK);

    /* CALL: 16-bit registers replace the low halves, FS/GS become null */
    g_assert_cmpint(TRY(helper_lcall_protected(env, 0x58, 0, 1, 7)), ==, -1);
    g_assert_cmphex(env->tr.selector, ==, 0x58);
    g_assert_cmphex(env->rip, ==, 0x7000);
    g_assert_cmphex(env->regs[R_EAX], ==, 0xaaaa1234);
    g_assert_cmphex(env->regs[R_EBX], ==, 0xbbbb0000);
    g_assert_cmphex(env->regs[R_ESP] & 0xffff, ==, 0x6000);
    g_assert_cmphex(env->segs[R_FS].selector, ==, 0);
    g_assert_cmphex(env->segs[R_CS].selector, ==, 0x08);
    g_assert_true(env->eflags & NT_MASK);
    g_assert_cmphex(get32(0x4200) & 0xffff, ==, 0x48);   /* link */
    g_assert_cmphex(get32(0x4000 + 0x20), ==, 0x100007); /* saved EIP */
    g_assert_cmphex(get32(0x4000 + 0x28), ==, 0xaaaa5555);
    g_assert_cmphex(get32(0x4000 + 0x48 + R_FS * 4) & 0xffff, ==, 0x10);

    /* IRET: the 16-bit task's state goes to its TSS in 16-bit slots */
    env->regs[R_EAX] = 0xcccc4321;
    env->regs[R_ESI] = 0x9876;
    g_assert_cmpint(TRY(helper_iret_protected(env, 0, 0x7003)), ==, -1);
    g_assert_cmphex(env->tr.selector, ==, 0x48);
    g_assert_cmphex(env->rip, ==, 0x100007);
    g_assert_cmphex(env->regs[R_EAX], ==, 0xaaaa5555);
    g_assert_cmphex(env->segs[R_FS].selector, ==, 0x10);
    g_assert_cmphex(get32(0x4200 + 0x0e) & 0xffff, ==, 0x7003); /* IP */
    g_assert_cmphex(get32(0x4200 + 0x12) & 0xffff, ==, 0x4321); /* AX */
    g_assert_cmphex(get32(0x4200 + 0x12 + R_ESI * 2) & 0xffff, ==, 0x9876);
    g_assert_cmphex(get32(0x4200 + 0x24) & 0xffff, ==, 0x08); /* CS */
    g_assert_false(get32(GDT + 0x58 + 4) & (2 << 8));         /* not busy */
    env->cr[0] &= ~(uint64_t)CR0_TS_MASK;
}

static void test_double_fault(void)
{
    setup_flat32();
    triple_faults = 0;
    /* #GP while delivering #PF: #DF with error code 0 */
    env->old_exception = EXCP0E_PAGE;
    g_assert_cmpint(TRY(x86_raise_exception_err_ra(env, EXCP0D_GPF, 0x10, 0)),
                    ==, EXCP08_DBLE);
    g_assert_cmpint(env->error_code, ==, 0);
    /* #PF while delivering #GP: benign order, stays #PF */
    env->old_exception = EXCP0D_GPF;
    g_assert_cmpint(TRY(x86_raise_exception_err_ra(env, EXCP0E_PAGE, 2, 0)), ==,
                    EXCP0E_PAGE);
    /* anything while delivering #DF: shutdown (triple fault) */
    env->old_exception = EXCP08_DBLE;
    g_assert_cmpint(TRY(x86_raise_exception_err_ra(env, EXCP0D_GPF, 0, 0)), ==,
                    EXCP_HLT);
    g_assert_cmpint(triple_faults, ==, 1);
    g_assert_true(cs->halted);
    cs->halted = 0;
    env->old_exception = -1;
}

static void test_syscall_sysret(void)
{
    setup_long64();
    env->star = (0x23ull << 48) | (0x40ull << 32);
    env->lstar = 0xffffffff81000000ull;
    env->fmask = IF_MASK | TF_MASK;
    cpu_x86_load_seg_cache(env, R_CS, 0x33, 0, 0xffffffff,
                           DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK |
                               DESC_R_MASK | DESC_L_MASK | (3 << 13));
    cpu_x86_load_seg_cache(env, R_SS, 0x2b, 0, 0xffffffff,
                           DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | (3 << 13));
    g_assert_cmpuint(env->hflags & HF_CPL_MASK, ==, 3);
    env->rip = 0x401000;
    env->eflags |= IF_MASK;
    helper_syscall(env, 2);
    g_assert_cmpuint(env->hflags & HF_CPL_MASK, ==, 0);
    g_assert_cmphex(env->segs[R_CS].selector, ==, 0x40);
    g_assert_cmphex(env->segs[R_SS].selector, ==, 0x48);
    g_assert_cmphex(env->rip, ==, 0xffffffff81000000ull);
    g_assert_cmphex(env->regs[R_ECX], ==, 0x401002);
    g_assert_true(env->regs[11] & IF_MASK);
    g_assert_false(env->eflags & IF_MASK);
    g_assert_true(env->hflags & HF_CS64_MASK);

    g_assert_cmpint(TRY(helper_sysret(env, MO_64)), ==, -1);
    g_assert_cmpuint(env->hflags & HF_CPL_MASK, ==, 3);
    g_assert_cmphex(env->segs[R_CS].selector, ==, 0x33);
    g_assert_cmphex(env->segs[R_SS].selector, ==, 0x2b);
    g_assert_cmphex(env->rip, ==, 0x401002);
    g_assert_true(env->eflags & IF_MASK);
    /* SYSRET at CPL 3: #GP(0) */
    g_assert_cmpint(TRY(helper_sysret(env, MO_64)), ==, EXCP0D_GPF);
}

/* ---- MSRs ---------------------------------------------------------------
 */

static int rdmsr(uint32_t msr, uint64_t *val)
{
    int r;

    env->regs[R_ECX] = msr;
    env->regs[R_EAX] = env->regs[R_EDX] = 0xdead;
    r = TRY(helper_rdmsr(env));
    *val = (uint32_t)env->regs[R_EAX] | (env->regs[R_EDX] << 32);
    return r;
}

static int wrmsr(uint32_t msr, uint64_t val)
{
    env->regs[R_ECX] = msr;
    env->regs[R_EAX] = (uint32_t)val;
    env->regs[R_EDX] = val >> 32;
    return TRY(helper_wrmsr(env));
}

static void test_msrs(void)
{
    /* write, then read back */
    enum { OK, GP, GP_RD, ABSENT };
    static const struct {
        uint32_t msr;
        uint64_t write;
        int gp; /* GP: the write #GPs, GP_RD the read, ABSENT both */
        uint64_t back;
    } cases[] = {
        {MSR_STAR, 0x0023001000000000ull, OK, 0x0023001000000000ull},
        {MSR_LSTAR, 0xffffffff81000000ull, OK, 0xffffffff81000000ull},
        {MSR_CSTAR, 0x1234, OK, 0x1234},
        {MSR_FMASK, 0x47700, OK, 0x47700},
        {MSR_KERNELGSBASE, 0xffff888000001000ull, OK, 0xffff888000001000ull},
        {MSR_IA32_SYSENTER_CS, 0x12345, OK, 0x2345},
        {MSR_IA32_SYSENTER_ESP, 0x123456789ull, OK, 0x123456789ull},
        {MSR_IA32_SYSENTER_EIP, 0x987654321ull, OK, 0x987654321ull},
        {MSR_PAT, 0x0007040600070406ull, OK, 0x0007040600070406ull},
        {MSR_IA32_MISC_ENABLE, 1, OK, 1},
        {MSR_IA32_SPEC_CTRL, 3, OK, 3},
        {MSR_MCG_STATUS, 4, OK, 4},
        {MSR_MCG_CTL, 5, GP, 0},
        {MSR_MCG_CTL, ~0ull, OK, ~0ull},
        {MSR_AMD64_DE_CFG, 2, OK, 2},
        {MSR_K7_HWCR, 0x1000, OK, 0x1000},
        {MSR_MTRRdefType, 0xffff, OK, 0xcff},
        {MSR_TSC_AUX, 0x100000005ull, OK, 5},
        {MSR_MTRRcap, 0, GP, 0},
        {MSR_MCG_CAP, 0, GP, 0},
        {MSR_IA32_PLATFORM_ID, 0, GP, 0},
        {MSR_IA32_FEATURE_CONTROL, 0, GP, 0},
        {MSR_K8_TSEG_ADDR, 0, GP, 0},
        {MSR_K8_TSEG_MASK, 0, GP, 0},
        {MSR_IA32_UCODE_REV, 7, OK, 0},
        {MSR_IA32_TSC_ADJUST, 7, OK, 0},
        {MSR_VM_HSAVE_PA, 7, OK, 0},
        {MSR_K8_SYSCFG, 7, OK, 0},
        {MSR_K8_INT_PENDING_MSG, 7, OK, 0},
        {MSR_K8_VM_CR, 7, OK, 0},
        {MSR_K7_EVNTSEL0 + 2, 7, OK, 0},
        {MSR_MTRRphysBase0 + 3, 0xfe000800ull, OK, 0xfe000800ull},
        {MSR_MTRRfix16K_A0000, 0x0101010101010101ull, OK,
         0x0101010101010101ull},
        {MSR_MTRRfix4K_F8000, 0x0505050505050505ull, OK, 0x0505050505050505ull},
        {MSR_MC0_CTL + 4, 7, OK, 7}, /* MC1_CTL: any value */
        {MSR_MC0_CTL + 5, 1, GP, 0}, /* MC1_STATUS: only 0 */
        {MSR_MC0_CTL + 5, 0, OK, 0},
        {MSR_IA32_PRED_CMD, 1, GP_RD, 0},
        {0x12345, 0, ABSENT, 0},
        {MSR_X2APIC_FIRST + 2, 0, ABSENT, 0}, /* no x2APIC hook */
    };
    uint64_t v;

    setup_long64();
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("msr 0x%x", cases[i].msr);
        g_assert_cmpint(
            wrmsr(cases[i].msr, cases[i].write), ==,
            (cases[i].gp == GP || cases[i].gp == ABSENT) ? EXCP0D_GPF : -1);
        g_assert_cmpint(
            rdmsr(cases[i].msr, &v), ==,
            (cases[i].gp == GP_RD || cases[i].gp == ABSENT) ? EXCP0D_GPF : -1);
        if (cases[i].gp == OK) {
            g_assert_cmphex(v, ==, cases[i].back);
        }
    }
    g_assert_cmphex(env->mtrr_fixed[2], ==, 0x0101010101010101ull);
    g_assert_cmphex(env->mtrr_fixed[10], ==, 0x0505050505050505ull);
    g_assert_cmphex(env->mce_banks[4], ==, 7);
    g_assert_cmphex(env->mtrr_var[3], ==, 0xfe000800ull);
    g_assert_cmpint(rdmsr(MSR_MTRRcap, &v), ==, -1);
    g_assert_cmphex(v, ==, 0x508);
    g_assert_cmpint(rdmsr(MSR_MCG_CAP, &v), ==, -1);
    g_assert_cmphex(v, ==, X86_MCE_BANKS | 0x100);
    g_assert_cmpint(rdmsr(MSR_IA32_APICBASE, &v), ==, -1);
    g_assert_cmphex(v, ==, 0xfee00900);

    /* FS/GS base are the segment caches' */
    g_assert_cmpint(wrmsr(MSR_FSBASE, 0x7f0000001000ull), ==, -1);
    g_assert_cmphex(env->segs[R_FS].base, ==, 0x7f0000001000ull);
    env->segs[R_GS].base = 0xffff888000002000ull;
    g_assert_cmpint(rdmsr(MSR_GSBASE, &v), ==, -1);
    g_assert_cmphex(v, ==, 0xffff888000002000ull);

    /* EFER: LMA stays, LME fixed while paging is on, reserved bits #GP */
    g_assert_cmpint(rdmsr(MSR_EFER, &v), ==, -1);
    g_assert_true(v & MSR_EFER_LMA);
    g_assert_cmpint(wrmsr(MSR_EFER, v | MSR_EFER_NXE), ==, -1);
    g_assert_true(env->efer & MSR_EFER_NXE);
    g_assert_true(env->efer & MSR_EFER_LMA);
    g_assert_cmpint(wrmsr(MSR_EFER, v & ~(uint64_t)MSR_EFER_LME), ==,
                    EXCP0D_GPF);
    g_assert_cmpint(wrmsr(MSR_EFER, v | (1ull << 40)), ==, EXCP0D_GPF);

    /* TSC: a write sets the offset, reads go on from there */
    g_assert_cmpint(wrmsr(MSR_IA32_TSC, 1000000), ==, -1);
    g_assert_cmpint(rdmsr(MSR_IA32_TSC, &v), ==, -1);
    g_assert_cmpuint(v, >=, 1000000);
    g_assert_cmpuint(v, <, 1000000 + 60000000000ull);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    memory_init();
    g_assert_true(
        memory_region_init_ram(&ram_mr, NULL, "ram", RAM_SIZE, &error_abort));
    memory_region_add_subregion(get_system_memory(), 0, &ram_mr);
    ram = memory_region_get_ram_ptr(&ram_mr);
    tcg_exec_init(0);
    cputlb_system_init();
    cs->env_ptr = env;
    cpu_exec_init(cs, &x86_tcg_ops);
    cs->as = &address_space_memory;

    g_test_add_func("/x86/sys/hflags-modes", test_hflags_modes);
    g_test_add_func("/x86/sys/load-seg", test_load_seg);
    g_test_add_func("/x86/sys/walk-32", test_walk_32);
    g_test_add_func("/x86/sys/walk-pae-nx", test_walk_pae_nx);
    g_test_add_func("/x86/sys/walk-4level", test_walk_4level);
    g_test_add_func("/x86/sys/global-pages", test_global_pages);
    g_test_add_func("/x86/sys/interrupt-real", test_interrupt_real);
    g_test_add_func("/x86/sys/interrupt-protected", test_interrupt_protected);
    g_test_add_func("/x86/sys/interrupt-long", test_interrupt_long);
    g_test_add_func("/x86/sys/double-fault", test_double_fault);
    g_test_add_func("/x86/sys/task-switch", test_task_switch);
    g_test_add_func("/x86/sys/task-switch16", test_task_switch16);
    g_test_add_func("/x86/sys/syscall-sysret", test_syscall_sysret);
    g_test_add_func("/x86/sys/msrs", test_msrs);
    return g_test_run();
}
