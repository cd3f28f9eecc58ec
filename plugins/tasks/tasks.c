/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * tasks.c - OS awareness for a guest kernel: its threads as gdb threads
 * (`info threads`, `thread N`, `bt` of a thread that is not running, from
 * the registers the kernel saved when it switched the thread out), a
 * `monitor tasks` listing, and the "tasks" service (dbgproxyd-tasks.h)
 * for other plugins.
 *
 *   --plugin tasks:kernel=PATH[,os=NAME]
 *
 * PATH is the kernel's ELF with its DWARF (e.g. GNU Mach's -dbg image):
 * the structure layouts come from it, the profile (profiles.c) says only
 * which structures and symbols to use.
 */
#include <inttypes.h>
#include <string.h>

#include "dbgproxyd-tasks.h"
#include "tasks.h"

static dbgp_plugin *me;
static struct kdwarf *kernel;
static struct klayout layout;
static GArray *last;             /* struct kthread of the last listing */
static GHashTable *pending;      /* id -> struct pending: reads whose answer is due */
static uint32_t next_id;
static bool arch_warned;

/* What a read under way answers (its callback's ctx is the id: after a
 * cancel or at unload, a late callback finds nothing). */
enum pending_kind { P_REGS, P_CURRENT_THREAD, P_CURRENT_TASK, P_CURRENT_NAME };
struct pending {
	enum pending_kind kind;
	dbgp_threads *req;           /* P_REGS */
	uint32_t vcpu;               /* P_CURRENT_* */
	dbgp_task_fn fn;
	void *ctx;
	uint64_t thread, task;
};

static uint32_t pending_add(struct pending *p)
{
	if (++next_id == 0)
		next_id = 1;
	g_hash_table_insert(pending, GUINT_TO_POINTER(next_id), p);
	return next_id;
}

/* The pending read id, taken out of the table (NULL: cancelled). */
static struct pending *pending_take(void *ctx)
{
	struct pending *p = g_hash_table_lookup(pending, ctx);
	if (p)
		g_hash_table_steal(pending, ctx);
	return p;
}

static uint64_t le(const uint8_t *p, uint64_t size)
{
	uint64_t v = 0;
	memcpy(&v, p, MIN(size, sizeof(v)));
	return GUINT64_FROM_LE(v);
}

/* TASK/N, and for one that waits without a stack or never ran, where it
 * will go on */
static char *thread_name(const struct kthread *t)
{
	const char *fn;
	if (t->stack == 0 && t->resume && (fn = kdwarf_addr_name(kernel, t->resume)))
		return g_strdup_printf("%s/%u (resumes in %s)", t->task_name, t->index, fn);
	if (t->start && (fn = kdwarf_addr_name(kernel, t->start)))
		return g_strdup_printf("%s/%u (starts in %s)", t->task_name, t->index, fn);
	return g_strdup_printf("%s/%u", t->task_name, t->index);
}

static const struct kthread *find_thread(uint64_t addr)
{
	for (guint i = 0; last && i < last->len; i++)
		if (g_array_index(last, struct kthread, i).addr == addr)
			return &g_array_index(last, struct kthread, i);
	return NULL;
}

/* ---- gdb's threads ------------------------------------------------------------------------- */

static void listed(void *ctx, GArray *threads, const GError *err)
{
	dbgp_threads *req = ctx;
	if (err) {
		dbgp_log(me, G_LOG_LEVEL_WARNING, "cannot list the %s kernel's threads: %s",
			 layout.p->name, err->message);
		dbgp_threads_done(req);
		return;
	}
	g_clear_pointer(&last, g_array_unref);
	last = g_array_ref(threads);
	for (guint i = 0; i < threads->len; i++) {
		const struct kthread *t = &g_array_index(threads, struct kthread, i);
		g_autofree char *name = thread_name(t);
		dbgp_threads_add(req, t->addr, name, t->vcpu);
	}
	dbgp_threads_done(req);
}

static void list(void *ctx, dbgp_threads *req)
{
	GError *err = NULL;
	if (!kwalk_start(me, &layout, dbgp_vcpu_count(me), listed, req, &err)) {
		dbgp_log(me, G_LOG_LEVEL_WARNING, "cannot list threads: %s", err->message);
		g_error_free(err);
		dbgp_threads_done(req);
	}
}

/* Give register i of the profile, value v, to gdb. */
static void give(dbgp_threads *req, const char *name, uint64_t v)
{
	GError *err = NULL;
	const dbgp_reg *r = dbgp_reg_lookup(me, 0, name, &err);
	if (!r) {
		dbgp_log(me, G_LOG_LEVEL_DEBUG, "no register %s: %s", name, err->message);
		g_error_free(err);
		return;
	}
	uint8_t buf[256] = { 0 };
	unsigned bytes = dbgp_reg_bits(r) / 8;
	if (bytes > sizeof(buf))
		return;
	uint64_t l = GUINT64_TO_LE(v);
	memcpy(buf, &l, MIN(bytes, sizeof(l)));
	if (!dbgp_threads_reg(req, r, buf, &err)) {
		dbgp_log(me, G_LOG_LEVEL_DEBUG, "register %s: %s", name, err->message);
		g_error_free(err);
	}
}

static void state_read(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct pending *p = pending_take(ctx);
	if (!p)
		return;
	if (err || n < layout.state_size)
		dbgp_log(me, G_LOG_LEVEL_WARNING, "cannot read a thread's saved registers: %s",
			 err ? err->message : "short read");
	else
		for (unsigned i = 0; i < layout.nregs; i++)
			give(p->req, layout.p->regs[i].reg,
			     le(data + layout.reg_off[i], layout.reg_size[i]));
	dbgp_threads_done(p->req);
	g_free(p);
}

static void regs(void *ctx, uint64_t key, dbgp_threads *req)
{
	const struct kthread *t = find_thread(key);
	const char *arch = dbgp_arch(me);
	if (!t || !arch || strcmp(arch, layout.p->arch) != 0) {
		if (t && arch && !arch_warned) {
			dbgp_log(me, G_LOG_LEVEL_WARNING,
				 "gdb debugs %s, the %s profile's saved registers are %s's", arch,
				 layout.p->name, layout.p->arch);
			arch_warned = true;
		}
		dbgp_threads_done(req);
		return;
	}
	uint64_t at;
	if (layout.p->state_at == KSTATE_MEMBER) {
		at = t->addr + layout.thread_state;
	} else if (t->stack) {
		at = t->stack + layout.p->stack_size - layout.state_size;
	} else {
		/* no stack: all there is is where it will resume */
		if (t->resume)
			give(req, layout.p->pc_reg, t->resume);
		dbgp_threads_done(req);
		return;
	}
	struct pending *p = g_new0(struct pending, 1);
	p->kind = P_REGS;
	p->req = req;
	uint32_t id = pending_add(p);
	GError *err = NULL;
	if (!dbgp_mem_read(me, 0, at, layout.state_size, state_read, GUINT_TO_POINTER(id), &err)) {
		dbgp_log(me, G_LOG_LEVEL_WARNING, "cannot read a thread's saved registers: %s",
			 err->message);
		g_error_free(err);
		g_hash_table_remove(pending, GUINT_TO_POINTER(id));
		dbgp_threads_done(req);
	}
}

/* ---- the service ---------------------------------------------------------------------------- */

static void current_step(uint32_t id, struct pending *p, uint64_t addr, size_t len);

static void current_fail(struct pending *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void current_fail(struct pending *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	GError *err = g_error_new_literal(DBGP_ERROR, DBGP_E_VM, msg);
	p->fn(p->ctx, p->vcpu, NULL, err);
	g_error_free(err);
	g_free(p);
}

static void current_read(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct pending *p = pending_take(ctx);
	if (!p)
		return;
	size_t want = p->kind == P_CURRENT_NAME ? layout.task_name_len : layout.ptr;
	if (err || n < want) {
		current_fail(p, "vCPU %u's task: %s", p->vcpu, err ? err->message : "short read");
		return;
	}
	uint32_t id = GPOINTER_TO_UINT(ctx);
	switch (p->kind) {
	case P_CURRENT_THREAD:
		p->thread = le(data, layout.ptr);
		if (!p->thread) {
			current_fail(p, "nothing runs on vCPU %u", p->vcpu);
			return;
		}
		p->kind = P_CURRENT_TASK;
		current_step(id, p, p->thread + layout.thread_task, layout.ptr);
		return;
	case P_CURRENT_TASK:
		p->task = le(data, layout.ptr);
		p->kind = P_CURRENT_NAME;
		current_step(id, p, p->task + layout.task_name, layout.task_name_len);
		return;
	default: {
		g_autofree char *name = g_strndup((const char *)data, MIN(n, 63));
		if (!g_utf8_validate(name, -1, NULL))
			name[0] = 0;
		struct dbgp_task task = { p->task, name, p->thread };
		p->fn(p->ctx, p->vcpu, &task, NULL);
		g_free(p);
	}
	}
}

/* Read the next thing current() needs, under the same id. */
static void current_step(uint32_t id, struct pending *p, uint64_t addr, size_t len)
{
	GError *err = NULL;
	g_hash_table_insert(pending, GUINT_TO_POINTER(id), p);
	if (dbgp_mem_read(me, p->vcpu, addr, len, current_read, GUINT_TO_POINTER(id), &err))
		return;
	g_hash_table_steal(pending, GUINT_TO_POINTER(id));
	current_fail(p, "vCPU %u's task: %s", p->vcpu, err->message);
	g_error_free(err);
}

static uint32_t svc_current(uint32_t vcpu, dbgp_task_fn fn, void *ctx, GError **error)
{
	if (vcpu >= layout.ncurrent || vcpu >= dbgp_vcpu_count(me)) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "vCPU %u: the kernel keeps %u CPUs' current threads", vcpu,
			    layout.ncurrent);
		return 0;
	}
	struct pending *p = g_new0(struct pending, 1);
	p->kind = P_CURRENT_THREAD;
	p->vcpu = vcpu;
	p->fn = fn;
	p->ctx = ctx;
	uint32_t id = pending_add(p);
	GError *err = NULL;
	if (!dbgp_mem_read(me, vcpu, layout.current + (uint64_t)vcpu * layout.ptr, layout.ptr,
			   current_read, GUINT_TO_POINTER(id), &err)) {
		g_hash_table_remove(pending, GUINT_TO_POINTER(id));
		g_propagate_error(error, err);
		return 0;
	}
	return id;
}

static void svc_cancel(uint32_t id)
{
	struct pending *p = g_hash_table_lookup(pending, GUINT_TO_POINTER(id));
	if (p && p->kind != P_REGS)
		g_hash_table_remove(pending, GUINT_TO_POINTER(id));
}

static unsigned svc_foreach(void (*fn)(void *ctx, const struct dbgp_task *task), void *ctx)
{
	unsigned n = 0;
	for (guint i = 0; last && i < last->len; i++) {
		const struct kthread *t = &g_array_index(last, struct kthread, i);
		if (t->index != 0)
			continue;  /* a task once, at its first thread */
		struct dbgp_task task = { t->task, t->task_name, t->addr };
		fn(ctx, &task);
		n++;
	}
	return n;
}

static const char *svc_profile(void)
{
	return layout.p->name;
}

static const struct dbgp_tasks_v1 service = {
	.current = svc_current,
	.cancel = svc_cancel,
	.foreach = svc_foreach,
	.profile = svc_profile,
};

/* ---- monitor tasks ------------------------------------------------------------------------- */

static void shown(void *ctx, GArray *threads, const GError *err)
{
	dbgp_cmd *cmd = ctx;
	if (err) {
		dbgp_cmd_print(cmd, "tasks: cannot list the kernel's threads: %s\n", err->message);
		dbgp_cmd_done(cmd);
		return;
	}
	g_clear_pointer(&last, g_array_unref);
	last = g_array_ref(threads);
	dbgp_cmd_print(cmd, "%u threads (%s profile):\n", threads->len, layout.p->name);
	for (guint i = 0; i < threads->len; i++) {
		const struct kthread *t = &g_array_index(threads, struct kthread, i);
		g_autofree char *name = thread_name(t);
		g_autofree char *where = t->vcpu >= 0 ? g_strdup_printf("on vCPU %d", t->vcpu)
				       : t->start ? g_strdup("never ran")
				       : t->stack || layout.p->state_at == KSTATE_MEMBER
					       ? g_strdup("switched out")
					       : g_strdup("no stack");
		dbgp_cmd_print(cmd, "  thread 0x%" PRIx64 "  %-32s %s\n", t->addr, name, where);
	}
	dbgp_cmd_done(cmd);
}

static void print_field(dbgp_cmd *cmd, const struct kfield *f, uint64_t off)
{
	if (f->type)
		dbgp_cmd_print(cmd, "  (long)&((struct %s *)0)->%s = %" PRIu64 "\n", f->type,
			       f->member, off);
}

/* What the profile resolved to, as C expressions and their values (a
 * test has gdb evaluate each on the same ELF). */
static void print_layout(dbgp_cmd *cmd)
{
	const struct kprofile *p = layout.p;
	const struct klayout *l = &layout;
	dbgp_cmd_print(cmd, "%s profile, %u-byte pointers:\n", p->name, l->ptr);
	uint64_t head_off = l->tasks_head;
	if (p->tasks_head.type) {
		uint64_t sym;
		kdwarf_symbol(kernel, p->tasks_sym, &sym, NULL);
		head_off -= sym;
		print_field(cmd, &p->tasks_head, head_off);
	}
	dbgp_cmd_print(cmd, "  (long)&%s = 0x%" PRIx64 "\n", p->tasks_sym, l->tasks_head - head_off);
	dbgp_cmd_print(cmd, "  (long)&%s = 0x%" PRIx64 "\n", p->current_sym, l->current);
	dbgp_cmd_print(cmd, "  sizeof(%s) = %" PRIu64 "\n", p->current_sym,
		       (uint64_t)l->ncurrent * l->ptr);
	dbgp_cmd_print(cmd, "  sizeof(struct %s) = %" PRIu64 "\n", p->task_link.type, l->task_size);
	print_field(cmd, &p->task_link, l->task_link);
	print_field(cmd, &p->task_name, l->task_name);
	dbgp_cmd_print(cmd, "  sizeof(((struct %s *)0)->%s) = %" PRIu64 "\n", p->task_name.type,
		       p->task_name.member, l->task_name_len);
	print_field(cmd, &p->task_threads, l->task_threads);
	dbgp_cmd_print(cmd, "  sizeof(struct %s) = %" PRIu64 "\n", p->thread_link.type,
		       l->thread_size);
	print_field(cmd, &p->thread_link, l->thread_link);
	print_field(cmd, &p->thread_task, l->thread_task);
	if (p->state_at == KSTATE_STACK_TOP)
		print_field(cmd, &p->thread_stack, l->thread_stack);
	else
		print_field(cmd, &p->thread_state, l->thread_state);
	if (l->has_resume)
		print_field(cmd, &p->thread_resume, l->thread_resume);
	dbgp_cmd_print(cmd, "  sizeof(struct %s) = %" PRIu64 "\n", p->state_type, l->state_size);
	if (l->has_start) {
		dbgp_cmd_print(cmd, "  (long)&%s = 0x%" PRIx64 "\n", p->start_sym, l->start_pc);
		struct kfield f = { p->state_type, p->start_member };
		print_field(cmd, &f, l->start_off);
	}
	for (unsigned i = 0; i < l->nregs; i++) {
		struct kfield f = { p->state_type, p->regs[i].member };
		print_field(cmd, &f, l->reg_off[i]);
	}
}

static void cmd_tasks(void *ctx, dbgp_cmd *cmd, const char *args)
{
	GError *err = NULL;
	if (args && strcmp(args, "layout") == 0) {
		print_layout(cmd);
	} else if (args && *args) {
		dbgp_cmd_print(cmd, "usage: monitor tasks [layout]\n");
	} else if (!dbgp_vm_stopped(me)) {
		dbgp_cmd_print(cmd, "tasks: the VM runs; stop it first\n");
	} else if (kwalk_start(me, &layout, dbgp_vcpu_count(me), shown, cmd, &err)) {
		return;
	} else {
		dbgp_cmd_print(cmd, "tasks: %s\n", err->message);
		g_error_free(err);
	}
	dbgp_cmd_done(cmd);
}

/* ---- loading ------------------------------------------------------------------------------- */

static const struct dbgp_thread_ops thread_ops = { .list = list, .regs = regs };

static bool tasks_init(dbgp_plugin *self, int argc, char **argv, GError **error)
{
	const char *path = NULL, *os = NULL;
	for (int i = 0; i < argc; i++) {
		if (g_str_has_prefix(argv[i], "kernel="))
			path = argv[i] + 7;
		else if (g_str_has_prefix(argv[i], "os="))
			os = argv[i] + 3;
		else {
			g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
				    "unknown argument '%s' (kernel=PATH[,os=NAME])", argv[i]);
			return false;
		}
	}
	if (!path || !*path) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "which kernel? give its ELF with DWARF: tasks:kernel=PATH");
		return false;
	}
	me = self;
	kernel = kdwarf_open(path, error);
	if (!kernel)
		return false;
	if (!klayout_resolve(kernel, os, &layout, error))
		goto fail;
	pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	if (!dbgp_command_add(self, "tasks", "the guest kernel's tasks and threads", cmd_tasks,
			      NULL, error) ||
	    !dbgp_threads_provide(self, &thread_ops, NULL, error) ||
	    !dbgp_service_publish(self, DBGP_TASKS_SERVICE, DBGP_TASKS_MAJOR, DBGP_TASKS_MINOR,
				  &service, error)) {
		g_clear_pointer(&pending, g_hash_table_destroy);
		goto fail;
	}
	dbgp_log(self, G_LOG_LEVEL_INFO,
		 "%s profile from %s: struct task %" PRIu64 " bytes, struct thread %" PRIu64
		 " bytes, %u CPUs' current threads",
		 layout.p->name, path, layout.task_size, layout.thread_size, layout.ncurrent);
	return true;
fail:
	kdwarf_close(kernel);
	kernel = NULL;
	return false;
}

static void tasks_fini(dbgp_plugin *self)
{
	/* callbacks of reads under way never run now: free what they hold */
	kwalk_drop_all();
	g_clear_pointer(&pending, g_hash_table_destroy);
	g_clear_pointer(&last, g_array_unref);
	kdwarf_close(kernel);
	kernel = NULL;
	arch_warned = false;
}

DBGP_PLUGIN("tasks", "1.0", "the guest kernel's threads for gdb, and a tasks service",
	    tasks_init, tasks_fini);
