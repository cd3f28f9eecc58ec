/*
 * daemon.h - dbgproxyd's process-wide pieces, owned by main: the event
 * loop, the link to the VM, the gdb listener, and the current session.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdbool.h>
#include <ev.h>
#include <glib.h>

#include "arch.h"
#include "regs.h"
#include "tdesc.h"
#include "vmlink.h"

struct session;

struct daemon {
	struct ev_loop *loop;
	struct vmlink *vm;
	const char *listen_spec;   /* as given: [HOST:]PORT or unix:PATH */
	char *unix_path;           /* to unlink at exit */
	int listen_fd;
	ev_io listen_w;
	ev_timer accept_w;         /* accept() back-off (out of descriptors) */
	bool accept_backing_off;
	struct session *session;   /* the one gdb, or NULL */
	GQueue closed_sessions;    /* closed, freed from the loop (reap_w) */
	ev_prepare reap_w;
	bool shutting_down;        /* SIGINT/SIGTERM seen: grace_w runs */
	ev_timer grace_w;
	const char *config_path;   /* --config, for SIGHUP */
	bool log_level_fixed;      /* --log-level given: SIGHUP leaves it */
	GList *refusals;           /* connections being told "busy" */
	uint64_t next_session_id;

	struct tdesc *user_tdesc;  /* --tdesc FILE, or NULL for the built-in one */
	/* --x86-arch i386|x86-64: the x86 description to serve; NULL (auto):
	 * the one for vCPU 0's mode when gdb attaches */
	const struct arch_ops *x86_arch;
	char *tdesc_error;         /* why the VM's registers cannot be served */

	/* what the VM is, valid while the link is ready */
	const struct arch_ops *arch;
	struct tdesc *tdesc;
	GPtrArray *regsets;        /* distinct CPU models: struct regset * */
	GPtrArray *vcpu_regset;    /* per vCPU: borrowed struct regset * */
};

/* daemon-main.c: serve `arch`'s built-in description for the VM from now
 * on (an x86 VM: i386 or x86-64); false with the reason if it cannot be,
 * and then the VM's default description is back for the next gdb. */
bool daemon_use_arch(struct daemon *d, const struct arch_ops *arch, GError **error);

/* daemon-main.c: free a closed session once the current callback is over */
void daemon_free_later(struct daemon *d, struct session *s);

/* session.c */
void session_accept(struct daemon *d, int fd, const char *peer);
/* Ends the session (detaching the VM); it stays valid until the loop
 * frees it with session_free(). */
void session_close(struct session *s, const char *why);
void session_free(struct session *s);
void session_vm_lost(struct session *s, const char *why);
/* The VM link is up: a gdb that came first is attached now. */
void session_vm_ready(struct session *s);
void session_vm_stopped(struct session *s, const struct vmdbg_stopped *ev);

#endif
