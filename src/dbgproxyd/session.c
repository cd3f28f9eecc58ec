/*
 * session.c - one gdb connection: RSP framing and acks, the packet table
 * and its admission rule, attaching to the VM and closing (see session.h).
 */
#include "session.h"

static void process_incoming(struct session *s);

struct session *op_session(const struct op *op)
{
	struct session *s = op->d->session;
	return s && s->id == op->session_id ? s : NULL;
}

struct op *op_new(struct session *s)
{
	struct op *op = g_new0(struct op, 1);
	op->d = s->d;
	op->session_id = s->id;
	return op;
}

void op_free(struct op *op)
{
	if (op->err)
		g_error_free(op->err);
	if (op->buf)
		g_byte_array_unref(op->buf);
	if (op->data)
		g_bytes_unref(op->data);
	g_free(op);
}

/* ---- output ----------------------------------------------------------------- */

static void send_packet(struct session *s, const void *payload, size_t len)
{
	g_byte_array_set_size(s->last, 0);
	rsp_encode_packet(s->last, payload, len);
	g_byte_array_append(s->out, s->last->data, s->last->len);
}

void reply(struct session *s, const char *payload)
{
	send_packet(s, payload, strlen(payload));
}

/* "E.text": gdb shows the text to the user (gdb manual, "Standard Replies"). */
void reply_error(struct session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_autofree char *payload = g_strconcat("E.", msg, NULL);
	g_debug("gdb <- %s", payload);
	reply(s, payload);
}

/* "ENN" for the packets whose replies gdb parses without "E.text" (gdb
 * reads an 'm' reply as hex unless it is exactly E and two hex digits):
 * gdb says "Cannot access memory"; the text goes to the log. */
void reply_errno(struct session *s, unsigned code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_message("gdb <- E%02x: %s", code & 0xff, msg);
	char payload[4];
	g_snprintf(payload, sizeof(payload), "E%02x", code & 0xff);
	reply(s, payload);
}

void flush(struct session *s)
{
	if (s->closed)
		return;
	if (sock_flush(s->fd, s->out) == SOCK_FLUSH_ERROR) {
		session_close(s, g_strerror(errno));
		return;
	}
	if (s->out->len > MAX_BACKLOG) {
		session_close(s, "gdb does not read its replies");
		return;
	}
	if (s->out->len)
		ev_io_start(s->d->loop, &s->write_w);
	else
		ev_io_stop(s->d->loop, &s->write_w);
}

/* A handler that went to the VM is done: reply and take the next packet. */
void finish(struct session *s)
{
	s->busy = false;
	process_incoming(s);
	if (s->d->session == s)
		flush(s);
}

bool vm_ready(struct session *s)
{
	if (s->d->tdesc_error) {
		reply_error(s, "%s", s->d->tdesc_error);
		return false;
	}
	if (vmlink_is_ready(s->d->vm))
		return true;
	reply_error(s, "dbgproxyd is not connected to the VM at %s", vmlink_path(s->d->vm));
	return false;
}

bool send_vm(struct session *s, const GByteArray *f, uint32_t seq, vmlink_reply_fn fn,
		    struct op *op)
{
	if (vmlink_send(s->d->vm, f, seq, fn, op)) {
		s->busy = true;
		return true;
	}
	op_free(op);
	reply_error(s, "dbgproxyd is not connected to the VM at %s", vmlink_path(s->d->vm));
	return false;
}

/* ---- threads and registers --------------------------------------------------- */

uint64_t tid_of(uint32_t vcpu)
{
	return (uint64_t)vcpu + 1;
}

/* An x86 VM's description follows vCPU 0's mode as gdb attaches: i386 in
 * protected (or real) mode, x86-64 in long mode (arch_x86_for_mode). */
bool x86_auto(const struct session *s)
{
	const struct daemon *d = s->d;
	return d->arch && d->arch->vmdbg_arch == VMDBG_ARCH_X86_64 && !d->user_tdesc &&
	       !d->x86_arch;
}

const struct regset *regset_of(struct session *s, uint32_t vcpu)
{
	return g_ptr_array_index(s->d->vcpu_regset, vcpu);
}

static void regs_fetched(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct op *op = ctx;
	struct session *s = op_session(op);
	if (!s) {
		op_free(op);
		return;
	}
	if (!m) {
		op->failed = true;
		op->err = g_error_copy(err);
	} else {
		size_t off = 0;
		uint64_t id;
		const uint8_t *val;
		uint32_t size;
		while (vmdbg_regvals_next(&m->u.reg_vals, &off, &id, &val, &size))
			regcache_fill(s->caches[op->vcpu], id, val, size);
	}
	op->then(s, op);
	op_free(op);
}

/* Make sure the VM registers behind hs[0..n) (all if hs is NULL) of vcpu
 * are cached, then run then(s, op) with op->failed telling how it went. */
void with_regs(struct session *s, uint32_t vcpu, const struct reg_handle *const *hs,
		      unsigned n, struct op *op, void (*then)(struct session *, struct op *))
{
	op->vcpu = vcpu;
	op->then = then;
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	regcache_missing(s->caches[vcpu], hs, n, ids);
	if (ids->len == 0) {
		then(s, op);
		op_free(op);
		return;
	}
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(s->d->vm);
	vmdbg_enc_reg_ids(f, VMDBG_GET_REGS, seq, vcpu, (const uint64_t *)(void *)ids->data, ids->len);
	if (!vmlink_send(s->d->vm, f, seq, regs_fetched, op)) {
		op->failed = true;
		op->err = g_error_new(VMLINK_ERROR, VMLINK_E_LOST, "not connected to the VM");
		then(s, op);
		op_free(op);
		return;
	}
	s->busy = true;
}

/* ---- packet handlers ----------------------------------------------------------------- */

static void h_qsupported(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (p && p[0].s) {
		g_autofree char *feat = g_strndup(p[0].s, p[0].len);
		s->gdb_swbreak = strstr(feat, "swbreak+") != NULL;
		s->gdb_hwbreak = strstr(feat, "hwbreak+") != NULL;
	}
	g_autofree char *r = g_strdup_printf(
		"PacketSize=%x;qXfer:features:read+;qXfer:threads:read+;swbreak+;hwbreak+;"
		"vContSupported+;QStartNoAckMode+", PACKET_SIZE);
	reply(s, r);
}

static void h_no_ack(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	reply(s, "OK");
	s->no_ack = true; /* from the next packet on; this reply is still acked */
}

static void h_stop_reason(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	reply(s, s->stop_reply->str);
}

static void h_empty(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "");
}

static void h_ok(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "OK");
}

void xfer_reply(struct session *s, const char *data, size_t total, uint64_t off, uint64_t len)
{
	if (off > total) {
		reply_error(s, "offset 0x%" PRIx64 " beyond the end (%zu bytes)", off, total);
		return;
	}
	size_t n = MIN(len, (uint64_t)(total - off));
	n = MIN(n, (size_t)PACKET_SIZE - 1);
	GByteArray *r = g_byte_array_sized_new((guint)n + 1);
	g_byte_array_append(r, (const guint8 *)(off + n < total ? "m" : "l"), 1);
	g_byte_array_append(r, (const guint8 *)data + off, (guint)n);
	send_packet(s, r->data, r->len);
	g_byte_array_unref(r);
}

static void h_xfer_features(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	g_autofree char *annex = g_strndup(p[0].s, p[0].len);
	GBytes *b = g_hash_table_lookup(s->d->tdesc->annexes, annex);
	if (!b) {
		reply_error(s, "no target description annex '%s'", annex);
		return;
	}
	gsize size;
	const char *data = g_bytes_get_data(b, &size);
	xfer_reply(s, data, size, p[1].u, p[2].u);
}

/* ---- the table ------------------------------------------------------------------------------------ */

/* Rows flagged PKT_F_NEEDS_TARGET get "not connected to the VM" (or why
 * its registers cannot be served) instead of their handler. */
static bool admit(void *ctx, unsigned flags)
{
	return !(flags & PKT_F_NEEDS_TARGET) || vm_ready(ctx);
}

static const struct pkt_row packet_table[] = {
	{ "qSupported", PKT_EXACT, NULL, h_qsupported, 0 },
	{ "qSupported:", PKT_PREFIX, "s", h_qsupported, 0 },
	{ "QStartNoAckMode", PKT_EXACT, NULL, h_no_ack, 0 },
	{ "?", PKT_EXACT, NULL, h_stop_reason, PKT_F_NEEDS_TARGET },
	{ "g", PKT_EXACT, NULL, h_read_regs, PKT_F_NEEDS_TARGET },
	{ "G", PKT_PREFIX, "H", h_write_regs, PKT_F_NEEDS_TARGET },
	{ "p", PKT_PREFIX, "x", h_read_reg, PKT_F_NEEDS_TARGET },
	{ "P", PKT_PREFIX, "x=H", h_write_reg, PKT_F_NEEDS_TARGET },
	{ "m", PKT_PREFIX, "x,x", h_read_mem, PKT_F_NEEDS_TARGET },
	{ "M", PKT_PREFIX, "x,x:H", h_write_mem_hex, PKT_F_NEEDS_TARGET },
	{ "X", PKT_PREFIX, "x,x:b", h_write_mem_bin, PKT_F_NEEDS_TARGET },
	{ "c", PKT_EXACT, NULL, h_continue, 0 },
	{ "c", PKT_PREFIX, "x", h_continue, 0 },      /* resuming elsewhere: not for VMs */
	{ "C", PKT_PREFIX, "x", h_continue, 0 },      /* signals cannot be delivered to a VM */
	{ "C", PKT_PREFIX, "x;x", h_continue, 0 },
	{ "s", PKT_EXACT, NULL, h_step, 0 },
	{ "s", PKT_PREFIX, "x", h_step, 0 },
	{ "S", PKT_PREFIX, "x", h_step, 0 },
	{ "S", PKT_PREFIX, "x;x", h_step, 0 },
	{ "vCont?", PKT_EXACT, NULL, h_vcont_query, 0 },
	{ "vCont", PKT_PREFIX, "A", h_vcont, 0 },
	{ "Z", PKT_PREFIX, "x,x,x", h_insert_point, PKT_F_NEEDS_TARGET },
	{ "z", PKT_PREFIX, "x,x,x", h_remove_point, PKT_F_NEEDS_TARGET },
	{ "Hg", PKT_PREFIX, "t", h_set_thread_g, 0 },
	{ "Hc", PKT_PREFIX, "t", h_set_thread_c, 0 },
	{ "T", PKT_PREFIX, "t", h_thread_alive, 0 },
	{ "qfThreadInfo", PKT_EXACT, NULL, h_thread_info_first, PKT_F_NEEDS_TARGET },
	{ "qsThreadInfo", PKT_EXACT, NULL, h_thread_info_next, 0 },
	{ "qC", PKT_EXACT, NULL, h_current_thread, 0 },
	{ "qAttached", PKT_EXACT, NULL, h_attached, 0 },
	{ "qAttached:", PKT_PREFIX, "x", h_attached, 0 },
	{ "qThreadExtraInfo,", PKT_PREFIX, "t", h_thread_extra, 0 },
	{ "qXfer:features:read:", PKT_PREFIX, "s:x,x", h_xfer_features, PKT_F_NEEDS_TARGET },
	{ "qXfer:threads:read::", PKT_PREFIX, "x,x", h_xfer_threads, PKT_F_NEEDS_TARGET },
	{ "qRcmd,", PKT_PREFIX, "H", h_rcmd, 0 },
	{ "qSymbol::", PKT_EXACT, NULL, h_ok, 0 },
	{ "D", PKT_EXACT, NULL, h_detach, 0 },
	{ "D;", PKT_PREFIX, "x", h_detach, 0 },
	{ "k", PKT_EXACT, NULL, h_kill, 0 },
	{ "vKill;", PKT_PREFIX, "x", h_kill, 0 },
	{ "vMustReplyEmpty", PKT_EXACT, NULL, h_empty, 0 },
};

static void handle_packet(struct session *s, const char *pkt, size_t len)
{
	g_debug("gdb -> %.*s", (int)MIN(len, (size_t)200), pkt);
	switch (pkt_dispatch(packet_table, G_N_ELEMENTS(packet_table), pkt, len, admit, s)) {
	case PKT_HANDLED:
		break;
	case PKT_UNKNOWN:
		reply(s, ""); /* the protocol's "not supported" */
		break;
	case PKT_BAD_PARAMS:
		reply_error(s, "malformed '%.*s' packet", (int)MIN(len, (size_t)32), pkt);
		break;
	}
}

static void process_incoming(struct session *s)
{
	/* a handler that finishes at once must not recurse into the next
	 * packet: the loop below takes it (a pipelining client could
	 * otherwise nest thousands of frames deep) */
	if (s->processing)
		return;
	s->processing = true;
	struct daemon *d = s->d;
	while (d->session == s && !s->busy &&
	       (s->target == TGT_STOPPED || s->target == TGT_EXITED || !s->attached)) {
		if (!s->attached && s->caches)
			break; /* the attach PAUSE is still on its way */
		struct incoming *in = g_queue_pop_head(&s->incoming);
		if (!in)
			break;
		if (in->packet)
			s->incoming_bytes -= g_bytes_get_size(in->packet) + INCOMING_OVERHEAD;
		if (in->oversize) {
			reply_error(s, "packet longer than the PacketSize of %u bytes", PACKET_SIZE);
		} else {
			gsize len;
			const char *data = g_bytes_get_data(in->packet, &len);
			handle_packet(s, data, len - 1); /* the stored copy has its NUL */
			g_bytes_unref(in->packet);
		}
		g_free(in);
	}
	if (d->session == s)
		s->processing = false;
}

/* ---- input -------------------------------------------------------------------------------------- */

static void on_rsp_event(void *ctx, const struct rsp_event *ev)
{
	struct session *s = ctx;
	struct incoming *in;
	if (s->closed)
		return; /* the rest of a read that ended the session */
	switch (ev->type) {
	case RSP_EV_PACKET:
		if (s->incoming_bytes + ev->len + 1 + INCOMING_OVERHEAD > MAX_INCOMING) {
			/* bounded input: a client that floods is told and dropped */
			reply_error(s, "more than %u MiB of packets sent without waiting for the replies",
				    MAX_INCOMING >> 20);
			flush(s);
			session_close(s, "gdb floods the daemon with packets");
			break;
		}
		if (!s->no_ack)
			g_byte_array_append(s->out, (const guint8 *)"+", 1);
		in = g_new0(struct incoming, 1);
		in->packet = g_bytes_new(ev->data, ev->len + 1);
		s->incoming_bytes += ev->len + 1 + INCOMING_OVERHEAD;
		g_queue_push_tail(&s->incoming, in);
		break;
	case RSP_EV_OVERSIZE:
		if (!s->no_ack)
			g_byte_array_append(s->out, (const guint8 *)"+", 1);
		in = g_new0(struct incoming, 1);
		in->oversize = true;
		g_queue_push_tail(&s->incoming, in);
		g_warning("gdb sent a packet over %u bytes", PACKET_SIZE);
		break;
	case RSP_EV_BAD_CHECKSUM:
		g_debug("packet with a bad checksum%s", s->no_ack ? " (dropped)" : ": NAK");
		if (!s->no_ack)
			g_byte_array_append(s->out, (const guint8 *)"-", 1);
		break;
	case RSP_EV_NAK:
		if (s->last->len)
			g_byte_array_append(s->out, s->last->data, s->last->len);
		break;
	case RSP_EV_INTERRUPT:
		handle_interrupt(s);
		break;
	case RSP_EV_ACK:
	case RSP_EV_JUNK:
		break;
	}
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = w->data;
	uint8_t buf[READ_CHUNK];
	ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
	if (n == 0) {
		session_close(s, "gdb closed the connection");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			session_close(s, g_strerror(errno));
		return;
	}
	rsp_decoder_feed(s->dec, buf, (size_t)n, on_rsp_event, s);
	process_incoming(s);
	if (s->d->session == s)
		flush(s);
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	flush(w->data);
}

/* ---- lifecycle -------------------------------------------------------------------------------------- */

/* The VM is stopped for a new gdb: answer what it sent meanwhile. */
static void attach_finish(struct session *s)
{
	s->attached = true;
	s->target = TGT_STOPPED;
	struct vmdbg_stopped ev;
	/* a stop that happened before gdb came is what '?' reports */
	if (take_pending_stop(s, &ev)) {
		s->last_vcpu = s->g_vcpu = ev.vcpu;
		s->guest_dead = ev.reason == VMDBG_STOP_SHUTDOWN;
	}
	g_string_printf(s->stop_reply, "T%02xthread:%" PRIx64 ";",
			s->guest_dead ? SIGNAL_GUEST_DEAD : 5, tid_of(s->last_vcpu));
	process_incoming(s);
	if (s->d->session == s)
		flush(s);
}

static void new_caches(struct session *s)
{
	if (s->caches)
		for (uint32_t v = 0; v < s->nr_vcpus; v++)
			regcache_free(s->caches[v]);
	g_free(s->caches);
	s->caches = g_new0(struct regcache *, s->nr_vcpus);
	for (uint32_t v = 0; v < s->nr_vcpus; v++)
		s->caches[v] = regcache_new(regset_of(s, v));
}

static void mode_probed(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct op *op = ctx;
	struct session *s = op_session(op);
	if (!s) {
		op_free(op);
		return;
	}
	s->busy = false;
	uint64_t cr0 = 0, efer = 0;
	if (m) {
		size_t off = 0;
		uint64_t id;
		const uint8_t *val;
		uint32_t size;
		while (vmdbg_regvals_next(&m->u.reg_vals, &off, &id, &val, &size)) {
			uint64_t v = 0;
			memcpy(&v, val, MIN(size, sizeof(v)));
			v = GUINT64_FROM_LE(v);
			if (id == VMDBG_X86_CR(0))
				cr0 = v;
			else if (id == VMDBG_X86_EFER)
				efer = v;
		}
		const struct arch_ops *want = arch_x86_for_mode(cr0, efer);
		g_message("vCPU 0 is in %s (cr0 0x%" PRIx64 ", efer 0x%" PRIx64 "): serving the %s "
			  "description", want == &arch_i386 ? "32-bit protected or real mode" :
			  "64-bit long mode", cr0, efer, want->name);
		if (want != s->d->arch) {
			g_autoptr(GError) e = NULL;
			if (!daemon_use_arch(s->d, want, &e)) {
				g_warning("cannot serve the %s description: %s", want->name, e->message);
				session_close(s, "no target description for the vCPU's mode");
				op_free(op);
				return;
			}
			new_caches(s);
		}
	} else {
		g_warning("could not read vCPU 0's mode (%s): serving the %s description",
			  err->message, s->d->arch->name);
	}
	op_free(op);
	attach_finish(s);
}

static void attach_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct op *op = ctx;
	struct session *s = op_session(op);
	if (s) {
		s->busy = false;
		if (!m) {
			s->attached = true;
			g_warning("could not stop the VM for gdb: %s", err->message);
			session_close(s, "the VM could not be stopped");
		} else if (x86_auto(s)) {
			g_autoptr(GByteArray) f = g_byte_array_new();
			uint32_t seq = vmlink_next_seq(s->d->vm);
			unsigned n = 0;
			while (arch_x86_mode_ids[n])
				n++;
			vmdbg_enc_reg_ids(f, VMDBG_GET_REGS, seq, 0, arch_x86_mode_ids, n);
			s->busy = true;
			if (!vmlink_send(s->d->vm, f, seq, mode_probed, op_new(s))) {
				s->busy = false;
				attach_finish(s);
			}
		} else {
			attach_finish(s);
		}
	}
	op_free(op);
}

/* Stop the VM for a new gdb (it expects a stopped target). */
static void attach(struct session *s)
{
	struct daemon *d = s->d;
	g_message("attaching gdb to the VM: stopping every vCPU");
	const struct vmdbg_hello *hello = vmlink_hello(d->vm);
	s->nr_vcpus = hello->nr_vcpus;
	s->hw = hwslots_new(hello->arch, hello->hw_bps, hello->hw_wps,
			    hello->features & VMDBG_FEAT_HW_SLOTS_SHARED);
	s->hw_committed.arch = hello->arch;
	new_caches(s);
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(d->vm);
	vmdbg_enc_empty(f, VMDBG_PAUSE, seq);
	s->busy = true;
	if (!vmlink_send(d->vm, f, seq, attach_done, op_new(s)))
		s->busy = false;
}

void session_accept(struct daemon *d, int fd, const char *peer)
{
	struct session *s = g_new0(struct session, 1);
	s->d = d;
	s->id = ++d->next_session_id;
	s->fd = fd;
	s->peer = g_strdup(peer);
	s->dec = rsp_decoder_new(PACKET_SIZE);
	s->out = g_byte_array_new();
	s->last = g_byte_array_new();
	s->stop_reply = g_string_new("T05thread:1;");
	s->c_vcpu = -1;
	s->resume_entries = g_array_new(FALSE, FALSE, sizeof(struct vmdbg_resume_entry));
	s->sw_bps = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	g_queue_init(&s->incoming);
	g_queue_init(&s->pending_stops);
	ev_io_init(&s->read_w, read_cb, fd, EV_READ);
	ev_io_init(&s->write_w, write_cb, fd, EV_WRITE);
	s->read_w.data = s->write_w.data = s;
	d->session = s;
	ev_io_start(d->loop, &s->read_w);
	g_message("gdb connected from %s", peer);
	/* without the VM, packets that need it get an error until it comes */
	if (vmlink_is_ready(d->vm) && d->vcpu_regset)
		attach(s);
}

void session_vm_ready(struct session *s)
{
	if (!s->attached && !s->caches)
		attach(s);
}

/* Closing only marks the session and stops its watchers: callers up the
 * stack (a read callback, a VM reply) may still hold it.  The daemon frees
 * it from the loop (session_free), after the current callback returns. */
void session_close(struct session *s, const char *why)
{
	struct daemon *d = s->d;
	if (s->closed || d->session != s)
		return;
	g_message("gdb session from %s ended: %s", s->peer, why);
	s->closed = true;
	d->session = NULL;
	/* leave the guest as if no debugger had been there */
	if (!s->detached && vmlink_is_ready(d->vm)) {
		g_autoptr(GByteArray) f = g_byte_array_new();
		uint32_t seq = vmlink_next_seq(d->vm);
		vmdbg_enc_empty(f, VMDBG_DETACH, seq);
		struct op *op = g_new0(struct op, 1);
		op->d = d;
		op->session_id = s->id;
		if (!vmlink_send(d->vm, f, seq, detach_done, op))
			g_free(op);
	}
	ev_io_stop(d->loop, &s->read_w);
	ev_io_stop(d->loop, &s->write_w);
	daemon_free_later(d, s);
}

void session_free(struct session *s)
{
	close(s->fd);
	rsp_decoder_free(s->dec);
	g_byte_array_unref(s->out);
	g_byte_array_unref(s->last);
	g_string_free(s->stop_reply, TRUE);
	g_array_unref(s->resume_entries);
	g_hash_table_unref(s->sw_bps);
	hwslots_free(s->hw);
	struct incoming *in;
	while ((in = g_queue_pop_head(&s->incoming))) {
		if (in->packet)
			g_bytes_unref(in->packet);
		g_free(in);
	}
	g_queue_clear_full(&s->pending_stops, g_free);
	if (s->caches)
		for (uint32_t v = 0; v < s->nr_vcpus; v++)
			regcache_free(s->caches[v]);
	g_free(s->caches);
	g_free(s->peer);
	g_free(s);
}

void session_vm_lost(struct session *s, const char *why)
{
	/* gdb hears that its target is gone, then the connection ends; the
	 * daemon reconnects to the VM and takes the next gdb */
	if (s->target == TGT_RUNNING || s->target == TGT_STOPPING || s->busy) {
		g_autofree char *msg = g_strdup_printf("dbgproxyd: lost the VM: %s\n", why);
		GString *o = g_string_new("O");
		rsp_put_hex(o, msg, strlen(msg));
		reply(s, o->str);
		g_string_free(o, TRUE);
		reply(s, "X09");
	}
	flush(s);
	session_close(s, "lost the VM");
}
