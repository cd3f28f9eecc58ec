/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * target.h - one VM as every client of the daemon sees it.
 *
 * The target owns the vmdbg link to the VM and everything that is true of
 * the VM whoever looks at it: what it is (architecture, target
 * description, one regset per vCPU model), its run state in all-stop
 * (STOPPED, RUNNING, STOPPING while a PAUSE is on its way) with the queue
 * of stops not yet reported and the filter that drops stale ones, the
 * breakpoint table with owners and reference counts, the hardware slot
 * allocator and what was last committed to the VM, and one register
 * cache per vCPU, valid while the VM is stopped.
 *
 * Clients attach with target_client_add(): a gdb session is one (session.c);
 * a plugin or the daemon itself would be another.  The target tells every
 * client when the VM is ready, lost, or stopped after running.  Points
 * belong to the client that inserted them: a client inserts the same
 * point once (inserting again is a no-op), points of several clients at
 * one place are reference-counted (the VM has it once), and removing a
 * client (target_client_remove) removes only its points.
 *
 * Requests are typed; nothing outside target*.c encodes a vmdbg frame.
 * A request returns TARGET_DONE (finished now; no callback), TARGET_PENDING
 * (its callback runs exactly once, later, from the loop: never from inside
 * the call) or TARGET_FAILED (GError set; no callback).  A callback's ctx
 * must stay valid until it runs; the client's own state may be gone by
 * then, which is why contexts carry ids, not pointers (session.h).
 */
#ifndef TARGET_H
#define TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <ev.h>
#include <glib.h>

#include "arch.h"
#include "hwdebug.h"
#include "regs.h"
#include "tdesc.h"
#include "vmdbg-glib.h"

#define TARGET_ERROR (target_error_quark())
GQuark target_error_quark(void);
enum target_err {
	TARGET_E_NOT_READY = 1, /* not connected to the VM, or no description */
	TARGET_E_INVAL,         /* a request the target cannot take at all */
};

enum target_result { TARGET_DONE, TARGET_PENDING, TARGET_FAILED };
enum target_state { TGT_STOPPED, TGT_RUNNING, TGT_STOPPING };

struct target;
struct target_client;

struct target_client_ops {
	/* the VM is connected and its description known */
	void (*ready)(void *ctx);
	/* the link to the VM went down (requests in flight failed first) */
	void (*lost)(void *ctx, const char *why);
	/* the VM was running and every vCPU is stopped now: take the stops
	 * with target_take_stop(); interrupted: target_interrupt() asked for
	 * it; err: the PAUSE failed (the state is STOPPED regardless) */
	void (*stopped)(void *ctx, bool interrupted, const GError *err);
	/* a breakpoint command printed text (NUL-terminated) on vCPU vcpu (may be NULL) */
	void (*output)(void *ctx, uint32_t vcpu, const char *text);

	/* Passive clients only (plugins), each may be NULL.  After an all-stop
	 * pause and before any debugger hears of it, with every vCPU stopped:
	 * hit() once per stop at a breakpoint the client owns (addr: the
	 * point's address); a stop at points only passive clients own is
	 * then dropped and stepped over by the next resume.  stop() once per
	 * stop still to be reported.  Requests a client makes from these (or
	 * from the completions of those) run before the target goes on:
	 * wrap them in target_hold()/target_release(). */
	void (*paused)(void *ctx);  /* first, every vCPU stopped: a chance to change points */
	void (*hit)(void *ctx, const struct vmdbg_stopped *ev, uint64_t addr);
	void (*stop)(void *ctx, const struct vmdbg_stopped *ev);
};

struct target_config {
	struct tdesc *user_tdesc;         /* --tdesc, or NULL: the built-in one */
	const struct arch_ops *x86_arch;  /* --x86-arch, or NULL: vCPU 0's mode */
	bool no_shared_memory;            /* --no-shared-memory: every access through the socket */
	enum target_watch_with {          /* --watch-with */
		WATCH_WITH_AUTO = 0,      /* debug registers, page protection beyond them */
		WATCH_WITH_REGISTERS,     /* only the debug registers */
		WATCH_WITH_PAGES,         /* only page protection */
	} watch_with;
};

struct target *target_new(struct ev_loop *loop, const char *vm_path,
			  const struct target_config *cfg);
void target_free(struct target *t);

/* ---- clients ----------------------------------------------------------------------- */

struct target_client *target_client_add(struct target *t, const char *name,
					const struct target_client_ops *ops, void *ctx);
/* A passive client (a plugin): it owns points and sees stops but never
 * resumes the guest; it is told stopped() only when ops has one.  While
 * only passive clients are attached the target runs the guest itself:
 * a stop at their points is stepped over and the guest resumed; any
 * other stop keeps the guest stopped until a debugger attaches. */
struct target_client *target_client_add_passive(struct target *t, const char *name,
						const struct target_client_ops *ops, void *ctx);
/* Is a debugger (a client that is not passive) attached? */
bool target_has_debugger(const struct target *t);
/* While the passive clients look at a stop (paused(), hit(), stop()):
 * keep the target from going on until the matching release.  The token
 * (0: not in that phase, nothing held) ties the two: a release after the
 * phase was abandoned (the VM went away) changes nothing. */
uint64_t target_hold(struct target *t);
void target_release(struct target *t, uint64_t token);
/* Running: stop every vCPU for the passive clients (their paused() runs;
 * then the clients hear stopped() as after any run, with no stop: gdb's
 * session runs on as it was, and with no debugger the target resumes).
 * True when that is under way; false when the VM is not running. */
bool target_pause_for_clients(struct target *t);
/* The description's generation: bumped whenever the regsets are rebuilt
 * (a new link to the VM, another x86 mode). */
uint64_t target_generation(const struct target *t);
/* Changes whenever the guest may have run (a resume, the VM again):
 * what was read of it at one value holds while it stays. */
uint64_t target_runs(const struct target *t);
/* vcpu's CPU model: the index of its regset among the distinct ones
 * (vCPUs with one model share handles); -1 when not ready or no such vCPU. */
int target_vcpu_model(const struct target *t, uint32_t vcpu);
const struct regset *target_model_regset(const struct target *t, unsigned model);
/* Is the target in that phase now (a hold is meaningful)? */
bool target_in_hooks(const struct target *t);
/* Remove the client's points from the VM and forget it (no callback to it
 * runs after this).  When the last debugger leaves and passive clients
 * stay, the guest resumes (every vCPU continues; their points stay).
 * When the last client leaves, the VM is told DETACH:
 * every point gone and every vCPU running, as if no debugger had been
 * there.  fn (may be NULL) runs once the VM has taken that. */
typedef void (*target_done_fn)(void *ctx, const GError *err);
enum target_result target_client_remove(struct target *t, struct target_client *c,
					target_done_fn fn, void *ctx, GError **error);

/* ---- what the VM is ------------------------------------------------------------------ */

/* Connected and the registers can be served.  False with the reason
 * (not connected, or why the description cannot be built) in *why. */
bool target_ready(const struct target *t, const char **why);
/* Why the VM's registers cannot be served (connected, but no usable
 * description), or NULL. */
const char *target_tdesc_error(const struct target *t);
/* The link to the VM is up (the description may still be unusable). */
bool target_connected(const struct target *t);
/* The link's first attempt at the VM has ended (vmlink_tried) */
bool target_link_tried(const struct target *t);
/* vmlink_attempts() and vmlink_retry_now() of the target's link */
unsigned target_link_attempts(const struct target *t, const char **why_down);
unsigned target_link_retry_now(struct target *t);
const char *target_vm_path(const struct target *t);
const struct vmdbg_hello *target_hello(const struct target *t);
/* Does the VM, connected now, have this HELLO feature (VMDBG_FEAT_*)? */
bool target_vm_has(const struct target *t, uint32_t feature);
uint32_t target_nr_vcpus(const struct target *t);
const struct arch_ops *target_arch(const struct target *t);
const struct tdesc *target_tdesc(const struct target *t);
const struct regset *target_regset(const struct target *t, uint32_t vcpu);
/* An x86 VM whose description follows vCPU 0's mode (no --tdesc, no
 * --x86-arch). */
bool target_x86_auto(const struct target *t);
/* Serve `arch`'s built-in description from now on; false with the reason
 * if it cannot be, and the VM's default one is back. */
bool target_use_arch(struct target *t, const struct arch_ops *arch, GError **error);
/* Drop the link now (the daemon exits). */
void target_disconnect(struct target *t, const char *why);

/* ---- run control (all-stop) ----------------------------------------------------------------- */

enum target_state target_state(const struct target *t);
/* The guest shut down: inspect only, it cannot run again. */
bool target_guest_dead(const struct target *t);

/* Stop every vCPU (PAUSE); fn runs when all are stopped.  The stops that
 * happened meanwhile wait in the queue. */
enum target_result target_stop(struct target *t, target_done_fn fn, void *ctx, GError **error);
/* Run: every vCPU takes `dflt` unless an entry names it.  The register
 * caches are dropped.  fn runs with the VM's answer to RESUME (an error:
 * the VM did not resume; the state is STOPPED again); the stop that ends
 * the run comes through the clients' stopped(). */
enum target_result target_resume(struct target *t, uint32_t dflt,
				 const struct vmdbg_resume_entry *entries, unsigned n,
				 target_done_fn fn, void *ctx, GError **error);
/* While running: stop everything, and tell the clients it was asked for.
 * While stopping: mark it asked for.  Otherwise false. */
bool target_interrupt(struct target *t);
/* The next stop still worth reporting (not at a breakpoint removed since,
 * nor a hit of a freed slot); false when none is left. */
bool target_take_stop(struct target *t, struct vmdbg_stopped *out);
/* What a debug stop means in terms of the hardware points. */
void target_decode_hw(const struct target *t, const struct vmdbg_stopped *ev, struct hw_hit *out);
/* Why a vCPU stopped, in words for people and logs ("breakpoint",
 * "watchpoint", "step", "triple fault"...) */
const char *target_stop_words(const struct target *t, const struct vmdbg_stopped *ev);

/* ---- registers ---------------------------------------------------------------------------- */

/* vCPU `vcpu`'s cache: valid values of the registers fetched since it last ran. */
struct regcache *target_regcache(struct target *t, uint32_t vcpu);
/* Make hs[0..n) (all with hs NULL, n 0) of vcpu valid in its cache: DONE
 * when they are already, else one GET_REGS and fn. */
enum target_result target_fetch_regs(struct target *t, uint32_t vcpu,
				     const struct reg_handle *const *hs, unsigned n,
				     target_done_fn fn, void *ctx, GError **error);
/* Write hs[0..n) (new values concatenated in data) through the cache to
 * the VM in one SET_REGS; their VM registers must be cached.  A read-only
 * handle with a new value: FAILED, *read_only set.  DONE when nothing
 * needs to go to the VM. */
enum target_result target_write_regs(struct target *t, uint32_t vcpu,
				     const struct reg_handle *const *hs, unsigned n,
				     const uint8_t *data, const struct reg_handle **read_only,
				     target_done_fn fn, void *ctx, GError **error);
/* VM registers by id, bypassing the description (vCPU 0's mode at
 * attach): fn gets the values, or NULL with err. */
typedef void (*target_regvals_fn)(void *ctx, const struct vmdbg_reg_vals *vals, const GError *err);
enum target_result target_get_vm_regs(struct target *t, uint32_t vcpu, const uint64_t *ids,
				      unsigned n, target_regvals_fn fn, void *ctx, GError **error);

/* ---- memory ------------------------------------------------------------------------------ */

/* Read len bytes (VM-sized requests, all sent at once).  fn gets the bytes
 * read from addr up to the first that could not be (n may be short, or 0
 * with err saying why). */
typedef void (*target_mem_fn)(void *ctx, const uint8_t *data, size_t n, const GError *err);
enum target_result target_read_mem(struct target *t, uint32_t vcpu, uint64_t addr, size_t len,
				   target_mem_fn fn, void *ctx, GError **error);
enum target_result target_write_mem(struct target *t, uint32_t vcpu, uint64_t addr,
				    const uint8_t *data, size_t len, target_done_fn fn, void *ctx,
				    GError **error);
/* The same, done now in the guest memory the VM shares (vmdbg MEM_MAP),
 * when that can be exactly right: true when done.  False means nothing
 * was done — the VM does not share, the bytes are not all RAM, a write
 * touches a software breakpoint, requests to the VM are still under way,
 * or (x86) the vCPU's paging registers are not known yet — and the
 * caller uses the calls above. */
bool target_read_mem_now(struct target *t, uint32_t vcpu, uint64_t addr, uint8_t *out,
			 size_t len);
bool target_write_mem_now(struct target *t, uint32_t vcpu, uint64_t addr, const uint8_t *data,
			  size_t len);
/* How guest memory is reached, for people (monitor info vm): one line. */
char *target_describe_mem(const struct target *t);

/* ---- breakpoints and watchpoints ------------------------------------------------------------ */

/* gdb's Z types: 0 software breakpoint (len: its kind), 1-4 enum hw_kind. */
enum target_result target_point_insert(struct target *t, struct target_client *owner,
				       unsigned type, uint64_t addr, uint64_t len, uint32_t vcpu,
				       target_done_fn fn, void *ctx, GError **error);
enum target_result target_point_remove(struct target *t, struct target_client *owner,
				       unsigned type, uint64_t addr, uint64_t len, uint32_t vcpu,
				       target_done_fn fn, void *ctx, GError **error);
/* The condition list and commands of the breakpoint at addr (gdb agent
 * expressions: codes holds nconds conditions, then ncmds commands; none
 * removes them), for the VM to evaluate where it hits (vmdbg
 * POINT_COND; TARGET_E_INVAL when the VM lacks feature CONDITIONS).
 * Conditions belong to the address, whoever inserted the point. */
enum target_result target_point_cond(struct target *t, uint64_t addr,
				     const struct vmdbg_cond_reg *regs, uint32_t nregs,
				     const uint8_t *const *codes, const uint32_t *lens,
				     uint32_t nconds, uint32_t ncmds, target_done_fn fn, void *ctx,
				     GError **error);
/* Software breakpoints the VM has now (any owner). */
unsigned target_sw_points(const struct target *t);
/* Of those, the ones no client wants any more, their REMOVE on its way. */
unsigned target_sw_points_leaving(const struct target *t);
/* The hardware slot table for people (monitor hw). */
char *target_describe_hw(const struct target *t);
/* The page-protection watches as the VM counts them (monitor hw): fn gets
 * the text once (an error is said in it).  False when the request cannot
 * be sent. */
typedef void (*target_text_fn)(void *ctx, const char *text);
bool target_list_watches(struct target *t, target_text_fn fn, void *ctx, GError **error);
/* Page-protection watches the daemon has at the VM (any owner). */
unsigned target_watch_count(const struct target *t);
/* --watch-with */
enum target_watch_with target_watch_with(const struct target *t);

#endif
