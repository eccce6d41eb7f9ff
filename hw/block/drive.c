/*
 * Drives (-drive, -hda..-hdd, -cdrom): the table of DriveInfo, opening the
 * images on the block layer, the drive= property backend and `info block`
 * / query-block.  Option names, IDs and messages follow QEMU's -drive
 * (docs: "Block device options" in the QEMU manual).
 *
 * A drive belongs to an interface (if=ide, if=none, ...) and a slot:
 * index=N is bus N / units-per-bus, unit N % units-per-bus (2 for IDE);
 * without index or unit the first free slot is taken.  The board attaches
 * the drives of its interfaces; if=none drives go to -device ...,drive=ID.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/block/drive.h"
#include "monitor/monitor.h"
#include "util/cutils.h"

static GPtrArray *drives; /* DriveInfo *, in creation order */
static bool global_snapshot;
static unsigned node_counter = 100;

static const char *const if_names[IF_COUNT] = {
    [IF_NONE] = "none",     [IF_IDE] = "ide",       [IF_SCSI] = "scsi",
    [IF_FLOPPY] = "floppy", [IF_PFLASH] = "pflash", [IF_MTD] = "mtd",
    [IF_SD] = "sd",         [IF_VIRTIO] = "virtio", [IF_XEN] = "xen",
};

/* Units per bus, as QEMU: 0 means "no buses, unit is the index". */
static int if_max_devs(BlockInterfaceType type)
{
    switch (type) {
    case IF_IDE:
        return 2;
    case IF_SCSI:
        return 7;
    default:
        return 0;
    }
}

const char *drive_if_name(BlockInterfaceType type)
{
    return type >= 0 && type < IF_COUNT ? if_names[type] : "default";
}

/* Keys -drive accepts; the rest are refused as QEMU's drivers refuse them. */
static const char *const drive_keys[] = {
    "file",          "if",           "bus",          "unit",
    "index",         "media",        "id",           "format",
    "readonly",      "read-only",    "cache",        "snapshot",
    "aio",           "discard",      "werror",       "rerror",
    "detect-zeroes", "copy-on-read", "cache.direct", "cache.no-flush",
    "node-name",     "file.locking", "locking",      "auto-read-only",
    "serial",        NULL,
};

static bool key_known(const char *k)
{
    for (int i = 0; drive_keys[i]; i++) {
        if (!strcmp(k, drive_keys[i])) {
            return true;
        }
    }
    return false;
}

static bool parse_int_opt(Opts *o, const char *key, int *v, Error **errp)
{
    const char *s = opts_get(o, key);
    int64_t n;

    *v = -1;
    if (!s) {
        return true;
    }
    if (!parse_int64(s, &n) || n < 0 || n > INT32_MAX) {
        error_setg(errp, "Parameter '%s' expects a number" /* QEMU's wording */,
                   key);
        return false;
    }
    *v = n;
    return true;
}

static bool parse_bool_opt(Opts *o, const char *key, bool *v, Error **errp)
{
    const char *s = opts_get(o, key);

    if (!s) {
        return true;
    }
    if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true")) {
        *v = true;
    } else if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false")) {
        *v = false;
    } else {
        error_setg(errp, "Parameter '%s' expects 'on' or 'off'", key);
        return false;
    }
    return true;
}

/* cache= modes, as QEMU's bdrv_parse_cache_mode(). */
static bool parse_cache(const char *mode, DriveInfo *d, Error **errp)
{
    d->writeback = true;
    d->direct = d->no_flush = false;
    if (!strcmp(mode, "off") || !strcmp(mode, "none")) {
        d->direct = true;
    } else if (!strcmp(mode, "directsync")) {
        d->direct = true;
        d->writeback = false;
    } else if (!strcmp(mode, "writeback")) {
    } else if (!strcmp(mode, "unsafe")) {
        d->no_flush = true;
    } else if (!strcmp(mode, "writethrough")) {
        d->writeback = false;
    } else {
        error_setg(errp, "invalid cache option");
        return false;
    }
    return true;
}

static BlockInterfaceType parse_if(const char *s)
{
    for (int i = 0; i < IF_COUNT; i++) {
        if (!strcmp(s, if_names[i])) {
            return i;
        }
    }
    return IF_COUNT;
}

static void drive_free(DriveInfo *d)
{
    g_free(d->id);
    g_free(d->optstr);
    g_free(d->loc);
    g_free(d->file);
    g_free(d->format);
    g_free(d->node_name);
    g_free(d);
}

/* Fills bus/unit from index/bus/unit for an interface with a type. */
static bool drive_place(DriveInfo *d, int index, Error **errp)
{
    int max_devs = if_max_devs(d->type);

    if (index != -1) {
        if (d->bus != -1 || d->unit != -1) {
            error_setg(errp, "index cannot be used with bus and unit");
            return false;
        }
        d->bus = max_devs ? index / max_devs : 0;
        d->unit = max_devs ? index % max_devs : index;
    }
    if (d->bus == -1) {
        d->bus = 0;
    }
    if (d->unit == -1) {
        d->unit = 0;
        while (drive_get(d->type, d->bus, d->unit)) {
            d->unit++;
            if (max_devs && d->unit >= max_devs) {
                d->unit -= max_devs;
                d->bus++;
            }
        }
    }
    if (max_devs && d->unit >= max_devs) {
        error_setg(errp, "unit %d too big (max is %d)", d->unit, max_devs - 1);
        return false;
    }
    if (drive_get(d->type, d->bus, d->unit)) {
        error_setg(errp, "drive with bus=%d, unit=%d (index=%d) exists", d->bus,
                   d->unit, max_devs ? d->bus * max_devs + d->unit : d->unit);
        return false;
    }
    if (!d->id) {
        const char *media = "";
        if (d->type == IF_IDE || d->type == IF_SCSI) {
            media = d->cdrom ? "-cd" : "-hd";
        }
        d->id = max_devs ? g_strdup_printf("%s%d%s%d", if_names[d->type],
                                           d->bus, media, d->unit)
                         : g_strdup_printf("%s%s%d", if_names[d->type], media,
                                           d->unit);
    }
    return true;
}

/* IF_DEFAULT drives wait here (-> index + 1) until the type is known. */
static GHashTable *pending_index;

DriveInfo *drive_add(const char *optstr, Error **errp)
{
    g_autoptr(Opts) o = opts_parse(optstr, NULL, NULL, errp);
    DriveInfo *d;
    const char *s;
    int index;

    if (!o) {
        return NULL;
    }
    d = g_new0(DriveInfo, 1);
    d->optstr = g_strdup(optstr);
    d->loc = g_strdup_printf("-drive %s", optstr);
    d->type = IF_DEFAULT;
    d->writeback = true;
    d->snapshot_set = opts_has(o, "snapshot");
    for (unsigned i = 0; i < opts_count(o); i++) {
        const char *k = opts_key_at(o, i);
        if (!key_known(k)) {
            s = opts_get(o, "format");
            error_setg(errp,
                       "Block format '%s' does not support the option "
                       "'%s'",
                       s ? s : "raw", k);
            goto fail;
        }
    }
    s = opts_get(o, "if");
    if (s) {
        d->type = parse_if(s);
        if (d->type == IF_COUNT) {
            error_setg(errp, "unsupported bus type '%s'", s);
            goto fail;
        }
    }
    s = opts_get(o, "media");
    if (s) {
        if (!strcmp(s, "cdrom")) {
            d->cdrom = true;
        } else if (strcmp(s, "disk")) {
            error_setg(errp, "'%s' invalid media", s);
            goto fail;
        }
    }
    s = opts_get(o, "format");
    if (s) {
        if (!strcmp(s, "help") || !strcmp(s, "?")) {
            g_autoptr(GString) out = g_string_new(NULL);
            bdrv_print_formats(out);
            printf("%s\n", out->str);
            exit(0);
        }
        if (!bdrv_find_format(s)) {
            error_setg(errp, "Unknown driver '%s'", s);
            goto fail;
        }
        d->format = g_strdup(s);
    }
    s = opts_get(o, "cache");
    if (s && !parse_cache(s, d, errp)) {
        goto fail;
    }
    if (!parse_bool_opt(o, "cache.direct", &d->direct, errp) ||
        !parse_bool_opt(o, "cache.no-flush", &d->no_flush, errp) ||
        !parse_bool_opt(o, "read-only", &d->read_only, errp) ||
        !parse_bool_opt(o, "snapshot", &d->snapshot, errp)) {
        goto fail;
    }
    /* "readonly" is QEMU's old name of "read-only" (messages use the new). */
    if (opts_has(o, "readonly") && !opts_has(o, "read-only")) {
        opts_set(o, "read-only", opts_get(o, "readonly"));
        if (!parse_bool_opt(o, "read-only", &d->read_only, errp)) {
            goto fail;
        }
    }
    s = opts_get(o, "aio");
    if (s && !bdrv_parse_aio(s, &d->aio_flags)) {
        error_setg(errp, "invalid aio option");
        goto fail;
    }
    if ((d->aio_flags & BDRV_O_NATIVE_AIO) && !d->direct) {
        error_setg(errp, "aio=native was specified, but it requires "
                         "cache.direct=on, which was not specified.");
        goto fail;
    }
    s = opts_get(o, "id");
    if (s) {
        if (drive_find(s)) {
            error_setg(errp, "Duplicate ID '%s' for drive", s);
            goto fail;
        }
        d->id = g_strdup(s);
    }
    s = opts_get(o, "file");
    d->file = s && *s ? g_strdup(s) : NULL;
    if (d->cdrom) {
        d->read_only = true;
    }
    if (!parse_int_opt(o, "bus", &d->bus, errp) ||
        !parse_int_opt(o, "unit", &d->unit, errp) ||
        !parse_int_opt(o, "index", &index, errp)) {
        goto fail;
    }
    if (!drives) {
        drives = g_ptr_array_new();
        pending_index = g_hash_table_new(NULL, NULL);
    }
    if (d->type == IF_DEFAULT) {
        /* Placed by drive_open_all() once the machine's type is known. */
        if (index != -1 && (d->bus != -1 || d->unit != -1)) {
            error_setg(errp, "index cannot be used with bus and unit");
            goto fail;
        }
        g_hash_table_insert(pending_index, d, GINT_TO_POINTER(index + 1));
    } else if (!drive_place(d, index, errp)) {
        goto fail;
    }
    g_ptr_array_add(drives, d);
    return d;
fail:
    drive_free(d);
    return NULL;
}

DriveInfo *drive_add_legacy(int index, const char *file, bool cdrom,
                            const char *opt, Error **errp)
{
    g_autoptr(Opts) o = opts_new();
    g_autofree char *idx = g_strdup_printf("%d", index);
    g_autofree char *str = NULL;
    DriveInfo *d;

    opts_set(o, "index", idx);
    opts_set(o, "file", file);
    opts_set(o, "media", cdrom ? "cdrom" : "disk");
    str = opts_to_string(o);
    d = drive_add(str, errp);
    if (d) {
        g_free(d->loc);
        d->loc = opt ? g_strdup_printf("%s %s", opt, file) : g_strdup(file);
    }
    return d;
}

void drive_set_global_snapshot(bool on)
{
    global_snapshot = on;
}

DriveInfo *drive_get(BlockInterfaceType type, int bus, int unit)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = g_ptr_array_index(drives, i);
        if (d->type == type && d->bus == bus && d->unit == unit &&
            !g_hash_table_contains(pending_index, d)) {
            return d;
        }
    }
    return NULL;
}

DriveInfo *drive_find(const char *id)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = g_ptr_array_index(drives, i);
        if (d->id && !strcmp(d->id, id)) {
            return d;
        }
    }
    return NULL;
}

/*
 * snapshot=on: a temporary qcow2 overlay over the image, deleted at once
 * (the open file keeps it), so that writes never reach the image.
 */
static BlockDriverState *drive_open_snapshot(DriveInfo *d, int flags,
                                             Error **errp)
{
    BlockDriverState *base;
    g_autoptr(Opts) o = opts_new();
    g_autofree char *size = NULL;
    const char *tmpdir = g_getenv("TMPDIR");
    g_autofree char *path = NULL;
    BlockDriverState *bs;
    int fd;

    base = bdrv_open(d->file, d->format, flags & ~BDRV_O_RDWR, errp);
    if (!base) {
        return NULL;
    }
    size = g_strdup_printf("%" PRId64, bdrv_getlength(base));
    path = g_build_filename(tmpdir ? tmpdir : "/var/tmp", "vl.XXXXXX", NULL);
    fd = g_mkstemp(path);
    if (fd < 0) {
        error_setg(errp, "Could not get temporary filename: %s",
                   g_strerror(errno));
        bdrv_unref(base);
        return NULL;
    }
    close(fd);
    opts_set(o, "size", size);
    opts_set(o, "backing_file", d->file);
    opts_set(o, "backing_fmt", bdrv_get_format_name(base));
    bdrv_unref(base);
    if (!bdrv_create("qcow2", path, o, errp)) {
        unlink(path);
        return NULL;
    }
    bs = bdrv_open(path, "qcow2", flags | BDRV_O_RDWR, errp);
    unlink(path);
    return bs;
}

static bool drive_open(DriveInfo *d, Error **errp)
{
    int flags = d->read_only ? 0 : BDRV_O_RDWR;
    Error *err = NULL;

    if (!d->snapshot_set) {
        d->snapshot = global_snapshot;
    }
    if (d->direct) {
        flags |= BDRV_O_NOCACHE;
    }
    if (d->no_flush) {
        flags |= BDRV_O_NO_FLUSH;
    }
    flags |= d->aio_flags;
    d->node_name = g_strdup_printf("#block%u", node_counter);
    node_counter += 2 + g_random_int_range(0, 4) * 2;
    if (!d->file) {
        return true;
    }
    d->bs = d->snapshot && !d->read_only
                ? drive_open_snapshot(d, flags, &err)
                : bdrv_open(d->file, d->format, flags, &err);
    if (!d->bs) {
        /*
         * As QEMU's -drive words them: the block layer's "Could not open
         * 'F': " goes (a format's complaint stands alone, a file's error
         * keeps its own "Could not open"), lock conflicts stand alone.
         */
        const char *msg = error_get_pretty(err);
        const char *lock = strstr(msg, "Failed to get ");
        g_autofree char *prefix =
            g_strdup_printf("Could not open '%s': ", d->file);
        if (lock) {
            msg = lock;
        } else if (g_str_has_prefix(msg, prefix)) {
            msg += strlen(prefix);
        }
        error_setg(errp, "%s", msg);
        error_free(err);
        return false;
    }
    return true;
}

bool drive_open_all(BlockInterfaceType default_type, bool default_cdrom,
                    Error **errp)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = g_ptr_array_index(drives, i);
        int index;
        if (!g_hash_table_contains(pending_index, d)) {
            continue;
        }
        index = GPOINTER_TO_INT(g_hash_table_lookup(pending_index, d)) - 1;
        d->type = default_type;
        if (!drive_place(d, index, errp)) {
            error_prepend(errp, "%s: ", d->loc);
            return false;
        }
        g_hash_table_remove(pending_index, d); /* placed: visible now */
    }
    if (default_cdrom && default_type == IF_IDE && !drive_get(IF_IDE, 1, 0)) {
        DriveInfo *d = drive_add("index=2,media=cdrom,if=ide", errp);
        if (!d) {
            return false;
        }
        d->is_default = true;
    }
    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = g_ptr_array_index(drives, i);
        if (!drive_open(d, errp)) {
            error_prepend(errp, "%s: ", d->loc);
            return false;
        }
    }
    return true;
}

bool drive_attach(DriveInfo *d, DeviceState *dev, Error **errp)
{
    if (d->dev) {
        error_setg(errp, "Drive '%s' is already in use by another device",
                   d->id);
        return false;
    }
    d->dev = dev;
    return true;
}

bool drive_check_orphans(Error **errp)
{
    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = g_ptr_array_index(drives, i);
        if (d->type != IF_NONE && !d->dev && !d->is_default) {
            error_setg(errp,
                       "%s: machine type does not support "
                       "if=%s,bus=%d,unit=%d",
                       d->loc, if_names[d->type], d->bus, d->unit);
            return false;
        }
    }
    return true;
}

/* ---- drive= property backend ---- */

static void *drive_prop_find(const char *id, Error **errp)
{
    DriveInfo *d = drive_find(id);

    if (!d) {
        error_setg(errp, "Property 'drive' can't find value '%s'", id);
        return NULL;
    }
    if (d->dev) {
        if (d->type != IF_NONE) {
            error_setg(errp,
                       "Drive '%s' is already in use because it has been "
                       "automatically connected to another device (did you "
                       "need 'if=none' in the drive options?)",
                       id);
        } else {
            error_setg(errp, "Drive '%s' is already in use by another device",
                       id);
        }
        return NULL;
    }
    return d;
}

static const char *drive_prop_name(const void *backend)
{
    return ((const DriveInfo *)backend)->id;
}

static const DevicePropBackend drive_prop_backend = {
    .find = drive_prop_find,
    .name = drive_prop_name,
};

static void __attribute__((constructor)) drive_register_backend(void)
{
    device_prop_register_backend(PROP_DRIVE, &drive_prop_backend);
}

/* ---- removable media: eject, change ---- */

void drive_set_media_ops(DriveInfo *d, const DriveMediaOps *ops, void *opaque)
{
    d->media_ops = ops;
    d->media_opaque = opaque;
}

/* The drive named by device= or, through its device, by id=. */
static DriveInfo *drive_from_args(json_t *args, Error **errp)
{
    const char *device = json_string_value(json_object_get(args, "device"));
    const char *id = json_string_value(json_object_get(args, "id"));

    if (!!device == !!id) {
        error_setg(errp, "Need exactly one of 'device' and 'id'");
        return NULL;
    }
    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = g_ptr_array_index(drives, i);
        if (device ? !strcmp(d->id, device)
                   : d->dev && d->dev->id && !strcmp(d->dev->id, id)) {
            if (!d->media_ops) {
                error_setg(errp, "Device '%s' is not removable",
                           device ? device : id);
                return NULL;
            }
            return d;
        }
    }
    error_setg(errp, "Device '%s' not found", device ? device : id);
    return NULL;
}

static bool drive_eject(DriveInfo *d, bool force, Error **errp)
{
    if (!force && d->media_ops->is_locked &&
        d->media_ops->is_locked(d->media_opaque)) {
        error_setg(errp,
                   "Device '%s' is locked and force was not specified, "
                   "wait for tray to open and try again",
                   d->id);
        return false;
    }
    if (d->bs) {
        BlockDriverState *old = d->bs;
        d->bs = NULL;
        d->media_ops->change(d->media_opaque, false);
        bdrv_unref(old); /* in-flight requests hold their own reference */
    }
    d->tray_open = true;
    return true;
}

static json_t *qmp_eject(json_t *args, Error **errp)
{
    DriveInfo *d = drive_from_args(args, errp);

    if (!d ||
        !drive_eject(d, json_is_true(json_object_get(args, "force")), errp)) {
        return NULL;
    }
    return json_object();
}

static const MonitorArg eject_args[] = {{"force", MON_ARG_FLAG, true, "-f"},
                                        {"device", MON_ARG_STR, true},
                                        {"id", MON_ARG_STR, true},
                                        {NULL}};

static const MonitorCommand eject_cmd = {
    .name = "eject",
    .hmp_name = "eject",
    .args = eject_args,
    .hmp_params = "[-f] device",
    .hmp_help = "eject a removable medium (use -f to force it)",
    .handler = qmp_eject,
};
MONITOR_COMMAND_REGISTER(eject_cmd)

static json_t *qmp_change_medium(json_t *args, Error **errp)
{
    DriveInfo *d = drive_from_args(args, errp);
    const char *file = json_string_value(json_object_get(args, "filename"));
    const char *fmt = json_string_value(json_object_get(args, "format"));
    const char *ro = json_string_value(json_object_get(args, "read-only-mode"));
    bool read_only = d ? d->read_only : true;
    BlockDriverState *bs;
    Error *err = NULL;

    if (!d) {
        return NULL;
    }
    if (ro && !strcmp(ro, "read-only")) {
        read_only = true;
    } else if (ro && !strcmp(ro, "read-write")) {
        read_only = false;
    } else if (ro && strcmp(ro, "retain")) {
        error_setg(errp,
                   "Parameter 'read-only-mode' does not accept value "
                   "'%s'",
                   ro);
        return NULL;
    }
    if (fmt && !bdrv_find_format(fmt)) {
        error_setg(errp, "Unknown driver '%s'", fmt);
        return NULL;
    }
    bs = bdrv_open(file, fmt, read_only ? 0 : BDRV_O_RDWR, &err);
    if (!bs) {
        error_propagate(errp, err);
        return NULL;
    }
    if (!drive_eject(d, false, errp)) {
        bdrv_unref(bs);
        return NULL;
    }
    g_free(d->file);
    d->file = g_strdup(file);
    d->read_only = read_only;
    d->bs = bs;
    d->tray_open = false;
    d->media_ops->change(d->media_opaque, true);
    return json_object();
}

static const MonitorArg change_args[] = {
    {"device", MON_ARG_STR, true}, {"filename", MON_ARG_STR},
    {"format", MON_ARG_STR, true}, {"read-only-mode", MON_ARG_STR, true},
    {"id", MON_ARG_STR, true},     {NULL}};

static const MonitorCommand change_cmd = {
    .name = "blockdev-change-medium",
    .hmp_name = "change",
    .args = change_args,
    .hmp_params = "device filename [format [read-only-mode]]",
    .hmp_help = "change a removable medium",
    .handler = qmp_change_medium,
};
MONITOR_COMMAND_REGISTER(change_cmd)

/* ---- query-block / info block ---- */

static json_t *drive_inserted_json(DriveInfo *d)
{
    BlockDriverState *bs = d->bs;
    json_t *ins = json_object();
    int depth = 0;

    for (BlockDriverState *b = bdrv_backing(bs); b; b = bdrv_backing(b)) {
        depth++;
    }
    json_object_set_new(ins, "ro", json_boolean(d->read_only));
    json_object_set_new(ins, "drv", json_string(bdrv_get_format_name(bs)));
    json_object_set_new(ins, "encrypted", json_false());
    json_object_set_new(ins, "file", json_string(bdrv_get_filename(bs)));
    json_object_set_new(ins, "node-name", json_string(d->node_name));
    json_object_set_new(ins, "backing_file_depth", json_integer(depth));
    if (bdrv_backing(bs)) {
        json_object_set_new(ins, "backing_file",
                            json_string(bdrv_backing_file(bs)));
    }
    json_object_set_new(ins, "cache",
                        json_pack("{s:b, s:b, s:b}", "writeback", d->writeback,
                                  "direct", d->direct, "no-flush",
                                  d->no_flush));
    json_object_set_new(ins, "detect_zeroes", json_string("off"));
    json_object_set_new(ins, "write_threshold", json_integer(0));
    {
        json_t *img = json_object();
        json_object_set_new(img, "filename",
                            json_string(bdrv_get_filename(bs)));
        json_object_set_new(img, "format",
                            json_string(bdrv_get_format_name(bs)));
        json_object_set_new(img, "virtual-size",
                            json_integer(bdrv_getlength(bs)));
        json_object_set_new(ins, "image", img);
    }
    return ins;
}

static const char *drive_qdev_path(DeviceState *dev)
{
    return dev->id ? dev->id : dev->canonical_path;
}

static json_t *qmp_query_block(json_t *args, Error **errp)
{
    json_t *list = json_array();

    for (guint i = 0; drives && i < drives->len; i++) {
        DriveInfo *d = g_ptr_array_index(drives, i);
        json_t *e = json_object();
        json_object_set_new(e, "device", json_string(d->id));
        json_object_set_new(e, "locked", json_false());
        json_object_set_new(e, "removable", json_boolean(d->cdrom));
        if (d->cdrom) {
            bool locked = d->media_ops && d->media_ops->is_locked &&
                          d->media_ops->is_locked(d->media_opaque);
            json_object_set_new(e, "tray_open", json_boolean(d->tray_open));
            json_object_set_new(e, "locked", json_boolean(locked));
        }
        if (d->dev) {
            json_object_set_new(e, "qdev",
                                json_string(drive_qdev_path(d->dev)));
        }
        if (d->bs) {
            json_object_set_new(e, "inserted", drive_inserted_json(d));
        }
        json_object_set_new(e, "type", json_string("unknown"));
        json_object_set_new(e, "io-status", json_string("ok"));
        json_array_append_new(list, e);
    }
    return list;
}

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool jbool(json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

/* The lines of `info block` an inserted and an empty drive both have. */
static void hmp_info_block_device(GString *out, json_t *e)
{
    if (jstr(e, "qdev")) {
        g_string_append_printf(out, "    Attached to:      %s\n",
                               jstr(e, "qdev"));
    }
    if (jbool(e, "removable")) {
        g_string_append_printf(out, "    Removable device: %slocked, tray %s\n",
                               jbool(e, "locked") ? "" : "not ",
                               jbool(e, "tray_open") ? "open" : "closed");
    }
}

static void hmp_info_block(GString *out, json_t *ret, json_t *args)
{
    size_t i;
    json_t *e;

    json_array_foreach(ret, i, e)
    {
        json_t *ins = json_object_get(e, "inserted");
        if (i) {
            g_string_append_c(out, '\n');
        }
        g_string_append(out, jstr(e, "device"));
        if (ins) {
            json_t *cache = json_object_get(ins, "cache");
            g_string_append_printf(out, " (%s): %s (%s%s)\n",
                                   jstr(ins, "node-name"), jstr(ins, "file"),
                                   jstr(ins, "drv"),
                                   jbool(ins, "ro") ? ", read-only" : "");
            hmp_info_block_device(out, e);
            g_string_append_printf(
                out, "    Cache mode:       %s%s%s\n",
                jbool(cache, "writeback") ? "writeback" : "writethrough",
                jbool(cache, "direct") ? ", direct" : "",
                jbool(cache, "no-flush") ? ", ignore flushes" : "");
            if (jstr(ins, "backing_file")) {
                g_string_append_printf(
                    out, "    Backing file:     %s (chain depth: %d)\n",
                    jstr(ins, "backing_file"),
                    (int)json_integer_value(
                        json_object_get(ins, "backing_file_depth")));
            }
        } else {
            g_string_append(out, ": [not inserted]\n");
            hmp_info_block_device(out, e);
        }
    }
}

static const MonitorArg info_block_args[] = {{NULL}};

static const MonitorCommand query_block_cmd = {
    .name = "query-block",
    .hmp_name = "info block",
    .args = info_block_args,
    .hmp_help = "show info of one block device or all block devices",
    .handler = qmp_query_block,
    .hmp_format = hmp_info_block,
};
MONITOR_COMMAND_REGISTER(query_block_cmd)
