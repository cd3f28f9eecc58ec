/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * testplug.c - a plugin for the plugin host's tests, built under several
 * names (TP_NAME) and driven by its arguments and its monitor command.
 * Everything it sees goes to the log as "tp NAME: ...", in order, which
 * is what the tests read.
 *
 * Arguments: fail (init refuses), publish=SVC:MAJ.MIN, use=SVC:MAJ.MIN,
 * unload-in-init.
 * monitor NAME unload | readunload | noanswer | notify | break ADDR |
 *              break-unload ADDR | regs VCPU REG... |
 *              threads PC LR [late|never|unload] | threads-done | threads-off
 *
 * threads: three guest-OS threads on an AArch64 guest — "sleeper" (key
 * 0x100, not running: pc PC, x30 LR, sp and x29 vCPU 0's, read when gdb
 * asks), "runner" (0x200, on vCPU 0) and "blank" (0x300, not running, no
 * registers known); late: the list is given from a memory read's
 * callback; never: not given (threads-done gives it later); unload: the
 * plugin unloads itself while gdb waits for its list.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbgproxyd-plugin.h"

#ifndef TP_NAME
#define TP_NAME "tp"
#endif

struct answer_v1 {
	uint32_t size;
	int (*answer)(void);
};

static dbgp_plugin *me;
static bool finished;           /* fini ran: nothing of ours may run again */
static char *published;
static GPtrArray *names;        /* service names, each a use's context */

#define LOG(...) dbgp_log(me, G_LOG_LEVEL_MESSAGE, __VA_ARGS__)
#define CHECK_ALIVE() do { if (finished) LOG("PLUGIN-BUG: called after fini"); } while (0)

static int answer(void)
{
	return 42;
}
static const struct answer_v1 table = { sizeof(table), answer };

static void up(void *ctx, const void *t, uint32_t minor)
{
	CHECK_ALIVE();
	const struct answer_v1 *a = t;
	LOG("up %s minor %u answer %d", (const char *)ctx, minor, a->answer());
}

static void down(void *ctx)
{
	CHECK_ALIVE();
	LOG("down %s", (const char *)ctx);
}

static void event(void *ctx, uint32_t ev, const void *data)
{
	CHECK_ALIVE();
	LOG("event %s %u %s", (const char *)ctx, ev, (const char *)data);
}

static const struct dbgp_service_events svc_events = { up, down, event };

static bool svc_arg(const char *arg, char **name, unsigned *maj, unsigned *min)
{
	char buf[64];
	if (sscanf(arg, "%63[^:]:%u.%u", buf, maj, min) != 3)
		return false;
	*name = g_strdup(buf);
	return true;
}

static void regs_done(void *ctx, uint32_t vcpu, const uint8_t *values, const GError *err)
{
	CHECK_ALIVE();
	LOG("regs vCPU %u: %s", vcpu, err ? err->message : "read");
}

/* ---- threads ---- */

static uint64_t th_pc, th_lr;
static char *th_mode;
static dbgp_threads *th_pending;  /* a list not given yet (never) */

static void list_give(dbgp_threads *req)
{
	dbgp_threads_add(req, 0x100, "sleeper", -1);
	dbgp_threads_add(req, 0x200, "runner", 0);
	dbgp_threads_add(req, 0x300, "blank", -1);
	dbgp_threads_done(req);
}

static void list_read(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	CHECK_ALIVE();
	LOG("threads listed after a read of %zu bytes", n);
	list_give(ctx);
}

static void th_list(void *ctx, dbgp_threads *req)
{
	CHECK_ALIVE();
	LOG("threads asked (%s)", th_mode);
	if (strcmp(th_mode, "late") == 0) {
		g_autoptr(GError) err = NULL;
		if (!dbgp_mem_read(me, 0, th_pc, 8, list_read, req, &err)) {
			LOG("PLUGIN-BUG: no read: %s", err->message);
			dbgp_threads_done(req);
		}
	} else if (strcmp(th_mode, "never") == 0) {
		th_pending = req;
	} else if (strcmp(th_mode, "unload") == 0) {
		th_pending = req;
		dbgp_unload_self(me, "unloading while gdb waits for its threads");
	} else {
		list_give(req);
	}
}

struct sleeper_read {
	dbgp_threads *req;
	const dbgp_reg *pc, *lr, *sp, *fp;
};
/* reads under way: their callbacks never run once we are unloaded, so
 * fini frees what they would have */
static GPtrArray *sleeper_reads;

static void sleeper_regs(void *ctx, uint32_t vcpu, const uint8_t *values, const GError *err)
{
	CHECK_ALIVE();
	struct sleeper_read *r = ctx;
	g_autoptr(GError) e = NULL;
	if (values && (!dbgp_threads_reg(r->req, r->sp, values, &e) ||
		       !dbgp_threads_reg(r->req, r->fp, values + 8, &e) ||
		       !dbgp_threads_reg(r->req, r->pc, &th_pc, &e) ||
		       !dbgp_threads_reg(r->req, r->lr, &th_lr, &e)))
		LOG("PLUGIN-BUG: %s", e->message);
	LOG("sleeper's registers given%s%s", err ? ": " : "", err ? err->message : "");
	dbgp_threads *req = r->req;
	g_ptr_array_remove(sleeper_reads, r);  /* frees r */
	dbgp_threads_done(req);
}

static void th_regs(void *ctx, uint64_t key, dbgp_threads *req)
{
	CHECK_ALIVE();
	LOG("registers of 0x%" PRIx64 " asked", key);
	if (key != 0x100) {
		dbgp_threads_done(req);
		return;
	}
	struct sleeper_read *r = g_new0(struct sleeper_read, 1);
	g_ptr_array_add(sleeper_reads, r);
	r->req = req;
	r->pc = dbgp_reg_lookup(me, 0, "pc", NULL);
	r->lr = dbgp_reg_lookup(me, 0, "x30", NULL);
	r->sp = dbgp_reg_lookup(me, 0, "sp", NULL);
	r->fp = dbgp_reg_lookup(me, 0, "x29", NULL);
	const dbgp_reg *both[2] = { r->sp, r->fp };
	g_autoptr(GError) err = NULL;
	if (!r->pc || !r->lr || !r->sp || !r->fp ||
	    !dbgp_regs_read(me, 0, both, 2, sleeper_regs, r, &err)) {
		LOG("no registers: %s", err ? err->message : "no such register");
		g_ptr_array_remove(sleeper_reads, r);
		dbgp_threads_done(req);
	}
}

static const struct dbgp_thread_ops th_ops = { th_list, th_regs };

static void hit(void *ctx, const struct dbgp_stop *stop)
{
	CHECK_ALIVE();
	LOG("hit vCPU %u at 0x%" PRIx64, stop->vcpu, stop->pc);
	if (ctx) {
		/* a read of this stop, then away before it completes */
		const dbgp_reg *pc = dbgp_reg_lookup(me, stop->vcpu, "pc", NULL);
		if (!pc)
			pc = dbgp_reg_lookup(me, stop->vcpu, "rip", NULL);
		if (pc)
			dbgp_regs_read(me, stop->vcpu, &pc, 1, regs_done, NULL, NULL);
		dbgp_unload_self(me, "unloading in a hit");
	}
}

static void command(void *ctx, dbgp_cmd *cmd, const char *args)
{
	CHECK_ALIVE();
	g_auto(GStrv) w = g_strsplit(args, " ", -1);
	g_autoptr(GError) err = NULL;
	if (!w[0]) {
		dbgp_cmd_print(cmd, "usage\n");
	} else if (strcmp(w[0], "unload") == 0) {
		dbgp_unload_self(me, "its command asked");
		dbgp_cmd_print(cmd, "still running after asking to be unloaded\n");
	} else if (strcmp(w[0], "readunload") == 0) {
		const dbgp_reg *r = dbgp_reg_lookup(me, 0, "pc", &err);
		if (r && dbgp_regs_read(me, 0, &r, 1, regs_done, NULL, &err))
			dbgp_cmd_print(cmd, "read under way\n");
		else
			dbgp_cmd_print(cmd, "no read: %s\n", err->message);
		dbgp_unload_self(me, "a read in flight");
	} else if (strcmp(w[0], "noanswer") == 0) {
		return;  /* never answers: the host must */
	} else if (strcmp(w[0], "notify") == 0 && published) {
		dbgp_service_notify(me, published, 7, "hello");
		dbgp_cmd_print(cmd, "notified\n");
	} else if ((strcmp(w[0], "break") == 0 || strcmp(w[0], "break-unload") == 0) && w[1]) {
		uint64_t a = g_ascii_strtoull(w[1], NULL, 0);
		void *unload = strcmp(w[0], "break-unload") == 0 ? (void *)1 : NULL;
		uint32_t id = dbgp_break_insert(me, DBGP_BREAK_SW, a, hit, unload, NULL, NULL, &err);
		if (id)
			dbgp_cmd_print(cmd, "breakpoint %u\n", id);
		else
			dbgp_cmd_print(cmd, "no breakpoint: %s\n", err->message);
	} else if (strcmp(w[0], "threads") == 0 && w[1] && w[2]) {
		th_pc = g_ascii_strtoull(w[1], NULL, 0);
		th_lr = g_ascii_strtoull(w[2], NULL, 0);
		g_free(th_mode);
		th_mode = g_strdup(w[3] ? w[3] : "now");
		if (dbgp_threads_provide(me, &th_ops, NULL, &err))
			dbgp_cmd_print(cmd, "threads on (%s)\n", th_mode);
		else
			dbgp_cmd_print(cmd, "no threads: %s\n", err->message);
	} else if (strcmp(w[0], "threads-done") == 0 && th_pending) {
		list_give(g_steal_pointer(&th_pending));
		dbgp_cmd_print(cmd, "late list given\n");
	} else if (strcmp(w[0], "threads-off") == 0) {
		dbgp_threads_provide(me, NULL, NULL, NULL);
		dbgp_cmd_print(cmd, "threads off\n");
	} else if (strcmp(w[0], "regs") == 0 && w[1] && w[2]) {
		uint32_t vcpu = (uint32_t)atoi(w[1]);
		for (char **r = w + 2; *r; r++) {
			g_autoptr(GError) e = NULL;
			const dbgp_reg *h = dbgp_reg_lookup(me, vcpu, *r, &e);
			dbgp_cmd_print(cmd, "%s on vCPU %u: ", *r, vcpu);
			if (h)
				dbgp_cmd_print(cmd, "%u bits, model %d\n", dbgp_reg_bits(h),
					       dbgp_vcpu_model(me, vcpu));
			else
				dbgp_cmd_print(cmd, "%s\n", e->message);
		}
	} else {
		dbgp_cmd_print(cmd, "unknown\n");
	}
	dbgp_cmd_done(cmd);
}

static bool init(dbgp_plugin *self, int argc, char **argv, GError **error)
{
	me = self;
	finished = false;
	sleeper_reads = g_ptr_array_new_with_free_func(g_free);
	names = g_ptr_array_new_with_free_func(g_free);
	for (int i = 0; i < argc; i++) {
		char *name;
		unsigned maj, min;
		if (strcmp(argv[i], "fail") == 0) {
			g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "told to fail");
			goto fail;
		} else if (g_str_has_prefix(argv[i], "publish=") && svc_arg(argv[i] + 8, &name, &maj, &min)) {
			if (!dbgp_service_publish(self, name, maj, min, &table, error)) {
				g_free(name);
				goto fail;
			}
			published = name;
		} else if (g_str_has_prefix(argv[i], "use=") && svc_arg(argv[i] + 4, &name, &maj, &min)) {
			/* name lives as the use's context until fini */
			g_ptr_array_add(names, name);
			if (!dbgp_service_use(self, name, maj, min, &svc_events, name, error))
				goto fail;
		} else if (strcmp(argv[i], "unload-in-init") == 0) {
			dbgp_unload_self(self, "asked in init");
		} else {
			g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "bad argument '%s'", argv[i]);
			goto fail;
		}
	}
	if (!dbgp_command_add(self, TP_NAME, "test commands", command, NULL, error))
		goto fail;
	LOG("init");
	return true;
fail:
	g_clear_pointer(&published, g_free);
	g_clear_pointer(&names, g_ptr_array_unref);
	g_clear_pointer(&sleeper_reads, g_ptr_array_unref);
	return false;
}

static void fini(dbgp_plugin *self)
{
	LOG("fini");
	finished = true;
	th_pending = NULL;  /* the host forgets it with us */
	g_clear_pointer(&sleeper_reads, g_ptr_array_unref);
	g_clear_pointer(&th_mode, g_free);
	g_clear_pointer(&published, g_free);
	g_clear_pointer(&names, g_ptr_array_unref);
}

DBGP_PLUGIN(TP_NAME, "0", "the plugin host's test plugin", init, fini);
