/*
 * System mode: unmasked floating-point exceptions outside the guest's
 * own code paths (target/x86/sys-fpexc.c, fpu_helper.c).
 *
 * - A host SIMD exception in the emulator's own C code on a vCPU thread
 *   (the guest's unmasked MXCSR is live there) is retried masked, the
 *   vCPU is asked to leave its TB, and cpu_exec entry puts the guest's
 *   MXCSR back.
 * - A SIGFPE that is not a vCPU's goes to the handler installed before.
 * - helper_x87 with a pending unmasked exception: #MF before a waiting
 *   insn with CR0.NE, nothing for a no-wait one, and with CR0.NE clear
 *   the insn runs (the exception ignored, as with IGNNE#) with the FCW
 *   and FSW.ES/B kept.
 */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <glib.h>
#include <immintrin.h>

#include "target/x86/helper.h"
#include "target/x86/host-thunk.h"
#include "target/x86/sys-cpu.h"
#include "target/x86/sys-internal.h"
#include "x86-sys-try.h"

static X86ArchCPU acpu;
static CPUX86State *env = &acpu.env;
static CPUState *cs = &acpu.parent_obj;
static volatile int old_handler_calls;

/* The SIGFPE handler before x86_fpexc_init: masks and retries. */
static void old_handler(int sig, siginfo_t *si, void *puc)
{
    ucontext_t *uc = puc;

    old_handler_calls++;
    uc->uc_mcontext.fpregs->mxcsr |= 0x1f80;
}

static double divide(double a, double b)
{
    volatile double x = a, y = b;
    return x / y;
}

static void test_emulator_code_retried(void)
{
    double r;

    __atomic_store_n(&cs->exit_request, 0, __ATOMIC_SEQ_CST);
    current_cpu = cs;
    env->mxcsr = 0x1d80; /* the guest unmasked divide-by-zero */
    x86_mxcsr_to_host(env);
    r = divide(1.0, 0.0); /* the emulator's own division */
    g_assert_true(isinf(r));
    g_assert_cmpint(cs->exit_request, ==, 1);
    g_assert_cmphex(_mm_getcsr() & 0x1f80, ==, 0x1f80);
    g_assert_cmpint(old_handler_calls, ==, 0);
    x86_cpu_exec_enter(cs); /* the guest's MXCSR back on the host */
    g_assert_cmphex(_mm_getcsr() & 0xffc0, ==, 0x1d80);
    current_cpu = NULL;
    _mm_setcsr(0x1f80);
}

static void test_not_a_vcpu(void)
{
    double r;

    current_cpu = NULL;
    _mm_setcsr(0x1d80);
    r = divide(1.0, 0.0);
    g_assert_true(isinf(r));
    g_assert_cmpint(old_handler_calls, ==, 1);
    _mm_setcsr(0x1f80);
    old_handler_calls = 0;
}

/* "frstor (%rsi); insn; fnsave (%rsi); pushfq; pop %rax" */
static void *x87_thunk(uint8_t b, uint8_t modrm)
{
    const uint8_t code[] = {0xdd, 0x26, b, modrm, 0xdd, 0x36, 0x9c, 0x58};
    return x86_host_thunk(code, sizeof(code));
}

/* 1 / 0 with FCW.ZM clear: ZE, ES and B pending in env */
static void x87_pending_zero_divide(void)
{
    env->fpuc = 0x37b;
    env->fpus = 0;
    env->fpstt = 0;
    memset(env->fptags, 1, sizeof(env->fptags));
    helper_x87(env, x87_thunk(0xd9, 0xee), 0, 0); /* fldz */
    helper_x87(env, x87_thunk(0xd9, 0xe8), 0, 0); /* fld1 */
    helper_x87(env, x87_thunk(0xd8, 0xf1), 0, 0); /* fdiv %st(1), %st */
    g_assert_cmphex(env->fpus & 0x80ff, ==, 0x8084);
}

static void test_x87_pending(void)
{
    env->cr[0] = CR0_NE_MASK | 0x11;
    x87_pending_zero_divide();
    /* FLD1: #MF, nothing done */
    g_assert_cmpint(TRY(helper_x87(env, x87_thunk(0xd9, 0xe8), 0, 0)), ==,
                    EXCP10_COPR);
    g_assert_cmpint(env->fpstt, ==, 6);
    /* FNCLEX is a no-wait insn: runs, clears the exception */
    g_assert_cmpint(TRY(helper_x87(env, x87_thunk(0xdb, 0xe2), 0, X87_NOWAIT)),
                    ==, -1);
    g_assert_cmphex(env->fpus & 0x80ff, ==, 0);
    g_assert_cmpint(TRY(helper_x87(env, x87_thunk(0xd9, 0xe8), 0, 0)), ==, -1);
    g_assert_cmpint(env->fpstt, ==, 5);

    /* CR0.NE clear: FLD1 runs, the exception stays pending */
    env->cr[0] = 0x11;
    x87_pending_zero_divide();
    g_assert_cmpint(TRY(helper_x87(env, x87_thunk(0xd9, 0xe8), 0, 0)), ==, -1);
    g_assert_cmpint(env->fpstt, ==, 5);
    g_assert_cmphex(env->fpuc, ==, 0x37b);
    g_assert_cmphex(env->fpus & 0x80ff, ==, 0x8084);
}

int main(int argc, char **argv)
{
    struct sigaction sa;

    g_test_init(&argc, &argv, NULL);
    tcg_exec_init(0);
    cs->env_ptr = env;
    cpu_exec_init(cs, &x86_tcg_ops);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = old_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, NULL);
    x86_fpexc_init();

    g_test_add_func("/x86/fpexc/emulator-code-retried",
                    test_emulator_code_retried);
    g_test_add_func("/x86/fpexc/not-a-vcpu", test_not_a_vcpu);
    g_test_add_func("/x86/fpexc/x87-pending", test_x87_pending);
    return g_test_run();
}
