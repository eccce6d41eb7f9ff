/*
 * splitlock: every CPU (the BSP and the APs it starts with INIT, SIPI,
 * SIPI) runs LOCK instructions on operands that cross a 64-byte cache
 * line, as a misaligned guest variable can: LOCK XADD (4 bytes at line
 * offset 62), LOCK CMPXCHG (4 bytes at 61) and LOCK CMPXCHG8B (8 bytes
 * at 60), each adding 1 per round, all CPUs at the same time.  The totals must
 * be exact (the LOCK insns are atomic across CPUs) and every CPU must finish.
 *
 * Under TCG such an operand must not become a host LOCK insn across a
 * host cache line (a split lock: the host traps and throttles it, the
 * smp guest's APs once took seconds each for one misaligned LOCK XADD);
 * see docs/devel/smp-layout.md.
 */
#include "lib.h"

#define ROUNDS 2000

/* Each counter straddles the end of one line into the next. */
static volatile uint8_t lines[4 * 64] __attribute__((aligned(64)));
#define XADD_CTR      ((volatile uint32_t *)(lines + 62))
#define CMPXCHG_CTR   ((volatile uint32_t *)(lines + 64 + 61))
#define CMPXCHG8B_CTR ((volatile uint64_t *)(lines + 128 + 60))

/* aligned: APs at the start line, the BSP's go, CPUs finished */
static volatile uint32_t ready_count, go, done_count;

static void lock_xadd_inc(volatile uint32_t *p)
{
    uint32_t one = 1;
    __asm__ volatile("lock xaddl %0, %1" : "+r"(one), "+m"(*p) : : "memory");
}

static void lock_cmpxchg_inc(volatile uint32_t *p)
{
    uint32_t old = *p, seen;
    for (;;) {
        __asm__ volatile("lock cmpxchgl %2, %1"
                         : "=a"(seen), "+m"(*p)
                         : "r"(old + 1), "0"(old)
                         : "memory", "cc");
        if (seen == old) {
            return;
        }
        old = seen;
    }
}

static void lock_cmpxchg8b_inc(volatile uint64_t *p)
{
    uint32_t lo = (uint32_t)*p, hi = (uint32_t)(*p >> 32);
    for (;;) {
        uint64_t nv = (((uint64_t)hi << 32) | lo) + 1;
        uint8_t ok;
        __asm__ volatile("lock cmpxchg8b %1; sete %0"
                         : "=q"(ok), "+m"(*p), "+a"(lo), "+d"(hi)
                         : "b"((uint32_t)nv), "c"((uint32_t)(nv >> 32))
                         : "memory", "cc");
        if (ok) {
            return;
        }
    }
}

static void rounds(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        lock_xadd_inc(XADD_CTR);
        lock_cmpxchg_inc(CMPXCHG_CTR);
        lock_cmpxchg8b_inc(CMPXCHG8B_CTR);
    }
    __atomic_add_fetch(&done_count, 1, __ATOMIC_SEQ_CST);
}

void ap_main(int index)
{
    __atomic_add_fetch(&ready_count, 1, __ATOMIC_SEQ_CST);
    while (!go) {
        cpu_relax();
    }
    rounds();
}

void guest_main(void)
{
    uint16_t cpus;

    fw_cfg_read(0x05, &cpus, 2); /* FW_CFG_NB_CPUS */
    printf("splitlock: %u CPUs, counters at %p %p %p\n", cpus, (void *)XADD_CTR,
           (void *)CMPXCHG_CTR, (void *)CMPXCHG8B_CTR);
    memcpy((void *)0x8000, trampoline_start, trampoline_end - trampoline_start);
    lapic_write(LAPIC_SVR, 0x1ff);
    if (cpus > 1) {
        lapic_write(LAPIC_ICR_HI, 0);
        lapic_write(LAPIC_ICR_LO, 0x000c4500); /* INIT, all excluding self */
        udelay(10000);
        for (int i = 0; i < 2; i++) {
            lapic_write(LAPIC_ICR_LO, 0x000c4608); /* SIPI vector 0x08 */
            udelay(200);
        }
    }
    /* all CPUs run their rounds at the same time */
    for (int i = 0; i < 500 && ready_count < cpus - 1u; i++) {
        udelay(10000);
    }
    go = 1;
    rounds();
    /* up to 60 s of PIT time for the APs */
    for (int i = 0; i < 6000 && done_count < cpus; i++) {
        udelay(10000);
    }
    uint32_t want = (uint32_t)cpus * ROUNDS;
    uint32_t x = *XADD_CTR, c = *CMPXCHG_CTR;
    uint64_t c8 = *CMPXCHG8B_CTR;
    printf("splitlock: %u of %u CPUs done; xadd %u cmpxchg %u cmpxchg8b %u "
           "(want %u)\n",
           done_count, cpus, x, c, (uint32_t)c8, want);
    guest_exit(done_count == cpus && x == want && c == want && c8 == want);
}
