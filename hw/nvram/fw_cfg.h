/*
 * QEMU's firmware configuration interface (fw_cfg): numbered items and
 * named files that firmware and boot loaders read (docs: QEMU's
 * docs/specs/fw_cfg.rst, the interface only).
 *
 *     FWCfgState *fw = fw_cfg_init_io(FW_CFG_IO_BASE, true, errp);
 *     fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, smp);
 *     fw_cfg_add_file(fw, "etc/e820", table, size);   data not copied
 */
#ifndef HW_NVRAM_FW_CFG_H
#define HW_NVRAM_FW_CFG_H

#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

#define FW_CFG_IO_BASE 0x510

/* Items (the selector values). */
#define FW_CFG_SIGNATURE      0x00
#define FW_CFG_ID             0x01
#define FW_CFG_UUID           0x02
#define FW_CFG_RAM_SIZE       0x03
#define FW_CFG_NOGRAPHIC      0x04
#define FW_CFG_NB_CPUS        0x05
#define FW_CFG_MACHINE_ID     0x06
#define FW_CFG_KERNEL_ADDR    0x07
#define FW_CFG_KERNEL_SIZE    0x08
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR    0x0a
#define FW_CFG_INITRD_SIZE    0x0b
#define FW_CFG_BOOT_DEVICE    0x0c
#define FW_CFG_NUMA           0x0d
#define FW_CFG_BOOT_MENU      0x0e
#define FW_CFG_MAX_CPUS       0x0f
#define FW_CFG_KERNEL_ENTRY   0x10
#define FW_CFG_KERNEL_DATA    0x11
#define FW_CFG_INITRD_DATA    0x12
#define FW_CFG_CMDLINE_ADDR   0x13
#define FW_CFG_CMDLINE_SIZE   0x14
#define FW_CFG_CMDLINE_DATA   0x15
#define FW_CFG_SETUP_ADDR     0x16
#define FW_CFG_SETUP_SIZE     0x17
#define FW_CFG_SETUP_DATA     0x18
#define FW_CFG_FILE_DIR       0x19
#define FW_CFG_FILE_FIRST     0x20
#define FW_CFG_ARCH_LOCAL     0x8000
#define FW_CFG_ACPI_TABLES    (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE  (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE     (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET           (FW_CFG_ARCH_LOCAL + 4)

typedef struct FWCfgState FWCfgState;

/* Creates and realizes the "fw_cfg_io" device at iobase (DMA at +4). */
FWCfgState *fw_cfg_init_io(uint16_t iobase, bool dma, Error **errp);
/* The instance, once created (NULL before). */
FWCfgState *fw_cfg_find(void);

/* The data must stay valid; fw_cfg does not copy or free it. */
void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data,
                      size_t len);
/* These copy (little-endian values). */
void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t v);
void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t v);
void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t v);
void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *v);
/* Files: sorted by name in the directory; the key is assigned. */
void fw_cfg_add_file(FWCfgState *s, const char *name, const void *data,
                     size_t len);
/* Replaces a file's contents (adds it if missing). */
void fw_cfg_modify_file(FWCfgState *s, const char *name, const void *data,
                        size_t len);

#endif
