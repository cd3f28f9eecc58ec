/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * tdesc.c - target description parser (GMarkup).  Registers are numbered
 * as gdb numbers them: an explicit regnum, else one more than the previous
 * register (gdb manual, "Target Description Format" > "Registers").
 * Types (vector, union, struct, flags) are gdb's business: they are kept in
 * the served text, and only the register list is extracted.
 */
#include "tdesc.h"

#include <string.h>

G_DEFINE_QUARK(dbgproxyd-tdesc-error-quark, tdesc_error)

struct parse_ctx {
	struct tdesc *td;
	const char *source;           /* the file being parsed now */
	const char *root;             /* the root element this file must have */
	const struct tdesc_loader *loader;
	GPtrArray *stack;             /* files being parsed: include loop detection */
	size_t total;                 /* bytes of every file so far */
	const char *feature;
	unsigned next_regnum;
	bool in_architecture;
	unsigned depth;
	bool seen_root;
	GString *arch_text;
	GHashTable *names;
};

static void set_error(GMarkupParseContext *pc, GError **error, const char *source, const char *fmt,
		      ...) G_GNUC_PRINTF(4, 5);

static void set_error(GMarkupParseContext *pc, GError **error, const char *source, const char *fmt,
		      ...)
{
	int line = 0, col = 0;
	g_markup_parse_context_get_position(pc, &line, &col);
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, TDESC_ERROR, 1, "%s:%d: %s", source, line, msg);
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	guint64 v;
	if (!s || !g_ascii_string_to_unsigned(s, 10, 0, max, &v, NULL))
		return false;
	*out = (unsigned)v;
	return true;
}

static void include(GMarkupParseContext *pc, struct parse_ctx *c, const char **names,
		    const char **values, GError **error);

static void start_element(GMarkupParseContext *pc, const char *element, const char **names,
			  const char **values, gpointer data, GError **error)
{
	struct parse_ctx *c = data;
	if (c->depth++ == 0) {
		/* one document, one root: <target>, or <feature> in an included file */
		if (c->seen_root || strcmp(element, c->root) != 0) {
			set_error(pc, error, c->source, "%s <%s> element: the document must be one <%s>",
				  c->seen_root ? "a second top-level" : "top-level", element, c->root);
			return;
		}
		c->seen_root = true;
		if (strcmp(element, "target") == 0)
			return;
		/* an included <feature> root falls through to be handled as one */
	}
	if (strcmp(element, "xi:include") == 0) {
		include(pc, c, names, values, error);
		return;
	}
	if (strcmp(element, "architecture") == 0) {
		c->in_architecture = true;
		g_string_truncate(c->arch_text, 0);
		return;
	}
	if (strcmp(element, "feature") == 0) {
		const char *name = NULL;
		if (!g_markup_collect_attributes(element, names, values, error,
						 G_MARKUP_COLLECT_STRING, "name", &name,
						 G_MARKUP_COLLECT_INVALID))
			return;
		c->feature = g_intern_string(name);
		return;
	}
	if (strcmp(element, "reg") != 0)
		return; /* target, types, fields, includes handled elsewhere or served as is */

	const char *name = NULL, *bitsize = NULL, *type = NULL, *group = NULL, *regnum = NULL;
	const char *save = NULL, *ignored = NULL;
	/* name the register in attribute errors when it has a name */
	for (unsigned i = 0; names[i]; i++)
		if (strcmp(names[i], "name") == 0)
			name = values[i];
	const char *reg_name = name;
	GError *attr_err = NULL;
	if (!g_markup_collect_attributes(element, names, values, &attr_err,
					 G_MARKUP_COLLECT_STRING, "name", &name,
					 G_MARKUP_COLLECT_STRING, "bitsize", &bitsize,
					 G_MARKUP_COLLECT_STRING | G_MARKUP_COLLECT_OPTIONAL, "type", &type,
					 G_MARKUP_COLLECT_STRING | G_MARKUP_COLLECT_OPTIONAL, "group", &group,
					 G_MARKUP_COLLECT_STRING | G_MARKUP_COLLECT_OPTIONAL, "regnum", &regnum,
					 G_MARKUP_COLLECT_STRING | G_MARKUP_COLLECT_OPTIONAL, "save-restore", &save,
					 G_MARKUP_COLLECT_STRING | G_MARKUP_COLLECT_OPTIONAL, "altname", &ignored,
					 G_MARKUP_COLLECT_INVALID)) {
		if (reg_name)
			set_error(pc, error, c->source, "register '%s': %s", reg_name, attr_err ? attr_err->message : "");
		else
			set_error(pc, error, c->source, "<reg> without a name");
		g_clear_error(&attr_err);
		return;
	}
	if (!c->feature) {
		set_error(pc, error, c->source, "register '%s' outside a <feature>", name);
		return;
	}
	struct tdesc_reg r = { .name = g_intern_string(name), .feature = c->feature,
			       .type = g_intern_string(type ? type : "int"),
			       .group = group ? g_intern_string(group) : NULL };
	if (!parse_uint(bitsize, 2048, &r.bitsize) || r.bitsize == 0 || r.bitsize % 8) {
		set_error(pc, error, c->source,
			  "register '%s': bitsize '%s' is not a multiple of 8 in 8..2048", name, bitsize);
		return;
	}
	r.regnum = c->next_regnum;
	if (regnum && !parse_uint(regnum, TDESC_MAX_REGS - 1, &r.regnum)) {
		set_error(pc, error, c->source, "register '%s': bad regnum '%s'", name, regnum);
		return;
	}
	if (g_hash_table_contains(c->names, r.name)) {
		set_error(pc, error, c->source, "register '%s' is declared twice", name);
		return;
	}
	if (c->td->regs->len >= TDESC_MAX_REGS) {
		set_error(pc, error, c->source, "more than %u registers", TDESC_MAX_REGS);
		return;
	}
	g_markup_parse_context_get_position(pc, &r.line, NULL);
	g_hash_table_add(c->names, (gpointer)r.name);
	g_array_append_val(c->td->regs, r);
	c->next_regnum = r.regnum + 1;
}

static bool parse_document(struct parse_ctx *c, const char *source, const char *root,
			   const char *xml, size_t len, GError **error);

/* <xi:include href="file.xml"/>: parse the file in place, keep its text as
 * the annex gdb will ask for. */
static void include(GMarkupParseContext *pc, struct parse_ctx *c, const char **names,
		    const char **values, GError **error)
{
	const char *href = NULL;
	GError *attr_err = NULL;
	if (!g_markup_collect_attributes("xi:include", names, values, &attr_err,
					 G_MARKUP_COLLECT_STRING, "href", &href,
					 G_MARKUP_COLLECT_STRING | G_MARKUP_COLLECT_OPTIONAL, "parse", NULL,
					 G_MARKUP_COLLECT_INVALID)) {
		set_error(pc, error, c->source, "xi:include: %s", attr_err->message);
		g_error_free(attr_err);
		return;
	}
	if (!c->loader) {
		set_error(pc, error, c->source, "xi:include of '%s', but this description has no directory to include from", href);
		return;
	}
	if (href[0] == 0 || strchr(href, '/') || strcmp(href, "target.xml") == 0) {
		set_error(pc, error, c->source, "xi:include of '%s': only plain file names in the same directory", href);
		return;
	}
	for (guint i = 0; i < c->stack->len; i++)
		if (strcmp(g_ptr_array_index(c->stack, i), href) == 0) {
			set_error(pc, error, c->source, "xi:include of '%s' loops back to itself", href);
			return;
		}
	if (c->stack->len >= TDESC_MAX_DEPTH) {
		set_error(pc, error, c->source, "xi:include of '%s' nests deeper than %u files", href,
			  TDESC_MAX_DEPTH);
		return;
	}
	size_t len = 0;
	GError *load_err = NULL;
	g_autofree char *text = c->loader->load(c->loader->ctx, href, &len, &load_err);
	if (!text) {
		set_error(pc, error, c->source, "xi:include of '%s': %s", href, load_err->message);
		g_error_free(load_err);
		return;
	}
	if (len > TDESC_MAX_BYTES || c->total + len > TDESC_MAX_TOTAL) {
		set_error(pc, error, c->source, "xi:include of '%s': the description grows beyond %u bytes",
			  href, len > TDESC_MAX_BYTES ? TDESC_MAX_BYTES : TDESC_MAX_TOTAL);
		return;
	}
	/* a nested document has its own position and root */
	struct parse_ctx saved = *c;
	c->depth = 0;
	c->seen_root = false;
	c->feature = NULL;
	bool ok = parse_document(c, href, "feature", text, len, error);
	c->depth = saved.depth;
	c->seen_root = saved.seen_root;
	c->feature = saved.feature;
	c->source = saved.source;
	c->root = saved.root;
	if (ok && !g_hash_table_contains(c->td->annexes, href))
		g_hash_table_insert(c->td->annexes, g_strdup(href), g_bytes_new(text, len));
}

static void end_element(GMarkupParseContext *pc, const char *element, gpointer data,
			GError **error)
{
	struct parse_ctx *c = data;
	c->depth--;
	if (strcmp(element, "architecture") == 0) {
		c->in_architecture = false;
		g_free(c->td->architecture);
		c->td->architecture = g_strstrip(g_strdup(c->arch_text->str));
	} else if (strcmp(element, "feature") == 0) {
		c->feature = NULL;
	}
}

static void text(GMarkupParseContext *pc, const char *txt, gsize len, gpointer data,
		 GError **error)
{
	struct parse_ctx *c = data;
	if (c->in_architecture)
		g_string_append_len(c->arch_text, txt, (gssize)len);
}

static bool parse_document(struct parse_ctx *c, const char *source, const char *root,
			   const char *xml, size_t len, GError **error)
{
	static const GMarkupParser parser = { start_element, end_element, text, NULL, NULL };
	c->source = source;
	c->root = root;
	c->total += len;
	g_ptr_array_add(c->stack, (gpointer)source);
	GMarkupParseContext *pc = g_markup_parse_context_new(&parser, 0, c, NULL);
	GError *local = NULL;
	bool ok = g_markup_parse_context_parse(pc, xml, (gssize)len, &local) &&
		  g_markup_parse_context_end_parse(pc, &local);
	g_markup_parse_context_free(pc);
	g_ptr_array_remove_index(c->stack, c->stack->len - 1);
	if (!ok) {
		if (local->domain == TDESC_ERROR)
			g_propagate_error(error, local);
		else {
			g_set_error(error, TDESC_ERROR, 1, "%s: %s", source, local->message);
			g_error_free(local);
		}
	}
	return ok;
}

struct tdesc *tdesc_parse(const char *source_name, const char *xml, size_t len,
			  const struct tdesc_loader *loader, GError **error)
{
	if (len > TDESC_MAX_BYTES) {
		g_set_error(error, TDESC_ERROR, 1, "%s: %zu bytes is larger than the %u-byte limit",
			    source_name, len, TDESC_MAX_BYTES);
		return NULL;
	}
	struct tdesc *td = g_new0(struct tdesc, 1);
	td->regs = g_array_new(FALSE, FALSE, sizeof(struct tdesc_reg));
	td->annexes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)g_bytes_unref);
	struct parse_ctx c = { .td = td, .loader = loader, .stack = g_ptr_array_new(),
			       .arch_text = g_string_new(NULL),
			       .names = g_hash_table_new(g_direct_hash, g_direct_equal) };
	bool ok = parse_document(&c, source_name, "target", xml, len, error);
	g_string_free(c.arch_text, TRUE);
	g_hash_table_unref(c.names);
	g_ptr_array_unref(c.stack);
	if (!ok) {
		tdesc_free(td);
		return NULL;
	}
	if (td->regs->len == 0) {
		g_set_error(error, TDESC_ERROR, 1, "%s: no registers described", source_name);
		tdesc_free(td);
		return NULL;
	}
	g_hash_table_insert(td->annexes, g_strdup("target.xml"), g_bytes_new(xml, len));
	return td;
}

static char *load_beside(void *ctx, const char *href, size_t *len, GError **error)
{
	g_autofree char *path = g_build_filename(ctx, href, NULL);
	char *text = NULL;
	gsize n = 0;
	if (!g_file_get_contents(path, &text, &n, error))
		return NULL;
	*len = n;
	return text;
}

struct tdesc *tdesc_load_file(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &text, &len, error))
		return NULL;
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	struct tdesc_loader loader = { load_beside, dir };
	return tdesc_parse(base, text, len, &loader, error);
}

void tdesc_free(struct tdesc *td)
{
	if (!td)
		return;
	g_free(td->architecture);
	g_array_unref(td->regs);
	g_hash_table_unref(td->annexes);
	g_free(td);
}

bool tdesc_require(const struct tdesc *td, const char *const *names, const char *what,
		   GError **error)
{
	for (const char *const *n = names; n && *n; n++) {
		if (!tdesc_find(td, *n)) {
			g_set_error(error, TDESC_ERROR, 2,
				    "the description lacks register '%s', which %s requires", *n, what);
			return false;
		}
	}
	return true;
}

const struct tdesc_reg *tdesc_find(const struct tdesc *td, const char *name)
{
	const char *interned = g_intern_string(name);
	for (guint i = 0; i < td->regs->len; i++) {
		const struct tdesc_reg *r = &g_array_index(td->regs, struct tdesc_reg, i);
		if (r->name == interned)
			return r;
	}
	return NULL;
}
