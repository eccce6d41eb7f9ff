/*
 * VM run state, and requests to stop, reset, power down or shut down.
 *
 * Requests may come from any thread (a vCPU writing an ACPI register, the
 * monitor, a signal); they are recorded and acted on by the main loop, which
 * emits the QMP events (STOP, RESUME, RESET, SHUTDOWN, POWERDOWN).
 */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include <stdbool.h>

/* Names as QMP's query-status "status" field. */
typedef enum RunState {
    RUN_STATE_PRELAUNCH,      /* "prelaunch": -S, not started yet */
    RUN_STATE_RUNNING,        /* "running" */
    RUN_STATE_PAUSED,         /* "paused": stopped by stop/-S cont */
    RUN_STATE_SHUTDOWN,       /* "shutdown": guest shut down, -no-shutdown */
    RUN_STATE_DEBUG,          /* "debug": stopped by the gdbstub */
    RUN_STATE_INTERNAL_ERROR, /* "internal-error" */
    RUN_STATE_GUEST_PANICKED, /* "guest-panicked" */
    RUN_STATE_IO_ERROR,       /* "io-error" */
    RUN_STATE_SUSPENDED,      /* "suspended" */
    RUN_STATE__MAX
} RunState;

/* Why a shutdown or reset happened; QMP's "reason" strings. */
typedef enum ShutdownCause {
    SHUTDOWN_CAUSE_NONE,
    SHUTDOWN_CAUSE_HOST_ERROR,            /* "host-error" */
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,         /* "host-qmp-quit" */
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET, /* "host-qmp-system-reset" */
    SHUTDOWN_CAUSE_HOST_SIGNAL,           /* "host-signal" */
    SHUTDOWN_CAUSE_HOST_UI,               /* "host-ui" */
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,        /* "guest-shutdown" */
    SHUTDOWN_CAUSE_GUEST_RESET,           /* "guest-reset" */
    SHUTDOWN_CAUSE_GUEST_PANIC,           /* "guest-panic" */
    SHUTDOWN_CAUSE_SUBSYSTEM_RESET,       /* "subsystem-reset" */
    SHUTDOWN_CAUSE__MAX
} ShutdownCause;

RunState runstate_get(void);
bool runstate_is_running(void);
const char *runstate_name(RunState s);
const char *shutdown_cause_name(ShutdownCause c);

/*
 * Starts or resumes the guest (emits RESUME).  Callers that take user
 * requests (cont) check runstate_needs_reset() first: after a guest
 * shutdown under -no-shutdown, QEMU requires a system_reset.
 */
void vm_start(void);
bool runstate_needs_reset(void);
/* Stops the vCPUs and the virtual clock (emits STOP). */
void vm_stop(RunState state);
/* Process exit: stops the vCPUs like vm_stop, without a STOP event. */
void vm_shutdown(void);

/* Requests, safe from any thread; acted on by the main loop. */
void qemu_system_reset_request(ShutdownCause cause);
void qemu_system_shutdown_request(ShutdownCause cause);
void qemu_system_powerdown_request(void);
/* Guest triple fault or a reset register: honours -no-reboot. */
void qemu_system_guest_reset_request(void);
/* Guest power-off (ACPI S5, isa-debug-exit): honours -no-shutdown. */
void qemu_system_guest_shutdown_request(void);

/*
 * Hooks.  The accelerator pauses/resumes vCPUs on state changes; the
 * machine resets devices and CPUs; ACPI raises the power button SCI.
 */
typedef void RunStateHandler(void *opaque, bool running, RunState state);
void runstate_add_change_handler(RunStateHandler *fn, void *opaque);
void qemu_register_reset(void (*fn)(void *opaque), void *opaque);
void qemu_register_powerdown_handler(void (*fn)(void *opaque), void *opaque);
/* Runs every reset handler (machine reset), then emits nothing itself. */
void qemu_system_reset(ShutdownCause cause);

/* Options that change what guest shutdown/reset do. */
extern bool no_reboot;   /* -no-reboot: guest reset exits instead */
extern bool no_shutdown; /* -no-shutdown: guest power-off pauses */

/*
 * Called by the main loop after each iteration: acts on requests.  Returns
 * true when the process should exit, with *exit_status set.
 */
bool main_loop_should_exit(int *exit_status);
/* Exit with a given status at the next main loop iteration (isa-debug-exit). */
void qemu_system_exit_request(int status);

#endif
