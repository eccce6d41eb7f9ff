/*
 * The memory API: region tree, FlatView rendering, listeners, dispatch.
 *
 * Overview.  Devices and machines build a tree of MemoryRegions (see
 * system/memory.h).  Every change to the tree marks an update pending; the
 * outermost memory_region_transaction_commit() then renders each address
 * space's root into a new FlatView (a sorted array of non-overlapping
 * sections), tells that address space's listeners what changed (old and
 * new views are diffed: region_del for ranges that vanished, region_add for
 * new ones, region_nop for those that stayed), and publishes the new view.
 *
 * Rendering walks the tree from the root: a region's subregions are
 * visited highest priority first (equal priority: most recently added
 * first), and each terminal region (RAM, ROM, I/O) only fills the parts of
 * its range that nothing rendered before it claimed.  So higher priority
 * wins, a region is drawn over by its own subregions, disabled regions and
 * everything below them are invisible, and aliases are rendered as the
 * window of their target they cover.  Addresses are computed in 128 bits
 * so that a 2^64-byte root and aliases with large offsets cannot wrap.
 *
 * Readers (vCPU threads, DMA) take a reference on the current FlatView
 * with address_space_get_flatview(); the pointer swap and the reference
 * are done under a small lock, so the view a reader holds stays valid
 * until it drops it, however often the tree changes meanwhile.  The tree
 * itself is changed only on the main thread with the big lock held.
 *
 * Dispatch to I/O regions enforces the ops table's access sizes: `valid`
 * is what the guest may do (anything else fails with MEMTX_ERROR and a
 * guest_errors log line), `impl` is what the callbacks handle; the core
 * splits wider accesses and widens narrower ones, and converts between
 * the guest's (little-endian) byte order and a big-endian device's.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "system/memory.h"
#include "util/log.h"

typedef __int128 Addr128; /* signed: alias bases may lie below zero */

#define ADDR_2_64     ((Addr128)1 << 64)
#define RAM_PAGE_SIZE 4096
#define BOUNCE_MAX    4096

/* A range while rendering: [start, end) of the address space. */
typedef struct FlatRange {
    Addr128 start, end;
    MemoryRegion *mr;
    hwaddr offset; /* of start within mr */
    bool readonly;
} FlatRange;

static GPtrArray *address_spaces; /* AddressSpace*, in creation order */
static unsigned transaction_depth;
static bool update_pending;
static unsigned subregion_order;
static GMutex flatview_lock; /* protects as->current_map swaps and refs */

static MemoryRegion system_memory;
static MemoryRegion system_io;
static bool memory_initialized;
AddressSpace address_space_memory;
AddressSpace address_space_io;

/* ---- Regions ---- */

static Addr128 mr_size128(const MemoryRegion *mr)
{
    return mr->size_is_2_64 ? ADDR_2_64 : (Addr128)mr->size;
}

static void mr_store_size(MemoryRegion *mr, uint64_t size)
{
    /* As in QEMU, UINT64_MAX stands for the whole 2^64 space. */
    mr->size = size;
    mr->size_is_2_64 = size == UINT64_MAX;
}

static void mark_update(void)
{
    memory_region_transaction_begin();
    update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_init(MemoryRegion *mr, DeviceState *owner, const char *name,
                        uint64_t size)
{
    memset(mr, 0, sizeof(*mr));
    mr->kind = MR_CONTAINER;
    mr->name = g_strdup(name);
    mr->owner = owner;
    mr_store_size(mr, size);
    mr->enabled = true;
    mr->subregions = g_ptr_array_new();
}

void memory_region_init_io(MemoryRegion *mr, DeviceState *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size)
{
    memory_region_init(mr, owner, name, size);
    mr->kind = MR_IO;
    mr->ops = ops;
    mr->opaque = opaque;
}

static bool ram_alloc(MemoryRegion *mr, uint64_t size, Error **errp)
{
    void *p;

    if (size == 0) {
        return true;
    }
    if (mr->size_is_2_64 || size > (uint64_t)SIZE_MAX) {
        error_setg(errp, "cannot set up guest memory '%s': size too large",
                   mr->name);
        return false;
    }
    /* Anonymous pages are zeroed and only backed when touched. */
    p = mmap(NULL, size, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot set up guest memory '%s'",
                         mr->name);
        return false;
    }
    mr->ram_ptr = p;
    mr->ram_owned = true;
    mr->ram_alloc_size = size;
    return true;
}

bool memory_region_init_ram(MemoryRegion *mr, DeviceState *owner,
                            const char *name, uint64_t size, Error **errp)
{
    memory_region_init(mr, owner, name, size);
    mr->kind = MR_RAM;
    if (!ram_alloc(mr, size, errp)) {
        memory_region_finalize(mr);
        return false;
    }
    return true;
}

bool memory_region_init_rom(MemoryRegion *mr, DeviceState *owner,
                            const char *name, uint64_t size, Error **errp)
{
    if (!memory_region_init_ram(mr, owner, name, size, errp)) {
        return false;
    }
    mr->kind = MR_ROM;
    mr->readonly = true;
    return true;
}

void memory_region_init_ram_ptr(MemoryRegion *mr, DeviceState *owner,
                                const char *name, uint64_t size, void *ptr)
{
    memory_region_init(mr, owner, name, size);
    mr->kind = MR_RAM;
    mr->ram_ptr = ptr;
}

void memory_region_init_alias(MemoryRegion *mr, DeviceState *owner,
                              const char *name, MemoryRegion *orig,
                              hwaddr offset, uint64_t size)
{
    memory_region_init(mr, owner, name, size);
    mr->kind = MR_ALIAS;
    mr->alias = orig;
    mr->alias_offset = offset;
}

void memory_region_finalize(MemoryRegion *mr)
{
    if (mr->container) {
        memory_region_del_subregion(mr->container, mr);
    }
    if (mr->subregions) {
        for (guint i = 0; i < mr->subregions->len; i++) {
            MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);
            sub->container = NULL;
        }
        if (mr->subregions->len) {
            mark_update();
        }
        g_ptr_array_free(mr->subregions, true);
        mr->subregions = NULL;
    }
    if (mr->ram_owned && mr->ram_ptr) {
        munmap(mr->ram_ptr, mr->ram_alloc_size);
    }
    mr->ram_ptr = NULL;
    mr->ram_owned = false;
    g_free(mr->dirty_bitmap);
    mr->dirty_bitmap = NULL;
    g_free(mr->name);
    mr->name = NULL;
}

static void add_subregion_common(MemoryRegion *mr, hwaddr offset,
                                 MemoryRegion *sub, int priority)
{
    guint i;

    /* A region has one place in the tree: a second add is a caller bug. */
    g_assert(!sub->container);
    g_assert(sub != mr);
    sub->container = mr;
    sub->addr = offset;
    sub->priority = priority;
    sub->order = ++subregion_order;
    /* Highest priority first; a newcomer goes before equal priorities. */
    for (i = 0; i < mr->subregions->len; i++) {
        MemoryRegion *other = g_ptr_array_index(mr->subregions, i);
        if (priority >= other->priority) {
            break;
        }
    }
    g_ptr_array_insert(mr->subregions, i, sub);
    mark_update();
}

void memory_region_add_subregion(MemoryRegion *mr, hwaddr offset,
                                 MemoryRegion *subregion)
{
    add_subregion_common(mr, offset, subregion, 0);
}

void memory_region_add_subregion_overlap(MemoryRegion *mr, hwaddr offset,
                                         MemoryRegion *subregion, int priority)
{
    add_subregion_common(mr, offset, subregion, priority);
}

void memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *subregion)
{
    g_assert(subregion->container == mr);
    g_ptr_array_remove(mr->subregions, subregion);
    subregion->container = NULL;
    mark_update();
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled == enabled) {
        return;
    }
    mr->enabled = enabled;
    mark_update();
}

void memory_region_set_address(MemoryRegion *mr, hwaddr addr)
{
    if (mr->addr == addr) {
        return;
    }
    mr->addr = addr;
    mark_update();
}

void memory_region_set_size(MemoryRegion *mr, uint64_t size)
{
    if (mr->size == size) {
        return;
    }
    /* Owned RAM cannot grow past what was allocated for it. */
    if (mr->ram_owned && size > mr->ram_alloc_size) {
        size = mr->ram_alloc_size;
    }
    mr_store_size(mr, size);
    mark_update();
}

void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset)
{
    if (mr->alias_offset == offset) {
        return;
    }
    mr->alias_offset = offset;
    mark_update();
}

void memory_region_set_readonly(MemoryRegion *mr, bool readonly)
{
    if (mr->readonly == readonly) {
        return;
    }
    mr->readonly = readonly;
    mark_update();
}

uint64_t memory_region_size(const MemoryRegion *mr)
{
    return mr->size;
}

const char *memory_region_name(const MemoryRegion *mr)
{
    return mr->name ? mr->name : "";
}

bool memory_region_is_ram(const MemoryRegion *mr)
{
    return mr->kind == MR_RAM || mr->kind == MR_ROM;
}

bool memory_region_is_rom(const MemoryRegion *mr)
{
    return mr->kind == MR_ROM || (mr->kind == MR_RAM && mr->readonly);
}

void *memory_region_get_ram_ptr(MemoryRegion *mr)
{
    hwaddr offset = 0;

    while (mr->kind == MR_ALIAS && mr->alias) {
        offset += mr->alias_offset;
        mr = mr->alias;
    }
    if (!memory_region_is_ram(mr) || !mr->ram_ptr) {
        return NULL;
    }
    return mr->ram_ptr + offset;
}

/* ---- Rendering ---- */

/* Index of the first range whose end is beyond addr. */
static guint ranges_search(GArray *ranges, Addr128 addr)
{
    guint lo = 0, hi = ranges->len;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(ranges, FlatRange, mid).end <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Claims the unclaimed parts of [s, e) for mr, which starts at base. */
static void render_fill(GArray *ranges, MemoryRegion *mr, Addr128 base,
                        Addr128 s, Addr128 e, bool readonly)
{
    guint i = ranges_search(ranges, s);
    Addr128 cur = s;

    while (cur < e) {
        Addr128 next = e;

        if (i < ranges->len) {
            FlatRange *r = &g_array_index(ranges, FlatRange, i);
            if (r->start <= cur) {
                cur = r->end;
                i++;
                continue;
            }
            if (r->start < e) {
                next = r->start;
            }
        }
        FlatRange fr = {
            .start = cur,
            .end = next,
            .mr = mr,
            .offset = (hwaddr)(cur - base),
            .readonly = readonly,
        };
        g_array_insert_val(ranges, i, fr);
        i++;
        cur = next;
    }
}

static void render_region(GArray *ranges, MemoryRegion *mr, Addr128 base,
                          Addr128 clip_s, Addr128 clip_e, bool readonly)
{
    Addr128 s, e;

    if (!mr->enabled) {
        return;
    }
    s = MAX(base, clip_s);
    e = MIN(base + mr_size128(mr), clip_e);
    if (s >= e) {
        return;
    }
    readonly |= mr->readonly;
    if (mr->kind == MR_ALIAS) {
        if (mr->alias) {
            render_region(ranges, mr->alias, base - (Addr128)mr->alias_offset,
                          s, e, readonly);
        }
        return;
    }
    for (guint i = 0; i < mr->subregions->len; i++) {
        MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);
        render_region(ranges, sub, base + (Addr128)sub->addr, s, e, readonly);
    }
    if (mr->kind != MR_CONTAINER) {
        render_fill(ranges, mr, base, s, e, readonly);
    }
}

static bool ranges_mergeable(const FlatRange *a, const FlatRange *b)
{
    return a->end == b->start && a->mr == b->mr && a->readonly == b->readonly &&
           (Addr128)a->offset + (a->end - a->start) == (Addr128)b->offset;
}

static void section_append(GArray *out, const FlatRange *r, Addr128 start,
                           Addr128 end)
{
    MemoryRegionSection sec = {
        .mr = r->mr,
        .offset_within_region = r->offset + (hwaddr)(start - r->start),
        .offset_within_address_space = (hwaddr)start,
        .size = (uint64_t)(end - start),
        .readonly = r->readonly,
    };
    g_array_append_val(out, sec);
}

static FlatView *flatview_render(MemoryRegion *root)
{
    GArray *ranges = g_array_new(false, false, sizeof(FlatRange));
    GArray *out = g_array_new(false, false, sizeof(MemoryRegionSection));
    FlatView *fv = g_new0(FlatView, 1);

    if (root) {
        render_region(ranges, root, 0, 0, ADDR_2_64, false);
    }
    /* Join pieces of one region that ended up next to each other. */
    for (guint i = 0; i < ranges->len;) {
        FlatRange r = g_array_index(ranges, FlatRange, i);
        guint j = i + 1;

        while (j < ranges->len &&
               ranges_mergeable(&r, &g_array_index(ranges, FlatRange, j))) {
            r.end = g_array_index(ranges, FlatRange, j).end;
            j++;
        }
        if (r.end - r.start == ADDR_2_64) {
            /* A 2^64 range does not fit a section's size: two halves. */
            Addr128 half = ADDR_2_64 / 2;
            section_append(out, &r, 0, half);
            section_append(out, &r, half, ADDR_2_64);
        } else {
            section_append(out, &r, r.start, r.end);
        }
        i = j;
    }
    g_array_free(ranges, true);
    fv->ref = 1;
    fv->nr = out->len;
    fv->ranges = (MemoryRegionSection *)g_array_free(out, false);
    fv->root = root;
    return fv;
}

static void flatview_ref(FlatView *fv)
{
    g_atomic_int_inc(&fv->ref);
}

void flatview_unref(FlatView *fv)
{
    if (fv && g_atomic_int_dec_and_test(&fv->ref)) {
        g_free(fv->ranges);
        g_free(fv);
    }
}

FlatView *address_space_get_flatview(AddressSpace *as)
{
    FlatView *fv;

    g_mutex_lock(&flatview_lock);
    fv = as->current_map;
    flatview_ref(fv);
    g_mutex_unlock(&flatview_lock);
    return fv;
}

MemoryRegionSection flatview_find(FlatView *fv, hwaddr addr)
{
    unsigned lo = 0, hi = fv->nr;
    MemoryRegionSection sec = {.offset_within_address_space = addr};

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const MemoryRegionSection *r = &fv->ranges[mid];
        if (addr < r->offset_within_address_space) {
            hi = mid;
        } else if (addr - r->offset_within_address_space >= r->size) {
            lo = mid + 1;
        } else {
            hwaddr delta = addr - r->offset_within_address_space;
            sec = *r;
            sec.offset_within_region += delta;
            sec.offset_within_address_space = addr;
            sec.size -= delta;
            return sec;
        }
    }
    /* A hole: up to the next range, or to the end of the space. */
    if (lo < fv->nr) {
        sec.size = fv->ranges[lo].offset_within_address_space - addr;
    } else {
        sec.size = addr ? (uint64_t)(ADDR_2_64 - addr) : UINT64_MAX;
    }
    return sec;
}

/* ---- Listeners ---- */

static bool section_equal(const MemoryRegionSection *a,
                          const MemoryRegionSection *b)
{
    return a->mr == b->mr &&
           a->offset_within_address_space == b->offset_within_address_space &&
           a->size == b->size &&
           a->offset_within_region == b->offset_within_region &&
           a->readonly == b->readonly;
}

typedef enum ListenerCall { CALL_ADD, CALL_DEL, CALL_NOP } ListenerCall;

static void listeners_section(AddressSpace *as, ListenerCall what,
                              MemoryRegionSection *sec)
{
    GPtrArray *ls = as->listeners;

    /* Deletions in reverse priority order, additions in forward order. */
    for (guint k = 0; k < ls->len; k++) {
        guint idx = what == CALL_DEL ? ls->len - 1 - k : k;
        MemoryListener *l = g_ptr_array_index(ls, idx);
        MemoryRegionSection copy = *sec;

        if (what == CALL_ADD && l->region_add) {
            l->region_add(l, &copy);
        } else if (what == CALL_DEL && l->region_del) {
            l->region_del(l, &copy);
        } else if (what == CALL_NOP && l->region_nop) {
            l->region_nop(l, &copy);
        }
    }
}

/*
 * One pass over the old and new views in address order.  The deleting
 * pass reports ranges of old that are not in new; the adding pass reports
 * ranges of new that are not in old (add) or are in both (nop).
 */
static void topology_pass(AddressSpace *as, FlatView *old, FlatView *new,
                          bool adding)
{
    unsigned io = 0, in = 0;

    while (io < old->nr || in < new->nr) {
        MemoryRegionSection *o = io < old->nr ? &old->ranges[io] : NULL;
        MemoryRegionSection *n = in < new->nr ? &new->ranges[in] : NULL;

        if (o && n && section_equal(o, n)) {
            if (adding) {
                listeners_section(as, CALL_NOP, n);
            }
            io++;
            in++;
        } else if (o && (!n || o->offset_within_address_space <=
                                   n->offset_within_address_space)) {
            if (!adding) {
                listeners_section(as, CALL_DEL, o);
            }
            io++;
        } else {
            if (adding) {
                listeners_section(as, CALL_ADD, n);
            }
            in++;
        }
    }
}

static void listeners_call_all(bool begin)
{
    if (!address_spaces) {
        return;
    }
    for (guint i = 0; i < address_spaces->len; i++) {
        AddressSpace *as = g_ptr_array_index(address_spaces, i);
        for (guint k = 0; k < as->listeners->len; k++) {
            MemoryListener *l = g_ptr_array_index(as->listeners, k);
            if (begin && l->begin) {
                l->begin(l);
            } else if (!begin && l->commit) {
                l->commit(l);
            }
        }
    }
}

static void address_space_update(AddressSpace *as)
{
    FlatView *old = as->current_map;
    FlatView *new = flatview_render(as->root);

    if (as->listeners->len) {
        topology_pass(as, old, new, false);
        topology_pass(as, old, new, true);
    }
    g_mutex_lock(&flatview_lock);
    as->current_map = new;
    g_mutex_unlock(&flatview_lock);
    flatview_unref(old);
}

void memory_region_transaction_begin(void)
{
    transaction_depth++;
}

void memory_region_transaction_commit(void)
{
    static bool committing;

    g_assert(transaction_depth > 0);
    if (--transaction_depth > 0 || !update_pending || committing) {
        /* A listener changing the tree is picked up by the loop below. */
        return;
    }
    committing = true;
    while (update_pending && address_spaces) {
        update_pending = false;
        listeners_call_all(true);
        for (guint i = 0; i < address_spaces->len; i++) {
            address_space_update(g_ptr_array_index(address_spaces, i));
        }
        listeners_call_all(false);
    }
    update_pending = false;
    committing = false;
}

void memory_listener_register(MemoryListener *l, AddressSpace *as)
{
    guint i;
    FlatView *fv;

    l->as = as;
    for (i = 0; i < as->listeners->len; i++) {
        MemoryListener *other = g_ptr_array_index(as->listeners, i);
        if (l->priority < other->priority) {
            break;
        }
    }
    g_ptr_array_insert(as->listeners, i, l);

    /* Replay the current view to the newcomer alone. */
    fv = address_space_get_flatview(as);
    if (l->begin) {
        l->begin(l);
    }
    for (unsigned k = 0; k < fv->nr; k++) {
        MemoryRegionSection copy = fv->ranges[k];
        if (l->region_add) {
            l->region_add(l, &copy);
        }
    }
    if (l->commit) {
        l->commit(l);
    }
    flatview_unref(fv);
}

void memory_listener_unregister(MemoryListener *l)
{
    AddressSpace *as = l->as;
    FlatView *fv;

    if (!as) {
        return;
    }
    fv = address_space_get_flatview(as);
    if (l->begin) {
        l->begin(l);
    }
    for (unsigned k = fv->nr; k > 0; k--) {
        MemoryRegionSection copy = fv->ranges[k - 1];
        if (l->region_del) {
            l->region_del(l, &copy);
        }
    }
    if (l->commit) {
        l->commit(l);
    }
    flatview_unref(fv);
    g_ptr_array_remove(as->listeners, l);
    l->as = NULL;
}

/* ---- Address spaces ---- */

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name)
{
    memset(as, 0, sizeof(*as));
    as->name = g_strdup(name);
    as->root = root;
    as->listeners = g_ptr_array_new();
    as->current_map = flatview_render(root);
    if (!address_spaces) {
        address_spaces = g_ptr_array_new();
    }
    g_ptr_array_add(address_spaces, as);
}

void address_space_destroy(AddressSpace *as)
{
    while (as->listeners->len) {
        memory_listener_unregister(g_ptr_array_index(as->listeners, 0));
    }
    g_ptr_array_remove(address_spaces, as);
    g_ptr_array_free(as->listeners, true);
    flatview_unref(as->current_map);
    g_free(as->bounce.buffer);
    g_free(as->name);
    memset(as, 0, sizeof(*as));
}

void address_space_foreach(void (*fn)(AddressSpace *as, void *opaque),
                           void *opaque)
{
    if (!address_spaces) {
        return;
    }
    for (guint i = 0; i < address_spaces->len; i++) {
        fn(g_ptr_array_index(address_spaces, i), opaque);
    }
}

/* ---- Dispatch ---- */

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void store_le(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = v >> (8 * i);
    }
}

void (*memory_ram_write_notify)(void *host, uint64_t len);

static void ram_mark_dirty(MemoryRegion *mr, hwaddr off, hwaddr len)
{
    if (memory_ram_write_notify && mr->ram_ptr && len) {
        memory_ram_write_notify(mr->ram_ptr + off, len);
    }
    if (!mr->dirty_bitmap || !len) {
        return;
    }
    for (hwaddr page = off / RAM_PAGE_SIZE;
         page <= (off + len - 1) / RAM_PAGE_SIZE; page++) {
        mr->dirty_bitmap[page / (8 * sizeof(unsigned long))] |=
            1UL << (page % (8 * sizeof(unsigned long)));
    }
}

static const char *access_kind(bool is_write)
{
    return is_write ? "write" : "read";
}

static bool io_access_valid(MemoryRegion *mr, hwaddr addr, unsigned size,
                            bool is_write, MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned min = ops->valid.min_access_size ? ops->valid.min_access_size : 1;
    unsigned max = ops->valid.max_access_size ? ops->valid.max_access_size : 4;

    if (size == 0 || size > 8 || (size & (size - 1)) || size < min ||
        size > max) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "Invalid %s of size %u at 0x%" HWADDR_PRIx
                      " in region '%s' (valid sizes %u..%u)\n",
                      access_kind(is_write), size, addr, memory_region_name(mr),
                      min, max);
        return false;
    }
    if (!ops->valid.unaligned && (addr & (size - 1))) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "Invalid unaligned %s of size %u at 0x%" HWADDR_PRIx
                      " in region '%s'\n",
                      access_kind(is_write), size, addr,
                      memory_region_name(mr));
        return false;
    }
    if (ops->valid.accepts &&
        !ops->valid.accepts(mr->opaque, addr, size, is_write, attrs)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "Invalid %s of size %u at 0x%" HWADDR_PRIx
                      " in region '%s' (refused by the device)\n",
                      access_kind(is_write), size, addr,
                      memory_region_name(mr));
        return false;
    }
    return true;
}

static MemTxResult io_call(MemoryRegion *mr, hwaddr addr, uint64_t *v,
                           unsigned size, MemTxAttrs attrs, bool is_write)
{
    const MemoryRegionOps *ops = mr->ops;

    if (is_write) {
        if (ops->write_with_attrs) {
            return ops->write_with_attrs(mr->opaque, addr, *v, size, attrs);
        }
        if (ops->write) {
            ops->write(mr->opaque, addr, *v, size);
        }
        return MEMTX_OK;
    }
    if (ops->read_with_attrs) {
        return ops->read_with_attrs(mr->opaque, addr, v, size, attrs);
    }
    /* A write-only device reads as zero. */
    *v = ops->read ? ops->read(mr->opaque, addr, size) : 0;
    return MEMTX_OK;
}

/*
 * Performs a valid access of size bytes at addr through callbacks that
 * take impl sizes: the access is cut into impl-sized chunks (aligned to
 * their size unless impl.unaligned), each byte moved between the guest's
 * little-endian value and the device's byte order.  A narrow write into a
 * wider chunk passes zeros in the other bytes (no read-modify-write).
 */
static MemTxResult io_access(MemoryRegion *mr, hwaddr addr, uint64_t *value,
                             unsigned size, MemTxAttrs attrs, bool is_write)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned imin = ops->impl.min_access_size ? ops->impl.min_access_size : 1;
    unsigned imax = ops->impl.max_access_size ? ops->impl.max_access_size : 4;
    unsigned asz = MIN(MAX(size, imin), imax);
    bool big = ops->endianness == DEVICE_BIG_ENDIAN;
    Addr128 start = ops->impl.unaligned ? addr : addr & ~(hwaddr)(asz - 1);
    Addr128 end = (Addr128)addr + size;
    uint64_t out = 0;
    MemTxResult r = MEMTX_OK;

    if (asz == size && (start == addr) && !big) {
        /* The common case: one call, nothing to rearrange. */
        uint64_t v = *value & size_mask(size);
        r = io_call(mr, addr, &v, size, attrs, is_write);
        if (!is_write) {
            *value = v & size_mask(size);
        }
        return r;
    }
    for (Addr128 a = start; a < end; a += asz) {
        uint64_t chunk = 0;

        if (is_write) {
            for (unsigned k = 0; k < asz; k++) {
                Addr128 pos = a + k - addr;
                if (pos >= 0 && pos < size) {
                    uint64_t byte = (*value >> (8 * pos)) & 0xff;
                    chunk |= byte << (8 * (big ? asz - 1 - k : k));
                }
            }
            r |= io_call(mr, (hwaddr)a, &chunk, asz, attrs, true);
        } else {
            r |= io_call(mr, (hwaddr)a, &chunk, asz, attrs, false);
            for (unsigned k = 0; k < asz; k++) {
                Addr128 pos = a + k - addr;
                if (pos >= 0 && pos < size) {
                    uint64_t byte =
                        (chunk >> (8 * (big ? asz - 1 - k : k))) & 0xff;
                    out |= byte << (8 * pos);
                }
            }
        }
    }
    if (!is_write) {
        *value = out;
    }
    return r;
}

static bool ram_range_ok(MemoryRegion *mr, hwaddr addr, unsigned size,
                         bool is_write)
{
    if (mr->ram_ptr && addr < mr->size && size <= mr->size - addr) {
        return true;
    }
    qemu_log_mask(LOG_GUEST_ERROR,
                  "Invalid %s of size %u at 0x%" HWADDR_PRIx
                  " beyond RAM region '%s'\n",
                  access_kind(is_write), size, addr, memory_region_name(mr));
    return false;
}

static MemTxResult dispatch(MemoryRegion *mr, hwaddr addr, uint64_t *data,
                            unsigned size, MemTxAttrs attrs, bool is_write)
{
    while (mr->kind == MR_ALIAS && mr->alias) {
        addr += mr->alias_offset;
        mr = mr->alias;
    }
    switch (mr->kind) {
    case MR_RAM:
    case MR_ROM:
        if (is_write && mr->rom_device && mr->ops) {
            break; /* flash: writes go to the ops */
        }
        if (!ram_range_ok(mr, addr, size, is_write)) {
            if (!is_write) {
                *data = size_mask(size);
            }
            return MEMTX_DECODE_ERROR;
        }
        if (is_write) {
            if (!mr->readonly) {
                store_le(mr->ram_ptr + addr, *data, size);
                ram_mark_dirty(mr, addr, size);
            }
        } else {
            *data = load_le(mr->ram_ptr + addr, size);
        }
        return MEMTX_OK;
    case MR_IO:
        if (mr->ops) {
            break;
        }
        /* I/O without ops behaves as unassigned. */
        __attribute__((fallthrough));
    default:
        qemu_log_mask(
            LOG_GUEST_ERROR,
            "Unassigned %s of size %u at 0x%" HWADDR_PRIx " in region '%s'\n",
            access_kind(is_write), size, addr, memory_region_name(mr));
        if (!is_write) {
            *data = size_mask(size);
        }
        return MEMTX_DECODE_ERROR;
    }
    if (!io_access_valid(mr, addr, size, is_write, attrs)) {
        if (!is_write) {
            *data = size_mask(size);
        }
        return MEMTX_ERROR;
    }
    return io_access(mr, addr, data, size, attrs, is_write);
}

MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr addr,
                                        uint64_t *data, unsigned size,
                                        MemTxAttrs attrs)
{
    return dispatch(mr, addr, data, size, attrs, false);
}

MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr addr,
                                         uint64_t data, unsigned size,
                                         MemTxAttrs attrs)
{
    return dispatch(mr, addr, &data, size, attrs, true);
}

/* The largest access the ops allow at off for up to l bytes. */
static unsigned io_access_size(MemoryRegion *mr, hwaddr off, hwaddr l)
{
    unsigned max = 4;

    if (mr->ops && mr->ops->valid.max_access_size) {
        max = mr->ops->valid.max_access_size;
    }
    if (!(mr->ops && mr->ops->valid.unaligned) && off) {
        hwaddr align = off & -off;
        if (align < max) {
            max = align;
        }
    }
    if (l < max) {
        max = l;
    }
    /* Round down to a power of two. */
    while (max & (max - 1)) {
        max &= max - 1;
    }
    return max ? max : 1;
}

static MemTxResult flatview_rw(FlatView *fv, hwaddr addr, MemTxAttrs attrs,
                               uint8_t *buf, hwaddr len, bool is_write,
                               bool rom_write)
{
    MemTxResult r = MEMTX_OK;

    while (len > 0) {
        MemoryRegionSection sec = flatview_find(fv, addr);
        hwaddr l = MIN(len, sec.size);
        MemoryRegion *mr = sec.mr;
        hwaddr off = sec.offset_within_region;

        if (!mr) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "Unassigned %s of %" PRIu64
                          " bytes at 0x%" HWADDR_PRIx "\n",
                          access_kind(is_write), (uint64_t)l, addr);
            if (!is_write) {
                memset(buf, 0xff, l);
            }
            r |= MEMTX_DECODE_ERROR;
        } else if (memory_region_is_ram(mr) &&
                   (!is_write || rom_write || !mr->rom_device)) {
            if (!mr->ram_ptr) {
                if (!is_write) {
                    memset(buf, 0xff, l);
                }
                r |= MEMTX_DECODE_ERROR;
            } else if (!is_write) {
                memcpy(buf, mr->ram_ptr + off, l);
            } else if (rom_write || !sec.readonly) {
                memcpy(mr->ram_ptr + off, buf, l);
                ram_mark_dirty(mr, off, l);
            }
            /* else: a guest write to ROM is ignored, as on hardware. */
        } else if (rom_write) {
            /* Firmware loading skips what is not memory. */
        } else {
            hwaddr done = 0;
            while (done < l) {
                unsigned n = io_access_size(mr, off + done, l - done);
                uint64_t v = 0;
                if (is_write) {
                    v = load_le(buf + done, n);
                    r |= dispatch(mr, off + done, &v, n, attrs, true);
                } else {
                    r |= dispatch(mr, off + done, &v, n, attrs, false);
                    store_le(buf + done, v, n);
                }
                done += n;
            }
        }
        len -= l;
        addr += l;
        buf += l;
    }
    return r;
}

MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                             void *buf, hwaddr len, bool is_write)
{
    FlatView *fv = address_space_get_flatview(as);
    MemTxResult r = flatview_rw(fv, addr, attrs, buf, len, is_write, false);

    flatview_unref(fv);
    return r;
}

MemTxResult address_space_read(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                               void *buf, hwaddr len)
{
    return address_space_rw(as, addr, attrs, buf, len, false);
}

MemTxResult address_space_write(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                                const void *buf, hwaddr len)
{
    return address_space_rw(as, addr, attrs, (void *)buf, len, true);
}

MemTxResult address_space_write_rom(AddressSpace *as, hwaddr addr,
                                    MemTxAttrs attrs, const void *buf,
                                    hwaddr len)
{
    FlatView *fv = address_space_get_flatview(as);
    MemTxResult r =
        flatview_rw(fv, addr, attrs, (uint8_t *)buf, len, true, true);

    flatview_unref(fv);
    return r;
}

/*
 * A fixed-size access: one dispatch of exactly size bytes when addr hits
 * I/O (so the device sees one access, and an invalid size fails), else the
 * byte path (RAM, holes, or an access straddling two regions).
 */
static MemTxResult as_access_sized(AddressSpace *as, hwaddr addr, uint64_t *val,
                                   unsigned size, MemTxAttrs attrs,
                                   bool is_write)
{
    FlatView *fv = address_space_get_flatview(as);
    MemoryRegionSection sec = flatview_find(fv, addr);
    MemTxResult r;

    if (sec.mr && sec.size >= size && !memory_region_is_ram(sec.mr)) {
        r = dispatch(sec.mr, sec.offset_within_region, val, size, attrs,
                     is_write);
    } else {
        uint8_t buf[8];
        if (is_write) {
            store_le(buf, *val, size);
        }
        r = flatview_rw(fv, addr, attrs, buf, size, is_write, false);
        if (!is_write) {
            *val = load_le(buf, size);
        }
    }
    flatview_unref(fv);
    return r;
}

uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result)
{
    uint64_t v = 0;
    MemTxResult r = as_access_sized(as, addr, &v, 4, attrs, false);

    if (result) {
        *result = r;
    }
    return (uint32_t)v;
}

uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result)
{
    uint64_t v = 0;
    MemTxResult r = as_access_sized(as, addr, &v, 8, attrs, false);

    if (result) {
        *result = r;
    }
    return v;
}

void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t val,
                          MemTxAttrs attrs, MemTxResult *result)
{
    uint64_t v = val;
    MemTxResult r = as_access_sized(as, addr, &v, 4, attrs, true);

    if (result) {
        *result = r;
    }
}

void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t val,
                          MemTxAttrs attrs, MemTxResult *result)
{
    MemTxResult r = as_access_sized(as, addr, &val, 8, attrs, true);

    if (result) {
        *result = r;
    }
}

/* ---- DMA mapping ---- */

void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen,
                        bool is_write, MemTxAttrs attrs)
{
    hwaddr len = *plen;
    FlatView *fv;
    MemoryRegionSection sec;
    MemoryRegion *mr;
    hwaddr l;

    *plen = 0;
    if (len == 0) {
        return NULL;
    }
    fv = address_space_get_flatview(as);
    sec = flatview_find(fv, addr);
    mr = sec.mr;
    if (!mr) {
        flatview_unref(fv);
        return NULL;
    }
    l = MIN(len, sec.size);
    if (memory_region_is_ram(mr) && mr->ram_ptr &&
        (!is_write || (!sec.readonly && !mr->rom_device))) {
        flatview_unref(fv);
        *plen = l;
        return mr->ram_ptr + sec.offset_within_region;
    }
    /* Not plain memory: one bounce buffer per address space. */
    if (!g_atomic_int_compare_and_exchange(&as->bounce.in_use, 0, 1)) {
        flatview_unref(fv);
        return NULL;
    }
    l = MIN(l, BOUNCE_MAX);
    as->bounce.buffer = g_malloc(l);
    as->bounce.addr = addr;
    as->bounce.len = l;
    as->bounce.attrs = attrs;
    if (!is_write) {
        flatview_rw(fv, addr, attrs, as->bounce.buffer, l, false, false);
    }
    flatview_unref(fv);
    *plen = l;
    return as->bounce.buffer;
}

void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len,
                         bool is_write, hwaddr access_len)
{
    FlatView *fv;

    if (buffer && buffer == as->bounce.buffer) {
        if (is_write) {
            address_space_write(as, as->bounce.addr, as->bounce.attrs, buffer,
                                MIN(access_len, as->bounce.len));
        }
        g_free(as->bounce.buffer);
        as->bounce.buffer = NULL;
        g_atomic_int_set(&as->bounce.in_use, 0);
        return;
    }
    if (!is_write || !access_len || !buffer) {
        return;
    }
    /* Direct mapping: find the RAM block to mark the written pages. */
    fv = address_space_get_flatview(as);
    for (unsigned i = 0; i < fv->nr; i++) {
        MemoryRegion *mr = fv->ranges[i].mr;
        uint8_t *p = buffer;
        if (memory_region_is_ram(mr) && mr->ram_ptr && p >= mr->ram_ptr &&
            (uint64_t)(p - mr->ram_ptr) < mr->size) {
            ram_mark_dirty(mr, p - mr->ram_ptr, access_len);
            break;
        }
    }
    flatview_unref(fv);
}

/* ---- The machine's roots ---- */

/* Ports nothing claims read as all-ones and ignore writes (a PC bus). */
static uint64_t unassigned_io_read(void *opaque, hwaddr addr, unsigned size)
{
    return UINT64_MAX;
}

static void unassigned_io_write(void *opaque, hwaddr addr, uint64_t data,
                                unsigned size)
{
}

static const MemoryRegionOps unassigned_io_ops = {
    .read = unassigned_io_read,
    .write = unassigned_io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
};

void memory_init(void)
{
    if (memory_initialized) {
        return;
    }
    memory_initialized = true;
    memory_region_init(&system_memory, NULL, "system", UINT64_MAX);
    memory_region_init_io(&system_io, NULL, &unassigned_io_ops, NULL, "io",
                          65536);
    address_space_init(&address_space_memory, &system_memory, "memory");
    address_space_init(&address_space_io, &system_io, "I/O");
}

MemoryRegion *get_system_memory(void)
{
    memory_init();
    return &system_memory;
}

MemoryRegion *get_system_io(void)
{
    memory_init();
    return &system_io;
}
