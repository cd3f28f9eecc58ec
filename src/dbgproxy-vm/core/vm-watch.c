/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-watch.c - the table of page-protection watches (vm-watch.h).
 */
#include "vm-watch.h"

#include <inttypes.h>
#include <string.h>

#include "vm.h"

struct piece {
	uint64_t gpa, len;     /* within one page */
};

struct watch {
	struct vmdbg_watch req;
	unsigned npieces;
	struct piece pieces[VMDBG_WATCH_MAX_PAGES];
	uint64_t hits, silent;
};

struct vm_watches {
	GMutex lock;
	GArray *watches;       /* struct watch, in insertion order */
	struct vm_watch_page pages[VM_WATCH_MAX_PAGES_ALL];
	size_t npages;         /* protected pages, ascending */
	gint any;              /* npages != 0, read without the lock */
};

struct vm_watches *vm_watches_new(void)
{
	struct vm_watches *w = g_new0(struct vm_watches, 1);
	g_mutex_init(&w->lock);
	w->watches = g_array_new(FALSE, TRUE, sizeof(struct watch));
	return w;
}

void vm_watches_free(struct vm_watches *w)
{
	if (!w)
		return;
	g_array_unref(w->watches);
	g_mutex_clear(&w->lock);
	g_free(w);
}

static bool kind_wants(uint32_t kind, bool write)
{
	return kind == VMDBG_WATCH_ACCESS || kind == (write ? VMDBG_WATCH_WRITE : VMDBG_WATCH_READ);
}

static int page_cmp(const void *a, const void *b)
{
	const struct vm_watch_page *x = a, *y = b;
	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/* The protected pages from the pieces: sorted, one entry per page, HOLE
 * when any watch on it is not a write watch. */
static void recompute_locked(struct vm_watches *w)
{
	size_t n = 0;
	for (guint i = 0; i < w->watches->len; i++) {
		const struct watch *x = &g_array_index(w->watches, struct watch, i);
		enum vm_page_mode m = x->req.kind == VMDBG_WATCH_WRITE ? VM_PAGE_READONLY : VM_PAGE_HOLE;
		for (unsigned k = 0; k < x->npieces; k++)
			w->pages[n++] = (struct vm_watch_page){ x->pieces[k].gpa & ~(VM_WATCH_PAGE - 1), m };
	}
	qsort(w->pages, n, sizeof(w->pages[0]), page_cmp);
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (out && w->pages[out - 1].gpa == w->pages[i].gpa) {
			if (w->pages[i].mode > w->pages[out - 1].mode)
				w->pages[out - 1].mode = w->pages[i].mode;
			continue;
		}
		w->pages[out++] = w->pages[i];
	}
	w->npages = out;
	g_atomic_int_set(&w->any, out != 0);
}

static long find_locked(struct vm_watches *w, const struct vmdbg_watch *req)
{
	for (guint i = 0; i < w->watches->len; i++) {
		const struct watch *x = &g_array_index(w->watches, struct watch, i);
		if (x->req.kind == req->kind && x->req.addr == req->addr && x->req.len == req->len)
			return (long)i;
	}
	return -1;
}

bool vm_watches_insert(struct vm_watches *w, const struct vmdbg_watch *req, vm_watch_xlate_fn xl,
		       void *ctx, GError **error)
{
	if (req->kind < VMDBG_WATCH_WRITE || req->kind > VMDBG_WATCH_ACCESS || req->len == 0 ||
	    req->len > VMDBG_MAX_WATCH_LEN || req->addr + req->len - 1 < req->addr) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "bad watch (kind %u, %" PRIu64 " bytes)",
			    req->kind, req->len);
		return false;
	}
	g_mutex_lock(&w->lock);
	bool dup = find_locked(w, req) >= 0;
	g_mutex_unlock(&w->lock);
	if (dup) {
		g_set_error(error, VM_ERROR, VMDBG_E_EXIST, "that watch is already inserted");
		return false;
	}
	struct watch nw = { .req = *req };
	/* page by page (of the guest-virtual range): each virtual page is one
	 * physical page, whatever the translator says lies beyond it */
	for (uint64_t va = req->addr, left = req->len; left;) {
		uint64_t gpa, contig;
		if (!xl(ctx, va, &gpa, &contig)) {
			g_set_error(error, VM_ERROR, VMDBG_E_FAULT,
				    "0x%" PRIx64 " is not mapped to guest RAM", va);
			return false;
		}
		uint64_t n = MIN(left, VM_WATCH_PAGE - (va & (VM_WATCH_PAGE - 1)));
		if ((gpa & (VM_WATCH_PAGE - 1)) != (va & (VM_WATCH_PAGE - 1)) ||
		    nw.npieces == VMDBG_WATCH_MAX_PAGES) {
			g_set_error(error, VM_ERROR, VMDBG_E_FAULT,
				    "0x%" PRIx64 " does not translate page by page", va);
			return false;
		}
		nw.pieces[nw.npieces++] = (struct piece){ gpa, n };
		va += n;
		left -= n;
	}
	g_mutex_lock(&w->lock);
	bool ok = false;
	if (find_locked(w, req) >= 0)
		g_set_error(error, VM_ERROR, VMDBG_E_EXIST, "that watch is already inserted");
	else if (w->watches->len >= VMDBG_MAX_WATCHES)
		g_set_error(error, VM_ERROR, VMDBG_E_NOSPC, "%u watches are the most a VM keeps",
			    VMDBG_MAX_WATCHES);
	else
		ok = true;
	if (ok) {
		g_array_append_val(w->watches, nw);
		recompute_locked(w);
	}
	g_mutex_unlock(&w->lock);
	return ok;
}

bool vm_watches_remove(struct vm_watches *w, const struct vmdbg_watch *req, GError **error)
{
	g_mutex_lock(&w->lock);
	long i = find_locked(w, req);
	if (i >= 0) {
		g_array_remove_index(w->watches, (guint)i);
		recompute_locked(w);
	}
	g_mutex_unlock(&w->lock);
	if (i < 0)
		g_set_error(error, VM_ERROR, VMDBG_E_NOENT, "no %u-byte watch of kind %u at 0x%" PRIx64,
			    (unsigned)req->len, req->kind, req->addr);
	return i >= 0;
}

unsigned vm_watches_clear(struct vm_watches *w)
{
	g_mutex_lock(&w->lock);
	unsigned n = w->watches->len;
	g_array_set_size(w->watches, 0);
	recompute_locked(w);
	g_mutex_unlock(&w->lock);
	return n;
}

unsigned vm_watches_count(struct vm_watches *w)
{
	g_mutex_lock(&w->lock);
	unsigned n = w->watches->len;
	g_mutex_unlock(&w->lock);
	return n;
}

static const struct vm_watch_page *page_locked(const struct vm_watches *w, uint64_t gpa)
{
	struct vm_watch_page key = { gpa & ~(VM_WATCH_PAGE - 1), VM_PAGE_NORMAL };
	return bsearch(&key, w->pages, w->npages, sizeof(w->pages[0]), page_cmp);
}

enum vm_page_mode vm_watches_page_mode(struct vm_watches *w, uint64_t gpa)
{
	if (!g_atomic_int_get(&w->any))
		return VM_PAGE_NORMAL;
	g_mutex_lock(&w->lock);
	const struct vm_watch_page *p = page_locked(w, gpa);
	enum vm_page_mode m = p ? p->mode : VM_PAGE_NORMAL;
	g_mutex_unlock(&w->lock);
	return m;
}

/* Does a page the access touches trap it? */
static bool traps_locked(const struct vm_watches *w, uint64_t gpa, unsigned size, bool write)
{
	for (uint64_t pg = gpa & ~(VM_WATCH_PAGE - 1); pg <= ((gpa + size - 1) & ~(VM_WATCH_PAGE - 1));
	     pg += VM_WATCH_PAGE) {
		const struct vm_watch_page *p = page_locked(w, pg);
		if (p && (write || p->mode == VM_PAGE_HOLE))
			return true;
		if (pg + VM_WATCH_PAGE < pg)
			break;
	}
	return false;
}

enum vm_watch_verdict vm_watches_access(struct vm_watches *w, uint64_t gpa, unsigned size,
					bool write, struct vmdbg_stopped *ev)
{
	if (!g_atomic_int_get(&w->any) || size == 0)
		return VM_WATCH_NONE;
	g_mutex_lock(&w->lock);
	enum vm_watch_verdict v = VM_WATCH_NONE;
	if (traps_locked(w, gpa, size, write)) {
		v = VM_WATCH_SILENT;
		uint64_t end = gpa + size;
		for (guint i = 0; i < w->watches->len && v != VM_WATCH_HIT; i++) {
			struct watch *x = &g_array_index(w->watches, struct watch, i);
			if (!kind_wants(x->req.kind, write))
				continue;
			for (unsigned k = 0; k < x->npieces; k++) {
				const struct piece *p = &x->pieces[k];
				if (p->gpa < end && gpa < p->gpa + p->len) {
					x->hits++;
					memset(ev, 0, sizeof(*ev));
					ev->reason = VMDBG_STOP_WATCH;
					ev->info[0] = x->req.addr;
					ev->info[1] = gpa;
					ev->info[2] = (write ? VMDBG_WATCH_ACC_WRITE : VMDBG_WATCH_ACC_READ) |
						      (uint64_t)size << 8 | (uint64_t)x->req.kind << 16;
					v = VM_WATCH_HIT;
					break;
				}
			}
		}
		if (v == VM_WATCH_SILENT) {
			/* charged to every watch with a piece on a page it trapped on */
			uint64_t first = gpa & ~(VM_WATCH_PAGE - 1), last = (end - 1) & ~(VM_WATCH_PAGE - 1);
			for (guint i = 0; i < w->watches->len; i++) {
				struct watch *x = &g_array_index(w->watches, struct watch, i);
				for (unsigned k = 0; k < x->npieces; k++) {
					uint64_t pg = x->pieces[k].gpa & ~(VM_WATCH_PAGE - 1);
					const struct vm_watch_page *p = page_locked(w, pg);
					if (pg >= first && pg <= last && p &&
					    (write || p->mode == VM_PAGE_HOLE)) {
						x->silent++;
						break;
					}
				}
			}
		}
	}
	g_mutex_unlock(&w->lock);
	return v;
}

size_t vm_watches_pages(struct vm_watches *w, struct vm_watch_page *out)
{
	g_mutex_lock(&w->lock);
	size_t n = w->npages;
	memcpy(out, w->pages, n * sizeof(out[0]));
	g_mutex_unlock(&w->lock);
	return n;
}

uint32_t vm_watches_list(struct vm_watches *w, struct vmdbg_watch_info *out)
{
	g_mutex_lock(&w->lock);
	uint32_t n = w->watches->len;
	for (uint32_t i = 0; i < n; i++) {
		const struct watch *x = &g_array_index(w->watches, struct watch, i);
		memset(&out[i], 0, sizeof(out[i]));
		out[i].addr = x->req.addr;
		out[i].len = x->req.len;
		out[i].kind = x->req.kind;
		out[i].hits = x->hits;
		out[i].silent = x->silent;
		for (unsigned k = 0; k < x->npieces; k++) {
			uint64_t pg = x->pieces[k].gpa & ~(VM_WATCH_PAGE - 1);
			bool seen = false;
			for (uint32_t j = 0; j < out[i].npages; j++)
				seen |= out[i].pages[j] == pg;
			if (!seen)
				out[i].pages[out[i].npages++] = pg;
		}
	}
	g_mutex_unlock(&w->lock);
	return n;
}
