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

#define SETUP_ADDR   0x10000
#define CMDLINE_ADDR 0x20000
#define KERNEL_ADDR  0x100000
#define FW_RESERVED  (1024 * 1024)

/* Setup header fields (offsets in the real-mode part). */
#define SETUP_SECTS      0x1f1
#define BOOT_FLAG        0x1fe
#define HEADER_MAGIC     0x202
#define PROTOCOL_VERSION 0x206
#define TYPE_OF_LOADER   0x210
#define LOADFLAGS        0x211
#define RAMDISK_IMAGE    0x218
#define RAMDISK_SIZE     0x21c
#define HEAP_END_PTR     0x224
#define CMD_LINE_PTR     0x228
#define INITRD_ADDR_MAX  0x22c
#define CMDLINE_SIZE     0x238
#define LOADED_HIGH      0x01
#define CAN_USE_HEAP     0x80

static uint32_t ld32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void st32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

int x86_linuxboot_fw_cfg(FWCfgState *fw_cfg, const char *kernel,
                         const char *cmdline, const char *initrd,
                         uint64_t below_4g, Error **errp)
{
    gchar *k;
    gsize len;
    GError *gerr = NULL;
    unsigned setup_sects, setup_size;
    uint16_t version;
    uint32_t initrd_max = 0x37ffffff, cmdline_max = 255;
    size_t cmdlen = strlen(cmdline);
    uint8_t *setup;

    if (!g_file_get_contents(kernel, &k, &len, &gerr)) {
        error_setg(errp, "-kernel %s: %s", kernel, gerr->message);
        g_error_free(gerr);
        return -1;
    }
    version = len >= 0x210
                  ? k[PROTOCOL_VERSION] | (uint8_t)k[PROTOCOL_VERSION + 1] << 8
                  : 0;
    if (len < 0x240 || memcmp(k + HEADER_MAGIC, "HdrS", 4) ||
        (uint8_t)k[BOOT_FLAG] != 0x55 || (uint8_t)k[BOOT_FLAG + 1] != 0xaa ||
        version < 0x0202 || !(k[LOADFLAGS] & LOADED_HIGH)) {
        g_free(k);
        return 0; /* not a bzImage this ROM can start */
    }
    setup_sects = k[SETUP_SECTS] ? (uint8_t)k[SETUP_SECTS] : 4;
    setup_size = (setup_sects + 1) * 512;
    if (setup_size >= len || setup_size > CMDLINE_ADDR - SETUP_ADDR - 0x1000) {
        error_setg(errp, "-kernel %s: bad setup size", kernel);
        g_free(k);
        return -1;
    }
    if (version >= 0x0203) {
        initrd_max = ld32((uint8_t *)k + INITRD_ADDR_MAX);
    }
    if (version >= 0x0206) {
        cmdline_max = ld32((uint8_t *)k + CMDLINE_SIZE);
    }
    if (cmdlen > cmdline_max) {
        error_setg(errp,
                   "-append: kernel command line too long (%zu bytes, "
                   "%s accepts %u)",
                   cmdlen, kernel, cmdline_max);
        g_free(k);
        return -1;
    }
    if (KERNEL_ADDR + (len - setup_size) + FW_RESERVED > below_4g) {
        error_setg(errp, "-kernel %s: kernel does not fit in RAM", kernel);
        g_free(k);
        return -1;
    }

    setup = g_memdup2(k, setup_size);
    setup[TYPE_OF_LOADER] = 0xb0; /* QEMU's loader id */
    setup[LOADFLAGS] |= CAN_USE_HEAP;
    setup[HEAP_END_PTR] = 0x00; /* 0xfe00: heap + stack to 0x1ffff */
    setup[HEAP_END_PTR + 1] = 0xfe;
    st32(setup + CMD_LINE_PTR, CMDLINE_ADDR);

    if (initrd && *initrd) {
        gchar *data;
        gsize dlen;
        uint64_t top = MIN((uint64_t)initrd_max + 1, below_4g - FW_RESERVED);
        uint64_t addr;
        if (!g_file_get_contents(initrd, &data, &dlen, &gerr)) {
            error_setg(errp, "-initrd %s: %s", initrd, gerr->message);
            g_error_free(gerr);
            g_free(setup);
            g_free(k);
            return -1;
        }
        addr = (top - dlen) & ~(uint64_t)4095;
        if (dlen > top || addr < KERNEL_ADDR + (len - setup_size)) {
            error_setg(errp,
                       "-initrd %s: initrd is too large (%zu bytes) for "
                       "this memory size",
                       initrd, (size_t)dlen);
            g_free(data);
            g_free(setup);
            g_free(k);
            return -1;
        }
        st32(setup + RAMDISK_IMAGE, addr);
        st32(setup + RAMDISK_SIZE, dlen);
        fw_cfg_add_i32(fw_cfg, FW_CFG_INITRD_ADDR, addr);
        fw_cfg_add_i32(fw_cfg, FW_CFG_INITRD_SIZE, dlen);
        fw_cfg_add_bytes(fw_cfg, FW_CFG_INITRD_DATA, data, dlen);
    }

    /* fw_cfg keeps pointers: the buffers live as long as the machine. */
    fw_cfg_add_i32(fw_cfg, FW_CFG_SETUP_ADDR, SETUP_ADDR);
    fw_cfg_add_i32(fw_cfg, FW_CFG_SETUP_SIZE, setup_size);
    fw_cfg_add_bytes(fw_cfg, FW_CFG_SETUP_DATA, setup, setup_size);
    fw_cfg_add_i32(fw_cfg, FW_CFG_KERNEL_ADDR, KERNEL_ADDR);
    fw_cfg_add_i32(fw_cfg, FW_CFG_KERNEL_SIZE, len - setup_size);
    fw_cfg_add_bytes(fw_cfg, FW_CFG_KERNEL_DATA, k + setup_size,
                     len - setup_size);
    fw_cfg_add_i32(fw_cfg, FW_CFG_CMDLINE_ADDR, CMDLINE_ADDR);
    fw_cfg_add_i32(fw_cfg, FW_CFG_CMDLINE_SIZE, cmdlen + 1);
    fw_cfg_add_bytes(fw_cfg, FW_CFG_CMDLINE_DATA, g_strdup(cmdline),
                     cmdlen + 1);
    fw_cfg_add_file(fw_cfg, "genroms/linuxboot.bin", linuxboot_rom,
                    sizeof(linuxboot_rom));
    boot_device_add_rom("/rom@genroms/linuxboot.bin");
    return 1;
}
