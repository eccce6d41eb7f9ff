/*
 * The undocumented x87 register-form aliases CPUs execute (FSTP1, FCOM2,
 * FCOMP3, FXCH4, FCOMP5, FFREEP, FXCH7, FSTP8, FSTP9, FENI, FDISI, FSETPM)
 * and neighbours that raise #UD: prints "ok" or "SIGILL" per encoding.
 */
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
static sigjmp_buf jb;
static void h(int s)
{
    siglongjmp(jb, s);
}
int main(void)
{
    static const unsigned char ops[][2] = {
        {0xd9, 0xd8}, {0xdc, 0xd0}, {0xdc, 0xd8}, {0xdd, 0xc8}, {0xde, 0xd0},
        {0xdf, 0xc0}, {0xdf, 0xc8}, {0xdf, 0xd0}, {0xdf, 0xd8}, {0xdb, 0xe0},
        {0xdb, 0xe1}, {0xdb, 0xe4}, {0xd9, 0xd1}, {0xde, 0xd8}, {0xdb, 0xe5},
        {0xdf, 0xe1}, {0xd9, 0xe2}};
    unsigned char *p = mmap(0, 4096, 7, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    signal(SIGILL, h);
    for (unsigned i = 0; i < sizeof(ops) / 2; i++) {
        /* fldz; fldz; op; fninit; ret */
        unsigned char c[] = {0xd9,      0xee, 0xd9, 0xee, ops[i][0],
                             ops[i][1], 0xdb, 0xe3, 0xc3};
        memcpy(p, c, sizeof(c));
        int s = sigsetjmp(jb, 1);
        if (!s) {
            ((void (*)(void))p)();
            printf("%02x %02x ok\n", ops[i][0], ops[i][1]);
        } else
            printf("%02x %02x SIGILL\n", ops[i][0], ops[i][1]);
    }
    return 0;
}
