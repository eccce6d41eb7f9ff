/*
 * Block layer against an in-memory model: random writes, zero writes,
 * discards, compressed writes and internal snapshots on raw and qcow2
 * images of many shapes (cluster sizes, refcount widths, v2, extended L2,
 * zstd, a backing file).  After every run the image reads back exactly
 * like the model, also after reopening, and check() finds no corruption
 * and no leak.
 */
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "block/block.h"
#include "util/cutils.h"

#define IMG_SIZE (2 * 1024 * 1024 + 3 * 512)

typedef struct ModelCase {
    const char *name;
    const char *fmt;
    const char *opts; /* -o string, may be NULL */
    bool backing;
    bool snapshots;
    bool compress;
} ModelCase;

static char *tmpdir;

static BlockDriverState *open_img(const char *path, const char *fmt)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, fmt, BDRV_O_RDWR, &err);
    if (!bs) {
        g_error("open %s: %s", path, error_get_pretty(err));
    }
    return bs;
}

static void verify(BlockDriverState *bs, const uint8_t *model)
{
    g_autofree uint8_t *buf = g_malloc(IMG_SIZE);
    g_assert_cmpint(bdrv_pread(bs, 0, IMG_SIZE, buf), ==, 0);
    for (size_t i = 0; i < IMG_SIZE; i++) {
        if (buf[i] != model[i]) {
            g_error("mismatch at %zu: %02x != %02x", i, buf[i], model[i]);
        }
    }
}

static void check_clean(BlockDriverState *bs)
{
    BdrvCheckResult res = {.log = g_string_new(NULL)};
    if (!bdrv_can_check(bs)) {
        g_string_free(res.log, true);
        return;
    }
    g_assert_cmpint(bdrv_check(bs, &res, BDRV_FIX_NONE), ==, 0);
    if (res.corruptions || res.leaks || res.check_errors) {
        g_error("check: %d corruptions %d leaks\n%s", res.corruptions,
                res.leaks, res.log->str);
    }
    g_string_free(res.log, true);
}

static void run_case(gconstpointer data)
{
    const ModelCase *c = data;
    g_autofree char *path = g_build_filename(tmpdir, "img", NULL);
    g_autofree char *base = g_build_filename(tmpdir, "base.raw", NULL);
    g_autofree uint8_t *model = g_malloc0(IMG_SIZE);
    g_autofree uint8_t *backing = g_malloc0(IMG_SIZE);
    g_autofree uint8_t *snap = NULL;
    const char *seed_s = g_getenv("MODEL_SEED");
    GRand *r = g_rand_new_with_seed(seed_s ? atoi(seed_s) : 42);
    Error *err = NULL;

    if (c->backing) {
        for (size_t i = 0; i < IMG_SIZE; i++) {
            backing[i] = g_rand_int(r);
        }
        g_assert_true(
            g_file_set_contents(base, (char *)backing, IMG_SIZE, NULL));
        memcpy(model, backing, IMG_SIZE);
    }
    Opts *o = c->opts ? opts_parse(c->opts, NULL, NULL, &err) : opts_new();
    g_assert_nonnull(o);
    g_autofree char *sz = g_strdup_printf("%d", IMG_SIZE);
    opts_set(o, "size", sz);
    if (c->backing) {
        opts_set(o, "backing_file", base);
        opts_set(o, "backing_fmt", "raw");
    }
    if (!bdrv_create(c->fmt, path, o, &err)) {
        g_error("create: %s", error_get_pretty(err));
    }
    opts_free(o);

    BlockDriverState *bs = open_img(path, c->fmt);
    BlockDriverInfo bdi;
    bdrv_get_info(bs, &bdi);
    uint64_t cs = bdi.cluster_size ? bdi.cluster_size : 4096;
    bool v2 = c->opts && strstr(c->opts, "compat=0.10");
    g_autofree uint8_t *buf = g_malloc(4 * cs + 8192);

    for (int i = 0; i < 400; i++) {
        int op = g_rand_int_range(r, 0, 10);
        uint64_t len = g_rand_int_range(r, 1, 3 * cs + 4096);
        uint64_t off = g_rand_int_range(r, 0, IMG_SIZE - 1);
        if (g_rand_boolean(r)) {
            off &= ~511ULL;
            len = (len + 511) & ~511ULL;
        }
        len = MIN(len, IMG_SIZE - off);
        if (op < 5) {
            for (uint64_t k = 0; k < len; k++) {
                buf[k] = g_rand_int(r);
            }
            g_assert_cmpint(bdrv_pwrite(bs, off, len, buf, 0), ==, 0);
            memcpy(model + off, buf, len);
        } else if (op < 7) {
            int fl = g_rand_boolean(r) ? BDRV_REQ_MAY_UNMAP : 0;
            g_assert_cmpint(bdrv_pwrite_zeroes(bs, off, len, fl), ==, 0);
            memset(model + off, 0, len);
        } else if (op < 8) {
            /* Discard whole clusters only: the outcome is then defined. */
            uint64_t a = (off + cs - 1) & ~(cs - 1);
            uint64_t b = (off + len) & ~(cs - 1);
            if (a < b && !strcmp(c->fmt, "qcow2")) {
                g_assert_cmpint(bdrv_discard(bs, a, b - a), ==, 0);
                if (c->backing && v2) {
                    memcpy(model + a, backing + a, b - a);
                } else {
                    memset(model + a, 0, b - a);
                }
            }
        } else if (op < 9 && c->compress) {
            uint64_t a = off & ~(cs - 1);
            uint64_t n = MIN(cs, IMG_SIZE - a);
            for (uint64_t k = 0; k < n; k++) {
                buf[k] = (k / 7) & 0xff; /* compressible */
            }
            buf[g_rand_int_range(r, 0, n)] = g_rand_int(r);
            g_assert_cmpint(bdrv_pwrite_compressed(bs, a, n, buf), ==, 0);
            memcpy(model + a, buf, n);
        } else if (c->snapshots) {
            if (!snap) {
                g_assert_cmpint(bdrv_snapshot_create(bs, "s1", &err), ==, 0);
                snap = g_memdup2(model, IMG_SIZE);
            } else if (g_rand_boolean(r)) {
                g_assert_cmpint(bdrv_snapshot_goto(bs, "s1", &err), ==, 0);
                memcpy(model, snap, IMG_SIZE);
            } else {
                g_assert_cmpint(bdrv_snapshot_delete(bs, "s1", &err), ==, 0);
                g_clear_pointer(&snap, g_free);
            }
        }
        if (g_getenv("MODEL_DEBUG")) {
            g_printerr("op %d: kind %d off %" PRIu64 " len %" PRIu64 "\n", i,
                       op, off, len);
            verify(bs, model);
            check_clean(bs);
        }
        if (i % 100 == 99) {
            verify(bs, model);
            check_clean(bs);
        }
    }
    verify(bs, model);
    bdrv_unref(bs);
    bs = open_img(path, c->fmt);
    verify(bs, model);
    check_clean(bs);
    bdrv_unref(bs);
    g_rand_free(r);
    g_unlink(path);
    g_unlink(base);
}

static const ModelCase cases[] = {
    {"raw", "raw", NULL, false, false, false},
    {"qcow2", "qcow2", NULL, false, true, true},
    {"qcow2-512", "qcow2", "cluster_size=512", false, true, true},
    {"qcow2-4k-rc1", "qcow2", "cluster_size=4k,refcount_bits=1", false, false,
     true},
    {"qcow2-rc64", "qcow2", "cluster_size=8k,refcount_bits=64", false, true,
     true},
    {"qcow2-rc2", "qcow2", "cluster_size=1k,refcount_bits=2", false, true,
     false},
    {"qcow2-v2", "qcow2", "compat=0.10,cluster_size=16k", false, true, true},
    {"qcow2-extl2", "qcow2", "extended_l2=on,cluster_size=32k", false, true,
     false},
    {"qcow2-backing", "qcow2", "cluster_size=4k", true, true, false},
    {"qcow2-v2-backing", "qcow2", "compat=0.10", true, false, false},
    {"qcow2-extl2-backing", "qcow2", "extended_l2=on", true, false, false},
    {"qcow2-zstd", "qcow2", "compression_type=zstd,cluster_size=4k", false,
     false, true},
    {"qcow2-prealloc", "qcow2", "preallocation=metadata,cluster_size=4k", false,
     true, false},
};

/*
 * Four threads, each owning a disjoint slice of one qcow2 image (small
 * clusters, so they share L2 tables and refcount blocks), write, zero and
 * read concurrently; afterwards every slice holds its thread's model and
 * check() is clean.
 */
typedef struct ThreadCtx {
    BlockDriverState *bs;
    uint64_t start, len;
    uint8_t *model;
    int seed;
} ThreadCtx;

static gpointer thread_fn(gpointer opaque)
{
    ThreadCtx *t = opaque;
    GRand *r = g_rand_new_with_seed(t->seed);
    uint8_t *buf = g_malloc(64 * 1024);
    for (int i = 0; i < 300; i++) {
        uint64_t len = g_rand_int_range(r, 1, 40000);
        uint64_t off = g_rand_int_range(r, 0, t->len - 1);
        len = MIN(len, t->len - off);
        if (g_rand_int_range(r, 0, 4)) {
            memset(buf, g_rand_int(r), len);
            g_assert_cmpint(bdrv_pwrite(t->bs, t->start + off, len, buf, 0), ==,
                            0);
            memcpy(t->model + off, buf, len);
        } else {
            g_assert_cmpint(bdrv_pwrite_zeroes(t->bs, t->start + off, len,
                                               BDRV_REQ_MAY_UNMAP),
                            ==, 0);
            memset(t->model + off, 0, len);
        }
        g_assert_cmpint(bdrv_pread(t->bs, t->start + off, len, buf), ==, 0);
        g_assert_cmpmem(buf, len, t->model + off, len);
    }
    g_free(buf);
    g_rand_free(r);
    return NULL;
}

static void test_threads(void)
{
    g_autofree char *path = g_build_filename(tmpdir, "threads", NULL);
    Error *err = NULL;
    Opts *o = opts_parse("cluster_size=4k", NULL, NULL, &err);
    opts_set(o, "size", "4M");
    g_assert_true(bdrv_create("qcow2", path, o, &err));
    opts_free(o);
    BlockDriverState *bs = open_img(path, "qcow2");
    ThreadCtx t[4];
    GThread *th[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (ThreadCtx){bs, (uint64_t)i << 20, 1 << 20, g_malloc0(1 << 20),
                           i + 1};
        th[i] = g_thread_new("writer", thread_fn, &t[i]);
    }
    g_autofree uint8_t *buf = g_malloc(1 << 20);
    for (int i = 0; i < 4; i++) {
        g_thread_join(th[i]);
        g_assert_cmpint(bdrv_pread(bs, t[i].start, 1 << 20, buf), ==, 0);
        g_assert_cmpmem(buf, 1 << 20, t[i].model, 1 << 20);
        g_free(t[i].model);
    }
    check_clean(bs);
    bdrv_unref(bs);
    g_unlink(path);
}

/* Racing whole-cluster writes to the same clusters: any winner, no leak. */
static gpointer race_fn(gpointer opaque)
{
    ThreadCtx *t = opaque;
    GRand *r = g_rand_new_with_seed(t->seed);
    uint8_t *buf = g_malloc(64 * 1024);
    memset(buf, t->seed, 64 * 1024);
    for (int i = 0; i < 400; i++) {
        uint64_t n = g_rand_int_range(r, 1, 16) * 4096;
        uint64_t off = g_rand_int_range(r, 0, 64) * 4096;
        n = MIN(n, t->len - off);
        g_assert_cmpint(bdrv_pwrite(t->bs, off, n, buf, 0), ==, 0);
        if (i % 50 == 0) {
            g_assert_cmpint(
                bdrv_pwrite_zeroes(t->bs, off, n, BDRV_REQ_MAY_UNMAP), ==, 0);
        }
    }
    g_free(buf);
    g_rand_free(r);
    return NULL;
}

static void test_threads_race(void)
{
    g_autofree char *path = g_build_filename(tmpdir, "race", NULL);
    Error *err = NULL;
    Opts *o = opts_parse("cluster_size=4k", NULL, NULL, &err);
    opts_set(o, "size", "1M");
    g_assert_true(bdrv_create("qcow2", path, o, &err));
    opts_free(o);
    BlockDriverState *bs = open_img(path, "qcow2");
    ThreadCtx t[4];
    GThread *th[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (ThreadCtx){bs, 0, 256 * 1024, NULL, i + 1};
        th[i] = g_thread_new("racer", race_fn, &t[i]);
    }
    for (int i = 0; i < 4; i++) {
        g_thread_join(th[i]);
    }
    g_autofree uint8_t *buf = g_malloc(256 * 1024);
    g_assert_cmpint(bdrv_pread(bs, 0, 256 * 1024, buf), ==, 0);
    for (int c = 0; c < 64; c++) {
        for (int k = 1; k < 4096; k++) {
            g_assert_cmpint(buf[c * 4096 + k], ==, buf[c * 4096]);
        }
        g_assert_cmpint(buf[c * 4096], <=, 4);
    }
    check_clean(bs);
    bdrv_unref(bs);
    g_unlink(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    error_set_progname("test-block-model");
    tmpdir = g_dir_make_tmp("quasar-block-XXXXXX", NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *p = g_strdup_printf("/block/model/%s", cases[i].name);
        g_test_add_data_func(p, &cases[i], run_case);
    }
    g_test_add_func("/block/threads/qcow2", test_threads);
    g_test_add_func("/block/threads/qcow2-race", test_threads_race);
    int ret = g_test_run();
    g_rmdir(tmpdir);
    return ret;
}
