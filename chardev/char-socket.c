/*
 * socket backend: a stream socket, unix (path=) or TCP (host=, port=).
 *
 *   server=on  listens; wait=on (the default) blocks start-up until the
 *              first client connects ("QEMU waiting for connection on:
 *              ..."); one client at a time, the next one is accepted when
 *              it hangs up.
 *   server=off connects; reconnect=N retries every N seconds after a
 *              failed connect or a hang-up instead of failing.
 *   telnet=on  negotiates character mode and strips telnet commands from
 *              the input (IAC BREAK becomes a serial break).
 *
 * Output while no peer is connected is dropped, as QEMU does.  A connect
 * sends OPENED to the front end and a hang-up CLOSED.  Legacy specs:
 * "unix:PATH[,server=on][,wait=off]", "tcp:HOST:PORT[,server,nowait]",
 * "telnet:HOST:PORT,...".
 */
#include "chardev/char-internal.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib-unix.h>
#include "util/cutils.h"

/* Telnet (RFC 854) command bytes. */
#define TN_IAC   255
#define TN_DONT  254
#define TN_DO    253
#define TN_WONT  252
#define TN_WILL  251
#define TN_SB    250
#define TN_BREAK 243
#define TN_SE    240

enum { TN_DATA, TN_CMD, TN_OPTION, TN_SUB, TN_SUB_IAC };

typedef struct SocketChardev {
    Chardev parent;
    bool is_unix, is_server, telnet, nodelay, abstract, tight;
    int family; /* AF_UNSPEC, or AF_INET/AF_INET6 for ipv4=on/ipv6=on */
    char *path, *host, *port;
    int passed_fd; /* fd=N from a management tool, or -1 */
    char *addr;    /* "unix:PATH,server=on", "tcp:HOST:PORT,server=on" */
    int listen_fd, fd;
    guint listen_tag;
    uint64_t reconnect;
    guint reconnect_timer;
    int tn_state;
    ChrFdWatch in;
} SocketChardev;

static void socket_set_filename(SocketChardev *s)
{
    Chardev *chr = &s->parent;
    struct sockaddr_storage la, pa;
    socklen_t ll = sizeof(la), pl = sizeof(pa);
    char lh[NI_MAXHOST], ls[NI_MAXSERV], ph[NI_MAXHOST], ps[NI_MAXSERV];

    if (s->fd < 0) {
        chardev_set_filename(chr, "disconnected:%s", s->addr);
        return;
    }
    if (s->is_unix || getsockname(s->fd, (struct sockaddr *)&la, &ll) < 0 ||
        getpeername(s->fd, (struct sockaddr *)&pa, &pl) < 0 ||
        getnameinfo((struct sockaddr *)&la, ll, lh, sizeof(lh), ls, sizeof(ls),
                    NI_NUMERICHOST | NI_NUMERICSERV) ||
        getnameinfo((struct sockaddr *)&pa, pl, ph, sizeof(ph), ps, sizeof(ps),
                    NI_NUMERICHOST | NI_NUMERICSERV)) {
        chardev_set_filename(chr, "%s", s->addr);
        return;
    }
    chardev_set_filename(chr, "%s:%s:%s%s <-> %s:%s",
                         s->telnet ? "telnet" : "tcp", lh, ls,
                         s->is_server ? ",server=on" : "", ph, ps);
}

/* Strips telnet commands in place; returns the bytes of data left. */
static int socket_telnet_filter(Chardev *chr, uint8_t *buf, int len)
{
    SocketChardev *s = (SocketChardev *)chr;
    int out = 0;

    for (int i = 0; i < len; i++) {
        uint8_t c = buf[i];
        switch (s->tn_state) {
        case TN_DATA:
            if (c == TN_IAC) {
                s->tn_state = TN_CMD;
            } else {
                buf[out++] = c;
            }
            break;
        case TN_CMD:
            s->tn_state = TN_DATA;
            if (c == TN_IAC) {
                buf[out++] = c; /* escaped 255 */
            } else if (c >= TN_WILL && c <= TN_DONT) {
                s->tn_state = TN_OPTION;
            } else if (c == TN_SB) {
                s->tn_state = TN_SUB;
            } else if (c == TN_BREAK) {
                chardev_be_event(chr, CHR_EVENT_BREAK);
            }
            break;
        case TN_OPTION:
            s->tn_state = TN_DATA;
            break;
        case TN_SUB:
            if (c == TN_IAC) {
                s->tn_state = TN_SUB_IAC;
            }
            break;
        case TN_SUB_IAC:
            s->tn_state = c == TN_SE ? TN_DATA : TN_SUB;
            break;
        }
    }
    return out;
}

static void socket_hup(Chardev *chr);
static gboolean socket_accept_ready(gint fd, GIOCondition cond, gpointer data);

static void socket_listen_watch(SocketChardev *s, bool on)
{
    if (on && !s->listen_tag && s->listen_fd >= 0) {
        s->listen_tag =
            g_unix_fd_add(s->listen_fd, G_IO_IN, socket_accept_ready, s);
    } else if (!on && s->listen_tag) {
        g_source_remove(s->listen_tag);
        s->listen_tag = 0;
    }
}

/* A peer is connected on fd: start talking. */
static void socket_connected(SocketChardev *s, int fd)
{
    Chardev *chr = &s->parent;
    static const uint8_t telnet_init[] = {
        TN_IAC, TN_WILL, 1, /* echo: we echo, the client does not */
        TN_IAC, TN_WILL, 3, /* suppress go-ahead: character mode */
        TN_IAC, TN_WILL, 0, /* binary */
        TN_IAC, TN_DO,   0,
    };
    int one = 1;

    fcntl(fd, F_SETFD, FD_CLOEXEC);
    chr_set_nonblock(fd, NULL);
    if (!s->is_unix && s->nodelay) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    s->fd = fd;
    chr->write_fd = fd;
    s->tn_state = TN_DATA;
    socket_listen_watch(s, false);
    socket_set_filename(s);
    if (s->telnet) {
        chardev_write(chr, telnet_init, sizeof(telnet_init), true);
        s->in.filter = socket_telnet_filter;
    }
    chr_fd_watch_start(&s->in, chr, fd, socket_hup);
    chardev_be_event(chr, CHR_EVENT_OPENED);
}

static gboolean socket_accept_ready(gint fd, GIOCondition cond, gpointer data)
{
    SocketChardev *s = data;
    int c = accept(fd, NULL, NULL);

    if (c < 0) {
        return G_SOURCE_CONTINUE;
    }
    s->listen_tag = 0;
    socket_connected(s, c);
    return G_SOURCE_REMOVE;
}

static int socket_make_unix_addr(SocketChardev *s, struct sockaddr_un *un,
                                 socklen_t *len, Error **errp)
{
    size_t n = strlen(s->path);

    memset(un, 0, sizeof(*un));
    un->sun_family = AF_UNIX;
    if (n + (s->abstract ? 1 : 0) >= sizeof(un->sun_path)) {
        error_setg(errp, "UNIX socket path '%s' is too long", s->path);
        return -1;
    }
    if (s->abstract) {
        memcpy(un->sun_path + 1, s->path, n);
        *len = s->tight ? offsetof(struct sockaddr_un, sun_path) + 1 + n
                        : sizeof(*un);
    } else {
        memcpy(un->sun_path, s->path, n);
        *len = sizeof(*un);
    }
    return 0;
}

static bool socket_listen(SocketChardev *s, Error **errp)
{
    int fd = -1, one = 1, err = 0;

    if (s->passed_fd >= 0) {
        /* Bound by whoever passed it; listening is harmless to repeat. */
        if (listen(s->passed_fd, 1) < 0) {
            error_setg_errno(errp, errno, "Failed to listen on fd %d",
                             s->passed_fd);
            return false;
        }
        s->listen_fd = s->passed_fd;
        return true;
    }

    if (s->is_unix) {
        struct sockaddr_un un;
        socklen_t len;
        if (socket_make_unix_addr(s, &un, &len, errp) < 0) {
            return false;
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (!s->abstract) {
            unlink(s->path); /* a stale socket from an earlier run */
        }
        if (fd < 0 || bind(fd, (struct sockaddr *)&un, len) < 0 ||
            listen(fd, 1) < 0) {
            error_setg_errno(errp, errno, "Failed to bind socket to %s",
                             s->path);
            if (fd >= 0) {
                close(fd);
            }
            return false;
        }
    } else {
        struct addrinfo hints = {.ai_flags = AI_PASSIVE,
                                 .ai_family = s->family,
                                 .ai_socktype = SOCK_STREAM};
        struct addrinfo *res, *ai;
        int rc = getaddrinfo(*s->host ? s->host : NULL, s->port, &hints, &res);
        if (rc) {
            error_setg(errp, "address resolution failed for %s:%s: %s", s->host,
                       s->port, gai_strerror(rc));
            return false;
        }
        for (ai = res; ai; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                        ai->ai_protocol);
            if (fd < 0) {
                err = errno;
                continue;
            }
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
                listen(fd, 1) == 0) {
                break;
            }
            err = errno;
            close(fd);
            fd = -1;
        }
        freeaddrinfo(res);
        if (fd < 0) {
            error_setg_errno(errp, err, "Failed to bind socket to %s:%s",
                             s->host, s->port);
            return false;
        }
    }
    s->listen_fd = fd;
    return true;
}

/* Returns the connected fd, or -1 with errp set. */
static int socket_connect(SocketChardev *s, Error **errp)
{
    int fd = -1, err = 0;

    if (s->is_unix) {
        struct sockaddr_un un;
        socklen_t len;
        if (socket_make_unix_addr(s, &un, &len, errp) < 0) {
            return -1;
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&un, len) == 0) {
            return fd;
        }
        error_setg_errno(errp, errno, "Failed to connect to '%s'", s->path);
    } else {
        struct addrinfo hints = {.ai_family = s->family,
                                 .ai_socktype = SOCK_STREAM};
        struct addrinfo *res, *ai;
        int rc = getaddrinfo(*s->host ? s->host : "localhost", s->port, &hints,
                             &res);
        if (rc) {
            error_setg(errp, "address resolution failed for %s:%s: %s", s->host,
                       s->port, gai_strerror(rc));
            return -1;
        }
        for (ai = res; ai; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                        ai->ai_protocol);
            if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
                freeaddrinfo(res);
                return fd;
            }
            err = errno;
            if (fd >= 0) {
                close(fd);
            }
        }
        freeaddrinfo(res);
        error_setg_errno(errp, err, "Failed to connect to '%s:%s'", s->host,
                         s->port);
        return -1;
    }
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

static gboolean socket_reconnect_timer(gpointer opaque)
{
    SocketChardev *s = opaque;
    int fd = socket_connect(s, NULL);

    if (fd < 0) {
        return G_SOURCE_CONTINUE;
    }
    s->reconnect_timer = 0;
    socket_connected(s, fd);
    return G_SOURCE_REMOVE;
}

static void socket_schedule_reconnect(SocketChardev *s)
{
    if (!s->reconnect_timer) {
        s->reconnect_timer =
            g_timeout_add_seconds(s->reconnect, socket_reconnect_timer, s);
    }
}

/* The peer went away (or chr_fe_disconnect). */
static void socket_hup(Chardev *chr)
{
    SocketChardev *s = (SocketChardev *)chr;

    chr_fd_watch_stop(&s->in);
    if (s->fd < 0) {
        return;
    }
    close(s->fd);
    s->fd = -1;
    chr->write_fd = -1;
    socket_set_filename(s);
    if (s->is_server) {
        socket_listen_watch(s, true);
    } else if (s->reconnect) {
        socket_schedule_reconnect(s);
    }
    chardev_be_event(chr, CHR_EVENT_CLOSED);
}

static bool socket_parse(SocketChardev *s, Opts *opts, Error **errp)
{
    const char *path = opts_get(opts, "path");
    const char *host = opts_get(opts, "host");
    const char *port = opts_get(opts, "port");

    const char *fd = opts_get(opts, "fd");
    uint64_t n;

    s->passed_fd = -1;
    if (fd) {
        if (path || host || !parse_uint64(fd, &n) || n > INT_MAX ||
            fcntl(n, F_GETFD) < 0) {
            error_setg(errp, "Unable to parse FD number %s", fd);
            return false;
        }
        s->passed_fd = n;
        s->is_server = opts_get_bool(opts, "server", false);
        s->is_unix = true; /* no TCP_NODELAY, no peer address */
        s->addr = g_strdup_printf("fd:%d%s", s->passed_fd,
                                  s->is_server ? ",server=on" : "");
        return true;
    }
    if (path && host) {
        error_setg(errp, "chardev: socket: 'path' and 'host' are "
                         "mutually exclusive");
        return false;
    }
    if (!path && !host) {
        error_setg(errp, "chardev: socket: no host or path given");
        return false;
    }
    if (host && (!port || !*port)) {
        error_setg(errp, "chardev: socket: no port given");
        return false;
    }
    s->is_unix = path != NULL;
    s->is_server = opts_get_bool(opts, "server", false);
    s->telnet = opts_get_bool(opts, "telnet", false);
    s->nodelay = opts_get_bool(opts, "nodelay", false);
    s->abstract = opts_get_bool(opts, "abstract", false);
    s->tight = opts_get_bool(opts, "tight", true);
    s->reconnect = opts_get_number(opts, "reconnect", 0);
    if (opts_get_bool(opts, "ipv4", false)) {
        s->family = AF_INET;
    } else if (opts_get_bool(opts, "ipv6", false)) {
        s->family = AF_INET6;
    }
    if (s->is_server && s->reconnect) {
        error_setg(errp, "'reconnect' option is incompatible with socket in "
                         "server listen mode");
        return false;
    }
    if (!s->is_server && opts_has(opts, "wait")) {
        error_setg(errp, "'wait' option is incompatible with socket in "
                         "client connect mode");
        return false;
    }
    if (s->is_unix && s->telnet) {
        error_setg(errp, "chardev: socket: telnet needs a TCP socket");
        return false;
    }
    s->path = g_strdup(path);
    s->host = g_strdup(host);
    s->port = g_strdup(port);
    if (s->is_unix) {
        s->addr = g_strdup_printf("unix:%s%s", path,
                                  s->is_server ? ",server=on" : "");
    } else {
        s->addr = g_strdup_printf("%s:%s:%s%s", s->telnet ? "telnet" : "tcp",
                                  host, port, s->is_server ? ",server=on" : "");
    }
    return true;
}

static bool socket_open(Chardev *chr, Opts *opts, Error **errp)
{
    SocketChardev *s = (SocketChardev *)chr;
    int fd;

    s->fd = s->listen_fd = -1;
    if (!socket_parse(s, opts, errp)) {
        return false;
    }
    socket_set_filename(s);
    if (s->is_server) {
        if (!socket_listen(s, errp)) {
            return false;
        }
        if (opts_get_bool(opts, "wait", true)) {
            info_report("QEMU waiting for connection on: %s",
                        chardev_filename(chr));
            do {
                fd = accept(s->listen_fd, NULL, NULL);
            } while (fd < 0 && errno == EINTR);
            if (fd < 0) {
                error_setg_errno(errp, errno, "Failed to accept on %s",
                                 s->addr);
                return false;
            }
            socket_connected(s, fd);
        } else {
            socket_listen_watch(s, true);
        }
        return true;
    }
    if (s->passed_fd >= 0) {
        socket_connected(s, s->passed_fd);
        return true;
    }
    fd = socket_connect(s, s->reconnect ? NULL : errp);
    if (fd < 0) {
        if (!s->reconnect) {
            return false;
        }
        socket_schedule_reconnect(s);
        return true;
    }
    socket_connected(s, fd);
    return true;
}

static int socket_write(Chardev *chr, const uint8_t *buf, int len)
{
    SocketChardev *s = (SocketChardev *)chr;
    ssize_t n;

    if (s->fd < 0) {
        return len; /* no peer: dropped */
    }
    do {
        n = send(s->fd, buf, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
        return n;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return 0;
    }
    /* Broken connection: the read side sees the hang-up and cleans up. */
    return -1;
}

static void socket_update_read(Chardev *chr)
{
    chr_fd_watch_update(&((SocketChardev *)chr)->in);
}

static void socket_close(Chardev *chr)
{
    SocketChardev *s = (SocketChardev *)chr;

    chr_fd_watch_stop(&s->in);
    socket_listen_watch(s, false);
    if (s->reconnect_timer) {
        g_source_remove(s->reconnect_timer);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        if (s->path && !s->abstract) {
            unlink(s->path);
        }
    }
    g_free(s->path);
    g_free(s->host);
    g_free(s->port);
    g_free(s->addr);
}

static const OptDesc socket_opts[] = {
    {"path", OPT_STRING, "unix socket path"},
    {"host", OPT_STRING, "TCP host"},
    {"port", OPT_STRING, "TCP port"},
    {"server", OPT_BOOL, "listen instead of connecting"},
    {"wait", OPT_BOOL, "server: wait for a client before starting"},
    {"reconnect", OPT_NUMBER, "client: seconds between reconnect tries"},
    {"telnet", OPT_BOOL, "speak the telnet protocol"},
    {"nodelay", OPT_BOOL, "TCP_NODELAY"},
    {"ipv4", OPT_BOOL, "IPv4 only"},
    {"ipv6", OPT_BOOL, "IPv6 only"},
    {"fd", OPT_STRING, "an already open socket passed by the caller"},
    {"abstract", OPT_BOOL, "unix: abstract namespace"},
    {"tight", OPT_BOOL, "unix abstract: exact address length"},
    {NULL}};

static const ChardevDriver socket_driver = {
    .name = "socket",
    .opts = socket_opts,
    .instance_size = sizeof(SocketChardev),
    .open = socket_open,
    .write = socket_write,
    .update_read = socket_update_read,
    .disconnect = socket_hup,
    .close = socket_close,
};
CHARDEV_DRIVER_REGISTER(socket_driver)
