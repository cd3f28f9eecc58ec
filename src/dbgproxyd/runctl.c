/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * runctl.c - all-stop run control as gdb sees it: stop replies, Ctrl-C,
 * resuming and stepping (c, s, vCont), detach and kill, and a guest that
 * died.  The target (target.h) owns the run state and the stop queue.
 */
#include "session.h"

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
	s->exited = true;
	g_string_printf(s->stop_reply, "X%02x", SIGNAL_GUEST_DEAD);
	reply(s, s->stop_reply->str);
}

/* A guest that switched between 32-bit and 64-bit mode since gdb attached
 * no longer matches the description gdb has: say so, once per gdb. */
static void tell_mode_change(struct session *s, uint32_t vcpu)
{
	const struct regset *rs = regset_of(s, vcpu);
	const struct reg_handle *cr0 = regset_by_name(rs, "cr0"), *efer = regset_by_name(rs, "efer");
	const struct regcache *rc = target_regcache(s->t, vcpu);
	if (s->mode_told || !x86_auto(s) || !cr0 || !efer || !regcache_valid(rc, cr0) ||
	    !regcache_valid(rc, efer))
		return;
	uint8_t b0[8] = { 0 }, b1[8] = { 0 };
	regcache_read(rc, cr0, b0);
	regcache_read(rc, efer, b1);
	uint64_t v0, v1;
	memcpy(&v0, b0, 8);
	memcpy(&v1, b1, 8);
	const struct arch_ops *now = arch_x86_for_mode(GUINT64_FROM_LE(v0), GUINT64_FROM_LE(v1));
	if (now == target_arch(s->t))
		return;
	g_autofree char *msg = g_strdup_printf(
		"dbgproxyd: vCPU %u is now in %s; this gdb has the %s description. Disconnect and "
		"connect again (target remote) to debug it as %s.\n", vcpu,
		now == &arch_x86_64 ? "64-bit long mode" : "32-bit mode", target_arch(s->t)->name,
		now->name);
	console_out(s, msg);
	g_message("vCPU %u switched to %s mode; gdb was told to reconnect", vcpu, now->name);
	s->mode_told = true;
}

struct stop_req {
	struct sref ref;
	struct vmdbg_stopped ev;
	int signal;
};

static void expedited_done(struct session *s, const struct stop_req *req, bool failed)
{
	const struct vmdbg_stopped *ev = &req->ev;
	const struct regset *rs = regset_of(s, ev->vcpu);
	const struct regcache *rc = target_regcache(s->t, ev->vcpu);
	if (!failed)
		tell_mode_change(s, ev->vcpu);
	GString *r = g_string_new(NULL);
	if (ev->reason == VMDBG_STOP_SHUTDOWN) {
		/* the state an early-boot debugger needs most: keep it readable */
		g_autofree char *msg = g_strdup_printf(
			"dbgproxyd: the guest %s on vCPU %u at 0x%" PRIx64 "; its registers and "
			"memory can still be read, it cannot be resumed\n",
			shutdown_cause(ev->info[0]), ev->vcpu, ev->pc);
		console_out(s, msg);
	}
	g_string_append_printf(r, "T%02xthread:%" PRIx64 ";", req->signal, tid_of(ev->vcpu));
	if (ev->reason == VMDBG_STOP_SW_BP && s->gdb_swbreak)
		g_string_append(r, "swbreak:;");
	if (ev->reason == VMDBG_STOP_DEBUG || ev->reason == VMDBG_STOP_WATCH) {
		static const char *const watch_names[] = {
			[HW_WRITE] = "watch", [HW_READ] = "rwatch", [HW_ACCESS] = "awatch",
		};
		struct hw_hit hit;
		target_decode_hw(s->t, ev, &hit);
		if (hit.type == HW_HIT_BREAK && s->gdb_hwbreak)
			g_string_append(r, "hwbreak:;");
		else if (hit.type == HW_HIT_WATCH)
			g_string_append_printf(r, "%s:%" PRIx64 ";", watch_names[hit.kind], hit.addr);
	}
	uint64_t pc = ev->pc; /* an interrupt's event has none: the registers do */
	if (!failed) {
		const struct arch_ops *arch = target_arch(s->t);
		for (unsigned i = 0; arch->expedite[i]; i++) {
			const struct reg_handle *h = regset_by_name(rs, arch->expedite[i]);
			if (!h || !reg_handle_present(h) || !regcache_valid(rc, h))
				continue;
			uint8_t buf[256];
			regcache_read(rc, h, buf);
			g_string_append_printf(r, "%x:", reg_handle_regnum(h));
			rsp_put_hex(r, buf, reg_handle_bytes(h));
			g_string_append_c(r, ';');
			if (!arch->expedite[i + 1]) { /* the last one is the pc (arch.h) */
				uint64_t v = 0;
				memcpy(&v, buf, MIN(sizeof(v), (size_t)reg_handle_bytes(h)));
				pc = GUINT64_FROM_LE(v);
			}
		}
	}
	s->last_vcpu = ev->vcpu;
	s->g_vcpu = ev->vcpu;
	s->g_thread = 0;
	g_string_assign(s->stop_reply, r->str);
	const char *why = req->signal == 2 && !ev->reason ? "interrupt" : target_stop_words(s->t, ev);
	log_event(LOG_VCPU_STOPPED, G_LOG_LEVEL_DEBUG,
		  &(struct log_fields){ .vcpu = ev->vcpu, .has_vcpu = true, .addr = pc,
					.has_addr = true, .reason = why },
		  "vCPU %u stopped (%s) at 0x%" PRIx64 "; told gdb %s", ev->vcpu, why, pc, r->str);
	reply(s, r->str);
	g_string_free(r, TRUE);
	finish(s);
}

static void expedited_fetched(void *ctx, const GError *err)
{
	struct stop_req *req = ctx;
	struct session *s = sref_session(&req->ref);
	if (s)
		expedited_done(s, req, err != NULL);
	g_free(req);
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
	struct stop_req *req = g_new0(struct stop_req, 1);
	sref_init(&req->ref, s);
	req->ev = *ev;
	req->signal = signal;
	const struct regset *rs = regset_of(s, ev->vcpu);
	const struct arch_ops *arch = target_arch(s->t);
	const struct reg_handle *hs[8];
	unsigned n = 0;
	for (unsigned i = 0; arch->expedite[i] && n < 6; i++) {
		const struct reg_handle *h = regset_by_name(rs, arch->expedite[i]);
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
	g_autoptr(GError) err = NULL;
	switch (target_fetch_regs(s->t, ev->vcpu, hs, n, expedited_fetched, req, &err)) {
	case TARGET_PENDING:
		return;
	case TARGET_DONE:
		expedited_done(s, req, false);
		break;
	case TARGET_FAILED:
		expedited_done(s, req, true);
		break;
	}
	g_free(req);
}

static void do_resume(struct session *s, bool again);

/* The target stopped every vCPU after a run: say why. */
void session_all_stopped(void *ctx, bool interrupted, const GError *err)
{
	struct session *s = ctx;
	if (!s->attached || s->exited || !s->busy)
		return;  /* not a run of this gdb's (the attach reports its own) */
	if (err) {
		reply_error(s, "could not stop the VM: %s", err->message);
		finish(s);
		return;
	}
	struct vmdbg_stopped ev;
	if (target_take_stop(s->t, &ev)) {
		report_stop(s, &ev, signal_for(&ev));
	} else if (interrupted) {
		uint32_t v = s->c_vcpu >= 0 ? (uint32_t)s->c_vcpu : s->last_vcpu;
		struct vmdbg_stopped intr = { .vcpu = v };
		report_stop(s, &intr, 2); /* SIGINT */
	} else {
		/* only stale stops (or hits of plugins' own breakpoints): nothing
		 * for gdb, run on as it asked */
		do_resume(s, true);
	}
	if (s->d->session == s)
		flush(s);
}

/* Is a packet that resumes the guest waiting in the input queue? */
static bool resume_queued(const struct session *s)
{
	for (const GList *l = s->incoming.head; l; l = l->next) {
		const struct incoming *in = l->data;
		if (in->oversize)
			continue;
		const char *p = (const char *)in->packet->data;
		if ((p[0] && strchr("cCsS", p[0])) || g_str_has_prefix(p, "vCont;"))
			return true;
	}
	return false;
}

void handle_interrupt(struct session *s)
{
	enum target_state st = target_state(s->t);
	if (!s->attached || !s->busy || s->exited) {
		/* nothing of this gdb's runs */
	} else if (st == TGT_RUNNING || st == TGT_STOPPING) {
		if (st == TGT_RUNNING)
			g_info("gdb interrupt: stopping the VM");
		target_interrupt(s->t);
		return;
	}
	if (st == TGT_STOPPED && resume_queued(s)) {
		/* the 0x03 came in the same read as the continue it interrupts:
		 * it applies once that continue has resumed the guest */
		s->interrupt_queued = true;
	}
}

/* ---- resuming -------------------------------------------------------------------- */

struct resume_req {
	struct sref ref;
};

static void resume_failed(struct session *s, const GError *err)
{
	if (target_guest_dead(s->t))  /* the VM said it cannot run again */
		end_dead_guest(s);
	else
		reply_error(s, "could not resume the VM: %s", err->message);
	finish(s);
}

static void resume_done(void *ctx, const GError *err)
{
	struct resume_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	g_free(r);
	if (s && err && s->busy)
		resume_failed(s, err);
}

/* again: the same resume once more after a stop gdb does not hear of
 * (logged at debug: a plugin's trace makes thousands a second) */
static void do_resume(struct session *s, bool again)
{
	struct resume_req *r = g_new0(struct resume_req, 1);
	sref_init(&r->ref, s);
	g_autoptr(GError) err = NULL;
	if (target_resume(s->t, s->resume_default,
			  (const struct vmdbg_resume_entry *)(void *)s->resume_entries->data,
			  s->resume_entries->len, resume_done, r, &err) != TARGET_PENDING) {
		g_free(r);
		resume_failed(s, err);
		return;
	}
	if (again)
		g_debug("guest resumed again for gdb (the stop was not for it)");
	else
		g_debug("guest resumed by gdb"); /* busy until the stop is reported */
}

/* Resume as gdb asked, unless a queued stop is due first. */
static void resume(struct session *s)
{
	if (s->d->plugins)
		plugin_host_give_services(s->d->plugins);
	bool interrupt = s->interrupt_queued; /* a stop answers it either way */
	s->interrupt_queued = false;
	const char *why;
	if (s->exited) {
		reply(s, s->stop_reply->str);
		finish(s);
		return;
	}
	if (target_guest_dead(s->t)) {
		end_dead_guest(s);
		finish(s);
		return;
	}
	if (!target_ready(s->t, &why)) {
		reply_error(s, "%s", why);
		finish(s);
		return;
	}
	struct vmdbg_stopped ev;
	if (target_take_stop(s->t, &ev)) {
		report_stop(s, &ev, signal_for(&ev));
		return;
	}
	do_resume(s, false);
	if (interrupt && s->busy && target_state(s->t) == TGT_RUNNING)
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
	struct vmdbg_resume_entry e = { v, VMDBG_ACT_STEP, 0, 0 };
	g_array_append_val(s->resume_entries, e);
	resume(s);
}

void h_vcont_query(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "vCont;c;C;s;S;t;r");
}

/* vCont;action[:tid]...: the first action that names a thread (or none)
 * decides for it (gdb manual, "Packets" > vCont).  A range step (r) is the
 * VM's RANGE_STEP: it steps on the vCPU's own thread while pc stays in the
 * range, one exchange for a whole `next`; a VM without it single-steps,
 * which the manual allows ("a single instruction step operation"). */
void h_vcont(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	GArray *acts = p[0].actions;
	bool any = false;
	bool ranges = target_vm_has(s->t, VMDBG_FEAT_RANGE_STEP);
	for (guint i = 0; i < acts->len; i++) {
		/* gdb steps the thread selected: one of a plugin's is not on a vCPU */
		const struct plugin_thread *th =
			plugin_thread_of(s, g_array_index(acts, struct vcont_action, i).tid);
		if (th) {
			reply_error(s, "thread %s is not on a vCPU: it cannot run or step by itself "
				    "(switch to a vCPU's thread)", th->name);
			finish(s);
			return;
		}
	}
	set_resume_all(s, VMDBG_ACT_STAY);
	for (uint32_t v = 0; v < s->nr_vcpus; v++) {
		struct vmdbg_resume_entry e = { v, VMDBG_ACT_STAY, 0, 0 };
		for (guint i = 0; i < acts->len; i++) {
			const struct vcont_action *a = &g_array_index(acts, struct vcont_action, i);
			if (a->tid != -1 && a->tid != 0 && (uint64_t)a->tid != tid_of(v))
				continue;
			switch (a->action) {
			case 'c': case 'C': e.action = VMDBG_ACT_CONTINUE; break;
			case 's': case 'S': e.action = VMDBG_ACT_STEP; break;
			case 'r':
				e.action = VMDBG_ACT_STEP;
				if (ranges && a->range_start < a->range_end) {
					e.action = VMDBG_ACT_RANGE_STEP;
					e.start = a->range_start;
					e.end = a->range_end;
				}
				break;
			default: e.action = VMDBG_ACT_STAY; break;
			}
			break;
		}
		g_array_append_val(s->resume_entries, e);
		any |= e.action != VMDBG_ACT_STAY;
	}
	if (!any) {
		/* only 't' (or threads that do not exist): in all-stop nothing would
		 * run and no stop would ever answer */
		reply_error(s, "vCont resumes no vCPU ('t' is for non-stop mode, which dbgproxyd "
			    "does not offer)");
		finish(s);
		return;
	}
	resume(s);
}

struct detach_req {
	struct sref ref;
	bool kill;
};

static void detach_done(void *ctx, const GError *err)
{
	struct detach_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (s) {
		if (r->kill) {          /* 'k': no reply, the connection ends */
			session_close(s, "gdb sent kill");
		} else {
			reply(s, err ? "E.detaching: VM link lost" : "OK");
			flush(s);
			session_close(s, "gdb detached");
		}
	}
	g_free(r);
}

/* D and k: this gdb leaves the target (its points go; the last client's
 * leaving resumes the guest). */
static void detach(struct session *s, bool kill)
{
	struct detach_req *r = g_new0(struct detach_req, 1);
	sref_init(&r->ref, s);
	r->kill = kill;
	s->detached = true;
	enum target_result res = target_client_remove(s->t, s->client, detach_done, r, NULL);
	s->client = NULL;
	if (res == TARGET_PENDING) {
		g_info("gdb %s: its breakpoints go, the guest resumes",
		       kill ? "killed the session" : "detached");
		return;
	}
	g_free(r);
	/* other clients (plugins) stay: the session ends all the same, and no
	 * packet behind the D runs without a client */
	if (kill) {
		session_close(s, "gdb sent kill");
	} else {
		reply(s, "OK");
		flush(s);
		session_close(s, "gdb detached");
	}
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
