/*
 * ATAPI CD/DVD-ROM ("ide-cd"): IDENTIFY PACKET DEVICE, the PACKET
 * protocol (PIO in byte-count-limited DRQ chunks, or DMA) and the MMC
 * commands firmware and Linux's sr driver use.
 *
 * Commands: TEST UNIT READY, REQUEST SENSE, INQUIRY, START STOP UNIT
 * (tray), PREVENT ALLOW MEDIUM REMOVAL (lock), READ CAPACITY, READ(10),
 * READ(12), READ CD (user data only), READ TOC (formats 0 and 1), GET
 * CONFIGURATION, GET EVENT STATUS NOTIFICATION (polled, media class), MODE
 * SENSE(6/10) (pages 01h, 2Ah, 3Fh), READ DISC INFORMATION, MECHANISM STATUS,
 * SET CD SPEED.  Anything else: CHECK CONDITION, ILLEGAL REQUEST / invalid
 * command operation code.  A medium changed with the monitor (`change`,
 * `eject`) is reported once as UNIT ATTENTION / medium may have changed,
 * and as NEW MEDIA by GET EVENT STATUS.
 * Follows SFF-8020i (ATA packet interface for CD-ROMs) 5.x (protocol,
 * interrupt reason, byte count) and 10.x (commands), INF-8090i / MMC-3
 * for GET CONFIGURATION, GET EVENT STATUS and the capabilities page, and
 * SPC for the sense data format.
 */
#include <errno.h>
#include <string.h>

#include "hw/ide/ide-internal.h"
#include "util/log.h"

#define CD_MAX_SECTORS (80 * 60 * 75) /* 80 minutes; more is a DVD */

/* MMC profiles */
#define MMC_PROFILE_NONE    0x0000
#define MMC_PROFILE_CD_ROM  0x0008
#define MMC_PROFILE_DVD_ROM 0x0010

static void stw_be(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void stl_be(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static uint16_t lduw_be(const uint8_t *p)
{
    return (p[0] << 8) | p[1];
}

static uint32_t ldl_be(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static uint64_t cd_sectors(IDEState *s)
{
    return s->bs ? s->nb_sectors / (ATAPI_SECTOR_SIZE / IDE_SECTOR_SIZE) : 0;
}

void ide_atapi_set_signature(IDEState *s)
{
    s->lcyl = 0x14;
    s->hcyl = 0xeb;
}

static void put_le16(uint8_t *b, unsigned word, uint16_t v)
{
    b[2 * word] = v;
    b[2 * word + 1] = v >> 8;
}

static void put_ata_string(uint8_t *b, unsigned word, const char *src,
                           unsigned len)
{
    size_t sl = strlen(src);

    for (unsigned i = 0; i < len; i++) {
        b[2 * word + (i ^ 1)] = i < sl ? src[i] : ' ';
    }
}

void ide_atapi_identify(IDEState *s)
{
    uint8_t *b = s->io_buffer;

    memset(b, 0, IDE_SECTOR_SIZE);
    /* ATAPI, CD-ROM, removable, DRQ within 50 us, 12-byte packets */
    put_le16(b, 0, (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5));
    put_ata_string(b, 10, s->serial, 20);
    put_le16(b, 20, 3);
    put_le16(b, 21, 512);
    put_le16(b, 22, 4);
    put_ata_string(b, 23, s->version, 8);
    put_ata_string(b, 27, s->model, 40);
    put_le16(b, 48, 1);
    put_le16(b, 49, (1 << 11) | (1 << 9) | (1 << 8)); /* IORDY, LBA, DMA */
    put_le16(b, 53, 7);
    put_le16(b, 62, 7);
    put_le16(b, 63, 7 | 0x0400); /* MWDMA 0-2, mode 2 selected */
    put_le16(b, 64, 3);
    put_le16(b, 65, 0xb4);
    put_le16(b, 66, 0xb4);
    put_le16(b, 67, 0x12c);
    put_le16(b, 68, 0xb4);
    put_le16(b, 71, 30);
    put_le16(b, 72, 30);
    put_le16(b, 80, 0x1e);   /* ATA/ATAPI-1 to -4 */
    put_le16(b, 82, 1 << 4); /* PACKET feature set */
    put_le16(b, 88, 0x3f);
    put_le16(b, 93, 1 | (1 << 14) | 0x2000);
}

/* ---- completion ---- */

/* Status phase: I/O and C/D set, DRQ clear, interrupt. */
static void atapi_cmd_ok(IDEState *s)
{
    ide_transfer_stop(s);
    s->error = 0;
    s->status = READY_STAT | SEEK_STAT;
    s->nsector = ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD;
    s->sense_key = SENSE_NONE;
    s->asc = s->ascq = 0;
    ide_set_irq(s);
}

static void atapi_cmd_error(IDEState *s, uint8_t key, uint8_t asc)
{
    ide_transfer_stop(s);
    s->error = key << 4;
    s->status = READY_STAT | ERR_STAT; /* ERR = CHECK CONDITION */
    s->nsector = ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD;
    s->sense_key = key;
    s->asc = asc;
    s->ascq = 0;
    ide_set_irq(s);
}

/* ---- data-in: reply in io_buffer, or sectors from the medium ---- */

static void atapi_pio_next(IDEState *s);

static uint32_t atapi_bcl(IDEState *s)
{
    uint32_t bcl = s->atapi_bcl;

    if (bcl == 0 || bcl == 0xffff) {
        bcl = 0xfffe; /* 0 is invalid; 0xffff is taken as the even 0xfffe */
    }
    return bcl & ~1u;
}

/*
 * Offers the next DRQ chunk of the reply (or of the medium data, read
 * into io_buffer a few sectors at a time); after the last one, the
 * status phase.
 */
static void atapi_pio_next(IDEState *s)
{
    uint32_t chunk, off;

    if (s->atapi_pos >= s->atapi_len) {
        uint32_t n;
        if (!s->atapi_sectors_left) {
            atapi_cmd_ok(s);
            return;
        }
        n = MIN(s->atapi_sectors_left, IDE_IO_BUF_SIZE / ATAPI_SECTOR_SIZE);
        if (bdrv_pread(s->bs, s->atapi_lba * ATAPI_SECTOR_SIZE,
                       (uint64_t)n * ATAPI_SECTOR_SIZE, s->io_buffer) < 0) {
            atapi_cmd_error(s, 3 /* MEDIUM ERROR */, 0x11);
            return;
        }
        s->atapi_lba += n;
        s->atapi_sectors_left -= n;
        s->atapi_len = n * ATAPI_SECTOR_SIZE;
        s->atapi_pos = 0;
    }
    chunk = MIN(s->atapi_len - s->atapi_pos, atapi_bcl(s));
    off = s->atapi_pos;
    s->atapi_pos += chunk;
    s->lcyl = chunk;
    s->hcyl = chunk >> 8;
    s->nsector = ATAPI_INT_REASON_IO;
    ide_transfer_start_at(s, off, chunk, true, atapi_pio_next);
}

static void atapi_dma_done(IDEState *s, int ret)
{
    if (ret < 0) {
        atapi_cmd_error(s, ret == -EFAULT ? SENSE_ILLEGAL_REQUEST : 3,
                        ret == -EFAULT ? ASC_INV_FIELD_IN_CMD_PACKET : 0x11);
        return;
    }
    atapi_cmd_ok(s);
}

/* A reply of len bytes (already in io_buffer), cut to what was allowed. */
static void atapi_reply(IDEState *s, uint32_t len, uint32_t alloc)
{
    len = MIN(len, alloc);
    if (!len) {
        atapi_cmd_ok(s);
        return;
    }
    if (s->atapi_dma) {
        s->status = READY_STAT | SEEK_STAT | DRQ_STAT;
        ide_dma_prepare(s, IDE_DMA_BUFFER, true, 0, len, atapi_dma_done);
        return;
    }
    s->atapi_len = len;
    s->atapi_pos = 0;
    s->atapi_sectors_left = 0;
    atapi_pio_next(s);
}

/* READ(10/12)/READ CD: n 2048-byte sectors from lba. */
static void atapi_read_sectors(IDEState *s, uint64_t lba, uint32_t n)
{
    if (lba + n > cd_sectors(s) || lba > cd_sectors(s)) {
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
        return;
    }
    if (!n) {
        atapi_cmd_ok(s);
        return;
    }
    if (s->atapi_dma) {
        s->status = READY_STAT | SEEK_STAT | DRQ_STAT;
        ide_dma_prepare(s, IDE_DMA_DISK, true, lba * ATAPI_SECTOR_SIZE,
                        (uint64_t)n * ATAPI_SECTOR_SIZE, atapi_dma_done);
        return;
    }
    s->atapi_lba = lba;
    s->atapi_sectors_left = n;
    s->atapi_len = s->atapi_pos = 0;
    atapi_pio_next(s);
}

/* ---- commands ---- */

static bool atapi_need_medium(IDEState *s)
{
    if (!s->bs) {
        atapi_cmd_error(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
        return false;
    }
    return true;
}

static void cmd_request_sense(IDEState *s, const uint8_t *p)
{
    uint8_t *b = s->io_buffer;
    uint8_t key = s->sense_key, asc = s->asc, ascq = s->ascq;

    if (s->unit_attention) {
        s->unit_attention = false;
        key = SENSE_UNIT_ATTENTION;
        asc = ASC_MEDIUM_MAY_HAVE_CHANGED;
        ascq = 0;
    }

    memset(b, 0, 18);
    b[0] = 0x70; /* current, fixed format */
    b[2] = key;
    b[7] = 10;
    b[12] = asc;
    b[13] = ascq;
    s->sense_key = SENSE_NONE; /* reported: cleared */
    s->asc = s->ascq = 0;
    atapi_reply(s, 18, p[4]);
}

static void cmd_inquiry(IDEState *s, const uint8_t *p)
{
    uint8_t *b = s->io_buffer;

    if (p[1] & 1) { /* EVPD: no vital product data pages */
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CMD_PACKET);
        return;
    }
    memset(b, 0, 36);
    b[0] = 0x05; /* CD/DVD device */
    b[1] = 0x80; /* removable */
    b[2] = 0x00;
    b[3] = 0x21; /* ATAPI, response format 1 */
    b[4] = 31;   /* additional length */
    memcpy(b + 8, "QEMU    ", 8);
    memset(b + 16, ' ', 16);
    memcpy(b + 16, s->model, MIN(strlen(s->model), 16));
    memset(b + 32, ' ', 4);
    memcpy(b + 32, s->version, MIN(strlen(s->version), 4));
    atapi_reply(s, 36, p[4]);
}

static void cmd_read_capacity(IDEState *s, const uint8_t *p)
{
    if (!atapi_need_medium(s)) {
        return;
    }
    stl_be(s->io_buffer, cd_sectors(s) - 1);
    stl_be(s->io_buffer + 4, ATAPI_SECTOR_SIZE);
    atapi_reply(s, 8, 8);
}

static void cmd_read(IDEState *s, const uint8_t *p)
{
    uint32_t n = p[0] == 0xa8 ? ldl_be(p + 6) : lduw_be(p + 7);

    if (!atapi_need_medium(s)) {
        return;
    }
    atapi_read_sectors(s, ldl_be(p + 2), n);
}

static void cmd_read_cd(IDEState *s, const uint8_t *p)
{
    uint32_t n = (p[6] << 16) | (p[7] << 8) | p[8];

    if (!atapi_need_medium(s)) {
        return;
    }
    if (!n) {
        atapi_cmd_ok(s);
        return;
    }
    if ((p[9] & 0xf8) != 0x10) { /* user data only */
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CMD_PACKET);
        return;
    }
    atapi_read_sectors(s, ldl_be(p + 2), n);
}

static void lba_to_msf(uint8_t *b, uint32_t lba)
{
    lba += 150;
    b[0] = 0;
    b[1] = lba / (60 * 75);
    b[2] = (lba / 75) % 60;
    b[3] = lba % 75;
}

static void cmd_read_toc(IDEState *s, const uint8_t *p)
{
    uint8_t *b = s->io_buffer;
    bool msf = p[1] & 2;
    int format = p[2] & 0x0f;
    uint16_t alloc = lduw_be(p + 7);
    unsigned len;

    if (!atapi_need_medium(s)) {
        return;
    }
    if (!format) {
        format = p[9] >> 6; /* the old SFF-8020i place */
    }
    memset(b, 0, 32);
    switch (format) {
    case 0: /* TOC: track 1 (data) and the lead-out */
        if (p[6] > 1 && p[6] != 0xaa) {
            atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST,
                            ASC_INV_FIELD_IN_CMD_PACKET);
            return;
        }
        b[2] = 1;
        b[3] = 1;
        len = 4;
        if (p[6] <= 1) {
            b[len + 1] = 0x14; /* ADR 1, data track */
            b[len + 2] = 1;
            if (msf) {
                lba_to_msf(b + len + 4, 0);
            }
            len += 8;
        }
        b[len + 1] = 0x14;
        b[len + 2] = 0xaa;
        if (msf) {
            lba_to_msf(b + len + 4, cd_sectors(s));
        } else {
            stl_be(b + len + 4, cd_sectors(s));
        }
        len += 8;
        break;
    case 1: /* session information: one session starting at track 1 */
        b[2] = 1;
        b[3] = 1;
        b[5] = 0x14;
        b[6] = 1;
        if (msf) {
            lba_to_msf(b + 8, 0);
        }
        len = 12;
        break;
    default:
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CMD_PACKET);
        return;
    }
    stw_be(b, len - 2);
    atapi_reply(s, len, alloc);
}

static uint16_t atapi_profile(IDEState *s)
{
    if (!s->bs) {
        return MMC_PROFILE_NONE;
    }
    return cd_sectors(s) > CD_MAX_SECTORS ? MMC_PROFILE_DVD_ROM
                                          : MMC_PROFILE_CD_ROM;
}

static void cmd_get_configuration(IDEState *s, const uint8_t *p)
{
    uint8_t *b = s->io_buffer;
    uint16_t alloc = lduw_be(p + 7);
    uint16_t profile = atapi_profile(s);
    unsigned len;

    memset(b, 0, 64);
    stw_be(b + 6, profile);
    len = 8;
    /* Profile list: DVD-ROM and CD-ROM, the current one flagged. */
    stw_be(b + len, 0x0000);
    b[len + 2] = 0x03; /* persistent, current */
    b[len + 3] = 8;
    stw_be(b + len + 4, MMC_PROFILE_DVD_ROM);
    b[len + 6] = profile == MMC_PROFILE_DVD_ROM;
    stw_be(b + len + 8, MMC_PROFILE_CD_ROM);
    b[len + 10] = profile == MMC_PROFILE_CD_ROM;
    len += 12;
    /* Core feature: ATAPI interface. */
    stw_be(b + len, 0x0001);
    b[len + 2] = 0x0b; /* version 2, persistent, current */
    b[len + 3] = 8;
    stl_be(b + len + 4, 2); /* ATAPI */
    b[len + 8] = 1;         /* DBE */
    len += 12;
    /* Removable medium feature: tray, eject. */
    stw_be(b + len, 0x0003);
    b[len + 2] = 0x03;
    b[len + 3] = 4;
    b[len + 4] = 0x29; /* tray loading, eject, lock */
    len += 8;
    stl_be(b, len - 4);
    atapi_reply(s, len, alloc);
}

static void cmd_get_event_status(IDEState *s, const uint8_t *p)
{
    uint8_t *b = s->io_buffer;
    uint16_t alloc = lduw_be(p + 7);

    if (!(p[1] & 1)) { /* only the polled form */
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CMD_PACKET);
        return;
    }
    memset(b, 0, 8);
    b[3] = 0x10; /* supported classes: media */
    if (p[4] & 0x10) {
        stw_be(b, 6);
        b[2] = 4; /* media class */
        if (s->media_changed && s->bs) {
            b[4] = 2; /* NEW MEDIA */
            s->media_changed = false;
        }
        b[5] = s->bs ? 0x02 : 0x00; /* media present, door closed */
        atapi_reply(s, 8, alloc);
        return;
    }
    stw_be(b, 2);
    b[2] = 0x80; /* no event available */
    atapi_reply(s, 4, alloc);
}

/* Mode pages 01h and 2Ah after an 8-byte MODE SENSE(10) header. */
static unsigned mode_page(IDEState *s, uint8_t *b, int page)
{
    switch (page) {
    case 0x01: /* read error recovery */
        memset(b, 0, 8);
        b[0] = 0x01;
        b[1] = 0x06;
        b[3] = 5; /* retry count */
        return 8;
    case 0x2a: /* CD/DVD capabilities and mechanical status */
        memset(b, 0, 20);
        b[0] = 0x2a;
        b[1] = 0x12;
        b[2] = 0x3b; /* reads CD-R/RW, DVD-ROM/R/RAM */
        b[4] = 0x71; /* audio play, composite, digital port, multisession */
        b[5] = 0x60; /* CD-DA commands, accurate stream */
        b[6] = 0x29; /* tray, eject, lock supported */
        stw_be(b + 8, 706);   /* maximum read speed, kB/s (4x) */
        stw_be(b + 10, 2);    /* volume levels */
        stw_be(b + 12, 2048); /* buffer, KiB */
        stw_be(b + 14, 706);  /* current read speed */
        return 20;
    default:
        return 0;
    }
}

static void cmd_mode_sense(IDEState *s, const uint8_t *p)
{
    uint8_t *b = s->io_buffer;
    bool ten = p[0] == 0x5a;
    int page = p[2] & 0x3f, pc = p[2] >> 6;
    uint16_t alloc = ten ? lduw_be(p + 7) : p[4];
    unsigned hdr = ten ? 8 : 4, len = hdr;

    if (pc == 3) { /* saved values */
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, 0x39);
        return;
    }
    memset(b, 0, hdr);
    if (page == 0x3f) {
        len += mode_page(s, b + len, 0x01);
        len += mode_page(s, b + len, 0x2a);
    } else {
        unsigned n = mode_page(s, b + len, page);
        if (!n) {
            atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST,
                            ASC_INV_FIELD_IN_CMD_PACKET);
            return;
        }
        len += n;
    }
    if (ten) {
        stw_be(b, len - 2);
        b[2] = 0x70; /* medium type: door closed, no disc info */
    } else {
        b[0] = len - 1;
        b[1] = 0x70;
    }
    atapi_reply(s, len, alloc);
}

static void cmd_read_disc_info(IDEState *s, const uint8_t *p)
{
    uint8_t *b = s->io_buffer;

    if (!atapi_need_medium(s)) {
        return;
    }
    if (p[1] & 7) { /* only the standard disc information */
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CMD_PACKET);
        return;
    }
    memset(b, 0, 34);
    stw_be(b, 32);
    b[2] = 0x0e;                /* last session complete, disc finalized */
    b[3] = 1;                   /* first track */
    b[4] = 1;                   /* sessions */
    b[5] = 1;                   /* first track of the last session */
    b[6] = 1;                   /* last track of the last session */
    b[7] = 0x20;                /* unrestricted use */
    stl_be(b + 16, 0xffffffff); /* no lead-in */
    stl_be(b + 20, 0xffffffff); /* no lead-out */
    atapi_reply(s, 34, lduw_be(p + 7));
}

static void cmd_mechanism_status(IDEState *s, const uint8_t *p)
{
    memset(s->io_buffer, 0, 8);
    atapi_reply(s, 8, lduw_be(p + 8));
}

static void cmd_test_unit_ready(IDEState *s, const uint8_t *p)
{
    if (atapi_need_medium(s)) {
        atapi_cmd_ok(s);
    }
}

static void cmd_ok(IDEState *s, const uint8_t *p)
{
    atapi_cmd_ok(s);
}

static void cmd_prevent_allow(IDEState *s, const uint8_t *p)
{
    s->tray_locked = p[4] & 1;
    atapi_cmd_ok(s);
}

/* START STOP UNIT: with LoEj, the guest opens or closes the tray. */
static void cmd_start_stop(IDEState *s, const uint8_t *p)
{
    bool loej = p[4] & 2, start = p[4] & 1;

    if (loej && s->drive) {
        if (!start && s->tray_locked) {
            atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST,
                            0x53 /* medium removal prevented */);
            return;
        }
        s->drive->tray_open = !start;
        s->bs = start ? s->drive->bs : NULL;
        s->nb_sectors = s->bs ? bdrv_getlength(s->bs) / IDE_SECTOR_SIZE : 0;
    }
    atapi_cmd_ok(s);
}

void ide_atapi_media_change(IDEState *s, bool loaded)
{
    if (s->dma_pending) {
        ide_dma_cancel(s->bus);
    }
    s->atapi_sectors_left = 0;
    s->bs = loaded ? s->drive->bs : NULL;
    s->nb_sectors = s->bs ? bdrv_getlength(s->bs) / IDE_SECTOR_SIZE : 0;
    s->media_changed = loaded;
    s->unit_attention = true;
}

typedef void ATAPICmdFn(IDEState *s, const uint8_t *p);

static ATAPICmdFn *const atapi_cmd_table[256] = {
    [0x00] = cmd_test_unit_ready,   /* TEST UNIT READY */
    [0x03] = cmd_request_sense,     /* REQUEST SENSE */
    [0x12] = cmd_inquiry,           /* INQUIRY */
    [0x1a] = cmd_mode_sense,        /* MODE SENSE(6) */
    [0x1b] = cmd_start_stop,        /* START STOP UNIT */
    [0x1e] = cmd_prevent_allow,     /* PREVENT ALLOW MEDIUM REMOVAL */
    [0x25] = cmd_read_capacity,     /* READ CAPACITY */
    [0x28] = cmd_read,              /* READ(10) */
    [0x2b] = cmd_ok,                /* SEEK(10) */
    [0x43] = cmd_read_toc,          /* READ TOC/PMA/ATIP */
    [0x46] = cmd_get_configuration, /* GET CONFIGURATION */
    [0x4a] = cmd_get_event_status,  /* GET EVENT STATUS NOTIFICATION */
    [0x51] = cmd_read_disc_info,    /* READ DISC INFORMATION */
    [0x5a] = cmd_mode_sense,        /* MODE SENSE(10) */
    [0xa8] = cmd_read,              /* READ(12) */
    [0xbb] = cmd_ok,                /* SET CD SPEED */
    [0xbd] = cmd_mechanism_status,  /* MECHANISM STATUS */
    [0xbe] = cmd_read_cd,           /* READ CD */
};

/* The host wrote the 12-byte packet: run it. */
void ide_atapi_packet_start(IDEState *s)
{
    const uint8_t *p = s->io_buffer;
    ATAPICmdFn *fn;

    memcpy(s->packet, p, sizeof(s->packet));
    ide_transfer_stop(s);
    s->status = READY_STAT | BUSY_STAT;
    fn = atapi_cmd_table[s->packet[0]];
    /*
     * A changed medium is announced once, as UNIT ATTENTION, to the first
     * command that is not INQUIRY, REQUEST SENSE or GET EVENT STATUS.
     */
    if (s->unit_attention && s->packet[0] != 0x12 && s->packet[0] != 0x03 &&
        s->packet[0] != 0x4a) {
        s->unit_attention = false;
        atapi_cmd_error(s, SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
        return;
    }
    if (!fn) {
        qemu_log_mask(LOG_UNIMP, "ide-cd: packet command 0x%02x\n",
                      s->packet[0]);
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_ILLEGAL_OPCODE);
        return;
    }
    fn(s, s->packet);
}
