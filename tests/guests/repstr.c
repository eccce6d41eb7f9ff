/*
 * repstr: REP MOVS / REP STOS under PAE paging, checked against an
 * element-by-element copy done with plain loads and stores (Intel SDM
 * vol. 2B MOVS/STOS: each element is read then written, RSI/RDI step by
 * the size, down with DF=1; a fault leaves the registers at the element
 * that faulted and the elements before it written).  Covers runs over
 * several pages, elements straddling a page boundary, overlapping copies
 * in both directions (byte replication vs memmove-like), all sizes,
 * runs longer than one helper call, #PF on the destination, on the
 * source, on both (source first), going down into a hole, a read-only
 * page (CR0.WP), and a REP MOVSB that rewrites the instruction after it
 * and a function called later (self-modifying code).  One line per case;
 * the same lines are expected under every accelerator.
 */
#include "lib.h"

#define WIN   0x800000u /* 4 KiB pages from here (page_tab) */
#define R1    0x810000u /* the REP instruction works here */
#define R2    0x830000u /* the reference copy, same layout */
#define RSIZE 0x10000u
#define HOLE1 0x848000u /* not present */
#define HOLE2 0x858000u /* not present */
#define ROPG  0x868000u /* read-only */

static bool all_ok = true;
static volatile uint32_t resume, got_vec, got_err, got_eip, got_cr2;
static volatile uint32_t got_ecx, got_esi, got_edi;

static void handler(struct isr_frame *f)
{
    uint32_t cr2;

    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    got_vec = f->vector;
    got_err = f->error_code;
    got_eip = f->eip;
    got_cr2 = cr2;
    got_ecx = f->ecx;
    got_esi = f->esi;
    got_edi = f->edi;
    f->eip = resume;
    f->eflags &= ~0x400u; /* CLD for the C code after it */
}

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t page_dir[512] __attribute__((aligned(4096)));
static uint64_t page_tab[512] __attribute__((aligned(4096)));

static void paging_on(void)
{
    uint32_t cr0, cr4;
    int i;

    for (i = 0; i < 4; i++) {
        page_dir[i] = (i << 21) | 0x83; /* 0-8 MiB, 2 MiB pages, RW */
    }
    for (i = 0; i < 512; i++) {
        page_tab[i] = (WIN + i * 4096) | 3;
    }
    page_tab[(HOLE1 - WIN) >> 12] = 0;
    page_tab[(HOLE2 - WIN) >> 12] = 0;
    page_tab[(ROPG - WIN) >> 12] = ROPG | 1;
    page_dir[4] = (uint32_t)page_tab | 3;
    pdpt[0] = (uint32_t)page_dir | 1;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | 0x20)); /* PAE */
    __asm__ volatile("mov %0, %%cr3" : : "r"(pdpt) : "memory");
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    /* PG and WP */
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 0x80010000) : "memory");
}

static void fill(uint32_t base, uint32_t len, uint32_t seed)
{
    volatile uint8_t *p = (volatile uint8_t *)base;
    uint32_t x = seed;

    for (uint32_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = x >> 16;
    }
}

/* The first differing offset of the two regions, or -1. */
static int32_t diff(uint32_t a, uint32_t b, uint32_t len)
{
    volatile uint8_t *p = (volatile uint8_t *)a, *q = (volatile uint8_t *)b;

    for (uint32_t i = 0; i < len; i++) {
        if (p[i] != q[i]) {
            return i;
        }
    }
    return -1;
}

/* Element by element: read the whole element, then write it. */
static void ref_op(bool stos, uint32_t s, uint32_t d, uint32_t n, uint32_t size,
                   bool down, uint32_t val)
{
    int32_t step = down ? -(int32_t)size : (int32_t)size;

    for (uint32_t k = 0; k < n; k++) {
        uint8_t e[4];
        for (uint32_t b = 0; b < size; b++) {
            e[b] =
                stos ? (uint8_t)(val >> (8 * b)) : ((volatile uint8_t *)s)[b];
        }
        for (uint32_t b = 0; b < size; b++) {
            ((volatile uint8_t *)d)[b] = e[b];
        }
        s += step;
        d += step;
    }
}

/* REP MOVS/STOS of size 1, 2 or 4 with DF = down; returns ESI/EDI/ECX. */
static void rep_op(bool stos, uint32_t *s, uint32_t *d, uint32_t *n,
                   uint32_t size, bool down, uint32_t val)
{
    if (down) {
        __asm__ volatile("std" ::: "cc");
    }
    if (stos) {
        if (size == 1) {
            __asm__ volatile("rep stosb"
                             : "+D"(*d), "+c"(*n)
                             : "a"(val)
                             : "memory");
        } else if (size == 2) {
            __asm__ volatile("rep stosw"
                             : "+D"(*d), "+c"(*n)
                             : "a"(val)
                             : "memory");
        } else {
            __asm__ volatile("rep stosl"
                             : "+D"(*d), "+c"(*n)
                             : "a"(val)
                             : "memory");
        }
    } else if (size == 1) {
        __asm__ volatile("rep movsb"
                         : "+S"(*s), "+D"(*d), "+c"(*n)
                         :
                         : "memory");
    } else if (size == 2) {
        __asm__ volatile("rep movsw"
                         : "+S"(*s), "+D"(*d), "+c"(*n)
                         :
                         : "memory");
    } else {
        __asm__ volatile("rep movsl"
                         : "+S"(*s), "+D"(*d), "+c"(*n)
                         :
                         : "memory");
    }
    __asm__ volatile("cld" ::: "cc");
}

/*
 * One case: src and dst are offsets in R1 (and R2 for the reference);
 * count elements of size bytes, DF = down.
 */
static void check_copy(const char *name, bool stos, uint32_t src, uint32_t dst,
                       uint32_t count, uint32_t size, bool down)
{
    uint32_t s = R1 + src, d = R1 + dst, n = count;
    uint32_t val = 0x8badf00d;
    int32_t step = down ? -(int32_t)size : (int32_t)size;
    int32_t at;
    bool ok;

    fill(R1, RSIZE, count);
    fill(R2, RSIZE, count);
    rep_op(stos, &s, &d, &n, size, down, val);
    ref_op(stos, R2 + src, R2 + dst, count, size, down, val);
    at = diff(R1, R2, RSIZE);
    ok = at < 0 && n == 0 && d == R1 + dst + step * (int32_t)count &&
         (stos || s == R1 + src + step * (int32_t)count);
    printf("repstr: %s %s\n", name, ok ? "ok" : "WRONG");
    if (!ok) {
        printf("repstr:   first difference at +%x; ecx %x esi %x edi %x\n",
               (unsigned)at, n, s - R1, d - R1);
        all_ok = false;
    }
}

/*
 * A REP MOVSB that faults: src/dst absolute, count bytes; reports the
 * fault and the registers left, and checks the bytes before the fault.
 */
static void check_fault(const char *name, uint32_t src, uint32_t dst,
                        uint32_t count, bool down, uint32_t want_cr2,
                        uint32_t want_err, uint32_t done)
{
    uint32_t fault, s = src, d = dst, n = count;
    int32_t step = down ? -1 : 1;
    bool regs, bytes, ok;

    fill(R1, RSIZE, 7);
    fill(R2, RSIZE, 7);
    got_vec = got_err = got_cr2 = 0xffffffff;
    if (down) {
        __asm__ volatile("std" ::: "cc");
    }
    __asm__ volatile("movl $2f, %[r]\n\t"
                     "movl $1f, %[f]\n\t"
                     "1: rep movsb\n\t"
                     "2: cld\n\t"
                     : [r] "=m"(resume), [f] "=&r"(fault), "+S"(s), "+D"(d),
                       "+c"(n)
                     :
                     : "memory", "cc");
    regs = got_ecx == count - done && got_esi == src + step * (int32_t)done &&
           got_edi == dst + step * (int32_t)done;
    /* the bytes copied before the fault */
    bytes = done == 0 || (down ? diff(src - done + 1, dst - done + 1, done)
                               : diff(src, dst, done)) < 0;
    ok = got_vec == 14 && got_err == want_err && got_cr2 == want_cr2 &&
         got_eip == fault && regs && bytes;
    printf("repstr: %s vector=%u error=%u cr2=%s regs=%s bytes=%s\n", name,
           got_vec, got_err, got_cr2 == want_cr2 ? "ok" : "WRONG",
           regs ? "ok" : "WRONG", bytes ? "ok" : "WRONG");
    if (!ok) {
        printf("repstr:   cr2 %x ecx %x esi %x edi %x eip %s\n", got_cr2,
               got_ecx, got_esi, got_edi, got_eip == fault ? "ok" : "WRONG");
        all_ok = false;
    }
}

/* SMC: a function whose body a REP MOVSB replaces. */
extern char smc_func[], smc_new[], smc_new_end[];
__asm__(".text\n"
        "smc_func: movl $1, %eax\n"
        "ret\n"
        ".data\n"
        "smc_new: movl $2, %eax\n"
        "ret\n"
        "smc_new_end:\n"
        ".text\n");

static void check_smc(void)
{
    uint32_t v, s, d, n;
    uint32_t (*fn)(void) = (uint32_t(*)(void))smc_func;

    v = fn(); /* translated once */
    s = (uint32_t)smc_new;
    d = (uint32_t)smc_func;
    n = smc_new_end - smc_new;
    __asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
    v = v * 10 + fn();
    printf("repstr: smc function %s\n", v == 12 ? "ok" : "WRONG");
    all_ok &= v == 12;

    /* the instruction right after the REP MOVSB: b8 imm32 = movl $imm, %eax */
    static const uint8_t mov3[5] = {0xb8, 3, 0, 0, 0};
    s = (uint32_t)mov3;
    n = 5;
    __asm__ volatile("movl $1f, %%edi\n\t"
                     "rep movsb\n\t"
                     "1: movl $1, %%eax\n\t"
                     : "=a"(v), "+S"(s), "+c"(n)
                     :
                     : "edi", "memory");
    printf("repstr: smc next insn %s\n", v == 3 ? "ok" : "WRONG");
    all_ok &= v == 3;
}

void guest_main(void)
{
    for (int v = 0; v < 32; v++) {
        idt_set_handler(v, handler);
    }
    paging_on();
    puts("repstr: paging on\n");

    /* forward, 3+ pages, unaligned */
    check_copy("movsb fwd", false, 0x0005, 0x83e8, 9000, 1, false);
    check_copy("movsb fwd overlap+1", false, 0x1000, 0x1001, 6000, 1, false);
    check_copy("movsb fwd overlap+5", false, 0x0ff0, 0x0ff5, 7000, 1, false);
    check_copy("movsb fwd overlap-3", false, 0x2003, 0x2000, 7000, 1, false);
    check_copy("movsw fwd straddle", false, 0x0ffd, 0x5fff, 3000, 2, false);
    check_copy("movsl fwd overlap-4", false, 0x3ffe, 0x3ffa, 2500, 4, false);
    check_copy("movsl fwd overlap+2", false, 0x1ffe, 0x2000, 2500, 4, false);
    check_copy("movsl fwd long", false, 0x0000, 0x8000, 0x1f00, 4, false);
    check_copy("movsb fwd long", false, 0x0001, 0x7001, 0x8fff, 1, false);
    /* backward: start at the last element */
    check_copy("movsb back", false, 0x7000, 0xc123, 9000, 1, true);
    check_copy("movsb back overlap-3", false, 0x6000, 0x5ffd, 5000, 1, true);
    check_copy("movsb back overlap+3", false, 0x6000, 0x6003, 5000, 1, true);
    check_copy("movsw back straddle", false, 0x4fff, 0x8001, 3000, 2, true);
    check_copy("movsl back overlap+8", false, 0x5ffe, 0x6006, 3000, 4, true);
    check_copy("movsl back overlap-2", false, 0x5ffe, 0x5ffc, 3000, 4, true);
    /* stores */
    check_copy("stosb fwd", true, 0, 0x0123, 10000, 1, false);
    check_copy("stosw fwd straddle", true, 0, 0x0fff, 5000, 2, false);
    check_copy("stosl fwd", true, 0, 0x1ffe, 6000, 4, false);
    check_copy("stosl back straddle", true, 0, 0x9ffe, 6000, 4, true);
    check_copy("stosb back", true, 0, 0x8000, 7000, 1, true);

    /* faults: the elements before are done, the registers left there */
    check_fault("#PF dst", R1, HOLE1 - 0x1800, 0x2000, false, HOLE1, 2, 0x1800);
    check_fault("#PF src", HOLE1 - 0x900, R1, 0x1000, false, HOLE1, 0, 0x900);
    check_fault("#PF src+dst src first", HOLE1 - 0x50, HOLE2 - 0x50, 0x100,
                false, HOLE1, 0, 0x50);
    check_fault("#PF dst down", R1 + 0x100, HOLE1 + 0x1040, 0x2000, true,
                HOLE1 + 0xfff, 2, 0x41);
    check_fault("#PF read-only", R1, ROPG - 0x10, 0x100, false, ROPG, 3, 0x10);
    check_smc();

    puts(all_ok ? "repstr: all ok\n" : "repstr: MISMATCH\n");
    guest_exit(all_ok);
}
