"""The x86 processor modes under TCG: tests/guests/modes (modes.c, modes.S).

One multiboot guest goes back to real mode (16-bit arithmetic, 16-bit
addressing with 64 KiB wrap, string instructions, far calls, INT through
the IVT, BCD), then 32-bit protected mode (segments with bases and limits,
LSL/LAR/VERR/VERW, a call gate), a 16-bit code segment in protected mode
on a 32-bit stack, CPL 3 (IRET/RETF in, INT back on the TSS
stack, the I/O permission bitmap, #GP for CLI/HLT/a denied port, a call
gate from CPL 3, IOPL 3), virtual-8086 mode (IOPL-sensitive insns, the
I/O bitmap), single-step (TF, MOV SS), then IA-32e mode (64-bit code, a
compatibility-mode segment, SYSCALL/SYSRET) and back, printing its results
per stage.

Oracles: the lines Debian's qemu-system-x86_64 -accel tcg prints (kept
below, and compared live when it is installed), and KVM for the cases the
KVM of these machines (KVM-PVM) can run.  KVM-PVM cannot emulate ENTER
with a nesting level, the BCD instructions, LSL/LAR/VERR/VERW, call gates,
32-bit IRET/RETF to CPL 3 or vm86, nor enable paging from 32-bit
protected mode,
so those stages are skipped there ("skip=" on the guest command line).
"""
import os
import subprocess

import pytest

import pcguests
from conftest import REPO, linux_guest, need_kvm, quasar_bin
from pcguests import PASS, REFERENCE

KVM_SKIP = "skip=enter1,bcd,desc,gate,ring3,vm86,tf,long"

# What Debian's QEMU 7.2 (TCG) prints for the guest with no skips.  The
# guest stores values relative to its own labels, so these only change
# when modes.S/modes.c change (then regenerate them with REFERENCE).
EXPECTED = [
    "modes: real16  0: 00007f9d 00009d4e 00005d4d 00000000 366176f8 0b00ea4e 0000008e 00000006",
    "modes: real16  8: 0000fad6 d6fa0000 9abcdefd 0000beef 00004321 00005aa5 00001357 00009d02",
    "modes: real16 16: 00000020 00000220 0000fffe 000002fe 0000000f 00000011 00000013 0000020d",
    "modes: real16 24: 00007777 00008888 00001a10 00000006 00000506 00004332 00002000 00000005",
    "modes: real16 32: 00002001 0000fff5 00001234 0000ffee 00002002 00000056 00000002 00003333",
    "modes: real16 40: 0000ffe2 0000ffec 00000000 00001234 00005678 00000065 00004583 00000063",
    "modes: real16 48: 00002000 00000003 00000107 00000909",
    "modes: real16 sum=88091ed5",
    "modes: pm32  0: 00000000 00000028 cafef00d 00000000 00000030 22cbca05 77c24dee 00000110",
    "modes: pm32  8: 00000fff 00409300 0010ec00 00000000 00000001 00000000 00000001 0000002d",
    "modes: pm32 16: 00000000 00000008 0000007f 00000001 000007ff 00000011 00000000",
    "modes: pm32 sum=b197e5f0",
    "modes: pm16  0: 00000002 00000018 00007e57 00008776 00000008 00000000 00000000 00000020",
    "modes: pm16 sum=7115c2e1",
    "modes: ring3  0: 00000040 00000081 00000000 00000000 0000006b 00000000 0000001c 00100073",
    "modes: ring3  8: 0000006b 00000073 00000000 00000081 0000005a 0000000d 00000000 00000000",
    "modes: ring3 16: 0000006b 00000044 0000001c 00100073 0000000d 00000000 00000000 0000006b",
    "modes: ring3 24: 00000044 0000001c 00100073 0000000d 00000000 00000000 0000006b 00000044",
    "modes: ring3 32: 0000001c 00100073 00000081 0000002d 00000018 006b0010 00000001 00000081",
    "modes: ring3 40: 00003000",
    "modes: ring3 sum=346bb1a9",
    "modes: vm86  0: 00000081 00000000 00000000 00002000 00023004 3000fff0 00002000 00006789",
    "modes: vm86  8: 00002001 0000fff5 00004000 00003000 0000000d 00000000 00000000 00002000",
    "modes: vm86 16: 00020000 3000fff0 0000000d 00000000 00000000 00002000 00020000 3000fff0",
    "modes: vm86 24: 0000000d 00000000 00000000 00002000 00020000 3000fff0 000000a5 0000000d",
    "modes: vm86 32: 00000000 00000000 00002000 00020000 3000fff0",
    "modes: vm86 sum=6fdb3a1b",
    "modes: tf  0: 00000007 00000001 00000006 00000008 0000000b 0000000c 00000013 00000014",
    "modes: tf sum=f0dced7d",
    "modes: long  0: 00000501 00000000 e5618cf0 2236d88f ad77d742 0121fa00 e4f9a146 f07c16eb",
    "modes: long  8: 00000005 00000000 e4f9a144 f07c16eb 1390e481 00000000 00003400 89abcdef",
    "modes: long 16: 01234567 00000008 00000006 0000007b 00000073 0000002b 00000017 00000002",
    "modes: long 24: 00000058 00000060",
    "modes: long sum=8fdb3362",
    "modes: done",
]


def run_modes(binary, accel="tcg", append=None, timeout=60):
    """Boots the modes guest; returns (exit status, its "modes:" lines)."""
    rc, out = pcguests.Emulator(binary, accel).run(
        "modes", ["-append", append] if append else [], timeout=timeout)
    return rc, [ln for ln in out.splitlines() if ln.startswith("modes:")]


def test_modes_under_tcg():
    """Every stage prints what Debian's QEMU prints, and the guest passes."""
    rc, lines = run_modes(quasar_bin("qemu-system-x86_64"))
    assert lines == EXPECTED
    assert rc == PASS


def test_modes_same_as_debian_qemu():
    """The same guest under Debian's qemu-system-x86_64 -accel tcg."""
    if not os.path.exists(REFERENCE):
        pytest.skip("Debian's qemu-system-x86_64 is not installed")
    rc_q, lines_q = run_modes(quasar_bin("qemu-system-x86_64"))
    rc_r, lines_r = run_modes(REFERENCE)
    assert rc_r == PASS and rc_q == PASS
    assert lines_q == lines_r


def test_modes_same_as_kvm():
    """The cases KVM-PVM runs print the same lines under KVM and TCG."""
    need_kvm()
    binary = quasar_bin("qemu-system-x86_64")
    rc_k, lines_k = run_modes(binary, "kvm", KVM_SKIP)
    rc_t, lines_t = run_modes(binary, "tcg", KVM_SKIP)
    assert rc_k == PASS and rc_t == PASS
    assert any(ln.startswith("modes: real16 sum=") for ln in lines_k)
    assert any(ln.startswith("modes: pm32 sum=") for ln in lines_k)
    assert lines_k == lines_t


COMPAT_INIT = """#!/bin/sh
mount -t proc proc /proc
echo QUASAR-COMPAT-UP
/bin/modes-compat32
echo "compat32-rc=$?"
poweroff -f
"""


@pytest.mark.parametrize("cpu", ["qemu64", "max"])
def test_linux_runs_32bit_programs(tmp_path, cpu):
    """Debian's kernel runs a 32-bit program in compatibility mode: INT 0x80
    and the vDSO's SYSCALL/SYSENTER; its output is the native one."""
    prog = tmp_path / "modes-compat32"
    subprocess.run(["gcc", "-m32", "-static", "-nostdlib", "-ffreestanding",
                    "-O2", "-fno-pie", "-no-pie", "-fno-stack-protector",
                    "-o", str(prog),
                    os.path.join(REPO, "tests", "guests", "modes-compat32.c")],
                   check=True)
    expected = "compat32: fnv=d6513d95 pid=y vdso=y vpid=y"
    try:
        native = subprocess.run([str(prog)], capture_output=True, timeout=30)
        assert native.stdout.decode().strip() == expected
    except OSError:
        pass  # the host kernel cannot run 32-bit programs
    kernel, initrd = linux_guest(tmp_path, COMPAT_INIT, [prog])
    p = subprocess.run(
        [quasar_bin("qemu-system-x86_64"), "-accel", "tcg", "-m", "512",
         "-cpu", cpu, "-display", "none", "-serial", "stdio", "-no-reboot",
         "-kernel", kernel, "-initrd", initrd,
         "-append", "console=ttyS0 quiet panic=-1"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    out = p.stdout.decode(errors="replace").replace("\r\n", "\n")
    print(out[-3000:])
    assert "QUASAR-COMPAT-UP" in out
    assert expected in out.splitlines()
    assert "compat32-rc=0" in out
    assert p.returncode == 0


UX_INIT = """#!/bin/sh
mount -t proc proc /proc
mount -t tmpfs tmp /tmp
echo UX-UP
for p in {progs}; do
    /bin/ux-$p > /tmp/o.$p 2>&1
    echo "UX $p rc=$? $(md5sum < /tmp/o.$p | cut -c1-32)"
done
echo UX-DONE
poweroff -f
"""


def test_user_programs_in_linux_guest(tmp_path):
    """The instruction-family programs of tests/guests/user-x86 (flags,
    bit ops, strings, atomics on 2 CPUs, x87, SSE, MMX, BMI, signals,
    faults, self-modifying code, NX) run in Debian's kernel under TCG
    (-cpu max -smp 2): 64-bit user code through the softmmu, with the
    kernel's page faults and signals.  Each program's exit status and the
    md5 of its output are the native ones."""
    import hashlib
    from test_user_x86 import GUEST_PROGRAMS
    names = sorted(os.path.splitext(n)[0] for n in GUEST_PROGRAMS)
    exes, expected = [], []
    for name in names:
        flags = GUEST_PROGRAMS[name + ".c"]
        exe = tmp_path / ("ux-" + name)
        subprocess.run(["gcc", "-static", "-g"] +
                       [f for f in flags if not f.startswith("-l")] +
                       ["-o", str(exe),
                        os.path.join(REPO, "tests", "guests", "user-x86",
                                     name + ".c")] +
                       [f for f in flags if f.startswith("-l")], check=True)
        exes.append(str(exe))
        out = tmp_path / ("o." + name)
        # the guest's shell (busybox sh) also reports a crash into the file
        rc = subprocess.run(["/bin/busybox", "sh", "-c",
                             f"{exe} > {out} 2>&1; exit $?"], timeout=120,
                            cwd=tmp_path).returncode
        md5 = hashlib.md5(out.read_bytes()).hexdigest()
        expected.append(f"UX {name} rc={rc} {md5}")
    kernel, initrd = linux_guest(tmp_path,
                                 UX_INIT.format(progs=" ".join(names)), exes)
    p = subprocess.run(
        [quasar_bin("qemu-system-x86_64"), "-accel", "tcg", "-cpu", "max",
         "-m", "512", "-smp", "2", "-display", "none", "-serial", "stdio",
         "-no-reboot", "-kernel", kernel, "-initrd", initrd,
         "-append", "console=ttyS0 quiet panic=-1"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=900)
    out = p.stdout.decode(errors="replace").replace("\r\n", "\n")
    print(out[-4000:])
    got = [ln for ln in out.splitlines() if ln.startswith("UX ")]
    assert got == expected
    assert "UX-DONE" in out
    assert p.returncode == 0


def test_x87_undocumented_aliases(tmp_path):
    """qemu-x86_64 executes the x87 aliases (FCOM2, FXCH4, FSTP8...) and
    rejects their undefined neighbours exactly as the host CPU does."""
    prog = tmp_path / "x87alias"
    subprocess.run(["gcc", "-O1", "-o", str(prog),
                    os.path.join(REPO, "tests", "guests",
                                 "modes-x87alias.c")], check=True)
    native = subprocess.run([str(prog)], capture_output=True, timeout=60)
    emu = subprocess.run([quasar_bin("linux-user/qemu-x86_64"), str(prog)],
                         capture_output=True, timeout=60)
    assert b"dc d0 ok" in native.stdout
    assert emu.stdout == native.stdout
    assert emu.returncode == native.returncode == 0


FUZZ_INIT = """#!/bin/sh
mount -t proc proc /proc
echo FUZZ-UP
/bin/modes-fuzz {cases} 1
dmesg | grep -E 'BUG|WARNING|Oops|Call Trace' | sed 's/^/dmesg-bad: /'
echo FUZZ-END
poweroff -f
"""


def test_random_user_code_in_linux_guest(tmp_path):
    """Pseudo-random machine code at CPL 3 (64-bit and compatibility mode,
    tests/guests/modes-fuzz.c) under Debian's kernel on TCG: every case
    ends (signal, exit or alarm), the emulator and the kernel survive."""
    prog = tmp_path / "modes-fuzz"
    subprocess.run(["gcc", "-O2", "-static", "-o", str(prog),
                    os.path.join(REPO, "tests", "guests", "modes-fuzz.c")],
                   check=True)
    kernel, initrd = linux_guest(tmp_path, FUZZ_INIT.format(cases=400),
                                 [prog])
    p = subprocess.run(
        [quasar_bin("qemu-system-x86_64"), "-accel", "tcg", "-m", "512",
         "-display", "none", "-serial", "stdio", "-no-reboot",
         "-kernel", kernel, "-initrd", initrd,
         "-append", "console=ttyS0 quiet panic=-1"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=900)
    out = p.stdout.decode(errors="replace").replace("\r\n", "\n")
    print(out[-3000:])
    assert "fuzz: 400 cases" in out
    assert "fuzz: done" in out
    assert "dmesg-bad" not in out
    assert "FUZZ-END" in out
    assert p.returncode == 0
