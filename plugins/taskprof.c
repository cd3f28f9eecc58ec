/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * taskprof.c - count the hits of breakpoints gdb never sees per task of
 * the guest kernel, with the tasks plugin's service (dbgproxyd-tasks.h).
 *
 *   monitor taskprof add [hw] ADDR   count hits at ADDR per task
 *   monitor taskprof show            the counts
 *   monitor taskprof clear           remove every breakpoint
 *
 * It loads before or after tasks (it starts counting per task when the
 * service comes up) and keeps counting when tasks unloads: a hit whose
 * task cannot be known is counted as "(unknown task)", with the reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dbgproxyd-tasks.h"

#define UNKNOWN "(unknown task)"

struct prof {
	uint32_t id;                 /* the breakpoint's */
	uint64_t addr;
	bool hw;
	uint64_t hits;
	GHashTable *per_task;        /* name -> uint64_t * */
};

struct ask {                     /* one current() under way */
	uint32_t bp;                 /* the prof's breakpoint id */
	uint32_t id;                 /* the service's request id */
};

static dbgp_plugin *me;
static GPtrArray *profs;         /* struct prof * */
static const struct dbgp_tasks_v1 *tasks;  /* NULL: the service is not there */
static uint32_t use_id;
static GPtrArray *asks;          /* struct ask * */
static char *why_unknown;        /* why the last unknown task was */

static void prof_free(void *data)
{
	struct prof *p = data;
	g_hash_table_destroy(p->per_task);
	g_free(p);
}

static struct prof *prof_by_id(uint32_t id)
{
	for (guint i = 0; i < profs->len; i++)
		if (((struct prof *)profs->pdata[i])->id == id)
			return profs->pdata[i];
	return NULL;
}

static void count(struct prof *p, const char *task)
{
	uint64_t *n = g_hash_table_lookup(p->per_task, task);
	if (!n) {
		n = g_new0(uint64_t, 1);
		g_hash_table_insert(p->per_task, g_strdup(task), n);
	}
	(*n)++;
}

static void unknown(struct prof *p, const char *why)
{
	count(p, UNKNOWN);
	g_free(why_unknown);
	why_unknown = g_strdup(why);
}

static void answered(void *ctx, uint32_t vcpu, const struct dbgp_task *task, const GError *err)
{
	struct ask *a = ctx;
	guint i;
	if (g_ptr_array_find(asks, a, &i))
		g_ptr_array_steal_index_fast(asks, i);
	struct prof *p = prof_by_id(a->bp);
	if (p) {
		if (task)
			count(p, task->name);
		else
			unknown(p, err ? err->message : "no answer");
	}
	g_free(a);
}

static void hit(void *ctx, const struct dbgp_stop *stop)
{
	struct prof *p = ctx;
	if (!g_ptr_array_find(profs, p, NULL))
		return;  /* cleared meanwhile */
	p->hits++;
	if (!tasks) {
		unknown(p, "the tasks service is not there (load the tasks plugin)");
		return;
	}
	struct ask *a = g_new0(struct ask, 1);
	a->bp = p->id;
	GError *err = NULL;
	a->id = tasks->current(stop->vcpu, answered, a, &err);
	if (!a->id) {
		unknown(p, err->message);
		g_error_free(err);
		g_free(a);
		return;
	}
	g_ptr_array_add(asks, a);
}

/* ---- the tasks service comes and goes --------------------------------------------------- */

static void svc_up(void *ctx, const void *table, uint32_t minor)
{
	tasks = table;
	dbgp_log(me, G_LOG_LEVEL_INFO, "counting per task (%s kernel)", tasks->profile());
}

static void svc_down(void *ctx)
{
	/* answers still due are never given: forget them */
	tasks = NULL;
	g_ptr_array_set_size(asks, 0);
	dbgp_log(me, G_LOG_LEVEL_INFO, "the tasks service went: hits count as %s", UNKNOWN);
}

static const struct dbgp_service_events svc_events = { .up = svc_up, .down = svc_down };

/* ---- monitor taskprof --------------------------------------------------------------------- */

static bool add(bool hw, const char *where, GString *out)
{
	char *end;
	errno = 0;
	uint64_t addr = strtoull(where, &end, 0);
	if (errno || *end || end == where) {
		g_string_append_printf(out, "taskprof: bad address '%s'\n", where);
		return false;
	}
	struct prof *p = g_new0(struct prof, 1);
	p->addr = addr;
	p->hw = hw;
	p->per_task = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GError *err = NULL;
	g_ptr_array_add(profs, p);
	p->id = dbgp_break_insert(me, hw ? DBGP_BREAK_HW : DBGP_BREAK_SW, addr, hit, p, NULL,
				  NULL, &err);
	if (!p->id) {
		g_string_append_printf(out, "taskprof: 0x%" PRIx64 ": %s\n", addr, err->message);
		g_error_free(err);
		g_ptr_array_remove(profs, p);
		return false;
	}
	g_string_append_printf(out, "taskprof: counting hits at 0x%" PRIx64 " per task\n", addr);
	return true;
}

static int by_count(const void *a, const void *b, void *table)
{
	uint64_t x = *(uint64_t *)g_hash_table_lookup(table, *(char *const *)a);
	uint64_t y = *(uint64_t *)g_hash_table_lookup(table, *(char *const *)b);
	return x < y ? 1 : x > y ? -1 : strcmp(*(char *const *)a, *(char *const *)b);
}

static void show(dbgp_cmd *cmd)
{
	if (!profs->len)
		dbgp_cmd_print(cmd, "taskprof: nothing counted (monitor taskprof add ADDR)\n");
	dbgp_cmd_print(cmd, "taskprof: tasks service %s\n",
		       tasks ? tasks->profile() : "absent (hits count as " UNKNOWN ")");
	for (guint i = 0; i < profs->len; i++) {
		struct prof *p = profs->pdata[i];
		dbgp_cmd_print(cmd, "0x%" PRIx64 "%s: %" PRIu64 " hits\n", p->addr, p->hw ? " (hw)" : "",
			       p->hits);
		guint n;
		g_autofree const char **names =
			(const char **)g_hash_table_get_keys_as_array(p->per_task, &n);
		g_qsort_with_data(names, (gint)n, sizeof(*names), by_count, p->per_task);
		for (guint j = 0; j < n; j++)
			dbgp_cmd_print(cmd, "  %10" PRIu64 "  %s\n",
				       *(uint64_t *)g_hash_table_lookup(p->per_task, names[j]),
				       names[j]);
	}
	if (why_unknown)
		dbgp_cmd_print(cmd, "last unknown task: %s\n", why_unknown);
}

static void clear(void)
{
	for (guint i = 0; i < profs->len; i++)
		dbgp_break_remove(me, ((struct prof *)profs->pdata[i])->id, NULL);
	g_ptr_array_set_size(profs, 0);
	g_clear_pointer(&why_unknown, g_free);
}

static void cmd_taskprof(void *ctx, dbgp_cmd *cmd, const char *args)
{
	g_auto(GStrv) w = dbgp_split_args(args);
	unsigned n = g_strv_length(w);
	g_autoptr(GString) out = g_string_new(NULL);
	if (n == 1 && strcmp(w[0], "show") == 0)
		show(cmd);
	else if (n == 1 && strcmp(w[0], "clear") == 0)
		clear(), g_string_append(out, "taskprof: cleared\n");
	else if (n == 2 && strcmp(w[0], "add") == 0)
		add(false, w[1], out);
	else if (n == 3 && strcmp(w[0], "add") == 0 && strcmp(w[1], "hw") == 0)
		add(true, w[2], out);
	else
		g_string_append(out, "usage: monitor taskprof add [hw] ADDR | show | clear\n");
	if (out->len)
		dbgp_cmd_print(cmd, "%s", out->str);
	dbgp_cmd_done(cmd);
}

/* ---- loading --------------------------------------------------------------------------------- */

static bool taskprof_init(dbgp_plugin *self, int argc, char **argv, GError **error)
{
	me = self;
	profs = g_ptr_array_new_with_free_func(prof_free);
	asks = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) out = g_string_new(NULL);
	for (int i = 0; i < argc; i++) {
		if (!add(false, argv[i], out)) {
			g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "%s", g_strchomp(out->str));
			goto fail;
		}
	}
	if (!dbgp_command_add(self, "taskprof", "breakpoint hits per task of the guest kernel",
			      cmd_taskprof, NULL, error))
		goto fail;
	use_id = dbgp_service_use(self, DBGP_TASKS_SERVICE, DBGP_TASKS_MAJOR, DBGP_TASKS_MINOR,
				  &svc_events, NULL, error);
	if (!use_id)
		goto fail;
	return true;
fail:
	g_clear_pointer(&profs, g_ptr_array_unref);
	g_clear_pointer(&asks, g_ptr_array_unref);
	return false;
}

static void taskprof_fini(dbgp_plugin *self)
{
	/* tasks is still up if we never heard down(): take back our questions */
	for (guint i = 0; tasks && i < asks->len; i++)
		tasks->cancel(((struct ask *)asks->pdata[i])->id);
	tasks = NULL;
	g_clear_pointer(&asks, g_ptr_array_unref);
	g_clear_pointer(&profs, g_ptr_array_unref);
	g_clear_pointer(&why_unknown, g_free);
}

DBGP_PLUGIN("taskprof", "1.0", "breakpoint hits per task, with the tasks service",
	    taskprof_init, taskprof_fini);
