/*
 * MSI and MSI-X capabilities (PCI Local Bus Specification 3.0, 6.8).
 *
 * MSI: the capability holds one address/data pair; multiple vectors are
 * encoded in the low bits of data; optional per-vector mask and pending
 * bits.  MSI-X: a table of address/data/vector-control entries and a
 * pending bit array, each in a BAR; a masked vector's message is held as
 * pending and sent when it is unmasked.  Messages go to the board's sink
 * (pci_set_msi_sink), e.g. the in-kernel LAPICs under KVM.
 */
#include <string.h>

#include "hw/pci/pci-internal.h"
#include "util/log.h"

/* MSI capability layout. */
#define MSI_FLAGS         2
#define MSI_FLAGS_ENABLE  0x0001
#define MSI_FLAGS_QMASK   0x000e /* multiple message capable */
#define MSI_FLAGS_QSIZE   0x0070 /* multiple message enable */
#define MSI_FLAGS_64BIT   0x0080
#define MSI_FLAGS_MASKBIT 0x0100
#define MSI_ADDRESS_LO    4

/* MSI-X capability and table layout. */
#define MSIX_FLAGS             2
#define MSIX_FLAGS_QSIZE       0x07ff
#define MSIX_FLAGS_MASKALL     0x4000
#define MSIX_FLAGS_ENABLE      0x8000
#define MSIX_TABLE             4
#define MSIX_PBA               8
#define MSIX_CAP_SIZE          12
#define MSIX_ENTRY_SIZE        16
#define MSIX_ENTRY_LOWER_ADDR  0
#define MSIX_ENTRY_UPPER_ADDR  4
#define MSIX_ENTRY_DATA        8
#define MSIX_ENTRY_VECTOR_CTRL 12
#define MSIX_VECTOR_MASKBIT    1

static pci_msi_sink_fn msi_sink;

void pci_set_msi_sink(pci_msi_sink_fn fn)
{
    msi_sink = fn;
}

void pci_msi_send(PCIDevice *d, uint64_t addr, uint32_t data)
{
    if (!(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: %s: MSI with bus mastering off dropped\n", __func__,
                      d->qdev.type->name);
        return;
    }
    if (msi_sink) {
        msi_sink(addr, data);
    } else {
        address_space_stl_le(&address_space_memory, addr, data,
                             MEMTXATTRS_UNSPECIFIED, NULL);
    }
}

/* ---- MSI ---- */

static uint16_t msi_flags(const PCIDevice *d)
{
    return pci_get_word(d->config + d->msi_cap + MSI_FLAGS);
}

static unsigned msi_data_off(const PCIDevice *d)
{
    return d->msi_cap + (msi_flags(d) & MSI_FLAGS_64BIT ? 12 : 8);
}

static unsigned msi_mask_off(const PCIDevice *d)
{
    return msi_data_off(d) + 4; /* after data and 2 reserved bytes */
}

bool msi_init(PCIDevice *d, uint8_t offset, unsigned nr_vectors, bool is_64,
              bool per_vector_mask, Error **errp)
{
    unsigned size = 10 + (is_64 ? 4 : 0) + (per_vector_mask ? 10 : 0);
    unsigned log2 = 0;
    uint16_t flags;
    uint8_t pos;

    while ((1u << log2) < nr_vectors) {
        log2++;
    }
    if (nr_vectors == 0 || nr_vectors > 32 || (1u << log2) != nr_vectors) {
        error_setg(errp, "%s: MSI supports 1..32 vectors, a power of two",
                   d->qdev.type->name);
        return false;
    }
    pos = pci_add_capability(d, PCI_CAP_ID_MSI, offset, size, errp);
    if (!pos) {
        return false;
    }
    d->msi_cap = pos;
    d->msi_vectors = nr_vectors;
    flags = log2 << 1;
    if (is_64) {
        flags |= MSI_FLAGS_64BIT;
    }
    if (per_vector_mask) {
        flags |= MSI_FLAGS_MASKBIT;
    }
    pci_set_word(d->config + pos + MSI_FLAGS, flags);
    pci_set_word(d->wmask + pos + MSI_FLAGS,
                 MSI_FLAGS_QSIZE | MSI_FLAGS_ENABLE);
    pci_set_long(d->wmask + pos + MSI_ADDRESS_LO, 0xfffffffc);
    if (is_64) {
        pci_set_long(d->wmask + pos + MSI_ADDRESS_LO + 4, 0xffffffff);
    }
    pci_set_word(d->wmask + msi_data_off(d), 0xffff);
    if (per_vector_mask) {
        pci_set_long(d->wmask + msi_mask_off(d),
                     nr_vectors == 32 ? 0xffffffff : (1u << nr_vectors) - 1);
    }
    return true;
}

bool msi_enabled(const PCIDevice *d)
{
    return d->msi_cap && (msi_flags(d) & MSI_FLAGS_ENABLE);
}

static unsigned msi_enabled_vectors(const PCIDevice *d)
{
    return 1u << ((msi_flags(d) & MSI_FLAGS_QSIZE) >> 4);
}

static void msi_send_vector(PCIDevice *d, unsigned vector)
{
    uint16_t flags = msi_flags(d);
    uint64_t addr = pci_get_long(d->config + d->msi_cap + MSI_ADDRESS_LO);
    uint32_t data = pci_get_word(d->config + msi_data_off(d));
    unsigned n = msi_enabled_vectors(d);

    if (flags & MSI_FLAGS_64BIT) {
        addr |= (uint64_t)pci_get_long(d->config + d->msi_cap + 8) << 32;
    }
    data = (data & ~(n - 1)) | (vector & (n - 1));
    pci_msi_send(d, addr, data);
}

void msi_notify(PCIDevice *d, unsigned vector)
{
    if (!msi_enabled(d)) {
        return;
    }
    if (vector >= msi_enabled_vectors(d)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: %s: vector %u beyond the %u enabled\n", __func__,
                      d->qdev.type->name, vector, msi_enabled_vectors(d));
        return;
    }
    if (msi_flags(d) & MSI_FLAGS_MASKBIT) {
        uint32_t mask = pci_get_long(d->config + msi_mask_off(d));
        if (mask & (1u << vector)) {
            uint8_t *pend = d->config + msi_mask_off(d) + 4;
            pci_set_long(pend, pci_get_long(pend) | (1u << vector));
            return;
        }
    }
    msi_send_vector(d, vector);
}

void msi_write_config(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    uint8_t *pend;
    uint32_t pending, mask;

    if (!(msi_flags(d) & MSI_FLAGS_MASKBIT) || !msi_enabled(d)) {
        return;
    }
    /* Unmasking a vector with a pending message sends it. */
    pend = d->config + msi_mask_off(d) + 4;
    pending = pci_get_long(pend);
    mask = pci_get_long(d->config + msi_mask_off(d));
    for (unsigned v = 0; v < d->msi_vectors; v++) {
        if ((pending & (1u << v)) && !(mask & (1u << v))) {
            pending &= ~(1u << v);
            pci_set_long(pend, pending);
            msi_send_vector(d, v);
        }
    }
}

void msi_reset(PCIDevice *d)
{
    if (!d->msi_cap) {
        return;
    }
    pci_set_word(d->config + d->msi_cap + MSI_FLAGS,
                 msi_flags(d) & ~(MSI_FLAGS_ENABLE | MSI_FLAGS_QSIZE));
    pci_set_long(d->config + d->msi_cap + MSI_ADDRESS_LO, 0);
    if (msi_flags(d) & MSI_FLAGS_64BIT) {
        pci_set_long(d->config + d->msi_cap + 8, 0);
    }
    pci_set_word(d->config + msi_data_off(d), 0);
    if (msi_flags(d) & MSI_FLAGS_MASKBIT) {
        pci_set_long(d->config + msi_mask_off(d), 0);
        pci_set_long(d->config + msi_mask_off(d) + 4, 0);
    }
}

/* ---- MSI-X ---- */

static uint16_t msix_flags(const PCIDevice *d)
{
    return pci_get_word(d->config + d->msix_cap + MSIX_FLAGS);
}

bool msix_enabled(const PCIDevice *d)
{
    return d->msix_cap && (msix_flags(d) & MSIX_FLAGS_ENABLE);
}

static bool vector_masked(const PCIDevice *d, unsigned v)
{
    return pci_get_long(d->msix_table + v * MSIX_ENTRY_SIZE +
                        MSIX_ENTRY_VECTOR_CTRL) &
           MSIX_VECTOR_MASKBIT;
}

bool msix_is_masked(const PCIDevice *d, unsigned vector)
{
    return !msix_enabled(d) || (msix_flags(d) & MSIX_FLAGS_MASKALL) ||
           vector_masked(d, vector);
}

static void pba_set(PCIDevice *d, unsigned v, bool on)
{
    uint8_t bit = 1u << (v & 7);

    if (on) {
        d->msix_pba[v / 8] |= bit;
    } else {
        d->msix_pba[v / 8] &= ~bit;
    }
}

static void msix_send(PCIDevice *d, unsigned v)
{
    const uint8_t *e = d->msix_table + v * MSIX_ENTRY_SIZE;
    uint64_t addr = pci_get_quad(e + MSIX_ENTRY_LOWER_ADDR);

    pci_msi_send(d, addr, pci_get_long(e + MSIX_ENTRY_DATA));
}

void msix_notify(PCIDevice *d, unsigned vector)
{
    if (!d->msix_cap || vector >= d->msix_entries) {
        return;
    }
    if (!msix_enabled(d)) {
        return;
    }
    if (msix_is_masked(d, vector)) {
        pba_set(d, vector, true);
        return;
    }
    msix_send(d, vector);
}

/* Sends what became deliverable after a mask change. */
static void msix_deliver_pending(PCIDevice *d)
{
    for (unsigned v = 0; v < d->msix_entries; v++) {
        if ((d->msix_pba[v / 8] & (1u << (v & 7))) && !msix_is_masked(d, v)) {
            pba_set(d, v, false);
            msix_send(d, v);
        }
    }
}

void msix_write_config(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    if (addr + len <= (uint32_t)d->msix_cap + MSIX_FLAGS ||
        addr > d->msix_cap + MSIX_FLAGS + 1u) {
        return;
    }
    if (msix_enabled(d)) {
        msix_deliver_pending(d);
    }
}

static uint64_t msix_table_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIDevice *d = opaque;

    return pci_get_long(d->msix_table + (addr & ~3u));
}

static void msix_table_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    PCIDevice *d = opaque;

    pci_set_long(d->msix_table + (addr & ~3u), (uint32_t)val);
    if ((addr & (MSIX_ENTRY_SIZE - 1)) == MSIX_ENTRY_VECTOR_CTRL &&
        msix_enabled(d)) {
        msix_deliver_pending(d);
    }
}

static const MemoryRegionOps msix_table_ops = {
    .read = msix_table_read,
    .write = msix_table_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 4, .max_access_size = 8},
    .impl = {.min_access_size = 4, .max_access_size = 4},
};

static uint64_t msix_pba_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIDevice *d = opaque;

    return pci_get_long(d->msix_pba + (addr & ~3u));
}

static void msix_pba_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "%s: PBA is read-only (offset 0x%x)\n",
                  __func__, (unsigned)addr);
}

static const MemoryRegionOps msix_pba_ops = {
    .read = msix_pba_read,
    .write = msix_pba_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 4, .max_access_size = 8},
    .impl = {.min_access_size = 4, .max_access_size = 4},
};

bool msix_init(PCIDevice *d, unsigned nentries, MemoryRegion *table_bar,
               uint8_t table_bar_nr, uint32_t table_offset,
               MemoryRegion *pba_bar, uint8_t pba_bar_nr, uint32_t pba_offset,
               uint8_t cap_pos, Error **errp)
{
    unsigned table_size = nentries * MSIX_ENTRY_SIZE;
    unsigned pba_size = ((nentries + 63) / 64) * 8;
    uint8_t pos;

    if (nentries == 0 || nentries > 2048 || (table_offset & 7) ||
        (pba_offset & 7) || table_bar_nr > 5 || pba_bar_nr > 5 ||
        table_offset + table_size > memory_region_size(table_bar) ||
        pba_offset + pba_size > memory_region_size(pba_bar)) {
        error_setg(errp, "%s: bad MSI-X table/PBA layout", d->qdev.type->name);
        return false;
    }
    pos = pci_add_capability(d, PCI_CAP_ID_MSIX, cap_pos, MSIX_CAP_SIZE, errp);
    if (!pos) {
        return false;
    }
    d->msix_cap = pos;
    d->msix_entries = nentries;
    d->msix_table = g_malloc0(table_size);
    d->msix_pba = g_malloc0(MAX(pba_size, 8));
    pci_set_word(d->config + pos + MSIX_FLAGS, nentries - 1);
    pci_set_word(d->wmask + pos + MSIX_FLAGS,
                 MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
    pci_set_long(d->config + pos + MSIX_TABLE, table_offset | table_bar_nr);
    pci_set_long(d->config + pos + MSIX_PBA, pba_offset | pba_bar_nr);
    msix_reset(d);
    memory_region_init_io(&d->msix_table_mmio, &d->qdev, &msix_table_ops, d,
                          "msix-table", table_size);
    memory_region_add_subregion(table_bar, table_offset, &d->msix_table_mmio);
    memory_region_init_io(&d->msix_pba_mmio, &d->qdev, &msix_pba_ops, d,
                          "msix-pba", pba_size);
    memory_region_add_subregion(pba_bar, pba_offset, &d->msix_pba_mmio);
    return true;
}

bool msix_init_exclusive_bar(PCIDevice *d, unsigned nentries, uint8_t bar_nr,
                             Error **errp)
{
    unsigned table_size = nentries * MSIX_ENTRY_SIZE;
    uint64_t bar_size = 4096;
    uint32_t pba_offset;

    /* Table first, PBA in the second half, as QEMU lays it out. */
    while (bar_size < table_size * 2) {
        bar_size <<= 1;
    }
    pba_offset = bar_size / 2;
    d->msix_exclusive_bar = g_new0(MemoryRegion, 1);
    memory_region_init(d->msix_exclusive_bar, &d->qdev, "msix", bar_size);
    if (!msix_init(d, nentries, d->msix_exclusive_bar, bar_nr, 0,
                   d->msix_exclusive_bar, bar_nr, pba_offset, 0, errp)) {
        g_free(d->msix_exclusive_bar);
        d->msix_exclusive_bar = NULL;
        return false;
    }
    pci_register_bar(d, bar_nr, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     d->msix_exclusive_bar);
    return true;
}

void msix_uninit(PCIDevice *d)
{
    if (!d->msix_cap) {
        return;
    }
    memory_region_del_subregion(d->msix_table_mmio.container,
                                &d->msix_table_mmio);
    memory_region_del_subregion(d->msix_pba_mmio.container, &d->msix_pba_mmio);
    g_free(d->msix_table);
    g_free(d->msix_pba);
    d->msix_table = d->msix_pba = NULL;
    d->msix_cap = 0;
    d->msix_entries = 0;
}

void msix_reset(PCIDevice *d)
{
    if (!d->msix_cap) {
        return;
    }
    pci_set_word(d->config + d->msix_cap + MSIX_FLAGS,
                 msix_flags(d) & ~(MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL));
    memset(d->msix_table, 0, d->msix_entries * MSIX_ENTRY_SIZE);
    memset(d->msix_pba, 0, (d->msix_entries + 7) / 8);
    for (unsigned v = 0; v < d->msix_entries; v++) {
        pci_set_long(d->msix_table + v * MSIX_ENTRY_SIZE +
                         MSIX_ENTRY_VECTOR_CTRL,
                     MSIX_VECTOR_MASKBIT);
    }
}
