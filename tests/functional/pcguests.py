"""The small multiboot guests of tests/guests/ on the pc machine: how to
boot them, and the checks that are the same under every accelerator.

test_pc_kvm.py and test_pc_tcg.py (and test_x86_modes.py) run these
guests with -accel kvm and -accel tcg.  Each defines an `emulator`
fixture, an Emulator (a binary and an accelerator) for Quasar and for
Debian's qemu-system-x86_64 as the reference:

    @pytest.fixture(params=["quasar", "reference"])
    def emulator(request):
        return pcguests.emulator(request.param, "tcg")

and imports the shared test_* functions below by name, so that pytest
collects them in that module (test_pc_tcg.py::test_hello_multiboot) with
that module's `emulator`.  A check that differs between the accelerators
stays in its module; the helpers here run the guest and make the common
part of it.

Each guest prints over COM1 and ends through isa-debug-exit (status PASS
= 0x41; 0x43 is a failure) or, for the ACPI and triple-fault guests, by
power-off / reset with -no-reboot (status 0).
"""
import os
import re
import subprocess
import sys
import threading
import time

import pytest

from conftest import BUILD, REPO, need_kvm, quasar_bin

sys.path.insert(0, os.path.join(REPO, "tests", "guests"))
from build import build_guest  # noqa: E402

PASS = (0x20 << 1) | 1
GUEST_DIR = os.path.join(BUILD, "tests-guests")
REFERENCE = "/usr/bin/qemu-system-x86_64"
# How long a guest may run by default (KVM guests are quick to finish).
TIMEOUT = {"kvm": 60, "tcg": 90}


class Emulator:
    """A qemu-system-x86_64 binary and the accelerator to run it with."""

    def __init__(self, binary, accel):
        self.binary = binary
        self.accel = accel

    def __repr__(self):
        return f"Emulator({self.binary!r}, {self.accel!r})"

    def start(self, kernel, args=(), exit_device=True, **popen):
        """Starts `kernel` with COM1 on stdout; exit_device adds
        isa-debug-exit and -no-reboot."""
        cmd = [self.binary, "-accel", self.accel, "-display", "none",
               "-serial", "stdio"]
        if exit_device:
            cmd += ["-no-reboot", "-device",
                    "isa-debug-exit,iobase=0xf4,iosize=0x4"]
        cmd += ["-kernel", kernel] + list(args)
        print(" ".join(cmd))
        return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **popen)

    def run(self, guest, args=(), timeout=None, aout=False, send=None,
            linux=False):
        """Boots a guest to its end; returns (exit status, COM1 output).
        send=(marker, bytes) types bytes once marker shows."""
        timeout = timeout or TIMEOUT[self.accel]
        kernel = build_guest(guest, GUEST_DIR, aout=aout, linux=linux)
        p = self.start(kernel, args, stdin=subprocess.PIPE)
        watchdog = threading.Timer(timeout, p.kill)
        watchdog.start()
        try:
            if send:
                seen = b""
                while send[0] not in seen:
                    line = p.stdout.readline()
                    if not line:
                        break
                    seen += line
                p.stdin.write(send[1])
                p.stdin.flush()
                rest, err = p.communicate(timeout=timeout)
                raw = seen + rest
            else:
                raw, err = p.communicate(timeout=timeout)
        finally:
            watchdog.cancel()
            if p.poll() is None:
                p.kill()
                p.wait()
        out = raw.decode(errors="replace").replace("\r\n", "\n")
        print(out)
        print(err.decode(errors="replace")[-4000:])
        return p.returncode, out

    def read_until(self, guest, done, timeout=60):
        """Boots a guest that does not end by itself (no isa-debug-exit,
        no -no-reboot), reads COM1 until done(output so far) or EOF, and
        kills it; returns the output (bytes)."""
        kernel = build_guest(guest, GUEST_DIR)
        p = self.start(kernel, exit_device=False)
        seen = b""
        watchdog = threading.Timer(timeout, p.kill)
        watchdog.start()
        try:
            while not done(seen):
                line = p.stdout.readline()
                if not line:
                    break
                seen += line
        finally:
            watchdog.cancel()
            p.kill()
            p.wait()
        print(seen.decode(errors="replace"))
        return seen


def emulator(which, accel):
    """Quasar ("quasar") or Debian's QEMU ("reference") under accel;
    skips when that cannot run here."""
    if accel == "kvm":
        need_kvm()
    if which == "reference":
        if not os.path.exists(REFERENCE):
            pytest.skip("Debian's qemu-system-x86_64 is not installed")
        return Emulator(REFERENCE, accel)
    return Emulator(quasar_bin("qemu-system-x86_64"), accel)


# ---- tests that are the same under KVM and TCG ----

def test_hello_multiboot(emulator):
    rc, out = emulator.run("hello", ["-append", "arg1 arg2"])
    assert "hello: multiboot magic 2badb002" in out
    assert re.search(r"hello: cmdline '\S*hello.elf arg1 arg2'", out)
    assert re.search(r"mmap 0000000000100000 len \w+ type 1", out)
    assert "Hello from the Quasar test guest" in out
    assert rc == PASS


def test_multiboot_aout_kludge_and_modules(emulator, tmp_path):
    a = tmp_path / "mod-a.txt"
    b = tmp_path / "mod-b.txt"
    a.write_text("first module\n")
    b.write_text("second module\n")
    rc, out = emulator.run("hello", ["-initrd", f"{a} x=1,{b}"], aout=True)
    assert "hello: 2 modules" in out
    assert f"hello: module 0 '{a} x=1' 13 bytes 'first module'" in out
    assert f"hello: module 1 '{b}' 14 bytes 'second module'" in out
    assert rc == PASS


def test_serial_echo(emulator):
    rc, out = emulator.run("hello", ["-append", "echo"],
                           send=(b"echo ready", b"hello world\nquit\n"))
    assert "echo: hello world" in out
    assert "echo: quit" in out
    assert rc == PASS


def test_pci_enumeration(emulator):
    rc, out = emulator.run("pci")
    assert "pci: 00:00.0 8086:1237 class 060000" in out
    assert "pci: 00:01.0 8086:7000 class 060100" in out
    assert "pci: 00:01.3 8086:7113 class 068000" in out
    assert "pci: vendor via 16-bit read 8086, device byte 37" in out
    assert rc == PASS


def test_fw_cfg(emulator):
    rc, out = emulator.run("fwcfg", ["-m", "256", "-smp", "2"])
    assert "fwcfg: signature 'QEMU'" in out
    assert "ram 10000000 cpus 2" in out
    assert re.search(r"fwcfg: file \w+ \d+ 'etc/e820'", out)
    assert "fwcfg: dma signature 'QEMU CFG'" in out
    assert "fwcfg: dma directory matches" in out
    assert rc == PASS


@pytest.mark.parametrize("method,line", [
    ("triple", "triple: loading an empty IDT and faulting"),
    ("kbd", "triple: resetting through the 8042"),
    ("cf9", "triple: resetting through port 0xcf9"),
])
def test_guest_reset_with_no_reboot_exits(emulator, method, line):
    rc, out = emulator.run("triple", ["-append", method])
    assert line in out
    assert "still alive" not in out
    assert rc == 0


def test_guest_reset_reboots(emulator):
    """Without -no-reboot a triple fault resets and the kernel runs again."""
    seen = emulator.read_until("triple",
                               lambda s: s.count(b"faulting") >= 3)
    assert seen.count(b"triple: loading an empty IDT and faulting") >= 3


# ---- the common part of checks that differ ----

def timer_rates(emulator, timeout):
    """The timer guest: (exit status, PIT ticks, LAPIC ticks) in two RTC
    seconds at 100 Hz."""
    rc, out = emulator.run("timer", timeout=timeout)
    pit = int(re.search(r"timer: pit (\d+) ticks in 2 s", out).group(1))
    lapic = int(re.search(r"timer: lapic (\d+) ticks in 2 s", out).group(1))
    return rc, pit, lapic


def check_smp(emulator, cpus, timeout):
    """-smp cpus: the MADT lists them and every AP reports in."""
    rc, out = emulator.run("smp", ["-smp", str(cpus)], timeout=timeout)
    assert f"smp: MADT lists {cpus} CPUs" in out
    ids = set(re.findall(r"smp: AP \d+ up, APIC id (\d+)", out))
    assert ids == {str(i) for i in range(1, cpus)}
    assert f"smp: {cpus - 1} of {cpus - 1} APs reported in" in out
    assert rc == PASS


def check_acpi(emulator):
    """The ACPI tables check out and S5 powers off; returns the output."""
    rc, out = emulator.run("acpi", ["-smp", "2"])
    for sig in ("RSDT", "FACP", "APIC", "DSDT"):
        assert re.search(rf"acpi: {sig} at \w+ len \d+ rev \d+ checksum ok",
                         out), sig
    assert "BAD CHECKSUM" not in out
    assert "acpi: MADT cpu 1 apic 1 flags 1" in out
    assert "acpi: SCI_EN 1, powering off" in out
    assert "still running" not in out
    assert rc == 0
    return out


def check_i8042(emulator):
    """The 8042 self test, keyboard and mouse IDs, one byte per IRQ
    (edge-triggered: each queued byte raises an edge); returns the
    output."""
    rc, out = emulator.run("kbd")
    assert "kbd: self test 55" in out
    assert "kbd: keyboard reset fa aa" in out
    assert "kbd: irq keyboard id fa ab 41 (3 interrupts)" in out
    assert "kbd: irq mouse id fa 0 (2 interrupts)" in out
    assert rc == PASS
    return out


def check_edu(emulator):
    """QEMU's educational PCI device (-device edu): registers, INTx, MSI
    and DMA; returns the output."""
    rc, out = emulator.run("edu", ["-device", "edu"])
    assert "edu: id 10000ed" in out
    assert "edu: 10! = 3628800" in out
    assert "edu: INTx interrupts 1, status 1234" in out
    assert "edu: MSI interrupts 1, status 42" in out
    assert "edu: DMA round trip matches, completion status 100" in out
    assert rc == PASS
    return out


def check_seabios(accel, tmp_path, timeout):
    """No -kernel: Quasar runs Debian's SeaBIOS (bios-256k.bin) from the
    reset vector with -smp 2 and no disk until it reports that nothing is
    bootable; returns its debug console (port 0x402) log."""
    binary = quasar_bin("qemu-system-x86_64")
    if not os.path.exists("/usr/share/seabios/bios-256k.bin"):
        pytest.skip("Debian's seabios package is not installed")
    log = tmp_path / "seabios.log"
    p = subprocess.Popen([binary, "-accel", accel, "-display", "none",
                          "-smp", "2", "-serial", "null",
                          "-chardev", f"file,id=dbg,path={log}",
                          "-device", "isa-debugcon,iobase=0x402,chardev=dbg"])
    try:
        end = time.time() + timeout
        while time.time() < end:
            if log.exists() and b"No bootable device." in log.read_bytes():
                break
            time.sleep(0.2)
    finally:
        p.kill()
        p.wait()
    out = log.read_text(errors="replace")
    print(out)
    assert "SeaBIOS (version" in out
    assert "Found QEMU fw_cfg" in out
    assert "Found 2 cpu(s)" in out
    assert "No bootable device." in out
    return out
