/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * target-conds.c - breakpoint conditions and commands for a VM that does
 * not evaluate them itself (no vmdbg CONDITIONS: dbgproxy-vm's KVM
 * machine today, or any VMM without it).  The daemon keeps the lists
 * (vmdbg-conds.c, the code a VM with the feature runs) and, when the
 * all-stop pause that follows a hit at such a point is done, evaluates it
 * with that vCPU's registers and memory before any client hears of it:
 *
 *  - true (or no condition) and no commands: the stop is reported;
 *  - all false, or the commands ran (their printf output goes to the
 *    clients): the stop is dropped, and the next resume first steps that
 *    vCPU over its point — the point leaves the VM, the vCPU alone steps
 *    one instruction, the point goes back, then the resume goes out as
 *    asked (the clients' own "run on" after a dropped stop).
 *
 * An evaluation runs again after each fetch of what it lacked (registers
 * by id, memory pieces), at most EVAL_ROUNDS times: the expressions never
 * block the loop.  An expression that fails reports the stop, as a VM
 * does.
 */
#include <inttypes.h>
#include <string.h>

#include "target-priv.h"
#include "vmdbg-conds.h"

#define EVAL_ROUNDS 32

struct piece {
	uint64_t addr;
	uint32_t len;
	GBytes *data;        /* NULL: unreadable */
};

/* One evaluation pass over the queued stops. */
struct cond_eval {
	struct target *t;
	bool interrupted;
	guint index;         /* the stop being evaluated */
	unsigned rounds;
	unsigned outstanding;
	GHashTable *regs;    /* uint64_t id -> uint64_t value, of this stop's vCPU */
	GArray *mem;         /* struct piece, of this stop's vCPU */
	GArray *want_regs;   /* uint64_t: what the last run lacked */
	GArray *want_mem;    /* struct piece (data NULL) */
};

/* The step-over a resume waits for. */
struct stepover {
	struct target *t;
	uint32_t dflt;
	GArray *entries;     /* struct vmdbg_resume_entry: the resume asked for */
	target_done_fn fn;
	void *ctx;
	uint32_t vcpu;       /* stepping now */
	uint64_t addr;
	bool sw;             /* its software point is out of the VM */
	bool hw;             /* its hardware slot(s) are disarmed */
};

bool target_conds_local(const struct target *t)
{
	return vmlink_is_ready(t->link) && !target_vm_has(t, VMDBG_FEAT_CONDITIONS);
}

/* Forget the memory fetched for the last stop. */
static void drop_pieces(struct cond_eval *e)
{
	for (guint i = 0; i < e->mem->len; i++) {
		struct piece *p = &g_array_index(e->mem, struct piece, i);
		if (p->data)
			g_bytes_unref(p->data);
	}
	g_array_set_size(e->mem, 0);
}

static void eval_free(struct cond_eval *e)
{
	g_hash_table_unref(e->regs);
	drop_pieces(e);
	g_array_unref(e->mem);
	g_array_unref(e->want_regs);
	g_array_unref(e->want_mem);
	g_free(e);
}

void target_conds_reset(struct target *t)
{
	if (t->conds)
		vm_conds_clear(t->conds);
	for (uint32_t v = 0; t->skip && v < t->nr_vcpus; v++)
		t->skip[v] = false;
	/* an evaluation or step-over under way ends with its replies (they
	 * fail when the link went down) */
}

static void stepover_free(struct stepover *so);

void target_conds_free(struct target *t)
{
	if (t->so)
		stepover_free(t->so);
	t->so = NULL;
	vm_conds_free(t->conds);
	t->conds = NULL;
}

enum target_result target_conds_set(struct target *t, uint64_t addr,
				    const struct vmdbg_cond_reg *regs, uint32_t nregs,
				    const uint8_t *const *codes, const uint32_t *lens,
				    uint32_t nconds, uint32_t ncmds, GError **error)
{
	/* through the wire form: the same checks as at a VM */
	g_autoptr(GByteArray) f = g_byte_array_new();
	vmdbg_enc_point_cond(VMDBG_GBA(f), 0, addr, regs, nregs, codes, lens, nconds, ncmds);
	struct vmdbg_msg m;
	g_autoptr(GError) err = NULL;
	if (!vmdbg_g_decode(f->data, f->len, &m, &err) || !vm_conds_set(t->conds, &m.u.cond, &err)) {
		g_set_error(error, TARGET_ERROR, TARGET_E_INVAL, "%s", err->message);
		return TARGET_FAILED;
	}
	return TARGET_DONE;
}

/* ---- evaluation --------------------------------------------------------------------------- */

static const struct vmdbg_stopped *eval_stop(const struct cond_eval *e)
{
	return g_queue_peek_nth(&e->t->pending_stops, e->index);
}

static bool acc_reg(void *ctx, uint64_t id, uint64_t *value)
{
	struct cond_eval *e = ctx;
	gpointer v;
	if (g_hash_table_lookup_extended(e->regs, &id, NULL, &v)) {
		if (!v)
			return false;  /* the VM would not give it: the expression fails */
		*value = *(uint64_t *)v;
		return true;
	}
	g_array_append_val(e->want_regs, id);
	return false;
}

static bool acc_mem(void *ctx, uint64_t addr, unsigned len, uint8_t *out)
{
	struct cond_eval *e = ctx;
	if (target_read_mem_now(e->t, eval_stop(e)->vcpu, addr, out, len))
		return true;
	for (guint i = 0; i < e->mem->len; i++) {
		const struct piece *p = &g_array_index(e->mem, struct piece, i);
		if (addr < p->addr || addr - p->addr + len > p->len)
			continue;
		if (!p->data)
			return false;  /* known unreadable: the expression fails */
		memcpy(out, (const uint8_t *)g_bytes_get_data(p->data, NULL) + (addr - p->addr), len);
		return true;
	}
	struct piece want = { addr, len, NULL };
	g_array_append_val(e->want_mem, want);
	return false;
}

static void eval_step(struct cond_eval *e);

static void fetch_done(struct cond_eval *e)
{
	if (--e->outstanding)
		return;
	if (!vmlink_is_ready(e->t->link)) {
		/* the VM is gone: its clients hear that instead */
		e->t->eval = NULL;
		eval_free(e);
		return;
	}
	eval_step(e);
}

/* The ids asked in one GET_REGS: those its reply lacks are unreadable. */
struct regs_fetch {
	struct cond_eval *e;
	GArray *ids;
};

/* Ids not in the table yet become unreadable (a NULL value). */
static void mark_unreadable(struct cond_eval *e, const GArray *ids)
{
	for (guint i = 0; i < ids->len; i++) {
		uint64_t id = g_array_index(ids, uint64_t, i);
		if (!g_hash_table_contains(e->regs, &id))
			g_hash_table_insert(e->regs, g_memdup2(&id, sizeof(id)), NULL);
	}
}

static void regs_fetched(void *ctx, const struct vmdbg_reg_vals *vals, const GError *err)
{
	struct regs_fetch *rf = ctx;
	struct cond_eval *e = rf->e;
	size_t off = 0;
	uint64_t id;
	const uint8_t *val;
	uint32_t size;
	while (vals && vmdbg_regvals_next(vals, &off, &id, &val, &size)) {
		uint8_t b[8] = { 0 };
		memcpy(b, val, MIN(size, 8u));
		uint64_t v;
		memcpy(&v, b, 8);
		g_hash_table_insert(e->regs, g_memdup2(&id, sizeof(id)),
				    g_memdup2(&(uint64_t){ GUINT64_FROM_LE(v) }, sizeof(uint64_t)));
	}
	if (!vals)
		g_debug("condition registers: %s", err->message);
	mark_unreadable(e, rf->ids);
	g_array_unref(rf->ids);
	g_free(rf);
	fetch_done(e);
}

struct mem_fetch {
	struct cond_eval *e;
	struct piece p;
};

static void mem_fetched(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct mem_fetch *mf = ctx;
	struct piece p = mf->p;
	p.data = n >= p.len ? g_bytes_new(data, p.len) : NULL;
	g_array_append_val(mf->e->mem, p);
	struct cond_eval *e = mf->e;
	g_free(mf);
	fetch_done(e);
}

/* Ask for what the last run lacked; false when nothing could be asked. */
static bool eval_fetch(struct cond_eval *e, uint32_t vcpu)
{
	struct target *t = e->t;
	e->outstanding = 1;  /* held until every request is out */
	if (e->want_regs->len) {
		g_autoptr(GError) err = NULL;
		struct regs_fetch *rf = g_new0(struct regs_fetch, 1);
		rf->e = e;
		rf->ids = g_array_copy(e->want_regs);
		if (target_get_vm_regs(t, vcpu, (const uint64_t *)(void *)rf->ids->data, rf->ids->len,
				       regs_fetched, rf, &err) == TARGET_PENDING) {
			e->outstanding++;
		} else {  /* never asked again: the run fails on them */
			mark_unreadable(e, rf->ids);
			g_array_unref(rf->ids);
			g_free(rf);
		}
	}
	for (guint i = 0; i < e->want_mem->len; i++) {
		struct mem_fetch *mf = g_new0(struct mem_fetch, 1);
		mf->e = e;
		mf->p = g_array_index(e->want_mem, struct piece, i);
		g_autoptr(GError) err = NULL;
		if (target_read_mem(t, vcpu, mf->p.addr, mf->p.len, mem_fetched, mf, &err) ==
		    TARGET_PENDING) {
			e->outstanding++;
		} else {
			g_array_append_val(e->mem, mf->p);  /* unreadable */
			g_free(mf);
		}
	}
	g_array_set_size(e->want_regs, 0);
	g_array_set_size(e->want_mem, 0);
	if (--e->outstanding == 0)
		return false;
	return true;
}

/* Is this stop a hit at a point with a list? */
static bool listed_hit(const struct target *t, const struct vmdbg_stopped *ev)
{
	if (!t->conds || vm_conds_count(t->conds) == 0)
		return false;
	if (ev->reason == VMDBG_STOP_SW_BP)
		return true;
	if (ev->reason != VMDBG_STOP_DEBUG || !t->hw)
		return false;
	struct hw_hit hit;
	hwslots_decode(t->hw, ev, &hit);
	return hit.type == HW_HIT_BREAK;
}

static void eval_next_stop(struct cond_eval *e)
{
	g_hash_table_remove_all(e->regs);
	drop_pieces(e);
	e->rounds = 0;
}

/* Run the expressions of the stop at e->index (again, with what was
 * fetched), then go on with the next stop; at the end, the clients hear. */
static void eval_step(struct cond_eval *e)
{
	struct target *t = e->t;
	const struct vmdbg_stopped *ev;
	while ((ev = eval_stop(e))) {
		if (!listed_hit(t, ev)) {
			e->index++;
			continue;
		}
		g_autoptr(GString) out = g_string_new(NULL);
		g_autofree char *msg = NULL;
		enum vm_cond_verdict v;
		const struct vm_cond_access acc = { acc_reg, acc_mem, e };
		v = vm_conds_eval(t->conds, ev->pc, &acc, out, &msg);
		if (v == VM_COND_FAILED && (e->want_regs->len || e->want_mem->len) &&
		    ++e->rounds < EVAL_ROUNDS && eval_fetch(e, ev->vcpu))
			return;  /* eval_step again when they are in */
		g_array_set_size(e->want_regs, 0);
		g_array_set_size(e->want_mem, 0);
		if (v == VM_COND_SKIP) {
			uint32_t vcpu = ev->vcpu;
			t->skip[vcpu] = true;
			t->skip_pc[vcpu] = ev->pc;
			g_free(g_queue_pop_nth(&t->pending_stops, e->index));
			if (out->len)
				target_tell_output(t, vcpu, out->str);
		} else {
			if (v == VM_COND_FAILED)
				g_message("breakpoint condition at 0x%" PRIx64 " on vCPU %u: %s; stopping",
					  ev->pc, ev->vcpu, msg ? msg : "cannot be evaluated");
			e->index++;
		}
		eval_next_stop(e);
	}
	t->eval = NULL;
	bool interrupted = e->interrupted || t->interrupted;  /* a Ctrl-C meanwhile too */
	eval_free(e);
	t->interrupted = false;
	t->state = TGT_STOPPED;
	target_tell_stopped(t, interrupted, NULL);
}

bool target_conds_filter(struct target *t, bool interrupted)
{
	bool any = false;
	for (GList *l = t->pending_stops.head; l && !any; l = l->next)
		any = listed_hit(t, l->data);
	if (!any || t->eval)
		return false;
	struct cond_eval *e = g_new0(struct cond_eval, 1);
	e->t = t;
	e->interrupted = interrupted;
	e->regs = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	e->mem = g_array_new(FALSE, FALSE, sizeof(struct piece));
	e->want_regs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	e->want_mem = g_array_new(FALSE, FALSE, sizeof(struct piece));
	t->eval = e;
	eval_step(e);
	return true;
}

/* ---- stepping over a dropped hit ---------------------------------------------------------- */

static void chain_reply(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	if (!m)
		g_warning("stepping over a breakpoint: %s", err->message);
}

static void send_or_warn(struct target *t, GByteArray *f, uint32_t seq)
{
	g_autoptr(GError) err = NULL;
	if (!target_send(t, f, seq, chain_reply, NULL, &err))
		g_warning("stepping over a breakpoint: %s", err->message);
}

/* The debug registers with every breakpoint slot on addr disarmed. */
static bool disarmed(const struct target *t, uint64_t addr, struct vmdbg_guest_debug *g)
{
	*g = t->hw_committed;
	bool changed = false;
	if (g->arch == VMDBG_ARCH_X86_64) {
		uint64_t *dr = g->regs.x86.debugreg;
		for (unsigned i = 0; i < 4; i++) {
			bool on = dr[7] & (3ull << (2 * i));
			bool exec = ((dr[7] >> (16 + 4 * i)) & 3) == 0;
			if (on && exec && dr[i] == addr) {
				dr[7] &= ~(3ull << (2 * i));
				changed = true;
			}
		}
	} else {
		for (unsigned i = 0; i < VMDBG_MAX_DBG_REGS; i++) {
			if ((g->regs.arm64.dbg_bcr[i] & 1) && g->regs.arm64.dbg_bvr[i] == addr) {
				g->regs.arm64.dbg_bcr[i] &= ~1ull;
				changed = true;
			}
		}
	}
	return changed;
}

static void sw_point_msg(struct target *t, uint8_t type, uint64_t addr, uint32_t vcpu)
{
	uint32_t kind = target_sw_point_kind(t, addr);
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	struct vmdbg_sw_bp bp = { vcpu, kind, addr };
	vmdbg_enc_sw_bp(VMDBG_GBA(f), type, seq, &bp);
	send_or_warn(t, f, seq);
}

static void guest_debug_msg(struct target *t, const struct vmdbg_guest_debug *g)
{
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_set_guest_debug(VMDBG_GBA(f), seq, g);
	send_or_warn(t, f, seq);
}

static uint32_t action_of(const struct stepover *so, uint32_t vcpu)
{
	for (guint i = 0; i < so->entries->len; i++) {
		const struct vmdbg_resume_entry *en =
			&g_array_index(so->entries, struct vmdbg_resume_entry, i);
		if (en->vcpu == vcpu)
			return en->action;
	}
	return so->dflt;
}

/* The next vCPU the resume runs that must step over its point first. */
static bool next_skip(const struct target *t, const struct stepover *so, uint32_t *vcpu)
{
	for (uint32_t v = 0; v < t->nr_vcpus; v++)
		if (t->skip[v] && action_of(so, v) != VMDBG_ACT_STAY) {
			*vcpu = v;
			return true;
		}
	return false;
}

static void stepover_free(struct stepover *so)
{
	g_array_unref(so->entries);
	g_free(so);
}

/* Put the point back. */
static void stepover_restore(struct target *t, struct stepover *so)
{
	if (so->sw && target_sw_point_at(t, so->addr))
		sw_point_msg(t, VMDBG_SW_BP_INSERT, so->addr, so->vcpu);
	if (so->hw)
		guest_debug_msg(t, &t->hw_committed);
	so->sw = so->hw = false;
}

/* The VM refused the step (a dead guest, say): no step will come, and the
 * resume fails with the VM's reason. */
static void step_resumed(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct target *t = ctx;
	if (!m && t->so) {
		g_warning("stepping over a breakpoint: %s", err->message);
		t->state = TGT_STOPPED;
		target_stepover_abandon(t, err);
	}
}

/* Step the next vCPU over its point, or send the resume itself. */
static void stepover_go(struct target *t, struct stepover *so)
{
	uint32_t v;
	if (!next_skip(t, so, &v)) {
		t->so = NULL;
		target_paging_invalidate(t);
		g_autoptr(GError) err = NULL;
		if (target_resume_now(t, so->dflt, (const struct vmdbg_resume_entry *)(void *)so->entries->data,
				      so->entries->len, so->fn, so->ctx, &err) != TARGET_PENDING)
			so->fn(so->ctx, err);
		stepover_free(so);
		return;
	}
	t->skip[v] = false;
	so->vcpu = v;
	so->addr = t->skip_pc[v];
	so->sw = target_sw_point_at(t, so->addr);
	if (so->sw)
		sw_point_msg(t, VMDBG_SW_BP_REMOVE, so->addr, v);
	struct vmdbg_guest_debug g;
	so->hw = disarmed(t, so->addr, &g);
	if (so->hw)
		guest_debug_msg(t, &g);
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	struct vmdbg_resume_entry step = { .vcpu = v, .action = VMDBG_ACT_STEP };
	vmdbg_enc_resume(VMDBG_GBA(f), seq, VMDBG_ACT_STAY, &step, 1);
	g_autoptr(GError) err = NULL;
	if (!target_send(t, f, seq, step_resumed, t, &err))
		target_stepover_abandon(t, err);
}

bool target_stepover_begin(struct target *t, uint32_t dflt, const struct vmdbg_resume_entry *entries,
			   unsigned n, target_done_fn fn, void *ctx)
{
	if (!t->skip || t->so)
		return false;
	struct stepover probe = { .dflt = dflt };
	probe.entries = g_array_new(FALSE, FALSE, sizeof(struct vmdbg_resume_entry));
	g_array_append_vals(probe.entries, entries, n);
	uint32_t v;
	if (!next_skip(t, &probe, &v)) {
		g_array_unref(probe.entries);
		return false;
	}
	struct stepover *so = g_new0(struct stepover, 1);
	*so = probe;
	so->t = t;
	so->fn = fn;
	so->ctx = ctx;
	t->so = so;
	t->state = TGT_RUNNING;
	stepover_go(t, so);
	return true;
}

bool target_stepover_stopped(struct target *t, const struct vmdbg_stopped *ev)
{
	struct stepover *so = t->so;
	if (!so || ev->vcpu != so->vcpu)
		return false;
	stepover_restore(t, so);
	struct hw_hit hit = { 0 };
	if (ev->reason == VMDBG_STOP_DEBUG && t->hw)
		hwslots_decode(t->hw, ev, &hit);
	bool plain_step = ev->reason == VMDBG_STOP_DEBUG &&
			  (hit.type == HW_HIT_STEP || hit.type == HW_HIT_NONE);
	/* a vCPU the resume steps: this step was that step, and it is reported */
	bool asked_step = action_of(so, so->vcpu) == VMDBG_ACT_STEP;
	if (plain_step && !asked_step && t->state == TGT_RUNNING) {
		stepover_go(t, so);
		return true;
	}
	/* something to report (a watchpoint the instruction hit, a fault, the
	 * step asked for), or the clients asked for a stop meanwhile: the
	 * resume is over */
	t->so = NULL;
	so->fn(so->ctx, NULL);
	stepover_free(so);
	if (plain_step && !asked_step)
		return true;
	return false;  /* the caller queues it and stops everyone */
}

void target_stepover_abandon(struct target *t, const GError *err)
{
	struct stepover *so = t->so;
	if (!so)
		return;
	t->so = NULL;
	stepover_restore(t, so);
	so->fn(so->ctx, err);
	stepover_free(so);
}
