/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-vmdbg-doc.c - the worked examples of proto/vmdbg.md (§7) against
 * libvmdbg, so the spec's bytes cannot drift from the code.
 *
 * Each example is a table after a "<!-- vmdbg-example: TITLE -->" line:
 * rows of `hex bytes` | field | value.  The frame (all rows' bytes) must
 * decode; the decoded message, listed field by field in wire order
 * (dump() below, from the decoded structure, not from the bytes), must
 * have the rows' fields, widths and values; encoding the decoded message
 * again must give the same bytes; the title names the frame's type.
 * Every message has its examples: a request and a reply of each request
 * type, both events, and ERROR.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "check.h"
#include "vmdbg-glib.h"
#include "vmdbg-reencode.h"

/* ---- the examples as the document gives them ------------------------------- */

struct row {
	GByteArray *bytes;
	char *field, *value;
};

struct example {
	char *title;
	GPtrArray *rows;   /* struct row * */
};

static void row_free(gpointer p)
{
	struct row *r = p;
	g_byte_array_unref(r->bytes);
	g_free(r->field);
	g_free(r->value);
	g_free(r);
}

static void example_free(gpointer p)
{
	struct example *e = p;
	g_free(e->title);
	g_ptr_array_unref(e->rows);
	g_free(e);
}

/* "de ad 00" or "00 × 120" */
static bool parse_hex(const char *s, GByteArray *out)
{
	unsigned n;
	if (sscanf(s, "00 × %u", &n) == 1) {
		g_byte_array_set_size(out, n);
		memset(out->data, 0, n);
		return true;
	}
	g_auto(GStrv) tok = g_strsplit(s, " ", -1);
	for (char **t = tok; *t; t++) {
		char *end;
		unsigned long v = strtoul(*t, &end, 16);
		if (strlen(*t) != 2 || *end || v > 0xff)
			return false;
		uint8_t b = (uint8_t)v;
		g_byte_array_append(out, &b, 1);
	}
	return out->len > 0;
}

/* "| `hex` | field | value |" */
static struct row *parse_row(const char *line)
{
	if (!g_str_has_prefix(line, "| `"))
		return NULL;
	const char *hex = line + 3, *tick = strchr(hex, '`');
	if (!tick || !g_str_has_prefix(tick, "` | "))
		return NULL;
	const char *field = tick + 4, *bar = strstr(field, " | ");
	if (!bar || !g_str_has_suffix(line, " |"))
		return NULL;
	struct row *r = g_new0(struct row, 1);
	r->bytes = g_byte_array_new();
	g_autofree char *h = g_strndup(hex, (gsize)(tick - hex));
	r->field = g_strndup(field, (gsize)(bar - field));
	r->value = g_strndup(bar + 3, strlen(bar + 3) - 2);
	if (!parse_hex(h, r->bytes)) {
		row_free(r);
		return NULL;
	}
	return r;
}

static GPtrArray *parse_examples(const char *text)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(example_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		const char *tag = "<!-- vmdbg-example: ";
		if (!g_str_has_prefix(*l, tag))
			continue;
		struct example *e = g_new0(struct example, 1);
		e->title = g_strndup(*l + strlen(tag), strlen(*l) - strlen(tag) - 4);
		e->rows = g_ptr_array_new_with_free_func(row_free);
		g_ptr_array_add(all, e);
		/* the header and its rule, then rows up to the first other line */
		for (l++; *l && g_str_has_prefix(*l, "|"); l++) {
			struct row *r = parse_row(*l);
			if (r)
				g_ptr_array_add(e->rows, r);
			else if (!g_str_has_prefix(*l, "| bytes") && !g_str_has_prefix(*l, "|---"))
				g_ptr_array_add(e->rows, NULL);  /* unparsable: reported */
		}
		if (!*l)
			break;
	}
	return all;
}

/* ---- the decoded message, field by field ------------------------------------ */

struct field {
	char name[40];
	unsigned width;
	uint64_t v;            /* integer fields */
	const uint8_t *blob;   /* byte fields (then v unused) */
};

struct dump {
	struct field f[512];
	unsigned n;
};

static void fi(struct dump *d, unsigned width, uint64_t v, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
static void fi(struct dump *d, unsigned width, uint64_t v, const char *fmt, ...)
{
	if (d->n == G_N_ELEMENTS(d->f))
		return;
	struct field *f = &d->f[d->n++];
	va_list ap;
	va_start(ap, fmt);
	g_vsnprintf(f->name, sizeof(f->name), fmt, ap);
	va_end(ap);
	f->width = width;
	f->v = v;
	f->blob = NULL;
}

static void fb(struct dump *d, const void *p, unsigned width, const char *name)
{
	fi(d, width, 0, "%s", name);
	d->f[d->n - 1].blob = p;
}

static void dump_regs(struct dump *d, const struct vmdbg_reg_vals *v)
{
	fi(d, 4, v->vcpu, "vcpu");
	fi(d, 4, v->count, "count");
	size_t off = 0;
	uint64_t id;
	const uint8_t *val;
	uint32_t size;
	for (unsigned i = 0; vmdbg_regvals_next(v, &off, &id, &val, &size); i++) {
		fi(d, 8, id, "id[%u]", i);
		char name[16];
		g_snprintf(name, sizeof(name), "value[%u]", i);
		fb(d, val, size, name);
	}
}

static void dump_payload(struct dump *d, const struct vmdbg_msg *m)
{
	const bool reply = m->type & VMDBG_REPLY;
	switch (m->type & VMDBG_TYPE_MASK) {
	case VMDBG_HELLO: {
		const struct vmdbg_hello *h = &m->u.hello;
		fi(d, 4, h->version, "version");
		if (!reply) {
			fi(d, 4, h->features, "features");
			break;
		}
		fi(d, 4, h->arch, "arch");
		fi(d, 4, h->nr_vcpus, "nr_vcpus");
		fi(d, 4, h->hw_bps, "hw_bps");
		fi(d, 4, h->hw_wps, "hw_wps");
		fi(d, 4, h->features, "features");
		fi(d, 4, h->max_frame, "max_frame");
		fi(d, 4, 0, "reserved");
		break;
	}
	case VMDBG_REG_LIST:
	case VMDBG_GET_REGS:
		if ((m->type & VMDBG_TYPE_MASK) == VMDBG_REG_LIST && !reply) {
			fi(d, 4, m->u.vcpu, "vcpu");
		} else if ((m->type & VMDBG_TYPE_MASK) == VMDBG_GET_REGS && reply) {
			dump_regs(d, &m->u.reg_vals);
		} else {
			fi(d, 4, m->u.reg_ids.vcpu, "vcpu");
			fi(d, 4, m->u.reg_ids.count, "count");
			for (uint32_t i = 0; i < m->u.reg_ids.count; i++)
				fi(d, 8, vmdbg_reg_ids_get(&m->u.reg_ids, i), "id[%u]", i);
		}
		break;
	case VMDBG_SET_REGS:
		if (!reply)
			dump_regs(d, &m->u.reg_vals);
		break;
	case VMDBG_READ_MEM:
	case VMDBG_WRITE_MEM:
		if (m->type == (VMDBG_READ_MEM | VMDBG_REPLY)) {
			fi(d, 8, m->u.mem.addr, "addr");
			fi(d, 4, m->u.mem.len, "len");
			fi(d, 4, 0, "reserved");
			fb(d, m->u.mem.data, m->u.mem.len, "data");
		} else if (!reply) {
			fi(d, 4, m->u.mem.vcpu, "vcpu");
			fi(d, 4, m->u.mem.len, "len");
			fi(d, 8, m->u.mem.addr, "addr");
			if (m->type == VMDBG_WRITE_MEM)
				fb(d, m->u.mem.data, m->u.mem.len, "data");
		}
		break;
	case VMDBG_SET_GUEST_DEBUG:
		if (reply)
			break;
		fi(d, 4, m->u.gdbg.control, "control");
		fi(d, 4, m->u.gdbg.arch, "arch");
		if (m->u.gdbg.arch == VMDBG_ARCH_X86_64) {
			for (unsigned i = 0; i < 8; i++)
				fi(d, 8, m->u.gdbg.regs.x86.debugreg[i], "debugreg[%u]", i);
		} else {
			const struct vmdbg_arm64_debugregs *a = &m->u.gdbg.regs.arm64;
			const uint64_t *sets[] = { a->dbg_bcr, a->dbg_bvr, a->dbg_wcr, a->dbg_wvr };
			const char *names[] = { "bcr", "bvr", "wcr", "wvr" };
			for (unsigned s = 0; s < 4; s++)
				for (unsigned i = 0; i < VMDBG_MAX_DBG_REGS; i++)
					fi(d, 8, sets[s][i], "%s[%u]", names[s], i);
		}
		break;
	case VMDBG_SW_BP_INSERT:
	case VMDBG_SW_BP_REMOVE:
		if (reply)
			break;
		fi(d, 4, m->u.sw_bp.vcpu, "vcpu");
		fi(d, 4, m->u.sw_bp.kind, "kind");
		fi(d, 8, m->u.sw_bp.addr, "addr");
		break;
	case VMDBG_RESUME:
		if (reply)
			break;
		fi(d, 4, m->u.resume.default_action, "default_action");
		fi(d, 4, m->u.resume.count, "count");
		for (uint32_t i = 0; i < m->u.resume.count; i++) {
			struct vmdbg_resume_entry e = vmdbg_resume_get(&m->u.resume, i);
			fi(d, 4, e.vcpu, "vcpu[%u]", i);
			fi(d, 4, e.action, "action[%u]", i);
		}
		for (uint32_t i = 0, k = 0; i < m->u.resume.count; i++) {
			struct vmdbg_resume_entry e = vmdbg_resume_get(&m->u.resume, i);
			if (e.action != VMDBG_ACT_RANGE_STEP)
				continue;
			fi(d, 8, e.start, "start[%u]", k);
			fi(d, 8, e.end, "end[%u]", k++);
		}
		break;
	case VMDBG_POINT_COND: {
		if (reply)
			break;
		const struct vmdbg_point_cond *c = &m->u.cond;
		fi(d, 8, c->addr, "addr");
		fi(d, 4, c->nregs, "nregs");
		fi(d, 4, c->nconds, "nconds");
		fi(d, 4, c->ncmds, "ncmds");
		fi(d, 4, 0, "reserved");
		for (uint32_t i = 0; i < c->nregs; i++) {
			struct vmdbg_cond_reg r = vmdbg_cond_reg_get(c, i);
			fi(d, 8, r.id, "id[%u]", i);
			fi(d, 4, r.regnum, "regnum[%u]", i);
			fi(d, 4, 0, "reserved[%u]", i);
		}
		size_t off = 0;
		const uint8_t *code;
		uint32_t len, index;
		while (vmdbg_cond_next(c, &off, &code, &len, &index)) {
			char name[16];
			fi(d, 4, len, "len[%u]", index);
			g_snprintf(name, sizeof(name), "code[%u]", index);
			fb(d, code, len, name);
		}
		break;
	}
	case VMDBG_MEM_MAP:
		if (!reply)
			break;
		fi(d, 4, m->u.mem_map.translation, "translation");
		fi(d, 4, m->u.mem_map.nregions, "nregions");
		fi(d, 8, m->u.mem_map.table_offset, "table_offset");
		fi(d, 4, m->u.mem_map.table_capacity, "table_capacity");
		fi(d, 4, 0, "reserved");
		for (uint32_t i = 0; i < m->u.mem_map.nregions; i++) {
			struct vmdbg_mem_region r = vmdbg_mem_region_get(&m->u.mem_map, i);
			fi(d, 8, r.gpa, "gpa[%u]", i);
			fi(d, 8, r.size, "size[%u]", i);
			fi(d, 8, r.offset, "offset[%u]", i);
		}
		break;
	case VMDBG_WATCH_INSERT:
	case VMDBG_WATCH_REMOVE:
		if (reply)
			break;
		fi(d, 4, m->u.watch.vcpu, "vcpu");
		fi(d, 4, m->u.watch.kind, "kind");
		fi(d, 8, m->u.watch.addr, "addr");
		fi(d, 8, m->u.watch.len, "len");
		break;
	case VMDBG_WATCH_LIST: {
		if (!reply)
			break;
		fi(d, 4, m->u.watch_list.count, "count");
		fi(d, 4, 0, "reserved");
		size_t off = 0;
		struct vmdbg_watch_info w;
		for (unsigned i = 0; vmdbg_watch_list_next(&m->u.watch_list, &off, &w); i++) {
			fi(d, 8, w.addr, "addr[%u]", i);
			fi(d, 8, w.len, "len[%u]", i);
			fi(d, 4, w.kind, "kind[%u]", i);
			fi(d, 4, w.npages, "npages[%u]", i);
			fi(d, 8, w.hits, "hits[%u]", i);
			fi(d, 8, w.silent, "silent[%u]", i);
			for (uint32_t k = 0; k < w.npages; k++)
				fi(d, 8, w.pages[k], "page[%u,%u]", i, k);
		}
		break;
	}
	case VMDBG_EV_STOPPED:
		fi(d, 4, m->u.stopped.vcpu, "vcpu");
		fi(d, 4, m->u.stopped.reason, "reason");
		fi(d, 8, m->u.stopped.pc, "pc");
		for (unsigned i = 0; i < 3; i++)
			fi(d, 8, m->u.stopped.info[i], "info[%u]", i);
		break;
	case VMDBG_EV_OUTPUT:
		fi(d, 4, m->u.output.vcpu, "vcpu");
		fi(d, 4, m->u.output.len, "len");
		fb(d, m->u.output.text, m->u.output.len, "text");
		break;
	case VMDBG_ERROR:
		fi(d, 4, m->u.error.code, "code");
		fi(d, 4, m->u.error.len, "len");
		fb(d, m->u.error.text, m->u.error.len, "text");
		break;
	}
}

static void dump_msg(struct dump *d, const struct vmdbg_msg *m, size_t frame_len)
{
	d->n = 0;
	fi(d, 4, frame_len, "len");
	fi(d, 2, VMDBG_VERSION, "version");
	fi(d, 2, m->type, "type");
	fi(d, 4, m->seq, "seq");
	fi(d, 4, 0, "reserved");
	dump_payload(d, m);
}

/* ---- one example checked ------------------------------------------------------ */

/* The row's value column against field f (width already checked). */
static void check_value(GString *why, const struct row *r, const char *name, const struct field *f,
			const uint8_t *bytes)
{
	const char *v = r->value;
	char *end;
	uint64_t n = g_ascii_strtoull(v, &end, 0);
	bool number = end != v && (*end == '\0' || *end == ' ' || *end == ',');
	if (!f->blob) {
		if (!number || n != f->v)
			g_string_append_printf(why, "%s: the document says \"%s\", the codec decodes %" PRIu64
					       " (0x%" PRIx64 ")\n", name, v, f->v, f->v);
		return;
	}
	if (v[0] == '"') {
		g_autofree char *inner = g_strndup(v + 1, strlen(v) - 2);
		g_autofree char *text = g_strcompress(inner);
		if (strlen(text) != f->width || memcmp(text, f->blob, f->width) != 0)
			g_string_append_printf(why, "%s: the document says %s, the codec decodes other bytes\n",
					       name, v);
	} else if (number && f->width <= 8) {
		uint64_t le = 0;
		for (unsigned i = 0; i < f->width; i++)
			le |= (uint64_t)f->blob[i] << (8 * i);
		if (le != n)
			g_string_append_printf(why, "%s: the document says %s, the codec decodes 0x%" PRIx64 "\n",
					       name, v, le);
	}
	(void)bytes;
}

/* "name[a..b]": how many fields the row stands for, and their names */
static unsigned expand(const char *field, char names[][40], unsigned max)
{
	unsigned a, b;
	char base[32];
	if (sscanf(field, "%31[a-z_][%u..%u]", base, &a, &b) == 3 && a <= b && b - a < max) {
		for (unsigned i = a; i <= b; i++)
			g_snprintf(names[i - a], 40, "%s[%u]", base, i);
		return b - a + 1;
	}
	g_strlcpy(names[0], field, 40);
	return 1;
}

/* The expected type of a title: "X request", "X reply", "X event", "ERROR". */
static int title_type(const char *title)
{
	g_auto(GStrv) w = g_strsplit(title, " ", 2);
	for (unsigned t = 1; t < 0x80; t++) {
		if (strcmp(vmdbg_type_name((uint8_t)t), w[0]) != 0)
			continue;
		if (t == VMDBG_ERROR)
			return w[1] ? -1 : (int)t;
		if (!w[1])
			return -1;
		if (strcmp(w[1], "request") == 0 && t < VMDBG_EV_STOPPED)
			return (int)t;
		if (strcmp(w[1], "reply") == 0 && t < VMDBG_EV_STOPPED)
			return (int)(t | VMDBG_REPLY);
		if (strcmp(w[1], "event") == 0 && t >= VMDBG_EV_STOPPED)
			return (int)t;
	}
	return -1;
}

/* Everything wrong with one example, one line each ("" when right). */
static char *check_example(const struct example *e)
{
	GString *why = g_string_new(NULL);
	g_autoptr(GByteArray) frame = g_byte_array_new();
	g_autoptr(GByteArray) again = g_byte_array_new();
	for (guint i = 0; i < e->rows->len; i++) {
		const struct row *r = g_ptr_array_index(e->rows, i);
		if (!r) {
			g_string_append_printf(why, "row %u is not `hex` | field | value\n", i + 1);
			return g_string_free(why, FALSE);
		}
		g_byte_array_append(frame, r->bytes->data, r->bytes->len);
	}
	struct vmdbg_msg m;
	g_autoptr(GError) err = NULL;
	if (!vmdbg_g_decode(frame->data, frame->len, &m, &err)) {
		g_string_append_printf(why, "the frame does not decode: %s\n", err->message);
		return g_string_free(why, FALSE);
	}
	int want = title_type(e->title);
	if (want != m.type)
		g_string_append_printf(why, "the title names type 0x%x, the frame is of type 0x%02x\n", want,
				       m.type);
	struct dump *d = g_new0(struct dump, 1);
	dump_msg(d, &m, frame->len);
	unsigned k = 0;
	for (guint i = 0; i < e->rows->len; i++) {
		const struct row *r = g_ptr_array_index(e->rows, i);
		char names[64][40];
		unsigned n = expand(r->field, names, G_N_ELEMENTS(names));
		for (unsigned j = 0; j < n; j++, k++) {
			if (k >= d->n) {
				g_string_append_printf(why, "%s: the codec decodes no such field\n", names[j]);
				goto out;
			}
			const struct field *f = &d->f[k];
			if (strcmp(f->name, names[j]) != 0 || f->width * n != r->bytes->len) {
				g_string_append_printf(why, "row %u: %s of %u bytes, the codec's field %u is %s of %u\n",
						       i + 1, names[j], r->bytes->len / n, k, f->name, f->width);
				goto out;
			}
			check_value(why, r, names[j], f, r->bytes->data);
		}
	}
	if (k != d->n)
		g_string_append_printf(why, "the codec decodes %u fields, the table has %u\n", d->n, k);
	if (!vmdbg_reencode(&m, again) || again->len != frame->len ||
	    memcmp(again->data, frame->data, frame->len) != 0)
		g_string_append_printf(why, "encoding the decoded message gives other bytes\n");
out:
	g_free(d);
	return g_string_free(why, FALSE);
}

/* ---- tests ---------------------------------------------------------------------- */

static GPtrArray *load(void)
{
	const char *top = g_getenv("TOP_SRCDIR");
	g_autofree char *path = g_build_filename(top ? top : ".", "proto", "vmdbg.md", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;
	if (!g_file_get_contents(path, &text, NULL, &err)) {
		CHECK(false, "%s", err->message);
		return g_ptr_array_new();
	}
	return parse_examples(text);
}

static void test_examples(void)
{
	g_autoptr(GPtrArray) all = load();
	for (guint i = 0; i < all->len; i++) {
		const struct example *e = g_ptr_array_index(all, i);
		g_autofree char *why = check_example(e);
		CHECK(!*why, "example \"%s\":\n%s", e->title, why);
	}
	g_test_message("%u examples checked", all->len);
}

/* A request and a reply of every request type, both events, ERROR. */
static void test_every_message(void)
{
	g_autoptr(GPtrArray) all = load();
	GHashTable *titles = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < all->len; i++)
		g_hash_table_add(titles, ((struct example *)g_ptr_array_index(all, i))->title);
	for (unsigned t = VMDBG_HELLO; t <= VMDBG_WATCH_LIST; t++) {
		g_autofree char *req = g_strdup_printf("%s request", vmdbg_type_name((uint8_t)t));
		g_autofree char *rep = g_strdup_printf("%s reply", vmdbg_type_name((uint8_t)t));
		CHECK(g_hash_table_contains(titles, req), "no example \"%s\"", req);
		CHECK(g_hash_table_contains(titles, rep), "no example \"%s\"", rep);
	}
	CHECK(g_hash_table_contains(titles, "STOPPED event"), "no example \"STOPPED event\"");
	CHECK(g_hash_table_contains(titles, "OUTPUT event"), "no example \"OUTPUT event\"");
	CHECK(g_hash_table_contains(titles, "ERROR"), "no example \"ERROR\"");
	CHECK(all->len == 2 * (VMDBG_WATCH_LIST - VMDBG_HELLO + 1) + 3, "%u examples", all->len);
	g_hash_table_unref(titles);
}

/* The checker itself: a document that drifted is caught. */
static void test_drift_caught(void)
{
	const char *good =
		"<!-- vmdbg-example: SW_BP_INSERT request -->\n"
		"| bytes | field | value |\n|---|---|---|\n"
		"| `20 00 00 00` | len | 32 |\n| `01 00` | version | 1 |\n| `08 00` | type | 0x08 |\n"
		"| `05 00 00 00` | seq | 5 |\n| `00 00 00 00` | reserved | 0 |\n"
		"| `00 00 00 00` | vcpu | 0 |\n| `04 00 00 00` | kind | 4 — A64 BRK |\n"
		"| `60 00 08 40 00 00 00 00` | addr | 0x40080060 |\n";
	struct {
		const char *from, *to, *says;
	} drifts[] = {
		{ NULL, NULL, NULL },
		{ "| kind | 4 —", "| kind | 1 —", "the codec decodes 4" },           /* a wrong value */
		{ "| vcpu |", "| cpu |", "the codec's field 5 is vcpu" },           /* a wrong name */
		{ "`04 00 00 00`", "`04 00 00 00 00`", "does not decode" },        /* a stray byte */
		{ "SW_BP_INSERT request", "SW_BP_REMOVE request", "names type 0x9" }, /* a wrong title */
		{ "| `60 00 08 40 00 00 00 00` | addr", "| `60 00 08 40` | addr", "does not decode" },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(drifts); i++) {
		g_autofree char *doc = g_strdup(good);
		if (drifts[i].from) {
			char *at = strstr(good, drifts[i].from);
			g_assert_nonnull(at);
			g_free(doc);
			doc = g_strdup_printf("%.*s%s%s", (int)(at - good), good, drifts[i].to,
					      at + strlen(drifts[i].from));
		}
		g_autoptr(GPtrArray) all = parse_examples(doc);
		g_assert_cmpuint(all->len, ==, 1);
		g_autofree char *why = check_example(g_ptr_array_index(all, 0));
		if (!drifts[i].from)
			CHECK(!*why, "the good example fails: %s", why);
		else
			CHECK(strstr(why, drifts[i].says), "drift %u: \"%s\" not caught (%s)", i,
			      drifts[i].to, why);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/vmdbg/doc/examples", test_examples);
	g_test_add_func("/vmdbg/doc/every-message", test_every_message);
	g_test_add_func("/vmdbg/doc/drift-caught", test_drift_caught);
	return g_test_run();
}
