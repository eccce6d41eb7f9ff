/*
 * kbd: probes the 8042 and its PS/2 devices the way Linux's i8042,
 * atkbd and psmouse drivers do: controller self test, command byte,
 * AUX loopback (0xd3), AUX interface test, keyboard reset and identify,
 * mouse reset and identify.  Every step prints the bytes it got.
 */
#include "lib.h"

#define DATA 0x60
#define STATUS 0x64

static int read_data(void)
{
    for (int i = 0; i < 100000; i++) {
        if (inb(STATUS) & 0x01) {
            return inb(DATA);
        }
    }
    return -1;
}

static void wait_write(void)
{
    for (int i = 0; i < 100000 && (inb(STATUS) & 0x02); i++) {
        cpu_relax();
    }
}

static void command(uint8_t c)
{
    wait_write();
    outb(STATUS, c);
}

static void write_data(uint8_t v)
{
    wait_write();
    outb(DATA, v);
}

static void flush(void)
{
    while (inb(STATUS) & 0x01) {
        inb(DATA);
    }
}

void guest_main(void)
{
    int a, b, c, st;
    bool ok = true;

    flush();
    command(0xaa);
    a = read_data();
    printf("kbd: self test %x\n", a);
    ok &= a == 0x55;
    command(0x20);
    a = read_data();
    printf("kbd: command byte %x\n", a);
    command(0x60);
    write_data((a & ~0x03) | 0x40); /* interrupts off, translation on */
    command(0xd3);
    write_data(0x5a);
    st = inb(STATUS);
    a = read_data();
    printf("kbd: aux loopback %x (status %x, aux bit %u)\n", a, st,
           (st >> 5) & 1);
    ok &= a == 0x5a && (st & 0x20);
    command(0xa9);
    a = read_data();
    printf("kbd: aux test %x\n", a);
    ok &= a == 0x00;
    command(0xa8);
    command(0xae);
    write_data(0xff);
    a = read_data();
    b = read_data();
    printf("kbd: keyboard reset %x %x\n", a, b);
    ok &= a == 0xfa && b == 0xaa;
    write_data(0xf2);
    a = read_data();
    b = read_data();
    c = read_data();
    printf("kbd: keyboard id %x %x %x\n", a, b, c);
    ok &= a == 0xfa && b == 0xab && (c == 0x41 || c == 0x83);
    command(0xd4);
    write_data(0xff);
    a = read_data();
    b = read_data();
    c = read_data();
    printf("kbd: mouse reset %x %x %x\n", a, b, c);
    ok &= a == 0xfa && b == 0xaa && c == 0x00;
    command(0xd4);
    write_data(0xf2);
    a = read_data();
    b = read_data();
    printf("kbd: mouse id %x %x\n", a, b);
    ok &= a == 0xfa && b == 0x00;
    guest_exit(ok);
}
