/*
 * hello: the multiboot hand-off, COM1 output and (with "echo" on the
 * command line) COM1 input: each line typed is echoed back until "quit".
 * Prints the modules it was given (-initrd a,b) with their first bytes.
 */
#include "lib.h"

static void read_line(char *buf, int size)
{
    int n = 0;
    for (;;) {
        int c = serial_getc();
        if (c == '\r' || c == '\n') {
            if (n == 0) {
                continue;
            }
            break;
        }
        if (n < size - 1) {
            buf[n++] = (char)c;
        }
    }
    buf[n] = 0;
}

void guest_main(void)
{
    const char *cmdline = "";

    printf("hello: multiboot magic %x\n", mb_magic);
    if (mb_magic != 0x2badb002) {
        guest_exit(false);
    }
    if (mb_info->flags & (1 << 0)) {
        printf("hello: mem_lower %u KiB mem_upper %u KiB\n",
               mb_info->mem_lower, mb_info->mem_upper);
    }
    if (mb_info->flags & (1 << 2)) {
        cmdline = (const char *)mb_info->cmdline;
        printf("hello: cmdline '%s'\n", cmdline);
    }
    if (mb_info->flags & (1 << 3)) {
        struct mb_module *m = (struct mb_module *)mb_info->mods_addr;
        printf("hello: %u modules\n", mb_info->mods_count);
        for (uint32_t i = 0; i < mb_info->mods_count; i++) {
            const char *data = (const char *)m[i].mod_start;
            uint32_t len = m[i].mod_end - m[i].mod_start;
            printf("hello: module %u '%s' %u bytes '", i,
                   (const char *)m[i].string, len);
            for (uint32_t j = 0; j < len && j < 16 && data[j] >= ' '; j++) {
                serial_putc(data[j]);
            }
            puts("'\n");
        }
    }
    if (mb_info->flags & (1 << 6)) {
        uint32_t a = mb_info->mmap_addr;
        while (a < mb_info->mmap_addr + mb_info->mmap_length) {
            const uint32_t *e = (const uint32_t *)a;
            printf("hello: mmap %08x%08x len %08x%08x type %u\n", e[2], e[1],
                   e[4], e[3], e[5]);
            a += e[0] + 4;
        }
    }
    puts("Hello from the Quasar test guest\n");
    if (strstr(cmdline, "echo")) {
        char line[128];
        puts("hello: echo ready\n");
        for (;;) {
            read_line(line, sizeof(line));
            printf("echo: %s\n", line);
            if (!strcmp(line, "quit")) {
                break;
            }
        }
    }
    guest_exit(true);
}
