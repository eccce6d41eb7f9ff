"""The qtest protocol (TESTING.md, QEMU's reply formats) against the RAM of
the `none` machine (-m 16M maps it at 0) and the unassigned I/O space, on
stdio and on unix sockets (QEMU connecting as a client, as libqtest runs
it, and as a server)."""
import base64
import os
import select
import socket
import subprocess
import tempfile
import time

import pytest
from conftest import quasar_bin

RAM = 16 << 20


class QTest:
    """One qemu-system-x86_64 -accel qtest process and its command channel."""

    def __init__(self, spec="stdio", extra=(), sock=None):
        exe = quasar_bin("qemu-system-x86_64")
        args = [exe, "-M", "none", "-m", "16M", "-accel", "qtest",
                "-qtest", spec, "-qtest-log", "/dev/null", "-nodefaults",
                *extra]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.buf = b""
        if sock is None:
            self.rfd = self.proc.stdout.fileno()
            self.send = lambda data: (self.proc.stdin.write(data),
                                      self.proc.stdin.flush())
        else:
            self.rfd = sock.fileno()
            self.send = sock.sendall
        self.sock = sock

    def readline(self, timeout=10):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None and not \
                    select.select([self.rfd], [], [], 0)[0]:
                err = self.proc.stderr.read() if self.proc.poll() is not \
                    None else b""
                raise AssertionError(f"no reply (exit {self.proc.poll()}): "
                                     f"{err.decode(errors='replace')}")
            ready, _, _ = select.select([self.rfd], [], [], left)
            if ready:
                chunk = os.read(self.rfd, 65536)
                if not chunk:
                    raise AssertionError("qtest channel closed")
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def cmd(self, line):
        self.send(line.encode() + b"\n")
        while True:
            reply = self.readline()
            if not reply.startswith("IRQ "):  # asynchronous events
                return reply

    def close(self):
        if self.sock:
            self.sock.close()
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def qt():
    q = QTest()
    yield q
    q.close()


def test_sized_reads_and_writes(qt):
    assert qt.cmd("writeb 0x1000 0xab") == "OK"
    assert qt.cmd("readb 0x1000") == "OK 0x00000000000000ab"
    assert qt.cmd("writew 0x1010 0xbeef") == "OK"
    assert qt.cmd("readw 0x1010") == "OK 0x000000000000beef"
    assert qt.cmd("writel 0x1020 0x12345678") == "OK"
    assert qt.cmd("readl 0x1020") == "OK 0x0000000012345678"
    assert qt.cmd("writeq 0x1030 0x1122334455667788") == "OK"
    assert qt.cmd("readq 0x1030") == "OK 0x1122334455667788"
    # Guest memory is little-endian: the low byte comes first.
    assert qt.cmd("readb 0x1030") == "OK 0x0000000000000088"
    assert qt.cmd("readw 0x1036") == "OK 0x0000000000001122"


def test_read_write_hex_and_memset(qt):
    assert qt.cmd("write 0x2000 4 0xdeadbeef") == "OK"
    assert qt.cmd("read 0x2000 4") == "OK 0xdeadbeef"
    assert qt.cmd("readl 0x2000") == "OK 0x00000000efbeadde"
    assert qt.cmd("memset 0x2100 16 0x5a") == "OK"
    assert qt.cmd("read 0x20ff 18") == "OK 0x00" + "5a" * 16 + "00"
    # Fresh RAM reads as zero; the top of RAM is reachable.
    assert qt.cmd(f"read {RAM - 4:#x} 4") == "OK 0x00000000"
    assert qt.cmd(f"writel {RAM - 4:#x} 0x01020304") == "OK"
    assert qt.cmd(f"read {RAM - 4:#x} 4") == "OK 0x04030201"


def test_base64(qt):
    data = bytes(range(256)) * 4
    enc = base64.b64encode(data).decode()
    assert qt.cmd(f"b64write 0x3000 {len(data)} {enc}") == "OK"
    assert qt.cmd(f"b64read 0x3000 {len(data)}") == f"OK {enc}"
    assert qt.cmd("read 0x30fe 4") == "OK 0xfeff0001"


def test_unmapped_reads_all_ones(qt):
    # Past the 16 MiB of RAM nothing is mapped.
    assert qt.cmd(f"readl {RAM:#x}") == "OK 0x00000000ffffffff"
    assert qt.cmd(f"read {RAM - 2:#x} 4") == "OK 0x0000ffff"
    assert qt.cmd(f"writel {RAM:#x} 0") == "OK"
    assert qt.cmd(f"readq {RAM:#x}") == "OK 0xffffffffffffffff"
    # No device on the port: the PC bus floats high.
    assert qt.cmd("inb 0x80") == "OK 0x00ff"
    assert qt.cmd("inw 0x80") == "OK 0xffff"
    assert qt.cmd("outb 0x80 0x12") == "OK"
    assert qt.cmd("inl 0x80") == "OK 0xffffffff"


def test_clock(qt):
    reply = qt.cmd("clock_step 1000")
    assert reply.startswith("OK ")
    t0 = int(reply.split()[1])
    assert qt.cmd("clock_step 1000") == f"OK {t0 + 1000}"
    # Nothing runs the clock but the test (manual virtual clock).
    time.sleep(0.05)
    assert qt.cmd("clock_step 0") == f"OK {t0 + 1000}"
    assert qt.cmd(f"clock_set {t0 + 5000}") == f"OK {t0 + 5000}"
    # clock_set never goes back.
    assert qt.cmd("clock_set 1") == f"OK {t0 + 5000}"
    # No timer pending: clock_step alone leaves the clock where it is.
    assert qt.cmd("clock_step") == f"OK {t0 + 5000}"


def test_bad_commands_keep_session(qt):
    assert qt.cmd("foo bar") == "FAIL Unknown command 'foo'"
    assert qt.cmd("readb") .startswith("FAIL")
    assert qt.cmd("readb banana").startswith("FAIL")
    assert qt.cmd("write 0x10 2 0xzz").startswith("FAIL")
    assert qt.cmd("irq_intercept_in /machine/nosuch") == \
        "FAIL Unknown device"
    assert qt.cmd("endianness") == "OK little"
    assert qt.cmd("writeb 0x10 0x77") == "OK"
    assert qt.cmd("readb 0x10") == "OK 0x0000000000000077"
    assert qt.proc.poll() is None


def test_unix_client():
    """QEMU connects to the test's socket, as libqtest runs it."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "qtest.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        q = QTest(spec=f"unix:{path}", sock=None)
        try:
            srv.settimeout(10)
            conn, _ = srv.accept()
            q.sock = conn
            q.rfd = conn.fileno()
            q.send = conn.sendall
            assert q.cmd("writel 0x100 0xcafe") == "OK"
            assert q.cmd("readl 0x100") == "OK 0x000000000000cafe"
            assert q.cmd("nope") == "FAIL Unknown command 'nope'"
        finally:
            q.close()
            srv.close()


def test_unix_server():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "qtest.sock")
        q = QTest(spec=f"unix:{path},server=on,wait=off")
        try:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            for _ in range(100):
                try:
                    conn.connect(path)
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    time.sleep(0.05)
            else:
                raise AssertionError("qtest socket never appeared")
            q.sock = conn
            q.rfd = conn.fileno()
            q.send = conn.sendall
            assert q.cmd("endianness") == "OK little"
            assert q.cmd("memset 0x40 2 0xff") == "OK"
            assert q.cmd("readw 0x40") == "OK 0x000000000000ffff"
        finally:
            q.close()
