/*
 * serial backend (alias tty): a host serial port or terminal device,
 * path=/dev/ttyS0, opened raw at 115200 8N1.  The legacy spec is the bare
 * device path ("-serial /dev/ttyUSB0").
 */
#include "chardev/char-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

typedef struct SerialChardev {
    Chardev parent;
    int fd;
    ChrFdWatch in;
} SerialChardev;

static void serial_hup(Chardev *chr)
{
    chardev_be_event(chr, CHR_EVENT_CLOSED);
}

static bool serial_open(Chardev *chr, Opts *opts, Error **errp)
{
    SerialChardev *s = (SerialChardev *)chr;
    const char *path = opts_get(opts, "path");
    struct termios tio;

    s->fd = -1;
    if (!path || !*path) {
        error_setg(errp, "chardev: serial/tty: no device path given");
        return false;
    }
    s->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (s->fd < 0) {
        error_setg_errno(errp, errno, "Could not open '%s'", path);
        return false;
    }
    if (tcgetattr(s->fd, &tio) == 0) {
        cfmakeraw(&tio);
        cfsetispeed(&tio, B115200);
        cfsetospeed(&tio, B115200);
        tio.c_cflag |= CLOCAL | CREAD;
        tio.c_cc[VMIN] = 1;
        tio.c_cc[VTIME] = 0;
        tcsetattr(s->fd, TCSANOW, &tio);
    }
    chr->write_fd = s->fd;
    chardev_set_filename(chr, "%s", path);
    chr_fd_watch_start(&s->in, chr, s->fd, serial_hup);
    chardev_be_event(chr, CHR_EVENT_OPENED);
    return true;
}

static int serial_write(Chardev *chr, const uint8_t *buf, int len)
{
    return chr_fd_write(((SerialChardev *)chr)->fd, buf, len);
}

static void serial_update_read(Chardev *chr)
{
    chr_fd_watch_update(&((SerialChardev *)chr)->in);
}

static void serial_close(Chardev *chr)
{
    SerialChardev *s = (SerialChardev *)chr;

    chr_fd_watch_stop(&s->in);
    if (s->fd >= 0) {
        close(s->fd);
    }
}

static const OptDesc serial_opts[] = {
    {"path", OPT_STRING, "host serial device"}, {NULL}};

static const ChardevDriver serial_driver = {
    .name = "serial",
    .opts = serial_opts,
    .instance_size = sizeof(SerialChardev),
    .open = serial_open,
    .write = serial_write,
    .update_read = serial_update_read,
    .close = serial_close,
};
CHARDEV_DRIVER_REGISTER(serial_driver)

static const ChardevDriver tty_driver = {
    .name = "tty",
    .opts = serial_opts,
    .instance_size = sizeof(SerialChardev),
    .open = serial_open,
    .write = serial_write,
    .update_read = serial_update_read,
    .close = serial_close,
};
CHARDEV_DRIVER_REGISTER(tty_driver)
