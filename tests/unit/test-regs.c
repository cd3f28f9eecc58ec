/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-regs.c - unit tests of target-description parsing (src/dbgproxyd/core/tdesc.h), the
 * x86-64 architecture binding (src/dbgproxyd/core/arch.h) and register handles and caches
 * (src/dbgproxyd/core/regs.h).
 *
 * An independent check of src/dbgproxyd/core/tdesc.c, src/dbgproxyd/core/regs.c and src/dbgproxyd/core/arch-x86.c: the
 * expectations come from those headers, proto/vmdbg.h and the gdb manual,
 * appendix "Target Descriptions" ("Target Description Format": <target>,
 * <architecture>, <feature name>, <reg name bitsize type regnum group>; a
 * register without regnum is numbered one past the previous register, the
 * first one 0; type defaults to "int") and "Standard Target Features" >
 * "i386 Features" (feature names org.gnu.gdb.i386.core, .sse, .avx,
 * .segments, .avx512).
 *
 * The x86-64 binding that the regset tests expect (gdb name -> VM register,
 * byte offset in the VM value, width gdb is given):
 *   rax..r15 (gdb order rax rbx rcx rdx rsi rdi rbp rsp r8..r15) -> GPR(0..15), 64
 *   rip -> RIP 64; eflags -> RFLAGS 32
 *   cs ss ds es fs gs -> SEL(0..5) (16-bit VM value), 32: zero-extended
 *   st0..7 -> ST(n) (U128 container), 80
 *   fctrl fstat ftag fiseg fioff foseg fooff fop -> FCTRL..FOP, 32
 *   xmm0..15 -> XMM(n) 128; mxcsr -> MXCSR 32; ymm0h..15h -> YMMH(n) 128
 *   zmm0h..15h -> ZMMH(n) 256; k0..7 -> K(n) 64
 *   xmm16..31 / ymm16h..31h / zmm16h..31h -> ZMM(n) at bytes 0 / 16 / 32,
 *     widths 128 / 128 / 256
 *   fs_base gs_base k_gs_base cr0 cr2 cr3 cr4 cr8 efer -> their ids, 64
 *
 * Readings of the headers that the tests rely on:
 *   - every tdesc_parse() failure is a GError in TDESC_ERROR (GMarkup errors
 *     included); errors about one <reg> name the register (when it has a
 *     name) and its line (struct tdesc_reg.line is "for messages"); line
 *     numbers are 1-based, as GMarkup counts them;
 *   - valid bitsizes are multiples of 8 from 8 to 2048 (regs.h: "1 to 256
 *     bytes per register"); a description needs at least one register;
 *     TDESC_MAX_BYTES and TDESC_MAX_REGS are inclusive limits;
 *   - tdesc_parse() reads only the len bytes it is given (XML is passed in a
 *     heap buffer of exactly len bytes, not NUL-terminated);
 *   - the "target.xml" annex is the description text as given;
 *   - regset_new() failures set a GError whose message names the register;
 *   - regset_matches() compares with the VM id list the regset was built
 *     from ("exactly these VM register ids");
 *   - regcache_fill() of a VM id the regset does not use returns false;
 *   - a VM register narrower than gdb's view (a 16-bit selector shown as 32
 *     bits) reads back zero-extended, and regcache_write() of it returns the
 *     VM-sized (2-byte) value, the low bytes of gdb's.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "arch.h"
#include "regs.h"
#include "tdesc.h"
#include "vmdbg.h"

#include "check.h"

#define SRC "target.xml"

/*
 * Under -fsanitize=address: GLib never frees a quark table it has outgrown
 * (g_intern_string(), by design, so that lock-free readers stay safe), and
 * the TDESC_MAX_REGS test interns 4096 register names.  Those blocks are
 * GLib's, not the code under test's; the suppressions need full stacks to
 * see g_intern_string().  Harmless in builds without the sanitizers.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:g_intern_string\n"
	       "leak:g_intern_static_string\n"
	       "leak:g_quark_from_string\n"
	       "leak:g_quark_from_static_string\n"
	       "leak:_dl_init\n";
}

/* ---- helpers ----------------------------------------------------------------- */

/* Parse from a heap buffer of exactly len bytes (no NUL), so ASan sees any
 * read past the text. */
static struct tdesc *parse_n(const char *xml, size_t len, GError **error)
{
	char *buf = g_malloc(len ? len : 1);
	struct tdesc *td;

	memcpy(buf, xml, len);
	td = tdesc_parse(SRC, buf, len, NULL, error);
	g_free(buf);
	return td;
}

static struct tdesc *parse_ok(const char *xml)
{
	GError *err = NULL;
	struct tdesc *td = parse_n(xml, strlen(xml), &err);

	CHECK(td != NULL, "tdesc_parse failed: %s", err ? err->message : "(no GError)");
	CHECK(td == NULL || err == NULL, "tdesc_parse succeeded but set a GError");
	g_clear_error(&err);
	return td;
}

static bool has_number(const char *msg, int n)
{
	char *re = g_strdup_printf("(?<![0-9])%d(?![0-9])", n);
	bool r = g_regex_match_simple(re, msg, 0, 0);

	g_free(re);
	return r;
}

static bool has_ci(const char *msg, const char *word)
{
	char *a = g_ascii_strdown(msg, -1);
	char *b = g_ascii_strdown(word, -1);
	bool r = strstr(a, b) != NULL;

	g_free(a);
	g_free(b);
	return r;
}

/* Expect a TDESC_ERROR.  line > 0: the message must contain that line
 * number; every non-NULL word must appear (case-insensitive); `any` is a
 * NULL-terminated list of which at least one must appear. */
static void parse_err_n(const char *what, const char *xml, size_t len, int line,
			const char *word1, const char *word2, const char *const *any)
{
	GError *err = NULL;
	struct tdesc *td = parse_n(xml, len, &err);

	CHECK(td == NULL, "%s: tdesc_parse succeeded, expected an error", what);
	if (td)
		tdesc_free(td);
	CHECK(err != NULL, "%s: no GError", what);
	if (!err)
		return;
	g_test_message("%s: \"%s\"", what, err->message);
	CHECK(err->domain == TDESC_ERROR, "%s: GError domain %s, expected TDESC_ERROR (\"%s\")",
	      what, g_quark_to_string(err->domain), err->message);
	CHECK(err->message && *err->message, "%s: empty message", what);
	if (line > 0)
		CHECK(has_number(err->message, line), "%s: message \"%s\" does not give line %d",
		      what, err->message, line);
	if (word1)
		CHECK(has_ci(err->message, word1), "%s: message \"%s\" does not mention \"%s\"",
		      what, err->message, word1);
	if (word2)
		CHECK(has_ci(err->message, word2), "%s: message \"%s\" does not mention \"%s\"",
		      what, err->message, word2);
	if (any) {
		bool found = false;
		for (const char *const *w = any; *w; w++)
			found = found || has_ci(err->message, *w);
		CHECK(found, "%s: message \"%s\" does not name the problem (%s...)", what,
		      err->message, any[0]);
	}
	if (!strstr(err->message, SRC))
		g_test_message("note: %s: message does not name the source \"%s\"", what, SRC);
	g_error_free(err);
}

static void parse_err(const char *what, const char *xml, int line, const char *word1,
		      const char *word2)
{
	parse_err_n(what, xml, strlen(xml), line, word1, word2, NULL);
}

#define BAD_LINE 17

/* A description whose line BAD_LINE is `bad`: inside the feature, after a
 * good register "rax" on line 6, or (outside) after the feature closed on
 * line 7. */
static char *doc_with(const char *bad, bool in_feature)
{
	GString *s = g_string_new(NULL);
	int line = 1;

	g_string_append(s, "<?xml version=\"1.0\"?>\n");                      /* 1 */
	g_string_append(s, "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n");   /* 2 */
	g_string_append(s, "<target version=\"1.0\">\n");                      /* 3 */
	g_string_append(s, "  <architecture>i386:x86-64</architecture>\n");    /* 4 */
	g_string_append(s, "  <feature name=\"org.example.test\">\n");         /* 5 */
	g_string_append(s, "    <reg name=\"rax\" bitsize=\"64\"/>\n");        /* 6 */
	line = 7;
	if (!in_feature) {
		g_string_append(s, "  </feature>\n");                          /* 7 */
		line++;
	}
	for (; line < BAD_LINE; line++)
		g_string_append(s, "\n");
	g_string_append_printf(s, "    %s\n", bad);                            /* 17 */
	if (in_feature)
		g_string_append(s, "  </feature>\n");
	g_string_append(s, "</target>\n");
	return g_string_free(s, FALSE);
}

static void reg_err(const char *what, const char *bad, const char *word1, const char *word2)
{
	char *xml = doc_with(bad, true);

	parse_err(what, xml, BAD_LINE, word1, word2);
	g_free(xml);
}

/* ---- tdesc_parse: valid descriptions -------------------------------------------- */

static const char basic_xml[] =
	"<?xml version=\"1.0\"?>\n"                                          /* 1 */
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"                      /* 2 */
	"<target version=\"1.0\">\n"                                         /* 3 */
	"  <architecture>i386:x86-64</architecture>\n"                       /* 4 */
	"  <feature name=\"org.gnu.gdb.i386.core\">\n"                       /* 5 */
	"    <reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>\n"            /* 6 */
	"    <reg name=\"rbx\" bitsize=\"64\"/>\n"                           /* 7 */
	"    <reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\" regnum=\"16\"/>\n" /* 8 */
	"    <reg name=\"eflags\" bitsize=\"32\" group=\"general\"></reg>\n" /* 9 */
	"  </feature>\n"                                                     /* 10 */
	"  <!-- a comment -->\n"                                             /* 11 */
	"  <feature name=\"org.gnu.gdb.i386.sse\">\n"                        /* 12 */
	"    <reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\"\n"           /* 13 */
	"         regnum=\"40\" group=\"vector\"/>\n"                        /* 14 */
	"    <reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>\n"         /* 15 */
	"    <reg name=\"mxcsr\" bitsize=\"32\" regnum=\"3\"/>\n"            /* 16 */
	"    <reg name=\"after\" bitsize=\"8\"/>\n"                          /* 17 */
	"  </feature>\n"
	"</target>\n";

struct want_reg {
	const char *name, *feature, *type, *group;
	unsigned bitsize, regnum;
	int line, line2;
};

static void check_reg(const struct tdesc_reg *r, const struct want_reg *w)
{
	CHECK(r->name == g_intern_string(w->name), "reg %s: name \"%s\" (interned?)", w->name,
	      r->name ? r->name : "(null)");
	CHECK(r->feature == g_intern_string(w->feature), "reg %s: feature \"%s\", expected \"%s\"",
	      w->name, r->feature ? r->feature : "(null)", w->feature);
	CHECK(r->type == g_intern_string(w->type), "reg %s: type \"%s\", expected \"%s\"", w->name,
	      r->type ? r->type : "(null)", w->type);
	if (w->group)
		CHECK(r->group == g_intern_string(w->group), "reg %s: group \"%s\", expected \"%s\"",
		      w->name, r->group ? r->group : "(null)", w->group);
	else
		CHECK(r->group == NULL, "reg %s: group \"%s\", expected NULL", w->name, r->group);
	CHECK(r->bitsize == w->bitsize, "reg %s: bitsize %u, expected %u", w->name, r->bitsize,
	      w->bitsize);
	CHECK(r->regnum == w->regnum, "reg %s: regnum %u, expected %u", w->name, r->regnum,
	      w->regnum);
	/* A tag spread over lines may be placed on its first or last line. */
	CHECK(r->line == w->line || (w->line2 && r->line == w->line2),
	      "reg %s: line %d, expected %d", w->name, r->line, w->line);
}

static void test_tdesc_basic(void)
{
	static const struct want_reg want[] = {
		{ "rax", "org.gnu.gdb.i386.core", "int64", NULL, 64, 0, 6, 0 },
		{ "rbx", "org.gnu.gdb.i386.core", "int", NULL, 64, 1, 7, 0 },
		{ "rip", "org.gnu.gdb.i386.core", "code_ptr", NULL, 64, 16, 8, 0 },
		{ "eflags", "org.gnu.gdb.i386.core", "int", "general", 32, 17, 9, 0 },
		{ "xmm0", "org.gnu.gdb.i386.sse", "vec128", "vector", 128, 40, 13, 14 },
		{ "xmm1", "org.gnu.gdb.i386.sse", "vec128", NULL, 128, 41, 15, 0 },
		{ "mxcsr", "org.gnu.gdb.i386.sse", "int", NULL, 32, 3, 16, 0 },
		{ "after", "org.gnu.gdb.i386.sse", "int", NULL, 8, 4, 17, 0 },
	};
	struct tdesc *td = parse_ok(basic_xml);

	if (!td)
		return;
	CHECK(td->architecture && strcmp(td->architecture, "i386:x86-64") == 0,
	      "architecture \"%s\"", td->architecture ? td->architecture : "(null)");
	CHECK(td->regs && td->regs->len == G_N_ELEMENTS(want), "%u registers, expected %u",
	      td->regs ? td->regs->len : 0, (unsigned)G_N_ELEMENTS(want));
	if (td->regs && td->regs->len == G_N_ELEMENTS(want)) {
		CHECK(g_array_get_element_size(td->regs) == sizeof(struct tdesc_reg),
		      "regs element size %u", g_array_get_element_size(td->regs));
		for (unsigned i = 0; i < G_N_ELEMENTS(want); i++)
			check_reg(&g_array_index(td->regs, struct tdesc_reg, i), &want[i]);
	}

	/* tdesc_find */
	for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
		const struct tdesc_reg *r = tdesc_find(td, want[i].name);
		CHECK(r && r->name == g_intern_string(want[i].name), "tdesc_find(%s)", want[i].name);
		if (r && td->regs && i < td->regs->len)
			CHECK(r == &g_array_index(td->regs, struct tdesc_reg, i),
			      "tdesc_find(%s) is not the element of regs", want[i].name);
	}
	CHECK(tdesc_find(td, "rcx") == NULL, "tdesc_find(rcx) found something");
	CHECK(tdesc_find(td, "RAX") == NULL, "tdesc_find(RAX) found something");

	/* The XML served for qXfer:features:read:target.xml */
	CHECK(td->annexes != NULL, "annexes == NULL");
	if (td->annexes) {
		GBytes *b = g_hash_table_lookup(td->annexes, "target.xml");
		CHECK(b != NULL, "no target.xml annex");
		if (b) {
			size_t n;
			const void *d = g_bytes_get_data(b, &n);
			CHECK(n == strlen(basic_xml) && memcmp(d, basic_xml, n) == 0,
			      "target.xml annex (%zu bytes) differs from the description (%zu bytes)",
			      n, strlen(basic_xml));
		}
	}
	tdesc_free(td);
}

/* No architecture element; registers only. */
static void test_tdesc_no_architecture(void)
{
	struct tdesc *td = parse_ok("<target><feature name=\"f\">"
				    "<reg name=\"a\" bitsize=\"8\"/><reg name=\"b\" bitsize=\"2048\"/>"
				    "<reg name=\"c\" bitsize=\"80\" regnum=\"100\"/>"
				    "<reg name=\"d\" bitsize=\"16\"/>"
				    "</feature></target>");
	if (!td)
		return;
	CHECK(td->architecture == NULL, "architecture \"%s\", expected NULL", td->architecture);
	CHECK(td->regs->len == 4, "%u registers", td->regs->len);
	if (td->regs->len == 4) {
		struct tdesc_reg *r = (struct tdesc_reg *)td->regs->data;
		CHECK(r[0].regnum == 0 && r[1].regnum == 1 && r[2].regnum == 100 &&
		      r[3].regnum == 101, "regnums %u %u %u %u", r[0].regnum, r[1].regnum,
		      r[2].regnum, r[3].regnum);
		CHECK(r[0].bitsize == 8 && r[1].bitsize == 2048 && r[2].bitsize == 80 &&
		      r[3].bitsize == 16, "bitsizes");
		CHECK(r[0].line == 1, "line %d", r[0].line);
	}
	tdesc_free(td);
}

/* Type definitions of the format (flags, vector, union, struct, enum) are
 * part of real descriptions (gdb's 64bit-core.xml, 64bit-sse.xml) and must
 * not disturb register parsing. */
static void test_tdesc_types(void)
{
	static const char xml[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		"<target>\n"
		"  <architecture>i386:x86-64</architecture>\n"
		"  <osabi>none</osabi>\n"
		"  <feature name=\"org.gnu.gdb.i386.core\">\n"
		"    <flags id=\"i386_eflags\" size=\"4\">\n"
		"      <field name=\"CF\" start=\"0\" end=\"0\"/>\n"
		"      <field name=\"\" start=\"1\" end=\"1\"/>\n"
		"    </flags>\n"
		"    <reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\" regnum=\"17\"/>\n"
		"  </feature>\n"
		"  <feature name=\"org.gnu.gdb.i386.sse\">\n"
		"    <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
		"    <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
		"    <union id=\"vec128\">\n"
		"      <field name=\"v4_float\" type=\"v4f\"/>\n"
		"      <field name=\"v2_double\" type=\"v2d\"/>\n"
		"      <field name=\"uint128\" type=\"uint128\"/>\n"
		"    </union>\n"
		"    <struct id=\"pair\" size=\"8\">\n"
		"      <field name=\"lo\" start=\"0\" end=\"31\"/>\n"
		"    </struct>\n"
		"    <enum id=\"e\" size=\"4\"><evalue name=\"A\" value=\"0\"/></enum>\n"
		"    <reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\"/>\n"
		"  </feature>\n"
		"</target>\n";
	struct tdesc *td = parse_ok(xml);

	if (!td)
		return;
	CHECK(td->regs->len == 2, "%u registers, expected 2 (type fields are not registers)",
	      td->regs->len);
	const struct tdesc_reg *x = tdesc_find(td, "xmm0");
	CHECK(x && x->regnum == 18 && x->bitsize == 128 && x->type == g_intern_string("vec128") &&
	      x->line == 25, "xmm0: regnum %u bitsize %u line %d", x ? x->regnum : 0,
	      x ? x->bitsize : 0, x ? x->line : 0);
	CHECK(tdesc_find(td, "CF") == NULL && tdesc_find(td, "v4_float") == NULL,
	      "a field became a register");
	tdesc_free(td);
}

/* ---- tdesc_parse: malformed descriptions ---------------------------------------- */

static void test_tdesc_err_not_xml(void)
{
	parse_err("plain text", "hello, world\n", 0, NULL, NULL);
	parse_err("empty", "", 0, NULL, NULL);
	parse_err("blank", "  \n ", 0, NULL, NULL);
	parse_err("json", "{\"target\": []}", 0, NULL, NULL);
	parse_err("bad entity", "<target><feature name=\"a&b\"><reg name=\"r\" bitsize=\"8\"/>"
		  "</feature></target>", 0, NULL, NULL);
	parse_err("mismatched", "<target><feature name=\"f\"><reg name=\"r\" bitsize=\"8\"/>"
		  "</target></feature>", 0, NULL, NULL);
}

/* XML has exactly one root element (GMarkup alone would accept more). */
static void test_tdesc_err_two_roots(void)
{
	parse_err("two roots", "<target><feature name=\"f\"><reg name=\"r\" bitsize=\"8\"/>"
		  "</feature></target><target/>", 0, NULL, NULL);
	parse_err("two roots, registers in the second",
		  "<target><feature name=\"f\"><reg name=\"r\" bitsize=\"8\"/></feature></target>\n"
		  "<target><feature name=\"g\"><reg name=\"s\" bitsize=\"8\"/></feature></target>",
		  0, NULL, NULL);
}

static void test_tdesc_err_unclosed(void)
{
	parse_err("no </target>",
		  "<target><feature name=\"f\"><reg name=\"r\" bitsize=\"8\"/></feature>", 0, NULL,
		  NULL);
	parse_err("no </feature>", "<target><feature name=\"f\"><reg name=\"r\" bitsize=\"8\"/>",
		  0, NULL, NULL);
	parse_err("unclosed reg", "<target><feature name=\"f\"><reg name=\"r\" bitsize=\"8\">"
		  "</feature></target>", 0, NULL, NULL);
	parse_err("truncated tag", "<target><feature name=\"f\"><reg name=\"r\" bitsize=\"8\"", 0,
		  NULL, NULL);
	/* The same, cut by len rather than by the text. */
	{
		const char *xml = basic_xml;
		parse_err_n("cut by len", xml, strlen(xml) - 12, 0, NULL, NULL, NULL);
	}
}

static void test_tdesc_err_reg_outside_feature(void)
{
	char *xml = doc_with("<reg name=\"stray\" bitsize=\"64\"/>", false);

	parse_err("reg outside feature", xml, BAD_LINE, "reg", NULL);
	g_free(xml);
	parse_err("reg directly in target",
		  "<target><reg name=\"stray\" bitsize=\"8\"/></target>", 0, "reg", NULL);
}

static void test_tdesc_err_missing(void)
{
	reg_err("missing name", "<reg bitsize=\"64\"/>", "name", NULL);
	reg_err("missing bitsize", "<reg name=\"rbx\"/>", "rbx", "bitsize");
	reg_err("missing bitsize, other attributes", "<reg name=\"rbx\" type=\"int64\" regnum=\"3\"/>",
		"rbx", "bitsize");
}

static void test_tdesc_err_bitsize(void)
{
	static const char *const bad[] = { "0", "7", "12", "2056", "4096", "abc", "", "-8", "64x",
					   "0x40", " 64", "99999999999999999999" };

	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *reg = g_strdup_printf("<reg name=\"rbx\" bitsize=\"%s\"/>", bad[i]);
		char *what = g_strdup_printf("bitsize \"%s\"", bad[i]);
		reg_err(what, reg, "rbx", "bitsize");
		g_free(reg);
		g_free(what);
	}
}

static void test_tdesc_err_regnum(void)
{
	static const char *const bad[] = { "abc", "-1", "1x", "", "0x10", "99999999999999999999" };

	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *reg = g_strdup_printf("<reg name=\"rbx\" bitsize=\"64\" regnum=\"%s\"/>", bad[i]);
		char *what = g_strdup_printf("regnum \"%s\"", bad[i]);
		reg_err(what, reg, "rbx", "regnum");
		g_free(reg);
		g_free(what);
	}
}

static void test_tdesc_err_duplicate(void)
{
	/* "rax" is declared on line 6, again on line 17. */
	reg_err("duplicate name", "<reg name=\"rax\" bitsize=\"64\" regnum=\"50\"/>", "rax", NULL);

	/* Also across features. */
	{
		static const char xml[] =
			"<target>\n"
			"<feature name=\"a\"><reg name=\"r\" bitsize=\"8\"/></feature>\n"
			"<feature name=\"b\"><reg name=\"r\" bitsize=\"8\"/></feature>\n"
			"</target>\n";
		parse_err("duplicate across features", xml, 3, NULL, NULL);
	}
}

static void test_tdesc_err_no_registers(void)
{
	static const char *const reg[] = { "reg", NULL };

	parse_err_n("no registers",
		    "<?xml version=\"1.0\"?>\n<target version=\"1.0\">\n"
		    "  <architecture>i386:x86-64</architecture>\n</target>\n",
		    strlen("<?xml version=\"1.0\"?>\n<target version=\"1.0\">\n"
			   "  <architecture>i386:x86-64</architecture>\n</target>\n"),
		    0, NULL, NULL, reg);
	parse_err_n("empty features", "<target><feature name=\"a\"/><feature name=\"b\"></feature></target>",
		    strlen("<target><feature name=\"a\"/><feature name=\"b\"></feature></target>"), 0,
		    NULL, NULL, reg);
	parse_err_n("empty target", "<target/>", 9, 0, NULL, NULL, reg);
}

/* A valid description padded with a comment to `total` bytes. */
static char *padded_doc(size_t total)
{
	static const char head[] = "<target><feature name=\"f\"><reg name=\"r\" bitsize=\"8\"/>"
				   "</feature></target>\n<!--";
	static const char tail[] = "-->\n";
	GString *s = g_string_sized_new(total + 1);

	g_assert(total >= sizeof(head) + sizeof(tail));
	g_string_append(s, head);
	while (s->len < total - (sizeof(tail) - 1))
		g_string_append_c(s, (s->len % 64) ? 'x' : '\n');
	g_string_append(s, tail);
	g_assert(s->len == total);
	return g_string_free(s, FALSE);
}

static void test_tdesc_err_too_large(void)
{
	size_t n = TDESC_MAX_BYTES + TDESC_MAX_BYTES / 10; /* 1.1 MiB */
	char *xml = padded_doc(n);

	parse_err_n("1.1 MiB", xml, n, 0, NULL, NULL, NULL);
	g_free(xml);
}

static void test_tdesc_limit_bytes(void)
{
	char *xml = padded_doc(TDESC_MAX_BYTES);
	GError *err = NULL;
	struct tdesc *td = parse_n(xml, TDESC_MAX_BYTES, &err);

	CHECK(td != NULL, "a description of exactly TDESC_MAX_BYTES rejected: %s",
	      err ? err->message : "(no GError)");
	g_clear_error(&err);
	if (td)
		tdesc_free(td);
	g_free(xml);

	xml = padded_doc(TDESC_MAX_BYTES + 1);
	parse_err_n("TDESC_MAX_BYTES + 1", xml, TDESC_MAX_BYTES + 1, 0, NULL, NULL, NULL);
	g_free(xml);
}

static char *many_regs_doc(unsigned n)
{
	GString *s = g_string_new("<target><feature name=\"f\">\n");

	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(s, "<reg name=\"r%u\" bitsize=\"8\"/>\n", i);
	g_string_append(s, "</feature></target>\n");
	return g_string_free(s, FALSE);
}

static void test_tdesc_limit_regs(void)
{
	char *xml = many_regs_doc(TDESC_MAX_REGS);
	struct tdesc *td = parse_ok(xml);

	if (td) {
		CHECK(td->regs->len == TDESC_MAX_REGS, "%u registers", td->regs->len);
		const struct tdesc_reg *last = tdesc_find(td, "r4095");
		CHECK(last && last->regnum == 4095 && last->line == 4097, "r4095: regnum %u line %d",
		      last ? last->regnum : 0, last ? last->line : 0);
		tdesc_free(td);
	}
	g_free(xml);

	xml = many_regs_doc(TDESC_MAX_REGS + 1);
	parse_err("TDESC_MAX_REGS + 1", xml, 0, NULL, NULL);
	g_free(xml);
}

/* ---- the x86-64 binding ------------------------------------------------------------ */

struct bind_exp {
	const char *name;      /* interned */
	uint64_t vm_id;
	uint32_t off;
	unsigned bits;
	const char *feature;   /* in the hand-written description */
};

static const char *const gpr_names[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
					   "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const sel_names[6] = { "cs", "ss", "ds", "es", "fs", "gs" };
static const char *const x87_names[8] = { "fctrl", "fstat", "ftag", "fiseg",
					  "fioff", "foseg", "fooff", "fop" };

#define F_CORE "org.gnu.gdb.i386.core"
#define F_SSE "org.gnu.gdb.i386.sse"
#define F_SEG "org.gnu.gdb.i386.segments"
#define F_SYS "org.example.x86.system"
#define F_AVX "org.gnu.gdb.i386.avx"
#define F_512 "org.gnu.gdb.i386.avx512"

static GArray *expected_bindings; /* struct bind_exp, in the hand-written regnum order */

static void add_exp(const char *name, uint64_t id, uint32_t off, unsigned bits, const char *f)
{
	struct bind_exp b = { g_intern_string(name), id, off, bits, f };
	g_array_append_val(expected_bindings, b);
}

/* name = prefix + n + suffix, e.g. "ymm" 3 "h" */
static void add_expf(uint64_t id, uint32_t off, unsigned bits, const char *f, const char *prefix,
		     unsigned n, const char *suffix)
{
	char *name = g_strdup_printf("%s%u%s", prefix, n, suffix);
	add_exp(name, id, off, bits, f);
	g_free(name);
}

/* The hand-written description's registers, with regnums:
 *   core 0..39, sse 40..56, segments 150..151, system 152..158 (written before
 *   avx in the document), avx 57..72, avx512 73..144; 145..149 unused. */
#define N_CORE 40
#define N_SSE 17
#define N_SEG 2
#define N_SYS 7
#define N_AVX 16
#define N_512 72
#define N_ALL (N_CORE + N_SSE + N_SEG + N_SYS + N_AVX + N_512)

static void build_expected(void)
{
	if (expected_bindings)
		return;
	expected_bindings = g_array_new(FALSE, FALSE, sizeof(struct bind_exp));
	for (unsigned i = 0; i < 16; i++)
		add_exp(gpr_names[i], VMDBG_X86_GPR(i), 0, 64, F_CORE);
	add_exp("rip", VMDBG_X86_RIP, 0, 64, F_CORE);
	add_exp("eflags", VMDBG_X86_RFLAGS, 0, 32, F_CORE);
	for (unsigned i = 0; i < 6; i++)
		add_exp(sel_names[i], VMDBG_X86_SEL(i), 0, 32, F_CORE);
	for (unsigned i = 0; i < 8; i++)
		add_expf(VMDBG_X86_ST(i), 0, 80, F_CORE, "st", i, "");
	{
		static const uint64_t ids[8] = { VMDBG_X86_FCTRL, VMDBG_X86_FSTAT, VMDBG_X86_FTAG,
						 VMDBG_X86_FISEG, VMDBG_X86_FIOFF, VMDBG_X86_FOSEG,
						 VMDBG_X86_FOOFF, VMDBG_X86_FOP };
		for (unsigned i = 0; i < 8; i++)
			add_exp(x87_names[i], ids[i], 0, 32, F_CORE);
	}
	for (unsigned i = 0; i < 16; i++)
		add_expf(VMDBG_X86_XMM(i), 0, 128, F_SSE, "xmm", i, "");
	add_exp("mxcsr", VMDBG_X86_MXCSR, 0, 32, F_SSE);
	add_exp("fs_base", VMDBG_X86_FS_BASE, 0, 64, F_SEG);
	add_exp("gs_base", VMDBG_X86_GS_BASE, 0, 64, F_SEG);
	add_exp("k_gs_base", VMDBG_X86_K_GS_BASE, 0, 64, F_SYS);
	add_exp("cr0", VMDBG_X86_CR(0), 0, 64, F_SYS);
	add_exp("cr2", VMDBG_X86_CR(2), 0, 64, F_SYS);
	add_exp("cr3", VMDBG_X86_CR(3), 0, 64, F_SYS);
	add_exp("cr4", VMDBG_X86_CR(4), 0, 64, F_SYS);
	add_exp("cr8", VMDBG_X86_CR(8), 0, 64, F_SYS);
	add_exp("efer", VMDBG_X86_EFER, 0, 64, F_SYS);
	for (unsigned i = 0; i < 16; i++)
		add_expf(VMDBG_X86_YMMH(i), 0, 128, F_AVX, "ymm", i, "h");
	for (unsigned i = 16; i < 32; i++)
		add_expf(VMDBG_X86_ZMM(i), 0, 128, F_512, "xmm", i, "");
	for (unsigned i = 16; i < 32; i++)
		add_expf(VMDBG_X86_ZMM(i), 16, 128, F_512, "ymm", i, "h");
	for (unsigned i = 0; i < 8; i++)
		add_expf(VMDBG_X86_K(i), 0, 64, F_512, "k", i, "");
	for (unsigned i = 0; i < 16; i++)
		add_expf(VMDBG_X86_ZMMH(i), 0, 256, F_512, "zmm", i, "h");
	for (unsigned i = 16; i < 32; i++)
		add_expf(VMDBG_X86_ZMM(i), 32, 256, F_512, "zmm", i, "h");
	g_assert(expected_bindings->len == N_ALL);
}

static const struct bind_exp *exp_by_name(const char *name)
{
	build_expected();
	for (unsigned i = 0; i < expected_bindings->len; i++) {
		const struct bind_exp *b = &g_array_index(expected_bindings, struct bind_exp, i);
		if (strcmp(b->name, name) == 0)
			return b;
	}
	return NULL;
}

/* gdb regnum of the i-th expected binding (in the order above). */
static unsigned exp_regnum(unsigned i)
{
	if (i < N_CORE + N_SSE)
		return i;                                   /* 0..56 */
	if (i < N_CORE + N_SSE + N_SEG + N_SYS)
		return 150 + (i - (N_CORE + N_SSE));        /* 150..158 */
	return 57 + (i - (N_CORE + N_SSE + N_SEG + N_SYS)); /* 57..144 */
}

/* Every VM id the x86 binding uses, once each: what a full-featured vCPU
 * serves. */
static GArray *full_vm_ids(void)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(uint64_t));

	build_expected();
	for (unsigned i = 0; i < expected_bindings->len; i++) {
		uint64_t id = g_array_index(expected_bindings, struct bind_exp, i).vm_id;
		bool seen = false;
		for (unsigned j = 0; j < a->len && !seen; j++)
			seen = g_array_index(a, uint64_t, j) == id;
		if (!seen)
			g_array_append_val(a, id);
	}
	return a;
}

#define N_VM_IDS (16 + 2 + 6 + 8 + 8 + 16 + 1 + 2 + 7 + 16 + 16 + 8 + 16) /* 122 */

static GArray *ids_of(const uint64_t *ids, unsigned n)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	g_array_append_vals(a, ids, n);
	return a;
}

static void test_arch_bind(void)
{
	build_expected();
	CHECK(arch_x86_64.vmdbg_arch == VMDBG_ARCH_X86_64, "vmdbg_arch %u",
	      arch_x86_64.vmdbg_arch);
	CHECK(arch_x86_64.bind != NULL, "no bind function");
	if (!arch_x86_64.bind)
		return;
	for (unsigned i = 0; i < expected_bindings->len; i++) {
		const struct bind_exp *e = &g_array_index(expected_bindings, struct bind_exp, i);
		struct arch_binding b = { 0 };
		bool ok = arch_x86_64.bind(e->name, &b);

		CHECK(ok, "bind(%s) failed", e->name);
		if (!ok)
			continue;
		CHECK(b.vm_id == e->vm_id, "bind(%s): vm_id 0x%016" G_GINT64_MODIFIER
		      "x, expected 0x%016" G_GINT64_MODIFIER "x", e->name, b.vm_id, e->vm_id);
		CHECK(b.vm_offset == e->off, "bind(%s): offset %u, expected %u", e->name,
		      b.vm_offset, e->off);
		CHECK(b.gdb_bits == e->bits, "bind(%s): %u bits, expected %u", e->name, b.gdb_bits,
		      e->bits);
	}
	{
		static const char *const unknown[] = { "foo", "", "RAX", "eax", "zmm0", "xmm32",
						       "st8", "k8", "cr1", "ymm0", "zmm32h" };
		for (unsigned i = 0; i < G_N_ELEMENTS(unknown); i++) {
			struct arch_binding b = { 0 };
			CHECK(!arch_x86_64.bind(unknown[i], &b), "bind(\"%s\") succeeded", unknown[i]);
		}
	}
	for (unsigned i = 0; i < G_N_ELEMENTS(arch_x86_64.expedite) && arch_x86_64.expedite[i]; i++)
		CHECK(exp_by_name(arch_x86_64.expedite[i]) != NULL, "expedite \"%s\" is not a known name",
		      arch_x86_64.expedite[i]);
}

/* ---- the hand-written x86-64 description --------------------------------------------- */

static void feature_open(GString *s, const char *name)
{
	g_string_append_printf(s, "  <feature name=\"%s\">\n", name);
}

static char *x86_xml(void)
{
	GString *s = g_string_new("<?xml version=\"1.0\"?>\n"
				  "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
				  "<target version=\"1.0\">\n"
				  "  <architecture>i386:x86-64</architecture>\n");
	const char *feature = NULL;

	build_expected();
	for (unsigned i = 0; i < expected_bindings->len; i++) {
		const struct bind_exp *e = &g_array_index(expected_bindings, struct bind_exp, i);
		unsigned regnum = exp_regnum(i);
		bool explicit_regnum = i == 0 ? false : regnum != exp_regnum(i - 1) + 1;

		if (feature != e->feature) {
			if (feature)
				g_string_append(s, "  </feature>\n");
			feature_open(s, e->feature);
			feature = e->feature;
		}
		g_string_append_printf(s, "    <reg name=\"%s\" bitsize=\"%u\"", e->name, e->bits);
		if (explicit_regnum)
			g_string_append_printf(s, " regnum=\"%u\"", regnum);
		/* a few explicit regnums equal to the implicit ones */
		else if (i == 20 || i == 60)
			g_string_append_printf(s, " regnum=\"%u\"", regnum);
		if (e->bits == 128)
			g_string_append(s, " type=\"vec128\"");
		else if (e->bits == 80)
			g_string_append(s, " type=\"i387_ext\" group=\"float\"");
		g_string_append(s, "/>\n");
	}
	g_string_append(s, "  </feature>\n</target>\n");
	return g_string_free(s, FALSE);
}

/*
 * The GTest fixture of the regset and regcache tests: the hand-written
 * description (x86_xml()) parsed, the ids the VM serves (full_vm_ids()) and
 * the regset built from both; fixture_setup_cache() adds rc, a fresh cache
 * over that regset.  GTest zero-fills the fixture before setup and calls
 * fixture_teardown() after the test, which frees whatever setup built.
 *
 * A setup that cannot build the regset has failed the test through its
 * CHECKs (the parse or regset_new() failed: a bug, not the environment);
 * rs is NULL then, and the test body returns at once (fixture_ok()).
 */
struct fixture {
	struct tdesc *td;
	GArray *ids;
	struct regset *rs;
	struct regcache *rc;  /* fixture_setup_cache() only */
};

static void fixture_setup(struct fixture *f, gconstpointer data)
{
	char *xml = x86_xml();
	GError *err = NULL;

	(void)data;
	f->td = parse_ok(xml);
	g_free(xml);
	if (!f->td)
		return;
	f->ids = full_vm_ids();
	f->rs = regset_new(f->td, &arch_x86_64, f->ids, &err);
	CHECK(f->rs != NULL, "regset_new failed: %s", err ? err->message : "(no GError)");
	g_clear_error(&err);
}

static void fixture_setup_cache(struct fixture *f, gconstpointer data)
{
	fixture_setup(f, data);
	if (f->rs)
		f->rc = regcache_new(f->rs);
}

static void fixture_teardown(struct fixture *f, gconstpointer data)
{
	(void)data;
	if (f->rc)
		regcache_free(f->rc);
	if (f->rs)
		regset_free(f->rs);
	if (f->td)
		tdesc_free(f->td);
	if (f->ids)
		g_array_unref(f->ids);
}

/* Whether setup built the fixture; if not, it has failed the test already. */
static bool fixture_ok(const struct fixture *f)
{
	return f->rs != NULL;
}

static const struct reg_handle *H(const struct regset *rs, const char *name)
{
	const struct reg_handle *h = regset_by_name(rs, g_intern_string(name));
	CHECK(h != NULL, "regset_by_name(%s) == NULL", name);
	return h;
}

/* The parse of the hand-written description: implicit and explicit regnums
 * across features. */
static void test_tdesc_x86(void)
{
	char *xml = x86_xml();
	struct tdesc *td = parse_ok(xml);

	g_free(xml);
	if (!td)
		return;
	CHECK(td->regs->len == N_ALL, "%u registers, expected %u", td->regs->len, N_ALL);
	for (unsigned i = 0; i < td->regs->len && i < N_ALL; i++) {
		const struct tdesc_reg *r = &g_array_index(td->regs, struct tdesc_reg, i);
		const struct bind_exp *e = &g_array_index(expected_bindings, struct bind_exp, i);
		CHECK(r->name == e->name, "reg %u: %s, expected %s", i, r->name, e->name);
		CHECK(r->regnum == exp_regnum(i), "%s: regnum %u, expected %u", e->name, r->regnum,
		      exp_regnum(i));
		CHECK(r->feature == g_intern_string(e->feature), "%s: feature %s", e->name,
		      r->feature);
		CHECK(r->bitsize == e->bits, "%s: bitsize %u", e->name, r->bitsize);
		CHECK(r->line == (int)i + 6 + (r->feature == g_intern_string(F_CORE) ? 0 :
		      r->feature == g_intern_string(F_SSE) ? 2 : r->feature == g_intern_string(F_SEG) ? 4 :
		      r->feature == g_intern_string(F_SYS) ? 6 : r->feature == g_intern_string(F_AVX) ? 8 : 10),
		      "%s: line %d", e->name, r->line);
	}
	tdesc_free(td);
}

/* ---- regset ----------------------------------------------------------------------- */

static void test_regset_lookup(struct fixture *f, gconstpointer test_data)
{
	if (!fixture_ok(f))
		return;
	CHECK(regset_count(f->rs) == N_ALL, "regset_count %u, expected %u", regset_count(f->rs),
	      N_ALL);
	for (unsigned i = 0; i < expected_bindings->len; i++) {
		const struct bind_exp *e = &g_array_index(expected_bindings, struct bind_exp, i);
		const struct reg_handle *h = regset_by_name(f->rs, e->name);

		CHECK(h != NULL, "regset_by_name(%s) == NULL", e->name);
		if (!h)
			continue;
		CHECK(strcmp(reg_handle_name(h), e->name) == 0, "handle of %s is named %s", e->name,
		      reg_handle_name(h));
		CHECK(reg_handle_regnum(h) == exp_regnum(i), "%s: regnum %u, expected %u", e->name,
		      reg_handle_regnum(h), exp_regnum(i));
		CHECK(reg_handle_bytes(h) == e->bits / 8, "%s: %u bytes, expected %u", e->name,
		      reg_handle_bytes(h), e->bits / 8);
		CHECK(regset_by_regnum(f->rs, exp_regnum(i)) == h, "regset_by_regnum(%u) is not %s",
		      exp_regnum(i), e->name);
	}
	CHECK(regset_by_name(f->rs, g_intern_static_string("nope")) == NULL, "by_name(nope)");
	CHECK(regset_by_name(f->rs, g_intern_static_string("eax")) == NULL, "by_name(eax)");
	for (unsigned n = 145; n < 150; n++)
		CHECK(regset_by_regnum(f->rs, n) == NULL, "by_regnum(%u) in the gap", n);
	CHECK(regset_by_regnum(f->rs, 159) == NULL, "by_regnum(159)");
	CHECK(regset_by_regnum(f->rs, 4096) == NULL, "by_regnum(4096)");
	CHECK(regset_by_regnum(f->rs, 100000) == NULL, "by_regnum(100000)");
	CHECK(regset_by_regnum(f->rs, UINT32_MAX) == NULL, "by_regnum(UINT32_MAX)");
}

/* regset_nth: gdb regnum order, not document order. */
static void test_regset_order(struct fixture *f, gconstpointer test_data)
{
	unsigned prev = 0;
	size_t total = 0;

	if (!fixture_ok(f))
		return;
	for (unsigned i = 0; i < regset_count(f->rs); i++) {
		const struct reg_handle *h = regset_nth(f->rs, i);
		CHECK(h != NULL, "regset_nth(%u) == NULL", i);
		if (!h)
			continue;
		unsigned rn = reg_handle_regnum(h);
		CHECK(i == 0 || rn > prev, "regset_nth(%u) regnum %u after %u", i, rn, prev);
		prev = rn;
		total += reg_handle_bytes(h);
	}
	/* the system registers (regnums 150..158) come last although written
	 * before avx */
	{
		const struct reg_handle *h;
		h = regset_nth(f->rs, 57);
		CHECK(h && strcmp(reg_handle_name(h), "ymm0h") == 0, "nth(57) is %s, expected ymm0h",
		      h ? reg_handle_name(h) : "NULL");
		h = regset_nth(f->rs, N_ALL - 9);
		CHECK(h && strcmp(reg_handle_name(h), "fs_base") == 0,
		      "nth(%u) is %s, expected fs_base", N_ALL - 9, h ? reg_handle_name(h) : "NULL");
		h = regset_nth(f->rs, N_ALL - 1);
		CHECK(h && strcmp(reg_handle_name(h), "efer") == 0, "last is %s, expected efer",
		      h ? reg_handle_name(h) : "NULL");
		h = regset_nth(f->rs, 0);
		CHECK(h && strcmp(reg_handle_name(h), "rax") == 0, "first is %s",
		      h ? reg_handle_name(h) : "NULL");
	}
	/* core 276 + sse 260 + segments/system 72 + avx 256 + avx512 1600 */
	CHECK(total == 2464, "sum of handle bytes %zu, expected 2464", total);
	CHECK(regset_g_bytes(f->rs) == 2464, "regset_g_bytes %zu, expected 2464",
	      regset_g_bytes(f->rs));
}

/* Widths: every width the x86 binding has (32, 64, 80, 128, 256 bits). */
static void test_regset_widths(struct fixture *f, gconstpointer test_data)
{
	static const struct { const char *name; unsigned bytes; } w[] = {
		{ "eflags", 4 }, { "cs", 4 }, { "gs", 4 }, { "fctrl", 4 }, { "fioff", 4 },
		{ "fop", 4 }, { "mxcsr", 4 },
		{ "rax", 8 }, { "r15", 8 }, { "rip", 8 }, { "k7", 8 }, { "cr8", 8 },
		{ "efer", 8 }, { "k_gs_base", 8 }, { "fs_base", 8 },
		{ "st0", 10 }, { "st7", 10 },
		{ "xmm0", 16 }, { "xmm15", 16 }, { "ymm0h", 16 }, { "xmm16", 16 },
		{ "ymm31h", 16 },
		{ "zmm0h", 32 }, { "zmm15h", 32 }, { "zmm16h", 32 }, { "zmm31h", 32 },
	};

	if (!fixture_ok(f))
		return;
	for (unsigned i = 0; i < G_N_ELEMENTS(w); i++) {
		const struct reg_handle *h = H(f->rs, w[i].name);
		if (h)
			CHECK(reg_handle_bytes(h) == w[i].bytes, "%s: %u bytes, expected %u",
			      w[i].name, reg_handle_bytes(h), w[i].bytes);
	}
}

/* A description using part of what the VM serves. */
static const char small_xml[] =
	"<target><architecture>i386:x86-64</architecture>\n"
	"<feature name=\"org.gnu.gdb.i386.core\">\n"
	"<reg name=\"rax\" bitsize=\"64\"/>\n"
	"<reg name=\"rip\" bitsize=\"64\" regnum=\"16\"/>\n"
	"<reg name=\"eflags\" bitsize=\"32\"/>\n"
	"<reg name=\"cs\" bitsize=\"32\"/>\n"
	"<reg name=\"ss\" bitsize=\"32\"/>\n"
	"<reg name=\"st0\" bitsize=\"80\" regnum=\"24\"/>\n"
	"<reg name=\"fctrl\" bitsize=\"32\" regnum=\"32\"/>\n"
	"</feature></target>\n";

static const uint64_t small_ids[] = {
	VMDBG_X86_RAX, VMDBG_X86_RIP, VMDBG_X86_RFLAGS, VMDBG_X86_SEL(0), VMDBG_X86_SEL(1),
	VMDBG_X86_ST(0), VMDBG_X86_FCTRL,
	VMDBG_X86_CR(0), VMDBG_X86_XMM(0), /* served, not described */
};

static struct regset *regset_from(const char *xml, const uint64_t *ids, unsigned n,
				  struct tdesc **tdp, GArray **idsp, GError **err)
{
	struct tdesc *td = parse_ok(xml);
	GArray *a = ids_of(ids, n);
	struct regset *rs = td ? regset_new(td, &arch_x86_64, a, err) : NULL;

	*tdp = td;
	*idsp = a;
	return rs;
}

static void test_regset_small(void)
{
	struct tdesc *td;
	GArray *ids;
	GError *err = NULL;
	struct regset *rs = regset_from(small_xml, small_ids, G_N_ELEMENTS(small_ids), &td, &ids,
					&err);

	CHECK(rs != NULL, "regset_new failed: %s", err ? err->message : "?");
	g_clear_error(&err);
	if (rs) {
		CHECK(regset_count(rs) == 7, "count %u", regset_count(rs));
		CHECK(regset_g_bytes(rs) == 8 + 8 + 4 + 4 + 4 + 10 + 4, "g bytes %zu",
		      regset_g_bytes(rs));
		CHECK(regset_by_name(rs, g_intern_static_string("cr0")) == NULL, "cr0 has a handle");
		CHECK(regset_by_regnum(rs, 1) == NULL, "regnum 1 has a handle");
		const struct reg_handle *h = regset_by_regnum(rs, 18);
		CHECK(h && strcmp(reg_handle_name(h), "cs") == 0, "regnum 18 is %s",
		      h ? reg_handle_name(h) : "NULL");
		h = regset_nth(rs, 6);
		CHECK(h && strcmp(reg_handle_name(h), "fctrl") == 0, "nth(6) is %s",
		      h ? reg_handle_name(h) : "NULL");
		regset_free(rs);
	}
	if (td)
		tdesc_free(td);
	g_array_unref(ids);
}

static void regset_err(const char *what, const char *xml, const uint64_t *ids, unsigned n,
		       const char *name1, const char *name2)
{
	struct tdesc *td;
	GArray *a;
	GError *err = NULL;
	struct regset *rs = regset_from(xml, ids, n, &td, &a, &err);

	if (td) {
		CHECK(rs == NULL, "%s: regset_new succeeded", what);
		CHECK(err != NULL, "%s: regset_new set no GError", what);
		if (err) {
			g_test_message("%s: \"%s\"", what, err->message);
			CHECK(strstr(err->message, name1) || (name2 && strstr(err->message, name2)),
			      "%s: message \"%s\" does not name %s", what, err->message, name1);
		}
	}
	g_clear_error(&err);
	if (rs)
		regset_free(rs);
	if (td)
		tdesc_free(td);
	g_array_unref(a);
}

static void test_regset_errors(void)
{
	static const uint64_t ids[] = { VMDBG_X86_RAX, VMDBG_X86_GPR(1), VMDBG_X86_RIP };

	regset_err("unknown name",
		   "<target><feature name=\"f\"><reg name=\"rax\" bitsize=\"64\"/>"
		   "<reg name=\"foo\" bitsize=\"64\"/></feature></target>",
		   ids, G_N_ELEMENTS(ids), "foo", NULL);
	regset_err("not served by the VM",
		   "<target><feature name=\"f\"><reg name=\"rax\" bitsize=\"64\"/>"
		   "<reg name=\"rcx\" bitsize=\"64\"/></feature></target>",
		   ids, G_N_ELEMENTS(ids), "rcx", NULL);
	regset_err("slice of a register not served",
		   "<target><feature name=\"f\"><reg name=\"rax\" bitsize=\"64\"/>"
		   "<reg name=\"ymm16h\" bitsize=\"128\"/></feature></target>",
		   ids, G_N_ELEMENTS(ids), "ymm16h", NULL);
	regset_err("bitsize disagrees",
		   "<target><feature name=\"f\"><reg name=\"rax\" bitsize=\"32\"/>"
		   "</feature></target>",
		   ids, G_N_ELEMENTS(ids), "rax", NULL);
	regset_err("bitsize too large",
		   "<target><feature name=\"f\"><reg name=\"rax\" bitsize=\"64\"/>"
		   "<reg name=\"rip\" bitsize=\"128\"/></feature></target>",
		   ids, G_N_ELEMENTS(ids), "rip", NULL);
	{
		static const uint64_t cs[] = { VMDBG_X86_SEL(0) };
		regset_err("selector given its VM width", "<target><feature name=\"f\">"
			   "<reg name=\"cs\" bitsize=\"16\"/></feature></target>", cs, 1, "cs", NULL);
	}

	/* Two registers with one regnum.  The manual does not forbid it in a
	 * description, so the regset must catch it; if tdesc_parse() already
	 * refuses it, build the description by hand. */
	{
		static const char xml[] = "<target><feature name=\"f\">"
					  "<reg name=\"rax\" bitsize=\"64\" regnum=\"5\"/>"
					  "<reg name=\"rbx\" bitsize=\"64\" regnum=\"5\"/>"
					  "</feature></target>";
		GError *err = NULL;
		struct tdesc *td = parse_n(xml, strlen(xml), &err);
		struct tdesc own = { 0 };
		GArray *a = ids_of(ids, G_N_ELEMENTS(ids));
		struct regset *rs;

		if (!td) {
			g_test_message("tdesc_parse refused a duplicate regnum: %s",
				       err ? err->message : "?");
			g_clear_error(&err);
			struct tdesc_reg r[2] = {
				{ g_intern_static_string("rax"), g_intern_static_string("f"),
				  g_intern_static_string("int"), NULL, 64, 5, 1 },
				{ g_intern_static_string("rbx"), g_intern_static_string("f"),
				  g_intern_static_string("int"), NULL, 64, 5, 1 },
			};
			own.regs = g_array_new(FALSE, FALSE, sizeof(struct tdesc_reg));
			g_array_append_vals(own.regs, r, 2);
			own.annexes = g_hash_table_new(g_str_hash, g_str_equal);
		}
		rs = regset_new(td ? td : &own, &arch_x86_64, a, &err);
		CHECK(rs == NULL, "duplicate regnum: regset_new succeeded");
		CHECK(err != NULL, "duplicate regnum: no GError");
		if (err) {
			g_test_message("duplicate regnum: \"%s\"", err->message);
			CHECK(strstr(err->message, "rax") || strstr(err->message, "rbx") ||
			      has_number(err->message, 5), "duplicate regnum: message \"%s\"",
			      err->message);
		}
		g_clear_error(&err);
		if (rs)
			regset_free(rs);
		if (td)
			tdesc_free(td);
		if (own.regs) {
			g_array_unref(own.regs);
			g_hash_table_unref(own.annexes);
		}
		g_array_unref(a);
	}
}

static void test_regset_matches(void)
{
	struct tdesc *td;
	GArray *ids;
	GError *err = NULL;
	struct regset *rs = regset_from(small_xml, small_ids, G_N_ELEMENTS(small_ids), &td, &ids,
					&err);

	g_clear_error(&err);
	if (rs) {
		GArray *same = ids_of(small_ids, G_N_ELEMENTS(small_ids));
		GArray *fewer = ids_of(small_ids, G_N_ELEMENTS(small_ids) - 1); /* no XMM0 */
		GArray *more = ids_of(small_ids, G_N_ELEMENTS(small_ids));
		GArray *other = ids_of(small_ids, G_N_ELEMENTS(small_ids));
		GArray *empty = ids_of(NULL, 0);
		uint64_t extra = VMDBG_X86_XMM(1);

		g_array_append_val(more, extra);
		g_array_index(other, uint64_t, 8) = VMDBG_X86_XMM(1);
		CHECK(regset_matches(rs, ids), "does not match its own id list");
		CHECK(regset_matches(rs, same), "does not match an equal id list");
		CHECK(!regset_matches(rs, fewer), "matches a list lacking an id");
		CHECK(!regset_matches(rs, more), "matches a list with an extra id");
		CHECK(!regset_matches(rs, other), "matches a list with another id");
		CHECK(!regset_matches(rs, empty), "matches an empty list");
		g_array_unref(same);
		g_array_unref(fewer);
		g_array_unref(more);
		g_array_unref(other);
		g_array_unref(empty);
		regset_free(rs);
	}
	if (td)
		tdesc_free(td);
	g_array_unref(ids);
}

/* ---- the built-in description ---------------------------------------------------- */

static void check_default(const char *what, GArray *ids, bool avx, bool avx512)
{
	char *xml;
	struct tdesc *td;
	struct regset *rs;
	GError *err = NULL;

	CHECK(arch_x86_64.default_tdesc != NULL, "no default_tdesc");
	if (!arch_x86_64.default_tdesc)
		return;
	xml = arch_x86_64.default_tdesc(ids, NULL, NULL);
	CHECK(xml != NULL, "%s: default_tdesc returned NULL", what);
	if (!xml)
		return;
	td = parse_ok(xml);
	if (!td) {
		g_free(xml);
		return;
	}
	CHECK(td->architecture && strcmp(td->architecture, "i386:x86-64") == 0,
	      "%s: architecture %s", what, td->architecture ? td->architecture : "NULL");
	rs = regset_new(td, &arch_x86_64, ids, &err);
	CHECK(rs != NULL, "%s: regset_new over the default description: %s", what,
	      err ? err->message : "?");
	g_clear_error(&err);

	/* gdb's i386 features */
	for (unsigned i = 0; i < 16; i++) {
		const struct tdesc_reg *r = tdesc_find(td, gpr_names[i]);
		CHECK(r && r->feature == g_intern_string(F_CORE), "%s: %s not in %s", what,
		      gpr_names[i], F_CORE);
	}
	{
		static const char *const core[] = { "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
						    "st0", "st7", "fctrl", "fop" };
		for (unsigned i = 0; i < G_N_ELEMENTS(core); i++) {
			const struct tdesc_reg *r = tdesc_find(td, core[i]);
			CHECK(r && r->feature == g_intern_string(F_CORE), "%s: %s not in %s", what,
			      core[i], F_CORE);
		}
	}
	{
		const struct tdesc_reg *r = tdesc_find(td, "xmm0");
		CHECK(r && r->feature == g_intern_string(F_SSE), "%s: xmm0 not in %s", what, F_SSE);
		r = tdesc_find(td, "mxcsr");
		CHECK(r && r->feature == g_intern_string(F_SSE), "%s: mxcsr not in %s", what, F_SSE);
		r = tdesc_find(td, "fs_base");
		CHECK(!r || r->feature == g_intern_string(F_SEG), "%s: fs_base in %s", what,
		      r ? r->feature : "");
		r = tdesc_find(td, "ymm0h");
		if (avx)
			CHECK(r && r->feature == g_intern_string(F_AVX), "%s: ymm0h not in %s", what,
			      F_AVX);
		else
			CHECK(r == NULL, "%s: ymm0h described for a vCPU without it", what);
		r = tdesc_find(td, "zmm16h");
		if (avx512)
			CHECK(r && r->feature == g_intern_string(F_512), "%s: zmm16h not in %s", what,
			      F_512);
		else
			CHECK(r == NULL, "%s: zmm16h described for a vCPU without it", what);
		r = tdesc_find(td, "k0");
		if (avx512)
			CHECK(r && r->feature == g_intern_string(F_512), "%s: k0 not in %s", what,
			      F_512);
		else
			CHECK(r == NULL, "%s: k0 described for a vCPU without it", what);
		r = tdesc_find(td, "xmm16");
		if (!avx512)
			CHECK(r == NULL, "%s: xmm16 described for a vCPU without it", what);
	}
	if (rs) {
		for (unsigned i = 0; i < G_N_ELEMENTS(arch_x86_64.expedite) && arch_x86_64.expedite[i];
		     i++)
			CHECK(regset_by_name(rs, g_intern_string(arch_x86_64.expedite[i])) != NULL,
			      "%s: expedited %s has no handle", what, arch_x86_64.expedite[i]);
		CHECK(regset_count(rs) == td->regs->len, "%s: count %u for %u registers", what,
		      regset_count(rs), td->regs->len);
		regset_free(rs);
	}
	tdesc_free(td);
	g_free(xml);
}

/* vm_ids without the registers of some groups */
static GArray *ids_without(GArray *full, unsigned g1, unsigned g2)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(uint64_t));

	for (unsigned i = 0; i < full->len; i++) {
		uint64_t id = g_array_index(full, uint64_t, i);
		unsigned group = (unsigned)((id >> VMDBG_X86_GROUP_SHIFT) & 0xff);
		if (group != g1 && group != g2)
			g_array_append_val(a, id);
	}
	return a;
}

static void test_arch_default_tdesc(void)
{
	GArray *full = full_vm_ids();
	GArray *no512 = ids_without(full, VMDBG_X86_G_AVX512, VMDBG_X86_G_AVX512);
	GArray *noavx = ids_without(full, VMDBG_X86_G_AVX512, VMDBG_X86_G_AVX);

	check_default("full vCPU", full, true, true);
	check_default("vCPU without AVX-512", no512, true, false);
	check_default("vCPU without AVX", noavx, false, false);
	g_array_unref(full);
	g_array_unref(no512);
	g_array_unref(noavx);
}

/* ---- regcache ---------------------------------------------------------------------- */

/* A deterministic value for a VM register; st containers have bytes 10..15
 * zero. */
static uint8_t *vm_value(uint64_t id, uint8_t salt)
{
	uint32_t n = vmdbg_reg_bytes(id);
	uint8_t *v = g_malloc(n);
	uint8_t seed = (uint8_t)((id * 0x9E3779B97F4A7C15ull) >> 56) ^ salt;

	for (uint32_t j = 0; j < n; j++)
		v[j] = (uint8_t)(seed + j * 7 + 1);
	if (id & VMDBG_X86_F80)
		memset(v + 10, 0, n - 10);
	return v;
}

static bool fill(struct regcache *rc, uint64_t id, uint8_t salt)
{
	uint8_t *v = vm_value(id, salt);
	bool ok = regcache_fill(rc, id, v, vmdbg_reg_bytes(id));

	g_free(v);
	return ok;
}

/* What gdb must read for a binding, given the VM value. */
static void expected_view(const struct bind_exp *e, const uint8_t *vm, uint8_t *out)
{
	uint32_t vb = vmdbg_reg_bytes(e->vm_id);

	for (unsigned i = 0; i < e->bits / 8; i++)
		out[i] = e->off + i < vb ? vm[e->off + i] : 0;
}

static char *hex(const uint8_t *d, size_t n)
{
	GString *s = g_string_new(NULL);
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%02x", d[i]);
	return g_string_free(s, FALSE);
}

static void check_read(const struct regcache *rc, const struct reg_handle *h, const uint8_t *want,
		       unsigned n, const char *what)
{
	uint8_t *out = g_malloc(n); /* exactly n: ASan sees overruns */

	memset(out, 0xcc, n);
	regcache_read(rc, h, out);
	if (memcmp(out, want, n) != 0) {
		char *a = hex(out, n), *b = hex(want, n);
		CHECK(0, "%s: read %s, expected %s", what, a, b);
		g_free(a);
		g_free(b);
	}
	g_free(out);
}

/* The ids in `a` from index `from`, as a set; false if one repeats. */
static GHashTable *id_set(GArray *a, unsigned from, bool *dup)
{
	GHashTable *s = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);

	*dup = false;
	for (unsigned i = from; i < a->len; i++) {
		uint64_t *k = g_new(uint64_t, 1);
		*k = g_array_index(a, uint64_t, i);
		if (g_hash_table_contains(s, k)) {
			*dup = true;
			g_free(k);
		} else {
			g_hash_table_add(s, k);
		}
	}
	return s;
}

static void check_missing(const struct regcache *rc, const struct reg_handle *const *hs,
			  unsigned n, const uint64_t *want, unsigned nwant, const char *what)
{
	GArray *got = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	uint64_t sentinel = 0x1234;
	bool dup;

	g_array_append_val(got, sentinel);
	regcache_missing(rc, hs, n, got);
	CHECK(got->len >= 1 && g_array_index(got, uint64_t, 0) == sentinel,
	      "%s: regcache_missing did not append", what);
	GHashTable *s = id_set(got, 1, &dup);
	CHECK(!dup, "%s: an id listed twice", what);
	CHECK(got->len - 1 == nwant, "%s: %u ids missing, expected %u", what, got->len - 1, nwant);
	for (unsigned i = 0; i < nwant; i++)
		CHECK(g_hash_table_contains(s, &want[i]), "%s: 0x%016" G_GINT64_MODIFIER
		      "x not listed", what, want[i]);
	g_hash_table_unref(s);
	g_array_unref(got);
}

static void test_regcache_missing(struct fixture *f, gconstpointer test_data)
{
	if (!fixture_ok(f))
		return;
	struct regcache *rc = f->rc;
	{
		bool dup;
		GHashTable *s = id_set(f->ids, 0, &dup);
		CHECK(f->ids->len == N_VM_IDS && !dup, "fixture ids %u", f->ids->len);
		g_hash_table_unref(s);
	}
	for (unsigned i = 0; i < regset_count(f->rs); i++)
		CHECK(!regcache_valid(rc, regset_nth(f->rs, i)), "a fresh cache has %s valid",
		      reg_handle_name(regset_nth(f->rs, i)));
	check_missing(rc, NULL, 0, (const uint64_t *)f->ids->data, f->ids->len, "all");

	{
		const struct reg_handle *hs[] = { H(f->rs, "xmm16"), H(f->rs, "ymm16h"),
						  H(f->rs, "zmm16h") };
		const uint64_t want[] = { VMDBG_X86_ZMM(16) };
		if (hs[0] && hs[1] && hs[2])
			check_missing(rc, hs, 3, want, 1, "xmm16 ymm16h zmm16h");
	}
	{
		const struct reg_handle *hs[] = { H(f->rs, "xmm16"), H(f->rs, "rax"),
						  H(f->rs, "zmm16h"), H(f->rs, "rax"),
						  H(f->rs, "ymm17h"), H(f->rs, "cs"),
						  H(f->rs, "xmm17") };
		const uint64_t want[] = { VMDBG_X86_ZMM(16), VMDBG_X86_RAX, VMDBG_X86_ZMM(17),
					  VMDBG_X86_SEL(0) };
		bool all = true;
		for (unsigned i = 0; i < G_N_ELEMENTS(hs); i++)
			all = all && hs[i];
		if (all)
			check_missing(rc, hs, G_N_ELEMENTS(hs), want, G_N_ELEMENTS(want), "mixed");
	}

	/* Filled ids are no longer missing. */
	CHECK(fill(rc, VMDBG_X86_ZMM(16), 0), "fill ZMM(16)");
	CHECK(fill(rc, VMDBG_X86_RAX, 0), "fill RAX");
	{
		const struct reg_handle *x = H(f->rs, "xmm16"), *y = H(f->rs, "ymm16h"),
					*z = H(f->rs, "zmm16h"), *a = H(f->rs, "rax"),
					*b = H(f->rs, "rbx");
		if (x && y && z && a && b) {
			CHECK(regcache_valid(rc, x) && regcache_valid(rc, y) && regcache_valid(rc, z),
			      "ZMM(16) filled but a slice is not valid");
			CHECK(regcache_valid(rc, a), "rax not valid");
			CHECK(!regcache_valid(rc, b), "rbx valid");
			const struct reg_handle *hs[] = { x, y, z, a, b };
			const uint64_t want[] = { VMDBG_X86_GPR(1) };
			check_missing(rc, hs, 5, want, 1, "after fills");
		}
		GArray *rest = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		for (unsigned i = 0; i < f->ids->len; i++) {
			uint64_t id = g_array_index(f->ids, uint64_t, i);
			if (id != VMDBG_X86_ZMM(16) && id != VMDBG_X86_RAX)
				g_array_append_val(rest, id);
		}
		check_missing(rc, NULL, 0, (const uint64_t *)rest->data, rest->len, "all after fills");
		g_array_unref(rest);
	}
	/* Everything filled: nothing missing. */
	for (unsigned i = 0; i < f->ids->len; i++)
		CHECK(fill(rc, g_array_index(f->ids, uint64_t, i), 0), "fill #%u", i);
	check_missing(rc, NULL, 0, NULL, 0, "none");
	for (unsigned i = 0; i < regset_count(f->rs); i++)
		CHECK(regcache_valid(rc, regset_nth(f->rs, i)), "%s not valid after filling all",
		      reg_handle_name(regset_nth(f->rs, i)));

	/* Invalidation: everything is missing again. */
	regcache_invalidate(rc);
	for (unsigned i = 0; i < regset_count(f->rs); i++)
		CHECK(!regcache_valid(rc, regset_nth(f->rs, i)), "%s valid after invalidate",
		      reg_handle_name(regset_nth(f->rs, i)));
	check_missing(rc, NULL, 0, (const uint64_t *)f->ids->data, f->ids->len, "after invalidate");
}

static void test_regcache_fill_errors(struct fixture *f, gconstpointer test_data)
{
	uint8_t buf[128] = { 0 };

	if (!fixture_ok(f))
		return;
	struct regcache *rc = f->rc;
	CHECK(!regcache_fill(rc, VMDBG_X86_ID(VMDBG_REG_U64, 9, 0), buf, 8), "unknown id accepted");
	CHECK(!regcache_fill(rc, VMDBG_X86_ID(VMDBG_REG_U64, VMDBG_X86_G_CR, 1), buf, 8),
	      "CR1 (not in the set) accepted");
	CHECK(!regcache_fill(rc, VMDBG_X86_XMM(16), buf, 16), "XMM(16) (not in the set) accepted");
	CHECK(!regcache_fill(rc, VMDBG_X86_RAX, buf, 4), "RAX with 4 bytes accepted");
	CHECK(!regcache_fill(rc, VMDBG_X86_RAX, buf, 16), "RAX with 16 bytes accepted");
	CHECK(!regcache_fill(rc, VMDBG_X86_RAX, buf, 0), "RAX with 0 bytes accepted");
	CHECK(!regcache_fill(rc, VMDBG_X86_SEL(0), buf, 4), "SEL(0) with 4 bytes accepted");
	CHECK(!regcache_fill(rc, VMDBG_X86_SEL(0), buf, 8), "SEL(0) with 8 bytes accepted");
	CHECK(!regcache_fill(rc, VMDBG_X86_ST(0), buf, 10), "ST(0) with 10 bytes accepted");
	CHECK(!regcache_fill(rc, VMDBG_X86_ZMM(16), buf, 32), "ZMM(16) with 32 bytes accepted");
	CHECK(!regcache_fill(rc, VMDBG_X86_ZMM(16), buf, 128), "ZMM(16) with 128 bytes accepted");
	{
		const struct reg_handle *a = H(f->rs, "rax"), *c = H(f->rs, "cs"),
					*z = H(f->rs, "zmm16h");
		if (a && c && z)
			CHECK(!regcache_valid(rc, a) && !regcache_valid(rc, c) &&
			      !regcache_valid(rc, z), "a refused fill made a register valid");
	}
	check_missing(rc, NULL, 0, (const uint64_t *)f->ids->data, f->ids->len, "after bad fills");

	/* The ids a regset does not use are not in its set. */
	{
		struct tdesc *td;
		GArray *ids;
		GError *err = NULL;
		struct regset *rs = regset_from(small_xml, small_ids, G_N_ELEMENTS(small_ids), &td,
						&ids, &err);
		g_clear_error(&err);
		if (rs) {
			struct regcache *c2 = regcache_new(rs);
			const uint64_t want[] = { VMDBG_X86_RAX, VMDBG_X86_RIP, VMDBG_X86_RFLAGS,
						  VMDBG_X86_SEL(0), VMDBG_X86_SEL(1), VMDBG_X86_ST(0),
						  VMDBG_X86_FCTRL };
			check_missing(c2, NULL, 0, want, G_N_ELEMENTS(want), "small set");
			CHECK(!regcache_fill(c2, VMDBG_X86_CR(0), buf, 8),
			      "CR0, served but not described, accepted");
			CHECK(!regcache_fill(c2, VMDBG_X86_XMM(0), buf, 16),
			      "XMM0, served but not described, accepted");
			CHECK(regcache_fill(c2, VMDBG_X86_RAX, buf, 8), "RAX refused");
			regcache_free(c2);
			regset_free(rs);
		}
		if (td)
			tdesc_free(td);
		g_array_unref(ids);
	}
}

/* Every handle reads its slice of its VM value. */
static void test_regcache_read(struct fixture *f, gconstpointer test_data)
{
	if (!fixture_ok(f))
		return;
	struct regcache *rc = f->rc;
	for (unsigned i = 0; i < f->ids->len; i++)
		CHECK(fill(rc, g_array_index(f->ids, uint64_t, i), 0x5a), "fill #%u", i);
	for (unsigned i = 0; i < expected_bindings->len; i++) {
		const struct bind_exp *e = &g_array_index(expected_bindings, struct bind_exp, i);
		const struct reg_handle *h = H(f->rs, e->name);
		if (!h || reg_handle_bytes(h) != e->bits / 8)
			continue;
		uint8_t *vm = vm_value(e->vm_id, 0x5a);
		uint8_t want[64];
		expected_view(e, vm, want);
		check_read(rc, h, want, e->bits / 8, e->name);
		g_free(vm);
	}

	/* Spelled out for the slices of ZMM(16). */
	{
		uint8_t z[64], w[64];
		for (unsigned j = 0; j < 64; j++)
			z[j] = (uint8_t)(0x80 + j);
		CHECK(regcache_fill(rc, VMDBG_X86_ZMM(16), z, 64), "fill ZMM(16)");
		const struct reg_handle *x = H(f->rs, "xmm16"), *y = H(f->rs, "ymm16h"),
					*zh = H(f->rs, "zmm16h");
		memcpy(w, z, 16);
		if (x)
			check_read(rc, x, w, 16, "xmm16 = ZMM(16)[0..15]");
		memcpy(w, z + 16, 16);
		if (y)
			check_read(rc, y, w, 16, "ymm16h = ZMM(16)[16..31]");
		memcpy(w, z + 32, 32);
		if (zh)
			check_read(rc, zh, w, 32, "zmm16h = ZMM(16)[32..63]");
	}
	/* st0: bytes 0..9 of the container. */
	{
		uint8_t st[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 0, 0, 0 };
		CHECK(regcache_fill(rc, VMDBG_X86_ST(3), st, 16), "fill ST(3)");
		const struct reg_handle *h = H(f->rs, "st3");
		if (h)
			check_read(rc, h, st, 10, "st3");
	}
	/* 16-bit x87 control word as 32 bits. */
	{
		uint8_t fc[2] = { 0x7f, 0x03 }, w[4] = { 0x7f, 0x03, 0, 0 };
		CHECK(regcache_fill(rc, VMDBG_X86_FCTRL, fc, 2), "fill FCTRL");
		const struct reg_handle *h = H(f->rs, "fctrl");
		if (h)
			check_read(rc, h, w, 4, "fctrl");
	}
}

static void check_write(struct regcache *rc, const struct reg_handle *h, const uint8_t *in,
			uint64_t want_id, const uint8_t *want_val, uint32_t want_bytes,
			const char *what)
{
	uint64_t id = 0;
	const uint8_t *val = NULL;
	uint32_t bytes = 0;
	uint8_t *copy = g_memdup2(in, reg_handle_bytes(h)); /* exact size for ASan */

	regcache_write(rc, h, copy, &id, &val, &bytes);
	g_free(copy);
	CHECK(id == want_id, "%s: vm_id 0x%016" G_GINT64_MODIFIER "x, expected 0x%016"
	      G_GINT64_MODIFIER "x", what, id, want_id);
	CHECK(bytes == want_bytes, "%s: vm_bytes %u, expected %u", what, bytes, want_bytes);
	CHECK(val != NULL, "%s: vm_value NULL", what);
	if (val && bytes == want_bytes && memcmp(val, want_val, bytes) != 0) {
		char *a = hex(val, bytes), *b = hex(want_val, want_bytes);
		CHECK(0, "%s: vm_value %s, expected %s", what, a, b);
		g_free(a);
		g_free(b);
	}
}

static void test_regcache_write(struct fixture *f, gconstpointer test_data)
{
	if (!fixture_ok(f))
		return;
	struct regcache *rc = f->rc;
	for (unsigned i = 0; i < f->ids->len; i++)
		CHECK(fill(rc, g_array_index(f->ids, uint64_t, i), 0), "fill #%u", i);

	/* ymm16h: bytes 16..31 of ZMM(16), the rest unchanged. */
	{
		const struct reg_handle *x = H(f->rs, "xmm16"), *y = H(f->rs, "ymm16h"),
					*z = H(f->rs, "zmm16h");
		uint8_t *zv = vm_value(VMDBG_X86_ZMM(16), 0);
		uint8_t in[16], want[64];

		for (unsigned j = 0; j < 16; j++)
			in[j] = (uint8_t)(0xa0 + j);
		memcpy(want, zv, 64);
		memcpy(want + 16, in, 16);
		if (x && y && z) {
			check_write(rc, y, in, VMDBG_X86_ZMM(16), want, 64, "write ymm16h");
			check_read(rc, y, in, 16, "ymm16h after write");
			check_read(rc, x, zv, 16, "xmm16 after writing ymm16h");
			check_read(rc, z, zv + 32, 32, "zmm16h after writing ymm16h");
			/* then zmm16h: bytes 32..63, keeping the new ymm16h */
			uint8_t in2[32];
			for (unsigned j = 0; j < 32; j++)
				in2[j] = (uint8_t)(0x40 + j);
			memcpy(want + 32, in2, 32);
			check_write(rc, z, in2, VMDBG_X86_ZMM(16), want, 64, "write zmm16h");
			/* then xmm16: bytes 0..15 */
			memset(in, 0xee, 16);
			memcpy(want, in, 16);
			check_write(rc, x, in, VMDBG_X86_ZMM(16), want, 64, "write xmm16");
			check_read(rc, y, want + 16, 16, "ymm16h after writing xmm16");
		}
		g_free(zv);
	}
	/* rax: the whole value. */
	{
		const struct reg_handle *h = H(f->rs, "rax");
		const uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
		if (h) {
			check_write(rc, h, in, VMDBG_X86_RAX, in, 8, "write rax");
			check_read(rc, h, in, 8, "rax after write");
		}
	}
	/* st0: bytes 0..9 of the 16-byte container, 10..15 kept. */
	{
		const struct reg_handle *h = H(f->rs, "st0");
		const uint8_t in[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };
		uint8_t *old = vm_value(VMDBG_X86_ST(0), 0), want[16];
		memcpy(want, old, 16);
		memcpy(want, in, 10);
		if (h) {
			check_write(rc, h, in, VMDBG_X86_ST(0), want, 16, "write st0");
			check_read(rc, h, in, 10, "st0 after write");
		}
		g_free(old);
	}
	/* eflags: 32 bits of a 32-bit VM register. */
	{
		const struct reg_handle *h = H(f->rs, "eflags");
		const uint8_t in[4] = { 0x02, 0x01, 0x00, 0x00 };
		if (h)
			check_write(rc, h, in, VMDBG_X86_RFLAGS, in, 4, "write eflags");
	}
	/* k3 */
	{
		const struct reg_handle *h = H(f->rs, "k3");
		const uint8_t in[8] = { 0xff, 0, 0, 0, 0, 0, 0, 0x80 };
		if (h)
			check_write(rc, h, in, VMDBG_X86_K(3), in, 8, "write k3");
	}
	/* Writes of other registers did not disturb rax. */
	{
		const struct reg_handle *h = H(f->rs, "rax");
		const uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
		if (h)
			check_read(rc, h, in, 8, "rax at the end");
	}
}

/* A P or G write-through: slices of one VM register written together
 * become one SET_REGS value holding all of them; every VM register is sent
 * once, in the order first touched. */
static void test_regcache_write_through(struct fixture *f, gconstpointer test_data)
{
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	g_autoptr(GByteArray) vals = g_byte_array_new();

	if (!fixture_ok(f))
		return;
	struct regcache *rc = f->rc;
	for (unsigned i = 0; i < f->ids->len; i++)
		CHECK(fill(rc, g_array_index(f->ids, uint64_t, i), 0), "fill #%u", i);
	const struct reg_handle *y = H(f->rs, "ymm16h"), *z = H(f->rs, "zmm16h"),
				*x = H(f->rs, "xmm16"), *rax = H(f->rs, "rax");
	if (!x || !y || !z || !rax)
		return;
	const struct reg_handle *hs[] = { y, rax, z, x };
	uint8_t data[16 + 8 + 32 + 16];
	for (unsigned j = 0; j < sizeof(data); j++)
		data[j] = (uint8_t)(0x10 + j);
	const struct reg_handle *ro = NULL;
	CHECK(regcache_write_through(rc, hs, G_N_ELEMENTS(hs), data, ids, vals, &ro),
	      "write-through refused");
	CHECK(ids->len == 2, "%u VM registers, want 2", ids->len);
	CHECK(g_array_index(ids, uint64_t, 0) == VMDBG_X86_ZMM(16), "first id");
	CHECK(g_array_index(ids, uint64_t, 1) == VMDBG_X86_RAX, "second id");
	CHECK(vals->len == 64 + 8, "%u value bytes, want 72", vals->len);
	/* ZMM16 = xmm16 | ymm16h | zmm16h as written; then rax */
	CHECK(memcmp(vals->data, data + 56, 16) == 0, "zmm16 bytes 0..15 (xmm16)");
	CHECK(memcmp(vals->data + 16, data, 16) == 0, "zmm16 bytes 16..31 (ymm16h)");
	CHECK(memcmp(vals->data + 32, data + 24, 32) == 0, "zmm16 bytes 32..63 (zmm16h)");
	CHECK(memcmp(vals->data + 64, data + 16, 8) == 0, "rax");
	/* a second, empty write-through clears the outputs */
	CHECK(regcache_write_through(rc, hs, 0, data, ids, vals, &ro), "empty write-through");
	CHECK(ids->len == 0 && vals->len == 0, "empty write-through left %u ids", ids->len);
}

/* A 16-bit selector is 32 bits for gdb: zero-extended on read whatever the
 * cache slot held before, truncated to the VM's 2 bytes on write. */
static void test_regcache_selector(struct fixture *f, gconstpointer test_data)
{
	if (!fixture_ok(f))
		return;
	struct regcache *rc = f->rc;
	const struct reg_handle *ss = H(f->rs, "ss"), *fop = H(f->rs, "fop");
	if (!ss || !fop)
		return;
	{
		const uint8_t v[2] = { 0x18, 0x00 }, w[4] = { 0x18, 0, 0, 0 };
		CHECK(regcache_fill(rc, VMDBG_X86_SEL(1), v, 2), "fill SEL(1)");
		check_read(rc, ss, w, 4, "ss after first fill");
	}
	{
		const uint8_t in[4] = { 0x2b, 0x00, 0xee, 0xff }, vm[2] = { 0x2b, 0x00 },
			      w[4] = { 0x2b, 0, 0, 0 };
		check_write(rc, ss, in, VMDBG_X86_SEL(1), vm, 2, "write ss with high bits");
		check_read(rc, ss, w, 4, "ss after write");
	}
	regcache_invalidate(rc);
	{
		const uint8_t v[2] = { 0x10, 0x00 }, w[4] = { 0x10, 0, 0, 0 };
		CHECK(regcache_fill(rc, VMDBG_X86_SEL(1), v, 2), "fill SEL(1) again");
		check_read(rc, ss, w, 4, "ss after invalidate and fill");
	}
	{
		const uint8_t v[2] = { 0xff, 0xff }, w[4] = { 0xff, 0xff, 0, 0 };
		CHECK(regcache_fill(rc, VMDBG_X86_SEL(1), v, 2), "fill SEL(1) 0xffff");
		check_read(rc, ss, w, 4, "ss = 0xffff");
	}
	{
		const uint8_t v[2] = { 0x34, 0x12 }, w[4] = { 0x34, 0x12, 0, 0 };
		CHECK(regcache_fill(rc, VMDBG_X86_FOP, v, 2), "fill FOP");
		check_read(rc, fop, w, 4, "fop");
		const uint8_t in[4] = { 0xff, 0x07, 0x01, 0x00 }, vm[2] = { 0xff, 0x07 },
			      w2[4] = { 0xff, 0x07, 0, 0 };
		check_write(rc, fop, in, VMDBG_X86_FOP, vm, 2, "write fop");
		check_read(rc, fop, w2, 4, "fop after write");
	}
	/* A fresh cache over the same regset: no stale bytes either. */
	{
		struct regcache *rc2 = regcache_new(f->rs);
		const uint8_t v[2] = { 0x08, 0x00 }, w[4] = { 0x08, 0, 0, 0 };
		CHECK(regcache_fill(rc2, VMDBG_X86_SEL(1), v, 2), "fill SEL(1) in a new cache");
		check_read(rc2, ss, w, 4, "ss in a new cache");
		regcache_free(rc2);
	}
}

/* Two caches over one regset are independent. */
static void test_regcache_independent(struct fixture *f, gconstpointer test_data)
{
	if (!fixture_ok(f))
		return;
	struct regcache *a = regcache_new(f->rs), *b = regcache_new(f->rs);
	const struct reg_handle *rax = H(f->rs, "rax");
	const uint8_t va[8] = { 0xaa }, vb[8] = { 0xbb };

	CHECK(regcache_fill(a, VMDBG_X86_RAX, va, 8), "fill a");
	if (rax) {
		CHECK(regcache_valid(a, rax) && !regcache_valid(b, rax), "validity shared");
		CHECK(regcache_fill(b, VMDBG_X86_RAX, vb, 8), "fill b");
		check_read(a, rax, va, 8, "cache a");
		check_read(b, rax, vb, 8, "cache b");
		regcache_invalidate(a);
		CHECK(!regcache_valid(a, rax) && regcache_valid(b, rax), "invalidate shared");
	}
	regcache_free(a);
	regcache_free(b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* A failed check fails its test and the run goes on to the next. */
	g_test_set_nonfatal_assertions();
	build_expected();

	g_test_add_func("/tdesc/parse/basic", test_tdesc_basic);
	g_test_add_func("/tdesc/parse/no-architecture", test_tdesc_no_architecture);
	g_test_add_func("/tdesc/parse/types", test_tdesc_types);
	g_test_add_func("/tdesc/parse/x86", test_tdesc_x86);
	g_test_add_func("/tdesc/error/not-xml", test_tdesc_err_not_xml);
	g_test_add_func("/tdesc/error/two-roots", test_tdesc_err_two_roots);
	g_test_add_func("/tdesc/error/unclosed", test_tdesc_err_unclosed);
	g_test_add_func("/tdesc/error/reg-outside-feature", test_tdesc_err_reg_outside_feature);
	g_test_add_func("/tdesc/error/missing-attribute", test_tdesc_err_missing);
	g_test_add_func("/tdesc/error/bitsize", test_tdesc_err_bitsize);
	g_test_add_func("/tdesc/error/regnum", test_tdesc_err_regnum);
	g_test_add_func("/tdesc/error/duplicate-name", test_tdesc_err_duplicate);
	g_test_add_func("/tdesc/error/no-registers", test_tdesc_err_no_registers);
	g_test_add_func("/tdesc/error/too-large", test_tdesc_err_too_large);
	g_test_add_func("/tdesc/limit/bytes", test_tdesc_limit_bytes);
	g_test_add_func("/tdesc/limit/regs", test_tdesc_limit_regs);
	g_test_add_func("/arch/x86-64/bind", test_arch_bind);
	g_test_add_func("/arch/x86-64/default-tdesc", test_arch_default_tdesc);
	g_test_add("/regset/lookup", struct fixture, NULL,
		   fixture_setup, test_regset_lookup, fixture_teardown);
	g_test_add("/regset/order", struct fixture, NULL,
		   fixture_setup, test_regset_order, fixture_teardown);
	g_test_add("/regset/widths", struct fixture, NULL,
		   fixture_setup, test_regset_widths, fixture_teardown);
	g_test_add_func("/regset/small", test_regset_small);
	g_test_add_func("/regset/errors", test_regset_errors);
	g_test_add_func("/regset/matches", test_regset_matches);
	g_test_add("/regcache/missing", struct fixture, NULL,
		   fixture_setup_cache, test_regcache_missing, fixture_teardown);
	g_test_add("/regcache/fill-errors", struct fixture, NULL,
		   fixture_setup_cache, test_regcache_fill_errors, fixture_teardown);
	g_test_add("/regcache/read", struct fixture, NULL,
		   fixture_setup_cache, test_regcache_read, fixture_teardown);
	g_test_add("/regcache/write", struct fixture, NULL,
		   fixture_setup_cache, test_regcache_write, fixture_teardown);
	g_test_add("/regcache/write-through", struct fixture, NULL,
		   fixture_setup_cache, test_regcache_write_through, fixture_teardown);
	g_test_add("/regcache/selector", struct fixture, NULL,
		   fixture_setup_cache, test_regcache_selector, fixture_teardown);
	g_test_add("/regcache/independent", struct fixture, NULL,
		   fixture_setup, test_regcache_independent, fixture_teardown);
	return g_test_run();
}
