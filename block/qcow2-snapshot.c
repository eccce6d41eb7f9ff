/*
 * qcow2: internal snapshots.  A snapshot is a copy of the active L1 table
 * plus an entry in the snapshot table; taking one adds a reference to
 * every L2 table and data cluster the L1 reaches, so later writes copy
 * them.  Entries keep unknown extra data and VM-state sizes untouched.
 */
#include <errno.h>
#include <string.h>
#include <inttypes.h>
#include "block/qcow2.h"

#define SNAPSHOT_EXTRA_SIZE 24
#define MAX_SNAPSHOT_TABLE  (64ULL * 1024 * 1024)

void qcow2_free_snapshots(BDRVQcow2State *s)
{
    for (uint32_t i = 0; s->snapshots && i < s->nb_snapshots; i++) {
        g_free(s->snapshots[i].id_str);
        g_free(s->snapshots[i].name);
        g_free(s->snapshots[i].extra_data);
    }
    g_free(s->snapshots);
    s->snapshots = NULL;
}

int qcow2_read_snapshots(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = s->snapshots_offset;
    int64_t file_len = qcow2_file_end(bs);
    int ret;

    s->snapshots_size = 0;
    if (!s->nb_snapshots) {
        return 0;
    }
    s->snapshots = g_new0(Qcow2Snapshot, s->nb_snapshots);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint8_t h[40];
        off = (off + 7) & ~7ULL;
        if (off - s->snapshots_offset > MAX_SNAPSHOT_TABLE ||
            off + 40 > (uint64_t)file_len) {
            error_setg(errp, "Snapshot table is too big or beyond the end "
                             "of the image");
            goto fail;
        }
        ret = bdrv_pread(bs->file, off, 40, h);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to read snapshot table");
            goto fail;
        }
        off += 40;
        sn->l1_table_offset = be64_load(h);
        sn->l1_size = be32_load(h + 8);
        uint16_t id_len = be16_load(h + 12);
        uint16_t name_len = be16_load(h + 14);
        sn->date_sec = be32_load(h + 16);
        sn->date_nsec = be32_load(h + 20);
        sn->vm_clock_nsec = be64_load(h + 24);
        sn->vm_state_size = be32_load(h + 32);
        sn->extra_data_size = be32_load(h + 36);
        sn->icount = UINT64_MAX;
        sn->disk_size = s->size;
        if (sn->extra_data_size > 1024) {
            error_setg(errp,
                       "Too much extra metadata in snapshot table "
                       "entry %u",
                       i);
            goto fail;
        }
        uint8_t extra[1024];
        ret = bdrv_pread(bs->file, off, sn->extra_data_size, extra);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to read snapshot table");
            goto fail;
        }
        off += sn->extra_data_size;
        if (sn->extra_data_size >= 8) {
            sn->vm_state_size = be64_load(extra);
        }
        if (sn->extra_data_size >= 16) {
            sn->disk_size = be64_load(extra + 8);
        }
        if (sn->extra_data_size >= 24) {
            sn->icount = be64_load(extra + 16);
        }
        if (sn->extra_data_size > SNAPSHOT_EXTRA_SIZE) {
            sn->extra_data =
                g_memdup2(extra + SNAPSHOT_EXTRA_SIZE,
                          sn->extra_data_size - SNAPSHOT_EXTRA_SIZE);
        }
        sn->id_str = g_malloc0(id_len + 1);
        sn->name = g_malloc0(name_len + 1);
        ret = bdrv_pread(bs->file, off, id_len, sn->id_str);
        if (ret == 0) {
            ret = bdrv_pread(bs->file, off + id_len, name_len, sn->name);
        }
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to read snapshot table");
            goto fail;
        }
        off += id_len + name_len;
        if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
            error_setg(errp, "Snapshot L1 table too large");
            goto fail;
        }
        if (sn->l1_table_offset & (s->cluster_size - 1)) {
            error_setg(errp, "Snapshot L1 table offset invalid");
            goto fail;
        }
    }
    s->snapshots_size = off - s->snapshots_offset;
    return 0;
fail:
    qcow2_free_snapshots(s);
    return -EINVAL;
}

/* Writes the snapshot table to new clusters and points the header at it. */
static int qcow2_write_snapshots(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    GByteArray *t = g_byte_array_new();
    int ret = 0;

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint32_t extra_len = SNAPSHOT_EXTRA_SIZE +
                             (sn->extra_data_size > SNAPSHOT_EXTRA_SIZE
                                  ? sn->extra_data_size - SNAPSHOT_EXTRA_SIZE
                                  : 0);
        uint8_t h[40 + SNAPSHOT_EXTRA_SIZE];
        size_t id_len = strlen(sn->id_str), name_len = strlen(sn->name);
        be64_store(h, sn->l1_table_offset);
        be32_store(h + 8, sn->l1_size);
        be16_store(h + 12, id_len);
        be16_store(h + 14, name_len);
        be32_store(h + 16, sn->date_sec);
        be32_store(h + 20, sn->date_nsec);
        be64_store(h + 24, sn->vm_clock_nsec);
        be32_store(h + 32, sn->vm_state_size > UINT32_MAX
                               ? 0
                               : (uint32_t)sn->vm_state_size);
        be32_store(h + 36, extra_len);
        be64_store(h + 40, sn->vm_state_size);
        be64_store(h + 48, sn->disk_size);
        be64_store(h + 56, sn->icount);
        g_byte_array_append(t, h, sizeof(h));
        if (extra_len > SNAPSHOT_EXTRA_SIZE) {
            g_byte_array_append(t, sn->extra_data,
                                extra_len - SNAPSHOT_EXTRA_SIZE);
        }
        g_byte_array_append(t, (uint8_t *)sn->id_str, id_len);
        g_byte_array_append(t, (uint8_t *)sn->name, name_len);
        static const uint8_t pad[8];
        g_byte_array_append(t, pad, (8 - (t->len & 7)) & 7);
    }
    uint64_t old_off = s->snapshots_offset, old_size = s->snapshots_size;
    uint64_t new_off = 0;
    if (t->len) {
        int64_t off =
            qcow2_alloc_clusters(bs, qcow2_size_to_clusters(s, t->len));
        if (off < 0) {
            ret = (int)off;
            goto out;
        }
        ret = qcow2_flush_caches(bs);
        if (ret == 0) {
            ret = bdrv_pwrite(bs->file, off, t->len, t->data, 0);
        }
        if (ret < 0) {
            goto out;
        }
        new_off = off;
    }
    uint8_t hdr[12];
    be32_store(hdr, s->nb_snapshots);
    be64_store(hdr + 4, new_off);
    ret = bdrv_pwrite(bs->file, 60, 12, hdr, 0);
    if (ret < 0) {
        goto out;
    }
    s->snapshots_offset = new_off;
    s->snapshots_size = t->len;
    if (old_size) {
        ret = qcow2_free_clusters(bs, old_off,
                                  qcow2_size_to_clusters(s, old_size));
    }
out:
    g_byte_array_free(t, true);
    return ret;
}

/*
 * Adds delta to the refcount of a cluster that is referenced already:
 * a refcount of 0 there means the metadata is corrupt (never allocate
 * refcount blocks for it).
 */
static int qcow2_walk_ref(BlockDriverState *bs, uint64_t ci, int delta)
{
    uint64_t rc;
    int ret = qcow2_get_refcount(bs, ci, &rc);
    if (ret < 0) {
        return ret;
    }
    if (rc == 0) {
        BDRVQcow2State *s = bs->opaque;
        qcow2_signal_corruption(
            bs, "Referenced cluster %#" PRIx64 " has refcount 0",
            ci << s->cluster_bits);
        return -EIO;
    }
    return qcow2_update_refcount(bs, ci, delta);
}

/* Adds delta to every L2 table and data cluster reachable from l1. */
static int qcow2_walk_l1(BlockDriverState *bs, const uint64_t *l1,
                         uint32_t l1_size, int delta)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (delta < 0) {
        ret = qcow2_cache_flush(bs, s->l2_cache);
        if (ret < 0) {
            return ret;
        }
    }
    g_autofree uint8_t *l2 = g_malloc(s->cluster_size);
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_off = l1[i] & L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        if (l2_off & (s->cluster_size - 1)) {
            qcow2_signal_corruption(
                bs, "L2 table offset %#" PRIx64 " unaligned", l2_off);
            return -EIO;
        }
        uint8_t *cached;
        ret = qcow2_cache_get(bs, s->l2_cache, l2_off, true, &cached);
        if (ret < 0) {
            return ret;
        }
        memcpy(l2, cached, s->cluster_size);
        for (uint64_t j = 0; j < s->l2_size; j++) {
            uint64_t e = be64_load(l2 + j * s->l2_entry_size);
            Qcow2ClusterType t = qcow2_entry_type(s, e, 0);
            ret = 0;
            if (t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC) {
                ret = qcow2_walk_ref(
                    bs, (e & L2E_OFFSET_MASK) >> s->cluster_bits, delta);
            } else if (t == QCOW2_CLUSTER_COMPRESSED) {
                uint64_t o = e & s->cluster_offset_mask;
                uint64_t nsect = ((e >> s->csize_shift) & s->csize_mask) + 1;
                uint64_t end = (o & ~511ULL) + nsect * 512;
                for (uint64_t c = o >> s->cluster_bits;
                     c <= (end - 1) >> s->cluster_bits && ret == 0; c++) {
                    ret = qcow2_walk_ref(bs, c, delta);
                }
            }
            if (ret < 0) {
                return ret;
            }
        }
        ret = qcow2_walk_ref(bs, l2_off >> s->cluster_bits, delta);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* Sets COPIED exactly where the refcount is 1, in the active tables. */
int qcow2_fix_copied(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2_off = s->l1_table[i] & L1E_OFFSET_MASK;
        uint64_t rc;
        if (!l2_off) {
            continue;
        }
        int ret = qcow2_get_refcount(bs, l2_off >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
        uint64_t want = rc == 1 ? l2_off | QCOW_OFLAG_COPIED : l2_off;
        if (s->l1_table[i] != want) {
            s->l1_table[i] = want;
            ret = qcow2_write_l1_entry(bs, i);
            if (ret < 0) {
                return ret;
            }
        }
        uint8_t *l2;
        ret = qcow2_cache_get(bs, s->l2_cache, l2_off, true, &l2);
        if (ret < 0) {
            return ret;
        }
        bool dirty = false;
        for (uint64_t j = 0; j < s->l2_size; j++) {
            uint8_t *p = l2 + j * s->l2_entry_size;
            uint64_t e = be64_load(p);
            Qcow2ClusterType t = qcow2_entry_type(s, e, 0);
            if (t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_ZERO_ALLOC) {
                continue;
            }
            uint64_t drc;
            ret = qcow2_get_refcount(
                bs, (e & L2E_OFFSET_MASK) >> s->cluster_bits, &drc);
            if (ret < 0) {
                return ret;
            }
            uint64_t ne =
                drc == 1 ? e | QCOW_OFLAG_COPIED : e & ~QCOW_OFLAG_COPIED;
            if (ne != e) {
                be64_store(p, ne);
                dirty = true;
            }
        }
        if (dirty) {
            qcow2_cache_mark_dirty(s->l2_cache, l2_off);
        }
    }
    return qcow2_flush_caches(bs);
}

static int qcow2_find_snapshot(BDRVQcow2State *s, const char *name)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].id_str, name)) {
            return (int)i;
        }
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].name, name)) {
            return (int)i;
        }
    }
    return -1;
}

int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **list)
{
    BDRVQcow2State *s = bs->opaque;
    QEMUSnapshotInfo *l = g_new0(QEMUSnapshotInfo, MAX(s->nb_snapshots, 1));
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        g_strlcpy(l[i].id_str, sn->id_str, sizeof(l[i].id_str));
        g_strlcpy(l[i].name, sn->name, sizeof(l[i].name));
        l[i].vm_state_size = sn->vm_state_size;
        l[i].date_sec = sn->date_sec;
        l[i].date_nsec = sn->date_nsec;
        l[i].vm_clock_nsec = sn->vm_clock_nsec;
        l[i].icount = sn->icount;
        l[i].disk_size = sn->disk_size;
    }
    *list = l;
    return (int)s->nb_snapshots;
}

static int qcow2_snapshot_create_locked(BlockDriverState *bs, const char *name,
                                        Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (s->corrupt) {
        error_setg(errp, "Image is corrupt");
        return -EIO;
    }
    if (qcow2_find_snapshot(s, name) >= 0 &&
        !strcmp(s->snapshots[qcow2_find_snapshot(s, name)].name, name)) {
        error_setg(errp, "Snapshot with name '%s' already exists", name);
        return -EEXIST;
    }
    if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
        error_setg(errp, "Too many snapshots");
        return -EFBIG;
    }
    ret = qcow2_flush_caches(bs);
    if (ret < 0) {
        goto fail;
    }
    /* 1. References first: a crash here leaks, nothing more. */
    ret = qcow2_walk_l1(bs, s->l1_table, s->l1_size, 1);
    if (ret < 0) {
        goto fail;
    }
    uint64_t l1_bytes = (uint64_t)s->l1_size * 8;
    int64_t l1_off = 0;
    if (s->l1_size) {
        l1_off = qcow2_alloc_clusters(bs, qcow2_size_to_clusters(s, l1_bytes));
        if (l1_off < 0) {
            ret = (int)l1_off;
            goto fail;
        }
        g_autofree uint8_t *be = g_malloc0(l1_bytes);
        for (uint32_t i = 0; i < s->l1_size; i++) {
            be64_store(be + i * 8, s->l1_table[i] & ~QCOW_OFLAG_COPIED);
        }
        ret = qcow2_flush_caches(bs);
        if (ret == 0) {
            ret = bdrv_pwrite(bs->file, l1_off, l1_bytes, be, 0);
        }
        if (ret < 0) {
            goto fail;
        }
    }
    /* 2. The snapshot table entry. */
    uint64_t max_id = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        uint64_t id = g_ascii_strtoull(s->snapshots[i].id_str, NULL, 10);
        max_id = MAX(max_id, id);
    }
    gint64 now = g_get_real_time();
    s->snapshots = g_renew(Qcow2Snapshot, s->snapshots, s->nb_snapshots + 1);
    s->snapshots[s->nb_snapshots] = (Qcow2Snapshot){
        .l1_table_offset = l1_off,
        .l1_size = s->l1_size,
        .id_str = g_strdup_printf("%" PRIu64, max_id + 1),
        .name = g_strdup(name),
        .disk_size = s->size,
        .date_sec = now / 1000000,
        .date_nsec = (now % 1000000) * 1000,
        .icount = 0, /* QEMU records 0 outside record/replay */
        .extra_data_size = SNAPSHOT_EXTRA_SIZE,
    };
    s->nb_snapshots++;
    ret = qcow2_write_snapshots(bs);
    if (ret < 0) {
        goto fail;
    }
    /* 3. The active tables no longer own shared clusters. */
    ret = qcow2_fix_copied(bs);
    if (ret < 0) {
        goto fail;
    }
    return 0;
fail:
    error_setg_errno(errp, -ret, "Could not create snapshot '%s'", name);
    return ret;
}

int qcow2_snapshot_create(BlockDriverState *bs, const char *name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    pthread_mutex_lock(&s->lock);
    int ret = qcow2_snapshot_create_locked(bs, name, errp);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_read_l1(BlockDriverState *bs, uint64_t off, uint32_t size,
                         uint64_t **out)
{
    g_autofree uint8_t *be = g_malloc0(MAX(size, 1) * 8ULL);
    int ret = bdrv_pread(bs->file, off, (uint64_t)size * 8, be);
    if (ret < 0) {
        return ret;
    }
    uint64_t *l1 = g_new0(uint64_t, MAX(size, 1));
    for (uint32_t i = 0; i < size; i++) {
        l1[i] = be64_load(be + i * 8);
    }
    *out = l1;
    return 0;
}

static int qcow2_snapshot_goto_locked(BlockDriverState *bs, const char *name,
                                      Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int idx = qcow2_find_snapshot(s, name);
    int ret;

    if (idx < 0) {
        error_setg(errp, "Could not apply snapshot '%s': No such snapshot",
                   name);
        return -ENOENT;
    }
    if (s->corrupt) {
        error_setg(errp, "Image is corrupt");
        return -EIO;
    }
    Qcow2Snapshot *sn = &s->snapshots[idx];
    g_autofree uint64_t *snl1 = NULL;
    g_autofree uint64_t *old = NULL;
    g_autofree uint8_t *be = NULL;
    ret = qcow2_read_l1(bs, sn->l1_table_offset, sn->l1_size, &snl1);
    if (ret < 0) {
        goto fail;
    }
    ret = qcow2_flush_caches(bs);
    if (ret == 0 && sn->l1_size > s->l1_size) {
        ret = qcow2_grow_l1_table(bs, sn->l1_size, true);
    }
    if (ret < 0) {
        goto fail;
    }
    ret = qcow2_walk_l1(bs, snl1, sn->l1_size, 1);
    if (ret < 0) {
        goto fail;
    }
    ret = qcow2_flush_caches(bs);
    if (ret < 0) {
        goto fail;
    }
    old = g_memdup2(s->l1_table, s->l1_size * 8ULL);
    uint32_t old_size = s->l1_size;
    be = g_malloc0(s->l1_size * 8ULL);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1_table[i] = i < sn->l1_size ? snl1[i] & ~QCOW_OFLAG_COPIED : 0;
        be64_store(be + i * 8, s->l1_table[i]);
    }
    ret = bdrv_pwrite(bs->file, s->l1_table_offset, s->l1_size * 8ULL, be, 0);
    if (ret < 0) {
        goto fail;
    }
    ret = qcow2_walk_l1(bs, old, old_size, -1);
    if (ret < 0) {
        goto fail;
    }
    if (sn->disk_size != s->size) {
        s->size = sn->disk_size;
        ret = qcow2_header_write_size(bs);
        if (ret < 0) {
            goto fail;
        }
    }
    ret = qcow2_fix_copied(bs);
    if (ret < 0) {
        goto fail;
    }
    s->cluster_cache_offset = -1;
    return 0;
fail:
    error_setg_errno(errp, -ret, "Could not apply snapshot '%s'", name);
    return ret;
}

int qcow2_snapshot_goto(BlockDriverState *bs, const char *name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    pthread_mutex_lock(&s->lock);
    uint64_t old_size = s->size;
    int ret = qcow2_snapshot_goto_locked(bs, name, errp);
    if (ret == 0 && s->size != old_size) {
        ret = qcow2_bitmaps_truncate(bs, s->size);
    }
    /* Every byte may have changed for whoever tracks writes. */
    qcow2_bitmaps_set_dirty(bs, 0, MAX(s->size, old_size));
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_snapshot_delete_locked(BlockDriverState *bs, const char *name,
                                        Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int idx = qcow2_find_snapshot(s, name);
    int ret;

    if (idx < 0) {
        error_setg(errp, "Could not delete snapshot '%s': snapshot not found",
                   name);
        return -ENOENT;
    }
    if (s->corrupt) {
        error_setg(errp, "Image is corrupt");
        return -EIO;
    }
    Qcow2Snapshot sn = s->snapshots[idx];
    g_autofree uint64_t *snl1 = NULL;
    ret = qcow2_read_l1(bs, sn.l1_table_offset, sn.l1_size, &snl1);
    if (ret < 0) {
        goto fail;
    }
    /* 1. Drop the entry, 2. then the references (a crash leaks only). */
    memmove(&s->snapshots[idx], &s->snapshots[idx + 1],
            (s->nb_snapshots - idx - 1) * sizeof(Qcow2Snapshot));
    s->nb_snapshots--;
    ret = qcow2_write_snapshots(bs);
    if (ret < 0) {
        goto fail;
    }
    ret = qcow2_walk_l1(bs, snl1, sn.l1_size, -1);
    if (ret == 0 && sn.l1_size) {
        ret = qcow2_free_clusters(
            bs, sn.l1_table_offset,
            qcow2_size_to_clusters(s, (uint64_t)sn.l1_size * 8));
    }
    if (ret == 0) {
        ret = qcow2_fix_copied(bs);
    }
    g_free(sn.id_str);
    g_free(sn.name);
    g_free(sn.extra_data);
    if (ret < 0) {
        goto fail;
    }
    return 0;
fail:
    error_setg_errno(errp, -ret, "Could not delete snapshot '%s'", name);
    return ret;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    pthread_mutex_lock(&s->lock);
    s->punch_freed = true; /* as QEMU: freed clusters leave the file */
    int ret = qcow2_snapshot_delete_locked(bs, name, errp);
    s->punch_freed = false;
    pthread_mutex_unlock(&s->lock);
    return ret;
}

/*
 * Read-only view of a snapshot (convert -l): the in-memory active L1 and
 * size are replaced by the snapshot's; nothing is written.
 */
int qcow2_snapshot_load_tmp(BlockDriverState *bs, const char *name,
                            Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    if (!s->read_only) {
        error_setg(errp, "Snapshots can only be loaded read-only");
        return -EINVAL;
    }
    pthread_mutex_lock(&s->lock);
    int idx = qcow2_find_snapshot(s, name);
    if (idx < 0) {
        pthread_mutex_unlock(&s->lock);
        error_setg(errp, "Failed to load snapshot: Can't find snapshot");
        return -ENOENT;
    }
    Qcow2Snapshot *sn = &s->snapshots[idx];
    uint64_t *l1 = NULL;
    int ret = qcow2_read_l1(bs, sn->l1_table_offset, sn->l1_size, &l1);
    if (ret == 0) {
        g_free(s->l1_table);
        s->l1_table = l1;
        s->l1_size = sn->l1_size;
        s->size = sn->disk_size;
        /* The snapshot's L1 may cover less than its disk size. */
        uint64_t span = 1ULL << (s->cluster_bits + s->l2_bits);
        if ((uint64_t)s->l1_size * span < s->size) {
            s->size = (uint64_t)s->l1_size * span;
        }
    } else {
        error_setg_errno(errp, -ret, "Failed to load snapshot");
    }
    pthread_mutex_unlock(&s->lock);
    return ret;
}
