/*
 * qcow2: the consistency check and its repairs (qemu-img check [-r
 * leaks|all], and the repair of an image left dirty by lazy refcounts).
 *
 * It runs in QEMU's phases, with QEMU's messages, so that both tools
 * print the same lines and leave the same image behind:
 *
 *  1. count: walk the header, the active and snapshot L1/L2 tables, the
 *     snapshot table, the refcount table and blocks and the bitmaps,
 *     counting the references to every host cluster in memory and
 *     reporting bad entries;
 *  2. compare the stored refcounts with the counts ("Leaked cluster",
 *     "ERROR cluster");
 *  3. repair: a stored refcount of 0 for a referenced cluster (or a broken
 *     refcount block) means the refcount structure cannot be trusted, so
 *     -r all rebuilds it from the counts (new refcount blocks and table,
 *     first fit), counts again and frees what the old structure occupied;
 *     otherwise the comparison runs again, lowering refcounts that are
 *     too high (-r leaks) and raising those too low (-r all);
 *  4. check the COPIED flags of the active tables, repairing them with
 *     -r all, or with -r leaks when nothing else is wrong.
 *
 * Memory: four bytes per cluster of the file (refused past 2^28
 * clusters); references past the end of the file are reported, never
 * stored, so a hostile image cannot make the array grow.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <inttypes.h>
#include "block/qcow2.h"

#define CHECK_MAX_CLUSTERS (1ULL << 28)
#define CHECK_GROW_MAX     (1ULL << 22) /* refblock repair growth bound */
#define L1E_RESERVED_MASK  0x7f000000000001ffULL
#define L2E_RESERVED_MASK  0x3f000000000001feULL
#define REFT_RESERVED_MASK 0x1ffULL
#define EXTL2_ALL_ALLOC    0x00000000ffffffffULL
#define EXTL2_ALL_ZERO     0xffffffff00000000ULL

typedef struct CheckState {
    BlockDriverState *bs;
    BDRVQcow2State *s;
    BdrvCheckResult *res;
    uint32_t *refs; /* computed references per host cluster, saturating */
    uint64_t nb;    /* clusters covered by refs */
    bool rebuild;   /* the stored refcount structure is beyond repair */
    int64_t flen;   /* the file's length, refreshed where it may change */
} CheckState;

static void G_GNUC_PRINTF(2, 3) check_log(CheckState *cs, const char *fmt, ...)
{
    va_list ap;
    if (!cs->res->log) {
        return;
    }
    va_start(ap, fmt);
    g_string_append_vprintf(cs->res->log, fmt, ap);
    va_end(ap);
}

static int check_refs_resize(CheckState *cs, uint64_t n)
{
    if (n <= cs->nb) {
        return 0;
    }
    if (n > CHECK_MAX_CLUSTERS) {
        return -EFBIG;
    }
    uint32_t *r = g_try_renew(uint32_t, cs->refs, n);
    if (!r) {
        return -ENOMEM;
    }
    memset(r + cs->nb, 0, (n - cs->nb) * sizeof(*r));
    cs->refs = r;
    cs->nb = n;
    return 0;
}

static uint64_t check_ref(CheckState *cs, uint64_t c)
{
    return c < cs->nb ? cs->refs[c] : 0;
}

/*
 * Counts one reference to each cluster of [offset, offset + size).  The
 * last cluster of an image may be partly past the end of the file; a
 * range reaching a whole cluster past it is corruption and not counted.
 * Returns 0 or -errno (out of memory: the check fails).
 */
static int check_inc(CheckState *cs, uint64_t offset, uint64_t size)
{
    BDRVQcow2State *s = cs->s;
    if (!size) {
        return 0;
    }
    if (cs->flen < 0) {
        cs->res->check_errors++;
        return (int)cs->flen;
    }
    uint64_t end = offset + size;
    if (end < offset || end >= (uint64_t)cs->flen + s->cluster_size) {
        check_log(cs,
                  "ERROR: counting reference for region exceeding the end "
                  "of the file by one cluster or more: offset 0x%" PRIx64
                  " size 0x%" PRIx64 "\n",
                  offset, size);
        cs->res->corruptions++;
        return 0;
    }
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (end - 1) >> s->cluster_bits;
    int ret = check_refs_resize(cs, last + 1);
    if (ret < 0) {
        cs->res->check_errors++;
        return ret;
    }
    uint64_t max = MIN(s->refcount_max, UINT32_MAX);
    for (uint64_t c = first; c <= last; c++) {
        if (cs->refs[c] >= max) {
            check_log(cs,
                      "ERROR: overflow cluster offset=0x%" PRIx64 "\n"
                      "Use qemu-img amend to increase the refcount entry "
                      "width or qemu-img convert to create a clean copy if "
                      "the image cannot be opened for writing\n",
                      c << s->cluster_bits);
            cs->res->corruptions++;
            continue;
        }
        cs->refs[c]++;
    }
    return 0;
}

static void check_inc_cb(BlockDriverState *bs, void *opaque, uint64_t offset,
                         uint64_t size)
{
    check_inc(opaque, offset, size);
}

/* Turns entry j of the L2 table at l2_off into a plain zero cluster. */
static int check_zero_entry(CheckState *cs, uint8_t *l2, uint64_t l2_off,
                            uint64_t j)
{
    BDRVQcow2State *s = cs->s;
    if ((l2_off & (s->cluster_size - 1)) || s->read_only) {
        return -EINVAL;
    }
    if (s->extended_l2) {
        be64_store(l2 + j * 16, 0);
        be64_store(l2 + j * 16 + 8, EXTL2_ALL_ZERO);
    } else {
        be64_store(l2 + j * 8, QCOW_OFLAG_ZERO);
    }
    qcow2_cache_discard(s->l2_cache, l2_off);
    return bdrv_pwrite(cs->bs->file, l2_off, s->cluster_size, l2, 0);
}

/* Walks one L2 table; frag: count the allocation statistics (active). */
static int check_l2(CheckState *cs, uint64_t l2_off, bool frag,
                    BdrvCheckMode fix)
{
    BDRVQcow2State *s = cs->s;
    BdrvCheckResult *res = cs->res;
    g_autofree uint8_t *l2 = g_malloc(s->cluster_size);
    uint64_t next_contiguous = 0;
    int ret = bdrv_pread(cs->bs->file, l2_off, s->cluster_size, l2);

    if (ret < 0) {
        check_log(cs, "ERROR: I/O error in check_refcounts_l2\n");
        res->check_errors++;
        return ret;
    }
    for (uint64_t j = 0; j < s->l2_size; j++) {
        uint64_t e = be64_load(l2 + j * s->l2_entry_size);
        uint64_t bitmap = s->extended_l2 ? be64_load(l2 + j * 16 + 8) : 0;
        Qcow2ClusterType t = qcow2_entry_type(s, e, bitmap);

        if (t != QCOW2_CLUSTER_COMPRESSED && (e & L2E_RESERVED_MASK)) {
            check_log(cs,
                      "ERROR found l2 entry with reserved bits set: %" PRIx64
                      "\n",
                      e);
            res->corruptions++;
        }
        switch (t) {
        case QCOW2_CLUSTER_COMPRESSED: {
            uint64_t first, last, off, len;
            if (e & QCOW_OFLAG_COPIED) {
                check_log(cs,
                          "ERROR: coffset=0x%" PRIx64
                          ": copied flag must never be set for compressed "
                          "clusters\n",
                          e & s->cluster_offset_mask);
                e &= ~QCOW_OFLAG_COPIED;
                res->corruptions++;
            }
            if (bitmap) {
                check_log(cs,
                          "ERROR compressed cluster %" PRIu64
                          " with non-zero subcluster allocation bitmap, "
                          "entry=0x%" PRIx64 "\n",
                          j, e);
                res->corruptions++;
                break;
            }
            qcow2_compressed_range(s, e, &first, &last, &off, &len);
            ret = check_inc(cs, off, len);
            if (ret < 0) {
                return ret;
            }
            if (frag) {
                res->allocated_clusters++;
                res->compressed_clusters++;
                res->fragmented_clusters++; /* by nature */
            }
            break;
        }
        case QCOW2_CLUSTER_NORMAL:
        case QCOW2_CLUSTER_ZERO_ALLOC: {
            uint64_t host = e & L2E_OFFSET_MASK;
            if (host & (s->cluster_size - 1)) {
                bool data = s->extended_l2 ? (bitmap & EXTL2_ALL_ALLOC)
                                           : !(e & QCOW_OFLAG_ZERO);
                res->corruptions++;
                if (data) {
                    check_log(cs,
                              "ERROR offset=%" PRIx64
                              ": Data cluster is not properly aligned; L2 "
                              "entry corrupted.\n",
                              host);
                } else {
                    bool repair = fix & BDRV_FIX_ERRORS;
                    check_log(cs,
                              "%s offset=%" PRIx64
                              ": Preallocated cluster is not properly "
                              "aligned; L2 entry corrupted.\n",
                              repair ? "Repairing" : "ERROR", host);
                    if (repair && check_zero_entry(cs, l2, l2_off, j) == 0) {
                        res->corruptions--;
                        res->corruptions_fixed++;
                        continue; /* the cluster is unused now */
                    }
                }
            }
            if (frag) {
                res->allocated_clusters++;
                if (next_contiguous && host != next_contiguous) {
                    res->fragmented_clusters++;
                }
                next_contiguous = host + s->cluster_size;
            }
            ret = check_inc(cs, host, s->cluster_size);
            if (ret < 0) {
                return ret;
            }
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

static int check_l1(CheckState *cs, uint64_t l1_off, uint32_t l1_size,
                    bool active, BdrvCheckMode fix)
{
    BDRVQcow2State *s = cs->s;
    BdrvCheckResult *res = cs->res;
    uint64_t bytes = (uint64_t)l1_size * 8;

    int ret = check_inc(cs, l1_off, bytes);
    if (ret < 0 || !l1_size) {
        return ret;
    }
    g_autofree uint8_t *l1 = g_try_malloc(bytes);
    if (!l1) {
        res->check_errors++;
        return -ENOMEM;
    }
    ret = bdrv_pread(cs->bs->file, l1_off, bytes, l1);
    if (ret < 0) {
        check_log(cs, "ERROR: I/O error in check_refcounts_l1\n");
        res->check_errors++;
        return ret;
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t e = be64_load(l1 + i * 8);
        if (!e) {
            continue;
        }
        if (e & L1E_RESERVED_MASK) {
            check_log(cs,
                      "ERROR found L1 entry with reserved bits set: %" PRIx64
                      "\n",
                      e);
            res->corruptions++;
        }
        uint64_t l2_off = e & L1E_OFFSET_MASK;
        ret = check_inc(cs, l2_off, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
        if (l2_off & (s->cluster_size - 1)) {
            check_log(cs,
                      "ERROR l2_offset=%" PRIx64
                      ": Table is not cluster aligned; L1 entry corrupted\n",
                      l2_off);
            res->corruptions++;
        }
        ret = check_l2(cs, l2_off, active, fix);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* Counts the refcount blocks; flags the ones that cannot be trusted. */
static int check_refblocks(CheckState *cs, BdrvCheckMode fix)
{
    BDRVQcow2State *s = cs->s;
    BdrvCheckResult *res = cs->res;

    for (uint64_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t e = s->refcount_table[i];
        uint64_t off = e & REFT_OFFSET_MASK;
        uint64_t c = off >> s->cluster_bits;
        int ret;

        if (e & REFT_RESERVED_MASK) {
            check_log(cs,
                      "ERROR refcount table entry %" PRIu64
                      " has reserved bits set\n",
                      i);
            res->corruptions++;
            cs->rebuild = true;
            continue;
        }
        if (off & (s->cluster_size - 1)) {
            check_log(cs,
                      "ERROR refcount block %" PRIu64
                      " is not cluster aligned; refcount table entry "
                      "corrupted\n",
                      i);
            res->corruptions++;
            cs->rebuild = true;
            continue;
        }
        if (c >= cs->nb) {
            bool repair = fix & BDRV_FIX_ERRORS;
            res->corruptions++;
            check_log(cs, "%s refcount block %" PRIu64 " is outside image\n",
                      repair ? "Repairing" : "ERROR", i);
            if (!repair) {
                continue;
            }
            /*
             * Grow the file so that the block is inside it (QEMU's
             * repair), unless that would take an unreasonable amount of
             * memory here: the rebuild then takes care of it.
             */
            ret = -EFBIG;
            if (c + 1 <= MAX(2 * cs->nb, CHECK_GROW_MAX)) {
                Error *err = NULL;
                ret = bdrv_file.truncate(cs->bs->file, off + s->cluster_size,
                                         false, PREALLOC_MODE_OFF, &err);
                error_free(err);
            }
            if (ret == 0) {
                int64_t len = bdrv_getlength(cs->bs->file);
                cs->flen = len;
                ret =
                    len < 0
                        ? (int)len
                        : check_refs_resize(cs, qcow2_size_to_clusters(s, len));
            }
            if (ret == 0 && c >= cs->nb) {
                ret = -EINVAL;
            }
            if (ret < 0) {
                cs->rebuild = true;
                check_log(cs, "ERROR could not resize image: %s\n",
                          strerror(-ret));
                continue;
            }
            res->corruptions--;
            res->corruptions_fixed++;
            ret = check_inc(cs, off, s->cluster_size);
            if (ret < 0) {
                return ret;
            }
            continue;
        }
        if (off) {
            ret = check_inc(cs, off, s->cluster_size);
            if (ret < 0) {
                return ret;
            }
            if (check_ref(cs, c) != 1) {
                check_log(cs,
                          "ERROR refcount block %" PRIu64 " refcount=%" PRIu64
                          "\n",
                          i, check_ref(cs, c));
                res->corruptions++;
                cs->rebuild = true;
            }
        }
    }
    return 0;
}

/* Phase 1: counts every reference the image's metadata makes. */
static int check_count(CheckState *cs, BdrvCheckMode fix)
{
    BDRVQcow2State *s = cs->s;
    BdrvCheckResult *res = cs->res;

    cs->flen = bdrv_getlength(cs->bs->file);
    int ret = check_inc(cs, 0, s->cluster_size); /* header */
    if (ret == 0) {
        ret = check_l1(cs, s->l1_table_offset, s->l1_size, true, fix);
    }
    for (uint32_t i = 0; ret == 0 && i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        if (sn->l1_table_offset & (s->cluster_size - 1)) {
            check_log(cs,
                      "ERROR snapshot %s (%s) l1_offset=%#" PRIx64
                      ": L1 table is not cluster aligned; snapshot table "
                      "entry corrupted\n",
                      sn->id_str, sn->name, sn->l1_table_offset);
            res->corruptions++;
            continue;
        }
        if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
            check_log(cs,
                      "ERROR snapshot %s (%s) l1_size=%#" PRIx32
                      ": L1 table is too large; snapshot table entry "
                      "corrupted\n",
                      sn->id_str, sn->name, sn->l1_size);
            res->corruptions++;
            continue;
        }
        ret = check_l1(cs, sn->l1_table_offset, sn->l1_size, false, fix);
    }
    if (ret == 0) {
        ret = check_inc(cs, s->snapshots_offset, s->snapshots_size);
    }
    if (ret == 0) {
        ret =
            check_inc(cs, s->refcount_table_offset, s->refcount_table_size * 8);
    }
    if (ret < 0) {
        return ret;
    }
    int bm_errors = qcow2_bitmap_count_refs(cs->bs, check_inc_cb, cs);
    if (bm_errors) {
        check_log(cs, "ERROR: %d invalid entries in the bitmaps extension\n",
                  bm_errors);
        res->corruptions += bm_errors;
    }
    return check_refblocks(cs, fix);
}

/*
 * The stored refcount of cluster c: 0 where no valid block holds it.
 * flen: the file's length (taken once by the caller).
 */
static int check_stored_refcount(CheckState *cs, uint64_t c, uint64_t *rc,
                                 int64_t flen)
{
    BDRVQcow2State *s = cs->s;
    uint64_t ri = c >> s->refcount_block_bits;
    uint64_t rb = ri < s->refcount_table_size
                      ? s->refcount_table[ri] & REFT_OFFSET_MASK
                      : 0;

    *rc = 0;
    if (!rb || (rb & (s->cluster_size - 1)) ||
        (flen >= 0 && rb >= (uint64_t)flen)) {
        return 0; /* reported by check_refblocks; reads as zeros */
    }
    return qcow2_get_refcount(cs->bs, c, rc);
}

/*
 * Phase 2 (fix 0) and the repair run of phase 3: stored against computed
 * refcounts for every cluster; *highest the last cluster in use.
 */
static void check_compare(CheckState *cs, BdrvCheckMode fix, uint64_t *highest)
{
    BdrvCheckResult *res = cs->res;
    int64_t flen = bdrv_getlength(cs->bs->file);

    for (uint64_t c = 0; c < cs->nb; c++) {
        uint64_t have, want = cs->refs[c];
        int ret = check_stored_refcount(cs, c, &have, flen);
        if (ret < 0) {
            check_log(cs, "Can't get refcount for cluster %" PRIu64 ": %s\n", c,
                      strerror(-ret));
            res->check_errors++;
            continue;
        }
        if (have || want) {
            *highest = c;
        }
        if (have == want) {
            continue;
        }
        int *fixed = NULL;
        if (have == 0) {
            cs->rebuild = true;
        } else if (have > want && (fix & BDRV_FIX_LEAKS)) {
            fixed = &res->leaks_fixed;
        } else if (have < want && (fix & BDRV_FIX_ERRORS)) {
            fixed = &res->corruptions_fixed;
        }
        check_log(cs,
                  "%s cluster %" PRIu64 " refcount=%" PRIu64
                  " reference=%" PRIu64 "\n",
                  fixed         ? "Repairing"
                  : have < want ? "ERROR"
                                : "Leaked",
                  c, have, want);
        if (fixed && qcow2_update_refcount(
                         cs->bs, c, (int64_t)want - (int64_t)have) == 0) {
            (*fixed)++;
            if (!want) {
                /* Freed: give the space back to the host, as QEMU. */
                bdrv_discard(cs->bs->file, c << cs->s->cluster_bits,
                             cs->s->cluster_size);
            }
            continue;
        }
        if (have < want) {
            res->corruptions++;
        } else {
            res->leaks++;
        }
    }
}

/*
 * First fit of n clusters that the computed counts leave free, from
 * *hint on (the array grows past the end when needed); the clusters get
 * a count of 1.  *hint becomes the first free cluster seen.  Returns the
 * first cluster of the run or -errno.
 */
static int64_t check_alloc(CheckState *cs, uint64_t n, uint64_t *hint)
{
    uint64_t c = *hint, run = 0;
    bool first_gap = true;

    for (; c < cs->nb && run < n; c++) {
        if (!cs->refs[c]) {
            if (first_gap) {
                *hint = c;
                first_gap = false;
            }
            run++;
        } else {
            run = 0;
        }
    }
    uint64_t start = c - run;
    int ret = check_refs_resize(cs, start + n);
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = 0; i < n; i++) {
        cs->refs[start + i] = 1;
    }
    return (int64_t)start;
}

/*
 * Writes a refcount block (from the computed counts) for every range of
 * clusters in [first, end) that holds a referenced cluster, allocating
 * the blocks that *table does not have yet.  Returns 1 when *table had to
 * grow, 0, or -errno.
 */
static int check_write_refblocks(CheckState *cs, uint64_t first, uint64_t end,
                                 uint64_t **table, uint64_t *entries)
{
    BDRVQcow2State *s = cs->s;
    uint64_t per_block = 1ULL << s->refcount_block_bits;
    uint64_t hint = 0;
    int grown = 0;
    g_autofree uint8_t *blk = g_malloc(s->cluster_size);

    for (uint64_t c = first; c < end; c++) {
        if (!check_ref(cs, c)) {
            continue;
        }
        uint64_t ri = c >> s->refcount_block_bits;
        uint64_t rstart = ri * per_block;
        uint64_t off;
        if (ri < *entries && (*table)[ri]) {
            off = (*table)[ri];
        } else {
            /* Never inside a range whose block is already written. */
            hint = MAX(hint, rstart);
            int64_t b = check_alloc(cs, 1, &hint);
            if (b < 0) {
                return (int)b;
            }
            if ((uint64_t)b >= end) {
                end = b + 1; /* its own count must be written too */
            }
            if (ri >= *entries) {
                uint64_t per_cluster = s->cluster_size / 8;
                uint64_t n = (ri + per_cluster) / per_cluster * per_cluster;
                if (n * 8 > QCOW2_MAX_REFTABLE_BYTES) {
                    return -EFBIG;
                }
                *table = g_renew(uint64_t, *table, n);
                memset(*table + *entries, 0, (n - *entries) * 8);
                *entries = n;
                grown = 1;
            }
            off = (uint64_t)b << s->cluster_bits;
            (*table)[ri] = off;
        }
        memset(blk, 0, s->cluster_size);
        for (uint64_t i = 0; i < per_block; i++) {
            uint64_t v = check_ref(cs, rstart + i);
            if (v) {
                qcow2_refblock_set(s, blk, i, MIN(v, s->refcount_max));
            }
        }
        int ret = bdrv_pwrite(cs->bs->file, off, s->cluster_size, blk, 0);
        if (ret < 0) {
            return ret;
        }
        c = rstart + per_block - 1; /* this range is done */
    }
    return grown;
}

/*
 * Phase 3 with -r all: a new refcount structure from the computed counts.
 * The old table and blocks are not freed here: counted again, they show
 * up as leaks that the caller frees.
 */
static int check_rebuild(CheckState *cs)
{
    BDRVQcow2State *s = cs->s;
    g_autofree uint64_t *table = NULL;
    uint64_t entries = 0, hint = 0, rt_clusters = 0;
    int64_t rt_start = -1;

    qcow2_cache_drop_all(s->refblock_cache);
    int grown = check_write_refblocks(cs, 0, cs->nb, &table, &entries);
    while (grown >= 0) {
        rt_clusters = qcow2_size_to_clusters(s, entries * 8);
        rt_start = check_alloc(cs, rt_clusters, &hint);
        if (rt_start < 0) {
            return (int)rt_start;
        }
        /* Its clusters need counts in the blocks too (may grow it). */
        grown = check_write_refblocks(cs, rt_start, rt_start + rt_clusters,
                                      &table, &entries);
        if (grown == 0) {
            break;
        }
    }
    if (grown < 0) {
        return grown;
    }
    g_autofree uint8_t *be = g_malloc(entries * 8);
    for (uint64_t i = 0; i < entries; i++) {
        be64_store(be + i * 8, table[i]);
    }
    uint64_t rt_off = (uint64_t)rt_start << s->cluster_bits;
    int ret = bdrv_pwrite(cs->bs->file, rt_off, entries * 8, be, 0);
    if (ret < 0) {
        return ret;
    }
    uint8_t hdr[12];
    be64_store(hdr, rt_off);
    be32_store(hdr + 8, (uint32_t)rt_clusters);
    ret = bdrv_pwrite(cs->bs->file, 48, 12, hdr, 0);
    if (ret == 0) {
        ret = bdrv_flush(cs->bs->file);
    }
    if (ret < 0) {
        return ret;
    }
    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&table);
    s->refcount_table_size = entries;
    s->refcount_table_offset = rt_off;
    s->refcount_table_clusters = (uint32_t)rt_clusters;
    s->free_cluster_index = 1;
    s->alloc_end = MAX(s->alloc_end, cs->nb);
    return 0;
}

/* Phase 4: COPIED flags of the active L1 and L2 tables. */
static int check_oflag_copied(CheckState *cs, BdrvCheckMode fix)
{
    BlockDriverState *bs = cs->bs;
    BDRVQcow2State *s = cs->s;
    BdrvCheckResult *res = cs->res;
    bool repair = (fix & BDRV_FIX_ERRORS) ||
                  ((fix & BDRV_FIX_LEAKS) && !res->check_errors &&
                   !res->corruptions && !res->leaks);
    g_autofree uint8_t *l2 = g_malloc(s->cluster_size);
    int64_t flen = bdrv_getlength(bs->file);

    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l1e = s->l1_table[i];
        uint64_t l2_off = l1e & L1E_OFFSET_MASK;
        uint64_t rc;
        if (!l2_off) {
            continue;
        }
        if (check_stored_refcount(cs, l2_off >> s->cluster_bits, &rc, flen) <
            0) {
            continue; /* as QEMU: no message, no count */
        }
        if ((rc == 1) != !!(l1e & QCOW_OFLAG_COPIED)) {
            res->corruptions++;
            check_log(cs,
                      "%s OFLAG_COPIED L2 cluster: l1_index=%u "
                      "l1_entry=%" PRIx64 " refcount=%" PRIu64 "\n",
                      repair ? "Repairing" : "ERROR", i, l1e, rc);
            if (repair) {
                s->l1_table[i] = rc == 1 ? l1e | QCOW_OFLAG_COPIED
                                         : l1e & ~QCOW_OFLAG_COPIED;
                if (qcow2_write_l1_entry(bs, i) < 0) {
                    res->check_errors++;
                    return -EIO;
                }
                res->corruptions--;
                res->corruptions_fixed++;
            }
        }
        int ret = bdrv_pread(bs->file, l2_off, s->cluster_size, l2);
        if (ret < 0) {
            check_log(cs, "ERROR: Could not read L2 table: %s\n",
                      strerror(-ret));
            res->check_errors++;
            return ret;
        }
        int dirty = 0;
        for (uint64_t j = 0; j < s->l2_size; j++) {
            uint8_t *p = l2 + j * s->l2_entry_size;
            uint64_t e = be64_load(p);
            Qcow2ClusterType t = qcow2_entry_type(s, e, 0);
            if (t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_ZERO_ALLOC) {
                continue;
            }
            uint64_t host = e & L2E_OFFSET_MASK;
            if (check_stored_refcount(cs, host >> s->cluster_bits, &rc, flen) <
                0) {
                continue;
            }
            if ((rc == 1) != !!(e & QCOW_OFLAG_COPIED)) {
                res->corruptions++;
                check_log(cs,
                          "%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64
                          " refcount=%" PRIu64 "\n",
                          repair ? "Repairing" : "ERROR", e, rc);
                if (repair) {
                    be64_store(p, rc == 1 ? e | QCOW_OFLAG_COPIED
                                          : e & ~QCOW_OFLAG_COPIED);
                    dirty++;
                }
            }
        }
        if (dirty) {
            if (l2_off & (s->cluster_size - 1)) {
                check_log(cs, "ERROR: Could not write L2 table; metadata "
                              "overlap check failed: Input/output error\n");
                res->check_errors++;
                return -EIO;
            }
            qcow2_cache_discard(s->l2_cache, l2_off);
            ret = bdrv_pwrite(bs->file, l2_off, s->cluster_size, l2, 0);
            if (ret < 0) {
                check_log(cs, "ERROR: Could not write L2 table: %s\n",
                          strerror(-ret));
                res->check_errors++;
                return ret;
            }
            res->corruptions -= dirty;
            res->corruptions_fixed += dirty;
        }
    }
    return 0;
}

/* Resets the counters of *res, keeping its log. */
static void check_res_reset(BdrvCheckResult *res, const BdrvCheckResult *from)
{
    GString *log = res->log;
    *res = *from;
    res->log = log;
}

int qcow2_check_refcounts(BlockDriverState *bs, BdrvCheckResult *res,
                          BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    CheckState cs = {.bs = bs, .s = s, .res = res};
    uint64_t highest = 0;
    int ret = 0;

    if (!s->read_only && !s->corrupt) {
        /* The walk reads tables from the file: write back cached ones. */
        ret = qcow2_flush_caches(bs);
        if (ret < 0) {
            res->check_errors++;
            return ret;
        }
    }
    int64_t file_len = qcow2_file_end(bs);
    if (file_len < 0) {
        res->check_errors++;
        return (int)file_len;
    }
    uint64_t nb = qcow2_size_to_clusters(s, file_len);
    if (nb > CHECK_MAX_CLUSTERS) {
        check_log(&cs,
                  "ERROR: image file too large to check (%" PRIu64
                  " clusters)\n",
                  nb);
        res->check_errors++;
        return -EFBIG;
    }
    ret = check_refs_resize(&cs, nb);
    if (ret < 0) {
        res->check_errors++;
        return ret;
    }
    res->total_clusters = qcow2_size_to_clusters(s, s->size);

    ret = check_count(&cs, fix);
    if (ret < 0) {
        goto out;
    }
    BdrvCheckResult pre_compare = *res;
    check_compare(&cs, BDRV_FIX_NONE, &highest);

    if (cs.rebuild && (fix & BDRV_FIX_ERRORS)) {
        BdrvCheckResult old = *res;
        int fresh_leaks = 0;
        check_log(&cs, "Rebuilding refcount structure\n");
        ret = check_rebuild(&cs);
        if (ret < 0) {
            check_log(&cs, "ERROR rebuilding refcount structure: %s\n",
                      strerror(-ret));
            res->check_errors++;
            goto out;
        }
        res->corruptions = 0;
        res->leaks = 0;
        /* Count again against the new structure (statistics unchanged). */
        BdrvCheckResult stats = *res;
        cs.rebuild = false;
        memset(cs.refs, 0, cs.nb * sizeof(*cs.refs));
        ret = check_count(&cs, BDRV_FIX_NONE);
        res->allocated_clusters = stats.allocated_clusters;
        res->fragmented_clusters = stats.fragmented_clusters;
        res->compressed_clusters = stats.compressed_clusters;
        if (ret < 0) {
            goto out;
        }
        if (fix & BDRV_FIX_LEAKS) {
            /* The old structure is leaked now: free it. */
            BdrvCheckResult saved = *res;
            BdrvCheckResult zero = {0};
            check_res_reset(res, &zero);
            check_compare(&cs, BDRV_FIX_LEAKS, &highest);
            if (cs.rebuild) {
                check_log(&cs,
                          "ERROR rebuilt refcount structure is still broken\n");
            }
            fresh_leaks = res->leaks;
            check_res_reset(res, &saved);
        }
        if (res->corruptions < old.corruptions) {
            res->corruptions_fixed += old.corruptions - res->corruptions;
        }
        if (res->leaks < old.leaks) {
            res->leaks_fixed += old.leaks - res->leaks;
        }
        res->leaks += fresh_leaks;
    } else if (fix) {
        if (cs.rebuild) {
            check_log(&cs, "ERROR need to rebuild refcount structures\n");
            res->check_errors++;
            ret = -EIO;
            goto out;
        }
        if (res->leaks || res->corruptions) {
            check_res_reset(res, &pre_compare);
            check_compare(&cs, fix, &highest);
        }
    }
    if (fix) {
        ret = qcow2_flush_caches(bs);
        if (ret < 0) {
            res->check_errors++;
            goto out;
        }
    }
    ret = check_oflag_copied(&cs, fix);
    if (ret == 0 && fix) {
        ret = qcow2_flush_caches(bs);
    }
    res->image_end_offset = (int64_t)((highest + 1) << s->cluster_bits);
out:
    g_free(cs.refs);
    return ret;
}
