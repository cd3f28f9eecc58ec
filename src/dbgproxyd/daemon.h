/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * daemon.h - dbgproxyd's process-wide pieces, owned by main: the event
 * loop, the target (the VM, target.h), the gdb listener, and the current
 * session.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdbool.h>
#include <ev.h>
#include <glib.h>

#include "target.h"

struct session;

struct daemon {
	struct ev_loop *loop;
	struct target *target;     /* the VM */
	struct plugin_host *plugins; /* plugin-host.h */
	const char *listen_spec;   /* as given: [HOST:]PORT or unix:PATH */
	char *unix_path;           /* to unlink at exit */
	int listen_fd;
	ev_io listen_w;
	ev_timer accept_w;         /* accept() back-off (out of descriptors) */
	bool accept_backing_off;
	bool link_tried;           /* the VM link's first try ended: accept freely */
	bool vm_waiting;           /* a gdb waits in the backlog for the VM link's retry */
	ev_tstamp vm_wait_since;
	unsigned vm_wait_attempts; /* target_link_attempts() when that retry began */
	ev_tstamp started;
	struct session *session;   /* the one gdb, or NULL */
	GQueue closed_sessions;    /* closed, freed from the loop (reap_w) */
	ev_prepare reap_w;
	bool shutting_down;        /* SIGINT/SIGTERM seen: grace_w runs */
	ev_timer grace_w;
	const char *config_path;   /* --config, for SIGHUP */
	bool log_level_fixed;      /* --log-level given: SIGHUP leaves it */
	int log_format;            /* enum log_format, kept by SIGHUP */
	GList *refusals;           /* connections being told "busy" */
	uint64_t next_session_id;
};

/* listener.c: the socket gdb connects to ([HOST:]PORT, loopback unless
 * any_host; or a unix socket, removed by listener_stop) */
int listener_open_unix(struct daemon *d, const char *path, GError **error);
int listener_open_tcp(const char *spec, bool any_host, GError **error);
/* accept gdbs on d->listen_fd; stop accepting (shutdown); close it all */
void listener_start(struct daemon *d);
void listener_pause(struct daemon *d);
void listener_stop(struct daemon *d);

/* daemon-main.c: free a closed session once the current callback is over */
void daemon_free_later(struct daemon *d, struct session *s);

/* session.c */
void session_accept(struct daemon *d, int fd, const char *peer);
/* Ends the session (it leaves the target); it stays valid until the loop
 * frees it with session_free(). */
void session_close(struct session *s, const char *why);
void session_free(struct session *s);

#endif
