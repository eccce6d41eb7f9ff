/*
 * accel/tcg end to end with a toy guest ISA: cpu_exec, TB lookup, direct
 * chaining, indirect jumps through lookup_and_goto_ptr, exceptions from
 * helpers (cpu_loop_exit_restore), invalidation, self-modifying code
 * caught by write protection + SIGSEGV, and code buffer flushes.
 *
 * Toy ISA (byte code at guest addresses, little-endian operands):
 *   01 ii      r0 += ii
 *   02 aaaa    jmp aaaa            (direct, goto_tb)
 *   03         raise exception 0x42 (helper, state restored to this insn)
 *   04         jmp r1              (indirect)
 *   05 aaaa    if (--r3 != 0) jmp aaaa   (two chained exits)
 *   06 aaaa vv mem8[aaaa] = vv     (guest store)
 *   07 aaaa    r4 = mem64[aaaa]    (guest load)
 *   08 aaaa    mem64[aaaa] += 1    (atomic)
 */
#include <inttypes.h>
#include <signal.h>
#include <unistd.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "accel/tcg/cpu-exec.h"
#include "tcg/tcg-op.h"
#include "util/log.h"
#include <glib.h>

#define RAM_BASE 0x100000u
#define RAM_SIZE 0x20000u

typedef struct ToyEnv {
    uint64_t r[8];
    uint64_t pc;
} ToyEnv;

typedef struct ToyCPU {
    CPUState parent;
    ToyEnv env;
} ToyCPU;

static ToyCPU cpu;
static uint8_t *ram;
static TCGv_i64 t_r[8], t_pc;

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

static void helper_toy_raise(void *env)
{
    CPUState *cs = env_cpu(env);
    cs->exception_index = 0x42;
    cpu_loop_exit_restore(cs, GETPC());
}

static const TCGHelperInfo info_toy_raise = {
    .func = helper_toy_raise,
    .name = "toy_raise",
    .flags = TCG_CALL_NO_WG | TCG_CALL_NO_RETURN,
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
            gen_jump(tb, 0, translator_lduw(cs, tb, pc + 1) + RAM_BASE);
            pc += 3;
            goto done;
        case 3:
            tcg_gen_call1(&info_toy_raise, NULL, tcgv_ptr_temp(tcg_env));
            pc += 1;
            tcg_gen_exit_tb(NULL, 0); /* not reached */
            goto done;
        case 4:
            tcg_gen_mov_i64(t_pc, t_r[1]);
            tcg_gen_lookup_and_goto_ptr();
            pc += 1;
            goto done;
        case 5: {
            TCGLabel *l = gen_new_label();
            uint64_t dest = translator_lduw(cs, tb, pc + 1) + RAM_BASE;
            pc += 3;
            tcg_gen_subi_i64(t_r[3], t_r[3], 1);
            tcg_gen_brcondi_i64(TCG_COND_EQ, t_r[3], 0, l);
            gen_jump(tb, 0, dest);
            gen_set_label(l);
            gen_jump(tb, 1, pc);
            goto done;
        }
        case 6: {
            TCGv_i64 a =
                tcg_constant_i64(translator_lduw(cs, tb, pc + 1) + RAM_BASE);
            tcg_gen_qemu_st_i64(
                tcg_constant_i64(translator_ldub(cs, tb, pc + 3)), a, 0, MO_UB);
            pc += 4;
            break;
        }
        case 7: {
            TCGv_i64 a =
                tcg_constant_i64(translator_lduw(cs, tb, pc + 1) + RAM_BASE);
            tcg_gen_qemu_ld_i64(t_r[4], a, 0, MO_LEUQ);
            pc += 3;
            break;
        }
        case 8: {
            TCGv_i64 a =
                tcg_constant_i64(translator_lduw(cs, tb, pc + 1) + RAM_BASE);
            TCGv_i64 old = tcg_temp_new_i64();
            tcg_gen_atomic_fetch_add_i64(old, a, tcg_constant_i64(1), 0,
                                         MO_LEUQ);
            pc += 3;
            break;
        }
        default:
            g_assert_not_reached();
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

static void toy_dump_state(CPUState *cs, FILE *f);

static const TCGCPUOps toy_ops = {
    .env_offset = offsetof(ToyCPU, env),
    .insn_start_words = 1,
    .get_tb_cpu_state = toy_get_tb_cpu_state,
    .translate_code = toy_translate,
    .restore_state_to_opc = toy_restore,
    .dump_state = toy_dump_state,
    .tb_key_is_pc = true,
    .pc_offset = offsetof(ToyEnv, pc),
};

/* Host SIGSEGV: write to a page holding translated code. */
static void segv_handler(int sig, siginfo_t *si, void *puc)
{
    ucontext_t *uc = puc;
    uintptr_t pc = uc->uc_mcontext.gregs[REG_RIP];
    if (page_unprotect(h2g(si->si_addr), pc, &uc->uc_sigmask) == 1) {
        return;
    }
    abort();
}

static uint8_t *put(uint32_t off, const uint8_t *code, size_t n)
{
    memcpy(ram + off, code, n);
    return ram + off;
}

static int run_at(uint32_t off)
{
    cpu.env.pc = RAM_BASE + off;
    return cpu_exec(&cpu.parent);
}

static void test_loop_chain(void)
{
    /* 0: r0 += 5; loop to 0 while --r3; then raise */
    static const uint8_t code[] = {0x01, 0x05, 0x05, 0x00, 0x00, 0x03};
    put(0, code, sizeof(code));
    cpu.env.r[0] = 0;
    cpu.env.r[3] = 1000;
    uint64_t chained = tb_stats.chained;
    int r = run_at(0);
    g_assert_cmpint(r, ==, 0x42);
    g_assert_cmpuint(cpu.env.r[0], ==, 5000);
    g_assert_cmphex(cpu.env.pc, ==, RAM_BASE + 5); /* restored to the 03 */
    g_assert_cmpuint(tb_stats.chained, >, chained);
}

static void test_indirect(void)
{
    /* 0x100: jmp r1 -> 0x200: r0 += 7; raise */
    static const uint8_t a[] = {0x04};
    static const uint8_t b[] = {0x01, 0x07, 0x03};
    put(0x100, a, 1);
    put(0x200, b, sizeof(b));
    cpu.env.r[1] = RAM_BASE + 0x200;
    /* once translated, the jump goes through the inline jump-cache probe */
    uint64_t helper_calls = 0;
    for (int i = 0; i < 4; i++) {
        if (i == 2) {
            helper_calls = tb_stats.lookups_helper;
        }
        cpu.env.r[0] = 1;
        g_assert_cmpint(run_at(0x100), ==, 0x42);
        g_assert_cmpuint(cpu.env.r[0], ==, 8);
        g_assert_cmphex(cpu.env.pc, ==, RAM_BASE + 0x202);
    }
    g_assert_cmpuint(tb_stats.lookups_helper, ==, helper_calls);
}

static void test_invalidate(void)
{
    static const uint8_t code[] = {0x01, 0x01, 0x03};
    put(0x300, code, sizeof(code));
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(0x300), ==, 0x42);
    g_assert_cmpuint(cpu.env.r[0], ==, 1);
    /* change the immediate, tell TCG, run again */
    ram[0x301] = 0x10;
    tb_invalidate_phys_range(RAM_BASE + 0x300, RAM_BASE + 0x303);
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(0x300), ==, 0x42);
    g_assert_cmpuint(cpu.env.r[0], ==, 0x10);
    /* a huge range (like munmap of a reservation) takes another path */
    ram[0x301] = 0x20;
    tb_invalidate_phys_range(0, 1ull << 46);
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(0x300), ==, 0x42);
    g_assert_cmpuint(cpu.env.r[0], ==, 0x20);
}

/* Guest stores into its own code: caught by write protection. */
static void test_smc(void)
{
    /*
     * 0x1000: mem[0x1005] = 0x20   (patches the imm of the next insn)
     * 0x1004: r0 += 0x01 -> 0x20
     * 0x1006: raise
     */
    static const uint8_t code[] = {0x06, 0x05, 0x10, 0x20, 0x01, 0x01, 0x03};
    put(0x1000, code, sizeof(code));
    for (int i = 0; i < 2; i++) {
        ram[0x1005] = 0x01;
        cpu.env.r[0] = 0;
        uint64_t inval = tb_stats.invalidated;
        g_assert_cmpint(run_at(0x1000), ==, 0x42);
        g_assert_cmpuint(cpu.env.r[0], ==, 0x20);
        g_assert_cmpuint(tb_stats.invalidated, >, inval);
        /* the page is writable again until retranslated */
        g_assert_true(page_get_flags(RAM_BASE + 0x1000) & PAGE_WRITE);
    }
}

/* Loads see stores; guest memory through guest_base. */
static void test_guest_memory(void)
{
    static const uint8_t code[] = {0x06, 0x00, 0x30, 0x5a,
                                   0x07, 0x00, 0x30, 0x03};
    put(0x2000, code, sizeof(code));
    memset(ram + 0x3000, 0, 8);
    g_assert_cmpint(run_at(0x2000), ==, 0x42);
    g_assert_cmphex(cpu.env.r[4], ==, 0x5a);
}

/* Thousands of distinct TBs in a small code buffer force flushes. */
enum { N_CHAIN = 6000 };

/* 0x4000..: chain of "r0 += 1; jmp next" blocks, then raise */
static void put_chain(void)
{
    uint32_t off = 0x4000;
    for (int i = 0; i < N_CHAIN; i++) {
        uint32_t next = off + 5;
        uint8_t blk[5] = {0x01, 0x01, 0x02, next & 0xff, next >> 8};
        put(off, blk, 5);
        off = next;
    }
    ram[off] = 0x03;
}

static void test_flush(void)
{
    enum { N = N_CHAIN };
    put_chain();
    uint64_t flushes = tb_stats.flushes;
    for (int pass = 0; pass < 2; pass++) {
        cpu.env.r[0] = 0;
        g_assert_cmpint(run_at(0x4000), ==, 0x42);
        g_assert_cmpuint(cpu.env.r[0], ==, N);
    }
    g_assert_cmpuint(tb_stats.flushes, >, flushes);
    /* explicit flush, then everything still works */
    tb_flush(&cpu.parent);
    cpu.env.r[0] = 0;
    cpu.env.r[3] = 10;
    g_assert_cmpint(run_at(0), ==, 0x42);
    g_assert_cmpuint(cpu.env.r[0], ==, 50);
}

/* cpu_exit from another thread stops a guest infinite loop. */
static gpointer kicker(gpointer p)
{
    g_usleep(50000);
    cpu_exit(&cpu.parent);
    return NULL;
}

static void test_exit_request(void)
{
    static const uint8_t code[] = {0x01, 0x01, 0x02, 0x00, 0x05};
    put(0x500, code, sizeof(code)); /* r0 += 1; jmp 0x500 forever */
    GThread *t = g_thread_new("kick", kicker, NULL);
    g_assert_cmpint(run_at(0x500), ==, EXCP_INTERRUPT);
    g_thread_join(t);
    g_assert_cmpuint(cpu.env.r[0], >, 0);
}

/* -d nochain: no direct chaining, no jump-cache shortcut */
static void test_nochain(void)
{
    static const uint8_t code[] = {0x01, 0x02, 0x05, 0x00, 0x08, 0x04};
    put(0x800, code, sizeof(code)); /* r0 += 2; loop; jmp r1 */
    static const uint8_t tail[] = {0x03};
    put(0x900, tail, 1);
    unsigned mask;
    g_assert_true(qemu_log_parse_items("nochain", &mask, NULL));
    qemu_log_set_mask(mask);
    tb_flush(&cpu.parent);
    uint64_t chained = tb_stats.chained;
    uint64_t helper = tb_stats.lookups_helper;
    cpu.env.r[0] = 0;
    cpu.env.r[1] = RAM_BASE + 0x900;
    cpu.env.r[3] = 50;
    g_assert_cmpint(run_at(0x800), ==, 0x42);
    qemu_log_set_mask(0);
    g_assert_cmpuint(cpu.env.r[0], ==, 100);
    g_assert_cmpuint(tb_stats.chained, ==, chained);
    g_assert_cmpuint(tb_stats.lookups_helper, >, helper);
}

/* -d in_asm,op,op_opt,out_asm,exec,cpu write their sections to -D file */
static void toy_dump_state(CPUState *cs, FILE *f)
{
    fprintf(f, "R0=%016" PRIx64 " PC=%016" PRIx64 "\n",
            ((ToyCPU *)cs)->env.r[0], ((ToyCPU *)cs)->env.pc);
}

static void test_logging(void)
{
    static const uint8_t code[] = {0x01, 0x03, 0x03};
    char *path =
        g_strdup_printf("%s/tcg-log-%d.txt", g_get_tmp_dir(), (int)getpid());
    unsigned mask;
    g_assert_true(
        qemu_log_parse_items("in_asm,op,op_opt,out_asm,exec,cpu", &mask, NULL));
    g_assert_true(qemu_log_set_file(path, NULL));
    qemu_log_set_mask(mask);
    put(0x600, code, sizeof(code));
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(0x600), ==, 0x42);
    qemu_log_set_mask(0);
    qemu_log_flush();
    char *log = NULL;
    g_assert_true(g_file_get_contents(path, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "IN: "));
    g_assert_nonnull(strstr(log, "OP:\n"));
    g_assert_nonnull(strstr(log, "OP after optimization"));
    g_assert_nonnull(strstr(log, " add_i64 r0,r0,$0x3"));
    g_assert_nonnull(strstr(log, "call toy_raise"));
    g_assert_nonnull(strstr(log, "OUT: [size="));
    g_assert_nonnull(strstr(log, "Trace 0: "));
    g_assert_nonnull(strstr(log, "PC=0000000000100600"));
    g_free(log);
    unlink(path);
    g_free(path);
}

/*
 * Several vCPU threads share the TB cache, flush it under each other's
 * feet (each runs test_flush's chain first) and hammer one counter.
 */
enum { NTHREADS = 4, ITERS = 20000 };

static gpointer vcpu_thread(gpointer p)
{
    ToyCPU *c = p;
    cpu_exec_init(&c->parent, &toy_ops);
    /* the 6000-TB chain of test_flush: concurrent buffer flushes */
    c->env.pc = RAM_BASE + 0x4000;
    int r;
    /* EXCP_INTERRUPT: another thread's flush kicked us; just go on */
    while ((r = cpu_exec(&c->parent)) == EXCP_INTERRUPT) {
    }
    g_assert_cmpint(r, ==, 0x42);
    g_assert_cmpuint(c->env.r[0], ==, N_CHAIN);
    c->env.r[0] = 0;
    c->env.pc = RAM_BASE + 0x700;
    c->env.r[3] = ITERS;
    while ((r = cpu_exec(&c->parent)) == EXCP_INTERRUPT) {
    }
    g_assert_cmpint(r, ==, 0x42);
    cpu_exec_fini(&c->parent);
    return NULL;
}

static void test_threads(void)
{
    /* 0x700: atomic inc [0x3100]; r0 += 1; loop while --r3; raise */
    static const uint8_t code[] = {0x08, 0x00, 0x31, 0x01, 0x01,
                                   0x05, 0x00, 0x07, 0x03};
    put(0x700, code, sizeof(code));
    put_chain();
    memset(ram + 0x3100, 0, 8);
    uint64_t flushes = tb_stats.flushes;
    ToyCPU *cpus = g_new0(ToyCPU, NTHREADS);
    GThread *t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        t[i] = g_thread_new("vcpu", vcpu_thread, &cpus[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        g_thread_join(t[i]);
        g_assert_cmpuint(cpus[i].env.r[0], ==, ITERS);
    }
    uint64_t total;
    memcpy(&total, ram + 0x3100, 8);
    g_assert_cmpuint(total, ==, (uint64_t)NTHREADS * ITERS);
    g_assert_cmpuint(tb_stats.flushes, >, flushes);
    g_free(cpus);
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    tb_stats_print(f);
    fclose(f);
    g_assert_nonnull(strstr(line, "tb: translated "));
    free(line);
}

/* A page re-mapped with other code (MAP_FIXED): its TBs are dropped. */
static void test_remap(void)
{
    static const uint8_t code[] = {0x01, 0x05, 0x03};
    put(0xa000, code, sizeof(code));
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(0xa000), ==, 0x42);
    g_assert_cmpuint(cpu.env.r[0], ==, 5);
    /* what linux-user does for mmap(MAP_FIXED) over the same range */
    uint64_t page = (RAM_BASE + 0xa000) & TARGET_PAGE_MASK;
    int f = page_get_flags(page);
    mprotect(g2h(page), TARGET_PAGE_SIZE, PROT_READ | PROT_WRITE);
    ram[0xa001] = 0x07;
    page_set_flags(page, page + TARGET_PAGE_SIZE - 1, f);
    cpu.env.r[0] = 0;
    g_assert_cmpint(run_at(0xa000), ==, 0x42);
    g_assert_cmpuint(cpu.env.r[0], ==, 7);
}

/* The user-mode page table behind linux-user's mmap/mprotect. */
static void test_page_flags(void)
{
    uint64_t base = 0x7f0000000000ull;
    g_assert_cmpint(page_get_flags(base), ==, 0);
    page_set_flags(base, base + 3 * TARGET_PAGE_SIZE - 1,
                   PAGE_VALID | PAGE_READ);
    g_assert_cmpint(page_get_flags(base + TARGET_PAGE_SIZE + 5), ==,
                    PAGE_VALID | PAGE_READ);
    g_assert_true(page_check_range(base, 3 * TARGET_PAGE_SIZE, PAGE_READ));
    g_assert_false(page_check_range(base, 3 * TARGET_PAGE_SIZE, PAGE_WRITE));
    g_assert_false(page_check_range(base, 3 * TARGET_PAGE_SIZE + 1, PAGE_READ));
    /* a hole in the middle */
    page_set_flags(base + TARGET_PAGE_SIZE, base + 2 * TARGET_PAGE_SIZE - 1, 0);
    g_assert_cmpint(page_get_flags(base + TARGET_PAGE_SIZE), ==, 0);
    g_assert_cmphex(
        page_find_range_empty(base, base + (1 << 20), TARGET_PAGE_SIZE, 0), ==,
        base + TARGET_PAGE_SIZE);
    g_assert_cmphex(
        page_find_range_empty(base, base + (1 << 20), 2 * TARGET_PAGE_SIZE, 0),
        ==, base + 3 * TARGET_PAGE_SIZE);
    page_set_flags(base, base + 3 * TARGET_PAGE_SIZE - 1, 0);
    /* write-protection for code stays invisible to the guest's view */
    g_assert_true(page_get_flags(RAM_BASE) & PAGE_WRITE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert(ram != MAP_FAILED);
    guest_base = (uintptr_t)ram - RAM_BASE;
    tcg_exec_init(256 * 1024);
    /* Global names must live as long as the TCG context. */
    static char names[8][4];
    for (int i = 0; i < 8; i++) {
        snprintf(names[i], sizeof(names[i]), "r%d", i);
        t_r[i] = tcg_global_mem_new_i64(tcg_env, offsetof(ToyEnv, r[i]),
                                        names[i]);
    }
    t_pc = tcg_global_mem_new_i64(tcg_env, offsetof(ToyEnv, pc), "pc");
    cpu_exec_init(&cpu.parent, &toy_ops);
    page_set_flags(RAM_BASE, RAM_BASE + RAM_SIZE - 1,
                   PAGE_VALID | PAGE_READ | PAGE_WRITE | PAGE_EXEC);
    struct sigaction sa = {.sa_sigaction = segv_handler,
                           .sa_flags = SA_SIGINFO};
    sigfillset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);

    g_test_add_func("/tcg/exec/loop-chain", test_loop_chain);
    g_test_add_func("/tcg/exec/indirect", test_indirect);
    g_test_add_func("/tcg/exec/invalidate", test_invalidate);
    g_test_add_func("/tcg/exec/smc", test_smc);
    g_test_add_func("/tcg/exec/guest-memory", test_guest_memory);
    g_test_add_func("/tcg/exec/flush", test_flush);
    g_test_add_func("/tcg/exec/exit-request", test_exit_request);
    g_test_add_func("/tcg/exec/logging", test_logging);
    g_test_add_func("/tcg/exec/nochain", test_nochain);
    g_test_add_func("/tcg/exec/threads", test_threads);
    g_test_add_func("/tcg/exec/page-flags", test_page_flags);
    g_test_add_func("/tcg/exec/remap", test_remap);
    return g_test_run();
}
