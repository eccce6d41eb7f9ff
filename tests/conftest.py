"""Shared pytest fixtures for tests/functional and tests/interop.

Binaries come from the build directory named by $QUASAR_BUILD (default:
<repo>/build).  A test that needs something the machine lacks (/dev/kvm,
root, /dev/net/tun, a reference tool) skips with the reason.
"""
import os
import shutil
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("QUASAR_BUILD", os.path.join(REPO, "build"))

# Helper modules of tests/functional with asserts of their own: pytest
# explains their failures as it does a test's.
pytest.register_assert_rewrite("pcguests", "qtestpc")


def quasar_bin(name):
    """Path of a Quasar binary in the build dir; skip if it was not built."""
    path = os.path.join(BUILD, name)
    if not os.path.exists(path):
        pytest.skip(f"{name} was not built in {BUILD}")
    return path


def host_tool(name):
    """Path of a host/reference tool; skip when absent."""
    path = shutil.which(name)
    if not path:
        pytest.skip(f"{name} is not installed")
    return path


def linux_guest(tmp_path, init, files=(), skip_if_missing=False):
    """Debian's kernel (scripts/prepare-guest.sh) and an initramfs of the
    busybox shell whose /init is the text init, with files in /bin
    (scripts/mkinitramfs.sh).  Returns (vmlinuz path, initrd path).  When
    the kernel cannot be prepared: a failure, or a skip with
    skip_if_missing."""
    import subprocess
    prep = subprocess.run([os.path.join(REPO, "scripts", "prepare-guest.sh")],
                          env=dict(os.environ, QUASAR_BUILD=BUILD),
                          capture_output=True)
    why = prep.stderr.decode(errors="replace")
    if prep.returncode != 0 and skip_if_missing:
        pytest.skip("cannot fetch Debian's kernel: " + why[-200:])
    assert prep.returncode == 0, why
    script = tmp_path / "init"
    script.write_text(init)
    initrd = tmp_path / "initrd.gz"
    subprocess.run([os.path.join(REPO, "scripts", "mkinitramfs.sh"),
                    str(script), str(initrd)] + [str(f) for f in files],
                   check=True)
    return os.path.join(BUILD, "guests", "vmlinuz"), str(initrd)


def need_kvm():
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        pytest.skip("/dev/kvm is not available")


@pytest.fixture
def repo_dir():
    return REPO


@pytest.fixture
def build_dir():
    return BUILD


@pytest.fixture
def pc_factory():
    """pc_factory(*extra): a started pc machine under the test protocol
    (tests/functional/qtestpc.py); all of them are closed after the test."""
    from qtestpc import PC  # beside the functional tests that use it
    made = []

    def make(*extra):
        p = PC(extra)
        made.append(p)
        return p
    yield make
    for p in made:
        p.close()
