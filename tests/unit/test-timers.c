/*
 * system/main-loop.c: clocks, timers and the main loop wait.
 */
#include <glib.h>
#include "system/main-loop.h"

typedef struct Fired {
    GArray *order; /* ids in firing order */
    GArray *clock; /* virtual clock seen at each firing */
} Fired;

typedef struct TimerCtx {
    Fired *f;
    int id;
    QEMUTimer *t;
    int rearm; /* re-arm this many more times, +100 ns each */
} TimerCtx;

static void on_timer(void *opaque)
{
    TimerCtx *c = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    g_array_append_val(c->f->order, c->id);
    g_array_append_val(c->f->clock, now);
    if (c->rearm > 0) {
        c->rearm--;
        timer_mod_ns(c->t, now + 100);
    }
}

static Fired *fired_new(void)
{
    Fired *f = g_new0(Fired, 1);

    f->order = g_array_new(false, false, sizeof(int));
    f->clock = g_array_new(false, false, sizeof(int64_t));
    return f;
}

static void fired_free(Fired *f)
{
    g_array_free(f->order, true);
    g_array_free(f->clock, true);
    g_free(f);
}

/* Runs first: the virtual clock is frozen at 0 until enabled. */
static void test_virtual_stopped(void)
{
    int64_t a = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    g_usleep(2000);
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), ==, a);

    qemu_clock_virtual_enable(true);
    g_usleep(2000);
    a = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    g_assert_cmpint(a, >=, 2000000);
    qemu_clock_virtual_enable(false);
    a = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    g_usleep(2000);
    /* Stopped: no time passes, and it resumes from where it stopped. */
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), ==, a);
    qemu_clock_virtual_enable(true);
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), <, a + 1000000);
    qemu_clock_virtual_enable(false);
}

static void test_realtime_fires_in_loop(void)
{
    Fired *f = fired_new();
    TimerCtx c = {f, 1, NULL, 0};
    int64_t start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);

    c.t = timer_new_ns(QEMU_CLOCK_REALTIME, on_timer, &c);
    timer_mod_ns(c.t, start + 3000000);
    g_assert_true(timer_pending(c.t));
    while (f->order->len == 0) {
        main_loop_wait(false);
    }
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - start, >=,
                    3000000);
    g_assert_false(timer_pending(c.t));
    timer_free(c.t);
    fired_free(f);
}

/* Under qtest the clock moves only by steps; timers see their deadline. */
static void test_manual_step_order(void)
{
    Fired *f = fired_new();
    TimerCtx a = {f, 1, NULL, 0}, b = {f, 2, NULL, 2}, d = {f, 3, NULL, 0};
    int64_t base;

    qemu_clock_virtual_set_manual();
    base = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    a.t = timer_new_ns(QEMU_CLOCK_VIRTUAL, on_timer, &a);
    b.t = timer_new_ns(QEMU_CLOCK_VIRTUAL, on_timer, &b);
    d.t = timer_new_ns(QEMU_CLOCK_VIRTUAL, on_timer, &d);
    timer_mod_ns(a.t, base + 500);
    timer_mod_ns(b.t, base + 100);
    timer_mod_ns(d.t, base + 10000);
    g_assert_cmpint(qemu_clock_deadline_ns(QEMU_CLOCK_VIRTUAL), ==, -1);

    g_assert_cmpint(qemu_clock_virtual_step(1000), ==, base + 1000);
    /* b at 100, b re-armed at 200, 300, a at 500; d not yet. */
    g_assert_cmpuint(f->order->len, ==, 4);
    g_assert_cmpint(g_array_index(f->order, int, 0), ==, 2);
    g_assert_cmpint(g_array_index(f->clock, int64_t, 0), ==, base + 100);
    g_assert_cmpint(g_array_index(f->order, int, 1), ==, 2);
    g_assert_cmpint(g_array_index(f->clock, int64_t, 1), ==, base + 200);
    g_assert_cmpint(g_array_index(f->clock, int64_t, 2), ==, base + 300);
    g_assert_cmpint(g_array_index(f->order, int, 3), ==, 1);
    g_assert_cmpint(g_array_index(f->clock, int64_t, 3), ==, base + 500);
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), ==, base + 1000);
    g_assert_true(timer_pending(d.t));
    g_assert_cmpint(timer_expire_time_ns(d.t), ==, base + 10000);

    /* Deleted timers do not fire. */
    timer_del(d.t);
    qemu_clock_virtual_step(20000);
    g_assert_cmpuint(f->order->len, ==, 4);
    timer_free(a.t);
    timer_free(b.t);
    timer_free(d.t);
    fired_free(f);
}

static gpointer notify_thread(gpointer opaque)
{
    g_usleep(20000);
    *(volatile int *)opaque = 1;
    qemu_notify_event();
    return NULL;
}

/* A sleeping loop with no timers wakes when another thread notifies. */
static void test_notify_wakes(void)
{
    volatile int flag = 0;
    GThread *t = g_thread_new("notify", notify_thread, (gpointer)&flag);

    while (!flag) {
        main_loop_wait(false);
    }
    g_thread_join(t);
    g_assert_cmpint(flag, ==, 1);
}

static void test_bql(void)
{
    g_assert_true(bql_locked()); /* main_loop_init takes it */
    bql_unlock();
    g_assert_false(bql_locked());
    bql_lock();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    main_loop_init();
    g_test_add_func("/timers/virtual-stopped", test_virtual_stopped);
    g_test_add_func("/timers/realtime-in-loop", test_realtime_fires_in_loop);
    g_test_add_func("/timers/notify-wakes", test_notify_wakes);
    g_test_add_func("/timers/bql", test_bql);
    g_test_add_func("/timers/manual-step-order", test_manual_step_order);
    return g_test_run();
}
