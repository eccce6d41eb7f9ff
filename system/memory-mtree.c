/*
 * `info mtree`: the region tree of every address space, and with -f the
 * rendered FlatViews, in QEMU's layout:
 *
 *     address-space: memory
 *       0000000000000000-ffffffffffffffff (prio 0, i/o): system
 *         0000000000000000-0000000007ffffff (prio 0, ram): pc.ram
 *
 * Address spaces that share a root are listed together over one tree.
 * Regions that aliases point into are printed afterwards as
 * "memory-region: NAME" blocks.  Disabled regions are not printed, but
 * their subregions are (as QEMU does).
 */
#include <inttypes.h>

#include "system/memory.h"

#define MTREE_FMT "%016" PRIx64

static const char *mtree_type(const MemoryRegion *mr)
{
    while (mr->kind == MR_ALIAS && mr->alias) {
        mr = mr->alias;
    }
    if (mr->rom_device) {
        return "romd";
    }
    if (memory_region_is_rom(mr)) {
        return "rom";
    }
    if (memory_region_is_ram(mr)) {
        return "ram";
    }
    return "i/o";
}

/* Last address of a region placed at start (2^64 sizes end at ~0). */
static uint64_t mtree_end(uint64_t start, const MemoryRegion *mr, uint64_t size)
{
    if (mr->size_is_2_64) {
        return start - 1; /* start + 2^64 - 1, modulo 2^64 */
    }
    return start + size - 1;
}

static gint mtree_child_cmp(gconstpointer a, gconstpointer b)
{
    const MemoryRegion *x = *(MemoryRegion *const *)a;
    const MemoryRegion *y = *(MemoryRegion *const *)b;

    /* By address, then higher priority first. */
    if (x->addr != y->addr) {
        return x->addr < y->addr ? -1 : 1;
    }
    if (x->priority != y->priority) {
        return x->priority > y->priority ? -1 : 1;
    }
    return 0;
}

static void mtree_print_mr(GString *out, const MemoryRegion *mr, int level,
                           uint64_t base, GPtrArray *alias_queue)
{
    uint64_t start = base + mr->addr;
    uint64_t end = mtree_end(start, mr, mr->size);
    GPtrArray *children;

    if (mr->kind == MR_ALIAS && mr->alias) {
        if (!g_ptr_array_find(alias_queue, mr->alias, NULL)) {
            g_ptr_array_add(alias_queue, mr->alias);
        }
        if (mr->enabled) {
            g_string_append_printf(
                out,
                "%*s" MTREE_FMT "-" MTREE_FMT
                " (prio %d, %s): alias %s @%s " MTREE_FMT "-" MTREE_FMT "\n",
                level * 2, "", start, end, mr->priority, mtree_type(mr),
                memory_region_name(mr), memory_region_name(mr->alias),
                mr->alias_offset, mtree_end(mr->alias_offset, mr, mr->size));
        }
    } else if (mr->enabled) {
        g_string_append_printf(
            out, "%*s" MTREE_FMT "-" MTREE_FMT " (prio %d, %s): %s\n",
            level * 2, "", start, end, mr->priority, mtree_type(mr),
            memory_region_name(mr));
    }
    if (!mr->subregions || !mr->subregions->len) {
        return;
    }
    children = g_ptr_array_new();
    for (guint i = 0; i < mr->subregions->len; i++) {
        g_ptr_array_add(children, g_ptr_array_index(mr->subregions, i));
    }
    /* Stable for equal keys: keeps rendering order among ties. */
    g_ptr_array_sort(children, mtree_child_cmp);
    for (guint i = 0; i < children->len; i++) {
        mtree_print_mr(out, g_ptr_array_index(children, i), level + 1, start,
                       alias_queue);
    }
    g_ptr_array_free(children, true);
}

static void collect_as(AddressSpace *as, void *opaque)
{
    g_ptr_array_add(opaque, as);
}

static void mtree_print_flatview(GString *out, GPtrArray *spaces, FlatView *fv,
                                 int counter, const MemoryRegion *root)
{
    g_string_append_printf(out, "FlatView #%d\n", counter);
    for (guint i = 0; i < spaces->len; i++) {
        AddressSpace *as = g_ptr_array_index(spaces, i);
        if (as->root != root) {
            continue;
        }
        g_string_append_printf(out, " AS \"%s\", root: %s", as->name,
                               memory_region_name(as->root));
        if (as->root->kind == MR_ALIAS && as->root->alias) {
            g_string_append_printf(out, ", alias %s",
                                   memory_region_name(as->root->alias));
        }
        g_string_append(out, "\n");
    }
    g_string_append_printf(out, " Root memory region: %s\n",
                           fv->nr && root ? memory_region_name(root)
                                          : "(none)");
    if (!fv->nr) {
        g_string_append(out, "  No rendered FlatView\n\n");
        return;
    }
    for (unsigned i = 0; i < fv->nr; i++) {
        const MemoryRegionSection *s = &fv->ranges[i];
        g_string_append_printf(
            out, "  " MTREE_FMT "-" MTREE_FMT " (prio %d, %s): %s",
            s->offset_within_address_space,
            s->offset_within_address_space + s->size - 1, s->mr->priority,
            s->readonly ? "rom" : mtree_type(s->mr), memory_region_name(s->mr));
        if (s->offset_within_region) {
            g_string_append_printf(out, " @" MTREE_FMT,
                                   s->offset_within_region);
        }
        g_string_append(out, "\n");
    }
    g_string_append(out, "\n");
}

void memory_info_mtree(GString *out, bool flatview)
{
    GPtrArray *spaces = g_ptr_array_new();
    GPtrArray *roots_done = g_ptr_array_new();

    address_space_foreach(collect_as, spaces);
    if (flatview) {
        int counter = 0;
        for (guint i = 0; i < spaces->len; i++) {
            AddressSpace *as = g_ptr_array_index(spaces, i);
            FlatView *fv;
            if (g_ptr_array_find(roots_done, as->root, NULL)) {
                continue;
            }
            g_ptr_array_add(roots_done, as->root);
            fv = address_space_get_flatview(as);
            mtree_print_flatview(out, spaces, fv, counter++, as->root);
            flatview_unref(fv);
        }
    } else {
        GPtrArray *alias_queue = g_ptr_array_new();
        for (guint i = 0; i < spaces->len; i++) {
            AddressSpace *as = g_ptr_array_index(spaces, i);
            if (g_ptr_array_find(roots_done, as->root, NULL)) {
                continue;
            }
            g_ptr_array_add(roots_done, as->root);
            for (guint k = i; k < spaces->len; k++) {
                AddressSpace *other = g_ptr_array_index(spaces, k);
                if (other->root == as->root) {
                    g_string_append_printf(out, "address-space: %s\n",
                                           other->name);
                }
            }
            if (as->root) {
                mtree_print_mr(out, as->root, 1, 0, alias_queue);
            }
            g_string_append(out, "\n");
        }
        /* The queue grows while it is printed (aliases of aliases). */
        for (guint i = 0; i < alias_queue->len; i++) {
            MemoryRegion *mr = g_ptr_array_index(alias_queue, i);
            g_string_append_printf(out, "memory-region: %s\n",
                                   memory_region_name(mr));
            mtree_print_mr(out, mr, 1, 0, alias_queue);
            g_string_append(out, "\n");
        }
        g_ptr_array_free(alias_queue, true);
    }
    g_ptr_array_free(roots_done, true);
    g_ptr_array_free(spaces, true);
}
