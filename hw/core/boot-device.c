/*
 * Boot devices ordered by their bootindex property, as the OpenFirmware
 * paths in QEMU's "bootorder" fw_cfg file (SeaBIOS src/boot.c matches
 * them against the devices it finds; docs/bootindex.rst in QEMU's
 * manual describes the property).
 */
#include <string.h>

#include "hw/core/boot-device.h"

typedef struct BootEntry {
    int32_t bootindex;
    DeviceState *dev;
    char *path;
} BootEntry;

static GPtrArray *boot_entries; /* BootEntry *, sorted by bootindex */

bool boot_device_add(int32_t bootindex, DeviceState *dev, const char *fw_path,
                     Error **errp)
{
    BootEntry *e;
    guint i;

    if (bootindex < 0) {
        return true;
    }
    if (!boot_entries) {
        boot_entries = g_ptr_array_new();
    }
    for (i = 0; i < boot_entries->len; i++) {
        BootEntry *o = g_ptr_array_index(boot_entries, i);
        if (o->bootindex == bootindex) {
            error_setg(errp, "The bootindex %d has already been used",
                       bootindex);
            return false;
        }
        if (o->bootindex > bootindex) {
            break;
        }
    }
    e = g_new0(BootEntry, 1);
    e->bootindex = bootindex;
    e->dev = dev;
    e->path = g_strdup(fw_path);
    g_ptr_array_insert(boot_entries, i, e);
    return true;
}

void boot_device_add_rom(const char *fw_path)
{
    BootEntry *e = g_new0(BootEntry, 1);
    guint i = 0;

    if (!boot_entries) {
        boot_entries = g_ptr_array_new();
    }
    while (i < boot_entries->len &&
           ((BootEntry *)g_ptr_array_index(boot_entries, i))->bootindex < 0) {
        i++;
    }
    e->bootindex = -1; /* sorts first; not a device's index */
    e->path = g_strdup(fw_path);
    g_ptr_array_insert(boot_entries, i, e);
}

char *boot_device_list(size_t *len)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; boot_entries && i < boot_entries->len; i++) {
        BootEntry *e = g_ptr_array_index(boot_entries, i);
        g_string_append(s, e->path);
        g_string_append_c(s, '\n');
    }
    if (s->len) {
        g_string_truncate(s, s->len - 1); /* no newline after the last */
    }
    *len = s->len + 1;
    return g_string_free(s, false);
}
