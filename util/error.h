/*
 * Error reporting: the Error **errp convention.
 *
 * Functions that can fail take `Error **errp` last and return bool, a
 * pointer or a negative number.  On failure they call error_setg(errp, ...)
 * exactly once.  The caller decides: pass its own errp on, report it
 * (error_report_err), or use &error_fatal / &error_abort.
 *
 *     Error *err = NULL;
 *     if (!chardev_open(opts, &err)) {
 *         error_report_err(err);          // "qemu-system-x86_64: msg"
 *         return false;
 *     }
 *
 * Messages are one line, name the option or file, and say what is wrong.
 * error_report() prefixes the program name (and, while an option is being
 * processed, "-opt value: " via error_set_location()).
 */
#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include <stdbool.h>
#include <stdarg.h>
#include <glib.h>

/* QMP error classes, as in QEMU's wire protocol. */
typedef enum ErrorClass {
    ERROR_CLASS_GENERIC_ERROR,
    ERROR_CLASS_COMMAND_NOT_FOUND,
    ERROR_CLASS_DEVICE_NOT_ACTIVE,
    ERROR_CLASS_DEVICE_NOT_FOUND,
    ERROR_CLASS_KVM_MISSING_CAP,
} ErrorClass;

typedef struct Error Error;

/* Special destinations: report and exit(1), or report and abort(). */
extern Error *error_fatal;
extern Error *error_abort;

void error_setg(Error **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void error_set(Error **errp, ErrorClass cls, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* Appends ": strerror(os_errno)". */
void error_setg_errno(Error **errp, int os_errno, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* Prepends a formatted prefix to an already-set *errp. */
void error_prepend(Error **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Moves local_err into *dst (or handles fatal/abort); local_err may be NULL. */
void error_propagate(Error **dst, Error *local_err);

const char *error_get_pretty(const Error *err);
ErrorClass error_get_class(const Error *err);
const char *error_class_name(ErrorClass cls);
void error_free(Error *err);

/* "progname: [location: ]msg\n" on stderr (or the current monitor). */
void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void info_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void error_vreport(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);
/* error_report() of the message, then error_free(). */
void error_report_err(Error *err);
void warn_report_err(Error *err);

/* Program name used as the message prefix ("qemu-img"). */
void error_set_progname(const char *argv0);
const char *error_get_progname(void);
/*
 * While non-NULL, reports read "progname: LOCATION: msg"; the CLI sets it
 * to "-m banana" while it processes that option.  Pass NULL to clear.
 */
void error_set_location(const char *loc);

/*
 * Where error_report() writes.  The monitor redirects it while a command
 * runs so that errors reach the user's session; NULL restores stderr.
 */
typedef void ErrorPrinter(void *opaque, const char *line);
void error_set_printer(ErrorPrinter *fn, void *opaque);

#endif
