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
	const char *source;
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

static void start_element(GMarkupParseContext *pc, const char *element, const char **names,
			  const char **values, gpointer data, GError **error)
{
	struct parse_ctx *c = data;
	if (c->depth++ == 0) {
		/* one document, one <target> */
		if (c->seen_root || strcmp(element, "target") != 0) {
			set_error(pc, error, c->source, "%s <%s> element: the document must be one <target>",
				  c->seen_root ? "a second top-level" : "top-level", element);
			return;
		}
		c->seen_root = true;
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

struct tdesc *tdesc_parse(const char *source_name, const char *xml, size_t len, GError **error)
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
	struct parse_ctx c = { .td = td, .source = source_name, .arch_text = g_string_new(NULL),
			       .names = g_hash_table_new(g_direct_hash, g_direct_equal) };
	static const GMarkupParser parser = { start_element, end_element, text, NULL, NULL };
	GMarkupParseContext *pc = g_markup_parse_context_new(&parser, 0, &c, NULL);
	GError *local = NULL;
	bool ok = g_markup_parse_context_parse(pc, xml, (gssize)len, &local) &&
		  g_markup_parse_context_end_parse(pc, &local);
	g_markup_parse_context_free(pc);
	g_string_free(c.arch_text, TRUE);
	g_hash_table_unref(c.names);
	if (!ok) {
		if (local->domain == TDESC_ERROR)
			g_propagate_error(error, local);
		else {
			g_set_error(error, TDESC_ERROR, 1, "%s: %s", source_name, local->message);
			g_error_free(local);
		}
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

void tdesc_free(struct tdesc *td)
{
	if (!td)
		return;
	g_free(td->architecture);
	g_array_unref(td->regs);
	g_hash_table_unref(td->annexes);
	g_free(td);
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
