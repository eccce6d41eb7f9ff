/*
 * linuxboot.bin: the option ROM that makes firmware boot -kernel.
 *
 * The board puts the kernel's real-mode part (setup header already
 * filled in: loader type, command line pointer, initrd, heap), the
 * protected-mode part, the initrd and the command line into fw_cfg with
 * the addresses they go to (FW_CFG_{SETUP,KERNEL,INITRD,CMDLINE}_
 * {ADDR,SIZE,DATA}) and offers this ROM as "genroms/linuxboot.bin",
 * first in "bootorder".  SeaBIOS runs its bootstrap entry vector (BEV)
 * when it boots: the ROM copies each item to its address with the fw_cfg
 * DMA interface (which reaches memory above 1 MiB from real mode) and
 * enters the kernel's real-mode setup at SETUP_ADDR/16 + 0x20 : 0 with
 * DS = ES = FS = GS = SS = SETUP_ADDR/16 and SP = 0xfff0, as the Linux
 * boot protocol (Documentation/x86/boot.rst, "Running the kernel") says.
 *
 * Layout (PCI Firmware / BIOS Boot Specification): 55 AA, size in 512-byte
 * blocks, the init entry at offset 3, the PnP expansion header whose
 * BEV points at bev.  hw/x86/optionrom/mkrom.py fills the size and both
 * checksums.  16-bit code, position independent except offsets from the
 * ROM start (the firmware runs it with CS = its segment, IP from 0).
 */
#define FW_CFG_PORT_SEL  0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_DMA_HIGH  0x514
#define FW_CFG_DMA_LOW   0x518

#define FW_CFG_KERNEL_ADDR  0x07
#define FW_CFG_KERNEL_SIZE  0x08
#define FW_CFG_INITRD_ADDR  0x0a
#define FW_CFG_INITRD_SIZE  0x0b
#define FW_CFG_KERNEL_DATA  0x11
#define FW_CFG_INITRD_DATA  0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR   0x16
#define FW_CFG_SETUP_SIZE   0x17
#define FW_CFG_SETUP_DATA   0x18

#define DMA_CTL_ERROR  0x01
#define DMA_CTL_READ   0x02
#define DMA_CTL_SELECT 0x08

    .code16
    .text
    .globl _start
_start:
    .byte 0x55, 0xaa
    .byte 0                 /* size / 512: mkrom.py */
    lret                    /* init entry: nothing to set up */

    .org 0x18
    .word 0                 /* no PCI data structure */
    .word pnp               /* PnP expansion header */

    .p2align 4
pnp:
    .ascii "$PnP"
    .byte 0x01              /* revision */
    .byte 0x02              /* length, 16-byte units */
    .word 0                 /* next header */
    .byte 0                 /* reserved */
    .byte 0                 /* checksum: mkrom.py */
    .long 0                 /* device identifier */
    .word manufacturer
    .word product
    .byte 0, 0, 0           /* device type */
    .byte 0                 /* device indicators */
    .word 0                 /* boot connection vector */
    .word 0                 /* disconnect vector */
    .word bev               /* bootstrap entry vector */
    .word 0                 /* reserved */
    .word 0                 /* static resource information */

manufacturer:
    .asciz "Quasar"
product:
    .asciz "Linux loader DMA"

/* EAX = the 32-bit little-endian fw_cfg item AX.  Clobbers CX, DX. */
read_cfg32:
    mov $FW_CFG_PORT_SEL, %dx
    out %ax, %dx
    inc %dx
    xor %eax, %eax
    mov $4, %cx
1:  in %dx, %al
    ror $8, %eax
    loop 1b
    ret

/*
 * fw_cfg DMA of item AX (ECX bytes) to physical EDI, through a descriptor
 * on the stack.  Clobbers EAX, EBX, DX.
 */
dma_read:
    test %ecx, %ecx
    jz 3f
    push %bp
    mov %sp, %bp
    sub $16, %sp
    movzwl %ax, %eax
    shl $16, %eax
    or $(DMA_CTL_SELECT | DMA_CTL_READ), %eax
    bswap %eax
    mov %eax, -16(%bp)      /* control */
    mov %ecx, %eax
    bswap %eax
    mov %eax, -12(%bp)      /* length */
    movl $0, -8(%bp)        /* address, high */
    mov %edi, %eax
    bswap %eax
    mov %eax, -4(%bp)       /* address, low */
    xor %eax, %eax          /* the descriptor's physical address */
    mov %ss, %ax
    shl $4, %eax
    movzwl %bp, %ebx
    sub $16, %ebx
    add %ebx, %eax
    bswap %eax
    mov %eax, %ebx
    xor %eax, %eax
    mov $FW_CFG_DMA_HIGH, %dx
    out %eax, %dx
    mov %ebx, %eax
    mov $FW_CFG_DMA_LOW, %dx
    out %eax, %dx           /* starts the transfer */
2:  mov -16(%bp), %eax      /* done when control is 0 (or ERROR) */
    bswap %eax
    and $~DMA_CTL_ERROR, %eax
    jnz 2b
    mov %bp, %sp
    pop %bp
3:  ret

/* Loads item DATA to the address in item ADDR, SIZE bytes. */
.macro load addr, size, data
    mov $\addr, %ax
    call read_cfg32
    mov %eax, %edi
    mov $\size, %ax
    call read_cfg32
    mov %eax, %ecx
    mov $\data, %ax
    call dma_read
.endm

bev:
    cli
    cld
    load FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA
    load FW_CFG_INITRD_ADDR, FW_CFG_INITRD_SIZE, FW_CFG_INITRD_DATA
    load FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA
    load FW_CFG_SETUP_ADDR, FW_CFG_SETUP_SIZE, FW_CFG_SETUP_DATA
    mov %edi, %eax          /* EDI = SETUP_ADDR */
    shr $4, %eax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $0xfff0, %sp
    add $0x20, %ax
    push %ax
    push $0
    lret
