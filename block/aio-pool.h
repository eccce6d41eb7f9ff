/*
 * Asynchronous block requests for device models.
 *
 * A BlockAioPool runs requests on worker threads (the drivers are
 * thread-safe) and delivers each completion on the GMainContext it was
 * created for, so a device model's callback runs on the main loop, never
 * on a worker:
 *
 *     BlockAioPool *pool = blk_aio_pool_new(NULL, 4);   // default context
 *     blk_aio_preadv(pool, bs, 4096, iov, 1, my_done, req);
 *     ...main loop runs... my_done(req, 0) is called there.
 *     blk_aio_pool_free(pool);    // waits for requests still in flight
 *
 * The iovec array and buffers must stay valid until the callback.
 *
 * Reads, writes and flushes of a raw image (or a file node) opened with
 * BDRV_O_IO_URING (aio=io_uring) go to an io_uring ring instead of the
 * threads; everything else, and every request on a kernel that refuses
 * io_uring, runs on the threads.
 */
#ifndef BLOCK_AIO_POOL_H
#define BLOCK_AIO_POOL_H

#include <sys/uio.h>
#include <glib.h>
#include "block/block.h"

typedef struct BlockAioPool BlockAioPool;
/* ret: 0 or -errno from the driver. */
typedef void BlockCompletionFunc(void *opaque, int ret);

/* ctx NULL means the default main context; nthreads >= 1. */
BlockAioPool *blk_aio_pool_new(GMainContext *ctx, int nthreads);
/* Waits for every submitted request to complete (callbacks included). */
void blk_aio_pool_free(BlockAioPool *pool);
/* Requests submitted and not yet completed (callback not yet run). */
unsigned blk_aio_pool_in_flight(BlockAioPool *pool);
/* Requests served by the pool's io_uring ring so far (aio=io_uring). */
uint64_t blk_aio_pool_ring_requests(BlockAioPool *pool);

void blk_aio_preadv(BlockAioPool *pool, BlockDriverState *bs, uint64_t offset,
                    const struct iovec *iov, int niov, BlockCompletionFunc *cb,
                    void *opaque);
void blk_aio_pwritev(BlockAioPool *pool, BlockDriverState *bs, uint64_t offset,
                     const struct iovec *iov, int niov, int flags,
                     BlockCompletionFunc *cb, void *opaque);
void blk_aio_pwrite_zeroes(BlockAioPool *pool, BlockDriverState *bs,
                           uint64_t offset, uint64_t bytes, int flags,
                           BlockCompletionFunc *cb, void *opaque);
void blk_aio_discard(BlockAioPool *pool, BlockDriverState *bs, uint64_t offset,
                     uint64_t bytes, BlockCompletionFunc *cb, void *opaque);
void blk_aio_flush(BlockAioPool *pool, BlockDriverState *bs,
                   BlockCompletionFunc *cb, void *opaque);

#endif
