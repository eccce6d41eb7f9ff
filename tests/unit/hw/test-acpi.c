/*
 * Unit tests of the pc machine's ACPI tables and the AML encoder: every
 * table checksums to zero, the RSDP points at RSDT and XSDT, the FADT at
 * the FACS and DSDT, the MADT lists each CPU, and \_S5 is the package
 * {0, 0, 0, 0} the PIIX4 PM treats as soft-off.
 */
#include <string.h>
#include <glib.h>

#include "hw/acpi/aml-build.h"
#include "hw/x86/acpi-build.h"

#define BASE 0x7fe0000u

static uint32_t ld32(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--) {
        s += *p++;
    }
    return s;
}

/* The table at guest address addr inside the blob. */
static const uint8_t *table_at(GByteArray *t, uint32_t addr, const char *sig)
{
    const uint8_t *p;

    g_assert_cmpuint(addr, >=, BASE);
    g_assert_cmpuint(addr - BASE + 36, <=, t->len);
    p = t->data + (addr - BASE);
    g_assert_cmpmem(p, 4, sig, 4);
    g_assert_cmpuint(ld32(p + 4), <=, t->len - (addr - BASE));
    g_assert_cmpuint(sum(p, ld32(p + 4)), ==, 0);
    return p;
}

static void test_tables(void)
{
    static const uint32_t ids[4] = {0, 1, 2, 3};
    PCAcpiConfig cfg = {.ncpus = 4,
                        .apic_ids = ids,
                        .below_4g = 128 << 20,
                        .hpet = true,
                        .serial_mask = 1};
    GByteArray *t, *rsdp;
    const uint8_t *rsdt, *xsdt, *fadt, *dsdt, *madt, *p, *end;
    unsigned cpus = 0;
    bool s5 = false;

    pc_acpi_build(&cfg, BASE, &t, &rsdp, NULL);
    g_assert_cmpuint(rsdp->len, ==, 36);
    g_assert_cmpmem(rsdp->data, 8, "RSD PTR ", 8);
    g_assert_cmpuint(sum(rsdp->data, 20), ==, 0);
    g_assert_cmpuint(sum(rsdp->data, 36), ==, 0);
    g_assert_cmpuint(rsdp->data[15], ==, 2);
    rsdt = table_at(t, ld32(rsdp->data + 16), "RSDT");
    xsdt = table_at(t, ld32(rsdp->data + 24), "XSDT");
    g_assert_cmpuint(ld32(rsdt + 4), ==, 36 + 3 * 4); /* FACP APIC HPET */
    g_assert_cmpuint(ld32(xsdt + 4), ==, 36 + 3 * 8);
    fadt = table_at(t, ld32(rsdt + 36), "FACP");
    madt = table_at(t, ld32(rsdt + 40), "APIC");
    table_at(t, ld32(rsdt + 44), "HPET");
    g_assert_cmpuint(ld32(xsdt + 36), ==, ld32(rsdt + 36));
    g_assert_cmpmem(t->data + (ld32(fadt + 36) - BASE), 4, "FACS", 4);
    g_assert_cmpuint((ld32(fadt + 36) - BASE) % 64, ==, 0);
    dsdt = table_at(t, ld32(fadt + 40), "DSDT");
    g_assert_cmpuint(ld32(fadt + 64), ==, 0x604); /* PM1a_CNT */
    g_assert_cmpuint(ld32(fadt + 76), ==, 0x608); /* PM_TMR */

    for (p = madt + 44, end = madt + ld32(madt + 4); p < end; p += p[1]) {
        if (p[0] == 0) {
            g_assert_cmpuint(p[3], ==, ids[cpus]);
            cpus++;
        }
    }
    g_assert_cmpuint(cpus, ==, 4);

    for (uint32_t i = 36; i + 10 < ld32(dsdt + 4); i++) {
        /* Name(_S5_, Package(4) {Zero, Zero, Zero, Zero}) */
        static const uint8_t want[] = {'_',  'S',  '5',  '_',  0x12, 0x06,
                                       0x04, 0x00, 0x00, 0x00, 0x00};
        if (!memcmp(dsdt + i, want, sizeof(want))) {
            s5 = true;
        }
    }
    g_assert_true(s5);
    g_assert_nonnull(memmem(dsdt, ld32(dsdt + 4), "PCI0", 4));
    g_assert_nonnull(memmem(dsdt, ld32(dsdt + 4), "COM1", 4));
    g_assert_null(memmem(dsdt, ld32(dsdt + 4), "COM2", 4));
    g_byte_array_free(t, true);
    g_byte_array_free(rsdp, true);
}

/* PkgLength: 1 byte below 63, then 2 bytes with the low nibble first. */
static void test_pkglength(void)
{
    Aml *small = aml_scope("ABCD");
    Aml *big = aml_scope("ABCD");
    GByteArray *b;

    b = aml_finish(small);
    g_assert_cmpuint(b->len, ==, 6);
    g_assert_cmpuint(b->data[0], ==, 0x10); /* ScopeOp */
    g_assert_cmpuint(b->data[1], ==, 5);    /* PkgLength counts itself */
    g_byte_array_free(b, true);

    for (int i = 0; i < 30; i++) {
        aml_append(big, aml_name_decl("X___", aml_int(0x1234)));
    }
    b = aml_finish(big);
    /* body = 4 (name) + 30 * 8 = 244 bytes, 2-byte PkgLength = 246 */
    g_assert_cmpuint(b->len, ==, 1 + 2 + 244);
    g_assert_cmpuint(b->data[1], ==, 0x40 | (246 & 0xf));
    g_assert_cmpuint(b->data[2], ==, 246 >> 4);
    g_byte_array_free(b, true);
}

static void test_integers_and_eisaid(void)
{
    static const struct {
        uint64_t v;
        unsigned len;
        uint8_t op;
    } cases[] = {
        {0, 1, 0x00},      {1, 1, 0x01},       {2, 2, 0x0a},
        {0x1234, 3, 0x0b}, {0x12345, 5, 0x0c}, {1ull << 40, 9, 0x0e},
    };
    GByteArray *b;

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        b = aml_finish(aml_int(cases[i].v));
        g_assert_cmpuint(b->len, ==, cases[i].len);
        g_assert_cmpuint(b->data[0], ==, cases[i].op);
        g_byte_array_free(b, true);
    }
    /* EisaId("PNP0A03") = 0x030ad041 little-endian as a DWord. */
    b = aml_finish(aml_eisaid("PNP0A03"));
    g_assert_cmpuint(b->data[0], ==, 0x0c);
    g_assert_cmpuint(ld32(b->data + 1), ==, 0x030ad041);
    g_byte_array_free(b, true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hw/acpi/pc-tables", test_tables);
    g_test_add_func("/hw/acpi/aml-pkglength", test_pkglength);
    g_test_add_func("/hw/acpi/aml-integers", test_integers_and_eisaid);
    return g_test_run();
}
