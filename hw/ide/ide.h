/*
 * IDE controllers and drives: board-facing interface.
 *
 *     PCIDevice *ide = piix3_ide_init(pci_bus, PCI_DEVFN(1, 1), errp);
 *
 * creates the PIIX3 IDE function with buses "ide.0" (primary, ports
 * 0x1f0/0x3f6, ISA IRQ 14) and "ide.1" (secondary, 0x170/0x376, IRQ 15)
 * and attaches the -drive if=ide drives (index 0-3) as ide-hd / ide-cd.
 * decode_at_reset enables the channels at reset as firmware does.
 */
#ifndef HW_IDE_IDE_H
#define HW_IDE_IDE_H

#include "hw/core/qdev.h"
#include "hw/pci/pci.h"

PCIDevice *piix3_ide_init(PCIBus *bus, int devfn, bool decode_at_reset,
                          Error **errp);
/* Creates ide-hd/ide-cd for the if=ide drives of bus bus_id on qbus. */
bool ide_create_drives(BusState *qbus, int bus_id, Error **errp);

#endif
