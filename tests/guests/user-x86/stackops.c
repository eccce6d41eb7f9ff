/*
 * Stack instructions whose memory operand is addressed through RSP:
 * POP m computes its address after incrementing RSP (SDM vol. 2B POP),
 * PUSH m reads its operand before decrementing RSP.  V8's builtins move
 * return addresses with POP [rsp+n].  Prints what the CPU did.
 */
#include <stdint.h>
#include <stdio.h>

int main(void)
{
    uint64_t slots[8] = {0}, out[8];
    uint64_t sp_before, sp_after;

    /* 8F /0 with SIB base RSP and disp8 / disp32, and a 16-bit POP */
    __asm__ volatile("mov %%rsp, %[sb]\n\t"
                     "sub $64, %%rsp\n\t"
                     "movq $0, 0(%%rsp)\n\t"
                     "movq $0, 8(%%rsp)\n\t"
                     "movq $0, 16(%%rsp)\n\t"
                     "movq $0, 24(%%rsp)\n\t"
                     "movq $0, 32(%%rsp)\n\t"
                     "movq $0, 40(%%rsp)\n\t"
                     "movq $0, 48(%%rsp)\n\t"
                     "movq $0, 56(%%rsp)\n\t"
                     "pushq $0x1111\n\t"
                     "popq 8(%%rsp)\n\t"    /* lands at old rsp + 16 */
                     "pushq $0x2222\n\t"
                     ".byte 0x8f, 0x84, 0x24\n\t" /* pop 0x20(%rsp), disp32 */
                     ".long 0x20\n\t"
                     "pushq $0x3333\n\t"
                     "popq (%%rsp)\n\t"     /* lands at old rsp + 8 */
                     "pushw $0x4444\n\t"
                     "popw 2(%%rsp)\n\t"
                     "mov 0(%%rsp), %%rax\n\t"
                     "mov %%rax, 0(%[o])\n\t"
                     "mov 8(%%rsp), %%rax\n\t"
                     "mov %%rax, 8(%[o])\n\t"
                     "mov 16(%%rsp), %%rax\n\t"
                     "mov %%rax, 16(%[o])\n\t"
                     "mov 24(%%rsp), %%rax\n\t"
                     "mov %%rax, 24(%[o])\n\t"
                     "mov 32(%%rsp), %%rax\n\t"
                     "mov %%rax, 32(%[o])\n\t"
                     "mov 40(%%rsp), %%rax\n\t"
                     "mov %%rax, 40(%[o])\n\t"
                     "mov 48(%%rsp), %%rax\n\t"
                     "mov %%rax, 48(%[o])\n\t"
                     "mov 56(%%rsp), %%rax\n\t"
                     "mov %%rax, 56(%[o])\n\t"
                     "add $64, %%rsp\n\t"
                     "mov %%rsp, %[sa]\n\t"
                     : [sb] "=&r"(sp_before), [sa] "=&r"(sp_after)
                     : [o] "r"(out)
                     : "rax", "memory");
    for (int i = 0; i < 8; i++) {
        printf("pop slot %d: %#llx\n", i, (unsigned long long)out[i]);
    }
    printf("rsp restored: %d\n", sp_before == sp_after);

    /* FF /6: PUSH [rsp+8] reads before the decrement */
    slots[0] = 0xaaaa;
    __asm__ volatile("sub $16, %%rsp\n\t"
                     "movq $0x5555, 0(%%rsp)\n\t"
                     "movq $0x6666, 8(%%rsp)\n\t"
                     "pushq 8(%%rsp)\n\t"
                     "pop %%rax\n\t"
                     "mov %%rax, 0(%[o])\n\t"
                     "pushq (%%rsp)\n\t"
                     "pop %%rax\n\t"
                     "mov %%rax, 8(%[o])\n\t"
                     "add $16, %%rsp\n\t"
                     :
                     : [o] "r"(slots)
                     : "rax", "memory");
    printf("push [rsp+8]: %#llx, push [rsp]: %#llx\n",
           (unsigned long long)slots[0], (unsigned long long)slots[1]);
    return 0;
}
