/*
 * modes-fuzz: runs pseudo-random machine code at CPL 3 inside a Linux
 * guest, in 64-bit mode and (through a far return to the 32-bit user code
 * segment 0x23) in compatibility mode.  Each case is a child process that
 * drops to an unprivileged user, maps a page of random bytes and jumps
 * into it with every register pointing into its own data page; it ends
 * with a signal, an exit or the alarm.  The emulator must survive every
 * case and the guest kernel must stay healthy: the program prints how
 * the cases ended and "fuzz: done".
 *
 *     gcc -O2 -static -o modes-fuzz modes-fuzz.c
 *     ./modes-fuzz [CASES] [SEED]
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define CODE 0x10000000ul /* below 4 GiB: reachable from compat mode */
#define DATA 0x10001000ul

static uint64_t rng;

static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void run_case(int compat)
{
    uint8_t *code, *data;
    struct rlimit cpu = {1, 1};

    if (setgid(65534) || setuid(65534)) {
        _exit(100);
    }
    setrlimit(RLIMIT_CPU, &cpu);
    alarm(2);
    code = mmap((void *)CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    data = mmap((void *)DATA, 4096, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (code == MAP_FAILED || data == MAP_FAILED) {
        _exit(101);
    }
    for (int i = 0; i < 4096; i += 8) {
        uint64_t v = xorshift();
        memcpy(code + i, &v, 8);
        v = xorshift();
        memcpy(data + i, &v, 8);
    }
    /* no output from random system calls */
    close(0);
    close(1);
    close(2);
    if (compat) {
        /* far return to CS 0x23 (__USER32_CS) at CODE, DS = ES = 0x2b */
        __asm__ volatile("mov $0x2b, %%eax\n\t"
                         "mov %%eax, %%ds\n\t"
                         "mov %%eax, %%es\n\t"
                         "mov %0, %%rsp\n\t"
                         "pushq $0x23\n\t"
                         "pushq %1\n\t"
                         "mov %k0, %%eax\n\t"
                         "mov %k0, %%ebx\n\t"
                         "mov %k0, %%ecx\n\t"
                         "mov %k0, %%edx\n\t"
                         "mov %k0, %%esi\n\t"
                         "mov %k0, %%edi\n\t"
                         "mov %k0, %%ebp\n\t"
                         "lretq"
                         :
                         : "r"(DATA + 0x800), "r"(CODE)
                         : "rax", "memory");
    } else {
        __asm__ volatile("mov %0, %%rsp\n\t"
                         "mov %0, %%rax\n\t"
                         "mov %0, %%rbx\n\t"
                         "mov %0, %%rcx\n\t"
                         "mov %0, %%rdx\n\t"
                         "mov %0, %%rsi\n\t"
                         "mov %0, %%rdi\n\t"
                         "mov %0, %%rbp\n\t"
                         "mov %0, %%r8\n\t"
                         "mov %0, %%r9\n\t"
                         "mov %0, %%r10\n\t"
                         "mov %0, %%r11\n\t"
                         "mov %0, %%r12\n\t"
                         "mov %0, %%r13\n\t"
                         "mov %0, %%r14\n\t"
                         "mov %0, %%r15\n\t"
                         "jmp *%1"
                         :
                         : "r"(DATA + 0x800), "r"(CODE)
                         : "memory");
    }
    _exit(102);
}

int main(int argc, char **argv)
{
    int cases = argc > 1 ? atoi(argv[1]) : 200;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
    int sigs[65] = {0}, exits = 0;
    bool verbose = argc > 3;

    for (int i = 0; i < cases; i++) {
        pid_t pid;
        int status;

        rng = seed * 0x9e3779b97f4a7c15ull + i + 1;
        pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            run_case(i & 1);
        }
        if (waitpid(pid, &status, 0) < 0) {
            perror("waitpid");
            return 1;
        }
        if (WIFSIGNALED(status) && WTERMSIG(status) < 65) {
            sigs[WTERMSIG(status)]++;
        } else {
            exits++;
        }
        if (verbose) {
            /* one letter per case: 'A' + signal, or '=' for an exit */
            putchar(WIFSIGNALED(status) ? 'A' + WTERMSIG(status) % 26 : '=');
            if (i % 64 == 63) {
                putchar('\n');
            }
        }
    }
    printf("fuzz: %d cases, %d exits", cases, exits);
    for (int s = 1; s < 65; s++) {
        if (sigs[s]) {
            printf(", %s %d", strsignal(s), sigs[s]);
        }
    }
    printf("\nfuzz: done\n");
    return 0;
}
