/*
 * Direct kernel boot for x86 machines without firmware: Linux bzImage
 * (the 32-bit boot protocol) and multiboot v1 kernels (ELF or a.out
 * kludge, -initrd as a comma-separated module list), plus the list of
 * blobs that every machine reset copies back into guest memory.
 */
#ifndef HW_X86_X86_BOOT_H
#define HW_X86_X86_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hw/x86/x86-cpu.h"
#include "util/error.h"

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3
#define E820_NVS      4

typedef struct __attribute__((packed)) E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

/* Flat GDT for boot entry: code at 0x10, data at 0x18 (Linux __BOOT_*). */
#define X86_BOOT_GDT_ADDR 0x500
#define X86_BOOT_CS       0x10
#define X86_BOOT_DS       0x18

typedef struct X86BootInfo {
    /* In. */
    const char *kernel_filename;
    const char *cmdline;         /* -append, never NULL */
    const char *initrd_filename; /* NULL if none */
    uint64_t low_ram_end;  /* first byte below 4 GiB the loader must avoid */
    const E820Entry *e820; /* the guest's memory map */
    unsigned e820_count;
    uint64_t acpi_rsdp; /* where the RSDP is, 0 if none */
    /* Out: the boot CPU's entry state. */
    X86CPUState entry;
} X86BootInfo;

/* Loads a multiboot or bzImage kernel; false with errp naming the file. */
bool x86_load_kernel(X86BootInfo *bi, Error **errp);

/*
 * -kernel with firmware: puts a Linux bzImage, -initrd and -append into
 * fw_cfg with the "genroms/linuxboot.bin" option ROM that loads them, first
 * in the boot order.  Returns 1, 0 when the kernel is not a bzImage the
 * ROM can start (nothing done), -1 with errp set.
 */
typedef struct FWCfgState FWCfgState;
int x86_linuxboot_fw_cfg(FWCfgState *fw_cfg, const char *kernel,
                         const char *cmdline, const char *initrd,
                         uint64_t below_4g, Error **errp);

/* Blobs copied to guest memory at every machine reset (takes data). */
void x86_rom_add(uint64_t addr, void *data, size_t len);
void x86_rom_reset(void *opaque);

#endif
