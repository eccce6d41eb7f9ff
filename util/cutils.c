/*
 * Small string-to-value parsers (see util/cutils.h).
 */
#include "util/cutils.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t suffix_mult(char c)
{
    switch (c) {
    case 'B':
    case 'b':
        return 1;
    case 'K':
    case 'k':
        return KiB;
    case 'M':
    case 'm':
        return MiB;
    case 'G':
    case 'g':
        return GiB;
    case 'T':
    case 't':
        return TiB;
    case 'P':
    case 'p':
        return TiB * 1024;
    case 'E':
    case 'e':
        return TiB * 1024 * 1024;
    default:
        return 0;
    }
}

int parse_size_unit(const char *s, uint64_t default_unit, uint64_t *value)
{
    const char *p = s;
    char *end;
    uint64_t whole, mult;
    double frac = 0;

    if (!s || !*s || *s == '-' || g_ascii_isspace(*s)) {
        return -EINVAL;
    }
    errno = 0;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        whole = strtoull(p, &end, 16);
        if (end == p + 2) {
            return -EINVAL;
        }
    } else {
        if (!g_ascii_isdigit(*p) && *p != '.') {
            return -EINVAL;
        }
        whole = strtoull(p, &end, 10);
        if (*end == '.') {
            char *fend;
            frac = strtod(end, &fend);
            if (fend == end + 1 && end == p) {
                return -EINVAL;
            }
            end = fend;
        }
    }
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (*end) {
        mult = suffix_mult(*end);
        if (!mult || end[1]) {
            return -EINVAL;
        }
    } else {
        mult = default_unit;
    }
    if (whole > UINT64_MAX / mult) {
        return -ERANGE;
    }
    whole *= mult;
    if (frac != 0) {
        double extra = floor(frac * (double)mult);
        if ((double)(UINT64_MAX - whole) < extra) {
            return -ERANGE;
        }
        whole += (uint64_t)extra;
    }
    *value = whole;
    return 0;
}

bool parse_uint64(const char *s, uint64_t *value)
{
    char *end;

    if (!s || !*s || *s == '-' || g_ascii_isspace(*s)) {
        return false;
    }
    errno = 0;
    *value = strtoull(s, &end, 0);
    return errno == 0 && *end == '\0';
}

bool parse_int64(const char *s, int64_t *value)
{
    char *end;

    if (!s || !*s || g_ascii_isspace(*s)) {
        return false;
    }
    errno = 0;
    *value = strtoll(s, &end, 0);
    return errno == 0 && *end == '\0';
}

bool parse_bool(const char *s, bool *value)
{
    static const char *const yes[] = {"on", "yes", "true", "y"};
    static const char *const no[] = {"off", "no", "false", "n"};

    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (!strcmp(s, yes[i])) {
            *value = true;
            return true;
        }
        if (!strcmp(s, no[i])) {
            *value = false;
            return true;
        }
    }
    return false;
}

char *size_to_str(uint64_t size)
{
    static const char *const units[] = {"B",   "KiB", "MiB", "GiB",
                                        "TiB", "PiB", "EiB"};
    int i = 0;
    double v = (double)size;

    while (v >= 1024 && i < 6) {
        v /= 1024;
        i++;
    }
    if (i == 0) {
        return g_strdup_printf("%" G_GUINT64_FORMAT " %s", size, units[0]);
    }
    return g_strdup_printf("%0.3g %s", v, units[i]);
}
