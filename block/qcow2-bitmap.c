/*
 * qcow2: persistent dirty bitmaps.  Quasar lists them (info) and counts
 * their clusters (check) so that images with bitmaps check clean.  It
 * does not update their contents, so a read-write open marks every
 * bitmap "in use" in the directory, as QEMU marks the bitmaps it loads:
 * QEMU then knows they may have missed writes (inconsistent bitmaps, to
 * be removed or cleared by the user).  A resize drops the extension
 * (autoclear bit cleared): the bitmaps no longer match the size.
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

static void bitmap_mark_cb(BlockDriverState *bs, const uint8_t *e,
                           const char *name, size_t name_len, void *opaque)
{
    uint8_t *p = (uint8_t *)e; /* the walk is over our own copy */
    bool *changed = opaque;
    uint32_t f = be32_load(p + 12);
    if (!(f & BME_FLAG_IN_USE)) {
        be32_store(p + 12, f | BME_FLAG_IN_USE);
        *changed = true;
    }
}

int qcow2_bitmaps_mark_in_use(BlockDriverState *bs)
{
    uint8_t *dir;
    uint64_t off;
    uint32_t n = 0;
    bool changed = false;
    int64_t size = qcow2_bitmap_dir(bs, &dir, &off, &n);

    if (size < 0 || (dir && qcow2_bitmap_walk(bs, dir, size, n, bitmap_mark_cb,
                                              &changed) < 0)) {
        /* Unreadable: say that the extension is not valid any more. */
        g_free(dir);
        return qcow2_bitmaps_drop(bs);
    }
    int ret = 0;
    if (changed) {
        ret = bdrv_pwrite(bs->file, off, size, dir, 0);
        if (ret == 0) {
            ret = bdrv_flush(bs->file);
        }
    }
    g_free(dir);
    return ret;
}

int qcow2_bitmaps_drop(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (!(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS)) {
        return 0;
    }
    s->autoclear &= ~QCOW2_AUTOCLEAR_BITMAPS;
    return qcow2_update_header(bs);
}
