/*
 * Entry of every test guest: the multiboot v1 header (ELF, or with
 * -DAOUT_KLUDGE the address fields so that a flat binary loads too), a
 * private GDT, 256 interrupt stubs that call isr_dispatch(), and the
 * real-mode trampoline that application processors start in after SIPI.
 */
#define MB_MAGIC 0x1BADB002
#ifdef AOUT_KLUDGE
#define MB_FLAGS 0x00010003
#else
#define MB_FLAGS 0x00000003
#endif
#define TRAMPOLINE 0x8000

#ifdef LINUX_BOOT
    /*
     * Linux boot protocol: the 32-bit entry (code32_start) is the first
     * byte of the protected-mode image, with ESI = boot_params.
     */
    .section .linuxentry, "ax"
    .code32
    jmp _start_linux
#endif

    .section .multiboot, "a"
    .align 4
mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
#ifdef AOUT_KLUDGE
    .long mb_header  /* header_addr */
    .long _load_start /* load_addr */
    .long _load_end  /* load_end_addr */
    .long _bss_end   /* bss_end_addr */
    .long _start     /* entry_addr */
#endif

    .text
    .code32
    .globl _start
_start:
    cli
    cld
    mov $boot_stack_top, %esp
    mov %eax, %esi
    mov %ebx, %edi
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %fs
    mov %eax, %gs
    mov %eax, %ss
    push %edi           /* multiboot info */
    push %esi           /* magic */
    call guest_start
2:  cli
    hlt
    jmp 2b

#ifdef LINUX_BOOT
    .globl _start_linux
_start_linux:
    cli
    cld
    mov %esi, linux_boot_params
    mov %cs, %eax
    mov %eax, linux_entry_cs
    mov %ds, %eax
    mov %eax, linux_entry_ds
    mov $_load_end, %edi    /* the loader does not clear .bss */
    mov $_bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    xor %eax, %eax
    xor %ebx, %ebx
    jmp _start
#endif

/* Application processors arrive here in protected mode. */
    .globl ap_entry32
ap_entry32:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %fs
    mov %eax, %gs
    mov %eax, %ss
    mov $1, %eax
    lock xadd %eax, ap_next_index
    mov %eax, %ecx
    inc %ecx
    shl $12, %ecx
    lea ap_stacks(%ecx), %esp
    push %eax
    call ap_start
3:  cli
    hlt
    jmp 3b

/* Interrupt stubs: push an error code if the CPU did not, then the vector. */
    .macro isr vec
    .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17)
    .else
    push $0
    .endif
    push $\vec
    jmp isr_common
    .align 16
    .endm

    .align 16
    .globl isr_table
isr_table:
    .set v, 0
    .rept 256
    isr v
    .set v, v + 1
    .endr

isr_common:
    pusha
    push %esp
    call isr_dispatch
    add $4, %esp
    popa
    add $8, %esp
#ifdef USE_IRET
    iret
#else
    /*
     * Same effect as iret to the same privilege level, without iret:
     * KVM-PVM cannot emulate a 32-bit iret.  Rearrange eip/cs/eflags into
     * eflags/eip, then popf and ret (cs is always the flat 0x08).
     */
    push %eax
    mov 4(%esp), %eax
    xchg %eax, 12(%esp)
    mov %eax, 8(%esp)
    pop %eax
    add $4, %esp
    popfl
    ret
#endif

/* Real-mode trampoline, copied to TRAMPOLINE (SIPI vector 0x08). */
    .globl trampoline_start, trampoline_end
    .code16
trampoline_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    lgdtl (tramp_gdt_desc - trampoline_start + TRAMPOLINE)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $ap_entry32
    .align 4
tramp_gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
trampoline_end:
    .code32

    .data
    .align 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff /* 0x08: code, flat 4 GiB */
    .quad 0x00cf92000000ffff /* 0x10: data, flat 4 GiB */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
    .globl ap_next_index
ap_next_index:
    .long 0
    .globl linux_boot_params, linux_entry_cs, linux_entry_ds
linux_boot_params:
    .long 0
linux_entry_cs:
    .long 0
linux_entry_ds:
    .long 0

    .bss
    .align 4096
boot_stack:
    .space 16384
boot_stack_top:
    .globl ap_stacks
ap_stacks:
    .space 4096 * 17
