#!/bin/sh
# Installs the Debian packages that building (and, with --tests, testing)
# Quasar need, when they are missing.  A fast no-op when everything is
# there.  Run as root (or with sudo available).
#   scripts/setup-deps.sh           build + `make run` (guest kernel, busybox)
#   scripts/setup-deps.sh --tests   also the test runners and the reference
#                                   tools the tests compare against
#                                   (Debian's qemu-img, qemu-system-x86_64)
set -eu

PKGS="build-essential meson ninja-build pkg-config libglib2.0-dev
libpixman-1-dev zlib1g-dev libfdt-dev libsdl2-dev libslirp-dev
libcapstone-dev libjansson-dev libzstd-dev python3 busybox-static cpio"
if [ "${1:-}" = "--tests" ]; then
    PKGS="$PKGS python3-pytest python3-pytest-timeout python3-pexpect
qemu-utils qemu-system-x86 seabios acpica-tools perl xz-utils gzip
syslinux syslinux-common mtools dosfstools xorriso nodejs"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "setup-deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "setup-deps: run as root: apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
