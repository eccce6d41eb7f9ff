/*
 * accel/tcg system mode end to end with a toy guest: a byte-code ISA run
 * from RAM of system/memory.c, guest loads/stores through the softmmu TLB
 * (inline fast path + slow path), a table-driven "page table" for
 * tlb_fill, an MMIO counter device, unassigned memory, ROM, page faults
 * delivered by do_interrupt, TLB flushes, translated code invalidated by
 * guest stores (same TB) and by DMA (address_space_write), interrupts in
 * a self-looping TB, and HLT + cpu_interrupt wake-up on a vCPU thread.
 *
 * Toy ISA (little-endian operands, a32 = 32-bit guest virtual address):
 *   01 ii        r0 += ii
 *   02 a32       jmp a32                   (direct: goto_tb on the same page)
 *   03           stop: cpu_exec returns TOY_EXCP_STOP, pc = next insn
 *   04 r a32     r[r] = mem32[a32]         (zero-extended)
 *   05 r a32     mem32[a32] = r[r]
 *   06 r         r[r] = mem64[r1]
 *   07 r         mem64[r1] = r[r]
 *   08 ii        mem8[r1] = ii
 *   09           hlt (pc = next insn)
 *   0a r         r[r] = atomic fetch_add64 mem64[r1], r[r]
 *   0b r a32     r[r] = mem32[a32] with MMU index 1 (supervisor view)
 *
 * Physical map: RAM 0..1 MiB, MMIO counter at 0x100000 (4 KiB), ROM at
 * 0x300000 (4 KiB), nothing at 0x200000.  Virtual = physical unless
 * toy_map says otherwise; vpages marked TOY_UNMAPPED fault (exception
 * TOY_EXCP_PF, delivered to env.pf_handler).
 */
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include "accel/tcg/cpu-ldst.h"
#include "accel/tcg/cputlb.h"
#include "accel/tcg/tcg-accel-ops.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "tcg/tcg-op.h"

#define RAM_SIZE      0x100000u
#define MMIO_BASE     0x100000u
#define HOLE_BASE     0x200000u
#define ROM_BASE      0x300000u
#define TOY_EXCP_PF   14
#define TOY_EXCP_STOP 0x10100
#define VPAGES        4096 /* 16 MiB of virtual space */
#define TOY_UNMAPPED  ((uint64_t)-1)

typedef struct ToyEnv {
    uint64_t r[8];
    uint64_t pc;
    uint64_t pf_handler, fault_addr, fault_pc;
    uint64_t irq_handler, irq_count, irq_ret;
    int fault_type;
    bool irq_enabled;
} ToyEnv;

typedef struct ToyCPU {
    CPUState parent;
    ToyEnv env;
} ToyCPU;

static ToyCPU cpu, cpu2;
static MemoryRegion ram_mr, mmio_mr, rom_mr;
static uint8_t *ram;
static TCGv_i64 t_r[8], t_pc;
/* vpage -> physical page address; 0 = identity */
static uint64_t toy_map[VPAGES];
static int toy_fill_count;
/* nonzero: every fill bumps this RAM word like a page walk sets A bits */
static uint64_t toy_pte_addr;

/* ---- the MMIO counter device ------------------------------------------ */

static unsigned mmio_reads, mmio_writes;
static uint64_t mmio_last_write, mmio_last_addr;
static unsigned mmio_last_size;

/* bytes 0x800..0x80f read as code, the rest as 0x1000 + offset */
static uint8_t mmio_code[16];

static uint64_t mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    mmio_reads++;
    mmio_last_addr = addr;
    mmio_last_size = size;
    if (addr >= 0x800 && addr < 0x810 && size == 1) {
        return mmio_code[addr - 0x800];
    }
    return 0x1000 + addr;
}

static void mmio_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    mmio_writes++;
    mmio_last_addr = addr;
    mmio_last_size = size;
    mmio_last_write = v;
}

static const MemoryRegionOps mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8},
    .impl = {.min_access_size = 1, .max_access_size = 8},
};

/* ---- the toy target ----------------------------------------------------- */

static void toy_get_tb_cpu_state(CPUState *cs, uint64_t *pc, uint64_t *cs_base,
                                 uint32_t *flags)
{
    *pc = ((ToyCPU *)cs)->env.pc;
    *cs_base = 0;
    *flags = 0;
}

static void toy_restore(CPUState *cs, const TranslationBlock *tb,
                        const uint64_t *data)
{
    ((ToyCPU *)cs)->env.pc = data[0];
}

static bool toy_tlb_fill(CPUState *cs, uint64_t addr, int size,
                         MMUAccessType type, int mmu_idx, bool probe,
                         uintptr_t ra)
{
    ToyEnv *env = &((ToyCPU *)cs)->env;
    uint64_t vpn = addr >> TARGET_PAGE_BITS;
    uint64_t m = vpn < VPAGES ? toy_map[vpn] : TOY_UNMAPPED;
    if (m == TOY_UNMAPPED) {
        if (probe) {
            return false;
        }
        env->fault_addr = addr;
        env->fault_type = type;
        cs->exception_index = TOY_EXCP_PF;
        cpu_loop_exit_restore(cs, ra);
    }
    uint64_t paddr = m ? m : addr & TARGET_PAGE_MASK;
    toy_fill_count++;
    if (toy_pte_addr) {
        uint32_t old;
        memcpy(&old, ram + toy_pte_addr, 4);
        g_assert_true(cpu_physical_cmpxchg32(toy_pte_addr, old, old + 1));
    }
    tlb_set_page(cs, addr & TARGET_PAGE_MASK, paddr,
                 PAGE_READ | PAGE_WRITE | PAGE_EXEC, mmu_idx, TARGET_PAGE_SIZE);
    return true;
}

static int toy_mmu_index(CPUState *cs, bool ifetch)
{
    return 0;
}

static void toy_do_interrupt(CPUState *cs)
{
    ToyEnv *env = &((ToyCPU *)cs)->env;
    if (cs->exception_index == TOY_EXCP_PF) {
        env->fault_pc = env->pc;
        env->pc = env->pf_handler;
    }
}

static bool toy_exec_interrupt(CPUState *cs, int request)
{
    ToyEnv *env = &((ToyCPU *)cs)->env;
    if ((request & CPU_INTERRUPT_HARD) && env->irq_enabled) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_HARD);
        env->irq_count++;
        if (env->irq_handler) {
            env->irq_ret = env->pc;
            env->pc = env->irq_handler;
            return true;
        }
    }
    return false;
}

static bool toy_has_work(CPUState *cs)
{
    return cs->interrupt_request & CPU_INTERRUPT_HARD;
}

static void helper_toy_stop(void *env)
{
    CPUState *cs = env_cpu(env);
    cs->exception_index = TOY_EXCP_STOP;
    cpu_loop_exit(cs);
}

static const TCGHelperInfo info_toy_stop = {
    .func = helper_toy_stop,
    .name = "toy_stop",
    .flags = TCG_CALL_NO_WG,
    .ret = TCG_CALL_VOID,
    .nargs = 1,
    .args = {TCG_CALL_PTR},
};

static void helper_toy_hlt(void *env)
{
    CPUState *cs = env_cpu(env);
    cs->halted = 1;
    cs->exception_index = EXCP_HLT;
    cpu_loop_exit(cs);
}

static const TCGHelperInfo info_toy_hlt = {
    .func = helper_toy_hlt,
    .name = "toy_hlt",
    .flags = TCG_CALL_NO_WG,
    .ret = TCG_CALL_VOID,
    .nargs = 1,
    .args = {TCG_CALL_PTR},
};

static void gen_jump(TranslationBlock *tb, int n, uint64_t dest)
{
    if (translator_use_goto_tb(tb, dest)) {
        tcg_gen_goto_tb(n);
        tcg_gen_movi_i64(t_pc, dest);
        tcg_gen_exit_tb(tb, n);
    } else {
        tcg_gen_movi_i64(t_pc, dest);
        tcg_gen_lookup_and_goto_ptr();
    }
}

static void toy_translate(CPUState *cs, TranslationBlock *tb, int max_insns)
{
    uint64_t pc = tb->pc;
    int n = 0;
    for (;;) {
        tcg_gen_insn_start(pc, 0, 0);
        n++;
        uint8_t op = translator_ldub(cs, tb, pc);
        switch (op) {
        case 1:
            tcg_gen_addi_i64(t_r[0], t_r[0], translator_ldub(cs, tb, pc + 1));
            pc += 2;
            break;
        case 2:
            gen_jump(tb, 0, translator_ldl(cs, tb, pc + 1));
            pc += 5;
            goto done;
        case 3:
        case 9:
            tcg_gen_movi_i64(t_pc, pc + 1);
            tcg_gen_call1(op == 3 ? &info_toy_stop : &info_toy_hlt, NULL,
                          tcgv_ptr_temp(tcg_env));
            pc += 1;
            tcg_gen_exit_tb(NULL, 0); /* not reached */
            goto done;
        case 4:
        case 5:
        case 0x0b: {
            int r = translator_ldub(cs, tb, pc + 1) & 7;
            TCGv_i64 a = tcg_constant_i64(translator_ldl(cs, tb, pc + 2));
            if (op == 5) {
                tcg_gen_qemu_st_i64(t_r[r], a, 0, MO_LEUL);
            } else {
                tcg_gen_qemu_ld_i64(t_r[r], a, op == 4 ? 0 : 1, MO_LEUL);
            }
            pc += 6;
            break;
        }
        case 6:
        case 7: {
            int r = translator_ldub(cs, tb, pc + 1) & 7;
            if (op == 6) {
                tcg_gen_qemu_ld_i64(t_r[r], t_r[1], 0, MO_LEUQ);
            } else {
                tcg_gen_qemu_st_i64(t_r[r], t_r[1], 0, MO_LEUQ);
            }
            pc += 2;
            break;
        }
        case 8:
            tcg_gen_qemu_st_i64(
                tcg_constant_i64(translator_ldub(cs, tb, pc + 1)), t_r[1], 0,
                MO_UB);
            pc += 2;
            break;
        case 0x0a: {
            int r = translator_ldub(cs, tb, pc + 1) & 7;
            tcg_gen_atomic_fetch_add_i64(t_r[r], t_r[1], t_r[r], 0, MO_LEUQ);
            pc += 2;
            break;
        }
        default:
            g_error("toy: bad opcode 0x%x at 0x%" PRIx64, op, pc);
        }
        if (n >= max_insns || translator_should_stop(tb, pc)) {
            gen_jump(tb, 0, pc);
            break;
        }
    }
done:
    tb->size = pc - tb->pc;
    tb->icount = n;
}

static const TCGCPUOps toy_ops = {
    .env_offset = offsetof(ToyCPU, env),
    .insn_start_words = 1,
    .get_tb_cpu_state = toy_get_tb_cpu_state,
    .translate_code = toy_translate,
    .restore_state_to_opc = toy_restore,
    .tlb_fill = toy_tlb_fill,
    .mmu_index = toy_mmu_index,
    .cpu_exec_interrupt = toy_exec_interrupt,
    .do_interrupt = toy_do_interrupt,
    .cpu_has_work = toy_has_work,
};

/* ---- helpers ------------------------------------------------------------ */

static void put(uint32_t addr, const uint8_t *code, size_t n)
{
    memcpy(ram + addr, code, n);
}

static int run_at(ToyCPU *c, uint64_t pc)
{
    c->env.pc = pc;
    int r;
    do {
        r = cpu_exec(&c->parent);
    } while (r == EXCP_INTERRUPT);
    return r;
}

/* encoders */
#define A32(a)                                                                 \
    (uint8_t)(a), (uint8_t)((a) >> 8), (uint8_t)((a) >> 16),                   \
        (uint8_t)((a) >> 24)

static void map_reset(void)
{
    memset(toy_map, 0, sizeof(toy_map));
    tlb_flush(&cpu.parent);
}

/* ---- tests -------------------------------------------------------------- */

static void test_ram_ldst(void)
{
    /* r0 += 0x42; mem32[0x8000] = r0; r2 = mem32[0x8000]; stop */
    static const uint8_t code[] = {0x01, 0x42, 0x05,        0,   A32(0x8000),
                                   0x04, 2,    A32(0x8000), 0x03};
    put(0x1000, code, sizeof(code));
    cpu.env.r[0] = 0x100;
    cpu.env.r[2] = 0;
    g_assert_cmpint(run_at(&cpu, 0x1000), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[2], ==, 0x142);
    uint32_t v;
    memcpy(&v, ram + 0x8000, 4);
    g_assert_cmphex(v, ==, 0x142);
    g_assert_cmphex(cpu.env.pc, ==, 0x1000 + sizeof(code));
}

static void test_tlb_hit_miss(void)
{
    /* two loads from one page: one fill for the data page */
    static const uint8_t code[] = {0x04, 2,           A32(0x9000), 0x04,
                                   3,    A32(0x9008), 0x03};
    put(0x1100, code, sizeof(code));
    put(0x9000, (const uint8_t[]){1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0}, 12);
    map_reset();
    int fills = toy_fill_count;
    g_assert_cmpint(run_at(&cpu, 0x1100), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[2], ==, 1);
    g_assert_cmpuint(cpu.env.r[3], ==, 2);
    /* one for the code page, one for the data page */
    g_assert_cmpint(toy_fill_count - fills, ==, 2);
    /* again: all hits, in the generated code (no slow path call) */
    fills = toy_fill_count;
    uint64_t slow = tlb_stats.slow_calls;
    g_assert_cmpint(run_at(&cpu, 0x1100), ==, TOY_EXCP_STOP);
    g_assert_cmpint(toy_fill_count - fills, ==, 0);
    g_assert_cmpuint(tlb_stats.slow_calls, ==, slow);
    /* a flush makes the inline compare miss: slow path, one refill */
    tlb_flush(&cpu.parent);
    g_assert_cmpint(run_at(&cpu, 0x1100), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(tlb_stats.slow_calls, ==, slow + 1); /* 2nd load hits */
    g_assert_cmpint(toy_fill_count - fills, ==, 2);
    g_assert_cmpuint(cpu.env.r[3], ==, 2);
}

static void test_page_cross(void)
{
    /* vpage 0xa000 -> ppage 0x20000, vpage 0xb000 -> ppage 0x30000 */
    static const uint8_t code[] = {0x07, 2, 0x06, 3, 0x03};
    put(0x1200, code, sizeof(code));
    map_reset();
    toy_map[0xa] = 0x20000;
    toy_map[0xb] = 0x30000;
    cpu.env.r[1] = 0xaffc;
    cpu.env.r[2] = 0x1122334455667788ull;
    cpu.env.r[3] = 0;
    g_assert_cmpint(run_at(&cpu, 0x1200), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[3], ==, 0x1122334455667788ull);
    uint32_t lo, hi;
    memcpy(&lo, ram + 0x20ffc, 4);
    memcpy(&hi, ram + 0x30000, 4);
    g_assert_cmphex(lo, ==, 0x55667788);
    g_assert_cmphex(hi, ==, 0x11223344);
    map_reset();
}

static void test_page_cross_fault(void)
{
    /* a crossing store whose second page faults writes nothing */
    static const uint8_t code[] = {0x01, 0x01, 0x07, 2, 0x03};
    static const uint8_t handler[] = {0x03};
    put(0x1300, code, sizeof(code));
    put(0x1380, handler, 1);
    map_reset();
    toy_map[0xd] = TOY_UNMAPPED;
    memset(ram + 0xcff8, 0xee, 8);
    cpu.env.pf_handler = 0x1380;
    cpu.env.r[0] = 0;
    cpu.env.r[1] = 0xcffc;
    cpu.env.r[2] = 0;
    g_assert_cmpint(run_at(&cpu, 0x1300), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.fault_addr, ==, 0xd000);
    g_assert_cmpint(cpu.env.fault_type, ==, MMU_DATA_STORE);
    /* state restored to the store, the add before it done once */
    g_assert_cmphex(cpu.env.fault_pc, ==, 0x1302);
    g_assert_cmpuint(cpu.env.r[0], ==, 1);
    g_assert_cmphex(ram[0xcffc], ==, 0xee);
    map_reset();
}

static void test_mmio(void)
{
    /* r2 = mem32[MMIO+8]; mem32[MMIO+0x10] = r0; stop */
    static const uint8_t code[] = {
        0x04, 2, A32(MMIO_BASE + 8), 0x05, 0, A32(MMIO_BASE + 0x10), 0x03};
    put(0x1400, code, sizeof(code));
    unsigned r0 = mmio_reads, w0 = mmio_writes;
    cpu.env.r[0] = 0xabcd;
    g_assert_cmpint(run_at(&cpu, 0x1400), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[2], ==, 0x1008);
    g_assert_cmpuint(mmio_reads - r0, ==, 1);
    g_assert_cmpuint(mmio_writes - w0, ==, 1);
    g_assert_cmphex(mmio_last_write, ==, 0xabcd);
    g_assert_cmphex(mmio_last_addr, ==, 0x10);
    g_assert_cmpuint(mmio_last_size, ==, 4);
    /* every execution reaches the device (never cached as RAM) */
    g_assert_cmpint(run_at(&cpu, 0x1400), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(mmio_reads - r0, ==, 2);
    g_assert_cmpuint(mmio_writes - w0, ==, 2);
}

static void test_unassigned_rom(void)
{
    /* r2 = mem32[hole]; mem32[ROM] = r0; r3 = mem32[ROM]; stop */
    static const uint8_t code[] = {
        0x04, 2, A32(HOLE_BASE + 4), 0x05, 0, A32(ROM_BASE),
        0x04, 3, A32(ROM_BASE),      0x03};
    put(0x1500, code, sizeof(code));
    uint8_t *rom = memory_region_get_ram_ptr(&rom_mr);
    memcpy(rom, (const uint8_t[]){0x78, 0x56, 0x34, 0x12}, 4);
    cpu.env.r[0] = 0xdeadbeef;
    g_assert_cmpint(run_at(&cpu, 0x1500), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[2], ==, 0xffffffff);
    g_assert_cmphex(cpu.env.r[3], ==, 0x12345678); /* the write was ignored */
}

static void test_fault_restores_state(void)
{
    /* r0 += 1; r2 = mem32[0xe000] (unmapped); r0 += 2; stop */
    static const uint8_t code[] = {0x01,        0x01, 0x04, 2,
                                   A32(0xe010), 0x01, 0x02, 0x03};
    static const uint8_t handler[] = {0x03};
    put(0x1600, code, sizeof(code));
    put(0x1680, handler, 1);
    map_reset();
    toy_map[0xe] = TOY_UNMAPPED;
    cpu.env.pf_handler = 0x1680;
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x1600), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.fault_addr, ==, 0xe010);
    g_assert_cmpint(cpu.env.fault_type, ==, MMU_DATA_LOAD);
    g_assert_cmphex(cpu.env.fault_pc, ==, 0x1602);
    g_assert_cmpuint(cpu.env.r[0], ==, 1);
    g_assert_cmphex(cpu.env.pc, ==, 0x1681);
    /* map it: the same code runs through */
    map_reset();
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x1600), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 3);
}

static void test_fetch_fault(void)
{
    /* jump into an unmapped page: a fetch fault at the target */
    static const uint8_t code[] = {0x02, A32(0xf000)};
    static const uint8_t handler[] = {0x03};
    put(0x1700, code, sizeof(code));
    put(0x1780, handler, 1);
    map_reset();
    toy_map[0xf] = TOY_UNMAPPED;
    cpu.env.pf_handler = 0x1780;
    g_assert_cmpint(run_at(&cpu, 0x1700), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.fault_addr, ==, 0xf000);
    g_assert_cmpint(cpu.env.fault_type, ==, MMU_INST_FETCH);
    g_assert_cmphex(cpu.env.fault_pc, ==, 0xf000);
    /*
     * An insn straddling into an unmapped page ends the TB before it:
     * r0 += 1 runs, then the fetch of "01 ii" at 0x10fff faults on 0x11000.
     */
    ram[0x10ffd] = 0x01;
    ram[0x10ffe] = 0x01;
    ram[0x10fff] = 0x01;
    toy_map[0x11] = TOY_UNMAPPED;
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x10ffd), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 1);
    g_assert_cmphex(cpu.env.fault_addr, ==, 0x11000);
    g_assert_cmphex(cpu.env.fault_pc, ==, 0x10fff);
    map_reset();
}

static void test_flush_page(void)
{
    /* r2 = mem32[0x12000]; stop -- with vpage 0x12 remapped */
    static const uint8_t code[] = {0x04, 2, A32(0x12000), 0x03};
    put(0x1800, code, sizeof(code));
    map_reset();
    ram[0x40000] = 0x11;
    ram[0x41000] = 0x22;
    toy_map[0x12] = 0x40000;
    g_assert_cmpint(run_at(&cpu, 0x1800), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[2], ==, 0x11);
    /* the guest changes its page table: the TLB still has the old entry */
    toy_map[0x12] = 0x41000;
    g_assert_cmpint(run_at(&cpu, 0x1800), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[2], ==, 0x11);
    /* INVLPG */
    tlb_flush_page(&cpu.parent, 0x12345);
    g_assert_cmpint(run_at(&cpu, 0x1800), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[2], ==, 0x22);
    map_reset();
}

static void test_flush_large_page(void)
{
    /* a 2 MiB "large page" entry is flushed by any address inside it */
    static const uint8_t code[] = {0x04, 2, A32(0x400000), 0x03};
    put(0x1900, code, sizeof(code));
    map_reset();
    ram[0x50000] = 0x33;
    ram[0x51000] = 0x44;
    toy_map[0x400] = 0x50000;
    g_assert_cmpint(run_at(&cpu, 0x1900), ==, TOY_EXCP_STOP);
    /* replace the entry by one that says "part of a 2 MiB page" */
    tlb_set_page(&cpu.parent, 0x400000, 0x50000,
                 PAGE_READ | PAGE_WRITE | PAGE_EXEC, 0, 2 << 20);
    toy_map[0x400] = 0x51000;
    g_assert_cmpint(run_at(&cpu, 0x1900), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[2], ==, 0x33);
    tlb_flush_page(&cpu.parent, 0x5ff000); /* same 2 MiB region */
    g_assert_cmpint(run_at(&cpu, 0x1900), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[2], ==, 0x44);
    map_reset();
}

static void test_smc_same_tb(void)
{
    /*
     * 0x2000: mem8[r1] = 0x20     r1 = 0x2003: the imm of the next insn
     * 0x2002: r0 += 0x01          -> must run as r0 += 0x20
     * 0x2004: stop
     */
    static const uint8_t code[] = {0x08, 0x20, 0x01, 0x01, 0x03};
    put(0x2000, code, sizeof(code));
    cpu.env.r[0] = 0;
    cpu.env.r[1] = 0x2003;
    g_assert_cmpint(run_at(&cpu, 0x2000), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[0], ==, 0x20);
    /* and again: translated anew from the patched bytes */
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x2000), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[0], ==, 0x20);
}

static void test_smc_other_page(void)
{
    /* code at 0x3000 patched by a store from code at 0x2100 */
    static const uint8_t code[] = {0x01, 0x05, 0x03};
    static const uint8_t patcher[] = {0x08, 0x09, 0x03};
    put(0x3000, code, sizeof(code));
    put(0x2100, patcher, sizeof(patcher));
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x3000), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 5);
    cpu.env.r[1] = 0x3001;
    g_assert_cmpint(run_at(&cpu, 0x2100), ==, TOY_EXCP_STOP);
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x3000), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 9);
    /* the first store drops the page's code; the next ones go fast */
    uint64_t nd = tlb_stats.notdirty;
    static const uint8_t patcher2[] = {0x08, 0x0a, 0x03};
    put(0x2180, patcher2, sizeof(patcher2));
    g_assert_cmpint(run_at(&cpu, 0x2180), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(tlb_stats.notdirty - nd, ==, 1);
    g_assert_cmpint(run_at(&cpu, 0x2180), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(tlb_stats.notdirty - nd, ==, 1);
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x3000), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 10);
}

static void test_dma_invalidates(void)
{
    static const uint8_t code[] = {0x01, 0x05, 0x03};
    put(0x3100, code, sizeof(code));
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x3100), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 5);
    /* a device writes the code page (DMA) */
    uint8_t nv = 0x07;
    address_space_write(&address_space_memory, 0x3101, MEMTXATTRS_UNSPECIFIED,
                        &nv, 1);
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x3100), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 7);
    /* a written DMA mapping */
    hwaddr len = 4;
    uint8_t *p = address_space_map(&address_space_memory, 0x3100, &len, true,
                                   MEMTXATTRS_UNSPECIFIED);
    g_assert_nonnull(p);
    p[1] = 0x0b;
    address_space_unmap(&address_space_memory, p, len, true, 2);
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x3100), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 0x0b);
}

static void test_walk_updates_code_page(void)
{
    /*
     * "r0 += ii" at 0x6fff straddles into page 0x7000: its second page is
     * looked up during translation (under tb_lock) and the "page walk"
     * updates a word at 0x6800, on the page being translated.
     */
    static const uint8_t patcher[] = {0x08, 0x21, 0x03};
    map_reset();
    ram[0x6fff] = 0x01;
    ram[0x7000] = 0x11;
    ram[0x7001] = 0x03;
    toy_pte_addr = 0x6800;
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x6fff), ==, TOY_EXCP_STOP);
    toy_pte_addr = 0;
    g_assert_cmpuint(cpu.env.r[0], ==, 0x11);
    /* the page is still known to hold code: a store invalidates the TB */
    put(0x2300, patcher, sizeof(patcher));
    cpu.env.r[1] = 0x7000;
    g_assert_cmpint(run_at(&cpu, 0x2300), ==, TOY_EXCP_STOP);
    /* and page 0x6000, whose code bit the walk's write may have cleared */
    uint64_t nd = tlb_stats.notdirty;
    cpu.env.r[1] = 0x6010;
    put(0x2380, patcher, sizeof(patcher));
    g_assert_cmpint(run_at(&cpu, 0x2380), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(tlb_stats.notdirty, >, nd);
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x6fff), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 0x21);
    map_reset();
}

static void test_same_code_two_vaddrs(void)
{
    /* one physical page at two virtual pages: both run it right */
    static const uint8_t code[] = {0x01, 0x03, 0x03};
    put(0x60000, code, sizeof(code));
    map_reset();
    toy_map[0x70] = 0x60000;
    toy_map[0x71] = 0x60000;
    uint64_t translated = tb_stats.translated;
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x70000), ==, TOY_EXCP_STOP);
    g_assert_cmpint(run_at(&cpu, 0x71000), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 6);
    g_assert_cmphex(cpu.env.pc, ==, 0x71003);
    g_assert_cmpuint(tb_stats.translated - translated, ==, 2);
    /* a store through one alias invalidates what runs through the other */
    cpu.env.r[1] = 0x70001;
    static const uint8_t patcher[] = {0x08, 0x10, 0x03};
    put(0x2200, patcher, sizeof(patcher));
    g_assert_cmpint(run_at(&cpu, 0x2200), ==, TOY_EXCP_STOP);
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x71000), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 0x10);
    map_reset();
}

static void test_atomic(void)
{
    /* r2 = fetch_add(mem64[r1], r2) on RAM, then on the MMIO device */
    static const uint8_t code[] = {0x0a, 2, 0x03};
    put(0x3200, code, sizeof(code));
    uint64_t v = 40;
    memcpy(ram + 0x8100, &v, 8);
    cpu.env.r[1] = 0x8100;
    cpu.env.r[2] = 2;
    g_assert_cmpint(run_at(&cpu, 0x3200), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[2], ==, 40);
    memcpy(&v, ram + 0x8100, 8);
    g_assert_cmpuint(v, ==, 42);
    unsigned r0 = mmio_reads, w0 = mmio_writes;
    cpu.env.r[1] = MMIO_BASE + 0x20;
    cpu.env.r[2] = 1;
    g_assert_cmpint(run_at(&cpu, 0x3200), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[2], ==, 0x1020);
    g_assert_cmpuint(mmio_reads - r0, ==, 1);
    g_assert_cmpuint(mmio_writes - w0, ==, 1);
    g_assert_cmphex(mmio_last_write, ==, 0x1021);
}

static void test_code_in_mmio(void)
{
    /* jmp MMIO+0x800, where the device returns "r0 += 7; stop" */
    static const uint8_t code[] = {0x02, A32(MMIO_BASE + 0x800)};
    static const uint8_t dev[] = {0x01, 0x07, 0x03};
    put(0x3300, code, sizeof(code));
    memcpy(mmio_code, dev, sizeof(dev));
    cpu.env.r[0] = 0;
    unsigned r0 = mmio_reads;
    g_assert_cmpint(run_at(&cpu, 0x3300), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 7);
    g_assert_cmphex(cpu.env.pc, ==, MMIO_BASE + 0x803);
    g_assert_cmpuint(mmio_reads, >, r0);
    /* never cached: the device's new bytes run next time */
    mmio_code[1] = 0x09;
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(&cpu, 0x3300), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.r[0], ==, 9);
}

static void test_cpu_ldst_helpers(void)
{
    /* the C accessors go through the same TLB (MMU index given) */
    map_reset();
    toy_map[0x13] = 0x42000;
    cpu_stl_mmuidx_ra(&cpu.env, 0x13010, 0xcafef00d, 1, 0);
    g_assert_cmphex(cpu_ldl_mmuidx_ra(&cpu.env, 0x13010, 1, 0), ==, 0xcafef00d);
    uint32_t v;
    memcpy(&v, ram + 0x42010, 4);
    g_assert_cmphex(v, ==, 0xcafef00d);
    g_assert_cmphex(cpu_ldub_data_ra(&cpu.env, MMIO_BASE + 3, 0), ==, 0x03);
    void *h = probe_access(&cpu.env, 0x13010, 4, MMU_DATA_STORE, 0, 0);
    g_assert_true(h == ram + 0x42010);
    g_assert_null(probe_access(&cpu.env, MMIO_BASE, 4, MMU_DATA_LOAD, 0, 0));
    toy_map[0x14] = TOY_UNMAPPED;
    g_assert_false(
        probe_access_nofault(&cpu.env, 0x14000, 1, MMU_DATA_LOAD, 0));
    void *ph;
    g_assert_cmpint(probe_access_flags(&cpu.env, 0x14000, 1, MMU_DATA_LOAD, 0,
                                       true, &ph, 0),
                    ==, TLB_INVALID_MASK);
    g_assert_cmphex(get_page_addr_code(&cpu.env, 0x13123), ==, 0x42123);
    g_assert_true(cpu_physical_ram_ptr(0x42000, 8) == ram + 0x42000);
    g_assert_true(cpu_physical_cmpxchg32(0x42010, 0xcafef00d, 1));
    g_assert_false(cpu_physical_cmpxchg32(0x42010, 0xcafef00d, 2));
    g_assert_false(cpu_physical_cmpxchg64(MMIO_BASE, 0, 1));
    map_reset();
}

/* ---- interrupts and threads ------------------------------------------- */

static void *irq_later(void *opaque)
{
    CPUState *cs = opaque;
    g_usleep(20 * 1000);
    cpu_interrupt(cs, CPU_INTERRUPT_HARD);
    return NULL;
}

static void test_irq_self_loop(void)
{
    /* 0x4000: r0 += 1; jmp 0x4000  (chained to itself forever) */
    static const uint8_t loop[] = {0x01, 0x01, 0x02, A32(0x4000)};
    static const uint8_t handler[] = {0x03};
    put(0x4000, loop, sizeof(loop));
    put(0x4100, handler, 1);
    cpu.env.irq_enabled = true;
    cpu.env.irq_handler = 0x4100;
    cpu.env.irq_count = 0;
    cpu.env.r[0] = 0;
    pthread_t t;
    pthread_create(&t, NULL, irq_later, &cpu.parent);
    g_assert_cmpint(run_at(&cpu, 0x4000), ==, TOY_EXCP_STOP);
    pthread_join(t, NULL);
    g_assert_cmpuint(cpu.env.irq_count, ==, 1);
    g_assert_cmphex(cpu.env.irq_ret, ==, 0x4000); /* at a TB boundary */
    g_assert_cmpuint(cpu.env.r[0], >, 0);
    cpu.env.irq_enabled = false;
    cpu.env.irq_handler = 0;
}

static void test_irq_masked(void)
{
    /* a masked interrupt stays pending and does not stop the guest */
    static const uint8_t code[] = {0x01, 0x01, 0x03};
    put(0x4200, code, sizeof(code));
    cpu.env.irq_enabled = false;
    cpu.env.irq_count = 0;
    cpu_interrupt(&cpu.parent, CPU_INTERRUPT_HARD);
    g_assert_cmpint(run_at(&cpu, 0x4200), ==, TOY_EXCP_STOP);
    g_assert_cmpuint(cpu.env.irq_count, ==, 0);
    g_assert_true(cpu.parent.interrupt_request & CPU_INTERRUPT_HARD);
    cpu_reset_interrupt(&cpu.parent, CPU_INTERRUPT_HARD);
}

static int exec_enters;
static void count_enter(CPUState *cs)
{
    __atomic_add_fetch(&exec_enters, 1, __ATOMIC_SEQ_CST);
}

static TCGCPUOps toy_ops_thread;

static bool wait_for(volatile uint8_t *p, uint8_t v)
{
    for (int i = 0; i < 10000; i++) {
        if (*p == v) {
            return true;
        }
        g_usleep(1000);
    }
    return false;
}

static void where_am_i(CPUState *cs, void *data)
{
    *(pthread_t *)data = pthread_self();
}

static void test_halt_wakeup_thread(void)
{
    /*
     * cpu2 on its own thread: 0x5000: hlt; mem8[r1] = 1; hlt;
     * mem8[r1] = 2; loop forever (for pause/resume).
     */
    static const uint8_t code[] = {0x09, 0x08, 0x01, 0x09,
                                   0x08, 0x02, 0x02, A32(0x5006)};
    put(0x5000, code, sizeof(code));
    volatile uint8_t *marker = ram + 0x8200;
    *marker = 0;
    cpu2.env.r[1] = 0x8200;
    cpu2.env.pc = 0x5000;
    cpu2.env.irq_enabled = true; /* taken (no handler): clears HARD */
    g_assert_true(tcg_vcpu_start(&cpu2.parent, &error_abort));
    resume_all_vcpus();
    /* it halts and sleeps: no busy loop of cpu_exec calls */
    g_usleep(50 * 1000);
    int enters = __atomic_load_n(&exec_enters, __ATOMIC_SEQ_CST);
    g_usleep(50 * 1000);
    g_assert_cmpint(__atomic_load_n(&exec_enters, __ATOMIC_SEQ_CST), ==,
                    enters);
    g_assert_cmpuint(*marker, ==, 0);
    /* work runs on the vCPU's thread */
    pthread_t th = pthread_self();
    run_on_cpu(&cpu2.parent, where_am_i, &th);
    g_assert_true(pthread_equal(th, cpu2.parent.thread));
    /* an interrupt wakes it: it runs up to the next hlt */
    cpu_interrupt(&cpu2.parent, CPU_INTERRUPT_HARD);
    g_assert_true(wait_for(marker, 1));
    g_usleep(20 * 1000);
    g_assert_cmpuint(*marker, ==, 1); /* asleep on the second hlt */
    cpu_interrupt(&cpu2.parent, CPU_INTERRUPT_HARD);
    g_assert_true(wait_for(marker, 2));
    g_assert_cmpuint(cpu2.env.irq_count, ==, 2);
    /* a TB flush asked by another thread is done by the vCPU */
    uint64_t flushes = tb_stats.flushes;
    tb_flush(NULL);
    for (int i = 0; i < 10000 && tb_stats.flushes == flushes; i++) {
        g_usleep(1000);
    }
    g_assert_cmpuint(tb_stats.flushes, ==, flushes + 1);
    /* pause while it spins in a self-loop, then resume and quit */
    pause_all_vcpus();
    g_assert_true(all_vcpus_paused());
    uint64_t pc = cpu2.env.pc;
    g_assert_cmphex(pc, ==, 0x5006);
    resume_all_vcpus();
    tcg_vcpus_quit();
}

static bool wait_enters_change(int from)
{
    for (int i = 0; i < 5000; i++) {
        if (__atomic_load_n(&exec_enters, __ATOMIC_SEQ_CST) != from) {
            return true;
        }
        g_usleep(1000);
    }
    return false;
}

static void test_atomic_line_split(void)
{
    /*
     * A fetch_add64 whose operand crosses a host cache line runs in an
     * exclusive section, not as a host LOCK insn across the line (a split
     * lock, which Linux traps and throttles: seconds per access on the
     * test host, docs/devel/smp-layout.md).  cpu2, spinning in a
     * self-loop on its thread, is stopped (leaves cpu_exec and enters it
     * again) while the atomic runs.
     */
    static const uint8_t spin[] = {0x02, A32(0x5400)};
    static const uint8_t code[] = {0x0a, 2, 0x03};
    put(0x5400, spin, sizeof(spin));
    put(0x5500, code, sizeof(code));
    uint32_t off = 0x8400;
    while (((uintptr_t)(ram + off) & 63) != 60) {
        off++;
    }
    uint64_t v = 0x1ffffffffull; /* the add carries into the next line */
    memcpy(ram + off, &v, 8);
    int enters = __atomic_load_n(&exec_enters, __ATOMIC_SEQ_CST);
    cpu2.env.pc = 0x5400;
    cpu2.env.irq_enabled = false;
    g_assert_true(tcg_vcpu_start(&cpu2.parent, &error_abort));
    resume_all_vcpus();
    g_assert_true(wait_enters_change(enters));
    g_usleep(50 * 1000); /* spinning in its self-loop now */
    enters = __atomic_load_n(&exec_enters, __ATOMIC_SEQ_CST);
    cpu.env.r[1] = off;
    cpu.env.r[2] = 1;
    g_assert_cmpint(run_at(&cpu, 0x5500), ==, TOY_EXCP_STOP);
    g_assert_cmphex(cpu.env.r[2], ==, 0x1ffffffffull);
    memcpy(&v, ram + off, 8);
    g_assert_cmphex(v, ==, 0x200000000ull);
    g_assert_true(wait_enters_change(enters));
    tcg_vcpus_quit();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    memory_init();
    g_assert_true(
        memory_region_init_ram(&ram_mr, NULL, "ram", RAM_SIZE, &error_abort));
    memory_region_add_subregion(get_system_memory(), 0, &ram_mr);
    memory_region_init_io(&mmio_mr, NULL, &mmio_ops, NULL, "counter", 0x1000);
    memory_region_add_subregion(get_system_memory(), MMIO_BASE, &mmio_mr);
    g_assert_true(
        memory_region_init_rom(&rom_mr, NULL, "rom", 0x1000, &error_abort));
    memory_region_add_subregion(get_system_memory(), ROM_BASE, &rom_mr);
    ram = memory_region_get_ram_ptr(&ram_mr);

    tcg_exec_init(0);
    cputlb_system_init();
    static const char *const names[8] = {"r0", "r1", "r2", "r3",
                                         "r4", "r5", "r6", "r7"};
    for (int i = 0; i < 8; i++) {
        t_r[i] =
            tcg_global_mem_new_i64(tcg_env, offsetof(ToyEnv, r[i]), names[i]);
    }
    t_pc = tcg_global_mem_new_i64(tcg_env, offsetof(ToyEnv, pc), "pc");
    cpu_exec_init(&cpu.parent, &toy_ops);
    toy_ops_thread = toy_ops;
    toy_ops_thread.cpu_exec_enter = count_enter;
    cpu_exec_init(&cpu2.parent, &toy_ops_thread);

    g_test_add_func("/tcg/softmmu/ram-ldst", test_ram_ldst);
    g_test_add_func("/tcg/softmmu/tlb-hit-miss", test_tlb_hit_miss);
    g_test_add_func("/tcg/softmmu/page-cross", test_page_cross);
    g_test_add_func("/tcg/softmmu/page-cross-fault", test_page_cross_fault);
    g_test_add_func("/tcg/softmmu/mmio", test_mmio);
    g_test_add_func("/tcg/softmmu/unassigned-rom", test_unassigned_rom);
    g_test_add_func("/tcg/softmmu/fault-restores-state",
                    test_fault_restores_state);
    g_test_add_func("/tcg/softmmu/fetch-fault", test_fetch_fault);
    g_test_add_func("/tcg/softmmu/flush-page", test_flush_page);
    g_test_add_func("/tcg/softmmu/flush-large-page", test_flush_large_page);
    g_test_add_func("/tcg/softmmu/smc-same-tb", test_smc_same_tb);
    g_test_add_func("/tcg/softmmu/smc-other-page", test_smc_other_page);
    g_test_add_func("/tcg/softmmu/dma-invalidates", test_dma_invalidates);
    g_test_add_func("/tcg/softmmu/walk-updates-code-page",
                    test_walk_updates_code_page);
    g_test_add_func("/tcg/softmmu/same-code-two-vaddrs",
                    test_same_code_two_vaddrs);
    g_test_add_func("/tcg/softmmu/atomic", test_atomic);
    g_test_add_func("/tcg/softmmu/code-in-mmio", test_code_in_mmio);
    g_test_add_func("/tcg/softmmu/cpu-ldst-helpers", test_cpu_ldst_helpers);
    g_test_add_func("/tcg/softmmu/irq-self-loop", test_irq_self_loop);
    g_test_add_func("/tcg/softmmu/irq-masked", test_irq_masked);
    g_test_add_func("/tcg/softmmu/halt-wakeup-thread", test_halt_wakeup_thread);
    g_test_add_func("/tcg/softmmu/atomic-line-split", test_atomic_line_split);
    return g_test_run();
}
