/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-pc-ports.c - libFuzzer target for the legacy PC port bus
 * (src/dbgproxy-vm/core/vm-pc.h) and the devices behind it: one platform per input, driven
 * by a sequence of operations decoded from the input bytes.
 *
 * Each operation starts with a byte `op`:
 *
 *   op & 7:        0-1 port write, 2-3 port read, 4 serial receive,
 *                  5 clock change, 6 string write, 7 string read
 *   (op >> 3) & 3: access size 1, 2, 4, 1
 *   op >> 5:       string operations repeat 2 + (op >> 5) times
 *
 * Port operations then take a selector byte: below 0xF0 it picks one of
 * the ports in `ports` below (every device register, its neighbours, and
 * ports KVM keeps for itself), otherwise the next two bytes are the port
 * (little-endian).  Writes take count * size data bytes (0 once the input
 * is exhausted).  A receive takes a length byte b (b bytes below 128,
 * (b - 127) * 64 above, so the 4096-byte queue fills).  A clock change
 * takes a byte and then 4 or 8 bytes: step forward, land at a chosen
 * nanosecond of the second (the UIP window), or jump anywhere.
 *
 * The data buffer of every access is a heap block of exactly
 * count * size bytes, so ASan sees any access past what was requested.
 * Invariants checked (abort() on violation):
 *
 *   - set_irq is only called for IRQ 1 or 4 and only with a level
 *     different from the last one reported for that line;
 *   - serial_tx and reset are only called during port writes; no
 *     callback outside a call into the platform;
 *   - bytes of a read at ports no device decodes read 0xFF;
 *   - COM1: IIR bits 5:4 are 0, bits 7:6 are 00 or 11, the interrupt ID
 *     is one of table IV's, and the IRQ 4 line before the read equals
 *     "interrupt pending and MCR.OUT2"; LSR always has THRE and TEMT and
 *     never PE, FE, BI or the FIFO error bit;
 *   - i8042 status: IBF and AUX OBF never set; IRQ 1 high implies OBF;
 *   - RTC: register D reads 0x80; register C never has PF or AF;
 *   - pc_serial_receive accepts at most what it is given, and when it
 *     accepts less the queue is full (one more byte is refused).
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Iproto -Isrc \
 *          $(pkg-config --cflags glib-2.0) tests/fuzz/fuzz-pc-ports.c \
 *          src/dbgproxy-vm/core/vm-uart.c src/dbgproxy-vm/core/vm-i8042.c src/dbgproxy-vm/core/vm-rtc.c src/dbgproxy-vm/core/vm-pc.c \
 *          $(pkg-config --libs glib-2.0)
 * Seeds: tests/fuzz/corpus-pc-ports/ (guest probe sequences).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "vm-pc.h"
#include "vm-pclayout.h"

#define FUZZ_NAME "fuzz-pc-ports"
#include "fuzz.h"

#define NS 1000000000ll
#define START_NS (1795842547ll * NS)   /* 2026-11-28 05:09:07 UTC */

static const uint16_t ports[] = {
	0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff,  /* COM1 */
	0x3fa, 0x3fd, 0x3f8, 0x3fb,        /* IIR, LSR, RBR/THR, LCR again: more weight */
	0x60, 0x64, 0x60, 0x64,            /* keyboard controller */
	0x70, 0x71, 0x70, 0x71,            /* RTC */
	0x80, 0x92, 0xe9, 0xcf9,           /* misc */
	0xcf8, 0xcfc, 0x3f6, 0x3f7,        /* PCI config (absent), COM1's neighbours */
	0x20, 0x40, 0x61, 0x6e,            /* KVM's PIC/PIT/speaker; straddles 0x70 */
};

enum phase { IDLE, WRITING, READING, RECEIVING };

struct fuzz {
	struct pc_platform *pc;
	enum phase phase;
	bool level[16];
	int64_t now;
	uint8_t rtc_index;
};

static void cb_serial_tx(void *opaque, uint8_t byte)
{
	struct fuzz *fz = opaque;
	if (fz->phase != WRITING)
		FAIL("serial_tx(0x%02x) outside a port write (phase %d)", byte, fz->phase);
}

static void cb_set_irq(void *opaque, unsigned irq, bool level)
{
	struct fuzz *fz = opaque;
	REQUIRE(fz->phase != IDLE);
	if (irq != PC_IRQ_KBD && irq != PC_IRQ_COM1)
		FAIL("set_irq on IRQ %u", irq);
	if (fz->level[irq] == level)
		FAIL("set_irq(%u, %d) repeats the current level", irq, level);
	fz->level[irq] = level;
}

static void cb_reset(void *opaque)
{
	struct fuzz *fz = opaque;
	if (fz->phase != WRITING)
		FAIL("reset outside a port write (phase %d)", fz->phase);
}

static int64_t cb_now(void *opaque)
{
	struct fuzz *fz = opaque;
	return fz->now;
}

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t take(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static uint64_t take_le(struct input *in, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)take(in) << (8 * i);
	return v;
}

static bool decodes(uint16_t port, unsigned size)
{
	return pc_port_is_handled(port) && !(port == PC_PORT_RST_CNT && size != 1);
}

static uint8_t read1(struct fuzz *fz, uint16_t port)
{
	uint8_t *b = malloc(1);
	REQUIRE(b != NULL);
	fz->phase = READING;
	pc_io(fz->pc, port, false, 1, 1, b);
	fz->phase = IDLE;
	uint8_t v = *b;
	free(b);
	return v;
}

/* Checks on a single-byte read whose result depends on device state. */
static void check_register(struct fuzz *fz, uint16_t port, uint8_t v, bool level_before)
{
	switch (port) {
	case PC_PORT_COM1 + 2: { /* IIR */
		REQUIRE((v & 0x30) == 0);
		REQUIRE((v & 0xc0) == 0 || (v & 0xc0) == 0xc0);
		uint8_t id = v & 0x0f;
		REQUIRE(id == 0x01 || id == 0x00 || id == 0x02 || id == 0x04 || id == 0x06);
		uint8_t mcr = read1(fz, PC_PORT_COM1 + 4);
		bool line = !(v & 0x01) && (mcr & 0x08);
		if (line != level_before)
			FAIL("IRQ 4 was %d with IIR 0x%02x and MCR 0x%02x", level_before, v, mcr);
		break;
	}
	case PC_PORT_COM1 + 5: /* LSR */
		REQUIRE((v & 0x60) == 0x60);
		REQUIRE((v & 0x9c) == 0);
		break;
	case PC_PORT_KBD_STATUS:
		REQUIRE((v & 0x22) == 0);
		if (fz->level[PC_IRQ_KBD])
			REQUIRE(v & 0x01);
		break;
	case PC_PORT_RTC_DATA:
		if (fz->rtc_index == 0x0d)
			REQUIRE(v == 0x80);
		if (fz->rtc_index == 0x0c)
			REQUIRE((v & 0x6f) == 0);
		break;
	}
}

static void port_access(struct fuzz *fz, struct input *in, uint8_t op, bool is_write,
			unsigned count)
{
	static const unsigned sizes[4] = { 1, 2, 4, 1 };
	unsigned size = sizes[(op >> 3) & 3];
	uint8_t sel = take(in);
	uint16_t port = sel < 0xf0 ? ports[sel % G_N_ELEMENTS(ports)] : (uint16_t)take_le(in, 2);
	size_t len = (size_t)size * count;
	uint8_t *buf = malloc(len);
	REQUIRE(buf != NULL);

	if (is_write) {
		for (size_t i = 0; i < len; i++)
			buf[i] = take(in);
	} else {
		memset(buf, 0x5a, len);
	}
	bool level_before = fz->level[PC_IRQ_COM1];
	fz->phase = is_write ? WRITING : READING;
	pc_io(fz->pc, port, is_write, size, count, buf);
	fz->phase = IDLE;

	for (unsigned rep = 0; rep < count; rep++) {
		for (unsigned i = 0; i < size; i++) {
			uint16_t p = (uint16_t)(port + i);
			uint8_t v = buf[rep * size + i];
			if (is_write && p == PC_PORT_RTC_INDEX)
				fz->rtc_index = v & 0x7f;
			if (!is_write && !decodes(p, size) && v != 0xff)
				FAIL("floating port 0x%04x read 0x%02x", p, v);
		}
	}
	if (!is_write && size == 1 && count == 1)
		check_register(fz, port, buf[0], level_before);
	free(buf);
}

static void serial_receive(struct fuzz *fz, struct input *in)
{
	static uint8_t pattern[8192];
	uint8_t b = take(in);
	size_t n = b < 128 ? b : (size_t)(b - 127) * 64;
	for (size_t i = 0; i < n; i++)
		pattern[i] = (uint8_t)(i * 7 + b);

	fz->phase = RECEIVING;
	size_t got = pc_serial_receive(fz->pc, pattern, n);
	REQUIRE(got <= n);
	if (got < n)
		REQUIRE(pc_serial_receive(fz->pc, pattern, 1) == 0);
	fz->phase = IDLE;
}

static void clock_change(struct fuzz *fz, struct input *in)
{
	uint8_t how = take(in);
	switch (how & 3) {
	case 0: /* step forward up to ~4.3 s (wrapping, like a broken host clock) */
		fz->now = (int64_t)((uint64_t)fz->now + take_le(in, 4));
		break;
	case 1: /* the same second, a chosen nanosecond: hits the UIP window */
		fz->now = START_NS + (int64_t)(take_le(in, 4) % NS);
		break;
	case 2: /* anywhere at all */
		fz->now = (int64_t)take_le(in, 8);
		break;
	case 3: /* whole seconds, forward or back */
		fz->now = (int64_t)((uint64_t)fz->now + (uint64_t)((int64_t)(int8_t)take(in) * NS));
		break;
	}
}

static void ignore_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
		       gpointer user_data)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		g_log_set_default_handler(ignore_log, NULL);
		quiet = true;
	}

	struct fuzz fz = { .now = START_NS, .phase = IDLE };
	struct input in = { data, size };
	struct pc_platform_ops ops = { cb_serial_tx, cb_set_irq, cb_reset, cb_now, &fz };
	uint64_t mem = ((uint64_t)take(&in) + 2) << 20;   /* 2 .. 257 MiB */
	fz.pc = pc_platform_new(&ops, mem);
	REQUIRE(fz.pc != NULL);

	while (in.left) {
		uint8_t op = take(&in);
		switch (op & 7) {
		case 0: case 1:
			port_access(&fz, &in, op, true, 1);
			break;
		case 2: case 3:
			port_access(&fz, &in, op, false, 1);
			break;
		case 4:
			serial_receive(&fz, &in);
			break;
		case 5:
			clock_change(&fz, &in);
			break;
		case 6:
			port_access(&fz, &in, op, true, 2 + (op >> 5));
			break;
		case 7:
			port_access(&fz, &in, op, false, 2 + (op >> 5));
			break;
		}
	}
	pc_platform_free(fz.pc);
	return 0;
}
