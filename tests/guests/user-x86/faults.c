/* Fatal signals: children (fork) dying of SIGFPE, SIGABRT, SIGTERM and
 * SIGILL are reported by wait() like natively, then the process itself
 * dies of an unhandled SIGSEGV (exit status -11 for the test). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* a crash handler that re-raises with the default action, as V8's does */
static void reraise(int sig)
{
    signal(sig, SIG_DFL);
    raise(sig); /* pending until the handler returns, then fatal */
}

static void child(int how)
{
    switch (how) {
    case 0:
        __asm__ volatile("xor %%ecx, %%ecx\n\tmov $1, %%eax\n\tcdq\n\t"
                         "idiv %%ecx"
                         :
                         :
                         : "rax", "rcx", "rdx", "cc");
        break;
    case 1:
        abort();
    case 2:
        raise(SIGTERM);
        break;
    case 3:
        __asm__ volatile("ud2");
        break;
    case 4:
        signal(SIGSEGV, reraise);
        *(volatile int *)8 = 1;
        break;
    default:
        exit(17);
    }
    _exit(99);
}

int main(void)
{
    int how, status;

    setvbuf(stdout, NULL, _IONBF, 0);
    for (how = 0; how < 6; how++) {
        pid_t p = fork();
        if (p == 0) {
            child(how);
        }
        waitpid(p, &status, 0);
        if (WIFSIGNALED(status)) {
            printf("child %d: signal %d\n", how, WTERMSIG(status));
        } else {
            printf("child %d: exit %d\n", how, WEXITSTATUS(status));
        }
    }
    printf("now crashing\n");
    *(volatile int *)16 = 1;
    return 0;
}
