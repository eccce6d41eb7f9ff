"""qemu-system-x86_64 command line: help, version, machine list, and the
one-line errors for bad options (exit status 1)."""
import os
import signal
import subprocess
import time

import pytest
from conftest import quasar_bin


def run(*args, timeout=20):
    exe = quasar_bin("qemu-system-x86_64")
    return subprocess.run([exe, *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def one_line_error(p, expected):
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("qemu-system-x86_64: "), lines[0]
    assert expected in lines[0], lines[0]
    return lines[0]


def test_version():
    p = run("-version")
    assert p.returncode == 0
    # libvirt and scripts parse this first line.
    assert p.stdout.startswith("QEMU emulator version 7.2.0 (Quasar ")


def test_help_lists_options():
    p = run("-h")
    assert p.returncode == 0
    for opt in ("-machine", "-m [size=]megs", "-smp", "-nographic",
                "-chardev", "-qmp", "-device", "-kernel", "-no-reboot"):
        assert opt in p.stdout


def test_machine_help():
    p = run("-M", "help")
    assert p.returncode == 0
    assert p.stdout.startswith("Supported machines are:\n")
    assert any(l.split()[:2] == ["none", "empty"]
               for l in p.stdout.splitlines())


def test_bad_ram_size():
    line = one_line_error(run("-M", "none", "-m", "banana"),
                          "-m banana: Parameter 'size' expects")


def test_unknown_device():
    one_line_error(run("-M", "none", "-device", "nosuchdevice"),
                   "nosuchdevice")


def test_unknown_option():
    one_line_error(run("-frobnicate"), "-frobnicate: invalid option")


def test_missing_argument():
    one_line_error(run("-m"), "-m: requires an argument")


def test_unknown_machine():
    p = run("-M", "nosuchmachine")
    assert p.returncode == 1
    assert 'unsupported machine type: "nosuchmachine"' in p.stderr


def test_smp_errors():
    one_line_error(run("-M", "none", "-smp", "4"),
                   "Invalid SMP CPUs 4. The max CPUs supported by machine "
                   "'none' is 1")
    one_line_error(run("-M", "none", "-smp", "cpus=x"),
                   "Parameter 'cpus' expects a number")
    one_line_error(run("-M", "none", "-smp", "2,sockets=1,cores=1"),
                   "Invalid CPU topology")


def test_log_items():
    p = run("-d", "help")
    assert p.returncode == 0
    assert "guest_errors" in p.stdout and "in_asm" in p.stdout
    one_line_error(run("-M", "none", "-d", "bogus"), "unknown log item 'bogus'")


def test_unsupported_option_is_refused():
    one_line_error(run("-M", "none", "-vnc", ":0"), "-vnc :0:")


def test_machine_property_unknown():
    one_line_error(run("-M", "none,frob=1"), "frob")


def test_append_without_kernel():
    one_line_error(run("-M", "none", "-append", "x"),
                   "-append only allowed with -kernel option")


def test_sigterm_quits_cleanly(tmp_path):
    exe = quasar_bin("qemu-system-x86_64")
    p = subprocess.Popen([exe, "-M", "none", "-display", "none",
                          "-monitor", "none"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(0.5)
    assert p.poll() is None
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=10)
    assert p.returncode == 0
    assert "terminating on signal 15" in err


def test_pidfile_and_lock(tmp_path):
    exe = quasar_bin("qemu-system-x86_64")
    pidfile = tmp_path / "q.pid"
    p = subprocess.Popen([exe, "-M", "none", "-display", "none",
                          "-monitor", "none", "-pidfile", str(pidfile)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.05)
        assert pidfile.read_text().strip() == str(p.pid)
        # A second instance with the same pidfile is refused.
        second = run("-M", "none", "-display", "none", "-monitor", "none",
                     "-pidfile", str(pidfile))
        one_line_error(second, "cannot create PID file")
    finally:
        p.terminate()
        p.communicate(timeout=10)
    assert not pidfile.exists()


def test_daemonize(tmp_path):
    pidfile = tmp_path / "d.pid"
    p = run("-M", "none", "-display", "none", "-monitor", "none",
            "-daemonize", "-pidfile", str(pidfile))
    assert p.returncode == 0, p.stderr
    pid = int(pidfile.read_text())
    os.kill(pid, 0)  # the daemon is alive
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("daemon did not exit on SIGTERM")


def test_daemonize_failure_reports(tmp_path):
    one_line_error(run("-M", "none", "-daemonize", "-nographic"),
                   "-nographic cannot be used with -daemonize")


def hmp_lines(args, commands):
    """Runs HMP commands on a stdio monitor; returns the whole output."""
    exe = quasar_bin("qemu-system-x86_64")
    script = "".join(c + "\n" for c in commands) + "quit\n"
    p = subprocess.run([exe, *args, "-display", "none", "-monitor", "stdio"],
                       input=script, capture_output=True, text=True,
                       timeout=20)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_name_shows_in_monitor():
    out = hmp_lines(["-M", "none", "-name", "guest=vm1,debug-threads=on"],
                    ["info name"])
    assert "\nvm1\r" in out or "\nvm1\n" in out
    out = hmp_lines(["-M", "none"], ["info name"])
    assert "vm1" not in out


def test_start_paused_then_cont():
    out = hmp_lines(["-M", "none", "-S"],
                    ["info status", "cont", "info status"])
    assert "VM status: paused (prelaunch)" in out
    assert out.index("paused (prelaunch)") < out.index("VM status: running")


def test_machine_type_and_accel_keys():
    out = hmp_lines(["-machine", "type=none,accel=qtest"], ["info status"])
    assert "VM status: running" in out
    one_line_error(run("-machine", "type=none,accel=nosuch"),
                   "invalid accelerator nosuch")


@pytest.mark.parametrize("arg, message", [
    ("tcg,foo=1", "-accel tcg,foo=1: Property 'tcg-accel.foo' not found"),
    ("tcg,thread=bogus", "-accel tcg: Invalid 'thread' setting bogus"),
    ("tcg,tb-size=huge", "Parameter 'tb-size' expects a size in MiB"),
    ("kvm,bogus=on", "Property 'kvm-accel.bogus' not found"),
])
def test_accel_property_errors(arg, message):
    one_line_error(run("-M", "none", "-display", "none", "-accel", arg),
                   message)


def test_accel_tcg_properties_run_a_guest():
    """thread=multi|single and tb-size=N (MiB) are accepted; a 1 MiB code
    buffer only means more flushes: the hello guest still passes."""
    from pcguests import GUEST_DIR, PASS, build_guest
    kernel = build_guest("hello", GUEST_DIR)
    for props in ("thread=multi,tb-size=64", "thread=single,tb-size=1"):
        p = run("-accel", "tcg," + props, "-display", "none", "-serial",
                "stdio", "-no-reboot", "-device",
                "isa-debug-exit,iobase=0xf4,iosize=0x4", "-kernel", kernel,
                timeout=120)
        assert "Hello from the Quasar test guest" in p.stdout, (props,
                                                                p.stderr)
        assert p.returncode == PASS, (props, p.returncode)


@pytest.mark.parametrize("aio, message", [
    ("bogus", "invalid aio option"),
    ("native", "aio=native was specified, but it requires cache.direct=on, "
               "which was not specified."),
])
def test_drive_aio_errors(tmp_path, aio, message):
    img = tmp_path / "d.img"
    img.write_bytes(b"\0" * 65536)
    one_line_error(run("-M", "pc", "-accel", "qtest", "-display", "none",
                       "-drive", f"file={img},format=raw,aio={aio}"),
                   f"-drive file={img},format=raw,aio={aio}: {message}")
