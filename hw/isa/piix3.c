/*
 * Intel 82371SB PIIX3, function 0: PCI-to-ISA bridge ("PIIX3").
 *
 * Interface:
 *   PCI     01.0, 8086:7000, class 0601, multi-function
 *   config  0x60-0x63 PIRQRC[A:D] (bit 7 disables, bits 3:0 ISA IRQ)
 *   ports   0xcf9 reset control register (RCR), byte accesses only,
 *           decoded by the host bridge and forwarded here
 *   bus     "isa.0" with the board's 16 ISA lines
 *   irq     PCI INTA-D of every slot, swizzled to PIRQA-D
 *           ((slot + pin - 1) mod 4 with slot 1 = PIRQA), then routed to
 *           an ISA line by PIRQRC; several PIRQs on one line are ORed
 * Follows the Intel 82371FB/SB datasheet (order 290550), 2.2 (PCI
 * configuration: PIRQRC at 0x60) and 4.1.x (RCR at 0xcf9: bit 2 resets
 * the CPU, bit 1 selects a hard reset).  Legacy ISA functions (DMA,
 * ELCR, timers) are modelled elsewhere or by the in-kernel irqchip.
 */
#include "hw/isa/piix3.h"
#include "hw/pci-host/i440fx.h"
#include "system/runstate.h"
#include "util/log.h"

#define PIIX_PIRQRC    0x60
#define PIIX_NUM_PIRQS 4
#define PIRQ_DISABLE   0x80
#define RCR_SYS_RST    0x02
#define RCR_RST_CPU    0x04

typedef struct PIIX3State {
    PCIDevice parent;
    /* Properties. */
    void *isa_irqs; /* qemu_irq[16] */
    bool pirq_at_reset;
    /* State. */
    uint8_t rcr;
    int pirq_level[PIIX_NUM_PIRQS];
    qemu_irq isa[ISA_NUM_IRQS];
} PIIX3State;
DECLARE_DEVICE_CAST(PIIX3State, PIIX3, "PIIX3")

/* Recomputes every ISA line that PIRQs can drive. */
static void piix3_update_irq(PIIX3State *s)
{
    int level[ISA_NUM_IRQS] = {0};
    bool routed[ISA_NUM_IRQS] = {false};

    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        uint8_t r = s->parent.config[PIIX_PIRQRC + p];
        if (r & PIRQ_DISABLE || (r & 0x0f) >= ISA_NUM_IRQS) {
            continue;
        }
        routed[r & 0x0f] = true;
        level[r & 0x0f] |= s->pirq_level[p];
    }
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        if (routed[i]) {
            qemu_set_irq(s->isa[i], level[i]);
        }
    }
}

static void piix3_set_irq(void *opaque, int pirq, int level)
{
    PIIX3State *s = opaque;

    s->pirq_level[pirq] = level;
    piix3_update_irq(s);
}

static int piix3_map_irq(PCIDevice *d, int pin)
{
    return (PCI_SLOT(d->devfn) + pin - 1) & 3;
}

static void piix3_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                               int len)
{
    PIIX3State *s = PIIX3(d);
    bool pirq = addr < PIIX_PIRQRC + PIIX_NUM_PIRQS && addr + len > PIIX_PIRQRC;

    if (pirq) {
        /* Lower what the old routing drove before re-routing. */
        int saved[PIIX_NUM_PIRQS];
        for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
            saved[p] = s->pirq_level[p];
            s->pirq_level[p] = 0;
        }
        piix3_update_irq(s);
        for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
            s->pirq_level[p] = saved[p];
        }
    }
    pci_default_write_config(d, addr, val, len);
    if (pirq) {
        piix3_update_irq(s);
    }
}

static uint64_t rcr_read(void *opaque, hwaddr addr, unsigned size)
{
    return PIIX3(opaque)->rcr;
}

static void rcr_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIX3State *s = opaque;

    if (val & RCR_RST_CPU) {
        qemu_system_guest_reset_request();
        return;
    }
    s->rcr = val & RCR_SYS_RST;
}

static const MemoryRegionOps rcr_ops = {
    .read = rcr_read,
    .write = rcr_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static void piix3_reset(DeviceState *dev)
{
    PIIX3State *s = PIIX3(dev);
    uint8_t *c = s->parent.config;

    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        c[PIIX_PIRQRC + p] =
            s->pirq_at_reset ? PIIX3_PIRQ_FIRMWARE_IRQ(p) : PIRQ_DISABLE;
        s->pirq_level[p] = 0;
    }
    pci_set_word(c + PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(c + PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM);
    s->rcr = 0;
    piix3_update_irq(s);
}

static bool piix3_realize(DeviceState *dev, Error **errp)
{
    PIIX3State *s = PIIX3(dev);
    PCIDevice *d = PCI_DEVICE(dev);
    qemu_irq *irqs = s->isa_irqs;

    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        s->isa[i] = irqs ? irqs[i] : NULL;
    }
    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        d->wmask[PIIX_PIRQRC + p] = PIRQ_DISABLE | 0x0f;
    }
    isa_bus_new(dev, s->isa);
    pci_bus_irqs(d->bus, piix3_set_irq, piix3_map_irq, s, PIIX_NUM_PIRQS);
    /* 0xcf9 is inside the host bridge's CONFIG_ADDRESS decode. */
    i440fx_set_reset_control(&rcr_ops, s);
    piix3_reset(dev);
    return true;
}

static const PCIDeviceClass piix3_class = {
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = 0x7000,
    .class_id = PCI_CLASS_BRIDGE_ISA,
    .config_write = piix3_write_config,
};

static const Property piix3_props[] = {
    DEFINE_PROP_PTR("isa-irqs", PIIX3State, isa_irqs),
    DEFINE_PROP_BOOL("pirq-at-reset", PIIX3State, pirq_at_reset, false),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo piix3_info = {
    .name = "PIIX3",
    .parent = "pci-device",
    .instance_size = sizeof(PIIX3State),
    .desc = "PIIX3 PCI-to-ISA bridge",
    .category = DEVICE_CATEGORY_BRIDGE,
    .class_data = &piix3_class,
    .props = piix3_props,
    .realize = piix3_realize,
    .reset = piix3_reset,
};
DEVICE_TYPE_REGISTER(piix3_info)

PCIDevice *piix3_init(PCIBus *bus, qemu_irq *isa_irqs, bool pirq_at_reset,
                      Error **errp)
{
    DeviceState *dev = device_new("PIIX3", errp);

    if (!dev) {
        return NULL;
    }
    PIIX3(dev)->isa_irqs = isa_irqs;
    PIIX3(dev)->pirq_at_reset = pirq_at_reset;
    PCI_DEVICE(dev)->devfn = PCI_DEVFN(1, 0);
    PCI_DEVICE(dev)->multifunction = true;
    if (!device_realize(dev, pci_bus_qbus(bus), errp)) {
        return NULL;
    }
    return PCI_DEVICE(dev);
}
