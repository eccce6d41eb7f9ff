#!/bin/sh
# Makes a BIOS-bootable raw disk image that boots a Linux kernel through
# SYSLINUX, without root or loop devices:
#
#   scripts/mksyslinux-disk.sh KERNEL INITRD APPEND OUT.img
#
# INITRD may be "" or "-" for none.  Layout: syslinux's MBR, one active
# FAT16 partition (type 0Eh) from sector 2048 holding ldlinux.sys,
# syslinux.cfg, /vmlinuz and /initrd; syslinux.cfg echoes to COM1
# (SERIAL 0 115200) and boots "linux" at once with APPEND.
# Needs mkfs.vfat (dosfstools), mcopy (mtools) and syslinux (syslinux,
# syslinux-common): scripts/setup-deps.sh --tests installs them.
set -eu

usage() {
    echo "usage: $0 KERNEL INITRD APPEND OUT.img" >&2
    exit 2
}
[ $# -eq 4 ] || usage
kernel=$1
initrd=$2
append=$3
out=$4
[ "$initrd" = "-" ] && initrd=""

for t in mkfs.vfat mcopy syslinux; do
    if ! command -v $t >/dev/null 2>&1 && [ ! -x /usr/sbin/$t ] &&
        [ ! -x /sbin/$t ]; then
        echo "$0: $t is missing (scripts/setup-deps.sh --tests)" >&2
        exit 1
    fi
done
PATH=$PATH:/usr/sbin:/sbin
mbr=""
for m in /usr/lib/syslinux/mbr/mbr.bin /usr/lib/SYSLINUX/mbr.bin \
    /usr/share/syslinux/mbr.bin; do
    [ -f "$m" ] && mbr=$m && break
done
[ -n "$mbr" ] || { echo "$0: syslinux's mbr.bin not found" >&2; exit 1; }
[ -f "$kernel" ] || { echo "$0: $kernel: not found" >&2; exit 1; }
[ -z "$initrd" ] || [ -f "$initrd" ] ||
    { echo "$0: $initrd: not found" >&2; exit 1; }

# Partition: the files plus 8 MiB, at least 16 MiB, in whole MiB.
bytes=$(stat -c %s "$kernel")
[ -z "$initrd" ] || bytes=$((bytes + $(stat -c %s "$initrd")))
part_mib=$(((bytes + 8 * 1048576 + 1048575) / 1048576))
[ $part_mib -ge 16 ] || part_mib=16
start=2048
part_sectors=$((part_mib * 2048))

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rm -f "$out"
truncate -s $(((start + part_sectors) * 512)) "$out"
mkfs.vfat -F 16 -n QUASAR --offset $start "$out" $((part_sectors / 2)) \
    >/dev/null

{
    echo "SERIAL 0 115200"
    echo "DEFAULT linux"
    echo "PROMPT 0"
    echo "TIMEOUT 1"
    echo "LABEL linux"
    echo "  KERNEL /vmlinuz"
    [ -z "$initrd" ] || echo "  INITRD /initrd"
    echo "  APPEND $append"
} >"$tmp/syslinux.cfg"

export MTOOLS_SKIP_CHECK=1
img="$out@@$((start * 512))"
mcopy -i "$img" "$kernel" ::vmlinuz
[ -z "$initrd" ] || mcopy -i "$img" "$initrd" ::initrd
mcopy -i "$img" "$tmp/syslinux.cfg" ::syslinux.cfg
syslinux --install --offset $((start * 512)) "$out"

# MBR: syslinux's boot code, one active FAT16 (LBA) partition, 55AA.
dd if="$mbr" of="$out" bs=440 count=1 conv=notrunc status=none
le32() {
    printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))"
    printf "\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 24 & 255)))"
}
{
    printf '\200\376\377\377\016\376\377\377'
    le32 $start
    le32 $part_sectors
} | dd of="$out" bs=1 seek=446 conv=notrunc status=none
printf '\125\252' | dd of="$out" bs=1 seek=510 conv=notrunc status=none
