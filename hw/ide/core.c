/*
 * The ATA core of an IDE channel: taskfile registers, device selection,
 * software reset, the PIO data protocols and the ATA command set of a
 * hard disk (the ATAPI command set is in atapi.c, bus-master DMA in
 * dma.c).
 *
 * Interface:
 *   ports   command block (8 ports, 0x1f0/0x170 in legacy mode): 0 data
 *           (16/32-bit), 1 error/features, 2 sector count, 3-5 LBA
 *           (sector, cylinder low/high), 6 device/head, 7 status/command;
 *           control block (1 port, 0x3f6/0x376): alternate status /
 *           device control (nIEN, SRST, HOB)
 *   irq     one line per channel: the selected device's INTRQ unless
 *           nIEN
 * Follows ATA/ATAPI-6 (T13 1410D): 7.x register semantics, 8.x commands
 * (IDENTIFY DEVICE, READ/WRITE SECTORS/MULTIPLE/DMA and their EXT forms,
 * READ VERIFY, FLUSH CACHE, SET FEATURES, SET MULTIPLE MODE, INITIALIZE
 * DEVICE PARAMETERS, READ NATIVE MAX ADDRESS, power commands), 9.x
 * protocols (PIO data-in/out, DMA, packet), 9.2 software reset and
 * signatures.
 *
 * PIO data comes from / goes to the image synchronously on the calling
 * (vCPU) thread under the big lock, one DRQ block at a time; DMA is
 * asynchronous (dma.c).  A request outside the medium ends with IDNF, a
 * host I/O error with UNC, a command the device does not offer with
 * ABRT: the guest sees an ATA error, never a crash.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "hw/ide/ide-internal.h"
#include "util/log.h"

/* Commands a device kind accepts (table flags). */
#define CMD_HD  0x01
#define CMD_CD  0x02
#define CMD_ALL (CMD_HD | CMD_CD)

typedef bool IDECmdFn(IDEState *s, uint8_t cmd);

static IDEState *ide_cur(IDEBus *bus)
{
    return &bus->ifs[bus->unit];
}

/* ---- interrupts ---- */

void ide_update_irq(IDEBus *bus)
{
    bool level = ide_cur(bus)->irq && !(bus->ctrl & IDE_CTRL_NIEN);

    qemu_set_irq(bus->irq, level);
}

/*
 * INTRQ.  The bus master's interrupt bit latches the channel's IRQ line
 * going active, so it stays clear while nIEN masks the device.
 */
void ide_set_irq(IDEState *s)
{
    IDEBus *bus = s->bus;

    s->irq = true;
    if (bus->bm && s == ide_cur(bus) && !(bus->ctrl & IDE_CTRL_NIEN)) {
        bus->bm->status |= 0x04; /* BM status: interrupt */
    }
    ide_update_irq(bus);
}

static void ide_clear_irq(IDEState *s)
{
    s->irq = false;
    ide_update_irq(s->bus);
}

/* ---- sector addressing ---- */

uint64_t ide_get_sector(IDEState *s)
{
    if (s->select & IDE_SEL_LBA) {
        if (s->lba48) {
            return ((uint64_t)s->hob_hcyl << 40) |
                   ((uint64_t)s->hob_lcyl << 32) |
                   ((uint64_t)s->hob_sector << 24) | (s->hcyl << 16) |
                   (s->lcyl << 8) | s->sector;
        }
        return ((uint64_t)(s->select & 0x0f) << 24) | (s->hcyl << 16) |
               (s->lcyl << 8) | s->sector;
    }
    /* CHS with the current translation; sector numbers start at 1. */
    if (!s->sector || !s->cur_heads || !s->cur_sectors) {
        return UINT64_MAX;
    }
    return ((uint64_t)((s->hcyl << 8) | s->lcyl) * s->cur_heads +
            (s->select & 0x0f)) *
               s->cur_sectors +
           s->sector - 1;
}

void ide_set_sector(IDEState *s, uint64_t lba)
{
    if (s->select & IDE_SEL_LBA) {
        if (s->lba48) {
            s->sector = lba;
            s->lcyl = lba >> 8;
            s->hcyl = lba >> 16;
            s->hob_sector = lba >> 24;
            s->hob_lcyl = lba >> 32;
            s->hob_hcyl = lba >> 40;
        } else {
            s->select = (s->select & 0xf0) | ((lba >> 24) & 0x0f);
            s->hcyl = lba >> 16;
            s->lcyl = lba >> 8;
            s->sector = lba;
        }
    } else if (s->cur_heads && s->cur_sectors) {
        uint64_t cyl = lba / (s->cur_heads * s->cur_sectors);
        uint32_t r = lba % (s->cur_heads * s->cur_sectors);
        s->hcyl = cyl >> 8;
        s->lcyl = cyl;
        s->select = (s->select & 0xf0) | ((r / s->cur_sectors) & 0x0f);
        s->sector = (r % s->cur_sectors) + 1;
    }
}

static uint32_t ide_get_nsector(IDEState *s)
{
    if (s->lba48) {
        uint32_t n = (s->hob_nsector << 8) | s->nsector;
        return n ? n : 65536;
    }
    return s->nsector ? s->nsector : 256;
}

/* ---- command completion ---- */

void ide_cmd_done(IDEState *s)
{
    s->status = READY_STAT | SEEK_STAT;
    ide_set_irq(s);
}

static void ide_set_error(IDEState *s, uint8_t error)
{
    ide_transfer_stop(s);
    s->status = READY_STAT | ERR_STAT;
    s->error = error;
}

void ide_abort_command(IDEState *s)
{
    ide_set_error(s, ABRT_ERR);
}

/*
 * Ends the command with an error and an interrupt: ABRT for a request the
 * device refuses, IDNF with ABRT for an address outside the medium (as
 * drives report it), UNC for a host I/O error.
 */
static void ide_fail(IDEState *s, uint8_t error)
{
    ide_set_error(s, error);
    ide_set_irq(s);
}

static bool ide_range_ok(IDEState *s, uint64_t lba, uint32_t n)
{
    return lba < s->nb_sectors && n <= s->nb_sectors - lba;
}

/* ---- PIO ---- */

void ide_transfer_start_at(IDEState *s, uint32_t off, uint32_t len, bool irq,
                           void (*end)(IDEState *s))
{
    s->data_pos = off;
    s->data_end = off + len;
    s->end_transfer = end;
    s->status = READY_STAT | SEEK_STAT | DRQ_STAT;
    if (irq) {
        ide_set_irq(s);
    }
}

void ide_transfer_start(IDEState *s, uint32_t len, bool irq,
                        void (*end)(IDEState *s))
{
    ide_transfer_start_at(s, 0, len, irq, end);
}

void ide_transfer_stop(IDEState *s)
{
    s->data_pos = s->data_end = 0;
    s->end_transfer = NULL;
    s->status &= ~DRQ_STAT;
}

/* End of a block the host read (IDENTIFY and friends): done, no IRQ. */
static void ide_transfer_done(IDEState *s)
{
    ide_transfer_stop(s);
    s->status = READY_STAT | SEEK_STAT;
}

static void ide_data_advance(IDEState *s, unsigned n)
{
    s->data_pos += n;
    if (s->data_pos >= s->data_end && s->end_transfer) {
        void (*end)(IDEState * s) = s->end_transfer;
        s->end_transfer = NULL;
        end(s);
    }
}

/*
 * How many bytes of a size-byte data port access the DRQ block still
 * holds: an access past the end of an odd-sized block takes what is left;
 * 0 without a data phase.
 */
static unsigned ide_data_span(IDEState *s, unsigned size)
{
    if (!(s->status & DRQ_STAT) || s->data_pos >= s->data_end) {
        return 0;
    }
    return MIN(size, s->data_end - s->data_pos);
}

static uint32_t ide_data_read(IDEBus *bus, unsigned size)
{
    IDEState *s = ide_cur(bus);
    unsigned n = ide_data_span(s, size);
    uint32_t v = 0;

    if (!n) {
        return 0; /* no data phase: the bus floats */
    }
    for (unsigned i = 0; i < n; i++) {
        v |= (uint32_t)s->io_buffer[s->data_pos + i] << (8 * i);
    }
    ide_data_advance(s, n);
    return v;
}

static void ide_data_write(IDEBus *bus, uint32_t v, unsigned size)
{
    IDEState *s = ide_cur(bus);
    unsigned n = ide_data_span(s, size);

    if (!n) {
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        s->io_buffer[s->data_pos + i] = v >> (8 * i);
    }
    ide_data_advance(s, n);
}

/* ---- READ/WRITE SECTORS and MULTIPLE (PIO) ---- */

static void ide_sector_read(IDEState *s);

static void ide_sector_read_end(IDEState *s)
{
    if (!s->nsector_left) {
        ide_transfer_done(s);
        return;
    }
    ide_sector_read(s);
}

/*
 * After the image I/O of the n sectors at cur_lba: on success moves past
 * them, the taskfile showing the next sector; on failure the taskfile
 * shows the first sector of the block and the command ends with UNC.
 * Returns ok.
 */
static bool ide_sectors_done(IDEState *s, uint32_t n, bool ok)
{
    if (!ok) {
        ide_set_sector(s, s->cur_lba);
        ide_fail(s, UNC_ERR);
        return false;
    }
    s->cur_lba += n;
    s->nsector_left -= n;
    ide_set_sector(s, s->cur_lba);
    return true;
}

/* Reads the next DRQ block and offers it, with an interrupt. */
static void ide_sector_read(IDEState *s)
{
    uint32_t n = MIN(s->nsector_left, s->req_sectors);
    bool ok = bdrv_pread(s->bs, s->cur_lba * IDE_SECTOR_SIZE,
                         n * IDE_SECTOR_SIZE, s->io_buffer) >= 0;

    if (!ide_sectors_done(s, n, ok)) {
        return;
    }
    ide_transfer_start(s, n * IDE_SECTOR_SIZE, true, ide_sector_read_end);
}

static void ide_sector_write_end(IDEState *s)
{
    uint32_t n = s->data_end / IDE_SECTOR_SIZE;
    bool ok = bdrv_pwrite(s->bs, s->cur_lba * IDE_SECTOR_SIZE,
                          n * IDE_SECTOR_SIZE, s->io_buffer, 0) >= 0 &&
              (s->wce || bdrv_flush(s->bs) >= 0);

    if (!ide_sectors_done(s, n, ok)) {
        return;
    }
    if (!s->nsector_left) {
        ide_transfer_stop(s);
        ide_cmd_done(s);
        return;
    }
    n = MIN(s->nsector_left, s->req_sectors);
    ide_transfer_start(s, n * IDE_SECTOR_SIZE, true, ide_sector_write_end);
}

static bool ide_is_multiple(uint8_t cmd)
{
    return cmd == 0xc4 || cmd == 0xc5 || cmd == 0x29 || cmd == 0x39 ||
           cmd == 0xce;
}

static bool ide_is_ext(uint8_t cmd)
{
    switch (cmd) {
    case 0x24: /* READ SECTORS EXT */
    case 0x25: /* READ DMA EXT */
    case 0x27: /* READ NATIVE MAX ADDRESS EXT */
    case 0x29: /* READ MULTIPLE EXT */
    case 0x34: /* WRITE SECTORS EXT */
    case 0x35: /* WRITE DMA EXT */
    case 0x39: /* WRITE MULTIPLE EXT */
    case 0x3d: /* WRITE DMA FUA EXT */
    case 0x42: /* READ VERIFY SECTORS EXT */
    case 0xce: /* WRITE MULTIPLE FUA EXT */
    case 0xea: /* FLUSH CACHE EXT */
        return true;
    default:
        return false;
    }
}

/* Common checks of a read/write: medium, multiple mode, range. */
static bool ide_rw_check(IDEState *s, uint8_t cmd, bool write, uint64_t *lba,
                         uint32_t *n)
{
    if (!s->bs || (write && s->drive->read_only) ||
        (ide_is_multiple(cmd) && !s->mult_sectors)) {
        ide_fail(s, ABRT_ERR);
        return false;
    }
    *lba = ide_get_sector(s);
    *n = ide_get_nsector(s);
    if (!ide_range_ok(s, *lba, *n)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ide: command 0x%02x: sectors %" PRIu64 "+%u beyond "
                      "the medium (%" PRIu64 ")\n",
                      cmd, *lba, *n, s->nb_sectors);
        ide_fail(s, IDNF_ERR | ABRT_ERR);
        return false;
    }
    return true;
}

/* READ/WRITE SECTORS and MULTIPLE: the checks, then the transfer state. */
static bool ide_pio_begin(IDEState *s, uint8_t cmd, bool write)
{
    uint64_t lba;
    uint32_t n;

    if (!ide_rw_check(s, cmd, write, &lba, &n)) {
        return false;
    }
    s->cur_lba = lba;
    s->nsector_left = n;
    s->req_sectors = ide_is_multiple(cmd) ? s->mult_sectors : 1;
    return true;
}

static bool cmd_read_pio(IDEState *s, uint8_t cmd)
{
    if (ide_pio_begin(s, cmd, false)) {
        ide_sector_read(s);
    }
    return false;
}

static bool cmd_write_pio(IDEState *s, uint8_t cmd)
{
    if (ide_pio_begin(s, cmd, true)) {
        uint32_t n = MIN(s->nsector_left, s->req_sectors);

        /* Data-out: DRQ for the first block without an interrupt. */
        ide_transfer_start(s, n * IDE_SECTOR_SIZE, false, ide_sector_write_end);
    }
    return false;
}

/* ---- READ/WRITE DMA ---- */

static bool ide_is_dma_write(uint8_t cmd)
{
    return cmd == 0xca || cmd == 0xcb || cmd == 0x35 || cmd == 0x3d;
}

static void ide_dma_rw_complete(IDEState *s, int ret)
{
    bool write = ide_is_dma_write(s->cmd);

    /* Write cache off (cache=writethrough, SET FEATURES 82h). */
    if (ret >= 0 && write && !s->wce && bdrv_flush(s->bs) < 0) {
        ret = -EIO;
    }
    if (ret < 0) {
        s->status = READY_STAT | ERR_STAT;
        s->error = ret == -EFAULT ? ABRT_ERR : UNC_ERR;
    } else {
        ide_set_sector(s, s->cur_lba + s->nsector_left);
        s->status = READY_STAT | SEEK_STAT;
    }
    ide_set_irq(s);
}

static bool cmd_rw_dma(IDEState *s, uint8_t cmd)
{
    bool write = ide_is_dma_write(cmd);
    uint64_t lba;
    uint32_t n;

    if (!s->bus->bm) {
        ide_abort_command(s);
        return true;
    }
    if (!ide_rw_check(s, cmd, write, &lba, &n)) {
        return false;
    }
    s->cur_lba = lba;
    s->nsector_left = n;
    s->status = READY_STAT | SEEK_STAT | DRQ_STAT;
    ide_dma_prepare(s, IDE_DMA_DISK, !write, lba * IDE_SECTOR_SIZE,
                    (uint64_t)n * IDE_SECTOR_SIZE, ide_dma_rw_complete);
    return false;
}

/* ---- other ATA commands ---- */

static void put_le16(uint16_t *p, unsigned i, uint16_t v)
{
    uint8_t *b = (uint8_t *)&p[i];
    b[0] = v;
    b[1] = v >> 8;
}

/* ATA strings: two characters per word, the first in the high byte. */
static void put_ata_string(uint16_t *p, unsigned word, const char *src,
                           unsigned len)
{
    uint8_t *b = (uint8_t *)&p[word];
    size_t sl = strlen(src);

    for (unsigned i = 0; i < len; i++) {
        b[i ^ 1] = i < sl ? src[i] : ' ';
    }
}

static void ide_identify(IDEState *s)
{
    uint16_t *p = (uint16_t *)s->io_buffer;
    uint64_t lba28 = MIN(s->nb_sectors, 0x0fffffffull);
    uint32_t cur_cap = s->cylinders * s->heads * s->sectors;

    memset(p, 0, IDE_SECTOR_SIZE);
    put_le16(p, 0, 0x0040); /* fixed, non-removable ATA device */
    put_le16(p, 1, s->cylinders);
    put_le16(p, 3, s->heads);
    put_le16(p, 4, IDE_SECTOR_SIZE * s->sectors); /* obsolete */
    put_le16(p, 5, IDE_SECTOR_SIZE);              /* obsolete */
    put_le16(p, 6, s->sectors);
    put_ata_string(p, 10, s->serial, 20);
    put_le16(p, 20, 3); /* obsolete: buffer type */
    put_le16(p, 21, 512);
    put_le16(p, 22, 4);
    put_ata_string(p, 23, s->version, 8);
    put_ata_string(p, 27, s->model, 40);
    put_le16(p, 47, 0x8000 | IDE_MAX_MULT);
    put_le16(p, 48, 1);                               /* dword I/O */
    put_le16(p, 49, (1 << 11) | (1 << 9) | (1 << 8)); /* IORDY, LBA, DMA */
    put_le16(p, 51, 0x200);                           /* PIO timing */
    put_le16(p, 52, 0x200);                           /* DMA timing */
    put_le16(p, 53, 1 | 2 | 4); /* words 54-58, 64-70 and 88 valid */
    put_le16(p, 54, s->cylinders);
    put_le16(p, 55, s->cur_heads);
    put_le16(p, 56, s->cur_sectors);
    put_le16(p, 57, cur_cap);
    put_le16(p, 58, cur_cap >> 16);
    put_le16(p, 59, s->mult_sectors ? 0x100 | s->mult_sectors : 0);
    put_le16(p, 60, lba28);
    put_le16(p, 61, lba28 >> 16);
    put_le16(p, 62, 0x07);          /* single word DMA 0-2 (obsolete) */
    put_le16(p, 63, 0x07 | 0x0400); /* multiword DMA 0-2, mode 2 selected */
    put_le16(p, 64, 0x03);          /* PIO 3 and 4 */
    put_le16(p, 65, 120);
    put_le16(p, 66, 120);
    put_le16(p, 67, 120);
    put_le16(p, 68, 120);
    put_le16(p, 80, 0xf0); /* ATA-4 to ATA-7 */
    put_le16(p, 81, 0x16);
    /* 82-84 supported, 85-87 enabled: write cache, FLUSH (EXT), LBA48 */
    put_le16(p, 82, (1 << 14) | (1 << 5));
    put_le16(p, 83, (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10));
    put_le16(p, 84, (1 << 14) | (s->wwn ? (1 << 8) : 0));
    put_le16(p, 85, (1 << 14) | (s->wce ? (1 << 5) : 0));
    put_le16(p, 86, (1 << 13) | (1 << 12) | (1 << 10));
    put_le16(p, 87, (1 << 14) | (s->wwn ? (1 << 8) : 0));
    put_le16(p, 88, 0x3f); /* UDMA 0-5 supported, none selected */
    put_le16(p, 93, 1 | (1 << 14) | 0x2000);
    put_le16(p, 100, s->nb_sectors);
    put_le16(p, 101, s->nb_sectors >> 16);
    put_le16(p, 102, s->nb_sectors >> 32);
    put_le16(p, 103, s->nb_sectors >> 48);
    if (s->wwn) {
        put_le16(p, 108, s->wwn >> 48);
        put_le16(p, 109, s->wwn >> 32);
        put_le16(p, 110, s->wwn >> 16);
        put_le16(p, 111, s->wwn);
    }
}

static bool cmd_identify(IDEState *s, uint8_t cmd)
{
    if (s->kind == IDE_CD) {
        /* ATAPI devices abort it and show their signature (9.1). */
        ide_atapi_set_signature(s);
        ide_abort_command(s);
        return true;
    }
    ide_identify(s);
    ide_transfer_start(s, IDE_SECTOR_SIZE, true, ide_transfer_done);
    return false;
}

static bool cmd_identify_packet(IDEState *s, uint8_t cmd)
{
    ide_atapi_identify(s);
    ide_transfer_start(s, IDE_SECTOR_SIZE, true, ide_transfer_done);
    return false;
}

static bool cmd_verify(IDEState *s, uint8_t cmd)
{
    uint64_t lba;
    uint32_t n;

    if (!ide_rw_check(s, cmd, false, &lba, &n)) {
        return false;
    }
    ide_set_sector(s, lba + n);
    return true;
}

static bool cmd_flush(IDEState *s, uint8_t cmd)
{
    if (s->bs && bdrv_flush(s->bs) < 0) {
        ide_fail(s, UNC_ERR);
        return false;
    }
    return true;
}

static bool cmd_set_features(IDEState *s, uint8_t cmd)
{
    switch (s->feature) {
    case 0x02: /* enable write cache */
        s->wce = true;
        return true;
    case 0x82: /* disable write cache */
        s->wce = false;
        return true;
    case 0x03: /* set transfer mode (from the sector count) */
    case 0x05: /* APM on */
    case 0x85: /* APM off */
    case 0x42: /* AAM on */
    case 0xc2: /* AAM off */
    case 0x55: /* read look-ahead off */
    case 0xaa: /* read look-ahead on */
    case 0x66: /* reverting to power-on defaults off */
    case 0xcc: /* reverting to power-on defaults on */
    case 0x67: /* vendor specific */
    case 0x69:
    case 0x96:
    case 0x9a:
        return true;
    default:
        ide_abort_command(s);
        return true;
    }
}

static bool cmd_set_multiple(IDEState *s, uint8_t cmd)
{
    unsigned n = s->nsector;

    if (n > IDE_MAX_MULT || (n & (n - 1))) {
        ide_abort_command(s);
        return true;
    }
    s->mult_sectors = n;
    return true;
}

static bool cmd_specify(IDEState *s, uint8_t cmd)
{
    if (!s->nsector) {
        ide_abort_command(s);
        return true;
    }
    s->cur_heads = (s->select & 0x0f) + 1;
    s->cur_sectors = s->nsector;
    return true;
}

static bool cmd_nop_ok(IDEState *s, uint8_t cmd)
{
    return true;
}

static bool cmd_check_power(IDEState *s, uint8_t cmd)
{
    s->nsector = 0xff; /* active or idle */
    return true;
}

static bool cmd_read_native_max(IDEState *s, uint8_t cmd)
{
    ide_set_sector(s, s->nb_sectors ? s->nb_sectors - 1 : 0);
    return true;
}

static void ide_set_signature(IDEState *s)
{
    s->select &= 0xf0;
    s->nsector = 1;
    s->sector = 1;
    if (s->kind == IDE_CD) {
        ide_atapi_set_signature(s);
    } else if (s->kind == IDE_HD) {
        s->lcyl = 0;
        s->hcyl = 0;
    } else {
        s->lcyl = 0xff;
        s->hcyl = 0xff;
    }
}

/*
 * After a reset or a diagnostic: the signature, diagnostic code 01h
 * (device 0 passed, device 1 passed or absent), and DRDY for an ATA
 * device only (not after an ATAPI reset).
 */
static void ide_set_reset_state(IDEState *s)
{
    ide_set_signature(s);
    s->error = 0x01;
    s->status = s->kind == IDE_CD ? 0 : READY_STAT | SEEK_STAT;
}

static bool cmd_exec_diagnostic(IDEState *s, uint8_t cmd)
{
    for (int i = 0; i < 2; i++) {
        ide_set_reset_state(&s->bus->ifs[i]);
    }
    ide_set_irq(s);
    return false;
}

static bool cmd_device_reset(IDEState *s, uint8_t cmd)
{
    ide_dma_cancel(s->bus);
    ide_transfer_stop(s);
    ide_set_reset_state(s); /* ATAPI devices only take it */
    return false;
}

static bool cmd_packet(IDEState *s, uint8_t cmd)
{
    if (s->feature & 0x02) { /* overlapped: not offered */
        ide_abort_command(s);
        return true;
    }
    s->atapi_dma = s->feature & 0x01;
    s->atapi_bcl = s->lcyl | (s->hcyl << 8);
    s->nsector = ATAPI_INT_REASON_CD;
    ide_transfer_start(s, sizeof(s->packet), false, ide_atapi_packet_start);
    return false;
}

static bool cmd_abort(IDEState *s, uint8_t cmd)
{
    ide_abort_command(s);
    return true;
}

/* Flags: which devices take the command. */
static const struct {
    IDECmdFn *fn;
    uint8_t flags;
} ide_cmd_table[256] = {
    [0x08] = {cmd_device_reset, CMD_CD},     /* DEVICE RESET */
    [0x10] = {cmd_nop_ok, CMD_HD},           /* RECALIBRATE */
    [0x20] = {cmd_read_pio, CMD_HD},         /* READ SECTORS */
    [0x21] = {cmd_read_pio, CMD_HD},         /* (without retry) */
    [0x24] = {cmd_read_pio, CMD_HD},         /* READ SECTORS EXT */
    [0x25] = {cmd_rw_dma, CMD_HD},           /* READ DMA EXT */
    [0x27] = {cmd_read_native_max, CMD_HD},  /* READ NATIVE MAX EXT */
    [0x29] = {cmd_read_pio, CMD_HD},         /* READ MULTIPLE EXT */
    [0x30] = {cmd_write_pio, CMD_HD},        /* WRITE SECTORS */
    [0x31] = {cmd_write_pio, CMD_HD},        /* (without retry) */
    [0x34] = {cmd_write_pio, CMD_HD},        /* WRITE SECTORS EXT */
    [0x35] = {cmd_rw_dma, CMD_HD},           /* WRITE DMA EXT */
    [0x39] = {cmd_write_pio, CMD_HD},        /* WRITE MULTIPLE EXT */
    [0x3d] = {cmd_rw_dma, CMD_HD},           /* WRITE DMA FUA EXT */
    [0x40] = {cmd_verify, CMD_HD},           /* READ VERIFY SECTORS */
    [0x41] = {cmd_verify, CMD_HD},           /* (without retry) */
    [0x42] = {cmd_verify, CMD_HD},           /* READ VERIFY EXT */
    [0x70] = {cmd_nop_ok, CMD_HD},           /* SEEK */
    [0x90] = {cmd_exec_diagnostic, CMD_ALL}, /* EXECUTE DEVICE DIAGNOSTIC */
    [0x91] = {cmd_specify, CMD_HD},          /* INITIALIZE DEVICE PARAMS */
    [0xa0] = {cmd_packet, CMD_CD},           /* PACKET */
    [0xa1] = {cmd_identify_packet, CMD_CD},  /* IDENTIFY PACKET DEVICE */
    [0xb0] = {cmd_abort, CMD_ALL},           /* SMART: not offered */
    [0xc4] = {cmd_read_pio, CMD_HD},         /* READ MULTIPLE */
    [0xc5] = {cmd_write_pio, CMD_HD},        /* WRITE MULTIPLE */
    [0xc6] = {cmd_set_multiple, CMD_HD},     /* SET MULTIPLE MODE */
    [0xc8] = {cmd_rw_dma, CMD_HD},           /* READ DMA */
    [0xc9] = {cmd_rw_dma, CMD_HD},           /* (without retry) */
    [0xca] = {cmd_rw_dma, CMD_HD},           /* WRITE DMA */
    [0xcb] = {cmd_rw_dma, CMD_HD},           /* (without retry) */
    [0xce] = {cmd_write_pio, CMD_HD},        /* WRITE MULTIPLE FUA EXT */
    [0xe0] = {cmd_nop_ok, CMD_ALL},          /* STANDBY IMMEDIATE */
    [0xe1] = {cmd_nop_ok, CMD_ALL},          /* IDLE IMMEDIATE */
    [0xe2] = {cmd_nop_ok, CMD_ALL},          /* STANDBY */
    [0xe3] = {cmd_nop_ok, CMD_ALL},          /* IDLE */
    [0xe5] = {cmd_check_power, CMD_ALL},     /* CHECK POWER MODE */
    [0xe7] = {cmd_flush, CMD_ALL},           /* FLUSH CACHE */
    [0xea] = {cmd_flush, CMD_HD},            /* FLUSH CACHE EXT */
    [0xec] = {cmd_identify, CMD_ALL},        /* IDENTIFY DEVICE */
    [0xef] = {cmd_set_features, CMD_ALL},    /* SET FEATURES */
    [0xf8] = {cmd_read_native_max, CMD_HD},  /* READ NATIVE MAX ADDRESS */
};

static void ide_exec_cmd(IDEBus *bus, uint8_t cmd)
{
    IDEState *s = ide_cur(bus);
    bool done;

    if (s->kind == IDE_NONE) {
        return; /* nobody answers */
    }
    /* Commands are ignored while busy, except DEVICE RESET (ATAPI). */
    if ((s->status & (BUSY_STAT | DRQ_STAT)) && cmd != 0x08) {
        if (s->status & BUSY_STAT) {
            return;
        }
        ide_transfer_stop(s); /* a new command ends a stalled transfer */
    }
    if (s->dma_pending) {
        ide_dma_cancel(bus); /* a new command abandons the old transfer */
    }
    s->cmd = cmd;
    s->lba48 = ide_is_ext(cmd);
    ide_clear_irq(s);
    if (cmd >= 0x10 && cmd <= 0x1f) {
        cmd = 0x10; /* RECALIBRATE, any rate */
    }
    if (!ide_cmd_table[cmd].fn ||
        !(ide_cmd_table[cmd].flags & (s->kind == IDE_CD ? CMD_CD : CMD_HD))) {
        qemu_log_mask(LOG_UNIMP, "ide: command 0x%02x not supported on %s\n",
                      cmd, s->kind == IDE_CD ? "ATAPI" : "ATA");
        ide_fail(s, ABRT_ERR);
        return;
    }
    s->status = READY_STAT | BUSY_STAT;
    s->error = 0;
    done = ide_cmd_table[cmd].fn(s, cmd);
    if (done) {
        if (s->status & ERR_STAT) {
            s->status &= ~BUSY_STAT;
            ide_set_irq(s);
        } else {
            ide_cmd_done(s);
        }
    }
}

/* ---- register access ---- */

static uint64_t ide_cmd_read(void *opaque, hwaddr addr, unsigned size)
{
    IDEBus *bus = opaque;
    IDEState *s = ide_cur(bus);
    bool hob = bus->ctrl & IDE_CTRL_HOB;
    bool none = bus->ifs[0].kind == IDE_NONE && bus->ifs[1].kind == IDE_NONE;

    if (addr == 0) {
        return ide_data_read(bus, size);
    }
    if (none) {
        return 0;
    }
    switch (addr) {
    case 1:
        return hob ? s->hob_feature : s->error;
    case 2:
        return hob ? s->hob_nsector : s->nsector;
    case 3:
        return hob ? s->hob_sector : s->sector;
    case 4:
        return hob ? s->hob_lcyl : s->lcyl;
    case 5:
        return hob ? s->hob_hcyl : s->hcyl;
    case 6:
        return s->select;
    default: /* 7: status, acknowledges the interrupt */
        if (s->kind == IDE_NONE) {
            return 0;
        }
        ide_clear_irq(s);
        return s->status;
    }
}

static void ide_cmd_write(void *opaque, hwaddr addr, uint64_t val,
                          unsigned size)
{
    IDEBus *bus = opaque;

    if (addr == 0) {
        ide_data_write(bus, val, size);
        return;
    }
    if (addr != 7) {
        bus->ctrl &= ~IDE_CTRL_HOB; /* a taskfile write clears HOB */
    }
    for (int i = 0; i < 2 && addr != 7; i++) {
        IDEState *s = &bus->ifs[i];
        switch (addr) {
        case 1:
            s->hob_feature = s->feature;
            s->feature = val;
            break;
        case 2:
            s->hob_nsector = s->nsector;
            s->nsector = val;
            break;
        case 3:
            s->hob_sector = s->sector;
            s->sector = val;
            break;
        case 4:
            s->hob_lcyl = s->lcyl;
            s->lcyl = val;
            break;
        case 5:
            s->hob_hcyl = s->hcyl;
            s->hcyl = val;
            break;
        case 6:
            s->select = val | 0xa0; /* bits 7 and 5 read as one */
            break;
        }
    }
    if (addr == 6) {
        bus->unit = (val & IDE_SEL_DEV1) ? 1 : 0;
        ide_update_irq(bus);
    } else if (addr == 7) {
        ide_exec_cmd(bus, val);
    }
}

static uint64_t ide_ctl_read(void *opaque, hwaddr addr, unsigned size)
{
    IDEBus *bus = opaque;
    IDEState *s = ide_cur(bus);

    if ((bus->ifs[0].kind == IDE_NONE && bus->ifs[1].kind == IDE_NONE) ||
        s->kind == IDE_NONE) {
        return 0;
    }
    return s->status; /* alternate status: no acknowledge */
}

static void ide_reset_dev(IDEState *s)
{
    ide_transfer_stop(s);
    s->irq = false;
    s->mult_sectors = s->kind == IDE_HD ? IDE_MAX_MULT : 0;
    s->feature = s->hob_feature = 0;
    s->hob_nsector = s->hob_sector = s->hob_lcyl = s->hob_hcyl = 0;
    s->select = 0xa0 | (s->unit ? IDE_SEL_DEV1 : 0);
    s->cur_heads = s->heads;
    s->cur_sectors = s->sectors;
    s->dma_pending = false;
    s->lba48 = false;
    s->sense_key = SENSE_NONE;
    s->tray_locked = false;
    s->asc = s->ascq = 0;
    ide_set_reset_state(s);
}

static void ide_ctl_write(void *opaque, hwaddr addr, uint64_t val,
                          unsigned size)
{
    IDEBus *bus = opaque;
    uint8_t old = bus->ctrl;

    if (!(old & IDE_CTRL_SRST) && (val & IDE_CTRL_SRST)) {
        /* SRST asserted: both devices busy until it is released. */
        ide_dma_cancel(bus);
        for (int i = 0; i < 2; i++) {
            ide_transfer_stop(&bus->ifs[i]);
            bus->ifs[i].status = BUSY_STAT | SEEK_STAT;
            bus->ifs[i].error = 0x01;
        }
    } else if ((old & IDE_CTRL_SRST) && !(val & IDE_CTRL_SRST)) {
        for (int i = 0; i < 2; i++) {
            ide_reset_dev(&bus->ifs[i]);
        }
        bus->unit = 0;
    }
    bus->ctrl = val;
    ide_update_irq(bus);
}

static const MemoryRegionOps ide_cmd_ops = {
    .read = ide_cmd_read,
    .write = ide_cmd_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

static const MemoryRegionOps ide_ctl_ops = {
    .read = ide_ctl_read,
    .write = ide_ctl_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

/* ---- setup ---- */

void ide_bus_init(IDEBus *bus, int bus_id, BusState *qbus, qemu_irq irq)
{
    bus->bus_id = bus_id;
    bus->qbus = qbus;
    bus->irq = irq;
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];
        s->bus = bus;
        s->unit = i;
        s->kind = IDE_NONE;
        s->io_buffer = g_malloc0(IDE_IO_BUF_SIZE);
    }
}

void ide_bus_map_legacy(IDEBus *bus, DeviceState *owner, uint16_t iobase,
                        uint16_t iobase2)
{
    memory_region_init_io(&bus->cmd_io, owner, &ide_cmd_ops, bus, "ide", 8);
    memory_region_add_subregion(get_system_io(), iobase, &bus->cmd_io);
    memory_region_init_io(&bus->ctl_io, owner, &ide_ctl_ops, bus, "ide", 1);
    memory_region_add_subregion(get_system_io(), iobase2, &bus->ctl_io);
}

/* QEMU's default geometry: 16 heads, 63 sectors, up to 16383 cylinders. */
static void ide_guess_geometry(IDEState *s)
{
    uint64_t cyls = s->nb_sectors / (16 * 63);

    s->heads = 16;
    s->sectors = 63;
    s->cylinders = cyls > 16383 ? 16383 : cyls < 2 ? 2 : cyls;
}

bool ide_init_drive(IDEState *s, IDEDriveKind kind, DriveInfo *drive,
                    const char *serial, const char *model, Error **errp)
{
    static unsigned drive_serial = 1;

    s->kind = kind;
    s->drive = drive;
    s->bs = drive ? drive->bs : NULL;
    s->nb_sectors = s->bs ? bdrv_getlength(s->bs) / IDE_SECTOR_SIZE : 0;
    s->wce = drive ? drive->writeback : true;
    if (kind == IDE_HD) {
        ide_guess_geometry(s);
    }
    if (serial) {
        g_strlcpy(s->serial, serial, sizeof(s->serial));
    } else {
        snprintf(s->serial, sizeof(s->serial), "QM%05u", drive_serial++);
    }
    if (model) {
        g_strlcpy(s->model, model, sizeof(s->model));
    } else {
        g_strlcpy(s->model, kind == IDE_CD ? "QEMU DVD-ROM" : "QEMU HARDDISK",
                  sizeof(s->model));
    }
    g_strlcpy(s->version, "2.5+", sizeof(s->version));
    ide_reset_dev(s);
    return true;
}

void ide_bus_reset(IDEBus *bus)
{
    ide_dma_cancel(bus);
    bus->unit = 0;
    bus->ctrl = 0;
    for (int i = 0; i < 2; i++) {
        ide_reset_dev(&bus->ifs[i]);
    }
    if (bus->bm) {
        bmdma_reset(bus->bm);
    }
    ide_update_irq(bus);
}
