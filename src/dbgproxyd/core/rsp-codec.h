/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * rsp-codec.h - the gdb Remote Serial Protocol framing layer (gdb manual,
 * "Remote Protocol" > "Overview"), pure and incremental: bytes in, events
 * out; packets in, bytes out.  No I/O, no session state beyond framing.
 *
 * Decoding: feed any number of bytes, in pieces of any size, with
 * rsp_decoder_feed(); it calls back once per event in stream order:
 *   RSP_EV_PACKET     a whole packet whose checksum matched; the payload is
 *                     already unescaped ('}' x => x ^ 0x20) and NUL-terminated
 *   RSP_EV_BAD_CHECKSUM  a whole packet whose checksum did not match (the
 *                     caller NAKs it with '-' unless no-ack mode is on)
 *   RSP_EV_OVERSIZE   a whole packet longer than the maximum; its payload is
 *                     dropped (the caller answers with an error)
 *   RSP_EV_ACK, RSP_EV_NAK  '+' / '-' from the peer
 *   RSP_EV_INTERRUPT  the byte 0x03 outside a packet (Ctrl-C)
 *   RSP_EV_JUNK       any other byte outside a packet (ignored by callers;
 *                     reported for logs and tests)
 * The maximum counts payload bytes as received (escaped), matching the
 * PacketSize a stub advertises in qSupported.
 *
 * Encoding: rsp_encode_packet() appends "$payload#cs" with '$', '#', '}'
 * and '*' escaped, so any binary payload is safe.
 */
#ifndef RSP_CODEC_H
#define RSP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

enum rsp_event_type {
	RSP_EV_PACKET,
	RSP_EV_BAD_CHECKSUM,
	RSP_EV_OVERSIZE,
	RSP_EV_ACK,
	RSP_EV_NAK,
	RSP_EV_INTERRUPT,
	RSP_EV_JUNK,
};

struct rsp_event {
	enum rsp_event_type type;
	const char *data;   /* RSP_EV_PACKET: unescaped payload, NUL-terminated */
	size_t len;         /* its length (may contain NULs for binary data) */
	uint8_t byte;       /* RSP_EV_JUNK: the byte */
};

typedef void (*rsp_event_fn)(void *ctx, const struct rsp_event *ev);

struct rsp_decoder;

/* max_payload: the largest packet payload accepted (escaped bytes). */
struct rsp_decoder *rsp_decoder_new(size_t max_payload);
void rsp_decoder_free(struct rsp_decoder *d);
/* Forget any half-received packet (e.g. on a new connection). */
void rsp_decoder_reset(struct rsp_decoder *d);
/* Consume len bytes, calling fn for each event.  fn may not call back
 * into this decoder. */
void rsp_decoder_feed(struct rsp_decoder *d, const uint8_t *in, size_t len,
		      rsp_event_fn fn, void *ctx);

/* Append one framed packet to out. */
void rsp_encode_packet(GByteArray *out, const void *payload, size_t len);

/* The modulo-256 sum of the bytes, as RSP checksums are. */
uint8_t rsp_checksum(const void *data, size_t len);

/* ---- hex helpers shared by packet handlers --------------------------------- */

/* The value of one hex digit (either case), or -1. */
int rsp_hexval(char c);
/* Append 2*len lowercase hex digits. */
void rsp_put_hex(GString *out, const void *data, size_t len);
/* Decode exactly 2*len hex digits from text; false on any non-hex digit. */
bool rsp_get_hex(const char *text, size_t textlen, uint8_t *out, size_t len);

#endif
