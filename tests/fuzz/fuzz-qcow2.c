/*
 * libFuzzer harness: the qcow2 open + read + check path on arbitrary
 * bytes.  The input is written to a temporary file and opened read-only
 * as qcow2; every cluster of the first few MiB is read, block status is
 * walked, snapshots are listed and check() runs; then it is opened
 * read-write, written (plain, zero, compressed), snapshotted and checked.
 * Any crash, leak or sanitizer report is a bug; errors are fine.
 *
 * Build and run: tests/fuzz/build.sh (clang with -fsanitize=fuzzer).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "block/block.h"

#define READ_LIMIT (4 * 1024 * 1024)

static char path[64];

static void fuzz_image(int flags)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, "qcow2", flags, &err);
    if (!bs) {
        error_free(err);
        return;
    }
    int64_t len = bdrv_getlength(bs);
    uint64_t limit = len > 0 ? MIN((uint64_t)len, READ_LIMIT) : 0;
    static uint8_t buf[65536];
    for (uint64_t off = 0; off < limit; off += sizeof(buf)) {
        bdrv_pread(bs, off, MIN(sizeof(buf), limit - off), buf);
    }
    for (uint64_t off = 0; len > 0 && off < (uint64_t)len;) {
        uint64_t n = 0, map;
        int depth;
        if (bdrv_block_status_above(bs, NULL, off, len - off, &n, &map, NULL,
                                    &depth) < 0 ||
            n == 0) {
            break;
        }
        off += n;
    }
    QEMUSnapshotInfo *sn = NULL;
    bdrv_snapshot_list(bs, &sn);
    g_free(sn);
    BdrvCheckResult res = {.log = g_string_new(NULL)};
    bdrv_check(bs, &res, BDRV_FIX_NONE);
    g_string_free(res.log, true);
    bdrv_unref(bs);
}

/* Read-write: writes, zero writes, a snapshot; then check again. */
static void fuzz_write(void)
{
    Error *err = NULL;
    BlockDriverState *bs =
        bdrv_open(path, "qcow2", BDRV_O_RDWR | BDRV_O_NO_BACKING, &err);
    if (!bs) {
        error_free(err);
        return;
    }
    int64_t len = bdrv_getlength(bs);
    static uint8_t buf[70000];
    memset(buf, 0x5a, sizeof(buf));
    if (len > 0) {
        uint64_t l = (uint64_t)len;
        bdrv_pwrite(bs, 0, MIN(l, 4096), buf, 0);
        bdrv_pwrite(bs, l / 2, MIN(l - l / 2, sizeof(buf)), buf, 0);
        bdrv_pwrite_zeroes(bs, l / 3, MIN(l - l / 3, 65536),
                           BDRV_REQ_MAY_UNMAP);
        bdrv_pwrite_compressed(bs, 0, MIN(l, 65536), buf);
    }
    bdrv_snapshot_create(bs, "fuzz", &err);
    error_free(err);
    err = NULL;
    bdrv_flush(bs);
    BdrvCheckResult res = {.log = g_string_new(NULL)};
    bdrv_check(bs, &res, BDRV_FIX_NONE);
    g_string_free(res.log, true);
    bdrv_unref(bs);
}

/* Repair: check -r all (may rebuild the refcount structure), twice. */
static void fuzz_repair(void)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(
        path, "qcow2", BDRV_O_RDWR | BDRV_O_NO_BACKING | BDRV_O_CHECK, &err);
    if (!bs) {
        error_free(err);
        return;
    }
    for (int i = 0; i < 2; i++) {
        BdrvCheckResult res = {.log = g_string_new(NULL)};
        bdrv_check(bs, &res, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS);
        g_string_free(res.log, true);
    }
    bdrv_unref(bs);
}

static void fuzz_discard(void *opaque, const char *line)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof(path), "/tmp/quasar-fuzz-%d.qcow2", getpid());
        error_set_progname("fuzz-qcow2");
        /* Corruption reports are expected; keep the run quiet. */
        if (!getenv("FUZZ_VERBOSE")) {
            error_set_printer(fuzz_discard, NULL);
        }
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        return 0;
    }
    fwrite(data, 1, size, f);
    fclose(f);
    fuzz_image(BDRV_O_NO_BACKING);
    fuzz_image(BDRV_O_NO_BACKING | BDRV_O_CHECK);
    fuzz_write();
    fuzz_repair();
    unlink(path);
    return 0;
}
