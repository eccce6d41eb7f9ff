#!/bin/sh
# mkdisk-initrd.sh OUT.gz: a busybox initramfs for the default guest kernel
# ($BUILD/guests/vmlinuz, from scripts/prepare-guest.sh) that loads the
# modules of the pc machine's disks (libata + ata_piix, sd_mod, sr_mod,
# vfat, isofs and what they need), then prints
#     Quasar disk guest: <uname -sr>
# and opens a shell on the serial console (poweroff -f to leave).
# The modules come from the same Debian linux-image package (apt-get
# download + dpkg -x, cached in $BUILD/guests/modules/<release>/).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUT.gz" >&2; exit 2; }
out=$1
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${QUASAR_BUILD:-build}
guests="$BUILD/guests"
[ -f "$guests/kernel-release" ] ||
    { echo "$0: run scripts/prepare-guest.sh first" >&2; exit 1; }
rel=$(cat "$guests/kernel-release")
cache="$guests/modules/$rel"
WANT="ata_piix sd_mod sr_mod vfat nls_cp437 nls_ascii nls_iso8859_1 isofs"

if [ ! -f "$cache/load-order" ] || [ "$(cat "$cache/want" 2>/dev/null)" != "$WANT" ]; then
    rm -rf "$cache"
    tmp=$(mktemp -d)
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get download "linux-image-$rel" >/dev/null)
    dpkg -x "$tmp"/*.deb "$tmp/root"
    kdir="$tmp/root/lib/modules/$rel/kernel"
    mkdir -p "$cache"
    : >"$tmp/order"
    # name -> file index ("t10-pi" and "t10_pi" are one module)
    find "$kdir" -name '*.ko*' | while read -r f; do
        echo "$(basename "$f" | sed 's/\.ko.*//' | tr - _) $f"
    done >"$tmp/index"
    # Depth first: dependencies before the module.
    add() {
        local n f deps d
        n=$(echo "$1" | tr - _)
        grep -qx "$n" "$tmp/order" && return 0
        f=$(awk -v n="$n" '$1 == n { print $2; exit }' "$tmp/index")
        [ -n "$f" ] || return 0 # built in
        deps=$(objcopy -O binary -j .modinfo "$f" "$tmp/modinfo" &&
            tr '\0' '\n' <"$tmp/modinfo" | sed -n 's/^depends=//p' |
            tr , ' ')
        for d in $deps; do
            add "$d"
        done
        case "$f" in
        *.xz) xz -dc "$f" >"$cache/$n.ko" ;;
        *.zst) zstd -qdc "$f" >"$cache/$n.ko" ;;
        *) cp "$f" "$cache/$n.ko" ;;
        esac
        echo "$n" >>"$tmp/order"
    }
    for m in $WANT; do
        add "$m"
    done
    cp "$tmp/order" "$cache/load-order"
    echo "$WANT" >"$cache/want"
    rm -rf "$tmp"
fi

init=$(mktemp)
trap 'rm -f "$init"' EXIT
{
    echo '#!/bin/sh'
    echo 'mount -t proc proc /proc'
    echo 'mount -t sysfs sys /sys'
    echo 'mount -t devtmpfs dev /dev 2>/dev/null'
    for m in $(cat "$cache/load-order"); do
        echo "insmod /bin/$m.ko"
    done
    echo 'sleep 1'
    echo 'echo "Quasar disk guest: $(uname -sr)"'
    echo 'setsid cttyhack sh -l'
    echo 'poweroff -f'
} >"$init"
# shellcheck disable=SC2046
"$here/mkinitramfs.sh" "$init" "$out" \
    $(sed "s|^|$cache/|; s|$|.ko|" "$cache/load-order")
