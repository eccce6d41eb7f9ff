"""`make run` (scripts/run.sh): Debian's kernel + the busybox initramfs on
the terminal, an interactive root shell, Ctrl-a c for the monitor and
Ctrl-a x to quit — driven through a pseudo-terminal as a user would."""
import os

import pexpect

from conftest import BUILD, REPO


def test_make_run_opens_a_shell_and_ctrl_a_x_quits():
    env = dict(os.environ, QUASAR_BUILD=BUILD)
    child = pexpect.spawn(os.path.join(REPO, "scripts", "run.sh"), env=env,
                          timeout=300, encoding="utf-8", codec_errors="replace")
    try:
        child.expect("Quasar guest: Linux 6.1")
        child.expect("# ")
        child.sendline("echo sum=$((6*7)); id -u")
        child.expect("sum=42")
        child.expect("0")
        # Ctrl-a c: the monitor, then back to the console.
        child.send("\x01c")
        child.expect(r"\(qemu\)")
        child.sendline("info status")
        child.expect("VM status: running")
        child.send("\x01c")
        child.sendline("echo back-in-the-shell")
        child.expect("back-in-the-shell")
        # Ctrl-a x quits.
        child.send("\x01x")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
