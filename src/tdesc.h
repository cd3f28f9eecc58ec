/*
 * tdesc.h - gdb target descriptions (gdb manual, "Target Descriptions"):
 * parsed with GMarkup into the list of registers gdb will use, and kept as
 * text to serve through qXfer:features:read.
 */
#ifndef TDESC_H
#define TDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#define TDESC_ERROR (tdesc_error_quark())
GQuark tdesc_error_quark(void);
#define TDESC_MAX_BYTES (1u << 20)   /* one description file */
#define TDESC_MAX_REGS  4096u

struct tdesc_reg {
	const char *name;      /* interned */
	const char *feature;   /* interned feature name */
	const char *type;      /* interned; "int" if absent */
	const char *group;     /* interned or NULL */
	unsigned bitsize;
	unsigned regnum;       /* gdb's number: explicit or one past the previous */
	int line;              /* where it was declared, for messages */
};

struct tdesc {
	char *architecture;    /* e.g. "i386:x86-64", or NULL */
	GArray *regs;          /* struct tdesc_reg, in document order */
	GHashTable *annexes;   /* annex name -> GBytes: the XML served to gdb */
};

/* Parse a description whose main annex is "target.xml". */
struct tdesc *tdesc_parse(const char *source_name, const char *xml, size_t len, GError **error);
void tdesc_free(struct tdesc *td);

const struct tdesc_reg *tdesc_find(const struct tdesc *td, const char *name);

#endif
