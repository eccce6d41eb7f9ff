/*
 * Logging selected with -d item[,item] and sent to -D logfile (else stderr).
 *
 *     if (qemu_loglevel_mask(LOG_GUEST_ERROR)) ...
 *     qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%x\n", __func__, off);
 *
 * Every module that logs adds its item to the table in util/log.c so that
 * `-d help` lists it.
 */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>
#include "util/error.h"

#define CPU_LOG_TB_OUT_ASM (1u << 0)  /* out_asm: host code per TB */
#define CPU_LOG_TB_IN_ASM  (1u << 1)  /* in_asm: guest code per TB */
#define CPU_LOG_TB_OP      (1u << 2)  /* op: IR before optimization */
#define CPU_LOG_TB_OP_OPT  (1u << 3)  /* op_opt: IR after optimization */
#define CPU_LOG_INT        (1u << 4)  /* int: interrupts and exceptions */
#define CPU_LOG_EXEC       (1u << 5)  /* exec: each TB executed */
#define CPU_LOG_TB_CPU     (1u << 6)  /* cpu: CPU registers before a TB */
#define CPU_LOG_RESET      (1u << 7)  /* cpu_reset: CPU state at reset */
#define LOG_UNIMP          (1u << 8)  /* unimp: unimplemented features */
#define LOG_GUEST_ERROR    (1u << 9)  /* guest_errors: guest misbehaviour */
#define CPU_LOG_MMU        (1u << 10) /* mmu: MMU faults and walks */
#define CPU_LOG_PAGE       (1u << 11) /* page: guest page mappings */
#define LOG_STRACE         (1u << 12) /* strace: user-mode syscalls */
#define CPU_LOG_TB_NOCHAIN (1u << 13) /* nochain: no TB chaining */
#define CPU_LOG_PLUGIN     (1u << 14) /* reserved */

extern unsigned qemu_loglevel;

static inline bool qemu_loglevel_mask(unsigned mask)
{
    return (qemu_loglevel & mask) != 0;
}

/* Writes to the log file (or stderr), unconditionally. */
void qemu_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
#define qemu_log_mask(mask, ...)                                               \
    do {                                                                       \
        if (qemu_loglevel_mask(mask)) {                                        \
            qemu_log(__VA_ARGS__);                                             \
        }                                                                      \
    } while (0)

/* The log stream (for disassemblers); never NULL. Call qemu_log_flush(). */
FILE *qemu_log_stream(void);
void qemu_log_flush(void);

/*
 * Parses "-d in_asm,op" into a mask.  Returns false and sets errp for an
 * unknown item.  "help" is handled by the caller with qemu_log_print_help().
 */
bool qemu_log_parse_items(const char *str, unsigned *mask, Error **errp);
void qemu_log_set_mask(unsigned mask);
/* -D FILE: returns false with errp set when the file can't be opened. */
bool qemu_log_set_file(const char *path, Error **errp);
void qemu_log_print_help(FILE *out);

#endif
