/*
 * High Precision Event Timer ("hpet"): a 64-bit main counter at 100 MHz
 * and three comparators.
 *
 * Interface:
 *   MMIO    0xfed00000, 1 KiB
 *   irq     "irqs" (qemu_irq[24], the board's GSIs): legacy replacement
 *           routes timer 0 to GSI 0 (ISA IRQ 0) and timer 1 to GSI 8;
 *           otherwise Tn_INT_ROUTE_CNF picks one of the GSIs in the
 *           route capability (20-23); "legacy" (qemu_irq, optional)
 *           follows LEG_RT_CNF so that the board can take the PIT's and
 *           the RTC's lines off IRQ 0 and IRQ 8 while it is set (2.4)
 * Follows the IA-PC HPET specification 1.0a: 2.3 (register map), 2.3.9
 * (timer configuration), 2.4 (legacy replacement).  Comparators match
 * when the counter reaches them; periodic timers add their period on
 * each match.  FSB (MSI) delivery is not offered.
 */
#include <string.h>

#include "hw/core/qdev.h"
#include "hw/intc/irq.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "util/log.h"

#define HPET_BASE          0xfed00000
#define HPET_LEN           0x400
#define HPET_NUM_TIMERS    3
#define HPET_CLK_PERIOD_FS 10000000ull /* 10 ns */
#define HPET_NS_PER_TICK   10

#define HPET_ID       0x000
#define HPET_PERIOD   0x004
#define HPET_CFG      0x010
#define HPET_STATUS   0x020
#define HPET_COUNTER  0x0f0
#define HPET_TN_BASE  0x100
#define HPET_TN_SIZE  0x20
#define HPET_TN_CFG   0x00
#define HPET_TN_CMP   0x08
#define HPET_TN_ROUTE 0x10

#define HPET_CFG_ENABLE 0x001
#define HPET_CFG_LEGACY 0x002

#define HPET_TN_LEVEL           0x002
#define HPET_TN_ENABLE          0x004
#define HPET_TN_PERIODIC        0x008
#define HPET_TN_PERIODIC_CAP    0x010
#define HPET_TN_SIZE_CAP        0x020
#define HPET_TN_SETVAL          0x040
#define HPET_TN_32BIT           0x100
#define HPET_TN_INT_ROUTE_MASK  0x3e00
#define HPET_TN_INT_ROUTE_SHIFT 9
#define HPET_TN_CFG_WRITE_MASK  0x3f4e
#define HPET_TN_INT_ROUTE_CAP   (0x00f00000ull << 32) /* GSIs 20-23 */

typedef struct HPETState HPETState;

typedef struct HPETTimer {
    HPETState *s;
    int n;
    uint64_t config;
    uint64_t cmp;
    uint64_t period;
    QEMUTimer *qtimer;
    bool wrap_flag; /* 32-bit periodic: next match after the wrap */
} HPETTimer;

struct HPETState {
    DeviceState parent;
    void *irqs;   /* qemu_irq[24] */
    void *legacy; /* qemu_irq: LEG_RT_CNF */
    MemoryRegion mmio;
    uint64_t config;
    uint64_t isr;
    uint64_t counter_offset; /* counter = now/10 - offset when enabled */
    uint64_t counter;        /* frozen value while disabled */
    HPETTimer timers[HPET_NUM_TIMERS];
};
DECLARE_DEVICE_CAST(HPETState, HPET, "hpet")

static uint64_t ticks_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) / HPET_NS_PER_TICK;
}

static uint64_t hpet_counter(HPETState *s)
{
    return (s->config & HPET_CFG_ENABLE) ? ticks_now() - s->counter_offset
                                         : s->counter;
}

static int timer_gsi(HPETTimer *t)
{
    if (t->s->config & HPET_CFG_LEGACY) {
        if (t->n == 0) {
            return 0;
        }
        if (t->n == 1) {
            return 8;
        }
    }
    return (t->config & HPET_TN_INT_ROUTE_MASK) >> HPET_TN_INT_ROUTE_SHIFT;
}

static void hpet_set_line(HPETTimer *t, int level)
{
    qemu_irq *irqs = t->s->irqs;
    int gsi = timer_gsi(t);

    if (irqs && gsi < 24) {
        qemu_set_irq(irqs[gsi], level);
    }
}

/* Level timers follow their status bit; edge timers pulse on a match. */
static void hpet_update_irq(HPETTimer *t, bool fired)
{
    bool enabled =
        (t->s->config & HPET_CFG_ENABLE) && (t->config & HPET_TN_ENABLE);

    if (t->config & HPET_TN_LEVEL) {
        hpet_set_line(t, enabled && (t->s->isr & (1u << t->n)));
    } else if (fired && enabled) {
        hpet_set_line(t, 1);
        hpet_set_line(t, 0);
    }
}

/* Arms the QEMU timer for the next comparator match. */
static void hpet_arm(HPETTimer *t)
{
    HPETState *s = t->s;
    uint64_t now = hpet_counter(s), diff;

    if (!(s->config & HPET_CFG_ENABLE) || !(t->config & HPET_TN_ENABLE)) {
        timer_del(t->qtimer);
        return;
    }
    if (t->config & HPET_TN_32BIT) {
        diff = (uint32_t)((uint32_t)t->cmp - (uint32_t)now);
    } else {
        /* A comparator behind the counter matches only after a wrap. */
        diff = t->cmp - now;
    }
    if (diff > (uint64_t)INT64_MAX / (4 * HPET_NS_PER_TICK)) {
        diff = (uint64_t)INT64_MAX / (4 * HPET_NS_PER_TICK); /* "never" */
    }
    timer_mod_ns(t->qtimer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                                (int64_t)diff * HPET_NS_PER_TICK);
}

static void hpet_timer_fire(void *opaque)
{
    HPETTimer *t = opaque;
    HPETState *s = t->s;
    uint64_t now = hpet_counter(s);

    if ((t->config & HPET_TN_PERIODIC) && t->period) {
        while ((int64_t)(now - t->cmp) >= 0) {
            t->cmp += t->period;
        }
        if (t->config & HPET_TN_32BIT) {
            t->cmp = (uint32_t)t->cmp;
        }
        hpet_arm(t);
    }
    if (t->config & HPET_TN_LEVEL) {
        s->isr |= 1u << t->n;
    }
    hpet_update_irq(t, true);
}

static uint64_t hpet_read(void *opaque, hwaddr addr, unsigned size)
{
    HPETState *s = opaque;
    uint64_t v = 0;
    hwaddr reg = addr & ~7ull;

    if (addr >= HPET_TN_BASE &&
        addr < HPET_TN_BASE + HPET_NUM_TIMERS * HPET_TN_SIZE) {
        HPETTimer *t = &s->timers[(addr - HPET_TN_BASE) / HPET_TN_SIZE];
        switch ((addr - HPET_TN_BASE) % HPET_TN_SIZE & ~7u) {
        case HPET_TN_CFG:
            v = t->config;
            break;
        case HPET_TN_CMP:
            v = t->cmp;
            break;
        default:
            v = 0; /* FSB route: not offered */
            break;
        }
    } else {
        switch (reg) {
        case HPET_ID:
            v = 0x01ull | ((HPET_NUM_TIMERS - 1) << 8) | (1ull << 13) |
                (1ull << 15) | (0x8086ull << 16) | (HPET_CLK_PERIOD_FS << 32);
            break;
        case HPET_CFG:
            v = s->config;
            break;
        case HPET_STATUS:
            v = s->isr;
            break;
        case HPET_COUNTER:
            v = hpet_counter(s);
            break;
        default:
            qemu_log_mask(LOG_GUEST_ERROR, "%s: offset 0x%x\n", __func__,
                          (unsigned)addr);
            return 0;
        }
    }
    return (addr & 4) ? v >> 32 : (size == 8 ? v : (uint32_t)v);
}

/* The new 64-bit value after a 4- or 8-byte write at addr. */
static uint64_t merge(uint64_t old, hwaddr addr, uint64_t val, unsigned size)
{
    if (size == 8) {
        return val;
    }
    if (addr & 4) {
        return (old & 0xffffffffull) | (val << 32);
    }
    return (old & ~0xffffffffull) | (uint32_t)val;
}

static void hpet_timer_write(HPETState *s, HPETTimer *t, hwaddr off,
                             uint64_t val, unsigned size)
{
    uint64_t v;

    switch (off & ~7u) {
    case HPET_TN_CFG: {
        uint64_t old = t->config;
        v = merge(t->config, off, val, size);
        t->config = (old & ~(uint64_t)HPET_TN_CFG_WRITE_MASK) |
                    (v & HPET_TN_CFG_WRITE_MASK);
        if ((old & HPET_TN_LEVEL) && !(t->config & HPET_TN_LEVEL)) {
            s->isr &= ~(1u << t->n);
        }
        if (t->config & HPET_TN_32BIT) {
            t->cmp = (uint32_t)t->cmp;
            t->period = (uint32_t)t->period;
        }
        if ((old ^ t->config) & (HPET_TN_LEVEL | HPET_TN_ENABLE)) {
            hpet_set_line(t, 0);
        }
        hpet_update_irq(t, false);
        hpet_arm(t);
        break;
    }
    case HPET_TN_CMP:
        v = merge(t->cmp, off, val, size);
        if (t->config & HPET_TN_32BIT) {
            v = (uint32_t)v;
        }
        if (!(t->config & HPET_TN_PERIODIC) || (t->config & HPET_TN_SETVAL)) {
            t->cmp = v;
        }
        if (t->config & HPET_TN_PERIODIC) {
            /* Without SETVAL the write sets only the period. */
            t->period = merge(t->period, off, val, size);
            if (t->config & HPET_TN_32BIT) {
                t->period = (uint32_t)t->period;
            }
        }
        t->config &= ~HPET_TN_SETVAL;
        hpet_arm(t);
        break;
    default:
        break; /* FSB route: not offered */
    }
}

static void hpet_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    HPETState *s = opaque;

    if (addr >= HPET_TN_BASE &&
        addr < HPET_TN_BASE + HPET_NUM_TIMERS * HPET_TN_SIZE) {
        hpet_timer_write(s, &s->timers[(addr - HPET_TN_BASE) / HPET_TN_SIZE],
                         (addr - HPET_TN_BASE) % HPET_TN_SIZE, val, size);
        return;
    }
    switch (addr & ~7ull) {
    case HPET_CFG: {
        uint64_t old = s->config;
        uint64_t v = merge(s->config, addr, val, size) & 3;
        if ((v ^ old) & HPET_CFG_ENABLE) {
            if (v & HPET_CFG_ENABLE) {
                s->counter_offset = ticks_now() - s->counter;
            } else {
                s->counter = hpet_counter(s);
            }
        }
        for (int i = 0; i < HPET_NUM_TIMERS; i++) {
            hpet_set_line(&s->timers[i], 0); /* routes may change */
        }
        s->config = v;
        if ((v ^ old) & HPET_CFG_LEGACY) {
            qemu_set_irq(s->legacy, !!(v & HPET_CFG_LEGACY));
        }
        for (int i = 0; i < HPET_NUM_TIMERS; i++) {
            hpet_update_irq(&s->timers[i], false);
            hpet_arm(&s->timers[i]);
        }
        break;
    }
    case HPET_STATUS: {
        uint64_t clear = merge(0, addr, val, size);
        s->isr &= ~clear;
        for (int i = 0; i < HPET_NUM_TIMERS; i++) {
            hpet_update_irq(&s->timers[i], false);
        }
        break;
    }
    case HPET_COUNTER:
        if (s->config & HPET_CFG_ENABLE) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "%s: counter written while enabled\n", __func__);
        }
        s->counter = merge(s->counter, addr, val, size);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: offset 0x%x is read-only\n",
                      __func__, (unsigned)addr);
        break;
    }
}

static const MemoryRegionOps hpet_ops = {
    .read = hpet_read,
    .write = hpet_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 4, .max_access_size = 8},
    .impl = {.min_access_size = 4, .max_access_size = 8},
};

static void hpet_reset(DeviceState *dev)
{
    HPETState *s = HPET(dev);

    if (s->config & HPET_CFG_LEGACY) {
        qemu_set_irq(s->legacy, 0);
    }
    s->config = 0;
    s->isr = 0;
    s->counter = 0;
    s->counter_offset = 0;
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        HPETTimer *t = &s->timers[i];
        timer_del(t->qtimer);
        t->config =
            HPET_TN_PERIODIC_CAP | HPET_TN_SIZE_CAP | HPET_TN_INT_ROUTE_CAP;
        t->cmp = ~0ull;
        t->period = 0;
    }
}

static bool hpet_realize(DeviceState *dev, Error **errp)
{
    HPETState *s = HPET(dev);

    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        s->timers[i].s = s;
        s->timers[i].n = i;
        s->timers[i].qtimer =
            timer_new_ns(QEMU_CLOCK_VIRTUAL, hpet_timer_fire, &s->timers[i]);
    }
    memory_region_init_io(&s->mmio, dev, &hpet_ops, s, "hpet", HPET_LEN);
    memory_region_add_subregion(get_system_memory(), HPET_BASE, &s->mmio);
    hpet_reset(dev);
    return true;
}

static const Property hpet_props[] = {
    DEFINE_PROP_PTR("irqs", HPETState, irqs),
    DEFINE_PROP_PTR("legacy", HPETState, legacy),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo hpet_info = {
    .name = "hpet",
    .parent = "sys-bus-device",
    .instance_size = sizeof(HPETState),
    .desc = "High Precision Event Timer",
    .category = DEVICE_CATEGORY_MISC,
    .props = hpet_props,
    .realize = hpet_realize,
    .reset = hpet_reset,
};
DEVICE_TYPE_REGISTER(hpet_info)
