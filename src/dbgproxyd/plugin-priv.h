/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * plugin-priv.h - what plugin-host.c (loading, unloading, calls into
 * plugins, monitor commands), plugin-services.c (services between
 * plugins) and plugin-api.c (the VM: events, registers, memory,
 * breakpoints) share.  Private to them.
 *
 * A plugin's code runs only through plugin_enter()/plugin_leave(): they
 * refuse once it is closing and count how deep its code is on the stack,
 * so that an unload asked for from inside it waits until it has returned.
 * Everything that outlives a call (requests in flight, queued callbacks)
 * holds a reference to the struct dbgp_plugin, which outlives the module.
 */
#ifndef PLUGIN_PRIV_H
#define PLUGIN_PRIV_H

#include <gmodule.h>

#include "dbgproxyd-plugin.h"
#include "plugin-host.h"
#include "target.h"

enum plugin_state { PLUGIN_LOADING, PLUGIN_ACTIVE, PLUGIN_CLOSING };

struct plugin_host {
	struct ev_loop *loop;
	struct target *t;
	GPtrArray *plugins;          /* struct dbgp_plugin *, in load order */
	GPtrArray *commands;         /* struct pcommand * */
	GPtrArray *running;          /* struct dbgp_cmd *: answers not given yet */
	GPtrArray *services;         /* struct service * */
	GPtrArray *uses;             /* struct service_use *, in the order asked */
	GQueue later;                /* struct later *: callbacks due from the loop */
	/* plugin-threads.c */
	GPtrArray *threads;          /* struct plugin_thread *: the last list */
	GHashTable *tids;            /* "plugin\nkey" -> gdb thread id (uint64_t *) */
	uint64_t next_tid;
	uint64_t listed_runs;        /* target_runs() the list is of */
	bool listed;                 /* ... when set */
	GPtrArray *gathering;        /* struct plugin_thread *: a list being made, or NULL */
	uint64_t gathering_runs;
	unsigned list_waiting;       /* providers that have not answered it */
	GArray *list_waiters;        /* struct list_waiter */
	ev_timer list_timeout_w;
	GPtrArray *treqs;            /* struct dbgp_threads * their plugins still hold */
	ev_idle later_w;
	uint32_t next_id;
};

struct dbgp_plugin {
	int refs;
	struct plugin_host *h;
	GModule *module;
	const struct dbgp_plugin_info *info;
	char *name;
	char *file;
	GStrv args;
	enum plugin_state state;
	unsigned depth;              /* its code on the stack */
	char *unload_why;            /* an unload waits for depth 0 */
	struct target_client *client;
	struct dbgp_events events;
	void *events_ctx;
	GHashTable *regs;            /* "model:name" -> struct dbgp_reg * */
	GPtrArray *breaks;           /* struct pbreak * */
	bool flushing, flush_again;  /* plugin-api.c: breakpoints going to the VM */
	bool provides_threads;       /* plugin-threads.c */
	struct dbgp_thread_ops tops;
	void *tops_ctx;
};

struct dbgp_reg {
	struct dbgp_plugin *p;
	unsigned model;
	char *name;
	unsigned bits;
	uint64_t gen;                /* the description h was found in */
	const struct reg_handle *h;
};

/* Run plugin code only between these: false, nothing to run, when the
 * plugin is not (or no longer) active. */
bool plugin_enter(struct dbgp_plugin *p);
void plugin_leave(struct dbgp_plugin *p);
struct dbgp_plugin *plugin_ref(struct dbgp_plugin *p);
void plugin_unref(struct dbgp_plugin *p);
bool plugin_active(const struct dbgp_plugin *p);

/* A name for a command or service: 1 to 64 of [A-Za-z0-9_.-]; what is
 * what it names, for the error. */
bool plugin_valid_name(const char *name, GError **error, const char *what);

/* Run fn(data) from the loop (destroy(data) afterwards, or at shutdown). */
void plugin_later(struct plugin_host *h, void (*fn)(void *data), void *data,
		  void (*destroy)(void *data));
/* run the queued calls of fn now (plugin_host_give_services) */
void plugin_later_run(struct plugin_host *h, void (*fn)(void *data));

/* plugin-services.c: p is unloading — its services go (down() to their
 * users first), then its uses */
void plugin_services_drop(struct plugin_host *h, struct dbgp_plugin *p);
/* monitor plugin list: what p publishes and uses */
void plugin_services_describe(struct plugin_host *h, const struct dbgp_plugin *p, GString *out);

/* plugin-threads.c */
void plugin_threads_init(struct plugin_host *h);
void plugin_threads_free(struct plugin_host *h);
/* p is unloading: its threads and its unanswered requests go */
void plugin_threads_drop(struct plugin_host *h, struct dbgp_plugin *p);

/* plugin-api.c: the plugin's side of the target */
void plugin_api_attach(struct dbgp_plugin *p);   /* its target client */
void plugin_api_detach(struct dbgp_plugin *p);   /* points out, client gone */
void plugin_api_free(struct dbgp_plugin *p);     /* handles, breakpoint records */
/* monitor plugin list: its breakpoints */
void plugin_api_describe(const struct dbgp_plugin *p, GString *out);
/* The handle of r in the description the target has now (NULL with
 * DBGP_E_MODEL when it has none). */
const struct reg_handle *plugin_reg_resolve(struct dbgp_reg *r, GError **error);

#endif
