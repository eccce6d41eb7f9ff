"""The pc machine's devices driven through the test protocol
(-M pc -accel qtest), register by register, with the expected hardware
behaviour in each step's comment.  No CPU runs and /dev/kvm is not
needed.  IRQ lines are watched with "irq_intercept_in ioapic" (the 24
GSIs; ISA IRQ n is GSI n)."""
import datetime
import os
import subprocess

import pytest

SEABIOS = "/usr/share/seabios/bios-256k.bin"


def test_serial_16550a(pc_factory, tmp_path):
    out = tmp_path / "com1.txt"
    pc = pc_factory("-serial", f"file:{out}")
    COM1 = 0x3f8
    pc.cmd("irq_intercept_in ioapic")
    # After reset: THR empty and transmitter idle, no interrupt pending.
    assert pc.inb(COM1 + 5) == 0x60
    assert pc.inb(COM1 + 2) == 0x01
    # Divisor latch: DLAB exposes DLL/DLM at offsets 0 and 1.
    pc.outb(COM1 + 3, 0x80)
    pc.outb(COM1 + 0, 0x01)
    pc.outb(COM1 + 1, 0x00)
    assert pc.inb(COM1 + 0) == 0x01
    pc.outb(COM1 + 3, 0x03)  # 8N1, DLAB off
    # A transmitted byte reaches the chardev.
    for c in b"OK\n":
        pc.outb(COM1, c)
    # Enabling the THR-empty interrupt with THR empty raises IRQ 4 at once;
    # reading IIR (THRI = 0x02) acknowledges it.
    pc.outb(COM1 + 1, 0x02)
    assert "IRQ raise 4" in pc.irqs
    assert pc.inb(COM1 + 2) == 0x02
    assert pc.irqs[-1] == "IRQ lower 4"
    assert pc.inb(COM1 + 2) == 0x01
    pc.outb(COM1 + 1, 0x00)
    # Loopback: a byte written comes back in RBR with DR set; modem
    # outputs appear on the modem inputs (DTR->DSR, RTS->CTS, OUT2->DCD).
    pc.outb(COM1 + 4, 0x1b)
    pc.outb(COM1, 0x5a)
    assert pc.inb(COM1 + 5) & 0x01
    assert pc.inb(COM1) == 0x5a
    assert not pc.inb(COM1 + 5) & 0x01
    assert pc.inb(COM1 + 6) & 0xb0 == 0xb0
    # FIFO mode shows in IIR bits 7:6.
    pc.outb(COM1 + 2, 0x07)
    assert pc.inb(COM1 + 2) & 0xc0 == 0xc0
    # Scratch register.
    pc.outb(COM1 + 7, 0xa5)
    assert pc.inb(COM1 + 7) == 0xa5
    pc.close()
    assert out.read_bytes() == b"OK\n"


def bcd(v):
    return (v >> 4) * 10 + (v & 15)


def test_rtc_cmos(pc_factory):
    pc = pc_factory("-m", "256", "-smp", "3")
    pc.cmd("irq_intercept_in ioapic")

    def cmos(i):
        pc.outb(0x70, i)
        return pc.inb(0x71)

    # Register A: 32.768 kHz time base, 1024 Hz rate; B: 24-hour, BCD;
    # D: valid RAM and time.
    assert cmos(0x0a) & 0x7f == 0x26
    assert cmos(0x0b) == 0x02
    assert cmos(0x0d) == 0x80
    # The date is the host's (UTC).
    now = datetime.datetime.now(datetime.timezone.utc)
    year = bcd(cmos(0x32)) * 100 + bcd(cmos(0x09))
    assert (year, bcd(cmos(0x08)), bcd(cmos(0x07))) in [
        (d.year, d.month, d.day)
        for d in (now, now + datetime.timedelta(seconds=5))]
    # Memory size fields as SeaBIOS reads them: 640 KiB base memory,
    # 255 MiB above 1 MiB capped at 0xffff KiB, (256 - 16) MiB above
    # 16 MiB in 64 KiB units, CPU count - 1.
    assert cmos(0x15) | cmos(0x16) << 8 == 640
    assert cmos(0x30) | cmos(0x31) << 8 == 0xffff
    assert cmos(0x34) | cmos(0x35) << 8 == 240 * 16
    assert cmos(0x5f) == 2
    # CMOS RAM keeps what is written.
    pc.outb(0x70, 0x50)
    pc.outb(0x71, 0x77)
    assert cmos(0x50) == 0x77
    # Periodic interrupt (PIE) at 1024 Hz: IRQ 8 rises within 1 ms of
    # virtual time; reading register C (PF | IRQF) lowers it.
    pc.outb(0x70, 0x0b)
    pc.outb(0x71, 0x42)
    pc.step(2_000_000)
    assert "IRQ raise 8" in pc.irqs
    assert cmos(0x0c) & 0xc0 == 0xc0
    assert pc.irqs[-1] == "IRQ lower 8"
    # 12-hour binary mode renders the hour accordingly.
    pc.outb(0x70, 0x0b)
    pc.outb(0x71, 0x04)
    assert 1 <= cmos(0x04) & 0x7f <= 12


def test_fw_cfg(pc_factory):
    pc = pc_factory("-m", "256", "-smp", "3")

    def item(key, n):
        pc.outw(0x510, key)
        return bytes(pc.inb(0x511) for _ in range(n))

    assert item(0x0000, 4) == b"QEMU"          # signature
    assert item(0x0001, 4) == b"\x03\x00\x00\x00"  # traditional + DMA
    assert int.from_bytes(item(0x0003, 8), "little") == 256 << 20
    assert int.from_bytes(item(0x0005, 2), "little") == 3
    # Reads past the end return 0.
    pc.outw(0x510, 0x0005)
    assert [pc.inb(0x511) for _ in range(4)] == [3, 0, 0, 0]
    # File directory: big-endian count, 64-byte entries, sorted names.
    pc.outw(0x510, 0x0019)
    count = int.from_bytes(bytes(pc.inb(0x511) for _ in range(4)), "big")
    names = []
    for _ in range(count):
        e = bytes(pc.inb(0x511) for _ in range(64))
        names.append(e[8:].rstrip(b"\0").decode())
    assert "etc/e820" in names and names == sorted(names)
    # DMA: the signature register reads "QEMU CFG" (big-endian).
    assert pc.inl(0x514).to_bytes(4, "little") == b"QEMU"
    assert pc.inl(0x518).to_bytes(4, "little") == b" CFG"
    # A DMA read of the signature item into RAM at 0x2000, descriptor at
    # 0x1000: control = select(0) | read, then cleared on completion.
    desc = (((0 << 16) | 0x08 | 0x02).to_bytes(4, "big") +
            (4).to_bytes(4, "big") + (0x2000).to_bytes(8, "big"))
    pc.cmd("write 0x1000 16 0x" + desc.hex())
    pc.outl(0x514, 0)
    pc.outl(0x518, int.from_bytes((0x1000).to_bytes(4, "big"), "little"))
    assert pc.cmd("read 0x2000 4") == "OK 0x" + b"QEMU".hex()
    assert pc.cmd("read 0x1000 4") == "OK 0x00000000"


def test_pci_config_space(pc_factory):
    pc = pc_factory()
    # QEMU's i440FX ids: host bridge, ISA bridge (multi-function), PM.
    assert pc.pci_read(0, 0, 0) == 0x12378086
    assert pc.pci_read(1, 0, 0) == 0x70008086
    assert pc.pci_read(1, 3, 0) == 0x71138086
    assert pc.pci_read(1, 0, 0x0e, 1) & 0x80
    assert pc.pci_read(0, 0, 0x08) >> 8 == 0x060000
    # Byte and word accesses at CONFIG_DATA + offset.
    assert pc.pci_read(0, 0, 0x02, 2) == 0x1237
    assert pc.pci_read(0, 0, 0x03, 1) == 0x12
    # Absent functions read as all ones.
    assert pc.pci_read(5, 0, 0) == 0xffffffff
    # Read-only fields ignore writes; the latency timer is writable.
    pc.pci_write(0, 0, 0, 0xdeadbeef)
    assert pc.pci_read(0, 0, 0) == 0x12378086
    pc.pci_write(1, 3, 0x0d, 0x40, 1)
    assert pc.pci_read(1, 3, 0x0d, 1) == 0x40
    # CONFIG_ADDRESS reads back what was written (bits 1:0 clear).
    pc.outl(0xcf8, 0x80000807)
    assert pc.inl(0xcf8) == 0x80000804
    # PIIX3 PIRQ route registers: disabled (0x80) after reset.
    assert pc.pci_read(1, 0, 0x60) == 0x80808080


def test_pam_shadow_ram(pc_factory):
    if not os.path.exists(SEABIOS):
        pytest.skip("Debian's seabios package is not installed")
    pc = pc_factory()
    rom = pc.cmd("read 0xffff0 16")
    # PAM0 = 0: 0xf0000-0xfffff shows the BIOS ROM (its last 64 KiB), the
    # same bytes as at the top of 4 GiB.
    assert rom == pc.cmd("read 0xfffffff0 16") and rom != "OK 0x" + "00" * 16
    # PAM0 = 0x30: read/write DRAM (zero at power-on).
    pc.pci_write(0, 0, 0x59, 0x30, 1)
    assert pc.cmd("read 0xffff0 4") == "OK 0x00000000"
    pc.cmd("writel 0xffff0 0x11223344")
    assert pc.val("readl 0xffff0") == 0x11223344
    # PAM0 = 0x10: reads DRAM, writes are dropped.
    pc.pci_write(0, 0, 0x59, 0x10, 1)
    pc.cmd("writel 0xffff0 0x55667788")
    assert pc.val("readl 0xffff0") == 0x11223344
    # Back to 0: the ROM again.
    pc.pci_write(0, 0, 0x59, 0x00, 1)
    assert pc.cmd("read 0xffff0 16") == rom


def test_hpet(pc_factory):
    pc = pc_factory()
    pc.cmd("irq_intercept_in ioapic")
    base = 0xfed00000
    # Capabilities: 10 ns period, vendor 8086, legacy capable, 64-bit,
    # three timers, revision 1.
    assert pc.val(f"readq {base:#x}") == 0x009896808086a201
    # Stopped counter does not move; enabled it counts 100 per us.
    assert pc.val(f"readq {base + 0xf0:#x}") == 0
    pc.cmd(f"writeq {base + 0x10:#x} 0x3")  # enable, legacy replacement
    pc.step(1_000_000)
    assert pc.val(f"readq {base + 0xf0:#x}") == 100_000
    # Timer 0, one-shot, edge, interrupts on: legacy mode routes it to
    # ISA IRQ 0; it fires when the counter reaches the comparator.
    pc.cmd(f"writeq {base + 0x100:#x} 0x4")
    pc.cmd(f"writeq {base + 0x108:#x} {100_000 + 500}")
    pc.step(4_000)
    assert "IRQ raise 0" not in pc.irqs
    pc.step(2_000)
    assert "IRQ raise 0" in pc.irqs


def test_piix4_pm(pc_factory):
    pc = pc_factory()
    pc.cmd("irq_intercept_in ioapic")
    # Firmware's job: PM I/O base 0x600, enable it (PMREGMISC bit 0).
    pc.pci_write(1, 3, 0x40, 0x601)
    pc.pci_write(1, 3, 0x80, 0x01, 1)
    # PM timer: 24 bits at 3.579545 MHz of virtual time.
    t0 = pc.inl(0x608)
    pc.step(100_000_000)
    assert (pc.inl(0x608) - t0) & 0xffffff == 357954
    # No SMM: ACPI mode (SCI_EN) from reset.
    assert pc.inw(0x604) & 1
    # Timer overflow status with TMR_EN raises SCI (IRQ 9).
    pc.outw(0x602, 0x0001)
    pc.step(5_000_000_000)
    assert pc.inw(0x600) & 1
    assert "IRQ raise 9" in pc.irqs
    pc.outw(0x600, 0x0001)  # write 1 to clear
    assert pc.irqs[-1] == "IRQ lower 9"
    # SLP_TYP 0 + SLP_EN: soft-off ends the process with status 0.
    pc.proc.stdin.write(b"outw 0x604 0x2000\n")
    pc.proc.stdin.flush()
    assert pc.proc.wait(timeout=10) == 0


def test_i8042(pc_factory):
    pc = pc_factory("-no-reboot")
    pc.cmd("irq_intercept_in ioapic")
    # Controller self test answers 0x55 with OBF set.
    pc.outb(0x64, 0xaa)
    assert pc.inb(0x64) & 0x01
    assert pc.inb(0x60) == 0x55
    # Keyboard reset: ACK then BAT OK, each byte raising IRQ 1 (the
    # command byte's keyboard interrupt enable is set at reset).  The
    # line is edge triggered: reading a byte drops it and the next byte
    # raises it again, or a driver that reads one byte per interrupt
    # (Linux's i8042) never hears of the BAT.
    pc.outb(0x60, 0xff)
    assert pc.irqs[-1] == "IRQ raise 1"
    n = len(pc.irqs)
    assert pc.inb(0x60) == 0xfa
    assert pc.irqs[n:] == ["IRQ lower 1", "IRQ raise 1"]
    assert pc.inb(0x60) == 0xaa
    assert pc.irqs[-1] == "IRQ lower 1"
    # Mouse identify through 0xd4: ACK and ID 0, one IRQ 12 edge each.
    n = len(pc.irqs)
    pc.outb(0x64, 0xd4)
    pc.outb(0x60, 0xf2)
    assert pc.inb(0x60) == 0xfa
    assert pc.inb(0x60) == 0x00
    assert pc.irqs[n:] == ["IRQ raise 12", "IRQ lower 12", "IRQ raise 12",
                           "IRQ lower 12"]
    # Pulsing the reset line (0xfe) resets the machine: -no-reboot exits.
    pc.proc.stdin.write(b"outb 0x64 0xfe\n")
    pc.proc.stdin.flush()
    assert pc.proc.wait(timeout=10) == 0


def test_isa_debug_exit(pc_factory):
    pc = pc_factory("-device", "isa-debug-exit,iobase=0xf4,iosize=0x4")
    pc.proc.stdin.write(b"outb 0xf4 0x20\n")
    pc.proc.stdin.flush()
    assert pc.proc.wait(timeout=10) == (0x20 << 1) | 1


def test_acpi_tables_parse_with_iasl(pc_factory, tmp_path, repo_dir):
    """The direct-boot ACPI tables (at 128 MiB - 128 KiB for -m 128)
    disassemble cleanly with ACPICA's iasl, and say what the hardware is."""
    import shutil
    import struct
    import sys
    iasl = shutil.which("iasl")
    if not iasl:
        pytest.skip("iasl (package acpica-tools) is not installed")
    sys.path.insert(0, os.path.join(repo_dir, "tests", "guests"))
    from build import build_guest
    kernel = build_guest("hello", str(tmp_path))
    pc = pc_factory("-smp", "2", "-serial", "null", "-kernel", kernel)
    blob = bytes.fromhex(pc.cmd("read 0x7fe0000 8192").split()[1][2:])
    found = {}
    off = 0
    while off + 8 <= len(blob):
        sig = blob[off:off + 4]
        if sig in (b"DSDT", b"FACP", b"APIC", b"HPET", b"RSDT", b"XSDT"):
            length = struct.unpack("<I", blob[off + 4:off + 8])[0]
            path = tmp_path / (sig.decode().lower() + ".dat")
            path.write_bytes(blob[off:off + length])
            found[sig.decode()] = path
            off += length
        else:
            off += 1
    assert set(found) == {"DSDT", "FACP", "APIC", "HPET", "RSDT", "XSDT"}
    p = subprocess.run([iasl, "-d"] + [str(f) for f in found.values()],
                       capture_output=True, cwd=tmp_path)
    log = p.stdout.decode() + p.stderr.decode()
    assert p.returncode == 0, log
    dsdt = (tmp_path / "dsdt.dsl").read_text()
    assert 'Device (PCI0)' in dsdt and 'EisaId ("PNP0A03")' in dsdt
    assert 'Device (COM1)' in dsdt and 'EisaId ("PNP0501")' in dsdt
    assert 'EisaId ("PNP0103")' in dsdt  # HPET
    assert "Name (\\_S5, Package (0x04)" in dsdt
    facp = (tmp_path / "facp.dsl").read_text()
    assert "PM1A Control Block Address : 00000604" in facp
    assert "SCI Interrupt : 0009" in facp
    apic = (tmp_path / "apic.dsl").read_text()
    assert apic.count("Processor Enabled : 1") == 2
