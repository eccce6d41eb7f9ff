/*
 * PCI: configuration space, BARs, INTx, MSI and MSI-X, for conventional
 * PCI devices on a root bus (PCI Local Bus Specification 3.0, ch. 6; MSI
 * and MSI-X: 6.8).
 *
 * A PCI device's instance struct starts with PCIDevice; its type has
 * parent "pci-device" and gives its identity in class_data:
 *
 *     static const PCIDeviceClass e1000_class = {
 *         .vendor_id = PCI_VENDOR_ID_INTEL, .device_id = 0x100e,
 *         .class_id = PCI_CLASS_NETWORK_ETHERNET, .revision = 3,
 *     };
 *     static const DeviceTypeInfo e1000_info = {
 *         .name = "e1000", .parent = "pci-device",
 *         .instance_size = sizeof(E1000State), .class_data = &e1000_class,
 *         .realize = e1000_realize, ...
 *     };
 *
 * The "pci-device" realize runs first: it fills the header from the
 * class, sets the default write masks and plugs the function at its devfn
 * (property "addr", "slot" or "slot.fn"; first free slot when absent).
 * The device's realize then adds BARs and capabilities:
 *
 *     memory_region_init_io(&s->mmio, DEVICE(s), &ops, s, "e1000-mmio",
 *                           128 * KiB);
 *     pci_register_bar(PCI_DEVICE(s), 0, PCI_BASE_ADDRESS_SPACE_MEMORY,
 *                      &s->mmio);
 *     pci_config_set_interrupt_pin(PCI_DEVICE(s)->config, 1);  INTA#
 *
 * BARs are mapped into the bus's memory or I/O space when the guest
 * writes an address and enables decoding in COMMAND.  DMA goes through
 * pci_dma_read/pci_dma_write (dropped unless bus mastering is enabled).
 * pci_set_irq() drives INTx; msi_notify()/msix_notify() send messages.
 * Everything runs with the big lock held.
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/core/qdev.h"
#include "system/memory.h"

/* Config space header (type 0). */
#define PCI_VENDOR_ID                  0x00
#define PCI_DEVICE_ID                  0x02
#define PCI_COMMAND                    0x04
#define PCI_COMMAND_IO                 0x1
#define PCI_COMMAND_MEMORY             0x2
#define PCI_COMMAND_MASTER             0x4
#define PCI_COMMAND_PARITY             0x40
#define PCI_COMMAND_SERR               0x100
#define PCI_COMMAND_INTX_DISABLE       0x400
#define PCI_STATUS                     0x06
#define PCI_STATUS_INTERRUPT           0x08
#define PCI_STATUS_CAP_LIST            0x10
#define PCI_STATUS_66MHZ               0x20
#define PCI_STATUS_FAST_BACK           0x80
#define PCI_STATUS_DEVSEL_MEDIUM       0x200
#define PCI_STATUS_ERRORS              0xf900 /* write-1-to-clear error bits */
#define PCI_REVISION_ID                0x08
#define PCI_CLASS_PROG                 0x09
#define PCI_CLASS_DEVICE               0x0a
#define PCI_CACHE_LINE_SIZE            0x0c
#define PCI_LATENCY_TIMER              0x0d
#define PCI_HEADER_TYPE                0x0e
#define PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define PCI_BIST                       0x0f
#define PCI_BASE_ADDRESS_0             0x10
#define PCI_BASE_ADDRESS_SPACE_IO      0x01
#define PCI_BASE_ADDRESS_SPACE_MEMORY  0x00
#define PCI_BASE_ADDRESS_MEM_TYPE_64   0x04
#define PCI_BASE_ADDRESS_MEM_PREFETCH  0x08
#define PCI_SUBSYSTEM_VENDOR_ID        0x2c
#define PCI_SUBSYSTEM_ID               0x2e
#define PCI_ROM_ADDRESS                0x30
#define PCI_CAPABILITY_LIST            0x34
#define PCI_INTERRUPT_LINE             0x3c
#define PCI_INTERRUPT_PIN              0x3d
#define PCI_MIN_GNT                    0x3e
#define PCI_MAX_LAT                    0x3f
#define PCI_CONFIG_HEADER_SIZE         0x40
#define PCI_CONFIG_SPACE_SIZE          0x100

/* Capability ids. */
#define PCI_CAP_ID_PM   0x01
#define PCI_CAP_ID_MSI  0x05
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_EXP  0x10
#define PCI_CAP_ID_MSIX 0x11

/* Vendors and classes used by the boards here. */
#define PCI_VENDOR_ID_INTEL              0x8086
#define PCI_VENDOR_ID_REDHAT_QUMRANET    0x1af4
#define PCI_VENDOR_ID_REDHAT             0x1b36
#define PCI_SUBVENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_CLASS_STORAGE_IDE            0x0101
#define PCI_CLASS_STORAGE_SCSI           0x0100
#define PCI_CLASS_STORAGE_OTHER          0x0180
#define PCI_CLASS_NETWORK_ETHERNET       0x0200
#define PCI_CLASS_NETWORK_OTHER          0x0280
#define PCI_CLASS_DISPLAY_VGA            0x0300
#define PCI_CLASS_BRIDGE_HOST            0x0600
#define PCI_CLASS_BRIDGE_ISA             0x0601
#define PCI_CLASS_BRIDGE_OTHER           0x0680
#define PCI_CLASS_OTHERS                 0x00ff

#define PCI_DEVFN(slot, fn) ((((slot)&0x1f) << 3) | ((fn)&0x07))
#define PCI_SLOT(devfn)     (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)     ((devfn)&0x07)

#define PCI_NUM_REGIONS  7 /* six BARs and the expansion ROM */
#define PCI_ROM_SLOT     6
#define PCI_BAR_UNMAPPED (~(uint64_t)0)

typedef uint64_t pcibus_t;
typedef uint64_t dma_addr_t;
typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;

/* A device type's identity and hooks (DeviceTypeInfo.class_data). */
typedef struct PCIDeviceClass {
    uint16_t vendor_id;
    uint16_t device_id;
    uint8_t revision;
    uint8_t class_prog;           /* programming interface byte */
    uint16_t class_id;            /* base class << 8 | sub class */
    uint16_t subsystem_vendor_id; /* 0: QEMU's default 1af4:1100 */
    uint16_t subsystem_id;
    /* Optional; the defaults are pci_default_read/write_config(). */
    uint32_t (*config_read)(PCIDevice *d, uint32_t addr, int len);
    void (*config_write)(PCIDevice *d, uint32_t addr, uint32_t val, int len);
} PCIDeviceClass;

typedef struct PCIIORegion {
    MemoryRegion *mr; /* NULL: BAR not implemented */
    uint8_t type;     /* PCI_BASE_ADDRESS_* bits */
    uint64_t size;
    pcibus_t addr; /* where it is mapped, or PCI_BAR_UNMAPPED */
} PCIIORegion;

struct PCIDevice {
    DeviceState qdev;
    /* Properties. */
    int32_t devfn; /* "addr" */
    bool multifunction;
    /* State. */
    PCIBus *bus;
    const PCIDeviceClass *klass;
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];   /* bits the guest may write */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE]; /* write 1 to clear */
    uint8_t used[PCI_CONFIG_SPACE_SIZE];    /* taken by capabilities */
    PCIIORegion io_regions[PCI_NUM_REGIONS];
    int irq_level;    /* INTx as the device drives it */
    int irq_asserted; /* what the bus sees (after INTX_DISABLE) */
    /* MSI */
    uint8_t msi_cap; /* 0: none */
    unsigned msi_vectors;
    /* MSI-X */
    uint8_t msix_cap; /* 0: none */
    unsigned msix_entries;
    uint8_t *msix_table;
    uint8_t *msix_pba;
    MemoryRegion msix_table_mmio;
    MemoryRegion msix_pba_mmio;
    MemoryRegion *msix_exclusive_bar;
};

static inline PCIDevice *PCI_DEVICE(void *dev)
{
    return (PCIDevice *)device_check_cast(dev, "pci-device", __FILE__,
                                          __LINE__);
}

/* Little-endian config space accessors. */
static inline uint8_t pci_get_byte(const uint8_t *p)
{
    return *p;
}
static inline uint16_t pci_get_word(const uint8_t *p)
{
    return p[0] | (p[1] << 8);
}
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t pci_get_quad(const uint8_t *p)
{
    return pci_get_long(p) | ((uint64_t)pci_get_long(p + 4) << 32);
}
static inline void pci_set_byte(uint8_t *p, uint8_t v)
{
    *p = v;
}
static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    pci_set_word(p, v);
    pci_set_word(p + 2, v >> 16);
}
static inline void pci_set_quad(uint8_t *p, uint64_t v)
{
    pci_set_long(p, v);
    pci_set_long(p + 4, v >> 32);
}
static inline void pci_config_set_interrupt_pin(uint8_t *config, uint8_t pin)
{
    config[PCI_INTERRUPT_PIN] = pin;
}

/* ---- Buses (board and host bridge code) ---- */

/* INTx routing: map_irq(device, pin 0..3) -> bus line; set_irq(line). */
typedef int (*pci_map_irq_fn)(PCIDevice *d, int pin);
typedef void (*pci_set_irq_fn)(void *opaque, int line, int level);

/*
 * Creates a root bus "name" (e.g. "pci.0") under the host bridge, whose
 * BARs map into mem and io.
 */
PCIBus *pci_root_bus_new(DeviceState *host, const char *name, MemoryRegion *mem,
                         MemoryRegion *io);
void pci_bus_irqs(PCIBus *bus, pci_set_irq_fn set_irq, pci_map_irq_fn map_irq,
                  void *opaque, int nlines);
BusState *pci_bus_qbus(PCIBus *bus);
/* The first PCI bus, for board code and -device defaults. */
PCIBus *pci_bus_default(void);
PCIDevice *pci_find_device(PCIBus *bus, int devfn);
/* Calls fn for every device on the bus in devfn order. */
void pci_for_each_device(PCIBus *bus,
                         void (*fn)(PCIBus *b, PCIDevice *d, void *opaque),
                         void *opaque);

/*
 * Configuration mechanism #1: cf8 is the CONFIG_ADDRESS value (bit 31
 * enable, bus 23:16, devfn 15:8, register 7:2), offset 0..3 is the byte
 * within CONFIG_DATA.  Reads of absent functions return all ones.
 */
uint32_t pci_host_config_read(PCIBus *bus, uint32_t cf8, unsigned offset,
                              int len);
void pci_host_config_write(PCIBus *bus, uint32_t cf8, unsigned offset,
                           uint32_t val, int len);

/* Creates and realizes a device at devfn (-1: first free slot). */
PCIDevice *pci_create_simple(PCIBus *bus, int devfn, const char *typename,
                             Error **errp);
PCIDevice *pci_create_simple_multifunction(PCIBus *bus, int devfn,
                                           const char *typename, Error **errp);

/* Where MSI messages go; the board sets it (default: a write to memory). */
typedef void (*pci_msi_sink_fn)(uint64_t addr, uint32_t data);
void pci_set_msi_sink(pci_msi_sink_fn fn);

/* ---- Devices ---- */

/* region_num 0..5 or PCI_ROM_SLOT; mr's size must be a power of two. */
void pci_register_bar(PCIDevice *d, int region_num, uint8_t type,
                      MemoryRegion *mr);
pcibus_t pci_get_bar_addr(PCIDevice *d, int region_num);
/* Recomputes where BARs are mapped (after COMMAND/BAR changes). */
void pci_update_mappings(PCIDevice *d);

uint32_t pci_default_read_config(PCIDevice *d, uint32_t addr, int len);
void pci_default_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                              int len);

/*
 * Adds a capability of size bytes at offset (0: first free dword after
 * the header) and links it; returns the offset or 0 with errp set.
 */
uint8_t pci_add_capability(PCIDevice *d, uint8_t cap_id, uint8_t offset,
                           uint8_t size, Error **errp);
uint8_t pci_find_capability(PCIDevice *d, uint8_t cap_id);

/* INTx through the pin in PCI_INTERRUPT_PIN (level 0/1). */
void pci_set_irq(PCIDevice *d, int level);
static inline void pci_irq_assert(PCIDevice *d)
{
    pci_set_irq(d, 1);
}
static inline void pci_irq_deassert(PCIDevice *d)
{
    pci_set_irq(d, 0);
}

/* DMA as a bus master: false and no transfer when mastering is off. */
AddressSpace *pci_get_address_space(PCIDevice *d);
MemTxResult pci_dma_rw(PCIDevice *d, dma_addr_t addr, void *buf, dma_addr_t len,
                       bool is_write);
static inline MemTxResult pci_dma_read(PCIDevice *d, dma_addr_t addr, void *buf,
                                       dma_addr_t len)
{
    return pci_dma_rw(d, addr, buf, len, false);
}
static inline MemTxResult pci_dma_write(PCIDevice *d, dma_addr_t addr,
                                        const void *buf, dma_addr_t len)
{
    return pci_dma_rw(d, addr, (void *)buf, len, true);
}

/* MSI (offset 0: anywhere); nr_vectors a power of two up to 32. */
bool msi_init(PCIDevice *d, uint8_t offset, unsigned nr_vectors, bool is_64,
              bool per_vector_mask, Error **errp);
bool msi_enabled(const PCIDevice *d);
void msi_notify(PCIDevice *d, unsigned vector);

/*
 * MSI-X with the table and PBA inside existing BAR regions (at the given
 * offsets), or msix_init_exclusive_bar() which makes a BAR of its own.
 */
bool msix_init(PCIDevice *d, unsigned nentries, MemoryRegion *table_bar,
               uint8_t table_bar_nr, uint32_t table_offset,
               MemoryRegion *pba_bar, uint8_t pba_bar_nr, uint32_t pba_offset,
               uint8_t cap_pos, Error **errp);
bool msix_init_exclusive_bar(PCIDevice *d, unsigned nentries, uint8_t bar_nr,
                             Error **errp);
void msix_uninit(PCIDevice *d);
bool msix_enabled(const PCIDevice *d);
bool msix_is_masked(const PCIDevice *d, unsigned vector);
void msix_notify(PCIDevice *d, unsigned vector);
/* Resets the table to all vectors masked (device reset). */
void msix_reset(PCIDevice *d);

/* `info pci` / query-pci (also used by the monitor command here). */
void pci_info(GString *out);

#endif
