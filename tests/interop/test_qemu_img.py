"""Quasar's qemu-img against Debian's (package qemu-utils), both directions.

Images Quasar creates or converts must pass the reference's `check` and
`compare`; images the reference creates (compressed, snapshotted,
backing-chained, extended L2, odd cluster and refcount sizes) must read
back identically through Quasar's info/map/compare/convert, and the
outputs that both tools print must be equal byte for byte.
"""
import json
import os
import random
import shutil
import struct
import subprocess

import pytest

from conftest import quasar_bin

REF = "/usr/bin/qemu-img"
REF_IO = "/usr/bin/qemu-io"


@pytest.fixture(scope="module")
def tools():
    q = quasar_bin("qemu-img/qemu-img")
    if not os.path.exists(REF) or not os.path.exists(REF_IO):
        pytest.skip("Debian's qemu-img/qemu-io (qemu-utils) not installed")
    assert os.path.realpath(q) != os.path.realpath(REF)
    return q


def run(*args, ok=True, cwd=None):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                       cwd=cwd, timeout=120)
    if ok:
        assert p.returncode == 0, f"{args}: rc={p.returncode} {p.stderr}"
    return p


def ref_io(img, *cmds, fmt="qcow2"):
    args = [REF_IO, "-f", fmt]
    for c in cmds:
        args += ["-c", c]
    run(*args, img)


def ref_check_clean(img):
    p = run(REF, "check", img, ok=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "No errors were found on the image." in p.stdout


def make_mixed_raw(path, clusters=48, seed=1):
    """Random, zero and compressible 64 KiB extents."""
    r = random.Random(seed)
    with open(path, "wb") as f:
        for i in range(clusters):
            k = r.randint(0, 3)
            if k == 0:
                f.write(r.randbytes(65536))
            elif k == 1:
                f.write(bytes(65536))
            else:
                f.write((f"line {i} hello world " * 4000).encode()[:65536])
        f.write(r.randbytes(1536))  # odd tail, not cluster aligned
    return path


@pytest.fixture
def mixed(tmp_path):
    return make_mixed_raw(tmp_path / "mixed.raw")


def info_json(tool, img, *extra):
    return json.loads(run(tool, "info", "--output=json", *extra, img).stdout)


def strip_version_keys(j):
    j = dict(j)
    j.pop("actual-size", None)  # depends on how bytes were laid out
    return j


# ---- create ---------------------------------------------------------------

CREATE_OPTS = [
    "", "compat=0.10", "cluster_size=512", "cluster_size=4k",
    "cluster_size=2M", "refcount_bits=1", "refcount_bits=8",
    "refcount_bits=64", "lazy_refcounts=on", "extended_l2=on",
    "compression_type=zstd", "preallocation=metadata",
    "preallocation=falloc", "preallocation=full",
    "cluster_size=4k,compat=0.10,preallocation=metadata",
]


@pytest.mark.parametrize("opts", CREATE_OPTS)
def test_create_matches_reference(tools, tmp_path, opts):
    q = tools
    a, b = tmp_path / "q.qcow2", tmp_path / "r.qcow2"
    o = ["-o", opts] if opts else []
    pq = run(q, "create", "-f", "qcow2", *o, a, "3M")
    pr = run(REF, "create", "-f", "qcow2", *o, b, "3M")
    assert pq.stdout.replace("q.qcow2", "X") == pr.stdout.replace("r.qcow2",
                                                                  "X")
    ref_check_clean(a)
    run(REF, "compare", a, b)
    ji, jr = info_json(q, a), info_json(REF, b)
    ji["filename"] = jr["filename"]
    assert strip_version_keys(ji) == strip_version_keys(jr)
    if "prealloc" not in opts or "metadata" in opts:
        # A new image is byte for byte the one QEMU makes.
        assert open(a, "rb").read() == open(b, "rb").read()
        assert ji == jr  # actual-size included
    # Both tools print the same info for the Quasar-made image.
    assert info_json(q, a) == info_json(REF, a)
    assert run(q, "info", a).stdout == run(REF, "info", a).stdout


def test_create_raw_and_errors(tools, tmp_path):
    q = tools
    p = run(q, "create", "-f", "raw", tmp_path / "a.raw", "10M")
    assert p.stdout == f"Formatting '{tmp_path}/a.raw', fmt=raw size=10485760\n"
    assert os.path.getsize(tmp_path / "a.raw") == 10485760
    assert info_json(q, tmp_path / "a.raw") == info_json(REF,
                                                        tmp_path / "a.raw")
    p = run(q, "create", "-f", "qcow2", "-o", "cluster_size=3000",
            tmp_path / "b.qcow2", "1M", ok=False)
    assert p.returncode == 1
    assert p.stderr.startswith("qemu-img: ") and p.stderr.count("\n") == 1
    p = run(q, "create", "-f", "qcow2", tmp_path / "c.qcow2", "12Q", ok=False)
    assert p.returncode == 1 and "Invalid image size" in p.stderr
    # -o help lists the same options as QEMU's, minus the LUKS details.
    p = run(q, "create", "-f", "qcow2", "-o", "help")
    ref = [ln for ln in run(REF, "create", "-f", "qcow2", "-o",
                            "help").stdout.splitlines(True)
           if not ln.startswith("  encrypt.") or "encrypt.format" in ln]
    assert p.stdout == "".join(ref)


@pytest.mark.parametrize("args", [
    ["-f", "raw", "-o", "help"], ["-f", "raw", "-o", "preallocation=full"],
    ["-f", "qcow2", "-o", "nocow=on"],
    ["-f", "qcow2", "-o", "preallocation=falloc,cluster_size=4k"]])
def test_create_option_lines(tools, tmp_path, args):
    q = tools
    img = [] if "help" in args else ["img", "1M"]
    pq = run(q, "create", *args, *img, cwd=tmp_path)
    pr = run(REF, "create", *args, *img, cwd=tmp_path)
    assert pq.stdout == pr.stdout


def test_check_unsupported_format(tools, tmp_path):
    q = tools
    run(q, "create", "-q", "-f", "raw", tmp_path / "r.img", "1M")
    for extra in ([], ["-f", "raw", "--output=json"]):
        pq = run(q, "check", *extra, tmp_path / "r.img", ok=False)
        pr = run(REF, "check", *extra, tmp_path / "r.img", ok=False)
        assert (pq.returncode, pq.stdout, pq.stderr) == (
            pr.returncode, pr.stdout, pr.stderr) == (63, "", pr.stderr)


def test_create_with_backing(tools, tmp_path):
    q = tools
    base = tmp_path / "base.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", base, "2M")
    ref_io(str(base), "write -P 0x5a 0 1M")
    p = run(q, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
            tmp_path / "top.qcow2", cwd=tmp_path)
    assert "backing_file=base.qcow2 backing_fmt=qcow2" in p.stdout
    ref_check_clean(tmp_path / "top.qcow2")
    assert info_json(q, tmp_path / "top.qcow2") == info_json(
        REF, tmp_path / "top.qcow2")
    run(REF, "compare", tmp_path / "top.qcow2", base)
    # -b without -F is refused like QEMU 7.2 does.
    p = run(q, "create", "-f", "qcow2", "-b", str(base),
            tmp_path / "x.qcow2", ok=False)
    assert p.returncode == 1
    assert "Backing file specified without backing format" in p.stderr


# ---- convert: Quasar writes, Debian checks ---------------------------------

CONVERT_OPTS = [
    [], ["-c"], ["-o", "cluster_size=512"], ["-o", "cluster_size=2M"],
    ["-c", "-o", "cluster_size=4k"], ["-o", "refcount_bits=1"],
    ["-o", "refcount_bits=2,cluster_size=1k"], ["-o", "compat=0.10"],
    ["-c", "-o", "compat=0.10"], ["-o", "extended_l2=on"],
    ["-c", "-o", "compression_type=zstd"], ["-o", "lazy_refcounts=on"],
    ["-o", "preallocation=metadata"], ["-o", "preallocation=full"],
    ["-m", "8", "-W"], ["-c", "-m", "4", "-W"], ["-S", "0"], ["-S", "64k"],
]


@pytest.mark.parametrize("opts", CONVERT_OPTS, ids=lambda o: " ".join(o))
def test_convert_to_qcow2_passes_reference(tools, tmp_path, mixed, opts):
    q = tools
    out = tmp_path / "out.qcow2"
    run(q, "convert", "-f", "raw", "-O", "qcow2", *opts, mixed, out)
    ref_check_clean(out)
    run(REF, "compare", "-f", "raw", "-F", "qcow2", mixed, out)
    # Same map as the reference prints for the same image.
    assert run(q, "map", "--output=json", out).stdout == run(
        REF, "map", "--output=json", out).stdout
    assert run(q, "check", "--output=json", out).stdout == run(
        REF, "check", "--output=json", out).stdout
    if "-c" in opts:
        j = json.loads(run(REF, "check", "--output=json", out).stdout)
        assert j.get("compressed-clusters", 0) > 0


@pytest.mark.parametrize("opts", [[], ["-c"], ["-o", "compat=0.10"],
                                  ["-c", "-o", "compression_type=zstd"],
                                  ["-o", "extended_l2=on"]],
                         ids=lambda o: " ".join(o) or "default")
def test_convert_byte_identical_to_reference(tools, tmp_path, mixed, opts):
    """Same input, same options: the very same qcow2 file as QEMU's."""
    q = tools
    a, b = tmp_path / "a.qcow2", tmp_path / "b.qcow2"
    run(q, "convert", "-O", "qcow2", *opts, mixed, a)
    run(REF, "convert", "-O", "qcow2", *opts, mixed, b)
    assert a.read_bytes() == b.read_bytes()


def test_convert_same_size_as_reference(tools, tmp_path, mixed):
    q = tools
    for opts in ([], ["-c"], ["-c", "-o", "cluster_size=4k"]):
        a, b = tmp_path / "a.qcow2", tmp_path / "b.qcow2"
        run(q, "convert", "-O", "qcow2", *opts, mixed, a)
        run(REF, "convert", "-O", "qcow2", *opts, mixed, b)
        ja = json.loads(run(REF, "check", "--output=json", a).stdout)
        jb = json.loads(run(REF, "check", "--output=json", b).stdout)
        ja["filename"] = jb["filename"]
        assert ja == jb


def test_convert_qcow2_to_raw_and_progress(tools, tmp_path, mixed):
    q = tools
    img = tmp_path / "r.qcow2"
    run(REF, "convert", "-c", "-O", "qcow2", mixed, img)
    out = tmp_path / "back.raw"
    p = subprocess.run([q, "convert", "-p", "-O", "raw", str(img),
                        str(out)], capture_output=True, check=True)
    assert p.stdout.startswith(b"    (0.00/100%)\r")
    assert p.stdout.endswith(b"    (100.00/100%)\r\n")
    assert open(out, "rb").read() == open(mixed, "rb").read()
    # Sparse: the zero extents are holes in the output.
    assert os.stat(out).st_blocks * 512 < os.path.getsize(out)


def test_convert_backing_B_and_n(tools, tmp_path, mixed):
    q = tools
    base = tmp_path / "base.qcow2"
    run(REF, "convert", "-O", "qcow2", mixed, base)
    top = tmp_path / "top.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F",
        "qcow2", top, cwd=tmp_path)
    ref_io(str(top), "write -P 0x77 64k 64k", "write -z 1M 128k")
    out = tmp_path / "out.qcow2"
    run(q, "convert", "-O", "qcow2", "-B", "base.qcow2", "-F", "qcow2", top,
        out, cwd=tmp_path)
    ref_check_clean(out)
    run(REF, "compare", top, out)
    j = info_json(REF, out)
    assert j["backing-filename"] == "base.qcow2"
    # Only the top layer's clusters were copied.
    jc = json.loads(run(REF, "check", "--output=json", out).stdout)
    assert jc.get("allocated-clusters", 0) <= 3
    # -n into an existing image.
    run(REF, "create", "-q", "-f", "qcow2", tmp_path / "n.qcow2",
        str(os.path.getsize(mixed)))
    run(q, "convert", "-n", "-O", "qcow2", mixed, tmp_path / "n.qcow2")
    ref_check_clean(tmp_path / "n.qcow2")
    run(REF, "compare", mixed, tmp_path / "n.qcow2")


# ---- Debian writes, Quasar reads --------------------------------------------

REF_IMAGES = [
    "", "cluster_size=512", "cluster_size=2M", "refcount_bits=1",
    "compat=0.10", "extended_l2=on", "extended_l2=on,cluster_size=16k",
    "compression_type=zstd", "lazy_refcounts=on", "preallocation=metadata",
]


@pytest.mark.parametrize("opts", REF_IMAGES)
def test_reference_images_read_identically(tools, tmp_path, opts):
    q = tools
    img = tmp_path / "d.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", *(["-o", opts] if opts else []),
        img, "4M")
    cmds = ["write -P 0x11 0 100k", "write -c -P 0x22 2M 64k",
            "write -z 1M 64k", "write -P 0x33 1000 3000", "discard 2M 64k",
            "write -c -P 0x55 2304k 64k", "write -P 0x44 3M 4k"]
    if "2M" in opts or "prealloc" in opts:
        # Compressed writes need whole clusters / unallocated ones.
        cmds = [c.replace("-c ", "") for c in cmds]
    ref_io(str(img), *cmds)
    ra, qa = tmp_path / "ref.raw", tmp_path / "q.raw"
    run(REF, "convert", "-O", "raw", img, ra)
    run(q, "convert", "-O", "raw", img, qa)
    assert open(ra, "rb").read() == open(qa, "rb").read()
    for args in (["info", "--output=json"], ["info"], ["map",
                 "--output=json"], ["check"], ["check", "--output=json"],
                 ["snapshot", "-l"]):
        pq, pr = run(q, *args, img, ok=False), run(REF, *args, img, ok=False)
        assert (pq.stdout, pq.returncode) == (pr.stdout, pr.returncode), args
    pq, pr = run(q, "map", img, ok=False), run(REF, "map", img, ok=False)
    assert (pq.stdout, pq.returncode, pq.stderr) == (pr.stdout, pr.returncode,
                                                     pr.stderr)
    run(q, "compare", img, ra)


def test_backing_chain_read(tools, tmp_path):
    q = tools
    base = tmp_path / "base.qcow2"
    mid = tmp_path / "mid.qcow2"
    top = tmp_path / "top.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", base, "8M")
    ref_io(str(base), "write -P 1 0 3M")
    run(REF, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F",
        "qcow2", mid, cwd=tmp_path)
    ref_io(str(mid), "write -P 2 1M 1M", "write -z 2M 64k")
    run(REF, "create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "-b",
        "mid.qcow2", "-F", "qcow2", top, "10M", cwd=tmp_path)
    ref_io(str(top), "write -P 3 1536k 4k", "write -P 4 9M 4k")
    for args in (["map", "--output=json"], ["map"],
                 ["info", "--backing-chain"],
                 ["info", "--backing-chain", "--output=json"]):
        assert run(q, *args, top).stdout == run(REF, *args, top).stdout, args
    ra, qa = tmp_path / "ref.raw", tmp_path / "q.raw"
    run(REF, "convert", "-O", "raw", top, ra)
    run(q, "convert", "-O", "raw", top, qa)
    assert open(ra, "rb").read() == open(qa, "rb").read()
    assert run(q, "compare", top, ra).stdout == "Images are identical.\n"


# ---- compare ---------------------------------------------------------------

def test_compare_outputs_and_codes(tools, tmp_path, mixed):
    q = tools
    a = tmp_path / "a.qcow2"
    run(REF, "convert", "-O", "qcow2", mixed, a)
    b = tmp_path / "b.qcow2"
    shutil.copy(a, b)
    ref_io(str(b), "write -P 0x99 70000 10")
    c = tmp_path / "c.raw"
    shutil.copy(mixed, c)
    with open(c, "ab") as f:
        f.write(bytes(65536))
    for x, y, extra in ((a, mixed, []), (a, b, []), (mixed, c, []),
                        (mixed, c, ["-s"]), (a, b, ["-q"])):
        pq = run(q, "compare", *extra, x, y, ok=False)
        pr = run(REF, "compare", *extra, x, y, ok=False)
        assert (pq.stdout, pq.returncode) == (pr.stdout, pr.returncode)
    p = run(q, "compare", a, tmp_path / "missing", ok=False)
    assert p.returncode == 2 and p.stderr.startswith("qemu-img: Could not")


# ---- snapshots ------------------------------------------------------------

def test_snapshots_both_ways(tools, tmp_path):
    q = tools
    img = tmp_path / "s.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", img, "4M")
    ref_io(str(img), "write -P 1 0 128k")
    run(REF, "snapshot", "-c", "one", img)
    ref_io(str(img), "write -P 2 64k 128k")
    assert run(q, "snapshot", "-l", img).stdout == run(
        REF, "snapshot", "-l", img).stdout
    assert info_json(q, img) == info_json(REF, img)
    cur = tmp_path / "cur.raw"
    run(q, "convert", "-O", "raw", img, cur)
    # Quasar takes a snapshot; the reference sees it and a clean image.
    run(q, "snapshot", "-c", "two", img)
    ref_check_clean(img)
    lst = run(REF, "snapshot", "-l", img).stdout
    assert " one " in lst and " two " in lst
    assert run(q, "snapshot", "-l", img).stdout == lst
    # Writes after the snapshot copy clusters; apply goes back.
    run(q, "convert", "-n", "-O", "qcow2", "-f", "raw",
        make_mixed_raw(tmp_path / "noise.raw", clusters=2, seed=7) , img)
    ref_check_clean(img)
    run(q, "snapshot", "-a", "one", img)
    ref_check_clean(img)
    ref_io(str(img), "read -P 1 0 128k", "read -P 0 128k 64k")
    run(q, "snapshot", "-a", "two", img)
    run(REF, "compare", img, cur)
    run(q, "snapshot", "-d", "one", img)
    ref_check_clean(img)
    run(q, "snapshot", "-d", "two", img)
    ref_check_clean(img)
    assert run(REF, "snapshot", "-l", img).stdout == ""
    run(REF, "compare", img, cur)
    p = run(q, "snapshot", "-d", "nosuch", img, ok=False)
    pr = run(REF, "snapshot", "-d", "nosuch", img, ok=False)
    assert (p.returncode, p.stderr) == (pr.returncode, pr.stderr)
    p = run(q, "snapshot", "-a", "nosuch", img, ok=False)
    pr = run(REF, "snapshot", "-a", "nosuch", img, ok=False)
    assert (p.returncode, p.stderr) == (pr.returncode, pr.stderr)


# ---- check on damaged images -----------------------------------------------

def damaged_images(tmp_path):
    """(name, path) of images with a leak and with a refcount too low."""
    base = tmp_path / "a.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", base, "1G")
    ref_io(str(base), "write -P 1 0 64k")
    # Layout: 0 header, 1 reftable, 2 refblock, 3 L1, 4 L2, 5 data.
    leak = tmp_path / "leak.qcow2"
    shutil.copy(base, leak)
    with open(leak, "r+b") as f:
        f.seek(0x20000 + 2 * 6)
        f.write(struct.pack(">H", 1))
        f.seek(7 * 65536 - 1)
        f.write(b"\0")
    cor = tmp_path / "cor.qcow2"
    shutil.copy(base, cor)
    with open(cor, "r+b") as f:
        f.seek(0x20000 + 2 * 5)
        f.write(struct.pack(">H", 0))
    return leak, cor


def test_check_damaged_like_reference(tools, tmp_path):
    q = tools
    leak, cor = damaged_images(tmp_path)
    for img, rc in ((leak, 3), (cor, 2)):
        for extra in ([], ["--output=json"]):
            pq = run(q, "check", *extra, img, ok=False)
            pr = run(REF, "check", *extra, img, ok=False)
            assert pq.returncode == pr.returncode == rc
            assert pq.stdout == pr.stdout
        assert run(q, "check", img, ok=False).stderr == run(
            REF, "check", img, ok=False).stderr
    # Repair the leak; the output and the result match the reference.
    l2 = tmp_path / "leak2.qcow2"
    shutil.copy(leak, l2)
    pq = run(q, "check", "-r", "leaks", leak, ok=False)
    pr = run(REF, "check", "-r", "leaks", l2, ok=False)
    assert (pq.stdout, pq.returncode) == (pr.stdout, pr.returncode)
    ref_check_clean(leak)
    # -r all fixes a refcount that is too low.
    p = run(q, "check", "-r", "all", cor, ok=False)
    assert p.returncode == 0
    assert "No errors were found on the image." in p.stdout
    ref_check_clean(cor)


def test_corrupt_inputs_never_crash(tools, tmp_path, mixed):
    """Random damage to every metadata area: errors, never a crash."""
    q = tools
    good = tmp_path / "good.qcow2"
    run(REF, "convert", "-c", "-O", "qcow2", "-o", "cluster_size=4k", mixed,
        good)
    run(REF, "snapshot", "-c", "s", good)
    data = open(good, "rb").read()
    r = random.Random(5)
    bad = tmp_path / "bad.qcow2"
    for i in range(60):
        b = bytearray(data)
        for _ in range(r.randint(1, 8)):
            pos = r.randrange(0, 0x1000) if i % 2 else r.randrange(len(b))
            b[pos] = r.randrange(256)
        if i % 7 == 0:
            b = b[:r.randrange(len(b))]
        open(bad, "wb").write(bytes(b))
        for args in (["info"], ["check"], ["map", "--output=json"],
                     ["convert", "-O", "raw", bad, tmp_path / "o.raw"]):
            cmd = [q] + args + ([] if args[0] == "convert" else [bad])
            p = subprocess.run([str(c) for c in cmd], capture_output=True,
                               text=True, timeout=60)
            assert p.returncode >= 0, f"crash on {args} case {i}"
            assert "Sanitizer" not in p.stderr, p.stderr
            assert "runtime error" not in p.stderr, p.stderr
            assert p.returncode in (0, 1, 2, 3), (args, i, p.stderr)
            if p.returncode and args[0] != "check":
                assert p.stderr.startswith("qemu-img: "), p.stderr
    # A refused write: an image with the corrupt bit does not open rw.
    b = bytearray(data)
    b[72 + 7] |= 2
    open(bad, "wb").write(bytes(b))
    p = run(q, "resize", bad, "+1M", ok=False)
    assert p.returncode == 1 and "corrupt" in p.stderr


# ---- resize, amend, commit, rebase, measure, dd ------------------------------

def test_resize(tools, tmp_path, mixed):
    q = tools
    img = tmp_path / "a.qcow2"
    run(q, "convert", "-O", "qcow2", mixed, img)
    p = run(q, "resize", img, "+5M")
    assert p.stdout == "Image resized.\n"
    ref_check_clean(img)
    assert info_json(REF, img)["virtual-size"] == os.path.getsize(mixed) + (
        5 << 20)
    p = run(q, "resize", img, "1M", ok=False)
    pr = run(REF, "resize", img, "1M", ok=False)
    assert (p.returncode, p.stderr) == (pr.returncode, pr.stderr)
    run(q, "resize", "--shrink", img, "1M")
    ref_check_clean(img)
    with open(mixed, "rb") as f:
        head = f.read(1 << 20)
    open(tmp_path / "head.raw", "wb").write(head)
    run(REF, "compare", img, tmp_path / "head.raw")
    run(q, "resize", img, "64G")
    ref_check_clean(img)
    assert info_json(REF, img)["virtual-size"] == 64 << 30
    raw = tmp_path / "r.raw"
    run(q, "create", "-q", "-f", "raw", raw, "1M")
    run(q, "resize", "-f", "raw", raw, "3M")
    assert os.path.getsize(raw) == 3 << 20


def test_amend(tools, tmp_path, mixed):
    q = tools
    img = tmp_path / "a.qcow2"
    run(REF, "convert", "-O", "qcow2", mixed, img)
    ref_io(str(img), "write -z 0 64k")
    run(q, "amend", "-o", "compat=0.10", img)
    ref_check_clean(img)
    assert info_json(REF, img)["format-specific"]["data"]["compat"] == "0.10"
    run(REF, "compare", img, mixed, ok=False)
    run(q, "amend", "-o", "compat=1.1,lazy_refcounts=on", img)
    ref_check_clean(img)
    d = info_json(REF, img)["format-specific"]["data"]
    assert d["compat"] == "1.1" and d["lazy-refcounts"] is True


def test_commit_and_rebase(tools, tmp_path, mixed):
    q = tools
    base = tmp_path / "base.qcow2"
    top = tmp_path / "top.qcow2"
    run(REF, "convert", "-O", "qcow2", mixed, base)
    run(REF, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F",
        "qcow2", top, cwd=tmp_path)
    ref_io(str(top), "write -P 0xab 100k 200k", "write -z 1M 64k")
    expect = tmp_path / "expect.raw"
    run(REF, "convert", "-O", "raw", top, expect)
    # rebase (safe) onto no backing file keeps the content.
    r = tmp_path / "rebased.qcow2"
    shutil.copy(top, r)
    run(q, "rebase", "-b", "", r)
    ref_check_clean(r)
    assert "backing-filename" not in info_json(REF, r)
    run(REF, "compare", r, expect)
    # rebase -u only rewrites the name.
    shutil.copy(base, tmp_path / "base2.qcow2")
    r2 = tmp_path / "r2.qcow2"
    shutil.copy(top, r2)
    run(q, "rebase", "-u", "-b", "base2.qcow2", "-F", "qcow2", r2)
    assert info_json(REF, r2)["backing-filename"] == "base2.qcow2"
    run(REF, "compare", r2, expect)
    # commit puts the top's data into the base.
    p = run(q, "commit", top)
    assert p.stdout == "Image committed.\n"
    ref_check_clean(base)
    ref_check_clean(top)
    run(REF, "compare", base, expect)
    run(REF, "compare", top, expect)


def test_measure_matches_reference(tools, tmp_path, mixed):
    q = tools
    img = tmp_path / "a.qcow2"
    run(REF, "convert", "-O", "qcow2", mixed, img)
    # With bitmaps, a partly written cluster (zeros inside), and v2.
    bm = tmp_path / "bm.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", bm, "64M")
    run(REF, "bitmap", "--add", bm, "b0")
    run(REF, "bitmap", "--add", "-g", "512k", bm, "longer-name")
    ref_io(str(bm), "write -P 1 0 1k", "write -P 2 3M 1M")
    v2 = tmp_path / "v2.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", "-o", "compat=0.10", v2, "8M")
    cases = [["--size", "1G", "-O", "qcow2"], ["--size", "10G", "-O", "raw"],
             ["-O", "qcow2", img], ["-O", "raw", img],
             ["-O", "qcow2", "-o", "cluster_size=4k", img],
             ["--output=json", "-O", "qcow2", img]]
    for src in (bm, v2):
        for o in ("cluster_size=64k", "cluster_size=4k", "compat=0.10",
                  "refcount_bits=1,cluster_size=1k"):
            cases += [["-O", "qcow2", "-o", o, src],
                      ["--output=json", "-O", "qcow2", "-o", o, src]]
    for c in cases:
        assert run(q, "measure", *c).stdout == run(REF, "measure",
                                                   *c).stdout, c


def test_dd_matches_reference(tools, tmp_path, mixed):
    q = tools
    img = tmp_path / "a.qcow2"
    run(REF, "convert", "-O", "qcow2", mixed, img)
    for ops in (["bs=64k", "count=5", "skip=3"], ["bs=4k"]):
        run(q, "dd", "-O", "raw", *ops, f"if={img}",
            f"of={tmp_path / 'q.raw'}")
        run(REF, "dd", "-O", "raw", *ops, f"if={img}",
            f"of={tmp_path / 'r.raw'}")
        assert open(tmp_path / "q.raw", "rb").read() == open(
            tmp_path / "r.raw", "rb").read()


def test_bench_writes_valid_image(tools, tmp_path):
    q = tools
    img = tmp_path / "b.qcow2"
    run(q, "create", "-q", "-f", "qcow2", img, "16M")
    p = run(q, "bench", "-w", "-c", "300", "-s", "8k", "-S", "20k",
            "--pattern=0xa5", img)
    assert p.stdout.startswith("Sending 300 write requests, 8192 bytes each")
    assert "Run completed in" in p.stdout
    ref_check_clean(img)
    ref_io(str(img), "read -P 0xa5 0 8k")


@pytest.mark.parametrize("aio", ["threads", "io_uring", "native"])
def test_bench_aio_modes_write_what_qemu_writes(tools, tmp_path, aio):
    """bench -i: same bytes as QEMU's bench (offsets wrap modulo the size)."""
    q = tools
    extra = ["-t", "none"] if aio == "native" else []
    out = {}
    for name, tool in (("q", q), ("r", REF)):
        img = tmp_path / f"{name}.raw"
        with open(img, "wb") as f:
            f.write(b"\xff" * (1 << 20))
        p = run(tool, "bench", "-f", "raw", "-w", "-i", aio, *extra, "-c",
                "40", "-d", "8", "-o", "4k", "-s", "4k", "-S", "300k",
                "--pattern=7", img)
        assert p.stdout.splitlines()[0] == (
            "Sending 40 write requests, 4096 bytes each, 8 in parallel "
            "(starting at offset 4096, step size 307200)")
        out[name] = open(img, "rb").read()
    assert out["q"] == out["r"]


def test_bench_aio_errors_as_qemu(tools, tmp_path):
    q = tools
    img = tmp_path / "e.raw"
    run(REF, "create", "-q", "-f", "raw", img, "1M")
    for args in (["-i", "bogus"], ["-i", "native"], ["-n"],
                 ["--flush-interval=4"], ["-w", "--flush-interval=4"]):
        pq = run(q, "bench", "-f", "raw", "-c", "1", *args, img, ok=False)
        pr = run(REF, "bench", "-f", "raw", "-c", "1", *args, img, ok=False)
        assert (pq.returncode, pq.stderr) == (pr.returncode, pr.stderr), args


def test_bench_io_uring_refused_is_an_error(tools, tmp_path):
    """A kernel without io_uring (forced here) fails the open, clearly."""
    q = tools
    img = tmp_path / "u.raw"
    run(REF, "create", "-q", "-f", "raw", img, "1M")
    env = dict(os.environ, QUASAR_NO_IO_URING="1")
    p = subprocess.run([q, "bench", "-f", "raw", "-c", "1", "-i", "io_uring",
                        str(img)], capture_output=True, text=True, env=env)
    assert p.returncode == 1
    assert p.stderr == (f"qemu-img: Could not open '{img}': Unable to use "
                        "io_uring: failed to init linux io_uring ring: "
                        "Function not implemented\n")


# ---- locking ---------------------------------------------------------------

def test_lock_refusal_against_reference(tools, tmp_path):
    q = tools
    img = tmp_path / "l.qcow2"
    run(q, "create", "-q", "-f", "qcow2", img, "1M")
    holder = subprocess.Popen([REF_IO, "-c", "sleep 4000", str(img)],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        import time
        time.sleep(0.8)
        p = run(q, "info", img, ok=False)
        pr = run(REF, "info", img, ok=False)
        assert p.returncode == pr.returncode == 1
        assert p.stderr == pr.stderr
        assert 'Failed to get shared "write" lock' in p.stderr
        assert run(q, "info", "-U", img).returncode == 0
        p = run(q, "resize", img, "2M", ok=False)
        assert p.returncode == 1 and "lock" in p.stderr
    finally:
        holder.kill()
        holder.wait()
    assert run(q, "info", img).returncode == 0


def test_probed_raw_warning(tools, tmp_path):
    q = tools
    raw = tmp_path / "r.img"
    run(q, "create", "-q", "-f", "raw", raw, "1M")
    p = run(q, "resize", raw, "2M")
    pr = run(REF, "resize", raw, "3M")
    assert p.stderr == pr.stderr.replace("'" + str(raw) + "'",
                                         "'" + str(raw) + "'")
    assert "probing guessed raw" in p.stderr


def test_convert_multiple_sources_and_cache_modes(tools, tmp_path, mixed):
    q = tools
    a = tmp_path / "a.qcow2"
    run(REF, "convert", "-c", "-O", "qcow2", mixed, a)
    out = tmp_path / "cat.qcow2"
    # Two sources are concatenated; O_DIRECT on both sides.
    run(q, "convert", "-t", "none", "-T", "none", "-O", "qcow2", mixed, a,
        out)
    ref_check_clean(out)
    both = tmp_path / "both.raw"
    both.write_bytes(mixed.read_bytes() * 2)
    run(REF, "compare", both, out)
    r = tmp_path / "o.raw"
    run(q, "convert", "-t", "none", "-O", "raw", out, r)
    assert r.read_bytes() == both.read_bytes()
    p = run(q, "convert", "-t", "bogus", "-O", "raw", a, r, ok=False)
    assert p.returncode == 1 and p.stderr.startswith("qemu-img: ")


def test_raw_probing_and_errors(tools, tmp_path):
    q = tools
    p = run(q, "info", tmp_path / "nope.qcow2", ok=False)
    pr = run(REF, "info", tmp_path / "nope.qcow2", ok=False)
    assert (p.returncode, p.stderr) == (pr.returncode, pr.stderr)
    junk = tmp_path / "junk.img"
    junk.write_bytes(b"QFI\xfb" + bytes(60))
    p = run(q, "info", "-f", "qcow2", junk, ok=False)
    assert p.returncode == 1 and p.stderr.count("\n") == 1
    p = run(q, "info", "-f", "vmdk9", junk, ok=False)
    assert p.returncode == 1 and "Unknown driver 'vmdk9'" in p.stderr
    p = run(q, "frobnicate", ok=False)
    assert p.returncode == 1 and "Command not found" in p.stderr


def test_quasar_lock_refuses_reference(tools, tmp_path):
    """While Quasar writes an image, Debian's tools are refused."""
    q = tools
    writer = quasar_bin("tests/unit/block/block-writer")
    img = tmp_path / "w.qcow2"
    run(q, "create", "-q", "-f", "qcow2", img, "4M")
    p = subprocess.Popen([writer, str(img), "qcow2", "1"],
                         stdout=subprocess.DEVNULL)
    try:
        import time
        time.sleep(0.3)
        pr = run(REF, "info", img, ok=False)
        assert pr.returncode == 1
        assert 'Failed to get shared "write" lock' in pr.stderr
        pr = run(REF_IO, "-c", "write 0 512", img, ok=False)
        assert 'Failed to get "write" lock' in pr.stderr
        assert run(REF, "info", "-U", img).returncode == 0
    finally:
        p.kill()
        p.wait()
    assert run(REF, "info", img).returncode == 0


def test_corruption_found_while_writing_marks_image(tools, tmp_path):
    """A bad L2 entry met by a write: refused, corrupt bit set, no more rw."""
    q = tools
    img = tmp_path / "c.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", img, "1M")
    ref_io(str(img), "write -P 7 0 64k")
    # Layout: 0 header, 1 reftable, 2 refblock, 3 L1, 4 L2, 5 data.
    # Point guest cluster 0 at a host offset that is not cluster aligned.
    with open(img, "r+b") as f:
        f.seek(4 * 65536)
        f.write(struct.pack(">Q", (1 << 63) | 0x50200))
    before = open(img, "rb").read()
    p = run(q, "bench", "-w", "-c", "1", "-s", "4k", img, ok=False)
    assert p.returncode == 1
    assert "qcow2: Marking image as corrupt" in p.stderr
    after = open(img, "rb").read()
    # Only the header's incompatible-features word changed.
    assert after[:72] == before[:72] and after[80:] == before[80:]
    assert info_json(REF, img)["format-specific"]["data"]["corrupt"] is True
    p = run(q, "resize", img, "2M", ok=False)
    assert p.returncode == 1
    assert "Image is corrupt; cannot be opened read/write" in p.stderr
    pr = run(REF, "check", img, ok=False)
    assert pr.returncode == 2


@pytest.mark.parametrize("extra", [[], ["-W"], ["-o", "cluster_size=512"],
                                   ["-o", "cluster_size=2M"]])
def test_convert_compressed_sparse_source(tools, tmp_path, extra):
    """-c on a raw file whose holes split clusters (4 KiB data islands)."""
    q = tools
    src = tmp_path / "sparse.raw"
    r = random.Random(3)
    with open(src, "wb") as f:
        f.truncate(5 << 20)
        for _ in range(40):
            f.seek(r.randrange(0, (5 << 20) - 4096) & ~4095)
            f.write((b"island %d " % r.randrange(1000)) * 400)
    out = tmp_path / "c.qcow2"
    run(q, "convert", "-c", "-O", "qcow2", *extra, src, out)
    ref_check_clean(out)
    run(REF, "compare", src, out)
    j = json.loads(run(REF, "check", "--output=json", out).stdout)
    assert j.get("compressed-clusters", 0) > 0


def test_check_repairs_missing_refcount_block(tools, tmp_path):
    q = tools
    img = tmp_path / "rb.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", img, "1G")
    ref_io(str(img), "write -P 1 0 256k")
    with open(img, "r+b") as f:  # drop the only refcount block
        f.seek(0x10000)
        f.write(struct.pack(">Q", 0))
    pq, pr = run(q, "check", img, ok=False), run(REF, "check", img, ok=False)
    assert pq.returncode == pr.returncode == 2
    assert pq.stdout == pr.stdout
    p = run(q, "check", "-r", "all", img, ok=False)
    assert p.returncode == 0, p.stdout + p.stderr
    ref_check_clean(img)
    ref_io(str(img), "read -P 1 0 256k")


def test_reference_bitmaps(tools, tmp_path):
    """Images with persistent bitmaps: listed, counted by check (their
    upkeep is tested in test_bitmaps.py)."""
    q = tools
    img = tmp_path / "bm.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", img, "64M")
    ref_io(str(img), "write -P 1 0 1M")
    run(REF, "bitmap", "--add", img, "b0")
    run(REF, "bitmap", "--add", "-g", "128k", img, "b1")
    ref_io(str(img), "write -P 2 2M 1M")
    for args in (["info"], ["info", "--output=json"], ["check"],
                 ["check", "--output=json"]):
        pq, pr = run(q, *args, img, ok=False), run(REF, *args, img, ok=False)
        assert (pq.stdout, pq.returncode) == (pr.stdout, pr.returncode), args
    # An image left with an inconsistent (in-use) bitmap by a crash:
    # Quasar leaves that one alone, QEMU can remove it afterwards.
    crashed = tmp_path / "crashed.qcow2"
    shutil.copy(img, crashed)
    subprocess.run([REF_IO, "-f", "qcow2", "-c", "write 0 4k", "-c", "abort",
                    str(crashed)], capture_output=True)
    run(q, "bench", "-w", "-c", "4", "-f", "qcow2", crashed)
    bc = info_json(REF, crashed)["format-specific"]["data"]["bitmaps"]
    assert all("in-use" in b["flags"] for b in bc)
    ref_check_clean(crashed)
    run(REF, "bitmap", "--remove", crashed, "b0")
    ref_check_clean(crashed)
    # A resize with such a bitmap drops the extension (it cannot follow).
    run(q, "resize", crashed, "+1M")
    assert "bitmaps" not in info_json(REF, crashed)["format-specific"][
        "data"]
    p = run(REF, "check", crashed, ok=False)
    assert p.returncode in (0, 3)  # leaked bitmap clusters at most


@pytest.mark.parametrize("args", [
    ["info"], ["check"], ["map"], ["snapshot"], ["compare", "a"], ["create"],
    ["convert", "a"], ["commit"], ["rebase", "x"], ["amend", "x"],
    ["measure"], ["dd"], ["resize", "x"], ["create", "-f", "qcow2", "x"]])
def test_usage_errors_like_reference(tools, tmp_path, args):
    q = tools
    pq = run(q, *args, ok=False, cwd=tmp_path)
    pr = run(REF, *args, ok=False, cwd=tmp_path)
    assert (pq.returncode, pq.stdout, pq.stderr) == (pr.returncode,
                                                     pr.stdout, pr.stderr)


@pytest.mark.parametrize("args", [
    ["snapshot", "-c", "x"], ["snapshot", "-d", "x"],
    ["amend", "-o", "compat=0.10"], ["rebase", "-u", "-b", "foo"],
    ["resize", "--shrink"]])
def test_raw_unsupported_ops_like_reference(tools, tmp_path, args):
    q = tools
    img = tmp_path / "r.img"
    run(REF, "create", "-q", "-f", "raw", img, "1M")
    fmt = [] if args[0] == "snapshot" else ["-f", "raw"]  # no -f there
    pq = run(q, *args, *fmt, img, ok=False)
    pr = run(REF, *args, *fmt, img, ok=False)
    assert (pq.returncode, pq.stderr) == (pr.returncode, pr.stderr)


def test_convert_from_internal_snapshot(tools, tmp_path):
    q = tools
    img = tmp_path / "s.qcow2"
    run(REF, "create", "-q", "-f", "qcow2", img, "4M")
    ref_io(str(img), "write -P 1 0 1M")
    run(REF, "snapshot", "-c", "one", img)
    ref_io(str(img), "write -P 2 0 512k")
    for sel in ("one", "snapshot.name=one", "snapshot.id=1"):
        run(q, "convert", "-l", sel, "-O", "raw", img, tmp_path / "q.raw")
        run(REF, "convert", "-l", sel, "-O", "raw", img, tmp_path / "r.raw")
        assert (tmp_path / "q.raw").read_bytes() == (
            tmp_path / "r.raw").read_bytes()
    pq = run(q, "convert", "-l", "nope", "-O", "raw", img, tmp_path / "x",
             ok=False)
    pr = run(REF, "convert", "-l", "nope", "-O", "raw", img, tmp_path / "y",
             ok=False)
    assert (pq.returncode, pq.stderr) == (pr.returncode, pr.stderr)


def test_commit_into_indirect_base(tools, tmp_path):
    q = tools
    cwd = tmp_path
    run(REF, "create", "-q", "-f", "qcow2", "b0.qcow2", "4M", cwd=cwd)
    ref_io(str(cwd / "b0.qcow2"), "write -P 1 0 1M")
    run(REF, "create", "-q", "-f", "qcow2", "-b", "b0.qcow2", "-F", "qcow2",
        "b1.qcow2", cwd=cwd)
    ref_io(str(cwd / "b1.qcow2"), "write -P 2 512k 1M", "write -z 3M 64k")
    run(REF, "create", "-q", "-f", "qcow2", "-b", "b1.qcow2", "-F", "qcow2",
        "b2.qcow2", cwd=cwd)
    ref_io(str(cwd / "b2.qcow2"), "write -P 3 1M 1M")
    run(REF, "convert", "-O", "raw", "b2.qcow2", "expect.raw", cwd=cwd)
    p = run(q, "commit", "-b", "b0.qcow2", "b2.qcow2", cwd=cwd)
    assert p.stdout == "Image committed.\n"
    ref_check_clean(cwd / "b0.qcow2")
    run(REF, "compare", "b0.qcow2", "expect.raw", cwd=cwd)
    run(REF, "compare", "b2.qcow2", "expect.raw", cwd=cwd)  # top unchanged
    assert info_json(REF, cwd / "b2.qcow2")["backing-filename"] == "b1.qcow2"
    pq = run(q, "commit", "-b", "nothere.qcow2", "b2.qcow2", ok=False,
             cwd=cwd)
    pr = run(REF, "commit", "-b", "nothere.qcow2", "b2.qcow2", ok=False,
             cwd=cwd)
    assert (pq.returncode, pq.stderr) == (pr.returncode, pr.stderr)
