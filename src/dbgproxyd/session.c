/*
 * session.c - one gdb connection: RSP framing and acks, the packet table,
 * and all-stop run control of the VM behind it.
 *
 * Packets are handled one at a time, in order.  A handler that needs the
 * VM marks the session busy and finishes from the VM's reply callback;
 * packets that arrive meanwhile wait (gdb sends one at a time anyway, but
 * a pipelining client must not break us).  Every reply goes out in one
 * write together with any pending ack.
 *
 * Target states: STOPPED (gdb talks to us), RUNNING (vCPUs run; only
 * Ctrl-C is expected), STOPPING (a vCPU stopped or Ctrl-C came: PAUSE is
 * on its way so that all vCPUs are stopped before gdb hears of it),
 * EXITED (the guest shut down).  Stops that arrive together are queued
 * and reported one per resume, the way gdbserver does.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "sockio.h"
#include "hwdebug.h"
#include "packets.h"
#include "rsp-codec.h"

#define PACKET_SIZE    0x20000          /* advertised PacketSize (payload bytes) */
#define MEM_CHUNK      VMDBG_MAX_MEM_XFER
#define MAX_BACKLOG    (8u << 20)
#define READ_CHUNK     65536

enum target_state { TGT_STOPPED, TGT_RUNNING, TGT_STOPPING, TGT_EXITED };

struct incoming {
	bool oversize;
	GBytes *packet;
};

struct session {
	struct daemon *d;
	uint64_t id;
	int fd;
	char *peer;
	ev_io read_w, write_w;
	struct rsp_decoder *dec;
	GByteArray *out;
	GByteArray *last;             /* last framed packet, for '-' */
	bool no_ack;
	bool gdb_swbreak, gdb_hwbreak;
	GQueue incoming;              /* struct incoming * */
	bool busy;
	bool processing;              /* process_incoming() is on the stack */
	bool attached;                /* the initial PAUSE is done */
	bool detached;                /* D done: the VM already let go */
	enum target_state target;
	uint32_t nr_vcpus;
	uint32_t g_vcpu;              /* Hg */
	int64_t c_vcpu;               /* Hc: -1 = all */
	uint32_t last_vcpu;           /* thread of the last reported stop */
	GString *stop_reply;          /* the last stop reply, for '?' */
	GQueue pending_stops;         /* struct vmdbg_stopped *, not yet reported */
	bool interrupted;             /* Ctrl-C waiting for its stop */
	bool interrupt_queued;        /* Ctrl-C came behind a resume not yet handled */
	bool guest_dead;              /* the guest shut down: inspect only */
	bool closed;                  /* session_close() ran: freed by the loop later */
	bool mode_told;               /* gdb was told its description no longer fits */
	uint32_t resume_default;      /* the last RESUME, to repeat after a stale stop */
	GArray *resume_entries;       /* struct vmdbg_resume_entry */
	struct regcache **caches;     /* per vCPU */
	GHashTable *sw_bps;           /* gva (uint64_t*) -> kind */
	struct hwslots *hw;           /* hardware breakpoints and watchpoints */
	struct vmdbg_guest_debug hw_committed; /* what the VM has now */
};

/* A VM request's callback context: the session may be gone by the reply. */
struct op {
	struct daemon *d;
	uint64_t session_id;
	uint32_t vcpu;
	uint64_t addr;
	uint64_t len;
	unsigned outstanding;
	bool failed;
	GError *err;
	GByteArray *buf;
	GBytes *data;
	int signal;
	struct vmdbg_stopped ev;
	void (*then)(struct session *s, struct op *op);
};

static void process_incoming(struct session *s);
static void flush(struct session *s);
static void reply(struct session *s, const char *payload);
static void do_resume(struct session *s);

static struct session *op_session(const struct op *op)
{
	struct session *s = op->d->session;
	return s && s->id == op->session_id ? s : NULL;
}

static struct op *op_new(struct session *s)
{
	struct op *op = g_new0(struct op, 1);
	op->d = s->d;
	op->session_id = s->id;
	return op;
}

static void op_free(struct op *op)
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

static void reply(struct session *s, const char *payload)
{
	send_packet(s, payload, strlen(payload));
}

static void reply_error(struct session *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* "E.text": gdb shows the text to the user (gdb manual, "Standard Replies"). */
static void reply_error(struct session *s, const char *fmt, ...)
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
static void reply_errno(struct session *s, unsigned code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void reply_errno(struct session *s, unsigned code, const char *fmt, ...)
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

static void flush(struct session *s)
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
static void finish(struct session *s)
{
	s->busy = false;
	process_incoming(s);
	if (s->d->session == s)
		flush(s);
}

static bool vm_ready(struct session *s)
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

static bool send_vm(struct session *s, const GByteArray *f, uint32_t seq, vmlink_reply_fn fn,
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

static uint64_t tid_of(uint32_t vcpu)
{
	return (uint64_t)vcpu + 1;
}

static bool vcpu_of(struct session *s, int64_t tid, uint32_t *vcpu)
{
	if (tid < 1 || (uint64_t)tid > s->nr_vcpus)
		return false;
	*vcpu = (uint32_t)(tid - 1);
	return true;
}

/* An x86 VM's description follows vCPU 0's mode as gdb attaches: i386 in
 * protected (or real) mode, x86-64 in long mode (arch_x86_for_mode). */
static bool x86_auto(const struct session *s)
{
	const struct daemon *d = s->d;
	return d->arch && d->arch->vmdbg_arch == VMDBG_ARCH_X86_64 && !d->user_tdesc &&
	       !d->x86_arch;
}

static const struct regset *regset_of(struct session *s, uint32_t vcpu)
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
static void with_regs(struct session *s, uint32_t vcpu, const struct reg_handle *const *hs,
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

/* ---- stop replies -------------------------------------------------------------- */

static bool sw_bp_inserted(struct session *s, uint64_t addr)
{
	return g_hash_table_contains(s->sw_bps, &addr);
}

/* Is a queued stop still worth reporting?  A software breakpoint that gdb
 * has removed since is not (gdbserver discards those too), ... */
static bool stop_still_valid(struct session *s, const struct vmdbg_stopped *ev)
{
	if (ev->reason == VMDBG_STOP_DEBUG && s->hw) {
		/* nor is a hardware breakpoint or watchpoint hit whose slot gdb
		 * has freed since: nothing to tell gdb it hit */
		struct hw_hit hit;
		hwslots_decode(s->hw, ev, &hit);
		return hit.type != HW_HIT_NONE;
	}
	return ev->reason != VMDBG_STOP_SW_BP || sw_bp_inserted(s, ev->pc);
}

static bool take_pending_stop(struct session *s, struct vmdbg_stopped *out)
{
	struct vmdbg_stopped *ev;
	while ((ev = g_queue_pop_head(&s->pending_stops))) {
		bool valid = stop_still_valid(s, ev);
		*out = *ev;
		g_free(ev);
		if (valid)
			return true;
		g_debug("dropping a stale stop of vCPU %u at 0x%" PRIx64, out->vcpu, out->pc);
	}
	return false;
}

/* An 'O' packet: text gdb prints on its console while the target runs. */
static void console_out(struct session *s, const char *text)
{
	GString *o = g_string_new("O");
	rsp_put_hex(o, text, strlen(text));
	reply(s, o->str);
	g_string_free(o, TRUE);
}

#define SIGNAL_GUEST_DEAD 3   /* SIGQUIT, as QEMU's gdbstub reports a shutdown */

static const char *shutdown_cause(uint64_t cause)
{
	switch (cause) {
	case VMDBG_SHUTDOWN_RESET:
		return "asked for a reset";
	case VMDBG_SHUTDOWN_POWEROFF:
		return "powered off";
	default:
		return "shut down (triple fault)";
	}
}

/* Resuming a dead guest ends it for gdb: it cannot run again. */
static void end_dead_guest(struct session *s)
{
	console_out(s, "dbgproxyd: the guest is dead and cannot run again; restart the VM\n");
	s->target = TGT_EXITED;
	g_string_printf(s->stop_reply, "X%02x", SIGNAL_GUEST_DEAD);
	reply(s, s->stop_reply->str);
}

/* A guest that switched between 32-bit and 64-bit mode since gdb attached
 * no longer matches the description gdb has: say so, once per gdb. */
static void tell_mode_change(struct session *s, uint32_t vcpu)
{
	const struct regset *rs = regset_of(s, vcpu);
	const struct reg_handle *cr0 = regset_by_name(rs, "cr0"), *efer = regset_by_name(rs, "efer");
	if (s->mode_told || !x86_auto(s) || !cr0 || !efer ||
	    !regcache_valid(s->caches[vcpu], cr0) || !regcache_valid(s->caches[vcpu], efer))
		return;
	uint8_t b0[8] = { 0 }, b1[8] = { 0 };
	regcache_read(s->caches[vcpu], cr0, b0);
	regcache_read(s->caches[vcpu], efer, b1);
	uint64_t v0, v1;
	memcpy(&v0, b0, 8);
	memcpy(&v1, b1, 8);
	const struct arch_ops *now = arch_x86_for_mode(GUINT64_FROM_LE(v0), GUINT64_FROM_LE(v1));
	if (now == s->d->arch)
		return;
	g_autofree char *msg = g_strdup_printf(
		"dbgproxyd: vCPU %u is now in %s; this gdb has the %s description. Disconnect and "
		"connect again (target remote) to debug it as %s.\n", vcpu,
		now == &arch_x86_64 ? "64-bit long mode" : "32-bit mode", s->d->arch->name, now->name);
	console_out(s, msg);
	g_message("vCPU %u switched to %s mode; gdb was told to reconnect", vcpu, now->name);
	s->mode_told = true;
}

static void expedited_done(struct session *s, struct op *op)
{
	const struct regset *rs = regset_of(s, op->vcpu);
	if (!op->failed)
		tell_mode_change(s, op->vcpu);
	GString *r = g_string_new(NULL);
	if (op->ev.reason == VMDBG_STOP_SHUTDOWN) {
		/* the state an early-boot debugger needs most: keep it readable */
		g_autofree char *msg = g_strdup_printf(
			"dbgproxyd: the guest %s on vCPU %u at 0x%" PRIx64 "; its registers and "
			"memory can still be read, it cannot be resumed\n",
			shutdown_cause(op->ev.info[0]), op->vcpu, op->ev.pc);
		console_out(s, msg);
		s->guest_dead = true;
	}
	g_string_append_printf(r, "T%02xthread:%" PRIx64 ";", op->signal, tid_of(op->vcpu));
	if (op->ev.reason == VMDBG_STOP_SW_BP && s->gdb_swbreak)
		g_string_append(r, "swbreak:;");
	if (op->ev.reason == VMDBG_STOP_DEBUG && s->hw) {
		static const char *const watch_names[] = {
			[HW_WRITE] = "watch", [HW_READ] = "rwatch", [HW_ACCESS] = "awatch",
		};
		struct hw_hit hit;
		hwslots_decode(s->hw, &op->ev, &hit);
		if (hit.type == HW_HIT_BREAK && s->gdb_hwbreak)
			g_string_append(r, "hwbreak:;");
		else if (hit.type == HW_HIT_WATCH)
			g_string_append_printf(r, "%s:%" PRIx64 ";", watch_names[hit.kind], hit.addr);
	}
	if (!op->failed) {
		for (unsigned i = 0; s->d->arch->expedite[i]; i++) {
			const struct reg_handle *h = regset_by_name(rs, s->d->arch->expedite[i]);
			if (!h || !regcache_valid(s->caches[op->vcpu], h))
				continue;
			uint8_t buf[256];
			regcache_read(s->caches[op->vcpu], h, buf);
			g_string_append_printf(r, "%x:", reg_handle_regnum(h));
			rsp_put_hex(r, buf, reg_handle_bytes(h));
			g_string_append_c(r, ';');
		}
	}
	s->target = TGT_STOPPED;
	s->last_vcpu = op->vcpu;
	s->g_vcpu = op->vcpu;
	g_string_assign(s->stop_reply, r->str);
	g_message("vCPU %u stopped (reason %u, signal %d) at 0x%" PRIx64 "; told gdb %s", op->vcpu,
		  op->ev.reason, op->signal, op->ev.pc, r->str);
	reply(s, r->str);
	g_string_free(r, TRUE);
	finish(s);
}

static int signal_for(const struct vmdbg_stopped *ev)
{
	switch (ev->reason) {
	case VMDBG_STOP_INTERNAL:
		return 6;  /* SIGABRT: the host could not run the vCPU */
	case VMDBG_STOP_UNDEFINED:
		return 4;  /* SIGILL */
	case VMDBG_STOP_FAULT:
		return 11; /* SIGSEGV: the guest reached for memory that does not exist */
	case VMDBG_STOP_SHUTDOWN:
		return SIGNAL_GUEST_DEAD;
	default:
		return 5;  /* SIGTRAP */
	}
}

/* Tell gdb about a stop, with its expedited registers (one GET_REGS). */
static void report_stop(struct session *s, const struct vmdbg_stopped *ev, int signal)
{
	struct op *op = op_new(s);
	op->ev = *ev;
	op->signal = signal;
	const struct regset *rs = regset_of(s, ev->vcpu);
	const struct reg_handle *hs[6];
	unsigned n = 0;
	for (unsigned i = 0; s->d->arch->expedite[i]; i++) {
		const struct reg_handle *h = regset_by_name(rs, s->d->arch->expedite[i]);
		if (h)
			hs[n++] = h;
	}
	/* the mode, in the same request: has the guest left the description's? */
	const struct reg_handle *cr0, *efer;
	if (x86_auto(s) && (cr0 = regset_by_name(rs, "cr0")) && (efer = regset_by_name(rs, "efer"))) {
		hs[n++] = cr0;
		hs[n++] = efer;
	}
	s->busy = true;
	with_regs(s, ev->vcpu, hs, n, op, expedited_done);
}

/* The VM stopped everything (PAUSE replied): say why. */
static void all_stopped(struct session *s)
{
	struct vmdbg_stopped ev;
	bool had_interrupt = s->interrupted;
	s->interrupted = false;
	s->target = TGT_STOPPED;
	if (take_pending_stop(s, &ev)) {
		report_stop(s, &ev, signal_for(&ev));
	} else if (had_interrupt) {
		uint32_t v = s->c_vcpu >= 0 ? (uint32_t)s->c_vcpu : s->last_vcpu;
		struct vmdbg_stopped intr = { .vcpu = v };
		report_stop(s, &intr, 2); /* SIGINT */
	} else {
		/* only stale stops: nothing for gdb, run on as it asked */
		do_resume(s);
	}
}

static void pause_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct op *op = ctx;
	struct session *s = op_session(op);
	if (s && s->target == TGT_STOPPING) {
		if (!m) {
			g_warning("PAUSE failed: %s", err->message);
			s->target = TGT_STOPPED;
			s->interrupted = false;
			reply_error(s, "could not stop the VM: %s", err->message);
			finish(s);
		} else {
			all_stopped(s);
			flush(s);
		}
	}
	op_free(op);
}

static void request_pause(struct session *s)
{
	s->target = TGT_STOPPING;
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(s->d->vm);
	vmdbg_enc_empty(f, VMDBG_PAUSE, seq);
	if (!vmlink_send(s->d->vm, f, seq, pause_done, op_new(s)))
		g_warning("cannot pause: the VM link is down");
}

void session_vm_stopped(struct session *s, const struct vmdbg_stopped *ev)
{
	if (ev->vcpu >= s->nr_vcpus) {
		g_warning("stop event for vCPU %u, but the VM has %u", ev->vcpu, s->nr_vcpus);
		return;
	}
	g_queue_push_tail(&s->pending_stops, g_memdup2(ev, sizeof(*ev)));
	if (s->target == TGT_RUNNING)
		request_pause(s); /* all-stop: everyone stops before gdb is told */
}

/* Is a packet that resumes the guest waiting in the input queue? */
static bool resume_queued(const struct session *s)
{
	for (const GList *l = s->incoming.head; l; l = l->next) {
		const struct incoming *in = l->data;
		if (in->oversize)
			continue;
		const char *p = g_bytes_get_data(in->packet, NULL);
		if ((p[0] && strchr("cCsS", p[0])) || g_str_has_prefix(p, "vCont;"))
			return true;
	}
	return false;
}

static void handle_interrupt(struct session *s)
{
	if (s->target == TGT_RUNNING) {
		g_message("gdb interrupt: stopping the VM");
		s->interrupted = true;
		request_pause(s);
	} else if (s->target == TGT_STOPPING) {
		s->interrupted = true;
	} else if (s->target == TGT_STOPPED && resume_queued(s)) {
		/* the 0x03 came in the same read as the continue it interrupts:
		 * it applies once that continue has resumed the guest */
		s->interrupt_queued = true;
	}
}

/* ---- resuming -------------------------------------------------------------------- */

static void resume_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct op *op = ctx;
	struct session *s = op_session(op);
	if (s && !m && s->target == TGT_RUNNING) {
		s->target = TGT_STOPPED;
		if (err->domain == VMLINK_ERROR && err->code == VMDBG_E_STATE) {
			end_dead_guest(s);
		} else {
			reply_error(s, "could not resume the VM: %s", err->message);
		}
		finish(s);
	}
	op_free(op);
}

static void do_resume(struct session *s)
{
	for (uint32_t v = 0; v < s->nr_vcpus; v++)
		regcache_invalidate(s->caches[v]);
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(s->d->vm);
	vmdbg_enc_resume(f, seq, s->resume_default,
			 (const struct vmdbg_resume_entry *)(void *)s->resume_entries->data,
			 s->resume_entries->len);
	if (!vmlink_send(s->d->vm, f, seq, resume_done, op_new(s))) {
		reply_error(s, "dbgproxyd is not connected to the VM");
		return;
	}
	s->target = TGT_RUNNING;
	s->busy = true; /* the reply is the next stop */
	g_info("guest resumed by gdb");
}

/* Resume as gdb asked, unless a queued stop is due first. */
static void resume(struct session *s)
{
	bool interrupt = s->interrupt_queued; /* a stop answers it either way */
	s->interrupt_queued = false;
	if (s->target == TGT_EXITED) {
		reply(s, s->stop_reply->str);
		return;
	}
	if (s->guest_dead) {
		end_dead_guest(s);
		return;
	}
	if (!vm_ready(s))
		return;
	struct vmdbg_stopped ev;
	if (take_pending_stop(s, &ev)) {
		report_stop(s, &ev, signal_for(&ev));
		return;
	}
	do_resume(s);
	if (interrupt && s->target == TGT_RUNNING)
		handle_interrupt(s);
}

static void set_resume_all(struct session *s, uint32_t action)
{
	s->resume_default = action;
	g_array_set_size(s->resume_entries, 0);
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

static void h_attached(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "1"); /* attached to an existing VM: detaching leaves it running */
}

static void h_thread_info_first(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	GString *r = g_string_new("m");
	for (uint32_t v = 0; v < s->nr_vcpus; v++)
		g_string_append_printf(r, "%s%" PRIx64, v ? "," : "", tid_of(v));
	reply(s, r->str);
	g_string_free(r, TRUE);
}

static void h_thread_info_next(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "l");
}

static void h_current_thread(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	g_autofree char *r = g_strdup_printf("QC%" PRIx64, tid_of(s->last_vcpu));
	reply(s, r);
}

static void h_thread_alive(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	reply(s, vcpu_of(s, p[0].tid, &v) ? "OK" : "E01");
}

static void h_thread_extra(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	if (!vcpu_of(s, p[0].tid, &v)) {
		reply(s, "E01");
		return;
	}
	g_autofree char *text = g_strdup_printf("vCPU %u%s", v,
						s->guest_dead ? ", guest dead" : "");
	GString *r = g_string_new(NULL);
	rsp_put_hex(r, text, strlen(text));
	reply(s, r->str);
	g_string_free(r, TRUE);
}

static void h_set_thread_g(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	if (p[0].tid == 0 || p[0].tid == -1) {
		reply(s, "OK"); /* any thread: keep the current one */
		return;
	}
	if (!vcpu_of(s, p[0].tid, &v)) {
		reply(s, "E01");
		return;
	}
	s->g_vcpu = v;
	reply(s, "OK");
}

static void h_set_thread_c(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	if (p[0].tid == 0 || p[0].tid == -1) {
		s->c_vcpu = -1;
		reply(s, "OK");
		return;
	}
	if (!vcpu_of(s, p[0].tid, &v)) {
		reply(s, "E01");
		return;
	}
	s->c_vcpu = v;
	reply(s, "OK");
}

/* qXfer reads: "m" + chunk, or "l" + last chunk (gdb manual, "General Query Packets"). */
static void xfer_reply(struct session *s, const char *data, size_t total, uint64_t off, uint64_t len)
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

static void h_xfer_threads(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	GString *x = g_string_new("<?xml version=\"1.0\"?>\n<threads>\n");
	for (uint32_t v = 0; v < s->nr_vcpus; v++)
		g_string_append_printf(x, "  <thread id=\"%" PRIx64 "\" core=\"%u\" name=\"vCPU %u%s\"/>\n",
				       tid_of(v), v, v, s->guest_dead ? " (guest dead)" : "");
	g_string_append(x, "</threads>\n");
	xfer_reply(s, x->str, x->len, p[0].u, p[1].u);
	g_string_free(x, TRUE);
}

/* g: every register of the Hg vCPU in one GET_REGS at most. */
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

static void h_read_regs(void *ctx, const struct pkt_param *p)
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

static void h_read_reg(void *ctx, const struct pkt_param *p)
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

static void h_write_reg(void *ctx, const struct pkt_param *p)
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

static void h_write_regs(void *ctx, const struct pkt_param *p)
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

static void h_read_mem(void *ctx, const struct pkt_param *p)
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

static void h_write_mem_hex(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (p[1].u != p[2].len) {
		reply_error(s, "M length %" PRIu64 " but %zu bytes of data", p[1].u, p[2].len);
		return;
	}
	write_mem(s, p[0].u, p[2].s, p[2].len);
}

static void h_write_mem_bin(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (p[1].u != p[2].len) {
		reply_error(s, "X length %" PRIu64 " but %zu bytes of data", p[1].u, p[2].len);
		return;
	}
	write_mem(s, p[0].u, p[2].s, p[2].len);
}

/* ---- breakpoints -------------------------------------------------------------------------- */

static void sw_bp_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct op *op = ctx;
	struct session *s = op_session(op);
	if (s) {
		bool insert = op->signal;
		if (m) {
			if (insert)
				g_hash_table_insert(s->sw_bps, g_memdup2(&op->addr, 8), GUINT_TO_POINTER(1));
			else
				g_hash_table_remove(s->sw_bps, &op->addr);
			reply(s, "OK");
		} else if (err->domain == VMLINK_ERROR &&
			   err->code == (insert ? VMDBG_E_EXIST : VMDBG_E_NOENT)) {
			/* already as gdb wants it */
			reply(s, "OK");
		} else {
			reply_error(s, "%s breakpoint at 0x%" PRIx64 ": %s",
				    insert ? "cannot insert" : "cannot remove", op->addr, err->message);
		}
		finish(s);
	}
	op_free(op);
}

static void sw_bp(struct session *s, bool insert, const struct pkt_param *p)
{
	struct op *op = op_new(s);
	op->addr = p[1].u;
	op->signal = insert;
	struct vmdbg_sw_bp bp = { .vcpu = s->g_vcpu, .kind = (uint32_t)p[2].u, .addr = p[1].u };
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(s->d->vm);
	vmdbg_enc_sw_bp(f, insert ? VMDBG_SW_BP_INSERT : VMDBG_SW_BP_REMOVE, seq, &bp);
	send_vm(s, f, seq, sw_bp_done, op);
}

/* ---- hardware breakpoints and watchpoints --------------------------------------------- */

struct hw_op {
	struct op base;
	bool insert;
	enum hw_kind kind;
	struct vmdbg_guest_debug sent;
};

static void hw_commit_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct hw_op *hop = ctx;
	struct session *s = op_session(&hop->base);
	if (s) {
		if (m) {
			s->hw_committed = hop->sent;
			reply(s, "OK");
		} else {
			/* the VM did not take it: undo, so our table stays the VM's */
			if (hop->insert)
				hwslots_remove(s->hw, hop->kind, hop->base.addr, hop->base.len, NULL);
			else
				hwslots_insert(s->hw, hop->kind, hop->base.addr, hop->base.len, NULL);
			reply_error(s, "the VM refused the debug registers: %s", err->message);
		}
		finish(s);
	}
	g_free(hop);
}

/* Z1-Z4 / z1-z4: change the slot table, then commit the whole register set
 * to the VM in one SET_GUEST_DEBUG (none when nothing changed). */
static void hw_point(struct session *s, bool insert, const struct pkt_param *p)
{
	enum hw_kind kind = (enum hw_kind)p[0].u;
	g_autoptr(GError) err = NULL;
	bool done = insert ? hwslots_insert(s->hw, kind, p[1].u, p[2].u, &err)
			   : hwslots_remove(s->hw, kind, p[1].u, p[2].u, &err);
	if (!done) {
		g_message("%s hardware point refused: %s", insert ? "inserting" : "removing",
			  err->message);
		reply_error(s, "%s", err->message);
		return;
	}
	struct hw_op *hop = g_new0(struct hw_op, 1);
	hop->base.d = s->d;
	hop->base.session_id = s->id;
	hop->base.addr = p[1].u;
	hop->base.len = p[2].u;
	hop->insert = insert;
	hop->kind = kind;
	hwslots_guest_debug(s->hw, &hop->sent);
	if (memcmp(&hop->sent, &s->hw_committed, sizeof(hop->sent)) == 0) {
		g_free(hop);       /* shared slot: the VM already has this */
		reply(s, "OK");
		return;
	}
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(s->d->vm);
	vmdbg_enc_set_guest_debug(f, seq, &hop->sent);
	if (!vmlink_send(s->d->vm, f, seq, hw_commit_done, hop)) {
		g_free(hop);
		reply_error(s, "dbgproxyd is not connected to the VM");
		return;
	}
	s->busy = true;
}

/* Z/z type 0 is the VM's software breakpoints, 1-4 the debug registers;
 * other types are not supported (empty reply). */
static void point(struct session *s, bool insert, const struct pkt_param *p)
{
	if (p[0].u == 0)
		sw_bp(s, insert, p);
	else if (p[0].u <= HW_ACCESS)
		hw_point(s, insert, p);
	else
		reply(s, "");
}

static void h_insert_point(void *ctx, const struct pkt_param *p)
{
	point(ctx, true, p);
}

static void h_remove_point(void *ctx, const struct pkt_param *p)
{
	point(ctx, false, p);
}

/* ---- run control ----------------------------------------------------------------------------- */

static void h_continue(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	set_resume_all(s, VMDBG_ACT_CONTINUE);
	resume(s);
}

/* s: step the Hc thread (or the current one); the others stay stopped. */
static void h_step(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v = s->c_vcpu >= 0 ? (uint32_t)s->c_vcpu : s->last_vcpu;
	set_resume_all(s, VMDBG_ACT_STAY);
	struct vmdbg_resume_entry e = { v, VMDBG_ACT_STEP };
	g_array_append_val(s->resume_entries, e);
	resume(s);
}

static void h_vcont_query(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "vCont;c;C;s;S;t");
}

/* vCont;action[:tid]...: the first action that names a thread (or none)
 * decides for it (gdb manual, "Packets" > vCont). */
static void h_vcont(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	GArray *acts = p[0].actions;
	set_resume_all(s, VMDBG_ACT_STAY);
	for (uint32_t v = 0; v < s->nr_vcpus; v++) {
		uint32_t action = VMDBG_ACT_STAY;
		for (guint i = 0; i < acts->len; i++) {
			const struct vcont_action *a = &g_array_index(acts, struct vcont_action, i);
			if (a->tid != -1 && a->tid != 0 && (uint64_t)a->tid != tid_of(v))
				continue;
			switch (a->action) {
			case 'c': case 'C': action = VMDBG_ACT_CONTINUE; break;
			case 's': case 'S': action = VMDBG_ACT_STEP; break;
			case 'r':
				reply(s, "");  /* range stepping is not offered */
				return;
			default: action = VMDBG_ACT_STAY; break;
			}
			break;
		}
		struct vmdbg_resume_entry e = { v, action };
		g_array_append_val(s->resume_entries, e);
	}
	resume(s);
}

static void detach_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct op *op = ctx;
	struct session *s = op_session(op);
	if (s) {
		s->detached = true;
		if (op->signal) {          /* 'k': no reply, the connection ends */
			session_close(s, "gdb sent kill");
		} else {
			reply(s, m ? "OK" : "E.detaching: VM link lost");
			flush(s);
			session_close(s, "gdb detached");
		}
	}
	op_free(op);
}

static void detach(struct session *s, bool kill)
{
	g_hash_table_remove_all(s->sw_bps);
	if (s->hw)
		hwslots_clear(s->hw);
	memset(&s->hw_committed, 0, sizeof(s->hw_committed));
	g_queue_clear_full(&s->pending_stops, g_free);
	s->target = TGT_RUNNING; /* the VM resumes everything */
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(s->d->vm);
	vmdbg_enc_empty(f, VMDBG_DETACH, seq);
	struct op *op = op_new(s);
	op->signal = kill;
	if (!vmlink_send(s->d->vm, f, seq, detach_done, op)) {
		op_free(op);
		if (kill)
			session_close(s, "gdb sent kill");
		else
			reply(s, "OK");
		return;
	}
	s->busy = true;
	g_message("gdb %s: breakpoints removed, guest resumed", kill ? "killed the session" : "detached");
}

static void h_detach(void *ctx, const struct pkt_param *p)
{
	detach(ctx, false);
}

static void h_kill(void *ctx, const struct pkt_param *p)
{
	/* "kill" never destroys the VM: it detaches */
	detach(ctx, true);
}

/* ---- monitor ------------------------------------------------------------------------------------- */

/* ---- monitor commands (qRcmd): a table, `monitor help` is made from it ---- */

struct monitor_cmd {
	const char *name;
	const char *help;
	bool needs_vm;           /* refused (with the reason) while the VM is not there */
	void (*run)(struct session *s, GString *out);
};

static const struct monitor_cmd monitor_cmds[];
static const size_t n_monitor_cmds;

static void monitor_help(struct session *s, GString *out)
{
	g_string_append(out, "dbgproxyd monitor commands:\n");
	for (size_t i = 0; i < n_monitor_cmds; i++)
		g_string_append_printf(out, "  monitor %-10s %s\n", monitor_cmds[i].name,
				       monitor_cmds[i].help);
}

static void monitor_hw(struct session *s, GString *out)
{
	g_autofree char *t = hwslots_describe(s->hw);
	g_string_append(out, t);
}

static void monitor_info_vm(struct session *s, GString *out)
{
	const struct vmdbg_hello *h = vmlink_hello(s->d->vm);
	static const char *const states[] = { "stopped", "running", "stopping", "shut down" };
	g_string_append_printf(out, "VM socket:        %s\n", vmlink_path(s->d->vm));
	g_string_append_printf(out, "architecture:     %s\n", s->d->arch->name);
	g_string_append_printf(out, "vCPUs:            %u (gdb threads 1-%u)\n", h->nr_vcpus,
			       h->nr_vcpus);
	g_string_append_printf(out, "hw breakpoints:   %u slots\n", h->hw_bps);
	g_string_append_printf(out, "hw watchpoints:   %u slots%s\n", h->hw_wps,
			       (h->features & VMDBG_FEAT_HW_SLOTS_SHARED)
				       ? " (shared with breakpoints)" : "");
	g_string_append_printf(out, "features:        %s%s%s%s%s\n",
			       (h->features & VMDBG_FEAT_SW_BP) ? " sw-breakpoints" : "",
			       (h->features & VMDBG_FEAT_SINGLESTEP) ? " single-step" : "",
			       (h->features & VMDBG_FEAT_BLOCKIRQ) ? " step-blocks-irqs" : "",
			       (h->features & VMDBG_FEAT_SIMULATED) ? " simulated" : "",
			       (h->features & VMDBG_FEAT_HW_SLOTS_SHARED) ? " shared-hw-slots" : "");
	g_string_append_printf(out, "state:            %s\n", states[s->target]);
	g_string_append_printf(out, "sw breakpoints:   %u inserted\n",
			       g_hash_table_size(s->sw_bps));
	g_string_append_printf(out, "registers:        %u in the target description\n",
			       regset_count(regset_of(s, 0)));
}

static const struct monitor_cmd monitor_cmds[] = {
	{ "help", "this text", false, monitor_help },
	{ "info vm", "the VM behind this session: arch, vCPUs, slots, state", true, monitor_info_vm },
	{ "hw", "the hardware breakpoint/watchpoint slot table", true, monitor_hw },
};
static const size_t n_monitor_cmds = G_N_ELEMENTS(monitor_cmds);

static void h_rcmd(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	g_autofree char *cmd = g_strstrip(g_strndup(p[0].s, p[0].len));
	const struct monitor_cmd *c = NULL;
	for (size_t i = 0; i < n_monitor_cmds && !c; i++)
		if (strcmp(cmd, monitor_cmds[i].name) == 0 || (!cmd[0] && i == 0))
			c = &monitor_cmds[i];
	if (c && c->needs_vm) {
		if (!vm_ready(s))
			return; /* it answered why */
		if (!s->hw) {
			reply_error(s, "not attached to the VM");
			return;
		}
	}
	GString *out = g_string_new(NULL);
	if (c)
		c->run(s, out);
	else
		g_string_append_printf(out, "unknown monitor command '%s'; try 'monitor help'\n", cmd);
	GString *r = g_string_new(NULL);
	rsp_put_hex(r, out->str, out->len);
	reply(s, r->str);
	g_string_free(r, TRUE);
	g_string_free(out, TRUE);
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
	switch (ev->type) {
	case RSP_EV_PACKET:
		if (!s->no_ack)
			g_byte_array_append(s->out, (const guint8 *)"+", 1);
		in = g_new0(struct incoming, 1);
		in->packet = g_bytes_new(ev->data, ev->len + 1);
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
