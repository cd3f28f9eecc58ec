/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * guestmem.c - guest RAM shared by the VM (guestmem.h).
 */
#include "guestmem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEQ_TRIES 64   /* a table that changes this often is left to the VM */

struct guestmem {
	uint8_t *base;
	uint64_t size;                 /* of the file, all mapped */
	uint32_t translation;
	uint32_t nregions;
	struct vmdbg_mem_region regions[VMDBG_MAX_MEM_REGIONS];
	const struct vmdbg_shm_bp_table *table;
	uint32_t capacity;
	const uint8_t *low;            /* the region at guest-physical 0 (page tables): */
	uint64_t low_size;             /* NULL, 0 when there is none */
};

static bool fits(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

struct guestmem *guestmem_new(int fd, const struct vmdbg_mem_map *m, GError **error)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	const char *why = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		why = "it is not a regular file";
	else if (seals < 0 || !(seals & F_SEAL_SHRINK))
		why = "it is not sealed against shrinking (F_SEAL_SHRINK)";
	else if (m->nregions == 0 || m->nregions > VMDBG_MAX_MEM_REGIONS)
		why = "it has no regions";
	uint64_t size = why ? 0 : (uint64_t)st.st_size;
	uint64_t table_bytes = sizeof(struct vmdbg_shm_bp_table) +
			       (uint64_t)m->table_capacity * sizeof(struct vmdbg_shm_bp);
	if (!why && (m->table_capacity > (1u << 24) || !fits(m->table_offset, table_bytes, size) ||
		     m->table_offset % 8 != 0))
		why = "its breakpoint table lies outside the file";
	for (uint32_t i = 0; !why && i < m->nregions; i++) {
		struct vmdbg_mem_region r = vmdbg_mem_region_get(m, i);
		if (!fits(r.offset, r.size, size))
			why = "a region lies outside the file";
	}
	if (why) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "the VM's shared memory is unusable: %s", why);
		close(fd);
		return NULL;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
			    "cannot map the VM's shared memory (%" G_GUINT64_FORMAT " bytes): %s", size,
			    g_strerror(e));
		return NULL;
	}
	struct guestmem *g = g_new0(struct guestmem, 1);
	g->base = p;
	g->size = size;
	g->translation = m->translation;
	g->nregions = m->nregions;
	for (uint32_t i = 0; i < m->nregions; i++) {
		g->regions[i] = vmdbg_mem_region_get(m, i);
		if (g->regions[i].gpa == 0) {
			g->low = g->base + g->regions[i].offset;
			g->low_size = g->regions[i].size;
		}
	}
	g->table = (const void *)(g->base + m->table_offset);
	g->capacity = m->table_capacity;
	return g;
}

void guestmem_free(struct guestmem *g)
{
	if (!g)
		return;
	munmap(g->base, g->size);
	g_free(g);
}

uint32_t guestmem_translation(const struct guestmem *g)
{
	return g->translation;
}

uint64_t guestmem_ram_bytes(const struct guestmem *g)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < g->nregions; i++)
		n += g->regions[i].size;
	return n;
}

/* Where guest-physical gpa is mapped, and how many bytes follow it there. */
static uint8_t *host_of(struct guestmem *g, uint64_t gpa, uint64_t *avail)
{
	for (uint32_t i = 0; i < g->nregions; i++) {
		const struct vmdbg_mem_region *r = &g->regions[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size) {
			*avail = r->size - (gpa - r->gpa);
			return g->base + r->offset + (gpa - r->gpa);
		}
	}
	return NULL;
}

/* One piece of a transfer: guest-physical, host pointer, length. */
struct piece {
	uint64_t gpa;
	uint8_t *host;
	uint64_t len;
};

/* The next piece of [gva, gva+left) that is RAM, or false. */
static bool next_piece(struct guestmem *g, const struct x86_paging *pg, uint64_t gva, uint64_t left,
		       struct piece *p)
{
	uint64_t gpa, contig = left;
	if (g->translation == VMDBG_XLATE_X86) {
		if (!g->low || !x86_translate(pg, g->low, g->low_size, gva, &gpa, &contig))
			return false;
	} else {
		gpa = gva;
	}
	uint64_t avail;
	p->host = host_of(g, gpa, &avail);
	if (!p->host)
		return false;
	p->gpa = gpa;
	p->len = MIN(MIN(left, contig), avail);
	return p->len > 0;
}

/* Entries of the table overlapping [gpa, gpa+len): fn for each. */
static bool table_overlaps(const struct vmdbg_shm_bp *e, uint32_t count, uint64_t gpa, uint64_t len,
			   uint8_t *out)
{
	bool any = false;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t at = e[i].gpa;
		uint32_t n = MIN(e[i].len, 4u);
		for (uint32_t b = 0; b < n; b++) {
			if (at + b < gpa || at + b - gpa >= len)
				continue;
			any = true;
			if (out)
				out[at + b - gpa] = e[i].orig[b];
		}
	}
	return any;
}

/* A consistent copy of the table's count (the entries are read under the
 * same sequence number by the caller's retry loop). */
static bool table_begin(const struct guestmem *g, uint32_t *seq, uint32_t *count)
{
	*seq = __atomic_load_n(&g->table->seq, __ATOMIC_ACQUIRE);
	if (*seq & 1)
		return false;
	*count = MIN(__atomic_load_n(&g->table->count, __ATOMIC_RELAXED), g->capacity);
	return true;
}

static bool table_still(const struct guestmem *g, uint32_t seq)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&g->table->seq, __ATOMIC_RELAXED) == seq;
}

bool guestmem_read(struct guestmem *g, const struct x86_paging *pg, uint64_t addr, uint8_t *out,
		   size_t len)
{
	for (unsigned t = 0; t < SEQ_TRIES; t++) {
		uint32_t seq, count;
		if (!table_begin(g, &seq, &count))
			continue;
		size_t done = 0;
		while (done < len) {
			struct piece p;
			if (!next_piece(g, pg, addr + done, len - done, &p))
				return false;
			memcpy(out + done, p.host, p.len);
			if (count)
				table_overlaps(g->table->e, count, p.gpa, p.len, out + done);
			done += p.len;
		}
		if (table_still(g, seq))
			return true;
	}
	return false;
}

bool guestmem_write(struct guestmem *g, const struct x86_paging *pg, uint64_t addr,
		    const uint8_t *data, size_t len)
{
	uint32_t seq, count;
	if (!table_begin(g, &seq, &count))
		return false;
	/* all or nothing: every piece is RAM and free of breakpoints first */
	g_autoptr(GArray) pieces = g_array_new(FALSE, FALSE, sizeof(struct piece));
	for (size_t done = 0; done < len;) {
		struct piece p;
		if (!next_piece(g, pg, addr + done, len - done, &p) ||
		    (count && table_overlaps(g->table->e, count, p.gpa, p.len, NULL)))
			return false;
		g_array_append_val(pieces, p);
		done += p.len;
	}
	if (!table_still(g, seq))
		return false;
	size_t done = 0;
	for (guint i = 0; i < pieces->len; i++) {
		const struct piece *p = &g_array_index(pieces, struct piece, i);
		memcpy(p->host, data + done, p->len);
		done += p->len;
	}
	return true;
}
