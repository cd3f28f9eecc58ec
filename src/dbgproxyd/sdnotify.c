/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * sdnotify.c - dbgproxyd under systemd (sdnotify.h), through libsystemd's
 * sd_notify(3) and sd_listen_fds(3).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "sdnotify.h"

#ifdef HAVE_LIBSYSTEMD

/* READY=1 at the latest this long after start, should the VM neither
 * answer nor refuse (a socket that accepts and stays silent) */
#define READY_AT_THE_LATEST 5.0

static struct {
	ev_timer watchdog_w;
	ev_timer ready_w;
	bool ready;
	bool started;
	char *listen;           /* where gdb connects */
	char *vm_state;         /* "reachable", "not reachable (...)", ... */
	char *gdb_peer;         /* NULL: no gdb */
} sdn;

static char *status_text(void)
{
	return g_strdup_printf("gdb %s %s; VM %s",
			       sdn.gdb_peer ? "attached from" : "not attached, listening on",
			       sdn.gdb_peer ? sdn.gdb_peer : sdn.listen,
			       sdn.vm_state ? sdn.vm_state : "not tried yet");
}

static void send_status(bool ready)
{
	g_autofree char *status = status_text();
	sd_notifyf(0, "%sSTATUS=%s", ready ? "READY=1\n" : "", status);
}

static void become_ready(struct ev_loop *loop)
{
	if (sdn.ready)
		return;
	sdn.ready = true;
	ev_timer_stop(loop, &sdn.ready_w);
	send_status(true);
}

static void ready_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	become_ready(loop);
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	sd_notify(0, "WATCHDOG=1");
}

static void set_str(char **slot, char *value)
{
	g_free(*slot);
	*slot = value;
}

static void on_event(enum log_event ev, const struct log_fields *f, void *data)
{
	struct ev_loop *loop = data;
	bool tried = false;
	switch (ev) {
	case LOG_GDB_ATTACHED:
		set_str(&sdn.gdb_peer, g_strdup(f->peer ? f->peer : "?"));
		break;
	case LOG_GDB_DETACHED:
		set_str(&sdn.gdb_peer, NULL);
		break;
	case LOG_VM_READY:
		set_str(&sdn.vm_state, g_strdup_printf("reachable at %s", f->vm));
		tried = true;
		break;
	case LOG_VM_UNREACHABLE:
		set_str(&sdn.vm_state, g_strdup_printf("not reachable at %s (%s); retrying", f->vm,
						       f->reason));
		tried = true;
		break;
	case LOG_VM_LOST:
		set_str(&sdn.vm_state, g_strdup_printf("lost at %s (%s); reconnecting", f->vm,
						       f->reason));
		tried = true;
		break;
	case LOG_GUEST_DIED:
		set_str(&sdn.vm_state, g_strdup_printf("reachable, its guest dead (%s)",
						       f->reason ? f->reason : "?"));
		break;
	default:
		return;
	}
	if (tried && !sdn.ready)
		become_ready(loop);
	else if (sdn.ready)
		send_status(false);
}

int sdn_listen_fd(GError **error)
{
	int n = sd_listen_fds(1);
	if (n < 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "socket activation: %s", g_strerror(-n));
		return -2;
	}
	if (n == 0)
		return -1;
	if (n > 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "socket activation: systemd passed %d sockets; dbgproxyd serves one "
			    "(one ListenStream= in dbgproxyd.socket)", n);
		return -2;
	}
	int fd = SD_LISTEN_FDS_START;
	if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "socket activation: the socket systemd passed is not a listening "
			    "stream socket (ListenStream= in dbgproxyd.socket)");
		return -2;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "socket activation: %s", g_strerror(errno));
		return -2;
	}
	return fd;
}

void sdn_start(struct ev_loop *loop, const char *listen_desc)
{
	sdn.listen = g_strdup(listen_desc);
	sdn.started = true;
	log_set_event_hook(on_event, loop);
	ev_timer_init(&sdn.ready_w, ready_cb, READY_AT_THE_LATEST, 0);
	ev_timer_start(loop, &sdn.ready_w);
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		/* twice per period, as sd_watchdog_enabled(3) advises */
		double every = (double)usec / 2e6;
		ev_timer_init(&sdn.watchdog_w, watchdog_cb, every, every);
		ev_timer_start(loop, &sdn.watchdog_w);
		g_info("systemd watchdog: WATCHDOG=1 every %.3f s", every);
		sd_notify(0, "WATCHDOG=1");
	}
}

void sdn_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=shutting down: detaching gdb, resuming the guest");
}

void sdn_stop(struct ev_loop *loop)
{
	if (!sdn.started)
		return;
	log_set_event_hook(NULL, NULL);
	ev_timer_stop(loop, &sdn.watchdog_w);
	ev_timer_stop(loop, &sdn.ready_w);
	g_clear_pointer(&sdn.listen, g_free);
	g_clear_pointer(&sdn.vm_state, g_free);
	g_clear_pointer(&sdn.gdb_peer, g_free);
	sdn.started = false;
}

#else /* !HAVE_LIBSYSTEMD */

int sdn_listen_fd(GError **error)
{
	return -1;
}

void sdn_start(struct ev_loop *loop, const char *listen_desc)
{
}

void sdn_stopping(void)
{
}

void sdn_stop(struct ev_loop *loop)
{
}

#endif
