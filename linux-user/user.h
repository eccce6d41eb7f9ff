/*
 * linux-user internals: the loaded image, per-thread task state, and the
 * entry points main.c, elfload.c, syscall.c, signal.c and strace.c share.
 *
 * Guest address space: guest_base is 0 on an x86-64 host, so a guest
 * address is the host address.  Pointer arguments of syscalls pass through
 * unchanged; what needs emulating is what the emulator itself owns: brk,
 * signals, threads, execve, exit and a few /proc/self files.
 */
#ifndef LINUX_USER_USER_H
#define LINUX_USER_USER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "accel/tcg/cpu-exec.h"
#include "target/x86/cpu.h"

#define TARGET_NSIG 64

/* What the ELF loader found and set up. */
typedef struct ImageInfo {
    uint64_t load_bias;
    uint64_t load_addr; /* address of the ELF header in memory */
    uint64_t entry;     /* program entry (after relocation) */
    uint64_t interp_base;
    uint64_t interp_entry;
    uint64_t phdr;
    uint64_t phnum;
    uint64_t start_code, end_code, start_data, end_data;
    uint64_t start_brk, brk;
    uint64_t start_stack;
    uint64_t stack_limit;
    uint64_t saved_auxv;
    uint64_t auxv_len;
    char *exe_path;              /* absolute host path of the program */
    uint64_t arg_start, arg_end; /* guest argv strings (/proc/self/cmdline) */
} ImageInfo;

/* A signal queued for a thread, with its siginfo. */
typedef struct PendingSignal {
    bool pending;
    siginfo_t info;
} PendingSignal;

/* Per guest thread. */
typedef struct TaskState {
    struct X86ArchCPU *cpu;
    pid_t tid;
    /* sigaltstack of the guest */
    uint64_t ss_sp;
    uint64_t ss_size;
    int ss_flags;
    /* async signals caught by the host handler, not yet delivered */
    volatile int signal_pending;
    PendingSignal sigtab[TARGET_NSIG + 1];
    /* a synchronous fault to deliver first (SIGSEGV etc. from the CPU) */
    PendingSignal sync_signal;
    /* the guest's blocked set (bit n-1 = signal n); the host thread mask is
     * this minus the synchronous fault signals, which must stay deliverable */
    uint64_t sigmask;
} TaskState;

extern ImageInfo *exec_info;
extern char *interp_prefix;       /* -L / QEMU_LD_PREFIX */
extern uint64_t guest_stack_size; /* -s / QEMU_STACK_SIZE; 0 = RLIMIT_STACK */
extern bool do_strace;
extern const char *cpu_model_name;
extern char **qemu_argv_saved; /* for execve of guest binaries */
extern int qemu_argc_saved;

/* elfload.c */
/*
 * Loads PATH (and its PT_INTERP) and builds the initial stack with argv,
 * envp and auxv.  Returns false with a message on stderr on failure.
 */
bool loader_exec(const char *path, char **argv, char **envp, ImageInfo *info);
/* Opens a guest path, trying the -L prefix first. Returns an fd or -1. */
int open_guest_path(const char *path, int flags);
/* Returns a malloc'd path under the -L prefix if it exists, else NULL. */
char *prefixed_path(const char *path);

/* syscall.c */
/* Runs guest syscall NUM; returns the value for RAX (or the -ERESTART). */
int64_t do_syscall(CPUX86State *env, int64_t num, uint64_t a1, uint64_t a2,
                   uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6);
void syscall_init(void);
#define QEMU_ERESTARTSYS    512 /* as the kernel's ERESTARTSYS */
#define QEMU_ESIGRETURN     513 /* rt_sigreturn: registers already set */
#define QEMU_ERESTARTNOINTR 514 /* restart whatever the handler flags */

/* strace.c */
void strace_print_call(int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5, uint64_t a6);
void strace_print_ret(int64_t num, int64_t ret);
const char *strace_syscall_name(int64_t num);

/* signal.c */
void signal_init(void);
/* Delivers any pending signal by building a frame; call between TBs. */
void process_pending_signals(CPUX86State *env);
/* Queues a synchronous signal raised by the CPU (fault, #UD, #DE ...). */
void queue_sync_signal(CPUX86State *env, int sig, int code, uint64_t addr);
int64_t do_rt_sigaction(int sig, uint64_t act, uint64_t oact, size_t sz);
int64_t do_rt_sigreturn(CPUX86State *env);
int64_t do_sigaltstack(CPUX86State *env, uint64_t ss, uint64_t oss);
int64_t do_rt_sigprocmask(int how, uint64_t set, uint64_t oset, size_t sz);
bool signal_is_pending(void);
/* Action of SIG: true if the guest installed a handler with SA_RESTART. */
bool signal_restarts(int sig);
void signal_init_thread(TaskState *ts);
/* Kills the process with SIG the way the host would (no handler). */
void dump_core_and_abort(int sig) __attribute__((noreturn));

/* main.c */
TaskState *thread_task_state(void);
void cpu_loop(CPUX86State *env) __attribute__((noreturn));
/* Creates a guest thread for clone(CLONE_VM); returns tid or -errno. */
int64_t do_clone_thread(CPUX86State *env, uint64_t flags, uint64_t newsp,
                        uint64_t ptid, uint64_t ctid, uint64_t tls);
/* Asks the calling thread's CPU to leave generated code soon (async-safe). */
void thread_kick_cpu(void);
/* The CPU state of the calling thread. */
CPUX86State *thread_env(void);
/* Tells accel/tcg the guest's new protection of [start, start+len). */
void user_set_page_prot(uint64_t start, uint64_t len, int prot);
/* Stops all other guest threads' use of TBs (for exit_group) */
void user_exit_group(int status) __attribute__((noreturn));

/* Raw host syscall: returns -errno on failure, never touches errno. */
static inline long host_syscall6(long n, long a1, long a2, long a3, long a4,
                                 long a5, long a6)
{
    long ret;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8),
                       "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

#endif
