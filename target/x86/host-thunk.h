/*
 * Host instruction thunks for SSE and x87 on an x86-64 host.
 *
 * The SSE and x87 helpers run the guest's own instruction on the host
 * unit, so that results (NaN payloads, rounding, 80-bit precision,
 * transcendental functions, MXCSR/FSW flags) are exactly the native ones.
 * A thunk is a few bytes of host code, made once per distinct encoding at
 * translate time and called like a C function:
 *
 *     SSE "op xmm0, xmm1[, imm]":  __m128i f(__m128i d, __m128i s)
 *     x87 (frstor; op; fnsave):    uint64_t f(void *mem, void *fsave108,
 *                                             uint64_t eflags)
 *
 * Deviation from a portable design (docs/quirks.md): this requires an
 * x86-64 host with the guest's extensions; guest memory is still only
 * accessed through the translator's loads/stores and cpu_ld/st helpers.
 */
#ifndef TARGET_X86_HOST_THUNK_H
#define TARGET_X86_HOST_THUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns a callable copy of code[0..len) followed by RET (cached). */
void *x86_host_thunk(const uint8_t *code, size_t len);

/*
 * A thunk that is itself a C function (called straight from generated
 * code): a copy of proto with func = fn, made once per fn.
 */
struct TCGHelperInfo;
const struct TCGHelperInfo *
x86_host_thunk_info(void *fn, const struct TCGHelperInfo *proto);

/* Is pc inside a thunk?  (linux-user: a fault there is the guest's) */
bool x86_host_thunk_contains(uintptr_t pc);

#endif
