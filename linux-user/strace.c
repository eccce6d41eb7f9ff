/*
 * -strace: one line per guest syscall on stderr, "PID name(args) = ret",
 * the shape QEMU prints.  Arguments are shown in hex; string arguments of
 * the common path syscalls are shown quoted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-user/user.h"

#include "linux-user/syscall_names.c.inc"

const char *strace_syscall_name(int64_t num)
{
    if (num >= 0 &&
        num < (int64_t)(sizeof(syscall_names) / sizeof(syscall_names[0])) &&
        syscall_names[num]) {
        return syscall_names[num];
    }
    return NULL;
}

/* Index (1-based) of the argument that is a path string, or 0. */
static int path_arg(int64_t num)
{
    switch (num) {
    case SYS_open:
    case SYS_stat:
    case SYS_lstat:
    case SYS_access:
    case SYS_execve:
    case SYS_readlink:
    case SYS_unlink:
    case SYS_mkdir:
    case SYS_rmdir:
    case SYS_chdir:
        return 1;
    case SYS_openat:
    case SYS_newfstatat:
    case SYS_faccessat:
    case SYS_faccessat2:
    case SYS_readlinkat:
    case SYS_unlinkat:
    case SYS_mkdirat:
    case SYS_statx:
    case SYS_execveat:
        return 2;
    default:
        return 0;
    }
}

void strace_print_call(int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5, uint64_t a6)
{
    const char *name = strace_syscall_name(num);
    uint64_t a[6] = {a1, a2, a3, a4, a5, a6};
    int pa = path_arg(num);
    char buf[512];
    int n = 0, i;

    if (name) {
        n += snprintf(buf + n, sizeof(buf) - n, "%d %s(", getpid(), name);
    } else {
        n += snprintf(buf + n, sizeof(buf) - n, "%d Unknown syscall %lld(",
                      getpid(), (long long)num);
    }
    for (i = 0; i < 6 && n < (int)sizeof(buf) - 1; i++) {
        if (i + 1 == pa && a[i]) {
            n += snprintf(buf + n, sizeof(buf) - n, "%s\"%.200s\"",
                          i ? "," : "", (const char *)a[i]);
        } else if (a[i] < 0x10000) {
            n += snprintf(buf + n, sizeof(buf) - n, "%s%llu", i ? "," : "",
                          (unsigned long long)a[i]);
        } else {
            n += snprintf(buf + n, sizeof(buf) - n, "%s0x%llx", i ? "," : "",
                          (unsigned long long)a[i]);
        }
    }
    if (n < (int)sizeof(buf) - 1) {
        n += snprintf(buf + n, sizeof(buf) - n, ")");
    }
    if (n >= (int)sizeof(buf)) {
        n = sizeof(buf) - 1;
    }
    if (write(2, buf, n) < 0) {
        /* nothing to do: stderr is gone */
    }
}

void strace_print_ret(int64_t num, int64_t ret)
{
    char buf[160];
    int n;

    if (ret < 0 && ret >= -4095) {
        n = snprintf(buf, sizeof(buf), " = -1 errno=%d (%s)\n", (int)-ret,
                     strerror(-ret));
    } else if (num == SYS_mmap || num == SYS_brk || num == SYS_mremap) {
        n = snprintf(buf, sizeof(buf), " = 0x%llx\n", (unsigned long long)ret);
    } else {
        n = snprintf(buf, sizeof(buf), " = %lld\n", (long long)ret);
    }
    if (write(2, buf, n) < 0) {
        /* nothing to do */
    }
}
