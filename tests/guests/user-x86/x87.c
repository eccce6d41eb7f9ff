/* x87: long double arithmetic, transcendentals, rounding and precision
 * control, comparisons (FCOMI, FNSTSW), FCMOV, integer and BCD loads and
 * stores.  Printed in hex (%La) so that every bit is compared. */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void show(const char *what, long double v)
{
    unsigned char b[10];
    memcpy(b, &v, 10);
    printf("%-10s %La %02x%02x\n", what, v, b[9], b[8]);
}

static long double fsin(long double x)
{
    __asm__("fsin" : "+t"(x));
    return x;
}

static long double fcos(long double x)
{
    __asm__("fcos" : "+t"(x));
    return x;
}

static long double fpatan(long double y, long double x)
{
    long double r;
    __asm__("fpatan" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}

static long double fyl2x(long double x, long double y)
{
    long double r;
    __asm__("fyl2x" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}

static long double f2xm1(long double x)
{
    __asm__("f2xm1" : "+t"(x));
    return x;
}

static long double frndint(long double x)
{
    __asm__("frndint" : "+t"(x));
    return x;
}

int main(void)
{
    static const long double vals[] = {
        0.0L,
        -0.0L,
        1.0L,
        -1.5L,
        3.14159265358979323846264L,
        1e-4000L,
        1e4000L,
        0.3L,
        2.5L,
        -2.5L,
        1.0L / 3.0L,
        123456789.987654321L,
    };
    static const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD,
                                FE_TOWARDZERO};
    unsigned i, j, m;

    for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        long double x = vals[i];
        printf("x = %La\n", x);
        show("sqrt", sqrtl(fabsl(x)));
        show("fsin", fsin(x));
        show("fcos", fcos(x));
        show("fpatan", fpatan(x, 0.7L));
        show("fyl2x", fyl2x(fabsl(x) + 1, 1.25L));
        show("f2xm1", f2xm1(x / 8));
        show("expl", expl(x / 1000));
        show("logl", logl(fabsl(x) + 2));
        show("powl", powl(fabsl(x) + 1, 1.7L));
        show("fmodl", fmodl(x, 0.7L));
        for (m = 0; m < 4; m++) {
            fesetround(modes[m]);
            show("rnd-div", x / 3.0L);
            show("rnd-int", frndint(x));
            printf("  lrint %lld\n", (long long)llrintl(x / 7));
            fesetround(FE_TONEAREST);
        }
        for (j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
            long double y = vals[j];
            unsigned short sw;
            unsigned char cf, zf, pf;
            show("add", x + y);
            show("mul", x * y);
            show("div", x / (y == 0 ? 7 : y));
            __asm__("fucomi %%st(1), %%st\n\tsetc %0\n\tsetz %1\n\tsetp %2"
                    : "=q"(cf), "=q"(zf), "=q"(pf)
                    : "t"(x), "u"(y)
                    : "cc");
            __asm__("fcom %%st(1)\n\tfnstsw %%ax" : "=a"(sw) : "t"(x), "u"(y));
            printf("  cmp c=%u z=%u p=%u sw=%04x\n", cf, zf, pf, sw & 0x4500);
        }
        /* precision control: 53-bit and 24-bit */
        {
            unsigned short cw, cw2;
            __asm__("fnstcw %0" : "=m"(cw));
            cw2 = (cw & ~0x300) | 0x200;
            __asm__("fldcw %0" : : "m"(cw2));
            show("pc53", x / 3.0L);
            cw2 = cw & ~0x300;
            __asm__("fldcw %0" : : "m"(cw2));
            show("pc24", x / 3.0L);
            __asm__("fldcw %0" : : "m"(cw));
        }
        /* integer conversions, FISTTP, FBSTP */
        {
            int16_t s16;
            int32_t s32;
            int64_t s64;
            unsigned char bcd[10];
            long double v = x * 1000;
            __asm__("fistps %0" : "=m"(s16) : "t"(v) : "st");
            __asm__("fistpl %0" : "=m"(s32) : "t"(v) : "st");
            __asm__("fisttpll %0" : "=m"(s64) : "t"(v) : "st");
            __asm__("fbstp %0" : "=m"(bcd) : "t"(fmodl(v, 1e17L)) : "st");
            printf("  int %d %d %lld bcd", s16, s32, (long long)s64);
            for (j = 0; j < 10; j++) {
                printf(" %02x", bcd[j]);
            }
            printf("\n");
        }
    }
    /* FCMOV */
    {
        long double a = 1.0L, b = 2.0L, r;
        __asm__("fcomi %%st(1), %%st\n\tfcmovb %%st(1), %%st"
                : "=t"(r)
                : "0"(a), "u"(b)
                : "cc");
        show("fcmovb", r);
    }
    {
        fenv_t e;
        fegetenv(&e);
        feclearexcept(FE_ALL_EXCEPT);
        volatile long double z = 0.0L, one = 1.0L;
        volatile long double q = one / z;
        printf("divbyzero %d inexact %d %La\n", !!fetestexcept(FE_DIVBYZERO),
               !!fetestexcept(FE_INEXACT), (long double)q);
        fesetenv(&e);
    }
    return 0;
}
