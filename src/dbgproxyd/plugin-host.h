/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * plugin-host.h - the plugin host (dbgproxyd-plugin(7)) as the rest of the
 * daemon sees it: load and unload plugins, list them, and run the monitor
 * commands they add.  The plugins' own interface is the installed
 * include/dbgproxyd-plugin.h; plugin-host.c and plugin-api.c implement it.
 */
#ifndef PLUGIN_HOST_H
#define PLUGIN_HOST_H

#include <stdbool.h>
#include <ev.h>
#include <glib.h>

#include "target.h"

struct plugin_host;

struct plugin_host *plugin_host_new(struct ev_loop *loop, struct target *t);
/* Unload every plugin (their fini runs), then free. */
void plugin_host_free(struct plugin_host *h);

/* "FILE[:ARG[,ARG...]]" (--plugin, plugins=) into the file and its arguments. */
void plugin_spec_parse(const char *spec, char **file, GStrv *args);
/* Load FILE (a path, or a name looked for in $DBGPROXYD_PLUGIN_DIR and the
 * installed plugin directory, with or without ".so") with args.  On
 * success *name (may be NULL) is the plugin's name; on failure nothing of
 * it is left loaded. */
bool plugin_host_load(struct plugin_host *h, const char *file, char **args, char **name,
		      GError **error);
bool plugin_host_unload(struct plugin_host *h, const char *name, GError **error);
/* Carry out the unloads plugins asked for and are waiting for the loop
 * (dbgp_unload_self), and give the services (below): what gdb asks next
 * sees them done.  Not from inside a plugin's call. */
void plugin_host_settle(struct plugin_host *h);
/* Give the services to the plugins waiting for them now, not at the loop's
 * idle time: a guest gdb resumes right after "monitor plugin load tasks"
 * must not stop, under load, before taskprof has the service. */
void plugin_host_give_services(struct plugin_host *h);
/* monitor plugin list */
char *plugin_host_describe(struct plugin_host *h);
/* monitor help: one line per plugin command */
void plugin_host_help(struct plugin_host *h, GString *out);

/* A monitor command line: false when no plugin has its first word; else
 * fn runs exactly once with the answer (now or later: within a bounded
 * time even if the plugin never answers). */
typedef void (*plugin_reply_fn)(void *ctx, const char *text);
bool plugin_host_command(struct plugin_host *h, const char *line, plugin_reply_fn fn, void *ctx);

/* Threads of the guest's OS from plugins (plugin-threads.c).  gdb ids
 * PLUGIN_TID_BASE and up; a vCPU's is its index + 1. */
#define PLUGIN_TID_BASE 0x1000
struct plugin_thread {
	uint64_t tid;
	uint64_t key;             /* the plugin's id of it */
	char *name;
	int vcpu;                 /* running on it now, or -1 */
	char *plugin;             /* whose */
};
/* Make the list current for this stop (the providers are asked once per
 * stop): true when it is, and fn is not called; else fn(ctx) runs once,
 * later, when it is (within a bounded time whatever the plugins do). */
typedef void (*plugin_threads_fn)(void *ctx);
bool plugin_host_threads_refresh(struct plugin_host *h, plugin_threads_fn fn, void *ctx);
/* The list as last made: struct plugin_thread *, in the plugins' order. */
const GPtrArray *plugin_host_threads(const struct plugin_host *h);
const struct plugin_thread *plugin_host_thread(const struct plugin_host *h, uint64_t tid);
/* A plugin thread's registers for a description of CPU model `model`:
 * values maps const struct reg_handle * to GBytes * (those the plugin
 * knows), NULL with err.  false with *error when it cannot be asked; else
 * fn runs exactly once, possibly before this returns. */
typedef void (*plugin_regs_fn)(void *ctx, GHashTable *values, const GError *err);
bool plugin_host_thread_regs(struct plugin_host *h, uint64_t tid, unsigned model,
			     plugin_regs_fn fn, void *ctx, GError **error);

#endif
