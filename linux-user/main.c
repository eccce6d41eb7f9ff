/*
 * qemu-x86_64: runs an x86-64 Linux program on the TCG.
 *
 *     qemu-x86_64 [options] program [args...]
 *
 * Options (and the environment variables that set them, as QEMU):
 *   -L path        QEMU_LD_PREFIX     prefix for the ELF interpreter/libs
 *   -E var=value   QEMU_SET_ENV       set a variable in the guest env
 *   -U var         QEMU_UNSET_ENV     unset a variable in the guest env
 *   -0 argv0       QEMU_ARGV0         argv[0] of the guest
 *   -s size        QEMU_STACK_SIZE    guest stack size (default RLIMIT_STACK)
 *   -cpu model     QEMU_CPU           CPU model (-cpu help lists them)
 *   -d items       QEMU_LOG           log items (-d help lists them)
 *   -D file        QEMU_LOG_FILENAME  log to file
 *   -strace        QEMU_STRACE        log syscalls on stderr
 *   -one-insn-per-tb                  one guest insn per TB
 *   -h, -version
 *
 * The CPU loop runs cpu_exec() and handles what comes back: SYSCALL,
 * CPU exceptions (turned into signals), and EXCP_INTERRUPT (signals).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config-host.h"
#include "linux-user/lockstep.h"
#include "linux-user/user.h"
#include "util/cutils.h"
#include "util/error.h"
#include "util/log.h"

extern char **environ;

ImageInfo *exec_info;
bool do_strace;
const char *cpu_model_name = "max";
static __thread TaskState *thread_ts;

TaskState *thread_task_state(void)
{
    return thread_ts;
}

CPUX86State *thread_env(void)
{
    return &thread_ts->cpu->env;
}

void thread_kick_cpu(void)
{
    if (thread_ts && thread_ts->cpu) {
        cpu_exit(&thread_ts->cpu->parent_obj);
    }
}

void user_exit_group(int status)
{
    lockstep_flush();
    qemu_log_flush();
    fflush(stdout);
    fflush(stderr);
    host_syscall6(SYS_exit_group, status, 0, 0, 0, 0, 0);
    __builtin_unreachable();
}

static void handle_exception(CPUX86State *env, int trap)
{
    switch (trap) {
    case EXCP00_DIVZ:
        queue_sync_signal(env, SIGFPE, FPE_INTDIV, env->rip);
        break;
    case EXCP10_COPR:
    case EXCP13_XMM:
        queue_sync_signal(env, SIGFPE, 0, env->rip);
        break;
    case EXCP06_ILLOP:
        queue_sync_signal(env, SIGILL, ILL_ILLOPN, env->rip);
        break;
    case EXCP01_DB:
    case EXCP03_INT3:
        queue_sync_signal(env, SIGTRAP, TRAP_BRKPT, 0);
        break;
    case EXCP04_INTO:
    case EXCP05_BOUND:
    case EXCP0D_GPF:
        /* Linux: #GP from user mode is SIGSEGV with si_code SI_KERNEL. */
        queue_sync_signal(env, SIGSEGV, SI_KERNEL, 0);
        break;
    case EXCP0E_PAGE:
        /* from accel/tcg's record_sigsegv (e.g. fetch from a page that is
         * not executable or not mapped) */
        queue_sync_signal(env, SIGSEGV,
                          (env->error_code & 1) ? SEGV_ACCERR : SEGV_MAPERR,
                          env->cr[2]);
        break;
    case EXCP11_ALGN:
        queue_sync_signal(env, SIGBUS, BUS_ADRALN, env->rip);
        break;
    default:
        fprintf(stderr,
                "qemu-x86_64: unhandled CPU exception 0x%x at "
                "rip=0x%llx\n",
                trap, (unsigned long long)env->rip);
        dump_core_and_abort(SIGILL);
    }
}

void cpu_loop(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);

    for (;;) {
        int trap = cpu_exec(cs);
        int64_t ret;

        switch (trap) {
        case EXCP_SYSCALL:
            if (lockstep_enabled) {
                lockstep_syscall_entry(env);
            }
            ret = do_syscall(env, env->regs[R_EAX], env->regs[R_EDI],
                             env->regs[R_ESI], env->regs[R_EDX], env->regs[10],
                             env->regs[8], env->regs[9]);
            if (ret == -QEMU_ERESTARTNOINTR) {
                env->rip -= 2;
            } else if (ret == -QEMU_ERESTARTSYS) {
                /* Rerun the syscall after the handler if it asks so. */
                int sig;
                bool restart = true;
                for (sig = 1; sig <= TARGET_NSIG; sig++) {
                    if (thread_ts->sigtab[sig].pending &&
                        !signal_restarts(sig)) {
                        restart = false;
                    }
                }
                if (restart) {
                    env->rip -= 2;
                } else {
                    env->regs[R_EAX] = -EINTR;
                }
            } else if (ret != -QEMU_ESIGRETURN) {
                env->regs[R_EAX] = ret;
            }
            if (lockstep_enabled) {
                lockstep_syscall_done(env);
            }
            break;
        case EXCP_INTERRUPT:
        case EXCP_YIELD:
            break;
        case EXCP_ATOMIC:
            break;
        default:
            handle_exception(env, trap);
            break;
        }
        process_pending_signals(env);
    }
}

/* ---- threads ---------------------------------------------------------- */

typedef struct NewThread {
    X86ArchCPU *cpu;
    uint64_t flags, ptid, ctid;
    uint64_t sigmask;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pid_t tid;
} NewThread;

static void *guest_thread_start(void *opaque)
{
    NewThread *nt = opaque;
    X86ArchCPU *cpu = nt->cpu;
    TaskState *ts = calloc(1, sizeof(*ts));
    pid_t tid = host_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0);

    ts->cpu = cpu;
    ts->tid = tid;
    ts->ss_flags = 2;
    thread_ts = ts;
    cpu->parent_obj.opaque = ts;
    if (nt->flags & CLONE_CHILD_SETTID) {
        *(pid_t *)nt->ctid = tid;
    }
    if (nt->flags & CLONE_CHILD_CLEARTID) {
        host_syscall6(SYS_set_tid_address, nt->ctid, 0, 0, 0, 0, 0);
    }
    if (nt->flags & CLONE_PARENT_SETTID) {
        *(pid_t *)nt->ptid = tid;
    }
    ts->sigmask = nt->sigmask;
    x86_mxcsr_to_host(&cpu->env);
    pthread_mutex_lock(&nt->lock);
    nt->tid = tid;
    pthread_cond_signal(&nt->cond);
    pthread_mutex_unlock(&nt->lock);
    /* From here on nt belongs to the parent. */
    {
        uint64_t m =
            ts->sigmask & ~((1ULL << (SIGSEGV - 1)) | (1ULL << (SIGBUS - 1)) |
                            (1ULL << (SIGFPE - 1)) | (1ULL << (SIGILL - 1)) |
                            (1ULL << (SIGTRAP - 1)));
        host_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, 0, 8, 0, 0);
    }
    cpu_loop(&cpu->env);
    return NULL;
}

int64_t do_clone_thread(CPUX86State *env, uint64_t flags, uint64_t newsp,
                        uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    NewThread nt;
    pthread_attr_t attr;
    pthread_t th;
    sigset_t all, old;
    X86ArchCPU *cpu = x86_arch_cpu_new();
    int r;

    lockstep_attach(cpu);

    x86_mxcsr_from_host(env);
    cpu->env = *env;
    cpu->env.regs[R_EAX] = 0;
    if (newsp) {
        cpu->env.regs[R_ESP] = newsp;
    }
    if (flags & CLONE_SETTLS) {
        cpu->env.segs[R_FS].base = tls;
    }
    memset(&nt, 0, sizeof(nt));
    nt.cpu = cpu;
    nt.flags = flags;
    nt.ptid = ptid;
    nt.ctid = ctid;
    nt.sigmask = thread_ts->sigmask;
    pthread_mutex_init(&nt.lock, NULL);
    pthread_cond_init(&nt.cond, NULL);

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_mutex_lock(&nt.lock);
    r = pthread_create(&th, &attr, guest_thread_start, &nt);
    if (r == 0) {
        while (nt.tid == 0) {
            pthread_cond_wait(&nt.cond, &nt.lock);
        }
    }
    pthread_mutex_unlock(&nt.lock);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        return -r;
    }
    return nt.tid;
}

/* ---- command line ----------------------------------------------------- */

static void usage(int status)
{
    printf("usage: qemu-x86_64 [options] program [arguments...]\n"
           "Linux CPU emulator (compiled for x86_64 emulation)\n\n"
           "Options and associated environment variables:\n\n"
           "Argument             Env-variable      Description\n"
           "-h                                     print this help\n"
           "-L path              QEMU_LD_PREFIX    set the elf interpreter "
           "prefix to 'path'\n"
           "-cpu model           QEMU_CPU          select CPU (-cpu help for "
           "list)\n"
           "-E var=value         QEMU_SET_ENV      sets targets environment "
           "variable\n"
           "-U var               QEMU_UNSET_ENV    unsets targets environment "
           "variable\n"
           "-s size              QEMU_STACK_SIZE   set the stack size to "
           "'size' bytes\n"
           "-0 argv0             QEMU_ARGV0        forces target process "
           "argv[0] to be 'argv0'\n"
           "-d item[,...]        QEMU_LOG          enable logging of "
           "specified items (use '-d help' for a list of items)\n"
           "-D logfile           QEMU_LOG_FILENAME write logs to "
           "'logfile' (default stderr)\n"
           "-one-insn-per-tb     QEMU_ONE_INSN_PER_TB  run with one guest "
           "instruction per emulated TB\n"
           "-strace              QEMU_STRACE       log system calls\n"
           "-version             QEMU_VERSION      display version "
           "information and exit\n");
    exit(status);
}

static char **env_list;
static int env_count;

static void env_set(const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
    int i;

    for (i = 0; i < env_count; i++) {
        if (strncmp(env_list[i], kv, klen) == 0 && env_list[i][klen] == '=') {
            if (eq) {
                env_list[i] = strdup(kv);
            } else {
                memmove(&env_list[i], &env_list[i + 1],
                        (env_count - i) * sizeof(char *));
                env_count--;
            }
            return;
        }
    }
    if (eq) {
        env_list = realloc(env_list, (env_count + 2) * sizeof(char *));
        env_list[env_count++] = strdup(kv);
        env_list[env_count] = NULL;
    }
}

static void set_log_items(const char *items)
{
    unsigned mask;
    Error *err = NULL;

    if (strcmp(items, "help") == 0) {
        qemu_log_print_help(stdout);
        exit(0);
    }
    if (!qemu_log_parse_items(items, &mask, &err)) {
        error_report_err(err);
        exit(1);
    }
    qemu_log_set_mask(mask);
}

static void env_apply_list(const char *list, bool set)
{
    char *dup = strdup(list), *save = NULL, *tok;

    for (tok = strtok_r(dup, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (set) {
            env_set(tok);
        } else {
            char *u = malloc(strlen(tok) + 1);
            strcpy(u, tok);
            env_set(u); /* no '=': unset */
        }
    }
}

int main(int argc, char **argv)
{
    const char *argv0 = NULL;
    const char *log_file = getenv("QEMU_LOG_FILENAME");
    int optind = 1;
    ImageInfo info = {0};
    X86ArchCPU *cpu;
    TaskState *ts;
    int i;

    error_set_progname("qemu-x86_64");
    lockstep_init();
    for (env_count = 0; environ[env_count]; env_count++) {
    }
    env_list = calloc(env_count + 1, sizeof(char *));
    for (i = 0; i < env_count; i++) {
        env_list[i] = environ[i];
    }
    if (getenv("QEMU_LD_PREFIX")) {
        interp_prefix = strdup(getenv("QEMU_LD_PREFIX"));
    }
    if (getenv("QEMU_STRACE")) {
        do_strace = true;
    }
    if (getenv("QEMU_CPU")) {
        cpu_model_name = getenv("QEMU_CPU");
    }
    if (getenv("QEMU_STACK_SIZE") &&
        parse_size(getenv("QEMU_STACK_SIZE"), &guest_stack_size) != 0) {
        error_report("QEMU_STACK_SIZE: invalid stack size");
        exit(1);
    }
    if (getenv("QEMU_ARGV0")) {
        argv0 = getenv("QEMU_ARGV0");
    }
    if (getenv("QEMU_LOG")) {
        set_log_items(getenv("QEMU_LOG"));
    }
    if (getenv("QEMU_SET_ENV")) {
        env_apply_list(getenv("QEMU_SET_ENV"), true);
    }
    if (getenv("QEMU_UNSET_ENV")) {
        env_apply_list(getenv("QEMU_UNSET_ENV"), false);
    }
    if (getenv("QEMU_ONE_INSN_PER_TB")) {
        x86_one_insn_per_tb = true;
    }

    /* Options come before the program name. */
    qemu_argv_saved = calloc(argc + 1, sizeof(char *));
    qemu_argc_saved = 0;
    while (optind < argc && argv[optind][0] == '-') {
        const char *opt = argv[optind] + 1;
        const char *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
        bool takes_arg = true;

        if (opt[0] == '-') {
            opt++;
        }
        if (opt[0] == 0) {
            optind++;
            break;
        }
        if (!strcmp(opt, "h") || !strcmp(opt, "help")) {
            usage(0);
        } else if (!strcmp(opt, "version")) {
            printf("qemu-x86_64 version %s (Quasar %s)\n", QEMU_VERSION_COMPAT,
                   QUASAR_VERSION);
            exit(0);
        } else if (!strcmp(opt, "strace")) {
            do_strace = true;
            takes_arg = false;
        } else if (!strcmp(opt, "one-insn-per-tb") ||
                   !strcmp(opt, "singlestep")) {
            x86_one_insn_per_tb = true;
            takes_arg = false;
        } else if (!arg) {
            error_report("-%s: option requires an argument", opt);
            exit(1);
        } else if (!strcmp(opt, "L")) {
            interp_prefix = strdup(arg);
        } else if (!strcmp(opt, "E")) {
            env_apply_list(arg, true);
        } else if (!strcmp(opt, "U")) {
            env_apply_list(arg, false);
        } else if (!strcmp(opt, "0")) {
            argv0 = arg;
        } else if (!strcmp(opt, "s")) {
            if (parse_size(arg, &guest_stack_size) != 0 ||
                guest_stack_size < 64 * 1024) {
                error_report("-s %s: invalid stack size", arg);
                exit(1);
            }
        } else if (!strcmp(opt, "cpu")) {
            cpu_model_name = arg;
        } else if (!strcmp(opt, "d")) {
            set_log_items(arg);
        } else if (!strcmp(opt, "D")) {
            log_file = arg;
        } else if (!strcmp(opt, "B") || !strcmp(opt, "R") ||
                   !strcmp(opt, "p") || !strcmp(opt, "seed") ||
                   !strcmp(opt, "plugin") || !strcmp(opt, "g")) {
            /* accepted for compatibility; no effect here */
        } else {
            error_report("unknown option '%s'", argv[optind]);
            usage(1);
        }
        /* Remember everything but -0 for execve of guest programs. */
        if (strcmp(opt, "0") != 0) {
            qemu_argv_saved[qemu_argc_saved++] = argv[optind];
            if (takes_arg) {
                qemu_argv_saved[qemu_argc_saved++] = argv[optind + 1];
            }
        }
        optind += takes_arg ? 2 : 1;
    }
    if (!strcmp(cpu_model_name, "help")) {
        cpu_x86_list_models();
        exit(0);
    }
    if (optind >= argc) {
        usage(1);
    }
    if (log_file) {
        Error *err = NULL;
        if (!qemu_log_set_file(log_file, &err)) {
            error_report_err(err);
            exit(1);
        }
    }
    if (!strcmp(cpu_model_name, "help")) {
        cpu_x86_list_models();
        exit(0);
    }
    if (!cpu_x86_select_model(cpu_model_name)) {
        error_report("unable to find CPU model '%s'", cpu_model_name);
        exit(1);
    }

    const char *path = argv[optind];
    char **gargv = calloc(argc - optind + 1, sizeof(char *));
    for (i = optind; i < argc; i++) {
        gargv[i - optind] = argv[i];
    }
    if (argv0) {
        gargv[0] = (char *)argv0;
    }

    tcg_exec_init(0);
    x86_translate_init();
    cpu = x86_arch_cpu_new();
    lockstep_attach(cpu);
    ts = calloc(1, sizeof(*ts));
    ts->cpu = cpu;
    ts->tid = getpid();
    cpu->parent_obj.opaque = ts;
    thread_ts = ts;
    signal_init_thread(ts);
    signal_init();

    exec_info = &info;
    if (!loader_exec(path, gargv, env_list, &info)) {
        exit(1);
    }
    syscall_init();
    cpu->env.regs[R_ESP] = info.start_stack;
    cpu->env.rip = info.interp_base ? info.interp_entry : info.entry;
    if (lockstep_enabled) {
        lockstep_start(&cpu->env);
    }
    cpu_loop(&cpu->env);
}
