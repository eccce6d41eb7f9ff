/*
 * The Linux boot protocol (Documentation/x86/boot.rst) as both x86
 * loaders use it: direct boot (x86-boot.c, boot_params in guest RAM) and
 * the firmware path (x86-linuxboot.c, the setup part in fw_cfg).  Private
 * to hw/x86.
 */
#ifndef HW_X86_X86_LINUX_SETUP_H
#define HW_X86_X86_LINUX_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

/* Setup header fields (offsets in the real-mode part / boot_params). */
#define SETUP_SECTS      0x1f1
#define BOOT_FLAG        0x1fe
#define HEADER_MAGIC     0x202
#define PROTOCOL_VERSION 0x206
#define TYPE_OF_LOADER   0x210
#define LOADFLAGS        0x211
#define CODE32_START     0x214
#define RAMDISK_IMAGE    0x218
#define RAMDISK_SIZE     0x21c
#define HEAP_END_PTR     0x224
#define CMD_LINE_PTR     0x228
#define INITRD_ADDR_MAX  0x22c
#define CMDLINE_SIZE     0x238
#define LOADED_HIGH      0x01
#define CAN_USE_HEAP     0x80

/* The protected-mode part is loaded at 1 MiB by both loaders. */
#define LINUX_KERNEL_ADDR 0x100000

/* Little-endian fields of the header. */
static inline uint16_t ld16(const uint8_t *p)
{
    return p[0] | (p[1] << 8);
}
static inline uint32_t ld32(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void st16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}
static inline void st32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = v >> (8 * i);
    }
}
static inline void st64(uint8_t *p, uint64_t v)
{
    st32(p, v);
    st32(p + 4, v >> 32);
}

/* What the loaders need of a bzImage's setup header. */
typedef struct X86LinuxHeader {
    uint16_t version;
    unsigned setup_size;  /* the real-mode part, bytes */
    size_t kernel_size;   /* the protected-mode part, bytes */
    uint32_t initrd_max;  /* the highest byte an initrd may use */
    uint32_t cmdline_max; /* the longest command line it accepts */
} X86LinuxHeader;

/*
 * Reads the header of k (len bytes, magic checked by the caller).  Only
 * the first 0x200 bytes are read before the caller has checked
 * setup_size < len (setup_size is at least 1 KiB); kernel_size is valid
 * after that check.
 */
void x86_linux_header(const uint8_t *k, size_t len, X86LinuxHeader *h);

/*
 * The command line (cmdlen bytes; at most room) and the kernel (below
 * ram_top) fit; else false with errp naming -append or the file.
 */
bool x86_linux_fits(const X86LinuxHeader *h, const char *file, size_t cmdlen,
                    size_t room, uint64_t ram_top, Error **errp);

/*
 * Reads -initrd file and places it as high as the kernel allows below
 * ram_top, page aligned, above the kernel; records it in setup's
 * RAMDISK_IMAGE/SIZE.  Returns the data (g_free) and sets *size and
 * *addr, or NULL with errp set.
 */
void *x86_linux_initrd(const X86LinuxHeader *h, const char *file,
                       uint64_t ram_top, uint8_t *setup, size_t *size,
                       uint64_t *addr, Error **errp);

/* The loader fields: loader id, heap up to 0xfe00, the command line. */
void x86_linux_setup_fill(uint8_t *setup, uint32_t cmdline_addr);

#endif
