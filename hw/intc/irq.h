/*
 * Interrupt lines between devices: a qemu_irq is one wire with a handler
 * at the receiving end (an interrupt controller input, a router, or the
 * accelerator's in-kernel irqchip).
 *
 *     s->irq = isa_get_irq(ISA_DEVICE(s), 4);   sender side
 *     qemu_set_irq(s->irq, level);              level 0 or 1
 *
 *     qemu_irq *in = qemu_allocate_irqs(pic_set_irq, s, 16);  receiver side
 *
 * Handlers run on the caller's thread with the big lock held.
 */
#ifndef HW_INTC_IRQ_H
#define HW_INTC_IRQ_H

#include <stdbool.h>

typedef void (*qemu_irq_handler)(void *opaque, int n, int level);
typedef struct IRQState *qemu_irq;

/* One line whose level changes call handler(opaque, n, level). */
qemu_irq qemu_allocate_irq(qemu_irq_handler handler, void *opaque, int n);
/* count lines numbered 0..count-1; free with qemu_free_irqs(). */
qemu_irq *qemu_allocate_irqs(qemu_irq_handler handler, void *opaque, int count);
void qemu_free_irq(qemu_irq irq);
void qemu_free_irqs(qemu_irq *irqs, int count);

/* NULL lines are allowed and ignore the call (an unconnected pin). */
void qemu_set_irq(qemu_irq irq, int level);
static inline void qemu_irq_raise(qemu_irq irq)
{
    qemu_set_irq(irq, 1);
}
static inline void qemu_irq_lower(qemu_irq irq)
{
    qemu_set_irq(irq, 0);
}
static inline void qemu_irq_pulse(qemu_irq irq)
{
    qemu_set_irq(irq, 1);
    qemu_set_irq(irq, 0);
}

#endif
