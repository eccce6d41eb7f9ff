/* Self-modifying code: JIT-style buffers rewritten between calls, code
 * patched in a page that also holds the caller, and an instruction that
 * rewrites the next instruction of its own basic block. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

typedef int (*fn_t)(void);

/* mov $imm32, %eax ; ret */
static void emit(unsigned char *p, int32_t imm)
{
    p[0] = 0xb8;
    memcpy(p + 1, &imm, 4);
    p[5] = 0xc3;
}

int main(void)
{
    unsigned char *buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long sum = 0;
    int i;

    for (i = 0; i < 200; i++) {
        emit(buf + (i % 3) * 16, i * 7);
        sum += ((fn_t)(buf + (i % 3) * 16))();
    }
    printf("jit sum %ld\n", sum);

    /*
     * Code that patches its own following instruction in the same block:
     *   movb $0x2a, 1f+1(%rip)   ; change the immediate below to 42
     *1: mov $0x01, %al
     *   ret
     */
    {
        unsigned char code[] = {
            0x31, 0xc0,                         /* xor %eax,%eax */
            0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, /* movb $imm8, 1(%rip) */
            0x2a,                               /*   imm8 = 42 */
            0xb0, 0x01,                         /* mov $1, %al */
            0xc3,                               /* ret */
        };
        memcpy(buf + 256, code, sizeof(code));
        printf("self-patch first %d\n", ((fn_t)(buf + 256))());
        buf[256 + 10] = 0x05;
        printf("self-patch again %d\n", ((fn_t)(buf + 256))());
    }

    /* patch a function through a second mapping of the same memory */
    {
        int fd = memfd_create("smc", 0);
        if (fd >= 0 && ftruncate(fd, 4096) == 0) {
            unsigned char *x =
                mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
            unsigned char *w =
                mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            emit(w, 5);
            printf("alias first %d\n", ((fn_t)x)());
            munmap(x, 4096);
            x = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
            emit(w, 6);
            printf("alias after remap %d\n", ((fn_t)x)());
        }
    }

    /*
     * New code arriving through syscalls into a page that holds translated
     * code: read(2) from a pipe, readv(2), and pread(2) from a file (the
     * kernel must not see the emulator's write protection).
     */
    {
        unsigned char *page = buf + 4096, code[6];
        struct iovec iov = {page + 64, 6};
        int p[2], fd;
        char name[] = "/tmp/smc-XXXXXX";
        emit(page, 1);
        printf("syscall-write first %d\n", ((fn_t)page)());
        if (pipe(p) == 0) {
            emit(code, 2);
            if (write(p[1], code, 6) == 6) {
                printf("read() %zd\n", read(p[0], page, 6));
                printf("after read %d\n", ((fn_t)page)());
            }
            emit(code, 3);
            if (write(p[1], code, 6) == 6) {
                printf("readv() %zd\n", readv(p[0], &iov, 1));
                printf("after readv %d\n", ((fn_t)(page + 64))());
            }
            close(p[0]);
            close(p[1]);
        }
        fd = mkstemp(name);
        if (fd >= 0) {
            unlink(name);
            emit(code, 4);
            if (write(fd, code, 6) == 6) {
                printf("pread() %zd\n", pread(fd, page, 6, 0));
                printf("after pread %d\n", ((fn_t)page)());
            }
            close(fd);
        }
    }

    /* mprotect-toggled code (the W^X way JITs do it) */
    for (i = 0; i < 5; i++) {
        mprotect(buf, 4096, PROT_READ | PROT_WRITE);
        emit(buf + 1024, 1000 + i);
        mprotect(buf, 4096, PROT_READ | PROT_EXEC);
        printf("wx %d\n", ((fn_t)(buf + 1024))());
    }
    return 0;
}
