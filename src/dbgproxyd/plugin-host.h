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
/* monitor plugin list */
char *plugin_host_describe(struct plugin_host *h);
/* monitor help: one line per plugin command */
void plugin_host_help(struct plugin_host *h, GString *out);

/* A monitor command line: false when no plugin has its first word; else
 * fn runs exactly once with the answer (now or later: within a bounded
 * time even if the plugin never answers). */
typedef void (*plugin_reply_fn)(void *ctx, const char *text);
bool plugin_host_command(struct plugin_host *h, const char *line, plugin_reply_fn fn, void *ctx);

#endif
