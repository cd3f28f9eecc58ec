/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-server.c - dbgproxy-vm's control thread: the vmdbg socket server.
 *
 * One libev loop owns the listening Unix socket, the single client, and
 * the VM's stop notifications.  Requests are decoded with the shared codec
 * and dispatched through a table indexed by message type; every handler
 * appends exactly one reply or ERROR to the client's output buffer, which
 * is written out in as few syscalls as the socket allows.
 */
#include "vm-server.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockio.h"

#define READ_CHUNK     (64 * 1024)
#define MAX_BACKLOG    (16u << 20)  /* unread output before a client is dropped */

struct client {
	struct server *srv;
	int fd;
	ev_io read_w;
	ev_io write_w;
	GByteArray *in;
	GByteArray *out;
	bool hello_done;
	int fds[SOCK_MAX_FDS];       /* to pass with the next bytes sent (MEM_MAP) */
	unsigned nfds;
	bool closed;                 /* client_close() ran: freed by reap_w later */
};

struct server {
	struct ev_loop *loop;
	struct vm *vm;
	char *path;
	int listen_fd;
	ev_io listen_w;
	ev_io notify_w;
	ev_signal sigint_w, sigterm_w;
	struct client *client;
	GQueue closed_clients;       /* freed from the loop, never in the callback that closed them */
	ev_prepare reap_w;
};

/* ---- output -------------------------------------------------------------- */

static void client_close(struct client *c, const char *why);

static void client_flush(struct client *c)
{
	if (c->closed)
		return;
	if (sock_flush_fds(c->fd, c->out, c->fds, &c->nfds) == SOCK_FLUSH_ERROR) {
		client_close(c, g_strerror(errno));
		return;
	}
	if (c->out->len > MAX_BACKLOG) {
		client_close(c, "client does not read its replies");
		return;
	}
	if (c->out->len > 0)
		ev_io_start(c->srv->loop, &c->write_w);
	else
		ev_io_stop(c->srv->loop, &c->write_w);
}

static void reply_error(struct client *c, uint32_t seq, const GError *err)
{
	uint32_t code = err->code > 0 ? (uint32_t)err->code : VMDBG_E_HOST;
	g_debug("seq %u: %s: %s", seq, vmdbg_err_name(code), err->message);
	vmdbg_enc_error(VMDBG_GBA(c->out), seq, code, err->message);
}

/* Deliver queued stop events (only once the client has said HELLO, so
 * stops that happened with no debugger attached are reported, not lost). */
#define OUTPUT_BATCH 64

static void deliver_stops(struct server *s)
{
	struct client *c = s->client;
	if (!c || !c->hello_done)
		return;
	/* printed before the stops that follow; a bounded batch per wake-up,
	 * for a dprintf in a tight loop prints as fast as it is read: the
	 * rest waits for the next turn of the loop (the eventfd is re-armed) */
	g_autoptr(GString) text = g_string_new(NULL);
	uint32_t vcpu;
	unsigned n = 0;
	while (n < OUTPUT_BATCH && vm_pop_output(s->vm, &vcpu, text)) {
		vmdbg_enc_output(VMDBG_GBA(c->out), vcpu, text->str, (uint32_t)text->len);
		n++;
	}
	if (n == OUTPUT_BATCH) {
		uint64_t one = 1;
		ssize_t w = write(vm_notify_fd(s->vm), &one, sizeof(one));
		(void)w;  /* at its limit the eventfd is readable already */
	}
	struct vmdbg_stopped ev;
	while (vm_pop_stop(s->vm, &ev)) {
		g_debug("vCPU %u stopped: reason %u pc 0x%" G_GINT64_MODIFIER "x", ev.vcpu, ev.reason,
			ev.pc);
		vmdbg_enc_stopped(VMDBG_GBA(c->out), &ev);
	}
}

/* ---- request handlers ----------------------------------------------------- */

typedef void (*handler_fn)(struct client *c, const struct vmdbg_msg *m);

static void ok(struct client *c, const struct vmdbg_msg *m)
{
	vmdbg_enc_empty(VMDBG_GBA(c->out), m->type | VMDBG_REPLY, m->seq);
}

static void handle_hello(struct client *c, const struct vmdbg_msg *m)
{
	if (m->u.hello.version != VMDBG_VERSION) {
		g_autoptr(GError) err = g_error_new(VM_ERROR, VMDBG_E_VERSION,
						    "client speaks version %u, this VM speaks %u",
						    m->u.hello.version, VMDBG_VERSION);
		reply_error(c, m->seq, err);
		return;
	}
	struct vmdbg_hello h;
	vm_hello(c->srv->vm, &h);
	vmdbg_enc_hello_reply(VMDBG_GBA(c->out), m->seq, &h);
	c->hello_done = true;
	deliver_stops(c->srv);
}

static void handle_reg_list(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	if (!vm_reg_list(c->srv->vm, m->u.vcpu, ids, &err)) {
		reply_error(c, m->seq, err);
		return;
	}
	vmdbg_enc_reg_ids(VMDBG_GBA(c->out), VMDBG_REG_LIST | VMDBG_REPLY, m->seq, m->u.vcpu,
			  (const uint64_t *)(void *)ids->data, ids->len);
}

static void handle_get_regs(struct client *c, const struct vmdbg_msg *m)
{
	const struct vmdbg_reg_ids *r = &m->u.reg_ids;
	g_autoptr(GError) err = NULL;
	g_autofree uint64_t *ids = g_new(uint64_t, r->count ? r->count : 1);
	for (uint32_t i = 0; i < r->count; i++)
		ids[i] = vmdbg_reg_ids_get(r, i);
	g_autoptr(GByteArray) values = g_byte_array_new();
	if (!vm_get_regs(c->srv->vm, r->vcpu, ids, r->count, values, &err)) {
		reply_error(c, m->seq, err);
		return;
	}
	vmdbg_enc_reg_vals(VMDBG_GBA(c->out), VMDBG_GET_REGS | VMDBG_REPLY, m->seq, r->vcpu, ids, r->count,
			   values->data);
}

static void handle_set_regs(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	if (!vm_set_regs(c->srv->vm, &m->u.reg_vals, &err))
		reply_error(c, m->seq, err);
	else
		ok(c, m);
}

static void handle_read_mem(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	g_autofree uint8_t *buf = g_malloc(m->u.mem.len);
	long n = vm_read_mem(c->srv->vm, m->u.mem.vcpu, m->u.mem.addr, m->u.mem.len, buf, &err);
	if (n < 0)
		reply_error(c, m->seq, err);
	else
		vmdbg_enc_read_mem_reply(VMDBG_GBA(c->out), m->seq, m->u.mem.addr, buf, (uint32_t)n);
}

static void handle_write_mem(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	if (!vm_write_mem(c->srv->vm, m->u.mem.vcpu, m->u.mem.addr, m->u.mem.data, m->u.mem.len,
			  &err))
		reply_error(c, m->seq, err);
	else
		ok(c, m);
}

static void handle_set_guest_debug(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	if (!vm_set_guest_debug(c->srv->vm, &m->u.gdbg, &err))
		reply_error(c, m->seq, err);
	else
		ok(c, m);
}

static void handle_sw_bp(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	bool done = (m->type == VMDBG_SW_BP_INSERT) ? vm_sw_bp_insert(c->srv->vm, &m->u.sw_bp, &err)
						    : vm_sw_bp_remove(c->srv->vm, &m->u.sw_bp, &err);
	if (!done)
		reply_error(c, m->seq, err);
	else
		ok(c, m);
}

static void handle_pause(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	bool done = vm_pause(c->srv->vm, &err);
	/* stops that raced with the pause go out before its reply */
	deliver_stops(c->srv);
	if (!done)
		reply_error(c, m->seq, err);
	else
		ok(c, m);
}

static void handle_resume(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	if (!vm_resume(c->srv->vm, &m->u.resume, &err))
		reply_error(c, m->seq, err);
	else
		ok(c, m);
}

static void handle_detach(struct client *c, const struct vmdbg_msg *m)
{
	vm_detach(c->srv->vm);
	ok(c, m);
}

static void handle_point_cond(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	if (!vm_point_cond(c->srv->vm, &m->u.cond, &err))
		reply_error(c, m->seq, err);
	else
		ok(c, m);
}

/* The reply carries the file: its bytes and the descriptor leave together. */
static void handle_mem_map(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	struct vmdbg_mem_map map = { 0 };
	struct vmdbg_mem_region regions[VMDBG_MAX_MEM_REGIONS];
	int fd = -1;
	if (!vm_mem_map(c->srv->vm, &map, regions, &fd, &err)) {
		reply_error(c, m->seq, err);
	} else if (c->nfds == SOCK_MAX_FDS) {
		g_set_error(&err, VM_ERROR, VMDBG_E_STATE,
			    "%u MEM_MAP replies are still unsent; read them first", SOCK_MAX_FDS);
		reply_error(c, m->seq, err);
	} else {
		vmdbg_enc_mem_map_reply(VMDBG_GBA(c->out), m->seq, &map, regions);
		c->fds[c->nfds++] = fd;
	}
}

static void handle_watch(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	if (!vm_watch(c->srv->vm, m->type == VMDBG_WATCH_INSERT, &m->u.watch, &err))
		reply_error(c, m->seq, err);
	else
		ok(c, m);
}

static void handle_watch_list(struct client *c, const struct vmdbg_msg *m)
{
	g_autoptr(GError) err = NULL;
	g_autofree struct vmdbg_watch_info *w = g_new(struct vmdbg_watch_info, VMDBG_MAX_WATCHES);
	uint32_t n;
	if (!vm_watch_list(c->srv->vm, w, &n, &err))
		reply_error(c, m->seq, err);
	else
		vmdbg_enc_watch_list_reply(VMDBG_GBA(c->out), m->seq, w, n);
}

static const handler_fn handlers[VMDBG_TYPE_MASK + 1] = {
	[VMDBG_HELLO] = handle_hello,
	[VMDBG_REG_LIST] = handle_reg_list,
	[VMDBG_GET_REGS] = handle_get_regs,
	[VMDBG_SET_REGS] = handle_set_regs,
	[VMDBG_READ_MEM] = handle_read_mem,
	[VMDBG_WRITE_MEM] = handle_write_mem,
	[VMDBG_SET_GUEST_DEBUG] = handle_set_guest_debug,
	[VMDBG_SW_BP_INSERT] = handle_sw_bp,
	[VMDBG_SW_BP_REMOVE] = handle_sw_bp,
	[VMDBG_PAUSE] = handle_pause,
	[VMDBG_RESUME] = handle_resume,
	[VMDBG_DETACH] = handle_detach,
	[VMDBG_POINT_COND] = handle_point_cond,
	[VMDBG_MEM_MAP] = handle_mem_map,
	[VMDBG_WATCH_INSERT] = handle_watch,
	[VMDBG_WATCH_REMOVE] = handle_watch,
	[VMDBG_WATCH_LIST] = handle_watch_list,
};

static void dispatch(struct client *c, const struct vmdbg_msg *m)
{
	handler_fn fn = (m->type & VMDBG_REPLY) ? NULL : handlers[m->type];
	if (!fn) {
		g_autoptr(GError) err = g_error_new(VM_ERROR, VMDBG_E_UNKNOWN,
						    "%s%s is not a request a VM accepts",
						    vmdbg_type_name(m->type),
						    (m->type & VMDBG_REPLY) ? " reply" : "");
		reply_error(c, m->seq, err);
		return;
	}
	if (!c->hello_done && m->type != VMDBG_HELLO) {
		g_autoptr(GError) err = g_error_new(VM_ERROR, VMDBG_E_STATE,
						    "%s before HELLO", vmdbg_type_name(m->type));
		reply_error(c, m->seq, err);
		return;
	}
	fn(c, m);
}

/* ---- input ---------------------------------------------------------------- */

/* Decode and answer every whole frame in c->in.  Returns false when the
 * stream cannot be resynchronised and the client must go. */
static bool client_process(struct client *c)
{
	guint used = 0;
	for (;;) {
		size_t frame_len;
		g_autoptr(GError) err = NULL;
		enum vmdbg_frame_status st =
			vmdbg_g_frame_peek(c->in->data + used, c->in->len - used, &frame_len, &err);
		if (st == VMDBG_FRAME_NEED_MORE)
			break;
		if (st == VMDBG_FRAME_BAD) {
			reply_error(c, 0, err);
			g_byte_array_remove_range(c->in, 0, used);
			return false;
		}
		struct vmdbg_msg m;
		if (vmdbg_g_decode(c->in->data + used, frame_len, &m, &err))
			dispatch(c, &m);
		else
			reply_error(c, m.seq, err);
		used += (guint)frame_len;
	}
	g_byte_array_remove_range(c->in, 0, used);
	return true;
}

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = w->data;
	ssize_t n = sock_recv_append(c->fd, c->in, READ_CHUNK);
	if (n == 0) {
		client_close(c, "connection closed");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			client_close(c, g_strerror(errno));
		return;
	}
	bool keep = client_process(c);
	client_flush(c);
	if (!keep && !c->closed) {
		/* the ERROR for the unframeable input is out (best effort); now go */
		client_close(c, "malformed frame length");
	}
}

static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	client_flush(w->data);
}

static void client_free(struct client *c)
{
	close(c->fd);
	g_byte_array_unref(c->in);
	g_byte_array_unref(c->out);
	g_free(c);
}

static void reap_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct server *s = w->data;
	struct client *c;
	while ((c = g_queue_pop_head(&s->closed_clients)))
		client_free(c);
	ev_prepare_stop(loop, w);
}

/* The guest is let go at once; the client itself is freed from the loop
 * (its callers up the stack may still hold it). */
static void client_close(struct client *c, const char *why)
{
	struct server *s = c->srv;
	if (c->closed)
		return;
	g_message("debugger disconnected (%s): restoring breakpoints and resuming the guest", why);
	c->closed = true;
	ev_io_stop(s->loop, &c->read_w);
	ev_io_stop(s->loop, &c->write_w);
	s->client = NULL;
	g_queue_push_tail(&s->closed_clients, c);
	ev_prepare_start(s->loop, &s->reap_w);
	vm_detach(s->vm);
}

/* ---- accepting ----------------------------------------------------------------- */

static void refuse(int fd)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	vmdbg_enc_error(VMDBG_GBA(out), 0, VMDBG_E_BUSY,
			"another debugger is already connected to this VM; only one client at a time");
	ssize_t n = send(fd, out->data, out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n; /* best effort: the client is refused either way */
	close(fd);
}

static void listen_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *s = w->data;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			g_warning("accept: %s", g_strerror(errno));
		return;
	}
	if (s->client) {
		g_message("refused a second debugger connection");
		refuse(fd);
		return;
	}
	struct client *c = g_new0(struct client, 1);
	c->srv = s;
	c->fd = fd;
	c->in = g_byte_array_new();
	c->out = g_byte_array_new();
	ev_io_init(&c->read_w, client_read_cb, fd, EV_READ);
	ev_io_init(&c->write_w, client_write_cb, fd, EV_WRITE);
	c->read_w.data = c->write_w.data = c;
	ev_io_start(loop, &c->read_w);
	s->client = c;
	g_message("debugger connected");
}

static void notify_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *s = w->data;
	uint64_t count;
	ssize_t n = read(vm_notify_fd(s->vm), &count, sizeof(count));
	(void)n; /* drained; the queue is the source of truth */
	deliver_stops(s);
	if (s->client)
		client_flush(s->client);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	g_message("signal %d: shutting down", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

int server_run(struct vm *vm, const char *path, GError **error)
{
	return server_run_access(vm, path, (gid_t)-1, 0, error);
}

int server_run_access(struct vm *vm, const char *path, gid_t gid, mode_t mode, GError **error)
{
	struct server s = { .vm = vm, .listen_fd = -1 };
	s.listen_fd = sock_listen_unix(path, error);
	if (s.listen_fd < 0)
		return 1;
	if (!sock_set_access(path, gid, mode, error)) {
		close(s.listen_fd);
		unlink(path);
		return 1;
	}
	s.path = g_strdup(path);
	s.loop = ev_default_loop(EVFLAG_AUTO);
	ev_io_init(&s.listen_w, listen_cb, s.listen_fd, EV_READ);
	ev_io_init(&s.notify_w, notify_cb, vm_notify_fd(vm), EV_READ);
	ev_signal_init(&s.sigint_w, signal_cb, SIGINT);
	ev_signal_init(&s.sigterm_w, signal_cb, SIGTERM);
	g_queue_init(&s.closed_clients);
	ev_prepare_init(&s.reap_w, reap_cb);
	s.listen_w.data = s.notify_w.data = s.reap_w.data = &s;
	ev_io_start(s.loop, &s.listen_w);
	ev_io_start(s.loop, &s.notify_w);
	ev_signal_start(s.loop, &s.sigint_w);
	ev_signal_start(s.loop, &s.sigterm_w);
	g_message("vmdbg socket: %s", path);

	ev_run(s.loop, 0);

	if (s.client)
		client_close(s.client, "VM shutting down");
	reap_cb(s.loop, &s.reap_w, 0);
	ev_io_stop(s.loop, &s.listen_w);
	ev_io_stop(s.loop, &s.notify_w);
	ev_signal_stop(s.loop, &s.sigint_w);
	ev_signal_stop(s.loop, &s.sigterm_w);
	close(s.listen_fd);
	unlink(s.path);
	g_free(s.path);
	return 0;
}
