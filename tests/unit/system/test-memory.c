/*
 * Unit tests of the memory API: FlatView rendering (overlaps, priorities,
 * aliases, containers, disable), listener add/del/nop sequences, dispatch
 * with valid/impl access sizes, unmapped accesses, ROM, map/unmap and
 * `info mtree`.
 */
#include <string.h>
#include <glib.h>

#include "system/memory.h"
#include "util/log.h"

/* ---- helpers ---- */

/* The flat view of as as "start-end:name@offset[ro]" items, space-separated. */
static char *fv_string(AddressSpace *as)
{
    FlatView *fv = address_space_get_flatview(as);
    GString *s = g_string_new("");

    for (unsigned i = 0; i < fv->nr; i++) {
        MemoryRegionSection *r = &fv->ranges[i];
        g_string_append_printf(s, "%s%" PRIx64 "-%" PRIx64 ":%s@%" PRIx64 "%s",
                               i ? " " : "", r->offset_within_address_space,
                               r->offset_within_address_space + r->size - 1,
                               memory_region_name(r->mr),
                               r->offset_within_region,
                               r->readonly ? "[ro]" : "");
    }
    flatview_unref(fv);
    return g_string_free(s, false);
}

#define assert_fv(as, expected)                                                \
    do {                                                                       \
        char *got_ = fv_string(as);                                            \
        g_assert_cmpstr(got_, ==, (expected));                                 \
        g_free(got_);                                                          \
    } while (0)

/* A device with 256 byte registers that logs every callback. */
typedef struct TestDev {
    uint8_t regs[256];
    GString *log;
    unsigned reads, writes;
} TestDev;

static uint64_t testdev_read(void *opaque, hwaddr addr, unsigned size)
{
    TestDev *d = opaque;
    uint64_t v = 0;

    /* The device's own byte order: regs[] is little-endian. */
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)d->regs[(addr + i) & 0xff] << (8 * i);
    }
    d->reads++;
    g_string_append_printf(d->log, "r%u@%" PRIx64 " ", size, addr);
    return v;
}

static void testdev_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    TestDev *d = opaque;

    for (unsigned i = 0; i < size; i++) {
        d->regs[(addr + i) & 0xff] = v >> (8 * i);
    }
    d->writes++;
    g_string_append_printf(d->log, "w%u@%" PRIx64 "=%" PRIx64 " ", size, addr,
                           v);
}

static TestDev *testdev_new(void)
{
    TestDev *d = g_new0(TestDev, 1);

    for (int i = 0; i < 256; i++) {
        d->regs[i] = i;
    }
    d->log = g_string_new("");
    return d;
}

static void testdev_free(TestDev *d)
{
    g_string_free(d->log, true);
    g_free(d);
}

/* A root container of 2^64 bytes and its address space. */
typedef struct Fixture {
    MemoryRegion root;
    AddressSpace as;
} Fixture;

static void fixture_init(Fixture *f)
{
    memory_region_init(&f->root, NULL, "root", UINT64_MAX);
    address_space_init(&f->as, &f->root, "test");
}

static void fixture_fini(Fixture *f)
{
    address_space_destroy(&f->as);
    memory_region_finalize(&f->root);
}

/* ---- rendering ---- */

static void test_render_empty(void)
{
    Fixture f;

    fixture_init(&f);
    assert_fv(&f.as, "");
    fixture_fini(&f);
}

static void test_render_overlap_priority(void)
{
    Fixture f;
    MemoryRegion ram, io, low;
    TestDev *d = testdev_new();
    static const MemoryRegionOps ops = {.read = testdev_read,
                                        .write = testdev_write};

    fixture_init(&f);
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    memory_region_init_io(&io, NULL, &ops, d, "io", 0x100);
    memory_region_init_io(&low, NULL, &ops, d, "low", 0x20000);
    memory_region_add_subregion(&f.root, 0, &ram);
    /* Higher priority punches a hole into the RAM. */
    memory_region_add_subregion_overlap(&f.root, 0x1000, &io, 1);
    assert_fv(&f.as, "0-fff:ram@0 1000-10ff:io@0 1100-ffff:ram@1100");
    /* Lower priority only shows where nothing else is. */
    memory_region_add_subregion_overlap(&f.root, 0, &low, -1);
    assert_fv(&f.as, "0-fff:ram@0 1000-10ff:io@0 1100-ffff:ram@1100 "
                     "10000-1ffff:low@10000");
    memory_region_del_subregion(&f.root, &io);
    assert_fv(&f.as, "0-ffff:ram@0 10000-1ffff:low@10000");
    memory_region_del_subregion(&f.root, &low);
    memory_region_del_subregion(&f.root, &ram);
    assert_fv(&f.as, "");
    memory_region_finalize(&io);
    memory_region_finalize(&low);
    memory_region_finalize(&ram);
    fixture_fini(&f);
    testdev_free(d);
}

static void test_render_equal_priority(void)
{
    Fixture f;
    MemoryRegion a, b;

    fixture_init(&f);
    g_assert_true(memory_region_init_ram(&a, NULL, "a", 0x2000, NULL));
    g_assert_true(memory_region_init_ram(&b, NULL, "b", 0x2000, NULL));
    memory_region_add_subregion(&f.root, 0, &a);
    /* Equal priority: the one added later wins. */
    memory_region_add_subregion(&f.root, 0x1000, &b);
    assert_fv(&f.as, "0-fff:a@0 1000-2fff:b@0");
    memory_region_del_subregion(&f.root, &a);
    memory_region_add_subregion(&f.root, 0, &a);
    assert_fv(&f.as, "0-1fff:a@0 2000-2fff:b@1000");
    memory_region_del_subregion(&f.root, &a);
    memory_region_del_subregion(&f.root, &b);
    memory_region_finalize(&a);
    memory_region_finalize(&b);
    fixture_fini(&f);
}

static void test_render_alias_container(void)
{
    Fixture f;
    MemoryRegion ram, alias, cont, inner, alias_ro;

    fixture_init(&f);
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    memory_region_init_alias(&alias, NULL, "win", &ram, 0x2000, 0x1000);
    memory_region_add_subregion(&f.root, 0x100000, &alias);
    /* The alias renders as the window of the target it covers. */
    assert_fv(&f.as, "100000-100fff:ram@2000");

    /* Containers are transparent; their children are offset. */
    memory_region_init(&cont, NULL, "cont", 0x1000);
    g_assert_true(memory_region_init_ram(&inner, NULL, "inner", 0x100, NULL));
    memory_region_add_subregion(&cont, 0x10, &inner);
    memory_region_add_subregion(&f.root, 0x200000, &cont);
    assert_fv(&f.as, "100000-100fff:ram@2000 200010-20010f:inner@0");

    /* A read-only alias makes its window read-only. */
    memory_region_init_alias(&alias_ro, NULL, "win-ro", &ram, 0, 0x800);
    memory_region_set_readonly(&alias_ro, true);
    memory_region_add_subregion(&f.root, 0x300000, &alias_ro);
    assert_fv(&f.as, "100000-100fff:ram@2000 200010-20010f:inner@0 "
                     "300000-3007ff:ram@0[ro]");

    /* Alias offset and size changes move the window. */
    memory_region_set_alias_offset(&alias, 0x3000);
    memory_region_set_size(&alias, 0x800);
    assert_fv(&f.as, "100000-1007ff:ram@3000 200010-20010f:inner@0 "
                     "300000-3007ff:ram@0[ro]");
    /* An alias larger than its target shows only the target's part. */
    memory_region_set_alias_offset(&alias, 0xfc00);
    assert_fv(&f.as, "100000-1003ff:ram@fc00 200010-20010f:inner@0 "
                     "300000-3007ff:ram@0[ro]");

    /* Moving a container moves its children. */
    memory_region_set_address(&cont, 0x400000);
    assert_fv(&f.as, "100000-1003ff:ram@fc00 300000-3007ff:ram@0[ro] "
                     "400010-40010f:inner@0");

    /* A child larger than its container is clipped to it. */
    memory_region_set_size(&cont, 0x80);
    assert_fv(&f.as, "100000-1003ff:ram@fc00 300000-3007ff:ram@0[ro] "
                     "400010-40007f:inner@0");

    memory_region_finalize(&alias_ro);
    memory_region_finalize(&inner);
    memory_region_finalize(&cont);
    memory_region_finalize(&alias);
    memory_region_finalize(&ram);
    assert_fv(&f.as, "");
    fixture_fini(&f);
}

static void test_render_region_with_subregions(void)
{
    Fixture f;
    MemoryRegion ram, hole;

    fixture_init(&f);
    /* A RAM region's own subregions are drawn over it. */
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x3000, NULL));
    g_assert_true(memory_region_init_ram(&hole, NULL, "hole", 0x1000, NULL));
    memory_region_add_subregion(&ram, 0x1000, &hole);
    memory_region_add_subregion(&f.root, 0x10000, &ram);
    assert_fv(&f.as,
              "10000-10fff:ram@0 11000-11fff:hole@0 12000-12fff:ram@2000");
    memory_region_del_subregion(&f.root, &ram);
    memory_region_finalize(&hole);
    memory_region_finalize(&ram);
    fixture_fini(&f);
}

static void test_render_disable(void)
{
    Fixture f;
    MemoryRegion ram, cont, inner;

    fixture_init(&f);
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    memory_region_init(&cont, NULL, "cont", 0x1000);
    g_assert_true(memory_region_init_ram(&inner, NULL, "inner", 0x100, NULL));
    memory_region_add_subregion(&cont, 0, &inner);
    memory_region_add_subregion(&f.root, 0, &ram);
    memory_region_add_subregion_overlap(&f.root, 0x800, &cont, 1);
    assert_fv(&f.as, "0-7ff:ram@0 800-8ff:inner@0 900-fff:ram@900");
    /* A disabled container hides everything in it. */
    memory_region_set_enabled(&cont, false);
    assert_fv(&f.as, "0-fff:ram@0");
    memory_region_set_enabled(&cont, true);
    assert_fv(&f.as, "0-7ff:ram@0 800-8ff:inner@0 900-fff:ram@900");
    memory_region_set_enabled(&ram, false);
    assert_fv(&f.as, "800-8ff:inner@0");
    memory_region_finalize(&inner);
    memory_region_finalize(&cont);
    memory_region_finalize(&ram);
    fixture_fini(&f);
}

static void test_render_top_of_space(void)
{
    Fixture f;
    MemoryRegion top, io_all;
    TestDev *d = testdev_new();
    static const MemoryRegionOps ops = {.read = testdev_read,
                                        .write = testdev_write};

    fixture_init(&f);
    /* A region ending exactly at 2^64, and one running past it. */
    g_assert_true(memory_region_init_ram(&top, NULL, "top", 0x1000, NULL));
    memory_region_add_subregion(&f.root, 0xfffffffffffff000ULL, &top);
    assert_fv(&f.as, "fffffffffffff000-ffffffffffffffff:top@0");
    memory_region_set_address(&top, 0xfffffffffffff800ULL);
    assert_fv(&f.as, "fffffffffffff800-ffffffffffffffff:top@0");
    /* A region of 2^64 bytes under everything. */
    memory_region_init_io(&io_all, NULL, &ops, d, "all", UINT64_MAX);
    g_assert_true(io_all.size_is_2_64);
    memory_region_add_subregion_overlap(&f.root, 0, &io_all, -1);
    assert_fv(&f.as, "0-fffffffffffff7ff:all@0 "
                     "fffffffffffff800-ffffffffffffffff:top@0");
    memory_region_del_subregion(&f.root, &top);
    /* Whole-space ranges are split in two sections. */
    assert_fv(&f.as, "0-7fffffffffffffff:all@0 "
                     "8000000000000000-ffffffffffffffff:all@8000000000000000");
    memory_region_finalize(&io_all);
    memory_region_finalize(&top);
    fixture_fini(&f);
    testdev_free(d);
}

static void test_flatview_find(void)
{
    Fixture f;
    MemoryRegion ram;
    FlatView *fv;
    MemoryRegionSection s;

    fixture_init(&f);
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    memory_region_add_subregion(&f.root, 0x4000, &ram);
    fv = address_space_get_flatview(&f.as);
    s = flatview_find(fv, 0x4100);
    g_assert_true(s.mr == &ram);
    g_assert_cmphex(s.offset_within_region, ==, 0x100);
    g_assert_cmphex(s.offset_within_address_space, ==, 0x4100);
    g_assert_cmphex(s.size, ==, 0xf00);
    s = flatview_find(fv, 0x1000);
    g_assert_null(s.mr);
    g_assert_cmphex(s.size, ==, 0x3000);
    s = flatview_find(fv, 0x5000);
    g_assert_null(s.mr);
    /* The old view stays valid while held, whatever the tree does. */
    memory_region_del_subregion(&f.root, &ram);
    s = flatview_find(fv, 0x4000);
    g_assert_true(s.mr == &ram);
    flatview_unref(fv);
    fv = address_space_get_flatview(&f.as);
    g_assert_cmpuint(fv->nr, ==, 0);
    flatview_unref(fv);
    memory_region_finalize(&ram);
    fixture_fini(&f);
}

/* ---- listeners ---- */

typedef struct RecListener {
    MemoryListener l;
    GString *log;
} RecListener;

static void rec_log(MemoryListener *l, const char *what, MemoryRegionSection *s)
{
    RecListener *r = (RecListener *)l;

    if (strcmp(l->name, "rec")) {
        g_string_append_printf(r->log, "%s:", l->name);
    }
    g_string_append_printf(r->log, "%s %s %" PRIx64 "+%" PRIx64 "; ", what,
                           memory_region_name(s->mr),
                           s->offset_within_address_space, s->size);
}

static void rec_add(MemoryListener *l, MemoryRegionSection *s)
{
    rec_log(l, "add", s);
}

static void rec_del(MemoryListener *l, MemoryRegionSection *s)
{
    rec_log(l, "del", s);
}

static void rec_nop(MemoryListener *l, MemoryRegionSection *s)
{
    rec_log(l, "nop", s);
}

static void rec_begin(MemoryListener *l)
{
    g_string_append(((RecListener *)l)->log, "begin; ");
}

static void rec_commit(MemoryListener *l)
{
    g_string_append(((RecListener *)l)->log, "commit;");
}

static void rec_init(RecListener *r)
{
    memset(r, 0, sizeof(*r));
    r->l.begin = rec_begin;
    r->l.commit = rec_commit;
    r->l.region_add = rec_add;
    r->l.region_del = rec_del;
    r->l.region_nop = rec_nop;
    r->l.name = "rec";
    r->log = g_string_new("");
}

static void assert_log(RecListener *r, const char *expected)
{
    g_assert_cmpstr(r->log->str, ==, expected);
    g_string_truncate(r->log, 0);
}

static void test_listener(void)
{
    Fixture f;
    MemoryRegion a, b, c;
    RecListener r;

    fixture_init(&f);
    g_assert_true(memory_region_init_ram(&a, NULL, "a", 0x1000, NULL));
    g_assert_true(memory_region_init_ram(&b, NULL, "b", 0x1000, NULL));
    g_assert_true(memory_region_init_ram(&c, NULL, "c", 0x100, NULL));
    memory_region_add_subregion(&f.root, 0, &a);

    /* Registering replays the current view. */
    rec_init(&r);
    memory_listener_register(&r.l, &f.as);
    g_assert_true(r.l.as == &f.as);
    assert_log(&r, "begin; add a 0+1000; commit;");

    memory_region_add_subregion(&f.root, 0x2000, &b);
    assert_log(&r, "begin; nop a 0+1000; add b 2000+1000; commit;");

    /* A region splitting another: the old range goes, pieces come. */
    memory_region_add_subregion_overlap(&f.root, 0x800, &c, 1);
    assert_log(&r, "begin; del a 0+1000; add a 0+800; add c 800+100; "
                   "add a 900+700; nop b 2000+1000; commit;");

    /* A transaction batches several changes into one update. */
    memory_region_transaction_begin();
    memory_region_set_enabled(&c, false);
    memory_region_set_address(&b, 0x3000);
    assert_log(&r, "");
    memory_region_transaction_commit();
    assert_log(&r, "begin; del a 0+800; del c 800+100; del a 900+700; "
                   "del b 2000+1000; add a 0+1000; add b 3000+1000; commit;");

    /* Nothing changed in the tree: no update at all. */
    memory_region_set_enabled(&c, false);
    assert_log(&r, "");

    memory_listener_unregister(&r.l);
    assert_log(&r, "begin; del b 3000+1000; del a 0+1000; commit;");
    g_assert_null(r.l.as);
    memory_region_del_subregion(&f.root, &b);
    assert_log(&r, "");

    g_string_free(r.log, true);
    memory_region_finalize(&c);
    memory_region_finalize(&b);
    memory_region_finalize(&a);
    fixture_fini(&f);
}

/* A listener that maps a shadow region when it sees "trigger" appear. */
typedef struct ReentrantListener {
    MemoryListener l;
    MemoryRegion *container, *shadow;
    unsigned adds;
} ReentrantListener;

static void reentrant_add(MemoryListener *l, MemoryRegionSection *s)
{
    ReentrantListener *r = (ReentrantListener *)l;

    r->adds++;
    if (!strcmp(memory_region_name(s->mr), "trigger") &&
        !r->shadow->container) {
        memory_region_add_subregion(r->container, 0x8000, r->shadow);
    }
}

static void test_listener_reentrant(void)
{
    Fixture f;
    MemoryRegion trigger, shadow;
    ReentrantListener r = {.l.region_add = reentrant_add};

    fixture_init(&f);
    g_assert_true(
        memory_region_init_ram(&trigger, NULL, "trigger", 0x1000, NULL));
    g_assert_true(
        memory_region_init_ram(&shadow, NULL, "shadow", 0x1000, NULL));
    r.container = &f.root;
    r.shadow = &shadow;
    memory_listener_register(&r.l, &f.as);
    /* The change made from inside region_add is applied after it. */
    memory_region_add_subregion(&f.root, 0, &trigger);
    assert_fv(&f.as, "0-fff:trigger@0 8000-8fff:shadow@0");
    g_assert_cmpuint(r.adds, ==, 2);
    memory_listener_unregister(&r.l);
    memory_region_finalize(&shadow);
    memory_region_finalize(&trigger);
    fixture_fini(&f);
}

static void test_listener_priority_order(void)
{
    Fixture f;
    MemoryRegion a;
    RecListener r1, r2;
    GString *shared = g_string_new("");

    fixture_init(&f);
    g_assert_true(memory_region_init_ram(&a, NULL, "a", 0x1000, NULL));
    rec_init(&r1);
    rec_init(&r2);
    g_string_free(r1.log, true);
    g_string_free(r2.log, true);
    r1.log = r2.log = shared;
    r1.l.priority = 10;
    r1.l.name = "hi";
    r2.l.priority = 1;
    r2.l.name = "lo";
    r1.l.begin = r2.l.begin = NULL;
    r1.l.commit = r2.l.commit = NULL;
    r1.l.region_nop = r2.l.region_nop = NULL;
    memory_listener_register(&r1.l, &f.as);
    memory_listener_register(&r2.l, &f.as);
    /* Additions in increasing priority, deletions in decreasing. */
    memory_region_add_subregion(&f.root, 0, &a);
    g_assert_cmpstr(shared->str, ==, "lo:add a 0+1000; hi:add a 0+1000; ");
    g_string_truncate(shared, 0);
    memory_region_del_subregion(&f.root, &a);
    g_assert_cmpstr(shared->str, ==, "hi:del a 0+1000; lo:del a 0+1000; ");
    g_assert_true(g_ptr_array_index(f.as.listeners, 0) == &r2.l);
    memory_listener_unregister(&r1.l);
    memory_listener_unregister(&r2.l);
    g_string_free(shared, true);
    memory_region_finalize(&a);
    fixture_fini(&f);
}

/* ---- dispatch ---- */

static const MemoryRegionOps ops_valid14_impl1 = {
    .read = testdev_read,
    .write = testdev_write,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static const MemoryRegionOps ops_valid18_impl44 = {
    .read = testdev_read,
    .write = testdev_write,
    .valid = {.min_access_size = 1, .max_access_size = 8},
    .impl = {.min_access_size = 4, .max_access_size = 4},
};

static const MemoryRegionOps ops_valid44 = {
    .read = testdev_read,
    .write = testdev_write,
    .valid = {.min_access_size = 4, .max_access_size = 4},
};

static const MemoryRegionOps ops_big = {
    .read = testdev_read,
    .write = testdev_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8},
    .impl = {.min_access_size = 2, .max_access_size = 2},
};

static void test_dispatch_split_combine(void)
{
    TestDev *d = testdev_new();
    MemoryRegion mr;
    uint64_t v;

    /* Wide guest access, byte-wide callbacks: four calls, combined LE. */
    memory_region_init_io(&mr, NULL, &ops_valid14_impl1, d, "dev", 0x100);
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x10, &v, 4, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x13121110);
    g_assert_cmpstr(d->log->str, ==, "r1@10 r1@11 r1@12 r1@13 ");
    g_string_truncate(d->log, 0);
    g_assert_cmpint(memory_region_dispatch_write(&mr, 0x20, 0xaabbccdd, 4,
                                                 MEMTXATTRS_UNSPECIFIED),
                    ==, MEMTX_OK);
    g_assert_cmpstr(d->log->str, ==, "w1@20=dd w1@21=cc w1@22=bb w1@23=aa ");
    g_string_truncate(d->log, 0);
    /* 8 bytes exceeds valid.max: rejected, all ones, no callback. */
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x10, &v, 8, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_ERROR);
    g_assert_cmphex(v, ==, UINT64_MAX);
    g_assert_cmpstr(d->log->str, ==, "");
    /* Unaligned and not allowed by valid.unaligned: rejected. */
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x11, &v, 2, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_ERROR);
    g_assert_cmphex(v, ==, 0xffff);
    g_assert_cmpint(
        memory_region_dispatch_write(&mr, 0x11, 0, 3, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_ERROR);
    g_assert_cmpstr(d->log->str, ==, "");
    memory_region_finalize(&mr);

    /* Narrow guest access, dword callbacks: widened and extracted. */
    memory_region_init_io(&mr, NULL, &ops_valid18_impl44, d, "dev", 0x100);
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x31, &v, 1, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x31);
    g_assert_cmpstr(d->log->str, ==, "r4@30 ");
    g_string_truncate(d->log, 0);
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x32, &v, 2, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x3332);
    g_string_truncate(d->log, 0);
    /* A narrow write passes the shifted value at the aligned address. */
    g_assert_cmpint(memory_region_dispatch_write(&mr, 0x41, 0x5a, 1,
                                                 MEMTXATTRS_UNSPECIFIED),
                    ==, MEMTX_OK);
    g_assert_cmpstr(d->log->str, ==, "w4@40=5a00 ");
    g_string_truncate(d->log, 0);
    /* 8 bytes: split into two dword calls. */
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x50, &v, 8, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x5756555453525150ULL);
    g_assert_cmpstr(d->log->str, ==, "r4@50 r4@54 ");
    g_string_truncate(d->log, 0);
    g_assert_cmpint(memory_region_dispatch_write(&mr, 0x60,
                                                 0x0102030405060708ULL, 8,
                                                 MEMTXATTRS_UNSPECIFIED),
                    ==, MEMTX_OK);
    g_assert_cmpstr(d->log->str, ==, "w4@60=5060708 w4@64=1020304 ");
    g_string_truncate(d->log, 0);
    memory_region_finalize(&mr);

    /* valid.min = 4: byte accesses fail. */
    memory_region_init_io(&mr, NULL, &ops_valid44, d, "dev", 0x100);
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x10, &v, 1, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_ERROR);
    g_assert_cmphex(v, ==, 0xff);
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x10, &v, 4, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x13121110);
    memory_region_finalize(&mr);
    testdev_free(d);
}

static void test_dispatch_big_endian(void)
{
    TestDev *d = testdev_new();
    MemoryRegion mr;
    uint64_t v;

    memory_region_init_io(&mr, NULL, &ops_big, d, "be", 0x100);
    /*
     * The device returns 0x1110 for its 16-bit register at 0x10 (its
     * regs[] happen to be LE in memory): as a big-endian device that
     * means byte 0x11 at address 0x10, so the guest reads 0x1011.
     */
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x10, &v, 2, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x1011);
    /* A 32-bit read: two 16-bit calls, high half first in memory. */
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x10, &v, 4, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x12131011);
    g_string_truncate(d->log, 0);
    /* Write of guest 0xaabb at 0x20: device register value 0xbbaa. */
    g_assert_cmpint(memory_region_dispatch_write(&mr, 0x20, 0xaabb, 2,
                                                 MEMTXATTRS_UNSPECIFIED),
                    ==, MEMTX_OK);
    g_assert_cmpstr(d->log->str, ==, "w2@20=bbaa ");
    /* Round trip through the same device gives the guest value back. */
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x20, &v, 2, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0xaabb);
    memory_region_finalize(&mr);
    testdev_free(d);
}

static bool accepts_even(void *opaque, hwaddr addr, unsigned size,
                         bool is_write, MemTxAttrs attrs)
{
    return !(addr & 0x10);
}

static MemTxResult attrs_read(void *opaque, hwaddr addr, uint64_t *data,
                              unsigned size, MemTxAttrs attrs)
{
    if (addr >= 0x80) {
        return MEMTX_ERROR;
    }
    *data = attrs.secure ? 0x5ec : addr;
    return MEMTX_OK;
}

static void test_dispatch_accepts_attrs(void)
{
    static const MemoryRegionOps ops = {
        .read_with_attrs = attrs_read,
        .valid = {.accepts = accepts_even},
    };
    MemoryRegion mr;
    uint64_t v;
    MemTxAttrs sec = {.secure = 1};

    memory_region_init_io(&mr, NULL, &ops, NULL, "attrs", 0x100);
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x4, &v, 4, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 4);
    g_assert_cmpint(memory_region_dispatch_read(&mr, 0x4, &v, 4, sec), ==,
                    MEMTX_OK);
    g_assert_cmphex(v, ==, 0x5ec);
    /* accepts() refuses: error without a callback. */
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x14, &v, 4, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_ERROR);
    /* The device itself fails the access. */
    g_assert_cmpint(
        memory_region_dispatch_read(&mr, 0x84, &v, 4, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_ERROR);
    /* No write callback: the write is ignored. */
    g_assert_cmpint(
        memory_region_dispatch_write(&mr, 0x4, 1, 4, MEMTXATTRS_UNSPECIFIED),
        ==, MEMTX_OK);
    memory_region_finalize(&mr);
}

static void test_as_rw(void)
{
    Fixture f;
    MemoryRegion ram, io;
    TestDev *d = testdev_new();
    uint8_t buf[32];
    MemTxResult r;

    fixture_init(&f);
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    memory_region_init_io(&io, NULL, &ops_valid14_impl1, d, "dev", 0x100);
    memory_region_add_subregion(&f.root, 0, &ram);
    memory_region_add_subregion(&f.root, 0x1000, &io);

    /* RAM is zeroed and copied. */
    memset(buf, 0x55, sizeof(buf));
    g_assert_cmpint(
        address_space_read(&f.as, 0x10, MEMTXATTRS_UNSPECIFIED, buf, 4), ==,
        MEMTX_OK);
    g_assert_cmphex(buf[0] | buf[3], ==, 0);
    memcpy(buf, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    g_assert_cmpint(
        address_space_write(&f.as, 0xffc, MEMTXATTRS_UNSPECIFIED, buf, 8), ==,
        MEMTX_OK);
    /* The write straddled RAM and the device: 4 bytes each. */
    g_assert_cmphex(((uint8_t *)memory_region_get_ram_ptr(&ram))[0xfff], ==, 4);
    g_assert_cmpstr(d->log->str, ==, "w1@0=5 w1@1=6 w1@2=7 w1@3=8 ");
    g_string_truncate(d->log, 0);

    /* Device reads go out in the largest valid aligned size. */
    g_assert_cmpint(
        address_space_read(&f.as, 0x1010, MEMTXATTRS_UNSPECIFIED, buf, 7), ==,
        MEMTX_OK);
    g_assert_cmpmem(buf, 7, "\x10\x11\x12\x13\x14\x15\x16", 7);
    g_assert_cmpstr(d->log->str, ==,
                    "r1@10 r1@11 r1@12 r1@13 r1@14 r1@15 r1@16 ");
    g_string_truncate(d->log, 0);
    g_assert_cmpuint(d->reads, ==, 7);

    /* ld/st: one access of the given size. */
    g_assert_cmphex(
        address_space_ldl_le(&f.as, 0x1020, MEMTXATTRS_UNSPECIFIED, &r), ==,
        0x23222120);
    g_assert_cmpint(r, ==, MEMTX_OK);
    address_space_stq_le(&f.as, 0x100, 0x1122334455667788ULL,
                         MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmpint(r, ==, MEMTX_OK);
    g_assert_cmphex(
        address_space_ldq_le(&f.as, 0x100, MEMTXATTRS_UNSPECIFIED, &r), ==,
        0x1122334455667788ULL);
    g_assert_cmphex(
        address_space_ldl_le(&f.as, 0x104, MEMTXATTRS_UNSPECIFIED, NULL), ==,
        0x11223344);
    address_space_stl_le(&f.as, 0x1030, 0xdeadbeef, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmpint(r, ==, MEMTX_OK);
    g_assert_cmphex(d->regs[0x30], ==, 0xef);
    /* A 64-bit load from a device that allows 4 bytes at most fails. */
    address_space_ldq_le(&f.as, 0x1000, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmpint(r, ==, MEMTX_ERROR);

    /* Unmapped: reads give all-ones, the result says so. */
    memset(buf, 0, sizeof(buf));
    r = address_space_read(&f.as, 0x2000, MEMTXATTRS_UNSPECIFIED, buf, 4);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmpmem(buf, 4, "\xff\xff\xff\xff", 4);
    g_assert_cmphex(
        address_space_ldl_le(&f.as, 0x5000, MEMTXATTRS_UNSPECIFIED, &r), ==,
        0xffffffff);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    r = address_space_write(&f.as, 0x2000, MEMTXATTRS_UNSPECIFIED, buf, 4);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    /* Across the end of the device into a hole: the rest reads ones. */
    r = address_space_read(&f.as, 0x10fe, MEMTXATTRS_UNSPECIFIED, buf, 4);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmpmem(buf, 4, "\xfe\xff\xff\xff", 4);

    memory_region_finalize(&io);
    memory_region_finalize(&ram);
    fixture_fini(&f);
    testdev_free(d);
}

static void test_rom(void)
{
    Fixture f;
    MemoryRegion rom, ram, ro_alias;
    uint8_t buf[4] = {1, 2, 3, 4};
    uint8_t *p;

    fixture_init(&f);
    g_assert_true(memory_region_init_rom(&rom, NULL, "bios", 0x1000, NULL));
    g_assert_true(memory_region_is_rom(&rom));
    g_assert_true(memory_region_is_ram(&rom));
    memory_region_add_subregion(&f.root, 0xf000, &rom);
    assert_fv(&f.as, "f000-ffff:bios@0[ro]");
    p = memory_region_get_ram_ptr(&rom);
    /* Guest writes to ROM are ignored; firmware loading writes. */
    g_assert_cmpint(
        address_space_write(&f.as, 0xf000, MEMTXATTRS_UNSPECIFIED, buf, 4), ==,
        MEMTX_OK);
    g_assert_cmpuint(p[0], ==, 0);
    g_assert_cmpint(
        address_space_write_rom(&f.as, 0xf000, MEMTXATTRS_UNSPECIFIED, buf, 4),
        ==, MEMTX_OK);
    g_assert_cmpuint(p[3], ==, 4);
    memset(buf, 0, 4);
    address_space_read(&f.as, 0xf002, MEMTXATTRS_UNSPECIFIED, buf, 2);
    g_assert_cmpmem(buf, 2, "\x03\x04", 2);

    /* A read-only alias of RAM protects the RAM through it only. */
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    memory_region_init_alias(&ro_alias, NULL, "ro", &ram, 0, 0x1000);
    memory_region_set_readonly(&ro_alias, true);
    memory_region_add_subregion(&f.root, 0, &ram);
    memory_region_add_subregion(&f.root, 0x2000, &ro_alias);
    address_space_write(&f.as, 0x2000, MEMTXATTRS_UNSPECIFIED, "\x77", 1);
    g_assert_cmpuint(((uint8_t *)memory_region_get_ram_ptr(&ram))[0], ==, 0);
    address_space_write(&f.as, 0x0, MEMTXATTRS_UNSPECIFIED, "\x77", 1);
    address_space_read(&f.as, 0x2000, MEMTXATTRS_UNSPECIFIED, buf, 1);
    g_assert_cmpuint(buf[0], ==, 0x77);
    g_assert_true(memory_region_get_ram_ptr(&ro_alias) ==
                  memory_region_get_ram_ptr(&ram));

    memory_region_finalize(&ro_alias);
    memory_region_finalize(&ram);
    memory_region_finalize(&rom);
    fixture_fini(&f);
}

static void test_map_unmap(void)
{
    Fixture f;
    MemoryRegion ram, io;
    TestDev *d = testdev_new();
    hwaddr len;
    uint8_t *p, *q;

    fixture_init(&f);
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x2000, NULL));
    memory_region_init_io(&io, NULL, &ops_valid14_impl1, d, "dev", 0x100);
    memory_region_add_subregion(&f.root, 0, &ram);
    memory_region_add_subregion(&f.root, 0x4000, &io);

    /* RAM: a direct pointer, clipped to the contiguous part. */
    len = 0x3000;
    p = address_space_map(&f.as, 0x1800, &len, true, MEMTXATTRS_UNSPECIFIED);
    g_assert_true(p == (uint8_t *)memory_region_get_ram_ptr(&ram) + 0x1800);
    g_assert_cmphex(len, ==, 0x800);
    p[0] = 0x42;
    address_space_unmap(&f.as, p, len, true, 1);
    g_assert_cmphex(
        address_space_ldl_le(&f.as, 0x1800, MEMTXATTRS_UNSPECIFIED, NULL), ==,
        0x42);

    /* I/O: a bounce buffer filled by a read... */
    len = 0x10;
    p = address_space_map(&f.as, 0x4020, &len, false, MEMTXATTRS_UNSPECIFIED);
    g_assert_nonnull(p);
    g_assert_cmphex(len, ==, 0x10);
    g_assert_cmphex(p[0], ==, 0x20);
    g_assert_cmphex(p[15], ==, 0x2f);
    /* ...and only one at a time. */
    len = 4;
    q = address_space_map(&f.as, 0x4000, &len, true, MEMTXATTRS_UNSPECIFIED);
    g_assert_null(q);
    g_assert_cmphex(len, ==, 0);
    address_space_unmap(&f.as, p, 0x10, false, 0x10);

    /* A write bounce is copied back on unmap, access_len bytes. */
    len = 8;
    p = address_space_map(&f.as, 0x4040, &len, true, MEMTXATTRS_UNSPECIFIED);
    g_assert_nonnull(p);
    memset(p, 0xee, 8);
    address_space_unmap(&f.as, p, 8, true, 2);
    g_assert_cmphex(d->regs[0x40], ==, 0xee);
    g_assert_cmphex(d->regs[0x41], ==, 0xee);
    g_assert_cmphex(d->regs[0x42], ==, 0x42);

    /* Nothing mapped: NULL. */
    len = 4;
    g_assert_null(
        address_space_map(&f.as, 0x8000, &len, false, MEMTXATTRS_UNSPECIFIED));
    g_assert_cmphex(len, ==, 0);

    memory_region_finalize(&io);
    memory_region_finalize(&ram);
    fixture_fini(&f);
    testdev_free(d);
}

/* ---- the machine's roots and info mtree ---- */

static void test_system_roots_mtree(void)
{
    MemoryRegion ram, alias, dev, hidden;
    TestDev *d = testdev_new();
    GString *out = g_string_new("");
    uint8_t b = 0;

    memory_init();
    g_assert_cmpstr(address_space_memory.name, ==, "memory");
    g_assert_cmpstr(address_space_io.name, ==, "I/O");
    g_assert_true(get_system_memory()->size_is_2_64);
    g_assert_cmphex(memory_region_size(get_system_io()), ==, 0x10000);

    /* Ports nobody claims read as all-ones. */
    address_space_read(&address_space_io, 0x80, MEMTXATTRS_UNSPECIFIED, &b, 1);
    g_assert_cmphex(b, ==, 0xff);

    g_assert_true(
        memory_region_init_ram(&ram, NULL, "pc.ram", 0x8000000, NULL));
    memory_region_init_alias(&alias, NULL, "ram-below-4g", &ram, 0, 0x8000000);
    memory_region_add_subregion(get_system_memory(), 0, &alias);
    memory_region_init_io(&dev, NULL, &ops_valid14_impl1, d, "serial", 8);
    memory_region_add_subregion(get_system_io(), 0x3f8, &dev);
    memory_region_init_io(&hidden, NULL, &ops_valid14_impl1, d, "hidden", 8);
    memory_region_set_enabled(&hidden, false);
    memory_region_add_subregion(get_system_io(), 0x2f8, &hidden);

    memory_info_mtree(out, false);
    g_assert_cmpstr(
        out->str, ==,
        "address-space: memory\n"
        "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
        "    0000000000000000-0000000007ffffff (prio 0, ram): "
        "alias ram-below-4g @pc.ram "
        "0000000000000000-0000000007ffffff\n"
        "\n"
        "address-space: I/O\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
        "    00000000000003f8-00000000000003ff (prio 0, i/o): "
        "serial\n"
        "\n"
        "memory-region: pc.ram\n"
        "  0000000000000000-0000000007ffffff (prio 0, ram): "
        "pc.ram\n"
        "\n");
    g_string_truncate(out, 0);
    memory_info_mtree(out, true);
    g_assert_cmpstr(out->str, ==,
                    "FlatView #0\n"
                    " AS \"memory\", root: system\n"
                    " Root memory region: system\n"
                    "  0000000000000000-0000000007ffffff (prio 0, ram): "
                    "pc.ram\n"
                    "\n"
                    "FlatView #1\n"
                    " AS \"I/O\", root: io\n"
                    " Root memory region: io\n"
                    "  0000000000000000-00000000000003f7 (prio 0, i/o): io\n"
                    "  00000000000003f8-00000000000003ff (prio 0, i/o): "
                    "serial\n"
                    "  0000000000000400-000000000000ffff (prio 0, i/o): io "
                    "@0000000000000400\n"
                    "\n");

    /* The serial port now answers on the I/O space. */
    address_space_read(&address_space_io, 0x3f9, MEMTXATTRS_UNSPECIFIED, &b, 1);
    g_assert_cmphex(b, ==, 0x01);

    memory_region_finalize(&hidden);
    memory_region_finalize(&dev);
    memory_region_finalize(&alias);
    memory_region_finalize(&ram);
    g_string_free(out, true);
    testdev_free(d);
}

static void test_ram_alloc_failure(void)
{
    MemoryRegion mr;
    Error *err = NULL;

    g_assert_false(
        memory_region_init_ram(&mr, NULL, "huge", UINT64_MAX - 1, &err));
    g_assert_nonnull(err);
    g_assert_true(g_str_has_prefix(error_get_pretty(err),
                                   "cannot set up guest memory 'huge'"));
    error_free(err);
}

/* ---- concurrency: readers hold views while the tree changes ---- */

typedef struct ReaderArgs {
    AddressSpace *as;
    gint stop;
    unsigned iterations;
} ReaderArgs;

static gpointer reader_thread(gpointer opaque)
{
    ReaderArgs *a = opaque;

    while (!g_atomic_int_get(&a->stop)) {
        FlatView *fv = address_space_get_flatview(a->as);
        uint8_t b;
        /* Every range of a view we hold must stay readable. */
        for (unsigned i = 0; i < fv->nr; i++) {
            g_assert_nonnull(fv->ranges[i].mr);
        }
        flatview_unref(fv);
        address_space_read(a->as, 0x800, MEMTXATTRS_UNSPECIFIED, &b, 1);
        g_atomic_int_inc((gint *)&a->iterations);
    }
    return NULL;
}

static void test_concurrent_readers(void)
{
    Fixture f;
    MemoryRegion ram, over;
    ReaderArgs args = {0};
    GThread *t;

    fixture_init(&f);
    g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    g_assert_true(memory_region_init_ram(&over, NULL, "over", 0x100, NULL));
    memory_region_add_subregion(&f.root, 0, &ram);
    args.as = &f.as;
    t = g_thread_new("reader", reader_thread, &args);
    /* Changes overlap the reader's work: start once it runs. */
    while (!g_atomic_int_get((gint *)&args.iterations)) {
        g_thread_yield();
    }
    for (int i = 0; i < 2000; i++) {
        memory_region_add_subregion_overlap(&f.root, (i % 16) * 0x100, &over,
                                            1);
        memory_region_del_subregion(&f.root, &over);
    }
    g_atomic_int_set(&args.stop, 1);
    g_thread_join(t);
    g_assert_cmpuint(args.iterations, >, 0);
    memory_region_finalize(&over);
    memory_region_finalize(&ram);
    fixture_fini(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Guest mistakes are logged; keep them visible under -d-like use. */
    qemu_log_set_mask(0);
    g_test_add_func("/memory/render/empty", test_render_empty);
    g_test_add_func("/memory/render/overlap-priority",
                    test_render_overlap_priority);
    g_test_add_func("/memory/render/equal-priority",
                    test_render_equal_priority);
    g_test_add_func("/memory/render/alias-container",
                    test_render_alias_container);
    g_test_add_func("/memory/render/region-with-subregions",
                    test_render_region_with_subregions);
    g_test_add_func("/memory/render/disable", test_render_disable);
    g_test_add_func("/memory/render/top-of-space", test_render_top_of_space);
    g_test_add_func("/memory/flatview/find", test_flatview_find);
    g_test_add_func("/memory/listener/sequence", test_listener);
    g_test_add_func("/memory/listener/reentrant", test_listener_reentrant);
    g_test_add_func("/memory/listener/priority", test_listener_priority_order);
    g_test_add_func("/memory/dispatch/split-combine",
                    test_dispatch_split_combine);
    g_test_add_func("/memory/dispatch/big-endian", test_dispatch_big_endian);
    g_test_add_func("/memory/dispatch/accepts-attrs",
                    test_dispatch_accepts_attrs);
    g_test_add_func("/memory/as/rw", test_as_rw);
    g_test_add_func("/memory/as/rom", test_rom);
    g_test_add_func("/memory/as/map-unmap", test_map_unmap);
    g_test_add_func("/memory/system/mtree", test_system_roots_mtree);
    g_test_add_func("/memory/ram/alloc-failure", test_ram_alloc_failure);
    g_test_add_func("/memory/concurrent-readers", test_concurrent_readers);
    return g_test_run();
}
