/*
 * The qtest protocol: line commands on a chardev that read and write guest
 * memory and ports and move the virtual clock, for device tests without a
 * guest.  The command set and reply formats are QEMU's (system/qtest.h).
 *
 * The "qtest" accelerator runs no CPU; its only job is to make the virtual
 * clock manual, so time moves only when the test says clock_step.
 *
 * Input arrives on the main loop in arbitrary pieces; complete lines are
 * executed in order, each answered with exactly one "OK ..." or
 * "FAIL ..." line.  With a log (-qtest-log, stderr by default) every
 * command and reply is written as "[R +secs] cmd" / "[S +secs] reply".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "system/qtest.h"
#include "chardev/char.h"
#include "hw/core/qdev.h"
#include "system/accel.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "util/cutils.h"

/* Longest read/write/memset the protocol accepts in one command. */
#define QTEST_MAX_LEN (256 * MiB)

static CharFrontend qtest_fe;
static GString *inbuf;
static FILE *log_fp;
static GTimer *log_timer;
static DeviceState *irq_intercept_dev;
static bool irq_intercept_in;

/* ---- logging and replies ---- */

static void qtest_log(char kind, const char *line)
{
    if (!log_fp) {
        return;
    }
    fprintf(log_fp, "[%c +%.6f] %s", kind, g_timer_elapsed(log_timer, NULL),
            line);
    if (!g_str_has_suffix(line, "\n")) {
        fputc('\n', log_fp);
    }
    fflush(log_fp);
}

static void qtest_send(const char *line)
{
    qtest_log('S', line);
    chr_fe_write_all(&qtest_fe, (const uint8_t *)line, strlen(line));
}

static void G_GNUC_PRINTF(1, 2) qtest_sendf(const char *fmt, ...)
{
    va_list ap;
    char *line;

    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qtest_send(line);
    g_free(line);
}

/* ---- argument parsing ---- */

/* Parses words[i] as a number; on failure replies FAIL and returns false. */
static bool arg_u64(char **words, int i, const char *what, uint64_t *v)
{
    if (!words[i]) {
        qtest_sendf("FAIL %s: missing %s\n", words[0], what);
        return false;
    }
    if (!parse_uint64(words[i], v)) {
        int64_t neg;
        /* Two's complement for negative values, as strtoull would. */
        if (parse_int64(words[i], &neg)) {
            *v = (uint64_t)neg;
            return true;
        }
        qtest_sendf("FAIL %s: bad %s '%s'\n", words[0], what, words[i]);
        return false;
    }
    return true;
}

static bool arg_len(char **words, int i, uint64_t *len)
{
    if (!arg_u64(words, i, "length", len)) {
        return false;
    }
    if (*len > QTEST_MAX_LEN) {
        qtest_sendf("FAIL %s: length %" PRIu64 " too large\n", words[0], *len);
        return false;
    }
    return true;
}

static bool check_no_extra(char **words, int nargs)
{
    for (int i = 1; i <= nargs; i++) {
        if (!words[i]) {
            return true; /* reported by the argument parser */
        }
    }
    if (words[nargs + 1]) {
        qtest_sendf("FAIL %s: too many arguments\n", words[0]);
        return false;
    }
    return true;
}

static unsigned access_size(char suffix)
{
    switch (suffix) {
    case 'b':
        return 1;
    case 'w':
        return 2;
    case 'l':
        return 4;
    case 'q':
        return 8;
    default:
        return 0;
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = g_ascii_tolower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void store_le(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = v >> (8 * i);
    }
}

/* ---- commands ---- */

static void cmd_mem_rw(char **words, unsigned size, bool is_write, bool io)
{
    AddressSpace *as = io ? &address_space_io : &address_space_memory;
    uint64_t addr, val = 0;
    uint8_t buf[8];

    if (!arg_u64(words, 1, io ? "port" : "address", &addr) ||
        (is_write && !arg_u64(words, 2, "value", &val)) ||
        !check_no_extra(words, is_write ? 2 : 1)) {
        return;
    }
    if (is_write) {
        store_le(buf, val, size);
        address_space_write(as, addr, MEMTXATTRS_UNSPECIFIED, buf, size);
        qtest_send("OK\n");
        return;
    }
    address_space_read(as, addr, MEMTXATTRS_UNSPECIFIED, buf, size);
    val = load_le(buf, size);
    if (io) {
        qtest_sendf("OK 0x%04" PRIx64 "\n", val);
    } else {
        qtest_sendf("OK 0x%016" PRIx64 "\n", val);
    }
}

static void cmd_read(char **words, bool b64)
{
    uint64_t addr, len;
    uint8_t *data;
    GString *reply;

    if (!arg_u64(words, 1, "address", &addr) || !arg_len(words, 2, &len) ||
        !check_no_extra(words, 2)) {
        return;
    }
    data = g_malloc(len ? len : 1);
    address_space_read(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED,
                       data, len);
    if (b64) {
        char *enc = g_base64_encode(data, len);
        reply = g_string_new("OK ");
        g_string_append(reply, enc);
        g_free(enc);
    } else {
        reply = g_string_sized_new(len * 2 + 8);
        g_string_append(reply, "OK 0x");
        for (uint64_t i = 0; i < len; i++) {
            g_string_append_printf(reply, "%02x", data[i]);
        }
    }
    g_string_append_c(reply, '\n');
    qtest_send(reply->str);
    g_string_free(reply, true);
    g_free(data);
}

static void cmd_write(char **words)
{
    uint64_t addr, len;
    const char *hex;
    size_t hex_len;
    uint8_t *data;

    if (!arg_u64(words, 1, "address", &addr) || !arg_len(words, 2, &len)) {
        return;
    }
    if (!words[3]) {
        qtest_send("FAIL write: missing data\n");
        return;
    }
    if (!check_no_extra(words, 3)) {
        return;
    }
    hex = words[3];
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
        hex += 2;
    }
    hex_len = strlen(hex);
    data = g_malloc0(len ? len : 1);
    /* Bytes the data does not cover are written as zero. */
    for (uint64_t i = 0; i < len && 2 * i + 1 < hex_len; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            qtest_sendf("FAIL write: bad hex data '%s'\n", words[3]);
            g_free(data);
            return;
        }
        data[i] = hi << 4 | lo;
    }
    address_space_write(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED,
                        data, len);
    g_free(data);
    qtest_send("OK\n");
}

static void cmd_memset(char **words)
{
    uint64_t addr, len, pattern;
    uint8_t *data;

    if (!arg_u64(words, 1, "address", &addr) || !arg_len(words, 2, &len) ||
        !arg_u64(words, 3, "value", &pattern) || !check_no_extra(words, 3)) {
        return;
    }
    data = g_malloc(len ? len : 1);
    memset(data, (uint8_t)pattern, len);
    address_space_write(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED,
                        data, len);
    g_free(data);
    qtest_send("OK\n");
}

static void cmd_b64write(char **words)
{
    uint64_t addr, len;
    gsize out_len;
    guchar *data;

    if (!arg_u64(words, 1, "address", &addr) || !arg_len(words, 2, &len)) {
        return;
    }
    if (!words[3]) {
        qtest_send("FAIL b64write: missing data\n");
        return;
    }
    if (!check_no_extra(words, 3)) {
        return;
    }
    data = g_base64_decode(words[3], &out_len);
    if (out_len != len) {
        qtest_log('I', "b64write: data length mismatch");
    }
    /* As QEMU: write what was given, up to LEN bytes. */
    address_space_write(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED,
                        data, MIN(out_len, len));
    g_free(data);
    qtest_send("OK\n");
}

static void clock_advance_to(int64_t dest)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    /* The step fires every timer due on the way, each at its deadline. */
    if (dest > now) {
        qemu_clock_virtual_step(dest - now);
    }
}

static void cmd_clock(char **words, bool set)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    uint64_t arg;

    if (set || words[1]) {
        if (!arg_u64(words, 1, "nanoseconds", &arg) ||
            !check_no_extra(words, 1)) {
            return;
        }
        clock_advance_to(set ? (int64_t)arg : now + (int64_t)arg);
    } else {
        /* No argument: to the next timer, or nowhere if there is none. */
        int64_t next = qemu_clock_next_expire_ns(QEMU_CLOCK_VIRTUAL);
        if (next >= 0) {
            clock_advance_to(MAX(next, now));
            qemu_clock_run_timers(QEMU_CLOCK_VIRTUAL);
        }
    }
    qtest_sendf("OK %" PRIi64 "\n", qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
}

static void cmd_irq_intercept(char **words, bool in)
{
    DeviceState *dev;

    if (!words[1]) {
        qtest_sendf("FAIL %s: missing device path\n", words[0]);
        return;
    }
    if (!check_no_extra(words, 1)) {
        return;
    }
    dev = device_find_path(words[1]);
    if (!dev) {
        qtest_send("FAIL Unknown device\n");
        return;
    }
    if (irq_intercept_dev) {
        if (irq_intercept_dev != dev || irq_intercept_in != in) {
            qtest_send("FAIL IRQ intercept already enabled\n");
        } else {
            qtest_send("OK\n");
        }
        return;
    }
    irq_intercept_dev = dev;
    irq_intercept_in = in;
    qtest_send("OK\n");
}

static void qtest_process_command(char **words)
{
    const char *cmd = words[0];
    size_t n = strlen(cmd);

    if (n == 5 && !strncmp(cmd, "read", 4) && access_size(cmd[4])) {
        cmd_mem_rw(words, access_size(cmd[4]), false, false);
    } else if (n == 6 && !strncmp(cmd, "write", 5) && access_size(cmd[5])) {
        cmd_mem_rw(words, access_size(cmd[5]), true, false);
    } else if (n == 3 && !strncmp(cmd, "in", 2) && cmd[2] != 'q' &&
               access_size(cmd[2])) {
        cmd_mem_rw(words, access_size(cmd[2]), false, true);
    } else if (n == 4 && !strncmp(cmd, "out", 3) && cmd[3] != 'q' &&
               access_size(cmd[3])) {
        cmd_mem_rw(words, access_size(cmd[3]), true, true);
    } else if (!strcmp(cmd, "read")) {
        cmd_read(words, false);
    } else if (!strcmp(cmd, "b64read")) {
        cmd_read(words, true);
    } else if (!strcmp(cmd, "write")) {
        cmd_write(words);
    } else if (!strcmp(cmd, "b64write")) {
        cmd_b64write(words);
    } else if (!strcmp(cmd, "memset")) {
        cmd_memset(words);
    } else if (!strcmp(cmd, "clock_step")) {
        cmd_clock(words, false);
    } else if (!strcmp(cmd, "clock_set")) {
        cmd_clock(words, true);
    } else if (!strcmp(cmd, "irq_intercept_in")) {
        cmd_irq_intercept(words, true);
    } else if (!strcmp(cmd, "irq_intercept_out")) {
        cmd_irq_intercept(words, false);
    } else if (!strcmp(cmd, "endianness")) {
        qtest_send("OK little\n");
    } else {
        qtest_sendf("FAIL Unknown command '%s'\n", cmd);
    }
}

static void qtest_process_line(char *line)
{
    char **words;

    g_strchomp(line); /* also drops a '\r' from a CRLF client */
    qtest_log('R', line);
    words = g_strsplit_set(line, " \t", -1);
    /* Drop empty words (runs of blanks). */
    {
        int w = 0;
        for (int r = 0; words[r]; r++) {
            if (*words[r]) {
                words[w++] = words[r];
            } else {
                g_free(words[r]);
            }
        }
        words[w] = NULL;
    }
    if (words[0]) {
        qtest_process_command(words);
    }
    g_strfreev(words);
}

/* ---- chardev front end ---- */

static int qtest_can_receive(void *opaque)
{
    return 4096;
}

static void qtest_receive(void *opaque, const uint8_t *buf, int size)
{
    char *nl;

    g_string_append_len(inbuf, (const char *)buf, size);
    while ((nl = memchr(inbuf->str, '\n', inbuf->len)) != NULL) {
        size_t len = nl - inbuf->str;
        char *line = g_strndup(inbuf->str, len);
        g_string_erase(inbuf, 0, len + 1);
        qtest_process_line(line);
        g_free(line);
    }
}

static void qtest_event(void *opaque, ChardevEvent event)
{
    switch (event) {
    case CHR_EVENT_OPENED:
        g_string_truncate(inbuf, 0);
        qtest_log('I', "OPENED");
        break;
    case CHR_EVENT_CLOSED:
        qtest_log('I', "CLOSED");
        break;
    default:
        break;
    }
}

bool qtest_init(const char *chardev_spec, const char *log_path, Error **errp)
{
    bool is_none = false;
    Chardev *chr;

    if (!log_path) {
        log_fp = stderr;
    } else if (strcmp(log_path, "none")) {
        log_fp = fopen(log_path, "w");
        if (!log_fp) {
            error_setg_errno(errp, errno, "can't open qtest log '%s'",
                             log_path);
            return false;
        }
    }
    if (!log_timer) {
        log_timer = g_timer_new();
    }
    chr = chardev_new_from_spec("qtest", chardev_spec, &is_none, errp);
    if (!chr) {
        if (is_none) {
            error_setg(errp, "qtest needs a character device, not 'none'");
        }
        return false;
    }
    if (!chr_fe_init(&qtest_fe, chr, errp)) {
        return false;
    }
    inbuf = g_string_new("");
    chr_fe_set_handlers(&qtest_fe, qtest_can_receive, qtest_receive,
                        qtest_event, NULL);
    return true;
}

bool qtest_irq_intercepted(const DeviceState *dev, bool in)
{
    return dev && dev == irq_intercept_dev && in == irq_intercept_in;
}

void qtest_irq_report(int line, bool level)
{
    qtest_sendf("IRQ %s %d\n", level ? "raise" : "lower", line);
}

/* ---- the accelerator ---- */

static bool qtest_accel_available(void)
{
    return true;
}

static bool qtest_accel_init_machine(MachineState *ms, Error **errp)
{
    /* Virtual time moves only by clock_step / clock_set. */
    qemu_clock_virtual_set_manual();
    return true;
}

static const AccelOps qtest_accel_ops = {
    .name = "qtest",
    .available = qtest_accel_available,
    .init_machine = qtest_accel_init_machine,
};
ACCEL_REGISTER(qtest_accel_ops)
