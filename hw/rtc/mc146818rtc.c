/*
 * MC146818A real-time clock with 128 bytes of CMOS memory
 * ("mc146818rtc").
 *
 * Interface:
 *   ports   0x70 index (bit 7: NMI mask, ignored), 0x71 data
 *   irq     ISA 8
 *   props   base_year (added to the year register's century, default 0)
 *   -rtc    base=utc|localtime|YYYY-MM-DD[THH:MM:SS] (via qemu_rtc_opts)
 * Follows the Motorola MC146818A datasheet: time registers 0x00-0x09
 * (BCD or binary per register B DM, 12/24-hour per 24/12), register A
 * (UIP, rate select), B (SET, PIE, AIE, UIE, DM, 24/12), C (IRQF, PF, AF,
 * UF; cleared by reading), D (VRT).  Time is the host's wall clock plus
 * the offset the guest or -rtc sets; UIP reads as 1 during the last
 * 244 us of each second.  Periodic interrupts run on the virtual clock,
 * update-ended and alarm interrupts at host second edges.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw/rtc/mc146818rtc.h"
#include "system/main-loop.h"
#include "system/system.h"
#include "util/log.h"
#include "util/option.h"

#define RTC_SECONDS       0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES       0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS         0x04
#define RTC_HOURS_ALARM   0x05
#define RTC_DAY_OF_WEEK   0x06
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH         0x08
#define RTC_YEAR          0x09
#define RTC_REG_A         0x0a
#define RTC_REG_B         0x0b
#define RTC_REG_C         0x0c
#define RTC_REG_D         0x0d

#define REG_A_UIP  0x80
#define REG_A_RS   0x0f
#define REG_B_SET  0x80
#define REG_B_PIE  0x40
#define REG_B_AIE  0x20
#define REG_B_UIE  0x10
#define REG_B_SQWE 0x08
#define REG_B_DM   0x04 /* binary */
#define REG_B_24H  0x02
#define REG_C_IRQF 0x80
#define REG_C_PF   0x40
#define REG_C_AF   0x20
#define REG_C_UF   0x10
#define REG_D_VRT  0x80

#define ALARM_DONT_CARE 0xc0
#define CMOS_SIZE       128
#define UIP_NS          244000

typedef struct RTCState {
    ISADevice parent;
    int32_t base_year;
    MemoryRegion io;
    qemu_irq irq;
    uint8_t cmos[CMOS_SIZE]; /* time registers kept in the guest format */
    uint8_t index;
    int64_t offset_s; /* guest time = host wall clock + offset */
    QEMUTimer *periodic_timer;
    int64_t next_periodic_ns;
    QEMUTimer *second_timer;
} RTCState;
DECLARE_DEVICE_CAST(RTCState, MC146818_RTC, "mc146818rtc")

static void rtc_update_irq(RTCState *s)
{
    uint8_t c = s->cmos[RTC_REG_C] & ~REG_C_IRQF;
    uint8_t b = s->cmos[RTC_REG_B];

    if (((c & REG_C_PF) && (b & REG_B_PIE)) ||
        ((c & REG_C_AF) && (b & REG_B_AIE)) ||
        ((c & REG_C_UF) && (b & REG_B_UIE))) {
        c |= REG_C_IRQF;
    }
    s->cmos[RTC_REG_C] = c;
    qemu_set_irq(s->irq, !!(c & REG_C_IRQF));
}

static int64_t host_ns(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_HOST);
}

static uint8_t to_reg(const RTCState *s, int v)
{
    return (s->cmos[RTC_REG_B] & REG_B_DM) ? v : ((v / 10) << 4) | (v % 10);
}

static int from_reg(const RTCState *s, uint8_t v)
{
    return (s->cmos[RTC_REG_B] & REG_B_DM) ? v : (v >> 4) * 10 + (v & 15);
}

static uint8_t hour_to_reg(const RTCState *s, int hour)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return to_reg(s, hour);
    }
    return to_reg(s, hour % 12 ? hour % 12 : 12) | (hour >= 12 ? 0x80 : 0);
}

static int hour_from_reg(const RTCState *s, uint8_t v)
{
    int h;

    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return from_reg(s, v);
    }
    h = from_reg(s, v & 0x7f) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* Writes the broken-down guest time into the time registers. */
static void rtc_store_time(RTCState *s, int64_t guest_s)
{
    time_t t = guest_s;
    struct tm tm;
    int year;

    gmtime_r(&t, &tm);
    year = tm.tm_year + 1900 - s->base_year;
    s->cmos[RTC_SECONDS] = to_reg(s, tm.tm_sec);
    s->cmos[RTC_MINUTES] = to_reg(s, tm.tm_min);
    s->cmos[RTC_HOURS] = hour_to_reg(s, tm.tm_hour);
    s->cmos[RTC_DAY_OF_WEEK] = to_reg(s, tm.tm_wday + 1);
    s->cmos[RTC_DAY_OF_MONTH] = to_reg(s, tm.tm_mday);
    s->cmos[RTC_MONTH] = to_reg(s, tm.tm_mon + 1);
    s->cmos[RTC_YEAR] = to_reg(s, ((year % 100) + 100) % 100);
    s->cmos[CMOS_CENTURY] = to_reg(s, year / 100);
}

/* The guest time the registers hold (after a guest write). */
static int64_t rtc_load_time(RTCState *s)
{
    struct tm tm = {0};

    tm.tm_sec = from_reg(s, s->cmos[RTC_SECONDS]);
    tm.tm_min = from_reg(s, s->cmos[RTC_MINUTES]);
    tm.tm_hour = hour_from_reg(s, s->cmos[RTC_HOURS]);
    tm.tm_mday = from_reg(s, s->cmos[RTC_DAY_OF_MONTH]);
    tm.tm_mon = from_reg(s, s->cmos[RTC_MONTH]) - 1;
    tm.tm_year = from_reg(s, s->cmos[RTC_YEAR]) +
                 100 * from_reg(s, s->cmos[CMOS_CENTURY]) + s->base_year - 1900;
    return (int64_t)timegm(&tm);
}

static int64_t rtc_guest_seconds(RTCState *s)
{
    return host_ns() / NANOSECONDS_PER_SECOND + s->offset_s;
}

/* ---- Interrupt timers ---- */

static int64_t periodic_period_ns(RTCState *s)
{
    int rs = s->cmos[RTC_REG_A] & REG_A_RS;

    if (rs == 0) {
        return 0;
    }
    if (rs <= 2) {
        rs += 7; /* 1, 2 select 256 Hz and 128 Hz as 8, 9 do */
    }
    return (int64_t)(1 << (rs - 1)) * NANOSECONDS_PER_SECOND / 32768;
}

static void rtc_periodic_update(RTCState *s)
{
    int64_t period = periodic_period_ns(s);

    if (!period || !((s->cmos[RTC_REG_B] & REG_B_PIE) ||
                     (s->cmos[RTC_REG_B] & REG_B_SQWE))) {
        timer_del(s->periodic_timer);
        return;
    }
    if (!timer_pending(s->periodic_timer)) {
        s->next_periodic_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + period;
        timer_mod_ns(s->periodic_timer, s->next_periodic_ns);
    }
}

static void rtc_periodic_tick(void *opaque)
{
    RTCState *s = opaque;
    int64_t period = periodic_period_ns(s);
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    s->cmos[RTC_REG_C] |= REG_C_PF;
    rtc_update_irq(s);
    if (!period) {
        return;
    }
    s->next_periodic_ns += period;
    if (s->next_periodic_ns <= now) {
        s->next_periodic_ns = now + period; /* lost ticks are dropped */
    }
    timer_mod_ns(s->periodic_timer, s->next_periodic_ns);
}

static bool alarm_matches(RTCState *s)
{
    static const uint8_t pairs[3][2] = {
        {RTC_SECONDS_ALARM, RTC_SECONDS},
        {RTC_MINUTES_ALARM, RTC_MINUTES},
        {RTC_HOURS_ALARM, RTC_HOURS},
    };

    for (int i = 0; i < 3; i++) {
        uint8_t a = s->cmos[pairs[i][0]];
        if ((a & ALARM_DONT_CARE) != ALARM_DONT_CARE &&
            a != s->cmos[pairs[i][1]]) {
            return false;
        }
    }
    return true;
}

static void rtc_second_update(RTCState *s)
{
    int64_t now = host_ns();

    if (!(s->cmos[RTC_REG_B] & (REG_B_UIE | REG_B_AIE)) ||
        (s->cmos[RTC_REG_B] & REG_B_SET)) {
        timer_del(s->second_timer);
        return;
    }
    timer_mod_ns(s->second_timer,
                 now - now % NANOSECONDS_PER_SECOND + NANOSECONDS_PER_SECOND);
}

static void rtc_second_tick(void *opaque)
{
    RTCState *s = opaque;

    if (!(s->cmos[RTC_REG_B] & REG_B_SET)) {
        rtc_store_time(s, rtc_guest_seconds(s));
        s->cmos[RTC_REG_C] |= REG_C_UF;
        if (alarm_matches(s)) {
            s->cmos[RTC_REG_C] |= REG_C_AF;
        }
        rtc_update_irq(s);
    }
    rtc_second_update(s);
}

/* ---- Register access ---- */

static uint8_t rtc_read_reg(RTCState *s, uint8_t reg)
{
    uint8_t v;

    switch (reg) {
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case CMOS_CENTURY:
        if (!(s->cmos[RTC_REG_B] & REG_B_SET)) {
            rtc_store_time(s, rtc_guest_seconds(s));
        }
        return s->cmos[reg];
    case RTC_REG_A:
        v = s->cmos[RTC_REG_A] & ~REG_A_UIP;
        if (!(s->cmos[RTC_REG_B] & REG_B_SET) &&
            host_ns() % NANOSECONDS_PER_SECOND >=
                NANOSECONDS_PER_SECOND - UIP_NS) {
            v |= REG_A_UIP;
        }
        return v;
    case RTC_REG_C:
        v = s->cmos[RTC_REG_C];
        s->cmos[RTC_REG_C] = 0;
        rtc_update_irq(s);
        return v;
    case RTC_REG_D:
        return REG_D_VRT;
    default:
        return s->cmos[reg];
    }
}

static void rtc_write_reg(RTCState *s, uint8_t reg, uint8_t v)
{
    switch (reg) {
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case CMOS_CENTURY:
        if (!(s->cmos[RTC_REG_B] & REG_B_SET)) {
            rtc_store_time(s, rtc_guest_seconds(s));
        }
        s->cmos[reg] = v;
        if (!(s->cmos[RTC_REG_B] & REG_B_SET)) {
            s->offset_s = rtc_load_time(s) - host_ns() / NANOSECONDS_PER_SECOND;
        }
        break;
    case RTC_REG_A:
        s->cmos[RTC_REG_A] = (v & ~REG_A_UIP);
        timer_del(s->periodic_timer);
        rtc_periodic_update(s);
        break;
    case RTC_REG_B:
        if ((v & REG_B_SET) && !(s->cmos[RTC_REG_B] & REG_B_SET)) {
            rtc_store_time(s, rtc_guest_seconds(s)); /* freeze */
            v &= ~REG_B_UIE;
        } else if (!(v & REG_B_SET) && (s->cmos[RTC_REG_B] & REG_B_SET)) {
            s->cmos[RTC_REG_B] = v;
            s->offset_s = rtc_load_time(s) - host_ns() / NANOSECONDS_PER_SECOND;
        }
        if ((v ^ s->cmos[RTC_REG_B]) & (REG_B_DM | REG_B_24H)) {
            /* Format change: re-render the stored time in the new format. */
            int64_t t = (s->cmos[RTC_REG_B] & REG_B_SET) ? rtc_load_time(s)
                                                         : rtc_guest_seconds(s);
            s->cmos[RTC_REG_B] = v;
            rtc_store_time(s, t);
        }
        s->cmos[RTC_REG_B] = v;
        rtc_periodic_update(s);
        rtc_second_update(s);
        rtc_update_irq(s);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: write 0x%02x to read-only register 0x%x\n", __func__,
                      v, reg);
        break;
    default:
        s->cmos[reg] = v;
        break;
    }
}

static uint64_t rtc_io_read(void *opaque, hwaddr addr, unsigned size)
{
    RTCState *s = opaque;

    if (addr == 0) {
        return 0xff; /* the index register is write-only */
    }
    return rtc_read_reg(s, s->index);
}

static void rtc_io_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    RTCState *s = opaque;

    if (addr == 0) {
        s->index = val & 0x7f;
    } else {
        rtc_write_reg(s, s->index, val);
    }
}

static const MemoryRegionOps rtc_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

void mc146818rtc_set_cmos(ISADevice *rtc, unsigned addr, uint8_t val)
{
    RTCState *s = MC146818_RTC(rtc);

    if (addr < CMOS_SIZE) {
        s->cmos[addr] = val;
    }
}

uint8_t mc146818rtc_get_cmos(ISADevice *rtc, unsigned addr)
{
    RTCState *s = MC146818_RTC(rtc);

    return addr < CMOS_SIZE ? rtc_read_reg(s, addr) : 0;
}

/* -rtc base=: the initial offset from the host clock, in seconds. */
static bool rtc_parse_base(RTCState *s, Error **errp)
{
    const char *base = qemu_rtc_opts ? opts_get(qemu_rtc_opts, "base") : NULL;
    int64_t now = host_ns() / NANOSECONDS_PER_SECOND;
    struct tm tm = {0};

    s->offset_s = 0;
    if (!base || !strcmp(base, "utc")) {
        return true;
    }
    if (!strcmp(base, "localtime")) {
        time_t t = now;
        localtime_r(&t, &tm);
        s->offset_s = tm.tm_gmtoff;
        return true;
    }
    if (sscanf(base, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6 ||
        sscanf(base, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        s->offset_s = (int64_t)timegm(&tm) - now;
        return true;
    }
    error_setg(errp,
               "-rtc base=%s: invalid date format; use utc, localtime "
               "or YYYY-MM-DDTHH:MM:SS",
               base);
    return false;
}

static void rtc_reset(DeviceState *dev)
{
    RTCState *s = MC146818_RTC(dev);

    /* Reset clears the interrupt enables and flags, not the time. */
    s->cmos[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    s->cmos[RTC_REG_C] = 0;
    timer_del(s->periodic_timer);
    timer_del(s->second_timer);
    rtc_update_irq(s);
}

static bool rtc_realize(DeviceState *dev, Error **errp)
{
    RTCState *s = MC146818_RTC(dev);

    if (!rtc_parse_base(s, errp)) {
        return false;
    }
    s->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz divider, 1024 Hz rate */
    s->cmos[RTC_REG_B] = REG_B_24H;
    s->cmos[RTC_REG_C] = 0;
    s->cmos[RTC_REG_D] = REG_D_VRT;
    rtc_store_time(s, rtc_guest_seconds(s));
    s->periodic_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, rtc_periodic_tick, s);
    s->second_timer = timer_new_ns(QEMU_CLOCK_HOST, rtc_second_tick, s);
    s->irq = isa_get_irq(ISA_DEVICE(s), RTC_ISA_IRQ);
    memory_region_init_io(&s->io, dev, &rtc_ops, s, "rtc", 2);
    isa_register_ioport(ISA_DEVICE(s), &s->io, 0x70);
    return true;
}

static void rtc_unrealize(DeviceState *dev)
{
    RTCState *s = MC146818_RTC(dev);

    timer_free(s->periodic_timer);
    timer_free(s->second_timer);
}

static const Property rtc_props[] = {
    DEFINE_PROP_INT32("base_year", RTCState, base_year, 0),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo rtc_info = {
    .name = "mc146818rtc",
    .parent = "isa-device",
    .instance_size = sizeof(RTCState),
    .desc = "MC146818 real-time clock and CMOS memory",
    .category = DEVICE_CATEGORY_MISC,
    .props = rtc_props,
    .realize = rtc_realize,
    .unrealize = rtc_unrealize,
    .reset = rtc_reset,
};
DEVICE_TYPE_REGISTER(rtc_info)
