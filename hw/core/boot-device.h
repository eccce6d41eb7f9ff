/*
 * Boot devices: the bootindex= property of bootable devices, turned into
 * the "bootorder" list that SeaBIOS reads from fw_cfg.
 *
 *     realize:  boot_device_add(s->bootindex, dev, "/pci@i0cf8/ide@1,1/"
 *                               "drive@0/disk@0", errp);
 *     board:    data = boot_device_list(&len);   at every reset
 */
#ifndef HW_CORE_BOOT_DEVICE_H
#define HW_CORE_BOOT_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "hw/core/qdev.h"

/*
 * Records dev with priority bootindex (nothing when bootindex < 0) and its
 * OpenFirmware device path.  Fails as QEMU does when the index is taken.
 */
bool boot_device_add(int32_t bootindex, DeviceState *dev, const char *fw_path,
                     Error **errp);
/* A boot ROM ("/rom@genroms/linuxboot.bin"): bootindex 0, before devices. */
void boot_device_add_rom(const char *fw_path);
/*
 * The paths by increasing bootindex, one per line, NUL-terminated; *len
 * counts the NUL (an empty list is "" with *len 1).  Free with g_free.
 */
char *boot_device_list(size_t *len);

#endif
