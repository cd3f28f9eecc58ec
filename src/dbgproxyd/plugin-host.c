/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * plugin-host.c - loading and unloading plugins (GModule), calls into
 * them and their monitor commands (plugin-host.h, dbgproxyd-plugin.h);
 * the services they publish to each other are plugin-services.c's.
 *
 * Loading checks the descriptor (symbol, ABI version, size, name) before
 * any plugin code runs; init failing unloads it again.  Unloading, in
 * order: the plugin stops receiving calls; consumers of its services hear
 * down(); its service uses, commands (answers pending: told it went) and
 * target client (its breakpoints) go; fini runs; the module is closed.
 * Asked for while its code is on the stack, that waits until it returns.
 */
#include "config.h"

#include <string.h>

#include "plugin-priv.h"

#define ANSWER_TIMEOUT 1.5   /* gdb's own remote timeout is 2 s */

struct later {
	void (*fn)(void *data);
	void *data;
	void (*destroy)(void *data);
};

struct pcommand {
	struct dbgp_plugin *p;
	char *name;
	char *help;
	dbgp_cmd_fn fn;
	void *ctx;
};

struct dbgp_cmd {
	struct plugin_host *h;
	struct dbgp_plugin *p;    /* a reference */
	GString *out;
	plugin_reply_fn fn;
	void *ctx;
	ev_timer timeout_w;
};

G_DEFINE_QUARK(dbgproxyd-plugin-error-quark, dbgp_error)

static void unload_now(struct plugin_host *h, struct dbgp_plugin *p);

/* ---- references, calls, the later queue ------------------------------------------------ */

struct dbgp_plugin *plugin_ref(struct dbgp_plugin *p)
{
	p->refs++;
	return p;
}

void plugin_unref(struct dbgp_plugin *p)
{
	if (!p || --p->refs > 0)
		return;
	plugin_api_free(p);
	g_free(p->name);
	g_free(p->file);
	g_strfreev(p->args);
	g_free(p->unload_why);
	g_free(p);
}

bool plugin_active(const struct dbgp_plugin *p)
{
	return p->state == PLUGIN_ACTIVE;
}

bool plugin_enter(struct dbgp_plugin *p)
{
	if (p->state == PLUGIN_CLOSING)
		return false;
	p->depth++;
	return true;
}

static void unload_deferred(void *data)
{
	struct dbgp_plugin *p = data;
	if (p->state == PLUGIN_ACTIVE && p->depth == 0)
		unload_now(p->h, p);
}

void plugin_leave(struct dbgp_plugin *p)
{
	if (--p->depth == 0 && p->unload_why && p->state == PLUGIN_ACTIVE)
		plugin_later(p->h, unload_deferred, plugin_ref(p), (void (*)(void *))plugin_unref);
}

static void later_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct plugin_host *h = w->data;
	/* only what is queued now: what these queue runs next time */
	guint n = h->later.length;
	while (n-- > 0) {
		struct later *l = g_queue_pop_head(&h->later);
		l->fn(l->data);
		if (l->destroy)
			l->destroy(l->data);
		g_free(l);
	}
	if (g_queue_is_empty(&h->later))
		ev_idle_stop(loop, w);
}

void plugin_later(struct plugin_host *h, void (*fn)(void *data), void *data,
		  void (*destroy)(void *data))
{
	struct later *l = g_new0(struct later, 1);
	*l = (struct later){ fn, data, destroy };
	g_queue_push_tail(&h->later, l);
	ev_idle_start(h->loop, &h->later_w);
}

void dbgp_unload_self(dbgp_plugin *p, const char *why)
{
	if (p->state == PLUGIN_CLOSING || p->unload_why)
		return;
	p->unload_why = g_strdup(why ? why : "it asked to be unloaded");
	/* in init (loading): plugin_host_load does it once the load is done */
	if (p->state == PLUGIN_ACTIVE && p->depth == 0)
		plugin_later(p->h, unload_deferred, plugin_ref(p), (void (*)(void *))plugin_unref);
}

const char *dbgp_name(const dbgp_plugin *p)
{
	return p->name;
}

void dbgp_log(dbgp_plugin *p, GLogLevelFlags level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* a plugin cannot make the daemon abort through the log */
	level &= G_LOG_LEVEL_MASK & ~(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
	if (!level)
		level = G_LOG_LEVEL_WARNING;
	g_log_structured("dbgproxyd", level, "PLUGIN", p->name, "MESSAGE", "plugin %s: %s", p->name,
			 msg);
}

bool plugin_valid_name(const char *name, GError **error, const char *what)
{
	bool ok = name && *name && strlen(name) <= 64;
	for (const char *c = name; ok && *c; c++)
		ok = g_ascii_isalnum(*c) || *c == '_' || *c == '-' || *c == '.';
	if (!ok)
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "%s name '%s': 1 to 64 of a-z, 0-9, '_', '-', '.'", what,
			    name ? name : "(null)");
	return ok;
}

/* ---- monitor commands ------------------------------------------------------------------------ */

static const char *const builtin_words[] = { "help", "info", "hw", "plugin", NULL };

bool dbgp_command_add(dbgp_plugin *p, const char *name, const char *help, dbgp_cmd_fn fn,
		      void *ctx, GError **error)
{
	if (!plugin_valid_name(name, error, "command"))
		return false;
	if (!fn) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "command %s: no function", name);
		return false;
	}
	if (g_strv_contains(builtin_words, name)) {
		g_set_error(error, DBGP_ERROR, DBGP_E_EXISTS, "'monitor %s' is built in", name);
		return false;
	}
	for (guint i = 0; i < p->h->commands->len; i++) {
		struct pcommand *c = g_ptr_array_index(p->h->commands, i);
		if (strcmp(c->name, name) == 0) {
			g_set_error(error, DBGP_ERROR, DBGP_E_EXISTS,
				    "'monitor %s' belongs to plugin %s", name, c->p->name);
			return false;
		}
	}
	struct pcommand *c = g_new0(struct pcommand, 1);
	*c = (struct pcommand){ p, g_strdup(name), g_strdup(help ? help : ""), fn, ctx };
	g_ptr_array_add(p->h->commands, c);
	return true;
}

GStrv dbgp_split_args(const char *args)
{
	g_auto(GStrv) w = g_strsplit_set(args ? args : "", " \t", -1);
	GPtrArray *words = g_ptr_array_new();
	for (char **p = w; *p; p++)
		if (**p)
			g_ptr_array_add(words, g_strdup(*p));
	g_ptr_array_add(words, NULL);
	return (GStrv)g_ptr_array_free(words, FALSE);
}

void dbgp_cmd_print(dbgp_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_string_append_vprintf(cmd->out, fmt, ap);
	va_end(ap);
}

static void cmd_finish(struct dbgp_cmd *cmd)
{
	ev_timer_stop(cmd->h->loop, &cmd->timeout_w);
	g_ptr_array_remove(cmd->h->running, cmd);
	if (cmd->fn)  /* else answered at its timeout already */
		cmd->fn(cmd->ctx, cmd->out->str);
	g_string_free(cmd->out, TRUE);
	plugin_unref(cmd->p);
	g_free(cmd);
}

void dbgp_cmd_done(dbgp_cmd *cmd)
{
	cmd_finish(cmd);
}

static void cmd_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dbgp_cmd *cmd = w->data;
	g_message("plugin %s did not answer a monitor command within %.1f s", cmd->p->name,
		  ANSWER_TIMEOUT);
	g_string_append_printf(cmd->out, "(plugin %s did not answer in time)\n", cmd->p->name);
	/* the plugin may still call dbgp_cmd_done: the command stays, answered
	 * already, until it does or the plugin unloads */
	ev_timer_stop(loop, w);
	cmd->fn(cmd->ctx, cmd->out->str);
	g_string_truncate(cmd->out, 0);
	cmd->fn = NULL;
}

void plugin_host_settle(struct plugin_host *h)
{
	for (guint i = h->plugins->len; i-- > 0;) {
		if (i >= h->plugins->len)
			continue;
		struct dbgp_plugin *p = g_ptr_array_index(h->plugins, i);
		if (p->unload_why && p->depth == 0 && p->state == PLUGIN_ACTIVE)
			unload_now(h, p);  /* its queued unload_deferred finds it closed */
	}
	plugin_host_give_services(h);
}

/* Run now the queued calls of fn (only those: an unload stays for the
 * loop, not the middle of a resume), in their order. */
void plugin_later_run(struct plugin_host *h, void (*fn)(void *data))
{
	GQueue due = G_QUEUE_INIT;
	for (GList *n = h->later.head; n;) {
		GList *next = n->next;
		struct later *l = n->data;
		if (l->fn == fn) {
			g_queue_unlink(&h->later, n);
			g_queue_push_tail_link(&due, n);
		}
		n = next;
	}
	struct later *l;
	while ((l = g_queue_pop_head(&due))) {
		l->fn(l->data);
		if (l->destroy)
			l->destroy(l->data);
		g_free(l);
	}
	if (g_queue_is_empty(&h->later))
		ev_idle_stop(h->loop, &h->later_w);
}

bool plugin_host_command(struct plugin_host *h, const char *line, plugin_reply_fn fn, void *ctx)
{
	plugin_host_settle(h);
	size_t wl = strcspn(line, " \t");
	struct pcommand *c = NULL;
	for (guint i = 0; i < h->commands->len && !c; i++) {
		struct pcommand *pc = g_ptr_array_index(h->commands, i);
		if (strlen(pc->name) == wl && strncmp(pc->name, line, wl) == 0)
			c = pc;
	}
	if (!c || !plugin_active(c->p))
		return false;
	g_autofree char *args = g_strstrip(g_strdup(line + wl));
	struct dbgp_cmd *cmd = g_new0(struct dbgp_cmd, 1);
	cmd->h = h;
	cmd->p = plugin_ref(c->p);
	cmd->out = g_string_new(NULL);
	cmd->fn = fn;
	cmd->ctx = ctx;
	ev_timer_init(&cmd->timeout_w, cmd_timeout, ANSWER_TIMEOUT, 0);
	cmd->timeout_w.data = cmd;
	ev_timer_start(h->loop, &cmd->timeout_w);
	g_ptr_array_add(h->running, cmd);
	struct dbgp_plugin *p = c->p;
	if (plugin_enter(p)) {
		c->fn(c->ctx, cmd, args);
		plugin_leave(p);
	}
	return true;
}

void plugin_host_help(struct plugin_host *h, GString *out)
{
	for (guint i = 0; i < h->commands->len; i++) {
		struct pcommand *c = g_ptr_array_index(h->commands, i);
		g_string_append_printf(out, "  monitor %-10s %s (plugin %s)\n", c->name, c->help,
				       c->p->name);
	}
}

/* ---- loading ---------------------------------------------------------------------------------- */

void plugin_spec_parse(const char *spec, char **file, GStrv *args)
{
	const char *colon = strchr(spec, ':');
	*file = colon ? g_strndup(spec, (gsize)(colon - spec)) : g_strdup(spec);
	*args = colon && colon[1] ? g_strsplit(colon + 1, ",", -1) : g_new0(char *, 1);
}

/* FILE itself when it names a file; else NAME[.so] in the plugin directories. */
static char *find_plugin(const char *file)
{
	if (strchr(file, '/'))
		return g_strdup(file);
	const char *dirs[] = { g_getenv("DBGPROXYD_PLUGIN_DIR"), PLUGINDIR };
	for (unsigned i = 0; i < G_N_ELEMENTS(dirs); i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		g_autofree char *so = g_strconcat(file, g_str_has_suffix(file, ".so") ? "" : ".so", NULL);
		char *path = g_build_filename(dirs[i], so, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
			return path;
		g_free(path);
	}
	return NULL;
}

static struct dbgp_plugin *plugin_find(struct plugin_host *h, const char *name)
{
	for (guint i = 0; i < h->plugins->len; i++) {
		struct dbgp_plugin *p = g_ptr_array_index(h->plugins, i);
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

/* The descriptor, checked before any of the plugin's code runs. */
static const struct dbgp_plugin_info *check_info(struct plugin_host *h, GModule *m,
						   const char *path, GError **error)
{
	gpointer sym = NULL;
	if (!g_module_symbol(m, DBGP_PLUGIN_SYMBOL, &sym) || !sym) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "%s is not a dbgproxyd plugin (no '%s' descriptor: see dbgproxyd-plugin(7))",
			    path, DBGP_PLUGIN_SYMBOL);
		return NULL;
	}
	const struct dbgp_plugin_info *info = sym;
	if (info->abi != DBGP_ABI_VERSION) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "%s was built for plugin ABI %u; this dbgproxyd has ABI %u: rebuild it "
			    "against this dbgproxyd-plugin.h", path, info->abi, DBGP_ABI_VERSION);
		return NULL;
	}
	if (info->size < sizeof(struct dbgp_plugin_info)) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "%s: descriptor of %u bytes, %zu expected",
			    path, info->size, sizeof(struct dbgp_plugin_info));
		return NULL;
	}
	if (!info->init || !plugin_valid_name(info->name, error, "plugin")) {
		if (!info->init)
			g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "%s: the descriptor has no init",
				    path);
		else
			g_prefix_error(error, "%s: ", path);
		return NULL;
	}
	struct dbgp_plugin *other = plugin_find(h, info->name);
	if (other) {
		g_set_error(error, DBGP_ERROR, DBGP_E_EXISTS,
			    "a plugin named %s is loaded already (from %s)", info->name, other->file);
		return NULL;
	}
	return info;
}

bool plugin_host_load(struct plugin_host *h, const char *file, char **args, char **name,
		      GError **error)
{
	g_autofree char *path = find_plugin(file);
	if (!path) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "no plugin '%s' (neither in $DBGPROXYD_PLUGIN_DIR nor in %s)", file,
			    PLUGINDIR);
		return false;
	}
	/* every symbol resolved now: a plugin needing what this daemon lacks
	 * is refused here rather than failing in the middle of a call */
	GModule *m = g_module_open(path, G_MODULE_BIND_LOCAL);
	if (!m) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "cannot load %s: %s", path,
			    g_module_error());
		return false;
	}
	const struct dbgp_plugin_info *info = check_info(h, m, path, error);
	if (!info) {
		g_module_close(m);
		return false;
	}
	struct dbgp_plugin *p = g_new0(struct dbgp_plugin, 1);
	p->refs = 1;
	p->h = h;
	p->module = m;
	p->info = info;
	p->name = g_strdup(info->name);
	p->file = g_strdup(path);
	p->args = g_strdupv(args ? args : (char *[]){ NULL });
	p->state = PLUGIN_LOADING;
	g_ptr_array_add(h->plugins, p);
	plugin_api_attach(p);
	g_autoptr(GError) err = NULL;
	p->depth++;
	bool ok = info->init(p, (int)g_strv_length(p->args), p->args, &err);
	p->depth--;
	if (!ok) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "plugin %s refused to start: %s", p->name,
			    err ? err->message : "(its init failed without saying why)");
		p->unload_why = NULL;
		p->state = PLUGIN_ACTIVE;  /* for unload_now, without its fini */
		p->info = NULL;
		unload_now(h, p);
		return false;
	}
	p->state = PLUGIN_ACTIVE;
	g_message("plugin %s %s loaded from %s", p->name, info->version ? info->version : "",
		  path);
	if (name)
		*name = g_strdup(p->name);
	if (p->unload_why)  /* its init asked for it */
		plugin_later(h, unload_deferred, plugin_ref(p), (void (*)(void *))plugin_unref);
	return true;
}

static void unload_now(struct plugin_host *h, struct dbgp_plugin *p)
{
	p->state = PLUGIN_CLOSING;
	if (p->info)
		g_message("plugin %s unloading%s%s", p->name, p->unload_why ? ": " : "",
			  p->unload_why ? p->unload_why : "");
	/* consumers of its services first, while it is still loaded */
	plugin_services_drop(h, p);
	plugin_threads_drop(h, p);
	for (guint i = h->commands->len; i-- > 0;) {
		struct pcommand *c = g_ptr_array_index(h->commands, i);
		if (c->p != p)
			continue;
		g_ptr_array_remove_index(h->commands, i);
		g_free(c->name);
		g_free(c->help);
		g_free(c);
	}
	for (guint i = h->running->len; i-- > 0;) {
		if (i >= h->running->len)
			continue;
		struct dbgp_cmd *cmd = g_ptr_array_index(h->running, i);
		if (cmd->p != p)
			continue;
		g_string_append_printf(cmd->out, "(plugin %s was unloaded before it answered)\n",
				       p->name);
		cmd_finish(cmd);
	}
	plugin_api_detach(p);
	if (p->info && p->info->fini) {
		p->depth++;
		p->info->fini(p);
		p->depth--;
	}
	g_ptr_array_remove(h->plugins, p);
	g_module_close(p->module);
	p->module = NULL;
	plugin_unref(p);
}

bool plugin_host_unload(struct plugin_host *h, const char *name, GError **error)
{
	struct dbgp_plugin *p = plugin_find(h, name);
	if (!p || p->state != PLUGIN_ACTIVE) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "no plugin named '%s' is loaded", name);
		return false;
	}
	if (!p->unload_why)
		p->unload_why = g_strdup("asked by monitor plugin unload");
	if (p->depth > 0)
		return true;  /* when its code has returned (plugin_leave) */
	unload_now(h, p);
	return true;
}

char *plugin_host_describe(struct plugin_host *h)
{
	GString *out = g_string_new(NULL);
	if (h->plugins->len == 0)
		g_string_append(out, "no plugins loaded\n");
	for (guint i = 0; i < h->plugins->len; i++) {
		struct dbgp_plugin *p = g_ptr_array_index(h->plugins, i);
		g_autofree char *args = g_strjoinv(",", p->args);
		g_string_append_printf(out, "%s %s: %s\n  file %s%s%s\n", p->name,
				       p->info->version ? p->info->version : "",
				       p->info->summary ? p->info->summary : "", p->file,
				       *args ? ", arguments " : "", args);
		for (guint j = 0; j < h->commands->len; j++) {
			struct pcommand *c = g_ptr_array_index(h->commands, j);
			if (c->p == p)
				g_string_append_printf(out, "  command: monitor %s\n", c->name);
		}
		plugin_services_describe(h, p, out);
		if (p->provides_threads) {
			unsigned n = 0;
			for (guint j = 0; j < h->threads->len; j++) {
				const struct plugin_thread *th = g_ptr_array_index(h->threads, j);
				n += strcmp(th->plugin, p->name) == 0;
			}
			g_string_append_printf(out, "  threads: %u in gdb's last list\n", n);
		}
		plugin_api_describe(p, out);
	}
	return g_string_free(out, FALSE);
}

struct plugin_host *plugin_host_new(struct ev_loop *loop, struct target *t)
{
	struct plugin_host *h = g_new0(struct plugin_host, 1);
	h->loop = loop;
	h->t = t;
	h->plugins = g_ptr_array_new();
	h->commands = g_ptr_array_new();
	h->running = g_ptr_array_new();
	h->services = g_ptr_array_new();
	h->uses = g_ptr_array_new();
	g_queue_init(&h->later);
	plugin_threads_init(h);
	ev_idle_init(&h->later_w, later_cb);
	h->later_w.data = h;
	return h;
}

void plugin_host_free(struct plugin_host *h)
{
	if (!h)
		return;
	/* the last loaded first: a consumer usually comes after its provider */
	while (h->plugins->len) {
		struct dbgp_plugin *p = g_ptr_array_index(h->plugins, h->plugins->len - 1);
		if (!p->unload_why)
			p->unload_why = g_strdup("dbgproxyd exiting");
		unload_now(h, p);
	}
	ev_idle_stop(h->loop, &h->later_w);
	struct later *l;
	while ((l = g_queue_pop_head(&h->later))) {
		if (l->destroy)
			l->destroy(l->data);
		g_free(l);
	}
	plugin_threads_free(h);
	g_ptr_array_unref(h->plugins);
	g_ptr_array_unref(h->commands);
	g_ptr_array_unref(h->running);
	g_ptr_array_unref(h->services);
	g_ptr_array_unref(h->uses);
	g_free(h);
}
