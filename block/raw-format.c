/*
 * The `raw` format: guest bytes are host file bytes, one to one.
 * Everything is passed to the protocol node below.
 */
#include <errno.h>
#include "block/block_int.h"

static int raw_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    return 1; /* anything is raw; every other format scores higher */
}

static int raw_open(BlockDriverState *bs, int flags, Error **errp)
{
    return 0;
}

static int raw_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                     void *buf)
{
    return bs->file->drv->pread(bs->file, offset, bytes, buf);
}

static int raw_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      const void *buf, int flags)
{
    return bs->file->drv->pwrite(bs->file, offset, bytes, buf, flags);
}

static int raw_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, int flags)
{
    return bs->file->drv->pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int raw_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    return bs->file->drv->discard(bs->file, offset, bytes);
}

static int raw_truncate(BlockDriverState *bs, uint64_t size, bool exact,
                        PreallocMode prealloc, Error **errp)
{
    if (prealloc == PREALLOC_MODE_METADATA) {
        error_setg(errp, "Unsupported preallocation mode 'metadata'");
        return -ENOTSUP;
    }
    return bs->file->drv->truncate(bs->file, size, exact, prealloc, errp);
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file);
}

static int raw_block_status(BlockDriverState *bs, uint64_t offset,
                            uint64_t bytes, uint64_t *pnum, uint64_t *map,
                            BlockDriverState **file)
{
    *pnum = bytes;
    *map = offset;
    *file = bs->file;
    return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID | BDRV_BLOCK_RAW;
}

static int raw_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    bdi->unallocated_blocks_are_zero = true;
    return 0;
}

static bool raw_has_zero_init(BlockDriverState *bs)
{
    return bdrv_has_zero_init(bs->file);
}

static int raw_create(const char *filename, Opts *opts, Error **errp)
{
    return bdrv_file.create(filename, opts, errp);
}

static bool raw_measure(Opts *opts, BlockDriverState *in_bs, uint64_t size,
                        BlockMeasureInfo *info, Error **errp)
{
    /* QEMU counts the whole virtual size, sparse source or not. */
    info->fully_allocated = size;
    info->required = size;
    return true;
}

/* preallocation and nocow come from the file protocol's table. */
static const OptDesc raw_create_opts[] = {
    {"size", OPT_SIZE, "Virtual disk size"},
    {NULL},
};

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .create_opts = raw_create_opts,
    .probe = raw_probe,
    .open = raw_open,
    .create = raw_create,
    .pread = raw_pread,
    .pwrite = raw_pwrite,
    .pwrite_zeroes = raw_pwrite_zeroes,
    .discard = raw_discard,
    .truncate = raw_truncate,
    .getlength = raw_getlength,
    .block_status = raw_block_status,
    .get_info = raw_get_info,
    .has_zero_init = raw_has_zero_init,
    .measure = raw_measure,
};
