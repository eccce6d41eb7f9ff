/*
 * triple: a triple fault.  With an empty IDT, ud2 cannot be delivered,
 * nor can #GP or #DF: the CPU shuts down and the board resets, which
 * -no-reboot turns into an exit.
 */
#include "lib.h"

void guest_main(void)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) empty = { 0, 0 };

    puts("triple: loading an empty IDT and faulting\n");
    __asm__ volatile("lidt %0; ud2" : : "m"(empty));
    puts("triple: still alive\n");
    guest_exit(false);
}
