/*
 * modes: constants shared by modes.c (setup, checks, printing) and modes.S
 * (the code that runs in each processor mode).
 */
#ifndef GUESTS_MODES_H
#define GUESTS_MODES_H

/* The real-mode part of modes.S is copied to LOWBASE and runs there. */
#define LOWBASE   0x20000
#define LOWSEG    0x2000
#define RSTACKSEG 0x3000 /* real-mode SS (SP starts at 0xfff0) */
#define RDATASEG  0x4000 /* real-mode data segment for the tests */

/* GDT selectors (the flat 0x08/0x10 are start.S's, for the IDT stubs). */
#define SEL_CODE32  0x08 /* flat 4 GiB code, ring 0 (also compat mode) */
#define SEL_DATA32  0x10 /* flat 4 GiB data, ring 0 */
#define SEL_CODE16  0x18 /* 16-bit code, base LOWBASE, 64 KiB */
#define SEL_DATA16  0x20 /* 16-bit data, base 0, 64 KiB (real-mode limits) */
#define SEL_BCODE   0x28 /* 32-bit code with base BCODE_BASE, ring 0 */
#define SEL_BDATA   0x30 /* data with base = &bdata[0], limit 0xfff */
#define SEL_GATE    0x38 /* 32-bit call gate, DPL 3, to SEL_BCODE */
#define SEL_TSS     0x40 /* 32-bit TSS with an I/O permission bitmap */
#define SEL_BDATA2  0x48 /* data with base = &bdata[0x800], limit 0x7ff */
#define SEL_DATA16B 0x50 /* 16-bit data, base LOWBASE, 64 KiB */
#define SEL_CODE64  0x58 /* 64-bit code, ring 0 (STAR kernel CS) */
#define SEL_DATA64  0x60 /* data, ring 0 (kernel SS = CS + 8) */
#define SEL_UCODE32 0x68 /* 32-bit code, ring 3 (STAR user base) */
#define SEL_UDATA   0x70 /* data, ring 3 (user SS = base + 8) */
#define SEL_UCODE64 0x78 /* 64-bit code, ring 3 (user CS = base + 16) */
#define GDT_ENTRIES 16

#define BCODE_BASE 0x1000

/* rm_flags: real-mode cases left out ("skip=" on the command line) */
#define RMF_NO_ENTER1 1 /* ENTER with nesting level 1 ("enter1") */
#define RMF_NO_BCD    2 /* DAA/DAS/AAA/AAM/AAD ("bcd") */

/* Slots of the per-stage result arrays (32-bit words). */
#define RM_RES_WORDS 52
#define PM_RES_WORDS 48
#define LM_RES_WORDS 32

#endif
