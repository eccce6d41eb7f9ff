/*
 * Test scaffolding for the TCG unit tests (see tcg-test-common.h).
 */
#include <stdlib.h>
#include "tcg-test-common.h"
#include "util/log.h"
#ifdef TCG_TEST_SOFTMMU
#include "accel/tcg/cputlb.h"
#include "system/memory.h"

/*
 * System mode variant (test-tcg-*-softmmu): the same IR, with guest
 * memory reached through the softmmu TLB.  Guest RAM is a RAM region at
 * physical GUEST_RAM_BASE, mapped 1:1 by this tlb_fill.
 */
static bool fake_tlb_fill(CPUState *cs, uint64_t addr, int size,
                          MMUAccessType type, int mmu_idx, bool probe,
                          uintptr_t ra)
{
    tlb_set_page(cs, addr & TARGET_PAGE_MASK, addr & TARGET_PAGE_MASK,
                 PAGE_READ | PAGE_WRITE | PAGE_EXEC, mmu_idx, TARGET_PAGE_SIZE);
    return true;
}

static int fake_mmu_index(CPUState *cs, bool ifetch)
{
    return 0;
}

static const TCGCPUOps fake_ops = {
    .env_offset = offsetof(FakeCPU, env),
    .insn_start_words = 1,
    .tlb_fill = fake_tlb_fill,
    .mmu_index = fake_mmu_index,
};
#endif

FakeCPU fake_cpu;
TCGv_i64 g_r[8];
TCGv_i32 g_w[8];
TCGv_i64 g_pc;
uint8_t *guest_ram;

void test_tcg_init(void)
{
    /* TCG_TEST_LOG=op,op_opt,out_asm dumps what the tests generate */
    const char *log = getenv("TCG_TEST_LOG");
    unsigned mask;
    if (log && qemu_log_parse_items(log, &mask, NULL)) {
        qemu_log_set_mask(mask);
    }
#ifdef TCG_TEST_SOFTMMU
    static MemoryRegion ram;
    memory_init();
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", GUEST_RAM_SIZE,
                                         &error_abort));
    memory_region_add_subregion(get_system_memory(), GUEST_RAM_BASE, &ram);
    guest_ram = memory_region_get_ram_ptr(&ram);
    tcg_exec_init(32 * 1024 * 1024);
    cputlb_system_init();
    cpu_exec_init(&fake_cpu.parent, &fake_ops);
#else
    /* guest RAM at guest address GUEST_RAM_BASE through guest_base */
    guest_ram = g_malloc0(GUEST_RAM_SIZE);
    guest_base = (uintptr_t)guest_ram - GUEST_RAM_BASE;
    tcg_exec_init(32 * 1024 * 1024);
#endif
    static const char *rn[8] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};
    static const char *wn[8] = {"w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7"};
    for (int i = 0; i < 8; i++) {
        g_r[i] =
            tcg_global_mem_new_i64(tcg_env, offsetof(FakeEnv, r[i]), rn[i]);
        g_w[i] =
            tcg_global_mem_new_i32(tcg_env, offsetof(FakeEnv, w[i]), wn[i]);
    }
    g_pc = tcg_global_mem_new_i64(tcg_env, offsetof(FakeEnv, pc), "pc");
}

void ir_start(void)
{
    tcg_func_start();
}

void optimize_ir(void)
{
    tcg_optimize(tcg_ctx);
}

int count_ops(TCGOpcode opc)
{
    int n = 0;
    for (TCGOp *op = tcg_first_op(); op; op = op->next) {
        n += op->opc == opc;
    }
    return n;
}

void run_ir(void)
{
    static uint16_t end_off[TCG_MAX_INSNS + 8];
    static uint64_t data[(TCG_MAX_INSNS + 8) * 3];
    tcg_gen_exit_tb(NULL, 0);
    /* the top 1 MiB of the code buffer is ours; the TB cache is below */
    uint8_t *buf =
        (uint8_t *)tcg_code_buf_start() + tcg_code_buf_size() - (1 << 20);
    TCGGenInfo info = {.insn_end_off = end_off, .insn_data = data};
    int size = tcg_gen_code(tcg_ctx, buf, 1 << 20, &info);
    g_assert_cmpint(size, >, 0);
    if (qemu_loglevel_mask(CPU_LOG_TB_OUT_ASM)) {
        tcg_disas_host(qemu_log_stream(), buf, size);
        qemu_log_flush();
    }
    uintptr_t r = tcg_qemu_tb_exec(&fake_cpu.env, buf);
    g_assert_cmpuint(r, ==, 0);
}
