/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-conform-link.c - vmdbg-conform's client side (conform-link.c)
 * against a VMM that sends anything: the input is every byte the "VMM"
 * sends, then it hangs up.  The link must take frames out of the stream,
 * decode them, record events and match replies to requests without ever
 * reading outside a frame, and every wait must end.
 *
 * Invariants: a call answers CALL_OK only with the reply to its own type
 * and seq, an error code only from an ERROR for its seq, CALL_BROKEN
 * only with a reason; no more stops are kept than there is room for.
 */
#define FUZZ_NAME "fuzz-conform-link"
#include "fuzz.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conform.h"

static void one_call(struct link *l, uint8_t type)
{
	uint32_t seq = link_next(l);
	switch (type) {
	case VMDBG_HELLO:
		vmdbg_enc_hello_request(&l->out.out, seq, VMDBG_VERSION, 0);
		break;
	case VMDBG_READ_MEM:
		vmdbg_enc_read_mem(&l->out.out, seq, 0, 0x40081000, 64);
		break;
	case VMDBG_GET_REGS: {
		uint64_t id = VMDBG_ARM64_PC;
		vmdbg_enc_reg_ids(&l->out.out, VMDBG_GET_REGS, seq, 0, &id, 1);
		break;
	}
	default:
		vmdbg_enc_empty(&l->out.out, type, seq);
		break;
	}
	struct vmdbg_msg m;
	int r = link_call(l, seq, &m);
	if (r == CALL_OK)
		REQUIRE(m.type == (type | VMDBG_REPLY) && m.seq == seq);
	else if (r > 0)
		REQUIRE(m.type == VMDBG_ERROR && m.seq == seq && m.u.error.code == (uint32_t)r);
	else
		REQUIRE(r == CALL_BROKEN && l->why[0]);
	REQUIRE(l->nstops <= LINK_MAX_STOPS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	int big = 1 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	size_t off = 0;
	while (off < size) {
		ssize_t w = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(sv[1], SHUT_WR);  /* then the "VMM" is silent: every wait ends at EOF */

	struct link l;
	memset(&l, 0, sizeof(l));
	l.fd = sv[0];
	l.timeout_ms = 100;
	vmdbg_buf_init(&l.in);
	vmdbg_buf_init(&l.out);
	static const uint8_t calls[] = { VMDBG_HELLO, VMDBG_PAUSE, VMDBG_GET_REGS, VMDBG_READ_MEM,
					 VMDBG_DETACH };
	for (unsigned i = 0; i < sizeof(calls); i++)
		one_call(&l, calls[i]);
	struct vmdbg_stopped s;
	while (link_wait_stop(&l, -1, 10, &s))
		REQUIRE(s.reason >= VMDBG_STOP_DEBUG && s.reason <= VMDBG_STOP_REASON_MAX);
	link_close(&l);   /* closes sv[0] */
	close(sv[1]);
	return 0;
}
