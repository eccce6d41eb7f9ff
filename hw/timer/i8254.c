/*
 * Intel 8254 programmable interval timer ("i8254"): three 16-bit down
 * counters clocked at 1.193182 MHz from QEMU_CLOCK_VIRTUAL, plus the PC's
 * system control port B (0x61) that gates channel 2.
 *
 * Interface:
 *   ports   0x40-0x42 counters 0-2, 0x43 control word (write only);
 *           0x61 port B: bit 0 gate 2, bit 1 speaker data (stored),
 *           bit 4 refresh toggle (read, every 15.085 us), bit 5 OUT2
 *   irq     "irq" (qemu_irq, ISA IRQ 0): follows channel 0's OUT
 *   props   "irq" (pointer), "port61" (bool, default on: decode 0x61)
 * Follows the Intel 8254 datasheet (231164): control word format, modes
 * 0-5 (figures "Mode 0" .. "Mode 5"), counter latch and read-back
 * commands, the status byte; RW modes LSB, MSB, LSB then MSB.
 *
 * The counters are not ticked: each channel remembers when its count was
 * loaded, and its value and OUT are computed from the virtual clock on
 * demand; channel 0 arms a timer at its next OUT transition.
 *
 * Quirks (docs/quirks.md): BCD counting is recorded in the status but the
 * counters count in binary; a new count in modes 2 and 3 takes effect at
 * once rather than at the end of the current period; the gate does not
 * suspend modes 0 and 4 (it is tied high on channels 0 and 1 anyway);
 * in modes 2 and 3 a count of 1 holds OUT steady.
 */
#include "hw/timer/i8254.h"
#include "hw/core/qdev.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "util/log.h"

#define PIT_BASE       0x40
#define PIT_PORT_B     0x61
#define PIT_NUM_CHANS  3
#define PIT_REG_CTRL   3
#define PIT_REFRESH_NS 15085

/* Control word: SC1-0, RW1-0, M2-0, BCD. */
#define PIT_CW_SC_SHIFT 6
#define PIT_CW_SC_RB    3 /* read-back command */
#define PIT_CW_RW_SHIFT 4
#define PIT_CW_RW_LATCH 0 /* counter latch command */
#define PIT_CW_M_SHIFT  1
#define PIT_CW_BCD      0x01
/* Read-back command: D5 = !COUNT, D4 = !STATUS, D3-1 = counters 2-0. */
#define PIT_RB_NOCOUNT  0x20
#define PIT_RB_NOSTATUS 0x10
/* Status byte */
#define PIT_ST_OUT       0x80
#define PIT_ST_NULLCOUNT 0x40

enum { PIT_RW_LSB = 1, PIT_RW_MSB = 2, PIT_RW_WORD = 3 };

/* Port B bits */
#define PORTB_GATE2   0x01
#define PORTB_SPK     0x02
#define PORTB_REFRESH 0x10
#define PORTB_OUT2    0x20

typedef struct PITState PITState;

typedef struct PITChannel {
    PITState *s;
    int n;
    uint8_t mode; /* 0-5 */
    bool bcd;
    uint8_t rw;        /* PIT_RW_* */
    uint32_t count;    /* loaded count, 1..0x10000 */
    int64_t load_time; /* virtual ns counting (re)started */
    bool counting;     /* a count was loaded (and triggered in 1, 5) */
    bool null_count;   /* count written but not yet loaded */
    bool gate;
    bool write_msb_next; /* word mode: LSB written, MSB next */
    uint8_t write_lsb;
    bool read_msb_next; /* word mode: LSB read, MSB next */
    bool count_latched;
    uint16_t latched_count;
    bool latched_msb_next;
    bool status_latched;
    uint8_t status;
    QEMUTimer *timer;  /* channel 0: next OUT transition */
    int64_t timer_due; /* the virtual time the timer was armed for */
} PITChannel;

struct PITState {
    DeviceState parent;
    void *irq; /* qemu_irq */
    bool port61;
    bool speaker_data;
    PITChannel ch[PIT_NUM_CHANS];
    MemoryRegion io;
    MemoryRegion portb_io;
};
DECLARE_DEVICE_CAST(PITState, I8254, "i8254")

/* ---- counting arithmetic ---- */

static int64_t pit_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/* PIT clocks elapsed since the channel's count was loaded. */
static uint64_t pit_ticks(PITChannel *c, int64_t now)
{
    if (now <= c->load_time) {
        return 0;
    }
    return (unsigned __int128)(now - c->load_time) * PIT_FREQ /
           NANOSECONDS_PER_SECOND;
}

/* The virtual time at which tick number d begins. */
static int64_t pit_tick_time(PITChannel *c, uint64_t d)
{
    return c->load_time +
           (int64_t)(((unsigned __int128)d * NANOSECONDS_PER_SECOND + PIT_FREQ -
                      1) /
                     PIT_FREQ);
}

static uint16_t pit_get_count(PITChannel *c, int64_t now)
{
    uint64_t d;

    if (!c->counting) {
        return c->count;
    }
    d = pit_ticks(c, now);
    switch (c->mode) {
    case 2:
        return c->count - d % c->count;
    case 3:
        return c->count - (2 * d) % c->count;
    default: /* 0, 1, 4, 5: count down through 0 and wrap */
        return c->count - d;
    }
}

static bool pit_get_out(PITChannel *c, int64_t now)
{
    uint64_t d;

    if (!c->counting) {
        return c->mode != 0; /* mode 0 goes low on the control word */
    }
    d = pit_ticks(c, now);
    switch (c->mode) {
    case 0:
    case 1:
        return d >= c->count;
    case 2:
        return c->count < 2 || d % c->count != c->count - 1;
    case 3:
        return d % c->count < (c->count + 1) / 2;
    default: /* 4, 5: a one-clock low strobe at terminal count */
        return d != c->count;
    }
}

/* The next tick at which OUT changes, or -1 when it never will. */
static int64_t pit_next_transition(PITChannel *c, int64_t now)
{
    uint64_t d, r, base;

    if (!c->counting) {
        return -1;
    }
    d = pit_ticks(c, now);
    switch (c->mode) {
    case 0:
    case 1:
        return d < c->count ? (int64_t)c->count : -1;
    case 2:
        if (c->count < 2) {
            return -1;
        }
        r = d % c->count;
        base = d - r;
        return r < c->count - 1 ? base + c->count - 1 : base + c->count;
    case 3: {
        uint64_t half = (c->count + 1) / 2;
        if (c->count < 2) {
            return -1;
        }
        r = d % c->count;
        base = d - r;
        return r < half ? base + half : base + c->count;
    }
    default:
        if (d < c->count) {
            return c->count;
        }
        return d == c->count ? (int64_t)c->count + 1 : -1;
    }
}

/*
 * Drives IRQ 0 from channel 0's OUT as it is at virtual time `when` and
 * arms the timer for the next transition after it.
 */
static void i8254_update_irq_at(PITState *s, int64_t when)
{
    PITChannel *c = &s->ch[0];
    int64_t next = pit_next_transition(c, when);

    qemu_set_irq(s->irq, pit_get_out(c, when));
    if (next < 0) {
        timer_del(c->timer);
    } else {
        c->timer_due = pit_tick_time(c, next);
        timer_mod_ns(c->timer, c->timer_due);
    }
}

static void i8254_update_irq(PITState *s)
{
    i8254_update_irq_at(s, pit_now());
}

/*
 * The timer runs late (the main loop wakes up some microseconds after the
 * due time), while mode 2's and 4/5's low strobes last one PIT clock
 * (838 ns): sampling OUT at the time the callback runs would miss them,
 * and the edge-triggered 8259 with them.  So each transition is replayed
 * at the time it was due; a late timer fires again at once for the next.
 */
static void pit_timer_fire(void *opaque)
{
    PITState *s = opaque;

    i8254_update_irq_at(s, s->ch[0].timer_due);
}

/* Starts counting from the written count (datasheet: "CLK pulse after"). */
static void pit_load_count(PITChannel *c, uint32_t val)
{
    c->count = val ? val : 0x10000;
    c->null_count = false;
    c->load_time = pit_now();
    /* modes 1 and 5 wait for a rising gate edge */
    c->counting = c->mode != 1 && c->mode != 5;
    if ((c->mode == 2 || c->mode == 3) && !c->gate) {
        c->counting = false;
    }
}

static void pit_set_gate(PITChannel *c, bool gate)
{
    if (gate && !c->gate && !c->null_count) {
        switch (c->mode) {
        case 1:
        case 2:
        case 3:
        case 5:
            /* rising edge: (re)trigger from the full count */
            c->load_time = pit_now();
            c->counting = true;
            break;
        }
    } else if (!gate && c->gate && (c->mode == 2 || c->mode == 3)) {
        c->counting = false; /* OUT forced high, count held */
    }
    c->gate = gate;
}

static void pit_latch_count(PITChannel *c)
{
    if (!c->count_latched) {
        c->latched_count = pit_get_count(c, pit_now());
        c->count_latched = true;
        c->latched_msb_next = false;
    }
}

static void pit_latch_status(PITChannel *c)
{
    if (!c->status_latched) {
        c->status = (pit_get_out(c, pit_now()) ? PIT_ST_OUT : 0) |
                    (c->null_count ? PIT_ST_NULLCOUNT : 0) |
                    (c->rw << PIT_CW_RW_SHIFT) | (c->mode << PIT_CW_M_SHIFT) |
                    (c->bcd ? PIT_CW_BCD : 0);
        c->status_latched = true;
    }
}

/* ---- register access ---- */

static void pit_write_control(PITState *s, uint8_t val)
{
    unsigned sc = val >> PIT_CW_SC_SHIFT;
    unsigned rw = (val >> PIT_CW_RW_SHIFT) & 3;
    PITChannel *c;

    if (sc == PIT_CW_SC_RB) {
        for (int i = 0; i < PIT_NUM_CHANS; i++) {
            if (!(val & (2u << i))) {
                continue;
            }
            if (!(val & PIT_RB_NOSTATUS)) {
                pit_latch_status(&s->ch[i]);
            }
            if (!(val & PIT_RB_NOCOUNT)) {
                pit_latch_count(&s->ch[i]);
            }
        }
        return;
    }
    c = &s->ch[sc];
    if (rw == PIT_CW_RW_LATCH) {
        pit_latch_count(c);
        return;
    }
    c->rw = rw;
    c->mode = (val >> PIT_CW_M_SHIFT) & 7;
    if (c->mode > 5) {
        c->mode -= 4; /* 6 and 7 are aliases of 2 and 3 */
    }
    c->bcd = val & PIT_CW_BCD;
    c->counting = false;
    c->null_count = true;
    c->write_msb_next = false;
    c->read_msb_next = false;
    c->count_latched = false;
    c->status_latched = false;
}

static void pit_write_counter(PITChannel *c, uint8_t val)
{
    switch (c->rw) {
    case PIT_RW_LSB:
        pit_load_count(c, val);
        break;
    case PIT_RW_MSB:
        pit_load_count(c, val << 8);
        break;
    case PIT_RW_WORD:
        if (!c->write_msb_next) {
            c->write_lsb = val;
            c->write_msb_next = true;
            if (c->mode == 0) {
                c->counting = false; /* mode 0: the LSB stops counting */
            }
        } else {
            c->write_msb_next = false;
            pit_load_count(c, c->write_lsb | (val << 8));
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: counter %d written before its control word\n",
                      __func__, c->n);
        break;
    }
}

static uint8_t pit_read_counter(PITChannel *c)
{
    uint16_t count;
    uint8_t val;

    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->count_latched) {
        count = c->latched_count;
        if (c->rw == PIT_RW_MSB) {
            val = count >> 8;
        } else if (c->rw == PIT_RW_WORD && c->latched_msb_next) {
            val = count >> 8;
        } else {
            val = count;
        }
        if (c->rw == PIT_RW_WORD && !c->latched_msb_next) {
            c->latched_msb_next = true;
        } else {
            c->count_latched = false;
        }
        return val;
    }
    count = pit_get_count(c, pit_now());
    switch (c->rw) {
    case PIT_RW_LSB:
        return count;
    case PIT_RW_MSB:
        return count >> 8;
    case PIT_RW_WORD:
        val = c->read_msb_next ? count >> 8 : count;
        c->read_msb_next = !c->read_msb_next;
        return val;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: counter %d read before its control word\n", __func__,
                      c->n);
        return 0;
    }
}

static uint64_t pit_read(void *opaque, hwaddr addr, unsigned size)
{
    PITState *s = opaque;

    if (addr == PIT_REG_CTRL) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: control word is write-only\n",
                      __func__);
        return 0xff;
    }
    return pit_read_counter(&s->ch[addr]);
}

static void pit_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    PITState *s = opaque;

    if (addr == PIT_REG_CTRL) {
        pit_write_control(s, data);
    } else {
        pit_write_counter(&s->ch[addr], data);
    }
    i8254_update_irq(s);
}

static uint64_t portb_read(void *opaque, hwaddr addr, unsigned size)
{
    PITState *s = opaque;
    int64_t now = pit_now();

    return (s->ch[2].gate ? PORTB_GATE2 : 0) |
           (s->speaker_data ? PORTB_SPK : 0) |
           ((now / PIT_REFRESH_NS) & 1 ? PORTB_REFRESH : 0) |
           (pit_get_out(&s->ch[2], now) ? PORTB_OUT2 : 0);
}

static void portb_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    PITState *s = opaque;

    s->speaker_data = data & PORTB_SPK;
    pit_set_gate(&s->ch[2], data & PORTB_GATE2);
}

static const MemoryRegionOps pit_ops = {
    .read = pit_read,
    .write = pit_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static const MemoryRegionOps portb_ops = {
    .read = portb_read,
    .write = portb_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

/* ---- realize / reset ---- */

static void i8254_reset(DeviceState *dev)
{
    PITState *s = I8254(dev);

    s->speaker_data = false;
    for (int i = 0; i < PIT_NUM_CHANS; i++) {
        PITChannel *c = &s->ch[i];

        c->mode = 0;
        c->bcd = false;
        c->rw = 0;
        c->count = 0x10000;
        c->load_time = pit_now();
        c->counting = false;
        c->null_count = true;
        c->gate = i != 2; /* channel 2's gate comes from port B */
        c->write_msb_next = false;
        c->write_lsb = 0;
        c->read_msb_next = false;
        c->count_latched = false;
        c->latched_count = 0;
        c->latched_msb_next = false;
        c->status_latched = false;
        c->status = 0;
    }
    i8254_update_irq(s);
}

static bool i8254_realize(DeviceState *dev, Error **errp)
{
    PITState *s = I8254(dev);

    for (int i = 0; i < PIT_NUM_CHANS; i++) {
        s->ch[i].s = s;
        s->ch[i].n = i;
    }
    s->ch[0].timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, pit_timer_fire, s);
    memory_region_init_io(&s->io, dev, &pit_ops, s, "pit", 4);
    memory_region_add_subregion(get_system_io(), PIT_BASE, &s->io);
    if (s->port61) {
        memory_region_init_io(&s->portb_io, dev, &portb_ops, s, "port61", 1);
        memory_region_add_subregion(get_system_io(), PIT_PORT_B, &s->portb_io);
    }
    i8254_reset(dev);
    return true;
}

static const Property i8254_props[] = {
    DEFINE_PROP_PTR("irq", PITState, irq),
    DEFINE_PROP_BOOL("port61", PITState, port61, true),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo i8254_info = {
    .name = "i8254",
    .parent = "sys-bus-device",
    .instance_size = sizeof(PITState),
    .desc = "8254 programmable interval timer",
    .category = DEVICE_CATEGORY_MISC,
    .props = i8254_props,
    .realize = i8254_realize,
    .reset = i8254_reset,
};
DEVICE_TYPE_REGISTER(i8254_info)

DeviceState *i8254_init(qemu_irq irq, Error **errp)
{
    DeviceState *dev = device_new("i8254", errp);

    if (!dev) {
        return NULL;
    }
    if (!device_prop_set_ptr(dev, "irq", irq, errp) ||
        !device_realize(dev, sysbus_get_default(), errp)) {
        device_free(dev);
        return NULL;
    }
    return dev;
}
