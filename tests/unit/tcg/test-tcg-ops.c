/*
 * TCG ops end to end: IR built by hand over a fake CPU state, run through
 * the optimizer, liveness, register allocator and x86-64 backend, then
 * executed; results are compared with the same computation in C.
 */
#include "tcg-test-common.h"

#define E (&fake_cpu.env)

static const uint64_t vals[] = {
    0,
    1,
    2,
    3,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x12345678,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000ull,
    0x123456789abcdef0ull,
    0x7fffffffffffffffull,
    0x8000000000000000ull,
    0xfffffffffffffffeull,
    0xffffffffffffffffull,
};
#define NV G_N_ELEMENTS(vals)

/* Binary i64 and i32 ops on registers r0, r1 -> r2 and w0, w1 -> w2. */
typedef void (*Gen64)(TCGv_i64, TCGv_i64, TCGv_i64);
typedef void (*Gen32)(TCGv_i32, TCGv_i32, TCGv_i32);

static void check_binop(Gen64 g64, Gen32 g32,
                        uint64_t (*ref64)(uint64_t, uint64_t),
                        uint32_t (*ref32)(uint32_t, uint32_t))
{
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned j = 0; j < NV; j++) {
            ir_start();
            g64(g_r[2], g_r[0], g_r[1]);
            g32(g_w[2], g_w[0], g_w[1]);
            E->r[0] = vals[i];
            E->r[1] = vals[j];
            E->w[0] = vals[i];
            E->w[1] = vals[j];
            run_ir();
            g_assert_cmphex(E->r[2], ==, ref64(vals[i], vals[j]));
            g_assert_cmphex(E->w[2], ==, ref32(vals[i], vals[j]));
        }
    }
}

#define REF(name, expr)                                                        \
    static uint64_t ref64_##name(uint64_t a, uint64_t b)                       \
    {                                                                          \
        return expr;                                                           \
    }                                                                          \
    static uint32_t ref32_##name(uint32_t a, uint32_t b)                       \
    {                                                                          \
        return expr;                                                           \
    }
REF(add, a + b)
REF(sub, a - b)
REF(mul, a *b)
REF(and, a &b)
REF(or, a | b)
REF(xor, a ^ b)
REF(andc, a & ~b)
REF(orc, a | ~b)
REF(eqv, ~(a ^ b))
REF(nand, ~(a &b))
REF(nor, ~(a | b))

static void test_arith(void)
{
    check_binop(tcg_gen_add_i64, tcg_gen_add_i32, ref64_add, ref32_add);
    check_binop(tcg_gen_sub_i64, tcg_gen_sub_i32, ref64_sub, ref32_sub);
    check_binop(tcg_gen_mul_i64, tcg_gen_mul_i32, ref64_mul, ref32_mul);
}

static void test_logic(void)
{
    check_binop(tcg_gen_and_i64, tcg_gen_and_i32, ref64_and, ref32_and);
    check_binop(tcg_gen_or_i64, tcg_gen_or_i32, ref64_or, ref32_or);
    check_binop(tcg_gen_xor_i64, tcg_gen_xor_i32, ref64_xor, ref32_xor);
    check_binop(tcg_gen_andc_i64, tcg_gen_andc_i32, ref64_andc, ref32_andc);
    check_binop(tcg_gen_orc_i64, tcg_gen_orc_i32, ref64_orc, ref32_orc);
    check_binop(tcg_gen_eqv_i64, tcg_gen_eqv_i32, ref64_eqv, ref32_eqv);
    check_binop(tcg_gen_nand_i64, tcg_gen_nand_i32, ref64_nand, ref32_nand);
    check_binop(tcg_gen_nor_i64, tcg_gen_nor_i32, ref64_nor, ref32_nor);
}

/* Same temp as both operands, and output aliasing an input. */
static void test_aliasing(void)
{
    E->r[0] = 5;
    E->r[1] = 7;
    ir_start();
    tcg_gen_sub_i64(g_r[0], g_r[1], g_r[0]); /* r0 = 7 - 5 */
    tcg_gen_add_i64(g_r[1], g_r[1], g_r[1]); /* r1 = 14 */
    tcg_gen_mul_i64(g_r[2], g_r[1], g_r[1]); /* r2 = 196 */
    run_ir();
    g_assert_cmpuint(E->r[0], ==, 2);
    g_assert_cmpuint(E->r[1], ==, 14);
    g_assert_cmpuint(E->r[2], ==, 196);
}

static void test_neg_not(void)
{
    for (unsigned i = 0; i < NV; i++) {
        ir_start();
        tcg_gen_neg_i64(g_r[1], g_r[0]);
        tcg_gen_not_i64(g_r[2], g_r[0]);
        tcg_gen_neg_i32(g_w[1], g_w[0]);
        tcg_gen_not_i32(g_w[2], g_w[0]);
        tcg_gen_abs_i64(g_r[3], g_r[0]);
        E->r[0] = vals[i];
        E->w[0] = vals[i];
        run_ir();
        g_assert_cmphex(E->r[1], ==, -vals[i]);
        g_assert_cmphex(E->r[2], ==, ~vals[i]);
        g_assert_cmphex(E->w[1], ==, (uint32_t)-vals[i]);
        g_assert_cmphex(E->w[2], ==, (uint32_t)~vals[i]);
        int64_t s = vals[i];
        g_assert_cmphex(E->r[3], ==, s < 0 ? -(uint64_t)s : (uint64_t)s);
    }
}

static void test_shifts(void)
{
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned c = 0; c < 64; c += 7) {
            uint64_t a = vals[i];
            uint32_t a32 = a;
            unsigned c32 = c & 31;
            ir_start();
            tcg_gen_shl_i64(g_r[2], g_r[0], g_r[1]);
            tcg_gen_shr_i64(g_r[3], g_r[0], g_r[1]);
            tcg_gen_sar_i64(g_r[4], g_r[0], g_r[1]);
            tcg_gen_rotl_i64(g_r[5], g_r[0], g_r[1]);
            tcg_gen_rotr_i64(g_r[6], g_r[0], g_r[1]);
            tcg_gen_shli_i64(g_r[7], g_r[0], c);
            tcg_gen_shl_i32(g_w[2], g_w[0], g_w[1]);
            tcg_gen_shr_i32(g_w[3], g_w[0], g_w[1]);
            tcg_gen_sar_i32(g_w[4], g_w[0], g_w[1]);
            tcg_gen_rotl_i32(g_w[5], g_w[0], g_w[1]);
            tcg_gen_rotri_i32(g_w[6], g_w[0], c32);
            tcg_gen_sari_i32(g_w[7], g_w[0], c32);
            E->r[0] = a;
            E->r[1] = c;
            E->w[0] = a32;
            E->w[1] = c32;
            run_ir();
            g_assert_cmphex(E->r[2], ==, a << c);
            g_assert_cmphex(E->r[3], ==, a >> c);
            g_assert_cmphex(E->r[4], ==, (uint64_t)((int64_t)a >> c));
            g_assert_cmphex(E->r[5], ==, c ? (a << c) | (a >> (64 - c)) : a);
            g_assert_cmphex(E->r[6], ==, c ? (a >> c) | (a << (64 - c)) : a);
            g_assert_cmphex(E->r[7], ==, a << c);
            g_assert_cmphex(E->w[2], ==, a32 << c32);
            g_assert_cmphex(E->w[3], ==, a32 >> c32);
            g_assert_cmphex(E->w[4], ==, (uint32_t)((int32_t)a32 >> c32));
            g_assert_cmphex(E->w[5], ==,
                            c32 ? (a32 << c32) | (a32 >> (32 - c32)) : a32);
            g_assert_cmphex(E->w[6], ==,
                            c32 ? (a32 >> c32) | (a32 << (32 - c32)) : a32);
            g_assert_cmphex(E->w[7], ==, (uint32_t)((int32_t)a32 >> c32));
        }
    }
}

static const TCGCond conds[] = {
    TCG_COND_EQ,  TCG_COND_NE,  TCG_COND_LT,    TCG_COND_GE,
    TCG_COND_LE,  TCG_COND_GT,  TCG_COND_LTU,   TCG_COND_GEU,
    TCG_COND_LEU, TCG_COND_GTU, TCG_COND_TSTEQ, TCG_COND_TSTNE,
};

static void test_setcond_movcond(void)
{
    for (unsigned k = 0; k < G_N_ELEMENTS(conds); k++) {
        TCGCond c = conds[k];
        for (unsigned i = 0; i < NV; i += 2) {
            for (unsigned j = 0; j < NV; j += 3) {
                uint64_t a = vals[i], b = vals[j];
                ir_start();
                tcg_gen_setcond_i64(c, g_r[2], g_r[0], g_r[1]);
                tcg_gen_negsetcond_i64(c, g_r[3], g_r[0], g_r[1]);
                tcg_gen_movcond_i64(c, g_r[4], g_r[0], g_r[1], g_r[5], g_r[6]);
                tcg_gen_setcond_i32(c, g_w[2], g_w[0], g_w[1]);
                tcg_gen_setcondi_i64(c, g_r[7], g_r[0], 0x80);
                E->r[0] = a;
                E->r[1] = b;
                E->r[5] = 0x5555;
                E->r[6] = 0x6666;
                E->w[0] = a;
                E->w[1] = b;
                run_ir();
                bool r64 = tcg_cond_eval(TCG_TYPE_I64, c, a, b);
                bool r32 = tcg_cond_eval(TCG_TYPE_I32, c, a, b);
                g_assert_cmpuint(E->r[2], ==, r64);
                g_assert_cmphex(E->r[3], ==, r64 ? ~0ull : 0);
                g_assert_cmphex(E->r[4], ==, r64 ? 0x5555 : 0x6666);
                g_assert_cmpuint(E->w[2], ==, r32);
                g_assert_cmpuint(E->r[7], ==,
                                 tcg_cond_eval(TCG_TYPE_I64, c, a, 0x80));
            }
        }
    }
}

static void test_brcond(void)
{
    for (unsigned k = 0; k < G_N_ELEMENTS(conds); k++) {
        TCGCond c = conds[k];
        for (unsigned i = 0; i < NV; i += 3) {
            for (unsigned j = 0; j < NV; j += 2) {
                uint64_t a = vals[i], b = vals[j];
                ir_start();
                TCGLabel *taken = gen_new_label(), *done = gen_new_label();
                /* a temp live across the branch */
                TCGv_i64 t = tcg_temp_new_i64();
                tcg_gen_addi_i64(t, g_r[0], 1);
                tcg_gen_brcond_i64(c, g_r[0], g_r[1], taken);
                tcg_gen_movi_i64(g_r[2], 100);
                tcg_gen_br(done);
                gen_set_label(taken);
                tcg_gen_movi_i64(g_r[2], 200);
                gen_set_label(done);
                tcg_gen_mov_i64(g_r[3], t);
                E->r[0] = a;
                E->r[1] = b;
                run_ir();
                g_assert_cmpuint(E->r[2], ==,
                                 tcg_cond_eval(TCG_TYPE_I64, c, a, b) ? 200
                                                                      : 100);
                g_assert_cmphex(E->r[3], ==, a + 1);
            }
        }
    }
}

/* A loop: sum 1..n with a brcond back edge. */
static void test_loop(void)
{
    ir_start();
    TCGLabel *top = gen_new_label();
    TCGv_i64 i = tcg_temp_new_i64(), sum = tcg_temp_new_i64();
    tcg_gen_movi_i64(i, 0);
    tcg_gen_movi_i64(sum, 0);
    gen_set_label(top);
    tcg_gen_addi_i64(i, i, 1);
    tcg_gen_add_i64(sum, sum, i);
    tcg_gen_brcond_i64(TCG_COND_LTU, i, g_r[0], top);
    tcg_gen_mov_i64(g_r[1], sum);
    E->r[0] = 1000;
    run_ir();
    g_assert_cmpuint(E->r[1], ==, 500500);
}

static void test_mul2_div(void)
{
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned j = 0; j < NV; j++) {
            uint64_t a = vals[i], b = vals[j];
            ir_start();
            tcg_gen_mulu2_i64(g_r[2], g_r[3], g_r[0], g_r[1]);
            tcg_gen_muls2_i64(g_r[4], g_r[5], g_r[0], g_r[1]);
            tcg_gen_mulu2_i32(g_w[2], g_w[3], g_w[0], g_w[1]);
            tcg_gen_muls2_i32(g_w[4], g_w[5], g_w[0], g_w[1]);
            E->r[0] = a;
            E->r[1] = b;
            E->w[0] = a;
            E->w[1] = b;
            run_ir();
            unsigned __int128 u = (unsigned __int128)a * b;
            __int128 s = (__int128)(int64_t)a * (int64_t)b;
            g_assert_cmphex(E->r[2], ==, (uint64_t)u);
            g_assert_cmphex(E->r[3], ==, (uint64_t)(u >> 64));
            g_assert_cmphex(E->r[4], ==, (uint64_t)s);
            g_assert_cmphex(E->r[5], ==, (uint64_t)(s >> 64));
            uint64_t u32 = (uint64_t)(uint32_t)a * (uint32_t)b;
            int64_t s32 = (int64_t)(int32_t)a * (int32_t)b;
            g_assert_cmphex(E->w[2], ==, (uint32_t)u32);
            g_assert_cmphex(E->w[3], ==, (uint32_t)(u32 >> 32));
            g_assert_cmphex(E->w[4], ==, (uint32_t)s32);
            g_assert_cmphex(E->w[5], ==, (uint32_t)((uint64_t)s32 >> 32));

            if (b == 0 || ((int64_t)a == INT64_MIN && (int64_t)b == -1) ||
                ((int32_t)a == INT32_MIN && (int32_t)b == -1) ||
                (uint32_t)b == 0) {
                continue;
            }
            ir_start();
            tcg_gen_div_i64(g_r[2], g_r[0], g_r[1]);
            tcg_gen_rem_i64(g_r[3], g_r[0], g_r[1]);
            tcg_gen_divu_i64(g_r[4], g_r[0], g_r[1]);
            tcg_gen_remu_i64(g_r[5], g_r[0], g_r[1]);
            tcg_gen_div_i32(g_w[2], g_w[0], g_w[1]);
            tcg_gen_rem_i32(g_w[3], g_w[0], g_w[1]);
            tcg_gen_divu_i32(g_w[4], g_w[0], g_w[1]);
            tcg_gen_remu_i32(g_w[5], g_w[0], g_w[1]);
            run_ir();
            g_assert_cmphex(E->r[2], ==, (uint64_t)((int64_t)a / (int64_t)b));
            g_assert_cmphex(E->r[3], ==, (uint64_t)((int64_t)a % (int64_t)b));
            g_assert_cmphex(E->r[4], ==, a / b);
            g_assert_cmphex(E->r[5], ==, a % b);
            g_assert_cmphex(E->w[2], ==, (uint32_t)((int32_t)a / (int32_t)b));
            g_assert_cmphex(E->w[3], ==, (uint32_t)((int32_t)a % (int32_t)b));
            g_assert_cmphex(E->w[4], ==, (uint32_t)a / (uint32_t)b);
            g_assert_cmphex(E->w[5], ==, (uint32_t)a % (uint32_t)b);
        }
    }
}

static void test_add2_sub2(void)
{
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned j = 0; j < NV; j++) {
            uint64_t a = vals[i], b = vals[j];
            ir_start();
            /* (r1:r0) + (r1:r0 swapped) */
            tcg_gen_add2_i64(g_r[2], g_r[3], g_r[0], g_r[1], g_r[1], g_r[0]);
            tcg_gen_sub2_i64(g_r[4], g_r[5], g_r[0], g_r[1], g_r[1], g_r[0]);
            E->r[0] = a;
            E->r[1] = b;
            run_ir();
            unsigned __int128 x = ((unsigned __int128)b << 64) | a;
            unsigned __int128 y = ((unsigned __int128)a << 64) | b;
            g_assert_cmphex(E->r[2], ==, (uint64_t)(x + y));
            g_assert_cmphex(E->r[3], ==, (uint64_t)((x + y) >> 64));
            g_assert_cmphex(E->r[4], ==, (uint64_t)(x - y));
            g_assert_cmphex(E->r[5], ==, (uint64_t)((x - y) >> 64));
        }
    }
}

static void test_ext(void)
{
    for (unsigned i = 0; i < NV; i++) {
        uint64_t a = vals[i];
        ir_start();
        tcg_gen_ext8s_i64(g_r[1], g_r[0]);
        tcg_gen_ext8u_i64(g_r[2], g_r[0]);
        tcg_gen_ext16s_i64(g_r[3], g_r[0]);
        tcg_gen_ext16u_i64(g_r[4], g_r[0]);
        tcg_gen_ext32s_i64(g_r[5], g_r[0]);
        tcg_gen_ext32u_i64(g_r[6], g_r[0]);
        tcg_gen_extrh_i64_i32(g_w[1], g_r[0]);
        tcg_gen_extrl_i64_i32(g_w[2], g_r[0]);
        tcg_gen_ext8s_i32(g_w[3], g_w[0]);
        tcg_gen_ext16u_i32(g_w[4], g_w[0]);
        E->r[0] = a;
        E->w[0] = a;
        run_ir();
        g_assert_cmphex(E->r[1], ==, (uint64_t)(int8_t)a);
        g_assert_cmphex(E->r[2], ==, (uint8_t)a);
        g_assert_cmphex(E->r[3], ==, (uint64_t)(int16_t)a);
        g_assert_cmphex(E->r[4], ==, (uint16_t)a);
        g_assert_cmphex(E->r[5], ==, (uint64_t)(int32_t)a);
        g_assert_cmphex(E->r[6], ==, (uint32_t)a);
        g_assert_cmphex(E->w[1], ==, (uint32_t)(a >> 32));
        g_assert_cmphex(E->w[2], ==, (uint32_t)a);
        g_assert_cmphex(E->w[3], ==, (uint32_t)(int8_t)a);
        g_assert_cmphex(E->w[4], ==, (uint16_t)a);

        ir_start();
        tcg_gen_ext_i32_i64(g_r[1], g_w[0]);
        tcg_gen_extu_i32_i64(g_r[2], g_w[0]);
        tcg_gen_concat_i32_i64(g_r[3], g_w[0], g_w[1]);
        E->w[0] = a;
        E->w[1] = ~a;
        run_ir();
        g_assert_cmphex(E->r[1], ==, (uint64_t)(int32_t)a);
        g_assert_cmphex(E->r[2], ==, (uint32_t)a);
        g_assert_cmphex(E->r[3], ==,
                        ((uint64_t)(uint32_t)~a << 32) | (uint32_t)a);
    }
}

static void test_bswap_bitcount(void)
{
    for (unsigned i = 0; i < NV; i++) {
        uint64_t a = vals[i];
        ir_start();
        tcg_gen_bswap64_i64(g_r[1], g_r[0]);
        tcg_gen_bswap32_i64(g_r[2], g_r[0], TCG_BSWAP_OZ);
        tcg_gen_bswap16_i64(g_r[3], g_r[0], TCG_BSWAP_OS);
        tcg_gen_clzi_i64(g_r[4], g_r[0], 64);
        tcg_gen_ctzi_i64(g_r[5], g_r[0], 99);
        tcg_gen_ctpop_i64(g_r[6], g_r[0]);
        tcg_gen_clz_i64(g_r[7], g_r[0], g_r[1]);
        tcg_gen_bswap32_i32(g_w[1], g_w[0]);
        tcg_gen_clzi_i32(g_w[2], g_w[0], 32);
        tcg_gen_ctzi_i32(g_w[3], g_w[0], 32);
        tcg_gen_ctpop_i32(g_w[4], g_w[0]);
        tcg_gen_bswap16_i32(g_w[5], g_w[0], TCG_BSWAP_OZ);
        E->r[0] = a;
        E->w[0] = a;
        run_ir();
        uint32_t a32 = a;
        g_assert_cmphex(E->r[1], ==, __builtin_bswap64(a));
        g_assert_cmphex(E->r[2], ==, __builtin_bswap32(a));
        g_assert_cmphex(E->r[3], ==, (uint64_t)(int16_t)__builtin_bswap16(a));
        g_assert_cmpuint(E->r[4], ==, a ? __builtin_clzll(a) : 64);
        g_assert_cmpuint(E->r[5], ==, a ? __builtin_ctzll(a) : 99);
        g_assert_cmpuint(E->r[6], ==, __builtin_popcountll(a));
        g_assert_cmpuint(E->r[7], ==,
                         a ? (uint64_t)__builtin_clzll(a)
                           : __builtin_bswap64(a));
        g_assert_cmphex(E->w[1], ==, __builtin_bswap32(a32));
        g_assert_cmpuint(E->w[2], ==, a32 ? __builtin_clz(a32) : 32);
        g_assert_cmpuint(E->w[3], ==, a32 ? __builtin_ctz(a32) : 32);
        g_assert_cmpuint(E->w[4], ==, __builtin_popcount(a32));
        g_assert_cmphex(E->w[5], ==, __builtin_bswap16(a32));
    }
}

static void test_bitfields(void)
{
    static const struct {
        unsigned pos, len;
    } f[] = {{0, 8},  {8, 8},  {0, 16}, {0, 32}, {32, 32}, {4, 12},
             {60, 4}, {1, 62}, {0, 1},  {63, 1}, {8, 16},  {16, 40}};
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned k = 0; k < G_N_ELEMENTS(f); k++) {
            unsigned pos = f[k].pos, len = f[k].len;
            uint64_t a = vals[i], b = vals[NV - 1 - i];
            uint64_t lm = len == 64 ? ~0ull : (1ull << len) - 1;
            ir_start();
            tcg_gen_extract_i64(g_r[2], g_r[0], pos, len);
            tcg_gen_sextract_i64(g_r[3], g_r[0], pos, len);
            tcg_gen_deposit_i64(g_r[4], g_r[0], g_r[1], pos, len);
            tcg_gen_extract2_i64(g_r[5], g_r[0], g_r[1], pos);
            E->r[0] = a;
            E->r[1] = b;
            run_ir();
            uint64_t ex = (a >> pos) & lm;
            uint64_t sx = ex;
            if (len < 64 && (ex >> (len - 1)) & 1) {
                sx |= ~lm;
            }
            g_assert_cmphex(E->r[2], ==, ex);
            g_assert_cmphex(E->r[3], ==, sx);
            g_assert_cmphex(E->r[4], ==,
                            (a & ~(lm << pos)) | ((b & lm) << pos));
            g_assert_cmphex(E->r[5], ==,
                            pos ? (a >> pos) | (b << (64 - pos)) : a);
            if (pos + len <= 32) {
                uint32_t a32 = a, b32 = b, lm32 = lm;
                ir_start();
                tcg_gen_extract_i32(g_w[2], g_w[0], pos, len);
                tcg_gen_deposit_i32(g_w[3], g_w[0], g_w[1], pos, len);
                E->w[0] = a32;
                E->w[1] = b32;
                run_ir();
                g_assert_cmphex(E->w[2], ==, (a32 >> pos) & lm32);
                g_assert_cmphex(E->w[3], ==,
                                (a32 & ~(lm32 << pos)) | ((b32 & lm32) << pos));
            }
        }
    }
}

static void test_minmax(void)
{
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned j = 0; j < NV; j++) {
            int64_t a = vals[i], b = vals[j];
            ir_start();
            tcg_gen_smin_i64(g_r[2], g_r[0], g_r[1]);
            tcg_gen_smax_i64(g_r[3], g_r[0], g_r[1]);
            tcg_gen_umin_i64(g_r[4], g_r[0], g_r[1]);
            tcg_gen_umax_i64(g_r[5], g_r[0], g_r[1]);
            E->r[0] = a;
            E->r[1] = b;
            run_ir();
            g_assert_cmphex(E->r[2], ==, (uint64_t)(a < b ? a : b));
            g_assert_cmphex(E->r[3], ==, (uint64_t)(a > b ? a : b));
            g_assert_cmphex(E->r[4], ==, MIN((uint64_t)a, (uint64_t)b));
            g_assert_cmphex(E->r[5], ==, MAX((uint64_t)a, (uint64_t)b));
        }
    }
}

/* Host loads/stores relative to env. */
static void test_host_ldst(void)
{
    ir_start();
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_ld8s_i64(t, tcg_env, offsetof(FakeEnv, scratch[0]));
    tcg_gen_mov_i64(g_r[1], t);
    tcg_gen_ld16u_i64(t, tcg_env, offsetof(FakeEnv, scratch[0]));
    tcg_gen_mov_i64(g_r[2], t);
    tcg_gen_ld32s_i64(t, tcg_env, offsetof(FakeEnv, scratch[0]));
    tcg_gen_mov_i64(g_r[3], t);
    tcg_gen_st8_i64(g_r[0], tcg_env, offsetof(FakeEnv, scratch[1]));
    tcg_gen_st16_i64(g_r[0], tcg_env, offsetof(FakeEnv, scratch[2]));
    tcg_gen_st32_i64(g_r[0], tcg_env, offsetof(FakeEnv, scratch[3]));
    tcg_gen_st_i64(tcg_constant_i64(0x1122334455667788ll), tcg_env,
                   offsetof(FakeEnv, scratch[4]));
    E->scratch[0] = 0xfedcba9880818283ull;
    E->scratch[1] = E->scratch[2] = E->scratch[3] = 0;
    E->r[0] = 0x0102030405060708ull;
    run_ir();
    g_assert_cmphex(E->r[1], ==, (uint64_t)(int8_t)0x83);
    g_assert_cmphex(E->r[2], ==, 0x8283);
    g_assert_cmphex(E->r[3], ==, (uint64_t)(int32_t)0x80818283);
    g_assert_cmphex(E->scratch[1], ==, 0x08);
    g_assert_cmphex(E->scratch[2], ==, 0x0708);
    g_assert_cmphex(E->scratch[3], ==, 0x05060708);
    g_assert_cmphex(E->scratch[4], ==, 0x1122334455667788ull);
}

/* Guest loads/stores through guest_base, all sizes, signs, endianness. */
static void test_guest_ldst(void)
{
    static const MemOp ops[] = {MO_UB,   MO_SB,   MO_LEUW,       MO_LESW,
                                MO_LEUL, MO_LESL, MO_LEUQ,       MO_BEUW,
                                MO_BEUL, MO_BEUQ, MO_BE | MO_SW, MO_BE | MO_SL};
    uint8_t pattern[8] = {0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf1};
    for (unsigned k = 0; k < G_N_ELEMENTS(ops); k++) {
        MemOp mop = ops[k];
        unsigned size = memop_size(mop);
        memcpy(guest_ram + 0x100, pattern, 8);
        memset(guest_ram + 0x200, 0, 16);
        ir_start();
        tcg_gen_qemu_ld_i64(g_r[1], g_r[0], 0, mop);
        tcg_gen_addi_i64(g_r[2], g_r[0], 0x100);
        tcg_gen_qemu_st_i64(g_r[1], g_r[2], 0, mop);
        if (size <= 4) {
            tcg_gen_qemu_ld_i32(g_w[1], g_r[0], 0, mop);
        }
        E->r[0] = GUEST_RAM_BASE + 0x100;
        run_ir();
        uint64_t raw = 0;
        memcpy(&raw, pattern, size);
        if (mop & MO_BSWAP) {
            raw = __builtin_bswap64(raw) >> (64 - 8 * size);
        }
        uint64_t exp = raw;
        if ((mop & MO_SIGN) && size < 8) {
            exp = (uint64_t)((int64_t)(raw << (64 - 8 * size)) >>
                             (64 - 8 * size));
        }
        g_assert_cmphex(E->r[1], ==, exp);
        g_assert_cmpmem(guest_ram + 0x200, size, pattern, size);
        if (size <= 4) {
            g_assert_cmphex(E->w[1], ==, (uint32_t)exp);
        }
    }
}

static void test_atomics(void)
{
    uint64_t *m = (uint64_t *)(guest_ram + 0x300);
    *m = 100;
    ir_start();
    TCGv_i64 a = tcg_constant_i64(GUEST_RAM_BASE + 0x300);
    tcg_gen_atomic_fetch_add_i64(g_r[1], a, tcg_constant_i64(5), 0, MO_64);
    tcg_gen_atomic_cmpxchg_i64(g_r[2], a, tcg_constant_i64(105),
                               tcg_constant_i64(7), 0, MO_64);
    tcg_gen_atomic_cmpxchg_i64(g_r[3], a, tcg_constant_i64(105),
                               tcg_constant_i64(9), 0, MO_64);
    tcg_gen_atomic_xchg_i32(g_w[1], a, tcg_constant_i32(-2), 0, MO_SB);
    tcg_gen_atomic_or_fetch_i64(g_r[4], a, tcg_constant_i64(0x100), 0, MO_64);
    run_ir();
    g_assert_cmpuint(E->r[1], ==, 100);
    g_assert_cmpuint(E->r[2], ==, 105);
    g_assert_cmpuint(E->r[3], ==, 7); /* compare failed: returns current */
    g_assert_cmphex(E->w[1], ==, 7);
    g_assert_cmphex(E->r[4], ==, 0x1fe);
    g_assert_cmphex(*m, ==, 0x1fe);
}

/* Narrow atomics: sizes, sign/zero extension of the old value. */
static void test_atomics_narrow(void)
{
    uint8_t *m = guest_ram + 0x380;
    memset(m, 0, 16);
    m[0] = 0xf0; /* byte */
    uint16_t h = 0x8001;
    memcpy(m + 2, &h, 2); /* half */
    uint32_t w = 0x80000000u;
    memcpy(m + 4, &w, 4); /* word */
    ir_start();
    TCGv_i64 b = tcg_constant_i64(GUEST_RAM_BASE + 0x380);
    TCGv_i64 hh = tcg_constant_i64(GUEST_RAM_BASE + 0x382);
    TCGv_i64 ww = tcg_constant_i64(GUEST_RAM_BASE + 0x384);
    tcg_gen_atomic_fetch_add_i64(g_r[1], b, tcg_constant_i64(0x11), 0, MO_SB);
    tcg_gen_atomic_cmpxchg_i32(g_w[1], hh, tcg_constant_i32(0x8001),
                               tcg_constant_i32(0x1234), 0, MO_UW);
    tcg_gen_atomic_cmpxchg_i64(g_r[2], hh, tcg_constant_i64(0x8001),
                               tcg_constant_i64(0x5555), 0, MO_SW);
    tcg_gen_atomic_xchg_i64(g_r[3], ww, g_r[0], 0, MO_SL);
    tcg_gen_atomic_add_fetch_i64(g_r[4], ww, tcg_constant_i64(1), 0, MO_UL);
    tcg_gen_atomic_add_fetch_i32(g_w[2], b, g_w[0], 0, MO_UB);
    E->r[0] = 0xffffffffffffffffull;
    E->w[0] = 0x10;
    run_ir();
    g_assert_cmphex(E->r[1], ==, (uint64_t)(int8_t)0xf0);
    g_assert_cmphex(E->w[1], ==, 0x8001); /* swapped in 0x1234 */
    g_assert_cmphex(E->r[2], ==, 0x1234); /* failed: current value */
    g_assert_cmphex(E->r[3], ==, (uint64_t)(int32_t)0x80000000);
    g_assert_cmphex(E->r[4], ==, 0);    /* 0xffffffff + 1, 32 bits */
    g_assert_cmphex(E->w[2], ==, 0x11); /* 0xf0+0x11 = 0x01, + 0x10 */
    g_assert_cmphex(m[0], ==, 0x11);
    memcpy(&h, m + 2, 2);
    g_assert_cmphex(h, ==, 0x1234);
    memcpy(&w, m + 4, 4);
    g_assert_cmphex(w, ==, 0);
}

/* ---- helper calls ----------------------------------------------------- */

static uint64_t helper_sum6(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                            uint64_t e, uint64_t f)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}

static const TCGHelperInfo info_sum6 = {
    .func = helper_sum6,
    .name = "sum6",
    .flags = TCG_CALL_NO_RWG_SE,
    .ret = TCG_CALL_I64,
    .nargs = 6,
    .args = {TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64,
             TCG_CALL_I64, TCG_CALL_I64},
};

/* Reads r0 from env and writes r1: needs globals synced around it. */
static void helper_env_rw(void *env)
{
    FakeEnv *e = env;
    e->r[1] = e->r[0] * 3;
}

static const TCGHelperInfo info_env_rw = {
    .func = helper_env_rw,
    .name = "env_rw",
    .flags = 0,
    .ret = TCG_CALL_VOID,
    .nargs = 1,
    .args = {TCG_CALL_PTR},
};

static void test_helpers(void)
{
    ir_start();
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_call6(&info_sum6, tcgv_i64_temp(t), tcgv_i64_temp(g_r[0]),
                  tcgv_i64_temp(g_r[1]), tcgv_i64_temp(g_r[2]),
                  tcgv_i64_temp(g_r[3]), tcgv_i64_temp(g_r[4]),
                  tcgv_i64_temp(tcg_constant_i64(10)));
    tcg_gen_mov_i64(g_r[5], t);
    /* r0 modified in a register, then the helper must see it */
    tcg_gen_addi_i64(g_r[0], g_r[0], 1000);
    tcg_gen_call1(&info_env_rw, NULL, tcgv_ptr_temp(tcg_env));
    /* r1 written by the helper must be reloaded */
    tcg_gen_addi_i64(g_r[6], g_r[1], 1);
    for (int i = 0; i < 5; i++) {
        E->r[i] = i + 1;
    }
    run_ir();
    g_assert_cmpuint(E->r[5], ==, 1 + 4 + 9 + 16 + 25 + 60);
    g_assert_cmpuint(E->r[1], ==, 1001 * 3);
    g_assert_cmpuint(E->r[6], ==, 1001 * 3 + 1);
}

/* More live values than host registers: forces spills. */
static void test_register_pressure(void)
{
    enum { N = 40 };
    ir_start();
    TCGv_i64 t[N];
    for (int i = 0; i < N; i++) {
        t[i] = tcg_temp_new_i64();
        tcg_gen_muli_i64(t[i], g_r[0], i + 3);
    }
    /* a helper call in the middle clobbers the caller-saved registers */
    TCGv_i64 h = tcg_temp_new_i64();
    tcg_gen_call6(&info_sum6, tcgv_i64_temp(h), tcgv_i64_temp(t[0]),
                  tcgv_i64_temp(t[1]), tcgv_i64_temp(t[2]), tcgv_i64_temp(t[3]),
                  tcgv_i64_temp(t[4]), tcgv_i64_temp(t[5]));
    tcg_gen_mov_i64(g_r[2], h);
    TCGv_i64 s = tcg_temp_new_i64();
    tcg_gen_movi_i64(s, 0);
    for (int i = 0; i < N; i++) {
        tcg_gen_add_i64(s, s, t[i]);
    }
    tcg_gen_mov_i64(g_r[1], s);
    E->r[0] = 7;
    run_ir();
    uint64_t exp = 0;
    for (int i = 0; i < N; i++) {
        exp += 7 * (i + 3);
    }
    g_assert_cmpuint(E->r[1], ==, exp);
    g_assert_cmpuint(E->r[2], ==, helper_sum6(21, 28, 35, 42, 49, 56));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_tcg_init();
    g_test_add_func("/tcg/ops/arith", test_arith);
    g_test_add_func("/tcg/ops/logic", test_logic);
    g_test_add_func("/tcg/ops/aliasing", test_aliasing);
    g_test_add_func("/tcg/ops/neg-not-abs", test_neg_not);
    g_test_add_func("/tcg/ops/shifts", test_shifts);
    g_test_add_func("/tcg/ops/setcond-movcond", test_setcond_movcond);
    g_test_add_func("/tcg/ops/brcond", test_brcond);
    g_test_add_func("/tcg/ops/loop", test_loop);
    g_test_add_func("/tcg/ops/mul2-div", test_mul2_div);
    g_test_add_func("/tcg/ops/add2-sub2", test_add2_sub2);
    g_test_add_func("/tcg/ops/ext", test_ext);
    g_test_add_func("/tcg/ops/bswap-bitcount", test_bswap_bitcount);
    g_test_add_func("/tcg/ops/bitfields", test_bitfields);
    g_test_add_func("/tcg/ops/minmax", test_minmax);
    g_test_add_func("/tcg/ops/host-ldst", test_host_ldst);
    g_test_add_func("/tcg/ops/guest-ldst", test_guest_ldst);
    g_test_add_func("/tcg/ops/atomics", test_atomics);
    g_test_add_func("/tcg/ops/atomics-narrow", test_atomics_narrow);
    g_test_add_func("/tcg/ops/helpers", test_helpers);
    g_test_add_func("/tcg/ops/register-pressure", test_register_pressure);
    return g_test_run();
}
