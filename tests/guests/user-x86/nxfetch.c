/* Executing a page that is mapped without PROT_EXEC, and one that was
 * unmapped: SIGSEGV with si_code SEGV_ACCERR / SEGV_MAPERR and si_addr
 * the target, then recovery with siglongjmp. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define ADDR ((void *)0x12345000)

static sigjmp_buf jb;

static void h(int sig, siginfo_t *si, void *p)
{
    printf("sig %d code %d addr-ok %d\n", sig, si->si_code,
           si->si_addr == ADDR);
    siglongjmp(jb, 1);
}

int main(void)
{
    struct sigaction sa;
    unsigned char *p;

    setvbuf(stdout, NULL, _IONBF, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    p = mmap(ADDR, 4096, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    p[0] = 0xc3; /* ret */
    if (!sigsetjmp(jb, 1)) {
        ((void (*)(void))p)();
    }
    mprotect(p, 4096, PROT_READ | PROT_EXEC);
    if (!sigsetjmp(jb, 1)) {
        ((void (*)(void))p)();
        printf("exec after mprotect ok\n");
    }
    munmap(p, 4096);
    if (!sigsetjmp(jb, 1)) {
        ((void (*)(void))p)();
    }
    printf("done\n");
    return 0;
}
