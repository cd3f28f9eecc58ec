/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * bptrace.c - count the hits of breakpoints gdb never sees, per vCPU, and
 * keep the last values of chosen registers, without stopping gdb.
 *
 *   monitor bptrace add [hw] ADDR [REG...]   trace ADDR (gdb: eval "monitor
 *                                            bptrace add %p rax", &func)
 *   monitor bptrace show                     counts and last values
 *   monitor bptrace clear                    remove every trace
 *
 * Arguments at load (--plugin bptrace:ADDR[/REG...],...) add traces too.
 * The breakpoints are the plugin's own (dbgproxyd-plugin(7)): they stay
 * while gdb detaches and re-attaches, and gdb's breakpoint at the same
 * address still stops gdb.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dbgproxyd-plugin.h"

#define MAX_TRACE_REGS 16

struct trace {
	dbgp_plugin *self;
	uint32_t id;                 /* the breakpoint's */
	bool hw;
	uint64_t addr;
	char **regs;                 /* names, NULL-terminated */
	GArray *per_vcpu;            /* uint64_t hits, indexed by vCPU */
	uint64_t hits;
	uint32_t last_vcpu;
	GByteArray *last;            /* the registers' values at the last hit read */
	unsigned nlast;              /* how many of regs those are (0: none yet) */
	char *error;                 /* why the last read failed */
};

static GPtrArray *traces;      /* struct trace * */

static void trace_free(void *data)
{
	struct trace *tr = data;
	g_strfreev(tr->regs);
	g_array_unref(tr->per_vcpu);
	g_byte_array_unref(tr->last);
	g_free(tr->error);
	g_free(tr);
}

/* A read finished: tr may have been cleared meanwhile (then not in traces). */
static void regs_read(void *ctx, uint32_t vcpu, const uint8_t *values, const GError *err)
{
	struct trace *tr = ctx;
	if (!g_ptr_array_find(traces, tr, NULL))
		return;
	g_clear_pointer(&tr->error, g_free);
	if (err) {
		tr->error = g_strdup(err->message);
		return;
	}
	size_t bytes = 0;
	unsigned n = g_strv_length(tr->regs);
	for (unsigned i = 0; i < n; i++) {
		const dbgp_reg *r = dbgp_reg_lookup(tr->self, vcpu, tr->regs[i], NULL);
		bytes += r ? dbgp_reg_bits(r) / 8 : 0;
	}
	g_byte_array_set_size(tr->last, 0);
	g_byte_array_append(tr->last, values, (guint)bytes);
	tr->nlast = n;
	tr->last_vcpu = vcpu;
}

static void hit(void *ctx, const struct dbgp_stop *stop)
{
	struct trace *tr = ctx;
	if (stop->vcpu >= tr->per_vcpu->len)
		g_array_set_size(tr->per_vcpu, stop->vcpu + 1);
	g_array_index(tr->per_vcpu, uint64_t, stop->vcpu)++;
	tr->hits++;
	unsigned n = g_strv_length(tr->regs);
	if (n == 0)
		return;
	const dbgp_reg *handles[MAX_TRACE_REGS];
	g_autoptr(GError) err = NULL;
	for (unsigned i = 0; i < n; i++) {
		handles[i] = dbgp_reg_lookup(tr->self, stop->vcpu, tr->regs[i], &err);
		if (!handles[i])
			break;
	}
	if (!err)
		dbgp_regs_read(tr->self, stop->vcpu, handles, n, regs_read, tr, &err);
	if (err) {
		g_free(tr->error);
		tr->error = g_strdup(err->message);
	}
}

static void inserted(void *ctx, const GError *err)
{
	struct trace *tr = ctx;
	if (err && g_ptr_array_find(traces, tr, NULL)) {
		dbgp_log(tr->self, G_LOG_LEVEL_WARNING, "trace at 0x%" PRIx64 " dropped: %s", tr->addr,
			 err->message);
		g_ptr_array_remove(traces, tr);
	}
}

static bool parse_addr(const char *s, uint64_t *out)
{
	if (*s == '*')
		s++;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || *end || errno)
		return false;
	*out = v;
	return true;
}

/* "[hw] ADDR [REG...]" (words): a new trace, or false with *error. */
static bool trace_add(dbgp_plugin *self, char **w, GError **error)
{
	bool hw = w[0] && strcmp(w[0], "hw") == 0;
	if (hw)
		w++;
	uint64_t addr;
	if (!w[0] || !parse_addr(w[0], &addr)) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "'%s' is not an address (give a number: in gdb, eval \"monitor bptrace "
			    "add %%p\", &function)", w[0] ? w[0] : "");
		return false;
	}
	if (g_strv_length(w + 1) > MAX_TRACE_REGS) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "at most %u registers", MAX_TRACE_REGS);
		return false;
	}
	for (guint i = 0; i < traces->len; i++) {
		const struct trace *o = g_ptr_array_index(traces, i);
		if (o->addr == addr) {
			g_set_error(error, DBGP_ERROR, DBGP_E_EXISTS, "0x%" PRIx64 " is traced already",
				    addr);
			return false;
		}
	}
	struct trace *tr = g_new0(struct trace, 1);
	tr->self = self;
	tr->hw = hw;
	tr->addr = addr;
	tr->regs = g_strdupv(w + 1);
	tr->per_vcpu = g_array_new(FALSE, TRUE, sizeof(uint64_t));
	tr->last = g_byte_array_new();
	g_ptr_array_add(traces, tr);
	tr->id = dbgp_break_insert(self, hw ? DBGP_BREAK_HW : DBGP_BREAK_SW, addr, hit, tr, inserted,
				   tr, error);
	if (!tr->id) {
		g_ptr_array_remove(traces, tr);
		return false;
	}
	return true;
}

static void clear_all(dbgp_plugin *self)
{
	for (guint i = 0; i < traces->len; i++) {
		struct trace *tr = g_ptr_array_index(traces, i);
		dbgp_break_remove(self, tr->id, NULL);
	}
	g_ptr_array_set_size(traces, 0);
}

static void show(dbgp_cmd *cmd)
{
	if (traces->len == 0)
		dbgp_cmd_print(cmd, "no traces\n");
	for (guint i = 0; i < traces->len; i++) {
		const struct trace *tr = g_ptr_array_index(traces, i);
		dbgp_cmd_print(cmd, "0x%" PRIx64 "%s: %" PRIu64 " hits", tr->addr, tr->hw ? " (hw)" : "",
			       tr->hits);
		const char *sep = " (";
		for (guint v = 0; v < tr->per_vcpu->len; v++)
			if (g_array_index(tr->per_vcpu, uint64_t, v)) {
				dbgp_cmd_print(cmd, "%svCPU %u: %" PRIu64, sep, v,
					       g_array_index(tr->per_vcpu, uint64_t, v));
				sep = ", ";
			}
		dbgp_cmd_print(cmd, "%s\n", tr->hits ? ")" : "");
		if (tr->nlast) {
			dbgp_cmd_print(cmd, "  last, vCPU %u:", tr->last_vcpu);
			size_t at = 0;
			for (unsigned r = 0; r < tr->nlast; r++) {
				const dbgp_reg *h = dbgp_reg_lookup(tr->self, tr->last_vcpu, tr->regs[r], NULL);
				unsigned bytes = h ? dbgp_reg_bits(h) / 8 : 0;
				dbgp_cmd_print(cmd, " %s=0x", tr->regs[r]);
				for (unsigned b = bytes; b-- > 0;)  /* little-endian, most significant first */
					dbgp_cmd_print(cmd, "%02x", at + b < tr->last->len ? tr->last->data[at + b] : 0);
				at += bytes;
			}
			dbgp_cmd_print(cmd, "\n");
		}
		if (tr->error)
			dbgp_cmd_print(cmd, "  registers: %s\n", tr->error);
	}
}

static void command(void *ctx, dbgp_cmd *cmd, const char *args)
{
	dbgp_plugin *self = ctx;
	g_auto(GStrv) v = dbgp_split_args(args);
	g_autoptr(GError) err = NULL;
	if (v[0] && strcmp(v[0], "add") == 0) {
		if (trace_add(self, v + 1, &err))
			dbgp_cmd_print(cmd, "tracing %s\n", v[1] && strcmp(v[1], "hw") == 0 ? v[2] : v[1]);
		else
			dbgp_cmd_print(cmd, "bptrace: %s\n", err->message);
	} else if (v[0] && strcmp(v[0], "show") == 0 && !v[1]) {
		show(cmd);
	} else if (v[0] && strcmp(v[0], "clear") == 0 && !v[1]) {
		guint n = traces->len;
		clear_all(self);
		dbgp_cmd_print(cmd, "%u trace(s) removed\n", n);
	} else {
		dbgp_cmd_print(cmd, "usage: monitor bptrace add [hw] ADDR [REG...] | show | clear\n");
	}
	dbgp_cmd_done(cmd);
}

static void fini(dbgp_plugin *self);

static bool init(dbgp_plugin *self, int argc, char **argv, GError **error)
{
	traces = g_ptr_array_new_with_free_func(trace_free);
	if (!dbgp_command_add(self, "bptrace", "add [hw] ADDR [REG...] | show | clear: count hits "
			      "of breakpoints gdb never sees", command, self, error)) {
		fini(self);  /* a refused plugin's fini does not run */
		return false;
	}
	for (int i = 0; i < argc; i++) {
		g_auto(GStrv) w = g_strsplit(argv[i], "/", -1);
		if (!trace_add(self, w, error)) {
			g_prefix_error(error, "argument '%s': ", argv[i]);
			fini(self);
			return false;
		}
	}
	return true;
}

static void fini(dbgp_plugin *self)
{
	g_clear_pointer(&traces, g_ptr_array_unref);
}

DBGP_PLUGIN("bptrace", "1.0", "count hits of breakpoints gdb never sees, with register values",
	    init, fini);
