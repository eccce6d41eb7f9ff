/*
 * Guest syscalls → host syscalls for an x86-64 guest on an x86-64 host.
 *
 * guest_base is 0 and the guest's ABI is the host's, so the default is to
 * pass the six arguments straight to the host kernel.  The cases below are
 * the ones where the emulator owns the state: the program break, signal
 * dispositions and masks, threads and fork, execve (to stay emulated),
 * exit, FS/GS bases, and the /proc/self files that must show the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/futex.h>
#include <glib.h>

#include "linux-user/user.h"
#include "util/log.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

/* The program break: [start_brk, brk) is guest heap, mapped up to brk_end. */
static uint64_t target_brk;
static uint64_t brk_mapped_end;

void syscall_init(void)
{
    target_brk = exec_info->brk;
    brk_mapped_end = (target_brk + TARGET_PAGE_SIZE - 1) & TARGET_PAGE_MASK;
}

static int64_t do_brk(uint64_t new_brk)
{
    if (new_brk == 0 || new_brk < exec_info->start_brk) {
        return target_brk;
    }
    if (new_brk <= brk_mapped_end) {
        if (new_brk < target_brk) {
            /* Shrinking: the kernel zeroes pages freed and re-grown. */
            uint64_t keep = (new_brk + TARGET_PAGE_SIZE - 1) & TARGET_PAGE_MASK;
            if (keep < brk_mapped_end) {
                munmap((void *)keep, brk_mapped_end - keep);
                user_set_page_prot(keep, brk_mapped_end - keep, -1);
                brk_mapped_end = keep;
            }
        }
        target_brk = new_brk;
        return target_brk;
    }
    uint64_t new_end = (new_brk + TARGET_PAGE_SIZE - 1) & TARGET_PAGE_MASK;
    void *p = mmap((void *)brk_mapped_end, new_end - brk_mapped_end,
                   PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || (uint64_t)p != brk_mapped_end) {
        if (p != MAP_FAILED) {
            munmap(p, new_end - brk_mapped_end);
        }
        return target_brk; /* the kernel returns the old break */
    }
    user_set_page_prot(brk_mapped_end, new_end - brk_mapped_end,
                       PROT_READ | PROT_WRITE);
    brk_mapped_end = new_end;
    target_brk = new_brk;
    return target_brk;
}

/* Is PATH one of /proc/self/NAME or /proc/<our pid>/NAME? */
static bool is_proc_self(const char *path, const char *name)
{
    char buf[64];

    if (!path) {
        return false;
    }
    snprintf(buf, sizeof(buf), "/proc/self/%s", name);
    if (strcmp(path, buf) == 0) {
        return true;
    }
    snprintf(buf, sizeof(buf), "/proc/%d/%s", getpid(), name);
    return strcmp(path, buf) == 0;
}

static int memfd_with(const void *data, size_t len)
{
    int fd = memfd_create("quasar-proc", MFD_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    if (write(fd, data, len) != (ssize_t)len) {
        close(fd);
        return -EIO;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

/*
 * /proc/self/maps as the guest sees it: the host's lines for ranges the
 * guest mapped (the emulator's own code, heap and code buffer are not
 * guest pages), with the guest stack and break named as Linux names them.
 */
static int open_self_maps(int flags)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    GString *out = g_string_new(NULL);
    int fd;

    if (!f) {
        g_string_free(out, true);
        return -errno;
    }
    while (fgets(line, sizeof(line), f)) {
        unsigned long long lo, hi;
        int name_at = 0;
        if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &lo, &hi, &name_at) <
            2) {
            continue;
        }
        if (!(page_get_flags(lo) & PAGE_VALID)) {
            continue;
        }
        line[strcspn(line, "\n")] = 0;
        if (lo <= exec_info->start_stack && exec_info->start_stack < hi) {
            g_string_append_printf(out, "%.*s[stack]\n", name_at, line);
        } else if (lo >= exec_info->start_brk && hi <= brk_mapped_end &&
                   line[name_at] == 0) {
            g_string_append_printf(out, "%.*s[heap]\n", name_at, line);
        } else {
            g_string_append_printf(out, "%s\n", line);
        }
    }
    fclose(f);
    fd = memfd_with(out->str, out->len);
    g_string_free(out, true);
    if (fd >= 0 && (flags & O_CLOEXEC) == 0) {
        fcntl(fd, F_SETFD, 0);
    }
    return fd;
}

/*
 * /proc/cpuinfo: the host's, with each "flags" line replaced by the ISA
 * features of the emulated CPU model, so that programs that read it
 * instead of executing CPUID pick the same code paths.
 */
static const struct {
    uint32_t leaf;
    uint8_t reg; /* 0 eax 1 ebx 2 ecx 3 edx */
    uint8_t bit;
    const char *name;
} cpuinfo_flags[] = {
    {1, 3, 0, "fpu"},
    {1, 3, 4, "tsc"},
    {1, 3, 8, "cx8"},
    {1, 3, 15, "cmov"},
    {1, 3, 19, "clflush"},
    {1, 3, 23, "mmx"},
    {1, 3, 24, "fxsr"},
    {1, 3, 25, "sse"},
    {1, 3, 26, "sse2"},
    {0x80000001, 3, 11, "syscall"},
    {0x80000001, 3, 20, "nx"},
    {0x80000001, 3, 27, "rdtscp"},
    {0x80000001, 3, 29, "lm"},
    {1, 2, 0, "pni"},
    {1, 2, 1, "pclmulqdq"},
    {1, 2, 9, "ssse3"},
    {1, 2, 13, "cx16"},
    {1, 2, 19, "sse4_1"},
    {1, 2, 20, "sse4_2"},
    {1, 2, 22, "movbe"},
    {1, 2, 23, "popcnt"},
    {1, 2, 25, "aes"},
    {1, 2, 26, "xsave"},
    {1, 2, 28, "avx"},
    {0x80000001, 2, 0, "lahf_lm"},
    {0x80000001, 2, 5, "abm"},
    {7, 1, 3, "bmi1"},
    {7, 1, 5, "avx2"},
    {7, 1, 8, "bmi2"},
    {7, 1, 9, "erms"},
};

static int open_cpuinfo(int flags)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    GString *out = g_string_new(NULL);
    CPUX86State *env = thread_env();
    size_t i;
    int fd;

    if (!f) {
        g_string_free(out, true);
        return -errno;
    }
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "flags\t", 6) != 0) {
            g_string_append(out, line);
            continue;
        }
        g_string_append(out, "flags\t\t:");
        for (i = 0; i < sizeof(cpuinfo_flags) / sizeof(cpuinfo_flags[0]); i++) {
            uint32_t r[4];
            cpu_x86_cpuid(env, cpuinfo_flags[i].leaf, 0, &r[0], &r[1], &r[2],
                          &r[3]);
            if ((r[cpuinfo_flags[i].reg] >> cpuinfo_flags[i].bit) & 1) {
                g_string_append_printf(out, " %s", cpuinfo_flags[i].name);
            }
        }
        g_string_append(out, "\n");
    }
    fclose(f);
    fd = memfd_with(out->str, out->len);
    g_string_free(out, true);
    if (fd >= 0 && (flags & O_CLOEXEC) == 0) {
        fcntl(fd, F_SETFD, 0);
    }
    return fd;
}

/*
 * Descriptors of the emulated /proc files (memfds) and the permissions
 * procfs gives them: fstat shows them as procfs files (size 0, 1 KiB
 * blocks), so that stdio reads them in the same chunks as natively.
 */
static uint16_t proc_fd_mode[1024];

static bool is_proc_fd(int64_t fd)
{
    return fd >= 0 && fd < 1024 && proc_fd_mode[fd];
}

static void set_proc_fd(int64_t fd, uint16_t mode)
{
    if (fd >= 0 && fd < 1024) {
        __atomic_store_n(&proc_fd_mode[fd], mode, __ATOMIC_RELAXED);
    }
}

/* fstat / newfstatat / statx of FD succeeded: make a proc fd look so. */
static void fix_proc_stat(int64_t num, int64_t fd, uint64_t buf)
{
    if (!is_proc_fd(fd)) {
        return;
    }
    if (num == SYS_statx) {
        struct statx *sx = (struct statx *)buf;
        sx->stx_size = 0;
        sx->stx_blocks = 0;
        sx->stx_blksize = 1024;
        sx->stx_mode = S_IFREG | proc_fd_mode[fd];
    } else {
        struct stat *st = (struct stat *)buf;
        st->st_size = 0;
        st->st_blocks = 0;
        st->st_blksize = 1024;
        st->st_mode = S_IFREG | proc_fd_mode[fd];
    }
}

static int64_t open_special1(const char *path, int flags, int mode);

/*
 * open/openat of emulated /proc/self files.  Returns the fd, -errno, or
 * INT64_MIN when PATH is not special.
 */
static int64_t open_special(const char *path, int flags, int mode)
{
    int64_t fd = open_special1(path, flags, mode);

    if (fd >= 0 && !is_proc_self(path, "exe")) {
        set_proc_fd(fd, is_proc_self(path, "auxv") ? 0400 : 0444);
    }
    return fd;
}

static int64_t open_special1(const char *path, int flags, int mode)
{
    if (is_proc_self(path, "exe")) {
        int fd = open(exec_info->exe_path, flags, mode);
        return fd < 0 ? -errno : fd;
    }
    if (path && strcmp(path, "/proc/cpuinfo") == 0) {
        return open_cpuinfo(flags);
    }
    if (is_proc_self(path, "cmdline")) {
        int fd = memfd_with((void *)exec_info->arg_start,
                            exec_info->arg_end - exec_info->arg_start);
        if (fd >= 0 && (flags & O_CLOEXEC) == 0) {
            fcntl(fd, F_SETFD, 0);
        }
        return fd;
    }
    if (is_proc_self(path, "maps")) {
        return open_self_maps(flags);
    }
    if (is_proc_self(path, "auxv")) {
        int fd = memfd_with((void *)exec_info->saved_auxv, exec_info->auxv_len);
        if (fd >= 0 && (flags & O_CLOEXEC) == 0) {
            fcntl(fd, F_SETFD, 0);
        }
        return fd;
    }
    return INT64_MIN;
}

static int64_t do_readlink(int dirfd, const char *path, char *buf, size_t len,
                           bool at)
{
    if (is_proc_self(path, "exe")) {
        size_t n = strlen(exec_info->exe_path);
        if (n > len) {
            n = len;
        }
        memcpy(buf, exec_info->exe_path, n);
        return n;
    }
    if (at) {
        return host_syscall6(SYS_readlinkat, dirfd, (long)path, (long)buf, len,
                             0, 0);
    }
    return host_syscall6(SYS_readlink, (long)path, (long)buf, len, 0, 0, 0);
}

char **qemu_argv_saved;
int qemu_argc_saved;

/* Is the file at PATH an ELF file (which must run under the emulator)? */
static bool file_is_elf(int dirfd, const char *path)
{
    char hdr[4];
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    bool r;

    if (fd < 0) {
        return false;
    }
    r = read(fd, hdr, 4) == 4 && memcmp(hdr, "\177ELF", 4) == 0;
    close(fd);
    return r;
}

/*
 * execve: an ELF program is run by a new instance of the emulator with the
 * same options; anything else (scripts) goes to the host kernel, whose
 * interpreter is then itself exec'd through this path if it is ELF... on
 * the host, natively.
 */
/*
 * "#!interp [arg]" scripts: returns the interpreter (and its optional
 * argument in *arg) as the kernel parses the first line, or NULL.
 */
static char *script_interp(int dirfd, const char *path, char **arg)
{
    char line[256], *p, *e;
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    *arg = NULL;
    if (fd < 0) {
        return NULL;
    }
    n = read(fd, line, sizeof(line) - 1);
    close(fd);
    if (n < 3 || line[0] != '#' || line[1] != '!') {
        return NULL;
    }
    line[n] = 0;
    line[strcspn(line, "\n")] = 0;
    p = line + 2;
    p += strspn(p, " \t");
    e = p + strcspn(p, " \t");
    if (e == p) {
        return NULL;
    }
    if (*e) {
        *e++ = 0;
        e += strspn(e, " \t");
        /* the rest of the line (trailing blanks removed) is one argument */
        size_t l = strlen(e);
        while (l && (e[l - 1] == ' ' || e[l - 1] == '\t')) {
            e[--l] = 0;
        }
        if (*e) {
            *arg = strdup(e);
        }
    }
    return strdup(p);
}

static int64_t do_execve(int dirfd, const char *path, char **argv, char **envp,
                         int flags, bool at);

/* An ELF interpreter for a script: run "interp [arg] path argv[1..]". */
static int64_t do_execve_script(int dirfd, const char *path, char **argv,
                                char **envp, char *interp, char *iarg)
{
    int argc = 0, n = 0, i;
    char **nargv;
    int64_t r;

    if (faccessat(dirfd, path, X_OK, 0) != 0) {
        return -errno;
    }
    while (argv && argv[argc]) {
        argc++;
    }
    nargv = calloc(argc + 4, sizeof(char *));
    nargv[n++] = interp;
    if (iarg) {
        nargv[n++] = iarg;
    }
    nargv[n++] = (char *)path;
    for (i = 1; i < argc; i++) {
        nargv[n++] = argv[i];
    }
    nargv[n] = NULL;
    r = do_execve(AT_FDCWD, interp, nargv, envp, 0, false);
    free(nargv);
    return r;
}

static int64_t do_execve(int dirfd, const char *path, char **argv, char **envp,
                         int flags, bool at)
{
    char *iarg, *interp;

    if (path && path[0] && (interp = script_interp(dirfd, path, &iarg))) {
        if (dirfd == AT_FDCWD || path[0] == '/') {
            int64_t r = do_execve_script(dirfd, path, argv, envp, interp, iarg);
            free(interp);
            free(iarg);
            return r;
        }
        free(interp);
        free(iarg);
    }
    if (path && path[0] && file_is_elf(dirfd, path)) {
        int argc = 0, i, n = 0;
        char **nargv;
        char fullpath[PATH_MAX];

        while (argv && argv[argc]) {
            argc++;
        }
        nargv = calloc(qemu_argc_saved + argc + 8, sizeof(char *));
        nargv[n++] = "qemu-x86_64";
        for (i = 0; i < qemu_argc_saved; i++) {
            nargv[n++] = qemu_argv_saved[i];
        }
        nargv[n++] = "-0";
        nargv[n++] = argc ? argv[0] : (char *)path;
        if (dirfd != AT_FDCWD && path[0] != '/') {
            char lnk[64];
            ssize_t l;
            snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", dirfd);
            l = readlink(lnk, fullpath, sizeof(fullpath) - 1);
            if (l < 0) {
                free(nargv);
                return -EBADF;
            }
            fullpath[l] = 0;
            strncat(fullpath, "/", sizeof(fullpath) - strlen(fullpath) - 1);
            strncat(fullpath, path, sizeof(fullpath) - strlen(fullpath) - 1);
            nargv[n++] = fullpath;
        } else {
            nargv[n++] = (char *)path;
        }
        for (i = 1; i < argc; i++) {
            nargv[n++] = argv[i];
        }
        nargv[n] = NULL;
        /* The file must be executable for the guest, as for the kernel. */
        if (faccessat(dirfd, path, X_OK, 0) != 0) {
            int e = errno;
            free(nargv);
            return -e;
        }
        qemu_log_flush();
        if (do_strace) {
            /* the result is printed by nobody if the exec succeeds */
            if (write(2, "\n", 1) < 0) {
                /* stderr is gone */
            }
        }
        long r = host_syscall6(SYS_execve, (long)"/proc/self/exe", (long)nargv,
                               (long)envp, 0, 0, 0);
        free(nargv);
        return r;
    }
    if (at) {
        return host_syscall6(SYS_execveat, dirfd, (long)path, (long)argv,
                             (long)envp, flags, 0);
    }
    return host_syscall6(SYS_execve, (long)path, (long)argv, (long)envp, 0, 0,
                         0);
}

static int64_t do_fork(CPUX86State *env, uint64_t flags, uint64_t newsp,
                       uint64_t ptid, uint64_t ctid)
{
    pid_t pid;

    qemu_log_flush();
    pid = fork();
    if (pid < 0) {
        return -errno;
    }
    if (pid == 0) {
        pid_t me = getpid();
        if (flags & CLONE_CHILD_SETTID) {
            *(pid_t *)ctid = me;
        }
        if (flags & CLONE_CHILD_CLEARTID) {
            host_syscall6(SYS_set_tid_address, ctid, 0, 0, 0, 0, 0);
        }
        if (flags & CLONE_PARENT_SETTID) {
            *(pid_t *)ptid = me;
        }
        if (newsp) {
            env->regs[R_ESP] = newsp;
        }
        thread_task_state()->tid = me;
        return 0;
    }
    if (flags & CLONE_PARENT_SETTID) {
        *(pid_t *)ptid = pid;
    }
    return pid;
}

static int64_t do_clone(CPUX86State *env, uint64_t flags, uint64_t newsp,
                        uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
        if (!(flags & CLONE_THREAD)) {
            return -EINVAL;
        }
        return do_clone_thread(env, flags, newsp, ptid, ctid, tls);
    }
    return do_fork(env, flags, newsp, ptid, ctid);
}

static int64_t do_arch_prctl(CPUX86State *env, int code, uint64_t addr)
{
    switch (code) {
    case ARCH_SET_FS:
        env->segs[R_FS].base = addr;
        return 0;
    case ARCH_SET_GS:
        env->segs[R_GS].base = addr;
        return 0;
    case ARCH_GET_FS:
        *(uint64_t *)addr = env->segs[R_FS].base;
        return 0;
    case ARCH_GET_GS:
        *(uint64_t *)addr = env->segs[R_GS].base;
        return 0;
    default:
        return -EINVAL;
    }
}

/*
 * Syscalls that the kernel never restarts after a handler ran (they
 * return -EINTR, or -ERESTARTNOHAND / -ERESTART_RESTARTBLOCK which become
 * -EINTR when a handler runs).
 */
static bool syscall_never_restarts(int64_t num)
{
    switch (num) {
    case SYS_pause:
    case SYS_rt_sigsuspend:
    case SYS_nanosleep:
    case SYS_clock_nanosleep:
    case SYS_select:
    case SYS_pselect6:
    case SYS_poll:
    case SYS_ppoll:
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
    case SYS_rt_sigtimedwait:
    case SYS_io_getevents:
    case SYS_semtimedop:
        return true;
    default:
        return false;
    }
}

void user_set_page_prot(uint64_t start, uint64_t len, int prot)
{
    uint64_t s = start & TARGET_PAGE_MASK;
    uint64_t e = (start + len + TARGET_PAGE_SIZE - 1) & TARGET_PAGE_MASK;
    int flags = 0;

    if (len == 0 || e <= s) {
        return;
    }
    if (prot >= 0) {
        flags = PAGE_VALID;
        if (prot & PROT_READ) {
            flags |= PAGE_READ;
        }
        if (prot & PROT_WRITE) {
            flags |= PAGE_WRITE;
        }
        if (prot & PROT_EXEC) {
            flags |= PAGE_EXEC | PAGE_READ;
        }
    }
    page_set_flags(s, e - 1, flags);
}

/* page_unprotect_range over the buffers of an iovec array. */
static void unprotect_iov(uint64_t iov, uint64_t cnt)
{
    const struct iovec *v = (const struct iovec *)iov;

    if (!iov || cnt > 1024) {
        return;
    }
    for (uint64_t i = 0; i < cnt; i++) {
        page_unprotect_range((uint64_t)v[i].iov_base, v[i].iov_len);
    }
}

/*
 * Guest pages holding translated code are write-protected (SMC); a store
 * by the kernel into one fails with EFAULT (or a short count) instead of
 * faulting.  So the output buffers of the syscalls that read data into
 * guest memory are made writable first.
 */
static void unprotect_outputs(int64_t num, uint64_t a1, uint64_t a2,
                              uint64_t a3, uint64_t a4)
{
    switch (num) {
    case SYS_read:
    case SYS_pread64:
    case SYS_recvfrom:
    case SYS_getdents64:
        page_unprotect_range(a2, a3);
        break;
    case SYS_readv:
    case SYS_preadv:
    case SYS_preadv2:
        unprotect_iov(a2, a3);
        break;
    case SYS_recvmsg: {
        const struct msghdr *m = (const struct msghdr *)a2;
        if (m) {
            unprotect_iov((uint64_t)m->msg_iov, m->msg_iovlen);
        }
        break;
    }
    case SYS_getrandom:
        page_unprotect_range(a1, a2);
        break;
    case SYS_readlinkat:
        page_unprotect_range(a3, a4);
        break;
    case SYS_readlink:
    case SYS_getcwd:
        page_unprotect_range(num == SYS_getcwd ? a1 : a2,
                             num == SYS_getcwd ? a2 : a3);
        break;
    }
}

static int64_t do_syscall1(CPUX86State *env, int64_t num, uint64_t a1,
                           uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
                           uint64_t a6)
{
    int64_t ret;

    unprotect_outputs(num, a1, a2, a3, a4);
    switch (num) {
    case SYS_brk:
        return do_brk(a1);
    case SYS_mmap:
        ret = host_syscall6(num, a1, a2, a3, a4, a5, a6);
        if (ret >= 0) {
            user_set_page_prot(ret, a2, a3);
        }
        return ret;
    case SYS_mprotect:
        ret = host_syscall6(num, a1, a2, a3, 0, 0, 0);
        if (ret == 0) {
            user_set_page_prot(a1, a2, a3);
        }
        return ret;
    case SYS_munmap:
        ret = host_syscall6(num, a1, a2, 0, 0, 0, 0);
        if (ret == 0) {
            user_set_page_prot(a1, a2, -1);
        }
        return ret;
    case SYS_mremap:
        ret = host_syscall6(num, a1, a2, a3, a4, a5, 0);
        if (ret >= 0) {
            int f = page_get_flags(a1);
            int prot =
                ((f & PAGE_READ) ? PROT_READ : 0) |
                ((f & PAGE_WRITE) || (f & PAGE_WRITE_ORG) ? PROT_WRITE : 0) |
                ((f & PAGE_EXEC) ? PROT_EXEC : 0);
            if ((uint64_t)ret != a1) {
                user_set_page_prot(a1, a2, -1);
            } else if (a3 < a2) {
                user_set_page_prot(a1 + a3, a2 - a3, -1);
            }
            user_set_page_prot(ret, a3, prot);
        }
        return ret;
    case SYS_arch_prctl:
        return do_arch_prctl(env, a1, a2);
    case SYS_rt_sigaction:
        return do_rt_sigaction(a1, a2, a3, a4);
    case SYS_rt_sigprocmask:
        return do_rt_sigprocmask(a1, a2, a3, a4);
    case SYS_rt_sigreturn:
        return do_rt_sigreturn(env);
    case SYS_sigaltstack:
        return do_sigaltstack(env, a1, a2);
    case SYS_clone:
        /* x86-64 order: flags, newsp, parent_tid, child_tid, tls. */
        return do_clone(env, a1, a2, a3, a4, a5);
    case SYS_fork:
        return do_fork(env, SIGCHLD, 0, 0, 0);
    case SYS_vfork:
        return do_fork(env, SIGCHLD, 0, 0, 0);
    case SYS_clone3:
        return -ENOSYS; /* glibc falls back to clone */
    case SYS_rseq:
        return -ENOSYS; /* the host's glibc owns this thread's rseq area */
    case SYS_execve:
        return do_execve(AT_FDCWD, (const char *)a1, (char **)a2, (char **)a3,
                         0, false);
    case SYS_execveat:
        return do_execve(a1, (const char *)a2, (char **)a3, (char **)a4, a5,
                         true);
    case SYS_exit:
        qemu_log_flush();
        fflush(stderr);
        /* This thread only: unregister its CPU, then end the host thread
         * (the kernel clears and wakes its CLONE_CHILD_CLEARTID word). */
        cpu_exec_fini(&thread_task_state()->cpu->parent_obj);
        host_syscall6(SYS_exit, a1, 0, 0, 0, 0, 0);
        __builtin_unreachable();
    case SYS_exit_group:
        user_exit_group(a1);
    case SYS_readlink:
        return do_readlink(AT_FDCWD, (const char *)a1, (char *)a2, a3, false);
    case SYS_readlinkat:
        return do_readlink(a1, (const char *)a2, (char *)a3, a4, true);
    case SYS_open:
        ret = open_special((const char *)a1, a2, a3);
        if (ret != INT64_MIN) {
            return ret;
        }
        return host_syscall6(num, a1, a2, a3, 0, 0, 0);
    case SYS_openat:
        ret = open_special((const char *)a2, a3, a4);
        if (ret != INT64_MIN) {
            return ret;
        }
        return host_syscall6(num, a1, a2, a3, a4, 0, 0);
    case SYS_gettid:
        return host_syscall6(num, 0, 0, 0, 0, 0, 0);
    case SYS_close:
        ret = host_syscall6(num, a1, 0, 0, 0, 0, 0);
        if (ret == 0) {
            set_proc_fd(a1, 0);
        }
        return ret;
    case SYS_fstat:
        ret = host_syscall6(num, a1, a2, 0, 0, 0, 0);
        if (ret == 0) {
            fix_proc_stat(num, a1, a2);
        }
        return ret;
    case SYS_newfstatat:
    case SYS_statx:
        ret = host_syscall6(num, a1, a2, a3, a4, a5, a6);
        if (ret == 0 && a2 && *(const char *)a2 == 0 &&
            ((num == SYS_statx ? a3 : a4) & AT_EMPTY_PATH)) {
            fix_proc_stat(num, a1, num == SYS_statx ? a5 : a3);
        }
        return ret;
    case SYS_ptrace:
        return -EPERM;
    case SYS_pkey_alloc:
        /* no PKU/OSPKE in the CPU model: as Linux on such a CPU */
        return -ENOSPC;
    case SYS_pkey_free:
        return -EINVAL;
    case SYS_pkey_mprotect:
        if ((int)a4 != -1) {
            return -EINVAL;
        }
        ret = host_syscall6(SYS_mprotect, a1, a2, a3, 0, 0, 0);
        if (ret == 0) {
            user_set_page_prot(a1, a2, a3);
        }
        return ret;
    default:
        return host_syscall6(num, a1, a2, a3, a4, a5, a6);
    }
}

int64_t do_syscall(CPUX86State *env, int64_t num, uint64_t a1, uint64_t a2,
                   uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6)
{
    int64_t ret;

    if (do_strace) {
        strace_print_call(num, a1, a2, a3, a4, a5, a6);
    }
    if (num != SYS_rt_sigreturn && signal_is_pending()) {
        /* Deliver first, then run the syscall again. */
        ret = -QEMU_ERESTARTNOINTR;
    } else {
        ret = do_syscall1(env, num, a1, a2, a3, a4, a5, a6);
        if (ret == -EINTR && signal_is_pending() &&
            !syscall_never_restarts(num)) {
            ret = -QEMU_ERESTARTSYS;
        }
    }
    if (do_strace) {
        strace_print_ret(num, ret);
    }
    return ret;
}
