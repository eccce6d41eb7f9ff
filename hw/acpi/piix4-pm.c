/*
 * Intel 82371AB PIIX4, function 3: ACPI power management ("PIIX4_PM").
 *
 * Interface:
 *   PCI     01.3, 8086:7113 rev 3, class 0680
 *   config  0x40 PMBA (I/O base, 64 bytes), 0x80 PMREGMISC (bit 0 enables
 *           the PM I/O space), 0x90 SMBBA, 0xd2 SMBHSTCFG (latched)
 *   ports   PMBA+0 PM1_STS, +2 PM1_EN, +4 PM1_CNT, +8 PM_TMR (24-bit,
 *           3.579545 MHz); 0xafe0 GPE0_STS/GPE0_EN (2+2 bytes);
 *           0xb2 APM control, 0xb3 APM status
 *   irq     SCI on ISA IRQ 9 (level, while any enabled status bit is set)
 * Follows the Intel 82371AB datasheet (order 290562), 3.4 (function 3
 * configuration) and 7 (power management I/O registers), with the ACPI
 * 1.0 fixed-hardware semantics: PM1_STS bits are write-1-to-clear;
 * writing PM1_CNT with SLP_EN and SLP_TYP 0 is soft-off (S5), which asks
 * the board to power down.  There is no SMM: the FADT has no SMI_CMD and
 * SCI_EN is set at reset; writes of ACPI_ENABLE/ACPI_DISABLE to 0xb2
 * still set/clear SCI_EN, as QEMU's PIIX4 does.
 */
#include "hw/acpi/piix4-pm.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "util/log.h"

#define PIIX4_PMBA      0x40
#define PIIX4_PMREGMISC 0x80
#define PIIX4_DEVACTB   0x58
#define PIIX4_SMBBA     0x90
#define PIIX4_SMBHSTCFG 0xd2

/* PM I/O block offsets. */
#define PM1_STS    0x00
#define PM1_EN     0x02
#define PM1_CNT    0x04
#define PM_TMR     0x08
#define PM_IO_SIZE 0x40

#define PM1_TMR_STS    0x0001
#define PM1_BM_STS     0x0010
#define PM1_GBL_STS    0x0020
#define PM1_PWRBTN_STS 0x0100
#define PM1_RTC_STS    0x0400
#define PM1_WAK_STS    0x8000
#define PM1_STS_MASK                                                           \
    (PM1_TMR_STS | PM1_BM_STS | PM1_GBL_STS | PM1_PWRBTN_STS | PM1_RTC_STS |   \
     PM1_WAK_STS)
#define PM1_EN_MASK (PM1_TMR_STS | PM1_GBL_STS | PM1_PWRBTN_STS | PM1_RTC_STS)

#define PM1_CNT_SCI_EN        0x0001
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK  0x1c00
#define PM1_CNT_SLP_EN        0x2000

#define APM_CNT      0xb2
#define ACPI_ENABLE  0xf1
#define ACPI_DISABLE 0xf0

#define SLP_TYP_S5 0 /* matches the DSDT's \_S5 package */

typedef struct PIIX4PMState {
    PCIDevice parent;
    /* Properties. */
    void *sci_irq; /* qemu_irq */
    bool pm_at_reset;
    /* Wiring. */
    MemoryRegion pm_io, gpe_io, apm_io;
    hwaddr pm_io_base; /* where pm_io is mapped, 0 if not */
    QEMUTimer *tmr_timer;
    /* Registers. */
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint16_t gpe_sts, gpe_en;
    uint8_t apm_cnt, apm_sts;
} PIIX4PMState;
DECLARE_DEVICE_CAST(PIIX4PMState, PIIX4_PM, "PIIX4_PM")

static uint32_t pm_timer_now(void)
{
    return (uint32_t)((__int128)qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) *
                      ACPI_PM_TIMER_FREQ / NANOSECONDS_PER_SECOND) &
           0xffffff;
}

/* Arms the timer for the next carry out of bit 23 when TMR_EN is set. */
static void pm_timer_arm(PIIX4PMState *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    uint64_t ticks =
        (__int128)now * ACPI_PM_TIMER_FREQ / NANOSECONDS_PER_SECOND;
    uint64_t next = (ticks | 0x7fffff) + 1;

    if (!(s->pm1_en & PM1_TMR_STS)) {
        timer_del(s->tmr_timer);
        return;
    }
    timer_mod_ns(s->tmr_timer,
                 (int64_t)((__int128)next * NANOSECONDS_PER_SECOND /
                           ACPI_PM_TIMER_FREQ) +
                     1);
}

static void piix4_update_sci(PIIX4PMState *s)
{
    bool level =
        (s->pm1_sts & s->pm1_en & PM1_EN_MASK) || (s->gpe_sts & s->gpe_en);

    qemu_set_irq(s->sci_irq, level && (s->pm1_cnt & PM1_CNT_SCI_EN));
}

static void pm_timer_overflow(void *opaque)
{
    PIIX4PMState *s = opaque;

    s->pm1_sts |= PM1_TMR_STS;
    piix4_update_sci(s);
    pm_timer_arm(s);
}

static void piix4_pm1_cnt_write(PIIX4PMState *s, uint16_t v)
{
    s->pm1_cnt = v & ~(PM1_CNT_SLP_EN | PM1_CNT_SLP_TYP_MASK);
    if (v & PM1_CNT_SLP_EN) {
        unsigned typ = (v & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT;
        if (typ == SLP_TYP_S5) {
            qemu_system_guest_shutdown_request();
        } else {
            qemu_log_mask(LOG_UNIMP, "%s: sleep type %u (only S5 exists)\n",
                          __func__, typ);
        }
    }
}

static uint64_t pm_io_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIX4PMState *s = opaque;

    switch (addr) {
    case PM1_STS:
        return s->pm1_sts;
    case PM1_EN:
        return s->pm1_en;
    case PM1_CNT:
        return s->pm1_cnt;
    case PM_TMR:
        return pm_timer_now();
    default:
        qemu_log_mask(LOG_UNIMP, "%s: register 0x%x\n", __func__,
                      (unsigned)addr);
        return 0;
    }
}

static void pm_io_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;

    switch (addr) {
    case PM1_STS:
        s->pm1_sts &= ~(val & PM1_STS_MASK);
        break;
    case PM1_EN:
        s->pm1_en = val & PM1_EN_MASK;
        pm_timer_arm(s);
        break;
    case PM1_CNT:
        piix4_pm1_cnt_write(s, val);
        break;
    case PM_TMR:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: PM_TMR is read-only\n", __func__);
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: register 0x%x\n", __func__,
                      (unsigned)addr);
        break;
    }
    piix4_update_sci(s);
}

static const MemoryRegionOps pm_io_ops = {
    .read = pm_io_read,
    .write = pm_io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 2, .max_access_size = 4},
};

static uint64_t gpe_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIX4PMState *s = opaque;
    uint32_t v = s->gpe_sts | ((uint32_t)s->gpe_en << 16);

    return (v >> (addr * 8)) & 0xff;
}

static void gpe_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    uint8_t v = val;

    if (addr < 2) {
        s->gpe_sts &= ~((uint16_t)v << (addr * 8));
    } else {
        s->gpe_en = (s->gpe_en & ~(0xff << ((addr - 2) * 8))) |
                    ((uint16_t)v << ((addr - 2) * 8));
    }
    piix4_update_sci(s);
}

static const MemoryRegionOps gpe_ops = {
    .read = gpe_read,
    .write = gpe_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static uint64_t apm_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIX4PMState *s = opaque;

    return addr ? s->apm_sts : s->apm_cnt;
}

static void apm_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;

    if (addr) {
        s->apm_sts = val;
        return;
    }
    s->apm_cnt = val;
    if (val == ACPI_ENABLE) {
        s->pm1_cnt |= PM1_CNT_SCI_EN;
    } else if (val == ACPI_DISABLE) {
        s->pm1_cnt &= ~PM1_CNT_SCI_EN;
    }
    piix4_update_sci(s);
}

static const MemoryRegionOps apm_ops = {
    .read = apm_read,
    .write = apm_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

/* Maps the PM block where PMBA says, if PMREGMISC enables it. */
static void piix4_update_pm_io(PIIX4PMState *s)
{
    uint8_t *c = s->parent.config;
    hwaddr base = pci_get_long(c + PIIX4_PMBA) & 0xffc0;
    bool on = (c[PIIX4_PMREGMISC] & 1) && base;

    if (!on) {
        base = 0;
    }
    if (base == s->pm_io_base) {
        return;
    }
    memory_region_transaction_begin();
    if (s->pm_io_base) {
        memory_region_del_subregion(get_system_io(), &s->pm_io);
    }
    if (base) {
        memory_region_add_subregion(get_system_io(), base, &s->pm_io);
    }
    s->pm_io_base = base;
    memory_region_transaction_commit();
}

static void piix4_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                               int len)
{
    pci_default_write_config(d, addr, val, len);
    if ((addr < PIIX4_PMBA + 4 && addr + len > PIIX4_PMBA) ||
        (addr <= PIIX4_PMREGMISC && addr + len > PIIX4_PMREGMISC)) {
        piix4_update_pm_io(PIIX4_PM(d));
    }
}

static void piix4_powerdown(void *opaque)
{
    PIIX4PMState *s = opaque;

    s->pm1_sts |= PM1_PWRBTN_STS;
    piix4_update_sci(s);
}

static void piix4_pm_reset(DeviceState *dev)
{
    PIIX4PMState *s = PIIX4_PM(dev);
    uint8_t *c = s->parent.config;

    pci_set_long(c + PIIX4_PMBA, 1); /* I/O space indicator */
    c[PIIX4_PMREGMISC] = 0;
    pci_set_long(c + PIIX4_SMBBA, 1);
    c[PIIX4_SMBHSTCFG] = 0;
    if (s->pm_at_reset) {
        pci_set_long(c + PIIX4_PMBA, PIIX4_PM_IO_BASE | 1);
        c[PIIX4_PMREGMISC] = 1;
        pci_set_long(c + PIIX4_SMBBA, PIIX4_SMB_IO_BASE | 1);
        c[PIIX4_SMBHSTCFG] = 0x09;
        c[PCI_INTERRUPT_LINE] = PIIX4_PM_SCI_IRQ; /* as firmware sets it */
    }
    c[PCI_INTERRUPT_PIN] = 1; /* INTA# for the SMBus, as on hardware */
    /*
     * DEVACTB APMC_EN: no SMM here, so firmware must not try to set up an
     * SMI handler (QEMU marks SMM as already initialized the same way).
     */
    c[PIIX4_DEVACTB + 3] = 0x02;
    s->pm1_sts = s->pm1_en = 0;
    s->pm1_cnt = PM1_CNT_SCI_EN; /* no SMM: ACPI mode from the start */
    s->gpe_sts = s->gpe_en = 0;
    s->apm_cnt = s->apm_sts = 0;
    timer_del(s->tmr_timer);
    piix4_update_pm_io(s);
    piix4_update_sci(s);
}

static bool piix4_pm_realize(DeviceState *dev, Error **errp)
{
    PIIX4PMState *s = PIIX4_PM(dev);
    PCIDevice *d = PCI_DEVICE(dev);

    pci_set_long(d->wmask + PIIX4_PMBA, 0xffc0);
    d->wmask[PIIX4_PMREGMISC] = 0x01;
    pci_set_long(d->wmask + PIIX4_SMBBA, 0xfff0);
    d->wmask[PIIX4_SMBHSTCFG] = 0x0f;
    memory_region_init_io(&s->pm_io, dev, &pm_io_ops, s, "piix4-pm",
                          PM_IO_SIZE);
    memory_region_init_io(&s->gpe_io, dev, &gpe_ops, s, "acpi-gpe0",
                          PIIX4_GPE0_LEN);
    memory_region_add_subregion(get_system_io(), PIIX4_GPE0_BASE, &s->gpe_io);
    memory_region_init_io(&s->apm_io, dev, &apm_ops, s, "apm-io", 2);
    memory_region_add_subregion(get_system_io(), APM_CNT, &s->apm_io);
    s->tmr_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, pm_timer_overflow, s);
    qemu_register_powerdown_handler(piix4_powerdown, s);
    piix4_pm_reset(dev);
    return true;
}

static const PCIDeviceClass piix4_pm_class = {
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = 0x7113,
    .revision = 0x03,
    .class_id = PCI_CLASS_BRIDGE_OTHER,
    .config_write = piix4_write_config,
};

static const Property piix4_pm_props[] = {
    DEFINE_PROP_PTR("sci-irq", PIIX4PMState, sci_irq),
    DEFINE_PROP_BOOL("pm-at-reset", PIIX4PMState, pm_at_reset, false),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo piix4_pm_info = {
    .name = "PIIX4_PM",
    .parent = "pci-device",
    .instance_size = sizeof(PIIX4PMState),
    .desc = "PM (i440FX PIIX4 ACPI power management)",
    .category = DEVICE_CATEGORY_BRIDGE,
    .class_data = &piix4_pm_class,
    .props = piix4_pm_props,
    .realize = piix4_pm_realize,
    .reset = piix4_pm_reset,
};
DEVICE_TYPE_REGISTER(piix4_pm_info)

PCIDevice *piix4_pm_init(PCIBus *bus, int devfn, qemu_irq sci, bool pm_at_reset,
                         Error **errp)
{
    DeviceState *dev = device_new("PIIX4_PM", errp);

    if (!dev) {
        return NULL;
    }
    PIIX4_PM(dev)->sci_irq = sci;
    PIIX4_PM(dev)->pm_at_reset = pm_at_reset;
    PCI_DEVICE(dev)->devfn = devfn;
    if (!device_realize(dev, pci_bus_qbus(bus), errp)) {
        return NULL;
    }
    return PCI_DEVICE(dev);
}
