/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-pc.c - the port bus: which device answers which I/O port, the
 * motherboard's miscellaneous ports, and the floating bus behind the
 * ports nobody decodes (see vm-pc.h).
 */
#include "vm-pc.h"

#include <glib.h>

#include "vm-i8042.h"
#include "vm-pclayout.h"
#include "vm-rtc.h"
#include "vm-uart.h"

G_STATIC_ASSERT(PC_SERIAL_RX_QUEUE == UART_RX_QUEUE);

/* System Control Port A (IBM PS/2 Technical Reference, "System Control
 * Port A"): bit 0 alternate hot reset on its rising edge, bit 1 alternate
 * (fast) A20 gate.  KVM has no A20 gate, so A20 starts and stays on; the
 * bit only reads back. */
#define SYSCTL_A_RESET   0x01u
#define SYSCTL_A_A20     0x02u
#define SYSCTL_A_KEPT    (SYSCTL_A_RESET | SYSCTL_A_A20)

/* Reset Control Register (Intel ICH/PCH datasheets, "RST_CNT", I/O 0xCF9,
 * byte access only): bit 2 RST_CPU starts the reset. */
#define RST_CNT_RST_CPU  0x04u

#define FLOATING_BUS     0xffu   /* nothing drives the ISA data lines */
#define POST_READ        0xffu   /* the AT's POST port is write-only */
#define DEBUGCON_READ    0xe9u   /* Bochs: reading 0xE9 says the console exists */

struct pc_platform {
	struct pc_platform_ops ops;
	struct uart com1;
	struct i8042 kbd;
	struct rtc rtc;
	uint8_t sysctl_a;
	uint8_t rst_cnt;
	uint8_t logged[65536 / 8];  /* floating ports already logged */
};

/* ---- the devices' callbacks, routed to the platform's ------------------- */

static void com1_tx(void *opaque, uint8_t byte)
{
	struct pc_platform *pc = opaque;
	pc->ops.serial_tx(pc->ops.opaque, byte);
}

static void com1_set_irq(void *opaque, bool level)
{
	struct pc_platform *pc = opaque;
	pc->ops.set_irq(pc->ops.opaque, PC_IRQ_COM1, level);
}

static void kbd_set_irq(void *opaque, bool level)
{
	struct pc_platform *pc = opaque;
	pc->ops.set_irq(pc->ops.opaque, PC_IRQ_KBD, level);
}

static void platform_reset(void *opaque)
{
	struct pc_platform *pc = opaque;
	pc->ops.reset(pc->ops.opaque);
}

static int64_t platform_now(void *opaque)
{
	struct pc_platform *pc = opaque;
	return pc->ops.now_ns(pc->ops.opaque);
}

/* ---- port handlers ---------------------------------------------------------- */

static uint8_t com1_read(struct pc_platform *pc, uint16_t port)
{
	return uart_read(&pc->com1, port - PC_PORT_COM1);
}

static void com1_write(struct pc_platform *pc, uint16_t port, uint8_t val)
{
	uart_write(&pc->com1, port - PC_PORT_COM1, val);
}

static uint8_t kbd_read(struct pc_platform *pc, uint16_t port)
{
	return i8042_read(&pc->kbd, port - PC_PORT_KBD_DATA);
}

static void kbd_write(struct pc_platform *pc, uint16_t port, uint8_t val)
{
	i8042_write(&pc->kbd, port - PC_PORT_KBD_DATA, val);
}

static uint8_t rtc_port_read(struct pc_platform *pc, uint16_t port)
{
	return rtc_read(&pc->rtc, port - PC_PORT_RTC_INDEX);
}

static void rtc_port_write(struct pc_platform *pc, uint16_t port, uint8_t val)
{
	rtc_write(&pc->rtc, port - PC_PORT_RTC_INDEX, val);
}

/* Port 0x80: kernels write it as a ~1 us I/O delay. */
static uint8_t post_read(struct pc_platform *pc, uint16_t port)
{
	return POST_READ;
}

static void post_write(struct pc_platform *pc, uint16_t port, uint8_t val)
{
}

static uint8_t sysctl_a_read(struct pc_platform *pc, uint16_t port)
{
	return pc->sysctl_a;
}

static void sysctl_a_write(struct pc_platform *pc, uint16_t port, uint8_t val)
{
	bool rising = (val & ~pc->sysctl_a) & SYSCTL_A_RESET;
	pc->sysctl_a = val & SYSCTL_A_KEPT;
	if (rising)
		pc->ops.reset(pc->ops.opaque);
}

static uint8_t rst_cnt_read(struct pc_platform *pc, uint16_t port)
{
	return pc->rst_cnt;
}

static void rst_cnt_write(struct pc_platform *pc, uint16_t port, uint8_t val)
{
	pc->rst_cnt = val;
	if (val & RST_CNT_RST_CPU)
		pc->ops.reset(pc->ops.opaque);
}

static uint8_t debugcon_read(struct pc_platform *pc, uint16_t port)
{
	return DEBUGCON_READ;
}

static void debugcon_write(struct pc_platform *pc, uint16_t port, uint8_t val)
{
	pc->ops.serial_tx(pc->ops.opaque, val);
}

/* ---- the bus ------------------------------------------------------------------ */

struct port_range {
	uint16_t first, last;
	bool byte_only;   /* decoded for 1-byte accesses only */
	uint8_t (*read)(struct pc_platform *pc, uint16_t port);
	void (*write)(struct pc_platform *pc, uint16_t port, uint8_t val);
};

static const struct port_range port_map[] = {
	{ PC_PORT_COM1, PC_PORT_COM1 + UART_NR_REGS - 1, false, com1_read, com1_write },
	{ PC_PORT_KBD_DATA, PC_PORT_KBD_DATA, false, kbd_read, kbd_write },
	{ PC_PORT_KBD_STATUS, PC_PORT_KBD_STATUS, false, kbd_read, kbd_write },
	{ PC_PORT_RTC_INDEX, PC_PORT_RTC_DATA, false, rtc_port_read, rtc_port_write },
	{ PC_PORT_POST, PC_PORT_POST, false, post_read, post_write },
	{ PC_PORT_SYSCTL_A, PC_PORT_SYSCTL_A, false, sysctl_a_read, sysctl_a_write },
	{ PC_PORT_DEBUGCON, PC_PORT_DEBUGCON, false, debugcon_read, debugcon_write },
	{ PC_PORT_RST_CNT, PC_PORT_RST_CNT, true, rst_cnt_read, rst_cnt_write },
};

static const struct port_range *decode_port(uint16_t port, unsigned access_size)
{
	for (size_t i = 0; i < G_N_ELEMENTS(port_map); i++) {
		const struct port_range *r = &port_map[i];
		if (port >= r->first && port <= r->last)
			return (r->byte_only && access_size != 1) ? NULL : r;
	}
	return NULL;
}

bool pc_port_is_handled(uint16_t port)
{
	return decode_port(port, 1) != NULL;
}

/* One debug line per access the first time it touches a port nobody
 * decodes; the access's other floating ports count as logged with it. */
static bool mark_logged(struct pc_platform *pc, uint16_t port)
{
	uint8_t bit = 1u << (port % 8);
	bool fresh = !(pc->logged[port / 8] & bit);
	pc->logged[port / 8] |= bit;
	return fresh;
}

void pc_io(struct pc_platform *pc, uint16_t port, bool is_write, unsigned size, unsigned count,
	   uint8_t *data)
{
	g_return_if_fail(size == 1 || size == 2 || size == 4);

	for (unsigned rep = 0; rep < count; rep++) {
		uint8_t *bytes = data + (size_t)rep * size;
		bool log = false;
		for (unsigned i = 0; i < size; i++) {
			uint16_t p = (uint16_t)(port + i);
			const struct port_range *r = decode_port(p, size);
			if (!r) {
				log |= mark_logged(pc, p);
				if (!is_write)
					bytes[i] = FLOATING_BUS;
			} else if (is_write) {
				r->write(pc, p, bytes[i]);
			} else {
				bytes[i] = r->read(pc, p);
			}
		}
		if (log)
			g_debug("I/O port 0x%04x (%u-byte %s): no device there, floating bus",
				port, size, is_write ? "write" : "read");
	}
}

size_t pc_serial_receive(struct pc_platform *pc, const uint8_t *bytes, size_t n)
{
	return uart_receive(&pc->com1, bytes, n);
}

struct pc_platform *pc_platform_new(const struct pc_platform_ops *ops, uint64_t mem_size)
{
	g_return_val_if_fail(ops && ops->serial_tx && ops->set_irq && ops->reset && ops->now_ns, NULL);

	struct pc_platform *pc = g_new0(struct pc_platform, 1);
	pc->ops = *ops;
	uart_init(&pc->com1, &(struct uart_ops){ com1_tx, com1_set_irq, pc });
	i8042_init(&pc->kbd, &(struct i8042_ops){ kbd_set_irq, platform_reset, pc });
	rtc_init(&pc->rtc, &(struct rtc_ops){ platform_now, pc }, mem_size);
	pc->sysctl_a = SYSCTL_A_A20;
	return pc;
}

void pc_platform_free(struct pc_platform *pc)
{
	g_free(pc);
}
