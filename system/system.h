/*
 * Process-wide entry points and options of qemu-system-<arch>.
 */
#ifndef SYSTEM_SYSTEM_H
#define SYSTEM_SYSTEM_H

#include <stdbool.h>

/* The whole of qemu-system-<arch>; target_name is "x86_64"/"aarch64". */
int qemu_main(int argc, char **argv, const char *target_name);
/* "x86_64" or "aarch64" for this binary. */
extern const char *target_name;
/* -name guest name, or NULL. */
extern const char *qemu_name;
/* -accel qtest is in use. */
extern bool qtest_enabled;

#endif
