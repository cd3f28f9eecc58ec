/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-guestmem.c - guest memory the VM shares (src/dbgproxyd/core/
 * guestmem.c), against a real sealed memfd laid out as dbgproxy-vm lays
 * it out: RAM, then the table of patched software breakpoints.
 *
 * The guest's x86 page tables here are 32-bit paging (Intel SDM Vol. 3A
 * 4.3): the directory at 0x1000, one table at 0x2000 mapping virtual page
 * i to physical page i + 0x10 for i < 0x40, so guest-virtual and
 * guest-physical differ and a second virtual page can alias a physical one.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "guestmem.h"

#define RAM      (1u << 20)
#define TABLE_AT RAM
#define CAP      16u
#define FILE_SZ  (RAM + 4096)

struct fixture {
	int fd;
	uint8_t *map;                    /* the VM's view of the file */
	struct vmdbg_shm_bp_table *table;
	struct guestmem *g;
	struct x86_paging pg;
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static int make_file(bool seal)
{
	int fd = memfd_create("test-guestmem", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, FILE_SZ), ==, 0);
	if (seal)
		g_assert_cmpint(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), ==, 0);
	return fd;
}

static struct vmdbg_mem_map map_of(uint32_t translation, const uint8_t *regions, uint32_t n,
				   uint64_t table_at, uint32_t cap)
{
	return (struct vmdbg_mem_map){ translation, n, table_at, cap, regions };
}

/* one region {gpa, size, offset} in wire form */
static void region(uint8_t *out, uint64_t gpa, uint64_t size, uint64_t off)
{
	uint64_t v[3] = { GUINT64_TO_LE(gpa), GUINT64_TO_LE(size), GUINT64_TO_LE(off) };
	memcpy(out, v, sizeof v);
}

static void setup(struct fixture *f, gconstpointer data)
{
	uint32_t translation = GPOINTER_TO_UINT(data);
	f->fd = make_file(true);
	f->map = mmap(NULL, FILE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	g_assert_true(f->map != MAP_FAILED);
	f->table = (void *)(f->map + TABLE_AT);
	/* page tables, and a recognisable byte pattern in every other page */
	put32(f->map + 0x1000, 0x2000 | 3);
	for (uint32_t i = 0; i < 0x40; i++)
		put32(f->map + 0x2000 + 4 * i, ((i + 0x10) << 12) | 3);
	for (uint32_t a = 0x10000; a < RAM; a++)
		f->map[a] = (uint8_t)(a >> 4 ^ a);
	f->pg = (struct x86_paging){ .cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = 0x1000 };
	uint8_t reg[24];
	region(reg, 0, RAM, 0);
	struct vmdbg_mem_map m = map_of(translation, reg, 1, TABLE_AT, CAP);
	g_autoptr(GError) err = NULL;
	f->g = guestmem_new(dup(f->fd), &m, &err);
	CHECK(f->g != NULL, "guestmem_new: %s", err ? err->message : "?");
}

static void teardown(struct fixture *f, gconstpointer data)
{
	guestmem_free(f->g);
	munmap(f->map, FILE_SZ);
	close(f->fd);
}

/* the VM's side: patch gpa (len bytes) and list it */
static void patch(struct fixture *f, uint64_t gpa, uint32_t len, uint8_t byte)
{
	uint32_t n = f->table->count;
	f->table->seq++;
	f->table->e[n] = (struct vmdbg_shm_bp){ .gpa = gpa, .len = len };
	memcpy(f->table->e[n].orig, f->map + gpa, len);
	memset(f->map + gpa, byte, len);
	f->table->count = n + 1;
	f->table->seq++;
}

static void test_identity(struct fixture *f, gconstpointer data)
{
	uint8_t buf[64];
	CHECK(guestmem_translation(f->g) == VMDBG_XLATE_IDENTITY, "translation");
	CHECK(guestmem_ram_bytes(f->g) == RAM, "RAM size");
	CHECK(guestmem_read(f->g, NULL, 0x20000, buf, sizeof buf), "read in RAM");
	CHECK(memcmp(buf, f->map + 0x20000, sizeof buf) == 0, "the bytes of RAM");
	/* ending exactly at the end of RAM, and one past it */
	CHECK(guestmem_read(f->g, NULL, RAM - 8, buf, 8), "last 8 bytes");
	CHECK(!guestmem_read(f->g, NULL, RAM - 8, buf, 9), "one byte past RAM is the VM's");
	CHECK(!guestmem_read(f->g, NULL, UINT64_MAX, buf, 2), "wrapping address");
	/* a write lands in the file */
	const uint8_t w[4] = { 1, 2, 3, 4 };
	CHECK(guestmem_write(f->g, NULL, 0x30000, w, 4), "write in RAM");
	CHECK(memcmp(f->map + 0x30000, w, 4) == 0, "written");
	CHECK(!guestmem_write(f->g, NULL, RAM - 2, w, 4), "write past RAM");
	CHECK(memcmp(f->map + RAM - 2, w, 2) != 0, "all or nothing: nothing written");
}

static void test_breakpoints(struct fixture *f, gconstpointer data)
{
	uint8_t before[16], buf[16];
	memcpy(before, f->map + 0x40000, sizeof before);
	patch(f, 0x40004, 4, 0xd4);   /* an AArch64 BRK word */
	patch(f, 0x4000f, 1, 0xcc);   /* an int3 */
	CHECK(guestmem_read(f->g, NULL, 0x40000, buf, sizeof buf), "read over breakpoints");
	CHECK(memcmp(buf, before, sizeof buf) == 0, "the guest's own bytes, not the patches");
	/* a read that starts inside a patched word */
	CHECK(guestmem_read(f->g, NULL, 0x40006, buf, 3), "read inside a word");
	CHECK(memcmp(buf, before + 6, 3) == 0, "its original bytes");
	/* writes touching a patch are the VM's; next to it they are ours */
	const uint8_t w[2] = { 0x55, 0x66 };
	CHECK(!guestmem_write(f->g, NULL, 0x40003, w, 2), "a write over a patched byte is refused");
	CHECK(f->map[0x40003] == before[3], "and nothing was written");
	CHECK(guestmem_write(f->g, NULL, 0x40002, w, 2), "a write ending before the patch");
	CHECK(guestmem_write(f->g, NULL, 0x40008, w, 2), "a write starting after it");
	/* a table in the middle of a change (odd sequence) is never trusted */
	f->table->seq++;
	CHECK(!guestmem_read(f->g, NULL, 0x40000, buf, 4), "read while the VM changes the table");
	CHECK(!guestmem_write(f->g, NULL, 0x50000, w, 2), "write while the VM changes the table");
	f->table->seq++;
	/* a hostile count is capped at the capacity */
	f->table->count = 0xffffffffu;
	CHECK(guestmem_read(f->g, NULL, 0x40000, buf, 4), "read with a count past capacity");
	f->table->count = 2;
}

static void test_x86_paging(struct fixture *f, gconstpointer data)
{
	uint8_t buf[32];
	CHECK(guestmem_translation(f->g) == VMDBG_XLATE_X86, "translation");
	/* virtual 0x3ff0..0x4010 crosses from page 3 (phys 0x13) to page 4 (phys 0x14) */
	CHECK(guestmem_read(f->g, &f->pg, 0x3ff0, buf, sizeof buf), "read across two pages");
	CHECK(memcmp(buf, f->map + 0x13ff0, 16) == 0 && memcmp(buf + 16, f->map + 0x14000, 16) == 0,
	      "each page through its own entry");
	CHECK(!guestmem_read(f->g, &f->pg, 0x40000, buf, 4), "unmapped virtual page: the VM's");
	CHECK(!guestmem_read(f->g, &f->pg, 0x3ffff0, buf, 4), "beyond the table's pages");
	/* a breakpoint by physical address shows through the virtual page */
	uint8_t orig = f->map[0x15000];
	patch(f, 0x15000, 1, 0xcc);
	CHECK(guestmem_read(f->g, &f->pg, 0x5000, buf, 1) && buf[0] == orig, "int3 hidden via paging");
	const uint8_t w = 0x90;
	CHECK(!guestmem_write(f->g, &f->pg, 0x5000, &w, 1), "write over it via paging refused");
	CHECK(guestmem_write(f->g, &f->pg, 0x5001, &w, 1) && f->map[0x15001] == 0x90,
	      "the next byte is written at its physical address");
	/* paging off: virtual = physical (PE only) */
	struct x86_paging real = { .cr0 = X86_CR0_PE };
	CHECK(guestmem_read(f->g, &real, 0x20000, buf, 4) && memcmp(buf, f->map + 0x20000, 4) == 0,
	      "paging off");
}

static void test_refused(void)
{
	uint8_t reg[24];
	g_autoptr(GError) err = NULL;
	region(reg, 0, RAM, 0);
	struct vmdbg_mem_map m = map_of(VMDBG_XLATE_IDENTITY, reg, 1, TABLE_AT, CAP);
	/* not sealed: the VM could shrink it under us (SIGBUS) */
	int fd = make_file(false);
	CHECK(guestmem_new(fd, &m, &err) == NULL && strstr(err->message, "F_SEAL_SHRINK"),
	      "unsealed file refused");
	g_clear_error(&err);
	/* a region past the end of the file */
	region(reg, 0, FILE_SZ, 4096);
	CHECK(guestmem_new(make_file(true), &m, &err) == NULL && strstr(err->message, "region"),
	      "region outside the file refused");
	g_clear_error(&err);
	/* the table past the end */
	region(reg, 0, RAM, 0);
	m = map_of(VMDBG_XLATE_IDENTITY, reg, 1, FILE_SZ - 8, CAP);
	CHECK(guestmem_new(make_file(true), &m, &err) == NULL && strstr(err->message, "table"),
	      "table outside the file refused");
	g_clear_error(&err);
	/* not a file at all */
	int p[2];
	g_assert_cmpint(pipe(p), ==, 0);
	close(p[1]);
	m = map_of(VMDBG_XLATE_IDENTITY, reg, 1, TABLE_AT, CAP);
	CHECK(guestmem_new(p[0], &m, &err) == NULL, "a pipe refused");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add("/guestmem/identity", struct fixture, GUINT_TO_POINTER(VMDBG_XLATE_IDENTITY), setup,
		   test_identity, teardown);
	g_test_add("/guestmem/breakpoints", struct fixture, GUINT_TO_POINTER(VMDBG_XLATE_IDENTITY),
		   setup, test_breakpoints, teardown);
	g_test_add("/guestmem/x86-paging", struct fixture, GUINT_TO_POINTER(VMDBG_XLATE_X86), setup,
		   test_x86_paging, teardown);
	g_test_add_func("/guestmem/refused", test_refused);
	return g_test_run();
}
