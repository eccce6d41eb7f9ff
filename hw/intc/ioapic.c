/*
 * Intel 82093AA I/O APIC ("ioapic"): 24 interrupt pins turned into
 * messages to the local APICs, for TCG (KVM has its own in the kernel).
 *
 * Interface:
 *   MMIO    0xfec00000, 32 bytes: IOREGSEL at 0x00 (8-bit index), IOWIN
 *           at 0x10 (32-bit window onto the indexed register)
 *   irq     24 input pins (ioapic_get_irqs), active high
 *   out     apic_bus_deliver() for each message; level-triggered EOIs
 *           come back through apic_bus_set_eoi_handler()
 *   props   "id" (IOAPIC ID, default 0)
 * Follows the 82093AA datasheet (290566): 3.1 registers (IOAPICID 0x00,
 * IOAPICVER 0x01, IOAPICARB 0x02, IOREDTBL 0x10-0x3f), 3.2.4 redirection
 * entry fields, remote IRR for level-triggered pins.
 *
 * Quirks (docs/quirks.md): the polarity bit is stored but inputs are
 * always active high (the board presents asserted lines as 1); an edge
 * that arrives on a masked pin is kept and delivered on unmask.
 */
#include "hw/intc/ioapic.h"
#include "hw/core/qdev.h"
#include "hw/intc/apic.h"
#include "system/memory.h"
#include "util/log.h"

#define IOAPIC_MMIO_SIZE 0x20
#define IOAPIC_VERSION   0x11

/* MMIO offsets */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN    0x10

/* Indirect registers */
#define IOAPIC_REG_ID     0x00
#define IOAPIC_REG_VER    0x01
#define IOAPIC_REG_ARB    0x02
#define IOAPIC_REG_REDTBL 0x10

/* Redirection entry fields (3.2.4) */
#define IOAPIC_RTE_VECTOR     0xffull
#define IOAPIC_RTE_DM_SHIFT   8
#define IOAPIC_RTE_LOGICAL    (1ull << 11)
#define IOAPIC_RTE_DELIVS     (1ull << 12)
#define IOAPIC_RTE_POLARITY   (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define IOAPIC_RTE_LEVEL      (1ull << 15)
#define IOAPIC_RTE_MASKED     (1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT 56
#define IOAPIC_RTE_RO_BITS    (IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR)
#define IOAPIC_RTE_WRITE_MASK (0xff00000000000000ull | 0x1ffffull)

typedef struct IOAPICState {
    DeviceState parent;
    uint32_t id;
    uint8_t ioregsel;
    uint32_t irr;   /* pins requesting (edge latched, level = line) */
    uint32_t level; /* current pin levels */
    uint64_t rte[IOAPIC_PINS];
    qemu_irq *in;
    MemoryRegion mmio;
} IOAPICState;
DECLARE_DEVICE_CAST(IOAPICState, IOAPIC, "ioapic")

/*
 * Sends every request that can go: unmasked pins with IRR set; level
 * pins only while their remote IRR is clear (one message per EOI).
 */
static void ioapic_update_irq(IOAPICState *s)
{
    for (int i = 0; i < IOAPIC_PINS; i++) {
        uint64_t e = s->rte[i];
        int mode = (e >> IOAPIC_RTE_DM_SHIFT) & 7;

        if (!(s->irr & (1u << i)) || (e & IOAPIC_RTE_MASKED)) {
            continue;
        }
        if (e & IOAPIC_RTE_LEVEL) {
            if (e & IOAPIC_RTE_REMOTE_IRR) {
                continue;
            }
            s->rte[i] |= IOAPIC_RTE_REMOTE_IRR;
        } else {
            s->irr &= ~(1u << i);
        }
        if (mode == APIC_DM_EXTINT) {
            qemu_log_mask(LOG_UNIMP, "%s: pin %d: ExtINT delivery\n", __func__,
                          i);
            continue;
        }
        apic_bus_deliver(e >> IOAPIC_RTE_DEST_SHIFT, e & IOAPIC_RTE_LOGICAL,
                         mode, e & IOAPIC_RTE_VECTOR, e & IOAPIC_RTE_LEVEL);
    }
}

static void ioapic_set_irq(void *opaque, int n, int level)
{
    IOAPICState *s = opaque;
    uint32_t bit = 1u << n;

    if (s->rte[n] & IOAPIC_RTE_LEVEL) {
        s->irr = level ? (s->irr | bit) : (s->irr & ~bit);
    } else if (level && !(s->level & bit)) {
        s->irr |= bit;
    }
    s->level = level ? (s->level | bit) : (s->level & ~bit);
    ioapic_update_irq(s);
}

/* A local APIC's EOI of a level-triggered vector (broadcast). */
static void ioapic_eoi(void *opaque, int vector)
{
    IOAPICState *s = opaque;

    for (int i = 0; i < IOAPIC_PINS; i++) {
        if ((s->rte[i] & IOAPIC_RTE_VECTOR) == (uint64_t)vector &&
            (s->rte[i] & IOAPIC_RTE_REMOTE_IRR)) {
            s->rte[i] &= ~IOAPIC_RTE_REMOTE_IRR;
        }
    }
    ioapic_update_irq(s);
}

static uint32_t ioapic_reg_read(IOAPICState *s, uint8_t reg)
{
    switch (reg) {
    case IOAPIC_REG_ID:
    case IOAPIC_REG_ARB:
        return (s->id & 0xf) << 24;
    case IOAPIC_REG_VER:
        return IOAPIC_VERSION | ((IOAPIC_PINS - 1) << 16);
    }
    if (reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL + 2 * IOAPIC_PINS) {
        int n = (reg - IOAPIC_REG_REDTBL) >> 1;
        return (reg & 1) ? s->rte[n] >> 32 : (uint32_t)s->rte[n];
    }
    qemu_log_mask(LOG_GUEST_ERROR, "%s: read of register 0x%02x\n", __func__,
                  reg);
    return 0;
}

static void ioapic_reg_write(IOAPICState *s, uint8_t reg, uint32_t val)
{
    if (reg == IOAPIC_REG_ID) {
        s->id = (val >> 24) & 0xf;
        return;
    }
    if (reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL + 2 * IOAPIC_PINS) {
        int n = (reg - IOAPIC_REG_REDTBL) >> 1;
        uint64_t e = s->rte[n];
        uint32_t bit = 1u << n;

        if (reg & 1) {
            e = (e & 0xffffffffull) | ((uint64_t)val << 32);
        } else {
            e = (e & ~0xffffffffull) | val;
        }
        e = (e & IOAPIC_RTE_WRITE_MASK & ~IOAPIC_RTE_RO_BITS) |
            (s->rte[n] & IOAPIC_RTE_RO_BITS);
        if (!(e & IOAPIC_RTE_LEVEL)) {
            e &= ~IOAPIC_RTE_REMOTE_IRR;
        } else {
            /* a level pin requests while its line is high */
            s->irr = (s->level & bit) ? (s->irr | bit) : (s->irr & ~bit);
        }
        s->rte[n] = e;
        return;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "%s: write 0x%x to register 0x%02x\n",
                  __func__, val, reg);
}

static uint64_t ioapic_read(void *opaque, hwaddr addr, unsigned size)
{
    IOAPICState *s = opaque;

    switch (addr) {
    case IOAPIC_IOREGSEL:
        return s->ioregsel;
    case IOAPIC_IOWIN:
        return ioapic_reg_read(s, s->ioregsel);
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%x\n", __func__,
                      (unsigned)addr);
        return 0;
    }
}

static void ioapic_write(void *opaque, hwaddr addr, uint64_t data,
                         unsigned size)
{
    IOAPICState *s = opaque;

    switch (addr) {
    case IOAPIC_IOREGSEL:
        s->ioregsel = data;
        break;
    case IOAPIC_IOWIN:
        ioapic_reg_write(s, s->ioregsel, data);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%x\n", __func__,
                      (unsigned)addr);
        break;
    }
    ioapic_update_irq(s);
}

static const MemoryRegionOps ioapic_ops = {
    .read = ioapic_read,
    .write = ioapic_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 4, .max_access_size = 4},
};

static void ioapic_reset(DeviceState *dev)
{
    IOAPICState *s = IOAPIC(dev);

    s->ioregsel = 0;
    s->irr = 0;
    for (int i = 0; i < IOAPIC_PINS; i++) {
        s->rte[i] = IOAPIC_RTE_MASKED;
    }
}

static bool ioapic_realize(DeviceState *dev, Error **errp)
{
    IOAPICState *s = IOAPIC(dev);

    s->in = qemu_allocate_irqs(ioapic_set_irq, s, IOAPIC_PINS);
    memory_region_init_io(&s->mmio, dev, &ioapic_ops, s, "ioapic",
                          IOAPIC_MMIO_SIZE);
    memory_region_add_subregion(get_system_memory(), IOAPIC_BASE, &s->mmio);
    apic_bus_set_eoi_handler(ioapic_eoi, s);
    ioapic_reset(dev);
    return true;
}

static const Property ioapic_props[] = {
    DEFINE_PROP_UINT32("id", IOAPICState, id, 0),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo ioapic_info = {
    .name = "ioapic",
    .parent = "sys-bus-device",
    .instance_size = sizeof(IOAPICState),
    .desc = "82093AA I/O APIC",
    .category = DEVICE_CATEGORY_MISC,
    .props = ioapic_props,
    .realize = ioapic_realize,
    .reset = ioapic_reset,
};
DEVICE_TYPE_REGISTER(ioapic_info)

qemu_irq *ioapic_get_irqs(DeviceState *dev)
{
    return IOAPIC(dev)->in;
}

DeviceState *ioapic_init(Error **errp)
{
    DeviceState *dev = device_new("ioapic", errp);

    if (!dev) {
        return NULL;
    }
    dev->id = g_strdup("ioapic"); /* qtest: "irq_intercept_in ioapic" */
    if (!device_realize(dev, sysbus_get_default(), errp)) {
        device_free(dev);
        return NULL;
    }
    return dev;
}
