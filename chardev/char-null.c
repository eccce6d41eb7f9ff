/*
 * null backend: output is discarded, input never arrives.  Also what the
 * legacy "vc" spec becomes when there is no display.
 */
#include "chardev/char-internal.h"

static bool null_open(Chardev *chr, Opts *opts, Error **errp)
{
    chardev_set_filename(chr, "null");
    chardev_be_event(chr, CHR_EVENT_OPENED);
    return true;
}

static int null_write(Chardev *chr, const uint8_t *buf, int len)
{
    return len;
}

static const ChardevDriver null_driver = {
    .name = "null",
    .instance_size = sizeof(Chardev),
    .open = null_open,
    .write = null_write,
};
CHARDEV_DRIVER_REGISTER(null_driver)
