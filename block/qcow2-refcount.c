/*
 * qcow2: metadata caches, reference counts, cluster allocation and the
 * consistency check.
 *
 * Ordering rules that keep an image consistent at every point a writer can
 * be killed (leaks allowed, wrong references never):
 *   - a refcount increase reaches the file before any L2/L1 entry that
 *     references the cluster (dirty L2 tables are written only after the
 *     refcount cache has been flushed);
 *   - a refcount decrease reaches the file only after the L2 entries that
 *     dropped the reference (qcow2_free_clusters flushes the L2 cache first);
 *   - a new refcount block is written before the table entry pointing to it,
 *     and a new refcount table before the header pointing to it.
 */
#include <errno.h>
#include <string.h>
#include <inttypes.h>
#include "block/qcow2.h"

/* ---- metadata cache ---------------------------------------------------- */

Qcow2Cache *qcow2_cache_create(int entries, uint64_t cluster_size, bool l2)
{
    Qcow2Cache *c = g_new0(Qcow2Cache, 1);
    c->size = entries;
    c->entries = g_new0(Qcow2CacheEntry, entries);
    for (int i = 0; i < entries; i++) {
        c->entries[i].data = g_malloc(cluster_size);
    }
    c->map = g_hash_table_new(g_int64_hash, g_int64_equal);
    c->is_l2 = l2;
    return c;
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    if (!c) {
        return;
    }
    for (int i = 0; i < c->size; i++) {
        g_free(c->entries[i].data);
    }
    g_hash_table_destroy(c->map);
    g_free(c->entries);
    g_free(c);
}

static int qcow2_cache_write_entry(BlockDriverState *bs, Qcow2Cache *c,
                                   Qcow2CacheEntry *e)
{
    BDRVQcow2State *s = bs->opaque;
    if (!e->dirty) {
        return 0;
    }
    if (s->corrupt) {
        return -EIO;
    }
    if (c->is_l2) {
        int ret = qcow2_refcounts_before_tables(bs);
        if (ret < 0) {
            return ret;
        }
    }
    int ret = bdrv_pwrite(bs->file, e->offset, s->cluster_size, e->data, 0);
    if (ret < 0) {
        return ret;
    }
    e->dirty = false;
    return 0;
}

int qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c)
{
    /* Write in offset order: kinder to the disk, same result. */
    for (int i = 0; i < c->size; i++) {
        Qcow2CacheEntry *e = &c->entries[i];
        if (e->offset && e->dirty) {
            int ret = qcow2_cache_write_entry(bs, c, e);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

int qcow2_refcounts_before_tables(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (s->lazy_refcounts) {
        return qcow2_mark_dirty(bs);
    }
    return qcow2_cache_flush(bs, s->refblock_cache);
}

int qcow2_flush_caches(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_cache_flush(bs, s->refblock_cache);
    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->l2_cache);
    }
    return ret;
}

int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                    bool read, uint8_t **data)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2CacheEntry *e = g_hash_table_lookup(c->map, &offset);

    if (e) {
        e->lru = ++c->lru_counter;
        *data = e->data;
        return 0;
    }
    Qcow2CacheEntry *victim = NULL;
    for (int i = 0; i < c->size; i++) {
        Qcow2CacheEntry *x = &c->entries[i];
        if (!x->offset) {
            victim = x;
            break;
        }
        if (!victim || x->lru < victim->lru) {
            victim = x;
        }
    }
    if (victim->offset) {
        int ret = qcow2_cache_write_entry(bs, c, victim);
        if (ret < 0) {
            return ret;
        }
        g_hash_table_remove(c->map, &victim->offset);
        victim->offset = 0;
    }
    if (read) {
        int64_t flen = qcow2_file_end(bs);
        if (flen >= 0 && offset >= (uint64_t)flen) {
            /* Metadata tables live inside the file; never write out there. */
            qcow2_signal_corruption(bs,
                                    "Metadata table at %#" PRIx64
                                    " is beyond the end of the image",
                                    offset);
            return -EIO;
        }
        int ret = bdrv_pread(bs->file, offset, s->cluster_size, victim->data);
        if (ret < 0) {
            return ret;
        }
    } else {
        memset(victim->data, 0, s->cluster_size);
    }
    victim->offset = offset;
    victim->dirty = false;
    victim->lru = ++c->lru_counter;
    g_hash_table_insert(c->map, &victim->offset, victim);
    *data = victim->data;
    return 0;
}

void qcow2_cache_drop_all(Qcow2Cache *c)
{
    for (int i = 0; i < c->size; i++) {
        c->entries[i].offset = 0;
        c->entries[i].dirty = false;
    }
    g_hash_table_remove_all(c->map);
}

void qcow2_cache_mark_dirty(Qcow2Cache *c, uint64_t offset)
{
    Qcow2CacheEntry *e = g_hash_table_lookup(c->map, &offset);
    if (e) {
        e->dirty = true;
    }
}

void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    Qcow2CacheEntry *e = g_hash_table_lookup(c->map, &offset);
    if (e) {
        g_hash_table_remove(c->map, &e->offset);
        e->offset = 0;
        e->dirty = false;
    }
}

/* ---- refcount entries -------------------------------------------------- */

uint64_t qcow2_refblock_get(BDRVQcow2State *s, const uint8_t *blk, uint64_t idx)
{
    switch (s->refcount_order) {
    case 0:
    case 1:
    case 2: {
        int bits = s->refcount_bits;
        uint64_t bit = idx * bits;
        return (blk[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    case 3:
        return blk[idx];
    case 4:
        return be16_load(blk + idx * 2);
    case 5:
        return be32_load(blk + idx * 4);
    default:
        return be64_load(blk + idx * 8);
    }
}

void qcow2_refblock_set(BDRVQcow2State *s, uint8_t *blk, uint64_t idx,
                        uint64_t v)
{
    switch (s->refcount_order) {
    case 0:
    case 1:
    case 2: {
        int bits = s->refcount_bits;
        uint64_t bit = idx * bits;
        uint8_t mask = ((1u << bits) - 1) << (bit % 8);
        blk[bit / 8] = (blk[bit / 8] & ~mask) | ((v << (bit % 8)) & mask);
        break;
    }
    case 3:
        blk[idx] = v;
        break;
    case 4:
        be16_store(blk + idx * 2, v);
        break;
    case 5:
        be32_store(blk + idx * 4, v);
        break;
    default:
        be64_store(blk + idx * 8, v);
        break;
    }
}

int64_t qcow2_file_end(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file);
}

/* Offset of the refcount block for table index ri, 0 if none, or -EIO. */
static int64_t qcow2_refblock_offset(BlockDriverState *bs, uint64_t ri)
{
    BDRVQcow2State *s = bs->opaque;
    if (ri >= s->refcount_table_size) {
        return 0;
    }
    uint64_t off = s->refcount_table[ri] & REFT_OFFSET_MASK;
    if (off & (s->cluster_size - 1)) {
        qcow2_signal_corruption(bs,
                                "Refblock offset %#" PRIx64
                                " unaligned (reftable index: %#" PRIx64 ")",
                                off, ri);
        return -EIO;
    }
    return (int64_t)off;
}

int qcow2_get_refcount(BlockDriverState *bs, uint64_t ci, uint64_t *refcount)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t ri = ci >> s->refcount_block_bits;
    int64_t off = qcow2_refblock_offset(bs, ri);
    uint8_t *blk;

    *refcount = 0;
    if (off <= 0) {
        return (int)off;
    }
    int ret = qcow2_cache_get(bs, s->refblock_cache, off, true, &blk);
    if (ret < 0) {
        return ret;
    }
    *refcount =
        qcow2_refblock_get(s, blk, ci & ((1ULL << s->refcount_block_bits) - 1));
    return 0;
}

static int qcow2_write_reftable_entry(BlockDriverState *bs, uint64_t ri)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t be[8];
    be64_store(be, s->refcount_table[ri]);
    return bdrv_pwrite(bs->file, s->refcount_table_offset + ri * 8, 8, be, 0);
}

static uint64_t qcow2_alloc_bound(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t end = qcow2_file_end(bs);
    uint64_t fc = end > 0 ? qcow2_size_to_clusters(s, end) : 0;
    return MAX(fc, s->alloc_end);
}

/*
 * Grows the refcount table so that index min_ri exists.  The new table and
 * the refcount blocks describing it go to the end of the image.
 */
static int qcow2_grow_reftable(BlockDriverState *bs, uint64_t min_ri)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t new_entries = MAX(min_ri + 1, s->refcount_table_size * 3 / 2);
    uint64_t table_clusters = (new_entries + per_cluster - 1) / per_cluster;
    uint64_t start = qcow2_alloc_bound(bs);
    uint64_t rb_bits = s->refcount_block_bits;
    uint64_t nblocks = 0;
    int ret;

    if (table_clusters * s->cluster_size > QCOW2_MAX_REFTABLE_BYTES) {
        return -EFBIG;
    }
    /* New refblocks needed to cover [start, start + T + B). */
    for (;;) {
        uint64_t end = start + table_clusters + nblocks;
        uint64_t need = 0;
        for (uint64_t ri = start >> rb_bits; ri <= (end - 1) >> rb_bits; ri++) {
            if (ri >= s->refcount_table_size ||
                !(s->refcount_table[ri] & REFT_OFFSET_MASK)) {
                need++;
            }
        }
        uint64_t max_ri = (end - 1) >> rb_bits;
        if (max_ri >= table_clusters * per_cluster) {
            table_clusters = (max_ri + 1 + per_cluster - 1) / per_cluster;
            continue;
        }
        if (need == nblocks) {
            break;
        }
        nblocks = need;
    }
    uint64_t blocks_start = start + table_clusters;
    uint64_t end = blocks_start + nblocks;
    uint64_t new_size = table_clusters * per_cluster;
    g_autofree uint64_t *table = g_new0(uint64_t, new_size);
    memcpy(table, s->refcount_table, s->refcount_table_size * 8);
    g_autofree uint8_t *blocks = g_malloc0(MAX(nblocks, 1) * s->cluster_size);

    /* Assign the new blocks to the uncovered ranges, in order. */
    uint64_t b = 0;
    for (uint64_t ri = start >> rb_bits; ri <= (end - 1) >> rb_bits; ri++) {
        if (!(table[ri] & REFT_OFFSET_MASK)) {
            table[ri] = (blocks_start + b) << s->cluster_bits;
            b++;
        }
    }
    /* Count the new clusters, in new blocks or existing ones. */
    for (uint64_t ci = start; ci < end; ci++) {
        uint64_t ri = ci >> rb_bits;
        uint64_t idx = ci & ((1ULL << rb_bits) - 1);
        bool is_new = ri >= s->refcount_table_size ||
                      !(s->refcount_table[ri] & REFT_OFFSET_MASK);
        if (is_new) {
            uint64_t bi = (table[ri] >> s->cluster_bits) - blocks_start;
            qcow2_refblock_set(s, blocks + bi * s->cluster_size, idx, 1);
        } else {
            ret = qcow2_update_refcount(bs, ci, 1);
            if (ret < 0) {
                return ret;
            }
        }
    }
    if (nblocks) {
        ret = bdrv_pwrite(bs->file, blocks_start << s->cluster_bits,
                          nblocks * s->cluster_size, blocks, 0);
        if (ret < 0) {
            return ret;
        }
    }
    ret = qcow2_cache_flush(bs, s->refblock_cache);
    if (ret < 0) {
        return ret;
    }
    g_autofree uint8_t *be = g_malloc0(table_clusters * s->cluster_size);
    for (uint64_t i = 0; i < new_size; i++) {
        be64_store(be + i * 8, table[i]);
    }
    ret = bdrv_pwrite(bs->file, start << s->cluster_bits,
                      table_clusters * s->cluster_size, be, 0);
    if (ret < 0) {
        return ret;
    }
    uint8_t hdr[12];
    be64_store(hdr, start << s->cluster_bits);
    be32_store(hdr + 8, table_clusters);
    ret = bdrv_pwrite(bs->file, 48, 12, hdr, 0);
    if (ret < 0) {
        return ret;
    }
    uint64_t old_offset = s->refcount_table_offset;
    uint64_t old_clusters = s->refcount_table_clusters;
    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&table);
    s->refcount_table_size = new_size;
    s->refcount_table_offset = start << s->cluster_bits;
    s->refcount_table_clusters = table_clusters;
    s->alloc_end = MAX(s->alloc_end, end);
    if (old_offset) {
        ret = qcow2_free_clusters(bs, old_offset, old_clusters);
    }
    return ret;
}

int qcow2_update_refcount(BlockDriverState *bs, uint64_t ci, int64_t delta)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t ri = ci >> s->refcount_block_bits;
    int64_t off = qcow2_refblock_offset(bs, ri);
    uint8_t *blk;

    if (off < 0) {
        return (int)off;
    }
    if (off == 0) {
        if (delta < 0) {
            qcow2_signal_corruption(
                bs, "Freeing cluster %#" PRIx64 " that has no refcount block",
                ci << s->cluster_bits);
            return -EIO;
        }
        /* A new refcount block for this range, allocated normally. */
        if (ri >= s->refcount_table_size) {
            int ret = qcow2_grow_reftable(bs, ri);
            if (ret < 0) {
                return ret;
            }
        }
        if (s->alloc_depth > 2) {
            /* Allocation keeps needing refcount blocks: bad metadata. */
            qcow2_signal_corruption(bs,
                                    "Cannot allocate a refcount block "
                                    "for cluster %#" PRIx64,
                                    ci << s->cluster_bits);
            return -EIO;
        }
        s->alloc_depth++;
        int64_t nb = qcow2_alloc_clusters(bs, 1);
        s->alloc_depth--;
        if (nb < 0) {
            return (int)nb;
        }
        if (!(s->refcount_table[ri] & REFT_OFFSET_MASK)) {
            g_autofree uint8_t *z = g_malloc0(s->cluster_size);
            int ret = bdrv_pwrite(bs->file, nb, s->cluster_size, z, 0);
            if (ret < 0) {
                return ret;
            }
            s->refcount_table[ri] = nb;
            ret = qcow2_write_reftable_entry(bs, ri);
            if (ret < 0) {
                return ret;
            }
        }
        off = s->refcount_table[ri] & REFT_OFFSET_MASK;
    }
    int ret = qcow2_cache_get(bs, s->refblock_cache, off, true, &blk);
    if (ret < 0) {
        return ret;
    }
    uint64_t idx = ci & ((1ULL << s->refcount_block_bits) - 1);
    uint64_t v = qcow2_refblock_get(s, blk, idx);
    if (delta < 0 && v < (uint64_t)-delta) {
        qcow2_signal_corruption(
            bs, "Refcount of cluster %#" PRIx64 " would drop below zero",
            ci << s->cluster_bits);
        return -EIO;
    }
    if (delta > 0 && s->refcount_max - v < (uint64_t)delta) {
        return -ERANGE;
    }
    qcow2_refblock_set(s, blk, idx, v + delta);
    qcow2_cache_mark_dirty(s->refblock_cache, off);
    if (v + delta == 0) {
        if (s->punch_freed) {
            /* Discarded by the guest, snapshot gone: give it back. */
            bdrv_discard(bs->file, ci << s->cluster_bits, s->cluster_size);
        }
        /* A freed L2 table must not come back from the cache. */
        qcow2_cache_discard(s->l2_cache, ci << s->cluster_bits);
        if (s->cluster_cache_offset >> s->cluster_bits == ci) {
            s->cluster_cache_offset = -1;
        }
        if (s->free_byte_offset &&
            s->free_byte_offset >> s->cluster_bits == ci) {
            s->free_byte_offset = 0; /* no more packing into it */
        }
        if (ci < s->free_cluster_index) {
            s->free_cluster_index = ci;
        }
    }
    return 0;
}

static bool qcow2_range_missing(BDRVQcow2State *s, uint64_t ri)
{
    return ri >= s->refcount_table_size ||
           !(s->refcount_table[ri] & REFT_OFFSET_MASK);
}

/*
 * Creates the missing refcount blocks for clusters [first, last], placed
 * past the end of the image (where everything is free), together with the
 * blocks those new clusters need themselves.  Returns 1 when the table
 * had to grow first (the caller restarts), 0 or -errno.
 */
static int qcow2_add_refblocks(BlockDriverState *bs, uint64_t first,
                               uint64_t last)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rb_bits = s->refcount_block_bits;
    uint64_t bound = qcow2_alloc_bound(bs);
    uint64_t k = 0;
    g_autoptr(GArray) miss = g_array_new(FALSE, FALSE, sizeof(uint64_t));

    for (;;) {
        g_array_set_size(miss, 0);
        for (uint64_t ri = first >> rb_bits; ri <= last >> rb_bits; ri++) {
            if (qcow2_range_missing(s, ri)) {
                g_array_append_val(miss, ri);
            }
        }
        if (k) {
            uint64_t a = MAX(bound >> rb_bits, (last >> rb_bits) + 1);
            for (uint64_t ri = a; ri <= (bound + k - 1) >> rb_bits; ri++) {
                if (qcow2_range_missing(s, ri)) {
                    g_array_append_val(miss, ri);
                }
            }
        }
        if (miss->len == k) {
            break;
        }
        k = miss->len;
    }
    for (guint i = 0; i < miss->len; i++) {
        uint64_t ri = g_array_index(miss, uint64_t, i);
        if (ri >= s->refcount_table_size) {
            int ret = qcow2_grow_reftable(bs, ri);
            return ret < 0 ? ret : 1;
        }
    }
    g_autofree uint8_t *blocks = g_malloc0(MAX(k, 1) * s->cluster_size);
    for (uint64_t c = bound; c < bound + k; c++) {
        uint64_t ri = c >> rb_bits;
        uint64_t idx = c & ((1ULL << rb_bits) - 1);
        guint j;
        for (j = 0; j < miss->len; j++) {
            if (g_array_index(miss, uint64_t, j) == ri) {
                break;
            }
        }
        if (j < miss->len) {
            qcow2_refblock_set(s, blocks + j * s->cluster_size, idx, 1);
        } else {
            int ret = qcow2_update_refcount(bs, c, 1);
            if (ret < 0) {
                return ret;
            }
        }
    }
    int ret = bdrv_pwrite(bs->file, bound << s->cluster_bits,
                          k * s->cluster_size, blocks, 0);
    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->refblock_cache);
    }
    if (ret < 0) {
        return ret;
    }
    for (guint j = 0; j < miss->len; j++) {
        uint64_t ri = g_array_index(miss, uint64_t, j);
        s->refcount_table[ri] = (bound + j) << s->cluster_bits;
        ret = qcow2_write_reftable_entry(bs, ri);
        if (ret < 0) {
            return ret;
        }
    }
    s->alloc_end = MAX(s->alloc_end, bound + k);
    return 0;
}

/*
 * Allocates n contiguous free clusters and gives them refcount 1.
 * Returns the host offset of the first or -errno.
 */
int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rb_bits = s->refcount_block_bits;

    if (s->corrupt) {
        return -EIO;
    }
    for (;;) {
        uint64_t bound = qcow2_alloc_bound(bs);
        uint64_t start = s->free_cluster_index, count = 0;
        for (uint64_t ci = start; count < n; ci++) {
            if (ci >= bound) {
                break; /* everything past the end is free */
            }
            uint64_t rc;
            int ret = qcow2_get_refcount(bs, ci, &rc);
            if (ret < 0) {
                return ret;
            }
            if (rc || ci == 0) {
                start = ci + 1;
                count = 0;
            } else {
                count++;
            }
        }
        if ((start + n) << s->cluster_bits >> s->cluster_bits != start + n ||
            ((start + n) << s->cluster_bits) > (1ULL << 56)) {
            return -EFBIG;
        }
        /* Make sure every refcount block of the run exists. */
        bool created = false;
        for (uint64_t ci = start; ci < start + n && !created;) {
            uint64_t ri = ci >> rb_bits;
            if (ri >= s->refcount_table_size) {
                int ret = qcow2_grow_reftable(bs, ri);
                if (ret < 0) {
                    return ret;
                }
                created = true;
                break;
            }
            if (!(s->refcount_table[ri] & REFT_OFFSET_MASK) &&
                (start >> rb_bits) != ((start + n - 1) >> rb_bits)) {
                /* The run spans ranges: new blocks go past the end. */
                int ret = qcow2_add_refblocks(bs, start, start + n - 1);
                if (ret < 0) {
                    return ret;
                }
                created = true;
                break;
            }
            if (!(s->refcount_table[ri] & REFT_OFFSET_MASK)) {
                /* Self-describing: the block takes the first cluster. */
                g_autofree uint8_t *blk = g_malloc0(s->cluster_size);
                qcow2_refblock_set(s, blk, ci & ((1ULL << rb_bits) - 1), 1);
                int ret = bdrv_pwrite(bs->file, ci << s->cluster_bits,
                                      s->cluster_size, blk, 0);
                if (ret < 0) {
                    return ret;
                }
                s->refcount_table[ri] = ci << s->cluster_bits;
                ret = qcow2_write_reftable_entry(bs, ri);
                if (ret < 0) {
                    return ret;
                }
                s->alloc_end = MAX(s->alloc_end, ci + 1);
                created = true;
                break;
            }
            ci = (ri + 1) << rb_bits;
        }
        if (created) {
            continue;
        }
        for (uint64_t ci = start; ci < start + n; ci++) {
            int ret = qcow2_update_refcount(bs, ci, 1);
            if (ret < 0) {
                return ret;
            }
        }
        s->free_cluster_index = start + n;
        s->alloc_end = MAX(s->alloc_end, start + n);
        return (int64_t)(start << s->cluster_bits);
    }
}

int64_t qcow2_alloc_bytes(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = s->free_byte_offset;

    if (off && (off & (s->cluster_size - 1)) &&
        s->cluster_size - (off & (s->cluster_size - 1)) >= size) {
        uint64_t rc;
        int ret = qcow2_get_refcount(bs, off >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
        if (rc > 0 && rc < s->refcount_max) {
            ret = qcow2_update_refcount(bs, off >> s->cluster_bits, 1);
            if (ret < 0) {
                return ret;
            }
            s->free_byte_offset = off + size;
            return (int64_t)off;
        }
    }
    int64_t c = qcow2_alloc_clusters(bs, 1);
    if (c < 0) {
        return c;
    }
    s->free_byte_offset = c + size;
    return c;
}

int qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_cache_flush(bs, s->l2_cache);
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ci = (offset >> s->cluster_bits) + i;
        ret = qcow2_update_refcount(bs, ci, -1);
        if (ret < 0) {
            return ret;
        }
        uint64_t rc;
        if (qcow2_get_refcount(bs, ci, &rc) == 0 && rc == 0) {
            qcow2_cache_discard(s->l2_cache, ci << s->cluster_bits);
            if (s->cluster_cache_offset >> s->cluster_bits == ci) {
                s->cluster_cache_offset = -1;
            }
            if (s->free_byte_offset >> s->cluster_bits == ci) {
                s->free_byte_offset = 0;
            }
        }
    }
    return 0;
}

/* Host clusters touched by a compressed L2 entry: [*first, *last]. */
void qcow2_compressed_range(BDRVQcow2State *s, uint64_t entry, uint64_t *first,
                            uint64_t *last, uint64_t *off, uint64_t *len)
{
    uint64_t o = entry & s->cluster_offset_mask;
    uint64_t nsect = ((entry >> s->csize_shift) & s->csize_mask) + 1;
    uint64_t end = (o & ~511ULL) + nsect * 512;
    *first = o >> s->cluster_bits;
    *last = (end - 1) >> s->cluster_bits;
    if (off) {
        *off = o;
        *len = end - o;
    }
}

int qcow2_free_any_cluster(BlockDriverState *bs, uint64_t entry)
{
    BDRVQcow2State *s = bs->opaque;
    switch (qcow2_entry_type(s, entry, 0)) {
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        return qcow2_free_clusters(bs, entry & L2E_OFFSET_MASK, 1);
    case QCOW2_CLUSTER_COMPRESSED: {
        uint64_t first, last;
        qcow2_compressed_range(s, entry, &first, &last, NULL, NULL);
        for (uint64_t c = first; c <= last; c++) {
            int ret = qcow2_free_clusters(bs, c << s->cluster_bits, 1);
            if (ret < 0) {
                return ret;
            }
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* Adds delta to every cluster an L1 table references (snapshots). */
int qcow2_update_snapshot_refcount(BlockDriverState *bs, uint64_t l1_offset,
                                   uint32_t l1_size, int delta)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *l1 = g_malloc0(MAX(l1_size, 1) * 8);
    int ret;

    if (delta < 0) {
        ret = qcow2_cache_flush(bs, s->l2_cache);
        if (ret < 0) {
            return ret;
        }
    }
    ret = bdrv_pread(bs->file, l1_offset, (uint64_t)l1_size * 8, l1);
    if (ret < 0) {
        return ret;
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_off = be64_load(l1 + i * 8) & L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        if (l2_off & (s->cluster_size - 1)) {
            qcow2_signal_corruption(
                bs, "L2 table offset %#" PRIx64 " unaligned", l2_off);
            return -EIO;
        }
        uint8_t *l2;
        ret = qcow2_cache_get(bs, s->l2_cache, l2_off, true, &l2);
        if (ret < 0) {
            return ret;
        }
        /* Copy: refcount updates may evict nothing from the L2 cache, but
         * keep the walk independent of it anyway. */
        g_autofree uint8_t *copy = g_memdup2(l2, s->cluster_size);
        for (uint64_t j = 0; j < s->l2_size; j++) {
            uint64_t e = be64_load(copy + j * s->l2_entry_size);
            Qcow2ClusterType t = qcow2_entry_type(s, e, 0);
            if (t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC) {
                ret = qcow2_update_refcount(
                    bs, (e & L2E_OFFSET_MASK) >> s->cluster_bits, delta);
            } else if (t == QCOW2_CLUSTER_COMPRESSED) {
                uint64_t first, last;
                qcow2_compressed_range(s, e, &first, &last, NULL, NULL);
                for (uint64_t c = first; c <= last && ret == 0; c++) {
                    ret = qcow2_update_refcount(bs, c, delta);
                }
            }
            if (ret < 0) {
                return ret;
            }
        }
        ret = qcow2_update_refcount(bs, l2_off >> s->cluster_bits, delta);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}
