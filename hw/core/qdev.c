/*
 * Devices: the type registry, typed properties, -global, buses, realize,
 * reset, -device, `-device help` and `info qtree`.
 *
 * Types are registered by constructors (DEVICE_TYPE_REGISTER) in any
 * order; a type's parent is looked up by name when it is first needed.
 * An instance is one g_malloc0'd block of the type's instance_size whose
 * first member is a DeviceState.  Properties live at fixed offsets in that
 * block; a type sees its own properties and its ancestors' (the nearest
 * definition of a name wins).
 *
 * Life of a device:
 *     device_new()      defaults (ancestors' first), -global (for the type
 *                       and its ancestors), instance_init chain;
 *     device_prop_*()   user properties, refused once realized;
 *     device_realize()  plug into a bus (bus_type), realize chain;
 *     device_reset()    reset chain (device_reset_all() walks the tree);
 *     device_free()     unrealize, unplug, free.
 *
 * Everything here runs on the main thread with the big lock held.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/qdev.h"
#include "chardev/char.h"
#include "util/cutils.h"

typedef struct GlobalProp {
    char *driver;
    char *property;
    char *value;
} GlobalProp;

static GHashTable *types;  /* name -> const DeviceTypeInfo * */
static GPtrArray *globals; /* GlobalProp *, in command-line order */
static GPtrArray *devices; /* realized DeviceState *, in order */
static GPtrArray *buses;   /* every BusState *, in creation order */
static BusState *main_system_bus;
static unsigned anon_count, unattached_count;
static bool machine_reset_done; /* later realizes are hot plugs */
static const DevicePropBackend *prop_backends[PROP_NETDEV + 1];

/* ---- Type registry ---- */

void device_type_register(const DeviceTypeInfo *info)
{
    if (!types) {
        types = g_hash_table_new(g_str_hash, g_str_equal);
    }
    if (g_hash_table_contains(types, info->name)) {
        /* Two types with one name is a build mistake, not a user error. */
        g_error("device type '%s' registered twice", info->name);
    }
    g_hash_table_insert(types, (gpointer)info->name, (gpointer)info);
}

const DeviceTypeInfo *device_type_find(const char *name)
{
    if (!types || !name) {
        return NULL;
    }
    return g_hash_table_lookup(types, name);
}

static const DeviceTypeInfo *type_parent(const DeviceTypeInfo *type)
{
    return type->parent ? device_type_find(type->parent) : NULL;
}

bool device_type_is_a(const DeviceTypeInfo *type, const char *ancestor)
{
    for (; type; type = type_parent(type)) {
        if (!strcmp(type->name, ancestor)) {
            return true;
        }
    }
    return false;
}

bool device_is_a(const DeviceState *dev, const char *ancestor)
{
    return dev && device_type_is_a(dev->type, ancestor);
}

static gint type_name_cmp(gconstpointer a, gconstpointer b)
{
    const DeviceTypeInfo *x = *(const DeviceTypeInfo *const *)a;
    const DeviceTypeInfo *y = *(const DeviceTypeInfo *const *)b;

    return strcmp(x->name, y->name);
}

GPtrArray *device_type_list(void)
{
    GPtrArray *list = g_ptr_array_new();
    GHashTableIter it;
    gpointer value;

    if (types) {
        g_hash_table_iter_init(&it, types);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
            g_ptr_array_add(list, value);
        }
    }
    g_ptr_array_sort(list, type_name_cmp);
    return list;
}

/* The type chain, root ancestor first. */
static GPtrArray *type_chain(const DeviceTypeInfo *type)
{
    GPtrArray *chain = g_ptr_array_new();

    for (; type; type = type_parent(type)) {
        g_ptr_array_insert(chain, 0, (gpointer)type);
    }
    return chain;
}

static const char *type_bus_type(const DeviceTypeInfo *type)
{
    for (; type; type = type_parent(type)) {
        if (type->bus_type) {
            return type->bus_type;
        }
    }
    return NULL;
}

void *device_check_cast(void *dev, const char *typename, const char *file,
                        int line)
{
    if (dev && !device_is_a(dev, typename)) {
        fprintf(stderr, "%s:%d: device of type '%s' is not a '%s'\n", file,
                line, ((DeviceState *)dev)->type->name, typename);
        abort();
    }
    return dev;
}

/* ---- Properties ---- */

static const Property *type_find_prop(const DeviceTypeInfo *type,
                                      const char *name)
{
    for (; type; type = type_parent(type)) {
        for (const Property *p = type->props; p && p->name; p++) {
            if (!strcmp(p->name, name)) {
                return p;
            }
        }
    }
    return NULL;
}

const Property *device_find_prop(const DeviceState *dev, const char *name)
{
    return type_find_prop(dev->type, name);
}

static void *prop_ptr(DeviceState *dev, const Property *p)
{
    return (char *)dev + p->offset;
}

static const void *prop_cptr(const DeviceState *dev, const Property *p)
{
    return (const char *)dev + p->offset;
}

static const char *prop_type_name(PropType t)
{
    switch (t) {
    case PROP_BOOL:
        return "bool";
    case PROP_UINT8:
        return "uint8";
    case PROP_UINT16:
        return "uint16";
    case PROP_UINT32:
        return "uint32";
    case PROP_UINT64:
        return "uint64";
    case PROP_INT32:
    case PROP_PCI_DEVFN:
        return "int32";
    case PROP_INT64:
        return "int64";
    case PROP_SIZE:
        return "size";
    case PROP_PTR:
        return "ptr";
    case PROP_STRING:
    case PROP_CHR:
    case PROP_DRIVE:
    case PROP_NETDEV:
        return "str";
    }
    return "?";
}

/* Largest value of an unsigned property, or 0 if not unsigned. */
static uint64_t prop_uint_max(PropType t)
{
    switch (t) {
    case PROP_UINT8:
        return UINT8_MAX;
    case PROP_UINT16:
        return UINT16_MAX;
    case PROP_UINT32:
        return UINT32_MAX;
    case PROP_UINT64:
    case PROP_SIZE:
        return UINT64_MAX;
    default:
        return 0;
    }
}

static const char *prop_c_type(PropType t)
{
    switch (t) {
    case PROP_UINT8:
        return "uint8_t";
    case PROP_UINT16:
        return "uint16_t";
    case PROP_UINT32:
        return "uint32_t";
    case PROP_UINT64:
        return "uint64_t";
    case PROP_INT32:
        return "int32_t";
    case PROP_INT64:
        return "int64_t";
    default:
        return prop_type_name(t);
    }
}

/* Stores without checks: the caller checked the range. */
static void prop_store_uint(DeviceState *dev, const Property *p, uint64_t v)
{
    void *f = prop_ptr(dev, p);

    switch (p->type) {
    case PROP_UINT8:
        *(uint8_t *)f = v;
        break;
    case PROP_UINT16:
        *(uint16_t *)f = v;
        break;
    case PROP_UINT32:
        *(uint32_t *)f = v;
        break;
    default:
        *(uint64_t *)f = v;
        break;
    }
}

static void prop_store_int(DeviceState *dev, const Property *p, int64_t v)
{
    if (p->type == PROP_INT64) {
        *(int64_t *)prop_ptr(dev, p) = v;
    } else {
        *(int32_t *)prop_ptr(dev, p) = (int32_t)v;
    }
}

static void prop_set_default(DeviceState *dev, const Property *p)
{
    switch (p->type) {
    case PROP_BOOL:
        *(bool *)prop_ptr(dev, p) = p->defval.b;
        break;
    case PROP_UINT8:
    case PROP_UINT16:
    case PROP_UINT32:
    case PROP_UINT64:
    case PROP_SIZE:
        prop_store_uint(dev, p, p->defval.u);
        break;
    case PROP_INT32:
    case PROP_INT64:
    case PROP_PCI_DEVFN:
        prop_store_int(dev, p, p->defval.i);
        break;
    case PROP_STRING: {
        char **s = prop_ptr(dev, p);
        g_free(*s);
        *s = g_strdup(p->defval.s);
        break;
    }
    case PROP_CHR:
    case PROP_PTR:
    case PROP_DRIVE:
    case PROP_NETDEV:
        *(void **)prop_ptr(dev, p) = NULL;
        break;
    }
}

/* "slot" or "slot.fn" in hex, as QEMU's PCI addr= takes it. */
static bool parse_devfn(const char *s, int32_t *devfn)
{
    char *end;
    unsigned long slot, fn = 0;

    if (!g_ascii_isxdigit(*s)) {
        return false;
    }
    slot = strtoul(s, &end, 16);
    if (*end == '.') {
        if (!g_ascii_isxdigit(end[1])) {
            return false;
        }
        fn = strtoul(end + 1, &end, 16);
    }
    if (*end || slot > 31 || fn > 7) {
        return false;
    }
    *devfn = (int32_t)(slot << 3 | fn);
    return true;
}

static bool prop_check_settable(DeviceState *dev, const char *name,
                                Error **errp)
{
    if (dev->realized) {
        if (dev->id) {
            error_setg(errp,
                       "Attempt to set property '%s' on device '%s' "
                       "(type '%s') after it was realized",
                       name, dev->id, dev->type->name);
        } else {
            error_setg(errp,
                       "Attempt to set property '%s' on anonymous device "
                       "(type '%s') after it was realized",
                       name, dev->type->name);
        }
        return false;
    }
    return true;
}

static const Property *prop_lookup(DeviceState *dev, const char *name,
                                   Error **errp)
{
    const Property *p = device_find_prop(dev, name);

    if (!p) {
        error_setg(errp, "Property '%s.%s' not found", dev->type->name, name);
        return NULL;
    }
    if (!prop_check_settable(dev, name, errp)) {
        return NULL;
    }
    return p;
}

static bool prop_parse_uint(DeviceState *dev, const Property *p,
                            const char *value, Error **errp)
{
    uint64_t v;
    int64_t neg;

    if (p->type == PROP_SIZE) {
        if (parse_size(value, &v) < 0) {
            error_setg(errp, "Parameter '%s' expects size", p->name);
            return false;
        }
    } else if (!parse_uint64(value, &v)) {
        if (parse_int64(value, &neg)) {
            error_setg(errp, "Parameter '%s' expects %s", p->name,
                       prop_c_type(p->type));
        } else {
            error_setg(errp, "Parameter '%s' expects integer", p->name);
        }
        return false;
    }
    if (v > prop_uint_max(p->type)) {
        error_setg(errp, "Parameter '%s' expects %s", p->name,
                   prop_c_type(p->type));
        return false;
    }
    prop_store_uint(dev, p, v);
    return true;
}

static bool prop_parse_int(DeviceState *dev, const Property *p,
                           const char *value, Error **errp)
{
    int64_t v;

    if (!parse_int64(value, &v)) {
        error_setg(errp, "Parameter '%s' expects integer", p->name);
        return false;
    }
    if (p->type == PROP_INT32 && (v < INT32_MIN || v > INT32_MAX)) {
        error_setg(errp, "Parameter '%s' expects int32_t", p->name);
        return false;
    }
    prop_store_int(dev, p, v);
    return true;
}

static bool prop_parse_backend(DeviceState *dev, const Property *p,
                               const char *value, Error **errp)
{
    void *obj = NULL;

    if (p->type == PROP_CHR) {
        obj = *value ? chardev_find(value) : NULL;
        if (*value && !obj) {
            error_setg(errp, "Property '%s.%s' can't find value '%s'",
                       dev->type->name, p->name, value);
            return false;
        }
    } else if (*value) {
        const DevicePropBackend *be = prop_backends[p->type];
        Error *err = NULL;
        if (!be || !be->find) {
            error_setg(errp, "Property '%s.%s' can't find value '%s'",
                       dev->type->name, p->name, value);
            return false;
        }
        obj = be->find(value, &err);
        if (!obj) {
            if (err) {
                error_propagate(errp, err);
            } else {
                error_setg(errp, "Property '%s.%s' can't find value '%s'",
                           dev->type->name, p->name, value);
            }
            return false;
        }
    }
    *(void **)prop_ptr(dev, p) = obj;
    return true;
}

bool device_prop_set_str(DeviceState *dev, const char *name, const char *value,
                         Error **errp)
{
    const Property *p = prop_lookup(dev, name, errp);

    if (!p) {
        return false;
    }
    switch (p->type) {
    case PROP_BOOL: {
        bool b;
        if (!parse_bool(value, &b)) {
            error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
            return false;
        }
        *(bool *)prop_ptr(dev, p) = b;
        return true;
    }
    case PROP_UINT8:
    case PROP_UINT16:
    case PROP_UINT32:
    case PROP_UINT64:
    case PROP_SIZE:
        return prop_parse_uint(dev, p, value, errp);
    case PROP_INT32:
    case PROP_INT64:
        return prop_parse_int(dev, p, value, errp);
    case PROP_PCI_DEVFN: {
        int32_t devfn;
        if (!parse_devfn(value, &devfn)) {
            error_setg(errp, "Property '%s.%s' doesn't take value '%s'",
                       dev->type->name, name, value);
            return false;
        }
        *(int32_t *)prop_ptr(dev, p) = devfn;
        return true;
    }
    case PROP_STRING: {
        char **s = prop_ptr(dev, p);
        g_free(*s);
        *s = g_strdup(value);
        return true;
    }
    case PROP_CHR:
    case PROP_DRIVE:
    case PROP_NETDEV:
        return prop_parse_backend(dev, p, value, errp);
    case PROP_PTR:
        break;
    }
    error_setg(errp, "Property '%s.%s' can't be set from a string",
               dev->type->name, name);
    return false;
}

static bool prop_type_mismatch(DeviceState *dev, const Property *p,
                               const char *what, Error **errp)
{
    error_setg(errp, "Property '%s.%s' is a %s, not %s", dev->type->name,
               p->name, prop_type_name(p->type), what);
    return false;
}

bool device_prop_set_uint(DeviceState *dev, const char *name, uint64_t v,
                          Error **errp)
{
    const Property *p = prop_lookup(dev, name, errp);

    if (!p) {
        return false;
    }
    if (!prop_uint_max(p->type)) {
        return prop_type_mismatch(dev, p, "an unsigned integer", errp);
    }
    if (v > prop_uint_max(p->type)) {
        error_setg(errp, "Parameter '%s' expects %s", name,
                   prop_c_type(p->type));
        return false;
    }
    prop_store_uint(dev, p, v);
    return true;
}

bool device_prop_set_int(DeviceState *dev, const char *name, int64_t v,
                         Error **errp)
{
    const Property *p = prop_lookup(dev, name, errp);

    if (!p) {
        return false;
    }
    if (p->type != PROP_INT32 && p->type != PROP_INT64 &&
        p->type != PROP_PCI_DEVFN) {
        return prop_type_mismatch(dev, p, "a signed integer", errp);
    }
    if (p->type != PROP_INT64 && (v < INT32_MIN || v > INT32_MAX)) {
        error_setg(errp, "Parameter '%s' expects int32_t", name);
        return false;
    }
    prop_store_int(dev, p, v);
    return true;
}

bool device_prop_set_bool(DeviceState *dev, const char *name, bool v,
                          Error **errp)
{
    const Property *p = prop_lookup(dev, name, errp);

    if (!p) {
        return false;
    }
    if (p->type != PROP_BOOL) {
        return prop_type_mismatch(dev, p, "a bool", errp);
    }
    *(bool *)prop_ptr(dev, p) = v;
    return true;
}

bool device_prop_set_ptr(DeviceState *dev, const char *name, void *v,
                         Error **errp)
{
    const Property *p = prop_lookup(dev, name, errp);

    if (!p) {
        return false;
    }
    if (p->type != PROP_PTR && p->type != PROP_DRIVE &&
        p->type != PROP_NETDEV) {
        return prop_type_mismatch(dev, p, "a pointer", errp);
    }
    *(void **)prop_ptr(dev, p) = v;
    return true;
}

bool device_prop_set_chr(DeviceState *dev, const char *name, Chardev *chr,
                         Error **errp)
{
    const Property *p = prop_lookup(dev, name, errp);

    if (!p) {
        return false;
    }
    if (p->type != PROP_CHR) {
        return prop_type_mismatch(dev, p, "a chardev", errp);
    }
    *(Chardev **)prop_ptr(dev, p) = chr;
    return true;
}

void device_prop_register_backend(PropType type, const DevicePropBackend *be)
{
    g_assert(type == PROP_DRIVE || type == PROP_NETDEV);
    prop_backends[type] = be;
}

static char *quoted(const char *s)
{
    return g_strdup_printf("\"%s\"", s ? s : "");
}

char *device_prop_get_str(const DeviceState *dev, const Property *p)
{
    const void *f = prop_cptr(dev, p);
    uint64_t u;
    int64_t i;

    switch (p->type) {
    case PROP_BOOL:
        return g_strdup(*(const bool *)f ? "true" : "false");
    case PROP_UINT8:
        u = *(const uint8_t *)f;
        break;
    case PROP_UINT16:
        u = *(const uint16_t *)f;
        break;
    case PROP_UINT32:
        u = *(const uint32_t *)f;
        break;
    case PROP_UINT64:
        u = *(const uint64_t *)f;
        break;
    case PROP_SIZE: {
        g_autofree char *human = size_to_str(*(const uint64_t *)f);
        return g_strdup_printf("%" PRIu64 " (%s)", *(const uint64_t *)f, human);
    }
    case PROP_INT32:
        i = *(const int32_t *)f;
        return g_strdup_printf("%" PRId64 " (0x%" PRIx64 ")", i, (uint64_t)i);
    case PROP_INT64:
        i = *(const int64_t *)f;
        return g_strdup_printf("%" PRId64 " (0x%" PRIx64 ")", i, (uint64_t)i);
    case PROP_PCI_DEVFN:
        i = *(const int32_t *)f;
        if (i < 0) {
            return g_strdup("<unset>");
        }
        return g_strdup_printf("%02x.%x", (unsigned)(i >> 3),
                               (unsigned)(i & 7));
    case PROP_STRING:
        return quoted(*(char *const *)f);
    case PROP_CHR: {
        const Chardev *chr = *(Chardev *const *)f;
        return quoted(chr ? chardev_label(chr) : NULL);
    }
    case PROP_DRIVE:
    case PROP_NETDEV: {
        const void *obj = *(void *const *)f;
        const DevicePropBackend *be = prop_backends[p->type];
        return quoted(obj && be && be->name ? be->name(obj) : NULL);
    }
    case PROP_PTR:
    default:
        return NULL;
    }
    return g_strdup_printf("%" PRIu64 " (0x%" PRIx64 ")", u, u);
}

/* ---- -global ---- */

static const OptDesc global_desc[] = {
    {"driver", OPT_STRING, "device type"},
    {"property", OPT_STRING, "property name"},
    {"value", OPT_STRING, "property value"},
    {NULL},
};

bool device_global_add(const char *str, Error **errp)
{
    const char *eq = strchr(str, '=');
    const char *dot = strchr(str, '.');
    GlobalProp *g = g_new0(GlobalProp, 1);

    if (eq && dot && dot < eq && dot > str && dot + 1 < eq) {
        /* driver.property=value (the driver name has no '.') */
        g->driver = g_strndup(str, dot - str);
        g->property = g_strndup(dot + 1, eq - dot - 1);
        g->value = g_strdup(eq + 1);
    } else {
        /* driver=D,property=P,value=V (for drivers with a '.') */
        Opts *o = opts_parse(str, NULL, global_desc, errp);
        if (!o) {
            g_free(g);
            return false;
        }
        if (!opts_has(o, "driver") || !opts_has(o, "property") ||
            !opts_has(o, "value")) {
            error_setg(errp, "options 'driver', 'property', and 'value' are "
                             "required");
            opts_free(o);
            g_free(g);
            return false;
        }
        g->driver = g_strdup(opts_get(o, "driver"));
        g->property = g_strdup(opts_get(o, "property"));
        g->value = g_strdup(opts_get(o, "value"));
        opts_free(o);
    }
    if (!device_type_find(g->driver)) {
        warn_report("global %s.%s has invalid class name", g->driver,
                    g->property);
    }
    if (!globals) {
        globals = g_ptr_array_new();
    }
    g_ptr_array_add(globals, g);
    return true;
}

/* Applies the -global settings of each type in chain, ancestors first. */
static bool apply_globals(DeviceState *dev, GPtrArray *chain, Error **errp)
{
    if (!globals) {
        return true;
    }
    for (guint t = 0; t < chain->len; t++) {
        const DeviceTypeInfo *type = g_ptr_array_index(chain, t);
        for (guint i = 0; i < globals->len; i++) {
            GlobalProp *g = g_ptr_array_index(globals, i);
            Error *err = NULL;
            if (strcmp(g->driver, type->name)) {
                continue;
            }
            if (!device_prop_set_str(dev, g->property, g->value, &err)) {
                error_setg(errp, "can't apply global %s.%s=%s: %s", g->driver,
                           g->property, g->value, error_get_pretty(err));
                error_free(err);
                return false;
            }
        }
    }
    return true;
}

/* ---- Devices ---- */

static bool check_instantiable(const DeviceTypeInfo *type, const char *name,
                               const char *param, Error **errp)
{
    if (!type) {
        error_setg(errp, "'%s' is not a valid device model name", name);
        return false;
    }
    if (type->abstract) {
        error_setg(errp, "Parameter '%s' expects a non-abstract device type",
                   param);
        return false;
    }
    return true;
}

DeviceState *device_new(const char *typename, Error **errp)
{
    const DeviceTypeInfo *type = device_type_find(typename);
    GPtrArray *chain;
    DeviceState *dev;

    if (!check_instantiable(type, typename, "driver", errp)) {
        return NULL;
    }
    dev = g_malloc0(MAX(type->instance_size, sizeof(DeviceState)));
    dev->type = type;
    dev->child_buses = g_ptr_array_new();
    chain = type_chain(type);
    for (guint t = 0; t < chain->len; t++) {
        const DeviceTypeInfo *ti = g_ptr_array_index(chain, t);
        for (const Property *p = ti->props; p && p->name; p++) {
            prop_set_default(dev, p);
        }
    }
    if (!apply_globals(dev, chain, errp)) {
        g_ptr_array_free(chain, true);
        device_free(dev);
        return NULL;
    }
    for (guint t = 0; t < chain->len; t++) {
        const DeviceTypeInfo *ti = g_ptr_array_index(chain, t);
        if (ti->instance_init) {
            ti->instance_init(dev);
        }
    }
    g_ptr_array_free(chain, true);
    return dev;
}

static void bus_free(BusState *bus);

static void device_unrealize(DeviceState *dev)
{
    GPtrArray *chain = type_chain(dev->type);

    for (guint t = chain->len; t > 0; t--) {
        const DeviceTypeInfo *ti = g_ptr_array_index(chain, t - 1);
        if (ti->unrealize) {
            ti->unrealize(dev);
        }
    }
    g_ptr_array_free(chain, true);
    dev->realized = false;
    if (devices) {
        g_ptr_array_remove(devices, dev);
    }
}

void device_free(DeviceState *dev)
{
    if (!dev) {
        return;
    }
    /* Child buses and what is plugged into them go first. */
    while (dev->child_buses && dev->child_buses->len) {
        bus_free(
            g_ptr_array_index(dev->child_buses, dev->child_buses->len - 1));
    }
    if (dev->realized) {
        device_unrealize(dev);
    }
    if (dev->parent_bus) {
        g_ptr_array_remove(dev->parent_bus->children, dev);
        dev->parent_bus = NULL;
    }
    for (const DeviceTypeInfo *t = dev->type; t; t = type_parent(t)) {
        for (const Property *p = t->props; p && p->name; p++) {
            if (p->type == PROP_STRING) {
                char **s = prop_ptr(dev, p);
                g_free(*s);
                *s = NULL;
            }
        }
    }
    if (dev->child_buses) {
        g_ptr_array_free(dev->child_buses, true);
    }
    g_free(dev->id);
    g_free(dev->canonical_path);
    g_free(dev);
}

static BusState *bus_for_device(DeviceState *dev, BusState *bus, Error **errp)
{
    const char *bus_type = type_bus_type(dev->type);

    if (!bus_type) {
        if (bus) {
            error_setg(errp, "Device '%s' can't go on %s bus", dev->type->name,
                       bus->type);
            return NULL;
        }
        return NULL;
    }
    if (!bus) {
        bus = bus_find_type(bus_type);
        for (guint i = 0; bus && bus->max_dev && i < buses->len; i++) {
            BusState *b = g_ptr_array_index(buses, i);
            if (!strcmp(b->type, bus_type) &&
                (!b->max_dev || b->children->len < b->max_dev)) {
                bus = b;
                break;
            }
        }
        if (!bus) {
            error_setg(errp, "No '%s' bus found for device '%s'", bus_type,
                       dev->type->name);
            return NULL;
        }
    }
    if (strcmp(bus->type, bus_type)) {
        error_setg(errp, "Device '%s' can't go on %s bus", dev->type->name,
                   bus->type);
        return NULL;
    }
    return bus;
}

bool device_realize(DeviceState *dev, BusState *bus, Error **errp)
{
    GPtrArray *chain;
    Error *err = NULL;
    guint done;

    if (dev->realized) {
        return true;
    }
    bus = bus_for_device(dev, bus, &err);
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    if (bus) {
        if (bus->plug && !bus->plug(bus, dev, errp)) {
            return false;
        }
        dev->parent_bus = bus;
        g_ptr_array_add(bus->children, dev);
    }
    chain = type_chain(dev->type);
    for (done = 0; done < chain->len; done++) {
        const DeviceTypeInfo *ti = g_ptr_array_index(chain, done);
        if (ti->realize && !ti->realize(dev, &err)) {
            break;
        }
    }
    if (done < chain->len) {
        /* Undo the types that did realize, children first. */
        for (guint t = done; t > 0; t--) {
            const DeviceTypeInfo *ti = g_ptr_array_index(chain, t - 1);
            if (ti->unrealize) {
                ti->unrealize(dev);
            }
        }
        g_ptr_array_free(chain, true);
        if (bus) {
            g_ptr_array_remove(bus->children, dev);
            dev->parent_bus = NULL;
        }
        if (!err) {
            error_setg(&err, "Device '%s' failed to realize", dev->type->name);
        }
        error_propagate(errp, err);
        return false;
    }
    g_ptr_array_free(chain, true);
    dev->realized = true;
    if (!dev->canonical_path) {
        dev->canonical_path = g_strdup_printf("/machine/unattached/device[%u]",
                                              unattached_count++);
    }
    if (!devices) {
        devices = g_ptr_array_new();
    }
    g_ptr_array_add(devices, dev);
    /* Cold-plugged devices are reset with the machine; hot plugs now. */
    if (machine_reset_done) {
        device_reset(dev);
    }
    return true;
}

void device_reset(DeviceState *dev)
{
    GPtrArray *chain = type_chain(dev->type);

    for (guint t = 0; t < chain->len; t++) {
        const DeviceTypeInfo *ti = g_ptr_array_index(chain, t);
        if (ti->reset) {
            ti->reset(dev);
        }
    }
    g_ptr_array_free(chain, true);
}

static void reset_bus_tree(BusState *bus);

static void reset_device_tree(DeviceState *dev)
{
    if (dev->realized) {
        device_reset(dev);
    }
    for (guint i = 0; i < dev->child_buses->len; i++) {
        reset_bus_tree(g_ptr_array_index(dev->child_buses, i));
    }
}

static void reset_bus_tree(BusState *bus)
{
    for (guint i = 0; i < bus->children->len; i++) {
        reset_device_tree(g_ptr_array_index(bus->children, i));
    }
}

void device_reset_all(void)
{
    machine_reset_done = true;
    /* Trees hanging off parentless buses, main-system-bus first. */
    if (buses) {
        for (guint i = 0; i < buses->len; i++) {
            BusState *bus = g_ptr_array_index(buses, i);
            if (!bus->parent) {
                reset_bus_tree(bus);
            }
        }
    }
    /* Then devices on no bus, with whatever hangs off them. */
    if (devices) {
        for (guint i = 0; i < devices->len; i++) {
            DeviceState *dev = g_ptr_array_index(devices, i);
            if (!dev->parent_bus) {
                reset_device_tree(dev);
            }
        }
    }
}

DeviceState *device_create_simple(const char *typename, BusState *bus,
                                  Error **errp)
{
    DeviceState *dev = device_new(typename, errp);

    if (!dev) {
        return NULL;
    }
    if (!device_realize(dev, bus, errp)) {
        device_free(dev);
        return NULL;
    }
    return dev;
}

DeviceState *device_find_id(const char *id)
{
    if (!devices || !id) {
        return NULL;
    }
    for (guint i = 0; i < devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(devices, i);
        if (dev->id && !strcmp(dev->id, id)) {
            return dev;
        }
    }
    return NULL;
}

DeviceState *device_find_path(const char *path)
{
    if (!path) {
        return NULL;
    }
    if (!strchr(path, '/')) {
        return device_find_id(path);
    }
    if (!devices) {
        return NULL;
    }
    for (guint i = 0; i < devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(devices, i);
        if (dev->canonical_path && !strcmp(dev->canonical_path, path)) {
            return dev;
        }
    }
    return NULL;
}

/* QEMU's id rule: a letter, then letters, digits, '-', '.', '_'. */
static bool id_wellformed(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *c = id + 1; *c; c++) {
        if (!g_ascii_isalnum(*c) && !strchr("-._", *c)) {
            return false;
        }
    }
    return true;
}

DeviceState *device_create_from_opts(Opts *opts, Error **errp)
{
    const char *driver = opts_get(opts, "driver");
    const char *id = opts_get(opts, "id");
    const char *bus_name = opts_get(opts, "bus");
    const DeviceTypeInfo *type;
    BusState *bus = NULL;
    DeviceState *dev;

    if (!driver || !*driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        return NULL;
    }
    type = device_type_find(driver);
    if (!check_instantiable(type, driver, "driver", errp)) {
        return NULL;
    }
    if (!type->user_creatable) {
        error_setg(errp, "Parameter 'driver' expects a pluggable device type");
        return NULL;
    }
    if (id) {
        if (!id_wellformed(id)) {
            error_setg(errp, "Parameter 'id' expects an identifier");
            return NULL;
        }
        if (device_find_id(id)) {
            error_setg(errp, "Duplicate ID '%s' for device", id);
            return NULL;
        }
    }
    if (bus_name) {
        bus = bus_find(bus_name);
        if (!bus) {
            error_setg(errp, "Bus '%s' not found", bus_name);
            return NULL;
        }
    }
    dev = device_new(driver, errp);
    if (!dev) {
        return NULL;
    }
    for (unsigned i = 0; i < opts_count(opts); i++) {
        const char *key = opts_key_at(opts, i);
        if (!strcmp(key, "driver") || !strcmp(key, "id") ||
            !strcmp(key, "bus")) {
            continue;
        }
        if (!device_prop_set_str(dev, key, opts_value_at(opts, i), errp)) {
            device_free(dev);
            return NULL;
        }
    }
    dev->id = g_strdup(id);
    dev->canonical_path =
        id ? g_strdup_printf("/machine/peripheral/%s", id)
           : g_strdup_printf("/machine/peripheral-anon/device[%u]", anon_count);
    if (!device_realize(dev, bus, errp)) {
        device_free(dev);
        return NULL;
    }
    if (!id) {
        anon_count++;
    }
    return dev;
}

/* ---- Buses ---- */

BusState *bus_new(DeviceState *parent, const char *type, const char *name)
{
    BusState *bus = g_new0(BusState, 1);

    if (!buses) {
        buses = g_ptr_array_new();
    }
    if (name) {
        bus->name = g_strdup(name);
    } else if (parent && parent->id) {
        bus->name =
            g_strdup_printf("%s.%u", parent->id, parent->child_buses->len);
    } else {
        /* "pci.0", "isa.0", ...: the type in lower case, numbered. */
        unsigned n = 0;
        for (guint i = 0; i < buses->len; i++) {
            BusState *b = g_ptr_array_index(buses, i);
            if (!g_ascii_strcasecmp(b->type, type)) {
                n++;
            }
        }
        g_autofree char *lower = g_ascii_strdown(type, -1);
        bus->name = g_strdup_printf("%s.%u", lower, n);
    }
    bus->type = type;
    bus->parent = parent;
    bus->children = g_ptr_array_new();
    g_ptr_array_add(buses, bus);
    if (parent) {
        g_ptr_array_add(parent->child_buses, bus);
    }
    return bus;
}

static void bus_free(BusState *bus)
{
    while (bus->children->len) {
        device_free(g_ptr_array_index(bus->children, bus->children->len - 1));
    }
    if (bus->parent) {
        g_ptr_array_remove(bus->parent->child_buses, bus);
    }
    if (bus == main_system_bus) {
        main_system_bus = NULL;
    }
    g_ptr_array_remove(buses, bus);
    g_ptr_array_free(bus->children, true);
    g_free(bus->name);
    g_free(bus);
}

BusState *sysbus_get_default(void)
{
    if (!main_system_bus) {
        main_system_bus = bus_new(NULL, "System", "main-system-bus");
    }
    return main_system_bus;
}

BusState *bus_find(const char *name)
{
    sysbus_get_default();
    for (guint i = 0; i < buses->len; i++) {
        BusState *bus = g_ptr_array_index(buses, i);
        if (!strcmp(bus->name, name)) {
            return bus;
        }
    }
    return NULL;
}

BusState *bus_find_type(const char *type)
{
    sysbus_get_default();
    for (guint i = 0; i < buses->len; i++) {
        BusState *bus = g_ptr_array_index(buses, i);
        if (!strcmp(bus->type, type)) {
            return bus;
        }
    }
    return NULL;
}

/* ---- Built-in types ---- */

static const DeviceTypeInfo device_type_info = {
    .name = "device",
    .instance_size = sizeof(DeviceState),
    .abstract = true,
};
DEVICE_TYPE_REGISTER(device_type_info)

static const DeviceTypeInfo sysbus_device_type_info = {
    .name = "sys-bus-device",
    .parent = "device",
    .instance_size = sizeof(DeviceState),
    .abstract = true,
    .bus_type = "System",
};
DEVICE_TYPE_REGISTER(sysbus_device_type_info)

/* ---- Help and info qtree ---- */

static const char *const category_names[DEVICE_CATEGORY__MAX] = {
    [DEVICE_CATEGORY_BRIDGE] = "Controller/Bridge/Hub",
    [DEVICE_CATEGORY_USB] = "USB",
    [DEVICE_CATEGORY_STORAGE] = "Storage",
    [DEVICE_CATEGORY_NETWORK] = "Network",
    [DEVICE_CATEGORY_INPUT] = "Input",
    [DEVICE_CATEGORY_DISPLAY] = "Display",
    [DEVICE_CATEGORY_SOUND] = "Sound",
    [DEVICE_CATEGORY_MISC] = "Misc",
    [DEVICE_CATEGORY_CPU] = "CPU",
    [DEVICE_CATEGORY_WATCHDOG] = "Watchdog",
    [DEVICE_CATEGORY_UNCATEGORIZED] = "Uncategorized",
};

/* QEMU's listing order: bridge ... watchdog, then uncategorized. */
static const DeviceCategory category_order[] = {
    DEVICE_CATEGORY_BRIDGE,        DEVICE_CATEGORY_USB,
    DEVICE_CATEGORY_STORAGE,       DEVICE_CATEGORY_NETWORK,
    DEVICE_CATEGORY_INPUT,         DEVICE_CATEGORY_DISPLAY,
    DEVICE_CATEGORY_SOUND,         DEVICE_CATEGORY_MISC,
    DEVICE_CATEGORY_CPU,           DEVICE_CATEGORY_WATCHDOG,
    DEVICE_CATEGORY_UNCATEGORIZED,
};

static gint type_name_casecmp(gconstpointer a, gconstpointer b)
{
    const DeviceTypeInfo *x = *(const DeviceTypeInfo *const *)a;
    const DeviceTypeInfo *y = *(const DeviceTypeInfo *const *)b;

    return g_ascii_strcasecmp(x->name, y->name);
}

void device_print_help(GString *out)
{
    GPtrArray *list = device_type_list();
    bool first = true;

    g_ptr_array_sort(list, type_name_casecmp);
    for (size_t c = 0; c < G_N_ELEMENTS(category_order); c++) {
        DeviceCategory cat = category_order[c];
        bool printed = false;

        for (guint i = 0; i < list->len; i++) {
            const DeviceTypeInfo *t = g_ptr_array_index(list, i);
            const char *bus_type;
            if (t->abstract || !t->user_creatable || t->category != cat) {
                continue;
            }
            if (!printed) {
                g_string_append_printf(out, "%s%s devices:\n",
                                       first ? "" : "\n", category_names[cat]);
                printed = true;
                first = false;
            }
            g_string_append_printf(out, "name \"%s\"", t->name);
            bus_type = type_bus_type(t);
            if (bus_type) {
                g_string_append_printf(out, ", bus %s", bus_type);
            }
            if (t->desc) {
                g_string_append_printf(out, ", desc \"%s\"", t->desc);
            }
            g_string_append(out, "\n");
        }
    }
    g_ptr_array_free(list, true);
}

static const char *prop_default_description(PropType t)
{
    switch (t) {
    case PROP_CHR:
        return "ID of a chardev to use as a backend";
    case PROP_NETDEV:
        return "ID of a netdev to use as a backend";
    case PROP_DRIVE:
        return "Node name or ID of a block device to use as a backend";
    case PROP_PCI_DEVFN:
        return "Slot and optional function number, example: 06.0 or 06";
    default:
        return NULL;
    }
}

static char *prop_default_str(const Property *p)
{
    switch (p->type) {
    case PROP_BOOL:
        return g_strdup(p->defval.b ? "true" : "false");
    case PROP_UINT8:
    case PROP_UINT16:
    case PROP_UINT32:
    case PROP_UINT64:
    case PROP_SIZE:
        return g_strdup_printf("%" PRIu64, p->defval.u);
    case PROP_INT32:
    case PROP_INT64:
    case PROP_PCI_DEVFN:
        return g_strdup_printf("%" PRId64, p->defval.i);
    case PROP_STRING:
        return p->defval.s ? quoted(p->defval.s) : NULL;
    default:
        return NULL;
    }
}

static gint prop_name_cmp(gconstpointer a, gconstpointer b)
{
    const Property *x = *(const Property *const *)a;
    const Property *y = *(const Property *const *)b;

    return strcmp(x->name, y->name);
}

bool device_print_props(GString *out, const char *typename, Error **errp)
{
    const DeviceTypeInfo *type = device_type_find(typename);
    GPtrArray *props;

    if (!type) {
        error_setg(errp, "Device '%s' not found", typename);
        return false;
    }
    if (type->abstract) {
        error_setg(errp,
                   "Parameter 'typename' expects a non-abstract device type");
        return false;
    }
    props = g_ptr_array_new();
    for (const DeviceTypeInfo *t = type; t; t = type_parent(t)) {
        for (const Property *p = t->props; p && p->name; p++) {
            /* Pointers are wired from C only; an override hides a parent. */
            if (p->type != PROP_PTR && type_find_prop(type, p->name) == p) {
                g_ptr_array_add(props, (gpointer)p);
            }
        }
    }
    if (!props->len) {
        g_string_append_printf(out, "There are no options for %s.\n", typename);
        g_ptr_array_free(props, true);
        return true;
    }
    g_ptr_array_sort(props, prop_name_cmp);
    g_string_append_printf(out, "%s options:\n", typename);
    for (guint i = 0; i < props->len; i++) {
        const Property *p = g_ptr_array_index(props, i);
        g_autofree char *left =
            g_strdup_printf("%s=<%s>", p->name, prop_type_name(p->type));
        g_autofree char *def = prop_default_str(p);
        const char *desc =
            p->description ? p->description : prop_default_description(p->type);

        if (!desc && !def) {
            g_string_append_printf(out, "  %s\n", left);
            continue;
        }
        g_string_append_printf(out, "  %-22s - %s", left, desc ? desc : "");
        if (def) {
            g_string_append_printf(out, " (default: %s)", def);
        }
        g_string_append(out, "\n");
    }
    g_ptr_array_free(props, true);
    return true;
}

static void qtree_print_bus(GString *out, BusState *bus, int indent);

static void qtree_print_dev(GString *out, DeviceState *dev, int indent)
{
    g_string_append_printf(out, "%*sdev: %s, id \"%s\"\n", indent, "",
                           dev->type->name, dev->id ? dev->id : "");
    indent += 2;
    /* The type's own properties first, then its ancestors'. */
    for (const DeviceTypeInfo *t = dev->type; t; t = type_parent(t)) {
        for (const Property *p = t->props; p && p->name; p++) {
            g_autofree char *v = NULL;
            if (device_find_prop(dev, p->name) != p) {
                continue;
            }
            v = device_prop_get_str(dev, p);
            if (v) {
                g_string_append_printf(out, "%*s%s = %s\n", indent, "", p->name,
                                       v);
            }
        }
    }
    if (dev->parent_bus && dev->parent_bus->print_dev) {
        dev->parent_bus->print_dev(dev->parent_bus, dev, out, indent);
    }
    /* Newest first, as QEMU lists children. */
    for (guint i = dev->child_buses->len; i > 0; i--) {
        qtree_print_bus(out, g_ptr_array_index(dev->child_buses, i - 1),
                        indent);
    }
}

static void qtree_print_bus(GString *out, BusState *bus, int indent)
{
    g_string_append_printf(out, "%*sbus: %s\n", indent, "", bus->name);
    g_string_append_printf(out, "%*stype %s\n", indent + 2, "", bus->type);
    for (guint i = bus->children->len; i > 0; i--) {
        qtree_print_dev(out, g_ptr_array_index(bus->children, i - 1),
                        indent + 2);
    }
}

void device_info_qtree(GString *out)
{
    qtree_print_bus(out, sysbus_get_default(), 0);
    /* Other root buses (QEMU has none; boards here might). */
    for (guint i = 0; i < buses->len; i++) {
        BusState *bus = g_ptr_array_index(buses, i);
        if (!bus->parent && bus != main_system_bus) {
            qtree_print_bus(out, bus, 0);
        }
    }
}
