/* SSE..SSE4.2, PCLMULQDQ, AES-NI: conversions under every rounding
 * mode, NaN and infinity cases, min/max operand order, packed integer
 * ops, shuffles, string compares, CRC, carry-less multiply and AES
 * rounds.  Printed as raw bits. */
#include <fenv.h>
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xmmintrin.h>

static void px(const char *n, __m128i v)
{
    uint64_t q[2];
    memcpy(q, &v, 16);
    printf("%-12s %016llx%016llx\n", n, (unsigned long long)q[1],
           (unsigned long long)q[0]);
}
#define PD(n, v) px(n, _mm_castpd_si128(v))
#define PS(n, v) px(n, _mm_castps_si128(v))

int main(void)
{
    static const double dv[] = {0.0,    -0.0,    1.5,          -2.5,
                                1e308,  -1e-310, 2147483647.5, -2147483648.5,
                                9.3e18, 0.1};
    const double qnan = __builtin_nan("0x1234"), snan = __builtin_nans("0x5");
    static const unsigned mx[] = {0x0000, 0x2000, 0x4000, 0x6000};
    unsigned i, j, m;
    unsigned csr = _mm_getcsr();

    for (m = 0; m < 4; m++) {
        _mm_setcsr((csr & ~0x6000u) | mx[m]);
        for (i = 0; i < sizeof(dv) / sizeof(dv[0]); i++) {
            __m128d d = _mm_set_sd(dv[i]);
            printf("m%u %a: cvtsd2si %d cvttsd2si %d cvtsd2si64 %lld "
                   "cvtsd2ss %a\n",
                   m, dv[i], _mm_cvtsd_si32(d), _mm_cvttsd_si32(d),
                   (long long)_mm_cvtsd_si64(d),
                   (double)_mm_cvtss_f32(_mm_cvtsd_ss(_mm_setzero_ps(), d)));
            PD("sqrt", _mm_sqrt_pd(_mm_set_pd(dv[i], -dv[i])));
            PS("cvtpd2ps", _mm_cvtpd_ps(_mm_set_pd(dv[i], dv[i] / 3)));
            px("cvtpd2dq", _mm_cvtpd_epi32(_mm_set_pd(dv[i], dv[i] / 7)));
            PD("round", _mm_round_pd(_mm_set_pd(dv[i], dv[i] * 3.3), 4));
            PS("cvtdq2ps", _mm_cvtepi32_ps(_mm_set1_epi32(0x7fffffc1 - i)));
        }
        printf("mxcsr flags %x\n", _mm_getcsr() & 0x3f);
    }
    _mm_setcsr(csr);
    {
        __m128d a = _mm_set_pd(qnan, 1.0), b = _mm_set_pd(2.0, snan);
        PD("add-nan", _mm_add_pd(a, b));
        PD("add-nan2", _mm_add_pd(b, a));
        PD("min", _mm_min_pd(a, b));
        PD("max", _mm_max_pd(b, a));
        PD("mul-inf0", _mm_mul_pd(_mm_set1_pd(INFINITY), _mm_set1_pd(0.0)));
        for (j = 0; j < 8; j++) {
            __m128d c;
            switch (j) {
            case 0:
                c = _mm_cmpeq_pd(a, b);
                break;
            case 1:
                c = _mm_cmplt_pd(a, b);
                break;
            case 2:
                c = _mm_cmple_pd(a, b);
                break;
            case 3:
                c = _mm_cmpunord_pd(a, b);
                break;
            case 4:
                c = _mm_cmpneq_pd(a, b);
                break;
            case 5:
                c = _mm_cmpnlt_pd(a, b);
                break;
            case 6:
                c = _mm_cmpnle_pd(a, b);
                break;
            default:
                c = _mm_cmpord_pd(a, b);
                break;
            }
            PD("cmp", c);
        }
        printf("comisd %d %d ucomisd %d %d\n", _mm_comilt_sd(a, b),
               _mm_comieq_sd(b, b), _mm_ucomige_sd(a, b),
               _mm_ucomineq_sd(a, a));
        printf("mxcsr flags %x\n", _mm_getcsr() & 0x3f);
    }
    {
        __m128i a = _mm_set_epi32(0x80000000, 0x7fffffff, 0x12345678, -5);
        __m128i b = _mm_set_epi32(3, -3, 0x0f0f0f0f, 0x10203040);
        __m128i c = _mm_set_epi8(15, 0x80, 13, 12, 0x8b, 10, 9, 8, 7, 6, 5, 4,
                                 3, 2, 1, 0);
        px("paddsw", _mm_adds_epi16(a, b));
        px("psubusb", _mm_subs_epu8(a, b));
        px("pmulhw", _mm_mulhi_epi16(a, b));
        px("pmuludq", _mm_mul_epu32(a, b));
        px("pmaddwd", _mm_madd_epi16(a, b));
        px("psadbw", _mm_sad_epu8(a, b));
        px("packsswb", _mm_packs_epi16(a, b));
        px("packuswb", _mm_packus_epi16(a, b));
        px("packusdw", _mm_packus_epi32(a, b));
        px("punpckl", _mm_unpacklo_epi8(a, b));
        px("punpckh", _mm_unpackhi_epi64(a, b));
        px("pshufd", _mm_shuffle_epi32(a, 0x1b));
        px("pshufhw", _mm_shufflehi_epi16(a, 0x4e));
        px("pshufb", _mm_shuffle_epi8(a, c));
        px("palignr", _mm_alignr_epi8(a, b, 5));
        px("pslldq", _mm_slli_si128(a, 3));
        px("psrlq", _mm_srli_epi64(a, 13));
        px("psraw", _mm_srai_epi16(a, 3));
        px("psllw-x", _mm_sll_epi16(a, _mm_cvtsi32_si128(4)));
        px("pminsd", _mm_min_epi32(a, b));
        px("pmaxub", _mm_max_epu8(a, b));
        px("pcmpgtq", _mm_cmpgt_epi64(a, b));
        px("pcmpeqb", _mm_cmpeq_epi8(a, a));
        px("pmulld", _mm_mullo_epi32(a, b));
        px("pmuldq", _mm_mul_epi32(a, b));
        px("phaddw", _mm_hadd_epi16(a, b));
        px("pabsd", _mm_abs_epi32(a));
        px("psignb", _mm_sign_epi8(a, b));
        px("pmovsxbw", _mm_cvtepi8_epi16(a));
        px("pmovzxwq", _mm_cvtepu16_epi64(b));
        px("pblendw", _mm_blend_epi16(a, b, 0x5a));
        px("pblendvb", _mm_blendv_epi8(a, b, c));
        px("mpsadbw", _mm_mpsadbw_epu8(a, b, 5));
        px("phminpos", _mm_minpos_epu16(b));
        printf("pmovmskb %x movmskps %x ptest %d %d extract %d %lld %d\n",
               _mm_movemask_epi8(a), _mm_movemask_ps(_mm_castsi128_ps(a)),
               _mm_testz_si128(a, b), _mm_testc_si128(a, a),
               _mm_extract_epi8(a, 13), (long long)_mm_extract_epi64(a, 1),
               _mm_extract_epi16(b, 5));
        px("pinsr", _mm_insert_epi64(_mm_insert_epi8(a, 0x77, 9), 42, 0));
        PS("insertps",
           _mm_insert_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), 0x5c));
        PS("dpps",
           _mm_dp_ps(_mm_set_ps(1, 2, 3, 4), _mm_set_ps(5, 6, 7, 8), 0xf3));
        PS("shufps",
           _mm_shuffle_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), 0xb1));
        PS("haddps", _mm_hadd_ps(_mm_set_ps(1, 2, 3, 4),
                                 _mm_set_ps(0.5f, 1e30f, -1e30f, 3)));
        PS("rcp", _mm_rcp_ps(_mm_set_ps(1, 3, 7, 1e-3f)));
    }
    {
        const char *hay = "the quick brown fox jumps over";
        __m128i h = _mm_loadu_si128((const __m128i *)hay);
        __m128i n =
            _mm_setr_epi8('o', 'x', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        printf("pcmpistri %d %d %d\n", _mm_cmpistri(n, h, _SIDD_CMP_EQUAL_ANY),
               _mm_cmpistri(n, h, _SIDD_CMP_EQUAL_ORDERED),
               _mm_cmpistrc(n, h, _SIDD_CMP_EQUAL_ANY));
        printf("pcmpestri %d\n",
               _mm_cmpestri(n, 2, h, 16,
                            _SIDD_CMP_EQUAL_ANY | _SIDD_MOST_SIGNIFICANT));
        px("pcmpistrm",
           _mm_cmpistrm(n, h, _SIDD_CMP_EQUAL_ANY | _SIDD_UNIT_MASK));
        printf("crc32 %x\n", _mm_crc32_u64(0xffffffff, 0x123456789abcdefULL));
    }
    {
        __m128i a =
            _mm_set_epi64x(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
        __m128i k =
            _mm_set_epi64x(0x0f1e2d3c4b5a6978ULL, 0x8796a5b4c3d2e1f0ULL);
        px("pclmul00", _mm_clmulepi64_si128(a, k, 0x00));
        px("pclmul11", _mm_clmulepi64_si128(a, k, 0x11));
        px("aesenc", _mm_aesenc_si128(a, k));
        px("aesenclast", _mm_aesenclast_si128(a, k));
        px("aesdec", _mm_aesdec_si128(a, k));
        px("aesimc", _mm_aesimc_si128(a));
        px("keygen", _mm_aeskeygenassist_si128(a, 0x1b));
    }
    {
        /* XSAVE/XRSTOR of the SSE component, XGETBV's x87|SSE bits */
        static unsigned char area[4096] __attribute__((aligned(64)));
        __m128i pat =
            _mm_set_epi64x(0x1122334455667788ULL, 0x99aabbccddeeff00ULL);
        __m128i out;
        unsigned lo, hi;
        __asm__ volatile("movdqa %2, %%xmm1\n\t"
                         "xsave %0\n\t"
                         "pxor %%xmm1, %%xmm1\n\t"
                         "xrstor %0\n\t"
                         "movdqa %%xmm1, %1"
                         : "+m"(area), "=x"(out)
                         : "x"(pat), "a"(2), "d"(0)
                         : "xmm1", "memory");
        px("xrstor", out);
        {
            static char buf[32] = "0123456789abcdefghijklmnopqrstu";
            _mm_maskmoveu_si128(pat, _mm_set_epi32(0x80ff0000, 0x7f80, 0x80,
                                                   0x80000000),
                                buf + 3);
            printf("maskmovdqu %s\n", buf);
        }
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        printf("xgetbv x87|sse %u\n", lo & 3);
    }
    return 0;
}
