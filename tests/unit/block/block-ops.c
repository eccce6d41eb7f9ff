/*
 * block-ops: a test helper (not a unit test) that applies the requests
 * named on its command line to an image through Quasar's block layer, in
 * order, so that tests can make the same image with Quasar and with
 * Debian's qemu-io and compare them.
 *
 *   block-ops IMAGE FORMAT OP...
 *     w:OFF:LEN:BYTE   write LEN bytes of BYTE at OFF   (qemu-io write -P)
 *     z:OFF:LEN        write zeroes                      (write -z)
 *     u:OFF:LEN        write zeroes, may unmap           (write -z -u)
 *     d:OFF:LEN        discard                           (discard)
 *     c:OFF:LEN:BYTE   compressed write                  (write -c -P)
 * Numbers take the k/M/G suffixes.  Exits 1 on the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block/block.h"
#include "util/cutils.h"

static bool num(const char *s, uint64_t *v)
{
    return parse_size(s, v) == 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: block-ops IMAGE FORMAT OP...\n");
        return 2;
    }
    error_set_progname("block-ops");
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(argv[1], argv[2], BDRV_O_RDWR, &err);
    if (!bs) {
        error_report_err(err);
        return 1;
    }
    int rc = 0;
    for (int i = 3; i < argc && rc == 0; i++) {
        g_auto(GStrv) f = g_strsplit(argv[i], ":", 0);
        guint n = g_strv_length(f);
        uint64_t off = 0, len = 0, byte = 0;
        if (n < 3 || strlen(f[0]) != 1 || !num(f[1], &off) ||
            !num(f[2], &len) || (n > 3 && !num(f[3], &byte))) {
            fprintf(stderr, "block-ops: bad op '%s'\n", argv[i]);
            rc = 2;
            break;
        }
        int ret;
        switch (f[0][0]) {
        case 'w':
        case 'c': {
            g_autofree uint8_t *buf = g_malloc(len ? len : 1);
            memset(buf, (int)byte, len);
            ret = f[0][0] == 'w' ? bdrv_pwrite(bs, off, len, buf, 0)
                                 : bdrv_pwrite_compressed(bs, off, len, buf);
            break;
        }
        case 'z':
        case 'u':
            ret = bdrv_pwrite_zeroes(bs, off, len,
                                     f[0][0] == 'u' ? BDRV_REQ_MAY_UNMAP : 0);
            break;
        case 'd':
            ret = bdrv_discard(bs, off, len);
            break;
        default:
            ret = -EINVAL;
        }
        if (ret < 0) {
            fprintf(stderr, "block-ops: %s: %s\n", argv[i], strerror(-ret));
            rc = 1;
        }
    }
    bdrv_unref(bs);
    return rc;
}
