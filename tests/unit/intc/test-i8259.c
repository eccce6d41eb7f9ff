/*
 * The 8259A pair driven through ports 0x20/0x21, 0xa0/0xa1 and the ELCR
 * the way Linux's arch/x86/kernel/i8259.c does (init_8259A, mask/unmask,
 * specific EOIs, spurious IRQ 7/15), plus the rarer modes (auto-EOI,
 * rotation, poll, special mask) that the datasheet defines.
 */
#include "intc-test.h"
#include "hw/intc/i8259.h"

#define MASTER_CMD    0x20
#define MASTER_IMR    0x21
#define SLAVE_CMD     0xa0
#define SLAVE_IMR     0xa1
#define ELCR1         0x4d0
#define ELCR2         0x4d1
#define OCW3_READ_IRR 0x0a
#define OCW3_READ_ISR 0x0b

static DeviceState *pic;
static qemu_irq *irqs;
static TestLine intr;

/* Linux init_8259A(0): vectors 0x30/0x38, cascade on IR2, 8086 mode. */
static void linux_init_8259a(bool auto_eoi)
{
    outb(MASTER_IMR, 0xff);
    outb(SLAVE_IMR, 0xff);
    outb(MASTER_CMD, 0x11);             /* ICW1: edge, cascade, ICW4 */
    outb(MASTER_IMR, 0x30);             /* ICW2: IR0-7 -> 0x30-0x37 */
    outb(MASTER_IMR, 1u << 2);          /* ICW3: slave on IR2 */
    outb(MASTER_IMR, auto_eoi ? 3 : 1); /* ICW4: 8086 (+AEOI) */
    outb(SLAVE_CMD, 0x11);
    outb(SLAVE_IMR, 0x38);
    outb(SLAVE_IMR, 2); /* ICW3: slave id 2 */
    outb(SLAVE_IMR, 1);
    outb(MASTER_IMR, 0xfb); /* everything masked but IR2 */
    outb(SLAVE_IMR, 0xff);
}

static void setup(bool auto_eoi)
{
    for (int i = 0; i < 16; i++) {
        qemu_set_irq(irqs[i], 0);
    }
    device_reset(pic);
    outb(ELCR1, 0);
    outb(ELCR2, 0);
    linux_init_8259a(auto_eoi);
}

static uint8_t read_isr(uint16_t cmd)
{
    outb(cmd, OCW3_READ_ISR);
    return inb(cmd);
}

static uint8_t read_irr(uint16_t cmd)
{
    outb(cmd, OCW3_READ_IRR);
    return inb(cmd);
}

static void test_init_sequence(void)
{
    setup(false);
    /* OCW1 reads back; IRR is the default read of the command port */
    g_assert_cmphex(inb(MASTER_IMR), ==, 0xfb);
    g_assert_cmphex(inb(SLAVE_IMR), ==, 0xff);
    /* Linux's probe: write a mask, read it back */
    outb(MASTER_IMR, 0x5a);
    g_assert_cmphex(inb(MASTER_IMR), ==, 0x5a);
    outb(MASTER_IMR, 0xfb);
    g_assert_cmphex(read_irr(MASTER_CMD), ==, 0);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
    g_assert_cmpint(intr.level, ==, 0);
    g_assert_cmpint(pic_get_output(pic), ==, 0);
}

static void test_master_edge_irq(void)
{
    setup(false);
    outb(MASTER_IMR, 0xfa); /* unmask IRQ0 (the PIT) */
    qemu_irq_raise(irqs[0]);
    g_assert_cmpint(intr.level, ==, 1);
    g_assert_cmphex(read_irr(MASTER_CMD), ==, 0x01);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x30);
    /* in service: INT drops, IRR cleared (edge), ISR bit 0 set */
    g_assert_cmpint(intr.level, ==, 0);
    g_assert_cmphex(read_irr(MASTER_CMD), ==, 0);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0x01);
    /* a second edge while in service waits for the EOI */
    qemu_irq_lower(irqs[0]);
    qemu_irq_raise(irqs[0]);
    g_assert_cmpint(intr.level, ==, 0);
    outb(MASTER_CMD, 0x60 + 0); /* specific EOI, as Linux */
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
    g_assert_cmpint(intr.level, ==, 1);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x30);
    outb(MASTER_CMD, 0x20); /* non-specific EOI */
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
    g_assert_cmpint(intr.level, ==, 0);
    /* holding the line high gives no new request */
    g_assert_cmphex(read_irr(MASTER_CMD), ==, 0);
}

static void test_slave_cascade(void)
{
    setup(false);
    outb(SLAVE_IMR, 0xef); /* unmask IRQ12 (mouse) */
    qemu_irq_raise(irqs[12]);
    g_assert_cmpint(intr.level, ==, 1);
    g_assert_cmphex(read_irr(SLAVE_CMD), ==, 0x10);
    g_assert_cmphex(read_irr(MASTER_CMD), ==, 0x04);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x3c);
    g_assert_cmphex(read_isr(SLAVE_CMD), ==, 0x10);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0x04);
    g_assert_cmpint(intr.level, ==, 0);
    /* Linux: EOI the slave, then the cascade on the master */
    outb(SLAVE_CMD, 0x60 + 4);
    outb(MASTER_CMD, 0x60 + 2);
    g_assert_cmphex(read_isr(SLAVE_CMD), ==, 0);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
    g_assert_cmpint(intr.level, ==, 0);
}

static void test_masked_and_spurious(void)
{
    setup(false);
    /* a masked request is latched in IRR but not signalled */
    qemu_irq_raise(irqs[1]);
    g_assert_cmphex(read_irr(MASTER_CMD), ==, 0x02);
    g_assert_cmpint(intr.level, ==, 0);
    /* unmask: signalled; mask again before INTA: spurious IRQ 7 */
    outb(MASTER_IMR, 0xf9);
    g_assert_cmpint(intr.level, ==, 1);
    outb(MASTER_IMR, 0xfb);
    g_assert_cmpint(intr.level, ==, 0);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x37);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0); /* Linux checks this */
    /* spurious from the slave: vector 0x3f, master IR2 in service */
    outb(SLAVE_IMR, 0xfe);
    qemu_irq_raise(irqs[8]);
    g_assert_cmpint(intr.level, ==, 1);
    outb(SLAVE_IMR, 0xff);
    /* the slave's INT fell; the CPU had already started its INTA */
    g_assert_cmpint(pic_get_output(pic), ==, 0);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x37);
    g_assert_cmphex(read_isr(SLAVE_CMD), ==, 0);
}

static void test_slave_level(void)
{
    setup(false);
    outb(ELCR2, 0x02); /* IRQ 9 level (the ACPI SCI) */
    outb(SLAVE_IMR, 0xfd);
    qemu_irq_raise(irqs[9]);
    g_assert_cmpint(intr.level, ==, 1);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x39);
    outb(SLAVE_CMD, 0x20);
    outb(MASTER_CMD, 0x20);
    g_assert_cmpint(intr.level, ==, 1); /* still high: requested again */
    g_assert_cmphex(pic_read_irq(pic), ==, 0x39);
    qemu_irq_lower(irqs[9]);
    outb(SLAVE_CMD, 0x20);
    outb(MASTER_CMD, 0x20);
    g_assert_cmpint(intr.level, ==, 0);
    g_assert_cmphex(read_irr(SLAVE_CMD), ==, 0);
    g_assert_cmphex(read_irr(MASTER_CMD), ==, 0);
    /* INTA with nothing requested: spurious IRQ 7, no ISR bit */
    g_assert_cmphex(pic_read_irq(pic), ==, 0x37);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
}

static void test_elcr_level(void)
{
    setup(false);
    outb(ELCR1, 0xff); /* IRQ 0-2 cannot be level */
    g_assert_cmphex(inb(ELCR1), ==, 0xf8);
    g_assert_true(test_log_contains("must stay edge-triggered"));
    outb(ELCR2, 0xff); /* IRQ 8 and 13 cannot be level */
    g_assert_cmphex(inb(ELCR2), ==, 0xde);
    outb(ELCR1, 0x20); /* IRQ 5 level */
    outb(ELCR2, 0x0a); /* IRQ 9, 11 level */
    g_assert_cmphex(inb(ELCR1), ==, 0x20);
    g_assert_cmphex(inb(ELCR2), ==, 0x0a);
    outb(MASTER_IMR, 0xdb); /* unmask IRQ5 */
    qemu_irq_raise(irqs[5]);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x35);
    /* level: still requested while the line is high */
    g_assert_cmphex(read_irr(MASTER_CMD), ==, 0x20);
    outb(MASTER_CMD, 0x65);
    g_assert_cmpint(intr.level, ==, 1);
    qemu_irq_lower(irqs[5]);
    g_assert_cmpint(intr.level, ==, 0);
    g_assert_cmphex(read_irr(MASTER_CMD), ==, 0);
}

static void test_priority_and_nesting(void)
{
    setup(false);
    outb(MASTER_IMR, 0x00);
    qemu_irq_raise(irqs[3]);
    qemu_irq_raise(irqs[6]);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x33); /* lower IR first */
    g_assert_cmpint(intr.level, ==, 0);           /* 6 below 3 */
    qemu_irq_raise(irqs[1]);
    g_assert_cmpint(intr.level, ==, 1); /* 1 preempts 3 */
    g_assert_cmphex(pic_read_irq(pic), ==, 0x31);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0x0a);
    outb(MASTER_CMD, 0x20); /* non-specific EOI ends the highest: 1 */
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0x08);
    g_assert_cmpint(intr.level, ==, 0);
    outb(MASTER_CMD, 0x20);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x36);
    outb(MASTER_CMD, 0x20);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
}

static void test_rotation(void)
{
    setup(false);
    outb(MASTER_IMR, 0x00);
    outb(MASTER_CMD, 0xc0 | 4); /* set priority: IR4 lowest, IR5 highest */
    qemu_irq_raise(irqs[1]);
    qemu_irq_raise(irqs[6]);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x36);
    outb(MASTER_CMD, 0xa0); /* rotate on non-specific EOI: IR6 lowest */
    g_assert_cmphex(pic_read_irq(pic), ==, 0x31);
    outb(MASTER_CMD, 0xe0 | 1); /* rotate on specific EOI 1: IR2 highest */
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
    qemu_irq_lower(irqs[1]);
    qemu_irq_raise(irqs[1]);
    qemu_irq_lower(irqs[6]);
    qemu_irq_raise(irqs[6]);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x36); /* 6 before 1 now */
}

static void test_auto_eoi(void)
{
    setup(true);
    outb(MASTER_IMR, 0xfa);
    qemu_irq_raise(irqs[0]);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x30);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
    qemu_irq_lower(irqs[0]);
    qemu_irq_raise(irqs[0]);
    g_assert_cmpint(intr.level, ==, 1); /* no EOI needed */
    /* rotate in auto-EOI: IR0 becomes lowest after its INTA */
    outb(MASTER_CMD, 0x80);
    outb(MASTER_IMR, 0xf8);
    qemu_irq_raise(irqs[1]);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x30);
    qemu_irq_lower(irqs[0]);
    qemu_irq_raise(irqs[0]);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x31);
}

static void test_poll(void)
{
    setup(false);
    outb(MASTER_IMR, 0xf7);
    outb(MASTER_CMD, 0x0c);                     /* OCW3 poll */
    g_assert_cmphex(inb(MASTER_CMD), ==, 0x00); /* nothing pending */
    qemu_irq_raise(irqs[3]);
    outb(MASTER_CMD, 0x0c);
    g_assert_cmphex(inb(MASTER_CMD), ==, 0x83);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0x08);
    g_assert_cmpint(intr.level, ==, 0);
    outb(MASTER_CMD, 0x63);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
}

static void test_special_mask(void)
{
    setup(false);
    outb(MASTER_IMR, 0x00);
    qemu_irq_raise(irqs[3]);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x33);
    qemu_irq_raise(irqs[5]);
    g_assert_cmpint(intr.level, ==, 0); /* blocked by IR3 in service */
    outb(MASTER_IMR, 0x08);             /* mask IR3 ... */
    outb(MASTER_CMD, 0x68);             /* ... and set special mask */
    g_assert_cmpint(intr.level, ==, 1); /* lower priority now allowed */
    g_assert_cmphex(pic_read_irq(pic), ==, 0x35);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0x28);
    outb(MASTER_CMD, 0x48); /* reset special mask */
    outb(MASTER_CMD, 0x65);
    outb(MASTER_CMD, 0x63);
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
}

static void test_guest_errors(void)
{
    setup(false);
    /* EOI with nothing in service: logged, no effect */
    outb(MASTER_CMD, 0x20);
    g_assert_true(test_log_contains("EOI with nothing in service"));
    g_assert_cmphex(read_isr(MASTER_CMD), ==, 0);
    /* the cascade input pin is not an ISA line */
    qemu_irq_raise(irqs[2]);
    g_assert_cmphex(read_irr(MASTER_CMD), ==, 0);
    /* reinitialising mid-sequence restarts cleanly */
    outb(MASTER_CMD, 0x11);
    outb(MASTER_CMD, 0x11);
    outb(MASTER_IMR, 0x20);
    outb(MASTER_IMR, 0x04);
    outb(MASTER_IMR, 0x01);
    outb(MASTER_IMR, 0xfe);
    qemu_irq_lower(irqs[0]);
    qemu_irq_raise(irqs[0]);
    g_assert_cmphex(pic_read_irq(pic), ==, 0x20);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_machine_init();
    pic = i8259_init(qemu_allocate_irq(test_line_set, &intr, 0), &error_abort);
    irqs = i8259_get_irqs(pic);
    g_test_add_func("/i8259/init-sequence", test_init_sequence);
    g_test_add_func("/i8259/master-edge", test_master_edge_irq);
    g_test_add_func("/i8259/slave-cascade", test_slave_cascade);
    g_test_add_func("/i8259/masked-spurious", test_masked_and_spurious);
    g_test_add_func("/i8259/slave-level", test_slave_level);
    g_test_add_func("/i8259/elcr-level", test_elcr_level);
    g_test_add_func("/i8259/priority-nesting", test_priority_and_nesting);
    g_test_add_func("/i8259/rotation", test_rotation);
    g_test_add_func("/i8259/auto-eoi", test_auto_eoi);
    g_test_add_func("/i8259/poll", test_poll);
    g_test_add_func("/i8259/special-mask", test_special_mask);
    g_test_add_func("/i8259/guest-errors", test_guest_errors);
    return g_test_run();
}
