"""`-device help`, `-device NAME,help` and the one-line errors of -device,
in QEMU's formats (checked against Debian's qemu-system-x86_64 where it
has the same device)."""
import re
import shutil
import subprocess

import pytest
from conftest import quasar_bin

CATEGORIES = ["Controller/Bridge/Hub", "USB", "Storage", "Network", "Input",
              "Display", "Sound", "Misc", "CPU", "Watchdog", "Uncategorized"]
LINE = re.compile(r'^name "([^"]+)"(, bus [^ ,]+)?(, desc "[^"]*")?$')


def run(*args, exe=None):
    exe = exe or quasar_bin("qemu-system-x86_64")
    return subprocess.run([exe, *args], capture_output=True, text=True,
                          timeout=20, stdin=subprocess.DEVNULL)


def one_line_error(p, option, message):
    """One line "qemu-system-x86_64: -OPTION ...: MESSAGE", exit status 1."""
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f"qemu-system-x86_64: -{option} "), lines[0]
    assert lines[0].endswith(f": {message}"), lines[0]
    assert p.stdout == ""


def device_list():
    """{category: [(name, line)]} from `-device help`."""
    p = run("-device", "help")
    assert p.returncode == 0, p.stderr
    groups, cat = {}, None
    for line in p.stdout.splitlines():
        if not line:
            cat = None
            continue
        if line.endswith(" devices:"):
            assert cat is None, "category header without a blank line before"
            cat = line[:-len(" devices:")]
            assert cat in CATEGORIES, line
            assert cat not in groups, f"{cat} listed twice"
            groups[cat] = []
            continue
        m = LINE.match(line)
        assert m and cat, f"bad line {line!r}"
        groups[cat].append((m.group(1), line))
    return groups, p.stdout


def test_device_help_format():
    groups, out = device_list()
    # Categories in QEMU's order, each sorted by name (case-insensitive).
    order = [CATEGORIES.index(c) for c in groups]
    assert order == sorted(order)
    for cat, devs in groups.items():
        names = [n for n, _ in devs]
        assert names, f"empty category {cat}"
        assert names == sorted(names, key=str.lower)
    assert not out.startswith("\n")
    assert "\n\n\n" not in out


def test_device_help_matches_qemu_names():
    """Devices both have are listed in the same category with the same bus."""
    ref = shutil.which("qemu-system-x86_64")
    ours, _ = device_list()
    if not ours:
        pytest.skip("no user-creatable devices registered yet")
    if not ref or ref == quasar_bin("qemu-system-x86_64"):
        pytest.skip("Debian's qemu-system-x86_64 is not installed")
    p = run("-device", "help", exe=ref)
    ref_cat = {}
    cat = None
    for line in p.stdout.splitlines():
        if line.endswith(" devices:"):
            cat = line[:-len(" devices:")]
        elif line.startswith("name "):
            m = LINE.match(line)
            if m:
                ref_cat.setdefault(m.group(1), set()).add(
                    (cat, m.group(2)))
    common = 0
    for cat, devs in ours.items():
        for name, line in devs:
            if name in ref_cat:
                common += 1
                bus = LINE.match(line).group(2)
                assert (cat, bus) in ref_cat[name], (name, cat, bus)
    if not common:
        pytest.skip("no device in common with QEMU yet")


def test_device_props_help_every_device():
    groups, _ = device_list()
    names = [n for devs in groups.values() for n, _ in devs]
    if not names:
        pytest.skip("no user-creatable devices registered yet")
    prop = re.compile(r"^  [^ =]+=<[^>]+>( +- .*)?$")
    for name in names:
        p = run("-device", f"{name},help")
        assert p.returncode == 0, (name, p.stderr)
        lines = p.stdout.splitlines()
        if lines == [f"There are no options for {name}."]:
            continue
        assert lines[0] == f"{name} options:", (name, lines)
        props = [l.split("=", 1)[0].strip() for l in lines[1:]]
        assert props == sorted(props), name
        for l in lines[1:]:
            assert prop.match(l), (name, l)


def test_unknown_device():
    one_line_error(run("-M", "none", "-nodefaults", "-device", "nosuchdevice"),
                   "device", "'nosuchdevice' is not a valid device model name")


def test_unknown_device_help():
    one_line_error(run("-device", "nosuchdevice,help"),
                   "device", "Device 'nosuchdevice' not found")


def test_device_without_driver():
    one_line_error(run("-M", "none", "-nodefaults", "-device", "id=x"),
                   "device", "Parameter 'driver' is missing")


def test_abstract_device():
    one_line_error(run("-M", "none", "-nodefaults", "-device",
                       "sys-bus-device"),
                   "device",
                   "Parameter 'driver' expects a non-abstract device type")


def test_bad_global():
    one_line_error(run("-M", "none", "-nodefaults", "-global",
                       "driver=x,property=y"),
                   "global",
                   "options 'driver', 'property', and 'value' are required")
