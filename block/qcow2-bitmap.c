/*
 * qcow2: persistent dirty bitmaps.  Listed by info, counted by check, and
 * kept up to date as QEMU keeps them: a read-write open loads every
 * consistent bitmap into memory and marks all of them "in use" on disk;
 * writes, zero writes and discards set the bits of the enabled ("auto")
 * ones; a resize resizes them; a clean close writes them back and clears
 * "in use".  A crash therefore leaves them in use, i.e. inconsistent, as
 * QEMU's do.  Bitmaps that are already in use (or invalid, or too big to
 * hold) are left as they are, in use; a resize with such a bitmap drops
 * the extension (autoclear bit cleared), since it could not follow.
 */
#include <errno.h>
#include <string.h>
#include <inttypes.h>
#include <jansson.h>
#include "block/qcow2.h"

#define BITMAP_MAX_COUNT 65535
#define BITMAP_MAX_DIR   (64ULL * 1024 * 1024)
#define BITMAP_MAX_TABLE (8ULL * 1024 * 1024) /* entries */
#define BME_FLAG_IN_USE  (1u << 0)
#define BME_FLAG_AUTO    (1u << 1)

/* The bitmaps extension when the autoclear bit says it is valid. */
static const Qcow2UnknownExt *qcow2_bitmaps_ext(BDRVQcow2State *s)
{
    if (!(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS)) {
        return NULL;
    }
    for (int i = 0; i < s->n_unknown_ext; i++) {
        if (s->unknown_ext[i].type == QCOW2_EXT_BITMAPS &&
            s->unknown_ext[i].len >= 24) {
            return &s->unknown_ext[i];
        }
    }
    return NULL;
}

/* Reads the directory; returns its length or -errno; *dir, *off, *n. */
static int64_t qcow2_bitmap_dir(BlockDriverState *bs, uint8_t **dir,
                                uint64_t *dir_off, uint32_t *count)
{
    BDRVQcow2State *s = bs->opaque;
    const Qcow2UnknownExt *x = qcow2_bitmaps_ext(s);
    *dir = NULL;
    if (!x) {
        return 0;
    }
    uint32_t n = be32_load(x->data);
    uint64_t size = be64_load(x->data + 8);
    uint64_t off = be64_load(x->data + 16);
    int64_t flen = qcow2_file_end(bs);
    if (n > BITMAP_MAX_COUNT || size > BITMAP_MAX_DIR ||
        (off & (s->cluster_size - 1)) || flen < 0 || off > (uint64_t)flen ||
        size > (uint64_t)flen - off) {
        return -EINVAL;
    }
    *dir = g_malloc(MAX(size, 1));
    int ret = bdrv_pread(bs->file, off, size, *dir);
    if (ret < 0) {
        g_clear_pointer(dir, g_free);
        return ret;
    }
    *dir_off = off;
    *count = n;
    return (int64_t)size;
}

/*
 * Walks the directory: cb(entry, name, name_len) per bitmap.  Returns
 * -EINVAL when an entry does not fit.
 */
typedef void Qcow2BitmapFn(BlockDriverState *bs, const uint8_t *e,
                           const char *name, size_t name_len, void *opaque);

static int qcow2_bitmap_walk(BlockDriverState *bs, const uint8_t *dir,
                             uint64_t size, uint32_t n, Qcow2BitmapFn *cb,
                             void *opaque)
{
    uint64_t pos = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (pos + 24 > size) {
            return -EINVAL;
        }
        const uint8_t *e = dir + pos;
        uint16_t name_len = be16_load(e + 18);
        uint32_t extra = be32_load(e + 20);
        uint64_t len = 24 + (uint64_t)extra + name_len;
        if (len > size - pos) {
            return -EINVAL;
        }
        cb(bs, e, (const char *)e + 24 + extra, name_len, opaque);
        pos += (len + 7) & ~7ULL;
    }
    return 0;
}

static void bitmap_info_cb(BlockDriverState *bs, const uint8_t *e,
                           const char *name, size_t name_len, void *opaque)
{
    json_t *arr = opaque;
    json_t *o = json_object();
    json_t *flags = json_array();
    uint32_t f = be32_load(e + 12);
    if (f & BME_FLAG_IN_USE) {
        json_array_append_new(flags, json_string("in-use"));
    }
    if (f & BME_FLAG_AUTO) {
        json_array_append_new(flags, json_string("auto"));
    }
    json_object_set_new(o, "flags", flags);
    g_autofree char *nm = g_strndup(name, name_len);
    json_object_set_new(o, "name", json_string(nm));
    json_object_set_new(o, "granularity", json_integer(1LL << (e[17] & 63)));
    json_array_append_new(arr, o);
}

json_t *qcow2_bitmap_info(BlockDriverState *bs)
{
    uint8_t *dir;
    uint64_t off;
    uint32_t n = 0;
    int64_t size = qcow2_bitmap_dir(bs, &dir, &off, &n);
    if (size <= 0 && !n) {
        g_free(dir);
        return NULL;
    }
    json_t *arr = json_array();
    if (size < 0 ||
        qcow2_bitmap_walk(bs, dir, size, n, bitmap_info_cb, arr) < 0) {
        json_decref(arr);
        arr = NULL;
    }
    g_free(dir);
    return arr;
}

typedef struct BitmapCheck {
    Qcow2RefFn *inc;
    void *opaque;
    int errors;
} BitmapCheck;

static void bitmap_check_cb(BlockDriverState *bs, const uint8_t *e,
                            const char *name, size_t name_len, void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    BitmapCheck *bc = opaque;
    uint64_t toff = be64_load(e);
    uint32_t tsize = be32_load(e + 8);
    int64_t flen = qcow2_file_end(bs);
    if (!tsize) {
        return;
    }
    if ((toff & (s->cluster_size - 1)) || tsize > BITMAP_MAX_TABLE ||
        flen < 0 || toff > (uint64_t)flen ||
        (uint64_t)tsize * 8 > (uint64_t)flen - toff) {
        bc->errors++;
        return;
    }
    bc->inc(bs, bc->opaque, toff, (uint64_t)tsize * 8);
    g_autofree uint8_t *t = g_malloc((uint64_t)tsize * 8);
    if (bdrv_pread(bs->file, toff, (uint64_t)tsize * 8, t) < 0) {
        bc->errors++;
        return;
    }
    for (uint32_t i = 0; i < tsize; i++) {
        uint64_t d = be64_load(t + i * 8) & L1E_OFFSET_MASK;
        if (d) {
            bc->inc(bs, bc->opaque, d, s->cluster_size);
        }
    }
}

int qcow2_bitmap_count_refs(BlockDriverState *bs, Qcow2RefFn *inc, void *opaque)
{
    uint8_t *dir;
    uint64_t off;
    uint32_t n = 0;
    int64_t size = qcow2_bitmap_dir(bs, &dir, &off, &n);
    if (size < 0) {
        return 1;
    }
    if (!dir) {
        return 0;
    }
    BitmapCheck bc = {inc, opaque, 0};
    inc(bs, opaque, off, size);
    if (qcow2_bitmap_walk(bs, dir, size, n, bitmap_check_cb, &bc) < 0) {
        bc.errors++;
    }
    g_free(dir);
    return bc.errors;
}

/* ---- maintenance: loaded on a read-write open, stored on close --------- */

#define BITMAP_MAX_MEMORY (64ULL * 1024 * 1024) /* all loaded bitmaps */
#define BME_RESERVED      (~7u)
#define BT_DIRTY_TRACKING 1

typedef struct Qcow2Bitmap {
    uint64_t dir_pos; /* of its entry in the directory */
    bool valid;       /* entry usable; else left alone */
    bool loaded;      /* bits hold it: it is kept up to date */
    bool enabled;     /* "auto": tracks writes */
    int gran_bits;
    uint64_t table_offset;
    uint32_t table_size;
    uint8_t *bits;   /* bit i: guest bytes [i << gran_bits, ...), LSB first */
    uint64_t nbytes; /* of bits */
} Qcow2Bitmap;

struct Qcow2Bitmaps {
    uint8_t *dir;
    uint64_t dir_off, dir_size;
    uint32_t n;
    Qcow2Bitmap *bm;
};

static uint64_t bitmap_bytes(uint64_t size, int gran_bits)
{
    uint64_t nbits = (size + (1ULL << gran_bits) - 1) >> gran_bits;
    return (nbits + 7) / 8;
}

void qcow2_bitmaps_free(BDRVQcow2State *s)
{
    Qcow2Bitmaps *b = s->bitmaps;
    if (!b) {
        return;
    }
    for (uint32_t i = 0; i < b->n; i++) {
        g_free(b->bm[i].bits);
    }
    g_free(b->bm);
    g_free(b->dir);
    g_free(b);
    s->bitmaps = NULL;
}

/* Reads bitmap bm's data into memory; false when its table is bad. */
static bool bitmap_load(BlockDriverState *bs, Qcow2Bitmap *bm)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    int64_t flen = qcow2_file_end(bs);
    uint64_t need = (bm->nbytes + cs - 1) / cs;

    if (bm->table_size < need || flen < 0) {
        return false;
    }
    g_autofree uint8_t *t = g_malloc((uint64_t)bm->table_size * 8);
    if (bdrv_pread(bs->file, bm->table_offset, (uint64_t)bm->table_size * 8,
                   t) < 0) {
        return false;
    }
    bm->bits = g_malloc0(MAX(bm->nbytes, 1));
    for (uint64_t i = 0; i < need; i++) {
        uint64_t e = be64_load(t + i * 8);
        uint64_t off = e & L1E_OFFSET_MASK;
        uint64_t len = MIN(cs, bm->nbytes - i * cs);
        if (e & ~(L1E_OFFSET_MASK | 1)) {
            return false;
        }
        if (!off) {
            memset(bm->bits + i * cs, (e & 1) ? 0xff : 0, len);
        } else if ((off & (cs - 1)) || off >= (uint64_t)flen ||
                   bdrv_pread(bs->file, off, len, bm->bits + i * cs) < 0) {
            return false;
        }
    }
    return true;
}

static void bitmap_parse_cb(BlockDriverState *bs, const uint8_t *e,
                            const char *name, size_t name_len, void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Bitmaps *b = opaque;
    Qcow2Bitmap *bm = &b->bm[b->n++];
    uint32_t flags = be32_load(e + 12);
    int64_t flen = qcow2_file_end(bs);

    bm->dir_pos = (uint64_t)(e - b->dir);
    bm->table_offset = be64_load(e);
    bm->table_size = be32_load(e + 8);
    bm->gran_bits = e[17];
    bm->enabled = flags & BME_FLAG_AUTO;
    bm->valid =
        e[16] == BT_DIRTY_TRACKING && bm->gran_bits >= 9 &&
        bm->gran_bits <= 31 && !(flags & BME_RESERVED) && bm->table_size &&
        bm->table_size <= BITMAP_MAX_TABLE && bm->table_offset &&
        !(bm->table_offset & (s->cluster_size - 1)) && flen >= 0 &&
        bm->table_offset < (uint64_t)flen &&
        (uint64_t)bm->table_size * 8 <= (uint64_t)flen - bm->table_offset;
    /* A bitmap already in use is inconsistent: QEMU keeps it as it is. */
    if (!bm->valid || (flags & BME_FLAG_IN_USE)) {
        return;
    }
    bm->nbytes = bitmap_bytes(s->size, bm->gran_bits);
}

int qcow2_bitmaps_open_rw(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *dir;
    uint64_t off;
    uint32_t n = 0;
    int64_t size = qcow2_bitmap_dir(bs, &dir, &off, &n);

    if (size < 0) {
        return qcow2_bitmaps_drop(bs); /* unreadable: not valid any more */
    }
    if (!dir) {
        return 0;
    }
    Qcow2Bitmaps *b = g_new0(Qcow2Bitmaps, 1);
    b->dir = dir;
    b->dir_off = off;
    b->dir_size = size;
    b->bm = g_new0(Qcow2Bitmap, n);
    s->bitmaps = b;
    if (qcow2_bitmap_walk(bs, dir, size, n, bitmap_parse_cb, b) < 0) {
        qcow2_bitmaps_free(s);
        return qcow2_bitmaps_drop(bs);
    }
    uint64_t memory = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        Qcow2Bitmap *bm = &b->bm[i];
        uint8_t *e = b->dir + bm->dir_pos;
        uint32_t flags = be32_load(e + 12);
        if (bm->nbytes && memory + bm->nbytes <= BITMAP_MAX_MEMORY) {
            bm->loaded = bitmap_load(bs, bm);
            memory += bm->loaded ? bm->nbytes : 0;
        }
        if (!bm->loaded) {
            g_clear_pointer(&bm->bits, g_free);
        }
        /* In use while we have it open (or for good, if not kept). */
        be32_store(e + 12, flags | BME_FLAG_IN_USE);
    }
    int ret = bdrv_pwrite(bs->file, b->dir_off, b->dir_size, b->dir, 0);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    return ret;
}

void qcow2_bitmaps_set_dirty(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Bitmaps *b = s->bitmaps;
    if (!b || !bytes) {
        return;
    }
    for (uint32_t i = 0; i < b->n; i++) {
        Qcow2Bitmap *bm = &b->bm[i];
        if (!bm->loaded || !bm->enabled) {
            continue;
        }
        uint64_t first = offset >> bm->gran_bits;
        uint64_t last = (offset + bytes - 1) >> bm->gran_bits;
        last = MIN(last, bm->nbytes * 8 - 1);
        for (uint64_t k = first; k <= last; k++) {
            if (!(k & 7) && k + 8 <= last + 1) {
                bm->bits[k / 8] = 0xff;
                k += 7;
                continue;
            }
            bm->bits[k / 8] |= 1u << (k & 7);
        }
    }
}

int qcow2_bitmaps_truncate(BlockDriverState *bs, uint64_t new_size)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Bitmaps *b = s->bitmaps;
    if (!(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS)) {
        return 0;
    }
    bool all_loaded = b != NULL;
    for (uint32_t i = 0; b && i < b->n; i++) {
        all_loaded &= b->bm[i].loaded;
    }
    uint64_t memory = 0;
    for (uint32_t i = 0; all_loaded && i < b->n; i++) {
        memory += bitmap_bytes(new_size, b->bm[i].gran_bits);
    }
    if (!all_loaded || memory > BITMAP_MAX_MEMORY) {
        /* Bitmaps we do not (or cannot) keep cannot follow: drop them. */
        qcow2_bitmaps_free(s);
        return qcow2_bitmaps_drop(bs);
    }
    for (uint32_t i = 0; i < b->n; i++) {
        Qcow2Bitmap *bm = &b->bm[i];
        uint64_t nb = bitmap_bytes(new_size, bm->gran_bits);
        uint8_t *bits = g_try_realloc(bm->bits, MAX(nb, 1));
        if (!bits) {
            qcow2_bitmaps_free(s);
            return qcow2_bitmaps_drop(bs);
        }
        bm->bits = bits;
        if (nb > bm->nbytes) {
            memset(bm->bits + bm->nbytes, 0, nb - bm->nbytes);
        }
        /* Bits past the new end are cleared. */
        uint64_t nbits =
            (new_size + (1ULL << bm->gran_bits) - 1) >> bm->gran_bits;
        if (nb && (nbits & 7)) {
            bm->bits[nb - 1] &= (1u << (nbits & 7)) - 1;
        }
        bm->nbytes = nb;
    }
    return 0;
}

/*
 * Writes one loaded bitmap: data clusters (in place when it owns them,
 * none for all-zero parts) and its table (in place when the size allows);
 * the clusters it no longer uses go to *to_free.
 */
static int bitmap_store(BlockDriverState *bs, Qcow2Bitmap *bm, GArray *to_free)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t need = MAX((bm->nbytes + cs - 1) / cs, 1);
    g_autofree uint8_t *old = g_malloc((uint64_t)bm->table_size * 8);
    int ret = bdrv_pread(bs->file, bm->table_offset,
                         (uint64_t)bm->table_size * 8, old);
    if (ret < 0) {
        return ret;
    }
    uint64_t tclusters = (need * 8 + cs - 1) / cs;
    uint64_t old_tclusters = ((uint64_t)bm->table_size * 8 + cs - 1) / cs;
    g_autofree uint8_t *table = g_malloc0(tclusters * cs);
    g_autofree uint8_t *slice = g_malloc(cs);
    for (uint64_t i = 0; i < MAX(need, (uint64_t)bm->table_size); i++) {
        uint64_t old_off =
            i < bm->table_size ? be64_load(old + i * 8) & L1E_OFFSET_MASK : 0;
        uint64_t len = i * cs < bm->nbytes ? MIN(cs, bm->nbytes - i * cs) : 0;
        uint64_t off = 0;
        if (len && !buffer_is_zero(bm->bits + i * cs, len)) {
            uint64_t rc = 0;
            off = old_off;
            if (off &&
                (qcow2_get_refcount(bs, off >> s->cluster_bits, &rc) < 0 ||
                 rc != 1)) {
                off = 0;
            }
            if (!off) {
                int64_t h = qcow2_alloc_clusters(bs, 1);
                if (h < 0) {
                    return (int)h;
                }
                off = (uint64_t)h;
            }
            memset(slice, 0, cs);
            memcpy(slice, bm->bits + i * cs, len);
            ret = bdrv_pwrite(bs->file, off, cs, slice, 0);
            if (ret < 0) {
                return ret;
            }
        }
        if (old_off && old_off != off) {
            g_array_append_val(to_free, old_off);
        }
        if (i < need) {
            be64_store(table + i * 8, off);
        }
    }
    uint64_t toff = bm->table_offset;
    if (tclusters != old_tclusters) {
        int64_t h = qcow2_alloc_clusters(bs, tclusters);
        if (h < 0) {
            return (int)h;
        }
        toff = (uint64_t)h;
        for (uint64_t c = 0; c < old_tclusters; c++) {
            uint64_t o = bm->table_offset + c * cs;
            g_array_append_val(to_free, o);
        }
    }
    ret = bdrv_pwrite(bs->file, toff, tclusters * cs, table, 0);
    if (ret < 0) {
        return ret;
    }
    bm->table_offset = toff;
    bm->table_size = (uint32_t)need;
    return 0;
}

int qcow2_bitmaps_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Bitmaps *b = s->bitmaps;
    int ret = 0;

    if (!b || s->corrupt || s->read_only) {
        qcow2_bitmaps_free(s);
        return 0;
    }
    g_autoptr(GArray) to_free = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    for (uint32_t i = 0; i < b->n && ret == 0; i++) {
        Qcow2Bitmap *bm = &b->bm[i];
        if (!bm->loaded) {
            continue; /* stays in use: it may have missed writes */
        }
        ret = bitmap_store(bs, bm, to_free);
        if (ret == 0) {
            uint8_t *e = b->dir + bm->dir_pos;
            be64_store(e, bm->table_offset);
            be32_store(e + 8, bm->table_size);
            be32_store(e + 12, be32_load(e + 12) & ~BME_FLAG_IN_USE);
        }
    }
    /* Data, tables and their refcounts on disk before the directory. */
    if (ret == 0) {
        ret = qcow2_flush_caches(bs);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret == 0) {
        ret = bdrv_pwrite(bs->file, b->dir_off, b->dir_size, b->dir, 0);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    for (guint i = 0; ret == 0 && i < to_free->len; i++) {
        ret = qcow2_free_clusters(bs, g_array_index(to_free, uint64_t, i), 1);
    }
    qcow2_bitmaps_free(s);
    return ret;
}

int qcow2_bitmaps_drop(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    qcow2_bitmaps_free(s);
    if (!(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS)) {
        return 0;
    }
    s->autoclear &= ~QCOW2_AUTOCLEAR_BITMAPS;
    return qcow2_update_header(bs);
}
