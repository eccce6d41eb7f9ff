/*
 * Unit tests of the device registry: types, properties of every kind
 * (parse, reject, defaults), -global in both syntaxes, realize/unrealize,
 * buses, reset order, -device from options, `-device help`,
 * `-device NAME,help` and `info qtree`.
 *
 * The device types used here are registered by this test only.
 */
#include <string.h>
#include <glib.h>

#include "hw/core/qdev.h"
#include "chardev/char.h"

/* ---- a stand-in for the chardev layer (only what qdev.c uses) ---- */

struct Chardev {
    const char *label;
};
static Chardev fake_serial0 = {"serial0"};

Chardev *chardev_find(const char *id)
{
    return !strcmp(id, "serial0") ? &fake_serial0 : NULL;
}

const char *chardev_label(const Chardev *chr)
{
    return chr->label;
}

/* ---- test device types ---- */

static GString *events; /* "init:type realize:type reset:type ..." */

typedef struct TestBase {
    DeviceState parent;
    uint32_t base;
    uint32_t shadowed;
    int init_order;
} TestBase;

typedef struct TestDev {
    TestBase parent;
    bool flag;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    int64_t i64;
    uint64_t size;
    char *str;
    Chardev *chr;
    int32_t devfn;
    void *ptr;
    void *drive;
    uint32_t shadowed; /* same name as the parent's: this one wins */
    uint32_t reg;      /* a "register" that reset puts back */
} TestDev;

DECLARE_DEVICE_CAST(TestDev, TEST_DEV, "test-dev")
DECLARE_DEVICE_CAST(TestBase, TEST_BASE, "test-base")

static void log_event(const char *what, DeviceState *dev)
{
    g_string_append_printf(events, "%s:%s ", what,
                           dev->id ? dev->id : dev->type->name);
}

static void base_init(DeviceState *dev)
{
    TEST_BASE(dev)->init_order = 1;
    log_event("base-init", dev);
}

static bool base_realize(DeviceState *dev, Error **errp)
{
    log_event("base-realize", dev);
    return true;
}

static void base_unrealize(DeviceState *dev)
{
    log_event("base-unrealize", dev);
}

static void base_reset(DeviceState *dev)
{
    log_event("base-reset", dev);
}

static const Property base_props[] = {
    DEFINE_PROP_UINT32("base", TestBase, base, 5),
    DEFINE_PROP_UINT32("shadowed", TestBase, shadowed, 1),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo test_base_info = {
    .name = "test-base",
    .parent = "sys-bus-device",
    .instance_size = sizeof(TestBase),
    .abstract = true,
    .props = base_props,
    .instance_init = base_init,
    .realize = base_realize,
    .unrealize = base_unrealize,
    .reset = base_reset,
};
DEVICE_TYPE_REGISTER(test_base_info)

static void dev_init(DeviceState *dev)
{
    /* Parents' instance_init ran first. */
    g_assert_cmpint(TEST_BASE(dev)->init_order, ==, 1);
    TEST_BASE(dev)->init_order = 2;
    log_event("init", dev);
}

static bool dev_realize(DeviceState *dev, Error **errp)
{
    TestDev *s = TEST_DEV(dev);

    log_event("realize", dev);
    if (s->u8 == 0xee) {
        error_setg(errp, "u8 0xee is refused");
        return false;
    }
    return true;
}

static void dev_unrealize(DeviceState *dev)
{
    log_event("unrealize", dev);
}

static void dev_reset(DeviceState *dev)
{
    TEST_DEV(dev)->reg = 0x1234;
    log_event("reset", dev);
}

static const Property dev_props[] = {
    DEFINE_PROP_BOOL("flag", TestDev, flag, true),
    DEFINE_PROP_UINT8("u8", TestDev, u8, 8),
    DEFINE_PROP_UINT16("u16", TestDev, u16, 16),
    DEFINE_PROP_UINT32("u32", TestDev, u32, 0xffffffff),
    DEFINE_PROP_UINT64("u64", TestDev, u64, 64),
    DEFINE_PROP_INT32("i32", TestDev, i32, -1),
    DEFINE_PROP_INT64("i64", TestDev, i64, -64),
    DEFINE_PROP_SIZE("size", TestDev, size, 2 * 1024 * 1024),
    DEFINE_PROP_STRING("str", TestDev, str),
    DEFINE_PROP_CHR("chardev", TestDev, chr),
    DEFINE_PROP_PCI_DEVFN("addr", TestDev, devfn, -1),
    DEFINE_PROP_PTR("ptr", TestDev, ptr),
    DEFINE_PROP_DRIVE("drive", TestDev, drive),
    DEFINE_PROP_UINT32("shadowed", TestDev, shadowed, 2),
    {.name = "described",
     .type = PROP_UINT16,
     .offset = offsetof(TestDev, u16),
     .defval.u = 16,
     .description = "an alias of u16"},
    DEFINE_PROP_END,
};

static const DeviceTypeInfo test_dev_info = {
    .name = "test-dev",
    .parent = "test-base",
    .instance_size = sizeof(TestDev),
    .desc = "A device for unit tests",
    .category = DEVICE_CATEGORY_MISC,
    .user_creatable = true,
    .props = dev_props,
    .instance_init = dev_init,
    .realize = dev_realize,
    .unrealize = dev_unrealize,
    .reset = dev_reset,
};
DEVICE_TYPE_REGISTER(test_dev_info)

/* A sysbus bridge that provides a "TestBus". */
static bool bridge_realize(DeviceState *dev, Error **errp)
{
    bus_new(dev, "TestBus", NULL);
    log_event("realize", dev);
    return true;
}

static void bridge_reset(DeviceState *dev)
{
    log_event("reset", dev);
}

static const DeviceTypeInfo test_bridge_info = {
    .name = "test-bridge",
    .parent = "sys-bus-device",
    .instance_size = sizeof(DeviceState),
    .category = DEVICE_CATEGORY_BRIDGE,
    .user_creatable = true,
    .realize = bridge_realize,
    .reset = bridge_reset,
};
DEVICE_TYPE_REGISTER(test_bridge_info)

typedef struct TestBusDev {
    DeviceState parent;
    uint32_t addr;
} TestBusDev;

static const Property bus_dev_props[] = {
    DEFINE_PROP_UINT32("addr", TestBusDev, addr, 0),
    DEFINE_PROP_END,
};

static void bus_dev_reset(DeviceState *dev)
{
    log_event("reset", dev);
}

static const DeviceTypeInfo test_bus_dev_info = {
    .name = "test-bus-dev",
    .parent = "device",
    .instance_size = sizeof(TestBusDev),
    .bus_type = "TestBus",
    .category = DEVICE_CATEGORY_STORAGE,
    .desc = "sits on a TestBus",
    .user_creatable = true,
    .props = bus_dev_props,
    .reset = bus_dev_reset,
};
DEVICE_TYPE_REGISTER(test_bus_dev_info)

/* Created by boards only. */
static const DeviceTypeInfo test_nouser_info = {
    .name = "test-nouser",
    .parent = "sys-bus-device",
    .instance_size = sizeof(DeviceState),
};
DEVICE_TYPE_REGISTER(test_nouser_info)

/* Victims of bad -global settings. */
typedef struct TestVictim {
    DeviceState parent;
    uint32_t val;
} TestVictim;

static const Property victim_props[] = {
    DEFINE_PROP_UINT32("val", TestVictim, val, 0),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo test_victim1_info = {
    .name = "test-victim1",
    .parent = "sys-bus-device",
    .instance_size = sizeof(TestVictim),
    .props = victim_props,
};
DEVICE_TYPE_REGISTER(test_victim1_info)

static const DeviceTypeInfo test_victim2_info = {
    .name = "test-victim2",
    .parent = "sys-bus-device",
    .instance_size = sizeof(TestVictim),
    .props = victim_props,
};
DEVICE_TYPE_REGISTER(test_victim2_info)

/* ---- helpers ---- */

/* *errp must hold exactly expected; it is freed and cleared. */
static void assert_err(Error **errp, const char *expected)
{
    g_assert_nonnull(*errp);
    g_assert_cmpstr(error_get_pretty(*errp), ==, expected);
    error_free(*errp);
    *errp = NULL;
}

static char *prop_str(DeviceState *dev, const char *name)
{
    const Property *p = device_find_prop(dev, name);

    g_assert_nonnull(p);
    return device_prop_get_str(dev, p);
}

#define assert_prop(dev, name, expected)                                       \
    do {                                                                       \
        char *v_ = prop_str((dev), (name));                                    \
        g_assert_cmpstr(v_, ==, (expected));                                   \
        g_free(v_);                                                            \
    } while (0)

/* A value that dev must refuse with exactly msg. */
static void assert_rejects(DeviceState *dev, const char *name,
                           const char *value, const char *msg)
{
    Error *err = NULL;

    g_assert_false(device_prop_set_str(dev, name, value, &err));
    assert_err(&err, msg);
}

/* ---- tests ---- */

static void test_registry(void)
{
    const DeviceTypeInfo *t = device_type_find("test-dev");
    GPtrArray *list;
    const char *prev = "";

    g_assert_nonnull(t);
    g_assert_null(device_type_find("nosuchdevice"));
    g_assert_true(device_type_is_a(t, "test-dev"));
    g_assert_true(device_type_is_a(t, "test-base"));
    g_assert_true(device_type_is_a(t, "sys-bus-device"));
    g_assert_true(device_type_is_a(t, "device"));
    g_assert_false(device_type_is_a(t, "test-bridge"));
    g_assert_true(device_type_find("sys-bus-device")->abstract);
    g_assert_cmpstr(device_type_find("sys-bus-device")->bus_type, ==, "System");

    list = device_type_list();
    g_assert_cmpuint(list->len, >=, 7);
    for (guint i = 0; i < list->len; i++) {
        const DeviceTypeInfo *ti = g_ptr_array_index(list, i);
        g_assert_cmpint(strcmp(prev, ti->name), <, 0);
        prev = ti->name;
    }
    g_ptr_array_free(list, true);
    g_assert_cmpstr(sysbus_get_default()->name, ==, "main-system-bus");
    g_assert_cmpstr(sysbus_get_default()->type, ==, "System");
    g_assert_true(bus_find("main-system-bus") == sysbus_get_default());
    g_assert_true(bus_find_type("System") == sysbus_get_default());
}

static void test_defaults_and_init(void)
{
    Error *err = NULL;
    DeviceState *dev;
    TestDev *s;

    g_string_truncate(events, 0);
    dev = device_new("test-dev", &err);
    g_assert_null(err);
    s = TEST_DEV(dev);
    g_assert_true(TEST_BASE(dev) == &s->parent);
    g_assert_cmpstr(events->str, ==, "base-init:test-dev init:test-dev ");
    g_assert_cmpint(s->parent.init_order, ==, 2);
    g_assert_true(s->flag);
    g_assert_cmpuint(s->u8, ==, 8);
    g_assert_cmpuint(s->u16, ==, 16);
    g_assert_cmpuint(s->u32, ==, 0xffffffff);
    g_assert_cmpuint(s->u64, ==, 64);
    g_assert_cmpint(s->i32, ==, -1);
    g_assert_cmpint(s->i64, ==, -64);
    g_assert_cmpuint(s->size, ==, 2 * 1024 * 1024);
    g_assert_null(s->str);
    g_assert_null(s->chr);
    g_assert_cmpint(s->devfn, ==, -1);
    g_assert_cmpuint(s->parent.base, ==, 5);
    /* Both fields got their defaults; the child's name wins lookups. */
    g_assert_cmpuint(s->parent.shadowed, ==, 1);
    g_assert_cmpuint(s->shadowed, ==, 2);
    g_assert_true(device_find_prop(dev, "shadowed")->offset ==
                  offsetof(TestDev, shadowed));
    g_assert_nonnull(device_find_prop(dev, "base"));
    g_assert_null(device_find_prop(dev, "nosuch"));

    /* Formatting as info qtree prints values. */
    assert_prop(dev, "flag", "true");
    assert_prop(dev, "u32", "4294967295 (0xffffffff)");
    assert_prop(dev, "i32", "-1 (0xffffffffffffffff)");
    assert_prop(dev, "size", "2097152 (2 MiB)");
    assert_prop(dev, "str", "\"\"");
    assert_prop(dev, "chardev", "\"\"");
    assert_prop(dev, "addr", "<unset>");
    assert_prop(dev, "drive", "\"\"");
    g_assert_null(prop_str(dev, "ptr"));
    device_free(dev);

    device_new("nosuchdevice", &err);
    assert_err(&err, "'nosuchdevice' is not a valid device model name");
    device_new("test-base", &err);
    assert_err(&err, "Parameter 'driver' expects a non-abstract device type");
}

static void test_prop_parse(void)
{
    DeviceState *dev = device_new("test-dev", &error_abort);
    TestDev *s = TEST_DEV(dev);
    Error *err = NULL;

    /* bool */
    g_assert_true(device_prop_set_str(dev, "flag", "off", &error_abort));
    g_assert_false(s->flag);
    g_assert_true(device_prop_set_str(dev, "flag", "on", &error_abort));
    g_assert_true(s->flag);
    g_assert_true(device_prop_set_str(dev, "flag", "false", &error_abort));
    g_assert_false(s->flag);
    assert_rejects(dev, "flag", "maybe",
                   "Parameter 'flag' expects 'on' or 'off'");

    /* unsigned, with ranges */
    g_assert_true(device_prop_set_str(dev, "u8", "0xff", &error_abort));
    g_assert_cmpuint(s->u8, ==, 0xff);
    assert_rejects(dev, "u8", "256", "Parameter 'u8' expects uint8_t");
    g_assert_true(device_prop_set_str(dev, "u16", "65535", &error_abort));
    g_assert_cmpuint(s->u16, ==, 65535);
    assert_rejects(dev, "u16", "0x10000", "Parameter 'u16' expects uint16_t");
    g_assert_true(device_prop_set_str(dev, "u32", "0x2f8", &error_abort));
    g_assert_cmpuint(s->u32, ==, 0x2f8);
    assert_prop(dev, "u32", "760 (0x2f8)");
    assert_rejects(dev, "u32", "x", "Parameter 'u32' expects integer");
    assert_rejects(dev, "u32", "", "Parameter 'u32' expects integer");
    assert_rejects(dev, "u32", "-1", "Parameter 'u32' expects uint32_t");
    assert_rejects(dev, "u32", "0x100000000",
                   "Parameter 'u32' expects uint32_t");
    assert_rejects(dev, "u32", "12abc", "Parameter 'u32' expects integer");
    g_assert_cmpuint(s->u32, ==, 0x2f8); /* unchanged by failures */
    g_assert_true(
        device_prop_set_str(dev, "u64", "18446744073709551615", &error_abort));
    g_assert_cmphex(s->u64, ==, UINT64_MAX);

    /* signed */
    g_assert_true(device_prop_set_str(dev, "i32", "-5", &error_abort));
    g_assert_cmpint(s->i32, ==, -5);
    assert_rejects(dev, "i32", "2147483648", "Parameter 'i32' expects int32_t");
    assert_rejects(dev, "i32", "one", "Parameter 'i32' expects integer");
    g_assert_true(device_prop_set_str(dev, "i64", "-0x10", &error_abort));
    g_assert_cmpint(s->i64, ==, -16);

    /* size */
    g_assert_true(device_prop_set_str(dev, "size", "4G", &error_abort));
    g_assert_cmpuint(s->size, ==, 4ULL << 30);
    assert_prop(dev, "size", "4294967296 (4 GiB)");
    g_assert_true(device_prop_set_str(dev, "size", "512", &error_abort));
    g_assert_cmpuint(s->size, ==, 512);
    assert_rejects(dev, "size", "lots", "Parameter 'size' expects size");

    /* string */
    g_assert_true(device_prop_set_str(dev, "str", "hello", &error_abort));
    g_assert_true(device_prop_set_str(dev, "str", "a,b", &error_abort));
    g_assert_cmpstr(s->str, ==, "a,b");
    assert_prop(dev, "str", "\"a,b\"");

    /* chardev */
    g_assert_true(device_prop_set_str(dev, "chardev", "serial0", &error_abort));
    g_assert_true(s->chr == &fake_serial0);
    assert_prop(dev, "chardev", "\"serial0\"");
    assert_rejects(dev, "chardev", "nope",
                   "Property 'test-dev.chardev' can't find value 'nope'");

    /* PCI devfn */
    g_assert_true(device_prop_set_str(dev, "addr", "06.1", &error_abort));
    g_assert_cmpint(s->devfn, ==, 6 << 3 | 1);
    assert_prop(dev, "addr", "06.1");
    g_assert_true(device_prop_set_str(dev, "addr", "1f", &error_abort));
    g_assert_cmpint(s->devfn, ==, 31 << 3);
    assert_rejects(dev, "addr", "zz",
                   "Property 'test-dev.addr' doesn't take value 'zz'");
    assert_rejects(dev, "addr", "20",
                   "Property 'test-dev.addr' doesn't take value '20'");
    assert_rejects(dev, "addr", "3.8",
                   "Property 'test-dev.addr' doesn't take value '3.8'");

    /* pointers come from C only */
    assert_rejects(dev, "ptr", "x",
                   "Property 'test-dev.ptr' can't be set from a string");
    g_assert_true(device_prop_set_ptr(dev, "ptr", s, &error_abort));
    g_assert_true(s->ptr == s);

    /* unknown property, inherited property */
    assert_rejects(dev, "foo", "1", "Property 'test-dev.foo' not found");
    g_assert_true(device_prop_set_str(dev, "base", "9", &error_abort));
    g_assert_cmpuint(s->parent.base, ==, 9);

    /* typed setters check the kind and the range */
    g_assert_true(device_prop_set_uint(dev, "u16", 7, &error_abort));
    g_assert_cmpuint(s->u16, ==, 7);
    g_assert_false(device_prop_set_uint(dev, "u8", 300, &err));
    assert_err(&err, "Parameter 'u8' expects uint8_t");
    g_assert_false(device_prop_set_uint(dev, "flag", 1, &err));
    assert_err(&err, "Property 'test-dev.flag' is a bool, not an unsigned "
                     "integer");
    g_assert_true(device_prop_set_int(dev, "i64", -3, &error_abort));
    g_assert_cmpint(s->i64, ==, -3);
    g_assert_true(device_prop_set_bool(dev, "flag", true, &error_abort));
    g_assert_true(s->flag);
    g_assert_true(device_prop_set_chr(dev, "chardev", NULL, &error_abort));
    g_assert_null(s->chr);
    device_free(dev);
}

static void *fake_drive_find(const char *id, Error **errp)
{
    if (!strcmp(id, "disk0")) {
        return (void *)"disk0-backend";
    }
    error_setg(errp, "Drive '%s' not found", id);
    return NULL;
}

static const char *fake_drive_name(const void *backend)
{
    return "disk0";
}

static const DevicePropBackend fake_drive = {
    .find = fake_drive_find,
    .name = fake_drive_name,
};

static void test_prop_backend(void)
{
    DeviceState *dev = device_new("test-dev", &error_abort);
    TestDev *s = TEST_DEV(dev);

    /* No block layer yet: values are refused. */
    assert_rejects(dev, "drive", "disk0",
                   "Property 'test-dev.drive' can't find value 'disk0'");
    device_prop_register_backend(PROP_DRIVE, &fake_drive);
    g_assert_true(device_prop_set_str(dev, "drive", "disk0", &error_abort));
    g_assert_cmpstr(s->drive, ==, "disk0-backend");
    assert_prop(dev, "drive", "\"disk0\"");
    assert_rejects(dev, "drive", "disk9", "Drive 'disk9' not found");
    device_free(dev);
}

static void test_global(void)
{
    DeviceState *dev;
    TestDev *s;
    Error *err = NULL;

    /* driver.prop=value, and the long form for names with dots. */
    g_assert_true(device_global_add("test-dev.u16=0x100", &error_abort));
    g_assert_true(device_global_add(
        "driver=test-dev,property=str,value=from,,global", &error_abort));
    /* On an ancestor type; applied before the child's own. */
    g_assert_true(device_global_add("test-base.base=77", &error_abort));
    g_assert_true(device_global_add("test-base.u32=1", &error_abort));
    g_assert_true(device_global_add("test-dev.u32=2", &error_abort));
    dev = device_new("test-dev", &error_abort);
    s = TEST_DEV(dev);
    g_assert_cmpuint(s->u16, ==, 0x100);
    g_assert_cmpstr(s->str, ==, "from,global");
    g_assert_cmpuint(s->parent.base, ==, 77);
    g_assert_cmpuint(s->u32, ==, 2);
    /* User properties still override globals. */
    g_assert_true(device_prop_set_str(dev, "u16", "3", &error_abort));
    g_assert_cmpuint(s->u16, ==, 3);
    device_free(dev);

    /* Syntax errors. */
    g_assert_false(device_global_add("driver=test-dev,property=u8", &err));
    assert_err(&err, "options 'driver', 'property', and 'value' are required");
    g_assert_false(
        device_global_add("driver=a,property=b,value=c,foo=d", &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(error_get_pretty(err), "'foo'"));
    error_free(err);
    err = NULL;

    /* A global that cannot apply makes creation fail, naming it. */
    g_assert_true(device_global_add("test-victim1.val=x", &error_abort));
    g_assert_null(device_new("test-victim1", &err));
    assert_err(&err, "can't apply global test-victim1.val=x: Parameter "
                     "'val' expects integer");
    g_assert_true(device_global_add("test-victim2.nosuch=1", &error_abort));
    g_assert_null(device_new("test-victim2", &err));
    assert_err(&err, "can't apply global test-victim2.nosuch=1: Property "
                     "'test-victim2.nosuch' not found");
}

static Opts *parse_device(const char *str)
{
    Opts *o = opts_parse(str, "driver", NULL, &error_abort);

    g_assert_nonnull(o);
    return o;
}

/* -device str must fail with msg. */
static void assert_device_fails(const char *str, const char *msg)
{
    Opts *o = parse_device(str);
    Error *err = NULL;

    g_assert_null(device_create_from_opts(o, &err));
    assert_err(&err, msg);
    opts_free(o);
}

static DeviceState *device_from_str(const char *str)
{
    Opts *o = parse_device(str);
    DeviceState *dev = device_create_from_opts(o, &error_abort);

    opts_free(o);
    return dev;
}

/*
 * Everything below builds one machine's worth of devices, in order:
 * realize, -device, buses, reset, qtree.  The globals that test_global
 * set on test-dev and test-base stay in force.
 */
static void test_realize_and_device_opts(void)
{
    DeviceState *dev;
    Error *err = NULL;
    TestDev *s;

    /* -device errors, worded as QEMU words them. */
    assert_device_fails("nosuchdevice",
                        "'nosuchdevice' is not a valid device model name");
    assert_device_fails("id=x", "Parameter 'driver' is missing");
    assert_device_fails("test-base",
                        "Parameter 'driver' expects a non-abstract device "
                        "type");
    assert_device_fails("test-nouser",
                        "Parameter 'driver' expects a pluggable device type");
    assert_device_fails("test-dev,foo=1", "Property 'test-dev.foo' not found");
    assert_device_fails("test-dev,u8=x", "Parameter 'u8' expects integer");
    assert_device_fails("test-dev,id=1bad",
                        "Parameter 'id' expects an identifier");
    assert_device_fails("test-dev,bus=nobus", "Bus 'nobus' not found");
    assert_device_fails("test-dev,bus=main-system-bus,u8=0xee",
                        "u8 0xee is refused");

    /* A failed realize was undone, children first. */
    g_string_truncate(events, 0);
    assert_device_fails("test-dev,u8=0xee", "u8 0xee is refused");
    g_assert_cmpstr(events->str, ==,
                    "base-init:test-dev init:test-dev "
                    "base-realize:test-dev realize:test-dev "
                    "base-unrealize:test-dev ");
    g_assert_cmpuint(sysbus_get_default()->children->len, ==, 0);

    /* Success: realized on the main system bus, parents first. */
    g_string_truncate(events, 0);
    dev = device_from_str("test-dev,id=t1,u32=0x3f8,chardev=serial0,"
                          "flag=off,str=x");
    g_assert_nonnull(dev);
    g_assert_cmpstr(events->str, ==,
                    "base-init:test-dev init:test-dev base-realize:t1 "
                    "realize:t1 ");
    g_assert_true(dev->realized);
    g_assert_true(dev->parent_bus == sysbus_get_default());
    g_assert_cmpstr(dev->id, ==, "t1");
    g_assert_cmpstr(dev->canonical_path, ==, "/machine/peripheral/t1");
    g_assert_true(device_find_id("t1") == dev);
    g_assert_true(device_find_path("t1") == dev);
    g_assert_true(device_find_path("/machine/peripheral/t1") == dev);
    g_assert_null(device_find_path("/machine/peripheral/t2"));
    s = TEST_DEV(dev);
    g_assert_cmpuint(s->u32, ==, 0x3f8);

    /* Realized: properties are frozen. */
    g_assert_false(device_prop_set_str(dev, "u32", "1", &err));
    assert_err(&err, "Attempt to set property 'u32' on device 't1' (type "
                     "'test-dev') after it was realized");
    assert_device_fails("test-dev,id=t1", "Duplicate ID 't1' for device");

    /* An anonymous one. */
    dev = device_from_str("test-dev,i32=7");
    g_assert_cmpstr(dev->canonical_path, ==,
                    "/machine/peripheral-anon/device[0]");
    g_assert_true(device_find_path("/machine/peripheral-anon/device[0]") ==
                  dev);

    /* A bus device with no such bus yet. */
    assert_device_fails("test-bus-dev",
                        "No 'TestBus' bus found for device 'test-bus-dev'");
}

static void test_buses_reset_qtree(void)
{
    DeviceState *bd, *nouser;
    BusState *tb, *auto_bus;
    GString *out = g_string_new("");
    Opts *o;

    /* A bridge providing a bus (named after the bridge's id). */
    device_from_str("test-bridge,id=br0");
    tb = bus_find("br0.0");
    g_assert_nonnull(tb);
    g_assert_cmpstr(tb->type, ==, "TestBus");
    g_assert_true(bus_find("br0.0") == tb);
    g_assert_true(bus_find_type("TestBus") == tb);

    bd = device_from_str("test-bus-dev,addr=3");
    g_assert_true(bd->parent_bus == tb);
    o = parse_device("test-bus-dev,bus=br0.0,addr=4,id=disk");
    g_assert_nonnull(device_create_from_opts(o, &error_abort));
    opts_free(o);
    /* Wrong bus type for the device. */
    assert_device_fails("test-dev,bus=br0.0",
                        "Device 'test-dev' can't go on TestBus bus");
    assert_device_fails("test-bus-dev,bus=main-system-bus",
                        "Device 'test-bus-dev' can't go on System bus");

    /* Board-created, not user-creatable: from C it works. */
    nouser = device_create_simple("test-nouser", NULL, &error_abort);
    g_assert_cmpstr(nouser->canonical_path, ==,
                    "/machine/unattached/device[0]");

    /* Buses without a name: the type in lower case, numbered. */
    auto_bus = bus_new(nouser, "Aux", NULL);
    g_assert_cmpstr(auto_bus->name, ==, "aux.0");
    g_assert_cmpstr(bus_new(nouser, "Aux", NULL)->name, ==, "aux.1");

    /* Reset: every device, bus parents before their children. */
    g_string_truncate(events, 0);
    TEST_DEV(device_find_id("t1"))->reg = 0;
    device_reset_all();
    g_assert_cmpstr(events->str, ==,
                    "base-reset:t1 reset:t1 "
                    "base-reset:test-dev reset:test-dev "
                    "reset:br0 "
                    "reset:test-bus-dev reset:disk ");
    g_assert_cmphex(TEST_DEV(device_find_id("t1"))->reg, ==, 0x1234);

    /* After the machine reset, a new device is reset as it is plugged. */
    g_string_truncate(events, 0);
    o = parse_device("test-bus-dev,addr=5");
    bd = device_create_from_opts(o, &error_abort);
    opts_free(o);
    g_assert_cmpstr(events->str, ==, "reset:test-bus-dev ");
    g_assert_cmpstr(bd->canonical_path, ==,
                    "/machine/peripheral-anon/device[2]");

    /* info qtree: newest first, own properties before inherited. */
    device_free(bd);
    device_info_qtree(out);
    g_assert_cmpstr(out->str, ==,
                    "bus: main-system-bus\n"
                    "  type System\n"
                    "  dev: test-nouser, id \"\"\n"
                    "    bus: aux.1\n"
                    "      type Aux\n"
                    "    bus: aux.0\n"
                    "      type Aux\n"
                    "  dev: test-bridge, id \"br0\"\n"
                    "    bus: br0.0\n"
                    "      type TestBus\n"
                    "      dev: test-bus-dev, id \"disk\"\n"
                    "        addr = 4 (0x4)\n"
                    "      dev: test-bus-dev, id \"\"\n"
                    "        addr = 3 (0x3)\n"
                    "  dev: test-dev, id \"\"\n"
                    "    flag = true\n"
                    "    u8 = 8 (0x8)\n"
                    "    u16 = 256 (0x100)\n"
                    "    u32 = 2 (0x2)\n"
                    "    u64 = 64 (0x40)\n"
                    "    i32 = 7 (0x7)\n"
                    "    i64 = -64 (0xffffffffffffffc0)\n"
                    "    size = 2097152 (2 MiB)\n"
                    "    str = \"from,global\"\n"
                    "    chardev = \"\"\n"
                    "    addr = <unset>\n"
                    "    drive = \"\"\n"
                    "    shadowed = 2 (0x2)\n"
                    "    described = 256 (0x100)\n"
                    "    base = 77 (0x4d)\n"
                    "  dev: test-dev, id \"t1\"\n"
                    "    flag = false\n"
                    "    u8 = 8 (0x8)\n"
                    "    u16 = 256 (0x100)\n"
                    "    u32 = 1016 (0x3f8)\n"
                    "    u64 = 64 (0x40)\n"
                    "    i32 = -1 (0xffffffffffffffff)\n"
                    "    i64 = -64 (0xffffffffffffffc0)\n"
                    "    size = 2097152 (2 MiB)\n"
                    "    str = \"x\"\n"
                    "    chardev = \"serial0\"\n"
                    "    addr = <unset>\n"
                    "    drive = \"\"\n"
                    "    shadowed = 2 (0x2)\n"
                    "    described = 256 (0x100)\n"
                    "    base = 77 (0x4d)\n");
    g_string_free(out, true);
}

static void test_help(void)
{
    GString *out = g_string_new("");
    Error *err = NULL;

    device_print_help(out);
    g_assert_cmpstr(out->str, ==,
                    "Controller/Bridge/Hub devices:\n"
                    "name \"test-bridge\", bus System\n"
                    "\n"
                    "Storage devices:\n"
                    "name \"test-bus-dev\", bus TestBus, desc \"sits on a "
                    "TestBus\"\n"
                    "\n"
                    "Misc devices:\n"
                    "name \"test-dev\", bus System, desc \"A device for unit "
                    "tests\"\n");
    g_string_truncate(out, 0);

    g_assert_true(device_print_props(out, "test-dev", &error_abort));
    g_assert_cmpstr(
        out->str, ==,
        "test-dev options:\n"
        "  addr=<int32>           - Slot and optional function number, "
        "example: 06.0 or 06 (default: -1)\n"
        "  base=<uint32>          -  (default: 5)\n"
        "  chardev=<str>          - ID of a chardev to use as a backend\n"
        "  described=<uint16>     - an alias of u16 (default: 16)\n"
        "  drive=<str>            - Node name or ID of a block device to use "
        "as a backend\n"
        "  flag=<bool>            -  (default: true)\n"
        "  i32=<int32>            -  (default: -1)\n"
        "  i64=<int64>            -  (default: -64)\n"
        "  shadowed=<uint32>      -  (default: 2)\n"
        "  size=<size>            -  (default: 2097152)\n"
        "  str=<str>\n"
        "  u16=<uint16>           -  (default: 16)\n"
        "  u32=<uint32>           -  (default: 4294967295)\n"
        "  u64=<uint64>           -  (default: 64)\n"
        "  u8=<uint8>             -  (default: 8)\n");
    g_string_truncate(out, 0);
    g_assert_true(device_print_props(out, "test-bridge", &error_abort));
    g_assert_cmpstr(out->str, ==, "There are no options for test-bridge.\n");
    g_assert_false(device_print_props(out, "nosuch", &err));
    assert_err(&err, "Device 'nosuch' not found");
    g_assert_false(device_print_props(out, "test-base", &err));
    assert_err(&err, "Parameter 'typename' expects a non-abstract device type");
    g_string_free(out, true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    events = g_string_new("");
    g_test_add_func("/qdev/registry", test_registry);
    g_test_add_func("/qdev/defaults-and-init", test_defaults_and_init);
    g_test_add_func("/qdev/prop-parse", test_prop_parse);
    g_test_add_func("/qdev/prop-backend", test_prop_backend);
    g_test_add_func("/qdev/help", test_help);
    g_test_add_func("/qdev/global", test_global);
    g_test_add_func("/qdev/realize-and-device-opts",
                    test_realize_and_device_opts);
    g_test_add_func("/qdev/buses-reset-qtree", test_buses_reset_qtree);
    return g_test_run();
}
