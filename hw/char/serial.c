/*
 * 16550A UART on the ISA bus ("isa-serial"): COM1-COM4 of a PC.
 *
 * Interface:
 *   ports   iobase .. iobase+7 (COM1 0x3f8, COM2 0x2f8, COM3 0x3e8,
 *           COM4 0x2e8 by "index" unless "iobase" is given)
 *   irq     one ISA line (4, 3, 4, 3 by index unless "irq" is given)
 *   props   index (default: the first unused), iobase, irq, chardev
 * Follows the National Semiconductor PC16550D datasheet (June 1995):
 * registers in table II, interrupt priorities in table IV, FIFO triggers
 * under FCR.  Transmission is instantaneous (THR empties at once); the
 * receive FIFO holds 16 bytes and a character-timeout interrupt is
 * reported as soon as data sits below the trigger level.
 */
#include <string.h>

#include "chardev/char.h"
#include "hw/isa/isa.h"
#include "util/log.h"

/* Register offsets (DLAB = 0 unless noted). */
#define UART_RBR 0 /* read: receive buffer; write: THR */
#define UART_IER 1
#define UART_IIR 2 /* read: interrupt identification; write: FCR */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_DLL 0 /* DLAB = 1 */
#define UART_DLM 1 /* DLAB = 1 */

#define UART_IER_RDI  0x01 /* received data available */
#define UART_IER_THRI 0x02 /* THR empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI  0x08 /* modem status */

#define UART_IIR_NO_INT       0x01
#define UART_IIR_MSI          0x00
#define UART_IIR_THRI         0x02
#define UART_IIR_RDI          0x04
#define UART_IIR_RLSI         0x06
#define UART_IIR_CTI          0x0c
#define UART_IIR_FIFO_ENABLED 0xc0

#define UART_FCR_ENABLE       0x01
#define UART_FCR_CLEAR_RCVR   0x02
#define UART_FCR_CLEAR_XMIT   0x04
#define UART_FCR_TRIGGER_MASK 0xc0

#define UART_LCR_DLAB 0x80
#define UART_LCR_SBC  0x40 /* set break */

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR     0x01
#define UART_LSR_OE     0x02
#define UART_LSR_PE     0x04
#define UART_LSR_FE     0x08
#define UART_LSR_BI     0x10
#define UART_LSR_THRE   0x20
#define UART_LSR_TEMT   0x40
#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS   0x01
#define UART_MSR_DDSR   0x02
#define UART_MSR_TERI   0x04
#define UART_MSR_DDCD   0x08
#define UART_MSR_CTS    0x10
#define UART_MSR_DSR    0x20
#define UART_MSR_RI     0x40
#define UART_MSR_DCD    0x80
#define UART_MSR_DELTAS 0x0f

#define UART_FIFO_SIZE 16

typedef struct SerialState {
    ISADevice parent;
    /* Properties. */
    uint32_t index;
    uint32_t iobase;
    uint32_t isairq;
    Chardev *chr;
    /* Wiring. */
    MemoryRegion io;
    qemu_irq irq;
    CharFrontend fe;
    /* Registers. */
    uint16_t divider;
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
    /* Receive FIFO (one byte deep when FIFOs are off). */
    uint8_t rx[UART_FIFO_SIZE];
    unsigned rx_head, rx_count;
    bool thr_ipending;     /* THR-empty interrupt not yet acknowledged */
    bool timeout_ipending; /* character timeout */
} SerialState;
DECLARE_DEVICE_CAST(SerialState, ISA_SERIAL, "isa-serial")

static const uint16_t serial_default_iobase[4] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
static const uint8_t serial_default_irq[4] = {4, 3, 4, 3};
static unsigned serial_used; /* bit i: an isa-serial has index i */

static unsigned serial_rx_trigger(const SerialState *s)
{
    static const unsigned levels[4] = {1, 4, 8, 14};

    if (!(s->fcr & UART_FCR_ENABLE)) {
        return 1;
    }
    return levels[(s->fcr & UART_FCR_TRIGGER_MASK) >> 6];
}

/* Highest-priority pending interrupt, as IIR bits 3:0 report it. */
static uint8_t serial_pending(const SerialState *s)
{
    if ((s->ier & UART_IER_RLSI) && (s->lsr & UART_LSR_ERRORS)) {
        return UART_IIR_RLSI;
    }
    if ((s->ier & UART_IER_RDI) && s->rx_count >= serial_rx_trigger(s)) {
        return UART_IIR_RDI;
    }
    if ((s->ier & UART_IER_RDI) && s->timeout_ipending && s->rx_count) {
        return UART_IIR_CTI;
    }
    if ((s->ier & UART_IER_THRI) && s->thr_ipending) {
        return UART_IIR_THRI;
    }
    if ((s->ier & UART_IER_MSI) && (s->msr & UART_MSR_DELTAS)) {
        return UART_IIR_MSI;
    }
    return UART_IIR_NO_INT;
}

static void serial_update_irq(SerialState *s)
{
    qemu_set_irq(s->irq, serial_pending(s) != UART_IIR_NO_INT);
}

static void serial_rx_clear(SerialState *s)
{
    s->rx_head = s->rx_count = 0;
    s->timeout_ipending = false;
    s->lsr &= ~UART_LSR_DR;
}

static void serial_rx_push(SerialState *s, uint8_t byte)
{
    unsigned depth = (s->fcr & UART_FCR_ENABLE) ? UART_FIFO_SIZE : 1;

    if (s->rx_count >= depth) {
        s->lsr |= UART_LSR_OE; /* overrun: the new byte is lost */
        return;
    }
    s->rx[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = byte;
    s->rx_count++;
    s->lsr |= UART_LSR_DR;
    s->timeout_ipending = true;
}

/* Modem status as the pins show it: loopback routes MCR to MSR. */
static void serial_update_msr(SerialState *s)
{
    uint8_t old = s->msr, v;

    if (s->mcr & UART_MCR_LOOP) {
        v = ((s->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
            ((s->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
            ((s->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
            ((s->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
    } else {
        v = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
    }
    s->msr = (old & UART_MSR_DELTAS) | v;
    if ((old ^ v) & UART_MSR_CTS) {
        s->msr |= UART_MSR_DCTS;
    }
    if ((old ^ v) & UART_MSR_DSR) {
        s->msr |= UART_MSR_DDSR;
    }
    if ((old ^ v) & UART_MSR_DCD) {
        s->msr |= UART_MSR_DDCD;
    }
    if ((old & UART_MSR_RI) && !(v & UART_MSR_RI)) {
        s->msr |= UART_MSR_TERI;
    }
}

static void serial_transmit(SerialState *s, uint8_t byte)
{
    if (s->mcr & UART_MCR_LOOP) {
        serial_rx_push(s, byte);
    } else if (!(s->lcr & UART_LCR_SBC)) {
        chr_fe_write_all(&s->fe, &byte, 1);
    }
    s->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
    s->thr_ipending = true;
}

static uint64_t serial_read(void *opaque, hwaddr addr, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = 0;

    switch (addr) {
    case UART_RBR:
        if (s->lcr & UART_LCR_DLAB) {
            v = s->divider & 0xff;
            break;
        }
        if (s->rx_count) {
            v = s->rx[s->rx_head];
            s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
            s->rx_count--;
        }
        s->timeout_ipending = false;
        if (!s->rx_count) {
            s->lsr &= ~UART_LSR_DR;
            chr_fe_accept_input(&s->fe);
        }
        break;
    case UART_IER:
        v = (s->lcr & UART_LCR_DLAB) ? s->divider >> 8 : s->ier;
        break;
    case UART_IIR:
        v = serial_pending(s);
        if (v == UART_IIR_THRI) {
            s->thr_ipending = false; /* reading IIR acknowledges THRE */
        }
        if (s->fcr & UART_FCR_ENABLE) {
            v |= UART_IIR_FIFO_ENABLED;
        }
        break;
    case UART_LCR:
        v = s->lcr;
        break;
    case UART_MCR:
        v = s->mcr;
        break;
    case UART_LSR:
        v = s->lsr;
        s->lsr &= ~UART_LSR_ERRORS;
        break;
    case UART_MSR:
        v = s->msr;
        s->msr &= ~UART_MSR_DELTAS;
        break;
    case UART_SCR:
        v = s->scr;
        break;
    }
    serial_update_irq(s);
    return v;
}

static void serial_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = val;

    switch (addr) {
    case UART_RBR:
        if (s->lcr & UART_LCR_DLAB) {
            s->divider = (s->divider & 0xff00) | v;
        } else {
            s->thr_ipending = false;
            serial_transmit(s, v);
        }
        break;
    case UART_IER:
        if (s->lcr & UART_LCR_DLAB) {
            s->divider = (s->divider & 0x00ff) | (v << 8);
            break;
        }
        /* Enabling THRI with THR empty raises it at once (16550A). */
        if ((v & UART_IER_THRI) && !(s->ier & UART_IER_THRI) &&
            (s->lsr & UART_LSR_THRE)) {
            s->thr_ipending = true;
        }
        s->ier = v & 0x0f;
        break;
    case UART_IIR: /* FCR */
        if ((v ^ s->fcr) & UART_FCR_ENABLE) {
            serial_rx_clear(s); /* toggling FIFO mode clears both FIFOs */
        }
        if (v & UART_FCR_CLEAR_RCVR) {
            serial_rx_clear(s);
        }
        s->fcr = v & (UART_FCR_ENABLE | UART_FCR_TRIGGER_MASK);
        break;
    case UART_LCR:
        s->lcr = v;
        break;
    case UART_MCR:
        s->mcr = v & 0x1f;
        serial_update_msr(s);
        break;
    case UART_LSR:
    case UART_MSR:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: write 0x%02x to read-only register %u\n", __func__,
                      v, (unsigned)addr);
        break;
    case UART_SCR:
        s->scr = v;
        break;
    }
    serial_update_irq(s);
}

static const MemoryRegionOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

/* Host side. */
static int serial_can_receive(void *opaque)
{
    SerialState *s = opaque;

    if (s->mcr & UART_MCR_LOOP) {
        return 0;
    }
    if (s->fcr & UART_FCR_ENABLE) {
        return UART_FIFO_SIZE - s->rx_count;
    }
    return s->rx_count ? 0 : 1;
}

static void serial_receive(void *opaque, const uint8_t *buf, int size)
{
    SerialState *s = opaque;

    for (int i = 0; i < size; i++) {
        serial_rx_push(s, buf[i]);
    }
    serial_update_irq(s);
}

static void serial_event(void *opaque, ChardevEvent event)
{
    SerialState *s = opaque;

    if (event == CHR_EVENT_BREAK) {
        serial_rx_push(s, 0);
        s->lsr |= UART_LSR_BI;
        serial_update_irq(s);
    }
}

static void serial_reset(DeviceState *dev)
{
    SerialState *s = ISA_SERIAL(dev);

    s->divider = 12; /* 9600 baud */
    s->ier = 0;
    s->lcr = 0;
    s->mcr = UART_MCR_OUT2;
    s->lsr = UART_LSR_TEMT | UART_LSR_THRE;
    s->msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
    s->scr = 0;
    s->fcr = 0;
    serial_rx_clear(s);
    s->thr_ipending = false;
    serial_update_irq(s);
}

static bool serial_realize(DeviceState *dev, Error **errp)
{
    SerialState *s = ISA_SERIAL(dev);

    if (s->index == UINT32_MAX) {
        /* The first COM port no other isa-serial uses, as QEMU picks it. */
        for (s->index = 0; s->index < 4 && (serial_used & (1u << s->index));
             s->index++) {
        }
    }
    if (s->index >= 4 && (s->iobase == UINT32_MAX || s->isairq == UINT32_MAX)) {
        error_setg(errp, "isa-serial: index %u needs iobase and irq", s->index);
        return false;
    }
    if (s->iobase == UINT32_MAX) {
        s->iobase = serial_default_iobase[s->index];
    }
    if (s->isairq == UINT32_MAX) {
        s->isairq = serial_default_irq[s->index];
    }
    if (s->iobase > 0xfff8 || s->isairq >= ISA_NUM_IRQS) {
        error_setg(errp, "isa-serial: iobase 0x%x or irq %u out of range",
                   s->iobase, s->isairq);
        return false;
    }
    if (s->chr) {
        if (!chr_fe_init(&s->fe, s->chr, errp)) {
            return false;
        }
        chr_fe_set_handlers(&s->fe, serial_can_receive, serial_receive,
                            serial_event, s);
    }
    if (s->index < 32) {
        serial_used |= 1u << s->index;
    }
    s->irq = isa_get_irq(ISA_DEVICE(s), s->isairq);
    memory_region_init_io(&s->io, dev, &serial_ops, s, "serial", 8);
    isa_register_ioport(ISA_DEVICE(s), &s->io, s->iobase);
    serial_reset(dev);
    return true;
}

static const Property serial_props[] = {
    DEFINE_PROP_UINT32("index", SerialState, index, UINT32_MAX),
    DEFINE_PROP_UINT32("iobase", SerialState, iobase, UINT32_MAX),
    DEFINE_PROP_UINT32("irq", SerialState, isairq, UINT32_MAX),
    DEFINE_PROP_CHR("chardev", SerialState, chr),
    DEFINE_PROP_END,
};

static const DeviceTypeInfo serial_info = {
    .name = "isa-serial",
    .parent = "isa-device",
    .instance_size = sizeof(SerialState),
    .desc = "16550A UART",
    .category = DEVICE_CATEGORY_INPUT,
    .user_creatable = true,
    .props = serial_props,
    .realize = serial_realize,
    .reset = serial_reset,
};
DEVICE_TYPE_REGISTER(serial_info)
