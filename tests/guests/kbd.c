/*
 * kbd: probes the 8042 and its PS/2 devices the way Linux's i8042,
 * atkbd and psmouse drivers do: controller self test, command byte,
 * AUX loopback (0xd3), AUX interface test, keyboard reset and identify,
 * mouse reset and identify.  Every step prints the bytes it got.
 * Then the same identify commands interrupt-driven through the 8259
 * (edge-triggered IRQ 1 and 12), one byte read per interrupt as Linux's
 * i8042 interrupt handler does: every queued byte must raise its own
 * edge.
 */
#include "lib.h"

#define DATA   0x60
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

static volatile uint8_t irq_bytes[4];
static volatile int irq_count;

/* One byte per interrupt, like Linux's i8042_interrupt. */
static void kbd_irq(struct isr_frame *f)
{
    uint8_t v = inb(DATA);

    if (irq_count < 4) {
        irq_bytes[irq_count] = v;
    }
    irq_count++;
    pic_eoi(f->vector - 0x20);
}

static void spurious_irq(struct isr_frame *f)
{
}

/* Sends v (to the mouse through 0xd4 if aux), waits up to 100 ms for n. */
static int irq_command(bool aux, uint8_t v, int n)
{
    irq_count = 0;
    if (aux) {
        command(0xd4);
    }
    write_data(v);
    for (int i = 0; i < 100 && irq_count < n; i++) {
        udelay(1000);
    }
    return irq_count;
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

    pic_init();
    idt_set_handler(0x21, kbd_irq);
    idt_set_handler(0x2c, kbd_irq);
    idt_set_handler(0x27, spurious_irq);
    idt_set_handler(0x2f, spurious_irq);
    pic_unmask(1);
    pic_unmask(12);
    command(0x20);
    a = read_data();
    command(0x60);
    write_data(a | 0x03); /* keyboard and mouse interrupts on */
    sti();
    a = irq_command(false, 0xf2, 3);
    printf("kbd: irq keyboard id %x %x %x (%d interrupts)\n", irq_bytes[0],
           irq_bytes[1], irq_bytes[2], a);
    ok &= a == 3 && irq_bytes[0] == 0xfa && irq_bytes[1] == 0xab;
    a = irq_command(true, 0xf2, 2);
    printf("kbd: irq mouse id %x %x (%d interrupts)\n", irq_bytes[0],
           irq_bytes[1], a);
    ok &= a == 2 && irq_bytes[0] == 0xfa && irq_bytes[1] == 0x00;
    cli();
    guest_exit(ok);
}
