/*
 * Monitor commands about the x86 CPUs: info registers, info cpus /
 * query-cpus-fast, and the memory dumps x (virtual, through the first
 * CPU's page tables) and xp (physical).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hw/x86/x86-cpu.h"
#include "monitor/monitor.h"
#include "system/memory.h"

static const MonitorArg no_args[] = {{NULL}};

static void print_string(GString *out, json_t *ret, json_t *args)
{
    g_string_append(out, json_string_value(ret));
}

/* ---- info registers ---- */

static json_t *hmp_info_registers(json_t *args, Error **errp)
{
    bool all = json_is_true(json_object_get(args, "cpustate_all"));
    json_t *vcpu = json_object_get(args, "vcpu");
    g_autoptr(GString) out = g_string_new(NULL);

    if (!x86_cpus || !x86_cpus->len) {
        error_setg(errp, "No CPU available");
        return NULL;
    }
    for (guint i = 0; i < x86_cpus->len; i++) {
        X86CPU *cpu = g_ptr_array_index(x86_cpus, i);
        if (vcpu ? (guint)json_integer_value(vcpu) != i : !all && i) {
            continue;
        }
        x86_cpu_synchronize(cpu);
        if (all || vcpu) {
            g_string_append_printf(out, "\nCPU#%d\n", cpu->index);
        }
        x86_cpu_dump_state(cpu, out);
    }
    return json_string(out->str);
}

static const MonitorArg info_registers_args[] = {
    {"cpustate_all", MON_ARG_FLAG, true, "-a"},
    {"vcpu", MON_ARG_INT, true},
    {NULL},
};

static const MonitorCommand info_registers_cmd = {
    .name = "x-info-registers",
    .hmp_name = "info registers",
    .args = info_registers_args,
    .hmp_params = "[-a] [vcpu]",
    .hmp_help = "show the cpu registers (-a: all - show register info for "
                "all cpus; vcpu: specific vCPU to query)",
    .hmp_only = true,
    .handler = hmp_info_registers,
    .hmp_format = print_string,
};
MONITOR_COMMAND_REGISTER(info_registers_cmd)

/* ---- query-cpus-fast / info cpus ---- */

static json_t *qmp_query_cpus_fast(json_t *args, Error **errp)
{
    json_t *list = json_array();

    for (guint i = 0; x86_cpus && i < x86_cpus->len; i++) {
        X86CPU *cpu = g_ptr_array_index(x86_cpus, i);
        g_autofree char *path =
            g_strdup_printf("/machine/unattached/device[%d]", cpu->index);
        json_array_append_new(
            list,
            json_pack("{s:i, s:s, s:i, s:{s:i, s:i, s:i}, s:s}", "cpu-index",
                      cpu->index, "qom-path", path, "thread-id", cpu->thread_id,
                      "props", "core-id", 0, "thread-id", 0, "socket-id",
                      cpu->index, "target", "x86_64"));
    }
    return list;
}

static void hmp_info_cpus(GString *out, json_t *ret, json_t *args)
{
    size_t i;
    json_t *c;

    json_array_foreach(ret, i, c)
    {
        g_string_append_printf(
            out,
            "%c CPU #%" JSON_INTEGER_FORMAT ": thread_id=%" JSON_INTEGER_FORMAT
            "\n",
            i == 0 ? '*' : ' ',
            json_integer_value(json_object_get(c, "cpu-index")),
            json_integer_value(json_object_get(c, "thread-id")));
    }
}

static const MonitorCommand query_cpus_fast_cmd = {
    .name = "query-cpus-fast",
    .hmp_name = "info cpus",
    .args = no_args,
    .hmp_help = "show infos for each CPU",
    .handler = qmp_query_cpus_fast,
    .hmp_format = hmp_info_cpus,
};
MONITOR_COMMAND_REGISTER(query_cpus_fast_cmd)

/* ---- x / xp ---- */

#define PG_PRESENT 0x1ull
#define PG_PSE     0x80ull
#define CR0_PG     (1ull << 31)
#define CR4_PSE    (1ull << 4)
#define CR4_PAE    (1ull << 5)
#define CR4_LA57   (1ull << 12)
#define EFER_LMA   (1ull << 10)
#define PHYS_MASK  0x000ffffffffff000ull

static bool read_entry(uint64_t addr, bool wide, uint64_t *v)
{
    if (wide) {
        return address_space_read(&address_space_memory, addr,
                                  MEMTXATTRS_UNSPECIFIED, v, 8) == MEMTX_OK;
    }
    uint32_t e;
    if (address_space_read(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED,
                           &e, 4) != MEMTX_OK) {
        return false;
    }
    *v = e;
    return true;
}

/* Linear to physical through the CPU's paging mode (SDM vol. 3A ch. 4). */
static bool x86_translate(X86CPUState *s, uint64_t va, uint64_t *pa)
{
    uint64_t e, table;
    int levels, shift;

    if (!(s->cr0 & CR0_PG)) {
        *pa = va & 0xffffffffull;
        return true;
    }
    if (!(s->cr4 & CR4_PAE)) {
        uint64_t pde, pte;
        if (!read_entry((s->cr3 & ~0xfffull) + ((va >> 22) & 0x3ff) * 4, false,
                        &pde) ||
            !(pde & PG_PRESENT)) {
            return false;
        }
        if ((pde & PG_PSE) && (s->cr4 & CR4_PSE)) {
            *pa = (pde & 0xffc00000ull) | ((pde & 0x1fe000ull) << 19) |
                  (va & 0x3fffff);
            return true;
        }
        if (!read_entry((pde & ~0xfffull) + ((va >> 12) & 0x3ff) * 4, false,
                        &pte) ||
            !(pte & PG_PRESENT)) {
            return false;
        }
        *pa = (pte & ~0xfffull) | (va & 0xfff);
        return true;
    }
    if (s->efer & EFER_LMA) {
        levels = (s->cr4 & CR4_LA57) ? 5 : 4;
        table = s->cr3 & PHYS_MASK;
    } else {
        /* PAE: the 4 PDPTEs at CR3 (32-byte aligned). */
        if (!read_entry((s->cr3 & ~0x1full) + ((va >> 30) & 3) * 8, true, &e) ||
            !(e & PG_PRESENT)) {
            return false;
        }
        levels = 2;
        table = e & PHYS_MASK;
    }
    for (shift = 12 + 9 * (levels - 1); levels; levels--, shift -= 9) {
        if (!read_entry(table + ((va >> shift) & 0x1ff) * 8, true, &e) ||
            !(e & PG_PRESENT)) {
            return false;
        }
        if (shift > 12 && shift <= 30 && (e & PG_PSE)) {
            uint64_t mask = (1ull << shift) - 1;
            *pa = (e & PHYS_MASK & ~mask) | (va & mask);
            return true;
        }
        table = e & PHYS_MASK;
    }
    *pa = table | (va & 0xfff);
    return true;
}

static json_t *memory_dump(json_t *args, bool physical, Error **errp)
{
    int64_t count = json_integer_value(json_object_get(args, "count"));
    int64_t size = json_integer_value(json_object_get(args, "size"));
    const char *fmt = json_string_value(json_object_get(args, "format"));
    uint64_t addr = json_integer_value(json_object_get(args, "addr"));
    g_autoptr(GString) out = g_string_new(NULL);
    X86CPU *cpu = x86_cpu_get(0);
    char f = fmt ? fmt[0] : 'x';
    int per_line;

    if (size != 1 && size != 2 && size != 4 && size != 8) {
        size = 4;
    }
    if (f == 'c') {
        size = 1;
    }
    per_line = f == 'c' ? 16 : 16 / size;
    if (!physical && cpu) {
        x86_cpu_synchronize(cpu);
    }
    for (int64_t i = 0; i < count; i++) {
        uint64_t v = 0, pa = addr;
        if (i % per_line == 0) {
            if (i) {
                g_string_append_c(out, '\n');
            }
            g_string_append_printf(out, "%016" PRIx64 ":", addr);
        }
        if (!physical && (!cpu || !x86_translate(&cpu->env, addr, &pa))) {
            g_string_append_printf(out, "\nCannot access memory\n");
            return json_string(out->str);
        }
        address_space_read(&address_space_memory, pa, MEMTXATTRS_UNSPECIFIED,
                           &v, size);
        switch (f) {
        case 'd':
            g_string_append_printf(out, " %" PRId64,
                                   size == 8   ? (int64_t)v
                                   : size == 4 ? (int64_t)(int32_t)v
                                   : size == 2 ? (int64_t)(int16_t)v
                                               : (int64_t)(int8_t)v);
            break;
        case 'u':
            g_string_append_printf(out, " %" PRIu64, v);
            break;
        case 'o':
            g_string_append_printf(out, " %#" PRIo64, v);
            break;
        case 'c':
            if (v >= 32 && v < 127) {
                g_string_append_printf(out, " '%c'", (char)v);
            } else {
                g_string_append_printf(out, " '\\x%02x'", (unsigned)v);
            }
            break;
        default:
            g_string_append_printf(out, " 0x%0*" PRIx64, (int)size * 2, v);
            break;
        }
        addr += size;
    }
    g_string_append_c(out, '\n');
    return json_string(out->str);
}

static json_t *hmp_x(json_t *args, Error **errp)
{
    return memory_dump(args, false, errp);
}

static json_t *hmp_xp(json_t *args, Error **errp)
{
    return memory_dump(args, true, errp);
}

static const MonitorArg x_args[] = {
    {"fmt", MON_ARG_FORMAT, true},
    {"addr", MON_ARG_INT},
    {NULL},
};

static const MonitorCommand x_cmd = {
    .name = "x-memory-dump",
    .hmp_name = "x",
    .args = x_args,
    .hmp_params = "/fmt addr",
    .hmp_help = "virtual memory dump starting at 'addr'",
    .hmp_only = true,
    .handler = hmp_x,
    .hmp_format = print_string,
};
MONITOR_COMMAND_REGISTER(x_cmd)

static const MonitorCommand xp_cmd = {
    .name = "x-physical-memory-dump",
    .hmp_name = "xp",
    .args = x_args,
    .hmp_params = "/fmt addr",
    .hmp_help = "physical memory dump starting at 'addr'",
    .hmp_only = true,
    .handler = hmp_xp,
    .hmp_format = print_string,
};
MONITOR_COMMAND_REGISTER(xp_cmd)

/* ---- memsave / pmemsave ---- */

static json_t *memory_save(json_t *args, bool physical, Error **errp)
{
    uint64_t addr = json_integer_value(json_object_get(args, "val"));
    uint64_t size = json_integer_value(json_object_get(args, "size"));
    const char *path = json_string_value(json_object_get(args, "filename"));
    json_t *idx = json_object_get(args, "cpu-index");
    X86CPU *cpu = x86_cpu_get(idx ? json_integer_value(idx) : 0);
    g_autofree uint8_t *buf = NULL;
    FILE *f;

    if (!physical && !cpu) {
        error_setg(errp, "Parameter 'cpu-index' expects a CPU index");
        return NULL;
    }
    if (size > 1ull << 32) {
        error_setg(errp, "Parameter 'size' is too large");
        return NULL;
    }
    f = fopen(path, "wb");
    if (!f) {
        error_setg_errno(errp, errno, "Could not open '%s'", path);
        return NULL;
    }
    if (!physical) {
        x86_cpu_synchronize(cpu);
    }
    buf = g_malloc(4096);
    while (size) {
        uint64_t pa = addr, n = MIN(size, 4096 - (addr & 4095));
        if (!physical && !x86_translate(&cpu->env, addr, &pa)) {
            error_setg(errp,
                       "Invalid addr 0x%016" PRIx64 "/size %" PRIu64
                       " specified",
                       addr, size);
            fclose(f);
            return NULL;
        }
        address_space_read(&address_space_memory, pa, MEMTXATTRS_UNSPECIFIED,
                           buf, n);
        if (fwrite(buf, 1, n, f) != n) {
            error_setg_errno(errp, errno, "writing memory to '%s'", path);
            fclose(f);
            return NULL;
        }
        addr += n;
        size -= n;
    }
    fclose(f);
    return json_object();
}

static json_t *qmp_memsave(json_t *args, Error **errp)
{
    return memory_save(args, false, errp);
}

static json_t *qmp_pmemsave(json_t *args, Error **errp)
{
    return memory_save(args, true, errp);
}

static const MonitorArg memsave_args[] = {
    {"val", MON_ARG_INT},
    {"size", MON_ARG_INT},
    {"filename", MON_ARG_STR},
    {"cpu-index", MON_ARG_INT, true},
    {NULL},
};

static const MonitorArg pmemsave_args[] = {
    {"val", MON_ARG_INT},
    {"size", MON_ARG_INT},
    {"filename", MON_ARG_STR},
    {NULL},
};

static const MonitorCommand memsave_cmd = {
    .name = "memsave",
    .hmp_name = "memsave",
    .args = memsave_args,
    .hmp_params = "addr size file",
    .hmp_help = "save to disk virtual memory dump starting at 'addr' of size "
                "'size'",
    .handler = qmp_memsave,
};
MONITOR_COMMAND_REGISTER(memsave_cmd)

static const MonitorCommand pmemsave_cmd = {
    .name = "pmemsave",
    .hmp_name = "pmemsave",
    .args = pmemsave_args,
    .hmp_params = "addr size file",
    .hmp_help = "save to disk physical memory dump starting at 'addr' of "
                "size 'size'",
    .handler = qmp_pmemsave,
};
MONITOR_COMMAND_REGISTER(pmemsave_cmd)
