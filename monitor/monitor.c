/*
 * The monitor's command table, shared by both front ends.
 *
 * Every command registers one MonitorCommand (monitor.h).  QMP (qmp.c)
 * checks "arguments" with monitor_check_args() and calls the handler; HMP
 * (hmp.c) turns a typed line into the same JSON object here, in
 * hmp_run(), calls the same handler and prints the result with the
 * command's hmp_format.  `help` and the bare `info` listing are built from
 * the table as well, so a new command shows up everywhere at once.
 *
 * HMP names may carry aliases ("cont|c"); "info X" commands are found by
 * their second word.  Messages follow QEMU's HMP: "unknown command:
 * 'foo'", "stop|s: extraneous characters at the end of line", then
 * "Try \"help stop\" for more information".
 */
#include "monitor/monitor-internal.h"

#include <errno.h>
#include <string.h>
#include "config-host.h"
#include "util/cutils.h"

static GPtrArray *commands; /* of const MonitorCommand *, registration order */

void monitor_command_register(const MonitorCommand *cmd)
{
    if (!commands) {
        commands = g_ptr_array_new();
    }
    g_ptr_array_add(commands, (gpointer)cmd);
}

GPtrArray *monitor_command_list(void)
{
    GPtrArray *list = g_ptr_array_new();

    for (guint i = 0; commands && i < commands->len; i++) {
        g_ptr_array_add(list, g_ptr_array_index(commands, i));
    }
    return list;
}

const MonitorCommand *monitor_command_find_qmp(const char *name)
{
    for (guint i = 0; commands && i < commands->len; i++) {
        const MonitorCommand *cmd = g_ptr_array_index(commands, i);
        if (cmd->name && !cmd->hmp_only && !strcmp(cmd->name, name)) {
            return cmd;
        }
    }
    return NULL;
}

void monitor_qemu_version(int *major, int *minor, int *micro)
{
    *major = *minor = *micro = 0;
    sscanf(QEMU_VERSION_COMPAT, "%d.%d.%d", major, minor, micro);
}

const char *monitor_package(void)
{
    return "Quasar " QUASAR_VERSION;
}

char *monitor_crlf(const char *s)
{
    GString *out = g_string_sized_new(strlen(s) + 16);

    for (; *s; s++) {
        if (*s == '\n') {
            g_string_append_c(out, '\r');
        }
        g_string_append_c(out, *s);
    }
    return g_string_free(out, false);
}

void hmp_print_string(GString *out, json_t *ret, json_t *args)
{
    if (json_is_string(ret)) {
        g_string_append(out, json_string_value(ret));
    }
}

/* ---- output queue ---- */

void monitor_output_init(MonitorOutput *o, CharFrontend *fe)
{
    o->fe = fe;
    o->buf = g_string_new(NULL);
    o->watch = 0;
}

bool monitor_output_full(const MonitorOutput *o)
{
    return o->buf->len > MONITOR_OUT_HIGH;
}

static gboolean monitor_output_ready(gint fd, GIOCondition cond,
                                     gpointer opaque);

/* Writes what the chardev takes now; arms a watch for the rest. */
static void monitor_output_flush(MonitorOutput *o)
{
    bool was_full = monitor_output_full(o);

    while (o->buf->len) {
        int n = chr_fe_write(o->fe, (const uint8_t *)o->buf->str, o->buf->len);
        if (n < 0) {
            g_string_truncate(o->buf, 0); /* the peer is gone */
            break;
        }
        if (n == 0) {
            break;
        }
        g_string_erase(o->buf, 0, n);
    }
    if (o->buf->len && !o->watch) {
        o->watch = chr_fe_add_watch(o->fe, G_IO_OUT | G_IO_HUP | G_IO_ERR,
                                    monitor_output_ready, o);
        if (!o->watch) {
            g_string_truncate(o->buf, 0); /* nothing to wait on */
        }
    }
    if (was_full && !monitor_output_full(o)) {
        chr_fe_accept_input(o->fe);
    }
}

static gboolean monitor_output_ready(gint fd, GIOCondition cond,
                                     gpointer opaque)
{
    MonitorOutput *o = opaque;

    o->watch = 0;
    monitor_output_flush(o);
    return G_SOURCE_REMOVE;
}

void monitor_output_write(MonitorOutput *o, const char *data, size_t len)
{
    g_string_append_len(o->buf, data, len);
    if (!o->watch) {
        monitor_output_flush(o);
    }
}

void monitor_output_reset(MonitorOutput *o)
{
    if (o->watch) {
        g_source_remove(o->watch);
        o->watch = 0;
    }
    g_string_truncate(o->buf, 0);
}

void monitor_output_drain(MonitorOutput *o)
{
    if (o->buf->len) {
        chr_fe_write_all(o->fe, (const uint8_t *)o->buf->str, o->buf->len);
    }
    monitor_output_reset(o);
}

/* ---- QMP argument checking ---- */

static const char *arg_type_name(MonitorArgType t)
{
    switch (t) {
    case MON_ARG_STR:
    case MON_ARG_REST:
        return "string";
    case MON_ARG_INT:
    case MON_ARG_SIZE:
        return "integer";
    case MON_ARG_BOOL:
    case MON_ARG_FLAG:
        return "boolean";
    case MON_ARG_FORMAT:
        return "string";
    case MON_ARG_JSON:
        return "object";
    }
    return "value";
}

static bool arg_type_ok(MonitorArgType t, json_t *v)
{
    switch (t) {
    case MON_ARG_STR:
    case MON_ARG_REST:
    case MON_ARG_FORMAT:
        return json_is_string(v);
    case MON_ARG_INT:
        return json_is_integer(v);
    case MON_ARG_SIZE:
        return json_is_integer(v) && json_integer_value(v) >= 0;
    case MON_ARG_BOOL:
    case MON_ARG_FLAG:
        return json_is_boolean(v);
    case MON_ARG_JSON:
        return json_is_object(v);
    }
    return false;
}

bool monitor_check_args(const MonitorCommand *cmd, json_t *args, Error **errp)
{
    const char *key;
    json_t *v;

    for (const MonitorArg *a = cmd->args; a && a->name; a++) {
        v = args ? json_object_get(args, a->name) : NULL;
        if (!v) {
            if (!a->optional && a->type != MON_ARG_FLAG) {
                error_setg(errp, "Parameter '%s' is missing", a->name);
                return false;
            }
            continue;
        }
        if (!arg_type_ok(a->type, v)) {
            error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                       a->name, arg_type_name(a->type));
            return false;
        }
    }
    if (!args) {
        return true;
    }
    json_object_foreach(args, key, v)
    {
        const MonitorArg *a = cmd->args;
        while (a && a->name && strcmp(a->name, key)) {
            a++;
        }
        if (!a || !a->name) {
            error_setg(errp, "Parameter '%s' is unexpected", key);
            return false;
        }
    }
    return true;
}

/* ---- HMP names ---- */

/* Whether word is one of the '|'-separated names in names[0..len). */
static bool name_matches(const char *names, size_t len, const char *word)
{
    const char *p = names, *end = names + len;

    while (p < end) {
        const char *bar = memchr(p, '|', end - p);
        size_t n = (bar ? bar : end) - p;
        if (strlen(word) == n && !strncmp(p, word, n)) {
            return true;
        }
        p = bar ? bar + 1 : end;
    }
    return false;
}

static bool is_info_cmd(const MonitorCommand *cmd)
{
    return cmd->hmp_name && g_str_has_prefix(cmd->hmp_name, "info ");
}

/* "info mtree" -> "mtree"; "stop|s" -> "stop|s" (QEMU's error prefix). */
static const char *hmp_short_name(const MonitorCommand *cmd)
{
    return is_info_cmd(cmd) ? cmd->hmp_name + 5 : cmd->hmp_name;
}

static const MonitorCommand *hmp_find(const char *w1, const char *w2)
{
    for (guint i = 0; commands && i < commands->len; i++) {
        const MonitorCommand *cmd = g_ptr_array_index(commands, i);
        if (!cmd->hmp_name) {
            continue;
        }
        if (w2) {
            if (is_info_cmd(cmd) && !strcmp(cmd->hmp_name + 5, w2)) {
                return cmd;
            }
        } else if (!is_info_cmd(cmd) &&
                   name_matches(cmd->hmp_name, strlen(cmd->hmp_name), w1)) {
            return cmd;
        }
    }
    return NULL;
}

static gint hmp_name_cmp(gconstpointer a, gconstpointer b)
{
    const MonitorCommand *ca = *(const MonitorCommand *const *)a;
    const MonitorCommand *cb = *(const MonitorCommand *const *)b;

    return strcmp(ca->hmp_name, cb->hmp_name);
}

static void hmp_help_line(GString *out, const MonitorCommand *cmd)
{
    g_string_append_printf(out, "%s %s -- %s\n", cmd->hmp_name,
                           cmd->hmp_params ? cmd->hmp_params : "",
                           cmd->hmp_help ? cmd->hmp_help : "");
}

/* Every HMP command (info = false) or every info subcommand, sorted. */
static void hmp_help_list(GString *out, bool info)
{
    g_autoptr(GPtrArray) list = g_ptr_array_new();
    bool info_line = false;

    for (guint i = 0; commands && i < commands->len; i++) {
        const MonitorCommand *cmd = g_ptr_array_index(commands, i);
        if (cmd->hmp_name && is_info_cmd(cmd) == info) {
            g_ptr_array_add(list, (gpointer)cmd);
        }
    }
    g_ptr_array_sort(list, hmp_name_cmp);
    for (guint i = 0; i < list->len; i++) {
        const MonitorCommand *cmd = g_ptr_array_index(list, i);
        if (!info && !info_line && strcmp(cmd->hmp_name, "info") > 0) {
            g_string_append(out, "info [subcommand] -- show various "
                                 "information about the system state\n");
            info_line = true;
        }
        hmp_help_line(out, cmd);
    }
    if (!info && !info_line) {
        g_string_append(out, "info [subcommand] -- show various "
                             "information about the system state\n");
    }
}

/* `help [cmd]`: with a name, that command's line (or the info list). */
void hmp_help(GString *out, const char *what)
{
    g_auto(GStrv) words = NULL;
    const MonitorCommand *cmd;

    if (!what || !*what) {
        hmp_help_list(out, false);
        return;
    }
    words = g_strsplit_set(what, " \t", 3);
    if (!strcmp(words[0], "info")) {
        if (!words[1] || !*words[1]) {
            hmp_help_list(out, true);
            return;
        }
        cmd = hmp_find("info", words[1]);
        if (!cmd) {
            g_string_append_printf(out, "unknown command: 'info %s'\n",
                                   words[1]);
            return;
        }
    } else {
        cmd = hmp_find(words[0], NULL);
        if (!cmd) {
            g_string_append_printf(out, "unknown command: '%s'\n", words[0]);
            return;
        }
    }
    hmp_help_line(out, cmd);
}

GPtrArray *hmp_complete(const char *line)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const char *p = line;
    bool info;

    while (*p == ' ') {
        p++;
    }
    info = g_str_has_prefix(p, "info ");
    if (info) {
        p += 5;
        while (*p == ' ') {
            p++;
        }
    }
    if (strchr(p, ' ')) {
        return out; /* arguments are not completed */
    }
    for (guint i = 0; commands && i < commands->len; i++) {
        const MonitorCommand *cmd = g_ptr_array_index(commands, i);
        const char *name;
        size_t n;
        if (!cmd->hmp_name || is_info_cmd(cmd) != info) {
            continue;
        }
        name = info ? cmd->hmp_name + 5 : cmd->hmp_name;
        n = strcspn(name, "|");
        if (!strncmp(name, p, strlen(p)) && strlen(p) <= n) {
            g_ptr_array_add(out, g_strndup(name, n));
        }
    }
    if (!info && !strncmp("info", p, strlen(p))) {
        g_ptr_array_add(out, g_strdup("info"));
    }
    return out;
}

/* ---- HMP line parsing ---- */

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/*
 * Reads one word (a "double quoted" word may hold spaces and \" \\
 * escapes) into *word; returns the position after it, or NULL for a bad
 * quote.
 */
static const char *read_word(const char *p, char **word)
{
    GString *w = g_string_new(NULL);

    p = skip_spaces(p);
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1]) {
                p++;
            }
            g_string_append_c(w, *p++);
        }
        if (*p != '"') {
            g_string_free(w, true);
            *word = NULL;
            return NULL;
        }
        p++;
    } else {
        while (*p && *p != ' ' && *p != '\t') {
            g_string_append_c(w, *p++);
        }
    }
    *word = g_string_free(w, false);
    return p;
}

/* "/10xb" of x/xp: count, format letter, unit size. */
static bool parse_format(const char *w, json_t *args)
{
    int64_t count = 1, size = 4;
    const char *p = w + 1;
    char fmt = 'x';

    if (g_ascii_isdigit(*p)) {
        count = g_ascii_strtoll(p, (char **)&p, 10);
    }
    for (; *p; p++) {
        switch (*p) {
        case 'b':
            size = 1;
            break;
        case 'h':
            size = 2;
            break;
        case 'w':
            size = 4;
            break;
        case 'g':
            size = 8;
            break;
        case 'x':
        case 'd':
        case 'u':
        case 'o':
        case 'c':
        case 'i':
        case 's':
        case 'a':
            fmt = *p;
            break;
        default:
            return false;
        }
    }
    json_object_set_new(args, "count", json_integer(count));
    json_object_set_new(args, "format", json_sprintf("%c", fmt));
    json_object_set_new(args, "size", json_integer(size));
    return true;
}

/* Builds the JSON arguments of cmd from the text after its name. */
static json_t *hmp_parse_args(const MonitorCommand *cmd, const char *p,
                              GString *out)
{
    const char *name = hmp_short_name(cmd);
    g_autoptr(json_t) args = json_object();
    bool has_flags = false;

    for (const MonitorArg *a = cmd->args; a && a->name; a++) {
        has_flags |= a->type == MON_ARG_FLAG;
    }
    /* Leading "-x" flags. */
    while (has_flags && *(p = skip_spaces(p)) == '-') {
        size_t n = strcspn(p, " \t");
        const MonitorArg *a = cmd->args;
        while (a->name &&
               !(a->type == MON_ARG_FLAG && a->hmp_flag &&
                 strlen(a->hmp_flag) == n && !strncmp(a->hmp_flag, p, n))) {
            a++;
        }
        if (!a->name) {
            g_string_append_printf(out, "%s: unsupported option %.*s\n", name,
                                   (int)n, p);
            goto usage;
        }
        json_object_set_new(args, a->name, json_true());
        p += n;
    }
    for (const MonitorArg *a = cmd->args; a && a->name; a++) {
        g_autofree char *w = NULL;
        const char *expect = "string";
        json_t *v = NULL;

        if (a->type == MON_ARG_FLAG) {
            continue;
        }
        p = skip_spaces(p);
        if (a->type == MON_ARG_REST) {
            if (*p) {
                g_autofree char *rest = g_strchomp(g_strdup(p));
                json_object_set_new(args, a->name, json_string(rest));
                p += strlen(p);
            } else if (!a->optional) {
                g_string_append_printf(out, "%s: string expected\n", name);
                goto usage;
            }
            continue;
        }
        if (a->type == MON_ARG_JSON) {
            json_error_t jerr;
            json_t *j = *p ? json_loads(p, 0, &jerr) : NULL;
            if (!j && (*p || !a->optional)) {
                g_string_append_printf(out, "%s: JSON object expected\n", name);
                goto usage;
            }
            if (j) {
                json_object_set_new(args, a->name, j);
            }
            p += strlen(p);
            continue;
        }
        if (a->type == MON_ARG_FORMAT) {
            if (*p == '/') {
                p = read_word(p, &w);
                if (!parse_format(w, args)) {
                    g_string_append_printf(out, "%s: invalid format '%s'\n",
                                           name, w);
                    goto usage;
                }
            } else if (!a->optional) {
                parse_format("/", args);
            }
            continue;
        }
        if (!*p) {
            if (a->optional) {
                continue;
            }
            switch (a->type) {
            case MON_ARG_INT:
                expect = "integer";
                break;
            case MON_ARG_SIZE:
                expect = "size";
                break;
            case MON_ARG_BOOL:
                expect = "'on' or 'off'";
                break;
            default:
                break;
            }
            g_string_append_printf(out, "%s: %s expected\n", name, expect);
            goto usage;
        }
        p = read_word(p, &w);
        if (!p) {
            g_string_append_printf(out, "%s: unterminated string\n", name);
            goto usage;
        }
        switch (a->type) {
        case MON_ARG_INT: {
            int64_t i;
            if (!parse_int64(w, &i)) {
                g_string_append_printf(out, "%s: invalid number '%s'\n", name,
                                       w);
                goto usage;
            }
            v = json_integer(i);
            break;
        }
        case MON_ARG_SIZE: {
            uint64_t sz;
            if (parse_size(w, &sz) < 0 || sz > INT64_MAX) {
                g_string_append_printf(out, "%s: invalid size '%s'\n", name, w);
                goto usage;
            }
            v = json_integer(sz);
            break;
        }
        case MON_ARG_BOOL: {
            bool b;
            if (!parse_bool(w, &b)) {
                g_string_append_printf(out, "%s: expected 'on' or 'off'\n",
                                       name);
                goto usage;
            }
            v = json_boolean(b);
            break;
        }
        default:
            v = json_string(w);
            break;
        }
        json_object_set_new(args, a->name, v);
    }
    if (*skip_spaces(p)) {
        g_string_append_printf(
            out, "%s: extraneous characters at the end of line\n", name);
        goto usage;
    }
    return g_steal_pointer(&args);

usage:
    g_string_append_printf(out, "Try \"help %.*s\" for more information\n",
                           (int)strcspn(cmd->hmp_name, "|"), cmd->hmp_name);
    return NULL;
}

static void hmp_error_printer(void *opaque, const char *line)
{
    g_string_append((GString *)opaque, line);
}

void hmp_run(GString *out, const char *cmdline)
{
    g_autofree char *w1 = NULL, *w2 = NULL, *rest = NULL;
    const MonitorCommand *cmd;
    const char *p = skip_spaces(cmdline);
    g_autoptr(json_t) args = NULL;
    json_t *ret;
    Error *err = NULL;

    if (!*p) {
        return;
    }
    p = read_word(p, &w1);
    if (!p) {
        g_string_append(out, "unterminated string\n");
        return;
    }
    if (!strcmp(w1, "info")) {
        p = skip_spaces(p);
        if (!*p) {
            hmp_help_list(out, true);
            return;
        }
        p = read_word(p, &w2);
        if (!p) {
            g_string_append(out, "unterminated string\n");
            return;
        }
        cmd = hmp_find(w1, w2);
        if (!cmd) {
            g_string_append_printf(out, "unknown command: 'info %s'\n", w2);
            return;
        }
    } else {
        /* A command name ends at '/' too: "x/4x 0x9000" is x with /4x. */
        char *slash = w1[0] != '/' ? strchr(w1, '/') : NULL;
        if (slash) {
            rest = g_strconcat(slash, " ", p, NULL);
            *slash = '\0';
            p = rest;
        }
        cmd = hmp_find(w1, NULL);
        if (!cmd) {
            g_string_append_printf(out, "unknown command: '%s'\n", w1);
            return;
        }
    }
    args = hmp_parse_args(cmd, p, out);
    if (!args) {
        return;
    }
    error_set_printer(hmp_error_printer, out);
    ret = cmd->handler(args, &err);
    error_set_printer(NULL, NULL);
    if (!ret) {
        g_string_append_printf(out, "Error: %s\n",
                               err ? error_get_pretty(err) : "failed");
        error_free(err);
        return;
    }
    if (cmd->hmp_format) {
        cmd->hmp_format(out, ret, args);
    }
    json_decref(ret);
}

char *monitor_hmp_execute(const char *cmdline)
{
    g_autoptr(GString) out = g_string_new(NULL);

    hmp_run(out, cmdline);
    return monitor_crlf(out->str);
}
