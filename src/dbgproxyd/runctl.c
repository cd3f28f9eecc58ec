/*
 * runctl.c - all-stop run control of the VM behind a gdb session: stop
 * replies, the queue of pending stops, Ctrl-C, resuming and stepping
 * (c, s, vCont), detach and kill, and a guest that died.
 */
#include "session.h"

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

bool take_pending_stop(struct session *s, struct vmdbg_stopped *out)
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

void handle_interrupt(struct session *s)
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

void do_resume(struct session *s)
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

/* ---- run control ----------------------------------------------------------------------------- */

void h_continue(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	set_resume_all(s, VMDBG_ACT_CONTINUE);
	resume(s);
}

/* s: step the Hc thread (or the current one); the others stay stopped. */
void h_step(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v = s->c_vcpu >= 0 ? (uint32_t)s->c_vcpu : s->last_vcpu;
	set_resume_all(s, VMDBG_ACT_STAY);
	struct vmdbg_resume_entry e = { v, VMDBG_ACT_STEP };
	g_array_append_val(s->resume_entries, e);
	resume(s);
}

void h_vcont_query(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "vCont;c;C;s;S;t");
}

/* vCont;action[:tid]...: the first action that names a thread (or none)
 * decides for it (gdb manual, "Packets" > vCont). */
void h_vcont(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	GArray *acts = p[0].actions;
	bool any = false;
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
		any |= action != VMDBG_ACT_STAY;
	}
	if (!any) {
		/* only 't' (or threads that do not exist): in all-stop nothing would
		 * run and no stop would ever answer */
		reply_error(s, "vCont resumes no vCPU ('t' is for non-stop mode, which dbgproxyd "
			    "does not offer)");
		return;
	}
	resume(s);
}

void detach_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
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

void h_detach(void *ctx, const struct pkt_param *p)
{
	detach(ctx, false);
}

void h_kill(void *ctx, const struct pkt_param *p)
{
	/* "kill" never destroys the VM: it detaches */
	detach(ctx, true);
}
