/*
 * The smallest bootable disk: a 512-byte MBR boot sector that the BIOS
 * loads at 0000:7c00 and starts in real mode.  It prints
 * "BOOTSECT-OK dl=XX" (XX: the BIOS drive number in DL, 80 for the first
 * hard disk) on COM1 and leaves through isa-debug-exit (port 0xf4) with
 * 0x20, so the emulator's exit status is 0x41.
 *
 * Built by tests/guests/bootdisk.py: gcc -c, ld -Ttext 0x7c00, objcopy
 * -O binary.
 */
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    mov %dl, drive
    mov $msg, %si
    call puts
    mov drive, %al
    call puthex
    mov $nl, %si
    call puts
    mov $0x20, %al
    out %al, $0xf4
1:  hlt
    jmp 1b

/* Prints the NUL-terminated string at DS:SI. */
puts:
    lodsb
    test %al, %al
    jz 2f
    call putc
    jmp puts
2:  ret

/* Prints AL as two hex digits. */
puthex:
    push %ax
    shr $4, %al
    call hexdigit
    pop %ax
    and $0x0f, %al
hexdigit:
    and $0x0f, %al
    add $'0', %al
    cmp $'9', %al
    jbe putc
    add $('A' - '0' - 10), %al
/* COM1, waiting for the transmitter holding register to be empty. */
putc:
    push %dx
    push %ax
    mov $0x3fd, %dx
3:  in %dx, %al
    test $0x20, %al
    jz 3b
    pop %ax
    mov $0x3f8, %dx
    out %al, %dx
    pop %dx
    ret

msg:    .asciz "BOOTSECT-OK dl="
nl:     .asciz "\r\n"
drive:  .byte 0

    .org 510
    .byte 0x55, 0xaa
