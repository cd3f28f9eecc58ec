/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-vm-watch.c - unit tests of dbgproxy-vm's table of page-protection
 * watches (src/dbgproxy-vm/core/vm-watch.h): translation page by page
 * through a fake MMU, all-or-nothing insertion and its refusals (EINVAL,
 * EFAULT, EEXIST, ENOSPC, ENOENT), the protected pages and their modes,
 * the verdict on each guest access (NONE, SILENT, HIT with the STOPPED
 * WATCH info words), the hit and silent counters, and WATCH_LIST.
 *
 * Only the public API is used.  Expected values follow vm-watch.h and
 * proto/vmdbg.h: a page is READONLY when every watch on it is a write
 * watch, HOLE otherwise; a read is only trapped on a HOLE page; a trapped
 * access is a hit when its bytes overlap a watched byte of a watch whose
 * kind wants it (write: writes, read: reads, access: both), else silent,
 * counted for every watch with bytes on a page the access touched; a hit's
 * info0 = the watch's address as inserted, info1 = the access's
 * guest-physical address, info2 = VMDBG_WATCH_ACC_* | size << 8 |
 * kind << 16.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "vm-watch.h"
#include "vm.h"

#include "check.h"

/* vm-watch.c reports in VM_ERROR, whose quark lives in vm.c (the VM's
 * back-end choice, not linked here). */
G_DEFINE_QUARK(dbgproxy-vm-error-quark, vm_error)

#define PG 4096ull

/* ---- the fake MMU ---------------------------------------------------------- */

/* IDENTITY: guest-virtual = guest-physical in [0, 16 MiB), contiguous to
 * the end of it (as the simulated AArch64 machine's MMU-off translation).
 * TABLE: virtual page VA_BASE/PG + n maps to map[n] (0: unmapped), each
 * contiguous to the end of its page only. */
enum mmu_mode { MMU_IDENTITY, MMU_TABLE };

#define RAM_END  (16ull << 20)
#define VA_BASE  0x400000ull
#define NMAP     24

struct mmu {
	enum mmu_mode mode;
	uint64_t map[NMAP];
	unsigned calls;
};

static bool xlate(void *ctx, uint64_t va, uint64_t *gpa, uint64_t *contig)
{
	struct mmu *m = ctx;
	m->calls++;
	if (m->mode == MMU_IDENTITY) {
		if (va >= RAM_END)
			return false;
		*gpa = va;
		*contig = RAM_END - va;
		return true;
	}
	if (va < VA_BASE || (va - VA_BASE) / PG >= NMAP)
		return false;
	uint64_t page = m->map[(va - VA_BASE) / PG];
	if (!page)
		return false;
	*gpa = page + (va & (PG - 1));
	*contig = PG - (va & (PG - 1));
	return true;
}

/* Virtual pages 0..7 of VA_BASE out of order in physical memory; 3 and 7
 * unmapped; 5 an alias of 4's physical page. */
static void mmu_table(struct mmu *m)
{
	memset(m, 0, sizeof(*m));
	m->mode = MMU_TABLE;
	static const uint64_t map[] = { 0x9000, 0x3000, 0x7000, 0, 0x20000, 0x20000, 0x5000, 0 };
	memcpy(m->map, map, sizeof(map));
}

static void mmu_identity(struct mmu *m)
{
	memset(m, 0, sizeof(*m));
	m->mode = MMU_IDENTITY;
}

/* ---- helpers ------------------------------------------------------------------ */

static struct vmdbg_watch W(uint32_t kind, uint64_t addr, uint64_t len)
{
	return (struct vmdbg_watch){ .vcpu = 0, .kind = kind, .addr = addr, .len = len };
}

static bool insert_ok_(const char *file, int line, struct vm_watches *w, struct mmu *m,
		       struct vmdbg_watch req)
{
	GError *err = NULL;
	bool ok = vm_watches_insert(w, &req, xlate, m, &err);
	if (!ok || err) {
		char *s = g_strdup_printf("%s:%d: insert kind %u [0x%" G_GINT64_MODIFIER "x, +%"
					  G_GUINT64_FORMAT ") failed: %s", file, line, req.kind,
					  req.addr, req.len, err ? err->message : "(no GError)");
		g_assertion_message(G_LOG_DOMAIN, file, line, G_STRFUNC, s);
		g_free(s);
	}
	g_clear_error(&err);
	return ok;
}
#define insert_ok(w, m, req) insert_ok_(__FILE__, __LINE__, (w), (m), (req))

/* The call fails with VM_ERROR code and a message. */
static void check_error_(const char *file, int line, const char *what, bool ok, GError *err,
			 int code)
{
	char *s = NULL;
	if (ok)
		s = g_strdup_printf("%s: succeeded, expected %s", what, vmdbg_err_name(code));
	else if (!err)
		s = g_strdup_printf("%s: failed without a GError", what);
	else if (err->domain != VM_ERROR || err->code != code || !err->message[0])
		s = g_strdup_printf("%s: error %s/%d (%s) \"%s\", expected %s", what,
				    g_quark_to_string(err->domain), err->code,
				    vmdbg_err_name(err->code), err->message, vmdbg_err_name(code));
	if (s) {
		g_assertion_message(G_LOG_DOMAIN, file, line, G_STRFUNC, s);
		g_free(s);
	}
}

static void insert_fails_(const char *file, int line, struct vm_watches *w, struct mmu *m,
			  struct vmdbg_watch req, int code)
{
	GError *err = NULL;
	char *what = g_strdup_printf("insert kind %u [0x%" G_GINT64_MODIFIER "x, +%"
				     G_GUINT64_FORMAT ")", req.kind, req.addr, req.len);
	bool ok = vm_watches_insert(w, &req, xlate, m, &err);
	check_error_(file, line, what, ok, err, code);
	g_clear_error(&err);
	g_free(what);
}
#define insert_fails(w, m, req, code) insert_fails_(__FILE__, __LINE__, (w), (m), (req), (code))

static bool remove_ok(struct vm_watches *w, struct vmdbg_watch req)
{
	GError *err = NULL;
	bool ok = vm_watches_remove(w, &req, &err);
	CHECK(ok && !err, "remove kind %u at 0x%" G_GINT64_MODIFIER "x: %s", req.kind, req.addr,
	      err ? err->message : "(no GError)");
	g_clear_error(&err);
	return ok;
}

/* The protected pages, exactly: n of (gpa, mode) in ascending order. */
static void check_pages_(const char *file, int line, struct vm_watches *w, size_t n,
			 const struct vm_watch_page *want)
{
	struct vm_watch_page *got = g_new0(struct vm_watch_page, VM_WATCH_MAX_PAGES_ALL);
	size_t k = vm_watches_pages(w, got);
	bool same = k == n;
	for (size_t i = 0; same && i < n; i++)
		same = got[i].gpa == want[i].gpa && got[i].mode == want[i].mode;
	if (!same) {
		GString *s = g_string_new("protected pages differ\n  got:");
		for (size_t i = 0; i < k; i++)
			g_string_append_printf(s, " 0x%" G_GINT64_MODIFIER "x/%d", got[i].gpa,
					       got[i].mode);
		g_string_append(s, "\n  want:");
		for (size_t i = 0; i < n; i++)
			g_string_append_printf(s, " 0x%" G_GINT64_MODIFIER "x/%d", want[i].gpa,
					       want[i].mode);
		g_assertion_message(G_LOG_DOMAIN, file, line, G_STRFUNC, s->str);
		g_string_free(s, TRUE);
	}
	/* and vm_watches_page_mode agrees, for every byte's page */
	for (size_t i = 0; i < n; i++) {
		enum vm_page_mode pm = vm_watches_page_mode(w, want[i].gpa + 0x123);
		if (pm != want[i].mode) {
			char *m = g_strdup_printf("page_mode(0x%" G_GINT64_MODIFIER "x) = %d, want %d",
						  want[i].gpa + 0x123, pm, want[i].mode);
			g_assertion_message(G_LOG_DOMAIN, file, line, G_STRFUNC, m);
			g_free(m);
		}
	}
	g_free(got);
}
#define check_pages(w, ...)                                                              \
	do {                                                                             \
		const struct vm_watch_page want_[] = { __VA_ARGS__ };                     \
		check_pages_(__FILE__, __LINE__, (w), G_N_ELEMENTS(want_), want_);        \
	} while (0)
#define check_no_pages(w) check_pages_(__FILE__, __LINE__, (w), 0, NULL)
#define RO(g)   { (g), VM_PAGE_READONLY }
#define HOLE(g) { (g), VM_PAGE_HOLE }

/* One access and its verdict; for a hit also the event's reason and info. */
static void check_access_(const char *file, int line, struct vm_watches *w, uint64_t gpa,
			  unsigned size, bool write, enum vm_watch_verdict want,
			  uint64_t want_addr, uint32_t want_kind)
{
	struct vmdbg_stopped ev;
	memset(&ev, 0xa5, sizeof ev);
	enum vm_watch_verdict v = vm_watches_access(w, gpa, size, write, &ev);
	static const char *const names[] = { "NONE", "SILENT", "HIT" };
	char *s = NULL;
	if (v != want) {
		s = g_strdup_printf("%s of %u at 0x%" G_GINT64_MODIFIER "x: %s, expected %s",
				    write ? "write" : "read", size, gpa, v <= 2 ? names[v] : "?",
				    names[want]);
	} else if (v == VM_WATCH_HIT) {
		uint64_t info2 = (write ? VMDBG_WATCH_ACC_WRITE : VMDBG_WATCH_ACC_READ) |
				 (uint64_t)size << 8 | (uint64_t)want_kind << 16;
		if (ev.reason != VMDBG_STOP_WATCH || ev.info[0] != want_addr || ev.info[1] != gpa ||
		    ev.info[2] != info2)
			s = g_strdup_printf("%s of %u at 0x%" G_GINT64_MODIFIER "x: reason %u info "
					    "0x%" G_GINT64_MODIFIER "x 0x%" G_GINT64_MODIFIER "x 0x%"
					    G_GINT64_MODIFIER "x, expected 8 0x%" G_GINT64_MODIFIER
					    "x 0x%" G_GINT64_MODIFIER "x 0x%" G_GINT64_MODIFIER "x",
					    write ? "write" : "read", size, gpa, ev.reason,
					    ev.info[0], ev.info[1], ev.info[2], want_addr, gpa, info2);
	}
	if (s) {
		g_assertion_message(G_LOG_DOMAIN, file, line, G_STRFUNC, s);
		g_free(s);
	}
}
#define NONE_(w, gpa, size, write) \
	check_access_(__FILE__, __LINE__, (w), (gpa), (size), (write), VM_WATCH_NONE, 0, 0)
#define SILENT_(w, gpa, size, write) \
	check_access_(__FILE__, __LINE__, (w), (gpa), (size), (write), VM_WATCH_SILENT, 0, 0)
#define HIT_(w, gpa, size, write, addr, kind) \
	check_access_(__FILE__, __LINE__, (w), (gpa), (size), (write), VM_WATCH_HIT, (addr), (kind))
#define WR true
#define RD false

/* WATCH_LIST's record of the watch at addr (kind), or NULL. */
static const struct vmdbg_watch_info *find_info(const struct vmdbg_watch_info *l, uint32_t n,
						uint32_t kind, uint64_t addr)
{
	for (uint32_t i = 0; i < n; i++)
		if (l[i].kind == kind && l[i].addr == addr)
			return &l[i];
	return NULL;
}

/* Hits and silent accesses of one watch, as WATCH_LIST gives them. */
static void check_counts_(const char *file, int line, struct vm_watches *w, uint32_t kind,
			  uint64_t addr, uint64_t hits, uint64_t silent)
{
	struct vmdbg_watch_info *l = g_new0(struct vmdbg_watch_info, VMDBG_MAX_WATCHES);
	uint32_t n = vm_watches_list(w, l);
	const struct vmdbg_watch_info *x = find_info(l, n, kind, addr);
	char *s = NULL;
	if (!x)
		s = g_strdup_printf("no watch of kind %u at 0x%" G_GINT64_MODIFIER "x listed", kind,
				    addr);
	else if (x->hits != hits || x->silent != silent)
		s = g_strdup_printf("watch of kind %u at 0x%" G_GINT64_MODIFIER "x: hits %"
				    G_GUINT64_FORMAT " silent %" G_GUINT64_FORMAT ", expected %"
				    G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT, kind, addr, x->hits,
				    x->silent, hits, silent);
	if (s) {
		g_assertion_message(G_LOG_DOMAIN, file, line, G_STRFUNC, s);
		g_free(s);
	}
	g_free(l);
}
#define check_counts(w, kind, addr, hits, silent) \
	check_counts_(__FILE__, __LINE__, (w), (kind), (addr), (hits), (silent))

/* ---- translation ------------------------------------------------------------ */

static void test_identity(void)
{
	struct mmu m;
	mmu_identity(&m);
	struct vm_watches *w = vm_watches_new();

	g_assert_cmpuint(vm_watches_count(w), ==, 0);
	check_no_pages(w);
	NONE_(w, 0x1ff8, 8, WR);
	g_assert_cmpint(vm_watches_page_mode(w, 0x1000), ==, VM_PAGE_NORMAL);

	/* 16 bytes across a page boundary: both pages, write only */
	if (insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x1ff8, 16))) {
		g_assert_cmpuint(vm_watches_count(w), ==, 1);
		check_pages(w, RO(0x1000), RO(0x2000));
		g_assert_cmpint(vm_watches_page_mode(w, 0x3000), ==, VM_PAGE_NORMAL);
		g_assert_cmpint(vm_watches_page_mode(w, 0xfff), ==, VM_PAGE_NORMAL);
	}

	/* 64 KiB from mid-page: the most pages one watch can need (17) */
	if (insert_ok(w, &m, W(VMDBG_WATCH_READ, 0x100800, VMDBG_MAX_WATCH_LEN))) {
		struct vmdbg_watch_info l[VMDBG_MAX_WATCHES];
		uint32_t n = vm_watches_list(w, l);
		g_assert_cmpuint(n, ==, 2);
		g_assert_cmpuint(l[1].npages, ==, VMDBG_WATCH_MAX_PAGES);
		for (uint32_t k = 0; k < l[1].npages; k++)
			CHECK(l[1].pages[k] == 0x100000 + PG * k, "page %u: 0x%" G_GINT64_MODIFIER "x",
			      k, l[1].pages[k]);
		struct vm_watch_page got[VM_WATCH_MAX_PAGES_ALL];
		g_assert_cmpuint(vm_watches_pages(w, got), ==, 2 + VMDBG_WATCH_MAX_PAGES);
		g_assert_cmphex(got[2].gpa, ==, 0x100000);
		g_assert_cmpint(got[2].mode, ==, VM_PAGE_HOLE);
		g_assert_cmphex(got[18].gpa, ==, 0x110000);
		/* its first and last bytes; the bytes just outside it */
		HIT_(w, 0x100800, 1, RD, 0x100800, VMDBG_WATCH_READ);
		HIT_(w, 0x1107ff, 1, RD, 0x100800, VMDBG_WATCH_READ);
		SILENT_(w, 0x1007ff, 1, RD);
		SILENT_(w, 0x110800, 1, RD);
		NONE_(w, 0x111000, 8, RD);
	}
	/* outside RAM: EFAULT */
	insert_fails(w, &m, W(VMDBG_WATCH_WRITE, RAM_END - 4, 8), VMDBG_E_FAULT);
	insert_fails(w, &m, W(VMDBG_WATCH_WRITE, RAM_END, 1), VMDBG_E_FAULT);
	g_assert_cmpuint(vm_watches_count(w), ==, 2);
	vm_watches_free(w);
}

/* Virtual pages that are scattered in physical memory: each piece lands
 * on its own page, the watch is found through any of them. */
static void test_scattered(void)
{
	struct mmu m;
	mmu_table(&m);
	struct vm_watches *w = vm_watches_new();

	/* virtual pages 0, 1, 2 = physical 0x9000, 0x3000, 0x7000 */
	const uint64_t a = VA_BASE + 0x800, len = 2 * PG;  /* 0x800 + 0x1000 + 0x800 */
	if (!insert_ok(w, &m, W(VMDBG_WATCH_WRITE, a, len)))
		goto out;
	check_pages(w, RO(0x3000), RO(0x7000), RO(0x9000));
	struct vmdbg_watch_info l[VMDBG_MAX_WATCHES];
	g_assert_cmpuint(vm_watches_list(w, l), ==, 1);
	g_assert_cmphex(l[0].addr, ==, a);
	g_assert_cmpuint(l[0].len, ==, len);
	g_assert_cmpuint(l[0].kind, ==, VMDBG_WATCH_WRITE);
	g_assert_cmpuint(l[0].npages, ==, 3);
	/* in the watch's own order, not sorted */
	g_assert_cmphex(l[0].pages[0], ==, 0x9000);
	g_assert_cmphex(l[0].pages[1], ==, 0x3000);
	g_assert_cmphex(l[0].pages[2], ==, 0x7000);

	/* 0x9000 page: only its second half is watched */
	HIT_(w, 0x9800, 4, WR, a, VMDBG_WATCH_WRITE);
	HIT_(w, 0x9ffc, 4, WR, a, VMDBG_WATCH_WRITE);
	SILENT_(w, 0x97fc, 4, WR);           /* ends where the watch starts */
	HIT_(w, 0x97fd, 4, WR, a, VMDBG_WATCH_WRITE); /* its last byte is the watch's first */
	/* 0x3000 page: all of it */
	HIT_(w, 0x3000, 8, WR, a, VMDBG_WATCH_WRITE);
	HIT_(w, 0x3ff8, 8, WR, a, VMDBG_WATCH_WRITE);
	/* 0x7000 page: the first half */
	HIT_(w, 0x77ff, 1, WR, a, VMDBG_WATCH_WRITE);
	SILENT_(w, 0x7800, 1, WR);           /* starts where the watch ends */
	SILENT_(w, 0x7ff0, 16, WR);
	/* physically next to a watched page, but not watched */
	NONE_(w, 0xa000, 4, WR);
	NONE_(w, 0x2ffc, 4, WR);
	NONE_(w, 0x8000, 4, WR);
	/* reads never trap on READONLY pages */
	NONE_(w, 0x3000, 8, RD);
	NONE_(w, 0x9800, 4, RD);
	check_counts(w, VMDBG_WATCH_WRITE, a, 6, 3);

	/* a watch that maps two virtual pages to one physical page (4 and 5
	 * alias): one page, listed once */
	const uint64_t b = VA_BASE + 4 * PG + 0xff0;
	if (insert_ok(w, &m, W(VMDBG_WATCH_ACCESS, b, 0x20))) {
		g_assert_cmpuint(vm_watches_list(w, l), ==, 2);
		g_assert_cmpuint(l[1].npages, ==, 1);
		g_assert_cmphex(l[1].pages[0], ==, 0x20000);
		check_pages(w, RO(0x3000), RO(0x7000), RO(0x9000), HOLE(0x20000));
		/* both pieces: [0x20ff0, 0x21000) and [0x20000, 0x20010) */
		HIT_(w, 0x20ff0, 4, RD, b, VMDBG_WATCH_ACCESS);
		HIT_(w, 0x2000c, 4, WR, b, VMDBG_WATCH_ACCESS);
		SILENT_(w, 0x20010, 4, RD);
		SILENT_(w, 0x20fec, 4, WR);
		check_counts(w, VMDBG_WATCH_ACCESS, b, 2, 2);
	}
out:
	vm_watches_free(w);
}

/* ---- insertion and removal -------------------------------------------------- */

static void test_all_or_nothing(void)
{
	struct mmu m;
	mmu_table(&m);
	struct vm_watches *w = vm_watches_new();

	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, VA_BASE + 0x10, 8));
	check_pages(w, RO(0x9000));

	/* virtual page 2 is mapped, 3 is not: nothing of it is inserted */
	m.calls = 0;
	insert_fails(w, &m, W(VMDBG_WATCH_READ, VA_BASE + 3 * PG - 0x10, 0x20), VMDBG_E_FAULT);
	g_assert_cmpuint(m.calls, >=, 2);   /* it did get past the mapped page */
	g_assert_cmpuint(vm_watches_count(w), ==, 1);
	check_pages(w, RO(0x9000));
	NONE_(w, 0x7ff0, 4, RD);
	NONE_(w, 0x7ff0, 4, WR);
	/* a longer one, whose only bad page is its last (virtual pages 4-7) */
	insert_fails(w, &m, W(VMDBG_WATCH_ACCESS, VA_BASE + 4 * PG + 4, 3 * PG + 8),
		     VMDBG_E_FAULT);
	g_assert_cmpuint(vm_watches_count(w), ==, 1);
	check_pages(w, RO(0x9000));
	/* not RAM at all */
	insert_fails(w, &m, W(VMDBG_WATCH_WRITE, 0x1000, 4), VMDBG_E_FAULT);
	struct vmdbg_watch_info l[VMDBG_MAX_WATCHES];
	g_assert_cmpuint(vm_watches_list(w, l), ==, 1);
	g_assert_cmphex(l[0].addr, ==, VA_BASE + 0x10);

	/* what WATCH_INSERT would refuse: EINVAL, untranslated */
	m.calls = 0;
	insert_fails(w, &m, W(1, VA_BASE, 8), VMDBG_E_INVAL);
	insert_fails(w, &m, W(5, VA_BASE, 8), VMDBG_E_INVAL);
	insert_fails(w, &m, W(VMDBG_WATCH_WRITE, VA_BASE, 0), VMDBG_E_INVAL);
	insert_fails(w, &m, W(VMDBG_WATCH_WRITE, VA_BASE, VMDBG_MAX_WATCH_LEN + 1), VMDBG_E_INVAL);
	insert_fails(w, &m, W(VMDBG_WATCH_WRITE, 0xfffffffffffffff8ull, 9), VMDBG_E_INVAL);
	g_assert_cmpuint(m.calls, ==, 0);
	g_assert_cmpuint(vm_watches_count(w), ==, 1);
	vm_watches_free(w);
}

static void test_exist_noent(void)
{
	struct mmu m;
	mmu_identity(&m);
	struct vm_watches *w = vm_watches_new();
	GError *err = NULL;

	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x5000, 8));
	insert_fails(w, &m, W(VMDBG_WATCH_WRITE, 0x5000, 8), VMDBG_E_EXIST);
	/* through another vCPU: the same watch */
	struct vmdbg_watch other = W(VMDBG_WATCH_WRITE, 0x5000, 8);
	other.vcpu = 1;
	insert_fails(w, &m, other, VMDBG_E_EXIST);
	/* another kind or length: another watch */
	insert_ok(w, &m, W(VMDBG_WATCH_READ, 0x5000, 8));
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x5000, 4));
	g_assert_cmpuint(vm_watches_count(w), ==, 3);

	/* ENOENT: nothing like it, another kind, another length, another address */
	static const struct { uint32_t kind; uint64_t addr, len; } absent[] = {
		{ VMDBG_WATCH_ACCESS, 0x5000, 8 },
		{ VMDBG_WATCH_WRITE, 0x5000, 2 },
		{ VMDBG_WATCH_WRITE, 0x5001, 8 },
		{ VMDBG_WATCH_READ, 0x6000, 8 },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(absent); i++) {
		struct vmdbg_watch r = W(absent[i].kind, absent[i].addr, absent[i].len);
		bool ok = vm_watches_remove(w, &r, &err);
		check_error_(__FILE__, __LINE__, "remove an absent watch", ok, err, VMDBG_E_NOENT);
		g_clear_error(&err);
	}
	g_assert_cmpuint(vm_watches_count(w), ==, 3);
	/* removed through another vCPU, then gone */
	remove_ok(w, other);
	struct vmdbg_watch again = W(VMDBG_WATCH_WRITE, 0x5000, 8);
	bool ok = vm_watches_remove(w, &again, &err);
	check_error_(__FILE__, __LINE__, "remove twice", ok, err, VMDBG_E_NOENT);
	g_clear_error(&err);
	g_assert_cmpuint(vm_watches_count(w), ==, 2);
	/* and insertable again */
	insert_ok(w, &m, again);
	vm_watches_free(w);
}

static void test_nospc(void)
{
	struct mmu m;
	mmu_identity(&m);
	struct vm_watches *w = vm_watches_new();

	for (uint32_t i = 0; i < VMDBG_MAX_WATCHES; i++)
		if (!insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x10000 + PG * i, 4)))
			goto out;
	g_assert_cmpuint(vm_watches_count(w), ==, 64);
	struct vm_watch_page *before = g_new(struct vm_watch_page, VM_WATCH_MAX_PAGES_ALL);
	size_t nbefore = vm_watches_pages(w, before);
	g_assert_cmpuint(nbefore, ==, 64);
	/* the 65th, on a page of its own: refused, nothing changes */
	insert_fails(w, &m, W(VMDBG_WATCH_READ, 0x800000, 4), VMDBG_E_NOSPC);
	g_assert_cmpuint(vm_watches_count(w), ==, 64);
	check_pages_(__FILE__, __LINE__, w, nbefore, before);
	NONE_(w, 0x800000, 4, RD);
	/* a duplicate is still EEXIST when the table is full */
	insert_fails(w, &m, W(VMDBG_WATCH_WRITE, 0x10000, 4), VMDBG_E_EXIST);
	/* room again after a removal */
	remove_ok(w, W(VMDBG_WATCH_WRITE, 0x10000 + PG * 5, 4));
	insert_ok(w, &m, W(VMDBG_WATCH_READ, 0x800000, 4));
	insert_fails(w, &m, W(VMDBG_WATCH_READ, 0x900000, 4), VMDBG_E_NOSPC);
	g_assert_cmpuint(vm_watches_clear(w), ==, 64);
	g_free(before);
out:
	vm_watches_free(w);
}

/* ---- page modes -------------------------------------------------------------- */

static void test_page_modes(void)
{
	struct mmu m;
	mmu_identity(&m);
	struct vm_watches *w = vm_watches_new();

	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x1000, 8));
	insert_ok(w, &m, W(VMDBG_WATCH_READ, 0x2000, 8));
	insert_ok(w, &m, W(VMDBG_WATCH_ACCESS, 0x3000, 8));
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x4100, 8));
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x4200, 8));
	check_pages(w, RO(0x1000), HOLE(0x2000), HOLE(0x3000), RO(0x4000));

	/* a read watch next to the write watches of a READONLY page: HOLE */
	insert_ok(w, &m, W(VMDBG_WATCH_READ, 0x4f00, 8));
	check_pages(w, RO(0x1000), HOLE(0x2000), HOLE(0x3000), HOLE(0x4000));
	/* ...and back when it goes */
	remove_ok(w, W(VMDBG_WATCH_READ, 0x4f00, 8));
	check_pages(w, RO(0x1000), HOLE(0x2000), HOLE(0x3000), RO(0x4000));
	/* an access watch on the same page as a write watch (same bytes) */
	insert_ok(w, &m, W(VMDBG_WATCH_ACCESS, 0x1000, 8));
	check_pages(w, HOLE(0x1000), HOLE(0x2000), HOLE(0x3000), RO(0x4000));
	remove_ok(w, W(VMDBG_WATCH_ACCESS, 0x1000, 8));
	check_pages(w, RO(0x1000), HOLE(0x2000), HOLE(0x3000), RO(0x4000));
	vm_watches_free(w);
}

/* ---- access verdicts ---------------------------------------------------------- */

static void test_access(void)
{
	struct mmu m;
	mmu_identity(&m);
	struct vm_watches *w = vm_watches_new();

	/* page 0x10000: two write watches (READONLY) */
	const uint64_t w1 = 0x10100, w2 = 0x10200;
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, w1, 8));
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, w2, 4));
	/* page 0x20000: a read watch and a write watch (HOLE) */
	const uint64_t r1 = 0x20100, w3 = 0x20200;
	insert_ok(w, &m, W(VMDBG_WATCH_READ, r1, 4));
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, w3, 4));
	/* page 0x30000: an access watch (HOLE) */
	const uint64_t a1 = 0x30ffe;
	insert_ok(w, &m, W(VMDBG_WATCH_ACCESS, a1, 4));  /* to 0x31002: two pages */
	check_pages(w, RO(0x10000), HOLE(0x20000), HOLE(0x30000), HOLE(0x31000));

	/* READONLY page: a read is not ours, even on the watched bytes */
	NONE_(w, w1, 8, RD);
	NONE_(w, 0x10000, 4, RD);
	/* a write elsewhere on the page: silent, for both its watches */
	SILENT_(w, 0x10000, 4, WR);
	SILENT_(w, 0x10ffc, 4, WR);
	check_counts(w, VMDBG_WATCH_WRITE, w1, 0, 2);
	check_counts(w, VMDBG_WATCH_WRITE, w2, 0, 2);
	check_counts(w, VMDBG_WATCH_READ, r1, 0, 0);
	check_counts(w, VMDBG_WATCH_WRITE, w3, 0, 0);
	/* writes that overlap: hits, info exact */
	HIT_(w, w1, 8, WR, w1, VMDBG_WATCH_WRITE);
	HIT_(w, w1 + 7, 1, WR, w1, VMDBG_WATCH_WRITE);
	HIT_(w, w1 - 3, 4, WR, w1, VMDBG_WATCH_WRITE);
	HIT_(w, w2 + 2, 16, WR, w2, VMDBG_WATCH_WRITE);
	/* the bytes either side: silent */
	SILENT_(w, w1 - 8, 8, WR);
	SILENT_(w, w1 + 8, 8, WR);
	SILENT_(w, w2 + 4, 1, WR);
	check_counts(w, VMDBG_WATCH_WRITE, w1, 3, 5);
	check_counts(w, VMDBG_WATCH_WRITE, w2, 1, 5);

	/* HOLE page: the read watch wants reads only, the write watch writes */
	HIT_(w, r1, 4, RD, r1, VMDBG_WATCH_READ);
	HIT_(w, r1 + 3, 2, RD, r1, VMDBG_WATCH_READ);
	SILENT_(w, r1, 4, WR);                /* a write on the read watch's bytes */
	SILENT_(w, w3, 4, RD);                /* a read on the write watch's bytes */
	HIT_(w, w3 + 1, 1, WR, w3, VMDBG_WATCH_WRITE);
	SILENT_(w, 0x20800, 8, RD);
	SILENT_(w, 0x20800, 8, WR);
	check_counts(w, VMDBG_WATCH_READ, r1, 2, 4);
	check_counts(w, VMDBG_WATCH_WRITE, w3, 1, 4);

	/* access watch: reads and writes, on both of its pages */
	HIT_(w, a1, 2, RD, a1, VMDBG_WATCH_ACCESS);
	HIT_(w, 0x31000, 2, WR, a1, VMDBG_WATCH_ACCESS);
	HIT_(w, 0x31001, 1, RD, a1, VMDBG_WATCH_ACCESS);
	SILENT_(w, 0x31002, 2, WR);
	SILENT_(w, 0x30ffc, 2, RD);
	/* an access across the two pages, on the watch */
	HIT_(w, 0x30ffc, 8, WR, a1, VMDBG_WATCH_ACCESS);
	check_counts(w, VMDBG_WATCH_ACCESS, a1, 4, 2);

	/* accesses across two pages, one of them unprotected */
	NONE_(w, 0xfffc, 8, RD);              /* READONLY 0x10000 does not trap reads */
	SILENT_(w, 0xfffc, 8, WR);            /* ...but traps writes */
	SILENT_(w, 0x1fffc, 8, RD);           /* HOLE 0x20000 traps reads */
	/* ...and a hit when the watched bytes are on the second page */
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x41000, 2));
	HIT_(w, 0x40ffc, 8, WR, 0x41000, VMDBG_WATCH_WRITE);
	HIT_(w, 0x40fff, 2, WR, 0x41000, VMDBG_WATCH_WRITE);
	SILENT_(w, 0x41002, 4, WR);           /* just after it */
	NONE_(w, 0x40ffc, 8, RD);
	check_counts(w, VMDBG_WATCH_WRITE, 0x41000, 2, 1);
	vm_watches_free(w);
}

/* Size 0 is no access; unprotected memory is never ours. */
static void test_access_none(void)
{
	struct mmu m;
	mmu_identity(&m);
	struct vm_watches *w = vm_watches_new();
	NONE_(w, 0x1000, 4, WR);
	insert_ok(w, &m, W(VMDBG_WATCH_ACCESS, 0x1000, 4));
	NONE_(w, 0x1000, 0, WR);
	NONE_(w, 0x2000, 4, WR);
	NONE_(w, 0xffc, 4, RD);
	NONE_(w, 0xfffffffffffff000ull, 8, WR);
	check_counts(w, VMDBG_WATCH_ACCESS, 0x1000, 0, 0);
	vm_watches_free(w);
}

/* Two watches on the same bytes: one hit, counted once. */
static void test_overlapping_watches(void)
{
	struct mmu m;
	mmu_identity(&m);
	struct vm_watches *w = vm_watches_new();
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x6000, 8));
	insert_ok(w, &m, W(VMDBG_WATCH_ACCESS, 0x6004, 8));
	struct vmdbg_stopped ev;
	g_assert_cmpint(vm_watches_access(w, 0x6004, 4, true, &ev), ==, VM_WATCH_HIT);
	CHECK(ev.info[0] == 0x6000 || ev.info[0] == 0x6004, "info0 0x%" G_GINT64_MODIFIER "x",
	      ev.info[0]);
	uint32_t kind = ev.info[0] == 0x6000 ? VMDBG_WATCH_WRITE : VMDBG_WATCH_ACCESS;
	g_assert_cmphex(ev.info[2], ==, VMDBG_WATCH_ACC_WRITE | 4u << 8 | (uint64_t)kind << 16);
	struct vmdbg_watch_info l[VMDBG_MAX_WATCHES];
	g_assert_cmpuint(vm_watches_list(w, l), ==, 2);
	g_assert_cmpuint(l[0].hits + l[1].hits, ==, 1);
	g_assert_cmpuint(l[0].silent + l[1].silent, ==, 0);
	/* a read there is the access watch's only */
	HIT_(w, 0x6004, 4, RD, 0x6004, VMDBG_WATCH_ACCESS);
	vm_watches_free(w);
}

/* Removing one watch of a page keeps the page protected for the others. */
static void test_remove_shared_page(void)
{
	struct mmu m;
	mmu_table(&m);
	struct vm_watches *w = vm_watches_new();
	/* virtual page 1 = physical 0x3000 for both */
	const uint64_t x = VA_BASE + PG + 0x10, y = VA_BASE + PG + 0x800;
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, x, 4));
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, y, 4));
	insert_ok(w, &m, W(VMDBG_WATCH_READ, VA_BASE + 0x40, 4));   /* 0x9040 */
	check_pages(w, RO(0x3000), HOLE(0x9000));
	remove_ok(w, W(VMDBG_WATCH_WRITE, x, 4));
	check_pages(w, RO(0x3000), HOLE(0x9000));
	SILENT_(w, 0x3010, 4, WR);            /* the removed watch's bytes */
	HIT_(w, 0x3800, 4, WR, y, VMDBG_WATCH_WRITE);
	HIT_(w, 0x9040, 4, RD, VA_BASE + 0x40, VMDBG_WATCH_READ);
	remove_ok(w, W(VMDBG_WATCH_WRITE, y, 4));
	check_pages(w, HOLE(0x9000));
	NONE_(w, 0x3800, 4, WR);
	remove_ok(w, W(VMDBG_WATCH_READ, VA_BASE + 0x40, 4));
	check_no_pages(w);
	NONE_(w, 0x9040, 4, RD);
	g_assert_cmpuint(vm_watches_count(w), ==, 0);
	vm_watches_free(w);
}

static void test_clear(void)
{
	struct mmu m;
	mmu_identity(&m);
	struct vm_watches *w = vm_watches_new();
	g_assert_cmpuint(vm_watches_clear(w), ==, 0);
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x1000, 4));
	insert_ok(w, &m, W(VMDBG_WATCH_READ, 0x1ffe, 4));
	insert_ok(w, &m, W(VMDBG_WATCH_ACCESS, 0x8000, 0x3000));
	g_assert_cmpuint(vm_watches_clear(w), ==, 3);
	g_assert_cmpuint(vm_watches_count(w), ==, 0);
	check_no_pages(w);
	struct vmdbg_watch_info l[VMDBG_MAX_WATCHES];
	g_assert_cmpuint(vm_watches_list(w, l), ==, 0);
	NONE_(w, 0x1000, 4, WR);
	NONE_(w, 0x8000, 4, RD);
	g_assert_cmpint(vm_watches_page_mode(w, 0x2000), ==, VM_PAGE_NORMAL);
	/* the same watches again: counters start from 0 */
	insert_ok(w, &m, W(VMDBG_WATCH_WRITE, 0x1000, 4));
	check_counts(w, VMDBG_WATCH_WRITE, 0x1000, 0, 0);
	vm_watches_free(w);
}

/* WATCH_LIST: insertion order, fields as inserted, counters, pages once. */
static void test_list(void)
{
	struct mmu m;
	mmu_table(&m);
	struct vm_watches *w = vm_watches_new();
	/* virtual pages 0-2: 0x9000 0x3000 0x7000; 4 and 5 both 0x20000; 6 0x5000 */
	struct vmdbg_watch a = W(VMDBG_WATCH_ACCESS, VA_BASE + 4 * PG, 2 * PG + 8);
	struct vmdbg_watch b = W(VMDBG_WATCH_READ, VA_BASE + PG - 2, 4);
	struct vmdbg_watch c = W(VMDBG_WATCH_WRITE, VA_BASE + 2 * PG + 0x100, 1);
	a.vcpu = 3;
	insert_ok(w, &m, a);
	insert_ok(w, &m, b);
	insert_ok(w, &m, c);
	check_pages(w, HOLE(0x3000), HOLE(0x5000), RO(0x7000), HOLE(0x9000), HOLE(0x20000));

	HIT_(w, 0x5004, 4, WR, a.addr, VMDBG_WATCH_ACCESS);    /* a, its third page */
	HIT_(w, 0x20010, 1, RD, a.addr, VMDBG_WATCH_ACCESS);
	SILENT_(w, 0x5008, 8, RD);                             /* a */
	HIT_(w, 0x3000, 2, RD, b.addr, VMDBG_WATCH_READ);
	SILENT_(w, 0x3000, 2, WR);                             /* b */
	SILENT_(w, 0x3008, 8, RD);                             /* b */
	SILENT_(w, 0x7000, 4, WR);                             /* c */
	HIT_(w, 0x70fe, 4, WR, c.addr, VMDBG_WATCH_WRITE);

	struct vmdbg_watch_info l[VMDBG_MAX_WATCHES];
	memset(l, 0x5a, sizeof l);
	g_assert_cmpuint(vm_watches_list(w, l), ==, 3);
	g_assert_cmphex(l[0].addr, ==, a.addr);
	g_assert_cmpuint(l[0].len, ==, a.len);
	g_assert_cmpuint(l[0].kind, ==, VMDBG_WATCH_ACCESS);
	g_assert_cmpuint(l[0].hits, ==, 2);
	g_assert_cmpuint(l[0].silent, ==, 1);
	g_assert_cmpuint(l[0].npages, ==, 2);        /* 0x20000 twice, 0x5000: two pages */
	g_assert_cmphex(l[0].pages[0], ==, 0x20000);
	g_assert_cmphex(l[0].pages[1], ==, 0x5000);
	g_assert_cmphex(l[1].addr, ==, b.addr);
	g_assert_cmpuint(l[1].len, ==, 4);
	g_assert_cmpuint(l[1].kind, ==, VMDBG_WATCH_READ);
	g_assert_cmpuint(l[1].hits, ==, 1);
	g_assert_cmpuint(l[1].silent, ==, 2);
	g_assert_cmpuint(l[1].npages, ==, 2);
	g_assert_cmphex(l[1].pages[0], ==, 0x9000);
	g_assert_cmphex(l[1].pages[1], ==, 0x3000);
	g_assert_cmphex(l[2].addr, ==, c.addr);
	g_assert_cmpuint(l[2].kind, ==, VMDBG_WATCH_WRITE);
	g_assert_cmpuint(l[2].hits, ==, 1);
	g_assert_cmpuint(l[2].silent, ==, 1);
	g_assert_cmpuint(l[2].npages, ==, 1);
	g_assert_cmphex(l[2].pages[0], ==, 0x7000);
	/* what WATCH_LIST carries must be a valid reply */
	GByteArray *out = g_byte_array_new();
	vmdbg_enc_watch_list_reply(VMDBG_GBA(out), 1, l, 3);
	struct vmdbg_msg msg;
	GError *err = NULL;
	CHECK(vmdbg_g_decode(out->data, out->len, &msg, &err), "WATCH_LIST reply does not decode: %s",
	      err ? err->message : "");
	g_clear_error(&err);
	g_byte_array_unref(out);

	/* the middle one goes: order kept, counters kept */
	remove_ok(w, b);
	g_assert_cmpuint(vm_watches_list(w, l), ==, 2);
	g_assert_cmphex(l[0].addr, ==, a.addr);
	g_assert_cmpuint(l[0].hits, ==, 2);
	g_assert_cmphex(l[1].addr, ==, c.addr);
	g_assert_cmpuint(l[1].silent, ==, 1);
	vm_watches_free(w);
}

/* Classifying while another thread inserts and removes (the vCPU threads
 * and the control thread): no crash, no lost watch. */
struct churn {
	struct vm_watches *w;
	struct mmu *m;
	gint stop;
};

static gpointer churn_thread(gpointer data)
{
	struct churn *c = data;
	for (unsigned i = 0; i < 2000; i++) {
		struct vmdbg_watch x = W(VMDBG_WATCH_WRITE, 0x100000 + PG * (i % 8), 8);
		if (!insert_ok(c->w, c->m, x))
			break;
		remove_ok(c->w, x);
	}
	g_atomic_int_set(&c->stop, 1);
	return NULL;
}

static void test_threads(void)
{
	struct mmu m;
	mmu_identity(&m);
	struct churn c = { vm_watches_new(), &m, 0 };
	insert_ok(c.w, &m, W(VMDBG_WATCH_WRITE, 0x200000, 8));
	GThread *t = g_thread_new("churn", churn_thread, &c);
	uint64_t hits = 0;
	struct vmdbg_stopped ev;
	while (!g_atomic_int_get(&c.stop)) {
		hits += vm_watches_access(c.w, 0x200000, 8, true, &ev) == VM_WATCH_HIT;
		vm_watches_access(c.w, 0x100000, 8, true, &ev);
	}
	g_thread_join(t);
	g_assert_cmpuint(vm_watches_count(c.w), ==, 1);
	check_counts(c.w, VMDBG_WATCH_WRITE, 0x200000, hits, 0);
	vm_watches_free(c.w);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* A failed check fails its test and the run goes on to the next. */
	g_test_set_nonfatal_assertions();

	g_test_add_func("/vm-watch/translate/identity", test_identity);
	g_test_add_func("/vm-watch/translate/scattered", test_scattered);
	g_test_add_func("/vm-watch/insert/all-or-nothing", test_all_or_nothing);
	g_test_add_func("/vm-watch/insert/exist-noent", test_exist_noent);
	g_test_add_func("/vm-watch/insert/nospc", test_nospc);
	g_test_add_func("/vm-watch/page-modes", test_page_modes);
	g_test_add_func("/vm-watch/access", test_access);
	g_test_add_func("/vm-watch/access/none", test_access_none);
	g_test_add_func("/vm-watch/access/overlapping-watches", test_overlapping_watches);
	g_test_add_func("/vm-watch/remove/shared-page", test_remove_shared_page);
	g_test_add_func("/vm-watch/clear", test_clear);
	g_test_add_func("/vm-watch/list", test_list);
	g_test_add_func("/vm-watch/threads", test_threads);

	return g_test_run();
}
