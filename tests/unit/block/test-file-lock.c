/*
 * The file protocol's image locks (QEMU's byte layout, OFD locks): a
 * second writer and a reader of a written image are refused with QEMU's
 * messages; readers share; -U (force share) takes no lock.  OFD locks
 * belong to the open file description, so one process sees the conflict.
 */
#include <string.h>
#include <glib/gstdio.h>
#include "block/block.h"

static char *path;

static BlockDriverState *try_open(int flags, char **msg)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, "raw", flags, &err);
    if (!bs) {
        *msg = g_strdup(error_get_pretty(err));
        error_free(err);
    }
    return bs;
}

static void test_locks(void)
{
    char *msg = NULL;
    BlockDriverState *w = try_open(BDRV_O_RDWR, &msg);
    g_assert_nonnull(w);

    g_assert_null(try_open(BDRV_O_RDWR, &msg));
    g_assert_nonnull(strstr(msg, "Failed to get \"write\" lock"));
    g_assert_nonnull(strstr(msg, "Is another process using the image"));
    g_free(msg);
    g_assert_null(try_open(0, &msg));
    g_assert_nonnull(strstr(msg, "Failed to get shared \"write\" lock"));
    g_free(msg);
    BlockDriverState *u = try_open(BDRV_O_FORCE_SHARE, &msg);
    g_assert_nonnull(u);
    bdrv_unref(u);
    bdrv_unref(w);

    /* Readers share with readers, and keep writers out. */
    BlockDriverState *r1 = try_open(0, &msg);
    BlockDriverState *r2 = try_open(0, &msg);
    g_assert_nonnull(r1);
    g_assert_nonnull(r2);
    g_assert_null(try_open(BDRV_O_RDWR, &msg));
    g_free(msg);
    bdrv_unref(r1);
    bdrv_unref(r2);
    w = try_open(BDRV_O_RDWR, &msg);
    g_assert_nonnull(w);
    bdrv_unref(w);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autofree char *dir = g_dir_make_tmp("quasar-lock-XXXXXX", NULL);
    path = g_build_filename(dir, "img.raw", NULL);
    g_assert_true(g_file_set_contents(path, "0123456789", 10, NULL));
    g_test_add_func("/block/file/locks", test_locks);
    int ret = g_test_run();
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    return ret;
}
