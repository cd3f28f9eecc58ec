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
#include "x86-paging.h"

struct target_client {
	struct target *t;
	char *name;
	const struct target_client_ops *ops;
	void *ctx;
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
	GPtrArray *vcpu_regset;       /* per vCPU: borrowed struct regset * */
	uint32_t nr_vcpus;            /* of the caches and the tables below */
	struct regcache **caches;     /* per vCPU */
	struct vcpu_paging *paging;   /* per vCPU: x86 paging registers at this stop */
	uint64_t paging_gen;          /* bumped when they may change (resume, SET_REGS) */
	uint64_t mem_here[2];         /* reads, writes served from shared memory */
	uint64_t mem_vm[2];           /* reads, writes sent to the VM */

	/* run state */
	enum target_state state;
	bool interrupted;             /* target_interrupt() before the stop */
	bool guest_dead;
	GQueue pending_stops;         /* struct vmdbg_stopped *, not yet taken */

	/* breakpoints (target-points.c) */
	GHashTable *sw_points;        /* gva (uint64_t *) -> struct sw_point * */
	GArray *hw_points;            /* struct hw_point: who asked for what */
	struct hwslots *hw;           /* NULL until the VM is ready */
	struct vmdbg_guest_debug hw_committed; /* what the VM has now */
};

struct vcpu_paging {
	struct x86_paging pg;
	bool valid;
};

/* target-regmem.c: the paging registers are stale from now on. */
void target_paging_invalidate(struct target *t);

/* target.c: send one encoded request on the link; false (error set) when
 * the link is down. */
bool target_send(struct target *t, const GByteArray *frame, uint32_t seq, vmlink_reply_fn fn,
		 void *ctx, GError **error);
uint32_t target_seq(struct target *t);
/* False (TARGET_E_NOT_READY with why) unless target_ready(); the second
 * also checks the vCPU index. */
bool target_need_ready(const struct target *t, GError **error);
bool target_need_vcpu(const struct target *t, uint32_t vcpu, GError **error);

/* target-points.c */
void target_points_init(struct target *t);
/* The VM is ready (hello known): a fresh slot table. */
void target_points_reset(struct target *t);
void target_points_free(struct target *t);
/* Forget owner's points; with vm_too, take them out of the VM as well. */
void target_points_drop_owner(struct target *t, struct target_client *owner, bool vm_too);
/* Is a queued software breakpoint stop at addr still one of ours? */
bool target_sw_point_at(const struct target *t, uint64_t addr);

#endif
