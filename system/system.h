/*
 * Process-wide entry points and options of qemu-system-<arch>.
 */
#ifndef SYSTEM_SYSTEM_H
#define SYSTEM_SYSTEM_H

#include <stdbool.h>
#include <glib.h>
#include "util/option.h"

typedef struct Chardev Chardev;

/* The whole of qemu-system-<arch>; target_name is "x86_64"/"aarch64". */
int qemu_main(int argc, char **argv, const char *target_name);
/* "x86_64" or "aarch64" for this binary. */
extern const char *target_name;
/* -name guest name, or NULL. */
extern const char *qemu_name;
/* -accel qtest is in use. */
extern bool qtest_enabled;

/* The chardev of -serial N (0-3), NULL when none. */
Chardev *serial_hd(int i);
#define MAX_SERIAL_PORTS 4

/* -rtc options (base=, clock=, driftfix=), NULL when not given. */
extern Opts *qemu_rtc_opts;

/* CPU model list for `-cpu help`, provided by the target/accelerator. */
typedef void CpuListFn(GString *out);
void cpu_list_register(CpuListFn *fn);

#endif
