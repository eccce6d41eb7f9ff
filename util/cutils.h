/*
 * Small string-to-value parsers shared by the CLI, the option parser,
 * device properties, the monitor and qemu-img.
 */
#ifndef UTIL_CUTILS_H
#define UTIL_CUTILS_H

#include <stdbool.h>
#include <stdint.h>

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

/*
 * Parses a size: a non-negative number (decimal, may have a fraction, or
 * 0x hex) with an optional suffix B/k/K/M/G/T/P/E (powers of 1024).  With
 * no suffix the number is multiplied by default_unit (1 for bytes, MiB for
 * -m).  On entry s is the whole string.  Returns 0, -EINVAL for malformed
 * input (trailing garbage included) or -ERANGE when it exceeds 2^64-1.
 */
int parse_size_unit(const char *s, uint64_t default_unit, uint64_t *value);
static inline int parse_size(const char *s, uint64_t *value)
{
    return parse_size_unit(s, 1, value);
}

/* Whole string as an unsigned / signed integer, base 0 (0x, 0 prefixes). */
bool parse_uint64(const char *s, uint64_t *value);
bool parse_int64(const char *s, int64_t *value);

/* on/off, yes/no, true/false, y/n. */
bool parse_bool(const char *s, bool *value);

/* Size for people: "512 MiB", "1.5 GiB" (as qemu-img info prints). */
char *size_to_str(uint64_t size);

#endif
