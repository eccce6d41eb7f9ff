/*
 * IDE drives as devices: "ide-hd" (ATA disk) and "ide-cd" (ATAPI CD/DVD)
 * on a controller's "IDE" bus (two units each), as -device creates them:
 *
 *     -drive if=none,id=d0,file=disk.qcow2 -device ide-hd,drive=d0,bus=ide.0
 *     -device ide-cd,bus=ide.1,unit=0          an empty CD-ROM drive
 *
 * Interface:
 *   props   "drive" (an if=none -drive; required for ide-hd), "unit"
 *           (0 master, 1 slave; default the first free), "bootindex",
 *           "serial", "model", "ver" (IDENTIFY strings), "wwn"
 * The drive's state machine lives in the controller's IDEBus slot
 * (core.c); the device only fills it.  "ide-drive" is QEMU's old
 * media-from-the-drive alias.
 */
#include <string.h>

#include "hw/core/boot-device.h"
#include "hw/ide/ide-internal.h"
#include "hw/ide/ide.h"
#include "hw/pci/pci.h"

typedef struct IDEDevice {
    DeviceState parent;
    uint32_t unit;
    void *drive; /* DriveInfo * */
    char *serial, *model, *ver;
    int32_t bootindex;
    uint64_t wwn;
} IDEDevice;
DECLARE_DEVICE_CAST(IDEDevice, IDE_DEVICE, "ide-device")

IDEBus *ide_bus_from_qbus(BusState *qbus)
{
    return qbus->opaque;
}

/* Picks the unit (the first free one when unset) before realize. */
static bool ide_bus_plug(BusState *qbus, DeviceState *dev, Error **errp)
{
    IDEBus *bus = qbus->opaque;
    IDEDevice *d = IDE_DEVICE(dev);

    if (d->unit == UINT32_MAX) {
        d->unit = bus->ifs[0].kind == IDE_NONE   ? 0
                  : bus->ifs[1].kind == IDE_NONE ? 1
                                                 : 2;
        if (d->unit == 2) {
            error_setg(errp, "IDE bus %s is full", qbus->name);
            return false;
        }
    }
    if (d->unit > 1) {
        error_setg(errp, "Can't create IDE unit %u, bus supports only 2 units",
                   d->unit);
        return false;
    }
    if (bus->ifs[d->unit].kind != IDE_NONE) {
        error_setg(errp, "IDE unit %u is in use", d->unit);
        return false;
    }
    return true;
}

BusState *ide_qbus_new(DeviceState *parent, IDEBus *bus, const char *name)
{
    BusState *qbus = bus_new(parent, "IDE", name);

    qbus->opaque = bus;
    qbus->plug = ide_bus_plug;
    qbus->max_dev = 2;
    return qbus;
}

static void ide_cd_change(void *opaque, bool loaded)
{
    ide_atapi_media_change(opaque, loaded);
}

static bool ide_cd_is_locked(void *opaque)
{
    return ((IDEState *)opaque)->tray_locked;
}

static const DriveMediaOps ide_cd_media_ops = {
    .change = ide_cd_change,
    .is_locked = ide_cd_is_locked,
};

static bool ide_dev_realize(DeviceState *dev, IDEDriveKind kind, Error **errp)
{
    IDEDevice *d = IDE_DEVICE(dev);
    IDEBus *bus = dev->parent_bus->opaque;
    IDEState *s = &bus->ifs[d->unit];
    DriveInfo *drive = d->drive;
    g_autofree char *path = NULL;
    DeviceState *ctrl = dev->parent_bus->parent;

    if (kind == IDE_HD) {
        if (!drive) {
            error_setg(errp, "No drive specified");
            return false;
        }
        if (!drive->bs) {
            error_setg(errp, "Device needs media, but drive is empty");
            return false;
        }
    }
    if (drive && !drive_attach(drive, dev, errp)) {
        return false;
    }
    if (!ide_init_drive(s, kind, drive, d->serial, d->model, errp)) {
        return false;
    }
    s->dev = dev;
    s->wwn = d->wwn;
    if (d->ver) {
        g_strlcpy(s->version, d->ver, sizeof(s->version));
    }
    if (kind == IDE_CD && drive) {
        s->media_changed = drive->bs != NULL;
        drive_set_media_ops(drive, &ide_cd_media_ops, s);
    }
    if (ctrl && device_is_a(ctrl, "pci-device")) {
        PCIDevice *pci = PCI_DEVICE(ctrl);
        path = g_strdup_printf("/pci@i0cf8/ide@%x,%x/drive@%x/disk@%x",
                               PCI_SLOT(pci->devfn), PCI_FUNC(pci->devfn),
                               bus->bus_id, d->unit);
    } else {
        path = g_strdup_printf("/ide@%x/drive@%x/disk@%x", bus->bus_id,
                               bus->bus_id, d->unit);
    }
    return boot_device_add(d->bootindex, dev, path, errp);
}

static bool ide_hd_realize(DeviceState *dev, Error **errp)
{
    return ide_dev_realize(dev, IDE_HD, errp);
}

static bool ide_cd_realize(DeviceState *dev, Error **errp)
{
    return ide_dev_realize(dev, IDE_CD, errp);
}

/* ide-drive: a disk or a CD-ROM as the drive's media= says. */
static bool ide_drive_realize(DeviceState *dev, Error **errp)
{
    DriveInfo *drive = IDE_DEVICE(dev)->drive;

    return ide_dev_realize(dev, drive && drive->cdrom ? IDE_CD : IDE_HD, errp);
}

static const Property ide_dev_props[] = {
    DEFINE_PROP_DRIVE("drive", IDEDevice, drive),
    DEFINE_PROP_UINT32("unit", IDEDevice, unit, UINT32_MAX),
    DEFINE_PROP_INT32("bootindex", IDEDevice, bootindex, -1),
    DEFINE_PROP_STRING("serial", IDEDevice, serial),
    DEFINE_PROP_STRING("model", IDEDevice, model),
    DEFINE_PROP_STRING("ver", IDEDevice, ver),
    DEFINE_PROP_UINT64("wwn", IDEDevice, wwn, 0),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo ide_device_info = {
    .name = "ide-device",
    .parent = "device",
    .instance_size = sizeof(IDEDevice),
    .abstract = true,
    .bus_type = "IDE",
    .props = ide_dev_props,
};
DEVICE_TYPE_REGISTER(ide_device_info)

static const DeviceTypeInfo ide_hd_info = {
    .name = "ide-hd",
    .parent = "ide-device",
    .instance_size = sizeof(IDEDevice),
    .desc = "virtual IDE disk",
    .category = DEVICE_CATEGORY_STORAGE,
    .user_creatable = true,
    .realize = ide_hd_realize,
};
DEVICE_TYPE_REGISTER(ide_hd_info)

static const DeviceTypeInfo ide_cd_info = {
    .name = "ide-cd",
    .parent = "ide-device",
    .instance_size = sizeof(IDEDevice),
    .desc = "virtual IDE CD-ROM",
    .category = DEVICE_CATEGORY_STORAGE,
    .user_creatable = true,
    .realize = ide_cd_realize,
};
DEVICE_TYPE_REGISTER(ide_cd_info)

static const DeviceTypeInfo ide_drive_info = {
    .name = "ide-drive",
    .parent = "ide-device",
    .instance_size = sizeof(IDEDevice),
    .desc = "virtual IDE disk or CD-ROM (legacy)",
    .category = DEVICE_CATEGORY_STORAGE,
    .user_creatable = true,
    .realize = ide_drive_realize,
};
DEVICE_TYPE_REGISTER(ide_drive_info)

bool ide_create_drives(BusState *qbus, int bus_id, Error **errp)
{
    for (int unit = 0; unit < 2; unit++) {
        DriveInfo *d = drive_get(IF_IDE, bus_id, unit);
        DeviceState *dev;
        if (!d) {
            continue;
        }
        dev = device_new(d->cdrom ? "ide-cd" : "ide-hd", errp);
        if (!dev || !device_prop_set_uint(dev, "unit", unit, errp) ||
            !device_prop_set_str(dev, "drive", d->id, errp) ||
            !device_realize(dev, qbus, errp)) {
            return false;
        }
    }
    return true;
}
