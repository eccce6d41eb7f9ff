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
#include "boot16.inc"

    .code16
    .text
    .globl _start
_start:
    boot_entry
    boot_banner msg
    mov $0x20, %al
    out %al, $0xf4
1:  hlt
    jmp 1b

    boot_serial_routines

msg:    .asciz "BOOTSECT-OK dl="
crlf:   .asciz "\r\n"
drive:  .byte 0

    .org 510
    .byte 0x55, 0xaa
