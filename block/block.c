/*
 * Block layer core: driver registry, probing, the node graph (format over
 * protocol, backing chains), request checks and the generic helpers that
 * sit between callers and drivers.
 *
 * Drivers are synchronous and serialise their own metadata (see
 * block_int.h); this file adds no locking of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <inttypes.h>
#include <limits.h>
#include <unistd.h>
#include <sys/mman.h>
#include "block/block_int.h"

static const BlockDriver *const bdrv_drivers[] = {
    &bdrv_qcow2,
    &bdrv_raw,
    &bdrv_file,
};

BlockDriver *bdrv_find_format(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bdrv_drivers); i++) {
        if (!strcmp(bdrv_drivers[i]->format_name, name)) {
            return (BlockDriver *)bdrv_drivers[i];
        }
    }
    return NULL;
}

const char *bdrv_format_name(const BlockDriver *drv)
{
    return drv->format_name;
}

const OptDesc *bdrv_create_opts(const BlockDriver *drv)
{
    return drv->create_opts;
}

const OptDesc *bdrv_create_opts_all(const BlockDriver *drv)
{
    static GHashTable *merged; /* drv -> OptDesc array, built once */
    static GMutex lock;
    g_mutex_lock(&lock);
    if (!merged) {
        merged = g_hash_table_new(g_direct_hash, g_direct_equal);
    }
    OptDesc *all = g_hash_table_lookup(merged, drv);
    if (!all) {
        size_t n = 0, m = 0;
        const OptDesc *a = drv->create_opts, *b = bdrv_file.create_opts;
        while (a && a[n].name) {
            n++;
        }
        while (b && b[m].name) {
            m++;
        }
        all = g_new0(OptDesc, n + m + 1);
        memcpy(all, a, n * sizeof(OptDesc));
        size_t k = n;
        for (size_t i = 0; drv != &bdrv_file && i < m; i++) {
            bool dup = false;
            for (size_t j = 0; j < n; j++) {
                dup |= !strcmp(a[j].name, b[i].name);
            }
            if (!dup) {
                all[k++] = b[i];
            }
        }
        g_hash_table_insert(merged, (gpointer)drv, all);
    }
    g_mutex_unlock(&lock);
    return all;
}

void bdrv_print_formats(GString *out)
{
    g_string_append(out, "Supported formats:");
    /* QEMU lists formats sorted by name. */
    const char *names[G_N_ELEMENTS(bdrv_drivers)];
    size_t n = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(bdrv_drivers); i++) {
        names[n++] = bdrv_drivers[i]->format_name;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (strcmp(names[j], names[i]) < 0) {
                const char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(out, " %s", names[i]);
    }
    g_string_append_c(out, '\n');
}

bool buffer_is_zero(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t i = 0;

    while (i < len && ((uintptr_t)(p + i) & 7)) {
        if (p[i++]) {
            return false;
        }
    }
    for (; i + 32 <= len; i += 32) {
        const uint64_t *q = (const uint64_t *)(p + i);
        if (q[0] | q[1] | q[2] | q[3]) {
            return false;
        }
    }
    for (; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

bool bdrv_parse_prealloc(const char *s, PreallocMode *mode, Error **errp)
{
    static const char *const names[] = {"off", "metadata", "falloc", "full"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(s, names[i])) {
            *mode = (PreallocMode)i;
            return true;
        }
    }
    error_setg(errp, "Parameter 'preallocation' does not accept value '%s'", s);
    return false;
}

BlockDriverState *bdrv_new(const BlockDriver *drv, const char *filename)
{
    BlockDriverState *bs = g_new0(BlockDriverState, 1);
    bs->drv = drv;
    bs->refcnt = 1;
    if (drv->instance_size) {
        bs->opaque = g_malloc0(drv->instance_size);
    }
    g_strlcpy(bs->filename, filename, sizeof(bs->filename));
    return bs;
}

static void bdrv_free(BlockDriverState *bs)
{
    g_free(bs->opaque);
    g_free(bs);
}

BlockDriverState *bdrv_open_protocol(const char *filename, int flags,
                                     Error **errp)
{
    const char *name = filename;
    if (g_str_has_prefix(name, "file:")) {
        name += 5;
    }
    BlockDriverState *bs = bdrv_new(&bdrv_file, name);
    bs->open_flags = flags;
    bs->read_only = !(flags & BDRV_O_RDWR);
    Error *err = NULL;
    if (bdrv_file.open(bs, flags, &err) < 0) {
        error_propagate(errp, err);
        bdrv_free(bs);
        return NULL;
    }
    return bs;
}

int bdrv_file_pread(BlockDriverState *file, uint64_t offset, uint64_t bytes,
                    void *buf)
{
    return file->drv->pread(file, offset, bytes, buf);
}

static const BlockDriver *bdrv_probe(BlockDriverState *file,
                                     const char *filename)
{
    uint8_t buf[2048];
    int64_t len = bdrv_getlength(file);
    size_t n = len < 0 ? 0 : (size_t)MIN((int64_t)sizeof(buf), len);
    const BlockDriver *best = &bdrv_raw;
    int best_score = 0;

    memset(buf, 0, sizeof(buf));
    if (n && file->drv->pread(file, 0, n, buf) < 0) {
        return &bdrv_raw;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bdrv_drivers); i++) {
        const BlockDriver *d = bdrv_drivers[i];
        if (d->probe) {
            int score = d->probe(buf, (int)n, filename);
            if (score > best_score) {
                best_score = score;
                best = d;
            }
        }
    }
    return best;
}

void bdrv_resolve_backing(const char *image, const char *backing, char *dest,
                          size_t len)
{
    if (backing[0] == '/' || strstr(backing, "://") ||
        g_str_has_prefix(backing, "json:")) {
        g_strlcpy(dest, backing, len);
        return;
    }
    g_autofree char *dir = g_path_get_dirname(image);
    if (!strcmp(dir, ".")) {
        g_strlcpy(dest, backing, len);
    } else {
        g_autofree char *p = g_build_filename(dir, backing, NULL);
        g_strlcpy(dest, p, len);
    }
}

int bdrv_open_backing(BlockDriverState *bs, int flags, Error **errp)
{
    if (!bs->backing_file[0] || bs->backing) {
        return 0;
    }
    bdrv_resolve_backing(bs->filename, bs->backing_file,
                         bs->full_backing_filename,
                         sizeof(bs->full_backing_filename));
    Error *err = NULL;
    int bflags = (flags & ~(BDRV_O_RDWR | BDRV_O_CHECK)) | BDRV_O_FORCE_SHARE;
    if (flags & BDRV_O_RDWR) {
        /* Readers of our backing file may coexist with us. */
        bflags &= ~BDRV_O_FORCE_SHARE;
    }
    BlockDriverState *b = bdrv_open(
        bs->full_backing_filename,
        bs->backing_format[0] ? bs->backing_format : NULL, bflags, &err);
    if (!b) {
        error_propagate(errp, err);
        error_prepend(errp, "Could not open backing file: ");
        return -EINVAL;
    }
    bs->backing = b;
    return 0;
}

BlockDriverState *bdrv_open(const char *filename, const char *fmt, int flags,
                            Error **errp)
{
    const BlockDriver *drv = NULL;
    Error *err = NULL;

    if (fmt) {
        drv = bdrv_find_format(fmt);
        if (!drv) {
            error_setg(errp, "Unknown driver '%s'", fmt);
            return NULL;
        }
    }
    BlockDriverState *file = bdrv_open_protocol(filename, flags, &err);
    if (!file) {
        error_setg(errp, "Could not open '%s': %s", filename,
                   error_get_pretty(err));
        error_free(err);
        return NULL;
    }
    if (drv && drv->is_protocol) {
        return file;
    }
    bool probed = false;
    if (!drv) {
        drv = bdrv_probe(file, filename);
        probed = true;
    }
    BlockDriverState *bs = bdrv_new(drv, filename);
    bs->file = file;
    bs->open_flags = flags;
    bs->read_only = !(flags & BDRV_O_RDWR);
    if (drv->open(bs, flags, &err) < 0) {
        error_setg(errp, "Could not open '%s': %s", filename,
                   error_get_pretty(err));
        error_free(err);
        bs->file = NULL;
        bdrv_free(bs);
        bdrv_unref(file);
        return NULL;
    }
    if (probed && drv == &bdrv_raw && (flags & BDRV_O_RDWR)) {
        bs->probed_raw = true;
        /* QEMU prints this one without the program name. */
        fprintf(stderr,
                "WARNING: Image format was not specified for '%s' and "
                "probing guessed raw.\n"
                "         Automatically detecting the format is dangerous "
                "for raw images, write operations on block 0 will be "
                "restricted.\n"
                "         Specify the 'raw' format explicitly to remove the "
                "restrictions.\n",
                filename);
    }
    if (!(flags & BDRV_O_NO_BACKING) && bs->backing_file[0]) {
        if (bdrv_open_backing(bs, flags, &err) < 0) {
            error_setg(errp, "Could not open '%s': %s", filename,
                       error_get_pretty(err));
            error_free(err);
            bdrv_unref(bs);
            return NULL;
        }
    } else if (bs->backing_file[0]) {
        bdrv_resolve_backing(bs->filename, bs->backing_file,
                             bs->full_backing_filename,
                             sizeof(bs->full_backing_filename));
    }
    return bs;
}

void bdrv_ref(BlockDriverState *bs)
{
    bs->refcnt++;
}

void bdrv_unref(BlockDriverState *bs)
{
    if (!bs || --bs->refcnt > 0) {
        return;
    }
    if (!bs->read_only && bs->drv->flush) {
        bs->drv->flush(bs);
    }
    if (bs->drv->close) {
        bs->drv->close(bs);
    }
    if (bs->backing) {
        bdrv_unref(bs->backing);
    }
    if (bs->file) {
        bdrv_unref(bs->file);
    }
    bdrv_free(bs);
}

void bdrv_set_backing(BlockDriverState *bs, BlockDriverState *backing)
{
    if (bs->backing) {
        bdrv_unref(bs->backing);
    }
    bs->backing = backing;
}

bool bdrv_create(const char *fmt, const char *filename, Opts *opts,
                 Error **errp)
{
    const BlockDriver *drv = bdrv_find_format(fmt);
    if (!drv) {
        error_setg(errp, "Unknown file format '%s'", fmt);
        return false;
    }
    if (!drv->create) {
        error_setg(errp, "Format driver '%s' does not support image creation",
                   fmt);
        return false;
    }
    return drv->create(filename, opts, errp) >= 0;
}

/* Requests past the end of a format node are the caller's bug. */
static int bdrv_check_request(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes)
{
    if (bs->drv->is_protocol) {
        return 0;
    }
    int64_t len = bdrv_getlength(bs);
    if (len < 0) {
        return (int)len;
    }
    if (offset > (uint64_t)len || bytes > (uint64_t)len - offset) {
        return -EIO;
    }
    return 0;
}

int bdrv_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf)
{
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!bytes) {
        return 0;
    }
    return bs->drv->pread(bs, offset, bytes, buf);
}

int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                const void *buf, int flags)
{
    if (bs->read_only) {
        return -EPERM;
    }
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!bytes) {
        return 0;
    }
    return bs->drv->pwrite(bs, offset, bytes, buf, flags);
}

static uint64_t iov_size(const struct iovec *iov, int niov)
{
    uint64_t n = 0;
    for (int i = 0; i < niov; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

int bdrv_preadv(BlockDriverState *bs, uint64_t offset, const struct iovec *iov,
                int niov)
{
    if (niov == 1) {
        return bdrv_pread(bs, offset, iov[0].iov_len, iov[0].iov_base);
    }
    uint64_t n = iov_size(iov, niov);
    g_autofree uint8_t *buf = g_try_malloc(n ? n : 1);
    if (!buf) {
        return -ENOMEM;
    }
    int ret = bdrv_pread(bs, offset, n, buf);
    if (ret < 0) {
        return ret;
    }
    uint64_t pos = 0;
    for (int i = 0; i < niov; i++) {
        memcpy(iov[i].iov_base, buf + pos, iov[i].iov_len);
        pos += iov[i].iov_len;
    }
    return 0;
}

int bdrv_pwritev(BlockDriverState *bs, uint64_t offset, const struct iovec *iov,
                 int niov, int flags)
{
    if (niov == 1) {
        return bdrv_pwrite(bs, offset, iov[0].iov_len, iov[0].iov_base, flags);
    }
    uint64_t n = iov_size(iov, niov);
    g_autofree uint8_t *buf = g_try_malloc(n ? n : 1);
    if (!buf) {
        return -ENOMEM;
    }
    uint64_t pos = 0;
    for (int i = 0; i < niov; i++) {
        memcpy(buf + pos, iov[i].iov_base, iov[i].iov_len);
        pos += iov[i].iov_len;
    }
    return bdrv_pwrite(bs, offset, n, buf, flags);
}

int bdrv_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       int flags)
{
    if (bs->read_only) {
        return -EPERM;
    }
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || !bytes) {
        return ret;
    }
    if (bs->drv->pwrite_zeroes) {
        ret = bs->drv->pwrite_zeroes(bs, offset, bytes, flags);
        if (ret != -ENOTSUP) {
            return ret;
        }
    }
    if (flags & BDRV_REQ_NO_FALLBACK) {
        return -ENOTSUP;
    }
    /* Fallback: write zero buffers. */
    uint64_t chunk = MIN(bytes, 1 * 1024 * 1024);
    g_autofree uint8_t *z = g_malloc0(chunk);
    while (bytes) {
        uint64_t n = MIN(bytes, chunk);
        ret = bs->drv->pwrite(bs, offset, n, z, 0);
        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
    }
    return 0;
}

bool bdrv_supports_compressed_writes(BlockDriverState *bs)
{
    return bs->drv->pwrite_compressed != NULL;
}

int bdrv_pwrite_compressed(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes, const void *buf)
{
    if (!bs->drv->pwrite_compressed) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EPERM;
    }
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    return bs->drv->pwrite_compressed(bs, offset, bytes, buf);
}

int bdrv_compress_buffer(BlockDriverState *bs, const void *in, void *out,
                         uint64_t out_len)
{
    if (!bs->drv->compress_buffer) {
        return -ENOTSUP;
    }
    return bs->drv->compress_buffer(bs, in, out, out_len);
}

int bdrv_pwrite_precompressed(BlockDriverState *bs, uint64_t offset,
                              const void *cdata, uint64_t clen)
{
    if (!bs->drv->pwrite_precompressed) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EPERM;
    }
    int ret = bdrv_check_request(bs, offset, 1);
    if (ret < 0) {
        return ret;
    }
    return bs->drv->pwrite_precompressed(bs, offset, cdata, clen);
}

int bdrv_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    if (bs->read_only) {
        return -EPERM;
    }
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || !bytes || !bs->drv->discard) {
        return ret;
    }
    return bs->drv->discard(bs, offset, bytes);
}

int bdrv_flush(BlockDriverState *bs)
{
    int ret = 0;
    if (!bs->read_only && bs->drv->flush) {
        ret = bs->drv->flush(bs);
    }
    if (ret == 0 && bs->file && !bs->file->read_only) {
        ret = bdrv_flush(bs->file);
    }
    return ret;
}

int bdrv_truncate(BlockDriverState *bs, uint64_t size, bool exact,
                  PreallocMode prealloc, Error **errp)
{
    if (!bs->drv->truncate) {
        error_setg(errp, "Image format driver does not support resize");
        return -ENOTSUP;
    }
    if (bs->read_only) {
        error_setg(errp, "Image is read-only");
        return -EPERM;
    }
    return bs->drv->truncate(bs, size, exact, prealloc, errp);
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    return bs->drv->getlength(bs);
}

int64_t bdrv_get_allocated_file_size(BlockDriverState *bs)
{
    if (bs->drv->get_allocated_file_size) {
        return bs->drv->get_allocated_file_size(bs);
    }
    if (bs->file) {
        return bdrv_get_allocated_file_size(bs->file);
    }
    return -ENOTSUP;
}

int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    memset(bdi, 0, sizeof(*bdi));
    if (!bs->drv->get_info) {
        return -ENOTSUP;
    }
    return bs->drv->get_info(bs, bdi);
}

const char *bdrv_get_format_name(BlockDriverState *bs)
{
    return bs->drv->format_name;
}

const char *bdrv_get_filename(BlockDriverState *bs)
{
    return bs->filename;
}

BlockDriverState *bdrv_backing(BlockDriverState *bs)
{
    return bs->backing;
}

BlockDriverState *bdrv_file_child(BlockDriverState *bs)
{
    return bs->file;
}

bool bdrv_is_read_only(BlockDriverState *bs)
{
    return bs->read_only;
}

const char *bdrv_backing_file(BlockDriverState *bs)
{
    return bs->backing_file;
}

const char *bdrv_backing_format(BlockDriverState *bs)
{
    return bs->backing_format;
}

const char *bdrv_full_backing_filename(BlockDriverState *bs)
{
    return bs->full_backing_filename;
}

void *bdrv_get_specific_info(BlockDriverState *bs)
{
    return bs->drv->get_specific_info ? bs->drv->get_specific_info(bs) : NULL;
}

bool bdrv_has_zero_init(BlockDriverState *bs)
{
    if (bs->backing) {
        return false;
    }
    return bs->drv->has_zero_init ? bs->drv->has_zero_init(bs) : false;
}

int bdrv_read_backing(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      void *buf)
{
    if (!bs->backing) {
        memset(buf, 0, bytes);
        return 0;
    }
    int64_t blen = bdrv_getlength(bs->backing);
    if (blen < 0) {
        return (int)blen;
    }
    uint64_t n = 0;
    if (offset < (uint64_t)blen) {
        n = MIN(bytes, (uint64_t)blen - offset);
        int ret = bdrv_pread(bs->backing, offset, n, buf);
        if (ret < 0) {
            return ret;
        }
    }
    memset((uint8_t *)buf + n, 0, bytes - n);
    return 0;
}

int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum, uint64_t *map, BlockDriverState **file)
{
    uint64_t m = 0;
    BlockDriverState *f = NULL;
    int64_t len = bdrv_getlength(bs);

    if (len < 0) {
        return (int)len;
    }
    if (offset >= (uint64_t)len) {
        *pnum = 0;
        return 0;
    }
    bytes = MIN(bytes, (uint64_t)len - offset);
    if (!bs->drv->block_status) {
        *pnum = bytes;
        if (map) {
            *map = offset;
        }
        if (file) {
            *file = bs;
        }
        return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID;
    }
    int ret = bs->drv->block_status(bs, offset, bytes, pnum, &m, &f);
    if (ret < 0) {
        return ret;
    }
    if (*pnum == 0 || *pnum > bytes) {
        *pnum = bytes;
    }
    if ((ret & (BDRV_BLOCK_RECURSE | BDRV_BLOCK_RAW)) && f &&
        (ret & BDRV_BLOCK_OFFSET_VALID)) {
        uint64_t fpnum;
        int fret = bdrv_block_status(f, m, *pnum, &fpnum, NULL, NULL);
        if (fret >= 0 && fpnum > 0) {
            *pnum = fpnum;
            if (fret & BDRV_BLOCK_ZERO) {
                ret |= BDRV_BLOCK_ZERO;
                if (ret & BDRV_BLOCK_RAW) {
                    ret &= ~BDRV_BLOCK_DATA;
                }
            }
        }
        ret &= ~(BDRV_BLOCK_RECURSE | BDRV_BLOCK_RAW);
    }
    if (ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO)) {
        ret |= BDRV_BLOCK_ALLOCATED;
    }
    if (map) {
        *map = m;
    }
    if (file) {
        *file = f;
    }
    return ret;
}

int bdrv_block_status_above(BlockDriverState *bs, BlockDriverState *base,
                            uint64_t offset, uint64_t bytes, uint64_t *pnum,
                            uint64_t *map, BlockDriverState **file, int *depth)
{
    int d = 0;
    BlockDriverState *p = bs;
    uint64_t limit = bytes;

    for (;;) {
        uint64_t n;
        int ret = bdrv_block_status(p, offset, limit, &n, map, file);
        if (ret < 0) {
            return ret;
        }
        if (n == 0) {
            /*
             * Past the end of this (shorter) backing layer: reads as zero,
             * reported as unallocated in the layer above (as QEMU does).
             */
            *pnum = limit;
            if (depth) {
                *depth = d > 0 ? d - 1 : 0;
            }
            return BDRV_BLOCK_ZERO;
        }
        if ((ret & BDRV_BLOCK_ALLOCATED) || !p->backing || p->backing == base) {
            *pnum = n;
            if (depth) {
                *depth = d;
            }
            if (!(ret & BDRV_BLOCK_ALLOCATED) && !p->backing) {
                ret |= BDRV_BLOCK_ZERO;
            }
            return ret;
        }
        limit = n;
        p = p->backing;
        d++;
    }
}

int bdrv_is_allocated(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum)
{
    int ret = bdrv_block_status(bs, offset, bytes, pnum, NULL, NULL);
    if (ret < 0) {
        return ret;
    }
    return !!(ret & BDRV_BLOCK_ALLOCATED);
}

int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt, Error **errp)
{
    if (!bs->drv->change_backing_file) {
        error_setg(errp, "Operation not supported by format '%s'",
                   bs->drv->format_name);
        return -ENOTSUP;
    }
    int ret = bs->drv->change_backing_file(bs, backing_file, backing_fmt, errp);
    if (ret == 0) {
        g_strlcpy(bs->backing_file, backing_file ? backing_file : "",
                  sizeof(bs->backing_file));
        g_strlcpy(bs->backing_format, backing_fmt ? backing_fmt : "",
                  sizeof(bs->backing_format));
        if (bs->backing_file[0]) {
            bdrv_resolve_backing(bs->filename, bs->backing_file,
                                 bs->full_backing_filename,
                                 sizeof(bs->full_backing_filename));
        } else {
            bs->full_backing_filename[0] = 0;
        }
    }
    return ret;
}

const void *bdrv_map_file_range(BlockDriverState *file, uint64_t offset,
                                uint64_t bytes, void **base, size_t *len)
{
    bool direct;
    int64_t flen;
    long page = sysconf(_SC_PAGESIZE);

    *base = NULL;
    if (!file || file->drv != &bdrv_file || !bytes ||
        (file->open_flags & BDRV_O_FORCE_SHARE)) {
        return NULL;
    }
    int fd = file_host_fd(file, &direct);
    flen = bdrv_getlength(file);
    /* Past the end of the file a mapping faults: only what is inside. */
    if (fd < 0 || direct || flen < 0 || offset > (uint64_t)flen ||
        bytes > (uint64_t)flen - offset || page <= 0) {
        return NULL;
    }
    uint64_t start = offset & ~((uint64_t)page - 1);
    *len = offset + bytes - start;
    void *p = mmap(NULL, *len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd,
                   (off_t)start);
    if (p == MAP_FAILED) {
        return NULL;
    }
    *base = p;
    return (const uint8_t *)p + (offset - start);
}

void bdrv_unmap_file_range(void *base, size_t len)
{
    if (base) {
        munmap(base, len);
    }
}

bool bdrv_uring_fd(BlockDriverState *bs, int *fd, bool *direct)
{
    if (bs->drv == &bdrv_raw && bs->file) {
        return bdrv_uring_fd(bs->file, fd, direct);
    }
    return bs->drv == &bdrv_file && file_uring_fd(bs, fd, direct);
}

bool bdrv_parse_aio(const char *mode, int *flags)
{
    /* As in QEMU, the flags accumulate: "threads" clears nothing. */
    if (!strcmp(mode, "native")) {
        *flags |= BDRV_O_NATIVE_AIO;
    } else if (!strcmp(mode, "io_uring")) {
        *flags |= BDRV_O_IO_URING;
    } else if (strcmp(mode, "threads")) {
        return false;
    }
    return true;
}

bool bdrv_can_check(BlockDriverState *bs)
{
    return bs->drv->check != NULL;
}

int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res, BdrvCheckMode fix)
{
    if (!bs->drv->check) {
        return -ENOTSUP;
    }
    return bs->drv->check(bs, res, fix);
}

int bdrv_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **list)
{
    if (!bs->drv->snapshot_list) {
        *list = NULL;
        return bs->file ? 0 : -ENOTSUP;
    }
    return bs->drv->snapshot_list(bs, list);
}

int bdrv_snapshot_create(BlockDriverState *bs, const char *name, Error **errp)
{
    if (!bs->drv->snapshot_create) {
        error_setg(errp, "Could not create snapshot '%s': %d (%s)", name,
                   -ENOTSUP, strerror(ENOTSUP));
        return -ENOTSUP;
    }
    return bs->drv->snapshot_create(bs, name, errp);
}

int bdrv_snapshot_goto(BlockDriverState *bs, const char *name, Error **errp)
{
    if (!bs->drv->snapshot_goto) {
        error_setg(errp,
                   "Could not apply snapshot '%s': Block driver does not "
                   "support snapshots",
                   name);
        return -ENOTSUP;
    }
    return bs->drv->snapshot_goto(bs, name, errp);
}

int bdrv_snapshot_delete(BlockDriverState *bs, const char *name, Error **errp)
{
    if (!bs->drv->snapshot_delete) {
        error_setg(errp, "Could not delete snapshot '%s': snapshot not found",
                   name);
        return -ENOTSUP;
    }
    return bs->drv->snapshot_delete(bs, name, errp);
}

int bdrv_bitmap_op(BlockDriverState *bs, BdrvBitmapOp op, const char *name,
                   uint64_t granularity, BlockDriverState *src,
                   const char *src_name, Error **errp)
{
    if (!bs->drv->bitmap_op) {
        if (op == BDRV_BITMAP_CAN_STORE) {
            return -ENOTSUP;
        }
        if (op == BDRV_BITMAP_ADD) {
            error_setg(errp,
                       "Can't store persistent bitmaps to %s: Operation not "
                       "supported",
                       bs->filename);
        } else {
            error_setg(errp, "Dirty bitmap '%s' not found", name);
        }
        return -ENOTSUP;
    }
    return bs->drv->bitmap_op(bs, op, name, granularity, src, src_name, errp);
}

bool bdrv_supports_amend(BlockDriverState *bs)
{
    return bs->drv->amend != NULL;
}

int bdrv_snapshot_load_tmp(BlockDriverState *bs, const char *name, Error **errp)
{
    if (!bs->drv->snapshot_load_tmp) {
        error_setg(errp, "Failed to load snapshot: snapshots are not "
                         "supported by this format");
        return -ENOTSUP;
    }
    return bs->drv->snapshot_load_tmp(bs, name, errp);
}

int bdrv_amend(BlockDriverState *bs, Opts *opts, bool force, Error **errp)
{
    if (!bs->drv->amend) {
        error_setg(errp,
                   "Format driver '%s' does not support option "
                   "amendment",
                   bs->drv->format_name);
        return -ENOTSUP;
    }
    return bs->drv->amend(bs, opts, force, errp);
}

int bdrv_make_empty(BlockDriverState *bs, Error **errp)
{
    if (!bs->drv->make_empty) {
        error_setg(errp, "Format driver '%s' cannot be emptied",
                   bs->drv->format_name);
        return -ENOTSUP;
    }
    return bs->drv->make_empty(bs, errp);
}

bool bdrv_measure(const char *fmt, Opts *opts, BlockDriverState *in_bs,
                  uint64_t size, BlockMeasureInfo *info, Error **errp)
{
    const BlockDriver *drv = bdrv_find_format(fmt);
    if (!drv) {
        error_setg(errp, "Unknown file format '%s'", fmt);
        return false;
    }
    if (!drv->measure) {
        error_setg(errp,
                   "Format driver '%s' does not support size "
                   "measurement",
                   fmt);
        return false;
    }
    return drv->measure(opts, in_bs, size, info, errp);
}
