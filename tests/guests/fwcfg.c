/*
 * fwcfg: QEMU's firmware configuration device.  Reads the signature
 * (key 0), the feature bits (key 1), RAM size and CPU count, the file
 * directory (key 0x19), and, when the DMA feature is offered, checks the
 * DMA signature at 0x514 and reads the directory again by DMA.
 */
#include "lib.h"

struct dma_access {
    uint32_t control, length;
    uint64_t address;
} __attribute__((packed, aligned(16)));

static uint8_t dir_pio[4096], dir_dma[4096];

void guest_main(void)
{
    char sig[5] = { 0 };
    uint32_t features, count, dirlen;
    uint64_t ram;
    uint16_t cpus;
    bool ok = true;

    fw_cfg_read(0x00, sig, 4);
    printf("fwcfg: signature '%s'\n", sig);
    ok &= !memcmp(sig, "QEMU", 4);
    fw_cfg_read(0x01, &features, 4);
    fw_cfg_read(0x03, &ram, 8);
    fw_cfg_read(0x05, &cpus, 2);
    printf("fwcfg: features %x ram %llx cpus %u\n", features, ram, cpus);

    fw_cfg_read(0x19, &count, 4);
    count = __builtin_bswap32(count);
    dirlen = 4 + count * 64;
    printf("fwcfg: %u files\n", count);
    if (dirlen > sizeof(dir_pio)) {
        guest_exit(false);
    }
    fw_cfg_read(0x19, dir_pio, dirlen);
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = dir_pio + 4 + i * 64;
        uint32_t size = __builtin_bswap32(*(const uint32_t *)e);
        uint16_t key = __builtin_bswap16(*(const uint16_t *)(e + 4));
        printf("fwcfg: file %04x %u '%s'\n", key, size,
               (const char *)(e + 8));
    }

    if (features & 2) {
        static struct dma_access dma;
        uint32_t hi = inl(0x514), lo = inl(0x518);
        char dsig[9] = { 0 };
        memcpy(dsig, &hi, 4);
        memcpy(dsig + 4, &lo, 4);
        printf("fwcfg: dma signature '%s'\n", dsig);
        ok &= !memcmp(dsig, "QEMU CFG", 8);

        /* control: select (bit 3) key 0x19 (bits 16-31) + read (bit 1) */
        dma.control = __builtin_bswap32((0x19u << 16) | 0x08 | 0x02);
        dma.length = __builtin_bswap32(dirlen);
        dma.address = (uint64_t)__builtin_bswap32((uint32_t)dir_dma) << 32;
        outl(0x514, 0);
        outl(0x518, __builtin_bswap32((uint32_t)&dma));
        printf("fwcfg: dma control after %x\n",
               __builtin_bswap32(dma.control));
        ok &= dma.control == 0;
        ok &= !memcmp(dir_pio, dir_dma, dirlen);
        printf("fwcfg: dma directory %s\n",
               memcmp(dir_pio, dir_dma, dirlen) ? "differs" : "matches");
    }
    guest_exit(ok && count > 0);
}
