/*
 * The 8259A PIC pair of a PC ("i8259"): board- and CPU-facing interface.
 *
 *     DeviceState *pic = i8259_init(cpu_intr_line, errp);
 *     qemu_irq *isa_irqs = i8259_get_irqs(pic);      16 ISA inputs
 *     if (pic_get_output(pic)) vector = pic_read_irq(pic);   INTA cycle
 *
 * The master's INT output drives intr (a CPU's INTR pin or LAPIC LINT0).
 */
#ifndef HW_INTC_I8259_H
#define HW_INTC_I8259_H

#include "hw/core/qdev.h"
#include "hw/intc/irq.h"

/* Creates and realizes "i8259" on ports 0x20, 0xa0 and 0x4d0 (ELCR). */
DeviceState *i8259_init(qemu_irq intr, Error **errp);
/* The 16 input lines (IRQ 0-7 master, 8-15 slave; IRQ 2 is the cascade). */
qemu_irq *i8259_get_irqs(DeviceState *pic);
/* Level of the master's INT output (1: an interrupt is requested). */
int pic_get_output(DeviceState *pic);
/*
 * The two INTA pulses: returns the vector of the highest-priority request
 * and marks it in service (unless auto-EOI).  With nothing to deliver the
 * chip answers with IRQ 7 (or 15 from the slave) without setting ISR: the
 * spurious interrupt.
 */
int pic_read_irq(DeviceState *pic);

#endif
