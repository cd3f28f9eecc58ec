/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * walk.c - read a kernel's task and thread lists out of guest memory, one
 * object per read, on the daemon's loop: the per-CPU array of running
 * threads, the tasks list's head, then every task and, after each task,
 * every thread of its list.  A list that visits an element twice, or more
 * than KWALK_MAX_THREADS of them, or holds a null link, is reported as
 * corrupt instead of being followed for ever.
 */
#include <inttypes.h>
#include <string.h>

#include "tasks.h"

#define WALK_MAX_CPUS 64

static GPtrArray *live;          /* walks under way (struct walk *) */

struct walk {
	dbgp_plugin *self;
	const struct klayout *l;
	kwalk_fn fn;
	void *ctx;
	GArray *threads;             /* struct kthread */
	GHashTable *seen;            /* element addresses (uint64_t *) */
	uint64_t cur[WALK_MAX_CPUS]; /* what runs on each vCPU */
	unsigned ncur;
	uint64_t reading;            /* the element being read */
	uint64_t task;               /* the task whose threads are being read */
	char task_name[64];
	uint64_t task_next;          /* its link to the next task */
	uint64_t thread_head;        /* its threads list's head */
	unsigned index;
	struct kthread kt;           /* the thread whose saved state is being read */
	uint64_t kt_next;            /* and its link to the next */
};

static uint64_t word(const struct walk *w, const uint8_t *p)
{
	uint64_t v = 0;
	memcpy(&v, p, w->l->ptr);    /* little-endian guests */
	return GUINT64_FROM_LE(v);
}

static void walk_free(struct walk *w)
{
	g_array_unref(w->threads);
	g_hash_table_destroy(w->seen);
	g_free(w);
}

static void finish(struct walk *w, const char *why)
{
	g_ptr_array_remove_fast(live, w);
	if (why) {
		GError *err = g_error_new(DBGP_ERROR, DBGP_E_VM, "%s", why);
		w->fn(w->ctx, NULL, err);
		g_error_free(err);
	} else {
		w->fn(w->ctx, w->threads, NULL);
	}
	walk_free(w);
}

static void read_at(struct walk *w, uint64_t addr, size_t len, dbgp_mem_fn fn)
{
	GError *err = NULL;
	w->reading = addr;
	if (!dbgp_mem_read(w->self, 0, addr, len, fn, w, &err)) {
		g_autofree char *why = g_strdup_printf("reading 0x%" PRIx64 ": %s", addr, err->message);
		g_error_free(err);
		finish(w, why);
	}
}

/* false (and the walk is over) when the read failed or came back short */
static bool read_ok(struct walk *w, size_t want, size_t got, const GError *err)
{
	if (!err && got >= want)
		return true;
	g_autofree char *why = g_strdup_printf("reading %zu bytes at 0x%" PRIx64 ": %s", want,
					       w->reading,
					       err ? err->message : "only part of it is mapped");
	finish(w, why);
	return false;
}

/* The element behind link, once: false (and the walk is over) if the
 * list is corrupt. */
static bool visit(struct walk *w, uint64_t link, uint64_t link_off, uint64_t *elem)
{
	if (link == 0) {
		finish(w, "a null link in a kernel list");
		return false;
	}
	*elem = w->l->p->links == KLINKS_TO_ELEMENT ? link : link - link_off;
	if (g_hash_table_size(w->seen) >= KWALK_MAX_THREADS) {
		finish(w, "more than " G_STRINGIFY(KWALK_MAX_THREADS)
			  " tasks and threads: a corrupt list?");
		return false;
	}
	if (!g_hash_table_add(w->seen, g_memdup2(elem, sizeof(*elem)))) {
		g_autofree char *why =
			g_strdup_printf("the element at 0x%" PRIx64 " is in a list twice", *elem);
		finish(w, why);
		return false;
	}
	return true;
}

static void task_read(void *ctx, const uint8_t *data, size_t n, const GError *err);
static void thread_read(void *ctx, const uint8_t *data, size_t n, const GError *err);
static void state_read(void *ctx, const uint8_t *data, size_t n, const GError *err);

static void next_task(struct walk *w, uint64_t link)
{
	uint64_t t;
	if (link == w->l->tasks_head)
		finish(w, NULL);
	else if (visit(w, link, w->l->task_link, &t))
		read_at(w, t, w->l->task_size, task_read);
}

static void next_thread(struct walk *w, uint64_t link)
{
	uint64_t t;
	if (link == w->thread_head)
		next_task(w, w->task_next);
	else if (visit(w, link, w->l->thread_link, &t))
		read_at(w, t, w->l->thread_size, thread_read);
}

static void task_read(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct walk *w = ctx;
	const struct klayout *l = w->l;
	if (!read_ok(w, l->task_size, n, err))
		return;
	w->task = w->reading;
	size_t len = MIN(l->task_name_len, sizeof(w->task_name) - 1);
	memcpy(w->task_name, data + l->task_name, len);
	w->task_name[len] = 0;
	if (!w->task_name[0] || !g_utf8_validate(w->task_name, -1, NULL))
		g_snprintf(w->task_name, sizeof(w->task_name), "task@0x%" PRIx64, w->task);
	w->task_next = word(w, data + l->task_link);
	w->thread_head = w->task + l->task_threads;
	w->index = 0;
	next_thread(w, word(w, data + l->task_threads));
}

static void thread_read(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct walk *w = ctx;
	const struct klayout *l = w->l;
	if (!read_ok(w, l->thread_size, n, err))
		return;
	struct kthread kt = {
		.addr = w->reading,
		.task = w->task,
		.index = w->index++,
		.stack = l->p->state_at == KSTATE_STACK_TOP ? word(w, data + l->thread_stack) : 0,
		.resume = l->has_resume ? word(w, data + l->thread_resume) : 0,
		.vcpu = -1,
	};
	g_strlcpy(kt.task_name, w->task_name, sizeof(kt.task_name));
	for (unsigned i = 0; i < w->ncur; i++)
		if (w->cur[i] == kt.addr)
			kt.vcpu = (int)i;
	uint64_t next = word(w, data + l->thread_link);
	if (l->has_start && kt.stack && kt.vcpu < 0) {
		/* has it ever run?  its saved state says */
		w->kt = kt;
		w->kt_next = next;
		read_at(w, kt.stack + l->p->stack_size - l->state_size, l->state_size, state_read);
		return;
	}
	g_array_append_val(w->threads, kt);
	next_thread(w, next);
}

static void state_read(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct walk *w = ctx;
	const struct klayout *l = w->l;
	if (!read_ok(w, l->state_size, n, err))
		return;
	if (word(w, data + l->pc_off) == l->start_pc)
		w->kt.start = word(w, data + l->start_off);
	g_array_append_val(w->threads, w->kt);
	next_thread(w, w->kt_next);
}

static void head_read(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct walk *w = ctx;
	if (read_ok(w, w->l->ptr, n, err))
		next_task(w, word(w, data));
}

static void current_read(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct walk *w = ctx;
	if (!read_ok(w, (size_t)w->ncur * w->l->ptr, n, err))
		return;
	for (unsigned i = 0; i < w->ncur; i++)
		w->cur[i] = word(w, data + (size_t)i * w->l->ptr);
	read_at(w, w->l->tasks_head, w->l->ptr, head_read);
}

bool kwalk_start(dbgp_plugin *self, const struct klayout *l, uint32_t nvcpus, kwalk_fn fn,
		 void *ctx, GError **error)
{
	struct walk *w = g_new0(struct walk, 1);
	w->self = self;
	w->l = l;
	w->fn = fn;
	w->ctx = ctx;
	w->threads = g_array_new(FALSE, TRUE, sizeof(struct kthread));
	w->seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	w->ncur = MIN(MIN(l->ncurrent, nvcpus), WALK_MAX_CPUS);
	w->reading = l->current;
	GError *err = NULL;
	bool ok = w->ncur
		? dbgp_mem_read(self, 0, l->current, (size_t)w->ncur * l->ptr, current_read, w, &err)
		: dbgp_mem_read(self, 0, l->tasks_head, l->ptr, head_read, w, &err);
	if (!ok) {
		g_propagate_error(error, err);
		walk_free(w);
		return false;
	}
	if (!live)
		live = g_ptr_array_new();
	g_ptr_array_add(live, w);
	return true;
}

void kwalk_drop_all(void)
{
	if (!live)
		return;
	/* their reads' callbacks never run once the plugin is gone */
	for (guint i = 0; i < live->len; i++)
		walk_free(live->pdata[i]);
	g_clear_pointer(&live, g_ptr_array_unref);
}
