"""Builds the freestanding test guests in tests/guests/ with the host gcc.

    from build import build_guest
    elf = build_guest("hello", outdir)              # multiboot ELF
    flat = build_guest("hello", outdir, aout=True)  # flat binary, a.out kludge

Each guest is <name>.c + lib.c + start.S linked at 1 MiB by link.ld.
Outputs are rebuilt when any source is newer.
"""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
GUESTS = ["hello", "cmos", "timer", "smp", "pci", "fwcfg", "acpi", "triple",
          "tick"]
CFLAGS = ["-m32", "-march=i686", "-ffreestanding", "-nostdlib", "-fno-pic",
          "-fno-pie", "-no-pie", "-static", "-O2", "-Wall", "-Werror",
          "-fno-stack-protector", "-fno-asynchronous-unwind-tables",
          "-mgeneral-regs-only", "--param=min-pagesize=0",
          "-Wl,--build-id=none", "-Wl,-z,noexecstack",
          "-Wl,--no-warn-rwx-segments",
          "-Wl,-T," + os.path.join(HERE, "link.ld")]


def build_guest(name, outdir, aout=False):
    """Returns the path of the built guest; raises on a compiler error."""
    os.makedirs(outdir, exist_ok=True)
    srcs = [os.path.join(HERE, f) for f in (name + ".c", "lib.c", "start.S")]
    deps = srcs + [os.path.join(HERE, f) for f in ("lib.h", "link.ld")]
    elf = os.path.join(outdir, name + (".aout.elf" if aout else ".elf"))
    out = os.path.join(outdir, name + ".bin") if aout else elf
    newest = max(os.path.getmtime(p) for p in deps)
    if os.path.exists(out) and os.path.getmtime(out) >= newest:
        return out
    cmd = ["gcc"] + CFLAGS + (["-DAOUT_KLUDGE"] if aout else []) + \
        ["-o", elf] + srcs
    subprocess.run(cmd, check=True)
    if aout:
        subprocess.run(["objcopy", "-O", "binary", elf, out], check=True)
    return out


if __name__ == "__main__":
    import sys
    outdir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/quasar-guests"
    for g in GUESTS:
        print(build_guest(g, outdir))
    print(build_guest("hello", outdir, aout=True))
