/*
 * The test guests' runtime; see lib.h.
 */
#include "lib.h"
#include <stdarg.h>

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

uint32_t mb_magic;
struct mb_info *mb_info;

/* ---- exit ---- */

void debug_exit(uint8_t value)
{
    outb(DEBUG_EXIT_PORT, value);
    /* Not reached when isa-debug-exit is present. */
    for (;;) {
        cli();
        __asm__ volatile("hlt");
    }
}

void guest_exit(bool pass)
{
    puts(pass ? "PASS\n" : "FAIL\n");
    debug_exit(pass ? EXIT_PASS : EXIT_FAIL);
}

/* ---- COM1 ---- */

static void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* IER: no interrupts */
    outb(COM1 + 3, 0x80); /* LCR: DLAB */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0x07); /* FIFO on, cleared */
    outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void serial_putc(char c)
{
    if (c == '\n') {
        serial_putc('\r');
    }
    while (!(inb(COM1 + 5) & 0x20)) {
        cpu_relax();
    }
    outb(COM1, (uint8_t)c);
}

int serial_getc(void)
{
    while (!(inb(COM1 + 5) & 0x01)) {
        cpu_relax();
    }
    return inb(COM1);
}

void puts(const char *s)
{
    while (*s) {
        serial_putc(*s++);
    }
}

static volatile uint32_t console_lock;

void lock_console(void)
{
    while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE)) {
        cpu_relax();
    }
}

void unlock_console(void)
{
    __atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

/* ---- printf: %d %u %x %X %s %c %p %%, width, '0' flag, 'l'/'ll' ---- */

static void put_num(uint64_t v, unsigned base, int width, char pad,
                    bool neg, bool upper)
{
    char buf[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

    if (base == 16) {
        do {
            buf[n++] = digits[v & 15];
            v >>= 4;
        } while (v);
    } else {
        uint32_t x = (uint32_t)v; /* decimal: 32-bit only (no libgcc) */
        do {
            buf[n++] = digits[x % 10];
            x /= 10;
        } while (x);
    }
    if (neg) {
        buf[n++] = '-';
    }
    while (n < width) {
        serial_putc(pad);
        width--;
    }
    while (n) {
        serial_putc(buf[--n]);
    }
}

int printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        int width = 0, longs = 0;
        char pad = ' ';
        uint64_t v;

        if (*fmt != '%') {
            serial_putc(*fmt);
            continue;
        }
        fmt++;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 'd': {
            int32_t x = va_arg(ap, int32_t);
            put_num(x < 0 ? -(uint32_t)x : (uint32_t)x, 10, width, pad,
                    x < 0, false);
            break;
        }
        case 'u':
            put_num(va_arg(ap, uint32_t), 10, width, pad, false, false);
            break;
        case 'x':
        case 'X':
            v = longs >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
            put_num(v, 16, width, pad, false, *fmt == 'X');
            break;
        case 'p':
            puts("0x");
            put_num(va_arg(ap, uint32_t), 16, 8, '0', false, false);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = strlen(s);
            while (len++ < width) {
                serial_putc(' ');
            }
            puts(s);
            break;
        }
        case 'c':
            serial_putc((char)va_arg(ap, int));
            break;
        case '%':
            serial_putc('%');
            break;
        default:
            serial_putc('?');
            break;
        }
    }
    va_end(ap);
    return 0;
}

uint64_t udiv64(uint64_t n, uint32_t d)
{
    uint64_t q = 0, r = 0;

    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ull << i;
        }
    }
    return q;
}

/* ---- strings ---- */

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--) {
        *p++ = (uint8_t)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) {
        *p++ = *q++;
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++) {
        if (*p != *q) {
            return *p - *q;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (uint8_t)*a - (uint8_t)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a) {
            return (uint8_t)*a - (uint8_t)*b;
        }
    }
    return 0;
}

const char *strstr(const char *h, const char *n)
{
    size_t len = strlen(n);
    for (; *h; h++) {
        if (!strncmp(h, n, len)) {
            return h;
        }
    }
    return NULL;
}

/* ---- interrupts ---- */

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
} __attribute__((packed));

static struct idt_entry idt[256];
static isr_handler *handlers[256];
extern const char isr_table[];

void idt_set_handler(int vector, isr_handler *fn)
{
    handlers[vector] = fn;
}

void idt_init(void)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) desc = { sizeof(idt) - 1, (uint32_t)idt };

    for (int i = 0; i < 256; i++) {
        uint32_t off = (uint32_t)isr_table + i * 16;
        idt[i].off_lo = off & 0xffff;
        idt[i].sel = 0x08;
        idt[i].zero = 0;
        idt[i].type = 0x8e; /* present, 32-bit interrupt gate */
        idt[i].off_hi = off >> 16;
    }
    __asm__ volatile("lidt %0" : : "m"(desc));
}

void isr_dispatch(struct isr_frame *f)
{
    if (handlers[f->vector]) {
        handlers[f->vector](f);
        return;
    }
    printf("unexpected interrupt %u error %x at %x\n", f->vector,
           f->error_code, f->eip);
    guest_exit(false);
}

void pic_init(void)
{
    outb(0x20, 0x11); /* ICW1: edge, cascade, ICW4 */
    outb(0xa0, 0x11);
    outb(0x21, 0x20); /* ICW2: vectors 0x20.. */
    outb(0xa1, 0x28);
    outb(0x21, 0x04); /* ICW3: slave on IRQ2 */
    outb(0xa1, 0x02);
    outb(0x21, 0x01); /* ICW4: 8086 mode */
    outb(0xa1, 0x01);
    outb(0x21, 0xfb); /* all masked but the cascade */
    outb(0xa1, 0xff);
}

void pic_unmask(int irq)
{
    uint16_t port = irq < 8 ? 0x21 : 0xa1;
    outb(port, inb(port) & ~(1 << (irq & 7)));
}

void pic_eoi(int irq)
{
    if (irq >= 8) {
        outb(0xa0, 0x20);
    }
    outb(0x20, 0x20);
}

/* ---- CMOS ---- */

uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static int bcd(int v)
{
    return (v & 15) + (v >> 4) * 10;
}

void rtc_read_time(struct rtc_time *t)
{
    struct rtc_time a;
    uint8_t b = cmos_read(0x0b);
    bool binary = b & 0x04;

    do {
        while (cmos_read(0x0a) & 0x80) {
            cpu_relax(); /* update in progress */
        }
        a.sec = cmos_read(0x00);
        a.min = cmos_read(0x02);
        a.hour = cmos_read(0x04);
        a.day = cmos_read(0x07);
        a.month = cmos_read(0x08);
        a.year = cmos_read(0x09) + 100 * (binary ? cmos_read(0x32)
                                                 : bcd(cmos_read(0x32)));
        *t = a;
    } while (cmos_read(0x00) != a.sec);
    if (!binary) {
        t->sec = bcd(a.sec);
        t->min = bcd(a.min);
        t->hour = bcd(a.hour & 0x7f) | (a.hour & 0x80);
        t->day = bcd(a.day);
        t->month = bcd(a.month);
        t->year = bcd(cmos_read(0x09)) + 100 * bcd(cmos_read(0x32));
    }
    if (!(b & 0x02) && (t->hour & 0x80)) { /* 12-hour mode, PM */
        t->hour = ((t->hour & 0x7f) % 12) + 12;
    }
}

/* ---- PIT channel 2 delay ---- */

void udelay(uint32_t us)
{
    while (us) {
        uint32_t chunk = us > 50000 ? 50000 : us;
        uint32_t count = chunk * 1193 / 1000 + 1;

        outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
        outb(0x43, 0xb0); /* channel 2, lo/hi, mode 0 */
        outb(0x42, count & 0xff);
        outb(0x42, count >> 8);
        while (!(inb(0x61) & 0x20)) {
            cpu_relax();
        }
        us -= chunk;
    }
}

/* ---- fw_cfg ---- */

#define FW_CFG_CTL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_FILE_DIR 0x19

void fw_cfg_read(uint16_t key, void *buf, uint32_t len)
{
    uint8_t *p = buf;
    outw(FW_CFG_CTL, key);
    while (len--) {
        *p++ = inb(FW_CFG_DATA);
    }
}

static uint32_t be32(uint32_t v)
{
    return __builtin_bswap32(v);
}

int fw_cfg_find_file(const char *name, uint32_t *size)
{
    uint32_t count;
    struct {
        uint32_t size;
        uint16_t select;
        uint16_t reserved;
        char name[56];
    } f;

    outw(FW_CFG_CTL, FW_CFG_FILE_DIR);
    count = 0;
    for (int i = 0; i < 4; i++) {
        count = (count << 8) | inb(FW_CFG_DATA);
    }
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *p = (uint8_t *)&f;
        for (uint32_t j = 0; j < sizeof(f); j++) {
            p[j] = inb(FW_CFG_DATA);
        }
        if (!strcmp(f.name, name)) {
            if (size) {
                *size = be32(f.size);
            }
            return __builtin_bswap16(f.select);
        }
    }
    return -1;
}

/* ---- ACPI ---- */

uint8_t acpi_checksum(const void *p, uint32_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    while (len--) {
        sum += *b++;
    }
    return sum;
}

static const uint8_t *scan_rsdp(uint32_t start, uint32_t len)
{
    for (uint32_t a = start; a < start + len; a += 16) {
        const uint8_t *p = (const uint8_t *)a;
        if (!memcmp(p, "RSD PTR ", 8) && acpi_checksum(p, 20) == 0) {
            return p;
        }
    }
    return NULL;
}

const uint8_t *acpi_find_rsdp(void)
{
    uint32_t ebda = *(volatile uint16_t *)0x40e << 4;
    const uint8_t *p = NULL;

    if (ebda >= 0x80000 && ebda < 0xa0000) {
        p = scan_rsdp(ebda, 1024);
    }
    return p ? p : scan_rsdp(0xe0000, 0x20000);
}

const struct acpi_header *acpi_find_table(const char *sig)
{
    const uint8_t *rsdp = acpi_find_rsdp();
    const struct acpi_header *rsdt;
    uint32_t n;

    if (!rsdp) {
        return NULL;
    }
    rsdt = (const struct acpi_header *)*(const uint32_t *)(rsdp + 16);
    if (memcmp(rsdt->sig, "RSDT", 4) ||
        acpi_checksum(rsdt, rsdt->length)) {
        return NULL;
    }
    n = (rsdt->length - sizeof(*rsdt)) / 4;
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t *entries = (const uint32_t *)(rsdt + 1);
        const struct acpi_header *t = (const void *)entries[i];
        if (!memcmp(t->sig, sig, 4)) {
            return acpi_checksum(t, t->length) ? NULL : t;
        }
    }
    if (!memcmp(sig, "DSDT", 4)) {
        const struct acpi_header *facp = acpi_find_table("FACP");
        if (facp) {
            const struct acpi_header *t =
                (const void *)*(const uint32_t *)((const uint8_t *)facp + 40);
            if (!memcmp(t->sig, "DSDT", 4) && !acpi_checksum(t, t->length)) {
                return t;
            }
        }
    }
    return NULL;
}

/* ---- entry ---- */

__attribute__((weak)) void ap_main(int index)
{
    for (;;) {
        cli();
        __asm__ volatile("hlt");
    }
}

void ap_start(int index)
{
    ap_main(index);
    for (;;) {
        cli();
        __asm__ volatile("hlt");
    }
}

void guest_start(uint32_t magic, struct mb_info *info)
{
    mb_magic = magic;
    mb_info = info;
    serial_init();
    idt_init();
    guest_main();
    guest_exit(true);
}
