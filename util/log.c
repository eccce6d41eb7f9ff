/*
 * -d / -D logging (see util/log.h).
 */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

typedef struct LogItem {
    unsigned mask;
    const char *name;
    const char *help;
} LogItem;

static const LogItem log_items[] = {
    {CPU_LOG_TB_OUT_ASM, "out_asm",
     "show generated host assembly code for each compiled TB"},
    {CPU_LOG_TB_IN_ASM, "in_asm",
     "show target assembly code for each compiled TB"},
    {CPU_LOG_TB_OP, "op", "show micro ops for each compiled TB"},
    {CPU_LOG_TB_OP_OPT, "op_opt", "show micro ops after optimization"},
    {CPU_LOG_INT, "int", "show interrupts/exceptions in short format"},
    {CPU_LOG_EXEC, "exec", "show trace before each executed TB (lots of logs)"},
    {CPU_LOG_TB_CPU, "cpu",
     "show CPU registers before entering a TB (lots of logs)"},
    {CPU_LOG_MMU, "mmu", "log MMU-related activities"},
    {CPU_LOG_PAGE, "page", "dump pages at beginning of user mode emulation"},
    {CPU_LOG_RESET, "cpu_reset", "show CPU state before CPU resets"},
    {LOG_UNIMP, "unimp", "log unimplemented functionality"},
    {LOG_GUEST_ERROR, "guest_errors",
     "log when the guest OS does something invalid (eg accessing a "
     "non-existent register)"},
    {LOG_STRACE, "strace",
     "log every user-mode syscall, its input, and its result"},
    {CPU_LOG_TB_NOCHAIN, "nochain",
     "do not chain compiled TBs so that \"exec\" and \"cpu\" show complete "
     "traces"},
};

unsigned qemu_loglevel;
static FILE *log_file;
static GMutex log_lock;

FILE *qemu_log_stream(void)
{
    return log_file ? log_file : stderr;
}

void qemu_log(const char *fmt, ...)
{
    va_list ap;

    g_mutex_lock(&log_lock);
    va_start(ap, fmt);
    vfprintf(qemu_log_stream(), fmt, ap);
    va_end(ap);
    g_mutex_unlock(&log_lock);
}

void qemu_log_flush(void)
{
    fflush(qemu_log_stream());
}

bool qemu_log_parse_items(const char *str, unsigned *mask, Error **errp)
{
    g_auto(GStrv) parts = g_strsplit(str, ",", -1);
    unsigned m = 0;

    for (int i = 0; parts[i]; i++) {
        const char *p = parts[i];
        bool found = false;

        if (!*p) {
            continue;
        }
        if (!strcmp(p, "all")) {
            for (size_t j = 0; j < G_N_ELEMENTS(log_items); j++) {
                m |= log_items[j].mask;
            }
            continue;
        }
        for (size_t j = 0; j < G_N_ELEMENTS(log_items); j++) {
            if (!strcmp(p, log_items[j].name)) {
                m |= log_items[j].mask;
                found = true;
                break;
            }
        }
        if (!found) {
            error_setg(errp, "unknown log item '%s' (use '-d help' for a list)",
                       p);
            return false;
        }
    }
    *mask = m;
    return true;
}

void qemu_log_set_mask(unsigned mask)
{
    qemu_loglevel = mask;
}

bool qemu_log_set_file(const char *path, Error **errp)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        error_setg_errno(errp, errno, "can't open log file '%s'", path);
        return false;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    if (log_file) {
        fclose(log_file);
    }
    log_file = f;
    return true;
}

void qemu_log_print_help(FILE *out)
{
    fprintf(out, "Log items (comma separated):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(log_items); i++) {
        fprintf(out, "%-15s %s\n", log_items[i].name, log_items[i].help);
    }
}
