/*
 * The optimizer: build IR by hand, run tcg_optimize (and liveness where
 * dead code matters), and check the op list it leaves; then run the code
 * to check the folded program still computes the right answer.
 */
#include "tcg-test-common.h"

#define E (&fake_cpu.env)

/* The single op writing temp t (asserts there is exactly one). */
static TCGOp *def_of(TCGTemp *t)
{
    TCGOp *found = NULL;
    for (TCGOp *op = tcg_first_op(); op; op = op->next) {
        if (op->opc == INDEX_op_insn_start || op->opc == INDEX_op_set_label ||
            op->opc == INDEX_op_br || op->opc == INDEX_op_brcond ||
            op->opc == INDEX_op_exit_tb) {
            continue;
        }
        int no = tcg_op_nb_oargs(op);
        for (int i = 0; i < no; i++) {
            if (arg_temp(op->args[i]) == t) {
                g_assert_null(found);
                found = op;
            }
        }
    }
    g_assert_nonnull(found);
    return found;
}

/* t is set by "mov t, $val". */
static void assert_movi(TCGTemp *t, int64_t val)
{
    TCGOp *op = def_of(t);
    g_assert_cmpint(op->opc, ==, INDEX_op_mov);
    TCGTemp *src = arg_temp(op->args[1]);
    g_assert_true(temp_is_const(src));
    g_assert_cmphex(src->val, ==, tcg_canon(t->base_type, val));
}

/* t is set by "mov t, src". */
static void assert_mov(TCGTemp *t, TCGTemp *src)
{
    TCGOp *op = def_of(t);
    g_assert_cmpint(op->opc, ==, INDEX_op_mov);
    g_assert_true(arg_temp(op->args[1]) == src);
}

#define T64(x) tcgv_i64_temp(x)
#define T32(x) tcgv_i32_temp(x)

static void test_const_fold(void)
{
    ir_start();
    tcg_gen_add_i64(g_r[0], tcg_constant_i64(2), tcg_constant_i64(3));
    tcg_gen_mul_i64(g_r[1], tcg_constant_i64(-4), tcg_constant_i64(5));
    tcg_gen_shl_i64(g_r[2], tcg_constant_i64(1), tcg_constant_i64(40));
    tcg_gen_sub_i32(g_w[0], tcg_constant_i32(0), tcg_constant_i32(1));
    tcg_gen_ctpop_i64(g_r[3], tcg_constant_i64(0xff00ff));
    tcg_gen_bswap32_i32(g_w[1], tcg_constant_i32(0x11223344));
    tcg_gen_extract_i64(g_r[4], tcg_constant_i64(0xabcdef), 8, 8);
    tcg_gen_deposit_i64(g_r[5], tcg_constant_i64(0xffff), tcg_constant_i64(0),
                        4, 8);
    tcg_gen_extrh_i64_i32(g_w[2], tcg_constant_i64(0x123456789ll));
    optimize_ir();
    assert_movi(T64(g_r[0]), 5);
    assert_movi(T64(g_r[1]), -20);
    assert_movi(T64(g_r[2]), 1ll << 40);
    assert_movi(T32(g_w[0]), -1);
    assert_movi(T64(g_r[3]), 16);
    assert_movi(T32(g_w[1]), 0x44332211);
    assert_movi(T64(g_r[4]), 0xcd);
    assert_movi(T64(g_r[5]), 0xf00f);
    assert_movi(T32(g_w[2]), 1);
    g_assert_cmpint(count_ops(INDEX_op_add), ==, 0);
    g_assert_cmpint(count_ops(INDEX_op_mul), ==, 0);
}

/* The constants flow: r1 = (2 + 3) * r0 keeps the mul but with $5. */
static void test_const_propagation(void)
{
    ir_start();
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_movi_i64(t, 2);
    tcg_gen_addi_i64(t, t, 3);
    tcg_gen_mul_i64(g_r[1], t, g_r[0]);
    optimize_ir();
    TCGOp *op = def_of(T64(g_r[1]));
    g_assert_cmpint(op->opc, ==, INDEX_op_mul);
    g_assert_true(arg_temp(op->args[1]) == T64(g_r[0]));
    g_assert_true(temp_is_const(arg_temp(op->args[2])));
    g_assert_cmpint(arg_temp(op->args[2])->val, ==, 5);
    E->r[0] = 7;
    run_ir();
    g_assert_cmpuint(E->r[1], ==, 35);
}

static void test_identities(void)
{
    ir_start();
    tcg_gen_add_i64(g_r[1], g_r[0], tcg_constant_i64(0));
    tcg_gen_or_i64(g_r[2], g_r[0], tcg_constant_i64(0));
    tcg_gen_and_i64(g_r[3], g_r[0], g_r[0]);
    tcg_gen_xor_i64(g_r[4], g_r[0], g_r[0]);
    tcg_gen_sub_i64(g_r[5], g_r[0], g_r[0]);
    tcg_gen_mul_i64(g_r[6], g_r[0], tcg_constant_i64(0));
    tcg_gen_and_i64(g_r[7], g_r[0], tcg_constant_i64(0));
    tcg_gen_mul_i32(g_w[0], g_w[1], tcg_constant_i32(1));
    tcg_gen_shl_i32(g_w[2], g_w[1], tcg_constant_i32(0));
    tcg_gen_movcond_i64(TCG_COND_LT, g_r[0], g_r[1], g_r[2], g_r[3], g_r[3]);
    optimize_ir();
    assert_mov(T64(g_r[1]), T64(g_r[0]));
    assert_mov(T64(g_r[2]), T64(g_r[0]));
    assert_mov(T64(g_r[3]), T64(g_r[0]));
    assert_movi(T64(g_r[4]), 0);
    assert_movi(T64(g_r[5]), 0);
    assert_movi(T64(g_r[6]), 0);
    assert_movi(T64(g_r[7]), 0);
    assert_mov(T32(g_w[0]), T32(g_w[1]));
    assert_mov(T32(g_w[2]), T32(g_w[1]));
    /* movcond r0 = r3 either way, and r3 is a copy of r0: no op at all */
    g_assert_cmpint(count_ops(INDEX_op_movcond), ==, 0);
}

/* Builders fold trivial immediates before the optimizer sees them. */
static void test_builder_folding(void)
{
    ir_start();
    tcg_gen_addi_i64(g_r[0], g_r[0], 0);
    tcg_gen_muli_i64(g_r[1], g_r[1], 1);
    tcg_gen_shli_i64(g_r[2], g_r[2], 0);
    tcg_gen_andi_i64(g_r[3], g_r[3], -1);
    tcg_gen_ori_i64(g_r[4], g_r[4], 0);
    g_assert_cmpint(tcg_nb_ops(), ==, 0);
    tcg_gen_muli_i64(g_r[5], g_r[0], 8);    /* -> shl 3 */
    tcg_gen_andi_i64(g_r[6], g_r[0], 0xff); /* -> ext8u */
    tcg_gen_xori_i32(g_w[0], g_w[1], -1);   /* -> not */
    tcg_gen_subi_i64(g_r[7], g_r[0], 5);    /* -> add -5 */
    g_assert_cmpint(count_ops(INDEX_op_shl), ==, 1);
    g_assert_cmpint(count_ops(INDEX_op_ext8u), ==, 1);
    g_assert_cmpint(count_ops(INDEX_op_not), ==, 1);
    g_assert_cmpint(count_ops(INDEX_op_add), ==, 1);
    g_assert_cmpint(count_ops(INDEX_op_mul), ==, 0);
}

static void test_copy_propagation(void)
{
    ir_start();
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64();
    tcg_gen_mov_i64(t, g_r[0]);
    tcg_gen_mov_i64(u, t);
    tcg_gen_add_i64(g_r[1], u, t);
    optimize_ir();
    TCGOp *op = def_of(T64(g_r[1]));
    g_assert_cmpint(op->opc, ==, INDEX_op_add);
    /* both inputs rewritten to the global */
    g_assert_true(arg_temp(op->args[1]) == T64(g_r[0]));
    g_assert_true(arg_temp(op->args[2]) == T64(g_r[0]));
}

/* A copy is forgotten when its source is redefined. */
static void test_copy_invalidation(void)
{
    ir_start();
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_mov_i64(t, g_r[0]);
    tcg_gen_movi_i64(g_r[0], 9);
    tcg_gen_add_i64(g_r[1], t, t);
    optimize_ir();
    TCGOp *op = def_of(T64(g_r[1]));
    g_assert_true(arg_temp(op->args[1]) == T64(t));
    E->r[0] = 4;
    run_ir();
    g_assert_cmpuint(E->r[1], ==, 8);
    g_assert_cmpuint(E->r[0], ==, 9);
}

static void test_known_bits(void)
{
    ir_start();
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_ext8u_i64(t, g_r[0]);
    tcg_gen_andi_i64(g_r[1], t, 0x1ff); /* keeps all of t's bits: mov */
    tcg_gen_ext16u_i64(g_r[2], t);      /* already 16-bit: mov */
    tcg_gen_shri_i64(g_r[3], t, 8);     /* nothing left: 0 */
    tcg_gen_andi_i64(g_r[4], t, 0x300); /* no common bit: 0 */
    TCGv_i64 b = tcg_temp_new_i64();
    tcg_gen_setcond_i64(TCG_COND_EQ, b, g_r[0], g_r[5]);
    tcg_gen_andi_i64(g_r[6], b, 1); /* setcond is 0/1: mov */
    optimize_ir();
    assert_mov(T64(g_r[1]), T64(t));
    /* t's best copy is now the global r1 */
    assert_mov(T64(g_r[2]), T64(g_r[1]));
    assert_movi(T64(g_r[3]), 0);
    assert_movi(T64(g_r[4]), 0);
    assert_mov(T64(g_r[6]), T64(b));
    E->r[0] = 0x1234;
    E->r[5] = 0x1234;
    run_ir();
    g_assert_cmphex(E->r[1], ==, 0x34);
    g_assert_cmphex(E->r[2], ==, 0x34);
    g_assert_cmphex(E->r[3], ==, 0);
    g_assert_cmphex(E->r[6], ==, 1);
}

static void test_branch_folding(void)
{
    ir_start();
    TCGLabel *l1 = gen_new_label(), *l2 = gen_new_label();
    tcg_gen_brcondi_i64(TCG_COND_EQ, tcg_constant_i64(1), 2, l1); /* never */
    tcg_gen_brcond_i64(TCG_COND_LTU, g_r[0], g_r[0], l1);         /* never */
    tcg_gen_brcond_i64(TCG_COND_EQ, g_r[0], g_r[0], l2); /* always -> br */
    gen_set_label(l1);
    tcg_gen_movi_i64(g_r[1], 1);
    gen_set_label(l2);
    tcg_gen_setcond_i64(TCG_COND_GEU, g_r[2], g_r[0], tcg_constant_i64(0));
    optimize_ir();
    g_assert_cmpint(count_ops(INDEX_op_brcond), ==, 0);
    g_assert_cmpint(count_ops(INDEX_op_br), ==, 1);
    /* l1 is no longer referenced and is gone */
    g_assert_cmpint(count_ops(INDEX_op_set_label), ==, 1);
    assert_movi(T64(g_r[2]), 1);
    E->r[1] = 0;
    run_ir();
    g_assert_cmpuint(E->r[1], ==, 0);
    g_assert_cmpuint(E->r[2], ==, 1);
}

/* Facts do not survive a label (another path may reach it). */
static void test_label_resets_facts(void)
{
    ir_start();
    TCGLabel *l = gen_new_label();
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_movi_i64(t, 5);
    tcg_gen_brcondi_i64(TCG_COND_EQ, g_r[0], 0, l);
    tcg_gen_movi_i64(t, 6);
    gen_set_label(l);
    tcg_gen_add_i64(g_r[1], t, t);
    optimize_ir();
    TCGOp *op = def_of(T64(g_r[1]));
    g_assert_cmpint(op->opc, ==, INDEX_op_add);
    g_assert_true(arg_temp(op->args[1]) == T64(t));
    E->r[0] = 0;
    run_ir();
    g_assert_cmpuint(E->r[1], ==, 10);
    E->r[0] = 1;
    ir_start();
    l = gen_new_label();
    t = tcg_temp_new_i64();
    tcg_gen_movi_i64(t, 5);
    tcg_gen_brcondi_i64(TCG_COND_EQ, g_r[0], 0, l);
    tcg_gen_movi_i64(t, 6);
    gen_set_label(l);
    tcg_gen_add_i64(g_r[1], t, t);
    run_ir();
    g_assert_cmpuint(E->r[1], ==, 12);
}

/* A helper call that may write globals invalidates what we knew. */
static uint64_t helper_set_r0(void *env)
{
    ((FakeEnv *)env)->r[0] = 77;
    return 0;
}

static const TCGHelperInfo info_set_r0 = {
    .func = helper_set_r0,
    .name = "set_r0",
    .flags = 0,
    .ret = TCG_CALL_I64,
    .nargs = 1,
    .args = {TCG_CALL_PTR},
};

static void test_call_clobbers_globals(void)
{
    ir_start();
    TCGv_i64 d = tcg_temp_new_i64();
    tcg_gen_movi_i64(g_r[0], 3);
    tcg_gen_call1(&info_set_r0, T64(d), tcgv_ptr_temp(tcg_env));
    tcg_gen_addi_i64(g_r[1], g_r[0], 1);
    optimize_ir();
    TCGOp *op = def_of(T64(g_r[1]));
    g_assert_cmpint(op->opc, ==, INDEX_op_add);
    run_ir();
    g_assert_cmpuint(E->r[1], ==, 78);
}

/* Liveness removes pure ops whose results are unused. */
static void test_dead_code(void)
{
    ir_start();
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64();
    tcg_gen_mul_i64(t, g_r[0], g_r[1]); /* unused */
    tcg_gen_add_i64(u, g_r[0], g_r[1]);
    tcg_gen_mov_i64(g_r[2], u);
    tcg_gen_qemu_ld_i64(t, g_r[3], 0, MO_LEUQ); /* may fault: kept */
    tcg_optimize(tcg_ctx);
    tcg_liveness_analysis(tcg_ctx);
    g_assert_cmpint(count_ops(INDEX_op_mul), ==, 0);
    g_assert_cmpint(count_ops(INDEX_op_add), ==, 1);
    g_assert_cmpint(count_ops(INDEX_op_qemu_ld), ==, 1);
}

static void test_sub_to_add_and_neg(void)
{
    ir_start();
    tcg_gen_sub_i64(g_r[1], g_r[0], tcg_constant_i64(5));
    tcg_gen_sub_i64(g_r[2], tcg_constant_i64(0), g_r[0]);
    optimize_ir();
    g_assert_cmpint(def_of(T64(g_r[1]))->opc, ==, INDEX_op_add);
    g_assert_cmpint(def_of(T64(g_r[2]))->opc, ==, INDEX_op_neg);
    E->r[0] = 12;
    run_ir();
    g_assert_cmpuint(E->r[1], ==, 7);
    g_assert_cmphex(E->r[2], ==, (uint64_t)-12);
}

static void test_wide_folds(void)
{
    ir_start();
    tcg_gen_mulu2_i64(g_r[0], g_r[1], tcg_constant_i64(-1),
                      tcg_constant_i64(-1));
    tcg_gen_divu_i64(g_r[2], tcg_constant_i64(100), tcg_constant_i64(7));
    tcg_gen_rem_i32(g_w[0], tcg_constant_i32(-100), tcg_constant_i32(7));
    tcg_gen_add2_i32(g_w[1], g_w[2], tcg_constant_i32(-1), tcg_constant_i32(0),
                     tcg_constant_i32(1), tcg_constant_i32(0));
    optimize_ir();
    assert_movi(T64(g_r[0]), 1);
    assert_movi(T64(g_r[1]), -2);
    assert_movi(T64(g_r[2]), 14);
    assert_movi(T32(g_w[0]), -2);
    assert_movi(T32(g_w[1]), 0);
    assert_movi(T32(g_w[2]), 1);
}

/* The same pure op on the same inputs is computed once per EBB. */
static void test_cse(void)
{
    ir_start();
    TCGv_i64 a = tcg_temp_new_i64(), b = tcg_temp_new_i64();
    tcg_gen_ext32u_i64(a, g_r[0]);
    tcg_gen_ext32u_i64(b, g_r[0]); /* same: becomes a copy of a */
    tcg_gen_add_i64(g_r[1], a, b);
    tcg_gen_movi_i64(g_r[0], 5); /* r0 redefined: no longer the same */
    tcg_gen_ext32u_i64(g_r[2], g_r[0]);
    optimize_ir();
    g_assert_cmpint(count_ops(INDEX_op_ext32u), ==, 1);
    E->r[0] = 0x1234567800000003ull;
    ir_start();
    a = tcg_temp_new_i64();
    b = tcg_temp_new_i64();
    tcg_gen_ext32u_i64(a, g_r[0]);
    tcg_gen_ext32u_i64(b, g_r[0]);
    tcg_gen_add_i64(g_r[1], a, b);
    tcg_gen_movi_i64(g_r[0], 5);
    TCGv_i64 c = tcg_temp_new_i64();
    tcg_gen_ext32u_i64(c, g_r[0]);
    tcg_gen_addi_i64(g_r[2], c, 1);
    run_ir();
    g_assert_cmphex(E->r[1], ==, 6);
    g_assert_cmphex(E->r[2], ==, 6);
}

/* ext32u(rotr(deposit(x, x, 32, 32), n)) becomes a 32-bit rotate */
static void test_rot32_pattern(void)
{
    for (int pass = 0; pass < 2; pass++) {
        ir_start();
        TCGv_i64 d = tcg_temp_new_i64(), e = tcg_temp_new_i64();
        tcg_gen_deposit_i64(d, g_r[0], g_r[0], 32, 32);
        tcg_gen_rotri_i64(e, d, 6);
        tcg_gen_ext32u_i64(g_r[1], e);
        tcg_gen_deposit_i64(d, g_r[0], g_r[0], 32, 32);
        tcg_gen_rotli_i64(e, d, 7);
        tcg_gen_ext32u_i64(g_r[2], e);
        if (pass == 0) {
            tcg_optimize(tcg_ctx);
            tcg_liveness_analysis(tcg_ctx);
            g_assert_cmpint(count_ops(INDEX_op_deposit), ==, 0);
            g_assert_cmpint(count_ops(INDEX_op_rotr), ==, 1);
            g_assert_cmpint(count_ops(INDEX_op_rotl), ==, 1);
        } else {
            E->r[0] = 0xdeadbeef87654321ull;
            run_ir();
            uint32_t x = 0x87654321u;
            g_assert_cmphex(E->r[1], ==, (x >> 6) | (x << 26));
            g_assert_cmphex(E->r[2], ==, (x << 7) | (x >> 25));
        }
    }
}

/* add $c feeding a guest load/store becomes its displacement */
static void test_guest_addr_fold(void)
{
    ir_start();
    TCGv_i64 a = tcg_temp_new_i64();
    tcg_gen_addi_i64(a, g_r[0], 0x10);
    tcg_gen_qemu_ld_i64(g_r[1], a, 0, MO_LEUQ);
    tcg_gen_addi_i64(a, g_r[0], 0x18);
    tcg_gen_qemu_st_i64(g_r[1], a, 0, MO_LEUQ);
    tcg_optimize(tcg_ctx);
    tcg_liveness_analysis(tcg_ctx);
    g_assert_cmpint(count_ops(INDEX_op_add), ==, 0);
    for (TCGOp *op = tcg_first_op(); op; op = op->next) {
        if (op->opc == INDEX_op_qemu_ld) {
            g_assert_true(arg_temp(op->args[1]) == T64(g_r[0]));
            g_assert_cmpint(op->args[3], ==, 0x10);
        }
        if (op->opc == INDEX_op_qemu_st) {
            g_assert_cmpint(op->args[3], ==, 0x18);
        }
    }
    uint64_t v = 0x1122334455667788ull;
    memcpy(guest_ram + 0x410, &v, 8);
    E->r[0] = GUEST_RAM_BASE + 0x400;
    ir_start();
    a = tcg_temp_new_i64();
    tcg_gen_addi_i64(a, g_r[0], 0x10);
    tcg_gen_qemu_ld_i64(g_r[1], a, 0, MO_LEUQ);
    tcg_gen_addi_i64(a, g_r[0], 0x18);
    tcg_gen_qemu_st_i64(g_r[1], a, 0, MO_BEUQ);
    run_ir();
    g_assert_cmphex(E->r[1], ==, v);
    uint64_t w;
    memcpy(&w, guest_ram + 0x418, 8);
    g_assert_cmphex(w, ==, __builtin_bswap64(v));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_tcg_init();
    g_test_add_func("/tcg/optimize/const-fold", test_const_fold);
    g_test_add_func("/tcg/optimize/const-propagation", test_const_propagation);
    g_test_add_func("/tcg/optimize/identities", test_identities);
    g_test_add_func("/tcg/optimize/builder-folding", test_builder_folding);
    g_test_add_func("/tcg/optimize/copy-propagation", test_copy_propagation);
    g_test_add_func("/tcg/optimize/copy-invalidation", test_copy_invalidation);
    g_test_add_func("/tcg/optimize/known-bits", test_known_bits);
    g_test_add_func("/tcg/optimize/branch-folding", test_branch_folding);
    g_test_add_func("/tcg/optimize/label-resets-facts",
                    test_label_resets_facts);
    g_test_add_func("/tcg/optimize/call-clobbers-globals",
                    test_call_clobbers_globals);
    g_test_add_func("/tcg/optimize/dead-code", test_dead_code);
    g_test_add_func("/tcg/optimize/sub-to-add-neg", test_sub_to_add_and_neg);
    g_test_add_func("/tcg/optimize/wide-folds", test_wide_folds);
    g_test_add_func("/tcg/optimize/guest-addr-fold", test_guest_addr_fold);
    g_test_add_func("/tcg/optimize/cse", test_cse);
    g_test_add_func("/tcg/optimize/rot32-pattern", test_rot32_pattern);
    return g_test_run();
}
