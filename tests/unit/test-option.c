/*
 * util/option.c and util/cutils.c: QEMU option strings and sizes.
 */
#include <errno.h>
#include <glib.h>
#include "util/cutils.h"
#include "util/option.h"

static const OptDesc smp_desc[] = {
    {"cpus", OPT_NUMBER}, {"sockets", OPT_NUMBER}, {"enabled", OPT_BOOL},
    {"size", OPT_SIZE},   {"name", OPT_STRING},    {NULL},
};

static Opts *parse_ok(const char *s, const char *implied, const OptDesc *d)
{
    Error *err = NULL;
    Opts *o = opts_parse(s, implied, d, &err);

    g_assert_null(err);
    g_assert_nonnull(o);
    return o;
}

static char *parse_err(const char *s, const char *implied, const OptDesc *d)
{
    Error *err = NULL;
    Opts *o = opts_parse(s, implied, d, &err);
    char *msg;

    g_assert_null(o);
    g_assert_nonnull(err);
    msg = g_strdup(error_get_pretty(err));
    error_free(err);
    return msg;
}

static void test_implied_key(void)
{
    g_autoptr(Opts) o = parse_ok("4,sockets=2", "cpus", smp_desc);

    g_assert_cmpuint(opts_get_number(o, "cpus", 0), ==, 4);
    g_assert_cmpuint(opts_get_number(o, "sockets", 0), ==, 2);
    g_assert_cmpuint(opts_count(o), ==, 2);
    g_assert_cmpstr(opts_key_at(o, 0), ==, "cpus");
}

static void test_escaped_comma(void)
{
    g_autoptr(Opts) o = parse_ok("name=a,,b,,,cpus=1", NULL, smp_desc);
    g_autofree char *back = opts_to_string(o);

    g_assert_cmpstr(opts_get(o, "name"), ==, "a,b,");
    g_assert_cmpstr(back, ==, "name=a,,b,,,cpus=1");
}

static void test_bool_forms(void)
{
    g_autoptr(Opts) a = parse_ok("enabled=on", NULL, smp_desc);
    g_autoptr(Opts) b = parse_ok("enabled=off", NULL, smp_desc);
    g_autoptr(Opts) c = parse_ok("cpus=1,enabled", NULL, smp_desc);
    g_autofree char *e = parse_err("enabled=maybe", NULL, smp_desc);

    g_assert_true(opts_get_bool(a, "enabled", false));
    g_assert_false(opts_get_bool(b, "enabled", true));
    g_assert_true(opts_get_bool(c, "enabled", false));
    g_assert_cmpstr(e, ==, "Parameter 'enabled' expects 'on' or 'off'");
}

static void test_sizes(void)
{
    g_autoptr(Opts) o = parse_ok("size=4G", NULL, smp_desc);
    g_autofree char *e = parse_err("size=banana", NULL, smp_desc);
    uint64_t v;

    g_assert_cmpuint(opts_get_size(o, "size", 0), ==, 4ULL << 30);
    g_assert_true(g_str_has_prefix(e, "Parameter 'size' expects"));
    g_assert_cmpint(parse_size("512M", &v), ==, 0);
    g_assert_cmpuint(v, ==, 512ULL << 20);
    g_assert_cmpint(parse_size("1.5k", &v), ==, 0);
    g_assert_cmpuint(v, ==, 1536);
    g_assert_cmpint(parse_size("0x1000", &v), ==, 0);
    g_assert_cmpuint(v, ==, 4096);
    g_assert_cmpint(parse_size_unit("512", MiB, &v), ==, 0);
    g_assert_cmpuint(v, ==, 512ULL << 20);
    g_assert_cmpint(parse_size("-1", &v), ==, -EINVAL);
    g_assert_cmpint(parse_size("12Q", &v), ==, -EINVAL);
    g_assert_cmpint(parse_size("", &v), ==, -EINVAL);
    g_assert_cmpint(parse_size("16E", &v), ==, -ERANGE);
}

static void test_unknown_and_duplicate(void)
{
    g_autofree char *u = parse_err("cpus=1,bogus=2", NULL, smp_desc);
    g_autofree char *d = parse_err("cpus=1,cpus=2", NULL, smp_desc);
    g_autofree char *n = parse_err("cpus=x", NULL, smp_desc);
    g_autoptr(Opts) any = parse_ok("anything=1,else", "driver", NULL);

    g_assert_cmpstr(u, ==, "Invalid parameter 'bogus'");
    g_assert_cmpstr(d, ==, "Parameter 'cpus' is set more than once");
    g_assert_cmpstr(n, ==, "Parameter 'cpus' expects a number");
    g_assert_cmpstr(opts_get(any, "else"), ==, "on");
}

static void test_empty_and_trailing(void)
{
    g_autoptr(Opts) e = parse_ok("", NULL, smp_desc);
    g_autoptr(Opts) t = parse_ok("cpus=2,", NULL, smp_desc);
    g_autofree char *emptykey = parse_err("=3", NULL, NULL);

    g_assert_cmpuint(opts_count(e), ==, 0);
    g_assert_cmpuint(opts_count(t), ==, 1);
    g_assert_cmpstr(emptykey, ==, "Invalid parameter ''");
}

static void test_parse_bool_uint(void)
{
    bool b;
    uint64_t u;
    int64_t i;

    g_assert_true(parse_bool("yes", &b) && b);
    g_assert_true(parse_bool("false", &b) && !b);
    g_assert_false(parse_bool("2", &b));
    g_assert_true(parse_uint64("0x10", &u) && u == 16);
    g_assert_false(parse_uint64("-1", &u));
    g_assert_false(parse_uint64("12a", &u));
    g_assert_true(parse_int64("-5", &i) && i == -5);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/option/implied-key", test_implied_key);
    g_test_add_func("/option/escaped-comma", test_escaped_comma);
    g_test_add_func("/option/bool", test_bool_forms);
    g_test_add_func("/option/sizes", test_sizes);
    g_test_add_func("/option/unknown-duplicate", test_unknown_and_duplicate);
    g_test_add_func("/option/empty-trailing", test_empty_and_trailing);
    g_test_add_func("/option/parse-bool-uint", test_parse_bool_uint);
    return g_test_run();
}
