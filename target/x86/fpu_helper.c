/*
 * x87 helper: runs one guest x87 instruction on the host FPU through a
 * thunk "frstor (%rsi); <insn>; fnsave (%rsi); pushfq; pop %rax" with the
 * guest's registers, control and status words in an FNSAVE image, so
 * that every result (80-bit arithmetic, transcendentals, rounding and
 * precision control, FSW flags) is the native one.  Memory operands are
 * moved through a local buffer addressed by %rdi, with cpu_ld/st so that
 * faults restore the guest state.
 */
#include <string.h>

#include "accel/tcg/cpu-ldst.h"
#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#ifdef CONFIG_SOFTMMU
#include "target/x86/sys-internal.h"
#include "util/log.h"
#endif

typedef uint64_t (*X87Fn)(void *mem, void *image, uint64_t eflags);

/* Full 2-bit tag of a non-empty register (SDM vol. 1 8.1.7). */
static unsigned x87_tag(const FPReg *r)
{
    unsigned exp = r->sexp & 0x7fff;

    if (exp == 0x7fff) {
        return 2;
    }
    if (exp == 0) {
        return r->mant == 0 ? 1 : 2;
    }
    return (r->mant >> 63) ? 0 : 2;
}

static void x87_to_image(CPUX86State *env, uint8_t *img)
{
    uint16_t ftw = 0;
    int i;

    memset(img, 0, 108);
    *(uint16_t *)(img + 0) = env->fpuc;
    *(uint16_t *)(img + 4) = cpu_get_fsw(env);
    for (i = 0; i < 8; i++) {
        unsigned t = env->fptags[i] ? 3 : x87_tag(&env->fpregs[i]);
        ftw |= t << (2 * i);
    }
    *(uint16_t *)(img + 8) = ftw;
    for (i = 0; i < 8; i++) {
        FPReg *r = &env->fpregs[(env->fpstt + i) & 7];
        memcpy(img + 28 + i * 10, &r->mant, 8);
        memcpy(img + 36 + i * 10, &r->sexp, 2);
    }
}

static void x87_from_image(CPUX86State *env, const uint8_t *img)
{
    uint16_t ftw;
    int i;

    env->fpuc = *(const uint16_t *)(img + 0);
    cpu_set_fsw(env, *(const uint16_t *)(img + 4));
    ftw = *(const uint16_t *)(img + 8);
    for (i = 0; i < 8; i++) {
        env->fptags[i] = ((ftw >> (2 * i)) & 3) == 3;
    }
    for (i = 0; i < 8; i++) {
        FPReg *r = &env->fpregs[(env->fpstt + i) & 7];
        memcpy(&r->mant, img + 28 + i * 10, 8);
        memcpy(&r->sexp, img + 36 + i * 10, 2);
    }
}

#ifdef CONFIG_SOFTMMU
/*
 * A waiting x87 insn with an unmasked exception pending (FSW flags not
 * masked in FCW; the host CPU uses the same test, not FSW.ES).  With
 * CR0.NE, #MF before the insn does anything (SDM vol. 1 8.7, vol. 3A
 * 6.15 interrupt 16).  Without it a PC signals FERR# on IRQ 13, which
 * the board does not wire: the exception is ignored as with IGNNE#
 * (docs/quirks.md), the insn runs with the pending flags masked on the
 * host.  Returns the FCW bits so hidden in img.
 */
static uint16_t x87_pending(CPUX86State *env, uint8_t *img, uintptr_t ra)
{
    uint16_t pend = env->fpus & ~env->fpuc & 0x3f;

    if (env->cr[0] & CR0_NE_MASK) {
        x86_raise_exception_ra(env, EXCP10_COPR, ra);
    }
    qemu_log_mask(LOG_UNIMP,
                  "x87: unmasked exception with CR0.NE=0 (FERR#/IRQ 13 "
                  "not wired): ignored\n");
    *(uint16_t *)img |= pend;
    return pend;
}

/*
 * After an insn run with the pending flags hidden: the guest's FCW back
 * unless the insn loaded one (FLDCW, FLDENV, FRSTOR), ES and B from what
 * is unmasked now.
 */
static void x87_unhide(uint8_t *img, uint16_t hidden)
{
    uint16_t cw = *(uint16_t *)img, sw = *(uint16_t *)(img + 4);

    if ((cw & hidden) == hidden) {
        cw &= ~hidden;
        *(uint16_t *)img = cw;
    }
    sw &= ~0x8080;
    if (sw & ~cw & 0x3f) {
        sw |= 0x8080;
    }
    *(uint16_t *)(img + 4) = sw;
}
#endif

void helper_x87(CPUX86State *env, void *fn, uint64_t addr, uint32_t desc)
{
    uint8_t mem[112] __attribute__((aligned(16)));
    uint8_t img[112] __attribute__((aligned(16)));
    unsigned size = desc & 0xff, i;
    uint64_t eflags = 0x2, f;
    uintptr_t ra = GETPC();
#ifdef CONFIG_SOFTMMU
    uint16_t hidden = 0;
#endif

    memset(mem, 0, sizeof(mem));
    if (desc & X87_LOAD) {
        for (i = 0; i < size; i++) {
            mem[i] = cpu_ldub_data_ra(env, addr + i, ra);
        }
    }
    if (desc & X87_GETFLAGS) {
        eflags |= cpu_compute_eflags(env) & CC_ALL;
    }
    x87_to_image(env, img);
#ifdef CONFIG_SOFTMMU
    if (!(desc & X87_NOWAIT) && (env->fpus & ~env->fpuc & 0x3f)) {
        hidden = x87_pending(env, img, ra);
    }
#endif
    /* an unmasked exception the host takes in the thunk is the guest's */
    helper_retaddr = ra;
    f = ((X87Fn)fn)(mem, img, eflags);
    helper_retaddr = 0;
#ifdef CONFIG_SOFTMMU
    if (hidden) {
        x87_unhide(img, hidden);
    }
#endif
    x87_from_image(env, img);
    if (desc & X87_STORE) {
        for (i = 0; i < size; i++) {
            cpu_stb_data_ra(env, addr + i, mem[i], ra);
        }
    }
    if (desc & X87_SETFLAGS) {
        env->cc_src = f & (CC_Z | CC_P | CC_C);
        env->cc_op = CC_OP_EFLAGS;
    }
}
DEF_HELPER_INFO(x87, 0, HI_VOID, 4, HI_PTR, HI_PTR, HI_I64, HI_I32);
