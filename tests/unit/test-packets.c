/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-packets.c - unit tests of the schema-driven RSP packet dispatcher
 * (src/dbgproxyd/core/packets.h).
 *
 * An independent check of src/dbgproxyd/core/packets.c: every expectation below comes from
 * the contract in src/dbgproxyd/core/packets.h and from the gdb manual, appendix "Remote
 * Protocol" ("Packets", "vCont", "thread-id syntax"), never from the code:
 *
 *   x  1 to 16 hex digits, either case                        -> param.u
 *   t  a thread-id: hex, "-1" (all), "0" (any), or the multiprocess form
 *      "pPID.TID" / "pPID" (= "pPID.-1", all threads of PID)   -> param.tid
 *   s  text up to the next literal of the schema, or the end   -> param.s/len
 *      (it points into the packet)
 *   H  an even number of hex digits to the end, decoded       -> param.s/len
 *   b  raw bytes to the end (may contain NUL)                 -> param.s/len
 *      (it points into the packet)
 *   A  a vCont action list ";action[:thread-id]..." where action is c, s,
 *      t, Csig, Ssig (sig: two hex digits) or rSTART,END      -> param.actions
 *   any other schema character must appear literally, and the whole text
 *   must be consumed (trailing bytes are an error).
 *
 * Readings of the header that the tests rely on (not spelt out word for
 * word there):
 *   - params[i] is the i-th non-literal character of the schema; a schema
 *     with more than PKT_MAX_PARAMS of them cannot be parsed: false, and
 *     nothing is written past params[PKT_MAX_PARAMS - 1];
 *   - pkt_parse() reads only the len bytes it is given (texts are passed in
 *     heap buffers of exactly len bytes, so ASan reports any read past them);
 *   - pkt_params_clear() may be called after any pkt_parse(), successful or
 *     not, on params that were zeroed before the parse;
 *   - the actions of an A parameter that names no thread have tid -1;
 *   - an empty s is allowed (gdb sends "qXfer:auxv:read::0,fff", an empty
 *     annex).
 *
 * Run under -fsanitize=address,undefined to check that action arrays are
 * released by pkt_params_clear() and by pkt_dispatch().
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "packets.h"

#include "check.h"

/* Bytes as printable text: ASCII as is, else \xHH. */
static char *show(const void *data, size_t len)
{
	GString *s = g_string_new(NULL);
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			g_string_append_c(s, (char)p[i]);
		else
			g_string_append_printf(s, "\\x%02x", p[i]);
	}
	return g_string_free(s, FALSE);
}

/* ---- pkt_parse harness ----------------------------------------------------- */

struct pr {
	const char *schema;
	char *buf;             /* the text: exactly len bytes on the heap */
	size_t len;
	char *shown;           /* the text, printable, for messages */
	struct pkt_param *p;   /* PKT_MAX_PARAMS, on the heap: ASan sees overruns */
	GByteArray *scratch;
	bool ok;
};

static void pr_run(struct pr *r, const char *schema, const void *text, size_t len)
{
	r->schema = schema;
	r->len = len;
	r->buf = g_malloc(len ? len : 1);
	if (len)
		memcpy(r->buf, text, len);
	else
		r->buf[0] = '5'; /* not part of the text: must not be parsed */
	r->shown = show(text, len);
	r->p = g_new0(struct pkt_param, PKT_MAX_PARAMS);
	r->scratch = g_byte_array_new();
	r->ok = pkt_parse(schema, r->buf, len, r->p, r->scratch);
}

static void pr_done(struct pr *r)
{
	pkt_params_clear(r->p);
	g_free(r->p);
	g_byte_array_unref(r->scratch);
	g_free(r->buf);
	g_free(r->shown);
}

/* Parse a NUL-terminated text; check it succeeds. */
static bool parse_ok(struct pr *r, const char *schema, const char *text)
{
	pr_run(r, schema, text, strlen(text));
	CHECK(r->ok, "pkt_parse(\"%s\", \"%s\") failed, expected success", schema, r->shown);
	return r->ok;
}

static void reject_n(const char *schema, const void *text, size_t len)
{
	struct pr r;

	pr_run(&r, schema, text, len);
	CHECK(!r.ok, "pkt_parse(\"%s\", \"%s\") succeeded, expected failure", schema, r.shown);
	pr_done(&r);
}

static void reject(const char *schema, const char *text)
{
	reject_n(schema, text, strlen(text));
}

static void check_bytes(const char *what, const char *s, size_t len, const void *want,
			size_t wantlen)
{
	if (len != wantlen || (len && (!s || memcmp(s, want, len) != 0))) {
		char *a = s ? show(s, len) : g_strdup("(null)");
		char *b = show(want, wantlen);
		CHECK(0, "%s: got [%zu] \"%s\", expected [%zu] \"%s\"", what, len, a, wantlen, b);
		g_free(a);
		g_free(b);
	}
}

/* ---- x: hex numbers -------------------------------------------------------- */

static void expect_x(const char *text, uint64_t want)
{
	struct pr r;

	if (parse_ok(&r, "x", text))
		CHECK(r.p[0].u == want, "x \"%s\": u = 0x%" G_GINT64_MODIFIER "x, expected 0x%"
		      G_GINT64_MODIFIER "x", text, r.p[0].u, want);
	pr_done(&r);
}

static void test_parse_x(void)
{
	expect_x("0", 0);
	expect_x("1", 1);
	expect_x("a", 0xa);
	expect_x("A", 0xa);
	expect_x("ff", 0xff);
	expect_x("FF", 0xff);
	expect_x("aBcDeF", 0xabcdef);
	expect_x("100aa", 0x100aa);
	expect_x("0123456789abcdef", 0x0123456789abcdefull);  /* 16 digits */
	expect_x("0123456789ABCDEF", 0x0123456789abcdefull);
	expect_x("ffffffffffffffff", UINT64_MAX);
	expect_x("FFFFFFFFFFFFFFFF", UINT64_MAX);
	expect_x("0000000000000001", 1);                      /* 16 digits */
	expect_x("8000000000000000", 0x8000000000000000ull);

	reject("x", "");                    /* no digit */
	reject("x", "10000000000000000");   /* 17 digits */
	reject("x", "00000000000000001");   /* 17 digits, small value */
	reject("x", "fffffffffffffffff");
	reject("x", "g");
	reject("x", "-1");
	reject("x", " 1");
	reject("x", "+1");
	reject("x", "0x10");                /* 'x' and "10" are trailing bytes */
	reject("x", "1g");
	reject("x", "12 ");
}

/* Only len bytes are the text, whatever follows in memory. */
static void test_parse_len(void)
{
	struct pr r;

	pr_run(&r, "x,x", "10,20", 4);
	CHECK(r.ok, "pkt_parse(\"x,x\", \"10,2\") failed");
	if (r.ok) {
		CHECK(r.p[0].u == 0x10, "u0 = 0x%" G_GINT64_MODIFIER "x", r.p[0].u);
		CHECK(r.p[1].u == 0x2, "u1 = 0x%" G_GINT64_MODIFIER "x (len ignored?)", r.p[1].u);
	}
	pr_done(&r);

	/* A NUL within len is a byte of the text, not its end. */
	reject_n("x", "1\0002", 3);
	reject_n("x", "12\0", 3);
	reject_n("x,x", "10,20", 3);        /* "10," */
	reject_n("x", "123", 0);
}

/* ---- t: thread ids ----------------------------------------------------------- */

static void expect_t(const char *text, int64_t want)
{
	struct pr r;

	if (parse_ok(&r, "t", text))
		CHECK(r.p[0].tid == want, "t \"%s\": tid = %" G_GINT64_FORMAT ", expected %"
		      G_GINT64_FORMAT, text, r.p[0].tid, want);
	pr_done(&r);
}

static void test_parse_t(void)
{
	expect_t("1", 1);
	expect_t("a", 0xa);
	expect_t("A", 0xa);
	expect_t("1f", 0x1f);
	expect_t("-1", -1);
	expect_t("0", 0);
	expect_t("p1.2", 2);
	expect_t("pa.1f", 0x1f);
	expect_t("p1.-1", -1);
	expect_t("p1.0", 0);
	expect_t("p1", -1);                 /* all threads of process 1 */
	expect_t("p2a", -1);

	reject("t", "");
	reject("t", "-");
	reject("t", "-2");
	reject("t", "--1");
	reject("t", "g");
	reject("t", "1g");
	reject("t", "p");
	reject("t", "p.1");
	reject("t", "p1.");
	reject("t", "px.1");
	reject("t", "p1.x");
	reject("t", "p1.2.3");
	reject("t", "p1.2x");
	reject("t", "1.2");
}

/* ---- s: text ---------------------------------------------------------------- */

static void test_parse_s(void)
{
	struct pr r;

	if (parse_ok(&r, "s", "hello")) {
		check_bytes("s \"hello\"", r.p[0].s, r.p[0].len, "hello", 5);
		CHECK(r.p[0].s == r.buf, "s does not point into the packet");
	}
	pr_done(&r);

	if (parse_ok(&r, "s", ""))
		CHECK(r.p[0].len == 0, "s \"\": len %zu", r.p[0].len);
	pr_done(&r);

	/* Up to the next literal of the schema. */
	if (parse_ok(&r, "s:x,x", "target.xml:0,ffb")) {
		check_bytes("s annex", r.p[0].s, r.p[0].len, "target.xml", 10);
		CHECK(r.p[0].s == r.buf, "s does not point into the packet");
		CHECK(r.p[1].u == 0, "offset 0x%" G_GINT64_MODIFIER "x", r.p[1].u);
		CHECK(r.p[2].u == 0xffb, "length 0x%" G_GINT64_MODIFIER "x", r.p[2].u);
	}
	pr_done(&r);

	/* An empty annex, as in qXfer:auxv:read::0,fff. */
	if (parse_ok(&r, "s:x,x", ":0,fff")) {
		CHECK(r.p[0].len == 0, "empty annex: len %zu", r.p[0].len);
		CHECK(r.p[1].u == 0 && r.p[2].u == 0xfff, "offset/length wrong");
	}
	pr_done(&r);

	if (parse_ok(&r, "s,s", "ab,cde")) {
		check_bytes("s 1", r.p[0].s, r.p[0].len, "ab", 2);
		check_bytes("s 2", r.p[1].s, r.p[1].len, "cde", 3);
		CHECK(r.p[1].s == r.buf + 3, "second s does not point into the packet");
	}
	pr_done(&r);

	/* Text may contain characters that are schema characters elsewhere. */
	if (parse_ok(&r, "s;x", "a-b.c_d;1f")) {
		check_bytes("s", r.p[0].s, r.p[0].len, "a-b.c_d", 7);
		CHECK(r.p[1].u == 0x1f, "u = 0x%" G_GINT64_MODIFIER "x", r.p[1].u);
	}
	pr_done(&r);

	reject("s:x", "abc");          /* the literal never comes */
	reject("s:x", "abc:");         /* nothing for x */
	reject("s:x", "abc:zz");
}

/* ---- H: hex-encoded bytes ------------------------------------------------------ */

static void test_parse_H(void)
{
	struct pr r;

	if (parse_ok(&r, "H", "696e666f20766d"))
		check_bytes("H info vm", r.p[0].s, r.p[0].len, "info vm", 7);
	pr_done(&r);

	if (parse_ok(&r, "H", "DEADbeef"))
		check_bytes("H DEADbeef", r.p[0].s, r.p[0].len, "\xde\xad\xbe\xef", 4);
	pr_done(&r);

	if (parse_ok(&r, "H", "00ff0001"))
		check_bytes("H with NUL bytes", r.p[0].s, r.p[0].len, "\x00\xff\x00\x01", 4);
	pr_done(&r);

	if (parse_ok(&r, "H", ""))
		CHECK(r.p[0].len == 0, "empty H: len %zu", r.p[0].len);
	pr_done(&r);

	if (parse_ok(&r, "x,x:H", "104000,4:deadbeef")) {
		CHECK(r.p[0].u == 0x104000 && r.p[1].u == 4, "addr/len wrong");
		check_bytes("M data", r.p[2].s, r.p[2].len, "\xde\xad\xbe\xef", 4);
	}
	pr_done(&r);

	/* Every byte value survives decoding. */
	{
		GString *hex = g_string_new(NULL);
		uint8_t all[256];

		for (unsigned i = 0; i < 256; i++) {
			all[i] = (uint8_t)i;
			g_string_append_printf(hex, i & 1 ? "%02X" : "%02x", i);
		}
		if (parse_ok(&r, "H", hex->str))
			check_bytes("H all bytes", r.p[0].s, r.p[0].len, all, sizeof(all));
		pr_done(&r);
		g_string_free(hex, TRUE);
	}

	reject("H", "a");
	reject("H", "abc");
	reject("H", "zz");
	reject("H", "6g");
	reject("H", "g6");
	reject("H", "12 4");
	reject("H", "-1");
	reject("x,x:H", "104000,4:deadbee");
}

/* ---- b: raw bytes --------------------------------------------------------------- */

static void test_parse_b(void)
{
	static const char raw[] = { 'a', 0x00, '}', 0x03, '#', '$', (char)0xff, 0x00 };
	struct pr r;

	pr_run(&r, "b", raw, sizeof(raw));
	CHECK(r.ok, "pkt_parse(\"b\", raw bytes) failed");
	if (r.ok) {
		check_bytes("b", r.p[0].s, r.p[0].len, raw, sizeof(raw));
		CHECK(r.p[0].s == r.buf, "b does not point into the packet");
	}
	pr_done(&r);

	pr_run(&r, "b", "", 0);
	CHECK(r.ok, "pkt_parse(\"b\", \"\") failed");
	if (r.ok)
		CHECK(r.p[0].len == 0, "empty b: len %zu", r.p[0].len);
	pr_done(&r);

	{
		static const char x[] = "104000,3:}\0$";
		pr_run(&r, "x,x:b", x, sizeof(x) - 1);
		CHECK(r.ok, "pkt_parse(\"x,x:b\", X packet) failed");
		if (r.ok) {
			CHECK(r.p[0].u == 0x104000 && r.p[1].u == 3, "addr/len wrong");
			check_bytes("X data", r.p[2].s, r.p[2].len, "}\0$", 3);
			CHECK(r.p[2].s == r.buf + 9, "b does not point into the packet");
		}
		pr_done(&r);
	}
}

/* ---- A: vCont action lists ----------------------------------------------------- */

struct act {
	char action;
	uint8_t signal;
	int64_t tid;
	uint64_t start, end;
};

static void expect_A(const char *text, const struct act *want, unsigned n)
{
	struct pr r;

	if (!parse_ok(&r, "A", text)) {
		pr_done(&r);
		return;
	}
	GArray *a = r.p[0].actions;
	CHECK(a != NULL, "A \"%s\": actions == NULL", text);
	if (a) {
		CHECK(g_array_get_element_size(a) == sizeof(struct vcont_action),
		      "A \"%s\": element size %u", text, g_array_get_element_size(a));
		CHECK(a->len == n, "A \"%s\": %u actions, expected %u", text, a->len, n);
		for (unsigned i = 0; i < n && i < a->len; i++) {
			const struct vcont_action *v = &g_array_index(a, struct vcont_action, i);
			CHECK(v->action == want[i].action, "A \"%s\" #%u: action '%c', expected '%c'",
			      text, i, v->action, want[i].action);
			CHECK(v->tid == want[i].tid, "A \"%s\" #%u: tid %" G_GINT64_FORMAT
			      ", expected %" G_GINT64_FORMAT, text, i, v->tid, want[i].tid);
			if (want[i].action == 'C' || want[i].action == 'S')
				CHECK(v->signal == want[i].signal, "A \"%s\" #%u: signal %u, expected %u",
				      text, i, v->signal, want[i].signal);
			if (want[i].action == 'r')
				CHECK(v->range_start == want[i].start && v->range_end == want[i].end,
				      "A \"%s\" #%u: range %" G_GINT64_MODIFIER "x,%" G_GINT64_MODIFIER
				      "x, expected %" G_GINT64_MODIFIER "x,%" G_GINT64_MODIFIER "x", text,
				      i, v->range_start, v->range_end, want[i].start, want[i].end);
		}
	}
	pr_done(&r);
}

#define A(text, ...)                                                          \
	do {                                                                  \
		static const struct act w_[] = { __VA_ARGS__ };               \
		expect_A(text, w_, G_N_ELEMENTS(w_));                         \
	} while (0)

static void test_parse_A(void)
{
	A(";c", { 'c', 0, -1, 0, 0 });
	A(";s", { 's', 0, -1, 0, 0 });
	A(";t", { 't', 0, -1, 0, 0 });
	A(";s:1;c", { 's', 0, 1, 0, 0 }, { 'c', 0, -1, 0, 0 });
	A(";c;s:1", { 'c', 0, -1, 0, 0 }, { 's', 0, 1, 0, 0 });
	A(";C05:2;S0b:1;t", { 'C', 5, 2, 0, 0 }, { 'S', 0x0b, 1, 0, 0 }, { 't', 0, -1, 0, 0 });
	A(";C0B", { 'C', 0x0b, -1, 0, 0 });
	A(";Sff:a", { 'S', 0xff, 0xa, 0, 0 });
	A(";r1000,2000:1", { 'r', 0, 1, 0x1000, 0x2000 });
	A(";r1000,2000", { 'r', 0, -1, 0x1000, 0x2000 });
	A(";r1000,2000:1;c", { 'r', 0, 1, 0x1000, 0x2000 }, { 'c', 0, -1, 0, 0 });
	A(";s:p1.2;c", { 's', 0, 2, 0, 0 }, { 'c', 0, -1, 0, 0 });
	A(";c:-1", { 'c', 0, -1, 0, 0 });
	A(";s:1f;s:2;s:3;s:4;s:5;s:6;s:7;s:8;c",
	  { 's', 0, 0x1f, 0, 0 }, { 's', 0, 2, 0, 0 }, { 's', 0, 3, 0, 0 }, { 's', 0, 4, 0, 0 },
	  { 's', 0, 5, 0, 0 }, { 's', 0, 6, 0, 0 }, { 's', 0, 7, 0, 0 }, { 's', 0, 8, 0, 0 },
	  { 'c', 0, -1, 0, 0 });
}

static void test_parse_A_bad(void)
{
	reject("A", ";");
	reject("A", ";q");
	reject("A", ";c:");
	reject("A", ";C:1");
	reject("A", "c");
	reject("A", "c;s");
	reject("A", ";;c");
	reject("A", ";c;");
	reject("A", ";s:1;");
	reject("A", ";cc");
	reject("A", ";c1");
	reject("A", ";s:x");
	reject("A", ";s:1:2");
	reject("A", ";C");
	reject("A", ";S:1");
	reject("A", ";Czz");
	reject("A", ";C05x");
	reject("A", ";r");
	reject("A", ";r1000");
	reject("A", ";r1000:1");
	reject("A", ";r1000,");
	reject("A", ";r,2000");
	reject("A", ";rzz,2000");
	reject("A", ";c:p1.");
	reject("A", "?");
	reject("A", ";c ");
}

/* Many parses with action lists, each released by pkt_params_clear(): a
 * leak shows under LeakSanitizer. */
static void test_parse_A_release(void)
{
	for (int i = 0; i < 200; i++) {
		struct pr r;

		pr_run(&r, "A", ";s:1;c;C05:2;r1000,2000:3", strlen(";s:1;c;C05:2;r1000,2000:3"));
		CHECK(r.ok, "parse failed");
		pr_done(&r);
		/* and failing parses that may have started a list */
		reject("A", ";s:1;c;q");
		reject("A", ";s:1;c:");
	}
}

/* ---- literals, trailing bytes, parameter count ------------------------------------ */

static void test_parse_literals(void)
{
	struct pr r;

	if (parse_ok(&r, "x,x", "1,2"))
		CHECK(r.p[0].u == 1 && r.p[1].u == 2, "values wrong");
	pr_done(&r);

	if (parse_ok(&r, "x,x,x", "0,1000aa,1"))
		CHECK(r.p[0].u == 0 && r.p[1].u == 0x1000aa && r.p[2].u == 1, "values wrong");
	pr_done(&r);

	if (parse_ok(&r, "x;x", "05;1000"))
		CHECK(r.p[0].u == 5 && r.p[1].u == 0x1000, "values wrong");
	pr_done(&r);

	/* Schemas made only of literals, and the empty schema. */
	parse_ok(&r, ":", ":");
	pr_done(&r);
	parse_ok(&r, "", "");
	pr_done(&r);
	parse_ok(&r, ":;,-", ":;,-");
	pr_done(&r);

	reject("x,x", "1;2");
	reject("x,x", "1,");
	reject("x,x", ",2");
	reject("x,x", "12");
	reject("x,x", "");
	reject(":", "");
	reject(":", ";");
	reject(":;,-", ":;,+");
	reject(":;,-", ":;,");
	reject("x:H", "10");
	reject("x:H", "10;");
}

static void test_parse_trailing(void)
{
	reject("", "a");
	reject("", ";");
	reject(":", "::");
	reject("x", "1,");
	reject("x,x", "1,2,");
	reject("x,x", "1,2,3");
	reject("x,x", "1,2;");
	reject("x,x,x", "0,1000aa,1,");
	reject("t", "1;");
	reject("t", "p1.2;");
	reject("x;x", "5;1000;");
	reject("s:x", "a:1:");
	reject("s:x,x", "target.xml:0,ffb,");
	reject(":;,-", ":;,--");
}

static void test_parse_max_params(void)
{
	struct pr r;

	/* Exactly PKT_MAX_PARAMS (6) parameters. */
	if (parse_ok(&r, "x,x,x,x,x,x", "1,2,3,4,5,6"))
		for (unsigned i = 0; i < 6; i++)
			CHECK(r.p[i].u == i + 1, "param %u = 0x%" G_GINT64_MODIFIER "x", i, r.p[i].u);
	pr_done(&r);

	if (parse_ok(&r, "x,t,s:H", "1,p1.2,ab:6869")) {
		CHECK(r.p[0].u == 1, "x wrong");
		CHECK(r.p[1].tid == 2, "t wrong");
		check_bytes("s", r.p[2].s, r.p[2].len, "ab", 2);
		check_bytes("H", r.p[3].s, r.p[3].len, "hi", 2);
	}
	pr_done(&r);

	/* One more than PKT_MAX_PARAMS: refused, and params[6] (past the heap
	 * array) is never written. */
	reject("x,x,x,x,x,x,x", "1,2,3,4,5,6,7");
	reject("x,x,x,x,x,x,s", "1,2,3,4,5,6,abc");
	reject("xxxxxxxx", "1");
	reject("A,x,x,x,x,x,x", ";c,1,2,3,4,5,6");
}

/* ---- pkt_dispatch ---------------------------------------------------------------- */

struct rparam {
	uint64_t u;
	int64_t tid;
	GBytes *bytes;        /* s, H, b */
	bool in_packet;       /* s, b: the pointer is into the dispatched packet */
	GArray *actions;      /* copy of A */
};

struct call {
	const char *handler;
	unsigned n;
	struct rparam v[PKT_MAX_PARAMS];
};

struct disp {
	const char *pkt;      /* the packet being dispatched */
	size_t len;
	unsigned ncalls;
	struct call *call;    /* the first call */
};

static void call_free(struct call *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < PKT_MAX_PARAMS; i++) {
		if (c->v[i].bytes)
			g_bytes_unref(c->v[i].bytes);
		if (c->v[i].actions)
			g_array_unref(c->v[i].actions);
	}
	g_free(c);
}

/* Copy what the handler was given, guided by its row's schema. */
static void record(void *ctx, const char *handler, const char *schema, const struct pkt_param *p)
{
	struct disp *d = ctx;
	struct call *c;
	unsigned n = 0;

	d->ncalls++;
	if (d->call)
		return;
	c = g_new0(struct call, 1);
	c->handler = handler;
	for (const char *sc = schema; sc && *sc && n < PKT_MAX_PARAMS; sc++) {
		struct rparam *v = &c->v[n];

		switch (*sc) {
		case 'x':
			v->u = p[n].u;
			break;
		case 't':
			v->tid = p[n].tid;
			break;
		case 's':
		case 'H':
		case 'b':
			if (p[n].len)
				CHECK(p[n].s != NULL, "%s: param %u has len %zu but s == NULL", handler,
				      n, p[n].len);
			v->bytes = g_bytes_new(p[n].len ? p[n].s : NULL, p[n].s ? p[n].len : 0);
			v->in_packet = p[n].s && p[n].s >= d->pkt && p[n].s + p[n].len <= d->pkt + d->len;
			break;
		case 'A':
			v->actions = g_array_new(FALSE, FALSE, sizeof(struct vcont_action));
			if (p[n].actions)
				g_array_append_vals(v->actions, p[n].actions->data, p[n].actions->len);
			break;
		default:
			continue;
		}
		n++;
	}
	c->n = n;
	d->call = c;
}

#define HANDLER(fn, schema)                                            \
	static void fn(void *ctx, const struct pkt_param *p)          \
	{                                                              \
		record(ctx, #fn, schema, p);                           \
	}

HANDLER(h_stop, NULL)
HANDLER(h_g, NULL)
HANDLER(h_m, "x,x")
HANDLER(h_M, "x,x:H")
HANDLER(h_X, "x,x:b")
HANDLER(h_Z, "x,x,x")
HANDLER(h_xfer, "s:x,x")
HANDLER(h_vcont_q, NULL)
HANDLER(h_vcont, "A")
HANDLER(h_Hg, "t")
HANDLER(h_Hc, "t")
HANDLER(h_rcmd, "H")
HANDLER(h_C_addr, "x;x")
HANDLER(h_C, "x")

static const struct pkt_row rows[] = {
	{ "?", PKT_EXACT, NULL, h_stop, 0 },
	{ "g", PKT_EXACT, NULL, h_g, 0 },
	{ "m", PKT_PREFIX, "x,x", h_m, 0 },
	{ "M", PKT_PREFIX, "x,x:H", h_M, 0 },
	{ "X", PKT_PREFIX, "x,x:b", h_X, 0 },
	{ "Z", PKT_PREFIX, "x,x,x", h_Z, 0 },
	{ "qXfer:features:read:", PKT_PREFIX, "s:x,x", h_xfer, 0 },
	{ "vCont?", PKT_EXACT, NULL, h_vcont_q, 0 },
	{ "vCont", PKT_PREFIX, "A", h_vcont, 0 },
	{ "Hg", PKT_PREFIX, "t", h_Hg, 0 },
	{ "Hc", PKT_PREFIX, "t", h_Hc, 0 },
	{ "qRcmd,", PKT_PREFIX, "H", h_rcmd, 0 },
	{ "C", PKT_PREFIX, "x;x", h_C_addr, 0 },
	{ "C", PKT_PREFIX, "x", h_C, 0 },
};

static const char *result_name(enum pkt_result r)
{
	switch (r) {
	case PKT_HANDLED: return "PKT_HANDLED";
	case PKT_UNKNOWN: return "PKT_UNKNOWN";
	case PKT_BAD_PARAMS: return "PKT_BAD_PARAMS";
	}
	return "(invalid)";
}

/* Dispatch a packet held in a heap buffer of len + 1 bytes (NUL-terminated,
 * as the header requires).  Returns the handler's call, or NULL; checks the
 * result and which handler ran. */
static struct call *dispatch_n(const struct pkt_row *tbl, size_t n, const void *packet,
			       size_t len, enum pkt_result want, const char *want_handler)
{
	struct disp d = { 0 };
	char *buf = g_malloc(len + 1);
	char *shown = show(packet, len);
	enum pkt_result res;

	memcpy(buf, packet, len);
	buf[len] = '\0';
	d.pkt = buf;
	d.len = len;
	res = pkt_dispatch(tbl, n, buf, len, NULL, &d);
	CHECK(res == want, "dispatch \"%s\": %s, expected %s", shown, result_name(res),
	      result_name(want));
	if (want == PKT_HANDLED) {
		CHECK(d.ncalls == 1, "dispatch \"%s\": %u handler calls, expected 1", shown,
		      d.ncalls);
		if (d.call && want_handler)
			CHECK(strcmp(d.call->handler, want_handler) == 0,
			      "dispatch \"%s\": handler %s called, expected %s", shown,
			      d.call->handler, want_handler);
	} else {
		CHECK(d.ncalls == 0, "dispatch \"%s\": %u handler calls (%s), expected none",
		      shown, d.ncalls, d.call ? d.call->handler : "?");
	}
	if (d.call && res != PKT_HANDLED) {
		call_free(d.call);
		d.call = NULL;
	}
	if (d.call && want_handler && strcmp(d.call->handler, want_handler) != 0) {
		call_free(d.call);
		d.call = NULL;
	}
	g_free(shown);
	g_free(buf);
	return d.call;
}

static struct call *dispatch(const char *packet, enum pkt_result want, const char *handler)
{
	return dispatch_n(rows, G_N_ELEMENTS(rows), packet, strlen(packet), want, handler);
}

static void check_u(const char *pkt, const struct call *c, unsigned i, uint64_t want)
{
	CHECK(c->v[i].u == want, "%s: param %u = 0x%" G_GINT64_MODIFIER "x, expected 0x%"
	      G_GINT64_MODIFIER "x", pkt, i, c->v[i].u, want);
}

static void check_b(const char *pkt, const struct call *c, unsigned i, const void *want,
		    size_t len)
{
	size_t glen = 0;
	const char *got = c->v[i].bytes ? g_bytes_get_data(c->v[i].bytes, &glen) : NULL;
	char *what = g_strdup_printf("%s: param %u", pkt, i);

	check_bytes(what, got, glen, want, len);
	g_free(what);
}

static void test_dispatch_gdb_packets(void)
{
	struct call *c;

	if ((c = dispatch("m100aa,40", PKT_HANDLED, "h_m"))) {
		check_u("m", c, 0, 0x100aa);
		check_u("m", c, 1, 0x40);
	}
	call_free(c);

	if ((c = dispatch("M104000,4:deadbeef", PKT_HANDLED, "h_M"))) {
		check_u("M", c, 0, 0x104000);
		check_u("M", c, 1, 4);
		check_b("M", c, 2, "\xde\xad\xbe\xef", 4);
	}
	call_free(c);

	if ((c = dispatch("M104000,0:", PKT_HANDLED, "h_M"))) {
		check_u("M empty", c, 1, 0);
		check_b("M empty", c, 2, "", 0);
	}
	call_free(c);

	{
		static const char x[] = "X104000,3:}\0#";
		if ((c = dispatch_n(rows, G_N_ELEMENTS(rows), x, sizeof(x) - 1, PKT_HANDLED,
				    "h_X"))) {
			check_u("X", c, 0, 0x104000);
			check_u("X", c, 1, 3);
			check_b("X", c, 2, "}\0#", 3);
			CHECK(c->v[2].in_packet, "X: b does not point into the packet");
		}
		call_free(c);
	}

	/* gdb probes binary download with an empty X packet. */
	if ((c = dispatch("X104000,0:", PKT_HANDLED, "h_X")))
		check_b("X empty", c, 2, "", 0);
	call_free(c);

	if ((c = dispatch("Z0,1000aa,1", PKT_HANDLED, "h_Z"))) {
		check_u("Z", c, 0, 0);
		check_u("Z", c, 1, 0x1000aa);
		check_u("Z", c, 2, 1);
	}
	call_free(c);

	if ((c = dispatch("qXfer:features:read:target.xml:0,ffb", PKT_HANDLED, "h_xfer"))) {
		check_b("qXfer", c, 0, "target.xml", 10);
		CHECK(c->v[0].in_packet, "qXfer: annex does not point into the packet");
		check_u("qXfer", c, 1, 0);
		check_u("qXfer", c, 2, 0xffb);
	}
	call_free(c);

	if ((c = dispatch("qXfer:features:read:64bit-sse.xml:7fb,ffb", PKT_HANDLED, "h_xfer"))) {
		check_b("qXfer 2", c, 0, "64bit-sse.xml", 13);
		check_u("qXfer 2", c, 1, 0x7fb);
		check_u("qXfer 2", c, 2, 0xffb);
	}
	call_free(c);

	if ((c = dispatch("vCont;s:1;c", PKT_HANDLED, "h_vcont"))) {
		GArray *a = c->v[0].actions;
		CHECK(a && a->len == 2, "vCont: %u actions", a ? a->len : 0);
		if (a && a->len == 2) {
			struct vcont_action *v = (struct vcont_action *)a->data;
			CHECK(v[0].action == 's' && v[0].tid == 1, "vCont #0: %c %" G_GINT64_FORMAT,
			      v[0].action, v[0].tid);
			CHECK(v[1].action == 'c' && v[1].tid == -1, "vCont #1: %c %" G_GINT64_FORMAT,
			      v[1].action, v[1].tid);
		}
	}
	call_free(c);

	if ((c = dispatch("vCont;C0b:p1.2;c", PKT_HANDLED, "h_vcont"))) {
		GArray *a = c->v[0].actions;
		CHECK(a && a->len == 2, "vCont C: %u actions", a ? a->len : 0);
		if (a && a->len == 2) {
			struct vcont_action *v = (struct vcont_action *)a->data;
			CHECK(v[0].action == 'C' && v[0].signal == 0x0b && v[0].tid == 2,
			      "vCont C #0: %c %u %" G_GINT64_FORMAT, v[0].action, v[0].signal,
			      v[0].tid);
		}
	}
	call_free(c);

	call_free(dispatch("vCont?", PKT_HANDLED, "h_vcont_q"));

	if ((c = dispatch("Hg0", PKT_HANDLED, "h_Hg")))
		CHECK(c->v[0].tid == 0, "Hg0: tid %" G_GINT64_FORMAT, c->v[0].tid);
	call_free(c);

	if ((c = dispatch("Hc-1", PKT_HANDLED, "h_Hc")))
		CHECK(c->v[0].tid == -1, "Hc-1: tid %" G_GINT64_FORMAT, c->v[0].tid);
	call_free(c);

	if ((c = dispatch("Hgp1.3", PKT_HANDLED, "h_Hg")))
		CHECK(c->v[0].tid == 3, "Hgp1.3: tid %" G_GINT64_FORMAT, c->v[0].tid);
	call_free(c);

	if ((c = dispatch("Hg1f", PKT_HANDLED, "h_Hg")))
		CHECK(c->v[0].tid == 0x1f, "Hg1f: tid %" G_GINT64_FORMAT, c->v[0].tid);
	call_free(c);

	if ((c = dispatch("qRcmd,696e666f20766d", PKT_HANDLED, "h_rcmd")))
		check_b("qRcmd", c, 0, "info vm", 7);
	call_free(c);

	call_free(dispatch("?", PKT_HANDLED, "h_stop"));
	call_free(dispatch("g", PKT_HANDLED, "h_g"));
}

/* Two rows with one name: the first whose schema parses wins. */
static void test_dispatch_same_name(void)
{
	struct call *c;

	if ((c = dispatch("C05", PKT_HANDLED, "h_C")))
		check_u("C05", c, 0, 5);
	call_free(c);

	if ((c = dispatch("C05;1000", PKT_HANDLED, "h_C_addr"))) {
		check_u("C05;1000", c, 0, 5);
		check_u("C05;1000", c, 1, 0x1000);
	}
	call_free(c);

	/* Order matters: with the rows swapped, "x" fails on "05;1000" (trailing
	 * bytes) and "x;x" still gets it, while "C05" goes to the "x" row. */
	{
		static const struct pkt_row swapped[] = {
			{ "C", PKT_PREFIX, "x", h_C, 0 },
			{ "C", PKT_PREFIX, "x;x", h_C_addr, 0 },
		};
		call_free(dispatch_n(swapped, 2, "C05;1000", 8, PKT_HANDLED, "h_C_addr"));
		call_free(dispatch_n(swapped, 2, "C05", 3, PKT_HANDLED, "h_C"));
	}

	/* Two rows that both parse: only the first is called. */
	{
		static const struct pkt_row both[] = {
			{ "m", PKT_PREFIX, "x,x", h_m, 0 },
			{ "m", PKT_PREFIX, "s", h_xfer, 0 },
		};
		call_free(dispatch_n(both, 2, "m10,4", 5, PKT_HANDLED, "h_m"));
		/* the first schema fails, the second parses anything */
		call_free(dispatch_n(both, 2, "mzz", 3, PKT_HANDLED, "h_xfer"));
	}

	/* Both schemas fail. */
	dispatch("C", PKT_BAD_PARAMS, NULL);
	dispatch("Cxx", PKT_BAD_PARAMS, NULL);
	dispatch("C05;", PKT_BAD_PARAMS, NULL);
	dispatch("C05;1000;", PKT_BAD_PARAMS, NULL);
}

static void test_dispatch_unknown(void)
{
	dispatch("qFoo", PKT_UNKNOWN, NULL);
	dispatch("", PKT_UNKNOWN, NULL);
	dispatch("k", PKT_UNKNOWN, NULL);
	dispatch("c", PKT_UNKNOWN, NULL);          /* names are case sensitive */
	dispatch("qXfer", PKT_UNKNOWN, NULL);      /* shorter than the row's name */
	dispatch("qXfer:features:read", PKT_UNKNOWN, NULL);
	dispatch("qXfer:auxv:read::0,fff", PKT_UNKNOWN, NULL);
	dispatch("qRcmd", PKT_UNKNOWN, NULL);
	dispatch("H", PKT_UNKNOWN, NULL);
	dispatch("vCon", PKT_UNKNOWN, NULL);
	/* An empty table knows nothing. */
	dispatch_n(rows, 0, "m10,4", 5, PKT_UNKNOWN, NULL);
}

/* Exact rows match the whole packet only. */
static void test_dispatch_exact(void)
{
	dispatch("gx", PKT_UNKNOWN, NULL);
	dispatch("g0", PKT_UNKNOWN, NULL);
	dispatch("??", PKT_UNKNOWN, NULL);
	dispatch("?x", PKT_UNKNOWN, NULL);
	dispatch_n(rows, G_N_ELEMENTS(rows), "g\0", 2, PKT_UNKNOWN, NULL);
	/* "vCont?x" is not the exact "vCont?"; the prefix row "vCont" matches
	 * its name but "A" does not parse "?x". */
	dispatch("vCont?x", PKT_BAD_PARAMS, NULL);

	{
		static const struct pkt_row only_exact[] = {
			{ "qC", PKT_EXACT, NULL, h_stop, 0 },
			{ "qAttached", PKT_EXACT, NULL, h_g, 0 },
		};
		call_free(dispatch_n(only_exact, 2, "qC", 2, PKT_HANDLED, "h_stop"));
		call_free(dispatch_n(only_exact, 2, "qAttached", 9, PKT_HANDLED, "h_g"));
		dispatch_n(only_exact, 2, "qCRC:0,4", 8, PKT_UNKNOWN, NULL);
		dispatch_n(only_exact, 2, "qAttached:1", 11, PKT_UNKNOWN, NULL);
		dispatch_n(only_exact, 2, "q", 1, PKT_UNKNOWN, NULL);
	}
}

/* The admit callback sees the flags of the row that parsed, before its
 * handler; refusing means handled without the handler. */
static unsigned admit_seen;
static bool admit_answer;

static bool admit_cb(void *ctx, unsigned flags)
{
	admit_seen = flags;
	return admit_answer;
}

static void test_dispatch_admit(void)
{
	static const struct pkt_row flagged[] = {
		{ "m", PKT_PREFIX, "x,x", h_m, PKT_F_NEEDS_TARGET },
		{ "qC", PKT_EXACT, NULL, h_stop, 0 },
	};
	struct disp d = { 0 };
	char m[] = "m10,4", qc[] = "qC", bad[] = "mzz";

	d.pkt = m;
	d.len = 5;
	admit_answer = false;
	admit_seen = 99;
	CHECK(pkt_dispatch(flagged, 2, m, 5, admit_cb, &d) == PKT_HANDLED, "refused m handled");
	CHECK(admit_seen == PKT_F_NEEDS_TARGET, "admit saw flags %u", admit_seen);
	CHECK(d.ncalls == 0, "refused row's handler called %u times", d.ncalls);

	admit_answer = true;
	CHECK(pkt_dispatch(flagged, 2, m, 5, admit_cb, &d) == PKT_HANDLED, "admitted m");
	CHECK(d.ncalls == 1, "admitted row's handler called %u times", d.ncalls);
	call_free(d.call);
	d.call = NULL;

	d.pkt = qc;
	d.len = 2;
	admit_seen = 99;
	CHECK(pkt_dispatch(flagged, 2, qc, 2, admit_cb, &d) == PKT_HANDLED, "qC");
	CHECK(admit_seen == 0, "admit saw flags %u for an unflagged row", admit_seen);
	call_free(d.call);
	d.call = NULL;

	/* a row whose parameters do not parse is not admitted: bad params */
	admit_seen = 99;
	CHECK(pkt_dispatch(flagged, 2, bad, 3, admit_cb, &d) == PKT_BAD_PARAMS, "mzz");
	CHECK(admit_seen == 99, "admit called for a packet that did not parse");
}

static void test_dispatch_bad_params(void)
{
	dispatch("mzz,4", PKT_BAD_PARAMS, NULL);
	dispatch("m", PKT_BAD_PARAMS, NULL);
	dispatch("m10", PKT_BAD_PARAMS, NULL);
	dispatch("m10,", PKT_BAD_PARAMS, NULL);
	dispatch("m10,4,", PKT_BAD_PARAMS, NULL);
	dispatch("m10000000000000000,4", PKT_BAD_PARAMS, NULL);
	dispatch("M10,2:abc", PKT_BAD_PARAMS, NULL);
	dispatch("M10,2:zz", PKT_BAD_PARAMS, NULL);
	dispatch("M10,2", PKT_BAD_PARAMS, NULL);
	dispatch("X10,1", PKT_BAD_PARAMS, NULL);
	dispatch("Z0,1000", PKT_BAD_PARAMS, NULL);
	dispatch("Z0,1000,1,", PKT_BAD_PARAMS, NULL);
	dispatch("Hgxyz", PKT_BAD_PARAMS, NULL);
	dispatch("Hg", PKT_BAD_PARAMS, NULL);
	dispatch("Hc-2", PKT_BAD_PARAMS, NULL);
	dispatch("vCont;q", PKT_BAD_PARAMS, NULL);
	dispatch("vCont;", PKT_BAD_PARAMS, NULL);
	dispatch("vCont;s:1;c:", PKT_BAD_PARAMS, NULL);
	dispatch("qRcmd,6", PKT_BAD_PARAMS, NULL);
	dispatch("qRcmd,zz", PKT_BAD_PARAMS, NULL);
	dispatch("qXfer:features:read:target.xml", PKT_BAD_PARAMS, NULL);
	dispatch("qXfer:features:read:target.xml:0", PKT_BAD_PARAMS, NULL);
}

/* Action lists given to handlers are released by the dispatcher (LSan). */
static void test_dispatch_release(void)
{
	for (int i = 0; i < 200; i++) {
		call_free(dispatch("vCont;s:1;c;C05:2;r1000,2000:3", PKT_HANDLED, "h_vcont"));
		dispatch("vCont;s:1;c;q", PKT_BAD_PARAMS, NULL);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* A failed check fails its test and the run goes on to the next. */
	g_test_set_nonfatal_assertions();

	g_test_add_func("/packets/parse/x", test_parse_x);
	g_test_add_func("/packets/parse/len", test_parse_len);
	g_test_add_func("/packets/parse/t", test_parse_t);
	g_test_add_func("/packets/parse/s", test_parse_s);
	g_test_add_func("/packets/parse/H", test_parse_H);
	g_test_add_func("/packets/parse/b", test_parse_b);
	g_test_add_func("/packets/parse/A", test_parse_A);
	g_test_add_func("/packets/parse/A-malformed", test_parse_A_bad);
	g_test_add_func("/packets/parse/A-release", test_parse_A_release);
	g_test_add_func("/packets/parse/literals", test_parse_literals);
	g_test_add_func("/packets/parse/trailing", test_parse_trailing);
	g_test_add_func("/packets/parse/max-params", test_parse_max_params);
	g_test_add_func("/packets/dispatch/gdb-packets", test_dispatch_gdb_packets);
	g_test_add_func("/packets/dispatch/same-name", test_dispatch_same_name);
	g_test_add_func("/packets/dispatch/unknown", test_dispatch_unknown);
	g_test_add_func("/packets/dispatch/exact", test_dispatch_exact);
	g_test_add_func("/packets/dispatch/admit", test_dispatch_admit);
	g_test_add_func("/packets/dispatch/bad-params", test_dispatch_bad_params);
	g_test_add_func("/packets/dispatch/release", test_dispatch_release);
	return g_test_run();
}
