/*
 * The system-mode x86 translator in every mode, without running the code:
 *  - instruction lengths (one-insn TBs: tb->size) where the mode changes
 *    the decoding: CS.D and 66h/67h, 16-bit ModRM, moffs, far pointers,
 *    REX vs INC/DEC, C4/C5 as LES/LDS vs VEX, MOV CRn ignoring ModRM.mod;
 *  - random and prefix-structured byte sequences translated with the TB
 *    flags of real mode, vm86, 16/32-bit protected mode at CPL 0 and 3,
 *    compatibility mode and 64-bit mode (with TF, RF, the interrupt
 *    shadow, CR0.EM/TS), so that no encoding makes the translator or TCG
 *    crash or assert (SDM vol. 2 ch. 2 encodings, vol. 3A ch. 2 modes).
 * Code is fetched from RAM of system/memory.c through the softmmu.
 */
#include <string.h>
#include <glib.h>

#include "accel/tcg/cputlb.h"
#include "accel/tcg/tb-internal.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "target/x86/helper.h"
#include "target/x86/sys-cpu.h"
#include "target/x86/sys-internal.h"

#define RAM_SIZE (4u << 20)
#define CODE     0x1000

static MemoryRegion ram_mr;
static uint8_t *ram;
static X86ArchCPU acpu;
static CPUX86State *env = &acpu.env;
static CPUState *cs = &acpu.parent_obj;

/* TB flags of the modes (SYSTEM.md hflags table). */
#define F_REAL   (HF_ADDSEG_MASK)
#define F_VM86   (HF_PE_MASK | HF_VM_MASK | 3 | HF_ADDSEG_MASK)
#define F_PM16   (HF_PE_MASK | HF_ADDSEG_MASK)
#define F_PM32   (HF_PE_MASK | HF_CS32_MASK | HF_SS32_MASK)
#define F_COMPAT (F_PM32 | HF_LMA_MASK | HF_PG_MASK)
#define F_LONG                                                                 \
    (F_PM32 | HF_LMA_MASK | HF_CS64_MASK | HF_PG_MASK | HF_OSFXSR_MASK |       \
     HF_OSXSAVE_MASK)

static uint64_t next_pc = 0x100000;

/*
 * Translates the bytes at a fresh address (so that no TB is reused) with
 * the given flags; returns the TB (NULL if the first fetch faulted).
 */
static TranslationBlock *translate(const uint8_t *code, int len, uint32_t flags,
                                   int max_insns)
{
    uint64_t pc = next_pc;
    TranslationBlock *tb;

    next_pc += 64;
    if (next_pc + 64 >= RAM_SIZE) {
        next_pc = 0x100000 + (next_pc & 63) + 1;
    }
    memset(ram + pc, 0x90, 64); /* NOPs after the code */
    memcpy(ram + pc, code, len);
    cs->exception_index = -1;
    if (sigsetjmp(cs->jmp_env, 0) != 0) {
        return NULL;
    }
    tb = tb_gen_code(cs, pc, 0, flags, max_insns);
    return tb;
}

/* Length of the first insn of code under flags. */
static int insn_len(uint32_t flags, const char *hex)
{
    uint8_t code[16];
    int n = 0;
    TranslationBlock *tb;

    while (hex[0] && hex[1] && n < 16) {
        unsigned v;
        if (hex[0] == ' ') {
            hex++;
            continue;
        }
        g_assert_true(sscanf(hex, "%2x", &v) == 1);
        code[n++] = v;
        hex += 2;
    }
    tb = translate(code, n, flags, 1);
    g_assert_nonnull(tb);
    return tb->size;
}

static void test_lengths(void)
{
    /* MOV rAX, imm: 16 or 32 bits from CS.D, flipped by 66h */
    g_assert_cmpint(insn_len(F_REAL, "b8 34 12"), ==, 3);
    g_assert_cmpint(insn_len(F_REAL, "66 b8 78 56 34 12"), ==, 6);
    g_assert_cmpint(insn_len(F_PM32, "b8 78 56 34 12"), ==, 5);
    g_assert_cmpint(insn_len(F_PM32, "66 b8 34 12"), ==, 4);
    g_assert_cmpint(insn_len(F_LONG, "48 b8 01 02 03 04 05 06 07 08"), ==, 10);
    /* 16-bit ModRM: [bx+disp16], [bp+disp8], disp16 alone */
    g_assert_cmpint(insn_len(F_REAL, "8b 87 34 12"), ==, 4);
    g_assert_cmpint(insn_len(F_REAL, "8b 46 08"), ==, 3);
    g_assert_cmpint(insn_len(F_REAL, "8b 06 34 12"), ==, 4);
    g_assert_cmpint(insn_len(F_PM32, "8b 87 78 56 34 12"), ==, 6);
    /* 67h: 32-bit addressing (SIB) in 16-bit code, 16-bit in 32-bit code */
    g_assert_cmpint(insn_len(F_REAL, "67 8b 04 24"), ==, 4);
    g_assert_cmpint(insn_len(F_PM32, "67 8b 06 34 12"), ==, 5);
    /* moffs: address size */
    g_assert_cmpint(insn_len(F_REAL, "a1 34 12"), ==, 3);
    g_assert_cmpint(insn_len(F_PM32, "a1 78 56 34 12"), ==, 5);
    g_assert_cmpint(insn_len(F_LONG, "a1 01 02 03 04 05 06 07 08"), ==, 9);
    /* near CALL/Jcc rel16 vs rel32 */
    g_assert_cmpint(insn_len(F_REAL, "e8 00 01"), ==, 3);
    g_assert_cmpint(insn_len(F_REAL, "66 e8 00 01 00 00"), ==, 6);
    g_assert_cmpint(insn_len(F_REAL, "0f 84 00 01"), ==, 4);
    g_assert_cmpint(insn_len(F_PM32, "0f 84 00 01 00 00"), ==, 6);
    /* far pointers: 9A/EA ptr16:16 / ptr16:32 */
    g_assert_cmpint(insn_len(F_REAL, "9a 00 01 00 20"), ==, 5);
    g_assert_cmpint(insn_len(F_PM32, "ea 00 01 00 00 08 00"), ==, 7);
    /* 40-4F: INC/DEC outside 64-bit mode, REX in it */
    g_assert_cmpint(insn_len(F_PM32, "48 89 c0"), ==, 1);
    g_assert_cmpint(insn_len(F_LONG, "48 89 c0"), ==, 3);
    /* C4/C5: LES/LDS with ModRM.mod != 3, VEX otherwise / in 64-bit */
    g_assert_cmpint(insn_len(F_REAL, "c4 06 34 12"), ==, 4);
    g_assert_cmpint(insn_len(F_PM32, "c5 05 78 56 34 12"), ==, 6);
    g_assert_cmpint(insn_len(F_PM32, "c4 e2 78 f2 c1"), ==, 5); /* ANDN */
    g_assert_cmpint(insn_len(F_LONG, "c4 e2 f8 f2 c1"), ==, 5);
    /* MOV CRn: r/m is a register whatever ModRM.mod says */
    g_assert_cmpint(insn_len(F_PM32, "0f 20 00"), ==, 3);
    g_assert_cmpint(insn_len(F_LONG, "44 0f 22 c0"), ==, 4); /* CR8 */
    /* ENTER, RET imm16, INT imm8, IN imm8 */
    g_assert_cmpint(insn_len(F_REAL, "c8 08 00 01"), ==, 4);
    g_assert_cmpint(insn_len(F_REAL, "ca 02 00"), ==, 3);
    g_assert_cmpint(insn_len(F_VM86, "cd 21"), ==, 2);
    g_assert_cmpint(insn_len(F_PM32 | 3, "e4 80"), ==, 2);
    /* segment prefixes are consumed in every mode */
    g_assert_cmpint(insn_len(F_LONG, "2e 3e 64 8b 00"), ==, 5);
    g_assert_cmpint(insn_len(F_REAL, "26 8b 00"), ==, 3);
}

/*
 * 16-bit code: IP wraps from 0xffff to 0 inside CS, so a TB that reaches
 * CS:0x10000 ends there (the next insn is at CS:0); 32-bit code at the
 * same linear address runs on.
 */
static void test_ip_wrap(void)
{
    uint64_t pc = 0x20000; /* CS base 0x10000, IP 0xfffe */
    TranslationBlock *tb;

    memset(ram + pc, 0x90, 64);
    tb = tb_gen_code(cs, pc, pc - 0xfffe, F_REAL, 0);
    g_assert_cmpuint(tb->size, ==, 2);
    g_assert_cmpuint(tb->icount, ==, 2);
    memset(ram + pc + 0x100, 0x90, 64);
    tb = tb_gen_code(cs, pc + 0x100, pc + 0x100 - 0xfffe, F_PM32, 8);
    g_assert_cmpuint(tb->size, ==, 8);
}

/* xorshift64 */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const uint8_t prefixes[] = {0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x26,
                                   0x2e, 0x36, 0x3e, 0x64, 0x65, 0x48,
                                   0x41, 0x4c, 0x40, 0x9b};

/* A byte sequence: a few prefixes, maybe an escape, an opcode, noise. */
static int random_insn(uint8_t *code)
{
    int n = 0, np = rnd() % 4;

    for (int i = 0; i < np; i++) {
        code[n++] = prefixes[rnd() % sizeof(prefixes)];
    }
    switch (rnd() % 4) {
    case 0:
        code[n++] = 0x0f;
        break;
    case 1:
        code[n++] = 0x0f;
        code[n++] = rnd() & 1 ? 0x38 : 0x3a;
        break;
    default:
        break;
    }
    while (n < 24) {
        code[n++] = rnd();
    }
    return n;
}

static void test_random_modes(void)
{
    static const uint32_t modes[] = {
        F_REAL,
        F_REAL | (3 << HF_IOPL_SHIFT),
        F_VM86,
        F_VM86 | (3 << HF_IOPL_SHIFT),
        F_PM16,
        F_PM32,
        F_PM32 | HF_ADDSEG_MASK | 3 | HF_UMIP_MASK | HF_TSD_MASK,
        F_PM32 | HF_EM_MASK | HF_TS_MASK | HF_MP_MASK,
        F_COMPAT | 3,
        F_LONG,
        F_LONG | 3 | HF_SMAP_MASK | HF_FSGSBASE_MASK,
        F_LONG | HF_TF_MASK,
        F_PM32 | HF_INHIBIT_IRQ_MASK | HF_RF_MASK,
    };
    uint8_t code[32];
    int count = g_test_slow() ? 20000 : 2500;

    for (size_t m = 0; m < G_N_ELEMENTS(modes); m++) {
        for (int i = 0; i < count; i++) {
            int n = random_insn(code);
            /* a fetch fault is possible only past RAM; none here */
            g_assert_nonnull(translate(code, n, modes[m], 0));
        }
    }
    /* whole one- and two-byte maps with every ModRM.reg in each mode */
    for (size_t m = 0; m < G_N_ELEMENTS(modes); m++) {
        for (int op = 0; op < 0x200; op++) {
            for (int reg = 0; reg < 8; reg++) {
                int n = 0;
                if (op >= 0x100) {
                    code[n++] = 0x0f;
                }
                code[n++] = op & 0xff;
                code[n++] = 0x80 | (reg << 3) | (rnd() & 7); /* mod 2 */
                for (; n < 24; n++) {
                    code[n] = rnd();
                }
                g_assert_nonnull(translate(code, n, modes[m], 1));
            }
        }
    }
}

int main(int argc, char **argv)
{
    X86CPUState s;

    g_test_init(&argc, &argv, NULL);
    memory_init();
    g_assert_true(
        memory_region_init_ram(&ram_mr, NULL, "ram", RAM_SIZE, &error_abort));
    memory_region_add_subregion(get_system_memory(), 0, &ram_mr);
    ram = memory_region_get_ram_ptr(&ram_mr);
    tcg_exec_init(0);
    cputlb_system_init();
    x86_translate_init();
    cs->env_ptr = env;
    cpu_exec_init(cs, &x86_tcg_ops);
    cs->as = &address_space_memory;
    /* flat 32-bit protected mode, paging off: code fetches are 1:1 */
    x86_cpu_power_on_state(&s, true);
    s.cr0 = 0x11;
    for (int i = 0; i < X86_SEG_COUNT; i++) {
        s.segs[i].base = 0;
        s.segs[i].limit = 0xffffffff;
        s.segs[i].db = s.segs[i].g = true;
    }
    x86_cpu_sys_reset(env, &s);

    g_test_add_func("/x86/decode/lengths", test_lengths);
    g_test_add_func("/x86/decode/ip-wrap", test_ip_wrap);
    g_test_add_func("/x86/decode/random-modes", test_random_modes);
    return g_test_run();
}
