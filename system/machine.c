/*
 * Machine and accelerator registries (hw/core/machine.h, system/accel.h).
 */
#include "hw/core/machine.h"

#include <string.h>
#include "system/accel.h"

MachineState *current_machine;
const AccelOps *current_accel;

static GPtrArray *machines; /* const MachineClass * */
static GPtrArray *accels;   /* const AccelOps * */

void machine_class_register(const MachineClass *mc)
{
    if (!machines) {
        machines = g_ptr_array_new();
    }
    g_ptr_array_add(machines, (gpointer)mc);
}

static bool machine_for_arch(const MachineClass *mc, const char *arch)
{
    return !mc->arch || !arch || !strcmp(mc->arch, arch);
}

const MachineClass *machine_class_find(const char *name, const char *arch)
{
    for (guint i = 0; machines && i < machines->len; i++) {
        const MachineClass *mc = g_ptr_array_index(machines, i);
        if (!machine_for_arch(mc, arch)) {
            continue;
        }
        if (!strcmp(mc->name, name) ||
            (mc->alias && !strcmp(mc->alias, name))) {
            return mc;
        }
    }
    return NULL;
}

const MachineClass *machine_class_default(const char *arch)
{
    for (guint i = 0; machines && i < machines->len; i++) {
        const MachineClass *mc = g_ptr_array_index(machines, i);
        if (mc->is_default && machine_for_arch(mc, arch)) {
            return mc;
        }
    }
    return NULL;
}

static gint machine_cmp(gconstpointer a, gconstpointer b)
{
    const MachineClass *ma = *(const MachineClass *const *)a;
    const MachineClass *mb = *(const MachineClass *const *)b;

    return strcmp(ma->name, mb->name);
}

void machine_print_help(GString *out, const char *arch)
{
    g_autoptr(GPtrArray) list = g_ptr_array_new();

    for (guint i = 0; machines && i < machines->len; i++) {
        const MachineClass *mc = g_ptr_array_index(machines, i);
        if (machine_for_arch(mc, arch)) {
            g_ptr_array_add(list, (gpointer)mc);
        }
    }
    g_ptr_array_sort(list, machine_cmp);
    g_string_append(out, "Supported machines are:\n");
    /* As QEMU: aliases first, as their own line pointing at the target. */
    for (guint i = 0; i < list->len; i++) {
        const MachineClass *mc = g_ptr_array_index(list, i);
        if (mc->alias) {
            g_string_append_printf(out, "%-20s %s (alias of %s)\n", mc->alias,
                                   mc->desc, mc->name);
        }
        g_string_append_printf(out, "%-20s %s%s\n", mc->name, mc->desc,
                               mc->is_default ? " (default)" : "");
    }
}

void accel_register(const AccelOps *ops)
{
    if (!accels) {
        accels = g_ptr_array_new();
    }
    g_ptr_array_add(accels, (gpointer)ops);
}

const AccelOps *accel_find(const char *name)
{
    for (guint i = 0; accels && i < accels->len; i++) {
        const AccelOps *ops = g_ptr_array_index(accels, i);
        if (!strcmp(ops->name, name)) {
            return ops;
        }
    }
    return NULL;
}
