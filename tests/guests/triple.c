/*
 * triple: resets the machine, by default with a triple fault (an empty
 * IDT: ud2 cannot be delivered, nor can #GP or #DF, so the CPU shuts
 * down); with "kbd" on the command line through the 8042 (command 0xfe,
 * pulse reset), with "cf9" through the PIIX3 reset control register.
 * -no-reboot turns the reset into an exit.
 */
#include "lib.h"

void guest_main(void)
{
    const char *cmdline = (mb_info->flags & 4) ? (const char *)mb_info->cmdline
                                               : "";
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) empty = { 0, 0 };

    if (strstr(cmdline, "kbd")) {
        puts("triple: resetting through the 8042\n");
        outb(0x64, 0xfe);
    } else if (strstr(cmdline, "cf9")) {
        puts("triple: resetting through port 0xcf9\n");
        outb(0xcf9, 0x02);
        outb(0xcf9, 0x06);
    } else {
        puts("triple: loading an empty IDT and faulting\n");
        __asm__ volatile("lidt %0; ud2" : : "m"(empty));
    }
    udelay(100000);
    puts("triple: still alive\n");
    guest_exit(false);
}
