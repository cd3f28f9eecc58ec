/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-i8042.c - the keyboard controller and its keyboard (see vm-i8042.h).
 * "TR" below is the IBM PS/2 Hardware Interface Technical Reference.
 */
#include "vm-i8042.h"

#include <string.h>

/* TR, Keyboard/Auxiliary Device Controller, "Status Register". */
#define STATUS_OBF       0x01u  /* output buffer full */
#define STATUS_IBF       0x02u  /* input buffer full: never, commands are instant */
#define STATUS_SYS       0x04u  /* system flag (copy of command byte bit 2) */
#define STATUS_CMD_DATA  0x08u  /* last write was to 0x64 */
#define STATUS_INH       0x10u  /* 1 = keyboard not inhibited (no key lock) */
#define STATUS_AUX_OBF   0x20u  /* byte is from the aux device: never */

/* TR, "Command Byte". */
#define CB_KBD_INT   0x01u  /* IRQ 1 when the output buffer fills */
#define CB_AUX_INT   0x02u
#define CB_SYS       0x04u
#define CB_KBD_DIS   0x10u
#define CB_AUX_DIS   0x20u
#define CB_XLATE     0x40u  /* translate keyboard bytes to scan code set 1 */
/* At power-on (after POST): translation, system flag, keyboard IRQ on. */
#define CB_POWER_ON  (CB_XLATE | CB_SYS | CB_KBD_INT)

/* TR, "Output Port".  Bit 0 is the processor reset line, active low. */
#define OUTPORT_RESET_N  0x01u
#define OUTPORT_A20      0x02u
#define OUTPORT_KBD_OBF  0x10u  /* output buffer full (IRQ 1) */
#define OUTPORT_KBD_CLK  0x40u
#define OUTPORT_KBD_DATA 0x80u
#define OUTPORT_POWER_ON (OUTPORT_KBD_DATA | OUTPORT_KBD_CLK | OUTPORT_A20 | OUTPORT_RESET_N)

/* TR, "Input Port" as read by 0xC0: bit 7 keyboard not inhibited, bit 6 0 =
 * colour display, bit 5 1 = no manufacturing jumper. */
#define INPORT_VALUE     0xa0u

/* TR, "Commands (I/O Address Hex 64)". */
#define CTL_READ_CB        0x20u
#define CTL_WRITE_CB       0x60u
#define CTL_AUX_DISABLE    0xa7u
#define CTL_AUX_ENABLE     0xa8u
#define CTL_AUX_TEST       0xa9u
#define CTL_SELF_TEST      0xaau
#define CTL_KBD_TEST       0xabu
#define CTL_KBD_DISABLE    0xadu
#define CTL_KBD_ENABLE     0xaeu
#define CTL_READ_INPORT    0xc0u
#define CTL_READ_OUTPORT   0xd0u
#define CTL_WRITE_OUTPORT  0xd1u
#define CTL_WRITE_AUX      0xd4u
#define CTL_A20_OFF        0xddu  /* not IBM: later chipsets, in wide use */
#define CTL_A20_ON         0xdfu
#define CTL_PULSE_FIRST    0xf0u  /* 0xF0-0xFF: pulse output port bits 3:0 */

#define SELF_TEST_OK       0x55u
#define INTERFACE_TEST_OK  0x00u
#define AUX_CLOCK_STUCK_LOW 0x01u

/* TR, Keyboard, "Commands from the System" and "Commands to the System". */
#define KBD_SET_LEDS       0xedu
#define KBD_ECHO           0xeeu
#define KBD_SCANCODE_SET   0xf0u
#define KBD_READ_ID        0xf2u
#define KBD_TYPEMATIC      0xf3u
#define KBD_ENABLE         0xf4u
#define KBD_DEFAULT_DISABLE 0xf5u
#define KBD_SET_DEFAULT    0xf6u
#define KBD_RESET          0xffu

#define KBD_ACK            0xfau
#define KBD_RESEND         0xfeu
#define KBD_BAT_OK         0xaau
#define KBD_ID_1           0xabu  /* MF2 keyboard: 0xAB 0x83 */
#define KBD_ID_2           0x83u
#define KBD_DEFAULT_SET    2u
#define KBD_DEFAULT_TYPEMATIC 0x2bu /* 10.9 characters/s, 500 ms */

static void update_irq(struct i8042 *k)
{
	bool level = k->out_count > 0 && (k->command_byte & CB_KBD_INT);
	if (level != k->irq_level) {
		k->irq_level = level;
		k->ops.set_irq(k->ops.opaque, level);
	}
}

static void queue_byte(struct i8042 *k, uint8_t byte)
{
	if (k->out_count == I8042_OUT_QUEUE)
		return; /* the keyboard's own buffer is full: the byte is lost */
	k->out[(k->out_head + k->out_count++) % I8042_OUT_QUEUE] = byte;
}

/* With CB_XLATE the controller converts what the keyboard sends from scan
 * code set 2 to set 1 (TR, "Scan Code Translation").  Of the bytes this
 * keyboard can send, only the ID byte and scan code set numbers change;
 * 0xAB, 0xAA, 0xEE, 0xFA and 0xFE pass through unchanged. */
static uint8_t translate(const struct i8042 *k, uint8_t byte)
{
	if (!(k->command_byte & CB_XLATE))
		return byte;
	switch (byte) {
	case 0x01: return 0x43;
	case 0x02: return 0x41;
	case 0x03: return 0x3f;
	case 0x83: return 0x41;
	default:   return byte;
	}
}

static void keyboard_answer(struct i8042 *k, uint8_t byte)
{
	queue_byte(k, translate(k, byte));
}

static void keyboard_defaults(struct i8042 *k)
{
	k->scancode_set = KBD_DEFAULT_SET;
	k->typematic = KBD_DEFAULT_TYPEMATIC;
}

/* The second byte of a two-byte keyboard command. */
static void keyboard_argument(struct i8042 *k, uint8_t cmd, uint8_t arg)
{
	switch (cmd) {
	case KBD_SET_LEDS:
		k->leds = arg & 0x07;
		keyboard_answer(k, KBD_ACK);
		break;
	case KBD_TYPEMATIC:
		k->typematic = arg & 0x7f;
		keyboard_answer(k, KBD_ACK);
		break;
	case KBD_SCANCODE_SET:
		if (arg == 0) {
			keyboard_answer(k, KBD_ACK);
			keyboard_answer(k, k->scancode_set);
		} else if (arg <= 3) {
			k->scancode_set = arg;
			keyboard_answer(k, KBD_ACK);
		} else {
			keyboard_answer(k, KBD_RESEND);
		}
		break;
	}
}

/* A byte the system sends to the keyboard (a data write with no
 * controller command pending).  Answered whether or not the interface is
 * disabled in the command byte: disabling only stops keystrokes, and this
 * keyboard has none. */
static void keyboard_command(struct i8042 *k, uint8_t cmd)
{
	if (k->kbd_pending) {
		uint8_t pending = k->kbd_pending;
		k->kbd_pending = 0;
		keyboard_argument(k, pending, cmd);
		return;
	}
	switch (cmd) {
	case KBD_SET_LEDS:
	case KBD_TYPEMATIC:
	case KBD_SCANCODE_SET:
		k->kbd_pending = cmd;
		keyboard_answer(k, KBD_ACK);
		break;
	case KBD_ECHO:
		keyboard_answer(k, KBD_ECHO);
		break;
	case KBD_READ_ID:
		keyboard_answer(k, KBD_ACK);
		keyboard_answer(k, KBD_ID_1);
		keyboard_answer(k, KBD_ID_2);
		break;
	case KBD_ENABLE:
		k->scanning = true;
		keyboard_answer(k, KBD_ACK);
		break;
	case KBD_DEFAULT_DISABLE:
		keyboard_defaults(k);
		k->scanning = false;
		keyboard_answer(k, KBD_ACK);
		break;
	case KBD_SET_DEFAULT:
		keyboard_defaults(k);
		keyboard_answer(k, KBD_ACK);
		break;
	case KBD_RESET:
		keyboard_defaults(k);
		k->leds = 0;
		k->scanning = true;
		keyboard_answer(k, KBD_ACK);
		keyboard_answer(k, KBD_BAT_OK);
		break;
	default:
		keyboard_answer(k, KBD_RESEND);
		break;
	}
}

static void write_output_port(struct i8042 *k, uint8_t val)
{
	k->output_port = val;
	if (!(val & OUTPORT_RESET_N))
		k->ops.reset(k->ops.opaque);
}

/* The data byte of a controller command (0x60, 0xD1, 0xD4). */
static void controller_data(struct i8042 *k, uint8_t cmd, uint8_t val)
{
	switch (cmd) {
	case CTL_WRITE_CB:
		k->command_byte = val;
		break;
	case CTL_WRITE_OUTPORT:
		write_output_port(k, val);
		break;
	case CTL_WRITE_AUX:
		break; /* nothing on the aux port to answer */
	}
}

static void controller_command(struct i8042 *k, uint8_t cmd)
{
	k->ctl_pending = 0;
	switch (cmd) {
	case CTL_READ_CB:
		queue_byte(k, k->command_byte);
		break;
	case CTL_WRITE_CB:
	case CTL_WRITE_OUTPORT:
	case CTL_WRITE_AUX:
		k->ctl_pending = cmd;
		break;
	case CTL_AUX_DISABLE:
		k->command_byte |= CB_AUX_DIS;
		break;
	case CTL_AUX_ENABLE:
		k->command_byte &= ~CB_AUX_DIS;
		break;
	case CTL_AUX_TEST:
		queue_byte(k, AUX_CLOCK_STUCK_LOW);
		break;
	case CTL_SELF_TEST:
		k->command_byte |= CB_SYS; /* TR: the system flag follows a passed test */
		queue_byte(k, SELF_TEST_OK);
		break;
	case CTL_KBD_TEST:
		queue_byte(k, INTERFACE_TEST_OK);
		break;
	case CTL_KBD_DISABLE:
		k->command_byte |= CB_KBD_DIS;
		break;
	case CTL_KBD_ENABLE:
		k->command_byte &= ~CB_KBD_DIS;
		break;
	case CTL_READ_INPORT:
		queue_byte(k, INPORT_VALUE);
		break;
	case CTL_READ_OUTPORT:
		queue_byte(k, (k->output_port & ~OUTPORT_KBD_OBF) |
			      (k->out_count ? OUTPORT_KBD_OBF : 0));
		break;
	case CTL_A20_OFF:
		k->output_port &= ~OUTPORT_A20;
		break;
	case CTL_A20_ON:
		k->output_port |= OUTPORT_A20;
		break;
	default:
		/* 0xF0-0xFF pulse the output port bits that are 0 in the low
		 * nibble; bit 0 is the reset line (0xFE: the classic reboot). */
		if (cmd >= CTL_PULSE_FIRST && !(cmd & OUTPORT_RESET_N))
			k->ops.reset(k->ops.opaque);
		break; /* anything else: not a command this controller knows */
	}
}

static uint8_t read_status(const struct i8042 *k)
{
	uint8_t s = STATUS_INH;
	if (k->out_count)
		s |= STATUS_OBF;
	if (k->command_byte & CB_SYS)
		s |= STATUS_SYS;
	if (k->last_write_was_command)
		s |= STATUS_CMD_DATA;
	return s;
}

/* Reading the output buffer lowers OBF and IRQ 1; the next queued byte
 * then loads and raises them again, a fresh edge for the PIC. */
static uint8_t read_data(struct i8042 *k)
{
	if (k->out_count == 0)
		return k->last_read;
	k->last_read = k->out[k->out_head];
	k->out_head = (k->out_head + 1) % I8042_OUT_QUEUE;
	k->out_count--;
	if (k->irq_level) {
		k->irq_level = false;
		k->ops.set_irq(k->ops.opaque, false);
	}
	return k->last_read;
}

uint8_t i8042_read(struct i8042 *k, unsigned port)
{
	uint8_t val = 0xff;
	if (port == I8042_DATA)
		val = read_data(k);
	else if (port == I8042_COMMAND)
		val = read_status(k);
	update_irq(k);
	return val;
}

void i8042_write(struct i8042 *k, unsigned port, uint8_t val)
{
	if (port == I8042_COMMAND) {
		k->last_write_was_command = true;
		controller_command(k, val);
	} else if (port == I8042_DATA) {
		k->last_write_was_command = false;
		if (k->ctl_pending) {
			uint8_t cmd = k->ctl_pending;
			k->ctl_pending = 0;
			controller_data(k, cmd, val);
		} else {
			keyboard_command(k, val);
		}
	}
	update_irq(k);
}

void i8042_init(struct i8042 *k, const struct i8042_ops *ops)
{
	memset(k, 0, sizeof(*k));
	k->ops = *ops;
	k->command_byte = CB_POWER_ON;
	k->output_port = OUTPORT_POWER_ON;
	k->scanning = true;
	keyboard_defaults(k);
}
