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
#ifdef CONFIG_SOFTMMU
#include "accel/tcg/cputlb.h"
#include "system/main-loop.h"
#endif

__thread CPUState *current_cpu;
__thread uintptr_t helper_retaddr;
ptrdiff_t tcg_cpu_env_offset;
CPUState *first_cpu;
const TCGCPUOps *tcg_cpu_ops;

void tb_cache_init(void);

static pthread_mutex_t cpu_list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exclusive_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t exclusive_resume = PTHREAD_COND_INITIALIZER;
static bool exclusive_active;
/* this thread's exclusive section, and whether it was running before */
static __thread bool exclusive_mine, exclusive_was_running;
static int cpu_next_index;

static size_t tcg_exec_code_size;

void tb_stats_print(FILE *f)
{
    fprintf(f,
            "tb: translated %" PRIu64 " flushes %" PRIu64
            " invalidated %" PRIu64 " chained %" PRIu64 " slow lookups %" PRIu64
            " helper lookups %" PRIu64 " code bytes %" PRIu64
            " guest bytes %" PRIu64 "\n",
            tb_stats.translated, tb_stats.flushes, tb_stats.invalidated,
            tb_stats.chained, tb_stats.lookups_slow, tb_stats.lookups_helper,
            tb_stats.code_bytes, tb_stats.guest_bytes);
}

/*
 * fork() in a multi-threaded guest: hold the locks across the fork so
 * the child does not inherit one held by a thread that no longer exists,
 * and keep only the forking vCPU in the child's CPU list.
 */
static void tcg_fork_prepare(void)
{
    pthread_mutex_lock(&tb_lock);
#ifndef CONFIG_SOFTMMU
    pthread_mutex_lock(&page_lock);
#endif
    pthread_mutex_lock(&cpu_list_lock);
}

static void tcg_fork_parent(void)
{
    pthread_mutex_unlock(&cpu_list_lock);
#ifndef CONFIG_SOFTMMU
    pthread_mutex_unlock(&page_lock);
#endif
    pthread_mutex_unlock(&tb_lock);
}

static void tcg_fork_child(void)
{
    pthread_mutex_init(&cpu_list_lock, NULL);
#ifndef CONFIG_SOFTMMU
    pthread_mutex_init(&page_lock, NULL);
#endif
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
#ifdef CONFIG_SOFTMMU
    pthread_cond_init(&cpu->halt_cond, NULL);
    cputlb_cpu_init(cpu);
    tcg_ctx->tlb_fast_off =
        (intptr_t)offsetof(CPUState, tlb_fast) - ops->env_offset;
    if (ops->tb_key_inline && !getenv("QUASAR_DEBUG_TB_KEY")) {
        TCGContext *s = tcg_ctx;
        s->lookup_key_sys = true;
        s->lookup_cs_base_off = ops->cs_base_offset;
        s->lookup_entry_cs_base = offsetof(TBJmpCacheEntry, cs_base);
        s->lookup_entry_flags = offsetof(TBJmpCacheEntry, flags);
        /* the hash groups pages (tb_jmp_cache_clear_page) */
        s->lookup_page_bits = TB_JMP_PAGE_BITS;
        s->lookup_page_shift = TARGET_PAGE_BITS;
#else
    if (ops->tb_key_is_pc) {
        TCGContext *s = tcg_ctx;
#endif
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
    cpu->next = NULL;
    {
        /* append: system mode boards expect CPU 0 first */
        CPUState **pp = &first_cpu;
        while (*pp) {
            pp = &(*pp)->next;
        }
        __atomic_store_n(pp, cpu, __ATOMIC_RELEASE);
    }
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
    exclusive_was_running = self && self->running;
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
    exclusive_mine = true;
    pthread_mutex_unlock(&cpu_list_lock);
}

void end_exclusive(void)
{
    CPUState *self = current_cpu;
    pthread_mutex_lock(&cpu_list_lock);
    exclusive_active = false;
    exclusive_mine = false;
    if (self) {
        /* a vCPU thread outside cpu_exec (queued work) stays not running */
        self->running = exclusive_was_running;
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

#ifdef CONFIG_SOFTMMU
/* QUASAR_DEBUG_TB_KEY: the inline probe is off and the helper checks. */
static bool debug_tb_key(void)
{
    static int on = -1;
    if (on < 0) {
        on = getenv("QUASAR_DEBUG_TB_KEY") != NULL;
    }
    return on;
}

/*
 * The tb_key_inline promise: the flags at an indirect jump are those of
 * the TB making it, and pc is cs_base + the pc field (32-bit unless
 * pc64_flags).
 */
static void check_tb_key(CPUState *cpu, uintptr_t ra, uint64_t pc,
                         uint64_t cs_base, uint32_t flags)
{
    const TCGCPUOps *ops = cpu->tcg_ops;
    TranslationBlock *tb = tb_find_by_host_pc(ra - 1);
    uint64_t want =
        cs_base + *(uint64_t *)((char *)cpu->env_ptr + ops->pc_offset);
    if (!(flags & ops->pc64_flags)) {
        want = (uint32_t)want;
    }
    if (!tb || tb->flags != flags || want != pc ||
        cs_base != *(uint64_t *)((char *)cpu->env_ptr + ops->cs_base_offset)) {
        fprintf(stderr,
                "tcg: tb_key_inline broken: TB %" PRIx64 "/%x jumps to %" PRIx64
                "/%" PRIx64 "/%x\n",
                tb ? tb->pc : 0, tb ? tb->flags : 0, pc, cs_base, flags);
        abort();
    }
}
#endif

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
#ifdef CONFIG_SOFTMMU
    if (cpu->tcg_ops->tb_key_inline && debug_tb_key()) {
        check_tb_key(cpu, GETPC(), pc, cs_base, flags);
    }
#endif
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

#ifdef CONFIG_SOFTMMU
/*
 * Runs fn with the BQL held (taken if this thread does not hold it).
 * Interrupt delivery reads device state (the PIC's vector, the APIC).
 */
static bool cpu_bql_take(void)
{
    if (bql_locked()) {
        return false;
    }
    bql_lock();
    return true;
}

/*
 * Pending interrupt_request bits at a TB boundary.  Returns true if the
 * loop must return ret (halt, debug); sets *chain_break when control flow
 * changed (last_tb must not be chained to what runs next).
 */
static bool cpu_handle_interrupt(CPUState *cpu, int *ret, bool *chain_break)
{
    uint32_t ir = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_ACQUIRE);
    if (!ir) {
        return false;
    }
    if (ir & CPU_INTERRUPT_DEBUG) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_DEBUG);
        *ret = EXCP_DEBUG;
        return true;
    }
    if (ir & CPU_INTERRUPT_HALT) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_HALT);
        cpu->halted = 1;
        *ret = EXCP_HLT;
        return true;
    }
    if (cpu->tcg_ops->cpu_exec_interrupt) {
        bool took = cpu_bql_take();
        /* may longjmp (an exception while delivering): cpu_exec unlocks */
        if (cpu->tcg_ops->cpu_exec_interrupt(cpu, ir)) {
            *chain_break = true;
        }
        if (took) {
            bql_unlock();
        }
    }
    if (__atomic_load_n(&cpu->interrupt_request, __ATOMIC_ACQUIRE) &
        CPU_INTERRUPT_EXITTB) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_EXITTB);
        *chain_break = true;
    }
    return false;
}
#endif

int cpu_exec(CPUState *cpu)
{
    const TCGCPUOps *ops = cpu->tcg_ops;
    TranslationBlock *volatile last_tb = NULL;
    volatile int tb_exit = 0;
    int ret;

#ifdef CONFIG_SOFTMMU
    if (cpu->halted) {
        if (!ops->cpu_has_work || !ops->cpu_has_work(cpu)) {
            return EXCP_HALTED;
        }
        cpu->halted = 0;
    }
#endif
    current_cpu = cpu;
    cpu_exec_start(cpu);
    if (ops->cpu_exec_enter) {
        ops->cpu_exec_enter(cpu);
    }
    if (sigsetjmp(cpu->jmp_env, 0) != 0) {
        /* back from cpu_loop_exit: maybe in the middle of translation */
        if (tb_lock_held) {
            tb_lock_release();
        }
        if (exclusive_mine) {
            end_exclusive();
        }
#ifdef CONFIG_SOFTMMU
        /* vCPU threads never enter cpu_exec holding the BQL */
        if (bql_locked()) {
            bql_unlock();
        }
#endif
        helper_retaddr = 0;
        last_tb = NULL;
    }

    for (;;) {
        if (cpu->exception_index >= 0) {
#ifdef CONFIG_SOFTMMU
            if (cpu->exception_index < EXCP_INTERRUPT && ops->do_interrupt) {
                /* a guest exception: deliver it and go on */
                bool took = cpu_bql_take();
                ops->do_interrupt(cpu);
                if (took) {
                    bql_unlock();
                }
                cpu->exception_index = -1;
                last_tb = NULL;
                continue;
            }
#endif
            ret = cpu->exception_index;
            cpu->exception_index = -1;
            break;
        }
#ifdef CONFIG_SOFTMMU
        {
            bool chain_break = false;
            if (cpu_handle_interrupt(cpu, &ret, &chain_break)) {
                break;
            }
            if (chain_break) {
                last_tb = NULL;
            }
            if (cpu->exception_index >= 0) {
                continue; /* raised while delivering */
            }
        }
#endif
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
            /* one-off TBs (1-insn after SMC, code in MMIO) are not cached */
            if (!(tb->cflags & CF_COUNT_MASK)) {
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
    if (ops->cpu_exec_exit) {
        ops->cpu_exec_exit(cpu);
    }
    cpu_exec_end(cpu);
    return ret;
}
