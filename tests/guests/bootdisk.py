"""Bootable disk images for the BIOS boot tests, built with the host gcc.

    from bootdisk import build_bootsect, make_ata_disk, pat_sector
    mbr = build_bootsect("bootsect", outdir)    # 512-byte boot sector
    img = make_ata_disk(outdir)                 # diskboot + ata guest

bootsect.S prints a marker; diskboot.S loads a multiboot a.out-kludge
guest (ata.c) from LBA 1 with INT 13h and starts it in protected mode.
"""
import os
import struct
import subprocess

from build import build_guest

HERE = os.path.dirname(os.path.abspath(__file__))

# Layout shared with diskboot.S and ata.c.
PAYLOAD_LBA = 1
PAYLOAD_SECTORS = 128
DATA_LBA = 2048
DATA_SECTORS = 16
HIGH_LBA = 0x10000010
HIGH_SECTORS = 16
WRITE_LBA = 3000
WRITE_SALT = 0x01000000
DISK_SECTORS = HIGH_LBA + 64  # a little over 128 GiB, sparse


def pat_sector(lba):
    """What ata.c expects in sector lba: word i = lba * golden + i."""
    base = (lba * 0x9e3779b1 + (lba >> 32)) & 0xffffffff
    return struct.pack("<128I", *[(base + i) & 0xffffffff
                                  for i in range(128)])


def build_bootsect(name, outdir):
    """Assembles tests/guests/<name>.S into a 512-byte boot sector."""
    os.makedirs(outdir, exist_ok=True)
    src = os.path.join(HERE, name + ".S")
    obj = os.path.join(outdir, name + ".o")
    elf = os.path.join(outdir, name + ".boot.elf")
    out = os.path.join(outdir, name + ".bin")
    deps = (src, __file__, os.path.join(HERE, "boot16.inc"))
    if os.path.exists(out) and os.path.getmtime(out) >= max(
            os.path.getmtime(p) for p in deps):
        return out
    subprocess.run(["gcc", "-m32", "-c", "-o", obj, src], check=True)
    subprocess.run(["ld", "-m", "elf_i386", "-Ttext=0x7c00", "-e", "_start",
                    "--no-warn-rwx-segments", "-o", elf, obj], check=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", elf, out],
                   check=True)
    if os.path.getsize(out) != 512:
        raise RuntimeError(f"{name}: boot sector is "
                           f"{os.path.getsize(out)} bytes, not 512")
    return out


def make_ata_disk(outdir, path=None):
    """diskboot.S + the ata guest + the data ata.c checks; returns path."""
    mbr = build_bootsect("diskboot", outdir)
    guest = build_guest("ata", outdir, aout=True)
    payload = open(guest, "rb").read()
    if len(payload) > PAYLOAD_SECTORS * 512:
        raise RuntimeError("ata guest larger than the loader reads")
    path = path or os.path.join(outdir, "ata-disk.img")
    with open(path, "wb") as f:
        f.write(open(mbr, "rb").read())
        f.seek(PAYLOAD_LBA * 512)
        f.write(payload)
        f.seek(DATA_LBA * 512)
        for lba in range(DATA_LBA, DATA_LBA + DATA_SECTORS):
            f.write(pat_sector(lba))
        f.seek(HIGH_LBA * 512)
        for lba in range(HIGH_LBA, HIGH_LBA + HIGH_SECTORS):
            f.write(pat_sector(lba))
        f.truncate(DISK_SECTORS * 512)
    return path


SETUP_STUB_OFFSET = 0x268  # right after the setup header (jump at 0x200)


def build_linux_bios(outdir):
    """The "linux" guest's bzImage with real-mode setup code
    (linuxsetup.S), so that BIOS boot loaders such as SYSLINUX start it
    as they start Linux.  Direct (32-bit) boot still works."""
    bz = build_guest("linux", outdir, linux=True)
    src = os.path.join(HERE, "linuxsetup.S")
    obj = os.path.join(outdir, "linuxsetup.o")
    elf = os.path.join(outdir, "linuxsetup.elf")
    stub = os.path.join(outdir, "linuxsetup.bin")
    out = os.path.join(outdir, "linux-bios.bzImage")
    if os.path.exists(out) and os.path.getmtime(out) >= max(
            os.path.getmtime(p) for p in (src, bz, __file__)):
        return out
    subprocess.run(["gcc", "-m32", "-c", "-o", obj, src], check=True)
    subprocess.run(["ld", "-m", "elf_i386",
                    f"-Ttext={SETUP_STUB_OFFSET:#x}", "-e", "_start",
                    "--no-warn-rwx-segments", "-o", elf, obj], check=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", elf, stub],
                   check=True)
    image = bytearray(open(bz, "rb").read())
    code = open(stub, "rb").read()
    setup_end = (image[0x1f1] + 1) * 512
    if SETUP_STUB_OFFSET + len(code) > setup_end:
        raise RuntimeError("linuxsetup.S does not fit in the setup sectors")
    if image[0x200:0x202] != b"\xeb\x66":
        raise RuntimeError("unexpected jump at 0x200 of the linux guest")
    image[SETUP_STUB_OFFSET:SETUP_STUB_OFFSET + len(code)] = code
    with open(out, "wb") as f:
        f.write(image)
    return out
