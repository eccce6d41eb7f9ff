/*
 * acpi: finds the RSDP, checks the RSDT/XSDT and every table's checksum,
 * prints the MADT and HPET, then powers off the way an OS does: SCI_EN
 * through SMI_CMD if needed, then SLP_TYP(_S5) | SLP_EN into PM1a_CNT.
 * Reaching the end is a failure: the emulator should have exited with 0.
 */
#include "lib.h"

static bool check_table(const struct acpi_header *t)
{
    bool ok = acpi_checksum(t, t->length) == 0;
    printf("acpi: %c%c%c%c at %p len %u rev %u %s\n", t->sig[0], t->sig[1],
           t->sig[2], t->sig[3], (void *)t, t->length, t->revision,
           ok ? "checksum ok" : "BAD CHECKSUM");
    return ok;
}

/* SLP_TYPa from the DSDT's Name(_S5_, Package() {a, b, ...}). */
static int s5_slp_typ(const struct acpi_header *dsdt)
{
    const uint8_t *p = (const uint8_t *)dsdt;
    for (uint32_t i = 36; i + 8 < dsdt->length; i++) {
        if (memcmp(p + i, "_S5_", 4) || p[i + 4] != 0x12) {
            continue;
        }
        p += i + 5;
        p += (*p >> 6) + 1; /* PkgLength */
        p++;                /* NumElements */
        if (*p == 0x0a) {   /* BytePrefix */
            return p[1];
        }
        return *p == 0x01 ? 1 : 0; /* OneOp / ZeroOp */
    }
    return -1;
}

void guest_main(void)
{
    const uint8_t *rsdp = acpi_find_rsdp();
    const struct acpi_header *rsdt, *facp, *dsdt, *madt, *hpet;
    uint32_t pm1a_cnt, smi_cmd;
    uint8_t acpi_enable;
    int slp_typ;
    bool ok = true;

    if (!rsdp) {
        puts("acpi: no RSDP\n");
        guest_exit(false);
    }
    printf("acpi: RSDP at %p rev %u oem '%c%c%c%c%c%c'\n", (void *)rsdp,
           rsdp[15], rsdp[9], rsdp[10], rsdp[11], rsdp[12], rsdp[13],
           rsdp[14]);
    if (rsdp[15] >= 2) {
        uint32_t xsdt = *(const uint32_t *)(rsdp + 24);
        ok &= acpi_checksum(rsdp, 36) == 0;
        if (xsdt) {
            const struct acpi_header *x = (const void *)xsdt;
            ok &= check_table(x) && !memcmp(x->sig, "XSDT", 4);
        }
    }
    rsdt = (const void *)*(const uint32_t *)(rsdp + 16);
    ok &= check_table(rsdt);
    for (uint32_t i = 0; i < (rsdt->length - 36) / 4; i++) {
        ok &= check_table((const void *)((const uint32_t *)(rsdt + 1))[i]);
    }
    facp = acpi_find_table("FACP");
    dsdt = acpi_find_table("DSDT");
    madt = acpi_find_table("APIC");
    hpet = acpi_find_table("HPET");
    if (!facp || !dsdt || !madt) {
        puts("acpi: FACP, DSDT or APIC missing\n");
        guest_exit(false);
    }
    ok &= check_table(dsdt);
    {
        const uint8_t *p = (const uint8_t *)madt + 44;
        const uint8_t *end = (const uint8_t *)madt + madt->length;
        printf("acpi: MADT local APIC at %x\n",
               *(const uint32_t *)((const uint8_t *)madt + 36));
        for (; p < end; p += p[1] ? p[1] : 1) {
            if (p[0] == 0) {
                printf("acpi: MADT cpu %u apic %u flags %u\n", p[2], p[3],
                       p[4]);
            } else if (p[0] == 1) {
                printf("acpi: MADT ioapic %u at %x gsi %u\n", p[2],
                       *(const uint32_t *)(p + 4),
                       *(const uint32_t *)(p + 8));
            } else if (p[0] == 2) {
                printf("acpi: MADT override irq %u -> gsi %u\n", p[3],
                       *(const uint32_t *)(p + 4));
            }
        }
    }
    if (hpet) {
        printf("acpi: HPET at %x\n",
               *(const uint32_t *)((const uint8_t *)hpet + 44));
    }
    pm1a_cnt = *(const uint32_t *)((const uint8_t *)facp + 64);
    smi_cmd = *(const uint32_t *)((const uint8_t *)facp + 48);
    acpi_enable = *((const uint8_t *)facp + 52);
    slp_typ = s5_slp_typ(dsdt);
    printf("acpi: sci %u smi_cmd %x acpi_enable %x pm1a_cnt %x pm_tmr %x "
           "_S5 %d\n",
           *(const uint16_t *)((const uint8_t *)facp + 46), smi_cmd,
           acpi_enable, pm1a_cnt,
           *(const uint32_t *)((const uint8_t *)facp + 76), slp_typ);
    {
        /*
         * PM timer: 3.579545 MHz, 24 bits: ~357954 ticks in 100 ms.  The
         * PIT-timed delay can only overshoot (slow exits on a busy host).
         */
        uint16_t tmr = *(const uint32_t *)((const uint8_t *)facp + 76);
        uint32_t t0 = inl(tmr) & 0xffffff, t1, delta;
        udelay(100000);
        t1 = inl(tmr) & 0xffffff;
        delta = (t1 - t0) & 0xffffff;
        printf("acpi: pm timer advanced %u ticks in 100 ms\n", delta);
        ok &= delta > 340000 && delta < 700000;
    }
    if (!ok || slp_typ < 0 || !pm1a_cnt) {
        guest_exit(false);
    }
    if (!(inw(pm1a_cnt) & 1) && smi_cmd && acpi_enable) {
        outb(smi_cmd, acpi_enable);
        for (int i = 0; i < 100 && !(inw(pm1a_cnt) & 1); i++) {
            udelay(1000);
        }
    }
    printf("acpi: SCI_EN %u, powering off\n", inw(pm1a_cnt) & 1);
    outw(pm1a_cnt, (slp_typ << 10) | (1 << 13));
    udelay(100000);
    puts("acpi: still running after S5\n");
    guest_exit(false);
}
