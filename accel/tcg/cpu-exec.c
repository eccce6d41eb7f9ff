/*
 * The execution loop: find or translate the TB for the current CPU state,
 * chain it to the previous one, run it, repeat until an exception or an
 * exit request.  Exceptions raised from helpers come back here through
 * siglongjmp (cpu_loop_exit).  Also: exclusive sections, the indirect
 * branch lookup helper used by generated code, and -d exec/cpu logging.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "accel/tcg/tb-internal.h"
#include "tcg/tcg-internal.h"
#include "util/log.h"

__thread CPUState *current_cpu;
ptrdiff_t tcg_cpu_env_offset;
CPUState *first_cpu;
const TCGCPUOps *tcg_cpu_ops;

void tb_cache_init(void);

static pthread_mutex_t cpu_list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exclusive_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t exclusive_resume = PTHREAD_COND_INITIALIZER;
static bool exclusive_active;
static int cpu_next_index;

static size_t tcg_exec_code_size;

void tb_stats_print(FILE *f)
{
    fprintf(f,
            "tb: translated %" PRIu64 " flushes %" PRIu64
            " invalidated %" PRIu64 " chained %" PRIu64 " slow lookups %" PRIu64
            " helper lookups %" PRIu64 "\n",
            tb_stats.translated, tb_stats.flushes, tb_stats.invalidated,
            tb_stats.chained, tb_stats.lookups_slow, tb_stats.lookups_helper);
}

/*
 * fork() in a multi-threaded guest: hold the locks across the fork so
 * the child does not inherit one held by a thread that no longer exists,
 * and keep only the forking vCPU in the child's CPU list.
 */
static void tcg_fork_prepare(void)
{
    pthread_mutex_lock(&tb_lock);
    pthread_mutex_lock(&page_lock);
    pthread_mutex_lock(&cpu_list_lock);
}

static void tcg_fork_parent(void)
{
    pthread_mutex_unlock(&cpu_list_lock);
    pthread_mutex_unlock(&page_lock);
    pthread_mutex_unlock(&tb_lock);
}

static void tcg_fork_child(void)
{
    pthread_mutex_init(&cpu_list_lock, NULL);
    pthread_mutex_init(&page_lock, NULL);
    pthread_mutex_init(&tb_lock, NULL);
    pthread_cond_init(&exclusive_cond, NULL);
    pthread_cond_init(&exclusive_resume, NULL);
    exclusive_active = false;
    if (current_cpu) {
        current_cpu->next = NULL;
        first_cpu = current_cpu;
    }
}

static void tcg_exec_init_once(void)
{
    pthread_atfork(tcg_fork_prepare, tcg_fork_parent, tcg_fork_child);
    tcg_init(tcg_exec_code_size, TCG_MAX_INSN_START_WORDS);
    tb_cache_init();
}

void tcg_exec_init(size_t code_size)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    /* QUASAR_TB_SIZE_KB: code buffer size, to stress flushes in tests */
    const char *kb = getenv("QUASAR_TB_SIZE_KB");
    if (kb && atoi(kb) >= 64) {
        code_size = (size_t)atoi(kb) * 1024;
    }
    tcg_exec_code_size = code_size;
    pthread_once(&once, tcg_exec_init_once);
}

void cpu_exec_init(CPUState *cpu, const TCGCPUOps *ops)
{
    tcg_exec_init(0);
    cpu->tcg_ops = ops;
    cpu->env_ptr = (char *)cpu + ops->env_offset;
    cpu->exception_index = -1;
    /* empty entries: tb NULL and a pc no guest can have */
    cpu->tb_jmp_cache = g_new0(TBJmpCacheEntry, TB_JMP_CACHE_SIZE);
    for (unsigned i = 0; i < TB_JMP_CACHE_SIZE; i++) {
        cpu->tb_jmp_cache[i].pc = (uint64_t)-1;
    }
    tcg_cpu_env_offset = ops->env_offset;
    tcg_cpu_ops = ops;
    tcg_ctx->insn_start_words = ops->insn_start_words;
    if (ops->tb_key_is_pc) {
        TCGContext *s = tcg_ctx;
        s->lookup_inline = true;
        s->lookup_pc_off = ops->pc_offset;
        s->lookup_cache_off =
            (intptr_t)offsetof(CPUState, tb_jmp_cache) - ops->env_offset;
        s->lookup_bits = TB_JMP_CACHE_BITS;
        s->lookup_entry_size = sizeof(TBJmpCacheEntry);
        s->lookup_entry_tb = offsetof(TBJmpCacheEntry, tb);
        s->lookup_entry_pc = offsetof(TBJmpCacheEntry, pc);
        s->lookup_entry_tc = offsetof(TBJmpCacheEntry, tc_ptr);
    }
    /* tb_invalidate walks the list under tb_lock */
    tb_lock_acquire();
    pthread_mutex_lock(&cpu_list_lock);
    cpu->cpu_index = cpu_next_index++;
    cpu->next = first_cpu;
    __atomic_store_n(&first_cpu, cpu, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&cpu_list_lock);
    tb_lock_release();
}

void cpu_exec_fini(CPUState *cpu)
{
    /* tb_invalidate walks the list under tb_lock */
    tb_lock_acquire();
    pthread_mutex_lock(&cpu_list_lock);
    for (CPUState **pp = &first_cpu; *pp; pp = &(*pp)->next) {
        if (*pp == cpu) {
            *pp = cpu->next;
            break;
        }
    }
    pthread_cond_broadcast(&exclusive_cond);
    pthread_mutex_unlock(&cpu_list_lock);
    tb_lock_release();
    /* Unlinked under tb_lock: no invalidation walks this cache any more. */
    g_free(cpu->tb_jmp_cache);
    cpu->tb_jmp_cache = NULL;
}

void cpu_exit(CPUState *cpu)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_SEQ_CST);
}

/* ---- exclusive sections ----------------------------------------------- */

void cpu_exec_start(CPUState *cpu)
{
    pthread_mutex_lock(&cpu_list_lock);
    while (exclusive_active) {
        pthread_cond_wait(&exclusive_resume, &cpu_list_lock);
    }
    cpu->running = true;
    pthread_mutex_unlock(&cpu_list_lock);
}

void cpu_exec_end(CPUState *cpu)
{
    pthread_mutex_lock(&cpu_list_lock);
    cpu->running = false;
    if (exclusive_active) {
        pthread_cond_broadcast(&exclusive_cond);
    }
    pthread_mutex_unlock(&cpu_list_lock);
}

static bool others_running(CPUState *self)
{
    for (CPUState *c = first_cpu; c; c = c->next) {
        if (c != self && c->running) {
            return true;
        }
    }
    return false;
}

void start_exclusive(void)
{
    CPUState *self = current_cpu;
    pthread_mutex_lock(&cpu_list_lock);
    if (self) {
        /* we wait like a stopped CPU, so two flushers can't deadlock */
        self->running = false;
        pthread_cond_broadcast(&exclusive_cond);
    }
    while (exclusive_active) {
        pthread_cond_wait(&exclusive_resume, &cpu_list_lock);
    }
    exclusive_active = true;
    for (CPUState *c = first_cpu; c; c = c->next) {
        if (c != self && c->running) {
            cpu_exit(c);
        }
    }
    while (others_running(self)) {
        pthread_cond_wait(&exclusive_cond, &cpu_list_lock);
    }
    pthread_mutex_unlock(&cpu_list_lock);
}

void end_exclusive(void)
{
    CPUState *self = current_cpu;
    pthread_mutex_lock(&cpu_list_lock);
    exclusive_active = false;
    if (self) {
        self->running = true;
    }
    pthread_cond_broadcast(&exclusive_resume);
    pthread_mutex_unlock(&cpu_list_lock);
}

/* ---- leaving generated code ------------------------------------------- */

void cpu_loop_exit(CPUState *cpu)
{
    siglongjmp(cpu->jmp_env, 1);
}

bool cpu_restore_state(CPUState *cpu, uintptr_t host_pc)
{
    TranslationBlock *tb = tb_find_by_host_pc(host_pc);
    if (!tb && helper_retaddr > 1) {
        /* fault inside a helper: use the helper's return address */
        tb = tb_find_by_host_pc(helper_retaddr - 1);
        host_pc = helper_retaddr - 1;
    }
    if (!tb) {
        return false;
    }
    tb_restore_state(cpu, tb, host_pc);
    return true;
}

void cpu_loop_exit_restore(CPUState *cpu, uintptr_t host_retaddr)
{
    if (host_retaddr) {
        TranslationBlock *tb = tb_find_by_host_pc(host_retaddr - 1);
        if (tb) {
            tb_restore_state(cpu, tb, host_retaddr - 1);
        }
    }
    cpu_loop_exit(cpu);
}

void cpu_loop_exit_noexc(CPUState *cpu)
{
    cpu->exception_index = -1;
    cpu_loop_exit(cpu);
}

void cpu_loop_exit_sigsegv(CPUState *cpu, uint64_t addr,
                           MMUAccessType access_type, bool maperr, uintptr_t ra)
{
    if (ra) {
        TranslationBlock *tb = tb_find_by_host_pc(ra - 1);
        if (tb) {
            tb_restore_state(cpu, tb, ra - 1);
        }
    }
    cpu->tcg_ops->record_sigsegv(cpu, addr, access_type, maperr, ra);
    cpu_loop_exit(cpu);
}

/* ---- indirect branches ------------------------------------------------ */

/*
 * Called by generated code (tcg_gen_lookup_and_goto_ptr) with the guest
 * pc already in env.  Returns the host code to jump to: the next TB, or
 * the epilogue (return to cpu_exec) if it is not translated yet or an
 * exit was requested.
 */
static const void *helper_lookup_tb_ptr(void *env)
{
    CPUState *cpu = env_cpu(env);
    uint64_t pc, cs_base;
    uint32_t flags;
    tb_stats.lookups_helper++; /* racy between vCPUs; statistics only */
    /* -d nochain: every TB goes through cpu_exec (complete traces) */
    if (__atomic_load_n(&cpu->exit_request, __ATOMIC_RELAXED) ||
        qemu_loglevel_mask(CPU_LOG_TB_NOCHAIN)) {
        return tcg_code_gen_epilogue();
    }
    cpu->tcg_ops->get_tb_cpu_state(cpu, &pc, &cs_base, &flags);
    const void *tc = tb_lookup_tc(cpu, pc, cs_base, flags);
    if (!tc) {
        return tcg_code_gen_epilogue();
    }
    if (qemu_loglevel_mask(CPU_LOG_EXEC)) {
        qemu_log("Trace %d: %p [%016" PRIx64 "/%08x] (goto_ptr)\n",
                 cpu->cpu_index, tc, pc, flags);
    }
    return tc;
}

const TCGHelperInfo helper_info_lookup_tb_ptr = {
    .func = helper_lookup_tb_ptr,
    .name = "lookup_tb_ptr",
    .flags = TCG_CALL_NO_WG_SE,
    .ret = TCG_CALL_PTR,
    .nargs = 1,
    .args = {TCG_CALL_PTR},
};

/* ---- the loop --------------------------------------------------------- */

int cpu_exec(CPUState *cpu)
{
    const TCGCPUOps *ops = cpu->tcg_ops;
    TranslationBlock *volatile last_tb = NULL;
    volatile int tb_exit = 0;
    int ret;

    current_cpu = cpu;
    cpu_exec_start(cpu);
    if (sigsetjmp(cpu->jmp_env, 0) != 0) {
        /* back from cpu_loop_exit: maybe in the middle of translation */
        cpu = current_cpu;
        if (tb_lock_held) {
            tb_lock_release();
        }
        helper_retaddr = 0;
        last_tb = NULL;
    }

    for (;;) {
        if (cpu->exception_index >= 0) {
            ret = cpu->exception_index;
            cpu->exception_index = -1;
            break;
        }
        if (__atomic_load_n(&cpu->exit_request, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_SEQ_CST);
            ret = EXCP_INTERRUPT;
            break;
        }

        uint64_t pc, cs_base;
        uint32_t flags, cflags = cpu->cflags_next_tb;
        ops->get_tb_cpu_state(cpu, &pc, &cs_base, &flags);
        TranslationBlock *tb = NULL;
        unsigned flushes = tb_flush_count;
        if (cflags) {
            cpu->cflags_next_tb = 0;
            cflags |= CF_NOCHAIN;
        } else {
            tb = tb_lookup(cpu, pc, cs_base, flags, 0);
        }
        if (!tb) {
            tb = tb_gen_code(cpu, pc, cs_base, flags, cflags);
            if (!cflags) {
                tb_jmp_cache_set(cpu, tb);
            }
        }
        if (flushes != tb_flush_count) {
            last_tb = NULL;
        }
        if (last_tb && !qemu_loglevel_mask(CPU_LOG_TB_NOCHAIN)) {
            tb_add_jump(last_tb, tb_exit, tb);
        }
        if (qemu_loglevel_mask(CPU_LOG_TB_CPU) && ops->dump_state) {
            ops->dump_state(cpu, qemu_log_stream());
            qemu_log_flush();
        }
        if (qemu_loglevel_mask(CPU_LOG_EXEC)) {
            qemu_log("Trace %d: %p [%016" PRIx64 "/%08x]\n", cpu->cpu_index,
                     tb->tc_ptr, pc, flags);
        }

        uintptr_t r = tcg_qemu_tb_exec(cpu->env_ptr, tb->tc_ptr);
        last_tb = (TranslationBlock *)(r & ~(uintptr_t)3);
        tb_exit = r & 3;
        if (tb_exit == TB_EXIT_REQUESTED) {
            /*
             * We left at the start of last_tb, which may have been entered
             * through a chained jump that does not set the guest pc: put
             * the state back to that TB's first insn.
             */
            if (last_tb->nb_insns > 0) {
                ops->restore_state_to_opc(cpu, last_tb, last_tb->insn_data);
            }
            last_tb = NULL;
        }
    }
    cpu_exec_end(cpu);
    return ret;
}
