/*
 * Real-mode setup code for the "linux" test guest's bzImage, so that a
 * BIOS boot loader (SYSLINUX, GRUB) can start it the way it starts Linux:
 * the loader puts the real-mode part at SEG:0, fills the setup header
 * (command line, initrd, loader type) and jumps to SEG+0x20:0, whose
 * two-byte jump lands here (offset 0x268, right after the header).
 *
 * Like Linux's own setup, this builds boot_params (a zeroed 4 KiB page at
 * BOOT_PARAMS with the setup header copied at 0x1f1 and the BIOS memory
 * map from INT 15h E820: count at 0x1e8, entries at 0x2d0), turns A20
 * on, and enters 32-bit protected mode with __BOOT_CS = 0x10 and
 * __BOOT_DS = 0x18 flat, jumping to code32_start with ESI = boot_params,
 * as Documentation/x86/boot.rst describes for the 32-bit entry.
 *
 * Linked at 0x268 (offsets within the real-mode part, with DS = SEG).
 */
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE   0x2d0
#define BP_CODE32_START 0x214
#define E820_MAX        128
#define SMAP            0x534d4150
#define BOOT_PARAMS     0x5000 /* free low memory once the loader is done */
#define HDR_START       0x1f1
#define HDR_END         0x268

    .code16
    .text
    .globl _start
_start:
    cli
    mov %cs, %ax
    sub $0x20, %ax
    mov %ax, %ds
    mov $(BOOT_PARAMS >> 4), %ax
    mov %ax, %es
    cld
    xor %di, %di                /* boot_params = 0 */
    xor %ax, %ax
    mov $2048, %cx
    rep stosw
    mov $HDR_START, %si         /* + the setup header */
    mov %si, %di
    mov $(HDR_END - HDR_START), %cx
    rep movsb
    sti
    xor %ebx, %ebx
    mov $BP_E820_TABLE, %di
    xor %si, %si
1:  mov $0xe820, %eax
    mov $20, %ecx
    mov $SMAP, %edx
    int $0x15
    jc 2f
    cmp $SMAP, %eax
    jne 2f
    inc %si
    add $20, %di
    test %ebx, %ebx
    jz 2f
    cmp $E820_MAX, %si
    jb 1b
2:  mov %si, %ax
    movb %al, %es:BP_E820_ENTRIES

    cli
    in $0x92, %al               /* fast A20 */
    or $2, %al
    and $0xfe, %al
    out %al, $0x92

    xor %esi, %esi              /* ESI = this segment's base, linear */
    mov %ds, %si
    shl $4, %esi
    lea gdt(%esi), %eax
    mov %eax, gdt_base
    mov BP_CODE32_START, %eax
    mov %eax, far_off
    lea far_off(%esi), %ebx
    mov $BOOT_PARAMS, %esi
    lgdtl gdt_desc
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    mov $0x18, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    xor %ebp, %ebp
    xor %edi, %edi
    ljmpl *(%ebx)

    .p2align 3
gdt:
    .quad 0
    .quad 0
    .quad 0x00cf9a000000ffff    /* 0x10: __BOOT_CS */
    .quad 0x00cf92000000ffff    /* 0x18: __BOOT_DS */
gdt_desc:
    .word gdt_desc - gdt - 1
gdt_base:
    .long 0
far_off:
    .long 0
    .word 0x10
