/*
 * bench/cpu-work.c: a fixed CPU workload that prints one checksum line.
 *
 *     gcc -O2 -static -o cpu-work bench/cpu-work.c -lm
 *     ./cpu-work [SCALE]        # SCALE defaults to 1
 *
 * Integer hashing (FNV-1a + xorshift), a sort, floating point (n-body and
 * a Mandelbrot pass), memory streams and a branchy byte-code interpreter.
 * The output depends only on SCALE, so the same binary run natively, in a
 * guest under TCG or under KVM must print the same line; bench/boot-tcg
 * and tests/functional/test_linux_tcg.py compare it with the native run.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t work_hash(int scale)
{
    uint64_t h = 1469598103934665603ull;
    for (long i = 0; i < 3000000L * scale; i++) {
        h ^= xorshift() & 0xff;
        h *= 1099511628211ull;
    }
    return h;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t work_sort(int scale)
{
    size_t n = 200000 * (size_t)scale;
    uint32_t *v = malloc(n * sizeof(*v));
    uint64_t s = 0;
    if (!v) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = (uint32_t)xorshift();
    }
    qsort(v, n, sizeof(*v), cmp_u32);
    for (size_t i = 0; i < n; i += 997) {
        s = s * 31 + v[i];
    }
    free(v);
    return s;
}

static double work_float(int scale)
{
    double x[5] = {0, 4.84, 8.34, 12.89, 15.37}, v[5] = {0, .1, .2, .3, .4};
    double m[5] = {39.5, .037, .011, .0017, .002}, e = 0;
    for (int s = 0; s < 100000 * scale; s++) {
        for (int i = 0; i < 5; i++) {
            for (int j = i + 1; j < 5; j++) {
                double d = x[i] - x[j], r = d * d + 0.01;
                double f = 0.001 / (r * sqrt(r));
                v[i] -= d * m[j] * f;
                v[j] += d * m[i] * f;
                x[i] += 0.001 * v[i];
            }
        }
    }
    for (int i = 0; i < 5; i++) {
        e += m[i] * v[i] * v[i];
    }
    for (int py = 0; py < 100 * scale; py++) {
        for (int px = 0; px < 200; px++) {
            double cr = px / 100.0 - 1.5, ci = py / (50.0 * scale) - 1;
            double zr = 0, zi = 0;
            int k = 0;
            while (k < 100 && zr * zr + zi * zi < 4) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                k++;
            }
            e += k * 1e-9;
        }
    }
    return e;
}

static uint64_t work_memory(int scale)
{
    size_t n = 4 << 20;
    unsigned char *a = malloc(n), *b = malloc(n);
    uint64_t s = 0;
    if (!a || !b) {
        return 0;
    }
    for (int r = 0; r < 4 * scale; r++) {
        memset(a, r, n);
        for (size_t i = 0; i < n; i += 4096) {
            a[i] = (unsigned char)xorshift();
        }
        memcpy(b, a, n);
        for (size_t i = 0; i < n; i += 64) {
            s += b[i];
        }
    }
    free(a);
    free(b);
    return s;
}

/* A tiny stack machine: branchy dispatch like an interpreter loop. */
static int64_t work_interp(int scale)
{
    enum { PUSH, ADD, MUL, DUP, ACC, JNZ, DEC, DROP, HALT };
    /* acc = sum of n*n mod p for n = 200000..1 */
    static const int prog[] = {PUSH, 0,   PUSH, 200000, DUP, DUP, MUL,
                               ACC,  DEC, DUP,  JNZ,    4,   HALT};
    int64_t total = 0;
    for (int round = 0; round < 3 * scale; round++) {
        int64_t st[64];
        int sp = 0, pc = 0;
        for (;;) {
            int op = prog[pc++];
            if (op == PUSH) {
                st[sp++] = prog[pc++];
            } else if (op == ADD) {
                sp--;
                st[sp - 1] += st[sp];
            } else if (op == MUL) {
                sp--;
                st[sp - 1] = (st[sp - 1] * st[sp]) % 1000003;
            } else if (op == DUP) {
                st[sp] = st[sp - 1];
                sp++;
            } else if (op == ACC) {
                st[0] += st[--sp];
            } else if (op == DEC) {
                st[sp - 1]--;
            } else if (op == JNZ) {
                int target = prog[pc++];
                if (st[--sp]) {
                    pc = target;
                }
            } else if (op == DROP) {
                sp--;
            } else {
                break;
            }
        }
        total += st[0] + round;
    }
    return total;
}

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    if (scale < 1 || scale > 1000) {
        fprintf(stderr, "cpu-work: SCALE must be 1..1000\n");
        return 2;
    }
    uint64_t h = work_hash(scale);
    uint64_t s = work_sort(scale);
    double f = work_float(scale);
    uint64_t m = work_memory(scale);
    int64_t i = work_interp(scale);
    printf("cpu-work %d: hash=%016llx sort=%016llx float=%.9f mem=%llu "
           "interp=%lld\n",
           scale, (unsigned long long)h, (unsigned long long)s, f,
           (unsigned long long)m, (long long)i);
    return 0;
}
