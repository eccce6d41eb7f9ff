/*
 * Helpers shared by the interrupt controller and timer unit tests: port
 * and MMIO accesses through the real memory API, an output line that
 * records its level, and a captured guest_errors log.
 */
#ifndef TESTS_UNIT_INTC_TEST_H
#define TESTS_UNIT_INTC_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "hw/intc/irq.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "util/log.h"

static inline void outb(uint16_t port, uint8_t val)
{
    g_assert_cmpint(address_space_write(&address_space_io, port,
                                        MEMTXATTRS_UNSPECIFIED, &val, 1),
                    ==, MEMTX_OK);
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t val = 0;

    g_assert_cmpint(address_space_read(&address_space_io, port,
                                       MEMTXATTRS_UNSPECIFIED, &val, 1),
                    ==, MEMTX_OK);
    return val;
}

static inline uint32_t mmio_readl(hwaddr addr)
{
    return address_space_ldl_le(&address_space_memory, addr,
                                MEMTXATTRS_UNSPECIFIED, NULL);
}

static inline void mmio_writel(hwaddr addr, uint32_t val)
{
    address_space_stl_le(&address_space_memory, addr, val,
                         MEMTXATTRS_UNSPECIFIED, NULL);
}

/* A wire whose level and number of rising edges are recorded. */
typedef struct TestLine {
    int level;
    int raises;
} TestLine;

static inline void test_line_set(void *opaque, int n, int level)
{
    TestLine *l = opaque;

    if (level && !l->level) {
        l->raises++;
    }
    l->level = level;
}

static char test_log_path[] = "/tmp/intc-test-log-XXXXXX";

static void test_log_cleanup(void)
{
    unlink(test_log_path);
}

/* Sends guest_errors to a temporary file from now on (removed at exit). */
static inline void test_log_start(void)
{
    int fd = mkstemp(test_log_path);

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    atexit(test_log_cleanup);
    g_assert_true(qemu_log_set_file(test_log_path, NULL));
    qemu_log_set_mask(LOG_GUEST_ERROR | LOG_UNIMP);
}

/* Whether the log written so far contains needle. */
static inline bool test_log_contains(const char *needle)
{
    char *text = NULL;
    bool found;

    qemu_log_flush();
    g_assert_true(g_file_get_contents(test_log_path, &text, NULL, NULL));
    found = strstr(text, needle) != NULL;
    g_free(text);
    return found;
}

/* Sets up memory, a manual virtual clock and the guest_errors log. */
static inline void test_machine_init(void)
{
    main_loop_init();
    memory_init();
    qemu_clock_virtual_set_manual();
    test_log_start();
}

/* Advances the virtual clock by ns; timers fire at their own deadlines. */
static inline void test_clock_step(int64_t ns)
{
    qemu_clock_virtual_step(ns);
}

#endif
