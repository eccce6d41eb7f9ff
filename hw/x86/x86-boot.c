/*
 * Direct kernel boot (see x86-boot.h).
 *
 * Multiboot v1 (Multiboot Specification 0.6.96): the header is searched
 * in the first 8 KiB; ELF32 kernels load their PT_LOAD segments at their
 * physical addresses unless the a.out kludge (flags bit 16) gives the
 * load addresses.  Modules are page-aligned after the kernel, the info
 * structure and memory map are at 0x9000, and the command line is
 * "KERNEL APPEND" as QEMU passes it.  The CPU enters in flat 32-bit
 * protected mode with EAX = 0x2badb002, EBX = the info structure.
 *
 * Linux (Documentation/x86/boot.rst): a bzImage (protocol 2.02 or newer,
 * loaded high) has its setup header copied into a zeroed boot_params at
 * 0x10000 with the command line at 0x20000, the initrd at the top of low
 * RAM, the e820 map in boot_params, and is entered at code32_start with
 * ESI = boot_params (the 32-bit boot protocol).
 */
#include <inttypes.h>
#include <string.h>

#include "hw/x86/x86-boot.h"
#include "hw/x86/x86-linux-setup.h"
#include "system/memory.h"

#define MB_MAGIC            0x1badb002u
#define MB_BOOT_MAGIC       0x2badb002u
#define MB_SEARCH           8192
#define MB_FLAG_AOUT_KLUDGE 0x00010000u
#define MB_FLAG_VIDEO       0x00000004u
#define MB_INFO_ADDR        0x9000
#define MB_MMAP_ADDR        0x9100
#define MB_MMAP_MAX         32

/* multiboot info flags */
#define MBI_MEM         0x001
#define MBI_BOOT_DEVICE 0x002
#define MBI_CMDLINE     0x004
#define MBI_MODS        0x008
#define MBI_MMAP        0x040
#define MBI_LOADER      0x200

#define LINUX_BOOT_PARAMS 0x10000
#define LINUX_CMDLINE     0x20000
#define LINUX_CMDLINE_MAX 0x10000

#define PAGE_ALIGN(x) (((x) + 4095) & ~(uint64_t)4095)

typedef struct Rom {
    uint64_t addr;
    void *data;
    size_t len;
} Rom;

static GArray *roms;

void x86_rom_add(uint64_t addr, void *data, size_t len)
{
    Rom r = {addr, data, len};

    if (!roms) {
        roms = g_array_new(false, false, sizeof(Rom));
    }
    g_array_append_val(roms, r);
}

void x86_rom_reset(void *opaque)
{
    for (guint i = 0; roms && i < roms->len; i++) {
        Rom *r = &g_array_index(roms, Rom, i);
        address_space_write_rom(&address_space_memory, r->addr,
                                MEMTXATTRS_UNSPECIFIED, r->data, r->len);
    }
}

/* The GDT both boot protocols enter with (at X86_BOOT_GDT_ADDR). */
static void add_boot_gdt(X86CPUState *s, uint32_t eip)
{
    uint8_t *gdt = g_malloc0(32);

    st64(gdt + X86_BOOT_CS, 0x00cf9a000000ffffull);
    st64(gdt + X86_BOOT_DS, 0x00cf92000000ffffull);
    x86_rom_add(X86_BOOT_GDT_ADDR, gdt, 32);
    x86_cpu_flat32_state(s, eip, X86_BOOT_CS, X86_BOOT_DS, X86_BOOT_GDT_ADDR,
                         31);
}

/* ---- Multiboot ---- */

/* Offset of a valid multiboot header, or -1. */
static long multiboot_find(const uint8_t *k, size_t len)
{
    for (size_t off = 0; off + 12 <= MIN(len, MB_SEARCH); off += 4) {
        uint32_t magic = ld32(k + off), flags = ld32(k + off + 4);
        if (magic == MB_MAGIC && magic + flags + ld32(k + off + 8) == 0) {
            return off;
        }
    }
    return -1;
}

/* Loads ELF32 PT_LOAD segments; returns the physical entry point. */
static bool multiboot_load_elf(const char *file, const uint8_t *k, size_t len,
                               uint64_t *kernel_end, uint32_t *entry,
                               Error **errp)
{
    uint32_t phoff, phnum, phentsize, e_entry;
    uint64_t end = 0;

    if (len < 52 || memcmp(k, "\177ELF", 4)) {
        error_setg(errp,
                   "-kernel %s: multiboot kernel is neither ELF nor "
                   "has the a.out kludge",
                   file);
        return false;
    }
    if (k[4] != 1) { /* ELFCLASS32 */
        error_setg(errp,
                   "-kernel %s: Cannot load x86-64 image, give a 32bit "
                   "one.",
                   file);
        return false;
    }
    e_entry = ld32(k + 24);
    phoff = ld32(k + 28);
    phentsize = ld16(k + 42);
    phnum = ld16(k + 44);
    *entry = e_entry;
    for (uint32_t i = 0; i < phnum; i++) {
        const uint8_t *ph = k + phoff + i * phentsize;
        uint32_t off, vaddr, paddr, filesz, memsz;
        uint8_t *seg;
        if (phoff + (uint64_t)(i + 1) * phentsize > len) {
            error_setg(errp, "-kernel %s: truncated ELF program headers", file);
            return false;
        }
        if (ld32(ph) != 1) { /* PT_LOAD */
            continue;
        }
        off = ld32(ph + 4);
        vaddr = ld32(ph + 8);
        paddr = ld32(ph + 12);
        filesz = ld32(ph + 16);
        memsz = ld32(ph + 20);
        if ((uint64_t)off + filesz > len || filesz > memsz) {
            error_setg(errp, "-kernel %s: ELF segment %u out of the file", file,
                       i);
            return false;
        }
        if (!memsz) {
            continue;
        }
        seg = g_malloc0(memsz);
        memcpy(seg, k + off, filesz);
        x86_rom_add(paddr, seg, memsz);
        end = MAX(end, (uint64_t)paddr + memsz);
        /* An entry given as a virtual address inside this segment. */
        if (e_entry >= vaddr && e_entry < vaddr + memsz && vaddr != paddr) {
            *entry = e_entry - vaddr + paddr;
        }
    }
    *kernel_end = end;
    return true;
}

static bool multiboot_load_aout(const char *file, const uint8_t *k, size_t len,
                                long hdr, uint64_t *kernel_end, uint32_t *entry,
                                Error **errp)
{
    uint32_t header_addr = ld32(k + hdr + 12);
    uint32_t load_addr = ld32(k + hdr + 16);
    uint32_t load_end = ld32(k + hdr + 20);
    uint32_t bss_end = ld32(k + hdr + 24);
    long file_off = hdr - (long)(header_addr - load_addr);
    uint32_t load_size, mem_size;
    uint8_t *img;

    if (file_off < 0 || load_addr > header_addr) {
        error_setg(errp, "-kernel %s: invalid multiboot load address", file);
        return false;
    }
    load_size = load_end ? load_end - load_addr : len - file_off;
    if ((uint64_t)file_off + load_size > len) {
        error_setg(errp, "-kernel %s: multiboot image is truncated", file);
        return false;
    }
    mem_size = bss_end ? bss_end - load_addr : load_size;
    mem_size = MAX(mem_size, load_size);
    img = g_malloc0(mem_size);
    memcpy(img, k + file_off, load_size);
    x86_rom_add(load_addr, img, mem_size);
    *kernel_end = (uint64_t)load_addr + mem_size;
    *entry = ld32(k + hdr + 28);
    return true;
}

/* Splits "a args,b,,c" into entries ("a args", "b,c"). */
static GPtrArray *split_modules(const char *s)
{
    GPtrArray *mods = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);

    for (const char *p = s;; p++) {
        if (*p == ',' && p[1] == ',') {
            g_string_append_c(cur, ',');
            p++;
        } else if (*p == ',' || !*p) {
            if (cur->len) {
                g_ptr_array_add(mods, g_strdup(cur->str));
            }
            g_string_truncate(cur, 0);
            if (!*p) {
                break;
            }
        } else {
            g_string_append_c(cur, *p);
        }
    }
    g_string_free(cur, true);
    return mods;
}

static bool load_multiboot(X86BootInfo *bi, const uint8_t *k, size_t len,
                           long hdr, Error **errp)
{
    uint32_t flags = ld32(k + hdr + 4);
    uint64_t kernel_end, buf_addr;
    uint32_t entry;
    GByteArray *strings = g_byte_array_new();
    uint8_t *mbi = g_malloc0(MB_MMAP_ADDR - MB_INFO_ADDR);
    uint8_t *mmap = g_malloc0(MB_MMAP_MAX * 24);
    GPtrArray *mods = NULL;
    uint8_t *modlist = NULL;
    g_autofree char *cmdline = NULL;
    uint32_t mmap_len = 0, mem_upper = 0;
    uint32_t cmdline_off, loader_off;
    bool ok;

    if (flags & MB_FLAG_VIDEO) {
        warn_report("-kernel %s: multiboot video mode is not supported",
                    bi->kernel_filename);
    }
    ok = (flags & MB_FLAG_AOUT_KLUDGE)
             ? multiboot_load_aout(bi->kernel_filename, k, len, hdr,
                                   &kernel_end, &entry, errp)
             : multiboot_load_elf(bi->kernel_filename, k, len, &kernel_end,
                                  &entry, errp);
    if (!ok) {
        goto out;
    }
    buf_addr = PAGE_ALIGN(kernel_end);

    /* Modules, page aligned after the kernel. */
    if (bi->initrd_filename && *bi->initrd_filename) {
        mods = split_modules(bi->initrd_filename);
        modlist = g_malloc0(16 * MAX(mods->len, 1));
        for (guint i = 0; i < mods->len; i++) {
            const char *m = g_ptr_array_index(mods, i);
            g_autofree char *path = g_strndup(m, strcspn(m, " "));
            gchar *data;
            gsize dlen;
            GError *gerr = NULL;
            if (!g_file_get_contents(path, &data, &dlen, &gerr)) {
                error_setg(errp, "-initrd %s: %s", path, gerr->message);
                g_error_free(gerr);
                ok = false;
                goto out;
            }
            st32(modlist + 16 * i, buf_addr);
            st32(modlist + 16 * i + 4, buf_addr + dlen);
            st32(modlist + 16 * i + 8, strings->len); /* patched below */
            g_byte_array_append(strings, (const uint8_t *)m, strlen(m) + 1);
            x86_rom_add(buf_addr, data, dlen);
            buf_addr = PAGE_ALIGN(buf_addr + dlen);
        }
    }
    cmdline = g_strdup_printf("%s %s", bi->kernel_filename, bi->cmdline);
    cmdline_off = strings->len;
    g_byte_array_append(strings, (const uint8_t *)cmdline, strlen(cmdline) + 1);
    loader_off = strings->len;
    g_byte_array_append(strings, (const uint8_t *)"qemu", 5);
    /* Strings after the modules, then the module list. */
    if (mods) {
        for (guint i = 0; i < mods->len; i++) {
            st32(modlist + 16 * i + 8, buf_addr + ld32(modlist + 16 * i + 8));
        }
    }
    if (buf_addr + strings->len + 16 * (mods ? mods->len : 0) >
        bi->low_ram_end) {
        error_setg(errp, "-kernel %s: kernel and modules do not fit in RAM",
                   bi->kernel_filename);
        ok = false;
        goto out;
    }

    /* Memory map: the e820 entries, each with its size field first. */
    for (unsigned i = 0; i < bi->e820_count && i < MB_MMAP_MAX; i++) {
        const E820Entry *e = &bi->e820[i];
        uint8_t *p = mmap + 24 * i;
        st32(p, 20);
        st64(p + 4, e->addr);
        st64(p + 12, e->size);
        st32(p + 20, e->type);
        mmap_len += 24;
        if (e->type == E820_RAM && e->addr == 0x100000) {
            mem_upper = e->size / 1024;
        }
    }

    st32(mbi + 0, MBI_MEM | MBI_BOOT_DEVICE | MBI_CMDLINE | MBI_MODS |
                      MBI_MMAP | MBI_LOADER);
    st32(mbi + 4, 639);         /* mem_lower, KiB */
    st32(mbi + 8, mem_upper);   /* mem_upper, KiB from 1 MiB */
    st32(mbi + 12, 0x8000ffff); /* boot_device: first disk */
    st32(mbi + 16, buf_addr + cmdline_off);
    st32(mbi + 20, mods ? mods->len : 0);
    st32(mbi + 24, buf_addr + strings->len);
    st32(mbi + 44, mmap_len);
    st32(mbi + 48, MB_MMAP_ADDR);
    st32(mbi + 64, buf_addr + loader_off);
    if (mods && mods->len) {
        g_byte_array_append(strings, modlist, 16 * mods->len);
    }
    {
        size_t slen = strings->len;
        x86_rom_add(buf_addr, g_byte_array_free(strings, false), slen);
        strings = NULL;
    }
    x86_rom_add(MB_INFO_ADDR, mbi, MB_MMAP_ADDR - MB_INFO_ADDR);
    mbi = NULL;
    x86_rom_add(MB_MMAP_ADDR, mmap, MB_MMAP_MAX * 24);
    mmap = NULL;

    add_boot_gdt(&bi->entry, entry);
    bi->entry.regs[0] = MB_BOOT_MAGIC; /* EAX */
    bi->entry.regs[3] = MB_INFO_ADDR;  /* EBX */
out:
    if (strings) {
        g_byte_array_free(strings, true);
    }
    g_free(mbi);
    g_free(mmap);
    g_free(modlist);
    if (mods) {
        g_ptr_array_free(mods, true);
    }
    return ok;
}

/* ---- Linux ---- */

/* boot_params fields beyond the setup header (x86-linux-setup.h) */
#define ACPI_RSDP_ADDR 0x070 /* protocol 2.14+ */
#define ALT_MEM_K      0x1e0
#define E820_ENTRIES   0x1e8
#define E820_TABLE     0x2d0
#define E820_MAX       128

void x86_linux_header(const uint8_t *k, size_t len, X86LinuxHeader *h)
{
    h->version = ld16(k + PROTOCOL_VERSION);
    h->setup_size = ((k[SETUP_SECTS] ? k[SETUP_SECTS] : 4) + 1) * 512;
    h->kernel_size = len - h->setup_size;
    h->initrd_max = 0x37ffffff;
    h->cmdline_max = 255;
    if (h->setup_size >= len) {
        return; /* the caller reports it */
    }
    if (h->version >= 0x0203) {
        h->initrd_max = ld32(k + INITRD_ADDR_MAX);
    }
    if (h->version >= 0x0206) {
        h->cmdline_max = ld32(k + CMDLINE_SIZE);
    }
}

bool x86_linux_fits(const X86LinuxHeader *h, const char *file, size_t cmdlen,
                    size_t room, uint64_t ram_top, Error **errp)
{
    if (cmdlen > h->cmdline_max || cmdlen > room) {
        error_setg(errp,
                   "-append: kernel command line too long (%zu bytes, "
                   "%s accepts %u)",
                   cmdlen, file, h->cmdline_max);
        return false;
    }
    if (LINUX_KERNEL_ADDR + h->kernel_size > ram_top) {
        error_setg(errp, "-kernel %s: kernel does not fit in RAM", file);
        return false;
    }
    return true;
}

void *x86_linux_initrd(const X86LinuxHeader *h, const char *file,
                       uint64_t ram_top, uint8_t *setup, size_t *size,
                       uint64_t *addr, Error **errp)
{
    gchar *data;
    gsize dlen;
    GError *gerr = NULL;
    uint64_t top = MIN((uint64_t)h->initrd_max + 1, ram_top);

    if (!g_file_get_contents(file, &data, &dlen, &gerr)) {
        error_setg(errp, "-initrd %s: %s", file, gerr->message);
        g_error_free(gerr);
        return NULL;
    }
    *addr = (top - dlen) & ~(uint64_t)4095;
    if (dlen > top || *addr < LINUX_KERNEL_ADDR + h->kernel_size) {
        error_setg(errp,
                   "-initrd %s: initrd is too large (%zu bytes) for "
                   "this memory size",
                   file, (size_t)dlen);
        g_free(data);
        return NULL;
    }
    st32(setup + RAMDISK_IMAGE, *addr);
    st32(setup + RAMDISK_SIZE, dlen);
    *size = dlen;
    return data;
}

void x86_linux_setup_fill(uint8_t *setup, uint32_t cmdline_addr)
{
    setup[TYPE_OF_LOADER] = 0xb0; /* QEMU's loader id */
    setup[LOADFLAGS] |= CAN_USE_HEAP;
    st16(setup + HEAP_END_PTR, 0xfe00); /* heap + stack to 0x1ffff */
    st32(setup + CMD_LINE_PTR, cmdline_addr);
}

static bool load_linux(X86BootInfo *bi, const uint8_t *k, size_t len,
                       Error **errp)
{
    const char *file = bi->kernel_filename;
    X86LinuxHeader h;
    unsigned hdr_end;
    uint32_t code32;
    uint8_t *bp;
    size_t cmdlen = strlen(bi->cmdline);
    uint64_t low_end = bi->low_ram_end;

    x86_linux_header(k, len, &h);
    if (h.version < 0x0202 || !(k[LOADFLAGS] & LOADED_HIGH)) {
        error_setg(errp,
                   "-kernel %s: Linux boot protocol %x.%02x is too old "
                   "(2.02 with a bzImage is needed)",
                   file, h.version >> 8, h.version & 0xff);
        return false;
    }
    if (h.setup_size >= len) {
        error_setg(errp, "-kernel %s: truncated bzImage", file);
        return false;
    }
    if (!x86_linux_fits(&h, file, cmdlen, LINUX_CMDLINE_MAX - 1, low_end,
                        errp)) {
        return false;
    }

    bp = g_malloc0(4096);
    hdr_end = 0x202 + k[0x201];
    memcpy(bp + SETUP_SECTS, k + SETUP_SECTS,
           MIN(hdr_end, (unsigned)len) - SETUP_SECTS);
    x86_linux_setup_fill(bp, LINUX_CMDLINE);
    code32 = ld32(k + CODE32_START);
    if (code32 != LINUX_KERNEL_ADDR) {
        code32 = LINUX_KERNEL_ADDR; /* loaded at 1 MiB */
        st32(bp + CODE32_START, code32);
    }

    if (bi->initrd_filename && *bi->initrd_filename) {
        size_t dlen;
        uint64_t addr;
        void *data = x86_linux_initrd(&h, bi->initrd_filename, low_end, bp,
                                      &dlen, &addr, errp);
        if (!data) {
            g_free(bp);
            return false;
        }
        x86_rom_add(addr, data, dlen);
    }

    st32(bp + ALT_MEM_K, (low_end - 0x100000) / 1024);
    if (h.version >= 0x020e && bi->acpi_rsdp) {
        st64(bp + ACPI_RSDP_ADDR, bi->acpi_rsdp);
    }
    bp[E820_ENTRIES] = MIN(bi->e820_count, E820_MAX);
    for (unsigned i = 0; i < bp[E820_ENTRIES]; i++) {
        memcpy(bp + E820_TABLE + 20 * i, &bi->e820[i], 20);
    }
    x86_rom_add(LINUX_BOOT_PARAMS, bp, 4096);
    x86_rom_add(LINUX_CMDLINE, g_strdup(bi->cmdline), cmdlen + 1);
    x86_rom_add(LINUX_KERNEL_ADDR, g_memdup2(k + h.setup_size, h.kernel_size),
                h.kernel_size);

    add_boot_gdt(&bi->entry, code32);
    bi->entry.regs[6] = LINUX_BOOT_PARAMS; /* ESI */
    return true;
}

bool x86_load_kernel(X86BootInfo *bi, Error **errp)
{
    g_autofree gchar *k = NULL;
    gsize len;
    GError *gerr = NULL;
    long hdr;

    if (!g_file_get_contents(bi->kernel_filename, &k, &len, &gerr)) {
        error_setg(errp, "-kernel %s: %s", bi->kernel_filename, gerr->message);
        g_error_free(gerr);
        return false;
    }
    if (len >= 0x210 && !memcmp(k + HEADER_MAGIC, "HdrS", 4) &&
        ld16((uint8_t *)k + BOOT_FLAG) == 0xaa55) {
        return load_linux(bi, (uint8_t *)k, len, errp);
    }
    hdr = multiboot_find((uint8_t *)k, len);
    if (hdr >= 0) {
        return load_multiboot(bi, (uint8_t *)k, len, hdr, errp);
    }
    error_setg(errp, "-kernel %s: not a Linux bzImage nor a multiboot kernel",
               bi->kernel_filename);
    return false;
}
