/*
 * Block layer: the public interface used by qemu-img and device models.
 *
 * A BlockDriverState (BDS) is one node of the graph.  A format node (raw,
 * qcow2) sits over a protocol node (file) reached through bs->file, and may
 * have a backing node (bs->backing) that supplies data for unallocated
 * ranges.  Every request is byte-addressed and synchronous; the drivers
 * serialise their own metadata, so concurrent callers are safe.
 *
 *     Error *err = NULL;
 *     BlockDriverState *bs = bdrv_open("disk.qcow2", NULL, BDRV_O_RDWR, &err);
 *     if (!bs) { error_report_err(err); return 1; }
 *     bdrv_pwrite(bs, 0, 512, buf, 0);
 *     bdrv_unref(bs);                     // flushes and closes
 *
 * Device models that must not block use block/aio-pool.h.
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <inttypes.h>
#include <sys/uio.h>
#include <glib.h>
#include "util/error.h"
#include "util/option.h"

typedef struct BlockDriver BlockDriver;
typedef struct BlockDriverState BlockDriverState;

/* Open flags. */
#define BDRV_O_RDWR        0x0002
#define BDRV_O_NOCACHE     0x0020 /* O_DIRECT on the protocol */
#define BDRV_O_NO_BACKING  0x0100 /* don't open the backing chain */
#define BDRV_O_FORCE_SHARE 0x0200 /* -U: take no locks (read-only only) */
#define BDRV_O_NO_LOCK     0x0400 /* internal: no locking at all */
#define BDRV_O_UNMAP       0x0800
#define BDRV_O_NO_IO       0x1000  /* metadata only: info, resize checks */
#define BDRV_O_CHECK       0x2000  /* opened by check: allow corrupt images */
#define BDRV_O_IO_URING    0x4000  /* aio=io_uring requested */
#define BDRV_O_NO_FLUSH    0x8000  /* cache=unsafe: flush skips fdatasync */
#define BDRV_O_NATIVE_AIO  0x10000 /* aio=native (needs BDRV_O_NOCACHE) */

/* Request flags. */
#define BDRV_REQ_MAY_UNMAP   0x1 /* zero writes may deallocate */
#define BDRV_REQ_NO_FALLBACK 0x2 /* zero writes must be efficient or fail */

/* block_status() answers. */
#define BDRV_BLOCK_DATA         0x01 /* reads come from the host file */
#define BDRV_BLOCK_ZERO         0x02 /* reads as zero */
#define BDRV_BLOCK_OFFSET_VALID 0x04 /* *map is the host offset */
#define BDRV_BLOCK_ALLOCATED    0x10 /* this layer supplies the content */
#define BDRV_BLOCK_COMPRESSED   0x20
#define BDRV_BLOCK_RECURSE      0x40 /* add the file's ZERO for this range */
#define BDRV_BLOCK_RAW          0x80 /* the file's status is the answer */

typedef enum PreallocMode {
    PREALLOC_MODE_OFF,
    PREALLOC_MODE_METADATA,
    PREALLOC_MODE_FALLOC,
    PREALLOC_MODE_FULL,
} PreallocMode;

typedef struct BlockDriverInfo {
    int cluster_size; /* 0 when the format has none */
    bool is_dirty;
    bool unallocated_blocks_are_zero;
} BlockDriverInfo;

typedef enum BdrvCheckMode {
    BDRV_FIX_NONE = 0,
    BDRV_FIX_LEAKS = 1,
    BDRV_FIX_ERRORS = 2,
} BdrvCheckMode;

typedef struct BdrvCheckResult {
    int corruptions;
    int leaks;
    int check_errors;
    int corruptions_fixed;
    int leaks_fixed;
    int64_t image_end_offset;
    uint64_t total_clusters;
    uint64_t allocated_clusters;
    uint64_t fragmented_clusters;
    uint64_t compressed_clusters;
    GString *log; /* per-cluster messages, printed by qemu-img check */
} BdrvCheckResult;

typedef struct QEMUSnapshotInfo {
    char id_str[128];
    char name[256];
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount; /* -1 when absent */
    uint64_t disk_size;
} QEMUSnapshotInfo;

/* Drivers and probing. */
BlockDriver *bdrv_find_format(const char *name);
const char *bdrv_format_name(const BlockDriver *drv);
/* Option table for "-o" of create (NULL-terminated); NULL if none. */
const OptDesc *bdrv_create_opts(const BlockDriver *drv);
/* The same plus the file protocol's options (what "-o" accepts). */
const OptDesc *bdrv_create_opts_all(const BlockDriver *drv);
/* Prints the formats list ("Supported formats: qcow2 raw ..."). */
void bdrv_print_formats(GString *out);

/*
 * Opens filename with format fmt (NULL: probe).  Opens the backing chain
 * unless BDRV_O_NO_BACKING.  Returns NULL with errp set ("Could not open
 * 'x': ...").  When a raw image is probed and opened read-write, prints
 * QEMU's warning.
 */
BlockDriverState *bdrv_open(const char *filename, const char *fmt, int flags,
                            Error **errp);
/* Resolves backing (relative to the directory of image) into dest. */
void bdrv_resolve_backing(const char *image, const char *backing, char *dest,
                          size_t len);
/* Opens the backing file named in the image header (if any). */
int bdrv_open_backing(BlockDriverState *bs, int flags, Error **errp);
void bdrv_ref(BlockDriverState *bs);
/* Drops a reference; the last one flushes and closes (and the backing). */
void bdrv_unref(BlockDriverState *bs);

/*
 * Creates an image.  opts holds "-o" keys plus "size", "backing_file" and
 * "backing_fmt".  Returns false with errp set.
 */
bool bdrv_create(const char *fmt, const char *filename, Opts *opts,
                 Error **errp);

/* Data.  All return 0 or -errno. */
int bdrv_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
               void *buf);
int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                const void *buf, int flags);
int bdrv_preadv(BlockDriverState *bs, uint64_t offset, const struct iovec *iov,
                int niov);
int bdrv_pwritev(BlockDriverState *bs, uint64_t offset, const struct iovec *iov,
                 int niov, int flags);
int bdrv_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       int flags);
int bdrv_pwrite_compressed(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes, const void *buf);
bool bdrv_supports_compressed_writes(BlockDriverState *bs);
/*
 * Compressed writes in two steps, so that callers can compress on many
 * threads and write in order: bdrv_compress_buffer() compresses one
 * cluster (cluster_size bytes from in) without touching the image and
 * returns the compressed length, -ENOMEM when it does not shrink, or
 * -errno; bdrv_pwrite_precompressed() stores such data as the cluster at
 * offset (cluster aligned).
 */
int bdrv_compress_buffer(BlockDriverState *bs, const void *in, void *out,
                         uint64_t out_len);
int bdrv_pwrite_precompressed(BlockDriverState *bs, uint64_t offset,
                              const void *cdata, uint64_t clen);
int bdrv_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
int bdrv_flush(BlockDriverState *bs);
int bdrv_truncate(BlockDriverState *bs, uint64_t size, bool exact,
                  PreallocMode prealloc, Error **errp);

/*
 * Status of [offset, offset+bytes): returns BDRV_BLOCK_* flags for the
 * first *pnum bytes (> 0) or -errno.  *map gets the host offset when
 * OFFSET_VALID and *file the node it refers to.  Unallocated ranges of a
 * node with a backing file return 0 (no ALLOCATED).
 */
int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum, uint64_t *map, BlockDriverState **file);
/*
 * Like bdrv_block_status but follows the backing chain: *depth gets the
 * layer (0 = top) that supplies the data; unallocated everywhere reads as
 * zero with depth = chain length.
 */
int bdrv_block_status_above(BlockDriverState *bs, BlockDriverState *base,
                            uint64_t offset, uint64_t bytes, uint64_t *pnum,
                            uint64_t *map, BlockDriverState **file, int *depth);
/*
 * Zero-copy reads for bulk copies (convert): maps [offset, offset+bytes)
 * of a file node (the *file of a block status answer with
 * BDRV_BLOCK_OFFSET_VALID) read-only, and returns a pointer to it, or
 * NULL when it cannot (not a plain file, O_DIRECT, opened with -U so
 * that another writer could shrink it under us, range not inside the
 * file): read normally then.  Unmap with bdrv_unmap_file_range(*base,
 * *len).
 */
const void *bdrv_map_file_range(BlockDriverState *file, uint64_t offset,
                                uint64_t bytes, void **base, size_t *len);
void bdrv_unmap_file_range(void *base, size_t len);

/* Whether [offset, +bytes) is allocated in bs (not its backing). */
int bdrv_is_allocated(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum);

/* Metadata. */
int64_t bdrv_getlength(BlockDriverState *bs);
int64_t bdrv_get_allocated_file_size(BlockDriverState *bs);
int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi);
const char *bdrv_get_format_name(BlockDriverState *bs);
const char *bdrv_get_filename(BlockDriverState *bs);
BlockDriverState *bdrv_backing(BlockDriverState *bs);
BlockDriverState *bdrv_file_child(BlockDriverState *bs);
bool bdrv_is_read_only(BlockDriverState *bs);
/* As stored in the header ("" when none), and resolved against the dir. */
const char *bdrv_backing_file(BlockDriverState *bs);
const char *bdrv_backing_format(BlockDriverState *bs);
const char *bdrv_full_backing_filename(BlockDriverState *bs);
/* Format specific info as a JSON object (jansson json_t *), or NULL. */
void *bdrv_get_specific_info(BlockDriverState *bs);
bool bdrv_has_zero_init(BlockDriverState *bs);

/* Rewrites the backing file name/format in the header (rebase -u). */
int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt, Error **errp);
/* Replaces the open backing node (takes ownership of backing, may be NULL). */
void bdrv_set_backing(BlockDriverState *bs, BlockDriverState *backing);

/* Consistency check; see BdrvCheckResult.  Returns 0 or -errno. */
int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res, BdrvCheckMode fix);
bool bdrv_can_check(BlockDriverState *bs);

/* Internal snapshots.  Return 0 or -errno with errp set. */
int bdrv_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **list);
int bdrv_snapshot_create(BlockDriverState *bs, const char *name, Error **errp);
int bdrv_snapshot_goto(BlockDriverState *bs, const char *name, Error **errp);
int bdrv_snapshot_delete(BlockDriverState *bs, const char *name, Error **errp);
/* Read-only opens: show the snapshot's content instead (convert -l). */
int bdrv_snapshot_load_tmp(BlockDriverState *bs, const char *name,
                           Error **errp);

/*
 * Persistent dirty bitmaps (qemu-img bitmap).  ADD takes granularity (0:
 * the default); MERGE ORs bitmap src_name of src (bs itself when NULL)
 * into name.  The image must be open read-write; the change is stored
 * when it is closed.  0 or -errno with errp set (QEMU's messages).
 */
typedef enum BdrvBitmapOp {
    BDRV_BITMAP_ADD,
    BDRV_BITMAP_REMOVE,
    BDRV_BITMAP_CLEAR,
    BDRV_BITMAP_ENABLE,
    BDRV_BITMAP_DISABLE,
    BDRV_BITMAP_MERGE,
    BDRV_BITMAP_CAN_STORE, /* 0 when the image can hold persistent bitmaps */
} BdrvBitmapOp;
int bdrv_bitmap_op(BlockDriverState *bs, BdrvBitmapOp op, const char *name,
                   uint64_t granularity, BlockDriverState *src,
                   const char *src_name, Error **errp);

/* qemu-img amend: change format options in place. */
int bdrv_amend(BlockDriverState *bs, Opts *opts, bool force, Error **errp);
bool bdrv_supports_amend(BlockDriverState *bs);
/* Empties the top layer (commit without -d). */
int bdrv_make_empty(BlockDriverState *bs, Error **errp);

/*
 * Size needed to hold an image of virtual size `size` in format fmt with
 * opts, with all data (fully) or only the allocated ranges of in_bs.
 */
typedef struct BlockMeasureInfo {
    uint64_t required;
    uint64_t fully_allocated;
    uint64_t bitmaps;
    bool has_bitmaps; /* source and target can both hold bitmaps */
} BlockMeasureInfo;
bool bdrv_measure(const char *fmt, Opts *opts, BlockDriverState *in_bs,
                  uint64_t size, BlockMeasureInfo *info, Error **errp);

/*
 * Adds an aio mode ("threads", "native" or "io_uring") to *flags, as
 * QEMU's -drive aio= and qemu-img bench -i do; false for anything else.
 * native (Linux AIO) needs BDRV_O_NOCACHE at open and is served by the
 * thread pool.
 */
bool bdrv_parse_aio(const char *mode, int *flags);

/* Parses "off|metadata|falloc|full"; false with errp set otherwise. */
bool bdrv_parse_prealloc(const char *s, PreallocMode *mode, Error **errp);

/* True when all bytes of buf are zero. */
bool buffer_is_zero(const void *buf, size_t len);

#endif
