/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * hwslots.c - the hardware slot allocator of one VM (see hwdebug.h): gdb's
 * requests, the pieces they were split into, the slots those pieces hold
 * (shared by reference count), atomic insertion, exact removal, the
 * register set to commit, stop decoding, and the table for people.  What
 * differs per architecture (splitting, registers, DR6 or ESR/FAR) is the
 * struct hw_arch of hwdebug-x86.c and hwdebug-arm64.c: no branches here.
 */
#include "hwdebug.h"

#include <inttypes.h>
#include <string.h>

#include "hwdebug-arch.h"

G_DEFINE_QUARK(dbgproxyd-hwdebug-error-quark, hwdebug_error)

struct hw_point {
	enum hw_kind kind;
	uint64_t addr, len;        /* as gdb asked */
	unsigned refs;             /* identical requests */
	unsigned npieces;
	uint8_t bank[HW_MAX_SLOTS];
	uint8_t slot[HW_MAX_SLOTS];
};

struct hwslots {
	uint32_t arch;
	const struct hw_arch *ops;
	bool shared;
	unsigned nslots[2];        /* per bank */
	struct hw_slot slots[2][HW_MAX_SLOTS];
	GArray *points;            /* struct hw_point, in insertion order */
};

struct hwslots *hwslots_new(uint32_t vmdbg_arch, unsigned hw_bps, unsigned hw_wps, bool shared)
{
	struct hwslots *hs = g_new0(struct hwslots, 1);
	hs->arch = vmdbg_arch;
	hs->ops = vmdbg_arch == VMDBG_ARCH_X86_64 ? &hw_arch_x86 : &hw_arch_arm64;
	hs->shared = shared;
	hs->nslots[HW_BANK_BP] = MIN(MIN(hw_bps, HW_MAX_SLOTS), hs->ops->max_bps);
	hs->nslots[HW_BANK_WP] = shared ? 0 : MIN(hw_wps, HW_MAX_SLOTS);
	hs->points = g_array_new(FALSE, TRUE, sizeof(struct hw_point));
	return hs;
}

void hwslots_free(struct hwslots *hs)
{
	if (!hs)
		return;
	g_array_unref(hs->points);
	g_free(hs);
}

void hwslots_clear(struct hwslots *hs)
{
	memset(hs->slots, 0, sizeof(hs->slots));
	g_array_set_size(hs->points, 0);
}

unsigned hwslots_used(const struct hwslots *hs)
{
	unsigned n = 0;
	for (unsigned b = 0; b < 2; b++)
		for (unsigned i = 0; i < hs->nslots[b]; i++)
			n += hs->slots[b][i].used;
	return n;
}

static long find_point(const struct hwslots *hs, enum hw_kind kind, uint64_t addr, uint64_t len)
{
	for (guint i = 0; i < hs->points->len; i++) {
		const struct hw_point *p = &g_array_index(hs->points, struct hw_point, i);
		if (p->kind == kind && p->addr == addr && p->len == len)
			return (long)i;
	}
	return -1;
}

const char *hw_kind_name(enum hw_kind kind)
{
	switch (kind) {
	case HW_EXEC: return "exec";
	case HW_WRITE: return "write";
	case HW_READ: return "read";
	default: return "access";
	}
}


bool hwslots_insert(struct hwslots *hs, enum hw_kind kind, uint64_t addr, uint64_t len,
		    GError **error)
{
	if (kind < HW_EXEC || kind > HW_ACCESS) {
		g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_INVAL, "unknown point type %d", (int)kind);
		return false;
	}
	if (len == 0 || addr + len - 1 < addr) {
		g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_INVAL,
			    "%s region 0x%" PRIx64 "+%" PRIu64 " is empty or wraps around", hw_kind_name(kind),
			    addr, len);
		return false;
	}
	long existing = find_point(hs, kind, addr, len);
	if (existing >= 0) {
		g_array_index(hs->points, struct hw_point, existing).refs++;
		return true;
	}
	struct hw_piece pieces[HW_MAX_SLOTS];
	unsigned max = HW_MAX_SLOTS;
	unsigned n = hs->ops->split(kind, addr, len, !hs->shared, pieces, max, error);
	if (n == 0)
		return false;
	if (n > max) {
		g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_NOSPC,
			    "%s 0x%" PRIx64 "+%" PRIu64 " needs more than %u hardware slots",
			    hw_kind_name(kind), addr, len, max);
		return false;
	}
	/* Place every piece on a copy: all or nothing. */
	struct hw_slot trial[2][HW_MAX_SLOTS];
	memcpy(trial, hs->slots, sizeof(trial));
	struct hw_point pt = { .kind = kind, .addr = addr, .len = len, .refs = 1, .npieces = n };
	for (unsigned k = 0; k < n; k++) {
		unsigned b = pieces[k].bank;
		long found = -1, free_slot = -1;
		for (unsigned i = 0; i < hs->nslots[b]; i++) {
			const struct hw_slot *s = &trial[b][i];
			if (s->used && s->piece.value == pieces[k].value &&
			    s->piece.ctrl == pieces[k].ctrl) {
				found = i;
				break;
			}
			if (!s->used && free_slot < 0)
				free_slot = i;
		}
		if (found < 0 && free_slot < 0) {
			g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_NOSPC,
				    "%s 0x%" PRIx64 "+%" PRIu64 " needs %u %s slot(s); not enough are free "
				    "(%u in all)", hw_kind_name(kind), addr, len, n,
				    b == HW_BANK_WP ? "watchpoint" : hs->shared ? "debug-register"
									      : "breakpoint",
				    hs->nslots[b]);
			return false;
		}
		unsigned i = found >= 0 ? (unsigned)found : (unsigned)free_slot;
		if (found < 0)
			trial[b][i] = (struct hw_slot){ true, 0, pieces[k] };
		trial[b][i].refs++;
		pt.bank[k] = (uint8_t)b;
		pt.slot[k] = (uint8_t)i;
	}
	memcpy(hs->slots, trial, sizeof(trial));
	g_array_append_val(hs->points, pt);
	return true;
}

bool hwslots_remove(struct hwslots *hs, enum hw_kind kind, uint64_t addr, uint64_t len,
		    GError **error)
{
	long i = find_point(hs, kind, addr, len);
	if (i < 0) {
		g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_NOENT,
			    "no %s point at 0x%" PRIx64 "+%" PRIu64 " was inserted", hw_kind_name(kind),
			    addr, len);
		return false;
	}
	struct hw_point *p = &g_array_index(hs->points, struct hw_point, i);
	if (--p->refs > 0)
		return true;
	for (unsigned k = 0; k < p->npieces; k++) {
		struct hw_slot *s = &hs->slots[p->bank[k]][p->slot[k]];
		if (--s->refs == 0)
			memset(s, 0, sizeof(*s));
	}
	g_array_remove_index(hs->points, (guint)i);
	return true;
}

/* ---- the architecture's view ------------------------------------------------------ */

static const struct hw_point *owner_of(const struct hwslots *hs, unsigned bank, unsigned i,
				       int write_access);

static int owner_kind(const void *ctx, unsigned bank, unsigned slot, int write_access)
{
	const struct hw_point *p = owner_of(ctx, bank, slot, write_access);
	return p ? (int)p->kind : -1;
}

static struct hw_bank_view view_of(const struct hwslots *hs)
{
	return (struct hw_bank_view){
		.slots = hs->slots, .nslots = hs->nslots, .shared = hs->shared,
		.owner_kind = owner_kind, .ctx = hs,
	};
}

void hwslots_guest_debug(const struct hwslots *hs, struct vmdbg_guest_debug *out)
{
	memset(out, 0, sizeof(*out));
	out->arch = hs->arch;
	if (hwslots_used(hs) == 0)
		return;
	out->control = VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW;
	struct hw_bank_view v = view_of(hs);
	hs->ops->commit(&v, out);
}

/* ---- stops ---------------------------------------------------------------------- */

/* The first point (in insertion order) holding slot (bank, i); with
 * prefer_kind_of_write >= 0, one whose kind can match that access wins. */
static const struct hw_point *owner_of(const struct hwslots *hs, unsigned bank, unsigned i,
				       int write_access)
{
	const struct hw_point *first = NULL;
	for (guint k = 0; k < hs->points->len; k++) {
		const struct hw_point *p = &g_array_index(hs->points, struct hw_point, k);
		for (unsigned j = 0; j < p->npieces; j++) {
			if (p->bank[j] != bank || p->slot[j] != i)
				continue;
			if (!first)
				first = p;
			if (write_access < 0 || p->kind == HW_ACCESS || p->kind == HW_EXEC ||
			    (write_access && p->kind == HW_WRITE) || (!write_access && p->kind == HW_READ))
				return p;
		}
	}
	return first;
}

static void hit_from_owner(const struct hw_point *p, struct hw_hit *out)
{
	if (p->kind == HW_EXEC) {
		out->type = HW_HIT_BREAK;
		return;
	}
	out->type = HW_HIT_WATCH;
	out->kind = p->kind;
	out->addr = p->addr;
}

void hwslots_decode(const struct hwslots *hs, const struct vmdbg_stopped *ev, struct hw_hit *out)
{
	memset(out, 0, sizeof(*out));
	out->type = HW_HIT_NONE;
	if (ev->reason != VMDBG_STOP_DEBUG)
		return;
	struct hw_bank_view v = view_of(hs);
	unsigned bank = 0, slot = 0;
	int write_access = -1;
	switch (hs->ops->decode(&v, ev, &bank, &slot, &write_access)) {
	case HW_DECODED_SLOT: {
		const struct hw_point *p = owner_of(hs, bank, slot, write_access);
		if (p)
			hit_from_owner(p, out);
		return;
	}
	case HW_DECODED_STEP:
		out->type = HW_HIT_STEP;
		return;
	case HW_DECODED_NONE:
		return;
	}
}

/* ---- for people ------------------------------------------------------------------- */

static void describe_owners(const struct hwslots *hs, unsigned bank, unsigned i, GString *out)
{
	bool first = true;
	for (guint k = 0; k < hs->points->len; k++) {
		const struct hw_point *p = &g_array_index(hs->points, struct hw_point, k);
		for (unsigned j = 0; j < p->npieces; j++) {
			if (p->bank[j] != bank || p->slot[j] != i)
				continue;
			g_string_append_printf(out, "%s%s 0x%" PRIx64 "+%" PRIu64, first ? "" : ", ",
					       hw_kind_name(p->kind), p->addr, p->len);
			if (p->refs > 1)
				g_string_append_printf(out, " (x%u)", p->refs);
			first = false;
		}
	}
}

char *hwslots_describe(const struct hwslots *hs)
{
	GString *out = g_string_new(NULL);
	g_autoptr(GString) name = g_string_new(NULL), regs = g_string_new(NULL);
	struct hw_bank_view v = view_of(hs);
	hs->ops->describe_title(&v, hwslots_used(hs), out);
	g_string_append(out, "slot  piece                          refs  registers                                   gdb request(s)\n");
	for (unsigned b = 0; b < 2; b++) {
		for (unsigned i = 0; i < hs->nslots[b]; i++) {
			const struct hw_slot *s = &hs->slots[b][i];
			if (!s->used)
				continue;
			hs->ops->describe_slot(b, i, &s->piece, name, regs);
			g_string_append_printf(out, "%-5s 0x%016" PRIx64 "+%-4" PRIu64 "  %4u  %s",
					       name->str, s->piece.addr, s->piece.len, s->refs, regs->str);
			describe_owners(hs, b, i, out);
			g_string_append_c(out, '\n');
		}
	}
	struct vmdbg_guest_debug g;
	hwslots_guest_debug(hs, &g);
	hs->ops->describe_end(&g, out);
	return g_string_free(out, FALSE);
}
