/*
 * modes: the code that runs in each x86 processor mode (Intel SDM vol. 3A
 * ch. 9.9 mode switching, 5.8 call gates, 7 TSS, 20 real mode; vol. 1
 * 19.5 the I/O permission bitmap).  modes.c sets up the descriptor tables
 * and calls:
 *   modes_real16()    back to real mode: 16-bit arithmetic, 16-bit
 *                     addressing with 64 KiB wrap, string instructions,
 *                     far calls, INT through the IVT, legacy insns;
 *                     results in rm_res (inside the blob at LOWBASE)
 *   modes_*_pm()      32-bit protected mode: a code segment with a base,
 *                     data segments with bases and limits, a call gate
 *   modes_ring3(...)  one CPL-3 test: entered with IRET or RETF, back to
 *                     ring 0 through INT 0x81 or #GP on the TSS stack
 *   modes_long()      IA-32e: PAE paging, 64-bit code, a compatibility-
 *                     mode code segment, SYSCALL/SYSRET to CPL 3 and back;
 *                     results in lm_res
 * Every value stored is architecturally defined, so the same guest prints
 * the same lines on hardware (KVM) and under TCG.
 */
#include "modes.h"

#define RM(x) ((x) - rm_blob_start)
#define R(n) RM(rm_res) + 4 * (n)

    .text

/* ---- real mode ---------------------------------------------------------- */

    .code32
    .globl modes_real16
modes_real16:
    pushal
    mov %esp, saved_esp
    sidt saved_idt
    cli
    ljmp $SEL_CODE16, $RM(rm_pm16)

pm32_from_real:
    mov $SEL_DATA32, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %fs
    mov %eax, %gs
    mov %eax, %ss
    mov saved_esp, %esp
    lidt saved_idt
    popal
    ret

/*
 * The blob modes.c copies to LOWBASE: entered in 16-bit protected mode
 * (CS = SEL_CODE16, base LOWBASE), it leaves protected mode, runs the
 * tests with CS = DS = LOWSEG and returns to 32-bit protected mode.
 */
    .globl rm_blob_start, rm_blob_end, rm_res, rm_gdt_desc, rm_flags
    .code16
rm_blob_start:
rm_pm16:
    mov $SEL_DATA16, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov %cr0, %eax
    and $~1, %eax
    mov %eax, %cr0
    ljmp $LOWSEG, $RM(rm_start)
rm_start:
    mov $LOWSEG, %ax
    mov %ax, %ds
    mov %ax, %es
    mov $RSTACKSEG, %ax
    mov %ax, %ss
    mov $0xfff0, %sp
    lidt RM(rm_ivt_desc)
    call rm_tests
    lgdtl RM(rm_gdt_desc)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $SEL_CODE32, $pm32_from_real

rm_tests:
    /* 1: 16-bit arithmetic loop (all flags consumed are defined) */
    xor %ax, %ax
    mov $0x1234, %bx
    mov $0x5678, %dx
    mov $100, %cx
1:  add %bx, %ax
    adc $0x11, %dx
    rol $3, %ax
    xor %cx, %ax
    sub %dx, %bx
    sbb $0, %ax
    imul $7, %bx, %bx
    loop 1b
    mov %ax, R(0)
    mov %bx, R(1)
    mov %dx, R(2)
    mov %cx, R(3)

    /* 2: 32-bit operands (66h) in 16-bit code; MUL/DIV/IDIV, BSWAP, SHLD */
    mov $0x12345678, %eax
    mov $0x9abcdef1, %ebx
    mul %ebx
    mov %eax, R(4)
    mov %edx, R(5)
    mov $1000, %ax
    mov $7, %cx
    xor %dx, %dx
    div %cx
    mov %ax, R(6)
    mov %dx, R(7)
    mov $-300, %ax
    mov $7, %bl
    idiv %bl
    mov %ax, R(8)
    movzwl %ax, %ecx
    bswap %ecx
    mov %ecx, R(9)
    mov $0x89abcdef, %ebx
    shld $4, %ecx, %ebx
    mov %ebx, R(10)

    /* 3: 16-bit addressing: [bx+si] wraps at 64 KiB, BP-based is SS */
    mov $RDATASEG, %ax
    mov %ax, %es
    movw $0, %es:0x10
    mov $0xfff0, %bx
    mov $0x20, %si
    movw $0xbeef, %es:(%bx,%si)
    mov %es:0x10, %ax
    mov %ax, R(11)
    mov $0x100, %bp
    mov $4, %di
    movw $0x4321, 2(%bp,%di)
    push %ds
    mov $RSTACKSEG, %ax
    mov %ax, %ds
    mov 0x106, %cx
    pop %ds
    mov %cx, R(12)
    movw $0x5aa5, %es:0x106
    mov %es:2(%bp,%di), %dx /* ES override on a BP form */
    mov %dx, R(13)
    mov RM(rm_word), %ax /* mod 0, r/m 6: disp16 */
    mov %ax, R(14)
    mov $RDATASEG, %ax
    mov %ax, %fs
    movw $0x1111, %fs:0x20
    mov $RSTACKSEG, %ax
    mov %ax, %gs
    movw $0x2222, %gs:0x20
    mov %fs:0x20, %ax
    add %gs:0x20, %ax
    add %cs:RM(rm_word), %ax
    add %ss:0x106, %ax
    mov $-2, %bx
    add RM(rm_word)+2(%bx), %ax /* disp16 + negative bx */
    mov %ax, R(15)

    /* 4: string instructions, DS != ES, both directions, SI wrap */
    cld
    mov $RDATASEG, %ax
    mov %ax, %es
    mov $0x200, %di
    xor %ax, %ax
    mov $0x110, %cx
    rep stosw
    mov $RM(rm_src), %si
    mov $0x200, %di
    mov $32, %cx
    rep movsb
    sub $RM(rm_src), %si
    mov %si, R(16)
    mov %di, R(17)
    std
    mov $RM(rm_src) + 6, %si
    mov $0x306, %di
    mov $4, %cx
    rep movsw
    sub $RM(rm_src), %si
    mov %si, R(18)
    mov %di, R(19)
    cld
    mov $0x400, %di
    mov $0xa55a, %ax
    mov $8, %cx
    rep stosw
    movb $0xff, %es:0x210
    mov $RM(rm_src), %si
    mov $0x200, %di
    mov $32, %cx
    repe cmpsb
    sub $RM(rm_src), %si
    mov %cx, R(20)
    mov %si, R(21)
    mov $0x200, %di
    mov $32, %cx
    mov $0x0d, %al
    repne scasb
    mov %cx, R(22)
    mov %di, R(23)
    push %ds
    mov $RDATASEG, %ax
    mov %ax, %ds
    movw $0x7777, 0xfffe
    movw $0x8888, 0x0000
    mov $0xfffe, %si
    lodsw
    mov %ax, %bx
    lodsw
    mov $0x200, %si
    xor %dx, %dx
    mov $0x110, %cx
2:  rol $1, %dx
    xor (%si), %dx
    add $2, %si
    loop 2b
    pop %ds
    mov %bx, R(24)
    mov %ax, R(25)
    mov %dx, R(26)
    /* 67h: 32-bit addressing in 16-bit code */
    mov $RM(rm_src), %esi
    mov $0x500, %edi
    mov $3, %ecx
    addr32 rep movsw
    sub $RM(rm_src), %esi
    mov %esi, R(27)
    mov %edi, R(28)
    mov %es:0x502, %ax
    mov %ax, R(29)

    /* 5: far calls, direct, through an alias segment and indirect */
    lcall $LOWSEG, $RM(rm_farfunc)
    mov %ax, R(30)
    mov %bx, R(31)
    lcall $LOWSEG + 1, $RM(rm_farfunc) - 16
    mov %ax, R(32)
    mov %bx, R(33) /* IP is 16 less through the alias */
    movw $RM(rm_farfunc2), RM(rm_fptr)
    movw $LOWSEG, RM(rm_fptr) + 2
    push $0x1234
    lcall *RM(rm_fptr)
    mov %ax, R(34)
    mov %sp, R(35)
    ljmp $LOWSEG + 2, $RM(3f) - 32
3:  mov %cs, %ax
    mov %ax, R(36)
    ljmp $LOWSEG, $RM(4f)
4:

    /* 6: INT through the IVT; IRET restores FLAGS */
    push %es
    xor %ax, %ax
    mov %ax, %es
    movw $RM(rm_int60), %es:0x60 * 4
    movw $LOWSEG, %es:0x60 * 4 + 2
    pop %es
    push $0x0003
    popf
    mov $0x55, %al
    int $0x60
    pushf
    pop %bx
    mov %ax, R(37)
    mov %bx, R(38)

    /* 7: PUSHA/POPA, ENTER/LEAVE, segment pushes, LES, XLAT, BCD */
    mov $0x1111, %ax
    mov $0x2222, %bx
    pusha
    mov $0x3333, %ax
    mov $0x4444, %bx
    popa
    add %bx, %ax
    mov %ax, R(39)
    mov %sp, %dx
    testw $RMF_NO_ENTER1, RM(rm_flags)
    jnz 5f
    enter $8, $1 /* nesting level 1: KVM's emulator lacks it */
    jmp 6f
5:  enter $12, $0
6:  mov %sp, %cx
    mov %bp, %bx
    leave
    sub %sp, %dx
    mov %cx, R(40)
    mov %bx, R(41)
    mov %dx, R(42)
    push %es
    pop %fs
    mov %fs, %ax
    movw $0x5678, RM(rm_fptr)
    movw $0x1234, RM(rm_fptr) + 2
    les RM(rm_fptr), %di
    mov %es, %bx
    push %ax
    pop %es
    mov %bx, R(43)
    mov %di, R(44)
    mov $RM(rm_src), %bx
    mov $5, %al
    xlat
    mov %al, R(45)
    testw $RMF_NO_BCD, RM(rm_flags)
    jnz 7f
    mov $0x38, %al
    add $0x45, %al
    daa
    mov %al, %dl
    mov $0x83, %al
    sub $0x38, %al
    das
    mov %al, %dh
    mov %dx, R(46)
    mov $0x0009, %ax
    add $0x08, %al
    aaa
    mov %ax, %cx
    mov $0x63, %al
    aam
    mov %ax, %dx
    aad $10
    mov %ax, R(47)
    mov %cx, R(50)
    mov %dx, R(51)
7:  ret

rm_farfunc:
    mov %cs, %ax
    call 1f
1:  pop %bx
    sub $RM(rm_farfunc), %bx
    lret

rm_farfunc2:
    push %bp
    mov %sp, %bp
    mov 6(%bp), %ax
    pop %bp
    lret $2

rm_int60:
    push %bp
    mov %sp, %bp
    add $1, %al
    mov 4(%bp), %cx /* CS */
    mov 6(%bp), %dx /* FLAGS: CF was set */
    andw $~1, 6(%bp)
    mov %cx, R(48)
    mov %dx, R(49)
    pop %bp
    iret

/*
 * 16-bit protected mode (far-called from 32-bit code with CS =
 * SEL_CODE16): 16-bit operands and addressing, but SS is the flat 32-bit
 * stack (SS.B = 1: pushes use ESP); returns with a 32-bit RETF.
 */
    .globl pm16_func, pm16_res
pm16_func:
    push %ds
    push %es
    mov $SEL_DATA16B, %ax
    mov %ax, %ds
    mov $SEL_DATA16, %ax
    mov %ax, %es
    mov %esp, %ecx
    push %ax /* 2 bytes at ESP - 2, not SP */
    sub %esp, %ecx
    mov (%esp), %dx /* 67h: read it back through ESP */
    mov %dx, RM(pm16_res) + 14
    pop %ax
    mov %cx, RM(pm16_res) + 0
    mov %cs, %ax
    mov %ax, RM(pm16_res) + 2
    mov $0xfff0, %bx
    mov $0x20, %si
    mov (%bx,%si), %ax /* wraps to DS:0x10 */
    mov %ax, RM(pm16_res) + 4
    mov $RM(rm_src), %si
    mov $0x8000, %di
    mov $4, %cx
    cld
    rep movsw /* to ES = base 0: linear 0x8000 */
    mov %es:0x8006, %ax
    mov %ax, RM(pm16_res) + 6
    sub $RM(rm_src), %si
    mov %si, RM(pm16_res) + 8
    call 1f
1:  pop %ax /* 16-bit IP pushed on the 32-bit stack */
    sub $RM(1b), %ax
    mov %ax, RM(pm16_res) + 10
    mov $0x1234, %ax
    mov $0x10, %cl
    shl %cl, %ax /* 16-bit shift by 16: zero */
    mov %ax, RM(pm16_res) + 12
    pop %es
    pop %ds
    lretl
    .align 4
pm16_res:
    .space 16

/*
 * Virtual-8086 tests (entered by modes_vm86 with IRET, CS = DS = LOWSEG,
 * SS:SP = RSTACKSEG:0xfff0); each ends with INT 0x81 or a #GP.
 */
    .globl vm_basic, vm_int_gp, vm_int_insn, vm_cli_gp, vm_cli_insn
    .globl vm_pushf_gp, vm_pushf_insn, vm_io, vm_io_insn, vm_res
vm_basic:
    mov %cs, %ax
    mov %ax, RM(vm_res) + 0
    mov $RDATASEG, %ax
    mov %ax, %es
    movw $0x6789, %es:0x40
    mov %es:0x40, %ax
    mov %ax, RM(vm_res) + 2
    lcall $LOWSEG + 1, $RM(rm_farfunc) - 16
    mov %ax, RM(vm_res) + 4
    mov %bx, RM(vm_res) + 6
    push %es
    pop %bx
    mov %bx, RM(vm_res) + 8
    pushf
    pop %ax
    and $0x3200, %ax
    mov %ax, RM(vm_res) + 10
    cli
    int $0x81
vm_int_gp:
    nop
vm_int_insn:
    int $0x81
vm_cli_gp:
    nop
vm_cli_insn:
    cli
    int $0x81
vm_pushf_gp:
    nop
vm_pushf_insn:
    pushf
    int $0x81
vm_io:
    mov $0x3ff, %dx
    mov $0xa5, %al
    out %al, %dx
    in %dx, %al
    mov %al, RM(vm_res) + 12
vm_io_insn:
    in $0x80, %al
    int $0x81
    .align 4
vm_res:
    .space 16

    .align 4
rm_ivt_desc:
    .word 0x3ff
    .long 0
rm_gdt_desc:
    .word 0
    .long 0
rm_flags:
    .word 0
rm_fptr:
    .long 0
rm_word:
    .word 0x1357, 0x2468
rm_src:
    .byte 0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87
    .byte 0x98, 0xa9, 0xba, 0xcb, 0x0d, 0xed, 0xfe, 0x0f
    .byte 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88
    .byte 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01
    .align 4
rm_res:
    .space 4 * RM_RES_WORDS
rm_blob_end:

/* ---- 32-bit protected mode ------------------------------------------------ */

    .code32
/* void modes_pm16(void): far call to pm16_func in the 16-bit segment */
    .globl modes_pm16
modes_pm16:
    pushal
    lcall $SEL_CODE16, $RM(pm16_func)
    popal
    ret

/* uint32_t modes_based_call(uint32_t *cs): far call into SEL_BCODE */
    .globl modes_based_call
modes_based_call:
    lcall $SEL_BCODE, $based_func - BCODE_BASE
    mov 4(%esp), %ecx
    mov %edx, (%ecx)
    ret

/* Runs at CS base BCODE_BASE: EIP values are linear - BCODE_BASE. */
    .globl based_func
based_func:
    call 1f
1:  pop %eax
    mov %cs, %edx
    lret

/* uint32_t modes_gate_call(uint32_t a, uint32_t b): through SEL_GATE */
    .globl modes_gate_call
modes_gate_call:
    push 8(%esp)
    push 8(%esp)
    lcall $SEL_GATE, $0
    ret

/*
 * The call gate's target (in SEL_BCODE): a * b + 3.  Records SS and ESP
 * (a call from CPL 3 arrives on the TSS's ring-0 stack).
 */
    .globl gate_target, gate_ss, gate_esp, gate_cs
gate_target:
    mov %ss, %eax
    mov %eax, gate_ss
    mov %esp, gate_esp
    mov 4(%esp), %eax
    mov %eax, gate_cs
    mov 8(%esp), %eax
    imul 12(%esp), %eax
    add $3, %eax
    lret $8

/*
 * void modes_ring3(void *entry, uint32_t eflags, int use_iret): enters CPL
 * 3 at entry (SS:ESP = SEL_UDATA:ring3_stack_top, DS = ES = SEL_UDATA).
 * Returns when ring 3 traps back through trap_int81 or trap_gp.
 */
    .globl modes_ring3
modes_ring3:
    pushal
    mov %esp, r0_esp
    mov 36(%esp), %eax
    mov 40(%esp), %ecx
    mov 44(%esp), %edx
    mov $SEL_UDATA | 3, %ebx
    mov %ebx, %ds
    mov %ebx, %es
    test %edx, %edx
    jz 1f
    push $SEL_UDATA | 3
    push $ring3_stack_top
    push %ecx
    push $SEL_UCODE32 | 3
    push %eax
    iret
1:  push $SEL_UDATA | 3
    push $ring3_stack_top
    push $SEL_UCODE32 | 3
    push %eax
    lret

/*
 * void modes_vm86(uint16_t ip, uint32_t eflags): enters virtual-8086 mode
 * at LOWSEG:ip (EFLAGS.VM set by the caller) with IRET; returns like
 * modes_ring3 when the vm86 code traps back.
 */
    .globl modes_vm86
modes_vm86:
    pushal
    mov %esp, r0_esp
    movzwl 36(%esp), %eax
    mov 40(%esp), %ecx
    push $0          /* GS */
    push $0          /* FS */
    push $LOWSEG     /* DS */
    push $LOWSEG     /* ES */
    push $RSTACKSEG  /* SS */
    push $0xfff0     /* ESP */
    push %ecx        /* EFLAGS */
    push $LOWSEG     /* CS */
    push %eax        /* EIP */
    iret

/*
 * void modes_tf(void): single-steps a few instructions with EFLAGS.TF;
 * trap_db records the EIP of each #DB (after the insn) in db_eips.
 */
    .globl modes_tf, tf_start, trap_db, db_eips, db_count
modes_tf:
    pushf
    orl $0x100, (%esp)
    popf
tf_start:
    nop
    mov $1, %eax
    mov %ss, %edx
    mov %edx, %ss /* the #DB after it waits one more insn */
    nop
    pushf
    andl $~0x100, (%esp)
    popf /* TF was set when it began: one more #DB */
    ret

trap_db:
    push %eax
    push %edx
    mov db_count, %eax
    mov 8(%esp), %edx
    mov %edx, db_eips(, %eax, 4)
    inc %eax
    and $15, %eax
    mov %eax, db_count
    pop %edx
    pop %eax
    iret

/* Ring-3 traps: record the frame in trap_rec, then resume modes_ring3's
 * caller at ring 0. */
    .globl trap_int81, trap_gp, trap_rec
trap_int81:
    push $0
    push $0x81
    jmp trap_common
trap_gp:
    push $13
trap_common:
    push %eax
    mov $SEL_DATA32, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %fs /* null after an interrupt from vm86 */
    mov %eax, %gs
    pop %eax
    mov %eax, trap_rec + 36
    mov 0(%esp), %eax
    mov %eax, trap_rec + 0  /* vector */
    mov 4(%esp), %eax
    mov %eax, trap_rec + 4  /* error code */
    mov 8(%esp), %eax
    mov %eax, trap_rec + 8  /* EIP */
    mov 12(%esp), %eax
    mov %eax, trap_rec + 12 /* CS */
    mov 16(%esp), %eax
    mov %eax, trap_rec + 16 /* EFLAGS */
    mov 20(%esp), %eax
    mov %eax, trap_rec + 20 /* ESP */
    mov 24(%esp), %eax
    mov %eax, trap_rec + 24 /* SS */
    mov %esp, trap_rec + 28 /* ring-0 ESP in the handler */
    mov %ss, %eax
    mov %eax, trap_rec + 32
    mov r0_esp, %esp
    popal
    ret

/* The CPL-3 tests; r3_out is written through DS = SEL_UDATA (flat). */
    .globl r3_basic, r3_io_ok, r3_io_denied, r3_io_denied_insn
    .globl r3_cli, r3_cli_insn, r3_gate, r3_iopl3, r3_hlt, r3_hlt_insn
    .globl r3_out
r3_basic:
    mov %cs, %eax
    mov %eax, r3_out + 0
    mov %ss, %eax
    mov %eax, r3_out + 4
    pushf
    pop %eax
    mov %eax, r3_out + 8
    int $0x81
r3_io_ok:
    mov $0x3ff, %dx
    mov $0x5a, %al
    out %al, %dx
    xor %eax, %eax
    in %dx, %al
    mov %eax, r3_out + 12
    int $0x81
r3_io_denied:
    nop
r3_io_denied_insn:
    in $0x80, %al
    int $0x81
r3_cli:
    nop
r3_cli_insn:
    cli
    int $0x81
r3_gate:
    push $6
    push $7
    lcall $SEL_GATE | 3, $0
    mov %eax, r3_out + 16
    mov %esp, r3_out + 20
    int $0x81
r3_iopl3:
    cli
    mov $0x42, %al
    out %al, $0x80
    pushf
    pop %eax
    mov %eax, r3_out + 24
    int $0x81
r3_hlt:
    nop
r3_hlt_insn:
    hlt
    int $0x81

/* ---- IA-32e mode -------------------------------------------------------- */

/*
 * void modes_long(void): PAE + CR3 = lm_pml4 + EFER.LME/SCE + CR0.PG
 * (compatibility mode, CS = SEL_CODE32), far jump to 64-bit code, the
 * tests, back through compatibility mode to 32-bit protected mode.
 */
    .globl modes_long, lm_res, lm_pml4, lm_pdpt, lm_pd
modes_long:
    pushal
    mov %esp, lm_saved_esp
    mov %cr4, %eax
    or $0x20, %eax
    mov %eax, %cr4
    mov $lm_pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or $0x101, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000000, %eax
    mov %eax, %cr0
    /* compatibility mode: record EFER.LMA from here */
    mov $0xc0000080, %ecx
    rdmsr
    and $0x501, %eax
    mov %eax, lm_res + 4 * 0
    ljmp $SEL_CODE64, $lm64

    .code64
lm64:
    mov $SEL_DATA64, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %esp, %esp /* RSP = ESP zero-extended */

    /* 64-bit arithmetic with REX registers, RIP-relative data */
    mov $0x123456789abcdef0, %rax
    mov $0x0fedcba987654321, %r9
    mov %rax, %r8
    mul %r9
    mov %rax, lm_res + 4 * 2(%rip)
    mov %rdx, lm_res + 4 * 4(%rip)
    xor %r10, %r10
    mov $50, %ecx
1:  add %r8, %r10
    rol $7, %r10
    xor %rcx, %r10
    imul $0x1f, %r10, %r10
    dec %ecx
    jnz 1b
    mov %r10, lm_res + 4 * 6(%rip)
    mov $-1, %r11
    mov $5, %r11d
    mov %r11, lm_res + 4 * 8(%rip)
    push %r10
    pop %r12
    movslq lm_neg(%rip), %r13
    add %r13, %r12
    mov %r12, lm_res + 4 * 10(%rip)
    mov $1000000007, %rcx
    xor %edx, %edx
    mov %r10, %rax
    div %rcx
    mov %rdx, lm_res + 4 * 12(%rip)
    mov $0x1234, %esi
    xor %edi, %edi
    mov %sil, %dil
    shl $8, %edi
    mov %edi, lm_res + 4 * 14(%rip)
    lea lm_src(%rip), %rsi
    lea lm_dst(%rip), %rdi
    mov $3, %ecx
    cld
    rep movsq
    mov lm_dst + 16(%rip), %rax
    mov %rax, lm_res + 4 * 15(%rip)

    /* a compatibility-mode code segment (CS = SEL_CODE32, L = 0) */
    lcall *lm_compat_ptr(%rip)
    mov %eax, lm_res + 4 * 17(%rip)
    mov %edx, lm_res + 4 * 18(%rip)

    /* SYSCALL/SYSRET: STAR, LSTAR, FMASK; CPL 3 and back twice */
    mov $0xc0000081, %ecx
    xor %eax, %eax
    mov $(SEL_UCODE32 << 16) | SEL_CODE64, %edx
    wrmsr
    mov $0xc0000082, %ecx
    lea lm_syscall(%rip), %rax
    mov %rax, %rdx
    shr $32, %rdx
    wrmsr
    mov $0xc0000084, %ecx
    mov $0x200, %eax
    xor %edx, %edx
    wrmsr
    mov %rsp, lm_kstack(%rip)
    lea lm_user(%rip), %rcx
    mov $0x2, %r11
    lea lm_ustack_top(%rip), %rsp
    sysretq
lm_back:
    mov $SEL_DATA64, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss

    /* back to compatibility mode, then out of IA-32e mode */
    pushq $SEL_CODE32
    lea lm_exit32(%rip), %rax
    pushq %rax
    lretq

lm_user:
    mov %cs, %eax
    mov %eax, lm_res + 4 * 19(%rip)
    mov %ss, %eax
    mov %eax, lm_res + 4 * 20(%rip)
    mov $42, %edi
    syscall
    mov %eax, lm_res + 4 * 21(%rip)
    mov $99, %edi
    syscall
    ud2

lm_syscall:
    cmp $99, %edi
    je 1f
    mov %rcx, %rax
    lea lm_user(%rip), %rdx
    sub %rdx, %rax
    mov %eax, lm_res + 4 * 22(%rip)
    mov %r11d, lm_res + 4 * 23(%rip)
    mov %cs, %eax
    mov %eax, lm_res + 4 * 24(%rip)
    mov %ss, %eax
    mov %eax, lm_res + 4 * 25(%rip)
    lea 1(%rdi), %rax
    sysretq
1:  mov lm_kstack(%rip), %rsp
    jmp lm_back

    .code32
lm_compat:
    mov %cs, %eax
    mov $5, %edx
    inc %edx /* 0x42: INC, not a REX prefix, outside 64-bit mode */
    push %edx
    pop %edx
    lret

lm_exit32:
    mov %cr0, %eax
    and $0x7fffffff, %eax
    mov %eax, %cr0
    mov $0xc0000080, %ecx
    rdmsr
    and $~0x101, %eax
    wrmsr
    mov %cr4, %eax
    and $~0x20, %eax
    mov %eax, %cr4
    mov $SEL_DATA32, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov lm_saved_esp, %esp
    popal
    ret

    .data
    .align 8
saved_esp:
    .long 0
saved_idt:
    .word 0
    .long 0
r0_esp:
    .long 0
lm_saved_esp:
    .long 0
gate_ss:
    .long 0
gate_esp:
    .long 0
gate_cs:
    .long 0
trap_rec:
    .space 40
db_count:
    .long 0
db_eips:
    .space 64
r3_out:
    .space 32
    .align 8
lm_kstack:
    .quad 0
lm_neg:
    .long -2
lm_compat_ptr:
    .long lm_compat
    .word SEL_CODE32
    .align 8
lm_src:
    .quad 0x1111111111111111, 0x2222222222222222, 0x0123456789abcdef
lm_dst:
    .quad 0, 0, 0
lm_res:
    .space 4 * LM_RES_WORDS

    .bss
    .align 4096
lm_pml4:
    .space 4096
lm_pdpt:
    .space 4096
lm_pd:
    .space 4096
ring3_stack:
    .space 4096
ring3_stack_top:
lm_ustack:
    .space 4096
lm_ustack_top:
