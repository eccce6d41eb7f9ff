/*
 * Bus-master IDE DMA (SFF-8038i) of one channel: the command, status and
 * PRD-table pointer registers, and the engine that moves a drive's DMA
 * request between the medium and the guest memory its PRD table names.
 *
 * Interface:
 *   ports   8 bytes per channel in the function's BAR4: 0 command
 *           (bit 0 start/stop, bit 3 direction: 1 = to memory), 2 status
 *           (bit 0 active, 1 error, 2 interrupt, 5-6 drive DMA capable,
 *           write 1 to clear bits 1-2), 4-7 PRD table address
 *   DMA     PRD entries: dword 0 physical address (bit 0 ignored), dword
 *           1 byte count in bits 15-0 (0 = 64 KiB), bit 31 end of table
 * Medium data moves through a bounce buffer in chunks; each chunk is one
 * asynchronous block request (block/aio-pool.h) whose completion runs on
 * the main loop.  A PRD table shorter than the transfer, or an entry
 * pointing at unassigned memory, ends the command with the error bit and
 * an ATA error (ABRT); stopping the engine or a reset cancels the
 * request (its completion is dropped).
 */
#include <errno.h>
#include <string.h>

#include "block/aio-pool.h"
#include "hw/ide/ide-internal.h"
#include "hw/pci/pci.h"
#include "util/log.h"

#define BM_CMD_START     0x01
#define BM_CMD_READ      0x08 /* device to memory */
#define BM_STATUS_ACTIVE 0x01
#define BM_STATUS_ERROR  0x02
#define BM_STATUS_INT    0x04
#define BM_STATUS_RW     0x60 /* drive 0/1 DMA capable */

#define IDE_DMA_CHUNK (256 * 1024)

typedef struct IDEDMAReq {
    IDEState *s;
    BlockDriverState *bs; /* referenced until the completion */
    unsigned gen;
    uint8_t *buf;
    uint32_t len;
    struct iovec iov;
} IDEDMAReq;

static BlockAioPool *ide_pool;

static BlockAioPool *ide_aio_pool(void)
{
    if (!ide_pool) {
        ide_pool = blk_aio_pool_new(NULL, 2);
    }
    return ide_pool;
}

/*
 * Moves len bytes between buf and the memory the PRD table describes,
 * from the current cursor.  Returns 0, -ENOSPC when the table ends
 * first, or -EFAULT when a table entry or buffer is not reachable.
 */
static int bmdma_prd_rw(BMDMAState *bm, uint8_t *buf, uint32_t len, bool to_mem)
{
    PCIDevice *pci = PCI_DEVICE(bm->pci);

    while (len) {
        uint32_t n;
        if (!bm->cur_len) {
            uint8_t e[8];
            uint32_t count;
            if (bm->eot) {
                qemu_log_mask(LOG_GUEST_ERROR,
                              "ide: PRD table at 0x%08x shorter than the "
                              "transfer\n",
                              bm->addr);
                return -ENOSPC;
            }
            if (pci_dma_read(pci, bm->prd_next, e, 8) != MEMTX_OK) {
                qemu_log_mask(LOG_GUEST_ERROR,
                              "ide: PRD entry at 0x%08x unreadable\n",
                              bm->prd_next);
                return -EFAULT;
            }
            bm->cur_addr =
                (e[0] | e[1] << 8 | e[2] << 16 | (uint32_t)e[3] << 24) & ~1u;
            count = (e[4] | e[5] << 8) & ~1u;
            bm->cur_len = count ? count : 0x10000;
            bm->eot = e[7] & 0x80;
            bm->prd_next += 8;
        }
        n = MIN(len, bm->cur_len);
        if (pci_dma_rw(pci, bm->cur_addr, buf, n, to_mem) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ide: DMA to unassigned memory at 0x%08x\n",
                          bm->cur_addr);
            return -EFAULT;
        }
        bm->cur_addr += n;
        bm->cur_len -= n;
        buf += n;
        len -= n;
    }
    return 0;
}

static void ide_dma_finish(IDEState *s, int ret)
{
    BMDMAState *bm = s->bus->bm;

    s->dma_pending = false;
    bm->busy = false;
    if (ret < 0) {
        bm->status &= ~BM_STATUS_ACTIVE;
        if (ret != -EIO) {
            bm->status |= BM_STATUS_ERROR;
        }
        ret = ret == -EIO ? -EIO : -EFAULT;
    } else if (!bm->cur_len && bm->eot) {
        bm->status &= ~BM_STATUS_ACTIVE; /* the table is used up */
    }
    s->dma_complete(s, ret);
}

static void ide_dma_step(IDEState *s);

static void ide_dma_advance(IDEState *s, uint32_t n)
{
    s->dma_offset += n;
    s->dma_done += n;
    s->dma_left -= n;
}

static void ide_dma_cb(void *opaque, int ret)
{
    IDEDMAReq *req = opaque;
    IDEState *s = req->s;
    BMDMAState *bm = s->bus->bm;

    if (req->gen != bm->gen) {
        goto out; /* cancelled */
    }
    bm->busy = false;
    if (ret < 0) {
        ide_dma_finish(s, -EIO);
        goto out;
    }
    if (s->dma_to_mem) {
        ret = bmdma_prd_rw(bm, req->buf, req->len, true);
        if (ret < 0) {
            ide_dma_finish(s, ret);
            goto out;
        }
    }
    ide_dma_advance(s, req->len);
    ide_dma_step(s);
out:
    bdrv_unref(req->bs);
    g_free(req->buf);
    g_free(req);
}

/* Runs the request until it is done or waits for the medium. */
static void ide_dma_step(IDEState *s)
{
    BMDMAState *bm = s->bus->bm;

    while (s->dma_left) {
        uint32_t n = MIN(s->dma_left, IDE_DMA_CHUNK);
        IDEDMAReq *req;
        int ret;

        if (s->dma_src == IDE_DMA_BUFFER) {
            ret =
                bmdma_prd_rw(bm, s->io_buffer + s->dma_done, n, s->dma_to_mem);
            if (ret < 0) {
                ide_dma_finish(s, ret);
                return;
            }
            ide_dma_advance(s, n);
            continue;
        }
        if (!s->bs) {
            ide_dma_finish(s, -EIO); /* the medium went away */
            return;
        }
        req = g_new0(IDEDMAReq, 1);
        req->s = s;
        req->gen = bm->gen;
        req->len = n;
        req->buf = g_malloc(n);
        req->iov.iov_base = req->buf;
        req->iov.iov_len = n;
        if (!s->dma_to_mem) {
            ret = bmdma_prd_rw(bm, req->buf, n, false);
            if (ret < 0) {
                g_free(req->buf);
                g_free(req);
                ide_dma_finish(s, ret);
                return;
            }
        }
        bm->busy = true;
        req->bs = s->bs;
        bdrv_ref(req->bs); /* a medium change may drop the drive's */
        if (s->dma_to_mem) {
            blk_aio_preadv(ide_aio_pool(), s->bs, s->dma_offset, &req->iov, 1,
                           ide_dma_cb, req);
        } else {
            blk_aio_pwritev(ide_aio_pool(), s->bs, s->dma_offset, &req->iov, 1,
                            0, ide_dma_cb, req);
        }
        return;
    }
    ide_dma_finish(s, 0);
}

void ide_dma_prepare(IDEState *s, IDEDMASource src, bool to_mem,
                     uint64_t offset, uint64_t len,
                     void (*complete)(IDEState *s, int ret))
{
    s->dma_pending = true;
    s->dma_src = src;
    s->dma_to_mem = to_mem;
    s->dma_offset = offset;
    s->dma_left = len;
    s->dma_done = 0;
    s->dma_complete = complete;
    ide_dma_kick(s->bus);
}

void ide_dma_kick(IDEBus *bus)
{
    BMDMAState *bm = bus->bm;
    IDEState *s = &bus->ifs[bus->unit];

    if (!bm || !(bm->cmd & BM_CMD_START) || bm->busy || !s->dma_pending) {
        return;
    }
    if (!!(bm->cmd & BM_CMD_READ) != s->dma_to_mem) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ide: bus master direction %s, command wants %s\n",
                      (bm->cmd & BM_CMD_READ) ? "to memory" : "from memory",
                      s->dma_to_mem ? "to memory" : "from memory");
    }
    ide_dma_step(s);
}

void ide_dma_cancel(IDEBus *bus)
{
    BMDMAState *bm = bus->bm;

    if (bm) {
        bm->gen++;
        bm->busy = false;
    }
    for (int i = 0; i < 2; i++) {
        bus->ifs[i].dma_pending = false;
    }
}

/* ---- registers ---- */

static uint64_t bmdma_read(void *opaque, hwaddr addr, unsigned size)
{
    BMDMAState *bm = opaque;

    switch (addr) {
    case 0:
        return bm->cmd;
    case 2:
        return bm->status;
    case 4:
    case 5:
    case 6:
    case 7:
        return (bm->addr >> ((addr - 4) * 8)) & (size == 4   ? 0xffffffffu
                                                 : size == 2 ? 0xffffu
                                                             : 0xffu);
    default:
        return 0;
    }
}

static void bmdma_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    BMDMAState *bm = opaque;

    switch (addr) {
    case 0: {
        uint8_t old = bm->cmd;
        bm->cmd = val & (BM_CMD_START | BM_CMD_READ);
        if ((bm->cmd & BM_CMD_START) && !(old & BM_CMD_START)) {
            bm->status |= BM_STATUS_ACTIVE;
            bm->prd_next = bm->addr;
            bm->cur_len = 0;
            bm->eot = false;
            ide_dma_kick(bm->bus);
        } else if (!(bm->cmd & BM_CMD_START) && (old & BM_CMD_START)) {
            /* Stop: an unfinished transfer is abandoned. */
            bool pending = false;
            for (int i = 0; i < 2; i++) {
                pending |= bm->bus->ifs[i].dma_pending;
            }
            if (pending) {
                qemu_log_mask(LOG_GUEST_ERROR,
                              "ide: bus master stopped mid-transfer\n");
                ide_dma_cancel(bm->bus);
            }
            bm->status &= ~BM_STATUS_ACTIVE;
        }
        break;
    }
    case 2:
        bm->status = (bm->status & ~(BM_STATUS_RW)) | (val & BM_STATUS_RW);
        bm->status &= ~(val & (BM_STATUS_ERROR | BM_STATUS_INT));
        break;
    case 4:
    case 5:
    case 6:
    case 7: {
        unsigned sh = (addr - 4) * 8;
        uint32_t mask = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
        bm->addr = (bm->addr & ~(mask << sh)) | ((uint32_t)val << sh);
        bm->addr &= ~3u;
        break;
    }
    default:
        break;
    }
}

const MemoryRegionOps bmdma_ops = {
    .read = bmdma_read,
    .write = bmdma_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

void bmdma_init(BMDMAState *bm, IDEBus *bus, DeviceState *pci)
{
    bm->bus = bus;
    bm->pci = pci;
    bus->bm = bm;
}

void bmdma_reset(BMDMAState *bm)
{
    bm->cmd = 0;
    bm->status = 0;
    bm->addr = 0;
    bm->cur_len = 0;
    bm->eot = false;
    bm->busy = false;
    bm->gen++;
}
