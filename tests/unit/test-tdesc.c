/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-tdesc.c - target descriptions with xi:include: registers of included
 * files continue the numbering, included files are served as annexes, and
 * loops, deep nesting, missing files, unsafe names and oversize input are
 * refused with a message naming the file.
 */
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "tdesc.h"

/* An in-memory "directory" for the loader. */
static GHashTable *files;

static char *load_mem(void *ctx, const char *href, size_t *len, GError **error)
{
	const char *text = g_hash_table_lookup(files, href);
	if (!text) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no such file", href);
		return NULL;
	}
	*len = strlen(text);
	return g_strdup(text);
}

static const struct tdesc_loader loader = { load_mem, NULL };

static struct tdesc *parse(const char *xml, GError **error)
{
	return tdesc_parse("target.xml", xml, strlen(xml), &loader, error);
}

static void expect_error(const char *xml, const char *fragment)
{
	GError *err = NULL;
	struct tdesc *td = parse(xml, &err);
	g_assert_null(td);
	g_assert_nonnull(err);
	if (!strstr(err->message, fragment))
		g_error("error '%s' does not mention '%s'", err->message, fragment);
	g_error_free(err);
}

static void setup_files(void)
{
	files = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(files, "a.xml",
			    "<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
			    "<feature name=\"f.a\">\n  <reg name=\"ra\" bitsize=\"64\"/>\n"
			    "  <reg name=\"rb\" bitsize=\"32\"/>\n</feature>\n");
	g_hash_table_insert(files, "b.xml",
			    "<feature name=\"f.b\"><reg name=\"rc\" bitsize=\"128\" regnum=\"10\"/></feature>");
	g_hash_table_insert(files, "loop1.xml",
			    "<feature name=\"l1\"><xi:include href=\"loop2.xml\"/></feature>");
	g_hash_table_insert(files, "loop2.xml",
			    "<feature name=\"l2\"><xi:include href=\"loop1.xml\"/></feature>");
	g_hash_table_insert(files, "bad.xml",
			    "<feature name=\"bad\">\n<reg name=\"rz\" bitsize=\"12\"/></feature>");
	g_hash_table_insert(files, "target-root.xml", "<target><feature name=\"x\"/></target>");
	/* a chain deeper than TDESC_MAX_DEPTH */
	for (unsigned i = 0; i < 12; i++) {
		char *name = g_strdup_printf("deep%u.xml", i);
		char *body = g_strdup_printf("<feature name=\"d%u\"><xi:include href=\"deep%u.xml\"/></feature>",
					     i, i + 1);
		g_hash_table_insert(files, name, body);
	}
	g_hash_table_insert(files, "deep12.xml", "<feature name=\"d12\"/>");
}

static void test_include(void)
{
	GError *err = NULL;
	struct tdesc *td = parse("<target><architecture>i386:x86-64</architecture>"
				 "<feature name=\"main\"><reg name=\"r0\" bitsize=\"64\"/></feature>"
				 "<xi:include href=\"a.xml\"/><xi:include href=\"b.xml\"/></target>", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(td->architecture, ==, "i386:x86-64");
	g_assert_cmpuint(td->regs->len, ==, 4);
	const struct tdesc_reg *ra = tdesc_find(td, "ra"), *rb = tdesc_find(td, "rb");
	const struct tdesc_reg *rc = tdesc_find(td, "rc");
	g_assert_cmpuint(tdesc_find(td, "r0")->regnum, ==, 0);
	g_assert_cmpuint(ra->regnum, ==, 1);      /* numbering continues into a.xml */
	g_assert_cmpuint(rb->regnum, ==, 2);
	g_assert_cmpuint(rc->regnum, ==, 10);
	g_assert_cmpstr(ra->feature, ==, "f.a");
	g_assert_cmpint(ra->line, ==, 4);         /* lines count in the included file */
	/* gdb fetches the included files by their href */
	g_assert_true(g_hash_table_contains(td->annexes, "target.xml"));
	GBytes *a = g_hash_table_lookup(td->annexes, "a.xml");
	g_assert_nonnull(a);
	g_assert_cmpuint(g_bytes_get_size(a), ==, strlen(g_hash_table_lookup(files, "a.xml")));
	g_assert_nonnull(g_hash_table_lookup(td->annexes, "b.xml"));
	tdesc_free(td);
}

static void test_include_errors(void)
{
	expect_error("<target><xi:include href=\"loop1.xml\"/></target>", "loops back");
	expect_error("<target><xi:include href=\"deep0.xml\"/></target>", "nests deeper");
	expect_error("<target><xi:include href=\"nosuch.xml\"/></target>", "nosuch.xml");
	expect_error("<target><xi:include href=\"../etc/passwd\"/></target>", "plain file names");
	expect_error("<target><xi:include href=\"/etc/passwd\"/></target>", "plain file names");
	expect_error("<target><xi:include href=\"target.xml\"/></target>", "plain file names");
	expect_error("<target><xi:include/></target>", "xi:include");
	/* an error inside an included file names that file and its line */
	expect_error("<target><xi:include href=\"bad.xml\"/></target>", "bad.xml:2");
	expect_error("<target><xi:include href=\"bad.xml\"/></target>", "rz");
	/* an included file has a <feature> root, not a <target> */
	expect_error("<target><xi:include href=\"target-root.xml\"/></target>", "<feature>");
	/* without a directory there is nothing to include from */
	GError *err = NULL;
	const char *xml = "<target><xi:include href=\"a.xml\"/></target>";
	g_assert_null(tdesc_parse("target.xml", xml, strlen(xml), NULL, &err));
	g_assert_nonnull(strstr(err->message, "no directory"));
	g_error_free(err);
}

static void test_oversize(void)
{
	/* 10 MiB of text: refused up front, with the limit in the message */
	size_t n = 10u << 20;
	char *big = g_malloc(n + 1);
	memset(big, ' ', n);
	memcpy(big, "<target>", 8);
	big[n] = 0;
	GError *err = NULL;
	g_assert_null(tdesc_parse("huge.xml", big, n, &loader, &err));
	g_assert_nonnull(strstr(err->message, "huge.xml"));
	g_assert_nonnull(strstr(err->message, "limit"));
	g_error_free(err);
	g_free(big);
}

static void test_require(void)
{
	GError *err = NULL;
	struct tdesc *td = parse("<target><feature name=\"f\"><reg name=\"pc\" bitsize=\"64\"/>"
				 "<reg name=\"sp\" bitsize=\"64\"/></feature></target>", &err);
	g_assert_no_error(err);
	const char *ok[] = { "pc", "sp", NULL };
	const char *missing[] = { "pc", "x30", NULL };
	g_assert_true(tdesc_require(td, ok, "testing", NULL));
	g_assert_false(tdesc_require(td, missing, "AArch64 debugging", &err));
	g_assert_nonnull(strstr(err->message, "'x30'"));
	g_assert_nonnull(strstr(err->message, "AArch64 debugging"));
	g_error_free(err);
	tdesc_free(td);
}

static void test_load_file(void)
{
	g_autofree char *dir = g_dir_make_tmp("tdesc-XXXXXX", NULL);
	g_autofree char *main_path = g_build_filename(dir, "t.xml", NULL);
	g_autofree char *inc_path = g_build_filename(dir, "inc.xml", NULL);
	g_assert_true(g_file_set_contents(main_path,
					  "<target><xi:include href=\"inc.xml\"/></target>", -1, NULL));
	g_assert_true(g_file_set_contents(inc_path,
					  "<feature name=\"i\"><reg name=\"q\" bitsize=\"16\"/></feature>", -1,
					  NULL));
	GError *err = NULL;
	struct tdesc *td = tdesc_load_file(main_path, &err);
	g_assert_no_error(err);
	g_assert_nonnull(tdesc_find(td, "q"));
	g_assert_nonnull(g_hash_table_lookup(td->annexes, "inc.xml"));
	tdesc_free(td);
	g_assert_null(tdesc_load_file("/nonexistent/t.xml", &err));
	g_error_free(err);
	g_unlink(inc_path);
	g_unlink(main_path);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	setup_files();
	g_test_add_func("/tdesc/include", test_include);
	g_test_add_func("/tdesc/include-errors", test_include_errors);
	g_test_add_func("/tdesc/oversize-10MiB", test_oversize);
	g_test_add_func("/tdesc/require", test_require);
	g_test_add_func("/tdesc/load-file", test_load_file);
	return g_test_run();
}
