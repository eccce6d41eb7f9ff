/*
 * Drives: what -drive, -hda..-hdd, -cdrom and a bare disk image argument
 * ask for, opened on the block layer, for boards and storage devices.
 *
 *     vl.c:    drive_add(opts_string, errp)      at option parsing
 *              drive_add_legacy(2, "x.iso", true, "-cdrom", errp)
 *              drive_open_all(default_type, errp) before machine init
 *     board:   DriveInfo *d = drive_get(IF_IDE, bus, unit);
 *     device:  DEFINE_PROP_DRIVE("drive", ...) finds if=none drives by id;
 *              drive_attach(d, dev, errp) claims one for a device
 *     vl.c:    drive_check_orphans(errp) after -device
 *
 * IDs follow QEMU: "ide0-hd0", "ide1-cd0", "none0" when -drive has no id.
 * `info block` / query-block list every drive in creation order.
 */
#ifndef HW_BLOCK_DRIVE_H
#define HW_BLOCK_DRIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "hw/core/qdev.h"
#include "util/error.h"

typedef enum BlockInterfaceType {
    IF_DEFAULT = -1, /* the machine's (MachineClass.block_default_type) */
    IF_NONE = 0,
    IF_IDE,
    IF_SCSI,
    IF_FLOPPY,
    IF_PFLASH,
    IF_MTD,
    IF_SD,
    IF_VIRTIO,
    IF_XEN,
    IF_COUNT
} BlockInterfaceType;

typedef struct DriveInfo {
    char *id;
    char *optstr; /* as the user typed it */
    char *loc;    /* "-drive OPTS", "-hda FILE": where errors point */
    BlockInterfaceType type;
    int bus, unit;
    bool cdrom;     /* media=cdrom */
    char *file;     /* NULL: no medium */
    char *format;   /* NULL: probe */
    bool read_only; /* readonly=on, or a CD-ROM */
    bool snapshot, snapshot_set;
    /* cache=: QEMU's three flags */
    bool writeback, direct, no_flush;
    int aio_flags; /* aio=: BDRV_O_IO_URING / BDRV_O_NATIVE_AIO, or 0 */
    BlockDriverState *bs; /* NULL until opened, or when empty */
    char *node_name;      /* "#blockNNN" */
    DeviceState *dev;     /* the device it is attached to */
    bool is_default;      /* the machine's default CD-ROM */
    bool tray_open;       /* after eject, until change */
    /* Removable media: how the device hears of eject/change. */
    const struct DriveMediaOps *media_ops;
    void *media_opaque;
} DriveInfo;

/*
 * A device with removable media (ide-cd) registers these; `eject` and
 * `change` (blockdev-change-medium) call them on the main loop, before
 * dropping the old image and after opening the new one.
 */
typedef struct DriveMediaOps {
    void (*change)(void *opaque, bool loaded); /* d->bs is the new medium */
    bool (*is_locked)(void *opaque);           /* PREVENT MEDIUM REMOVAL */
} DriveMediaOps;
void drive_set_media_ops(DriveInfo *d, const DriveMediaOps *ops, void *opaque);

/*
 * Parses one -drive argument ("file=x,if=ide,index=1,..."); checks the
 * keys and values and the bus/unit slot.  Messages are QEMU's.
 */
DriveInfo *drive_add(const char *optstr, Error **errp);
/*
 * -hdX / -cdrom (opt "-hda", ...) or a bare image (opt NULL): index 0-3,
 * disk or cdrom; opt and file are where later errors point.
 */
DriveInfo *drive_add_legacy(int index, const char *file, bool cdrom,
                            const char *opt, Error **errp);
/* -snapshot: every drive opened from now on gets snapshot=on. */
void drive_set_global_snapshot(bool on);
/*
 * Resolves IF_DEFAULT to default_type, adds the machine's default empty
 * CD-ROM at index 2 (when default_cdrom and the slot is free) and opens
 * every image.  On failure errp names the -drive argument.
 */
bool drive_open_all(BlockInterfaceType default_type, bool default_cdrom,
                    Error **errp);
DriveInfo *drive_get(BlockInterfaceType type, int bus, int unit);
DriveInfo *drive_find(const char *id);
/* Claims d for dev (one device per drive). */
bool drive_attach(DriveInfo *d, DeviceState *dev, Error **errp);
/* A drive of a bus type nobody attached: QEMU's error. */
bool drive_check_orphans(Error **errp);
/* "ide", "none", ... */
const char *drive_if_name(BlockInterfaceType type);

#endif
