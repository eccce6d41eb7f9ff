/*
 * QEMU-compatible firmware configuration device, port I/O flavour
 * ("fw_cfg_io").
 *
 * Interface:
 *   ports   iobase+0 selector (16-bit write), iobase+1 data (8-bit read),
 *           iobase+4..+11 DMA address (big-endian 64-bit; writing the low
 *           half or all 64 bits starts a transfer; reads give "QEMU CFG")
 *   props   iobase (0x510), dma_enabled (true)
 * Follows the interface in QEMU's docs/specs/fw_cfg.rst: selecting an
 * item resets its read offset; reads past the end return 0; the file
 * directory (item 0x19) is a big-endian count then 64-byte entries
 * {be32 size, be16 select, u16 reserved, char name[56]}.  A DMA request
 * is a {be32 control, be32 length, be64 address} structure in guest
 * memory; control is cleared (or set to the error bit) when done.
 */
#include <string.h>

#include "hw/core/qdev.h"
#include "hw/nvram/fw_cfg.h"
#include "system/memory.h"
#include "util/log.h"

#define FW_CFG_MAX_FILES     0x200
#define FW_CFG_FILE_NAME_LEN 56

#define FW_CFG_VERSION     0x01
#define FW_CFG_VERSION_DMA 0x02

#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_READ   0x02
#define FW_CFG_DMA_CTL_SKIP   0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE  0x10

#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ull /* "QEMU CFG" */

typedef struct FWCfgEntry {
    const uint8_t *data;
    uint32_t len;
    uint8_t *owned; /* copy made by the add_i* helpers */
} FWCfgEntry;

typedef struct FWCfgFile {
    char name[FW_CFG_FILE_NAME_LEN];
    FWCfgEntry entry;
} FWCfgFile;

struct FWCfgState {
    DeviceState parent;
    /* Properties. */
    uint32_t iobase;
    bool dma_enabled;
    /* Wiring. */
    MemoryRegion io, dma_io;
    /* Items below FW_CFG_FILE_FIRST, generic and arch-local. */
    FWCfgEntry items[2][FW_CFG_FILE_FIRST];
    FWCfgFile *files; /* sorted by name; key = FW_CFG_FILE_FIRST + index */
    unsigned nfiles;
    uint8_t *dir; /* the file directory as the guest reads it */
    uint32_t dir_len;
    /* Current selection. */
    uint16_t cur_key;
    uint32_t cur_offset;
    uint64_t dma_addr;
};
DECLARE_DEVICE_CAST(FWCfgState, FW_CFG, "fw_cfg_io")

static FWCfgState *fw_cfg_instance;

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static void fw_cfg_rebuild_dir(FWCfgState *s)
{
    g_free(s->dir);
    s->dir_len = 4 + 64 * s->nfiles;
    s->dir = g_malloc0(s->dir_len);
    put_be32(s->dir, s->nfiles);
    for (unsigned i = 0; i < s->nfiles; i++) {
        uint8_t *e = s->dir + 4 + 64 * i;
        uint16_t key = FW_CFG_FILE_FIRST + i;
        put_be32(e, s->files[i].entry.len);
        e[4] = key >> 8;
        e[5] = key;
        memcpy(e + 8, s->files[i].name, FW_CFG_FILE_NAME_LEN);
    }
    s->items[0][FW_CFG_FILE_DIR].data = s->dir;
    s->items[0][FW_CFG_FILE_DIR].len = s->dir_len;
}

/* The entry a key selects, or NULL. */
static FWCfgEntry *fw_cfg_entry(FWCfgState *s, uint16_t key)
{
    unsigned arch = !!(key & FW_CFG_ARCH_LOCAL);
    unsigned idx = key & 0x3fff;

    if (idx < FW_CFG_FILE_FIRST) {
        return &s->items[arch][idx];
    }
    if (!arch && idx - FW_CFG_FILE_FIRST < s->nfiles) {
        return &s->files[idx - FW_CFG_FILE_FIRST].entry;
    }
    return NULL;
}

static void entry_set(FWCfgEntry *e, const void *data, size_t len, bool copy)
{
    g_free(e->owned);
    e->owned = copy ? g_memdup2(data, len) : NULL;
    e->data = copy ? e->owned : data;
    e->len = len;
}

void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, size_t len)
{
    FWCfgEntry *e = fw_cfg_entry(s, key);

    if (e && (key & 0x3fff) < FW_CFG_FILE_FIRST) {
        entry_set(e, data, len, false);
    }
}

static void add_copy(FWCfgState *s, uint16_t key, const void *data, size_t len)
{
    FWCfgEntry *e = fw_cfg_entry(s, key);

    if (e && (key & 0x3fff) < FW_CFG_FILE_FIRST) {
        entry_set(e, data, len, true);
    }
}

void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t v)
{
    uint8_t b[2] = {v, v >> 8};

    add_copy(s, key, b, 2);
}

void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t v)
{
    uint8_t b[4] = {v, v >> 8, v >> 16, v >> 24};

    add_copy(s, key, b, 4);
}

void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++) {
        b[i] = v >> (8 * i);
    }
    add_copy(s, key, b, 8);
}

void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *v)
{
    add_copy(s, key, v, strlen(v) + 1);
}

void fw_cfg_add_file(FWCfgState *s, const char *name, const void *data,
                     size_t len)
{
    unsigned pos = 0;

    if (s->nfiles >= FW_CFG_MAX_FILES) {
        g_warning("fw_cfg: too many files, %s dropped", name);
        return;
    }
    while (pos < s->nfiles && strcmp(s->files[pos].name, name) < 0) {
        pos++;
    }
    if (pos < s->nfiles && !strcmp(s->files[pos].name, name)) {
        entry_set(&s->files[pos].entry, data, len, false);
        fw_cfg_rebuild_dir(s);
        return;
    }
    s->files = g_renew(FWCfgFile, s->files, s->nfiles + 1);
    memmove(&s->files[pos + 1], &s->files[pos],
            (s->nfiles - pos) * sizeof(FWCfgFile));
    memset(&s->files[pos], 0, sizeof(FWCfgFile));
    g_strlcpy(s->files[pos].name, name, FW_CFG_FILE_NAME_LEN);
    entry_set(&s->files[pos].entry, data, len, false);
    s->nfiles++;
    fw_cfg_rebuild_dir(s);
}

void fw_cfg_modify_file(FWCfgState *s, const char *name, const void *data,
                        size_t len)
{
    fw_cfg_add_file(s, name, data, len);
}

FWCfgState *fw_cfg_find(void)
{
    return fw_cfg_instance;
}

/* ---- Guest interface ---- */

static void fw_cfg_select(FWCfgState *s, uint16_t key)
{
    s->cur_key = key;
    s->cur_offset = 0;
}

static uint8_t fw_cfg_read_byte(FWCfgState *s)
{
    FWCfgEntry *e = fw_cfg_entry(s, s->cur_key);

    if (!e || s->cur_offset >= e->len) {
        return 0;
    }
    return e->data[s->cur_offset++];
}

static uint64_t fw_cfg_io_read(void *opaque, hwaddr addr, unsigned size)
{
    FWCfgState *s = opaque;
    uint64_t v = 0;

    if (addr == 0) {
        return 0; /* the selector is write-only */
    }
    for (unsigned i = 0; i < size; i++) {
        v = (v << 8) | fw_cfg_read_byte(s); /* string order: big-endian */
    }
    return v;
}

static void fw_cfg_io_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    FWCfgState *s = opaque;

    if (addr == 0 && size == 2) {
        fw_cfg_select(s, val);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: %u-byte write at offset %u ignored (data is "
                      "read-only)\n",
                      __func__, size, (unsigned)addr);
    }
}

static const MemoryRegionOps fw_cfg_io_ops = {
    .read = fw_cfg_io_read,
    .write = fw_cfg_io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 2},
    .impl = {.min_access_size = 1, .max_access_size = 2},
};

static void fw_cfg_dma_transfer(FWCfgState *s)
{
    uint8_t req[16];
    uint32_t control, length;
    uint64_t address;
    bool error = false;
    uint8_t status[4];

    if (address_space_read(&address_space_memory, s->dma_addr,
                           MEMTXATTRS_UNSPECIFIED, req, 16) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad DMA descriptor address\n",
                      __func__);
        return;
    }
    control = get_be32(req);
    length = get_be32(req + 4);
    address = ((uint64_t)get_be32(req + 8) << 32) | get_be32(req + 12);
    if (control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(s, control >> 16);
    }
    if (control & (FW_CFG_DMA_CTL_READ | FW_CFG_DMA_CTL_SKIP)) {
        FWCfgEntry *e = fw_cfg_entry(s, s->cur_key);
        uint32_t avail =
            e && s->cur_offset < e->len ? e->len - s->cur_offset : 0;
        uint32_t n = MIN(avail, length);
        if (control & FW_CFG_DMA_CTL_READ) {
            uint8_t *zeros;
            if (n && address_space_write(
                         &address_space_memory, address, MEMTXATTRS_UNSPECIFIED,
                         e->data + s->cur_offset, n) != MEMTX_OK) {
                error = true;
            }
            if (length > n) { /* past the end reads as zeros */
                zeros = g_malloc0(length - n);
                if (address_space_write(&address_space_memory, address + n,
                                        MEMTXATTRS_UNSPECIFIED, zeros,
                                        length - n) != MEMTX_OK) {
                    error = true;
                }
                g_free(zeros);
            }
        }
        s->cur_offset += n;
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: item 0x%x is not writable\n",
                      __func__, s->cur_key);
        error = true;
    }
    put_be32(status, error ? FW_CFG_DMA_CTL_ERROR : 0);
    address_space_write(&address_space_memory, s->dma_addr,
                        MEMTXATTRS_UNSPECIFIED, status, 4);
}

static uint64_t fw_cfg_dma_read(void *opaque, hwaddr addr, unsigned size)
{
    /* Big-endian register: byte i of the signature at offset i. */
    return (FW_CFG_DMA_SIGNATURE >> ((8 - addr - size) * 8)) &
           (size == 8 ? ~0ull : (1ull << (size * 8)) - 1);
}

static void fw_cfg_dma_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    FWCfgState *s = opaque;

    if (size == 8 && addr == 0) {
        s->dma_addr = val;
        fw_cfg_dma_transfer(s);
    } else if (size == 4 && addr == 0) {
        s->dma_addr = val << 32;
    } else if (size == 4 && addr == 4) {
        s->dma_addr = (s->dma_addr & ~0xffffffffull) | val;
        fw_cfg_dma_transfer(s);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %u-byte write at %u ignored\n",
                      __func__, size, (unsigned)addr);
    }
}

static const MemoryRegionOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_read,
    .write = fw_cfg_dma_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8},
    .impl = {.min_access_size = 1, .max_access_size = 8},
};

static void fw_cfg_reset(DeviceState *dev)
{
    FWCfgState *s = FW_CFG(dev);

    fw_cfg_select(s, FW_CFG_SIGNATURE);
    s->dma_addr = 0;
}

static bool fw_cfg_realize(DeviceState *dev, Error **errp)
{
    FWCfgState *s = FW_CFG(dev);

    if (fw_cfg_instance) {
        error_setg(errp, "fw_cfg: only one instance is allowed");
        return false;
    }
    add_copy(s, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(s, FW_CFG_ID,
                   FW_CFG_VERSION | (s->dma_enabled ? FW_CFG_VERSION_DMA : 0));
    fw_cfg_rebuild_dir(s);
    memory_region_init_io(&s->io, dev, &fw_cfg_io_ops, s, "fwcfg", 2);
    memory_region_add_subregion(get_system_io(), s->iobase, &s->io);
    if (s->dma_enabled) {
        memory_region_init_io(&s->dma_io, dev, &fw_cfg_dma_ops, s, "fwcfg.dma",
                              8);
        memory_region_add_subregion(get_system_io(), s->iobase + 4, &s->dma_io);
    }
    fw_cfg_instance = s;
    return true;
}

FWCfgState *fw_cfg_init_io(uint16_t iobase, bool dma, Error **errp)
{
    DeviceState *dev = device_new("fw_cfg_io", errp);

    if (!dev) {
        return NULL;
    }
    FW_CFG(dev)->iobase = iobase;
    FW_CFG(dev)->dma_enabled = dma;
    if (!device_realize(dev, sysbus_get_default(), errp)) {
        device_free(dev);
        return NULL;
    }
    return FW_CFG(dev);
}

static const Property fw_cfg_props[] = {
    DEFINE_PROP_UINT32("iobase", FWCfgState, iobase, FW_CFG_IO_BASE),
    DEFINE_PROP_BOOL("dma_enabled", FWCfgState, dma_enabled, true),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo fw_cfg_info = {
    .name = "fw_cfg_io",
    .parent = "sys-bus-device",
    .instance_size = sizeof(FWCfgState),
    .desc = "QEMU firmware configuration interface (port I/O)",
    .category = DEVICE_CATEGORY_MISC,
    .props = fw_cfg_props,
    .realize = fw_cfg_realize,
    .reset = fw_cfg_reset,
};
DEVICE_TYPE_REGISTER(fw_cfg_info)
