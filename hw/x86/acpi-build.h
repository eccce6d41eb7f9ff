/*
 * ACPI tables of the pc machine.
 */
#ifndef HW_X86_ACPI_BUILD_H
#define HW_X86_ACPI_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef struct PCAcpiConfig {
    unsigned ncpus;
    const uint32_t *apic_ids;
    uint64_t below_4g; /* RAM below 4 GiB: the PCI hole starts here */
    bool hpet;
    /* ISA serial ports present (bit i: COMi+1). */
    unsigned serial_mask;
} PCAcpiConfig;

#define ACPI_BUILD_TABLE_FILE  "etc/acpi/tables"
#define ACPI_BUILD_RSDP_FILE   "etc/acpi/rsdp"
#define ACPI_BUILD_LOADER_FILE "etc/table-loader"

/*
 * Builds RSDT, XSDT, FADT, FACS, DSDT, MADT (and HPET) into *tables, laid
 * out for guest address tables_addr, and the RSDP (36 bytes, revision 2)
 * pointing at them into *rsdp.  With loader non-NULL, also the firmware's
 * "etc/table-loader" commands (allocate both files, relocate every
 * pointer, fix every checksum); then tables_addr should be 0.
 */
void pc_acpi_build(const PCAcpiConfig *cfg, uint32_t tables_addr,
                   GByteArray **tables, GByteArray **rsdp, GByteArray **loader);

#endif
