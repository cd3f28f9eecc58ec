/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * conform-checks.c - what vmdbg-conform checks, in the order it checks
 * them; each is a row of the table.  The spec (proto/vmdbg.md) is quoted
 * where a check relies on a sentence of it.  Guest memory is written only
 * at --scratch; registers written are restored; every breakpoint and
 * guest-debug setting is removed again, and the last checks prove that a
 * disconnection removes them too.
 */
#include "conform.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_REGS_CHECKED 8192u   /* ids per vCPU we look at */
#define REG_CHUNK 256u           /* ids per GET_REGS: 256 × 264 bytes < 1 MiB */
#define MAX_VCPUS_CHECKED 8u

/* ---- handshake -------------------------------------------------------------------- */

static bool check_handshake(struct conform *c, struct link *l)
{
	const char *k = "handshake";
	/* "Must be the first request; every other request before it gets ERROR ESTATE" */
	int r = call_empty(l, VMDBG_PAUSE);
	if (!expect_err(c, l, k, "PAUSE before HELLO", r, VMDBG_E_STATE))
		return r >= 0;
	struct vmdbg_msg m;
	r = call_hello(l, 2, &m);
	if (!expect_err(c, l, k, "HELLO version 2", r, VMDBG_E_VERSION))
		return r >= 0;
	r = call_hello(l, VMDBG_VERSION, &m);
	if (!expect_ok(c, l, k, "HELLO version 1", r))
		return false;
	c->hello = m.u.hello;
	const struct vmdbg_hello *h = &c->hello;
	if (h->version != VMDBG_VERSION || (h->arch != VMDBG_ARCH_X86_64 && h->arch != VMDBG_ARCH_AARCH64) ||
	    h->nr_vcpus == 0 || h->nr_vcpus > VMDBG_MAX_VCPUS || h->max_frame < VMDBG_HDR_SIZE ||
	    h->max_frame > VMDBG_MAX_FRAME) {
		report(c, k, V_FAIL, "HELLO reply: version %u, arch %u, %u vCPUs, max_frame %u",
		       h->version, h->arch, h->nr_vcpus, h->max_frame);
		return false;
	}
	bool x86 = h->arch == VMDBG_ARCH_X86_64;
	c->pc_id = x86 ? VMDBG_X86_RIP : VMDBG_ARM64_PC;
	c->gpr_id = x86 ? VMDBG_X86_GPR(1) : VMDBG_ARM64_X(1);
	c->bp_kind = x86 ? 1 : 4;
	report(c, k, V_PASS, "version 1, %s, %u vCPU%s, %u/%u hw bp/wp slots, features 0x%x, max_frame %u",
	       x86 ? "x86-64" : "AArch64", h->nr_vcpus, h->nr_vcpus == 1 ? "" : "s", h->hw_bps,
	       h->hw_wps, h->features, h->max_frame);
	return true;
}

/* "A second simultaneous connection receives one ERROR frame (code EBUSY,
 * seq 0) and is closed; the first client is not disturbed." */
static void check_busy(struct conform *c, struct link *l)
{
	const char *k = "one client at a time";
	struct link l2;
	if (link_open(&l2, c->path, c->timeout_ms) < 0) {
		report(c, k, V_FAIL, "%s", l2.why);
		link_close(&l2);
		return;
	}
	struct vmdbg_msg m;
	int derr = 0;
	int r = link_recv(&l2, c->timeout_ms, &m, &derr);
	bool refused = r == 1 && !derr && m.type == VMDBG_ERROR && m.seq == 0 &&
		       m.u.error.code == VMDBG_E_BUSY;
	int after = refused ? link_recv(&l2, c->timeout_ms, &m, &derr) : 0;
	link_close(&l2);
	if (!refused) {
		report(c, k, V_FAIL, "a second connection was not refused with ERROR EBUSY seq 0%s%s",
		       r < 0 ? ": " : "", r < 0 ? l2.why : "");
		return;
	}
	if (after != -1) {
		report(c, k, V_FAIL, "the second connection was refused but not closed");
		return;
	}
	if (expect_ok(c, l, k, "PAUSE on the first connection afterwards", call_empty(l, VMDBG_PAUSE)))
		report(c, k, V_PASS, "second client refused with EBUSY and closed; the first still served");
}

/* ---- registers ---------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* REG_LIST of vcpu into ids (sorted copy checked for duplicates). */
static bool reg_list(struct conform *c, struct link *l, uint32_t vcpu, uint64_t *ids, uint32_t *n)
{
	const char *k = "register list";
	uint32_t seq = link_next(l);
	struct vmdbg_msg m;
	vmdbg_enc_reg_list_request(&l->out.out, seq, vcpu);
	if (!expect_ok(c, l, k, "REG_LIST", link_call(l, seq, &m)))
		return false;
	*n = m.u.reg_ids.count < MAX_REGS_CHECKED ? m.u.reg_ids.count : MAX_REGS_CHECKED;
	uint64_t want_arch = c->hello.arch == VMDBG_ARCH_X86_64 ? VMDBG_REG_ARCH_X86 : VMDBG_REG_ARCH_ARM64;
	bool pc = false;
	for (uint32_t i = 0; i < *n; i++) {
		ids[i] = vmdbg_reg_ids_get(&m.u.reg_ids, i);
		pc |= ids[i] == c->pc_id;
		if ((ids[i] & VMDBG_REG_ARCH_MASK) != want_arch) {
			report(c, k, V_FAIL, "vCPU %u lists 0x%016" PRIx64 ", not of the HELLO's arch", vcpu,
			       ids[i]);
			return false;
		}
	}
	if (m.u.reg_ids.vcpu != vcpu || *n == 0 || !pc) {
		report(c, k, V_FAIL, "vCPU %u: reply for vCPU %u, %u ids, %s", vcpu, m.u.reg_ids.vcpu, *n,
		       pc ? "pc listed" : "no pc");
		return false;
	}
	uint64_t *sorted = malloc(*n * sizeof(*sorted));
	if (!sorted)
		return false;
	memcpy(sorted, ids, *n * sizeof(*sorted));
	qsort(sorted, *n, sizeof(*sorted), cmp_u64);
	for (uint32_t i = 1; i < *n; i++) {
		if (sorted[i] == sorted[i - 1]) {
			report(c, k, V_FAIL, "vCPU %u lists 0x%016" PRIx64 " twice", vcpu, sorted[i]);
			free(sorted);
			return false;
		}
	}
	free(sorted);
	return true;
}

static void check_registers(struct conform *c, struct link *l)
{
	uint64_t *ids = malloc(MAX_REGS_CHECKED * sizeof(*ids));
	uint32_t n = 0, total = 0;
	if (!ids)
		return;
	uint32_t nv = c->hello.nr_vcpus < MAX_VCPUS_CHECKED ? c->hello.nr_vcpus : MAX_VCPUS_CHECKED;
	for (uint32_t v = nv; v-- > 0;) {   /* vCPU 0 last: its list stays in ids */
		if (!reg_list(c, l, v, ids, &n))
			goto out;
		total += n;
	}
	uint32_t seq = link_next(l);
	vmdbg_enc_reg_list_request(&l->out.out, seq, c->hello.nr_vcpus);
	if (!expect_err(c, l, "register list", "REG_LIST of vCPU nr_vcpus", link_call(l, seq, NULL),
			VMDBG_E_INVAL))
		goto out;
	report(c, "register list", V_PASS, "%u vCPU%s, %u ids, all of the HELLO's arch, no duplicates, pc listed",
	       nv, nv == 1 ? "" : "s", total);

	/* every id of vCPU 0, values exactly size(id) bytes, in the order asked */
	const char *k = "register values";
	uint32_t bytes = 0;
	for (uint32_t at = 0; at < n; at += REG_CHUNK) {
		uint32_t cnt = n - at < REG_CHUNK ? n - at : REG_CHUNK;
		struct vmdbg_msg m;
		seq = link_next(l);
		vmdbg_enc_reg_ids(&l->out.out, VMDBG_GET_REGS, seq, 0, ids + at, cnt);
		if (!expect_ok(c, l, k, "GET_REGS of listed ids", link_call(l, seq, &m)))
			goto out;
		size_t off = 0;
		uint64_t id;
		const uint8_t *val;
		uint32_t size, i = 0;
		while (vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size)) {
			if (i >= cnt || id != ids[at + i]) {
				report(c, k, V_FAIL, "GET_REGS reply does not follow the ids asked (at %u)", at + i);
				goto out;
			}
			bytes += size;
			i++;
		}
		if (i != cnt || m.u.reg_vals.count != cnt) {
			report(c, k, V_FAIL, "GET_REGS of %u ids answered with %u values", cnt, i);
			goto out;
		}
	}
	uint64_t bogus = (ids[0] & VMDBG_REG_ARCH_MASK) | VMDBG_REG_U64 | 0x000fffffffffffffull;
	seq = link_next(l);
	vmdbg_enc_reg_ids(&l->out.out, VMDBG_GET_REGS, seq, 0, &bogus, 1);
	if (!expect_err(c, l, k, "GET_REGS of an id not listed", link_call(l, seq, NULL), VMDBG_E_INVAL))
		goto out;
	report(c, k, V_PASS, "vCPU 0: %u values, %u bytes, sizes as their ids say; unlisted id EINVAL",
	       n, bytes);

	/* a general register written, read back, restored */
	k = "register write";
	uint64_t orig, back, pattern = 0x5a5a5a5a00c0ffeeull;
	if (!expect_ok(c, l, k, "GET_REGS", get_reg(l, 0, c->gpr_id, &orig)) ||
	    !expect_ok(c, l, k, "SET_REGS", set_reg(l, 0, c->gpr_id, pattern)) ||
	    !expect_ok(c, l, k, "GET_REGS after SET_REGS", get_reg(l, 0, c->gpr_id, &back)))
		goto out;
	bool same = back == pattern;
	if (!expect_ok(c, l, k, "SET_REGS restoring it", set_reg(l, 0, c->gpr_id, orig)) ||
	    !expect_ok(c, l, k, "GET_REGS after restoring", get_reg(l, 0, c->gpr_id, &back)))
		goto out;
	if (!same || back != orig)
		report(c, k, V_FAIL, "0x%016" PRIx64 " written, %s read back", pattern,
		       same ? "the original not" : "another value");
	else
		report(c, k, V_PASS, "0x%016" PRIx64 ": written, read back, restored", c->gpr_id);
out:
	free(ids);
}

/* ---- memory ---------------------------------------------------------------------------------- */

static void check_scratch(struct conform *c, struct link *l);
static void check_sw_bps(struct conform *c, struct link *l);

static void check_memory(struct conform *c, struct link *l)
{
	check_scratch(c, l);
	if (c->scratch_ok)
		check_sw_bps(c, l);
	else if (c->have_scratch)
		report(c, "software breakpoints", V_SKIP, "the memory at --scratch failed its check");
}

static void check_scratch(struct conform *c, struct link *l)
{
	const char *k = "memory read/write";
	if (!c->have_scratch) {
		report(c, k, V_SKIP, "no --scratch ADDR given");
		report(c, "software breakpoints", V_SKIP, "no --scratch ADDR given");
		return;
	}
	uint32_t len = c->scratch_len, got = 0;
	uint8_t orig[256], pat[256], back[256];
	for (uint32_t i = 0; i < len; i++)
		pat[i] = (uint8_t)(0xa5 ^ i * 7);
	if (!expect_ok(c, l, k, "READ_MEM", read_mem(l, 0, c->scratch, len, orig, &got)))
		return;
	if (got != len) {
		report(c, k, V_FAIL, "READ_MEM of %u bytes of scratch gave %u", len, got);
		return;
	}
	if (!expect_ok(c, l, k, "WRITE_MEM", write_mem(l, c->scratch, pat, len)) ||
	    !expect_ok(c, l, k, "READ_MEM after WRITE_MEM", read_mem(l, 0, c->scratch, len, back, &got)))
		return;
	bool same = got == len && memcmp(back, pat, len) == 0;
	if (!expect_ok(c, l, k, "WRITE_MEM restoring", write_mem(l, c->scratch, orig, len)) ||
	    !expect_ok(c, l, k, "READ_MEM after restoring", read_mem(l, 0, c->scratch, len, back, &got)))
		return;
	if (!same || got != len || memcmp(back, orig, len) != 0) {
		report(c, k, V_FAIL, "%s did not read back", same ? "the restored bytes" : "the pattern");
		return;
	}
	/* a length of 0 is a value outside its domain, one above the limit a structural error */
	uint32_t seq = link_next(l);
	vmdbg_enc_read_mem(&l->out.out, seq, 0, c->scratch, 0);
	if (!expect_err(c, l, k, "READ_MEM of 0 bytes", link_call(l, seq, NULL), VMDBG_E_INVAL))
		return;
	seq = link_next(l);
	vmdbg_enc_read_mem(&l->out.out, seq, 0, c->scratch, VMDBG_MAX_MEM_XFER + 1);
	if (!expect_err(c, l, k, "READ_MEM of 65537 bytes", link_call(l, seq, NULL), VMDBG_E_PROTO))
		return;
	seq = link_next(l);
	vmdbg_enc_read_mem(&l->out.out, seq, c->hello.nr_vcpus, c->scratch, len);
	if (!expect_err(c, l, k, "READ_MEM through vCPU nr_vcpus", link_call(l, seq, NULL), VMDBG_E_INVAL))
		return;
	report(c, k, V_PASS, "%u bytes at 0x%" PRIx64 " written, read back, restored; bad lengths and vCPU refused",
	       len, c->scratch);
	c->scratch_ok = true;
}

static void check_sw_bps(struct conform *c, struct link *l)
{
	const char *k = "software breakpoints";
	if (!has(c, VMDBG_FEAT_SW_BP)) {
		report(c, k, V_SKIP, "HELLO lacks SW_BP");
		return;
	}
	uint32_t len = c->scratch_len, got = 0;
	uint8_t orig[256], pat[4] = { 0x11, 0x22, 0x33, 0x44 }, back[256], under[4];
	if (!expect_ok(c, l, k, "READ_MEM", read_mem(l, 0, c->scratch, len, orig, &got)))
		return;
	if (!expect_ok(c, l, k, "SW_BP_INSERT", sw_bp(l, VMDBG_SW_BP_INSERT, c->scratch, c->bp_kind)) ||
	    !expect_ok(c, l, k, "READ_MEM over it", read_mem(l, 0, c->scratch, 4, under, &got)))
		return;
	if (got != 4 || memcmp(under, orig, 4) != 0) {
		report(c, k, V_FAIL, "READ_MEM shows the breakpoint instruction, not the guest's bytes");
		sw_bp(l, VMDBG_SW_BP_REMOVE, c->scratch, c->bp_kind);
		return;
	}
	if (!expect_err(c, l, k, "the same SW_BP_INSERT again",
			sw_bp(l, VMDBG_SW_BP_INSERT, c->scratch, c->bp_kind), VMDBG_E_EXIST) ||
	    !expect_ok(c, l, k, "WRITE_MEM over it", write_mem(l, c->scratch, pat, 4)) ||
	    !expect_ok(c, l, k, "READ_MEM after it", read_mem(l, 0, c->scratch, 4, under, &got)))
		return;
	bool same = got == 4 && memcmp(under, pat, 4) == 0;
	if (!expect_ok(c, l, k, "WRITE_MEM restoring", write_mem(l, c->scratch, orig, 4)) ||
	    !expect_ok(c, l, k, "SW_BP_REMOVE", sw_bp(l, VMDBG_SW_BP_REMOVE, c->scratch, c->bp_kind)) ||
	    !expect_err(c, l, k, "SW_BP_REMOVE again", sw_bp(l, VMDBG_SW_BP_REMOVE, c->scratch, c->bp_kind),
			VMDBG_E_NOENT) ||
	    !expect_ok(c, l, k, "READ_MEM after removal", read_mem(l, 0, c->scratch, len, back, &got)))
		return;
	if (!same || got != len || memcmp(back, orig, len) != 0) {
		report(c, k, V_FAIL, same ? "the scratch bytes differ after removal"
					  : "WRITE_MEM over a breakpoint did not read back");
		return;
	}
	report(c, k, V_PASS, "hidden from READ_MEM, WRITE_MEM under it kept, EEXIST, ENOENT, bytes restored");
}

/* ---- run control ------------------------------------------------------------------------------ */

static void check_guest_debug(struct conform *c, struct link *l)
{
	const char *k = "guest debug";
	uint32_t other = c->hello.arch == VMDBG_ARCH_X86_64 ? VMDBG_ARCH_AARCH64 : VMDBG_ARCH_X86_64;
	if (!expect_ok(c, l, k, "SET_GUEST_DEBUG ENABLE|USE_HW, no slot used",
		       guest_debug(c, l, VMDBG_GDBG_VALID, c->hello.arch, false, 0)) ||
	    !expect_err(c, l, k, "SET_GUEST_DEBUG with control bit 2",
			guest_debug(c, l, 1u << 2, c->hello.arch, false, 0), VMDBG_E_INVAL) ||
	    !expect_err(c, l, k, "SET_GUEST_DEBUG of the other arch",
			guest_debug(c, l, VMDBG_GDBG_VALID, other, false, 0), VMDBG_E_INVAL) ||
	    !expect_ok(c, l, k, "SET_GUEST_DEBUG off", guest_debug(c, l, 0, c->hello.arch, false, 0)))
		return;
	report(c, k, V_PASS, "set and cleared; unknown control bits and the other arch EINVAL");
}

static void check_step(struct conform *c, struct link *l)
{
	const char *k = "single step";
	if (!has(c, VMDBG_FEAT_SINGLESTEP)) {
		report(c, k, V_SKIP, "HELLO lacks SINGLESTEP");
		return;
	}
	l->nstops = 0;
	struct vmdbg_resume_entry e = { 0, VMDBG_ACT_STEP, 0, 0 };
	if (!expect_ok(c, l, k, "RESUME vCPU 0 STEP, others STAY", resume(l, VMDBG_ACT_STAY, &e, 1)))
		return;
	struct vmdbg_stopped s;
	if (!link_wait_stop(l, 0, c->timeout_ms, &s)) {
		report(c, k, V_FAIL, "no STOPPED event for vCPU 0 within %d ms", c->timeout_ms);
		return;
	}
	uint64_t pc;
	if (s.reason != VMDBG_STOP_DEBUG) {
		report(c, k, V_FAIL, "STOPPED reason %u, the spec says DEBUG (1)", s.reason);
		return;
	}
	if (!expect_ok(c, l, k, "GET_REGS pc after the step", get_reg(l, 0, c->pc_id, &pc)))
		return;
	if (pc != s.pc) {
		report(c, k, V_FAIL, "STOPPED pc 0x%" PRIx64 " but the pc register reads 0x%" PRIx64, s.pc, pc);
		return;
	}
	report(c, k, V_PASS, "STOPPED DEBUG at 0x%" PRIx64 ", the pc register agrees", s.pc);
}

static void check_run_pause(struct conform *c, struct link *l)
{
	const char *k = "resume/pause";
	l->nstops = 0;
	if (!expect_ok(c, l, k, "RESUME all CONTINUE", resume(l, VMDBG_ACT_CONTINUE, NULL, 0)))
		return;
	uint64_t pc;
	int r = get_reg(l, 0, c->pc_id, &pc);
	struct vmdbg_stopped s;
	bool stopped_itself = link_wait_stop(l, 0, 0, &s);
	/* "the vCPU must be stopped (else ESTATE)" — unless it stopped on its own meanwhile */
	if (r != VMDBG_E_STATE && !(r == CALL_OK && stopped_itself)) {
		report(c, k, V_FAIL, "GET_REGS of a running vCPU: got %s, the spec says ESTATE", code_name(r));
		return;
	}
	usleep(50 * 1000);
	if (!expect_ok(c, l, k, "PAUSE", call_empty(l, VMDBG_PAUSE)) ||
	    !expect_ok(c, l, k, "GET_REGS after PAUSE", get_reg(l, 0, c->pc_id, &pc)))
		return;
	report(c, k, V_PASS, "running vCPU's registers ESTATE; PAUSE stops all; pc 0x%" PRIx64, pc);
}

/* A breakpoint at --code hit: software (SW_BP) and hardware (slot 0). */
static void check_hits(struct conform *c, struct link *l)
{
	const char *k = "breakpoint hit";
	if (!c->have_code) {
		report(c, k, V_SKIP, "no --code ADDR given");
		report(c, "hardware breakpoint hit", V_SKIP, "no --code ADDR given");
		return;
	}
	struct vmdbg_stopped s;
	if (!has(c, VMDBG_FEAT_SW_BP)) {
		report(c, k, V_SKIP, "HELLO lacks SW_BP");
	} else {
		l->nstops = 0;
		if (!expect_ok(c, l, k, "SW_BP_INSERT", sw_bp(l, VMDBG_SW_BP_INSERT, c->code, c->bp_kind)) ||
		    !expect_ok(c, l, k, "RESUME", resume(l, VMDBG_ACT_CONTINUE, NULL, 0)))
			return;
		bool hit = link_wait_stop(l, -1, c->timeout_ms, &s);
		if (!expect_ok(c, l, k, "PAUSE", call_empty(l, VMDBG_PAUSE)) ||
		    !expect_ok(c, l, k, "SW_BP_REMOVE", sw_bp(l, VMDBG_SW_BP_REMOVE, c->code, c->bp_kind)))
			return;
		if (!hit)
			report(c, k, V_FAIL, "no STOPPED within %d ms of a breakpoint at 0x%" PRIx64,
			       c->timeout_ms, c->code);
		else if (s.reason != VMDBG_STOP_SW_BP || s.pc != c->code || s.info[0] != c->code)
			report(c, k, V_FAIL, "STOPPED reason %u pc 0x%" PRIx64 " info0 0x%" PRIx64
			       ", the spec says SW_BP (2), 0x%" PRIx64 " twice", s.reason, s.pc, s.info[0], c->code);
		else
			report(c, k, V_PASS, "vCPU %u STOPPED SW_BP at 0x%" PRIx64, s.vcpu, s.pc);
	}
	k = "hardware breakpoint hit";
	if (c->hello.hw_bps == 0) {
		report(c, k, V_SKIP, "HELLO has no hardware breakpoint slot");
		return;
	}
	if (has(c, VMDBG_FEAT_HW_BP_DEAD)) {
		report(c, k, V_SKIP, "HELLO has HW_BP_DEAD (they never fire on this host)");
		return;
	}
	l->nstops = 0;
	if (!expect_ok(c, l, k, "SET_GUEST_DEBUG slot 0",
		       guest_debug(c, l, VMDBG_GDBG_VALID, c->hello.arch, true, c->code)) ||
	    !expect_ok(c, l, k, "RESUME", resume(l, VMDBG_ACT_CONTINUE, NULL, 0)))
		return;
	bool hit = link_wait_stop(l, -1, c->timeout_ms, &s);
	if (!expect_ok(c, l, k, "PAUSE", call_empty(l, VMDBG_PAUSE)) ||
	    !expect_ok(c, l, k, "SET_GUEST_DEBUG off", guest_debug(c, l, 0, c->hello.arch, false, 0)))
		return;
	if (!hit)
		report(c, k, V_FAIL, "no STOPPED within %d ms of slot 0 at 0x%" PRIx64, c->timeout_ms, c->code);
	else if (s.reason != VMDBG_STOP_DEBUG || s.pc != c->code)
		report(c, k, V_FAIL, "STOPPED reason %u pc 0x%" PRIx64 ", the spec says DEBUG (1) at 0x%" PRIx64,
		       s.reason, s.pc, c->code);
	else
		report(c, k, V_PASS, "vCPU %u STOPPED DEBUG at 0x%" PRIx64 ", info0 0x%" PRIx64, s.vcpu, s.pc,
		       s.info[0]);
}

/* ---- malformed frames ---------------------------------------------------------------------------- */

struct bad_frame {
	const char *what;
	uint16_t version, type;
	uint32_t reserved;
	uint8_t payload[16];
	uint32_t plen;
	uint32_t want;
};

static const struct bad_frame bad_frames[] = {
	{ "header version 2", 2, VMDBG_PAUSE, 0, { 0 }, 0, VMDBG_E_VERSION },
	{ "unknown type 0x33", 1, 0x33, 0, { 0 }, 0, VMDBG_E_UNKNOWN },
	{ "reserved header field 1", 1, VMDBG_PAUSE, 1, { 0 }, 0, VMDBG_E_PROTO },
	{ "READ_MEM payload of 8 bytes", 1, VMDBG_READ_MEM, 0, { 0, 0, 0, 0, 8 }, 8, VMDBG_E_PROTO },
	{ "PAUSE with 4 trailing bytes", 1, VMDBG_PAUSE, 0, { 0 }, 4, VMDBG_E_PROTO },
	{ "GET_REGS of 5000 ids", 1, VMDBG_GET_REGS, 0, { 0, 0, 0, 0, 0x88, 0x13 }, 8, VMDBG_E_PROTO },
	{ "register id of arch 0x11", 1, VMDBG_GET_REGS, 0,
	  { 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x11 }, 16, VMDBG_E_INVAL },
	{ "RESUME action 9", 1, VMDBG_RESUME, 0, { 9 }, 8, VMDBG_E_INVAL },
};

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void check_malformed(struct conform *c, struct link *l)
{
	const char *k = "malformed frames";
	unsigned n = sizeof(bad_frames) / sizeof(bad_frames[0]);
	for (unsigned i = 0; i < n; i++) {
		const struct bad_frame *b = &bad_frames[i];
		uint8_t f[VMDBG_HDR_SIZE + 16];
		uint32_t seq = link_next(l), len = VMDBG_HDR_SIZE + b->plen;
		put32(f, len);
		f[4] = (uint8_t)b->version, f[5] = (uint8_t)(b->version >> 8);
		f[6] = (uint8_t)b->type, f[7] = (uint8_t)(b->type >> 8);
		put32(f + 8, seq);
		put32(f + 12, b->reserved);
		memcpy(f + VMDBG_HDR_SIZE, b->payload, b->plen);
		/* link_call sends l->out: put the frame there */
		uint8_t *p = l->out.out.reserve(&l->out.out, len);
		if (!p)
			return;
		memcpy(p, f, len);
		if (!expect_err(c, l, k, b->what, link_call(l, seq, NULL), b->want))
			return;
	}
	if (expect_ok(c, l, k, "PAUSE after them", call_empty(l, VMDBG_PAUSE)))
		report(c, k, V_PASS, "%u kinds answered with the spec's ERROR for their seq; still serving", n);
}

/* "A frame whose len is below 16 ... the receiver sends ERROR EPROTO (seq
 * 0) and closes the connection." */
static void check_unframeable(struct conform *c)
{
	const char *k = "unframeable length";
	struct link l;
	struct vmdbg_msg m;
	int derr = 0, r = reconnect(c, &l);
	if (!expect_ok(c, &l, k, "HELLO", r)) {
		link_close(&l);
		return;
	}
	uint8_t f[8] = { 8, 0, 0, 0, 1, 0, VMDBG_PAUSE, 0 };
	bool ok = link_send_raw(&l, f, sizeof(f));
	r = ok ? link_recv(&l, c->timeout_ms, &m, &derr) : -1;
	bool eproto = r == 1 && !derr && m.type == VMDBG_ERROR && m.seq == 0 && m.u.error.code == VMDBG_E_PROTO;
	int after = eproto ? link_recv(&l, c->timeout_ms, &m, &derr) : 0;
	link_close(&l);
	if (!eproto)
		report(c, k, V_FAIL, "a frame of length 8 was not answered with ERROR EPROTO seq 0");
	else if (after != -1)
		report(c, k, V_FAIL, "answered with EPROTO, but the connection stayed open");
	else
		report(c, k, V_PASS, "length 8: ERROR EPROTO seq 0, connection closed");
}

/* ---- disconnection ------------------------------------------------------------------------------------ */

/* Leave a breakpoint (scratch), guest debugging (slot 0 at --code) and
 * the vCPUs paused, hang up; a new client must find none of it. */
static void check_disconnect(struct conform *c, struct link *l)
{
	const char *k = "disconnect restores";
	bool bp = c->scratch_ok && has(c, VMDBG_FEAT_SW_BP);
	bool hw = c->have_code && c->hello.hw_bps > 0;
	bool set = (!bp || expect_ok(c, l, k, "SW_BP_INSERT",
				     sw_bp(l, VMDBG_SW_BP_INSERT, c->scratch, c->bp_kind))) &&
		   expect_ok(c, l, k, "SET_GUEST_DEBUG",
			     guest_debug(c, l, VMDBG_GDBG_VALID, c->hello.arch, hw, c->code)) &&
		   expect_ok(c, l, k, "PAUSE", call_empty(l, VMDBG_PAUSE));
	link_close(l);
	if (!set)
		return;

	struct link l2;
	int r = reconnect(c, &l2);
	if (!expect_ok(c, &l2, k, "HELLO after reconnecting", r)) {
		link_close(&l2);
		return;
	}
	struct vmdbg_stopped s;
	/* a slot left armed would stop a vCPU at --code within this wait */
	bool stopped = hw && link_wait_stop(&l2, -1, 500, &s);
	uint64_t pc;
	int running = get_reg(&l2, 0, c->pc_id, &pc);
	int paused = call_empty(&l2, VMDBG_PAUSE);   /* breakpoints are translated through a stopped vCPU */
	int gone = bp ? sw_bp(&l2, VMDBG_SW_BP_REMOVE, c->scratch, c->bp_kind) : VMDBG_E_NOENT;
	link_close(&l2);
	if (stopped)
		report(c, k, V_FAIL, "vCPU %u stopped (reason %u at 0x%" PRIx64 ") after the client left",
		       s.vcpu, s.reason, s.pc);
	else if (running != VMDBG_E_STATE)
		report(c, k, V_FAIL, "vCPU 0 not running after the client left (GET_REGS: %s)",
		       code_name(running));
	else if (paused != CALL_OK)
		report(c, k, V_FAIL, "PAUSE on the new connection: %s", code_name(paused));
	else if (gone != VMDBG_E_NOENT)
		report(c, k, V_FAIL, "the breakpoint survived the client (SW_BP_REMOVE: %s)", code_name(gone));
	else
		report(c, k, V_PASS, "vCPUs running again%s%s", bp ? ", breakpoint gone" : "",
		       hw ? ", no slot left armed" : "");
}

void conform_run(struct conform *c)
{
	struct link l;
	if (link_open(&l, c->path, c->timeout_ms) < 0) {
		report(c, "connect", V_FAIL, "%s", l.why);
		link_close(&l);
		return;
	}
	if (!check_handshake(c, &l)) {
		link_close(&l);
		return;
	}
	check_busy(c, &l);
	if (!expect_ok(c, &l, "pause", "PAUSE", call_empty(&l, VMDBG_PAUSE))) {
		link_close(&l);
		return;
	}
	check_registers(c, &l);
	check_memory(c, &l);
	check_guest_debug(c, &l);
	check_step(c, &l);
	check_run_pause(c, &l);
	check_hits(c, &l);
	check_malformed(c, &l);
	check_disconnect(c, &l);   /* closes l */
	check_unframeable(c);
}
