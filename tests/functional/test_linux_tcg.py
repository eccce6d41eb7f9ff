"""Debian's Linux 6.1 kernel with a busybox initramfs on the pc machine
under TCG (the default accelerator), -smp 2 -m 512, with the default
qemu64 CPU and with -cpu max.

The guest's /init prints the kernel release, the CPU count, MemTotal, the
sha256 of a file it generates (compared with the host's), the checksum of
bench/cpu-work (compared with the native run), any dmesg line about an
unstable TSC, BUG or WARNING, and powers off: the process must exit 0.
It also waits (up to 5 s) for atkbd to bind the 8042's keyboard and
checks that poweroff is quick in guest time: from a /dev/kmsg mark to the
kernel's "reboot: Power down".  device_shutdown() first waits for every
probe in flight, so a PS/2 probe stuck on a lost IRQ 1 edge (each reply
byte needs its own edge) stalled poweroff for seconds to minutes.
"""
import hashlib
import os
import re
import subprocess

import pytest

from conftest import BUILD, REPO, linux_guest, quasar_bin

INIT = """#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
echo QUASAR-LINUX-UP
echo "release=$(uname -r)"
echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
echo "mem=$(grep MemTotal /proc/meminfo | tr -s ' ')"
i=0; while [ $i -lt 4096 ]; do echo "line $i of the quasar test file"; i=$((i+1)); done > /tmp/f
echo "sha=$(sha256sum /tmp/f | cut -d' ' -f1)"
echo "work=$(/bin/cpu-work 1)"
dmesg | grep -E 'TSC unstable|unstable TSC|BUG|WARNING|Call Trace' | sed 's/^/dmesg-bad: /'
i=0; until dmesg | grep -q 'input: AT .* keyboard'; do
    i=$((i+1)); [ $i -gt 50 ] && break; sleep 0.1; done
dmesg | grep -q 'input: AT .* keyboard' && echo kbd=bound
echo QUASAR-LINUX-DONE
mount -t devtmpfs dev /dev
echo QUASAR-POWEROFF > /dev/kmsg
poweroff -f
"""

FILE = "".join(f"line {i} of the quasar test file\n" for i in range(4096))


def cpu_work(tmp_path):
    """bench/cpu-work built static, and its native output at scale 1."""
    work = tmp_path / "cpu-work"
    subprocess.run(["gcc", "-O2", "-static", "-o", str(work),
                    os.path.join(REPO, "bench", "cpu-work.c"), "-lm"],
                   check=True)
    native = subprocess.run([str(work), "1"], capture_output=True,
                            check=True).stdout.decode().strip()
    return work, native


def prepare(tmp_path):
    work, native = cpu_work(tmp_path)
    _, initrd = linux_guest(tmp_path, INIT, [work])
    return initrd, native


@pytest.mark.parametrize("cpu", ["qemu64", "max"])
def test_linux_boots_under_tcg(tmp_path, cpu):
    initrd, native = prepare(tmp_path)
    binary = quasar_bin("qemu-system-x86_64")
    p = subprocess.run(
        [binary, "-m", "512", "-smp", "2", "-cpu", cpu, "-nographic",
         "-no-reboot", "-kernel", os.path.join(BUILD, "guests", "vmlinuz"),
         "-initrd", str(initrd), "-append", "console=ttyS0 panic=-1"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    out = p.stdout.decode(errors="replace")
    print(out[-4000:])
    release = open(os.path.join(BUILD, "guests", "kernel-release")).read()
    assert "QUASAR-LINUX-UP" in out
    assert f"release={release.strip()}" in out
    assert "cpus=2" in out
    mem = re.search(r"mem=MemTotal: (\d+) kB", out)
    assert mem and 400000 < int(mem.group(1)) < 524288
    assert "sha=" + hashlib.sha256(FILE.encode()).hexdigest() in out
    assert "work=" + native in out
    assert "dmesg-bad" not in out
    assert "kbd=bound" in out
    assert "QUASAR-LINUX-DONE" in out
    mark = re.search(r"\[\s*(\d+\.\d+)\] QUASAR-POWEROFF", out)
    down = re.search(r"\[\s*(\d+\.\d+)\] reboot: Power down", out)
    assert mark and down
    assert float(down.group(1)) - float(mark.group(1)) < 2.0
    assert p.returncode == 0
