/*
 * The 8254 PIT driven through ports 0x40-0x43 and 0x61 the way Linux does
 * (drivers/clocksource/i8253.c periodic and one-shot clockevents,
 * arch/x86/kernel/tsc.c pit_calibrate_tsc and pit_expect_msb), with the
 * counter read while the manual virtual clock is stepped.
 */
#include "intc-test.h"
#include "hw/timer/i8254.h"

#define PIT_CH0  0x40
#define PIT_CH2  0x42
#define PIT_MODE 0x43
#define PORT_B   0x61
#define HZ       250
#define LATCH    ((PIT_FREQ + HZ / 2) / HZ) /* 4773 */

static DeviceState *pit;
static TestLine irq0;

/* ns for n PIT clocks, rounded up so that the tick has happened. */
static int64_t ticks_ns(uint64_t n)
{
    return (n * NANOSECONDS_PER_SECOND + PIT_FREQ - 1) / PIT_FREQ;
}

static void setup(void)
{
    device_reset(pit);
    irq0.raises = 0;
}

static uint16_t latch_read_ch0(void)
{
    uint16_t v;

    outb(PIT_MODE, 0x00); /* counter latch, channel 0 */
    v = inb(PIT_CH0);
    v |= inb(PIT_CH0) << 8;
    return v;
}

static void test_periodic_mode2(void)
{
    setup();
    /* i8253 clockevent, periodic: channel 0, LSB+MSB, mode 2, binary */
    outb(PIT_MODE, 0x34);
    outb(PIT_CH0, LATCH & 0xff);
    outb(PIT_CH0, LATCH >> 8);
    g_assert_cmpint(irq0.level, ==, 1); /* mode 2: OUT high */
    irq0.raises = 0;
    g_assert_cmpuint(latch_read_ch0(), ==, LATCH);
    test_clock_step(1000000); /* 1 ms = 1193 clocks */
    g_assert_cmpuint(latch_read_ch0(), ==, LATCH - 1193);
    g_assert_cmpint(irq0.raises, ==, 0);
    /* the count wraps to LATCH every period; OUT pulses low once */
    test_clock_step(ticks_ns(LATCH) - 1000000);
    g_assert_cmpint(irq0.raises, ==, 1);
    g_assert_cmpint(irq0.level, ==, 1);
    /* one second: HZ interrupts (LATCH * HZ = 1193250 clocks > 1 s) */
    irq0.raises = 0;
    test_clock_step(NANOSECONDS_PER_SECOND);
    g_assert_cmpint(irq0.raises, >=, HZ - 1);
    g_assert_cmpint(irq0.raises, <=, HZ);
    /* shutdown as Linux does: mode 0 with count 0 stops the interrupts */
    outb(PIT_MODE, 0x30);
    outb(PIT_CH0, 0);
    outb(PIT_CH0, 0);
    irq0.raises = 0;
    test_clock_step(10000000);
    g_assert_cmpint(irq0.raises, ==, 0);
}

static void test_square_wave_mode3(void)
{
    setup();
    outb(PIT_MODE, 0x36); /* channel 0, LSB+MSB, mode 3 */
    outb(PIT_CH0, 1000 & 0xff);
    outb(PIT_CH0, 1000 >> 8);
    g_assert_cmpint(irq0.level, ==, 1);
    irq0.raises = 0;
    test_clock_step(ticks_ns(100));
    /* counts down by two */
    g_assert_cmpuint(latch_read_ch0(), ==, 1000 - 200);
    test_clock_step(ticks_ns(500) - ticks_ns(100));
    g_assert_cmpint(irq0.level, ==, 0); /* second half: low */
    test_clock_step(ticks_ns(1000) - ticks_ns(500));
    g_assert_cmpint(irq0.level, ==, 1);
    g_assert_cmpint(irq0.raises, ==, 1);
    /* 100 periods of 1000 clocks */
    irq0.raises = 0;
    test_clock_step(ticks_ns(100000));
    g_assert_cmpint(irq0.raises, ==, 100);
}

static void test_oneshot_mode0(void)
{
    setup();
    /* i8253 clockevent one-shot: mode 0, then the delta */
    outb(PIT_MODE, 0x30);
    g_assert_cmpint(irq0.level, ==, 0); /* control word: OUT low */
    outb(PIT_CH0, 0x10);
    outb(PIT_CH0, 0x27); /* 10000 clocks */
    test_clock_step(ticks_ns(9999));
    g_assert_cmpint(irq0.level, ==, 0);
    g_assert_cmpuint(latch_read_ch0(), ==, 1);
    test_clock_step(ticks_ns(10000) - ticks_ns(9999));
    g_assert_cmpint(irq0.level, ==, 1);
    g_assert_cmpint(irq0.raises, ==, 1);
    /* keeps counting down through 0 without another interrupt */
    test_clock_step(ticks_ns(10));
    g_assert_cmpuint(latch_read_ch0(), ==, 0x10000 - 10);
    g_assert_cmpint(irq0.raises, ==, 1);
}

static void test_calibrate_tsc_ch2(void)
{
    uint8_t b;
    unsigned lo;

    setup();
    /* pit_calibrate_tsc(): gate high, speaker off */
    outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
    g_assert_cmphex(inb(PORT_B) & 0x23, ==, 0x01);
    outb(PIT_MODE, 0xb0);        /* channel 2, LSB+MSB, mode 0, binary */
    outb(PIT_CH2, 59659 & 0xff); /* 50 ms */
    outb(PIT_CH2, 59659 >> 8);
    test_clock_step(49900000);
    b = inb(PORT_B);
    g_assert_cmphex(b & 0x20, ==, 0); /* OUT2 still low */
    test_clock_step(200000);
    b = inb(PORT_B);
    g_assert_cmphex(b & 0x21, ==, 0x21); /* OUT2 high at terminal count */

    /* pit_expect_msb(): mode 0 from 0xffff, read LSB then MSB */
    outb(PIT_MODE, 0xb0);
    outb(PIT_CH2, 0xff);
    outb(PIT_CH2, 0xff);
    test_clock_step(ticks_ns(256 * 3));
    g_assert_cmphex(inb(PIT_CH2), ==, 0xff); /* 0xffff - 768 = 0xfcff */
    g_assert_cmphex(inb(PIT_CH2), ==, 0xfc);
    test_clock_step(ticks_ns(256 * 4) - ticks_ns(256 * 3));
    inb(PIT_CH2);
    g_assert_cmphex(inb(PIT_CH2), ==, 0xfb);

    /* the gate low holds a mode 2 count; a rising edge reloads it */
    outb(PORT_B, 0x00);
    outb(PIT_MODE, 0xb4); /* channel 2, mode 2 */
    outb(PIT_CH2, 100);
    outb(PIT_CH2, 0);
    test_clock_step(ticks_ns(50));
    outb(PIT_MODE, 0x80); /* latch channel 2 */
    /* Two reads in order: low byte, then high byte. */
    lo = inb(PIT_CH2);
    g_assert_cmpuint(lo | inb(PIT_CH2) << 8, ==, 100);
    outb(PORT_B, 0x01);
    test_clock_step(ticks_ns(30));
    outb(PIT_MODE, 0x80);
    lo = inb(PIT_CH2);
    g_assert_cmpuint(lo | inb(PIT_CH2) << 8, ==, 70);
}

static void test_mode1_gate_trigger(void)
{
    setup();
    outb(PORT_B, 0x00);
    outb(PIT_MODE, 0x92); /* channel 2, LSB only, mode 1 */
    outb(PIT_CH2, 200);
    test_clock_step(ticks_ns(500));
    g_assert_cmphex(inb(PORT_B) & 0x20, ==, 0x20); /* not triggered */
    outb(PORT_B, 0x01);                            /* trigger */
    test_clock_step(ticks_ns(100));
    g_assert_cmphex(inb(PORT_B) & 0x20, ==, 0); /* one-shot pulse low */
    g_assert_cmpuint(inb(PIT_CH2), ==, 100);
    test_clock_step(ticks_ns(200) - ticks_ns(100));
    g_assert_cmphex(inb(PORT_B) & 0x20, ==, 0x20);
}

static void test_mode4_strobe(void)
{
    setup();
    outb(PIT_MODE, 0x18); /* channel 0, LSB only, mode 4 */
    outb(PIT_CH0, 50);
    g_assert_cmpint(irq0.level, ==, 1); /* OUT high from the control word */
    irq0.raises = 0;
    test_clock_step(ticks_ns(50));
    g_assert_cmpint(irq0.level, ==, 0); /* one clock low */
    test_clock_step(ticks_ns(51) - ticks_ns(50));
    g_assert_cmpint(irq0.level, ==, 1);
    g_assert_cmpint(irq0.raises, ==, 1);
}

static void test_readback_and_bcd(void)
{
    setup();
    outb(PIT_MODE, 0x34);
    /* null count until the count is written */
    outb(PIT_MODE, 0xe2); /* read-back: count+status, channel 0 */
    g_assert_cmphex(inb(PIT_CH0), ==, 0x80 | 0x40 | 0x30 | 0x04);
    outb(PIT_CH0, 0x00);
    outb(PIT_CH0, 0x10); /* 0x1000 */
    test_clock_step(ticks_ns(16));
    outb(PIT_MODE, 0xc2); /* read-back count and status */
    g_assert_cmphex(inb(PIT_CH0), ==, 0x80 | 0x30 | 0x04);
    g_assert_cmphex(inb(PIT_CH0), ==, 0xf0);
    g_assert_cmphex(inb(PIT_CH0), ==, 0x0f);
    /* a second latch before reading keeps the first value */
    outb(PIT_MODE, 0x00);
    test_clock_step(ticks_ns(16));
    outb(PIT_MODE, 0x00);
    g_assert_cmphex(inb(PIT_CH0), ==, 0xf0);
    g_assert_cmphex(inb(PIT_CH0), ==, 0x0f);
    /* read-back of status only (D5 set), BCD recorded, MSB access */
    outb(PIT_MODE, 0x27); /* channel 0, MSB only, mode 3, BCD */
    outb(PIT_MODE, 0xe2);
    g_assert_cmphex(inb(PIT_CH0) & 0x7f, ==, 0x40 | 0x20 | 0x06 | 0x01);
    outb(PIT_CH0, 0x20); /* 0x2000 */
    g_assert_cmphex(inb(PIT_CH0), ==, 0x20);
    /* mode 6 aliases mode 2 */
    outb(PIT_MODE, 0x3c);
    outb(PIT_MODE, 0xe2);
    g_assert_cmphex(inb(PIT_CH0) & 0x0e, ==, 0x04);
}

static void test_guest_errors(void)
{
    setup();
    g_assert_cmphex(inb(PIT_MODE), ==, 0xff);
    g_assert_true(test_log_contains("control word is write-only"));
    /* channel 1 after reset has no access mode yet */
    g_assert_cmphex(inb(0x41), ==, 0);
    g_assert_true(test_log_contains("counter 1 read before its control"));
    outb(0x41, 0x12);
    g_assert_true(test_log_contains("counter 1 written before its control"));
    /* still works afterwards */
    outb(PIT_MODE, 0x34);
    outb(PIT_CH0, 0x00);
    outb(PIT_CH0, 0x01);
    g_assert_cmpuint(latch_read_ch0(), ==, 0x100);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_machine_init();
    pit = i8254_init(qemu_allocate_irq(test_line_set, &irq0, 0), &error_abort);
    g_test_add_func("/i8254/periodic-mode2", test_periodic_mode2);
    g_test_add_func("/i8254/square-wave-mode3", test_square_wave_mode3);
    g_test_add_func("/i8254/oneshot-mode0", test_oneshot_mode0);
    g_test_add_func("/i8254/calibrate-ch2", test_calibrate_tsc_ch2);
    g_test_add_func("/i8254/mode1-gate", test_mode1_gate_trigger);
    g_test_add_func("/i8254/mode4-strobe", test_mode4_strobe);
    g_test_add_func("/i8254/readback-bcd", test_readback_and_bcd);
    g_test_add_func("/i8254/guest-errors", test_guest_errors);
    return g_test_run();
}
