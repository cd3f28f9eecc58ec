/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * daemon-main.c - dbgproxyd: options and configuration, logging, signals
 * and clean shutdown (the gdb listener: listener.c).  The only file
 * with process-wide state; everything else gets a struct daemon.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "plugin-host.h"
#include "sdnotify.h"

#define CONFIG_GROUP "dbgproxyd"
#define SHUTDOWN_GRACE 1.0

/* Exit statuses (dbgproxyd(8)): a configuration error is one that
 * restarting cannot mend (RestartPreventExitStatus= in the units). */
#define EXIT_RUNTIME 1
#define EXIT_CONFIG 2

/* ---- shutdown ----------------------------------------------------------------------------- */

static void grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* SIGINT/SIGTERM: detach gdb, give the VM a moment to receive the DETACH,
 * then stop.  A second signal during that moment stops at once. */
static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	if (d->shutting_down) {
		g_message("%s again: stopping now", w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	d->shutting_down = true;
	log_event(LOG_STOPPING, G_LOG_LEVEL_MESSAGE,
		  &(struct log_fields){ .reason = w->signum == SIGTERM ? "SIGTERM" : "SIGINT" },
		  "%s: orderly shutdown%s", w->signum == SIGTERM ? "SIGTERM" : "SIGINT",
		  d->session ? " (gdb is detached, the guest resumes)" : "");
	sdn_stopping();
	listener_pause(d);
	if (d->session)
		session_close(d->session, "dbgproxyd is shutting down"); /* sends DETACH */
	ev_timer_init(&d->grace_w, grace_cb, target_connected(d->target) ? 0.2 : 0, 0);
	ev_timer_start(loop, &d->grace_w);
}

/* SIGHUP re-reads the log level from the configuration file (when there is
 * one and --log-level did not set it); it never stops the daemon. */
static void sighup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	if (!d->config_path || d->log_level_fixed) {
		g_message("SIGHUP: nothing to reload (%s)",
			  d->config_path ? "--log-level was given" : "no --config file");
		return;
	}
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) err = NULL;
	g_autofree char *level = NULL;
	GLogLevelFlags parsed = G_LOG_LEVEL_MESSAGE;
	enum log_format format = d->log_format;
	if (!g_key_file_load_from_file(kf, d->config_path, G_KEY_FILE_NONE, &err)) {
		g_warning("SIGHUP: %s: %s; log level unchanged", d->config_path, err->message);
		return;
	}
	level = g_key_file_get_string(kf, CONFIG_GROUP, "log-level", NULL);
	if (level && !log_parse_level(level, &parsed)) {
		g_warning("SIGHUP: %s: bad log-level '%s'; log level unchanged", d->config_path, level);
		return;
	}
	log_setup(parsed, format);
	log_event(LOG_LEVEL_CHANGED, G_LOG_LEVEL_MESSAGE,
		  &(struct log_fields){ .reason = level ? level : "message" },
		  "SIGHUP: log level now %s", level ? level : "message (the default)");
}

/* ---- closed sessions ------------------------------------------------------------------------ */

/* Sessions are freed here, before the loop waits again: never inside the
 * callback that closed them (the Redis freeClientAsync pattern). */
static void reap_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct daemon *d = w->data;
	struct session *s;
	while ((s = g_queue_pop_head(&d->closed_sessions)))
		session_free(s);
	ev_prepare_stop(loop, w);
}

void daemon_free_later(struct daemon *d, struct session *s)
{
	g_queue_push_tail(&d->closed_sessions, s);
	ev_prepare_start(d->loop, &d->reap_w);
}

/* ---- options --------------------------------------------------------------------------------- */

/* Which values came from the configuration file: a bad one is named as
 * its key there, not as an option */
enum { FROM_LISTEN = 1, FROM_LOG_LEVEL = 2, FROM_LOG_FORMAT = 4, FROM_TDESC = 8, FROM_X86_ARCH = 16 };

typedef struct options {
	char *listen;
	char *vm;
	char *config;
	char *log_level;
	char *log_format;
	unsigned from_config;      /* FROM_*: the values the config file gave */
	char *tdesc;
	char *x86_arch;
	char *watch_with;
	char **plugins;            /* --plugin, then plugins= */
	gboolean listen_any;
	gboolean no_shared_memory;
	gboolean version;
} Options;

static void options_clear(Options *o)
{
	g_clear_pointer(&o->listen, g_free);
	g_clear_pointer(&o->vm, g_free);
	g_clear_pointer(&o->config, g_free);
	g_clear_pointer(&o->log_level, g_free);
	g_clear_pointer(&o->log_format, g_free);
	g_clear_pointer(&o->tdesc, g_free);
	g_clear_pointer(&o->x86_arch, g_free);
	g_clear_pointer(&o->watch_with, g_free);
	g_clear_pointer(&o->plugins, g_strfreev);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

static bool load_config(struct options *o, GError **error)
{
	if (!o->config)
		return true;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	if (!g_key_file_load_from_file(kf, o->config, G_KEY_FILE_NONE, error)) {
		g_prefix_error(error, "config %s: ", o->config);
		return false;
	}
	if (!g_key_file_has_group(kf, CONFIG_GROUP)) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
			    "config %s: no [%s] group", o->config, CONFIG_GROUP);
		return false;
	}
	g_auto(GStrv) keys = g_key_file_get_keys(kf, CONFIG_GROUP, NULL, NULL);
	for (char **k = keys; k && *k; k++) {
		char **slot = NULL;
		unsigned from = 0;
		if (strcmp(*k, "listen") == 0)
			slot = &o->listen, from = FROM_LISTEN;
		else if (strcmp(*k, "vm") == 0)
			slot = &o->vm;
		else if (strcmp(*k, "log-level") == 0)
			slot = &o->log_level, from = FROM_LOG_LEVEL;
		else if (strcmp(*k, "log-format") == 0)
			slot = &o->log_format, from = FROM_LOG_FORMAT;
		else if (strcmp(*k, "tdesc") == 0)
			slot = &o->tdesc, from = FROM_TDESC;
		else if (strcmp(*k, "x86-arch") == 0)
			slot = &o->x86_arch, from = FROM_X86_ARCH;
		else if (strcmp(*k, "listen-any") == 0) {
			gboolean any = g_key_file_get_boolean(kf, CONFIG_GROUP, *k, error);
			if (error && *error) {
				g_prefix_error(error, "config %s: ", o->config);
				return false;
			}
			o->listen_any = o->listen_any || any;
			continue;
		} else if (strcmp(*k, "plugins") == 0) {
			/* added to those of the command line */
			g_auto(GStrv) list = g_key_file_get_string_list(kf, CONFIG_GROUP, *k, NULL, error);
			if (!list) {
				g_prefix_error(error, "config %s: ", o->config);
				return false;
			}
			guint n0 = o->plugins ? g_strv_length(o->plugins) : 0;
			guint n1 = g_strv_length(list);
			o->plugins = g_renew(char *, o->plugins, n0 + n1 + 1);
			for (guint i = 0; i <= n1; i++)
				o->plugins[n0 + i] = i < n1 ? g_strdup(list[i]) : NULL;
			continue;
		} else {
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
				    "config %s: unknown key '%s' (known: listen, listen-any, vm, log-level, "
				    "log-format, tdesc, x86-arch, plugins)",
				    o->config, *k);
			return false;
		}
		if (*slot)
			continue; /* the command line wins */
		o->from_config |= from;
		*slot = g_key_file_get_string(kf, CONFIG_GROUP, *k, error);
		if (!*slot) {
			g_prefix_error(error, "config %s: ", o->config);
			return false;
		}
	}
	return true;
}

/* How a value is named in an error: "--log-level", or "config FILE:
 * log-level" when the configuration file gave it */
static char *value_name(const Options *o, unsigned from, const char *key)
{
	if (o->from_config & from)
		return g_strdup_printf("config %s: %s", o->config, key);
	return g_strdup_printf("--%s", key);
}

/* The socket systemd passed (dbgproxyd.socket), else --listen/listen=.
 * Returns the exit status on failure, 0 on success. */
static int open_listener(struct daemon *d, const Options *o)
{
	g_autoptr(GError) err = NULL;
	d->listen_fd = sdn_listen_fd(&err);
	if (d->listen_fd == -2) {
		fprintf(stderr, "dbgproxyd: %s\n", err->message);
		return EXIT_CONFIG;
	}
	if (d->listen_fd >= 0) {
		d->listen_spec = "the socket systemd passed";
		return 0;
	}
	if (g_str_has_prefix(o->listen, "unix:"))
		d->listen_fd = listener_open_unix(d, o->listen + 5, &err);
	else
		d->listen_fd = listener_open_tcp(o->listen, o->listen_any, &err);
	if (d->listen_fd >= 0)
		return 0;
	bool bad_value = err->domain == G_OPTION_ERROR;
	g_autofree char *name = value_name(o, FROM_LISTEN, "listen");
	if (bad_value)
		fprintf(stderr, "dbgproxyd: %s%s%s\n", name, o->from_config & FROM_LISTEN ? "=" : " ",
			err->message);
	else
		fprintf(stderr, "dbgproxyd: %s\n", err->message);
	/* a value that cannot work vs. a place that cannot be had now */
	return bad_value ? EXIT_CONFIG : EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
	g_auto(Options) o = { 0 };
	GOptionEntry entries[] = {
		{ "listen", 'l', 0, G_OPTION_ARG_STRING, &o.listen,
		  "Where gdb connects: [HOST:]PORT (host 127.0.0.1 by default) or unix:PATH", "ADDR" },
		{ "listen-any", 0, 0, G_OPTION_ARG_NONE, &o.listen_any,
		  "Allow --listen on an address other machines can reach (whoever connects controls "
		  "the guest)", NULL },
		{ "vm", 'v', 0, G_OPTION_ARG_FILENAME, &o.vm, "The VM's vmdbg socket", "PATH" },
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config,
		  "Key file with a [dbgproxyd] group: listen=, listen-any=, vm=, log-level=, "
		  "log-format=, tdesc=, x86-arch=, plugins= (dbgproxyd.conf(5))",
		  "FILE" },
		{ "log-level", 0, 0, G_OPTION_ARG_STRING, &o.log_level,
		  "error, warning, message (default), info or debug", "LEVEL" },
		{ "log-format", 0, 0, G_OPTION_ARG_STRING, &o.log_format,
		  "text (default: GLib's, the journal's fields when stderr is the journal) or "
		  "logfmt (one key=value line per record, every field)", "FORMAT" },
		{ "tdesc", 't', 0, G_OPTION_ARG_FILENAME, &o.tdesc,
		  "Target description XML to serve instead of the built-in one (xi:include "
		  "resolves in its directory)", "FILE" },
		{ "x86-arch", 0, 0, G_OPTION_ARG_STRING, &o.x86_arch,
		  "x86 guests: auto (default: i386 when vCPU 0 is in 32-bit protected or real mode "
		  "as gdb attaches, else x86-64), i386 or x86-64", "ARCH" },
		{ "no-shared-memory", 0, 0, G_OPTION_ARG_NONE, &o.no_shared_memory,
		  "Read and write guest memory through the VM's socket even when the VM shares its "
		  "RAM", NULL },
		{ "watch-with", 0, 0, G_OPTION_ARG_STRING, &o.watch_with,
		  "Watchpoints: auto (default: the debug registers, page protection when they are "
		  "full, cannot match the region or never fire on the VM's host), registers or "
		  "pages", "HOW" },
		{ "plugin", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &o.plugins,
		  "Load a plugin (repeatable): a path, or a name in the plugin directory, with its "
		  "arguments after ':' separated by ','", "FILE[:ARG[,ARG...]]" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- gdb server for KVM guests");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx,
		"Serves the gdb remote protocol for the VM whose vmdbg socket is PATH.\n"
		"Example: dbgproxyd --listen 3333 --vm /run/vm.sock, then\n"
		"         gdb -ex 'target remote :3333'.  See dbgproxyd(8).");
	g_autoptr(GError) err = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "dbgproxyd: %s\nTry 'dbgproxyd --help'.\n", err->message);
		return 2;
	}
	if (o.version) {
		printf("dbgproxyd %s (vmdbg protocol %u)\n", PACKAGE_VERSION, VMDBG_VERSION);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "dbgproxyd: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	bool log_level_from_cmdline = o.log_level != NULL;
	if (!load_config(&o, &err)) {
		fprintf(stderr, "dbgproxyd: %s\n", err->message);
		return 2;
	}
	if (!o.listen)
		o.listen = g_strdup("3333");
	if (!o.vm) {
		fprintf(stderr, "dbgproxyd: --vm PATH (or vm= in the config) is required\n");
		return 2;
	}
	GLogLevelFlags level = G_LOG_LEVEL_MESSAGE;
	if (o.log_level && !log_parse_level(o.log_level, &level)) {
		g_autofree char *name = value_name(&o, FROM_LOG_LEVEL, "log-level");
		fprintf(stderr, "dbgproxyd: %s: bad log level '%s' (error, warning, message, info, "
			"debug)\n", name, o.log_level);
		return 2;
	}
	enum log_format format = LOG_FORMAT_TEXT;
	if (o.log_format && !log_parse_format(o.log_format, &format)) {
		g_autofree char *name = value_name(&o, FROM_LOG_FORMAT, "log-format");
		fprintf(stderr, "dbgproxyd: %s: bad log format '%s' (text, logfmt)\n", name,
			o.log_format);
		return 2;
	}
	log_setup(level, format);
	signal(SIGPIPE, SIG_IGN);

	struct daemon d = { .listen_spec = o.listen, .listen_fd = -1 };
	struct target_config tcfg = { .no_shared_memory = o.no_shared_memory };
	if (o.x86_arch && strcmp(o.x86_arch, "i386") == 0)
		tcfg.x86_arch = &arch_i386;
	else if (o.x86_arch && (strcmp(o.x86_arch, "x86-64") == 0 || strcmp(o.x86_arch, "x86_64") == 0))
		tcfg.x86_arch = &arch_x86_64;
	else if (o.x86_arch && strcmp(o.x86_arch, "auto") != 0) {
		g_autofree char *name = value_name(&o, FROM_X86_ARCH, "x86-arch");
		fprintf(stderr, "dbgproxyd: %s must be auto, i386 or x86-64, not '%s'\n", name,
			o.x86_arch);
		return 2;
	}
	static const char *const watch_with[] = { "auto", "registers", "pages" };
	for (unsigned i = 0; o.watch_with && i <= G_N_ELEMENTS(watch_with); i++) {
		if (i == G_N_ELEMENTS(watch_with)) {
			fprintf(stderr, "dbgproxyd: --watch-with must be auto, registers or pages, "
				"not '%s'\n", o.watch_with);
			return 2;
		}
		if (strcmp(o.watch_with, watch_with[i]) == 0) {
			tcfg.watch_with = (enum target_watch_with)i;
			break;
		}
	}
	if (o.tdesc) {
		tcfg.user_tdesc = tdesc_load_file(o.tdesc, &err);
		if (!tcfg.user_tdesc) {
			g_autofree char *name = value_name(&o, FROM_TDESC, "tdesc");
			fprintf(stderr, "dbgproxyd: %s: %s\n", name, err->message);
			return 2;
		}
	}
	d.loop = ev_default_loop(EVFLAG_AUTO);
	int status = open_listener(&d, &o);
	if (status)
		return status;
	listener_start(&d);
	ev_signal sigint_w, sigterm_w, sighup_w;
	ev_signal_init(&sigint_w, signal_cb, SIGINT);
	ev_signal_init(&sigterm_w, signal_cb, SIGTERM);
	ev_signal_init(&sighup_w, sighup_cb, SIGHUP);
	sigint_w.data = sigterm_w.data = sighup_w.data = &d;
	ev_signal_start(d.loop, &sigint_w);
	ev_signal_start(d.loop, &sigterm_w);
	ev_signal_start(d.loop, &sighup_w);
	g_queue_init(&d.closed_sessions);
	ev_prepare_init(&d.reap_w, reap_cb);
	d.reap_w.data = &d;
	d.config_path = o.config;
	d.log_level_fixed = log_level_from_cmdline;
	d.log_format = format;

	d.started = ev_now(d.loop);
	sdn_start(d.loop, d.listen_spec);
	log_event(LOG_STARTED, G_LOG_LEVEL_MESSAGE, &(struct log_fields){ .vm = o.vm },
		  "dbgproxyd %s: gdb on %s, VM at %s", PACKAGE_VERSION, d.listen_spec, o.vm);
	d.target = target_new(d.loop, o.vm, &tcfg); /* owns tcfg.user_tdesc */
	d.plugins = plugin_host_new(d.loop, d.target);
	for (char **spec = o.plugins; spec && *spec; spec++) {
		g_autofree char *file = NULL;
		g_auto(GStrv) args = NULL;
		plugin_spec_parse(*spec, &file, &args);
		g_autoptr(GError) perr = NULL;
		if (!plugin_host_load(d.plugins, file, args, NULL, &perr))
			g_warning("--plugin %s: %s; going on without it", *spec, perr->message);
	}

	ev_run(d.loop, 0);

	if (d.session)
		session_close(d.session, "dbgproxyd exiting");
	reap_cb(d.loop, &d.reap_w, 0);
	plugin_host_free(d.plugins);
	ev_timer_stop(d.loop, &d.grace_w);
	listener_stop(&d);
	target_free(d.target);
	ev_signal_stop(d.loop, &sigint_w);
	ev_signal_stop(d.loop, &sigterm_w);
	ev_signal_stop(d.loop, &sighup_w);
	log_event(LOG_STOPPED, G_LOG_LEVEL_MESSAGE, NULL, "dbgproxyd stopped");
	sdn_stop(d.loop);
	return 0;
}
