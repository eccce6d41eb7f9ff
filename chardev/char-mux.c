/*
 * mux: several front ends (a serial port and the monitor, typically) share
 * one backend.  Output from every front end goes through; input goes to
 * the front end with the focus.  Escape keys, as QEMU's (Ctrl-a then):
 *   h  print the help          x  quit ("QEMU: Terminated")
 *   c  next front end          b  send a break to the focused front end
 *   s  (save disk data: nothing to do without -snapshot)
 *   t  toggle "[hh:mm:ss.mmm] " stamps (time since the toggle) at the
 *      start of each output line
 *   C-a  send a literal Ctrl-a
 * Made by `-chardev BACKEND,mux=on,id=ID` (the backend is "ID-base") and by
 * the "mon:" prefix of legacy specs.  The front end that set its handlers
 * last has the focus, as in QEMU, so a serial port attached after the
 * monitor starts out with the keyboard.
 */
#include "chardev/char-internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include "system/runstate.h"

#define MUX_MAX_FE   4
#define MUX_BUF_SIZE 32   /* per front end, a power of two */
#define MUX_ESCAPE   0x01 /* Ctrl-a */

typedef struct MuxChardev {
    Chardev parent;
    CharFrontend base_fe; /* the mux as the backend's front end */
    CharFrontend *fes[MUX_MAX_FE];
    int count;
    int focus; /* index into fes, -1 before any front end attached */
    bool escape;
    bool ready; /* the front ends were told whether the backend is open */
    guint ready_idle;
    bool timestamps;
    bool line_start;      /* the next output byte starts a line */
    int64_t stamp_origin; /* g_get_monotonic_time() of the first stamp */
    uint8_t buf[MUX_MAX_FE][MUX_BUF_SIZE];
    unsigned prod[MUX_MAX_FE], cons[MUX_MAX_FE];
} MuxChardev;

static const char *const mux_help_lines[] = {
    "C-a h    print this help",
    "C-a x    exit emulator",
    "C-a s    save disk data back to file (if -snapshot)",
    "C-a t    toggle console timestamps",
    "C-a b    send break (magic sysrq)",
    "C-a c    switch between console and monitor",
    "C-a C-a  sends C-a",
};

static void mux_puts(MuxChardev *d, const char *s)
{
    chardev_write(d->parent.mux_base, (const uint8_t *)s, strlen(s), true);
}

static void mux_print_help(MuxChardev *d)
{
    /* Raw terminal: "\n\r" keeps the column at 0 with or without OPOST. */
    mux_puts(d, "\n\r");
    for (size_t i = 0; i < G_N_ELEMENTS(mux_help_lines); i++) {
        mux_puts(d, mux_help_lines[i]);
        mux_puts(d, "\n\r");
    }
}

static void mux_send_event(MuxChardev *d, int i, ChardevEvent ev)
{
    CharFrontend *fe = i >= 0 && i < d->count ? d->fes[i] : NULL;

    if (fe && fe->event) {
        fe->event(fe->opaque, ev);
    }
}

/* Hands buffered input to the focused front end while it takes it. */
static void mux_flush(MuxChardev *d)
{
    int i = d->focus;
    CharFrontend *fe;

    if (i < 0 || !(fe = d->fes[i]) || !fe->receive) {
        return;
    }
    while (d->cons[i] != d->prod[i]) {
        int room = fe->can_receive ? fe->can_receive(fe->opaque) : 1;
        uint8_t c;
        if (room <= 0) {
            break;
        }
        c = d->buf[i][d->cons[i]++ & (MUX_BUF_SIZE - 1)];
        fe->receive(fe->opaque, &c, 1);
        if (i != d->focus || d->fes[i] != fe) {
            break; /* the handler switched focus or detached */
        }
    }
}

static void mux_set_focus(MuxChardev *d, int i)
{
    if (d->focus >= 0) {
        mux_send_event(d, d->focus, CHR_EVENT_MUX_OUT);
    }
    d->focus = i;
    mux_send_event(d, i, CHR_EVENT_MUX_IN);
    mux_flush(d);
    if (d->parent.mux_base->drv->update_read) {
        d->parent.mux_base->drv->update_read(d->parent.mux_base);
    }
}

/* Returns whether c is for the focused front end. */
static bool mux_escape(MuxChardev *d, uint8_t c)
{
    if (!d->escape) {
        if (c == MUX_ESCAPE) {
            d->escape = true;
            return false;
        }
        return true;
    }
    d->escape = false;
    switch (c) {
    case 'h':
    case '?':
        mux_print_help(d);
        break;
    case 'x':
        mux_puts(d, "QEMU: Terminated\n\r");
        qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
        break;
    case 's':
        break; /* no -snapshot images to commit */
    case 't':
        d->timestamps = !d->timestamps;
        d->stamp_origin = -1;
        d->line_start = false; /* stamps start with the next line */
        break;
    case 'b':
        mux_send_event(d, d->focus, CHR_EVENT_BREAK);
        break;
    case 'c':
        if (d->count) {
            mux_set_focus(d, (d->focus + 1) % d->count);
        }
        break;
    case MUX_ESCAPE:
        return true;
    default:
        break;
    }
    return false;
}

static int mux_can_receive(void *opaque)
{
    MuxChardev *d = opaque;
    int i = d->focus;

    if (i < 0) {
        return 1; /* still watch for escapes */
    }
    return MUX_BUF_SIZE - (d->prod[i] - d->cons[i]);
}

static void mux_receive(void *opaque, const uint8_t *buf, int len)
{
    MuxChardev *d = opaque;

    for (int n = 0; n < len; n++) {
        int i = d->focus;
        if (!mux_escape(d, buf[n]) || i < 0) {
            continue;
        }
        if (d->prod[i] - d->cons[i] < MUX_BUF_SIZE) {
            d->buf[i][d->prod[i]++ & (MUX_BUF_SIZE - 1)] = buf[n];
        }
        mux_flush(d);
    }
}

static void mux_event(void *opaque, ChardevEvent ev)
{
    MuxChardev *d = opaque;

    if (!d->ready && (ev == CHR_EVENT_OPENED || ev == CHR_EVENT_CLOSED)) {
        return; /* mux_ready() tells the front ends */
    }
    if (ev == CHR_EVENT_OPENED) {
        d->parent.be_open = true;
    } else if (ev == CHR_EVENT_CLOSED) {
        d->parent.be_open = false;
    }
    for (int i = 0; i < d->count; i++) {
        mux_send_event(d, i, ev);
    }
}

int chardev_mux_write(Chardev *chr, const uint8_t *buf, int len, bool all)
{
    MuxChardev *d = (MuxChardev *)chr;
    int done = 0;

    if (!d->timestamps) {
        return chardev_write(chr->mux_base, buf, len, all);
    }
    while (done < len) {
        const uint8_t *nl = memchr(buf + done, '\n', len - done);
        int n = nl ? nl - (buf + done) + 1 : len - done;
        if (d->line_start) {
            int64_t now = g_get_monotonic_time() / 1000, ms;
            char stamp[32];
            if (d->stamp_origin < 0) {
                d->stamp_origin = now;
            }
            ms = now - d->stamp_origin;
            snprintf(stamp, sizeof(stamp), "[%02d:%02d:%02d.%03d] ",
                     (int)(ms / 3600000), (int)(ms / 60000 % 60),
                     (int)(ms / 1000 % 60), (int)(ms % 1000));
            mux_puts(d, stamp);
            d->line_start = false;
        }
        if (chardev_write(chr->mux_base, buf + done, n, true) < 0) {
            return done ? done : -1;
        }
        done += n;
        d->line_start = nl != NULL;
    }
    return done;
}

static bool mux_open(Chardev *chr, Opts *opts, Error **errp)
{
    ((MuxChardev *)chr)->focus = -1;
    chardev_set_filename(chr, "mux");
    return true;
}

static void mux_update_read(Chardev *chr)
{
    MuxChardev *d = (MuxChardev *)chr;

    mux_flush(d);
    if (chr->mux_base->drv->update_read) {
        chr->mux_base->drv->update_read(chr->mux_base);
    }
}

static bool mux_fe_attach(Chardev *chr, CharFrontend *fe, Error **errp)
{
    MuxChardev *d = (MuxChardev *)chr;

    if (d->count >= MUX_MAX_FE) {
        error_setg(errp, "too many uses of multiplexed chardev '%s'",
                   chr->label);
        return false;
    }
    fe->tag = d->count;
    d->fes[d->count++] = fe;
    return true;
}

static void mux_fe_handlers_set(Chardev *chr, CharFrontend *fe)
{
    MuxChardev *d = (MuxChardev *)chr;

    chr->fe_open = false;
    for (int i = 0; i < d->count; i++) {
        CharFrontend *f = d->fes[i];
        if (f && (f->receive || f->event)) {
            chr->fe_open = true;
        }
    }
}

static void mux_fe_detach(Chardev *chr, CharFrontend *fe)
{
    MuxChardev *d = (MuxChardev *)chr;

    if (fe->tag >= 0 && fe->tag < d->count && d->fes[fe->tag] == fe) {
        d->fes[fe->tag] = NULL;
        d->prod[fe->tag] = d->cons[fe->tag] = 0;
    }
    mux_fe_handlers_set(chr, fe);
}

static void mux_fe_focus(Chardev *chr, CharFrontend *fe)
{
    MuxChardev *d = (MuxChardev *)chr;

    if (fe->tag >= 0 && fe->tag != d->focus) {
        mux_set_focus(d, fe->tag);
    }
}

static void mux_close(Chardev *chr)
{
    MuxChardev *d = (MuxChardev *)chr;

    if (d->ready_idle) {
        g_source_remove(d->ready_idle);
    }
    if (chr->mux_base && chr->mux_base->fe == &d->base_fe) {
        chr->mux_base->fe = NULL;
    }
}

static const ChardevDriver mux_driver = {
    .name = "mux",
    .instance_size = sizeof(MuxChardev),
    .open = mux_open,
    .update_read = mux_update_read,
    .close = mux_close,
    .fe_attach = mux_fe_attach,
    .fe_detach = mux_fe_detach,
    .fe_handlers_set = mux_fe_handlers_set,
    .fe_focus = mux_fe_focus,
};
CHARDEV_DRIVER_REGISTER(mux_driver)

/*
 * Runs on the first main loop iteration, when the machine and every
 * front end exist: only now do they hear OPENED, as in QEMU.  So with
 * -nographic the serial port (attached last) has the focus and the
 * monitor's banner waits, held, until Ctrl-a c.
 */
static gboolean mux_ready(gpointer opaque)
{
    MuxChardev *d = opaque;

    d->ready = true;
    d->ready_idle = 0;
    if (d->parent.mux_base->be_open) {
        mux_event(d, CHR_EVENT_OPENED);
    }
    return G_SOURCE_REMOVE;
}

Chardev *chardev_mux_new(const char *label, Chardev *base, Error **errp)
{
    Chardev *chr = chardev_open_driver(&mux_driver, label, NULL, errp);
    MuxChardev *d = (MuxChardev *)chr;

    if (!chr) {
        return NULL;
    }
    chr->mux_base = base;
    if (!chr_fe_init(&d->base_fe, base, errp)) {
        return NULL;
    }
    chr_fe_set_handlers(&d->base_fe, mux_can_receive, mux_receive, mux_event,
                        d);
    d->ready_idle = g_idle_add(mux_ready, d);
    return chr;
}
