/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * monitor.c - the monitor commands (qRcmd): a table; monitor help is made
 * from it.
 */
#include "dbgproxyd-plugin.h"
#include "plugin-host.h"
#include "session.h"

/* ---- monitor ------------------------------------------------------------------------------------- */

/* ---- monitor commands (qRcmd): a table, `monitor help` is made from it ---- */

struct monitor_cmd {
	const char *name;
	const char *help;
	bool needs_vm;           /* refused (with the reason) while the VM is not there */
	/* out: the text; false when the command replies later itself */
	bool (*run)(struct session *s, GString *out);
};

static const struct monitor_cmd monitor_cmds[];
static const size_t n_monitor_cmds;

/* The command's output, and the session takes its next packet. */
static void rcmd_reply(struct session *s, const GString *out)
{
	GString *r = g_string_new(NULL);
	rsp_put_hex(r, out->str, out->len);
	reply(s, r->str);
	g_string_free(r, TRUE);
	finish(s);
}

static bool monitor_help(struct session *s, GString *out)
{
	g_string_append(out, "dbgproxyd monitor commands:\n");
	for (size_t i = 0; i < n_monitor_cmds; i++)
		g_string_append_printf(out, "  monitor %-10s %s\n", monitor_cmds[i].name,
				       monitor_cmds[i].help);
	if (s->d->plugins)
		plugin_host_help(s->d->plugins, out);
	return true;
}

/* ---- plugins ---------------------------------------------------------------------------------- */

struct plugin_reply {
	struct sref ref;
};

static void plugin_replied(void *ctx, const char *text)
{
	struct plugin_reply *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (s) {
		g_autoptr(GString) out = g_string_new(text);
		rcmd_reply(s, out);
		flush(s);
	}
	g_free(r);
}

/* monitor plugin list | load FILE [ARG...] | unload NAME */
static bool monitor_plugin(struct session *s, const char *args, GString *out)
{
	struct plugin_host *h = s->d->plugins;
	g_auto(GStrv) v = dbgp_split_args(args);
	g_autoptr(GError) err = NULL;
	if (h)
		plugin_host_settle(h);
	if (!h) {
		g_string_append(out, "this dbgproxyd has no plugin host\n");
	} else if (!v[0] || strcmp(v[0], "list") == 0) {
		g_autofree char *text = plugin_host_describe(h);
		g_string_append(out, text);
	} else if (strcmp(v[0], "load") == 0 && v[1]) {
		g_autofree char *name = NULL;
		if (plugin_host_load(h, v[1], v + 2, &name, &err))
			g_string_append_printf(out, "plugin %s loaded\n", name);
		else
			g_string_append_printf(out, "%s\n", err->message);
	} else if (strcmp(v[0], "unload") == 0 && v[1] && !v[2]) {
		if (plugin_host_unload(h, v[1], &err))
			g_string_append_printf(out, "plugin %s unloaded\n", v[1]);
		else
			g_string_append_printf(out, "%s\n", err->message);
	} else {
		g_string_append(out, "usage: monitor plugin list | load FILE [ARG...] | unload NAME\n");
	}
	return true;
}

struct hw_req {
	struct sref ref;
	GString *out;
};

static void hw_listed(void *ctx, const char *text)
{
	struct hw_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	g_string_append(r->out, text);
	if (s)
		rcmd_reply(s, r->out);
	g_string_free(r->out, TRUE);
	g_free(r);
}

/* The slots, then (from the VM, for its counts) the page-protection watches. */
static bool monitor_hw(struct session *s, GString *out)
{
	g_autofree char *t = target_describe_hw(s->t);
	g_string_append(out, t);
	if (!target_vm_has(s->t, VMDBG_FEAT_PAGE_WATCH))
		return true;
	struct hw_req *r = g_new0(struct hw_req, 1);
	sref_init(&r->ref, s);
	r->out = g_string_new(out->str);
	g_autoptr(GError) err = NULL;
	if (!target_list_watches(s->t, hw_listed, r, &err)) {
		g_string_append_printf(out, "page-protection watches: %s\n", err->message);
		g_string_free(r->out, TRUE);
		g_free(r);
		return true;
	}
	return false;
}

static bool monitor_info_vm(struct session *s, GString *out)
{
	const struct vmdbg_hello *h = target_hello(s->t);
	static const char *const states[] = { "stopped", "running", "stopping" };
	g_string_append_printf(out, "VM socket:        %s\n", target_vm_path(s->t));
	g_string_append_printf(out, "architecture:     %s\n", target_arch(s->t)->name);
	g_string_append_printf(out, "vCPUs:            %u (gdb threads 1-%u)\n", h->nr_vcpus,
			       h->nr_vcpus);
	g_string_append_printf(out, "hw breakpoints:   %u slots\n", h->hw_bps);
	g_string_append_printf(out, "hw watchpoints:   %u slots%s\n", h->hw_wps,
			       (h->features & VMDBG_FEAT_HW_SLOTS_SHARED)
				       ? " (shared with breakpoints)" : "");
	g_string_append_printf(out, "features:        %s%s%s%s%s%s%s%s%s%s%s\n",
			       (h->features & VMDBG_FEAT_SW_BP) ? " sw-breakpoints" : "",
			       (h->features & VMDBG_FEAT_SINGLESTEP) ? " single-step" : "",
			       (h->features & VMDBG_FEAT_BLOCKIRQ) ? " step-blocks-irqs" : "",
			       (h->features & VMDBG_FEAT_SIMULATED) ? " simulated" : "",
			       (h->features & VMDBG_FEAT_HW_SLOTS_SHARED) ? " shared-hw-slots" : "",
			       (h->features & VMDBG_FEAT_RANGE_STEP) ? " range-step" : "",
			       (h->features & VMDBG_FEAT_CONDITIONS) ? " conditions" : "",
			       (h->features & VMDBG_FEAT_SHARED_MEM) ? " shared-memory" : "",
			       (h->features & VMDBG_FEAT_PAGE_WATCH) ? " page-watch" : "",
			       (h->features & VMDBG_FEAT_HW_WATCH_DEAD) ? " hw-watch-dead" : "",
			       (h->features & VMDBG_FEAT_HW_BP_DEAD) ? " hw-bp-dead" : "");
	g_string_append_printf(out, "state:            %s\n",
			       target_guest_dead(s->t) ? "shut down" : states[target_state(s->t)]);
	unsigned leaving = target_sw_points_leaving(s->t);
	g_string_append_printf(out, "sw breakpoints:   %u inserted", target_sw_points(s->t) - leaving);
	if (leaving)
		g_string_append_printf(out, ", %u being removed", leaving);
	g_string_append_c(out, '\n');
	g_string_append_printf(out, "registers:        %u in the target description\n",
			       regset_count(regset_of(s, 0)));
	g_autofree char *mem = target_describe_mem(s->t);
	g_string_append_printf(out, "guest memory:     %s\n", mem);
	static const char *const with[] = {
		[WATCH_WITH_AUTO] = "", [WATCH_WITH_REGISTERS] = " (--watch-with registers)",
		[WATCH_WITH_PAGES] = " (--watch-with pages)",
	};
	g_string_append_printf(out, "watches:          %s%s%s; %u by page protection now\n",
			       (h->features & VMDBG_FEAT_HW_WATCH_DEAD)
				       ? "hardware data breakpoints do not fire on this host"
				       : "debug registers first",
			       (h->features & VMDBG_FEAT_PAGE_WATCH)
				       ? ", page protection beyond them" : " (no page protection)",
			       with[target_watch_with(s->t)], target_watch_count(s->t));
	return true;
}

static const struct monitor_cmd monitor_cmds[] = {
	{ "help", "this text", false, monitor_help },
	{ "info vm", "the VM behind this session: arch, vCPUs, slots, state", true, monitor_info_vm },
	{ "hw", "the hardware breakpoint/watchpoint slot table and the page-protection watches",
	  true, monitor_hw },
	{ "plugin", "list | load FILE [ARG...] | unload NAME: the plugins (dbgproxyd-plugin(7))",
	  false, NULL },
};
static const size_t n_monitor_cmds = G_N_ELEMENTS(monitor_cmds);

void h_rcmd(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	g_autofree char *cmd = g_strstrip(g_strndup(p[0].s, p[0].len));
	if (strcmp(cmd, "plugin") == 0 || g_str_has_prefix(cmd, "plugin ") ||
	    g_str_has_prefix(cmd, "plugin\t")) {
		g_autoptr(GString) out = g_string_new(NULL);
		monitor_plugin(s, cmd + 6, out);
		rcmd_reply(s, out);
		return;
	}
	if (s->d->plugins) {
		struct plugin_reply *r = g_new0(struct plugin_reply, 1);
		sref_init(&r->ref, s);
		if (plugin_host_command(s->d->plugins, cmd, plugin_replied, r))
			return;  /* plugin_replied answers */
		g_free(r);
	}
	const struct monitor_cmd *c = NULL;
	for (size_t i = 0; i < n_monitor_cmds && !c; i++)
		if (strcmp(cmd, monitor_cmds[i].name) == 0 || (!cmd[0] && i == 0))
			c = &monitor_cmds[i];
	const char *why;
	if (c && c->needs_vm) {
		if (!target_ready(s->t, &why)) {
			reply_error(s, "%s", why);
			finish(s);
			return;
		}
		if (!s->attached) {
			reply_error(s, "not attached to the VM");
			finish(s);
			return;
		}
	}
	GString *out = g_string_new(NULL);
	bool now = true;
	if (c)
		now = c->run(s, out);
	else
		g_string_append_printf(out, "unknown monitor command '%s'; try 'monitor help'\n", cmd);
	if (now)
		rcmd_reply(s, out);
	g_string_free(out, TRUE);
}
