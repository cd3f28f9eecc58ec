/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
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
#define TDESC_MAX_TOTAL (4u << 20)   /* all files of one description */
#define TDESC_MAX_DEPTH 8u           /* nested xi:include */
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

/* How <xi:include href="..."/> finds its file: returns its contents (a
 * g_malloc'ed buffer) or NULL with error set.  NULL loader: includes are
 * an error. */
struct tdesc_loader {
	char *(*load)(void *ctx, const char *href, size_t *len, GError **error);
	void *ctx;
};

/* Parse a description whose main annex is "target.xml".  Included files
 * are parsed in place (their registers continue the numbering) and kept
 * as annexes of their href, as gdb asks for them. */
struct tdesc *tdesc_parse(const char *source_name, const char *xml, size_t len,
			  const struct tdesc_loader *loader, GError **error);
/* Load a description from a file; includes resolve in its directory. */
struct tdesc *tdesc_load_file(const char *path, GError **error);
void tdesc_free(struct tdesc *td);

const struct tdesc_reg *tdesc_find(const struct tdesc *td, const char *name);
/* Does the description have every register in `names` (NULL-terminated)?
 * `what` names the need in the error, e.g. "x86-64 debugging". */
bool tdesc_require(const struct tdesc *td, const char *const *names, const char *what,
		   GError **error);

#endif
