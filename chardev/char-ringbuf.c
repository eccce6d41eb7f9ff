/*
 * ringbuf backend (alias memory): output goes into a ring of size= bytes
 * (a power of two, default 64 KiB; the oldest bytes are overwritten), read
 * back with the ringbuf-read command.  Lets a test or a management tool
 * capture a serial console without a file or a socket:
 *
 *     -chardev ringbuf,id=con,size=1M -serial chardev:con
 *     {"execute": "ringbuf-read", "arguments": {"device": "con",
 *                                               "size": 4096}}
 *
 * ringbuf-write puts bytes into the same ring (as QEMU's does).  Both
 * commands live here, with the backend they serve.
 */
#include "chardev/char-internal.h"

#include <string.h>
#include "monitor/monitor.h"

#define RINGBUF_DEFAULT_SIZE (64 * 1024)

typedef struct RingbufChardev {
    Chardev parent;
    uint8_t *buf;
    size_t size; /* power of two */
    size_t prod, cons;
} RingbufChardev;

static const ChardevDriver ringbuf_driver, memory_driver;

static bool ringbuf_open(Chardev *chr, Opts *opts, Error **errp)
{
    RingbufChardev *s = (RingbufChardev *)chr;
    uint64_t size = opts_get_size(opts, "size", RINGBUF_DEFAULT_SIZE);

    if (!size || (size & (size - 1)) || size > (1ULL << 30)) {
        error_setg(errp, "size of ringbuf chardev must be power of two");
        return false;
    }
    s->size = size;
    s->buf = g_malloc0(size);
    chardev_set_filename(chr, "%s", chr->drv->name);
    chardev_be_event(chr, CHR_EVENT_OPENED);
    return true;
}

static int ringbuf_write(Chardev *chr, const uint8_t *buf, int len)
{
    RingbufChardev *s = (RingbufChardev *)chr;

    for (int i = 0; i < len; i++) {
        s->buf[s->prod++ & (s->size - 1)] = buf[i];
        if (s->prod - s->cons > s->size) {
            s->cons = s->prod - s->size; /* overwrite the oldest */
        }
    }
    return len;
}

static void ringbuf_close(Chardev *chr)
{
    g_free(((RingbufChardev *)chr)->buf);
}

static const OptDesc ringbuf_opts[] = {
    {"size", OPT_SIZE, "ring size, a power of two (default 64K)"}, {NULL}};

static const ChardevDriver ringbuf_driver = {
    .name = "ringbuf",
    .opts = ringbuf_opts,
    .instance_size = sizeof(RingbufChardev),
    .open = ringbuf_open,
    .write = ringbuf_write,
    .close = ringbuf_close,
};
CHARDEV_DRIVER_REGISTER(ringbuf_driver)

static const ChardevDriver memory_driver = {
    .name = "memory",
    .opts = ringbuf_opts,
    .instance_size = sizeof(RingbufChardev),
    .open = ringbuf_open,
    .write = ringbuf_write,
    .close = ringbuf_close,
};
CHARDEV_DRIVER_REGISTER(memory_driver)

/* ---- ringbuf-read / ringbuf-write ---- */

static RingbufChardev *ringbuf_find(json_t *args, Error **errp)
{
    const char *id = json_string_value(json_object_get(args, "device"));
    Chardev *chr = chardev_find(id);

    if (!chr) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found",
                  id);
        return NULL;
    }
    if (chr->drv != &ringbuf_driver && chr->drv != &memory_driver) {
        error_setg(errp, "%s is not a ringbuf device", id);
        return NULL;
    }
    return (RingbufChardev *)chr;
}

/* "utf8" (the default) or "base64"; returns -1 with errp set. */
static int ringbuf_format(json_t *args, Error **errp)
{
    const char *f = json_string_value(json_object_get(args, "format"));

    if (!f || !strcmp(f, "utf8")) {
        return 0;
    }
    if (!strcmp(f, "base64")) {
        return 1;
    }
    error_setg(errp, "Parameter 'format' does not accept value '%s'", f);
    return -1;
}

static json_t *qmp_ringbuf_write(json_t *args, Error **errp)
{
    RingbufChardev *s = ringbuf_find(args, errp);
    const char *data = json_string_value(json_object_get(args, "data"));
    int fmt = ringbuf_format(args, errp);
    g_autofree guchar *raw = NULL;
    gsize len;

    if (!s || fmt < 0) {
        return NULL;
    }
    if (fmt == 1) {
        raw = g_base64_decode(data, &len);
        ringbuf_write(&s->parent, raw, len);
    } else {
        ringbuf_write(&s->parent, (const uint8_t *)data, strlen(data));
    }
    return json_object();
}

static const MonitorArg ringbuf_write_args[] = {{"device", MON_ARG_STR},
                                                {"data", MON_ARG_REST},
                                                {"format", MON_ARG_STR, true},
                                                {NULL}};

static const MonitorCommand ringbuf_write_cmd = {
    .name = "ringbuf-write",
    .hmp_name = "ringbuf_write",
    .args = ringbuf_write_args,
    .hmp_params = "device data",
    .hmp_help = "Write to a ring buffer character device",
    .handler = qmp_ringbuf_write,
};
MONITOR_COMMAND_REGISTER(ringbuf_write_cmd)

static json_t *qmp_ringbuf_read(json_t *args, Error **errp)
{
    RingbufChardev *s = ringbuf_find(args, errp);
    json_int_t size = json_integer_value(json_object_get(args, "size"));
    int fmt = ringbuf_format(args, errp);
    g_autofree uint8_t *out = NULL;
    g_autofree char *text = NULL;
    size_t n;

    if (!s || fmt < 0) {
        return NULL;
    }
    if (size < 0) {
        error_setg(errp, "size must be greater than zero");
        return NULL;
    }
    n = MIN((size_t)size, s->prod - s->cons);
    out = g_malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        out[i] = s->buf[s->cons++ & (s->size - 1)];
    }
    out[n] = 0;
    if (fmt == 1) {
        text = g_base64_encode(out, n);
    } else {
        /* Invalid UTF-8 becomes U+FFFD, as QEMU's utf8 format does. */
        text = g_utf8_make_valid((const char *)out, n);
    }
    return json_string(text);
}

static void hmp_ringbuf_read(GString *out, json_t *ret, json_t *args)
{
    const char *s = json_string_value(ret);

    for (; s && *s; s++) {
        if ((unsigned char)*s < 0x20 && *s != '\n') {
            g_string_append_printf(out, "\\u%04X", *s);
        } else {
            g_string_append_c(out, *s);
        }
    }
    g_string_append_c(out, '\n');
}

static const MonitorArg ringbuf_read_args[] = {{"device", MON_ARG_STR},
                                               {"size", MON_ARG_INT},
                                               {"format", MON_ARG_STR, true},
                                               {NULL}};

static const MonitorCommand ringbuf_read_cmd = {
    .name = "ringbuf-read",
    .hmp_name = "ringbuf_read",
    .args = ringbuf_read_args,
    .hmp_params = "device size",
    .hmp_help = "Read from a ring buffer character device",
    .handler = qmp_ringbuf_read,
    .hmp_format = hmp_ringbuf_read,
};
MONITOR_COMMAND_REGISTER(ringbuf_read_cmd)
