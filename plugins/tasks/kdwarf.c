/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * kdwarf.c - a kernel's symbols and structure layouts from its ELF and
 * DWARF, with elfutils' libdw (libdwfl for the file and its symbols).
 * Everything the tasks plugin knows about a kernel's structures comes
 * from here at load time: nothing is compiled in.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "tasks.h"

struct kdwarf {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf *dw;
	Dwarf_Addr bias;
	unsigned ptr;
	GHashTable *structs;     /* name -> Dwarf_Off of its definition (gsize) */
};

static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* Every named structure definition (not a declaration), and typedef names
 * of structures, once: lookups are then a hash table away. */
static void index_structs(struct kdwarf *k)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	uint8_t addr_size = 0;
	while (dwarf_nextcu(k->dw, off, &next, &hsize, NULL, &addr_size, NULL) == 0) {
		Dwarf_Die cu, die;
		if (k->ptr == 0 && addr_size)
			k->ptr = addr_size;
		if (dwarf_offdie(k->dw, off + hsize, &cu) && dwarf_child(&cu, &die) == 0) {
			do {
				int tag = dwarf_tag(&die);
				const char *name = dwarf_diename(&die);
				if (!name || dwarf_hasattr(&die, DW_AT_declaration))
					continue;
				if (tag != DW_TAG_structure_type && tag != DW_TAG_typedef)
					continue;
				if (tag == DW_TAG_typedef) {
					/* only a typedef of a structure counts */
					Dwarf_Attribute a;
					Dwarf_Die t;
					if (!dwarf_attr(&die, DW_AT_type, &a) || !dwarf_formref_die(&a, &t) ||
					    dwarf_tag(&t) != DW_TAG_structure_type ||
					    dwarf_hasattr(&t, DW_AT_declaration))
						continue;
					if (!g_hash_table_contains(k->structs, name))
						g_hash_table_insert(k->structs, g_strdup(name),
								    GSIZE_TO_POINTER(dwarf_dieoffset(&t)));
					continue;
				}
				/* a structure's own name wins over a typedef's */
				g_hash_table_insert(k->structs, g_strdup(name),
						    GSIZE_TO_POINTER(dwarf_dieoffset(&die)));
			} while (dwarf_siblingof(&die, &die) == 0);
		}
		off = next;
	}
}

struct kdwarf *kdwarf_open(const char *path, GError **error)
{
	/* libdwfl reports a missing file vaguely: say it plainly first */
	if (access(path, R_OK) != 0) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "kernel image %s: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	struct kdwarf *k = g_new0(struct kdwarf, 1);
	k->structs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	k->dwfl = dwfl_begin(&offline_callbacks);
	if (k->dwfl) {
		k->mod = dwfl_report_offline(k->dwfl, "kernel", path, -1);
		dwfl_report_end(k->dwfl, NULL, NULL);
	}
	if (!k->mod) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "kernel image %s: %s", path,
			    dwfl_errmsg(-1));
		kdwarf_close(k);
		return NULL;
	}
	k->dw = dwfl_module_getdwarf(k->mod, &k->bias);
	if (!k->dw) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "kernel image %s has no DWARF (the -dbg image is needed): %s", path,
			    dwfl_errmsg(-1));
		kdwarf_close(k);
		return NULL;
	}
	index_structs(k);
	if (k->ptr != 4 && k->ptr != 8)
		k->ptr = 8;
	return k;
}

void kdwarf_close(struct kdwarf *k)
{
	if (!k)
		return;
	if (k->dwfl)
		dwfl_end(k->dwfl);
	g_hash_table_destroy(k->structs);
	g_free(k);
}

unsigned kdwarf_pointer_size(struct kdwarf *k)
{
	return k->ptr;
}

bool kdwarf_symbol(struct kdwarf *k, const char *name, uint64_t *addr, uint64_t *size)
{
	int n = dwfl_module_getsymtab(k->mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		const char *s = dwfl_module_getsym_info(k->mod, i, &sym, &value, NULL, NULL, NULL);
		if (!s || strcmp(s, name) != 0 || sym.st_shndx == SHN_UNDEF)
			continue;
		*addr = value - k->bias;
		if (size)
			*size = sym.st_size;
		return true;
	}
	return false;
}

const char *kdwarf_addr_name(struct kdwarf *k, uint64_t addr)
{
	return dwfl_module_addrname(k->mod, addr + k->bias);
}

static bool struct_die(struct kdwarf *k, const char *type, Dwarf_Die *die, GError **error)
{
	gpointer off;
	if (!g_hash_table_lookup_extended(k->structs, type, NULL, &off) ||
	    !dwarf_offdie(k->dw, GPOINTER_TO_SIZE(off), die)) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "the kernel's DWARF has no struct %s",
			    type);
		return false;
	}
	return true;
}

bool kdwarf_struct_size(struct kdwarf *k, const char *type, uint64_t *size, GError **error)
{
	Dwarf_Die die;
	Dwarf_Word w;
	if (!struct_die(k, type, &die, error))
		return false;
	if (dwarf_aggregate_size(&die, &w) != 0) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "struct %s has no size in the DWARF", type);
		return false;
	}
	*size = w;
	return true;
}

/* The type a DIE names, through typedefs and qualifiers. */
static bool real_type(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	if (!dwarf_attr_integrate(die, DW_AT_type, &a) || !dwarf_formref_die(&a, out))
		return false;
	return dwarf_peel_type(out, out) == 0;
}

/* member name of the structure (or union) die: also inside its anonymous
 * structures and unions, as C lets one name them. */
static bool find_member(Dwarf_Die *st, const char *name, Dwarf_Die *out, Dwarf_Word *offset)
{
	Dwarf_Die m;
	if (dwarf_child(st, &m) != 0)
		return false;
	do {
		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		Dwarf_Word here = 0;
		Dwarf_Attribute a;
		if (dwarf_attr_integrate(&m, DW_AT_data_member_location, &a) &&
		    dwarf_formudata(&a, &here) != 0)
			continue;  /* a location expression: not a plain offset */
		const char *n = dwarf_diename(&m);
		if (n && strcmp(n, name) == 0) {
			*out = m;
			*offset = here;
			return true;
		}
		Dwarf_Die t;
		if (!n && real_type(&m, &t) && find_member(&t, name, out, offset)) {
			*offset += here;
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

bool kdwarf_member(struct kdwarf *k, const char *type, const char *member, uint64_t *offset,
		   uint64_t *size, GError **error)
{
	Dwarf_Die st, m, t;
	if (!struct_die(k, type, &st, error))
		return false;
	g_auto(GStrv) path = g_strsplit(member, ".", 0);
	uint64_t total = 0;
	for (unsigned i = 0; path[i]; i++) {
		Dwarf_Word off;
		if (!find_member(&st, path[i], &m, &off)) {
			g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
				    "struct %s in the kernel's DWARF has no member %s", type, member);
			return false;
		}
		total += off;
		if (!real_type(&m, &t)) {
			g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "%s.%s has no type in the DWARF",
				    type, member);
			return false;
		}
		st = t;
	}
	Dwarf_Word w;
	if (dwarf_aggregate_size(&t, &w) != 0) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "%s.%s has no size in the DWARF", type,
			    member);
		return false;
	}
	*offset = total;
	if (size)
		*size = w;
	return true;
}
