/*
 * ATA disk test guest, loaded from the disk itself by diskboot.S through
 * the BIOS: checks what the boot sector read with INT 13h, then drives
 * the PIIX IDE primary master directly from protected mode:
 *
 *   INT13-DATA-OK    the 16 sectors at LBA 2048 loaded by INT 13h AH=42h
 *   ATA-IDENTIFY-OK  IDENTIFY DEVICE: LBA48 capacity past HIGH_LBA
 *   ATA-PIO-OK       READ SECTORS (LBA28), READ MULTIPLE
 *   ATA-LBA48-OK     READ SECTORS EXT above 2^28 sectors
 *   ATA-DMA-OK       READ DMA and READ DMA EXT through a PRD table
 *   ATA-WRITE-OK     WRITE SECTORS + WRITE DMA, FLUSH CACHE, read back
 *   ATA-ERROR-OK     a read past the end fails with IDNF, the disk goes on
 *
 * Sector contents (written by the test): 32-bit word i of sector lba is
 * pat(lba, i).  The writes at WRITE_LBA use pat(lba + WRITE_SALT, i) so
 * that the test can check the image afterwards.
 */
#include "lib.h"

#define CMD 0x1f0
#define DATA_LBA 2048
#define DATA_SECTORS 16
#define HIGH_LBA 0x10000010ull
#define WRITE_LBA 3000
#define WRITE_SALT 0x01000000u
#define INT13_BUF 0x20000

#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_BSY 0x80

static uint32_t pat(uint64_t lba, int i)
{
    return (uint32_t)lba * 0x9e3779b1u + (uint32_t)(lba >> 32) + i;
}

static bool check_sectors(const void *buf, uint64_t lba, int n, uint32_t salt)
{
    const uint32_t *p = buf;

    for (int s = 0; s < n; s++) {
        for (int i = 0; i < 128; i++) {
            if (p[s * 128 + i] != pat(lba + s + salt, i)) {
                printf("mismatch: sector %u word %d: %08x, want %08x\n",
                       (uint32_t)(lba + s), i, p[s * 128 + i],
                       pat(lba + s + salt, i));
                return false;
            }
        }
    }
    return true;
}

static void fill_sectors(void *buf, uint64_t lba, int n, uint32_t salt)
{
    uint32_t *p = buf;

    for (int s = 0; s < n; s++) {
        for (int i = 0; i < 128; i++) {
            p[s * 128 + i] = pat(lba + s + salt, i);
        }
    }
}

static uint8_t wait_idle(void)
{
    for (uint32_t n = 0; n < 100000000u; n++) {
        uint8_t st = inb(CMD + 7);
        if (!(st & ST_BSY)) {
            return st;
        }
    }
    printf("ATA timeout\n");
    guest_exit(false);
}

static void set_lba28(uint32_t lba, uint8_t count)
{
    outb(CMD + 6, 0xe0 | ((lba >> 24) & 0x0f));
    outb(CMD + 2, count);
    outb(CMD + 3, lba);
    outb(CMD + 4, lba >> 8);
    outb(CMD + 5, lba >> 16);
}

static void set_lba48(uint64_t lba, uint16_t count)
{
    outb(CMD + 6, 0x40);
    outb(CMD + 2, count >> 8);
    outb(CMD + 3, lba >> 24);
    outb(CMD + 4, lba >> 32);
    outb(CMD + 5, lba >> 40);
    outb(CMD + 2, count);
    outb(CMD + 3, lba);
    outb(CMD + 4, lba >> 8);
    outb(CMD + 5, lba >> 16);
}

/* PIO data-in of n sectors in blocks of per_drq sectors. */
static bool pio_in(void *buf, int n, int per_drq)
{
    uint16_t *p = buf;

    for (int done = 0; done < n; done += per_drq) {
        uint8_t st = wait_idle();
        if ((st & (ST_ERR | ST_DRQ)) != ST_DRQ) {
            printf("PIO in: status %02x error %02x\n", st, inb(CMD + 1));
            return false;
        }
        int words = 256 * (n - done < per_drq ? n - done : per_drq);
        for (int i = 0; i < words; i++) {
            *p++ = inw(CMD);
        }
    }
    return !(wait_idle() & ST_ERR);
}

static bool pio_out(const void *buf, int n)
{
    const uint16_t *p = buf;

    for (int s = 0; s < n; s++) {
        uint8_t st = wait_idle();
        if ((st & (ST_ERR | ST_DRQ)) != ST_DRQ) {
            printf("PIO out: status %02x\n", st);
            return false;
        }
        for (int i = 0; i < 256; i++) {
            outw(CMD, *p++);
        }
    }
    return !(wait_idle() & ST_ERR);
}

static uint32_t pci_read(int dev, int fn, int reg)
{
    outl(0xcf8, 0x80000000u | (dev << 11) | (fn << 8) | reg);
    return inl(0xcfc);
}

static void pci_write(int dev, int fn, int reg, uint32_t v)
{
    outl(0xcf8, 0x80000000u | (dev << 11) | (fn << 8) | reg);
    outl(0xcfc, v);
}

static struct {
    uint32_t addr;
    uint32_t count;
} prd[2] __attribute__((aligned(16)));
static uint8_t secbuf[16 * 512] __attribute__((aligned(4096)));
static uint8_t secbuf2[16 * 512] __attribute__((aligned(4096)));
static uint16_t bmiba;

/* One bus-master transfer of n sectors; false on any error. */
static bool dma(uint8_t cmd, uint64_t lba, int n, void *buf, bool to_mem,
                bool ext)
{
    uint8_t bm, st;

    prd[0].addr = (uint32_t)buf;
    prd[0].count = (n * 512) | 0x80000000u;
    outb(bmiba, 0);
    outb(bmiba + 2, 0x06); /* clear interrupt and error */
    outl(bmiba + 4, (uint32_t)prd);
    if (ext) {
        set_lba48(lba, n);
    } else {
        set_lba28(lba, n);
    }
    outb(CMD + 7, cmd);
    outb(bmiba, to_mem ? 0x09 : 0x01);
    for (uint32_t i = 0;; i++) {
        bm = inb(bmiba + 2);
        if (bm & 0x04) {
            break;
        }
        if (i > 100000000u) {
            printf("DMA timeout, BM status %02x\n", bm);
            return false;
        }
    }
    outb(bmiba, 0);
    st = wait_idle();
    if ((bm & 0x02) || (st & ST_ERR)) {
        printf("DMA: BM status %02x, status %02x\n", bm, st);
        return false;
    }
    return true;
}

void guest_main(void)
{
    static uint16_t id[256];
    uint64_t sectors;
    char model[41];

    printf("ATA guest\n");
    if (!check_sectors((void *)INT13_BUF, DATA_LBA, DATA_SECTORS, 0)) {
        guest_exit(false);
    }
    printf("INT13-DATA-OK\n");

    /*
     * Interrupts on (nIEN clear): the bus master's interrupt bit follows
     * the IRQ line.  The CPU has them disabled and the 8259 masks IRQ 14.
     */
    outb(0x3f6, 0x00);
    outb(CMD + 6, 0xa0);
    outb(CMD + 7, 0xec);
    if (!pio_in(id, 1, 1)) {
        guest_exit(false);
    }
    for (int i = 0; i < 20; i++) {
        model[2 * i] = id[27 + i] >> 8;
        model[2 * i + 1] = id[27 + i];
    }
    model[40] = 0;
    for (int i = 39; i >= 0 && model[i] == ' '; i--) {
        model[i] = 0;
    }
    sectors = id[100] | (uint32_t)id[101] << 16 | (uint64_t)id[102] << 32;
    printf("ATA-IDENTIFY-OK model=%s sectors=%u+%u<<32\n", model,
           (uint32_t)sectors, (uint32_t)(sectors >> 32));
    if (sectors < HIGH_LBA + 16 || !(id[83] & (1 << 10))) {
        guest_exit(false);
    }

    set_lba28(DATA_LBA, DATA_SECTORS);
    outb(CMD + 7, 0x20);
    if (!pio_in(secbuf, DATA_SECTORS, 1) ||
        !check_sectors(secbuf, DATA_LBA, DATA_SECTORS, 0) ||
        memcmp(secbuf, (void *)INT13_BUF, DATA_SECTORS * 512)) {
        guest_exit(false);
    }
    outb(CMD + 2, 8);
    outb(CMD + 7, 0xc6); /* SET MULTIPLE MODE 8 */
    if (wait_idle() & ST_ERR) {
        guest_exit(false);
    }
    memset(secbuf, 0, sizeof(secbuf));
    set_lba28(DATA_LBA, DATA_SECTORS);
    outb(CMD + 7, 0xc4); /* READ MULTIPLE */
    if (!pio_in(secbuf, DATA_SECTORS, 8) ||
        !check_sectors(secbuf, DATA_LBA, DATA_SECTORS, 0)) {
        guest_exit(false);
    }
    printf("ATA-PIO-OK\n");

    set_lba48(HIGH_LBA, 4);
    outb(CMD + 7, 0x24); /* READ SECTORS EXT */
    if (!pio_in(secbuf, 4, 1) || !check_sectors(secbuf, HIGH_LBA, 4, 0)) {
        guest_exit(false);
    }
    printf("ATA-LBA48-OK\n");

    if ((pci_read(1, 1, 0) & 0xffff) != 0x8086 ||
        (pci_read(1, 1, 0) >> 16) != 0x7010) {
        printf("no PIIX3 IDE at 00:01.1\n");
        guest_exit(false);
    }
    bmiba = pci_read(1, 1, 0x20) & 0xfffc;
    pci_write(1, 1, 0x04, pci_read(1, 1, 0x04) | 0x05); /* I/O, master */
    printf("BMIBA %04x\n", bmiba);
    memset(secbuf, 0, sizeof(secbuf));
    if (!dma(0xc8, DATA_LBA, DATA_SECTORS, secbuf, true, false) ||
        !check_sectors(secbuf, DATA_LBA, DATA_SECTORS, 0)) {
        guest_exit(false);
    }
    memset(secbuf, 0, sizeof(secbuf));
    if (!dma(0x25, HIGH_LBA + 4, 8, secbuf, true, true) ||
        !check_sectors(secbuf, HIGH_LBA + 4, 8, 0)) {
        guest_exit(false);
    }
    printf("ATA-DMA-OK\n");

    fill_sectors(secbuf, WRITE_LBA, 4, WRITE_SALT);
    set_lba28(WRITE_LBA, 2);
    outb(CMD + 7, 0x30); /* WRITE SECTORS */
    if (!pio_out(secbuf, 2) ||
        !dma(0xca, WRITE_LBA + 2, 2, secbuf + 1024, false, false)) {
        guest_exit(false);
    }
    outb(CMD + 7, 0xe7); /* FLUSH CACHE */
    if (wait_idle() & ST_ERR) {
        guest_exit(false);
    }
    memset(secbuf2, 0, sizeof(secbuf2));
    if (!dma(0xc8, WRITE_LBA, 4, secbuf2, true, false) ||
        !check_sectors(secbuf2, WRITE_LBA, 4, WRITE_SALT)) {
        guest_exit(false);
    }
    printf("ATA-WRITE-OK\n");

    set_lba48(sectors, 1);
    outb(CMD + 7, 0x24);
    {
        uint8_t st = wait_idle();
        uint8_t err = inb(CMD + 1);
        if (!(st & ST_ERR) || !(err & 0x14)) { /* IDNF or ABRT */
            printf("read past the end: status %02x error %02x\n", st, err);
            guest_exit(false);
        }
    }
    set_lba28(DATA_LBA, 1);
    outb(CMD + 7, 0x20);
    if (!pio_in(secbuf, 1, 1) || !check_sectors(secbuf, DATA_LBA, 1, 0)) {
        guest_exit(false);
    }
    printf("ATA-ERROR-OK\n");
}
