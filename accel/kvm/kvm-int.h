/*
 * Private to accel/kvm/: the VM, the vCPUs, and the hooks between the
 * generic part (kvm-all.c) and the x86 part (kvm-x86.c).
 */
#ifndef ACCEL_KVM_KVM_INT_H
#define ACCEL_KVM_KVM_INT_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/x86/x86-cpu.h"
#include "util/error.h"

typedef struct KVMSlot {
    uint64_t start;
    uint64_t size; /* 0: free */
    void *host;
    uint32_t flags;
} KVMSlot;

typedef struct KVMWork {
    void (*fn)(void *opaque);
    void *opaque;
    bool done;
} KVMWork;

typedef struct KVMVCPU {
    X86CPU *cpu;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    /* Protected by kvm_vcpu_lock. */
    bool stop;       /* asked to park */
    bool stopped;    /* parked */
    bool wait_reset; /* after a shutdown exit: park until the next reset */
    bool quit;
    GQueue *work; /* KVMWork *, run on the vCPU thread */
    void *arch;   /* kvm-x86.c per-vCPU data */
} KVMVCPU;

typedef struct KVMState {
    int fd; /* /dev/kvm */
    int vm_fd;
    int vcpu_mmap_size;
    bool readonly_mem;
    bool pit;
    bool immediate_exit;
    KVMSlot *slots;
    int nr_slots;
    GPtrArray *vcpus; /* KVMVCPU * */
    /* x86: what KVM_GET_SUPPORTED_CPUID and KVM_GET_MSR_INDEX_LIST say. */
    struct kvm_cpuid2 *supported_cpuid;
    uint32_t *msr_list;
    unsigned nr_msrs;
    /* Irqchip and PIT state right after creation, for machine reset. */
    struct kvm_irqchip chip_reset[3];
    struct kvm_pit_state2 pit_reset;
} KVMState;

extern KVMState *kvm_state;

int kvm_vm_ioctl(unsigned long req, void *arg);
int kvm_vcpu_ioctl(KVMVCPU *v, unsigned long req, void *arg);
/* Runs fn on the vCPU's thread and waits (BQL dropped while waiting). */
void kvm_run_on_vcpu(KVMVCPU *v, void (*fn)(void *opaque), void *opaque);

/* x86 hooks (kvm-x86.c). */
bool kvm_arch_init_vm(KVMState *s, Error **errp);
bool kvm_arch_init_vcpu(KVMVCPU *v, Error **errp);
/* Loads the machine-reset state into the vCPU (on its thread). */
void kvm_arch_reset_vcpu(KVMVCPU *v);
/* Resets the in-kernel PIC/IOAPIC/PIT (main thread, vCPUs parked). */
void kvm_arch_reset_vm(KVMState *s);
/* Reads the vCPU's registers into v->cpu->env (on its thread). */
void kvm_arch_get_state(KVMVCPU *v);

#endif
