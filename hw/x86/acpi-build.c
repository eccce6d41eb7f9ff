/*
 * ACPI tables for the pc machine (ACPI 6.x ch. 5.2): RSDP revision 2,
 * RSDT and XSDT, FADT (revision 1 layout, as QEMU's i440FX machine),
 * FACS, MADT with QEMU's interrupt source overrides, HPET, and a DSDT
 * describing the PCI root bridge (windows, static _PRT), the ISA devices
 * and \_S5 = Package {0, 0, 0, 0}, the SLP_TYP the PIIX4 PM treats as
 * soft-off.
 */
#include <stdio.h>
#include <string.h>

#include "hw/acpi/aml-build.h"
#include "hw/acpi/piix4-pm.h"
#include "hw/isa/piix3.h"
#include "hw/x86/acpi-build.h"

#define IOAPIC_ADDR  0xfec00000u
#define LAPIC_ADDR   0xfee00000u
#define HPET_ADDR    0xfed00000u
#define PCI_HOLE_END 0xfebfffffu

/* Aligns the blob to a multiple of align bytes with zeros. */
static void align_blob(GByteArray *t, unsigned align)
{
    static const uint8_t zero[64];

    while (t->len % align) {
        g_byte_array_append(t, zero, MIN(sizeof(zero), align - t->len % align));
    }
}

static Aml *isa_device(const char *name, const char *hid, int uid)
{
    Aml *dev = aml_device(name);

    aml_append(dev, aml_name_decl("_HID", aml_eisaid(hid)));
    if (uid >= 0) {
        aml_append(dev, aml_name_decl("_UID", aml_int(uid)));
    }
    return dev;
}

static GByteArray *build_dsdt_body(const PCAcpiConfig *cfg)
{
    static const uint16_t com_base[4] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
    static const uint8_t com_irq[4] = {4, 3, 4, 3};
    Aml *top = aml_new();
    Aml *sb = aml_scope("\\_SB");
    Aml *pci = aml_device("PCI0");
    Aml *isa = aml_device("ISA");
    Aml *rt, *prt, *dev, *s5;

    aml_append(pci, aml_name_decl("_HID", aml_eisaid("PNP0A03")));
    aml_append(pci, aml_name_decl("_ADR", aml_int(0)));
    aml_append(pci, aml_name_decl("_UID", aml_int(0)));
    rt = aml_resource_template();
    aml_res_word_bus(rt, 0, 0xff);
    aml_res_io(rt, 0xcf8, 8);
    aml_res_word_io(rt, 0x0000, 0x0cf7);
    aml_res_word_io(rt, 0x0d00, 0xffff);
    aml_res_dword_mem(rt, 0x000a0000, 0x000bffff, false);
    aml_res_dword_mem(rt, (uint32_t)cfg->below_4g, PCI_HOLE_END, false);
    aml_append(pci, aml_name_decl("_CRS", rt));

    /* Static routing: PIRQ (slot + pin - 1) mod 4 -> IRQ 10/11. */
    prt = aml_package();
    for (unsigned slot = 1; slot < 32; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            Aml *e = aml_package();
            unsigned pirq = (slot + pin - 1) & 3;
            aml_append(e, aml_int(((uint64_t)slot << 16) | 0xffff));
            aml_append(e, aml_int(pin));
            aml_append(e, aml_int(0));
            aml_append(e, aml_int(PIIX3_PIRQ_FIRMWARE_IRQ(pirq)));
            aml_append(prt, e);
        }
    }
    aml_append(pci, aml_name_decl("_PRT", prt));

    aml_append(isa, aml_name_decl("_ADR", aml_int(0x00010000)));
    dev = isa_device("RTC", "PNP0B00", -1);
    rt = aml_resource_template();
    aml_res_io(rt, 0x70, 8);
    aml_res_irq(rt, 8);
    aml_append(dev, aml_name_decl("_CRS", rt));
    aml_append(isa, dev);
    dev = isa_device("KBD", "PNP0303", -1);
    rt = aml_resource_template();
    aml_res_io(rt, 0x60, 1);
    aml_res_io(rt, 0x64, 1);
    aml_res_irq(rt, 1);
    aml_append(dev, aml_name_decl("_CRS", rt));
    aml_append(isa, dev);
    dev = isa_device("MOU", "PNP0F13", -1);
    rt = aml_resource_template();
    aml_res_irq(rt, 12);
    aml_append(dev, aml_name_decl("_CRS", rt));
    aml_append(isa, dev);
    for (int i = 0; i < 4; i++) {
        char name[5];
        if (!(cfg->serial_mask & (1u << i))) {
            continue;
        }
        snprintf(name, sizeof(name), "COM%d", i + 1);
        dev = isa_device(name, "PNP0501", i + 1);
        rt = aml_resource_template();
        aml_res_io(rt, com_base[i], 8);
        aml_res_irq(rt, com_irq[i]);
        aml_append(dev, aml_name_decl("_CRS", rt));
        aml_append(isa, dev);
    }
    aml_append(pci, isa);
    aml_append(sb, pci);

    if (cfg->hpet) {
        dev = isa_device("HPET", "PNP0103", 0);
        rt = aml_resource_template();
        aml_res_mem32_fixed(rt, HPET_ADDR, 0x400, false);
        aml_append(dev, aml_name_decl("_CRS", rt));
        aml_append(sb, dev);
    }
    aml_append(top, sb);

    s5 = aml_package();
    for (int i = 0; i < 4; i++) {
        aml_append(s5, aml_int(0));
    }
    aml_append(top, aml_name_decl("\\_S5", s5));
    return aml_finish(top);
}

static unsigned build_dsdt(GByteArray *t, const PCAcpiConfig *cfg)
{
    unsigned start = t->len;
    GByteArray *body = build_dsdt_body(cfg);

    acpi_table_begin(t, "DSDT", 1);
    acpi_put_bytes(t, body->data, body->len);
    acpi_table_end(t, start);
    g_byte_array_free(body, true);
    return start;
}

static unsigned build_facs(GByteArray *t)
{
    unsigned start = t->len;

    acpi_put_bytes(t, "FACS", 4);
    acpi_put_u32(t, 64);
    for (int i = 0; i < 56; i += 4) {
        acpi_put_u32(t, 0); /* signature, waking vector, lock, flags... */
    }
    return start;
}

static unsigned build_fadt(GByteArray *t, uint32_t facs, uint32_t dsdt)
{
    unsigned start = t->len;

    acpi_table_begin(t, "FACP", 1);
    acpi_put_u32(t, facs);
    acpi_put_u32(t, dsdt);
    acpi_put_u8(t, 1);                     /* INT_MODEL (1.0): APIC */
    acpi_put_u8(t, 0);                     /* preferred PM profile */
    acpi_put_u16(t, PIIX4_PM_SCI_IRQ);     /* SCI_INT */
    acpi_put_u32(t, 0);                    /* SMI_CMD: no SMM, ACPI only */
    acpi_put_u8(t, 0);                     /* ACPI_ENABLE */
    acpi_put_u8(t, 0);                     /* ACPI_DISABLE */
    acpi_put_u8(t, 0);                     /* S4BIOS_REQ */
    acpi_put_u8(t, 0);                     /* PSTATE_CNT */
    acpi_put_u32(t, PIIX4_PM_IO_BASE);     /* PM1a_EVT_BLK */
    acpi_put_u32(t, 0);                    /* PM1b_EVT_BLK */
    acpi_put_u32(t, PIIX4_PM_IO_BASE + 4); /* PM1a_CNT_BLK */
    acpi_put_u32(t, 0);                    /* PM1b_CNT_BLK */
    acpi_put_u32(t, 0);                    /* PM2_CNT_BLK */
    acpi_put_u32(t, PIIX4_PM_IO_BASE + 8); /* PM_TMR_BLK */
    acpi_put_u32(t, PIIX4_GPE0_BASE);      /* GPE0_BLK */
    acpi_put_u32(t, 0);                    /* GPE1_BLK */
    acpi_put_u8(t, 4);                     /* PM1_EVT_LEN */
    acpi_put_u8(t, 2);                     /* PM1_CNT_LEN */
    acpi_put_u8(t, 0);                     /* PM2_CNT_LEN */
    acpi_put_u8(t, 4);                     /* PM_TMR_LEN */
    acpi_put_u8(t, PIIX4_GPE0_LEN);        /* GPE0_BLK_LEN */
    acpi_put_u8(t, 0);                     /* GPE1_BLK_LEN */
    acpi_put_u8(t, 0);                     /* GPE1_BASE */
    acpi_put_u8(t, 0);                     /* CST_CNT */
    acpi_put_u16(t, 0xfff);                /* P_LVL2_LAT: no C2 */
    acpi_put_u16(t, 0xfff);                /* P_LVL3_LAT: no C3 */
    acpi_put_u16(t, 0);                    /* FLUSH_SIZE */
    acpi_put_u16(t, 0);                    /* FLUSH_STRIDE */
    acpi_put_u8(t, 0);                     /* DUTY_OFFSET */
    acpi_put_u8(t, 0);                     /* DUTY_WIDTH */
    acpi_put_u8(t, 0);                     /* DAY_ALRM */
    acpi_put_u8(t, 0);                     /* MON_ALRM */
    acpi_put_u8(t, 0x32);                  /* CENTURY (CMOS index) */
    acpi_put_u16(t, 0);                    /* IAPC_BOOT_ARCH */
    acpi_put_u8(t, 0);                     /* reserved */
    /* WBINVD, PROC_C1, SLP_BUTTON (none), RTC_S4, platform clock. */
    acpi_put_u32(t, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 7) | (1u << 15));
    acpi_table_end(t, start);
    return start;
}

static unsigned build_madt(GByteArray *t, const PCAcpiConfig *cfg)
{
    static const uint8_t level_irqs[] = {5, 9, 10, 11};
    unsigned start = t->len;

    acpi_table_begin(t, "APIC", 1);
    acpi_put_u32(t, LAPIC_ADDR);
    acpi_put_u32(t, 1); /* PCAT_COMPAT: 8259s present */
    for (unsigned i = 0; i < cfg->ncpus; i++) {
        acpi_put_u8(t, 0); /* processor local APIC */
        acpi_put_u8(t, 8);
        acpi_put_u8(t, i);
        acpi_put_u8(t, cfg->apic_ids[i]);
        acpi_put_u32(t, 1); /* enabled */
    }
    acpi_put_u8(t, 1); /* I/O APIC */
    acpi_put_u8(t, 12);
    acpi_put_u8(t, 0); /* id */
    acpi_put_u8(t, 0);
    acpi_put_u32(t, IOAPIC_ADDR);
    acpi_put_u32(t, 0); /* GSI base */
    /* ISA IRQ 0 is IOAPIC pin 2; the PCI/SCI lines are level, high. */
    acpi_put_u8(t, 2);
    acpi_put_u8(t, 10);
    acpi_put_u8(t, 0);
    acpi_put_u8(t, 0);
    acpi_put_u32(t, 2);
    acpi_put_u16(t, 0);
    for (size_t i = 0; i < sizeof(level_irqs); i++) {
        acpi_put_u8(t, 2);
        acpi_put_u8(t, 10);
        acpi_put_u8(t, 0);
        acpi_put_u8(t, level_irqs[i]);
        acpi_put_u32(t, level_irqs[i]);
        acpi_put_u16(t, 0x000d); /* active high, level */
    }
    acpi_put_u8(t, 4); /* local APIC NMI: all CPUs, LINT1 */
    acpi_put_u8(t, 6);
    acpi_put_u8(t, 0xff);
    acpi_put_u16(t, 0);
    acpi_put_u8(t, 1);
    acpi_table_end(t, start);
    return start;
}

static unsigned build_hpet(GByteArray *t)
{
    unsigned start = t->len;

    acpi_table_begin(t, "HPET", 1);
    /* 8086 vendor, legacy capable, 64-bit, 3 comparators, rev 1. */
    acpi_put_u32(t, 0x8086a201);
    acpi_put_gas(t, 0, 0, 0, 0, HPET_ADDR);
    acpi_put_u8(t, 0);     /* HPET number */
    acpi_put_u16(t, 0x80); /* minimum clock tick */
    acpi_put_u8(t, 0);     /* page protection */
    acpi_table_end(t, start);
    return start;
}

/* ---- Firmware's table loader (QEMU's "etc/table-loader" format) ---- */

#define LOADER_ALLOCATE     1
#define LOADER_ADD_POINTER  2
#define LOADER_ADD_CHECKSUM 3
#define LOADER_ZONE_HIGH    1
#define LOADER_ZONE_FSEG    2
#define LOADER_FILE_LEN     56
#define LOADER_ENTRY_LEN    128

static uint8_t *loader_entry(GByteArray *l, uint32_t cmd)
{
    static const uint8_t zero[LOADER_ENTRY_LEN];
    uint8_t *e;

    g_byte_array_append(l, zero, LOADER_ENTRY_LEN);
    e = l->data + l->len - LOADER_ENTRY_LEN;
    acpi_patch_u32(l, l->len - LOADER_ENTRY_LEN, cmd);
    return e + 4;
}

static void loader_allocate(GByteArray *l, const char *file, uint32_t align,
                            uint8_t zone)
{
    uint8_t *e = loader_entry(l, LOADER_ALLOCATE);

    g_strlcpy((char *)e, file, LOADER_FILE_LEN);
    memcpy(e + LOADER_FILE_LEN, &align, 4); /* host is little-endian x86 */
    e[LOADER_FILE_LEN + 4] = zone;
}

static void loader_add_pointer(GByteArray *l, const char *dest, const char *src,
                               uint32_t offset, uint8_t size)
{
    uint8_t *e = loader_entry(l, LOADER_ADD_POINTER);

    g_strlcpy((char *)e, dest, LOADER_FILE_LEN);
    g_strlcpy((char *)e + LOADER_FILE_LEN, src, LOADER_FILE_LEN);
    memcpy(e + 2 * LOADER_FILE_LEN, &offset, 4);
    e[2 * LOADER_FILE_LEN + 4] = size;
}

static void loader_add_checksum(GByteArray *l, const char *file,
                                uint32_t offset, uint32_t start,
                                uint32_t length)
{
    uint8_t *e = loader_entry(l, LOADER_ADD_CHECKSUM);

    g_strlcpy((char *)e, file, LOADER_FILE_LEN);
    memcpy(e + LOADER_FILE_LEN, &offset, 4);
    memcpy(e + LOADER_FILE_LEN + 4, &start, 4);
    memcpy(e + LOADER_FILE_LEN + 8, &length, 4);
}

static uint32_t table_len(GByteArray *t, unsigned start)
{
    const uint8_t *p = t->data + start + 4;

    return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}

void pc_acpi_build(const PCAcpiConfig *cfg, uint32_t tables_addr,
                   GByteArray **tables, GByteArray **rsdp_out,
                   GByteArray **loader_out)
{
    GByteArray *t = g_byte_array_new();
    GByteArray *rsdp = g_byte_array_new();
    unsigned facs, dsdt, fadt, madt, hpet = 0, rsdt, xsdt;
    unsigned entries[3], n = 0;

    facs = build_facs(t); /* first: 64-byte alignment for free */
    dsdt = build_dsdt(t, cfg);
    align_blob(t, 8);
    fadt = build_fadt(t, tables_addr + facs, tables_addr + dsdt);
    entries[n++] = fadt;
    align_blob(t, 8);
    madt = build_madt(t, cfg);
    entries[n++] = madt;
    if (cfg->hpet) {
        align_blob(t, 8);
        hpet = build_hpet(t);
        entries[n++] = hpet;
    }
    align_blob(t, 8);
    rsdt = t->len;
    acpi_table_begin(t, "RSDT", 1);
    for (unsigned i = 0; i < n; i++) {
        acpi_put_u32(t, tables_addr + entries[i]);
    }
    acpi_table_end(t, rsdt);
    align_blob(t, 8);
    xsdt = t->len;
    acpi_table_begin(t, "XSDT", 1);
    for (unsigned i = 0; i < n; i++) {
        acpi_put_u64(t, tables_addr + entries[i]);
    }
    acpi_table_end(t, xsdt);

    acpi_put_bytes(rsdp, "RSD PTR ", 8);
    acpi_put_u8(rsdp, 0); /* checksum of the first 20 bytes */
    acpi_put_bytes(rsdp, ACPI_OEM_ID, 6);
    acpi_put_u8(rsdp, 2); /* revision: ACPI 2.0+ (XSDT) */
    acpi_put_u32(rsdp, tables_addr + rsdt);
    acpi_put_u32(rsdp, 36);
    acpi_put_u64(rsdp, tables_addr + xsdt);
    acpi_put_u8(rsdp, 0); /* extended checksum */
    acpi_put_u8(rsdp, 0);
    acpi_put_u16(rsdp, 0);
    rsdp->data[8] = acpi_checksum(rsdp->data, 20);
    rsdp->data[32] = acpi_checksum(rsdp->data, 36);
    *tables = t;
    *rsdp_out = rsdp;

    if (loader_out) {
        /* Built at tables_addr 0: every pointer is an offset to relocate. */
        GByteArray *l = g_byte_array_new();
        const char *T = ACPI_BUILD_TABLE_FILE, *R = ACPI_BUILD_RSDP_FILE;
        unsigned sums[6], nsums = 0;

        sums[nsums++] = dsdt;
        sums[nsums++] = fadt;
        sums[nsums++] = madt;
        if (cfg->hpet) {
            sums[nsums++] = hpet;
        }
        sums[nsums++] = rsdt;
        sums[nsums++] = xsdt;
        loader_allocate(l, R, 16, LOADER_ZONE_FSEG);
        loader_allocate(l, T, 64, LOADER_ZONE_HIGH);
        loader_add_pointer(l, T, T, fadt + 36, 4);
        loader_add_pointer(l, T, T, fadt + 40, 4);
        for (unsigned i = 0; i < n; i++) {
            loader_add_pointer(l, T, T, rsdt + 36 + 4 * i, 4);
            loader_add_pointer(l, T, T, xsdt + 36 + 8 * i, 8);
        }
        loader_add_pointer(l, R, T, 16, 4);
        loader_add_pointer(l, R, T, 24, 8);
        for (unsigned i = 0; i < nsums; i++) {
            loader_add_checksum(l, T, sums[i] + 9, sums[i],
                                table_len(t, sums[i]));
        }
        loader_add_checksum(l, R, 8, 0, 20);
        loader_add_checksum(l, R, 32, 0, 36);
        *loader_out = l;
    }
}
