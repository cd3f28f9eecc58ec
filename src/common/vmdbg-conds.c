/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-conds.c - breakpoint conditions (vmdbg-conds.h).
 */
#include "vmdbg-conds.h"

#include "agentx.h"
#include "vmdbg.h"

struct point {
	uint32_t nregs;
	struct vmdbg_cond_reg regs[VMDBG_MAX_COND_REGS];
	GPtrArray *codes;      /* GBytes *, verified: the conditions */
	GPtrArray *cmds;       /* GBytes *, verified: the commands */
};

struct vm_conds {
	GHashTable *points;    /* uint64_t *addr -> struct point * */
};

static void point_free(gpointer p)
{
	struct point *pt = p;
	g_ptr_array_unref(pt->codes);
	g_ptr_array_unref(pt->cmds);
	g_free(pt);
}

struct vm_conds *vm_conds_new(void)
{
	struct vm_conds *t = g_new0(struct vm_conds, 1);
	t->points = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, point_free);
	return t;
}

void vm_conds_free(struct vm_conds *t)
{
	if (!t)
		return;
	g_hash_table_unref(t->points);
	g_free(t);
}

void vm_conds_clear(struct vm_conds *t)
{
	g_hash_table_remove_all(t->points);
}

unsigned vm_conds_count(const struct vm_conds *t)
{
	return g_hash_table_size(t->points);
}

bool vm_conds_set(struct vm_conds *t, const struct vmdbg_point_cond *c, GError **error)
{
	uint64_t addr = c->addr;
	if (c->nconds == 0 && c->ncmds == 0) {
		g_hash_table_remove(t->points, &addr);
		return true;
	}
	struct point *pt = g_new0(struct point, 1);
	pt->codes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	pt->cmds = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	pt->nregs = c->nregs;
	for (uint32_t i = 0; i < c->nregs; i++)
		pt->regs[i] = vmdbg_cond_reg_get(c, i);
	size_t off = 0;
	const uint8_t *code;
	uint32_t len, index;
	while (vmdbg_cond_next(c, &off, &code, &len, &index)) {
		bool cmd = index >= c->nconds;
		uint32_t i = cmd ? index - c->nconds : index;
		const char *what = cmd ? "command" : "condition";
		g_autoptr(GError) verr = NULL;
		if (!ax_verify(code, len, &verr)) {
			g_set_error(error, g_quark_from_static_string("vmdbg-conds"), VMDBG_E_INVAL,
				    "%s %u at 0x%" G_GINT64_MODIFIER "x: %s", what, i, addr,
				    verr->message);
			point_free(pt);
			return false;
		}
		/* every register it reads must be in the table */
		uint16_t regs[64];
		unsigned n = ax_regs_used(code, len, regs, G_N_ELEMENTS(regs));
		for (unsigned k = 0; k < n; k++) {
			bool found = false;
			for (uint32_t j = 0; j < pt->nregs; j++)
				found |= pt->regs[j].regnum == regs[k];
			if (!found) {
				g_set_error(error, g_quark_from_static_string("vmdbg-conds"), VMDBG_E_INVAL,
					    "%s %u at 0x%" G_GINT64_MODIFIER "x reads register "
					    "%u, which the register table does not name", what, i, addr,
					    regs[k]);
				point_free(pt);
				return false;
			}
		}
		g_ptr_array_add(cmd ? pt->cmds : pt->codes, g_bytes_new(code, len));
	}
	g_hash_table_replace(t->points, g_memdup2(&addr, sizeof(addr)), pt);
	return true;
}

struct eval_ctx {
	const struct point *pt;
	const struct vm_cond_access *acc;
	GString *output;
};

static bool eval_reg(void *ctx, unsigned regnum, uint64_t *value)
{
	const struct eval_ctx *e = ctx;
	for (uint32_t j = 0; j < e->pt->nregs; j++)
		if (e->pt->regs[j].regnum == regnum)
			return e->acc->reg(e->acc->ctx, e->pt->regs[j].id, value);
	return false;
}

static bool eval_mem(void *ctx, uint64_t addr, unsigned len, uint8_t *out)
{
	const struct eval_ctx *e = ctx;
	return e->acc->mem(e->acc->ctx, addr, len, out);
}

static void eval_print(void *ctx, const char *text)
{
	const struct eval_ctx *e = ctx;
	if (e->output->len < 64 * 1024)
		g_string_append(e->output, text);
}

enum vm_cond_verdict vm_conds_eval(const struct vm_conds *t, uint64_t addr,
				   const struct vm_cond_access *acc, GString *output,
				   char **message)
{
	const struct point *pt = g_hash_table_lookup(t->points, &addr);
	if (!pt)
		return VM_COND_REPORT;
	struct eval_ctx e = { pt, acc, output };
	const struct ax_env env = { eval_reg, eval_mem, eval_print, &e, false };
	bool any = pt->codes->len == 0;  /* no conditions: the commands always run */
	for (guint i = 0; i < pt->codes->len && !any; i++) {
		gsize len;
		const uint8_t *code = g_bytes_get_data(g_ptr_array_index(pt->codes, i), &len);
		uint64_t result;
		g_autoptr(GError) err = NULL;
		if (!ax_eval(code, len, &env, &result, &err)) {
			*message = g_strdup_printf("the condition at 0x%" G_GINT64_MODIFIER "x could "
						   "not be evaluated: %s", addr, err->message);
			return VM_COND_FAILED;
		}
		any = result != 0;  /* any true condition counts (as gdbserver) */
	}
	if (!any)
		return VM_COND_SKIP;
	if (pt->cmds->len == 0)
		return VM_COND_REPORT;
	/* commands instead of a stop (gdbserver: gdb_no_commands_at_breakpoint) */
	for (guint i = 0; i < pt->cmds->len; i++) {
		gsize len;
		const uint8_t *code = g_bytes_get_data(g_ptr_array_index(pt->cmds, i), &len);
		uint64_t result;
		g_autoptr(GError) err = NULL;
		if (!ax_eval(code, len, &env, &result, &err)) {
			*message = g_strdup_printf("a command at 0x%" G_GINT64_MODIFIER "x failed: %s",
						   addr, err->message);
			return VM_COND_FAILED;
		}
	}
	return VM_COND_SKIP;
}
