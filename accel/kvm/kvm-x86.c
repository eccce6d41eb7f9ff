/*
 * The x86 half of the KVM accelerator: in-kernel irqchip, PIT and GSI
 * routing; CPUID by -cpu model; reset state; register get/put.
 *
 * GSI routing follows the PC wiring QEMU uses: GSI 0-15 reach the 8259
 * pair (except 2, the cascade) and GSI 0-23 the IOAPIC, with ISA IRQ 0
 * (the PIT) on IOAPIC pin 2 to match the MADT's interrupt override.
 * CPUID models: "host" and "max" pass what KVM supports with the host's
 * signature and brand; "qemu64" and "kvm64" are QEMU's baseline 64-bit
 * models, masked by what KVM supports, with the host's vendor string as
 * QEMU uses it under KVM.
 * Model options "+feat", "-feat", "feat=on|off" toggle named feature bits.
 */
#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm-int.h"
#include "accel/kvm/kvm.h"
#include "monitor/monitor.h"
#include "system/main-loop.h"
#include "util/log.h"

#define KVM_TSS_ADDR          0xfeffd000u
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000u
#define MAX_CPUID_ENTRIES     100

/* Local APIC register offsets used for the firmware-style setup. */
#define APIC_SPIV 0xf0
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360

typedef struct KVMX86VCPU {
    struct kvm_lapic_state lapic_reset;
    bool has_xsave;
} KVMX86VCPU;

/* ---- VM ---- */

static bool setup_gsi_routing(Error **errp)
{
    struct {
        struct kvm_irq_routing r;
        struct kvm_irq_routing_entry e[40];
    } rt;
    unsigned n = 0;
    int ret;

    memset(&rt, 0, sizeof(rt));
    for (unsigned gsi = 0; gsi < 16; gsi++) {
        if (gsi == 2) {
            continue;
        }
        rt.e[n].gsi = gsi;
        rt.e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
        rt.e[n].u.irqchip.irqchip =
            gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
        rt.e[n].u.irqchip.pin = gsi & 7;
        n++;
    }
    for (unsigned gsi = 0; gsi < 24; gsi++) {
        if (gsi == 2) {
            continue;
        }
        rt.e[n].gsi = gsi;
        rt.e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
        rt.e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
        rt.e[n].u.irqchip.pin = gsi == 0 ? 2 : gsi;
        n++;
    }
    rt.r.nr = n;
    ret = kvm_vm_ioctl(KVM_SET_GSI_ROUTING, &rt);
    if (ret < 0) {
        error_setg(errp, "kvm: KVM_SET_GSI_ROUTING failed: %s", strerror(-ret));
        return false;
    }
    return true;
}

bool kvm_arch_init_vm(KVMState *s, Error **errp)
{
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
    struct {
        struct kvm_msr_list l;
        uint32_t idx[1024];
    } msrs;
    uint64_t ident = KVM_IDENTITY_MAP_ADDR;
    int ret;

    /* Real-mode support on VMX needs a TSS and identity page table. */
    kvm_vm_ioctl(KVM_SET_IDENTITY_MAP_ADDR, &ident);
    ioctl(s->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR);

    if (ioctl(s->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0) {
        error_setg(errp, "kvm: the kernel has no in-kernel irqchip "
                         "(KVM_CAP_IRQCHIP), which Quasar requires");
        return false;
    }
    ret = kvm_vm_ioctl(KVM_CREATE_IRQCHIP, NULL);
    if (ret < 0) {
        error_setg(errp, "kvm: KVM_CREATE_IRQCHIP failed: %s", strerror(-ret));
        return false;
    }
    if (!setup_gsi_routing(errp)) {
        return false;
    }
    if (ioctl(s->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) > 0) {
        ret = kvm_vm_ioctl(KVM_CREATE_PIT2, &pit);
        if (ret < 0) {
            error_setg(errp, "kvm: KVM_CREATE_PIT2 failed: %s", strerror(-ret));
            return false;
        }
        s->pit = true;
        kvm_vm_ioctl(KVM_GET_PIT2, &s->pit_reset);
    }
    for (int chip = 0; chip < 3; chip++) {
        s->chip_reset[chip].chip_id = chip;
        kvm_vm_ioctl(KVM_GET_IRQCHIP, &s->chip_reset[chip]);
    }

    s->supported_cpuid =
        g_malloc0(sizeof(struct kvm_cpuid2) +
                  MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2));
    s->supported_cpuid->nent = MAX_CPUID_ENTRIES;
    if (ioctl(s->fd, KVM_GET_SUPPORTED_CPUID, s->supported_cpuid) < 0) {
        error_setg_errno(errp, errno, "kvm: KVM_GET_SUPPORTED_CPUID failed");
        return false;
    }
    memset(&msrs, 0, sizeof(msrs));
    msrs.l.nmsrs = 1024;
    if (ioctl(s->fd, KVM_GET_MSR_INDEX_LIST, &msrs) == 0) {
        s->nr_msrs = msrs.l.nmsrs;
        s->msr_list = g_memdup2(msrs.idx, s->nr_msrs * sizeof(uint32_t));
    }
    return true;
}

void kvm_arch_reset_vm(KVMState *s)
{
    for (int chip = 0; chip < 3; chip++) {
        kvm_vm_ioctl(KVM_SET_IRQCHIP, &s->chip_reset[chip]);
    }
    if (s->pit) {
        kvm_vm_ioctl(KVM_SET_PIT2, &s->pit_reset);
    }
}

/* ---- CPUID ---- */

typedef struct CPUIDBuilder {
    struct kvm_cpuid_entry2 e[MAX_CPUID_ENTRIES];
    unsigned n;
} CPUIDBuilder;

static const struct kvm_cpuid_entry2 *supported(uint32_t fn, uint32_t idx)
{
    struct kvm_cpuid2 *c = kvm_state->supported_cpuid;

    for (unsigned i = 0; i < c->nent; i++) {
        if (c->entries[i].function == fn &&
            (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
             c->entries[i].index == idx)) {
            return &c->entries[i];
        }
    }
    return NULL;
}

static struct kvm_cpuid_entry2 *cb_find(CPUIDBuilder *b, uint32_t fn,
                                        uint32_t idx)
{
    for (unsigned i = 0; i < b->n; i++) {
        if (b->e[i].function == fn && b->e[i].index == idx) {
            return &b->e[i];
        }
    }
    return NULL;
}

static struct kvm_cpuid_entry2 *cb_set(CPUIDBuilder *b, uint32_t fn,
                                       uint32_t eax, uint32_t ebx, uint32_t ecx,
                                       uint32_t edx)
{
    struct kvm_cpuid_entry2 *e = cb_find(b, fn, 0);

    if (!e) {
        if (b->n == MAX_CPUID_ENTRIES) {
            return NULL;
        }
        e = &b->e[b->n++];
    }
    memset(e, 0, sizeof(*e));
    e->function = fn;
    e->eax = eax;
    e->ebx = ebx;
    e->ecx = ecx;
    e->edx = edx;
    return e;
}

/* Masks feature words by what KVM can offer. */
static void cb_mask_features(CPUIDBuilder *b, uint32_t fn, bool mask_ebx)
{
    struct kvm_cpuid_entry2 *e = cb_find(b, fn, 0);
    const struct kvm_cpuid_entry2 *k = supported(fn, 0);

    if (!e) {
        return;
    }
    e->ecx &= k ? k->ecx : 0;
    e->edx &= k ? k->edx : 0;
    if (mask_ebx) {
        e->ebx &= k ? k->ebx : 0;
    }
}

/* PPRO_FEATURES plus what QEMU adds for its 64-bit baseline models. */
#define BASE_EDX 0x078bfbfdu /* fpu de pse tsc msr pae mce cx8 apic sep */
                             /* mtrr pge mca cmov pat pse36 clflush mmx */
                             /* fxsr sse sse2 */
#define AMD_EDX_ALIASES 0x0183f3ffu /* leaf 1 bits mirrored in 0x80000001 */

/* The host CPU's vendor registers (QEMU uses them for every model). */
static void host_vendor_regs(uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
    uint32_t eax;

    __cpuid(0, eax, *ebx, *ecx, *edx);
    (void)eax;
}

static void build_baseline(CPUIDBuilder *b, uint32_t signature, uint32_t xlevel,
                           const char *model_id)
{
    uint32_t ebx, ecx, edx;
    char name[48] = {0};

    host_vendor_regs(&ebx, &ecx, &edx);
    cb_set(b, 0, 0xd, ebx, ecx, edx);
    /* SSE3, CX16, hypervisor; x2APIC as QEMU enables it under KVM. */
    cb_set(b, 1, signature, 8 << 8, (1u << 0) | (1u << 13) | (1u << 21),
           BASE_EDX);
    cb_set(b, 0xd, 0, 0, 0, 0);
    cb_set(b, 0x80000000, xlevel, ebx, ecx, edx);
    cb_set(b, 0x80000001, signature, 0, 1u << 0 /* lahf_lm */,
           (BASE_EDX & AMD_EDX_ALIASES) | (1u << 11) | (1u << 20) |
               (1u << 29)); /* syscall nx lm */
    g_strlcpy(name, model_id, sizeof(name));
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t *w = (uint32_t *)(name + 16 * i);
        cb_set(b, 0x80000002 + i, w[0], w[1], w[2], w[3]);
    }
    cb_set(b, 0x80000008, 0x00003028, 0, 0, 0); /* 40-bit phys, 48 virt */
    cb_mask_features(b, 1, false);
    cb_mask_features(b, 0x80000001, false);
}

typedef struct FeatureName {
    const char *name;
    uint32_t fn;
    char reg; /* 'b', 'c', 'd' */
    uint8_t bit;
} FeatureName;

static const FeatureName feature_names[] = {
    {"pni", 1, 'c', 0},
    {"sse3", 1, 'c', 0},
    {"ssse3", 1, 'c', 9},
    {"cx16", 1, 'c', 13},
    {"sse4.1", 1, 'c', 19},
    {"sse4.2", 1, 'c', 20},
    {"x2apic", 1, 'c', 21},
    {"movbe", 1, 'c', 22},
    {"popcnt", 1, 'c', 23},
    {"aes", 1, 'c', 25},
    {"xsave", 1, 'c', 26},
    {"avx", 1, 'c', 28},
    {"rdrand", 1, 'c', 30},
    {"hypervisor", 1, 'c', 31},
    {"vme", 1, 'd', 1},
    {"ht", 1, 'd', 28},
    {"fsgsbase", 7, 'b', 0},
    {"bmi1", 7, 'b', 3},
    {"avx2", 7, 'b', 5},
    {"smep", 7, 'b', 7},
    {"bmi2", 7, 'b', 8},
    {"erms", 7, 'b', 9},
    {"smap", 7, 'b', 20},
    {"lahf-lm", 0x80000001, 'c', 0},
    {"svm", 0x80000001, 'c', 2},
    {"abm", 0x80000001, 'c', 5},
    {"syscall", 0x80000001, 'd', 11},
    {"nx", 0x80000001, 'd', 20},
    {"pdpe1gb", 0x80000001, 'd', 26},
    {"rdtscp", 0x80000001, 'd', 27},
    {"lm", 0x80000001, 'd', 29},
};

static void apply_feature(CPUIDBuilder *b, const char *name, bool on)
{
    for (size_t i = 0; i < G_N_ELEMENTS(feature_names); i++) {
        const FeatureName *f = &feature_names[i];
        struct kvm_cpuid_entry2 *e;
        const struct kvm_cpuid_entry2 *k;
        uint32_t *reg, sup;
        if (strcmp(f->name, name)) {
            continue;
        }
        e = cb_find(b, f->fn, 0);
        if (!e) {
            e = cb_set(b, f->fn, 0, 0, 0, 0);
        }
        k = supported(f->fn, 0);
        reg = f->reg == 'b' ? &e->ebx : f->reg == 'c' ? &e->ecx : &e->edx;
        sup = !k ? 0 : f->reg == 'b' ? k->ebx : f->reg == 'c' ? k->ecx : k->edx;
        if (on && !(sup & (1u << f->bit))) {
            warn_report("host doesn't support requested feature: %s", name);
            return;
        }
        *reg = on ? *reg | (1u << f->bit) : *reg & ~(1u << f->bit);
        return;
    }
    warn_report("-cpu: unknown feature '%s' ignored", name);
}

/* The vCPU's CPUID table for cpu->model. */
static void build_cpuid(X86CPU *cpu, CPUIDBuilder *b)
{
    g_auto(GStrv) parts = g_strsplit(cpu->model, ",", -1);
    const char *model = parts[0];
    struct kvm_cpuid_entry2 *e;

    b->n = 0;
    if (!strcmp(model, "host") || !strcmp(model, "max")) {
        struct kvm_cpuid2 *c = kvm_state->supported_cpuid;
        uint32_t eax, ebx, ecx, edx;
        for (unsigned i = 0; i < c->nent && b->n < MAX_CPUID_ENTRIES; i++) {
            b->e[b->n++] = c->entries[i];
        }
        /* Identity (signature, brand) is the host's, as QEMU's "host". */
        __cpuid(1, eax, ebx, ecx, edx);
        if ((e = cb_find(b, 1, 0))) {
            e->eax = eax;
        }
        __cpuid(0x80000000, eax, ebx, ecx, edx);
        for (uint32_t fn = 0x80000002; fn <= 0x80000004 && eax >= fn; fn++) {
            uint32_t r[4];
            __cpuid(fn, r[0], r[1], r[2], r[3]);
            if ((e = cb_find(b, fn, 0))) {
                e->eax = r[0];
                e->ebx = r[1];
                e->ecx = r[2];
                e->edx = r[3];
            } else {
                cb_set(b, fn, r[0], r[1], r[2], r[3]);
            }
        }
    } else if (!strcmp(model, "kvm64")) {
        build_baseline(b, 0x000f61, 0x80000008, "Common KVM processor");
    } else {
        build_baseline(b, 0x00060fb1, 0x8000000a,
                       "QEMU Virtual CPU version 2.5+");
    }
    for (int i = 1; parts[i]; i++) {
        const char *p = parts[i];
        if (p[0] == '+' || p[0] == '-') {
            apply_feature(b, p + 1, p[0] == '+');
        } else if (g_str_has_suffix(p, "=on") || g_str_has_suffix(p, "=off")) {
            g_autofree char *n = g_strndup(p, strchr(p, '=') - p);
            apply_feature(b, n, g_str_has_suffix(p, "=on"));
        } else {
            warn_report("-cpu: option '%s' ignored", p);
        }
    }

    /* Per-CPU topology: one socket per CPU, one core, one thread. */
    if ((e = cb_find(b, 1, 0))) {
        e->ebx = (e->ebx & 0x0000ffff) | (cpu->apic_id << 24) | (1 << 16);
        e->ecx |= 1u << 31;    /* hypervisor */
        e->edx &= ~(1u << 28); /* HTT */
    }
    for (unsigned i = 0; i < b->n; i++) {
        e = &b->e[i];
        if (e->function == 4) {
            e->eax &= 0x3fff; /* one core, one thread sharing each cache */
        } else if (e->function == 0xb || e->function == 0x1f) {
            e->edx = cpu->apic_id;
            if (e->index < 2) {
                e->eax = 0;
                e->ebx = 1;
                e->ecx = ((e->index + 1) << 8) | e->index;
            }
        } else if (e->function == 0x80000008) {
            e->ecx &= ~0xffu;
        }
    }
    /* KVM's paravirtual leaves, for every model. */
    for (uint32_t fn = 0x40000000; fn <= 0x40000001; fn++) {
        const struct kvm_cpuid_entry2 *k = supported(fn, 0);
        if (k && !cb_find(b, fn, 0)) {
            e = cb_set(b, fn, k->eax, k->ebx, k->ecx, k->edx);
        }
    }
}

/* ---- vCPU ---- */

bool kvm_arch_init_vcpu(KVMVCPU *v, Error **errp)
{
    KVMX86VCPU *a = g_new0(KVMX86VCPU, 1);
    CPUIDBuilder *b = g_new0(CPUIDBuilder, 1);
    struct kvm_cpuid2 *c;
    struct kvm_cpuid_entry2 *leaf1;
    int ret;

    v->arch = a;
    build_cpuid(v->cpu, b);
    leaf1 = cb_find(b, 1, 0);
    a->has_xsave = leaf1 && (leaf1->ecx & (1u << 26));
    c = g_malloc0(sizeof(*c) + b->n * sizeof(struct kvm_cpuid_entry2));
    c->nent = b->n;
    memcpy(c->entries, b->e, b->n * sizeof(struct kvm_cpuid_entry2));
    ret = kvm_vcpu_ioctl(v, KVM_SET_CPUID2, c);
    g_free(c);
    g_free(b);
    if (ret < 0) {
        error_setg(errp, "kvm: KVM_SET_CPUID2 failed for CPU %d: %s",
                   v->cpu->index, strerror(-ret));
        return false;
    }
    ret = kvm_vcpu_ioctl(v, KVM_GET_LAPIC, &a->lapic_reset);
    if (ret < 0) {
        error_setg(errp, "kvm: KVM_GET_LAPIC failed: %s", strerror(-ret));
        return false;
    }
    return true;
}

static void seg_to_kvm(struct kvm_segment *k, const X86Segment *s)
{
    memset(k, 0, sizeof(*k));
    k->base = s->base;
    k->limit = s->limit;
    k->selector = s->selector;
    k->type = s->type;
    k->present = s->present;
    k->dpl = s->dpl;
    k->db = s->db;
    k->s = s->s;
    k->l = s->l;
    k->g = s->g;
    k->avl = s->avl;
    k->unusable = s->unusable || !s->present;
}

static void seg_from_kvm(X86Segment *s, const struct kvm_segment *k)
{
    s->base = k->base;
    s->limit = k->limit;
    s->selector = k->selector;
    s->type = k->type;
    s->present = k->present;
    s->dpl = k->dpl;
    s->db = k->db;
    s->s = k->s;
    s->l = k->l;
    s->g = k->g;
    s->avl = k->avl;
    s->unusable = k->unusable;
}

static bool msr_supported(uint32_t index)
{
    for (unsigned i = 0; i < kvm_state->nr_msrs; i++) {
        if (kvm_state->msr_list[i] == index) {
            return true;
        }
    }
    return false;
}

/* MSRs and their values after a machine reset. */
static const struct {
    uint32_t index;
    uint64_t value;
} reset_msrs[] = {
    {0x00000010, 0},                  /* IA32_TSC */
    {0x00000174, 0},                  /* SYSENTER_CS */
    {0x00000175, 0},                  /* SYSENTER_ESP */
    {0x00000176, 0},                  /* SYSENTER_EIP */
    {0x000001a0, 1},                  /* MISC_ENABLE: fast strings */
    {0x00000277, 0x0007040600070406}, /* PAT */
    {0xc0000081, 0},                  /* STAR */
    {0xc0000082, 0},                  /* LSTAR */
    {0xc0000083, 0},                  /* CSTAR */
    {0xc0000084, 0},                  /* FMASK */
    {0xc0000102, 0},                  /* KERNEL_GS_BASE */
    {0xc0000103, 0},                  /* TSC_AUX */
    {0x00000011, 0},                  /* KVM wall clock (old) */
    {0x00000012, 0},                  /* KVM system time (old) */
    {0x4b564d00, 0},                  /* KVM wall clock */
    {0x4b564d01, 0},                  /* KVM system time */
    {0x4b564d02, 0},                  /* KVM async PF */
    {0x4b564d03, 0},                  /* KVM steal time */
    {0x4b564d04, 0},                  /* KVM PV EOI */
};

static void put_msrs(KVMVCPU *v)
{
    struct {
        struct kvm_msrs m;
        struct kvm_msr_entry e[G_N_ELEMENTS(reset_msrs)];
    } msrs;
    unsigned n = 0;

    memset(&msrs, 0, sizeof(msrs));
    for (size_t i = 0; i < G_N_ELEMENTS(reset_msrs); i++) {
        if (msr_supported(reset_msrs[i].index)) {
            msrs.e[n].index = reset_msrs[i].index;
            msrs.e[n].data = reset_msrs[i].value;
            n++;
        }
    }
    msrs.m.nmsrs = n;
    if (kvm_vcpu_ioctl(v, KVM_SET_MSRS, &msrs) < (int)n) {
        qemu_log_mask(LOG_UNIMP, "kvm: some reset MSRs were not accepted\n");
    }
}

static void lapic_set_reg(struct kvm_lapic_state *l, unsigned reg, uint32_t v)
{
    memcpy(l->regs + reg, &v, 4);
}

static uint32_t lapic_get_reg(const struct kvm_lapic_state *l, unsigned reg)
{
    uint32_t v;

    memcpy(&v, l->regs + reg, 4);
    return v;
}

void kvm_arch_reset_vcpu(KVMVCPU *v)
{
    KVMX86VCPU *a = v->arch;
    X86CPU *cpu = v->cpu;
    X86CPUState st;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_vcpu_events events;
    struct kvm_debugregs dregs;
    struct kvm_lapic_state lapic = a->lapic_reset;
    struct kvm_mp_state mp;

    x86_cpu_reset_state(cpu, &st);

    memset(&regs, 0, sizeof(regs));
    regs.rax = st.regs[0];
    regs.rcx = st.regs[1];
    regs.rdx = st.regs[2];
    regs.rbx = st.regs[3];
    regs.rsp = st.regs[4];
    regs.rbp = st.regs[5];
    regs.rsi = st.regs[6];
    regs.rdi = st.regs[7];
    regs.r8 = st.regs[8];
    regs.r9 = st.regs[9];
    regs.r10 = st.regs[10];
    regs.r11 = st.regs[11];
    regs.r12 = st.regs[12];
    regs.r13 = st.regs[13];
    regs.r14 = st.regs[14];
    regs.r15 = st.regs[15];
    regs.rip = st.rip;
    regs.rflags = st.rflags;

    memset(&sregs, 0, sizeof(sregs));
    seg_to_kvm(&sregs.es, &st.segs[X86_SEG_ES]);
    seg_to_kvm(&sregs.cs, &st.segs[X86_SEG_CS]);
    seg_to_kvm(&sregs.ss, &st.segs[X86_SEG_SS]);
    seg_to_kvm(&sregs.ds, &st.segs[X86_SEG_DS]);
    seg_to_kvm(&sregs.fs, &st.segs[X86_SEG_FS]);
    seg_to_kvm(&sregs.gs, &st.segs[X86_SEG_GS]);
    seg_to_kvm(&sregs.ldt, &st.ldt);
    seg_to_kvm(&sregs.tr, &st.tr);
    sregs.gdt.base = st.gdt_base;
    sregs.gdt.limit = st.gdt_limit;
    sregs.idt.base = st.idt_base;
    sregs.idt.limit = st.idt_limit;
    sregs.cr0 = st.cr0;
    sregs.cr2 = st.cr2;
    sregs.cr3 = st.cr3;
    sregs.cr4 = st.cr4;
    sregs.cr8 = st.cr8;
    sregs.efer = st.efer;
    sregs.apic_base = 0xfee00000 | (1 << 11) | (cpu->index == 0 ? 1 << 8 : 0);

    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = 0x37f;
    fpu.mxcsr = 0x1f80;

    memset(&events, 0, sizeof(events));
    events.flags = KVM_VCPUEVENT_VALID_NMI_PENDING |
                   KVM_VCPUEVENT_VALID_SIPI_VECTOR | KVM_VCPUEVENT_VALID_SHADOW;

    memset(&dregs, 0, sizeof(dregs));
    dregs.dr6 = 0xffff0ff0;
    dregs.dr7 = 0x400;

    if (kvm_vcpu_ioctl(v, KVM_SET_REGS, &regs) < 0 ||
        kvm_vcpu_ioctl(v, KVM_SET_SREGS, &sregs) < 0) {
        error_report("kvm: cannot load the reset state of CPU %d", cpu->index);
        return;
    }
    kvm_vcpu_ioctl(v, KVM_SET_FPU, &fpu);
    if (a->has_xsave) {
        struct kvm_xcrs xcrs = {.nr_xcrs = 1};
        xcrs.xcrs[0].xcr = 0;
        xcrs.xcrs[0].value = 1; /* x87 only */
        kvm_vcpu_ioctl(v, KVM_SET_XCRS, &xcrs);
    }
    put_msrs(v);
    kvm_vcpu_ioctl(v, KVM_SET_VCPU_EVENTS, &events);
    kvm_vcpu_ioctl(v, KVM_SET_DEBUGREGS, &dregs);
    if (cpu->bios_lapic_setup) {
        lapic_set_reg(&lapic, APIC_SPIV,
                      lapic_get_reg(&lapic, APIC_SPIV) | 0x1ff);
        lapic_set_reg(&lapic, APIC_LVT0, 0x700); /* ExtINT */
        lapic_set_reg(&lapic, APIC_LVT1, 0x400); /* NMI */
    }
    kvm_vcpu_ioctl(v, KVM_SET_LAPIC, &lapic);
    mp.mp_state = st.mp_state == X86_MP_WAIT_SIPI ? KVM_MP_STATE_UNINITIALIZED
                                                  : KVM_MP_STATE_RUNNABLE;
    kvm_vcpu_ioctl(v, KVM_SET_MP_STATE, &mp);
    cpu->env = st;
}

void kvm_arch_get_state(KVMVCPU *v)
{
    X86CPUState *st = &v->cpu->env;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_debugregs dregs;
    struct kvm_mp_state mp;

    if (kvm_vcpu_ioctl(v, KVM_GET_REGS, &regs) == 0) {
        uint64_t r[16] = {regs.rax, regs.rcx, regs.rdx, regs.rbx,
                          regs.rsp, regs.rbp, regs.rsi, regs.rdi,
                          regs.r8,  regs.r9,  regs.r10, regs.r11,
                          regs.r12, regs.r13, regs.r14, regs.r15};
        memcpy(st->regs, r, sizeof(r));
        st->rip = regs.rip;
        st->rflags = regs.rflags;
    }
    if (kvm_vcpu_ioctl(v, KVM_GET_SREGS, &sregs) == 0) {
        seg_from_kvm(&st->segs[X86_SEG_ES], &sregs.es);
        seg_from_kvm(&st->segs[X86_SEG_CS], &sregs.cs);
        seg_from_kvm(&st->segs[X86_SEG_SS], &sregs.ss);
        seg_from_kvm(&st->segs[X86_SEG_DS], &sregs.ds);
        seg_from_kvm(&st->segs[X86_SEG_FS], &sregs.fs);
        seg_from_kvm(&st->segs[X86_SEG_GS], &sregs.gs);
        seg_from_kvm(&st->ldt, &sregs.ldt);
        seg_from_kvm(&st->tr, &sregs.tr);
        st->gdt_base = sregs.gdt.base;
        st->gdt_limit = sregs.gdt.limit;
        st->idt_base = sregs.idt.base;
        st->idt_limit = sregs.idt.limit;
        st->cr0 = sregs.cr0;
        st->cr2 = sregs.cr2;
        st->cr3 = sregs.cr3;
        st->cr4 = sregs.cr4;
        st->cr8 = sregs.cr8;
        st->efer = sregs.efer;
        st->apic_base = sregs.apic_base;
    }
    if (kvm_vcpu_ioctl(v, KVM_GET_FPU, &fpu) == 0) {
        st->fcw = fpu.fcw;
        st->fsw = fpu.fsw;
        st->ftw = fpu.ftwx;
        st->mxcsr = fpu.mxcsr;
        memcpy(st->fpregs, fpu.fpr, sizeof(st->fpregs));
        memcpy(st->xmm, fpu.xmm, sizeof(st->xmm));
    }
    if (kvm_vcpu_ioctl(v, KVM_GET_DEBUGREGS, &dregs) == 0) {
        memcpy(st->dr, dregs.db, 4 * sizeof(uint64_t));
        st->dr[6] = dregs.dr6;
        st->dr[7] = dregs.dr7;
    }
    if (kvm_vcpu_ioctl(v, KVM_GET_MP_STATE, &mp) == 0) {
        st->mp_state = mp.mp_state == KVM_MP_STATE_HALTED ? X86_MP_HALTED
                       : mp.mp_state == KVM_MP_STATE_RUNNABLE
                           ? X86_MP_RUNNABLE
                           : X86_MP_WAIT_SIPI;
    }
}

/* ---- info pic ---- */

static json_t *hmp_info_pic(json_t *args, Error **errp)
{
    g_autoptr(GString) out = g_string_new(NULL);
    struct kvm_irqchip chip;

    if (!kvm_state) {
        g_string_append(out, "PIC information not available.\n");
        return json_string(out->str);
    }
    for (int i = 0; i < 2; i++) {
        struct kvm_pic_state *p = &chip.chip.pic;
        int hprio = 0;
        memset(&chip, 0, sizeof(chip));
        chip.chip_id = i;
        if (kvm_vm_ioctl(KVM_GET_IRQCHIP, &chip) < 0) {
            continue;
        }
        while (hprio < 8 &&
               !(p->isr & (1 << ((hprio + p->priority_add) & 7)))) {
            hprio++;
        }
        g_string_append_printf(out,
                               "pic%d: irr=%02x imr=%02x isr=%02x hprio=%d "
                               "irq_base=%02x rr_sel=%d elcr=%02x fnm=%d\n",
                               i, p->irr, p->imr, p->isr, hprio & 7,
                               p->irq_base, p->read_reg_select, p->elcr,
                               p->special_fully_nested_mode);
    }
    memset(&chip, 0, sizeof(chip));
    chip.chip_id = KVM_IRQCHIP_IOAPIC;
    if (kvm_vm_ioctl(KVM_GET_IRQCHIP, &chip) == 0) {
        struct kvm_ioapic_state *io = &chip.chip.ioapic;
        uint32_t irr = io->irr, rirr = 0;
        g_string_append_printf(out, "ioapic0: ver=0x11 id=0x%02x sel=0x%02x\n",
                               io->id, io->ioregsel);
        for (int pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++) {
            uint64_t e = io->redirtbl[pin].bits;
            static const char *const mode[8] = {"fixed", "lowest-prio", "SMI",
                                                "...",   "NMI",         "INIT",
                                                "...",   "extINT"};
            if (e & (1ull << 14)) {
                rirr |= 1u << pin;
            }
            g_string_append_printf(
                out,
                "  pin %-2d 0x%016" PRIx64 " dest=%" PRIx64 " vec=%-3u %s "
                "%-5s %-6s %-11s %s\n",
                pin, e, e >> 56, (unsigned)(e & 0xff),
                (e & (1 << 13)) ? "active-lo" : "active-hi",
                (e & (1 << 15)) ? "level" : "edge",
                (e & (1 << 16)) ? "masked" : "", mode[(e >> 8) & 7],
                (e & (1 << 11)) ? "logical" : "physical");
        }
        g_string_append(out, "  IRR");
        for (int pin = 0; pin < 24; pin++) {
            if (irr & (1u << pin)) {
                g_string_append_printf(out, " %d", pin);
            }
        }
        g_string_append(out, irr ? "\n" : " (none)\n");
        g_string_append(out, "  Remote IRR");
        for (int pin = 0; pin < 24; pin++) {
            if (rirr & (1u << pin)) {
                g_string_append_printf(out, " %d", pin);
            }
        }
        g_string_append(out, rirr ? "\n" : " (none)\n");
    }
    return json_string(out->str);
}

static void print_string(GString *out, json_t *ret, json_t *args)
{
    g_string_append(out, json_string_value(ret));
}

static const MonitorArg no_args[] = {{NULL}};

static const MonitorCommand info_pic_cmd = {
    .name = "x-info-pic",
    .hmp_name = "info pic",
    .args = no_args,
    .hmp_help = "show PIC state",
    .hmp_only = true,
    .handler = hmp_info_pic,
    .hmp_format = print_string,
};
MONITOR_COMMAND_REGISTER(info_pic_cmd)
