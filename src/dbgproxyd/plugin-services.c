/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * plugin-services.c - the services plugins publish to each other
 * (dbgproxyd-plugin.h: dbgp_service_*).
 *
 * A service is a name, a version and a table the provider owns; a use is
 * a plugin's standing request for a name, a major version and a least
 * minor.  up() is delivered from the loop, in the order the uses were
 * asked, whenever a matching service and a waiting use meet (either may
 * come first); down() runs for every bound use, the last asked first,
 * before the service goes (its provider's unload or withdraw); event()
 * runs in the order asked.  Nothing here keeps a pointer into a plugin
 * past its unload: uses are found again by id, and a use whose plugin
 * left is freed with it.
 */
#include "config.h"

#include <string.h>

#include "plugin-priv.h"

struct service {
	char *name;
	uint32_t major, minor;
	const void *table;
	struct dbgp_plugin *provider;
};

struct service_use {
	uint32_t id;
	struct dbgp_plugin *p;
	char *name;
	uint32_t major, min_minor;
	struct dbgp_service_events ev;
	void *ctx;
	struct service *bound;    /* up() was delivered for it */
	struct service *refused;  /* told the log about this mismatch */
};

static struct service *service_find(struct plugin_host *h, const char *name)
{
	for (guint i = 0; i < h->services->len; i++) {
		struct service *s = g_ptr_array_index(h->services, i);
		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

static bool use_matches(const struct service_use *u, const struct service *s)
{
	return s->major == u->major && s->minor >= u->min_minor;
}

struct up_call {
	struct plugin_host *h;
	uint32_t use_id;
};

static struct service_use *use_find(struct plugin_host *h, uint32_t id)
{
	for (guint i = 0; i < h->uses->len; i++) {
		struct service_use *u = g_ptr_array_index(h->uses, i);
		if (u->id == id)
			return u;
	}
	return NULL;
}

/* From the loop: give the service to the use if both are still there. */
static void up_run(void *data)
{
	struct up_call *c = data;
	struct service_use *u = use_find(c->h, c->use_id);
	if (!u || u->bound || !plugin_active(u->p))
		return;
	struct service *s = service_find(c->h, u->name);
	if (!s || !use_matches(u, s) || !plugin_active(s->provider))
		return;
	u->bound = s;
	if (u->ev.up && plugin_enter(u->p)) {
		u->ev.up(u->ctx, s->table, s->minor);
		plugin_leave(u->p);
	}
}

void plugin_host_give_services(struct plugin_host *h)
{
	plugin_later_run(h, up_run);
}

/* Queue up() for every use waiting for s (or for a use of any service
 * present when s is NULL and only is that use). */
static void offer(struct plugin_host *h, struct service_use *only)
{
	for (guint i = 0; i < h->uses->len; i++) {
		struct service_use *u = g_ptr_array_index(h->uses, i);
		if ((only && u != only) || u->bound)
			continue;
		struct service *s = service_find(h, u->name);
		if (!s)
			continue;
		if (!use_matches(u, s)) {
			if (u->refused != s)
				g_message("plugin %s wants service %s %u.%u or later; plugin %s "
					  "provides %u.%u: not given", u->p->name, u->name, u->major,
					  u->min_minor, s->provider->name, s->major, s->minor);
			u->refused = s;
			continue;
		}
		struct up_call *c = g_new0(struct up_call, 1);
		*c = (struct up_call){ h, u->id };
		plugin_later(h, up_run, c, g_free);
	}
}

/* s goes: down() for every use bound to it, the last asked first. */
static void service_gone(struct plugin_host *h, struct service *s)
{
	for (guint i = h->uses->len; i-- > 0;) {
		if (i >= h->uses->len)
			continue;  /* a down() made uses go */
		struct service_use *u = g_ptr_array_index(h->uses, i);
		if (u->bound != s)
			continue;
		u->bound = NULL;
		if (u->ev.down && plugin_enter(u->p)) {
			u->ev.down(u->ctx);
			plugin_leave(u->p);
		}
	}
	for (guint i = 0; i < h->uses->len; i++) {
		struct service_use *u = g_ptr_array_index(h->uses, i);
		if (u->refused == s)
			u->refused = NULL;
	}
	g_ptr_array_remove(h->services, s);
	g_free(s->name);
	g_free(s);
}

bool dbgp_service_publish(dbgp_plugin *p, const char *name, uint32_t major, uint32_t minor,
			  const void *table, GError **error)
{
	if (!plugin_valid_name(name, error, "service"))
		return false;
	if (!table) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "service %s: no table", name);
		return false;
	}
	struct service *old = service_find(p->h, name);
	if (old) {
		g_set_error(error, DBGP_ERROR, DBGP_E_EXISTS, "service %s is published by plugin %s",
			    name, old->provider->name);
		return false;
	}
	struct service *s = g_new0(struct service, 1);
	*s = (struct service){ g_strdup(name), major, minor, table, p };
	g_ptr_array_add(p->h->services, s);
	g_info("plugin %s publishes service %s %u.%u", p->name, name, major, minor);
	offer(p->h, NULL);
	return true;
}

bool dbgp_service_withdraw(dbgp_plugin *p, const char *name, GError **error)
{
	struct service *s = name ? service_find(p->h, name) : NULL;
	if (!s || s->provider != p) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "plugin %s publishes no service %s",
			    p->name, name ? name : "(null)");
		return false;
	}
	service_gone(p->h, s);
	return true;
}

void dbgp_service_notify(dbgp_plugin *p, const char *name, uint32_t event, const void *data)
{
	struct service *s = name ? service_find(p->h, name) : NULL;
	if (!s || s->provider != p)
		return;
	g_autoptr(GPtrArray) uses = g_ptr_array_copy(p->h->uses, NULL, NULL);
	for (guint i = 0; i < uses->len; i++) {
		struct service_use *u = g_ptr_array_index(uses, i);
		/* still there, still bound (an earlier event() may have changed that) */
		if (!g_ptr_array_find(p->h->uses, u, NULL) || u->bound != s || !u->ev.event)
			continue;
		if (plugin_enter(u->p)) {
			u->ev.event(u->ctx, event, data);
			plugin_leave(u->p);
		}
	}
}

uint32_t dbgp_service_use(dbgp_plugin *p, const char *name, uint32_t major, uint32_t min_minor,
			  const struct dbgp_service_events *events, void *ctx, GError **error)
{
	if (!plugin_valid_name(name, error, "service"))
		return 0;
	struct service_use *u = g_new0(struct service_use, 1);
	u->id = ++p->h->next_id;
	u->p = p;
	u->name = g_strdup(name);
	u->major = major;
	u->min_minor = min_minor;
	if (events)
		u->ev = *events;
	u->ctx = ctx;
	g_ptr_array_add(p->h->uses, u);
	offer(p->h, u);
	return u->id;
}

static void use_free(struct service_use *u)
{
	g_free(u->name);
	g_free(u);
}

void dbgp_service_unuse(dbgp_plugin *p, uint32_t id)
{
	struct service_use *u = use_find(p->h, id);
	if (u && u->p == p) {
		g_ptr_array_remove(p->h->uses, u);
		use_free(u);
	}
}

/* p goes: its services go first (their users hear down()), then its uses. */
void plugin_services_drop(struct plugin_host *h, struct dbgp_plugin *p)
{
	for (guint i = h->services->len; i-- > 0;) {
		if (i >= h->services->len)
			continue;
		struct service *s = g_ptr_array_index(h->services, i);
		if (s->provider == p)
			service_gone(h, s);
	}
	for (guint i = h->uses->len; i-- > 0;) {
		struct service_use *u = g_ptr_array_index(h->uses, i);
		if (u->p == p) {
			g_ptr_array_remove_index(h->uses, i);
			use_free(u);
		}
	}
}

void plugin_services_describe(struct plugin_host *h, const struct dbgp_plugin *p, GString *out)
{
	for (guint j = 0; j < h->services->len; j++) {
		struct service *s = g_ptr_array_index(h->services, j);
		if (s->provider == p)
			g_string_append_printf(out, "  publishes: %s %u.%u\n", s->name, s->major,
					       s->minor);
	}
	for (guint j = 0; j < h->uses->len; j++) {
		struct service_use *u = g_ptr_array_index(h->uses, j);
		if (u->p == p)
			g_string_append_printf(out, "  uses: %s %u.%u+ (%s)\n", u->name, u->major,
					       u->min_minor, u->bound ? "up" : "waiting");
	}
}
