/* BMI1/BMI2 (VEX-encoded): ANDN BEXTR BLSI BLSMSK BLSR BZHI MULX PDEP
 * PEXT RORX SARX SHLX SHRX, with their flags, 32- and 64-bit. */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t rorx64(uint64_t a)
{
    uint64_t r;
    __asm__("rorxq $13, %1, %0" : "=r"(r) : "r"(a));
    return r;
}

static uint32_t rorx32(uint32_t a)
{
    uint32_t r;
    __asm__("rorxl $7, %1, %0" : "=r"(r) : "r"(a));
    return r;
}

static const uint64_t vals[] = {
    0,
    1,
    0x80,
    0xff00,
    0x12345678,
    0x80000000,
    0xffffffff,
    0x8000000000000000ULL,
    0xffffffffffffffffULL,
    0x0123456789abcdefULL,
    0xf0f0f0f00f0f0f0fULL,
    0x4000000000000001ULL,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

int main(void)
{
    unsigned i, j;

    for (i = 0; i < NV; i++) {
        uint64_t a = vals[i], r;
        uint32_t a32 = (uint32_t)a, r32;
        unsigned long f;
        __asm__("blsrq %2, %0\n\tpushfq\n\tpopq %1"
                : "=r"(r), "=r"(f)
                : "r"(a)
                : "cc");
        printf("%llx blsr %llx %03lx", (unsigned long long)a,
               (unsigned long long)r, f & 0x8c5);
        __asm__("blsmskl %2, %0\n\tpushfq\n\tpopq %1"
                : "=r"(r32), "=r"(f)
                : "r"(a32)
                : "cc");
        printf(" blsmsk32 %x %03lx", r32, f & 0x8c5);
        __asm__("blsiq %2, %0\n\tpushfq\n\tpopq %1"
                : "=r"(r), "=r"(f)
                : "r"(a)
                : "cc");
        printf(" blsi %llx %03lx\n", (unsigned long long)r, f & 0x8c5);
        printf("  rorx %llx %x tz %llu\n", (unsigned long long)rorx64(a),
               rorx32(a32), (unsigned long long)_tzcnt_u64(a));
        for (j = 0; j < NV; j++) {
            uint64_t b = vals[j];
            unsigned long long hi;
            __asm__("andnq %3, %2, %0\n\tpushfq\n\tpopq %1"
                    : "=r"(r), "=r"(f)
                    : "r"(a), "r"(b)
                    : "cc");
            printf("  andn %llx %03lx", (unsigned long long)r, f & 0x8c5);
            __asm__("bextrq %3, %2, %0\n\tpushfq\n\tpopq %1"
                    : "=r"(r), "=r"(f)
                    : "r"(a), "r"(b & 0xffff)
                    : "cc");
            printf(" bextr %llx %03lx", (unsigned long long)r, f & 0x841);
            __asm__("bzhiq %3, %2, %0\n\tpushfq\n\tpopq %1"
                    : "=r"(r), "=r"(f)
                    : "r"(a), "r"(b & 0xff)
                    : "cc");
            printf(" bzhi %llx %03lx", (unsigned long long)r, f & 0x8c5);
            printf(" pdep %llx pext %llx pdep32 %x",
                   (unsigned long long)_pdep_u64(a, b),
                   (unsigned long long)_pext_u64(a, b),
                   _pdep_u32(a32, (uint32_t)b));
            r = _mulx_u64(a, b, &hi);
            printf(" mulx %llx:%llx", hi, (unsigned long long)r);
            printf(" shlx %llx sarx %llx shrx %x\n",
                   (unsigned long long)(a << (b & 63)),
                   (unsigned long long)((int64_t)a >> (b & 63)),
                   a32 >> (b & 31));
        }
    }
    return 0;
}
