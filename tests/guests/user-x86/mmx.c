/* MMX: packed integer ops on mm registers, moves to/from GPRs, memory
 * and XMM, shifts, SSSE3 forms, and the x87 state MMX leaves (tags,
 * TOP, exponent all ones) until EMMS. */
#include <mmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tmmintrin.h>
#include <xmmintrin.h>

static void p(const char *n, __m64 v)
{
    uint64_t q;
    memcpy(&q, &v, 8);
    printf("%-10s %016llx\n", n, (unsigned long long)q);
}

int main(void)
{
    __m64 a = _mm_set_pi32(0x80000001, 0x7fff1234);
    __m64 b = _mm_set_pi16(-3, 0x7fff, 5, -32768);
    unsigned char env[108];
    p("paddb", _mm_add_pi8(a, b));
    p("paddsw", _mm_adds_pi16(a, b));
    p("psubusb", _mm_subs_pu8(a, b));
    p("pmullw", _mm_mullo_pi16(a, b));
    p("pmulhw", _mm_mulhi_pi16(a, b));
    p("pmaddwd", _mm_madd_pi16(a, b));
    p("pcmpgtw", _mm_cmpgt_pi16(a, b));
    p("pcmpeqb", _mm_cmpeq_pi8(a, a));
    p("packsswb", _mm_packs_pi16(a, b));
    p("packuswb", _mm_packs_pu16(a, b));
    p("punpckl", _mm_unpacklo_pi8(a, b));
    p("punpckh", _mm_unpackhi_pi32(a, b));
    p("pand", _mm_and_si64(a, b));
    p("pandn", _mm_andnot_si64(a, b));
    p("pxor", _mm_xor_si64(a, b));
    p("psllw", _mm_slli_pi16(a, 3));
    p("psrad", _mm_srai_pi32(a, 7));
    p("psrlq", _mm_srli_si64(a, 12));
    p("psllq-r", _mm_sll_si64(a, _mm_cvtsi32_si64(9)));
    p("pshufw", _mm_shuffle_pi16(a, 0x1b));
    p("pavgb", _mm_avg_pu8(a, b));
    p("pminub", _mm_min_pu8(a, b));
    p("psadbw", _mm_sad_pu8(a, b));
    p("pshufb", _mm_shuffle_pi8(a, _mm_set_pi8(7, 0x80, 5, 4, 3, 2, 1, 0)));
    p("palignr", _mm_alignr_pi8(a, b, 3));
    p("pabsw", _mm_abs_pi16(b));
    p("phaddd", _mm_hadd_pi32(a, b));
    printf("pmovmskb %x pextrw %d movd %d\n", _mm_movemask_pi8(a),
           _mm_extract_pi16(b, 2), _mm_cvtsi64_si32(a));
    p("pinsrw", _mm_insert_pi16(a, 0x4242, 1));
    {
        static char buf[16] = "abcdefghijklmno";
        _mm_maskmove_si64(_mm_set_pi32(0x41424344, 0x45464748),
                          _mm_set_pi32(0x80008000, 0x00800080), buf + 2);
        printf("maskmovq %s\n", buf);
    }
    {
        __m128i x = _mm_movpi64_epi64(a);
        uint64_t q[2];
        memcpy(q, &x, 16);
        printf("movq2dq %llx %llx\n", (unsigned long long)q[1],
               (unsigned long long)q[0]);
    }
    {
        __m128 f = _mm_cvtpi32_ps(_mm_set_ps(9, 8, 7, 6), a);
        __m128d g = _mm_cvtpi32_pd(b);
        uint64_t q[2];
        memcpy(q, &f, 16);
        printf("cvtpi2ps %llx %llx\n", (unsigned long long)q[1],
               (unsigned long long)q[0]);
        memcpy(q, &g, 16);
        printf("cvtpi2pd %llx %llx\n", (unsigned long long)q[1],
               (unsigned long long)q[0]);
        p("cvtps2pi", _mm_cvtps_pi32(_mm_set_ps(1.5f, -2.5f, 3.5f, -7.5f)));
        p("cvttps2pi", _mm_cvttps_pi32(_mm_set_ps(1.5f, -2.5f, 3.7f, -7.5f)));
        p("cvtpd2pi", _mm_cvtpd_pi32(_mm_set_pd(1e10, -2.5)));
        p("cvttpd2pi", _mm_cvttpd_pi32(_mm_set_pd(2.9, -2.9)));
        /* the MMX-register forms themselves (compilers avoid them) */
        __m128 x = _mm_set_ps(9, 8, 7, 6);
        __m128d y = _mm_set_pd(-1e3, 77.7);
        __m64 r1, r2;
        __asm__("cvtpi2ps %1, %0" : "+x"(x) : "y"(a));
        __asm__("cvtpi2pd %1, %0" : "=x"(y) : "y"(b));
        __asm__("cvtps2pi %1, %0" : "=y"(r1) : "x"(x));
        __asm__("cvttpd2pi %1, %0" : "=y"(r2) : "x"(y));
        memcpy(q, &x, 16);
        printf("asm cvtpi2ps %llx %llx\n", (unsigned long long)q[1],
               (unsigned long long)q[0]);
        p("asm cvtps2pi", r1);
        p("asm cvttpd2pi", r2);
    }
    /* x87 view while MMX is active: FNSAVE shows tags and registers */
    __asm__ volatile("movq %1, %%mm3\n\tfnsave %0\n\tfrstor %0"
                     : "=m"(env)
                     : "m"(b));
    printf("fsw %02x%02x ftw %02x%02x st3 ", env[5], env[4], env[9], env[8]);
    for (int i = 0; i < 10; i++) {
        printf("%02x", env[28 + 3 * 10 + i]);
    }
    printf("\n");
    _mm_empty();
    __asm__ volatile("fnsave %0\n\tfrstor %0" : "=m"(env));
    printf("after emms ftw %02x%02x\n", env[9], env[8]);
    return 0;
}
