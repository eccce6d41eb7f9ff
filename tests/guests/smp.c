/*
 * smp: starts every application processor with INIT, SIPI, SIPI (to all
 * excluding self) and waits until each reports in with its APIC id.  The
 * expected count is the MADT's enabled local APICs (or fw_cfg's count).
 */
#include "lib.h"

static volatile uint32_t ap_count;
static volatile uint32_t apic_id_seen[256];

void ap_main(int index)
{
    uint32_t id = lapic_read(LAPIC_ID) >> 24;

    lock_console();
    printf("smp: AP %d up, APIC id %u\n", index, id);
    unlock_console();
    apic_id_seen[id & 0xff]++;
    __atomic_add_fetch(&ap_count, 1, __ATOMIC_SEQ_CST);
}

static int expected_cpus(void)
{
    const struct acpi_header *madt = acpi_find_table("APIC");
    int n = 0;

    if (madt) {
        const uint8_t *p = (const uint8_t *)madt + 44;
        const uint8_t *end = (const uint8_t *)madt + madt->length;
        while (p < end) {
            if (p[0] == 0 && (p[4] & 1)) {
                n++;
            }
            p += p[1] ? p[1] : 1;
        }
        printf("smp: MADT lists %d CPUs\n", n);
    } else {
        uint16_t v;
        fw_cfg_read(0x05, &v, 2);
        n = v;
        printf("smp: fw_cfg says %d CPUs\n", n);
    }
    return n;
}

void guest_main(void)
{
    int cpus = expected_cpus();
    uint32_t bsp = lapic_read(LAPIC_ID) >> 24;

    memcpy((void *)0x8000, trampoline_start,
           trampoline_end - trampoline_start);
    lapic_write(LAPIC_SVR, 0x1ff);
    lock_console();
    printf("smp: BSP APIC id %u, sending INIT\n", bsp);
    unlock_console();
    lapic_write(LAPIC_ICR_HI, 0);
    lapic_write(LAPIC_ICR_LO, 0x000c4500); /* INIT, all excluding self */
    udelay(10000);
    for (int i = 0; i < 2; i++) {
        lapic_write(LAPIC_ICR_LO, 0x000c4608); /* SIPI vector 0x08 */
        udelay(200);
    }
    for (int i = 0; i < 500 && ap_count < (uint32_t)cpus - 1; i++) {
        udelay(10000);
    }
    lock_console();
    printf("smp: %u of %d APs reported in\n", ap_count, cpus - 1);
    unlock_console();
    guest_exit(cpus >= 1 && ap_count == (uint32_t)cpus - 1 &&
               !apic_id_seen[bsp]);
}
