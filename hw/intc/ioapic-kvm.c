/*
 * The GSI inputs of the in-kernel irqchip ("kvm-ioapic").
 *
 * Interface:
 *   irq     24 input lines (GSI 0-23), forwarded with KVM_IRQ_LINE; the
 *           kernel routes GSI 0-15 to its 8259s too, ISA IRQ 0 to IOAPIC
 *           pin 2 (accel/kvm/kvm-x86.c sets the routing)
 *   MMIO    none here: 0xfec00000 is decoded by the kernel
 * Under -accel qtest nothing is forwarded and the test protocol may
 * intercept the lines ("irq_intercept_in ioapic").
 */
#include "accel/kvm/kvm.h"
#include "hw/intc/ioapic-kvm.h"
#include "system/qtest.h"

typedef struct IOAPICKVMState {
    DeviceState parent;
    int level[IOAPIC_NUM_PINS];
    qemu_irq *in;
} IOAPICKVMState;
DECLARE_DEVICE_CAST(IOAPICKVMState, IOAPIC_KVM, "kvm-ioapic")

static void ioapic_kvm_set_irq(void *opaque, int n, int level)
{
    IOAPICKVMState *s = opaque;

    level = level != 0;
    if (qtest_irq_intercepted(&s->parent, true) && level != s->level[n]) {
        qtest_irq_report(n, level);
    }
    s->level[n] = level;
    if (kvm_irqchip_in_kernel()) {
        kvm_set_irq(n, level);
    }
}

static bool ioapic_kvm_realize(DeviceState *dev, Error **errp)
{
    IOAPICKVMState *s = IOAPIC_KVM(dev);

    s->in = qemu_allocate_irqs(ioapic_kvm_set_irq, s, IOAPIC_NUM_PINS);
    return true;
}

static const DeviceTypeInfo ioapic_kvm_info = {
    .name = "kvm-ioapic",
    .parent = "sys-bus-device",
    .instance_size = sizeof(IOAPICKVMState),
    .desc = "in-kernel IOAPIC and 8259 inputs",
    .category = DEVICE_CATEGORY_MISC,
    .realize = ioapic_kvm_realize,
};
DEVICE_TYPE_REGISTER(ioapic_kvm_info)

qemu_irq *ioapic_kvm_init(Error **errp)
{
    DeviceState *dev = device_new("kvm-ioapic", errp);

    if (!dev) {
        return NULL;
    }
    dev->id = g_strdup("ioapic");
    if (!device_realize(dev, sysbus_get_default(), errp)) {
        device_free(dev);
        return NULL;
    }
    return IOAPIC_KVM(dev)->in;
}
