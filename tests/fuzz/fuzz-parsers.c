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
 * Each must return an answer or an error for any input, never crash, and
 * never touch memory outside what it was given (ASan).  Invariants checked
 * (abort() on violation): a translated address lies in guest memory with
 * a contiguous run inside it; a parsed 'H' parameter has an even count
 * decoded to half the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "a64-sim.h"
#include "packets.h"
#include "tdesc.h"
#include "x86-paging.h"

#define FUZZ_NAME "fuzz-parsers"
#include "fuzz.h"

static const char *const schemas[] = {
	NULL, "s", "H", "x", "x=H", "x,x", "x,x:H", "x,x:b", "x;x", "A", "x,x,x", "t", "s:x,x",
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
	const struct a64_mem mem = { a64_read, a64_write, m };
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
	switch (data[0] & 3) {
	case 0: fuzz_packets(data + 1, size - 1); break;
	case 1: fuzz_tdesc(data + 1, size - 1); break;
	case 2: fuzz_paging(data + 1, size - 1); break;
	default: fuzz_a64(data + 1, size - 1); break;
	}
	return 0;
}
