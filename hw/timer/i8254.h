/*
 * The 8254 programmable interval timer of a PC ("i8254"): board-facing
 * interface.
 *
 *     DeviceState *pit = i8254_init(isa_irqs[0], errp);
 *
 * Channel 0's OUT drives irq; channel 2's gate and OUT are bits 0 and 5
 * of port 0x61, which the device also decodes.
 */
#ifndef HW_TIMER_I8254_H
#define HW_TIMER_I8254_H

#include "hw/core/qdev.h"
#include "hw/intc/irq.h"

#define PIT_FREQ 1193182 /* Hz */

/* Creates and realizes "i8254" at ports 0x40-0x43 and 0x61. */
DeviceState *i8254_init(qemu_irq irq, Error **errp);

#endif
