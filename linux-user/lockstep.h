/*
 * Lockstep tracing: qemu-x86_64 reports the guest state of the main thread
 * to tests/tools/x86-lockstep, which runs the same program natively under
 * ptrace and compares.  A debugging aid, not a QEMU option.
 *
 * Environment (each variable is removed from the guest's environment):
 *   QUASAR_LOCKSTEP_FD=<fd>    where the records go (enables the mode)
 *   QUASAR_LOCKSTEP_ACK=<fd>   one byte per syscall from the tracer
 *   QUASAR_LOCKSTEP_LAYOUT=interp=<hex>,stack=<hex>
 *                              put the ELF interpreter at that base and the
 *                              top of the stack there (where the kernel put
 *                              them natively), so both see the same addresses
 *   QUASAR_LOCKSTEP_SYSCALLS=1 start in syscall mode
 *
 * Full mode: one instruction per TB, no chaining, a LOCKSTEP_MAGIC record
 * before every instruction.  Syscall mode: normal translation, records only
 * around syscalls.  In both, a syscall of the main thread sends a
 * LOCKSTEP_SYSENTRY record (rip after the SYSCALL instruction, as the
 * kernel reports it at syscall entry), then a LOCKSTEP_SYNC record with the
 * state after it, and waits for the tracer's byte: 'f' switches to full
 * mode, 'F' to full mode waiting for a byte after every record (so that
 * the tracer can read memory as it is at that point), anything else goes
 * on.  At start the model's CPUID leaves are sent
 * as LOCKSTEP_CPUID records (leaf in rip, subleaf in eflags; EAX EBX ECX
 * EDX in regs[0], regs[3], regs[1], regs[2]).  RDTSC traps in both
 * (PR_TSC_SIGSEGV) and reads a counter starting at 2^32 that goes up by
 * 1000 per read (RDTSCP: ECX 0).
 */
#ifndef LINUX_USER_LOCKSTEP_H
#define LINUX_USER_LOCKSTEP_H

#include <stdbool.h>
#include <stdint.h>

#define LOCKSTEP_MAGIC    0x51534c4bu /* "KLSQ" */
#define LOCKSTEP_SYNC     0x4e59534bu /* "KSYN" */
#define LOCKSTEP_SYSENTRY 0x5359534bu /* "KSYS" */
#define LOCKSTEP_CPUID    0x5550434bu /* "KCPU" */

typedef struct LockstepRecord {
    uint32_t magic;
    uint32_t tid;
    uint64_t rip;
    uint64_t regs[16]; /* RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 */
    uint64_t eflags;
    uint64_t fs_base, gs_base;
    uint64_t xmm[16][2];
} LockstepRecord;

struct X86ArchCPU;
struct CPUX86State;

/* First thing in main(): reads and unsets the variables above. */
bool lockstep_init(void);
/* Every new vCPU (main thread and clones) when enabled. */
void lockstep_attach(struct X86ArchCPU *cpu);
/* The initial state (a LOCKSTEP_MAGIC record in either mode). */
void lockstep_start(struct CPUX86State *env);
/* Before exit: push buffered records to the pipe. */
void lockstep_flush(void);
/* Around a syscall (any thread; only the main thread reports). */
void lockstep_syscall_entry(struct CPUX86State *env);
void lockstep_syscall_done(struct CPUX86State *env);
/* From the host SIGSEGV handler: a trapped RDTSC answered (see .c). */
bool lockstep_rdtsc(void *ucontext);
extern bool lockstep_enabled;
/* Layout wanted by the tracer (0: the usual choice). */
extern uint64_t lockstep_interp_base, lockstep_stack_top;

#endif
