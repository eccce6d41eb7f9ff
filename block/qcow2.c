/*
 * qcow2 format driver: header parsing and writing, open/create, the
 * driver entry points (each takes s->lock around the mapping code in
 * qcow2-cluster.c and the refcount code in qcow2-refcount.c), resize,
 * amend and info.
 *
 * Bad input never crashes: every table offset and size from the header is
 * range-checked before use, allocations are bounded, and an image found
 * corrupt while writable gets the corrupt bit and refuses further writes.
 */
#include <errno.h>
#include <string.h>
#include <inttypes.h>
#include <jansson.h>
#include "config-host.h"
#include "block/qcow2.h"
#include "util/cutils.h"

static const struct {
    uint8_t type;
    uint8_t bit;
    const char *name;
} qcow2_features[] = {
    {0, 0, "dirty bit"},
    {0, 1, "corrupt bit"},
    {0, 2, "external data file"},
    {0, 3, "compression type"},
    {0, 4, "extended L2 entries"},
    {1, 0, "lazy refcounts"},
    {2, 0, "bitmaps"},
    {2, 1, "raw external data"},
};

static int qcow2_probe(const uint8_t *buf, int buf_size, const char *name)
{
    if (buf_size >= 8 && be32_load(buf) == QCOW_MAGIC &&
        be32_load(buf + 4) >= 2) {
        return 100;
    }
    return 0;
}

void qcow2_signal_corruption(BlockDriverState *bs, const char *fmt, ...)
{
    BDRVQcow2State *s = bs->opaque;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    if (s->corrupt) {
        return; /* reported once */
    }
    if (s->read_only || s->ignore_corrupt) {
        error_report("qcow2: Image is corrupt: %s", msg);
        s->corrupt = !s->ignore_corrupt;
        return;
    }
    error_report("qcow2: Marking image as corrupt: %s; further corruption "
                 "events will be suppressed",
                 msg);
    s->incompat |= QCOW2_INCOMPAT_CORRUPT;
    if (s->version >= 3) {
        uint8_t be[8];
        be64_store(be, s->incompat);
        bdrv_pwrite(bs->file, 72, 8, be, 0);
    }
    s->corrupt = true;
}

int qcow2_write_l1_entry(BlockDriverState *bs, uint64_t index)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t be[8];
    if (s->corrupt) {
        return -EIO;
    }
    be64_store(be, s->l1_table[index]);
    return bdrv_pwrite(bs->file, s->l1_table_offset + index * 8, 8, be, 0);
}

/* Writes the incompatible-features word, durable when flushes are on. */
static int qcow2_write_incompat(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t be[8];
    be64_store(be, s->incompat);
    int ret = bdrv_pwrite(bs->file, 72, 8, be, 0);
    return ret < 0 ? ret : bdrv_flush(bs->file);
}

int qcow2_mark_dirty(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (!s->lazy_refcounts || (s->incompat & QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    /* Whatever was written before must not depend on the bit. */
    int ret = bdrv_flush(bs->file);
    if (ret < 0) {
        return ret;
    }
    s->incompat |= QCOW2_INCOMPAT_DIRTY;
    ret = qcow2_write_incompat(bs);
    if (ret < 0) {
        s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
    }
    return ret;
}

int qcow2_mark_clean(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (!(s->incompat & QCOW2_INCOMPAT_DIRTY) || s->corrupt) {
        return 0;
    }
    /* Refcounts on disk first, then the header that vouches for them. */
    int ret = qcow2_flush_caches(bs);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        return ret;
    }
    s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
    return qcow2_write_incompat(bs);
}

int qcow2_header_write_size(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t be[8];
    be64_store(be, s->size);
    return bdrv_pwrite(bs->file, 24, 8, be, 0);
}

int qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size, bool exact)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t new_size = min_size;
    int ret;

    if (new_size <= s->l1_size) {
        return 0;
    }
    if (new_size * 8 > QCOW2_MAX_L1_BYTES) {
        return -EFBIG;
    }
    uint64_t bytes = new_size * 8;
    uint64_t clusters = qcow2_size_to_clusters(s, bytes);
    g_autofree uint8_t *be = g_malloc0(clusters * s->cluster_size);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        be64_store(be + i * 8, s->l1_table[i]);
    }
    ret = qcow2_flush_caches(bs);
    if (ret < 0) {
        return ret;
    }
    int64_t off = qcow2_alloc_clusters(bs, clusters);
    if (off < 0) {
        return (int)off;
    }
    ret = qcow2_refcounts_before_tables(bs);
    if (ret == 0) {
        /*
         * Write the used part only (the rest reads as zero), keeping the
         * file sparse where QEMU's is: same "disk size" for new images.
         */
        ret = bdrv_pwrite(bs->file, off, bytes, be, 0);
    }
    if (ret < 0) {
        return ret;
    }
    uint8_t hdr[12];
    be32_store(hdr, new_size);
    be64_store(hdr + 4, off);
    ret = bdrv_pwrite(bs->file, 36, 12, hdr, 0);
    if (ret < 0) {
        return ret;
    }
    uint64_t old_off = s->l1_table_offset;
    uint64_t old_clusters = qcow2_size_to_clusters(s, (uint64_t)s->l1_size * 8);
    s->l1_table = g_renew(uint64_t, s->l1_table, new_size);
    memset(s->l1_table + s->l1_size, 0, (new_size - s->l1_size) * 8);
    s->l1_size = new_size;
    s->l1_table_offset = off;
    if (old_off && old_clusters) {
        ret = qcow2_free_clusters(bs, old_off, old_clusters);
    }
    return ret;
}

/* Rewrites the whole header cluster from s. */
int qcow2_update_header(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    g_autofree uint8_t *h = g_malloc0(cs);
    size_t pos;

    if (s->corrupt && !s->ignore_corrupt) {
        return -EIO;
    }
    be32_store(h, QCOW_MAGIC);
    be32_store(h + 4, s->version);
    be32_store(h + 20, s->cluster_bits);
    be64_store(h + 24, s->size);
    be32_store(h + 32, s->crypt_method);
    be32_store(h + 36, s->l1_size);
    be64_store(h + 40, s->l1_table_offset);
    be64_store(h + 48, s->refcount_table_offset);
    be32_store(h + 56, s->refcount_table_clusters);
    be32_store(h + 60, s->nb_snapshots);
    be64_store(h + 64, s->snapshots_offset);
    if (s->version >= 3) {
        uint64_t incompat = s->incompat;
        if (s->compression_type != QCOW2_COMPRESSION_ZLIB) {
            incompat |= QCOW2_INCOMPAT_COMPRESSION;
        }
        be64_store(h + 72, incompat);
        be64_store(h + 80, s->compat);
        /* Autoclear bits we don't know are cleared, as required. */
        be64_store(h + 88, s->autoclear & QCOW2_AUTOCLEAR_BITMAPS);
        be32_store(h + 96, s->refcount_order);
        be32_store(h + 100, 112);
        h[104] = s->compression_type;
        pos = 112;
    } else {
        pos = 72;
    }
    if (bs->backing_format[0]) {
        size_t len = strlen(bs->backing_format);
        be32_store(h + pos, QCOW2_EXT_BACKING_FMT);
        be32_store(h + pos + 4, len);
        memcpy(h + pos + 8, bs->backing_format, len);
        pos += 8 + ((len + 7) & ~7);
    }
    size_t ftsize = G_N_ELEMENTS(qcow2_features) * 48;
    /* QEMU writes the feature name table only from 8 KiB clusters up. */
    if (s->version >= 3 && cs >= 8192 && pos + 8 + ftsize < cs / 2) {
        be32_store(h + pos, QCOW2_EXT_FEATURE_TBL);
        be32_store(h + pos + 4, ftsize);
        pos += 8;
        for (size_t i = 0; i < G_N_ELEMENTS(qcow2_features); i++) {
            h[pos] = qcow2_features[i].type;
            h[pos + 1] = qcow2_features[i].bit;
            strncpy((char *)h + pos + 2, qcow2_features[i].name, 46);
            pos += 48;
        }
    }
    for (int i = 0; i < s->n_unknown_ext; i++) {
        Qcow2UnknownExt *x = &s->unknown_ext[i];
        if (pos + 8 + x->len + 16 > cs) {
            return -ENOSPC;
        }
        be32_store(h + pos, x->type);
        be32_store(h + pos + 4, x->len);
        memcpy(h + pos + 8, x->data, x->len);
        pos += 8 + ((x->len + 7) & ~7);
    }
    pos += 8; /* end marker: zeros */
    if (bs->backing_file[0]) {
        size_t len = strlen(bs->backing_file);
        if (pos + len > cs) {
            return -ENOSPC;
        }
        be64_store(h + 8, pos);
        be32_store(h + 16, len);
        memcpy(h + pos, bs->backing_file, len);
        pos += len;
    }
    return bdrv_pwrite(bs->file, 0, cs, h, 0);
}

static void qcow2_free_state(BDRVQcow2State *s)
{
    qcow2_bitmaps_free(s);
    qcow2_cache_destroy(s->l2_cache);
    qcow2_cache_destroy(s->refblock_cache);
    s->l2_cache = s->refblock_cache = NULL;
    g_free(s->l1_table);
    g_free(s->refcount_table);
    g_free(s->cluster_data);
    qcow2_free_snapshots(s);
    for (int i = 0; i < s->n_unknown_ext; i++) {
        g_free(s->unknown_ext[i].data);
    }
    g_free(s->unknown_ext);
    s->l1_table = NULL;
    s->refcount_table = NULL;
    s->cluster_data = NULL;
    s->unknown_ext = NULL;
}

static int qcow2_read_extensions(BlockDriverState *bs, const uint8_t *h,
                                 uint64_t start, uint64_t end, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t pos = start;

    while (pos + 8 <= end) {
        uint32_t type = be32_load(h + pos);
        uint32_t len = be32_load(h + pos + 4);
        pos += 8;
        if (type == QCOW2_EXT_END) {
            break;
        }
        if (len > end - pos) {
            error_setg(errp, "Invalid extension length");
            return -EINVAL;
        }
        switch (type) {
        case QCOW2_EXT_BACKING_FMT:
            if (len >= sizeof(bs->backing_format)) {
                error_setg(errp,
                           "ERROR: ext_backing_format: len=%u too "
                           "large (>=%zu)",
                           len, sizeof(bs->backing_format));
                return -EINVAL;
            }
            memcpy(bs->backing_format, h + pos, len);
            bs->backing_format[len] = 0;
            break;
        case QCOW2_EXT_FEATURE_TBL:
            break; /* rewritten from our own table */
        case QCOW2_EXT_CRYPTO:
            error_setg(errp, "encrypted images are not supported");
            return -ENOTSUP;
        case QCOW2_EXT_DATA_FILE:
            error_setg(errp, "Unsupported qcow2 feature(s): external data "
                             "file");
            return -ENOTSUP;
        default:
            if (s->n_unknown_ext >= 64) {
                error_setg(errp, "Too many header extensions");
                return -EINVAL;
            }
            s->unknown_ext =
                g_renew(Qcow2UnknownExt, s->unknown_ext, s->n_unknown_ext + 1);
            s->unknown_ext[s->n_unknown_ext++] =
                (Qcow2UnknownExt){type, len, g_memdup2(h + pos, len)};
            break;
        }
        pos += (len + 7ULL) & ~7ULL;
    }
    return 0;
}

static int qcow2_do_open(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t hdr[112];
    int64_t file_len = bdrv_getlength(bs->file);
    int ret;

    pthread_mutex_init(&s->lock, NULL);
    s->read_only = !(flags & BDRV_O_RDWR);
    s->ignore_corrupt = flags & BDRV_O_CHECK;
    s->cluster_cache_offset = -1;
    s->metadata_prealloc = -1;
    if (file_len < 0) {
        error_setg_errno(errp, (int)-file_len, "Could not get file size");
        return (int)file_len;
    }
    if (file_len < 72) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    memset(hdr, 0, sizeof(hdr));
    ret = bdrv_pread(bs->file, 0, MIN((int64_t)sizeof(hdr), file_len), hdr);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        return ret;
    }
    if (be32_load(hdr) != QCOW_MAGIC) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    s->version = be32_load(hdr + 4);
    if (s->version < 2 || s->version > 3) {
        error_setg(errp, "Unsupported qcow2 version %u", s->version);
        return -ENOTSUP;
    }
    s->cluster_bits = be32_load(hdr + 20);
    if (s->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        s->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        error_setg(errp, "Unsupported cluster size: 2^%i", s->cluster_bits);
        return -EINVAL;
    }
    s->cluster_size = 1ULL << s->cluster_bits;
    s->size = be64_load(hdr + 24);
    s->crypt_method = be32_load(hdr + 32);
    s->l1_size = be32_load(hdr + 36);
    s->l1_table_offset = be64_load(hdr + 40);
    s->refcount_table_offset = be64_load(hdr + 48);
    s->refcount_table_clusters = be32_load(hdr + 56);
    s->nb_snapshots = be32_load(hdr + 60);
    s->snapshots_offset = be64_load(hdr + 64);
    uint64_t backing_off = be64_load(hdr + 8);
    uint32_t backing_len = be32_load(hdr + 16);
    if (s->version == 2) {
        s->refcount_order = 4;
        s->header_length = 72;
    } else {
        s->incompat = be64_load(hdr + 72);
        s->compat = be64_load(hdr + 80);
        s->autoclear = be64_load(hdr + 88);
        s->refcount_order = be32_load(hdr + 96);
        s->header_length = be32_load(hdr + 100);
        if (s->header_length < 104) {
            error_setg(errp, "qcow2 header too short");
            return -EINVAL;
        }
        if (s->header_length > s->cluster_size) {
            error_setg(errp, "qcow2 header exceeds cluster size");
            return -EINVAL;
        }
        if (s->header_length > 104) {
            s->compression_type = hdr[104];
        }
    }
    if (s->incompat & ~QCOW2_INCOMPAT_KNOWN) {
        error_setg(errp,
                   "Unsupported qcow2 feature(s): Unknown "
                   "incompatible feature: %" PRIx64,
                   (uint64_t)(s->incompat & ~QCOW2_INCOMPAT_KNOWN));
        return -ENOTSUP;
    }
    if (s->incompat & QCOW2_INCOMPAT_DATA_FILE) {
        error_setg(errp, "Unsupported qcow2 feature(s): external data file");
        return -ENOTSUP;
    }
    if ((s->incompat & QCOW2_INCOMPAT_CORRUPT) && !s->read_only &&
        !s->ignore_corrupt) {
        error_setg(errp, "qcow2: Image is corrupt; cannot be opened "
                         "read/write");
        return -EACCES;
    }
    if (s->crypt_method) {
        error_setg(errp, "encrypted images are not supported");
        return -ENOTSUP;
    }
    if ((uint32_t)s->refcount_order > 6) {
        error_setg(errp, "Reference count entry width too large; may not "
                         "exceed 64 bits");
        return -EINVAL;
    }
    if (s->compression_type > QCOW2_COMPRESSION_ZSTD ||
        (s->compression_type != 0 &&
         !(s->incompat & QCOW2_INCOMPAT_COMPRESSION))) {
        error_setg(errp, "Invalid compression type");
        return -EINVAL;
    }
#if !CONFIG_ZSTD
    if (s->compression_type == QCOW2_COMPRESSION_ZSTD) {
        error_setg(errp, "zstd compression is not supported by this build");
        return -ENOTSUP;
    }
#endif
    s->extended_l2 = s->incompat & QCOW2_INCOMPAT_EXTL2;
    if (s->extended_l2 && s->cluster_bits < 14) {
        error_setg(errp, "Extended L2 entries are only supported with "
                         "cluster sizes of at least 16384 bytes");
        return -EINVAL;
    }
    s->l2_entry_size = s->extended_l2 ? 16 : 8;
    s->l2_bits = s->cluster_bits - (s->extended_l2 ? 4 : 3);
    s->l2_size = 1ULL << s->l2_bits;
    s->subcluster_bits = s->cluster_bits - (s->extended_l2 ? 5 : 0);
    s->subcluster_size = 1ULL << s->subcluster_bits;
    s->csize_shift = 62 - (s->cluster_bits - 8);
    s->csize_mask = (1ULL << (s->cluster_bits - 8)) - 1;
    s->cluster_offset_mask = (1ULL << s->csize_shift) - 1;
    s->refcount_bits = 1 << s->refcount_order;
    s->refcount_max =
        s->refcount_bits == 64 ? UINT64_MAX : (1ULL << s->refcount_bits) - 1;
    s->refcount_block_bits = s->cluster_bits + 3 - s->refcount_order;

    /* Virtual size and L1 table. */
    if (s->size > (1ULL << 62)) {
        error_setg(errp, "Image size too large");
        return -EFBIG;
    }
    uint64_t span_bits = s->cluster_bits + s->l2_bits;
    uint64_t need_l1 = (s->size + (1ULL << span_bits) - 1) >> span_bits;
    if ((uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "Active L1 table too large");
        return -EFBIG;
    }
    if (s->l1_size < need_l1) {
        error_setg(errp, "L1 table is too small");
        return -EINVAL;
    }
    if (s->l1_size && ((s->l1_table_offset & (s->cluster_size - 1)) ||
                       s->l1_table_offset > (uint64_t)file_len)) {
        error_setg(errp, "Invalid L1 table offset");
        return -EINVAL;
    }
    if ((s->refcount_table_offset & (s->cluster_size - 1)) ||
        !s->refcount_table_offset) {
        error_setg(errp, "Invalid reference count table offset");
        return -EINVAL;
    }
    if ((uint64_t)s->refcount_table_clusters << s->cluster_bits >
            QCOW2_MAX_REFTABLE_BYTES ||
        s->refcount_table_clusters == 0) {
        error_setg(errp, "Reference count table too large");
        return -EINVAL;
    }
    if (s->refcount_table_offset > (uint64_t)file_len) {
        error_setg(errp, "Reference count table is beyond the end of the "
                         "image");
        return -EINVAL;
    }
    if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        error_setg(errp, "Too many snapshots");
        return -EINVAL;
    }
    if (s->nb_snapshots && (s->snapshots_offset & (s->cluster_size - 1))) {
        error_setg(errp, "Invalid snapshot table offset");
        return -EINVAL;
    }

    /* Header cluster: extensions and the backing file name. */
    uint64_t hc_len = MIN(s->cluster_size, (uint64_t)file_len);
    g_autofree uint8_t *hc = g_malloc0(s->cluster_size);
    ret = bdrv_pread(bs->file, 0, hc_len, hc);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read header cluster");
        return ret;
    }
    uint64_t ext_end = s->cluster_size;
    if (backing_off && backing_off > s->header_length &&
        backing_off < ext_end) {
        ext_end = backing_off;
    }
    ret = qcow2_read_extensions(bs, hc, s->header_length, ext_end, errp);
    if (ret < 0) {
        return ret;
    }
    if (backing_off) {
        if (backing_len > QCOW2_MAX_BACKING_NAME ||
            backing_len >= sizeof(bs->backing_file)) {
            error_setg(errp, "Backing file name too long");
            return -EINVAL;
        }
        if (backing_off > s->cluster_size ||
            backing_len > s->cluster_size - backing_off) {
            error_setg(errp, "Invalid backing file offset");
            return -EINVAL;
        }
        memcpy(bs->backing_file, hc + backing_off, backing_len);
        bs->backing_file[backing_len] = 0;
    }

    /* Tables. */
    s->refcount_table_size =
        ((uint64_t)s->refcount_table_clusters << s->cluster_bits) / 8;
    g_autofree uint8_t *rt = g_malloc(s->refcount_table_size * 8);
    ret = bdrv_pread(bs->file, s->refcount_table_offset,
                     s->refcount_table_size * 8, rt);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read refcount table");
        return ret;
    }
    s->refcount_table = g_new(uint64_t, s->refcount_table_size);
    for (uint64_t i = 0; i < s->refcount_table_size; i++) {
        s->refcount_table[i] = be64_load(rt + i * 8);
    }
    s->l1_table = g_new0(uint64_t, MAX(s->l1_size, 1));
    if (s->l1_size) {
        g_autofree uint8_t *l1 = g_malloc((uint64_t)s->l1_size * 8);
        ret = bdrv_pread(bs->file, s->l1_table_offset, (uint64_t)s->l1_size * 8,
                         l1);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read L1 table");
            return ret;
        }
        for (uint32_t i = 0; i < s->l1_size; i++) {
            s->l1_table[i] = be64_load(l1 + i * 8);
        }
    }
    uint64_t l2_tables = MAX(need_l1, 1);
    uint64_t l2_max = MAX(16, (32ULL << 20) >> s->cluster_bits);
    int l2_entries = (int)MIN(MAX(l2_tables, 16), MIN(l2_max, 1024));
    int rb_entries = (int)MIN(MAX(8, (4ULL << 20) >> s->cluster_bits), 256);
    s->l2_cache = qcow2_cache_create(l2_entries, s->cluster_size, true);
    s->refblock_cache = qcow2_cache_create(rb_entries, s->cluster_size, false);
    s->cluster_data = g_malloc(s->cluster_size);
    s->free_cluster_index = 1;

    ret = qcow2_read_snapshots(bs, errp);
    if (ret < 0) {
        return ret;
    }

    /*
     * Autoclear features: unknown ones are cleared by a writer, as the
     * spec asks; persistent bitmaps are marked in use (not maintained).
     */
    if (s->autoclear && !s->read_only && !s->ignore_corrupt &&
        s->version >= 3) {
        if (s->autoclear & ~QCOW2_AUTOCLEAR_BITMAPS) {
            s->autoclear &= QCOW2_AUTOCLEAR_BITMAPS;
            ret = qcow2_update_header(bs);
        }
        if (ret == 0) {
            ret = qcow2_bitmaps_open_rw(bs);
        }
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not update qcow2 header");
            return ret;
        }
    }

    /* An image left dirty (lazy refcounts) is repaired on rw open. */
    if ((s->incompat & QCOW2_INCOMPAT_DIRTY) && !s->read_only &&
        !s->ignore_corrupt) {
        BdrvCheckResult res = {.log = g_string_new(NULL)};
        ret = qcow2_check_refcounts(bs, &res, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS);
        fputs(res.log->str, stderr); /* QEMU prints the repair too */
        g_string_free(res.log, true);
        if (ret == 0 && res.check_errors) {
            ret = -EIO;
        }
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not repair dirty image");
            return ret;
        }
        s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
        ret = qcow2_update_header(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not update qcow2 header");
            return ret;
        }
    }
    s->lazy_refcounts = s->version >= 3 && !s->read_only &&
                        (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS);
    return 0;
}

static int qcow2_open(BlockDriverState *bs, int flags, Error **errp)
{
    int ret = qcow2_do_open(bs, flags, errp);
    if (ret < 0) {
        qcow2_free_state(bs->opaque);
    }
    return ret;
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (!s->read_only && !s->corrupt) {
        qcow2_bitmaps_close(bs); /* before the refcounts go out */
        qcow2_flush_caches(bs);
        if (!s->ignore_corrupt) {
            qcow2_mark_clean(bs); /* lazy refcounts: exact again */
        }
    }
    qcow2_free_state(s);
    pthread_mutex_destroy(&s->lock);
}

static int qcow2_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       void *buf)
{
    BDRVQcow2State *s = bs->opaque;
    pthread_mutex_lock(&s->lock);
    int ret = qcow2_read(bs, offset, bytes, buf, true);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        const void *buf, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    pthread_mutex_lock(&s->lock);
    int ret = qcow2_write(bs, offset, bytes, buf, true);
    qcow2_bitmaps_set_dirty(bs, offset, bytes);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

/* Whether [offset, offset + bytes) reads as zero, from metadata alone. */
static bool qcow2_is_zero(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    uint64_t pnum;
    if (!bytes) {
        return true;
    }
    int ret = bdrv_block_status_above(bs, NULL, offset, bytes, &pnum, NULL,
                                      NULL, NULL);
    return ret >= 0 && (ret & BDRV_BLOCK_ZERO) && pnum >= bytes;
}

/*
 * One piece [offset, end) of a zero write inside one zeroing unit (a
 * subcluster with extended L2, else a cluster) starting at unit.  As in
 * QEMU, when the rest of the unit already reads as zero and the unit
 * holds no data, the whole unit is zeroed in the metadata; otherwise
 * zeros are written.  unit_zero: the caller's finding that the rest of
 * the unit reads as zero (taken before s->lock).  Called with s->lock.
 */
static int qcow2_zero_piece(BlockDriverState *bs, uint64_t unit,
                            uint64_t offset, uint64_t end, bool unit_zero,
                            int flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t align = s->extended_l2 ? s->subcluster_size : s->cluster_size;
    uint64_t uend = MIN(unit + align, s->size);
    int ret = -ENOTSUP;

    if (unit_zero) {
        uint64_t n, host, entry;
        int t = qcow2_map_type(bs, unit, uend - unit, &n, &host, &entry);
        if (t < 0) {
            return t;
        }
        if (t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_COMPRESSED) {
            ret = s->extended_l2 && align < s->cluster_size
                      ? qcow2_zero_subclusters(bs, unit, align)
                      : qcow2_zero_or_discard(bs, unit, s->cluster_size, false,
                                              flags);
        }
    }
    if (ret == -ENOTSUP) {
        g_autofree uint8_t *z = g_malloc0(end - offset);
        ret = qcow2_write(bs, offset, end - offset, z, false);
    }
    return ret;
}

/* Zeroes [offset, end), unit aligned (or ending at the image end). */
static int qcow2_zero_aligned(BlockDriverState *bs, uint64_t offset,
                              uint64_t end, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    int ret = 0;

    while (offset < end && ret == 0) {
        uint64_t cnext = (offset & ~(cs - 1)) + cs;
        uint64_t stop, next;
        if (!(offset & (cs - 1)) && (cnext <= end || end == s->size)) {
            /* A run of whole clusters (the last one may end the image). */
            next = cnext;
            while (next < end && (next + cs <= end || end == s->size)) {
                next += cs;
            }
            stop = MIN(next, end);
            ret =
                qcow2_zero_or_discard(bs, offset, next - offset, false, flags);
        } else {
            stop = next = MIN(cnext, end);
            ret = s->extended_l2
                      ? qcow2_zero_subclusters(bs, offset, stop - offset)
                      : -ENOTSUP;
        }
        if (ret == -ENOTSUP) {
            /* v2 with data or a backing file, or compressed: real zeros. */
            g_autofree uint8_t *z = g_malloc0(MIN(stop - offset, cs));
            ret = 0;
            for (uint64_t o = offset; o < stop && ret == 0;) {
                uint64_t n = MIN(cs - (o & (cs - 1)), stop - o);
                ret = qcow2_write(bs, o, n, z, false);
                o += n;
            }
        }
        offset = next;
    }
    return ret;
}

static int qcow2_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                               uint64_t bytes, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t align = s->extended_l2 ? s->subcluster_size : s->cluster_size;
    uint64_t end = offset + bytes;
    uint64_t head_unit = offset & ~(align - 1);
    uint64_t tail_unit = end & ~(align - 1);
    uint64_t astart = offset, aend = end;
    bool head = false, tail = false, head_zero = false, tail_zero = false;
    int ret = 0;

    /* Pieces of units at the ends; a unit ending the image is whole. */
    if (offset & (align - 1)) {
        head = true;
        astart = MIN(head_unit + align, end);
    }
    if ((end & (align - 1)) && end != s->size && tail_unit >= astart) {
        tail = true;
        aend = tail_unit;
    }
    if (head) {
        uint64_t pend = astart;
        uint64_t rest = pend == s->size ? pend : head_unit + align;
        head_zero = qcow2_is_zero(bs, head_unit, offset - head_unit) &&
                    qcow2_is_zero(bs, pend, MIN(rest, s->size) - pend);
    }
    if (tail) {
        uint64_t uend = MIN(tail_unit + align, s->size);
        tail_zero = qcow2_is_zero(bs, end, uend - end);
    }
    pthread_mutex_lock(&s->lock);
    s->punch_freed = true;
    if (head) {
        ret = qcow2_zero_piece(bs, head_unit, offset, astart, head_zero, flags);
    }
    if (ret == 0 && astart < aend) {
        ret = qcow2_zero_aligned(bs, astart, aend, flags);
    }
    if (ret == 0 && tail) {
        ret = qcow2_zero_piece(bs, tail_unit, tail_unit, end, tail_zero, flags);
    }
    s->punch_freed = false;
    qcow2_bitmaps_set_dirty(bs, offset, bytes);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_compress_buffer(BlockDriverState *bs, const void *in,
                                 void *out, uint64_t out_len)
{
    BDRVQcow2State *s = bs->opaque;
    return qcow2_compress(s, in, out, MIN(out_len, s->cluster_size - 1));
}

static int qcow2_pwrite_precompressed(BlockDriverState *bs, uint64_t offset,
                                      const void *cdata, uint64_t clen)
{
    BDRVQcow2State *s = bs->opaque;
    if (offset & (s->cluster_size - 1)) {
        return -EINVAL;
    }
    pthread_mutex_lock(&s->lock);
    int ret = qcow2_write_compressed_data(bs, offset, cdata, clen);
    qcow2_bitmaps_set_dirty(bs, offset, s->cluster_size);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_pwrite_compressed(BlockDriverState *bs, uint64_t offset,
                                   uint64_t bytes, const void *buf)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    int ret = 0;

    if (offset & (cs - 1)) {
        return -EINVAL;
    }
    g_autofree uint8_t *tail = NULL;
    g_autofree uint8_t *out = g_malloc(cs);
    for (uint64_t o = 0; o < bytes && ret == 0; o += cs) {
        const uint8_t *p = (const uint8_t *)buf + o;
        if (bytes - o < cs) {
            if (offset + bytes != s->size) {
                return -EINVAL;
            }
            tail = g_malloc0(cs);
            memcpy(tail, p, bytes - o);
            p = tail;
        }
        /* Compress outside the lock: concurrent writers compress in
         * parallel. */
        int len = qcow2_compress(s, p, out, cs - 1);
        pthread_mutex_lock(&s->lock);
        if (len == -ENOMEM) {
            ret = qcow2_write(bs, offset + o, MIN(cs, s->size - offset - o), p,
                              false); /* incompressible */
        } else if (len < 0) {
            ret = len;
        } else {
            ret = qcow2_write_compressed_data(bs, offset + o, out, len);
        }
        qcow2_bitmaps_set_dirty(bs, offset + o, MIN(cs, bytes - o));
        pthread_mutex_unlock(&s->lock);
    }
    return ret;
}

static int qcow2_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t end = offset + bytes;
    uint64_t astart = (offset + cs - 1) & ~(cs - 1);
    uint64_t aend =
        end == s->size ? ((end + cs - 1) & ~(cs - 1)) : end & ~(cs - 1);
    if (astart >= aend) {
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    s->punch_freed = true;
    int ret = qcow2_zero_or_discard(bs, astart, aend - astart, true, 0);
    s->punch_freed = false;
    qcow2_bitmaps_set_dirty(bs, astart, aend - astart);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_flush(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (s->corrupt) {
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    int ret = qcow2_flush_caches(bs);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    return (int64_t)s->size;
}

/*
 * Whether the image looks metadata-preallocated: far more clusters in use
 * than the host file really stores.  Such images get their zero ranges
 * from the file's holes (BDRV_BLOCK_RECURSE), as QEMU reports them.
 */
static bool qcow2_detect_metadata_prealloc(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (s->metadata_prealloc < 0) {
        /*
         * QEMU's rule: clusters in use (refcount > 0) at least 10/9 of
         * (and 2 more than) the clusters the file really occupies.
         */
        int64_t len = bdrv_getlength(bs->file);
        int64_t real = bdrv_get_allocated_file_size(bs->file);
        s->metadata_prealloc = 0;
        if (len > 0 && real >= 0) {
            uint64_t real_clusters = (uint64_t)real / s->cluster_size;
            uint64_t threshold = MAX(real_clusters * 10 / 9, real_clusters + 2);
            uint64_t end = qcow2_size_to_clusters(s, len), count = 0;
            for (uint64_t c = 0; c < end && count < threshold; c++) {
                uint64_t rc;
                if (qcow2_get_refcount(bs, c, &rc) < 0) {
                    break;
                }
                count += rc != 0;
            }
            s->metadata_prealloc = count >= threshold;
        }
    }
    return s->metadata_prealloc;
}

static int qcow2_block_status(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes, uint64_t *pnum, uint64_t *map,
                              BlockDriverState **file)
{
    BDRVQcow2State *s = bs->opaque;
    pthread_mutex_lock(&s->lock);
    int ret = qcow2_status(bs, offset, bytes, pnum, map);
    if (ret >= 0 && (ret & BDRV_BLOCK_DATA) &&
        (ret & BDRV_BLOCK_OFFSET_VALID) && qcow2_detect_metadata_prealloc(bs)) {
        ret |= BDRV_BLOCK_RECURSE;
    }
    pthread_mutex_unlock(&s->lock);
    *file = bs->file;
    return ret;
}

static int qcow2_truncate(BlockDriverState *bs, uint64_t size, bool exact,
                          PreallocMode prealloc, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = 0;

    if (size & 511) {
        error_setg(errp, "The new size must be a multiple of 512");
        return -EINVAL;
    }
    pthread_mutex_lock(&s->lock);
    if (size < s->size) {
        if (s->nb_snapshots) {
            error_setg(errp, "Can't resize an image which has snapshots");
            ret = -ENOTSUP;
            goto out;
        }
        s->punch_freed = true;
        ret = qcow2_discard_beyond(bs, size);
        s->punch_freed = false;
        if (ret < 0) {
            error_setg_errno(errp, -ret,
                             "Failed to discard cropped "
                             "clusters");
            goto out;
        }
    } else if (size > s->size) {
        uint64_t span_bits = s->cluster_bits + s->l2_bits;
        uint64_t need = (size + (1ULL << span_bits) - 1) >> span_bits;
        ret = qcow2_grow_l1_table(bs, need, true);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to grow the L1 table");
            goto out;
        }
    }
    uint64_t old = s->size;
    s->size = size;
    if (size != old) {
        /* Persistent bitmaps follow the size (or are dropped). */
        ret = qcow2_bitmaps_truncate(bs, size);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not update the header");
            s->size = old;
            goto out;
        }
    }
    if (size > old && prealloc != PREALLOC_MODE_OFF) {
        ret = qcow2_preallocate(bs, old, size, prealloc);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Preallocation failed");
            s->size = old;
            goto out;
        }
    }
    ret = qcow2_flush_caches(bs);
    if (ret == 0) {
        ret = qcow2_header_write_size(bs);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update the image size");
    }
out:
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    BDRVQcow2State *s = bs->opaque;
    bdi->cluster_size = (int)s->cluster_size;
    bdi->is_dirty = s->incompat & QCOW2_INCOMPAT_DIRTY;
    return 0;
}

static void *qcow2_get_specific_info(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    json_t *data = json_object();
    json_object_set_new(data, "compat",
                        json_string(s->version == 2 ? "0.10" : "1.1"));
    json_object_set_new(data, "compression-type",
                        json_string(s->compression_type ? "zstd" : "zlib"));
    if (s->version >= 3) {
        json_object_set_new(
            data, "lazy-refcounts",
            json_boolean(s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS));
    }
    json_t *bitmaps = qcow2_bitmap_info(bs);
    if (bitmaps) {
        json_object_set_new(data, "bitmaps", bitmaps);
    }
    json_object_set_new(data, "refcount-bits", json_integer(s->refcount_bits));
    if (s->version >= 3) {
        json_object_set_new(data, "corrupt",
                            json_boolean(s->incompat & QCOW2_INCOMPAT_CORRUPT));
        json_object_set_new(data, "extended-l2", json_boolean(s->extended_l2));
    }
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("qcow2"));
    json_object_set_new(o, "data", data);
    return o;
}

static bool qcow2_has_zero_init(BlockDriverState *bs)
{
    return true;
}

static int qcow2_check(BlockDriverState *bs, BdrvCheckResult *res,
                       BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    pthread_mutex_lock(&s->lock);
    int ret = qcow2_check_refcounts(bs, res, fix);
    /* As QEMU: a repaired image is clean and consistent again. */
    if (ret == 0 && fix && !s->read_only && !res->check_errors &&
        !res->corruptions &&
        (s->incompat & (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT))) {
        s->incompat &= ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT);
        ret = qcow2_update_header(bs);
    }
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_change_backing_file(BlockDriverState *bs, const char *file,
                                     const char *fmt, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    char old_file[sizeof(bs->backing_file)];
    char old_fmt[sizeof(bs->backing_format)];

    if (file && strlen(file) > QCOW2_MAX_BACKING_NAME) {
        error_setg(errp, "Backing file name too long");
        return -EINVAL;
    }
    if (fmt && strlen(fmt) >= sizeof(bs->backing_format)) {
        error_setg(errp, "Backing format name too long");
        return -EINVAL;
    }
    memcpy(old_file, bs->backing_file, sizeof(old_file));
    memcpy(old_fmt, bs->backing_format, sizeof(old_fmt));
    g_strlcpy(bs->backing_file, file ? file : "", sizeof(bs->backing_file));
    g_strlcpy(bs->backing_format, (file && fmt) ? fmt : "",
              sizeof(bs->backing_format));
    pthread_mutex_lock(&s->lock);
    int ret = qcow2_update_header(bs);
    pthread_mutex_unlock(&s->lock);
    if (ret < 0) {
        memcpy(bs->backing_file, old_file, sizeof(old_file));
        memcpy(bs->backing_format, old_fmt, sizeof(old_fmt));
        error_setg_errno(errp, -ret, "Could not update the header");
    }
    return ret;
}

static int qcow2_make_empty(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t size = (s->size + cs - 1) & ~(cs - 1);
    pthread_mutex_lock(&s->lock);
    int ret = 0;
    s->punch_freed = true; /* as QEMU: freed clusters leave the file */
    qcow2_bitmaps_set_dirty(bs, 0, s->size); /* the backing shows through */
    for (uint64_t o = 0; o < size && ret == 0; o += cs) {
        uint64_t e, bm;
        ret = qcow2_get_l2_entry(bs, o, &e, &bm);
        if (ret == 0 && (e || bm)) {
            /* Discard without a zero flag: expose the backing file. */
            ret = qcow2_zero_or_discard(bs, o, cs, true, 0);
            if (ret == 0) {
                ret = qcow2_clear_entry(bs, o);
            }
        }
    }
    s->punch_freed = false;
    if (ret == 0) {
        ret = qcow2_flush_caches(bs);
    }
    pthread_mutex_unlock(&s->lock);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not empty the image");
    }
    return ret;
}

/* ---- create ------------------------------------------------------------ */

static const OptDesc qcow2_create_opts[] = {
    {"size", OPT_SIZE, "Virtual disk size"},
    {"compat", OPT_STRING, "Compatibility level (v2 [0.10] or v3 [1.1])"},
    {"backing_file", OPT_STRING, "File name of a base image"},
    {"backing_fmt", OPT_STRING, "Image format of the base image"},
    {"data_file", OPT_STRING, "File name of an external data file"},
    {"data_file_raw", OPT_BOOL,
     "The external data file must stay valid as a raw image"},
    {"encryption", OPT_BOOL,
     "Encrypt the image with format 'aes'. (Deprecated in favor of "
     "encrypt.format=aes)"},
    {"encrypt.format", OPT_STRING,
     "Encrypt the image, format choices: 'aes', 'luks'"},
    {"cluster_size", OPT_SIZE, "qcow2 cluster size"},
    {"extended_l2", OPT_BOOL, "Extended L2 tables"},
    {"preallocation", OPT_STRING,
     "Preallocation mode (allowed values: off, metadata, falloc, full)"},
    {"lazy_refcounts", OPT_BOOL, "Postpone refcount updates"},
    {"refcount_bits", OPT_NUMBER, "Width of a reference count entry in bits"},
    {"compression_type", OPT_STRING,
     "Compression method used for image cluster compression"},
    {NULL},
};

typedef struct Qcow2CreateParams {
    uint64_t size;
    int version;
    int cluster_bits;
    int refcount_order;
    bool lazy;
    bool extl2;
    int compression;
    PreallocMode prealloc;
    const char *backing_file;
    const char *backing_fmt;
} Qcow2CreateParams;

static bool qcow2_parse_create_opts(Opts *opts, Qcow2CreateParams *p,
                                    bool for_amend, Error **errp)
{
    const char *v;
    p->size = opts_get_size(opts, "size", 0);
    p->version = 3;
    v = opts_get(opts, "compat");
    if (v) {
        if (!strcmp(v, "0.10") || !strcmp(v, "v2")) {
            p->version = 2;
        } else if (!strcmp(v, "1.1") || !strcmp(v, "v3")) {
            p->version = 3;
        } else {
            error_setg(errp, "Invalid parameter '%s'", v);
            return false;
        }
    }
    if (opts_get(opts, "data_file")) {
        error_setg(errp, "External data files are not supported");
        return false;
    }
    if (opts_get_bool(opts, "encryption", false) ||
        opts_get(opts, "encrypt.format")) {
        error_setg(errp, "Encrypted images are not supported");
        return false;
    }
    p->extl2 = opts_get_bool(opts, "extended_l2", false);
    uint64_t cs = opts_get_size(opts, "cluster_size", 64 * 1024);
    if (cs < 512 || cs > 2 * 1024 * 1024 || (cs & (cs - 1))) {
        error_setg(errp, "Cluster size must be a power of two between 512 "
                         "and 2048k");
        return false;
    }
    p->cluster_bits = __builtin_ctzll(cs);
    if (p->extl2) {
        if (p->version < 3) {
            error_setg(errp, "Extended L2 entries are only supported with "
                             "compatibility level 1.1 and above (use "
                             "compat=1.1 or greater)");
            return false;
        }
        if (cs < 16384) {
            error_setg(errp, "Extended L2 entries are only supported with "
                             "cluster sizes of at least 16384 bytes");
            return false;
        }
    }
    uint64_t rb = opts_get_number(opts, "refcount_bits", 16);
    if (rb > 64 || !rb || (rb & (rb - 1))) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                         "exceed 64 bits");
        return false;
    }
    if (p->version < 3 && rb != 16) {
        error_setg(errp, "Different refcount widths than 16 bits require "
                         "compatibility level 1.1 or above (use compat=1.1 "
                         "or greater)");
        return false;
    }
    p->refcount_order = __builtin_ctzll(rb);
    p->lazy = opts_get_bool(opts, "lazy_refcounts", false);
    if (p->lazy && p->version < 3) {
        error_setg(errp, "Lazy refcounts only supported with compatibility "
                         "level 1.1 and above (use compat=1.1 or greater)");
        return false;
    }
    p->compression = QCOW2_COMPRESSION_ZLIB;
    v = opts_get(opts, "compression_type");
    if (v) {
        if (!strcmp(v, "zstd")) {
#if CONFIG_ZSTD
            p->compression = QCOW2_COMPRESSION_ZSTD;
#else
            error_setg(errp, "Parameter 'compression_type' does not accept "
                             "value 'zstd'");
            return false;
#endif
        } else if (strcmp(v, "zlib")) {
            error_setg(errp,
                       "Parameter 'compression_type' does not accept "
                       "value '%s'",
                       v);
            return false;
        }
        if (p->compression && p->version < 3) {
            error_setg(errp, "Non-zlib compression type is only supported "
                             "with compatibility level 1.1 and above (use "
                             "compat=1.1 or greater)");
            return false;
        }
    }
    p->prealloc = PREALLOC_MODE_OFF;
    v = opts_get(opts, "preallocation");
    if (v && !bdrv_parse_prealloc(v, &p->prealloc, errp)) {
        return false;
    }
    p->backing_file = opts_get(opts, "backing_file");
    p->backing_fmt = opts_get(opts, "backing_fmt");
    if (!for_amend) {
        if (p->backing_fmt && !p->backing_file) {
            error_setg(errp, "Backing format cannot be used without backing "
                             "file");
            return false;
        }
        if (p->backing_file && p->prealloc != PREALLOC_MODE_OFF && !p->extl2) {
            error_setg(errp, "Backing file and preallocation can only be "
                             "used at the same time if extended_l2 is on");
            return false;
        }
        if (p->size & 511) {
            error_setg(errp, "Image size must be a multiple of 512 bytes");
            return false;
        }
    }
    return true;
}

static int qcow2_create(const char *filename, Opts *opts, Error **errp)
{
    Qcow2CreateParams p;
    g_autofree uint8_t *blk = NULL;
    bool opened = false;
    int ret;

    if (!qcow2_parse_create_opts(opts, &p, false, errp)) {
        return -EINVAL;
    }
    Opts *fopts = opts_new();
    opts_set(fopts, "size", "0");
    ret = bdrv_file.create(filename, fopts, errp);
    opts_free(fopts);
    if (ret < 0) {
        return ret;
    }
    BlockDriverState *file = bdrv_open_protocol(filename, BDRV_O_RDWR, errp);
    if (!file) {
        return -EIO;
    }
    /* Minimal image: header, refcount table, one refcount block. */
    BlockDriverState *bs = bdrv_new(&bdrv_qcow2, filename);
    BDRVQcow2State *s = bs->opaque;
    bs->file = file;
    uint64_t cs = 1ULL << p.cluster_bits;
    s->version = p.version;
    s->cluster_bits = p.cluster_bits;
    s->cluster_size = cs;
    s->refcount_order = p.refcount_order;
    s->refcount_bits = 1 << p.refcount_order;
    s->refcount_table_offset = cs;
    s->refcount_table_clusters = 1;
    s->compression_type = p.compression;
    s->compat = p.lazy ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0;
    s->incompat = p.extl2 ? QCOW2_INCOMPAT_EXTL2 : 0;
    if (p.backing_file) {
        g_strlcpy(bs->backing_file, p.backing_file, sizeof(bs->backing_file));
        if (strlen(p.backing_file) > QCOW2_MAX_BACKING_NAME) {
            error_setg(errp, "Backing file name too long");
            ret = -EINVAL;
            goto out;
        }
    }
    if (p.backing_fmt) {
        g_strlcpy(bs->backing_format, p.backing_fmt,
                  sizeof(bs->backing_format));
    }
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write qcow2 header");
        goto out;
    }
    blk = g_malloc0(cs * 2);
    be64_store(blk, 2 * cs);
    s->refcount_block_bits = p.cluster_bits + 3 - p.refcount_order;
    for (int i = 0; i < 3; i++) {
        qcow2_refblock_set(s, blk + cs, i, 1);
    }
    ret = bdrv_pwrite(file, cs, 2 * cs, blk, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write refcount table");
        goto out;
    }
    /* The bootstrap state holds no caches: free it by hand. */
    g_free(bs->opaque);
    g_free(bs);
    bs = NULL;

    /* Reopen through the driver to size it. */
    bs = bdrv_new(&bdrv_qcow2, filename);
    bs->file = file;
    file = NULL;
    bs->open_flags = BDRV_O_RDWR | BDRV_O_NO_BACKING;
    ret = bdrv_qcow2.open(bs, bs->open_flags, errp);
    if (ret < 0) {
        file = bs->file;
        g_free(bs->opaque);
        g_free(bs);
        bs = NULL;
        goto out;
    }
    opened = true;
    ret = qcow2_truncate(bs, p.size, true, p.prealloc, errp);
out:
    if (bs && opened) {
        bdrv_unref(bs);
    } else if (bs) {
        file = bs->file;
        g_free(bs->opaque);
        g_free(bs);
    }
    if (file) {
        bdrv_unref(file);
    }
    return ret;
}

static int qcow2_amend(BlockDriverState *bs, Opts *opts, bool force,
                       Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2CreateParams p;
    int ret = 0;

    for (unsigned i = 0; i < opts_count(opts); i++) {
        const char *k = opts_key_at(opts, i);
        if (strcmp(k, "compat") && strcmp(k, "lazy_refcounts") &&
            strcmp(k, "size") && strcmp(k, "backing_file") &&
            strcmp(k, "backing_fmt")) {
            error_setg(errp, "Changing option '%s' is not supported", k);
            return -ENOTSUP;
        }
    }
    if (!qcow2_parse_create_opts(opts, &p, true, errp)) {
        return -EINVAL;
    }
    pthread_mutex_lock(&s->lock);
    int version = opts_has(opts, "compat") ? p.version : (int)s->version;
    bool lazy = opts_has(opts, "lazy_refcounts")
                    ? p.lazy
                    : !!(s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS);
    if (version < 3) {
        if (lazy && opts_has(opts, "lazy_refcounts")) {
            error_setg(errp, "Lazy refcounts only supported with "
                             "compatibility level 1.1 and above (use "
                             "compat=1.1 or greater)");
            ret = -EINVAL;
            goto out;
        }
        if (s->refcount_order != 4) {
            error_setg(errp, "compat=0.10 requires refcount_bits=16");
            ret = -ENOTSUP;
            goto out;
        }
        if (s->extended_l2 || s->compression_type) {
            error_setg(errp, "Cannot downgrade an image with extended L2 "
                             "entries or non-zlib compression");
            ret = -ENOTSUP;
            goto out;
        }
        lazy = false;
    }
    if (!lazy || version < 3) {
        /* Refcounts exact from now on: write them, clear the dirty bit. */
        ret = qcow2_mark_clean(bs);
        s->lazy_refcounts = false;
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to make the image clean");
            goto out;
        }
    }
    if (version < (int)s->version) {
        /* v2 has no zero flag: turn zero clusters into real zeros. */
        uint64_t cs = s->cluster_size;
        g_autofree uint8_t *z = g_malloc0(cs);
        for (uint64_t o = 0; o < s->size && ret == 0; o += cs) {
            uint64_t e, bm;
            ret = qcow2_get_l2_entry(bs, o, &e, &bm);
            if (ret == 0 && (e & QCOW_OFLAG_ZERO) &&
                !(e & QCOW_OFLAG_COMPRESSED)) {
                ret = qcow2_clear_entry(bs, o);
                if (ret == 0 && (bs->backing || bs->backing_file[0] ||
                                 (e & L2E_OFFSET_MASK))) {
                    ret = qcow2_write(bs, o, MIN(cs, s->size - o), z, false);
                }
            }
        }
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not convert zero clusters");
            goto out;
        }
        ret = qcow2_flush_caches(bs);
    }
    s->version = version;
    s->compat = lazy ? s->compat | QCOW2_COMPAT_LAZY_REFCOUNTS
                     : s->compat & ~QCOW2_COMPAT_LAZY_REFCOUNTS;
    s->lazy_refcounts = lazy && version >= 3;
    if (version < 3) {
        s->compat = 0;
        s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
    }
    if (ret == 0 && (p.backing_file || opts_has(opts, "backing_fmt"))) {
        if (p.backing_file) {
            g_strlcpy(bs->backing_file, p.backing_file,
                      sizeof(bs->backing_file));
        }
        if (p.backing_fmt) {
            g_strlcpy(bs->backing_format, p.backing_fmt,
                      sizeof(bs->backing_format));
        }
    }
    if (ret == 0) {
        ret = qcow2_update_header(bs);
    }
    if (ret == 0 && opts_has(opts, "size") && p.size != s->size) {
        pthread_mutex_unlock(&s->lock);
        return qcow2_truncate(bs, p.size, true, PREALLOC_MODE_OFF, errp);
    }
    if (ret < 0 && errp && !*errp) {
        error_setg_errno(errp, -ret, "Could not update the image header");
    }
out:
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_bitmap_op_locked(BlockDriverState *bs, BdrvBitmapOp op,
                                  const char *name, uint64_t granularity,
                                  BlockDriverState *src, const char *src_name,
                                  Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    pthread_mutex_lock(&s->lock);
    int ret = qcow2_bitmap_op(bs, op, name, granularity, src, src_name, errp);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

/* Clears the L2 entry of the cluster at guest (used by make_empty). */
int qcow2_clear_entry(BlockDriverState *bs, uint64_t guest)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t e, bm;
    int ret = qcow2_get_l2_entry(bs, guest, &e, &bm);
    if (ret < 0 || (!e && !bm)) {
        return ret;
    }
    /* The entry is a plain zero flag by now (or unallocated). */
    uint64_t i = qcow2_l1_index(s, guest);
    uint64_t l2_off = s->l1_table[i] & L1E_OFFSET_MASK;
    uint8_t *l2;
    ret = qcow2_cache_get(bs, s->l2_cache, l2_off, true, &l2);
    if (ret < 0) {
        return ret;
    }
    uint64_t j = qcow2_l2_index(s, guest);
    if (qcow2_entry_type(s, e, bm) == QCOW2_CLUSTER_ZERO_PLAIN ||
        (s->extended_l2 && !(e & L2E_OFFSET_MASK))) {
        memset(l2 + j * s->l2_entry_size, 0, s->l2_entry_size);
        qcow2_cache_mark_dirty(s->l2_cache, l2_off);
    }
    return 0;
}

/* ---- measure ----------------------------------------------------------- */

/* Refcount table + blocks needed to describe `clusters` clusters. */
static uint64_t qcow2_refcount_meta_clusters(uint64_t clusters,
                                             int cluster_bits,
                                             int refcount_order)
{
    uint64_t per_block = 1ULL << (cluster_bits + 3 - refcount_order);
    uint64_t per_table_cluster = (1ULL << cluster_bits) / 8;
    uint64_t blocks = 0, table = 0;
    for (;;) {
        uint64_t total = clusters + blocks + table;
        uint64_t nb = (total + per_block - 1) / per_block;
        uint64_t nt = (nb + per_table_cluster - 1) / per_table_cluster;
        if (nb == blocks && nt == table) {
            return blocks + table;
        }
        blocks = nb;
        table = nt;
    }
}

static uint64_t qcow2_meta_size(uint64_t size, int cluster_bits,
                                int refcount_order, bool extl2,
                                uint64_t data_clusters)
{
    uint64_t cs = 1ULL << cluster_bits;
    uint64_t l2e = extl2 ? 16 : 8;
    uint64_t vclusters = (size + cs - 1) >> cluster_bits;
    uint64_t l2_tables = (vclusters * l2e + cs - 1) >> cluster_bits;
    uint64_t l1_clusters = (l2_tables * 8 + cs - 1) >> cluster_bits;
    uint64_t clusters = 1 + l2_tables + l1_clusters + data_clusters;
    clusters +=
        qcow2_refcount_meta_clusters(clusters, cluster_bits, refcount_order);
    return clusters << cluster_bits;
}

/*
 * Room for the persistent bitmaps of in_bs (as convert --bitmaps would
 * copy them) in an image of cluster size cs: each bitmap fully
 * allocated, its table, and the directory, as QEMU counts them.
 */
static uint64_t qcow2_measure_bitmaps(BlockDriverState *in_bs, uint64_t size,
                                      uint64_t cs)
{
    json_t *list = qcow2_bitmap_info(in_bs);
    uint64_t total = 0, dir = 0;
    for (size_t i = 0; list && i < json_array_size(list); i++) {
        json_t *b = json_array_get(list, i);
        const char *name = json_string_value(json_object_get(b, "name"));
        uint64_t gran = json_integer_value(json_object_get(b, "granularity"));
        if (!name || !gran) {
            continue;
        }
        uint64_t bytes = ((size + gran - 1) / gran + 7) / 8;
        uint64_t clusters = (bytes + cs - 1) / cs;
        total += clusters * cs + (clusters * 8 + cs - 1) / cs * cs;
        dir += (24 + strlen(name) + 7) & ~7ULL;
    }
    json_decref(list);
    return total + (dir + cs - 1) / cs * cs;
}

static bool qcow2_measure(Opts *opts, BlockDriverState *in_bs, uint64_t size,
                          BlockMeasureInfo *info, Error **errp)
{
    Qcow2CreateParams p;
    if (!qcow2_parse_create_opts(opts, &p, true, errp)) {
        return false;
    }
    uint64_t cs = 1ULL << p.cluster_bits;
    uint64_t vclusters = (size + cs - 1) >> p.cluster_bits;
    uint64_t data = 0;
    if (in_bs) {
        for (uint64_t off = 0; off < size;) {
            uint64_t n;
            int ret = bdrv_block_status_above(in_bs, NULL, off, size - off, &n,
                                              NULL, NULL, NULL);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Unable to get block status");
                return false;
            }
            /*
             * As QEMU: zero ranges cost nothing; allocated data counts up
             * to the end of its last cluster, which is then skipped.
             */
            if (!(ret & BDRV_BLOCK_ZERO) && (ret & BDRV_BLOCK_DATA) &&
                (ret & BDRV_BLOCK_ALLOCATED)) {
                uint64_t a = off & ~(cs - 1);
                uint64_t b = (off + n + cs - 1) & ~(cs - 1);
                data += (b - a) >> p.cluster_bits;
                n = b - off;
            }
            off += n;
        }
        data = MIN(data, vclusters);
    }
    info->fully_allocated = qcow2_meta_size(
        size, p.cluster_bits, p.refcount_order, p.extl2, vclusters);
    /*
     * As QEMU: the metadata of the fully allocated image, with only the
     * data clusters the source really has (an overestimate, on purpose).
     */
    info->required =
        in_bs ? info->fully_allocated - ((vclusters - data) << p.cluster_bits)
              : info->fully_allocated;
    if (!in_bs && p.prealloc == PREALLOC_MODE_OFF) {
        info->required =
            qcow2_meta_size(size, p.cluster_bits, p.refcount_order, p.extl2, 0);
    }
    info->has_bitmaps = p.version >= 3 && in_bs && in_bs->drv == &bdrv_qcow2 &&
                        ((BDRVQcow2State *)in_bs->opaque)->version >= 3;
    info->bitmaps =
        info->has_bitmaps ? qcow2_measure_bitmaps(in_bs, size, cs) : 0;
    return true;
}

const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .supports_backing = true,
    .create_opts = qcow2_create_opts,
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .create = qcow2_create,
    .pread = qcow2_pread,
    .pwrite = qcow2_pwrite,
    .pwrite_zeroes = qcow2_pwrite_zeroes,
    .pwrite_compressed = qcow2_pwrite_compressed,
    .compress_buffer = qcow2_compress_buffer,
    .pwrite_precompressed = qcow2_pwrite_precompressed,
    .discard = qcow2_discard,
    .flush = qcow2_flush,
    .truncate = qcow2_truncate,
    .getlength = qcow2_getlength,
    .block_status = qcow2_block_status,
    .get_info = qcow2_get_info,
    .get_specific_info = qcow2_get_specific_info,
    .has_zero_init = qcow2_has_zero_init,
    .check = qcow2_check,
    .change_backing_file = qcow2_change_backing_file,
    .snapshot_list = qcow2_snapshot_list,
    .snapshot_create = qcow2_snapshot_create,
    .snapshot_goto = qcow2_snapshot_goto,
    .snapshot_delete = qcow2_snapshot_delete,
    .snapshot_load_tmp = qcow2_snapshot_load_tmp,
    .amend = qcow2_amend,
    .bitmap_op = qcow2_bitmap_op_locked,
    .make_empty = qcow2_make_empty,
    .measure = qcow2_measure,
};
