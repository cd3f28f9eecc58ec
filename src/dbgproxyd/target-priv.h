/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * target-priv.h - what target.c (link, description, clients, run
 * control), target-regmem.c (registers and memory) and target-points.c
 * (the breakpoint table) share.
 * Private to them.
 */
#ifndef TARGET_PRIV_H
#define TARGET_PRIV_H

#include "target.h"
#include "vmlink.h"
#include "log.h"
#include "x86-paging.h"

struct target_client {
	struct target *t;
	char *name;
	const struct target_client_ops *ops;
	void *ctx;
	bool passive;
};

struct target {
	struct ev_loop *loop;
	struct vmlink *link;
	struct target_config cfg;
	GPtrArray *clients;           /* struct target_client * */
	char *not_connected;          /* the text of TARGET_E_NOT_READY */

	/* what the VM is, valid while the link is ready and no tdesc_error */
	char *tdesc_error;            /* why the VM's registers cannot be served */
	const struct arch_ops *arch;
	struct tdesc *tdesc;
	GPtrArray *regsets;           /* distinct CPU models: struct regset * */
	uint64_t generation;          /* bumped when they are rebuilt */
	uint64_t runs;                /* bumped whenever the guest may have run */
	GPtrArray *vcpu_regset;       /* per vCPU: borrowed struct regset * */
	uint32_t nr_vcpus;            /* of the caches and the tables below */
	struct regcache **caches;     /* per vCPU */
	struct vcpu_paging *paging;   /* per vCPU: x86 paging registers at this stop */
	uint64_t paging_gen;          /* bumped when they may change (resume, SET_REGS) */
	uint64_t mem_here[2];         /* reads, writes served from shared memory */

	/* conditions the daemon evaluates (target-conds.c) */
	struct vm_conds *conds;       /* per address, for a VM without CONDITIONS */
	bool *skip;                   /* per vCPU: a dropped hit to step over before it runs */
	uint64_t *skip_pc;
	struct cond_eval *eval;       /* under way, or NULL */
	struct stepover *so;          /* under way, or NULL */
	uint64_t mem_vm[2];           /* reads, writes sent to the VM */

	/* run state */
	enum target_state state;
	bool interrupted;             /* target_interrupt() before the stop */
	bool guest_dead;
	bool death_logged;            /* LOG_GUEST_DIED said, once per VM connection */
	GQueue pending_stops;         /* struct vmdbg_stopped *, not yet taken */
	struct hooks *hooks;          /* the passive clients' look at a stop, or NULL */
	bool resume_when_clear;       /* a debugger-less pause: resume once its stops are seen */

	/* breakpoints (target-points.c) */
	GHashTable *sw_points;        /* gva (uint64_t *) -> struct sw_point * */
	GArray *hw_points;            /* struct hw_point: who asked for what */
	struct hwslots *hw;           /* NULL until the VM is ready */
	struct vmdbg_guest_debug hw_committed; /* what the VM has now */
	GPtrArray *watches;           /* struct page_watch * (target-watch.c) */
};

struct vcpu_paging {
	struct x86_paging pg;
	bool valid;
};

/* target-regmem.c: the paging registers are stale from now on. */
void target_paging_invalidate(struct target *t);

/* target-conds.c */
bool target_conds_local(const struct target *t);
void target_conds_reset(struct target *t);
void target_conds_free(struct target *t);  /* no callbacks */
enum target_result target_conds_set(struct target *t, uint64_t addr,
				    const struct vmdbg_cond_reg *regs, uint32_t nregs,
				    const uint8_t *const *codes, const uint32_t *lens,
				    uint32_t nconds, uint32_t ncmds, GError **error);
/* The all-stop pause is done: true when hits at listed points are being
 * evaluated (the clients hear stopped() when that is over). */
bool target_conds_filter(struct target *t, bool interrupted);
/* A resume that must first step vCPUs over dropped hits: true when that
 * has begun (fn is called once the resume itself is done). */
bool target_stepover_begin(struct target *t, uint32_t dflt, const struct vmdbg_resume_entry *entries,
			   unsigned n, target_done_fn fn, void *ctx);
/* A stop event: true when it was the step-over's own step (consumed). */
bool target_stepover_stopped(struct target *t, const struct vmdbg_stopped *ev);
/* The step-over is over without its resume (a pause, the VM gone). */
void target_stepover_abandon(struct target *t, const GError *err);

/* target-hooks.c: after an all-stop pause, before the debugger hears:
 * passive clients' hit() and stop(), then conditions, then stopped().
 * Returns at once; target_after_pause ends in target_tell_stopped. */
void target_after_pause(struct target *t, bool interrupted);
void target_hooks_free(struct target *t);  /* no callbacks */
/* The owners of the breakpoint this stop is a hit at (none: not a hit). */
void target_point_owners(const struct target *t, const struct vmdbg_stopped *ev, GPtrArray *owners,
			 uint64_t *addr);

/* target.c */
void target_tell_stopped(struct target *t, bool interrupted, const GError *err);
void target_tell_output(struct target *t, uint32_t vcpu, const char *text);
enum target_result target_resume_now(struct target *t, uint32_t dflt,
				     const struct vmdbg_resume_entry *entries, unsigned n,
				     target_done_fn fn, void *ctx, GError **error);

/* target.c: send one encoded request on the link; false (error set) when
 * the link is down. */
bool target_send(struct target *t, const GByteArray *frame, uint32_t seq, vmlink_reply_fn fn,
		 void *ctx, GError **error);
uint32_t target_seq(struct target *t);
/* False (TARGET_E_NOT_READY with why) unless target_ready(); the second
 * also checks the vCPU index. */
bool target_need_ready(const struct target *t, GError **error);
bool target_need_vcpu(const struct target *t, uint32_t vcpu, GError **error);

/* target-desc.c: forget the description, regsets and caches (the VM
 * went, or they are rebuilt); build them for arch (NULL: the VM's own) */
void target_forget_vm(struct target *t);
bool target_learn_vm(struct target *t, const struct arch_ops *arch, GError **error);

/* target-points.c */
void target_points_init(struct target *t);
/* The VM is ready (hello known): a fresh slot table. */
void target_points_reset(struct target *t);
void target_points_free(struct target *t);
/* Forget owner's points; with vm_too, take them out of the VM as well. */
void target_points_drop_owner(struct target *t, struct target_client *owner, bool vm_too);
/* Does a client still want a software breakpoint at addr (in the VM, or
 * on its way there)?  A point whose last owner left is on its way out:
 * a stop at it is stale, and a step-over neither lifts nor restores it. */
bool target_sw_point_at(const struct target *t, uint64_t addr);
/* A software breakpoint stop at addr was stale: make sure the VM has no
 * breakpoint there that the table does not know. */
void target_sw_point_forget(struct target *t, uint32_t vcpu, uint64_t addr);
/* Its kind (gdb's), 0 when there is none. */
uint32_t target_sw_point_kind(const struct target *t, uint64_t addr);

/* target-watch.c: watches by page protection (VM feature PAGE_WATCH) */
void target_watches_init(struct target *t);
void target_watches_reset(struct target *t);
void target_watches_free(struct target *t);
/* Is (kind, addr, len) a page watch (of owner; NULL: of anyone)? */
bool target_watch_here(const struct target *t, struct target_client *owner, enum hw_kind kind,
		       uint64_t addr, uint64_t len);
enum target_result target_watch_change(struct target *t, struct target_client *owner, bool insert,
				       enum hw_kind kind, uint64_t addr, uint64_t len,
				       uint32_t vcpu, target_done_fn fn, void *ctx, GError **error);
void target_watches_drop_owner(struct target *t, struct target_client *owner);
/* A STOPPED WATCH as gdb hears it; false for any other stop. */
bool target_watch_decode(const struct vmdbg_stopped *ev, struct hw_hit *out);

#endif
