/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-rsp.c - libFuzzer target for the gdb RSP framing codec
 * (src/dbgproxyd/core/rsp-codec.h).
 *
 * The whole input is a byte stream from gdb.  It is fed to a decoder
 * (max payload 4096) in chunks whose sizes come from the first bytes of
 * the input (chunk i is (input[i % k] % 17) + 1 bytes, k = min(8, size)),
 * each chunk in a buffer of its own so ASan sees any read past it.  On
 * every event:
 *
 *   - the type is one of enum rsp_event_type;
 *   - RSP_EV_PACKET: data is not NULL, len <= 4096 (the maximum counts
 *     escaped bytes, so the unescaped payload is no longer), data[len] is
 *     NUL;
 *   - RSP_EV_JUNK: the byte is not '$', '+', '-' or 0x03 (those are never
 *     junk outside a packet).
 *
 * Each RSP_EV_PACKET payload is re-encoded with rsp_encode_packet(): the
 * frame must be '$' body '#' two lowercase hex digits, the checksum being
 * the modulo-256 sum of the body, with no raw '$', '#' or '*' in the body
 * and no '}' at its end; decoding the frame with a fresh decoder must give
 * exactly one RSP_EV_PACKET with the same bytes.
 *
 * The same input is also fed in one piece and one byte at a time: the
 * header promises pieces of any size, so the three event streams must be
 * identical.
 *
 * Any violation calls abort().
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *          $(pkg-config --cflags glib-2.0) tests/fuzz/fuzz-rsp.c \
 *          src/dbgproxyd/core/rsp-codec.c $(pkg-config --libs glib-2.0)
 * Seeds: tests/fuzz/corpus-rsp/ (streams as gdb sends them).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "rsp-codec.h"

#define FUZZ_NAME "fuzz-rsp"
#include "fuzz.h"

#define MAX_PAYLOAD 4096u

/* Events of one pass, serialised: type byte, then for PACKET a 4-byte
 * length and the payload, for JUNK the byte. */
struct pass {
	GByteArray *log;
	size_t max;
	unsigned n_events;
};

static void log_event(struct pass *p, const struct rsp_event *ev)
{
	uint8_t t = (uint8_t)ev->type;

	g_byte_array_append(p->log, &t, 1);
	if (ev->type == RSP_EV_PACKET) {
		uint8_t l[4] = { (uint8_t)ev->len, (uint8_t)(ev->len >> 8),
				 (uint8_t)(ev->len >> 16), (uint8_t)(ev->len >> 24) };

		g_byte_array_append(p->log, l, 4);
		g_byte_array_append(p->log, (const guint8 *)ev->data, (guint)ev->len);
	} else if (ev->type == RSP_EV_JUNK) {
		g_byte_array_append(p->log, &ev->byte, 1);
	}
	p->n_events++;
}

static void check_event(const struct rsp_event *ev, size_t max)
{
	switch (ev->type) {
	case RSP_EV_PACKET:
		REQUIRE(ev->data != NULL);
		if (ev->len > max)
			FAIL("packet payload of %zu bytes, max %zu", ev->len, max);
		if (ev->data[ev->len] != '\0')
			FAIL("payload of %zu bytes not NUL-terminated", ev->len);
		break;
	case RSP_EV_JUNK:
		if (ev->byte == '$' || ev->byte == '+' || ev->byte == '-' || ev->byte == 0x03)
			FAIL("junk byte 0x%02x", ev->byte);
		break;
	case RSP_EV_BAD_CHECKSUM:
	case RSP_EV_OVERSIZE:
	case RSP_EV_ACK:
	case RSP_EV_NAK:
	case RSP_EV_INTERRUPT:
		break;
	default:
		FAIL("unknown event type %d", (int)ev->type);
	}
}

static void on_event(void *ctx, const struct rsp_event *ev)
{
	struct pass *p = ctx;

	check_event(ev, p->max);
	log_event(p, ev);
}

/* Feed in in chunks of the given sizes (cycled; NULL: all at once). */
static GByteArray *run(const uint8_t *in, size_t len, const size_t *sizes, size_t nsizes)
{
	struct rsp_decoder *d = rsp_decoder_new(MAX_PAYLOAD);
	struct pass p = { g_byte_array_new(), MAX_PAYLOAD, 0 };
	size_t pos = 0, i = 0;

	REQUIRE(d != NULL);
	do {
		size_t n = sizes ? sizes[i++ % nsizes] : len;
		uint8_t *chunk;

		if (n > len - pos)
			n = len - pos;
		chunk = malloc(n ? n : 1);
		REQUIRE(chunk != NULL);
		if (n)
			memcpy(chunk, in + pos, n);
		rsp_decoder_feed(d, chunk, n, on_event, &p);
		free(chunk);
		pos += n;
	} while (pos < len);
	rsp_decoder_free(d);
	return p.log;
}

/* The second decode of a re-encoded packet. */
struct redecode {
	unsigned n_events;
	int type;
	uint8_t *data;
	size_t len;
};

static void on_redecode(void *ctx, const struct rsp_event *ev)
{
	struct redecode *r = ctx;

	check_event(ev, 2 * MAX_PAYLOAD);
	if (r->n_events++ == 0) {
		r->type = ev->type;
		if (ev->type == RSP_EV_PACKET) {
			r->len = ev->len;
			r->data = malloc(ev->len ? ev->len : 1);
			REQUIRE(r->data != NULL);
			memcpy(r->data, ev->data, ev->len);
		}
	}
}

static int hexdigit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* the encoder writes lowercase */
}

static void check_reencode(const uint8_t *payload, size_t len)
{
	GByteArray *out = g_byte_array_new();
	struct rsp_decoder *d;
	struct redecode r = { 0, -1, NULL, 0 };
	uint8_t sum = 0;
	uint8_t *frame;

	rsp_encode_packet(out, payload, len);
	REQUIRE(out->len >= 4);
	REQUIRE(out->data[0] == '$');
	REQUIRE(out->data[out->len - 3] == '#');
	for (size_t i = 1; i < out->len - 3; i++) {
		uint8_t c = out->data[i];

		if (c == '$' || c == '#' || c == '*')
			FAIL("raw 0x%02x at %zu of an encoded packet", c, i);
		if (c == '}' && i + 1 == out->len - 3)
			FAIL("'}' at the end of an encoded packet");
		sum = (uint8_t)(sum + c);
	}
	{
		int h = hexdigit(out->data[out->len - 2]), l = hexdigit(out->data[out->len - 1]);

		if (h < 0 || l < 0 || (uint8_t)(h << 4 | l) != sum)
			FAIL("encoded checksum %c%c, body sums to %02x",
			     out->data[out->len - 2], out->data[out->len - 1], sum);
	}
	REQUIRE(rsp_checksum(out->data + 1, out->len - 4) == sum);

	frame = malloc(out->len);
	REQUIRE(frame != NULL);
	memcpy(frame, out->data, out->len);
	d = rsp_decoder_new(2 * MAX_PAYLOAD);
	REQUIRE(d != NULL);
	rsp_decoder_feed(d, frame, out->len, on_redecode, &r);
	rsp_decoder_free(d);
	free(frame);

	if (r.n_events != 1 || r.type != RSP_EV_PACKET)
		FAIL("re-encoded packet of %zu bytes (frame %u bytes) gave %u events, first "
		     "of type %d", len, out->len, r.n_events, r.type);
	if (r.len != len || (len && memcmp(r.data, payload, len) != 0))
		FAIL("re-encoded packet of %zu bytes decoded to %zu different bytes", len,
		     r.len);
	free(r.data);
	g_byte_array_unref(out);
}

/* Walk a serialised log and re-encode every packet in it. */
static void reencode_packets(const GByteArray *log)
{
	size_t i = 0;

	while (i < log->len) {
		uint8_t t = log->data[i++];

		if (t == RSP_EV_PACKET) {
			size_t len = (size_t)log->data[i] | (size_t)log->data[i + 1] << 8 |
				     (size_t)log->data[i + 2] << 16 |
				     (size_t)log->data[i + 3] << 24;

			i += 4;
			check_reencode(log->data + i, len);
			i += len;
		} else if (t == RSP_EV_JUNK) {
			i++;
		}
	}
}

static bool same_log(const GByteArray *a, const GByteArray *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t sizes[8], nsizes = size < 8 ? size : 8;
	size_t ones[1] = { 1 };
	GByteArray *chunked, *whole, *bytewise;

	for (size_t i = 0; i < nsizes; i++)
		sizes[i] = (size_t)(data[i] % 17) + 1;

	chunked = run(data, size, nsizes ? sizes : NULL, nsizes);
	whole = run(data, size, NULL, 0);
	bytewise = run(data, size, ones, 1);

	if (!same_log(chunked, whole))
		FAIL("events differ between chunked and one-piece feeding");
	if (!same_log(bytewise, whole))
		FAIL("events differ between byte-wise and one-piece feeding");

	reencode_packets(chunked);

	g_byte_array_unref(chunked);
	g_byte_array_unref(whole);
	g_byte_array_unref(bytewise);
	return 0;
}
