/*
 * x86 CPU state for system machines: reset values and the register dump
 * (see x86-cpu.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hw/x86/x86-cpu.h"
#include "system/system.h"

GPtrArray *x86_cpus;

static const struct {
    const char *name;
    const char *desc;
} x86_models[] = {
    {"host", "processor with all supported host features (KVM only)"},
    {"kvm64", "Common KVM processor"},
    {"max", "Enables all features supported by the accelerator"},
    {"qemu64", "QEMU Virtual CPU version 2.5+"},
};

bool x86_cpu_model_known(const char *cpu_type)
{
    size_t n = strcspn(cpu_type, ",");

    for (size_t i = 0; i < G_N_ELEMENTS(x86_models); i++) {
        if (strlen(x86_models[i].name) == n &&
            !strncmp(x86_models[i].name, cpu_type, n)) {
            return true;
        }
    }
    return false;
}

/* `-cpu help` lists these models. */
static void __attribute__((constructor)) x86_cpu_register_help(void)
{
    cpu_list_register(x86_cpu_model_help);
}

void x86_cpu_model_help(GString *out)
{
    g_string_append(out, "Available CPUs:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(x86_models); i++) {
        g_string_append_printf(out, "x86 %-16s %s\n", x86_models[i].name,
                               x86_models[i].desc);
    }
}

X86CPU *x86_cpu_new(int index, uint32_t apic_id, const char *model)
{
    X86CPU *cpu = g_new0(X86CPU, 1);

    cpu->index = index;
    cpu->apic_id = apic_id;
    cpu->model = g_strdup(model ? model : "qemu64");
    x86_cpu_power_on_state(&cpu->env, index == 0);
    if (!x86_cpus) {
        x86_cpus = g_ptr_array_new();
    }
    g_ptr_array_add(x86_cpus, cpu);
    return cpu;
}

static void seg_set(X86Segment *seg, uint16_t sel, uint64_t base,
                    uint32_t limit, uint8_t type, bool s)
{
    memset(seg, 0, sizeof(*seg));
    seg->selector = sel;
    seg->base = base;
    seg->limit = limit;
    seg->type = type;
    seg->s = s;
    seg->present = true;
}

void x86_cpu_power_on_state(X86CPUState *s, bool bsp)
{
    memset(s, 0, sizeof(*s));
    s->rip = 0xfff0;
    s->rflags = 0x2;
    s->regs[2] = 0x600; /* EDX: family 6 signature, as QEMU's reset */
    for (int i = 0; i < X86_SEG_COUNT; i++) {
        seg_set(&s->segs[i], 0, 0, 0xffff, 0x3, true); /* data, accessed */
    }
    seg_set(&s->segs[X86_SEG_CS], 0xf000, 0xffff0000, 0xffff, 0xb, true);
    seg_set(&s->ldt, 0, 0, 0xffff, 0x2, false);
    seg_set(&s->tr, 0, 0, 0xffff, 0xb, false); /* busy 32-bit TSS */
    s->gdt_limit = s->idt_limit = 0xffff;
    s->cr0 = 0x60000010; /* CD, NW, ET */
    s->dr[6] = 0xffff0ff0;
    s->dr[7] = 0x400;
    s->apic_base = 0xfee00000 | (1 << 11) | (bsp ? 1 << 8 : 0);
    s->mp_state = bsp ? X86_MP_RUNNABLE : X86_MP_WAIT_SIPI;
    s->fcw = 0x37f;
    s->mxcsr = 0x1f80;
}

void x86_cpu_flat32_state(X86CPUState *s, uint32_t eip, uint16_t cs,
                          uint16_t ds, uint32_t gdt_base, uint16_t gdt_limit)
{
    x86_cpu_power_on_state(s, true);
    s->regs[2] = 0;
    s->rip = eip;
    for (int i = 0; i < X86_SEG_COUNT; i++) {
        seg_set(&s->segs[i], ds, 0, 0xffffffff, 0x3, true);
        s->segs[i].db = s->segs[i].g = true;
    }
    seg_set(&s->segs[X86_SEG_CS], cs, 0, 0xffffffff, 0xb, true);
    s->segs[X86_SEG_CS].db = s->segs[X86_SEG_CS].g = true;
    s->gdt_base = gdt_base;
    s->gdt_limit = gdt_limit;
    s->idt_base = 0;
    s->idt_limit = 0;
    s->cr0 = 0x11; /* PE, ET */
}

void x86_cpu_reset_state(X86CPU *cpu, X86CPUState *s)
{
    if (cpu->has_boot_state) {
        *s = cpu->boot_state;
    } else {
        x86_cpu_power_on_state(s, cpu->index == 0);
    }
}

void x86_cpu_synchronize(X86CPU *cpu)
{
    if (cpu->ops && cpu->ops->sync_state) {
        cpu->ops->sync_state(cpu);
    }
}

/* The descriptor's flags as QEMU prints them (bits 8-23 of the high word). */
static uint32_t seg_flags(const X86Segment *sg)
{
    if (sg->unusable) {
        return 0;
    }
    return ((uint32_t)sg->type << 8) | (sg->s << 12) | (sg->dpl << 13) |
           (sg->present << 15) | (sg->avl << 20) | (sg->l << 21) |
           (sg->db << 22) | (sg->g << 23);
}

static void dump_seg(GString *out, const char *name, const X86Segment *sg,
                     bool lma)
{
    if (lma) {
        g_string_append_printf(out, "%-3s=%04x %016" PRIx64 " %08x %08x\n",
                               name, sg->selector, sg->base, sg->limit,
                               seg_flags(sg));
    } else {
        g_string_append_printf(out, "%-3s=%04x %08x %08x %08x\n", name,
                               sg->selector, (uint32_t)sg->base, sg->limit,
                               seg_flags(sg));
    }
}

void x86_cpu_dump_state(X86CPU *cpu, GString *out)
{
    static const char *const seg_names[X86_SEG_COUNT] = {"ES", "CS", "SS",
                                                         "DS", "FS", "GS"};
    static const char *const reg64[16] = {
        "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
        "R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15"};
    static const int order[16] = {0, 3, 1,  2,  6,  7,  5,  4,
                                  8, 9, 10, 11, 12, 13, 14, 15};
    X86CPUState *s = &cpu->env;
    bool lma = (s->efer >> 10) & 1;
    unsigned cpl = s->segs[X86_SEG_CS].dpl;
    char flags[8];

    if (!(s->cr0 & 1)) {
        cpl = 0;
    } else if (s->rflags & (1 << 17)) {
        cpl = 3; /* virtual-8086 */
    }
    snprintf(flags, sizeof(flags), "%c%c%c%c%c%c%c",
             s->rflags & 0x400 ? 'D' : '-', s->rflags & 0x800 ? 'O' : '-',
             s->rflags & 0x80 ? 'S' : '-', s->rflags & 0x40 ? 'Z' : '-',
             s->rflags & 0x10 ? 'A' : '-', s->rflags & 0x4 ? 'P' : '-',
             s->rflags & 0x1 ? 'C' : '-');
    if (lma) {
        for (int i = 0; i < 16; i++) {
            int r = order[i];
            g_string_append_printf(out, "%s=%016" PRIx64 "%s", reg64[r],
                                   s->regs[r], i % 4 == 3 ? "\n" : " ");
        }
        g_string_append_printf(out, "RIP=%016" PRIx64 " RFL=%08x ", s->rip,
                               (uint32_t)s->rflags);
    } else {
        static const char *const reg32[8] = {"EAX", "ECX", "EDX", "EBX",
                                             "ESP", "EBP", "ESI", "EDI"};
        for (int i = 0; i < 8; i++) {
            int r = order[i];
            g_string_append_printf(out, "%s=%08x%s", reg32[r],
                                   (uint32_t)s->regs[r],
                                   i % 4 == 3 ? "\n" : " ");
        }
        g_string_append_printf(out, "EIP=%08x EFL=%08x ", (uint32_t)s->rip,
                               (uint32_t)s->rflags);
    }
    g_string_append_printf(out, "[%s] CPL=%u II=0 A20=1 SMM=0 HLT=%d\n", flags,
                           cpl, s->mp_state == X86_MP_HALTED);
    for (int i = 0; i < X86_SEG_COUNT; i++) {
        dump_seg(out, seg_names[i], &s->segs[i], lma);
    }
    dump_seg(out, "LDT", &s->ldt, lma);
    dump_seg(out, "TR", &s->tr, lma);
    if (lma) {
        g_string_append_printf(out, "GDT=     %016" PRIx64 " %08x\n",
                               s->gdt_base, s->gdt_limit);
        g_string_append_printf(out, "IDT=     %016" PRIx64 " %08x\n",
                               s->idt_base, s->idt_limit);
        g_string_append_printf(
            out, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n",
            (uint32_t)s->cr0, s->cr2, s->cr3, (uint32_t)s->cr4);
        for (int i = 0; i < 4; i++) {
            g_string_append_printf(out, "DR%d=%016" PRIx64 " ", i, s->dr[i]);
        }
        g_string_append_printf(out, "\nDR6=%016" PRIx64 " DR7=%016" PRIx64 "\n",
                               s->dr[6], s->dr[7]);
    } else {
        g_string_append_printf(out, "GDT=     %08x %08x\n",
                               (uint32_t)s->gdt_base, s->gdt_limit);
        g_string_append_printf(out, "IDT=     %08x %08x\n",
                               (uint32_t)s->idt_base, s->idt_limit);
        g_string_append_printf(out, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n",
                               (uint32_t)s->cr0, (uint32_t)s->cr2,
                               (uint32_t)s->cr3, (uint32_t)s->cr4);
        for (int i = 0; i < 4; i++) {
            g_string_append_printf(out, "DR%d=%08x ", i, (uint32_t)s->dr[i]);
        }
        g_string_append_printf(out, "\nDR6=%08x DR7=%08x\n", (uint32_t)s->dr[6],
                               (uint32_t)s->dr[7]);
    }
    g_string_append_printf(out, "EFER=%016" PRIx64 "\n", s->efer);
    g_string_append_printf(
        out, "FCW=%04x FSW=%04x [ST=%d] FTW=%02x MXCSR=%08x\n", s->fcw, s->fsw,
        (s->fsw >> 11) & 7, s->ftw, s->mxcsr);
    for (int i = 0; i < 8; i++) {
        uint64_t mant;
        uint16_t exp;
        memcpy(&mant, s->fpregs[i], 8);
        memcpy(&exp, s->fpregs[i] + 8, 2);
        g_string_append_printf(out, "FPR%d=%016" PRIx64 " %04x%s", i, mant, exp,
                               i % 2 ? "\n" : " ");
    }
    for (int i = 0; i < (lma ? 16 : 8); i++) {
        uint32_t w[4];
        memcpy(w, s->xmm[i], 16);
        g_string_append_printf(out, "XMM%02d=%08x%08x%08x%08x%s", i, w[3], w[2],
                               w[1], w[0], i % 4 == 3 ? "\n" : " ");
    }
}
