/*
 * Guest atomics on a host pointer (little-endian host), shared by user
 * mode (g2h) and system mode (the softmmu TLB): cmpxchg and the
 * read-modify-write ops of tcg_gen_atomic_*, byte-swapped when the
 * MemOp says so.  Included by accel/tcg/user-exec.c and cputlb.c.
 */
#ifndef ACCEL_TCG_ATOMIC_HOST_H
#define ACCEL_TCG_ATOMIC_HOST_H

#include <string.h>
#include "tcg/tcg-op.h"

static inline uint64_t bswap_size(uint64_t v, MemOp mop)
{
    if (!(mop & MO_BSWAP)) {
        return v;
    }
    switch (mop & MO_SIZE) {
    case MO_16:
        return __builtin_bswap16(v);
    case MO_32:
        return __builtin_bswap32(v);
    case MO_64:
        return __builtin_bswap64(v);
    default:
        return v;
    }
}

#define CMPXCHG(T)                                                             \
    do {                                                                       \
        T c = cmpv, n = newv;                                                  \
        __atomic_compare_exchange_n((T *)p, &c, n, false, __ATOMIC_SEQ_CST,    \
                                    __ATOMIC_SEQ_CST);                         \
        old = c;                                                               \
    } while (0)

/* *p (mop's size) = newv if it equals cmpv; returns the old value. */
static inline uint64_t atomic_host_cmpxchg(void *p, MemOp mop, uint64_t cmpv,
                                           uint64_t newv)
{
    uint64_t old;
    cmpv = bswap_size(cmpv, mop);
    newv = bswap_size(newv, mop);
    switch (mop & MO_SIZE) {
    case MO_8:
        CMPXCHG(uint8_t);
        break;
    case MO_16:
        CMPXCHG(uint16_t);
        break;
    case MO_32:
        CMPXCHG(uint32_t);
        break;
    default:
        CMPXCHG(uint64_t);
        break;
    }
    return bswap_size(old, mop);
}

#define ATOMIC_RMW(T)                                                          \
    do {                                                                       \
        T *q = p, v = val, r;                                                  \
        switch (aop) {                                                         \
        case TCG_ATOMIC_XCHG:                                                  \
            r = __atomic_exchange_n(q, v, __ATOMIC_SEQ_CST);                   \
            break;                                                             \
        case TCG_ATOMIC_FETCH_ADD:                                             \
            r = __atomic_fetch_add(q, v, __ATOMIC_SEQ_CST);                    \
            break;                                                             \
        case TCG_ATOMIC_FETCH_AND:                                             \
            r = __atomic_fetch_and(q, v, __ATOMIC_SEQ_CST);                    \
            break;                                                             \
        case TCG_ATOMIC_FETCH_OR:                                              \
            r = __atomic_fetch_or(q, v, __ATOMIC_SEQ_CST);                     \
            break;                                                             \
        case TCG_ATOMIC_FETCH_XOR:                                             \
            r = __atomic_fetch_xor(q, v, __ATOMIC_SEQ_CST);                    \
            break;                                                             \
        case TCG_ATOMIC_ADD_FETCH:                                             \
            r = __atomic_add_fetch(q, v, __ATOMIC_SEQ_CST);                    \
            break;                                                             \
        case TCG_ATOMIC_AND_FETCH:                                             \
            r = __atomic_and_fetch(q, v, __ATOMIC_SEQ_CST);                    \
            break;                                                             \
        case TCG_ATOMIC_OR_FETCH:                                              \
            r = __atomic_or_fetch(q, v, __ATOMIC_SEQ_CST);                     \
            break;                                                             \
        default:                                                               \
            r = __atomic_xor_fetch(q, v, __ATOMIC_SEQ_CST);                    \
            break;                                                             \
        }                                                                      \
        res = r;                                                               \
    } while (0)

/* Byte-swapped add cannot be done natively: use a cmpxchg loop. */
static inline uint64_t atomic_rmw_bswap(void *p, MemOp mop, TCGAtomicOp aop,
                                        uint64_t val)
{
    unsigned size = memop_size(mop);
    uint64_t mask = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
    for (;;) {
        uint64_t raw = 0, cur, nv, res;
        memcpy(&raw, p, size);
        cur = bswap_size(raw, mop);
        switch (aop) {
        case TCG_ATOMIC_XCHG:
            nv = val;
            break;
        case TCG_ATOMIC_FETCH_ADD:
        case TCG_ATOMIC_ADD_FETCH:
            nv = cur + val;
            break;
        case TCG_ATOMIC_FETCH_AND:
        case TCG_ATOMIC_AND_FETCH:
            nv = cur & val;
            break;
        case TCG_ATOMIC_FETCH_OR:
        case TCG_ATOMIC_OR_FETCH:
            nv = cur | val;
            break;
        default:
            nv = cur ^ val;
            break;
        }
        nv &= mask;
        res = aop >= TCG_ATOMIC_ADD_FETCH ? nv : cur;
        uint64_t nraw = bswap_size(nv, mop);
        bool ok;
        switch (size) {
        case 2: {
            uint16_t e = raw;
            ok =
                __atomic_compare_exchange_n((uint16_t *)p, &e, nraw, false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            break;
        }
        case 4: {
            uint32_t e = raw;
            ok =
                __atomic_compare_exchange_n((uint32_t *)p, &e, nraw, false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            break;
        }
        default: {
            uint64_t e = raw;
            ok =
                __atomic_compare_exchange_n((uint64_t *)p, &e, nraw, false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            break;
        }
        }
        if (ok) {
            return res;
        }
    }
}

/* The TCGAtomicOp aop on *p; returns the old (FETCH_*) or new value. */
static inline uint64_t atomic_host_rmw(void *p, MemOp mop, TCGAtomicOp aop,
                                       uint64_t val)
{
    uint64_t res;
    if ((mop & MO_BSWAP) && (mop & MO_SIZE) != MO_8) {
        return atomic_rmw_bswap(p, mop, aop, val);
    }
    switch (mop & MO_SIZE) {
    case MO_8:
        ATOMIC_RMW(uint8_t);
        break;
    case MO_16:
        ATOMIC_RMW(uint16_t);
        break;
    case MO_32:
        ATOMIC_RMW(uint32_t);
        break;
    default:
        ATOMIC_RMW(uint64_t);
        break;
    }
    return res;
}

#endif
