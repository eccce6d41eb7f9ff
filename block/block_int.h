/*
 * Block layer: the driver interface (private to block/).
 *
 * A driver is one const BlockDriver table.  Formats read and write their
 * image through bs->file (a protocol node); protocols talk to the host.
 * All offsets and lengths are in bytes; requests reaching a driver are
 * already checked against the node's length.
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include <limits.h>
#include "block/block.h"

struct BlockDriver {
    const char *format_name;
    size_t instance_size;
    bool is_protocol;
    bool supports_backing;
    const OptDesc *create_opts;

    /* Score 0..100 that buf (the first bytes of the file) is this format. */
    int (*probe)(const uint8_t *buf, int buf_size, const char *filename);
    /* Protocols: open bs->filename.  Formats: bs->file is already open. */
    int (*open)(BlockDriverState *bs, int flags, Error **errp);
    void (*close)(BlockDriverState *bs);
    int (*create)(const char *filename, Opts *opts, Error **errp);

    int (*pread)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                 void *buf);
    int (*pwrite)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                  const void *buf, int flags);
    int (*pwrite_zeroes)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                         int flags);
    int (*pwrite_compressed)(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, const void *buf);
    /* Compression split in two: the CPU part runs without any lock. */
    int (*compress_buffer)(BlockDriverState *bs, const void *in, void *out,
                           uint64_t out_len);
    int (*pwrite_precompressed)(BlockDriverState *bs, uint64_t offset,
                                const void *cdata, uint64_t clen);
    int (*discard)(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
    int (*flush)(BlockDriverState *bs);
    int (*truncate)(BlockDriverState *bs, uint64_t size, bool exact,
                    PreallocMode prealloc, Error **errp);
    int64_t (*getlength)(BlockDriverState *bs);
    int64_t (*get_allocated_file_size)(BlockDriverState *bs);
    int (*block_status)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        uint64_t *pnum, uint64_t *map, BlockDriverState **file);
    int (*get_info)(BlockDriverState *bs, BlockDriverInfo *bdi);
    void *(*get_specific_info)(BlockDriverState *bs);
    bool (*has_zero_init)(BlockDriverState *bs);
    int (*check)(BlockDriverState *bs, BdrvCheckResult *res, BdrvCheckMode fix);
    int (*change_backing_file)(BlockDriverState *bs, const char *file,
                               const char *fmt, Error **errp);
    int (*snapshot_list)(BlockDriverState *bs, QEMUSnapshotInfo **list);
    int (*snapshot_create)(BlockDriverState *bs, const char *name,
                           Error **errp);
    int (*snapshot_goto)(BlockDriverState *bs, const char *name, Error **errp);
    int (*snapshot_delete)(BlockDriverState *bs, const char *name,
                           Error **errp);
    int (*snapshot_load_tmp)(BlockDriverState *bs, const char *name,
                             Error **errp);
    int (*amend)(BlockDriverState *bs, Opts *opts, bool force, Error **errp);
    int (*bitmap_op)(BlockDriverState *bs, BdrvBitmapOp op, const char *name,
                     uint64_t granularity, BlockDriverState *src,
                     const char *src_name, Error **errp);
    int (*make_empty)(BlockDriverState *bs, Error **errp);
    bool (*measure)(Opts *opts, BlockDriverState *in_bs, uint64_t size,
                    BlockMeasureInfo *info, Error **errp);
};

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;
    int refcnt;
    int open_flags;
    bool read_only;
    bool probed_raw; /* block 0 writes restricted */
    char filename[PATH_MAX];
    BlockDriverState *file;
    BlockDriverState *backing;
    char backing_file[PATH_MAX]; /* as in the header */
    char backing_format[32];     /* as in the header */
    char full_backing_filename[PATH_MAX];
};

extern const BlockDriver bdrv_file;
extern const BlockDriver bdrv_raw;
extern const BlockDriver bdrv_qcow2;

/* Protocol-level helpers for formats. */
int bdrv_file_pread(BlockDriverState *file, uint64_t offset, uint64_t bytes,
                    void *buf);
/* Opens a protocol node on filename (the file protocol). */
BlockDriverState *bdrv_open_protocol(const char *filename, int flags,
                                     Error **errp);
/* Allocated, zeroed block for a new node of drv. */
BlockDriverState *bdrv_new(const BlockDriver *drv, const char *filename);
/* Resolves backing (relative to the image's directory) into dest. */
void bdrv_resolve_backing(const char *image, const char *backing, char *dest,
                          size_t len);

/*
 * For the async pool: true when bs's bytes are the host file's bytes at
 * the same offsets (the file protocol, or raw over it) and the file node
 * was opened with aio=io_uring; *fd its descriptor, *direct O_DIRECT.
 */
bool bdrv_uring_fd(BlockDriverState *bs, int *fd, bool *direct);
bool file_uring_fd(BlockDriverState *bs, int *fd, bool *direct);
int file_host_fd(BlockDriverState *bs, bool *direct);

/* Reads `bytes` at `offset` from bs->backing (zeros past its end). */
int bdrv_read_backing(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      void *buf);

static inline uint64_t be64_load(const void *p)
{
    const uint8_t *b = p;
    return ((uint64_t)b[0] << 56) | ((uint64_t)b[1] << 48) |
           ((uint64_t)b[2] << 40) | ((uint64_t)b[3] << 32) |
           ((uint64_t)b[4] << 24) | ((uint64_t)b[5] << 16) |
           ((uint64_t)b[6] << 8) | b[7];
}
static inline uint32_t be32_load(const void *p)
{
    const uint8_t *b = p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
           ((uint32_t)b[2] << 8) | b[3];
}
static inline uint16_t be16_load(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)((b[0] << 8) | b[1]);
}
static inline void be64_store(void *p, uint64_t v)
{
    uint8_t *b = p;
    for (int i = 7; i >= 0; i--) {
        b[i] = v & 0xff;
        v >>= 8;
    }
}
static inline void be32_store(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = v >> 24;
    b[1] = v >> 16;
    b[2] = v >> 8;
    b[3] = v;
}
static inline void be16_store(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = v >> 8;
    b[1] = v;
}

#endif
