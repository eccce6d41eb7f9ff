/*
 * Integer helpers: DIV/IDIV (#DE on divide error), CPUID, RDTSC(P),
 * RCL/RCR, REP string instructions, CMPXCHG8B/16B, CRC32, PDEP/PEXT,
 * FXSAVE/FXRSTOR/XSAVE and exceptions.
 */
#include <string.h>
#include <x86intrin.h>

#include "accel/tcg/cpu-ldst.h"
#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "target/x86/sys-internal.h"
#include "util/log.h"

static inline CPUState *x86_env_cpu(CPUX86State *env)
{
    return env_cpu(env);
}

void helper_raise_exception(CPUX86State *env, uint32_t excp)
{
    CPUState *cs = x86_env_cpu(env);

    if (excp < 32) {
        /* a CPU exception: error code 0, double fault rules */
        x86_raise_exception_err_ra(env, excp, 0, 0);
    }
    cs->exception_index = excp;
    cpu_loop_exit(cs);
}
DEF_HELPER_INFO(raise_exception, 0, HI_VOID, 2, HI_PTR, HI_I32);

static void __attribute__((noreturn))
raise_exception_ra(CPUX86State *env, int excp, uintptr_t ra)
{
    x86_raise_exception_err_ra(env, excp, 0, ra);
}

void helper_unimp(CPUX86State *env, uint64_t pc, uint32_t len)
{
#ifdef CONFIG_USER_ONLY
    if (qemu_loglevel_mask(LOG_UNIMP)) {
        unsigned i;
        qemu_log("qemu-x86_64: unimplemented or undefined opcode at "
                 "0x%llx:",
                 (unsigned long long)pc);
        /* the decoded bytes, and what follows up to 15 (same page) */
        for (i = 0; i < 15; i++) {
            if (i >= len && ((pc + i) & 0xfff) == 0) {
                break;
            }
            qemu_log(" %02x", cpu_ldub_data(env, pc + i));
        }
        qemu_log("\n");
    }
    env->rip = pc;
#else
    qemu_log_mask(LOG_UNIMP,
                  "qemu-system-x86_64: unimplemented or undefined opcode "
                  "at 0x%llx (%u bytes)\n",
                  (unsigned long long)pc, len);
#endif
    helper_raise_exception(env, EXCP06_ILLOP);
}
DEF_HELPER_INFO(unimp, 0, HI_VOID, 3, HI_PTR, HI_I64, HI_I32);

void helper_div(CPUX86State *env, uint64_t src, uint32_t ot)
{
    uint64_t *ax = &env->regs[R_EAX], *dx = &env->regs[R_EDX];

    switch (ot) {
    case 0: {
        uint32_t num = *ax & 0xffff, d = src & 0xff;
        if (d == 0 || num / d > 0xff) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        *ax = (*ax & ~0xffffULL) | ((num % d) << 8) | (num / d);
        break;
    }
    case 1: {
        uint32_t num = (*ax & 0xffff) | ((*dx & 0xffff) << 16);
        uint32_t d = src & 0xffff;
        if (d == 0 || num / d > 0xffff) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        *ax = (*ax & ~0xffffULL) | (num / d);
        *dx = (*dx & ~0xffffULL) | (num % d);
        break;
    }
    case 2: {
        uint64_t num = (*ax & 0xffffffffULL) | (*dx << 32);
        uint32_t d = src;
        if (d == 0 || num / d > 0xffffffffULL) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        *ax = (uint32_t)(num / d);
        *dx = (uint32_t)(num % d);
        break;
    }
    default: {
        unsigned __int128 num = ((unsigned __int128)*dx << 64) | *ax;
        if (src == 0 || (num / src) >> 64) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        *ax = (uint64_t)(num / src);
        *dx = (uint64_t)(num % src);
        break;
    }
    }
}
DEF_HELPER_INFO(div, 0, HI_VOID, 3, HI_PTR, HI_I64, HI_I32);

void helper_idiv(CPUX86State *env, uint64_t src, uint32_t ot)
{
    uint64_t *ax = &env->regs[R_EAX], *dx = &env->regs[R_EDX];

    switch (ot) {
    case 0: {
        int32_t num = (int16_t)*ax, d = (int8_t)src, q;
        if (d == 0) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        q = num / d;
        if (q != (int8_t)q) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        *ax = (*ax & ~0xffffULL) | (((num % d) & 0xff) << 8) | (q & 0xff);
        break;
    }
    case 1: {
        int32_t num = (int32_t)((*ax & 0xffff) | ((*dx & 0xffff) << 16));
        int32_t d = (int16_t)src, q;
        if (d == 0) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        q = num / d;
        if (q != (int16_t)q) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        *ax = (*ax & ~0xffffULL) | (q & 0xffff);
        *dx = (*dx & ~0xffffULL) | ((num % d) & 0xffff);
        break;
    }
    case 2: {
        int64_t num = (int64_t)((*ax & 0xffffffffULL) | (*dx << 32));
        int64_t d = (int32_t)src, q;
        if (d == 0) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        q = num / d;
        if (q != (int32_t)q) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        *ax = (uint32_t)q;
        *dx = (uint32_t)(num % d);
        break;
    }
    default: {
        __int128 num = (__int128)(((unsigned __int128)*dx << 64) | *ax);
        int64_t d = src;
        __int128 q;
        if (d == 0) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        if (d == -1 && num == (__int128)((unsigned __int128)1 << 127)) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        q = num / d;
        if (q != (int64_t)q) {
            raise_exception_ra(env, EXCP00_DIVZ, GETPC());
        }
        *ax = (uint64_t)q;
        *dx = (uint64_t)(num % d);
        break;
    }
    }
}
DEF_HELPER_INFO(idiv, 0, HI_VOID, 3, HI_PTR, HI_I64, HI_I32);

void helper_cpuid(CPUX86State *env)
{
    uint32_t a, b, c, d;

    cpu_x86_cpuid(env, env->regs[R_EAX], env->regs[R_ECX], &a, &b, &c, &d);
    env->regs[R_EAX] = a;
    env->regs[R_EBX] = b;
    env->regs[R_ECX] = c;
    env->regs[R_EDX] = d;
}
DEF_HELPER_INFO(cpuid, 0, HI_VOID, 1, HI_PTR);

void helper_rdtsc(CPUX86State *env)
{
#ifdef CONFIG_SOFTMMU
    uint64_t t = cpu_x86_get_tsc(env);
#else
    uint64_t t = __rdtsc() + env->tsc_offset;
#endif

    env->regs[R_EAX] = (uint32_t)t;
    env->regs[R_EDX] = t >> 32;
}
DEF_HELPER_INFO(rdtsc, 0, HI_VOID, 1, HI_PTR);

void helper_rdtscp(CPUX86State *env)
{
    helper_rdtsc(env);
    env->regs[R_ECX] = env->tsc_aux;
}
DEF_HELPER_INFO(rdtscp, 0, HI_VOID, 1, HI_PTR);

/*
 * RCL/RCR through CF.  ot_right: bits 0-1 size, bit 2 = RCR.  Reads the
 * current flags, returns the result and leaves CC_OP_EFLAGS in env.
 */
uint64_t helper_rotc(CPUX86State *env, uint64_t val, uint32_t count,
                     uint32_t ot_right)
{
    unsigned ot = ot_right & 3, bits = 8 << ot;
    bool right = ot_right & 4;
    uint64_t flags = helper_cc_compute_all(env->cc_dst, env->cc_src,
                                           env->cc_src2, env->cc_op);
    uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    uint64_t cf = flags & CC_C;
    unsigned i;

    count &= ot == 3 ? 63 : 31;
    if (bits < 32) {
        count %= bits + 1;
    }
    if (count == 0) {
        env->cc_src = flags;
        env->cc_op = CC_OP_EFLAGS;
        return val;
    }
    val &= mask;
    for (i = 0; i < count; i++) {
        uint64_t nc;
        if (right) {
            nc = val & 1;
            val = (val >> 1) | (cf << (bits - 1));
        } else {
            nc = (val >> (bits - 1)) & 1;
            val = ((val << 1) | cf) & mask;
        }
        cf = nc;
    }
    flags &= ~(CC_C | CC_O);
    flags |= cf;
    if (right) {
        /* OF = XOR of the two most significant bits of the result. */
        if (((val >> (bits - 1)) ^ (val >> (bits - 2))) & 1) {
            flags |= CC_O;
        }
    } else if (((val >> (bits - 1)) & 1) ^ cf) {
        flags |= CC_O;
    }
    env->cc_src = flags;
    env->cc_op = CC_OP_EFLAGS;
    return val;
}
DEF_HELPER_INFO(rotc, 0, HI_I64, 4, HI_PTR, HI_I64, HI_I32, HI_I32);

/* ---- string instructions ------------------------------------------------ */

static inline uint64_t str_load(CPUX86State *env, uint64_t a, unsigned ot,
                                uintptr_t ra)
{
    switch (ot) {
    case 0:
        return cpu_ldub_data_ra(env, a, ra);
    case 1:
        return cpu_lduw_data_ra(env, a, ra);
    case 2:
        return cpu_ldl_data_ra(env, a, ra);
    default:
        return cpu_ldq_data_ra(env, a, ra);
    }
}

static inline void str_store(CPUX86State *env, uint64_t a, uint64_t v,
                             unsigned ot, uintptr_t ra)
{
    switch (ot) {
    case 0:
        cpu_stb_data_ra(env, a, v, ra);
        break;
    case 1:
        cpu_stw_data_ra(env, a, v, ra);
        break;
    case 2:
        cpu_stl_data_ra(env, a, v, ra);
        break;
    default:
        cpu_stq_data_ra(env, a, v, ra);
        break;
    }
}

/* A pointer register advanced by step at the address size amask. */
static inline void str_adv(uint64_t *r, int64_t step, uint64_t amask)
{
    if (amask == 0xffff) {
        *r = (*r & ~0xffffULL) | ((*r + step) & 0xffff);
    } else if (amask == 0xffffffffULL) {
        *r = (uint32_t)(*r + step);
    } else {
        *r += step;
    }
}

#ifdef CONFIG_SOFTMMU
#include "accel/tcg/cputlb.h"

/*
 * REP MOVS / REP STOS over plain RAM: up to max elements, as many as fit
 * in the current source and destination pages, at once through host
 * pointers.  Returns the number done; 0 = let the per-element loop do
 * the next element (page-crossing element, MMIO, register wrap).  A
 * fault is raised on the chunk's first element before anything is
 * written (source before destination, as the per-element loop would),
 * so the registers still describe the work left.
 */
static uint64_t str_fast(CPUX86State *env, unsigned op, unsigned ot,
                         int64_t step, uint64_t s, uint64_t d, uint64_t max,
                         uint64_t amask, uintptr_t ra)
{
    const uint64_t size = 1ULL << ot, off = TARGET_PAGE_SIZE - 1;
    uint64_t n = max;
    const uint64_t regs[2] = {env->regs[R_ESI] & amask,
                              env->regs[R_EDI] & amask};
    const uint64_t lin[2] = {s, d};
    int mmu_idx = x86_mmu_index(env);
    void *host[2] = {NULL, NULL};

    for (int i = op == STR_STOS; i < 2; i++) {
        uint64_t k;
        if (step > 0) {
            /* elements [lin, lin + n * size) in the page, no reg wrap */
            k = (TARGET_PAGE_SIZE - (lin[i] & off)) / size;
            if (amask != ~0ULL) {
                k = k < (amask - regs[i] + 1) / size
                        ? k
                        : (amask - regs[i] + 1) / size;
            }
        } else {
            /* elements down from lin: the first one must fit the page */
            if ((lin[i] & off) + size > TARGET_PAGE_SIZE) {
                return 0;
            }
            k = (lin[i] & off) / size + 1;
            k = k < regs[i] / size + 1 ? k : regs[i] / size + 1;
        }
        n = n < k ? n : k;
    }
    if (n == 0) {
        return 0;
    }
    uint64_t bytes = n * size;
    for (int i = op == STR_STOS; i < 2; i++) {
        MMUAccessType t = i ? MMU_DATA_STORE : MMU_DATA_LOAD;
        uint64_t lo = step > 0 ? lin[i] : lin[i] - (bytes - size);
        /* the first element: its fault, with its address */
        if (probe_access_flags(env, lin[i], size, t, mmu_idx, false, &host[i],
                               ra)) {
            return 0;
        }
        /* the whole run: stores invalidate translated code on it */
        if (probe_access_flags(env, lo, bytes, t, mmu_idx, false, &host[i],
                               ra)) {
            return 0;
        }
    }
    uint8_t *hd = host[1];
    if (op == STR_STOS) {
        uint64_t v = env->regs[R_EAX];
        if (size == 1) {
            memset(hd, (uint8_t)v, bytes);
        } else {
            for (uint64_t i = 0; i < bytes; i += size) {
                memcpy(hd + i, &v, size); /* little-endian host */
            }
        }
    } else {
        const uint8_t *hs = host[0];
        bool overlap_bad =
            step > 0 ? hd > hs && hd < hs + bytes : hd < hs && hd + bytes > hs;
        if (!overlap_bad) {
            /* same result as element by element in this direction */
            memmove(hd, hs, bytes);
        } else if (step > 0) {
            for (uint64_t i = 0; i < bytes; i += size) {
                memmove(hd + i, hs + i, size);
            }
        } else {
            for (uint64_t i = bytes; i > 0; i -= size) {
                memmove(hd + i - size, hs + i - size, size);
            }
        }
    }
    return n;
}
#endif

/*
 * One REP'd (or single) string instruction.  Registers are updated after
 * each element, so a fault leaves the architectural state of a partially
 * done REP, as on hardware.  seg: the segment base for the source (DS
 * default, or the override); the destination is ES: base 0 in 64-bit
 * mode, env's ES base with STR_L32.  With STR_BUDGET a REP returns after
 * STR_BUDGET_COUNT elements; the translator sees the work left (rCX and
 * ZF) and runs the insn again.
 */
void helper_rep_string(CPUX86State *env, uint32_t desc, uint64_t seg)
{
    uintptr_t ra = GETPC();
    unsigned ot = desc & 3, op = (desc >> 4) & 15;
    bool rep = desc & 0x100, repne = desc & 0x200, a32 = desc & 0x400;
    int64_t step = (int64_t)env->df * (1 << ot); /* df is +1 or -1 */
    uint64_t amask = (desc & STR_A16) ? 0xffff : a32 ? 0xffffffffULL : ~0ULL;
    uint64_t *si = &env->regs[R_ESI], *di = &env->regs[R_EDI];
    uint64_t *cx = &env->regs[R_ECX];
    uint64_t vmask = ot == 3 ? ~0ULL : (1ULL << (8 << ot)) - 1;
    uint64_t dseg = 0, lmask = ~0ULL;
    unsigned budget = (desc & STR_BUDGET) ? STR_BUDGET_COUNT : 0, n = 0;

#ifdef CONFIG_SOFTMMU
    if (desc & STR_L32) {
        dseg = env->segs[R_ES].base;
        lmask = 0xffffffffULL;
    }
#endif
    for (;;) {
        if (rep && (*cx & amask) == 0) {
            break;
        }
        uint64_t s = ((*si & amask) + seg) & lmask;
        uint64_t d = ((*di & amask) + dseg) & lmask;
        uint64_t v, v2;
#ifdef CONFIG_SOFTMMU
        if (rep && (op == STR_MOVS || op == STR_STOS)) {
            uint64_t max = *cx & amask;
            if (budget && max > budget - n) {
                max = budget - n;
            }
            uint64_t k = str_fast(env, op, ot, step, s, d, max, amask, ra);
            if (k) {
                if (op == STR_MOVS) {
                    str_adv(si, step * (int64_t)k, amask);
                }
                str_adv(di, step * (int64_t)k, amask);
                str_adv(cx, -(int64_t)k, amask);
                n += k;
                if (budget && n >= budget) {
                    break;
                }
                continue;
            }
        }
#endif
        switch (op) {
        case STR_MOVS:
            v = str_load(env, s, ot, ra);
            str_store(env, d, v, ot, ra);
            str_adv(si, step, amask);
            str_adv(di, step, amask);
            break;
        case STR_STOS:
            str_store(env, d, env->regs[R_EAX], ot, ra);
            str_adv(di, step, amask);
            break;
        case STR_LODS:
            v = str_load(env, s, ot, ra);
            if (ot == 0) {
                env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffULL) | v;
            } else if (ot == 1) {
                env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffULL) | v;
            } else {
                env->regs[R_EAX] = v;
            }
            str_adv(si, step, amask);
            break;
        case STR_CMPS:
            v = str_load(env, s, ot, ra);
            v2 = str_load(env, d, ot, ra);
            env->cc_src = v2;
            env->cc_src2 = v;
            env->cc_dst = (v - v2) & vmask;
            env->cc_op = CC_OP_SUBB + ot;
            str_adv(si, step, amask);
            str_adv(di, step, amask);
            break;
        default: /* SCAS */
            v2 = str_load(env, d, ot, ra);
            v = env->regs[R_EAX] & vmask;
            env->cc_src = v2;
            env->cc_src2 = v;
            env->cc_dst = (v - v2) & vmask;
            env->cc_op = CC_OP_SUBB + ot;
            str_adv(di, step, amask);
            break;
        }
        if (!rep) {
            break;
        }
        str_adv(cx, -1, amask);
        if (op == STR_CMPS || op == STR_SCAS) {
            bool zf = env->cc_dst == 0;
            if (repne ? zf : !zf) {
                break;
            }
        }
        if (budget && ++n >= budget) {
            break;
        }
    }
}
DEF_HELPER_INFO(rep_string, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I64);

/* ---- CMPXCHG8B/16B ------------------------------------------------------- */

static void set_zf(CPUX86State *env, bool z)
{
    uint64_t f = helper_cc_compute_all(env->cc_dst, env->cc_src, env->cc_src2,
                                       env->cc_op);
    env->cc_src = (f & ~CC_Z) | (z ? CC_Z : 0);
    env->cc_op = CC_OP_EFLAGS;
}

void helper_cmpxchg8b(CPUX86State *env, uint64_t addr)
{
    uint64_t cmp = (uint32_t)env->regs[R_EAX] | (env->regs[R_EDX] << 32);
    uint64_t nv = (uint32_t)env->regs[R_EBX] | (env->regs[R_ECX] << 32);
    uint64_t old = cpu_atomic_cmpxchgq_le(env, addr, cmp, nv, GETPC());

    if (old == cmp) {
        set_zf(env, true);
    } else {
        set_zf(env, false);
        env->regs[R_EAX] = (uint32_t)old;
        env->regs[R_EDX] = old >> 32;
    }
}
DEF_HELPER_INFO(cmpxchg8b, 0, HI_VOID, 2, HI_PTR, HI_I64);

void helper_gp_misaligned(CPUX86State *env)
{
    raise_exception_ra(env, EXCP0D_GPF, GETPC());
}
DEF_HELPER_INFO(gp_misaligned, 0, HI_VOID, 1, HI_PTR);

void helper_cmpxchg16b(CPUX86State *env, uint64_t addr)
{
    unsigned __int128 cmp, nv, old;

    if (addr & 15) {
        raise_exception_ra(env, EXCP0D_GPF, GETPC());
    }
    cmp = ((unsigned __int128)env->regs[R_EDX] << 64) | env->regs[R_EAX];
    nv = ((unsigned __int128)env->regs[R_ECX] << 64) | env->regs[R_EBX];
    old = cpu_atomic_cmpxchgo_le(env, addr, cmp, nv, GETPC());
    if (old == cmp) {
        set_zf(env, true);
    } else {
        set_zf(env, false);
        env->regs[R_EAX] = (uint64_t)old;
        env->regs[R_EDX] = (uint64_t)(old >> 64);
    }
}
DEF_HELPER_INFO(cmpxchg16b, 0, HI_VOID, 2, HI_PTR, HI_I64);

/* CRC32 (SSE4.2): CRC-32C, reflected polynomial 0x82F63B78. */
uint64_t helper_crc32(uint64_t crc, uint64_t val, uint32_t bytes)
{
    uint32_t c = crc;
    unsigned i, k;

    for (i = 0; i < bytes; i++) {
        c ^= (val >> (8 * i)) & 0xff;
        for (k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0x82F63B78u & -(c & 1));
        }
    }
    return c;
}
DEF_HELPER_INFO(crc32, TCG_CALL_NO_RWG_SE, HI_I64, 3, HI_I64, HI_I64, HI_I32);

uint64_t helper_pdep(uint64_t src, uint64_t mask)
{
    uint64_t r = 0, bit;

    for (bit = 1; mask; bit <<= 1) {
        uint64_t low = mask & -mask;
        if (src & bit) {
            r |= low;
        }
        mask &= mask - 1;
    }
    return r;
}
DEF_HELPER_INFO(pdep, TCG_CALL_NO_RWG_SE, HI_I64, 2, HI_I64, HI_I64);

uint64_t helper_pext(uint64_t src, uint64_t mask)
{
    uint64_t r = 0, bit = 1;

    while (mask) {
        uint64_t low = mask & -mask;
        if (src & low) {
            r |= bit;
        }
        bit <<= 1;
        mask &= mask - 1;
    }
    return r;
}
DEF_HELPER_INFO(pext, TCG_CALL_NO_RWG_SE, HI_I64, 2, HI_I64, HI_I64);

/* ---- FXSAVE / XSAVE ------------------------------------------------------ */

void helper_fxsave(CPUX86State *env, uint64_t addr)
{
    uint8_t img[512];
    unsigned i;

    if (addr & 15) {
        raise_exception_ra(env, EXCP0D_GPF, GETPC());
    }
    cpu_x86_fxsave(env, img);
    for (i = 0; i < 512; i += 8) {
        uint64_t v;
        memcpy(&v, img + i, 8);
        cpu_stq_data_ra(env, addr + i, v, GETPC());
    }
}
DEF_HELPER_INFO(fxsave, 0, HI_VOID, 2, HI_PTR, HI_I64);

void helper_fxrstor(CPUX86State *env, uint64_t addr)
{
    uint8_t img[512];
    unsigned i;

    if (addr & 15) {
        raise_exception_ra(env, EXCP0D_GPF, GETPC());
    }
    for (i = 0; i < 512; i += 8) {
        uint64_t v = cpu_ldq_data_ra(env, addr + i, GETPC());
        memcpy(img + i, &v, 8);
    }
    cpu_x86_fxrstor(env, img);
}
DEF_HELPER_INFO(fxrstor, 0, HI_VOID, 2, HI_PTR, HI_I64);

/*
 * XSAVE/XRSTOR, standard format (SDM vol. 1 ch. 13), for the components
 * this CPU has: x87 (bit 0) and SSE (bit 1); XCR0 = 3.  XSTATE_BV of a
 * saved component is always 1 (we do not track the init state).
 */
#define XCR0_SUPPORTED 3ULL

static void xsave_component_store(CPUX86State *env, uint64_t addr,
                                  const uint8_t *img, unsigned from,
                                  unsigned to, uintptr_t ra)
{
    unsigned i;

    for (i = from; i < to; i += 8) {
        uint64_t v;
        memcpy(&v, img + i, 8);
        cpu_stq_data_ra(env, addr + i, v, ra);
    }
}

void helper_xsave(CPUX86State *env, uint64_t addr, uint64_t rfbm)
{
    uintptr_t ra = GETPC();
    uint8_t img[512];
    uint64_t bv;

    if (addr & 63) {
        raise_exception_ra(env, EXCP0D_GPF, ra);
    }
    rfbm &= XCR0_SUPPORTED & env->xcr0; /* RFBM = EDX:EAX AND XCR0 */
    cpu_x86_fxsave(env, img);
    if (rfbm & 1) {
        xsave_component_store(env, addr, img, 0, 24, ra);
        xsave_component_store(env, addr, img, 32, 160, ra);
    }
    if (rfbm & 2) {
        /* MXCSR and MXCSR_MASK go with SSE */
        xsave_component_store(env, addr, img, 24, 32, ra);
        xsave_component_store(env, addr, img, 160, 416, ra);
    }
    bv = cpu_ldq_data_ra(env, addr + 512, ra);
    cpu_stq_data_ra(env, addr + 512, (bv & ~rfbm) | rfbm, ra);
}
DEF_HELPER_INFO(xsave, 0, HI_VOID, 3, HI_PTR, HI_I64, HI_I64);

void helper_xrstor(CPUX86State *env, uint64_t addr, uint64_t rfbm)
{
    uintptr_t ra = GETPC();
    uint8_t img[512], cur[512];
    uint64_t bv;
    unsigned i;

    if (addr & 63) {
        raise_exception_ra(env, EXCP0D_GPF, ra);
    }
    rfbm &= XCR0_SUPPORTED & env->xcr0; /* RFBM = EDX:EAX AND XCR0 */
    bv = cpu_ldq_data_ra(env, addr + 512, ra);
    if (bv & ~(XCR0_SUPPORTED & env->xcr0)) {
        raise_exception_ra(env, EXCP0D_GPF, ra);
    }
    for (i = 0; i < 512; i += 8) {
        uint64_t v = cpu_ldq_data_ra(env, addr + i, ra);
        memcpy(img + i, &v, 8);
    }
    cpu_x86_fxsave(env, cur);
    if (rfbm & 1) {
        if (!(bv & 1)) {
            /* x87 init state: FCW 037F, empty stack, zero registers */
            memset(img, 0, 24);
            memset(img + 32, 0, 128);
            *(uint16_t *)img = 0x37f;
        }
    } else {
        memcpy(img, cur, 24);
        memcpy(img + 32, cur + 32, 128);
    }
    if (rfbm & 2) {
        if (!(bv & 2)) {
            memset(img + 160, 0, 256);
        }
    } else {
        memcpy(img + 24, cur + 24, 8);
        memcpy(img + 160, cur + 160, 256);
    }
    cpu_x86_fxrstor(env, img);
}
DEF_HELPER_INFO(xrstor, 0, HI_VOID, 3, HI_PTR, HI_I64, HI_I64);
