/*
 * qcow2 refcount entry packing for every refcount_order (0..6): values
 * round-trip, neighbours are untouched, and the bit layout is the one the
 * spec gives (sub-byte entries start at the least significant bit,
 * multi-byte entries are big-endian).
 */
#include <string.h>
#include "block/qcow2.h"

static void test_roundtrip(void)
{
    for (int order = 0; order <= 6; order++) {
        BDRVQcow2State s = {.refcount_order = order,
                            .refcount_bits = 1 << order};
        uint64_t max = order == 6 ? UINT64_MAX : (1ULL << (1 << order)) - 1;
        uint8_t blk[512];
        uint64_t model[512 * 8];
        uint64_t n = 512 * 8 / (1 << order);
        GRand *r = g_rand_new_with_seed(order);
        memset(blk, 0, sizeof(blk));
        memset(model, 0, sizeof(model));
        for (int i = 0; i < 20000; i++) {
            uint64_t idx = g_rand_int_range(r, 0, n);
            uint64_t v = ((uint64_t)g_rand_int(r) << 32 | g_rand_int(r)) & max;
            qcow2_refblock_set(&s, blk, idx, v);
            model[idx] = v;
            uint64_t probe = g_rand_int_range(r, 0, n);
            g_assert_cmpuint(qcow2_refblock_get(&s, blk, probe), ==,
                             model[probe]);
        }
        for (uint64_t i = 0; i < n; i++) {
            g_assert_cmpuint(qcow2_refblock_get(&s, blk, i), ==, model[i]);
        }
        g_rand_free(r);
    }
}

static void test_layout(void)
{
    uint8_t blk[16] = {0};
    BDRVQcow2State s1 = {.refcount_order = 0, .refcount_bits = 1};
    qcow2_refblock_set(&s1, blk, 0, 1);
    qcow2_refblock_set(&s1, blk, 9, 1);
    g_assert_cmphex(blk[0], ==, 0x01);
    g_assert_cmphex(blk[1], ==, 0x02);
    memset(blk, 0, sizeof(blk));
    BDRVQcow2State s4 = {.refcount_order = 2, .refcount_bits = 4};
    qcow2_refblock_set(&s4, blk, 1, 0xa);
    g_assert_cmphex(blk[0], ==, 0xa0);
    memset(blk, 0, sizeof(blk));
    BDRVQcow2State s16 = {.refcount_order = 4, .refcount_bits = 16};
    qcow2_refblock_set(&s16, blk, 1, 0x1234);
    g_assert_cmphex(blk[2], ==, 0x12);
    g_assert_cmphex(blk[3], ==, 0x34);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qcow2/refcount/roundtrip", test_roundtrip);
    g_test_add_func("/qcow2/refcount/layout", test_layout);
    return g_test_run();
}
