/* LOCK-prefixed read-modify-write under contention from 8 threads:
 * ADD, XADD, INC/DEC, OR/AND/XOR, CMPXCHG loops, CMPXCHG8B/16B, XCHG and
 * BTS/BTR; the totals are exact only if every operation was atomic. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NTHREADS 8
#define ITERS    20000

static volatile uint64_t c_add, c_xadd, c_inc, c_cas, c_or, c_xchg_sum;
static volatile uint32_t c_dec32 = NTHREADS * ITERS;
static volatile uint16_t c_add16;
static volatile uint8_t c_add8;
static unsigned __int128 c_cas16 __attribute__((aligned(16)));
static volatile uint64_t c_cas8b;
static volatile uint64_t bits[NTHREADS];
static volatile int spin;

static void *worker(void *arg)
{
    long id = (long)arg;
    uint64_t mine = 0;

    for (int i = 0; i < ITERS; i++) {
        __asm__ volatile("lock addq $3, %0" : "+m"(c_add) : : "cc");
        uint64_t one = 1;
        __asm__ volatile("lock xaddq %0, %1"
                         : "+r"(one), "+m"(c_xadd)
                         :
                         : "cc");
        __asm__ volatile("lock incq %0" : "+m"(c_inc) : : "cc");
        __asm__ volatile("lock decl %0" : "+m"(c_dec32) : : "cc");
        __asm__ volatile("lock addw $1, %0" : "+m"(c_add16) : : "cc");
        __asm__ volatile("lock addb $1, %0" : "+m"(c_add8) : : "cc");
        __asm__ volatile("lock orq %1, %0"
                         : "+m"(c_or)
                         : "r"(1ULL << (i % 64))
                         : "cc");
        /* CAS loop increment */
        uint64_t old = c_cas, nv;
        do {
            nv = old + 2;
        } while (!__atomic_compare_exchange_n(
            &c_cas, &old, nv, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
        /* CMPXCHG16B increment of both halves */
        unsigned __int128 o16 = c_cas16, n16;
        do {
            n16 = o16 + (((unsigned __int128)1 << 64) | 1);
        } while (!__sync_bool_compare_and_swap(&c_cas16, o16, n16) &&
                 ((o16 = c_cas16), 1));
        /* CMPXCHG8B via inline asm */
        {
            uint32_t lo, hi;
            unsigned char ok;
            do {
                uint64_t cur = c_cas8b;
                lo = (uint32_t)cur;
                hi = cur >> 32;
                uint64_t nxt = cur + 0x100000001ULL;
                __asm__ volatile("lock cmpxchg8b %1\n\tsetz %0"
                                 : "=q"(ok), "+m"(c_cas8b), "+a"(lo), "+d"(hi)
                                 : "b"((uint32_t)nxt),
                                   "c"((uint32_t)(nxt >> 32))
                                 : "cc");
            } while (!ok);
        }
        /* XCHG as a spin lock */
        uint64_t v;
        do {
            v = 1;
            __asm__ volatile("xchgq %0, %1" : "+r"(v), "+m"(spin));
        } while (v);
        c_xchg_sum += id;
        __asm__ volatile("movq $0, %0" : "=m"(spin) : : "memory");
        /* BTS on this thread's word */
        unsigned char was;
        __asm__ volatile("lock btsq %2, %0\n\tsetc %1"
                         : "+m"(bits[id]), "=q"(was)
                         : "r"((uint64_t)(i % 64))
                         : "cc");
        mine += was;
    }
    return (void *)mine;
}

int main(void)
{
    pthread_t t[NTHREADS];
    uint64_t was_set = 0;

    for (long i = 0; i < NTHREADS; i++) {
        pthread_create(&t[i], NULL, worker, (void *)i);
    }
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        was_set += (uint64_t)r;
    }
    printf("add %llu xadd %llu inc %llu dec32 %u add16 %u add8 %u\n",
           (unsigned long long)c_add, (unsigned long long)c_xadd,
           (unsigned long long)c_inc, c_dec32, c_add16, c_add8);
    printf("or %llx cas %llu cas16 %llu:%llu cas8b %llx xchgsum %llu\n",
           (unsigned long long)c_or, (unsigned long long)c_cas,
           (unsigned long long)(c_cas16 >> 64), (unsigned long long)c_cas16,
           (unsigned long long)c_cas8b, (unsigned long long)c_xchg_sum);
    printf("bts was-set %llu\n", (unsigned long long)was_set);
    return 0;
}
