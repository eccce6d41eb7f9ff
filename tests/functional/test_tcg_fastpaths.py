"""Paths of system-mode TCG that exist only for speed, checked against
the architectural result (accel/tcg/STATUS-perf.md).

- REP MOVS/STOS through host pointers a page run at a time
  (target/x86/int_helper.c str_fast): the repstr guest compares every
  case with an element-by-element copy, and reports the #PF state of
  faulting runs; the same lines under Debian's QEMU (KVM-PVM, the KVM
  here, refuses 32-bit paging, so no KVM run).
- The inline jump-cache probe for indirect jumps (TCGCPUOps.tb_key_inline):
  Linux boots and runs user programs with QUASAR_DEBUG_TB_KEY=1, which
  checks on every indirect jump that the TB flags and pc are what the
  probe assumes (and aborts otherwise).
"""
import os
import subprocess

import pytest

import pcguests
from conftest import linux_guest, quasar_bin
from pcguests import PASS
from test_linux_tcg import cpu_work

REPSTR_LINES = [
    "movsb fwd ok", "movsb fwd overlap+1 ok", "movsb fwd overlap+5 ok",
    "movsb fwd overlap-3 ok", "movsw fwd straddle ok",
    "movsl fwd overlap-4 ok", "movsl fwd overlap+2 ok", "movsl fwd long ok",
    "movsb fwd long ok", "movsb back ok", "movsb back overlap-3 ok",
    "movsb back overlap+3 ok", "movsw back straddle ok",
    "movsl back overlap+8 ok", "movsl back overlap-2 ok", "stosb fwd ok",
    "stosw fwd straddle ok", "stosl fwd ok", "stosl back straddle ok",
    "stosb back ok",
    "#PF dst vector=14 error=2 cr2=ok regs=ok bytes=ok",
    "#PF src vector=14 error=0 cr2=ok regs=ok bytes=ok",
    "#PF src+dst src first vector=14 error=0 cr2=ok regs=ok bytes=ok",
    "#PF dst down vector=14 error=2 cr2=ok regs=ok bytes=ok",
    "#PF read-only vector=14 error=3 cr2=ok regs=ok bytes=ok",
    "smc function ok", "smc next insn ok", "all ok",
]


def check_repstr(emulator):
    rc, out = emulator.run("repstr")
    got = [ln[len("repstr: "):] for ln in out.splitlines()
           if ln.startswith("repstr: ") and not ln.startswith("repstr:  ")]
    assert got == ["paging on"] + REPSTR_LINES, out
    assert rc == PASS


@pytest.mark.parametrize("which", ["quasar", "reference"])
def test_rep_string_tcg(which):
    check_repstr(pcguests.emulator(which, "tcg"))


def test_linux_indirect_jump_key_checked(tmp_path):
    """Debian's kernel boots under TCG, -smp 2, and runs a program full of
    indirect calls and returns (bench/cpu-work: qsort, a switch
    interpreter) with the inline probe's promise checked at every
    indirect jump."""
    work, native = cpu_work(tmp_path)
    kernel, initrd = linux_guest(tmp_path, "#!/bin/sh\nmount -t proc proc "
                                 "/proc\n/bin/cpu-work 1\npoweroff -f\n",
                                 [work])
    p = subprocess.run(
        [quasar_bin("qemu-system-x86_64"), "-accel", "tcg", "-m", "512",
         "-smp", "2", "-display", "none", "-serial", "stdio", "-no-reboot",
         "-kernel", kernel, "-initrd", initrd,
         "-append", "console=ttyS0 quiet panic=-1"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=900,
        env=dict(os.environ, QUASAR_DEBUG_TB_KEY="1"))
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    assert "tb_key_inline broken" not in err, err[-2000:]
    assert p.returncode == 0, err[-2000:]
    assert native in out, out[-2000:]
