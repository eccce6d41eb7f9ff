/*
 * qemu-img: the disk image tool, a thin command line over block/.
 *
 * Each command is one img_<cmd>(argc, argv) returning the exit status.
 * Output (human and JSON) follows QEMU 7.2's byte for byte where the
 * information is the same; errors are one line "qemu-img: ...".
 * This file: main, create, info, check, map, resize, snapshot, amend,
 * measure.  img-convert.c: convert, compare, commit, rebase, dd, bench.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <jansson.h>
#include "config-host.h"
#include "qemu-img/qemu-img.h"
#include "util/cutils.h"
#include "util/error.h"
#include "util/option.h"

char *img_size_to_str(uint64_t size)
{
    static const char *const suffixes[] = {"",   "Ki", "Mi", "Gi",
                                           "Ti", "Pi", "Ei"};
    int i = 0;
    double v = (double)size;
    /* Next unit once the value reaches 1000 of the current one. */
    while (v >= 1000.0 * (1ULL << (10 * i)) / 1.0 && i < 6 &&
           (double)size / (double)(1ULL << (10 * i)) >= 1000.0) {
        i++;
    }
    return g_strdup_printf("%0.3g %sB", (double)size / (1ULL << (10 * i)),
                           suffixes[i]);
}

bool img_parse_cache(const char *mode, int *flags)
{
    *flags &= ~(BDRV_O_NOCACHE | BDRV_O_NO_FLUSH);
    if (!strcmp(mode, "none") || !strcmp(mode, "off") ||
        !strcmp(mode, "directsync")) {
        *flags |= BDRV_O_NOCACHE;
    } else if (!strcmp(mode, "unsafe")) {
        *flags |= BDRV_O_NO_FLUSH;
    } else if (strcmp(mode, "writeback") && strcmp(mode, "writethrough")) {
        return false;
    }
    return true;
}

void img_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vreport(fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'qemu-img --help' for more information\n");
}

void img_progress(bool enabled, double pct)
{
    if (enabled) {
        printf("    (%3.2f/100%%)\r", pct);
        fflush(stdout);
    }
}

BlockDriverState *img_open(const char *filename, const char *fmt, int flags,
                           bool force_share, bool quiet)
{
    Error *err = NULL;
    if (force_share) {
        if (flags & BDRV_O_RDWR) {
            error_report("--force-share/-U conflicts with image options");
            return NULL;
        }
        flags |= BDRV_O_FORCE_SHARE;
    }
    BlockDriverState *bs = bdrv_open(filename, fmt, flags, &err);
    if (!bs) {
        error_report_err(err);
    }
    return bs;
}

static void help(void)
{
    GString *f = g_string_new(NULL);
    bdrv_print_formats(f);
    printf("qemu-img version " QEMU_VERSION_COMPAT " (Quasar " QUASAR_VERSION
           ")\n"
           "usage: qemu-img [standard options] command [command options]\n"
           "QEMU disk image utility\n\n"
           "    '-h', '--help'       display this help and exit\n"
           "    '-V', '--version'    output version information and exit\n\n"
           "Command syntax:\n"
           "  amend [-p] [-q] [-f fmt] [-t cache] [--force] -o options "
           "filename\n"
           "  bench [-c count] [-d depth] [-f fmt] "
           "[--flush-interval=flush_interval] [-i aio] [-n] [--no-drain] "
           "[-o offset] [--pattern=pattern] [-q] [-s buffer_size] "
           "[-S step_size] [-t cache] [-w] [-U] filename\n"
           "  bitmap (--merge SOURCE | --add | --remove | --clear | "
           "--enable | --disable)... [-b source_file [-F source_fmt]] "
           "[-g granularity] [-f fmt] filename bitmap\n"
           "  check [-q] [-f fmt] [--output=ofmt] [-r [leaks | all]] "
           "[-T src_cache] [-U] filename\n"
           "  commit [-q] [-f fmt] [-t cache] [-b base] [-d] [-p] filename\n"
           "  compare [-f fmt] [-F fmt] [-T src_cache] [-p] [-q] [-s] [-U] "
           "filename1 filename2\n"
           "  convert [--target-is-zero] [--bitmaps] [-U] [-c] [-p] [-q] "
           "[-n] [-f fmt] [-t cache] "
           "[-T src_cache] [-O output_fmt] [-B backing_file [-F "
           "backing_fmt]] [-o options] [-S sparse_size] [-m "
           "num_coroutines] [-W] filename [filename2 [...]] "
           "output_filename\n"
           "  create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] "
           "[-o options] filename [size]\n"
           "  dd [-U] [-f fmt] [-O output_fmt] [bs=block_size] "
           "[count=blocks] [skip=blocks] if=input of=output\n"
           "  info [-f fmt] [--output=ofmt] [--backing-chain] [-U] "
           "filename\n"
           "  map [-f fmt] [--start-offset=offset] [--max-length=len] "
           "[--output=ofmt] [-U] filename\n"
           "  measure [--output=ofmt] [-O output_fmt] [-o options] [--size "
           "N | [-f fmt] filename]\n"
           "  snapshot [-U] [-q] [-l | -a snapshot | -c snapshot | -d "
           "snapshot] filename\n"
           "  rebase [-U] [-q] [-f fmt] [-t cache] [-T src_cache] [-p] [-u] "
           "-b backing_file [-F backing_fmt] filename\n"
           "  resize [-f fmt] [--preallocation=prealloc] [-q] [--shrink] "
           "filename [+ | -]size\n\n"
           "%s",
           f->str);
    g_string_free(f, true);
}

/* ---- create ------------------------------------------------------------ */

static void print_create_opts(const char *filename, const char *fmt, Opts *o)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "Formatting '%s', fmt=%s", filename, fmt);
#define OPT_DEF(k, def)                                                        \
    do {                                                                       \
        const char *v_ = opts_get(o, k);                                       \
        if (v_ || (def)) {                                                     \
            g_string_append_printf(s, " %s=%s", k, v_ ? v_ : (def));           \
        }                                                                      \
    } while (0)
    if (!strcmp(fmt, "qcow2")) {
        OPT_DEF("cluster_size", "65536");
        OPT_DEF("extended_l2", "off");
        OPT_DEF("preallocation", NULL);
        OPT_DEF("compression_type", "zlib");
        OPT_DEF("size", "0");
        OPT_DEF("backing_file", NULL);
        OPT_DEF("backing_fmt", NULL);
        OPT_DEF("compat", NULL);
        OPT_DEF("lazy_refcounts", "off");
        OPT_DEF("refcount_bits", "16");
    } else {
        OPT_DEF("size", "0");
        OPT_DEF("preallocation", NULL);
    }
    OPT_DEF("nocow", NULL);
#undef OPT_DEF
    printf("%s\n", s->str);
    g_string_free(s, true);
}

/* Normalises typed values for printing: sizes as bytes, bools on/off. */
static bool normalise_opts(const OptDesc *desc, Opts *o, Error **errp)
{
    for (unsigned i = 0; i < opts_count(o); i++) {
        const char *k = opts_key_at(o, i);
        const char *v = opts_value_at(o, i);
        const OptDesc *d = desc;
        while (d && d->name && strcmp(d->name, k)) {
            d++;
        }
        if (!d || !d->name) {
            continue;
        }
        if (d->type == OPT_SIZE) {
            uint64_t n;
            if (parse_size(v, &n) < 0) {
                error_setg(errp,
                           "Parameter '%s' expects a non-negative "
                           "number below 2^64",
                           k);
                return false;
            }
            g_autofree char *t = g_strdup_printf("%" PRIu64, n);
            opts_set(o, k, t);
        } else if (d->type == OPT_BOOL) {
            bool b;
            if (!parse_bool(v, &b)) {
                error_setg(errp, "Parameter '%s' expects 'on' or 'off'", k);
                return false;
            }
            opts_set(o, k, b ? "on" : "off");
        }
    }
    return true;
}

static gint cmp_str_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_opts_help_sorted(const char *fmt)
{
    BlockDriver *drv = bdrv_find_format(fmt);
    const OptDesc *d = drv ? bdrv_create_opts(drv) : NULL;
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    for (; d && d->name; d++) {
        const char *t = d->type == OPT_SIZE     ? "size"
                        : d->type == OPT_BOOL   ? "bool (on/off)"
                        : d->type == OPT_NUMBER ? "num"
                                                : "str";
        g_autofree char *left = g_strdup_printf("%s=<%s>", d->name, t);
        g_ptr_array_add(lines, g_strdup_printf("  %-22s - %s", left,
                                               d->help ? d->help : ""));
    }
    g_ptr_array_sort(lines, cmp_str_ptr);
    printf("Supported %s options:\n", fmt);
    for (guint i = 0; i < lines->len; i++) {
        printf("%s\n", (char *)g_ptr_array_index(lines, i));
    }
    printf("\nThe protocol level may support further options.\n"
           "Specify the target filename to include those options.\n");
    g_ptr_array_free(lines, true);
}

/* Parses -o; "help" prints the list.  Returns NULL (exit code in *rc). */
static Opts *parse_create_options(const char *fmt, const char *options, int *rc)
{
    Error *err = NULL;
    BlockDriver *drv = bdrv_find_format(fmt);
    *rc = 1;
    if (!drv) {
        error_report("Unknown file format '%s'", fmt);
        return NULL;
    }
    if (options && (!strcmp(options, "help") || !strcmp(options, "?"))) {
        print_opts_help_sorted(fmt);
        *rc = 0;
        return NULL;
    }
    Opts *o = options
                  ? opts_parse(options, NULL, bdrv_create_opts_all(drv), &err)
                  : opts_new();
    if (!o) {
        error_report("Invalid option list: %s", options);
        error_free(err);
        return NULL;
    }
    if (!normalise_opts(bdrv_create_opts_all(drv), o, &err)) {
        error_report_err(err);
        opts_free(o);
        return NULL;
    }
    return o;
}

static int img_create(int argc, char **argv)
{
    const char *fmt = "raw", *base = NULL, *base_fmt = NULL;
    g_autofree char *options = NULL;
    bool quiet = false, unsafe = false;
    int c, rc;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"object", required_argument, 0, 'O'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":F:b:f:ho:qu", long_opts, NULL)) !=
           -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'b':
            base = optarg;
            break;
        case 'F':
            base_fmt = optarg;
            break;
        case 'o': {
            char *n = options ? g_strdup_printf("%s,%s", options, optarg)
                              : g_strdup(optarg);
            g_free(options);
            options = n;
            break;
        }
        case 'q':
            quiet = true;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'h':
            help();
            return 0;
        case ':':
            error_report("option '%s' needs an argument", argv[optind - 1]);
            return 1;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
    }
    if (options && (!strcmp(options, "help") || !strcmp(options, "?"))) {
        parse_create_options(fmt, options, &rc);
        return rc;
    }
    if (optind >= argc) {
        img_usage_error("Expecting image file name");
        return 1;
    }
    const char *filename = argv[optind++];
    Opts *o = parse_create_options(fmt, options, &rc);
    if (!o) {
        return rc;
    }
    if (optind < argc) {
        uint64_t size;
        int r = parse_size(argv[optind], &size);
        if (r < 0 || argv[optind][0] == '-') {
            error_report("Invalid image size specified. You may use k, M, G, "
                         "T, P or E suffixes for");
            error_report("kilobytes, megabytes, gigabytes, terabytes, "
                         "petabytes and exabytes.");
            opts_free(o);
            return 1;
        }
        if (size > INT64_MAX) {
            error_report("Image size must be less than 8 EiB!");
            opts_free(o);
            return 1;
        }
        g_autofree char *t = g_strdup_printf("%" PRIu64, size);
        opts_set(o, "size", t);
        optind++;
    }
    if (optind < argc) {
        error_report("Unexpected argument: %s", argv[optind]);
        opts_free(o);
        return 1;
    }
    if (base) {
        opts_set(o, "backing_file", base);
    }
    if (base_fmt) {
        opts_set(o, "backing_fmt", base_fmt);
    }
    base = opts_get(o, "backing_file");
    base_fmt = opts_get(o, "backing_fmt");
    if (base && strcmp(fmt, "qcow2")) {
        error_report("%s: Backing file not supported for file format '%s'",
                     filename, fmt);
        opts_free(o);
        return 1;
    }
    if (base && !base_fmt && !unsafe) {
        char path[4096];
        Error *err = NULL;
        bdrv_resolve_backing(filename, base, path, sizeof(path));
        BlockDriverState *b =
            bdrv_open(path, NULL, BDRV_O_NO_BACKING | BDRV_O_FORCE_SHARE, &err);
        error_report("%s: Backing file specified without backing format",
                     filename);
        if (b) {
            fprintf(stderr, "Detected format of %s.\n",
                    bdrv_get_format_name(b));
            bdrv_unref(b);
        } else {
            error_free(err);
        }
        opts_free(o);
        return 1;
    }
    if (base && !unsafe) {
        /* The backing file must open; its size is the default size. */
        char path[4096];
        Error *err = NULL;
        bdrv_resolve_backing(filename, base, path, sizeof(path));
        BlockDriverState *b =
            bdrv_open(path, base_fmt, BDRV_O_NO_IO | BDRV_O_FORCE_SHARE, &err);
        if (!b) {
            error_report("%s: Could not open backing image: %s", filename,
                         error_get_pretty(err));
            error_free(err);
            opts_free(o);
            return 1;
        }
        if (!opts_has(o, "size")) {
            g_autofree char *t = g_strdup_printf("%" PRId64, bdrv_getlength(b));
            opts_set(o, "size", t);
        }
        bdrv_unref(b);
    }
    if (!opts_has(o, "size")) {
        error_report("%s: Image creation needs a size parameter", filename);
        opts_free(o);
        return 1;
    }
    if (!quiet) {
        print_create_opts(filename, fmt, o);
    }
    Error *err = NULL;
    if (!bdrv_create(fmt, filename, o, &err)) {
        error_report("%s: %s", filename, error_get_pretty(err));
        error_free(err);
        opts_free(o);
        return 1;
    }
    opts_free(o);
    return 0;
}

/* ---- info -------------------------------------------------------------- */

static void json_set_ordered(json_t *dst, json_t *src, const char *const *order)
{
    for (const char *const *k = order; *k; k++) {
        json_t *v = json_object_get(src, *k);
        if (v) {
            json_object_set(dst, *k, v);
        }
    }
}

static json_t *snapshot_json(QEMUSnapshotInfo *sn)
{
    json_t *o = json_object();
    json_object_set_new(
        o, "icount",
        json_integer(sn->icount == UINT64_MAX ? 0 : (json_int_t)sn->icount));
    json_object_set_new(o, "vm-clock-nsec",
                        json_integer(sn->vm_clock_nsec % 1000000000ULL));
    json_object_set_new(o, "name", json_string(sn->name));
    json_object_set_new(o, "date-sec", json_integer(sn->date_sec));
    json_object_set_new(o, "date-nsec", json_integer(sn->date_nsec));
    json_object_set_new(o, "vm-clock-sec",
                        json_integer(sn->vm_clock_nsec / 1000000000ULL));
    json_object_set_new(o, "id", json_string(sn->id_str));
    json_object_set_new(o, "vm-state-size",
                        json_integer((json_int_t)sn->vm_state_size));
    return o;
}

static json_t *image_info(BlockDriverState *bs)
{
    json_t *raw = json_object();
    json_t *o = json_object();
    BlockDriverInfo bdi;
    QEMUSnapshotInfo *sns = NULL;
    int nsn = bdrv_snapshot_list(bs, &sns);

    if (nsn > 0) {
        json_t *a = json_array();
        for (int i = 0; i < nsn; i++) {
            json_array_append_new(a, snapshot_json(&sns[i]));
        }
        json_object_set_new(raw, "snapshots", a);
    }
    g_free(sns);
    if (bdrv_backing_file(bs)[0]) {
        if (bdrv_backing_format(bs)[0]) {
            json_object_set_new(raw, "backing-filename-format",
                                json_string(bdrv_backing_format(bs)));
        }
        json_object_set_new(raw, "full-backing-filename",
                            json_string(bdrv_full_backing_filename(bs)));
        json_object_set_new(raw, "backing-filename",
                            json_string(bdrv_backing_file(bs)));
    }
    json_object_set_new(raw, "virtual-size", json_integer(bdrv_getlength(bs)));
    json_object_set_new(raw, "filename", json_string(bdrv_get_filename(bs)));
    if (bdrv_get_info(bs, &bdi) == 0 && bdi.cluster_size) {
        json_object_set_new(raw, "cluster-size",
                            json_integer(bdi.cluster_size));
    }
    json_object_set_new(raw, "format", json_string(bdrv_get_format_name(bs)));
    int64_t actual = bdrv_get_allocated_file_size(bs);
    if (actual >= 0) {
        json_object_set_new(raw, "actual-size", json_integer(actual));
    }
    json_t *spec = bdrv_get_specific_info(bs);
    if (spec) {
        json_object_set_new(raw, "format-specific", spec);
    }
    json_object_set_new(raw, "dirty-flag", json_boolean(bdi.is_dirty));
    static const char *const order[] = {
        "snapshots",
        "backing-filename-format",
        "virtual-size",
        "filename",
        "cluster-size",
        "format",
        "actual-size",
        "format-specific",
        "full-backing-filename",
        "backing-filename",
        "dirty-flag",
        NULL,
    };
    json_set_ordered(o, raw, order);
    json_decref(raw);
    return o;
}

static void print_snapshot_table(QEMUSnapshotInfo *sns, int n)
{
    printf("%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE",
           "VM CLOCK", "ICOUNT");
    for (int i = 0; i < n; i++) {
        QEMUSnapshotInfo *sn = &sns[i];
        char date[64], clock[64], icount[32];
        time_t t = sn->date_sec;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        uint64_t secs = sn->vm_clock_nsec / 1000000000ULL;
        snprintf(clock, sizeof(clock), "%02d:%02d:%02d.%03d",
                 (int)(secs / 3600), (int)((secs / 60) % 60), (int)(secs % 60),
                 (int)((sn->vm_clock_nsec / 1000000) % 1000));
        if (sn->icount == UINT64_MAX) {
            icount[0] = 0;
        } else {
            snprintf(icount, sizeof(icount), "%" PRIu64, sn->icount);
        }
        g_autofree char *vs = img_size_to_str(sn->vm_state_size);
        printf("%-9s %-16s %8s%20s%13s%11s\n", sn->id_str, sn->name, vs, date,
               clock, icount);
    }
}

static void print_spec_value(json_t *v, int indent);

static void print_spec_object(json_t *obj, int indent)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        g_autofree char *k = g_strdup(key);
        for (char *p = k; *p; p++) {
            if (*p == '-') {
                *p = ' ';
            }
        }
        if (json_is_object(v) || json_is_array(v)) {
            printf("%*s%s:\n", indent, "", k);
            print_spec_value(v, indent + 4);
        } else {
            printf("%*s%s: ", indent, "", k);
            print_spec_value(v, indent);
        }
    }
}

static void print_spec_value(json_t *v, int indent)
{
    if (json_is_object(v)) {
        print_spec_object(v, indent);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (json_is_object(x) || json_is_array(x)) {
                printf("%*s[%zu]:\n", indent, "", i);
                print_spec_value(x, indent + 4);
            } else {
                printf("%*s[%zu]: ", indent, "", i);
                print_spec_value(x, indent);
            }
        }
    } else if (json_is_string(v)) {
        printf("%s\n", json_string_value(v));
    } else if (json_is_boolean(v)) {
        printf("%s\n", json_is_true(v) ? "true" : "false");
    } else if (json_is_integer(v)) {
        printf("%" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
    }
}

static void print_info_human(BlockDriverState *bs, json_t *info)
{
    g_autofree char *vs = img_size_to_str(bdrv_getlength(bs));
    printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRId64 " bytes)\n",
           bdrv_get_filename(bs), bdrv_get_format_name(bs), vs,
           bdrv_getlength(bs));
    json_t *a = json_object_get(info, "actual-size");
    if (a) {
        g_autofree char *ds = img_size_to_str(json_integer_value(a));
        printf("disk size: %s\n", ds);
    } else {
        printf("disk size: unavailable\n");
    }
    json_t *cs = json_object_get(info, "cluster-size");
    if (cs) {
        printf("cluster_size: %" JSON_INTEGER_FORMAT "\n",
               json_integer_value(cs));
    }
    if (json_is_true(json_object_get(info, "dirty-flag"))) {
        printf("cleanly shut down: no\n");
    }
    if (bdrv_backing_file(bs)[0]) {
        printf("backing file: %s", bdrv_backing_file(bs));
        if (strcmp(bdrv_backing_file(bs), bdrv_full_backing_filename(bs))) {
            printf(" (actual path: %s)", bdrv_full_backing_filename(bs));
        }
        printf("\n");
        if (bdrv_backing_format(bs)[0]) {
            printf("backing file format: %s\n", bdrv_backing_format(bs));
        }
    }
    QEMUSnapshotInfo *sns = NULL;
    int nsn = bdrv_snapshot_list(bs, &sns);
    if (nsn > 0) {
        printf("Snapshot list:\n");
        print_snapshot_table(sns, nsn);
    }
    g_free(sns);
    json_t *spec = json_object_get(info, "format-specific");
    if (spec) {
        printf("Format specific information:\n");
        print_spec_object(json_object_get(spec, "data"), 4);
    }
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    printf("%s\n", s);
    free(s);
}

static int img_info(int argc, char **argv)
{
    const char *fmt = NULL, *output = "human";
    bool chain = false, force_share = false;
    int c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},
        {"backing-chain", no_argument, 0, 'b'},
        {"force-share", no_argument, 0, 'U'},
        {"image-opts", no_argument, 0, 'I'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":f:hU", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'b':
            chain = true;
            break;
        case 'U':
            force_share = true;
            break;
        case 'h':
            help();
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
    bool json = !strcmp(output, "json");
    if (!json && strcmp(output, "human")) {
        error_report("--output must be used with human or json as argument.");
        return 1;
    }
    const char *filename = argv[optind];
    int flags = chain ? 0 : BDRV_O_NO_BACKING;
    BlockDriverState *top =
        img_open(filename, fmt, flags | BDRV_O_NO_IO, force_share, false);
    if (!top) {
        return 1;
    }
    json_t *arr = json_array();
    for (BlockDriverState *bs = top; bs; bs = chain ? bdrv_backing(bs) : NULL) {
        json_t *info = image_info(bs);
        if (json) {
            json_array_append(arr, info);
        } else {
            if (bs != top) {
                printf("\n");
            }
            print_info_human(bs, info);
        }
        json_decref(info);
    }
    if (json) {
        print_json(chain ? arr : json_array_get(arr, 0));
    }
    json_decref(arr);
    bdrv_unref(top);
    return 0;
}

/* ---- check ------------------------------------------------------------- */

static int run_check(BlockDriverState *bs, BdrvCheckMode fix,
                     BdrvCheckResult *res)
{
    memset(res, 0, sizeof(*res));
    res->log = g_string_new(NULL);
    int ret = bdrv_check(bs, res, fix);
    fputs(res->log->str, stderr);
    g_string_free(res->log, true);
    res->log = NULL;
    return ret;
}

static int img_check(int argc, char **argv)
{
    const char *fmt = NULL, *output = "human", *cache = NULL;
    bool quiet = false, force_share = false;
    BdrvCheckMode fix = BDRV_FIX_NONE;
    int c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"format", required_argument, 0, 'f'},
        {"repair", required_argument, 0, 'r'},
        {"output", required_argument, 0, 'o'},
        {"force-share", no_argument, 0, 'U'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":hf:r:T:qU", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                error_report("Unknown option value for -r (expecting "
                             "'leaks' or 'all'): %s",
                             optarg);
                return 1;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case 'T':
            cache = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            force_share = true;
            break;
        case 'h':
            help();
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
    bool json = !strcmp(output, "json");
    if (!json && strcmp(output, "human")) {
        error_report("--output must be used with human or json as argument.");
        return 1;
    }
    const char *filename = argv[optind];
    int flags = BDRV_O_NO_BACKING | BDRV_O_CHECK | (fix ? BDRV_O_RDWR : 0);
    if (cache && !img_parse_cache(cache, &flags)) {
        error_report("Invalid source cache option: %s", cache);
        return 1;
    }
    BlockDriverState *bs = img_open(filename, fmt, flags, force_share, quiet);
    if (!bs) {
        return 1;
    }
    if (!bdrv_can_check(bs)) {
        error_report("This image format does not support checks");
        bdrv_unref(bs);
        return 63;
    }
    BdrvCheckResult res, fixed = {0};
    /* Check (repairing), then check again when something was fixed. */
    int ret = run_check(bs, fix, &res);
    if (ret == 0 && (res.leaks_fixed || res.corruptions_fixed)) {
        fixed = res;
        if (!json && !quiet) {
            printf("The following inconsistencies were found and "
                   "repaired:\n\n"
                   "    %d leaked clusters\n"
                   "    %d corruptions\n\n"
                   "Double checking the fixed image now...\n",
                   fixed.leaks_fixed, fixed.corruptions_fixed);
        }
        ret = run_check(bs, BDRV_FIX_NONE, &res);
    }
    if (ret < 0) {
        error_report("Check failed: %s", strerror(-ret));
        bdrv_unref(bs);
        return 1;
    }
    if (json) {
        json_t *raw = json_object(), *o = json_object();
        if (res.image_end_offset) {
            json_object_set_new(raw, "image-end-offset",
                                json_integer(res.image_end_offset));
        }
        if (res.compressed_clusters) {
            json_object_set_new(raw, "compressed-clusters",
                                json_integer(res.compressed_clusters));
        }
        json_object_set_new(raw, "total-clusters",
                            json_integer(res.total_clusters));
        if (res.corruptions) {
            json_object_set_new(raw, "corruptions",
                                json_integer(res.corruptions));
        }
        json_object_set_new(raw, "check-errors",
                            json_integer(res.check_errors));
        if (res.leaks) {
            json_object_set_new(raw, "leaks", json_integer(res.leaks));
        }
        if (fixed.leaks_fixed) {
            json_object_set_new(raw, "leaks-fixed",
                                json_integer(fixed.leaks_fixed));
        }
        if (fixed.corruptions_fixed) {
            json_object_set_new(raw, "corruptions-fixed",
                                json_integer(fixed.corruptions_fixed));
        }
        if (res.allocated_clusters) {
            json_object_set_new(raw, "allocated-clusters",
                                json_integer(res.allocated_clusters));
        }
        json_object_set_new(raw, "filename", json_string(filename));
        json_object_set_new(raw, "format",
                            json_string(bdrv_get_format_name(bs)));
        if (res.fragmented_clusters) {
            json_object_set_new(raw, "fragmented-clusters",
                                json_integer(res.fragmented_clusters));
        }
        static const char *const order[] = {
            "image-end-offset",
            "compressed-clusters",
            "total-clusters",
            "corruptions",
            "corruptions-fixed",
            "check-errors",
            "leaks",
            "leaks-fixed",
            "allocated-clusters",
            "filename",
            "format",
            "fragmented-clusters",
            NULL,
        };
        json_set_ordered(o, raw, order);
        print_json(o);
        json_decref(raw);
        json_decref(o);
    } else if (!quiet) {
        if (!res.corruptions && !res.leaks && !res.check_errors) {
            printf("No errors were found on the image.\n");
        } else {
            if (res.corruptions) {
                printf("\n%d errors were found on the image.\n"
                       "Data may be corrupted, or further writes to the "
                       "image may corrupt it.\n",
                       res.corruptions);
            }
            if (res.leaks) {
                printf("\n%d leaked clusters were found on the image.\n"
                       "This means waste of disk space, but no harm to "
                       "data.\n",
                       res.leaks);
            }
            if (res.check_errors) {
                printf("\n%d internal errors have occurred during the "
                       "check.\n",
                       res.check_errors);
            }
        }
        if (res.total_clusters && res.allocated_clusters) {
            printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% "
                   "fragmented, %0.2f%% compressed clusters\n",
                   res.allocated_clusters, res.total_clusters,
                   res.allocated_clusters * 100.0 / res.total_clusters,
                   res.fragmented_clusters * 100.0 / res.allocated_clusters,
                   res.compressed_clusters * 100.0 / res.allocated_clusters);
        }
        if (res.image_end_offset) {
            printf("Image end offset: %" PRId64 "\n", res.image_end_offset);
        }
    }
    bdrv_unref(bs);
    if (res.check_errors) {
        return 1;
    }
    if (res.corruptions) {
        return 2;
    }
    if (res.leaks) {
        return 3;
    }
    return 0;
}

/* ---- map --------------------------------------------------------------- */

typedef struct MapEntry {
    uint64_t start, length, offset;
    bool has_offset, present, zero, data;
    int depth;
    BlockDriverState *file;
} MapEntry;

/* Prints one merged entry; false when human output cannot show it. */
static bool map_print(const MapEntry *e, bool json, bool *first)
{
    if (json) {
        printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64
               ", \"depth\": %d, \"present\": %s, \"zero\": %s, "
               "\"data\": %s",
               *first ? "[" : ",\n", e->start, e->length, e->depth,
               e->present ? "true" : "false", e->zero ? "true" : "false",
               e->data ? "true" : "false");
        if (e->has_offset) {
            printf(", \"offset\": %" PRIu64, e->offset);
        }
        printf("}");
        *first = false;
        return true;
    }
    if (*first) {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
        *first = false;
    }
    if (e->data && !e->zero) {
        if (!e->has_offset) {
            error_report("File contains external, encrypted or compressed "
                         "clusters.");
            return false;
        }
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", e->start,
               e->length, e->offset, bdrv_get_filename(e->file));
    }
    return true;
}

static int img_map(int argc, char **argv)
{
    const char *fmt = NULL, *output = "human";
    bool force_share = false;
    uint64_t start = 0, max_len = UINT64_MAX;
    int c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},
        {"start-offset", required_argument, 0, 's'},
        {"max-length", required_argument, 0, 'l'},
        {"force-share", no_argument, 0, 'U'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":f:hU", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 's':
            if (parse_size(optarg, &start) < 0) {
                error_report("Invalid start offset specified! You may use "
                             "k, M, G, T, P or E suffixes for ");
                return 1;
            }
            break;
        case 'l':
            if (parse_size(optarg, &max_len) < 0) {
                error_report("Invalid length specified! You may use k, M, "
                             "G, T, P or E suffixes for ");
                return 1;
            }
            break;
        case 'U':
            force_share = true;
            break;
        case 'h':
            help();
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
    bool json = !strcmp(output, "json");
    if (!json && strcmp(output, "human")) {
        error_report("--output must be used with human or json as argument.");
        return 1;
    }
    BlockDriverState *bs = img_open(argv[optind], fmt, 0, force_share, false);
    if (!bs) {
        return 1;
    }
    uint64_t len = bdrv_getlength(bs);
    uint64_t end = max_len == UINT64_MAX ? len : MIN(len, start + max_len);
    MapEntry cur = {0};
    bool have = false, first = true;
    int ret = 0;
    for (uint64_t off = start; off < end;) {
        uint64_t n, map = 0;
        BlockDriverState *file = NULL;
        int depth = 0;
        ret = bdrv_block_status_above(bs, NULL, off, MIN(end - off, 1ULL << 30),
                                      &n, &map, &file, &depth);
        if (ret < 0) {
            error_report("Could not read file metadata: %s", strerror(-ret));
            ret = -EIO;
            break;
        }
        MapEntry e = {
            .start = off,
            .length = n,
            .offset = map,
            .has_offset = !!(ret & BDRV_BLOCK_OFFSET_VALID),
            .present = !!(ret & BDRV_BLOCK_ALLOCATED),
            .zero = !!(ret & BDRV_BLOCK_ZERO),
            .data = !!(ret & BDRV_BLOCK_DATA),
            .depth = depth,
            .file = file,
        };
        /* Merge contiguous, equal entries. */
        if (have && cur.start + cur.length == e.start &&
            cur.has_offset == e.has_offset && cur.present == e.present &&
            cur.zero == e.zero && cur.data == e.data && cur.depth == e.depth &&
            cur.file == e.file &&
            (!e.has_offset || cur.offset + cur.length == e.offset)) {
            cur.length += e.length;
        } else {
            if (have && !map_print(&cur, json, &first)) {
                ret = -EINVAL;
                break;
            }
            cur = e;
            have = true;
        }
        off += n;
        ret = 0;
    }
    if (have && ret == 0 && !map_print(&cur, json, &first)) {
        ret = -EINVAL;
    }
    if (json) {
        printf("]\n");
    } else if (first) {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    }
    bdrv_unref(bs);
    return ret < 0 ? 1 : 0;
}

/* ---- resize ------------------------------------------------------------ */

static int img_resize(int argc, char **argv)
{
    const char *fmt = NULL, *prealloc_s = NULL;
    bool quiet = false, shrink = false;
    int c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"format", required_argument, 0, 'f'},
        {"preallocation", required_argument, 0, 'P'},
        {"shrink", no_argument, 0, 'S'},
        {"image-opts", no_argument, 0, 'I'},
        {0, 0, 0, 0},
    };
    if (argc < 3) {
        img_usage_error("Not enough arguments");
        return 1;
    }
    /* A leading '-' in the size is not an option. */
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && g_ascii_isdigit(argv[i][1]) && i == argc - 1) {
            argv[i][0] = '\x01';
        }
    }
    while ((c = getopt_long(argc, argv, ":f:hq", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'P':
            prealloc_s = optarg;
            break;
        case 'S':
            shrink = true;
            break;
        case 'h':
            help();
            return 0;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
    }
    if (optind != argc - 2) {
        img_usage_error("Expecting image file name and size");
        return 1;
    }
    const char *filename = argv[optind];
    char *size_s = argv[optind + 1];
    int rel = 0;
    if (size_s[0] == '+') {
        rel = 1;
        size_s++;
    } else if (size_s[0] == '\x01') {
        rel = -1;
        size_s++;
    }
    uint64_t n;
    if (parse_size(size_s, &n) < 0) {
        error_report("Invalid image size specified. You may use k, M, G, T, "
                     "P or E suffixes for ");
        error_report("kilobytes, megabytes, gigabytes, terabytes, petabytes "
                     "and exabytes.");
        return 1;
    }
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    Error *err = NULL;
    if (prealloc_s && !bdrv_parse_prealloc(prealloc_s, &prealloc, &err)) {
        error_report("Invalid preallocation mode '%s'", prealloc_s);
        error_free(err);
        return 1;
    }
    BlockDriverState *bs =
        img_open(filename, fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING, false, quiet);
    if (!bs) {
        return 1;
    }
    int64_t cur = bdrv_getlength(bs);
    int64_t total = rel == 1    ? cur + (int64_t)n
                    : rel == -1 ? cur - (int64_t)n
                                : (int64_t)n;
    int ret = 1;
    if (total < 0) {
        error_report("New image size must be positive");
        goto out;
    }
    if (total < cur && !shrink) {
        error_report("Use the --shrink option to perform a shrink "
                     "operation.");
        warn_report("Shrinking an image will delete all data beyond the "
                    "shrunken image's end. Before performing such an "
                    "operation, make sure there is no important data "
                    "there.");
        goto out;
    }
    if (total < cur && prealloc != PREALLOC_MODE_OFF) {
        error_report("Preallocation can only be used for growing images");
        goto out;
    }
    if (bdrv_truncate(bs, total, true, prealloc, &err) < 0) {
        error_report_err(err);
        goto out;
    }
    if (!quiet) {
        printf("Image resized.\n");
    }
    ret = 0;
out:
    bdrv_unref(bs);
    return ret;
}

/* ---- snapshot ---------------------------------------------------------- */

static int img_snapshot(int argc, char **argv)
{
    enum { NONE, LIST, APPLY, CREATE, DELETE } action = NONE;
    const char *name = NULL, *fmt = NULL;
    bool quiet = false, force_share = false;
    int c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"force-share", no_argument, 0, 'U'},
        {"image-opts", no_argument, 0, 'I'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":la:c:d:hqU", long_opts, NULL)) !=
           -1) {
        int a = NONE;
        switch (c) {
        case 'l':
            a = LIST;
            break;
        case 'a':
            a = APPLY;
            break;
        case 'c':
            a = CREATE;
            break;
        case 'd':
            a = DELETE;
            break;
        case 'f':
            fmt = optarg;
            continue;
        case 'q':
            quiet = true;
            continue;
        case 'U':
            force_share = true;
            continue;
        case 'h':
            help();
            return 0;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
        if (action != NONE) {
            error_report("Cannot mix '-l', '-a', '-c', '-d'");
            return 1;
        }
        action = a;
        name = a == LIST ? NULL : optarg;
    }
    if (optind != argc - 1) {
        img_usage_error("Expecting one image file name");
        return 1;
    }
    if (action == NONE) {
        action = LIST;
    }
    int flags =
        action == LIST ? BDRV_O_NO_BACKING : BDRV_O_RDWR | BDRV_O_NO_BACKING;
    BlockDriverState *bs = img_open(argv[optind], fmt, flags,
                                    action == LIST && force_share, quiet);
    if (!bs) {
        return 1;
    }
    Error *err = NULL;
    int ret = 0;
    switch (action) {
    case LIST: {
        QEMUSnapshotInfo *sns = NULL;
        int n = bdrv_snapshot_list(bs, &sns);
        if (n > 0) {
            printf("Snapshot list:\n");
            print_snapshot_table(sns, n);
        }
        g_free(sns);
        break;
    }
    case CREATE:
        ret = bdrv_snapshot_create(bs, name, &err);
        break;
    case APPLY:
        ret = bdrv_snapshot_goto(bs, name, &err);
        if (ret < 0 && ret == -ENOENT) {
            error_free(err);
            err = NULL;
            error_setg(&err,
                       "Could not apply snapshot '%s': Failed to load "
                       "snapshot: No such file or directory",
                       name);
        }
        break;
    case DELETE:
        ret = bdrv_snapshot_delete(bs, name, &err);
        break;
    default:
        break;
    }
    if (ret < 0) {
        error_report_err(err);
    }
    bdrv_unref(bs);
    return ret < 0 ? 1 : 0;
}

/* ---- amend, measure ---------------------------------------------------- */

static int img_amend(int argc, char **argv)
{
    const char *fmt = NULL, *cache = NULL;
    g_autofree char *options = NULL;
    bool quiet = false, force = false;
    int c, rc;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"force", no_argument, 0, 'F'},
        {"image-opts", no_argument, 0, 'I'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":ho:f:t:pq", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o': {
            char *n = options ? g_strdup_printf("%s,%s", options, optarg)
                              : g_strdup(optarg);
            g_free(options);
            options = n;
            break;
        }
        case 'f':
            fmt = optarg;
            break;
        case 't':
            cache = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'p':
            break;
        case 'F':
            force = true;
            break;
        case 'h':
            help();
            return 0;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
    }
    if (!options) {
        img_usage_error("Must specify options (-o)");
        return 1;
    }
    if (!strcmp(options, "help") && fmt) {
        parse_create_options(fmt, options, &rc);
        return rc;
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
    BlockDriverState *bs = img_open(argv[optind], fmt, flags, false, quiet);
    if (!bs) {
        return 1;
    }
    if (!bdrv_supports_amend(bs)) {
        error_report("Format driver '%s' does not support option amendment",
                     bdrv_get_format_name(bs));
        bdrv_unref(bs);
        return 1;
    }
    Opts *o = parse_create_options(bdrv_get_format_name(bs), options, &rc);
    if (!o) {
        bdrv_unref(bs);
        return rc;
    }
    Error *err = NULL;
    int ret = bdrv_amend(bs, o, force, &err);
    if (ret < 0) {
        error_report_err(err);
    }
    opts_free(o);
    bdrv_unref(bs);
    return ret < 0 ? 1 : 0;
}

static int img_measure(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw", *output = "human";
    g_autofree char *options = NULL;
    uint64_t size = 0;
    bool have_size = false, force_share = false;
    int c, rc;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"output", required_argument, 0, 'o' + 256},
        {"size", required_argument, 0, 's' + 256},
        {"force-share", no_argument, 0, 'U'},
        {"image-opts", no_argument, 0, 'I'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":hf:O:o:l:U", long_opts, NULL)) !=
           -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            break;
        case 'o': {
            char *n = options ? g_strdup_printf("%s,%s", options, optarg)
                              : g_strdup(optarg);
            g_free(options);
            options = n;
            break;
        }
        case 'U':
            force_share = true;
            break;
        case 'o' + 256:
            output = optarg;
            break;
        case 's' + 256:
            if (parse_size(optarg, &size) < 0) {
                error_report("Invalid image size specified. You may use k, "
                             "M, G, T, P or E suffixes for ");
                return 1;
            }
            have_size = true;
            break;
        case 'h':
            help();
            return 0;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
    }
    bool json = !strcmp(output, "json");
    if (!json && strcmp(output, "human")) {
        error_report("--output must be used with human or json as argument.");
        return 1;
    }
    if (have_size && optind < argc) {
        error_report("--size N cannot be used together with a filename.");
        return 1;
    }
    if (!have_size && optind != argc - 1) {
        error_report("Either --size N or one filename must be specified.");
        return 1;
    }
    Opts *o = parse_create_options(out_fmt, options, &rc);
    if (!o) {
        return rc;
    }
    BlockDriverState *in = NULL;
    if (!have_size) {
        in = img_open(argv[optind], fmt, 0, force_share, false);
        if (!in) {
            opts_free(o);
            return 1;
        }
        size = bdrv_getlength(in);
    }
    BlockMeasureInfo info = {0};
    Error *err = NULL;
    int ret = 0;
    if (!bdrv_measure(out_fmt, o, in, size, &info, &err)) {
        error_report_err(err);
        ret = 1;
    } else if (json) {
        json_t *j = json_object();
        if (info.has_bitmaps) {
            json_object_set_new(j, "bitmaps", json_integer(info.bitmaps));
        }
        json_object_set_new(j, "required", json_integer(info.required));
        json_object_set_new(j, "fully-allocated",
                            json_integer(info.fully_allocated));
        print_json(j);
        json_decref(j);
    } else {
        printf("required size: %" PRIu64 "\n", info.required);
        printf("fully allocated size: %" PRIu64 "\n", info.fully_allocated);
        if (info.has_bitmaps) {
            printf("bitmaps size: %" PRIu64 "\n", info.bitmaps);
        }
    }
    opts_free(o);
    bdrv_unref(in);
    return ret;
}

/* ---- main -------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} img_cmds[] = {
    {"amend", img_amend},
    {"bench", img_bench},
    {"bitmap", img_bitmap},
    {"check", img_check},
    {"commit", img_commit},
    {"compare", img_compare},
    {"convert", img_convert},
    {"create", img_create},
    {"dd", img_dd},
    {"info", img_info},
    {"map", img_map},
    {"measure", img_measure},
    {"snapshot", img_snapshot},
    {"rebase", img_rebase},
    {"resize", img_resize},
};

int main(int argc, char **argv)
{
    error_set_progname("qemu-img");
    if (argc < 2) {
        error_report("Not enough arguments");
        error_report("Try 'qemu-img --help' for more information");
        return 1;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        help();
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("qemu-img version " QEMU_VERSION_COMPAT
               " (Quasar " QUASAR_VERSION ")\n");
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(img_cmds); i++) {
        if (!strcmp(cmd, img_cmds[i].name)) {
            optind = 0;
            return img_cmds[i].fn(argc - 1, argv + 1);
        }
    }
    error_report("Command not found: %s", cmd);
    return 1;
}
