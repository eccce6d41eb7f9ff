"""The pc machine under KVM, driven by the small guests in tests/guests/.

Each guest is a multiboot kernel built here with the host gcc; it prints
over COM1 and ends through isa-debug-exit (status 0x41 = pass, 0x43 =
fail) or, for the ACPI and triple-fault guests, by power-off / reset
with -no-reboot (status 0).  The same guests also run under Debian's
qemu-system-x86_64 as a reference when it is installed, which proves the
guests themselves.  The checks shared with test_pc_tcg.py are in
pcguests.py.
"""
import datetime
import re
import subprocess

import pytest

import pcguests
from conftest import need_kvm, quasar_bin
from pcguests import (  # noqa: F401 (the shared tests, collected here)
    PASS, test_fw_cfg, test_guest_reset_reboots,
    test_guest_reset_with_no_reboot_exits, test_hello_multiboot,
    test_multiboot_aout_kludge_and_modules, test_pci_enumeration,
    test_serial_echo)


@pytest.fixture(params=["quasar", "reference"])
def emulator(request):
    return pcguests.emulator(request.param, "kvm")


def test_cmos_date_matches_host(emulator):
    before = datetime.datetime.now(datetime.timezone.utc)
    rc, out = emulator.run("cmos")
    after = datetime.datetime.now(datetime.timezone.utc)
    m = re.search(r"cmos: date (\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)", out)
    assert m, out
    guest = datetime.datetime(*map(int, m.groups()),
                              tzinfo=datetime.timezone.utc)
    slack = datetime.timedelta(seconds=3)
    assert before - slack <= guest <= after + slack
    # 128 MiB: 64 MiB-1 KiB of extended memory is capped at 0xffff KiB,
    # and (128 - 16) MiB above 16 MiB in 64 KiB units.
    assert "cmos: ext-mem 65535 KiB, mem-above-16M 1792 x 64 KiB" in out
    assert rc == PASS


def test_pit_and_lapic_timer_rates(emulator):
    rc, pit, lapic = pcguests.timer_rates(emulator, timeout=90)
    # 100 Hz over two RTC seconds.  KVM drops LAPIC periodic ticks that
    # come due while the vCPU thread is descheduled (Debian's QEMU shows
    # 170-200 on this shared host too), hence the wider lower bound.
    assert 180 <= pit <= 220
    assert 150 <= lapic <= 220
    assert rc == PASS


@pytest.mark.parametrize("cpus", [4, 8])
def test_smp_aps_report_in(emulator, cpus):
    pcguests.check_smp(emulator, cpus, timeout=90)


def test_acpi_tables_and_poweroff(emulator):
    out = pcguests.check_acpi(emulator)
    assert "acpi: MADT ioapic 0 at fec00000 gsi 0" in out
    assert "acpi: MADT override irq 0 -> gsi 2" in out
    assert "acpi: HPET at fed00000" in out
    m = re.search(r"acpi: pm timer advanced (\d+) ticks in 100 ms", out)
    assert m and 340000 < int(m.group(1)) < 700000


def test_linux_boot_protocol(tmp_path):
    """-kernel bzImage: boot_params, command line, initrd and e820 as the
    32-bit boot protocol hands them over (Quasar only: QEMU enters the
    real-mode setup code through its firmware, which this guest lacks)."""
    quasar = pcguests.emulator("quasar", "kvm")
    initrd = tmp_path / "initrd.img"
    initrd.write_bytes(b"INITRD-MARKER" + bytes(70000))
    rc, out = quasar.run("linux", ["-m", "256", "-initrd", str(initrd),
                                   "-append", "console=ttyS0 x=1"],
                         linux=True)
    assert "linux: boot_params at 10000, CS 10 DS 18" in out
    assert "loader b0" in out
    assert "linux: cmdline 'console=ttyS0 x=1'" in out
    assert re.search(r"linux: initrd at \w+, 70013 bytes, 'INITRD-MARKER", out)
    assert "linux: initrd is inside e820 RAM" in out
    assert "linux: e820 0000000000100000 " in out
    assert "linux: acpi_rsdp_addr f5a00" in out
    assert rc == PASS


def test_bad_kernel_is_an_error(tmp_path):
    need_kvm()
    binary = quasar_bin("qemu-system-x86_64")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(4096))
    p = subprocess.run([binary, "-accel", "kvm", "-display", "none",
                        "-kernel", str(junk)], capture_output=True, timeout=30)
    assert p.returncode == 1
    assert b"not a Linux bzImage nor a multiboot kernel" in p.stderr


@pytest.mark.parametrize("args,message", [
    (["-cpu", "bogus"], b"unable to find CPU model 'bogus'"),
    (["-M", "pc,kernel-irqchip=split"], b"kernel-irqchip=split"),
    (["-smp", "300"], b"The max CPUs supported by machine"),
    (["-bios", "/nonexistent.bin"], b"could not load PC BIOS"),
])
def test_configuration_errors(args, message):
    need_kvm()
    binary = quasar_bin("qemu-system-x86_64")
    p = subprocess.run([binary, "-accel", "kvm", "-display", "none"] + args,
                       capture_output=True, timeout=30)
    assert p.returncode == 1
    assert message in p.stderr


def test_seabios_boots_to_no_bootable_device(tmp_path):
    """No -kernel: the default firmware (Debian's SeaBIOS bios-256k.bin)
    runs from the reset vector, finds fw_cfg, the PCI devices and the CPUs,
    and, with no disk, reports that nothing is bootable."""
    need_kvm()
    out = pcguests.check_seabios("kvm", tmp_path, timeout=60)
    assert "QEMU fw_cfg DMA interface supported" in out
    assert "PCI: init bdf=00:01.3 id=8086:7113" in out
    # SeaBIOS installed the machine's ACPI tables from etc/table-loader.
    assert "table(50434146)=" in out and "(via xsdt)" in out
    assert "ACPI: parse DSDT" in out


def test_rtc_base_option(emulator):
    rc, out = emulator.run("cmos", ["-rtc", "base=2006-06-17T16:01:21"])
    assert re.search(r"cmos: date 2006-06-17 16:01:2\d", out)
    assert rc == PASS


def test_i8042_probe(emulator):
    out = pcguests.check_i8042(emulator)
    assert "kbd: aux loopback 5a" in out
    assert "kbd: keyboard id fa ab 41" in out
    assert "kbd: mouse reset fa aa 0" in out
    assert "kbd: mouse id fa 0" in out


@pytest.mark.parametrize("model", ["qemu64", "kvm64", "host", "max"])
def test_cpuid_models_match_qemu(model):
    """The CPU identity a guest reads (vendor, signature, brand, leaf
    ranges, hypervisor signature) is the one Debian's QEMU gives for the
    same -cpu model.  Feature words are not compared: KVM-PVM passes some
    host bits through whatever the VMM sets."""
    quasar = pcguests.emulator("quasar", "kvm")
    reference = pcguests.emulator("reference", "kvm")

    def identity(emu):
        rc, out = emu.run("cpuid", ["-cpu", model])
        assert rc == PASS
        return [ln for ln in out.splitlines()
                if ln.startswith("cpuid:") and "ecx" not in ln]
    ours = identity(quasar)
    assert any("vendor" in ln for ln in ours)
    assert ours == identity(reference)


def test_edu_pci_device(emulator):
    """QEMU's educational PCI device: BAR mapping, registers, INTx through
    the PIIX3 PIRQ routing, MSI to the local APIC, bus-master DMA."""
    out = pcguests.check_edu(emulator)
    assert re.search(r"edu: slot \d+ BAR0 \w+ class ff00\n", out)
    assert re.search(r"edu: INTA -> PIRQ[A-D] -> IRQ 1[01]\n", out)