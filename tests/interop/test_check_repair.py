"""qemu-img check [-r leaks|all] on damaged qcow2 images: Quasar prints
what Debian's qemu-img prints (stdout, stderr, exit code; human and JSON)
and leaves the same image behind (the same `check` verdict, image end
offset and file size afterwards), including when the refcount structure
has to be rebuilt.

Damage: leaked clusters, refcounts too high or too low, zero refcounts
for referenced clusters, missing refcount blocks, misaligned L1/L2
entries, entries past the end of the file, wrong COPIED flags; on images
with 64 KiB and 512 B clusters, snapshots, compressed clusters and 1-bit
refcounts.
"""
import os
import shutil
import struct
import subprocess

import pytest

from conftest import quasar_bin

REF = "/usr/bin/qemu-img"
REF_IO = "/usr/bin/qemu-io"


def run(*args):
    return subprocess.run([str(a) for a in args], capture_output=True,
                          text=True, timeout=120)


def ok(*args):
    p = run(*args)
    assert p.returncode == 0, f"{args}: {p.stderr}"


def qio(img, *cmds):
    args = [REF_IO, "-f", "qcow2"]
    for c in cmds:
        args += ["-c", c]
    ok(*args, img)


def rd(path, off, n):
    with open(path, "rb") as f:
        f.seek(off)
        return f.read(n)


def be16(v):
    return struct.pack(">H", v)


def be64(v):
    return struct.pack(">Q", v)


def reftable_and_block(path):
    rt = struct.unpack(">Q", rd(path, 48, 8))[0]
    return rt, struct.unpack(">Q", rd(path, rt, 8))[0]


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    """name -> (image path, [(offset, bytes)], extend_to or None)."""
    if not os.path.exists(REF) or not os.path.exists(REF_IO):
        pytest.skip("Debian's qemu-img/qemu-io (qemu-utils) not installed")
    d = tmp_path_factory.mktemp("bases")
    cases = {}
    # 64 KiB clusters: 0 header, 1 reftable, 2 refblock, 3 L1, 4 L2,
    # 5 data (guest 0), 6 data (guest 1M).
    base = d / "base.qcow2"
    ok(REF, "create", "-q", "-f", "qcow2", base, "1G")
    qio(base, "write -P 1 0 64k", "write -P 2 1M 64k")
    rb = 0x20000
    cases.update({
        "leak": (base, [(rb + 2 * 7, be16(1))], 8 * 65536),
        "zero": (base, [(rb + 2 * 5, be16(0))], None),
        "high": (base, [(rb + 2 * 5, be16(2))], None),
        "high_l2": (base, [(rb + 2 * 4, be16(3))], None),
        "zero_l2": (base, [(rb + 2 * 4, be16(0))], None),
        "mixed": (base, [(rb + 2 * 5, be16(3)), (rb + 2 * 7, be16(1)),
                         (rb + 2 * 6, be16(0))], 9 * 65536),
        "l2_unaligned": (base, [(4 * 65536, be64((1 << 63) | 0x50200))],
                         None),
        "l2_past_eof": (base, [(4 * 65536, be64((1 << 63) | 100 * 65536))],
                        None),
        "l1_unaligned": (base, [(3 * 65536, be64((1 << 63) | 0x40200))],
                         None),
        "l1_past_eof": (base, [(3 * 65536, be64((1 << 63) | 50 * 65536))],
                        None),
        "no_refblock": (base, [(0x10000, be64(0))], None),
        "copied": (base, [(4 * 65536, be64(5 * 65536))], None),
    })
    # 512 B clusters: several refcount blocks.
    small = d / "small.qcow2"
    ok(REF, "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", small,
       "16M")
    qio(small, "write -P 3 0 200k", "write -P 4 8M 100k", "write -P 5 15M 64k")
    rt, _ = reftable_and_block(small)
    cases.update({
        "small_no_rb0": (small, [(rt, be64(0))], None),
        "small_no_rb1": (small, [(rt + 8, be64(0))], None),
        "small_leak": (small, [], os.path.getsize(small) + 2048),
    })
    # Snapshot: clusters with refcount 2.
    snap = d / "snap.qcow2"
    ok(REF, "create", "-q", "-f", "qcow2", snap, "64M")
    qio(snap, "write -P 1 0 128k")
    ok(REF, "snapshot", "-c", "s1", snap)
    qio(snap, "write -P 2 64k 64k")
    _, rb = reftable_and_block(snap)
    refs = [struct.unpack(">H", rd(snap, rb + 2 * i, 2))[0]
            for i in range(20)]
    shared = [i for i, v in enumerate(refs) if v == 2][-1]
    cases.update({
        "snap_low": (snap, [(rb + 2 * shared, be16(1))], None),
        "snap_zero": (snap, [(rb + 2 * shared, be16(0))], None),
        "snap_high": (snap, [(rb + 2 * shared, be16(5))], None),
    })
    # Compressed clusters.
    raw = d / "c.raw"
    raw.write_bytes((b"hello world %d " * 30000)[:1 << 20])
    comp = d / "comp.qcow2"
    ok(REF, "convert", "-c", "-O", "qcow2", raw, comp)
    _, rb = reftable_and_block(comp)
    refs = [struct.unpack(">H", rd(comp, rb + 2 * i, 2))[0]
            for i in range(40)]
    last = [i for i, v in enumerate(refs) if v][-1]
    cases.update({
        "comp_zero": (comp, [(rb + 2 * last, be16(0))], None),
        "comp_high": (comp, [(rb + 2 * last, be16(9))], None),
    })
    # 1-bit refcounts: a leak.
    rb1 = d / "rb1.qcow2"
    ok(REF, "create", "-q", "-f", "qcow2", "-o", "refcount_bits=1", rb1, "8M")
    qio(rb1, "write -P 1 0 64k")
    _, rb = reftable_and_block(rb1)
    cases["rb1_leak"] = (rb1, [(rb, bytes([rd(rb1, rb, 1)[0] | 0x80]))],
                         8 * 65536)
    return cases


def make_copy(case, path):
    base, edits, extend = case
    shutil.copy(base, path)
    with open(path, "r+b") as f:
        for off, data in edits:
            f.seek(off)
            f.write(data)
        if extend:
            f.seek(extend - 1)
            f.write(b"\0")


NAMES = ["leak", "zero", "high", "high_l2", "zero_l2", "mixed",
         "l2_unaligned", "l2_past_eof", "l1_unaligned", "l1_past_eof",
         "no_refblock", "copied", "small_no_rb0", "small_no_rb1",
         "small_leak", "snap_low", "snap_zero", "snap_high", "comp_zero",
         "comp_high", "rb1_leak"]
MODES = {"report": [], "leaks": ["-r", "leaks"], "all": ["-r", "all"],
         "all-json": ["--output=json", "-r", "all"]}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", NAMES)
def test_check_repair_like_reference(damaged, tmp_path, name, mode):
    q = quasar_bin("qemu-img/qemu-img")
    out = {}
    for tool, exe in (("q", q), ("r", REF)):
        # The same path for both, so the JSON "filename" is equal too.
        img = tmp_path / "img.qcow2"
        make_copy(damaged[name], img)
        p = run(exe, "check", *MODES[mode], img)
        after = run(REF, "check", img)
        out[tool] = (p.returncode, p.stdout, p.stderr, after.returncode,
                     after.stdout, os.path.getsize(img))
        os.unlink(img)
    assert out["q"] == out["r"]
