/*
 * file backend: output goes to path= (truncated, or appended with
 * append=on); there is no input.  The legacy spec is "file:PATH".
 */
#include "chardev/char-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

typedef struct FileChardev {
    Chardev parent;
    int fd;
} FileChardev;

static bool file_open(Chardev *chr, Opts *opts, Error **errp)
{
    FileChardev *s = (FileChardev *)chr;
    const char *path = opts_get(opts, "path");
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC;

    s->fd = -1;
    if (!path || !*path) {
        error_setg(errp, "chardev: file: no filename given");
        return false;
    }
    flags |= opts_get_bool(opts, "append", false) ? O_APPEND : O_TRUNC;
    s->fd = open(path, flags, 0666);
    if (s->fd < 0) {
        error_setg_errno(errp, errno, "Could not open '%s'", path);
        return false;
    }
    chr->write_fd = s->fd;
    chardev_set_filename(chr, "file");
    chardev_be_event(chr, CHR_EVENT_OPENED);
    return true;
}

static int file_write(Chardev *chr, const uint8_t *buf, int len)
{
    return chr_fd_write(((FileChardev *)chr)->fd, buf, len);
}

static void file_close(Chardev *chr)
{
    FileChardev *s = (FileChardev *)chr;

    if (s->fd >= 0) {
        close(s->fd);
    }
}

static const OptDesc file_opts[] = {
    {"path", OPT_STRING, "file to write to"},
    {"append", OPT_BOOL, "append instead of truncating (default off)"},
    {NULL}};

static const ChardevDriver file_driver = {
    .name = "file",
    .opts = file_opts,
    .instance_size = sizeof(FileChardev),
    .open = file_open,
    .write = file_write,
    .close = file_close,
};
CHARDEV_DRIVER_REGISTER(file_driver)
