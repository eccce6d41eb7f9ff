/*
 * ACPI table and AML encoding helpers (see aml-build.h).  Names are
 * 4-character segments, optionally prefixed with '\' (root); blocks
 * (Scope, Device, Method, Buffer, Package) carry a PkgLength computed
 * when they are appended or finished.
 */
#include <stdlib.h>
#include <string.h>

#include "hw/acpi/aml-build.h"

#define AML_ZERO_OP       0x00
#define AML_ONE_OP        0x01
#define AML_NAME_OP       0x08
#define AML_BYTE_PREFIX   0x0a
#define AML_WORD_PREFIX   0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX  0x0e
#define AML_SCOPE_OP      0x10
#define AML_BUFFER_OP     0x11
#define AML_PACKAGE_OP    0x12
#define AML_METHOD_OP     0x14
#define AML_RETURN_OP     0xa4
#define AML_EXT_PREFIX    0x5b
#define AML_DEVICE_OP     0x82 /* after AML_EXT_PREFIX */
#define AML_ONES_OP       0xff

Aml *aml_new(void)
{
    Aml *a = g_new0(Aml, 1);

    a->buf = g_byte_array_new();
    return a;
}

void aml_free(Aml *a)
{
    if (a) {
        g_byte_array_free(a->buf, true);
        if (a->head) {
            g_byte_array_free(a->head, true);
        }
        g_free(a);
    }
}

static void put(GByteArray *b, uint8_t v)
{
    g_byte_array_append(b, &v, 1);
}

static void put_name(GByteArray *b, const char *name)
{
    char seg[4];
    size_t n;

    if (*name == '\\') {
        put(b, '\\');
        name++;
    }
    n = strlen(name);
    memset(seg, '_', 4);
    memcpy(seg, name, n > 4 ? 4 : n);
    g_byte_array_append(b, (const uint8_t *)seg, 4);
}

/* PkgLength for a body of len bytes (the length includes itself). */
static void put_pkglength(GByteArray *b, size_t len)
{
    size_t total;

    if (len + 1 < 0x40) {
        put(b, len + 1);
        return;
    }
    if (len + 2 < 0x1000) {
        total = len + 2;
        put(b, 0x40 | (total & 0x0f));
        put(b, total >> 4);
        return;
    }
    if (len + 3 < 0x100000) {
        total = len + 3;
        put(b, 0x80 | (total & 0x0f));
        put(b, total >> 4);
        put(b, total >> 12);
        return;
    }
    total = len + 4;
    put(b, 0xc0 | (total & 0x0f));
    put(b, total >> 4);
    put(b, total >> 12);
    put(b, total >> 20);
}

static Aml *block(const uint8_t *op, size_t oplen, const char *name)
{
    Aml *a = aml_new();

    a->block = 1;
    a->head = g_byte_array_new();
    g_byte_array_append(a->head, op, oplen);
    if (name) {
        /* the name is part of the body (after the PkgLength) */
        put_name(a->buf, name);
    }
    return a;
}

GByteArray *aml_finish(Aml *a)
{
    GByteArray *out = g_byte_array_new();

    if (a->block == AML_BUFFER_OP) {
        /* End Tag (checksum 0: valid), then BufferSize before the bytes. */
        GByteArray *body = g_byte_array_new();
        Aml *size;
        GByteArray *sb;

        put(a->buf, 0x79);
        put(a->buf, 0);
        size = aml_int(a->buf->len);
        sb = aml_finish(size);
        g_byte_array_append(body, sb->data, sb->len);
        g_byte_array_append(body, a->buf->data, a->buf->len);
        g_byte_array_free(sb, true);
        g_byte_array_free(a->buf, true);
        a->buf = body;
    }
    if (a->block) {
        g_byte_array_append(out, a->head->data, a->head->len);
        put_pkglength(out, a->buf->len);
    }
    g_byte_array_append(out, a->buf->data, a->buf->len);
    aml_free(a);
    return out;
}

void aml_append(Aml *parent, Aml *child)
{
    GByteArray *b = aml_finish(child);

    g_byte_array_append(parent->buf, b->data, b->len);
    if (parent->block == AML_PACKAGE_OP) {
        parent->buf->data[0]++; /* NumElements */
    }
    g_byte_array_free(b, true);
}

Aml *aml_int(uint64_t v)
{
    Aml *a = aml_new();

    if (v == 0) {
        put(a->buf, AML_ZERO_OP);
    } else if (v == 1) {
        put(a->buf, AML_ONE_OP);
    } else if (v == ~0ull) {
        put(a->buf, AML_ONES_OP);
    } else if (v <= 0xff) {
        put(a->buf, AML_BYTE_PREFIX);
        put(a->buf, v);
    } else if (v <= 0xffff) {
        put(a->buf, AML_WORD_PREFIX);
        put(a->buf, v);
        put(a->buf, v >> 8);
    } else if (v <= 0xffffffff) {
        put(a->buf, AML_DWORD_PREFIX);
        for (int i = 0; i < 4; i++) {
            put(a->buf, v >> (8 * i));
        }
    } else {
        put(a->buf, AML_QWORD_PREFIX);
        for (int i = 0; i < 8; i++) {
            put(a->buf, v >> (8 * i));
        }
    }
    return a;
}

Aml *aml_string(const char *s)
{
    Aml *a = aml_new();

    put(a->buf, AML_STRING_PREFIX);
    g_byte_array_append(a->buf, (const uint8_t *)s, strlen(s) + 1);
    return a;
}

Aml *aml_eisaid(const char *id)
{
    /* Three letters (5 bits each, 'A' = 1) and four hex digits, big-endian. */
    uint32_t v = ((id[0] - 0x40) << 26) | ((id[1] - 0x40) << 21) |
                 ((id[2] - 0x40) << 16) | (uint32_t)strtoul(id + 3, NULL, 16);
    Aml *a = aml_new();

    put(a->buf, AML_DWORD_PREFIX);
    put(a->buf, v >> 24);
    put(a->buf, v >> 16);
    put(a->buf, v >> 8);
    put(a->buf, v);
    return a;
}

Aml *aml_package(void)
{
    uint8_t op = AML_PACKAGE_OP;
    Aml *a = block(&op, 1, NULL);

    a->block = AML_PACKAGE_OP;
    put(a->buf, 0); /* NumElements, counted by aml_append */
    return a;
}

Aml *aml_name_decl(const char *name, Aml *value)
{
    Aml *a = aml_new();

    put(a->buf, AML_NAME_OP);
    put_name(a->buf, name);
    aml_append(a, value);
    return a;
}

Aml *aml_scope(const char *name)
{
    uint8_t op = AML_SCOPE_OP;

    return block(&op, 1, name);
}

Aml *aml_device(const char *name)
{
    uint8_t op[2] = {AML_EXT_PREFIX, AML_DEVICE_OP};

    return block(op, 2, name);
}

Aml *aml_method(const char *name, int nargs)
{
    uint8_t op = AML_METHOD_OP;
    Aml *a = block(&op, 1, name);

    put(a->buf, nargs & 7); /* MethodFlags: not serialized */
    return a;
}

Aml *aml_return(Aml *value)
{
    Aml *a = aml_new();

    put(a->buf, AML_RETURN_OP);
    aml_append(a, value);
    return a;
}

/* ---- Resource templates ---- */

Aml *aml_resource_template(void)
{
    uint8_t op = AML_BUFFER_OP;
    Aml *a = block(&op, 1, NULL);

    a->block = AML_BUFFER_OP;
    return a;
}

static void put16(GByteArray *b, uint16_t v)
{
    put(b, v);
    put(b, v >> 8);
}

static void put32(GByteArray *b, uint32_t v)
{
    put16(b, v);
    put16(b, v >> 16);
}

static void put64(GByteArray *b, uint64_t v)
{
    put32(b, v);
    put32(b, v >> 32);
}

void aml_res_io(Aml *rt, uint16_t base, uint8_t len)
{
    put(rt->buf, 0x47); /* I/O port descriptor, 16-bit decode */
    put(rt->buf, 0x01);
    put16(rt->buf, base);
    put16(rt->buf, base);
    put(rt->buf, 0x01); /* alignment */
    put(rt->buf, len);
}

void aml_res_irq(Aml *rt, uint8_t irq)
{
    put(rt->buf, 0x22); /* IRQNoFlags: edge, active high */
    put16(rt->buf, 1u << irq);
}

void aml_res_mem32_fixed(Aml *rt, uint32_t base, uint32_t len, bool rw)
{
    put(rt->buf, 0x86);
    put16(rt->buf, 9);
    put(rt->buf, rw ? 1 : 0);
    put32(rt->buf, base);
    put32(rt->buf, len);
}

static void word_space(Aml *rt, uint8_t type, uint8_t tflags, uint16_t min,
                       uint16_t max)
{
    put(rt->buf, 0x88); /* Word Address Space descriptor */
    put16(rt->buf, 13);
    put(rt->buf, type);
    put(rt->buf, 0x0c); /* min and max fixed, producer, positive decode */
    put(rt->buf, tflags);
    put16(rt->buf, 0); /* granularity */
    put16(rt->buf, min);
    put16(rt->buf, max);
    put16(rt->buf, 0); /* translation */
    put16(rt->buf, max - min + 1);
}

void aml_res_word_bus(Aml *rt, uint16_t min, uint16_t max)
{
    word_space(rt, 2, 0, min, max);
}

void aml_res_word_io(Aml *rt, uint16_t min, uint16_t max)
{
    word_space(rt, 1, 3, min, max); /* entire range */
}

void aml_res_dword_mem(Aml *rt, uint32_t min, uint32_t max, bool cacheable)
{
    put(rt->buf, 0x87); /* DWord Address Space descriptor */
    put16(rt->buf, 23);
    put(rt->buf, 0); /* memory */
    put(rt->buf, 0x0c);
    put(rt->buf, (cacheable ? 0x02 : 0) | 0x01); /* read/write */
    put32(rt->buf, 0);
    put32(rt->buf, min);
    put32(rt->buf, max);
    put32(rt->buf, 0);
    put32(rt->buf, max - min + 1);
}

void aml_res_qword_mem(Aml *rt, uint64_t min, uint64_t max)
{
    put(rt->buf, 0x8a); /* QWord Address Space descriptor */
    put16(rt->buf, 43);
    put(rt->buf, 0);
    put(rt->buf, 0x0c);
    put(rt->buf, 0x03);
    put64(rt->buf, 0);
    put64(rt->buf, min);
    put64(rt->buf, max);
    put64(rt->buf, 0);
    put64(rt->buf, max - min + 1);
}

/* ---- Tables ---- */

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--) {
        sum += *p++;
    }
    return (uint8_t)-sum;
}

void acpi_put_u8(GByteArray *t, uint8_t v)
{
    put(t, v);
}

void acpi_put_u16(GByteArray *t, uint16_t v)
{
    put16(t, v);
}

void acpi_put_u32(GByteArray *t, uint32_t v)
{
    put32(t, v);
}

void acpi_put_u64(GByteArray *t, uint64_t v)
{
    put64(t, v);
}

void acpi_put_bytes(GByteArray *t, const void *p, size_t n)
{
    g_byte_array_append(t, p, n);
}

void acpi_put_gas(GByteArray *t, uint8_t space, uint8_t bits, uint8_t offset,
                  uint8_t access, uint64_t addr)
{
    put(t, space);
    put(t, bits);
    put(t, offset);
    put(t, access);
    put64(t, addr);
}

void acpi_patch_u32(GByteArray *t, unsigned off, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        t->data[off + i] = v >> (8 * i);
    }
}

void acpi_patch_u64(GByteArray *t, unsigned off, uint64_t v)
{
    acpi_patch_u32(t, off, v);
    acpi_patch_u32(t, off + 4, v >> 32);
}

void acpi_table_begin(GByteArray *t, const char *sig, uint8_t rev)
{
    g_byte_array_append(t, (const uint8_t *)sig, 4);
    put32(t, 0); /* length, patched by acpi_table_end */
    put(t, rev);
    put(t, 0); /* checksum */
    g_byte_array_append(t, (const uint8_t *)ACPI_OEM_ID, 6);
    g_byte_array_append(t, (const uint8_t *)ACPI_OEM_TABLE_ID, 8);
    put32(t, 1);                                        /* OEM revision */
    g_byte_array_append(t, (const uint8_t *)"BXPC", 4); /* creator id */
    put32(t, 1);                                        /* creator rev */
}

void acpi_table_end(GByteArray *t, unsigned start)
{
    acpi_patch_u32(t, start + 4, t->len - start);
    t->data[start + 9] = 0;
    t->data[start + 9] = acpi_checksum(t->data + start, t->len - start);
}
