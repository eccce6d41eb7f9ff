/*
 * x86-lockstep: run an x86-64 Linux program natively (single-stepped with
 * ptrace) and under qemu-x86_64 (reporting its guest state before every
 * instruction, see linux-user/lockstep.h) side by side, and report the first
 * instruction after which the two disagree.
 *
 *     x86-lockstep [-q QEMU] [-S | -k N [-m]] [-n MAX] [-s SKIP] [-x] [-v]
 *                  -- PROGRAM [ARGS...]
 *
 *   -q QEMU   the qemu-x86_64 to check (default build/linux-user/qemu-x86_64)
 *   -n N      stop after N instructions
 *   -s N      compare only from instruction N on (before: step, no checks)
 *   -x        do not compare XMM registers
 *   -S        compare only at syscalls (both at full speed)
 *   -k N      syscall mode for N syscalls, then instruction by instruction
 *   -m        with -k: also compare the stack around rsp after every
 *             instruction (the emulator waits for the tracer each time)
 *   -v        print a line every million instructions
 *
 * Only the main thread is compared; other threads run freely in both.
 * Both see the same addresses: the native program runs with ASLR off; the
 * emulator is told (QUASAR_LOCKSTEP_LAYOUT) to put the ELF interpreter and
 * the stack where the kernel put them, the emulator's initial stack image
 * (argv, envp, auxv without a vDSO, AT_RANDOM bytes) is copied into the
 * native process, and every native mmap/mremap that lets the kernel choose
 * is made MAP_FIXED_NOREPLACE at the address the emulator got.  What
 * legitimately differs is reconciled:
 *   - CPUID faults natively (ARCH_SET_CPUID) and is answered from the
 *     emulator's table (so glibc picks the same string functions); XGETBV
 *     (which cannot fault) gets the emulator's result in full mode;
 *   - RDTSC(P) faults in both (PR_TSC_SIGSEGV) and reads the same counter;
 *   - no lazy binding (LD_BIND_NOW=1): its trampoline XSAVEs the host's
 *     XCR0 state; an XSAVE in full mode takes the emulator's image;
 *   - a syscall the emulator does not have (ENOSYS) is skipped natively;
 *     futex/sched_yield/nanosleep are matched loosely (thread timing);
 *   - time, randomness and input syscalls (clock_gettime, gettimeofday,
 *     time, getrandom, sysinfo, times, getrusage, read, pread64): the
 *     emulator's results are copied into the native process; pids and tids
 *     are remembered as equal values; other syscalls whose results differ
 *     are noted and the native result replaced;
 *   - REP string instructions are compared once, when complete.
 * Flags (CF PF AF ZF SF OF DF) and XMM differences are reported but do not
 * stop the run (flags an instruction leaves undefined differ legitimately);
 * a different RIP or general register stops it, printing the last
 * instructions of both with their bytes and module offsets.
 *
 * Exit status: 0 both ran to the end in agreement, 1 divergence, 2 error.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux-user/lockstep.h"

#define RING 24

typedef struct State {
    uint64_t rip;
    uint64_t regs[16];
    uint64_t eflags;
    uint64_t fs_base;
    uint64_t xmm[16][2];
} State;

typedef struct Step {
    uint64_t count;
    State n, q;
    uint8_t insn[16];
} Step;

static const char *reg_names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                    "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                    "r12", "r13", "r14", "r15"};

static pid_t npid, qpid;
static int qfd, qack = -1;
static bool q_sync_pending, q_each, mem_check;
static void q_ack(char c);
static uint64_t val_n[64], val_q[64];
static int nvals;
static Step ring[RING];
static uint64_t count;
static bool check_xmm = true;
static unsigned soft_reports;
/* The emulator's CPUID (LOCKSTEP_CPUID records), answered to the native
 * program whose CPUID faults (ARCH_SET_CPUID). */
static struct {
    uint32_t leaf, sub, r[4]; /* eax ebx ecx edx */
} cpuid_tab[1024];
static int ncpuid;

#define FLAGS_MASK 0xcd5 /* OF DF SF ZF AF PF CF */

static void die(const char *msg)
{
    perror(msg);
    if (npid > 0) {
        kill(npid, SIGKILL);
    }
    if (qpid > 0) {
        kill(qpid, SIGKILL);
    }
    exit(2);
}

/* ---- values known to differ (pids) ----------------------------------- */

static void add_value(uint64_t n, uint64_t q)
{
    if (n != q && nvals < 64) {
        val_n[nvals] = n;
        val_q[nvals++] = q;
    }
}

static bool same(uint64_t n, uint64_t q)
{
    if (n == q) {
        return true;
    }
    for (int i = 0; i < nvals; i++) {
        if (val_n[i] == n && val_q[i] == q) {
            return true;
        }
    }
    return false;
}

/* ---- /proc/PID/maps ----------------------------------------------------- */

typedef struct Mapping {
    uint64_t start, end, off;
    char path[256];
} Mapping;

static int read_maps(pid_t pid, Mapping *m, int max)
{
    char name[64], line[512];
    FILE *f;
    int n = 0;

    snprintf(name, sizeof(name), "/proc/%d/maps", pid);
    f = fopen(name, "r");
    if (!f) {
        return 0;
    }
    while (n < max && fgets(line, sizeof(line), f)) {
        char perms[8], path[256] = "";
        unsigned long long s, e, off;
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %255[^\n]", &s, &e, perms,
                   &off, path) < 4) {
            continue;
        }
        m[n].start = s;
        m[n].end = e;
        m[n].off = off;
        snprintf(m[n].path, sizeof(m[n].path), "%s", path);
        n++;
    }
    fclose(f);
    return n;
}

/* "node+0x1234" for a native address, or the bare address. */
static const char *where(uint64_t addr)
{
    static char buf[2][320];
    static int which;
    static Mapping maps[2048];
    static int nmaps = -1;
    static uint64_t maps_count = ~0ull;
    char *b = buf[which ^= 1];

    if (maps_count != count) {
        nmaps = read_maps(npid, maps, 2048);
        maps_count = count;
    }
    for (int i = 0; i < nmaps; i++) {
        if (addr >= maps[i].start && addr < maps[i].end) {
            const char *base = strrchr(maps[i].path, '/');
            snprintf(b, 320, "%s+0x%" PRIx64,
                     base ? base + 1
                          : (maps[i].path[0] ? maps[i].path : "anon"),
                     addr - maps[i].start + maps[i].off);
            return b;
        }
    }
    snprintf(b, 320, "0x%" PRIx64, addr);
    return b;
}

/* ---- memory of the two processes ---------------------------------------- */

static bool mem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    struct iovec l = {buf, len}, r = {(void *)addr, len};
    return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)len;
}

static bool mem_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
    struct iovec l = {(void *)buf, len}, r = {(void *)addr, len};
    if (process_vm_writev(pid, &l, 1, &r, 1, 0) == (ssize_t)len) {
        return true;
    }
    /* read-only pages: ptrace pokes go through */
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w;
        size_t k = len - i < 8 ? len - i : 8;
        if (k < 8 && !mem_read(pid, addr + i, &w, 8)) {
            return false;
        }
        memcpy(&w, (const uint8_t *)buf + i, k);
        if (ptrace(PTRACE_POKEDATA, pid, addr + i, w) < 0) {
            return false;
        }
    }
    return true;
}

static void copy_q_to_n(uint64_t qaddr, uint64_t naddr, size_t len)
{
    uint8_t buf[4096];

    while (len) {
        size_t k = len < sizeof(buf) ? len : sizeof(buf);
        if (!mem_read(qpid, qaddr, buf, k) || !mem_write(npid, naddr, buf, k)) {
            fprintf(stderr,
                    "lockstep: cannot copy %zu bytes q:%" PRIx64
                    " -> n:%" PRIx64 "\n",
                    k, qaddr, naddr);
            return;
        }
        qaddr += k;
        naddr += k;
        len -= k;
    }
}

/* Code bytes of the native process, cached per page until a syscall. */
static struct {
    uint64_t page;
    bool valid;
    uint8_t data[4096];
} code_cache[64];

static void code_invalidate(void)
{
    for (int i = 0; i < 64; i++) {
        code_cache[i].valid = false;
    }
}

static void code_fetch(uint64_t addr, uint8_t *out, int len)
{
    for (int i = 0; i < len; i++) {
        uint64_t a = addr + i, page = a & ~4095ull;
        int slot = (page >> 12) & 63;
        if (!code_cache[slot].valid || code_cache[slot].page != page) {
            if (!mem_read(npid, page, code_cache[slot].data, 4096)) {
                memset(out + i, 0, len - i);
                return;
            }
            code_cache[slot].page = page;
            code_cache[slot].valid = true;
        }
        out[i] = code_cache[slot].data[a & 4095];
    }
}

/* ---- instruction classes ------------------------------------------------ */

enum {
    I_OTHER,
    I_SYSCALL,
    I_CPUID,
    I_RDTSC,
    I_RDTSCP,
    I_XGETBV,
    I_REPSTR,
    I_PUSHF,
    I_XSAVE
};

static int classify(const uint8_t *b)
{
    int i = 0;
    bool rep = false;

    for (; i < 14; i++) {
        uint8_t p = b[i];
        if (p == 0xf2 || p == 0xf3) {
            rep = true;
        } else if (!(p == 0x66 || p == 0x67 || p == 0xf0 || p == 0x2e ||
                     p == 0x3e || p == 0x26 || p == 0x36 || p == 0x64 ||
                     p == 0x65)) {
            break;
        }
    }
    if ((b[i] & 0xf0) == 0x40) {
        i++;
    }
    if (rep &&
        ((b[i] >= 0xa4 && b[i] <= 0xa7) || (b[i] >= 0xaa && b[i] <= 0xaf) ||
         (b[i] >= 0x6c && b[i] <= 0x6f))) {
        return I_REPSTR;
    }
    if (b[i] == 0x9c) {
        return I_PUSHF;
    }
    if (b[i] != 0x0f) {
        return I_OTHER;
    }
    if (b[i + 1] == 0xae && (b[i + 2] >> 6) != 3 &&
        (((b[i + 2] >> 3) & 7) == 4 || ((b[i + 2] >> 3) & 7) == 6)) {
        return I_XSAVE;
    }
    switch (b[i + 1]) {
    case 0x05:
        return I_SYSCALL;
    case 0xa2:
        return I_CPUID;
    case 0x31:
        return I_RDTSC;
    case 0x01:
        return b[i + 2] == 0xf9 ? I_RDTSCP : b[i + 2] == 0xd0 ? I_XGETBV : 0;
    }
    return I_OTHER;
}

/*
 * The memory operand of a 0F xx /r instruction at rip (native registers):
 * its address, and the instruction length in *len.
 */
static uint64_t modrm_ea(const uint8_t *b, const struct user_regs_struct *r,
                         int *len)
{
    const unsigned long long *g[16] = {
        &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
        &r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15};
    int i = 0, rex = 0, mod, rm;
    uint64_t ea = 0;
    bool riprel = false;

    while (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf2 || b[i] == 0xf3 ||
           b[i] == 0xf0 || b[i] == 0x64 || b[i] == 0x65) {
        i++;
    }
    if ((b[i] & 0xf0) == 0x40) {
        rex = b[i++];
    }
    i += 2; /* 0f xx */
    mod = b[i] >> 6;
    rm = (b[i] & 7) | (rex & 1 ? 8 : 0);
    i++;
    if ((rm & 7) == 4) {
        uint8_t sib = b[i++];
        int idx = ((sib >> 3) & 7) | (rex & 2 ? 8 : 0);
        int base = (sib & 7) | (rex & 1 ? 8 : 0);
        if (idx != 4) {
            ea += *g[idx] << (sib >> 6);
        }
        if ((base & 7) == 5 && mod == 0) {
            int32_t d;
            memcpy(&d, b + i, 4);
            ea += d;
            i += 4;
        } else {
            ea += *g[base];
        }
    } else if ((rm & 7) == 5 && mod == 0) {
        int32_t d;
        memcpy(&d, b + i, 4);
        ea += d;
        i += 4;
        riprel = true;
    } else {
        ea += *g[rm];
    }
    if (mod == 1) {
        ea += (int8_t)b[i++];
    } else if (mod == 2) {
        int32_t d;
        memcpy(&d, b + i, 4);
        ea += d;
        i += 4;
    }
    if (riprel) {
        ea += r->rip + i;
    }
    if (b[0] == 0x64) {
        ea += r->fs_base;
    } else if (b[0] == 0x65) {
        ea += r->gs_base;
    }
    *len = i;
    return ea;
}

/* ---- the native side ---------------------------------------------------- */

static struct user_regs_struct nregs;
static struct user_fpregs_struct nfp;

static void n_get(State *s)
{
    if (ptrace(PTRACE_GETREGS, npid, 0, &nregs) < 0) {
        die("PTRACE_GETREGS");
    }
    s->rip = nregs.rip;
    s->regs[0] = nregs.rax;
    s->regs[1] = nregs.rcx;
    s->regs[2] = nregs.rdx;
    s->regs[3] = nregs.rbx;
    s->regs[4] = nregs.rsp;
    s->regs[5] = nregs.rbp;
    s->regs[6] = nregs.rsi;
    s->regs[7] = nregs.rdi;
    s->regs[8] = nregs.r8;
    s->regs[9] = nregs.r9;
    s->regs[10] = nregs.r10;
    s->regs[11] = nregs.r11;
    s->regs[12] = nregs.r12;
    s->regs[13] = nregs.r13;
    s->regs[14] = nregs.r14;
    s->regs[15] = nregs.r15;
    s->eflags = nregs.eflags;
    s->fs_base = nregs.fs_base;
    if (check_xmm) {
        if (ptrace(PTRACE_GETFPREGS, npid, 0, &nfp) < 0) {
            die("PTRACE_GETFPREGS");
        }
        memcpy(s->xmm, nfp.xmm_space, sizeof(s->xmm));
    }
}

static void n_set_regs(void)
{
    if (ptrace(PTRACE_SETREGS, npid, 0, &nregs) < 0) {
        die("PTRACE_SETREGS");
    }
}

/*
 * A SIGSEGV stop: if it is CPUID faulting, answer with the emulator's
 * CPUID; if it is a trapped RDTSC/RDTSCP (PR_TSC_SIGSEGV), with the counter
 * the emulator uses in lockstep mode (2^32, +1000 per read, RDTSCP's ECX
 * 0).  Steps over the instruction and returns true.
 */
static bool n_cpuid_fault(void)
{
    static uint64_t tsc = 1ull << 32;
    uint8_t b[3];
    uint32_t leaf, sub;
    int i, best = -1;

    if (ptrace(PTRACE_GETREGS, npid, 0, &nregs) < 0 ||
        !mem_read(npid, nregs.rip, b, 3) || b[0] != 0x0f) {
        return false;
    }
    if (b[1] == 0x31 || (b[1] == 0x01 && b[2] == 0xf9)) {
        tsc += 1000;
        nregs.rax = (uint32_t)tsc;
        nregs.rdx = tsc >> 32;
        if (b[1] == 0x01) {
            nregs.rcx = 0;
        }
        nregs.rip += b[1] == 0x31 ? 2 : 3;
        n_set_regs();
        return true;
    }
    if (b[1] != 0xa2) {
        return false;
    }
    leaf = nregs.rax;
    sub = nregs.rcx;
    for (i = 0; i < ncpuid; i++) {
        if (cpuid_tab[i].leaf == leaf) {
            if (cpuid_tab[i].sub == sub) {
                best = i;
                break;
            }
            if (best < 0) {
                best = i;
            }
        }
    }
    nregs.rax = best < 0 ? 0 : cpuid_tab[best].r[0];
    nregs.rbx = best < 0 ? 0 : cpuid_tab[best].r[1];
    nregs.rcx = best < 0 ? 0 : cpuid_tab[best].r[2];
    nregs.rdx = best < 0 ? 0 : cpuid_tab[best].r[3];
    nregs.rip += 2;
    n_set_regs();
    return true;
}

/* Runs syscall nr(a1, a2) in the stopped native process in place of its
 * next instruction; returns the result. */
static long n_inject_syscall(long nr, long a1, long a2)
{
    struct user_regs_struct saved = nregs;
    uint64_t word, patched;
    int status;
    long r;

    if (!mem_read(npid, nregs.rip, &word, 8)) {
        die("read entry");
    }
    patched = (word & ~0xffffull) | 0x050f; /* syscall */
    mem_write(npid, nregs.rip, &patched, 8);
    nregs.rax = nr;
    nregs.rdi = a1;
    nregs.rsi = a2;
    n_set_regs();
    if (ptrace(PTRACE_SINGLESTEP, npid, 0, 0) < 0 ||
        waitpid(npid, &status, __WALL) < 0 || !WIFSTOPPED(status)) {
        die("injected syscall");
    }
    ptrace(PTRACE_GETREGS, npid, 0, &nregs);
    r = nregs.rax;
    mem_write(npid, saved.rip, &word, 8);
    nregs = saved;
    n_set_regs();
    return r;
}

/* CPUID and RDTSC fault in the native process (reset by execve, so set
 * after it): ARCH_SET_CPUID 0 and PR_SET_TSC PR_TSC_SIGSEGV. */
static void n_cpuid_faulting(void)
{
    long r = n_inject_syscall(158, 0x1012, 0); /* arch_prctl */

    if (r != 0) {
        fprintf(stderr,
                "lockstep: ARCH_SET_CPUID failed (%ld): CPUID "
                "results will differ\n",
                r);
    }
    r = n_inject_syscall(157, 26, 2); /* prctl(PR_SET_TSC, SIGSEGV) */
    if (r != 0) {
        fprintf(stderr, "lockstep: PR_SET_TSC failed (%ld)\n", r);
    }
}

/* Single-steps the native process; false when it exited. */
static bool n_step(void)
{
    int sig = 0, status;

    for (;;) {
        if (ptrace(PTRACE_SINGLESTEP, npid, 0, sig) < 0) {
            die("PTRACE_SINGLESTEP");
        }
        if (waitpid(npid, &status, __WALL) < 0) {
            die("waitpid");
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (WIFEXITED(status)) {
                printf("native: exited with %d\n", WEXITSTATUS(status));
            } else {
                printf("native: killed by signal %d\n", WTERMSIG(status));
            }
            return false;
        }
        sig = WSTOPSIG(status);
        if (sig == SIGTRAP) {
            return true;
        }
        if (sig == SIGSEGV && n_cpuid_fault()) {
            return true;
        }
        /* a signal for the program: deliver it with the next step, which
         * stops at the handler's first instruction */
        printf("native: signal %d at %s (insn %" PRIu64 ")\n", sig,
               where(nregs.rip), count);
    }
}

/* ---- the emulated side -------------------------------------------------- */

static LockstepRecord qbuf[512];
static unsigned qhead, qtail;
static bool q_eof;

static uint32_t q_magic;

static bool q_raw(State *s)
{
    LockstepRecord *r;

    if (q_sync_pending) {
        q_ack('a'); /* the emulator goes on to its next record */
    }
    for (;;) {
        if (qhead == qtail) {
            ssize_t n;
            size_t have = 0;
            do {
                n = read(qfd, (char *)qbuf + have, sizeof(qbuf) - have);
                if (n > 0) {
                    have += n;
                }
            } while ((n > 0 && have % sizeof(LockstepRecord)) ||
                     (n < 0 && errno == EINTR));
            if (have == 0) {
                q_eof = true;
                return false;
            }
            qhead = 0;
            qtail = have / sizeof(LockstepRecord);
        }
        r = &qbuf[qhead++];
        if ((pid_t)r->tid != qpid) {
            continue;
        }
        if (r->magic == LOCKSTEP_CPUID) {
            if (ncpuid < 1024) {
                cpuid_tab[ncpuid].leaf = r->rip;
                cpuid_tab[ncpuid].sub = r->eflags;
                cpuid_tab[ncpuid].r[0] = r->regs[0];
                cpuid_tab[ncpuid].r[1] = r->regs[3];
                cpuid_tab[ncpuid].r[2] = r->regs[1];
                cpuid_tab[ncpuid].r[3] = r->regs[2];
                ncpuid++;
            }
            continue;
        }
        if (r->magic == LOCKSTEP_MAGIC || r->magic == LOCKSTEP_SYNC ||
            r->magic == LOCKSTEP_SYSENTRY) {
            break;
        }
    }
    q_magic = r->magic;
    if (r->magic == LOCKSTEP_SYNC || (q_each && r->magic == LOCKSTEP_MAGIC)) {
        q_sync_pending = true;
    }
    s->rip = r->rip;
    memcpy(s->regs, r->regs, sizeof(s->regs));
    s->eflags = r->eflags;
    s->fs_base = r->fs_base;
    memcpy(s->xmm, r->xmm, sizeof(s->xmm));
    return true;
}

/* The next instruction boundary record (SYSENTRY records skipped). */
static bool q_next(State *s)
{
    do {
        if (!q_raw(s)) {
            return false;
        }
    } while (q_magic == LOCKSTEP_SYSENTRY);
    return true;
}

/* ---- start-up ------------------------------------------------------------ */

static uint64_t find_mapping(pid_t pid, uint64_t addr, const char *path,
                             bool want_end)
{
    static Mapping m[2048];
    int k = read_maps(pid, m, 2048);
    uint64_t lo = UINT64_MAX;
    const char *p = NULL;

    for (int i = 0; i < k; i++) {
        if (path ? !strcmp(m[i].path, path)
                 : (addr >= m[i].start && addr < m[i].end)) {
            if (want_end) {
                return m[i].end;
            }
            p = m[i].path;
            break;
        }
    }
    /* the lowest mapping of the same file: its load base */
    for (int i = 0; p && i < k; i++) {
        if (!strcmp(m[i].path, p) && m[i].start < lo) {
            lo = m[i].start;
        }
    }
    return lo == UINT64_MAX ? 0 : lo;
}

/* The emulator's initial stack (argv, envp, auxv, strings up to the top)
 * becomes the native one: same bytes at the same addresses. */
static void copy_initial_stack(uint64_t qsp, uint64_t top)
{
    copy_q_to_n(qsp, qsp, top - qsp);
}

/* ---- reporting ------------------------------------------------------------
 */

static void print_state(const char *who, const State *s, const State *other,
                        bool native)
{
    printf("  %s rip=%s", who, native ? where(s->rip) : "");
    if (!native) {
        printf("%" PRIx64, s->rip);
    }
    printf(" fl=%03" PRIx64 "\n   ", s->eflags & FLAGS_MASK);
    for (int i = 0; i < 16; i++) {
        bool diff = other && (native ? !same(s->regs[i], other->regs[i])
                                     : !same(other->regs[i], s->regs[i]));
        printf(" %s%s=%" PRIx64, diff ? "*" : "", reg_names[i], s->regs[i]);
        if (i == 7) {
            printf("\n   ");
        }
    }
    printf("\n");
}

static void print_insn(const Step *st)
{
    printf("#%" PRIu64 " %s  bytes", st->count, where(st->n.rip));
    for (int i = 0; i < 15; i++) {
        printf(" %02x", st->insn[i]);
    }
    printf("\n");
}

static void report(const State *n, const State *q)
{
    printf("\nstate before instruction %" PRIu64 " (native %s, quasar "
           "%" PRIx64 ")\n",
           count, where(n->rip), q->rip);
    printf("last instructions (state before each):\n");
    for (uint64_t c = count > RING - 1 ? count - (RING - 1) : 0; c < count;
         c++) {
        const Step *st = &ring[c % RING];
        print_insn(st);
        print_state("native", &st->n, &st->q, true);
        print_state("quasar", &st->q, &st->n, false);
    }
    printf("now:\n");
    print_state("native", n, q, true);
    print_state("quasar", q, n, false);
}

/* ---- main loop --------------------------------------------------------------
 */

static void usage(void)
{
    fprintf(stderr, "usage: x86-lockstep [-q QEMU] [-S | -k N [-m]] "
                    "[-n MAX] [-s SKIP] [-x] [-v] -- PROGRAM [ARGS...]\n");
    exit(2);
}

static void finish(int code)
{
    kill(npid, SIGKILL);
    kill(qpid, SIGKILL);
    exit(code);
}

/* The emulator's next instruction boundary (REP iterations and re-entries
 * of the same TB folded).  False at its end. */
static bool q_advance(State *q, const State *prev, bool rep)
{
    for (;;) {
        if (!q_next(q)) {
            return false;
        }
        if (rep && q->rip == prev->rip) {
            continue;
        }
        if (!memcmp(q, prev, sizeof(*q))) {
            continue;
        }
        return true;
    }
}

/* Lets the emulator go on after a syscall (see LOCKSTEP_SYNC): 's' in
 * syscall mode, 'f' to switch to full mode. */
static void q_ack(char c)
{
    if (q_sync_pending) {
        q_sync_pending = false;
        if (write(qack, &c, 1) != 1) {
            die("ack");
        }
    }
}

/* Syscalls: make the native one take the emulator's choices (before), and
 * take the emulator's view of time and input (after). */
static void syscall_before(uint64_t nr, const State *q, bool at_entry)
{
    uint64_t rq = q->regs[0];

    if (rq == (uint64_t)-38) {
        /* ENOSYS in the emulator (clone3, rseq...): none natively either */
        if (at_entry) {
            nregs.orig_rax = -1;
        } else {
            nregs.rax = 0xfff;
        }
        n_set_regs();
        return;
    }
    if (rq > -4096ull) {
        return;
    }
    if (nr == 9 && !(nregs.r10 & 0x10)) { /* mmap, not MAP_FIXED */
        nregs.rdi = rq;
        nregs.r10 |= 0x100000; /* MAP_FIXED_NOREPLACE */
        n_set_regs();
    } else if (nr == 25 && (nregs.r10 & 1) && rq != nregs.rdi &&
               !(nregs.r10 & 2)) {
        nregs.r10 |= 2; /* MREMAP_FIXED */
        nregs.r8 = rq;
        n_set_regs();
    }
}

static void syscall_after(const struct user_regs_struct *b, const State *qb,
                          const State *q)
{
    uint64_t nr = b->rax, rn = nregs.rax, rq = q->regs[0];
    bool err_q = rq > -4096ull;

    code_invalidate();
    switch (nr) {
    case 56:  /* clone */
    case 57:  /* fork */
    case 58:  /* vfork */
    case 435: /* clone3 */
    case 39:  /* getpid */
    case 110: /* getppid */
    case 186: /* gettid */
    case 218: /* set_tid_address */
        add_value(rn, rq);
        return;
    case 228: /* clock_gettime */
        if (!err_q) {
            copy_q_to_n(qb->regs[6], b->rsi, 16);
        }
        break;
    case 96: /* gettimeofday */
        if (!err_q && b->rdi) {
            copy_q_to_n(qb->regs[7], b->rdi, 16);
        }
        break;
    case 201: /* time */
        if (b->rdi) {
            copy_q_to_n(qb->regs[7], b->rdi, 8);
        }
        break;
    case 99: /* sysinfo */
        copy_q_to_n(qb->regs[7], b->rdi, 112);
        break;
    case 100: /* times */
        if (b->rdi) {
            copy_q_to_n(qb->regs[7], b->rdi, 32);
        }
        break;
    case 98: /* getrusage */
        copy_q_to_n(qb->regs[6], b->rsi, 144);
        break;
    case 0:   /* read */
    case 17:  /* pread64 */
    case 318: /* getrandom */
    {
        static uint8_t bn[65536], bq[65536];
        uint64_t len = err_q ? 0 : rq;
        uint64_t buf = nr == 318 ? b->rdi : b->rsi;
        bool differ = rn != rq;
        if (len > sizeof(bn)) {
            len = sizeof(bn);
        }
        if (len && (!mem_read(npid, buf, bn, len) ||
                    !mem_read(qpid, buf, bq, len) || memcmp(bn, bq, len))) {
            differ = true;
        }
        if (differ && nr != 318) {
            printf("note: #%" PRIu64 " %s(fd %lld, %lld bytes) gave %" PRIx64
                   " natively, %" PRIx64 " in quasar: quasar's data used\n",
                   count, nr ? "pread64" : "read", b->rdi, b->rdx, rn, rq);
        }
        if (differ && len) {
            copy_q_to_n(buf, buf, len);
        }
        break;
    }
    case 9:  /* mmap */
    case 25: /* mremap */
        if (rn != rq) {
            printf("note: #%" PRIu64 " %s gave %" PRIx64 " natively, %" PRIx64
                   " in quasar\n",
                   count, nr == 9 ? "mmap" : "mremap", rn, rq);
        }
        return;
    default:
        if (!same(rn, rq)) {
            printf("note: #%" PRIu64 " syscall %" PRIu64
                   " at %s returned %" PRIx64 " natively, %" PRIx64
                   " in quasar: quasar's used\n",
                   count, nr, where(b->rip), rn, rq);
        } else {
            return;
        }
    }
    nregs.rax = rq;
    n_set_regs();
}

/* The flags an instruction reads: Jcc, SETcc, CMOVcc by their condition,
 * ADC/SBB the carry, PUSHF/LAHF all (a rough decoder). */
static uint64_t flags_read(const uint8_t *b)
{
    static const uint16_t cc[8] = {0x800, 0x001, 0x040, 0x041,
                                   0x080, 0x004, 0x880, 0x8c0};
    int i = 0;

    while (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf2 || b[i] == 0xf3 ||
           b[i] == 0xf0 || b[i] == 0x64 || b[i] == 0x65) {
        i++;
    }
    if ((b[i] & 0xf0) == 0x40) {
        i++;
    }
    if ((b[i] & 0xf0) == 0x70) {
        return cc[(b[i] >> 1) & 7];
    }
    if (b[i] == 0x9c || b[i] == 0x9f) {
        return FLAGS_MASK;
    }
    if (b[i] >= 0x10 && b[i] <= 0x1d && (b[i] & 7) < 6) {
        return 0x001;
    }
    if ((b[i] == 0x80 || b[i] == 0x81 || b[i] == 0x83) &&
        ((b[i + 1] >> 3) & 7) >= 2 && ((b[i + 1] >> 3) & 7) <= 3) {
        return 0x001;
    }
    if (b[i] == 0x0f &&
        ((b[i + 1] & 0xf0) == 0x80 || (b[i + 1] & 0xf0) == 0x90 ||
         (b[i + 1] & 0xf0) == 0x40)) {
        return cc[(b[i + 1] >> 1) & 7];
    }
    return 0;
}

static void compare(const State *n, const State *q, const uint8_t *next_insn)
{
    bool hard = !same(n->rip, q->rip), soft = false;

    for (int i = 0; i < 16; i++) {
        hard |= !same(n->regs[i], q->regs[i]);
    }
    if (hard) {
        printf("\nDIVERGENCE (* marks the registers that differ)\n");
        report(n, q);
        finish(1);
    }
    /* flags only matter to an instruction that reads them */
    soft = (n->eflags ^ q->eflags) & flags_read(next_insn);
    for (int i = 0; i < 16 && check_xmm; i++) {
        soft |= n->xmm[i][0] != q->xmm[i][0] || n->xmm[i][1] != q->xmm[i][1];
    }
    if (soft && soft_reports < 40) {
        const Step *pv = &ring[(count - 1) % RING];
        soft_reports++;
        printf("note: flags/xmm differ after #%" PRIu64 " %s:", count - 1,
               where(pv->n.rip));
        for (int i = 0; i < 8; i++) {
            printf(" %02x", pv->insn[i]);
        }
        printf(" fl native %03" PRIx64 " quasar %03" PRIx64,
               n->eflags & FLAGS_MASK, q->eflags & FLAGS_MASK);
        for (int i = 0; i < 16 && check_xmm; i++) {
            if (n->xmm[i][0] != q->xmm[i][0] || n->xmm[i][1] != q->xmm[i][1]) {
                printf(" xmm%d %016" PRIx64 "%016" PRIx64 "/%016" PRIx64
                       "%016" PRIx64,
                       i, n->xmm[i][1], n->xmm[i][0], q->xmm[i][1],
                       q->xmm[i][0]);
            }
        }
        printf("\n");
    }
}

/*
 * -m: the stack around rsp in both, after every instruction (the emulator
 * waits at each record).  A word that was equal and now differs is noted
 * with the instruction that just ran.
 */
#define MEMW_BELOW 512
#define MEMW_ABOVE 4096
static uint64_t memw_base;
static uint64_t memw_n[(MEMW_BELOW + MEMW_ABOVE) / 8];
static uint64_t memw_q[(MEMW_BELOW + MEMW_ABOVE) / 8];
static unsigned mem_reports;

static void mem_compare(uint64_t rsp)
{
    enum { W = (MEMW_BELOW + MEMW_ABOVE) / 8 };
    uint64_t base = (rsp - MEMW_BELOW) & ~7ull;
    static uint64_t nn[W], qq[W];

    if (!mem_read(npid, base, nn, sizeof(nn)) ||
        !mem_read(qpid, base, qq, sizeof(qq))) {
        return;
    }
    for (int i = 0; i < W; i++) {
        uint64_t a = base + 8 * i;
        bool was_diff = true;
        if (memw_base && a >= memw_base && a < memw_base + 8 * W) {
            int j = (a - memw_base) / 8;
            was_diff = memw_n[j] != memw_q[j];
        }
        if (nn[i] != qq[i] && !was_diff && !same(nn[i], qq[i]) &&
            mem_reports < 40) {
            const Step *pv = &ring[(count - 1) % RING];
            mem_reports++;
            printf("note: memory %" PRIx64 " (rsp%+" PRId64 ") differs after "
                   "#%" PRIu64 " %s: native %" PRIx64 " quasar %" PRIx64
                   "; insn",
                   a, (int64_t)(a - rsp), count - 1, where(pv->n.rip), nn[i],
                   qq[i]);
            for (int k = 0; k < 10; k++) {
                printf(" %02x", pv->insn[k]);
            }
            printf("\n");
        }
    }
    memcpy(memw_n, nn, sizeof(nn));
    memcpy(memw_q, qq, sizeof(qq));
    memw_base = base;
}

/* ---- syscall mode ---------------------------------------------------------
 */

static uint64_t nsyscalls;

static void syscall_report(const struct user_regs_struct *e, const State *q)
{
    State n;

    memset(&n, 0, sizeof(n));
    n.rip = e->rip;
    n.regs[0] = e->orig_rax;
    n.regs[1] = e->rcx;
    n.regs[2] = e->rdx;
    n.regs[3] = e->rbx;
    n.regs[4] = e->rsp;
    n.regs[5] = e->rbp;
    n.regs[6] = e->rsi;
    n.regs[7] = e->rdi;
    n.regs[8] = e->r8;
    n.regs[9] = e->r9;
    n.regs[10] = e->r10;
    n.regs[11] = e->r11;
    n.regs[12] = e->r12;
    n.regs[13] = e->r13;
    n.regs[14] = e->r14;
    n.regs[15] = e->r15;
    n.eflags = e->eflags;
    /*
     * Only the number, the first three arguments, rsp and the callee-saved
     * registers: scratch registers may still hold what an XGETBV (which
     * does not trap) returned natively.
     */
    for (int i = 0; i < 16; i++) {
        if (i != 1 && (i < 8 || i > 11) && !same(n.regs[i], q->regs[i])) {
            goto differ;
        }
    }
    if (same(n.rip, q->rip)) {
        return;
    }
differ:
    printf("\nDIVERGENCE at syscall %" PRIu64 " (native nr %lld at %s, "
           "quasar nr %" PRIu64 " at %" PRIx64 ")\n",
           nsyscalls, e->orig_rax, where(e->rip), q->regs[0], q->rip);
    print_state("native", &n, q, true);
    print_state("quasar", q, &n, false);
    printf("rerun with -k %" PRIu64 " to compare the instructions after "
           "the syscall before\n",
           nsyscalls ? nsyscalls - 1 : 0);
    finish(1);
}

/* futex, sched_yield, nanosleep: how often a thread waits for another
 * depends on timing; such syscalls are matched loosely and not counted */
static bool is_wait(uint64_t nr)
{
    return nr == 202 || nr == 24 || nr == 35 || nr == 230;
}

/*
 * Syscall mode: both run at full speed and are compared at every syscall
 * of the main thread.  Returns after `until` syscalls, the emulator then in
 * full mode and both stopped after that syscall (*n, *q their states).
 */
static void run_syscalls(uint64_t until, bool verbose, State *n, State *q)
{
    struct user_regs_struct entry;
    bool in_syscall = false, have_qe = false, native_only = false;
    int status, sig = 0;
    State qe, qs;

    ptrace(PTRACE_SETOPTIONS, npid, 0,
           PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD);
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, npid, 0, sig) < 0) {
            die("PTRACE_SYSCALL");
        }
        sig = 0;
        if (waitpid(npid, &status, __WALL) < 0) {
            die("waitpid");
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            bool more = q_raw(&qe);
            if (WIFEXITED(status)) {
                printf("native: exited with %d\n", WEXITSTATUS(status));
            } else {
                printf("native: killed by signal %d\n", WTERMSIG(status));
            }
            if (!more) {
                waitpid(qpid, &status, 0);
                printf("both ended after %" PRIu64 " syscalls; quasar %s %d\n",
                       nsyscalls,
                       WIFSIGNALED(status) ? "killed by signal" : "exit status",
                       WIFSIGNALED(status) ? WTERMSIG(status)
                                           : WEXITSTATUS(status));
                finish(0);
            }
            printf("quasar goes on (at %" PRIx64 ")\n", qe.rip);
            finish(1);
        }
        int st = WSTOPSIG(status);
        if (st == (SIGTRAP | 0x80)) {
            ptrace(PTRACE_GETREGS, npid, 0, &nregs);
            if (!in_syscall) {
                in_syscall = true;
                entry = nregs;
                for (;;) {
                    if (!have_qe && !q_raw(&qe)) {
                        waitpid(qpid, &status, 0);
                        printf("quasar ended (%s %d) before syscall %" PRIu64
                               " (native: nr %lld at %s)\n",
                               WIFSIGNALED(status) ? "signal" : "status",
                               WIFSIGNALED(status) ? WTERMSIG(status)
                                                   : WEXITSTATUS(status),
                               nsyscalls, entry.orig_rax, where(entry.rip));
                        printf("rerun with -k %" PRIu64 "\n",
                               nsyscalls ? nsyscalls - 1 : 0);
                        finish(1);
                    }
                    if (q_magic != LOCKSTEP_SYSENTRY) {
                        fprintf(stderr, "lockstep: expected a syscall "
                                        "record\n");
                        finish(2);
                    }
                    have_qe = true;
                    if ((entry.orig_rax == qe.regs[0] && entry.rip == qe.rip) ||
                        !is_wait(qe.regs[0])) {
                        break;
                    }
                    /* the emulator waited for another thread, the native
                     * program did not need to: let it go */
                    if (!q_raw(&qs) || q_magic != LOCKSTEP_SYNC) {
                        finish(2);
                    }
                    q_ack('s');
                    have_qe = false;
                }
                if ((entry.orig_rax != qe.regs[0] || entry.rip != qe.rip) &&
                    is_wait(entry.orig_rax)) {
                    native_only = true; /* the other way round */
                    continue;
                }
                have_qe = false;
                if (!is_wait(entry.orig_rax)) {
                    syscall_report(&entry, &qe);
                }
                if (entry.orig_rax == 60 || entry.orig_rax == 231) {
                    continue;
                }
                if (!q_raw(&qs) || q_magic != LOCKSTEP_SYNC) {
                    fprintf(stderr,
                            "lockstep: no state after syscall %" PRIu64 "\n",
                            nsyscalls);
                    finish(2);
                }
                syscall_before(entry.orig_rax, &qs, true);
            } else if (native_only) {
                in_syscall = false;
                native_only = false;
            } else {
                struct user_regs_struct b = entry;
                in_syscall = false;
                nregs.rdi = entry.rdi;
                nregs.r10 = entry.r10;
                nregs.r8 = entry.r8;
                n_set_regs();
                b.rax = entry.orig_rax;
                syscall_after(&b, &qe, &qs);
                if (!is_wait(b.rax)) {
                    nsyscalls++;
                }
                if (verbose && nsyscalls % 1000 == 0) {
                    printf("... %" PRIu64 " syscalls, at %s\n", nsyscalls,
                           where(nregs.rip));
                }
                if (nsyscalls == until) {
                    q_ack(mem_check ? 'F' : 'f');
                    q_each = mem_check;
                    n_get(n);
                    *q = qs;
                    return;
                }
                q_ack('s');
            }
        } else if (st == SIGSEGV && n_cpuid_fault()) {
            continue;
        } else if (st != SIGTRAP) {
            sig = st;
            printf("native: signal %d at %s (after syscall %" PRIu64 ")\n", st,
                   where(nregs.rip), nsyscalls);
        }
    }
}

int main(int argc, char **argv)
{
    const char *qemu = "build/linux-user/qemu-x86_64";
    uint64_t max = UINT64_MAX, skip = 0, interp, top, until = 0;
    bool verbose = false, syscall_mode = false;
    int opt, p[2], ack[2], status;
    State n, q, qprev;
    uint8_t insn[16];
    char layout[96];

    while ((opt = getopt(argc, argv, "q:n:s:k:Smxv")) != -1) {
        switch (opt) {
        case 'm':
            mem_check = true;
            break;
        case 'S':
            syscall_mode = true;
            until = UINT64_MAX;
            break;
        case 'k':
            syscall_mode = true;
            until = strtoull(optarg, NULL, 0);
            break;
        case 'q':
            qemu = optarg;
            break;
        case 'n':
            max = strtoull(optarg, NULL, 0);
            break;
        case 's':
            skip = strtoull(optarg, NULL, 0);
            break;
        case 'x':
            check_xmm = false;
            break;
        case 'v':
            verbose = true;
            break;
        default:
            usage();
        }
    }
    if (optind >= argc) {
        usage();
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* no lazy binding: its trampoline XSAVEs with the host's XCR0 */
    setenv("LD_BIND_NOW", "1", 1);

    /* native first: the kernel's layout is the one both use */
    npid = fork();
    if (npid == 0) {
        personality(ADDR_NO_RANDOMIZE);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execv(argv[optind], argv + optind);
        perror(argv[optind]);
        _exit(127);
    }
    if (waitpid(npid, &status, 0) < 0 || !WIFSTOPPED(status)) {
        die("native start");
    }
    ptrace(PTRACE_SETOPTIONS, npid, 0, PTRACE_O_EXITKILL);
    n_get(&n);
    interp = find_mapping(npid, n.rip, NULL, false);
    top = find_mapping(npid, 0, "[stack]", true);
    snprintf(layout, sizeof(layout), "interp=%" PRIx64 ",stack=%" PRIx64,
             interp, top);

    if (pipe(p) < 0 || pipe(ack) < 0) {
        die("pipe");
    }
    qpid = fork();
    if (qpid == 0) {
        char **qargv = calloc(argc - optind + 2, sizeof(char *));
        /* out of the way of the program's own descriptors */
        dup2(p[1], 1000);
        dup2(ack[0], 1001);
        close(p[0]);
        close(p[1]);
        close(ack[0]);
        close(ack[1]);
        setenv("QUASAR_LOCKSTEP_FD", "1000", 1);
        setenv("QUASAR_LOCKSTEP_ACK", "1001", 1);
        setenv("QUASAR_LOCKSTEP_LAYOUT", layout, 1);
        if (syscall_mode && until) {
            setenv("QUASAR_LOCKSTEP_SYSCALLS", "1", 1);
        }
        qargv[0] = (char *)qemu;
        for (int i = optind; i < argc; i++) {
            qargv[i - optind + 1] = argv[i];
        }
        execv(qemu, qargv);
        perror(qemu);
        _exit(127);
    }
    close(p[1]);
    close(ack[0]);
    qfd = p[0];
    qack = ack[1];

    if (!q_next(&q)) {
        fprintf(stderr, "lockstep: %s reported nothing\n", qemu);
        finish(2);
    }
    if (q.rip != n.rip) {
        fprintf(stderr,
                "lockstep: entry %" PRIx64 " native, %" PRIx64
                " in quasar (layout %s)\n",
                n.rip, q.rip, layout);
        finish(2);
    }
    copy_initial_stack(q.regs[4], top);
    {
        unsigned long long *r[16] = {
            &nregs.rax, &nregs.rcx, &nregs.rdx, &nregs.rbx,
            &nregs.rsp, &nregs.rbp, &nregs.rsi, &nregs.rdi,
            &nregs.r8,  &nregs.r9,  &nregs.r10, &nregs.r11,
            &nregs.r12, &nregs.r13, &nregs.r14, &nregs.r15};
        for (int i = 0; i < 16; i++) {
            *r[i] = q.regs[i];
        }
        n_set_regs();
    }
    n_cpuid_faulting();
    n_get(&n);
    if (syscall_mode && until) {
        run_syscalls(until, verbose, &n, &q);
        printf("full mode from syscall %" PRIu64 " on (native at %s)\n",
               nsyscalls, where(n.rip));
        code_fetch(n.rip, insn, 16);
        compare(&n, &q, insn);
    }

    for (;;) {
        Step *st = &ring[count % RING];
        struct user_regs_struct before;
        int cls;

        code_fetch(n.rip, insn, 16);
        if (count >= skip && count > 0) {
            compare(&n, &q, insn);
        }
        if (q_each) {
            mem_compare(n.regs[4]);
        }
        if (count >= max) {
            printf("stopped after %" PRIu64 " instructions, no divergence\n",
                   count);
            report(&n, &q);
            finish(0);
        }
        if (verbose && count % 1000000 == 0) {
            printf("... %" PRIu64 " instructions at %s\n", count, where(n.rip));
        }

        st->count = count;
        st->n = n;
        st->q = q;
        memcpy(st->insn, insn, 16);
        cls = classify(insn);

        /* the emulator's next state first: syscalls need its results */
        qprev = q;
        if (cls == I_SYSCALL && (nregs.rax == 60 || nregs.rax == 231)) {
            /* exit: both should end here */
            bool qmore = q_advance(&q, &qprev, false);
            bool nmore = n_step();
            if (!qmore && !nmore) {
                printf("both exited after %" PRIu64 " instructions, no "
                       "divergence\n",
                       count);
                finish(0);
            }
            printf("exit at #%" PRIu64 ": native %s, quasar %s\n", count,
                   nmore ? "continues" : "exited",
                   qmore ? "continues" : "exited");
            finish(1);
        }
        if (!q_advance(&q, &qprev, cls == I_REPSTR)) {
            waitpid(qpid, &status, 0);
            printf("quasar: %s %d at #%" PRIu64 " (native at %s)\n",
                   WIFSIGNALED(status) ? "killed by signal" : "exited with",
                   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
                   count, where(n.rip));
            report(&n, &qprev);
            finish(1);
        }
        before = nregs;
        if (cls == I_SYSCALL) {
            syscall_before(nregs.rax, &q, false);
        }
        if (cls == I_XSAVE) {
            /* the native XSAVE would store the host's XCR0 components
             * (AVX-512...) into a buffer sized by the emulator's CPUID:
             * take the emulator's store instead */
            int len;
            uint64_t ea = modrm_ea(insn, &nregs, &len);
            copy_q_to_n(ea, ea, 576);
            nregs.rip += len;
            n_set_regs();
            n_get(&n);
            count++;
            continue;
        }
        if (!n_step()) {
            printf("quasar: at %" PRIx64 " (#%" PRIu64 ")\n", q.rip, count);
            finish(1);
        }
        n_get(&n);
        while (cls == I_REPSTR && n.rip == before.rip) {
            if (!n_step()) {
                finish(1);
            }
            n_get(&n);
        }
        count++;

        switch (cls) {
        case I_XGETBV:
            nregs.rax = q.regs[0];
            nregs.rdx = q.regs[2];
            n_set_regs();
            n_get(&n);
            break;
        default:
            break;
        case I_SYSCALL:
            /* the native r11 has the TF of single-stepping; arguments
             * syscall_before changed come back */
            nregs.r11 &= ~0x100ull;
            nregs.rdi = before.rdi;
            nregs.r10 = before.r10;
            nregs.r8 = before.r8;
            n_set_regs();
            syscall_after(&before, &qprev, &q);
            n_get(&n);
            break;
        case I_PUSHF: {
            uint64_t f;
            if (mem_read(npid, n.regs[4], &f, 8)) {
                f &= ~0x100ull;
                mem_write(npid, n.regs[4], &f, 8);
            }
            break;
        }
        }
        if (!q_each) {
            q_ack('f'); /* a syscall's SYNC (-m: acked by the next read) */
        }
    }
}
