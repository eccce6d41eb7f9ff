/*
 * QEMU's educational PCI device ("edu"): identification, liveness and
 * factorial registers, an interrupt raise/acknowledge pair (INTx or MSI),
 * and a DMA engine with a 4 KiB buffer.  Tests use it to exercise BAR
 * mapping, INTx routing, MSI delivery and bus-master DMA.
 *
 * Interface:
 *   PCI     1234:11e8 rev 0x10, class 00ff, INTA#, one MSI vector
 *   BAR0    1 MiB MMIO: 0x00 id (0x010000ed), 0x04 liveness (reads ~v),
 *           0x08 factorial, 0x20 status (0x01 computing, 0x80 interrupt
 *           when done), 0x24 interrupt status, 0x60 raise, 0x64 ack,
 *           0x80 DMA source, 0x88 DMA destination, 0x90 DMA count,
 *           0x98 DMA command (0x01 start, 0x02 buffer -> RAM, 0x04 raise
 *           interrupt 0x100 when done); the buffer is at 0x40000
 *   props   dma_mask (default 28 bits)
 * Follows QEMU's docs/specs/edu.rst (the interface only): 32-bit accesses
 * below 0x80, 32- or 64-bit from 0x80.  The factorial and DMA complete
 * at once instead of on a worker thread / timer.
 */
#include <inttypes.h>
#include <string.h>

#include "hw/pci/pci.h"
#include "util/log.h"

#define EDU_ID         0x00
#define EDU_LIVENESS   0x04
#define EDU_FACTORIAL  0x08
#define EDU_STATUS     0x20
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE  0x60
#define EDU_IRQ_ACK    0x64
#define EDU_DMA_SRC    0x80
#define EDU_DMA_DST    0x88
#define EDU_DMA_CNT    0x90
#define EDU_DMA_CMD    0x98

#define EDU_STATUS_COMPUTING 0x01
#define EDU_STATUS_IRQFACT   0x80
#define EDU_FACT_IRQ         0x00000001
#define EDU_DMA_IRQ          0x00000100
#define EDU_DMA_RUN          0x1
#define EDU_DMA_FROM_DEV     0x2
#define EDU_DMA_IRQ_EN       0x4
#define EDU_DMA_START        0x40000
#define EDU_DMA_SIZE         4096

typedef struct EduState {
    PCIDevice parent;
    uint64_t dma_mask;
    MemoryRegion mmio;
    uint32_t addr4;
    uint32_t fact;
    uint32_t status;
    uint32_t irq_status;
    uint64_t dma_src, dma_dst, dma_cnt, dma_cmd;
    uint8_t dma_buf[EDU_DMA_SIZE];
} EduState;
DECLARE_DEVICE_CAST(EduState, EDU, "edu")

static void edu_update_irq(EduState *s, bool raised)
{
    PCIDevice *d = PCI_DEVICE(s);

    if (msi_enabled(d)) {
        if (raised) {
            msi_notify(d, 0);
        }
        pci_set_irq(d, 0);
    } else {
        pci_set_irq(d, s->irq_status != 0);
    }
}

static void edu_raise(EduState *s, uint32_t v)
{
    s->irq_status |= v;
    if (v) {
        edu_update_irq(s, true);
    }
}

/* The buffer range for a DMA address in the device's window, or -1. */
static long edu_buf_offset(EduState *s, uint64_t addr)
{
    if (addr < EDU_DMA_START || addr - EDU_DMA_START > EDU_DMA_SIZE ||
        s->dma_cnt > EDU_DMA_SIZE - (addr - EDU_DMA_START)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "edu: DMA window 0x%" PRIx64 "+0x%" PRIx64
                      " outside the buffer\n",
                      addr, s->dma_cnt);
        return -1;
    }
    return addr - EDU_DMA_START;
}

static void edu_dma(EduState *s)
{
    PCIDevice *d = PCI_DEVICE(s);
    long off;

    if (s->dma_cmd & EDU_DMA_FROM_DEV) {
        off = edu_buf_offset(s, s->dma_src);
        if (off >= 0) {
            pci_dma_write(d, s->dma_dst & s->dma_mask, s->dma_buf + off,
                          s->dma_cnt);
        }
    } else {
        off = edu_buf_offset(s, s->dma_dst);
        if (off >= 0) {
            pci_dma_read(d, s->dma_src & s->dma_mask, s->dma_buf + off,
                         s->dma_cnt);
        }
    }
    s->dma_cmd &= ~(uint64_t)EDU_DMA_RUN;
    if (s->dma_cmd & EDU_DMA_IRQ_EN) {
        edu_raise(s, EDU_DMA_IRQ);
    }
}

static uint64_t edu_read(void *opaque, hwaddr addr, unsigned size)
{
    EduState *s = opaque;

    if ((addr < 0x80 && size != 4) ||
        (addr >= 0x80 && size != 4 && size != 8)) {
        return ~0ull;
    }
    switch (addr) {
    case EDU_ID:
        return 0x010000edu;
    case EDU_LIVENESS:
        return s->addr4;
    case EDU_FACTORIAL:
        return s->fact;
    case EDU_STATUS:
        return s->status;
    case EDU_IRQ_STATUS:
        return s->irq_status;
    case EDU_DMA_SRC:
        return s->dma_src;
    case EDU_DMA_DST:
        return s->dma_dst;
    case EDU_DMA_CNT:
        return s->dma_cnt;
    case EDU_DMA_CMD:
        return s->dma_cmd;
    default:
        return ~0ull;
    }
}

static void edu_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    EduState *s = opaque;
    uint32_t n, f;

    if ((addr < 0x80 && size != 4) ||
        (addr >= 0x80 && size != 4 && size != 8)) {
        qemu_log_mask(LOG_GUEST_ERROR, "edu: %u-byte write at 0x%x\n", size,
                      (unsigned)addr);
        return;
    }
    switch (addr) {
    case EDU_LIVENESS:
        s->addr4 = ~(uint32_t)val;
        break;
    case EDU_FACTORIAL:
        if (s->status & EDU_STATUS_COMPUTING) {
            break;
        }
        for (n = (uint32_t)val, f = 1; n > 1; n--) {
            f *= n;
        }
        s->fact = f;
        if (s->status & EDU_STATUS_IRQFACT) {
            edu_raise(s, EDU_FACT_IRQ);
        }
        break;
    case EDU_STATUS:
        s->status = (s->status & EDU_STATUS_COMPUTING) |
                    ((uint32_t)val & EDU_STATUS_IRQFACT);
        break;
    case EDU_IRQ_RAISE:
        edu_raise(s, (uint32_t)val);
        break;
    case EDU_IRQ_ACK:
        s->irq_status &= ~(uint32_t)val;
        edu_update_irq(s, false);
        break;
    case EDU_DMA_SRC:
        s->dma_src = val;
        break;
    case EDU_DMA_DST:
        s->dma_dst = val;
        break;
    case EDU_DMA_CNT:
        s->dma_cnt = val;
        break;
    case EDU_DMA_CMD:
        if (!(s->dma_cmd & EDU_DMA_RUN)) {
            s->dma_cmd = val;
            if (val & EDU_DMA_RUN) {
                edu_dma(s);
            }
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "edu: write to 0x%x ignored\n",
                      (unsigned)addr);
        break;
    }
}

static const MemoryRegionOps edu_ops = {
    .read = edu_read,
    .write = edu_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 4, .max_access_size = 8},
    .impl = {.min_access_size = 4, .max_access_size = 8},
};

static void edu_reset(DeviceState *dev)
{
    EduState *s = EDU(dev);

    s->addr4 = 0;
    s->fact = 0;
    s->status = 0;
    s->irq_status = 0;
    s->dma_src = s->dma_dst = s->dma_cnt = s->dma_cmd = 0;
    memset(s->dma_buf, 0, sizeof(s->dma_buf));
}

static bool edu_realize(DeviceState *dev, Error **errp)
{
    EduState *s = EDU(dev);
    PCIDevice *d = PCI_DEVICE(dev);

    pci_config_set_interrupt_pin(d->config, 1);
    if (!msi_init(d, 0, 1, true, false, errp)) {
        return false;
    }
    memory_region_init_io(&s->mmio, dev, &edu_ops, s, "edu-mmio",
                          1 * 1024 * 1024);
    pci_register_bar(d, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);
    edu_reset(dev);
    return true;
}

static const PCIDeviceClass edu_class = {
    .vendor_id = 0x1234,
    .device_id = 0x11e8,
    .revision = 0x10,
    .class_id = PCI_CLASS_OTHERS,
};

static const Property edu_props[] = {
    DEFINE_PROP_UINT64("dma_mask", EduState, dma_mask, (1ull << 28) - 1),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo edu_info = {
    .name = "edu",
    .parent = "pci-device",
    .instance_size = sizeof(EduState),
    .desc = "QEMU educational PCI device",
    .category = DEVICE_CATEGORY_MISC,
    .user_creatable = true,
    .class_data = &edu_class,
    .props = edu_props,
    .realize = edu_realize,
    .reset = edu_reset,
};
DEVICE_TYPE_REGISTER(edu_info)
