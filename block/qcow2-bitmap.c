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
#define BITMAP_MAX_NAME   1023
#define BME_RESERVED      (~7u)
#define BT_DIRTY_TRACKING 1

typedef struct Qcow2Bitmap {
    char *name;
    uint32_t flags; /* as on disk ("in use" while the image is open) */
    uint8_t type;
    int gran_bits;
    uint64_t table_offset; /* 0: a new bitmap, no table yet */
    uint32_t table_size;
    uint8_t *extra; /* unknown extra data, preserved */
    uint32_t extra_len;
    bool valid;        /* the entry makes sense */
    bool inconsistent; /* already in use when opened: left alone */
    bool loaded;       /* bits hold it: it is kept up to date */
    bool added;        /* created in this session */
    uint8_t *bits;     /* bit i: guest bytes [i << gran_bits, ...), LSB first */
    uint64_t nbytes;   /* of bits */
} Qcow2Bitmap;

struct Qcow2Bitmaps {
    uint64_t dir_off, dir_size; /* the directory on disk (0: none) */
    GPtrArray *list;            /* Qcow2Bitmap *, in directory order */
    bool relocate;              /* bitmaps added or removed */
    GArray *to_free;            /* clusters to free once stored */
};

static uint64_t bitmap_bytes(uint64_t size, int gran_bits)
{
    uint64_t nbits = (size + (1ULL << gran_bits) - 1) >> gran_bits;
    return (nbits + 7) / 8;
}

static void bitmap_free(gpointer p)
{
    Qcow2Bitmap *bm = p;
    g_free(bm->name);
    g_free(bm->extra);
    g_free(bm->bits);
    g_free(bm);
}

void qcow2_bitmaps_free(BDRVQcow2State *s)
{
    Qcow2Bitmaps *b = s->bitmaps;
    if (!b) {
        return;
    }
    g_ptr_array_free(b->list, TRUE);
    g_array_free(b->to_free, TRUE);
    g_free(b);
    s->bitmaps = NULL;
}

static Qcow2Bitmaps *bitmaps_new(void)
{
    Qcow2Bitmaps *b = g_new0(Qcow2Bitmaps, 1);
    b->list = g_ptr_array_new_with_free_func(bitmap_free);
    b->to_free = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    return b;
}

static Qcow2Bitmap *bitmap_find(Qcow2Bitmaps *b, const char *name)
{
    for (guint i = 0; b && i < b->list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(b->list, i);
        if (!strcmp(bm->name, name)) {
            return bm;
        }
    }
    return NULL;
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
    g_free(bm->bits);
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
    Qcow2Bitmap *bm = g_new0(Qcow2Bitmap, 1);
    int64_t flen = qcow2_file_end(bs);

    bm->name = g_strndup(name, name_len);
    bm->table_offset = be64_load(e);
    bm->table_size = be32_load(e + 8);
    bm->flags = be32_load(e + 12);
    bm->type = e[16];
    bm->gran_bits = e[17];
    bm->extra_len = be32_load(e + 20);
    bm->extra = g_memdup2(e + 24, bm->extra_len);
    bm->valid =
        bm->type == BT_DIRTY_TRACKING && bm->gran_bits >= 9 &&
        bm->gran_bits <= 31 && !(bm->flags & BME_RESERVED) && bm->table_size &&
        bm->table_size <= BITMAP_MAX_TABLE && bm->table_offset &&
        !(bm->table_offset & (s->cluster_size - 1)) && flen >= 0 &&
        bm->table_offset < (uint64_t)flen &&
        (uint64_t)bm->table_size * 8 <= (uint64_t)flen - bm->table_offset;
    bm->inconsistent = bm->flags & BME_FLAG_IN_USE;
    if (bm->valid && !bm->inconsistent) {
        bm->nbytes = bitmap_bytes(s->size, bm->gran_bits);
    }
    g_ptr_array_add(b->list, bm);
}

/* The directory, from the list; *size its length. */
static uint8_t *bitmap_dir_build(Qcow2Bitmaps *b, uint64_t *size)
{
    uint64_t n = 0;
    for (guint i = 0; i < b->list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(b->list, i);
        n += (24 + bm->extra_len + strlen(bm->name) + 7) & ~7ULL;
    }
    uint8_t *dir = g_malloc0(MAX(n, 1));
    uint64_t pos = 0;
    for (guint i = 0; i < b->list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(b->list, i);
        size_t nl = strlen(bm->name);
        uint8_t *e = dir + pos;
        be64_store(e, bm->table_offset);
        be32_store(e + 8, bm->table_size);
        be32_store(e + 12, bm->flags);
        e[16] = bm->type;
        e[17] = (uint8_t)bm->gran_bits;
        be16_store(e + 18, (uint16_t)nl);
        be32_store(e + 20, bm->extra_len);
        if (bm->extra_len) {
            memcpy(e + 24, bm->extra, bm->extra_len);
        }
        memcpy(e + 24 + bm->extra_len, bm->name, nl);
        pos += (24 + bm->extra_len + nl + 7) & ~7ULL;
    }
    *size = n;
    return dir;
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
    Qcow2Bitmaps *b = bitmaps_new();
    b->dir_off = off;
    b->dir_size = size;
    s->bitmaps = b;
    int ret = qcow2_bitmap_walk(bs, dir, size, n, bitmap_parse_cb, b);
    g_free(dir);
    if (ret < 0) {
        qcow2_bitmaps_free(s);
        return qcow2_bitmaps_drop(bs);
    }
    uint64_t memory = 0;
    for (guint i = 0; i < b->list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(b->list, i);
        if (bm->nbytes && memory + bm->nbytes <= BITMAP_MAX_MEMORY) {
            bm->loaded = bitmap_load(bs, bm);
            memory += bm->loaded ? bm->nbytes : 0;
        }
        if (!bm->loaded) {
            g_clear_pointer(&bm->bits, g_free);
        }
        /* In use while we have it open (or for good, if not kept). */
        bm->flags |= BME_FLAG_IN_USE;
    }
    uint64_t dsize;
    g_autofree uint8_t *d = bitmap_dir_build(b, &dsize);
    if (dsize != b->dir_size) {
        /* Not laid out as the spec says: do not rewrite it, drop it. */
        qcow2_bitmaps_free(s);
        return qcow2_bitmaps_drop(bs);
    }
    ret = bdrv_pwrite(bs->file, b->dir_off, dsize, d, 0);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    return ret;
}

static void bits_set_range(uint8_t *bits, uint64_t first, uint64_t last)
{
    for (uint64_t k = first; k <= last; k++) {
        if (!(k & 7) && k + 8 <= last + 1) {
            bits[k / 8] = 0xff;
            k += 7;
            continue;
        }
        bits[k / 8] |= 1u << (k & 7);
    }
}

/* Sets the bits of bm that cover guest bytes [offset, offset + bytes). */
static void bitmap_mark(Qcow2Bitmap *bm, uint64_t offset, uint64_t bytes)
{
    if (!bytes || !bm->nbytes) {
        return;
    }
    uint64_t first = offset >> bm->gran_bits;
    uint64_t last = (offset + bytes - 1) >> bm->gran_bits;
    if (first >= bm->nbytes * 8) {
        return;
    }
    bits_set_range(bm->bits, first, MIN(last, bm->nbytes * 8 - 1));
}

void qcow2_bitmaps_set_dirty(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Bitmaps *b = s->bitmaps;
    for (guint i = 0; b && i < b->list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(b->list, i);
        if (bm->loaded && (bm->flags & BME_FLAG_AUTO)) {
            bitmap_mark(bm, offset, bytes);
        }
    }
}

int qcow2_bitmaps_truncate(BlockDriverState *bs, uint64_t new_size)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Bitmaps *b = s->bitmaps;
    if (!b || !b->list->len) {
        return 0;
    }
    bool all_loaded = true;
    uint64_t memory = 0;
    for (guint i = 0; i < b->list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(b->list, i);
        all_loaded &= bm->loaded;
        memory += bm->loaded ? bitmap_bytes(new_size, bm->gran_bits) : 0;
    }
    if (!all_loaded || memory > BITMAP_MAX_MEMORY) {
        /* Bitmaps we do not (or cannot) keep cannot follow: drop them. */
        qcow2_bitmaps_free(s);
        return qcow2_bitmaps_drop(bs);
    }
    for (guint i = 0; i < b->list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(b->list, i);
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

/* Adds bm's table and data clusters to *to_free (they are valid). */
static void bitmap_forget_clusters(BlockDriverState *bs, Qcow2Bitmap *bm,
                                   GArray *to_free)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    if (!bm->valid || !bm->table_offset) {
        return; /* not ours to free: a leak at worst */
    }
    g_autofree uint8_t *t = g_malloc((uint64_t)bm->table_size * 8);
    if (bdrv_pread(bs->file, bm->table_offset, (uint64_t)bm->table_size * 8,
                   t) < 0) {
        return;
    }
    for (uint32_t i = 0; i < bm->table_size; i++) {
        uint64_t off = be64_load(t + i * 8) & L1E_OFFSET_MASK;
        if (off && !(off & (cs - 1))) {
            g_array_append_val(to_free, off);
        }
    }
    uint64_t tclusters = ((uint64_t)bm->table_size * 8 + cs - 1) / cs;
    for (uint64_t c = 0; c < tclusters; c++) {
        uint64_t o = bm->table_offset + c * cs;
        g_array_append_val(to_free, o);
    }
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
    uint64_t old_size = bm->table_offset ? bm->table_size : 0;
    g_autofree uint8_t *old = g_malloc0(MAX(old_size * 8, 1));
    int ret = old_size
                  ? bdrv_pread(bs->file, bm->table_offset, old_size * 8, old)
                  : 0;
    if (ret < 0) {
        return ret;
    }
    uint64_t tclusters = (need * 8 + cs - 1) / cs;
    uint64_t old_tclusters = (old_size * 8 + cs - 1) / cs;
    g_autofree uint8_t *table = g_malloc0(tclusters * cs);
    g_autofree uint8_t *slice = g_malloc(cs);
    for (uint64_t i = 0; i < MAX(need, old_size); i++) {
        uint64_t old_off =
            i < old_size ? be64_load(old + i * 8) & L1E_OFFSET_MASK : 0;
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

/* Points the header's bitmaps extension at the directory (or drops it). */
static int bitmap_set_ext(BlockDriverState *bs, uint32_t n, uint64_t size,
                          uint64_t off)
{
    BDRVQcow2State *s = bs->opaque;
    int found = -1;
    for (int i = 0; i < s->n_unknown_ext; i++) {
        if (s->unknown_ext[i].type == QCOW2_EXT_BITMAPS) {
            found = i;
        }
    }
    if (!n) {
        if (found >= 0) {
            g_free(s->unknown_ext[found].data);
            memmove(&s->unknown_ext[found], &s->unknown_ext[found + 1],
                    (s->n_unknown_ext - found - 1) * sizeof(Qcow2UnknownExt));
            s->n_unknown_ext--;
        }
        s->autoclear &= ~QCOW2_AUTOCLEAR_BITMAPS;
    } else {
        if (found < 0) {
            s->unknown_ext =
                g_renew(Qcow2UnknownExt, s->unknown_ext, s->n_unknown_ext + 1);
            found = s->n_unknown_ext++;
            s->unknown_ext[found] =
                (Qcow2UnknownExt){QCOW2_EXT_BITMAPS, 24, g_malloc0(24)};
        }
        Qcow2UnknownExt *x = &s->unknown_ext[found];
        if (x->len < 24) {
            x->data = g_realloc(x->data, 24);
            x->len = 24;
        }
        memset(x->data, 0, x->len);
        be32_store(x->data, n);
        be64_store(x->data + 8, size);
        be64_store(x->data + 16, off);
        s->autoclear |= QCOW2_AUTOCLEAR_BITMAPS;
    }
    return qcow2_update_header(bs);
}

int qcow2_bitmaps_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Bitmaps *b = s->bitmaps;
    uint64_t cs = s->cluster_size;
    int ret = 0;

    if (!b || s->corrupt || s->read_only) {
        qcow2_bitmaps_free(s);
        return 0;
    }
    for (guint i = 0; i < b->list->len && ret == 0; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(b->list, i);
        if (!bm->loaded) {
            continue; /* stays in use: it may have missed writes */
        }
        ret = bitmap_store(bs, bm, b->to_free);
        bm->flags &= ~BME_FLAG_IN_USE;
    }
    uint64_t size;
    g_autofree uint8_t *dir = bitmap_dir_build(b, &size);
    /* Data, tables and their refcounts on disk before the directory. */
    if (ret == 0) {
        ret = qcow2_flush_caches(bs);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret == 0 && !b->relocate && b->dir_off && size == b->dir_size) {
        ret = bdrv_pwrite(bs->file, b->dir_off, size, dir, 0);
    } else if (ret == 0) {
        /* A new directory (or none), then the header pointing at it. */
        uint64_t off = 0;
        if (b->list->len) {
            int64_t h = qcow2_alloc_clusters(bs, (size + cs - 1) / cs);
            ret = h < 0 ? (int)h : bdrv_pwrite(bs->file, h, size, dir, 0);
            off = h < 0 ? 0 : (uint64_t)h;
            if (ret == 0) {
                ret = qcow2_flush_caches(bs);
            }
            if (ret == 0) {
                ret = bdrv_flush(bs->file);
            }
        }
        if (ret == 0) {
            ret = bitmap_set_ext(bs, b->list->len, size, off);
        }
        for (uint64_t c = 0;
             ret == 0 && b->dir_off && c < (b->dir_size + cs - 1) / cs; c++) {
            uint64_t o = b->dir_off + c * cs;
            g_array_append_val(b->to_free, o);
        }
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    for (guint i = 0; ret == 0 && i < b->to_free->len; i++) {
        ret =
            qcow2_free_clusters(bs, g_array_index(b->to_free, uint64_t, i), 1);
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

/* ---- qemu-img bitmap ------------------------------------------------- */

static bool bitmap_usable(Qcow2Bitmap *bm, Error **errp)
{
    if (bm->inconsistent || !bm->loaded) {
        error_setg(errp,
                   "Bitmap '%s' is inconsistent and cannot be used\n"
                   "Try block-dirty-bitmap-remove to delete this bitmap from "
                   "disk",
                   bm->name);
        return false;
    }
    return true;
}

/*
 * The bits of bitmap name of a qcow2 image opened read-only (the source
 * of a merge from another image): a loaded copy, freed by the caller.
 */
static Qcow2Bitmap *bitmap_read_other(BlockDriverState *src, const char *name,
                                      Error **errp)
{
    uint8_t *dir;
    uint64_t off;
    uint32_t n = 0;
    int64_t size = qcow2_bitmap_dir(src, &dir, &off, &n);
    Qcow2Bitmaps *tmp = bitmaps_new();
    Qcow2Bitmap *found = NULL;

    if (size > 0 &&
        qcow2_bitmap_walk(src, dir, size, n, bitmap_parse_cb, tmp) == 0) {
        for (guint i = 0; i < tmp->list->len && !found; i++) {
            Qcow2Bitmap *bm = g_ptr_array_index(tmp->list, i);
            if (!strcmp(bm->name, name)) {
                found = g_ptr_array_steal_index(tmp->list, i);
            }
        }
    }
    g_free(dir);
    g_array_free(tmp->to_free, TRUE);
    g_ptr_array_free(tmp->list, TRUE);
    g_free(tmp);
    return found;
}

int qcow2_bitmap_op(BlockDriverState *bs, BdrvBitmapOp op, const char *name,
                    uint64_t granularity, BlockDriverState *src,
                    const char *src_name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Bitmaps *b = s->bitmaps;
    Qcow2Bitmap *bm = bitmap_find(b, name);

    if (op == BDRV_BITMAP_CAN_STORE) {
        return s->version >= 3 && !s->read_only ? 0 : -ENOTSUP;
    }
    if (op == BDRV_BITMAP_ADD) {
        uint64_t cs = s->cluster_size;
        if (!name[0]) {
            error_setg(errp, "Bitmap name cannot be empty");
            return -EINVAL;
        }
        if (!granularity) {
            granularity = MIN(MAX(cs, 4096), 65536);
        }
        if (granularity < 512 || (granularity & (granularity - 1)) ||
            granularity > (1ULL << 31)) {
            error_setg(errp, "Granularity must be power of 2 and at least 512");
            return -EINVAL;
        }
        if (bm) {
            error_setg(errp, "Bitmap already exists: %s", name);
            return -EEXIST;
        }
        const char *why = NULL;
        if (s->version < 3) {
            why = "Cannot store dirty bitmaps in qcow2 v2 files";
        } else if (strlen(name) > BITMAP_MAX_NAME) {
            why = "Name length exceeds maximum (1023 characters)";
        } else if (b && b->list->len >= BITMAP_MAX_COUNT) {
            why = "Maximum number of persistent bitmaps is already reached";
        } else if (s->read_only) {
            why = "Image is read-only";
        }
        if (why) {
            error_setg(errp, "Can't make bitmap '%s' persistent in '%s': %s",
                       name, bs->filename, why);
            return -EINVAL;
        }
        uint64_t memory = 0;
        for (guint i = 0; b && i < b->list->len; i++) {
            memory += ((Qcow2Bitmap *)g_ptr_array_index(b->list, i))->nbytes;
        }
        int gran_bits = __builtin_ctzll(granularity);
        uint64_t nbytes = bitmap_bytes(s->size, gran_bits);
        if (memory + nbytes > BITMAP_MAX_MEMORY) {
            error_setg(errp, "Cannot allocate memory for bitmap '%s'", name);
            return -ENOMEM;
        }
        if (!b) {
            b = s->bitmaps = bitmaps_new();
        }
        bm = g_new0(Qcow2Bitmap, 1);
        bm->name = g_strdup(name);
        bm->flags = BME_FLAG_AUTO | BME_FLAG_IN_USE;
        bm->type = BT_DIRTY_TRACKING;
        bm->gran_bits = gran_bits;
        bm->valid = bm->loaded = true;
        bm->nbytes = nbytes;
        bm->bits = g_malloc0(MAX(nbytes, 1));
        bm->added = true;
        /*
         * As QEMU stores them: after the bitmaps that were on disk, the
         * new ones from the most recently added.
         */
        guint pos = 0;
        while (pos < b->list->len &&
               !((Qcow2Bitmap *)g_ptr_array_index(b->list, pos))->added) {
            pos++;
        }
        g_ptr_array_insert(b->list, pos, bm);
        b->relocate = true;
        return 0;
    }
    if (!bm) {
        error_setg(errp, "Dirty bitmap '%s' not found", name);
        return -ENOENT;
    }
    switch (op) {
    case BDRV_BITMAP_REMOVE:
        bitmap_forget_clusters(bs, bm, b->to_free);
        g_ptr_array_remove(b->list, bm);
        b->relocate = true;
        return 0;
    case BDRV_BITMAP_CLEAR:
        if (!bitmap_usable(bm, errp)) {
            return -EINVAL;
        }
        memset(bm->bits, 0, bm->nbytes);
        return 0;
    case BDRV_BITMAP_ENABLE:
    case BDRV_BITMAP_DISABLE:
        if (!bitmap_usable(bm, errp)) {
            return -EINVAL;
        }
        bm->flags = op == BDRV_BITMAP_ENABLE ? bm->flags | BME_FLAG_AUTO
                                             : bm->flags & ~BME_FLAG_AUTO;
        return 0;
    case BDRV_BITMAP_MERGE:
        break;
    default:
        return -EINVAL;
    }
    /* Merge: dst |= source, across granularities. */
    Qcow2Bitmap *sb = NULL, *other = NULL;
    uint64_t src_size = s->size;
    if (!src || src == bs) {
        sb = bitmap_find(b, src_name);
    } else if (src->drv == &bdrv_qcow2) {
        BDRVQcow2State *ss = src->opaque;
        other = sb = bitmap_read_other(src, src_name, errp);
        src_size = ss->size;
        if (sb && !sb->inconsistent && sb->valid) {
            sb->nbytes = bitmap_bytes(src_size, sb->gran_bits);
            sb->loaded =
                sb->nbytes <= BITMAP_MAX_MEMORY && bitmap_load(src, sb);
        }
    }
    int ret = 0;
    if (!sb) {
        error_setg(errp, "Dirty bitmap '%s' not found", src_name);
        ret = -ENOENT;
    } else if (!bitmap_usable(bm, errp) || !bitmap_usable(sb, errp)) {
        ret = -EINVAL;
    } else if (src_size != s->size) {
        error_setg(errp,
                   "Bitmaps are of different sizes (destination size is "
                   "%" PRIu64 ", source size is %" PRIu64
                   ") and can't be merged",
                   s->size, src_size);
        ret = -EINVAL;
    } else {
        uint64_t nbits =
            (s->size + (1ULL << sb->gran_bits) - 1) >> sb->gran_bits;
        for (uint64_t i = 0; i < nbits; i++) {
            if (sb->bits[i / 8] & (1u << (i & 7))) {
                bitmap_mark(bm, i << sb->gran_bits, 1ULL << sb->gran_bits);
            }
        }
    }
    if (other) {
        bitmap_free(other);
    }
    return ret;
}
