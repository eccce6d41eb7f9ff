/*
 * 8042 keyboard controller with a PS/2 keyboard and mouse ("i8042").
 *
 * Interface:
 *   ports   0x60 data, 0x64 status (read) / command (write)
 *   irq     ISA 1 (keyboard data), ISA 12 (mouse data)
 * Follows the IBM PC/AT Technical Reference (8042 commands and status
 * bits) and the PS/2 keyboard/mouse command sets as Linux's i8042,
 * atkbd and psmouse drivers probe them.  Command 0xFE (pulse reset) and
 * a write of the output port with bit 0 clear reset the machine.  The
 * gate A20 bits are latched only: memory always decodes all address lines.
 * No host input is wired yet; the devices answer commands.
 */
#include <string.h>

#include "hw/isa/isa.h"
#include "system/runstate.h"
#include "util/log.h"

#define I8042_DATA   0x00 /* offset in the 0x60 region */
#define I8042_STATUS 0x00 /* offset in the 0x64 region */

/* Status register. */
#define STAT_OBF      0x01
#define STAT_IBF      0x02
#define STAT_SYS      0x04
#define STAT_CMD      0x08 /* last write went to the command port */
#define STAT_UNLOCKED 0x10
#define STAT_AUX_OBF  0x20

/* Controller configuration byte ("command byte"). */
#define CCB_KBD_INT     0x01
#define CCB_AUX_INT     0x02
#define CCB_SYS         0x04
#define CCB_KBD_DISABLE 0x10
#define CCB_AUX_DISABLE 0x20
#define CCB_XLATE       0x40

/* Controller commands. */
#define CMD_READ_CCB       0x20
#define CMD_WRITE_CCB      0x60
#define CMD_AUX_DISABLE    0xa7
#define CMD_AUX_ENABLE     0xa8
#define CMD_AUX_TEST       0xa9
#define CMD_SELF_TEST      0xaa
#define CMD_KBD_TEST       0xab
#define CMD_KBD_DISABLE    0xad
#define CMD_KBD_ENABLE     0xae
#define CMD_READ_INPORT    0xc0
#define CMD_READ_OUTPORT   0xd0
#define CMD_WRITE_OUTPORT  0xd1
#define CMD_WRITE_KBD_OBUF 0xd2
#define CMD_WRITE_AUX_OBUF 0xd3
#define CMD_WRITE_AUX      0xd4
#define CMD_A20_DISABLE    0xdd
#define CMD_A20_ENABLE     0xdf
#define CMD_READ_TEST      0xe0
#define CMD_PULSE_FIRST    0xf0 /* 0xf0-0xff: pulse output port bits 3:0 */

/* Output port bits. */
#define OUT_RESET   0x01 /* active low */
#define OUT_A20     0x02
#define OUT_KBD_OBF 0x10
#define OUT_AUX_OBF 0x20

/* PS/2 replies. */
#define PS2_ACK    0xfa
#define PS2_RESEND 0xfe
#define PS2_BAT_OK 0xaa

#define QUEUE_SIZE 16

typedef struct PS2Queue {
    uint8_t data[QUEUE_SIZE];
    unsigned head, count;
} PS2Queue;

typedef struct I8042State {
    ISADevice parent;
    MemoryRegion io_data, io_cmd;
    qemu_irq irq_kbd, irq_aux;
    /* Controller. */
    uint8_t status;
    uint8_t ccb;
    uint8_t outport;
    uint8_t pending_cmd; /* controller command waiting for its data byte */
    uint8_t obuf;        /* output buffer when STAT_OBF */
    bool obuf_aux;       /* the byte came from the mouse */
    /* Keyboard. */
    PS2Queue kbd_q;
    uint8_t kbd_cmd; /* command waiting for its argument, or 0 */
    bool kbd_enabled;
    uint8_t kbd_scancode_set;
    /* Mouse. */
    PS2Queue aux_q;
    uint8_t aux_cmd;
    bool aux_enabled;
    uint8_t aux_rate, aux_res, aux_scaling;
} I8042State;
DECLARE_DEVICE_CAST(I8042State, I8042, "i8042")

static void queue_reset(PS2Queue *q)
{
    q->head = q->count = 0;
}

static void queue_put(PS2Queue *q, uint8_t v)
{
    if (q->count == QUEUE_SIZE) {
        return; /* a real device drops on overflow */
    }
    q->data[(q->head + q->count) % QUEUE_SIZE] = v;
    q->count++;
}

static uint8_t queue_get(PS2Queue *q)
{
    uint8_t v = q->data[q->head];

    q->head = (q->head + 1) % QUEUE_SIZE;
    q->count--;
    return v;
}

/* Refills the output buffer from the devices and recomputes both IRQs. */
static void i8042_update_irq(I8042State *s)
{
    if (!(s->status & STAT_OBF)) {
        if (s->kbd_q.count && !(s->ccb & CCB_KBD_DISABLE)) {
            s->obuf = queue_get(&s->kbd_q);
            s->obuf_aux = false;
            s->status |= STAT_OBF;
        } else if (s->aux_q.count && !(s->ccb & CCB_AUX_DISABLE)) {
            s->obuf = queue_get(&s->aux_q);
            s->obuf_aux = true;
            s->status |= STAT_OBF;
        }
    }
    if (s->status & STAT_OBF) {
        s->status =
            s->obuf_aux ? s->status | STAT_AUX_OBF : s->status & ~STAT_AUX_OBF;
    } else {
        s->status &= ~STAT_AUX_OBF;
    }
    s->outport &= ~(OUT_KBD_OBF | OUT_AUX_OBF);
    if (s->status & STAT_OBF) {
        s->outport |= s->obuf_aux ? OUT_AUX_OBF : OUT_KBD_OBF;
    }
    qemu_set_irq(s->irq_kbd, (s->status & STAT_OBF) && !s->obuf_aux &&
                                 (s->ccb & CCB_KBD_INT));
    qemu_set_irq(s->irq_aux, (s->status & STAT_OBF) && s->obuf_aux &&
                                 (s->ccb & CCB_AUX_INT));
}

/* A byte from the controller itself goes ahead of the keyboard's queue. */
static void i8042_reply(I8042State *s, uint8_t v, bool aux)
{
    PS2Queue *q = aux ? &s->aux_q : &s->kbd_q;

    if (!(s->status & STAT_OBF)) {
        s->obuf = v;
        s->obuf_aux = aux;
        s->status |= STAT_OBF;
    } else {
        queue_put(q, v);
    }
}

static void i8042_outport_write(I8042State *s, uint8_t v)
{
    if (!(v & OUT_A20)) {
        qemu_log_mask(LOG_UNIMP, "%s: gate A20 off is not emulated\n",
                      __func__);
    }
    s->outport = v;
    if (!(v & OUT_RESET)) {
        qemu_system_guest_reset_request();
    }
}

/* ---- PS/2 keyboard ---- */

static void kbd_reset_defaults(I8042State *s)
{
    s->kbd_scancode_set = 2;
    s->kbd_cmd = 0;
}

static void kbd_write(I8042State *s, uint8_t v)
{
    PS2Queue *q = &s->kbd_q;

    if (s->kbd_cmd) {
        uint8_t cmd = s->kbd_cmd;
        s->kbd_cmd = 0;
        if (cmd == 0xf0) { /* scan code set */
            queue_put(q, PS2_ACK);
            if (v == 0) {
                queue_put(q, s->kbd_scancode_set);
            } else if (v <= 3) {
                s->kbd_scancode_set = v;
            }
        } else { /* 0xed LEDs, 0xf3 typematic: argument accepted */
            queue_put(q, PS2_ACK);
        }
        return;
    }
    switch (v) {
    case 0xed: /* set LEDs */
    case 0xf3: /* typematic rate */
    case 0xf0: /* scan code set */
        s->kbd_cmd = v;
        queue_put(q, PS2_ACK);
        break;
    case 0xee: /* echo */
        queue_put(q, 0xee);
        break;
    case 0xf2: /* identify: MF2 keyboard, translated id when XLATE */
        queue_put(q, PS2_ACK);
        queue_put(q, 0xab);
        queue_put(q, (s->ccb & CCB_XLATE) ? 0x41 : 0x83);
        break;
    case 0xf4: /* enable scanning */
        s->kbd_enabled = true;
        queue_put(q, PS2_ACK);
        break;
    case 0xf5: /* disable and set defaults */
        s->kbd_enabled = false;
        kbd_reset_defaults(s);
        queue_put(q, PS2_ACK);
        break;
    case 0xf6: /* set defaults */
        kbd_reset_defaults(s);
        queue_put(q, PS2_ACK);
        break;
    case 0xff: /* reset and self test */
        queue_reset(q);
        kbd_reset_defaults(s);
        s->kbd_enabled = true;
        queue_put(q, PS2_ACK);
        queue_put(q, PS2_BAT_OK);
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: keyboard command 0x%02x\n", __func__, v);
        queue_put(q, PS2_RESEND);
        break;
    }
}

/* ---- PS/2 mouse ---- */

static void aux_reset_defaults(I8042State *s)
{
    s->aux_rate = 100;
    s->aux_res = 2;
    s->aux_scaling = 1;
    s->aux_enabled = false;
    s->aux_cmd = 0;
}

static void aux_write(I8042State *s, uint8_t v)
{
    PS2Queue *q = &s->aux_q;

    if (s->aux_cmd) {
        if (s->aux_cmd == 0xf3) {
            s->aux_rate = v;
        } else if (s->aux_cmd == 0xe8) {
            s->aux_res = v & 3;
        }
        s->aux_cmd = 0;
        queue_put(q, PS2_ACK);
        return;
    }
    switch (v) {
    case 0xe6: /* scaling 1:1 */
    case 0xe7: /* scaling 2:1 */
        s->aux_scaling = v == 0xe6 ? 1 : 2;
        queue_put(q, PS2_ACK);
        break;
    case 0xe8: /* resolution */
    case 0xf3: /* sample rate */
        s->aux_cmd = v;
        queue_put(q, PS2_ACK);
        break;
    case 0xe9: /* status request */
        queue_put(q, PS2_ACK);
        queue_put(q, (s->aux_enabled ? 0x20 : 0) |
                         (s->aux_scaling == 2 ? 0x10 : 0));
        queue_put(q, s->aux_res);
        queue_put(q, s->aux_rate);
        break;
    case 0xea: /* stream mode */
    case 0xf0: /* remote mode */
    case 0xec: /* reset wrap mode */
    case 0xee: /* wrap mode */
        queue_put(q, PS2_ACK);
        break;
    case 0xeb: /* read data: no movement */
        queue_put(q, PS2_ACK);
        queue_put(q, 0x08);
        queue_put(q, 0);
        queue_put(q, 0);
        break;
    case 0xf2: /* identify: standard PS/2 mouse */
        queue_put(q, PS2_ACK);
        queue_put(q, 0x00);
        break;
    case 0xf4:
        s->aux_enabled = true;
        queue_put(q, PS2_ACK);
        break;
    case 0xf5:
        s->aux_enabled = false;
        queue_put(q, PS2_ACK);
        break;
    case 0xf6:
        aux_reset_defaults(s);
        queue_put(q, PS2_ACK);
        break;
    case 0xff:
        queue_reset(q);
        aux_reset_defaults(s);
        queue_put(q, PS2_ACK);
        queue_put(q, PS2_BAT_OK);
        queue_put(q, 0x00);
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: mouse command 0x%02x\n", __func__, v);
        queue_put(q, PS2_RESEND);
        break;
    }
}

/* ---- Controller ---- */

static void i8042_command(I8042State *s, uint8_t cmd)
{
    switch (cmd) {
    case CMD_READ_CCB:
        i8042_reply(s, s->ccb, false);
        break;
    case CMD_WRITE_CCB:
    case CMD_WRITE_OUTPORT:
    case CMD_WRITE_KBD_OBUF:
    case CMD_WRITE_AUX_OBUF:
    case CMD_WRITE_AUX:
        s->pending_cmd = cmd;
        break;
    case CMD_AUX_DISABLE:
        s->ccb |= CCB_AUX_DISABLE;
        break;
    case CMD_AUX_ENABLE:
        s->ccb &= ~CCB_AUX_DISABLE;
        break;
    case CMD_AUX_TEST:
    case CMD_KBD_TEST:
        i8042_reply(s, 0x00, false);
        break;
    case CMD_SELF_TEST:
        s->status |= STAT_SYS;
        i8042_reply(s, 0x55, false);
        break;
    case CMD_KBD_DISABLE:
        s->ccb |= CCB_KBD_DISABLE;
        break;
    case CMD_KBD_ENABLE:
        s->ccb &= ~CCB_KBD_DISABLE;
        break;
    case CMD_READ_INPORT:
        i8042_reply(s, 0x80, false); /* keyboard not inhibited */
        break;
    case CMD_READ_OUTPORT:
        i8042_reply(s, s->outport, false);
        break;
    case CMD_A20_DISABLE:
        i8042_outport_write(s, s->outport & ~OUT_A20);
        break;
    case CMD_A20_ENABLE:
        i8042_outport_write(s, s->outport | OUT_A20);
        break;
    case CMD_READ_TEST:
        i8042_reply(s, 0x00, false);
        break;
    default:
        if (cmd >= CMD_PULSE_FIRST) {
            if (!(cmd & 1)) {
                qemu_system_guest_reset_request(); /* 0xfe */
            }
            break;
        }
        qemu_log_mask(LOG_GUEST_ERROR, "%s: unknown command 0x%02x\n", __func__,
                      cmd);
        break;
    }
}

static void i8042_data_write(I8042State *s, uint8_t v)
{
    uint8_t cmd = s->pending_cmd;

    s->pending_cmd = 0;
    switch (cmd) {
    case CMD_WRITE_CCB:
        s->ccb = v;
        s->status = (s->status & ~STAT_SYS) | (v & CCB_SYS ? STAT_SYS : 0);
        break;
    case CMD_WRITE_OUTPORT:
        i8042_outport_write(s, v);
        break;
    case CMD_WRITE_KBD_OBUF:
        i8042_reply(s, v, false);
        break;
    case CMD_WRITE_AUX_OBUF:
        i8042_reply(s, v, true);
        break;
    case CMD_WRITE_AUX:
        aux_write(s, v);
        break;
    default:
        /* Writing to the keyboard re-enables its interface. */
        s->ccb &= ~CCB_KBD_DISABLE;
        kbd_write(s, v);
        break;
    }
}

static uint64_t i8042_data_read(void *opaque, hwaddr addr, unsigned size)
{
    I8042State *s = opaque;
    uint8_t v = s->obuf; /* with OBF clear, the last byte again */

    s->status &= ~STAT_OBF;
    /*
     * Reading empties the output buffer, which drops IRQ 1/12 even when
     * the next queued byte is loaded at once: the ISA lines are edge
     * triggered, so each byte needs its own rising edge (a line left high
     * hides every later byte from an interrupt-driven driver).
     */
    qemu_set_irq(s->irq_kbd, 0);
    qemu_set_irq(s->irq_aux, 0);
    i8042_update_irq(s);
    return v;
}

static void i8042_data_io_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
    I8042State *s = opaque;

    s->status &= ~STAT_CMD;
    i8042_data_write(s, val);
    i8042_update_irq(s);
}

static uint64_t i8042_status_read(void *opaque, hwaddr addr, unsigned size)
{
    I8042State *s = opaque;

    return s->status;
}

static void i8042_cmd_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    I8042State *s = opaque;

    s->status |= STAT_CMD;
    s->pending_cmd = 0;
    i8042_command(s, val);
    i8042_update_irq(s);
}

static const MemoryRegionOps i8042_data_ops = {
    .read = i8042_data_read,
    .write = i8042_data_io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static const MemoryRegionOps i8042_cmd_ops = {
    .read = i8042_status_read,
    .write = i8042_cmd_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static void i8042_reset(DeviceState *dev)
{
    I8042State *s = I8042(dev);

    s->status = STAT_CMD | STAT_UNLOCKED;
    s->ccb = CCB_KBD_INT | CCB_AUX_INT;
    s->outport = OUT_RESET | OUT_A20;
    s->pending_cmd = 0;
    s->obuf = 0;
    s->obuf_aux = false;
    queue_reset(&s->kbd_q);
    queue_reset(&s->aux_q);
    kbd_reset_defaults(s);
    s->kbd_enabled = true;
    aux_reset_defaults(s);
    i8042_update_irq(s);
}

static bool i8042_realize(DeviceState *dev, Error **errp)
{
    I8042State *s = I8042(dev);

    s->irq_kbd = isa_get_irq(ISA_DEVICE(s), 1);
    s->irq_aux = isa_get_irq(ISA_DEVICE(s), 12);
    memory_region_init_io(&s->io_data, dev, &i8042_data_ops, s, "i8042-data",
                          1);
    isa_register_ioport(ISA_DEVICE(s), &s->io_data, 0x60);
    memory_region_init_io(&s->io_cmd, dev, &i8042_cmd_ops, s, "i8042-cmd", 1);
    isa_register_ioport(ISA_DEVICE(s), &s->io_cmd, 0x64);
    i8042_reset(dev);
    return true;
}

static const DeviceTypeInfo i8042_info = {
    .name = "i8042",
    .parent = "isa-device",
    .instance_size = sizeof(I8042State),
    .desc = "8042 keyboard controller with PS/2 keyboard and mouse",
    .category = DEVICE_CATEGORY_INPUT,
    .realize = i8042_realize,
    .reset = i8042_reset,
};
DEVICE_TYPE_REGISTER(i8042_info)
