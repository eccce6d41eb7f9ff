/*
 * Private interface between the chardev core (char.c) and its backends
 * (char-<backend>.c).
 *
 * A backend is one const ChardevDriver registered with
 * CHARDEV_DRIVER_REGISTER().  The core parses the options, allocates
 * instance_size bytes (a struct starting with Chardev), and calls open().
 * The backend hands input to the front end with chardev_be_receive() after
 * asking chardev_be_can_receive() how much it takes, and reports connects
 * and hang-ups with chardev_be_event().  Fd-based backends use ChrFdWatch,
 * which stops reading while the front end is full and resumes on
 * update_read().
 */
#ifndef CHARDEV_CHAR_INTERNAL_H
#define CHARDEV_CHAR_INTERNAL_H

#include "chardev/char.h"

typedef struct ChardevDriver {
    const char *name;
    /* Backend keys besides the common ones (id, backend, mux, logfile...). */
    const OptDesc *opts;
    size_t instance_size;
    /* Sets chr->filename; returns false with errp set. */
    bool (*open)(Chardev *chr, Opts *opts, Error **errp);
    /*
     * Writes without blocking for long.  Returns bytes taken (0 when the
     * backend would block: the core then polls chr->write_fd), or -1 when
     * the peer is gone.  Data for an unconnected peer is dropped (returns
     * len).
     */
    int (*write)(Chardev *chr, const uint8_t *buf, int len);
    /* The front end's can_receive may have changed (NULL: nothing to do). */
    void (*update_read)(Chardev *chr);
    void (*disconnect)(Chardev *chr);
    /* Releases the backend's resources (not chr itself). */
    void (*close)(Chardev *chr);
    /* mux only: attach/detach front ends, focus. */
    bool (*fe_attach)(Chardev *chr, CharFrontend *fe, Error **errp);
    void (*fe_detach)(Chardev *chr, CharFrontend *fe);
    void (*fe_handlers_set)(Chardev *chr, CharFrontend *fe);
    void (*fe_focus)(Chardev *chr, CharFrontend *fe);
} ChardevDriver;

struct Chardev {
    const ChardevDriver *drv;
    char *label;
    char *filename;
    CharFrontend *fe;  /* the single front end; NULL for mux / none */
    bool be_open;      /* backend usable (socket: a peer is connected) */
    bool fe_open;      /* handlers are set */
    int write_fd;      /* polled by write_all when write() returns 0 */
    int log_fd;        /* logfile=, or -1 */
    Chardev *mux_base; /* a mux's backend chardev, else NULL */
};

/* Allocates and opens a chardev of drv (opts may be NULL); lists it. */
Chardev *chardev_open_driver(const ChardevDriver *drv, const char *label,
                             Opts *opts, Error **errp);
/* char-mux.c: the mux "label" over base (which becomes its front end). */
Chardev *chardev_mux_new(const char *label, Chardev *base, Error **errp);
/* Output of a mux's front ends, with Ctrl-a t stamps when enabled. */
int chardev_mux_write(Chardev *chr, const uint8_t *buf, int len, bool all);

void chardev_driver_register(const ChardevDriver *drv);
#define CHARDEV_DRIVER_REGISTER(drv)                                           \
    static void __attribute__((constructor)) register_##drv(void)              \
    {                                                                          \
        chardev_driver_register(&(drv));                                       \
    }

/* Backend -> front end. */
int chardev_be_can_receive(Chardev *chr);
void chardev_be_receive(Chardev *chr, const uint8_t *buf, int len);
/* Also keeps be_open in step for OPENED/CLOSED. */
void chardev_be_event(Chardev *chr, ChardevEvent event);
void chardev_set_filename(Chardev *chr, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
/* Bytes written through chr's backend (and its logfile), -1 on error. */
int chardev_write(Chardev *chr, const uint8_t *buf, int len, bool all);

/*
 * Reads an fd on the main loop while the front end takes input.
 * on_hup runs (once; the watch is stopped) on EOF or a read error.
 */
typedef struct ChrFdWatch {
    Chardev *chr;
    int fd;
    guint tag;
    bool active; /* reading wanted (start .. stop) */
    void (*on_hup)(Chardev *chr);
    /* Optional input filter (telnet); returns bytes kept in buf. */
    int (*filter)(Chardev *chr, uint8_t *buf, int len);
} ChrFdWatch;

void chr_fd_watch_start(ChrFdWatch *w, Chardev *chr, int fd,
                        void (*on_hup)(Chardev *chr));
void chr_fd_watch_stop(ChrFdWatch *w);
/* Re-arms a watch that paused because the front end was full. */
void chr_fd_watch_update(ChrFdWatch *w);

/* Writes as much as the fd takes now; 0 on EAGAIN, -1 on error. */
int chr_fd_write(int fd, const uint8_t *buf, int len);
bool chr_set_nonblock(int fd, Error **errp);

/* The terminal of the stdio backend (used by mux for "QEMU: Terminated"). */
void chardev_stdio_restore(void);

#endif
