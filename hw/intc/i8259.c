/*
 * The PC's pair of Intel 8259A programmable interrupt controllers
 * ("i8259"), cascaded on master IR2, with the PIIX edge/level control
 * registers (ELCR).
 *
 * Interface:
 *   ports   0x20-0x21 master, 0xa0-0xa1 slave (command / data),
 *           0x4d0-0x4d1 ELCR (master, slave; 1 = level-triggered)
 *   irq     16 inputs (i8259_get_irqs): IRQ 0-7 master IR0-7, IRQ 8-15
 *           slave IR0-7; the slave's INT drives master IR2
 *   output  "intr" (qemu_irq): the master's INT pin
 *   CPU     pic_get_output() / pic_read_irq() (the INTA cycle)
 *   props   "intr" (pointer, set by the board)
 * Follows the Intel 8259A datasheet (231468): ICW1-4 (figure 7), OCW1-3
 * (figure 8), priority rotation, special mask mode, poll command; the
 * ELCR follows the PIIX3 datasheet 2.4.9.
 *
 * Quirks (docs/quirks.md): an edge-triggered request stays in IRR when the
 * line falls before INTA (the datasheet says the INTA then reports IR7);
 * the master's cascade input follows the slave's INT level whatever its
 * trigger mode; MCS-80/85 mode (ICW4.uPM = 0) is treated as 8086 mode.
 */
#include <string.h>

#include "hw/core/qdev.h"
#include "hw/intc/i8259.h"
#include "hw/intc/irq.h"
#include "system/memory.h"
#include "util/log.h"

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE  0xa0
#define PIC_ELCR_BASE   0x4d0
#define PIC_CASCADE_IRQ 2

/* Command port (A0 = 0) writes: ICW1 has D4 set, OCW3 has D3 set. */
#define PIC_ICW1      0x10
#define PIC_ICW1_IC4  0x01 /* ICW4 follows */
#define PIC_ICW1_SNGL 0x02 /* single: no ICW3 */
#define PIC_ICW1_LTIM 0x08 /* level-triggered inputs */
#define PIC_OCW3      0x08
#define PIC_OCW3_RIS  0x01 /* read ISR (else IRR) */
#define PIC_OCW3_RR   0x02 /* RIS is valid */
#define PIC_OCW3_P    0x04 /* poll command */
#define PIC_OCW3_SMM  0x20 /* special mask mode value */
#define PIC_OCW3_ESMM 0x40 /* SMM is valid */
/* OCW2: R, SL, EOI in bits 7-5, level in bits 2-0. */
#define PIC_OCW2_ROTATE_AEOI_CLEAR 0
#define PIC_OCW2_EOI               1
#define PIC_OCW2_NOP               2
#define PIC_OCW2_SPECIFIC_EOI      3
#define PIC_OCW2_ROTATE_AEOI_SET   4
#define PIC_OCW2_ROTATE_EOI        5
#define PIC_OCW2_SET_PRIORITY      6
#define PIC_OCW2_ROTATE_SPECIFIC   7
/* ICW4 */
#define PIC_ICW4_UPM  0x01 /* 8086 mode */
#define PIC_ICW4_AEOI 0x02
#define PIC_ICW4_SFNM 0x10 /* special fully nested mode */

/* ELCR bits that must stay edge: IRQ 0, 1, 2, 8, 13 (PIIX3 2.4.9). */
#define PIC_ELCR_MASK_MASTER 0xf8
#define PIC_ELCR_MASK_SLAVE  0xde

/* Where the chip is in its initialization sequence. */
enum { PIC_READY, PIC_WANT_ICW2, PIC_WANT_ICW3, PIC_WANT_ICW4 };

typedef struct I8259State I8259State;

typedef struct PIC8259 {
    I8259State *s;
    bool master;
    uint8_t pins; /* current input levels */
    uint8_t irr, isr, imr;
    uint8_t elcr, elcr_mask;
    uint8_t irq_base;     /* ICW2: vector of IR0 */
    uint8_t icw3;         /* slaves present / slave id */
    uint8_t priority_add; /* IR with the highest priority */
    uint8_t init_state;
    bool icw4_needed, single, ltim;
    bool auto_eoi, rotate_on_aeoi, sfnm;
    bool read_isr;     /* OCW3 RIS */
    bool poll;         /* next read of either port is a poll */
    bool special_mask; /* OCW3 SMM */
    MemoryRegion io;
} PIC8259;

struct I8259State {
    DeviceState parent;
    void *intr; /* qemu_irq: the master's INT output */
    PIC8259 chip[2];
    qemu_irq *in;
    MemoryRegion elcr_io;
};
DECLARE_DEVICE_CAST(I8259State, I8259, "i8259")

/* ---- priority resolution ---- */

/*
 * Returns the priority (0 highest .. 7 lowest) of the best request in
 * mask, or 8 for none; IR(priority_add) has priority 0.
 */
static int pic_priority(PIC8259 *c, uint8_t mask)
{
    for (int p = 0; p < 8; p++) {
        if (mask & (1u << ((p + c->priority_add) & 7))) {
            return p;
        }
    }
    return 8;
}

static bool pic_is_level(PIC8259 *c, int irq)
{
    if (c->master && irq == PIC_CASCADE_IRQ && !c->single) {
        return true; /* follows the slave's INT */
    }
    return c->ltim || (c->elcr & (1u << irq));
}

/*
 * Returns the IR that the chip would deliver now (a request above every
 * in-service level that is not masked), or -1.
 */
static int pic_pending_irq(PIC8259 *c)
{
    int prio = pic_priority(c, c->irr & ~c->imr);
    uint8_t in_service = c->isr;

    if (prio == 8) {
        return -1;
    }
    if (c->special_mask) {
        in_service &= ~c->imr;
    }
    if (c->sfnm && c->master) {
        /* a slave in service does not block more slave requests */
        in_service &= ~(1u << PIC_CASCADE_IRQ);
    }
    if (prio < pic_priority(c, in_service)) {
        return (prio + c->priority_add) & 7;
    }
    return -1;
}

/* Sets the line of input irq, latching an edge request on a rising edge. */
static void pic_set_pin(PIC8259 *c, int irq, int level)
{
    uint8_t bit = 1u << irq;

    if (pic_is_level(c, irq)) {
        c->irr = level ? (c->irr | bit) : (c->irr & ~bit);
    } else if (level && !(c->pins & bit)) {
        c->irr |= bit;
    }
    c->pins = level ? (c->pins | bit) : (c->pins & ~bit);
}

/* Recomputes the slave's INT (master IR2) and the master's INT output. */
static void i8259_update_irq(I8259State *s)
{
    PIC8259 *m = &s->chip[0];

    if (!m->single) {
        pic_set_pin(m, PIC_CASCADE_IRQ, pic_pending_irq(&s->chip[1]) >= 0);
    }
    qemu_set_irq(s->intr, pic_pending_irq(m) >= 0);
}

/* The first INTA pulse for irq: IRR -> ISR (or auto-EOI). */
static void pic_intack(PIC8259 *c, int irq)
{
    uint8_t bit = 1u << irq;

    if (c->auto_eoi) {
        if (c->rotate_on_aeoi) {
            c->priority_add = (irq + 1) & 7;
        }
    } else {
        c->isr |= bit;
    }
    if (!pic_is_level(c, irq)) {
        c->irr &= ~bit;
    }
}

int pic_get_output(DeviceState *dev)
{
    I8259State *s = I8259(dev);

    return pic_pending_irq(&s->chip[0]) >= 0;
}

int pic_read_irq(DeviceState *dev)
{
    I8259State *s = I8259(dev);
    PIC8259 *m = &s->chip[0], *sl = &s->chip[1];
    int irq = pic_pending_irq(m);
    int vector;

    if (irq < 0) {
        /* nothing left by the second INTA: spurious IR7, ISR untouched */
        vector = m->irq_base + 7;
    } else if (irq == PIC_CASCADE_IRQ && !m->single &&
               (m->icw3 & (1u << PIC_CASCADE_IRQ))) {
        int irq2 = pic_pending_irq(sl);

        pic_intack(m, irq);
        if (irq2 >= 0) {
            pic_intack(sl, irq2);
            vector = sl->irq_base + irq2;
        } else {
            vector = sl->irq_base + 7; /* spurious IRQ 15 */
        }
    } else {
        pic_intack(m, irq);
        vector = m->irq_base + irq;
    }
    i8259_update_irq(s);
    return vector;
}

/* ---- command and data ports ---- */

/* ICW1: starts the initialization sequence (datasheet "Initialization"). */
static void pic_icw1(PIC8259 *c, uint8_t val)
{
    c->icw4_needed = val & PIC_ICW1_IC4;
    c->single = val & PIC_ICW1_SNGL;
    c->ltim = val & PIC_ICW1_LTIM;
    c->imr = 0;
    c->isr = 0;
    /* edge sense reset: an edge input must rise again to request */
    c->irr = c->ltim ? c->pins : (c->pins & c->elcr);
    c->priority_add = 0;
    c->read_isr = false;
    c->poll = false;
    c->special_mask = false;
    c->auto_eoi = false;
    c->rotate_on_aeoi = false;
    c->sfnm = false;
    c->icw3 = c->master ? 0 : 7;
    c->init_state = PIC_WANT_ICW2;
}

static void pic_ocw2(PIC8259 *c, uint8_t val)
{
    int irq;

    switch (val >> 5) {
    case PIC_OCW2_ROTATE_AEOI_CLEAR:
        c->rotate_on_aeoi = false;
        break;
    case PIC_OCW2_ROTATE_AEOI_SET:
        c->rotate_on_aeoi = true;
        break;
    case PIC_OCW2_EOI:
    case PIC_OCW2_ROTATE_EOI: {
        int prio = pic_priority(c, c->isr);
        if (prio == 8) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: EOI with nothing in service\n",
                          __func__);
            break;
        }
        irq = (prio + c->priority_add) & 7;
        c->isr &= ~(1u << irq);
        if ((val >> 5) == PIC_OCW2_ROTATE_EOI) {
            c->priority_add = (irq + 1) & 7;
        }
        break;
    }
    case PIC_OCW2_SPECIFIC_EOI:
        c->isr &= ~(1u << (val & 7));
        break;
    case PIC_OCW2_ROTATE_SPECIFIC:
        c->isr &= ~(1u << (val & 7));
        c->priority_add = ((val & 7) + 1) & 7;
        break;
    case PIC_OCW2_SET_PRIORITY:
        c->priority_add = ((val & 7) + 1) & 7;
        break;
    case PIC_OCW2_NOP:
        break;
    }
}

static void pic_ocw3(PIC8259 *c, uint8_t val)
{
    if (val & PIC_OCW3_P) {
        c->poll = true;
    }
    if (val & PIC_OCW3_RR) {
        c->read_isr = val & PIC_OCW3_RIS;
    }
    if (val & PIC_OCW3_ESMM) {
        c->special_mask = val & PIC_OCW3_SMM;
    }
}

static void pic_data_write(PIC8259 *c, uint8_t val)
{
    switch (c->init_state) {
    case PIC_WANT_ICW2:
        c->irq_base = val & 0xf8;
        c->init_state = c->single ? (c->icw4_needed ? PIC_WANT_ICW4 : PIC_READY)
                                  : PIC_WANT_ICW3;
        break;
    case PIC_WANT_ICW3:
        c->icw3 = val;
        c->init_state = c->icw4_needed ? PIC_WANT_ICW4 : PIC_READY;
        break;
    case PIC_WANT_ICW4:
        if (!(val & PIC_ICW4_UPM)) {
            qemu_log_mask(LOG_UNIMP, "%s: MCS-80/85 mode treated as 8086\n",
                          __func__);
        }
        c->auto_eoi = val & PIC_ICW4_AEOI;
        c->sfnm = val & PIC_ICW4_SFNM;
        c->init_state = PIC_READY;
        break;
    default:
        c->imr = val; /* OCW1 */
        break;
    }
}

/* Poll command read: acknowledges like INTA, returns 0x80 | level. */
static uint8_t pic_poll_read(I8259State *s, PIC8259 *c)
{
    int irq = pic_pending_irq(c);

    c->poll = false;
    if (irq < 0) {
        return 0;
    }
    pic_intack(c, irq);
    return 0x80 | irq;
}

static uint64_t pic_read(void *opaque, hwaddr addr, unsigned size)
{
    PIC8259 *c = opaque;
    I8259State *s = c->s;
    uint8_t val;

    if (c->poll) {
        val = pic_poll_read(s, c);
        i8259_update_irq(s);
        return val;
    }
    if (addr == 0) {
        return c->read_isr ? c->isr : c->irr;
    }
    return c->imr;
}

static void pic_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    PIC8259 *c = opaque;
    I8259State *s = c->s;
    uint8_t val = data;

    if (addr == 0) {
        if (val & PIC_ICW1) {
            pic_icw1(c, val);
        } else if (val & PIC_OCW3) {
            pic_ocw3(c, val);
        } else {
            pic_ocw2(c, val);
        }
    } else {
        pic_data_write(c, val);
    }
    i8259_update_irq(s);
}

static uint64_t elcr_read(void *opaque, hwaddr addr, unsigned size)
{
    I8259State *s = opaque;

    return s->chip[addr & 1].elcr;
}

static void elcr_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    I8259State *s = opaque;
    PIC8259 *c = &s->chip[addr & 1];

    if (data & ~c->elcr_mask & 0xff) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: ELCR%d bits 0x%02x must stay edge-triggered\n",
                      __func__, (int)(addr & 1) + 1,
                      (unsigned)(data & ~c->elcr_mask & 0xff));
    }
    c->elcr = data & c->elcr_mask;
    /* a line that became level-triggered requests while it is high */
    for (int i = 0; i < 8; i++) {
        if (pic_is_level(c, i)) {
            pic_set_pin(c, i, (c->pins >> i) & 1);
        }
    }
    i8259_update_irq(s);
}

static const MemoryRegionOps pic_ops = {
    .read = pic_read,
    .write = pic_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static const MemoryRegionOps elcr_ops = {
    .read = elcr_read,
    .write = elcr_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

/* ---- input lines ---- */

static void i8259_set_irq(void *opaque, int n, int level)
{
    I8259State *s = opaque;

    if (n == PIC_CASCADE_IRQ && !s->chip[0].single) {
        return; /* IR2 is wired to the slave's INT, not to the ISA line */
    }
    pic_set_pin(&s->chip[n >> 3], n & 7, level != 0);
    i8259_update_irq(s);
}

/* ---- realize / reset ---- */

static void pic_reset_chip(PIC8259 *c, bool master)
{
    c->master = master;
    c->irr = c->isr = c->imr = 0;
    c->elcr = 0;
    c->irq_base = 0;
    c->priority_add = 0;
    c->init_state = PIC_READY;
    c->icw4_needed = c->single = c->ltim = false;
    c->auto_eoi = c->rotate_on_aeoi = c->sfnm = false;
    c->read_isr = c->poll = c->special_mask = false;
    c->elcr_mask = master ? PIC_ELCR_MASK_MASTER : PIC_ELCR_MASK_SLAVE;
    c->icw3 = master ? 0 : 7;
}

static void i8259_reset(DeviceState *dev)
{
    I8259State *s = I8259(dev);

    pic_reset_chip(&s->chip[0], true);
    pic_reset_chip(&s->chip[1], false);
    i8259_update_irq(s);
}

static bool i8259_realize(DeviceState *dev, Error **errp)
{
    I8259State *s = I8259(dev);

    s->chip[0].s = s;
    s->chip[1].s = s;
    s->chip[0].master = true;
    s->in = qemu_allocate_irqs(i8259_set_irq, s, 16);
    memory_region_init_io(&s->chip[0].io, dev, &pic_ops, &s->chip[0],
                          "pic-master", 2);
    memory_region_init_io(&s->chip[1].io, dev, &pic_ops, &s->chip[1],
                          "pic-slave", 2);
    memory_region_init_io(&s->elcr_io, dev, &elcr_ops, s, "elcr", 2);
    memory_region_add_subregion(get_system_io(), PIC_MASTER_BASE,
                                &s->chip[0].io);
    memory_region_add_subregion(get_system_io(), PIC_SLAVE_BASE,
                                &s->chip[1].io);
    memory_region_add_subregion(get_system_io(), PIC_ELCR_BASE, &s->elcr_io);
    i8259_reset(dev);
    return true;
}

static const Property i8259_props[] = {
    DEFINE_PROP_PTR("intr", I8259State, intr),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo i8259_info = {
    .name = "i8259",
    .parent = "sys-bus-device",
    .instance_size = sizeof(I8259State),
    .desc = "8259A PIC pair with ELCR",
    .category = DEVICE_CATEGORY_MISC,
    .props = i8259_props,
    .realize = i8259_realize,
    .reset = i8259_reset,
};
DEVICE_TYPE_REGISTER(i8259_info)

qemu_irq *i8259_get_irqs(DeviceState *dev)
{
    return I8259(dev)->in;
}

DeviceState *i8259_init(qemu_irq intr, Error **errp)
{
    DeviceState *dev = device_new("i8259", errp);

    if (!dev) {
        return NULL;
    }
    if (!device_prop_set_ptr(dev, "intr", intr, errp) ||
        !device_realize(dev, sysbus_get_default(), errp)) {
        device_free(dev);
        return NULL;
    }
    return dev;
}
