/*
 * Asynchronous block requests: a GThreadPool runs the synchronous driver
 * calls; each completion is handed to the pool's GMainContext as an idle
 * source, so callbacks run on the main loop thread.
 *
 * Reads, writes and flushes of nodes whose bytes are the host file's
 * (file, or raw over file) opened with aio=io_uring skip the threads: they
 * go to an io_uring ring owned by the pool, whose completions signal an
 * eventfd watched by a GSource on the same context.  Short transfers are
 * resubmitted for the rest; a read reaching end of file zero-fills.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <glib-unix.h>
#include <limits.h>
#include "block/aio-pool.h"
#include "block/block_int.h"
#include "block/io-uring.h"

#define RING_ENTRIES 128
#define DIRECT_ALIGN 4096

typedef enum AioOp {
    AIO_READ,
    AIO_WRITE,
    AIO_ZEROES,
    AIO_DISCARD,
    AIO_FLUSH,
} AioOp;

typedef struct AioReq {
    BlockAioPool *pool;
    AioOp op;
    BlockDriverState *bs;
    uint64_t offset;
    uint64_t bytes;
    const struct iovec *iov;
    int niov;
    int flags;
    int ret;
    BlockCompletionFunc *cb;
    void *opaque;
    /* io_uring path: the host fd and what is left to transfer. */
    int fd;
    struct iovec *riov; /* own copy, advanced over short transfers */
    int rniov;
    uint64_t done;
} AioReq;

struct BlockAioPool {
    GThreadPool *threads;
    GMainContext *ctx;
    GMutex lock;
    GCond idle;
    unsigned in_flight;
    GQueue done; /* completed on a worker, callback not yet run */
    bool done_scheduled;

    /* io_uring, created on the first request that can use it. */
    GMutex ring_lock;
    LuRing *ring;
    bool ring_failed;
    int efd;
    GSource *ring_src;
    GQueue ring_wait; /* requests waiting for a submission slot */
    unsigned ring_busy;
    uint64_t ring_requests;
};

/* Runs the callback (on the pool's context) and forgets the request. */
static void aio_finish(AioReq *r)
{
    BlockAioPool *p = r->pool;
    r->cb(r->opaque, r->ret);
    g_mutex_lock(&p->lock);
    p->in_flight--;
    g_cond_broadcast(&p->idle);
    g_mutex_unlock(&p->lock);
    g_free(r->riov);
    g_free(r);
}

/* Runs every completion the workers have queued since the last call. */
static gboolean aio_complete(gpointer data)
{
    BlockAioPool *p = data;
    g_mutex_lock(&p->lock);
    GQueue done = p->done;
    g_queue_init(&p->done);
    p->done_scheduled = false;
    g_mutex_unlock(&p->lock);
    AioReq *r;
    while ((r = g_queue_pop_head(&done))) {
        aio_finish(r);
    }
    return G_SOURCE_REMOVE;
}

static void aio_worker(gpointer data, gpointer user_data)
{
    AioReq *r = data;
    switch (r->op) {
    case AIO_READ:
        r->ret = bdrv_preadv(r->bs, r->offset, r->iov, r->niov);
        break;
    case AIO_WRITE:
        r->ret = bdrv_pwritev(r->bs, r->offset, r->iov, r->niov, r->flags);
        break;
    case AIO_ZEROES:
        r->ret = bdrv_pwrite_zeroes(r->bs, r->offset, r->bytes, r->flags);
        break;
    case AIO_DISCARD:
        r->ret = bdrv_discard(r->bs, r->offset, r->bytes);
        break;
    case AIO_FLUSH:
        r->ret = bdrv_flush(r->bs);
        break;
    }
    /* One idle source collects every completion queued meanwhile. */
    BlockAioPool *p = r->pool;
    g_mutex_lock(&p->lock);
    g_queue_push_tail(&p->done, r);
    bool schedule = !p->done_scheduled;
    p->done_scheduled = true;
    g_mutex_unlock(&p->lock);
    if (schedule) {
        GSource *src = g_idle_source_new();
        g_source_set_priority(src, G_PRIORITY_DEFAULT);
        g_source_set_callback(src, aio_complete, p, NULL);
        g_source_attach(src, p->ctx);
        g_source_unref(src);
    }
}

/* ---- io_uring path ----------------------------------------------------- */

/* Prepares r's next transfer in a free slot; false when there is none. */
static bool ring_queue(BlockAioPool *p, AioReq *r)
{
    if (p->ring_busy >= RING_ENTRIES) {
        return false; /* keep the completion queue from overflowing */
    }
    struct io_uring_sqe *sqe = luring_get_sqe(p->ring);
    if (!sqe) {
        return false;
    }
    uint64_t tag = (uint64_t)(uintptr_t)r;
    if (r->op == AIO_FLUSH) {
        luring_prep_rw(sqe, IORING_OP_FSYNC, r->fd, NULL, 0, 0, tag);
        sqe->fsync_flags = IORING_FSYNC_DATASYNC;
    } else {
        luring_prep_rw(
            sqe, r->op == AIO_READ ? IORING_OP_READV : IORING_OP_WRITEV, r->fd,
            r->riov, (uint32_t)r->rniov, r->offset + r->done, tag);
    }
    p->ring_busy++;
    return true;
}

/* Drops the first n transferred bytes from r's remaining iovec. */
static void ring_advance(AioReq *r, uint64_t n)
{
    r->done += n;
    while (n && r->rniov) {
        if (n < r->riov[0].iov_len) {
            r->riov[0].iov_base = (uint8_t *)r->riov[0].iov_base + n;
            r->riov[0].iov_len -= n;
            return;
        }
        n -= r->riov[0].iov_len;
        memmove(r->riov, r->riov + 1, (r->rniov - 1) * sizeof(*r->riov));
        r->rniov--;
    }
}

/* Accounts one completion; true when r needs another transfer. */
static bool ring_progress(AioReq *r, int res)
{
    if (res == -EINTR || res == -EAGAIN) {
        return true;
    }
    if (r->op == AIO_FLUSH || res < 0) {
        r->ret = res < 0 ? res : 0;
        return false;
    }
    if (res == 0) {
        if (r->op == AIO_WRITE) {
            r->ret = -EIO;
            return false;
        }
        for (int i = 0; i < r->rniov; i++) {
            memset(r->riov[i].iov_base, 0, r->riov[i].iov_len); /* EOF */
        }
        r->ret = 0;
        return false;
    }
    ring_advance(r, (uint64_t)res);
    r->ret = 0;
    return r->rniov > 0;
}

static gboolean ring_dispatch(gint fd, GIOCondition cond, gpointer data)
{
    BlockAioPool *p = data;
    GQueue done = G_QUEUE_INIT;
    struct io_uring_cqe cqe;
    uint64_t v;

    if (read(fd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing signalled; look at the queue anyway. */
    }
    g_mutex_lock(&p->ring_lock);
    while (luring_pop_cqe(p->ring, &cqe)) {
        AioReq *r = (AioReq *)(uintptr_t)cqe.user_data;
        p->ring_busy--;
        if (ring_progress(r, cqe.res)) {
            g_queue_push_head(&p->ring_wait, r);
        } else {
            g_queue_push_tail(&done, r);
        }
    }
    while (!g_queue_is_empty(&p->ring_wait) &&
           ring_queue(p, g_queue_peek_head(&p->ring_wait))) {
        g_queue_pop_head(&p->ring_wait);
    }
    luring_submit(p->ring, 0);
    g_mutex_unlock(&p->ring_lock);
    AioReq *r;
    while ((r = g_queue_pop_head(&done))) {
        aio_finish(r);
    }
    return G_SOURCE_CONTINUE;
}

/* Creates the ring and its eventfd watch; false if the kernel refuses. */
static bool ring_setup(BlockAioPool *p)
{
    int err = 0;
    if (p->ring || p->ring_failed) {
        return p->ring != NULL;
    }
    p->ring_failed = true;
    p->ring = luring_new(RING_ENTRIES, &err);
    if (!p->ring) {
        return false;
    }
    p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->efd < 0 || luring_register_eventfd(p->ring, p->efd) < 0) {
        if (p->efd >= 0) {
            close(p->efd);
        }
        luring_free(p->ring);
        p->ring = NULL;
        return false;
    }
    p->ring_src = g_unix_fd_source_new(p->efd, G_IO_IN);
    g_source_set_callback(p->ring_src, G_SOURCE_FUNC(ring_dispatch), p, NULL);
    g_source_attach(p->ring_src, p->ctx);
    p->ring_failed = false;
    return true;
}

static bool aligned(uint64_t v)
{
    return !(v & (DIRECT_ALIGN - 1));
}

/*
 * Whether r can go to the ring: a read, write or flush of a node whose
 * bytes are the host file's, opened with aio=io_uring, inside the node,
 * aligned when the file is O_DIRECT.  Anything else (errors included)
 * takes the thread path, which reports what is wrong.
 */
static bool ring_eligible(AioReq *r)
{
    bool direct;
    BlockDriverState *bs = r->bs;

    if (r->op != AIO_READ && r->op != AIO_WRITE && r->op != AIO_FLUSH) {
        return false;
    }
    if (!bdrv_uring_fd(bs, &r->fd, &direct)) {
        return false;
    }
    if (r->op == AIO_FLUSH) {
        return !bs->read_only && !(bs->open_flags & BDRV_O_NO_FLUSH);
    }
    if ((r->op == AIO_WRITE && bs->read_only) || r->niov > IOV_MAX ||
        r->niov < 1) {
        return false;
    }
    uint64_t n = 0;
    for (int i = 0; i < r->niov; i++) {
        n += r->iov[i].iov_len;
        if (direct && (!aligned((uintptr_t)r->iov[i].iov_base) ||
                       !aligned(r->iov[i].iov_len))) {
            return false;
        }
    }
    if (direct && !aligned(r->offset)) {
        return false;
    }
    if (bs->file) { /* raw: stay inside the node */
        int64_t len = bdrv_getlength(bs);
        if (len < 0 || r->offset > (uint64_t)len ||
            n > (uint64_t)len - r->offset) {
            return false;
        }
    }
    return true;
}

static bool ring_submit(BlockAioPool *p, AioReq *r)
{
    g_mutex_lock(&p->ring_lock);
    if (!ring_setup(p)) {
        g_mutex_unlock(&p->ring_lock);
        return false;
    }
    if (r->op != AIO_FLUSH) {
        r->riov = g_memdup2(r->iov, r->niov * sizeof(*r->iov));
        r->rniov = r->niov;
    }
    p->ring_requests++;
    if (!g_queue_is_empty(&p->ring_wait) || !ring_queue(p, r)) {
        g_queue_push_tail(&p->ring_wait, r);
    }
    luring_submit(p->ring, 0);
    g_mutex_unlock(&p->ring_lock);
    return true;
}

/* ---- pool -------------------------------------------------------------- */

BlockAioPool *blk_aio_pool_new(GMainContext *ctx, int nthreads)
{
    BlockAioPool *p = g_new0(BlockAioPool, 1);
    p->ctx = ctx ? g_main_context_ref(ctx)
                 : g_main_context_ref(g_main_context_default());
    g_mutex_init(&p->lock);
    g_cond_init(&p->idle);
    g_mutex_init(&p->ring_lock);
    g_queue_init(&p->ring_wait);
    g_queue_init(&p->done);
    p->efd = -1;
    p->threads =
        g_thread_pool_new(aio_worker, p, MAX(nthreads, 1), FALSE, NULL);
    return p;
}

unsigned blk_aio_pool_in_flight(BlockAioPool *p)
{
    g_mutex_lock(&p->lock);
    unsigned n = p->in_flight;
    g_mutex_unlock(&p->lock);
    return n;
}

uint64_t blk_aio_pool_ring_requests(BlockAioPool *p)
{
    g_mutex_lock(&p->ring_lock);
    uint64_t n = p->ring_requests;
    g_mutex_unlock(&p->ring_lock);
    return n;
}

void blk_aio_pool_free(BlockAioPool *p)
{
    if (!p) {
        return;
    }
    /* Drain: completions need the context; run it if we own it. */
    while (blk_aio_pool_in_flight(p)) {
        if (g_main_context_acquire(p->ctx)) {
            g_main_context_iteration(p->ctx, TRUE);
            g_main_context_release(p->ctx);
        } else {
            g_mutex_lock(&p->lock);
            if (p->in_flight) {
                g_cond_wait_until(&p->idle, &p->lock,
                                  g_get_monotonic_time() + 10000);
            }
            g_mutex_unlock(&p->lock);
        }
    }
    g_thread_pool_free(p->threads, FALSE, TRUE);
    if (p->ring_src) {
        g_source_destroy(p->ring_src);
        g_source_unref(p->ring_src);
    }
    if (p->efd >= 0) {
        close(p->efd);
    }
    luring_free(p->ring);
    g_mutex_clear(&p->ring_lock);
    g_main_context_unref(p->ctx);
    g_mutex_clear(&p->lock);
    g_cond_clear(&p->idle);
    g_free(p);
}

static void aio_submit(BlockAioPool *p, AioReq *r)
{
    r->pool = p;
    g_mutex_lock(&p->lock);
    p->in_flight++;
    g_mutex_unlock(&p->lock);
    if (ring_eligible(r) && ring_submit(p, r)) {
        return;
    }
    g_thread_pool_push(p->threads, r, NULL);
}

static AioReq *aio_req(AioOp op, BlockDriverState *bs, uint64_t offset,
                       BlockCompletionFunc *cb, void *opaque)
{
    AioReq *r = g_new0(AioReq, 1);
    r->op = op;
    r->bs = bs;
    r->offset = offset;
    r->cb = cb;
    r->opaque = opaque;
    return r;
}

void blk_aio_preadv(BlockAioPool *pool, BlockDriverState *bs, uint64_t offset,
                    const struct iovec *iov, int niov, BlockCompletionFunc *cb,
                    void *opaque)
{
    AioReq *r = aio_req(AIO_READ, bs, offset, cb, opaque);
    r->iov = iov;
    r->niov = niov;
    aio_submit(pool, r);
}

void blk_aio_pwritev(BlockAioPool *pool, BlockDriverState *bs, uint64_t offset,
                     const struct iovec *iov, int niov, int flags,
                     BlockCompletionFunc *cb, void *opaque)
{
    AioReq *r = aio_req(AIO_WRITE, bs, offset, cb, opaque);
    r->iov = iov;
    r->niov = niov;
    r->flags = flags;
    aio_submit(pool, r);
}

void blk_aio_pwrite_zeroes(BlockAioPool *pool, BlockDriverState *bs,
                           uint64_t offset, uint64_t bytes, int flags,
                           BlockCompletionFunc *cb, void *opaque)
{
    AioReq *r = aio_req(AIO_ZEROES, bs, offset, cb, opaque);
    r->bytes = bytes;
    r->flags = flags;
    aio_submit(pool, r);
}

void blk_aio_discard(BlockAioPool *pool, BlockDriverState *bs, uint64_t offset,
                     uint64_t bytes, BlockCompletionFunc *cb, void *opaque)
{
    AioReq *r = aio_req(AIO_DISCARD, bs, offset, cb, opaque);
    r->bytes = bytes;
    aio_submit(pool, r);
}

void blk_aio_flush(BlockAioPool *pool, BlockDriverState *bs,
                   BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(pool, aio_req(AIO_FLUSH, bs, 0, cb, opaque));
}
