/*
 * A boot sector that loads a test guest from its own disk through the
 * BIOS, as a bootloader would, and starts it like a multiboot loader:
 *
 *   1. INT 13h AH=41h: the EDD extensions must be there;
 *   2. AH=42h (extended read): the payload, 128 sectors from LBA 1, to
 *      0x10000, and 16 data sectors from LBA 2048 to 0x20000 (checked by
 *      the guest against the pattern the test wrote there);
 *   3. AH=02h (CHS read, cylinder 0 head 0 sector 2 = LBA 1) to 0x600,
 *      compared with the extended read of the same sector;
 *   4. fast A20, flat 32-bit protected mode, then the payload's multiboot
 *      header (a.out kludge) says where to copy it, how much BSS to
 *      clear and where to jump (EAX = 0x2BADB002, EBX = zeroed info).
 * Prints "DISKBOOT dl=XX", then "INT13-OK" on COM1; any failure prints
 * "DISKBOOT-FAIL n" and exits through isa-debug-exit with 0x21.
 */
#define PAYLOAD_SEG  0x1000
#define DATA_SEG     0x2000
#define DATA_LBA     2048
#define CHS_BUF      0x600
#define MBI          0x9000

#include "boot16.inc"

    .code16
    .text
    .globl _start
_start:
    boot_entry
    sti
    boot_banner hello

    movb $'1', failcode
    mov $0x41, %ah              /* EDD installation check */
    mov $0x55aa, %bx
    mov drive, %dl
    int $0x13
    jc fail
    cmp $0xaa55, %bx
    jne fail

    movb $'2', failcode
    call ext_read               /* LBA 1-64 -> 1000:0000 */
    movw $(PAYLOAD_SEG + 0x800), dap_seg
    movl $65, dap_lba
    call ext_read               /* LBA 65-128 -> 1800:0000 */
    movw $16, dap_count
    movw $DATA_SEG, dap_seg
    movl $DATA_LBA, dap_lba
    call ext_read

    movb $'3', failcode
    mov $0x0201, %ax            /* read 1 sector, CHS */
    mov $0x0002, %cx            /* cylinder 0, sector 2 */
    xor %dh, %dh                /* head 0 */
    mov drive, %dl
    mov $CHS_BUF, %bx
    int $0x13
    jc fail
    mov $CHS_BUF, %si
    mov $PAYLOAD_SEG, %ax
    mov %ax, %es
    xor %di, %di
    mov $256, %cx
    cld
    repe cmpsw
    jne fail
    xor %ax, %ax
    mov %ax, %es
    mov $int13ok, %si
    call puts

    cli
    in $0x92, %al               /* fast A20 */
    or $2, %al
    and $0xfe, %al
    out %al, $0x92
    lgdtl gdt_desc
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $pm32

ext_read:
    mov $0x42, %ah
    mov drive, %dl
    mov $dap, %si
    int $0x13
    jc fail
    ret

fail:
    mov $failmsg, %si
    call puts
    mov $crlf, %si
    call puts
    mov $0x21, %al
    out %al, $0xf4
1:  hlt
    jmp 1b

    boot_serial_routines

    .code32
pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %esp
    mov $0x10000, %esi          /* find the multiboot header */
4:  cmpl $0x1badb002, (%esi)
    je 5f
    add $4, %esi
    cmp $0x12000, %esi
    jb 4b
    movb $'4', failcode
    jmp fail32
5:  mov 16(%esi), %edi          /* load_addr */
    mov 20(%esi), %ecx          /* load_end_addr */
    sub %edi, %ecx
    mov 24(%esi), %edx          /* bss_end_addr */
    mov 28(%esi), %ebp          /* entry_addr */
    mov 12(%esi), %eax          /* header_addr - load_addr: its offset */
    sub %edi, %eax
    sub %eax, %esi              /* the image's first byte */
    cld
    rep movsb
    mov %edx, %ecx              /* clear the BSS */
    sub %edi, %ecx
    jbe 6f
    xor %eax, %eax
    rep stosb
6:  mov $MBI, %edi
    mov $32, %ecx
    xor %eax, %eax
    rep stosl
    mov $0x2badb002, %eax
    mov $MBI, %ebx
    jmp *%ebp

fail32:
    mov $0x3f8, %dx
    mov $'F', %al
    out %al, %dx
    mov $0x21, %al
    out %al, $0xf4
7:  hlt
    jmp 7b

    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff    /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: flat data */
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt

dap:                            /* EDD disk address packet */
    .byte 16, 0
dap_count:
    .word 64
    .word 0
dap_seg:
    .word PAYLOAD_SEG
dap_lba:
    .long 1, 0

hello:   .asciz "DISKBOOT dl="
int13ok: .asciz "INT13-OK\r\n"
failmsg: .ascii "DISKBOOT-FAIL "
failcode: .asciz "0"
crlf:    .asciz "\r\n"
drive:   .byte 0

    .org 510
    .byte 0x55, 0xaa
