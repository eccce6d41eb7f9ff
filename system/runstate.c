/*
 * Run state and the shutdown/reset/powerdown requests (system/runstate.h).
 *
 * Requests are flags set from any thread; the main loop consumes them in
 * main_loop_should_exit(), where the QMP events are emitted, so devices on
 * vCPU threads never run reset handlers or monitor code themselves.
 */
#include "system/runstate.h"

#include <jansson.h>
#include "monitor/monitor.h"
#include "system/main-loop.h"

typedef struct Handler {
    void (*fn)(void *opaque);
    void *opaque;
} Handler;

typedef struct ChangeHandler {
    RunStateHandler *fn;
    void *opaque;
} ChangeHandler;

static const char *const runstate_names[RUN_STATE__MAX] = {
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_SHUTDOWN] = "shutdown",
    [RUN_STATE_DEBUG] = "debug",
    [RUN_STATE_INTERNAL_ERROR] = "internal-error",
    [RUN_STATE_GUEST_PANICKED] = "guest-panicked",
    [RUN_STATE_IO_ERROR] = "io-error",
    [RUN_STATE_SUSPENDED] = "suspended",
};

static const char *const cause_names[SHUTDOWN_CAUSE__MAX] = {
    [SHUTDOWN_CAUSE_NONE] = "none",
    [SHUTDOWN_CAUSE_HOST_ERROR] = "host-error",
    [SHUTDOWN_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
    [SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
    [SHUTDOWN_CAUSE_HOST_SIGNAL] = "host-signal",
    [SHUTDOWN_CAUSE_HOST_UI] = "host-ui",
    [SHUTDOWN_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
    [SHUTDOWN_CAUSE_GUEST_RESET] = "guest-reset",
    [SHUTDOWN_CAUSE_GUEST_PANIC] = "guest-panic",
    [SHUTDOWN_CAUSE_SUBSYSTEM_RESET] = "subsystem-reset",
};

bool no_reboot;
bool no_shutdown;

static RunState current_state = RUN_STATE_PRELAUNCH;
static GArray *change_handlers;    /* ChangeHandler */
static GArray *reset_handlers;     /* Handler */
static GArray *powerdown_handlers; /* Handler */

/* Pending requests: 0 = none, else ShutdownCause + 1. */
static int reset_requested;    /* ShutdownCause */
static int shutdown_requested; /* ShutdownCause */
static int powerdown_requested;
static int exit_requested;
static int exit_status_requested;

static GArray *handler_list(GArray **list, size_t elt)
{
    if (!*list) {
        *list = g_array_new(false, false, elt);
    }
    return *list;
}

RunState runstate_get(void)
{
    return current_state;
}

bool runstate_is_running(void)
{
    return current_state == RUN_STATE_RUNNING;
}

const char *runstate_name(RunState s)
{
    return s < RUN_STATE__MAX ? runstate_names[s] : "unknown";
}

const char *shutdown_cause_name(ShutdownCause c)
{
    return c < SHUTDOWN_CAUSE__MAX ? cause_names[c] : "none";
}

bool runstate_needs_reset(void)
{
    return current_state == RUN_STATE_SHUTDOWN ||
           current_state == RUN_STATE_INTERNAL_ERROR ||
           current_state == RUN_STATE_GUEST_PANICKED;
}

static void notify_change(bool running, RunState state)
{
    if (!change_handlers) {
        return;
    }
    for (guint i = 0; i < change_handlers->len; i++) {
        ChangeHandler *h = &g_array_index(change_handlers, ChangeHandler, i);
        h->fn(h->opaque, running, state);
    }
}

void vm_start(void)
{
    if (current_state == RUN_STATE_RUNNING) {
        return;
    }
    current_state = RUN_STATE_RUNNING;
    qemu_clock_virtual_enable(true);
    notify_change(true, RUN_STATE_RUNNING);
    qmp_event_send("RESUME", NULL);
}

void vm_stop(RunState state)
{
    bool was_running = current_state == RUN_STATE_RUNNING;

    current_state = state;
    if (!was_running) {
        return;
    }
    notify_change(false, state);
    qemu_clock_virtual_enable(false);
    qmp_event_send("STOP", NULL);
}

void vm_shutdown(void)
{
    bool was_running = current_state == RUN_STATE_RUNNING;

    current_state = RUN_STATE_SHUTDOWN;
    if (was_running) {
        notify_change(false, RUN_STATE_SHUTDOWN);
        qemu_clock_virtual_enable(false);
    }
}

void runstate_add_change_handler(RunStateHandler *fn, void *opaque)
{
    ChangeHandler h = {fn, opaque};

    g_array_append_val(handler_list(&change_handlers, sizeof(h)), h);
}

void qemu_register_reset(void (*fn)(void *opaque), void *opaque)
{
    Handler h = {fn, opaque};

    g_array_append_val(handler_list(&reset_handlers, sizeof(h)), h);
}

void qemu_register_powerdown_handler(void (*fn)(void *opaque), void *opaque)
{
    Handler h = {fn, opaque};

    g_array_append_val(handler_list(&powerdown_handlers, sizeof(h)), h);
}

static void run_handlers(GArray *list)
{
    if (!list) {
        return;
    }
    for (guint i = 0; i < list->len; i++) {
        Handler *h = &g_array_index(list, Handler, i);
        h->fn(h->opaque);
    }
}

void qemu_system_reset(ShutdownCause cause)
{
    run_handlers(reset_handlers);
}

void qemu_system_reset_request(ShutdownCause cause)
{
    g_atomic_int_set(&reset_requested, (int)cause + 1);
    qemu_notify_event();
}

void qemu_system_shutdown_request(ShutdownCause cause)
{
    g_atomic_int_set(&shutdown_requested, (int)cause + 1);
    qemu_notify_event();
}

void qemu_system_powerdown_request(void)
{
    g_atomic_int_set(&powerdown_requested, 1);
    qemu_notify_event();
}

void qemu_system_guest_reset_request(void)
{
    if (no_reboot) {
        qemu_system_shutdown_request(SHUTDOWN_CAUSE_GUEST_RESET);
    } else {
        qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    }
}

void qemu_system_guest_shutdown_request(void)
{
    qemu_system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
}

void qemu_system_exit_request(int status)
{
    g_atomic_int_set(&exit_status_requested, status);
    g_atomic_int_set(&exit_requested, 1);
    qemu_notify_event();
}

static bool cause_is_guest(ShutdownCause c)
{
    return c == SHUTDOWN_CAUSE_GUEST_SHUTDOWN ||
           c == SHUTDOWN_CAUSE_GUEST_RESET || c == SHUTDOWN_CAUSE_GUEST_PANIC;
}

static void send_cause_event(const char *event, ShutdownCause cause)
{
    qmp_event_send(event,
                   json_pack("{s:b, s:s}", "guest", cause_is_guest(cause),
                             "reason", shutdown_cause_name(cause)));
}

bool main_loop_should_exit(int *exit_status)
{
    int cause;

    if (g_atomic_int_get(&exit_requested)) {
        *exit_status = g_atomic_int_get(&exit_status_requested);
        return true;
    }
    cause = g_atomic_int_and(&shutdown_requested, 0) - 1;
    if (cause >= 0) {
        send_cause_event("SHUTDOWN", cause);
        if (no_shutdown && cause == SHUTDOWN_CAUSE_GUEST_SHUTDOWN) {
            vm_stop(RUN_STATE_SHUTDOWN);
        } else {
            *exit_status = 0;
            return true;
        }
    }
    if (g_atomic_int_get(&reset_requested)) {
        bool was_running = runstate_is_running();

        cause = g_atomic_int_and(&reset_requested, 0) - 1;
        if (was_running) {
            /* Stop vCPUs around the reset without STOP/RESUME events. */
            notify_change(false, RUN_STATE_PAUSED);
        }
        qemu_system_reset(cause);
        send_cause_event("RESET", cause);
        if (runstate_needs_reset()) {
            current_state = RUN_STATE_PAUSED;
        }
        if (was_running) {
            notify_change(true, RUN_STATE_RUNNING);
        }
    }
    if (g_atomic_int_and(&powerdown_requested, 0)) {
        qmp_event_send("POWERDOWN", NULL);
        run_handlers(powerdown_handlers);
    }
    return false;
}
