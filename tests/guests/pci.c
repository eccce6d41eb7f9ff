/*
 * pci: enumerates bus 0 through configuration mechanism #1 (0xcf8/0xcfc)
 * and checks QEMU's i440FX ids: host bridge 8086:1237 at 00.0, PIIX3 ISA
 * bridge 8086:7000 at 01.0, PIIX4 power management 8086:7113 at 01.3.
 */
#include "lib.h"

static uint32_t pci_read(int dev, int fn, int reg)
{
    outl(0xcf8, 0x80000000u | (dev << 11) | (fn << 8) | (reg & 0xfc));
    return inl(0xcfc);
}

void guest_main(void)
{
    bool host = false, isa = false, pm = false;

    for (int dev = 0; dev < 32; dev++) {
        for (int fn = 0; fn < 8; fn++) {
            uint32_t id = pci_read(dev, fn, 0);
            uint32_t class;
            if ((id & 0xffff) == 0xffff) {
                if (fn == 0) {
                    break;
                }
                continue;
            }
            class = pci_read(dev, fn, 8) >> 8;
            printf("pci: 00:%02x.%x %04x:%04x class %06x\n", dev, fn,
                   id & 0xffff, id >> 16, class);
            host |= dev == 0 && fn == 0 && id == 0x12378086;
            isa |= dev == 1 && fn == 0 && id == 0x70008086;
            pm |= dev == 1 && fn == 3 && id == 0x71138086;
            if (fn == 0 && !(pci_read(dev, 0, 0x0c) & 0x00800000)) {
                break; /* not multi-function */
            }
        }
    }
    /* 16-bit and 8-bit accesses through 0xcfc + offset. */
    outl(0xcf8, 0x80000000u);
    printf("pci: vendor via 16-bit read %04x, device byte %02x\n",
           inw(0xcfc), (outl(0xcf8, 0x80000000u), inb(0xcfe)));
    printf("pci: host %d isa %d pm %d\n", host, isa, pm);
    guest_exit(host && isa && pm);
}
