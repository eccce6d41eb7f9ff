/*
 * The chardev lookups that hw/core/qdev.c links against; the interrupt
 * controller tests have no chardev properties, so there is none to find.
 */
#include <stddef.h>

#include "chardev/char.h"

Chardev *chardev_find(const char *id)
{
    return NULL;
}

const char *chardev_label(const Chardev *chr)
{
    return "";
}
