/*
 * query-pci / info pci: every function on every PCI bus with its ids,
 * class, interrupt pin and line, and mapped BARs, in QEMU's layout.
 */
#include <inttypes.h>
#include <string.h>

#include "hw/pci/pci-internal.h"
#include "monitor/monitor.h"

static const MonitorArg no_args[] = {{NULL}};

static const struct {
    uint16_t class_id;
    const char *desc;
} pci_class_names[] = {
    {0x0100, "SCSI controller"},
    {0x0101, "IDE controller"},
    {0x0106, "SATA controller"},
    {0x0108, "NVME controller"},
    {0x0180, "Storage controller"},
    {0x0200, "Ethernet controller"},
    {0x0280, "Network controller"},
    {0x0300, "VGA controller"},
    {0x0380, "Display controller"},
    {0x0401, "Audio controller"},
    {0x0403, "Audio controller"},
    {0x0600, "Host bridge"},
    {0x0601, "ISA bridge"},
    {0x0604, "PCI bridge"},
    {0x0680, "Bridge"},
    {0x0700, "Serial port"},
    {0x0c03, "USB controller"},
    {0x0c05, "SMBus"},
    {0x00ff, "Unclassified"},
};

static GPtrArray *all_buses(void)
{
    GPtrArray *list = g_ptr_array_new();
    BusState *qbus = bus_find_type("PCI");

    if (qbus) {
        g_ptr_array_add(list, qbus->opaque); /* one root bus on pc */
    }
    return list;
}

static json_t *device_info(PCIBus *bus, PCIDevice *d)
{
    uint8_t *c = d->config;
    uint16_t class_id = pci_get_word(c + PCI_CLASS_DEVICE);
    json_t *regions = json_array();
    json_t *dev;
    const char *desc = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(pci_class_names); i++) {
        if (pci_class_names[i].class_id == class_id) {
            desc = pci_class_names[i].desc;
        }
    }
    for (int n = 0; n < PCI_NUM_REGIONS; n++) {
        PCIIORegion *r = &d->io_regions[n];
        json_t *reg;
        if (!r->mr) {
            continue;
        }
        reg = json_pack(
            "{s:i, s:s, s:I, s:I}", "bar", n, "type",
            (r->type & PCI_BASE_ADDRESS_SPACE_IO) ? "io" : "memory", "address",
            r->addr == PCI_BAR_UNMAPPED ? (json_int_t)-1 : (json_int_t)r->addr,
            "size", (json_int_t)r->size);
        if (!(r->type & PCI_BASE_ADDRESS_SPACE_IO)) {
            json_object_set_new(
                reg, "prefetch",
                json_boolean(r->type & PCI_BASE_ADDRESS_MEM_PREFETCH));
            json_object_set_new(
                reg, "mem_type_64",
                json_boolean(r->type & PCI_BASE_ADDRESS_MEM_TYPE_64));
        }
        json_array_append_new(regions, reg);
    }
    dev =
        json_pack("{s:i, s:i, s:i, s:{s:i}, s:{s:i, s:i, s:i, s:i}, s:s, s:o}",
                  "bus", 0, "slot", PCI_SLOT(d->devfn), "function",
                  PCI_FUNC(d->devfn), "class_info", "class", class_id, "id",
                  "device", pci_get_word(c + PCI_DEVICE_ID), "vendor",
                  pci_get_word(c + PCI_VENDOR_ID), "subsystem",
                  pci_get_word(c + PCI_SUBSYSTEM_ID), "subsystem-vendor",
                  pci_get_word(c + PCI_SUBSYSTEM_VENDOR_ID), "qdev_id",
                  d->qdev.id ? d->qdev.id : "", "regions", regions);
    if (desc) {
        json_object_set_new(json_object_get(dev, "class_info"), "desc",
                            json_string(desc));
    }
    if (c[PCI_INTERRUPT_PIN]) {
        json_object_set_new(dev, "irq_pin", json_integer(c[PCI_INTERRUPT_PIN]));
        json_object_set_new(dev, "irq", json_integer(c[PCI_INTERRUPT_LINE]));
    }
    return dev;
}

static json_t *qmp_query_pci(json_t *args, Error **errp)
{
    g_autoptr(GPtrArray) buses = all_buses();
    json_t *list = json_array();

    for (guint b = 0; b < buses->len; b++) {
        PCIBus *bus = g_ptr_array_index(buses, b);
        json_t *devs = json_array();
        for (int devfn = 0; devfn < 256; devfn++) {
            if (bus->devices[devfn]) {
                json_array_append_new(devs,
                                      device_info(bus, bus->devices[devfn]));
            }
        }
        json_array_append_new(
            list, json_pack("{s:i, s:o}", "bus", (int)b, "devices", devs));
    }
    return list;
}

static json_int_t get_int(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static void hmp_info_pci(GString *out, json_t *ret, json_t *args)
{
    size_t i, j, k;
    json_t *bus, *d, *r;

    json_array_foreach(ret, i, bus)
    {
        json_array_foreach(json_object_get(bus, "devices"), j, d)
        {
            json_t *ci = json_object_get(d, "class_info");
            json_t *id = json_object_get(d, "id");
            const char *desc = json_string_value(json_object_get(ci, "desc"));

            g_string_append_printf(out, "  Bus %2d, device %3d, function %d:\n",
                                   (int)get_int(d, "bus"),
                                   (int)get_int(d, "slot"),
                                   (int)get_int(d, "function"));
            if (desc) {
                g_string_append_printf(out, "    %s", desc);
            } else {
                g_string_append_printf(out, "    Class %04x",
                                       (unsigned)get_int(ci, "class"));
            }
            g_string_append_printf(out, ": PCI device %04x:%04x\n",
                                   (unsigned)get_int(id, "vendor"),
                                   (unsigned)get_int(id, "device"));
            g_string_append_printf(out, "      PCI subsystem %04x:%04x\n",
                                   (unsigned)get_int(id, "subsystem-vendor"),
                                   (unsigned)get_int(id, "subsystem"));
            if (json_object_get(d, "irq_pin")) {
                g_string_append_printf(out, "      IRQ %d, pin %c\n",
                                       (int)get_int(d, "irq"),
                                       (char)('A' + get_int(d, "irq_pin") - 1));
            }
            json_array_foreach(json_object_get(d, "regions"), k, r)
            {
                json_int_t addr = get_int(r, "address");
                json_int_t size = get_int(r, "size");
                const char *type =
                    json_string_value(json_object_get(r, "type"));
                bool io = !strcmp(type, "io");
                g_string_append_printf(out,
                                       "      BAR%d: ", (int)get_int(r, "bar"));
                if (io) {
                    g_string_append_printf(
                        out, "I/O at 0x%04" PRIx64 " [0x%04" PRIx64 "].\n",
                        (uint64_t)addr, (uint64_t)(addr + size - 1));
                } else {
                    g_string_append_printf(
                        out,
                        "%d bit%s memory at 0x%08" PRIx64 " [0x%08" PRIx64
                        "].\n",
                        json_is_true(json_object_get(r, "mem_type_64")) ? 64
                                                                        : 32,
                        json_is_true(json_object_get(r, "prefetch"))
                            ? " prefetchable"
                            : "",
                        (uint64_t)addr, (uint64_t)(addr + size - 1));
                }
            }
            g_string_append_printf(
                out, "      id \"%s\"\n",
                json_string_value(json_object_get(d, "qdev_id")));
        }
    }
}

static const MonitorCommand query_pci_cmd = {
    .name = "query-pci",
    .hmp_name = "info pci",
    .args = no_args,
    .hmp_help = "show PCI info",
    .handler = qmp_query_pci,
    .hmp_format = hmp_info_pci,
};
MONITOR_COMMAND_REGISTER(query_pci_cmd)
