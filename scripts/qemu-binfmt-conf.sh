#!/bin/sh
# Registers Quasar's user-mode emulators (qemu-<arch>) with binfmt_misc so
# that foreign ELF programs run directly: ./prog -> qemu-<arch> ./prog.
# Command line compatible with QEMU's script of the same name.
#
# Usage: qemu-binfmt-conf.sh [--qemu-path PATH] [--qemu-suffix SUFFIX]
#          [--debian|--systemd CPU] [--exportdir DIR] [--persistent yes|no]
#          [--credential yes|no] [--preserve-argv0 yes|no] [--help] [CPU...]
#
# The ELF magic and mask match e_ident (64-bit, little-endian, version 1),
# e_type EXEC or DYN (the mask clears bit 0) and e_machine.

set -e

qemu_path=/usr/local/bin
qemu_suffix=
persistent=no
credential=no
preserve_argv0=no
mode=register   # register | debian | systemd
exportdir=
host_cpu=$(uname -m)

# name  magic  mask
x86_64_magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00'
x86_64_mask='\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
aarch64_magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
aarch64_mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
cpus="x86_64 aarch64"

usage() {
    cat <<USAGE
Usage: qemu-binfmt-conf.sh [--qemu-path PATH][--debian][--systemd CPU]
                           [--help][--credential yes|no][--exportdir PATH]
                           [--persistent yes|no][--qemu-suffix SUFFIX]
                           [--preserve-argv0 yes|no] [CPU...]

       Configure binfmt_misc to use qemu-<cpu> for foreign ELF programs.

       --qemu-path:   directory of the qemu-<cpu> binaries [$qemu_path]
       --qemu-suffix: add a suffix to the binary names [$qemu_suffix]
       --debian:      write update-binfmts templates instead of registering
       --systemd:     write systemd-binfmt.service configuration files
                      for CPU ("ALL" for all of: $cpus)
       --exportdir:   where --debian/--systemd write their files
       --credential:  'yes' sets the C flag (credentials of the program)
       --persistent:  'yes' sets the F flag (interpreter opened now)
       --preserve-argv0: 'yes' sets the P flag (pass argv[0] unchanged)

       The host CPU ($host_cpu) is never registered.
USAGE
}

flags() {
    f=
    [ "$preserve_argv0" = yes ] && f="${f}P"
    [ "$credential" = yes ] && f="${f}OC"
    [ "$persistent" = yes ] && f="${f}F"
    echo "$f"
}

register_one() {
    cpu=$1
    eval magic=\$${cpu}_magic
    eval mask=\$${cpu}_mask
    interp="$qemu_path/qemu-$cpu$qemu_suffix"
    case "$mode" in
    register)
        if [ ! -w /proc/sys/fs/binfmt_misc/register ]; then
            echo "qemu-binfmt-conf.sh: /proc/sys/fs/binfmt_misc/register is" \
                 "not writable (mount binfmt_misc and run as root)" >&2
            exit 1
        fi
        if [ -e "/proc/sys/fs/binfmt_misc/qemu-$cpu" ]; then
            echo -1 > "/proc/sys/fs/binfmt_misc/qemu-$cpu"
        fi
        printf '%s\n' ":qemu-$cpu:M::$magic:$mask:$interp:$(flags)" \
            > /proc/sys/fs/binfmt_misc/register
        ;;
    systemd)
        mkdir -p "$exportdir"
        printf '%s\n' ":qemu-$cpu:M::$magic:$mask:$interp:$(flags)" \
            > "$exportdir/qemu-$cpu.conf"
        ;;
    debian)
        mkdir -p "$exportdir"
        {
            echo "package qemu-$cpu"
            echo "interpreter $interp"
            echo "magic $magic"
            echo "mask $mask"
            [ "$credential" = yes ] && echo "credentials yes"
            [ "$persistent" = yes ] && echo "fix_binary yes"
            [ "$preserve_argv0" = yes ] && echo "preserve yes"
        } > "$exportdir/qemu-$cpu"
        ;;
    esac
}

selected=
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    -Q|--qemu-path) qemu_path=$2; shift ;;
    -F|--qemu-suffix) qemu_suffix=$2; shift ;;
    -d|--debian) mode=debian; exportdir=${exportdir:-/usr/share/binfmts} ;;
    -s|--systemd)
        mode=systemd; exportdir=${exportdir:-/etc/binfmt.d}
        if [ "$2" != ALL ]; then selected="$selected $2"; fi
        shift ;;
    -e|--exportdir) exportdir=$2; shift ;;
    -c|--credential) credential=$2; shift ;;
    -p|--persistent) persistent=$2; shift ;;
    -0|--preserve-argv0) preserve_argv0=$2; shift ;;
    -*) echo "qemu-binfmt-conf.sh: unknown option $1" >&2; usage >&2; exit 1 ;;
    *) selected="$selected $1" ;;
    esac
    shift
done

[ -z "$selected" ] && selected=$cpus
for cpu in $selected; do
    case " $cpus " in
    *" $cpu "*) ;;
    *) echo "qemu-binfmt-conf.sh: unknown CPU $cpu (known: $cpus)" >&2
       exit 1 ;;
    esac
    if [ "$cpu" = "$host_cpu" ]; then
        continue
    fi
    register_one "$cpu"
done
