/*
 * The command line of qemu-system-<arch>: options into a machine.
 *
 * Every option is one row of qemu_options[] (name, argument, help group,
 * help text); `-h` prints the table, and parse_args() records what each
 * option asked for in `cfg`.  qemu_main() then builds the machine in
 * QEMU's order: logging, chardevs, -global, accelerator, RAM, machine init,
 * -device, monitors, vCPUs, reset, start (unless -S), main loop.
 *
 * Errors name the option and its argument
 * ("qemu-system-x86_64: -m banana: Parameter 'size' expects ...") and exit 1.
 */
#include "system/system.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib-unix.h>

#include "chardev/char.h"
#include "config-host.h"
#include "hw/block/drive.h"
#include "hw/core/machine.h"
#include "hw/core/qdev.h"
#include "monitor/monitor.h"
#include "system/accel.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "system/qtest.h"
#include "system/runstate.h"
#include "util/cutils.h"
#include "util/error.h"
#include "util/log.h"
#include "util/option.h"

const char *target_name;
const char *qemu_name;
bool qtest_enabled;
Opts *qemu_rtc_opts;

typedef enum OptIndex {
    OPT_HELP,
    OPT_VERSION,
    OPT_MACHINE,
    OPT_CPU,
    OPT_ACCEL,
    OPT_ENABLE_KVM,
    OPT_SMP,
    OPT_M,
    OPT_NAME,
    OPT_UUID,
    OPT_S,
    OPT_NOGRAPHIC,
    OPT_DISPLAY,
    OPT_VGA,
    OPT_SERIAL,
    OPT_MONITOR,
    OPT_QMP,
    OPT_QMP_PRETTY,
    OPT_MON,
    OPT_CHARDEV,
    OPT_DEVICE,
    OPT_GLOBAL,
    OPT_NODEFAULTS,
    OPT_NO_USER_CONFIG,
    OPT_KERNEL,
    OPT_INITRD,
    OPT_APPEND,
    OPT_BIOS,
    OPT_L,
    OPT_BOOT,
    OPT_RTC,
    OPT_NO_REBOOT,
    OPT_NO_SHUTDOWN,
    OPT_D,
    OPT_DLOG,
    OPT_PIDFILE,
    OPT_DAEMONIZE,
    OPT_QTEST,
    OPT_QTEST_LOG,
    OPT_DRIVE,
    OPT_HDX,
    OPT_CDROM,
    OPT_SNAPSHOT,
    OPT_UNSUPPORTED,
} OptIndex;

typedef struct QemuOptionDef {
    const char *name;
    bool has_arg;
    OptIndex index;
    const char *group; /* help section; NULL: not listed */
    const char *help;
} QemuOptionDef;

/* What this build does not implement yet: a clear error, never ignored. */
#define UNSUPPORTED(n, arg)                                                    \
    {                                                                          \
        n, arg, OPT_UNSUPPORTED, NULL, NULL                                    \
    }

static const QemuOptionDef qemu_options[] = {
    /* Standard options */
    {"h", false, OPT_HELP, "Standard options",
     "-h or -help      display this help and exit"},
    {"help", false, OPT_HELP, NULL, NULL},
    {"version", false, OPT_VERSION, "Standard options",
     "-version         display version information and exit"},
    {"machine", true, OPT_MACHINE, "Standard options",
     "-machine [type=]name[,prop[=value][,...]]\n                 selects "
     "emulated machine ('-machine help' for list)"},
    {"M", true, OPT_MACHINE, NULL, NULL},
    {"accel", true, OPT_ACCEL, "Standard options",
     "-accel [accel=]accelerator[,prop[=value][,...]]\n                 select "
     "accelerator (kvm, tcg, qtest); use multiple\n                 -accel "
     "options to give fallbacks"},
    {"cpu", true, OPT_CPU, "Standard options",
     "-cpu cpu         select CPU ('-cpu help' for list)"},
    {"enable-kvm", false, OPT_ENABLE_KVM, "Standard options",
     "-enable-kvm      enable KVM full virtualization support"},
    {"smp", true, OPT_SMP, "Standard options",
     "-smp "
     "[[cpus=]n][,maxcpus=maxcpus][,sockets=sockets][,dies=dies][,cores=cores]["
     ",threads=threads]\n                 set the number of initial CPUs to "
     "'n' and the CPU topology"},
    {"m", true, OPT_M, "Standard options",
     "-m [size=]megs[M|G]\n                 configure guest RAM (default unit: "
     "MiB)"},
    {"name", true, OPT_NAME, "Standard options",
     "-name string1[,process=string2][,debug-threads=on|off]\n                 "
     "set the name of the guest"},
    {"uuid", true, OPT_UUID, "Standard options",
     "-uuid %08x-%04x-%04x-%04x-%012x\n                 specify machine UUID"},
    {"device", true, OPT_DEVICE, "Standard options",
     "-device driver[,prop[=value][,...]]\n                 add device (based "
     "on driver); '-device help' lists drivers,\n                 '-device "
     "driver,help' lists its properties"},
    {"global", true, OPT_GLOBAL, "Standard options",
     "-global driver.property=value\n-global "
     "driver=driver,property=property,value=value\n                 set a "
     "global default for a device property"},
    {"nodefaults", false, OPT_NODEFAULTS, "Standard options",
     "-nodefaults      don't create default devices"},
    {"no-user-config", false, OPT_NO_USER_CONFIG, "Standard options",
     "-no-user-config  do not load user-provided config files (none are)"},
    /* Display */
    {"display", true, OPT_DISPLAY, "Display options",
     "-display none    no display (the only one in this build)"},
    {"nographic", false, OPT_NOGRAPHIC, "Display options",
     "-nographic       no display; serial port and monitor share the "
     "terminal\n                 (Ctrl-a h for help)"},
    {"vga", true, OPT_VGA, "Display options",
     "-vga none        no VGA card (the only choice in this build)"},
    /* Character devices */
    {"chardev", true, OPT_CHARDEV, "Character device options",
     "-chardev backend,id=id[,...]\n                 backends: null, socket, "
     "file, pipe, pty, stdio ('-chardev help')"},
    {"serial", true, OPT_SERIAL, "Character device options",
     "-serial dev      redirect the serial port to char device 'dev'"},
    {"monitor", true, OPT_MONITOR, "Character device options",
     "-monitor dev     redirect the monitor to char device 'dev'"},
    {"qmp", true, OPT_QMP, "Character device options",
     "-qmp dev         like -monitor but opens in 'control' mode"},
    {"qmp-pretty", true, OPT_QMP_PRETTY, "Character device options",
     "-qmp-pretty dev  like -qmp but uses pretty JSON formatting"},
    {"mon", true, OPT_MON, "Character device options",
     "-mon [chardev=]name[,mode=readline|control][,pretty=on|off]"},
    /* Boot */
    {"kernel", true, OPT_KERNEL, "Boot Image or Kernel specific",
     "-kernel bzImage  use 'bzImage' as kernel image"},
    {"append", true, OPT_APPEND, "Boot Image or Kernel specific",
     "-append cmdline  use 'cmdline' as kernel command line"},
    {"initrd", true, OPT_INITRD, "Boot Image or Kernel specific",
     "-initrd file     use 'file' as initial ram disk"},
    {"bios", true, OPT_BIOS, "Debug/Expert options",
     "-bios file       set the filename for the BIOS"},
    {"L", true, OPT_L, "Debug/Expert options",
     "-L path          set the directory for the BIOS, VGA BIOS and keymaps"},
    {"boot", true, OPT_BOOT, "Standard options",
     "-boot [order=drives][,once=drives][,menu=on|off]"},
    {"rtc", true, OPT_RTC, "Debug/Expert options",
     "-rtc "
     "[base=utc|localtime|datetime][,clock=host|rt|vm][,driftfix=none|slew]\n  "
     "               set the RTC base and clock"},
    {"no-reboot", false, OPT_NO_REBOOT, "Debug/Expert options",
     "-no-reboot       exit instead of rebooting"},
    {"no-shutdown", false, OPT_NO_SHUTDOWN, "Debug/Expert options",
     "-no-shutdown     stop before shutdown"},
    {"S", false, OPT_S, "Debug/Expert options",
     "-S               freeze CPU at startup (use 'c' to start execution)"},
    {"d", true, OPT_D, "Debug/Expert options",
     "-d item1,...     enable logging of specified items (use '-d help' for a "
     "list)"},
    {"D", true, OPT_DLOG, "Debug/Expert options",
     "-D logfile       output log to logfile (default stderr)"},
    {"pidfile", true, OPT_PIDFILE, "Debug/Expert options",
     "-pidfile file    write PID to 'file'"},
    {"daemonize", false, OPT_DAEMONIZE, "Debug/Expert options",
     "-daemonize       daemonize QEMU after initializing"},
    {"qtest", true, OPT_QTEST, NULL, NULL},
    {"qtest-log", true, OPT_QTEST_LOG, NULL, NULL},
    /* Block devices (hw/block/drive.c) */
    {"drive", true, OPT_DRIVE, "Block device options",
     "-drive [file=file][,if=type][,bus=n][,unit=m][,media=d][,index=i]\n"
     "       [,cache=writethrough|writeback|none|directsync|unsafe][,format=f]"
     "\n       [,snapshot=on|off][,id=name][,readonly=on|off]\n"
     "                use 'file' as a drive image"},
    {"hda", true, OPT_HDX, "Block device options",
     "-hda/-hdb file  use 'file' as hard disk 0/1 image"},
    {"hdb", true, OPT_HDX, NULL, NULL},
    {"hdc", true, OPT_HDX, "Block device options",
     "-hdc/-hdd file  use 'file' as hard disk 2/3 image"},
    {"hdd", true, OPT_HDX, NULL, NULL},
    {"cdrom", true, OPT_CDROM, "Block device options",
     "-cdrom file     use 'file' as CD-ROM image (cdrom is ide1 master)"},
    {"snapshot", false, OPT_SNAPSHOT, "Block device options",
     "-snapshot       write to temporary files instead of disk image files"},
    /* Not implemented yet: refused with a clear message. */
    UNSUPPORTED("fda", true),
    UNSUPPORTED("fdb", true),
    UNSUPPORTED("blockdev", true),
    UNSUPPORTED("netdev", true),
    UNSUPPORTED("nic", true),
    UNSUPPORTED("net", true),
    UNSUPPORTED("usb", false),
    UNSUPPORTED("usbdevice", true),
    UNSUPPORTED("vnc", true),
    UNSUPPORTED("sdl", false),
    UNSUPPORTED("full-screen", false),
    UNSUPPORTED("s", false),
    UNSUPPORTED("gdb", true),
    UNSUPPORTED("object", true),
    UNSUPPORTED("loadvm", true),
    UNSUPPORTED("incoming", true),
    UNSUPPORTED("icount", true),
    UNSUPPORTED("fw_cfg", true),
    UNSUPPORTED("smbios", true),
    UNSUPPORTED("readconfig", true),
    UNSUPPORTED("parallel", true),
    UNSUPPORTED("audiodev", true),
    UNSUPPORTED("trace", true),
    UNSUPPORTED("overcommit", true),
    UNSUPPORTED("sandbox", true),
    UNSUPPORTED("numa", true),
    UNSUPPORTED("mem-path", true),
    UNSUPPORTED("k", true),
    UNSUPPORTED("msg", true),
    UNSUPPORTED("action", true),
    UNSUPPORTED("watchdog-action", true),
    UNSUPPORTED("singlestep", false),
    UNSUPPORTED("semihosting", false),
    UNSUPPORTED("virtfs", true),
    UNSUPPORTED("tpmdev", true),
    UNSUPPORTED("spice", true),
    UNSUPPORTED("mtdblock", true),
    UNSUPPORTED("pflash", true),
    UNSUPPORTED("sd", true),
};

static const char *const help_groups[] = {
    "Standard options",         "Block device options",
    "Display options",
    "Character device options", "Boot Image or Kernel specific",
    "Debug/Expert options",
};

typedef struct MonitorSpec {
    char *spec; /* legacy chardev spec, or NULL with chardev set */
    char *chardev;
    bool control; /* QMP */
    bool pretty;
} MonitorSpec;

/* What the command line asked for. */
static struct {
    char *machine_type;
    Opts *machine_opts; /* merged -machine keys except type */
    GPtrArray *accels;  /* char *, in order (fallbacks) */
    GPtrArray *accel_args; /* the whole -accel argument of each */
    char *cpu;
    char *smp;
    char *mem;
    GPtrArray *chardevs;     /* Opts * */
    GPtrArray *chardev_args; /* char *: what the user typed, for errors */
    GPtrArray *devices;      /* Opts * */
    GPtrArray *device_args;  /* char * */
    GPtrArray *globals;      /* char * */
    GPtrArray *serials;      /* char * */
    GPtrArray *monitors;     /* MonitorSpec * */
    bool nographic;
    bool nodefaults;
    bool no_default_cdrom;
    bool start_paused;
    char *kernel, *initrd, *append, *bios, *boot;
    char *pidfile;
    bool daemonize;
    char *qtest;
    char *qtest_log;
    char *display;
} cfg;

static Chardev *serial_hds[MAX_SERIAL_PORTS];
static CpuListFn *cpu_list_fn;
static int daemon_pipe = -1;
static char *pidfile_written;

Chardev *serial_hd(int i)
{
    return i >= 0 && i < MAX_SERIAL_PORTS ? serial_hds[i] : NULL;
}

void cpu_list_register(CpuListFn *fn)
{
    cpu_list_fn = fn;
}

/* Reports "prog: -opt arg: msg" and exits 1. */
static void G_GNUC_NORETURN G_GNUC_PRINTF(3, 4)
    opt_fail(const char *opt, const char *arg, const char *fmt, ...)
{
    g_autofree char *loc =
        arg ? g_strdup_printf("-%s %s", opt, arg) : g_strdup_printf("-%s", opt);
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_set_location(loc);
    error_report("%s", msg);
    exit(1);
}

static void opt_fail_err(const char *opt, const char *arg, Error *err)
{
    g_autofree char *msg = g_strdup(error_get_pretty(err));

    error_free(err);
    opt_fail(opt, arg, "%s", msg);
}

static void print_version(void)
{
    printf("QEMU emulator version %s (Quasar %s)\n"
           "Copyright (c) 2026 the Quasar developers\n",
           QEMU_VERSION_COMPAT, QUASAR_VERSION);
}

static void print_help(const char *argv0)
{
    g_autofree char *prog = g_path_get_basename(argv0);

    print_version();
    printf("usage: %s [options] [disk_image]\n\n"
           "'disk_image' is a raw hard disk image for IDE hard disk 0\n",
           prog);
    for (size_t g = 0; g < G_N_ELEMENTS(help_groups); g++) {
        printf("\n%s:\n", help_groups[g]);
        for (size_t i = 0; i < G_N_ELEMENTS(qemu_options); i++) {
            const QemuOptionDef *o = &qemu_options[i];
            if (o->group && !strcmp(o->group, help_groups[g])) {
                printf("%s\n", o->help);
            }
        }
    }
    printf("\nDuring emulation, the following keys are useful:\n"
           "ctrl-a h    print help on the serial console multiplexer\n"
           "ctrl-a x    exit emulator\n"
           "ctrl-a c    switch between console and monitor\n");
}

static bool is_help(const char *s)
{
    return !strcmp(s, "help") || !strcmp(s, "?");
}

static void print_and_exit(GString *out)
{
    fputs(out->str, stdout);
    g_string_free(out, true);
    exit(0);
}

static const QemuOptionDef *find_option(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(qemu_options); i++) {
        if (!strcmp(qemu_options[i].name, name)) {
            return &qemu_options[i];
        }
    }
    return NULL;
}

/* Keys -machine understands for every machine type. */
static const char *const machine_common_keys[] = {
    "accel",
    "kernel-irqchip",
    "kernel_irqchip",
    "usb",
    "graphics",
    "dump-guest-core",
    "mem-merge",
    "dea-key-wrap",
    "suppress-vmdesc",
    "memory-backend",
    "acpi",
    "smm",
    "vmport",
    "hpet",
    "pit",
    "sata",
    NULL,
};

static void parse_machine(const char *arg)
{
    Error *err = NULL;
    g_autoptr(Opts) o = NULL;

    if (is_help(arg)) {
        GString *out = g_string_new(NULL);
        machine_print_help(out, target_name);
        print_and_exit(out);
    }
    o = opts_parse(arg, "type", NULL, &err);
    if (!o) {
        opt_fail_err("machine", arg, err);
    }
    for (unsigned i = 0; i < opts_count(o); i++) {
        const char *k = opts_key_at(o, i);
        const char *v = opts_value_at(o, i);
        if (!strcmp(k, "type")) {
            if (is_help(v)) {
                parse_machine("help");
            }
            g_free(cfg.machine_type);
            cfg.machine_type = g_strdup(v);
        } else {
            opts_set(cfg.machine_opts, k, v);
        }
    }
}

static void add_monitor(const char *spec, const char *chardev, bool control,
                        bool pretty)
{
    MonitorSpec *m = g_new0(MonitorSpec, 1);

    m->spec = g_strdup(spec);
    m->chardev = g_strdup(chardev);
    m->control = control;
    m->pretty = pretty;
    g_ptr_array_add(cfg.monitors, m);
}

static void parse_mon(const char *arg)
{
    static const OptDesc mon_desc[] = {
        {"chardev", OPT_STRING},
        {"mode", OPT_STRING},
        {"pretty", OPT_BOOL},
        {"id", OPT_STRING},
        {NULL},
    };
    Error *err = NULL;
    g_autoptr(Opts) o = opts_parse(arg, "chardev", mon_desc, &err);
    const char *mode;

    if (!o) {
        opt_fail_err("mon", arg, err);
    }
    if (!opts_get(o, "chardev")) {
        opt_fail("mon", arg, "Parameter 'chardev' is missing");
    }
    mode = opts_get(o, "mode");
    if (mode && strcmp(mode, "readline") && strcmp(mode, "control")) {
        opt_fail("mon", arg, "unknown monitor mode '%s'", mode);
    }
    add_monitor(NULL, opts_get(o, "chardev"), mode && !strcmp(mode, "control"),
                opts_get_bool(o, "pretty", false));
}

static void parse_args(int argc, char **argv)
{
    Error *err = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *name;
        const char *arg = NULL;
        const QemuOptionDef *def;

        if (a[0] != '-') {
            /* A bare image is the first IDE disk, as -hda. */
            if (!drive_add_legacy(0, a, false, NULL, &err)) {
                opt_fail_err("hda", a, err);
            }
            continue;
        }
        name = a + 1;
        if (name[0] == '-') {
            name++; /* --option works too */
        }
        def = find_option(name);
        if (!def) {
            error_set_location(a);
            error_report("invalid option");
            exit(1);
        }
        if (def->has_arg) {
            if (i + 1 >= argc) {
                error_set_location(a);
                error_report("requires an argument");
                exit(1);
            }
            arg = argv[++i];
        }

        switch (def->index) {
        case OPT_HELP:
            print_help(argv[0]);
            exit(0);
        case OPT_VERSION:
            print_version();
            exit(0);
        case OPT_MACHINE:
            parse_machine(arg);
            break;
        case OPT_CPU:
            if (is_help(arg)) {
                GString *out = g_string_new(NULL);
                if (cpu_list_fn) {
                    cpu_list_fn(out);
                } else {
                    g_string_append_printf(out,
                                           "No CPU models are "
                                           "available for %s in this "
                                           "build yet.\n",
                                           target_name);
                }
                print_and_exit(out);
            }
            g_free(cfg.cpu);
            cfg.cpu = g_strdup(arg);
            break;
        case OPT_ACCEL: {
            g_autoptr(Opts) o = opts_parse(arg, "accel", NULL, &err);
            const char *name_v;
            if (!o) {
                opt_fail_err("accel", arg, err);
            }
            name_v = opts_get(o, "accel");
            if (!name_v) {
                opt_fail("accel", arg, "Parameter 'accel' is missing");
            }
            if (is_help(name_v)) {
                printf("Accelerators supported in QEMU binary:\ntcg\nkvm\n"
                       "qtest\n");
                exit(0);
            }
            /* properties are checked against the accelerator chosen */
            g_ptr_array_add(cfg.accels, g_strdup(name_v));
            g_ptr_array_add(cfg.accel_args, g_strdup(arg));
            break;
        }
        case OPT_ENABLE_KVM:
            g_ptr_array_add(cfg.accels, g_strdup("kvm"));
            g_ptr_array_add(cfg.accel_args, g_strdup("kvm"));
            break;
        case OPT_SMP:
            g_free(cfg.smp);
            cfg.smp = g_strdup(arg);
            break;
        case OPT_M:
            g_free(cfg.mem);
            cfg.mem = g_strdup(arg);
            break;
        case OPT_NAME: {
            static const OptDesc name_desc[] = {
                {"guest", OPT_STRING},
                {"process", OPT_STRING},
                {"debug-threads", OPT_BOOL},
                {NULL},
            };
            g_autoptr(Opts) o = opts_parse(arg, "guest", name_desc, &err);
            if (!o) {
                opt_fail_err("name", arg, err);
            }
            qemu_name = g_strdup(opts_get(o, "guest"));
            break;
        }
        case OPT_UUID:
            if (!g_uuid_string_is_valid(arg)) {
                opt_fail("uuid", arg, "Fail to parse UUID string.");
            }
            break;
        case OPT_S:
            cfg.start_paused = true;
            break;
        case OPT_NOGRAPHIC:
            cfg.nographic = true;
            break;
        case OPT_DISPLAY:
            if (strcmp(arg, "none") && !g_str_has_prefix(arg, "none,")) {
                opt_fail("display", arg,
                         "display '%s' is not available in "
                         "this build (use -display none)",
                         arg);
            }
            g_free(cfg.display);
            cfg.display = g_strdup(arg);
            break;
        case OPT_VGA:
            if (strcmp(arg, "none")) {
                opt_fail("vga", arg,
                         "VGA '%s' is not available in this "
                         "build (use -vga none)",
                         arg);
            }
            break;
        case OPT_CHARDEV: {
            Opts *o;
            if (is_help(arg)) {
                GString *out = g_string_new(NULL);
                chardev_print_help(out);
                print_and_exit(out);
            }
            o = opts_parse(arg, "backend", NULL, &err);
            if (!o) {
                opt_fail_err("chardev", arg, err);
            }
            g_ptr_array_add(cfg.chardevs, o);
            g_ptr_array_add(cfg.chardev_args, g_strdup(arg));
            break;
        }
        case OPT_SERIAL:
            if (cfg.serials->len >= MAX_SERIAL_PORTS) {
                opt_fail("serial", arg, "too many serial ports (at most %d)",
                         MAX_SERIAL_PORTS);
            }
            g_ptr_array_add(cfg.serials, g_strdup(arg));
            break;
        case OPT_MONITOR:
            add_monitor(arg, NULL, false, false);
            break;
        case OPT_QMP:
            add_monitor(arg, NULL, true, false);
            break;
        case OPT_QMP_PRETTY:
            add_monitor(arg, NULL, true, true);
            break;
        case OPT_MON:
            parse_mon(arg);
            break;
        case OPT_DEVICE: {
            Opts *o;
            const char *drv;
            if (is_help(arg)) {
                GString *out = g_string_new(NULL);
                device_print_help(out);
                print_and_exit(out);
            }
            o = opts_parse(arg, "driver", NULL, &err);
            if (!o) {
                opt_fail_err("device", arg, err);
            }
            drv = opts_get(o, "driver");
            if (!drv) {
                opt_fail("device", arg, "Parameter 'driver' is missing");
            }
            if (opts_has(o, "help")) {
                GString *out = g_string_new(NULL);
                if (!device_print_props(out, drv, &err)) {
                    opt_fail_err("device", arg, err);
                }
                print_and_exit(out);
            }
            /* Unknown models are reported before any machine is built. */
            if (!device_type_find(drv)) {
                opt_fail("device", arg,
                         "'%s' is not a valid device model "
                         "name",
                         drv);
            }
            /* As QEMU: a storage device replaces the default CD-ROM. */
            if (g_str_has_prefix(drv, "ide-") ||
                !strcmp(drv, "scsi-cd") || !strcmp(drv, "scsi-hd")) {
                cfg.no_default_cdrom = true;
            }
            g_ptr_array_add(cfg.devices, o);
            g_ptr_array_add(cfg.device_args, g_strdup(arg));
            break;
        }
        case OPT_GLOBAL:
            g_ptr_array_add(cfg.globals, g_strdup(arg));
            break;
        case OPT_NODEFAULTS:
            cfg.nodefaults = true;
            break;
        case OPT_NO_USER_CONFIG:
            break; /* Quasar reads no config files anyway. */
        case OPT_KERNEL:
            cfg.kernel = g_strdup(arg);
            break;
        case OPT_INITRD:
            cfg.initrd = g_strdup(arg);
            break;
        case OPT_APPEND:
            cfg.append = g_strdup(arg);
            break;
        case OPT_BIOS:
            cfg.bios = g_strdup(arg);
            break;
        case OPT_L:
            break; /* Firmware is looked up by absolute path (-bios). */
        case OPT_BOOT:
            cfg.boot = g_strdup(arg);
            break;
        case OPT_RTC: {
            static const OptDesc rtc_desc[] = {
                {"base", OPT_STRING},
                {"clock", OPT_STRING},
                {"driftfix", OPT_STRING},
                {NULL},
            };
            opts_free(qemu_rtc_opts);
            qemu_rtc_opts = opts_parse(arg, NULL, rtc_desc, &err);
            if (!qemu_rtc_opts) {
                opt_fail_err("rtc", arg, err);
            }
            break;
        }
        case OPT_NO_REBOOT:
            no_reboot = true;
            break;
        case OPT_NO_SHUTDOWN:
            no_shutdown = true;
            break;
        case OPT_D: {
            unsigned mask;
            if (is_help(arg)) {
                qemu_log_print_help(stdout);
                exit(0);
            }
            if (!qemu_log_parse_items(arg, &mask, &err)) {
                opt_fail_err("d", arg, err);
            }
            qemu_log_set_mask(mask);
            break;
        }
        case OPT_DLOG:
            if (!qemu_log_set_file(arg, &err)) {
                opt_fail_err("D", arg, err);
            }
            break;
        case OPT_PIDFILE:
            cfg.pidfile = g_strdup(arg);
            break;
        case OPT_DAEMONIZE:
            cfg.daemonize = true;
            break;
        case OPT_QTEST:
            cfg.qtest = g_strdup(arg);
            break;
        case OPT_QTEST_LOG:
            cfg.qtest_log = g_strdup(arg);
            break;
        case OPT_DRIVE:
            if (!drive_add(arg, &err)) {
                opt_fail_err("drive", arg, err);
            }
            break;
        case OPT_HDX: {
            g_autofree char *loc = g_strdup_printf("-%s", def->name);
            if (!drive_add_legacy(def->name[2] - 'a', arg, false, loc, &err)) {
                opt_fail_err(def->name, arg, err);
            }
            break;
        }
        case OPT_CDROM:
            if (!drive_add_legacy(2, arg, true, "-cdrom", &err)) {
                opt_fail_err("cdrom", arg, err);
            }
            break;
        case OPT_SNAPSHOT:
            drive_set_global_snapshot(true);
            break;
        case OPT_UNSUPPORTED:
            opt_fail(name, arg,
                     "this option is not supported by this build "
                     "of Quasar yet");
        }
    }
}

/* -m [size=]N[,slots=,maxmem=]: bytes, default unit MiB. */
static uint64_t parse_ram_size(const MachineClass *mc)
{
    static const OptDesc mem_desc[] = {
        {"size", OPT_STRING},
        {"slots", OPT_NUMBER},
        {"maxmem", OPT_SIZE},
        {NULL},
    };
    Error *err = NULL;
    g_autoptr(Opts) o = NULL;
    const char *size;
    uint64_t v;

    if (!cfg.mem) {
        return mc->default_ram_size;
    }
    o = opts_parse(cfg.mem, "size", mem_desc, &err);
    if (!o) {
        opt_fail_err("m", cfg.mem, err);
    }
    size = opts_get(o, "size");
    if (!size) {
        return mc->default_ram_size;
    }
    if (parse_size_unit(size, MiB, &v) < 0) {
        opt_fail("m", cfg.mem,
                 "Parameter 'size' expects a non-negative "
                 "number below 2^64 (optional suffix k, M, G, "
                 "T, P or E)");
    }
    if (v == 0) {
        opt_fail("m", cfg.mem, "ram size is too small");
    }
    if (v & (4 * KiB - 1)) {
        v = (v + 8 * KiB - 1) & ~(8 * KiB - 1); /* QEMU aligns to 8 KiB */
    }
    return v;
}

/* -smp: fills the topology, preferring sockets as QEMU does for x86. */
static void parse_smp(MachineState *ms)
{
    static const OptDesc smp_desc[] = {
        {"cpus", OPT_NUMBER},     {"maxcpus", OPT_NUMBER},
        {"sockets", OPT_NUMBER},  {"dies", OPT_NUMBER},
        {"clusters", OPT_NUMBER}, {"cores", OPT_NUMBER},
        {"threads", OPT_NUMBER},  {NULL},
    };
    const MachineClass *mc = ms->mc;
    unsigned max_allowed = mc->max_cpus ? mc->max_cpus : 1;
    uint64_t cpus, maxcpus, sockets, dies, cores, threads;
    Error *err = NULL;
    g_autoptr(Opts) o = NULL;

    if (!cfg.smp) {
        ms->smp_cpus = ms->smp_max_cpus = 1;
        ms->smp_sockets = ms->smp_dies = ms->smp_cores = ms->smp_threads = 1;
        return;
    }
    o = opts_parse(cfg.smp, "cpus", smp_desc, &err);
    if (!o) {
        opt_fail_err("smp", cfg.smp, err);
    }
    cpus = opts_get_number(o, "cpus", 0);
    maxcpus = opts_get_number(o, "maxcpus", 0);
    sockets = opts_get_number(o, "sockets", 0);
    dies = opts_get_number(o, "dies", 1);
    cores = opts_get_number(o, "cores", 0);
    threads = opts_get_number(o, "threads", 0);
    if ((opts_has(o, "cpus") && !cpus) ||
        (opts_has(o, "sockets") && !sockets) ||
        (opts_has(o, "cores") && !cores) ||
        (opts_has(o, "threads") && !threads) ||
        (opts_has(o, "maxcpus") && !maxcpus) || !dies) {
        opt_fail("smp", cfg.smp,
                 "CPU topology parameters must be greater "
                 "than zero");
    }
    threads = threads ? threads : 1;
    maxcpus = maxcpus ? maxcpus : cpus;
    if (!sockets) {
        cores = cores ? cores : 1;
        sockets = maxcpus ? maxcpus / (dies * cores * threads) : 1;
        sockets = sockets ? sockets : 1;
    } else if (!cores) {
        cores = maxcpus ? maxcpus / (sockets * dies * threads) : 1;
        cores = cores ? cores : 1;
    }
    maxcpus = maxcpus ? maxcpus : sockets * dies * cores * threads;
    cpus = cpus ? cpus : maxcpus;
    if (sockets * dies * cores * threads != maxcpus) {
        opt_fail("smp", cfg.smp,
                 "Invalid CPU topology: product of the hierarchy must match "
                 "maxcpus: sockets (%" G_GUINT64_FORMAT
                 ") * dies (%" G_GUINT64_FORMAT ") * cores (%" G_GUINT64_FORMAT
                 ") * threads (%" G_GUINT64_FORMAT
                 ") != maxcpus (%" G_GUINT64_FORMAT ")",
                 sockets, dies, cores, threads, maxcpus);
    }
    if (maxcpus < cpus) {
        opt_fail("smp", cfg.smp,
                 "Invalid CPU topology: maxcpus must be equal to or greater "
                 "than smp: maxcpus (%" G_GUINT64_FORMAT
                 ") < smp_cpus (%" G_GUINT64_FORMAT ")",
                 maxcpus, cpus);
    }
    if (cpus > max_allowed || maxcpus > max_allowed) {
        opt_fail("smp", cfg.smp,
                 "Invalid SMP CPUs %" G_GUINT64_FORMAT ". The max CPUs "
                 "supported by machine '%s' is %u",
                 MAX(cpus, maxcpus), mc->name, max_allowed);
    }
    ms->smp_cpus = cpus;
    ms->smp_max_cpus = maxcpus;
    ms->smp_sockets = sockets;
    ms->smp_dies = dies;
    ms->smp_cores = cores;
    ms->smp_threads = threads;
}

static void check_machine_opts(const MachineClass *mc, Opts *o)
{
    for (unsigned i = 0; i < opts_count(o); i++) {
        const char *k = opts_key_at(o, i);
        bool known = false;

        for (int j = 0; machine_common_keys[j]; j++) {
            known |= !strcmp(k, machine_common_keys[j]);
        }
        for (const OptDesc *d = mc->props; d && d->name && !known; d++) {
            if (!strcmp(k, d->name)) {
                Error *err = NULL;
                if (!opt_check_value(k, d->type, opts_value_at(o, i), &err)) {
                    error_report("-machine: %s", error_get_pretty(err));
                    exit(1);
                }
                known = true;
            }
        }
        if (!known) {
            error_report("-machine %s=%s: Property '%s-machine.%s' not found",
                         k, opts_value_at(o, i), mc->name, k);
            exit(1);
        }
    }
}

/* Built in: machines without CPUs run under "tcg" with nothing to run. */
static bool tcg_none_init(MachineState *ms, Error **errp)
{
    if (!ms->mc->no_cpu) {
        error_setg(errp,
                   "-accel tcg: TCG system emulation of machine '%s' "
                   "is not available in this build yet; use -accel kvm",
                   ms->mc->name);
        return false;
    }
    return true;
}

static const AccelOps tcg_none_ops = {
    .name = "tcg",
    .init_machine = tcg_none_init,
};

/*
 * Parses the -accel argument ARG (NULL: none) for OPS and checks its keys
 * against ops->props, with QEMU's message for an unknown one.
 */
static bool accel_set_opts(MachineState *ms, const AccelOps *ops,
                           const char *arg)
{
    Error *err = NULL;
    Opts *o;

    if (ms->accel_opts) {
        opts_free(ms->accel_opts);
        ms->accel_opts = NULL;
    }
    if (!arg) {
        return true;
    }
    o = opts_parse(arg, "accel", NULL, &err);
    if (!o) {
        opt_fail_err("accel", arg, err);
    }
    for (unsigned k = 0; k < opts_count(o); k++) {
        const char *key = opts_key_at(o, k);
        bool known = !strcmp(key, "accel");

        for (unsigned j = 0; ops->props && ops->props[j] && !known; j++) {
            known = !strcmp(key, ops->props[j]);
        }
        if (!known) {
            error_report("-accel %s: Property '%s-accel.%s' not found", arg,
                         ops->name, key);
            opts_free(o);
            return false;
        }
    }
    ms->accel_opts = o;
    return true;
}

static const AccelOps *choose_accel(MachineState *ms)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *machine_accel = opts_get(cfg.machine_opts, "accel");
    bool from_cli = !cfg.qtest && cfg.accels->len; /* names = -accel list */
    Error *last_err = NULL;

    if (cfg.qtest) {
        g_ptr_array_add(names, g_strdup("qtest"));
    } else if (cfg.accels->len) {
        for (guint i = 0; i < cfg.accels->len; i++) {
            g_ptr_array_add(names, g_strdup(g_ptr_array_index(cfg.accels, i)));
        }
    } else if (machine_accel) {
        g_auto(GStrv) parts = g_strsplit(machine_accel, ":", -1);
        for (int i = 0; parts[i]; i++) {
            g_ptr_array_add(names, g_strdup(parts[i]));
        }
    } else {
        g_ptr_array_add(names, g_strdup("tcg"));
    }

    for (guint i = 0; i < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);
        const AccelOps *ops = accel_find(n);
        Error *err = NULL;

        if (!ops && !strcmp(n, "tcg")) {
            ops = &tcg_none_ops;
        }
        if (!ops) {
            error_free(last_err);
            last_err = NULL;
            error_setg(&last_err, "-accel %s: invalid accelerator %s", n, n);
            continue;
        }
        if (ops->available && !ops->available()) {
            error_free(last_err);
            last_err = NULL;
            error_setg(&last_err,
                       "-accel %s: %s is not available on this "
                       "host",
                       n, n);
            continue;
        }
        ms->accel = ops->name;
        if (!accel_set_opts(ms, ops,
                            from_cli ? g_ptr_array_index(cfg.accel_args, i)
                                     : NULL)) {
            exit(1);
        }
        if (ops->init_machine && !ops->init_machine(ms, &err)) {
            error_free(last_err);
            last_err = err;
            continue;
        }
        error_free(last_err);
        return ops;
    }
    error_report_err(last_err);
    exit(1);
}

static Chardev *open_spec(const char *label, const char *opt, const char *spec,
                          bool *is_none)
{
    g_autofree char *loc = g_strdup_printf("-%s %s", opt, spec);
    Error *err = NULL;
    Chardev *chr;

    /* Messages while opening (e.g. "waiting for connection") name it. */
    error_set_location(loc);
    chr = chardev_new_from_spec(label, spec, is_none, &err);
    if (!chr && err) {
        opt_fail_err(opt, spec, err);
    }
    error_set_location(NULL);
    return chr;
}

static void create_serials(void)
{
    for (guint i = 0; i < cfg.serials->len; i++) {
        const char *spec = g_ptr_array_index(cfg.serials, i);
        g_autofree char *label = g_strdup_printf("serial%u", i);
        bool none = false;

        serial_hds[i] = open_spec(label, "serial", spec, &none);
        if (serial_hds[i] && g_str_has_prefix(spec, "mon:")) {
            Error *err = NULL;
            if (!monitor_init_hmp(serial_hds[i], true, &err)) {
                opt_fail_err("serial", spec, err);
            }
        }
    }
}

static void create_monitors(void)
{
    unsigned compat = 0; /* QEMU numbers only -monitor/-qmp chardevs */

    for (guint i = 0; i < cfg.monitors->len; i++) {
        MonitorSpec *m = g_ptr_array_index(cfg.monitors, i);
        const char *opt = m->chardev ? "mon" : m->control ? "qmp" : "monitor";
        Error *err = NULL;
        Chardev *chr;
        bool none = false;
        bool ok;

        if (m->chardev) {
            chr = chardev_find(m->chardev);
            if (!chr) {
                opt_fail("mon", m->chardev, "chardev '%s' not found",
                         m->chardev);
            }
        } else {
            g_autofree char *label =
                g_strdup_printf("compat_monitor%u", compat++);
            chr = open_spec(label, opt, m->spec, &none);
            if (!chr) {
                continue; /* -monitor none */
            }
        }
        ok = m->control ? monitor_init_qmp(chr, m->pretty, &err)
                        : monitor_init_hmp(chr, true, &err);
        if (!ok) {
            opt_fail_err(opt, m->spec ? m->spec : m->chardev, err);
        }
    }
}

/* QEMU's defaults: -nographic shares stdio between serial0 and a monitor. */
static void add_default_chardevs(bool default_serial, bool default_monitor)
{
    if (cfg.nographic) {
        if (default_serial && default_monitor) {
            g_ptr_array_add(cfg.serials, g_strdup("mon:stdio"));
        } else if (default_serial) {
            g_ptr_array_add(cfg.serials, g_strdup("stdio"));
        } else if (default_monitor) {
            add_monitor("stdio", NULL, false, false);
        }
        return;
    }
    /* No graphical console in this build: "vc" output goes nowhere. */
    if (default_serial) {
        g_ptr_array_add(cfg.serials, g_strdup("null"));
    }
}

static void write_pidfile(void)
{
    g_autofree char *pid = g_strdup_printf("%d\n", getpid());
    int fd = open(cfg.pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
        error_report("cannot create PID file: Cannot open pid file: %s",
                     g_strerror(errno));
        exit(1);
    }
    if (lockf(fd, F_TLOCK, 0) < 0) {
        error_report("cannot create PID file: Cannot lock pid file: %s",
                     g_strerror(errno));
        exit(1);
    }
    if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) < 0) {
        error_report("cannot create PID file: Failed to write pid file: %s",
                     g_strerror(errno));
        exit(1);
    }
    /* The fd stays open (and locked) for the life of the process. */
    pidfile_written = g_strdup(cfg.pidfile);
}

static void remove_pidfile(void *opaque)
{
    if (pidfile_written) {
        unlink(pidfile_written);
    }
}

/*
 * -daemonize: the parent waits until the child reports that init worked
 * (one byte) or died (EOF), and exits 0 or 1 accordingly.
 */
static void daemonize_start(void)
{
    int fds[2];
    pid_t pid;

    if (pipe(fds) < 0) {
        error_report("-daemonize: pipe: %s", g_strerror(errno));
        exit(1);
    }
    pid = fork();
    if (pid < 0) {
        error_report("-daemonize: fork: %s", g_strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        char c;
        ssize_t n;

        close(fds[1]);
        do {
            n = read(fds[0], &c, 1);
        } while (n < 0 && errno == EINTR);
        _exit(n == 1 && c == 0 ? 0 : 1);
    }
    close(fds[0]);
    setsid();
    pid = fork();
    if (pid < 0) {
        _exit(1);
    }
    if (pid > 0) {
        _exit(0); /* the grandchild keeps the pipe's write end */
    }
    daemon_pipe = fds[1];
}

static void daemonize_finish(void)
{
    int null;
    char c = 0;

    if (daemon_pipe < 0) {
        return;
    }
    null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(null);
    }
    if (write(daemon_pipe, &c, 1) < 0) {
        /* The parent is gone; nothing to tell. */
    }
    close(daemon_pipe);
    daemon_pipe = -1;
}

static gboolean on_signal(gpointer opaque)
{
    int sig = GPOINTER_TO_INT(opaque);

    error_report("terminating on signal %d", sig);
    qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_SIGNAL);
    return G_SOURCE_CONTINUE;
}

static void setup_signals(void)
{
    signal(SIGPIPE, SIG_IGN);
    g_unix_signal_add(SIGINT, on_signal, GINT_TO_POINTER(SIGINT));
    g_unix_signal_add(SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM));
    g_unix_signal_add(SIGHUP, on_signal, GINT_TO_POINTER(SIGHUP));
}

static void machine_reset_devices(void *opaque)
{
    device_reset_all();
}

int qemu_main(int argc, char **argv, const char *arch)
{
    bool default_serial, default_monitor;
    const MachineClass *mc;
    MachineState *ms;
    Error *err = NULL;
    int status = 0;

    target_name = arch;
    error_set_progname(argv[0]);
    cfg.machine_opts = opts_new();
    cfg.accels = g_ptr_array_new_with_free_func(g_free);
    cfg.accel_args = g_ptr_array_new_with_free_func(g_free);
    cfg.chardevs = g_ptr_array_new();
    cfg.chardev_args = g_ptr_array_new_with_free_func(g_free);
    cfg.devices = g_ptr_array_new();
    cfg.device_args = g_ptr_array_new_with_free_func(g_free);
    cfg.globals = g_ptr_array_new_with_free_func(g_free);
    cfg.serials = g_ptr_array_new_with_free_func(g_free);
    cfg.monitors = g_ptr_array_new();

    parse_args(argc, argv);
    error_set_location(NULL);

    if (cfg.daemonize && cfg.nographic) {
        error_report("-nographic cannot be used with -daemonize");
        exit(1);
    }

    /* Machine class and the numbers that only need the class. */
    if (cfg.machine_type) {
        mc = machine_class_find(cfg.machine_type, target_name);
        if (!mc) {
            error_report("unsupported machine type: \"%s\"", cfg.machine_type);
            error_report("Use -machine help to list supported machines");
            exit(1);
        }
    } else {
        mc = machine_class_default(target_name);
        if (!mc) {
            error_report("No machine specified, and there is no default");
            error_report("Use -machine help to list supported machines");
            exit(1);
        }
    }
    check_machine_opts(mc, cfg.machine_opts);
    ms = g_new0(MachineState, 1);
    ms->mc = mc;
    ms->opts = cfg.machine_opts;
    ms->ram_size = parse_ram_size(mc);
    parse_smp(ms);
    ms->cpu_type = g_strdup(cfg.cpu ? cfg.cpu : mc->default_cpu_type);
    ms->kernel_filename = cfg.kernel;
    ms->initrd_filename = cfg.initrd;
    ms->kernel_cmdline = g_strdup(cfg.append ? cfg.append : "");
    ms->firmware = cfg.bios;
    ms->boot_order = cfg.boot;
    if (!cfg.kernel && (cfg.initrd || cfg.append)) {
        error_report(cfg.initrd ? "-initrd only allowed with -kernel option"
                                : "-append only allowed with -kernel option");
        exit(1);
    }
    current_machine = ms;

    if (cfg.daemonize) {
        daemonize_start();
    }
    if (cfg.pidfile) {
        write_pidfile();
        qemu_add_exit_notifier(remove_pidfile, NULL);
    }

    main_loop_init();
    memory_init();
    setup_signals();

    /* Chardevs first: everything else may refer to them by id. */
    for (guint i = 0; i < cfg.chardevs->len; i++) {
        Opts *o = g_ptr_array_index(cfg.chardevs, i);
        if (!chardev_new_from_opts(o, &err)) {
            opt_fail_err("chardev", g_ptr_array_index(cfg.chardev_args, i),
                         err);
        }
    }
    default_serial = !cfg.nodefaults && !mc->no_serial && cfg.serials->len == 0;
    default_monitor = !cfg.nodefaults && cfg.monitors->len == 0;
    if (cfg.qtest) {
        default_serial = default_monitor = false;
    }
    add_default_chardevs(default_serial, default_monitor);
    create_serials();

    for (guint i = 0; i < cfg.globals->len; i++) {
        const char *g = g_ptr_array_index(cfg.globals, i);
        if (!device_global_add(g, &err)) {
            opt_fail_err("global", g, err);
        }
    }

    current_accel = choose_accel(ms);
    qtest_enabled = !strcmp(current_accel->name, "qtest");
    if (qtest_enabled && cfg.qtest &&
        !qtest_init(cfg.qtest, cfg.qtest_log, &err)) {
        opt_fail_err("qtest", cfg.qtest, err);
    }

    if (ms->ram_size) {
        ms->ram = g_new0(MemoryRegion, 1);
        const char *ram_id = mc->default_ram_id ? mc->default_ram_id : "ram";
        if (!memory_region_init_ram(ms->ram, NULL, ram_id, ms->ram_size,
                                    &err)) {
            g_autofree char *s =
                g_strdup_printf("%" G_GUINT64_FORMAT, ms->ram_size);
            error_prepend(&err, "cannot set up guest memory '%s': ", ram_id);
            opt_fail_err("m", cfg.mem ? cfg.mem : s, err);
        }
    }
    if (!drive_open_all(mc->block_default_type,
                        mc->default_cdrom && !cfg.nodefaults &&
                            !cfg.no_default_cdrom,
                        &err)) {
        error_report_err(err);
        exit(1);
    }
    mc->init(ms, &err);
    if (err) {
        error_report_err(err);
        exit(1);
    }

    for (guint i = 0; i < cfg.devices->len; i++) {
        Opts *o = g_ptr_array_index(cfg.devices, i);
        if (!device_create_from_opts(o, &err)) {
            opt_fail_err("device", g_ptr_array_index(cfg.device_args, i), err);
        }
    }
    if (!drive_check_orphans(&err)) {
        error_report_err(err);
        exit(1);
    }
    create_monitors();

    if (current_accel->start_vcpus && !current_accel->start_vcpus(ms, &err)) {
        error_report_err(err);
        exit(1);
    }
    qemu_register_reset(machine_reset_devices, NULL);
    qemu_system_reset(SHUTDOWN_CAUSE_NONE);

    daemonize_finish();
    if (!cfg.start_paused) {
        vm_start();
    }

    while (!main_loop_should_exit(&status)) {
        main_loop_wait(false);
    }

    vm_shutdown();
    if (current_accel->shutdown) {
        current_accel->shutdown();
    }
    /* Flush queued events (SHUTDOWN) to QMP clients before closing. */
    main_loop_wait(true);
    chardev_cleanup_all();
    qemu_run_exit_notifiers();
    return status;
}
