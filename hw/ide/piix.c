/*
 * Intel 82371SB PIIX3, function 1: the IDE interface ("piix3-ide").
 *
 * Interface:
 *   PCI     01.1, 8086:7010, class 0101, programming interface 80h (bus
 *           master, both channels in compatibility mode)
 *   ports   primary 0x1f0-0x1f7 + 0x3f6, secondary 0x170-0x177 + 0x376
 *   BAR4    16 bytes of I/O: bus-master IDE registers, 8 per channel
 *   irq     ISA IRQ 14 (primary) and 15 (secondary)
 *   config  0x40-0x43 IDETIM (bit 15: IDE decode enable, as firmware
 *           sets it), 0x44 SIDETIM
 *   buses   "ide.0", "ide.1" (units 0 and 1)
 *   props   "decode-at-reset" (bool): set IDETIM's decode enable at reset
 *           as firmware would (direct kernel boot, where Linux's ata_piix
 *           ignores channels without it)
 * Follows the 82371FB/SB datasheet (290550) 2.3 (IDE configuration) and
 * SFF-8038i for BAR4.  Quirk (docs/quirks.md): the legacy ports are
 * decoded whatever IDETIM says, as in QEMU.
 */
#include <stdio.h>

#include "hw/ide/ide-internal.h"
#include "hw/ide/ide.h"
#include "hw/isa/isa.h"
#include "hw/pci/pci.h"

#define PIIX_IDETIM      0x40
#define PIIX_SIDETIM     0x44
#define IDETIM_DECODE_EN 0x8000

typedef struct PIIXIDEState {
    PCIDevice parent;
    bool decode_at_reset;
    IDEBus bus[2];
    BMDMAState bmdma[2];
    MemoryRegion bmdma_bar;
} PIIXIDEState;
DECLARE_DEVICE_CAST(PIIXIDEState, PIIX_IDE, "piix3-ide")

static void piix_ide_reset(DeviceState *dev)
{
    PIIXIDEState *s = PIIX_IDE(dev);
    uint8_t *c = s->parent.config;

    pci_set_word(c + PCI_STATUS,
                 PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK);
    pci_set_word(c + PIIX_IDETIM, s->decode_at_reset ? IDETIM_DECODE_EN : 0);
    pci_set_word(c + PIIX_IDETIM + 2,
                 s->decode_at_reset ? IDETIM_DECODE_EN : 0);
    pci_set_byte(c + PIIX_SIDETIM, 0);
    for (int i = 0; i < 2; i++) {
        ide_bus_reset(&s->bus[i]);
    }
}

static bool piix_ide_realize(DeviceState *dev, Error **errp)
{
    static const uint16_t base[2] = {0x1f0, 0x170};
    static const uint16_t ctl[2] = {0x3f6, 0x376};
    PIIXIDEState *s = PIIX_IDE(dev);
    PCIDevice *d = PCI_DEVICE(dev);

    for (int i = 0; i < PIIX_SIDETIM + 1 - PIIX_IDETIM; i++) {
        d->wmask[PIIX_IDETIM + i] = 0xff;
    }
    memory_region_init(&s->bmdma_bar, dev, "piix-bmdma-container", 16);
    for (int i = 0; i < 2; i++) {
        char name[8];
        BusState *qbus;
        snprintf(name, sizeof(name), "ide.%d", i);
        qbus = ide_qbus_new(dev, &s->bus[i], name);
        ide_bus_init(&s->bus[i], i, qbus, isa_bus_get_irq(14 + i));
        ide_bus_map_legacy(&s->bus[i], dev, base[i], ctl[i]);
        bmdma_init(&s->bmdma[i], &s->bus[i], dev);
        memory_region_init_io(&s->bmdma[i].io, dev, &bmdma_ops, &s->bmdma[i],
                              "bmdma", 8);
        memory_region_add_subregion(&s->bmdma_bar, i * 8, &s->bmdma[i].io);
    }
    pci_register_bar(d, 4, PCI_BASE_ADDRESS_SPACE_IO, &s->bmdma_bar);
    return true;
}

static const PCIDeviceClass piix_ide_class = {
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = 0x7010,
    .class_id = PCI_CLASS_STORAGE_IDE,
    .class_prog = 0x80,
};

static const Property piix_ide_props[] = {
    DEFINE_PROP_BOOL("decode-at-reset", PIIXIDEState, decode_at_reset, false),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo piix_ide_info = {
    .name = "piix3-ide",
    .parent = "pci-device",
    .instance_size = sizeof(PIIXIDEState),
    .desc = "PIIX3 IDE controller",
    .category = DEVICE_CATEGORY_STORAGE,
    .class_data = &piix_ide_class,
    .props = piix_ide_props,
    .realize = piix_ide_realize,
    .reset = piix_ide_reset,
};
DEVICE_TYPE_REGISTER(piix_ide_info)

PCIDevice *piix3_ide_init(PCIBus *bus, int devfn, bool decode_at_reset,
                          Error **errp)
{
    DeviceState *dev = device_new("piix3-ide", errp);
    PIIXIDEState *s;

    if (!dev) {
        return NULL;
    }
    PCI_DEVICE(dev)->devfn = devfn;
    PIIX_IDE(dev)->decode_at_reset = decode_at_reset;
    if (!device_realize(dev, pci_bus_qbus(bus), errp)) {
        return NULL;
    }
    s = PIIX_IDE(dev);
    for (int i = 0; i < 2; i++) {
        if (!ide_create_drives(s->bus[i].qbus, i, errp)) {
            return NULL;
        }
    }
    return PCI_DEVICE(dev);
}
