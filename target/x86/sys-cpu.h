/*
 * target/x86 in system mode: the CPU state as a board sees it.  The board
 * glue (hw/x86/x86-tcg.c) uses these to load the reset or boot state
 * (hw/x86/x86-cpu.h's X86CPUState) into a TCG CPU and to read it back
 * for the monitor.
 */
#ifndef TARGET_X86_SYS_CPU_H
#define TARGET_X86_SYS_CPU_H

#include "hw/x86/x86-cpu.h"
#include "target/x86/cpu.h"

/*
 * Machine reset: every register to its power-on value (MSRs, MTRRs, PAT,
 * XCR0, TSC offset...) and then the architectural state s (the board's
 * power-on or boot state).  Flushes the TLB.
 */
void x86_cpu_sys_reset(CPUX86State *env, const X86CPUState *s);
/* Loads s (registers, segments, control registers, FPU) into env. */
void x86_cpu_put_state(CPUX86State *env, const X86CPUState *s);
/* The architectural state of env as the board describes it. */
void x86_cpu_get_state(CPUX86State *env, X86CPUState *s);
/* INIT: the reset state of an application processor waiting for SIPI. */
void x86_cpu_init_reset(CPUX86State *env);
/*
 * The MTRRs as firmware leaves them (fixed ranges WB but A0000-BFFFF UC,
 * 2-4 GiB UC, default WB): for a direct -kernel boot, where no firmware
 * runs (SeaBIOS sets the same up otherwise).
 */
void x86_cpu_firmware_mtrrs(CPUX86State *env);
/* -d cpu: the registers in QEMU's layout. */
void x86_cpu_sys_dump(CPUState *cs, FILE *f);
/* SIPI: leave wait-for-SIPI at env->sipi_vector << 12 in real mode. */
void x86_cpu_sipi(CPUX86State *env);
/*
 * sys-fpexc.c: a host SIMD/x87 exception in a thunk becomes the guest's
 * #XM/#UD/#MF (a SIGFPE handler, installed once); cpu_exec entry loads
 * the guest's MXCSR on the host.
 */
void x86_fpexc_init(void);
void x86_cpu_exec_enter(CPUState *cs);

#endif
