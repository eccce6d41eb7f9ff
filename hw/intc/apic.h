/*
 * The local APIC of each x86 vCPU ("apic", xAPIC mode) and the APIC bus
 * that connects the local APICs to each other and to the IOAPIC.
 *
 * Board:
 *     DeviceState *apic = apic_init(apic_id, index == 0, pic, errp);
 *     apic_set_cpu(apic, &my_cpu_apic_ops, cpu);
 *     qemu_set_irq(apic_bus_extint_line(), level);   the 8259's INT
 * vCPU thread (once, and whenever a thread switches vCPUs):
 *     apic_set_current(cpu->apic);     the APIC that 0xfee00000 reaches
 * vCPU at an instruction boundary, when ops->set_intr said "pending":
 *     if (eflags.IF && apic_has_interrupt(apic))
 *         vector = apic_get_interrupt(apic);     -1: nothing after all
 * MSRs and CR8: apic_get_base/apic_set_base (IA32_APIC_BASE),
 * apic_get_tpr/apic_set_tpr (CR8 = TPR[7:4]).
 */
#ifndef HW_INTC_APIC_H
#define HW_INTC_APIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/core/qdev.h"
#include "hw/intc/irq.h"

#define APIC_DEFAULT_BASE 0xfee00000ull
#define APIC_BASE_BSP     (1ull << 8)
#define APIC_BASE_ENABLE  (1ull << 11)

/* Delivery modes (ICR, LVT, IOAPIC redirection entries, MSI data). */
#define APIC_DM_FIXED   0
#define APIC_DM_LOWEST  1
#define APIC_DM_SMI     2
#define APIC_DM_NMI     4
#define APIC_DM_INIT    5
#define APIC_DM_STARTUP 6
#define APIC_DM_EXTINT  7

/* What a local APIC asks of its CPU; every hook may be NULL. */
typedef struct APICCPUOps {
    /* An interrupt became deliverable (true) or no longer is (false). */
    void (*set_intr)(void *cpu, bool pending);
    void (*nmi)(void *cpu);
    /* INIT: reset the CPU and wait for a SIPI (the APIC resets itself). */
    void (*init)(void *cpu);
    /* STARTUP IPI: start at vector << 12 in real mode. */
    void (*sipi)(void *cpu, uint8_t vector);
} APICCPUOps;

/* Creates and realizes an "apic"; pic (may be NULL) answers ExtINT. */
DeviceState *apic_init(uint32_t apic_id, bool bsp, DeviceState *pic,
                       Error **errp);
void apic_set_cpu(DeviceState *apic, const APICCPUOps *ops, void *cpu);
/* The APIC that this thread's accesses to 0xfee00000 reach. */
void apic_set_current(DeviceState *apic);
/* LINT0 (n = 0) and LINT1 (n = 1) input pins. */
qemu_irq apic_get_lint(DeviceState *apic, int n);

bool apic_has_interrupt(DeviceState *apic);
/*
 * INTA: returns the vector of the highest deliverable interrupt and puts
 * it in service (ExtINT: asks the 8259), or the spurious vector when the
 * request went away under TPR, or -1 when there is nothing at all.
 */
int apic_get_interrupt(DeviceState *apic);

uint64_t apic_get_base(DeviceState *apic);
void apic_set_base(DeviceState *apic, uint64_t val);
uint8_t apic_get_tpr(DeviceState *apic); /* CR8 */
void apic_set_tpr(DeviceState *apic, uint8_t cr8);
/* INIT reset: everything but the ID and IA32_APIC_BASE (SDM 10.4.7.3). */
void apic_init_reset(DeviceState *apic);

/*
 * The APIC bus.  An interrupt message to every local APIC that dest
 * selects (physical: APIC ID, 0xff = all; logical: LDR/DFR match).
 */
void apic_bus_deliver(uint8_t dest, bool logical, int delivery_mode,
                      uint8_t vector, bool level_trigger);
/* A PCI MSI write (address 0xfeexxxxx, data with vector and mode). */
void apic_bus_send_msi(uint64_t addr, uint32_t data);
/* Level-triggered EOIs are broadcast to this handler (the IOAPIC). */
void apic_bus_set_eoi_handler(void (*fn)(void *opaque, int vector),
                              void *opaque);
/* A line that drives LINT0 of every local APIC (the 8259's INT). */
qemu_irq apic_bus_extint_line(void);

#endif
