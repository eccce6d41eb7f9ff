/*
 * The local APIC ("apic") of an x86 vCPU in xAPIC mode, with its timer on
 * QEMU_CLOCK_VIRTUAL, and the APIC bus joining the local APICs and the
 * IOAPIC.
 *
 * Interface:
 *   MMIO    0xfee00000, 4 KiB, shared by all local APICs: an access goes
 *           to the APIC of the calling thread (apic_set_current), or to
 *           the first APIC when the thread has none
 *   irq     "lint0", "lint1" inputs (apic_get_lint); apic_bus_extint_line
 *           drives every LINT0; INTR towards the CPU through
 *           APICCPUOps.set_intr, NMI/INIT/SIPI through the other hooks
 *   props   "id" (APIC ID), "bsp" (bool), "pic" (pointer: the 8259 pair
 *           that answers ExtINT)
 * Follows the Intel SDM vol. 3A chapter 10 (11 in newer editions): the
 * register map (table 10-1), TPR/PPR (10.8.3), IRR/ISR/TMR and EOI
 * (10.8.4-5), logical destinations (10.6.2.2), ICR (10.6.1), LVT (10.5.1),
 * the timer (10.5.4), ESR (10.5.3), spurious vector (10.9).
 *
 * Quirks (docs/quirks.md): the timer counts at 1 GHz before the divider
 * (the bus clock is not architectural); a write to the divide register
 * restarts the count; lowest-priority delivery picks the lowest PPR, ties
 * to the lowest APIC ID; relocating IA32_APIC_BASE is not supported;
 * x2APIC and the TSC-deadline timer are not offered.
 */
#include <string.h>

#include "hw/core/qdev.h"
#include "hw/intc/apic.h"
#include "hw/intc/i8259.h"
#include "hw/intc/irq.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "system/qtest.h"
#include "util/log.h"

#define APIC_MMIO_SIZE 0x1000
#define APIC_VERSION   0x14 /* integrated APIC */
#define APIC_LVT_NB    6
#define APIC_TIMER_HZ  1000000000LL

/* Register offsets (SDM table 10-1), each 16-byte aligned. */
#define APIC_ID       0x020
#define APIC_LVR      0x030
#define APIC_TPR      0x080
#define APIC_APR      0x090
#define APIC_PPR      0x0a0
#define APIC_EOI      0x0b0
#define APIC_RRD      0x0c0
#define APIC_LDR      0x0d0
#define APIC_DFR      0x0e0
#define APIC_SVR      0x0f0
#define APIC_ISR      0x100 /* 8 registers */
#define APIC_TMR      0x180
#define APIC_IRR      0x200
#define APIC_ESR      0x280
#define APIC_LVT_CMCI 0x2f0
#define APIC_ICR_LO   0x300
#define APIC_ICR_HI   0x310
#define APIC_LVT_BASE 0x320 /* timer, thermal, perf, LINT0, LINT1, error */
#define APIC_TMICT    0x380
#define APIC_TMCCT    0x390
#define APIC_TDCR     0x3e0

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR };

#define APIC_SVR_ENABLE         (1u << 8)
#define APIC_SVR_NO_EOI_BC      (1u << 12)
#define APIC_LVT_MASKED         (1u << 16)
#define APIC_LVT_LEVEL          (1u << 15)
#define APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_LVT_TIMER_MODE     (3u << 17)
#define APIC_ICR_DM_SHIFT       8
#define APIC_ICR_LOGICAL        (1u << 11)
#define APIC_ICR_ASSERT         (1u << 14)
#define APIC_ICR_LEVEL          (1u << 15)
#define APIC_ICR_SH_SHIFT       18
#define APIC_DFR_FLAT           0xf
/* ESR bits */
#define APIC_ESR_SEND_ILLEGAL_VECTOR 0x20
#define APIC_ESR_RECV_ILLEGAL_VECTOR 0x40
#define APIC_ESR_ILLEGAL_ADDRESS     0x80

enum { SH_NONE, SH_SELF, SH_ALL, SH_OTHERS };

typedef struct APICState {
    DeviceState parent;
    uint32_t id;
    bool bsp;
    void *pic; /* DeviceState of the 8259 pair */
    const APICCPUOps *ops;
    void *cpu;
    uint64_t base; /* IA32_APIC_BASE */
    uint8_t tpr;
    uint32_t ldr, dfr, svr;
    uint32_t esr, esr_pending;
    uint32_t isr[8], tmr[8], irr[8];
    uint32_t icr[2];
    uint32_t lvt[APIC_LVT_NB];
    uint32_t initial_count, divide_conf;
    int64_t count_load_time; /* virtual ns of the last reload */
    int64_t next_expiry;
    QEMUTimer *timer;
    int lint_level[2];
    qemu_irq *lint;
    bool intr; /* last level given to ops->set_intr */
} APICState;
DECLARE_DEVICE_CAST(APICState, APIC, "apic")

/* ---- the APIC bus ---- */

static GPtrArray *apic_list; /* APICState*, in creation order */
static MemoryRegion apic_mmio;
static void (*eoi_handler)(void *opaque, int vector);
static void *eoi_opaque;
static qemu_irq extint_line;
static __thread APICState *apic_cur;

/* ---- vector bitmaps ---- */

static void vec_set(uint32_t *map, int v)
{
    map[v >> 5] |= 1u << (v & 31);
}

static void vec_clear(uint32_t *map, int v)
{
    map[v >> 5] &= ~(1u << (v & 31));
}

static bool vec_test(const uint32_t *map, int v)
{
    return map[v >> 5] & (1u << (v & 31));
}

/* Highest set vector, or -1. */
static int vec_highest(const uint32_t *map)
{
    for (int i = 7; i >= 0; i--) {
        if (map[i]) {
            return i * 32 + 31 - __builtin_clz(map[i]);
        }
    }
    return -1;
}

/* ---- priorities and the INTR line ---- */

static uint8_t apic_ppr(APICState *s)
{
    int isrv = vec_highest(s->isr);
    uint8_t isr_class = isrv < 0 ? 0 : (isrv & 0xf0);

    return (s->tpr & 0xf0) >= isr_class ? s->tpr : isr_class;
}

static bool apic_hw_enabled(APICState *s)
{
    return s->base & APIC_BASE_ENABLE;
}

static bool apic_sw_enabled(APICState *s)
{
    return apic_hw_enabled(s) && (s->svr & APIC_SVR_ENABLE);
}

/* The fixed interrupt the CPU would take now, or -1. */
static int apic_pending_fixed(APICState *s)
{
    int irrv;

    if (!apic_sw_enabled(s)) {
        return -1;
    }
    irrv = vec_highest(s->irr);
    if (irrv < 0 || (irrv & 0xf0) <= (apic_ppr(s) & 0xf0)) {
        return -1;
    }
    return irrv;
}

/* Whether the 8259's INT reaches the CPU through LINT0 (virtual wire). */
static bool apic_extint_pending(APICState *s)
{
    uint32_t lvt = s->lvt[LVT_LINT0];

    if (!s->lint_level[0]) {
        return false;
    }
    if (!apic_hw_enabled(s)) {
        return s->bsp; /* APIC off: LINT0 is the BSP's INTR pin */
    }
    return !(lvt & APIC_LVT_MASKED) &&
           ((lvt >> APIC_ICR_DM_SHIFT) & 7) == APIC_DM_EXTINT;
}

static void apic_update_irq(APICState *s)
{
    bool pending = apic_pending_fixed(s) >= 0 || apic_extint_pending(s);

    if (pending != s->intr) {
        s->intr = pending;
        if (qtest_irq_intercepted(&s->parent, false)) {
            qtest_irq_report(0, pending);
        }
        if (s->ops && s->ops->set_intr) {
            s->ops->set_intr(s->cpu, pending);
        }
    }
}

/* ---- accepting interrupts (SDM 10.6, 10.8) ---- */

static void apic_set_error(APICState *s, uint32_t bit)
{
    uint32_t lvt = s->lvt[LVT_ERROR];

    s->esr_pending |= bit;
    if (!(lvt & APIC_LVT_MASKED) && apic_sw_enabled(s)) {
        int v = lvt & 0xff;
        if (v >= 16) {
            vec_set(s->irr, v);
            vec_clear(s->tmr, v);
        }
    }
}

static void apic_accept(APICState *s, int mode, uint8_t vector, bool level)
{
    if (!apic_hw_enabled(s)) {
        return;
    }
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        if (!apic_sw_enabled(s)) {
            break; /* dropped while software-disabled */
        }
        if (vector < 16) {
            apic_set_error(s, APIC_ESR_RECV_ILLEGAL_VECTOR);
            break;
        }
        vec_set(s->irr, vector);
        if (level) {
            vec_set(s->tmr, vector);
        } else {
            vec_clear(s->tmr, vector);
        }
        break;
    case APIC_DM_NMI:
        if (s->ops && s->ops->nmi) {
            s->ops->nmi(s->cpu);
        }
        break;
    case APIC_DM_INIT:
        apic_init_reset(&s->parent);
        if (s->ops && s->ops->init) {
            s->ops->init(s->cpu);
        }
        break;
    case APIC_DM_STARTUP:
        if (s->ops && s->ops->sipi) {
            s->ops->sipi(s->cpu, vector);
        }
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: delivery mode %d not supported\n",
                      __func__, mode);
        break;
    }
    apic_update_irq(s);
}

/* Whether s is addressed by dest (SDM 10.6.2). */
static bool apic_match_dest(APICState *s, uint8_t dest, bool logical)
{
    uint8_t ldr = s->ldr >> 24;

    if (!logical) {
        return dest == 0xff || dest == (s->id & 0xff);
    }
    if (dest == 0xff) {
        return true;
    }
    if ((s->dfr >> 28) == APIC_DFR_FLAT) {
        return (ldr & dest) != 0;
    }
    /* cluster model: cluster in bits 7-4, members in bits 3-0 */
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0x0f) != 0;
}

static void apic_deliver(APICState *src, int shorthand, uint8_t dest,
                         bool logical, int mode, uint8_t vector, bool level)
{
    APICState *lowest = NULL;

    if (!apic_list) {
        return;
    }
    for (unsigned i = 0; i < apic_list->len; i++) {
        APICState *s = g_ptr_array_index(apic_list, i);
        bool hit;

        switch (shorthand) {
        case SH_SELF:
            hit = s == src;
            break;
        case SH_ALL:
            hit = true;
            break;
        case SH_OTHERS:
            hit = s != src;
            break;
        default:
            hit = apic_match_dest(s, dest, logical);
            break;
        }
        if (!hit) {
            continue;
        }
        if (mode == APIC_DM_LOWEST && shorthand == SH_NONE) {
            if (apic_sw_enabled(s) &&
                (!lowest || apic_ppr(s) < apic_ppr(lowest))) {
                lowest = s;
            }
            continue;
        }
        apic_accept(s, mode, vector, level);
    }
    if (lowest) {
        apic_accept(lowest, mode, vector, level);
    }
}

void apic_bus_deliver(uint8_t dest, bool logical, int delivery_mode,
                      uint8_t vector, bool level_trigger)
{
    apic_deliver(NULL, SH_NONE, dest, logical, delivery_mode, vector,
                 level_trigger);
}

void apic_bus_send_msi(uint64_t addr, uint32_t data)
{
    /* address: dest ID 19-12, DM 2; data: trigger 15, mode 10-8, vector */
    if ((addr & 0xfff00000) != APIC_DEFAULT_BASE) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: MSI address 0x%" PRIx64 " outside 0xfee00000\n",
                      __func__, addr);
        return;
    }
    apic_deliver(NULL, SH_NONE, (addr >> 12) & 0xff, addr & 4, (data >> 8) & 7,
                 data & 0xff, data & (1u << 15));
}

void apic_bus_set_eoi_handler(void (*fn)(void *opaque, int vector),
                              void *opaque)
{
    eoi_handler = fn;
    eoi_opaque = opaque;
}

/* ---- the timer (SDM 10.5.4) ---- */

static int64_t apic_timer_period_ns(APICState *s)
{
    unsigned v = (s->divide_conf & 3) | ((s->divide_conf >> 1) & 4);
    int64_t divisor = v == 7 ? 1 : 2 << v;

    return (int64_t)s->initial_count * divisor *
           (NANOSECONDS_PER_SECOND / APIC_TIMER_HZ);
}

static bool apic_timer_periodic(APICState *s)
{
    return (s->lvt[LVT_TIMER] & APIC_LVT_TIMER_MODE) == APIC_LVT_TIMER_PERIODIC;
}

static uint32_t apic_current_count(APICState *s)
{
    int64_t period, elapsed, tick;

    if (!s->initial_count) {
        return 0;
    }
    period = apic_timer_period_ns(s);
    elapsed = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - s->count_load_time;
    tick = period / s->initial_count;
    if (apic_timer_periodic(s)) {
        elapsed %= period;
    } else if (elapsed >= period) {
        return 0;
    }
    return s->initial_count - elapsed / tick;
}

static void apic_timer_arm(APICState *s)
{
    if (!s->initial_count) {
        timer_del(s->timer);
        return;
    }
    s->next_expiry = s->count_load_time + apic_timer_period_ns(s);
    timer_mod_ns(s->timer, s->next_expiry);
}

static void apic_timer_fire(void *opaque)
{
    APICState *s = opaque;
    uint32_t lvt = s->lvt[LVT_TIMER];

    if (!(lvt & APIC_LVT_MASKED)) {
        apic_accept(s, APIC_DM_FIXED, lvt & 0xff, false);
    }
    if (apic_timer_periodic(s) && s->initial_count) {
        s->count_load_time = s->next_expiry;
        apic_timer_arm(s);
    }
}

/* ---- EOI, ICR ---- */

static void apic_eoi(APICState *s)
{
    int v = vec_highest(s->isr);

    if (v < 0) {
        return; /* an EOI with nothing in service is ignored */
    }
    vec_clear(s->isr, v);
    if (vec_test(s->tmr, v) && !(s->svr & APIC_SVR_NO_EOI_BC) && eoi_handler) {
        eoi_handler(eoi_opaque, v);
    }
    apic_update_irq(s);
}

static void apic_send_ipi(APICState *s)
{
    uint32_t lo = s->icr[0];
    int mode = (lo >> APIC_ICR_DM_SHIFT) & 7;
    int shorthand = (lo >> APIC_ICR_SH_SHIFT) & 3;
    uint8_t vector = lo & 0xff;

    if (mode == APIC_DM_INIT && (lo & APIC_ICR_LEVEL) &&
        !(lo & APIC_ICR_ASSERT)) {
        return; /* INIT level de-assert: arbitration IDs only */
    }
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
        apic_set_error(s, APIC_ESR_SEND_ILLEGAL_VECTOR);
        apic_update_irq(s);
        return;
    }
    apic_deliver(s, shorthand, s->icr[1] >> 24, lo & APIC_ICR_LOGICAL, mode,
                 vector, lo & APIC_ICR_LEVEL);
}

/* ---- MMIO ---- */

static APICState *apic_for_access(void)
{
    if (apic_cur) {
        return apic_cur;
    }
    return apic_list && apic_list->len ? g_ptr_array_index(apic_list, 0) : NULL;
}

static uint32_t apic_reg_read(APICState *s, hwaddr reg)
{
    switch (reg) {
    case APIC_ID:
        return s->id << 24;
    case APIC_LVR:
        return APIC_VERSION | ((APIC_LVT_NB - 1) << 16);
    case APIC_TPR:
        return s->tpr;
    case APIC_APR:
        return 0;
    case APIC_PPR:
        return apic_ppr(s);
    case APIC_LDR:
        return s->ldr;
    case APIC_DFR:
        return s->dfr;
    case APIC_SVR:
        return s->svr;
    case APIC_ESR:
        return s->esr;
    case APIC_ICR_LO:
        return s->icr[0]; /* delivery status always idle */
    case APIC_ICR_HI:
        return s->icr[1];
    case APIC_TMICT:
        return s->initial_count;
    case APIC_TMCCT:
        return apic_current_count(s);
    case APIC_TDCR:
        return s->divide_conf;
    case APIC_EOI:
        return 0;
    }
    if (reg >= APIC_ISR && reg < APIC_ISR + 0x80) {
        return s->isr[(reg - APIC_ISR) >> 4];
    }
    if (reg >= APIC_TMR && reg < APIC_TMR + 0x80) {
        return s->tmr[(reg - APIC_TMR) >> 4];
    }
    if (reg >= APIC_IRR && reg < APIC_IRR + 0x80) {
        return s->irr[(reg - APIC_IRR) >> 4];
    }
    if (reg >= APIC_LVT_BASE && reg < APIC_LVT_BASE + APIC_LVT_NB * 0x10) {
        return s->lvt[(reg - APIC_LVT_BASE) >> 4];
    }
    qemu_log_mask(LOG_GUEST_ERROR, "%s: read of reserved offset 0x%03x\n",
                  __func__, (unsigned)reg);
    apic_set_error(s, APIC_ESR_ILLEGAL_ADDRESS);
    return 0;
}

static const uint32_t lvt_write_mask[APIC_LVT_NB] = {
    [LVT_TIMER] = 0x710ff,   /* mode, mask, vector */
    [LVT_THERMAL] = 0x107ff, /* mask, delivery mode, vector */
    [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff, /* mask, trigger, polarity, mode, vector */
    [LVT_LINT1] = 0x1a7ff,
    [LVT_ERROR] = 0x100ff,
};

static void apic_reg_write(APICState *s, hwaddr reg, uint32_t val)
{
    switch (reg) {
    case APIC_ID:
        s->id = val >> 24;
        break;
    case APIC_TPR:
        s->tpr = val & 0xff;
        break;
    case APIC_EOI:
        apic_eoi(s);
        break;
    case APIC_LDR:
        s->ldr = val & 0xff000000;
        break;
    case APIC_DFR:
        s->dfr = val | 0x0fffffff;
        break;
    case APIC_SVR:
        s->svr = val & 0x11ff;
        if (!(s->svr & APIC_SVR_ENABLE)) {
            /* software disable masks every LVT entry (SDM 10.4.7.2) */
            for (int i = 0; i < APIC_LVT_NB; i++) {
                s->lvt[i] |= APIC_LVT_MASKED;
            }
        }
        break;
    case APIC_ESR:
        s->esr = s->esr_pending; /* a write latches the errors seen */
        s->esr_pending = 0;
        break;
    case APIC_ICR_LO:
        s->icr[0] = val & ~(1u << 12);
        apic_send_ipi(s);
        break;
    case APIC_ICR_HI:
        s->icr[1] = val & 0xff000000;
        break;
    case APIC_TMICT:
        s->initial_count = val;
        s->count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        apic_timer_arm(s);
        break;
    case APIC_TDCR:
        s->divide_conf = val & 0xb;
        s->count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        apic_timer_arm(s);
        break;
    default:
        if (reg >= APIC_LVT_BASE && reg < APIC_LVT_BASE + APIC_LVT_NB * 0x10) {
            int n = (reg - APIC_LVT_BASE) >> 4;
            uint32_t old = s->lvt[n];

            s->lvt[n] = val & lvt_write_mask[n];
            if (!(s->svr & APIC_SVR_ENABLE)) {
                s->lvt[n] |= APIC_LVT_MASKED;
            }
            if (n == LVT_TIMER && (old ^ s->lvt[n]) & APIC_LVT_TIMER_MODE) {
                s->count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
                apic_timer_arm(s);
            }
            break;
        }
        if (reg == APIC_LVT_CMCI) {
            break; /* no machine-check interrupts to signal */
        }
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: write 0x%x to read-only or reserved offset "
                      "0x%03x\n",
                      __func__, val, (unsigned)reg);
        apic_set_error(s, APIC_ESR_ILLEGAL_ADDRESS);
        break;
    }
    apic_update_irq(s);
}

static uint64_t apic_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    APICState *s = apic_for_access();

    if (!s || !apic_hw_enabled(s)) {
        return 0xffffffff; /* the APIC is off the bus */
    }
    if (addr & 0xf) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: unaligned offset 0x%03x\n",
                      __func__, (unsigned)addr);
        return 0;
    }
    return apic_reg_read(s, addr);
}

static void apic_mmio_write(void *opaque, hwaddr addr, uint64_t data,
                            unsigned size)
{
    APICState *s = apic_for_access();

    if (!s || !apic_hw_enabled(s)) {
        return;
    }
    if (addr & 0xf) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: unaligned offset 0x%03x\n",
                      __func__, (unsigned)addr);
        return;
    }
    apic_reg_write(s, addr, data);
}

static const MemoryRegionOps apic_ops = {
    .read = apic_mmio_read,
    .write = apic_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 4, .max_access_size = 4},
};

/* ---- CPU side ---- */

bool apic_has_interrupt(DeviceState *dev)
{
    APICState *s = APIC(dev);

    return apic_extint_pending(s) || apic_pending_fixed(s) >= 0;
}

int apic_get_interrupt(DeviceState *dev)
{
    APICState *s = APIC(dev);
    int v;

    if (apic_extint_pending(s) && s->pic) {
        v = pic_read_irq(s->pic);
        apic_update_irq(s);
        return v;
    }
    if (!apic_sw_enabled(s)) {
        return -1;
    }
    v = vec_highest(s->irr);
    if (v < 0) {
        return -1;
    }
    if ((v & 0xf0) <= (apic_ppr(s) & 0xf0)) {
        return s->svr & 0xff; /* raised TPR: spurious (SDM 10.9) */
    }
    vec_clear(s->irr, v);
    vec_set(s->isr, v);
    apic_update_irq(s);
    return v;
}

uint64_t apic_get_base(DeviceState *dev)
{
    return APIC(dev)->base;
}

void apic_set_base(DeviceState *dev, uint64_t val)
{
    APICState *s = APIC(dev);

    if ((val & ~0xfffull) != APIC_DEFAULT_BASE) {
        qemu_log_mask(LOG_UNIMP,
                      "%s: relocation to 0x%" PRIx64 " not supported\n",
                      __func__, (uint64_t)(val & ~0xfffull));
    }
    s->base = APIC_DEFAULT_BASE | (val & APIC_BASE_ENABLE) |
              (s->bsp ? APIC_BASE_BSP : 0);
    if (!apic_hw_enabled(s)) {
        apic_init_reset(dev); /* disabling resets to power-on state */
        s->svr = 0xff;
    }
    apic_update_irq(s);
}

uint8_t apic_get_tpr(DeviceState *dev)
{
    return APIC(dev)->tpr >> 4;
}

void apic_set_tpr(DeviceState *dev, uint8_t cr8)
{
    APICState *s = APIC(dev);

    s->tpr = (cr8 & 0xf) << 4;
    apic_update_irq(s);
}

void apic_set_cpu(DeviceState *dev, const APICCPUOps *ops, void *cpu)
{
    APICState *s = APIC(dev);

    s->ops = ops;
    s->cpu = cpu;
}

void apic_set_current(DeviceState *dev)
{
    apic_cur = dev ? APIC(dev) : NULL;
}

/* ---- LINT pins ---- */

static void apic_lint_set(void *opaque, int n, int level)
{
    APICState *s = opaque;
    uint32_t lvt = s->lvt[LVT_LINT0 + n];
    bool rising = level && !s->lint_level[n];
    int mode = (lvt >> APIC_ICR_DM_SHIFT) & 7;

    s->lint_level[n] = level;
    if (!(lvt & APIC_LVT_MASKED) && apic_hw_enabled(s)) {
        if (mode == APIC_DM_NMI && rising) {
            apic_accept(s, APIC_DM_NMI, 0, false);
        } else if (mode == APIC_DM_FIXED &&
                   (rising || (level && (lvt & APIC_LVT_LEVEL)))) {
            apic_accept(s, APIC_DM_FIXED, lvt & 0xff, lvt & APIC_LVT_LEVEL);
        }
    }
    apic_update_irq(s);
}

qemu_irq apic_get_lint(DeviceState *dev, int n)
{
    return APIC(dev)->lint[n & 1];
}

static void apic_extint_set(void *opaque, int n, int level)
{
    if (!apic_list) {
        return;
    }
    for (unsigned i = 0; i < apic_list->len; i++) {
        APICState *s = g_ptr_array_index(apic_list, i);
        qemu_set_irq(s->lint[0], level);
    }
}

qemu_irq apic_bus_extint_line(void)
{
    if (!extint_line) {
        extint_line = qemu_allocate_irq(apic_extint_set, NULL, 0);
    }
    return extint_line;
}

/* ---- realize / reset ---- */

void apic_init_reset(DeviceState *dev)
{
    APICState *s = APIC(dev);

    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xffffffff;
    s->svr = 0xff;
    s->esr = s->esr_pending = 0;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    memset(s->irr, 0, sizeof(s->irr));
    s->icr[0] = s->icr[1] = 0;
    for (int i = 0; i < APIC_LVT_NB; i++) {
        s->lvt[i] = APIC_LVT_MASKED;
    }
    s->initial_count = 0;
    s->divide_conf = 0;
    s->count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    s->next_expiry = 0;
    timer_del(s->timer);
    apic_update_irq(s);
}

static void apic_reset(DeviceState *dev)
{
    APICState *s = APIC(dev);

    s->base =
        APIC_DEFAULT_BASE | APIC_BASE_ENABLE | (s->bsp ? APIC_BASE_BSP : 0);
    apic_init_reset(dev);
    if (s->bsp) {
        /* virtual wire: the 8259 reaches the BSP before any setup */
        s->lvt[LVT_LINT0] = APIC_DM_EXTINT << APIC_ICR_DM_SHIFT;
        apic_update_irq(s);
    }
}

static bool apic_realize(DeviceState *dev, Error **errp)
{
    APICState *s = APIC(dev);

    if (!apic_list) {
        apic_list = g_ptr_array_new();
        memory_region_init_io(&apic_mmio, NULL, &apic_ops, NULL, "apic",
                              APIC_MMIO_SIZE);
        memory_region_add_subregion_overlap(
            get_system_memory(), APIC_DEFAULT_BASE, &apic_mmio, 4096);
    }
    for (unsigned i = 0; i < apic_list->len; i++) {
        if (((APICState *)g_ptr_array_index(apic_list, i))->id == s->id) {
            error_setg(errp, "apic: APIC ID %u is already in use", s->id);
            return false;
        }
    }
    g_ptr_array_add(apic_list, s);
    s->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, apic_timer_fire, s);
    s->lint = qemu_allocate_irqs(apic_lint_set, s, 2);
    apic_reset(dev);
    return true;
}

static const Property apic_props[] = {
    DEFINE_PROP_UINT32("id", APICState, id, 0),
    DEFINE_PROP_BOOL("bsp", APICState, bsp, false),
    DEFINE_PROP_PTR("pic", APICState, pic),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo apic_info = {
    .name = "apic",
    .parent = "sys-bus-device",
    .instance_size = sizeof(APICState),
    .desc = "local APIC (xAPIC)",
    .category = DEVICE_CATEGORY_MISC,
    .props = apic_props,
    .realize = apic_realize,
    .reset = apic_reset,
};
DEVICE_TYPE_REGISTER(apic_info)

DeviceState *apic_init(uint32_t apic_id, bool bsp, DeviceState *pic,
                       Error **errp)
{
    unsigned index = apic_list ? apic_list->len : 0; /* the CPU's index */
    DeviceState *dev = device_new("apic", errp);

    if (!dev) {
        return NULL;
    }
    dev->canonical_path =
        g_strdup_printf("/machine/unattached/device[%u]/lapic", index);
    if (!device_prop_set_uint(dev, "id", apic_id, errp) ||
        !device_prop_set_bool(dev, "bsp", bsp, errp) ||
        !device_prop_set_ptr(dev, "pic", pic, errp) ||
        !device_realize(dev, sysbus_get_default(), errp)) {
        device_free(dev);
        return NULL;
    }
    return dev;
}
