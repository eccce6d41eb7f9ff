/*
 * The main loop, clocks and timers, and the big lock.
 *
 * The main thread runs glib's default GMainContext: chardevs, the monitor
 * and net/block backends add their fds there as GSources.  Timers live on
 * three clocks:
 *   QEMU_CLOCK_REALTIME  monotonic host time, always runs;
 *   QEMU_CLOCK_VIRTUAL   guest time: stops while the VM is not running, and
 *                        under -accel qtest advances only by clock_step;
 *   QEMU_CLOCK_HOST      wall-clock (CLOCK_REALTIME), follows host changes.
 *
 *     QEMUTimer *t = timer_new_ns(QEMU_CLOCK_VIRTUAL, pit_tick, s);
 *     timer_mod_ns(t, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + period);
 *
 * Timer callbacks run on the main thread with the big lock held.  vCPU
 * threads take the big lock (bql_lock) before touching device state.
 */
#ifndef SYSTEM_MAIN_LOOP_H
#define SYSTEM_MAIN_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define NANOSECONDS_PER_SECOND 1000000000LL

typedef enum QEMUClockType {
    QEMU_CLOCK_REALTIME,
    QEMU_CLOCK_VIRTUAL,
    QEMU_CLOCK_HOST,
    QEMU_CLOCK_MAX
} QEMUClockType;

typedef void QEMUTimerCB(void *opaque);
typedef struct QEMUTimer QEMUTimer;

int64_t qemu_clock_get_ns(QEMUClockType type);
static inline int64_t qemu_clock_get_ms(QEMUClockType type)
{
    return qemu_clock_get_ns(type) / 1000000;
}

/*
 * Starts/stops the virtual clock (runstate does this on cont/stop).  While
 * stopped, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) does not advance.
 */
void qemu_clock_virtual_enable(bool enable);
/*
 * qtest: the virtual clock no longer follows the host; it only moves by
 * qemu_clock_virtual_step().  Returns the new virtual time.
 */
void qemu_clock_virtual_set_manual(void);
int64_t qemu_clock_virtual_step(int64_t ns);
/* Nanoseconds until the next timer of this clock fires, or -1 for none. */
int64_t qemu_clock_deadline_ns(QEMUClockType type);
/* Absolute expiry time of the earliest pending timer, or -1 for none. */
int64_t qemu_clock_next_expire_ns(QEMUClockType type);
/* Runs the expired timers of a clock; returns whether any ran. */
bool qemu_clock_run_timers(QEMUClockType type);

QEMUTimer *timer_new_ns(QEMUClockType type, QEMUTimerCB *cb, void *opaque);
/* Arms (or re-arms) the timer to fire when the clock reaches expire_ns. */
void timer_mod_ns(QEMUTimer *t, int64_t expire_ns);
void timer_del(QEMUTimer *t);
bool timer_pending(const QEMUTimer *t);
int64_t timer_expire_time_ns(const QEMUTimer *t);
/* Deletes and frees; NULL is allowed. */
void timer_free(QEMUTimer *t);

/* Sets up the loop (call once from main before creating sources). */
void main_loop_init(void);
/* One iteration: waits for fds/timers (not at all if nonblocking). */
void main_loop_wait(bool nonblocking);
/* Wakes a main_loop_wait() sleeping in another thread. */
void qemu_notify_event(void);

/* The big lock (BQL): held by the main loop except while it waits. */
void bql_lock(void);
void bql_unlock(void);
bool bql_locked(void);

/*
 * Functions to run when the process exits for any reason (quit, signal,
 * guest shutdown): the stdio chardev restores the terminal here.
 */
void qemu_add_exit_notifier(void (*fn)(void *opaque), void *opaque);
void qemu_run_exit_notifiers(void);

#endif
