/*
 * The monitor: one command table, two faces (HMP for people, QMP for
 * programs, QEMU's wire protocol).
 *
 * A command is one C function returning a JSON result (jansson json_t),
 * plus an optional formatter that prints the result for HMP:
 *
 *     static json_t *qmp_query_status(json_t *args, Error **errp)
 *     {
 *         return json_pack("{s:s, s:b, s:b}", "status", ..., "running", ...);
 *     }
 *     static void hmp_info_status(GString *out, json_t *ret) { ... }
 *     static const MonitorArg no_args[] = { { NULL } };
 *     static const MonitorCommand query_status_cmd = {
 *         .name = "query-status", .hmp_name = "info status",
 *         .args = no_args, .handler = qmp_query_status,
 *         .hmp_format = hmp_info_status,
 *         .hmp_help = "show the current VM status (running|paused)",
 *     };
 *     MONITOR_COMMAND_REGISTER(query_status_cmd)
 *
 * QMP passes "arguments" (checked against .args: unknown or missing keys and
 * wrong types are errors) to the handler and replies {"return": result} or
 * {"error": {"class", "desc"}}.  HMP parses the words of the line into the
 * same JSON object by the arg types, calls the handler, and prints with
 * hmp_format (or nothing when NULL and the result is {}), or the error.
 * Commands that only make sense for people (e.g. `x`, `info mtree`) may
 * set hmp_only; QMP-only ones leave hmp_name NULL.
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include <stdbool.h>
#include <glib.h>
#include <jansson.h>
#include "util/error.h"

typedef struct Chardev Chardev;

typedef enum MonitorArgType {
    MON_ARG_STR,    /* JSON string; HMP: one word (or "rest of line") */
    MON_ARG_INT,    /* JSON integer; HMP: number or expression */
    MON_ARG_BOOL,   /* JSON bool; HMP: on/off/true/false */
    MON_ARG_SIZE,   /* JSON integer; HMP: size with suffix */
    MON_ARG_REST,   /* JSON string; HMP: the rest of the line */
    MON_ARG_FORMAT, /* HMP "/fmt" of x/xp, into count, format, size */
    MON_ARG_FLAG,   /* HMP "-f" style flag, JSON bool */
    MON_ARG_JSON,   /* JSON object (QMP structs); HMP: JSON text to the end */
} MonitorArgType;

typedef struct MonitorArg {
    const char *name;
    MonitorArgType type;
    bool optional;
    const char *hmp_flag; /* for MON_ARG_FLAG: "-f" */
} MonitorArg;

typedef struct MonitorCommand {
    const char *name;       /* QMP name ("query-status"); may be NULL */
    const char *hmp_name;   /* HMP words ("info status"); may be NULL */
    const MonitorArg *args; /* ends with { NULL }; NULL means no args */
    const char *hmp_params; /* usage shown by help: "[-f] device" */
    const char *hmp_help;
    bool hmp_only; /* not visible to QMP */
    /* Returns a new reference, or NULL with errp set. */
    json_t *(*handler)(json_t *args, Error **errp);
    /* Prints the result for people; NULL prints nothing. */
    void (*hmp_format)(GString *out, json_t *ret, json_t *args);
} MonitorCommand;

void monitor_command_register(const MonitorCommand *cmd);
#define MONITOR_COMMAND_REGISTER(cmd)                                          \
    static void __attribute__((constructor)) register_##cmd(void)              \
    {                                                                          \
        monitor_command_register(&(cmd));                                      \
    }

const MonitorCommand *monitor_command_find_qmp(const char *name);
/* Every registered command, in registration order. */
GPtrArray *monitor_command_list(void);

/* Front ends on a chardev (-monitor, -qmp, -mon). */
bool monitor_init_hmp(Chardev *chr, bool use_readline, Error **errp);
bool monitor_init_qmp(Chardev *chr, bool pretty, Error **errp);

/*
 * Sends an event to every QMP monitor that finished negotiation:
 * {"timestamp": {"seconds", "microseconds"}, "event": name, "data": data}.
 * Steals data; NULL omits "data", as QEMU's STOP/RESUME/POWERDOWN do.
 * Safe from any thread: on the main thread it is sent at once (before the
 * reply of the command that caused it); from other threads it is queued
 * and sent by the main loop.
 */
void qmp_event_send(const char *name, json_t *data);

/* Runs an HMP command line and returns what it printed (for QMP's
 * human-monitor-command and for tests). */
char *monitor_hmp_execute(const char *cmdline);

#endif
