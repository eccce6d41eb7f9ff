/*
 * edu: drives QEMU's educational PCI device (-device edu): finds it on
 * bus 0, maps BAR0 (keeping a firmware assignment), checks the id,
 * liveness and factorial registers, takes an INTx interrupt through the
 * PIIX3 PIRQ routing and the 8259, an MSI through the local APIC, and
 * copies a buffer to the device and back by DMA.
 */
#include "lib.h"

#define EDU_BAR_DEFAULT 0xfe000000u
#define MSI_VECTOR 0x50

static uint32_t bus_dev;
static uint32_t bar;
static volatile uint32_t intx_count, msi_count, last_status;
static int intx_irq;

static uint32_t cfg_read(int reg)
{
    outl(0xcf8, 0x80000000u | bus_dev | (reg & 0xfc));
    return inl(0xcfc);
}

static void cfg_write(int reg, uint32_t v)
{
    outl(0xcf8, 0x80000000u | bus_dev | (reg & 0xfc));
    outl(0xcfc, v);
}

static uint32_t edu_read(uint32_t off)
{
    return mmio_read32(bar + off);
}

static void edu_write(uint32_t off, uint32_t v)
{
    mmio_write32(bar + off, v);
}

static void intx_handler(struct isr_frame *f)
{
    last_status = edu_read(0x24);
    edu_write(0x64, last_status);
    intx_count++;
    pic_eoi(intx_irq);
}

static void msi_handler(struct isr_frame *f)
{
    last_status = edu_read(0x24);
    edu_write(0x64, last_status);
    msi_count++;
    lapic_write(LAPIC_EOI, 0);
}

static bool wait_for(volatile uint32_t *counter, uint32_t want)
{
    for (int i = 0; i < 1000 && *counter < want; i++) {
        udelay(1000);
    }
    return *counter >= want;
}

void guest_main(void)
{
    static uint8_t src[64], dst[64];
    uint32_t slot, pirq, route, msi = 0, v;
    bool ok = true;

    for (slot = 0; slot < 32; slot++) {
        outl(0xcf8, 0x80000000u | (slot << 11));
        if (inl(0xcfc) == 0x11e81234) {
            break;
        }
    }
    if (slot == 32) {
        puts("edu: no device\n");
        guest_exit(false);
    }
    bus_dev = slot << 11;
    bar = cfg_read(0x10) & ~0xfu;
    if (!bar) {
        cfg_write(0x10, EDU_BAR_DEFAULT);
        bar = cfg_read(0x10) & ~0xfu;
    }
    cfg_write(0x04, cfg_read(0x04) | 0x06); /* memory, bus master */
    printf("edu: slot %u BAR0 %x class %x\n", slot, bar, cfg_read(0x08) >> 8);

    v = edu_read(0x00);
    printf("edu: id %x\n", v);
    ok &= v == 0x010000ed;
    edu_write(0x04, 0x12345678);
    v = edu_read(0x04);
    printf("edu: liveness %x\n", v);
    ok &= v == ~0x12345678u;
    edu_write(0x08, 10);
    while (edu_read(0x20) & 1) {
        cpu_relax();
    }
    v = edu_read(0x08);
    printf("edu: 10! = %u\n", v);
    ok &= v == 3628800;

    /* INTx: pin A of the slot goes to PIRQ (slot - 1) mod 4. */
    pirq = (slot + 3) & 3;
    outl(0xcf8, 0x80000000u | (1 << 11) | 0x60);
    route = (inl(0xcfc) >> (8 * pirq)) & 0xff;
    intx_irq = route & 0x0f;
    printf("edu: INTA -> PIRQ%c -> IRQ %d%s\n", 'A' + pirq, intx_irq,
           (route & 0x80) ? " (disabled)" : "");
    pic_init();
    idt_set_handler(0x20 + intx_irq, intx_handler);
    pic_unmask(intx_irq);
    if (intx_irq >= 8) {
        pic_unmask(2);
    }
    sti();
    edu_write(0x60, 0x1234);
    ok &= wait_for(&intx_count, 1);
    printf("edu: INTx interrupts %u, status %x\n", intx_count, last_status);
    ok &= last_status == 0x1234;

    /* MSI to the boot CPU's local APIC, vector MSI_VECTOR. */
    for (v = cfg_read(0x34) & 0xff; v; v = (cfg_read(v) >> 8) & 0xff) {
        if ((cfg_read(v) & 0xff) == 0x05) {
            msi = v;
        }
    }
    printf("edu: MSI capability at %x\n", msi);
    if (!msi) {
        guest_exit(false);
    }
    lapic_write(LAPIC_SVR, 0x1ff);
    idt_set_handler(MSI_VECTOR, msi_handler);
    cfg_write(msi + 4, 0xfee00000u | ((lapic_read(LAPIC_ID) >> 24) << 12));
    cfg_write(msi + 8, 0);            /* address high (64-bit capable) */
    cfg_write(msi + 12, MSI_VECTOR);  /* data: fixed, edge */
    cfg_write(msi, cfg_read(msi) | (1 << 16)); /* MSI enable */
    edu_write(0x60, 0x42);
    ok &= wait_for(&msi_count, 1);
    printf("edu: MSI interrupts %u, status %x\n", msi_count, last_status);
    ok &= last_status == 0x42;

    /* DMA: RAM -> buffer -> RAM, the second with its completion MSI. */
    for (int i = 0; i < 64; i++) {
        src[i] = i * 7 + 1;
    }
    edu_write(0x80, (uint32_t)src);
    edu_write(0x84, 0);
    edu_write(0x88, 0x40000);
    edu_write(0x8c, 0);
    edu_write(0x90, 64);
    edu_write(0x94, 0);
    edu_write(0x98, 1);
    while (edu_read(0x98) & 1) {
        cpu_relax();
    }
    edu_write(0x80, 0x40000);
    edu_write(0x88, (uint32_t)dst);
    edu_write(0x98, 1 | 2 | 4);
    ok &= wait_for(&msi_count, 2);
    printf("edu: DMA round trip %s, completion status %x\n",
           memcmp(src, dst, 64) ? "differs" : "matches", last_status);
    ok &= !memcmp(src, dst, 64) && last_status == 0x100;
    cli();
    guest_exit(ok);
}
