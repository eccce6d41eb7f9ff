/*
 * SSE helpers: run the guest's SSE instruction on the host through a
 * thunk (host-thunk.h) with the guest's MXCSR, so results and flags are
 * the native ones.  d and s point at XMM registers in env (s may be
 * env->xmm_t0 holding a memory operand).
 */
#include <immintrin.h>
#include <string.h>

#include "accel/tcg/cpu-exec.h"
#include "accel/tcg/cpu-ldst.h"
#include "target/x86/cpu.h"
#include "target/x86/helper.h"

typedef __m128i (*SSEFn)(__m128i d, __m128i s);
typedef __m128i (*SSEFn3)(__m128i d, __m128i s, __m128i m);
typedef uint64_t (*SSEToGpr)(__m128i d, __m128i s);
typedef __m128i (*SSEFromGpr)(__m128i d, uint64_t v);
typedef struct Pair {
    uint64_t a, d;
} Pair;
typedef Pair (*SSEStri)(__m128i d, __m128i s, uint64_t rax, uint64_t rdx);
typedef __m128i (*SSEStrm)(__m128i d, __m128i s, uint64_t *flags, uint64_t rax,
                           uint64_t rdx);

/*
 * MXCSR: the host thread's MXCSR holds the guest's rounding control and
 * exception masks while guest code runs (guest threads are host
 * threads), loaded when the guest writes MXCSR (LDMXCSR, FXRSTOR, XRSTOR,
 * sigreturn).  So the SSE helpers switch nothing.  Exception flags: the
 * guest's are in env->mxcsr; the emulator's own code can raise flags in
 * the host MXCSR too (glib's hash tables use doubles), so before an
 * operation any host flag the guest does not have is cleared, and after
 * it the host flags are merged into env->mxcsr.  The LDMXCSR that the
 * clearing needs is rare: normally host flags stay a subset of the
 * guest's.
 */
static inline void mxcsr_enter(CPUX86State *env)
{
    unsigned c = _mm_getcsr();

    if (c & 0x3f & ~env->mxcsr) {
        _mm_setcsr((c & ~0x3fu) | (env->mxcsr & 0x3f));
    }
}

static inline void mxcsr_merge(CPUX86State *env)
{
    env->mxcsr |= _mm_getcsr() & 0x3f;
}

void x86_mxcsr_from_host(CPUX86State *env)
{
    mxcsr_merge(env);
}

void x86_mxcsr_to_host(CPUX86State *env)
{
    _mm_setcsr(env->mxcsr & 0xffff);
}

static inline __m128i ld128(const void *p)
{
    return _mm_loadu_si128((const __m128i *)p);
}

static inline void st128(void *p, __m128i v)
{
    _mm_storeu_si128((__m128i *)p, v);
}

/*
 * The helpers whose insn can raise a SIMD exception are TCG_CALL_NO_WG,
 * not NO_RWG: an unmasked one leaves through a host fault in the thunk
 * (linux-user/signal.c, sys-fpexc.c) at helper_retaddr, with the guest's
 * registers taken from env.
 */
void helper_sse_call(CPUX86State *env, void *fn, void *d, void *s)
{
    helper_retaddr = GETPC(); /* an unmasked SIMD exception is the guest's */
    mxcsr_enter(env);
    st128(d, ((SSEFn)fn)(ld128(d), ld128(s)));
    helper_retaddr = 0;
    mxcsr_merge(env);
}
DEF_HELPER_INFO(sse_call, TCG_CALL_NO_WG, HI_VOID, 4, HI_PTR, HI_PTR, HI_PTR,
                HI_PTR);

/* Scalar SS/SD arithmetic on the low 64 bits of both operands. */
uint64_t helper_sse_scalar(CPUX86State *env, void *fn, uint64_t d, uint64_t s)
{
    __m128i r;

    helper_retaddr = GETPC();
    mxcsr_enter(env);
    r = ((SSEFn)fn)(_mm_cvtsi64_si128(d), _mm_cvtsi64_si128(s));
    helper_retaddr = 0;
    mxcsr_merge(env);
    return _mm_cvtsi128_si64(r);
}
DEF_HELPER_INFO(sse_scalar, TCG_CALL_NO_WG, HI_I64, 4, HI_PTR, HI_PTR, HI_I64,
                HI_I64);

/* The same for a source of at most 8 bytes (scalar and narrow forms). */
void helper_sse_call_s64(CPUX86State *env, void *fn, void *d, void *s)
{
    helper_retaddr = GETPC();
    mxcsr_enter(env);
    st128(d, ((SSEFn)fn)(ld128(d), _mm_loadl_epi64((const __m128i *)s)));
    helper_retaddr = 0;
    mxcsr_merge(env);
}
DEF_HELPER_INFO(sse_call_s64, TCG_CALL_NO_WG, HI_VOID, 4, HI_PTR, HI_PTR,
                HI_PTR, HI_PTR);

void helper_sse_blendv(CPUX86State *env, void *fn, void *d, void *s)
{
    __m128i r = ((SSEFn3)fn)(ld128(d), ld128(s), ld128(&env->xmm[0]));
    st128(d, r);
}
DEF_HELPER_INFO(sse_blendv, TCG_CALL_NO_RWG, HI_VOID, 4, HI_PTR, HI_PTR, HI_PTR,
                HI_PTR);

uint64_t helper_sse_to_gpr(CPUX86State *env, void *fn, void *s)
{
    helper_retaddr = GETPC(); /* CVT(T)SD2SI: IE, PE */
    mxcsr_enter(env);
    uint64_t r = ((SSEToGpr)fn)(_mm_setzero_si128(), ld128(s));
    helper_retaddr = 0;
    mxcsr_merge(env);
    return r;
}
DEF_HELPER_INFO(sse_to_gpr, TCG_CALL_NO_WG, HI_I64, 3, HI_PTR, HI_PTR, HI_PTR);

void helper_sse_from_gpr(CPUX86State *env, void *fn, void *d, uint64_t v)
{
    helper_retaddr = GETPC(); /* CVTSI2SS/SD: PE */
    mxcsr_enter(env);
    __m128i r = ((SSEFromGpr)fn)(ld128(d), v);
    helper_retaddr = 0;
    mxcsr_merge(env);
    st128(d, r);
}
DEF_HELPER_INFO(sse_from_gpr, TCG_CALL_NO_WG, HI_VOID, 4, HI_PTR, HI_PTR,
                HI_PTR, HI_I64);

/*
 * COMIS/UCOMIS/PTEST: the thunk returns the host RFLAGS; the helper
 * returns the arithmetic flags and the translator makes them the lazy
 * CC_OP_EFLAGS state (so no TCG global is touched here).
 */
uint64_t helper_sse_flags(CPUX86State *env, void *fn, void *d, void *s)
{
    helper_retaddr = GETPC(); /* COMIS/UCOMIS: IE, DE */
    mxcsr_enter(env);
    uint64_t f = ((SSEToGpr)fn)(ld128(d), ld128(s));
    helper_retaddr = 0;
    mxcsr_merge(env);
    return f & CC_ALL;
}
DEF_HELPER_INFO(sse_flags, TCG_CALL_NO_WG, HI_I64, 4, HI_PTR, HI_PTR, HI_PTR,
                HI_PTR);

/* PCMPESTRI/ISTRI (ECX) and PCMPESTRM/ISTRM (XMM0), with flags. */
void helper_sse_pcmpstr(CPUX86State *env, void *fn, void *d, void *s,
                        uint32_t mask_form)
{
    uint64_t flags;

    if (mask_form) {
        __m128i r = ((SSEStrm)fn)(ld128(d), ld128(s), &flags, env->regs[R_EAX],
                                  env->regs[R_EDX]);
        st128(&env->xmm[0], r);
    } else {
        Pair p = ((SSEStri)fn)(ld128(d), ld128(s), env->regs[R_EAX],
                               env->regs[R_EDX]);
        env->regs[R_ECX] = (uint32_t)p.a;
        flags = p.d;
    }
    env->cc_src = flags & CC_ALL;
    env->cc_op = CC_OP_EFLAGS;
}
DEF_HELPER_INFO(sse_pcmpstr, 0, HI_VOID, 5, HI_PTR, HI_PTR, HI_PTR, HI_PTR,
                HI_I32);

/* MMX: d and s are 8-byte registers (FPReg.mant) or xmm_t0. */
static void mmx_enter(CPUX86State *env)
{
    env->fpstt = 0;
    memset(env->fptags, 0, sizeof(env->fptags));
}

void helper_mmx_call(CPUX86State *env, void *fn, void *d, void *s)
{
    __m128i r = ((SSEFn)fn)(_mm_loadl_epi64(d), _mm_loadl_epi64(s));
    _mm_storel_epi64(d, r);
    ((FPReg *)d)->sexp = 0xffff;
    mmx_enter(env);
}
DEF_HELPER_INFO(mmx_call, TCG_CALL_NO_RWG, HI_VOID, 4, HI_PTR, HI_PTR, HI_PTR,
                HI_PTR);

/* MMX destination, 16-byte XMM source (CVTPD2PI and friends). */
void helper_mmx_call_x(CPUX86State *env, void *fn, void *d, void *s)
{
    helper_retaddr = GETPC(); /* CVT(T)PS/PD2PI: IE, PE */
    mxcsr_enter(env);
    __m128i r = ((SSEFn)fn)(_mm_loadl_epi64(d), ld128(s));
    helper_retaddr = 0;
    mxcsr_merge(env);
    _mm_storel_epi64(d, r);
    ((FPReg *)d)->sexp = 0xffff;
    mmx_enter(env);
}
DEF_HELPER_INFO(mmx_call_x, TCG_CALL_NO_WG, HI_VOID, 4, HI_PTR, HI_PTR, HI_PTR,
                HI_PTR);

void helper_mmx_from_gpr(CPUX86State *env, void *fn, void *d, uint64_t v)
{
    __m128i r = ((SSEFromGpr)fn)(_mm_loadl_epi64(d), v);
    _mm_storel_epi64(d, r);
    ((FPReg *)d)->sexp = 0xffff;
    mmx_enter(env);
}
DEF_HELPER_INFO(mmx_from_gpr, TCG_CALL_NO_RWG, HI_VOID, 4, HI_PTR, HI_PTR,
                HI_PTR, HI_I64);

uint64_t helper_mmx_to_gpr(CPUX86State *env, void *fn, void *s)
{
    mmx_enter(env);
    return ((SSEToGpr)fn)(_mm_setzero_si128(), _mm_loadl_epi64(s));
}
DEF_HELPER_INFO(mmx_to_gpr, TCG_CALL_NO_RWG, HI_I64, 3, HI_PTR, HI_PTR, HI_PTR);

/* MASKMOVQ/MASKMOVDQU: store the bytes whose mask byte has bit 7 set. */
void helper_maskmov(CPUX86State *env, void *data, void *mask, uint64_t addr,
                    uint32_t len)
{
    const uint8_t *d = data, *m = mask;
    uint32_t i;

    for (i = 0; i < len; i++) {
        if (m[i] & 0x80) {
            cpu_stb_data_ra(env, addr + i, d[i], GETPC());
        }
    }
}
DEF_HELPER_INFO(maskmov, 0, HI_VOID, 5, HI_PTR, HI_PTR, HI_PTR, HI_I64, HI_I32);

void helper_ldmxcsr(CPUX86State *env, uint32_t val)
{
    env->mxcsr = val & 0xffff;
    x86_mxcsr_to_host(env);
}
DEF_HELPER_INFO(ldmxcsr, TCG_CALL_NO_RWG, HI_VOID, 2, HI_PTR, HI_I32);

uint32_t helper_stmxcsr(CPUX86State *env)
{
    return env->mxcsr;
}
DEF_HELPER_INFO(stmxcsr, TCG_CALL_NO_RWG, HI_I32, 1, HI_PTR);
