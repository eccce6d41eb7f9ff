/*
 * Unit test of the qtest protocol engine (system/qtest.c) over a fake
 * chardev: input is fed in arbitrary pieces, replies are captured.  Memory
 * is the real memory API with 1 MiB of RAM at 0 and a byte-wide device on
 * port 0x3f8; the clock is the real main-loop clock made manual by the
 * "qtest" accelerator.  The whole binary is exercised by
 * tests/functional/test_qtest.py.
 */
#include <string.h>
#include <glib.h>

#include "chardev/char.h"
#include "hw/core/qdev.h"
#include "system/accel.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "system/qtest.h"

/* ---- fakes for the chardev layer and the accel registry ---- */

struct Chardev {
    const char *label;
};
static Chardev fake_chr = {"qtest"};
static GString *sent;
static CharFrontend *frontend;
static const AccelOps *registered_accel;

Chardev *chardev_new_from_spec(const char *label, const char *spec,
                               bool *is_none, Error **errp)
{
    if (!strcmp(spec, "none")) {
        *is_none = true;
        return NULL;
    }
    if (strcmp(spec, "stdio")) {
        error_setg(errp, "fake chardev: unsupported '%s'", spec);
        return NULL;
    }
    return &fake_chr;
}

Chardev *chardev_find(const char *id)
{
    return NULL;
}

const char *chardev_label(const Chardev *chr)
{
    return chr->label;
}

bool chr_fe_init(CharFrontend *fe, Chardev *chr, Error **errp)
{
    memset(fe, 0, sizeof(*fe));
    fe->chr = chr;
    fe->tag = -1;
    frontend = fe;
    return true;
}

void chr_fe_set_handlers(CharFrontend *fe, ChrCanReceive *can_receive,
                         ChrReceive *receive, ChrEvent *event, void *opaque)
{
    fe->can_receive = can_receive;
    fe->receive = receive;
    fe->event = event;
    fe->opaque = opaque;
}

int chr_fe_write_all(CharFrontend *fe, const uint8_t *buf, int len)
{
    g_string_append_len(sent, (const char *)buf, len);
    return len;
}

void accel_register(const AccelOps *ops)
{
    if (!strcmp(ops->name, "qtest")) {
        registered_accel = ops;
    }
}

/* ---- a device on port 0x3f8 ---- */

static uint8_t port_regs[8];

static uint64_t port_read(void *opaque, hwaddr addr, unsigned size)
{
    return port_regs[addr];
}

static void port_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    port_regs[addr] = v;
}

static const MemoryRegionOps port_ops = {
    .read = port_read,
    .write = port_write,
    .valid = {.min_access_size = 1, .max_access_size = 1},
};

/* ---- helpers ---- */

static void feed(const char *text)
{
    g_assert_cmpint(frontend->can_receive(frontend->opaque), >, 0);
    frontend->receive(frontend->opaque, (const uint8_t *)text, strlen(text));
}

/* Sends one command line and checks the whole reply. */
static void check(const char *cmd, const char *reply)
{
    g_string_truncate(sent, 0);
    feed(cmd);
    feed("\n");
    g_assert_cmpstr(sent->str, ==, reply);
}

static int timer_fired;
static int64_t timer_fired_at;

static void on_timer(void *opaque)
{
    timer_fired++;
    timer_fired_at = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/* ---- tests ---- */

static void test_accel(void)
{
    int64_t t0;

    g_assert_nonnull(registered_accel);
    g_assert_true(registered_accel->available());
    g_assert_true(registered_accel->init_machine(NULL, &error_abort));
    /* Manual: the running clock does not follow the host any more. */
    qemu_clock_virtual_enable(true);
    t0 = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    g_usleep(2000);
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), ==, t0);
}

static void test_memory_commands(void)
{
    check("writeb 0x10 0xab", "OK\n");
    check("readb 0x10", "OK 0x00000000000000ab\n");
    check("writew 0x20 0x1234", "OK\n");
    check("readw 0x20", "OK 0x0000000000001234\n");
    check("readb 0x21", "OK 0x0000000000000012\n");
    check("writel 0x30 0xdeadbeef", "OK\n");
    check("readl 0x30", "OK 0x00000000deadbeef\n");
    check("writeq 0x40 0x1122334455667788", "OK\n");
    check("readq 0x40", "OK 0x1122334455667788\n");
    /* Memory is little-endian. */
    check("read 0x40 8", "OK 0x8877665544332211\n");
    check("b64read 0x40 8", "OK iHdmVUQzIhE=\n");
    /* Values wider than the access are truncated. */
    check("writeb 0x50 0x1ff", "OK\n");
    check("readb 0x50", "OK 0x00000000000000ff\n");

    check("write 0x100 4 0x01020304", "OK\n");
    check("read 0x100 4", "OK 0x01020304\n");
    /* Short data: the rest is written as zero. */
    check("write 0x100 4 0xaa", "OK\n");
    check("read 0x100 4", "OK 0xaa000000\n");
    check("memset 0x200 3 0x5a", "OK\n");
    check("read 0x1ff 5", "OK 0x005a5a5a00\n");
    check("b64write 0x300 4 AQIDBA==", "OK\n");
    check("read 0x300 4", "OK 0x01020304\n");
    check("read 0x300 0", "OK 0x\n");

    /* Nothing mapped past 1 MiB: all-ones. */
    check("readl 0x100000", "OK 0x00000000ffffffff\n");
    check("read 0xffffe 4", "OK 0x0000ffff\n");
    check("writel 0x100000 1", "OK\n");
}

static void test_port_commands(void)
{
    check("outb 0x3f8 0x41", "OK\n");
    g_assert_cmphex(port_regs[0], ==, 0x41);
    check("inb 0x3f8", "OK 0x0041\n");
    /* A word access to a byte-wide device: two byte accesses. */
    check("outw 0x3fa 0x4342", "OK\n");
    g_assert_cmphex(port_regs[2], ==, 0x42);
    g_assert_cmphex(port_regs[3], ==, 0x43);
    check("inw 0x3fa", "OK 0x4342\n");
    check("inl 0x3f8", "OK 0x43420041\n");
    /* Ports nobody claims read as all-ones. */
    check("inb 0x80", "OK 0x00ff\n");
    check("inl 0x80", "OK 0xffffffff\n");
}

static void test_clock(void)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    QEMUTimer *t = timer_new_ns(QEMU_CLOCK_VIRTUAL, on_timer, NULL);
    char *expect, *cmd;

    /* No timer pending: clock_step without argument stays put. */
    expect = g_strdup_printf("OK %" G_GINT64_FORMAT "\n", now);
    check("clock_step", expect);
    g_free(expect);

    expect = g_strdup_printf("OK %" G_GINT64_FORMAT "\n", now + 100);
    check("clock_step 100", expect);
    g_free(expect);
    now += 100;

    /* A long step fires a timer on the way, at its own deadline. */
    timer_mod_ns(t, now + 300);
    expect = g_strdup_printf("OK %" G_GINT64_FORMAT "\n", now + 1000);
    check("clock_step 1000", expect);
    g_free(expect);
    g_assert_cmpint(timer_fired, ==, 1);
    g_assert_cmpint(timer_fired_at, ==, now + 300);
    now += 1000;

    /* clock_set: forward only. */
    cmd = g_strdup_printf("clock_set %" G_GINT64_FORMAT, now + 50000);
    expect = g_strdup_printf("OK %" G_GINT64_FORMAT "\n", now + 50000);
    check(cmd, expect);
    check("clock_set 5", expect);
    g_free(cmd);
    g_free(expect);
    timer_free(t);
}

static void test_clock_step_to_deadline(void)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    QEMUTimer *t;
    char *expect;

    t = timer_new_ns(QEMU_CLOCK_VIRTUAL, on_timer, NULL);
    timer_fired = 0;
    timer_mod_ns(t, now + 5000);
    expect = g_strdup_printf("OK %" G_GINT64_FORMAT "\n", now + 5000);
    check("clock_step", expect);
    g_free(expect);
    g_assert_cmpint(timer_fired, ==, 1);
    g_assert_cmpint(timer_fired_at, ==, now + 5000);
    timer_free(t);
}

static void test_bad_input(void)
{
    check("foo bar", "FAIL Unknown command 'foo'\n");
    check("readq", "FAIL readq: missing address\n");
    check("readb zz", "FAIL readb: bad address 'zz'\n");
    check("writeb 0x10", "FAIL writeb: missing value\n");
    check("writeb 0x10 1 2", "FAIL writeb: too many arguments\n");
    check("inq 0x10", "FAIL Unknown command 'inq'\n");
    check("readx 0x10", "FAIL Unknown command 'readx'\n");
    check("write 0x10 4", "FAIL write: missing data\n");
    check("write 0x10 2 0xzz", "FAIL write: bad hex data '0xzz'\n");
    check("read 0x10 99999999999", "FAIL read: length 99999999999 too "
                                   "large\n");
    check("clock_set", "FAIL clock_set: missing nanoseconds\n");
    check("irq_intercept_in", "FAIL irq_intercept_in: missing device path\n");
    check("irq_intercept_in /machine/nosuch", "FAIL Unknown device\n");
    /* Blank lines are ignored; the session goes on. */
    check("", "");
    check("   ", "");
    check("endianness", "OK little\n");
}

static void test_framing(void)
{
    /* Pieces of lines, several lines at once, CRLF, extra blanks. */
    g_string_truncate(sent, 0);
    feed("writeb 0x");
    g_assert_cmpstr(sent->str, ==, "");
    feed("60 0x7\nreadb 0x60\nendian");
    g_assert_cmpstr(sent->str, ==, "OK\nOK 0x0000000000000007\n");
    feed("ness\r\n");
    g_assert_cmpstr(sent->str, ==, "OK\nOK 0x0000000000000007\nOK little\n");
    check("  readb \t 0x60  ", "OK 0x0000000000000007\n");
}

static void test_irq_hooks(void)
{
    DeviceState *dev = device_create_simple("test-irq-dev", NULL, &error_abort);

    g_assert_false(qtest_irq_intercepted(dev, true));
    check("irq_intercept_in /machine/unattached/device[0]", "OK\n");
    g_assert_true(qtest_irq_intercepted(dev, true));
    g_assert_false(qtest_irq_intercepted(dev, false));
    check("irq_intercept_out /machine/unattached/device[0]",
          "FAIL IRQ intercept already enabled\n");
    g_string_truncate(sent, 0);
    qtest_irq_report(3, true);
    qtest_irq_report(3, false);
    g_assert_cmpstr(sent->str, ==, "IRQ raise 3\nIRQ lower 3\n");
}

static const DeviceTypeInfo test_irq_dev_info = {
    .name = "test-irq-dev",
    .parent = "device",
    .instance_size = sizeof(DeviceState),
};
DEVICE_TYPE_REGISTER(test_irq_dev_info)

/* Mapped for the whole run. */
static MemoryRegion ram, port;

int main(int argc, char **argv)
{
    Error *err = NULL;

    g_test_init(&argc, &argv, NULL);
    sent = g_string_new("");
    main_loop_init();
    memory_init();
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 1 * 1024 * 1024,
                                         &error_abort));
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    memory_region_init_io(&port, NULL, &port_ops, NULL, "port", 8);
    memory_region_add_subregion(get_system_io(), 0x3f8, &port);

    g_assert_false(qtest_init("none", "none", &err));
    g_assert_nonnull(err);
    error_free(err);
    err = NULL;
    g_assert_false(qtest_init("stdio", "/nonexistent/dir/log", &err));
    g_assert_nonnull(err);
    error_free(err);
    g_assert_true(qtest_init("stdio", "none", &error_abort));
    g_assert_nonnull(frontend);

    g_test_add_func("/qtest/accel", test_accel);
    g_test_add_func("/qtest/memory", test_memory_commands);
    g_test_add_func("/qtest/ports", test_port_commands);
    g_test_add_func("/qtest/clock", test_clock);
    g_test_add_func("/qtest/clock-step-to-deadline",
                    test_clock_step_to_deadline);
    g_test_add_func("/qtest/bad-input", test_bad_input);
    g_test_add_func("/qtest/framing", test_framing);
    g_test_add_func("/qtest/irq-hooks", test_irq_hooks);
    return g_test_run();
}
