/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * target.c - the VM every client shares (target.h): the link, what the VM
 * is, the clients, and all-stop run control.  Registers and memory are in
 * target-regmem.c, the breakpoint table in target-points.c.
 */
#include <inttypes.h>
#include <string.h>

#include "target-priv.h"
#include "vmdbg-conds.h"

G_DEFINE_QUARK(dbgproxyd-target-error-quark, target_error)

uint32_t target_seq(struct target *t)
{
	return vmlink_next_seq(t->link);
}

bool target_send(struct target *t, const GByteArray *frame, uint32_t seq, vmlink_reply_fn fn,
		 void *ctx, GError **error)
{
	if (vmlink_send(t->link, frame, seq, fn, ctx))
		return true;
	g_set_error(error, TARGET_ERROR, TARGET_E_NOT_READY, "%s", t->not_connected);
	return false;
}

/* A request that needs the VM and its description: FAILED with why not. */
bool target_need_ready(const struct target *t, GError **error)
{
	const char *why;
	if (target_ready(t, &why))
		return true;
	g_set_error(error, TARGET_ERROR, TARGET_E_NOT_READY, "%s", why);
	return false;
}

bool target_need_vcpu(const struct target *t, uint32_t vcpu, GError **error)
{
	if (!target_need_ready(t, error))
		return false;
	if (vcpu < t->nr_vcpus)
		return true;
	g_set_error(error, TARGET_ERROR, TARGET_E_INVAL, "no vCPU %u (the VM has %u)", vcpu,
		    t->nr_vcpus);
	return false;
}

/* ---- what the VM is ----------------------------------------------------------------- */

bool target_ready(const struct target *t, const char **why)
{
	if (!vmlink_is_ready(t->link)) {
		*why = t->not_connected;
		return false;
	}
	if (t->tdesc_error || !t->vcpu_regset) {
		*why = t->tdesc_error ? t->tdesc_error : "the VM's description is not known yet";
		return false;
	}
	return true;
}

const char *target_tdesc_error(const struct target *t)
{
	return t->tdesc_error;
}

bool target_connected(const struct target *t)
{
	return vmlink_is_ready(t->link);
}

bool target_link_tried(const struct target *t)
{
	return vmlink_tried(t->link);
}

unsigned target_link_attempts(const struct target *t, const char **why_down)
{
	return vmlink_attempts(t->link, why_down);
}

unsigned target_link_retry_now(struct target *t)
{
	return vmlink_retry_now(t->link);
}

const char *target_vm_path(const struct target *t)
{
	return vmlink_path(t->link);
}

const struct vmdbg_hello *target_hello(const struct target *t)
{
	return vmlink_hello(t->link);
}

bool target_vm_has(const struct target *t, uint32_t feature)
{
	return vmlink_is_ready(t->link) && (vmlink_hello(t->link)->features & feature);
}

uint32_t target_nr_vcpus(const struct target *t)
{
	return t->nr_vcpus;
}

const struct arch_ops *target_arch(const struct target *t)
{
	return t->arch;
}

const struct tdesc *target_tdesc(const struct target *t)
{
	return t->tdesc;
}

const struct regset *target_regset(const struct target *t, uint32_t vcpu)
{
	return g_ptr_array_index(t->vcpu_regset, vcpu);
}

bool target_x86_auto(const struct target *t)
{
	return t->arch && t->arch->vmdbg_arch == VMDBG_ARCH_X86_64 && !t->cfg.user_tdesc &&
	       !t->cfg.x86_arch;
}

/* ---- the link's events ------------------------------------------------------------------ */

static void link_ready(void *owner)
{
	struct target *t = owner;
	g_autoptr(GError) err = NULL;
	target_forget_vm(t);
	t->state = TGT_RUNNING; /* until a client stops it: the VM may be running */
	t->guest_dead = false;
	t->death_logged = false;
	t->interrupted = false;
	target_points_reset(t);
	target_conds_reset(t);
	if (!target_learn_vm(t, NULL, &err)) {
		/* the link stays up; clients are told why registers cannot be served */
		g_warning("cannot serve the VM's registers: %s", err->message);
		target_forget_vm(t);
		t->tdesc_error = g_strdup_printf("target description: %s", err->message);
		return;
	}
	for (guint i = 0; i < t->clients->len; i++) {
		struct target_client *c = g_ptr_array_index(t->clients, i);
		c->ops->ready(c->ctx);
	}
}

static void link_lost(void *owner, const char *why)
{
	struct target *t = owner;
	g_autoptr(GError) lost = g_error_new(VMLINK_ERROR, VMLINK_E_LOST, "the VM is gone: %s", why);
	target_stepover_abandon(t, lost);
	target_hooks_free(t);
	target_conds_reset(t);
	g_queue_clear_full(&t->pending_stops, g_free);
	t->state = TGT_STOPPED;
	t->interrupted = false;
	/* a copy: a client's lost() may remove it from the array */
	g_autoptr(GPtrArray) clients = g_ptr_array_copy(t->clients, NULL, NULL);
	for (guint i = 0; i < clients->len; i++) {
		struct target_client *c = g_ptr_array_index(clients, i);
		if (g_ptr_array_find(t->clients, c, NULL))
			c->ops->lost(c->ctx, why);
	}
	target_points_reset(t);
	target_forget_vm(t);
}

static void auto_resumed(void *ctx, const GError *err)
{
	if (err)
		g_warning("could not resume the guest (no gdb attached): %s", err->message);
}

static bool stop_still_valid(const struct target *t, const struct vmdbg_stopped *ev);

/* No debugger: run on unless a stop is left for one. */
static void run_without_debugger(struct target *t)
{
	if (t->state != TGT_STOPPED || t->guest_dead || !target_ready(t, &(const char *){ NULL }))
		return;
	for (GList *l = t->pending_stops.head; l;) {
		GList *next = l->next;
		struct vmdbg_stopped *ev = l->data;
		if (stop_still_valid(t, ev)) {
			g_message("vCPU %u stopped (%s) at 0x%" PRIx64 " with no gdb attached: "
				  "the guest waits for gdb", ev->vcpu, target_stop_words(t, ev), ev->pc);
			return;
		}
		g_queue_delete_link(&t->pending_stops, l);
		g_free(ev);
		l = next;
	}
	g_autoptr(GError) err = NULL;
	if (target_resume(t, VMDBG_ACT_CONTINUE, NULL, 0, auto_resumed, t, &err) == TARGET_FAILED)
		auto_resumed(t, err);
}

void target_tell_stopped(struct target *t, bool interrupted, const GError *err)
{
	g_autoptr(GPtrArray) clients = g_ptr_array_copy(t->clients, NULL, NULL);
	for (guint i = 0; i < clients->len; i++) {
		struct target_client *c = g_ptr_array_index(clients, i);
		if (g_ptr_array_find(t->clients, c, NULL) && c->ops->stopped)
			c->ops->stopped(c->ctx, interrupted, err);
	}
	if (!target_has_debugger(t) && t->clients->len)
		run_without_debugger(t);
}

struct pause_req {
	struct target *t;
	target_done_fn fn;  /* NULL: the all-stop pause; clients hear stopped() */
	void *ctx;
};

static void pause_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct pause_req *r = ctx;
	struct target *t = r->t;
	if (r->fn) {
		if (m)
			t->state = TGT_STOPPED;
		r->fn(r->ctx, m ? NULL : err);
	} else if (t->state == TGT_STOPPING) {
		bool interrupted = t->interrupted;
		t->interrupted = false;
		t->state = TGT_STOPPED;
		if (!m)
			g_warning("PAUSE failed: %s", err->message);
		target_stepover_abandon(t, NULL);  /* its step did not finish: the pause came first */
		if (m) {
			/* still stopping for the clients while plugins look and hits
			 * are evaluated (what commands print reaches gdb as console
			 * output meanwhile) */
			target_after_pause(t, interrupted);
		} else {
			target_tell_stopped(t, interrupted, err);
		}
	}
	g_free(r);
}

static bool send_pause(struct target *t, target_done_fn fn, void *ctx, GError **error)
{
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_empty(VMDBG_GBA(f), VMDBG_PAUSE, seq);
	struct pause_req *r = g_new0(struct pause_req, 1);
	r->t = t;
	r->fn = fn;
	r->ctx = ctx;
	if (!target_send(t, f, seq, pause_done, r, error)) {
		g_free(r);
		return false;
	}
	t->state = TGT_STOPPING;
	return true;
}

static void link_stopped(void *owner, const struct vmdbg_stopped *ev)
{
	struct target *t = owner;
	if (ev->vcpu >= t->nr_vcpus) {
		g_warning("stop event for vCPU %u, but the VM has %u", ev->vcpu, t->nr_vcpus);
		return;
	}
	if (target_stepover_stopped(t, ev))
		return;
	if (t->clients->len == 0) {
		/* kept: the next client's '?' tells it (a guest that died meanwhile) */
		g_message("vCPU %u stopped (%s) with no gdb attached", ev->vcpu,
			  target_stop_words(t, ev));
	}
	if ((ev->reason == VMDBG_STOP_SHUTDOWN || ev->reason == VMDBG_STOP_HALTED) &&
	    !t->death_logged) {
		const char *why = target_stop_words(t, ev);
		t->death_logged = true;
		log_event(LOG_GUEST_DIED, G_LOG_LEVEL_MESSAGE,
			  &(struct log_fields){ .vcpu = ev->vcpu, .has_vcpu = true, .addr = ev->pc,
						.has_addr = true, .reason = why },
			  "the guest is over (%s on vCPU %u at 0x%" PRIx64 "): it cannot run again "
			  "until the VM restarts", why, ev->vcpu, ev->pc);
	}
	g_queue_push_tail(&t->pending_stops, g_memdup2(ev, sizeof(*ev)));
	if (t->state == TGT_RUNNING && t->clients->len) {
		/* all-stop: everyone stops before a client hears of it */
		g_autoptr(GError) err = NULL;
		if (!send_pause(t, NULL, NULL, &err))
			g_warning("cannot pause: %s", err->message);
	}
}

void target_tell_output(struct target *t, uint32_t vcpu, const char *s)
{
	g_autoptr(GPtrArray) clients = g_ptr_array_copy(t->clients, NULL, NULL);
	for (guint i = 0; i < clients->len; i++) {
		struct target_client *c = g_ptr_array_index(clients, i);
		if (g_ptr_array_find(t->clients, c, NULL) && c->ops->output)
			c->ops->output(c->ctx, vcpu, s);
	}
}

static void link_output(void *owner, uint32_t vcpu, const char *text, size_t len)
{
	g_autofree char *s = g_strndup(text, len);  /* stops at a NUL the VM sent */
	target_tell_output(owner, vcpu, s);
}

static const struct vmlink_ops link_ops = { link_ready, link_lost, link_stopped, link_output };

struct target *target_new(struct ev_loop *loop, const char *vm_path,
			  const struct target_config *cfg)
{
	struct target *t = g_new0(struct target, 1);
	t->loop = loop;
	if (cfg)
		t->cfg = *cfg;
	t->clients = g_ptr_array_new();
	g_queue_init(&t->pending_stops);
	target_points_init(t);
	t->conds = vm_conds_new();
	t->not_connected = g_strdup_printf("dbgproxyd is not connected to the VM at %s", vm_path);
	t->link = vmlink_new(loop, vm_path, &link_ops, t);
	vmlink_set_share_memory(t->link, !t->cfg.no_shared_memory);
	return t;
}

void target_disconnect(struct target *t, const char *why)
{
	vmlink_disconnect(t->link, why, true);
}

void target_free(struct target *t)
{
	/* the clients first: none hears of the link going down */
	for (guint i = 0; i < t->clients->len; i++) {
		struct target_client *c = g_ptr_array_index(t->clients, i);
		g_free(c->name);
		g_free(c);
	}
	g_ptr_array_set_size(t->clients, 0);
	target_conds_free(t);
	target_hooks_free(t);
	vmlink_free(t->link);
	target_forget_vm(t);
	target_points_free(t);
	g_queue_clear_full(&t->pending_stops, g_free);
	g_ptr_array_unref(t->clients);
	g_free(t->not_connected);
	if (t->cfg.user_tdesc)
		tdesc_free(t->cfg.user_tdesc);
	g_free(t);
}

/* ---- clients ------------------------------------------------------------------------------ */

struct target_client *target_client_add(struct target *t, const char *name,
					const struct target_client_ops *ops, void *ctx)
{
	struct target_client *c = g_new0(struct target_client, 1);
	c->t = t;
	c->name = g_strdup(name);
	c->ops = ops;
	c->ctx = ctx;
	g_ptr_array_add(t->clients, c);
	return c;
}

struct target_client *target_client_add_passive(struct target *t, const char *name,
						const struct target_client_ops *ops, void *ctx)
{
	struct target_client *c = target_client_add(t, name, ops, ctx);
	c->passive = true;
	return c;
}

bool target_has_debugger(const struct target *t)
{
	for (guint i = 0; i < t->clients->len; i++)
		if (!((struct target_client *)g_ptr_array_index(t->clients, i))->passive)
			return true;
	return false;
}

struct detach_req {
	target_done_fn fn;
	void *ctx;
};

static void detach_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct detach_req *r = ctx;
	if (r->fn)
		r->fn(r->ctx, m ? NULL : err);
	g_free(r);
}

enum target_result target_client_remove(struct target *t, struct target_client *c,
					target_done_fn fn, void *ctx, GError **error)
{
	if (!g_ptr_array_remove(t->clients, c)) {
		g_set_error(error, TARGET_ERROR, TARGET_E_INVAL, "not a client of this target");
		return TARGET_FAILED;
	}
	bool last = t->clients->len == 0;
	bool up = vmlink_is_ready(t->link);
	bool last_debugger = !c->passive && !last && !target_has_debugger(t);
	/* the others keep theirs; the last one's leave with DETACH */
	target_points_drop_owner(t, c, up && !last);
	g_debug("client %s left the target", c->name);
	g_free(c->name);
	g_free(c);
	if (last_debugger && up) {
		/* plugins stay: the guest runs on under their points alone */
		g_queue_clear_full(&t->pending_stops, g_free);
		if (t->conds)
			vm_conds_clear(t->conds);
		t->interrupted = false;
		if (t->state == TGT_STOPPED && !t->hooks)
			run_without_debugger(t);
		return TARGET_DONE;
	}
	if (!last || !up)
		return TARGET_DONE;
	target_hooks_free(t);
	/* leave the guest as if no debugger had been there: the VM drops every
	 * point and resumes every vCPU */
	g_queue_clear_full(&t->pending_stops, g_free);
	target_conds_reset(t);
	t->interrupted = false;
	t->state = TGT_RUNNING;
	log_event(LOG_BREAKPOINTS_CLEARED, G_LOG_LEVEL_MESSAGE,
		  &(struct log_fields){ .reason = "the last debugger left" },
		  "no debugger left: every breakpoint and watchpoint leaves the VM, the guest "
		  "resumes");
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_empty(VMDBG_GBA(f), VMDBG_DETACH, seq);
	struct detach_req *r = g_new0(struct detach_req, 1);
	r->fn = fn;
	r->ctx = ctx;
	if (!target_send(t, f, seq, detach_done, r, error)) {
		g_free(r);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}

/* ---- run control -------------------------------------------------------------------------- */

enum target_state target_state(const struct target *t)
{
	return t->state;
}

bool target_guest_dead(const struct target *t)
{
	return t->guest_dead;
}

enum target_result target_stop(struct target *t, target_done_fn fn, void *ctx, GError **error)
{
	if (!target_need_ready(t, error) || !send_pause(t, fn, ctx, error))
		return TARGET_FAILED;
	return TARGET_PENDING;
}

bool target_pause_for_clients(struct target *t)
{
	if (t->state == TGT_STOPPING)
		return true;
	if (t->state != TGT_RUNNING || !vmlink_is_ready(t->link))
		return false;
	g_autoptr(GError) err = NULL;
	if (!send_pause(t, NULL, NULL, &err)) {
		g_warning("cannot pause: %s", err->message);
		return false;
	}
	return true;
}

bool target_interrupt(struct target *t)
{
	if (t->state == TGT_RUNNING) {
		t->interrupted = true;
		g_autoptr(GError) err = NULL;
		if (!send_pause(t, NULL, NULL, &err)) {
			g_warning("cannot pause: %s", err->message);
			t->interrupted = false;
			return false;
		}
		return true;
	}
	if (t->state == TGT_STOPPING) {
		t->interrupted = true;
		return true;
	}
	return false;
}

/* Is a queued stop still worth reporting?  A software breakpoint removed
 * since is not (gdbserver discards those too), nor a hardware breakpoint
 * or watchpoint hit whose slot was freed since. */
static bool stop_still_valid(const struct target *t, const struct vmdbg_stopped *ev)
{
	if (ev->reason == VMDBG_STOP_DEBUG && t->hw) {
		struct hw_hit hit;
		hwslots_decode(t->hw, ev, &hit);
		return hit.type != HW_HIT_NONE;
	}
	return ev->reason != VMDBG_STOP_SW_BP || target_sw_point_at(t, ev->pc);
}

bool target_take_stop(struct target *t, struct vmdbg_stopped *out)
{
	struct vmdbg_stopped *ev;
	while ((ev = g_queue_pop_head(&t->pending_stops))) {
		bool valid = stop_still_valid(t, ev);
		*out = *ev;
		g_free(ev);
		if (valid) {
			if (out->reason == VMDBG_STOP_SHUTDOWN)
				t->guest_dead = true;
			return true;
		}
		g_debug("dropping a stale stop of vCPU %u at 0x%" PRIx64, out->vcpu, out->pc);
		if (out->reason == VMDBG_STOP_SW_BP)
			target_sw_point_forget(t, out->vcpu, out->pc);
	}
	return false;
}

const char *target_stop_words(const struct target *t, const struct vmdbg_stopped *ev)
{
	struct hw_hit hit;
	switch (ev->reason) {
	case VMDBG_STOP_SW_BP:
		return "breakpoint";
	case VMDBG_STOP_DEBUG:
	case VMDBG_STOP_WATCH:
		target_decode_hw(t, ev, &hit);
		if (hit.type == HW_HIT_BREAK)
			return "hardware breakpoint";
		if (hit.type == HW_HIT_WATCH || ev->reason == VMDBG_STOP_WATCH)
			return "watchpoint";
		return hit.type == HW_HIT_STEP ? "step" : "debug exception";
	case VMDBG_STOP_SHUTDOWN:
		return ev->info[0] == VMDBG_SHUTDOWN_RESET ? "reset" :
		       ev->info[0] == VMDBG_SHUTDOWN_POWEROFF ? "power off" : "triple fault";
	case VMDBG_STOP_HALTED:
		return "halted for good";
	case VMDBG_STOP_INTERNAL:
		return "host error";
	case VMDBG_STOP_UNDEFINED:
		return "undefined instruction";
	case VMDBG_STOP_FAULT:
		return "memory fault";
	default:
		return "unknown";
	}
}

void target_decode_hw(const struct target *t, const struct vmdbg_stopped *ev, struct hw_hit *out)
{
	if (target_watch_decode(ev, out))
		return;
	if (t->hw) {
		hwslots_decode(t->hw, ev, out);
	} else {
		memset(out, 0, sizeof(*out));
	}
}

struct resume_req {
	struct target *t;
	target_done_fn fn;
	void *ctx;
};

static void resume_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct resume_req *r = ctx;
	if (!m && r->t->state == TGT_RUNNING) {
		r->t->state = TGT_STOPPED;
		if (err->domain == VMLINK_ERROR && err->code == VMDBG_E_STATE)
			r->t->guest_dead = true;
	}
	r->fn(r->ctx, m ? NULL : err);
	g_free(r);
}

enum target_result target_resume(struct target *t, uint32_t dflt,
				 const struct vmdbg_resume_entry *entries, unsigned n,
				 target_done_fn fn, void *ctx, GError **error)
{
	if (!target_need_ready(t, error))
		return TARGET_FAILED;
	if (t->guest_dead) {
		g_set_error(error, VMLINK_ERROR, VMDBG_E_STATE, "the guest is dead");
		return TARGET_FAILED;
	}
	for (uint32_t v = 0; v < t->nr_vcpus; v++)
		regcache_invalidate(t->caches[v]);
	target_paging_invalidate(t);
	if (target_stepover_begin(t, dflt, entries, n, fn, ctx))
		return TARGET_PENDING;
	return target_resume_now(t, dflt, entries, n, fn, ctx, error);
}

enum target_result target_resume_now(struct target *t, uint32_t dflt,
				     const struct vmdbg_resume_entry *entries, unsigned n,
				     target_done_fn fn, void *ctx, GError **error)
{
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_resume(VMDBG_GBA(f), seq, dflt, entries, n);
	struct resume_req *r = g_new0(struct resume_req, 1);
	r->t = t;
	r->fn = fn;
	r->ctx = ctx;
	if (!target_send(t, f, seq, resume_done, r, error)) {
		g_free(r);
		return TARGET_FAILED;
	}
	t->state = TGT_RUNNING;
	t->runs++;
	return TARGET_PENDING;
}
