/*
 * What the system-mode x86 unit tests link in place of the board
 * (hw/x86/x86-cpu.c): sys-cpu.c's INIT takes the power-on state from
 * here, its -d cpu dump the formatter.
 */
#include <string.h>
#include <glib.h>

#include "hw/x86/x86-cpu.h"

void x86_cpu_power_on_state(X86CPUState *s, bool bsp)
{
    memset(s, 0, sizeof(*s));
    s->rip = 0xfff0;
    s->rflags = 2;
    for (int i = 0; i < X86_SEG_COUNT; i++) {
        s->segs[i].limit = 0xffff;
        s->segs[i].type = 3;
        s->segs[i].s = s->segs[i].present = true;
    }
    s->segs[X86_SEG_CS].selector = 0xf000;
    s->segs[X86_SEG_CS].base = 0xffff0000;
    s->segs[X86_SEG_CS].type = 0xb;
    s->gdt_limit = s->idt_limit = 0xffff;
    s->cr0 = 0x60000010;
    s->mp_state = bsp ? X86_MP_RUNNABLE : X86_MP_WAIT_SIPI;
    s->fcw = 0x37f;
    s->mxcsr = 0x1f80;
}

void x86_cpu_dump_state(X86CPU *cpu, GString *out)
{
    g_string_append(out, "(dump)\n");
}
