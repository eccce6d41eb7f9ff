/* BT*, BSF/BSR, LZCNT/TZCNT/POPCNT, BSWAP, MOVBE, CRC32, SHLD/SHRD,
 * CMOV/SETcc, MUL/DIV (and #DE via a handler elsewhere), CPUID bits. */
#include <stdint.h>
#include <stdio.h>
#include <nmmintrin.h>
#include <immintrin.h>

static const uint64_t vals[] = {
    0,
    1,
    0x80,
    0x8000,
    0x12345678,
    0x80000000,
    0xffffffff,
    0x100000000ULL,
    0x8000000000000000ULL,
    0xffffffffffffffffULL,
    0x0123456789abcdefULL,
    0xf0f0f0f00f0f0f0fULL,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

int main(void)
{
    unsigned i, j;
    uint32_t crc = 0;

    for (i = 0; i < NV; i++) {
        uint64_t v = vals[i], r;
        unsigned long f;
        printf("%llx: pop %d lz %llu tz %llu lz32 %u tz32 %u bswap %llx "
               "bswap32 %x\n",
               (unsigned long long)v, __builtin_popcountll(v),
               (unsigned long long)_lzcnt_u64(v),
               (unsigned long long)_tzcnt_u64(v), _lzcnt_u32((uint32_t)v),
               _tzcnt_u32((uint32_t)v),
               (unsigned long long)__builtin_bswap64(v),
               __builtin_bswap32((uint32_t)v));
        r = 0x5555;
        __asm__("bsfq %2, %0\n\tpushfq\n\tpopq %1"
                : "+r"(r), "=r"(f)
                : "r"(v)
                : "cc");
        printf("  bsf %llx zf %lu", (unsigned long long)r, (f >> 6) & 1);
        r = 0x5555;
        __asm__("bsrq %2, %0\n\tpushfq\n\tpopq %1"
                : "+r"(r), "=r"(f)
                : "r"(v)
                : "cc");
        printf(" bsr %llx zf %lu\n", (unsigned long long)r, (f >> 6) & 1);
        for (j = 0; j < 70; j += 9) {
            uint64_t x = v;
            unsigned char c;
            __asm__("btsq %2, %0\n\tsetc %1"
                    : "+r"(x), "=q"(c)
                    : "r"((uint64_t)j)
                    : "cc");
            printf("  bts %u %llx %u", j, (unsigned long long)x, c);
            x = v;
            __asm__("btrq %2, %0\n\tsetc %1"
                    : "+r"(x), "=q"(c)
                    : "r"((uint64_t)j)
                    : "cc");
            printf(" btr %llx %u", (unsigned long long)x, c);
            x = v;
            __asm__("btcq %2, %0\n\tsetc %1"
                    : "+r"(x), "=q"(c)
                    : "r"((uint64_t)j)
                    : "cc");
            printf(" btc %llx %u", (unsigned long long)x, c);
            x = v;
            uint64_t o3 = vals[(i + 3) % NV], o5 = vals[(i + 5) % NV];
            __asm__("shldq %%cl, %q2, %0" : "+r"(x) : "d"(o3), "c"(j) : "cc");
            printf(" shld %llx", (unsigned long long)x);
            x = v;
            __asm__("shrdq %%cl, %q2, %0" : "+r"(x) : "d"(o5), "c"(j) : "cc");
            printf(" shrd %llx", (unsigned long long)x);
            uint32_t y = (uint32_t)v;
            __asm__("shldl %%cl, %k2, %0"
                    : "+r"(y)
                    : "d"((uint32_t)o3), "c"(j)
                    : "cc");
            printf(" shld32 %x\n", y);
        }
        /* bt on memory with a register offset beyond the operand */
        {
            uint64_t arr[4] = {v, ~v, v ^ 0x55, 0};
            unsigned char c;
            __asm__("btsq %2, %0\n\tsetc %1"
                    : "+m"(arr), "=q"(c)
                    : "r"((uint64_t)(i * 17 % 200))
                    : "cc");
            printf("  btsmem %llx %llx %llx %llx %u\n",
                   (unsigned long long)arr[0], (unsigned long long)arr[1],
                   (unsigned long long)arr[2], (unsigned long long)arr[3], c);
        }
        crc = _mm_crc32_u64(crc, v);
        crc = _mm_crc32_u8(crc, (uint8_t)v);
        crc = _mm_crc32_u16(crc, (uint16_t)v);
        crc = _mm_crc32_u32(crc, (uint32_t)v);
        {
            uint64_t m = v;
            uint64_t be;
            __asm__("movbeq %1, %0" : "=r"(be) : "m"(m));
            printf("  movbe %llx crc %x\n", (unsigned long long)be, crc);
        }
        for (j = 0; j < NV; j++) {
            uint64_t a = v, b = vals[j] | 1;
            unsigned __int128 p = (unsigned __int128)a * vals[j];
            __int128 sp = (__int128)(int64_t)a * (int64_t)vals[j];
            printf("  mul %llx:%llx imul %llx:%llx div %llx rem %llx "
                   "idiv %lld\n",
                   (unsigned long long)(p >> 64), (unsigned long long)p,
                   (unsigned long long)(sp >> 64), (unsigned long long)sp,
                   (unsigned long long)(a / b), (unsigned long long)(a % b),
                   (long long)((int64_t)a / (int64_t)(b == ~0ULL ? 3 : b)));
        }
    }
    /* BT changes CF only: every other flag keeps the value CMP gave it */
    for (i = 0; i < NV; i++) {
        for (j = 0; j < 3; j++) {
            unsigned long f, v = vals[i];
            unsigned long a = j == 0 ? 0 : j == 1 ? 1 : ~0UL;
            __asm__("cmp $1, %2\n\tbtq %3, %1\n\tpushfq\n\tpopq %0"
                    : "=r"(f), "+r"(v)
                    : "r"(a), "r"((unsigned long)(i * 5))
                    : "cc");
            printf("bt-flags %u %u %03lx\n", i, j, f & 0x8d5);
        }
    }
    {
        unsigned a, b, c, d;
        __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
        /* the bits glibc and compilers test; the model must not lie */
        printf("sse2 %u ssse3 %u sse41 %u sse42 %u popcnt %u\n", (d >> 26) & 1,
               (c >> 9) & 1, (c >> 19) & 1, (c >> 20) & 1, (c >> 23) & 1);
    }
    return 0;
}
