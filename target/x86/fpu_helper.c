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

void helper_x87(CPUX86State *env, void *fn, uint64_t addr, uint32_t desc)
{
    uint8_t mem[112] __attribute__((aligned(16)));
    uint8_t img[112] __attribute__((aligned(16)));
    unsigned size = desc & 0xff, i;
    uint64_t eflags = 0x2, f;
    uintptr_t ra = GETPC();

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
    f = ((X87Fn)fn)(mem, img, eflags);
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
