/*
 * tick: prints "tick N" about every 50 ms (PIT-timed) forever, for run
 * control tests (stop/cont, system_reset, monitor reads of live CPUs).
 * With "powerbutton" on the command line it also polls the ACPI power
 * button status and powers off through S5 when it is pressed, as an OS
 * does on system_powerdown.
 */
#include "lib.h"

static uint32_t pm1a_evt, pm1a_cnt;

static void acpi_setup(void)
{
    const struct acpi_header *facp = acpi_find_table("FACP");

    if (!facp) {
        puts("tick: no FADT\n");
        guest_exit(false);
    }
    pm1a_evt = *(const uint32_t *)((const uint8_t *)facp + 56);
    pm1a_cnt = *(const uint32_t *)((const uint8_t *)facp + 64);
    outw(pm1a_evt, 0xffff);     /* clear PM1_STS */
    outw(pm1a_evt + 2, 1 << 8); /* PWRBTN_EN */
    printf("tick: power button armed (PM1a_EVT %x)\n", pm1a_evt);
}

void guest_main(void)
{
    const char *cmdline = (mb_info->flags & 4) ? (const char *)mb_info->cmdline
                                               : "";
    bool button = strstr(cmdline, "powerbutton") != NULL;

    puts("tick: start\n");
    if (button) {
        acpi_setup();
    }
    for (uint32_t n = 0;; n++) {
        printf("tick %u\n", n);
        udelay(50000);
        if (button && (inw(pm1a_evt) & (1 << 8))) {
            outw(pm1a_evt, 1 << 8);
            puts("tick: power button pressed, powering off\n");
            outw(pm1a_cnt, (0 << 10) | (1 << 13)); /* S5 */
            udelay(100000);
            guest_exit(false);
        }
    }
}
