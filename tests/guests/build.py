"""Builds the freestanding test guests in tests/guests/ with the host gcc.

    from build import build_guest
    elf = build_guest("hello", outdir)              # multiboot ELF
    flat = build_guest("hello", outdir, aout=True)  # flat binary, a.out kludge
    bz = build_guest("linux", outdir, linux=True)   # bzImage (boot protocol)

Each guest is <name>.c + lib.c + start.S (+ <name>.S if present) linked
at 1 MiB by link.ld.
Outputs are rebuilt when any source is newer.
"""
import os
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
GUESTS = ["hello", "cmos", "timer", "smp", "pci", "fwcfg", "acpi", "triple",
          "tick", "exitbench", "cpuid", "kbd", "edu", "excp", "modes",
          "splitlock"]
CFLAGS = ["-m32", "-march=i686", "-ffreestanding", "-nostdlib", "-fno-pic",
          "-fno-pie", "-no-pie", "-static", "-O2", "-Wall", "-Werror",
          "-fno-stack-protector", "-fno-asynchronous-unwind-tables",
          "-mgeneral-regs-only", "--param=min-pagesize=0",
          "-Wl,--build-id=none", "-Wl,-z,noexecstack",
          "-Wl,--no-warn-rwx-segments",
          "-Wl,-T," + os.path.join(HERE, "link.ld")]


def _setup_header(pm_size):
    """The real-mode part of a bzImage: 4 setup sectors + boot sector with
    the Linux boot protocol 2.15 header (Documentation/x86/boot.rst)."""
    setup = bytearray(5 * 512)
    setup[0x1f1] = 4                                         # setup_sects
    struct.pack_into("<I", setup, 0x1f4, (pm_size + 15) // 16)  # syssize
    struct.pack_into("<H", setup, 0x1fe, 0xaa55)             # boot_flag
    setup[0x200:0x202] = b"\xeb\x66"                         # jump
    setup[0x201] = 0x66                     # header ends at 0x202 + 0x66
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020f)             # version
    setup[0x211] = 0x01                                      # LOADED_HIGH
    struct.pack_into("<I", setup, 0x214, 0x100000)           # code32_start
    struct.pack_into("<I", setup, 0x22c, 0x7fffffff)         # initrd max
    struct.pack_into("<I", setup, 0x230, 0x1000)             # alignment
    struct.pack_into("<I", setup, 0x238, 2047)               # cmdline_size
    return bytes(setup)


def build_guest(name, outdir, aout=False, linux=False):
    """Returns the path of the built guest; raises on a compiler error."""
    os.makedirs(outdir, exist_ok=True)
    srcs = [os.path.join(HERE, f) for f in (name + ".c", "lib.c", "start.S")]
    if os.path.exists(os.path.join(HERE, name + ".S")):
        srcs.append(os.path.join(HERE, name + ".S"))  # the guest's own asm
    deps = srcs + [os.path.join(HERE, f) for f in ("lib.h", "link.ld",
                                                     "build.py")]
    if os.path.exists(os.path.join(HERE, name + ".h")):
        deps.append(os.path.join(HERE, name + ".h"))
    suffix = ".aout.elf" if aout else ".linux.elf" if linux else ".elf"
    elf = os.path.join(outdir, name + suffix)
    out = (os.path.join(outdir, name + ".bin") if aout else
           os.path.join(outdir, name + ".bzImage") if linux else elf)
    newest = max(os.path.getmtime(p) for p in deps)
    if os.path.exists(out) and os.path.getmtime(out) >= newest:
        return out
    defs = (["-DAOUT_KLUDGE"] if aout else []) + \
        (["-DLINUX_BOOT"] if linux else [])
    subprocess.run(["gcc"] + CFLAGS + defs + ["-o", elf] + srcs, check=True)
    if aout or linux:
        flat = out + ".flat" if linux else out
        subprocess.run(["objcopy", "-O", "binary", elf, flat], check=True)
    if linux:
        with open(flat, "rb") as f:
            pm = f.read()
        with open(out, "wb") as f:
            f.write(_setup_header(len(pm)) + pm)
    return out


if __name__ == "__main__":
    import sys
    outdir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/quasar-guests"
    for g in GUESTS:
        print(build_guest(g, outdir))
    print(build_guest("hello", outdir, aout=True))
    print(build_guest("linux", outdir, linux=True))
