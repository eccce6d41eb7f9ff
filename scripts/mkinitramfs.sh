#!/bin/sh
# mkinitramfs.sh INIT OUT.gz [FILE...]: a gzip'd cpio with busybox-static as
# every applet, INIT (a shell script) as /init and each FILE copied into
# /bin.  Used by `make run`, tests and benchmarks.
set -eu
init=$1
out=$2
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkinitramfs: $bb missing (package busybox-static)" >&2; exit 1; }
root=$(mktemp -d)
mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" \
         "$root/tmp" "$root/etc" "$root/root"
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do
    [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done
cp "$init" "$root/init"
shift 2
for f in "$@"; do
    cp "$f" "$root/bin/"
done
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -9 > "$out"
rm -rf "$root"
