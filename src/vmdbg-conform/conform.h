/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * conform.h - vmdbg-conform: a VMM's vmdbg socket checked against
 * proto/vmdbg.md.  Built on libvmdbg alone (plus libc), as a VMM author's
 * own client would be: no GLib, nothing of dbgproxyd.
 */
#ifndef CONFORM_H
#define CONFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmdbg-codec.h"

/* ---- the connection (conform-link.c) --------------------------------------- */

#define LINK_MAX_STOPS 64

struct link {
	int fd;
	uint32_t seq;              /* the last sequence number used */
	struct vmdbg_buf in;       /* bytes received, not yet a whole frame */
	uint8_t *frame;            /* the last frame received (msgs point into it) */
	struct vmdbg_buf out;      /* the request being built */
	int timeout_ms;
	/* STOPPED events that arrived while waiting for replies */
	struct vmdbg_stopped stops[LINK_MAX_STOPS];
	unsigned nstops;
	unsigned outputs;          /* OUTPUT events seen */
	char why[VMDBG_DIAG_TEXT + 64]; /* what went wrong, for the table */
};

/* What link_call() got back. */
enum {
	CALL_OK = 0,               /* the reply; > 0: an ERROR with that code */
	CALL_BROKEN = -1,          /* closed, timed out, or not the reply asked for: l->why */
};

int link_open(struct link *l, const char *path, int timeout_ms);
void link_close(struct link *l);
/* The next sequence number, and the output buffer emptied for its frame. */
uint32_t link_next(struct link *l);
/* Send l->out (the request of seq) and wait for its reply or ERROR;
 * events in between are recorded.  *reply (if not NULL) stays valid until
 * the next receive. */
int link_call(struct link *l, uint32_t seq, struct vmdbg_msg *reply);
/* Send bytes as they are (malformed frames). */
bool link_send_raw(struct link *l, const void *bytes, size_t n);
/* Wait up to timeout_ms for one frame: 1 (decoded into *m, or its decode
 * error code in *derr), 0 (none came), -1 (closed or error). */
int link_recv(struct link *l, int timeout_ms, struct vmdbg_msg *m, int *derr);
/* Wait up to timeout_ms for a STOPPED event of vcpu (any vcpu: -1),
 * recorded or new; removes it from the record. */
bool link_wait_stop(struct link *l, int vcpu, int timeout_ms, struct vmdbg_stopped *out);

/* ---- the checks (conform-checks.c) ----------------------------------------- */

enum verdict { V_PASS, V_FAIL, V_SKIP };

struct conform {
	const char *path;
	int timeout_ms;
	bool have_scratch, have_code;
	bool scratch_ok;           /* the memory check passed: scratch is usable */
	uint64_t scratch;          /* --scratch: the only guest memory written */
	uint32_t scratch_len;
	uint64_t code;             /* --code: an address the guest executes */
	bool verbose;

	struct vmdbg_hello hello;  /* the VM's HELLO reply */
	uint64_t pc_id, gpr_id;    /* this arch's pc and a general register */
	uint32_t bp_kind;          /* gdb's software breakpoint kind */

	unsigned passed, failed, skipped;
};

void report(struct conform *c, const char *check, enum verdict v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- requests and verdicts (conform-calls.c) --------------------------------- */

/* An answer's name: "OK", an error's, or "no answer". */
const char *code_name(int r);
/* Is answer r what the spec says (OK, or error want)?  Else a FAIL row. */
bool expect_err(struct conform *c, struct link *l, const char *check, const char *what, int r,
		uint32_t want);
bool expect_ok(struct conform *c, struct link *l, const char *check, const char *what, int r);

/* One request each: CALL_OK, the ERROR's code, or CALL_BROKEN (l->why). */
int call_hello(struct link *l, uint32_t version, struct vmdbg_msg *m);
int call_empty(struct link *l, uint8_t type);
int read_mem(struct link *l, uint32_t vcpu, uint64_t addr, uint32_t len, uint8_t *out,
	     uint32_t *got);
int write_mem(struct link *l, uint64_t addr, const uint8_t *data, uint32_t len);
int sw_bp(struct link *l, uint8_t type, uint64_t addr, uint32_t kind);
int get_reg(struct link *l, uint32_t vcpu, uint64_t id, uint64_t *value);
int set_reg(struct link *l, uint32_t vcpu, uint64_t id, uint64_t value);
int resume(struct link *l, uint32_t dflt, const struct vmdbg_resume_entry *e, uint32_t n);
/* SET_GUEST_DEBUG; with bp, slot 0 is an execution breakpoint at addr. */
int guest_debug(struct conform *c, struct link *l, uint32_t control, uint32_t arch, bool bp,
		uint64_t addr);
bool has(const struct conform *c, uint32_t feat);
/* A new connection and its HELLO, retried while the VM still serves the
 * last client: the HELLO's answer. */
int reconnect(struct conform *c, struct link *l);

/* Run every check in order; the table goes to stdout as it grows. */
void conform_run(struct conform *c);

#endif
