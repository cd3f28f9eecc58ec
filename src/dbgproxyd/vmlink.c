/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmlink.c - asynchronous vmdbg client with reconnection (see vmlink.h).
 */
#include "vmlink.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "arch.h"
#include "guestmem.h"
#include "sockio.h"

G_DEFINE_QUARK(dbgproxyd-vmlink-error-quark, vmlink_error)

#define BACKOFF_MIN 0.1
#define BACKOFF_MAX 5.0
#define READ_CHUNK  (64 * 1024)

enum link_state { LINK_DOWN, LINK_CONNECTING, LINK_HANDSHAKE, LINK_READY };

struct pending {
	uint32_t seq;
	vmlink_reply_fn fn;
	void *ctx;
};

struct vmlink {
	struct ev_loop *loop;
	char *path;
	const struct vmlink_ops *ops;
	void *owner;
	enum link_state state;
	bool stopped;              /* no more reconnects */
	int fd;
	ev_io read_w, write_w;
	ev_timer retry_w;
	double backoff;
	GByteArray *in, *out;
	GQueue pending;            /* struct pending *, in send order */
	uint32_t seq;
	struct vmdbg_hello hello;
	GPtrArray *reg_ids;        /* per vCPU: GArray of uint64_t */
	unsigned reg_lists_wanted;
	GHashTable *config;        /* configuration registers: "vcpu:id" (uint64_t[2]) -> GBytes */
	unsigned config_wanted;
	bool warned_down;
	bool tried;                /* a first attempt ended: ready, or down */
	unsigned attempts;         /* attempts ended (ready, or down) so far */
	char *down_why;            /* why the last attempt or the link failed */
	ev_tstamp down_at;         /* when */
	bool share_mem;            /* ask for MEM_MAP when the VM offers it */
	GArray *fds;               /* int: descriptors received, not yet claimed */
	struct guestmem *gm;       /* the VM's RAM, when shared */
};

static void link_down(struct vmlink *l, const char *why);
static void try_connect(struct vmlink *l);
static void read_cb(struct ev_loop *loop, ev_io *w, int revents);

void vmlink_set_share_memory(struct vmlink *l, bool share)
{
	l->share_mem = share;
}

struct guestmem *vmlink_guestmem(const struct vmlink *l)
{
	return l->state == LINK_READY ? l->gm : NULL;
}

bool vmlink_idle(const struct vmlink *l)
{
	return l->pending.length == 0;
}

bool vmlink_tried(const struct vmlink *l)
{
	return l->tried;
}

unsigned vmlink_attempts(const struct vmlink *l, const char **why_down)
{
	if (why_down)
		*why_down = l->state == LINK_READY ? NULL : l->down_why;
	return l->attempts;
}

/* ... but not more often than BACKOFF_MIN: gdbs connecting in a loop do
 * not become a flood of connections to a VM that refuses them. */
unsigned vmlink_retry_now(struct vmlink *l)
{
	unsigned before = l->attempts;
	if (l->state != LINK_DOWN || l->stopped || !ev_is_active(&l->retry_w))
		return before;
	ev_tstamp wait = l->down_at + BACKOFF_MIN - ev_now(l->loop);
	ev_timer_stop(l->loop, &l->retry_w);
	if (wait > 0) {
		ev_timer_set(&l->retry_w, wait, 0);
		ev_timer_start(l->loop, &l->retry_w);
	} else {
		try_connect(l);
	}
	return before;
}

bool vmlink_is_ready(const struct vmlink *l)
{
	return l->state == LINK_READY;
}

const struct vmdbg_hello *vmlink_hello(const struct vmlink *l)
{
	return &l->hello;
}

const GArray *vmlink_reg_ids(const struct vmlink *l, uint32_t vcpu)
{
	return vcpu < l->reg_ids->len ? g_ptr_array_index(l->reg_ids, vcpu) : NULL;
}

const GBytes *vmlink_config(const struct vmlink *l, uint32_t vcpu, uint64_t id)
{
	uint64_t key[2] = { vcpu, id };
	return g_hash_table_lookup(l->config, key);
}

static guint key2_hash(gconstpointer k)
{
	const uint64_t *v = k;
	return g_int64_hash(&v[0]) * 31u + g_int64_hash(&v[1]);
}

static gboolean key2_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, 2 * sizeof(uint64_t)) == 0;
}

const char *vmlink_path(const struct vmlink *l)
{
	return l->path;
}

uint32_t vmlink_next_seq(struct vmlink *l)
{
	if (++l->seq == 0)
		l->seq = 1;
	return l->seq;
}

/* ---- output ---------------------------------------------------------------- */

/* Send what is queued.  A failure seen from inside a request (in_call)
 * is not acted on there: the link goes down from the write watcher, so no
 * callback runs before vmlink_send() has returned (vmlink.h: "later"). */
static void flush(struct vmlink *l, bool in_call)
{
	/* on a failure inside a call, a broken socket is writable: write_cb sees it again */
	if (sock_flush(l->fd, l->out) == SOCK_FLUSH_ERROR && !in_call) {
		int err = errno;
		/* a VM refusing a client (another debugger holds it) says why,
		 * then closes, maybe before our HELLO is out: read its ERROR
		 * first, so that the reason is the VM's, not "Broken pipe" */
		read_cb(l->loop, &l->read_w, 0);
		if (l->state != LINK_DOWN)
			link_down(l, g_strerror(err));
		return;
	}
	if (l->out->len)
		ev_io_start(l->loop, &l->write_w);
	else
		ev_io_stop(l->loop, &l->write_w);
}

static void enqueue(struct vmlink *l, const GByteArray *frame, uint32_t seq, vmlink_reply_fn fn,
		    void *ctx)
{
	struct pending *p = g_new(struct pending, 1);
	p->seq = seq;
	p->fn = fn;
	p->ctx = ctx;
	g_queue_push_tail(&l->pending, p);
	g_byte_array_append(l->out, frame->data, frame->len);
	flush(l, true);
}

bool vmlink_send(struct vmlink *l, const GByteArray *frame, uint32_t seq, vmlink_reply_fn fn,
		 void *ctx)
{
	if (l->state != LINK_READY)
		return false;
	enqueue(l, frame, seq, fn, ctx);
	return true;
}

/* ---- handshake --------------------------------------------------------------- */

static void become_ready(struct vmlink *l)
{
	l->state = LINK_READY;
	l->tried = true;
	l->attempts++;
	l->backoff = BACKOFF_MIN;
	l->warned_down = false;
	log_event(LOG_VM_READY, G_LOG_LEVEL_MESSAGE, &(struct log_fields){ .vm = l->path },
		  "VM %s ready: %s, %u vCPU(s), %u hw breakpoint / %u watchpoint slots%s",
		  l->path, l->hello.arch == VMDBG_ARCH_AARCH64 ? "aarch64" : "x86-64",
		  l->hello.nr_vcpus, l->hello.hw_bps, l->hello.hw_wps,
		  (l->hello.features & VMDBG_FEAT_HW_SLOTS_SHARED) ? " (shared)" : "");
	l->ops->on_ready(l->owner);
}

struct config_req {
	struct vmlink *l;
	uint32_t vcpu;
};

static void config_done(void *ctx, const struct vmdbg_msg *reply, const GError *err)
{
	struct config_req *r = ctx;
	struct vmlink *l = r->l;
	uint32_t vcpu = r->vcpu;
	g_free(r);
	if (!reply) {
		if (l->state == LINK_HANDSHAKE)
			link_down(l, err->message);
		return;
	}
	size_t off = 0;
	uint64_t id;
	const uint8_t *value;
	uint32_t size;
	if (!vmdbg_regvals_next(&reply->u.reg_vals, &off, &id, &value, &size)) {
		link_down(l, "empty GET_REGS reply for a configuration register");
		return;
	}
	uint64_t key[2] = { vcpu, id };
	g_hash_table_insert(l->config, g_memdup2(key, sizeof(key)), g_bytes_new(value, size));
	if (--l->config_wanted == 0)
		become_ready(l);
}

/* The configuration registers the target description depends on (the SVE
 * vector length), of every vCPU that has them, read one by one: the VM
 * serves those while vCPUs run. */
static void fetch_config(struct vmlink *l)
{
	const struct arch_ops *arch = arch_for(l->hello.arch);
	for (uint32_t v = 0; v < l->reg_ids->len; v++) {
		const GArray *ids = g_ptr_array_index(l->reg_ids, v);
		for (unsigned i = 0; arch && arch->config_ids && arch->config_ids[i]; i++) {
			uint64_t id = arch->config_ids[i];
			bool listed = false;
			for (guint k = 0; k < ids->len && !listed; k++)
				listed = g_array_index(ids, uint64_t, k) == id;
			if (!listed)
				continue;
			g_autoptr(GByteArray) f = g_byte_array_new();
			uint32_t seq = vmlink_next_seq(l);
			vmdbg_enc_reg_ids(VMDBG_GBA(f), VMDBG_GET_REGS, seq, v, &id, 1);
			struct config_req *r = g_new0(struct config_req, 1);
			*r = (struct config_req){ l, v };
			enqueue(l, f, seq, config_done, r);
			l->config_wanted++;
		}
	}
	if (l->config_wanted == 0)
		become_ready(l);
}

static void reg_list_done(void *ctx, const struct vmdbg_msg *reply, const GError *err)
{
	struct vmlink *l = ctx;
	if (!reply) {
		if (l->state == LINK_HANDSHAKE)
			link_down(l, err->message);
		return;
	}
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	for (uint32_t i = 0; i < reply->u.reg_ids.count; i++) {
		uint64_t id = vmdbg_reg_ids_get(&reply->u.reg_ids, i);
		g_array_append_val(ids, id);
	}
	uint32_t vcpu = reply->u.reg_ids.vcpu;
	if (vcpu >= l->reg_ids->len || g_ptr_array_index(l->reg_ids, vcpu)) {
		g_array_unref(ids);
		link_down(l, "REG_LIST reply for an unexpected vCPU");
		return;
	}
	g_ptr_array_index(l->reg_ids, vcpu) = ids;
	if (--l->reg_lists_wanted == 0)
		fetch_config(l);
}

static void close_fds(struct vmlink *l)
{
	for (guint i = 0; i < l->fds->len; i++)
		close(g_array_index(l->fds, int, i));
	g_array_set_size(l->fds, 0);
}

/* The file comes with the reply: the oldest descriptor received. */
static void mem_map_done(void *ctx, const struct vmdbg_msg *reply, const GError *err)
{
	struct vmlink *l = ctx;
	if (!reply) {
		if (l->state == LINK_HANDSHAKE)
			g_warning("VM %s offers shared memory but MEM_MAP failed: %s; reading guest "
				  "memory through the socket", l->path, err->message);
		return;
	}
	if (l->fds->len == 0) {
		g_warning("VM %s sent a MEM_MAP reply without its file; reading guest memory "
			  "through the socket", l->path);
		return;
	}
	int fd = g_array_index(l->fds, int, 0);
	g_array_remove_index(l->fds, 0);
	g_autoptr(GError) e = NULL;
	guestmem_free(l->gm);
	l->gm = guestmem_new(fd, &reply->u.mem_map, &e);
	if (!l->gm)
		g_warning("VM %s: %s; reading guest memory through the socket", l->path, e->message);
	else
		g_message("VM %s shares its guest memory (%" G_GUINT64_FORMAT " MiB): reads and writes "
			  "need no round trip", l->path, guestmem_ram_bytes(l->gm) >> 20);
}

static void hello_done(void *ctx, const struct vmdbg_msg *reply, const GError *err)
{
	struct vmlink *l = ctx;
	if (!reply) {
		if (l->state == LINK_HANDSHAKE) {
			if (err->domain == VMLINK_ERROR && err->code == VMDBG_E_BUSY)
				g_warning("VM %s is busy (another debugger is attached); retrying", l->path);
			link_down(l, err->message);
		}
		return;
	}
	const struct vmdbg_hello *h = &reply->u.hello;
	if (h->version != VMDBG_VERSION || h->nr_vcpus == 0 || h->nr_vcpus > VMDBG_MAX_VCPUS ||
	    (h->arch != VMDBG_ARCH_X86_64 && h->arch != VMDBG_ARCH_AARCH64) ||
	    h->hw_bps > VMDBG_MAX_DBG_REGS || h->hw_wps > VMDBG_MAX_DBG_REGS) {
		link_down(l, "VM sent an unusable HELLO (version, arch, vCPU or slot count)");
		return;
	}
	l->hello = *h;
	if ((h->features & VMDBG_FEAT_SHARED_MEM) && l->share_mem) {
		g_autoptr(GByteArray) f = g_byte_array_new();
		uint32_t seq = vmlink_next_seq(l);
		vmdbg_enc_empty(VMDBG_GBA(f), VMDBG_MEM_MAP, seq);
		enqueue(l, f, seq, mem_map_done, l);
	}
	g_ptr_array_set_size(l->reg_ids, (gint)h->nr_vcpus);
	l->reg_lists_wanted = h->nr_vcpus;
	for (uint32_t v = 0; v < h->nr_vcpus; v++) {
		g_autoptr(GByteArray) f = g_byte_array_new();
		uint32_t seq = vmlink_next_seq(l);
		vmdbg_enc_reg_list_request(VMDBG_GBA(f), seq, v);
		enqueue(l, f, seq, reg_list_done, l);
	}
}

/* ---- input -------------------------------------------------------------------- */

static void handle_frame(struct vmlink *l, const struct vmdbg_msg *m)
{
	if (m->type == VMDBG_EV_OUTPUT) {
		if (l->state == LINK_READY && l->ops->on_output)
			l->ops->on_output(l->owner, m->u.output.vcpu, m->u.output.text, m->u.output.len);
		return;
	}
	if (m->type == VMDBG_EV_STOPPED) {
		if (l->state == LINK_READY)
			l->ops->on_stopped(l->owner, &m->u.stopped);
		else
			g_debug("VM stop event during the handshake: vCPU %u reason %u", m->u.stopped.vcpu,
				m->u.stopped.reason);
		return;
	}
	struct pending *p = g_queue_peek_head(&l->pending);
	if (!p || m->seq != p->seq) {
		if (m->type == VMDBG_ERROR) {
			g_autofree char *text = g_strndup(m->u.error.text, m->u.error.len);
			link_down(l, text);
		} else {
			link_down(l, "VM replied out of order");
		}
		return;
	}
	g_queue_pop_head(&l->pending);
	if (m->type == VMDBG_ERROR) {
		g_autoptr(GError) err = g_error_new(VMLINK_ERROR, (gint)m->u.error.code, "%.*s",
						    (int)m->u.error.len, m->u.error.text);
		p->fn(p->ctx, NULL, err);
	} else {
		p->fn(p->ctx, m, NULL);
	}
	g_free(p);
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vmlink *l = w->data;
	ssize_t n = sock_recv_append_fds(l->fd, l->in, READ_CHUNK, l->fds);
	if (l->fds->len > SOCK_MAX_FDS) {
		link_down(l, "the VM sends file descriptors nobody asked for");
		return;
	}
	if (n == 0) {
		link_down(l, "the VM closed the connection");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			link_down(l, g_strerror(errno));
		return;
	}
	guint used = 0;
	while (l->state != LINK_DOWN) {
		size_t len;
		g_autoptr(GError) err = NULL;
		enum vmdbg_frame_status st = vmdbg_g_frame_peek(l->in->data + used, l->in->len - used,
							      &len, &err);
		if (st == VMDBG_FRAME_NEED_MORE)
			break;
		if (st == VMDBG_FRAME_BAD) {
			link_down(l, err->message);
			return;
		}
		struct vmdbg_msg m;
		if (!vmdbg_g_decode(l->in->data + used, len, &m, &err)) {
			g_warning("malformed frame from the VM: %s", err->message);
			link_down(l, "malformed frame from the VM");
			return;
		}
		used += (guint)len;
		handle_frame(l, &m);
	}
	if (l->state != LINK_DOWN)
		g_byte_array_remove_range(l->in, 0, used);
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vmlink *l = w->data;
	if (l->state == LINK_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			link_down(l, g_strerror(err));
			return;
		}
		l->state = LINK_HANDSHAKE;
		ev_io_start(l->loop, &l->read_w);
	}
	flush(l, false);
}

/* ---- connection management ---------------------------------------------------- */

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	try_connect(w->data);
}

static void schedule_retry(struct vmlink *l)
{
	if (l->stopped)
		return;
	ev_timer_set(&l->retry_w, l->backoff, 0);
	ev_timer_start(l->loop, &l->retry_w);
	l->backoff = MIN(l->backoff * 2, BACKOFF_MAX);
}

static void link_down(struct vmlink *l, const char *why)
{
	if (l->state == LINK_DOWN)
		return;
	l->tried = true;
	l->attempts++;
	g_free(l->down_why);
	l->down_why = g_strdup(why);
	l->down_at = ev_now(l->loop);
	bool was_ready = l->state == LINK_READY;
	ev_io_stop(l->loop, &l->read_w);
	ev_io_stop(l->loop, &l->write_w);
	close(l->fd);
	l->fd = -1;
	l->state = LINK_DOWN;
	g_byte_array_set_size(l->in, 0);
	g_byte_array_set_size(l->out, 0);
	for (guint i = 0; i < l->reg_ids->len; i++)
		if (g_ptr_array_index(l->reg_ids, i))
			g_array_unref(g_ptr_array_index(l->reg_ids, i));
	g_ptr_array_set_size(l->reg_ids, 0);
	g_hash_table_remove_all(l->config);
	l->config_wanted = 0;
	close_fds(l);
	guestmem_free(l->gm);
	l->gm = NULL;

	g_autoptr(GError) err = g_error_new(VMLINK_ERROR, VMLINK_E_LOST,
					    "connection to the VM lost: %s", why);
	struct pending *p;
	while ((p = g_queue_pop_head(&l->pending))) {
		p->fn(p->ctx, NULL, err);
		g_free(p);
	}
	if (was_ready) {
		if (l->stopped)  /* asked for: the daemon or its owner is closing */
			g_info("disconnected from the VM at %s: %s", l->path, why);
		else
			log_event(LOG_VM_LOST, G_LOG_LEVEL_WARNING,
				  &(struct log_fields){ .vm = l->path, .reason = why },
				  "lost the VM at %s: %s; reconnecting", l->path, why);
		l->ops->on_lost(l->owner, why);
	} else if (!l->warned_down) {
		log_event(LOG_VM_UNREACHABLE, G_LOG_LEVEL_MESSAGE,
			  &(struct log_fields){ .vm = l->path, .reason = why },
			  "VM at %s not reachable (%s); retrying with back-off", l->path, why);
		l->warned_down = true;
	}
	schedule_retry(l);
}

static void try_connect(struct vmlink *l)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(l->path) >= sizeof(a.sun_path)) {
		g_critical("VM socket path too long: %s", l->path);
		return;
	}
	strcpy(a.sun_path, l->path);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		g_warning("socket: %s", g_strerror(errno));
		schedule_retry(l);
		return;
	}
	ev_io_set(&l->read_w, l->fd, EV_READ);
	ev_io_set(&l->write_w, l->fd, EV_WRITE);
	l->state = LINK_CONNECTING;
	/* HELLO goes out as soon as the connection is up */
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(l);
	vmdbg_enc_hello_request(VMDBG_GBA(f), seq, VMDBG_VERSION, 0);
	struct pending *p = g_new(struct pending, 1);
	*p = (struct pending){ seq, hello_done, l };
	g_queue_push_tail(&l->pending, p);
	g_byte_array_append(l->out, f->data, f->len);

	if (connect(l->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		link_down(l, g_strerror(errno));
		return;
	}
	ev_io_start(l->loop, &l->write_w); /* completion (or the error) shows as writable */
}

struct vmlink *vmlink_new(struct ev_loop *loop, const char *path, const struct vmlink_ops *ops,
			  void *owner)
{
	struct vmlink *l = g_new0(struct vmlink, 1);
	l->loop = loop;
	l->path = g_strdup(path);
	l->ops = ops;
	l->owner = owner;
	l->fd = -1;
	l->backoff = BACKOFF_MIN;
	l->in = g_byte_array_new();
	l->out = g_byte_array_new();
	l->reg_ids = g_ptr_array_new();
	l->share_mem = true;
	l->fds = g_array_new(FALSE, FALSE, sizeof(int));
	l->config = g_hash_table_new_full(key2_hash, key2_equal, g_free,
					  (GDestroyNotify)g_bytes_unref);
	g_queue_init(&l->pending);
	ev_io_init(&l->read_w, read_cb, -1, EV_READ);
	ev_io_init(&l->write_w, write_cb, -1, EV_WRITE);
	ev_timer_init(&l->retry_w, retry_cb, 0, 0);
	l->read_w.data = l->write_w.data = l->retry_w.data = l;
	try_connect(l);
	return l;
}

void vmlink_disconnect(struct vmlink *l, const char *why, bool stop_reconnecting)
{
	l->stopped = stop_reconnecting;
	if (stop_reconnecting)
		ev_timer_stop(l->loop, &l->retry_w);
	link_down(l, why);
	if (stop_reconnecting)
		ev_timer_stop(l->loop, &l->retry_w);
}

void vmlink_free(struct vmlink *l)
{
	if (!l)
		return;
	vmlink_disconnect(l, "shutting down", true);
	g_byte_array_unref(l->in);
	g_byte_array_unref(l->out);
	g_ptr_array_unref(l->reg_ids);
	g_hash_table_unref(l->config);
	g_array_unref(l->fds);
	g_free(l->down_why);
	g_free(l->path);
	g_free(l);
}
