/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * breakpoints.c - Z0-Z4 / z0-z4: gdb's points, owned by this session's
 * client in the target's breakpoint table (target.h): software
 * breakpoints the VM plants, hardware breakpoints and watchpoints through
 * the slot allocator.  A Z0/Z1 may carry conditions (";X<len>,<bytecode>",
 * ConditionalBreakpoints) and commands (";cmds:<persist>,X<len>,<bytecode>",
 * BreakpointCommands: dprintf-style agent): they go to the VM (POINT_COND)
 * once the point is in, with the VM register id of every gdb register
 * number they read, and the VM runs them where the breakpoint hits.
 * PKT_F_ASYNC rows: they end with finish().
 */
#include "session.h"

#include "agentx.h"

struct point_req {
	struct sref ref;
	bool insert;
	unsigned type;
	uint64_t addr;
	bool send_cond;               /* then tell the VM the conditions (maybe none) */
	GPtrArray *codes;             /* GBytes *: the conditions */
	GPtrArray *cmds;              /* GBytes *: the commands */
	GArray *regs;                 /* struct vmdbg_cond_reg */
};

static void point_req_free(struct point_req *r)
{
	if (r->codes)
		g_ptr_array_unref(r->codes);
	if (r->cmds)
		g_ptr_array_unref(r->cmds);
	if (r->regs)
		g_array_unref(r->regs);
	g_free(r);
}

static void reply_point_error(struct session *s, const struct point_req *r, const GError *err)
{
	if (r->type == 0)
		reply_error(s, "%s breakpoint at 0x%" PRIx64 ": %s",
			    r->insert ? "cannot insert" : "cannot remove", r->addr, err->message);
	else
		reply_error(s, "%s", err->message);
}

static void cond_done(void *ctx, const GError *err)
{
	struct point_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (s) {
		if (err) {
			reply_error(s, "the breakpoint at 0x%" PRIx64 " is in, but its condition is "
				    "not: %s", r->addr, err->message);
		} else {
			if ((r->codes && r->codes->len) || (r->cmds && r->cmds->len))
				g_hash_table_add(s->cond_addrs, g_memdup2(&r->addr, sizeof(r->addr)));
			else
				g_hash_table_remove(s->cond_addrs, &r->addr);
			reply(s, "OK");
		}
		finish(s);
	}
	point_req_free(r);
}

/* The point is in (or out): send its conditions, or answer. */
static void point_in(struct session *s, struct point_req *r)
{
	if (!r->send_cond) {
		reply(s, "OK");
		finish(s);
		point_req_free(r);
		return;
	}
	uint32_t n = r->codes ? r->codes->len : 0, nc = r->cmds ? r->cmds->len : 0;
	const uint8_t *codes[2 * VMDBG_MAX_CONDS];
	uint32_t lens[2 * VMDBG_MAX_CONDS];
	for (uint32_t i = 0; i < n + nc; i++) {
		gsize len;
		GBytes *b = i < n ? g_ptr_array_index(r->codes, i) : g_ptr_array_index(r->cmds, i - n);
		codes[i] = g_bytes_get_data(b, &len);
		lens[i] = (uint32_t)len;
	}
	g_autoptr(GError) err = NULL;
	if (target_point_cond(s->t, r->addr,
			      r->regs ? (const struct vmdbg_cond_reg *)(void *)r->regs->data : NULL,
			      r->regs ? r->regs->len : 0, codes, lens, n, nc, cond_done, r, &err) !=
	    TARGET_PENDING)
		cond_done(r, err);
}

static void point_done(void *ctx, const GError *err)
{
	struct point_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (!s) {
		point_req_free(r);
		return;
	}
	if (err) {
		reply_point_error(s, r, err);
		finish(s);
		point_req_free(r);
		return;
	}
	point_in(s, r);
}

/* "X<len>,<hex>[;X...][;cmds:<persist>,X<len>,<hex>[;X...]]": the
 * conditions and commands, verified, with the VM id of every register they
 * read.  False with the reason. */
static bool parse_conds(struct session *s, struct point_req *r, const char *text, size_t len,
			GError **error)
{
	r->codes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	r->cmds = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	r->regs = g_array_new(FALSE, FALSE, sizeof(struct vmdbg_cond_reg));
	const char *p = text, *end = text + len;
	const struct regset *rs = regset_of(s, s->g_vcpu);
	GPtrArray *into = r->codes;
	while (p < end) {
		if (into == r->codes && end - p >= 5 && memcmp(p, "cmds:", 5) == 0) {
			/* the persist flag (0/1): commands never outlive gdb here */
			p += 5;
			if (end - p < 2 || (p[0] != '0' && p[0] != '1') || p[1] != ',')
				goto bad;
			p += 2;
			into = r->cmds;
			continue;
		}
		char *after;
		if (*p != 'X' || !g_ascii_isxdigit(p[1]))
			goto bad;
		errno = 0;
		uint64_t n = g_ascii_strtoull(p + 1, &after, 16);
		if (errno || after >= end || *after != ',' || n == 0 || n > AX_MAX_LEN ||
		    (uint64_t)(end - (after + 1)) < 2 * n)
			goto bad;
		if (into->len >= VMDBG_MAX_CONDS) {
			g_set_error(error, TARGET_ERROR, TARGET_E_INVAL, "more than %u %s",
				    VMDBG_MAX_CONDS, into == r->cmds ? "commands" : "conditions");
			return false;
		}
		g_autofree uint8_t *code = g_malloc(n);
		if (!rsp_get_hex(after + 1, 2 * n, code, n))
			goto bad;
		p = after + 1 + 2 * n;
		if (p < end && *p++ != ';')
			goto bad;
		g_autoptr(GError) verr = NULL;
		if (!ax_verify(code, n, &verr)) {
			g_set_error(error, TARGET_ERROR, TARGET_E_INVAL, "%s %u: %s",
				    into == r->cmds ? "command" : "condition", into->len, verr->message);
			return false;
		}
		uint16_t used[64];
		unsigned nused = ax_regs_used(code, n, used, G_N_ELEMENTS(used));
		for (unsigned k = 0; k < nused; k++) {
			bool known = false;
			for (guint j = 0; j < r->regs->len; j++)
				known |= g_array_index(r->regs, struct vmdbg_cond_reg, j).regnum == used[k];
			if (known)
				continue;
			const struct reg_handle *h = rs ? regset_by_regnum(rs, used[k]) : NULL;
			struct vmdbg_cond_reg e = { 0, used[k] };
			if (!h || !regset_plain_vm_id(rs, h, &e.id)) {
				g_set_error(error, TARGET_ERROR, TARGET_E_INVAL,
					    "the condition reads register %s, which the VM cannot "
					    "evaluate; use 'set breakpoint condition-evaluation host'",
					    h ? reg_handle_name(h) : "(unknown)");
				return false;
			}
			g_array_append_val(r->regs, e);
		}
		g_ptr_array_add(into, g_bytes_new(code, n));
	}
	return true;
bad:
	g_set_error(error, TARGET_ERROR, TARGET_E_INVAL,
		    "malformed condition list (want X<len>,<hex bytecode>[;...])");
	return false;
}

/* Z/z type 0 is the VM's software breakpoints, 1-4 the debug registers;
 * other types are not supported (empty reply). */
static void point(struct session *s, bool insert, const struct pkt_param *p)
{
	if (p[0].u > HW_ACCESS) {
		reply(s, "");
		finish(s);
		return;
	}
	struct point_req *r = g_new0(struct point_req, 1);
	sref_init(&r->ref, s);
	r->insert = insert;
	r->type = (unsigned)p[0].u;
	r->addr = p[1].u;
	g_autoptr(GError) err = NULL;
	/* the VM evaluates them, or the daemon does for a VM that does not */
	bool vm_conds = r->type <= 1;
	if (insert && p[3].s && !parse_conds(s, r, p[3].s, p[3].len, &err)) {
		reply_error(s, "breakpoint at 0x%" PRIx64 ": %s", r->addr, err->message);
		finish(s);
		point_req_free(r);
		return;
	}
	/* the target learns the new list, or that an old one is gone */
	r->send_cond = vm_conds && ((r->codes && r->codes->len) || (r->cmds && r->cmds->len) ||
				    g_hash_table_contains(s->cond_addrs, &r->addr));
	enum target_result res = insert
		? target_point_insert(s->t, s->client, r->type, p[1].u, p[2].u, s->g_vcpu,
				      point_done, r, &err)
		: target_point_remove(s->t, s->client, r->type, p[1].u, p[2].u, s->g_vcpu,
				      point_done, r, &err);
	switch (res) {
	case TARGET_PENDING:
		return;
	case TARGET_DONE:
		point_in(s, r);
		return;
	case TARGET_FAILED:
		if (r->type)
			g_message("%s hardware point refused: %s", insert ? "inserting" : "removing",
				  err->message);
		reply_point_error(s, r, err);
		break;
	}
	point_req_free(r);
	finish(s);
}

void h_insert_point(void *ctx, const struct pkt_param *p)
{
	point(ctx, true, p);
}

void h_remove_point(void *ctx, const struct pkt_param *p)
{
	point(ctx, false, p);
}
