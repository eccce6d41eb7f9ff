"""lazy_refcounts=on: refcount updates are deferred while the image is
marked dirty, a clean close writes them and clears the bit, and an image
left dirty by a crash is repaired when opened read-write, by Quasar
exactly as by QEMU (same messages, byte-identical result), in both
directions.
"""
import json
import os
import shutil
import subprocess

import pytest

from conftest import quasar_bin

REF = "/usr/bin/qemu-img"
REF_IO = "/usr/bin/qemu-io"


def run(*args, env=None):
    return subprocess.run([str(a) for a in args], capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def tools():
    if not os.path.exists(REF) or not os.path.exists(REF_IO):
        pytest.skip("Debian's qemu-img/qemu-io (qemu-utils) not installed")
    return (quasar_bin("qemu-img/qemu-img"),
            quasar_bin("tests/unit/block/block-writer"))


def dirty_flag(img):
    p = run(REF, "info", "--output=json", img)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["dirty-flag"]


def open_rw(tool, img):
    """Opens img read-write and closes it; returns stderr."""
    if tool == "ref":
        p = run(REF_IO, "-f", "qcow2", "-c", "flush", img)
        assert p.returncode == 0, p.stderr
        return p.stdout + p.stderr
    p = run(tool, "bench", "-w", "-c", "0", "-f", "qcow2", img)
    assert p.returncode == 0, p.stderr
    return p.stderr


def repair_both_ways(q, img, tmp_path):
    """Quasar and QEMU repair copies of img on open: same output, bytes."""
    other = tmp_path / "other.qcow2"
    shutil.copy(img, other)
    out_q = open_rw(q, img)
    out_r = open_rw("ref", other)
    assert out_q == out_r
    assert open(img, "rb").read() == open(other, "rb").read()
    assert not dirty_flag(img)
    p = run(REF, "check", img)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("crash_after", [3, 7, 11])
def test_quasar_crash_leaves_dirty_image_qemu_repairs_alike(tools, tmp_path,
                                                            crash_after):
    q, writer = tools
    img = tmp_path / "a.qcow2"
    p = run(q, "create", "-q", "-f", "qcow2", "-o",
            "lazy_refcounts=on,cluster_size=512", img, "8M")
    assert p.returncode == 0, p.stderr
    env = dict(os.environ, BLOCK_WRITER_EXIT_AFTER=str(crash_after))
    p = run(writer, img, "qcow2", "1", env=env)
    assert p.returncode == 0, p.stderr
    assert dirty_flag(img)
    # The refcounts really were deferred: some are missing on disk.
    pr, pq = run(REF, "check", img), run(q, "check", img)
    assert pr.returncode == 2, pr.stdout + pr.stderr
    assert (pq.returncode, pq.stdout, pq.stderr) == (pr.returncode,
                                                     pr.stdout, pr.stderr)
    repair_both_ways(q, img, tmp_path)


def test_qemu_crash_leaves_dirty_image_quasar_repairs_alike(tools, tmp_path):
    q, _ = tools
    img = tmp_path / "r.qcow2"
    assert run(REF, "create", "-q", "-f", "qcow2", "-o",
               "lazy_refcounts=on,cluster_size=4k", img, "8M").returncode == 0
    # qemu-io's "abort" crashes it with the dirty bit set.
    run(REF_IO, "-f", "qcow2", "-c", "write -P 9 0 100k", "-c",
        "write -P 8 4M 64k", "-c", "abort", img)
    assert dirty_flag(img)
    pr, pq = run(REF, "check", img), run(q, "check", img)
    assert pr.returncode == 2
    assert (pq.returncode, pq.stdout, pq.stderr) == (pr.returncode,
                                                     pr.stdout, pr.stderr)
    repair_both_ways(q, img, tmp_path)
    p = run(REF_IO, "-f", "qcow2", "-c", "read -P 9 0 100k", "-c",
            "read -P 8 4M 64k", img)
    assert p.returncode == 0 and "Pattern verification failed" not in p.stdout


def test_clean_close_clears_dirty_bit(tools, tmp_path):
    q, writer = tools
    img = tmp_path / "c.qcow2"
    assert run(q, "create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on",
               img, "64M").returncode == 0
    p = run(q, "bench", "-w", "-c", "200", "-S", "300k", "-f", "qcow2", img)
    assert p.returncode == 0, p.stderr
    assert not dirty_flag(img)
    p = run(REF, "check", img)
    assert p.returncode == 0, p.stdout
    # amend lazy_refcounts=off works on it and keeps it clean.
    assert run(q, "amend", "-o", "lazy_refcounts=off", img).returncode == 0
    assert not dirty_flag(img)
    assert run(REF, "check", img).returncode == 0
