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
