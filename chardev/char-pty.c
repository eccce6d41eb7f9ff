/*
 * pty backend: a pseudo-terminal whose slave side ("/dev/pts/N") a user
 * opens with screen/minicom/socat.  Prints "char device redirected to
 * /dev/pts/N (label ID)" on stderr, as QEMU does.
 *
 * The master reports POLLHUP while no one has the slave open; the backend
 * then counts as disconnected (output is dropped, nothing is read) and a
 * timer checks for a reader every PTY_POLL_MS.  A connect sends OPENED to
 * the front end, a hang-up CLOSED.
 */
#include "chardev/char-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#define PTY_POLL_MS 200

typedef struct PtyChardev {
    Chardev parent;
    int fd;
    bool connected;
    guint timer;
    ChrFdWatch in;
} PtyChardev;

static void pty_set_connected(PtyChardev *s, bool connected);

/* Whether someone has the slave side open now. */
static bool pty_slave_open(PtyChardev *s)
{
    struct pollfd pfd = {.fd = s->fd, .events = POLLIN};

    return poll(&pfd, 1, 0) >= 0 && !(pfd.revents & POLLHUP);
}

static gboolean pty_poll_timer(gpointer opaque)
{
    PtyChardev *s = opaque;

    if (pty_slave_open(s)) {
        s->timer = 0;
        pty_set_connected(s, true);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void pty_hup(Chardev *chr)
{
    pty_set_connected((PtyChardev *)chr, false);
}

static void pty_set_connected(PtyChardev *s, bool connected)
{
    Chardev *chr = &s->parent;

    if (s->connected == connected) {
        return;
    }
    s->connected = connected;
    if (connected) {
        chr_fd_watch_start(&s->in, chr, s->fd, pty_hup);
        chardev_be_event(chr, CHR_EVENT_OPENED);
    } else {
        chr_fd_watch_stop(&s->in);
        if (!s->timer) {
            s->timer = g_timeout_add(PTY_POLL_MS, pty_poll_timer, s);
        }
        chardev_be_event(chr, CHR_EVENT_CLOSED);
    }
}

static bool pty_open(Chardev *chr, Opts *opts, Error **errp)
{
    PtyChardev *s = (PtyChardev *)chr;
    struct termios tio;
    char name[256];
    int slave;

    s->fd = -1;
    cfmakeraw(&tio);
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    if (openpty(&s->fd, &slave, name, &tio, NULL) < 0) {
        error_setg_errno(errp, errno, "Failed to create PTY");
        return false;
    }
    close(slave);
    fcntl(s->fd, F_SETFD, FD_CLOEXEC);
    if (!chr_set_nonblock(s->fd, errp)) {
        return false;
    }
    chr->write_fd = s->fd;
    chardev_set_filename(chr, "pty:%s", name);
    fprintf(stderr, "char device redirected to %s (label %s)\n", name,
            chr->label);
    s->timer = g_timeout_add(PTY_POLL_MS, pty_poll_timer, s);
    return true;
}

static int pty_write(Chardev *chr, const uint8_t *buf, int len)
{
    PtyChardev *s = (PtyChardev *)chr;
    int n;

    if (!s->connected) {
        if (!pty_slave_open(s)) {
            return len; /* nobody listening: dropped, as QEMU does */
        }
        if (s->timer) {
            g_source_remove(s->timer);
            s->timer = 0;
        }
        pty_set_connected(s, true);
    }
    n = chr_fd_write(s->fd, buf, len);
    if (n < 0) {
        pty_set_connected(s, false);
        return len;
    }
    return n;
}

static void pty_update_read(Chardev *chr)
{
    chr_fd_watch_update(&((PtyChardev *)chr)->in);
}

static void pty_close(Chardev *chr)
{
    PtyChardev *s = (PtyChardev *)chr;

    chr_fd_watch_stop(&s->in);
    if (s->timer) {
        g_source_remove(s->timer);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
}

static const ChardevDriver pty_driver = {
    .name = "pty",
    .instance_size = sizeof(PtyChardev),
    .open = pty_open,
    .write = pty_write,
    .update_read = pty_update_read,
    .close = pty_close,
};
CHARDEV_DRIVER_REGISTER(pty_driver)
