/*
 * IDE internals shared by the ATA core (core.c), the ATAPI packet layer
 * (atapi.c), the bus-master DMA engine (dma.c), the drive devices
 * (ide-dev.c) and the PIIX3 function (piix.c).
 *
 * An IDEBus is one channel: a command block (8 ports), a control block
 * (1 port), one IRQ line, two device slots (IDEState, master and slave)
 * and an optional bus-master DMA engine.  Register writes reach both
 * devices (ATA: both latch the taskfile); reads come from the selected
 * one.  Follows ATA/ATAPI-6 (T13 1410D) chapters 6-9 (commands and
 * protocols), SFF-8038i (bus-master IDE) and SFF-8020i/MMC (ATAPI).
 */
#ifndef HW_IDE_IDE_INTERNAL_H
#define HW_IDE_IDE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "hw/block/drive.h"
#include "hw/core/qdev.h"
#include "hw/intc/irq.h"
#include "system/memory.h"

#define IDE_SECTOR_SIZE   512
#define ATAPI_SECTOR_SIZE 2048
#define IDE_MAX_MULT      16 /* READ/WRITE MULTIPLE block, sectors */
/* PIO buffer: a MULTIPLE block, or one ATAPI reply / DRQ chunk. */
#define IDE_IO_BUF_SIZE (128 * 1024)

/* Status register */
#define ERR_STAT   0x01
#define DRQ_STAT   0x08
#define SEEK_STAT  0x10 /* DSC */
#define DF_STAT    0x20
#define READY_STAT 0x40
#define BUSY_STAT  0x80

/* Error register */
#define ABRT_ERR 0x04
#define IDNF_ERR 0x10
#define UNC_ERR  0x40

/* Device control register */
#define IDE_CTRL_NIEN 0x02
#define IDE_CTRL_SRST 0x04
#define IDE_CTRL_HOB  0x80

/* Device/head register */
#define IDE_SEL_LBA  0x40
#define IDE_SEL_DEV1 0x10

/* ATAPI interrupt reason (sector count register) */
#define ATAPI_INT_REASON_CD 0x01
#define ATAPI_INT_REASON_IO 0x02

/* SCSI sense keys and additional sense codes used by ATAPI */
#define SENSE_NONE                  0
#define SENSE_NOT_READY             2
#define SENSE_ILLEGAL_REQUEST       5
#define SENSE_UNIT_ATTENTION        6
#define ASC_INV_FIELD_IN_CMD_PACKET 0x24
#define ASC_ILLEGAL_OPCODE          0x20
#define ASC_LBA_OUT_OF_RANGE        0x21
#define ASC_MEDIUM_NOT_PRESENT      0x3a
#define ASC_MEDIUM_MAY_HAVE_CHANGED 0x28

typedef enum IDEDriveKind {
    IDE_NONE = 0,
    IDE_HD,
    IDE_CD,
} IDEDriveKind;

typedef struct IDEBus IDEBus;
typedef struct IDEState IDEState;
typedef struct BMDMAState BMDMAState;

/* Where a DMA transfer takes or puts its data. */
typedef enum IDEDMASource {
    IDE_DMA_DISK,   /* the medium, from s->dma_offset */
    IDE_DMA_BUFFER, /* s->io_buffer (ATAPI replies) */
} IDEDMASource;

struct IDEState {
    IDEBus *bus;
    int unit;
    IDEDriveKind kind;
    DeviceState *dev; /* the ide-hd / ide-cd device */
    DriveInfo *drive;
    BlockDriverState *bs; /* NULL: no medium */
    uint64_t nb_sectors;  /* 512-byte sectors */
    /* Default (IDENTIFY words 1/3/6) and current (INITIALIZE DEVICE
     * PARAMETERS) CHS translation. */
    int cylinders, heads, sectors;
    int cur_heads, cur_sectors;
    char serial[21], model[41], version[9];
    uint64_t wwn;
    bool wce; /* write cache enabled (SET FEATURES 02h / 82h) */
    int mult_sectors;

    /* Taskfile, as the device latched it; hob_* are the previous writes
     * (48-bit commands and the HOB bit of the device control register). */
    uint8_t feature, error, nsector, sector, lcyl, hcyl, select, status;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t cmd;
    bool lba48;
    bool irq; /* INTRQ requested */

    /* PIO: data port window into io_buffer; end_transfer runs when the
     * host has read or written data_end bytes. */
    uint8_t *io_buffer;
    uint32_t data_pos, data_end;
    void (*end_transfer)(IDEState *s);
    /* ATA READ/WRITE in progress: next LBA, sectors left, per block. */
    uint64_t cur_lba;
    uint32_t nsector_left;
    uint32_t req_sectors;

    /* DMA request waiting for (or run by) the bus master. */
    bool dma_pending;
    bool dma_to_mem; /* device to memory (a read) */
    IDEDMASource dma_src;
    uint64_t dma_offset; /* bytes, on the medium */
    uint64_t dma_left;   /* bytes still to move */
    uint64_t dma_done;   /* bytes moved (buffer source: offset) */
    void (*dma_complete)(IDEState *s, int ret);

    /* ATAPI */
    uint8_t sense_key, asc, ascq;
    bool media_changed;  /* GET EVENT STATUS reports NEW MEDIA once */
    bool unit_attention; /* the next command reports the change */
    bool tray_locked;    /* PREVENT ALLOW MEDIUM REMOVAL */
    uint8_t packet[12];
    bool atapi_dma;      /* features bit 0 of the PACKET command */
    uint32_t atapi_bcl;  /* byte count limit */
    uint32_t atapi_left; /* reply bytes not yet given to the host */
    uint32_t atapi_len;  /* reply length in io_buffer */
    uint32_t atapi_pos;
    /* READ(10/12) in progress: next 2048-byte LBA and sectors left */
    uint64_t atapi_lba;
    uint32_t atapi_sectors_left;
};

struct BMDMAState {
    IDEBus *bus;
    uint8_t cmd;
    uint8_t status;
    uint32_t addr; /* PRD table */
    /* PRD cursor */
    uint32_t prd_next; /* address of the next entry to fetch */
    uint32_t cur_addr; /* current entry: where, and bytes left */
    uint32_t cur_len;
    bool eot;     /* the current entry is the last */
    unsigned gen; /* bumped to cancel an in-flight request */
    bool busy;    /* a request is in flight */
    MemoryRegion io;
    DeviceState *pci; /* for bus-master DMA (PCIDevice) */
};

struct IDEBus {
    BusState *qbus;
    int bus_id;
    IDEState ifs[2];
    int unit;     /* selected device */
    uint8_t ctrl; /* device control register */
    qemu_irq irq;
    BMDMAState *bm;
    MemoryRegion cmd_io, ctl_io;
};

/* core.c */
void ide_bus_init(IDEBus *bus, int bus_id, BusState *qbus, qemu_irq irq);
void ide_bus_map_legacy(IDEBus *bus, DeviceState *owner, uint16_t iobase,
                        uint16_t iobase2);
bool ide_init_drive(IDEState *s, IDEDriveKind kind, DriveInfo *drive,
                    const char *serial, const char *model, Error **errp);
void ide_bus_reset(IDEBus *bus);
void ide_set_irq(IDEState *s);
void ide_update_irq(IDEBus *bus);
void ide_abort_command(IDEState *s);
/* Starts a PIO data-in block of len bytes from io_buffer. */
void ide_transfer_start(IDEState *s, uint32_t len, bool irq,
                        void (*end)(IDEState *s));
/* Same, for io_buffer[off, off + len). */
void ide_transfer_start_at(IDEState *s, uint32_t off, uint32_t len, bool irq,
                           void (*end)(IDEState *s));
void ide_transfer_stop(IDEState *s);
/* Queues a DMA transfer; the bus master runs it when started. */
void ide_dma_prepare(IDEState *s, IDEDMASource src, bool to_mem,
                     uint64_t offset, uint64_t len,
                     void (*complete)(IDEState *s, int ret));
void ide_cmd_done(IDEState *s);
/* 48-bit sector count / LBA helpers */
uint64_t ide_get_sector(IDEState *s);
void ide_set_sector(IDEState *s, uint64_t lba);

/* atapi.c */
void ide_atapi_identify(IDEState *s);
void ide_atapi_packet_start(IDEState *s);
void ide_atapi_set_signature(IDEState *s);
/* The drive's medium was changed (loaded) or ejected from the monitor. */
void ide_atapi_media_change(IDEState *s, bool loaded);

/* dma.c */
void bmdma_init(BMDMAState *bm, IDEBus *bus, DeviceState *pci);
void bmdma_reset(BMDMAState *bm);
/* The drive has a request ready (or the bus master was started). */
void ide_dma_kick(IDEBus *bus);
void ide_dma_cancel(IDEBus *bus);
extern const MemoryRegionOps bmdma_ops;

/* ide-dev.c: the bus of an "ide-hd"/"ide-cd" device and its slot. */
IDEBus *ide_bus_from_qbus(BusState *qbus);
BusState *ide_qbus_new(DeviceState *parent, IDEBus *bus, const char *name);

#endif
