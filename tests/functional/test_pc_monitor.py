"""Monitor commands on a live pc machine under KVM (HMP through
human-monitor-command and QMP on a unix socket): info pci / query-pci,
info cpus / query-cpus-fast, info registers, x / xp, stop / cont,
system_reset, system_powerdown, -no-shutdown."""
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import BUILD, REPO, need_kvm, quasar_bin

sys.path.insert(0, os.path.join(REPO, "tests", "guests"))
from build import build_guest  # noqa: E402

GUEST_DIR = os.path.join(BUILD, "tests-guests")


class Machine:
    """A Quasar process with serial on stdout and QMP on a socket."""

    def __init__(self, tmp_path, guest, args=()):
        need_kvm()
        binary = quasar_bin("qemu-system-x86_64")
        self.sock_path = str(tmp_path / "qmp.sock")
        kernel = build_guest(guest, GUEST_DIR)
        self.proc = subprocess.Popen(
            [binary, "-accel", "kvm", "-display", "none", "-serial", "stdio",
             "-monitor", "none", "-qmp",
             f"unix:{self.sock_path},server=on,wait=off", "-kernel", kernel]
            + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.events = []
        for _ in range(100):
            if os.path.exists(self.sock_path):
                break
            time.sleep(0.05)
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.sock_path)
        self.sock.settimeout(30)
        self.f = self.sock.makefile("rw")
        assert "QMP" in json.loads(self.f.readline())
        assert self.cmd("qmp_capabilities") == {}

    def _read(self):
        for line in iter(self.proc.stdout.readline, b""):
            with self.lock:
                self.out += line

    def output(self):
        with self.lock:
            return self.out.decode(errors="replace").replace("\r\n", "\n")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "event" in r:
                self.events.append(r["event"])
                continue
            assert "return" in r, r
            return r["return"]

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})

    def wait_output(self, text, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if text in self.output():
                return True
            time.sleep(0.05)
        return False

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.sock.close()


@pytest.fixture
def machine(tmp_path):
    made = []

    def start(guest, args=()):
        m = Machine(tmp_path, guest, args)
        made.append(m)
        return m
    yield start
    for m in made:
        m.close()


def test_info_commands_before_start(machine):
    """-S: the reset state is visible, nothing has run yet."""
    m = machine("hello", ["-S", "-smp", "2", "-append", "x"])
    assert m.cmd("query-status")["status"] == "prelaunch"
    pci = m.hmp("info pci")
    assert "Host bridge: PCI device 8086:1237" in pci
    assert "ISA bridge: PCI device 8086:7000" in pci
    assert "Bridge: PCI device 8086:7113" in pci
    assert "IRQ 9, pin A" in pci
    cpus = m.hmp("info cpus")
    assert "* CPU #0: thread_id=" in cpus and "  CPU #1: thread_id=" in cpus
    regs = m.hmp("info registers")
    # The multiboot entry state loaded at reset.
    assert "EAX=2badb002 EBX=00009000" in regs
    assert "CS =0010 00000000 ffffffff 00c09b00" in regs
    assert "CR0=00000011" in regs
    regs1 = m.hmp("info registers 1")
    assert "CPU#1" in regs1 and "CS =f000 ffff0000 0000ffff 00009b00" in regs1
    # The multiboot info flags (mem, boot device, cmdline, mods, mmap,
    # loader name) through physical and (paging off) virtual reads.
    assert "0000000000009000: 0x0000024f" in m.hmp("xp /1xw 0x9000")
    assert "0000000000009000: 0x0000024f" in m.hmp("x /1xw 0x9000")
    # memsave / pmemsave: the multiboot info structure at 0x9000.
    dump = os.path.join(os.path.dirname(m.sock_path), "mbi.bin")
    assert m.cmd("pmemsave", val=0x9000, size=16, filename=dump) == {}
    with open(dump, "rb") as f:
        assert f.read()[:4] == bytes.fromhex("4f020000")
    assert m.cmd("memsave", val=0x9000, size=8, filename=dump,
                 **{"cpu-index": 0}) == {}
    assert os.path.getsize(dump) == 8
    pic = m.hmp("info pic")
    assert "pic0: irr=00 imr=00 isr=00" in pic and "pic1: " in pic
    assert "ioapic0: ver=0x11" in pic and "  pin 23 " in pic
    assert m.hmp("info irq").startswith("IRQ statistics")
    m.cmd("cont")
    assert m.wait_output("Hello from the Quasar test guest")


def test_qmp_queries(machine):
    m = machine("tick", ["-S", "-smp", "2"])
    cpus = m.cmd("query-cpus-fast")
    assert [c["cpu-index"] for c in cpus] == [0, 1]
    assert all(c["target"] == "x86_64" for c in cpus)
    tids = {c["thread-id"] for c in cpus}
    assert len(tids) == 2 and 0 not in tids
    devs = m.cmd("query-pci")[0]["devices"]
    ids = {(d["slot"], d["function"]): (d["id"]["vendor"], d["id"]["device"])
           for d in devs}
    assert ids[(0, 0)] == (0x8086, 0x1237)
    assert ids[(1, 0)] == (0x8086, 0x7000)
    assert ids[(1, 3)] == (0x8086, 0x7113)


def test_stop_cont_reset_powerdown(machine):
    m = machine("tick", ["-append", "powerbutton"])
    assert m.wait_output("tick 3")
    m.cmd("stop")
    assert m.cmd("query-status") == {"status": "paused", "singlestep": False,
                                     "running": False}
    time.sleep(0.3)
    frozen = m.output()
    time.sleep(0.5)
    assert m.output() == frozen, "the guest ran while stopped"
    regs = m.hmp("info registers")
    assert "EIP=001" in regs  # in the guest's code at 1 MiB
    m.cmd("cont")
    assert m.cmd("query-status")["status"] == "running"
    n = len(frozen)
    end = time.time() + 10
    while len(m.output()) == n and time.time() < end:
        time.sleep(0.05)
    assert len(m.output()) > n, "the guest did not resume"
    m.cmd("system_reset")
    end = time.time() + 10
    while m.output().count("tick: start") < 2 and time.time() < end:
        time.sleep(0.05)
    assert m.output().count("tick: start") == 2
    assert m.output().count("tick: power button armed") == 2 or \
        m.wait_output("tick: power button armed")
    time.sleep(0.3)
    m.cmd("system_powerdown")
    assert m.proc.wait(timeout=30) == 0
    assert "tick: power button pressed, powering off" in m.output()
    assert {"STOP", "RESUME", "RESET"} <= set(m.events)


def test_no_shutdown_pauses(machine):
    m = machine("acpi", ["-no-shutdown"])
    assert m.wait_output("acpi: SCI_EN 1, powering off")
    end = time.time() + 10
    while m.cmd("query-status")["status"] != "shutdown" and \
            time.time() < end:
        time.sleep(0.05)
    assert m.cmd("query-status")["status"] == "shutdown"
    assert m.proc.poll() is None
    m.cmd("quit")
    assert m.proc.wait(timeout=10) == 0
