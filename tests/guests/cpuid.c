/*
 * cpuid: prints what the CPU model offers: vendor, family/model/stepping,
 * brand string, the hypervisor signature and the main feature words.
 */
#include "lib.h"

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

void guest_main(void)
{
    uint32_t r[4], max, xmax, fam, model;
    char vendor[13] = { 0 }, brand[49] = { 0 }, hv[13] = { 0 };

    cpuid(0, 0, r);
    max = r[0];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    cpuid(1, 0, r);
    fam = (r[0] >> 8) & 0xf;
    model = (r[0] >> 4) & 0xf;
    if (fam == 0xf) {
        fam += (r[0] >> 20) & 0xff;
    }
    if (fam >= 6) {
        model |= ((r[0] >> 16) & 0xf) << 4;
    }
    printf("cpuid: vendor '%s' max leaf %x\n", vendor, max);
    printf("cpuid: family %u model %u stepping %u\n", fam, model, r[0] & 0xf);
    printf("cpuid: leaf1 ecx %08x edx %08x apic id %u\n", r[2], r[3],
           r[1] >> 24);
    printf("cpuid: hypervisor %s\n", (r[2] >> 31) ? "yes" : "no");
    cpuid(0x80000000, 0, r);
    xmax = r[0];
    printf("cpuid: max extended leaf %x\n", xmax);
    if (xmax >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002 + i, 0, (uint32_t *)(brand + 16 * i));
        }
        printf("cpuid: brand '%s'\n", brand);
    }
    if (xmax >= 0x80000001) {
        cpuid(0x80000001, 0, r);
        printf("cpuid: ext ecx %08x edx %08x lm %u\n", r[2], r[3],
               (r[3] >> 29) & 1);
    }
    cpuid(0x40000000, 0, r);
    memcpy(hv, &r[1], 4);
    memcpy(hv + 4, &r[2], 4);
    memcpy(hv + 8, &r[3], 4);
    printf("cpuid: hypervisor signature '%s'\n", hv);
    guest_exit(true);
}
