/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * packets.h - declarative RSP packet dispatch: a table of rows
 * { name, match, schema, handler }.  The dispatcher finds the first row
 * whose name matches and whose schema parses the rest of the packet, and
 * calls its handler with typed parameters; handlers never parse text.
 *
 * Schema characters:
 *   x  a hex number (1-16 digits)           -> param.u
 *   t  a thread id: hex, "-1", "0", "pP.T"  -> param.tid (-1 all, 0 any)
 *   s  text up to the next literal in the schema, or to the end -> param.s/len
 *   H  hex-encoded bytes to the end (even count, may be empty) -> param.s/len (decoded)
 *   b  raw bytes to the end                 -> param.s/len
 *   A  a vCont action list ";act[:tid]..."   -> param.actions
 *   any other character must appear literally.
 */
#ifndef PACKETS_H
#define PACKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#define PKT_MAX_PARAMS 6

struct vcont_action {
	char action;          /* 'c', 'C', 's', 'S', 't', 'r' */
	uint8_t signal;       /* for C and S */
	int64_t tid;          /* -1: applies to all threads not named before */
	uint64_t range_start, range_end; /* for r */
};

struct pkt_param {
	uint64_t u;
	int64_t tid;
	const char *s;        /* into the packet, or into decoded (H) */
	size_t len;
	GArray *actions;      /* struct vcont_action, for A */
};

enum pkt_match { PKT_EXACT, PKT_PREFIX };

typedef void (*pkt_handler)(void *ctx, const struct pkt_param *p);

/* Row flags, for the caller's admit callback (pkt_dispatch). */
#define PKT_F_NEEDS_TARGET (1u << 0)   /* needs the target (the VM) to be there */
#define PKT_F_ASYNC        (1u << 1)   /* the session is busy until the handler finishes */

struct pkt_row {
	const char *name;
	enum pkt_match match;
	const char *schema;   /* NULL for none */
	pkt_handler handler;
	unsigned flags;       /* PKT_F_* */
};

/* Called with a matched row's flags before its handler; false means the
 * packet was answered already (e.g. "no VM") and the handler is skipped. */
typedef bool (*pkt_admit)(void *ctx, unsigned flags);

enum pkt_result {
	PKT_HANDLED,          /* a handler was called */
	PKT_UNKNOWN,          /* no row's name matched: reply empty */
	PKT_BAD_PARAMS,       /* a name matched but no schema parsed */
};

/* Dispatch one packet (payload, NUL-terminated, may contain NULs for 'b').
 * admit (may be NULL) sees the flags of the row that parsed. */
enum pkt_result pkt_dispatch(const struct pkt_row *rows, size_t nrows, const char *packet,
			     size_t len, pkt_admit admit, void *ctx);

/* Parse `text` against a schema (exposed for tests).  Parameters that own
 * memory are released with pkt_params_clear(). */
bool pkt_parse(const char *schema, const char *text, size_t len, struct pkt_param *params,
	       GByteArray *scratch);
void pkt_params_clear(struct pkt_param *params);

#endif
