#!/bin/sh
# Prepares the default x86-64 guest in $BUILD/guests:
#   vmlinuz            Debian 12's linux-image-6.1.*-amd64 (apt-get download +
#                      dpkg -x; nothing is installed into /boot)
#   initrd-shell.gz    busybox-static initramfs whose /init opens a shell on
#                      the serial console (what `make run` boots)
# Re-running is a no-op once both exist.
set -eu
BUILD=${QUASAR_BUILD:-build}
OUT="$BUILD/guests"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [ ! -f "$OUT/vmlinuz" ]; then
    # The versioned package linux-image-amd64 points at, e.g. 6.1.0-30-amd64.
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
          sed -n 's/.*Depends: \(linux-image-6\.1[^ ]*-amd64\)$/\1/p' | head -n1)
    if [ -z "$pkg" ]; then
        apt-get update -qq >/dev/null 2>&1 || true
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
              sed -n 's/.*Depends: \(linux-image-6\.1[^ ]*-amd64\)$/\1/p' | head -n1)
    fi
    [ -n "$pkg" ] || { echo "prepare-guest: no linux-image-6.1 package found" >&2; exit 1; }
    tmp=$(mktemp -d)
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get download "$pkg" >/dev/null)
    dpkg -x "$tmp"/*.deb "$tmp/root"
    cp "$tmp"/root/boot/vmlinuz-* "$OUT/vmlinuz"
    echo "${pkg#linux-image-}" > "$OUT/kernel-release"
    rm -rf "$tmp"
fi

if [ ! -f "$OUT/initrd-shell.gz" ]; then
    cat > "$OUT/init-shell" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "Quasar guest: $(uname -sr), $(grep -c ^processor /proc/cpuinfo) CPU(s). 'poweroff -f' to leave."
setsid cttyhack sh -l
poweroff -f
INIT
    "$(dirname "$0")/mkinitramfs.sh" "$OUT/init-shell" "$OUT/initrd-shell.gz"
fi
