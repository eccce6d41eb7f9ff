/*
 * qcow2: private declarations shared by block/qcow2*.c.
 *
 * On-disk layout (QEMU's docs/interop/qcow2.txt): a header in cluster 0,
 * a two-level table (L1 -> L2 -> data cluster) mapping guest clusters to
 * host clusters, and a two-level refcount structure (refcount table ->
 * refcount blocks) counting references to every host cluster.  All
 * on-disk integers are big-endian; in-memory copies of the L1 and refcount
 * tables are host-endian.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <pthread.h>
#include "block/block_int.h"

#define QCOW_MAGIC               0x514649fbu
#define QCOW2_MIN_CLUSTER_BITS   9
#define QCOW2_MAX_CLUSTER_BITS   21
#define QCOW2_MAX_L1_BYTES       (32 * 1024 * 1024)
#define QCOW2_MAX_REFTABLE_BYTES (8 * 1024 * 1024)
#define QCOW2_MAX_SNAPSHOTS      65536
#define QCOW2_MAX_BACKING_NAME   1023

#define QCOW2_INCOMPAT_DIRTY        (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT      (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE    (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION  (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2        (1ULL << 4)
#define QCOW2_INCOMPAT_KNOWN        0x1fULL
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)
#define QCOW2_AUTOCLEAR_BITMAPS     (1ULL << 0)

#define QCOW2_EXT_END         0x00000000u
#define QCOW2_EXT_BACKING_FMT 0xe2792acau
#define QCOW2_EXT_FEATURE_TBL 0x6803f857u
#define QCOW2_EXT_BITMAPS     0x23852875u
#define QCOW2_EXT_CRYPTO      0x0537be77u
#define QCOW2_EXT_DATA_FILE   0x44415441u

#define QCOW_OFLAG_COPIED     (1ULL << 63)
#define QCOW_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW_OFLAG_ZERO       (1ULL << 0)
#define L1E_OFFSET_MASK       0x00fffffffffffe00ULL
#define L2E_OFFSET_MASK       0x00fffffffffffe00ULL
#define REFT_OFFSET_MASK      0xfffffffffffffe00ULL

#define QCOW2_COMPRESSION_ZLIB 0
#define QCOW2_COMPRESSION_ZSTD 1

typedef enum Qcow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED,
    QCOW2_CLUSTER_ZERO_PLAIN,
    QCOW2_CLUSTER_ZERO_ALLOC,
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
    /* Extended L2: subcluster unallocated inside an allocated cluster. */
    QCOW2_CLUSTER_UNALLOCATED_ALLOC,
} Qcow2ClusterType;

typedef struct Qcow2CacheEntry {
    uint64_t offset; /* 0: unused */
    uint8_t *data;
    bool dirty;
    uint64_t lru;
} Qcow2CacheEntry;

typedef struct Qcow2Cache {
    Qcow2CacheEntry *entries;
    int size;
    uint64_t lru_counter;
    GHashTable *map; /* offset -> entry */
    bool is_l2;      /* flushing it first flushes the refcount cache */
} Qcow2Cache;

typedef struct Qcow2Snapshot {
    uint64_t l1_table_offset;
    uint32_t l1_size;
    char *id_str;
    char *name;
    uint64_t disk_size;
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;
    uint32_t extra_data_size;
    uint8_t *extra_data; /* unknown extra data, preserved */
} Qcow2Snapshot;

typedef struct Qcow2UnknownExt {
    uint32_t type;
    uint32_t len;
    uint8_t *data;
} Qcow2UnknownExt;

typedef struct Qcow2Bitmaps Qcow2Bitmaps;

typedef struct BDRVQcow2State {
    pthread_mutex_t lock; /* pthread, so that TSan sees it */
    int cluster_bits;
    uint64_t cluster_size;
    int l2_bits;      /* log2 of entries per L2 table */
    uint64_t l2_size; /* entries per L2 table */
    bool extended_l2;
    int l2_entry_size; /* 8 or 16 */
    int subcluster_bits;
    uint64_t subcluster_size;
    int csize_shift;
    uint64_t csize_mask;
    uint64_t cluster_offset_mask;

    uint64_t size; /* virtual */
    uint32_t version;
    uint64_t incompat;
    uint64_t compat;
    uint64_t autoclear;
    uint32_t header_length;
    uint8_t compression_type;
    uint32_t crypt_method;

    uint32_t l1_size;
    uint64_t l1_table_offset;
    uint64_t *l1_table;

    uint64_t refcount_table_offset;
    uint32_t refcount_table_clusters;
    uint64_t refcount_table_size; /* entries */
    uint64_t *refcount_table;
    int refcount_order;
    int refcount_bits;
    uint64_t refcount_max;
    int refcount_block_bits; /* log2 of entries per refcount block */

    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t snapshots_size;
    Qcow2Snapshot *snapshots;

    Qcow2UnknownExt *unknown_ext;
    int n_unknown_ext;

    Qcow2Cache *l2_cache;
    Qcow2Cache *refblock_cache;
    uint64_t free_cluster_index;
    uint64_t alloc_end;        /* one past the highest allocated cluster */
    uint64_t free_byte_offset; /* compressed data packing */

    uint8_t *cluster_data; /* decompression output cache */
    uint64_t cluster_cache_offset;

    bool corrupt;        /* found corrupt: refuse all further writes */
    bool lazy_refcounts; /* compat bit, v3, opened read-write */
    bool read_only;
    bool ignore_corrupt;   /* opened by check */
    int metadata_prealloc; /* -1 unknown, else whether detected */
    int alloc_depth;       /* refcount-block allocation recursion */
    bool punch_freed;      /* clusters freed now are punched out of the file */
    Qcow2Bitmaps *bitmaps; /* loaded persistent bitmaps (read-write) */
} BDRVQcow2State;

/* qcow2.c */
int qcow2_update_header(BlockDriverState *bs);
void qcow2_signal_corruption(BlockDriverState *bs, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
int qcow2_write_l1_entry(BlockDriverState *bs, uint64_t index);
int qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size, bool exact);
int qcow2_header_write_size(BlockDriverState *bs);
int qcow2_clear_entry(BlockDriverState *bs, uint64_t guest);
int qcow2_fix_copied(BlockDriverState *bs);
/*
 * Lazy refcounts: qcow2_mark_dirty sets the dirty bit (durably) before
 * the first table write that may run ahead of its refcounts;
 * qcow2_mark_clean writes every refcount, then clears the bit.  Both are
 * no-ops when there is nothing to do.  0 or -errno.
 */
int qcow2_mark_dirty(BlockDriverState *bs);
int qcow2_mark_clean(BlockDriverState *bs);

/* qcow2-cache.c (in qcow2-refcount.c) */
Qcow2Cache *qcow2_cache_create(int entries, uint64_t cluster_size, bool l2);
void qcow2_cache_destroy(Qcow2Cache *c);
int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                    bool read, uint8_t **data);
void qcow2_cache_mark_dirty(Qcow2Cache *c, uint64_t offset);
int qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c);
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset);
int qcow2_flush_caches(BlockDriverState *bs);
/*
 * Called before writing an L1 or L2 table that may reference clusters
 * whose refcounts are still in the cache: writes those refcounts, or with
 * lazy refcounts marks the image dirty instead.  0 or -errno.
 */
int qcow2_refcounts_before_tables(BlockDriverState *bs);

/* qcow2-refcount.c */
int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount);
int qcow2_update_refcount(BlockDriverState *bs, uint64_t cluster_index,
                          int64_t delta);
int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t n);
int64_t qcow2_alloc_bytes(BlockDriverState *bs, uint64_t size);
int qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t n);
int qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry);
int qcow2_update_snapshot_refcount(BlockDriverState *bs, uint64_t l1_offset,
                                   uint32_t l1_size, int delta);
int64_t qcow2_file_end(BlockDriverState *bs);
uint64_t qcow2_refblock_get(BDRVQcow2State *s, const uint8_t *blk,
                            uint64_t idx);
void qcow2_refblock_set(BDRVQcow2State *s, uint8_t *blk, uint64_t idx,
                        uint64_t v);
/* Host range of a compressed cluster: clusters first..last, bytes. */
void qcow2_compressed_range(BDRVQcow2State *s, uint64_t entry, uint64_t *first,
                            uint64_t *last, uint64_t *off, uint64_t *len);
/* The cache forgets every entry without writing it back. */
void qcow2_cache_drop_all(Qcow2Cache *c);

/*
 * qcow2-check.c: the consistency check and repair, with QEMU's messages
 * (appended to res->log) and QEMU's repair strategy: refcounts that are
 * too high are lowered (-r leaks), too low raised (-r all), and missing
 * ones (refcount 0 while referenced) make it rebuild the whole refcount
 * structure from the computed counts (-r all).  Called with s->lock held.
 */
int qcow2_check_refcounts(BlockDriverState *bs, BdrvCheckResult *res,
                          BdrvCheckMode fix);

/* qcow2-cluster.c */
Qcow2ClusterType qcow2_entry_type(BDRVQcow2State *s, uint64_t entry,
                                  uint64_t bitmap);
int qcow2_get_l2_entry(BlockDriverState *bs, uint64_t guest, uint64_t *entry,
                       uint64_t *bitmap);
/*
 * Reads guest bytes.  With unlock_io, s->lock is dropped around the data
 * reads of plain clusters and of the backing file (the mapping was taken
 * under the lock; a read racing with a discard of the same range may see
 * either content, as on real disks).  Allocating writes keep the lock.
 */
int qcow2_read(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
               uint8_t *buf, bool unlock_io);
/*
 * Writes guest bytes.  With unlock_io, runs of freshly allocated whole
 * clusters are written without s->lock (nobody else can see them yet).
 */
int qcow2_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                const uint8_t *buf, bool unlock_io);
int qcow2_zero_or_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                          bool discard, int flags);
/*
 * Extended L2: [offset, offset + bytes) (inside one cluster, subcluster
 * aligned) reads as zero from now on (zero bits set, allocation bits
 * cleared; the host cluster stays).  -ENOTSUP for a compressed cluster.
 */
int qcow2_zero_subclusters(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes);
/*
 * The mapping of [guest, guest + max) up to the first change of kind:
 * returns a Qcow2ClusterType, *n bytes of it, *host (NORMAL), *entry.
 */
int qcow2_map_type(BlockDriverState *bs, uint64_t guest, uint64_t max,
                   uint64_t *n, uint64_t *host, uint64_t *entry);
int qcow2_write_compressed_data(BlockDriverState *bs, uint64_t offset,
                                const uint8_t *out, uint64_t len);
int qcow2_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                 uint64_t *pnum, uint64_t *map);
int qcow2_preallocate(BlockDriverState *bs, uint64_t from, uint64_t to,
                      PreallocMode mode);
int qcow2_discard_beyond(BlockDriverState *bs, uint64_t new_size);
int qcow2_compress(BDRVQcow2State *s, const uint8_t *in, uint8_t *out,
                   size_t out_len);
int qcow2_decompress(BDRVQcow2State *s, const uint8_t *in, size_t in_len,
                     uint8_t *out);

/*
 * qcow2-bitmap.c: persistent bitmaps (see there).  open_rw loads them and
 * marks them in use; set_dirty records a guest write; truncate follows a
 * resize; close stores them (0 or -errno; the state is freed either
 * way); drop clears the autoclear bit so that the extension is ignored.
 * All with s->lock held (or single-threaded open/close).
 */
int qcow2_bitmaps_open_rw(BlockDriverState *bs);
void qcow2_bitmaps_set_dirty(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes);
int qcow2_bitmaps_truncate(BlockDriverState *bs, uint64_t new_size);
int qcow2_bitmaps_close(BlockDriverState *bs);
/* qemu-img bitmap operations (see bdrv_bitmap_op); s->lock held. */
int qcow2_bitmap_op(BlockDriverState *bs, BdrvBitmapOp op, const char *name,
                    uint64_t granularity, BlockDriverState *src,
                    const char *src_name, Error **errp);
/* Forgets the loaded bitmaps without writing anything. */
void qcow2_bitmaps_free(BDRVQcow2State *s);
int qcow2_bitmaps_drop(BlockDriverState *bs);
typedef void Qcow2RefFn(BlockDriverState *bs, void *opaque, uint64_t offset,
                        uint64_t size);
struct json_t;
struct json_t *qcow2_bitmap_info(BlockDriverState *bs);
/* Calls inc for every cluster the bitmaps use; returns the errors found. */
int qcow2_bitmap_count_refs(BlockDriverState *bs, Qcow2RefFn *inc,
                            void *opaque);

/* qcow2-snapshot.c */
int qcow2_read_snapshots(BlockDriverState *bs, Error **errp);
void qcow2_free_snapshots(BDRVQcow2State *s);
int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **list);
int qcow2_snapshot_create(BlockDriverState *bs, const char *name, Error **errp);
int qcow2_snapshot_goto(BlockDriverState *bs, const char *name, Error **errp);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *name, Error **errp);
int qcow2_snapshot_load_tmp(BlockDriverState *bs, const char *name,
                            Error **errp);

static inline uint64_t qcow2_size_to_clusters(BDRVQcow2State *s, uint64_t size)
{
    return (size + s->cluster_size - 1) >> s->cluster_bits;
}

static inline uint64_t qcow2_l1_index(BDRVQcow2State *s, uint64_t guest)
{
    return guest >> (s->cluster_bits + s->l2_bits);
}

static inline uint64_t qcow2_l2_index(BDRVQcow2State *s, uint64_t guest)
{
    return (guest >> s->cluster_bits) & (s->l2_size - 1);
}

#endif
