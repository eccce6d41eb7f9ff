/*
 * Shared scaffolding for the TCG unit tests: a fake CPU state with a few
 * globals, and run_ir() which optimizes, allocates, emits and executes the
 * op list built by a test.
 */
#ifndef TESTS_UNIT_TCG_COMMON_H
#define TESTS_UNIT_TCG_COMMON_H

#include <glib.h>
#include <string.h>
#include "accel/tcg/cpu-exec.h"
#include "tcg/tcg-internal.h"
#include "tcg/tcg-op.h"

typedef struct FakeEnv {
    uint64_t r[8];
    uint32_t w[8];
    uint64_t pc;
    uint64_t scratch[16];
} FakeEnv;

typedef struct FakeCPU {
    CPUState parent;
    FakeEnv env;
} FakeCPU;

extern FakeCPU fake_cpu;
extern TCGv_i64 g_r[8];
extern TCGv_i32 g_w[8];
extern TCGv_i64 g_pc;
extern uint8_t *guest_ram; /* guest address GUEST_RAM_BASE */
#define GUEST_RAM_BASE 0x10000u
#define GUEST_RAM_SIZE 0x10000u

/* Once per test program: TCG, globals, guest RAM. */
void test_tcg_init(void);
/* Starts an op list. */
void ir_start(void);
/* Ends it with exit_tb(0), generates code and runs it on fake_cpu.env. */
void run_ir(void);
/* Optimizes only (no codegen); for optimizer tests. */
void optimize_ir(void);
/* Number of ops with this opcode in the list. */
int count_ops(TCGOpcode opc);

#endif
