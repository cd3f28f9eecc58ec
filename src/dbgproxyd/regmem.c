/*
 * regmem.c - registers (g, G, p, P) through the per-vCPU cache, and guest
 * memory (m, M, X) in VM-sized pieces.
 */
#include "session.h"

static void read_all_done(struct session *s, struct op *op)
{
	if (op->failed) {
		reply_error(s, "reading registers of vCPU %u: %s", op->vcpu, op->err->message);
		finish(s);
		return;
	}
	const struct regset *rs = regset_of(s, op->vcpu);
	GString *r = g_string_sized_new(regset_g_bytes(rs) * 2);
	uint8_t buf[256];
	for (unsigned i = 0; i < regset_count(rs); i++) {
		const struct reg_handle *h = regset_nth(rs, i);
		regcache_read(s->caches[op->vcpu], h, buf);
		rsp_put_hex(r, buf, reg_handle_bytes(h));
	}
	reply(s, r->str);
	g_string_free(r, TRUE);
	finish(s);
}

void h_read_regs(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	s->busy = true;
	with_regs(s, s->g_vcpu, NULL, 0, op_new(s), read_all_done);
}

static void read_one_done(struct session *s, struct op *op)
{
	if (op->failed) {
		reply_error(s, "reading a register of vCPU %u: %s", op->vcpu, op->err->message);
	} else {
		const struct reg_handle *h = regset_by_regnum(regset_of(s, op->vcpu), (unsigned)op->addr);
		uint8_t buf[256];
		regcache_read(s->caches[op->vcpu], h, buf);
		GString *r = g_string_new(NULL);
		rsp_put_hex(r, buf, reg_handle_bytes(h));
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
	if (!h)
		reply_error(s, "no register number 0x%" PRIx64 " in the target description", regnum);
	return h;
}

void h_read_reg(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	const struct reg_handle *h = lookup_regnum(s, p[0].u);
	if (!h)
		return;
	struct op *op = op_new(s);
	op->addr = p[0].u;
	s->busy = true;
	with_regs(s, s->g_vcpu, &h, 1, op, read_one_done);
}

static void set_regs_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct op *op = ctx;
	struct session *s = op_session(op);
	if (s) {
		if (m) {
			reply(s, "OK");
		} else {
			regcache_invalidate(s->caches[op->vcpu]); /* the VM did not take them */
			reply_error(s, "writing registers of vCPU %u: %s", op->vcpu, err->message);
		}
		finish(s);
	}
	op_free(op);
}

/* Write n handles' new values (concatenated in data) through to the VM. */
static void write_through(struct session *s, struct op *op, const struct reg_handle *const *hs,
			  unsigned n, const uint8_t *data)
{
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	g_autoptr(GByteArray) vals = g_byte_array_new();
	const struct reg_handle *read_only = NULL;
	if (!regcache_write_through(s->caches[op->vcpu], hs, n, data, ids, vals, &read_only)) {
		reply_error(s, "register %s is read-only (the VM fixes it)", reg_handle_name(read_only));
		s->busy = false;
		return;
	}
	if (ids->len == 0) {  /* only read-only registers, unchanged */
		reply(s, "OK");
		s->busy = false;
		return;
	}
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(s->d->vm);
	vmdbg_enc_reg_vals(f, VMDBG_SET_REGS, seq, op->vcpu, (const uint64_t *)(void *)ids->data,
			   ids->len, vals->data);
	struct op *wop = op_new(s);
	wop->vcpu = op->vcpu;
	send_vm(s, f, seq, set_regs_done, wop);
}

static void write_one_ready(struct session *s, struct op *op)
{
	if (op->failed) {
		reply_error(s, "writing a register of vCPU %u: %s", op->vcpu, op->err->message);
		finish(s);
		return;
	}
	const struct reg_handle *h = regset_by_regnum(regset_of(s, op->vcpu), (unsigned)op->addr);
	write_through(s, op, &h, 1, g_bytes_get_data(op->data, NULL));
	if (!s->busy)
		finish(s);
}

void h_write_reg(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	const struct reg_handle *h = lookup_regnum(s, p[0].u);
	if (!h)
		return;
	if (p[1].len != reg_handle_bytes(h)) {
		reply_error(s, "register %s is %u bytes, got %zu", reg_handle_name(h),
			    reg_handle_bytes(h), p[1].len);
		return;
	}
	struct op *op = op_new(s);
	op->addr = p[0].u;
	op->data = g_bytes_new(p[1].s, p[1].len);
	s->busy = true;
	with_regs(s, s->g_vcpu, &h, 1, op, write_one_ready);
}

static void write_all_ready(struct session *s, struct op *op)
{
	if (op->failed) {
		reply_error(s, "writing registers of vCPU %u: %s", op->vcpu, op->err->message);
		finish(s);
		return;
	}
	const struct regset *rs = regset_of(s, op->vcpu);
	gsize len;
	const uint8_t *data = g_bytes_get_data(op->data, &len);
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
	write_through(s, op, hs, n, data);
	if (!s->busy)
		finish(s);
}

void h_write_regs(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (p[0].len == 0 || p[0].len > regset_g_bytes(regset_of(s, s->g_vcpu))) {
		reply_error(s, "G packet of %zu bytes; the register set has %zu", p[0].len,
			    regset_g_bytes(regset_of(s, s->g_vcpu)));
		return;
	}
	struct op *op = op_new(s);
	op->data = g_bytes_new(p[0].s, p[0].len);
	s->busy = true;
	with_regs(s, s->g_vcpu, NULL, 0, op, write_all_ready);
}

/* ---- memory -------------------------------------------------------------------------- */

struct mem_piece {
	struct op *whole;
	uint64_t offset;
	bool done;
};

static void mem_read_all_done(struct session *s, struct op *op)
{
	/* the reply is the bytes read from the start up to the first gap */
	size_t n = op->buf->len;
	if (n == 0) {
		reply_errno(s, EFAULT, "cannot read guest memory at 0x%" PRIx64 "%s%s", op->addr,
			    op->err ? ": " : "", op->err ? op->err->message : "");
	} else {
		GString *r = g_string_sized_new(n * 2);
		rsp_put_hex(r, op->buf->data, n);
		reply(s, r->str);
		g_string_free(r, TRUE);
	}
	finish(s);
}

static void mem_read_piece(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct mem_piece *pc = ctx;
	struct op *op = pc->whole;
	uint64_t want = MIN((uint64_t)MEM_CHUNK, op->len - pc->offset);
	if (!op->failed) {
		/* pieces answer in order: append while contiguous */
		if (m && pc->offset == op->buf->len) {
			g_byte_array_append(op->buf, m->u.mem.data, m->u.mem.len);
			if (m->u.mem.len < want)
				op->failed = true; /* a short read ends the contiguous part */
		} else {
			op->failed = true;
			if (err && !op->err)
				op->err = g_error_copy(err);
		}
	}
	g_free(pc);
	if (--op->outstanding == 0) {
		struct session *s = op_session(op);
		if (s)
			mem_read_all_done(s, op);
		op_free(op);
	}
}

void h_read_mem(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint64_t len = p[1].u;
	if (len == 0) {
		reply(s, "");
		return;
	}
	if (len > PACKET_SIZE / 2) { /* two hex digits a byte must fit in PacketSize */
		reply_errno(s, EINVAL, "m of %" PRIu64 " bytes exceeds what a reply packet can carry", len);
		return;
	}
	struct op *op = op_new(s);
	op->addr = p[0].u;
	op->len = len;
	op->buf = g_byte_array_sized_new((guint)len);
	/* pipelined: every chunk request goes out at once */
	for (uint64_t off = 0; off < len; off += MEM_CHUNK) {
		struct mem_piece *pc = g_new0(struct mem_piece, 1);
		pc->whole = op;
		pc->offset = off;
		g_autoptr(GByteArray) f = g_byte_array_new();
		uint32_t seq = vmlink_next_seq(s->d->vm);
		vmdbg_enc_read_mem(f, seq, s->g_vcpu, op->addr + off,
				   (uint32_t)MIN((uint64_t)MEM_CHUNK, len - off));
		if (!vmlink_send(s->d->vm, f, seq, mem_read_piece, pc)) {
			g_free(pc);
			op->failed = true;
			break;
		}
		op->outstanding++;
	}
	if (op->outstanding == 0) {
		mem_read_all_done(s, op);
		op_free(op);
		return;
	}
	s->busy = true;
}

static void mem_write_piece(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct op *op = ctx;
	if (!m && !op->err)
		op->err = g_error_copy(err);
	if (--op->outstanding == 0) {
		struct session *s = op_session(op);
		if (s) {
			if (op->err)
				reply_error(s, "cannot write guest memory at 0x%" PRIx64 ": %s", op->addr,
					    op->err->message);
			else
				reply(s, "OK");
			finish(s);
		}
		op_free(op);
	}
}

static void write_mem(struct session *s, uint64_t addr, const char *data, size_t len)
{
	if (len == 0) {
		reply(s, "OK"); /* gdb probes X support with an empty write */
		return;
	}
	struct op *op = op_new(s);
	op->addr = addr;
	for (size_t off = 0; off < len; off += MEM_CHUNK) {
		g_autoptr(GByteArray) f = g_byte_array_new();
		uint32_t seq = vmlink_next_seq(s->d->vm);
		uint32_t n = (uint32_t)MIN((size_t)MEM_CHUNK, len - off);
		vmdbg_enc_write_mem(f, seq, s->g_vcpu, addr + off, (const uint8_t *)data + off, n);
		if (!vmlink_send(s->d->vm, f, seq, mem_write_piece, op))
			break;
		op->outstanding++;
	}
	if (op->outstanding == 0) {
		op_free(op);
		reply_error(s, "dbgproxyd is not connected to the VM");
		return;
	}
	s->busy = true;
}

void h_write_mem_hex(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (p[1].u != p[2].len) {
		reply_error(s, "M length %" PRIu64 " but %zu bytes of data", p[1].u, p[2].len);
		return;
	}
	write_mem(s, p[0].u, p[2].s, p[2].len);
}

void h_write_mem_bin(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (p[1].u != p[2].len) {
		reply_error(s, "X length %" PRIu64 " but %zu bytes of data", p[1].u, p[2].len);
		return;
	}
	write_mem(s, p[0].u, p[2].s, p[2].len);
}
