/*
 * exitbench: times port-I/O and MMIO exits for bench/kvm-exit.  Each
 * iteration writes port 0x80 (a device in user space on QEMU and Quasar)
 * or reads the HPET main counter at 0xfed000f0 (MMIO in user space).
 * The command line gives "pio N" or "mmio N"; the result is the TSC time
 * per iteration, converted with a TSC rate measured against the PIT.
 */
#include "lib.h"

static uint32_t parse_count(const char *s)
{
    uint32_t n = 0;

    while (*s && (*s < '0' || *s > '9')) {
        s++;
    }
    while (*s >= '0' && *s <= '9') {
        n = n * 10 + (*s++ - '0');
    }
    return n ? n : 10000;
}

void guest_main(void)
{
    const char *cmdline = (mb_info->flags & 4) ? (const char *)mb_info->cmdline
                                               : "";
    const char *args = strstr(cmdline, "pio") ? strstr(cmdline, "pio")
                                              : strstr(cmdline, "mmio");
    bool mmio = args && args[0] == 'm';
    uint32_t n = parse_count(args ? args : ""), khz;
    uint64_t t0, t1, cycles;

    t0 = rdtsc();
    udelay(100000);
    t1 = rdtsc();
    khz = (uint32_t)udiv64(t1 - t0, 100);
    t0 = rdtsc();
    if (mmio) {
        for (uint32_t i = 0; i < n; i++) {
            (void)mmio_read32(0xfed000f0);
        }
    } else {
        for (uint32_t i = 0; i < n; i++) {
            outb(0x80, i);
        }
    }
    t1 = rdtsc();
    cycles = t1 - t0;
    /* ns per exit = cycles / n / (khz / 1e6); keep it in 32-bit math. */
    printf("exitbench: %s %u exits, %u cycles each, tsc %u kHz, %u ns each\n",
           mmio ? "mmio" : "pio", n, (uint32_t)udiv64(cycles, n), khz,
           (uint32_t)udiv64(udiv64(cycles, n) * 1000000, khz));
    guest_exit(true);
}
