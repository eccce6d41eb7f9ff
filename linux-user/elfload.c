/*
 * ELF loader for x86-64 guests: static, PIE and dynamic (PT_INTERP)
 * executables, and the initial stack (argv, envp, auxv) as Linux's
 * fs/binfmt_elf.c lays it out (System V x86-64 psABI, section 3.4.1).
 *
 * guest_base is 0, so segments are mapped at their guest addresses
 * (plus the load bias of a PIE or of the interpreter).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "linux-user/lockstep.h"
#include "linux-user/user.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE_DOWN(x) ((x)&TARGET_PAGE_MASK)
#define PAGE_UP(x)   (((x) + TARGET_PAGE_SIZE - 1) & TARGET_PAGE_MASK)

char *interp_prefix;
uint64_t guest_stack_size;

char *prefixed_path(const char *path)
{
    if (!interp_prefix || !interp_prefix[0] || path[0] != '/') {
        return NULL;
    }
    char *p = malloc(strlen(interp_prefix) + strlen(path) + 1);
    strcpy(p, interp_prefix);
    strcat(p, path);
    if (access(p, F_OK) == 0) {
        return p;
    }
    free(p);
    return NULL;
}

int open_guest_path(const char *path, int flags)
{
    char *p = prefixed_path(path);
    int fd;

    if (p) {
        fd = open(p, flags);
        free(p);
        if (fd >= 0) {
            return fd;
        }
    }
    return open(path, flags);
}

static int elf_prot(uint32_t pflags)
{
    int prot = 0;

    if (pflags & PF_R) {
        prot |= PROT_READ;
    }
    if (pflags & PF_W) {
        prot |= PROT_WRITE;
    }
    if (pflags & PF_X) {
        /* Guest code is only read by the translator. */
        prot |= PROT_READ | PROT_EXEC;
    }
    return prot;
}

typedef struct LoadedElf {
    Elf64_Ehdr eh;
    Elf64_Phdr *ph;
    uint64_t bias;
    uint64_t lo, hi; /* biased range of PT_LOADs */
    char *interp;
} LoadedElf;

static bool read_full(int fd, void *buf, size_t len, off_t off)
{
    ssize_t n = pread(fd, buf, len, off);
    return n == (ssize_t)len;
}

/*
 * Maps the PT_LOAD segments of the ELF open on FD.
 * On exit le->bias, lo, hi are set.  Returns false with a message.
 */
static bool load_elf_image(const char *name, int fd, LoadedElf *le,
                           bool is_interp)
{
    Elf64_Ehdr *eh = &le->eh;
    uint64_t lo = UINT64_MAX, hi = 0;
    int i;

    if (!read_full(fd, eh, sizeof(*eh), 0) ||
        memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
        fprintf(stderr,
                "qemu-x86_64: %s: Invalid ELF image for this "
                "architecture\n",
                name);
        return false;
    }
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
        (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) ||
        eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum > 256) {
        fprintf(stderr,
                "qemu-x86_64: %s: Invalid ELF image for this "
                "architecture\n",
                name);
        return false;
    }
    le->ph = calloc(eh->e_phnum, sizeof(Elf64_Phdr));
    if (!read_full(fd, le->ph, eh->e_phnum * sizeof(Elf64_Phdr), eh->e_phoff)) {
        fprintf(stderr, "qemu-x86_64: %s: truncated ELF file\n", name);
        return false;
    }
    le->interp = NULL;
    for (i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *p = &le->ph[i];
        if (p->p_type == PT_LOAD) {
            if (p->p_vaddr < lo) {
                lo = p->p_vaddr;
            }
            if (p->p_vaddr + p->p_memsz > hi) {
                hi = p->p_vaddr + p->p_memsz;
            }
        } else if (p->p_type == PT_INTERP && !is_interp) {
            le->interp = calloc(1, p->p_filesz + 1);
            if (!read_full(fd, le->interp, p->p_filesz, p->p_offset)) {
                fprintf(stderr, "qemu-x86_64: %s: bad PT_INTERP\n", name);
                return false;
            }
        }
    }
    if (lo == UINT64_MAX) {
        fprintf(stderr, "qemu-x86_64: %s: no loadable segments\n", name);
        return false;
    }
    lo = PAGE_DOWN(lo);
    hi = PAGE_UP(hi);

    /* Reserve the whole span so that the segments land contiguously. */
    void *base;
    if (eh->e_type == ET_DYN) {
        void *hint = NULL;
        int fixed = 0;
        if (!is_interp) {
            /* Linux puts PIE programs at 2/3 of TASK_SIZE (ELF_ET_DYN_BASE).*/
            hint = (void *)0x555555554000ULL;
        } else if (lockstep_interp_base) {
            hint = (void *)lockstep_interp_base;
            fixed = MAP_FIXED_NOREPLACE;
        }
        base = mmap(hint, hi - lo, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | fixed, -1, 0);
        if (base == MAP_FAILED) {
            fprintf(stderr, "qemu-x86_64: %s: cannot reserve memory\n", name);
            return false;
        }
        le->bias = (uint64_t)base - lo;
    } else {
        base = mmap((void *)lo, hi - lo, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (base == MAP_FAILED || (uint64_t)base != lo) {
            fprintf(stderr,
                    "qemu-x86_64: %s: address range 0x%llx-0x%llx "
                    "is not free\n",
                    name, (unsigned long long)lo, (unsigned long long)hi);
            return false;
        }
        le->bias = 0;
    }
    le->lo = lo + le->bias;
    le->hi = hi + le->bias;

    for (i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *p = &le->ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0) {
            continue;
        }
        uint64_t vaddr = p->p_vaddr + le->bias;
        uint64_t start = PAGE_DOWN(vaddr);
        uint64_t file_end = vaddr + p->p_filesz;
        uint64_t mem_end = vaddr + p->p_memsz;
        int prot = elf_prot(p->p_flags);
        uint64_t off = p->p_offset - (vaddr - start);

        if (p->p_filesz) {
            void *m = mmap((void *)start, file_end - start, prot | PROT_WRITE,
                           MAP_PRIVATE | MAP_FIXED, fd, off);
            if (m == MAP_FAILED) {
                fprintf(stderr, "qemu-x86_64: %s: mmap failed\n", name);
                return false;
            }
        }
        if (mem_end > file_end) {
            uint64_t zero_page_end = PAGE_UP(file_end);
            if (p->p_filesz) {
                /* Zero the tail of the last file page (.bss start). */
                if (zero_page_end > file_end) {
                    memset((void *)file_end, 0, zero_page_end - file_end);
                }
            } else {
                zero_page_end = start;
            }
            if (PAGE_UP(mem_end) > zero_page_end) {
                void *m = mmap((void *)zero_page_end,
                               PAGE_UP(mem_end) - zero_page_end, prot,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
                if (m == MAP_FAILED) {
                    fprintf(stderr, "qemu-x86_64: %s: bss mmap failed\n", name);
                    return false;
                }
            }
        }
        if (p->p_filesz) {
            mprotect((void *)start, file_end - start, prot);
        }
        user_set_page_prot(start, PAGE_UP(mem_end) - start, prot);
    }
    return true;
}

/* Pushes bytes on the downward-growing stack at *sp; returns the address. */
static uint64_t push_bytes(uint64_t *sp, const void *data, size_t len)
{
    *sp -= len;
    memcpy((void *)*sp, data, len);
    return *sp;
}

static uint64_t find_phdr_addr(LoadedElf *le)
{
    int i;

    for (i = 0; i < le->eh.e_phnum; i++) {
        if (le->ph[i].p_type == PT_PHDR) {
            return le->ph[i].p_vaddr + le->bias;
        }
    }
    /* No PT_PHDR: the headers are in the first page of the first load. */
    for (i = 0; i < le->eh.e_phnum; i++) {
        Elf64_Phdr *p = &le->ph[i];
        if (p->p_type == PT_LOAD && p->p_offset <= le->eh.e_phoff &&
            le->eh.e_phoff < p->p_offset + p->p_filesz) {
            return p->p_vaddr + le->bias + (le->eh.e_phoff - p->p_offset);
        }
    }
    return 0;
}

bool loader_exec(const char *path, char **argv, char **envp, ImageInfo *info)
{
    LoadedElf main_elf = {0}, interp_elf = {0};
    int fd = open_guest_path(path, O_RDONLY | O_CLOEXEC);
    char rp[PATH_MAX];
    int i;

    if (fd < 0) {
        fprintf(stderr, "qemu-x86_64: Could not open '%s': %s\n", path,
                strerror(errno));
        return false;
    }
    if (!load_elf_image(path, fd, &main_elf, false)) {
        return false;
    }
    close(fd);
    {
        char *pp = prefixed_path(path);
        if (realpath(pp ? pp : path, rp)) {
            info->exe_path = strdup(rp);
        } else {
            info->exe_path = strdup(path);
        }
        free(pp);
    }

    info->load_bias = main_elf.bias;
    info->load_addr = main_elf.lo;
    info->entry = main_elf.eh.e_entry + main_elf.bias;
    info->phdr = find_phdr_addr(&main_elf);
    info->phnum = main_elf.eh.e_phnum;
    info->start_code = main_elf.lo;
    info->end_code = main_elf.hi;
    info->start_brk = info->brk = main_elf.hi;
    info->interp_base = 0;

    if (main_elf.interp) {
        int ifd = open_guest_path(main_elf.interp, O_RDONLY | O_CLOEXEC);
        if (ifd < 0) {
            fprintf(stderr, "qemu-x86_64: Could not open '%s': %s\n",
                    main_elf.interp, strerror(errno));
            return false;
        }
        if (!load_elf_image(main_elf.interp, ifd, &interp_elf, true)) {
            return false;
        }
        close(ifd);
        info->interp_base = interp_elf.lo;
        info->interp_entry = interp_elf.eh.e_entry + interp_elf.bias;
    }

    /* The stack: RLIMIT_STACK (8 MiB by default), like Linux. */
    struct rlimit rl;
    uint64_t stack_size = 8 * 1024 * 1024;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur > 64 * 1024) {
        stack_size = rl.rlim_cur;
    }
    if (stack_size > 256ULL * 1024 * 1024) {
        stack_size = 256ULL * 1024 * 1024;
    }
    if (guest_stack_size) {
        stack_size =
            (guest_stack_size + TARGET_PAGE_SIZE - 1) & TARGET_PAGE_MASK;
    }
    void *stk_hint = NULL;
    int stk_fixed = 0;
    if (lockstep_stack_top) {
        stk_hint = (void *)(lockstep_stack_top - stack_size - TARGET_PAGE_SIZE);
        stk_fixed = MAP_FIXED_NOREPLACE;
    }
    void *stk =
        mmap(stk_hint, stack_size + TARGET_PAGE_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | stk_fixed, -1, 0);
    if (stk == MAP_FAILED) {
        fprintf(stderr, "qemu-x86_64: cannot allocate the guest stack\n");
        return false;
    }
    mprotect(stk, TARGET_PAGE_SIZE, PROT_NONE); /* guard page */
    user_set_page_prot((uint64_t)stk + TARGET_PAGE_SIZE, stack_size,
                       PROT_READ | PROT_WRITE);
    info->stack_limit = (uint64_t)stk + TARGET_PAGE_SIZE;
    uint64_t sp = (uint64_t)stk + TARGET_PAGE_SIZE + stack_size;

    int argc = 0, envc = 0;
    while (argv[argc]) {
        argc++;
    }
    while (envp[envc]) {
        envc++;
    }
    uint64_t *argv_addr = calloc(argc + 1, 8);
    uint64_t *envp_addr = calloc(envc + 1, 8);

    /* Strings at the very top: execfn, envp strings, argv strings. */
    sp -= 8;
    uint64_t execfn = push_bytes(&sp, path, strlen(path) + 1);
    for (i = envc - 1; i >= 0; i--) {
        envp_addr[i] = push_bytes(&sp, envp[i], strlen(envp[i]) + 1);
    }
    info->arg_end = sp;
    for (i = argc - 1; i >= 0; i--) {
        argv_addr[i] = push_bytes(&sp, argv[i], strlen(argv[i]) + 1);
    }
    info->arg_start = sp;
    sp &= ~15ULL;
    uint64_t platform = push_bytes(&sp, "x86_64", 7);
    uint8_t rnd[16];
    for (i = 0; i < 16; i++) {
        rnd[i] = (uint8_t)random();
    }
    sp &= ~15ULL;
    uint64_t random_addr = push_bytes(&sp, rnd, 16);

    uint64_t auxv[64];
    int na = 0;
#define AUX(k, v)                                                              \
    do {                                                                       \
        auxv[na++] = (k);                                                      \
        auxv[na++] = (v);                                                      \
    } while (0)
    AUX(AT_HWCAP, cpu_x86_hwcap());
    AUX(AT_PAGESZ, TARGET_PAGE_SIZE);
    AUX(AT_CLKTCK, sysconf(_SC_CLK_TCK));
    AUX(AT_PHDR, info->phdr);
    AUX(AT_PHENT, sizeof(Elf64_Phdr));
    AUX(AT_PHNUM, info->phnum);
    AUX(AT_BASE, info->interp_base);
    AUX(AT_FLAGS, 0);
    AUX(AT_ENTRY, info->entry);
    AUX(AT_UID, getuid());
    AUX(AT_EUID, geteuid());
    AUX(AT_GID, getgid());
    AUX(AT_EGID, getegid());
    AUX(AT_SECURE, 0);
    AUX(AT_RANDOM, random_addr);
    AUX(AT_HWCAP2, cpu_x86_hwcap2());
    AUX(AT_EXECFN, execfn);
    AUX(AT_PLATFORM, platform);
    AUX(AT_NULL, 0);
#undef AUX

    /* argc, argv[], NULL, envp[], NULL, auxv: rsp 16-byte aligned. */
    int words = 1 + argc + 1 + envc + 1 + na;
    sp -= words * 8;
    sp &= ~15ULL;
    uint64_t *w = (uint64_t *)sp;
    *w++ = argc;
    for (i = 0; i < argc; i++) {
        *w++ = argv_addr[i];
    }
    *w++ = 0;
    for (i = 0; i < envc; i++) {
        *w++ = envp_addr[i];
    }
    *w++ = 0;
    info->saved_auxv = (uint64_t)w;
    info->auxv_len = na * 8;
    memcpy(w, auxv, na * 8);
    info->start_stack = sp;
    free(argv_addr);
    free(envp_addr);
    return true;
}
