/*
 * Private to hw/pci/: the bus structure and the hooks between the config
 * space core (pci.c) and MSI/MSI-X (msi.c).
 */
#ifndef HW_PCI_PCI_INTERNAL_H
#define HW_PCI_PCI_INTERNAL_H

#include "hw/pci/pci.h"

struct PCIBus {
    BusState *qbus;
    PCIDevice *devices[256];
    MemoryRegion *mem; /* where memory BARs map */
    MemoryRegion *io;  /* where I/O BARs map */
    pci_set_irq_fn set_irq;
    pci_map_irq_fn map_irq;
    void *irq_opaque;
    int nlines;
    int *irq_count; /* per line: how many functions assert it */
};

void pci_intx_update(PCIDevice *d);
void msi_write_config(PCIDevice *d, uint32_t addr, uint32_t val, int len);
void msix_write_config(PCIDevice *d, uint32_t addr, uint32_t val, int len);
void msi_reset(PCIDevice *d);
/* Delivers one message if bus mastering is on. */
void pci_msi_send(PCIDevice *d, uint64_t addr, uint32_t data);

#endif
