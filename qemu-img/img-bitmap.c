/*
 * qemu-img bitmap: add, remove, clear, enable, disable and merge the
 * persistent dirty bitmaps of an image, in command-line order, as QEMU
 * 7.2 does (same options, messages and exit codes).
 *
 *   qemu-img bitmap (--merge SOURCE | --add | --remove | --clear |
 *                    --enable | --disable)... [-b source_file
 *                    [-F source_fmt]] [-g granularity] [-f fmt]
 *                    filename bitmap
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "qemu-img/qemu-img.h"
#include "util/cutils.h"
#include "util/error.h"

typedef struct BitmapAction {
    BdrvBitmapOp op;
    const char *src; /* --merge SOURCE */
} BitmapAction;

static const char *const op_names[] = {
    [BDRV_BITMAP_ADD] = "add",         [BDRV_BITMAP_REMOVE] = "remove",
    [BDRV_BITMAP_CLEAR] = "clear",     [BDRV_BITMAP_ENABLE] = "enable",
    [BDRV_BITMAP_DISABLE] = "disable", [BDRV_BITMAP_MERGE] = "merge",
};

enum {
    OPT_ADD = 256,
    OPT_REMOVE,
    OPT_CLEAR,
    OPT_ENABLE,
    OPT_DISABLE,
    OPT_MERGE,
    OPT_OBJECT,
    OPT_IMAGE_OPTS,
};

int img_bitmap(int argc, char **argv)
{
    const char *fmt = NULL, *src_file = NULL, *src_fmt = NULL;
    uint64_t granularity = 0;
    bool add = false, merge = false;
    g_autoptr(GArray) acts = g_array_new(FALSE, FALSE, sizeof(BitmapAction));
    int c;
    static const struct option long_opts[] = {
        {"help", no_argument, 0, 'h'},
        {"object", required_argument, 0, OPT_OBJECT},
        {"image-opts", no_argument, 0, OPT_IMAGE_OPTS},
        {"add", no_argument, 0, OPT_ADD},
        {"remove", no_argument, 0, OPT_REMOVE},
        {"clear", no_argument, 0, OPT_CLEAR},
        {"enable", no_argument, 0, OPT_ENABLE},
        {"disable", no_argument, 0, OPT_DISABLE},
        {"merge", required_argument, 0, OPT_MERGE},
        {"granularity", required_argument, 0, 'g'},
        {"source-file", required_argument, 0, 'b'},
        {"source-format", required_argument, 0, 'F'},
        {0, 0, 0, 0},
    };
    while ((c = getopt_long(argc, argv, ":b:f:F:g:h", long_opts, NULL)) != -1) {
        BitmapAction a = {0};
        switch (c) {
        case 'h':
            return 0;
        case 'b':
            src_file = optarg;
            break;
        case 'f':
            fmt = optarg;
            break;
        case 'F':
            src_fmt = optarg;
            break;
        case 'g':
            if (parse_size(optarg, &granularity) < 0 ||
                granularity > INT64_MAX) {
                error_report("Invalid granularity specified. You may use k, "
                             "M, G, T, P or E suffixes for");
                error_report("kilobytes, megabytes, gigabytes, terabytes, "
                             "petabytes and exabytes.");
                return 1;
            }
            break;
        case OPT_ADD:
        case OPT_REMOVE:
        case OPT_CLEAR:
        case OPT_ENABLE:
        case OPT_DISABLE:
        case OPT_MERGE:
            a.op = (BdrvBitmapOp)(c - OPT_ADD);
            a.src = c == OPT_MERGE ? optarg : NULL;
            add |= c == OPT_ADD;
            merge |= c == OPT_MERGE;
            g_array_append_val(acts, a);
            break;
        case OPT_OBJECT:
        case OPT_IMAGE_OPTS:
            error_report("--object and --image-opts are not supported");
            return 1;
        case ':':
            img_usage_error("option '%s' requires an argument",
                            argv[optind - 1]);
            return 1;
        default:
            img_usage_error("unrecognized option '%s'", argv[optind - 1]);
            return 1;
        }
    }
    if (!acts->len) {
        error_report("Need at least one of --add, --remove, --clear, "
                     "--enable, --disable, or --merge");
        return 1;
    }
    if (granularity && !add) {
        error_report("granularity only supported with --add");
        return 1;
    }
    if (src_fmt && !src_file) {
        error_report("-F only supported with -b");
        return 1;
    }
    if (src_file && !merge) {
        error_report("Merge bitmap source file only supported with --merge");
        return 1;
    }
    if (optind != argc - 2) {
        error_report("Expecting filename and bitmap name");
        return 1;
    }
    const char *filename = argv[optind];
    const char *bitmap = argv[optind + 1];
    BlockDriverState *bs = img_open(filename, fmt, BDRV_O_RDWR, false, false);
    if (!bs) {
        return 1;
    }
    int ret = 0;
    for (guint i = 0; i < acts->len && ret == 0; i++) {
        BitmapAction *a = &g_array_index(acts, BitmapAction, i);
        BlockDriverState *src = NULL;
        Error *err = NULL;
        if (a->op == BDRV_BITMAP_MERGE && src_file) {
            src = bdrv_open(src_file, src_fmt, BDRV_O_NO_BACKING, &err);
            if (!src) {
                /* QEMU names the file twice here. */
                error_report("Could not open '%s': %s", src_file,
                             error_get_pretty(err));
                error_free(err);
                ret = 1;
                break;
            }
        }
        if (bdrv_bitmap_op(bs, a->op, bitmap,
                           a->op == BDRV_BITMAP_ADD ? granularity : 0, src,
                           a->src, &err) < 0) {
            error_report("Operation %s on bitmap %s failed: %s",
                         op_names[a->op], bitmap, error_get_pretty(err));
            error_free(err);
            ret = 1;
        }
        bdrv_unref(src);
    }
    bdrv_unref(bs);
    return ret;
}
