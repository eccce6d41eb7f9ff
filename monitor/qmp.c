/*
 * QMP front end: QEMU's JSON wire protocol on a chardev
 * (docs/interop/qmp-spec).
 *
 * On connect the server sends the greeting
 *     {"QMP": {"version": {...}, "capabilities": ["oob"]}}
 * and accepts only qmp_capabilities until negotiation is done.  Input is a
 * stream of JSON texts, split here by bracket depth (JsonSplitter) and
 * parsed with jansson; every request gets exactly one reply, and bad input
 * (malformed JSON, a non-object, a bad member) gets an error reply while
 * the session goes on.  Events go to every negotiated QMP monitor; they
 * may be raised from any thread (queued, then sent by the main loop).
 */
#include "monitor/monitor-internal.h"

#include <string.h>
#include <sys/time.h>
#include "chardev/char.h"

#define JSON_MAX_DEPTH 1024
#define JSON_MAX_SIZE  (64 * 1024 * 1024)

/* Splits a byte stream into top-level JSON texts. */
typedef struct JsonSplitter {
    GString *buf;
    int depth;
    bool in_string, escape, in_scalar;
    bool recovering; /* after a lexical error: skip to the next newline */
} JsonSplitter;

typedef struct MonitorQMP {
    CharFrontend fe;
    MonitorOutput out;
    bool pretty;
    bool negotiated;
    bool oob; /* the client enabled the "oob" capability */
    JsonSplitter js;
    /*
     * One request per main loop iteration, as QEMU: input after a request
     * waits here so that the main loop acts on what the request asked
     * (a reset, a quit) before the next one runs.
     */
    GByteArray *pending;
    guint resume_idle;
    bool dispatched;
} MonitorQMP;

static GPtrArray *qmp_monitors; /* of MonitorQMP * */

/* Events raised off the main thread wait here. */
static GMutex event_lock;
static GQueue event_queue = G_QUEUE_INIT; /* of json_t * */
static guint event_idle;
static GThread *main_thread;

static void __attribute__((constructor)) qmp_record_main_thread(void)
{
    main_thread = g_thread_self();
}

/* ---- output ---- */

static void qmp_send(MonitorQMP *mon, json_t *msg)
{
    size_t flags = JSON_PRESERVE_ORDER;
    g_autofree char *s = NULL;

    flags |= mon->pretty ? JSON_INDENT(4) : 0;
    s = json_dumps(msg, flags);
    if (!s) {
        return;
    }
    monitor_output_write(&mon->out, s, strlen(s));
    monitor_output_write(&mon->out, "\n", 1);
    if (monitor_quitting) {
        monitor_output_drain(&mon->out); /* the process exits next */
    }
}

static void qmp_send_error(MonitorQMP *mon, ErrorClass cls, const char *desc,
                           json_t *id)
{
    json_t *msg = json_pack("{s:{s:s, s:s}}", "error", "class",
                            error_class_name(cls), "desc", desc);

    if (id) {
        json_object_set(msg, "id", id);
    }
    qmp_send(mon, msg);
    json_decref(msg);
}

static void qmp_send_greeting(MonitorQMP *mon)
{
    int major, minor, micro;
    json_t *msg;

    monitor_qemu_version(&major, &minor, &micro);
    msg = json_pack("{s:{s:{s:{s:i, s:i, s:i}, s:s}, s:[s]}}", "QMP", "version",
                    "qemu", "micro", micro, "minor", minor, "major", major,
                    "package", monitor_package(), "capabilities", "oob");
    qmp_send(mon, msg);
    json_decref(msg);
}

/* ---- events ---- */

static void qmp_broadcast(json_t *ev)
{
    for (guint i = 0; qmp_monitors && i < qmp_monitors->len; i++) {
        MonitorQMP *mon = g_ptr_array_index(qmp_monitors, i);
        if (mon->negotiated) {
            qmp_send(mon, ev);
        }
    }
}

static void qmp_flush_events(void)
{
    for (;;) {
        json_t *ev;
        g_mutex_lock(&event_lock);
        ev = g_queue_pop_head(&event_queue);
        g_mutex_unlock(&event_lock);
        if (!ev) {
            return;
        }
        qmp_broadcast(ev);
        json_decref(ev);
    }
}

static gboolean qmp_event_idle(gpointer opaque)
{
    g_mutex_lock(&event_lock);
    event_idle = 0;
    g_mutex_unlock(&event_lock);
    qmp_flush_events();
    return G_SOURCE_REMOVE;
}

void qmp_event_send(const char *name, json_t *data)
{
    gint64 now = g_get_real_time();
    json_t *ev = json_pack("{s:{s:I, s:I}, s:s}", "timestamp", "seconds",
                           (json_int_t)(now / G_USEC_PER_SEC), "microseconds",
                           (json_int_t)(now % G_USEC_PER_SEC), "event", name);

    if (data) {
        json_object_set_new(ev, "data", data);
    }
    g_mutex_lock(&event_lock);
    g_queue_push_tail(&event_queue, ev);
    if (g_thread_self() != main_thread) {
        if (!event_idle) {
            event_idle =
                g_idle_add_full(G_PRIORITY_HIGH, qmp_event_idle, NULL, NULL);
        }
        g_mutex_unlock(&event_lock);
        return;
    }
    g_mutex_unlock(&event_lock);
    /* Main thread: in order with the reply of the command that caused it. */
    qmp_flush_events();
}

/* ---- dispatch ---- */

static json_t *qmp_capabilities(MonitorQMP *mon, json_t *args, Error **errp)
{
    json_t *enable = args ? json_object_get(args, "enable") : NULL;
    const char *key;
    json_t *v;
    size_t i;

    json_object_foreach(args, key, v)
    {
        if (strcmp(key, "enable")) {
            error_setg(errp, "Parameter '%s' is unexpected", key);
            return NULL;
        }
    }
    if (enable && !json_is_array(enable)) {
        error_setg(errp, "Invalid parameter type for 'enable', expected: "
                         "array");
        return NULL;
    }
    json_array_foreach(enable, i, v)
    {
        if (!json_is_string(v)) {
            error_setg(errp,
                       "Invalid parameter type for 'enable[%zu]', "
                       "expected: string",
                       i);
            return NULL;
        }
        if (strcmp(json_string_value(v), "oob")) {
            error_setg(errp, "Parameter 'enable' does not accept value '%s'",
                       json_string_value(v));
            return NULL;
        }
    }
    mon->oob = json_array_size(enable) > 0;
    mon->negotiated = true;
    return json_object();
}

static void qmp_dispatch(MonitorQMP *mon, json_t *req)
{
    const MonitorCommand *cmd;
    const char *key, *name;
    json_t *v, *exec, *oob, *args, *id, *ret;
    Error *err = NULL;

    if (!json_is_object(req)) {
        qmp_send_error(mon, ERROR_CLASS_GENERIC_ERROR,
                       "QMP input must be a JSON object", NULL);
        return;
    }
    id = json_object_get(req, "id");
    json_object_foreach(req, key, v)
    {
        if (strcmp(key, "execute") && strcmp(key, "exec-oob") &&
            strcmp(key, "arguments") && strcmp(key, "id") &&
            strcmp(key, "control")) {
            g_autofree char *msg =
                g_strdup_printf("QMP input member '%s' is unexpected", key);
            qmp_send_error(mon, ERROR_CLASS_GENERIC_ERROR, msg, id);
            return;
        }
    }
    exec = json_object_get(req, "execute");
    oob = json_object_get(req, "exec-oob");
    if (exec && oob) {
        qmp_send_error(mon, ERROR_CLASS_GENERIC_ERROR,
                       "QMP input must not contain both 'execute' and "
                       "'exec-oob'",
                       id);
        return;
    }
    if (!exec && !oob) {
        qmp_send_error(mon, ERROR_CLASS_GENERIC_ERROR,
                       "QMP input lacks member 'execute'", id);
        return;
    }
    if (!json_is_string(exec ? exec : oob)) {
        qmp_send_error(mon, ERROR_CLASS_GENERIC_ERROR,
                       exec ? "QMP input member 'execute' must be a string"
                            : "QMP input member 'exec-oob' must be a string",
                       id);
        return;
    }
    name = json_string_value(exec ? exec : oob);
    if (oob) {
        /*
         * Every command here runs to completion on the main loop, so none
         * is out-of-band capable; QEMU answers the same for such commands.
         */
        g_autofree char *msg =
            mon->oob
                ? g_strdup_printf("The command %s does not support OOB", name)
                : g_strdup("QMP input member 'exec-oob' is unexpected");
        qmp_send_error(mon, ERROR_CLASS_GENERIC_ERROR, msg, id);
        return;
    }
    args = json_object_get(req, "arguments");
    if (args && !json_is_object(args)) {
        qmp_send_error(mon, ERROR_CLASS_GENERIC_ERROR,
                       "QMP input member 'arguments' must be an object", id);
        return;
    }
    if (!strcmp(name, "qmp_capabilities")) {
        if (mon->negotiated) {
            qmp_send_error(mon, ERROR_CLASS_COMMAND_NOT_FOUND,
                           "Capabilities negotiation is already complete, "
                           "command ignored",
                           id);
            return;
        }
        ret = qmp_capabilities(mon, args, &err);
    } else if (!mon->negotiated) {
        qmp_send_error(mon, ERROR_CLASS_COMMAND_NOT_FOUND,
                       "Expecting capabilities negotiation with "
                       "'qmp_capabilities'",
                       id);
        return;
    } else {
        cmd = monitor_command_find_qmp(name);
        if (!cmd) {
            g_autofree char *msg =
                g_strdup_printf("The command %s has not been found", name);
            qmp_send_error(mon, ERROR_CLASS_COMMAND_NOT_FOUND, msg, id);
            return;
        }
        g_autoptr(json_t) none = json_object();
        ret = monitor_check_args(cmd, args, &err)
                  ? cmd->handler(args ? args : none, &err)
                  : NULL;
    }
    if (!ret) {
        qmp_send_error(mon,
                       err ? error_get_class(err) : ERROR_CLASS_GENERIC_ERROR,
                       err ? error_get_pretty(err) : "command failed", id);
        error_free(err);
        return;
    }
    v = json_pack("{s:o}", "return", ret);
    if (id) {
        json_object_set(v, "id", id);
    }
    qmp_send(mon, v);
    json_decref(v);
}

/* ---- input splitting ---- */

static void js_reset(JsonSplitter *js)
{
    g_string_truncate(js->buf, 0);
    js->depth = 0;
    js->in_string = js->escape = js->in_scalar = false;
    js->recovering = false;
}

static void qmp_parse_error(MonitorQMP *mon, const char *what)
{
    g_autofree char *msg = g_strdup_printf("JSON parse error, %s", what);

    js_reset(&mon->js);
    mon->js.recovering = true;
    qmp_send_error(mon, ERROR_CLASS_GENERIC_ERROR, msg, NULL);
}

/* One complete JSON text is in js->buf. */
static void qmp_handle_text(MonitorQMP *mon)
{
    JsonSplitter *js = &mon->js;
    json_error_t jerr;
    json_t *req =
        json_loadb(js->buf->str, js->buf->len, JSON_DECODE_ANY, &jerr);

    js_reset(js);
    if (!req) {
        qmp_parse_error(mon, jerr.text);
        js->recovering = false; /* the bad text is consumed already */
        return;
    }
    qmp_dispatch(mon, req);
    json_decref(req);
    mon->dispatched = true;
}

static bool is_scalar_char(uint8_t c)
{
    return g_ascii_isalnum(c) || c == '.' || c == '+' || c == '-';
}

static void qmp_feed_byte(MonitorQMP *mon, uint8_t c)
{
    JsonSplitter *js = &mon->js;

    if (c == 0xff) {
        js_reset(js); /* QEMU's way for a client to reset the parser */
        return;
    }
    if (js->recovering) {
        js->recovering = c != '\n';
        return;
    }
    if (js->buf->len >= JSON_MAX_SIZE) {
        qmp_parse_error(mon, "input too large");
        return;
    }
    if (js->in_string) {
        if (c < 0x20 && !js->escape) {
            g_autofree char *msg = NULL;
            g_string_append_c(js->buf, c);
            msg =
                g_strdup_printf("stray '%s'", strrchr(js->buf->str, '"') ?: "");
            qmp_parse_error(mon, msg);
            return;
        }
        g_string_append_c(js->buf, c);
        if (js->escape) {
            js->escape = false;
        } else if (c == '\\') {
            js->escape = true;
        } else if (c == '"') {
            js->in_string = false;
            if (js->depth == 0) {
                qmp_handle_text(mon);
            }
        }
        return;
    }
    if (js->in_scalar) {
        if (is_scalar_char(c)) {
            g_string_append_c(js->buf, c);
            return;
        }
        js->in_scalar = false;
        qmp_handle_text(mon);
    }
    switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
        if (js->depth) {
            g_string_append_c(js->buf, c);
        }
        return;
    case '"':
        js->in_string = true;
        break;
    case '{':
    case '[':
        if (++js->depth > JSON_MAX_DEPTH) {
            qmp_parse_error(mon, "nesting too deep");
            return;
        }
        break;
    case '}':
    case ']':
        if (!js->depth) {
            g_autofree char *msg = g_strdup_printf("stray '%c'", c);
            qmp_parse_error(mon, msg);
            return;
        }
        g_string_append_c(js->buf, c);
        if (--js->depth == 0) {
            qmp_handle_text(mon);
        }
        return;
    default:
        if (!js->depth) {
            if (!is_scalar_char(c)) {
                g_autofree char *msg = g_strdup_printf(
                    g_ascii_isprint(c) ? "stray '%c'" : "stray '\\x%02x'", c);
                qmp_parse_error(mon, msg);
                return;
            }
            js->in_scalar = true;
        }
        break;
    }
    g_string_append_c(js->buf, c);
}

static void qmp_feed(MonitorQMP *mon, uint8_t c)
{
    qmp_feed_byte(mon, c);
    if (c == '\n') {
        mon->js.recovering = false; /* an error at the newline ends there */
    }
}

/* ---- chardev front end ---- */

static gboolean qmp_resume(gpointer opaque);

static void qmp_consume(MonitorQMP *mon, const uint8_t *buf, int len)
{
    if (monitor_quitting) {
        return; /* the process is on its way out: take no more commands */
    }
    for (int i = 0; i < len; i++) {
        qmp_feed(mon, buf[i]);
        if (mon->dispatched) {
            mon->dispatched = false;
            /*
             * Take nothing more until the main loop went round once (also
             * behind a mux, which hands bytes over one at a time).
             */
            g_byte_array_append(mon->pending, buf + i + 1, len - i - 1);
            if (!mon->resume_idle) {
                mon->resume_idle = g_idle_add(qmp_resume, mon);
            }
            return;
        }
    }
}

static gboolean qmp_resume(gpointer opaque)
{
    MonitorQMP *mon = opaque;
    GByteArray *todo = mon->pending;

    mon->resume_idle = 0;
    mon->pending = g_byte_array_new();
    qmp_consume(mon, todo->data, todo->len);
    g_byte_array_unref(todo);
    if (!mon->resume_idle) {
        chr_fe_accept_input(&mon->fe);
    }
    return G_SOURCE_REMOVE;
}

static int qmp_can_receive(void *opaque)
{
    MonitorQMP *mon = opaque;

    return mon->resume_idle || monitor_output_full(&mon->out) ? 0 : 4096;
}

static void qmp_receive(void *opaque, const uint8_t *buf, int len)
{
    qmp_consume(opaque, buf, len);
}

static void qmp_event(void *opaque, ChardevEvent event)
{
    MonitorQMP *mon = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        monitor_output_reset(&mon->out);
        mon->negotiated = mon->oob = false;
        js_reset(&mon->js);
        qmp_send_greeting(mon);
        break;
    case CHR_EVENT_CLOSED:
        monitor_output_reset(&mon->out);
        mon->negotiated = false;
        js_reset(&mon->js);
        g_byte_array_set_size(mon->pending, 0);
        break;
    default:
        break;
    }
}

bool monitor_init_qmp(Chardev *chr, bool pretty, Error **errp)
{
    MonitorQMP *mon = g_new0(MonitorQMP, 1);

    if (!chr_fe_init(&mon->fe, chr, errp)) {
        g_free(mon);
        return false;
    }
    mon->pretty = pretty;
    monitor_output_init(&mon->out, &mon->fe);
    mon->js.buf = g_string_new(NULL);
    mon->pending = g_byte_array_new();
    if (!qmp_monitors) {
        qmp_monitors = g_ptr_array_new();
    }
    g_ptr_array_add(qmp_monitors, mon);
    chr_fe_set_handlers(&mon->fe, qmp_can_receive, qmp_receive, qmp_event, mon);
    return true;
}
