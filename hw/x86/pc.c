/*
 * The "pc" machine (pc-i440fx-7.2): i440FX host bridge, PIIX3 ISA bridge,
 * PIIX4 power management, ISA platform devices, fw_cfg, ACPI.
 *
 * Guest-physical layout, as QEMU's i440FX machine:
 *   0 .. below_4g           RAM (below_4g = RAM size, or 3 GiB when RAM
 *                           is 3.5 GiB or more); 0xc0000-0xfffff shadowed
 *                           under PAM control, 0xa0000-0xbffff unmapped
 *   below_4g .. 0xfebfffff  PCI memory hole (BARs)
 *   0xfec00000              IOAPIC, 0xfed00000 HPET, 0xfee00000 LAPICs
 *   4 GiB - bios size       -bios image; its last 128 KiB also at 0xe0000
 *   4 GiB ..                the rest of RAM
 * Interrupts: ISA IRQ n is GSI n (PIC and IOAPIC); PCI INTx go through
 * PIIX3's PIRQ routing.  Under KVM the PIC, IOAPIC, LAPICs and PIT are
 * the kernel's.  Otherwise (TCG, qtest) they are the userspace models:
 * GSI n < 16 drives 8259 input n, GSI n drives IOAPIC pin n except ISA
 * IRQ 0 which is pin 2 (the MADT's interrupt source override), the
 * 8259's INT is every LAPIC's LINT0 and MSIs go on the APIC bus.  The
 * HPET's legacy replacement takes IRQ 0 and IRQ 8 from the PIT and the
 * RTC while it is on (HPET spec 2.4).
 *
 * Boot: with -kernel (and no -bios) the machine loads the kernel itself
 * and sets the boot CPU's entry state, builds the ACPI tables in RAM
 * below below_4g with the RSDP in the BIOS area, and programs at reset
 * what firmware would (PAM to RAM, PIRQ routing, the PM I/O base, LAPIC
 * LINT0/LINT1).  Otherwise it maps the firmware (-bios, default
 * bios-256k.bin) and starts at the reset vector.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "accel/kvm/kvm.h"
#include "chardev/char.h"
#include "hw/acpi/piix4-pm.h"
#include "hw/block/drive.h"
#include "hw/core/boot-device.h"
#include "hw/core/machine.h"
#include "hw/ide/ide.h"
#include "hw/intc/apic.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic-kvm.h"
#include "hw/intc/ioapic.h"
#include "hw/isa/piix3.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/pci-host/i440fx.h"
#include "hw/rtc/mc146818rtc.h"
#include "hw/timer/i8254.h"
#include "hw/x86/acpi-build.h"
#include "hw/x86/x86-boot.h"
#include "hw/x86/x86-cpu.h"
#include "monitor/monitor.h"
#include "system/memory.h"
#include "system/qtest.h"
#include "system/runstate.h"
#include "system/system.h"
#include "util/cutils.h"

#define PC_GSI_COUNT      24
#define PC_ACPI_SIZE      (128 * KiB)
#define PC_RSDP_ADDR      0xf5a00
#define KVM_RESERVED_ADDR 0xfeffc000ull
#define KVM_RESERVED_SIZE 0x4000
#define BIOS_DEFAULT      "bios-256k.bin"
#define ISA_BIOS_MAX      (128 * KiB)

typedef struct PCMachine {
    MachineState *ms;
    uint64_t below_4g, above_4g;
    MemoryRegion ram_below_4g, ram_above_4g;
    MemoryRegion bios, isa_bios;
    qemu_irq *gsi;
    qemu_irq *ioapic_in; /* the in-kernel irqchip's GSI inputs (KVM) */
    /* Userspace irqchip (no in-kernel one). */
    DeviceState *pic, *ioapic;
    qemu_irq *pic_in, *ioapic_pins;
    /* ISA lines 0 and 8 are shared by PIT/RTC and the HPET's legacy mode. */
    qemu_irq *isa_in;  /* PIIX3's ISA lines (and the PIT's) */
    qemu_irq *hpet_in; /* the HPET's 24 outputs */
    qemu_irq hpet_legacy_in;
    int isa_level[PC_GSI_COUNT], hpet_level[PC_GSI_COUNT];
    bool hpet_legacy;
    int gsi_level[PC_GSI_COUNT];
    uint64_t gsi_raises[PC_GSI_COUNT]; /* for `info irq` */
    PCIBus *pci_bus;
    ISADevice *rtc;
    FWCfgState *fw_cfg;
    bool direct_boot;
    unsigned serial_mask;
    E820Entry *fw_e820; /* "etc/e820" for firmware */
    char *bootorder;    /* "bootorder" for firmware */
    /* -boot: order (or once) for CMOS, menu, waits, strict */
    char *boot_devices;
    bool boot_menu, boot_strict;
    uint16_t boot_menu_wait;
    uint32_t boot_fail_wait;
    unsigned fw_e820_count;
} PCMachine;

static PCMachine pcms;

/* ---- Interrupts ---- */

/*
 * Counts raises for `info irq`, then drives the irqchip inputs.  With the
 * userspace irqchip, "irq_intercept_in ioapic" (qtest) reports GSI n
 * instead of driving IOAPIC pin n, as QEMU does.
 */
static void pc_gsi_set(void *opaque, int n, int level)
{
    PCMachine *pc = opaque;
    bool changed = (level != 0) != (pc->gsi_level[n] != 0);

    if (level && !pc->gsi_level[n]) {
        pc->gsi_raises[n]++;
    }
    pc->gsi_level[n] = level;
    if (!pc->pic) {
        qemu_set_irq(pc->ioapic_in[n], level);
        return;
    }
    if (n < ISA_NUM_IRQS) {
        qemu_set_irq(pc->pic_in[n], level);
    }
    if (qtest_irq_intercepted(pc->ioapic, true)) {
        if (changed) {
            qtest_irq_report(n, level);
        }
        return;
    }
    qemu_set_irq(pc->ioapic_pins[n == 0 ? 2 : n], level);
}

/* ISA IRQ 0 and 8 come from the HPET in legacy mode, else from the bus. */
static void pc_legacy_update(PCMachine *pc, int n)
{
    int level = pc->hpet_legacy ? pc->hpet_level[n] : pc->isa_level[n];

    qemu_set_irq(pc->gsi[n], level);
}

static void pc_isa_set(void *opaque, int n, int level)
{
    PCMachine *pc = opaque;

    pc->isa_level[n] = level;
    if (n == 0 || n == 8) {
        pc_legacy_update(pc, n);
    } else {
        qemu_set_irq(pc->gsi[n], level);
    }
}

static void pc_hpet_set(void *opaque, int n, int level)
{
    PCMachine *pc = opaque;

    pc->hpet_level[n] = level;
    if (n == 0 || n == 8) {
        if (pc->hpet_legacy) {
            pc_legacy_update(pc, n);
        }
    } else {
        qemu_set_irq(pc->gsi[n], level);
    }
}

static void pc_hpet_legacy_set(void *opaque, int n, int level)
{
    PCMachine *pc = opaque;

    pc->hpet_legacy = level;
    pc_legacy_update(pc, 0);
    pc_legacy_update(pc, 8);
}

static void pc_msi_sink(uint64_t addr, uint32_t data)
{
    if (kvm_irqchip_in_kernel()) {
        kvm_send_msi(addr, data);
    } else if (pcms.pic) {
        apic_bus_send_msi(addr, data);
    }
}

/*
 * The interrupt controllers: the kernel's under KVM, else the 8259 pair,
 * one LAPIC per CPU, the IOAPIC and the 8254 PIT in userspace.
 */
static bool pc_irqchip_init(PCMachine *pc, Error **errp)
{
    MachineState *ms = pc->ms;

    pc->gsi = qemu_allocate_irqs(pc_gsi_set, pc, PC_GSI_COUNT);
    pc->isa_in = qemu_allocate_irqs(pc_isa_set, pc, PC_GSI_COUNT);
    pc->hpet_in = qemu_allocate_irqs(pc_hpet_set, pc, PC_GSI_COUNT);
    pc->hpet_legacy_in = qemu_allocate_irq(pc_hpet_legacy_set, pc, 0);
    if (kvm_irqchip_in_kernel()) {
        pc->ioapic_in = ioapic_kvm_init(errp);
        return pc->ioapic_in != NULL;
    }
    pc->pic = i8259_init(apic_bus_extint_line(), errp);
    if (!pc->pic) {
        return false;
    }
    pc->pic_in = i8259_get_irqs(pc->pic);
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        X86CPU *cpu = x86_cpu_get(i);
        cpu->apic = apic_init(cpu->apic_id, i == 0, pc->pic, errp);
        if (!cpu->apic) {
            return false;
        }
    }
    pc->ioapic = ioapic_init(errp);
    if (!pc->ioapic) {
        return false;
    }
    pc->ioapic_pins = ioapic_get_irqs(pc->ioapic);
    return true;
}

/* ---- Memory ---- */

static void pc_memory_init(PCMachine *pc)
{
    MachineState *ms = pc->ms;
    MemoryRegion *sysmem = get_system_memory();

    if (ms->ram_size >= 0xe0000000ull) {
        pc->below_4g = 0xc0000000ull; /* gigabyte-aligned split */
    } else {
        pc->below_4g = ms->ram_size;
    }
    pc->above_4g = ms->ram_size - pc->below_4g;
    memory_region_init_alias(&pc->ram_below_4g, NULL, "ram-below-4g", ms->ram,
                             0, pc->below_4g);
    memory_region_add_subregion(sysmem, 0, &pc->ram_below_4g);
    if (pc->above_4g) {
        memory_region_init_alias(&pc->ram_above_4g, NULL, "ram-above-4g",
                                 ms->ram, pc->below_4g, pc->above_4g);
        memory_region_add_subregion(sysmem, 4 * GiB, &pc->ram_above_4g);
    }
}

static char *pc_find_firmware(const char *name)
{
    static const char *const dirs[] = {"/usr/share/seabios", "/usr/share/qemu",
                                       "/usr/local/share/qemu"};

    if (strchr(name, '/') || g_file_test(name, G_FILE_TEST_EXISTS)) {
        return g_file_test(name, G_FILE_TEST_EXISTS) ? g_strdup(name) : NULL;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
        char *p = g_build_filename(dirs[i], name, NULL);
        if (g_file_test(p, G_FILE_TEST_EXISTS)) {
            return p;
        }
        g_free(p);
    }
    return NULL;
}

static bool pc_firmware_init(PCMachine *pc, const char *name, Error **errp)
{
    g_autofree char *path = pc_find_firmware(name);
    gchar *data;
    gsize size;
    uint64_t isa_size;
    MemoryRegion *sysmem = get_system_memory();

    if (!path || !g_file_get_contents(path, &data, &size, NULL)) {
        error_setg(errp, "could not load PC BIOS '%s'", name);
        return false;
    }
    if (size == 0 || size % (64 * KiB) || size > 16 * MiB) {
        g_free(data);
        error_setg(errp,
                   "-bios %s: size %zu is not a multiple of 64 KiB up "
                   "to 16 MiB",
                   name, (size_t)size);
        return false;
    }
    if (!memory_region_init_rom(&pc->bios, NULL, "pc.bios", size, errp)) {
        g_free(data);
        return false;
    }
    memcpy(memory_region_get_ram_ptr(&pc->bios), data, size);
    g_free(data);
    memory_region_add_subregion(sysmem, 4 * GiB - size, &pc->bios);
    isa_size = MIN(size, ISA_BIOS_MAX);
    memory_region_init_alias(&pc->isa_bios, NULL, "isa-bios", &pc->bios,
                             size - isa_size, isa_size);
    memory_region_set_readonly(&pc->isa_bios, true);
    memory_region_add_subregion_overlap(sysmem, 1 * MiB - isa_size,
                                        &pc->isa_bios, 1);
    return true;
}

/* ---- CMOS and fw_cfg ---- */

static void cmos_set16(ISADevice *rtc, unsigned lo, unsigned v)
{
    mc146818rtc_set_cmos(rtc, lo, v);
    mc146818rtc_set_cmos(rtc, lo + 1, v >> 8);
}

static unsigned boot_device_code(char c)
{
    switch (c) {
    case 'a':
    case 'b':
        return 1; /* floppy */
    case 'c':
        return 2; /* hard disk */
    case 'd':
        return 3; /* CD-ROM */
    case 'n':
        return 4; /* network */
    default:
        return 0;
    }
}

/*
 * -boot [order=]drives,once=drives,menu=on|off,splash-time=ms,
 * reboot-timeout=ms,strict=on|off, checked as QEMU checks them: drives
 * are a (floppy), c (disk), d (CD-ROM), n (network), at most three and
 * each once.
 */
static bool pc_parse_boot(PCMachine *pc, Error **errp)
{
    static const OptDesc boot_desc[] = {
        {"order", OPT_STRING},       {"once", OPT_STRING},
        {"menu", OPT_BOOL},          {"splash", OPT_STRING},
        {"splash-time", OPT_NUMBER}, {"reboot-timeout", OPT_NUMBER},
        {"strict", OPT_BOOL},        {NULL},
    };
    g_autoptr(Opts) o = NULL;
    const char *devs;
    unsigned seen = 0;

    pc->boot_fail_wait = 0xffffffff; /* reboot-timeout -1: never */
    if (!pc->ms->boot_order) {
        return true;
    }
    o = opts_parse(pc->ms->boot_order, "order", NULL, errp);
    if (!o) {
        return false;
    }
    for (unsigned i = 0; i < opts_count(o); i++) {
        const char *k = opts_key_at(o, i);
        const OptDesc *d = boot_desc;
        while (d->name && strcmp(d->name, k)) {
            d++;
        }
        if (!d->name) {
            error_setg(errp, "Parameter 'boot.%s' is unexpected", k);
            return false;
        }
        if (!opt_check_value(k, d->type, opts_value_at(o, i), errp)) {
            return false;
        }
    }
    devs = opts_get(o, "once") ? opts_get(o, "once") : opts_get(o, "order");
    for (const char *c = devs; c && *c; c++) {
        if (*c < 'a' || *c > 'p') {
            error_setg(errp, "Invalid boot device '%c'", *c);
            return false;
        }
        if (seen & (1u << (*c - 'a'))) {
            error_setg(errp, "Boot device '%c' was given twice", *c);
            return false;
        }
        seen |= 1u << (*c - 'a');
        if (!boot_device_code(*c)) {
            error_setg(errp, "Invalid boot device for PC: '%c'", *c);
            return false;
        }
    }
    if (devs && strlen(devs) > 3) {
        error_setg(errp, "Too many boot devices for PC");
        return false;
    }
    pc->boot_devices = g_strdup(devs);
    pc->boot_menu = opts_get_bool(o, "menu", false);
    pc->boot_strict = opts_get_bool(o, "strict", false);
    if (opts_has(o, "splash-time")) {
        pc->boot_menu_wait = MIN(opts_get_number(o, "splash-time", 0), 0xffff);
    }
    if (opts_has(o, "reboot-timeout")) {
        uint64_t t = opts_get_number(o, "reboot-timeout", 0);
        if (t > 0xffff) {
            error_setg(errp, "reboot timeout is larger than 65535, "
                             "it should be in the range 0 to 65535");
            return false;
        }
        pc->boot_fail_wait = t;
    }
    return true;
}

static void pc_cmos_init(PCMachine *pc)
{
    ISADevice *rtc = pc->rtc;
    uint64_t ext_kb, high;
    const char *order = "cad";
    unsigned b[3] = {0};

    cmos_set16(rtc, CMOS_BASE_MEM_LO, 640);
    ext_kb = pc->below_4g > MiB ? (pc->below_4g - MiB) / KiB : 0;
    ext_kb = MIN(ext_kb, 0xffff);
    cmos_set16(rtc, CMOS_EXT_MEM_LO, ext_kb);
    cmos_set16(rtc, CMOS_EXT_MEM2_LO, ext_kb);
    high = pc->below_4g > 16 * MiB ? (pc->below_4g - 16 * MiB) / (64 * KiB) : 0;
    cmos_set16(rtc, CMOS_MEM_16M_LO, MIN(high, 0xffff));
    high = pc->above_4g / (64 * KiB);
    mc146818rtc_set_cmos(rtc, CMOS_MEM_4G_LO, high);
    mc146818rtc_set_cmos(rtc, CMOS_MEM_4G_MID, high >> 8);
    mc146818rtc_set_cmos(rtc, CMOS_MEM_4G_HI, high >> 16);
    mc146818rtc_set_cmos(rtc, CMOS_NB_CPUS_M1, pc->ms->smp_cpus - 1);
    mc146818rtc_set_cmos(rtc, 0x14, 0x06); /* equipment: FPU, display */
    if (pc->boot_devices) {
        order = pc->boot_devices;
    }
    for (int i = 0; i < 3 && order[i]; i++) {
        b[i] = boot_device_code(order[i]);
    }
    mc146818rtc_set_cmos(rtc, CMOS_BOOT_ORDER_1, (b[1] << 4) | b[0]);
    mc146818rtc_set_cmos(rtc, CMOS_BOOT_ORDER_2, b[2] << 4);
}

static void e820_add(GArray *a, uint64_t addr, uint64_t size, uint32_t type)
{
    E820Entry e = {.addr = addr, .size = size, .type = type};

    if (size) {
        g_array_append_val(a, e);
    }
}

static void pc_fw_cfg_init(PCMachine *pc, Error **errp)
{
    MachineState *ms = pc->ms;
    GArray *e820 = g_array_new(false, false, sizeof(E820Entry));
    static uint8_t uuid[16];

    pc->fw_cfg = fw_cfg_init_io(FW_CFG_IO_BASE, true, errp);
    if (!pc->fw_cfg) {
        return;
    }
    fw_cfg_add_i64(pc->fw_cfg, FW_CFG_RAM_SIZE, ms->ram_size);
    fw_cfg_add_i16(pc->fw_cfg, FW_CFG_NB_CPUS, ms->smp_cpus);
    fw_cfg_add_i16(pc->fw_cfg, FW_CFG_MAX_CPUS, ms->smp_max_cpus);
    fw_cfg_add_i16(pc->fw_cfg, FW_CFG_NOGRAPHIC, 0);
    fw_cfg_add_i16(pc->fw_cfg, FW_CFG_BOOT_MENU, pc->boot_menu);
    if (pc->boot_menu_wait) {
        fw_cfg_add_file(pc->fw_cfg, "etc/boot-menu-wait", &pc->boot_menu_wait,
                        2);
    }
    fw_cfg_add_bytes(pc->fw_cfg, FW_CFG_UUID, uuid, sizeof(uuid));
    fw_cfg_add_i32(pc->fw_cfg, FW_CFG_IRQ0_OVERRIDE, 1);
    e820_add(e820, 0, pc->below_4g, E820_RAM);
    if (pc->above_4g) {
        e820_add(e820, 4 * GiB, pc->above_4g, E820_RAM);
    }
    if (kvm_enabled()) {
        e820_add(e820, KVM_RESERVED_ADDR, KVM_RESERVED_SIZE, E820_RESERVED);
    }
    pc->fw_e820_count = e820->len;
    pc->fw_e820 = (E820Entry *)g_array_free(e820, false);
    fw_cfg_add_file(pc->fw_cfg, "etc/e820", pc->fw_e820,
                    pc->fw_e820_count * sizeof(E820Entry));
    fw_cfg_add_file(pc->fw_cfg, "etc/boot-fail-wait", &pc->boot_fail_wait, 4);
    fw_cfg_add_file(pc->fw_cfg, "bootorder", "", 1);
}

/* bootindex= of the devices, for SeaBIOS; -device ran after init. */
static void pc_bootorder_reset(void *opaque)
{
    PCMachine *pc = opaque;
    size_t len;
    char *old = pc->bootorder;

    pc->bootorder = boot_device_list(&len);
    if (pc->boot_strict) {
        /* SeaBIOS: boot only from the listed devices. */
        char *strict =
            g_strdup_printf("%s%sHALT", pc->bootorder, len > 1 ? "\n" : "");
        g_free(pc->bootorder);
        pc->bootorder = strict;
        len = strlen(strict) + 1;
    }
    fw_cfg_modify_file(pc->fw_cfg, "bootorder", pc->bootorder, len);
    g_free(old); /* fw_cfg keeps a pointer to the data, not a copy */
}

/* ---- ACPI ---- */

static void pc_acpi_tables(PCMachine *pc, uint32_t base, GByteArray **tables,
                           GByteArray **rsdp, GByteArray **loader)
{
    MachineState *ms = pc->ms;
    g_autofree uint32_t *ids = g_new0(uint32_t, ms->smp_cpus);
    PCAcpiConfig acfg = {0};

    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        ids[i] = x86_cpu_get(i)->apic_id;
    }
    acfg.ncpus = ms->smp_cpus;
    acfg.apic_ids = ids;
    acfg.below_4g = pc->below_4g;
    acfg.hpet = device_type_find("hpet") != NULL;
    acfg.serial_mask = pc->serial_mask;
    pc_acpi_build(&acfg, base, tables, rsdp, loader);
}

/* Firmware installs the tables itself, following "etc/table-loader". */
static void pc_acpi_firmware(PCMachine *pc)
{
    GByteArray *tables, *rsdp, *loader;
    size_t tlen, rlen, llen;

    pc_acpi_tables(pc, 0, &tables, &rsdp, &loader);
    tlen = tables->len;
    rlen = rsdp->len;
    llen = loader->len;
    fw_cfg_add_file(pc->fw_cfg, ACPI_BUILD_TABLE_FILE,
                    g_byte_array_free(tables, false), tlen);
    fw_cfg_add_file(pc->fw_cfg, ACPI_BUILD_RSDP_FILE,
                    g_byte_array_free(rsdp, false), rlen);
    fw_cfg_add_file(pc->fw_cfg, ACPI_BUILD_LOADER_FILE,
                    g_byte_array_free(loader, false), llen);
}

/* ---- Direct boot ---- */

static bool pc_direct_boot(PCMachine *pc, Error **errp)
{
    MachineState *ms = pc->ms;
    uint64_t acpi_base = (pc->below_4g - PC_ACPI_SIZE) & ~0xfffull;
    GArray *e820 = g_array_new(false, false, sizeof(E820Entry));
    GByteArray *tables, *rsdp;
    X86BootInfo bi = {0};
    X86CPU *bsp = x86_cpu_get(0);
    bool ok;

    if (pc->below_4g < 8 * MiB) {
        error_setg(errp, "-m: at least 8 MiB of RAM are needed for -kernel");
        return false;
    }
    pc_acpi_tables(pc, acpi_base, &tables, &rsdp, NULL);
    if (tables->len > PC_ACPI_SIZE) {
        error_setg(errp, "ACPI tables too large");
        return false;
    }
    {
        size_t len = tables->len;
        x86_rom_add(acpi_base, g_byte_array_free(tables, false), len);
    }
    x86_rom_add(PC_RSDP_ADDR, g_byte_array_free(rsdp, false), 36);

    e820_add(e820, 0, 0x9fc00, E820_RAM);
    e820_add(e820, 0x9fc00, 0x400, E820_RESERVED);
    e820_add(e820, 0xf0000, 0x10000, E820_RESERVED);
    e820_add(e820, 1 * MiB, acpi_base - 1 * MiB, E820_RAM);
    e820_add(e820, acpi_base, pc->below_4g - acpi_base, E820_RESERVED);
    if (kvm_enabled()) {
        e820_add(e820, KVM_RESERVED_ADDR, KVM_RESERVED_SIZE, E820_RESERVED);
    }
    if (pc->above_4g) {
        e820_add(e820, 4 * GiB, pc->above_4g, E820_RAM);
    }

    bi.kernel_filename = ms->kernel_filename;
    bi.cmdline = ms->kernel_cmdline ? ms->kernel_cmdline : "";
    bi.initrd_filename = ms->initrd_filename;
    bi.low_ram_end = acpi_base;
    bi.e820 = (E820Entry *)e820->data;
    bi.e820_count = e820->len;
    bi.acpi_rsdp = PC_RSDP_ADDR;
    ok = x86_load_kernel(&bi, errp);
    g_array_free(e820, true);
    if (!ok) {
        return false;
    }
    bsp->boot_state = bi.entry;
    bsp->has_boot_state = true;
    bsp->bios_lapic_setup = true;
    return true;
}

/* ---- Machine ---- */

static void pc_init(MachineState *ms, Error **errp)
{
    PCMachine *pc = &pcms;
    MemoryRegion *sysmem = get_system_memory();
    PCIDevice *piix3;

    pc->ms = ms;
    pc->direct_boot = ms->kernel_filename && !ms->firmware;
    if (!pc_parse_boot(pc, errp)) {
        return;
    }
    if (ms->smp_cpus > ms->mc->max_cpus) {
        error_setg(errp,
                   "Invalid SMP CPUs %u. The max CPUs supported by "
                   "machine '%s' is %u",
                   ms->smp_cpus, ms->mc->name, ms->mc->max_cpus);
        return;
    }
    if (!x86_cpu_model_known(ms->cpu_type)) {
        g_autofree char *model =
            g_strndup(ms->cpu_type, strcspn(ms->cpu_type, ","));
        error_setg(errp, "unable to find CPU model '%s'", model);
        return;
    }
    if (!strncmp(ms->cpu_type, "host", strcspn(ms->cpu_type, ",")) &&
        !kvm_enabled()) {
        error_setg(errp, "CPU model 'host' requires KVM");
        return;
    }
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        x86_cpu_new(i, i, ms->cpu_type);
    }

    pc_memory_init(pc);
    if (!pc->direct_boot &&
        !pc_firmware_init(pc, ms->firmware ? ms->firmware : BIOS_DEFAULT,
                          errp)) {
        return;
    }

    if (!pc_irqchip_init(pc, errp)) {
        return;
    }
    pci_set_msi_sink(pc_msi_sink);
    pc->pci_bus =
        i440fx_init(sysmem, get_system_io(), ms->ram, pc->direct_boot, errp);
    if (!pc->pci_bus) {
        return;
    }
    piix3 = piix3_init(pc->pci_bus, pc->isa_in, pc->direct_boot, errp);
    if (!piix3) {
        return;
    }
    if (!piix3_ide_init(pc->pci_bus, PCI_DEVFN(1, 1), pc->direct_boot, errp)) {
        return;
    }
    if (!piix4_pm_init(pc->pci_bus, PCI_DEVFN(1, 3), pc->gsi[PIIX4_PM_SCI_IRQ],
                       pc->direct_boot, errp)) {
        return;
    }

    pc->rtc = isa_create_simple("mc146818rtc", errp);
    if (!pc->rtc || !isa_create_simple("i8042", errp) ||
        !isa_create_simple("ioport80", errp)) {
        return;
    }
    if (device_type_find("hpet")) {
        DeviceState *hpet = device_new("hpet", errp);
        if (!hpet || !device_prop_set_ptr(hpet, "irqs", pc->hpet_in, errp) ||
            !device_prop_set_ptr(hpet, "legacy", pc->hpet_legacy_in, errp) ||
            !device_realize(hpet, sysbus_get_default(), errp)) {
            return;
        }
    }
    if (!kvm_pit_in_kernel() && !i8254_init(pc->isa_in[0], errp)) {
        return;
    }
    for (int i = 0; i < 4; i++) {
        Chardev *chr = serial_hd(i);
        DeviceState *dev;
        if (!chr) {
            continue;
        }
        dev = device_new("isa-serial", errp);
        if (!dev || !device_prop_set_uint(dev, "index", i, errp) ||
            !device_prop_set_chr(dev, "chardev", chr, errp) ||
            !device_realize(dev, NULL, errp)) {
            return;
        }
        pc->serial_mask |= 1u << i;
    }

    pc_cmos_init(pc);
    pc_fw_cfg_init(pc, errp);
    if (!pc->fw_cfg) {
        return;
    }
    if (pc->direct_boot) {
        if (!pc_direct_boot(pc, errp)) {
            return;
        }
    } else {
        pc_acpi_firmware(pc);
    }
    if (ms->kernel_filename && ms->firmware) {
        /* As QEMU: the firmware loads -kernel through an option ROM. */
        int r = x86_linuxboot_fw_cfg(pc->fw_cfg, ms->kernel_filename,
                                     ms->kernel_cmdline, ms->initrd_filename,
                                     pc->below_4g, errp);
        if (r < 0) {
            return;
        }
        if (!r) {
            warn_report("-kernel %s with -bios: only Linux bzImages are "
                        "loaded through the firmware (no multiboot option "
                        "ROM); drop -bios to boot it directly",
                        ms->kernel_filename);
        }
    }
    qemu_register_reset(x86_rom_reset, NULL);
    qemu_register_reset(pc_bootorder_reset, pc);
}

/* `info irq`: interrupts raised by device models (not the kernel's PIT). */
static json_t *hmp_info_irq(json_t *args, Error **errp)
{
    g_autoptr(GString) out = g_string_new(NULL);

    g_string_append(out, "IRQ statistics for gsi:\n");
    for (int i = 0; i < PC_GSI_COUNT; i++) {
        if (pcms.gsi_raises[i]) {
            g_string_append_printf(out, "%2d: %" PRIu64 "\n", i,
                                   pcms.gsi_raises[i]);
        }
    }
    return json_string(out->str);
}

static void print_string(GString *out, json_t *ret, json_t *args)
{
    g_string_append(out, json_string_value(ret));
}

static const MonitorArg no_args[] = {{NULL}};

static const MonitorCommand info_irq_cmd = {
    .name = "x-info-irq",
    .hmp_name = "info irq",
    .args = no_args,
    .hmp_help = "show the interrupts statistics (if available)",
    .hmp_only = true,
    .handler = hmp_info_irq,
    .hmp_format = print_string,
};
MONITOR_COMMAND_REGISTER(info_irq_cmd)

static const MachineClass pc_machine = {
    .name = "pc-i440fx-7.2",
    .alias = "pc",
    .desc = "Standard PC (i440FX + PIIX, 1996)",
    .arch = "x86_64",
    .is_default = true,
    .init = pc_init,
    .default_ram_size = 128 * MiB,
    .max_cpus = 255,
    .default_cpu_type = "qemu64",
    .block_default_type = IF_IDE,
    .default_cdrom = true,
};
MACHINE_REGISTER(pc_machine)
