/*
 * Devices: the type registry, typed properties, buses, realize and reset.
 *
 * A device type is one const struct and one macro (STYLE.md §2):
 *
 *     typedef struct SerialState { ISADevice parent; ... uint32_t iobase; }
 *         SerialState;
 *     DECLARE_DEVICE_CAST(SerialState, ISA_SERIAL, "isa-serial")
 *
 *     static const Property serial_props[] = {
 *         DEFINE_PROP_UINT32("iobase", SerialState, iobase, 0x3f8),
 *         DEFINE_PROP_CHR("chardev", SerialState, chr),
 *         DEFINE_PROP_END,
 *     };
 *     static const DeviceTypeInfo serial_info = {
 *         .name = "isa-serial", .parent = "isa-device",
 *         .instance_size = sizeof(SerialState), .props = serial_props,
 *         .realize = serial_realize, .reset = serial_reset,
 *         .category = DEVICE_CATEGORY_INPUT, .desc = "16550A UART",
 *         .user_creatable = true,
 *     };
 *     DEVICE_TYPE_REGISTER(serial_info)
 *
 * The first member of every instance struct is its parent's instance
 * struct, down to DeviceState.  `-device NAME,prop=val`, `-device help`,
 * `-device NAME,help` and `-global` all come from this registry; there is
 * no other way to build a device.  Construction:
 *     dev = device_new("isa-serial", errp);     defaults, -global, init
 *     device_prop_set_str(dev, "iobase", "0x2f8", errp);
 *     device_realize(dev, bus, errp);            bus may be NULL
 */
#ifndef HW_CORE_QDEV_H
#define HW_CORE_QDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "util/error.h"
#include "util/option.h"

typedef struct DeviceState DeviceState;
typedef struct BusState BusState;
typedef struct Chardev Chardev;

typedef enum PropType {
    PROP_BOOL,      /* bool */
    PROP_UINT8,     /* uint8_t */
    PROP_UINT16,    /* uint16_t */
    PROP_UINT32,    /* uint32_t */
    PROP_UINT64,    /* uint64_t */
    PROP_INT32,     /* int32_t */
    PROP_INT64,     /* int64_t */
    PROP_SIZE,      /* uint64_t, accepts k/M/G suffixes */
    PROP_STRING,    /* char *, owned by the device */
    PROP_CHR,       /* Chardev *, set from a -chardev id */
    PROP_PCI_DEVFN, /* int32_t, "slot" or "slot.fn", -1 = auto */
    PROP_PTR,       /* void *, set only from C (machine wiring) */
    PROP_DRIVE,     /* block backend, by -drive id (block layer) */
    PROP_NETDEV,    /* net client, by -netdev id (net layer) */
} PropType;

typedef struct Property {
    const char *name;
    PropType type;
    size_t offset;
    union {
        uint64_t u;
        int64_t i;
        bool b;
        const char *s;
    } defval;
    const char *description;
} Property;

#define DEFINE_PROP_BOOL(n, State, f, d)                                       \
    {                                                                          \
        .name = (n), .type = PROP_BOOL, .offset = offsetof(State, f),          \
        .defval.b = (d)                                                        \
    }
#define DEFINE_PROP_UINT8(n, State, f, d)                                      \
    {                                                                          \
        .name = (n), .type = PROP_UINT8, .offset = offsetof(State, f),         \
        .defval.u = (d)                                                        \
    }
#define DEFINE_PROP_UINT16(n, State, f, d)                                     \
    {                                                                          \
        .name = (n), .type = PROP_UINT16, .offset = offsetof(State, f),        \
        .defval.u = (d)                                                        \
    }
#define DEFINE_PROP_UINT32(n, State, f, d)                                     \
    {                                                                          \
        .name = (n), .type = PROP_UINT32, .offset = offsetof(State, f),        \
        .defval.u = (d)                                                        \
    }
#define DEFINE_PROP_UINT64(n, State, f, d)                                     \
    {                                                                          \
        .name = (n), .type = PROP_UINT64, .offset = offsetof(State, f),        \
        .defval.u = (d)                                                        \
    }
#define DEFINE_PROP_INT32(n, State, f, d)                                      \
    {                                                                          \
        .name = (n), .type = PROP_INT32, .offset = offsetof(State, f),         \
        .defval.i = (d)                                                        \
    }
#define DEFINE_PROP_INT64(n, State, f, d)                                      \
    {                                                                          \
        .name = (n), .type = PROP_INT64, .offset = offsetof(State, f),         \
        .defval.i = (d)                                                        \
    }
#define DEFINE_PROP_SIZE(n, State, f, d)                                       \
    {                                                                          \
        .name = (n), .type = PROP_SIZE, .offset = offsetof(State, f),          \
        .defval.u = (d)                                                        \
    }
#define DEFINE_PROP_STRING(n, State, f)                                        \
    {                                                                          \
        .name = (n), .type = PROP_STRING, .offset = offsetof(State, f)         \
    }
#define DEFINE_PROP_CHR(n, State, f)                                           \
    {                                                                          \
        .name = (n), .type = PROP_CHR, .offset = offsetof(State, f)            \
    }
#define DEFINE_PROP_PCI_DEVFN(n, State, f, d)                                  \
    {                                                                          \
        .name = (n), .type = PROP_PCI_DEVFN, .offset = offsetof(State, f),     \
        .defval.i = (d)                                                        \
    }
#define DEFINE_PROP_PTR(n, State, f)                                           \
    {                                                                          \
        .name = (n), .type = PROP_PTR, .offset = offsetof(State, f)            \
    }
/* void * fields, resolved by the layer that registered the backend kind. */
#define DEFINE_PROP_DRIVE(n, State, f)                                         \
    {                                                                          \
        .name = (n), .type = PROP_DRIVE, .offset = offsetof(State, f)          \
    }
#define DEFINE_PROP_NETDEV(n, State, f)                                        \
    {                                                                          \
        .name = (n), .type = PROP_NETDEV, .offset = offsetof(State, f)         \
    }
#define DEFINE_PROP_END                                                        \
    {                                                                          \
        .name = NULL                                                           \
    }

/*
 * `-device help` groups, printed in QEMU's order and wording (bridge first,
 * uncategorized last).  UNCATEGORIZED is 0 so that a type that sets no
 * category lands there.
 */
typedef enum DeviceCategory {
    DEVICE_CATEGORY_UNCATEGORIZED = 0, /* "Uncategorized devices" */
    DEVICE_CATEGORY_BRIDGE,            /* "Controller/Bridge/Hub devices" */
    DEVICE_CATEGORY_USB,               /* "USB devices" */
    DEVICE_CATEGORY_STORAGE,           /* "Storage devices" */
    DEVICE_CATEGORY_NETWORK,           /* "Network devices" */
    DEVICE_CATEGORY_INPUT,             /* "Input devices" */
    DEVICE_CATEGORY_DISPLAY,           /* "Display devices" */
    DEVICE_CATEGORY_SOUND,             /* "Sound devices" */
    DEVICE_CATEGORY_MISC,              /* "Misc devices" */
    DEVICE_CATEGORY_CPU,               /* "CPU devices" */
    DEVICE_CATEGORY_WATCHDOG,          /* "Watchdog devices" */
    DEVICE_CATEGORY__MAX
} DeviceCategory;

typedef struct DeviceTypeInfo {
    const char *name;
    const char *parent; /* NULL only for "device" itself */
    size_t instance_size;
    const char *desc;
    DeviceCategory category;
    bool user_creatable; /* may be created with -device */
    bool abstract;       /* cannot be instantiated */
    /* Bus type this device plugs into ("System", "ISA", "PCI", ...). */
    const char *bus_type;
    const Property *props; /* ends with DEFINE_PROP_END; may be NULL */
    /* Type-level data for the parent class (e.g. PCI ids). */
    const void *class_data;
    /* After defaults and -global, before user properties.  Parents first. */
    void (*instance_init)(DeviceState *dev);
    /*
     * Makes the device live.  The core calls the realize of every type in
     * the chain, parents first (so "pci-device" sets up config space before
     * "e1000" runs); a parent that must also act after its child does it
     * through hooks in the child's class_data.  Returns false with errp set
     * on failure; the types already realized are then unrealized, children
     * first.
     */
    bool (*realize)(DeviceState *dev, Error **errp);
    /* Children first. */
    void (*unrealize)(DeviceState *dev);
    /*
     * Puts every register in its power-on state.  The core calls the reset
     * of every type in the chain, parents first.
     */
    void (*reset)(DeviceState *dev);
    /* Buses the device provides are created in realize with bus_new(). */
} DeviceTypeInfo;

struct BusState {
    char *name;       /* "pci.0", "isa.0" */
    const char *type; /* "PCI", "ISA", "System" */
    DeviceState *parent;
    GPtrArray *children; /* DeviceState*, in plug order */
    /* Devices it takes (0: any number); -device without bus= skips full
     * buses (an IDE channel takes two). */
    unsigned max_dev;
    /* Optional: checks/prepares a device being plugged (e.g. PCI devfn). */
    bool (*plug)(BusState *bus, DeviceState *dev, Error **errp);
    /*
     * Optional: bus-specific `info qtree` lines for a device on this bus
     * (e.g. "class Ethernet controller, addr 00:03.0, ..."), each line
     * starting with indent spaces and ending with a newline.
     */
    void (*print_dev)(BusState *bus, DeviceState *dev, GString *out,
                      int indent);
    void *opaque;
};

struct DeviceState {
    const DeviceTypeInfo *type;
    char *id; /* -device ...,id=; may be NULL */
    char *canonical_path;
    BusState *parent_bus;
    GPtrArray *child_buses; /* BusState* */
    bool realized;
    /* Properties explicitly set (for info qtree / -device NAME,help). */
};

void device_type_register(const DeviceTypeInfo *info);
#define DEVICE_TYPE_REGISTER(info)                                             \
    static void __attribute__((constructor)) register_##info(void)             \
    {                                                                          \
        device_type_register(&(info));                                         \
    }

const DeviceTypeInfo *device_type_find(const char *name);
/* Whether type (or one of its ancestors) is named ancestor. */
bool device_type_is_a(const DeviceTypeInfo *type, const char *ancestor);
bool device_is_a(const DeviceState *dev, const char *ancestor);
/* Every registered type, sorted by name. */
GPtrArray *device_type_list(void);

/* Checked downcast: aborts (an internal bug) if dev is not a typename. */
void *device_check_cast(void *dev, const char *typename, const char *file,
                        int line);
#define DECLARE_DEVICE_CAST(Type, CAST, typename)                              \
    static inline Type *CAST(void *obj)                                        \
    {                                                                          \
        return (Type *)device_check_cast(obj, (typename), __FILE__, __LINE__); \
    }

/* Allocates, applies defaults and -global, runs instance_init chain. */
DeviceState *device_new(const char *typename, Error **errp);
/* Frees an unrealized device. */
void device_free(DeviceState *dev);

/* Property setters; a realized device refuses changes. */
const Property *device_find_prop(const DeviceState *dev, const char *name);
bool device_prop_set_str(DeviceState *dev, const char *name, const char *value,
                         Error **errp);
bool device_prop_set_uint(DeviceState *dev, const char *name, uint64_t v,
                          Error **errp);
bool device_prop_set_int(DeviceState *dev, const char *name, int64_t v,
                         Error **errp);
bool device_prop_set_bool(DeviceState *dev, const char *name, bool v,
                          Error **errp);
bool device_prop_set_ptr(DeviceState *dev, const char *name, void *v,
                         Error **errp);
bool device_prop_set_chr(DeviceState *dev, const char *name, Chardev *chr,
                         Error **errp);
/* Current value formatted as `info qtree` prints it. */
char *device_prop_get_str(const DeviceState *dev, const Property *prop);

/*
 * Plugs dev into bus (or, when bus is NULL and the type has a bus_type,
 * the first bus of that type; or none) and realizes it.
 */
bool device_realize(DeviceState *dev, BusState *bus, Error **errp);
void device_reset(DeviceState *dev);
/* Resets every realized device, children after their bus parents. */
void device_reset_all(void);

/* device_new + props + realize, from C. */
DeviceState *device_create_simple(const char *typename, BusState *bus,
                                  Error **errp);

/* Buses. */
BusState *bus_new(DeviceState *parent, const char *type, const char *name);
BusState *bus_find(const char *name);
/* First bus of a type (e.g. "PCI"), NULL if none. */
BusState *bus_find_type(const char *type);
/* The main system bus ("main-system-bus"), parent of sysbus devices. */
BusState *sysbus_get_default(void);

/* Looks a realized device up by its id. */
DeviceState *device_find_id(const char *id);
/*
 * Looks a realized device up by canonical path ("/machine/peripheral/ID",
 * "/machine/peripheral-anon/device[0]", "/machine/unattached/device[3]")
 * or, when path has no '/', by id (qtest's irq_intercept_in takes either).
 */
DeviceState *device_find_path(const char *path);

/*
 * Backends of drive= and netdev= properties.  The block and net layers
 * register how an id becomes the object stored in the property's void *
 * field (find sets errp when there is none) and how to name it back for
 * `info qtree`.  Until one is registered such properties reject values.
 */
typedef struct DevicePropBackend {
    void *(*find)(const char *id, Error **errp);
    const char *(*name)(const void *backend);
} DevicePropBackend;
void device_prop_register_backend(PropType type, const DevicePropBackend *be);

/*
 * -device: opts has "driver" (implied key) and properties, plus optional
 * "id" and "bus".  Unknown properties, bad values, non-user-creatable types
 * and missing buses are errors naming the property.
 */
DeviceState *device_create_from_opts(Opts *opts, Error **errp);
/* -global driver.prop=value, or driver=,property=,value=. */
bool device_global_add(const char *str, Error **errp);

/* `-device help` listing and `-device NAME,help` property listing. */
void device_print_help(GString *out);
bool device_print_props(GString *out, const char *typename, Error **errp);
/* `info qtree` */
void device_info_qtree(GString *out);

#endif
