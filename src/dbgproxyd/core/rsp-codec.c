/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * rsp-codec.c - incremental RSP framing: a byte-at-a-time state machine over
 * "$payload#xx", acks, Ctrl-C and junk (see rsp-codec.h).
 */
#include "rsp-codec.h"

#include <string.h>

enum state {
	ST_IDLE,      /* between packets */
	ST_PAYLOAD,   /* after '$' */
	ST_ESCAPE,    /* after '}' inside a payload */
	ST_CSUM1,     /* after '#' */
	ST_CSUM2,     /* after the first checksum digit */
};

struct rsp_decoder {
	enum state state;
	size_t max;
	size_t raw_len;      /* payload bytes as received, escapes included */
	bool oversize;
	uint8_t sum;         /* running checksum of the raw payload */
	int csum_hi;
	GByteArray *buf;     /* unescaped payload */
};

struct rsp_decoder *rsp_decoder_new(size_t max_payload)
{
	struct rsp_decoder *d = g_new0(struct rsp_decoder, 1);
	d->max = max_payload;
	d->buf = g_byte_array_sized_new(4096);
	return d;
}

void rsp_decoder_free(struct rsp_decoder *d)
{
	if (!d)
		return;
	g_byte_array_unref(d->buf);
	g_free(d);
}

void rsp_decoder_reset(struct rsp_decoder *d)
{
	d->state = ST_IDLE;
	d->raw_len = 0;
	d->oversize = false;
	d->sum = 0;
	g_byte_array_set_size(d->buf, 0);
}

int rsp_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void emit(rsp_event_fn fn, void *ctx, enum rsp_event_type type, uint8_t byte)
{
	struct rsp_event ev = { .type = type, .byte = byte };
	fn(ctx, &ev);
}

/* Account one raw payload byte; beyond the maximum the packet is only
 * tracked to its end, not stored. */
static void take_raw(struct rsp_decoder *d, uint8_t c)
{
	d->sum = (uint8_t)(d->sum + c);
	if (++d->raw_len > d->max) {
		d->oversize = true;
		g_byte_array_set_size(d->buf, 0);
	}
}

static void store(struct rsp_decoder *d, uint8_t c)
{
	if (!d->oversize)
		g_byte_array_append(d->buf, &c, 1);
}

static void finish_packet(struct rsp_decoder *d, uint8_t csum, rsp_event_fn fn, void *ctx)
{
	struct rsp_event ev = { 0 };
	if (d->oversize)
		ev.type = RSP_EV_OVERSIZE;
	else if (csum != d->sum)
		ev.type = RSP_EV_BAD_CHECKSUM;
	else {
		ev.type = RSP_EV_PACKET;
		ev.len = d->buf->len;
		g_byte_array_append(d->buf, (const guint8 *)"", 1); /* NUL-terminate */
		ev.data = (const char *)d->buf->data;
	}
	fn(ctx, &ev);
	rsp_decoder_reset(d);
}

void rsp_decoder_feed(struct rsp_decoder *d, const uint8_t *in, size_t len, rsp_event_fn fn,
		      void *ctx)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];
		switch (d->state) {
		case ST_IDLE:
			if (c == '$') {
				rsp_decoder_reset(d);
				d->state = ST_PAYLOAD;
			} else if (c == '+') {
				emit(fn, ctx, RSP_EV_ACK, c);
			} else if (c == '-') {
				emit(fn, ctx, RSP_EV_NAK, c);
			} else if (c == 0x03) {
				emit(fn, ctx, RSP_EV_INTERRUPT, c);
			} else {
				emit(fn, ctx, RSP_EV_JUNK, c);
			}
			break;
		case ST_PAYLOAD:
			if (c == '#') {
				d->state = ST_CSUM1;
			} else if (c == '$') {
				/* a new packet start inside a packet: the old one is lost
				 * (gdb retransmits); resynchronise on the new one */
				rsp_decoder_reset(d);
				d->state = ST_PAYLOAD;
			} else {
				take_raw(d, c);
				if (c == '}')
					d->state = ST_ESCAPE;
				else
					store(d, c);
			}
			break;
		case ST_ESCAPE:
			take_raw(d, c);
			store(d, c ^ 0x20);
			d->state = ST_PAYLOAD;
			break;
		case ST_CSUM1:
			d->csum_hi = rsp_hexval((char)c);
			d->state = ST_CSUM2;
			break;
		case ST_CSUM2: {
			int lo = rsp_hexval((char)c);
			if (d->csum_hi < 0 || lo < 0) {
				/* not a checksum: report as a corrupt packet */
				struct rsp_event ev = { .type = d->oversize ? RSP_EV_OVERSIZE
									    : RSP_EV_BAD_CHECKSUM };
				fn(ctx, &ev);
				rsp_decoder_reset(d);
				break;
			}
			finish_packet(d, (uint8_t)(d->csum_hi << 4 | lo), fn, ctx);
			break;
		}
		}
	}
}

uint8_t rsp_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

void rsp_encode_packet(GByteArray *out, const void *payload, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = payload;
	/* grow once (worst case: every byte escaped), then write in place */
	guint start = out->len;
	g_byte_array_set_size(out, start + (guint)(2 * len + 4));
	uint8_t *o = out->data + start;
	size_t n = 0;
	uint8_t sum = 0;
	o[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (c == '$' || c == '#' || c == '}' || c == '*') {
			o[n++] = '}';
			c ^= 0x20;
			sum = (uint8_t)(sum + '}');
		}
		o[n++] = c;
		sum = (uint8_t)(sum + c);
	}
	o[n++] = '#';
	o[n++] = (uint8_t)hex[sum >> 4];
	o[n++] = (uint8_t)hex[sum & 15];
	g_byte_array_set_size(out, start + (guint)n);
}

void rsp_put_hex(GString *out, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = data;
	size_t start = out->len;
	g_string_set_size(out, start + 2 * len);
	char *o = out->str + start;
	for (size_t i = 0; i < len; i++) {
		o[2 * i] = hex[p[i] >> 4];
		o[2 * i + 1] = hex[p[i] & 15];
	}
}

bool rsp_get_hex(const char *text, size_t textlen, uint8_t *out, size_t len)
{
	if (textlen != 2 * len)
		return false;
	for (size_t i = 0; i < len; i++) {
		int hi = rsp_hexval(text[2 * i]), lo = rsp_hexval(text[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}
