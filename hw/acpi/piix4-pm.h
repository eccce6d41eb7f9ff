/*
 * PIIX4 power management function: board-facing interface and the
 * fixed addresses the ACPI tables describe.
 */
#ifndef HW_ACPI_PIIX4_PM_H
#define HW_ACPI_PIIX4_PM_H

#include "hw/pci/pci.h"
#include "hw/intc/irq.h"

#define PIIX4_PM_IO_BASE   0x600 /* PM1a_EVT; PM1a_CNT +4, PM_TMR +8 */
#define PIIX4_PM_SCI_IRQ   9
#define PIIX4_GPE0_BASE    0xafe0
#define PIIX4_GPE0_LEN     4
#define PIIX4_SMB_IO_BASE  0x700
#define ACPI_PM_TIMER_FREQ 3579545

/*
 * Creates function 01.3 ("PIIX4_PM").  sci is ISA IRQ 9.  pm_at_reset
 * enables the PM I/O block at PIIX4_PM_IO_BASE at reset, as firmware
 * does, for boots without firmware.
 */
PCIDevice *piix4_pm_init(PCIBus *bus, int devfn, qemu_irq sci, bool pm_at_reset,
                         Error **errp);

#endif
