/*
 * A small builder for ACPI tables and AML (ACPI 6.x spec, ch. 5.2 tables
 * and ch. 20 AML encoding).  An Aml is a growable byte string; the
 * constructors return new ones and aml_append() moves a child into its
 * parent (freeing the child):
 *
 *     Aml *dsdt = aml_new();
 *     Aml *dev = aml_device("COM1");
 *     aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0501")));
 *     aml_append(dsdt, dev);
 */
#ifndef HW_ACPI_AML_BUILD_H
#define HW_ACPI_AML_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef struct Aml {
    GByteArray *buf;
    int block; /* 0: plain; else the opcode of a PkgLength-wrapped block */
    GByteArray *head; /* opcode and name, before the PkgLength */
} Aml;

Aml *aml_new(void);
void aml_free(Aml *a);
/* Appends child's encoding (closing its PkgLength) and frees child. */
void aml_append(Aml *parent, Aml *child);
/* The finished bytes (closes a top-level block); caller frees. */
GByteArray *aml_finish(Aml *a);

/* Data objects. */
Aml *aml_int(uint64_t v);
Aml *aml_string(const char *s);
Aml *aml_eisaid(const char *id); /* "PNP0A03" -> compressed DWord */
Aml *aml_package(void);          /* elements appended; count patched */

/* Named objects and blocks. */
Aml *aml_name_decl(const char *name, Aml *value);
Aml *aml_scope(const char *name);
Aml *aml_device(const char *name);
Aml *aml_method(const char *name, int nargs);
Aml *aml_return(Aml *value);

/* Resource templates (a Buffer ending with an End Tag). */
Aml *aml_resource_template(void);
void aml_res_io(Aml *rt, uint16_t base, uint8_t len);
void aml_res_irq(Aml *rt, uint8_t irq);
void aml_res_mem32_fixed(Aml *rt, uint32_t base, uint32_t len, bool rw);
void aml_res_word_bus(Aml *rt, uint16_t min, uint16_t max);
void aml_res_word_io(Aml *rt, uint16_t min, uint16_t max);
void aml_res_dword_mem(Aml *rt, uint32_t min, uint32_t max, bool cacheable);
void aml_res_qword_mem(Aml *rt, uint64_t min, uint64_t max);

/* Tables: a 36-byte header with QEMU's OEM ids, checksum fixed last. */
void acpi_table_begin(GByteArray *t, const char *sig, uint8_t rev);
void acpi_table_end(GByteArray *t, unsigned start);
uint8_t acpi_checksum(const uint8_t *p, size_t len);
void acpi_put_u8(GByteArray *t, uint8_t v);
void acpi_put_u16(GByteArray *t, uint16_t v);
void acpi_put_u32(GByteArray *t, uint32_t v);
void acpi_put_u64(GByteArray *t, uint64_t v);
void acpi_put_bytes(GByteArray *t, const void *p, size_t n);
/* Generic Address Structure (12 bytes). */
void acpi_put_gas(GByteArray *t, uint8_t space, uint8_t bits, uint8_t offset,
                  uint8_t access, uint64_t addr);
void acpi_patch_u32(GByteArray *t, unsigned off, uint32_t v);
void acpi_patch_u64(GByteArray *t, unsigned off, uint64_t v);

#define ACPI_OEM_ID       "BOCHS "
#define ACPI_OEM_TABLE_ID "BXPC    "

#endif
