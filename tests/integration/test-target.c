/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-target.c - dbgproxyd's target (src/dbgproxyd/target.h) with more
 * than one client, against a real VM: dbgproxy-vm --arch aarch64 running
 * the arm64 test guest (no KVM needed).  What a gdb session alone cannot
 * show: points owned by two clients are at the VM once, a client leaving
 * takes only its own points away, stops reach every client, the last one
 * leaving detaches the VM, and no callback ever runs inside the call that
 * queued it.
 *
 * Environment: DBGPROXY_VM, GUEST_ARM64 (set by `make check`).
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "target-priv.h"  /* white box: the step-over flags */
#include "testutil.h"

#define WAIT_S 20.0

static const char *vm_bin, *guest;
static uint64_t sym_tick, sym_after_probe;

/* ---- a target on its own loop, with a VM ---------------------------------------------- */

struct fix {
	struct ev_loop *loop;
	GPid vm;
	char *dir, *sock;
	struct target *t;
};

/* One client's view: what the target told it. */
struct client {
	struct fix *f;
	struct target_client *c;
	unsigned ready, lost, stopped;
	bool interrupted;
};

/* Set while a target call is on the stack: callbacks must not see it. */
static bool in_call;
#define CALL(expr) ({ in_call = true; __auto_type r_ = (expr); in_call = false; r_; })

static void c_ready(void *ctx)
{
	struct client *c = ctx;
	c->ready++;
}

static void c_lost(void *ctx, const char *why)
{
	struct client *c = ctx;
	c->lost++;
}

static void c_stopped(void *ctx, bool interrupted, const GError *err)
{
	struct client *c = ctx;
	g_assert_false(in_call);
	g_assert_no_error(err);
	c->stopped++;
	c->interrupted = interrupted;
}

static const struct target_client_ops c_ops = { .ready = c_ready, .lost = c_lost, .stopped = c_stopped };

/* A request's completion. */
struct done {
	bool called;
	GError *err;
};

static void on_done(void *ctx, const GError *err)
{
	struct done *d = ctx;
	g_assert_false(in_call);
	g_assert_false(d->called);
	d->called = true;
	d->err = err ? g_error_copy(err) : NULL;
}

struct mem_read {
	bool called;
	GByteArray *data;
};

static void on_mem(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct mem_read *r = ctx;
	g_assert_false(in_call);
	g_assert_no_error(err);
	r->called = true;
	r->data = g_byte_array_new();
	g_byte_array_append(r->data, data, (guint)n);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	*(bool *)w->data = true;
}

/* Run the loop until *flag (or *count >= n) or WAIT_S passed. */
static bool run_until(struct fix *f, const bool *flag, const unsigned *count, unsigned n)
{
	bool timed_out = false;
	ev_timer tw;
	ev_timer_init(&tw, timeout_cb, WAIT_S, 0);
	tw.data = &timed_out;
	ev_timer_start(f->loop, &tw);
	while (!timed_out && !(flag && *flag) && !(count && *count >= n))
		ev_run(f->loop, EVRUN_ONCE);
	ev_timer_stop(f->loop, &tw);
	return !timed_out;
}

static void wait_done(struct fix *f, struct done *d)
{
	g_assert_true(run_until(f, &d->called, NULL, 0));
	g_assert_no_error(d->err);
}

static void fix_start(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	f->loop = ev_loop_new(EVFLAG_AUTO);
	f->dir = g_dir_make_tmp("target-XXXXXX", NULL);
	f->sock = g_build_filename(f->dir, "vm.sock", NULL);
	g_autofree char *cmd = g_strdup_printf(
		"'%s' --arch aarch64 --kernel '%s' --socket '%s' > '%s/serial.log' 2> '%s/vm.log'",
		vm_bin, guest, f->sock, f->dir, f->dir);
	f->vm = tu_spawn(cmd);
	for (int i = 0; i < 200 && !g_file_test(f->sock, G_FILE_TEST_EXISTS); i++)
		g_usleep(25 * 1000);
	g_assert_true(g_file_test(f->sock, G_FILE_TEST_EXISTS));
	f->t = target_new(f->loop, f->sock, NULL);
}

static void fix_stop(struct fix *f)
{
	target_free(f->t);
	tu_stop(f->vm);
	g_autofree char *serial = g_build_filename(f->dir, "serial.log", NULL);
	g_autofree char *log = g_build_filename(f->dir, "vm.log", NULL);
	g_unlink(serial);
	g_unlink(log);
	g_unlink(f->sock);
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->sock);
	ev_loop_destroy(f->loop);
}

static void add_client(struct fix *f, struct client *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->c = target_client_add(f->t, name, &c_ops, c);
}

/* Stop every vCPU (as a gdb attaching does). */
static void stop_all(struct fix *f)
{
	struct done d = { 0 };
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(CALL(target_stop(f->t, on_done, &d, &err)), ==, TARGET_PENDING);
	wait_done(f, &d);
	g_assert_cmpint(target_state(f->t), ==, TGT_STOPPED);
}

static enum target_result insert(struct fix *f, struct client *c, unsigned type, uint64_t addr,
				 uint64_t len, struct done *d)
{
	g_autoptr(GError) err = NULL;
	enum target_result r = CALL(target_point_insert(f->t, c->c, type, addr, len, 0, on_done, d,
						       &err));
	g_assert_true(r != TARGET_FAILED || err);
	if (r == TARGET_PENDING)
		wait_done(f, d);
	return r;
}

static enum target_result remove_point(struct fix *f, struct client *c, unsigned type,
				       uint64_t addr, uint64_t len, struct done *d)
{
	g_autoptr(GError) err = NULL;
	enum target_result r = CALL(target_point_remove(f->t, c->c, type, addr, len, 0, on_done, d,
						       &err));
	if (r == TARGET_PENDING)
		wait_done(f, d);
	return r;
}

/* Continue every vCPU; wait until the clients hear of the next stop. */
static struct vmdbg_stopped run_to_stop(struct fix *f, struct client *c)
{
	struct done d = { 0 };
	unsigned before = c->stopped;
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(CALL(target_resume(f->t, VMDBG_ACT_CONTINUE, NULL, 0, on_done, &d, &err)),
			==, TARGET_PENDING);
	g_assert_true(run_until(f, NULL, &c->stopped, before + 1));
	g_assert_true(d.called);
	g_assert_no_error(d.err);
	struct vmdbg_stopped ev;
	g_assert_true(target_take_stop(f->t, &ev));
	return ev;
}

/* Step vCPU 0 over owner's point at addr as gdb does: take it out, one
 * single step, put it back. */
static void step_over(struct fix *f, struct client *owner, unsigned type, uint64_t addr)
{
	struct done d1 = { 0 }, d2 = { 0 }, d3 = { 0 };
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(remove_point(f, owner, type, addr, 4, &d1), !=, TARGET_FAILED);
	unsigned before = owner->stopped;
	struct vmdbg_resume_entry step = { 0, VMDBG_ACT_STEP, 0, 0 };
	g_assert_cmpint(CALL(target_resume(f->t, VMDBG_ACT_STAY, &step, 1, on_done, &d2, &err)), ==,
			TARGET_PENDING);
	g_assert_true(run_until(f, NULL, &owner->stopped, before + 1));
	struct vmdbg_stopped ev;
	g_assert_true(target_take_stop(f->t, &ev));
	g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_DEBUG);
	g_assert_cmphex(ev.pc, !=, addr);  /* moved on (after_probe is a branch) */
	g_assert_cmpint(insert(f, owner, type, addr, 4, &d3), !=, TARGET_FAILED);
}

static void attach_both(struct fix *f, struct client *a, struct client *b)
{
	add_client(f, a, "a");
	add_client(f, b, "b");
	g_assert_true(run_until(f, NULL, &b->ready, 1));
	g_assert_cmpuint(a->ready, ==, 1);
	const char *why;
	g_assert_true(target_ready(f->t, &why));
	g_assert_cmpuint(target_nr_vcpus(f->t), ==, 1);
	stop_all(f);
	/* whatever stops the VM had before the clients came */
	struct vmdbg_stopped ev;
	while (target_take_stop(f->t, &ev))
		;
}

/* The REMOVEs of points no client wants are on their way: wait until the
 * VM took them (the table counts a point until then). */
static void wait_no_sw_points(struct fix *f)
{
	for (int i = 0; i < 400 && target_sw_points(f->t); i++) {
		ev_run(f->loop, EVRUN_NOWAIT);
		g_usleep(5000);
	}
	g_assert_cmpuint(target_sw_points(f->t), ==, 0);
}

/* The last client leaves: the VM is detached (runs freely); the fixture ends. */
static void last_leaves(struct fix *f, struct client *c)
{
	struct done dd = { 0 };
	g_assert_cmpint(CALL(target_client_remove(f->t, c->c, on_done, &dd, NULL)), ==, TARGET_PENDING);
	wait_done(f, &dd);
	fix_stop(f);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_shared_sw_point(void)
{
	struct fix f;
	struct client a, b;
	fix_start(&f);
	attach_both(&f, &a, &b);

	/* a plants it: one SW_BP_INSERT; b's is the same point, no request */
	struct done d1 = { 0 }, d2 = { 0 };
	g_assert_cmpint(insert(&f, &a, 0, sym_tick, 4, &d1), ==, TARGET_PENDING);
	g_assert_cmpint(insert(&f, &b, 0, sym_tick, 4, &d2), ==, TARGET_DONE);
	g_assert_false(d2.called);
	g_assert_cmpuint(target_sw_points(f.t), ==, 1);
	/* inserting again is a no-op for its owner */
	struct done d3 = { 0 };
	g_assert_cmpint(insert(&f, &a, 0, sym_tick, 4, &d3), ==, TARGET_DONE);

	/* a leaves: b's point stays at the VM, and the stop reaches b */
	struct done dl = { 0 };
	g_assert_cmpint(CALL(target_client_remove(f.t, a.c, on_done, &dl, NULL)), ==, TARGET_DONE);
	g_assert_cmpuint(target_sw_points(f.t), ==, 1);
	struct vmdbg_stopped ev = run_to_stop(&f, &b);
	g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_SW_BP);
	g_assert_cmphex(ev.pc, ==, sym_tick);
	g_assert_cmpuint(a.stopped, ==, 0);  /* gone: no callback after it left */

	/* b takes it out: the VM hears REMOVE */
	struct done d4 = { 0 };
	g_assert_cmpint(remove_point(&f, &b, 0, sym_tick, 4, &d4), ==, TARGET_PENDING);
	g_assert_cmpuint(target_sw_points(f.t), ==, 0);

	/* the last client leaving detaches the VM: it runs freely again */
	struct done dd = { 0 };
	g_assert_cmpint(CALL(target_client_remove(f.t, b.c, on_done, &dd, NULL)), ==, TARGET_PENDING);
	wait_done(&f, &dd);
	g_assert_cmpint(target_state(f.t), ==, TGT_RUNNING);
	g_clear_error(&d1.err);
	fix_stop(&f);
}

static void test_leaving_takes_only_own_points(void)
{
	struct fix f;
	struct client a, b;
	fix_start(&f);
	attach_both(&f, &a, &b);

	/* a: a software breakpoint at tick; b: a hardware one at after_probe */
	struct done d1 = { 0 }, d2 = { 0 };
	g_assert_cmpint(insert(&f, &a, 0, sym_tick, 4, &d1), ==, TARGET_PENDING);
	g_assert_cmpint(insert(&f, &b, 1, sym_after_probe, 4, &d2), ==, TARGET_PENDING);
	g_autofree char *hw = target_describe_hw(f.t);
	g_assert_nonnull(strstr(hw, "exec"));

	/* with both in, the loop meets both, and every client hears of every
	 * stop.  Resuming at a point fires it again (the architecture's rule;
	 * gdb steps over its own points), so each owner steps over its own. */
	bool saw_sw = false, saw_hw = false;
	for (int i = 0; i < 4; i++) {
		struct vmdbg_stopped ev = run_to_stop(&f, &b);
		if (ev.reason == VMDBG_STOP_SW_BP && ev.pc == sym_tick) {
			saw_sw = true;
			step_over(&f, &a, 0, sym_tick);
		} else if (ev.reason == VMDBG_STOP_DEBUG && ev.pc == sym_after_probe) {
			saw_hw = true;
			step_over(&f, &b, 1, sym_after_probe);
		} else {
			g_error("unexpected stop: reason %u at 0x%" G_GINT64_MODIFIER "x", ev.reason, ev.pc);
		}
	}
	g_assert_true(saw_sw && saw_hw);
	g_assert_cmpuint(a.stopped, ==, b.stopped);

	/* a leaves: its software breakpoint goes, b's hardware one stays: the
	 * loop passes tick and stops at after_probe, every time */
	unsigned a_heard = a.stopped;
	g_assert_cmpint(CALL(target_client_remove(f.t, a.c, NULL, NULL, NULL)), ==, TARGET_DONE);
	/* its REMOVE is on its way; the point counts until the VM took it */
	wait_no_sw_points(&f);
	for (int i = 0; i < 3; i++) {
		struct vmdbg_stopped ev = run_to_stop(&f, &b);
		g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_DEBUG);
		g_assert_cmphex(ev.pc, ==, sym_after_probe);
		struct hw_hit hit;
		target_decode_hw(f.t, &ev, &hit);
		g_assert_cmpint(hit.type, ==, HW_HIT_BREAK);
		step_over(&f, &b, 1, sym_after_probe);
	}
	g_assert_cmpuint(a.stopped, ==, a_heard);

	/* b's point cannot be removed by someone who never inserted it */
	struct client c;
	add_client(&f, &c, "c");
	struct done d3 = { 0 };
	g_assert_cmpint(remove_point(&f, &c, 1, sym_after_probe, 4, &d3), ==, TARGET_FAILED);
	g_assert_false(d3.called);
	g_autofree char *hw2 = target_describe_hw(f.t);
	g_assert_nonnull(strstr(hw2, "exec"));
	g_assert_cmpint(CALL(target_client_remove(f.t, c.c, NULL, NULL, NULL)), ==, TARGET_DONE);

	last_leaves(&f, &b);
}

/* A client leaves while its breakpoint's INSERT is still on its way: once
 * the VM has it, it comes out again (it stayed in the VM, unowned, and
 * every pass stopped there). */
static void test_leaving_while_point_goes_in(void)
{
	struct fix f;
	struct client a, b;
	fix_start(&f);
	attach_both(&f, &a, &b);
	struct done d1 = { 0 }, d2 = { 0 };
	g_assert_cmpint(insert(&f, &b, 1, sym_after_probe, 4, &d1), ==, TARGET_PENDING);
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(CALL(target_point_insert(f.t, a.c, 0, sym_tick, 4, 0, on_done, &d2, &err)),
			==, TARGET_PENDING);
	g_assert_cmpint(CALL(target_client_remove(f.t, a.c, NULL, NULL, NULL)), ==, TARGET_DONE);
	g_assert_true(run_until(&f, &d2.called, NULL, 0));
	wait_no_sw_points(&f);
	for (int i = 0; i < 3; i++) {
		struct vmdbg_stopped ev = run_to_stop(&f, &b);
		g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_DEBUG);
		g_assert_cmphex(ev.pc, ==, sym_after_probe);
		step_over(&f, &b, 1, sym_after_probe);
	}
	g_clear_error(&d2.err);
	last_leaves(&f, &b);
}

/* gdb attaching in another mode rebuilds the description and caches
 * (target_use_arch): a vCPU that must step over a point before it runs
 * again still must (it lost that, and a plugin's hit trapped twice). */
static void test_use_arch_keeps_skips(void)
{
	struct fix f;
	struct client a, b;
	fix_start(&f);
	attach_both(&f, &a, &b);
	uint64_t gen = target_generation(f.t);
	f.t->skip[0] = true;
	f.t->skip_pc[0] = sym_tick;
	g_autoptr(GError) err = NULL;
	g_assert_true(target_use_arch(f.t, target_arch(f.t), &err));
	g_assert_no_error(err);
	g_assert_cmpuint(target_generation(f.t), >, gen);  /* rebuilt */
	g_assert_true(f.t->skip[0]);
	g_assert_cmphex(f.t->skip_pc[0], ==, sym_tick);
	f.t->skip[0] = false;
	g_assert_cmpint(CALL(target_client_remove(f.t, a.c, NULL, NULL, NULL)), ==, TARGET_DONE);
	last_leaves(&f, &b);
}

static void test_interrupt_and_memory(void)
{
	struct fix f;
	struct client a, b;
	fix_start(&f);
	attach_both(&f, &a, &b);
	/* a read bigger than the VM's transfer size: pieces sent at once,
	 * joined in order */
	g_autoptr(GError) err = NULL;
	struct mem_read mr = { 0 };
	size_t len = 2 * VMDBG_MAX_MEM_XFER + 8;
	g_assert_cmpint(CALL(target_read_mem(f.t, 0, sym_tick, len, on_mem, &mr, &err)), ==,
			TARGET_PENDING);
	g_assert_true(run_until(&f, &mr.called, NULL, 0));
	g_assert_cmpuint(mr.data->len, ==, len);
	struct mem_read small = { 0 };
	g_assert_cmpint(CALL(target_read_mem(f.t, 0, sym_tick + VMDBG_MAX_MEM_XFER + 4, 4, on_mem,
					     &small, &err)), ==, TARGET_PENDING);
	g_assert_true(run_until(&f, &small.called, NULL, 0));
	g_assert_cmpmem(small.data->data, 4, mr.data->data + VMDBG_MAX_MEM_XFER + 4, 4);
	g_byte_array_unref(mr.data);
	g_byte_array_unref(small.data);

	/* Ctrl-C from one client: both hear the stop, marked interrupted */
	struct done d = { 0 };
	g_assert_cmpint(CALL(target_resume(f.t, VMDBG_ACT_CONTINUE, NULL, 0, on_done, &d, &err)),
			==, TARGET_PENDING);
	g_assert_true(run_until(&f, &d.called, NULL, 0));
	g_assert_true(CALL(target_interrupt(f.t)));
	g_assert_true(run_until(&f, NULL, &a.stopped, 1));
	g_assert_true(a.interrupted);
	g_assert_true(b.interrupted);
	g_assert_cmpint(target_state(f.t), ==, TGT_STOPPED);
	g_assert_false(CALL(target_interrupt(f.t)));  /* nothing runs */

	g_assert_cmpint(CALL(target_client_remove(f.t, a.c, NULL, NULL, NULL)), ==, TARGET_DONE);
	last_leaves(&f, &b);
}

/* Without a VM every request fails at once, with the reason, and no
 * callback ever runs. */
static void test_not_connected(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct target *t = target_new(loop, "/nonexistent/vm.sock", NULL);
	struct client a = { 0 };
	a.c = target_client_add(t, "a", &c_ops, &a);
	const char *why;
	g_assert_false(target_ready(t, &why));
	g_assert_nonnull(strstr(why, "not connected to the VM at /nonexistent/vm.sock"));
	struct done d = { 0 };
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
	g_assert_cmpint(target_stop(t, on_done, &d, &e1), ==, TARGET_FAILED);
	g_assert_error(e1, TARGET_ERROR, TARGET_E_NOT_READY);
	g_assert_cmpint(target_resume(t, VMDBG_ACT_CONTINUE, NULL, 0, on_done, &d, &e2), ==,
			TARGET_FAILED);
	g_assert_cmpint(target_point_insert(t, a.c, 0, 0x1000, 4, 0, on_done, &d, &e3), ==,
			TARGET_FAILED);
	g_assert_cmpint(target_read_mem(t, 0, 0x1000, 4, NULL, &d, &e4), ==, TARGET_FAILED);
	g_assert_false(target_interrupt(t));
	ev_run(loop, EVRUN_NOWAIT);
	g_assert_false(d.called);
	g_assert_cmpint(target_client_remove(t, a.c, on_done, &d, NULL), ==, TARGET_DONE);
	g_assert_false(d.called);
	target_free(t);
	ev_loop_destroy(loop);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	vm_bin = g_getenv("DBGPROXY_VM");
	guest = g_getenv("GUEST_ARM64");
	if (!vm_bin || !guest) {
		g_printerr("DBGPROXY_VM and GUEST_ARM64 must be set (make check does)\n");
		return 77;
	}
	sym_tick = tu_symbol(guest, "tick");
	sym_after_probe = tu_symbol(guest, "after_probe");
	g_test_add_func("/target/not-connected", test_not_connected);
	g_test_add_func("/target/shared-sw-point", test_shared_sw_point);
	g_test_add_func("/target/leaving-takes-only-own-points", test_leaving_takes_only_own_points);
	g_test_add_func("/target/leaving-while-point-goes-in", test_leaving_while_point_goes_in);
	g_test_add_func("/target/memory-and-interrupt", test_interrupt_and_memory);
	g_test_add_func("/target/use-arch-keeps-skips", test_use_arch_keeps_skips);
	return g_test_run();
}
