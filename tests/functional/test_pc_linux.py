"""Debian's Linux 6.1 kernel with a busybox initramfs on the pc machine
under KVM: boots with -smp 2, answers commands over the serial console
and `poweroff -f` ends the process with status 0.

KVM-PVM (nested KVM without VMX/SVM, what these CI machines have) runs
guest kernel code far too slowly for this, so the test needs hardware
KVM: it skips unless /sys/module/kvm_intel or /sys/module/kvm_amd exists.
"""
import os
import subprocess

import pytest

from conftest import linux_guest, need_kvm, quasar_bin

INIT = """#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
echo QUASAR-LINUX-UP
echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
echo "acpi=$(ls /sys/firmware/acpi/tables | tr '\\n' ' ')"
echo "rtc=$(cat /sys/class/rtc/rtc0/name 2>/dev/null)"
echo QUASAR-LINUX-DONE
poweroff -f
"""


def hardware_kvm():
    return any(os.path.exists(f"/sys/module/{m}")
               for m in ("kvm_intel", "kvm_amd"))


def test_linux_boots_and_powers_off(tmp_path):
    need_kvm()
    if not hardware_kvm():
        pytest.skip("needs hardware KVM (/sys/module/kvm_intel or kvm_amd); "
                    "KVM-PVM runs a Linux kernel too slowly")
    binary = quasar_bin("qemu-system-x86_64")
    kernel, initrd = linux_guest(tmp_path, INIT, skip_if_missing=True)
    p = subprocess.run(
        [binary, "-accel", "kvm", "-m", "512", "-smp", "2", "-nographic",
         "-no-reboot", "-kernel", kernel, "-initrd", initrd,
         "-append", "console=ttyS0 panic=-1"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    out = p.stdout.decode(errors="replace")
    print(out[-3000:])
    assert "Linux version 6.1" in out
    assert "QUASAR-LINUX-UP" in out
    assert "cpus=2" in out
    assert "APIC" in out and "FACP" in out
    assert "rtc=rtc_cmos" in out
    assert "QUASAR-LINUX-DONE" in out
    assert p.returncode == 0
