/*
 * qemu-img: commands that copy data between images: convert, compare,
 * commit, rebase, dd and bench.
 *
 * convert walks the source with block status (so holes and zero clusters
 * are never read), detects zero runs of -S bytes inside data, and with -W
 * copies 2 MiB chunks from -m worker threads in any order.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include "block/aio-pool.h"
#include "qemu-img/qemu-img.h"
#include "util/cutils.h"
#include "util/error.h"
#include "util/option.h"

#define CONVERT_CHUNK (2 * 1024 * 1024)

typedef struct ConvertState {
    BlockDriverState **src;
    uint64_t *src_size;
    uint64_t *src_base;
    int nsrc;
    BlockDriverState *target;
    uint64_t total;
    uint64_t sparse; /* -S; 0 = write everything */
    bool compress;
    bool target_zero;    /* target reads as zero where not written */
    bool target_backing; /* -B: skip ranges the source's backing supplies */
    int cluster_size;
    /* work queue: chunk indexes */
    GMutex lock;
    uint64_t next_chunk;
    uint64_t nchunks;
    GArray *jobs; /* ConvertJob, see convert_plan() */
    uint64_t done_bytes;
    uint64_t next_write;         /* in-order mode: the chunk whose turn it is */
    GCond write_turn;            /* next_write moved */
    struct ConvertBuf **pending; /* in-order mode: finished, unwritten */
    uint64_t window;             /* chunks in flight at most */
    bool writing;                /* a worker is writing pending chunks */
    GQueue free_bufs;
    GQueue ready;      /* -W: finished, unwritten */
    uint8_t *zbuf;     /* CONVERT_CHUNK zero bytes, never written to */
    bool out_of_order; /* -W */
    int error;
    bool progress;
    double last_pct;
} ConvertState;

/* One unit of work: a 2 MiB cell of a source, or a run of zero cells. */
typedef struct ConvertJob {
    int si;
    uint64_t off, len;
    bool zero;
} ConvertJob;

static void convert_chunk_locate(ConvertState *s, uint64_t idx, int *si,
                                 uint64_t *off, uint64_t *len)
{
    if (idx >= s->jobs->len) {
        *si = -1;
        return;
    }
    ConvertJob *j = &g_array_index(s->jobs, ConvertJob, idx);
    *si = j->si;
    *off = j->off;
    *len = j->len;
}

/*
 * Plans the copy: one job per 2 MiB cell that holds any data, and one job
 * per run of cells that read as zero (none at all when the target reads
 * as zero already), so sparse and huge images cost what their data costs.
 */
static int convert_plan(ConvertState *s)
{
    for (int i = 0; i < s->nsrc; i++) {
        uint64_t size = s->src_size[i];
        uint64_t ncells = (size + CONVERT_CHUNK - 1) / CONVERT_CHUNK;
        g_autofree uint8_t *data = g_malloc0(MAX(ncells, 1));
        if (s->target_backing) {
            memset(data, 1, ncells); /* each cell decides by itself */
        } else {
            for (uint64_t off = 0; off < size;) {
                uint64_t n;
                int ret = bdrv_block_status_above(
                    s->src[i], NULL, off, size - off, &n, NULL, NULL, NULL);
                if (ret < 0) {
                    return ret;
                }
                if (n == 0) {
                    n = size - off;
                }
                if (!(ret & BDRV_BLOCK_ZERO) || (ret & BDRV_BLOCK_DATA)) {
                    memset(data + off / CONVERT_CHUNK, 1,
                           (off + n - 1) / CONVERT_CHUNK - off / CONVERT_CHUNK +
                               1);
                }
                off += n;
            }
        }
        for (uint64_t c = 0; c < ncells;) {
            uint64_t off = c * CONVERT_CHUNK;
            if (data[c]) {
                ConvertJob j = {
                    i, off, MIN((uint64_t)CONVERT_CHUNK, size - off), false};
                g_array_append_val(s->jobs, j);
                c++;
                continue;
            }
            uint64_t e = c;
            while (e < ncells && !data[e]) {
                e++;
            }
            uint64_t end = MIN(e * CONVERT_CHUNK, size);
            if (s->target_zero) {
                s->done_bytes += end - off; /* nothing to do there */
            } else {
                ConvertJob j = {i, off, end - off, true};
                g_array_append_val(s->jobs, j);
            }
            c = e;
        }
    }
    s->nchunks = s->jobs->len;
    return 0;
}

static int convert_write_zeroes(ConvertState *s, uint64_t off, uint64_t len,
                                uint8_t *zbuf)
{
    if (s->target_zero) {
        return 0;
    }
    if (s->sparse == 0) {
        /* Fully allocated output: real zeros (zbuf holds zeros). */
        while (len) {
            uint64_t n = MIN(len, (uint64_t)CONVERT_CHUNK);
            int ret = bdrv_pwrite(s->target, off, n, zbuf, 0);
            if (ret < 0) {
                return ret;
            }
            off += n;
            len -= n;
        }
        return 0;
    }
    return bdrv_pwrite_zeroes(s->target, off, len, BDRV_REQ_MAY_UNMAP);
}

/* Writes buf (data from the source) at target offset off. */
static int convert_write_data(ConvertState *s, uint64_t off, uint64_t len,
                              uint8_t *buf)
{
    if (s->compress) {
        uint64_t cs = s->cluster_size;
        for (uint64_t p = 0; p < len; p += cs) {
            uint64_t n = MIN(cs, len - p);
            if (buffer_is_zero(buf + p, n)) {
                int ret = convert_write_zeroes(s, off + p, n, buf + p);
                if (ret < 0) {
                    return ret;
                }
                continue;
            }
            int ret = bdrv_pwrite_compressed(s->target, off + p, n, buf + p);
            if (ret < 0) {
                return ret;
            }
        }
        return 0;
    }
    if (s->sparse == 0) {
        return bdrv_pwrite(s->target, off, len, buf, 0);
    }
    /* Split into runs of zero / non-zero sparse units. */
    uint64_t unit = s->sparse;
    uint64_t p = 0;
    while (p < len) {
        uint64_t n = MIN(unit - ((off + p) % unit), len - p);
        bool zero = buffer_is_zero(buf + p, n);
        uint64_t q = p + n;
        while (q < len) {
            uint64_t m = MIN(unit, len - q);
            if (buffer_is_zero(buf + q, m) != zero) {
                break;
            }
            q += m;
        }
        int ret = zero ? convert_write_zeroes(s, off + p, q - p, buf + p)
                       : bdrv_pwrite(s->target, off + p, q - p, buf + p, 0);
        if (ret < 0) {
            return ret;
        }
        p = q;
    }
    return 0;
}

typedef enum SegKind {
    SEG_SKIP,
    SEG_ZERO,
    SEG_BACKING_ZERO,
    SEG_DATA,
    SEG_COMPRESSED, /* one cluster, compressed into the worker's cbuf */
    SEG_PLAIN,      /* -c: incompressible clusters, written as they are */
} SegKind;

typedef struct Segment {
    uint64_t off; /* in the source */
    uint64_t len;
    SegKind kind;
    uint64_t clen; /* SEG_COMPRESSED: compressed bytes */
    /* SEG_DATA read through a mapping of the source file (no copy). */
    const uint8_t *data;
    void *map_base;
    size_t map_len;
} Segment;

static void convert_unmap_segs(GArray *segs)
{
    for (guint i = 0; i < segs->len; i++) {
        Segment *g = &g_array_index(segs, Segment, i);
        bdrv_unmap_file_range(g->map_base, g->map_len);
        g->map_base = NULL;
        g->data = NULL;
    }
}

static void seg_add(GArray *segs, uint64_t off, uint64_t n, SegKind k,
                    uint64_t clen)
{
    Segment *last =
        segs->len ? &g_array_index(segs, Segment, segs->len - 1) : NULL;
    if (last && last->kind == k && k != SEG_COMPRESSED) {
        last->len += n;
    } else {
        Segment g = {off, n, k, clen};
        g_array_append_val(segs, g);
    }
}

/*
 * -c: the whole chunk is read and every cluster compressed here, on the
 * worker threads; only the small compressed writes are serialised.
 */
static int convert_compress_chunk(ConvertState *s, BlockDriverState *src,
                                  uint64_t start, uint64_t len, uint8_t *buf,
                                  uint8_t *cbuf, GArray *segs)
{
    uint64_t cs = s->cluster_size;
    bool all_zero = true;
    for (uint64_t off = start; off < start + len;) {
        uint64_t n;
        int ret = bdrv_block_status_above(src, NULL, off, start + len - off, &n,
                                          NULL, NULL, NULL);
        if (ret < 0) {
            return ret;
        }
        if (!(ret & BDRV_BLOCK_ZERO) || (ret & BDRV_BLOCK_DATA)) {
            all_zero = false;
            break;
        }
        off += n;
    }
    if (all_zero) {
        seg_add(segs, start, len, SEG_ZERO, 0);
        return 0;
    }
    int ret = bdrv_pread(src, start, len, buf);
    if (ret < 0) {
        return ret;
    }
    uint64_t padded = (len + cs - 1) & ~(cs - 1);
    memset(buf + len, 0, padded - len);
    for (uint64_t p = 0; p < len; p += cs) {
        uint64_t n = MIN(cs, len - p);
        if (buffer_is_zero(buf + p, n)) {
            seg_add(segs, start + p, n, SEG_ZERO, 0);
            continue;
        }
        int c = bdrv_compress_buffer(s->target, buf + p, cbuf + p, cs);
        if (c == -ENOMEM) {
            seg_add(segs, start + p, n, SEG_PLAIN, 0);
        } else if (c < 0) {
            return c;
        } else {
            seg_add(segs, start + p, n, SEG_COMPRESSED, c);
        }
    }
    return 0;
}

/*
 * Phase 1 (any order, in parallel): classify one chunk of the source and
 * read its data into buf (at the same offset within the chunk).
 */
static int convert_read_chunk(ConvertState *s, uint64_t idx, uint8_t *buf,
                              uint8_t *cbuf, GArray *segs)
{
    int si;
    uint64_t off, len;
    g_array_set_size(segs, 0);
    convert_chunk_locate(s, idx, &si, &off, &len);
    if (si < 0) {
        return 0;
    }
    BlockDriverState *src = s->src[si];
    if (g_array_index(s->jobs, ConvertJob, idx).zero) {
        seg_add(segs, off, len, SEG_ZERO, 0);
        return 0;
    }
    if (s->compress && !s->target_backing &&
        !(s->src_base[si] % s->cluster_size)) {
        return convert_compress_chunk(s, src, off, len, buf, cbuf, segs);
    }
    uint64_t start = off, end = off + len;
    while (off < end) {
        uint64_t n, map = 0;
        int depth = 0;
        BlockDriverState *file = NULL;
        int ret = bdrv_block_status_above(src, NULL, off, end - off, &n, &map,
                                          &file, &depth);
        if (ret < 0) {
            return ret;
        }
        SegKind k;
        Segment g = {off, n};
        if (s->target_backing && (depth > 0 || !(ret & BDRV_BLOCK_ALLOCATED))) {
            k = SEG_SKIP; /* the new backing file supplies this range */
        } else if ((ret & BDRV_BLOCK_ZERO) && !(ret & BDRV_BLOCK_DATA)) {
            k = s->target_backing ? SEG_BACKING_ZERO : SEG_ZERO;
        } else {
            k = SEG_DATA;
            /*
             * Host data at a known offset: map it instead of copying it
             * into buf (half the memory copies of a bulk convert).
             */
            if ((ret & BDRV_BLOCK_OFFSET_VALID) &&
                !(ret & BDRV_BLOCK_COMPRESSED)) {
                g.data =
                    bdrv_map_file_range(file, map, n, &g.map_base, &g.map_len);
            }
            if (!g.data) {
                ret = bdrv_pread(src, off, n, buf + (off - start));
                if (ret < 0) {
                    return ret;
                }
            }
        }
        Segment *last =
            segs->len ? &g_array_index(segs, Segment, segs->len - 1) : NULL;
        if (last && last->kind == k && !g.data && !last->data) {
            last->len += n;
        } else {
            g.kind = k;
            g_array_append_val(segs, g);
        }
        off += n;
    }
    return 0;
}

/* Phase 2 (in chunk order unless -W): write what phase 1 found. */
static int convert_write_chunk(ConvertState *s, uint64_t idx, uint8_t *buf,
                               uint8_t *cbuf, uint8_t *zbuf, GArray *segs)
{
    int si;
    uint64_t start, len;
    convert_chunk_locate(s, idx, &si, &start, &len);
    if (si < 0) {
        return 0;
    }
    uint64_t base = s->src_base[si];
    for (guint i = 0; i < segs->len; i++) {
        const Segment *g = &g_array_index(segs, Segment, i);
        int ret = 0;
        switch (g->kind) {
        case SEG_SKIP:
            break;
        case SEG_BACKING_ZERO:
            ret = bdrv_pwrite_zeroes(s->target, base + g->off, g->len,
                                     BDRV_REQ_MAY_UNMAP);
            break;
        case SEG_ZERO:
            ret = convert_write_zeroes(s, base + g->off, g->len, zbuf);
            break;
        case SEG_DATA:
            ret = convert_write_data(s, base + g->off, g->len,
                                     g->data ? (uint8_t *)g->data
                                             : buf + (g->off - start));
            break;
        case SEG_PLAIN:
            ret = bdrv_pwrite(s->target, base + g->off, g->len,
                              buf + (g->off - start), 0);
            break;
        case SEG_COMPRESSED:
            ret = bdrv_pwrite_precompressed(s->target, base + g->off,
                                            cbuf + (g->off - start), g->clen);
            break;
        }
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static void convert_report(ConvertState *s, uint64_t bytes)
{
    g_mutex_lock(&s->lock);
    s->done_bytes += bytes;
    if (s->progress && s->total) {
        double pct = s->done_bytes * 100.0 / s->total;
        if (pct - s->last_pct >= 1.0 || s->done_bytes == s->total) {
            s->last_pct = pct;
            img_progress(true, pct);
        }
    }
    g_mutex_unlock(&s->lock);
}

/*
 * One chunk's read (and, with -c, compressed) data on its way to the
 * target.  Without -W, finished chunks wait in a window indexed by chunk
 * number until every earlier one is written, and whichever worker finds
 * the next one ready writes all consecutive ready ones: no worker sits
 * idle behind a slow chunk, and memory stays bounded by the window.
 */
typedef struct ConvertBuf {
    uint64_t idx;
    int ret; /* of the read */
    uint8_t *buf;
    uint8_t *cbuf;
    GArray *segs;
} ConvertBuf;

static ConvertBuf *convert_buf_new(ConvertState *s)
{
    ConvertBuf *b = g_new0(ConvertBuf, 1);
    b->buf = g_malloc(CONVERT_CHUNK);
    b->cbuf = s->compress ? g_malloc(CONVERT_CHUNK) : NULL;
    b->segs = g_array_new(FALSE, FALSE, sizeof(Segment));
    return b;
}

static void convert_buf_free(ConvertBuf *b)
{
    if (b) {
        convert_unmap_segs(b->segs);
        g_array_free(b->segs, TRUE);
        g_free(b->cbuf);
        g_free(b->buf);
        g_free(b);
    }
}

/* Writes chunk b (or records its read error); called without s->lock. */
static int convert_put(ConvertState *s, ConvertBuf *b)
{
    int ret = b->ret;
    g_mutex_lock(&s->lock);
    bool failed = s->error != 0;
    g_mutex_unlock(&s->lock);
    if (ret == 0 && !failed) {
        ret = convert_write_chunk(s, b->idx, b->buf, b->cbuf, s->zbuf, b->segs);
    }
    convert_unmap_segs(b->segs);
    int si = -1;
    uint64_t off = 0, len = 0;
    convert_chunk_locate(s, b->idx, &si, &off, &len);
    if (ret == 0) {
        convert_report(s, len);
    }
    return ret;
}

static gpointer convert_worker(gpointer opaque)
{
    ConvertState *s = opaque;
    ConvertBuf *b = NULL;

    for (;;) {
        g_mutex_lock(&s->lock);
        while (!s->error && s->next_chunk < s->nchunks &&
               s->next_chunk - s->next_write >= s->window) {
            g_cond_wait(&s->write_turn, &s->lock);
        }
        uint64_t idx = s->next_chunk++;
        bool stop = s->error || idx >= s->nchunks;
        if (!stop && !b) {
            b = g_queue_pop_head(&s->free_bufs);
        }
        g_mutex_unlock(&s->lock);
        if (stop) {
            break;
        }
        if (!b) {
            b = convert_buf_new(s);
        }
        b->idx = idx;
        b->ret = convert_read_chunk(s, idx, b->buf, b->cbuf, b->segs);
        /*
         * Deposit; then, unless another worker is writing, write what is
         * ready: with -W any finished chunk, else the next in order.  One
         * writer at a time: concurrent writers would only queue on the
         * image's locks.
         */
        g_mutex_lock(&s->lock);
        if (s->out_of_order) {
            g_queue_push_tail(&s->ready, b);
        } else {
            s->pending[idx % s->window] = b;
        }
        b = NULL;
        if (!s->writing) {
            s->writing = true;
            for (;;) {
                ConvertBuf *w;
                if (s->out_of_order) {
                    w = g_queue_pop_head(&s->ready);
                    if (!w) {
                        break;
                    }
                } else {
                    w = s->pending[s->next_write % s->window];
                    if (!w || w->idx != s->next_write) {
                        break;
                    }
                    s->pending[s->next_write % s->window] = NULL;
                }
                g_mutex_unlock(&s->lock);
                int ret = convert_put(s, w);
                g_mutex_lock(&s->lock);
                if (ret < 0 && !s->error) {
                    s->error = ret;
                }
                s->next_write++; /* chunks written (in order: the next) */
                g_queue_push_tail(&s->free_bufs, w);
                /* One slot of the window is free: one reader may go on. */
                if (s->error || s->next_write >= s->nchunks) {
                    g_cond_broadcast(&s->write_turn);
                } else {
                    g_cond_signal(&s->write_turn);
                }
            }
            s->writing = false;
        }
        g_mutex_unlock(&s->lock);
    }
    convert_buf_free(b);
    return NULL;
}

/* ---- --bitmaps ---------------------------------------------------------- */

typedef struct BitmapCopy {
    char *name;
    uint64_t granularity;
    bool enabled;
} BitmapCopy;

static void bitmap_copy_free(gpointer p)
{
    BitmapCopy *c = p;
    g_free(c->name);
    g_free(c);
}

/*
 * Before anything is created: the one source's persistent bitmaps that
 * can be copied (*out, from the last in the directory, the order in
 * which QEMU reports and creates them); inconsistent ones stop the
 * convert, or with --skip-broken-bitmaps are skipped with a warning.
 */
static bool convert_check_bitmaps(BlockDriverState **src, int nsrc,
                                  bool skip_broken, GPtrArray **out)
{
    if (nsrc != 1) {
        error_report("Copying bitmaps only possible with single source");
        return false;
    }
    if (bdrv_bitmap_op(src[0], BDRV_BITMAP_CAN_STORE, "", 0, NULL, NULL,
                       NULL) == -ENOTSUP &&
        strcmp(bdrv_get_format_name(src[0]), "qcow2")) {
        error_report("Source lacks bitmap support");
        return false;
    }
    *out = g_ptr_array_new_with_free_func(bitmap_copy_free);
    json_t *info = bdrv_get_specific_info(src[0]);
    json_t *list =
        info ? json_object_get(json_object_get(info, "data"), "bitmaps") : NULL;
    size_t n = list ? json_array_size(list) : 0;
    bool ok = true;
    for (size_t i = n; i-- > 0;) {
        json_t *b = json_array_get(list, i);
        const char *name = json_string_value(json_object_get(b, "name"));
        json_t *flags = json_object_get(b, "flags");
        bool in_use = false, enabled = false;
        for (size_t f = 0; f < json_array_size(flags); f++) {
            const char *fl = json_string_value(json_array_get(flags, f));
            in_use |= fl && !strcmp(fl, "in-use");
            enabled |= fl && !strcmp(fl, "auto");
        }
        if (!name) {
            continue;
        }
        if (in_use) {
            if (skip_broken) {
                warn_report("Skipping inconsistent bitmap '%s'", name);
                continue;
            }
            error_report("Cannot copy inconsistent bitmap '%s'\n"
                         "Try --skip-broken-bitmaps, or use 'qemu-img bitmap "
                         "--remove' to delete it",
                         name);
            ok = false;
            break;
        }
        BitmapCopy *c = g_new0(BitmapCopy, 1);
        c->name = g_strdup(name);
        c->granularity = json_integer_value(json_object_get(b, "granularity"));
        c->enabled = enabled;
        g_ptr_array_add(*out, c); /* last first, as QEMU creates them */
    }
    json_decref(info);
    return ok;
}

/* After the data: each bitmap created in the target and filled. */
static bool convert_copy_bitmaps(BlockDriverState *src, BlockDriverState *dst,
                                 GPtrArray *bitmaps)
{
    for (guint i = 0; i < bitmaps->len; i++) {
        BitmapCopy *c = g_ptr_array_index(bitmaps, i);
        Error *err = NULL;
        if (bdrv_bitmap_op(dst, BDRV_BITMAP_ADD, c->name, c->granularity, NULL,
                           NULL, &err) < 0) {
            error_report("Failed to create bitmap %s: %s", c->name,
                         error_get_pretty(err));
            error_free(err);
            return false;
        }
        if (bdrv_bitmap_op(dst, BDRV_BITMAP_MERGE, c->name, 0, src, c->name,
                           &err) < 0 ||
            (!c->enabled && bdrv_bitmap_op(dst, BDRV_BITMAP_DISABLE, c->name, 0,
                                           NULL, NULL, &err) < 0)) {
            error_report("Failed to populate bitmap %s: %s", c->name,
                         error_get_pretty(err));
            error_free(err);
            bdrv_bitmap_op(dst, BDRV_BITMAP_REMOVE, c->name, 0, NULL, NULL,
                           NULL);
            return false;
        }
    }
    return true;
}

int img_convert(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw", *cache = NULL, *src_cache = NULL;
    const char *out_base = NULL, *base_fmt = NULL, *snapshot = NULL;
    g_autofree char *options = NULL;
    bool compress = false, progress = false, quiet = false, skip_create = false;
    bool force_share = false, ooo = false, target_is_zero = false;
    bool copy_bitmaps = false, skip_broken = false;
    GPtrArray *bitmaps = NULL; /* --bitmaps: what to copy */
    uint64_t sparse = 4096;
    long workers = 8;
    int c, ret = 1;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"force-share", no_argument, 0, 'U'},
        {"target-is-zero", no_argument, 0, 'z' + 256},
        {"image-opts", no_argument, 0, 'I'},
        {"salvage", no_argument, 0, 's' + 256},
        {"bitmaps", no_argument, 0, 'b' + 256},
        {"skip-broken-bitmaps", no_argument, 0, 'k' + 256},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":hf:O:B:CcF:o:l:S:pt:T:qnm:WUr:",
                            long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            break;
        case 'B':
            out_base = optarg;
            break;
        case 'F':
            base_fmt = optarg;
            break;
        case 'c':
            compress = true;
            break;
        case 'l':
            /* "name", "snapshot.name=NAME" or "snapshot.id=ID" */
            if (g_str_has_prefix(optarg, "snapshot.name=")) {
                snapshot = optarg + 14;
            } else if (g_str_has_prefix(optarg, "snapshot.id=")) {
                snapshot = optarg + 12;
            } else {
                snapshot = optarg;
            }
            break;
        case 'C':
        case 'r':
        case 's' + 256:
            break;
        case 'o': {
            char *n = options ? g_strdup_printf("%s,%s", options, optarg)
                              : g_strdup(optarg);
            g_free(options);
            options = n;
            break;
        }
        case 'S': {
            if (parse_size(optarg, &sparse) < 0 || (sparse % 512)) {
                error_report("Invalid buffer size for sparse output "
                             "specified. Valid sizes are multiples of 512.");
                return 1;
            }
            break;
        }
        case 'p':
            progress = true;
            break;
        case 't':
            cache = optarg;
            break;
        case 'T':
            src_cache = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'n':
            skip_create = true;
            break;
        case 'm': {
            char *end;
            workers = strtol(optarg, &end, 10);
            if (*end || workers < 1 || workers > 16) {
                error_report("Invalid number of coroutines. Allowed number "
                             "of coroutines is between 1 and 16");
                return 1;
            }
            break;
        }
        case 'W':
            ooo = true;
            break;
        case 'U':
            force_share = true;
            break;
        case 'z' + 256:
            target_is_zero = true;
            break;
        case 'b' + 256:
            copy_bitmaps = true;
            break;
        case 'k' + 256:
            skip_broken = true;
            break;
        case 'h':
            return 0;
        case ':':
            error_report("option '%s' needs an argument", argv[optind - 1]);
            return 1;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
    }
    if (quiet) {
        progress = false;
    }
    int nsrc = argc - optind - 1;
    if (nsrc < 1) {
        error_report("Must specify image file name");
        return 1;
    }
    if (target_is_zero && !skip_create) {
        error_report("--target-is-zero requires use of -n flag");
        return 1;
    }
    if (skip_broken && !copy_bitmaps) {
        error_report("Use of --skip-broken-bitmaps requires --bitmaps");
        return 1;
    }
    const char *out_filename = argv[argc - 1];
    /* QEMU's default for the convert target is cache=unsafe. */
    int src_flags = 0;
    int dst_flags = BDRV_O_RDWR | BDRV_O_NO_BACKING | BDRV_O_NO_FLUSH;
    if (src_cache && !img_parse_cache(src_cache, &src_flags)) {
        error_report("Invalid source cache option: %s", src_cache);
        return 1;
    }
    if (cache && !img_parse_cache(cache, &dst_flags)) {
        error_report("Invalid cache option: %s", cache);
        return 1;
    }
    ConvertState s = {0};
    g_mutex_init(&s.lock);
    s.nsrc = nsrc;
    s.src = g_new0(BlockDriverState *, nsrc);
    s.src_size = g_new0(uint64_t, nsrc);
    s.src_base = g_new0(uint64_t, nsrc);
    Opts *o = NULL;
    for (int i = 0; i < nsrc; i++) {
        s.src[i] =
            img_open(argv[optind + i], fmt, src_flags, force_share, quiet);
        if (!s.src[i]) {
            goto out;
        }
        if (snapshot) {
            Error *serr = NULL;
            if (nsrc > 1) {
                error_report("No support for concatenating multiple "
                             "snapshot");
                goto out;
            }
            if (bdrv_snapshot_load_tmp(s.src[i], snapshot, &serr) < 0) {
                error_report_err(serr);
                goto out;
            }
        }
        s.src_base[i] = s.total;
        s.src_size[i] = bdrv_getlength(s.src[i]);
        s.total += s.src_size[i];
    }
    if (copy_bitmaps &&
        !convert_check_bitmaps(s.src, nsrc, skip_broken, &bitmaps)) {
        goto out;
    }
    BlockDriver *drv = bdrv_find_format(out_fmt);
    if (!drv) {
        error_report("Unknown file format '%s'", out_fmt);
        goto out;
    }
    if (options && !strcmp(options, "help")) {
        error_report("use 'qemu-img create -f %s -o help' for the list",
                     out_fmt);
        goto out;
    }
    Error *err = NULL;
    o = options ? opts_parse(options, NULL, bdrv_create_opts_all(drv), &err)
                : opts_new();
    if (!o) {
        error_report("Invalid options for file format '%s'", out_fmt);
        error_free(err);
        goto out;
    }
    if (out_base) {
        opts_set(o, "backing_file", out_base);
        if (base_fmt) {
            opts_set(o, "backing_fmt", base_fmt);
        }
    }
    if (compress && strcmp(out_fmt, "qcow2")) {
        error_report("Compression not supported for this file format");
        goto out;
    }
    if (!skip_create) {
        g_autofree char *sz = g_strdup_printf("%" PRIu64, s.total);
        opts_set(o, "size", sz);
        if (!bdrv_create(out_fmt, out_filename, o, &err)) {
            error_report("%s: %s", out_filename, error_get_pretty(err));
            error_free(err);
            goto out;
        }
    }
    s.target = img_open(out_filename, skip_create ? NULL : out_fmt, dst_flags,
                        false, quiet);
    if (!s.target) {
        goto out;
    }
    if (skip_create && (uint64_t)bdrv_getlength(s.target) < s.total) {
        error_report("Output image is too small");
        goto out;
    }
    if (copy_bitmaps && bdrv_bitmap_op(s.target, BDRV_BITMAP_CAN_STORE, "", 0,
                                       NULL, NULL, NULL) < 0) {
        error_report("Format driver '%s' does not support bitmaps",
                     bdrv_get_format_name(s.target));
        goto out;
    }
    BlockDriverInfo bdi;
    bdrv_get_info(s.target, &bdi);
    s.cluster_size = bdi.cluster_size ? bdi.cluster_size : 65536;
    if (compress && !bdrv_supports_compressed_writes(s.target)) {
        error_report("Compression not supported for this file format");
        goto out;
    }
    s.sparse = sparse;
    s.compress = compress;
    s.target_backing = out_base != NULL;
    s.target_zero =
        (!skip_create && !out_base && bdrv_has_zero_init(s.target)) ||
        target_is_zero;
    s.progress = progress;
    img_progress(progress, 0.0);
    s.jobs = g_array_new(FALSE, FALSE, sizeof(ConvertJob));
    s.error = convert_plan(&s);
    /* -m N threads read in parallel; without -W they write in order. */
    int nthreads = (int)workers;
    s.out_of_order = ooo;
    GThread *th[16];
    s.window = 2 * (uint64_t)nthreads;
    s.pending = g_new0(struct ConvertBuf *, s.window);
    s.zbuf = g_malloc0(CONVERT_CHUNK);
    g_queue_init(&s.free_bufs);
    g_queue_init(&s.ready);
    for (int i = 0; i < nthreads; i++) {
        th[i] = g_thread_new("convert", convert_worker, &s);
    }
    for (int i = 0; i < nthreads; i++) {
        g_thread_join(th[i]);
    }
    for (uint64_t i = 0; i < s.window; i++) {
        convert_buf_free(s.pending[i]); /* left over by an error */
    }
    ConvertBuf *fb;
    while ((fb = g_queue_pop_head(&s.free_bufs)) ||
           (fb = g_queue_pop_head(&s.ready))) {
        convert_buf_free(fb);
    }
    g_free(s.pending);
    g_free(s.zbuf);
    if (s.error == 0) {
        s.error = bdrv_flush(s.target);
    }
    if (s.error == 0 && bitmaps &&
        !convert_copy_bitmaps(s.src[0], s.target, bitmaps)) {
        goto out;
    }
    if (s.error < 0) {
        error_report("error while converting %s: %s", out_filename,
                     strerror(-s.error));
        goto out;
    }
    if (progress) {
        img_progress(true, 100.0);
        printf("\n");
    }
    ret = 0;
out:
    if (bitmaps) {
        g_ptr_array_free(bitmaps, TRUE);
    }
    opts_free(o);
    bdrv_unref(s.target);
    for (int i = 0; i < nsrc; i++) {
        bdrv_unref(s.src[i]);
    }
    g_free(s.src);
    g_free(s.src_size);
    g_free(s.src_base);
    g_mutex_clear(&s.lock);
    g_cond_clear(&s.write_turn);
    if (s.jobs) {
        g_array_free(s.jobs, TRUE);
    }
    return ret;
}

/* ---- compare ----------------------------------------------------------- */

/* First byte offset where a and b differ, rounded down to 512, or -1. */
static int64_t first_mismatch(const uint8_t *a, const uint8_t *b, uint64_t n)
{
    for (uint64_t i = 0; i < n; i += 512) {
        uint64_t m = MIN(512, n - i);
        if (memcmp(a + i, b + i, m)) {
            return (int64_t)i;
        }
    }
    return -1;
}

static int64_t first_nonzero(const uint8_t *a, uint64_t n)
{
    for (uint64_t i = 0; i < n; i += 512) {
        if (!buffer_is_zero(a + i, MIN(512, n - i))) {
            return (int64_t)i;
        }
    }
    return -1;
}

int img_compare(int argc, char **argv)
{
    const char *fmt1 = NULL, *fmt2 = NULL, *cache = NULL;
    bool quiet = false, strict = false, force_share = false, progress = false;
    int c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"force-share", no_argument, 0, 'U'},
        {"image-opts", no_argument, 0, 'I'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":hf:F:T:pqsU", long_opts, NULL)) !=
           -1) {
        switch (c) {
        case 'f':
            fmt1 = optarg;
            break;
        case 'F':
            fmt2 = optarg;
            break;
        case 'T':
            cache = optarg;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 's':
            strict = true;
            break;
        case 'U':
            force_share = true;
            break;
        case 'h':
            return 0;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 2;
        }
    }
    if (quiet) {
        progress = false;
    }
    if (optind != argc - 2) {
        img_usage_error("Expecting two image file names");
        return 1;
    }
    int flags = 0;
    if (cache && !img_parse_cache(cache, &flags)) {
        error_report("Invalid source cache option: %s", cache);
        return 2;
    }
    int ret = 2;
    BlockDriverState *bs1 =
        img_open(argv[optind], fmt1, flags, force_share, quiet);
    BlockDriverState *bs2 = NULL;
    uint8_t *b1 = g_malloc(CONVERT_CHUNK), *b2 = g_malloc(CONVERT_CHUNK);
    if (!bs1) {
        goto out;
    }
    bs2 = img_open(argv[optind + 1], fmt2, flags, force_share, quiet);
    if (!bs2) {
        goto out;
    }
    uint64_t len1 = bdrv_getlength(bs1), len2 = bdrv_getlength(bs2);
    uint64_t common = MIN(len1, len2);
    uint64_t total = MAX(len1, len2);
    img_progress(progress, 0.0);
    for (uint64_t off = 0; off < common;) {
        uint64_t n1, n2;
        /* Ask about big ranges (zeros are skipped whole), read 2 MiB. */
        int r1 = bdrv_block_status_above(bs1, NULL, off,
                                         MIN(common - off, 1ULL << 40), &n1,
                                         NULL, NULL, NULL);
        int r2 = r1 < 0 ? r1
                        : bdrv_block_status_above(bs2, NULL, off, n1, &n2, NULL,
                                                  NULL, NULL);
        if (r1 < 0 || r2 < 0) {
            error_report("Sector allocation test failed for %s",
                         r1 < 0 ? argv[optind] : argv[optind + 1]);
            goto out;
        }
        uint64_t n = MIN(n1, n2);
        bool z1 = (r1 & BDRV_BLOCK_ZERO) && !(r1 & BDRV_BLOCK_DATA);
        bool z2 = (r2 & BDRV_BLOCK_ZERO) && !(r2 & BDRV_BLOCK_DATA);
        if (!(z1 && z2)) {
            n = MIN(n, CONVERT_CHUNK);
        }
        if (strict &&
            (r1 & BDRV_BLOCK_ALLOCATED) != (r2 & BDRV_BLOCK_ALLOCATED)) {
            if (!quiet) {
                printf("Strict mode: Offset %" PRIu64
                       " block status mismatch!\n",
                       off);
            }
            ret = 1;
            goto out;
        }
        if (!(z1 && z2)) {
            int e1 = bdrv_pread(bs1, off, n, b1);
            int e2 = e1 < 0 ? e1 : bdrv_pread(bs2, off, n, b2);
            if (e1 < 0 || e2 < 0) {
                error_report("Error while reading offset %" PRIu64 ": %s", off,
                             strerror(-(e1 < 0 ? e1 : e2)));
                goto out;
            }
            int64_t m = first_mismatch(b1, b2, n);
            if (m >= 0) {
                if (!quiet) {
                    printf("Content mismatch at offset %" PRIu64 "!\n",
                           off + m);
                }
                ret = 1;
                goto out;
            }
        }
        off += n;
        img_progress(progress, off * 100.0 / total);
    }
    if (len1 != len2) {
        if (strict) {
            if (!quiet) {
                printf("Strict mode: Image size mismatch!\n");
            }
            ret = 1;
            goto out;
        }
        if (!quiet) {
            printf("Warning: Image size mismatch!\n");
        }
        BlockDriverState *big = len1 > len2 ? bs1 : bs2;
        for (uint64_t off = common; off < total;) {
            uint64_t n;
            int r = bdrv_block_status_above(big, NULL, off,
                                            MIN(total - off, 1ULL << 40), &n,
                                            NULL, NULL, NULL);
            if (r < 0) {
                error_report("Sector allocation test failed");
                goto out;
            }
            if (!((r & BDRV_BLOCK_ZERO) && !(r & BDRV_BLOCK_DATA))) {
                n = MIN(n, CONVERT_CHUNK);
                if (bdrv_pread(big, off, n, b1) < 0) {
                    error_report("Error while reading offset %" PRIu64, off);
                    goto out;
                }
                int64_t m = first_nonzero(b1, n);
                if (m >= 0) {
                    if (!quiet) {
                        printf("Content mismatch at offset %" PRIu64 "!\n",
                               off + m);
                    }
                    ret = 1;
                    goto out;
                }
            }
            off += n;
        }
    }
    if (progress) {
        img_progress(true, 100.0);
        printf("\n");
    }
    if (!quiet) {
        printf("Images are identical.\n");
    }
    ret = 0;
out:
    g_free(b1);
    g_free(b2);
    bdrv_unref(bs1);
    bdrv_unref(bs2);
    return ret;
}

/* ---- commit ------------------------------------------------------------ */

int img_commit(int argc, char **argv)
{
    const char *fmt = NULL, *cache = NULL, *base = NULL;
    bool quiet = false, drop = false, progress = false;
    int c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"image-opts", no_argument, 0, 'I'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":f:ht:b:dpqr:", long_opts, NULL)) !=
           -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 't':
            cache = optarg;
            break;
        case 'b':
            base = optarg;
            drop = true; /* -b implies -d */
            break;
        case 'd':
            drop = true;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'r':
            break;
        case 'h':
            return 0;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
    }
    if (quiet) {
        progress = false;
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
        return 1;
    }
    int flags = BDRV_O_RDWR | BDRV_O_NO_BACKING;
    if (cache && !img_parse_cache(cache, &flags)) {
        error_report("Invalid cache option: %s", cache);
        return 1;
    }
    const char *filename = argv[optind];
    BlockDriverState *top = img_open(filename, fmt, flags, false, quiet);
    if (!top) {
        return 1;
    }
    BlockDriverState *bb = NULL;
    int ret = 1;
    uint8_t *buf = g_malloc(CONVERT_CHUNK);
    if (!bdrv_backing_file(top)[0]) {
        error_report("Image does not have a backing file");
        goto out;
    }
    Error *err = NULL;
    BlockDriverState *stop = NULL; /* base node inside top's chain */
    const char *base_path = bdrv_full_backing_filename(top);
    const char *base_fmt = bdrv_backing_format(top);
    if (base && strcmp(base, bdrv_backing_file(top)) &&
        strcmp(base, bdrv_full_backing_filename(top))) {
        /*
         * An indirect base: read the layers above it through the chain
         * (opened without locks), write into the base, leave the top and
         * the intermediate images as they are (as QEMU does).
         */
        g_autofree char *want = realpath(base, NULL);
        bdrv_unref(top);
        top = img_open(filename, fmt, 0, true, quiet);
        if (!top) {
            goto out;
        }
        for (BlockDriverState *p = bdrv_backing(top); p && want;
             p = bdrv_backing(p)) {
            g_autofree char *have = realpath(bdrv_get_filename(p), NULL);
            if (have && !strcmp(have, want)) {
                stop = p;
                break;
            }
        }
        if (!stop) {
            error_report("Did not find '%s' in the backing chain of '%s'", base,
                         filename);
            goto out;
        }
        base_path = bdrv_get_filename(stop);
        base_fmt = bdrv_get_format_name(stop);
    }
    bb = bdrv_open(base_path, base_fmt[0] ? base_fmt : NULL, BDRV_O_RDWR, &err);
    if (!bb) {
        error_report_err(err);
        goto out;
    }
    uint64_t len = bdrv_getlength(top);
    if ((uint64_t)bdrv_getlength(bb) < len &&
        bdrv_truncate(bb, len, false, PREALLOC_MODE_OFF, &err) < 0) {
        error_report_err(err);
        goto out;
    }
    img_progress(progress, 0.0);
    for (uint64_t off = 0; off < len;) {
        uint64_t n;
        int r = bdrv_block_status_above(top, stop, off,
                                        MIN(len - off, CONVERT_CHUNK), &n, NULL,
                                        NULL, NULL);
        if (r < 0) {
            error_report("Block status failed: %s", strerror(-r));
            goto out;
        }
        if (r & BDRV_BLOCK_ALLOCATED) {
            if ((r & BDRV_BLOCK_ZERO) && !(r & BDRV_BLOCK_DATA)) {
                r = bdrv_pwrite_zeroes(bb, off, n, 0);
            } else {
                r = bdrv_pread(top, off, n, buf);
                if (r == 0) {
                    r = bdrv_pwrite(bb, off, n, buf, 0);
                }
            }
            if (r < 0) {
                error_report("Commit failed: %s", strerror(-r));
                goto out;
            }
        }
        off += n;
        img_progress(progress, off * 100.0 / len);
    }
    if (bdrv_flush(bb) < 0) {
        error_report("Could not flush the base image");
        goto out;
    }
    if (!drop && bdrv_make_empty(top, &err) < 0) {
        error_report_err(err);
        goto out;
    }
    if (progress) {
        printf("\n");
    }
    if (!quiet) {
        printf("Image committed.\n");
    }
    ret = 0;
out:
    g_free(buf);
    bdrv_unref(bb);
    bdrv_unref(top);
    return ret;
}

/* ---- rebase ------------------------------------------------------------ */

int img_rebase(int argc, char **argv)
{
    const char *fmt = NULL, *cache = NULL, *src_cache = NULL;
    const char *out_base = NULL, *out_fmt = NULL;
    bool quiet = false, unsafe = false, progress = false, force_share = false;
    int c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"force-share", no_argument, 0, 'U'},
        {"image-opts", no_argument, 0, 'I'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":hf:F:b:upt:T:qU", long_opts, NULL)) !=
           -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'F':
            out_fmt = optarg;
            break;
        case 'b':
            out_base = optarg;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'p':
            progress = true;
            break;
        case 't':
            cache = optarg;
            break;
        case 'T':
            src_cache = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            force_share = true;
            break;
        case 'h':
            return 0;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
    }
    (void)force_share;
    (void)src_cache;
    if (quiet) {
        progress = false;
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
        return 1;
    }
    if (!out_base) {
        img_usage_error(
            "Must specify backing file (-b) or use unsafe mode (-u)");
        return 1;
    }
    const char *filename = argv[optind];
    int flags = BDRV_O_RDWR | (unsafe ? BDRV_O_NO_BACKING : 0);
    if (cache && !img_parse_cache(cache, &flags)) {
        error_report("Invalid cache option: %s", cache);
        return 1;
    }
    BlockDriverState *bs = img_open(filename, fmt, flags, false, quiet);
    if (!bs) {
        return 1;
    }
    BlockDriverState *nb = NULL;
    Error *err = NULL;
    int ret = 1;
    uint8_t *b1 = g_malloc(CONVERT_CHUNK), *b2 = g_malloc(CONVERT_CHUNK);
    if (!unsafe && out_base[0]) {
        char path[4096];
        bdrv_resolve_backing(filename, out_base, path, sizeof(path));
        nb = bdrv_open(path, out_fmt, 0, &err);
        if (!nb) {
            error_report("Could not open new backing file '%s': %s", path,
                         error_get_pretty(err));
            error_free(err);
            goto out;
        }
    }
    if (!unsafe) {
        /* Copy every unallocated range whose content would change. */
        BlockDriverState *old = bdrv_backing(bs);
        uint64_t len = bdrv_getlength(bs);
        BlockDriverInfo bdi;
        bdrv_get_info(bs, &bdi);
        uint64_t step = bdi.cluster_size ? (uint64_t)bdi.cluster_size : 65536;
        img_progress(progress, 0.0);
        for (uint64_t off = 0; off < len;) {
            uint64_t n;
            int r =
                bdrv_is_allocated(bs, off, MIN(len - off, CONVERT_CHUNK), &n);
            if (r < 0) {
                error_report("error while reading image metadata: %s",
                             strerror(-r));
                goto out;
            }
            if (!r) {
                for (uint64_t p = off; p < off + n; p += step) {
                    uint64_t m = MIN(step, off + n - p);
                    int e = 0;
                    if (old && p < (uint64_t)bdrv_getlength(old)) {
                        uint64_t k = MIN(m, bdrv_getlength(old) - p);
                        e = bdrv_pread(old, p, k, b1);
                        memset(b1 + k, 0, m - k);
                    } else {
                        memset(b1, 0, m);
                    }
                    if (e == 0 && nb && p < (uint64_t)bdrv_getlength(nb)) {
                        uint64_t k = MIN(m, bdrv_getlength(nb) - p);
                        e = bdrv_pread(nb, p, k, b2);
                        memset(b2 + k, 0, m - k);
                    } else {
                        memset(b2, 0, m);
                    }
                    if (e == 0 && memcmp(b1, b2, m)) {
                        e = bdrv_pwrite(bs, p, m, b1, 0);
                    }
                    if (e < 0) {
                        error_report("error while rebasing: %s", strerror(-e));
                        goto out;
                    }
                }
            }
            off += n;
            img_progress(progress, off * 100.0 / len);
        }
        if (progress) {
            printf("\n");
        }
    }
    if (!out_fmt && nb) {
        out_fmt = bdrv_get_format_name(nb);
    }
    if (!out_fmt && out_base[0]) {
        /* -u without -F: probe the new backing file if it is there. */
        char path[4096];
        Error *perr = NULL;
        bdrv_resolve_backing(filename, out_base, path, sizeof(path));
        BlockDriverState *p = bdrv_open(
            path, NULL, BDRV_O_NO_BACKING | BDRV_O_FORCE_SHARE, &perr);
        if (!p) {
            error_free(perr);
            error_report("Could not change the backing file to '%s': "
                         "backing format must be specified",
                         out_base);
            goto out;
        }
        static char probed[32];
        g_strlcpy(probed, bdrv_get_format_name(p), sizeof(probed));
        out_fmt = probed;
        bdrv_unref(p);
    }
    if (bdrv_change_backing_file(bs, out_base[0] ? out_base : NULL,
                                 out_base[0] ? out_fmt : NULL, &err) < 0) {
        error_report("Could not change the backing file to '%s': %s", out_base,
                     error_get_pretty(err));
        error_free(err);
        goto out;
    }
    ret = 0;
out:
    g_free(b1);
    g_free(b2);
    bdrv_unref(nb);
    bdrv_unref(bs);
    return ret;
}

/* ---- dd ---------------------------------------------------------------- */

int img_dd(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw", *in = NULL, *out = NULL;
    uint64_t bs_size = 512, count = UINT64_MAX, skip = 0;
    bool force_share = false;
    int c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"force-share", no_argument, 0, 'U'},
        {"image-opts", no_argument, 0, 'I'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":hf:O:U", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            break;
        case 'U':
            force_share = true;
            break;
        case 'h':
            return 0;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
    }
    for (int i = optind; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            error_report("unrecognized operand %s", argv[i]);
            return 1;
        }
        g_autofree char *k = g_strndup(argv[i], eq - argv[i]);
        const char *v = eq + 1;
        if (!strcmp(k, "if")) {
            in = v;
        } else if (!strcmp(k, "of")) {
            out = v;
        } else if (!strcmp(k, "bs")) {
            if (parse_size(v, &bs_size) < 0 || !bs_size ||
                bs_size > INT32_MAX) {
                error_report("invalid number: '%s'", v);
                return 1;
            }
        } else if (!strcmp(k, "count")) {
            if (parse_size(v, &count) < 0) {
                error_report("invalid number: '%s'", v);
                return 1;
            }
        } else if (!strcmp(k, "skip")) {
            if (parse_size(v, &skip) < 0) {
                error_report("invalid number: '%s'", v);
                return 1;
            }
        } else {
            error_report("unrecognized operand %s", argv[i]);
            return 1;
        }
    }
    if (!in || !out) {
        error_report("Must specify both input and output files");
        return 1;
    }
    BlockDriverState *src = img_open(in, fmt, 0, force_share, false);
    if (!src) {
        return 1;
    }
    BlockDriverState *dst = NULL;
    int ret = 1;
    uint8_t *buf = g_malloc(bs_size);
    /*
     * QEMU's dd: count= counts from the start of the input, skipped blocks
     * included; the output holds [skip*bs, min(count*bs, size)).
     */
    uint64_t end = bdrv_getlength(src);
    if (count != UINT64_MAX && count <= INT64_MAX / bs_size &&
        count * bs_size < end) {
        end = count * bs_size;
    }
    uint64_t start;
    if (skip && (skip > INT64_MAX / bs_size || end < skip * bs_size)) {
        error_report("%s: cannot skip to specified offset", in);
        start = end;
    } else {
        start = skip * bs_size;
    }
    uint64_t size = end - start;
    Opts *o = opts_new();
    g_autofree char *sz = g_strdup_printf("%" PRIu64, size);
    opts_set(o, "size", sz);
    Error *err = NULL;
    if (!bdrv_create(out_fmt, out, o, &err)) {
        error_report("%s: error while creating output image: %s", out,
                     error_get_pretty(err));
        error_free(err);
        opts_free(o);
        goto out;
    }
    opts_free(o);
    dst = img_open(out, out_fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING, false, false);
    if (!dst) {
        goto out;
    }
    for (uint64_t p = 0; p < size; p += bs_size) {
        uint64_t n = MIN(bs_size, size - p);
        int r = bdrv_pread(src, start + p, n, buf);
        if (r < 0) {
            error_report("error while reading from input image file: %s",
                         strerror(-r));
            goto out;
        }
        if (!buffer_is_zero(buf, n)) {
            r = bdrv_pwrite(dst, p, n, buf, 0);
            if (r < 0) {
                error_report("error while writing to output image file: %s",
                             strerror(-r));
                goto out;
            }
        }
    }
    ret = 0;
out:
    g_free(buf);
    bdrv_unref(dst);
    bdrv_unref(src);
    return ret;
}

/* ---- bench ------------------------------------------------------------- */

/*
 * bench keeps `depth` requests in flight through the async pool (worker
 * threads, or the pool's io_uring ring with -i io_uring); a completion
 * starts the next request.  As in QEMU, the offset advances by the step
 * and wraps modulo the image size; a request past the end fails.
 */
typedef struct BenchState {
    BlockDriverState *bs;
    BlockAioPool *pool;
    bool write;
    uint64_t count, started, done;
    uint64_t bufsize, step, offset, image_size;
    uint64_t flush_interval;
    bool drain_on_flush;
    bool flushing; /* a drained flush is waiting or running */
    unsigned in_flight;
    int ret;
    uint8_t *buf;
    struct iovec *iov; /* one slot per depth */
    GQueue free_slots;
} BenchState;

static void bench_start(BenchState *b);

static void bench_flush_cb(void *opaque, int ret)
{
    BenchState *b = opaque;
    if (ret < 0 && !b->ret) {
        error_report("Failed flush request: %s", strerror(-ret));
        b->ret = ret;
    }
    b->in_flight--;
    b->flushing = false;
    bench_start(b);
}

static void bench_done(BenchState *b, struct iovec *slot, int ret)
{
    if (ret < 0 && !b->ret) {
        error_report("Failed request: %s", strerror(-ret));
        b->ret = ret;
    }
    b->done++;
    b->in_flight--;
    g_queue_push_tail(&b->free_slots, slot);
    bench_start(b);
}

typedef struct BenchReq {
    BenchState *b;
    struct iovec *slot;
} BenchReq;

static void bench_req_cb(void *opaque, int ret)
{
    BenchReq *r = opaque;
    bench_done(r->b, r->slot, ret);
    g_free(r);
}

/* Starts requests while slots are free (and no drained flush is due). */
static void bench_start(BenchState *b)
{
    while (!b->ret && b->started < b->count && !b->flushing &&
           !g_queue_is_empty(&b->free_slots)) {
        struct iovec *slot = g_queue_pop_head(&b->free_slots);
        BenchReq *r = g_new(BenchReq, 1);
        r->b = b;
        r->slot = slot;
        b->in_flight++;
        b->started++;
        if (b->write) {
            blk_aio_pwritev(b->pool, b->bs, b->offset, slot, 1, 0, bench_req_cb,
                            r);
        } else {
            blk_aio_preadv(b->pool, b->bs, b->offset, slot, 1, bench_req_cb, r);
        }
        b->offset += b->step;
        b->offset = b->image_size ? b->offset % b->image_size : 0;
        if (b->flush_interval && b->started % b->flush_interval == 0) {
            if (b->drain_on_flush) {
                b->flushing = true; /* issued once the queue drains */
            } else {
                b->in_flight++;
                blk_aio_flush(b->pool, b->bs, bench_flush_cb, b);
            }
        }
    }
    if (b->flushing && b->drain_on_flush && b->in_flight == 0) {
        b->in_flight++;
        blk_aio_flush(b->pool, b->bs, bench_flush_cb, b);
    }
}

int img_bench(int argc, char **argv)
{
    const char *fmt = NULL, *cache = NULL;
    uint64_t count = 75000, depth = 64, offset = 0, bufsize = 4096, step = 0;
    uint64_t flush_interval = 0, pattern = 0;
    bool write = false, force_share = false, drain = true;
    int flags = 0, c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"force-share", no_argument, 0, 'U'},
        {"flush-interval", required_argument, 0, 'F' + 256},
        {"no-drain", no_argument, 0, 'D' + 256},
        {"pattern", required_argument, 0, 'P' + 256},
        {"image-opts", no_argument, 0, 'I'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":hc:d:f:ni:o:qs:S:t:wU", long_opts,
                            NULL)) != -1) {
        switch (c) {
        case 'c':
            if (!parse_uint64(optarg, &count) || count > INT_MAX) {
                error_report("Invalid request count specified");
                return 1;
            }
            break;
        case 'd':
            if (!parse_uint64(optarg, &depth) || !depth || depth > 4096) {
                error_report("Invalid queue depth specified");
                return 1;
            }
            break;
        case 'o':
            if (parse_size(optarg, &offset) < 0 || offset > INT64_MAX) {
                error_report("Invalid offset specified. You may use k, M, "
                             "G, T, P or E suffixes for");
                error_report("kilobytes, megabytes, gigabytes, terabytes, "
                             "petabytes and exabytes.");
                return 1;
            }
            break;
        case 's':
        case 'S': {
            uint64_t v;
            if (parse_size(optarg, &v) < 0 || v > INT_MAX) {
                error_report(c == 's' ? "Invalid buffer size specified"
                                      : "Invalid step size specified");
                return 1;
            }
            *(c == 's' ? &bufsize : &step) = v;
            break;
        }
        case 'f':
            fmt = optarg;
            break;
        case 't':
            cache = optarg;
            break;
        case 'n':
            flags |= BDRV_O_NATIVE_AIO;
            break;
        case 'i':
            if (!bdrv_parse_aio(optarg, &flags)) {
                error_report("Invalid aio option: %s", optarg);
                return 1;
            }
            break;
        case 'F' + 256:
            if (!parse_uint64(optarg, &flush_interval) ||
                flush_interval > INT_MAX) {
                error_report("Invalid flush interval specified");
                return 1;
            }
            break;
        case 'D' + 256:
            drain = false;
            break;
        case 'P' + 256:
            if (!parse_uint64(optarg, &pattern) || pattern > 0xff) {
                error_report("Invalid pattern byte specified");
                return 1;
            }
            break;
        case 'q':
            break; /* QEMU's bench prints its lines even with -q */
        case 'w':
            write = true;
            break;
        case 'U':
            force_share = true;
            break;
        case 'I':
            error_report("--image-opts is not supported");
            return 1;
        case 'h':
            return 0;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
        return 1;
    }
    if (flush_interval && !write) {
        error_report("--flush-interval is only available in write tests");
        return 1;
    }
    if (flush_interval && drain && flush_interval < depth) {
        error_report("Flush interval can't be smaller than depth");
        return 1;
    }
    if (!step) {
        step = bufsize;
    }
    if (write) {
        flags |= BDRV_O_RDWR;
    }
    if (cache && !img_parse_cache(cache, &flags)) {
        error_report("Invalid cache mode");
        return 1;
    }
    BlockDriverState *bs =
        img_open(argv[optind], fmt, flags, force_share && !write, false);
    if (!bs) {
        return 1;
    }
    BenchState b = {
        .bs = bs,
        .write = write,
        .count = count,
        .bufsize = bufsize,
        .step = step,
        .offset = offset,
        .image_size = (uint64_t)MAX(bdrv_getlength(bs), 0),
        .flush_interval = flush_interval,
        .drain_on_flush = drain,
    };
    printf("Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, %" PRIu64
           " in parallel (starting at offset %" PRIu64 ", step size %" PRIu64
           ")\n",
           count, write ? "write" : "read", bufsize, depth, offset, step);
    if (flush_interval) {
        printf("Sending flush every %" PRIu64 " requests\n", flush_interval);
    }
    /* Aligned buffers, so that cache=none needs no bounce buffers. */
    uint64_t slot_len = (MAX(bufsize, 1) + 4095) & ~4095ULL;
    if (posix_memalign((void **)&b.buf, 4096, slot_len * depth)) {
        error_report("Could not allocate buffers");
        bdrv_unref(bs);
        return 1;
    }
    memset(b.buf, (int)pattern, slot_len * depth);
    b.iov = g_new(struct iovec, depth);
    g_queue_init(&b.free_slots);
    for (uint64_t i = 0; i < depth; i++) {
        b.iov[i] = (struct iovec){b.buf + i * slot_len, bufsize};
        g_queue_push_tail(&b.free_slots, &b.iov[i]);
    }
    b.pool = blk_aio_pool_new(NULL, (int)MIN(depth, 64));
    gint64 t0 = g_get_monotonic_time();
    bench_start(&b);
    while (b.in_flight || (!b.ret && b.started < b.count)) {
        g_main_context_iteration(NULL, TRUE);
    }
    gint64 t1 = g_get_monotonic_time();
    blk_aio_pool_free(b.pool);
    if (b.ret == 0) {
        printf("Run completed in %3.3f seconds.\n", (t1 - t0) / 1e6);
    }
    g_queue_clear(&b.free_slots);
    g_free(b.iov);
    free(b.buf);
    bdrv_unref(bs);
    return b.ret ? 1 : 0;
}
