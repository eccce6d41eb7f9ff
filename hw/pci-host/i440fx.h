/*
 * i440FX PCI host bridge: board-facing interface.
 */
#ifndef HW_PCI_HOST_I440FX_H
#define HW_PCI_HOST_I440FX_H

#include "hw/pci/pci.h"

/*
 * Creates the host ("i440FX-pcihost", ports 0xcf8/0xcfc) and function
 * 00.0 ("i440FX").  ram is the whole guest RAM region, whose first
 * 1 MiB the PAM registers shadow; pam_ram_at_reset makes every PAM
 * segment read/write RAM at reset, as firmware leaves it (for boots
 * without firmware).  Returns the root bus "pci.0".
 */
PCIBus *i440fx_init(MemoryRegion *system_memory, MemoryRegion *system_io,
                    MemoryRegion *ram, bool pam_ram_at_reset, Error **errp);

/*
 * The south bridge's reset control register shares 0xcf8-0xcfb with
 * CONFIG_ADDRESS: byte accesses at 0xcf9 go to ops (offset 0).
 */
void i440fx_set_reset_control(const MemoryRegionOps *ops, void *opaque);

#endif
