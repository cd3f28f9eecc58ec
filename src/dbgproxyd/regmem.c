/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * regmem.c - registers (g, G, p, P) through the target's per-vCPU caches,
 * and guest memory (m, x, M, X).  Every handler here is a PKT_F_ASYNC row:
 * it ends with finish().
 */
#include "session.h"

/* One register request's context. */
struct reg_req {
	struct sref ref;
	uint32_t vcpu;
	unsigned regnum;        /* p, P */
	GBytes *data;           /* P, G: gdb's new values */
	void (*then)(struct session *s, struct reg_req *r, const GError *err);
};

static void reg_req_free(struct reg_req *r)
{
	if (r->data)
		g_bytes_unref(r->data);
	g_free(r);
}

static void reg_fetched(void *ctx, const GError *err)
{
	struct reg_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (s)
		r->then(s, r, err);
	reg_req_free(r);
}

/* Make the VM registers behind hs[0..n) (all if hs is NULL) of vcpu valid
 * in the cache, then run r->then with err telling how it went. */
static void with_regs(struct session *s, struct reg_req *r, const struct reg_handle *const *hs,
		      unsigned n)
{
	g_autoptr(GError) err = NULL;
	switch (target_fetch_regs(s->t, r->vcpu, hs, n, reg_fetched, r, &err)) {
	case TARGET_PENDING:
		return;
	case TARGET_DONE:
		r->then(s, r, NULL);
		break;
	case TARGET_FAILED:
		r->then(s, r, err);
		break;
	}
	reg_req_free(r);
}

static struct reg_req *reg_req_new(struct session *s, void (*then)(struct session *,
								   struct reg_req *, const GError *))
{
	struct reg_req *r = g_new0(struct reg_req, 1);
	sref_init(&r->ref, s);
	r->vcpu = s->g_vcpu;
	r->then = then;
	return r;
}

/* A register's value in hex, or "xx" per byte when this vCPU's model
 * lacks it (gdb shows it <unavailable>). */
static void put_reg(GString *r, const struct regcache *rc, const struct reg_handle *h,
		    uint8_t *buf)
{
	if (!reg_handle_present(h)) {
		for (unsigned b = 0; b < reg_handle_bytes(h); b++)
			g_string_append(r, "xx");
		return;
	}
	regcache_read(rc, h, buf);
	rsp_put_hex(r, buf, reg_handle_bytes(h));
}

static void read_all_done(struct session *s, struct reg_req *req, const GError *err)
{
	if (err) {
		reply_error(s, "reading registers of vCPU %u: %s", req->vcpu, err->message);
		finish(s);
		return;
	}
	const struct regset *rs = regset_of(s, req->vcpu);
	const struct regcache *rc = target_regcache(s->t, req->vcpu);
	GString *r = g_string_sized_new(regset_g_bytes(rs) * 2);
	uint8_t buf[256];
	for (unsigned i = 0; i < regset_count(rs); i++) {
		const struct reg_handle *h = regset_nth(rs, i);
		put_reg(r, rc, h, buf);
	}
	reply(s, r->str);
	g_string_free(r, TRUE);
	finish(s);
}

/* ---- a plugin's thread that is not on a vCPU: what its plugin knows ---------------------- */

struct thread_regs_req {
	struct sref ref;
	uint64_t tid;
	int64_t regnum;        /* p; -1: g */
};

/* values (reg_handle -> GBytes) into g's or p's hex, "xx" per byte of a
 * register the plugin did not give (gdb shows it <unavailable>). */
static void put_thread_reg(GString *r, GHashTable *values, const struct reg_handle *h)
{
	GBytes *b = g_hash_table_lookup(values, h);
	size_t n = reg_handle_bytes(h);
	if (b && g_bytes_get_size(b) == n) {
		rsp_put_hex(r, g_bytes_get_data(b, NULL), n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		g_string_append(r, "xx");
}

static void thread_regs_done(void *ctx, GHashTable *values, const GError *err)
{
	struct thread_regs_req *q = ctx;
	struct session *s = sref_session(&q->ref);
	if (s && s->busy) {
		const struct regset *rs = regset_of(s, s->g_vcpu);
		if (err) {
			reply_error(s, "registers of thread %" PRIu64 ": %s", q->tid, err->message);
		} else {
			GString *r = g_string_new(NULL);
			if (q->regnum >= 0) {
				put_thread_reg(r, values, regset_by_regnum(rs, (unsigned)q->regnum));
			} else {
				for (unsigned i = 0; i < regset_count(rs); i++)
					put_thread_reg(r, values, regset_nth(rs, i));
			}
			reply(s, r->str);
			g_string_free(r, TRUE);
		}
		finish(s);
	}
	g_free(q);
}

static void read_thread_regs(struct session *s, int64_t regnum)
{
	struct thread_regs_req *q = g_new0(struct thread_regs_req, 1);
	sref_init(&q->ref, s);
	q->tid = s->g_thread;
	q->regnum = regnum;
	int model = target_vcpu_model(s->t, s->g_vcpu);
	g_autoptr(GError) err = NULL;
	if (model < 0 || !plugin_host_thread_regs(s->d->plugins, s->g_thread, (unsigned)model,
						  thread_regs_done, q, &err)) {
		reply_error(s, "registers of thread %" PRIu64 ": %s", s->g_thread,
			    err ? err->message : "no VM");
		finish(s);
		g_free(q);
	}
}

/* Hg names a plugin's thread (and it still is one): its registers are
 * the plugin's, read-only.  Replies and returns true if so. */
static bool plugin_thread_regs(struct session *s, int64_t regnum, bool write)
{
	if (!s->g_thread)
		return false;
	const struct plugin_thread *th = plugin_thread_of(s, (int64_t)s->g_thread);
	if (!th) {
		reply_error(s, "thread %" PRIu64 " is gone (its plugin no longer lists it)",
			    s->g_thread);
		finish(s);
	} else if (write) {
		reply_error(s, "the registers of thread %s are read-only: it is not on a vCPU "
			    "(its plugin %s gives what the kernel saved)", th->name, th->plugin);
		finish(s);
	} else {
		read_thread_regs(s, regnum);
	}
	return true;
}

void h_read_regs(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (plugin_thread_regs(s, -1, false))
		return;
	with_regs(s, reg_req_new(s, read_all_done), NULL, 0);
}

static void read_one_done(struct session *s, struct reg_req *req, const GError *err)
{
	if (err) {
		reply_error(s, "reading a register of vCPU %u: %s", req->vcpu, err->message);
	} else {
		const struct reg_handle *h = regset_by_regnum(regset_of(s, req->vcpu), req->regnum);
		uint8_t buf[256];
		GString *r = g_string_new(NULL);
		put_reg(r, target_regcache(s->t, req->vcpu), h, buf);
		reply(s, r->str);
		g_string_free(r, TRUE);
	}
	finish(s);
}

/* The Hg vCPU's register with gdb number regnum; replies with an error
 * (and returns NULL) when there is none. */
static const struct reg_handle *lookup_regnum(struct session *s, uint64_t regnum)
{
	const struct reg_handle *h = regnum <= UINT32_MAX
		? regset_by_regnum(regset_of(s, s->g_vcpu), (unsigned)regnum) : NULL;
	if (!h) {
		reply_error(s, "no register number 0x%" PRIx64 " in the target description", regnum);
		finish(s);
	}
	return h;
}

void h_read_reg(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	const struct reg_handle *h = lookup_regnum(s, p[0].u);
	if (!h || plugin_thread_regs(s, (int64_t)p[0].u, false))
		return;
	struct reg_req *r = reg_req_new(s, read_one_done);
	r->regnum = (unsigned)p[0].u;
	with_regs(s, r, &h, 1);
}

struct set_req {
	struct sref ref;
	uint32_t vcpu;
};

static void set_regs_done(void *ctx, const GError *err)
{
	struct set_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (s) {
		if (err)
			reply_error(s, "writing registers of vCPU %u: %s", r->vcpu, err->message);
		else
			reply(s, "OK");
		finish(s);
	}
	g_free(r);
}

/* Write n handles' new values (concatenated in data) through to the VM. */
static void write_through(struct session *s, uint32_t vcpu, const struct reg_handle *const *hs,
			  unsigned n, const uint8_t *data)
{
	struct set_req *r = g_new0(struct set_req, 1);
	sref_init(&r->ref, s);
	r->vcpu = vcpu;
	const struct reg_handle *read_only = NULL;
	g_autoptr(GError) err = NULL;
	switch (target_write_regs(s->t, vcpu, hs, n, data, &read_only, set_regs_done, r, &err)) {
	case TARGET_PENDING:
		return;
	case TARGET_DONE:  /* only read-only registers, unchanged */
		reply(s, "OK");
		break;
	case TARGET_FAILED:
		if (read_only)
			reply_error(s, "%s", err->message);
		else
			reply_error(s, "writing registers of vCPU %u: %s", vcpu, err->message);
		break;
	}
	g_free(r);
	finish(s);
}

static void write_one_ready(struct session *s, struct reg_req *req, const GError *err)
{
	if (err) {
		reply_error(s, "writing a register of vCPU %u: %s", req->vcpu, err->message);
		finish(s);
		return;
	}
	const struct reg_handle *h = regset_by_regnum(regset_of(s, req->vcpu), req->regnum);
	write_through(s, req->vcpu, &h, 1, g_bytes_get_data(req->data, NULL));
}

void h_write_reg(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	const struct reg_handle *h = lookup_regnum(s, p[0].u);
	if (!h || plugin_thread_regs(s, (int64_t)p[0].u, true))
		return;
	if (!reg_handle_present(h)) {
		reply_error(s, "vCPU %u has no register %s (its CPU model lacks it)", s->g_vcpu,
			    reg_handle_name(h));
		finish(s);
		return;
	}
	if (p[1].len != reg_handle_bytes(h)) {
		reply_error(s, "register %s is %u bytes, got %zu", reg_handle_name(h),
			    reg_handle_bytes(h), p[1].len);
		finish(s);
		return;
	}
	struct reg_req *r = reg_req_new(s, write_one_ready);
	r->regnum = (unsigned)p[0].u;
	r->data = g_bytes_new(p[1].s, p[1].len);
	with_regs(s, r, &h, 1);
}

static void write_all_ready(struct session *s, struct reg_req *req, const GError *err)
{
	if (err) {
		reply_error(s, "writing registers of vCPU %u: %s", req->vcpu, err->message);
		finish(s);
		return;
	}
	const struct regset *rs = regset_of(s, req->vcpu);
	gsize len;
	const uint8_t *data = g_bytes_get_data(req->data, &len);
	g_autofree const struct reg_handle **hs = g_new(const struct reg_handle *, regset_count(rs));
	unsigned n = 0;
	size_t off = 0;
	/* a G shorter than the full set writes the registers it covers */
	for (unsigned i = 0; i < regset_count(rs); i++) {
		const struct reg_handle *h = regset_nth(rs, i);
		if (off + reg_handle_bytes(h) > len)
			break;
		hs[n++] = h;
		off += reg_handle_bytes(h);
	}
	write_through(s, req->vcpu, hs, n, data);
}

void h_write_regs(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (plugin_thread_regs(s, -1, true))
		return;
	if (p[0].len == 0 || p[0].len > regset_g_bytes(regset_of(s, s->g_vcpu))) {
		reply_error(s, "G packet of %zu bytes; the register set has %zu", p[0].len,
			    regset_g_bytes(regset_of(s, s->g_vcpu)));
		finish(s);
		return;
	}
	struct reg_req *r = reg_req_new(s, write_all_ready);
	r->data = g_bytes_new(p[0].s, p[0].len);
	with_regs(s, r, NULL, 0);
}

/* ---- memory -------------------------------------------------------------------------- */

struct mem_req {
	struct sref ref;
	uint64_t addr;
	bool binary;            /* x: binary data, not hex */
};

/* The bytes read, as m (hex) or x (binary: "b" first unless the client
 * is an lldb that asked "x0,0", which wants them bare) answers. */
static void reply_mem(struct session *s, bool binary, const uint8_t *data, size_t n)
{
	g_string_truncate(s->scratch, 0);
	if (!binary) {
		rsp_put_hex(s->scratch, data, n);
	} else {
		if (!s->x_bare)
			g_string_append_c(s->scratch, 'b');
		g_string_append_len(s->scratch, (const char *)data, (gssize)n);
	}
	reply_bytes(s, s->scratch->str, s->scratch->len);
}

static void mem_read_done(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct mem_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (s) {
		/* the reply is the bytes read from the start up to the first gap */
		if (n == 0) {
			reply_errno(s, EFAULT, "cannot read guest memory at 0x%" PRIx64 "%s%s", r->addr,
				    err ? ": " : "", err ? err->message : "");
		} else {
			reply_mem(s, r->binary, data, n);
		}
		finish(s);
	}
	g_free(r);
}

static void read_mem(struct session *s, uint64_t addr, uint64_t len, bool binary)
{
	if (len == 0) {
		/* x0,0 is lldb's question "do you serve x?": yes, and it wants
		 * bare bytes (gdb, told binary-upload+, never asks it) */
		if (binary)
			s->x_bare = true;
		reply(s, binary ? "OK" : "");
		finish(s);
		return;
	}
	/* two hex digits a byte (m), or worst-case escaping (x), in PacketSize */
	if (len > (binary ? (PACKET_SIZE - 1) / 2 : PACKET_SIZE / 2)) {
		reply_errno(s, EINVAL, "%c of %" PRIu64 " bytes exceeds what a reply packet can carry",
			    binary ? 'x' : 'm', len);
		finish(s);
		return;
	}
	if (target_read_mem_now(s->t, s->g_vcpu, addr, s->membuf, (size_t)len)) {
		reply_mem(s, binary, s->membuf, (size_t)len);
		finish(s);
		return;
	}
	struct mem_req *r = g_new0(struct mem_req, 1);
	sref_init(&r->ref, s);
	r->addr = addr;
	r->binary = binary;
	g_autoptr(GError) err = NULL;
	if (target_read_mem(s->t, s->g_vcpu, r->addr, (size_t)len, mem_read_done, r, &err) ==
	    TARGET_PENDING)
		return;
	g_free(r);
	reply_errno(s, EFAULT, "cannot read guest memory at 0x%" PRIx64 ": %s", addr, err->message);
	finish(s);
}

void h_read_mem(void *ctx, const struct pkt_param *p)
{
	read_mem(ctx, p[0].u, p[1].u, false);
}

void h_read_mem_bin(void *ctx, const struct pkt_param *p)
{
	read_mem(ctx, p[0].u, p[1].u, true);
}

static void mem_written(void *ctx, const GError *err)
{
	struct mem_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (s) {
		if (err)
			reply_error(s, "cannot write guest memory at 0x%" PRIx64 ": %s", r->addr,
				    err->message);
		else
			reply(s, "OK");
		finish(s);
	}
	g_free(r);
}

static void write_mem(struct session *s, uint64_t addr, const char *data, size_t len)
{
	if (target_write_mem_now(s->t, s->g_vcpu, addr, (const uint8_t *)data, len)) {
		reply(s, "OK");
		finish(s);
		return;
	}
	struct mem_req *r = g_new0(struct mem_req, 1);
	sref_init(&r->ref, s);
	r->addr = addr;
	g_autoptr(GError) err = NULL;
	switch (target_write_mem(s->t, s->g_vcpu, addr, (const uint8_t *)data, len, mem_written, r,
				 &err)) {
	case TARGET_PENDING:
		return;
	case TARGET_DONE:
		reply(s, "OK"); /* gdb probes X support with an empty write */
		break;
	case TARGET_FAILED:
		reply_error(s, "%s", err->message);
		break;
	}
	g_free(r);
	finish(s);
}

void h_write_mem_hex(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (p[1].u != p[2].len) {
		reply_error(s, "M length %" PRIu64 " but %zu bytes of data", p[1].u, p[2].len);
		finish(s);
		return;
	}
	write_mem(s, p[0].u, p[2].s, p[2].len);
}

void h_write_mem_bin(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (p[1].u != p[2].len) {
		reply_error(s, "X length %" PRIu64 " but %zu bytes of data", p[1].u, p[2].len);
		finish(s);
		return;
	}
	write_mem(s, p[0].u, p[2].s, p[2].len);
}
