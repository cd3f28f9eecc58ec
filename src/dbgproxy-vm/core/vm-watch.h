/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-watch.h - page-protection watchpoints (vmdbg WATCH_INSERT/REMOVE/LIST),
 * the part both of dbgproxy-vm's machines share: the table of watches, the
 * guest-physical pages each one protects, and what one guest access to a
 * protected page means.
 *
 * A watch is gdb's request (kind, guest-virtual addr, len), translated page
 * by page at insertion into guest-physical pieces.  A page is protected
 * while any watch has a piece on it: for writes only (READONLY: loads run
 * at full speed, a store traps) when all its watches are write watches,
 * else for every data access (HOLE).  Each trapped access is either a hit
 * (its bytes overlap a piece of a watch of a matching kind) or silent (the
 * page's other bytes, or a kind nobody watches): the back end performs a
 * silent access itself and resumes; it reports a hit as STOPPED WATCH.
 *
 * Thread-safe: vCPU threads classify accesses while the control thread
 * inserts and removes (one mutex; an access to an unprotected page when no
 * watch exists costs one atomic load).
 */
#ifndef VM_WATCH_H
#define VM_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "vmdbg-glib.h"

#define VM_WATCH_PAGE 4096ull

enum vm_page_mode {
	VM_PAGE_NORMAL = 0,
	VM_PAGE_READONLY,      /* stores trap */
	VM_PAGE_HOLE,          /* loads and stores trap */
};

struct vm_watch_page {
	uint64_t gpa;          /* page-aligned */
	enum vm_page_mode mode;
};

/* Translate guest-virtual va through the inserting vCPU: its guest-physical
 * address in RAM and how many bytes from there are contiguous in both
 * (at least 1); false when va is unmapped or not RAM. */
typedef bool (*vm_watch_xlate_fn)(void *ctx, uint64_t va, uint64_t *gpa, uint64_t *contig);

enum vm_watch_verdict {
	VM_WATCH_NONE,         /* no protected page: the access is not ours */
	VM_WATCH_SILENT,       /* a protected page, but no watch wants these bytes */
	VM_WATCH_HIT,          /* report it: ev filled (all but vcpu and pc) */
};

struct vm_watches;

struct vm_watches *vm_watches_new(void);
void vm_watches_free(struct vm_watches *w);

/* All or nothing: EEXIST for a watch already there (same kind, addr, len;
 * checked first), ENOSPC beyond VMDBG_MAX_WATCHES, EFAULT for a page that
 * is unmapped or not RAM (the message says which address).  Each virtual
 * page of the range is translated on its own (contig is not relied on). */
bool vm_watches_insert(struct vm_watches *w, const struct vmdbg_watch *req, vm_watch_xlate_fn xl,
		       void *ctx, GError **error);
/* ENOENT when no such watch. */
bool vm_watches_remove(struct vm_watches *w, const struct vmdbg_watch *req, GError **error);
/* Drop every watch (DETACH, disconnection); returns how many there were. */
unsigned vm_watches_clear(struct vm_watches *w);
unsigned vm_watches_count(struct vm_watches *w);

/* One data access of size bytes at guest-physical gpa.  A read is only
 * ours on a HOLE page (a READONLY page does not trap loads).  A hit is the
 * first watch, in insertion order, of a kind that wants the access and
 * whose bytes it overlaps (one hit counted, to it); a silent access is
 * counted to every watch with bytes on a page where it trapped. */
enum vm_watch_verdict vm_watches_access(struct vm_watches *w, uint64_t gpa, unsigned size,
					bool write, struct vmdbg_stopped *ev);

/* Is the page of gpa protected (for the back end's instruction-fetch
 * check)?  Its mode, NORMAL when not. */
enum vm_page_mode vm_watches_page_mode(struct vm_watches *w, uint64_t gpa);

/* The protected pages in ascending order; returns the count (out: room for
 * VMDBG_MAX_WATCHES * VMDBG_WATCH_MAX_PAGES). */
size_t vm_watches_pages(struct vm_watches *w, struct vm_watch_page *out);
#define VM_WATCH_MAX_PAGES_ALL (VMDBG_MAX_WATCHES * VMDBG_WATCH_MAX_PAGES)

/* WATCH_LIST: every watch, in insertion order (out: VMDBG_MAX_WATCHES). */
uint32_t vm_watches_list(struct vm_watches *w, struct vmdbg_watch_info *out);

#endif
