/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * packets.c - schema-driven parameter parsing and table dispatch for RSP
 * packets (see packets.h).  Everything is bounds-checked against the
 * packet length: packets are untrusted input.
 */
#include "packets.h"

#include <string.h>

#include "rsp-codec.h"

/* Parse 1..16 hex digits at *p (< end). */
static bool parse_hex(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;
	while (s < end && rsp_hexval(*s) >= 0) {
		if (s - *p >= 16)
			return false;
		v = v << 4 | (uint64_t)rsp_hexval(*s);
		s++;
	}
	if (s == *p)
		return false;
	*out = v;
	*p = s;
	return true;
}

/* gdb manual, "Packets" > thread-id: hex, -1 (all), 0 (any), or pPID.TID. */
static bool parse_tid(const char **p, const char *end, int64_t *out)
{
	const char *s = *p;
	if (s < end && *s == 'p') {
		uint64_t pid;
		s++;
		if (s + 1 < end && s[0] == '-' && s[1] == '1')
			s += 2;
		else if (!parse_hex(&s, end, &pid))
			return false;
		if (s >= end || *s != '.') {
			*out = -1; /* all threads of the process */
			*p = s;
			return true;
		}
		s++;
	}
	if (s < end && *s == '-') {
		if (s + 1 < end && s[1] == '1') {
			*out = -1;
			*p = s + 2;
			return true;
		}
		return false;
	}
	uint64_t v;
	if (!parse_hex(&s, end, &v) || v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	*p = s;
	return true;
}

static bool parse_actions(const char **p, const char *end, GArray **out)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct vcont_action));
	const char *s = *p;
	while (s < end) {
		if (*s != ';')
			goto bad;
		s++;
		if (s >= end)
			goto bad;
		struct vcont_action act = { .action = *s++, .tid = -1 };
		uint64_t v;
		switch (act.action) {
		case 'c': case 's': case 't':
			break;
		case 'C': case 'S':
			if (!parse_hex(&s, end, &v) || v > 0xff)
				goto bad;
			act.signal = (uint8_t)v;
			break;
		case 'r':
			if (!parse_hex(&s, end, &act.range_start) || s >= end || *s++ != ',' ||
			    !parse_hex(&s, end, &act.range_end))
				goto bad;
			break;
		default:
			goto bad;
		}
		if (s < end && *s == ':') {
			s++;
			if (!parse_tid(&s, end, &act.tid))
				goto bad;
		}
		g_array_append_val(a, act);
	}
	if (a->len == 0)
		goto bad;
	*out = a;
	*p = s;
	return true;
bad:
	g_array_unref(a);
	return false;
}

void pkt_params_clear(struct pkt_param *params)
{
	for (unsigned i = 0; i < PKT_MAX_PARAMS; i++) {
		if (params[i].actions)
			g_array_unref(params[i].actions);
		params[i].actions = NULL;
	}
}

bool pkt_parse(const char *schema, const char *text, size_t len, struct pkt_param *params,
	       GByteArray *scratch)
{
	const char *p = text, *end = text + len;
	unsigned n = 0;
	memset(params, 0, sizeof(struct pkt_param) * PKT_MAX_PARAMS);
	for (const char *sc = schema ? schema : ""; *sc; sc++) {
		struct pkt_param *out = &params[n];
		switch (*sc) {
		case 'x':
			if (n >= PKT_MAX_PARAMS || !parse_hex(&p, end, &out->u))
				goto fail;
			n++;
			break;
		case 't':
			if (n >= PKT_MAX_PARAMS || !parse_tid(&p, end, &out->tid))
				goto fail;
			n++;
			break;
		case 's': {
			if (n >= PKT_MAX_PARAMS)
				goto fail;
			const char *stop = end;
			if (sc[1] && !strchr("xtsHbA", sc[1])) {
				stop = memchr(p, sc[1], (size_t)(end - p));
				if (!stop)
					goto fail;
			}
			out->s = p;
			out->len = (size_t)(stop - p);
			p = stop;
			n++;
			break;
		}
		case 'H': {
			size_t hexlen = (size_t)(end - p);
			if (n >= PKT_MAX_PARAMS || hexlen % 2)
				goto fail;
			guint at = scratch->len;
			g_byte_array_set_size(scratch, at + (guint)(hexlen / 2) + 1);
			if (!rsp_get_hex(p, hexlen, scratch->data + at, hexlen / 2))
				goto fail;
			scratch->data[at + hexlen / 2] = 0;
			out->s = (const char *)scratch->data + at;
			out->len = hexlen / 2;
			p = end;
			n++;
			break;
		}
		case 'b':
			if (n >= PKT_MAX_PARAMS)
				goto fail;
			out->s = p;
			out->len = (size_t)(end - p);
			p = end;
			n++;
			break;
		case 'A':
			if (n >= PKT_MAX_PARAMS || !parse_actions(&p, end, &out->actions))
				goto fail;
			n++;
			break;
		default:
			if (p >= end || *p != *sc)
				goto fail;
			p++;
			break;
		}
	}
	if (p != end)
		goto fail;
	return true;
fail:
	pkt_params_clear(params);
	return false;
}

enum pkt_result pkt_dispatch(const struct pkt_row *rows, size_t nrows, const char *packet,
			     size_t len, pkt_admit admit, void *ctx)
{
	bool named = false;
	for (size_t i = 0; i < nrows; i++) {
		const struct pkt_row *r = &rows[i];
		size_t nl = strlen(r->name);
		if (r->match == PKT_EXACT) {
			if (len != nl || memcmp(packet, r->name, nl) != 0)
				continue;
		} else if (len < nl || memcmp(packet, r->name, nl) != 0) {
			continue;
		}
		named = true;
		struct pkt_param params[PKT_MAX_PARAMS];
		/* 'H' and 'b' decode into scratch: one kept for the outermost call
		 * (no allocation per packet), a fresh one for a nested call */
		static GByteArray *kept;
		static unsigned depth;
		GByteArray *scratch = depth == 0 && kept ? kept : g_byte_array_new();
		g_byte_array_set_size(scratch, 0);
		depth++;
		bool parsed = pkt_parse(r->match == PKT_EXACT ? NULL : r->schema, packet + nl, len - nl,
					params, scratch);
		if (parsed && (!admit || admit(ctx, r->flags)))
			r->handler(ctx, params);
		if (parsed)
			pkt_params_clear(params);
		depth--;
		if (depth == 0 && !kept && scratch->len <= 65536)
			kept = scratch;
		else if (scratch != kept)
			g_byte_array_unref(scratch);
		if (!parsed)
			continue;
		return PKT_HANDLED;
	}
	return named ? PKT_BAD_PARAMS : PKT_UNKNOWN;
}
