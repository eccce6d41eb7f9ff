/*
 * qcow2: guest-to-host mapping.  L2 lookups, reads (plain, zero,
 * compressed, backing, extended-L2 subclusters), allocating writes with
 * copy-on-write, zero writes and discards, block status and
 * preallocation.  Callers hold s->lock.
 */
#include <errno.h>
#include <string.h>
#include <inttypes.h>
#include <zlib.h>
#include "config-host.h"
#if CONFIG_ZSTD
#include <zstd.h>
#endif
#include "block/qcow2.h"

#define EXTL2_ALL_ALLOC 0x00000000ffffffffULL
#define EXTL2_ALL_ZERO  0xffffffff00000000ULL

Qcow2ClusterType qcow2_entry_type(BDRVQcow2State *s, uint64_t entry,
                                  uint64_t bitmap)
{
    if (entry & QCOW_OFLAG_COMPRESSED) {
        return QCOW2_CLUSTER_COMPRESSED;
    }
    if (!s->extended_l2 && (entry & QCOW_OFLAG_ZERO)) {
        return (entry & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_ZERO_ALLOC
                                         : QCOW2_CLUSTER_ZERO_PLAIN;
    }
    if (entry & L2E_OFFSET_MASK) {
        return QCOW2_CLUSTER_NORMAL;
    }
    return QCOW2_CLUSTER_UNALLOCATED;
}

/* Looks up the L2 table for guest; *l2 NULL when unallocated. */
static int qcow2_l2_lookup(BlockDriverState *bs, uint64_t guest, uint8_t **l2,
                           uint64_t *l2_off)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t i = qcow2_l1_index(s, guest);

    *l2 = NULL;
    *l2_off = 0;
    if (i >= s->l1_size) {
        return 0;
    }
    uint64_t off = s->l1_table[i] & L1E_OFFSET_MASK;
    if (!off) {
        return 0;
    }
    int64_t end = qcow2_file_end(bs);
    if ((off & (s->cluster_size - 1)) || (end >= 0 && off >= (uint64_t)end)) {
        qcow2_signal_corruption(bs,
                                "L2 table offset %#" PRIx64
                                " unaligned or beyond the end of the "
                                "image (L1 index: %#" PRIx64 ")",
                                off, i);
        return -EIO;
    }
    *l2_off = off;
    return qcow2_cache_get(bs, s->l2_cache, off, true, l2);
}

static uint64_t l2_get(BDRVQcow2State *s, const uint8_t *l2, uint64_t j)
{
    return be64_load(l2 + j * s->l2_entry_size);
}

static uint64_t l2_get_bitmap(BDRVQcow2State *s, const uint8_t *l2, uint64_t j)
{
    return s->extended_l2 ? be64_load(l2 + j * 16 + 8) : 0;
}

static void l2_set(BDRVQcow2State *s, uint8_t *l2, uint64_t j, uint64_t e,
                   uint64_t bitmap)
{
    be64_store(l2 + j * s->l2_entry_size, e);
    if (s->extended_l2) {
        be64_store(l2 + j * 16 + 8, bitmap);
    }
}

int qcow2_get_l2_entry(BlockDriverState *bs, uint64_t guest, uint64_t *entry,
                       uint64_t *bitmap)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *l2;
    uint64_t l2_off;
    int ret = qcow2_l2_lookup(bs, guest, &l2, &l2_off);
    *entry = 0;
    *bitmap = 0;
    if (ret < 0 || !l2) {
        return ret;
    }
    *entry = l2_get(s, l2, qcow2_l2_index(s, guest));
    *bitmap = l2_get_bitmap(s, l2, qcow2_l2_index(s, guest));
    return 0;
}

/* A host cluster that a data write must never touch. */
static bool qcow2_overlaps_metadata(BDRVQcow2State *s, uint64_t host,
                                    uint64_t len)
{
    uint64_t end = host + len;
    if (host < s->cluster_size) {
        return true;
    }
    if (host < s->l1_table_offset + (uint64_t)s->l1_size * 8 &&
        end > s->l1_table_offset) {
        return true;
    }
    uint64_t rt_end = s->refcount_table_offset +
                      ((uint64_t)s->refcount_table_clusters << s->cluster_bits);
    if (host < rt_end && end > s->refcount_table_offset) {
        return true;
    }
    if (s->snapshots_size && host < s->snapshots_offset + s->snapshots_size &&
        end > s->snapshots_offset) {
        return true;
    }
    return false;
}

/* ---- compression ------------------------------------------------------- */

int qcow2_compress(BDRVQcow2State *s, const uint8_t *in, uint8_t *out,
                   size_t out_len)
{
#if CONFIG_ZSTD
    if (s->compression_type == QCOW2_COMPRESSION_ZSTD) {
        size_t r = ZSTD_compress(out, out_len, in, s->cluster_size, 0);
        if (ZSTD_isError(r)) {
            return -ENOMEM;
        }
        return (int)r;
    }
#endif
    if (s->compression_type != QCOW2_COMPRESSION_ZLIB) {
        return -ENOTSUP;
    }
    z_stream strm = {0};
    if (deflateInit2(&strm, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return -EIO;
    }
    strm.next_in = (uint8_t *)in;
    strm.avail_in = s->cluster_size;
    strm.next_out = out;
    strm.avail_out = out_len;
    int ret = deflate(&strm, Z_FINISH);
    int n = (int)(out_len - strm.avail_out);
    deflateEnd(&strm);
    if (ret != Z_STREAM_END) {
        return -ENOMEM; /* did not fit */
    }
    return n;
}

int qcow2_decompress(BDRVQcow2State *s, const uint8_t *in, size_t in_len,
                     uint8_t *out)
{
#if CONFIG_ZSTD
    if (s->compression_type == QCOW2_COMPRESSION_ZSTD) {
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        ZSTD_inBuffer ib = {in, in_len, 0};
        ZSTD_outBuffer ob = {out, s->cluster_size, 0};
        int ret = 0;
        while (ob.pos < ob.size) {
            size_t r = ZSTD_decompressStream(dctx, &ob, &ib);
            if (ZSTD_isError(r)) {
                ret = -EIO;
                break;
            }
            if (ib.pos == ib.size && ob.pos < ob.size && r != 0) {
                ret = -EIO;
                break;
            }
            if (r == 0 && ob.pos < ob.size) {
                if (ib.pos >= ib.size) {
                    ret = -EIO;
                    break;
                }
            }
        }
        ZSTD_freeDCtx(dctx);
        return ret;
    }
#endif
    if (s->compression_type != QCOW2_COMPRESSION_ZLIB) {
        return -ENOTSUP;
    }
    z_stream strm = {0};
    if (inflateInit2(&strm, -12) != Z_OK) {
        return -EIO;
    }
    strm.next_in = (uint8_t *)in;
    strm.avail_in = in_len;
    strm.next_out = out;
    strm.avail_out = s->cluster_size;
    int ret = inflate(&strm, Z_FINISH);
    bool ok = (ret == Z_STREAM_END || ret == Z_BUF_ERROR || ret == Z_OK) &&
              strm.avail_out == 0;
    inflateEnd(&strm);
    return ok ? 0 : -EIO;
}

static int qcow2_read_compressed(BlockDriverState *bs, uint64_t entry)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = entry & s->cluster_offset_mask;
    uint64_t nsect = ((entry >> s->csize_shift) & s->csize_mask) + 1;
    uint64_t len = nsect * 512 - (off & 511);

    if (s->cluster_cache_offset == off) {
        return 0;
    }
    g_autofree uint8_t *in = g_malloc(len);
    int ret = bdrv_pread(bs->file, off, len, in);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_decompress(s, in, len, s->cluster_data);
    if (ret < 0) {
        s->cluster_cache_offset = -1;
        qcow2_signal_corruption(
            bs, "Compressed cluster at %#" PRIx64 " cannot be decompressed",
            off);
        return -EIO;
    }
    s->cluster_cache_offset = off;
    return 0;
}

/* ---- read -------------------------------------------------------------- */

/*
 * Extended L2: status of the subclusters of one cluster from in_off on.
 * Returns 0 unallocated (backing), 1 zero, 2 data; *n the bytes with it.
 */
static int extl2_run(BDRVQcow2State *s, uint64_t bitmap, uint64_t in_off,
                     uint64_t max, uint64_t *n)
{
    int sc = in_off >> s->subcluster_bits;
    int kind;
    if (bitmap & (1ULL << (32 + sc))) {
        kind = 1;
    } else if (bitmap & (1ULL << sc)) {
        kind = 2;
    } else {
        kind = 0;
    }
    uint64_t end = (uint64_t)(sc + 1) << s->subcluster_bits;
    for (int i = sc + 1; i < 32; i++) {
        int k = (bitmap & (1ULL << (32 + i))) ? 1
                : (bitmap & (1ULL << i))      ? 2
                                              : 0;
        if (k != kind) {
            break;
        }
        end = (uint64_t)(i + 1) << s->subcluster_bits;
    }
    *n = MIN(max, end - in_off);
    return kind;
}

/*
 * Maps [guest, guest+max) to one run of a single kind within one L2 table.
 * Returns the type, *n bytes, *host the host offset of guest (NORMAL),
 * *entry the first L2 entry.
 */
static int qcow2_map_run(BlockDriverState *bs, uint64_t guest, uint64_t max,
                         uint64_t *n, uint64_t *host, uint64_t *entry)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t in_off = guest & (s->cluster_size - 1);
    uint8_t *l2;
    uint64_t l2_off;
    int ret = qcow2_l2_lookup(bs, guest, &l2, &l2_off);

    if (ret < 0) {
        return ret;
    }
    *entry = 0;
    *host = 0;
    if (!l2) {
        /* Whole L2 range unallocated; extend over empty L1 entries. */
        uint64_t span = 1ULL << (s->cluster_bits + s->l2_bits);
        uint64_t i = qcow2_l1_index(s, guest);
        uint64_t len = span - (guest & (span - 1));
        while (len < max && ++i < s->l1_size && !s->l1_table[i]) {
            len += span;
        }
        if (i >= s->l1_size) {
            len = max;
        }
        *n = MIN(max, len);
        return QCOW2_CLUSTER_UNALLOCATED;
    }
    uint64_t j = qcow2_l2_index(s, guest);
    uint64_t e = l2_get(s, l2, j);
    Qcow2ClusterType t = qcow2_entry_type(s, e, 0);
    *entry = e;
    if (t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC) {
        uint64_t h = e & L2E_OFFSET_MASK;
        if (h & (s->cluster_size - 1)) {
            qcow2_signal_corruption(bs,
                                    "Cluster allocation offset %#" PRIx64
                                    " unaligned (L2 offset: %#" PRIx64
                                    ", L2 index: %#" PRIx64 ")",
                                    h, l2_off, j);
            return -EIO;
        }
        *host = h + in_off;
    }
    if (s->extended_l2 && t != QCOW2_CLUSTER_COMPRESSED) {
        uint64_t bitmap = l2_get_bitmap(s, l2, j);
        if ((bitmap >> 32) & bitmap) {
            qcow2_signal_corruption(bs,
                                    "Invalid cluster entry found "
                                    " (L2 offset: %#" PRIx64
                                    ", L2 index: %#" PRIx64 ")",
                                    l2_off, j);
            return -EIO;
        }
        int kind =
            extl2_run(s, bitmap, in_off, MIN(max, s->cluster_size - in_off), n);
        if (kind == 2 && t != QCOW2_CLUSTER_NORMAL) {
            qcow2_signal_corruption(bs,
                                    "Subcluster allocated without a "
                                    "host cluster (L2 index: %#" PRIx64 ")",
                                    j);
            return -EIO;
        }
        if (kind == 0) {
            return t == QCOW2_CLUSTER_NORMAL ? QCOW2_CLUSTER_UNALLOCATED_ALLOC
                                             : QCOW2_CLUSTER_UNALLOCATED;
        }
        return kind == 1 ? QCOW2_CLUSTER_ZERO_PLAIN : QCOW2_CLUSTER_NORMAL;
    }
    uint64_t len = MIN(max, s->cluster_size - in_off);
    if (t == QCOW2_CLUSTER_COMPRESSED) {
        *n = len;
        return t;
    }
    /* Extend over following entries of the same kind. */
    for (uint64_t k = j + 1; k < s->l2_size && len < max; k++) {
        uint64_t e2 = l2_get(s, l2, k);
        Qcow2ClusterType t2 = qcow2_entry_type(s, e2, 0);
        bool zero =
            t == QCOW2_CLUSTER_ZERO_PLAIN || t == QCOW2_CLUSTER_ZERO_ALLOC;
        bool zero2 =
            t2 == QCOW2_CLUSTER_ZERO_PLAIN || t2 == QCOW2_CLUSTER_ZERO_ALLOC;
        if (t == QCOW2_CLUSTER_NORMAL) {
            if (t2 != t ||
                (e2 & L2E_OFFSET_MASK) !=
                    (e & L2E_OFFSET_MASK) + ((k - j) << s->cluster_bits)) {
                break;
            }
        } else if (zero) {
            if (!zero2) {
                break;
            }
        } else if (t2 != t) {
            break;
        }
        len += MIN(max - len, s->cluster_size);
    }
    *n = len;
    return t;
}

int qcow2_map_type(BlockDriverState *bs, uint64_t guest, uint64_t max,
                   uint64_t *n, uint64_t *host, uint64_t *entry)
{
    return qcow2_map_run(bs, guest, max, n, host, entry);
}

int qcow2_read(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
               uint8_t *buf, bool unlock_io)
{
    BDRVQcow2State *s = bs->opaque;
    while (bytes) {
        uint64_t n, host, entry;
        int t = qcow2_map_run(bs, offset, bytes, &n, &host, &entry);
        int ret = 0;
        if (t < 0) {
            return t;
        }
        switch (t) {
        case QCOW2_CLUSTER_UNALLOCATED:
        case QCOW2_CLUSTER_UNALLOCATED_ALLOC:
            /* Data I/O runs outside the metadata lock (see qcow2.h). */
            if (unlock_io) {
                pthread_mutex_unlock(&s->lock);
            }
            ret = bdrv_read_backing(bs, offset, n, buf);
            if (unlock_io) {
                pthread_mutex_lock(&s->lock);
            }
            break;
        case QCOW2_CLUSTER_ZERO_PLAIN:
        case QCOW2_CLUSTER_ZERO_ALLOC:
            memset(buf, 0, n);
            break;
        case QCOW2_CLUSTER_NORMAL:
            if (unlock_io) {
                pthread_mutex_unlock(&s->lock);
            }
            ret = bdrv_pread(bs->file, host, n, buf);
            if (unlock_io) {
                pthread_mutex_lock(&s->lock);
            }
            break;
        case QCOW2_CLUSTER_COMPRESSED:
            ret = qcow2_read_compressed(bs, entry);
            if (ret == 0) {
                memcpy(buf, s->cluster_data + (offset & (s->cluster_size - 1)),
                       n);
            }
            break;
        }
        if (ret < 0) {
            return ret;
        }
        buf += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

int qcow2_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                 uint64_t *pnum, uint64_t *map)
{
    uint64_t host, entry;
    int t = qcow2_map_run(bs, offset, bytes, pnum, &host, &entry);
    if (t < 0) {
        return t;
    }
    switch (t) {
    case QCOW2_CLUSTER_UNALLOCATED:
        return 0;
    case QCOW2_CLUSTER_UNALLOCATED_ALLOC:
        *map = host;
        return BDRV_BLOCK_OFFSET_VALID;
    case QCOW2_CLUSTER_ZERO_PLAIN:
        return BDRV_BLOCK_ZERO;
    case QCOW2_CLUSTER_ZERO_ALLOC:
        *map = host;
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
    case QCOW2_CLUSTER_NORMAL:
        *map = host;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    default:
        return BDRV_BLOCK_DATA | BDRV_BLOCK_COMPRESSED;
    }
}

/* ---- write ------------------------------------------------------------- */

/*
 * Returns the L2 table covering guest, allocated and owned (COPIED) by the
 * active L1, copying a shared one.
 */
static int qcow2_l2_for_write(BlockDriverState *bs, uint64_t guest,
                              uint8_t **l2, uint64_t *l2_off)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t i = qcow2_l1_index(s, guest);
    int ret;

    if (i >= s->l1_size) {
        ret = qcow2_grow_l1_table(bs, i + 1, false);
        if (ret < 0) {
            return ret;
        }
    }
    uint64_t l1e = s->l1_table[i];
    uint64_t old = l1e & L1E_OFFSET_MASK;
    if (old && (l1e & QCOW_OFLAG_COPIED)) {
        return qcow2_l2_lookup(bs, guest, l2, l2_off);
    }
    g_autofree uint8_t *content = g_malloc0(s->cluster_size);
    if (old) {
        uint8_t *cur;
        ret = qcow2_l2_lookup(bs, guest, &cur, l2_off);
        if (ret < 0) {
            return ret;
        }
        memcpy(content, cur, s->cluster_size);
    }
    int64_t nl2 = qcow2_alloc_clusters(bs, 1);
    if (nl2 < 0) {
        return (int)nl2;
    }
    ret = qcow2_refcounts_before_tables(bs);
    if (ret == 0) {
        ret = bdrv_pwrite(bs->file, nl2, s->cluster_size, content, 0);
    }
    if (ret < 0) {
        return ret;
    }
    s->l1_table[i] = (uint64_t)nl2 | QCOW_OFLAG_COPIED;
    ret = qcow2_write_l1_entry(bs, i);
    if (ret < 0) {
        return ret;
    }
    if (old) {
        ret = qcow2_free_clusters(bs, old, 1);
        if (ret < 0) {
            return ret;
        }
    }
    *l2_off = nl2;
    qcow2_cache_discard(s->l2_cache, nl2);
    return qcow2_cache_get(bs, s->l2_cache, nl2, true, l2);
}

/* Whether the entry can take a write in place. */
static uint64_t qcow2_full_bitmap(BDRVQcow2State *s, uint64_t guest);

/* Subclusters of one cluster touched by [in_off, in_off + len). */
static uint32_t qcow2_sc_mask(BDRVQcow2State *s, uint64_t in_off, uint64_t len)
{
    int a = in_off >> s->subcluster_bits;
    int b = (in_off + len - 1) >> s->subcluster_bits;
    return (uint32_t)(((2ULL << b) - 1) & ~((1ULL << a) - 1));
}

/*
 * Whether [guest, guest + len) (inside one cluster) can be written in
 * place: a cluster we own whose touched subclusters are all allocated.
 */
static bool qcow2_in_place(BDRVQcow2State *s, uint64_t e, uint64_t bitmap,
                           uint64_t guest, uint64_t len)
{
    if (qcow2_entry_type(s, e, bitmap) != QCOW2_CLUSTER_NORMAL ||
        !(e & QCOW_OFLAG_COPIED)) {
        return false;
    }
    if (!s->extended_l2) {
        return true;
    }
    uint32_t mask = qcow2_sc_mask(s, guest & (s->cluster_size - 1), len);
    return ((uint32_t)bitmap & mask) == mask;
}

/* Fresh allocation possible without freeing anything. */
static bool qcow2_is_empty(BDRVQcow2State *s, uint64_t e)
{
    Qcow2ClusterType t = qcow2_entry_type(s, e, 0);
    return t == QCOW2_CLUSTER_UNALLOCATED || t == QCOW2_CLUSTER_ZERO_PLAIN;
}

/*
 * Extended L2 bitmap of a freshly written cluster: every subcluster
 * allocated, except those wholly past the end of the image (as QEMU).
 */
static uint64_t qcow2_full_bitmap(BDRVQcow2State *s, uint64_t guest)
{
    uint64_t start = guest & ~(s->cluster_size - 1);
    if (start + s->cluster_size <= s->size) {
        return EXTL2_ALL_ALLOC;
    }
    uint64_t n =
        (s->size - start + s->subcluster_size - 1) >> s->subcluster_bits;
    return n >= 32 ? EXTL2_ALL_ALLOC : (1ULL << n) - 1;
}

static int qcow2_set_entries(BlockDriverState *bs, uint64_t guest,
                             uint64_t host, uint64_t k)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *l2;
    uint64_t l2_off;
    int ret = qcow2_l2_lookup(bs, guest, &l2, &l2_off);
    if (ret < 0) {
        return ret;
    }
    uint64_t j = qcow2_l2_index(s, guest);
    for (uint64_t i = 0; i < k; i++) {
        l2_set(s, l2, j + i,
               (host + (i << s->cluster_bits)) | QCOW_OFLAG_COPIED,
               qcow2_full_bitmap(s, guest + (i << s->cluster_bits)));
    }
    qcow2_cache_mark_dirty(s->l2_cache, l2_off);
    return 0;
}

/*
 * After an unlocked data write: point the still-empty entries at the new
 * clusters; where a concurrent request got there first, its write wins
 * and our cluster is freed (racing writes have no defined order).
 */
static int qcow2_claim_entries(BlockDriverState *bs, uint64_t guest,
                               uint64_t host, uint64_t k)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *l2;
    uint64_t l2_off;
    int ret = qcow2_l2_for_write(bs, guest, &l2, &l2_off);
    if (ret < 0) {
        return ret;
    }
    uint64_t j = qcow2_l2_index(s, guest);
    bool lost = false;
    for (uint64_t i = 0; i < k; i++) {
        if (qcow2_is_empty(s, l2_get(s, l2, j + i))) {
            l2_set(s, l2, j + i,
                   (host + (i << s->cluster_bits)) | QCOW_OFLAG_COPIED,
                   qcow2_full_bitmap(s, guest + (i << s->cluster_bits)));
        } else {
            lost = true;
        }
    }
    qcow2_cache_mark_dirty(s->l2_cache, l2_off);
    for (uint64_t i = 0; lost && i < k; i++) {
        uint64_t e = l2_get(s, l2, j + i);
        if ((e & L2E_OFFSET_MASK) != host + (i << s->cluster_bits)) {
            ret = qcow2_free_clusters(bs, host + (i << s->cluster_bits), 1);
            if (ret < 0) {
                return ret;
            }
            /* qcow2_free_clusters may have moved the table in the cache. */
            ret = qcow2_l2_lookup(bs, guest, &l2, &l2_off);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

/*
 * Extended L2: writes [offset, offset + n) (inside one cluster) at
 * subcluster granularity, as QEMU does.  Only the subclusters the write
 * touches become allocated; a partly written subcluster is completed
 * from its old content (zeros or the backing file).  When the data must
 * move to a new host cluster (none yet, shared with a snapshot, or
 * compressed), the copy also takes every subcluster that was allocated
 * (all of a compressed cluster).  e, bm: the current L2 entry.
 */
static int qcow2_write_subclusters(BlockDriverState *bs, uint64_t offset,
                                   uint64_t n, const uint8_t *buf, uint64_t e,
                                   uint64_t bm)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t cstart = offset & ~(cs - 1);
    uint64_t in_off = offset - cstart;
    Qcow2ClusterType t = qcow2_entry_type(s, e, bm);
    bool keep = t == QCOW2_CLUSTER_NORMAL && (e & QCOW_OFLAG_COPIED);
    uint32_t alloc = (uint32_t)bm, zero = (uint32_t)(bm >> 32);
    uint32_t mask = qcow2_sc_mask(s, in_off, n);

    if (t == QCOW2_CLUSTER_COMPRESSED) {
        mask = (uint32_t)qcow2_full_bitmap(s, cstart);
        alloc = zero = 0;
    } else if (!keep && t == QCOW2_CLUSTER_NORMAL && alloc) {
        /* Moving: the copy spans every allocated subcluster too. */
        int lo = MIN(__builtin_ctz(mask), __builtin_ctz(alloc));
        int hi = MAX(31 - __builtin_clz(mask), 31 - __builtin_clz(alloc));
        mask = (uint32_t)(((2ULL << hi) - 1) & ~((1ULL << lo) - 1));
        alloc = 0;
    } else if (!keep) {
        alloc = 0;
    }
    uint64_t span = (uint64_t)__builtin_ctz(mask) << s->subcluster_bits;
    uint64_t span_end = (uint64_t)(32 - __builtin_clz(mask))
                        << s->subcluster_bits;
    uint64_t len = span_end - span;
    g_autofree uint8_t *cbuf = g_malloc0(len);
    uint64_t avail = MIN(len, s->size - (cstart + span));
    int ret = qcow2_read(bs, cstart + span, avail, cbuf, false);
    if (ret < 0) {
        return ret;
    }
    memcpy(cbuf + (in_off - span), buf, n);

    uint64_t host;
    if (keep) {
        host = e & L2E_OFFSET_MASK;
        if ((host & (cs - 1)) || qcow2_overlaps_metadata(s, host, cs)) {
            qcow2_signal_corruption(bs,
                                    "Preventing invalid write on metadata "
                                    "(cluster %#" PRIx64 ")",
                                    host);
            return -EIO;
        }
    } else {
        int64_t h = qcow2_alloc_clusters(bs, 1);
        if (h < 0) {
            return (int)h;
        }
        host = (uint64_t)h;
    }
    ret = bdrv_pwrite(bs->file, host + span, len, cbuf, 0);
    if (ret < 0) {
        return ret;
    }
    uint8_t *l2;
    uint64_t l2_off;
    ret = qcow2_l2_lookup(bs, offset, &l2, &l2_off);
    if (ret < 0) {
        return ret;
    }
    uint64_t j = qcow2_l2_index(s, offset);
    l2_set(s, l2, j, host | QCOW_OFLAG_COPIED,
           ((uint64_t)(zero & ~mask) << 32) | (alloc | mask));
    qcow2_cache_mark_dirty(s->l2_cache, l2_off);
    if (!keep && t != QCOW2_CLUSTER_UNALLOCATED &&
        t != QCOW2_CLUSTER_ZERO_PLAIN) {
        ret = qcow2_free_any_cluster(bs, e);
    }
    return ret;
}

int qcow2_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                const uint8_t *buf, bool unlock_io)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    g_autofree uint8_t *cbuf = NULL;

    if (s->corrupt) {
        return -EIO;
    }
    while (bytes) {
        uint64_t in_off = offset & (cs - 1);
        uint64_t n = MIN(bytes, cs - in_off);
        uint8_t *l2;
        uint64_t l2_off;
        int ret = qcow2_l2_for_write(bs, offset, &l2, &l2_off);
        if (ret < 0) {
            return ret;
        }
        uint64_t j = qcow2_l2_index(s, offset);
        uint64_t e = l2_get(s, l2, j);
        uint64_t bm = l2_get_bitmap(s, l2, j);
        Qcow2ClusterType t = qcow2_entry_type(s, e, bm);

        if (qcow2_in_place(s, e, bm, offset, n)) {
            uint64_t host = e & L2E_OFFSET_MASK;
            uint64_t total = n;
            for (uint64_t k = 1; total < bytes && j + k < s->l2_size; k++) {
                uint64_t e2 = l2_get(s, l2, j + k);
                if (!qcow2_in_place(s, e2, l2_get_bitmap(s, l2, j + k),
                                    offset - in_off + (k << s->cluster_bits),
                                    MIN(bytes - total, cs)) ||
                    (e2 & L2E_OFFSET_MASK) != host + (k << s->cluster_bits)) {
                    break;
                }
                total += MIN(bytes - total, cs);
            }
            int64_t flen = qcow2_file_end(bs);
            if (flen >= 0 && host >= (uint64_t)flen + s->cluster_size) {
                /* Nothing valid lives past the end of the file. */
                qcow2_signal_corruption(bs,
                                        "Data cluster %#" PRIx64
                                        " is beyond the end of the image",
                                        host);
                return -EIO;
            }
            if ((host & (cs - 1)) ||
                qcow2_overlaps_metadata(s, host, in_off + total)) {
                qcow2_signal_corruption(bs,
                                        "Preventing invalid write on "
                                        "metadata (cluster %#" PRIx64 ")",
                                        host);
                return -EIO;
            }
            ret = bdrv_pwrite(bs->file, host + in_off, total, buf, 0);
            if (ret < 0) {
                return ret;
            }
            buf += total;
            offset += total;
            bytes -= total;
            continue;
        }
        if (in_off == 0 && n == cs && qcow2_is_empty(s, e)) {
            /* A run of whole empty clusters: one allocation, one write. */
            uint64_t k = 1;
            while ((k + 1) * cs <= bytes && j + k < s->l2_size &&
                   qcow2_is_empty(s, l2_get(s, l2, j + k))) {
                k++;
            }
            int64_t host = qcow2_alloc_clusters(bs, k);
            if (host < 0) {
                return (int)host;
            }
            if (unlock_io) {
                /*
                 * The new clusters are ours alone until the L2 entries
                 * point at them: write the data without the lock.
                 */
                pthread_mutex_unlock(&s->lock);
                ret = bdrv_pwrite(bs->file, host, k * cs, buf, 0);
                pthread_mutex_lock(&s->lock);
                if (ret == 0) {
                    ret = qcow2_claim_entries(bs, offset, host, k);
                }
            } else {
                ret = bdrv_pwrite(bs->file, host, k * cs, buf, 0);
                if (ret == 0) {
                    ret = qcow2_set_entries(bs, offset, host, k);
                }
            }
            if (ret < 0) {
                return ret;
            }
            buf += k * cs;
            offset += k * cs;
            bytes -= k * cs;
            continue;
        }
        if (s->extended_l2) {
            ret = qcow2_write_subclusters(bs, offset, n, buf, e, bm);
            if (ret < 0) {
                return ret;
            }
            buf += n;
            offset += n;
            bytes -= n;
            continue;
        }
        /* One cluster with copy-on-write of the rest. */
        if (!cbuf) {
            cbuf = g_malloc(cs);
        }
        uint64_t cstart = offset - in_off;
        if (n != cs) {
            uint64_t avail = MIN(cs, s->size - cstart);
            ret = qcow2_read(bs, cstart, avail, cbuf, false);
            if (ret < 0) {
                return ret;
            }
            memset(cbuf + avail, 0, cs - avail);
        }
        memcpy(cbuf + in_off, buf, n);
        if (t == QCOW2_CLUSTER_ZERO_ALLOC && (e & QCOW_OFLAG_COPIED)) {
            uint64_t host = e & L2E_OFFSET_MASK;
            if ((host & (cs - 1)) || qcow2_overlaps_metadata(s, host, cs)) {
                qcow2_signal_corruption(bs,
                                        "Preventing invalid write on "
                                        "metadata (cluster %#" PRIx64 ")",
                                        host);
                return -EIO;
            }
            ret = bdrv_pwrite(bs->file, host, cs, cbuf, 0);
            if (ret == 0) {
                ret = qcow2_set_entries(bs, offset, host, 1);
            }
        } else {
            int64_t host = qcow2_alloc_clusters(bs, 1);
            if (host < 0) {
                return (int)host;
            }
            /*
             * With subclusters, the part of the last cluster past the end
             * of the image is neither allocated nor written (as QEMU).
             */
            uint64_t wlen = cs;
            if (s->extended_l2 && cstart + cs > s->size) {
                wlen = MIN(cs, (s->size - cstart + s->subcluster_size - 1) &
                                   ~(s->subcluster_size - 1));
            }
            ret = bdrv_pwrite(bs->file, host, wlen, cbuf, 0);
            if (ret == 0) {
                ret = qcow2_set_entries(bs, offset, host, 1);
            }
            if (ret == 0 && !qcow2_is_empty(s, e)) {
                ret = qcow2_free_any_cluster(bs, e);
            }
        }
        if (ret < 0) {
            return ret;
        }
        buf += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

/* Stores len bytes of compressed data as the cluster at offset. */
int qcow2_write_compressed_data(BlockDriverState *bs, uint64_t offset,
                                const uint8_t *out, uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    if (s->corrupt) {
        return -EIO;
    }
    if (!len || len >= s->cluster_size) {
        return -EINVAL;
    }
    uint8_t *l2;
    uint64_t l2_off;
    int ret = qcow2_l2_for_write(bs, offset, &l2, &l2_off);
    if (ret < 0) {
        return ret;
    }
    int64_t host = qcow2_alloc_bytes(bs, len);
    if (host < 0) {
        return (int)host;
    }
    ret = bdrv_pwrite(bs->file, host, len, out, 0);
    if (ret < 0) {
        return ret;
    }
    uint64_t nsect = ((host + len - 1) >> 9) - (host >> 9);
    uint64_t e =
        QCOW_OFLAG_COMPRESSED | (nsect << s->csize_shift) | (uint64_t)host;
    ret = qcow2_l2_lookup(bs, offset, &l2, &l2_off);
    if (ret < 0) {
        return ret;
    }
    uint64_t j = qcow2_l2_index(s, offset);
    uint64_t old = l2_get(s, l2, j);
    l2_set(s, l2, j, e, 0);
    qcow2_cache_mark_dirty(s->l2_cache, l2_off);
    if (!qcow2_is_empty(s, old)) {
        ret = qcow2_free_any_cluster(bs, old);
    }
    return ret;
}

int qcow2_zero_subclusters(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *l2;
    uint64_t l2_off;

    if (s->corrupt) {
        return -EIO;
    }
    int ret = qcow2_l2_for_write(bs, offset, &l2, &l2_off);
    if (ret < 0) {
        return ret;
    }
    uint64_t j = qcow2_l2_index(s, offset);
    uint64_t e = l2_get(s, l2, j);
    uint64_t bm = l2_get_bitmap(s, l2, j);
    if (qcow2_entry_type(s, e, bm) == QCOW2_CLUSTER_COMPRESSED) {
        return -ENOTSUP;
    }
    uint32_t mask = qcow2_sc_mask(s, offset & (s->cluster_size - 1), bytes);
    uint64_t nbm =
        ((((bm >> 32) | mask) & 0xffffffffULL) << 32) | ((uint32_t)bm & ~mask);
    if (nbm != bm) {
        l2_set(s, l2, j, e, nbm);
        qcow2_cache_mark_dirty(s->l2_cache, l2_off);
    }
    return 0;
}

/*
 * Whole clusters [offset, offset+bytes): zero (or discard) them, with
 * QEMU's entries.  A zero write keeps the host cluster (a zero flag on
 * it) unless BDRV_REQ_MAY_UNMAP or compressed.  A discard leaves a zero
 * cluster where the old content was allocated or a backing file would
 * show through (plain unallocated otherwise, and on v2 images); v2
 * images zero by discarding, without a backing file only (-ENOTSUP
 * otherwise: the caller writes zeros).  Freed clusters are punched out
 * of the file when s->punch_freed.
 */
int qcow2_zero_or_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                          bool discard, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    bool v3 = s->version >= 3;

    if (s->corrupt) {
        return -EIO;
    }
    if (!discard && !v3 && !s->extended_l2) {
        if (bs->backing) {
            return -ENOTSUP;
        }
        discard = true; /* unallocated reads as zero */
    }
    for (uint64_t o = offset; o < offset + bytes; o += s->cluster_size) {
        uint64_t e, bm;
        int ret = qcow2_get_l2_entry(bs, o, &e, &bm);
        if (ret < 0) {
            return ret;
        }
        Qcow2ClusterType t = qcow2_entry_type(s, e, bm);
        bool allocated = t == QCOW2_CLUSTER_NORMAL ||
                         t == QCOW2_CLUSTER_ZERO_ALLOC ||
                         t == QCOW2_CLUSTER_COMPRESSED;
        bool unmap;
        uint64_t ne, nbm = 0;
        if (discard) {
            unmap = allocated;
            ne = 0;
            if (bs->backing || allocated) {
                if (s->extended_l2) {
                    nbm = EXTL2_ALL_ZERO;
                } else if (v3) {
                    ne = QCOW_OFLAG_ZERO;
                }
            }
        } else {
            unmap = t == QCOW2_CLUSTER_COMPRESSED ||
                    ((flags & BDRV_REQ_MAY_UNMAP) && allocated);
            ne = unmap ? 0 : e;
            if (s->extended_l2) {
                nbm = EXTL2_ALL_ZERO;
            } else {
                ne |= QCOW_OFLAG_ZERO;
            }
        }
        if (ne == e && nbm == bm) {
            continue; /* nothing to do */
        }
        uint8_t *l2;
        uint64_t l2_off;
        ret = qcow2_l2_for_write(bs, o, &l2, &l2_off);
        if (ret < 0) {
            return ret;
        }
        uint64_t j = qcow2_l2_index(s, o);
        l2_set(s, l2, j, ne, nbm);
        qcow2_cache_mark_dirty(s->l2_cache, l2_off);
        if (unmap) {
            ret = qcow2_free_any_cluster(bs, e);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

int qcow2_preallocate(BlockDriverState *bs, uint64_t from, uint64_t to,
                      PreallocMode mode)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t o = from & ~(cs - 1);
    uint64_t host_end = 0;

    while (o < to) {
        uint8_t *l2;
        uint64_t l2_off;
        int ret = qcow2_l2_for_write(bs, o, &l2, &l2_off);
        if (ret < 0) {
            return ret;
        }
        uint64_t j = qcow2_l2_index(s, o);
        if (!qcow2_is_empty(s, l2_get(s, l2, j))) {
            o += cs;
            continue;
        }
        uint64_t k = 1;
        while (o + k * cs < to && j + k < s->l2_size &&
               qcow2_is_empty(s, l2_get(s, l2, j + k))) {
            k++;
        }
        int64_t host = qcow2_alloc_clusters(bs, k);
        if (host < 0) {
            return (int)host;
        }
        if (mode == PREALLOC_MODE_FALLOC || mode == PREALLOC_MODE_FULL) {
            Error *err = NULL;
            int64_t cur = qcow2_file_end(bs);
            if (cur < host + (int64_t)(k * cs)) {
                ret = bdrv_file.truncate(bs->file, host + k * cs, true, mode,
                                         &err);
                if (ret < 0) {
                    error_free(err);
                    return ret;
                }
            }
        }
        ret = qcow2_set_entries(bs, o, host, k);
        if (ret < 0) {
            return ret;
        }
        host_end = MAX(host_end, host + k * cs);
        o += k * cs;
    }
    int64_t cur = qcow2_file_end(bs);
    if (host_end && cur >= 0 && (uint64_t)cur < host_end) {
        Error *err = NULL;
        int ret = bdrv_file.truncate(bs->file, host_end, true,
                                     PREALLOC_MODE_OFF, &err);
        if (ret < 0) {
            error_free(err);
            return ret;
        }
    }
    return qcow2_flush_caches(bs);
}

/* Shrinking: drops every cluster at or past new_size. */
int qcow2_discard_beyond(BlockDriverState *bs, uint64_t new_size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t span = 1ULL << (s->cluster_bits + s->l2_bits);
    uint64_t first = (new_size + cs - 1) & ~(cs - 1);

    for (uint64_t o = first; o < s->size && o < (uint64_t)s->l1_size * span;) {
        uint64_t i = qcow2_l1_index(s, o);
        uint64_t l2_off = s->l1_table[i] & L1E_OFFSET_MASK;
        uint64_t next = (i + 1) * span;
        if (!l2_off) {
            o = next;
            continue;
        }
        if ((o & (span - 1)) == 0) {
            /* The whole table goes: drop its clusters, then the table. */
            uint8_t *l2;
            uint64_t off;
            int ret = qcow2_l2_lookup(bs, o, &l2, &off);
            if (ret < 0) {
                return ret;
            }
            g_autofree uint8_t *copy = g_memdup2(l2, cs);
            bool owned = s->l1_table[i] & QCOW_OFLAG_COPIED;
            s->l1_table[i] = 0;
            ret = qcow2_write_l1_entry(bs, i);
            if (ret < 0) {
                return ret;
            }
            qcow2_cache_discard(s->l2_cache, l2_off);
            if (owned) {
                for (uint64_t j = 0; j < s->l2_size; j++) {
                    uint64_t e = l2_get(s, copy, j);
                    if (!qcow2_is_empty(s, e)) {
                        ret = qcow2_free_any_cluster(bs, e);
                        if (ret < 0) {
                            return ret;
                        }
                    }
                }
            }
            ret = qcow2_free_clusters(bs, l2_off, 1);
            if (ret < 0) {
                return ret;
            }
            o = next;
            continue;
        }
        uint64_t end = MIN(next, s->size);
        end = (end + cs - 1) & ~(cs - 1);
        int ret = qcow2_zero_or_discard(bs, o, end - o, true, 0);
        if (ret < 0) {
            return ret;
        }
        /* Discard may leave zero flags (backing): clear them. */
        uint8_t *l2;
        uint64_t off;
        ret = qcow2_l2_lookup(bs, o, &l2, &off);
        if (ret < 0) {
            return ret;
        }
        if (l2 && (s->l1_table[i] & QCOW_OFLAG_COPIED)) {
            for (uint64_t g = o; g < end; g += cs) {
                uint64_t j = qcow2_l2_index(s, g);
                if (qcow2_is_empty(s, l2_get(s, l2, j))) {
                    l2_set(s, l2, j, 0, 0);
                }
            }
            qcow2_cache_mark_dirty(s->l2_cache, off);
        }
        o = next;
    }
    return qcow2_flush_caches(bs);
}
