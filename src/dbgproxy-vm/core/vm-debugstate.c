/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-debugstate.c - sorted software-breakpoint table inside an immutable
 * debug-state snapshot (see the header for the publication rules).
 */
#include "vm-debugstate.h"

#include <string.h>
#include <glib.h>

struct debug_state *debug_state_new(void)
{
	return g_malloc0(sizeof(struct debug_state));
}

struct debug_state *debug_state_clone(const struct debug_state *s, size_t extra)
{
	size_t n = s->nr_sw + extra;
	struct debug_state *c = g_malloc0(sizeof(*c) + n * sizeof(struct sw_bp));
	memcpy(c, s, sizeof(*s) + s->nr_sw * sizeof(struct sw_bp));
	c->generation = s->generation + 1;
	return c;
}

size_t debug_state_lower_bound(const struct debug_state *s, uint64_t gpa)
{
	size_t lo = 0, hi = s->nr_sw;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->sw[mid].gpa < gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long debug_state_find(const struct debug_state *s, uint64_t gpa)
{
	size_t i = debug_state_lower_bound(s, gpa);
	return i < s->nr_sw && s->sw[i].gpa == gpa ? (long)i : -1;
}

void debug_state_insert(struct debug_state *s, const struct sw_bp *bp)
{
	size_t i = debug_state_lower_bound(s, bp->gpa);
	memmove(&s->sw[i + 1], &s->sw[i], (s->nr_sw - i) * sizeof(struct sw_bp));
	s->sw[i] = *bp;
	s->nr_sw++;
}

void debug_state_remove(struct debug_state *s, size_t index)
{
	memmove(&s->sw[index], &s->sw[index + 1], (s->nr_sw - index - 1) * sizeof(struct sw_bp));
	s->nr_sw--;
}

enum int3_verdict debug_state_int3_verdict(const struct debug_state *s, uint64_t gpa,
					   const uint8_t *bytes, size_t n, bool rerun_before)
{
	if (s && debug_state_find(s, gpa) >= 0)
		return INT3_OURS;
	if (n == 0)
		return INT3_FAIL;
	if (bytes[0] == 0xcc || (bytes[0] == 0xcd && n >= 2 && bytes[1] == 0x03))
		return INT3_GUEST;
	return rerun_before ? INT3_FAIL : INT3_RERUN;
}
