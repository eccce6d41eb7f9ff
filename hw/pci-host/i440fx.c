/*
 * Intel 82441FX PMC (i440FX) host bridge: PCI configuration mechanism #1
 * and the PAM shadow-RAM registers ("i440FX-pcihost" and "i440FX").
 *
 * Interface:
 *   ports   0xcf8 CONFIG_ADDRESS (32-bit accesses only), 0xcfc-0xcff
 *           CONFIG_DATA (1, 2, 4 bytes)
 *   PCI     00.0, 8086:1237 rev 2, class 0600 (host bridge)
 *   config  0x59-0x5f PAM0-PAM6, 0x72 SMRAM (latched only)
 * Follows the Intel 440FX PCIset datasheet (order 290549), 3.2 (PAM
 * registers): PAM0[7:4] controls 0xf0000-0xfffff, PAM1..PAM6 two 16 KiB
 * segments each from 0xc0000; per segment bit 0 = reads go to DRAM, bit 1
 * = writes go to DRAM.  "Write only" (2) is approximated by PCI (0): the
 * BIOS only uses it transiently while copying itself.
 */
#include <string.h>

#include "hw/pci-host/i440fx.h"
#include "util/log.h"

#define I440FX_PAM          0x59
#define I440FX_PAM_SEGMENTS 13
#define I440FX_SMRAM        0x72

#define PAM_RE 1
#define PAM_WE 2

typedef struct I440FXHostState {
    DeviceState parent;
    MemoryRegion conf_addr, conf_data;
    uint32_t config_reg;
    PCIBus *bus;
    /* Byte accesses to 0xcf9 belong to the south bridge's RCR. */
    const MemoryRegionOps *rcr_ops;
    void *rcr_opaque;
} I440FXHostState;

static I440FXHostState *i440fx_host;
DECLARE_DEVICE_CAST(I440FXHostState, I440FX_HOST, "i440FX-pcihost")

typedef struct I440FXState {
    PCIDevice parent;
    /* Properties (set by i440fx_init). */
    void *system_memory; /* MemoryRegion * */
    void *ram;           /* MemoryRegion * */
    bool pam_ram_at_reset;
    /* Per PAM segment: RAM read-only and RAM read/write aliases. */
    MemoryRegion pam_ro[I440FX_PAM_SEGMENTS];
    MemoryRegion pam_rw[I440FX_PAM_SEGMENTS];
} I440FXState;
DECLARE_DEVICE_CAST(I440FXState, I440FX, "i440FX")

/* ---- Host: configuration mechanism #1 ---- */

/*
 * CONFIG_ADDRESS decodes only 32-bit accesses at 0xcf8; a byte access at
 * 0xcf9 is the PIIX3 reset control register; anything else reads all
 * ones and is ignored (PCI 3.0, 3.2.2.3.2).
 */
static uint64_t conf_addr_read(void *opaque, hwaddr addr, unsigned size)
{
    I440FXHostState *s = opaque;

    if (addr == 0 && size == 4) {
        return s->config_reg;
    }
    if (addr == 1 && size == 1 && s->rcr_ops) {
        return s->rcr_ops->read(s->rcr_opaque, 0, 1);
    }
    return ~0ull;
}

static void conf_addr_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    I440FXHostState *s = opaque;

    if (addr == 0 && size == 4) {
        s->config_reg = val & ~3u;
    } else if (addr == 1 && size == 1 && s->rcr_ops) {
        s->rcr_ops->write(s->rcr_opaque, 0, val, 1);
    }
}

static const MemoryRegionOps conf_addr_ops = {
    .read = conf_addr_read,
    .write = conf_addr_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

void i440fx_set_reset_control(const MemoryRegionOps *ops, void *opaque)
{
    if (i440fx_host) {
        i440fx_host->rcr_ops = ops;
        i440fx_host->rcr_opaque = opaque;
    }
}

static uint64_t conf_data_read(void *opaque, hwaddr addr, unsigned size)
{
    I440FXHostState *s = opaque;

    return pci_host_config_read(s->bus, s->config_reg, addr, size);
}

static void conf_data_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    I440FXHostState *s = opaque;

    pci_host_config_write(s->bus, s->config_reg, addr, val, size);
}

static const MemoryRegionOps conf_data_ops = {
    .read = conf_data_read,
    .write = conf_data_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
};

static void i440fx_host_reset(DeviceState *dev)
{
    I440FX_HOST(dev)->config_reg = 0;
}

static bool i440fx_host_realize(DeviceState *dev, Error **errp)
{
    I440FXHostState *s = I440FX_HOST(dev);

    memory_region_init_io(&s->conf_addr, dev, &conf_addr_ops, s, "pci-conf-idx",
                          4);
    memory_region_add_subregion(get_system_io(), 0xcf8, &s->conf_addr);
    memory_region_init_io(&s->conf_data, dev, &conf_data_ops, s,
                          "pci-conf-data", 4);
    memory_region_add_subregion(get_system_io(), 0xcfc, &s->conf_data);
    return true;
}

static const DeviceTypeInfo i440fx_host_info = {
    .name = "i440FX-pcihost",
    .parent = "sys-bus-device",
    .instance_size = sizeof(I440FXHostState),
    .desc = "i440FX PCI host (configuration ports)",
    .category = DEVICE_CATEGORY_BRIDGE,
    .realize = i440fx_host_realize,
    .reset = i440fx_host_reset,
};
DEVICE_TYPE_REGISTER(i440fx_host_info)

/* ---- Function 00.0: PAM ---- */

static hwaddr pam_segment_start(int seg)
{
    return seg == 0 ? 0xf0000 : 0xc0000 + (seg - 1) * 0x4000;
}

static uint64_t pam_segment_size(int seg)
{
    return seg == 0 ? 0x10000 : 0x4000;
}

static uint8_t pam_segment_mode(I440FXState *s, int seg)
{
    uint8_t *c = s->parent.config;

    if (seg == 0) {
        return c[I440FX_PAM] >> 4;
    }
    return (c[I440FX_PAM + (seg + 1) / 2] >> ((seg - 1) % 2 ? 4 : 0)) & 3;
}

static void i440fx_update_pam(I440FXState *s)
{
    memory_region_transaction_begin();
    for (int seg = 0; seg < I440FX_PAM_SEGMENTS; seg++) {
        uint8_t mode = pam_segment_mode(s, seg) & 3;
        if (mode == PAM_WE) {
            qemu_log_mask(LOG_UNIMP,
                          "%s: PAM write-only mode treated as PCI at 0x%x\n",
                          __func__, (unsigned)pam_segment_start(seg));
        }
        memory_region_set_enabled(&s->pam_ro[seg], mode == PAM_RE);
        memory_region_set_enabled(&s->pam_rw[seg], mode == (PAM_RE | PAM_WE));
    }
    memory_region_transaction_commit();
}

static void i440fx_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                                int len)
{
    pci_default_write_config(d, addr, val, len);
    if (addr < I440FX_PAM + 7 && addr + len > I440FX_PAM) {
        i440fx_update_pam(I440FX(d));
    }
}

static void i440fx_reset(DeviceState *dev)
{
    I440FXState *s = I440FX(dev);
    uint8_t v = s->pam_ram_at_reset ? 0x33 : 0;

    for (int i = 0; i < 7; i++) {
        s->parent.config[I440FX_PAM + i] = v;
    }
    s->parent.config[I440FX_PAM] &= 0xf0; /* PAM0 low nibble reserved */
    s->parent.config[I440FX_SMRAM] = 0x02;
    i440fx_update_pam(s);
}

static bool i440fx_realize(DeviceState *dev, Error **errp)
{
    I440FXState *s = I440FX(dev);
    PCIDevice *d = PCI_DEVICE(dev);

    if (!s->system_memory || !s->ram) {
        error_setg(errp, "i440FX: created without memory regions");
        return false;
    }
    d->wmask[I440FX_PAM] = 0xf0;
    memset(d->wmask + I440FX_PAM + 1, 0xff, 6);
    d->wmask[I440FX_SMRAM] = 0x78; /* latched, SMRAM is not emulated */
    for (int seg = 0; seg < I440FX_PAM_SEGMENTS; seg++) {
        hwaddr start = pam_segment_start(seg);
        uint64_t size = pam_segment_size(seg);
        memory_region_init_alias(&s->pam_ro[seg], dev, "pam-ro", s->ram, start,
                                 size);
        memory_region_set_readonly(&s->pam_ro[seg], true);
        memory_region_set_enabled(&s->pam_ro[seg], false);
        memory_region_add_subregion_overlap(s->system_memory, start,
                                            &s->pam_ro[seg], 2);
        memory_region_init_alias(&s->pam_rw[seg], dev, "pam-ram", s->ram, start,
                                 size);
        memory_region_set_enabled(&s->pam_rw[seg], false);
        memory_region_add_subregion_overlap(s->system_memory, start,
                                            &s->pam_rw[seg], 2);
    }
    i440fx_reset(dev);
    return true;
}

static const PCIDeviceClass i440fx_class = {
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = 0x1237,
    .revision = 0x02,
    .class_id = PCI_CLASS_BRIDGE_HOST,
    .config_write = i440fx_write_config,
};

static const Property i440fx_props[] = {
    DEFINE_PROP_PTR("system-memory", I440FXState, system_memory),
    DEFINE_PROP_PTR("ram", I440FXState, ram),
    DEFINE_PROP_BOOL("pam-ram-at-reset", I440FXState, pam_ram_at_reset, false),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo i440fx_info = {
    .name = "i440FX",
    .parent = "pci-device",
    .instance_size = sizeof(I440FXState),
    .desc = "i440FX host bridge (PAM shadow RAM)",
    .category = DEVICE_CATEGORY_BRIDGE,
    .class_data = &i440fx_class,
    .props = i440fx_props,
    .realize = i440fx_realize,
    .reset = i440fx_reset,
};
DEVICE_TYPE_REGISTER(i440fx_info)

PCIBus *i440fx_init(MemoryRegion *system_memory, MemoryRegion *system_io,
                    MemoryRegion *ram, bool pam_ram_at_reset, Error **errp)
{
    DeviceState *host = device_new("i440FX-pcihost", errp);
    DeviceState *dev;
    I440FXHostState *h;

    if (!host || !device_realize(host, sysbus_get_default(), errp)) {
        return NULL;
    }
    h = I440FX_HOST(host);
    i440fx_host = h;
    h->bus = pci_root_bus_new(host, "pci.0", system_memory, system_io);
    dev = device_new("i440FX", errp);
    if (!dev) {
        return NULL;
    }
    I440FX(dev)->system_memory = system_memory;
    I440FX(dev)->ram = ram;
    I440FX(dev)->pam_ram_at_reset = pam_ram_at_reset;
    PCI_DEVICE(dev)->devfn = 0;
    if (!device_realize(dev, pci_bus_qbus(h->bus), errp)) {
        return NULL;
    }
    return h->bus;
}
