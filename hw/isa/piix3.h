/*
 * PIIX3 PCI-to-ISA bridge: board-facing interface.
 */
#ifndef HW_ISA_PIIX3_H
#define HW_ISA_PIIX3_H

#include "hw/isa/isa.h"
#include "hw/pci/pci.h"

/* PIRQA..D routed to ISA IRQs 10, 10, 11, 11, as SeaBIOS leaves them. */
#define PIIX3_PIRQ_FIRMWARE_IRQ(pirq) ((pirq) < 2 ? 10 : 11)

/*
 * Creates function 01.0 ("PIIX3"), its ISA bus (whose 16 lines are
 * isa_irqs) and takes over INTx routing of bus.  pirq_at_reset programs
 * the PIRQ route registers at reset as firmware would.
 */
PCIDevice *piix3_init(PCIBus *bus, qemu_irq *isa_irqs, bool pirq_at_reset,
                      Error **errp);

#endif
