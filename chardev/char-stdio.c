/*
 * stdio backend: input from fd 0, output to fd 1.
 *
 * When stdin is a terminal it goes into raw mode (no echo, no line
 * buffering; output post-processing stays on so "\n" still returns the
 * carriage, as QEMU does).  signal=on (the default) keeps Ctrl-C/Ctrl-Z as
 * signals; signal=off hands them to the guest ("mon:stdio" sets it).
 * The terminal is restored on every exit path: atexit, the main loop's
 * exit notifiers, and the fatal signals (when nobody else handles them).
 */
#include "chardev/char-internal.h"

#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "system/main-loop.h"

typedef struct StdioChardev {
    Chardev parent;
    ChrFdWatch in;
    bool owner; /* this instance holds stdio */
} StdioChardev;

static bool stdio_in_use;
static bool term_saved;
static struct termios term_orig;

void chardev_stdio_restore(void)
{
    if (term_saved) {
        tcsetattr(0, TCSANOW, &term_orig);
    }
}

static void stdio_exit_notifier(void *opaque)
{
    chardev_stdio_restore();
}

/* A fatal signal nobody else handles: restore the tty, then die of it. */
static void stdio_fatal_signal(int sig)
{
    chardev_stdio_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void stdio_install_signal_handlers(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGSEGV,
                               SIGABRT, SIGBUS, SIGFPE, SIGILL};

    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
        struct sigaction old, sa;

        if (sigaction(sigs[i], NULL, &old) < 0 || old.sa_handler != SIG_DFL ||
            (old.sa_flags & SA_SIGINFO)) {
            continue;
        }
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = stdio_fatal_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

static void stdio_set_raw(bool signals)
{
    struct termios tty;

    if (tcgetattr(0, &term_orig) < 0) {
        return;
    }
    term_saved = true;
    tty = term_orig;
    tty.c_iflag &=
        ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    tty.c_oflag |= OPOST;
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
    if (signals) {
        tty.c_lflag |= ISIG;
    }
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &tty);
    atexit(chardev_stdio_restore);
    qemu_add_exit_notifier(stdio_exit_notifier, NULL);
    stdio_install_signal_handlers();
}

static void stdio_hup(Chardev *chr)
{
    /* End of input: output still works. */
    chardev_be_event(chr, CHR_EVENT_CLOSED);
}

static bool stdio_open(Chardev *chr, Opts *opts, Error **errp)
{
    StdioChardev *s = (StdioChardev *)chr;

    if (stdio_in_use) {
        error_setg(errp, "cannot use stdio by multiple character devices");
        return false;
    }
    stdio_in_use = true;
    s->owner = true;
    if (isatty(0)) {
        stdio_set_raw(opts_get_bool(opts, "signal", true));
    }
    chr->write_fd = 1;
    chardev_set_filename(chr, "stdio");
    chr_fd_watch_start(&s->in, chr, 0, stdio_hup);
    chardev_be_event(chr, CHR_EVENT_OPENED);
    return true;
}

static int stdio_write(Chardev *chr, const uint8_t *buf, int len)
{
    return chr_fd_write(1, buf, len);
}

static void stdio_update_read(Chardev *chr)
{
    chr_fd_watch_update(&((StdioChardev *)chr)->in);
}

static void stdio_close(Chardev *chr)
{
    StdioChardev *s = (StdioChardev *)chr;

    if (!s->owner) {
        return; /* a second stdio that failed to open */
    }
    chr_fd_watch_stop(&s->in);
    chardev_stdio_restore();
    stdio_in_use = false;
}

static const OptDesc stdio_opts[] = {
    {"signal", OPT_BOOL, "Ctrl-C and Ctrl-Z act as signals (default on)"},
    {NULL}};

static const ChardevDriver stdio_driver = {
    .name = "stdio",
    .opts = stdio_opts,
    .instance_size = sizeof(StdioChardev),
    .open = stdio_open,
    .write = stdio_write,
    .update_read = stdio_update_read,
    .close = stdio_close,
};
CHARDEV_DRIVER_REGISTER(stdio_driver)
