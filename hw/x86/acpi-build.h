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

/*
 * Builds RSDT, XSDT, FADT, FACS, DSDT, MADT (and HPET) into *tables, laid
 * out for guest address tables_addr, and the RSDP (36 bytes, revision 2)
 * pointing at them into *rsdp.
 */
void pc_acpi_build(const PCAcpiConfig *cfg, uint32_t tables_addr,
                   GByteArray **tables, GByteArray **rsdp);

#endif
