/*
 * modes: the x86 processor modes one after the other, each printing its
 * results and a checksum on COM1 (Intel SDM vol. 3A ch. 2, 5, 7, 9, 20):
 *   real16  back to real mode from the multiboot protected mode: 16-bit
 *           arithmetic, 32-bit operands in 16-bit code, 16-bit ModRM
 *           addressing with 64 KiB wrap and SS for BP, segment overrides,
 *           string instructions (both directions, SI wrap, 67h), far
 *           calls (alias segments, indirect), INT/IRET through the IVT,
 *           PUSHA/POPA, ENTER/LEAVE, LES, XLAT, DAA/DAS/AAA/AAM/AAD
 *   pm32    32-bit protected mode: a code segment with a non-zero base,
 *           data segments with bases and limits (FS, GS, ES for string
 *           stores), LSL/LAR/VERR/VERW, a call gate, SGDT/SIDT/SMSW/STR
 *   pm16    a 16-bit code segment in protected mode (16-bit operands and
 *           addressing, the 32-bit stack of SS.B, a 32-bit far return)
 *   ring3   CPL 3 entered with IRET and RETF, back to ring 0 with INT on
 *           the TSS stack; I/O through the TSS bitmap (allowed port,
 *           denied port: #GP), CLI and HLT at CPL 3 (#GP), a call gate
 *           from CPL 3 (stack switch, parameter copy), IOPL 3
 *   vm86    virtual-8086 mode entered with IRET: real-mode segments, far
 *           call, IOPL 3 CLI and INT through the IDT; IOPL 0 INT/CLI/
 *           PUSHF raise #GP; the I/O bitmap
 *   tf      single-step (#DB after each insn, not after MOV SS, after the
 *           POPF that clears TF)
 *   long    PAE paging, IA-32e mode, 64-bit code (REX registers,
 *           RIP-relative data, REP MOVSQ), a compatibility-mode code
 *           segment, SYSCALL/SYSRET between CPL 0 and CPL 3, back out
 * The code for each mode is in modes.S.  The lines are the same under KVM
 * and TCG (and on Debian's QEMU); "skip=real,pm,pm16,ring3,vm86,tf,long" on the
 * command line leaves stages out.
 */
#include "lib.h"
#include "modes.h"

/* modes.S */
extern const char rm_blob_start[], rm_blob_end[], rm_res[], rm_gdt_desc[];
extern const char rm_flags[];
void modes_real16(void);
uint32_t modes_based_call(uint32_t *cs);
extern const char based_func[];
uint32_t modes_gate_call(uint32_t a, uint32_t b);
extern const char gate_target[];
extern volatile uint32_t gate_ss, gate_esp, gate_cs;
void modes_ring3(const void *entry, uint32_t eflags, int use_iret);
extern const char trap_int81[], trap_gp[];
extern volatile uint32_t trap_rec[10], r3_out[8];
extern const char r3_basic[], r3_io_ok[], r3_io_denied[], r3_io_denied_insn[];
extern const char r3_cli[], r3_cli_insn[], r3_gate[], r3_iopl3[], r3_hlt[];
extern const char r3_hlt_insn[];
void modes_vm86(uint16_t ip, uint32_t eflags);
extern const char vm_basic[], vm_int_gp[], vm_int_insn[], vm_cli_gp[];
extern const char vm_cli_insn[], vm_pushf_gp[], vm_pushf_insn[], vm_io[];
extern const char vm_io_insn[], vm_res[];
void modes_tf(void);
void modes_pm16(void);
extern const char pm16_res[];
extern const char tf_start[], trap_db[];
extern volatile uint32_t db_count, db_eips[16];
void modes_long(void);
extern volatile uint32_t lm_res[LM_RES_WORDS];
extern uint64_t lm_pml4[512], lm_pdpt[512], lm_pd[512];

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static struct {
    uint16_t pad;
    uint16_t limit;
    uint32_t base;
} __attribute__((packed, aligned(4))) gdt_desc;
static uint8_t bdata[0x1000] __attribute__((aligned(16)));
static uint32_t pm_res[PM_RES_WORDS];
static bool skip_gate;

/* The 32-bit TSS (SDM vol. 3A 7.2.1) followed by its I/O bitmap. */
static struct {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
    uint8_t iomap[0x400 / 8 + 1];
} __attribute__((packed, aligned(128))) tss;
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));

static bool skipped(const char *tag)
{
    return guest_skips("modes", tag);
}

/* A code/data descriptor; flags = bits 20-23 (G, D/B, L, AVL). */
static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access,
                         uint8_t flags)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

/* A 32-bit call gate (type 0xc) to sel:off with params dwords. */
static uint64_t gate_desc(uint16_t sel, uint32_t off, int dpl, int params)
{
    return (off & 0xffff) | ((uint64_t)sel << 16) |
           ((uint64_t)(params & 0x1f) << 32) |
           ((uint64_t)(0x8c | (dpl << 5)) << 40) |
           ((uint64_t)(off >> 16) << 48);
}

static void setup_gdt(void)
{
    gdt[SEL_CODE32 / 8] = seg_desc(0, 0xfffff, 0x9a, 0xc);
    gdt[SEL_DATA32 / 8] = seg_desc(0, 0xfffff, 0x92, 0xc);
    gdt[SEL_CODE16 / 8] = seg_desc(LOWBASE, 0xffff, 0x9a, 0x0);
    gdt[SEL_DATA16 / 8] = seg_desc(0, 0xffff, 0x92, 0x0);
    gdt[SEL_BCODE / 8] = seg_desc(BCODE_BASE, 0xfffff, 0x9a, 0xc);
    gdt[SEL_BDATA / 8] = seg_desc((uint32_t)bdata, 0xfff, 0x92, 0x4);
    gdt[SEL_GATE / 8] =
        gate_desc(SEL_BCODE, (uint32_t)gate_target - BCODE_BASE, 3, 2);
    gdt[SEL_TSS / 8] = seg_desc((uint32_t)&tss, sizeof(tss) - 1, 0x89, 0x0);
    gdt[SEL_BDATA2 / 8] = seg_desc((uint32_t)bdata + 0x800, 0x7ff, 0x92, 0x4);
    gdt[SEL_DATA16B / 8] = seg_desc(LOWBASE, 0xffff, 0x92, 0x0);
    gdt[SEL_CODE64 / 8] = seg_desc(0, 0xfffff, 0x9a, 0xa);
    gdt[SEL_DATA64 / 8] = seg_desc(0, 0xfffff, 0x92, 0xc);
    gdt[SEL_UCODE32 / 8] = seg_desc(0, 0xfffff, 0xfa, 0xc);
    gdt[SEL_UDATA / 8] = seg_desc(0, 0xfffff, 0xf2, 0xc);
    gdt[SEL_UCODE64 / 8] = seg_desc(0, 0xfffff, 0xfa, 0xa);
    gdt_desc.limit = sizeof(gdt) - 1;
    gdt_desc.base = (uint32_t)gdt;
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\n\t"
                     "mov %2, %%ds\n\t"
                     "mov %2, %%es\n\t"
                     "mov %2, %%fs\n\t"
                     "mov %2, %%gs\n\t"
                     "mov %2, %%ss"
                     :
                     : "m"(gdt_desc.limit), "i"(SEL_CODE32), "r"(SEL_DATA32)
                     : "memory");
}

/* FNV-1a over the result words. */
static uint32_t checksum(const volatile uint32_t *w, int n)
{
    uint32_t h = 2166136261u;

    for (int i = 0; i < n; i++) {
        for (int b = 0; b < 32; b += 8) {
            h ^= (w[i] >> b) & 0xff;
            h *= 16777619u;
        }
    }
    return h;
}

static void print_results(const char *stage, const volatile uint32_t *w, int n)
{
    for (int i = 0; i < n; i += 8) {
        printf("modes: %s %2d:", stage, i);
        for (int j = i; j < n && j < i + 8; j++) {
            printf(" %08x", w[j]);
        }
        printf("\n");
    }
    printf("modes: %s sum=%08x\n", stage, checksum(w, n));
}

/* ---- real mode ---- */

static void stage_real(void)
{
    uint8_t *low = (uint8_t *)LOWBASE;
    volatile uint32_t *res = (uint32_t *)(low + (rm_res - rm_blob_start));
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) *d =
        (void *)(low + (rm_gdt_desc - rm_blob_start));

    memset((void *)res, 0, 4 * RM_RES_WORDS);
    d->limit = gdt_desc.limit;
    d->base = gdt_desc.base;
    *(uint16_t *)(low + (rm_flags - rm_blob_start)) =
        (skipped("enter1") ? RMF_NO_ENTER1 : 0) |
        (skipped("bcd") ? RMF_NO_BCD : 0);
    modes_real16();
    print_results("real16", res, RM_RES_WORDS);
}

/* ---- 32-bit protected mode ---- */

static void stage_pm(void)
{
    uint32_t *r = pm_res, v, cs, di, cnt;
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) dt;

    memset(bdata, 0, sizeof(bdata));
    memset(pm_res, 0, sizeof(pm_res));

    /* code segment with base BCODE_BASE: EIP = linear - base */
    v = modes_based_call(&cs);
    r[0] = v - ((uint32_t)based_func + 5 - BCODE_BASE);
    r[1] = cs;

    /* data segments with bases: FS, GS; ES for STOS/MOVS */
    __asm__ volatile("mov %w0, %%fs\n\t"
                     "movl $0xcafef00d, %%fs:8\n\t"
                     "movw $0x1234, %%fs:0x7fe"
                     :
                     : "r"(SEL_BDATA)
                     : "memory");
    r[2] = *(uint32_t *)(bdata + 8);
    __asm__ volatile("mov %w1, %%gs\n\t"
                     "movl %%gs:0, %0"
                     : "=r"(v)
                     : "r"(SEL_BDATA2)
                     : "memory");
    r[3] = v; /* bdata[0x800..0x803]: 0x12 from fs:0x7ff */
    di = 0x20;
    cnt = 4;
    __asm__ volatile("push %%es\n\t"
                     "mov %w2, %%es\n\t"
                     "cld\n\t"
                     "rep stosl\n\t"
                     "pop %%es"
                     : "+D"(di), "+c"(cnt)
                     : "r"(SEL_BDATA), "a"(0x11223344)
                     : "memory");
    r[4] = di;
    r[5] = checksum((uint32_t *)(bdata + 0x20), 4);
    v = (uint32_t) "segment base!";
    cnt = 13;
    __asm__ volatile("push %%es\n\t"
                     "mov %w3, %%es\n\t"
                     "rep movsb\n\t"
                     "pop %%es"
                     : "+D"(di), "+S"(v), "+c"(cnt)
                     : "r"(SEL_BDATA)
                     : "memory");
    r[6] = checksum((uint32_t *)(bdata + 0x30), 4);
    __asm__ volatile(".byte 0x64\n\t" /* FS: on LEA is ignored */
                     "lea 0x10(%%ecx), %0"
                     : "=r"(v)
                     : "c"(0x100));
    r[7] = v; /* LEA ignores the segment */
    __asm__ volatile("mov %w0, %%fs\n\t"
                     "mov %w0, %%gs"
                     :
                     : "r"(SEL_DATA32));

    /* LSL, LAR, VERR, VERW (KVM-PVM cannot emulate them: "desc") */
    if (skipped("desc")) {
        goto gate;
    }
    __asm__ volatile("lsl %1, %0" : "=r"(v) : "r"(SEL_BDATA));
    r[8] = v;
    __asm__ volatile("lar %1, %0" : "=r"(v) : "r"(SEL_BDATA));
    r[9] = v & 0x00f0ff00;
    __asm__ volatile("lar %1, %0" : "=r"(v) : "r"(SEL_GATE));
    r[10] = v & 0x00f0ff00;
    __asm__ volatile("mov $0, %0\n\t"
                     "lsl %1, %0\n\t"
                     "setz %b0"
                     : "=&q"(v)
                     : "r"(SEL_GATE));
    r[11] = v & 0xff; /* a call gate has no limit: ZF = 0 */
    __asm__ volatile("verr %w1\n\tsetz %b0" : "=q"(v) : "r"(SEL_CODE32));
    r[12] = v & 0xff;
    __asm__ volatile("verw %w1\n\tsetz %b0" : "=q"(v) : "r"(SEL_CODE32));
    r[13] = v & 0xff;
    __asm__ volatile("verw %w1\n\tsetz %b0" : "=q"(v) : "r"(SEL_BDATA));
    r[14] = v & 0xff;

gate:
    /* call gate at CPL 0: same stack, two parameters ("gate") */
    if (!skip_gate) {
        __asm__ volatile("mov %%esp, %0" : "=r"(di));
        r[15] = modes_gate_call(6, 7);
        __asm__ volatile("mov %%esp, %0" : "=r"(v));
        r[16] = di - v;
        r[17] = gate_cs;
    }

    /* descriptor tables and CR0 */
    __asm__ volatile("sgdt %0" : "=m"(dt));
    r[18] = dt.limit;
    r[19] = dt.base == (uint32_t)gdt;
    __asm__ volatile("sidt %0" : "=m"(dt));
    r[20] = dt.limit;
    __asm__ volatile("smsw %0" : "=r"(v));
    r[21] = v & 0xffff;
    __asm__ volatile("movw $0x1234, %0\n\tsldt %0" : "=m"(v));
    r[22] = v & 0xffff;
    print_results("pm32", pm_res, 23);
}

/* ---- 16-bit protected mode ---- */

static void stage_pm16(void)
{
    volatile uint16_t *res = (uint16_t *)(LOWBASE + (pm16_res - rm_blob_start));
    volatile uint16_t *wrap = (uint16_t *)(LOWBASE + 0x10);
    uint32_t r[8];

    memset((void *)res, 0, 16);
    *wrap = 0x7e57;
    modes_pm16();
    for (int i = 0; i < 8; i++) {
        r[i] = res[i];
    }
    print_results("pm16", r, 8);
}

/* ---- CPL 3 ---- */

/* The IDT entry of a vector (the IDT is lib.c's; SIDT finds it). */
static uint64_t *idt_entry(int vec)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) dt;

    __asm__ volatile("sidt %0" : "=m"(dt));
    return (uint64_t *)(dt.base + 8 * vec);
}

/* A 32-bit interrupt gate to fn in the flat code segment. */
static void idt_gate(int vec, const void *fn, int dpl)
{
    uint32_t *e = (uint32_t *)idt_entry(vec);

    e[0] = ((uint32_t)fn & 0xffff) | (SEL_CODE32 << 16);
    e[1] = ((uint32_t)fn & 0xffff0000) | 0x8e00 | (dpl << 13);
}

/* Records what one trap back from CPL 3 showed. */
static int r3_record(uint32_t *r, int i, const void *insn)
{
    r[i++] = trap_rec[0];                             /* vector */
    r[i++] = trap_rec[1];                             /* error code */
    r[i++] = insn ? trap_rec[2] - (uint32_t)insn : 0; /* EIP */
    r[i++] = trap_rec[3];                             /* CS */
    r[i++] = trap_rec[4] & 0x3fc5; /* EFLAGS (defined bits) */
    r[i++] = (uint32_t)ring0_stack + sizeof(ring0_stack) - trap_rec[7];
    r[i++] = trap_rec[6] | trap_rec[8] << 16; /* SS at CPL 3, SS at CPL 0 */
    return i;
}

/* The TSS (ring-0 stack, I/O bitmap: 0x3f8-0x3ff allowed) and TR. */
static void setup_tss(void)
{
    static bool done;

    if (done) {
        return;
    }
    done = true;
    memset(&tss, 0, sizeof(tss));
    tss.esp0 = (uint32_t)ring0_stack + sizeof(ring0_stack);
    tss.ss0 = SEL_DATA32;
    tss.iomap_base = (uint8_t *)tss.iomap - (uint8_t *)&tss;
    memset(tss.iomap, 0xff, sizeof(tss.iomap));
    tss.iomap[0x3f8 / 8] = 0; /* 0x3f8-0x3ff allowed; 0x80 denied */
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

/* IDT gates 0x81 (DPL 3) and 13 (#GP) go to modes.S's trap handlers. */
static uint64_t saved13;

static void traps_install(void)
{
    saved13 = *idt_entry(13);
    idt_gate(0x81, trap_int81, 3);
    idt_gate(13, trap_gp, 0);
}

static void traps_remove(void)
{
    *idt_entry(13) = saved13;
}

static void stage_ring3(void)
{
    uint32_t r[PM_RES_WORDS];
    int i = 0;
    bool skip_iret;

    memset(r, 0, sizeof(r));
    setup_tss();
    __asm__ volatile("str %0" : "=r"(r[i]));
    r[i] &= 0xffff;
    i++;
    traps_install();

    /* IRET to CPL 3 (KVM-PVM cannot emulate it: "iret" uses RETF) */
    skip_iret = skipped("iret");
    modes_ring3(r3_basic, 0x2, !skip_iret);
    i = r3_record(r, i, NULL);
    r[i++] = r3_out[0];
    r[i++] = r3_out[1];
    r[i++] = r3_out[2] & 0x3fc5;
    /* RETF to CPL 3; an allowed port */
    modes_ring3(r3_io_ok, 0, 0);
    r[i++] = trap_rec[0];
    r[i++] = r3_out[3];
    /* a denied port: #GP(0) */
    modes_ring3(r3_io_denied, 0, 0);
    i = r3_record(r, i, r3_io_denied_insn);
    /* CLI at CPL 3 with IOPL 0: #GP(0) */
    modes_ring3(r3_cli, 0, 0);
    i = r3_record(r, i, r3_cli_insn);
    /* HLT at CPL 3: #GP(0) */
    modes_ring3(r3_hlt, 0, 0);
    i = r3_record(r, i, r3_hlt_insn);
    /* call gate from CPL 3: stack switch, parameters copied */
    if (!skip_gate) {
        modes_ring3(r3_gate, 0, 0);
        r[i++] = trap_rec[0];
        r[i++] = r3_out[4];
        r[i++] = (uint32_t)ring0_stack + sizeof(ring0_stack) - gate_esp;
        r[i++] = gate_ss | gate_cs << 16;
        r[i++] = r3_out[5] == trap_rec[5];
    }
    /* IOPL 3 (IRET with EFLAGS.IOPL = 3): CLI and a denied port work */
    if (!skip_iret) {
        modes_ring3(r3_iopl3, 0x3002, 1);
        r[i++] = trap_rec[0];
        r[i++] = r3_out[6] & 0x3fc5;
    }

    traps_remove();
    print_results("ring3", r, i);
}

/* ---- virtual-8086 mode ---- */

/* Offset in the blob (the vm86 IP) of a label of modes.S. */
#define BLOB_IP(x) ((uint16_t)((x)-rm_blob_start))

static int vm86_record(uint32_t *r, int i, const char *insn)
{
    r[i++] = trap_rec[0];
    r[i++] = trap_rec[1];
    r[i++] = insn ? trap_rec[2] - BLOB_IP(insn) : trap_rec[2];
    r[i++] = trap_rec[3];                     /* CS */
    r[i++] = trap_rec[4] & 0x23fc5;           /* EFLAGS with VM */
    r[i++] = trap_rec[5] | trap_rec[6] << 16; /* SP, SS */
    return i;
}

static void stage_vm86(void)
{
    volatile uint16_t *vr = (uint16_t *)(LOWBASE + (vm_res - rm_blob_start));
    uint32_t r[PM_RES_WORDS];
    int i = 0;

    memset(r, 0, sizeof(r));
    memset((void *)vr, 0, 16);
    setup_tss();
    traps_install();
    /* IOPL 3: real-mode segments, far call, CLI, INT through the IDT */
    modes_vm86(BLOB_IP(vm_basic), 0x23002);
    i = vm86_record(r, i, NULL);
    r[i - 4] = 0; /* EIP: the IP after INT, layout dependent */
    for (int j = 0; j < 6; j++) {
        r[i++] = vr[j];
    }
    /* IOPL 0: INT n, CLI, PUSHF raise #GP(0) */
    modes_vm86(BLOB_IP(vm_int_gp), 0x20002);
    i = vm86_record(r, i, vm_int_insn);
    modes_vm86(BLOB_IP(vm_cli_gp), 0x20002);
    i = vm86_record(r, i, vm_cli_insn);
    modes_vm86(BLOB_IP(vm_pushf_gp), 0x20002);
    i = vm86_record(r, i, vm_pushf_insn);
    /* I/O bitmap in vm86: an allowed port, then a denied one (#GP) */
    modes_vm86(BLOB_IP(vm_io), 0x20002);
    r[i++] = vr[6] & 0xff;
    i = vm86_record(r, i, vm_io_insn);
    traps_remove();
    print_results("vm86", r, i);
}

/* ---- single-step ---- */

static void stage_tf(void)
{
    uint64_t saved = *idt_entry(1);
    uint32_t r[17], n;

    idt_gate(1, trap_db, 0);
    db_count = 0;
    modes_tf();
    *idt_entry(1) = saved;
    n = db_count;
    r[0] = n;
    for (uint32_t j = 0; j < n && j < 16; j++) {
        r[1 + j] = db_eips[j] - (uint32_t)tf_start;
    }
    print_results("tf", r, 1 + (n < 16 ? n : 16));
}

/* ---- IA-32e mode ---- */

static void stage_long(void)
{
    int i;

    for (i = 0; i < 512; i++) {
        lm_pd[i] = ((uint64_t)i << 21) | 0x87; /* 2 MiB, user, writable */
    }
    memset(lm_pdpt, 0, 4096);
    memset(lm_pml4, 0, 4096);
    lm_pdpt[0] = (uint32_t)lm_pd | 0x7;
    lm_pml4[0] = (uint32_t)lm_pdpt | 0x7;
    memset((void *)lm_res, 0, 4 * LM_RES_WORDS);
    modes_long();
    print_results("long", lm_res, 26);
}

void guest_main(void)
{
    setup_gdt();
    memcpy((void *)LOWBASE, rm_blob_start, rm_blob_end - rm_blob_start);
    skip_gate = skipped("gate");
    if (!skipped("real")) {
        stage_real();
    }
    if (!skipped("pm")) {
        stage_pm();
    }
    if (!skipped("pm16")) {
        stage_pm16();
    }
    if (!skipped("ring3")) {
        stage_ring3();
    }
    if (!skipped("vm86")) {
        stage_vm86();
    }
    if (!skipped("tf")) {
        stage_tf();
    }
    if (!skipped("long")) {
        stage_long();
    }
    puts("modes: done\n");
    guest_exit(true);
}
