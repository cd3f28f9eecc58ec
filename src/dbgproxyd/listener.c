/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * listener.c - where gdb connects: the listening socket (TCP, loopback
 * unless told otherwise, or a unix socket), accepting, and who is let in.
 * One gdb at a time; a gdb that cannot be served (another is attached,
 * the VM is not reachable, its registers cannot be described) is told why
 * in answer to its first packet, then let go.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "sockio.h"
#include "rsp-codec.h"

/* ---- the gdb listener ------------------------------------------------------------------ */

/* A second gdb is told why it cannot attach.  The E packet must answer
 * its first packet (gdb ignores a reply that comes before it asks, and a
 * close with its packet unread would reset the connection and lose the
 * text): wait for that packet, answer, half-close, drain until gdb hangs
 * up.  Bounded by REFUSAL_TIMEOUT. */
#define REFUSAL_TIMEOUT 2.0
#define BUSY_TEXT "dbgproxyd: another gdb is already attached to this VM"

struct refusal {
	struct daemon *d;
	int fd;
	ev_io read_w;
	ev_timer timer_w;
	struct rsp_decoder *dec;
	bool answered;
	char *text;              /* the E. packet's payload */
};

static void refusal_end(struct refusal *r)
{
	ev_io_stop(r->d->loop, &r->read_w);
	ev_timer_stop(r->d->loop, &r->timer_w);
	close(r->fd);
	rsp_decoder_free(r->dec);
	g_free(r->text);
	r->d->refusals = g_list_remove(r->d->refusals, r);
	g_free(r);
}

static void refusal_answer(struct refusal *r)
{
	if (r->answered)
		return;
	r->answered = true;
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_byte_array_append(out, (const guint8 *)"+", 1);
	rsp_encode_packet(out, r->text, strlen(r->text));
	ssize_t n = send(r->fd, out->data, out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n; /* refused either way */
	shutdown(r->fd, SHUT_WR);
}

static void refusal_event(void *ctx, const struct rsp_event *ev)
{
	if (ev->type == RSP_EV_PACKET || ev->type == RSP_EV_OVERSIZE ||
	    ev->type == RSP_EV_BAD_CHECKSUM)
		refusal_answer(ctx);
}

static void refusal_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct refusal *r = w->data;
	uint8_t buf[4096];
	ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		refusal_end(r);
		return;
	}
	if (n > 0)
		rsp_decoder_feed(r->dec, buf, (size_t)n, refusal_event, r);
}

static void refusal_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct refusal *r = w->data;
	refusal_answer(r);
	refusal_end(r);
}

static void refuse(struct daemon *d, int fd, const char *why)
{
	struct refusal *r = g_new0(struct refusal, 1);
	r->text = g_strconcat("E.", why, NULL);
	r->d = d;
	r->fd = fd;
	r->dec = rsp_decoder_new(4096);
	ev_io_init(&r->read_w, refusal_read, fd, EV_READ);
	ev_timer_init(&r->timer_w, refusal_timeout, REFUSAL_TIMEOUT, 0);
	r->read_w.data = r->timer_w.data = r;
	ev_io_start(d->loop, &r->read_w);
	ev_timer_start(d->loop, &r->timer_w);
	d->refusals = g_list_prepend(d->refusals, r);
}

/* accept() failed for want of resources (file descriptors, memory): stop
 * listening for a moment instead of spinning on a listener that stays
 * readable, and say so once per episode. */
#define ACCEPT_BACKOFF_S 0.5

static void accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	ev_io_start(loop, &d->listen_w);
}

static void accept_back_off(struct daemon *d, int err)
{
	if (!d->accept_backing_off)
		g_warning("accept: %s; not accepting for %.1f s at a time until it passes",
			  g_strerror(err), ACCEPT_BACKOFF_S);
	d->accept_backing_off = true;
	ev_io_stop(d->loop, &d->listen_w);
	ev_timer_set(&d->accept_w, ACCEPT_BACKOFF_S, 0);
	ev_timer_start(d->loop, &d->accept_w);
}

/* The first gdb waits in the listen backlog, at most FIRST_TRY_WAIT, until
 * the VM link's first try has ended: under socket activation the daemon
 * starts because gdb connected, and gdb's first packets would otherwise
 * be told "not connected to the VM" milliseconds before the VM answers. */
#define FIRST_TRY_WAIT 5.0
#define FIRST_TRY_POLL 0.01

static bool wait_for_first_try(struct daemon *d)
{
	if (d->link_tried)
		return false;
	d->link_tried = target_link_tried(d->target) ||
			ev_now(d->loop) - d->started >= FIRST_TRY_WAIT;
	if (d->link_tried)
		return false;
	ev_io_stop(d->loop, &d->listen_w);
	ev_timer_set(&d->accept_w, FIRST_TRY_POLL, 0);
	ev_timer_start(d->loop, &d->accept_w);
	return true;
}

/* A gdb connecting while the VM link is down (the VM not started yet,
 * restarting, or held by another debugger) makes the link try again at
 * once instead of at the end of its back-off; gdb waits in the backlog,
 * at most VM_WAIT (under gdb's 2 s remotetimeout for its first packet),
 * for that attempt to end.  Then it is served, or told why not: gdb treats
 * an error in answer to '?' as a stop and would wait for ever. */
#define VM_WAIT 1.5

static bool wait_for_vm(struct daemon *d)
{
	if (d->session || target_connected(d->target)) {
		d->vm_waiting = false;
		return false;
	}
	if (!d->vm_waiting) {
		d->vm_waiting = true;
		d->vm_wait_since = ev_now(d->loop);
		d->vm_wait_attempts = target_link_retry_now(d->target);
	} else if (target_link_attempts(d->target, NULL) != d->vm_wait_attempts ||
		   ev_now(d->loop) - d->vm_wait_since >= VM_WAIT) {
		d->vm_waiting = false;
		return false;
	}
	if (target_connected(d->target)) {
		d->vm_waiting = false;
		return false;
	}
	ev_io_stop(d->loop, &d->listen_w);
	ev_timer_set(&d->accept_w, FIRST_TRY_POLL, 0);
	ev_timer_start(d->loop, &d->accept_w);
	return true;
}

static void listen_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct daemon *d = w->data;
	if (wait_for_first_try(d) || wait_for_vm(d))
		return;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(d->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			accept_back_off(d, errno);
		else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			g_warning("accept: %s", g_strerror(errno));
		return;
	}
	if (d->accept_backing_off) {
		g_message("accepting connections again");
		d->accept_backing_off = false;
	}
	char peer[NI_MAXHOST + NI_MAXSERV + 2] = "unix socket";
	if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		char host[NI_MAXHOST], serv[NI_MAXSERV];
		if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv, sizeof(serv),
				NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			g_snprintf(peer, sizeof(peer), "%s:%s", host, serv);
	}
	if (d->session) {
		log_event(LOG_GDB_REFUSED, G_LOG_LEVEL_MESSAGE,
			  &(struct log_fields){ .peer = peer, .reason = "another gdb is attached" },
			  "refused a second gdb from %s: one gdb at a time", peer);
		refuse(d, fd, BUSY_TEXT);
		return;
	}
	if (!target_connected(d->target)) {
		const char *why_down = NULL;
		target_link_attempts(d->target, &why_down);
		g_autofree char *why = g_strdup_printf(
			"the VM at %s is not reachable (%s); connect again once it is",
			target_vm_path(d->target), why_down ? why_down : "still connecting");
		log_event(LOG_GDB_REFUSED, G_LOG_LEVEL_MESSAGE,
			  &(struct log_fields){ .peer = peer, .reason = why },
			  "refused gdb from %s: %s", peer, why);
		g_autofree char *text = g_strdup_printf("dbgproxyd: %s", why);
		refuse(d, fd, text);
		return;
	}
	const char *tdesc_error = target_tdesc_error(d->target);
	if (tdesc_error) {
		/* gdb cannot work without registers: say why and let it go */
		log_event(LOG_GDB_REFUSED, G_LOG_LEVEL_MESSAGE,
			  &(struct log_fields){ .peer = peer, .reason = tdesc_error },
			  "refused gdb from %s: %s", peer, tdesc_error);
		g_autofree char *why = g_strdup_printf("dbgproxyd: %s", tdesc_error);
		refuse(d, fd, why);
		return;
	}
	session_accept(d, fd, peer);
}

int listener_open_unix(struct daemon *d, const char *path, GError **error)
{
	int fd = sock_listen_unix(path, error);
	if (fd >= 0)
		d->unix_path = g_strdup(path);
	return fd;
}

/* 127.0.0.0/8 or ::1 (or ::ffff:127.x): only this machine can connect. */
static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

/* [HOST:]PORT, host defaulting to 127.0.0.1 (also for ":PORT"); [v6]:PORT
 * for IPv6.  Whoever reaches the port reads and writes guest memory: an
 * address other machines can reach is refused unless any_host. */
int listener_open_tcp(const char *spec, bool any_host, GError **error)
{
	g_autofree char *host = NULL;
	const char *port;
	const char *colon = strrchr(spec, ':');
	if (spec[0] == '[') {
		const char *close_b = strchr(spec, ']');
		if (!close_b || close_b[1] != ':') {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "'%s': expected [HOST]:PORT", spec);
			return -1;
		}
		host = g_strndup(spec + 1, (gsize)(close_b - spec - 1));
		port = close_b + 2;
	} else if (colon) {
		host = colon > spec ? g_strndup(spec, (gsize)(colon - spec)) : g_strdup("127.0.0.1");
		port = colon + 1;
	} else {
		host = g_strdup("127.0.0.1");
		port = spec;
	}
	guint64 pnum;
	if (!g_ascii_string_to_unsigned(port, 10, 1, 65535, &pnum, NULL)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "'%s': port must be 1..65535", spec);
		return -1;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(host[0] ? host : "127.0.0.1", port, &hints, &res);
	if (gai) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "'%s': host '%s': %s",
			    spec, host, gai_strerror(gai));
		return -1;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		if (!is_loopback(ai->ai_addr) && !any_host) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "'%s' is reachable from other machines, and whoever connects "
				    "controls the guest: add --listen-any (listen-any=true) if you mean it",
				    spec);
			freeaddrinfo(res);
			return -1;
		}
	if (!is_loopback(res->ai_addr))
		g_warning("listening on %s: anyone who reaches it can read and write guest memory",
			  spec);
	int fd = -1, err = 0;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "listen on %s: %s", spec,
			    g_strerror(err));
	return fd;
}

void listener_start(struct daemon *d)
{
	ev_io_init(&d->listen_w, listen_cb, d->listen_fd, EV_READ);
	d->listen_w.data = d;
	ev_timer_init(&d->accept_w, accept_resume_cb, ACCEPT_BACKOFF_S, 0);
	d->accept_w.data = d;
	ev_io_start(d->loop, &d->listen_w);
}

void listener_pause(struct daemon *d)
{
	ev_io_stop(d->loop, &d->listen_w);
	ev_timer_stop(d->loop, &d->accept_w);
}

void listener_stop(struct daemon *d)
{
	listener_pause(d);
	while (d->refusals)
		refusal_end(d->refusals->data);
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	d->listen_fd = -1;
	if (d->unix_path) {
		unlink(d->unix_path);
		g_free(d->unix_path);
		d->unix_path = NULL;
	}
}
