/*
 * The chardev lookups that hw/core/qdev.c links against; the interrupt
 * controller tests have no chardev properties, so there is none to find.
 */
#include <stddef.h>

#include "chardev/char.h"
#include "system/qtest.h"

Chardev *chardev_find(const char *id)
{
    return NULL;
}

const char *chardev_label(const Chardev *chr)
{
    return "";
}

/* No test protocol in the unit tests: nothing is ever intercepted. */
bool qtest_irq_intercepted(const DeviceState *dev, bool in)
{
    return false;
}

void qtest_irq_report(int line, bool level)
{
}
