/*
 * The qtest protocol (-accel qtest -qtest CHARDEV): device tests drive the
 * machine by line commands with no CPU running (see TESTING.md).
 *
 * Commands (numbers in C syntax: 0x.. hex, decimal; replies end in '\n'):
 *   readb|readw|readl|readq ADDR      -> OK 0x%016x (little-endian value)
 *   writeb|writew|writel|writeq ADDR VAL -> OK
 *   inb|inw|inl PORT                  -> OK 0x%04x
 *   outb|outw|outl PORT VAL           -> OK
 *   read ADDR LEN                     -> OK 0x<2 hex digits per byte>
 *   write ADDR LEN 0x<hex>            -> OK (missing bytes are zero)
 *   memset ADDR LEN BYTE              -> OK
 *   b64read ADDR LEN                  -> OK <base64>
 *   b64write ADDR LEN <base64>        -> OK
 *   clock_step [NS]                   -> OK <virtual ns> (no NS: to the
 *                                        next timer deadline)
 *   clock_set NS                      -> OK <virtual ns>
 *   irq_intercept_in|irq_intercept_out PATH -> OK
 *   endianness                        -> OK little
 * Anything else, or bad arguments: "FAIL <reason>", and the session goes
 * on.  Intercepted IRQ lines are reported asynchronously as
 * "IRQ raise N" / "IRQ lower N".
 */
#ifndef SYSTEM_QTEST_H
#define SYSTEM_QTEST_H

#include <stdbool.h>
#include "util/error.h"

typedef struct DeviceState DeviceState;

/*
 * Opens the protocol on chardev_spec ("stdio", "unix:PATH,server=on", ...)
 * and logs the conversation to log_path ("-qtest-log"; NULL means stderr,
 * as in QEMU, and "none" means no log).  Called by main once the "qtest"
 * accelerator is chosen.
 */
bool qtest_init(const char *chardev_spec, const char *log_path, Error **errp);

/*
 * Hooks for the IRQ layer: whether the test asked to intercept dev's
 * input lines (in = true) or output lines, and how a change of an
 * intercepted line is reported to the test.
 */
bool qtest_irq_intercepted(const DeviceState *dev, bool in);
void qtest_irq_report(int line, bool level);

#endif
