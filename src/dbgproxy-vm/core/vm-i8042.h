/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-i8042.h - the PC keyboard controller (Intel 8042 as programmed by the
 * IBM PC/AT and PS/2 firmware) with a PS/2 MF2 keyboard behind it and
 * nothing on its auxiliary (mouse) port.  It exists so that kernels that
 * probe the controller, set the keyboard LEDs or reset the machine through
 * it find the answers they wait for; no keystrokes are ever produced.
 *
 * Commands complete instantly, so the input buffer is always empty (IBF
 * never set) and every answer is already in the output buffer when the
 * guest next reads the status register: no driver loop can spin.
 *
 * Aux port: the aux interface test (0xA9) reports a stuck clock line
 * (0x01) so that drivers conclude there is no usable mouse port instead of
 * probing a mouse; bytes sent to the aux device (0xD4) are dropped
 * unanswered, and 0xD3 (write aux output buffer) is not a command here.
 * Answers never come from the aux port (status bit 5 stays 0; IRQ 12 is
 * not used).
 *
 * Names: IBM PS/2 Hardware Interface Technical Reference, "Keyboard/
 * Auxiliary Device Controller" (status register, command byte, output
 * port, controller commands) and "Keyboard" (keyboard commands and
 * responses).  Not thread-safe; the caller serialises.
 */
#ifndef VM_I8042_H
#define VM_I8042_H

#include <stdbool.h>
#include <stdint.h>

/* Offsets from port 0x60. */
#define I8042_DATA    0u   /* 0x60: output buffer (read), input buffer (write) */
#define I8042_COMMAND 4u   /* 0x64: status (read), controller command (write) */
#define I8042_NR_PORTS 5u

#define I8042_OUT_QUEUE 16u

struct i8042_ops {
	void (*set_irq)(void *opaque, bool level);  /* IRQ 1; only on a change */
	void (*reset)(void *opaque);                /* the system reset line pulsed */
	void *opaque;
};

struct i8042 {
	struct i8042_ops ops;
	uint8_t command_byte;
	uint8_t output_port;
	uint8_t out[I8042_OUT_QUEUE];   /* answers waiting for the output buffer */
	unsigned out_head, out_count;
	uint8_t last_read;              /* what port 0x60 reads when empty */
	uint8_t ctl_pending;            /* controller command awaiting its data byte, 0 if none */
	uint8_t kbd_pending;            /* keyboard command awaiting its argument, 0 if none */
	/* keyboard state, kept for completeness of the answers */
	uint8_t scancode_set, leds, typematic;
	bool scanning;
	bool last_write_was_command;    /* status bit 3 */
	bool irq_level;
};

void i8042_init(struct i8042 *k, const struct i8042_ops *ops);
/* port is the offset from 0x60: I8042_DATA or I8042_COMMAND. */
uint8_t i8042_read(struct i8042 *k, unsigned port);
void i8042_write(struct i8042 *k, unsigned port, uint8_t val);

#endif
