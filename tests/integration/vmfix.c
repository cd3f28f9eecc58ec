/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmfix.c - a dbgproxy-vm under test and a vmdbg client for it, shared by
 * the integration tests of both back ends (see vmfix.h).
 */
#include "vmfix.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "testutil.h"

/* ---- a dbgproxy-vm under test ---------------------------------------------------- */

int connect_unix(const char *path)
{
	return tu_connect_unix(path);
}

char *read_serial(struct vmfix *f)
{
	char *text = NULL;
	if (!g_file_get_contents(f->serial, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

/* Wait (bounded) until the guest printed `line`. */
void wait_serial(struct vmfix *f, const char *line)
{
	for (int i = 0; i < 600; i++) { /* ~30 s */
		g_autofree char *text = read_serial(f);
		if (strstr(text, line))
			return;
		g_usleep(50 * 1000);
	}
	g_autofree char *text = read_serial(f);
	g_error("guest never printed '%s'; serial so far:\n%s", line, text);
}

void vmfix_start(struct vmfix *f, const char *vm_bin, const char *kernel, unsigned vcpus,
		 const char *extra)
{
	memset(f, 0, sizeof(*f));
	g_queue_init(&f->events);
	f->in = g_byte_array_new();
	f->dir = g_dir_make_tmp("vmkvm-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
	f->sock = g_build_filename(f->dir, "vm.sock", NULL);
	f->serial = g_build_filename(f->dir, "serial.log", NULL);
	g_autofree char *cmd = g_strdup_printf(
		"'%s' --kernel '%s' --socket '%s' --vcpus %u %s > '%s' 2> '%s/vm.log'",
		vm_bin, kernel, f->sock, vcpus, extra ? extra : "", f->serial, f->dir);
	f->pid = tu_spawn(cmd);
	f->fd = -1;
	for (int i = 0; i < 200 && f->fd < 0; i++) {
		f->fd = connect_unix(f->sock);
		if (f->fd < 0)
			g_usleep(25 * 1000);
	}
	g_assert_cmpint(f->fd, >=, 0);
}

void vm_stop(struct vmfix *f)
{
	if (f->fd >= 0)
		close(f->fd);
	tu_stop(f->pid);
	g_autofree char *log = g_build_filename(f->dir, "vm.log", NULL);
	g_unlink(log);
	g_unlink(f->serial);
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->sock);
	g_free(f->serial);
	g_queue_clear_full(&f->events, g_free);
	g_byte_array_unref(f->in);
	if (f->output)
		g_string_free(f->output, TRUE);
	f->output = NULL;
}

/* ---- frame I/O ---------------------------------------------------------------------- */

void send_all(int fd, const GByteArray *b)
{
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		g_assert_cmpint(n, >, 0);
		off += (size_t)n;
	}
}

/* Read one frame from fd into buf (owned by the fixture); false on EOF or
 * timeout. */
bool read_frame(int fd, GByteArray *in, GByteArray *frame, int timeout_ms)
{
	for (;;) {
		size_t len;
		enum vmdbg_frame_status st = vmdbg_g_frame_peek(in->data, in->len, &len, NULL);
		g_assert_cmpint(st, !=, VMDBG_FRAME_BAD);
		if (st == VMDBG_FRAME_OK) {
			g_byte_array_set_size(frame, 0);
			g_byte_array_append(frame, in->data, (guint)len);
			g_byte_array_remove_range(in, 0, (guint)len);
			return true;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0)
			return false;
		uint8_t buf[65536];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return false;
		g_byte_array_append(in, buf, (guint)n);
	}
}

/* Send the frame in req (already encoded with seq) and return its reply
 * frame; STOPPED events seen meanwhile are queued. */
GByteArray *transact(struct vmfix *f, GByteArray *req, uint32_t seq, struct vmdbg_msg *m)
{
	send_all(f->fd, req);
	GByteArray *frame = g_byte_array_new();
	for (;;) {
		g_assert_true(read_frame(f->fd, f->in, frame, IO_TIMEOUT_MS));
		GError *err = NULL;
		g_assert_true(vmdbg_g_decode(frame->data, frame->len, m, &err));
		g_assert_no_error(err);
		if (m->type == VMDBG_EV_STOPPED) {
			g_queue_push_tail(&f->events, g_memdup2(&m->u.stopped, sizeof(m->u.stopped)));
			continue;
		}
		if (m->type == VMDBG_EV_OUTPUT) {
			if (!f->output)
				f->output = g_string_new(NULL);
			g_string_append_len(f->output, m->u.output.text, m->u.output.len);
			continue;
		}
		g_assert_cmpuint(m->seq, ==, seq);
		return frame; /* m points into it */
	}
}

uint32_t next_seq(struct vmfix *f)
{
	return ++f->seq;
}

/* For requests whose reply is an empty OK. */
void expect_ok(struct vmfix *f, GByteArray *req, uint32_t seq, uint8_t type)
{
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(f, req, seq, &m);
	if (m.type == VMDBG_ERROR)
		g_error("%s failed: %s %.*s", vmdbg_type_name(type), vmdbg_err_name(m.u.error.code),
			(int)m.u.error.len, m.u.error.text);
	g_assert_cmpuint(m.type, ==, type | VMDBG_REPLY);
}

uint32_t expect_error(struct vmfix *f, GByteArray *req, uint32_t seq)
{
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(f, req, seq, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_ERROR);
	g_assert_cmpuint(m.u.error.len, >, 0);
	return m.u.error.code;
}

void hello(struct vmfix *f)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	vmdbg_enc_hello_request(VMDBG_GBA(req), seq, VMDBG_VERSION, 0);
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(f, req, seq, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_HELLO | VMDBG_REPLY);
	f->hello = m.u.hello;
}

/* Connect again after dropping the connection: until the VM has seen the
 * old one close, a new one is refused with EBUSY; retry (bounded). */
void reconnect(struct vmfix *f)
{
	for (int i = 0; i < 100; i++) {
		if (f->fd >= 0)
			close(f->fd);
		g_byte_array_set_size(f->in, 0);
		f->fd = connect_unix(f->sock);
		if (f->fd < 0) {
			g_usleep(20 * 1000);
			continue;
		}
		g_autoptr(GByteArray) req = g_byte_array_new();
		uint32_t seq = next_seq(f);
		vmdbg_enc_hello_request(VMDBG_GBA(req), seq, VMDBG_VERSION, 0);
		/* a VM still busy with the last client refuses and closes, maybe
		 * before the HELLO is out (EPIPE): try again, as for EBUSY */
		if (send(f->fd, req->data, req->len, MSG_NOSIGNAL) != (ssize_t)req->len) {
			g_usleep(20 * 1000);
			continue;
		}
		g_autoptr(GByteArray) frame = g_byte_array_new();
		struct vmdbg_msg m;
		if (!read_frame(f->fd, f->in, frame, IO_TIMEOUT_MS))
			continue;
		g_assert_true(vmdbg_g_decode(frame->data, frame->len, &m, NULL));
		if (m.type == VMDBG_ERROR && m.u.error.code == VMDBG_E_BUSY) {
			g_usleep(20 * 1000);
			continue;
		}
		g_assert_cmpuint(m.type, ==, VMDBG_HELLO | VMDBG_REPLY);
		g_assert_cmpuint(m.seq, ==, seq);
		return;
	}
	g_error("could not reconnect to %s", f->sock);
}

void pause_vm(struct vmfix *f)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	vmdbg_enc_empty(VMDBG_GBA(req), VMDBG_PAUSE, seq);
	expect_ok(f, req, seq, VMDBG_PAUSE);
}

void resume_all(struct vmfix *f, uint32_t action)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	vmdbg_enc_resume(VMDBG_GBA(req), seq, action, NULL, 0);
	expect_ok(f, req, seq, VMDBG_RESUME);
}

void read_mem(struct vmfix *f, uint32_t vcpu, uint64_t addr, uint32_t len, uint8_t *out)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	vmdbg_enc_read_mem(VMDBG_GBA(req), seq, vcpu, addr, len);
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(f, req, seq, &m);
	if (m.type == VMDBG_ERROR)
		g_error("READ_MEM 0x%" G_GINT64_MODIFIER "x: %.*s", addr, (int)m.u.error.len,
			m.u.error.text);
	g_assert_cmpuint(m.u.mem.len, ==, len);
	g_assert_cmphex(m.u.mem.addr, ==, addr);
	memcpy(out, m.u.mem.data, len);
}

uint64_t read_u64(struct vmfix *f, uint64_t addr)
{
	uint64_t v;
	read_mem(f, 0, addr, 8, (uint8_t *)&v);
	return GUINT64_FROM_LE(v);
}

void write_mem(struct vmfix *f, uint64_t addr, const void *data, uint32_t len)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	vmdbg_enc_write_mem(VMDBG_GBA(req), seq, 0, addr, data, len);
	expect_ok(f, req, seq, VMDBG_WRITE_MEM);
}

uint64_t get_reg64(struct vmfix *f, uint32_t vcpu, uint64_t id)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	vmdbg_enc_reg_ids(VMDBG_GBA(req), VMDBG_GET_REGS, seq, vcpu, &id, 1);
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(f, req, seq, &m);
	if (m.type == VMDBG_ERROR)
		g_error("GET_REGS: %.*s", (int)m.u.error.len, m.u.error.text);
	size_t off = 0;
	uint64_t got_id, v = 0;
	const uint8_t *val;
	uint32_t size;
	g_assert_true(vmdbg_regvals_next(&m.u.reg_vals, &off, &got_id, &val, &size));
	g_assert_cmphex(got_id, ==, id);
	memcpy(&v, val, MIN(size, 8u));
	return v;
}


/* The next STOPPED event, waiting up to timeout_ms. */
bool wait_stop(struct vmfix *f, struct vmdbg_stopped *out, int timeout_ms)
{
	struct vmdbg_stopped *q = g_queue_pop_head(&f->events);
	if (q) {
		*out = *q;
		g_free(q);
		return true;
	}
	g_autoptr(GByteArray) frame = g_byte_array_new();
	struct vmdbg_msg m;
	for (;;) {
		if (!read_frame(f->fd, f->in, frame, timeout_ms))
			return false;
		g_assert_true(vmdbg_g_decode(frame->data, frame->len, &m, NULL));
		if (m.type != VMDBG_EV_OUTPUT)
			break;
		if (!f->output)
			f->output = g_string_new(NULL);
		g_string_append_len(f->output, m.u.output.text, m.u.output.len);
	}
	g_assert_cmpuint(m.type, ==, VMDBG_EV_STOPPED);
	*out = m.u.stopped;
	return true;
}
