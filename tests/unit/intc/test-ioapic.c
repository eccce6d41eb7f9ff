/*
 * The 82093AA IOAPIC at 0xfec00000 driven through IOREGSEL/IOWIN the way
 * Linux's arch/x86/kernel/apic/io_apic.c programs it, delivering to two
 * real local APICs: edge and level pins, remote IRR and the EOI broadcast,
 * masking, logical destinations, read-only bits and bad accesses.
 */
#include "intc-test.h"
#include "hw/intc/apic.h"
#include "hw/intc/ioapic.h"

#define IOREGSEL  0xfec00000
#define IOWIN     0xfec00010
#define APIC_EOI  0xfee000b0
#define APIC_SVR  0xfee000f0
#define APIC_LDR  0xfee000d0
#define APIC_TMR0 0xfee00180

#define RTE_LEVEL      (1u << 15)
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LOGICAL    (1u << 11)
#define RTE_MASKED     (1u << 16)

static DeviceState *apic[2];
static bool intr[2];
static DeviceState *ioapic;
static qemu_irq *pins;

static void cpu_set_intr(void *opaque, bool pending)
{
    *(bool *)opaque = pending;
}

static const APICCPUOps fake_ops = {.set_intr = cpu_set_intr};

static uint32_t io_read(uint8_t reg)
{
    mmio_writel(IOREGSEL, reg);
    return mmio_readl(IOWIN);
}

static void io_write(uint8_t reg, uint32_t val)
{
    mmio_writel(IOREGSEL, reg);
    mmio_writel(IOWIN, val);
}

/* Linux's ioapic_write_entry: high half first, then low. */
static void write_rte(int pin, uint8_t dest, uint32_t low)
{
    io_write(0x11 + 2 * pin, (uint32_t)dest << 24);
    io_write(0x10 + 2 * pin, low);
}

static void setup(void)
{
    for (int i = 0; i < IOAPIC_PINS; i++) {
        qemu_set_irq(pins[i], 0);
    }
    device_reset(ioapic);
    for (int i = 0; i < 2; i++) {
        device_reset(apic[i]);
        apic_set_current(apic[i]);
        mmio_writel(APIC_SVR, 0x1ff);
        mmio_writel(APIC_LDR, 1u << (24 + i));
    }
}

static int take_and_eoi(int n)
{
    int v;

    g_assert_true(intr[n]);
    v = apic_get_interrupt(apic[n]);
    apic_set_current(apic[n]);
    mmio_writel(APIC_EOI, 0);
    return v;
}

static void test_id_version(void)
{
    setup();
    g_assert_cmphex(io_read(0x01), ==, 0x00170011);
    g_assert_cmphex(io_read(0x00), ==, 0);
    io_write(0x00, 0x02000000); /* Linux may renumber the IOAPIC */
    g_assert_cmphex(io_read(0x00), ==, 0x02000000);
    g_assert_cmphex(io_read(0x02), ==, 0x02000000);
    io_write(0x00, 0);
    /* every entry comes up masked */
    for (int i = 0; i < IOAPIC_PINS; i++) {
        g_assert_cmphex(io_read(0x10 + 2 * i), ==, RTE_MASKED);
        g_assert_cmphex(io_read(0x11 + 2 * i), ==, 0);
    }
    mmio_writel(IOREGSEL, 0x23);
    g_assert_cmphex(mmio_readl(IOREGSEL), ==, 0x23);
}

static void test_edge(void)
{
    setup();
    /* IRQ0 through the MADT override: pin 2, edge, vector 0x30, CPU 0 */
    write_rte(2, 0, 0x30);
    g_assert_cmphex(io_read(0x14), ==, 0x30);
    qemu_irq_pulse(pins[2]);
    g_assert_true(intr[0]);
    g_assert_false(intr[1]);
    g_assert_cmpint(take_and_eoi(0), ==, 0x30);
    /* edge: no remote IRR, every rising edge is a new message */
    g_assert_cmphex(io_read(0x14) & RTE_REMOTE_IRR, ==, 0);
    qemu_irq_raise(pins[2]);
    g_assert_cmpint(take_and_eoi(0), ==, 0x30);
    qemu_irq_raise(pins[2]); /* still high: nothing new */
    g_assert_false(intr[0]);
    qemu_irq_lower(pins[2]);
    /* masked pin: nothing goes out; unmasking delivers the held edge */
    write_rte(2, 0, RTE_MASKED | 0x30);
    qemu_irq_pulse(pins[2]);
    g_assert_false(intr[0]);
    write_rte(2, 0, 0x30);
    g_assert_cmpint(take_and_eoi(0), ==, 0x30);
    g_assert_false(intr[0]);
}

static void test_level_remote_irr(void)
{
    setup();
    /* PCI INTx: pin 10, level, vector 0x41, physical CPU 1 */
    write_rte(10, 1, RTE_LEVEL | 0x41);
    qemu_irq_raise(pins[10]);
    g_assert_true(intr[1]);
    g_assert_false(intr[0]);
    g_assert_cmphex(io_read(0x10 + 20) & RTE_REMOTE_IRR, ==, RTE_REMOTE_IRR);
    g_assert_cmpint(apic_get_interrupt(apic[1]), ==, 0x41);
    apic_set_current(apic[1]);
    g_assert_cmphex(mmio_readl(APIC_TMR0 + 0x20), ==, 1u << 1); /* level */
    /* the line stays high: EOI clears remote IRR and redelivers */
    mmio_writel(APIC_EOI, 0);
    g_assert_cmphex(io_read(0x10 + 20) & RTE_REMOTE_IRR, ==, RTE_REMOTE_IRR);
    g_assert_true(intr[1]);
    g_assert_cmpint(apic_get_interrupt(apic[1]), ==, 0x41);
    /* the device is serviced: line low, then EOI: quiet */
    qemu_irq_lower(pins[10]);
    apic_set_current(apic[1]);
    mmio_writel(APIC_EOI, 0);
    g_assert_cmphex(io_read(0x10 + 20) & RTE_REMOTE_IRR, ==, 0);
    g_assert_false(intr[1]);
    /* while remote IRR is set, a new assertion waits for the EOI */
    qemu_irq_raise(pins[10]);
    g_assert_cmpint(apic_get_interrupt(apic[1]), ==, 0x41);
    qemu_irq_lower(pins[10]);
    qemu_irq_raise(pins[10]);
    g_assert_false(intr[1]);
    apic_set_current(apic[1]);
    mmio_writel(APIC_EOI, 0);
    g_assert_cmpint(take_and_eoi(1), ==, 0x41);
    qemu_irq_lower(pins[10]);
    take_and_eoi(1);
    g_assert_false(intr[1]);
}

static void test_level_masked(void)
{
    setup();
    write_rte(11, 0, RTE_MASKED | RTE_LEVEL | 0x42);
    qemu_irq_raise(pins[11]);
    g_assert_false(intr[0]);
    g_assert_cmphex(io_read(0x10 + 22) & RTE_REMOTE_IRR, ==, 0);
    write_rte(11, 0, RTE_LEVEL | 0x42); /* unmask while high: delivered */
    g_assert_cmpint(apic_get_interrupt(apic[0]), ==, 0x42);
    qemu_irq_lower(pins[11]);
    apic_set_current(apic[0]);
    mmio_writel(APIC_EOI, 0);
    g_assert_cmphex(io_read(0x10 + 22) & RTE_REMOTE_IRR, ==, 0);
    /* the line dropping while masked leaves nothing behind */
    write_rte(11, 0, RTE_MASKED | RTE_LEVEL | 0x42);
    qemu_irq_raise(pins[11]);
    qemu_irq_lower(pins[11]);
    write_rte(11, 0, RTE_LEVEL | 0x42);
    g_assert_false(intr[0]);
}

static void test_logical_and_ro_bits(void)
{
    setup();
    /* logical flat destination 0x02: CPU 1 */
    write_rte(4, 0x02, RTE_LOGICAL | 0x34);
    qemu_irq_pulse(pins[4]);
    g_assert_false(intr[0]);
    g_assert_cmpint(take_and_eoi(1), ==, 0x34);
    /* logical 0x03: lowest priority among both: one CPU only */
    write_rte(4, 0x03, RTE_LOGICAL | (1u << 8) | 0x35);
    qemu_irq_pulse(pins[4]);
    g_assert_true(intr[0] != intr[1]);
    g_assert_cmpint(take_and_eoi(intr[0] ? 0 : 1), ==, 0x35);
    /* delivery status and remote IRR are read-only */
    write_rte(5, 0, RTE_REMOTE_IRR | (1u << 12) | RTE_LEVEL | 0x36);
    g_assert_cmphex(io_read(0x10 + 10), ==, RTE_LEVEL | 0x36);
    /* reserved high bits read back as zero */
    io_write(0x11 + 10, 0xffffffff);
    g_assert_cmphex(io_read(0x11 + 10), ==, 0xff000000);
}

static void test_guest_errors(void)
{
    setup();
    g_assert_cmphex(io_read(0x40), ==, 0);
    g_assert_true(test_log_contains("read of register 0x40"));
    io_write(0x01, 0x1234); /* version is read-only */
    g_assert_true(test_log_contains("write 0x1234 to register 0x01"));
    g_assert_cmphex(io_read(0x01), ==, 0x00170011);
    g_assert_cmphex(mmio_readl(0xfec00004), ==, 0);
    g_assert_true(test_log_contains("bad offset 0x4"));
    /* a level pin whose line fell before the EOI is quiet after it */
    write_rte(3, 0, RTE_LEVEL | 0x50);
    qemu_irq_raise(pins[3]);
    apic_set_current(apic[0]);
    g_assert_cmpint(apic_get_interrupt(apic[0]), ==, 0x50);
    g_assert_cmphex(io_read(0x16) & RTE_REMOTE_IRR, ==, RTE_REMOTE_IRR);
    qemu_irq_lower(pins[3]);
    mmio_writel(APIC_EOI, 0);
    g_assert_cmphex(io_read(0x16) & RTE_REMOTE_IRR, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_machine_init();
    for (int i = 0; i < 2; i++) {
        apic[i] = apic_init(i, i == 0, NULL, &error_abort);
        apic_set_cpu(apic[i], &fake_ops, &intr[i]);
    }
    ioapic = ioapic_init(&error_abort);
    pins = ioapic_get_irqs(ioapic);
    g_test_add_func("/ioapic/id-version", test_id_version);
    g_test_add_func("/ioapic/edge", test_edge);
    g_test_add_func("/ioapic/level-remote-irr", test_level_remote_irr);
    g_test_add_func("/ioapic/level-masked", test_level_masked);
    g_test_add_func("/ioapic/logical-ro-bits", test_logical_and_ro_bits);
    g_test_add_func("/ioapic/guest-errors", test_guest_errors);
    return g_test_run();
}
