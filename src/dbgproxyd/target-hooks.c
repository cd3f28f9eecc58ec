/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * target-hooks.c - what happens between an all-stop pause and the
 * debugger hearing of it (target-priv.h):
 *
 *  0. the passive clients may change their points (paused());
 *  1. each stop at a breakpoint goes to the passive clients (plugins) that
 *     own a point there (hit()); a stop at points that only passive
 *     clients own is dropped, and that vCPU steps over its point before
 *     it next runs (target-conds.c's step-over);
 *  2. each stop still to be reported goes to every passive client
 *     (stop());
 *  3. when every request they made meanwhile is answered (holds), the
 *     conditions are evaluated (target-conds.c) and the clients hear
 *     stopped().  With no debugger attached, the target then resumes the
 *     guest itself when no stop is left to report.
 *
 * A phase has a number: a hold taken in one phase and released after it
 * was abandoned (the VM went away) does not count against the next.
 */
#include <inttypes.h>

#include "target-priv.h"

struct hooks {
	uint64_t phase;
	bool interrupted;
	unsigned holds;
	bool looking;        /* steps 1 and 2 are on the stack */
};

static uint64_t phase_counter;

bool target_in_hooks(const struct target *t)
{
	return t->hooks != NULL;
}

static bool still_client(const struct target *t, const struct target_client *c)
{
	return g_ptr_array_find(t->clients, c, NULL);
}

static void hooks_done(struct target *t)
{
	struct hooks *h = t->hooks;
	t->hooks = NULL;
	bool interrupted = h->interrupted || t->interrupted;
	g_free(h);
	if (target_conds_filter(t, interrupted))
		return;  /* it tells the clients */
	t->interrupted = false;
	t->state = TGT_STOPPED;
	target_tell_stopped(t, interrupted, NULL);
}

uint64_t target_hold(struct target *t)
{
	if (!t->hooks)
		return 0;
	t->hooks->holds++;
	return t->hooks->phase;
}

void target_release(struct target *t, uint64_t token)
{
	struct hooks *h = t->hooks;
	if (!token || !h || h->phase != token || h->holds == 0)
		return;
	if (--h->holds == 0 && !h->looking)
		hooks_done(t);
}

void target_hooks_free(struct target *t)
{
	g_clear_pointer(&t->hooks, g_free);
}

enum hit_owners { HIT_NONE, HIT_PASSIVE, HIT_SHARED };

/* Step 1 for one stop: whose points it hit. */
static enum hit_owners tell_hit(struct target *t, const struct vmdbg_stopped *ev)
{
	g_autoptr(GPtrArray) owners = g_ptr_array_new();
	uint64_t addr = 0;
	target_point_owners(t, ev, owners, &addr);
	bool debugger = false, passive = false;
	for (guint i = 0; i < owners->len; i++) {
		struct target_client *c = g_ptr_array_index(owners, i);
		if (!c->passive)
			debugger = true;
		else
			passive = true;
	}
	if (!passive)
		return HIT_NONE;
	for (guint i = 0; i < owners->len; i++) {
		struct target_client *c = g_ptr_array_index(owners, i);
		/* an earlier hit() may have removed it */
		if (c->passive && still_client(t, c) && c->ops->hit)
			c->ops->hit(c->ctx, ev, addr);
	}
	return debugger ? HIT_SHARED : HIT_PASSIVE;
}

static void tell_stop(struct target *t, const struct vmdbg_stopped *ev)
{
	g_autoptr(GPtrArray) clients = g_ptr_array_copy(t->clients, NULL, NULL);
	for (guint i = 0; i < clients->len; i++) {
		struct target_client *c = g_ptr_array_index(clients, i);
		if (c->passive && still_client(t, c) && c->ops->stop)
			c->ops->stop(c->ctx, ev);
	}
}

static bool any_passive(const struct target *t)
{
	for (guint i = 0; i < t->clients->len; i++)
		if (((struct target_client *)g_ptr_array_index(t->clients, i))->passive)
			return true;
	return false;
}

static bool same_phase(const struct target *t, uint64_t phase)
{
	return t->hooks && t->hooks->phase == phase;
}

void target_after_pause(struct target *t, bool interrupted)
{
	t->state = TGT_STOPPING;  /* for the clients, until they hear */
	struct hooks *h = g_new0(struct hooks, 1);
	uint64_t phase = h->phase = ++phase_counter;
	h->interrupted = interrupted;
	h->looking = true;
	target_hooks_free(t);
	t->hooks = h;
	/* Whatever empties the queue (the link lost, the last client gone)
	 * also ends the phase: the walks stop as soon as it is not this one. */
	if (any_passive(t)) {
		g_autoptr(GPtrArray) clients = g_ptr_array_copy(t->clients, NULL, NULL);
		for (guint i = 0; i < clients->len && same_phase(t, phase); i++) {
			struct target_client *c = g_ptr_array_index(clients, i);
			if (c->passive && still_client(t, c) && c->ops->paused)
				c->ops->paused(c->ctx);
		}
		for (GList *l = t->pending_stops.head; l && same_phase(t, phase);) {
			GList *next = l->next;
			struct vmdbg_stopped *ev = l->data;
			enum hit_owners o = tell_hit(t, ev);
			if (o != HIT_NONE && same_phase(t, phase)) {
				/* the vCPU leaves the point by a step of the target's,
				 * gdb's hit or not: one pass, one hit for the plugin */
				t->skip[ev->vcpu] = true;
				t->skip_pc[ev->vcpu] = ev->pc;
			}
			if (o == HIT_PASSIVE && same_phase(t, phase)) {
				g_debug("vCPU %u hit a plugin's breakpoint at 0x%" PRIx64
					": stepped over, not reported", ev->vcpu, ev->pc);
				g_queue_delete_link(&t->pending_stops, l);
				g_free(ev);
			}
			l = next;
		}
		for (GList *l = t->pending_stops.head; l && same_phase(t, phase); l = l->next)
			tell_stop(t, l->data);
	}
	if (!same_phase(t, phase))
		return;
	h->looking = false;
	if (h->holds == 0)
		hooks_done(t);
}
