/*
 * The asynchronous request pool: many overlapping-in-time requests on a
 * qcow2 image from several worker threads; every completion runs on the
 * main loop thread; the data read back equals what was written.
 */
#include <string.h>
#include <glib/gstdio.h>
#include "block/aio-pool.h"

#define NREQ  64
#define CHUNK (48 * 1024)

typedef struct Req {
    struct iovec iov[2];
    uint8_t *buf;
    int ret;
    bool done;
} Req;

static GThread *main_thread;
static int completed;

static void done_cb(void *opaque, int ret)
{
    Req *r = opaque;
    g_assert_true(g_thread_self() == main_thread);
    r->ret = ret;
    r->done = true;
    completed++;
}

static void run_until(int n)
{
    while (completed < n) {
        g_main_context_iteration(NULL, TRUE);
    }
}

static void test_pool(void)
{
    g_autofree char *dir = g_dir_make_tmp("quasar-aio-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "a.qcow2", NULL);
    Error *err = NULL;
    Opts *o = opts_new();
    opts_set(o, "size", "8M");
    g_assert_true(bdrv_create("qcow2", path, o, &err));
    opts_free(o);
    BlockDriverState *bs = bdrv_open(path, "qcow2", BDRV_O_RDWR, &err);
    g_assert_nonnull(bs);

    main_thread = g_thread_self();
    BlockAioPool *pool = blk_aio_pool_new(NULL, 4);
    Req w[NREQ], rd[NREQ];
    completed = 0;
    for (int i = 0; i < NREQ; i++) {
        w[i] = (Req){.buf = g_malloc(CHUNK)};
        memset(w[i].buf, i + 1, CHUNK);
        /* Two iovec elements, to exercise the vectored path. */
        w[i].iov[0] = (struct iovec){w[i].buf, 1000};
        w[i].iov[1] = (struct iovec){w[i].buf + 1000, CHUNK - 1000};
        blk_aio_pwritev(pool, bs, (uint64_t)i * CHUNK, w[i].iov, 2, 0, done_cb,
                        &w[i]);
    }
    g_assert_cmpuint(blk_aio_pool_in_flight(pool), <=, NREQ);
    run_until(NREQ);
    Req fl = {0};
    blk_aio_flush(pool, bs, done_cb, &fl);
    run_until(NREQ + 1);
    g_assert_true(fl.done);
    g_assert_cmpint(fl.ret, ==, 0);
    for (int i = 0; i < NREQ; i++) {
        g_assert_true(w[i].done);
        g_assert_cmpint(w[i].ret, ==, 0);
        rd[i] = (Req){.buf = g_malloc0(CHUNK)};
        rd[i].iov[0] = (struct iovec){rd[i].buf, CHUNK};
        blk_aio_preadv(pool, bs, (uint64_t)i * CHUNK, rd[i].iov, 1, done_cb,
                       &rd[i]);
    }
    run_until(2 * NREQ + 1);
    for (int i = 0; i < NREQ; i++) {
        g_assert_cmpint(rd[i].ret, ==, 0);
        g_assert_cmpmem(rd[i].buf, CHUNK, w[i].buf, CHUNK);
        g_free(rd[i].buf);
        g_free(w[i].buf);
    }
    /* Errors come back through the callback too. */
    Req bad = {0};
    static uint8_t one[512];
    struct iovec iov = {one, sizeof(one)};
    blk_aio_preadv(pool, bs, 64 * 1024 * 1024, &iov, 1, done_cb, &bad);
    Req z = {0};
    blk_aio_pwrite_zeroes(pool, bs, 0, CHUNK, 0, done_cb, &z);
    blk_aio_pool_free(pool); /* drains: both callbacks have run */
    g_assert_true(bad.done && z.done);
    g_assert_cmpint(bad.ret, <, 0);
    g_assert_cmpint(z.ret, ==, 0);

    BdrvCheckResult res = {.log = g_string_new(NULL)};
    g_assert_cmpint(bdrv_check(bs, &res, BDRV_FIX_NONE), ==, 0);
    g_assert_cmpint(res.corruptions + res.leaks, ==, 0);
    g_string_free(res.log, true);
    bdrv_unref(bs);
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/block/aio-pool/rw", test_pool);
    return g_test_run();
}
