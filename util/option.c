/*
 * QEMU option strings (see util/option.h).
 */
#include "util/option.h"

#include <string.h>
#include "util/cutils.h"

typedef struct OptPair {
    char *key;
    char *value;
} OptPair;

struct Opts {
    GArray *pairs; /* of OptPair */
};

Opts *opts_new(void)
{
    Opts *o = g_new0(Opts, 1);

    o->pairs = g_array_new(false, true, sizeof(OptPair));
    return o;
}

void opts_free(Opts *opts)
{
    if (!opts) {
        return;
    }
    for (guint i = 0; i < opts->pairs->len; i++) {
        OptPair *p = &g_array_index(opts->pairs, OptPair, i);
        g_free(p->key);
        g_free(p->value);
    }
    g_array_free(opts->pairs, true);
    g_free(opts);
}

static OptPair *opts_find(const Opts *opts, const char *key)
{
    for (guint i = 0; i < opts->pairs->len; i++) {
        OptPair *p = &g_array_index(opts->pairs, OptPair, i);
        if (!strcmp(p->key, key)) {
            return p;
        }
    }
    return NULL;
}

bool opt_check_value(const char *key, OptType type, const char *value,
                     Error **errp)
{
    bool b;
    uint64_t u;

    switch (type) {
    case OPT_STRING:
        return true;
    case OPT_BOOL:
        if (!parse_bool(value, &b)) {
            error_setg(errp, "Parameter '%s' expects 'on' or 'off'", key);
            return false;
        }
        return true;
    case OPT_NUMBER:
        if (!parse_uint64(value, &u)) {
            error_setg(errp, "Parameter '%s' expects a number", key);
            return false;
        }
        return true;
    case OPT_SIZE:
        if (parse_size(value, &u) < 0) {
            error_setg(errp,
                       "Parameter '%s' expects a non-negative number below "
                       "2^64 (optional suffix k, M, G, T, P or E)",
                       key);
            return false;
        }
        return true;
    }
    return false;
}

/*
 * Reads one element up to an unescaped ',' into key/value.  A '=' ends the
 * key; ",," is a literal comma in either part.  Returns the position after
 * the element's terminating ',' (or the end).
 */
static const char *parse_element(const char *p, GString *key, GString *val,
                                 bool *has_eq)
{
    GString *cur = key;

    *has_eq = false;
    while (*p) {
        if (*p == ',') {
            if (p[1] == ',') {
                g_string_append_c(cur, ',');
                p += 2;
                continue;
            }
            return p + 1;
        }
        if (*p == '=' && !*has_eq) {
            *has_eq = true;
            cur = val;
            p++;
            continue;
        }
        g_string_append_c(cur, *p++);
    }
    return p;
}

static const OptDesc *desc_find(const OptDesc *desc, const char *key)
{
    for (; desc && desc->name; desc++) {
        if (!strcmp(desc->name, key)) {
            return desc;
        }
    }
    return NULL;
}

Opts *opts_parse(const char *str, const char *implied_key, const OptDesc *desc,
                 Error **errp)
{
    g_autoptr(Opts) opts = opts_new();
    const char *p = str;
    bool first = true;

    while (*p || first) {
        g_autoptr(GString) key = g_string_new(NULL);
        g_autoptr(GString) val = g_string_new(NULL);
        const OptDesc *d;
        bool has_eq;

        p = parse_element(p, key, val, &has_eq);
        if (!has_eq) {
            if (first && implied_key) {
                g_string_assign(val, key->str);
                g_string_assign(key, implied_key);
            } else if (key->len) {
                g_string_assign(val, "on");
            }
        }
        first = false;
        if (!key->len) {
            if (!has_eq && !val->len) {
                if (!*p) {
                    break;
                }
                error_setg(errp, "Invalid parameter ''");
                return NULL;
            }
            error_setg(errp, "Invalid parameter ''");
            return NULL;
        }
        if (desc) {
            d = desc_find(desc, key->str);
            if (!d) {
                error_setg(errp, "Invalid parameter '%s'", key->str);
                return NULL;
            }
            if (!opt_check_value(key->str, d->type, val->str, errp)) {
                return NULL;
            }
        }
        if (opts_find(opts, key->str)) {
            error_setg(errp, "Parameter '%s' is set more than once", key->str);
            return NULL;
        }
        opts_set(opts, key->str, val->str);
    }
    return g_steal_pointer(&opts);
}

const char *opts_get(const Opts *opts, const char *key)
{
    OptPair *p = opts_find(opts, key);

    return p ? p->value : NULL;
}

bool opts_has(const Opts *opts, const char *key)
{
    return opts_find(opts, key) != NULL;
}

bool opts_get_bool(const Opts *opts, const char *key, bool def)
{
    const char *v = opts_get(opts, key);
    bool b;

    return v && parse_bool(v, &b) ? b : def;
}

uint64_t opts_get_number(const Opts *opts, const char *key, uint64_t def)
{
    const char *v = opts_get(opts, key);
    uint64_t u;

    return v && parse_uint64(v, &u) ? u : def;
}

uint64_t opts_get_size(const Opts *opts, const char *key, uint64_t def)
{
    const char *v = opts_get(opts, key);
    uint64_t u;

    return v && parse_size(v, &u) == 0 ? u : def;
}

void opts_set(Opts *opts, const char *key, const char *value)
{
    OptPair *p = opts_find(opts, key);
    OptPair np;

    if (p) {
        g_free(p->value);
        p->value = g_strdup(value);
        return;
    }
    np.key = g_strdup(key);
    np.value = g_strdup(value);
    g_array_append_val(opts->pairs, np);
}

bool opts_del(Opts *opts, const char *key)
{
    for (guint i = 0; i < opts->pairs->len; i++) {
        OptPair *p = &g_array_index(opts->pairs, OptPair, i);
        if (!strcmp(p->key, key)) {
            g_free(p->key);
            g_free(p->value);
            g_array_remove_index(opts->pairs, i);
            return true;
        }
    }
    return false;
}

unsigned opts_count(const Opts *opts)
{
    return opts->pairs->len;
}

const char *opts_key_at(const Opts *opts, unsigned i)
{
    return g_array_index(opts->pairs, OptPair, i).key;
}

const char *opts_value_at(const Opts *opts, unsigned i)
{
    return g_array_index(opts->pairs, OptPair, i).value;
}

static void append_escaped(GString *s, const char *v)
{
    for (; *v; v++) {
        g_string_append_c(s, *v);
        if (*v == ',') {
            g_string_append_c(s, ',');
        }
    }
}

char *opts_to_string(const Opts *opts)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < opts->pairs->len; i++) {
        OptPair *p = &g_array_index(opts->pairs, OptPair, i);
        if (i) {
            g_string_append_c(s, ',');
        }
        append_escaped(s, p->key);
        g_string_append_c(s, '=');
        append_escaped(s, p->value);
    }
    return g_string_free(s, false);
}
