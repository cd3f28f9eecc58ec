/* SPDX-License-Identifier: MIT */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-codec.c - the bounds-checked decoder of vmdbg frames (the encoders
 * are in vmdbg-enc.c).
 *
 * Payload layouts are given in proto/vmdbg.md; each decode_* function
 * below is one row of that table.  A payload must have exactly the length
 * its layout implies: trailing bytes are an error, like missing ones.
 */
#include "vmdbg-codec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Record why (the first failure wins: later ones are its consequences). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void diag_set(struct vmdbg_diag *d, uint32_t code, const char *fmt, ...)
{
	if (!d || d->code)
		return;
	d->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->text, sizeof(d->text), fmt, ap);
	va_end(ap);
}

#include "vmdbg-le.h"

/* A cursor over a payload; any over-read latches ok = false. */
struct reader {
	const uint8_t *p;
	size_t left;
	bool ok;
};

static uint32_t rd32(struct reader *r)
{
	if (!r->ok || r->left < 4) {
		r->ok = false;
		return 0;
	}
	uint32_t v = get_le32(r->p);
	r->p += 4;
	r->left -= 4;
	return v;
}

static uint64_t rd64(struct reader *r)
{
	if (!r->ok || r->left < 8) {
		r->ok = false;
		return 0;
	}
	uint64_t v = get_le64(r->p);
	r->p += 8;
	r->left -= 8;
	return v;
}

static const uint8_t *rd_bytes(struct reader *r, size_t n)
{
	if (!r->ok || r->left < n) {
		r->ok = false;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

/* A reserved payload field: must be 0, like the header's (vmdbg.md 2). */
static bool rd_reserved(struct reader *r, struct vmdbg_diag *diag)
{
	uint32_t v = rd32(r);
	if (r->ok && v != 0) {
		diag_set(diag, VMDBG_E_PROTO,
			    "reserved payload field is 0x%x, must be 0", v);
		return false;
	}
	return true;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, surrogates, code points
 * past U+10FFFF, and no NUL (the text has none: it carries its length). */
static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp, min;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i - 1 < k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

bool vmdbg_reg_id_valid(uint64_t id)
{
	uint64_t arch = id & VMDBG_REG_ARCH_MASK;
	if (arch != VMDBG_REG_ARCH_X86 && arch != VMDBG_REG_ARCH_ARM64)
		return false;
	return vmdbg_reg_size_log2(id) <= VMDBG_REG_SIZE_MAX;
}

/* ---- framing -------------------------------------------------------------- */

enum vmdbg_frame_status vmdbg_frame_peek(const uint8_t *buf, size_t avail,
					 size_t *frame_len, struct vmdbg_diag *diag)
{
	*frame_len = 0;
	if (avail < 4)
		return VMDBG_FRAME_NEED_MORE;
	uint32_t len = get_le32(buf);
	if (len < VMDBG_HDR_SIZE || len > VMDBG_MAX_FRAME) {
		diag_set(diag, VMDBG_E_PROTO,
			    "frame length %u outside %u..%u", len, VMDBG_HDR_SIZE,
			    VMDBG_MAX_FRAME);
		return VMDBG_FRAME_BAD;
	}
	*frame_len = len;
	return avail >= len ? VMDBG_FRAME_OK : VMDBG_FRAME_NEED_MORE;
}

/* Fixed-size part of a register-id or register-value list, then counts. */
static bool decode_reg_ids(struct reader *r, struct vmdbg_reg_ids *ids, struct vmdbg_diag *diag)
{
	ids->vcpu = rd32(r);
	ids->count = rd32(r);
	if (!r->ok)
		return false;
	if (ids->count > VMDBG_MAX_REGS) {
		diag_set(diag, VMDBG_E_PROTO,
			    "%u register ids exceed the limit of %u", ids->count, VMDBG_MAX_REGS);
		return false;
	}
	ids->ids = rd_bytes(r, (size_t)ids->count * 8);
	if (!r->ok)
		return false;
	for (uint32_t i = 0; i < ids->count; i++) {
		uint64_t id = get_le64(ids->ids + (size_t)i * 8);
		if (!vmdbg_reg_id_valid(id)) {
			diag_set(diag, VMDBG_E_INVAL,
				    "register id 0x%016" PRIx64 " has a bad arch or size field",
				    id);
			return false;
		}
	}
	return true;
}

static bool decode_reg_vals(struct reader *r, struct vmdbg_reg_vals *v, struct vmdbg_diag *diag)
{
	v->vcpu = rd32(r);
	v->count = rd32(r);
	if (!r->ok)
		return false;
	if (v->count > VMDBG_MAX_REGS) {
		diag_set(diag, VMDBG_E_PROTO,
			    "%u register values exceed the limit of %u", v->count, VMDBG_MAX_REGS);
		return false;
	}
	v->data = r->p;
	size_t start_left = r->left;
	for (uint32_t i = 0; i < v->count; i++) {
		uint64_t id = rd64(r);
		if (!r->ok)
			return false;
		if (!vmdbg_reg_id_valid(id)) {
			diag_set(diag, VMDBG_E_INVAL,
				    "register id 0x%016" PRIx64 " has a bad arch or size field",
				    id);
			return false;
		}
		rd_bytes(r, vmdbg_reg_bytes(id));
		if (!r->ok)
			return false;
	}
	v->len = start_left - r->left;
	return true;
}

static bool decode_mem_request(struct reader *r, struct vmdbg_mem *m, bool with_data,
			       struct vmdbg_diag *diag)
{
	m->vcpu = rd32(r);
	m->len = rd32(r);
	m->addr = rd64(r);
	m->data = NULL;
	if (!r->ok)
		return false;
	if (m->len == 0 || m->len > VMDBG_MAX_MEM_XFER) {
		diag_set(diag, m->len == 0 ? VMDBG_E_INVAL : VMDBG_E_PROTO,
			    "memory length %u outside 1..%u", m->len, VMDBG_MAX_MEM_XFER);
		return false;
	}
	if (with_data)
		m->data = rd_bytes(r, m->len);
	return r->ok;
}

static bool decode_guest_debug(struct reader *r, struct vmdbg_guest_debug *g, struct vmdbg_diag *diag)
{
	memset(g, 0, sizeof(*g));
	g->control = rd32(r);
	g->arch = rd32(r);
	if (!r->ok)
		return false;
	if (g->control & ~VMDBG_GDBG_VALID) {
		diag_set(diag, VMDBG_E_INVAL,
			    "unknown guest-debug control bits 0x%x", g->control & ~VMDBG_GDBG_VALID);
		return false;
	}
	if (g->arch == VMDBG_ARCH_X86_64) {
		for (unsigned i = 0; i < 8; i++)
			g->regs.x86.debugreg[i] = rd64(r);
	} else if (g->arch == VMDBG_ARCH_AARCH64) {
		uint64_t *sets[] = { g->regs.arm64.dbg_bcr, g->regs.arm64.dbg_bvr,
				     g->regs.arm64.dbg_wcr, g->regs.arm64.dbg_wvr };
		for (unsigned s = 0; s < N_ELEMENTS(sets); s++)
			for (unsigned i = 0; i < VMDBG_MAX_DBG_REGS; i++)
				sets[s][i] = rd64(r);
	} else {
		diag_set(diag, VMDBG_E_INVAL,
			    "unknown architecture %u in guest-debug registers", g->arch);
		return false;
	}
	return r->ok;
}

static bool decode_resume(struct reader *r, struct vmdbg_resume *res, struct vmdbg_diag *diag)
{
	res->default_action = rd32(r);
	res->count = rd32(r);
	if (!r->ok)
		return false;
	if (res->default_action > VMDBG_ACT_STEP) {
		diag_set(diag, VMDBG_E_INVAL,
			    "unknown resume action %u", res->default_action);
		return false;
	}
	if (res->count > VMDBG_MAX_VCPUS) {
		diag_set(diag, VMDBG_E_PROTO,
			    "%u resume entries exceed the limit of %u", res->count, VMDBG_MAX_VCPUS);
		return false;
	}
	res->entries = rd_bytes(r, (size_t)res->count * 8);
	if (!r->ok)
		return false;
	res->nranges = 0;
	for (uint32_t i = 0; i < res->count; i++) {
		uint32_t vcpu = get_le32(res->entries + (size_t)i * 8);
		uint32_t action = get_le32(res->entries + (size_t)i * 8 + 4);
		if (action > VMDBG_ACT_RANGE_STEP) {
			diag_set(diag, VMDBG_E_INVAL,
				    "unknown resume action %u for vCPU %u", action, vcpu);
			return false;
		}
		res->nranges += action == VMDBG_ACT_RANGE_STEP;
	}
	res->ranges = rd_bytes(r, (size_t)res->nranges * 16);
	if (!r->ok)
		return false;
	for (uint32_t k = 0; k < res->nranges; k++) {
		uint64_t start = get_le64(res->ranges + (size_t)k * 16);
		uint64_t end = get_le64(res->ranges + (size_t)k * 16 + 8);
		if (start >= end) {
			diag_set(diag, VMDBG_E_INVAL,
				    "empty step range [0x%" PRIx64 ", 0x%"
				    PRIx64 ")", start, end);
			return false;
		}
	}
	return true;
}

/* MEM_MAP reply: the regions must be non-empty and neither their guest
 * nor their file range may wrap. */
static bool decode_mem_map(struct reader *r, struct vmdbg_mem_map *m, struct vmdbg_diag *diag)
{
	m->translation = rd32(r);
	m->nregions = rd32(r);
	m->table_offset = rd64(r);
	m->table_capacity = rd32(r);
	if (!rd_reserved(r, diag) || !r->ok)
		return false;
	if (m->nregions > VMDBG_MAX_MEM_REGIONS) {
		diag_set(diag, VMDBG_E_PROTO,
			    "%u memory regions exceed the limit of %u", m->nregions,
			    VMDBG_MAX_MEM_REGIONS);
		return false;
	}
	m->regions = rd_bytes(r, (size_t)m->nregions * 24);
	if (!r->ok)
		return false;
	if (m->translation != VMDBG_XLATE_IDENTITY && m->translation != VMDBG_XLATE_X86) {
		diag_set(diag, VMDBG_E_INVAL, "unknown translation %u",
			    m->translation);
		return false;
	}
	for (uint32_t i = 0; i < m->nregions; i++) {
		struct vmdbg_mem_region g = vmdbg_mem_region_get(m, i);
		if (g.size == 0 || g.gpa + g.size < g.gpa || g.offset + g.size < g.offset) {
			diag_set(diag, VMDBG_E_INVAL,
				    "memory region %u is empty or wraps", i);
			return false;
		}
	}
	return true;
}

/* A watch's kind and range: gdb's Z2-Z4, 1..VMDBG_MAX_WATCH_LEN bytes, not
 * wrapping. */
static bool watch_valid(uint32_t kind, uint64_t addr, uint64_t len, struct vmdbg_diag *diag)
{
	if (kind < VMDBG_WATCH_WRITE || kind > VMDBG_WATCH_ACCESS) {
		diag_set(diag, VMDBG_E_INVAL, "unknown watch kind %u", kind);
		return false;
	}
	if (len == 0 || len > VMDBG_MAX_WATCH_LEN || addr + len - 1 < addr) {
		diag_set(diag, VMDBG_E_INVAL,
			    "watch of %" PRIu64 " bytes at 0x%" PRIx64 " "
			    "(1..%u, not wrapping)", len, addr, VMDBG_MAX_WATCH_LEN);
		return false;
	}
	return true;
}

/* WATCH_LIST reply: at most VMDBG_MAX_WATCHES records, each valid as a
 * WATCH_INSERT with at most VMDBG_WATCH_MAX_PAGES pages. */
static bool decode_watch_list(struct reader *r, struct vmdbg_watch_list *l, struct vmdbg_diag *diag)
{
	l->count = rd32(r);
	if (!rd_reserved(r, diag) || !r->ok)
		return false;
	if (l->count > VMDBG_MAX_WATCHES) {
		diag_set(diag, VMDBG_E_PROTO, "%u watches exceed the limit of %u",
			    l->count, VMDBG_MAX_WATCHES);
		return false;
	}
	l->data = r->p;
	size_t before = r->left;
	for (uint32_t i = 0; i < l->count && r->ok; i++) {
		uint64_t addr = rd64(r), len = rd64(r);
		uint32_t kind = rd32(r), npages = rd32(r);
		rd64(r);
		rd64(r);
		if (!r->ok)
			return false;
		if (!watch_valid(kind, addr, len, diag))
			return false;
		if (npages == 0 || npages > VMDBG_WATCH_MAX_PAGES) {
			diag_set(diag, VMDBG_E_PROTO,
				    "watch %u protects %u pages (1..%u)", i, npages,
				    VMDBG_WATCH_MAX_PAGES);
			return false;
		}
		rd_bytes(r, (size_t)npages * 8);
	}
	l->len = before - r->left;
	return r->ok;
}

static bool decode_point_cond(struct reader *r, struct vmdbg_point_cond *c, struct vmdbg_diag *diag)
{
	c->addr = rd64(r);
	c->nregs = rd32(r);
	c->nconds = rd32(r);
	c->ncmds = rd32(r);
	if (!rd_reserved(r, diag) || !r->ok)
		return false;
	if (c->nregs > VMDBG_MAX_COND_REGS || c->nconds > VMDBG_MAX_CONDS ||
	    c->ncmds > VMDBG_MAX_CONDS) {
		diag_set(diag, VMDBG_E_INVAL,
			    "%u registers, %u conditions and %u commands exceed the limits of %u, %u "
			    "and %u", c->nregs, c->nconds, c->ncmds, VMDBG_MAX_COND_REGS,
			    VMDBG_MAX_CONDS, VMDBG_MAX_CONDS);
		return false;
	}
	c->regs = rd_bytes(r, (size_t)c->nregs * 16);
	if (!r->ok)
		return false;
	for (uint32_t i = 0; i < c->nregs; i++) {
		uint64_t id = get_le64(c->regs + (size_t)i * 16);
		if (get_le32(c->regs + (size_t)i * 16 + 12) != 0) {
			diag_set(diag, VMDBG_E_PROTO,
				    "register table entry %u: reserved field is not 0", i);
			return false;
		}
		if (!vmdbg_reg_id_valid(id)) {
			diag_set(diag, VMDBG_E_INVAL,
				    "register table entry %u: bad register id 0x%" PRIx64 "",
				    i, id);
			return false;
		}
	}
	c->conds = r->p;
	for (uint32_t i = 0; i < c->nconds + c->ncmds; i++) {
		uint32_t len = rd32(r);
		if (r->ok && (len == 0 || len > VMDBG_MAX_COND_LEN)) {
			diag_set(diag, VMDBG_E_INVAL,
				    "%s %u of %u bytes (1..%u)", i < c->nconds ? "condition" : "command",
				    i < c->nconds ? i : i - c->nconds, len, VMDBG_MAX_COND_LEN);
			return false;
		}
		rd_bytes(r, len);
	}
	return r->ok;
}

static bool decode_payload(uint8_t type, struct reader *r, struct vmdbg_msg *msg,
			   struct vmdbg_diag *diag)
{
	bool reply = type & VMDBG_REPLY;
	uint8_t base = type & VMDBG_TYPE_MASK;

	switch (base) {
	case VMDBG_HELLO:
		msg->u.hello.version = rd32(r);
		if (reply) {
			msg->u.hello.arch = rd32(r);
			msg->u.hello.nr_vcpus = rd32(r);
			msg->u.hello.hw_bps = rd32(r);
			msg->u.hello.hw_wps = rd32(r);
			msg->u.hello.features = rd32(r);
			msg->u.hello.max_frame = rd32(r);
			if (!rd_reserved(r, diag))
				return false;
		} else {
			msg->u.hello.features = rd32(r);
		}
		return r->ok;
	case VMDBG_REG_LIST:
		if (reply)
			return decode_reg_ids(r, &msg->u.reg_ids, diag);
		msg->u.vcpu = rd32(r);
		return r->ok;
	case VMDBG_GET_REGS:
		if (reply)
			return decode_reg_vals(r, &msg->u.reg_vals, diag);
		return decode_reg_ids(r, &msg->u.reg_ids, diag);
	case VMDBG_SET_REGS:
		return reply || decode_reg_vals(r, &msg->u.reg_vals, diag);
	case VMDBG_READ_MEM:
		if (reply) {
			msg->u.mem.addr = rd64(r);
			msg->u.mem.len = rd32(r);
			if (!rd_reserved(r, diag))
				return false;
			if (r->ok && msg->u.mem.len > VMDBG_MAX_MEM_XFER) {
				diag_set(diag, VMDBG_E_PROTO,
					    "memory length %u exceeds %u", msg->u.mem.len,
					    VMDBG_MAX_MEM_XFER);
				return false;
			}
			msg->u.mem.data = rd_bytes(r, msg->u.mem.len);
			return r->ok;
		}
		return decode_mem_request(r, &msg->u.mem, false, diag);
	case VMDBG_WRITE_MEM:
		return reply || decode_mem_request(r, &msg->u.mem, true, diag);
	case VMDBG_SET_GUEST_DEBUG:
		return reply || decode_guest_debug(r, &msg->u.gdbg, diag);
	case VMDBG_SW_BP_INSERT:
	case VMDBG_SW_BP_REMOVE:
		if (reply)
			return true;
		msg->u.sw_bp.vcpu = rd32(r);
		msg->u.sw_bp.kind = rd32(r);
		msg->u.sw_bp.addr = rd64(r);
		return r->ok;
	case VMDBG_PAUSE:
	case VMDBG_DETACH:
		return true;
	case VMDBG_RESUME:
		return reply || decode_resume(r, &msg->u.resume, diag);
	case VMDBG_POINT_COND:
		return reply || decode_point_cond(r, &msg->u.cond, diag);
	case VMDBG_MEM_MAP:
		return !reply || decode_mem_map(r, &msg->u.mem_map, diag);
	case VMDBG_WATCH_INSERT:
	case VMDBG_WATCH_REMOVE:
		if (reply)
			return true;
		msg->u.watch.vcpu = rd32(r);
		msg->u.watch.kind = rd32(r);
		msg->u.watch.addr = rd64(r);
		msg->u.watch.len = rd64(r);
		return r->ok && watch_valid(msg->u.watch.kind, msg->u.watch.addr, msg->u.watch.len,
					    diag);
	case VMDBG_WATCH_LIST:
		return !reply || decode_watch_list(r, &msg->u.watch_list, diag);
	case VMDBG_EV_OUTPUT:
		if (msg->seq != 0 || reply) {
			diag_set(diag, VMDBG_E_PROTO,
				    "OUTPUT event with sequence number %u, events carry 0", msg->seq);
			return false;
		}
		msg->u.output.vcpu = rd32(r);
		msg->u.output.len = rd32(r);
		msg->u.output.text = (const char *)rd_bytes(r, msg->u.output.len);
		return r->ok;
	case VMDBG_EV_STOPPED:
		if (msg->seq != 0) {
			diag_set(diag, VMDBG_E_PROTO,
				    "event with sequence number %u, events carry 0", msg->seq);
			return false;
		}
		msg->u.stopped.vcpu = rd32(r);
		msg->u.stopped.reason = rd32(r);
		msg->u.stopped.pc = rd64(r);
		for (unsigned i = 0; i < 3; i++)
			msg->u.stopped.info[i] = rd64(r);
		if (r->ok && (msg->u.stopped.reason < VMDBG_STOP_DEBUG ||
			      msg->u.stopped.reason > VMDBG_STOP_REASON_MAX)) {
			diag_set(diag, VMDBG_E_INVAL,
				    "unknown stop reason %u", msg->u.stopped.reason);
			return false;
		}
		return r->ok;
	case VMDBG_ERROR:
		msg->u.error.code = rd32(r);
		msg->u.error.len = rd32(r);
		if (r->ok && msg->u.error.len > VMDBG_MAX_ERROR_TEXT) {
			diag_set(diag, VMDBG_E_PROTO,
				    "error text of %u bytes exceeds %u", msg->u.error.len,
				    VMDBG_MAX_ERROR_TEXT);
			return false;
		}
		msg->u.error.text = (const char *)rd_bytes(r, msg->u.error.len);
		if (r->ok && !utf8_valid((const uint8_t *)msg->u.error.text, msg->u.error.len)) {
			diag_set(diag, VMDBG_E_PROTO,
				    "error text is not UTF-8");
			return false;
		}
		return r->ok;
	default:  /* type_known() let it through: a type without a row here */
		diag_set(diag, VMDBG_E_UNKNOWN, "no layout for type 0x%x", type);
		return false;
	}
}

static bool type_known(uint8_t type)
{
	uint8_t base = type & VMDBG_TYPE_MASK;
	if (base >= VMDBG_HELLO && base <= VMDBG_WATCH_LIST)
		return true;
	/* events and errors are never replies */
	return type == VMDBG_EV_STOPPED || type == VMDBG_EV_OUTPUT || type == VMDBG_ERROR;
}

/* The header and payload checks; *d says why on failure. */
static bool decode_frame(const uint8_t *frame, size_t len, struct vmdbg_msg *msg,
			 struct vmdbg_diag *diag)
{
	if (len < VMDBG_HDR_SIZE || len > VMDBG_MAX_FRAME || get_le32(frame) != len) {
		diag_set(diag, VMDBG_E_PROTO,
			 "frame of %zu bytes does not match its length field", len);
		return false;
	}
	uint16_t version = (uint16_t)(frame[4] | frame[5] << 8);
	uint16_t type16 = (uint16_t)(frame[6] | frame[7] << 8);
	msg->seq = get_le32(frame + 8);
	msg->type = (uint8_t)type16;
	uint32_t reserved = get_le32(frame + 12);

	if (version != VMDBG_VERSION) {
		diag_set(diag, VMDBG_E_VERSION,
			 "protocol version %u, this side speaks %u", version, VMDBG_VERSION);
		return false;
	}
	if (type16 > 0xff || !type_known(msg->type)) {
		diag_set(diag, VMDBG_E_UNKNOWN, "unknown message type 0x%x", type16);
		return false;
	}
	if (reserved != 0) {
		diag_set(diag, VMDBG_E_PROTO, "reserved header field is 0x%x, must be 0", reserved);
		return false;
	}

	struct reader r = { frame + VMDBG_HDR_SIZE, len - VMDBG_HDR_SIZE, true };
	struct vmdbg_diag local = { 0, "" };
	if (!decode_payload(msg->type, &r, msg, &local) || !r.ok || r.left != 0) {
		if (local.code) {
			diag_set(diag, local.code, "%s: %s", vmdbg_type_name(msg->type), local.text);
		} else {
			diag_set(diag, VMDBG_E_PROTO,
				 "%s%s payload of %zu bytes is %s", vmdbg_type_name(msg->type),
				 msg->type & VMDBG_REPLY ? " reply" : "",
				 len - VMDBG_HDR_SIZE, r.ok ? "too long" : "truncated");
		}
		return false;
	}
	return true;
}

int vmdbg_decode(const uint8_t *frame, size_t len, struct vmdbg_msg *msg, struct vmdbg_diag *diag)
{
	struct vmdbg_diag d = { 0, "" };
	memset(msg, 0, sizeof(*msg));
	if (decode_frame(frame, len, msg, &d))
		return 0;
	if (diag)
		*diag = d;
	return (int)d.code;
}
