/*
 * Private interface between the command table (monitor.c), the two front
 * ends (hmp.c, qmp.c) and the built-in commands (cmds.c).
 */
#ifndef MONITOR_MONITOR_INTERNAL_H
#define MONITOR_MONITOR_INTERNAL_H

#include "monitor/monitor.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

/* Version numbers for query-version, the QMP greeting and `info version`. */
void monitor_qemu_version(int *major, int *minor, int *micro);
const char *monitor_package(void); /* "Quasar 0.1.0" */

/*
 * Checks QMP "arguments" against cmd->args: missing or mistyped
 * parameters first (in table order), then unexpected ones, with QEMU's
 * messages ("Parameter 'x' is missing", "Invalid parameter type for 'x',
 * expected: string", "Parameter 'x' is unexpected").
 */
bool monitor_check_args(const MonitorCommand *cmd, json_t *args, Error **errp);

/*
 * Runs one HMP command line, appending what it prints (with "\n" line
 * ends) to out.  error_report() inside the command lands in out too.
 */
void hmp_run(GString *out, const char *cmdline);
/* `help [cmd]` text (cmd may be NULL, "stop", "info", "info status"). */
void hmp_help(GString *out, const char *what);
/* HMP command names for tab completion: words after `prefix_words`. */
GPtrArray *hmp_complete(const char *line);

/* A quit was requested: HMP prints no further prompt. */
extern bool monitor_quitting;

/* "\n" -> "\r\n", as QEMU's monitors print. */
char *monitor_crlf(const char *s);

/* Formatter for handlers that return a JSON string of text. */
void hmp_print_string(GString *out, json_t *ret, json_t *args);

#endif
