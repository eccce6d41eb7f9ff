/*
 * Asynchronous block requests: a GThreadPool runs the synchronous driver
 * calls; each completion is handed to the pool's GMainContext as an idle
 * source, so callbacks run on the main loop thread.
 */
#include <errno.h>
#include "block/aio-pool.h"

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
} AioReq;

struct BlockAioPool {
    GThreadPool *threads;
    GMainContext *ctx;
    GMutex lock;
    GCond idle;
    unsigned in_flight;
};

static gboolean aio_complete(gpointer data)
{
    AioReq *r = data;
    BlockAioPool *p = r->pool;
    r->cb(r->opaque, r->ret);
    g_mutex_lock(&p->lock);
    p->in_flight--;
    g_cond_broadcast(&p->idle);
    g_mutex_unlock(&p->lock);
    g_free(r);
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
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, aio_complete, r, NULL);
    g_source_attach(src, r->pool->ctx);
    g_source_unref(src);
}

BlockAioPool *blk_aio_pool_new(GMainContext *ctx, int nthreads)
{
    BlockAioPool *p = g_new0(BlockAioPool, 1);
    p->ctx = ctx ? g_main_context_ref(ctx)
                 : g_main_context_ref(g_main_context_default());
    g_mutex_init(&p->lock);
    g_cond_init(&p->idle);
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
