/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * plugin-threads.c - threads of the guest's OS that plugins know
 * (dbgproxyd-plugin.h: dbgp_threads_*), as gdb threads (plugin-host.h).
 *
 * A plugin thread gets gdb id PLUGIN_TID_BASE + n the first time its
 * (plugin, key) is listed and keeps it while the daemon runs and its
 * plugin keeps listing it (a thread that went and comes back is new).  The list is
 * asked of every provider when gdb asks for it, at most once per stop
 * (target_runs), and made when all have answered or THREADS_TIMEOUT
 * passed.  Registers of a thread not on a vCPU are asked of its plugin at
 * each read (gdb caches them for the stop itself).
 *
 * A request (struct dbgp_threads) lives until its plugin calls
 * dbgp_threads_done or unloads; the host stops waiting for it earlier on
 * a timeout ("answered"), and what comes after is dropped.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "plugin-priv.h"

#define THREADS_TIMEOUT 1.5   /* as monitor commands: gdb's remote timeout is 2 s */
#define MAX_THREADS 65536     /* per list: a plugin walking a corrupt list stops somewhere */

enum treq_kind { TREQ_LIST, TREQ_REGS };

struct dbgp_threads {
	struct plugin_host *h;
	struct dbgp_plugin *p;        /* a reference */
	enum treq_kind kind;
	bool answered;                /* the host no longer waits for it */
	GPtrArray *found;             /* list: struct plugin_thread * */
	unsigned model;               /* regs: the description's CPU model */
	GHashTable *values;           /* regs: const struct reg_handle * -> GBytes * */
	plugin_regs_fn fn;
	void *ctx;
	ev_timer timeout_w;
};

struct list_waiter {
	plugin_threads_fn fn;
	void *ctx;
};

static void thread_free(void *data)
{
	struct plugin_thread *th = data;
	g_free(th->name);
	g_free(th->plugin);
	g_free(th);
}

static void treq_free(struct dbgp_threads *r)
{
	ev_timer_stop(r->h->loop, &r->timeout_w);
	g_ptr_array_remove(r->h->treqs, r);
	if (r->found)
		g_ptr_array_unref(r->found);
	if (r->values)
		g_hash_table_unref(r->values);
	plugin_unref(r->p);
	g_free(r);
}

/* ---- the list ------------------------------------------------------------------------------ */

static uint64_t tid_for(struct plugin_host *h, const char *plugin, uint64_t key)
{
	g_autofree char *k = g_strdup_printf("%s\n%" PRIx64, plugin, key);
	uint64_t *tid = g_hash_table_lookup(h->tids, k);
	if (!tid) {
		tid = g_new(uint64_t, 1);
		*tid = PLUGIN_TID_BASE + h->next_tid++;
		g_hash_table_insert(h->tids, g_steal_pointer(&k), tid);
	}
	return *tid;
}

/* Every provider answered, or time is up: the gathered list is the list. */
static void list_made(struct plugin_host *h)
{
	ev_timer_stop(h->loop, &h->list_timeout_w);
	for (guint i = 0; i < h->treqs->len; i++) {
		struct dbgp_threads *r = g_ptr_array_index(h->treqs, i);
		if (r->kind == TREQ_LIST && !r->answered) {
			r->answered = true;
			g_message("plugin %s did not list its threads in time: gdb gets the others",
				  r->p->name);
		}
	}
	g_ptr_array_unref(h->threads);
	h->threads = g_steal_pointer(&h->gathering);
	h->listed_runs = h->gathering_runs;
	h->listed = true;
	h->list_waiting = 0;
	g_autoptr(GArray) waiters = h->list_waiters;
	h->list_waiters = g_array_new(FALSE, FALSE, sizeof(struct list_waiter));
	for (guint i = 0; i < waiters->len; i++) {
		struct list_waiter *w = &g_array_index(waiters, struct list_waiter, i);
		w->fn(w->ctx);
	}
}

static void list_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct plugin_host *h = w->data;
	if (h->gathering)
		list_made(h);
}

/* Forget the ids of plugin's threads that are not in listed (they are
 * gone: the map stays as big as the threads there are). */
static void tids_prune(struct plugin_host *h, const char *plugin, GHashTable *listed)
{
	g_autofree char *prefix = g_strdup_printf("%s\n", plugin);
	GHashTableIter it;
	void *k;
	g_hash_table_iter_init(&it, h->tids);
	while (g_hash_table_iter_next(&it, &k, NULL))
		if (g_str_has_prefix(k, prefix) && !g_hash_table_contains(listed, k))
			g_hash_table_iter_remove(&it);
}

/* One provider's answer joins the list being made. */
static void list_answer(struct plugin_host *h, struct dbgp_threads *r)
{
	r->answered = true;
	g_autoptr(GHashTable) listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < r->found->len; i++) {
		struct plugin_thread *th = g_ptr_array_index(r->found, i);
		th->tid = tid_for(h, th->plugin, th->key);
		g_hash_table_add(listed, g_strdup_printf("%s\n%" PRIx64, th->plugin, th->key));
		g_ptr_array_add(h->gathering, th);
	}
	tids_prune(h, r->p->name, listed);
	g_ptr_array_set_free_func(r->found, NULL);
	g_ptr_array_set_size(r->found, 0);
	g_ptr_array_set_free_func(r->found, thread_free);
	if (--h->list_waiting == 0)
		list_made(h);
}

bool plugin_host_threads_refresh(struct plugin_host *h, plugin_threads_fn fn, void *ctx)
{
	struct target *t = h->t;
	uint64_t runs = target_runs(t);
	if (h->gathering) {
		struct list_waiter w = { fn, ctx };
		g_array_append_val(h->list_waiters, w);
		return false;
	}
	if (h->listed && h->listed_runs == runs)
		return true;
	const char *why;
	if (!target_ready(t, &why) || target_state(t) != TGT_STOPPED)
		return true;  /* nothing can be read now: the last list stands */
	g_autoptr(GPtrArray) providers = g_ptr_array_new_with_free_func((GDestroyNotify)plugin_unref);
	for (guint i = 0; i < h->plugins->len; i++) {
		struct dbgp_plugin *p = g_ptr_array_index(h->plugins, i);
		if (plugin_active(p) && p->provides_threads && p->tops.list)
			g_ptr_array_add(providers, plugin_ref(p));
	}
	h->gathering = g_ptr_array_new_with_free_func(thread_free);
	h->gathering_runs = runs;
	h->list_waiting = providers->len + 1;  /* + 1: this call, until every ask went out */
	ev_timer_set(&h->list_timeout_w, THREADS_TIMEOUT, 0);
	ev_timer_start(h->loop, &h->list_timeout_w);
	for (guint i = 0; i < providers->len && h->gathering; i++) {
		struct dbgp_plugin *p = g_ptr_array_index(providers, i);
		struct dbgp_threads *r = g_new0(struct dbgp_threads, 1);
		*r = (struct dbgp_threads){ .h = h, .p = plugin_ref(p), .kind = TREQ_LIST };
		r->found = g_ptr_array_new_with_free_func(thread_free);
		ev_init(&r->timeout_w, NULL);
		g_ptr_array_add(h->treqs, r);
		if (plugin_enter(p)) {
			p->tops.list(p->tops_ctx, r);
			plugin_leave(p);
		} else {
			/* closing meanwhile: it answers nothing, and nothing holds r */
			if (!r->answered)
				list_answer(h, r);
			treq_free(r);
		}
	}
	if (!h->gathering) {
		/* cannot be: list_made needs this call's own count */
		return true;
	}
	if (--h->list_waiting == 0) {
		list_made(h);
		return true;
	}
	struct list_waiter w = { fn, ctx };
	g_array_append_val(h->list_waiters, w);
	return false;
}

const GPtrArray *plugin_host_threads(const struct plugin_host *h)
{
	return h->threads;
}

const struct plugin_thread *plugin_host_thread(const struct plugin_host *h, uint64_t tid)
{
	for (guint i = 0; i < h->threads->len; i++) {
		const struct plugin_thread *th = g_ptr_array_index(h->threads, i);
		if (th->tid == tid)
			return th;
	}
	return NULL;
}

/* ---- registers --------------------------------------------------------------------------------- */

static void regs_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dbgp_threads *r = w->data;
	r->answered = true;
	g_autoptr(GError) err = g_error_new(DBGP_ERROR, DBGP_E_NOT_READY,
					    "plugin %s did not give the thread's registers in time",
					    r->p->name);
	r->fn(r->ctx, NULL, err);
}

bool plugin_host_thread_regs(struct plugin_host *h, uint64_t tid, unsigned model,
			     plugin_regs_fn fn, void *ctx, GError **error)
{
	const struct plugin_thread *th = plugin_host_thread(h, tid);
	struct dbgp_plugin *p = NULL;
	for (guint i = 0; th && i < h->plugins->len && !p; i++) {
		struct dbgp_plugin *q = g_ptr_array_index(h->plugins, i);
		if (strcmp(q->name, th->plugin) == 0 && plugin_active(q) && q->provides_threads)
			p = q;
	}
	if (!p || !p->tops.regs) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "no registers for thread %" PRIu64 "%s%s",
			    tid, th ? ": plugin " : "", th ? th->plugin : "");
		return false;
	}
	struct dbgp_threads *r = g_new0(struct dbgp_threads, 1);
	*r = (struct dbgp_threads){ .h = h, .p = plugin_ref(p), .kind = TREQ_REGS, .model = model,
				    .fn = fn, .ctx = ctx };
	r->values = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					  (GDestroyNotify)g_bytes_unref);
	ev_timer_init(&r->timeout_w, regs_timeout, THREADS_TIMEOUT, 0);
	r->timeout_w.data = r;
	ev_timer_start(h->loop, &r->timeout_w);
	g_ptr_array_add(h->treqs, r);
	if (plugin_enter(p)) {
		p->tops.regs(p->tops_ctx, th->key, r);
		plugin_leave(p);
	}
	return true;
}

/* ---- the plugin's side ------------------------------------------------------------------------ */

bool dbgp_threads_provide(dbgp_plugin *p, const struct dbgp_thread_ops *ops, void *ctx,
			  GError **error)
{
	if (ops && !ops->list) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "a thread provider needs list()");
		return false;
	}
	p->provides_threads = ops != NULL;
	memset(&p->tops, 0, sizeof(p->tops));
	if (ops)
		p->tops = *ops;
	p->tops_ctx = ctx;
	p->h->listed = false;  /* asked again at gdb's next look */
	return true;
}

void dbgp_threads_add(dbgp_threads *r, uint64_t key, const char *name, int vcpu)
{
	if (!r || r->kind != TREQ_LIST || r->answered || r->found->len >= MAX_THREADS)
		return;
	for (guint i = 0; i < r->found->len; i++) {
		struct plugin_thread *o = g_ptr_array_index(r->found, i);
		if (o->key == key) {
			dbgp_log(r->p, G_LOG_LEVEL_WARNING, "thread key 0x%" PRIx64 " listed twice",
				 key);
			return;
		}
	}
	struct plugin_thread *th = g_new0(struct plugin_thread, 1);
	th->key = key;
	th->name = name && *name ? g_utf8_make_valid(name, -1)
				 : g_strdup_printf("thread 0x%" PRIx64, key);
	th->vcpu = vcpu >= 0 && (uint32_t)vcpu < target_nr_vcpus(r->h->t) ? vcpu : -1;
	th->plugin = g_strdup(r->p->name);
	g_ptr_array_add(r->found, th);
}

bool dbgp_threads_reg(dbgp_threads *r, const dbgp_reg *creg, const void *value, GError **error)
{
	if (!r || r->kind != TREQ_REGS || !creg || !value) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "dbgp_threads_reg: a registers request, a handle and a value");
		return false;
	}
	struct dbgp_reg *reg = (struct dbgp_reg *)creg;
	if (reg->p != r->p) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "register handle of another plugin");
		return false;
	}
	if (reg->model != r->model) {
		g_set_error(error, DBGP_ERROR, DBGP_E_MODEL,
			    "register '%s' is CPU model %u's; gdb's description here is model %u's",
			    reg->name, reg->model, r->model);
		return false;
	}
	const struct reg_handle *h = plugin_reg_resolve(reg, error);
	if (!h)
		return false;
	if (!r->answered)
		g_hash_table_insert(r->values, (void *)h, g_bytes_new(value, reg->bits / 8));
	return true;
}

void dbgp_threads_done(dbgp_threads *r)
{
	if (!r)
		return;
	if (!r->answered) {
		if (r->kind == TREQ_LIST) {
			list_answer(r->h, r);
		} else {
			r->answered = true;
			ev_timer_stop(r->h->loop, &r->timeout_w);
			r->fn(r->ctx, r->values, NULL);
		}
	}
	treq_free(r);
}

/* ---- the host -------------------------------------------------------------------------------- */

void plugin_threads_drop(struct plugin_host *h, struct dbgp_plugin *p)
{
	p->provides_threads = false;
	for (guint i = h->treqs->len; i-- > 0;) {
		if (i >= h->treqs->len)
			continue;  /* an answer below made others go */
		struct dbgp_threads *r = g_ptr_array_index(h->treqs, i);
		if (r->p != p)
			continue;
		if (!r->answered && r->kind == TREQ_LIST) {
			list_answer(h, r);
		} else if (!r->answered) {
			r->answered = true;
			ev_timer_stop(h->loop, &r->timeout_w);
			g_autoptr(GError) err = g_error_new(DBGP_ERROR, DBGP_E_INVAL,
							    "plugin %s was unloaded", p->name);
			r->fn(r->ctx, NULL, err);
		}
		treq_free(r);
	}
	g_autoptr(GHashTable) none = g_hash_table_new(g_str_hash, g_str_equal);
	tids_prune(h, p->name, none);
	bool had = false;
	for (guint i = h->threads->len; i-- > 0;) {
		struct plugin_thread *th = g_ptr_array_index(h->threads, i);
		if (strcmp(th->plugin, p->name) == 0) {
			g_ptr_array_remove_index(h->threads, i);
			had = true;
		}
	}
	if (had)
		h->listed = false;
}

void plugin_threads_init(struct plugin_host *h)
{
	h->threads = g_ptr_array_new_with_free_func(thread_free);
	h->tids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	h->list_waiters = g_array_new(FALSE, FALSE, sizeof(struct list_waiter));
	h->treqs = g_ptr_array_new();
	ev_timer_init(&h->list_timeout_w, list_timeout, THREADS_TIMEOUT, 0);
	h->list_timeout_w.data = h;
}

void plugin_threads_free(struct plugin_host *h)
{
	/* every plugin is unloaded: no request is left */
	ev_timer_stop(h->loop, &h->list_timeout_w);
	if (h->gathering)
		g_ptr_array_unref(h->gathering);
	g_ptr_array_unref(h->threads);
	g_hash_table_unref(h->tids);
	g_array_unref(h->list_waiters);
	g_ptr_array_unref(h->treqs);
}
