"""HMP, the human monitor, end to end on qemu-system-x86_64 -M none.

On a terminal (pexpect gives the process a pty, as a user's shell would):
`-nographic` puts the monitor on stdio behind a mux, with QEMU's Ctrl-a
keys.  On a unix socket: `-monitor unix:PATH,server=on,wait=off`, as
scripts and libvirt's virsh qemu-monitor-command --hmp use it.
"""
import os
import re
import signal
import socket
import subprocess
import time

import pexpect
import pytest

from conftest import BUILD, REPO, need_kvm, quasar_bin

PROMPT = r"\(qemu\) "


def spawn(*args, timeout=10):
    return pexpect.spawn(quasar_bin("qemu-system-x86_64"), list(args),
                         encoding="latin1", timeout=timeout)


def command(p, line):
    """Sends a line, returns what came back before the next prompt."""
    p.send(line + "\r")
    # The prompt after a line end: redraws while editing print "\r(qemu) ".
    p.expect(r"\n" + PROMPT)
    out = p.before + "\n"
    # Drop the echoed line (up to the first line end).
    return out.split("\n", 1)[1] if "\n" in out else ""


@pytest.fixture
def nographic():
    p = spawn("-M", "none", "-nographic")
    p.expect("QEMU 7.2.0 monitor - type 'help' for more information")
    p.expect(PROMPT)
    yield p
    if p.isalive():
        p.terminate(force=True)


@pytest.fixture
def muxed():
    """A mux on stdio with the monitor on it (`none` has no serial of its
    own under -nographic, as in QEMU, so ask for the mux explicitly)."""
    p = spawn("-M", "none", "-display", "none", "-serial", "mon:stdio")
    p.expect("QEMU 7.2.0 monitor - type 'help' for more information")
    p.expect(PROMPT)
    yield p
    if p.isalive():
        p.terminate(force=True)


def test_nographic_prompt_status_stop_cont_quit(nographic):
    p = nographic
    assert command(p, "info status") == "VM status: running\r\r\n"
    assert command(p, "stop") == ""
    assert command(p, "info status") == "VM status: paused\r\r\n"
    assert command(p, "cont") == ""
    assert command(p, "info status") == "VM status: running\r\r\n"
    assert command(p, "s") == ""  # alias of stop
    assert command(p, "info status") == "VM status: paused\r\r\n"
    assert command(p, "c") == ""  # alias of cont
    assert command(p, "info status") == "VM status: running\r\r\n"
    p.send("quit\r")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0


def test_pasted_lines_run_in_order(nographic):
    """Several lines in one write (a paste) run one after the other."""
    p = nographic
    p.send("stop\rinfo status\rcont\rinfo status\r")
    p.expect("VM status: paused")
    p.expect("VM status: running")
    p.expect(r"\n" + PROMPT)


def test_prelaunch_status():
    p = spawn("-M", "none", "-nographic", "-S")
    p.expect(PROMPT)
    assert command(p, "info status") == "VM status: paused (prelaunch)\r\r\n"
    assert command(p, "cont") == ""
    assert command(p, "info status") == "VM status: running\r\r\n"
    p.send("q\r")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0


def test_unknown_and_malformed_commands_continue(nographic):
    p = nographic
    assert command(p, "foo") == "unknown command: 'foo'\r\r\n"
    assert command(p, "info foo") == "unknown command: 'info foo'\r\r\n"
    assert command(p, "stop now") == (
        "stop|s: extraneous characters at the end of line\r\r\n"
        "Try \"help stop\" for more information\r\r\n")
    assert command(p, "info mtree -z") == (
        "mtree: unsupported option -z\r\r\n"
        "Try \"help info mtree\" for more information\r\r\n")
    assert command(p, 'info "stat') == "unterminated string\r\r\n"
    assert command(p, "") == ""
    assert command(p, "   ") == ""
    assert command(p, "info status") == "VM status: running\r\r\n"


def test_help_and_info_lists(nographic):
    p = nographic
    out = command(p, "help")
    for line in ["cont|c  -- resume emulation",
                 "help|? [cmd] -- show the help",
                 "info [subcommand] -- show various information about the "
                 "system state",
                 "quit|q  -- quit the emulator",
                 "stop|s  -- stop emulation",
                 "system_powerdown  -- send system power down event",
                 "system_reset  -- reset the system"]:
        assert line + "\r\r\n" in out
    assert command(p, "help stop") == "stop|s  -- stop emulation\r\r\n"
    assert command(p, "help info status") == (
        "info status  -- show the current VM status (running|paused)\r\r\n")
    assert command(p, "help nosuch") == "unknown command: 'nosuch'\r\r\n"
    info = command(p, "info")
    for sub in ["chardev", "mtree", "qtree", "status", "version"]:
        assert f"\ninfo {sub} " in "\n" + info
    assert command(p, "help info") == info


def test_info_version_chardev_mtree_qtree(nographic):
    p = nographic
    assert re.fullmatch(r"7\.2\.0 \(Quasar [0-9.]+\)\r\r\n",
                        command(p, "info version"))
    # QEMU's `none` machine has no default serial: the monitor owns stdio.
    assert command(p, "info chardev") == (
        "compat_monitor0: filename=stdio\r\r\n")
    mtree = command(p, "info mtree")
    assert "address-space: memory" in mtree
    assert "address-space: I/O" in mtree
    assert "(prio 0, i/o): system" in mtree
    flat = command(p, "info mtree -f")
    assert flat and flat != mtree
    assert "bus: main-system-bus" in command(p, "info qtree")


def test_line_editing_history_completion(nographic):
    p = nographic
    # Typo fixed with Backspace.
    assert command(p, "info statux\x7fs") == "VM status: running\r\r\n"
    # Left arrow twice, insert, then Enter anywhere in the line.
    assert command(p, "info stus\x1b[D\x1b[Dat") == "VM status: running\r\r\n"
    # Ctrl-u kills the line, Home/End, Delete.
    assert command(p, "garbage\x15info status") == "VM status: running\r\r\n"
    assert command(p, "nfo status\x1b[Hi\x1b[F") == "VM status: running\r\r\n"
    assert command(p, "xinfo version\x1b[H\x1b[3~").startswith("7.2.0")
    # Up arrow recalls the previous command; twice goes further back.
    assert command(p, "\x1b[A").startswith("7.2.0")
    assert command(p, "\x1b[A\x1b[A") == "VM status: running\r\r\n"
    # Tab completes command and info subcommand names.
    assert command(p, "inf\tstat\t") == "VM status: running\r\r\n"
    assert command(p, "sy\tre\t") == ""  # system_reset


def test_mux_keys(muxed):
    p = muxed
    p.send("\x01h")
    for line in ["C-a h    print this help",
                 "C-a x    exit emulator",
                 "C-a s    save disk data back to file (if -snapshot)",
                 "C-a t    toggle console timestamps",
                 "C-a b    send break (magic sysrq)",
                 "C-a c    switch between console and monitor",
                 "C-a C-a  sends C-a"]:
        p.expect_exact(line)
    # Ctrl-a c cycles the mux's front ends; with -M none the monitor is the
    # only one, so it comes straight back to a fresh prompt.
    p.send("\x01c")
    p.expect(PROMPT)
    assert command(p, "info status") == "VM status: running\r\r\n"
    # Ctrl-a s and Ctrl-a b are accepted and swallowed.
    p.send("\x01s\x01b")
    assert command(p, "info status") == "VM status: running\r\r\n"
    # Ctrl-a Ctrl-a sends one Ctrl-a: the line editor's Home key.
    assert command(p, "nfo status\x01\x01i") == "VM status: running\r\r\n"
    p.send("\x01x")
    p.expect_exact("QEMU: Terminated")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0


def test_mux_timestamps(muxed):
    p = muxed
    p.send("\x01t")
    p.send("info status\r")
    p.expect(r"\n\[\d\d:\d\d:\d\d\.\d{3}\] " + PROMPT)
    assert re.search(r"\n\[00:00:\d\d\.\d{3}\] VM status: running\r\r$",
                     p.before), p.before
    p.send("\x01t")
    assert command(p, "info status") == "VM status: running\r\r\n"


def test_serial_mon_stdio_ctrl_c_not_a_signal():
    """mon:stdio sets signal=off: Ctrl-C goes to the guest, not a kill."""
    p = spawn("-M", "none", "-display", "none", "-serial", "mon:stdio")
    p.expect(PROMPT)
    p.send("\x03")
    time.sleep(0.3)
    assert p.isalive()
    assert command(p, "info status") == "VM status: running\r\r\n"
    p.send("\x01x")
    p.expect(pexpect.EOF)


def test_monitor_stdio_without_mux():
    p = spawn("-M", "none", "-display", "none", "-nodefaults",
              "-monitor", "stdio")
    p.expect("QEMU 7.2.0 monitor")
    p.expect(PROMPT)
    assert command(p, "info chardev") == "compat_monitor0: filename=stdio\r\r\n"
    p.send("quit\r")
    p.expect(pexpect.EOF)


def stty_after(args, action):
    """Runs qemu under sh on a pty, applies action, returns `stty -a`."""
    qemu = quasar_bin("qemu-system-x86_64")
    p = pexpect.spawn("/bin/sh", ["-c", f"{qemu} {args}; echo STTY; stty -a"],
                      encoding="latin1", timeout=10)
    p.expect(PROMPT)
    action(p)
    p.expect("STTY")
    p.expect(pexpect.EOF)
    return p.before


def test_terminal_restored_after_quit():
    out = stty_after("-M none -nographic", lambda p: p.send("quit\r"))
    assert " icanon" in out and " echo" in out and " icrnl" in out
    assert "-icanon" not in out and "-echo " not in out


def test_terminal_restored_after_sigterm():
    def kill(p):
        pid = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                             text=True).stdout.split()
        assert pid
        os.kill(int(pid[0]), signal.SIGTERM)

    out = stty_after("-M none -nographic", kill)
    assert " icanon" in out and " echo" in out
    assert "-icanon" not in out


def test_terminal_restored_after_ctrl_a_x():
    out = stty_after("-M none -display none -serial mon:stdio",
                     lambda p: p.send("\x01x"))
    assert " icanon" in out and " echo" in out


def hmp_socket_read_until(sock, marker, timeout=10):
    data = b""
    sock.settimeout(timeout)
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode("latin1")


def test_hmp_on_unix_socket(tmp_path):
    path = str(tmp_path / "hmp.sock")
    proc = subprocess.Popen(
        [quasar_bin("qemu-system-x86_64"), "-M", "none", "-display", "none",
         "-nodefaults", "-monitor", f"unix:{path},server=on,wait=off"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
                break
            except OSError:  # not bound or not listening yet
                s.close()
                time.sleep(0.05)
        out = hmp_socket_read_until(s, b"(qemu) ")
        assert out.startswith("QEMU 7.2.0 monitor - type 'help' for more "
                              "information\r\n")
        s.sendall(b"info status\n")
        out = hmp_socket_read_until(s, b"(qemu) ")
        assert "VM status: running\r\n" in out
        s.sendall(b"stop\ninfo status\n")
        out = hmp_socket_read_until(s, b"paused\r\n(qemu) ")
        assert "VM status: paused\r\n" in out
        s.sendall(b"nonsense\n")
        out = hmp_socket_read_until(s, b"(qemu) ")
        assert "unknown command: 'nonsense'" in out
        # A second client after the first hangs up gets a fresh banner.
        s.close()
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        out = hmp_socket_read_until(s, b"(qemu) ")
        assert "QEMU 7.2.0 monitor" in out
        s.sendall(b"quit\n")
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_nographic_serial_and_monitor_share_stdio():
    """-nographic on a pc machine: the guest's COM1 has the keyboard, the
    monitor's banner waits for Ctrl-a c, and Ctrl-a c goes back and forth
    (QEMU's behaviour), with a real guest echoing what is typed."""
    need_kvm()
    import sys
    sys.path.insert(0, os.path.join(REPO, "tests", "guests"))
    from build import build_guest
    kernel = build_guest("hello", os.path.join(BUILD, "tests-guests"))
    p = spawn("-M", "pc", "-accel", "kvm", "-nographic", "-no-reboot",
              "-device", "isa-debug-exit,iobase=0xf4,iosize=0x4",
              "-kernel", kernel, "-append", "echo", timeout=60)
    p.expect("hello: echo ready")
    assert "QEMU 7.2.0 monitor" not in p.before
    p.send("abc\r")
    p.expect("echo: abc")
    p.send("\x01c")
    p.expect("QEMU 7.2.0 monitor - type 'help' for more information")
    p.expect(PROMPT)
    assert command(p, "info status") == "VM status: running\r\r\n"
    # pc has a serial port: -nographic muxes it with the monitor.
    assert command(p, "info chardev") == (
        "serial0-base: filename=stdio\r\r\nserial0: filename=mux\r\r\n")
    # What is typed now goes to the monitor, not the guest.
    assert command(p, "foo") == "unknown command: 'foo'\r\r\n"
    p.send("\x01c")
    p.send("def\r")
    p.expect("echo: def")
    assert "unknown command" not in p.before
    p.send("quit\r")
    p.expect("echo: quit")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0x41  # isa-debug-exit: the guest passed


def test_format_glued_to_command_name():
    """QEMU's HMP ends a command name at '/': `xp/2b 0` is `xp /2b 0`."""
    exe = quasar_bin("qemu-system-x86_64")
    p = subprocess.run([exe, "-M", "none", "-m", "16M", "-display", "none",
                        "-monitor", "stdio"],
                       input="xp/2b 0\nxp /2b 0\nquit\n", capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 0
    assert p.stdout.count("0000000000000000: 0x00 0x00") == 2, p.stdout
    assert "unknown command" not in p.stdout
