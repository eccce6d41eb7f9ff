/*
 * A tiny freestanding runtime for Quasar's test guests: port I/O, COM1,
 * printf, isa-debug-exit, interrupts (IDT, 8259 PIC), CMOS, fw_cfg and
 * ACPI table lookup.  Guests are 32-bit, paging off, loaded by multiboot.
 *
 * A guest defines `void guest_main(void)`, prints over COM1 and ends with
 * guest_exit(true) ("PASS") or guest_exit(false) ("FAIL").  The exit goes
 * through isa-debug-exit at 0xf4, so the emulator's status is
 * (value << 1) | 1: 0x41 for pass, 0x43 for fail.
 */
#ifndef GUESTS_LIB_H
#define GUESTS_LIB_H

typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef int int32_t;
typedef unsigned int size_t;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

#define EXIT_PASS 0x20
#define EXIT_FAIL 0x21

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}
static inline uint32_t mmio_read32(uint32_t addr)
{
    return *(volatile uint32_t *)addr;
}
static inline void mmio_write32(uint32_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}
static inline void sti(void)
{
    __asm__ volatile("sti" ::: "memory");
}
static inline void cli(void)
{
    __asm__ volatile("cli" ::: "memory");
}

/* Multiboot v1 information (only what the guests read). */
struct mb_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};
struct mb_module {
    uint32_t mod_start, mod_end, string, reserved;
};
extern uint32_t mb_magic;
extern struct mb_info *mb_info;

void guest_main(void);
void guest_exit(bool pass) __attribute__((noreturn));
void debug_exit(uint8_t value) __attribute__((noreturn));

/* COM1 */
void serial_putc(char c);
int serial_getc(void); /* blocks */
void puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lock_console(void);
void unlock_console(void);

/*
 * The multiboot command line (-append), "" without one.  This and
 * guest_skips are inline so that a guest that does not use them keeps
 * the code layout it had without them.
 */
static inline const char *guest_cmdline(void)
{
    if (mb_info && (mb_info->flags & 4)) {
        return (const char *)mb_info->cmdline;
    }
    return "";
}

/* 64-bit by 32-bit division without libgcc. */
uint64_t udiv64(uint64_t n, uint32_t d);

/* Strings and memory. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
const char *strstr(const char *h, const char *n);

/*
 * "skip=a,b,c" on the command line leaves cases out (the KVM of the test
 * machines, KVM-PVM, cannot run some).  True when tag is listed; then
 * prints "<guest>: <tag> skipped".
 */
static inline bool guest_skips(const char *guest, const char *tag)
{
    const char *p = strstr(guest_cmdline(), "skip=");
    size_t n = strlen(tag);

    if (!p) {
        return false;
    }
    for (p += 5; *p && *p != ' ';) {
        if (!strncmp(p, tag, n) && (p[n] == ',' || p[n] == ' ' || !p[n])) {
            printf("%s: %s skipped\n", guest, tag);
            return true;
        }
        while (*p && *p != ',' && *p != ' ') {
            p++;
        }
        if (*p == ',') {
            p++;
        }
    }
    return false;
}

/* Interrupts. */
struct isr_frame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector, error_code, eip, cs, eflags;
};
typedef void isr_handler(struct isr_frame *f);
void idt_init(void);
void idt_set_handler(int vector, isr_handler *fn);
/* Remaps the 8259s to vectors 0x20-0x2f, everything masked. */
void pic_init(void);
void pic_unmask(int irq);
void pic_eoi(int irq);

/* CMOS (MC146818): register read, and a binary date. */
uint8_t cmos_read(uint8_t reg);
struct rtc_time {
    int year, month, day, hour, min, sec;
};
void rtc_read_time(struct rtc_time *t);

/* Busy-waits about us microseconds on PIT channel 2 (port 0x61 gate). */
void udelay(uint32_t us);

/* fw_cfg (I/O ports 0x510 selector, 0x511 data, 0x514 DMA). */
void fw_cfg_read(uint16_t key, void *buf, uint32_t len);
/* Finds "name" in the file directory: returns its key, size in *size. */
int fw_cfg_find_file(const char *name, uint32_t *size);

/* ACPI: the RSDP, and a table by signature (checksums verified). */
struct acpi_header {
    char sig[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __attribute__((packed));
uint8_t acpi_checksum(const void *p, uint32_t len);
const uint8_t *acpi_find_rsdp(void);
const struct acpi_header *acpi_find_table(const char *sig);

/* Local APIC at its default base. */
#define LAPIC_BASE 0xfee00000u
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
static inline uint32_t lapic_read(uint32_t reg)
{
    return mmio_read32(LAPIC_BASE + reg);
}
static inline void lapic_write(uint32_t reg, uint32_t v)
{
    mmio_write32(LAPIC_BASE + reg, v);
}

/* SMP: the AP entry point a guest may define (weak default halts). */
void ap_main(int index);
extern const char trampoline_start[], trampoline_end[];

#endif
