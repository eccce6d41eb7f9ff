/*
 * Random differential testing of the optimizer + register allocator +
 * backend: build random straight-line IR (with forward branches) over the
 * fake CPU's globals and a pool of temps, computing every value in C as
 * the IR is built, then run the generated code and compare all globals.
 * A failure prints the seed; TCG_TEST_LOG=op_opt,out_asm shows the code.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "tcg-test-common.h"

#define E    (&fake_cpu.env)
#define NT   20 /* i64 temps: more than host registers */
#define NT32 6

/*
 * A window of guest memory that straddles a page boundary (so accesses
 * may cross pages: the softmmu slow path splits them).
 */
#define MEMWIN      64
#define MEMWIN_ADDR (GUEST_RAM_BASE + 0x1000 - MEMWIN / 2)

typedef struct Shadow {
    uint64_t r[8];
    uint32_t w[8];
    uint64_t t[NT];
    uint32_t t32[NT32];
    uint8_t mem[MEMWIN];
} Shadow;

static Shadow sh;
static TCGv_i64 tv[NT];
static TCGv_i32 tv32[NT32];
static GRand *rnd;

static unsigned rn(unsigned n)
{
    return g_rand_int_range(rnd, 0, n);
}

/* An i64 operand: a global or a temp; returns its shadow pointer. */
static TCGv_i64 pick64(uint64_t **v)
{
    unsigned k = rn(8 + NT);
    if (k < 8) {
        *v = &sh.r[k];
        return g_r[k];
    }
    *v = &sh.t[k - 8];
    return tv[k - 8];
}

static TCGv_i32 pick32(uint32_t **v)
{
    unsigned k = rn(8 + NT32);
    if (k < 8) {
        *v = &sh.w[k];
        return g_w[k];
    }
    *v = &sh.t32[k - 8];
    return tv32[k - 8];
}

static uint64_t rand_val(void)
{
    static const uint64_t special[] = {0,
                                       1,
                                       2,
                                       0x7f,
                                       0x80,
                                       0xff,
                                       0xffff,
                                       0x7fffffff,
                                       0x80000000,
                                       0xffffffff,
                                       0x8000000000000000ull,
                                       ~0ull,
                                       63,
                                       64};
    if (rn(3) == 0) {
        return special[rn(G_N_ELEMENTS(special))];
    }
    return ((uint64_t)g_rand_int(rnd) << 32) | g_rand_int(rnd);
}

static uint64_t helper_mix(uint64_t a, uint64_t b, uint64_t c)
{
    return (a * 31) ^ (b + 7) ^ (c << 3);
}

static const TCGHelperInfo info_mix = {
    .func = helper_mix,
    .name = "mix",
    .flags = TCG_CALL_NO_RWG_SE,
    .ret = TCG_CALL_I64,
    .nargs = 3,
    .args = {TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64},
};

static const TCGCond conds[] = {
    TCG_COND_EQ,  TCG_COND_NE,  TCG_COND_LT,    TCG_COND_GE,
    TCG_COND_LE,  TCG_COND_GT,  TCG_COND_LTU,   TCG_COND_GEU,
    TCG_COND_LEU, TCG_COND_GTU, TCG_COND_TSTEQ, TCG_COND_TSTNE,
};

static void gen_one_i64(void)
{
    uint64_t *d, *a, *b, *c, *e;
    TCGv_i64 D = pick64(&d), A = pick64(&a), B = pick64(&b);
    uint64_t va = *a, vb = *b, r;
    unsigned op = rn(32);
    switch (op) {
    case 0:
        tcg_gen_add_i64(D, A, B);
        r = va + vb;
        break;
    case 1:
        tcg_gen_sub_i64(D, A, B);
        r = va - vb;
        break;
    case 2:
        tcg_gen_mul_i64(D, A, B);
        r = va * vb;
        break;
    case 3:
        tcg_gen_and_i64(D, A, B);
        r = va & vb;
        break;
    case 4:
        tcg_gen_or_i64(D, A, B);
        r = va | vb;
        break;
    case 5:
        tcg_gen_xor_i64(D, A, B);
        r = va ^ vb;
        break;
    case 6:
        tcg_gen_andc_i64(D, A, B);
        r = va & ~vb;
        break;
    case 7: {
        uint64_t k = rand_val();
        tcg_gen_addi_i64(D, A, (int64_t)k);
        r = va + k;
        break;
    }
    case 8: {
        unsigned k = rn(64);
        tcg_gen_shli_i64(D, A, k);
        r = va << k;
        break;
    }
    case 9: {
        unsigned k = rn(64);
        tcg_gen_shri_i64(D, A, k);
        r = va >> k;
        break;
    }
    case 10: {
        unsigned k = rn(64);
        tcg_gen_sari_i64(D, A, k);
        r = (uint64_t)((int64_t)va >> k);
        break;
    }
    case 11: {
        /* variable shift: count masked into range first */
        TCGv_i64 k = tcg_temp_ebb_new_i64();
        tcg_gen_andi_i64(k, B, 63);
        unsigned n = vb & 63;
        switch (rn(5)) {
        case 0:
            tcg_gen_shl_i64(D, A, k);
            r = va << n;
            break;
        case 1:
            tcg_gen_shr_i64(D, A, k);
            r = va >> n;
            break;
        case 2:
            tcg_gen_sar_i64(D, A, k);
            r = (uint64_t)((int64_t)va >> n);
            break;
        case 3:
            tcg_gen_rotl_i64(D, A, k);
            r = n ? (va << n) | (va >> (64 - n)) : va;
            break;
        default:
            tcg_gen_rotr_i64(D, A, k);
            r = n ? (va >> n) | (va << (64 - n)) : va;
            break;
        }
        tcg_temp_free_i64(k);
        break;
    }
    case 12:
        tcg_gen_neg_i64(D, A);
        r = -va;
        break;
    case 13:
        tcg_gen_not_i64(D, A);
        r = ~va;
        break;
    case 14: {
        TCGCond cc = conds[rn(G_N_ELEMENTS(conds))];
        tcg_gen_setcond_i64(cc, D, A, B);
        r = tcg_cond_eval(TCG_TYPE_I64, cc, va, vb);
        break;
    }
    case 15: {
        TCGCond cc = conds[rn(G_N_ELEMENTS(conds))];
        TCGv_i64 C = pick64(&c), F = pick64(&e);
        uint64_t vc = *c, vf = *e;
        tcg_gen_movcond_i64(cc, D, A, B, C, F);
        r = tcg_cond_eval(TCG_TYPE_I64, cc, va, vb) ? vc : vf;
        break;
    }
    case 16: {
        static const int k[] = {0, 1, 2, 3, 4, 5};
        switch (k[rn(6)]) {
        case 0:
            tcg_gen_ext8s_i64(D, A);
            r = (int8_t)va;
            break;
        case 1:
            tcg_gen_ext8u_i64(D, A);
            r = (uint8_t)va;
            break;
        case 2:
            tcg_gen_ext16s_i64(D, A);
            r = (int16_t)va;
            break;
        case 3:
            tcg_gen_ext16u_i64(D, A);
            r = (uint16_t)va;
            break;
        case 4:
            tcg_gen_ext32s_i64(D, A);
            r = (int32_t)va;
            break;
        default:
            tcg_gen_ext32u_i64(D, A);
            r = (uint32_t)va;
            break;
        }
        break;
    }
    case 17: {
        unsigned pos = rn(64), len = 1 + rn(64 - pos);
        uint64_t lm = len == 64 ? ~0ull : (1ull << len) - 1;
        tcg_gen_deposit_i64(D, A, B, pos, len);
        r = (va & ~(lm << pos)) | ((vb & lm) << pos);
        break;
    }
    case 18: {
        unsigned pos = rn(64), len = 1 + rn(64 - pos);
        uint64_t lm = len == 64 ? ~0ull : (1ull << len) - 1;
        if (rn(2)) {
            tcg_gen_extract_i64(D, A, pos, len);
            r = (va >> pos) & lm;
        } else {
            tcg_gen_sextract_i64(D, A, pos, len);
            r = (va >> pos) & lm;
            if (len < 64 && (r >> (len - 1)) & 1) {
                r |= ~lm;
            }
        }
        break;
    }
    case 19: {
        unsigned pos = rn(65);
        tcg_gen_extract2_i64(D, A, B, pos);
        r = pos == 0 ? va : pos == 64 ? vb : (va >> pos) | (vb << (64 - pos));
        break;
    }
    case 20:
        tcg_gen_bswap64_i64(D, A);
        r = __builtin_bswap64(va);
        break;
    case 21:
        tcg_gen_clz_i64(D, A, B);
        r = va ? (uint64_t)__builtin_clzll(va) : vb;
        break;
    case 22:
        tcg_gen_ctz_i64(D, A, B);
        r = va ? (uint64_t)__builtin_ctzll(va) : vb;
        break;
    case 23:
        tcg_gen_ctpop_i64(D, A);
        r = __builtin_popcountll(va);
        break;
    case 24: {
        uint64_t *d2;
        TCGv_i64 D2 = pick64(&d2);
        if (D2 == D) {
            return;
        }
        unsigned __int128 p;
        if (rn(2)) {
            tcg_gen_mulu2_i64(D, D2, A, B);
            p = (unsigned __int128)va * vb;
        } else {
            tcg_gen_muls2_i64(D, D2, A, B);
            p = (unsigned __int128)((__int128)(int64_t)va * (int64_t)vb);
        }
        *d = (uint64_t)p;
        *d2 = (uint64_t)(p >> 64);
        return;
    }
    case 25: {
        uint64_t *d2;
        TCGv_i64 D2 = pick64(&d2), C = pick64(&c), F = pick64(&e);
        uint64_t vc = *c, vf = *e;
        if (D2 == D) {
            return;
        }
        unsigned __int128 x = ((unsigned __int128)vb << 64) | va;
        unsigned __int128 y = ((unsigned __int128)vf << 64) | vc;
        unsigned __int128 z;
        if (rn(2)) {
            tcg_gen_add2_i64(D, D2, A, B, C, F);
            z = x + y;
        } else {
            tcg_gen_sub2_i64(D, D2, A, B, C, F);
            z = x - y;
        }
        *d = (uint64_t)z;
        *d2 = (uint64_t)(z >> 64);
        return;
    }
    case 26: {
        /* division by (b | 1): never zero; signed overflow avoided */
        TCGv_i64 k = tcg_temp_ebb_new_i64();
        tcg_gen_ori_i64(k, B, 1);
        uint64_t vk = vb | 1;
        switch (rn(4)) {
        case 0:
            if ((int64_t)va == INT64_MIN && (int64_t)vk == -1) {
                tcg_gen_mov_i64(D, A);
                r = va;
                break;
            }
            tcg_gen_div_i64(D, A, k);
            r = (uint64_t)((int64_t)va / (int64_t)vk);
            break;
        case 1:
            if ((int64_t)va == INT64_MIN && (int64_t)vk == -1) {
                tcg_gen_movi_i64(D, 0);
                r = 0;
                break;
            }
            tcg_gen_rem_i64(D, A, k);
            r = (uint64_t)((int64_t)va % (int64_t)vk);
            break;
        case 2:
            tcg_gen_divu_i64(D, A, k);
            r = va / vk;
            break;
        default:
            tcg_gen_remu_i64(D, A, k);
            r = va % vk;
            break;
        }
        tcg_temp_free_i64(k);
        break;
    }
    case 27: {
        TCGv_i64 C = pick64(&c);
        uint64_t vc = *c;
        TCGv_i64 ret = tcg_temp_new_i64();
        tcg_gen_call3(&info_mix, tcgv_i64_temp(ret), tcgv_i64_temp(A),
                      tcgv_i64_temp(B), tcgv_i64_temp(C));
        tcg_gen_mov_i64(D, ret);
        tcg_temp_free_i64(ret);
        r = helper_mix(va, vb, vc);
        break;
    }
    case 28: {
        /* guest store + load round trip through guest memory */
        uint64_t off = rn(64) * 8;
        TCGv_i64 addr = tcg_temp_ebb_new_i64();
        tcg_gen_movi_i64(addr, GUEST_RAM_BASE + off);
        tcg_gen_qemu_st_i64(A, addr, 0, MO_LEUQ);
        MemOp mop = rn(2) ? MO_LEUQ : MO_LESL;
        tcg_gen_qemu_ld_i64(D, addr, 0, mop);
        tcg_temp_free_i64(addr);
        r = mop == MO_LESL ? (uint64_t)(int64_t)(int32_t)va : va;
        break;
    }
    case 29:
    case 30: {
        /*
         * A store (29) or load (30) of a random size, endianness and
         * signedness at any offset of the window, aligned or not.
         */
        static const MemOp sizes[] = {MO_8, MO_16, MO_32, MO_64};
        bool store = op == 29;
        MemOp mop = sizes[rn(4)];
        unsigned n = memop_size(mop);
        unsigned off = rn(MEMWIN - n + 1);
        bool be = rn(2);
        if (be) {
            mop |= MO_BE;
        }
        if (!store && n < 8 && rn(2)) {
            mop |= MO_SIGN;
        }
        TCGv_i64 addr = tcg_temp_ebb_new_i64();
        if (rn(2)) {
            tcg_gen_movi_i64(addr, MEMWIN_ADDR + off);
        } else {
            /* the optimizer folds this add into the access */
            tcg_gen_movi_i64(addr, MEMWIN_ADDR);
            tcg_gen_addi_i64(addr, addr, off);
        }
        if (store) {
            tcg_gen_qemu_st_i64(A, addr, 0, mop);
            for (unsigned i = 0; i < n; i++) {
                sh.mem[off + i] = va >> (8 * (be ? n - 1 - i : i));
            }
            tcg_gen_mov_i64(D, A);
            r = va;
        } else {
            uint64_t v = 0;
            tcg_gen_qemu_ld_i64(D, addr, 0, mop);
            for (unsigned i = 0; i < n; i++) {
                v |= (uint64_t)sh.mem[off + i] << (8 * (be ? n - 1 - i : i));
            }
            if ((mop & MO_SIGN) && n < 8) {
                v = (uint64_t)((int64_t)(v << (64 - 8 * n)) >> (64 - 8 * n));
            }
            r = v;
        }
        tcg_temp_free_i64(addr);
        break;
    }
    default:
        tcg_gen_mov_i64(D, A);
        r = va;
        break;
    }
    *d = r;
}

static void gen_one_i32(void)
{
    uint32_t *d, *a, *b;
    TCGv_i32 D = pick32(&d), A = pick32(&a), B = pick32(&b);
    uint32_t va = *a, vb = *b, r;
    uint64_t *x;
    switch (rn(20)) {
    case 12: {
        TCGv_i32 k = tcg_temp_ebb_new_i32();
        tcg_gen_andi_i32(k, B, 31);
        unsigned n = vb & 31;
        switch (rn(3)) {
        case 0:
            tcg_gen_shl_i32(D, A, k);
            r = va << n;
            break;
        case 1:
            tcg_gen_shr_i32(D, A, k);
            r = va >> n;
            break;
        default:
            tcg_gen_sar_i32(D, A, k);
            r = (uint32_t)((int32_t)va >> n);
            break;
        }
        tcg_temp_free_i32(k);
        break;
    }
    case 13: {
        TCGCond cc = conds[rn(G_N_ELEMENTS(conds))];
        uint32_t *c, *e;
        TCGv_i32 C = pick32(&c), F = pick32(&e);
        uint32_t vc = *c, vf = *e;
        tcg_gen_movcond_i32(cc, D, A, B, C, F);
        r = tcg_cond_eval(TCG_TYPE_I32, cc, va, vb) ? vc : vf;
        break;
    }
    case 14: {
        TCGCond cc = conds[rn(G_N_ELEMENTS(conds))];
        tcg_gen_negsetcond_i32(cc, D, A, B);
        r = tcg_cond_eval(TCG_TYPE_I32, cc, va, vb) ? ~0u : 0;
        break;
    }
    case 15:
        tcg_gen_clz_i32(D, A, B);
        r = va ? (uint32_t)__builtin_clz(va) : vb;
        break;
    case 16:
        tcg_gen_ctz_i32(D, A, B);
        r = va ? (uint32_t)__builtin_ctz(va) : vb;
        break;
    case 17: {
        unsigned pos = rn(33);
        tcg_gen_extract2_i32(D, A, B, pos);
        r = pos == 0 ? va : pos == 32 ? vb : (va >> pos) | (vb << (32 - pos));
        break;
    }
    case 18: {
        int fl = rn(2) ? TCG_BSWAP_OZ : TCG_BSWAP_OS;
        tcg_gen_bswap16_i32(D, A, fl);
        uint16_t h = __builtin_bswap16(va);
        r = fl == TCG_BSWAP_OZ ? h : (uint32_t)(int32_t)(int16_t)h;
        break;
    }
    case 19: {
        /* host store + load through the env scratch area */
        int off = offsetof(FakeEnv, scratch[rn(16)]);
        tcg_gen_st_i32(A, tcg_env, off);
        if (rn(2)) {
            tcg_gen_ld8s_i32(D, tcg_env, off);
            r = (uint32_t)(int32_t)(int8_t)va;
        } else {
            tcg_gen_ld16u_i32(D, tcg_env, off);
            r = (uint16_t)va;
        }
        break;
    }
    case 0:
        tcg_gen_add_i32(D, A, B);
        r = va + vb;
        break;
    case 1:
        tcg_gen_sub_i32(D, A, B);
        r = va - vb;
        break;
    case 2:
        tcg_gen_mul_i32(D, A, B);
        r = va * vb;
        break;
    case 3:
        tcg_gen_xor_i32(D, A, B);
        r = va ^ vb;
        break;
    case 4: {
        unsigned k = rn(32);
        tcg_gen_rotli_i32(D, A, k);
        r = k ? (va << k) | (va >> (32 - k)) : va;
        break;
    }
    case 5: {
        TCGCond cc = conds[rn(G_N_ELEMENTS(conds))];
        tcg_gen_setcond_i32(cc, D, A, B);
        r = tcg_cond_eval(TCG_TYPE_I32, cc, va, vb);
        break;
    }
    case 6: {
        TCGv_i64 X = pick64(&x);
        tcg_gen_extrl_i64_i32(D, X);
        r = (uint32_t)*x;
        break;
    }
    case 7: {
        TCGv_i64 X = pick64(&x);
        tcg_gen_extrh_i64_i32(D, X);
        r = (uint32_t)(*x >> 32);
        break;
    }
    case 8: {
        TCGv_i64 X = pick64(&x);
        if (rn(2)) {
            tcg_gen_extu_i32_i64(X, A);
            *x = va;
        } else {
            tcg_gen_ext_i32_i64(X, A);
            *x = (uint64_t)(int64_t)(int32_t)va;
        }
        return;
    }
    case 9:
        tcg_gen_bswap32_i32(D, A);
        r = __builtin_bswap32(va);
        break;
    case 10: {
        uint32_t *d2;
        TCGv_i32 D2 = pick32(&d2);
        if (D2 == D) {
            return;
        }
        uint64_t p = (uint64_t)va * vb;
        tcg_gen_mulu2_i32(D, D2, A, B);
        *d = p;
        *d2 = p >> 32;
        return;
    }
    default: {
        unsigned pos = rn(32), len = 1 + rn(32 - pos);
        uint32_t lm = len == 32 ? ~0u : (1u << len) - 1;
        tcg_gen_deposit_i32(D, A, B, pos, len);
        r = (va & ~(lm << pos)) | ((vb & lm) << pos);
        break;
    }
    }
    *d = r;
}

static void run_one(unsigned seed)
{
    g_rand_set_seed(rnd, seed);
    ir_start();
    for (int i = 0; i < NT; i++) {
        tv[i] = tcg_temp_new_i64();
        sh.t[i] = rand_val();
    }
    for (int i = 0; i < NT32; i++) {
        tv32[i] = tcg_temp_new_i32();
        sh.t32[i] = rand_val();
    }
    for (int i = 0; i < 8; i++) {
        E->r[i] = sh.r[i] = rand_val();
        E->w[i] = sh.w[i] = rand_val();
    }
    for (int i = 0; i < MEMWIN; i++) {
        sh.mem[i] = rn(256);
    }
    memcpy(guest_ram + (MEMWIN_ADDR - GUEST_RAM_BASE), sh.mem, MEMWIN);
    /* temps start from known values */
    for (int i = 0; i < NT; i++) {
        tcg_gen_movi_i64(tv[i], sh.t[i]);
    }
    for (int i = 0; i < NT32; i++) {
        tcg_gen_movi_i32(tv32[i], sh.t32[i]);
    }
    int n = 20 + rn(60);
    for (int i = 0; i < n; i++) {
        unsigned k = rn(10);
        if (k < 7) {
            gen_one_i64();
        } else if (k < 9) {
            gen_one_i32();
        } else {
            /* a forward branch over a few ops, taken or not */
            uint64_t *a, *b;
            TCGv_i64 A = pick64(&a), B = pick64(&b);
            TCGCond cc = conds[rn(G_N_ELEMENTS(conds))];
            bool taken = tcg_cond_eval(TCG_TYPE_I64, cc, *a, *b);
            TCGLabel *l = gen_new_label();
            tcg_gen_brcond_i64(cc, A, B, l);
            Shadow saved = sh;
            int m = 1 + rn(4);
            for (int j = 0; j < m; j++) {
                gen_one_i64();
            }
            if (taken) {
                sh = saved; /* the skipped ops never ran */
            }
            gen_set_label(l);
        }
    }
    /* make the temps observable */
    for (int i = 0; i < 8 && i < NT; i++) {
        tcg_gen_xor_i64(g_r[i], g_r[i], tv[i]);
        sh.r[i] ^= sh.t[i];
    }
    for (int i = 0; i < NT32; i++) {
        tcg_gen_add_i32(g_w[i], g_w[i], tv32[i]);
        sh.w[i] += sh.t32[i];
    }
    run_ir();
    for (int i = 0; i < 8; i++) {
        if (E->r[i] != sh.r[i] || E->w[i] != sh.w[i]) {
            g_printerr("seed %u: r%d=%016" PRIx64 " want %016" PRIx64
                       ", w%d=%08x want %08x\n",
                       seed, i, E->r[i], sh.r[i], i, E->w[i], sh.w[i]);
        }
        g_assert_cmphex(E->r[i], ==, sh.r[i]);
        g_assert_cmphex(E->w[i], ==, sh.w[i]);
    }
    if (memcmp(guest_ram + (MEMWIN_ADDR - GUEST_RAM_BASE), sh.mem, MEMWIN)) {
        g_printerr("seed %u: guest memory differs\n", seed);
    }
    g_assert_cmpmem(guest_ram + (MEMWIN_ADDR - GUEST_RAM_BASE), MEMWIN, sh.mem,
                    MEMWIN);
}

static void test_random(void)
{
    const char *env = getenv("TCG_RANDOM_SEED");
    if (env) {
        run_one(strtoul(env, NULL, 0));
        return;
    }
    unsigned count = g_test_slow() ? 20000 : 2000;
    for (unsigned seed = 1; seed <= count; seed++) {
        run_one(seed);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_tcg_init();
    rnd = g_rand_new();
    g_test_add_func("/tcg/random/differential", test_random);
    return g_test_run();
}
