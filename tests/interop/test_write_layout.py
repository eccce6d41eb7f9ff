"""The same requests through Quasar's block layer (block-ops) and through
Debian's qemu-io give the same qcow2 image, byte for byte: partial-cluster
writes on extended-L2 images allocate and copy only the subclusters they
touch, zero writes set zero flags (whole units whose rest already reads
as zero included), discards leave zero clusters where QEMU does, v2
images zero by discarding, and the space of clusters freed by discards
and unmapping zero writes is punched out of the file.
"""
import os
import subprocess

import pytest

from conftest import quasar_bin

REF = "/usr/bin/qemu-img"
REF_IO = "/usr/bin/qemu-io"


def run(*args):
    p = subprocess.run([str(a) for a in args], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, f"{args}: {p.stderr}"
    return p


def qemu_io_cmd(op):
    f = op.split(":")
    return {
        "w": lambda: f"write -P {f[3]} {f[1]} {f[2]}",
        "c": lambda: f"write -c -P {f[3]} {f[1]} {f[2]}",
        "z": lambda: f"write -z {f[1]} {f[2]}",
        "u": lambda: f"write -z -u {f[1]} {f[2]}",
        "d": lambda: f"discard {f[1]} {f[2]}",
    }[f[0]]()


X = "extended_l2=on"
P = "cluster_size=64k"
V = "compat=0.10"
CASES = {
    # extended L2 (64 KiB clusters, 2 KiB subclusters)
    "x_write_4k": (X, "1M", ["w:0:4k:1"], False),
    "x_write_1k_mid": (X, "1M", ["w:8704:1k:2"], False),
    "x_across_clusters": (X, "1M", ["w:63k:4k:3"], False),
    "x_two_writes": (X, "1M", ["w:0:4k:1", "w:20k:2k:2"], False),
    "x_zero_subcluster": (X, "1M", ["w:0:64k:1", "z:16k:2k"], False),
    "x_zero_unmap": (X, "1M", ["w:0:64k:1", "u:16k:4k"], False),
    "x_zero_empty": (X, "1M", ["z:16k:2k"], False),
    "x_zero_partial": (X, "1M", ["w:0:64k:1", "z:16k:1k"], False),
    "x_backing_512": (X, "1M", ["w:1k:512:4"], True),
    "x_backing_4k": (X, "1M", ["w:4k:4k:4"], True),
    "x_backing_zero": (X, "1M", ["z:4k:4k"], True),
    "x_backing_discard": (X, "1M", ["w:0:64k:3", "d:0:64k"], True),
    "x_image_tail": (X, "1000k", ["w:990k:2k:5"], False),
    "x_32k_clusters": (X + ",cluster_size=32k", "1M",
                       ["w:1k:3k:6", "w:10k:1:7"], False),
    "x_compressed_then_write": (X, "1M", ["c:0:64k:8", "w:4k:1k:9"], False),
    "x_zero_then_write": (X, "1M", ["z:0:64k", "w:4k:1k:9"], False),
    "x_mixed": (X, "4M", ["w:100k:1k:1", "w:300k:10k:2", "z:600k:8k",
                          "w:1M:70k:3", "w:2049k:1:4", "w:130k:1k:5"], False),
    "x_in_place_span": (X, "1M", ["w:0:200k:1", "z:70k:2k", "w:60k:80k:2",
                                  "w:3k:130k:3"], False),
    # plain v3
    "p_write_4k": (P, "1M", ["w:0:4k:1"], False),
    "p_zero_head": (P, "1M", ["z:1k:2k"], False),
    "p_zero_head_data": (P, "1M", ["w:0:64k:1", "z:1k:2k"], False),
    "p_zero_span": (P, "1M", ["w:0:64k:1", "z:1k:200k"], False),
    "p_zero_span_empty": (P, "1M", ["z:1k:200k"], False),
    "p_zero_image_end": (P, "1000k", ["z:990k:10k"], False),
    "p_backing_zero": (P, "1M", ["z:1k:2k"], True),
    "p_discard": (P, "1M", ["w:0:128k:3", "d:0:64k"], False),
    "p_zero_unmap": (P, "1M", ["w:0:128k:3", "u:0:64k"], False),
    "p_mixed": (P, "4M", ["w:100k:1k:1", "w:300k:10k:2", "z:600k:8k",
                          "w:1M:70k:3", "w:2049k:1:4", "u:1M:64k"], False),
    # v2
    "v2_zero": (V, "1M", ["z:1k:2k", "w:64k:64k:1", "z:64k:64k"], False),
    "v2_zero_backing": (V, "1M", ["z:1k:200k"], True),
    "v2_discard": (V, "1M", ["w:0:128k:3", "d:0:64k"], False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_requests_same_image(tmp_path, name):
    if not os.path.exists(REF) or not os.path.exists(REF_IO):
        pytest.skip("Debian's qemu-img/qemu-io (qemu-utils) not installed")
    ops_bin = quasar_bin("tests/unit/block/block-ops")
    opts, size, ops, backing = CASES[name]
    base = tmp_path / "base.raw"
    base.write_bytes(bytes([0xBB]) * (1 << 20))
    out = {}
    for tool in ("quasar", "qemu"):
        img = tmp_path / f"{tool}.qcow2"
        args = [REF, "create", "-q", "-f", "qcow2", "-o", opts]
        if backing:
            args += ["-b", base, "-F", "raw"]
        run(*args, img, size)
        if tool == "quasar":
            run(ops_bin, img, "qcow2", *ops)
        else:
            cmd = [REF_IO, "-f", "qcow2"]
            for op in ops:
                cmd += ["-c", qemu_io_cmd(op)]
            run(*cmd, img)
        out[tool] = (run(REF, "map", "--output=json", img).stdout,
                     open(img, "rb").read())
        run(REF, "check", img)
    assert out["quasar"][0] == out["qemu"][0]  # the map first: readable
    assert out["quasar"][1] == out["qemu"][1]
