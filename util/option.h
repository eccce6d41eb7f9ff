/*
 * QEMU option strings: "key=val,key=val".
 *
 *   - the first element may omit its key: "-chardev socket,id=c0" means
 *     backend=socket when the implied key is "backend";
 *   - ",," inside a value stands for one ',';
 *   - a bare "key" later in the string means key=on;
 *   - a key given twice is an error, and so is a key the table does not
 *     list (unless the table is NULL: any key, checked by the consumer).
 *
 * Typed keys are checked while parsing, so the typed getters cannot fail:
 *
 *     static const OptDesc smp_desc[] = {
 *         { "cpus", OPT_NUMBER, "number of CPUs" },
 *         { "sockets", OPT_NUMBER },
 *         { NULL }
 *     };
 *     Opts *o = opts_parse("4,sockets=1", "cpus", smp_desc, errp);
 *     uint64_t n = opts_get_number(o, "cpus", 1);
 */
#ifndef UTIL_OPTION_H
#define UTIL_OPTION_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "util/error.h"

typedef enum OptType {
    OPT_STRING,
    OPT_BOOL,   /* on/off, yes/no, true/false */
    OPT_NUMBER, /* unsigned, decimal or 0x hex */
    OPT_SIZE,   /* bytes with optional k/M/G/T/P/E suffix */
} OptType;

typedef struct OptDesc {
    const char *name;
    OptType type;
    const char *help;
} OptDesc;

typedef struct Opts Opts;

/*
 * Parses str.  implied_key may be NULL (every element needs a key).  desc
 * is a table ending with { NULL }, or NULL to accept any key.
 * Returns NULL and sets errp with "Parameter 'k' ..." style messages.
 */
Opts *opts_parse(const char *str, const char *implied_key, const OptDesc *desc,
                 Error **errp);
Opts *opts_new(void);
void opts_free(Opts *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Opts, opts_free)

/* Value of key, or NULL when absent. */
const char *opts_get(const Opts *opts, const char *key);
bool opts_has(const Opts *opts, const char *key);
/* Typed getters: def when absent.  For keys the table typed. */
bool opts_get_bool(const Opts *opts, const char *key, bool def);
uint64_t opts_get_number(const Opts *opts, const char *key, uint64_t def);
uint64_t opts_get_size(const Opts *opts, const char *key, uint64_t def);
/* Sets or replaces key. */
void opts_set(Opts *opts, const char *key, const char *value);
/* Removes key; returns whether it was there. */
bool opts_del(Opts *opts, const char *key);

/* Number of pairs and access in the order given. */
unsigned opts_count(const Opts *opts);
const char *opts_key_at(const Opts *opts, unsigned i);
const char *opts_value_at(const Opts *opts, unsigned i);

/* Back to "key=val,..." with ',' doubled. */
char *opts_to_string(const Opts *opts);

/* "Parameter 'x' expects ..." checks usable on untyped values too. */
bool opt_check_value(const char *key, OptType type, const char *value,
                     Error **errp);

#endif
