/*
 * pipe backend: path=P uses the named pipes P.in (input) and P.out
 * (output) when both exist, else P for both directions.  They are opened
 * read-write so that the open does not wait for a peer and a peer closing
 * its end is not an end of input.  The legacy spec is "pipe:PATH".
 */
#include "chardev/char-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

typedef struct PipeChardev {
    Chardev parent;
    int fd_in, fd_out;
    ChrFdWatch in;
} PipeChardev;

static void pipe_hup(Chardev *chr)
{
    chardev_be_event(chr, CHR_EVENT_CLOSED);
}

static bool pipe_open(Chardev *chr, Opts *opts, Error **errp)
{
    PipeChardev *s = (PipeChardev *)chr;
    const char *path = opts_get(opts, "path");
    g_autofree char *in = NULL, *out = NULL;

    s->fd_in = s->fd_out = -1;
    if (!path || !*path) {
        error_setg(errp, "chardev: pipe: no device path given");
        return false;
    }
    in = g_strdup_printf("%s.in", path);
    out = g_strdup_printf("%s.out", path);
    s->fd_in = open(in, O_RDWR | O_CLOEXEC);
    s->fd_out = open(out, O_RDWR | O_CLOEXEC);
    if (s->fd_in < 0 || s->fd_out < 0) {
        if (s->fd_in >= 0) {
            close(s->fd_in);
        }
        if (s->fd_out >= 0) {
            close(s->fd_out);
        }
        s->fd_in = s->fd_out = open(path, O_RDWR | O_CLOEXEC);
        if (s->fd_in < 0) {
            error_setg_errno(errp, errno, "Could not open '%s'", path);
            return false;
        }
    }
    if (!chr_set_nonblock(s->fd_out, errp)) {
        return false;
    }
    chr->write_fd = s->fd_out;
    chardev_set_filename(chr, "pipe");
    chr_fd_watch_start(&s->in, chr, s->fd_in, pipe_hup);
    chardev_be_event(chr, CHR_EVENT_OPENED);
    return true;
}

static int pipe_write(Chardev *chr, const uint8_t *buf, int len)
{
    return chr_fd_write(((PipeChardev *)chr)->fd_out, buf, len);
}

static void pipe_update_read(Chardev *chr)
{
    chr_fd_watch_update(&((PipeChardev *)chr)->in);
}

static void pipe_close(Chardev *chr)
{
    PipeChardev *s = (PipeChardev *)chr;

    chr_fd_watch_stop(&s->in);
    if (s->fd_out >= 0 && s->fd_out != s->fd_in) {
        close(s->fd_out);
    }
    if (s->fd_in >= 0) {
        close(s->fd_in);
    }
}

static const OptDesc pipe_opts[] = {
    {"path", OPT_STRING, "named pipe (or PATH.in + PATH.out)"}, {NULL}};

static const ChardevDriver pipe_driver = {
    .name = "pipe",
    .opts = pipe_opts,
    .instance_size = sizeof(PipeChardev),
    .open = pipe_open,
    .write = pipe_write,
    .update_read = pipe_update_read,
    .close = pipe_close,
};
CHARDEV_DRIVER_REGISTER(pipe_driver)
