/*
 * PCI core: buses, configuration space, BAR mapping, INTx, DMA, and the
 * abstract "pci-device" type (see pci.h).  MSI and MSI-X live in msi.c.
 *
 * Config space is an array per function plus a write mask and a
 * write-1-to-clear mask, so that the default write path is one loop and
 * read-only fields need no code.  After a write that touches COMMAND, a
 * BAR or the ROM BAR, pci_update_mappings() moves the BAR regions.
 */
#include <inttypes.h>
#include <string.h>

#include "hw/pci/pci.h"
#include "hw/pci/pci-internal.h"
#include "util/log.h"

static GPtrArray *pci_buses; /* PCIBus *, creation order */

/* ---- Buses ---- */

static bool pci_bus_plug(BusState *qbus, DeviceState *dev, Error **errp)
{
    PCIBus *bus = qbus->opaque;
    PCIDevice *d = PCI_DEVICE(dev);

    if (d->devfn < 0) {
        for (int devfn = 0; devfn < 256; devfn += 8) {
            if (!bus->devices[devfn]) {
                d->devfn = devfn;
                break;
            }
        }
        if (d->devfn < 0) {
            error_setg(errp,
                       "PCI: no slot/function available for %s, all "
                       "in use",
                       dev->type->name);
            return false;
        }
    } else if (d->devfn > 255) {
        error_setg(errp, "PCI: devfn %d out of range", d->devfn);
        return false;
    } else if (bus->devices[d->devfn]) {
        error_setg(errp,
                   "PCI: slot %d function %d not available for %s, in "
                   "use by %s",
                   PCI_SLOT(d->devfn), PCI_FUNC(d->devfn), dev->type->name,
                   bus->devices[d->devfn]->qdev.type->name);
        return false;
    }
    bus->devices[d->devfn] = d;
    d->bus = bus;
    return true;
}

PCIBus *pci_root_bus_new(DeviceState *host, const char *name, MemoryRegion *mem,
                         MemoryRegion *io)
{
    PCIBus *bus = g_new0(PCIBus, 1);

    bus->qbus = bus_new(host, "PCI", name);
    bus->qbus->opaque = bus;
    bus->qbus->plug = pci_bus_plug;
    bus->mem = mem;
    bus->io = io;
    if (!pci_buses) {
        pci_buses = g_ptr_array_new();
    }
    g_ptr_array_add(pci_buses, bus);
    return bus;
}

void pci_bus_irqs(PCIBus *bus, pci_set_irq_fn set_irq, pci_map_irq_fn map_irq,
                  void *opaque, int nlines)
{
    bus->set_irq = set_irq;
    bus->map_irq = map_irq;
    bus->irq_opaque = opaque;
    bus->nlines = nlines;
    g_free(bus->irq_count);
    bus->irq_count = g_new0(int, nlines);
}

BusState *pci_bus_qbus(PCIBus *bus)
{
    return bus->qbus;
}

PCIBus *pci_bus_default(void)
{
    return pci_buses && pci_buses->len ? g_ptr_array_index(pci_buses, 0) : NULL;
}

PCIDevice *pci_find_device(PCIBus *bus, int devfn)
{
    return devfn >= 0 && devfn < 256 ? bus->devices[devfn] : NULL;
}

void pci_for_each_device(PCIBus *bus,
                         void (*fn)(PCIBus *b, PCIDevice *d, void *opaque),
                         void *opaque)
{
    for (int devfn = 0; devfn < 256; devfn++) {
        if (bus->devices[devfn]) {
            fn(bus, bus->devices[devfn], opaque);
        }
    }
}

static PCIDevice *host_config_target(PCIBus *bus, uint32_t cf8)
{
    if (!(cf8 & 0x80000000u) || ((cf8 >> 16) & 0xff) != 0) {
        return NULL; /* disabled, or a bus behind a bridge (none here) */
    }
    return bus->devices[(cf8 >> 8) & 0xff];
}

static uint32_t config_read(PCIDevice *d, uint32_t addr, int len)
{
    if (d->klass && d->klass->config_read) {
        return d->klass->config_read(d, addr, len);
    }
    return pci_default_read_config(d, addr, len);
}

static void config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    if (d->klass && d->klass->config_write) {
        d->klass->config_write(d, addr, val, len);
    } else {
        pci_default_write_config(d, addr, val, len);
    }
}

uint32_t pci_host_config_read(PCIBus *bus, uint32_t cf8, unsigned offset,
                              int len)
{
    PCIDevice *d = host_config_target(bus, cf8);
    uint32_t addr = (cf8 & 0xfc) | (offset & 3);

    if (!d) {
        return len == 4 ? 0xffffffffu : (1u << (len * 8)) - 1;
    }
    return config_read(d, addr, len);
}

void pci_host_config_write(PCIBus *bus, uint32_t cf8, unsigned offset,
                           uint32_t val, int len)
{
    PCIDevice *d = host_config_target(bus, cf8);
    uint32_t addr = (cf8 & 0xfc) | (offset & 3);

    if (d) {
        config_write(d, addr, val, len);
    }
}

static PCIDevice *create(PCIBus *bus, int devfn, const char *typename,
                         bool multifunction, Error **errp)
{
    DeviceState *dev = device_new(typename, errp);

    if (!dev) {
        return NULL;
    }
    PCI_DEVICE(dev)->devfn = devfn;
    PCI_DEVICE(dev)->multifunction = multifunction;
    if (!device_realize(dev, bus ? bus->qbus : NULL, errp)) {
        device_free(dev);
        return NULL;
    }
    return PCI_DEVICE(dev);
}

PCIDevice *pci_create_simple(PCIBus *bus, int devfn, const char *typename,
                             Error **errp)
{
    return create(bus, devfn, typename, false, errp);
}

PCIDevice *pci_create_simple_multifunction(PCIBus *bus, int devfn,
                                           const char *typename, Error **errp)
{
    return create(bus, devfn, typename, true, errp);
}

/* ---- Config space ---- */

uint32_t pci_default_read_config(PCIDevice *d, uint32_t addr, int len)
{
    uint32_t v = 0;

    for (int i = 0; i < len && addr + i < PCI_CONFIG_SPACE_SIZE; i++) {
        v |= (uint32_t)d->config[addr + i] << (8 * i);
    }
    return v;
}

static bool ranges_overlap(uint32_t a, int alen, uint32_t b, int blen)
{
    return a < b + blen && b < a + alen;
}

void pci_default_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                              int len)
{
    uint16_t old_cmd = pci_get_word(d->config + PCI_COMMAND);

    for (int i = 0; i < len && addr + i < PCI_CONFIG_SPACE_SIZE; i++) {
        uint32_t a = addr + i;
        uint8_t b = val >> (8 * i);
        d->config[a] = (d->config[a] & ~d->wmask[a]) | (b & d->wmask[a]);
        d->config[a] &= ~(b & d->w1cmask[a]);
    }
    if (ranges_overlap(addr, len, PCI_BASE_ADDRESS_0, 24) ||
        ranges_overlap(addr, len, PCI_ROM_ADDRESS, 4) ||
        ranges_overlap(addr, len, PCI_COMMAND, 2)) {
        pci_update_mappings(d);
    }
    if ((old_cmd ^ pci_get_word(d->config + PCI_COMMAND)) &
        PCI_COMMAND_INTX_DISABLE) {
        pci_intx_update(d);
    }
    if (d->msi_cap) {
        msi_write_config(d, addr, val, len);
    }
    if (d->msix_cap) {
        msix_write_config(d, addr, val, len);
    }
}

uint8_t pci_find_capability(PCIDevice *d, uint8_t cap_id)
{
    uint8_t pos = d->config[PCI_CAPABILITY_LIST];

    for (int n = 0; pos && n < 48; n++) {
        if (d->config[pos] == cap_id) {
            return pos;
        }
        pos = d->config[pos + 1];
    }
    return 0;
}

uint8_t pci_add_capability(PCIDevice *d, uint8_t cap_id, uint8_t offset,
                           uint8_t size, Error **errp)
{
    if (!offset) {
        for (unsigned o = PCI_CONFIG_HEADER_SIZE;
             o + size <= PCI_CONFIG_SPACE_SIZE; o += 4) {
            if (!memchr(d->used + o, 1, size)) {
                offset = o;
                break;
            }
        }
        if (!offset) {
            error_setg(errp,
                       "%s: no room in config space for capability "
                       "0x%x",
                       d->qdev.type->name, cap_id);
            return 0;
        }
    } else if (offset < PCI_CONFIG_HEADER_SIZE ||
               offset + size > PCI_CONFIG_SPACE_SIZE ||
               memchr(d->used + offset, 1, size)) {
        error_setg(errp, "%s: capability 0x%x at 0x%x overlaps another",
                   d->qdev.type->name, cap_id, offset);
        return 0;
    }
    memset(d->used + offset, 1, size);
    d->config[offset] = cap_id;
    d->config[offset + 1] = d->config[PCI_CAPABILITY_LIST];
    d->config[PCI_CAPABILITY_LIST] = offset;
    pci_set_word(d->config + PCI_STATUS,
                 pci_get_word(d->config + PCI_STATUS) | PCI_STATUS_CAP_LIST);
    return offset;
}

/* ---- BARs ---- */

static uint32_t bar_offset(int n)
{
    return n == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * n;
}

void pci_register_bar(PCIDevice *d, int n, uint8_t type, MemoryRegion *mr)
{
    PCIIORegion *r = &d->io_regions[n];
    uint64_t size = memory_region_size(mr);
    uint32_t off = bar_offset(n);
    uint64_t mask;

    r->mr = mr;
    r->type = type;
    r->size = size;
    r->addr = PCI_BAR_UNMAPPED;
    if (n == PCI_ROM_SLOT) {
        mask = ~(size - 1) | 1; /* address and the enable bit */
        pci_set_long(d->wmask + off, (uint32_t)mask);
        pci_set_long(d->config + off, 0);
        return;
    }
    mask = ~(size - 1);
    pci_set_long(d->config + off, type);
    if (type & PCI_BASE_ADDRESS_SPACE_IO) {
        pci_set_long(d->wmask + off, (uint32_t)mask & ~3u);
    } else if (type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        pci_set_quad(d->wmask + off, mask & ~0xfull);
        pci_set_long(d->config + off + 4, 0);
    } else {
        pci_set_long(d->wmask + off, (uint32_t)mask & ~0xfu);
    }
}

pcibus_t pci_get_bar_addr(PCIDevice *d, int n)
{
    return d->io_regions[n].addr;
}

/* Where BAR n decodes now, from config space and COMMAND. */
static pcibus_t bar_address(PCIDevice *d, int n)
{
    PCIIORegion *r = &d->io_regions[n];
    uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
    uint32_t off = bar_offset(n);
    uint64_t addr;

    if (r->type & PCI_BASE_ADDRESS_SPACE_IO) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = pci_get_long(d->config + off) & ~(r->size - 1) & ~3u;
        if (addr == 0 || addr + r->size > 0x10000) {
            return PCI_BAR_UNMAPPED;
        }
        return addr;
    }
    if (!(cmd & PCI_COMMAND_MEMORY)) {
        return PCI_BAR_UNMAPPED;
    }
    if (n == PCI_ROM_SLOT) {
        uint32_t v = pci_get_long(d->config + off);
        if (!(v & 1)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = v & ~(r->size - 1) & ~1u;
    } else if (r->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        addr = pci_get_quad(d->config + off) & ~(r->size - 1) & ~0xfull;
    } else {
        addr = pci_get_long(d->config + off) & ~(r->size - 1) & ~0xfu;
    }
    /* Unprogrammed BARs, and sizing writes of all ones, do not decode. */
    if (addr == 0 || addr + r->size < addr ||
        ((r->type & PCI_BASE_ADDRESS_MEM_TYPE_64)
             ? addr + r->size == 0
             : addr + r->size > 0x100000000ull)) {
        return PCI_BAR_UNMAPPED;
    }
    return addr;
}

void pci_update_mappings(PCIDevice *d)
{
    memory_region_transaction_begin();
    for (int n = 0; n < PCI_NUM_REGIONS; n++) {
        PCIIORegion *r = &d->io_regions[n];
        pcibus_t addr;
        MemoryRegion *space;

        if (!r->mr) {
            continue;
        }
        addr = bar_address(d, n);
        if (addr == r->addr) {
            continue;
        }
        space =
            (r->type & PCI_BASE_ADDRESS_SPACE_IO) ? d->bus->io : d->bus->mem;
        if (r->addr != PCI_BAR_UNMAPPED) {
            memory_region_del_subregion(space, r->mr);
        }
        r->addr = addr;
        if (addr != PCI_BAR_UNMAPPED) {
            /* Above RAM, as the PCI hole is on real boards. */
            memory_region_add_subregion_overlap(space, addr, r->mr, 1);
        }
    }
    memory_region_transaction_commit();
}

/* ---- INTx ---- */

static void bus_line_change(PCIBus *bus, int line, int delta)
{
    if (!bus->set_irq || line < 0 || line >= bus->nlines) {
        return;
    }
    bus->irq_count[line] += delta;
    bus->set_irq(bus->irq_opaque, line, bus->irq_count[line] != 0);
}

/* The level the function presents on its pin (0 when INTx is disabled). */
static int intx_effective(PCIDevice *d)
{
    return d->irq_level &&
           !(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
}

void pci_intx_update(PCIDevice *d)
{
    int pin = d->config[PCI_INTERRUPT_PIN];
    int now = intx_effective(d);
    PCIBus *bus = d->bus;

    if (now == d->irq_asserted || pin < 1 || pin > 4 || !bus) {
        d->irq_asserted = now;
        return;
    }
    d->irq_asserted = now;
    if (bus->map_irq) {
        bus_line_change(bus, bus->map_irq(d, pin - 1), now ? 1 : -1);
    }
}

void pci_set_irq(PCIDevice *d, int level)
{
    uint16_t status = pci_get_word(d->config + PCI_STATUS);

    level = level != 0;
    d->irq_level = level;
    pci_set_word(d->config + PCI_STATUS, level
                                             ? status | PCI_STATUS_INTERRUPT
                                             : status & ~PCI_STATUS_INTERRUPT);
    pci_intx_update(d);
}

/* ---- DMA ---- */

AddressSpace *pci_get_address_space(PCIDevice *d)
{
    return &address_space_memory;
}

MemTxResult pci_dma_rw(PCIDevice *d, dma_addr_t addr, void *buf, dma_addr_t len,
                       bool is_write)
{
    if (!(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: %s DMA at 0x%" PRIx64 " with bus mastering off\n",
                      __func__, d->qdev.type->name, addr);
        if (!is_write) {
            memset(buf, 0xff, len);
        }
        return MEMTX_ERROR;
    }
    return address_space_rw(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED,
                            buf, len, is_write);
}

/* ---- The abstract pci-device type ---- */

static const PCIDeviceClass *find_class(const DeviceTypeInfo *t)
{
    for (; t; t = t->parent ? device_type_find(t->parent) : NULL) {
        if (t->class_data && strcmp(t->name, "pci-device")) {
            return t->class_data;
        }
    }
    return NULL;
}

static bool pci_device_realize(DeviceState *dev, Error **errp)
{
    PCIDevice *d = PCI_DEVICE(dev);
    const PCIDeviceClass *k = find_class(dev->type);
    uint8_t *c = d->config;

    if (!d->bus) {
        error_setg(errp, "%s: no PCI bus", dev->type->name);
        return false;
    }
    d->klass = k;
    if (k) {
        pci_set_word(c + PCI_VENDOR_ID, k->vendor_id);
        pci_set_word(c + PCI_DEVICE_ID, k->device_id);
        c[PCI_REVISION_ID] = k->revision;
        c[PCI_CLASS_PROG] = k->class_prog;
        pci_set_word(c + PCI_CLASS_DEVICE, k->class_id);
        if (k->subsystem_vendor_id) {
            pci_set_word(c + PCI_SUBSYSTEM_VENDOR_ID, k->subsystem_vendor_id);
            pci_set_word(c + PCI_SUBSYSTEM_ID, k->subsystem_id);
        } else {
            /* QEMU's default subsystem ids (Red Hat, QEMU). */
            pci_set_word(c + PCI_SUBSYSTEM_VENDOR_ID,
                         PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
            pci_set_word(c + PCI_SUBSYSTEM_ID, 0x1100);
        }
    }
    if (d->multifunction) {
        c[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MULTI_FUNCTION;
    }
    memset(d->used, 1, PCI_CONFIG_HEADER_SIZE);
    pci_set_word(d->wmask + PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                     PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                     PCI_COMMAND_INTX_DISABLE);
    pci_set_word(d->w1cmask + PCI_STATUS, PCI_STATUS_ERRORS);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->wmask[PCI_LATENCY_TIMER] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    for (int n = 0; n < PCI_NUM_REGIONS; n++) {
        d->io_regions[n].addr = PCI_BAR_UNMAPPED;
    }
    return true;
}

static void pci_device_unrealize(DeviceState *dev)
{
    PCIDevice *d = PCI_DEVICE(dev);

    pci_set_word(d->config + PCI_COMMAND, 0);
    pci_update_mappings(d);
    msix_uninit(d);
    if (d->bus && d->bus->devices[d->devfn] == d) {
        d->bus->devices[d->devfn] = NULL;
    }
}

/*
 * Device reset: COMMAND and BARs back to zero (unmapped), INTx low.  Runs
 * before the device type's own reset.
 */
static void pci_device_reset(DeviceState *dev)
{
    PCIDevice *d = PCI_DEVICE(dev);

    pci_set_irq(d, 0);
    pci_set_word(d->config + PCI_COMMAND, 0);
    pci_set_word(d->config + PCI_STATUS,
                 pci_get_word(d->config + PCI_STATUS) & ~PCI_STATUS_ERRORS);
    d->config[PCI_CACHE_LINE_SIZE] = 0;
    d->config[PCI_LATENCY_TIMER] = 0;
    d->config[PCI_INTERRUPT_LINE] = 0;
    for (int n = 0; n < PCI_NUM_REGIONS; n++) {
        PCIIORegion *r = &d->io_regions[n];
        uint32_t off = bar_offset(n);
        if (!r->mr) {
            continue;
        }
        if (n == PCI_ROM_SLOT) {
            pci_set_long(d->config + off, 0);
        } else {
            pci_set_long(d->config + off, r->type);
            if (r->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
                pci_set_long(d->config + off + 4, 0);
            }
        }
    }
    pci_update_mappings(d);
    msi_reset(d);
    msix_reset(d);
}

static const Property pci_device_props[] = {
    DEFINE_PROP_PCI_DEVFN("addr", PCIDevice, devfn, -1),
    DEFINE_PROP_BOOL("multifunction", PCIDevice, multifunction, false),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo pci_device_info = {
    .name = "pci-device",
    .parent = "device",
    .instance_size = sizeof(PCIDevice),
    .abstract = true,
    .bus_type = "PCI",
    .props = pci_device_props,
    .realize = pci_device_realize,
    .unrealize = pci_device_unrealize,
    .reset = pci_device_reset,
};
DEVICE_TYPE_REGISTER(pci_device_info)
