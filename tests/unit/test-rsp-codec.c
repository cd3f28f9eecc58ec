/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-rsp-codec.c - unit tests of the gdb Remote Serial Protocol framing
 * codec (src/dbgproxyd/core/rsp-codec.h).
 *
 * These tests are an independent check of src/dbgproxyd/core/rsp-codec.c: every expected
 * byte and event below was derived from the contract in src/dbgproxyd/core/rsp-codec.h and
 * from the gdb manual, appendix "Remote Protocol", node "Overview":
 *
 *   - a packet is '$' packet-data '#' checksum; the checksum is two hex
 *     digits, the modulo-256 sum of the packet-data bytes as transmitted
 *     (i.e. after escaping);
 *   - '+' / '-' acknowledge a packet, 0x03 outside a packet is an interrupt;
 *   - binary data is escaped as '}' (0x7d) followed by the byte XOR 0x20,
 *     and '#', '$', '}' and '*' must be escaped.
 *
 * Checksums were computed by hand from that definition (e.g. "OK" is
 * 0x4f + 0x4b = 0x9a), never taken from the codec.  Only the public API of
 * rsp-codec.h is used.
 *
 * Event sequences are compared as text ("PACKET[3]:a\x03b JUNK(0x78) ACK"),
 * so a failure shows the whole expected and actual stream of events.
 *
 * Readings of the header that the tests rely on (not spelt out word for
 * word there):
 *   - a checksum field with a non-hex digit cannot match, so the packet is
 *     a whole packet with a bad checksum: RSP_EV_BAD_CHECKSUM;
 *   - a raw '$' inside a packet (it cannot be payload: '$' must be escaped)
 *     starts a new packet; the half packet before it gives no event;
 *   - after rsp_decoder_reset() the decoder is outside any packet, so bytes
 *     up to the next '$' are junk;
 *   - the encoder escapes exactly '$', '#', '}' and '*' and writes the
 *     checksum as two lowercase hex digits (the manual's and gdb's form).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "rsp-codec.h"

#include "check.h"

#define BIG_MAX 65536u

/* ---- event recording ----------------------------------------------------- */

struct rec {
	GString *text;      /* events described as text, space separated */
	GPtrArray *packets; /* GBytes of every RSP_EV_PACKET payload */
	unsigned n_events;
	unsigned n_packets;
	const char *what;   /* the case, for messages from the callback */
};

static void rec_init(struct rec *r, const char *what)
{
	r->text = g_string_new(NULL);
	r->packets = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	r->n_events = 0;
	r->n_packets = 0;
	r->what = what;
}

static void rec_clear(struct rec *r)
{
	g_string_free(r->text, TRUE);
	g_ptr_array_unref(r->packets);
}

/* Bytes as text, injectively: printable ASCII but '\\' as is, else \xHH. */
static void describe_bytes(GString *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			g_string_append_c(s, (char)p[i]);
		else
			g_string_append_printf(s, "\\x%02x", p[i]);
	}
}

static void on_event(void *ctx, const struct rsp_event *ev)
{
	struct rec *r = ctx;

	if (r->text->len)
		g_string_append_c(r->text, ' ');
	r->n_events++;
	switch (ev->type) {
	case RSP_EV_PACKET:
		r->n_packets++;
		CHECK(ev->data != NULL, "%s: RSP_EV_PACKET with data == NULL", r->what);
		if (!ev->data) {
			g_string_append(r->text, "PACKET(null)");
			break;
		}
		CHECK(ev->data[ev->len] == '\0',
		      "%s: RSP_EV_PACKET payload of len %zu not NUL-terminated (0x%02x)",
		      r->what, ev->len, (uint8_t)ev->data[ev->len]);
		g_string_append_printf(r->text, "PACKET[%zu]:", ev->len);
		describe_bytes(r->text, ev->data, ev->len);
		g_ptr_array_add(r->packets, g_bytes_new(ev->data, ev->len));
		break;
	case RSP_EV_BAD_CHECKSUM:
		g_string_append(r->text, "BADCS");
		break;
	case RSP_EV_OVERSIZE:
		g_string_append(r->text, "OVERSIZE");
		break;
	case RSP_EV_ACK:
		g_string_append(r->text, "ACK");
		break;
	case RSP_EV_NAK:
		g_string_append(r->text, "NAK");
		break;
	case RSP_EV_INTERRUPT:
		g_string_append(r->text, "INTR");
		break;
	case RSP_EV_JUNK:
		g_string_append_printf(r->text, "JUNK(0x%02x)", ev->byte);
		break;
	default:
		CHECK(0, "%s: unknown event type %d", r->what, (int)ev->type);
		g_string_append_printf(r->text, "TYPE%d", (int)ev->type);
		break;
	}
}

/* Feed one piece in a buffer of its own, so ASan sees reads past it. */
static void feed_piece(struct rsp_decoder *d, const uint8_t *p, size_t len, struct rec *r)
{
	uint8_t *copy = g_malloc(len ? len : 1);

	if (len)
		memcpy(copy, p, len);
	rsp_decoder_feed(d, copy, len, on_event, r);
	g_free(copy);
}

/* ---- expected events ------------------------------------------------------- */

enum { X_END = -1 };

struct exp {
	int type;
	const char *data; /* RSP_EV_PACKET */
	size_t len;
	uint8_t byte;     /* RSP_EV_JUNK */
};

#define P(s)    { RSP_EV_PACKET, (s), sizeof(s) - 1, 0 }
#define BADCS   { RSP_EV_BAD_CHECKSUM, NULL, 0, 0 }
#define OVS     { RSP_EV_OVERSIZE, NULL, 0, 0 }
#define ACK     { RSP_EV_ACK, NULL, 0, 0 }
#define NAK     { RSP_EV_NAK, NULL, 0, 0 }
#define INTR    { RSP_EV_INTERRUPT, NULL, 0, 0 }
#define J(b)    { RSP_EV_JUNK, NULL, 0, (uint8_t)(b) }
#define END     { X_END, NULL, 0, 0 }

static char *describe_exp(const struct exp *e)
{
	GString *s = g_string_new(NULL);

	for (; e->type != X_END; e++) {
		if (s->len)
			g_string_append_c(s, ' ');
		switch (e->type) {
		case RSP_EV_PACKET:
			g_string_append_printf(s, "PACKET[%zu]:", e->len);
			describe_bytes(s, e->data, e->len);
			break;
		case RSP_EV_BAD_CHECKSUM: g_string_append(s, "BADCS"); break;
		case RSP_EV_OVERSIZE: g_string_append(s, "OVERSIZE"); break;
		case RSP_EV_ACK: g_string_append(s, "ACK"); break;
		case RSP_EV_NAK: g_string_append(s, "NAK"); break;
		case RSP_EV_INTERRUPT: g_string_append(s, "INTR"); break;
		case RSP_EV_JUNK: g_string_append_printf(s, "JUNK(0x%02x)", e->byte); break;
		default: g_assert_not_reached();
		}
	}
	return g_string_free(s, FALSE);
}

/* Decode in with a fresh decoder, cutting it at the given positions
 * (ascending, each <= len), and compare with the expected events. */
static bool check_cuts(const char *what, size_t max, const uint8_t *in, size_t len,
		       const size_t *cuts, size_t ncuts, const char *want)
{
	bool ok;

	struct rsp_decoder *d = rsp_decoder_new(max);
	struct rec r;
	size_t pos = 0;

	rec_init(&r, what);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		g_assert_cmpuint(end, >=, pos);
		feed_piece(d, in + pos, end - pos, &r);
		pos = end;
	}
	if (strcmp(r.text->str, want) != 0) {
		GString *c = g_string_new(NULL);

		for (size_t i = 0; i < ncuts; i++)
			g_string_append_printf(c, "%s%zu", i ? "," : "", cuts[i]);
		CHECK(0, "%s (cut at [%s]):\n  expected: %s\n  got:      %s", what, c->str,
		      want, r.text->str);
		g_string_free(c, TRUE);
	}
	ok = strcmp(r.text->str, want) == 0;
	rec_clear(&r);
	rsp_decoder_free(d);
	return ok;
}

/* One feed, every split in two feeds (with an empty feed at both ends
 * too), and one byte per feed must all give the same events.  Only the
 * first failing way of feeding is reported. */
static void check_stream_max(const char *what, size_t max, const void *in_, size_t len,
			     const struct exp *e)
{
	const uint8_t *in = in_;
	g_autofree char *want = describe_exp(e);

	if (!check_cuts(what, max, in, len, NULL, 0, want))
		return;
	for (size_t i = 0; i <= len; i++)
		if (!check_cuts(what, max, in, len, &i, 1, want))
			return;
	{
		g_autofree size_t *cuts = g_new(size_t, len ? len : 1);

		for (size_t i = 0; i < len; i++)
			cuts[i] = i + 1;
		check_cuts(what, max, in, len, cuts, len ? len - 1 : 0, want);
	}
}

#define check_stream(what, s, ...)                                          \
	do {                                                                \
		static const struct exp e_[] = { __VA_ARGS__, END };        \
		check_stream_max((what), BIG_MAX, (s), sizeof(s) - 1, e_);  \
	} while (0)

/* ---- checksums --------------------------------------------------------------- */

static const struct {
	const char *payload; /* packet-data as transmitted */
	size_t len;
	const char *cs;      /* computed by hand from the definition */
} cs_table[] = {
#define CS(p, c) { p, sizeof(p) - 1, c }
	CS("qSupported", "37"),
	CS("g", "67"),
	CS("OK", "9a"),
	CS("", "00"),
	CS("?", "3f"),
	CS("c", "63"),
	CS("vCont;c", "a8"),
	CS("vCont?", "49"),
	CS("vCont;s:1", "23"),
	CS("m1000,4", "8e"),
	CS("m401000,40", "22"),
	CS("Hg0", "df"),
	CS("Hc-1", "09"),
	CS("vMustReplyEmpty", "3a"),
	CS("qAttached", "8f"),
	CS("QStartNoAckMode", "b0"),
	CS("qC", "b4"),
	CS("qTStatus", "49"),
	CS("qfThreadInfo", "bb"),
	CS("qsThreadInfo", "c8"),
	CS("qOffsets", "4b"),
	CS("qSymbol::", "5b"),
	CS("Z0,401136,1", "42"),
	CS("z0,401136,1", "62"),
	CS("p10", "d1"),
	CS("k", "6b"),
	CS("D", "44"),
	CS("E01", "a6"),
	CS("S05", "b8"),
	CS("T05thread:01;", "07"),
	CS("qXfer:features:read:target.xml:0,ffb", "79"),
	CS("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;"
	   "vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;"
	   "memory-tagging+;xmlRegisters=i386", "77"),
	CS("+-", "58"),
	CS("a\003b", "c6"),
	CS("a\000b", "c3"),
	CS("}\003", "80"),      /* escaped '#' */
	CS("}\004", "81"),      /* escaped '$' */
	CS("}]", "da"),         /* escaped '}' */
	CS("}\n", "87"),        /* escaped '*' */
	CS("} ", "9d"),         /* escaped 0x00 */
	CS("}\337", "5c"),      /* escaped 0xff */
	CS("X1000,4:}\003}\004}]}\n", "15"),
	CS("\377\377", "fe"),   /* wraps modulo 256 */
	CS("\200\200", "00"),
#undef CS
};

static unsigned hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	g_assert_not_reached();
}

static void test_checksum_function(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(cs_table); i++) {
		unsigned want = hexval(cs_table[i].cs[0]) << 4 | hexval(cs_table[i].cs[1]);
		uint8_t got = rsp_checksum(cs_table[i].payload, cs_table[i].len);

		CHECK(got == want, "rsp_checksum(\"%s\") = 0x%02x, expected 0x%02x",
		      cs_table[i].payload, got, want);
	}
	/* a longer sum: 256 bytes 0..255 sum to 255*128 = 0x7f80 -> 0x80 */
	{
		uint8_t all[256];

		for (unsigned i = 0; i < 256; i++)
			all[i] = (uint8_t)i;
		g_assert_cmphex(rsp_checksum(all, 256), ==, 0x80);
		g_assert_cmphex(rsp_checksum(all, 0), ==, 0x00);
	}
}

/* Each table packet, with lowercase and uppercase checksum digits, decodes
 * to its unescaped payload. */
static void unescape_ref(const char *in, size_t len, GByteArray *out)
{
	g_byte_array_set_size(out, 0);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)in[i];

		if (c == '}') {
			g_assert_cmpuint(i + 1, <, len);
			c = (uint8_t)in[++i] ^ 0x20;
		}
		g_byte_array_append(out, &c, 1);
	}
}

static void test_checksum_decode(void)
{
	GByteArray *payload = g_byte_array_new();

	for (size_t i = 0; i < G_N_ELEMENTS(cs_table); i++) {
		for (int upper = 0; upper < 2; upper++) {
			GByteArray *pkt = g_byte_array_new();
			char cs[2] = { cs_table[i].cs[0], cs_table[i].cs[1] };
			char *what;
			struct exp e[2] = { { RSP_EV_PACKET, NULL, 0, 0 }, END };

			if (upper) {
				cs[0] = g_ascii_toupper(cs[0]);
				cs[1] = g_ascii_toupper(cs[1]);
			}
			g_byte_array_append(pkt, (const guint8 *)"$", 1);
			g_byte_array_append(pkt, (const guint8 *)cs_table[i].payload,
					    (guint)cs_table[i].len);
			g_byte_array_append(pkt, (const guint8 *)"#", 1);
			g_byte_array_append(pkt, (const guint8 *)cs, 2);
			unescape_ref(cs_table[i].payload, cs_table[i].len, payload);
			e[0].data = (const char *)payload->data;
			e[0].len = payload->len;
			what = g_strdup_printf("table packet %zu (%s) checksum %.2s", i,
					       cs_table[i].payload, cs);
			check_stream_max(what, BIG_MAX, pkt->data, pkt->len, e);
			g_free(what);
			g_byte_array_unref(pkt);
		}
	}
	g_byte_array_unref(payload);
}

/* ---- decoding ------------------------------------------------------------------ */

static void test_decode_basic(void)
{
	check_stream("qSupported", "$qSupported#37", P("qSupported"));
	check_stream("g", "$g#67", P("g"));
	check_stream("OK", "$OK#9a", P("OK"));
	check_stream("empty packet", "$#00", P(""));
	check_stream("uppercase checksum", "$OK#9A", P("OK"));
	check_stream("mixed-case checksum", "$T05thread:01;#07$vCont;c#A8$vCont?#49",
		     P("T05thread:01;"), P("vCont;c"), P("vCont?"));
	check_stream("ack", "+", ACK);
	check_stream("nak", "-", NAK);
	check_stream("acks", "++-+--", ACK, ACK, NAK, ACK, NAK, NAK);
	check_stream("interrupt", "\003", INTR);
	check_stream("ack then packet", "+$g#67", ACK, P("g"));
	check_stream("nothing", "", END);
}

static void test_decode_many(void)
{
	/* a gdb session start-up, in one stream */
	check_stream("handshake",
		     "+$qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;"
		     "vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;"
		     "memory-tagging+;xmlRegisters=i386#77+$vMustReplyEmpty#3a+$Hg0#df+"
		     "$qXfer:features:read:target.xml:0,ffb#79+$qTStatus#49+$?#3f+"
		     "$qfThreadInfo#bb+$qsThreadInfo#c8+$qAttached#8f+$Hc-1#09+$qC#b4+"
		     "$qOffsets#4b+$g#67+$m401000,40#22+$qSymbol::#5b",
		     ACK,
		     P("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;"
		       "vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;"
		       "memory-tagging+;xmlRegisters=i386"),
		     ACK, P("vMustReplyEmpty"), ACK, P("Hg0"), ACK,
		     P("qXfer:features:read:target.xml:0,ffb"), ACK, P("qTStatus"), ACK,
		     P("?"), ACK, P("qfThreadInfo"), ACK, P("qsThreadInfo"), ACK,
		     P("qAttached"), ACK, P("Hc-1"), ACK, P("qC"), ACK, P("qOffsets"), ACK,
		     P("g"), ACK, P("m401000,40"), ACK, P("qSymbol::"));

	/* everything mixed: acks, interrupts, junk, escapes, bad checksums */
	check_stream("mixed stream",
		     "x+$g#67-\003$m1000,4#8e$}]}\003#5a$#00+$OK#9A\003\003$g#00$c#63+",
		     J('x'), ACK, P("g"), NAK, INTR, P("m1000,4"), P("}#"), P(""), ACK,
		     P("OK"), INTR, INTR, BADCS, P("c"), ACK);

	/* packets back to back with no acks between them (no-ack mode) */
	check_stream("no-ack mode", "+$QStartNoAckMode#b0+$qAttached#8f$g#67$Z0,401136,1#42"
		     "$vCont;c#a8\003$z0,401136,1#62$D#44",
		     ACK, P("QStartNoAckMode"), ACK, P("qAttached"), P("g"),
		     P("Z0,401136,1"), P("vCont;c"), INTR, P("z0,401136,1"), P("D"));
}

static void test_decode_interrupt(void)
{
	check_stream("interrupt between packets", "$vCont;c#a8\003$?#3f",
		     P("vCont;c"), INTR, P("?"));
	check_stream("interrupt before ack", "\003+", INTR, ACK);
	/* 0x03 inside a packet is packet data */
	check_stream("0x03 in payload", "$a\003b#c6", P("a\003b"));
	check_stream("0x03 in payload then interrupt", "$a\003b#c6\003", P("a\003b"), INTR);
	check_stream("only 0x03 in payload", "$\003#03", P("\003"));
	/* so are '+' and '-' */
	check_stream("+- in payload", "$+-#58", P("+-"));
	check_stream("qSupported features", "$qSupported:swbreak+;hwbreak-#d7",
		     P("qSupported:swbreak+;hwbreak-"));
}

static void test_decode_junk(void)
{
	check_stream("junk byte", "x", J('x'));
	check_stream("junk then packet", "abc$g#67", J('a'), J('b'), J('c'), P("g"));
	check_stream("junk between packets", "$g#67\r\n$c#63", P("g"), J('\r'), J('\n'),
		     P("c"));
	/* framing characters other than '$' outside a packet are junk */
	check_stream("stray framing", "#67}*$OK#9a", J('#'), J('6'), J('7'), J('}'), J('*'),
		     P("OK"));
	check_stream("NUL and 0xff junk", "\000\377\200$g#67\000", J(0x00), J(0xff), J(0x80),
		     P("g"), J(0x00));
	check_stream("junk among acks", "+ -\003z", ACK, J(' '), NAK, INTR, J('z'));
}

static void test_decode_bad_checksum(void)
{
	check_stream("bad checksum", "$g#68", BADCS);
	check_stream("bad checksum then good", "$g#68$g#67", BADCS, P("g"));
	check_stream("bad checksum, retransmit", "$m1000,4#8f-$m1000,4#8e+",
		     BADCS, NAK, P("m1000,4"), ACK);
	check_stream("digits swapped", "$OK#a9$OK#9a", BADCS, P("OK"));
	check_stream("empty packet bad checksum", "$#01$#00", BADCS, P(""));
	check_stream("checksum off by 0x10", "$qC#a4+", BADCS, ACK);
	/* a checksum over the unescaped instead of the escaped bytes */
	check_stream("checksum of unescaped bytes", "$}]#7d$}]#da", BADCS, P("}"));
	/* non-hex digits in the checksum field never match */
	check_stream("non-hex checksum zz", "$g#zz$g#67", BADCS, P("g"));
	check_stream("non-hex first digit", "$g#g7$g#67", BADCS, P("g"));
	check_stream("non-hex second digit", "$g#6g$g#67", BADCS, P("g"));
	check_stream("non-hex G digit", "$qC#bG$qC#b4", BADCS, P("qC"));
	check_stream("space in checksum", "$g# 7\003", BADCS, INTR);
	check_stream("sign in checksum", "$g#+7+", BADCS, ACK);
	check_stream("0x prefix checksum", "$#0x$#00", BADCS, P(""));
}

static void test_decode_escapes(void)
{
	/* the four characters that must be escaped */
	check_stream("escaped #", "$}\003#80", P("#"));
	check_stream("escaped $", "$}\004#81", P("$"));
	check_stream("escaped }", "$}]#da", P("}"));
	check_stream("escaped *", "$}\n#87", P("*"));
	check_stream("X packet", "$X1000,4:}\003}\004}]}\n#15", P("X1000,4:#$}*"));
	/* any byte may be escaped */
	check_stream("escaped 0x00", "$} #9d", P("\000"));
	check_stream("escaped 0xff", "$}\337#5c", P("\377"));
	check_stream("escaped A", "$}a#de", P("A"));
	/* ("}#" and "}$", escaped 0x03 and 0x04, are left out: no sender
	 * escapes them, and real decoders end or restart the packet there) */
	check_stream("escaped + and -", "$}\013}\015#12", P("+-"));
	check_stream("escapes and text", "$a}\003b}]c#80", P("a#b}c"));
}

/* Every byte value, escaped, decodes to itself; and unescaped where the
 * manual allows it (all but '$', '#', '}', '*'). */
static void test_decode_escape_all_bytes(void)
{
	for (unsigned c = 0; c < 256; c++) {
		uint8_t in[8];
		uint8_t byte = (uint8_t)c;
		struct exp e[2] = { { RSP_EV_PACKET, (const char *)&byte, 1, 0 }, END };
		char *what;
		uint8_t sum;

		/* "$" "}" (c ^ 0x20) "#" cs */
		in[0] = '$';
		in[1] = '}';
		in[2] = (uint8_t)(c ^ 0x20);
		sum = (uint8_t)(in[1] + in[2]);
		in[3] = '#';
		in[4] = "0123456789abcdef"[sum >> 4];
		in[5] = "0123456789abcdef"[sum & 15];
		what = g_strdup_printf("escaped byte 0x%02x", c);
		/* not "}#", "}$": see test_decode_escapes() */
		if (in[2] != '#' && in[2] != '$')
			check_stream_max(what, BIG_MAX, in, 6, e);
		g_free(what);

		if (c == '$' || c == '#' || c == '}' || c == '*')
			continue;
		in[1] = byte;
		in[2] = '#';
		in[3] = "0123456789abcdef"[byte >> 4];
		in[4] = "0123456789abcdef"[byte & 15];
		what = g_strdup_printf("raw byte 0x%02x", c);
		check_stream_max(what, BIG_MAX, in, 5, e);
		g_free(what);
	}
}

static void test_decode_nul_payload(void)
{
	check_stream("NUL in payload", "$a\000b#c3", P("a\000b"));
	check_stream("only NULs", "$\000\000\000#00", P("\000\000\000"));
	check_stream("escaped NULs", "$} } #3a", P("\000\000"));
	check_stream("trailing NUL", "$OK\000#9a", P("OK\000"));

	/* len is the full length and data[len] == 0 even right after a longer
	 * packet (stale bytes in a reused buffer) */
	check_stream("short after long", "$qSupported#37$g#67$#00",
		     P("qSupported"), P("g"), P(""));
}

/* A raw '$' can only start a packet: the half packet before it is
 * dropped and the new one decoded. */
static void test_decode_restart(void)
{
	check_stream("$ restarts", "$ab$g#67", P("g"));
	check_stream("$ restarts after escape-free text", "$m1000$m1000,4#8e",
		     P("m1000,4"));
	check_stream("$ right after $", "$$OK#9a", P("OK"));
	check_stream("$ restarts, then more", "$qSupp$qC#b4+$g#67", P("qC"), ACK, P("g"));
	/* a 0x03 in the dropped half was payload, not an interrupt */
	check_stream("$ restarts after 0x03", "$a\003$g#67", P("g"));
}

static void test_reset(void)
{
	struct rsp_decoder *d = rsp_decoder_new(BIG_MAX);
	struct rec r;
	static const struct {
		const char *what, *before, *after, *want;
	} cases[] = {
		{ "half payload", "$abc", "$g#67", "PACKET[1]:g" },
		{ "half payload, then text", "$abc", "ab#00$g#67",
		  "JUNK(0x61) JUNK(0x62) JUNK(0x23) JUNK(0x30) JUNK(0x30) PACKET[1]:g" },
		{ "after '$'", "$", "OK#9a+", "JUNK(0x4f) JUNK(0x4b) JUNK(0x23) JUNK(0x39) "
		  "JUNK(0x61) ACK" },
		{ "inside an escape", "$}", "]#da$}]#da", "JUNK(0x5d) JUNK(0x23) JUNK(0x64) "
		  "JUNK(0x61) PACKET[1]:}" },
		{ "after '#'", "$g#", "67$g#67", "JUNK(0x36) JUNK(0x37) PACKET[1]:g" },
		{ "inside checksum", "$g#6", "7$g#67", "JUNK(0x37) PACKET[1]:g" },
		{ "between packets", "$g#67", "$c#63", "PACKET[1]:c" },
		{ "fresh decoder", "", "\003$?#3f", "INTR PACKET[1]:?" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		rec_init(&r, cases[i].what);
		rsp_decoder_reset(d);
		feed_piece(d, (const uint8_t *)cases[i].before, strlen(cases[i].before), &r);
		g_string_truncate(r.text, 0);
		rsp_decoder_reset(d);
		feed_piece(d, (const uint8_t *)cases[i].after, strlen(cases[i].after), &r);
		CHECK(strcmp(r.text->str, cases[i].want) == 0,
		      "reset %s: \"%s\" reset \"%s\":\n  expected: %s\n  got:      %s",
		      cases[i].what, cases[i].before, cases[i].after, cases[i].want,
		      r.text->str);
		rec_clear(&r);
	}
	/* reset twice and on a fresh decoder are harmless */
	rsp_decoder_reset(d);
	rsp_decoder_reset(d);
	rsp_decoder_free(d);
	d = rsp_decoder_new(16);
	rsp_decoder_reset(d);
	rec_init(&r, "reset fresh");
	feed_piece(d, (const uint8_t *)"$g#67", 5, &r);
	g_assert_cmpstr(r.text->str, ==, "PACKET[1]:g");
	rec_clear(&r);
	rsp_decoder_free(d);
}

/* Two decoders fed alternately keep their own state. */
static void test_decode_independent(void)
{
	static const char s1[] = "+$m1000,4#8e\003$}]#da";
	static const char s2[] = "$qSupported#37-$g#68x";
	struct rsp_decoder *d1 = rsp_decoder_new(BIG_MAX), *d2 = rsp_decoder_new(8);
	struct rec r1, r2;

	rec_init(&r1, "decoder 1");
	rec_init(&r2, "decoder 2");
	for (size_t i = 0; i < sizeof(s1) - 1 || i < sizeof(s2) - 1; i++) {
		if (i < sizeof(s1) - 1)
			feed_piece(d1, (const uint8_t *)s1 + i, 1, &r1);
		if (i < sizeof(s2) - 1)
			feed_piece(d2, (const uint8_t *)s2 + i, 1, &r2);
	}
	g_assert_cmpstr(r1.text->str, ==, "ACK PACKET[7]:m1000,4 INTR PACKET[1]:}");
	g_assert_cmpstr(r2.text->str, ==, "OVERSIZE NAK BADCS JUNK(0x78)");
	rec_clear(&r1);
	rec_clear(&r2);
	rsp_decoder_free(d1);
	rsp_decoder_free(d2);
}

/* Three feeds cut at every pair of positions, for a stream with every
 * kind of event, escapes and checksums straddling the cuts. */
static void test_decode_three_way_splits(void)
{
	static const char s[] = "+$X10,3:}\003}]\000#ac-\003z$g#68$OK#9A$}\337#5c";
	static const struct exp e[] = {
		ACK, P("X10,3:#}\000"), NAK, INTR, J('z'), BADCS, P("OK"), P("\377"), END,
	};
	size_t len = sizeof(s) - 1;
	g_autofree char *want = describe_exp(e);

	/* only the first failing cut is reported */
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j++) {
			size_t cuts[2] = { i, j };

			if (!check_cuts("three-way", BIG_MAX, (const uint8_t *)s, len, cuts, 2,
					want))
				return;
		}
	}
}

/* ---- oversize ---------------------------------------------------------------------- */

/* "$" + payload + "#" + checksum, checksum computed here. */
static GByteArray *frame_raw(const void *payload, size_t len)
{
	GByteArray *b = g_byte_array_new();
	uint8_t sum = 0;
	char cs[3];

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + ((const uint8_t *)payload)[i]);
	g_byte_array_append(b, (const guint8 *)"$", 1);
	g_byte_array_append(b, payload, (guint)len);
	g_snprintf(cs, sizeof(cs), "%02x", sum);
	g_byte_array_append(b, (const guint8 *)"#", 1);
	g_byte_array_append(b, (const guint8 *)cs, 2);
	return b;
}

static void test_oversize_small(void)
{
	static const struct exp ok4[] = { P("aaaa"), P("g"), END };
	static const struct exp over[] = { OVS, P("g"), END };
	static const struct exp esc_ok[] = { P("}}"), P("g"), END };
	static const struct exp esc_ok3[] = { P("ab}"), P("g"), END };
	static const struct exp empty[] = { P(""), P("g"), END };

	/* max 4: four raw bytes fit, five do not */
	check_stream_max("max 4, 4 bytes", 4, "$aaaa#84$g#67", 13, ok4);
	check_stream_max("max 4, 5 bytes", 4, "$aaaaa#e5$g#67", 14, over);
	check_stream_max("max 4, 9 bytes", 4, "$aaaaaaaaa#69$g#67", 18, over);
	/* the maximum counts escaped bytes: "}]}]" is 4 bytes for 2 */
	check_stream_max("max 4, 2 escapes", 4, "$}]}]#b4$g#67", 13, esc_ok);
	check_stream_max("max 4, 3 chars 1 escape", 4, "$ab}]#9d$g#67", 13, esc_ok3);
	check_stream_max("max 4, 3 escapes (3 decoded bytes)", 4, "$}]}]}]#8e$g#67", 15,
			 over);
	check_stream_max("max 4, escape straddling the limit", 4, "$abc}]#00$g#67", 14,
			 over);
	/* max 0: only the empty packet fits */
	check_stream_max("max 0, empty", 0, "$#00$g#67", 9, (const struct exp[]){ P(""),
			 OVS, END });
	check_stream_max("max 0, g then empty", 0, "$g#67$#00", 9,
			 (const struct exp[]){ OVS, P(""), END });
	check_stream_max("max 1", 1, "$#00$g#67", 9, empty);
}

static void test_oversize_large(void)
{
	const size_t max = 4096;

	for (size_t n = max - 2; n <= max + 2; n++) {
		uint8_t *payload = g_malloc(n);
		GByteArray *s;
		struct exp e[4];
		char *what;

		for (size_t i = 0; i < n; i++)
			payload[i] = (uint8_t)"0123456789abcdef"[(i * 7) % 16];
		s = frame_raw(payload, n);
		g_byte_array_append(s, (const guint8 *)"+$OK#9a", 7);
		if (n <= max)
			e[0] = (struct exp){ RSP_EV_PACKET, (const char *)payload, n, 0 };
		else
			e[0] = (struct exp){ RSP_EV_OVERSIZE, NULL, 0, 0 };
		e[1] = (struct exp)ACK;
		e[2] = (struct exp)P("OK");
		e[3] = (struct exp)END;
		what = g_strdup_printf("max %zu, %zu bytes", max, n);
		/* one feed, byte by byte, and a handful of two-way cuts */
		{
			char *want = describe_exp(e);
			size_t cuts[] = { 0, 1, 2, n / 2, n, n + 1, n + 2, n + 3, n + 4,
					  s->len };
			size_t *bytes = g_new(size_t, s->len);

			check_cuts(what, max, s->data, s->len, NULL, 0, want);
			for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++)
				if (!check_cuts(what, max, s->data, s->len, &cuts[i], 1, want))
					break;
			for (size_t i = 0; i + 1 < s->len; i++)
				bytes[i] = i + 1;
			check_cuts(what, max, s->data, s->len, bytes, s->len - 1, want);
			g_free(bytes);
			g_free(want);
		}
		g_free(what);
		g_byte_array_unref(s);
		g_free(payload);
	}
}

/* OVERSIZE is reported once, at the end of the packet, not while it
 * arrives. */
static void test_oversize_once_at_end(void)
{
	struct rsp_decoder *d = rsp_decoder_new(16);
	struct rec r;
	uint8_t chunk[100];

	memset(chunk, 'a', sizeof(chunk));
	rec_init(&r, "oversize at end");
	feed_piece(d, (const uint8_t *)"$", 1, &r);
	for (int i = 0; i < 100; i++) /* 10000 'a' in pieces */
		feed_piece(d, chunk, sizeof(chunk), &r);
	CHECK(r.n_events == 0, "events before the end of an oversize packet: %s",
	      r.text->str);
	feed_piece(d, (const uint8_t *)"#", 1, &r);
	CHECK(r.n_events == 0, "events before the checksum of an oversize packet: %s",
	      r.text->str);
	feed_piece(d, (const uint8_t *)"1", 1, &r);
	CHECK(r.n_events == 0, "events before the 2nd checksum digit: %s", r.text->str);
	/* 10000 * 0x61 = 970000 = 0xecd10 -> 0x10 */
	feed_piece(d, (const uint8_t *)"0", 1, &r);
	g_assert_cmpstr(r.text->str, ==, "OVERSIZE");
	feed_piece(d, (const uint8_t *)"+$g#67", 6, &r);
	g_assert_cmpstr(r.text->str, ==, "OVERSIZE ACK PACKET[1]:g");
	rec_clear(&r);
	rsp_decoder_free(d);
}

/* ---- encoding ------------------------------------------------------------------------ */

static void check_encode(const char *what, const void *payload, size_t len,
			 const void *want, size_t wantlen)
{
	GByteArray *out = g_byte_array_new();
	GString *g = g_string_new(NULL), *w = g_string_new(NULL);

	rsp_encode_packet(out, payload, len);
	describe_bytes(g, out->data, out->len);
	describe_bytes(w, want, wantlen);
	CHECK(strcmp(g->str, w->str) == 0, "encode %s:\n  expected: %s\n  got:      %s", what,
	      w->str, g->str);
	g_string_free(g, TRUE);
	g_string_free(w, TRUE);
	g_byte_array_unref(out);
}

#define ENC(what, p, want) check_encode((what), (p), sizeof(p) - 1, (want), sizeof(want) - 1)

static void test_encode_plain(void)
{
	ENC("OK", "OK", "$OK#9a");
	ENC("empty", "", "$#00");
	ENC("g", "g", "$g#67");
	ENC("qSupported", "qSupported", "$qSupported#37");
	ENC("S05", "S05", "$S05#b8");
	ENC("E01", "E01", "$E01#a6");
	ENC("T05", "T05thread:01;", "$T05thread:01;#07");
	ENC("qXfer", "qXfer:features:read:target.xml:0,ffb",
	    "$qXfer:features:read:target.xml:0,ffb#79");
	ENC("0x03 is not escaped", "a\003b", "$a\003b#c6");
	ENC("NUL is not escaped", "a\000b", "$a\000b#c3");
	ENC("+- are not escaped", "+-", "$+-#58");

	/* each table entry that has no '}' in it is its own encoding */
	for (size_t i = 0; i < G_N_ELEMENTS(cs_table); i++) {
		GByteArray *want;
		bool plain = true;

		for (size_t j = 0; j < cs_table[i].len; j++)
			if (strchr("$#}*", cs_table[i].payload[j]) && cs_table[i].payload[j])
				plain = false;
		if (!plain)
			continue;
		want = frame_raw(cs_table[i].payload, cs_table[i].len);
		check_encode(cs_table[i].payload, cs_table[i].payload, cs_table[i].len,
			     want->data, want->len);
		g_byte_array_unref(want);
	}

	/* appends to what is already there */
	{
		GByteArray *out = g_byte_array_new();

		g_byte_array_append(out, (const guint8 *)"+", 1);
		rsp_encode_packet(out, "OK", 2);
		rsp_encode_packet(out, "", 0);
		g_assert_cmpuint(out->len, ==, 11);
		g_assert_cmpmem(out->data, out->len, "+$OK#9a$#00", 11);
		g_byte_array_unref(out);
	}
}

static void test_encode_escaped(void)
{
	ENC("#", "#", "$}\003#80");
	ENC("$", "$", "$}\004#81");
	ENC("}", "}", "$}]#da");
	ENC("*", "*", "$}\n#87");
	ENC("X payload", "X1000,4:#$}*", "$X1000,4:}\003}\004}]}\n#15");
	ENC("run of specials", "}}", "$}]}]#b4");
	ENC("text with specials", "a#b}c", "$a}\003b}]c#80");
	ENC("binary around specials", "\000#\377", "$\000}\003\377#7f");
}

/* Encode, check the framing independently, decode, compare. */
static void roundtrip(const char *what, const uint8_t *payload, size_t len, guint32 cutseed)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	struct rsp_decoder *d;
	struct rec r;
	uint8_t sum = 0;
	char cs[3];
	size_t raw = 0;

	rsp_encode_packet(out, payload, len);

	/* framing: '$' body '#' xx, no raw '$' '#' '*' in the body, every '}'
	 * followed by a byte that unescapes to one of the payload's bytes */
	CHECK(out->len >= 4 && out->data[0] == '$' && out->data[out->len - 3] == '#',
	      "%s: bad framing", what);
	if (out->len < 4)
		return;
	for (size_t i = 1; i < out->len - 3; i++) {
		uint8_t c = out->data[i];

		sum = (uint8_t)(sum + c);
		CHECK(c != '$' && c != '#' && c != '*', "%s: raw 0x%02x at %zu in the body",
		      what, c, i);
		if (c == '}') {
			CHECK(i + 1 < out->len - 3, "%s: '}' at the end of the body", what);
			if (i + 1 >= out->len - 3)
				return;
			c = out->data[++i];
			sum = (uint8_t)(sum + c);
			c ^= 0x20;
			CHECK(c == '$' || c == '#' || c == '}' || c == '*',
			      "%s: needless escape of 0x%02x", what, c);
		}
		CHECK(raw < len && payload[raw] == c,
		      "%s: body byte %zu decodes to 0x%02x, payload has 0x%02x", what, i, c,
		      raw < len ? payload[raw] : 0);
		raw++;
	}
	CHECK(raw == len, "%s: body holds %zu bytes, payload %zu", what, raw, len);
	g_snprintf(cs, sizeof(cs), "%02x", sum);
	CHECK(memcmp(out->data + out->len - 2, cs, 2) == 0,
	      "%s: checksum %.2s, expected %s", what, (const char *)out->data + out->len - 2,
	      cs);

	/* decode, in one feed and in random pieces */
	for (int pass = 0; pass < 2; pass++) {
		GRand *rnd = g_rand_new_with_seed(cutseed);
		size_t pos = 0;

		d = rsp_decoder_new(2 * len + 1);
		rec_init(&r, what);
		while (pos < out->len) {
			size_t n = pass == 0 ? out->len : (size_t)g_rand_int_range(rnd, 1, 40);

			if (n > out->len - pos)
				n = out->len - pos;
			feed_piece(d, out->data + pos, n, &r);
			pos += n;
		}
		CHECK(r.n_events == 1 && r.n_packets == 1,
		      "%s (pass %d): %u events, %u packets: %.200s", what, pass, r.n_events,
		      r.n_packets, r.text->str);
		if (r.n_packets == 1) {
			GBytes *b = g_ptr_array_index(r.packets, 0);
			size_t blen;
			const void *bd = g_bytes_get_data(b, &blen);

			CHECK(blen == len && (len == 0 || memcmp(bd, payload, len) == 0),
			      "%s (pass %d): round trip gave %zu bytes for %zu (or different)",
			      what, pass, blen, len);
		}
		rec_clear(&r);
		rsp_decoder_free(d);
		g_rand_free(rnd);
	}
}

static void test_roundtrip_specials(void)
{
	static const struct {
		const char *p;
		size_t len;
	} t[] = {
#define RT(s) { s, sizeof(s) - 1 }
		RT("$"), RT("#"), RT("}"), RT("*"), RT("$#}*"), RT("*}#$"),
		RT("}}}}"), RT("$$##"), RT("X1000,4:#$}*"), RT("a*3"), RT("0* "),
		RT("}\003"), RT("\003"), RT("}]"), RT("#00"), RT("$g#67"), RT("\000*\000"),
		RT("+-+-"), RT(""),
#undef RT
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		GString *what = g_string_new("specials ");

		describe_bytes(what, t[i].p, t[i].len);
		roundtrip(what->str, (const uint8_t *)t[i].p, t[i].len, (guint32)i);
		g_string_free(what, TRUE);
	}
	/* every byte value alone, and all 256 in one payload */
	{
		uint8_t all[256];

		for (unsigned c = 0; c < 256; c++) {
			char *what = g_strdup_printf("byte 0x%02x", c);

			all[c] = (uint8_t)c;
			roundtrip(what, &all[c], 1, c);
			g_free(what);
		}
		roundtrip("all bytes", all, 256, 1);
	}
}

static void test_roundtrip_random(void)
{
	for (unsigned iter = 0; iter < 600; iter++) {
		size_t len = iter < 300 ? iter : (size_t)g_test_rand_int_range(0, 5000);
		uint8_t *p = g_malloc(len ? len : 1);
		guint32 bias = g_test_rand_int();
		char *what;

		for (size_t i = 0; i < len; i++) {
			/* a third of the payloads are mostly specials */
			if (bias % 3 == 0 && g_test_rand_int_range(0, 2))
				p[i] = (uint8_t)"$#}*"[g_test_rand_int_range(0, 4)];
			else
				p[i] = (uint8_t)g_test_rand_int();
		}
		what = g_strdup_printf("random payload %u (len %zu)", iter, len);
		roundtrip(what, p, len, g_test_rand_int());
		g_free(what);
		g_free(p);
	}
}

/* Many encoded packets, acks and interrupts in one stream, cut randomly. */
static void test_roundtrip_stream(void)
{
	for (unsigned iter = 0; iter < 50; iter++) {
		GByteArray *s = g_byte_array_new();
		GString *want = g_string_new(NULL);
		unsigned n = (unsigned)g_test_rand_int_range(1, 30);
		struct rsp_decoder *d = rsp_decoder_new(BIG_MAX);
		struct rec r;
		size_t pos = 0;

		for (unsigned k = 0; k < n; k++) {
			unsigned kind = (unsigned)g_test_rand_int_range(0, 6);

			if (want->len)
				g_string_append_c(want, ' ');
			if (kind == 0) {
				g_byte_array_append(s, (const guint8 *)"+", 1);
				g_string_append(want, "ACK");
			} else if (kind == 1) {
				g_byte_array_append(s, (const guint8 *)"-", 1);
				g_string_append(want, "NAK");
			} else if (kind == 2) {
				g_byte_array_append(s, (const guint8 *)"\003", 1);
				g_string_append(want, "INTR");
			} else {
				size_t len = (size_t)g_test_rand_int_range(0, 64);
				uint8_t p[64];

				for (size_t i = 0; i < len; i++)
					p[i] = (uint8_t)g_test_rand_int();
				rsp_encode_packet(s, p, len);
				g_string_append_printf(want, "PACKET[%zu]:", len);
				describe_bytes(want, p, len);
			}
		}
		rec_init(&r, "stream");
		while (pos < s->len) {
			size_t k = (size_t)g_test_rand_int_range(1, 50);

			if (k > s->len - pos)
				k = s->len - pos;
			feed_piece(d, s->data + pos, k, &r);
			pos += k;
		}
		CHECK(strcmp(r.text->str, want->str) == 0,
		      "stream %u:\n  expected: %s\n  got:      %s", iter, want->str, r.text->str);
		rec_clear(&r);
		rsp_decoder_free(d);
		g_string_free(want, TRUE);
		g_byte_array_unref(s);
	}
}

/* ---- hex helpers ------------------------------------------------------------------------ */

static void test_put_hex(void)
{
	GString *s = g_string_new(NULL);
	static const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff, 0x10,
					 0x9a };

	rsp_put_hex(s, bytes, sizeof(bytes));
	g_assert_cmpstr(s->str, ==, "00017f80abcdefff109a");
	g_assert_cmpuint(s->len, ==, 20);

	/* appends; zero bytes append nothing */
	g_string_assign(s, "m");
	rsp_put_hex(s, "\xde\xad\xbe\xef", 4);
	rsp_put_hex(s, "", 0);
	g_assert_cmpstr(s->str, ==, "mdeadbeef");

	/* every byte value, lowercase */
	g_string_truncate(s, 0);
	for (unsigned c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;
		char want[3];

		g_snprintf(want, sizeof(want), "%02x", c);
		rsp_put_hex(s, &b, 1);
		CHECK(s->len == 2 * (c + 1) && memcmp(s->str + 2 * c, want, 2) == 0,
		      "rsp_put_hex(0x%02x) gave \"%.2s\"", c, s->str + 2 * c);
	}
	/* text bytes: "OK" -> 4f4b (as in qRcmd replies) */
	g_string_truncate(s, 0);
	rsp_put_hex(s, "OK\n", 3);
	g_assert_cmpstr(s->str, ==, "4f4b0a");
	g_string_free(s, TRUE);
}

static void test_get_hex(void)
{
	uint8_t out[16];

	memset(out, 0x55, sizeof(out));
	g_assert_true(rsp_get_hex("deadbeef", 8, out, 4));
	g_assert_cmpmem(out, 4, "\xde\xad\xbe\xef", 4);
	g_assert_cmphex(out[4], ==, 0x55); /* nothing past len written */

	g_assert_true(rsp_get_hex("DEADBEEF", 8, out, 4));
	g_assert_cmpmem(out, 4, "\xde\xad\xbe\xef", 4);
	g_assert_true(rsp_get_hex("DeAdBeEf", 8, out, 4));
	g_assert_cmpmem(out, 4, "\xde\xad\xbe\xef", 4);
	g_assert_true(rsp_get_hex("00017f80abcdefff109a", 20, out, 10));
	g_assert_cmpmem(out, 10, "\x00\x01\x7f\x80\xab\xcd\xef\xff\x10\x9a", 10);
	g_assert_true(rsp_get_hex("0123456789ABCDEF", 16, out, 8));
	g_assert_cmpmem(out, 8, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	g_assert_true(rsp_get_hex("", 0, out, 0));

	/* textlen is honoured: the text need not end there */
	g_assert_true(rsp_get_hex("1234zz", 4, out, 2));
	g_assert_cmpmem(out, 2, "\x12\x34", 2);
	{
		/* not NUL-terminated, in a buffer of its own */
		char *t = g_malloc(4);

		memcpy(t, "a5F0", 4);
		g_assert_true(rsp_get_hex(t, 4, out, 2));
		g_assert_cmpmem(out, 2, "\xa5\xf0", 2);
		g_free(t);
	}

	/* every byte value, in both cases */
	for (unsigned c = 0; c < 256; c++) {
		char lo[3], up[3];

		g_snprintf(lo, sizeof(lo), "%02x", c);
		g_snprintf(up, sizeof(up), "%02X", c);
		out[0] = (uint8_t)~c;
		CHECK(rsp_get_hex(lo, 2, out, 1) && out[0] == c, "rsp_get_hex(\"%s\")", lo);
		out[0] = (uint8_t)~c;
		CHECK(rsp_get_hex(up, 2, out, 1) && out[0] == c, "rsp_get_hex(\"%s\")", up);
	}

	/* odd length and wrong length */
	g_assert_false(rsp_get_hex("abc", 3, out, 1));
	g_assert_false(rsp_get_hex("abc", 3, out, 2));
	g_assert_false(rsp_get_hex("a", 1, out, 1));
	g_assert_false(rsp_get_hex("a", 1, out, 0));
	g_assert_false(rsp_get_hex("abcd", 4, out, 1));
	g_assert_false(rsp_get_hex("abcd", 4, out, 3));
	g_assert_false(rsp_get_hex("ab", 2, out, 0));
	g_assert_false(rsp_get_hex("", 0, out, 1));
	g_assert_false(rsp_get_hex("abcdef", 5, out, 3));

	/* non-hex characters, including the neighbours of the hex ranges */
	{
		static const char bad[] = "gG/:@`xX -+.zZ\377\200";

		for (size_t i = 0; i < sizeof(bad) - 1; i++) {
			char t[5] = "a0b1";

			for (int posn = 0; posn < 4; posn++) {
				memcpy(t, "a0b1", 4);
				t[posn] = bad[i];
				CHECK(!rsp_get_hex(t, 4, out, 2),
				      "rsp_get_hex accepted 0x%02x at %d", (uint8_t)bad[i], posn);
			}
		}
		/* a NUL within textlen is not a digit either */
		g_assert_false(rsp_get_hex("a\0b1", 4, out, 2));
		g_assert_false(rsp_get_hex("0x12", 4, out, 2));
	}
}

int main(int argc, char **argv)
{
	/* A fixed seed for g_test_rand_int(), unless one is given after it. */
	char **args = g_new0(char *, (size_t)argc + 2);
	int nargs = argc + 1;

	args[0] = argv[0];
	args[1] = (char *)"--seed=R02S5ef2b1a1c2d3e4f50112233445566778";
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	g_test_init(&nargs, &args, NULL);
	/* A failed check fails its test and the run goes on to the next. */
	g_test_set_nonfatal_assertions();

	g_test_add_func("/rsp/codec/checksum/function", test_checksum_function);
	g_test_add_func("/rsp/codec/checksum/decode", test_checksum_decode);
	g_test_add_func("/rsp/codec/decode/basic", test_decode_basic);
	g_test_add_func("/rsp/codec/decode/many", test_decode_many);
	g_test_add_func("/rsp/codec/decode/interrupt", test_decode_interrupt);
	g_test_add_func("/rsp/codec/decode/junk", test_decode_junk);
	g_test_add_func("/rsp/codec/decode/bad-checksum", test_decode_bad_checksum);
	g_test_add_func("/rsp/codec/decode/escapes", test_decode_escapes);
	g_test_add_func("/rsp/codec/decode/escape-all-bytes", test_decode_escape_all_bytes);
	g_test_add_func("/rsp/codec/decode/nul-payload", test_decode_nul_payload);
	g_test_add_func("/rsp/codec/decode/restart", test_decode_restart);
	g_test_add_func("/rsp/codec/decode/reset", test_reset);
	g_test_add_func("/rsp/codec/decode/independent", test_decode_independent);
	g_test_add_func("/rsp/codec/decode/three-way-splits", test_decode_three_way_splits);
	g_test_add_func("/rsp/codec/oversize/small", test_oversize_small);
	g_test_add_func("/rsp/codec/oversize/large", test_oversize_large);
	g_test_add_func("/rsp/codec/oversize/once-at-end", test_oversize_once_at_end);
	g_test_add_func("/rsp/codec/encode/plain", test_encode_plain);
	g_test_add_func("/rsp/codec/encode/escaped", test_encode_escaped);
	g_test_add_func("/rsp/codec/roundtrip/specials", test_roundtrip_specials);
	g_test_add_func("/rsp/codec/roundtrip/random", test_roundtrip_random);
	g_test_add_func("/rsp/codec/roundtrip/stream", test_roundtrip_stream);
	g_test_add_func("/rsp/codec/hex/put", test_put_hex);
	g_test_add_func("/rsp/codec/hex/get", test_get_hex);

	return g_test_run();
}
