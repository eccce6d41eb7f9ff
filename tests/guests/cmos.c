/*
 * cmos: reads the MC146818 date and time and the memory-size fields that
 * firmware uses, and checks that the RTC's update-ended flag ticks.
 */
#include "lib.h"

void guest_main(void)
{
    struct rtc_time t;
    uint32_t ext_kb, high_64k;

    rtc_read_time(&t);
    printf("cmos: date %04d-%02d-%02d %02d:%02d:%02d\n", t.year, t.month,
           t.day, t.hour, t.min, t.sec);
    printf("cmos: status a %x b %x d %x\n", cmos_read(0x0a), cmos_read(0x0b),
           cmos_read(0x0d));
    ext_kb = cmos_read(0x30) | (cmos_read(0x31) << 8);
    high_64k = cmos_read(0x34) | (cmos_read(0x35) << 8);
    printf("cmos: ext-mem %u KiB, mem-above-16M %u x 64 KiB\n", ext_kb,
           high_64k);
    /* Register D bit 7: valid RAM and time. */
    guest_exit((cmos_read(0x0d) & 0x80) && t.month >= 1 && t.month <= 12 &&
               t.day >= 1 && t.day <= 31 && t.year >= 2000);
}
