/*
 * Exceptions and interrupts: raising them from helpers (with the double
 * fault rules), delivering them through the IVT (real mode), the IDT
 * (protected mode: interrupt/trap gates with a stack switch through the
 * TSS; vm86) and the 64-bit IDT (IST, 16-byte aligned frames), INT n,
 * and the interrupt check at instruction boundaries (NMI, INIT, SIPI,
 * INTR with IF and the interrupt shadow).
 *
 * Follows the Intel SDM vol. 3A ch. 6 (interrupt and exception
 * handling: 6.12 exception/interrupt handling, 6.14 in 64-bit mode, 6.15
 * the double fault table), 20.3 (real-address mode interrupts) and
 * 8.4 (MP initialization: INIT, SIPI).
 *
 * Delivery runs outside generated code (accel/tcg calls do_interrupt),
 * so memory accesses use ra = 0: env->rip is already the faulting or
 * next instruction.  A fault while pushing the frame is raised like any
 * other, with env->old_exception saying which delivery it interrupted.
 */
#include <string.h>

#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "target/x86/sys-internal.h"
#include "util/log.h"
#ifdef CONFIG_SOFTMMU
#include "target/x86/sys-cpu.h"
#endif

#ifdef CONFIG_SOFTMMU
/* Vectors that push an error code (SDM table 6-1). */
static bool exception_has_error_code(int intno)
{
    switch (intno) {
    case EXCP08_DBLE:
    case EXCP0A_TSS:
    case EXCP0B_NOSEG:
    case EXCP0C_STACK:
    case EXCP0D_GPF:
    case EXCP0E_PAGE:
    case EXCP11_ALGN:
    case 21: /* #CP */
        return true;
    default:
        return false;
    }
}

static bool is_contributory(int intno)
{
    return intno == EXCP00_DIVZ || (intno >= EXCP0A_TSS && intno <= EXCP0D_GPF);
}

/*
 * The double fault rules (SDM table 6-5): returns the vector to raise
 * given the one being delivered (env->old_exception), or -1 for a
 * triple fault (shutdown).
 */
static int check_exception(CPUX86State *env, int intno, int *error_code)
{
    int old = env->old_exception;

    if (old < 0) {
        return intno;
    }
    if (old == EXCP08_DBLE) {
        return -1;
    }
    if ((is_contributory(old) && is_contributory(intno)) ||
        (old == EXCP0E_PAGE &&
         (is_contributory(intno) || intno == EXCP0E_PAGE))) {
        *error_code = 0;
        return EXCP08_DBLE;
    }
    return intno;
}

static void __attribute__((noreturn)) triple_fault(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);

    qemu_log_mask(LOG_GUEST_ERROR | CPU_LOG_INT,
                  "x86: triple fault at %04x:%016llx\n",
                  env->segs[R_CS].selector, (unsigned long long)env->rip);
    env->old_exception = -1;
    if (env->sys_hooks && env->sys_hooks->triple_fault) {
        env->sys_hooks->triple_fault(env);
    }
    /* stop here until the machine reset reloads the state */
    cs->halted = 1;
    env->wait_sipi = true;
    cs->exception_index = EXCP_HLT;
    cpu_loop_exit(cs);
}
#endif

void x86_raise_exception_err_ra(CPUX86State *env, int excp, int error_code,
                                uintptr_t ra)
{
    CPUState *cs = env_cpu(env);

#ifdef CONFIG_SOFTMMU
    excp = check_exception(env, excp, &error_code);
    if (excp < 0) {
        if (ra) {
            cpu_restore_state(cs, ra - 1); /* ra: a return address */
        }
        triple_fault(env);
    }
#endif
    cs->exception_index = excp;
    env->error_code = error_code;
    env->exception_is_int = 0;
    env->exception_next_eip = 0;
    if (ra) {
        cpu_loop_exit_restore(cs, ra);
    }
    cpu_loop_exit(cs);
}

void x86_raise_interrupt2(CPUX86State *env, int intno, int is_int,
                          int error_code, int next_eip_addend, uintptr_t ra)
{
    CPUState *cs = env_cpu(env);

    if (!is_int) {
        x86_raise_exception_err_ra(env, intno, error_code, ra);
    }
    if (ra) {
        cpu_restore_state(cs, ra - 1); /* ra: a return address */
    }
    cs->exception_index = intno;
    env->error_code = error_code;
    env->exception_is_int = is_int;
    env->exception_next_eip = env->rip + next_eip_addend;
    cpu_loop_exit(cs);
}

void helper_raise_interrupt(CPUX86State *env, uint32_t intno,
                            uint32_t next_eip_addend)
{
    x86_raise_interrupt2(env, intno, 1, 0, next_eip_addend, GETPC());
}
DEF_HELPER_INFO(raise_interrupt, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);

void helper_raise_exception_err(CPUX86State *env, uint32_t excp,
                                uint32_t error_code)
{
    x86_raise_exception_err_ra(env, excp, error_code, GETPC());
}
DEF_HELPER_INFO(raise_exception_err, 0, HI_VOID, 3, HI_PTR, HI_I32, HI_I32);

#ifdef CONFIG_SOFTMMU

/* ---- delivery ------------------------------------------------------------ */

/* A push during delivery (ra = 0: no restore needed). */
typedef struct IntStack {
    CPUX86State *env;
    uint64_t base, sp, mask;
    int mmu_idx;
} IntStack;

static void ipush(IntStack *st, int size, uint64_t v)
{
    uint64_t a;

    st->sp -= size;
    a = st->base + (st->sp & st->mask);
    if (st->mask != ~0ull) {
        a = (uint32_t)a;
    }
    switch (size) {
    case 2:
        cpu_stw_mmuidx_ra(st->env, a, v, st->mmu_idx, 0);
        break;
    case 4:
        cpu_stl_mmuidx_ra(st->env, a, v, st->mmu_idx, 0);
        break;
    default:
        cpu_stq_mmuidx_ra(st->env, a, v, st->mmu_idx, 0);
        break;
    }
}

static void set_sp(CPUX86State *env, uint64_t sp, uint64_t mask)
{
    if (mask == 0xffff) {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
    } else if (mask == 0xffffffff) {
        env->regs[R_ESP] = (uint32_t)sp;
    } else {
        env->regs[R_ESP] = sp;
    }
}

static bool load_desc(CPUX86State *env, uint32_t sel, uint32_t *e1,
                      uint32_t *e2)
{
    uint64_t ptr;

    return x86_load_descriptor(env, sel, e1, e2, &ptr, 0);
}

static void __attribute__((noreturn))
raise_err(CPUX86State *env, int excp, int err)
{
    x86_raise_exception_err_ra(env, excp, err, 0);
}

/*
 * The checks of the IDT gate for intno (SDM 6.12.1.1, 6.14.1): INT n
 * needs gate DPL >= CPL, then the gate must be present.
 */
static void check_gate(CPUX86State *env, int intno, int is_int, uint32_t e2)
{
    if (is_int && desc_dpl(e2) < x86_cpl(env)) {
        raise_err(env, EXCP0D_GPF, intno * 8 + 2);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_err(env, EXCP0B_NOSEG, intno * 8 + 2);
    }
}

/* Real mode (and real-mode-like SMM): the IVT at idt.base. */
static void do_interrupt_real(CPUX86State *env, int intno, int is_int,
                              uint64_t next_eip)
{
    IntStack st = {env, env->segs[R_SS].base, env->regs[R_ESP], 0xffff,
                   x86_mmu_index_kernel(env)};
    uint32_t offset, selector;
    uint64_t old_eip = is_int ? next_eip : env->rip;

    if ((uint64_t)intno * 4 + 3 > env->idt.limit) {
        raise_err(env, EXCP0D_GPF, intno * 8 + 2);
    }
    offset = x86_ld_kernel(env, env->idt.base + intno * 4, 2, 0);
    selector = x86_ld_kernel(env, env->idt.base + intno * 4 + 2, 2, 0);
    ipush(&st, 2, cpu_compute_eflags(env));
    ipush(&st, 2, env->segs[R_CS].selector);
    ipush(&st, 2, old_eip);
    set_sp(env, st.sp, 0xffff);
    env->rip = offset;
    cpu_x86_load_seg_cache(env, R_CS, selector, (uint64_t)selector << 4,
                           env->segs[R_CS].limit, env->segs[R_CS].flags);
    env->eflags &= ~(IF_MASK | TF_MASK | AC_MASK | RF_MASK);
}

/*
 * Through a task gate: switch to the gate's task, then push the error
 * code on the new task's stack (SDM 6.12.2).
 */
static void do_task_gate(CPUX86State *env, int intno, int is_int, int has_error,
                         int error_code, uint32_t g1, uint32_t g2,
                         uint64_t old_eip)
{
    int type;
    uint32_t sel = g1 >> 16, e1, e2;

    check_gate(env, intno, is_int, g2);
    if ((sel & 4) || !load_desc(env, sel, &e1, &e2)) {
        raise_err(env, EXCP0A_TSS, sel & 0xfffc);
    }
    type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    if ((e2 & DESC_S_MASK) ||
        (type != DESC_TSS16_AVAIL && type != DESC_TSS32_AVAIL)) {
        raise_err(env, EXCP0A_TSS, sel & 0xfffc);
    }
    x86_task_switch(env, sel, e1, e2, X86_TASK_INT, old_eip, 0);
    if (has_error) {
        int size = (type & 8) ? 4 : 2;
        IntStack st = {
            env, env->segs[R_SS].base, env->regs[R_ESP],
            (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffff : 0xffff,
            x86_cpl(env) == 3 ? MMU_USER_IDX : x86_mmu_index_kernel(env)};

        ipush(&st, size, (uint32_t)error_code);
        set_sp(env, st.sp, st.mask);
    }
}

/* Protected mode: a 32/16-bit interrupt or trap gate. */
static void do_interrupt_protected(CPUX86State *env, int intno, int is_int,
                                   int error_code, uint64_t next_eip, int is_hw)
{
    int has_error = !is_int && !is_hw && exception_has_error_code(intno);
    int cpl = x86_cpl(env), type, dpl, shift, size;
    uint32_t e1, e2, selector, ss = 0, esp = 0, ss_e1 = 0, ss_e2 = 0;
    uint64_t offset, old_eip = is_int ? next_eip : env->rip;
    uint64_t ptr = env->idt.base + intno * 8, cs_ptr;
    bool new_stack, vm86 = env->eflags & VM_MASK;
    IntStack st;

    if ((uint64_t)intno * 8 + 7 > env->idt.limit) {
        raise_err(env, EXCP0D_GPF, intno * 8 + 2);
    }
    e1 = x86_ld_kernel(env, ptr, 4, 0);
    e2 = x86_ld_kernel(env, ptr + 4, 4, 0);
    type = (e2 >> DESC_TYPE_SHIFT) & 0x1f;
    switch (type) {
    case DESC_TASKGATE:
        do_task_gate(env, intno, is_int, has_error, error_code, e1, e2,
                     old_eip);
        return;
    case DESC_INTGATE16:
    case DESC_TRAPGATE16:
    case DESC_INTGATE32:
    case DESC_TRAPGATE32:
        break;
    default:
        raise_err(env, EXCP0D_GPF, intno * 8 + 2);
    }
    /* software INT n: gate DPL >= CPL (not INT1, not exceptions) */
    check_gate(env, intno, is_int, e2);
    selector = e1 >> 16;
    offset = (e2 & 0xffff0000) | (e1 & 0xffff);
    dpl = x86_load_gate_cs(env, selector, false, &e1, &e2, &cs_ptr, 0);
    if (!(e2 & DESC_C_MASK) && dpl < cpl) {
        /* inner level: the stack from the TSS */
        uint64_t ss_ptr;

        x86_tss_stack(env, dpl, &ss, &esp, 0);
        x86_check_new_ss(env, ss, dpl, EXCP0A_TSS, &ss_e1, &ss_e2, &ss_ptr, 0);
        new_stack = true;
        st.base = desc_base(ss_e1, ss_e2);
        st.sp = esp;
        st.mask = (ss_e2 & DESC_B_MASK) ? 0xffffffff : 0xffff;
    } else {
        if (vm86) {
            /* vm86 handlers must be at ring 0 with a stack switch */
            raise_err(env, EXCP0D_GPF, selector & 0xfffc);
        }
        new_stack = false;
        dpl = cpl; /* conforming: stays at CPL */
        st.base = env->segs[R_SS].base;
        st.sp = env->regs[R_ESP];
        st.mask = (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffff : 0xffff;
    }
    st.env = env;
    st.mmu_idx = dpl == 3 ? MMU_USER_IDX : x86_mmu_index_kernel(env);
    shift = type >> 3;
    size = 2 << shift;
    if (new_stack) {
        if (vm86) {
            ipush(&st, size, env->segs[R_GS].selector);
            ipush(&st, size, env->segs[R_FS].selector);
            ipush(&st, size, env->segs[R_DS].selector);
            ipush(&st, size, env->segs[R_ES].selector);
        }
        ipush(&st, size, env->segs[R_SS].selector);
        ipush(&st, size, env->regs[R_ESP]);
    }
    ipush(&st, size, cpu_compute_eflags(env));
    ipush(&st, size, env->segs[R_CS].selector);
    ipush(&st, size, old_eip);
    if (has_error) {
        ipush(&st, size, (uint32_t)error_code);
    }

    /* commit */
    env->eflags &= ~(TF_MASK | VM_MASK | RF_MASK | NT_MASK);
    if (!(type & 1)) {
        env->eflags &= ~IF_MASK; /* interrupt gate */
    }
    if (new_stack) {
        if (vm86) {
            cpu_x86_load_seg_cache(env, R_ES, 0, 0, 0, 0);
            cpu_x86_load_seg_cache(env, R_DS, 0, 0, 0, 0);
            cpu_x86_load_seg_cache(env, R_FS, 0, 0, 0, 0);
            cpu_x86_load_seg_cache(env, R_GS, 0, 0, 0, 0);
        }
        cpu_x86_load_seg_cache(env, R_SS, (ss & 0xfffc) | dpl,
                               desc_base(ss_e1, ss_e2),
                               desc_limit(ss_e1, ss_e2), ss_e2 & 0x00f0ff00);
    }
    set_sp(env, st.sp, st.mask);
    cpu_x86_load_seg_cache(env, R_CS, (selector & 0xfffc) | dpl,
                           desc_base(e1, e2), desc_limit(e1, e2),
                           e2 & 0x00f0ff00);
    if (vm86 || !(env->hflags & HF_CPL_MASK) != !dpl) {
        x86_update_hflags(env);
    }
    env->rip = shift ? offset : (offset & 0xffff);
}

/* Long mode: 16-byte gates, IST, 16-byte aligned 64-bit frames. */
static void do_interrupt64(CPUX86State *env, int intno, int is_int,
                           int error_code, uint64_t next_eip, int is_hw)
{
    int has_error = !is_int && !is_hw && exception_has_error_code(intno);
    int cpl = x86_cpl(env), type, dpl, ist;
    uint32_t e1, e2, e3, selector;
    uint64_t offset, old_eip = is_int ? next_eip : env->rip;
    uint64_t ptr = env->idt.base + intno * 16, cs_ptr, esp;
    bool new_cpl;
    IntStack st;

    if ((uint64_t)intno * 16 + 15 > env->idt.limit) {
        raise_err(env, EXCP0D_GPF, intno * 8 + 2);
    }
    e1 = x86_ld_kernel(env, ptr, 4, 0);
    e2 = x86_ld_kernel(env, ptr + 4, 4, 0);
    e3 = x86_ld_kernel(env, ptr + 8, 4, 0);
    type = (e2 >> DESC_TYPE_SHIFT) & 0x1f;
    if (type != DESC_INTGATE32 && type != DESC_TRAPGATE32) {
        raise_err(env, EXCP0D_GPF, intno * 8 + 2);
    }
    check_gate(env, intno, is_int, e2);
    selector = e1 >> 16;
    offset = ((uint64_t)e3 << 32) | (e2 & 0xffff0000) | (e1 & 0xffff);
    ist = e2 & 7;
    dpl = x86_load_gate_cs(env, selector, false, &e1, &e2, &cs_ptr, 0);
    if (!(e2 & DESC_C_MASK) && dpl < cpl) {
        new_cpl = true;
        esp = x86_tss64_stack(env, dpl, ist, 0);
    } else {
        if (env->eflags & VM_MASK) {
            raise_err(env, EXCP0D_GPF, selector & 0xfffc);
        }
        new_cpl = false;
        dpl = cpl;
        esp = ist ? x86_tss64_stack(env, dpl, ist, 0) : env->regs[R_ESP];
    }
    esp &= ~0xfull;
    st.env = env;
    st.base = 0;
    st.sp = esp;
    st.mask = ~0ull;
    st.mmu_idx = dpl == 3 ? MMU_USER_IDX : x86_mmu_index_kernel(env);
    ipush(&st, 8, env->segs[R_SS].selector);
    ipush(&st, 8, env->regs[R_ESP]);
    ipush(&st, 8, cpu_compute_eflags(env));
    ipush(&st, 8, env->segs[R_CS].selector);
    ipush(&st, 8, old_eip);
    if (has_error) {
        ipush(&st, 8, (uint32_t)error_code);
    }

    env->eflags &= ~(TF_MASK | VM_MASK | RF_MASK | NT_MASK);
    if (!(type & 1)) {
        env->eflags &= ~IF_MASK;
    }
    if (new_cpl) {
        /* SS = null selector with RPL = the new CPL */
        cpu_x86_load_seg_cache(env, R_SS, dpl, 0, 0,
                               (uint32_t)dpl << DESC_DPL_SHIFT | DESC_S_MASK |
                                   DESC_W_MASK | DESC_A_MASK | DESC_B_MASK);
    }
    env->regs[R_ESP] = st.sp;
    cpu_x86_load_seg_cache(env, R_CS, (selector & 0xfffc) | dpl,
                           desc_base(e1, e2), desc_limit(e1, e2),
                           e2 & 0x00f0ff00);
    env->rip = offset;
}

/* -d int: QEMU's line for each delivery, then the registers. */
static void log_interrupt(CPUX86State *env, int intno, int is_int,
                          int error_code, uint64_t next_eip, int is_hw)
{
    static int count;
    uint64_t eip = is_int ? next_eip : env->rip;

    if (!qemu_loglevel_mask(CPU_LOG_INT)) {
        return;
    }
    qemu_log("%6d: v=%02x e=%04x i=%d cpl=%d IP=%04x:%016llx pc=%016llx "
             "SP=%04x:%016llx",
             count++, intno, error_code, is_int, x86_cpl(env),
             env->segs[R_CS].selector, (unsigned long long)eip,
             (unsigned long long)(env->segs[R_CS].base + eip),
             env->segs[R_SS].selector, (unsigned long long)env->regs[R_ESP]);
    if (intno == EXCP0E_PAGE) {
        qemu_log(" CR2=%016llx", (unsigned long long)env->cr[2]);
    } else {
        qemu_log(" env->regs[R_EAX]=%016llx",
                 (unsigned long long)env->regs[R_EAX]);
    }
    qemu_log("%s\n", is_hw ? " (hw)" : "");
    x86_cpu_sys_dump(env_cpu(env), qemu_log_stream());
}

void x86_do_interrupt_all(CPUX86State *env, int intno, int is_int,
                          int error_code, uint64_t next_eip, int is_hw)
{
    log_interrupt(env, intno, is_int, error_code, next_eip, is_hw);
    /* a fault from here on is a fault while delivering intno */
    env->old_exception = (!is_int && !is_hw) ? intno : -1;
    if (env->cr[0] & CR0_PE_MASK) {
        if (env->hflags & HF_LMA_MASK) {
            do_interrupt64(env, intno, is_int, error_code, next_eip, is_hw);
        } else {
            do_interrupt_protected(env, intno, is_int, error_code, next_eip,
                                   is_hw);
        }
    } else {
        do_interrupt_real(env, intno, is_int, next_eip);
    }
    env->old_exception = -1;
    env->hflags &= ~HF_INHIBIT_IRQ_MASK;
}

void x86_cpu_do_interrupt(CPUState *cs)
{
    CPUX86State *env = cs->env_ptr;
    int intno = cs->exception_index;

    if (intno < 0 || intno > 255) {
        return;
    }
    x86_do_interrupt_all(env, intno, env->exception_is_int, env->error_code,
                         env->exception_next_eip, 0);
    env->exception_is_int = 0;
    cs->exception_index = -1;
}

/* ---- interrupt check at instruction boundaries ----------------------------
 */

bool x86_cpu_has_work(CPUState *cs)
{
    CPUX86State *env = cs->env_ptr;
    uint32_t req = cs->interrupt_request;

    if (req & CPU_INTERRUPT_INIT) {
        return true;
    }
    if (env->wait_sipi) {
        return req & CPU_INTERRUPT_SIPI; /* a SIPI is ignored otherwise */
    }
    return ((req & CPU_INTERRUPT_HARD) && (env->eflags & IF_MASK)) ||
           ((req & CPU_INTERRUPT_NMI) && !(env->hflags2 & HF2_NMI_MASK)) ||
           (req & (CPU_INTERRUPT_POLL | CPU_INTERRUPT_MCE));
}

void x86_cpu_init_reset(CPUX86State *env);
void x86_cpu_sipi(CPUX86State *env);

bool x86_cpu_exec_interrupt(CPUState *cs, int interrupt_request)
{
    CPUX86State *env = cs->env_ptr;

    if (interrupt_request & CPU_INTERRUPT_POLL) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_POLL);
        if (env->sys_hooks && env->sys_hooks->apic_poll) {
            env->sys_hooks->apic_poll(env);
        }
    }
    if (interrupt_request & CPU_INTERRUPT_INIT) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_INIT);
        x86_cpu_init_reset(env);
        cs->halted = 1;
        cs->exception_index = EXCP_HALTED;
        cpu_loop_exit(cs);
    }
    if (interrupt_request & CPU_INTERRUPT_SIPI) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_SIPI);
        if (env->wait_sipi) {
            x86_cpu_sipi(env);
            cs->halted = 0;
            return true;
        }
    }
    if (env->wait_sipi) {
        return false;
    }
    if (env->hflags & HF_INHIBIT_IRQ_MASK) {
        return false; /* the shadow after STI / MOV SS blocks NMI and INTR */
    }
    if ((interrupt_request & CPU_INTERRUPT_NMI) &&
        !(env->hflags2 & HF2_NMI_MASK)) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_NMI);
        env->hflags2 |= HF2_NMI_MASK;
        cs->halted = 0;
        x86_do_interrupt_all(env, EXCP02_NMI, 0, 0, 0, 1);
        return true;
    }
    if ((interrupt_request & CPU_INTERRUPT_HARD) && (env->eflags & IF_MASK)) {
        int intno = -1;

        if (env->sys_hooks && env->sys_hooks->get_interrupt) {
            intno = env->sys_hooks->get_interrupt(env);
        }
        if (intno >= 0) {
            cs->halted = 0;
            x86_do_interrupt_all(env, intno, 0, 0, 0, 1);
            return true;
        }
    }
    return false;
}

#endif
