"""The PIIX3 IDE function (00:01.1) with ATA disks and an ATAPI CD-ROM,
driven register by register through the test protocol (-M pc -accel
qtest), as a driver would: IDENTIFY, PIO in LBA28/LBA48/CHS, READ/WRITE
MULTIPLE, bus-master DMA through a PRD table, the errors a bad request
gets, and the ATAPI packet protocol.  Also -drive/-hda/-cdrom parsing,
`info block` and image locking.  No CPU runs; /dev/kvm is not needed."""
import os
import struct
import subprocess
import time

import pytest

from conftest import quasar_bin

CMD0, CTL0 = 0x1f0, 0x3f6
CMD1, CTL1 = 0x170, 0x376
BMIBA = 0xc000
PRD = 0x1000
BUF = 0x20000
SECTORS = 4096  # test disk: 2 MiB


def pattern(lba):
    """Sector contents of the test disk: its LBA repeated, then a tag."""
    return struct.pack("<I", lba) * 120 + b"QUASAR-SECTOR-PATTERN-0123456789"


@pytest.fixture
def disk(tmp_path):
    path = tmp_path / "disk.img"
    with open(path, "wb") as f:
        for lba in range(SECTORS):
            f.write(pattern(lba))
    return path


@pytest.fixture
def iso(tmp_path):
    path = tmp_path / "cd.iso"
    with open(path, "wb") as f:
        for lba in range(300):
            f.write((struct.pack("<I", lba) + b"CD") * 341 + b"\0\0")
    return path


def poll(read, mask, want, what):
    """Polls a register until (value & mask) == want; DMA completions
    arrive asynchronously, on the emulator's main loop."""
    end = time.monotonic() + 20
    while True:
        v = read()
        if v & mask == want:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"{what} stuck at {v:#x}")


def wait_ready(m, cmd=CMD0, mask=0x80, want=0):
    return poll(lambda: m.inb(cmd + 7), mask, want, "status")


def wait_bm_int(m, bmi=BMIBA):
    return poll(lambda: m.inb(bmi + 2), 0x04, 0x04, "BM status")


def lba28(m, lba, count, cmd=CMD0, dev=0):
    m.outb(cmd + 6, 0xe0 | (dev << 4) | (lba >> 24 & 0xf))
    m.outb(cmd + 2, count & 0xff)
    m.outb(cmd + 3, lba & 0xff)
    m.outb(cmd + 4, lba >> 8 & 0xff)
    m.outb(cmd + 5, lba >> 16 & 0xff)


def lba48(m, lba, count, cmd=CMD0):
    m.outb(cmd + 6, 0x40)
    for reg, hi, lo in ((2, count >> 8, count), (3, lba >> 24, lba),
                        (4, lba >> 32, lba >> 8), (5, lba >> 40, lba >> 16)):
        m.outb(cmd + reg, hi & 0xff)
        m.outb(cmd + reg, lo & 0xff)


def read_block(m, nbytes, cmd=CMD0, width=2):
    fn = m.inw if width == 2 else m.inl
    out = b""
    for _ in range(nbytes // width):
        out += fn(cmd).to_bytes(width, "little")
    return out


def identify(m, cmd=CMD0, dev=0, code=0xec):
    m.outb(cmd + 6, 0xa0 | dev << 4)
    m.outb(cmd + 7, code)
    st = wait_ready(m, cmd)
    if st & 1:
        return st, None
    return st, read_block(m, 512, cmd)


def ata_string(words, first, n):
    b = bytearray()
    for i in range(first, first + n):
        w = struct.unpack_from("<H", words, 2 * i)[0]
        b += bytes([w >> 8, w & 0xff])
    return b.decode().strip()


def setup_bm(m):
    """What firmware does: BAR4, I/O and bus mastering on."""
    m.pci_write(1, 1, 0x20, BMIBA | 1)
    m.pci_write(1, 1, 0x04, 0x0005, 2)
    m.pci_write(1, 1, 0x40, 0x80008000)


def prd(m, entries):
    data = b"".join(struct.pack("<II", a, (n & 0xffff) | (eot << 31))
                    for a, n, eot in entries)
    m.cmd(f"write {PRD:#x} {len(data)} 0x{data.hex()}")
    m.outl(BMIBA + 4, PRD)


def mem(m, addr, n):
    return bytes.fromhex(m.cmd(f"read {addr:#x} {n}").split()[1][2:])


def test_identify_and_signature(pc_factory, disk):
    m = pc_factory("-drive", f"file={disk},format=raw,if=ide")
    m.cmd("irq_intercept_in ioapic")
    # Reset signature of an ATA disk: sector count 1, LBA 1, cyl 0.
    assert (m.inb(CMD0 + 2), m.inb(CMD0 + 3)) == (1, 1)
    assert (m.inb(CMD0 + 4), m.inb(CMD0 + 5)) == (0, 0)
    st, ident = identify(m)
    assert st & 0x48 == 0x48  # DRDY, DRQ: a block to read
    assert m.inb(CMD0 + 7) & 0x08 == 0  # all read
    assert "IRQ raise 14" in m.irqs
    w = struct.unpack("<256H", ident)
    assert w[0] == 0x0040
    assert ata_string(ident, 27, 20) == "QEMU HARDDISK"
    assert ata_string(ident, 10, 10) == "QM00001"
    assert w[60] | w[61] << 16 == SECTORS            # LBA28 capacity
    assert w[100] | w[101] << 16 == SECTORS          # LBA48 capacity
    assert w[83] & (1 << 10) and w[49] & (1 << 9)    # LBA48, LBA
    assert (w[1], w[3], w[6]) == (4, 16, 63)         # CHS guess
    # No slave: selecting it reads status 0.
    m.outb(CMD0 + 6, 0xb0)
    assert m.inb(CMD0 + 7) == 0
    # Secondary channel: the default empty CD-ROM (ATAPI signature).
    assert (m.inb(CMD1 + 4), m.inb(CMD1 + 5)) == (0x14, 0xeb)


def test_pio_reads(pc_factory, disk):
    m = pc_factory("-drive", f"file={disk},format=raw,if=ide")
    # READ SECTORS, LBA28, 3 sectors from 100: one DRQ block each.
    lba28(m, 100, 3)
    m.outb(CMD0 + 7, 0x20)
    for lba in range(100, 103):
        st = wait_ready(m)
        assert st & 0x08
        assert read_block(m, 512) == pattern(lba)
    assert m.inb(CMD0 + 7) & 0x08 == 0
    # The registers end on the next LBA.
    assert m.inb(CMD0 + 3) == 103
    # 32-bit data port accesses work too.
    lba28(m, 7, 1)
    m.outb(CMD0 + 7, 0x20)
    wait_ready(m)
    assert read_block(m, 512, width=4) == pattern(7)
    # READ SECTORS EXT (LBA48), count 2.
    lba48(m, 4000, 2)
    m.outb(CMD0 + 7, 0x24)
    for lba in (4000, 4001):
        wait_ready(m)
        assert read_block(m, 512) == pattern(lba)
    # CHS: cylinder 1, head 2, sector 5 with 16 heads / 63 sectors.
    m.outb(CMD0 + 6, 0xa2)
    m.outb(CMD0 + 2, 1)
    m.outb(CMD0 + 3, 5)
    m.outb(CMD0 + 4, 1)
    m.outb(CMD0 + 5, 0)
    m.outb(CMD0 + 7, 0x20)
    wait_ready(m)
    assert read_block(m, 512) == pattern((1 * 16 + 2) * 63 + 4)
    # SET MULTIPLE 4, then READ MULTIPLE of 6 sectors: blocks of 4 and 2.
    m.outb(CMD0 + 2, 4)
    m.outb(CMD0 + 7, 0xc6)
    assert wait_ready(m) & 1 == 0
    lba28(m, 200, 6)
    m.outb(CMD0 + 7, 0xc4)
    wait_ready(m)
    assert read_block(m, 4 * 512) == b"".join(pattern(i)
                                              for i in range(200, 204))
    wait_ready(m)
    assert read_block(m, 2 * 512) == pattern(204) + pattern(205)


def test_pio_write_reaches_the_image(pc_factory, disk):
    m = pc_factory("-drive", f"file={disk},format=raw,if=ide")
    m.cmd("irq_intercept_in ioapic")
    data = bytes(range(256)) * 4
    lba28(m, 50, 2)
    m.outb(CMD0 + 7, 0x30)  # WRITE SECTORS
    wait_ready(m, mask=0x88, want=0x08)
    for i in range(0, 1024, 2):
        if i == 512:
            wait_ready(m, mask=0x88, want=0x08)
        m.outw(CMD0, data[i] | data[i + 1] << 8)
    st = wait_ready(m)
    assert st & 0x09 == 0
    m.outb(CMD0 + 7, 0xe7)  # FLUSH CACHE
    assert wait_ready(m) & 1 == 0
    with open(disk, "rb") as f:
        f.seek(50 * 512)
        assert f.read(1024) == data
        assert f.read(512) == pattern(52)


def test_bad_requests_are_ata_errors(pc_factory, disk):
    m = pc_factory("-drive", f"file={disk},format=raw,if=ide")
    # Beyond the end: IDNF + ABRT, error status, no data phase.
    lba28(m, SECTORS - 1, 2)
    m.outb(CMD0 + 7, 0x20)
    st = wait_ready(m)
    assert st & 0x09 == 0x01
    assert m.inb(CMD0 + 1) == 0x14
    lba48(m, 1 << 40, 1)
    m.outb(CMD0 + 7, 0x24)
    assert wait_ready(m) & 1
    # READ MULTIPLE with multiple mode off: ABRT.
    m.outb(CMD0 + 2, 0)
    m.outb(CMD0 + 7, 0xc6)
    wait_ready(m)
    lba28(m, 0, 1)
    m.outb(CMD0 + 7, 0xc4)
    assert wait_ready(m) & 1 and m.inb(CMD0 + 1) == 0x04
    # Unknown command (and PACKET on a disk): ABRT.
    for code in (0xff, 0xa0, 0xa1):
        m.outb(CMD0 + 7, code)
        assert wait_ready(m) & 1 and m.inb(CMD0 + 1) == 0x04
    # SET MULTIPLE with a count that is not a power of two: ABRT.
    m.outb(CMD0 + 2, 3)
    m.outb(CMD0 + 7, 0xc6)
    assert wait_ready(m) & 1
    # The disk still works afterwards.
    lba28(m, 9, 1)
    m.outb(CMD0 + 7, 0x20)
    wait_ready(m)
    assert read_block(m, 512) == pattern(9)


def dma_cmd(m, code, lba, count, to_mem, ext=False):
    (lba48 if ext else lba28)(m, lba, count)
    m.outb(CMD0 + 7, code)
    m.outb(BMIBA, 0x09 if to_mem else 0x01)
    bm = wait_bm_int(m)
    m.outb(BMIBA, 0)
    st = m.inb(CMD0 + 7)
    m.outb(BMIBA + 2, 0x06)  # clear interrupt and error
    return bm, st


def test_dma_read_write(pc_factory, disk):
    m = pc_factory("-drive", f"file={disk},format=raw,if=ide")
    m.cmd("irq_intercept_in ioapic")
    setup_bm(m)
    assert m.inb(BMIBA + 2) & 0x01 == 0
    # READ DMA of 5 sectors into two PRD entries (1 KiB + the rest).
    prd(m, [(BUF, 1024, 0), (BUF + 0x4000, 1536, 1)])
    bm, st = dma_cmd(m, 0xc8, 300, 5, True)
    assert bm & 0x07 == 0x04      # interrupt, no error, table used up
    assert st & 0x89 == 0          # not busy, no DRQ, no error
    assert "IRQ raise 14" in m.irqs
    assert mem(m, BUF, 1024) == pattern(300) + pattern(301)
    assert mem(m, BUF + 0x4000, 1536) == b"".join(
        pattern(i) for i in range(302, 305))
    # WRITE DMA EXT: memory to sectors 1000-1001.
    data = bytes((i * 7) & 0xff for i in range(1024))
    m.cmd(f"write {BUF:#x} 1024 0x{data.hex()}")
    prd(m, [(BUF, 1024, 1)])
    bm, st = dma_cmd(m, 0x35, 1000, 2, False, ext=True)
    assert bm & 0x07 == 0x04 and st & 0x89 == 0
    with open(disk, "rb") as f:
        f.seek(1000 * 512)
        assert f.read(1024) == data
    # A PRD table larger than the transfer: active stays set.
    prd(m, [(BUF, 4096, 1)])
    bm, st = dma_cmd(m, 0x25, 10, 1, True, ext=True)
    assert bm & 0x07 == 0x05 and st & 1 == 0
    assert mem(m, BUF, 512) == pattern(10)


def test_dma_bad_prd_and_memory(pc_factory, disk):
    m = pc_factory("-drive", f"file={disk},format=raw,if=ide")
    setup_bm(m)
    # PRD table shorter than the transfer: BM error, ATA error.
    prd(m, [(BUF, 512, 1)])
    bm, st = dma_cmd(m, 0xc8, 0, 4, True)
    assert bm & 0x03 == 0x02 and st & 1
    # DMA into unassigned memory (the PCI hole): BM error, ATA error.
    prd(m, [(0xe0000000, 512, 1)])
    bm, st = dma_cmd(m, 0xc8, 0, 1, True)
    assert bm & 0x02 and st & 1
    # PRD table itself outside memory.
    m.outl(BMIBA + 4, 0xe0001000)
    lba28(m, 0, 1)
    m.outb(CMD0 + 7, 0xca)
    m.outb(BMIBA, 0x01)
    assert m.inb(BMIBA + 2) & 0x02
    m.outb(BMIBA, 0)
    # Out-of-range DMA: IDNF, no transfer started.
    lba28(m, SECTORS, 1)
    m.outb(CMD0 + 7, 0xc8)
    st = wait_ready(m)
    assert st & 1 and m.inb(CMD0 + 1) == 0x14
    m.outb(BMIBA + 2, 0x06)
    # Bus mastering off in PCI COMMAND: the transfer fails, no crash.
    m.pci_write(1, 1, 0x04, 0x0001, 2)
    prd(m, [(BUF, 512, 1)])
    bm, st = dma_cmd(m, 0xc8, 0, 1, True)
    assert st & 1
    # Everything works again once fixed.
    setup_bm(m)
    prd(m, [(BUF, 512, 1)])
    bm, st = dma_cmd(m, 0xc8, 77, 1, True)
    assert st & 1 == 0 and mem(m, BUF, 512) == pattern(77)
    assert m.proc.poll() is None


def atapi(m, packet, bcl=0xfffe, data_len=None):
    """PACKET command over PIO; returns (status, data)."""
    m.outb(CMD1 + 6, 0xa0)
    m.outb(CMD1 + 1, 0)
    m.outb(CMD1 + 4, bcl & 0xff)
    m.outb(CMD1 + 5, bcl >> 8)
    m.outb(CMD1 + 7, 0xa0)
    st = wait_ready(m, CMD1, 0x88, 0x08)
    assert m.inb(CMD1 + 2) & 3 == 1  # C/D: waiting for the packet
    p = bytes(packet) + bytes(12 - len(packet))
    for i in range(0, 12, 2):
        m.outw(CMD1, p[i] | p[i + 1] << 8)
    data = b""
    while True:
        st = wait_ready(m, CMD1)
        if not st & 0x08:
            break
        assert m.inb(CMD1 + 2) & 3 == 2  # data in
        n = m.inb(CMD1 + 4) | m.inb(CMD1 + 5) << 8
        assert n <= bcl
        data += read_block(m, n + (n & 1), CMD1)[:n]
    assert m.inb(CMD1 + 2) & 3 == 3  # status phase
    return st, data


def test_atapi(pc_factory, iso):
    m = pc_factory("-cdrom", str(iso))
    # IDENTIFY DEVICE aborts with the ATAPI signature; IDENTIFY PACKET
    # DEVICE answers.
    m.outb(CMD1 + 6, 0xa0)
    m.outb(CMD1 + 7, 0xec)
    st = wait_ready(m, CMD1)
    assert st & 1 and (m.inb(CMD1 + 4), m.inb(CMD1 + 5)) == (0x14, 0xeb)
    st, ident = identify(m, CMD1, code=0xa1)
    assert struct.unpack_from("<H", ident)[0] == 0x85c0
    assert ata_string(ident, 27, 20) == "QEMU DVD-ROM"
    st, _ = atapi(m, [0x00])  # TEST UNIT READY
    assert st & 1 == 0
    st, inq = atapi(m, [0x12, 0, 0, 0, 36])
    assert inq[0] == 5 and inq[1] == 0x80 and inq[8:16] == b"QEMU    "
    st, cap = atapi(m, [0x25])
    assert struct.unpack(">II", cap) == (299, 2048)
    # READ(10) of 3 sectors from 7 with a 1000-byte DRQ limit.
    st, data = atapi(m, [0x28, 0, 0, 0, 0, 7, 0, 0, 3], bcl=1000)
    assert st & 1 == 0
    with open(iso, "rb") as f:
        f.seek(7 * 2048)
        assert data == f.read(3 * 2048)
    # READ TOC: one data track and the lead-out at 300.
    st, toc = atapi(m, [0x43, 0, 0, 0, 0, 0, 0, 0, 0xff])
    assert toc[2:4] == b"\x01\x01" and toc[13:16] == b"\x14\xaa\x00"
    assert struct.unpack(">I", toc[16:20])[0] == 300
    # GET CONFIGURATION: current profile CD-ROM (0x0008).
    st, conf = atapi(m, [0x46, 0, 0, 0, 0, 0, 0, 0, 64])
    assert conf[6:8] == b"\x00\x08"
    # MODE SENSE(10), capabilities page 2Ah.
    st, ms = atapi(m, [0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64])
    assert ms[8] == 0x2a
    # Beyond the end: CHECK CONDITION, sense ILLEGAL REQUEST / 21h.
    st, _ = atapi(m, [0x28, 0, 0, 0, 1, 0x2c, 0, 0, 1])
    assert st & 1 and m.inb(CMD1 + 1) >> 4 == 5
    st, sense = atapi(m, [0x03, 0, 0, 0, 18])
    assert sense[2] == 5 and sense[12] == 0x21
    # Unknown packet command.
    st, _ = atapi(m, [0xee])
    assert st & 1
    st, sense = atapi(m, [0x03, 0, 0, 0, 18])
    assert sense[2] == 5 and sense[12] == 0x20


def test_atapi_dma_and_empty_drive(pc_factory, iso):
    m = pc_factory("-drive", f"file={iso},media=cdrom,if=ide,index=2",
                   "-drive", "if=ide,index=3,media=cdrom")
    setup_bm(m)
    # READ(10) by DMA (features bit 0).
    prd(m, [(BUF, 4096, 1)])
    m.outl(BMIBA + 8 + 4, PRD)  # secondary channel's PRD pointer
    m.outb(CMD1 + 6, 0xa0)
    m.outb(CMD1 + 1, 1)
    m.outb(CMD1 + 7, 0xa0)
    wait_ready(m, CMD1, 0x88, 0x08)
    p = bytes([0x28, 0, 0, 0, 0, 20, 0, 0, 2, 0, 0, 0])
    for i in range(0, 12, 2):
        m.outw(CMD1, p[i] | p[i + 1] << 8)
    m.outb(BMIBA + 8, 0x09)
    wait_bm_int(m, BMIBA + 8)
    m.outb(BMIBA + 8, 0)
    assert m.inb(BMIBA + 8 + 2) & 0x03 == 0
    st = wait_ready(m, CMD1)
    assert st & 0x09 == 0
    with open(iso, "rb") as f:
        f.seek(20 * 2048)
        assert mem(m, BUF, 4096) == f.read(4096)
    # The slave CD-ROM has no medium: NOT READY, medium not present.
    m.outb(CMD1 + 6, 0xb0)
    m.outb(CMD1 + 4, 0xfe)
    m.outb(CMD1 + 5, 0xff)
    m.outb(CMD1 + 1, 0)
    m.outb(CMD1 + 7, 0xa0)
    wait_ready(m, CMD1, 0x88, 0x08)
    for i in range(6):
        m.outw(CMD1, 0)
    st = wait_ready(m, CMD1)
    assert st & 1 and m.inb(CMD1 + 1) >> 4 == 2


def run(*args, stdin=None):
    """Runs until it exits (an error) or reads "quit" on the monitor."""
    exe = quasar_bin("qemu-system-x86_64")
    return subprocess.run([exe, "-M", "pc", "-accel", "qtest", "-qtest",
                           "/dev/null", "-qtest-log", "/dev/null", "-display",
                           "none"] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=20)


def monitor(args, commands):
    exe = quasar_bin("qemu-system-x86_64")
    p = subprocess.run([exe, "-M", "pc", "-accel", "qtest", "-qtest",
                        "/dev/null", "-display", "none", "-monitor", "stdio"]
                       + list(args), input="".join(c + "\n" for c in commands)
                       + "quit\n", capture_output=True, text=True, timeout=10)
    return p.stdout


def info_block(out):
    text = out.split("info block\n", 1)[1].split("(qemu)")[0]
    return text.replace("\r", "")


def test_info_block(disk, iso):
    out = info_block(monitor(["-hda", str(disk), "-cdrom", str(iso)],
                             ["info block"]))
    lines = out.splitlines()
    assert lines[0].startswith("ide0-hd0 (#block")
    assert lines[0].endswith(f"): {disk} (raw)")
    assert lines[1].startswith("    Attached to:      /machine/")
    assert lines[2] == "    Cache mode:       writeback"
    assert lines[3] == ""
    assert lines[4].endswith(f"): {iso} (raw, read-only)")
    assert lines[6] == "    Removable device: not locked, tray closed"
    out = info_block(monitor(
        ["-drive", f"file={disk},if=none,id=d0,format=raw,cache=none",
         "-device", "ide-hd,drive=d0,id=disk0,bus=ide.1,unit=1"],
        ["info block"]))
    assert out.splitlines()[:3] == [
        out.splitlines()[0], "    Attached to:      disk0",
        "    Cache mode:       writeback, direct"]
    assert out.startswith("d0 (#block")
    # -device ide-* turns the default CD-ROM off, as in QEMU.
    assert "ide1-cd0" not in out
    out = info_block(monitor([], ["info block"]))
    assert out.startswith("ide1-cd0: [not inserted]\n")


def test_drive_option_errors(disk, tmp_path):
    cases = [
        (["-drive", "file=x,if=bogus"], "unsupported bus type 'bogus'"),
        (["-drive", "file=x,media=tape"], "'tape' invalid media"),
        (["-drive", "file=x,format=qcow9"], "Unknown driver 'qcow9'"),
        (["-drive", "file=x,readonly=maybe"],
         "Parameter 'read-only' expects 'on' or 'off'"),
        (["-drive", f"file={disk},format=qcow2"],
         f"-drive file={disk},format=qcow2: Image is not in qcow2 format\n"),
        (["-drive", "file=x,index=1,unit=0"],
         "index cannot be used with bus and unit"),
        (["-drive", "file=x,if=ide,unit=2"], "unit 2 too big (max is 1)"),
        (["-hda", str(disk), "-drive", f"file={disk},index=0"],
         "drive with bus=0, unit=0 (index=0) exists"),
        (["-drive", f"file={tmp_path}/nosuch.img,format=raw"],
         f"raw: Could not open '{tmp_path}/nosuch.img': No such file or "
         "directory\n"),
        (["-drive", "if=ide,index=5,file=" + str(disk) + ",format=raw"],
         "machine type does not support if=ide,bus=2,unit=1"),
        (["-drive", f"file={disk},if=none,id=d0,format=raw",
          "-device", "ide-hd,drive=d0", "-device", "ide-hd,drive=d0"],
         "Drive 'd0' is already in use by another device"),
        (["-hda", str(disk), "-device", "ide-hd,drive=ide0-hd0"],
         "automatically connected"),
        (["-device", "ide-hd,bus=ide.0,unit=0"], "No drive specified"),
    ]
    for args, msg in cases:
        p = run(*args)
        assert p.returncode == 1, (args, p.stderr)
        assert msg in p.stderr, (args, p.stderr)
    p = run("-hda", str(disk), "-monitor", "stdio", stdin="quit\n")
    assert p.stderr.startswith(
        f"WARNING: Image format was not specified for '{disk}' and probing "
        "guessed raw.\n")


def test_image_lock(disk):
    exe = quasar_bin("qemu-system-x86_64")
    first = subprocess.Popen(
        [exe, "-M", "pc", "-accel", "qtest", "-qtest", "stdio",
         "-qtest-log", "/dev/null", "-display", "none",
         "-drive", f"file={disk},format=raw,if=ide"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first.stdin.write(b"inb 0x1f7\n")
        first.stdin.flush()
        assert first.stdout.readline().startswith(b"OK")
        p = run("-drive", f"file={disk},format=raw,if=ide")
        assert p.returncode == 1
        assert (f"-drive file={disk},format=raw,if=ide: Failed to get "
                f"\"write\" lock\nIs another process using the image "
                f"[{disk}]?") in p.stderr
        # A read-only user is refused too (the writer shares nothing),
        # as QEMU does.
        p2 = run("-drive", f"file={disk},format=raw,if=ide,readonly=on")
        assert p2.returncode == 1
        assert "Failed to get shared \"write\" lock" in p2.stderr
    finally:
        first.kill()
        first.wait()


def test_snapshot_keeps_the_image(pc_factory, disk):
    before = open(disk, "rb").read()
    m = pc_factory("-drive", f"file={disk},format=raw,if=ide,snapshot=on")
    lba28(m, 0, 1)
    m.outb(CMD0 + 7, 0x30)
    wait_ready(m, mask=0x88, want=0x08)
    for _ in range(256):
        m.outw(CMD0, 0xabcd)
    wait_ready(m)
    lba28(m, 0, 1)
    m.outb(CMD0 + 7, 0x20)
    wait_ready(m)
    assert read_block(m, 512) == b"\xcd\xab" * 256
    m.close()
    assert open(disk, "rb").read() == before


def fw_cfg_file(m, name):
    """Reads an fw_cfg file through the I/O ports (0x510 select, 0x511)."""
    def read(n):
        return bytes(m.inb(0x511) for _ in range(n))
    m.outw(0x510, 0x19)
    count = struct.unpack(">I", read(4))[0]
    for _ in range(count):
        size, key, _, fname = struct.unpack(">IHH56s", read(64))
        if fname.rstrip(b"\0").decode() == name:
            m.outw(0x510, key)
            return read(size)
    return None


def test_bootindex_to_bootorder(pc_factory, disk, iso):
    m = pc_factory("-drive", f"file={disk},if=none,id=hd,format=raw",
                   "-drive", f"file={iso},if=none,id=cd,media=cdrom",
                   "-device", "ide-hd,drive=hd,bus=ide.0,unit=1,bootindex=3",
                   "-device", "ide-cd,drive=cd,bus=ide.1,bootindex=1",
                   "-boot", "strict=on,menu=on")
    assert fw_cfg_file(m, "bootorder") == (
        b"/pci@i0cf8/ide@1,1/drive@1/disk@0\n"
        b"/pci@i0cf8/ide@1,1/drive@0/disk@1\nHALT\0")
    # CMOS 0x3d/0x38: default order c, a, d (SeaBIOS reads them).
    m.outb(0x70, 0x3d)
    assert m.inb(0x71) == 0x12
    m.outw(0x510, 0x0e)  # FW_CFG_BOOT_MENU
    assert m.inb(0x511) == 1
    m2 = pc_factory("-boot", "order=dc")
    assert fw_cfg_file(m2, "bootorder") == b"\0"
    m2.outb(0x70, 0x3d)
    assert m2.inb(0x71) == 0x23
    # Two devices may not share a bootindex.
    p = run("-device", "ide-cd,bootindex=1", "-device", "ide-cd,bootindex=1")
    assert "The bootindex 1 has already been used" in p.stderr


def test_boot_option_errors():
    for arg, msg in (("order=z", "Invalid boot device 'z'"),
                     ("order=cc", "Boot device 'c' was given twice"),
                     ("order=e", "Invalid boot device for PC: 'e'"),
                     ("order=cdna", "Too many boot devices for PC"),
                     ("foo=1", "Parameter 'boot.foo' is unexpected")):
        p = run("-boot", arg)
        assert p.returncode == 1 and msg in p.stderr, (arg, p.stderr)


def test_random_register_pokes_never_crash(pc_factory, disk, iso):
    """Random writes to every IDE and bus-master register, random commands
    and packets, PRD tables pointing anywhere: the emulator survives and
    the disk still answers afterwards."""
    import random
    m = pc_factory("-drive", f"file={disk},format=raw,if=ide",
                   "-cdrom", str(iso))
    setup_bm(m)
    rnd = random.Random(int(os.environ.get("IDE_FUZZ_SEED", "1234")))
    cmds = [0x20, 0x24, 0x25, 0x29, 0x30, 0x35, 0x40, 0x91, 0xa0, 0xa1, 0xc4,
            0xc5, 0xc6, 0xc8, 0xca, 0xe7, 0xec, 0xef, 0xf8, 0x08, 0x90,
            rnd.randrange(256)]
    for i in range(3000):
        op = rnd.randrange(9)
        base = rnd.choice((CMD0, CMD1))
        if op == 0:
            m.outb(base + 7, rnd.choice(cmds))
        elif op == 1:
            m.outb(base + rnd.randrange(1, 7), rnd.randrange(256))
        elif op == 2:
            m.outw(base, rnd.randrange(65536))
        elif op == 3:
            m.inw(base) if rnd.randrange(2) else m.inl(base)
        elif op == 4:
            m.outb(base + 0x206, rnd.choice((0, 2, 4, 0x80, rnd.randrange(256))))
        elif op == 5:
            ch = rnd.randrange(2) * 8
            m.outb(BMIBA + ch, rnd.choice((0, 1, 8, 9)))
        elif op == 6:
            ch = rnd.randrange(2) * 8
            m.outl(BMIBA + ch + 4, rnd.choice((PRD, 0xe0000000,
                                               rnd.randrange(1 << 32))))
        elif op == 7:
            entries = [(rnd.choice((BUF, 0xfee00000, 0xfec00000,
                                    rnd.randrange(1 << 32))),
                        rnd.randrange(65536), rnd.randrange(2))
                       for _ in range(rnd.randrange(1, 4))]
            prd(m, entries)
        else:
            m.inb(base + rnd.randrange(8))
    assert m.proc.poll() is None
    # Reset both channels (SRST) and read a sector.
    for ctl in (CTL0, CTL1):
        m.outb(ctl, 0x04)
        m.outb(ctl, 0x00)
    m.outb(BMIBA, 0)
    wait_ready(m)
    lba28(m, 5, 1)
    m.outb(CMD0 + 7, 0x20)
    wait_ready(m)
    assert read_block(m, 512) == pattern(5)


class Monitor:
    """HMP on a unix socket, next to the qtest session on stdio."""

    def __init__(self, path):
        import socket
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        end = time.monotonic() + 10
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        self.buf = b""
        self._until(b"(qemu) ")

    def _until(self, marker):
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, "monitor closed"
            self.buf += chunk
        out, self.buf = self.buf.split(marker, 1)
        return out.decode().replace("\r", "")

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\n")
        out = self._until(b"(qemu) ")
        # Drop the echoed command line.
        return out.split("\n", 1)[1] if "\n" in out else ""


def test_cdrom_eject_and_change(pc_factory, disk, iso, tmp_path):
    iso2 = tmp_path / "other.iso"
    with open(iso2, "wb") as f:
        for lba in range(100):
            f.write((b"OTHER" + struct.pack("<I", lba)) * 227 + b"\0" * 5)
    sock = str(tmp_path / "mon.sock")
    m = pc_factory("-hda", str(disk), "-cdrom", str(iso), "-monitor",
                   f"unix:{sock},server=on,wait=off")
    mon = Monitor(sock)

    def tur():
        st, _ = atapi(m, [0x00])
        if not st & 1:
            return 0, 0
        _, sense = atapi(m, [0x03, 0, 0, 0, 18])
        return sense[2], sense[12]
    assert tur() == (0, 0)
    out = mon.cmd("eject ide1-cd0")
    assert out == ""
    assert "ide1-cd0: [not inserted]" in mon.cmd("info block")
    assert "tray open" in mon.cmd("info block")
    # The guest hears of it once (UNIT ATTENTION 28h), then NOT READY 3Ah.
    assert tur() == (6, 0x28)
    assert tur() == (2, 0x3a)
    out = mon.cmd(f"change ide1-cd0 {iso2} raw")
    assert out == ""
    info = mon.cmd("info block")
    assert f"{iso2} (raw, read-only)" in info and "tray closed" in info
    assert tur() == (6, 0x28)
    assert tur() == (0, 0)
    st, cap = atapi(m, [0x25])
    assert struct.unpack(">II", cap) == (99, 2048)
    st, data = atapi(m, [0x28, 0, 0, 0, 0, 3, 0, 0, 1])
    assert data[:9] == b"OTHER" + struct.pack("<I", 3)
    # GET EVENT STATUS (media class) reports the new medium once.
    st, ev = atapi(m, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8])
    assert ev[4] == 2 and ev[5] == 2
    st, ev = atapi(m, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8])
    assert ev[4] == 0 and ev[5] == 2
    # Locked by the guest: eject needs -f.
    atapi(m, [0x1e, 0, 0, 0, 1])
    assert "Removable device: locked" in mon.cmd("info block")
    out = mon.cmd("eject ide1-cd0")
    assert "is locked and force was not specified" in out
    assert mon.cmd("eject -f ide1-cd0") == ""
    assert "Device 'ide0-hd0' is not removable" in mon.cmd("eject ide0-hd0")
    assert "Device 'nosuch' not found" in mon.cmd("eject nosuch")
    assert m.proc.poll() is None
