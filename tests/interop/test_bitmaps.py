"""Persistent dirty bitmaps are kept as QEMU keeps them: the same requests
through Quasar's block layer (block-ops) and through Debian's qemu-io, or
the same resize through both qemu-img, leave the same bitmaps (flags,
granularity, every bit), and the image checks clean; a crash leaves them
"in use" (inconsistent), as a crashed QEMU does.
"""
import json
import os
import struct
import subprocess

import pytest

from conftest import quasar_bin

REF = "/usr/bin/qemu-img"
REF_IO = "/usr/bin/qemu-io"


def run(*args, env=None, ok=True):
    p = subprocess.run([str(a) for a in args], capture_output=True,
                       text=True, timeout=120, env=env)
    if ok:
        assert p.returncode == 0, f"{args}: {p.stderr}"
    return p


@pytest.fixture(scope="module")
def tools():
    if not os.path.exists(REF) or not os.path.exists(REF_IO):
        pytest.skip("Debian's qemu-img/qemu-io (qemu-utils) not installed")
    return (quasar_bin("qemu-img/qemu-img"),
            quasar_bin("tests/unit/block/block-ops"),
            quasar_bin("tests/unit/block/block-writer"))


def bitmaps(path):
    """name -> (flags, granularity bits, bitmap bytes without trailing 0),
    in directory order (the dict keeps it; compare list(d.items()))."""
    d = open(path, "rb").read()
    cs = 1 << struct.unpack(">I", d[20:24])[0]
    if not struct.unpack(">Q", d[88:96])[0] & 1:
        return None
    pos = struct.unpack(">I", d[100:104])[0]
    while True:
        t, ln = struct.unpack(">II", d[pos:pos + 8])
        if t == 0:
            return None
        if t == 0x23852875:
            nb, _, _, doff = struct.unpack(">IIQQ", d[pos + 8:pos + 32])
            break
        pos += 8 + ((ln + 7) & ~7)
    out, p = {}, doff
    for _ in range(nb):
        to, ts, fl, _, gb, nl, ex = struct.unpack(">QIIBBHI", d[p:p + 24])
        name = d[p + 24 + ex:p + 24 + ex + nl].decode()
        bits = b""
        for k in range(ts):
            e = struct.unpack(">Q", d[to + 8 * k:to + 8 * k + 8])[0]
            off = e & 0x00fffffffffffe00
            bits += d[off:off + cs] if off else bytes([0xFF if e & 1 else 0]) * cs
        out[name] = (fl, gb, bits.rstrip(b"\0"))
        p += (24 + ex + nl + 7) & ~7
    return out


def make_image(img, size):
    run(REF, "create", "-q", "-f", "qcow2", img, size)
    run(REF, "bitmap", "--add", img, "b0")
    run(REF, "bitmap", "--add", "-g", "512k", img, "b1")
    run(REF, "bitmap", "--add", "-g", "4k", img, "b2")
    run(REF, "bitmap", "--add", "--disable", img, "b3")
    run(REF_IO, "-c", "write -P 9 0 64k", img)


def qemu_io_cmd(op):
    f = op.split(":")
    if f[0] in "wc":
        return f"write {'-c ' if f[0] == 'c' else ''}-P {f[3]} {f[1]} {f[2]}"
    return {"z": f"write -z {f[1]} {f[2]}",
            "u": f"write -z -u {f[1]} {f[2]}",
            "d": f"discard {f[1]} {f[2]}"}[f[0]]


OPS = {
    "writes": ("64M", ["w:1M:10k:1", "w:5M:1:2", "w:63M:1M:3"]),
    "zero_discard": ("64M", ["z:1M:100k", "u:3M:64k", "d:0:64k"]),
    "compressed": ("64M", ["c:4M:64k:5", "w:1k:1:6"]),
    "big": ("1G", ["w:100M:1M:1", "w:900M:5k:2", "z:500M:1M"]),
}


@pytest.mark.parametrize("name", list(OPS))
def test_writes_update_bitmaps_like_qemu(tools, tmp_path, name):
    _, ops_bin, _ = tools
    size, ops = OPS[name]
    out = {}
    for tool in ("quasar", "qemu"):
        img = tmp_path / f"{tool}.qcow2"
        make_image(img, size)
        if tool == "quasar":
            run(ops_bin, img, "qcow2", *ops)
        else:
            cmd = [REF_IO, "-f", "qcow2"]
            for op in ops:
                cmd += ["-c", qemu_io_cmd(op)]
            run(*cmd, img)
        run(REF, "check", img)
        out[tool] = bitmaps(img)
    assert out["quasar"] == out["qemu"]
    assert any(b[2] for b in out["quasar"].values())  # bits really set
    assert all(not (b[0] & 1) for b in out["quasar"].values())  # not in use


@pytest.mark.parametrize("newsize", ["200M", "40M", "61M"])
def test_resize_resizes_bitmaps_like_qemu(tools, tmp_path, newsize):
    q, ops_bin, _ = tools
    out = {}
    for tool in ("quasar", "qemu"):
        img = tmp_path / f"{tool}.qcow2"
        make_image(img, "64M")
        run(REF_IO, "-c", "write 60M 2M", img)
        args = ["--shrink"] if newsize != "200M" else []
        p = run(q if tool == "quasar" else REF, "resize", *args, img,
                newsize)
        run(REF_IO, "-c", "write 20M 1M", img)  # QEMU writes on top
        run(REF, "check", img)
        out[tool] = (p.stdout, bitmaps(img))
    assert out["quasar"] == out["qemu"]


def test_crash_leaves_bitmaps_in_use(tools, tmp_path):
    _, _, writer = tools
    img = tmp_path / "c.qcow2"
    make_image(img, "8M")
    env = dict(os.environ, BLOCK_WRITER_EXIT_AFTER="3")
    run(writer, img, "qcow2", "1", env=env)
    info = json.loads(run(REF, "info", "--output=json", img).stdout)
    flags = [b["flags"] for b in info["format-specific"]["data"]["bitmaps"]]
    assert all("in-use" in f for f in flags), flags
    run(REF, "check", img)


BITMAP_STEPS = [
    ("--add", "bm"), ("--add -g 128k", "bm2"), ("--add", "bm"),
    ("--merge a", "bm"), ("--merge s -b {o}", "bm2"),
    ("--merge s -b {o} -F qcow2", "bm"), ("--clear", "a"),
    ("--disable", "bm"), ("--enable --disable", "bm2"), ("--remove", "a"),
    ("--remove", "a"), ("--merge nope", "bm"), ("--add -g 1000", "x"),
    ("--add", ""), ("-g 4k --clear", "bm"), ("--add --remove", "tmp"),
    ("--merge bm --merge bm2", "bm3"), ("--add --merge bm --merge bm2", "bm3"),
    ("", "bm"), ("--add", "a b"),
    ("--remove", "bm"), ("--remove", "bm2"), ("--remove", "bm3"),
    ("--remove", "a b"),
]


def test_bitmap_command_like_qemu(tools, tmp_path):
    """qemu-img bitmap, step by step on two copies: the same messages and
    exit codes, the same bitmaps (flags, granularity, bits) after each
    step, a clean image throughout, and no extension once all are gone."""
    q, _, _ = tools
    out = {}
    for name, tool in (("quasar", q), ("qemu", REF)):
        d = tmp_path / name
        d.mkdir()
        img, other = d / "t.qcow2", d / "o.qcow2"
        run(REF, "create", "-q", "-f", "qcow2", img, "4M")
        run(REF, "create", "-q", "-f", "qcow2", other, "4M")
        run(REF, "bitmap", "--add", "-g", "4k", img, "a")
        run(REF, "bitmap", "--add", other, "s")
        run(REF_IO, "-c", "write 0 8k", "-c", "write 1M 64k", img)
        run(REF_IO, "-c", "write 2M 8k", other)
        steps = []
        for args, bitmap in BITMAP_STEPS:
            p = run(tool, "bitmap", *args.format(o=other).split(), img, bitmap,
                    ok=False)
            c = run(REF, "check", img, ok=False)
            bm = bitmaps(img)
            steps.append((args, bitmap, p.returncode,
                          p.stderr.replace(str(d), "D"), c.returncode,
                          bm and list(bm.items())))
        out[name] = steps
    for sq, sr in zip(out["quasar"], out["qemu"]):
        assert sq == sr
    assert out["quasar"][-1][5] is None  # extension dropped with the last


CONVERT_CASES = {
    "copy": ["--bitmaps", "-O", "qcow2", "{s}", "{d}"],
    "raw_target": ["--bitmaps", "-O", "raw", "{s}", "{d}"],
    "v2_target": ["--bitmaps", "-O", "qcow2", "-o", "compat=0.10", "{s}",
                  "{d}"],
    "two_sources": ["--bitmaps", "-O", "qcow2", "{s}", "{s}", "{d}"],
    "raw_source": ["--bitmaps", "-O", "qcow2", "{r}", "{d}"],
    "skip_without_bitmaps": ["--skip-broken-bitmaps", "-O", "qcow2", "{s}",
                             "{d}"],
    "inconsistent": ["--bitmaps", "-O", "qcow2", "{i}", "{d}"],
    "skip_inconsistent": ["--bitmaps", "--skip-broken-bitmaps", "-O",
                          "qcow2", "{i}", "{d}"],
    "existing_target": ["--bitmaps", "-n", "-O", "qcow2", "{s}", "{e}"],
}


@pytest.mark.parametrize("case", list(CONVERT_CASES))
def test_convert_bitmaps_like_qemu(tools, tmp_path, case):
    q, _, _ = tools
    out = {}
    for name, tool in (("quasar", q), ("qemu", REF)):
        d = tmp_path / name
        d.mkdir()
        src, raw, inc, ex = (d / "s.qcow2", d / "r.raw", d / "i.qcow2",
                             d / "e.qcow2")
        run(REF, "create", "-q", "-f", "qcow2", src, "4M")
        run(REF, "bitmap", "--add", src, "a")
        run(REF, "bitmap", "--add", "-g", "128k", "--disable", src, "b")
        run(REF_IO, "-c", "write 0 8k", "-c", "write 3M 1k", src)
        run(REF, "create", "-q", "-f", "raw", raw, "4M")
        run(REF, "create", "-q", "-f", "qcow2", ex, "4M")
        run(REF, "bitmap", "--add", ex, "a")
        import shutil
        shutil.copy(src, inc)
        run(REF_IO, "-c", "write 0 4k", "-c", "abort", inc, ok=False)
        dst = d / "d.img"
        args = [a.format(s=src, r=raw, i=inc, e=ex, d=dst)
                for a in CONVERT_CASES[case]]
        p = run(tool, "convert", *args, ok=False)
        target = ex if "-n" in args else dst
        bm = bitmaps(target) if os.path.exists(target) and args[
            args.index("-O") + 1] == "qcow2" and "compat=0.10" not in args \
            else None
        out[name] = (p.returncode, p.stderr.replace(str(d), "D"),
                     os.path.exists(dst), bm and list(bm.items()),
                     open(dst, "rb").read() if case == "copy" else None)
    assert out["quasar"] == out["qemu"]  # "copy": byte-identical target
