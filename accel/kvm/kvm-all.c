/*
 * The KVM accelerator: the VM, memory slots, vCPU threads and exits.
 *
 * Overview.  init_machine opens /dev/kvm, creates the VM and the
 * in-kernel irqchip and PIT (kvm-x86.c), and registers a memory listener
 * that turns every RAM/ROM range of address_space_memory into a memory
 * slot (read-only for ROM) and follows later changes.  start_vcpus makes
 * one thread per X86CPU; each loops on KVM_RUN without the big lock and
 * takes it only to dispatch a port or MMIO exit to the device callbacks
 * through address_space_rw.  Guest shutdown (triple fault) asks the
 * machine for a reset; -no-reboot turns that into an exit (runstate.c).
 *
 * Parking.  A vCPU parks (waits on kvm_vcpu_cond) while the VM is not
 * running or while the main thread asked it to stop; the main thread
 * stops vCPUs by setting v->stop and kicking: run->immediate_exit = 1
 * plus a SIGUSR1 that interrupts KVM_RUN.  Work (register reads for the
 * monitor, reset state) is queued with kvm_run_on_vcpu and executed on
 * the vCPU's own thread, parked or not.
 *
 *     -accel kvm -> kvm_init_machine -> (machine init) -> kvm_start_vcpus
 *     runstate running=false -> kvm_pause_all (waits for every vCPU)
 *     qemu_system_reset -> kvm_reset (irqchip, PIT, then each vCPU)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/kvm/kvm-int.h"
#include "accel/kvm/kvm.h"
#include "system/accel.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "system/runstate.h"
#include "util/log.h"

#define KVM_SIG_KICK  SIGUSR1
#define KVM_PAGE_SIZE 4096ull

KVMState *kvm_state;

static pthread_mutex_t kvm_vcpu_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t kvm_vcpu_cond = PTHREAD_COND_INITIALIZER;
static bool kvm_vm_running;
static __thread KVMVCPU *current_vcpu;

bool kvm_enabled(void)
{
    return kvm_state != NULL;
}

bool kvm_irqchip_in_kernel(void)
{
    return kvm_state != NULL;
}

bool kvm_pit_in_kernel(void)
{
    return kvm_state && kvm_state->pit;
}

int kvm_vm_ioctl(unsigned long req, void *arg)
{
    int r;

    do {
        r = ioctl(kvm_state->vm_fd, req, arg);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

int kvm_vcpu_ioctl(KVMVCPU *v, unsigned long req, void *arg)
{
    int r = ioctl(v->fd, req, arg);

    return r < 0 ? -errno : r;
}

void kvm_set_irq(int gsi, int level)
{
    struct kvm_irq_level irq = {.irq = gsi, .level = level};

    if (kvm_vm_ioctl(KVM_IRQ_LINE, &irq) < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: KVM_IRQ_LINE gsi %d failed\n",
                      __func__, gsi);
    }
}

void kvm_send_msi(uint64_t addr, uint32_t data)
{
    struct kvm_msi msi = {
        .address_lo = (uint32_t)addr,
        .address_hi = addr >> 32,
        .data = data,
    };

    if (kvm_vm_ioctl(KVM_SIGNAL_MSI, &msi) < 0) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: MSI to 0x%" PRIx64 " data 0x%x not delivered\n",
                      __func__, addr, data);
    }
}

/* ---- Memory slots ---- */

static KVMSlot *slot_find(uint64_t start, uint64_t size)
{
    for (int i = 0; i < kvm_state->nr_slots; i++) {
        KVMSlot *sl = &kvm_state->slots[i];
        if (sl->size && sl->start == start && sl->size == size) {
            return sl;
        }
    }
    return NULL;
}

static int slot_set(int id, KVMSlot *sl, uint64_t size)
{
    struct kvm_userspace_memory_region r = {
        .slot = id,
        .flags = sl->flags,
        .guest_phys_addr = sl->start,
        .memory_size = size,
        .userspace_addr = (uintptr_t)sl->host,
    };

    return kvm_vm_ioctl(KVM_SET_USER_MEMORY_REGION, &r);
}

/* The page-aligned part of a RAM section, or false if none. */
static bool section_pages(MemoryRegionSection *sec, uint64_t *start,
                          uint64_t *size, void **host)
{
    uint64_t s = sec->offset_within_address_space;
    uint64_t e = s + sec->size;
    uint64_t as = (s + KVM_PAGE_SIZE - 1) & ~(KVM_PAGE_SIZE - 1);
    uint64_t ae = e & ~(KVM_PAGE_SIZE - 1);
    uint8_t *ptr;

    if (!memory_region_is_ram(sec->mr) || ae <= as) {
        return false;
    }
    ptr = memory_region_get_ram_ptr(sec->mr);
    if (!ptr) {
        return false;
    }
    ptr += sec->offset_within_region + (as - s);
    if ((uintptr_t)ptr & (KVM_PAGE_SIZE - 1)) {
        return false; /* host and guest pages must line up */
    }
    *start = as;
    *size = ae - as;
    *host = ptr;
    return true;
}

static void kvm_region_add(MemoryListener *l, MemoryRegionSection *sec)
{
    bool ro =
        sec->readonly || memory_region_is_rom(sec->mr) || sec->mr->rom_device;
    uint64_t start, size;
    void *host;
    int r;

    if (!section_pages(sec, &start, &size, &host)) {
        return;
    }
    if (ro && !kvm_state->readonly_mem) {
        return; /* accesses exit as MMIO and go through the memory API */
    }
    for (int i = 0; i < kvm_state->nr_slots; i++) {
        KVMSlot *sl = &kvm_state->slots[i];
        if (sl->size) {
            continue;
        }
        sl->start = start;
        sl->host = host;
        sl->flags = ro ? KVM_MEM_READONLY : 0;
        r = slot_set(i, sl, size);
        if (r < 0) {
            error_report(
                "kvm: cannot map %s at 0x%" PRIx64 " (0x%" PRIx64 " bytes): %s",
                memory_region_name(sec->mr), start, size, strerror(-r));
            abort();
        }
        sl->size = size;
        return;
    }
    error_report("kvm: out of memory slots");
    abort();
}

static void kvm_region_del(MemoryListener *l, MemoryRegionSection *sec)
{
    uint64_t start, size;
    void *host;
    KVMSlot *sl;

    if (!section_pages(sec, &start, &size, &host)) {
        return;
    }
    sl = slot_find(start, size);
    if (!sl) {
        return;
    }
    if (slot_set(sl - kvm_state->slots, sl, 0) < 0) {
        error_report("kvm: cannot unmap slot at 0x%" PRIx64, start);
        abort();
    }
    sl->size = 0;
}

static MemoryListener kvm_memory_listener = {
    .region_add = kvm_region_add,
    .region_del = kvm_region_del,
    .priority = 10,
    .name = "kvm-memory",
};

/* ---- vCPU threads ---- */

static void kvm_kick(KVMVCPU *v)
{
    v->run->immediate_exit = 1;
    if (v->thread && !pthread_equal(v->thread, pthread_self())) {
        pthread_kill(v->thread, KVM_SIG_KICK);
    }
}

static void kick_handler(int sig)
{
}

void kvm_run_on_vcpu(KVMVCPU *v, void (*fn)(void *opaque), void *opaque)
{
    KVMWork w = {.fn = fn, .opaque = opaque};
    bool had_bql;

    if (v == current_vcpu || !v->thread) {
        fn(opaque);
        return;
    }
    had_bql = bql_locked();
    if (had_bql) {
        bql_unlock(); /* the vCPU may be waiting for it in an exit */
    }
    pthread_mutex_lock(&kvm_vcpu_lock);
    g_queue_push_tail(v->work, &w);
    pthread_cond_broadcast(&kvm_vcpu_cond);
    kvm_kick(v);
    while (!w.done) {
        pthread_cond_wait(&kvm_vcpu_cond, &kvm_vcpu_lock);
    }
    pthread_mutex_unlock(&kvm_vcpu_lock);
    if (had_bql) {
        bql_lock();
    }
}

/* Runs queued work; called and returns with kvm_vcpu_lock held. */
static void vcpu_do_work(KVMVCPU *v)
{
    KVMWork *w;

    while ((w = g_queue_pop_head(v->work))) {
        pthread_mutex_unlock(&kvm_vcpu_lock);
        w->fn(w->opaque);
        pthread_mutex_lock(&kvm_vcpu_lock);
        w->done = true;
        pthread_cond_broadcast(&kvm_vcpu_cond);
    }
}

static bool vcpu_should_park(KVMVCPU *v)
{
    return v->stop || v->wait_reset || !kvm_vm_running;
}

static void kvm_report_error(KVMVCPU *v, const char *what)
{
    GString *dump = g_string_new(NULL);

    kvm_arch_get_state(v);
    x86_cpu_dump_state(v->cpu, dump);
    bql_lock();
    error_report("%s", what);
    fputs(dump->str, stderr);
    vm_stop(RUN_STATE_INTERNAL_ERROR);
    bql_unlock();
    g_string_free(dump, true);
}

static void kvm_handle_io(KVMVCPU *v)
{
    struct kvm_run *run = v->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

    bql_lock();
    for (uint32_t i = 0; i < run->io.count; i++) {
        address_space_rw(&address_space_io, run->io.port,
                         MEMTXATTRS_UNSPECIFIED, data, run->io.size, is_write);
        data += run->io.size;
    }
    bql_unlock();
}

static void kvm_handle_mmio(KVMVCPU *v)
{
    struct kvm_run *run = v->run;

    bql_lock();
    address_space_rw(&address_space_memory, run->mmio.phys_addr,
                     MEMTXATTRS_UNSPECIFIED, run->mmio.data, run->mmio.len,
                     run->mmio.is_write);
    bql_unlock();
}

/* Handles one exit; returns false when the vCPU must park for good. */
static bool kvm_handle_exit(KVMVCPU *v)
{
    struct kvm_run *run = v->run;
    char msg[128];

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        kvm_handle_io(v);
        return true;
    case KVM_EXIT_MMIO:
        kvm_handle_mmio(v);
        return true;
    case KVM_EXIT_INTR:
    case KVM_EXIT_IRQ_WINDOW_OPEN:
    case KVM_EXIT_HLT:
        return true;
    case KVM_EXIT_SHUTDOWN:
        /* Triple fault: the board resets (or exits with -no-reboot). */
        qemu_log_mask(CPU_LOG_RESET, "kvm: vCPU %d triple fault\n",
                      v->cpu->index);
        bql_lock();
        qemu_system_guest_reset_request();
        bql_unlock();
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        bql_lock();
        if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
            qemu_system_guest_shutdown_request();
        } else {
            qemu_system_guest_reset_request();
        }
        bql_unlock();
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(msg, sizeof(msg), "KVM internal error. Suberror: %u",
                 run->internal.suberror);
        kvm_report_error(v, msg);
        return false;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(msg, sizeof(msg),
                 "KVM: entry failed, hardware error 0x%" PRIx64,
                 (uint64_t)run->fail_entry.hardware_entry_failure_reason);
        kvm_report_error(v, msg);
        return false;
    default:
        snprintf(msg, sizeof(msg), "KVM: unhandled exit %u", run->exit_reason);
        kvm_report_error(v, msg);
        return false;
    }
}

static void *kvm_vcpu_thread(void *opaque)
{
    KVMVCPU *v = opaque;
    sigset_t set;

    current_vcpu = v;
    v->cpu->thread_id = gettid();
    sigemptyset(&set);
    sigaddset(&set, KVM_SIG_KICK);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    pthread_mutex_lock(&kvm_vcpu_lock);
    while (!v->quit) {
        vcpu_do_work(v);
        if (vcpu_should_park(v)) {
            v->stopped = true;
            pthread_cond_broadcast(&kvm_vcpu_cond);
            pthread_cond_wait(&kvm_vcpu_cond, &kvm_vcpu_lock);
            continue;
        }
        v->stopped = false;
        pthread_mutex_unlock(&kvm_vcpu_lock);

        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            int err = errno;
            v->run->immediate_exit = 0;
            if (err != EINTR && err != EAGAIN) {
                char msg[96];
                snprintf(msg, sizeof(msg), "kvm: KVM_RUN failed: %s",
                         strerror(err));
                kvm_report_error(v, msg);
                pthread_mutex_lock(&kvm_vcpu_lock);
                v->wait_reset = true;
                continue;
            }
        } else {
            v->run->immediate_exit = 0;
            if (!kvm_handle_exit(v)) {
                pthread_mutex_lock(&kvm_vcpu_lock);
                v->wait_reset = true;
                continue;
            }
        }
        pthread_mutex_lock(&kvm_vcpu_lock);
    }
    v->stopped = true;
    pthread_cond_broadcast(&kvm_vcpu_cond);
    pthread_mutex_unlock(&kvm_vcpu_lock);
    return NULL;
}

/* Stops every vCPU and waits until each is parked (not the caller's). */
static void kvm_pause_all(void)
{
    bool had_bql = bql_locked();

    pthread_mutex_lock(&kvm_vcpu_lock);
    for (guint i = 0; i < kvm_state->vcpus->len; i++) {
        KVMVCPU *v = g_ptr_array_index(kvm_state->vcpus, i);
        v->stop = true;
        kvm_kick(v);
    }
    pthread_mutex_unlock(&kvm_vcpu_lock);
    if (had_bql) {
        bql_unlock();
    }
    pthread_mutex_lock(&kvm_vcpu_lock);
    for (;;) {
        bool all = true;
        for (guint i = 0; i < kvm_state->vcpus->len; i++) {
            KVMVCPU *v = g_ptr_array_index(kvm_state->vcpus, i);
            if (v != current_vcpu && !v->stopped) {
                all = false;
            }
        }
        if (all) {
            break;
        }
        pthread_cond_wait(&kvm_vcpu_cond, &kvm_vcpu_lock);
    }
    pthread_mutex_unlock(&kvm_vcpu_lock);
    if (had_bql) {
        bql_lock();
    }
}

static void kvm_resume_all(void)
{
    pthread_mutex_lock(&kvm_vcpu_lock);
    for (guint i = 0; i < kvm_state->vcpus->len; i++) {
        KVMVCPU *v = g_ptr_array_index(kvm_state->vcpus, i);
        v->stop = false;
    }
    pthread_cond_broadcast(&kvm_vcpu_cond);
    pthread_mutex_unlock(&kvm_vcpu_lock);
}

static void kvm_runstate_changed(void *opaque, bool running, RunState state)
{
    pthread_mutex_lock(&kvm_vcpu_lock);
    kvm_vm_running = running;
    pthread_mutex_unlock(&kvm_vcpu_lock);
    if (running) {
        kvm_resume_all();
    } else {
        kvm_pause_all();
        kvm_resume_all(); /* clear v->stop; they stay parked while !running */
    }
}

static void vcpu_reset_work(void *opaque)
{
    KVMVCPU *v = opaque;

    kvm_arch_reset_vcpu(v);
}

/* Machine reset: vCPUs are parked (runstate stopped them). */
static void kvm_reset(void *opaque)
{
    kvm_arch_reset_vm(kvm_state);
    for (guint i = 0; i < kvm_state->vcpus->len; i++) {
        KVMVCPU *v = g_ptr_array_index(kvm_state->vcpus, i);
        kvm_run_on_vcpu(v, vcpu_reset_work, v);
        pthread_mutex_lock(&kvm_vcpu_lock);
        v->wait_reset = false;
        pthread_cond_broadcast(&kvm_vcpu_cond);
        pthread_mutex_unlock(&kvm_vcpu_lock);
    }
}

static void sync_work(void *opaque)
{
    kvm_arch_get_state(opaque);
}

static void kvm_cpu_sync_state(X86CPU *cpu)
{
    kvm_run_on_vcpu(cpu->accel, sync_work, cpu->accel);
}

static const X86CPUAccelOps kvm_cpu_ops = {
    .sync_state = kvm_cpu_sync_state,
};

/* ---- AccelOps ---- */

static bool kvm_available(void)
{
    return access("/dev/kvm", R_OK | W_OK) == 0;
}

static bool kvm_init_machine(MachineState *ms, Error **errp)
{
    const char *irqchip = opts_get(ms->opts, "kernel-irqchip");
    KVMState *s;
    int r;

    if (!irqchip) {
        irqchip = opts_get(ms->opts, "kernel_irqchip");
    }
    if (irqchip && strcmp(irqchip, "on") && strcmp(irqchip, "true")) {
        error_setg(errp,
                   "-machine kernel-irqchip=%s: only the full in-kernel "
                   "irqchip (on) is supported",
                   irqchip);
        return false;
    }
    s = g_new0(KVMState, 1);
    s->fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        error_setg_errno(errp, errno, "Could not access KVM kernel module");
        goto fail;
    }
    r = ioctl(s->fd, KVM_GET_API_VERSION, 0);
    if (r != KVM_API_VERSION) {
        error_setg(errp, "kvm: API version %d, expected %d", r,
                   KVM_API_VERSION);
        goto fail;
    }
    do {
        s->vm_fd = ioctl(s->fd, KVM_CREATE_VM, 0);
    } while (s->vm_fd < 0 && errno == EINTR);
    if (s->vm_fd < 0) {
        error_setg_errno(errp, errno, "kvm: KVM_CREATE_VM failed");
        goto fail;
    }
    s->vcpu_mmap_size = ioctl(s->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    s->readonly_mem =
        ioctl(s->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
    s->immediate_exit =
        ioctl(s->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) > 0;
    if (!s->immediate_exit) {
        error_setg(errp, "kvm: the kernel lacks KVM_CAP_IMMEDIATE_EXIT");
        goto fail;
    }
    s->nr_slots = ioctl(s->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
    if (s->nr_slots <= 0) {
        s->nr_slots = 32;
    }
    s->nr_slots = MIN(s->nr_slots, 512);
    s->slots = g_new0(KVMSlot, s->nr_slots);
    s->vcpus = g_ptr_array_new();
    kvm_state = s;
    if (!kvm_arch_init_vm(s, errp)) {
        kvm_state = NULL;
        goto fail;
    }
    memory_listener_register(&kvm_memory_listener, &address_space_memory);
    return true;

fail:
    if (s->vm_fd > 0) {
        close(s->vm_fd);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    g_free(s->slots);
    g_free(s);
    return false;
}

static bool kvm_start_vcpus(MachineState *ms, Error **errp)
{
    KVMState *s = kvm_state;
    struct sigaction sa = {.sa_handler = kick_handler};
    sigset_t set, old;

    sigaction(KVM_SIG_KICK, &sa, NULL);
    if (!x86_cpus || !x86_cpus->len) {
        error_setg(errp, "kvm: the machine created no CPUs");
        return false;
    }
    for (guint i = 0; i < x86_cpus->len; i++) {
        X86CPU *cpu = g_ptr_array_index(x86_cpus, i);
        KVMVCPU *v = g_new0(KVMVCPU, 1);

        v->cpu = cpu;
        v->work = g_queue_new();
        v->fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, (unsigned long)cpu->apic_id);
        if (v->fd < 0) {
            error_setg_errno(errp, errno, "kvm: cannot create vCPU %u",
                             cpu->index);
            return false;
        }
        v->run = mmap(NULL, s->vcpu_mmap_size, PROT_READ | PROT_WRITE,
                      MAP_SHARED, v->fd, 0);
        if (v->run == MAP_FAILED) {
            error_setg_errno(errp, errno, "kvm: cannot map vCPU %u",
                             cpu->index);
            return false;
        }
        cpu->accel = v;
        cpu->ops = &kvm_cpu_ops;
        if (!kvm_arch_init_vcpu(v, errp)) {
            return false;
        }
        g_ptr_array_add(s->vcpus, v);
    }
    runstate_add_change_handler(kvm_runstate_changed, NULL);
    qemu_register_reset(kvm_reset, NULL);

    /* Threads start with the kick signal blocked; they unblock it. */
    sigemptyset(&set);
    sigaddset(&set, KVM_SIG_KICK);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    for (guint i = 0; i < s->vcpus->len; i++) {
        KVMVCPU *v = g_ptr_array_index(s->vcpus, i);
        int r = pthread_create(&v->thread, NULL, kvm_vcpu_thread, v);
        if (r) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            error_setg(errp, "kvm: cannot create vCPU thread: %s", strerror(r));
            return false;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return true;
}

static void kvm_shutdown(void)
{
    bool had_bql;

    if (!kvm_state) {
        return;
    }
    pthread_mutex_lock(&kvm_vcpu_lock);
    for (guint i = 0; i < kvm_state->vcpus->len; i++) {
        KVMVCPU *v = g_ptr_array_index(kvm_state->vcpus, i);
        v->quit = true;
        kvm_kick(v);
    }
    pthread_cond_broadcast(&kvm_vcpu_cond);
    pthread_mutex_unlock(&kvm_vcpu_lock);
    /* vCPUs may wait for the BQL in an exit: let them finish. */
    had_bql = bql_locked();
    if (had_bql) {
        bql_unlock();
    }
    for (guint i = 0; i < kvm_state->vcpus->len; i++) {
        KVMVCPU *v = g_ptr_array_index(kvm_state->vcpus, i);
        pthread_join(v->thread, NULL);
    }
    if (had_bql) {
        bql_lock();
    }
}

static const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .available = kvm_available,
    .init_machine = kvm_init_machine,
    .start_vcpus = kvm_start_vcpus,
    .shutdown = kvm_shutdown,
};
ACCEL_REGISTER(kvm_accel_ops)
