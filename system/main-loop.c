/*
 * Main loop, clocks, timers and the big lock (see system/main-loop.h).
 *
 * One iteration prepares glib's default context, merges its poll set and
 * timeout with the earliest timer deadline (nanoseconds, via ppoll), drops
 * the big lock while waiting, then dispatches glib sources and expired
 * timers with the lock held.
 */
#include "system/main-loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

struct QEMUTimer {
    QEMUClockType type;
    QEMUTimerCB *cb;
    void *opaque;
    int64_t expire; /* -1 when not pending */
    QEMUTimer *next;
};

typedef struct QEMUClock {
    QEMUTimer *active; /* sorted by expire, earliest first */
} QEMUClock;

static QEMUClock clocks[QEMU_CLOCK_MAX];
static GMutex timer_lock;

/* Virtual clock: host monotonic - offset while running, frozen otherwise. */
static bool vclock_running;
static bool vclock_manual;
static int64_t vclock_offset;
static int64_t vclock_frozen;

static GMutex bql;
static __thread bool bql_held;

typedef struct ExitNotifier {
    void (*fn)(void *opaque);
    void *opaque;
} ExitNotifier;
static GArray *exit_notifiers;

static int64_t host_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

int64_t qemu_clock_get_ns(QEMUClockType type)
{
    struct timespec ts;
    int64_t v;

    switch (type) {
    case QEMU_CLOCK_VIRTUAL:
        g_mutex_lock(&timer_lock);
        v = (vclock_running && !vclock_manual)
                ? host_monotonic_ns() - vclock_offset
                : vclock_frozen;
        g_mutex_unlock(&timer_lock);
        return v;
    case QEMU_CLOCK_HOST:
        clock_gettime(CLOCK_REALTIME, &ts);
        return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
    case QEMU_CLOCK_REALTIME:
    default:
        return host_monotonic_ns();
    }
}

void qemu_clock_virtual_enable(bool enable)
{
    g_mutex_lock(&timer_lock);
    if (enable != vclock_running && !vclock_manual) {
        if (enable) {
            vclock_offset = host_monotonic_ns() - vclock_frozen;
        } else {
            vclock_frozen = host_monotonic_ns() - vclock_offset;
        }
    }
    vclock_running = enable;
    g_mutex_unlock(&timer_lock);
    qemu_notify_event();
}

void qemu_clock_virtual_set_manual(void)
{
    g_mutex_lock(&timer_lock);
    if (!vclock_manual && vclock_running) {
        vclock_frozen = host_monotonic_ns() - vclock_offset;
    }
    vclock_manual = true;
    g_mutex_unlock(&timer_lock);
}

static int64_t next_expire_locked(QEMUClockType type)
{
    return clocks[type].active ? clocks[type].active->expire : -1;
}

int64_t qemu_clock_virtual_step(int64_t ns)
{
    int64_t target;

    g_mutex_lock(&timer_lock);
    target = vclock_frozen + ns;
    g_mutex_unlock(&timer_lock);
    /* Fire timers in order, each seeing the clock at its own deadline. */
    for (;;) {
        int64_t next;

        g_mutex_lock(&timer_lock);
        next = next_expire_locked(QEMU_CLOCK_VIRTUAL);
        if (next < 0 || next > target) {
            vclock_frozen = target;
            g_mutex_unlock(&timer_lock);
            break;
        }
        if (next > vclock_frozen) {
            vclock_frozen = next;
        }
        g_mutex_unlock(&timer_lock);
        qemu_clock_run_timers(QEMU_CLOCK_VIRTUAL);
    }
    return target;
}

QEMUTimer *timer_new_ns(QEMUClockType type, QEMUTimerCB *cb, void *opaque)
{
    QEMUTimer *t = g_new0(QEMUTimer, 1);

    t->type = type;
    t->cb = cb;
    t->opaque = opaque;
    t->expire = -1;
    return t;
}

static void timer_del_locked(QEMUTimer *t)
{
    QEMUTimer **pt = &clocks[t->type].active;

    for (; *pt; pt = &(*pt)->next) {
        if (*pt == t) {
            *pt = t->next;
            break;
        }
    }
    t->next = NULL;
    t->expire = -1;
}

void timer_mod_ns(QEMUTimer *t, int64_t expire_ns)
{
    QEMUTimer **pt;
    bool first;

    if (expire_ns < 0) {
        expire_ns = 0;
    }
    g_mutex_lock(&timer_lock);
    timer_del_locked(t);
    t->expire = expire_ns;
    pt = &clocks[t->type].active;
    while (*pt && (*pt)->expire <= expire_ns) {
        pt = &(*pt)->next;
    }
    t->next = *pt;
    *pt = t;
    first = clocks[t->type].active == t;
    g_mutex_unlock(&timer_lock);
    if (first) {
        qemu_notify_event();
    }
}

void timer_del(QEMUTimer *t)
{
    g_mutex_lock(&timer_lock);
    timer_del_locked(t);
    g_mutex_unlock(&timer_lock);
}

bool timer_pending(const QEMUTimer *t)
{
    return t->expire >= 0;
}

int64_t timer_expire_time_ns(const QEMUTimer *t)
{
    return t->expire;
}

void timer_free(QEMUTimer *t)
{
    if (t) {
        timer_del(t);
        g_free(t);
    }
}

int64_t qemu_clock_next_expire_ns(QEMUClockType type)
{
    int64_t next;

    g_mutex_lock(&timer_lock);
    next = next_expire_locked(type);
    g_mutex_unlock(&timer_lock);
    return next;
}

int64_t qemu_clock_deadline_ns(QEMUClockType type)
{
    int64_t next, now;

    g_mutex_lock(&timer_lock);
    next = next_expire_locked(type);
    g_mutex_unlock(&timer_lock);
    if (next < 0) {
        return -1;
    }
    if (type == QEMU_CLOCK_VIRTUAL && (vclock_manual || !vclock_running)) {
        /* A stopped or manual clock never reaches its deadlines by itself. */
        now = qemu_clock_get_ns(type);
        return next <= now ? 0 : -1;
    }
    now = qemu_clock_get_ns(type);
    return next > now ? next - now : 0;
}

bool qemu_clock_run_timers(QEMUClockType type)
{
    bool ran = false;

    for (;;) {
        int64_t now = qemu_clock_get_ns(type);
        QEMUTimer *t;
        QEMUTimerCB *cb;
        void *opaque;

        g_mutex_lock(&timer_lock);
        t = clocks[type].active;
        if (!t || t->expire > now) {
            g_mutex_unlock(&timer_lock);
            break;
        }
        /* Unlink before the callback: it may re-arm or free the timer. */
        clocks[type].active = t->next;
        t->next = NULL;
        t->expire = -1;
        cb = t->cb;
        opaque = t->opaque;
        g_mutex_unlock(&timer_lock);
        cb(opaque);
        ran = true;
    }
    return ran;
}

static int64_t timers_deadline_ns(void)
{
    int64_t best = -1;

    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        int64_t d = qemu_clock_deadline_ns(i);
        if (d >= 0 && (best < 0 || d < best)) {
            best = d;
        }
    }
    return best;
}

static void run_exit_notifiers_atexit(void)
{
    qemu_run_exit_notifiers();
}

void main_loop_init(void)
{
    static bool done;

    if (done) {
        return;
    }
    done = true;
    g_main_context_acquire(g_main_context_default());
    if (!exit_notifiers) {
        exit_notifiers = g_array_new(false, false, sizeof(ExitNotifier));
    }
    atexit(run_exit_notifiers_atexit);
    bql_lock();
}

void main_loop_wait(bool nonblocking)
{
    GMainContext *ctx = g_main_context_default();
    static GPollFD *fds;
    static int fds_alloc;
    gint max_prio, glib_timeout, nfds;
    int64_t timeout_ns;
    struct timespec ts;
    int ret;

    g_main_context_prepare(ctx, &max_prio);
    for (;;) {
        nfds =
            g_main_context_query(ctx, max_prio, &glib_timeout, fds, fds_alloc);
        if (nfds <= fds_alloc) {
            break;
        }
        fds_alloc = nfds;
        fds = g_renew(GPollFD, fds, fds_alloc);
    }
    timeout_ns = timers_deadline_ns();
    if (glib_timeout >= 0) {
        int64_t g = (int64_t)glib_timeout * 1000000;
        timeout_ns = timeout_ns < 0 ? g : MIN(timeout_ns, g);
    }
    if (nonblocking) {
        timeout_ns = 0;
    }
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / NANOSECONDS_PER_SECOND;
        ts.tv_nsec = timeout_ns % NANOSECONDS_PER_SECOND;
    }
    bql_unlock();
    /* GPollFD and struct pollfd share their layout on Linux. */
    ret = ppoll((struct pollfd *)fds, nfds, timeout_ns >= 0 ? &ts : NULL, NULL);
    bql_lock();
    if (ret < 0 && errno != EINTR) {
        g_warning("ppoll: %s", g_strerror(errno));
    }
    if (g_main_context_check(ctx, max_prio, fds, nfds)) {
        g_main_context_dispatch(ctx);
    }
    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        qemu_clock_run_timers(i);
    }
}

void qemu_notify_event(void)
{
    g_main_context_wakeup(g_main_context_default());
}

void bql_lock(void)
{
    g_mutex_lock(&bql);
    bql_held = true;
}

void bql_unlock(void)
{
    bql_held = false;
    g_mutex_unlock(&bql);
}

bool bql_locked(void)
{
    return bql_held;
}

void qemu_add_exit_notifier(void (*fn)(void *opaque), void *opaque)
{
    ExitNotifier n = {fn, opaque};

    if (!exit_notifiers) {
        exit_notifiers = g_array_new(false, false, sizeof(ExitNotifier));
    }
    g_array_append_val(exit_notifiers, n);
}

void qemu_run_exit_notifiers(void)
{
    GArray *list = exit_notifiers;

    /* Once only, even if called from a signal path and then atexit. */
    exit_notifiers = NULL;
    if (!list) {
        return;
    }
    for (guint i = list->len; i-- > 0;) {
        ExitNotifier *n = &g_array_index(list, ExitNotifier, i);
        n->fn(n->opaque);
    }
    g_array_free(list, true);
}
