#!/bin/sh
# `make run`: boots the default guest (Debian's kernel + a busybox
# initramfs, prepared by scripts/prepare-guest.sh) on the pc machine with
# the serial console and the monitor multiplexed on this terminal:
# Ctrl-a x quits, Ctrl-a c switches to the monitor and back.
# TCG by default; KVM on hosts with hardware KVM (kvm_intel/kvm_amd; the
# nested KVM-PVM of CI machines runs a Linux kernel too slowly).
set -eu
BUILD=${QUASAR_BUILD:-build}
QUASAR_BUILD=$BUILD "$(dirname "$0")/prepare-guest.sh"
accel=tcg
if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
    accel=kvm
fi
echo "Quasar: booting $BUILD/guests/vmlinuz under $accel (Ctrl-a x quits, Ctrl-a c: monitor)."
exec "$BUILD/qemu-system-x86_64" -accel "$accel" -m 512 -smp 2 -nographic \
    -kernel "$BUILD/guests/vmlinuz" -initrd "$BUILD/guests/initrd-shell.gz" \
    -append "console=ttyS0 quiet"
