/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * conform-calls.c - vmdbg-conform's requests: one function per request
 * it makes (encode, call, unpack), and how an answer is judged against
 * what the spec says it must be.
 */
#include "conform.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *code_name(int r)
{
	return r == CALL_OK ? "OK" : r < 0 ? "no answer" : vmdbg_err_name((uint32_t)r);
}

/* The answer r was expected to be the error want: true, or report a fail. */
bool expect_err(struct conform *c, struct link *l, const char *check, const char *what,
		       int r, uint32_t want)
{
	if (r == (int)want)
		return true;
	report(c, check, V_FAIL, "%s: got %s, the spec says %s%s%s", what, code_name(r),
	       vmdbg_err_name(want), r < 0 ? ": " : "", r < 0 ? l->why : "");
	return false;
}

bool expect_ok(struct conform *c, struct link *l, const char *check, const char *what,
		      int r)
{
	if (r == CALL_OK)
		return true;
	report(c, check, V_FAIL, "%s: got %s%s%s", what, code_name(r), r < 0 ? ": " : "",
	       r < 0 ? l->why : "");
	return false;
}

int call_hello(struct link *l, uint32_t version, struct vmdbg_msg *m)
{
	uint32_t seq = link_next(l);
	vmdbg_enc_hello_request(&l->out.out, seq, version, 0);
	return link_call(l, seq, m);
}

int call_empty(struct link *l, uint8_t type)
{
	uint32_t seq = link_next(l);
	vmdbg_enc_empty(&l->out.out, type, seq);
	return link_call(l, seq, NULL);
}

int read_mem(struct link *l, uint32_t vcpu, uint64_t addr, uint32_t len, uint8_t *out,
		    uint32_t *got)
{
	uint32_t seq = link_next(l);
	struct vmdbg_msg m;
	vmdbg_enc_read_mem(&l->out.out, seq, vcpu, addr, len);
	int r = link_call(l, seq, &m);
	if (r == CALL_OK) {
		if (m.u.mem.addr != addr || m.u.mem.len == 0 || m.u.mem.len > len) {
			snprintf(l->why, sizeof(l->why), "READ_MEM reply of %u bytes at 0x%" PRIx64
				 " for %u at 0x%" PRIx64, m.u.mem.len, m.u.mem.addr, len, addr);
			return CALL_BROKEN;
		}
		memcpy(out, m.u.mem.data, m.u.mem.len);
		*got = m.u.mem.len;
	}
	return r;
}

int write_mem(struct link *l, uint64_t addr, const uint8_t *data, uint32_t len)
{
	uint32_t seq = link_next(l);
	vmdbg_enc_write_mem(&l->out.out, seq, 0, addr, data, len);
	return link_call(l, seq, NULL);
}

int sw_bp(struct link *l, uint8_t type, uint64_t addr, uint32_t kind)
{
	uint32_t seq = link_next(l);
	struct vmdbg_sw_bp bp = { 0, kind, addr };
	vmdbg_enc_sw_bp(&l->out.out, type, seq, &bp);
	return link_call(l, seq, NULL);
}

/* Register id's value on vcpu (up to 8 bytes, little-endian). */
int get_reg(struct link *l, uint32_t vcpu, uint64_t id, uint64_t *value)
{
	uint32_t seq = link_next(l);
	struct vmdbg_msg m;
	vmdbg_enc_reg_ids(&l->out.out, VMDBG_GET_REGS, seq, vcpu, &id, 1);
	int r = link_call(l, seq, &m);
	if (r != CALL_OK)
		return r;
	size_t off = 0;
	uint64_t got;
	const uint8_t *val;
	uint32_t size;
	if (m.u.reg_vals.count != 1 || !vmdbg_regvals_next(&m.u.reg_vals, &off, &got, &val, &size) ||
	    got != id) {
		snprintf(l->why, sizeof(l->why), "GET_REGS of 0x%016" PRIx64 " answered with other ids", id);
		return CALL_BROKEN;
	}
	*value = 0;
	for (uint32_t i = 0; i < size && i < 8; i++)
		*value |= (uint64_t)val[i] << (8 * i);
	return r;
}

int set_reg(struct link *l, uint32_t vcpu, uint64_t id, uint64_t value)
{
	uint8_t bytes[256] = { 0 };
	for (unsigned i = 0; i < 8 && i < vmdbg_reg_bytes(id); i++)
		bytes[i] = (uint8_t)(value >> (8 * i));
	uint32_t seq = link_next(l);
	vmdbg_enc_reg_vals(&l->out.out, VMDBG_SET_REGS, seq, vcpu, &id, 1, bytes);
	return link_call(l, seq, NULL);
}

int resume(struct link *l, uint32_t dflt, const struct vmdbg_resume_entry *e, uint32_t n)
{
	uint32_t seq = link_next(l);
	vmdbg_enc_resume(&l->out.out, seq, dflt, e, n);
	return link_call(l, seq, NULL);
}

/* Guest debugging with (optionally) one execution breakpoint at addr. */
int guest_debug(struct conform *c, struct link *l, uint32_t control, uint32_t arch,
		       bool bp, uint64_t addr)
{
	struct vmdbg_guest_debug g;
	memset(&g, 0, sizeof(g));
	g.control = control;
	g.arch = arch;
	if (bp && arch == VMDBG_ARCH_AARCH64) {
		g.regs.arm64.dbg_bvr[0] = addr;
		g.regs.arm64.dbg_bcr[0] = 1 | 3u << 1 | 0xfu << 5; /* E, PMC EL1+EL0, BAS 0b1111 */
	} else if (bp) {
		g.regs.x86.debugreg[0] = addr;
		g.regs.x86.debugreg[7] = 1;                          /* L0, execute, length 1 */
	}
	uint32_t seq = link_next(l);
	vmdbg_enc_set_guest_debug(&l->out.out, seq, &g);
	return link_call(l, seq, NULL);
}

bool has(const struct conform *c, uint32_t feat)
{
	return c->hello.features & feat;
}

/* Connect and say HELLO, again and again for a while: the VM may not
 * have seen the previous client leave yet (then it refuses with EBUSY,
 * or hangs up before our HELLO is read).  The HELLO's answer. */
int reconnect(struct conform *c, struct link *l)
{
	struct vmdbg_msg m;
	int r = CALL_BROKEN;
	for (int tries = 0; tries < 50; tries++) {
		if (tries)
			usleep(100 * 1000);
		if (link_open(l, c->path, c->timeout_ms) < 0)
			return CALL_BROKEN;
		r = call_hello(l, VMDBG_VERSION, &m);
		if (r != VMDBG_E_BUSY && r != CALL_BROKEN)
			return r;
		link_close(l);
	}
	link_open(l, c->path, c->timeout_ms);  /* a link to close, with the reason kept */
	snprintf(l->why, sizeof(l->why), "still refused (or hung up on) after 50 tries");
	return r;
}

