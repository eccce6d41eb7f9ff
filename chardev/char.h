/*
 * Character devices: host-side byte streams for serial ports, monitors,
 * qtest and debug consoles.
 *
 * A Chardev is a backend (stdio, file, pipe, pty, null, socket, mux) made
 * from `-chardev BACKEND,id=ID,...` or from the legacy short forms that
 * -serial/-monitor/-qmp take ("stdio", "mon:stdio", "unix:PATH,server=on",
 * "tcp:HOST:PORT,server,nowait", "file:PATH", "pipe:PATH", "pty", "null",
 * "none").  A front end (a UART, a monitor) attaches a CharFrontend:
 *
 *     if (!chr_fe_init(&s->chr, chr, errp)) return false;
 *     chr_fe_set_handlers(&s->chr, uart_can_receive, uart_receive,
 *                         uart_event, s);
 *     chr_fe_write_all(&s->chr, &byte, 1);
 *
 * Input arrives on the main loop: can_receive says how many bytes the front
 * end takes now (0 = hold; the backend stops reading and retries when the
 * front end calls chr_fe_accept_input()).  A mux chardev (mon:stdio,
 * -nographic, mux=on) lets several front ends share one backend; Ctrl-a c
 * switches between them, Ctrl-a x quits, Ctrl-a h prints help.
 * The stdio backend puts the terminal in raw mode and restores it on every
 * exit path (atexit, exit notifiers, fatal signals).
 */
#ifndef CHARDEV_CHAR_H
#define CHARDEV_CHAR_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <glib-unix.h>
#include "util/error.h"
#include "util/option.h"

typedef struct Chardev Chardev;

typedef enum ChardevEvent {
    CHR_EVENT_BREAK,   /* serial break (Ctrl-a b) */
    CHR_EVENT_OPENED,  /* a client connected / the backend became usable */
    CHR_EVENT_MUX_IN,  /* this mux front end got the focus */
    CHR_EVENT_MUX_OUT, /* ... lost it */
    CHR_EVENT_CLOSED,  /* the client went away */
} ChardevEvent;

typedef int ChrCanReceive(void *opaque);
typedef void ChrReceive(void *opaque, const uint8_t *buf, int size);
typedef void ChrEvent(void *opaque, ChardevEvent event);

typedef struct CharFrontend {
    Chardev *chr;
    ChrCanReceive *can_receive;
    ChrReceive *receive;
    ChrEvent *event;
    void *opaque;
    int tag; /* index among a mux's front ends, -1 if not muxed */
} CharFrontend;

/* -chardev: opts has "backend" (implied key), "id" and backend keys. */
Chardev *chardev_new_from_opts(Opts *opts, Error **errp);
/*
 * Legacy forms for -serial/-monitor/-qmp/-qtest: label becomes the id
 * ("serial0", "compat_monitor0").  "none" returns NULL without error;
 * *is_none is set then.  Also "null", "vc" (= null: no display), "stdio",
 * "pty", "file:PATH", "pipe:PATH", "unix:PATH[,opts]", "tcp:HOST:PORT[,opts]",
 * "telnet:HOST:PORT[,opts]", "/dev/DEVICE" (serial backend) and
 * "chardev:ID" (an existing chardev).  "mon:SPEC" makes SPEC a mux
 * (stdio then defaults to signal=off); the caller attaches the monitor.
 */
Chardev *chardev_new_from_spec(const char *label, const char *spec,
                               bool *is_none, Error **errp);
Chardev *chardev_find(const char *id);
const char *chardev_label(const Chardev *chr);
/* QMP query-chardev "filename", e.g. "stdio", "unix:/tmp/q.sock,server=on". */
const char *chardev_filename(const Chardev *chr);
bool chardev_is_mux(const Chardev *chr);
/* Calls fn for every chardev in creation order. */
void chardev_foreach(void (*fn)(Chardev *chr, void *opaque), void *opaque);
/* Whether some front end is attached and the backend is open. */
bool chardev_frontend_open(const Chardev *chr);
void chardev_info(GString *out); /* `info chardev` */
/*
 * chardev-remove: closes and frees one chardev (with a mux, its backend
 * too).  Fails when a front end is attached ("Chardev 'x' is busy").
 */
bool chardev_remove(const char *id, Error **errp);
/* Closes and frees every chardev (process exit). */
void chardev_cleanup_all(void);
/* `-chardev help` */
void chardev_print_help(GString *out);
/* Every backend name (QMP query-chardev-backends). */
void chardev_backend_foreach(void (*fn)(const char *name, void *opaque),
                             void *opaque);

/* Front-end API. */
bool chr_fe_init(CharFrontend *fe, Chardev *chr, Error **errp);
void chr_fe_deinit(CharFrontend *fe);
void chr_fe_set_handlers(CharFrontend *fe, ChrCanReceive *can_receive,
                         ChrReceive *receive, ChrEvent *event, void *opaque);
/* Whether a chardev is attached. */
bool chr_fe_backend_connected(const CharFrontend *fe);
/*
 * Writes without blocking the caller for long; returns bytes written
 * (maybe fewer than len, 0 when the backend is full) or -1.  write_all
 * retries until everything is written, the peer is gone, or it took
 * nothing for 10 s.  Writes with no backend attached succeed and are
 * dropped; so are writes to an unconnected socket or pty.
 */
int chr_fe_write(CharFrontend *fe, const uint8_t *buf, int len);
int chr_fe_write_all(CharFrontend *fe, const uint8_t *buf, int len);
void chr_fe_printf(CharFrontend *fe, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/*
 * Calls fn (on the main loop) when the backend's output fd reports cond,
 * G_IO_OUT to resume after a short chr_fe_write.  Returns the glib source
 * id, or 0 when the backend has no such fd (its writes never fall short).
 */
guint chr_fe_add_watch(CharFrontend *fe, GIOCondition cond,
                       GUnixFDSourceFunc fn, void *opaque);
/* The front end can take input again after returning 0 from can_receive. */
void chr_fe_accept_input(CharFrontend *fe);
/* Socket backends: drop the client connection. */
void chr_fe_disconnect(CharFrontend *fe);
/* mux: give this front end the focus. */
void chr_fe_take_focus(CharFrontend *fe);

#endif
