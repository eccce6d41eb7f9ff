"""Booting from disks through the BIOS: Debian's SeaBIOS (the default
firmware without -kernel) finds the IDE disk or CD-ROM, loads its boot
sector and runs it.

- bootsect.S prints "BOOTSECT-OK dl=XX" (XX: BIOS drive, 80 for the first
  hard disk, E0 for the CD) and exits through isa-debug-exit;
- diskboot.S loads the ata.c guest with INT 13h (extended and CHS reads),
  which then checks the disk with ATA PIO, LBA48, DMA and writes;
- a SYSLINUX FAT disk (scripts/mksyslinux-disk.sh) boots the "linux" test
  guest with its command line.

Under KVM these run on small guests (TESTING.md); Debian's QEMU is the
reference where noted.  The TCG tests skip until the pc machine boots
firmware under -accel tcg."""
import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, need_kvm, quasar_bin

sys.path.insert(0, os.path.join(REPO, "tests", "guests"))
import bootdisk  # noqa: E402

EXIT_PASS = (0x20 << 1) | 1


def boot(args, accel="kvm", timeout=120, exe=None):
    exe = exe or quasar_bin("qemu-system-x86_64")
    p = subprocess.run(
        [exe, "-M", "pc", "-accel", accel, "-m", "128", "-display", "none",
         "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
        + list(args), capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace").replace("\r", "")


@pytest.fixture(scope="module")
def guests(tmp_path_factory):
    return str(tmp_path_factory.mktemp("guests"))


@pytest.fixture(scope="module")
def bootsect_disk(guests):
    path = os.path.join(guests, "bootsect.img")
    with open(path, "wb") as f:
        f.write(open(bootdisk.build_bootsect("bootsect", guests), "rb").read())
        f.truncate(1 << 20)
    return path


@pytest.fixture(scope="module")
def bootsect_iso(guests):
    """An El Torito (no emulation) CD whose boot image is bootsect.S."""
    xorriso = shutil.which("xorriso")
    if not xorriso:
        pytest.skip("xorriso is not installed (scripts/setup-deps.sh --tests)")
    root = os.path.join(guests, "isoroot")
    os.makedirs(root, exist_ok=True)
    shutil.copy(bootdisk.build_bootsect("bootsect", guests),
                os.path.join(root, "boot.img"))
    iso = os.path.join(guests, "bootsect.iso")
    subprocess.run([xorriso, "-as", "mkisofs", "-quiet", "-o", iso, "-b",
                    "boot.img", "-no-emul-boot", "-boot-load-size", "1",
                    root], check=True, capture_output=True)
    return iso


def test_bootsect_from_disk(bootsect_disk):
    need_kvm()
    status, out = boot(["-drive", f"file={bootsect_disk},format=raw"])
    assert "BOOTSECT-OK dl=80" in out, out
    assert status == EXIT_PASS


def test_bootsect_from_cdrom(bootsect_iso):
    need_kvm()
    status, out = boot(["-cdrom", bootsect_iso, "-boot", "d"])
    assert "BOOTSECT-OK dl=E0" in out, out
    assert status == EXIT_PASS


def test_boot_order(bootsect_disk, bootsect_iso):
    """-boot picks the device through CMOS; bootindex through the
    "bootorder" fw_cfg file, which wins over -boot."""
    need_kvm()
    both = ["-drive", f"file={bootsect_disk},format=raw,if=ide,index=0",
            "-cdrom", bootsect_iso]
    _, out = boot(both + ["-boot", "order=c"])
    assert "dl=80" in out, out
    _, out = boot(both + ["-boot", "order=dc,menu=off"])
    assert "dl=E0" in out, out
    _, out = boot(["-drive", f"file={bootsect_disk},format=raw,if=none,id=hd",
                   "-drive", f"file={bootsect_iso},media=cdrom,if=none,id=cd",
                   "-device", "ide-hd,drive=hd,bus=ide.0,bootindex=2",
                   "-device", "ide-cd,drive=cd,bus=ide.1,bootindex=1",
                   "-boot", "order=c"])
    assert "dl=E0" in out, out


@pytest.fixture(scope="module")
def ata_disk(guests):
    return bootdisk.make_ata_disk(guests)


ATA_MARKERS = ["DISKBOOT dl=80", "INT13-OK", "INT13-DATA-OK",
               "ATA-IDENTIFY-OK model=QEMU HARDDISK sectors=268435536+0<<32",
               "ATA-PIO-OK", "ATA-LBA48-OK", "ATA-DMA-OK", "ATA-WRITE-OK",
               "ATA-ERROR-OK", "PASS"]


def check_ata_writes(path):
    with open(path, "rb") as f:
        f.seek(bootdisk.WRITE_LBA * 512)
        for lba in range(bootdisk.WRITE_LBA, bootdisk.WRITE_LBA + 4):
            assert f.read(512) == bootdisk.pat_sector(
                lba + bootdisk.WRITE_SALT), lba


def test_int13_and_ata_guest(ata_disk):
    """SeaBIOS INT 13h, then ATA PIO/LBA48/DMA/writes from the guest."""
    need_kvm()
    status, out = boot(["-drive", f"file={ata_disk},format=raw"])
    lines = out.splitlines()
    for m in ATA_MARKERS:
        assert m in lines, out
    assert status == EXIT_PASS
    check_ata_writes(ata_disk)


def test_ata_guest_same_on_reference(ata_disk, guests):
    """The same disk under Debian's QEMU (KVM) prints the same markers."""
    need_kvm()
    ref = shutil.which("qemu-system-x86_64")
    if not ref:
        pytest.skip("Debian's qemu-system-x86_64 is not installed")
    disk = bootdisk.make_ata_disk(guests, os.path.join(guests, "ref.img"))
    status, out = boot(["-drive", f"file={disk},format=raw"], exe=ref)
    lines = out.splitlines()
    assert [m for m in ATA_MARKERS if m in lines] == ATA_MARKERS, out
    assert status == EXIT_PASS
    check_ata_writes(disk)


def kvm_is_pvm():
    return (os.path.exists("/sys/module/kvm_pvm") and
            not os.path.exists("/sys/module/kvm_intel") and
            not os.path.exists("/sys/module/kvm_amd"))


@pytest.fixture(scope="module")
def syslinux_disk(guests):
    for tool in ("syslinux", "mcopy"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed "
                        "(scripts/setup-deps.sh --tests)")
    if not (shutil.which("mkfs.vfat") or os.path.exists("/usr/sbin/mkfs.vfat")
            or os.path.exists("/sbin/mkfs.vfat")):
        pytest.skip("mkfs.vfat is not installed")
    kernel = bootdisk.build_linux_bios(guests)
    disk = os.path.join(guests, "syslinux.img")
    subprocess.run([os.path.join(REPO, "scripts", "mksyslinux-disk.sh"),
                    kernel, "-", "console=ttyS0 quasar-marker=42", disk],
                   check=True)
    return disk


LINUX_GUEST_MARKERS = [
    "linux: boot_params at 5000, CS 10 DS 18",
    "linux: cmdline 'BOOT_IMAGE=/vmlinuz console=ttyS0 quasar-marker=42'",
    "PASS"]


def test_syslinux_disk_reference_tcg(syslinux_disk):
    """The disk itself is right: Debian's QEMU (TCG) boots it."""
    ref = shutil.which("qemu-system-x86_64")
    if not ref:
        pytest.skip("Debian's qemu-system-x86_64 is not installed")
    status, out = boot(["-drive", f"file={syslinux_disk},format=raw"],
                       accel="tcg", exe=ref)
    assert "SYSLINUX" in out
    for m in LINUX_GUEST_MARKERS:
        assert m in out.splitlines(), out
    assert status == EXIT_PASS


def test_syslinux_disk_kvm(syslinux_disk):
    need_kvm()
    if kvm_is_pvm():
        pytest.skip("kvm_pvm stops SYSLINUX with a KVM internal error "
                    "(emulation failure at an IRET in its protected-mode "
                    "core); Debian's QEMU fails the same way on this host")
    status, out = boot(["-drive", f"file={syslinux_disk},format=raw"])
    for m in LINUX_GUEST_MARKERS:
        assert m in out.splitlines(), out
    assert status == EXIT_PASS


_tcg_ok = None


def need_tcg_pc(bootsect_disk):
    """Skips unless -accel tcg runs the pc machine through SeaBIOS far
    enough to boot a boot sector."""
    global _tcg_ok
    if _tcg_ok is None:
        try:
            status, out = boot(["-drive", f"file={bootsect_disk},format=raw"],
                               accel="tcg", timeout=30)
            _tcg_ok = "BOOTSECT-OK dl=80" in out
        except subprocess.TimeoutExpired:
            _tcg_ok = False
    if not _tcg_ok:
        pytest.skip("-accel tcg does not boot the pc machine through SeaBIOS "
                    "yet (a boot sector's marker did not appear)")


def test_bootsect_tcg(bootsect_disk):
    need_tcg_pc(bootsect_disk)
    status, out = boot(["-drive", f"file={bootsect_disk},format=raw"],
                       accel="tcg")
    assert status == EXIT_PASS


@pytest.mark.parametrize("aio", ["threads", "io_uring"])
def test_int13_and_ata_guest_tcg(bootsect_disk, ata_disk, aio):
    """The ATA guest (INT 13h, PIO, LBA48, DMA, writes) with the drive's
    requests on the thread pool and on io_uring (-drive aio=)."""
    need_tcg_pc(bootsect_disk)
    status, out = boot(["-drive", f"file={ata_disk},format=raw,aio={aio}"],
                       accel="tcg")
    for m in ATA_MARKERS:
        assert m in out.splitlines(), out
    check_ata_writes(ata_disk)


def test_syslinux_linux_guest_tcg(bootsect_disk, syslinux_disk):
    need_tcg_pc(bootsect_disk)
    status, out = boot(["-drive", f"file={syslinux_disk},format=raw"],
                       accel="tcg")
    for m in LINUX_GUEST_MARKERS:
        assert m in out.splitlines(), out
    assert status == EXIT_PASS


def debian_disk_guest(guests):
    """build/guests/vmlinuz (scripts/prepare-guest.sh) and an initramfs
    with its disk modules (scripts/mkdisk-initrd.sh)."""
    d = os.path.join(REPO, "build", "guests")
    kernel = os.path.join(d, "vmlinuz")
    if not os.path.exists(kernel):
        pytest.skip("run scripts/prepare-guest.sh for build/guests/vmlinuz")
    initrd = os.path.join(guests, "disk-initrd.gz")
    if not os.path.exists(initrd):
        p = subprocess.run([os.path.join(REPO, "scripts", "mkdisk-initrd.sh"),
                            initrd], capture_output=True, text=True,
                           env=dict(os.environ,
                                    QUASAR_BUILD=os.path.join(REPO, "build")))
        if p.returncode:
            pytest.skip("scripts/mkdisk-initrd.sh failed (needs apt-get "
                        "download of the kernel package): " + p.stderr[-500:])
    return kernel, initrd


def test_syslinux_debian_kernel_tcg(bootsect_disk, bootsect_iso, guests):
    """SeaBIOS -> SYSLINUX -> Debian's kernel from an IDE disk, under TCG:
    ata_piix finds the disk and the CD-ROM; the shell mounts the disk's
    FAT partition (sd_mod, vfat) and the CD (sr_mod, isofs)."""
    import select
    import time
    need_tcg_pc(bootsect_disk)
    kernel, initrd = debian_disk_guest(guests)
    disk = os.path.join(guests, "debian-syslinux.img")
    subprocess.run([os.path.join(REPO, "scripts", "mksyslinux-disk.sh"),
                    kernel, initrd, "console=ttyS0 panic=-1", disk],
                   check=True)
    with open(disk, "rb") as f:
        md5 = hashlib.md5(f.read()).hexdigest()
    exe = quasar_bin("qemu-system-x86_64")
    p = subprocess.Popen(
        [exe, "-M", "pc", "-accel", "tcg", "-m", "512", "-display", "none",
         "-serial", "stdio", "-no-reboot", "-drive",
         f"file={disk},format=raw", "-cdrom", bootsect_iso],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    out = b""

    def wait_for(marker, timeout):
        nonlocal out
        end = time.monotonic() + timeout
        while marker not in out:
            left = end - time.monotonic()
            r, _, _ = select.select([p.stdout], [], [], max(left, 0))
            if not r:
                raise AssertionError(f"no {marker!r}: " +
                                     out[-3000:].decode(errors="replace"))
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError("exited: " +
                                     out[-3000:].decode(errors="replace"))
            out += chunk

    def shell(cmd, timeout=120):
        marker = f"END-{len(out)}"
        p.stdin.write(f"{cmd}; echo {marker[:4]}{marker[4:]}\n".encode())
        p.stdin.flush()
        wait_for(f"\n{marker}".encode(), timeout)
    try:
        wait_for(b"SYSLINUX", 120)
        wait_for(b"Linux version", 300)
        wait_for(b"Quasar disk guest:", 900)
        shell("cat /sys/block/sda/device/model /sys/block/sr0/device/model")
        shell("mkdir -p /mnt /cdrom; mount -o ro -t vfat /dev/sda1 /mnt && "
              "grep -c 'LABEL linux' /mnt/syslinux.cfg")
        shell("mount -t iso9660 /dev/sr0 /cdrom && ls /cdrom")
        shell("cat /sys/block/sda/size")
        # Whole-disk read (DMA through ata_piix) and a write to the gap
        # before the partition, checked on the host afterwards.
        shell("umount /mnt; md5sum /dev/sda", 300)
        shell("dd if=/dev/zero bs=512 count=100 2>/dev/null | tr '\\0' Q "
              ">/tmp/q && dd if=/tmp/q of=/dev/sda bs=512 seek=100 "
              "conv=fsync 2>/dev/null && sync && echo WROTE", 300)
        text = out.decode(errors="replace").replace("\r", "")
        assert "ata1.00: ATA-7: QEMU HARDDISK" in text
        assert "QEMU HARDDISK" in text.split("Quasar disk guest:")[1]
        assert "QEMU DVD-ROM" in text.split("Quasar disk guest:")[1]
        assert "\n1\n" in text  # the LABEL line, read from the FAT
        assert "boot.img" in text.split("Quasar disk guest:")[1]
        assert f"\n{os.path.getsize(disk) // 512}\n" in text
        assert "\nWROTE\n" in text
        assert f"\n{md5}  /dev/sda\n" in text
        p.stdin.write(b"poweroff -f\n")
        p.stdin.flush()
        assert p.wait(timeout=120) == 0
        with open(disk, "rb") as f:
            f.seek(100 * 512)
            assert f.read(100 * 512) == b"Q" * 51200
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


SEABIOS = "/usr/share/seabios/bios-256k.bin"


def test_kernel_through_firmware_rom(guests):
    """-kernel with -bios: SeaBIOS runs the linuxboot option ROM, which
    loads the bzImage, initrd and command line from fw_cfg and enters the
    real-mode setup code (the linux guest's, which collects the e820 map
    from the BIOS like Linux's own setup does)."""
    need_kvm()
    if not os.path.exists(SEABIOS):
        pytest.skip(f"{SEABIOS} is missing (package seabios)")
    kernel = bootdisk.build_linux_bios(guests)
    initrd = os.path.join(guests, "initrd.txt")
    with open(initrd, "w") as f:
        f.write("QUASAR-INITRD-THROUGH-FW-CFG\n" * 100)
    status, out = boot(["-bios", SEABIOS, "-kernel", kernel, "-initrd",
                        initrd, "-append", "through the rom"])
    lines = out.splitlines()
    assert "linux: boot_params at 5000, CS 10 DS 18" in lines, out
    assert "linux: cmdline 'through the rom'" in lines
    assert any(x.startswith("linux: protocol 20f loader b0 loadflags 81")
               for x in lines)
    assert ", 2900 bytes, 'QUASAR-INITRD-THROUGH-FW'" in out
    assert "linux: initrd is inside e820 RAM" in lines
    assert status == EXIT_PASS


def test_kernel_through_firmware_fw_cfg(guests):
    """What the ROM gets: genroms/linuxboot.bin (55 AA, sums to zero, a
    $PnP header with a boot entry vector) first in "bootorder"."""
    import struct
    from qtestpc import PC
    kernel = bootdisk.build_linux_bios(guests)
    m = PC(["-bios", SEABIOS, "-kernel", kernel, "-append", "x"])
    try:
        def read(n):
            return bytes(m.inb(0x511) for _ in range(n))
        m.outw(0x510, 0x19)
        files = {}
        for _ in range(struct.unpack(">I", read(4))[0]):
            size, key, _, name = struct.unpack(">IHH56s", read(64))
            files[name.rstrip(b"\0").decode()] = (key, size)
        key, size = files["genroms/linuxboot.bin"]
        m.outw(0x510, key)
        rom = read(size)
        assert rom[:2] == b"\x55\xaa" and rom[2] * 512 == size
        assert sum(rom) & 0xff == 0
        pnp = rom[0x1a] | rom[0x1b] << 8
        assert rom[pnp:pnp + 4] == b"$PnP" and sum(rom[pnp:pnp + 32]) & 0xff == 0
        assert struct.unpack_from("<H", rom, pnp + 26)[0]  # BEV
        key, size = files["bootorder"]
        m.outw(0x510, key)
        assert read(size) == b"/rom@genroms/linuxboot.bin\0"
        # The command line item, and the setup header patched for it.
        m.outw(0x510, 0x15)
        assert read(2) == b"x\0"
        m.outw(0x510, 0x18)
        setup = read(0x240)
        assert setup[0x210] == 0xb0 and setup[0x211] & 0x80
        assert struct.unpack_from("<I", setup, 0x228)[0] == 0x20000
    finally:
        m.close()


def test_debian_kernel_through_firmware_tcg(bootsect_disk, guests):
    """Debian's kernel with -bios under TCG: SeaBIOS -> linuxboot ROM ->
    Linux's real-mode setup -> the initramfs shell."""
    import select
    import time
    need_tcg_pc(bootsect_disk)
    kernel, initrd = debian_disk_guest(guests)
    exe = quasar_bin("qemu-system-x86_64")
    p = subprocess.Popen(
        [exe, "-M", "pc", "-accel", "tcg", "-m", "512", "-display", "none",
         "-serial", "stdio", "-no-reboot", "-bios", SEABIOS, "-kernel",
         kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    out = b""
    try:
        end = time.monotonic() + 900
        while b"Quasar disk guest:" not in out:
            r, _, _ = select.select([p.stdout], [], [],
                                    max(end - time.monotonic(), 0))
            chunk = os.read(p.stdout.fileno(), 65536) if r else b""
            assert chunk, out[-3000:].decode(errors="replace")
            out += chunk
        assert b"Command line: console=ttyS0 panic=-1" in out
        p.stdin.write(b"poweroff -f\n")
        p.stdin.flush()
        assert p.wait(timeout=120) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_ata_guest_on_qcow2(ata_disk, guests):
    """The same guest from a qcow2 image (async DMA on the qcow2 driver),
    writing through with cache=writethrough; the writes land in the
    image (read back with qemu-img convert)."""
    need_kvm()
    img = quasar_bin(os.path.join("qemu-img", "qemu-img"))
    fresh = bootdisk.make_ata_disk(guests, os.path.join(guests, "q.raw"))
    qcow = os.path.join(guests, "ata.qcow2")
    subprocess.run([img, "convert", "-f", "raw", "-O", "qcow2", fresh, qcow],
                   check=True)
    status, out = boot(["-drive",
                        f"file={qcow},format=qcow2,cache=writethrough"])
    lines = out.splitlines()
    for m in ATA_MARKERS:
        assert m in lines, out
    back = os.path.join(guests, "back.raw")
    subprocess.run([img, "convert", "-f", "qcow2", "-O", "raw", qcow, back],
                   check=True)
    check_ata_writes(back)
