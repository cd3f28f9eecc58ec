/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * conform-link.c - vmdbg-conform's client side of a vmdbg socket: frames
 * out through libvmdbg's encoders, in through vmdbg_frame_peek() and
 * vmdbg_decode(), every wait bounded by poll().
 */
#include "conform.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int link_open(struct link *l, const char *path, int timeout_ms)
{
	memset(l, 0, sizeof(*l));
	l->timeout_ms = timeout_ms;
	vmdbg_buf_init(&l->in);
	vmdbg_buf_init(&l->out);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(l->why, sizeof(l->why), "socket path too long: %s", path);
		l->fd = -1;
		return -1;
	}
	strcpy(sa.sun_path, path);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0 || connect(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(l->why, sizeof(l->why), "cannot connect to %s: %s", path, strerror(errno));
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		return -1;
	}
	return 0;
}

void link_close(struct link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	vmdbg_buf_fini(&l->in);
	vmdbg_buf_fini(&l->out);
	free(l->frame);
	l->frame = NULL;
}

uint32_t link_next(struct link *l)
{
	l->out.len = 0;
	return ++l->seq;
}

bool link_send_raw(struct link *l, const void *bytes, size_t n)
{
	const uint8_t *p = bytes;
	while (n > 0) {
		ssize_t w = send(l->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(l->why, sizeof(l->why), "send: %s", strerror(errno));
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Take one whole frame out of l->in into l->frame, if there is one:
 * 1, 0 (not yet), -1 (a length no frame can have). */
static int take_frame(struct link *l, size_t *len)
{
	struct vmdbg_diag d = { 0, "" };
	enum vmdbg_frame_status st = vmdbg_frame_peek(l->in.data, l->in.len, len, &d);
	if (st == VMDBG_FRAME_NEED_MORE)
		return 0;
	if (st == VMDBG_FRAME_BAD) {
		snprintf(l->why, sizeof(l->why), "unframeable bytes from the VM: %s", d.text);
		return -1;
	}
	free(l->frame);
	l->frame = malloc(*len);
	if (!l->frame) {
		snprintf(l->why, sizeof(l->why), "out of memory");
		return -1;
	}
	memcpy(l->frame, l->in.data, *len);
	vmdbg_buf_consume(&l->in, *len);
	return 1;
}

int link_recv(struct link *l, int timeout_ms, struct vmdbg_msg *m, int *derr)
{
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		size_t len;
		int t = take_frame(l, &len);
		if (t < 0)
			return -1;
		if (t > 0) {
			struct vmdbg_diag d = { 0, "" };
			*derr = vmdbg_decode(l->frame, len, m, &d);
			if (*derr)
				snprintf(l->why, sizeof(l->why), "malformed frame from the VM: %s", d.text);
			return 1;
		}
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { l->fd, POLLIN, 0 };
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		uint8_t *room = l->in.out.reserve(&l->in.out, 65536);
		if (!room) {
			snprintf(l->why, sizeof(l->why), "out of memory");
			return -1;
		}
		ssize_t r = recv(l->fd, room, 65536, 0);
		l->in.len -= 65536 - (r > 0 ? (size_t)r : 0);
		if (r == 0) {
			snprintf(l->why, sizeof(l->why), "the VM closed the connection");
			return -1;
		}
		if (r < 0 && errno != EINTR && errno != EAGAIN) {
			snprintf(l->why, sizeof(l->why), "recv: %s", strerror(errno));
			return -1;
		}
	}
}

/* An event: recorded.  True if m was one. */
static bool note_event(struct link *l, const struct vmdbg_msg *m)
{
	if (m->type == VMDBG_EV_STOPPED) {
		if (l->nstops < LINK_MAX_STOPS)
			l->stops[l->nstops++] = m->u.stopped;
		return true;
	}
	if (m->type == VMDBG_EV_OUTPUT) {
		l->outputs++;
		return true;
	}
	return false;
}

int link_call(struct link *l, uint32_t seq, struct vmdbg_msg *reply)
{
	struct vmdbg_msg local;
	struct vmdbg_msg *m = reply ? reply : &local;
	uint8_t type = l->out.len >= 8 ? l->out.data[6] : 0;
	if (!link_send_raw(l, l->out.data, l->out.len))
		return CALL_BROKEN;
	long long deadline = now_ms() + l->timeout_ms;
	for (;;) {
		long long left = deadline - now_ms();
		int derr = 0;
		int r = link_recv(l, left > 0 ? (int)left : 0, m, &derr);
		if (r == 0)
			snprintf(l->why, sizeof(l->why), "no reply to %s (seq %u) within %d ms",
				 vmdbg_type_name(type), seq, l->timeout_ms);
		if (r <= 0 || derr)
			return CALL_BROKEN;
		if (note_event(l, m))
			continue;
		if (m->type == VMDBG_ERROR && m->seq == seq) {
			/* only the spec's codes: 0 would read as OK, a huge one as broken */
			if (m->u.error.code >= VMDBG_E_PROTO && m->u.error.code <= VMDBG_E_HOST)
				return (int)m->u.error.code;
			snprintf(l->why, sizeof(l->why), "%s (seq %u) answered by ERROR code %u, "
				 "which the spec does not define", vmdbg_type_name(type), seq,
				 m->u.error.code);
			return CALL_BROKEN;
		}
		if (m->type == (type | VMDBG_REPLY) && m->seq == seq)
			return CALL_OK;
		snprintf(l->why, sizeof(l->why), "%s (seq %u) answered by %s%s seq %u",
			 vmdbg_type_name(type), seq, vmdbg_type_name(m->type),
			 m->type & VMDBG_REPLY ? " reply" : "", m->seq);
		return CALL_BROKEN;
	}
}

bool link_wait_stop(struct link *l, int vcpu, int timeout_ms, struct vmdbg_stopped *out)
{
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		for (unsigned i = 0; i < l->nstops; i++) {
			if (vcpu >= 0 && l->stops[i].vcpu != (uint32_t)vcpu)
				continue;
			*out = l->stops[i];
			memmove(&l->stops[i], &l->stops[i + 1], (l->nstops - i - 1) * sizeof(l->stops[0]));
			l->nstops--;
			return true;
		}
		long long left = deadline - now_ms();
		if (left <= 0)
			return false;
		struct vmdbg_msg m;
		int derr = 0;
		int r = link_recv(l, (int)left, &m, &derr);
		if (r <= 0 || derr)
			return false;
		if (!note_event(l, &m)) {
			snprintf(l->why, sizeof(l->why), "unexpected %s seq %u while waiting for a stop",
				 vmdbg_type_name(m.type), m.seq);
			return false;
		}
	}
}
