/*
 * Chardev core: the backend registry, -chardev and legacy spec parsing,
 * the front-end API, fd watches, `info chardev` and `-chardev help`.
 *
 * Every chardev lives in one list in creation order (that is the order
 * `info chardev` and query-chardev print).  A backend file registers a
 * ChardevDriver (char-internal.h); this file never knows a backend's
 * internals.  `mux=on` builds two chardevs: the backend, labelled
 * "ID-base", and the mux "ID" on top of it (char-mux.c), as QEMU names them.
 */
#include "chardev/char-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>

/* write_all gives up on a peer that takes nothing for this long. */
#define CHR_WRITE_STALL_S 10

static GPtrArray *drivers;  /* of const ChardevDriver * */
static GPtrArray *chardevs; /* of Chardev *, creation order */

/* Keys every backend accepts. */
static const OptDesc common_opts[] = {
    {"id", OPT_STRING},      {"backend", OPT_STRING}, {"mux", OPT_BOOL},
    {"logfile", OPT_STRING}, {"logappend", OPT_BOOL}, {NULL}};

void chardev_driver_register(const ChardevDriver *drv)
{
    if (!drivers) {
        drivers = g_ptr_array_new();
    }
    g_ptr_array_add(drivers, (gpointer)drv);
}

static const ChardevDriver *driver_find(const char *name)
{
    for (guint i = 0; drivers && i < drivers->len; i++) {
        const ChardevDriver *drv = g_ptr_array_index(drivers, i);
        if (!strcmp(drv->name, name)) {
            return drv;
        }
    }
    return NULL;
}

static gint driver_cmp(gconstpointer a, gconstpointer b)
{
    const ChardevDriver *da = *(const ChardevDriver *const *)a;
    const ChardevDriver *db = *(const ChardevDriver *const *)b;

    return strcmp(da->name, db->name);
}

void chardev_backend_foreach(void (*fn)(const char *name, void *opaque),
                             void *opaque)
{
    for (guint i = 0; drivers && i < drivers->len; i++) {
        const ChardevDriver *drv = g_ptr_array_index(drivers, i);
        fn(drv->name, opaque);
    }
}

void chardev_print_help(GString *out)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();

    for (guint i = 0; drivers && i < drivers->len; i++) {
        g_ptr_array_add(sorted, g_ptr_array_index(drivers, i));
    }
    g_ptr_array_sort(sorted, driver_cmp);
    g_string_append(out, "Available chardev backend types: \n");
    for (guint i = 0; i < sorted->len; i++) {
        const ChardevDriver *drv = g_ptr_array_index(sorted, i);
        g_string_append_printf(out, "  %s\n", drv->name);
    }
}

/* ---- lookup and listing ---- */

Chardev *chardev_find(const char *id)
{
    for (guint i = 0; chardevs && i < chardevs->len; i++) {
        Chardev *chr = g_ptr_array_index(chardevs, i);
        if (!strcmp(chr->label, id)) {
            return chr;
        }
    }
    return NULL;
}

const char *chardev_label(const Chardev *chr)
{
    return chr->label;
}

const char *chardev_filename(const Chardev *chr)
{
    return chr->filename ? chr->filename : chr->drv->name;
}

bool chardev_is_mux(const Chardev *chr)
{
    return chr->mux_base != NULL;
}

bool chardev_frontend_open(const Chardev *chr)
{
    return chr->fe_open;
}

void chardev_foreach(void (*fn)(Chardev *chr, void *opaque), void *opaque)
{
    for (guint i = 0; chardevs && i < chardevs->len; i++) {
        fn(g_ptr_array_index(chardevs, i), opaque);
    }
}

void chardev_info(GString *out)
{
    for (guint i = 0; chardevs && i < chardevs->len; i++) {
        Chardev *chr = g_ptr_array_index(chardevs, i);
        g_string_append_printf(out, "%s: filename=%s\n", chr->label,
                               chardev_filename(chr));
    }
}

void chardev_set_filename(Chardev *chr, const char *fmt, ...)
{
    va_list ap;

    g_free(chr->filename);
    va_start(ap, fmt);
    chr->filename = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

/* ---- creation ---- */

/*
 * Checks every key against the common and the backend's tables.  QEMU's old
 * "nowait"/"nodelay" spelling (a bare "noKEY") becomes KEY=off.
 */
static bool chardev_check_opts(const ChardevDriver *drv, Opts *opts,
                               Error **errp)
{
    for (unsigned i = 0; i < opts_count(opts); i++) {
        const char *key = opts_key_at(opts, i);
        const char *val = opts_value_at(opts, i);
        const OptDesc *d = NULL;

        for (const OptDesc *t = common_opts; t->name && !d; t++) {
            d = !strcmp(t->name, key) ? t : NULL;
        }
        for (const OptDesc *t = drv->opts; t && t->name && !d; t++) {
            d = !strcmp(t->name, key) ? t : NULL;
        }
        if (!d && g_str_has_prefix(key, "no") && !strcmp(val, "on")) {
            for (const OptDesc *t = drv->opts; t && t->name; t++) {
                if (t->type == OPT_BOOL && !strcmp(t->name, key + 2) &&
                    !opts_has(opts, key + 2)) {
                    g_autofree char *k = g_strdup(key + 2);
                    opts_del(opts, key);
                    opts_set(opts, k, "off");
                    return chardev_check_opts(drv, opts, errp);
                }
            }
        }
        if (!d) {
            error_setg(errp, "Invalid parameter '%s'", key);
            return false;
        }
        if (!opt_check_value(key, d->type, val, errp)) {
            return false;
        }
    }
    return true;
}

static void chardev_free(Chardev *chr)
{
    if (chr->drv->close) {
        chr->drv->close(chr);
    }
    if (chr->log_fd >= 0) {
        close(chr->log_fd);
    }
    g_free(chr->label);
    g_free(chr->filename);
    g_free(chr);
}

Chardev *chardev_open_driver(const ChardevDriver *drv, const char *label,
                             Opts *opts, Error **errp)
{
    Chardev *chr = g_malloc0(drv->instance_size);
    const char *logfile = opts ? opts_get(opts, "logfile") : NULL;

    chr->drv = drv;
    chr->label = g_strdup(label);
    chr->write_fd = -1;
    chr->log_fd = -1;
    if (logfile) {
        int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
        flags |= opts_get_bool(opts, "logappend", false) ? O_APPEND : O_TRUNC;
        chr->log_fd = open(logfile, flags, 0666);
        if (chr->log_fd < 0) {
            error_setg_errno(errp, errno, "Could not open '%s'", logfile);
            chardev_free(chr);
            return NULL;
        }
    }
    if (!chardevs) {
        chardevs = g_ptr_array_new();
    }
    /* Listed before open() so that open may report OPENED. */
    g_ptr_array_add(chardevs, chr);
    if (!drv->open(chr, opts, errp)) {
        g_ptr_array_remove(chardevs, chr);
        chr->drv = drv;
        chardev_free(chr);
        return NULL;
    }
    return chr;
}

Chardev *chardev_new_from_opts(Opts *opts, Error **errp)
{
    const char *backend = opts_get(opts, "backend");
    const char *id = opts_get(opts, "id");
    const ChardevDriver *drv;
    g_autofree char *base_label = NULL;
    Chardev *base, *mux;

    if (!backend || !*backend) {
        error_setg(errp, "chardev: \"%s\" missing backend", id ? id : "");
        return NULL;
    }
    drv = driver_find(backend);
    if (!drv || !strcmp(backend, "mux")) {
        error_setg(errp, "'%s' is not a valid char driver name", backend);
        return NULL;
    }
    if (!id || !*id) {
        error_setg(errp, "chardev: no id specified");
        return NULL;
    }
    if (!chardev_check_opts(drv, opts, errp)) {
        return NULL;
    }
    if (chardev_find(id)) {
        error_setg(errp, "Duplicate ID '%s' for chardev", id);
        return NULL;
    }
    if (!opts_get_bool(opts, "mux", false)) {
        return chardev_open_driver(drv, id, opts, errp);
    }
    base_label = g_strdup_printf("%s-base", id);
    if (chardev_find(base_label)) {
        error_setg(errp, "Duplicate ID '%s' for chardev", base_label);
        return NULL;
    }
    base = chardev_open_driver(drv, base_label, opts, errp);
    if (!base) {
        return NULL;
    }
    mux = chardev_mux_new(id, base, errp);
    if (!mux) {
        g_ptr_array_remove(chardevs, base);
        chardev_free(base);
    }
    return mux;
}

/* Copies "k=v,k2" option text after a legacy spec's first comma. */
static bool spec_add_opts(Opts *opts, const char *rest, Error **errp)
{
    g_autoptr(Opts) extra = NULL;

    if (!rest || !*rest) {
        return true;
    }
    extra = opts_parse(rest, NULL, NULL, errp);
    if (!extra) {
        return false;
    }
    for (unsigned i = 0; i < opts_count(extra); i++) {
        if (opts_has(opts, opts_key_at(extra, i))) {
            error_setg(errp, "Parameter '%s' is set more than once",
                       opts_key_at(extra, i));
            return false;
        }
        opts_set(opts, opts_key_at(extra, i), opts_value_at(extra, i));
    }
    return true;
}

/* "HOST:PORT[,opts]" of tcp:/telnet: into host=, port= and the options. */
static bool spec_parse_inet(Opts *opts, const char *p, Error **errp)
{
    const char *comma = strchr(p, ',');
    g_autofree char *addr = comma ? g_strndup(p, comma - p) : g_strdup(p);
    char *colon = strrchr(addr, ':');

    if (!colon) {
        error_setg(errp, "address '%s' lacks a port: use HOST:PORT", addr);
        return false;
    }
    *colon = '\0';
    if (addr[0] == '[' && colon > addr && colon[-1] == ']') {
        colon[-1] = '\0';
        opts_set(opts, "host", addr + 1);
    } else {
        opts_set(opts, "host", addr);
    }
    opts_set(opts, "port", colon + 1);
    return spec_add_opts(opts, comma ? comma + 1 : NULL, errp);
}

static bool spec_to_opts(Opts *opts, const char *p, Error **errp)
{
    const char *comma;

    if (!strcmp(p, "null") || !strcmp(p, "vc") || g_str_has_prefix(p, "vc:")) {
        /* No display: a virtual console swallows output like null. */
        opts_set(opts, "backend", "null");
    } else if (!strcmp(p, "stdio") || !strcmp(p, "pty")) {
        opts_set(opts, "backend", p);
    } else if (g_str_has_prefix(p, "file:")) {
        opts_set(opts, "backend", "file");
        opts_set(opts, "path", p + 5);
    } else if (g_str_has_prefix(p, "pipe:")) {
        opts_set(opts, "backend", "pipe");
        opts_set(opts, "path", p + 5);
    } else if (g_str_has_prefix(p, "unix:")) {
        g_autofree char *path = NULL;
        p += 5;
        comma = strchr(p, ',');
        path = comma ? g_strndup(p, comma - p) : g_strdup(p);
        opts_set(opts, "backend", "socket");
        opts_set(opts, "path", path);
        return spec_add_opts(opts, comma ? comma + 1 : NULL, errp);
    } else if (g_str_has_prefix(p, "tcp:")) {
        opts_set(opts, "backend", "socket");
        return spec_parse_inet(opts, p + 4, errp);
    } else if (g_str_has_prefix(p, "telnet:")) {
        opts_set(opts, "backend", "socket");
        opts_set(opts, "telnet", "on");
        return spec_parse_inet(opts, p + 7, errp);
    } else if (g_str_has_prefix(p, "/dev/")) {
        opts_set(opts, "backend", "serial");
        opts_set(opts, "path", p);
    } else {
        error_setg(errp, "'%s' is not a valid char driver", p);
        return false;
    }
    return true;
}

Chardev *chardev_new_from_spec(const char *label, const char *spec,
                               bool *is_none, Error **errp)
{
    g_autoptr(Opts) opts = opts_new();
    bool mon = false;
    const char *p = spec;
    Chardev *chr;

    if (is_none) {
        *is_none = false;
    }
    if (!strcmp(spec, "none")) {
        if (is_none) {
            *is_none = true;
        }
        return NULL;
    }
    if (g_str_has_prefix(spec, "chardev:")) {
        chr = chardev_find(spec + 8);
        if (!chr) {
            error_setg(errp, "chardev '%s' not found", spec + 8);
        }
        return chr;
    }
    if (g_str_has_prefix(p, "mon:")) {
        mon = true;
        p += 4;
    }
    opts_set(opts, "id", label);
    if (!spec_to_opts(opts, p, errp)) {
        return NULL;
    }
    if (mon) {
        opts_set(opts, "mux", "on");
        if (!strcmp(p, "stdio") && !opts_has(opts, "signal")) {
            /* Ctrl-C goes to the guest; Ctrl-a x quits. */
            opts_set(opts, "signal", "off");
        }
    }
    return chardev_new_from_opts(opts, errp);
}

bool chardev_remove(const char *id, Error **errp)
{
    Chardev *chr = chardev_find(id);

    if (!chr) {
        error_setg(errp, "Chardev '%s' not found", id);
        return false;
    }
    if (chr->fe || chr->fe_open) {
        error_setg(errp, "Chardev '%s' is busy", id);
        return false;
    }
    if (chr->mux_base) {
        /* The mux goes with its backend, which nobody else uses. */
        Chardev *base = chr->mux_base;
        g_ptr_array_remove(chardevs, chr);
        chardev_free(chr);
        chr = base;
    }
    g_ptr_array_remove(chardevs, chr);
    chardev_free(chr);
    return true;
}

void chardev_cleanup_all(void)
{
    while (chardevs && chardevs->len) {
        Chardev *chr = g_ptr_array_steal_index(chardevs, chardevs->len - 1);
        chardev_free(chr);
    }
}

/* ---- backend -> front end ---- */

int chardev_be_can_receive(Chardev *chr)
{
    CharFrontend *fe = chr->fe;

    if (!fe || !fe->receive) {
        return 0;
    }
    return fe->can_receive ? fe->can_receive(fe->opaque) : 4096;
}

void chardev_be_receive(Chardev *chr, const uint8_t *buf, int len)
{
    CharFrontend *fe = chr->fe;

    if (fe && fe->receive && len > 0) {
        fe->receive(fe->opaque, buf, len);
    }
}

void chardev_be_event(Chardev *chr, ChardevEvent event)
{
    CharFrontend *fe = chr->fe;

    if (event == CHR_EVENT_OPENED) {
        chr->be_open = true;
    } else if (event == CHR_EVENT_CLOSED) {
        chr->be_open = false;
    }
    if (fe && fe->event) {
        fe->event(fe->opaque, event);
    }
}

/* ---- writing ---- */

int chr_fd_write(int fd, const uint8_t *buf, int len)
{
    for (;;) {
        ssize_t n = write(fd, buf, len);
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

bool chr_set_nonblock(int fd, Error **errp)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        error_setg_errno(errp, errno, "cannot make fd %d non-blocking", fd);
        return false;
    }
    return true;
}

static void chardev_log(Chardev *chr, const uint8_t *buf, int len)
{
    while (chr->log_fd >= 0 && len > 0) {
        ssize_t n = write(chr->log_fd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        buf += n;
        len -= n;
    }
}

int chardev_write(Chardev *chr, const uint8_t *buf, int len, bool all)
{
    int done = 0, stalls = 0;

    if (chr->mux_base) {
        return chardev_mux_write(chr, buf, len, all);
    }
    if (!chr->drv->write) {
        return len;
    }
    while (done < len) {
        int n = chr->drv->write(chr, buf + done, len - done);
        if (n < 0) {
            return done ? done : -1;
        }
        chardev_log(chr, buf + done, n);
        done += n;
        if (!all) {
            break;
        }
        if (n == 0) {
            struct pollfd pfd = {.fd = chr->write_fd, .events = POLLOUT};
            int r;
            if (chr->write_fd < 0) {
                break;
            }
            /*
             * The peer has to drain its side; QEMU blocks here too.  A
             * peer that takes nothing for CHR_WRITE_STALL_S is given up
             * on, so that a stuck reader cannot hang the process.
             */
            r = poll(&pfd, 1, 1000);
            if (r < 0 && errno != EINTR) {
                break;
            }
            if (r == 0 && ++stalls >= CHR_WRITE_STALL_S) {
                break;
            }
        } else {
            stalls = 0;
        }
    }
    return done;
}

guint chr_fe_add_watch(CharFrontend *fe, GIOCondition cond,
                       GUnixFDSourceFunc fn, void *opaque)
{
    Chardev *chr = fe->chr;

    if (chr && chr->mux_base) {
        chr = chr->mux_base;
    }
    if (!chr || chr->write_fd < 0) {
        return 0;
    }
    return g_unix_fd_add(chr->write_fd, cond, fn, opaque);
}

/* ---- fd watches ---- */

static gboolean chr_fd_watch_ready(gint fd, GIOCondition cond, gpointer data)
{
    ChrFdWatch *w = data;
    uint8_t buf[4096];
    int room;
    ssize_t n;

    if (!w->active) {
        w->tag = 0;
        return G_SOURCE_REMOVE;
    }
    room = chardev_be_can_receive(w->chr);
    if (room <= 0) {
        /* Front end is full: wait for chr_fe_accept_input(). */
        w->tag = 0;
        return G_SOURCE_REMOVE;
    }
    n = read(fd, buf, MIN((size_t)room, sizeof(buf)));
    if (n > 0) {
        if (w->filter) {
            n = w->filter(w->chr, buf, n);
        }
        chardev_be_receive(w->chr, buf, n);
        return G_SOURCE_CONTINUE;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    w->tag = 0;
    w->active = false;
    if (w->on_hup) {
        w->on_hup(w->chr);
    }
    return G_SOURCE_REMOVE;
}

void chr_fd_watch_update(ChrFdWatch *w)
{
    if (w->active && !w->tag && chardev_be_can_receive(w->chr) > 0) {
        w->tag = g_unix_fd_add(w->fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                               chr_fd_watch_ready, w);
    }
}

void chr_fd_watch_start(ChrFdWatch *w, Chardev *chr, int fd,
                        void (*on_hup)(Chardev *chr))
{
    chr_fd_watch_stop(w);
    w->chr = chr;
    w->fd = fd;
    w->on_hup = on_hup;
    w->active = true;
    chr_fd_watch_update(w);
}

void chr_fd_watch_stop(ChrFdWatch *w)
{
    if (w->tag) {
        g_source_remove(w->tag);
        w->tag = 0;
    }
    w->active = false;
}

/* ---- front-end API ---- */

bool chr_fe_init(CharFrontend *fe, Chardev *chr, Error **errp)
{
    memset(fe, 0, sizeof(*fe));
    fe->tag = -1;
    if (!chr) {
        return true;
    }
    if (chr->drv->fe_attach) {
        if (!chr->drv->fe_attach(chr, fe, errp)) {
            return false;
        }
    } else {
        if (chr->fe) {
            error_setg(errp, "Device '%s' is in use", chr->label);
            return false;
        }
        chr->fe = fe;
    }
    fe->chr = chr;
    return true;
}

void chr_fe_deinit(CharFrontend *fe)
{
    Chardev *chr = fe->chr;

    if (!chr) {
        return;
    }
    fe->can_receive = NULL;
    fe->receive = NULL;
    fe->event = NULL;
    if (chr->drv->fe_detach) {
        chr->drv->fe_detach(chr, fe);
    } else if (chr->fe == fe) {
        chr->fe = NULL;
        chr->fe_open = false;
        if (chr->drv->update_read) {
            chr->drv->update_read(chr);
        }
    }
    fe->chr = NULL;
}

void chr_fe_set_handlers(CharFrontend *fe, ChrCanReceive *can_receive,
                         ChrReceive *receive, ChrEvent *event, void *opaque)
{
    Chardev *chr = fe->chr;
    bool open = can_receive || receive || event || opaque;

    fe->can_receive = can_receive;
    fe->receive = receive;
    fe->event = event;
    fe->opaque = opaque;
    if (!chr) {
        return;
    }
    if (chr->drv->fe_handlers_set) {
        chr->drv->fe_handlers_set(chr, fe);
    } else {
        chr->fe_open = open;
    }
    if (chr->drv->update_read) {
        chr->drv->update_read(chr);
    }
    if (open) {
        chr_fe_take_focus(fe);
        /* Attaching to an open backend: this front end sees it open. */
        if (chr->be_open && fe->event) {
            fe->event(fe->opaque, CHR_EVENT_OPENED);
        }
    }
}

bool chr_fe_backend_connected(const CharFrontend *fe)
{
    return fe->chr != NULL;
}

int chr_fe_write(CharFrontend *fe, const uint8_t *buf, int len)
{
    return fe->chr ? chardev_write(fe->chr, buf, len, false) : len;
}

int chr_fe_write_all(CharFrontend *fe, const uint8_t *buf, int len)
{
    return fe->chr ? chardev_write(fe->chr, buf, len, true) : len;
}

void chr_fe_printf(CharFrontend *fe, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *s = NULL;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    chr_fe_write_all(fe, (const uint8_t *)s, strlen(s));
}

void chr_fe_accept_input(CharFrontend *fe)
{
    if (fe->chr && fe->chr->drv->update_read) {
        fe->chr->drv->update_read(fe->chr);
    }
}

void chr_fe_disconnect(CharFrontend *fe)
{
    Chardev *chr = fe->chr;

    if (chr && chr->mux_base) {
        chr = chr->mux_base;
    }
    if (chr && chr->drv->disconnect) {
        chr->drv->disconnect(chr);
    }
}

void chr_fe_take_focus(CharFrontend *fe)
{
    if (fe->chr && fe->chr->drv->fe_focus) {
        fe->chr->drv->fe_focus(fe->chr, fe);
    }
}
