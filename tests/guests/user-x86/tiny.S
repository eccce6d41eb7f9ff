/* Milestone (a): no libc; write(1, msg, len) then exit(42). */
    .globl _start
    .text
_start:
    mov $1, %eax
    mov $1, %edi
    lea msg(%rip), %rsi
    mov $len, %edx
    syscall
    mov $60, %eax
    mov $42, %edi
    syscall
    .data
msg: .ascii "hello from tiny\n"
    .set len, . - msg
