/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-parsers.c - one libFuzzer target for four parsers of untrusted
 * input, chosen by the first byte:
 *   0  RSP packet parameters (packets.h: pkt_parse with every schema
 *      dbgproxyd's packet table uses, and pkt_dispatch over a table of them)
 *   1  target-description XML (tdesc.h: tdesc_parse, no includes)
 *   2  the x86 page walker over guest-controlled page tables
 *      (x86-paging.h: x86_translate; the input is CR0/CR3/CR4/EFER, a
 *      virtual address and 1 MiB of guest memory)
 *   3  the A64 interpreter (a64-sim.h: a64_step over instructions and data
 *      from the input, with watchpoints and breakpoints armed)
 *   4  (first byte exactly 4) guest memory a VM shares (guestmem.h): a
 *      MEM_MAP whose second region, breakpoint table (sequence, count,
 *      entries) and page tables come from the input, then reads and writes
 *      through it; a read that claims success over a table with nothing
 *      patched returns the file's bytes
 * Each must return an answer or an error for any input, never crash, and
 * never touch memory outside what it was given (ASan).  Invariants checked
 * (abort() on violation): a translated address lies in guest memory with
 * a contiguous run inside it; a parsed 'H' parameter has an even count
 * decoded to half the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib.h>

#include "a64-sim.h"
#include "guestmem.h"
#include "packets.h"
#include "tdesc.h"
#include "x86-paging.h"

#define FUZZ_NAME "fuzz-parsers"
#include "fuzz.h"

static const char *const schemas[] = {
	NULL, "s", "H", "x", "x=H", "x,x", "x,x:H", "x,x:b", "x;x", "A", "x,x,x", "t", "s:x,x",
	"x;x;b",
};

static void noop(void *ctx, const struct pkt_param *p)
{
	(void)ctx;
	(void)p;
}

static void fuzz_packets(const uint8_t *data, size_t size)
{
	char *pkt = g_malloc(size + 1);
	memcpy(pkt, data, size);
	pkt[size] = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(schemas); i++) {
		struct pkt_param params[PKT_MAX_PARAMS];
		g_autoptr(GByteArray) scratch = g_byte_array_new();
		if (pkt_parse(schemas[i], pkt, size, params, scratch)) {
			if (schemas[i] && strcmp(schemas[i], "H") == 0 && params[0].len > size / 2)
				abort();
			pkt_params_clear(params);
		}
	}
	static const struct pkt_row rows[] = {
		{ "qSupported:", PKT_PREFIX, "s", noop, 0 },
		{ "G", PKT_PREFIX, "H", noop, 0 },
		{ "P", PKT_PREFIX, "x=H", noop, 0 },
		{ "m", PKT_PREFIX, "x,x", noop, PKT_F_NEEDS_TARGET },
		{ "x", PKT_PREFIX, "x,x", noop, 0 },
		{ "qCRC:", PKT_PREFIX, "x,x", noop, 0 },
		{ "qSearch:memory:", PKT_PREFIX, "x;x;b", noop, 0 },
		{ "M", PKT_PREFIX, "x,x:H", noop, 0 },
		{ "X", PKT_PREFIX, "x,x:b", noop, 0 },
		{ "C", PKT_PREFIX, "x;x", noop, 0 },
		{ "vCont", PKT_PREFIX, "A", noop, 0 },
		{ "Z", PKT_PREFIX, "x,x,x", noop, 0 },
		{ "Hg", PKT_PREFIX, "t", noop, 0 },
		{ "qXfer:features:read:", PKT_PREFIX, "s:x,x", noop, 0 },
		{ "?", PKT_EXACT, NULL, noop, 0 },
	};
	pkt_dispatch(rows, G_N_ELEMENTS(rows), pkt, size, NULL, NULL);
	g_free(pkt);
}

static void fuzz_tdesc(const uint8_t *data, size_t size)
{
	g_autoptr(GError) err = NULL;
	struct tdesc *t = tdesc_parse("fuzz.xml", (const char *)data, size, NULL, &err);
	if (t)
		tdesc_free(t);
}

#define PAGING_MEM (1u << 20)

static void fuzz_paging(const uint8_t *data, size_t size)
{
	uint64_t w[5] = { 0 };
	memcpy(w, data, MIN(size, sizeof(w)));
	data += MIN(size, sizeof(w));
	size -= MIN(size, sizeof(w));
	uint8_t *mem = g_malloc0(PAGING_MEM);
	memcpy(mem, data, MIN(size, (size_t)PAGING_MEM));
	struct x86_paging pg = { w[0], w[1] & (PAGING_MEM - 1), w[2], w[3] };
	uint64_t gpa = 0, contig = 0;
	if (x86_translate(&pg, mem, PAGING_MEM, w[4], &gpa, &contig) && gpa < PAGING_MEM &&
	    contig == 0)
		abort();
	g_free(mem);
}

#define GM_RAM   (64u * 1024)
#define GM_FILE  (GM_RAM + 4096)
#define GM_CAP   200u

/* One sealed memfd for every input, as a VM makes it. */
static uint8_t *gm_file(int *fd_out)
{
	static int fd = -1;
	static uint8_t *map;
	if (fd < 0) {
		fd = memfd_create("fuzz-guestmem", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (fd < 0 || ftruncate(fd, GM_FILE) != 0 ||
		    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
			abort();
		map = mmap(NULL, GM_FILE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			abort();
	}
	*fd_out = fd;
	return map;
}

static uint64_t take64(const uint8_t **data, size_t *size)
{
	uint64_t v = 0;
	memcpy(&v, *data, MIN(*size, sizeof(v)));
	*data += MIN(*size, sizeof(v));
	*size -= MIN(*size, sizeof(v));
	return v;
}

static void fuzz_guestmem(const uint8_t *data, size_t size)
{
	int fd;
	uint8_t *file = gm_file(&fd);
	memset(file, 0, GM_FILE);
	uint64_t head = take64(&data, &size);
	uint64_t r2[3] = { take64(&data, &size), take64(&data, &size), take64(&data, &size) };
	struct x86_paging pg = { take64(&data, &size), take64(&data, &size) % GM_RAM,
				 take64(&data, &size), take64(&data, &size) };
	/* the table: sequence and count straight from the input, then entries */
	struct vmdbg_shm_bp_table *tb = (void *)(file + GM_RAM);
	tb->seq = (uint32_t)(head >> 8);
	tb->count = (uint32_t)(head >> 40);
	size_t nent = MIN(size / 2, (size_t)GM_CAP * sizeof(struct vmdbg_shm_bp));
	memcpy(tb->e, data, nent);
	data += nent;
	size -= nent;
	memcpy(file, data, MIN(size, (size_t)GM_RAM));  /* RAM: page tables and all */
	uint64_t wire[6] = { 0, GM_RAM / 2, 0, r2[0], r2[1], r2[2] };
	struct vmdbg_mem_map m = { (head & 1) ? VMDBG_XLATE_X86 : VMDBG_XLATE_IDENTITY,
				   (head & 2) ? 2 : 1, GM_RAM, GM_CAP, (const uint8_t *)wire };
	g_autoptr(GError) err = NULL;
	struct guestmem *g = guestmem_new(dup(fd), &m, &err);
	if (!g)
		return;
	bool patched = tb->count != 0;
	uint8_t buf[4096];
	for (unsigned i = 0; i < 8; i++) {
		uint64_t addr = i < 4 ? r2[i % 3] + i : (head >> (i * 4)) % (GM_RAM + 64);
		size_t len = 1 + (size_t)((head >> (i * 3)) % sizeof(buf));
		bool ok = guestmem_read(g, &pg, addr, buf, len);
		if (ok && !patched && m.translation == VMDBG_XLATE_IDENTITY && addr < GM_RAM / 2 &&
		    len <= GM_RAM / 2 - addr && memcmp(buf, file + addr, len) != 0)
			abort();
		guestmem_write(g, &pg, addr, buf, len);
	}
	guestmem_free(g);
}

#define A64_MEM 4096u
#define A64_BASE 0x1000u

struct a64_fuzz_mem {
	uint8_t bytes[A64_MEM];
};

static bool a64_read(void *ctx, uint64_t addr, void *buf, unsigned len)
{
	struct a64_fuzz_mem *m = ctx;
	if (addr < A64_BASE || addr - A64_BASE > A64_MEM || A64_MEM - (addr - A64_BASE) < len)
		return false;
	memcpy(buf, m->bytes + (addr - A64_BASE), len);
	return true;
}

static bool a64_write(void *ctx, uint64_t addr, const void *buf, unsigned len)
{
	struct a64_fuzz_mem *m = ctx;
	if (addr < A64_BASE || addr - A64_BASE > A64_MEM || A64_MEM - (addr - A64_BASE) < len)
		return false;
	memcpy(m->bytes + (addr - A64_BASE), buf, len);
	return true;
}

static void fuzz_a64(const uint8_t *data, size_t size)
{
	struct a64_fuzz_mem *m = g_new0(struct a64_fuzz_mem, 1);
	memcpy(m->bytes, data, MIN(size, (size_t)A64_MEM));
	struct a64_cpu cpu;
	memset(&cpu, 0, sizeof(cpu));
	for (unsigned i = 0; i < 31; i++)
		cpu.x[i] = A64_BASE + (i * 8 % A64_MEM);   /* pointers into memory */
	cpu.sp = A64_BASE + A64_MEM - 64;
	cpu.pc = A64_BASE;
	struct a64_debug dbg;
	memset(&dbg, 0, sizeof(dbg));
	dbg.enabled = size > 0 && (data[0] & 1);
	dbg.nbps = dbg.nwps = 2;
	dbg.bcr[0] = 0x1e7;                              /* exec, A64, EL1/EL0 */
	dbg.bvr[0] = A64_BASE + 64;
	dbg.wcr[0] = 0x1ff7;                             /* load/store, 8 bytes */
	dbg.wvr[0] = A64_BASE + 256;
	dbg.single_step = size > 1 && (data[1] & 1);
	const struct a64_mem mem = { a64_read, a64_write, m, NULL };
	for (unsigned i = 0; i < 256; i++) {
		struct a64_event ev;
		uint64_t pc = cpu.pc;
		enum a64_exit e = a64_step(&cpu, &dbg, &mem, &ev);
		if (e != A64_OK && e != A64_WFI && e != A64_SOFTWARE_STEP && e != A64_HVC)
			break;
		if (e == A64_SOFTWARE_STEP && cpu.pc == pc)
			cpu.pc += 4;                     /* a branch to itself: move on */
	}
	g_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == 4) {
		fuzz_guestmem(data + 1, size - 1);
		return 0;
	}
	switch (data[0] & 3) {
	case 0: fuzz_packets(data + 1, size - 1); break;
	case 1: fuzz_tdesc(data + 1, size - 1); break;
	case 2: fuzz_paging(data + 1, size - 1); break;
	default: fuzz_a64(data + 1, size - 1); break;
	}
	return 0;
}
