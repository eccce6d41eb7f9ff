/*
 * linux: a guest built as a bzImage (tests/guests/build.py adds the setup
 * header) that checks what a boot loader hands a Linux kernel through the
 * 32-bit boot protocol: ESI = boot_params with the setup header copied,
 * the loader type, the command line, the initrd and the e820 map, and the
 * __BOOT_CS/__BOOT_DS flat segments.
 */
#include "lib.h"

extern uint32_t linux_boot_params, linux_entry_cs, linux_entry_ds;

#define BP_E820_ENTRIES 0x1e8
#define BP_HDR_MAGIC 0x202
#define BP_VERSION 0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS 0x211
#define BP_CODE32_START 0x214
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_CMD_LINE_PTR 0x228
#define BP_E820_TABLE 0x2d0

void guest_main(void)
{
    const uint8_t *bp = (const uint8_t *)linux_boot_params;
    uint32_t rd, rdsize, n;
    bool ok = true;

    printf("linux: boot_params at %x, CS %x DS %x\n", linux_boot_params,
           linux_entry_cs & 0xffff, linux_entry_ds & 0xffff);
    ok &= (linux_entry_cs & 0xffff) == 0x10 && (linux_entry_ds & 0xffff) == 0x18;
    if (!bp || memcmp(bp + BP_HDR_MAGIC, "HdrS", 4)) {
        puts("linux: no setup header in boot_params\n");
        guest_exit(false);
    }
    printf("linux: protocol %x loader %x loadflags %x code32_start %x\n",
           *(const uint16_t *)(bp + BP_VERSION), bp[BP_TYPE_OF_LOADER],
           bp[BP_LOADFLAGS], *(const uint32_t *)(bp + BP_CODE32_START));
    ok &= bp[BP_TYPE_OF_LOADER] != 0;
    printf("linux: cmdline '%s'\n",
           (const char *)*(const uint32_t *)(bp + BP_CMD_LINE_PTR));
    rd = *(const uint32_t *)(bp + BP_RAMDISK_IMAGE);
    rdsize = *(const uint32_t *)(bp + BP_RAMDISK_SIZE);
    if (rdsize) {
        printf("linux: initrd at %x, %u bytes, '", rd, rdsize);
        for (uint32_t i = 0; i < rdsize && i < 24; i++) {
            char c = ((const char *)rd)[i];
            serial_putc(c >= ' ' && c < 127 ? c : '.');
        }
        puts("'\n");
        ok &= (rd & 4095) == 0;
    }
    n = bp[BP_E820_ENTRIES];
    printf("linux: %u e820 entries\n", n);
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t *e = (const uint32_t *)(bp + BP_E820_TABLE + 20 * i);
        printf("linux: e820 %08x%08x %08x%08x %u\n", e[1], e[0], e[3], e[2],
               e[4]);
        /* The initrd must sit in RAM. */
        if (rdsize && e[4] == 1 && e[1] == 0 && rd >= e[0] &&
            rd + rdsize <= e[0] + e[2]) {
            puts("linux: initrd is inside e820 RAM\n");
        }
    }
    ok &= n >= 3;
    printf("linux: acpi_rsdp_addr %x\n", *(const uint32_t *)(bp + 0x70));
    guest_exit(ok);
}
