/*
 * The memory API: what the guest sees at each physical address.
 *
 * A MemoryRegion is RAM, ROM, MMIO (an ops table + opaque), an alias (a
 * window into another region) or a container of subregions.  Subregions
 * have an offset and a priority; where they overlap, the higher priority
 * wins (equal priority: the one added later wins).  Disabled regions are
 * invisible.  An AddressSpace is a root region plus its FlatView: the
 * sorted list of non-overlapping ranges that the tree renders to.  The
 * FlatView is rebuilt whenever the tree changes (batched by
 * memory_region_transaction_begin/commit) and published with RCU-like
 * reference counting so vCPUs read it without locks.
 *
 *     memory_region_init_ram(&s->ram, NULL, "pc.ram", size, &error_fatal);
 *     memory_region_add_subregion(get_system_memory(), 0, &s->ram);
 *     memory_region_init_io(&s->mmio, dev, &uart_ops, s, "uart", 8);
 *     memory_region_add_subregion(get_system_io(), 0x3f8, &s->mmio);
 *     address_space_rw(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED,
 *                      buf, len, false);
 *
 * Access sizes: `valid` says what the guest may do (others fail with
 * MEMTX_ERROR and a guest_errors log), `impl` what the callbacks handle; the
 * core splits a wide access into several narrow calls or widens a narrow one
 * (read-modify-write is not done: a narrow write to a wider impl passes the
 * shifted value with size = impl.min).  Callbacks never see a size outside
 * impl.  KVM MMIO/PIO exits and TCG accesses reach the same ops.
 */
#ifndef SYSTEM_MEMORY_H
#define SYSTEM_MEMORY_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "util/error.h"

typedef uint64_t hwaddr;
#define HWADDR_MAX UINT64_MAX
#define HWADDR_PRIx PRIx64

typedef struct DeviceState DeviceState;
typedef struct MemoryRegion MemoryRegion;
typedef struct AddressSpace AddressSpace;
typedef struct FlatView FlatView;

typedef enum MemTxResult {
    MEMTX_OK = 0,
    MEMTX_ERROR = 1,        /* device returned an error / bad access size */
    MEMTX_DECODE_ERROR = 2, /* nothing mapped there */
} MemTxResult;

typedef struct MemTxAttrs {
    unsigned secure : 1;
    unsigned user : 1;
    unsigned requester_id : 16;
} MemTxAttrs;
#define MEMTXATTRS_UNSPECIFIED ((MemTxAttrs){ 0 })

typedef enum DeviceEndian {
    DEVICE_NATIVE_ENDIAN, /* the guest's: little for x86 and arm here */
    DEVICE_LITTLE_ENDIAN,
    DEVICE_BIG_ENDIAN,
} DeviceEndian;

typedef struct MemoryRegionOps {
    /* addr is relative to the region; size in bytes (1, 2, 4, 8). */
    uint64_t (*read)(void *opaque, hwaddr addr, unsigned size);
    void (*write)(void *opaque, hwaddr addr, uint64_t data, unsigned size);
    /* Optional forms that can fail the access (return MEMTX_ERROR). */
    MemTxResult (*read_with_attrs)(void *opaque, hwaddr addr, uint64_t *data,
                                   unsigned size, MemTxAttrs attrs);
    MemTxResult (*write_with_attrs)(void *opaque, hwaddr addr, uint64_t data,
                                    unsigned size, MemTxAttrs attrs);
    DeviceEndian endianness;
    struct {
        unsigned min_access_size; /* 0 means 1 */
        unsigned max_access_size; /* 0 means 4 */
        bool unaligned;
        /* Optional per-access filter (e.g. by address). */
        bool (*accepts)(void *opaque, hwaddr addr, unsigned size,
                        bool is_write, MemTxAttrs attrs);
    } valid;
    struct {
        unsigned min_access_size; /* 0 means 1 */
        unsigned max_access_size; /* 0 means 4 */
        bool unaligned;
    } impl;
} MemoryRegionOps;

typedef enum MemoryRegionKind {
    MR_CONTAINER,
    MR_RAM,
    MR_ROM, /* RAM that the guest cannot write (writes are ignored) */
    MR_IO,
    MR_ALIAS,
} MemoryRegionKind;

/*
 * Embedded in device state; initialised by one memory_region_init_*().
 * Fields are private to system/memory.c except where a reader needs them.
 */
struct MemoryRegion {
    MemoryRegionKind kind;
    char *name;
    DeviceState *owner;
    uint64_t size; /* UINT64_MAX with size 2^64 flagged by size_is_2_64 */
    bool size_is_2_64;
    bool enabled;
    bool readonly;   /* ROM, or set_readonly on RAM */
    bool rom_device; /* ROM for reads, ops for writes (flash) */
    /* RAM/ROM */
    uint8_t *ram_ptr;
    bool ram_owned;
    /* I/O */
    const MemoryRegionOps *ops;
    void *opaque;
    /* alias */
    MemoryRegion *alias;
    hwaddr alias_offset;
    /* placement in the parent */
    MemoryRegion *container;
    hwaddr addr;
    int priority;
    unsigned order; /* insertion order, for equal priorities */
    GPtrArray *subregions; /* of MemoryRegion*, sorted for rendering */
    /* Dirty log (KVM/TCG/migration) */
    unsigned long *dirty_bitmap;
    unsigned dirty_log_mask;
    /* Private to system/memory.c: bytes mmap()ed for an owned RAM block. */
    uint64_t ram_alloc_size;
};

/* One range of a FlatView, also what listeners are told about. */
typedef struct MemoryRegionSection {
    MemoryRegion *mr;            /* the terminal region (RAM/ROM/IO) */
    hwaddr offset_within_region; /* start inside mr */
    hwaddr offset_within_address_space;
    uint64_t size;
    bool readonly;
} MemoryRegionSection;

struct FlatView {
    gint ref;
    MemoryRegionSection *ranges; /* sorted by address, non-overlapping */
    unsigned nr;
    MemoryRegion *root;
};

typedef struct MemoryListener MemoryListener;
struct MemoryListener {
    /* Called around a batch of changes, on the main thread, BQL held. */
    void (*begin)(MemoryListener *l);
    void (*commit)(MemoryListener *l);
    /* A range appeared / vanished (old and new FlatView diffed). */
    void (*region_add)(MemoryListener *l, MemoryRegionSection *s);
    void (*region_del)(MemoryListener *l, MemoryRegionSection *s);
    /* A range that stayed the same (e.g. to refresh dirty logging). */
    void (*region_nop)(MemoryListener *l, MemoryRegionSection *s);
    int priority;
    const char *name;
    AddressSpace *as; /* set by register */
};

struct AddressSpace {
    char *name;
    MemoryRegion *root;
    FlatView *current_map; /* read with address_space_get_flatview() */
    GPtrArray *listeners;
    /* Private to system/memory.c: the one bounce buffer of map/unmap. */
    struct {
        gint in_use;
        void *buffer;
        hwaddr addr;
        hwaddr len;
        MemTxAttrs attrs;
    } bounce;
};

/* Region constructors.  owner may be NULL; name is copied. */
void memory_region_init(MemoryRegion *mr, DeviceState *owner,
                        const char *name, uint64_t size);
void memory_region_init_io(MemoryRegion *mr, DeviceState *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size);
/* Anonymous zeroed host memory; fails (errp) if it can't be allocated. */
bool memory_region_init_ram(MemoryRegion *mr, DeviceState *owner,
                            const char *name, uint64_t size, Error **errp);
bool memory_region_init_rom(MemoryRegion *mr, DeviceState *owner,
                            const char *name, uint64_t size, Error **errp);
/* RAM backed by caller-owned memory (not freed by the region). */
void memory_region_init_ram_ptr(MemoryRegion *mr, DeviceState *owner,
                                const char *name, uint64_t size, void *ptr);
void memory_region_init_alias(MemoryRegion *mr, DeviceState *owner,
                              const char *name, MemoryRegion *orig,
                              hwaddr offset, uint64_t size);
/* Releases what init allocated (RAM, name, subregion list). */
void memory_region_finalize(MemoryRegion *mr);

void memory_region_add_subregion(MemoryRegion *mr, hwaddr offset,
                                 MemoryRegion *subregion);
void memory_region_add_subregion_overlap(MemoryRegion *mr, hwaddr offset,
                                         MemoryRegion *subregion,
                                         int priority);
void memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *subregion);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_address(MemoryRegion *mr, hwaddr addr);
void memory_region_set_size(MemoryRegion *mr, uint64_t size);
void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset);
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);

uint64_t memory_region_size(const MemoryRegion *mr);
const char *memory_region_name(const MemoryRegion *mr);
bool memory_region_is_ram(const MemoryRegion *mr); /* RAM or ROM */
bool memory_region_is_rom(const MemoryRegion *mr);
/* Host pointer to the start of a RAM/ROM region (NULL otherwise). */
void *memory_region_get_ram_ptr(MemoryRegion *mr);

/* Batch several changes into one FlatView rebuild (nests). */
void memory_region_transaction_begin(void);
void memory_region_transaction_commit(void);

/* Dispatch helpers used by the KVM exit path and TCG's slow path. */
MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr addr,
                                        uint64_t *data, unsigned size,
                                        MemTxAttrs attrs);
MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr addr,
                                         uint64_t data, unsigned size,
                                         MemTxAttrs attrs);

/* Address spaces. */
void address_space_init(AddressSpace *as, MemoryRegion *root,
                        const char *name);
void address_space_destroy(AddressSpace *as);
/* Calls fn for every initialised address space, in creation order. */
void address_space_foreach(void (*fn)(AddressSpace *as, void *opaque),
                           void *opaque);
/* Takes a reference; release with flatview_unref(). */
FlatView *address_space_get_flatview(AddressSpace *as);
void flatview_unref(FlatView *fv);
/*
 * The section covering addr (its size clipped to the range), or a section
 * with mr == NULL when nothing is mapped there.
 */
MemoryRegionSection flatview_find(FlatView *fv, hwaddr addr);

/*
 * Reads or writes len bytes at addr, splitting across regions.  RAM is
 * copied; I/O goes through the ops in the largest valid sizes.  Unmapped
 * reads return 0xff bytes (as a PC bus does) and the result says so.
 */
MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                             void *buf, hwaddr len, bool is_write);
MemTxResult address_space_read(AddressSpace *as, hwaddr addr,
                               MemTxAttrs attrs, void *buf, hwaddr len);
MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                MemTxAttrs attrs, const void *buf,
                                hwaddr len);
/* Writes even into ROM (firmware loading). */
MemTxResult address_space_write_rom(AddressSpace *as, hwaddr addr,
                                    MemTxAttrs attrs, const void *buf,
                                    hwaddr len);
/* Little-endian fixed-size accessors (guest-visible values). */
uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr,
                              MemTxAttrs attrs, MemTxResult *result);
uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr,
                              MemTxAttrs attrs, MemTxResult *result);
void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t val,
                          MemTxAttrs attrs, MemTxResult *result);
void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t val,
                          MemTxAttrs attrs, MemTxResult *result);

/*
 * DMA mapping: a host pointer for up to *plen bytes at addr.  Direct when
 * the range is RAM (*plen clipped to the contiguous part); otherwise a
 * bounce buffer (one at a time per address space; NULL if busy).  Returns
 * NULL when nothing usable is mapped.  unmap copies a write bounce back and
 * marks RAM dirty for access_len bytes.
 */
void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen,
                        bool is_write, MemTxAttrs attrs);
void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len,
                         bool is_write, hwaddr access_len);

/*
 * Called after guest RAM bytes [host, host + len) were written by the
 * memory core (address_space_write/rw, write_rom, a written unmap, a RAM
 * dispatch): TCG sets it to invalidate translated code there.  NULL when
 * no accelerator needs it.
 */
extern void (*memory_ram_write_notify)(void *host, uint64_t len);

void memory_listener_register(MemoryListener *l, AddressSpace *as);
void memory_listener_unregister(MemoryListener *l);

/* The machine's two root spaces ("memory" and "I/O"). */
MemoryRegion *get_system_memory(void);
MemoryRegion *get_system_io(void);
extern AddressSpace address_space_memory;
extern AddressSpace address_space_io;
/* Creates the roots and the two address spaces; called once by main. */
void memory_init(void);

/*
 * `info mtree` (tree of every address space; flatview = true prints the
 * rendered ranges instead, as `info mtree -f`).
 */
void memory_info_mtree(GString *out, bool flatview);

#endif
