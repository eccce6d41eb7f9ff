/*
 * excp: CPU exceptions taken and returned from, with their vectors, error
 * codes, faulting EIPs and CR2 (Intel SDM vol. 3A ch. 6 and 4.7):
 * #DE (DIV by zero, IDIV overflow), #BP (INT3: a trap, EIP after it),
 * #OF (INTO), #BR (BOUND), #UD (UD2), #GP (far jump to a null selector,
 * a selector beyond the GDT limit, SS with the wrong DPL), #NP (a
 * not-present segment), #PF after enabling PAE paging (not-present read:
 * error 0; write to a read-only page with CR0.WP: error 3; CR2 = the
 * address); from ring 3 (entered with IRET): #GP for CLI, HLT, IN
 * without I/O permission, INT through a DPL 0 gate, MOV from CR0, and #PF
 * (error 5) reading a supervisor page; a self-NMI through the local APIC;
 * unmasked floating-point exceptions (SDM vol. 3A 6.15, vol. 1 8.6, 11.5):
 * #XM for DIVSS by zero with MXCSR.ZM clear (#UD without CR4.OSXMMEXCPT;
 * the destination unchanged, MXCSR.ZE set either way), #MF at the x87
 * instruction after an unmasked FDIV by zero (and at FWAIT).  Each
 * handler records what it saw and resumes at the label after the faulting
 * instruction.  One line per case; the same lines are expected under KVM and
 * TCG.
 */
#include "lib.h"

static volatile uint32_t resume, got_vec, got_err, got_eip, got_cr2, got_cs;
static bool all_ok = true;

static bool skipped(const char *tag)
{
    return guest_skips("excp", tag);
}

static void handler(struct isr_frame *f)
{
    got_vec = f->vector;
    got_err = f->error_code;
    got_eip = f->eip;
    got_cs = f->cs;
    if (f->vector == 14) {
        uint32_t cr2;
        __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
        got_cr2 = cr2;
    }
    f->eip = resume;
}

static void check(const char *name, uint32_t vec, uint32_t err,
                  uint32_t fault_eip)
{
    bool ok = got_vec == vec && got_err == err && got_eip == fault_eip;

    printf("excp: %s vector=%u error=%04x eip=%s\n", name, got_vec, got_err,
           got_eip == fault_eip ? "ok" : "WRONG");
    if (!ok) {
        printf("excp:   expected vector=%u error=%04x eip=%x, eip was %x\n",
               vec, err, fault_eip, got_eip);
        all_ok = false;
    }
    got_vec = got_err = got_eip = 0xffffffff;
}

/* Runs insn with "resume" at label 2 and "fault" at label 1. */
#define FAULT(insn, ...)                                                       \
    ({                                                                         \
        uint32_t fault_;                                                       \
        __asm__ volatile("movl $2f, %[r]\n\t"                                  \
                         "movl $1f, %[f]\n\t"                                  \
                         "1: " insn "\n\t"                                     \
                         "2:\n\t"                                              \
                         : [r] "=m"(resume), [f] "=&r"(fault_)                 \
                         : __VA_ARGS__                                         \
                         : "memory", "cc");                                    \
        fault_;                                                                \
    })

static uint64_t gdt[8] __attribute__((aligned(8))) = {
    0,
    0x00cf9a000000ffffull, /* 0x08: code, flat */
    0x00cf92000000ffffull, /* 0x10: data, flat */
    0x00cf12000000ffffull, /* 0x18: data, not present */
    0x00cff2000000ffffull, /* 0x20: data, DPL 3 */
    0x00cffa000000ffffull, /* 0x28: code, DPL 3 */
    0x00cff2000000ffffull, /* 0x30: data, DPL 3 */
    0,                     /* 0x38: TSS, filled in at run time */
};

/* Ring 3: a 32-bit TSS for the stack switch, stacks for both rings. */
static uint32_t tss[26] __attribute__((aligned(8)));
static uint32_t kstack[1024] __attribute__((aligned(16)));
static uint32_t ustack[256] __attribute__((aligned(16)));
static volatile uint32_t saved_esp;

static void setup_ring3(void)
{
    uint32_t base = (uint32_t)tss;

    tss[1] = (uint32_t)(kstack + 1024); /* ESP0 */
    tss[2] = 0x10;                      /* SS0 */
    tss[25] = 0x68 << 16;               /* I/O bitmap beyond the limit */
    gdt[7] = 0x67 | ((uint64_t)(base & 0xffffff) << 16) | (0x89ull << 40) |
             ((uint64_t)(base >> 24) << 56);
    __asm__ volatile("ltr %w0" : : "r"(0x38));
}

/*
 * Runs insn at CPL 3 (IRET to a DPL 3 code segment, IF = 0, IOPL = 0);
 * the handler resumes at label 2 in ring 0 on the TSS stack, which
 * restores the ring 0 stack and data segments.
 */
#define USER_FAULT(insn)                                                       \
    ({                                                                         \
        uint32_t fault_;                                                       \
        __asm__ volatile(                                                      \
            "movl $2f, %[r]\n\t"                                               \
            "movl $1f, %[f]\n\t"                                               \
            "movl %%esp, %[sp]\n\t"                                            \
            "pushl $0x33\n\t"                                                  \
            "pushl %[us]\n\t"                                                  \
            "pushl $0x2\n\t"                                                   \
            "pushl $0x2b\n\t"                                                  \
            "pushl $1f\n\t"                                                    \
            "iret\n\t"                                                         \
            "1: " insn "\n\t"                                                  \
            "3: jmp 3b\n\t"                                                    \
            "2: movl %[sp], %%esp\n\t"                                         \
            "movl $0x10, %%eax\n\t"                                            \
            "movl %%eax, %%ds\n\t"                                             \
            "movl %%eax, %%es\n\t"                                             \
            "movl %%eax, %%fs\n\t"                                             \
            "movl %%eax, %%gs\n\t"                                             \
            : [r] "=m"(resume), [f] "=&r"(fault_), [sp] "=m"(saved_esp)        \
            : [us] "r"(ustack + 256)                                           \
            : "eax", "memory", "cc");                                          \
        fault_;                                                                \
    })

static void check_user(const char *name, uint32_t vec, uint32_t err,
                       uint32_t fault_eip)
{
    printf("excp: %s from cpl %u\n", name, got_cs & 3);
    all_ok &= (got_cs & 3) == 3;
    check(name, vec, err, fault_eip);
}

static volatile uint32_t nmi_count;

static void nmi_handler(struct isr_frame *f)
{
    nmi_count++;
}

/* A self-NMI through the local APIC ICR (delivery mode NMI, physical). */
static void test_nmi(void)
{
    uint32_t id = lapic_read(LAPIC_ID) >> 24;

    idt_set_handler(2, nmi_handler);
    lapic_write(LAPIC_SVR, 0x1ff);
    lapic_write(LAPIC_ICR_HI, id << 24);
    lapic_write(LAPIC_ICR_LO, 4 << 8);
    for (int i = 0; i < 1000000 && !nmi_count; i++) {
        cpu_relax();
    }
    printf("excp: NMI with IF=0 delivered %u time(s)\n", nmi_count);
    all_ok &= nmi_count == 1;
    idt_set_handler(2, handler);
}

/* FAULT with setup code before the faulting insn (label 1 at insn). */
#define FAULT_AFTER(pre, insn, ...)                                            \
    ({                                                                         \
        uint32_t fault_;                                                       \
        __asm__ volatile("movl $2f, %[r]\n\t"                                  \
                         "movl $1f, %[f]\n\t" pre "\n\t"                       \
                         "1: " insn "\n\t"                                     \
                         "2:\n\t"                                              \
                         : [r] "=m"(resume), [f] "=&r"(fault_)                 \
                         : __VA_ARGS__                                         \
                         : "memory", "cc");                                    \
        fault_;                                                                \
    })

/*
 * DR0 instruction breakpoint (SDM vol. 3B 18.2, 18.3.1.1): #DB is a fault
 * at the insn with DR6.B0; an IRET that sets RF runs the insn at the
 * breakpoint once (the handlers here return through POPF, which cannot
 * set RF); a disabled breakpoint does nothing.
 */
static uint32_t read_dr6(void)
{
    uint32_t v;
    __asm__ volatile("mov %%dr6, %0" : "=r"(v));
    return v;
}

#define DR0_EXEC_AT_1 "movl %[f], %%dr0\n\tmovl %[c], %%dr7"
#define IRET_RF_TO_1                                                           \
    "pushfl\n\torl $0x10000, (%%esp)\n\tpushl %%cs\n\tpushl %[f]\n\tiret"

static void test_debug(void)
{
    uint32_t fault, dr7 = 1; /* L0, R/W0 = 00 (execute), LEN0 = 00 */
    volatile uint32_t ran = 0;

    __asm__ volatile("mov %0, %%dr6" : : "r"(0xffff0ff0u));
    fault = FAULT_AFTER(DR0_EXEC_AT_1, "incl %[n]", [c] "r"(dr7), [n] "m"(ran));
    check("#DB dr0 execute", 1, 0, fault);
    printf("excp: #DB dr6.b=%x insn ran=%u\n", read_dr6() & 0xf, ran);
    all_ok &= (read_dr6() & 0xf) == 1 && ran == 0;

    /* IRET to the breakpoint with RF set in the popped EFLAGS */
    got_vec = 0xffffffff;
    if (skipped("iret")) {
        ran++;
        goto disabled;
    }
    fault = FAULT_AFTER(DR0_EXEC_AT_1 "\n\t" IRET_RF_TO_1,
                        "incl %[n]", [c] "r"(dr7), [n] "m"(ran));
    printf("excp: iret with RF: %s insn ran=%u\n",
           got_vec == 0xffffffff ? "no fault" : "FAULT", ran);
    all_ok &= got_vec == 0xffffffff && ran == 1;

disabled:
    fault = FAULT_AFTER(DR0_EXEC_AT_1, "incl %[n]", [c] "r"(0), [n] "m"(ran));
    printf("excp: dr7 disabled: %s insn ran=%u\n",
           got_vec == 0xffffffff ? "no fault" : "FAULT", ran);
    all_ok &= got_vec == 0xffffffff && ran == 2;
    got_vec = got_err = got_eip = 0xffffffff;
}

static const float f_one = 1.0f, f_zero = 0.0f;
static volatile uint32_t xmm_out, csr_out;
static volatile uint16_t fsw_out;

/* DIVSS 1/0 with MXCSR = csr; xmm_out = the destination, csr_out = MXCSR */
static uint32_t divss_fault(uint32_t csr)
{
    uint32_t fault = FAULT_AFTER("ldmxcsr (%%eax)\n\t"
                                 "movss (%%ecx), %%xmm0\n\t"
                                 "movss (%%edx), %%xmm1",
                                 "divss %%xmm1, %%xmm0", "a"(&csr), "c"(&f_one),
                                 "d"(&f_zero));
    __asm__ volatile("movd %%xmm0, %0\n\t"
                     "stmxcsr %1"
                     : "=m"(xmm_out), "=m"(csr_out));
    return fault;
}

/* x87 1/0 with FCW.ZM clear (no fault), then insn; fsw_out = FSW */
#define X87_FAULT(insn)                                                        \
    ({                                                                         \
        static const uint16_t cw_ = 0x37b;                                     \
        uint32_t f_ = FAULT_AFTER("fninit\n\tfldcw (%%eax)\n\t"                \
                                  "fldz\n\tfld1\n\tfdiv %%st(1), %%st",        \
                                  insn, "a"(&cw_));                            \
        __asm__ volatile("fnstsw %0\n\tfninit" : "=m"(fsw_out));               \
        f_;                                                                    \
    })

static void test_fpu(void)
{
    uint32_t cr0, cr4, fault;

    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    /* MP and NE on, EM and TS off; OSFXSR and OSXMMEXCPT */
    __asm__ volatile("mov %0, %%cr0" : : "r"((cr0 & ~0xcu) | 0x22));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | 0x600));

    fault = divss_fault(0x1f80);
    printf("excp: masked divss: %s, dest=%08x mxcsr=%08x\n",
           got_vec == 0xffffffff ? "no fault" : "FAULT", xmm_out, csr_out);
    all_ok &=
        got_vec == 0xffffffff && xmm_out == 0x7f800000 && csr_out == 0x1f84;

    if (!skipped("xm")) {
        fault = divss_fault(0x1d80);
        check("#XM divss", 19, 0, fault);
        printf("excp: #XM divss dest=%08x mxcsr=%08x\n", xmm_out, csr_out);
        all_ok &= xmm_out == 0x3f800000 && csr_out == 0x1d84;

        /* without CR4.OSXMMEXCPT */
        __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | 0x200));
        fault = divss_fault(0x1d80);
        check("#UD divss without OSXMMEXCPT", 6, 0, fault);
        printf("excp: #UD divss dest=%08x\n", xmm_out);
        all_ok &= xmm_out == 0x3f800000;
    }

    if (!skipped("mf")) {
        fault = X87_FAULT("fld1");
        check("#MF at fld1 after fdiv", 16, 0, fault);
        printf("excp: #MF fsw=%04x\n", fsw_out);
        all_ok &= fsw_out == 0xb084;
        fault = X87_FAULT("movq %%mm0, %%mm1");
        check("#MF at an MMX insn", 16, 0, fault);
        fault = X87_FAULT("emms");
        check("#MF at emms", 16, 0, fault);
        fault = X87_FAULT("fnclex\n\tfld1");
        printf("excp: fnclex, fld1: %s\n",
               got_vec == 0xffffffff ? "no fault" : "FAULT");
        all_ok &= got_vec == 0xffffffff;
    }
    fault = X87_FAULT("fwait");
    check("#MF at fwait after fdiv", 16, 0, fault);
    printf("excp: #MF fwait fsw=%04x\n", fsw_out);
    all_ok &= fsw_out == 0xb084;

    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
}

static void test_ring3(void)
{
    uint32_t fault;

    setup_ring3();
    fault = USER_FAULT("cli");
    check_user("#GP cli at cpl 3", 13, 0, fault);
    fault = USER_FAULT("hlt");
    check_user("#GP hlt at cpl 3", 13, 0, fault);
    fault = USER_FAULT("inb $0x80, %%al");
    check_user("#GP in without I/O permission", 13, 0, fault);
    fault = USER_FAULT("int $0x40");
    check_user("#GP int through a DPL 0 gate", 13, 0x40 * 8 + 2, fault);
    fault = USER_FAULT("mov %%cr0, %%eax");
    check_user("#GP mov from cr0 at cpl 3", 13, 0, fault);
}

/* PAE paging (KVM-PVM runs only PAE/long-mode paging) */
static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t page_dir[512] __attribute__((aligned(4096)));
static uint64_t page_tab[512] __attribute__((aligned(4096)));
static volatile uint32_t probe_page[1024] __attribute__((aligned(4096)));

static void test_paging(void)
{
    uint32_t base = (uint32_t)probe_page;
    uint32_t fault, cr0, cr4;
    int i;

    /* identity map 0-8 MiB with 2 MiB pages; a table covers 8-10 MiB */
    for (i = 0; i < 4; i++) {
        page_dir[i] = (i << 21) | 0x87; /* user pages */
    }
    for (i = 0; i < 512; i++) {
        page_tab[i] = (0x800000 + i * 4096) | 7;
    }
    page_tab[0] = 0;                       /* 0x800000: not present */
    page_tab[1] = (base & 0xfffff000) | 1; /* 0x801000: read-only alias */
    page_tab[2] = (base & 0xfffff000) | 3; /* 0x802000: supervisor only */
    page_dir[4] = (uint32_t)page_tab | 7;
    pdpt[0] = (uint32_t)page_dir | 1;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | 0x20)); /* PAE */
    __asm__ volatile("mov %0, %%cr3" : : "r"(pdpt) : "memory");
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 0x80010000) : "memory");
    puts("excp: paging on\n");

    probe_page[3] = 0x5a5a;
    fault = FAULT("movl 0x800ffc, %%eax", "a"(0));
    check("#PF read", 14, 0, fault);
    printf("excp: #PF read cr2=%08x\n", got_cr2);
    all_ok &= got_cr2 == 0x800ffc;

    fault = FAULT("movl 0x80100c, %%eax", "a"(0));
    printf("excp: read through the RO alias: %s\n",
           got_vec == 0xffffffff ? "no fault" : "FAULT");
    all_ok &= got_vec == 0xffffffff;

    fault = FAULT("movl %%eax, 0x801010", "a"(0x1234));
    check("#PF write RO", 14, 3, fault);
    printf("excp: #PF write RO cr2=%08x\n", got_cr2);
    all_ok &= got_cr2 == 0x801010;

    if (!skipped("user")) {
        fault = USER_FAULT("movl 0x802008, %%eax");
        check_user("#PF user read of a supervisor page", 14, 5, fault);
        printf("excp: #PF user read cr2=%08x\n", got_cr2);
        all_ok &= got_cr2 == 0x802008;
    }

    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    puts("excp: paging off\n");
}

void guest_main(void)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr = {sizeof(gdt) - 1, (uint32_t)gdt};
    struct {
        int32_t lo, hi;
    } bounds = {10, 20};
    uint32_t fault;

    for (int v = 0; v < 32; v++) {
        idt_set_handler(v, handler);
    }
    __asm__ volatile("lgdt %0" : : "m"(gdtr));
    got_vec = got_err = got_eip = 0xffffffff;

    if (!skipped("de")) {
        fault = FAULT("divl %%ecx", "a"(1), "d"(0), "c"(0));
        check("#DE div", 0, 0, fault);
        fault = FAULT("idivl %%ecx", "a"(0x80000000), "d"(0xffffffff),
                      "c"(0xffffffff));
        check("#DE idiv", 0, 0, fault);
    }

    /* traps: the saved EIP is the next instruction */
    if (!skipped("bp")) {
        fault = FAULT("int3", "a"(0));
        check("#BP", 3, 0, fault + 1);
    }
    if (!skipped("of")) {
        fault = FAULT("into", "a"(0x7fffffff), "c"(1));
        printf("excp: into without OF: %s\n",
               got_vec == 0xffffffff ? "no trap" : "TRAP");
        all_ok &= got_vec == 0xffffffff;
        /* ADD (01 c8) overflows, then INTO traps after itself */
        fault = FAULT("addl %%ecx, %%eax\n\tinto", "a"(0x7fffffff), "c"(1));
        check("#OF", 4, 0, fault + 3);
    }

    if (!skipped("br")) {
        fault = FAULT("boundl %%eax, (%%ecx)", "a"(5), "c"(&bounds));
        check("#BR", 5, 0, fault);
        fault = FAULT("boundl %%eax, (%%ecx)", "a"(15), "c"(&bounds));
        printf("excp: bound in range: %s\n",
               got_vec == 0xffffffff ? "no fault" : "FAULT");
        all_ok &= got_vec == 0xffffffff;
    }

    if (!skipped("ud")) {
        fault = FAULT("ud2", "a"(0));
        check("#UD", 6, 0, fault);
    }

    if (!skipped("gp")) {
        fault = FAULT("ljmp $0, $3f; 3:", "a"(0));
        check("#GP null cs", 13, 0, fault);
        fault = FAULT("movw %%ax, %%fs", "a"(0x1234));
        check("#GP beyond limit", 13, 0x1234, fault);
        fault = FAULT("movw %%ax, %%ss", "a"(0x23));
        check("#GP ss dpl", 13, 0x20, fault);
        fault = FAULT("movw %%ax, %%fs", "a"(0x18));
        check("#NP", 11, 0x18, fault);
        __asm__ volatile("movw %w0, %%fs" : : "r"(0x10));
    }

    if (!skipped("nmi")) {
        test_nmi();
    }
    if (!skipped("fpu")) {
        test_fpu();
    }
    if (!skipped("db")) {
        test_debug();
    }
    if (!skipped("user")) {
        test_ring3();
    }
    if (!skipped("pf")) {
        test_paging();
    }
    puts(all_ok ? "excp: all ok\n" : "excp: MISMATCH\n");
    guest_exit(all_ok);
}
