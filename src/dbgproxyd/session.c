/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * session.c - one gdb connection: RSP framing and acks, the packet table
 * and its admission rule, attaching to the VM and closing (see session.h).
 */
#include "session.h"

static void process_incoming(struct session *s);

void sref_init(struct sref *r, struct session *s)
{
	r->d = s->d;
	r->id = s->id;
}

struct session *sref_session(const struct sref *r)
{
	struct session *s = r->d->session;
	return s && s->id == r->id ? s : NULL;
}

/* ---- output ----------------------------------------------------------------- */

static void send_packet(struct session *s, const void *payload, size_t len)
{
	g_byte_array_set_size(s->last, 0);
	rsp_encode_packet(s->last, payload, len);
	g_byte_array_append(s->out, s->last->data, s->last->len);
}

void reply_bytes(struct session *s, const void *payload, size_t len)
{
	send_packet(s, payload, len);
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

void console_out(struct session *s, const char *text)
{
	GString *o = g_string_new("O");
	rsp_put_hex(o, text, strlen(text));
	reply(s, o->str);
	g_string_free(o, TRUE);
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

/* ---- threads and registers --------------------------------------------------- */

uint64_t tid_of(uint32_t vcpu)
{
	return (uint64_t)vcpu + 1;
}

/* An x86 VM's description follows vCPU 0's mode as gdb attaches: i386 in
 * protected (or real) mode, x86-64 in long mode (arch_x86_for_mode). */
bool x86_auto(const struct session *s)
{
	return target_x86_auto(s->t);
}

const struct regset *regset_of(struct session *s, uint32_t vcpu)
{
	return target_regset(s->t, vcpu);
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
	/* conditions are evaluated where the breakpoint hits: in the VM, or in
	 * the daemon for a VM without vmdbg CONDITIONS */
	g_autofree char *r = g_strdup_printf(
		"PacketSize=%x;qXfer:features:read+;qXfer:threads:read+;swbreak+;hwbreak+;"
		"vContSupported+;QStartNoAckMode+;binary-upload+;ConditionalBreakpoints+;"
		"BreakpointCommands+", PACKET_SIZE);
	reply(s, r);
}

static void h_no_ack(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	reply(s, "OK");
	s->no_ack = true; /* from the next packet on; this reply is still acked */
}

/* gdb takes any answer to '?' for a stop, an error too, and then waits for
 * a stop that never comes: with no target, say why and end the session. */
static void h_stop_reason(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	const char *why;
	if (!target_ready(s->t, &why)) {
		reply_error(s, "%s", why);
		flush(s);
		session_close(s, why);
		return;
	}
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
	GBytes *b = g_hash_table_lookup(target_tdesc(s->t)->annexes, annex);
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
 * its registers cannot be served) instead of their handler; PKT_F_ASYNC
 * rows make the session busy until their handler calls finish(). */
static bool admit(void *ctx, unsigned flags)
{
	struct session *s = ctx;
	const char *why;
	if ((flags & PKT_F_NEEDS_TARGET) && !target_ready(s->t, &why)) {
		reply_error(s, "%s", why);
		return false;
	}
	if (flags & PKT_F_ASYNC)
		s->busy = true;
	return true;
}

static const struct pkt_row packet_table[] = {
	{ "qSupported", PKT_EXACT, NULL, h_qsupported, 0 },
	{ "qSupported:", PKT_PREFIX, "s", h_qsupported, 0 },
	{ "QStartNoAckMode", PKT_EXACT, NULL, h_no_ack, 0 },
	{ "?", PKT_EXACT, NULL, h_stop_reason, 0 },
	{ "g", PKT_EXACT, NULL, h_read_regs, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "G", PKT_PREFIX, "H", h_write_regs, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "p", PKT_PREFIX, "x", h_read_reg, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "P", PKT_PREFIX, "x=H", h_write_reg, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "m", PKT_PREFIX, "x,x", h_read_mem, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "x", PKT_PREFIX, "x,x", h_read_mem_bin, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "qCRC:", PKT_PREFIX, "x,x", h_qcrc, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "qSearch:memory:", PKT_PREFIX, "x;x;b", h_qsearch_memory, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "M", PKT_PREFIX, "x,x:H", h_write_mem_hex, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "X", PKT_PREFIX, "x,x:b", h_write_mem_bin, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "c", PKT_EXACT, NULL, h_continue, PKT_F_ASYNC },
	{ "c", PKT_PREFIX, "x", h_continue, PKT_F_ASYNC },      /* resuming elsewhere: not for VMs */
	{ "C", PKT_PREFIX, "x", h_continue, PKT_F_ASYNC },      /* signals cannot be delivered to a VM */
	{ "C", PKT_PREFIX, "x;x", h_continue, PKT_F_ASYNC },
	{ "s", PKT_EXACT, NULL, h_step, PKT_F_ASYNC },
	{ "s", PKT_PREFIX, "x", h_step, PKT_F_ASYNC },
	{ "S", PKT_PREFIX, "x", h_step, PKT_F_ASYNC },
	{ "S", PKT_PREFIX, "x;x", h_step, PKT_F_ASYNC },
	{ "vCont?", PKT_EXACT, NULL, h_vcont_query, 0 },
	{ "vCont", PKT_PREFIX, "A", h_vcont, PKT_F_ASYNC },
	{ "Z", PKT_PREFIX, "x,x,x", h_insert_point, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "z", PKT_PREFIX, "x,x,x", h_remove_point, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	/* with a condition list (ConditionalBreakpoints) */
	{ "Z", PKT_PREFIX, "x,x,x;b", h_insert_point, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "Hg", PKT_PREFIX, "t", h_set_thread_g, 0 },
	{ "Hc", PKT_PREFIX, "t", h_set_thread_c, 0 },
	{ "T", PKT_PREFIX, "t", h_thread_alive, 0 },
	{ "qfThreadInfo", PKT_EXACT, NULL, h_thread_info_first, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "qsThreadInfo", PKT_EXACT, NULL, h_thread_info_next, 0 },
	{ "qC", PKT_EXACT, NULL, h_current_thread, 0 },
	{ "qAttached", PKT_EXACT, NULL, h_attached, 0 },
	{ "qAttached:", PKT_PREFIX, "x", h_attached, 0 },
	{ "qThreadExtraInfo,", PKT_PREFIX, "t", h_thread_extra, 0 },
	{ "qXfer:features:read:", PKT_PREFIX, "s:x,x", h_xfer_features, PKT_F_NEEDS_TARGET },
	{ "qXfer:threads:read::", PKT_PREFIX, "x,x", h_xfer_threads, PKT_F_NEEDS_TARGET | PKT_F_ASYNC },
	{ "qRcmd,", PKT_PREFIX, "H", h_rcmd, PKT_F_ASYNC },
	{ "qSymbol::", PKT_EXACT, NULL, h_ok, 0 },
	{ "D", PKT_EXACT, NULL, h_detach, PKT_F_ASYNC },
	{ "D;", PKT_PREFIX, "x", h_detach, PKT_F_ASYNC },
	{ "k", PKT_EXACT, NULL, h_kill, PKT_F_ASYNC },
	{ "vKill;", PKT_PREFIX, "x", h_kill, PKT_F_ASYNC },
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

/* A queue entry for a packet: a spare one when there is one (no
 * allocation per packet once a session has warmed up). */
#define MAX_SPARE 8

static struct incoming *incoming_new(struct session *s)
{
	struct incoming *in = g_queue_pop_head(&s->spare);
	if (!in) {
		in = g_new0(struct incoming, 1);
		in->packet = g_byte_array_new();
	}
	in->oversize = false;
	g_byte_array_set_size(in->packet, 0);
	return in;
}

static void incoming_free(struct incoming *in)
{
	g_byte_array_unref(in->packet);
	g_free(in);
}

static void incoming_done(struct session *s, struct incoming *in)
{
	/* a spare keeps its buffer, unless a huge packet made it huge */
	if (s->spare.length < MAX_SPARE && in->packet->len <= 4096)
		g_queue_push_head(&s->spare, in);
	else
		incoming_free(in);
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
	while (d->session == s && !s->busy && !s->attaching) {
		struct incoming *in = g_queue_pop_head(&s->incoming);
		if (!in)
			break;
		if (in->oversize) {
			reply_error(s, "packet longer than the PacketSize of %u bytes", PACKET_SIZE);
		} else {
			s->incoming_bytes -= in->packet->len + INCOMING_OVERHEAD;
			/* the stored copy has its NUL */
			handle_packet(s, (const char *)in->packet->data, in->packet->len - 1);
		}
		incoming_done(s, in);
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
		in = incoming_new(s);
		g_byte_array_append(in->packet, (const guint8 *)ev->data, (guint)ev->len + 1);
		s->incoming_bytes += ev->len + 1 + INCOMING_OVERHEAD;
		g_queue_push_tail(&s->incoming, in);
		break;
	case RSP_EV_OVERSIZE:
		if (!s->no_ack)
			g_byte_array_append(s->out, (const guint8 *)"+", 1);
		in = incoming_new(s);
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
	s->attaching = false;
	s->attached = true;
	struct vmdbg_stopped ev;
	/* a stop that happened before gdb came is what '?' reports */
	if (target_take_stop(s->t, &ev))
		s->last_vcpu = s->g_vcpu = ev.vcpu;
	s->g_thread = 0;
	g_string_printf(s->stop_reply, "T%02xthread:%" PRIx64 ";",
			target_guest_dead(s->t) ? SIGNAL_GUEST_DEAD : 5, tid_of(s->last_vcpu));
	process_incoming(s);
	if (s->d->session == s)
		flush(s);
}

struct attach_req {
	struct sref ref;
};

static void mode_probed(void *ctx, const struct vmdbg_reg_vals *vals, const GError *err)
{
	struct attach_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	g_free(r);
	if (!s)
		return;
	if (!vals) {
		g_warning("could not read vCPU 0's mode (%s): serving the %s description",
			  err->message, target_arch(s->t)->name);
		attach_finish(s);
		return;
	}
	uint64_t cr0 = 0, efer = 0;
	size_t off = 0;
	uint64_t id;
	const uint8_t *val;
	uint32_t size;
	while (vmdbg_regvals_next(vals, &off, &id, &val, &size)) {
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
	if (want != target_arch(s->t)) {
		g_autoptr(GError) e = NULL;
		if (!target_use_arch(s->t, want, &e)) {
			g_warning("cannot serve the %s description: %s", want->name, e->message);
			s->attaching = false;
			s->attached = true;
			session_close(s, "no target description for the vCPU's mode");
			return;
		}
	}
	attach_finish(s);
}

static void attach_stopped(void *ctx, const GError *err)
{
	struct attach_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (!s) {
		g_free(r);
		return;
	}
	if (err) {
		g_free(r);
		s->attaching = false;
		s->attached = true;
		g_warning("could not stop the VM for gdb: %s", err->message);
		session_close(s, "the VM could not be stopped");
		return;
	}
	if (x86_auto(s)) {
		unsigned n = 0;
		while (arch_x86_mode_ids[n])
			n++;
		if (target_get_vm_regs(s->t, 0, arch_x86_mode_ids, n, mode_probed, r, NULL) ==
		    TARGET_PENDING)
			return;
	}
	g_free(r);
	attach_finish(s);
}

/* Stop the VM for a new gdb (it expects a stopped target). */
static void attach(struct session *s)
{
	g_info("attaching gdb to the VM: stopping every vCPU");
	s->nr_vcpus = target_nr_vcpus(s->t);
	struct attach_req *r = g_new0(struct attach_req, 1);
	sref_init(&r->ref, s);
	g_autoptr(GError) err = NULL;
	if (target_stop(s->t, attach_stopped, r, &err) != TARGET_PENDING) {
		g_free(r);
		g_warning("cannot stop the VM for gdb: %s", err->message);
		return;
	}
	s->attaching = true;
}

static void client_ready(void *ctx)
{
	struct session *s = ctx;
	if (!s->attached && !s->attaching)
		attach(s);
}

static void client_lost(void *ctx, const char *why)
{
	struct session *s = ctx;
	/* gdb hears that its target is gone, then the connection ends; the
	 * daemon reconnects to the VM and takes the next gdb */
	if (s->busy || s->attaching) {  /* a resume is busy until its stop */
		g_autofree char *msg = g_strdup_printf("dbgproxyd: lost the VM: %s\n", why);
		console_out(s, msg);
		reply(s, "X09");
	}
	flush(s);
	session_close(s, "lost the VM");
}

/* Agent printf (dprintf-style agent) output: to gdb's console while it
 * waits for the guest (an O packet is only allowed then), else the log. */
static void client_output(void *ctx, uint32_t vcpu, const char *text)
{
	struct session *s = ctx;
	enum target_state st = target_state(s->t);
	if (s->attached && s->busy && !s->exited && (st == TGT_RUNNING || st == TGT_STOPPING)) {
		console_out(s, text);
		flush(s);
	} else {
		g_info("vCPU %u printed (gdb is not waiting): %s", vcpu, text);
	}
}

static const struct target_client_ops client_ops = {
	.ready = client_ready,
	.lost = client_lost,
	.stopped = session_all_stopped,
	.output = client_output,
};

void session_accept(struct daemon *d, int fd, const char *peer)
{
	struct session *s = g_new0(struct session, 1);
	s->d = d;
	s->t = d->target;
	s->id = ++d->next_session_id;
	s->fd = fd;
	s->peer = g_strdup(peer);
	s->dec = rsp_decoder_new(PACKET_SIZE);
	s->out = g_byte_array_new();
	s->last = g_byte_array_new();
	s->stop_reply = g_string_new("T05thread:1;");
	s->scratch = g_string_sized_new(PACKET_SIZE + 1);
	s->membuf = g_malloc(PACKET_SIZE);
	s->c_vcpu = -1;
	s->resume_entries = g_array_new(FALSE, FALSE, sizeof(struct vmdbg_resume_entry));
	s->cond_addrs = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	g_queue_init(&s->incoming);
	g_queue_init(&s->spare);
	ev_io_init(&s->read_w, read_cb, fd, EV_READ);
	ev_io_init(&s->write_w, write_cb, fd, EV_WRITE);
	s->read_w.data = s->write_w.data = s;
	d->session = s;
	g_autofree char *name = g_strdup_printf("gdb %s", peer);
	s->client = target_client_add(s->t, name, &client_ops, s);
	ev_io_start(d->loop, &s->read_w);
	log_event(LOG_GDB_ATTACHED, G_LOG_LEVEL_MESSAGE, &(struct log_fields){ .peer = peer },
		  "gdb connected from %s", peer);
	/* without the VM, packets that need it get an error until it comes */
	const char *why;
	if (target_ready(s->t, &why))
		attach(s);
}

/* Closing only marks the session and stops its watchers: callers up the
 * stack (a read callback, a target callback) may still hold it.  The
 * daemon frees it from the loop (session_free), after the current
 * callback returns. */
void session_close(struct session *s, const char *why)
{
	struct daemon *d = s->d;
	if (s->closed || d->session != s)
		return;
	log_event(LOG_GDB_DETACHED, G_LOG_LEVEL_MESSAGE,
		  &(struct log_fields){ .peer = s->peer, .reason = why },
		  "gdb session from %s ended: %s", s->peer, why);
	s->closed = true;
	d->session = NULL;
	/* leave the guest as if no debugger had been there (the last client's
	 * leaving detaches the VM) */
	if (!s->detached) {
		s->detached = true;
		g_autoptr(GError) err = NULL;
		if (target_client_remove(s->t, s->client, NULL, NULL, &err) == TARGET_FAILED)
			g_debug("leaving the target: %s", err->message);
		s->client = NULL;
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
	g_string_free(s->scratch, TRUE);
	g_free(s->membuf);
	g_array_unref(s->resume_entries);
	g_hash_table_unref(s->cond_addrs);
	g_queue_clear_full(&s->incoming, (GDestroyNotify)incoming_free);
	g_queue_clear_full(&s->spare, (GDestroyNotify)incoming_free);
	g_free(s->peer);
	g_free(s);
}
