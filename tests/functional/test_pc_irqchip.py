"""The pc machine's userspace interrupt controllers (8259 pair, 8254 PIT,
IOAPIC, local APICs, HPET legacy routing), wired as under TCG and driven
through the test protocol (-M pc -accel qtest): no CPU runs, so the
CPU's side is watched with "irq_intercept_out" on the boot CPU's local
APIC (its INTR output is reported as line 0) and by reading the LAPIC's
registers at 0xfee00000.  /dev/kvm is not needed."""
LAPIC0 = "/machine/unattached/device[0]/lapic"
LAPIC = 0xfee00000
IOAPIC = 0xfec00000
HPET = 0xfed00000
PIT_HZ = 1193182


def pic_init(m, master_mask, slave_mask=0xff):
    """What a BIOS does: ICW1 (edge, cascade, ICW4), ICW2 vector bases
    0x08/0x70, ICW3 slave on IR2, ICW4 8086 mode; then the masks."""
    for base, icw2, icw3 in ((0x20, 0x08, 0x04), (0xa0, 0x70, 0x02)):
        m.outb(base, 0x11)
        m.outb(base + 1, icw2)
        m.outb(base + 1, icw3)
        m.outb(base + 1, 0x01)
    m.outb(0x21, master_mask)
    m.outb(0xa1, slave_mask)


def pit_mode2(m, count):
    """Channel 0, lobyte/hibyte, mode 2 (rate generator)."""
    m.outb(0x43, 0x34)
    m.outb(0x40, count & 0xff)
    m.outb(0x40, count >> 8)


def ioapic_route(m, pin, vector, dest=0, level=False, masked=False):
    lo = vector | (level << 15) | (masked << 16)
    m.cmd(f"writel {IOAPIC:#x} {0x10 + 2 * pin:#x}")
    m.cmd(f"writel {IOAPIC + 0x10:#x} {lo:#x}")
    m.cmd(f"writel {IOAPIC:#x} {0x11 + 2 * pin:#x}")
    m.cmd(f"writel {IOAPIC + 0x10:#x} {dest << 24:#x}")


def lapic_irr(m, vector):
    reg = m.val(f"readl {LAPIC + 0x200 + 0x10 * (vector // 32):#x}")
    return bool(reg >> (vector % 32) & 1)


def test_pic_pit_reach_the_cpu(pc_factory):
    m = pc_factory()
    m.cmd(f"irq_intercept_out {LAPIC0}")
    # The BSP's LAPIC comes out of reset in virtual-wire mode (LINT0
    # ExtINT), so the master 8259's INT is the CPU's INTR.
    pic_init(m, 0xfe)  # only IRQ 0 unmasked
    # 1193 PIT clocks = 999.847 us per period.  Programming the mode
    # drives OUT high: a rising edge for the 8259 (PIT OUT starts low).
    pit_mode2(m, 1193)
    assert m.irqs == ["IRQ raise 0"]
    m.outb(0x20, 0x0c)  # poll = INTA
    assert m.inb(0x20) == 0x80
    assert m.irqs[-1] == "IRQ lower 0"
    m.outb(0x20, 0x20)  # EOI
    m.irqs.clear()
    m.step(900_000)
    assert m.irqs == []
    m.step(200_000)
    assert m.irqs == ["IRQ raise 0"]
    # IRR shows IR0 (OCW3 read IRR).
    m.outb(0x20, 0x0a)
    assert m.inb(0x20) & 1
    # Poll command = INTA: level 0 acknowledged, INTR drops.
    m.outb(0x20, 0x0c)
    assert m.inb(0x20) == 0x80
    assert m.irqs[-1] == "IRQ lower 0"
    # In service until EOI: the next period does not interrupt before it.
    m.step(1_000_000)
    assert m.irqs[-1] == "IRQ lower 0"
    m.outb(0x20, 0x20)  # non-specific EOI: the pending IR0 goes out
    assert m.irqs[-1] == "IRQ raise 0"
    # Masking IR0 (OCW1) takes the request off INTR, unmasking restores it.
    m.outb(0x21, 0xff)
    assert m.irqs[-1] == "IRQ lower 0"
    m.outb(0x21, 0xfe)
    assert m.irqs[-1] == "IRQ raise 0"
    # Several periods: one interrupt per period once each is acknowledged.
    raises = 0
    for _ in range(5):
        m.outb(0x20, 0x0c)
        assert m.inb(0x20) == 0x80
        m.outb(0x20, 0x20)
        before = len(m.irqs)
        m.step(1_000_000)
        raises += m.irqs[before:].count("IRQ raise 0")
    assert raises == 5


def test_pit_counter_follows_virtual_time(pc_factory):
    m = pc_factory()
    pit_mode2(m, 0)  # 65536
    for ns in (100_000, 1_000_000, 20_000_000):
        m.step(ns)
    elapsed_ns = 21_100_000
    m.outb(0x43, 0x00)  # counter latch, channel 0
    count = m.inb(0x40) | m.inb(0x40) << 8
    ticks = elapsed_ns * PIT_HZ // 1_000_000_000
    expect = (65536 - ticks % 65536) % 65536
    assert abs(count - expect) <= 1
    # Port 0x61: gate 2 and speaker bits read back; OUT2 is bit 5.
    m.outb(0x61, 0x03)
    assert m.inb(0x61) & 0x03 == 0x03
    m.outb(0x61, 0x00)
    assert m.inb(0x61) & 0x03 == 0


def test_ioapic_to_lapic(pc_factory):
    m = pc_factory()
    m.cmd(f"irq_intercept_out {LAPIC0}")
    pic_init(m, 0xff)  # 8259 fully masked: only the IOAPIC path
    # LAPIC: software enable (SVR bit 8, spurious vector 0xff); LINT0 masked.
    m.cmd(f"writel {LAPIC + 0xf0:#x} 0x1ff")
    m.cmd(f"writel {LAPIC + 0x350:#x} 0x10000")
    assert m.val(f"readl {LAPIC + 0x20:#x}") >> 24 == 0  # APIC ID 0
    # IOAPIC: ID 0, version 0x11 with 24 entries.
    m.cmd(f"writel {IOAPIC:#x} 1")
    assert m.val(f"readl {IOAPIC + 0x10:#x}") == 0x00170011
    # ISA IRQ 0 (PIT) is IOAPIC pin 2: vector 0x30, edge, to APIC 0.
    ioapic_route(m, 2, 0x30)
    pit_mode2(m, 1193)
    m.step(1_100_000)
    assert lapic_irr(m, 0x30)
    assert m.irqs == ["IRQ raise 0"]
    # Pin 0 stays unused: a route there never fires for the PIT.
    assert not lapic_irr(m, 0x31)
    # RTC periodic interrupt (ISA IRQ 8 = pin 8), vector 0x38.
    ioapic_route(m, 8, 0x38)
    m.outb(0x70, 0x0b)
    m.outb(0x71, 0x42)  # PIE, 24h
    m.step(2_000_000)
    assert lapic_irr(m, 0x38)
    # Masked entry: nothing delivered.
    ioapic_route(m, 4, 0x34, masked=True)
    assert not lapic_irr(m, 0x34)


def test_ioapic_level_remote_irr(pc_factory):
    m = pc_factory()
    pic_init(m, 0xff)
    m.cmd(f"writel {LAPIC + 0xf0:#x} 0x1ff")
    # SCI (IRQ 9) is level-triggered: PM timer overflow raises it.
    ioapic_route(m, 9, 0x49, level=True)
    m.pci_write(1, 3, 0x40, 0x601)
    m.pci_write(1, 3, 0x80, 0x01, 1)
    m.outw(0x602, 0x0001)  # TMR_EN
    m.step(5_000_000_000)
    assert lapic_irr(m, 0x49)
    # Remote IRR (bit 14) is set until the LAPIC's EOI.
    m.cmd(f"writel {IOAPIC:#x} 0x22")
    assert m.val(f"readl {IOAPIC + 0x10:#x}") & (1 << 14)
    # TMR marks the vector level-triggered.
    tmr = m.val(f"readl {LAPIC + 0x180 + 0x10 * (0x49 // 32):#x}")
    assert tmr >> (0x49 % 32) & 1


def test_hpet_legacy_replaces_pit(pc_factory):
    m = pc_factory()
    m.cmd("irq_intercept_in ioapic")
    pit_mode2(m, 1193)
    m.step(3_000_000)
    assert m.irqs.count("IRQ raise 0") >= 2  # the PIT pulses GSI 0
    # HPET on, legacy replacement: the PIT is off IRQ 0.
    m.cmd(f"writeq {HPET + 0x10:#x} 0x3")
    m.irqs.clear()
    m.step(3_000_000)
    assert "IRQ raise 0" not in m.irqs
    # HPET timer 0 now drives IRQ 0.
    now = m.val(f"readq {HPET + 0xf0:#x}")
    m.cmd(f"writeq {HPET + 0x100:#x} 0x4")
    m.cmd(f"writeq {HPET + 0x108:#x} {now + 1000}")
    m.step(20_000)
    assert "IRQ raise 0" in m.irqs
    # Timer 1 drives IRQ 8 (the RTC's line) in legacy mode.
    m.cmd(f"writeq {HPET + 0x120:#x} 0x4")
    m.cmd(f"writeq {HPET + 0x128:#x} {now + 5000}")
    m.step(60_000)
    assert "IRQ raise 8" in m.irqs
    # Legacy off: the PIT is back.
    m.cmd(f"writeq {HPET + 0x10:#x} 0x1")
    m.irqs.clear()
    m.step(3_000_000)
    assert m.irqs.count("IRQ raise 0") >= 2


def test_lapic_timer(pc_factory):
    m = pc_factory()
    m.cmd(f"irq_intercept_out {LAPIC0}")
    pic_init(m, 0xff)
    m.cmd(f"writel {LAPIC + 0xf0:#x} 0x1ff")
    m.cmd(f"writel {LAPIC + 0x350:#x} 0x10000")
    # One-shot, vector 0x40, divide by 1, 1000 counts.
    m.cmd(f"writel {LAPIC + 0x3e0:#x} 0xb")
    m.cmd(f"writel {LAPIC + 0x320:#x} 0x40")
    m.cmd(f"writel {LAPIC + 0x380:#x} 1000")
    assert not lapic_irr(m, 0x40)
    m.step(2_000_000)
    assert lapic_irr(m, 0x40)
    assert m.irqs == ["IRQ raise 0"]
    assert m.val(f"readl {LAPIC + 0x390:#x}") == 0


def test_smp_lapic_ids_and_paths(pc_factory):
    m = pc_factory("-smp", "2")
    m.cmd("irq_intercept_out /machine/unattached/device[1]/lapic")
    # qtest's accesses reach the first LAPIC (no CPU thread).
    assert m.val(f"readl {LAPIC + 0x20:#x}") >> 24 == 0
    # A fixed IPI from APIC 0 to APIC 1 raises CPU 1's INTR.
    m.cmd(f"writel {LAPIC + 0xf0:#x} 0x1ff")
    # APIC 1 is software-disabled after reset: the IPI is dropped there.
    m.cmd(f"writel {LAPIC + 0x310:#x} {1 << 24:#x}")
    m.cmd(f"writel {LAPIC + 0x300:#x} 0x4050")
    assert m.irqs == []
