/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * dbgproxyd-tasks.h - the "tasks" service of the tasks plugin, for other
 * plugins (dbgproxyd-plugin(7), SERVICES): which task of the guest kernel
 * runs on a vCPU, and the tasks of the last listing.
 *
 *	uint32_t id = dbgp_service_use(self, DBGP_TASKS_SERVICE, DBGP_TASKS_MAJOR, 0,
 *				       &events, ctx, &error);
 *	// events.up(ctx, table, minor): table is a const struct dbgp_tasks_v1 *
 *
 * Asynchronous answers: a consumer keeps the id current() returns and
 * gives it to cancel() when it no longer wants the answer (before it
 * unloads: in its fini, while it has not heard down()).  When the service
 * goes down, answers still due are never given: the consumer frees what
 * it kept for them in its down().
 */
#ifndef DBGPROXYD_TASKS_H
#define DBGPROXYD_TASKS_H

#include <stdbool.h>
#include <stdint.h>

#include "dbgproxyd-plugin.h"

#define DBGP_TASKS_SERVICE "tasks"
#define DBGP_TASKS_MAJOR 1
#define DBGP_TASKS_MINOR 0

struct dbgp_task {
	uint64_t addr;               /* the kernel's task object */
	const char *name;            /* the task's name (valid for the call) */
	uint64_t thread;             /* the thread object (current(): the running one) */
};

/* task NULL with err when it could not be read (nothing runs, a corrupt
 * structure, the VM went away). */
typedef void (*dbgp_task_fn)(void *ctx, uint32_t vcpu, const struct dbgp_task *task,
			     const GError *err);

struct dbgp_tasks_v1 {
	/* The task running on vcpu, which must be stopped (e.g. from a
	 * breakpoint hit's callback).  fn runs exactly once, from the loop,
	 * unless cancelled first.  Returns an id > 0, or 0 with *error. */
	uint32_t (*current)(uint32_t vcpu, dbgp_task_fn fn, void *ctx, GError **error);
	void (*cancel)(uint32_t id);
	/* The tasks of the last listing (each once, in the kernel's order);
	 * returns how many. */
	unsigned (*foreach)(void (*fn)(void *ctx, const struct dbgp_task *task), void *ctx);
	/* The profile in use ("gnumach", ...). */
	const char *(*profile)(void);
};

#endif
