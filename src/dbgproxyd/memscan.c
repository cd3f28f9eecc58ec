/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * memscan.c - guest memory the client wants summed or searched, not
 * sent: qCRC (gdb's compare-sections) and qSearch:memory (gdb's find).
 * The range is read a window at a time — from the RAM the VM shares when
 * it can be, else from the VM — and only the answer crosses to gdb.
 */
#include <inttypes.h>
#include <string.h>

#include "session.h"

#define WINDOW (64 * 1024)

struct scan {
	struct sref ref;
	uint64_t addr, len;
	uint64_t pos;           /* offset of the next window */
	bool search;
	uint32_t crc;           /* qCRC */
	GBytes *pattern;        /* qSearch */
	uint8_t *buf;           /* WINDOW + pattern length */
};

static void scan_free(struct scan *sc)
{
	if (sc->pattern)
		g_bytes_unref(sc->pattern);
	g_free(sc->buf);
	g_free(sc);
}

/* gdb's CRC-32 (libiberty xcrc32): polynomial 0x04c11db7, most significant
 * bit first, no final inversion; gdb starts it at 0xffffffff. */
static uint32_t crc32_gdb(uint32_t crc, const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i << 24;
			for (int k = 0; k < 8; k++)
				c = c & 0x80000000u ? c << 1 ^ 0x04c11db7u : c << 1;
			table[i] = c;
		}
	}
	for (size_t i = 0; i < n; i++)
		crc = crc << 8 ^ table[(crc >> 24 ^ p[i]) & 0xff];
	return crc;
}

/* Is the pattern in sc->buf[0..n)?  Then that is the answer, sent. */
static bool found_here(struct session *s, struct scan *sc, size_t n)
{
	gsize plen;
	const uint8_t *pat = g_bytes_get_data(sc->pattern, &plen);
	const uint8_t *hit = n >= plen ? memmem(sc->buf, n, pat, plen) : NULL;
	if (!hit)
		return false;
	char out[40];
	g_snprintf(out, sizeof out, "1,%" PRIx64, sc->addr + sc->pos + (uint64_t)(hit - sc->buf));
	reply(s, out);
	return true;
}

/* This window's bytes are in sc->buf: true when the scan has answered. */
static bool scan_window(struct session *s, struct scan *sc, size_t n)
{
	char out[40];
	if (!sc->search) {
		sc->crc = crc32_gdb(sc->crc, sc->buf, n);
		sc->pos += n;
		if (sc->pos < sc->len)
			return false;
		g_snprintf(out, sizeof out, "C%08" PRIx32, sc->crc);
		reply(s, out);
		return true;
	}
	if (found_here(s, sc, n))
		return true;
	if (sc->pos + n >= sc->len) {
		reply(s, "0");
		return true;
	}
	/* the next window starts where a match could still begin in this one */
	sc->pos += n - (g_bytes_get_size(sc->pattern) - 1);
	return false;
}

static void scan_next(struct session *s, struct scan *sc);

static void scan_read(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct scan *sc = ctx;
	struct session *s = sref_session(&sc->ref);
	if (!s) {
		scan_free(sc);
		return;
	}
	size_t want = (size_t)MIN(sc->len - sc->pos, (uint64_t)WINDOW + (sc->search ? g_bytes_get_size(sc->pattern) : 0));
	if (n < want && sc->search && n > 0) {
		/* the readable part may still hold it (gdb's own search does the same) */
		memcpy(sc->buf, data, n);
		if (found_here(s, sc, n)) {
			finish(s);
			scan_free(sc);
			return;
		}
	}
	if (n < want) {
		reply_errno(s, EFAULT, "%s: cannot read guest memory at 0x%" PRIx64 "%s%s",
			    sc->search ? "qSearch" : "qCRC", sc->addr + sc->pos + n,
			    err ? ": " : "", err ? err->message : "");
		finish(s);
		scan_free(sc);
		return;
	}
	memcpy(sc->buf, data, n);
	if (scan_window(s, sc, n)) {
		finish(s);
		scan_free(sc);
		return;
	}
	scan_next(s, sc);
}

/* Read windows from shared memory while that serves them; the first that
 * must come from the VM ends this call, and its reply goes on. */
static void scan_next(struct session *s, struct scan *sc)
{
	size_t extra = sc->search ? g_bytes_get_size(sc->pattern) : 0;
	for (;;) {
		size_t n = (size_t)MIN(sc->len - sc->pos, (uint64_t)WINDOW + extra);
		uint64_t at = sc->addr + sc->pos;
		if (target_read_mem_now(s->t, s->g_vcpu, at, sc->buf, n)) {
			if (scan_window(s, sc, n))
				break;
			continue;
		}
		g_autoptr(GError) err = NULL;
		if (target_read_mem(s->t, s->g_vcpu, at, n, scan_read, sc, &err) == TARGET_PENDING)
			return;
		reply_errno(s, EFAULT, "cannot read guest memory at 0x%" PRIx64 ": %s", at,
			    err->message);
		break;
	}
	finish(s);
	scan_free(sc);
}

static void scan_start(struct session *s, uint64_t addr, uint64_t len, GBytes *pattern)
{
	if (len == 0 || addr + len - 1 < addr) {
		reply_errno(s, EINVAL, "%s over an empty or wrapping range", pattern ? "qSearch" : "qCRC");
		finish(s);
		return;
	}
	struct scan *sc = g_new0(struct scan, 1);
	sref_init(&sc->ref, s);
	sc->addr = addr;
	sc->len = len;
	sc->crc = 0xffffffffu;
	sc->search = pattern != NULL;
	sc->pattern = pattern;
	sc->buf = g_malloc(WINDOW + (pattern ? g_bytes_get_size(pattern) : 0));
	scan_next(s, sc);
}

/* qCRC:addr,length -> C<crc32> (gdb manual, "General Query Packets") */
void h_qcrc(void *ctx, const struct pkt_param *p)
{
	scan_start(ctx, p[0].u, p[1].u, NULL);
}

/* qSearch:memory:addr;length;pattern -> 0 | 1,addr */
void h_qsearch_memory(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (p[2].len == 0) {
		reply_errno(s, EINVAL, "qSearch:memory with an empty pattern");
		finish(s);
		return;
	}
	if (p[2].len > p[1].u) {
		reply(s, "0");  /* longer than the range: nowhere */
		finish(s);
		return;
	}
	scan_start(s, p[0].u, p[1].u, g_bytes_new(p[2].s, p[2].len));
}
