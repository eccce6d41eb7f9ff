/*
 * The KVM accelerator ("-accel kvm"), as boards see it.
 *
 * Board code (never device models) uses these to wire interrupt lines to
 * the in-kernel irqchip and to route MSIs; everything else goes through
 * AccelOps (system/accel.h) and the CPU hooks in hw/x86/x86-cpu.h.
 */
#ifndef ACCEL_KVM_KVM_H
#define ACCEL_KVM_KVM_H

#include <stdbool.h>
#include <stdint.h>

/* Whether KVM is the accelerator in use. */
bool kvm_enabled(void);
/* Whether the PIC/IOAPIC/LAPICs are in the kernel (always, when enabled). */
bool kvm_irqchip_in_kernel(void);
/* Whether the 8254 PIT is in the kernel (ports 0x40-0x43 and 0x61). */
bool kvm_pit_in_kernel(void);
/* Drives GSI gsi of the in-kernel irqchip (level 0/1). */
void kvm_set_irq(int gsi, int level);
/* Delivers an MSI (address/data as a PCI function writes them). */
void kvm_send_msi(uint64_t addr, uint32_t data);

#endif
