/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * threads.c - vCPUs as gdb threads: ids, the thread list (qfThreadInfo,
 * qXfer:threads), names and extra info, Hg/Hc and T; and the guest OS's
 * threads that plugins list (plugin-host.h), after the vCPUs.
 */
#include "session.h"

static bool vcpu_of(struct session *s, int64_t tid, uint32_t *vcpu)
{
	if (tid < 1 || (uint64_t)tid > s->nr_vcpus)
		return false;
	*vcpu = (uint32_t)(tid - 1);
	return true;
}

void h_attached(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "1"); /* attached to an existing VM: detaching leaves it running */
}

const struct plugin_thread *plugin_thread_of(struct session *s, int64_t tid)
{
	if (!s->d->plugins || tid < PLUGIN_TID_BASE)
		return NULL;
	const struct plugin_thread *th = plugin_host_thread(s->d->plugins, (uint64_t)tid);
	return th && th->vcpu < 0 ? th : NULL;
}

/* The plugin thread running on vCPU v, if a plugin says one does. */
static const struct plugin_thread *running_on(struct session *s, uint32_t v)
{
	const GPtrArray *ths = s->d->plugins ? plugin_host_threads(s->d->plugins) : NULL;
	for (guint i = 0; ths && i < ths->len; i++) {
		const struct plugin_thread *th = g_ptr_array_index(ths, i);
		if (th->vcpu >= 0 && (uint32_t)th->vcpu == v)
			return th;
	}
	return NULL;
}

/* The list gdb asks for includes the plugins' threads: made current for
 * this stop first (asking the plugins, bounded in time). */
struct list_req {
	struct sref ref;
	void (*then)(struct session *s, const struct pkt_param *p);
	struct pkt_param p[2];
};

static void list_ready(void *ctx)
{
	struct list_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (s && s->busy) {
		r->then(s, r->p);
		finish(s);
	}
	g_free(r);
}

static void with_thread_list(struct session *s, const struct pkt_param *p,
			     void (*then)(struct session *s, const struct pkt_param *p))
{
	struct list_req *r = g_new0(struct list_req, 1);
	sref_init(&r->ref, s);
	r->then = then;
	if (p)
		memcpy(r->p, p, sizeof(r->p));
	if (s->d->plugins && !plugin_host_threads_refresh(s->d->plugins, list_ready, r))
		return;
	g_free(r);
	then(s, p);
	finish(s);
}

static void thread_info_first(struct session *s, const struct pkt_param *p)
{
	GString *r = g_string_new("m");
	for (uint32_t v = 0; v < s->nr_vcpus; v++)
		g_string_append_printf(r, "%s%" PRIx64, v ? "," : "", tid_of(v));
	const GPtrArray *ths = s->d->plugins ? plugin_host_threads(s->d->plugins) : NULL;
	for (guint i = 0; ths && i < ths->len; i++) {
		const struct plugin_thread *th = g_ptr_array_index(ths, i);
		if (th->vcpu < 0)
			g_string_append_printf(r, ",%" PRIx64, th->tid);
	}
	reply(s, r->str);
	g_string_free(r, TRUE);
}

void h_thread_info_first(void *ctx, const struct pkt_param *p)
{
	with_thread_list(ctx, NULL, thread_info_first);
}

void h_thread_info_next(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "l");
}

void h_current_thread(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	g_autofree char *r = g_strdup_printf("QC%" PRIx64, tid_of(s->last_vcpu));
	reply(s, r);
}

void h_thread_alive(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	reply(s, vcpu_of(s, p[0].tid, &v) || plugin_thread_of(s, p[0].tid) ? "OK" : "E01");
}

void h_thread_extra(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	const struct plugin_thread *th = plugin_thread_of(s, p[0].tid);
	g_autofree char *text = NULL;
	if (th) {
		text = g_strdup_printf("not running (plugin %s)", th->plugin);
	} else if (vcpu_of(s, p[0].tid, &v)) {
		const struct plugin_thread *on = running_on(s, v);
		text = g_strdup_printf("vCPU %u%s%s%s", v, on ? ", running " : "", on ? on->name : "",
				       target_guest_dead(s->t) ? ", guest dead" : "");
	} else {
		reply(s, "E01");
		return;
	}
	GString *r = g_string_new(NULL);
	rsp_put_hex(r, text, strlen(text));
	reply(s, r->str);
	g_string_free(r, TRUE);
}

void h_set_thread_g(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	if (p[0].tid == 0 || p[0].tid == -1) {
		reply(s, "OK"); /* any thread: keep the current one */
		return;
	}
	if (plugin_thread_of(s, p[0].tid)) {
		s->g_thread = (uint64_t)p[0].tid;  /* memory: through the vCPU before */
		reply(s, "OK");
		return;
	}
	if (!vcpu_of(s, p[0].tid, &v)) {
		reply(s, "E01");
		return;
	}
	s->g_vcpu = v;
	s->g_thread = 0;
	reply(s, "OK");
}

void h_set_thread_c(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	if (p[0].tid == 0 || p[0].tid == -1) {
		s->c_vcpu = -1;
		reply(s, "OK");
		return;
	}
	if (!vcpu_of(s, p[0].tid, &v)) {
		const struct plugin_thread *th = plugin_thread_of(s, p[0].tid);
		if (th)
			reply_error(s, "thread %s is not on a vCPU: only vCPU threads run", th->name);
		else
			reply(s, "E01");
		return;
	}
	s->c_vcpu = v;
	reply(s, "OK");
}

static void xfer_threads(struct session *s, const struct pkt_param *p)
{
	GString *x = g_string_new("<?xml version=\"1.0\"?>\n<threads>\n");
	for (uint32_t v = 0; v < s->nr_vcpus; v++) {
		const struct plugin_thread *on = running_on(s, v);
		g_autofree char *name = g_markup_printf_escaped(
			"vCPU %u%s%s%s", v, on ? ": " : "", on ? on->name : "",
			target_guest_dead(s->t) ? " (guest dead)" : "");
		g_string_append_printf(x, "  <thread id=\"%" PRIx64 "\" core=\"%u\" name=\"%s\"/>\n",
				       tid_of(v), v, name);
	}
	const GPtrArray *ths = s->d->plugins ? plugin_host_threads(s->d->plugins) : NULL;
	for (guint i = 0; ths && i < ths->len; i++) {
		const struct plugin_thread *th = g_ptr_array_index(ths, i);
		if (th->vcpu >= 0)
			continue;
		g_autofree char *name = g_markup_printf_escaped("%s", th->name);
		g_string_append_printf(x, "  <thread id=\"%" PRIx64 "\" name=\"%s\"/>\n", th->tid,
				       name);
	}
	g_string_append(x, "</threads>\n");
	xfer_reply(s, x->str, x->len, p[0].u, p[1].u);
	g_string_free(x, TRUE);
}

/* qXfer reads: "m" + chunk, or "l" + last chunk (gdb manual, "General
 * Query Packets"); the list is made afresh for the first chunk only. */
void h_xfer_threads(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	if (p[0].u == 0) {
		with_thread_list(s, p, xfer_threads);
	} else {
		xfer_threads(s, p);
		finish(s);
	}
}

/* g: every register of the Hg vCPU in one GET_REGS at most. */
