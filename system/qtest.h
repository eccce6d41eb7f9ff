/*
 * The qtest protocol (-accel qtest -qtest CHARDEV): device tests drive the
 * machine by line commands with no CPU running (see TESTING.md).
 */
#ifndef SYSTEM_QTEST_H
#define SYSTEM_QTEST_H

#include <stdbool.h>
#include "util/error.h"

/*
 * Opens the protocol on chardev_spec ("stdio", "unix:PATH", ...) and logs
 * the conversation to log_path when non-NULL ("-qtest-log").  Called by
 * main after the machine is created under the "qtest" accelerator.
 */
bool qtest_init(const char *chardev_spec, const char *log_path, Error **errp);

#endif
