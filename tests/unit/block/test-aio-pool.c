/*
 * The asynchronous request pool: many overlapping-in-time requests on a
 * qcow2 image from several worker threads; every completion runs on the
 * main loop thread; the data read back equals what was written.  The same
 * with aio=io_uring: a raw image (buffered and O_DIRECT) whose reads,
 * writes and flushes go to the pool's ring, and a qcow2 image whose file
 * I/O goes through the workers' rings.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "block/aio-pool.h"
#include "block/io-uring.h"

typedef struct Variant {
    const char *fmt;
    int flags;
    size_t split; /* first iovec element's length */
    bool expect_ring;
} Variant;

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

static uint8_t *aligned_buf(size_t len)
{
    void *p = NULL;
    g_assert_cmpint(posix_memalign(&p, 4096, len), ==, 0);
    return p;
}

static bool need_io_uring(const Variant *v)
{
    int e = 0;
    if ((v->flags & BDRV_O_IO_URING) && !luring_available(&e)) {
        g_autofree char *why =
            g_strdup_printf("io_uring_setup refused: %s", g_strerror(e));
        g_test_skip(why);
        return false;
    }
    return true;
}

static void test_pool(gconstpointer data)
{
    const Variant *v = data;
    if (!need_io_uring(v)) {
        return;
    }
    g_autofree char *dir = g_dir_make_tmp("quasar-aio-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "a.img", NULL);
    Error *err = NULL;
    Opts *o = opts_new();
    opts_set(o, "size", "8M");
    g_assert_true(bdrv_create(v->fmt, path, o, &err));
    opts_free(o);
    BlockDriverState *bs =
        bdrv_open(path, v->fmt, BDRV_O_RDWR | v->flags, &err);
    if (err) {
        g_error("%s", error_get_pretty(err));
    }
    g_assert_nonnull(bs);

    main_thread = g_thread_self();
    BlockAioPool *pool = blk_aio_pool_new(NULL, 4);
    Req w[NREQ], rd[NREQ];
    completed = 0;
    for (int i = 0; i < NREQ; i++) {
        w[i] = (Req){.buf = aligned_buf(CHUNK)};
        memset(w[i].buf, i + 1, CHUNK);
        /* Two iovec elements, to exercise the vectored path. */
        w[i].iov[0] = (struct iovec){w[i].buf, v->split};
        w[i].iov[1] = (struct iovec){w[i].buf + v->split, CHUNK - v->split};
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
        rd[i] = (Req){.buf = aligned_buf(CHUNK)};
        memset(rd[i].buf, 0xee, CHUNK);
        rd[i].iov[0] = (struct iovec){rd[i].buf, CHUNK};
        blk_aio_preadv(pool, bs, (uint64_t)i * CHUNK, rd[i].iov, 1, done_cb,
                       &rd[i]);
    }
    run_until(2 * NREQ + 1);
    for (int i = 0; i < NREQ; i++) {
        g_assert_cmpint(rd[i].ret, ==, 0);
        g_assert_cmpmem(rd[i].buf, CHUNK, w[i].buf, CHUNK);
        free(rd[i].buf);
        free(w[i].buf);
    }
    /* Reads, writes and the flush went to the ring, or none did. */
    if (v->expect_ring) {
        g_assert_cmpuint(blk_aio_pool_ring_requests(pool), ==, 2 * NREQ + 1);
    } else {
        g_assert_cmpuint(blk_aio_pool_ring_requests(pool), ==, 0);
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

    if (bdrv_can_check(bs)) {
        BdrvCheckResult res = {.log = g_string_new(NULL)};
        g_assert_cmpint(bdrv_check(bs, &res, BDRV_FIX_NONE), ==, 0);
        g_assert_cmpint(res.corruptions + res.leaks, ==, 0);
        g_string_free(res.log, true);
    }
    bdrv_unref(bs);
    g_unlink(path);
    g_rmdir(dir);
}

/*
 * A file node on io_uring: a read that crosses the end of the file gets
 * the data then zeros (the ring's short read is continued, then EOF
 * zero-fills), exactly as the thread path does.
 */
static void test_uring_eof(void)
{
    int e = 0;
    if (!luring_available(&e)) {
        g_autofree char *why =
            g_strdup_printf("io_uring_setup refused: %s", g_strerror(e));
        g_test_skip(why);
        return;
    }
    g_autofree char *dir = g_dir_make_tmp("quasar-aio-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "f.raw", NULL);
    uint8_t data[6000];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }
    g_assert_true(g_file_set_contents(path, (char *)data, sizeof(data), NULL));
    Error *err = NULL;
    BlockDriverState *bs =
        bdrv_open(path, "file", BDRV_O_RDWR | BDRV_O_IO_URING, &err);
    if (err) {
        g_error("%s", error_get_pretty(err));
    }
    main_thread = g_thread_self();
    BlockAioPool *pool = blk_aio_pool_new(NULL, 2);
    uint8_t buf[3][8192];
    memset(buf, 0xee, sizeof(buf));
    struct iovec iov[3] = {{buf[0], 4096}, {buf[1], 8192}, {buf[2], 100}};
    Req r = {0};
    completed = 0;
    blk_aio_preadv(pool, bs, 1000, iov, 3, done_cb, &r);
    run_until(1);
    g_assert_cmpint(r.ret, ==, 0);
    g_assert_cmpmem(buf[0], 4096, data + 1000, 4096);
    g_assert_cmpmem(buf[1], 904, data + 5096, 904);
    for (int i = 904; i < 8192; i++) {
        g_assert_cmpint(buf[1][i], ==, 0);
    }
    for (int i = 0; i < 100; i++) {
        g_assert_cmpint(buf[2][i], ==, 0);
    }
    g_assert_cmpuint(blk_aio_pool_ring_requests(pool), ==, 1);
    /* Synchronous I/O of the node runs on the thread's own ring. */
    uint8_t back[6000];
    g_assert_cmpint(bdrv_pwrite(bs, 6000, 10, data, 0), ==, 0);
    g_assert_cmpint(bdrv_pread(bs, 0, sizeof(back), back), ==, 0);
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    g_assert_cmpint(bdrv_getlength(bs), ==, 6010);
    blk_aio_pool_free(pool);
    bdrv_unref(bs);
    g_unlink(path);
    g_rmdir(dir);
}

static const Variant v_threads = {"qcow2", 0, 1000, false};
static const Variant v_uring_raw = {"raw", BDRV_O_IO_URING, 1000, true};
static const Variant v_uring_direct = {"raw", BDRV_O_IO_URING | BDRV_O_NOCACHE,
                                       4096, true};
static const Variant v_uring_qcow2 = {"qcow2", BDRV_O_IO_URING, 1000, false};

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/block/aio-pool/rw", &v_threads, test_pool);
    g_test_add_data_func("/block/aio-pool/io_uring/raw", &v_uring_raw,
                         test_pool);
    g_test_add_data_func("/block/aio-pool/io_uring/raw-direct", &v_uring_direct,
                         test_pool);
    g_test_add_data_func("/block/aio-pool/io_uring/qcow2", &v_uring_qcow2,
                         test_pool);
    g_test_add_func("/block/aio-pool/io_uring/eof", test_uring_eof);
    return g_test_run();
}
