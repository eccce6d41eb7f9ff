/*
 * HMP front end: the human monitor on a chardev, with a small line editor.
 *
 * On connect it prints "QEMU 7.2.0 monitor - type 'help' for more
 * information" and the "(qemu) " prompt.  Editing keys (readline's):
 * Left/Right, Home/End (also Ctrl-a/Ctrl-e when not behind a mux, where
 * Ctrl-a is the escape), Backspace, Delete/Ctrl-d, Ctrl-k, Ctrl-u, Ctrl-w,
 * Up/Down through the history, Tab completes command names.  Output turns
 * "\n" into "\r\n" as QEMU's monitor does.  Behind a mux, output made
 * while another front end has the focus is held and shown on Ctrl-a c.
 */
#include "monitor/monitor-internal.h"

#include <string.h>
#include "chardev/char.h"

#define HMP_LINE_MAX 4096
#define HMP_HISTORY  64
#define HMP_PROMPT   "(qemu) "

typedef enum { ESC_NONE, ESC_ESC, ESC_CSI, ESC_SS3 } EscState;

typedef struct MonitorHMP {
    CharFrontend fe;
    MonitorOutput out;
    bool use_readline;
    bool opened;   /* banner printed */
    bool mux_out;  /* another mux front end has the focus */
    GString *held; /* output while mux_out */
    /* Line editor. */
    char line[HMP_LINE_MAX];
    int len, pos;
    EscState esc;
    int esc_param;
    bool last_cr;
    char *history[HMP_HISTORY];
    int hist_len, hist_pos;
    /* One command per main loop iteration (see qmp.c). */
    GByteArray *pending;
    guint resume_idle;
    bool executed;
} MonitorHMP;

static GPtrArray *hmp_monitors; /* of MonitorHMP *, for the process life */

static void hmp_write(MonitorHMP *mon, const char *s)
{
    g_autofree char *crlf = monitor_crlf(s);

    if (mon->mux_out) {
        g_string_append(mon->held, crlf);
        return;
    }
    monitor_output_write(&mon->out, crlf, strlen(crlf));
}

static void hmp_printf(MonitorHMP *mon, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
static void hmp_printf(MonitorHMP *mon, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *s = NULL;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    hmp_write(mon, s);
}

/* Prompt and the line so far, cursor at pos. */
static void hmp_redraw(MonitorHMP *mon)
{
    GString *s;

    if (!mon->use_readline) {
        return; /* no echo: the peer shows its own line */
    }
    s = g_string_new("\r" HMP_PROMPT);
    g_string_append_len(s, mon->line, mon->len);
    g_string_append(s, "\033[K");
    if (mon->len > mon->pos) {
        g_string_append_printf(s, "\033[%dD", mon->len - mon->pos);
    }
    hmp_write(mon, s->str);
    g_string_free(s, true);
}

static void hmp_show_prompt(MonitorHMP *mon)
{
    if (mon->mux_out || monitor_quitting) {
        return;
    }
    hmp_write(mon, HMP_PROMPT);
    if (mon->len) {
        hmp_redraw(mon);
    }
}

static void hmp_history_add(MonitorHMP *mon, const char *line)
{
    if (!*line ||
        (mon->hist_len && !strcmp(mon->history[mon->hist_len - 1], line))) {
        return;
    }
    if (mon->hist_len == HMP_HISTORY) {
        g_free(mon->history[0]);
        memmove(mon->history, mon->history + 1,
                (HMP_HISTORY - 1) * sizeof(char *));
        mon->hist_len--;
    }
    mon->history[mon->hist_len++] = g_strdup(line);
}

static void hmp_set_line(MonitorHMP *mon, const char *s)
{
    mon->len = MIN(strlen(s), (size_t)HMP_LINE_MAX - 1);
    memcpy(mon->line, s, mon->len);
    mon->pos = mon->len;
    hmp_redraw(mon);
}

static void hmp_execute_line(MonitorHMP *mon)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *cmd = g_strndup(mon->line, mon->len);

    mon->len = mon->pos = 0;
    if (mon->use_readline) {
        hmp_write(mon, "\n");
    }
    hmp_history_add(mon, cmd);
    mon->hist_pos = mon->hist_len;
    hmp_run(out, cmd);
    hmp_write(mon, out->str);
    hmp_show_prompt(mon);
    mon->executed = true;
}

static void hmp_insert(MonitorHMP *mon, const char *s, int n)
{
    n = MIN(n, HMP_LINE_MAX - 1 - mon->len);
    if (n <= 0) {
        return;
    }
    memmove(mon->line + mon->pos + n, mon->line + mon->pos,
            mon->len - mon->pos);
    memcpy(mon->line + mon->pos, s, n);
    mon->len += n;
    mon->pos += n;
    if (mon->pos == mon->len && mon->use_readline) {
        g_autofree char *echo = g_strndup(s, n);
        hmp_write(mon, echo);
    } else if (mon->use_readline) {
        hmp_redraw(mon);
    }
}

static void hmp_delete(MonitorHMP *mon, int from, int to)
{
    if (from < 0 || to > mon->len || from >= to) {
        return;
    }
    memmove(mon->line + from, mon->line + to, mon->len - to);
    mon->len -= to - from;
    mon->pos = from;
    hmp_redraw(mon);
}

static void hmp_complete_line(MonitorHMP *mon)
{
    g_autofree char *head = g_strndup(mon->line, mon->pos);
    g_autoptr(GPtrArray) m = hmp_complete(head);
    const char *word = strrchr(head, ' ');
    size_t typed = strlen(word ? word + 1 : head);
    size_t common;

    if (!m->len) {
        return;
    }
    common = strlen(g_ptr_array_index(m, 0));
    for (guint i = 1; i < m->len; i++) {
        const char *a = g_ptr_array_index(m, 0), *b = g_ptr_array_index(m, i);
        size_t k = 0;
        while (k < common && a[k] == b[k]) {
            k++;
        }
        common = k;
    }
    if (m->len > 1 && common == typed) {
        hmp_write(mon, "\n");
        for (guint i = 0; i < m->len; i++) {
            hmp_printf(mon, "%s\n", (char *)g_ptr_array_index(m, i));
        }
        hmp_show_prompt(mon);
        return;
    }
    hmp_insert(mon, (char *)g_ptr_array_index(m, 0) + typed, common - typed);
    if (m->len == 1) {
        hmp_insert(mon, " ", 1);
    }
}

static void hmp_key_csi(MonitorHMP *mon, uint8_t c)
{
    switch (c) {
    case 'A': /* up */
        if (mon->hist_pos > 0) {
            hmp_set_line(mon, mon->history[--mon->hist_pos]);
        }
        break;
    case 'B': /* down */
        if (mon->hist_pos < mon->hist_len - 1) {
            hmp_set_line(mon, mon->history[++mon->hist_pos]);
        } else if (mon->hist_pos < mon->hist_len) {
            mon->hist_pos = mon->hist_len;
            hmp_set_line(mon, "");
        }
        break;
    case 'C': /* right */
        if (mon->pos < mon->len) {
            mon->pos++;
            hmp_redraw(mon);
        }
        break;
    case 'D': /* left */
        if (mon->pos > 0) {
            mon->pos--;
            hmp_redraw(mon);
        }
        break;
    case 'H':
        mon->pos = 0;
        hmp_redraw(mon);
        break;
    case 'F':
        mon->pos = mon->len;
        hmp_redraw(mon);
        break;
    case '~':
        if (mon->esc_param == 1 || mon->esc_param == 7) {
            mon->pos = 0;
            hmp_redraw(mon);
        } else if (mon->esc_param == 4 || mon->esc_param == 8) {
            mon->pos = mon->len;
            hmp_redraw(mon);
        } else if (mon->esc_param == 3) {
            hmp_delete(mon, mon->pos, mon->pos + 1);
        }
        break;
    default:
        break;
    }
}

static void hmp_key(MonitorHMP *mon, uint8_t c)
{
    bool after_cr = mon->last_cr;

    mon->last_cr = c == '\r';
    switch (mon->esc) {
    case ESC_ESC:
        mon->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
        mon->esc_param = 0;
        return;
    case ESC_CSI:
        if (g_ascii_isdigit(c)) {
            mon->esc_param = mon->esc_param * 10 + (c - '0');
            return;
        }
        if (c == ';') {
            return;
        }
        mon->esc = ESC_NONE;
        hmp_key_csi(mon, c);
        return;
    case ESC_SS3:
        mon->esc = ESC_NONE;
        hmp_key_csi(mon, c);
        return;
    case ESC_NONE:
        break;
    }
    switch (c) {
    case '\r':
        hmp_execute_line(mon);
        break;
    case '\n':
        if (!after_cr) {
            hmp_execute_line(mon);
        }
        break;
    case 27:
        mon->esc = ESC_ESC;
        break;
    case 1: /* Ctrl-a */
        mon->pos = 0;
        hmp_redraw(mon);
        break;
    case 5: /* Ctrl-e */
        mon->pos = mon->len;
        hmp_redraw(mon);
        break;
    case 4: /* Ctrl-d */
        hmp_delete(mon, mon->pos, mon->pos + 1);
        break;
    case 8:
    case 127:
        hmp_delete(mon, mon->pos - 1, mon->pos);
        break;
    case 9:
        hmp_complete_line(mon);
        break;
    case 11: /* Ctrl-k */
        hmp_delete(mon, mon->pos, mon->len);
        break;
    case 21: /* Ctrl-u */
        hmp_delete(mon, 0, mon->pos);
        break;
    case 23: { /* Ctrl-w */
        int p = mon->pos;
        while (p > 0 && mon->line[p - 1] == ' ') {
            p--;
        }
        while (p > 0 && mon->line[p - 1] != ' ') {
            p--;
        }
        hmp_delete(mon, p, mon->pos);
        break;
    }
    default:
        if (c >= 32) {
            hmp_insert(mon, (const char *)&c, 1);
        }
        break;
    }
}

static gboolean hmp_resume(gpointer opaque);

static void hmp_consume(MonitorHMP *mon, const uint8_t *buf, int len)
{
    if (monitor_quitting) {
        return; /* the process is on its way out: take no more commands */
    }
    for (int i = 0; i < len; i++) {
        hmp_key(mon, buf[i]);
        if (mon->executed) {
            mon->executed = false;
            /*
             * Take nothing more until the main loop went round once (also
             * behind a mux, which hands bytes over one at a time).
             */
            g_byte_array_append(mon->pending, buf + i + 1, len - i - 1);
            if (!mon->resume_idle) {
                mon->resume_idle = g_idle_add(hmp_resume, mon);
            }
            return;
        }
    }
}

static gboolean hmp_resume(gpointer opaque)
{
    MonitorHMP *mon = opaque;
    GByteArray *todo = mon->pending;

    mon->resume_idle = 0;
    mon->pending = g_byte_array_new();
    hmp_consume(mon, todo->data, todo->len);
    g_byte_array_unref(todo);
    if (!mon->resume_idle) {
        chr_fe_accept_input(&mon->fe);
    }
    return G_SOURCE_REMOVE;
}

static int hmp_can_receive(void *opaque)
{
    MonitorHMP *mon = opaque;

    return mon->resume_idle || monitor_output_full(&mon->out) ? 0
                                                              : HMP_LINE_MAX;
}

static void hmp_receive(void *opaque, const uint8_t *buf, int len)
{
    hmp_consume(opaque, buf, len);
}

static void hmp_event(void *opaque, ChardevEvent event)
{
    MonitorHMP *mon = opaque;
    int major, minor, micro;

    switch (event) {
    case CHR_EVENT_OPENED:
        monitor_output_reset(&mon->out); /* left over from a previous peer */
        monitor_qemu_version(&major, &minor, &micro);
        mon->len = mon->pos = 0;
        mon->esc = ESC_NONE;
        hmp_printf(mon,
                   "QEMU %d.%d.%d monitor - type 'help' for more "
                   "information\n",
                   major, minor, micro);
        hmp_show_prompt(mon);
        mon->opened = true;
        break;
    case CHR_EVENT_MUX_IN:
        mon->mux_out = false;
        if (mon->held->len) {
            monitor_output_write(&mon->out, mon->held->str, mon->held->len);
            g_string_truncate(mon->held, 0);
        }
        if (mon->opened) {
            hmp_show_prompt(mon);
        }
        break;
    case CHR_EVENT_MUX_OUT:
        if (mon->opened && !mon->mux_out) {
            hmp_write(mon, "\n");
        }
        mon->mux_out = true;
        break;
    case CHR_EVENT_CLOSED:
        monitor_output_reset(&mon->out);
        mon->len = mon->pos = 0;
        g_byte_array_set_size(mon->pending, 0);
        break;
    case CHR_EVENT_BREAK:
        break;
    }
}

bool monitor_init_hmp(Chardev *chr, bool use_readline, Error **errp)
{
    MonitorHMP *mon = g_new0(MonitorHMP, 1);

    if (!chr_fe_init(&mon->fe, chr, errp)) {
        g_free(mon);
        return false;
    }
    mon->use_readline = use_readline;
    mon->held = g_string_new(NULL);
    monitor_output_init(&mon->out, &mon->fe);
    mon->pending = g_byte_array_new();
    if (!hmp_monitors) {
        hmp_monitors = g_ptr_array_new();
    }
    g_ptr_array_add(hmp_monitors, mon);
    chr_fe_set_handlers(&mon->fe, hmp_can_receive, hmp_receive, hmp_event, mon);
    return true;
}
