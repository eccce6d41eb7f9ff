"""./configure maps QEMU's options onto meson; make install installs."""
import os
import subprocess

from conftest import REPO, BUILD, quasar_bin


def test_configure_rejects_unknown_option():
    p = subprocess.run(["./configure", "--frobnicate"], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "ERROR: unknown option --frobnicate" in p.stderr


def test_configure_maps_options(tmp_path):
    bdir = tmp_path / "b"
    p = subprocess.run(["./configure", f"--builddir={bdir}",
                        "--prefix=/opt/quasar",
                        "--target-list=x86_64-softmmu", "--disable-sdl",
                        "--enable-debug"],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    conf = subprocess.run(["meson", "configure", str(bdir)],
                          capture_output=True, text=True, timeout=60).stdout
    def value(name):
        for line in conf.splitlines():
            parts = line.split()
            if parts and parts[0] == name:
                return parts[1]
        return None
    assert value("prefix") == "/opt/quasar"
    assert value("targets") == "x86_64-softmmu"
    assert value("sdl") == "disabled"
    assert value("buildtype") == "debug"


def test_install_destdir(tmp_path):
    quasar_bin("qemu-system-x86_64")
    env = dict(os.environ, DESTDIR=str(tmp_path))
    p = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild",
                        "--quiet"], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    found = [os.path.join(d, f) for d, _, fs in os.walk(tmp_path)
             for f in fs]
    assert any(f.endswith("/bin/qemu-system-x86_64") for f in found), found
