/*
 * System-mode x86 unit tests: run a helper that may raise a guest
 * exception (it longjmps to cs->jmp_env as cpu_exec's loop would catch it).
 */
#ifndef TESTS_UNIT_X86_SYS_TRY_H
#define TESTS_UNIT_X86_SYS_TRY_H

#include <setjmp.h>

/* Runs stmt; -1, or the vector of the exception it raised (CPUState *cs). */
#define TRY(stmt)                                                              \
    ({                                                                         \
        volatile int r_ = -1;                                                  \
        cs->exception_index = -1;                                              \
        if (sigsetjmp(cs->jmp_env, 0) == 0) {                                  \
            stmt;                                                              \
        } else {                                                               \
            r_ = cs->exception_index;                                          \
        }                                                                      \
        r_;                                                                    \
    })

#endif
