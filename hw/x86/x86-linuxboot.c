/*
 * -kernel through the firmware: what QEMU does for a Linux bzImage when
 * the machine runs SeaBIOS.  The kernel's parts and their load addresses
 * go into fw_cfg, the "genroms/linuxboot.bin" option ROM
 * (optionrom/linuxboot.S) copies them into place when SeaBIOS boots it
 * and enters Linux's real-mode setup code, which then asks the firmware
 * for the memory map, video mode and so on like on real hardware.
 *
 * Memory layout (Documentation/x86/boot.rst, "Loading the rest of the
 * kernel"): real-mode part at 0x10000 with its heap and stack up to
 * 0x1ffff, command line at 0x20000, protected-mode part at 1 MiB, initrd
 * at the top of low RAM below the kernel's initrd_addr_max, 1 MiB under
 * the end of RAM (where the firmware keeps its tables).
 */
#include <string.h>

#include "hw/core/boot-device.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/x86/linuxboot-rom.h"
#include "hw/x86/x86-boot.h"
#include "hw/x86/x86-linux-setup.h"

#define SETUP_ADDR   0x10000
#define CMDLINE_ADDR 0x20000
#define FW_RESERVED  (1024 * 1024)

int x86_linuxboot_fw_cfg(FWCfgState *fw_cfg, const char *kernel,
                         const char *cmdline, const char *initrd,
                         uint64_t below_4g, Error **errp)
{
    gchar *k;
    gsize len;
    GError *gerr = NULL;
    X86LinuxHeader h;
    size_t cmdlen = strlen(cmdline);
    /* the firmware keeps its tables in the top 1 MiB of low RAM */
    uint64_t ram_top = below_4g > FW_RESERVED ? below_4g - FW_RESERVED : 0;
    uint8_t *setup;

    if (!g_file_get_contents(kernel, &k, &len, &gerr)) {
        error_setg(errp, "-kernel %s: %s", kernel, gerr->message);
        g_error_free(gerr);
        return -1;
    }
    if (len < 0x240 || memcmp(k + HEADER_MAGIC, "HdrS", 4) ||
        ld16((uint8_t *)k + BOOT_FLAG) != 0xaa55) {
        g_free(k);
        return 0; /* not a bzImage this ROM can start */
    }
    x86_linux_header((uint8_t *)k, len, &h);
    if (h.version < 0x0202 || !(k[LOADFLAGS] & LOADED_HIGH)) {
        g_free(k);
        return 0;
    }
    if (h.setup_size >= len ||
        h.setup_size > CMDLINE_ADDR - SETUP_ADDR - 0x1000) {
        error_setg(errp, "-kernel %s: bad setup size", kernel);
        g_free(k);
        return -1;
    }
    if (!x86_linux_fits(&h, kernel, cmdlen, SIZE_MAX, ram_top, errp)) {
        g_free(k);
        return -1;
    }

    setup = g_memdup2(k, h.setup_size);
    x86_linux_setup_fill(setup, CMDLINE_ADDR);

    if (initrd && *initrd) {
        size_t dlen;
        uint64_t addr;
        void *data =
            x86_linux_initrd(&h, initrd, ram_top, setup, &dlen, &addr, errp);
        if (!data) {
            g_free(setup);
            g_free(k);
            return -1;
        }
        fw_cfg_add_i32(fw_cfg, FW_CFG_INITRD_ADDR, addr);
        fw_cfg_add_i32(fw_cfg, FW_CFG_INITRD_SIZE, dlen);
        fw_cfg_add_bytes(fw_cfg, FW_CFG_INITRD_DATA, data, dlen);
    }

    /* fw_cfg keeps pointers: the buffers live as long as the machine. */
    fw_cfg_add_i32(fw_cfg, FW_CFG_SETUP_ADDR, SETUP_ADDR);
    fw_cfg_add_i32(fw_cfg, FW_CFG_SETUP_SIZE, h.setup_size);
    fw_cfg_add_bytes(fw_cfg, FW_CFG_SETUP_DATA, setup, h.setup_size);
    fw_cfg_add_i32(fw_cfg, FW_CFG_KERNEL_ADDR, LINUX_KERNEL_ADDR);
    fw_cfg_add_i32(fw_cfg, FW_CFG_KERNEL_SIZE, h.kernel_size);
    fw_cfg_add_bytes(fw_cfg, FW_CFG_KERNEL_DATA, k + h.setup_size,
                     h.kernel_size);
    fw_cfg_add_i32(fw_cfg, FW_CFG_CMDLINE_ADDR, CMDLINE_ADDR);
    fw_cfg_add_i32(fw_cfg, FW_CFG_CMDLINE_SIZE, cmdlen + 1);
    fw_cfg_add_bytes(fw_cfg, FW_CFG_CMDLINE_DATA, g_strdup(cmdline),
                     cmdlen + 1);
    fw_cfg_add_file(fw_cfg, "genroms/linuxboot.bin", linuxboot_rom,
                    sizeof(linuxboot_rom));
    boot_device_add_rom("/rom@genroms/linuxboot.bin");
    return 1;
}
