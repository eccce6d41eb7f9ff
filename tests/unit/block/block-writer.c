/*
 * block-writer: a test helper (not a unit test) for the crash-safety test
 * in tests/interop/test_crash_safety.py.  It opens an image read-write
 * and issues random writes, zero writes and discards forever, logging each
 * request before it is issued ("W off len byte") and each completed flush
 * ("F n") on stdout, so the test can kill it at any point and know which
 * writes were acknowledged.
 *
 *   block-writer IMAGE FORMAT SEED [CLUSTER_SIZE]
 *
 * With BLOCK_WRITER_EXIT_AFTER=N in the environment it leaves with
 * _exit() right after the Nth request, without a flush or a close: a
 * crash at a known point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "block/block.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: block-writer IMAGE FORMAT SEED\n");
        return 2;
    }
    error_set_progname("block-writer");
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(argv[1], argv[2], BDRV_O_RDWR, &err);
    if (!bs) {
        error_report_err(err);
        return 1;
    }
    GRand *r = g_rand_new_with_seed(atoi(argv[3]));
    uint64_t size = bdrv_getlength(bs);
    uint8_t *buf = g_malloc(256 * 1024);
    const char *exit_after = getenv("BLOCK_WRITER_EXIT_AFTER");
    uint64_t stop = exit_after ? strtoull(exit_after, NULL, 0) : 0;
    for (uint64_t i = 1;; i++) {
        uint64_t len = g_rand_int_range(r, 1, 200 * 1024);
        uint64_t off = g_rand_int_range(r, 0, size - 1);
        if (g_rand_boolean(r)) {
            off &= ~4095ULL;
        }
        len = MIN(len, size - off);
        int kind = g_rand_int_range(r, 0, 8);
        int ret;
        if (kind < 6) {
            int byte = (int)(i % 251) + 1;
            printf("W %" PRIu64 " %" PRIu64 " %d\n", off, len, byte);
            fflush(stdout);
            memset(buf, byte, len);
            ret = bdrv_pwrite(bs, off, len, buf, 0);
        } else {
            printf("W %" PRIu64 " %" PRIu64 " 0\n", off, len);
            fflush(stdout);
            ret = bdrv_pwrite_zeroes(bs, off, len,
                                     kind == 7 ? BDRV_REQ_MAY_UNMAP : 0);
        }
        if (ret < 0) {
            fprintf(stderr, "block-writer: write failed: %d\n", ret);
            return 1;
        }
        if (i == stop) {
            _exit(0);
        }
        if (i % 4 == 0) {
            ret = bdrv_flush(bs);
            if (ret < 0) {
                fprintf(stderr, "block-writer: flush failed: %d\n", ret);
                return 1;
            }
            printf("F %" PRIu64 "\n", i);
            fflush(stdout);
        }
    }
}
