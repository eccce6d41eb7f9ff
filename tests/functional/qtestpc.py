"""The pc machine under the test protocol (-M pc -accel qtest -qtest
stdio), for device tests that program registers as a driver would.

    def test_x(pc_factory):             # the fixture is in tests/conftest.py
        m = pc_factory("-smp", "2")     # extra command-line arguments
        m.outb(0x70, 0x0a)
        assert m.inb(0x71) & 0x80 == 0

PC(extra) starts one machine (close() kills it); the pc_factory fixture
makes any number of them and closes them after the test.  No CPU runs
and /dev/kvm is not needed.  The lines "irq_intercept_in/out" report
("IRQ raise N", "IRQ lower N") collect in PC.irqs.
"""
import os
import select
import subprocess
import time

from conftest import quasar_bin


class PC:
    def __init__(self, extra=()):
        exe = quasar_bin("qemu-system-x86_64")
        self.proc = subprocess.Popen(
            [exe, "-M", "pc", "-accel", "qtest", "-qtest", "stdio",
             "-qtest-log", "/dev/null", "-display", "none"] + list(extra),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.buf = b""
        self.irqs = []

    def _line(self, timeout=10):
        fd = self.proc.stdout.fileno()
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            r, _, _ = select.select([fd], [], [], max(left, 0))
            if not r:
                raise AssertionError("no reply from qtest")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError("qtest closed: " +
                                     self.proc.stderr.read().decode())
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def cmd(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        while True:
            r = self._line()
            if r.startswith("IRQ "):
                self.irqs.append(r)
                continue
            assert r.startswith("OK"), f"{line}: {r}"
            return r

    def val(self, line):
        return int(self.cmd(line).split()[1], 16)

    def outb(self, port, v):
        self.cmd(f"outb {port:#x} {v:#x}")

    def outw(self, port, v):
        self.cmd(f"outw {port:#x} {v:#x}")

    def outl(self, port, v):
        self.cmd(f"outl {port:#x} {v:#x}")

    def inb(self, port):
        return self.val(f"inb {port:#x}")

    def inw(self, port):
        return self.val(f"inw {port:#x}")

    def inl(self, port):
        return self.val(f"inl {port:#x}")

    def pci_read(self, dev, fn, reg, size=4):
        self.outl(0xcf8, 0x80000000 | (dev << 11) | (fn << 8) | (reg & 0xfc))
        port = 0xcfc + (reg & 3)
        return {1: self.inb, 2: self.inw, 4: self.inl}[size](port)

    def pci_write(self, dev, fn, reg, v, size=4):
        self.outl(0xcf8, 0x80000000 | (dev << 11) | (fn << 8) | (reg & 0xfc))
        port = 0xcfc + (reg & 3)
        {1: self.outb, 2: self.outw, 4: self.outl}[size](port, v)

    def step(self, ns):
        self.cmd(f"clock_step {ns}")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)

