/*
 * timer: PIT channel 0 at 100 Hz through the 8259 (IRQ 0), then the local
 * APIC timer in periodic mode at 100 Hz (bus clock 1 GHz, divide by 16,
 * count 625000), each counted over two RTC seconds.
 */
#include "lib.h"

static volatile uint32_t pit_ticks, lapic_ticks;

static void pit_irq(struct isr_frame *f)
{
    pit_ticks++;
    pic_eoi(0);
}

static void lapic_irq(struct isr_frame *f)
{
    lapic_ticks++;
    lapic_write(LAPIC_EOI, 0);
}

/* Ticks of *counter over `secs` RTC seconds, starting at a second edge. */
static uint32_t count_over_rtc(volatile uint32_t *counter, int secs)
{
    uint8_t s = cmos_read(0x00);
    uint32_t start;

    while (cmos_read(0x00) == s) {
        cpu_relax();
    }
    start = *counter;
    for (int i = 0; i < secs; i++) {
        s = cmos_read(0x00);
        while (cmos_read(0x00) == s) {
            cpu_relax();
        }
    }
    return *counter - start;
}

void guest_main(void)
{
    uint32_t pit, lapic;
    bool ok;

    pic_init();
    idt_set_handler(0x20, pit_irq);
    idt_set_handler(0x40, lapic_irq);
    /* Spurious vectors from the 8259 (IRQ 7/15) are harmless. */
    idt_set_handler(0x27, pit_irq);

    outb(0x43, 0x34); /* channel 0, lo/hi, mode 2 */
    outb(0x40, 11932 & 0xff);
    outb(0x40, 11932 >> 8);
    pic_unmask(0);
    sti();
    pit = count_over_rtc(&pit_ticks, 2);
    printf("timer: pit %u ticks in 2 s\n", pit);
    outb(0x21, 0xff);

    lapic_write(LAPIC_SVR, 0x1ff);
    lapic_write(LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
    lapic_write(LAPIC_LVT_TIMER, (1 << 17) | 0x40);
    lapic_write(LAPIC_TIMER_INIT, 625000);
    lapic = count_over_rtc(&lapic_ticks, 2);
    lapic_write(LAPIC_LVT_TIMER, 1 << 16);
    cli();
    printf("timer: lapic %u ticks in 2 s\n", lapic);
    /* KVM coalesces LAPIC ticks while the vCPU is descheduled. */
    ok = pit >= 180 && pit <= 220 && lapic >= 150 && lapic <= 220;
    guest_exit(ok);
}
