/*
 * Private interface between the command table (monitor.c), the two front
 * ends (hmp.c, qmp.c) and the built-in commands (cmds.c).
 */
#ifndef MONITOR_MONITOR_INTERNAL_H
#define MONITOR_MONITOR_INTERNAL_H

#include "monitor/monitor.h"
#include "chardev/char.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

/*
 * A monitor's output queue.  Writes never block the main loop: what the
 * chardev does not take now waits here and goes out when its fd is
 * writable again.  While more than MONITOR_OUT_HIGH bytes wait, the
 * monitor stops reading input (a client that does not read its replies
 * gets no more answers, and the VM keeps running).
 */
#define MONITOR_OUT_HIGH (64 * 1024)

typedef struct MonitorOutput {
    CharFrontend *fe;
    GString *buf;
    guint watch;
} MonitorOutput;

void monitor_output_init(MonitorOutput *o, CharFrontend *fe);
void monitor_output_write(MonitorOutput *o, const char *data, size_t len);
/* Input should wait: too much output is queued. */
bool monitor_output_full(const MonitorOutput *o);
/* The peer went away: drop what is queued. */
void monitor_output_reset(MonitorOutput *o);
/* Blocking flush (the process is about to exit). */
void monitor_output_drain(MonitorOutput *o);

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
