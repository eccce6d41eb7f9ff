/*
 * Two local APICs (IDs 0 and 1) and the 8259 pair, driven through
 * 0xfee00000 the way Linux's arch/x86/kernel/apic/apic.c sets them up:
 * setup_local_APIC, the timer in periodic and one-shot mode with its rate
 * measured by stepping the virtual clock, IPIs through the ICR (fixed,
 * logical, lowest priority, shorthands, NMI, INIT, SIPI), TPR/PPR,
 * spurious and masked cases, ESR, and the 8259 through LINT0 (ExtINT).
 */
#include "intc-test.h"
#include "hw/intc/apic.h"
#include "hw/intc/i8259.h"

#define APIC        0xfee00000
#define APIC_ID     (APIC + 0x20)
#define APIC_LVR    (APIC + 0x30)
#define APIC_TPR    (APIC + 0x80)
#define APIC_PPR    (APIC + 0xa0)
#define APIC_EOI    (APIC + 0xb0)
#define APIC_LDR    (APIC + 0xd0)
#define APIC_DFR    (APIC + 0xe0)
#define APIC_SVR    (APIC + 0xf0)
#define APIC_ISR0   (APIC + 0x100)
#define APIC_TMR0   (APIC + 0x180)
#define APIC_IRR0   (APIC + 0x200)
#define APIC_ESR    (APIC + 0x280)
#define APIC_ICR    (APIC + 0x300)
#define APIC_ICR2   (APIC + 0x310)
#define APIC_LVTT   (APIC + 0x320)
#define APIC_LVT0   (APIC + 0x350)
#define APIC_LVT1   (APIC + 0x360)
#define APIC_LVTERR (APIC + 0x370)
#define APIC_TMICT  (APIC + 0x380)
#define APIC_TMCCT  (APIC + 0x390)
#define APIC_TDCR   (APIC + 0x3e0)

#define LOCAL_TIMER_VECTOR 0xec
#define SPURIOUS_VECTOR    0xff
#define ERROR_VECTOR       0xfe

typedef struct FakeCPU {
    bool intr;
    int nmis, inits, sipis;
    uint8_t sipi_vector;
} FakeCPU;

static void cpu_set_intr(void *opaque, bool pending)
{
    ((FakeCPU *)opaque)->intr = pending;
}

static void cpu_nmi(void *opaque)
{
    ((FakeCPU *)opaque)->nmis++;
}

static void cpu_init(void *opaque)
{
    ((FakeCPU *)opaque)->inits++;
}

static void cpu_sipi(void *opaque, uint8_t vector)
{
    FakeCPU *c = opaque;

    c->sipis++;
    c->sipi_vector = vector;
}

static const APICCPUOps fake_ops = {
    .set_intr = cpu_set_intr,
    .nmi = cpu_nmi,
    .init = cpu_init,
    .sipi = cpu_sipi,
};

static DeviceState *apic[2];
static FakeCPU cpu[2];
static DeviceState *pic;

/* Runs the following MMIO accesses as CPU n. */
static void on_cpu(int n)
{
    apic_set_current(apic[n]);
}

/* Linux's setup_local_APIC() for CPU n, flat logical mode. */
static void linux_setup_local_apic(int n)
{
    on_cpu(n);
    mmio_writel(APIC_TPR, 0);
    mmio_writel(APIC_DFR, 0xffffffff);
    mmio_writel(APIC_LDR, 1u << (24 + n));
    mmio_writel(APIC_SVR, 0x100 | SPURIOUS_VECTOR);
    mmio_writel(APIC_LVT0, n == 0 ? 0x700 : 0x10700); /* ExtINT on BSP */
    mmio_writel(APIC_LVT1, 0x400);                    /* NMI */
    mmio_writel(APIC_LVTERR, ERROR_VECTOR);
    mmio_writel(APIC_ESR, 0);
    mmio_writel(APIC_ESR, 0);
}

static void setup(void)
{
    for (int i = 0; i < 2; i++) {
        device_reset(apic[i]);
        memset(&cpu[i], 0, sizeof(cpu[i]));
        linux_setup_local_apic(i);
    }
    device_reset(pic);
    on_cpu(0);
}

/* The CPU side taking the interrupt, then the handler's EOI. */
static int take_and_eoi(int n)
{
    int v;

    g_assert_true(apic_has_interrupt(apic[n]));
    v = apic_get_interrupt(apic[n]);
    on_cpu(n);
    mmio_writel(APIC_EOI, 0);
    return v;
}

static void test_reset_values(void)
{
    device_reset(apic[1]);
    on_cpu(1);
    g_assert_cmphex(mmio_readl(APIC_ID), ==, 0x01000000);
    g_assert_cmphex(mmio_readl(APIC_LVR), ==, 0x00050014);
    g_assert_cmphex(mmio_readl(APIC_SVR), ==, 0xff);
    g_assert_cmphex(mmio_readl(APIC_DFR), ==, 0xffffffff);
    g_assert_cmphex(mmio_readl(APIC_LVTT), ==, 0x10000);
    g_assert_cmphex(mmio_readl(APIC_LVT0), ==, 0x10000);
    g_assert_cmphex(apic_get_base(apic[1]), ==, 0xfee00800);
    device_reset(apic[0]);
    on_cpu(0);
    g_assert_cmphex(mmio_readl(APIC_ID), ==, 0);
    g_assert_cmphex(mmio_readl(APIC_LVT0), ==, 0x700); /* virtual wire */
    g_assert_cmphex(apic_get_base(apic[0]), ==, 0xfee00900);
}

static void test_linux_setup(void)
{
    setup();
    on_cpu(1);
    g_assert_cmphex(mmio_readl(APIC_SVR), ==, 0x1ff);
    g_assert_cmphex(mmio_readl(APIC_LDR), ==, 0x02000000);
    g_assert_cmphex(mmio_readl(APIC_LVT0), ==, 0x10700);
    g_assert_cmphex(mmio_readl(APIC_LVT1), ==, 0x400);
    g_assert_cmphex(mmio_readl(APIC_LVTERR), ==, ERROR_VECTOR);
    g_assert_cmphex(mmio_readl(APIC_ESR), ==, 0);
    g_assert_cmphex(mmio_readl(APIC_PPR), ==, 0);
    g_assert_false(apic_has_interrupt(apic[1]));
}

static void test_timer_periodic(void)
{
    int fired = 0;

    setup();
    mmio_writel(APIC_TDCR, 0x3); /* divide by 16 */
    mmio_writel(APIC_LVTT, 0x20000 | LOCAL_TIMER_VECTOR);
    mmio_writel(APIC_TMICT, 62500); /* 62500 * 16 ns = 1 ms */
    g_assert_cmphex(mmio_readl(APIC_TMCCT), ==, 62500);
    test_clock_step(500000);
    g_assert_cmphex(mmio_readl(APIC_TMCCT), ==, 62500 - 31250);
    g_assert_false(cpu[0].intr);
    test_clock_step(500000);
    g_assert_true(cpu[0].intr);
    g_assert_cmphex(mmio_readl(APIC_IRR0 + 0x70), ==, 1u << 12); /* 0xec */
    g_assert_cmpint(take_and_eoi(0), ==, LOCAL_TIMER_VECTOR);
    fired = 1;
    /* 100 ms of 1 ms periods, each handled before the next */
    for (int i = 0; i < 100; i++) {
        test_clock_step(1000000);
        if (apic_has_interrupt(apic[0])) {
            g_assert_cmpint(take_and_eoi(0), ==, LOCAL_TIMER_VECTOR);
            fired++;
        }
    }
    g_assert_cmpint(fired, ==, 101);
    g_assert_cmphex(mmio_readl(APIC_TMCCT), ==, 62500);
    /* masking the LVT stops the interrupts, not the count */
    mmio_writel(APIC_LVTT, 0x30000 | LOCAL_TIMER_VECTOR);
    test_clock_step(5000000);
    g_assert_false(apic_has_interrupt(apic[0]));
    mmio_writel(APIC_TMICT, 0); /* stop */
    g_assert_cmphex(mmio_readl(APIC_TMCCT), ==, 0);
}

static void test_timer_oneshot(void)
{
    setup();
    mmio_writel(APIC_TDCR, 0xb); /* divide by 1 */
    mmio_writel(APIC_LVTT, LOCAL_TIMER_VECTOR);
    mmio_writel(APIC_TMICT, 1000);
    test_clock_step(400);
    g_assert_cmphex(mmio_readl(APIC_TMCCT), ==, 600);
    test_clock_step(600);
    g_assert_cmphex(mmio_readl(APIC_TMCCT), ==, 0);
    g_assert_cmpint(take_and_eoi(0), ==, LOCAL_TIMER_VECTOR);
    test_clock_step(10000);
    g_assert_false(apic_has_interrupt(apic[0]));
    /* divide by 2 (TDCR 0): twice as long */
    mmio_writel(APIC_TDCR, 0x0);
    mmio_writel(APIC_TMICT, 1000);
    test_clock_step(1999);
    g_assert_false(apic_has_interrupt(apic[0]));
    test_clock_step(1);
    g_assert_cmpint(take_and_eoi(0), ==, LOCAL_TIMER_VECTOR);
}

static void send_ipi(int from, uint8_t dest, uint32_t icr)
{
    on_cpu(from);
    mmio_writel(APIC_ICR2, (uint32_t)dest << 24);
    mmio_writel(APIC_ICR, icr);
    g_assert_cmphex(mmio_readl(APIC_ICR) & 0x1000, ==, 0); /* idle */
}

static void test_ipi_fixed(void)
{
    setup();
    /* physical destination 1: only CPU 1 */
    send_ipi(0, 1, 0x4000 | 0x40);
    g_assert_true(cpu[1].intr);
    g_assert_false(cpu[0].intr);
    on_cpu(1);
    g_assert_cmphex(mmio_readl(APIC_IRR0 + 0x20), ==, 1u << 0); /* 0x40 */
    g_assert_cmpint(take_and_eoi(1), ==, 0x40);
    g_assert_false(cpu[1].intr);
    /* logical flat: 0x03 addresses both */
    send_ipi(1, 0x03, 0x4800 | 0x41);
    g_assert_cmpint(take_and_eoi(0), ==, 0x41);
    g_assert_cmpint(take_and_eoi(1), ==, 0x41);
    /* shorthands: self, all-including-self, all-excluding-self */
    send_ipi(1, 0, 0x44000 | 0x42);
    g_assert_false(cpu[0].intr);
    g_assert_cmpint(take_and_eoi(1), ==, 0x42);
    send_ipi(0, 0, 0x84000 | 0x43);
    g_assert_cmpint(take_and_eoi(0), ==, 0x43);
    g_assert_cmpint(take_and_eoi(1), ==, 0x43);
    send_ipi(0, 0, 0xc4000 | 0x44);
    g_assert_false(cpu[0].intr);
    g_assert_cmpint(take_and_eoi(1), ==, 0x44);
    /* broadcast physical 0xff */
    send_ipi(0, 0xff, 0x4000 | 0x45);
    g_assert_cmpint(take_and_eoi(0), ==, 0x45);
    g_assert_cmpint(take_and_eoi(1), ==, 0x45);
}

static void test_ipi_lowest_priority(void)
{
    setup();
    on_cpu(0);
    mmio_writel(APIC_TPR, 0x20);
    /* logical to both, lowest priority: CPU 1 (TPR 0) wins */
    send_ipi(0, 0x03, 0x4900 | 0x51);
    g_assert_false(cpu[0].intr);
    g_assert_cmpint(take_and_eoi(1), ==, 0x51);
    on_cpu(1);
    mmio_writel(APIC_TPR, 0x30);
    send_ipi(0, 0x03, 0x4900 | 0x52);
    g_assert_false(cpu[1].intr);
    g_assert_cmpint(take_and_eoi(0), ==, 0x52);
}

static void test_ipi_nmi_init_sipi(void)
{
    setup();
    send_ipi(0, 1, 0x4400); /* NMI */
    g_assert_cmpint(cpu[1].nmis, ==, 1);
    g_assert_cmpint(cpu[0].nmis, ==, 0);
    /* Linux's wakeup_secondary_cpu_via_init: INIT assert, de-assert,
     * then two STARTUPs */
    send_ipi(0, 1, 0xc500);
    g_assert_cmpint(cpu[1].inits, ==, 1);
    on_cpu(1);
    g_assert_cmphex(mmio_readl(APIC_SVR), ==, 0xff); /* INIT reset */
    g_assert_cmphex(mmio_readl(APIC_ID), ==, 0x01000000);
    send_ipi(0, 1, 0x8500); /* de-assert: no effect */
    g_assert_cmpint(cpu[1].inits, ==, 1);
    send_ipi(0, 1, 0x0600 | 0x9a);
    send_ipi(0, 1, 0x0600 | 0x9a);
    g_assert_cmpint(cpu[1].sipis, ==, 2);
    g_assert_cmphex(cpu[1].sipi_vector, ==, 0x9a);
    g_assert_cmpint(cpu[0].sipis, ==, 0);
    /* LINT1 as NMI (from setup on CPU 0) */
    qemu_irq_raise(apic_get_lint(apic[0], 1));
    qemu_irq_lower(apic_get_lint(apic[0], 1));
    g_assert_cmpint(cpu[0].nmis, ==, 1);
}

static void test_tpr_ppr_nesting(void)
{
    setup();
    on_cpu(0);
    mmio_writel(APIC_TPR, 0x60);
    send_ipi(1, 0, 0x4000 | 0x50);
    g_assert_false(cpu[0].intr); /* class 5 <= TPR class 6 */
    on_cpu(0);
    g_assert_cmphex(mmio_readl(APIC_PPR), ==, 0x60);
    apic_set_tpr(apic[0], 4); /* CR8 = 4 */
    on_cpu(0);
    g_assert_cmphex(mmio_readl(APIC_TPR), ==, 0x40);
    g_assert_true(cpu[0].intr);
    g_assert_cmpint(apic_get_interrupt(apic[0]), ==, 0x50);
    on_cpu(0);
    g_assert_cmphex(mmio_readl(APIC_ISR0 + 0x20), ==, 1u << 16);
    g_assert_cmphex(mmio_readl(APIC_PPR), ==, 0x50);
    /* same class waits, higher class nests */
    send_ipi(1, 0, 0x4000 | 0x55);
    g_assert_false(cpu[0].intr);
    send_ipi(1, 0, 0x4000 | 0x61);
    g_assert_true(cpu[0].intr);
    g_assert_cmpint(apic_get_interrupt(apic[0]), ==, 0x61);
    on_cpu(0);
    mmio_writel(APIC_EOI, 0); /* ends 0x61 */
    mmio_writel(APIC_EOI, 0); /* ends 0x50 */
    g_assert_cmpint(take_and_eoi(0), ==, 0x55);
    g_assert_cmphex(mmio_readl(APIC_ISR0 + 0x20), ==, 0);
    g_assert_cmpint(apic_get_tpr(apic[0]), ==, 4);
}

static void test_spurious_and_disabled(void)
{
    setup();
    send_ipi(1, 0, 0x4000 | 0x70);
    g_assert_true(cpu[0].intr);
    /* the TPR rises between the request and INTA: spurious vector */
    apic_set_tpr(apic[0], 0xf);
    g_assert_cmpint(apic_get_interrupt(apic[0]), ==, SPURIOUS_VECTOR);
    on_cpu(0);
    g_assert_cmphex(mmio_readl(APIC_ISR0 + 0x70), ==, 0); /* no ISR bit */
    apic_set_tpr(apic[0], 0);
    g_assert_cmpint(take_and_eoi(0), ==, 0x70);
    /* nothing at all */
    g_assert_cmpint(apic_get_interrupt(apic[0]), ==, -1);
    /* software-disabled: fixed IPIs dropped, LVTs forced masked */
    on_cpu(1);
    mmio_writel(APIC_SVR, 0xff);
    g_assert_cmphex(mmio_readl(APIC_LVT1) & 0x10000, ==, 0x10000);
    send_ipi(0, 1, 0x4000 | 0x71);
    g_assert_false(cpu[1].intr);
    on_cpu(1);
    g_assert_cmphex(mmio_readl(APIC_IRR0 + 0x70), ==, 0);
    /* hardware-disabled via IA32_APIC_BASE: MMIO reads all ones */
    apic_set_base(apic[1], 0xfee00000);
    g_assert_cmphex(mmio_readl(APIC_ID), ==, 0xffffffff);
    apic_set_base(apic[1], 0xfee00800);
    g_assert_cmphex(mmio_readl(APIC_ID), ==, 0x01000000);
}

static void test_errors(void)
{
    setup();
    /* sending vector 5: send-illegal-vector, seen after an ESR write */
    send_ipi(0, 1, 0x4000 | 0x05);
    g_assert_false(cpu[1].intr);
    on_cpu(0);
    mmio_writel(APIC_ESR, 0);
    g_assert_cmphex(mmio_readl(APIC_ESR), ==, 0x20);
    /* the error LVT raised ERROR_VECTOR */
    g_assert_cmpint(take_and_eoi(0), ==, ERROR_VECTOR);
    mmio_writel(APIC_ESR, 0);
    g_assert_cmphex(mmio_readl(APIC_ESR), ==, 0);
    /* reserved register: logged, illegal register address */
    g_assert_cmphex(mmio_readl(APIC + 0x3f0), ==, 0);
    g_assert_true(test_log_contains("read of reserved offset 0x3f0"));
    mmio_writel(APIC_ESR, 0);
    g_assert_cmphex(mmio_readl(APIC_ESR), ==, 0x80);
    g_assert_cmpint(take_and_eoi(0), ==, ERROR_VECTOR);
    mmio_writel(APIC + 0x100, 0x1234); /* ISR is read-only */
    g_assert_true(test_log_contains("read-only or reserved offset 0x100"));
    g_assert_cmphex(mmio_readl(APIC_ISR0), ==, 0);
    take_and_eoi(0);
    /* unaligned offset */
    g_assert_cmphex(mmio_readl(APIC + 0x24), ==, 0);
    g_assert_true(test_log_contains("unaligned offset 0x024"));
}

static void test_extint_through_lint0(void)
{
    setup();
    /* Linux init_8259A: vectors 0x30-0x3f, IRQ0 unmasked */
    outb(0x20, 0x11);
    outb(0x21, 0x30);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0xa0, 0x11);
    outb(0xa0 + 1, 0x38);
    outb(0xa1, 0x02);
    outb(0xa1, 0x01);
    outb(0x21, 0xfa);
    qemu_irq_raise(i8259_get_irqs(pic)[0]);
    g_assert_true(cpu[0].intr);
    g_assert_false(cpu[1].intr); /* CPU 1's LINT0 is masked */
    g_assert_cmpint(apic_get_interrupt(apic[0]), ==, 0x30);
    g_assert_false(cpu[0].intr);
    outb(0x20, 0x20);
    /* masking LINT0 cuts the wire */
    qemu_irq_lower(i8259_get_irqs(pic)[0]);
    on_cpu(0);
    mmio_writel(APIC_LVT0, 0x10700);
    qemu_irq_raise(i8259_get_irqs(pic)[0]);
    g_assert_false(cpu[0].intr);
    mmio_writel(APIC_LVT0, 0x700);
    g_assert_true(cpu[0].intr);
    g_assert_cmpint(apic_get_interrupt(apic[0]), ==, 0x30);
    outb(0x20, 0x20);
    qemu_irq_lower(i8259_get_irqs(pic)[0]);
}

static void test_msi(void)
{
    setup();
    /* address: destination ID 1, physical; data: edge, fixed, 0x62 */
    apic_bus_send_msi(0xfee01000, 0x0062);
    g_assert_cmpint(take_and_eoi(1), ==, 0x62);
    apic_bus_send_msi(0xfed00000, 0x0062);
    g_assert_true(test_log_contains("outside 0xfee00000"));
    g_assert_false(cpu[1].intr);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_machine_init();
    pic = i8259_init(apic_bus_extint_line(), &error_abort);
    for (int i = 0; i < 2; i++) {
        apic[i] = apic_init(i, i == 0, pic, &error_abort);
        apic_set_cpu(apic[i], &fake_ops, &cpu[i]);
    }
    g_test_add_func("/apic/reset-values", test_reset_values);
    g_test_add_func("/apic/linux-setup", test_linux_setup);
    g_test_add_func("/apic/timer-periodic", test_timer_periodic);
    g_test_add_func("/apic/timer-oneshot", test_timer_oneshot);
    g_test_add_func("/apic/ipi-fixed", test_ipi_fixed);
    g_test_add_func("/apic/ipi-lowest-priority", test_ipi_lowest_priority);
    g_test_add_func("/apic/ipi-nmi-init-sipi", test_ipi_nmi_init_sipi);
    g_test_add_func("/apic/tpr-ppr-nesting", test_tpr_ppr_nesting);
    g_test_add_func("/apic/spurious-disabled", test_spurious_and_disabled);
    g_test_add_func("/apic/errors", test_errors);
    g_test_add_func("/apic/extint-lint0", test_extint_through_lint0);
    g_test_add_func("/apic/msi", test_msi);
    return g_test_run();
}
