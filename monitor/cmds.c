/*
 * The monitor's built-in commands: versions and status, run control,
 * chardevs, memory and device trees, help, and human-monitor-command.
 * Each is one handler returning JSON plus, when HMP shows it, a formatter.
 */
#include "monitor/monitor-internal.h"

#include <string.h>

#include "chardev/char.h"
#include "hw/core/qdev.h"
#include "system/memory.h"
#include "system/runstate.h"
#include "system/system.h"

bool monitor_quitting;

static const MonitorArg no_args[] = {{NULL}};

/* ---- qmp_capabilities (answered by qmp.c; listed for query-commands) ---- */

static json_t *qmp_capabilities_listed(json_t *args, Error **errp)
{
    return json_object();
}

static const MonitorArg capabilities_args[] = {{"enable", MON_ARG_STR, true},
                                               {NULL}};

static const MonitorCommand capabilities_cmd = {
    .name = "qmp_capabilities",
    .args = capabilities_args,
    .handler = qmp_capabilities_listed,
};
MONITOR_COMMAND_REGISTER(capabilities_cmd)

/* ---- query-version / info version ---- */

static json_t *qmp_query_version(json_t *args, Error **errp)
{
    int major, minor, micro;

    monitor_qemu_version(&major, &minor, &micro);
    return json_pack("{s:{s:i, s:i, s:i}, s:s}", "qemu", "micro", micro,
                     "minor", minor, "major", major, "package",
                     monitor_package());
}

static void hmp_info_version(GString *out, json_t *ret, json_t *args)
{
    json_t *q = json_object_get(ret, "qemu");

    g_string_append_printf(out, "%d.%d.%d (%s)\n",
                           (int)json_integer_value(json_object_get(q, "major")),
                           (int)json_integer_value(json_object_get(q, "minor")),
                           (int)json_integer_value(json_object_get(q, "micro")),
                           json_string_value(json_object_get(ret, "package")));
}

static const MonitorCommand query_version_cmd = {
    .name = "query-version",
    .hmp_name = "info version",
    .args = no_args,
    .hmp_help = "show the version of QEMU",
    .handler = qmp_query_version,
    .hmp_format = hmp_info_version,
};
MONITOR_COMMAND_REGISTER(query_version_cmd)

/* ---- query-name / info name (-name) ---- */

static json_t *qmp_query_name(json_t *args, Error **errp)
{
    return qemu_name ? json_pack("{s:s}", "name", qemu_name) : json_object();
}

static void hmp_info_name(GString *out, json_t *ret, json_t *args)
{
    json_t *name = json_object_get(ret, "name");

    if (name) {
        g_string_append_printf(out, "%s\n", json_string_value(name));
    }
}

static const MonitorCommand query_name_cmd = {
    .name = "query-name",
    .hmp_name = "info name",
    .args = no_args,
    .hmp_help = "show the current VM name",
    .handler = qmp_query_name,
    .hmp_format = hmp_info_name,
};
MONITOR_COMMAND_REGISTER(query_name_cmd)

/* ---- query-status / info status ---- */

static json_t *qmp_query_status(json_t *args, Error **errp)
{
    return json_pack("{s:s, s:b, s:b}", "status", runstate_name(runstate_get()),
                     "singlestep", 0, "running", runstate_is_running());
}

static void hmp_info_status(GString *out, json_t *ret, json_t *args)
{
    bool running = json_is_true(json_object_get(ret, "running"));
    const char *status = json_string_value(json_object_get(ret, "status"));

    g_string_append_printf(out, "VM status: %s",
                           running ? "running" : "paused");
    if (!running && strcmp(status, "paused")) {
        g_string_append_printf(out, " (%s)", status);
    }
    g_string_append_c(out, '\n');
}

static const MonitorCommand query_status_cmd = {
    .name = "query-status",
    .hmp_name = "info status",
    .args = no_args,
    .hmp_help = "show the current VM status (running|paused)",
    .handler = qmp_query_status,
    .hmp_format = hmp_info_status,
};
MONITOR_COMMAND_REGISTER(query_status_cmd)

/* ---- query-commands ---- */

static json_t *qmp_query_commands(json_t *args, Error **errp)
{
    g_autoptr(GPtrArray) list = monitor_command_list();
    json_t *ret = json_array();

    for (guint i = 0; i < list->len; i++) {
        const MonitorCommand *cmd = g_ptr_array_index(list, i);
        if (cmd->name && !cmd->hmp_only) {
            json_array_append_new(ret, json_pack("{s:s}", "name", cmd->name));
        }
    }
    return ret;
}

static const MonitorCommand query_commands_cmd = {
    .name = "query-commands",
    .args = no_args,
    .handler = qmp_query_commands,
};
MONITOR_COMMAND_REGISTER(query_commands_cmd)

/* ---- query-chardev / info chardev ---- */

static void query_chardev_one(Chardev *chr, void *opaque)
{
    json_array_append_new(opaque, json_pack("{s:b, s:s, s:s}", "frontend-open",
                                            chardev_frontend_open(chr),
                                            "filename", chardev_filename(chr),
                                            "label", chardev_label(chr)));
}

static json_t *qmp_query_chardev(json_t *args, Error **errp)
{
    json_t *ret = json_array();

    chardev_foreach(query_chardev_one, ret);
    return ret;
}

static void hmp_info_chardev(GString *out, json_t *ret, json_t *args)
{
    size_t i;
    json_t *c;

    json_array_foreach(ret, i, c)
    {
        g_string_append_printf(
            out, "%s: filename=%s\n",
            json_string_value(json_object_get(c, "label")),
            json_string_value(json_object_get(c, "filename")));
    }
}

static const MonitorCommand query_chardev_cmd = {
    .name = "query-chardev",
    .hmp_name = "info chardev",
    .args = no_args,
    .hmp_help = "show the character devices",
    .handler = qmp_query_chardev,
    .hmp_format = hmp_info_chardev,
};
MONITOR_COMMAND_REGISTER(query_chardev_cmd)

static void query_backend_one(const char *name, void *opaque)
{
    json_array_append_new(opaque, json_pack("{s:s}", "name", name));
}

static json_t *qmp_query_chardev_backends(json_t *args, Error **errp)
{
    json_t *ret = json_array();

    chardev_backend_foreach(query_backend_one, ret);
    return ret;
}

static const MonitorCommand query_chardev_backends_cmd = {
    .name = "query-chardev-backends",
    .args = no_args,
    .handler = qmp_query_chardev_backends,
};
MONITOR_COMMAND_REGISTER(query_chardev_backends_cmd)

/* ---- chardev-add / chardev-remove ---- */

/* QMP's ChardevBackend {"type", "data"} as -chardev options. */
static bool backend_to_opts(json_t *backend, Opts *opts, Error **errp)
{
    const char *type = json_string_value(json_object_get(backend, "type"));
    json_t *data = json_object_get(backend, "data");
    static const struct {
        const char *qmp, *opt;
    } keys[] = {
        {"out", "path"},        {"device", "path"},
        {"append", "append"},   {"signal", "signal"},
        {"size", "size"},       {"server", "server"},
        {"wait", "wait"},       {"nodelay", "nodelay"},
        {"telnet", "telnet"},   {"reconnect", "reconnect"},
        {"logfile", "logfile"}, {"logappend", "logappend"},
    };
    const char *key;
    json_t *v;

    if (!type) {
        error_setg(errp, "Parameter 'backend.type' is missing");
        return false;
    }
    opts_set(opts, "backend", type);
    if (data && !json_is_object(data)) {
        error_setg(errp, "Invalid parameter type for 'backend.data', "
                         "expected: object");
        return false;
    }
    json_object_foreach(data, key, v)
    {
        g_autofree char *val = NULL;
        const char *opt = NULL;

        if (!strcmp(key, "addr") && json_is_object(v)) {
            const char *at = json_string_value(json_object_get(v, "type"));
            json_t *ad = json_object_get(v, "data");
            const char *k2;
            json_t *v2;
            if (at && !strcmp(at, "fd")) {
                opts_set(opts, "fd",
                         json_string_value(json_object_get(ad, "str")) ?: "");
                continue;
            }
            json_object_foreach(ad, k2, v2)
            {
                g_autofree char *s2 =
                    json_is_string(v2) ? g_strdup(json_string_value(v2))
                    : json_is_boolean(v2)
                        ? g_strdup(json_is_true(v2) ? "on" : "off")
                        : json_dumps(v2, JSON_ENCODE_ANY);
                opts_set(opts, k2, s2);
            }
            continue;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(keys) && !opt; i++) {
            opt = !strcmp(keys[i].qmp, key) ? keys[i].opt : NULL;
        }
        if (!opt) {
            error_setg(errp, "Parameter 'backend.data.%s' is unexpected", key);
            return false;
        }
        if (json_is_boolean(v)) {
            val = g_strdup(json_is_true(v) ? "on" : "off");
        } else if (json_is_string(v)) {
            val = g_strdup(json_string_value(v));
        } else {
            val = json_dumps(v, JSON_ENCODE_ANY);
        }
        opts_set(opts, opt, val);
    }
    return true;
}

static json_t *chardev_added(Chardev *chr)
{
    const char *f = chardev_filename(chr);

    if (g_str_has_prefix(f, "pty:")) {
        return json_pack("{s:s}", "pty", f + 4);
    }
    return json_object();
}

static json_t *qmp_chardev_add(json_t *args, Error **errp)
{
    const char *id = json_string_value(json_object_get(args, "id"));
    json_t *backend = json_object_get(args, "backend");
    g_autoptr(Opts) opts = opts_new();
    Chardev *chr;

    if (!json_is_object(backend)) {
        error_setg(errp, "Invalid parameter type for 'backend', expected: "
                         "object");
        return NULL;
    }
    if (chardev_find(id)) {
        error_setg(errp, "Chardev '%s' already exists", id);
        return NULL;
    }
    opts_set(opts, "id", id);
    if (!backend_to_opts(backend, opts, errp)) {
        return NULL;
    }
    chr = chardev_new_from_opts(opts, errp);
    return chr ? chardev_added(chr) : NULL;
}

static const MonitorArg chardev_add_args[] = {
    {"id", MON_ARG_STR}, {"backend", MON_ARG_JSON}, {NULL}};

static const MonitorCommand chardev_add_cmd = {
    .name = "chardev-add",
    .args = chardev_add_args,
    .handler = qmp_chardev_add,
};
MONITOR_COMMAND_REGISTER(chardev_add_cmd)

/* HMP's chardev-add takes -chardev syntax. */
static json_t *hmp_chardev_add(json_t *args, Error **errp)
{
    const char *spec = json_string_value(json_object_get(args, "args"));
    g_autoptr(Opts) opts = opts_parse(spec, "backend", NULL, errp);
    Chardev *chr;

    if (!opts) {
        return NULL;
    }
    chr = chardev_new_from_opts(opts, errp);
    return chr ? chardev_added(chr) : NULL;
}

static void hmp_chardev_add_print(GString *out, json_t *ret, json_t *args)
{
    const char *pty = json_string_value(json_object_get(ret, "pty"));

    if (pty) {
        g_string_append_printf(out, "char device redirected to %s\n", pty);
    }
}

static const MonitorArg hmp_chardev_add_args[] = {{"args", MON_ARG_REST},
                                                  {NULL}};

static const MonitorCommand hmp_chardev_add_cmd = {
    .name = "x-hmp-chardev-add",
    .hmp_name = "chardev-add",
    .args = hmp_chardev_add_args,
    .hmp_params = "args",
    .hmp_help = "add chardev",
    .hmp_only = true,
    .handler = hmp_chardev_add,
    .hmp_format = hmp_chardev_add_print,
};
MONITOR_COMMAND_REGISTER(hmp_chardev_add_cmd)

static json_t *qmp_chardev_remove(json_t *args, Error **errp)
{
    const char *id = json_string_value(json_object_get(args, "id"));

    return chardev_remove(id, errp) ? json_object() : NULL;
}

static const MonitorArg chardev_remove_args[] = {{"id", MON_ARG_STR}, {NULL}};

static const MonitorCommand chardev_remove_cmd = {
    .name = "chardev-remove",
    .hmp_name = "chardev-remove",
    .args = chardev_remove_args,
    .hmp_params = "id",
    .hmp_help = "remove chardev",
    .handler = qmp_chardev_remove,
};
MONITOR_COMMAND_REGISTER(chardev_remove_cmd)

/* ---- run control ---- */

static json_t *qmp_stop(json_t *args, Error **errp)
{
    /* From prelaunch this changes nothing, as in QEMU. */
    if (runstate_is_running()) {
        vm_stop(RUN_STATE_PAUSED);
    }
    return json_object();
}

static const MonitorCommand stop_cmd = {
    .name = "stop",
    .hmp_name = "stop|s",
    .args = no_args,
    .hmp_help = "stop emulation",
    .handler = qmp_stop,
};
MONITOR_COMMAND_REGISTER(stop_cmd)

static json_t *qmp_cont(json_t *args, Error **errp)
{
    RunState s = runstate_get();

    if (s == RUN_STATE_INTERNAL_ERROR || s == RUN_STATE_GUEST_PANICKED) {
        error_setg(errp, "Resetting the Virtual Machine is required");
        return NULL;
    }
    if (!runstate_is_running()) {
        vm_start();
    }
    return json_object();
}

static const MonitorCommand cont_cmd = {
    .name = "cont",
    .hmp_name = "cont|c",
    .args = no_args,
    .hmp_help = "resume emulation",
    .handler = qmp_cont,
};
MONITOR_COMMAND_REGISTER(cont_cmd)

static json_t *qmp_quit(json_t *args, Error **errp)
{
    monitor_quitting = true;
    qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    return json_object();
}

static const MonitorCommand quit_cmd = {
    .name = "quit",
    .hmp_name = "quit|q",
    .args = no_args,
    .hmp_help = "quit the emulator",
    .handler = qmp_quit,
};
MONITOR_COMMAND_REGISTER(quit_cmd)

static json_t *qmp_system_reset(json_t *args, Error **errp)
{
    qemu_system_reset_request(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    return json_object();
}

static const MonitorCommand system_reset_cmd = {
    .name = "system_reset",
    .hmp_name = "system_reset",
    .args = no_args,
    .hmp_help = "reset the system",
    .handler = qmp_system_reset,
};
MONITOR_COMMAND_REGISTER(system_reset_cmd)

static json_t *qmp_system_powerdown(json_t *args, Error **errp)
{
    qemu_system_powerdown_request();
    return json_object();
}

static const MonitorCommand system_powerdown_cmd = {
    .name = "system_powerdown",
    .hmp_name = "system_powerdown",
    .args = no_args,
    .hmp_help = "send system power down event",
    .handler = qmp_system_powerdown,
};
MONITOR_COMMAND_REGISTER(system_powerdown_cmd)

/* ---- human-monitor-command ---- */

static json_t *qmp_human_monitor_command(json_t *args, Error **errp)
{
    const char *line = json_string_value(json_object_get(args, "command-line"));
    g_autofree char *out = monitor_hmp_execute(line);

    return json_string(out);
}

static const MonitorArg hmc_args[] = {
    {"command-line", MON_ARG_STR}, {"cpu-index", MON_ARG_INT, true}, {NULL}};

static const MonitorCommand human_monitor_command_cmd = {
    .name = "human-monitor-command",
    .args = hmc_args,
    .handler = qmp_human_monitor_command,
};
MONITOR_COMMAND_REGISTER(human_monitor_command_cmd)

/* ---- HMP only: help, info mtree, info qtree ---- */

static json_t *hmp_help_handler(json_t *args, Error **errp)
{
    g_autoptr(GString) out = g_string_new(NULL);

    hmp_help(out, json_string_value(json_object_get(args, "name")));
    return json_string(out->str);
}

static const MonitorArg help_args[] = {{"name", MON_ARG_REST, true}, {NULL}};

static const MonitorCommand help_cmd = {
    .name = "help",
    .hmp_name = "help|?",
    .args = help_args,
    .hmp_params = "[cmd]",
    .hmp_help = "show the help",
    .hmp_only = true,
    .handler = hmp_help_handler,
    .hmp_format = hmp_print_string,
};
MONITOR_COMMAND_REGISTER(help_cmd)

static json_t *hmp_info_mtree(json_t *args, Error **errp)
{
    g_autoptr(GString) out = g_string_new(NULL);

    memory_info_mtree(out, json_is_true(json_object_get(args, "flatview")));
    return json_string(out->str);
}

static const MonitorArg mtree_args[] = {{"flatview", MON_ARG_FLAG, true, "-f"},
                                        {NULL}};

static const MonitorCommand info_mtree_cmd = {
    .name = "x-info-mtree",
    .hmp_name = "info mtree",
    .args = mtree_args,
    .hmp_params = "[-f]",
    .hmp_help = "show memory tree (-f: dump flat view for address spaces)",
    .hmp_only = true,
    .handler = hmp_info_mtree,
    .hmp_format = hmp_print_string,
};
MONITOR_COMMAND_REGISTER(info_mtree_cmd)

static json_t *hmp_info_qtree(json_t *args, Error **errp)
{
    g_autoptr(GString) out = g_string_new(NULL);

    device_info_qtree(out);
    return json_string(out->str);
}

static const MonitorCommand info_qtree_cmd = {
    .name = "x-info-qtree",
    .hmp_name = "info qtree",
    .args = no_args,
    .hmp_help = "show device tree",
    .hmp_only = true,
    .handler = hmp_info_qtree,
    .hmp_format = hmp_print_string,
};
MONITOR_COMMAND_REGISTER(info_qtree_cmd)
