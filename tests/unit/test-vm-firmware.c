/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-vm-firmware.c - the BIOS data area, MP tables and ACPI tables
 * dbgproxy-vm leaves for its guest, read back the way kernels read them:
 * found by the specs' own searches, every checksum and length checked,
 * every entry walked.  Offsets and values come from the specs (IBM PC/AT
 * Technical Reference, Intel MultiProcessor Specification 1.4, ACPI 6.5),
 * not from vm-firmware.c.  With iasl installed, ACPICA's disassembler reads
 * every ACPI table too.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "vm-cpuid.h"
#include "vm-firmware.h"
#include "vm-pclayout.h"
#include "vmdbg.h"

#define MiB ((uint64_t)1 << 20)
#define CANARY 0xa5
#define CANARY_SPAN (2 * MiB)  /* every area lies below this */

/* ---- guest memory ------------------------------------------------------------------ */

struct guest {
	uint8_t *mem;
	uint64_t size;
};

/* Reserved, not committed: a 3 GiB guest costs only the pages written.  The
 * first 2 MiB hold a canary; nothing above them is touched. */
static struct guest guest_new(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	g_assert_true(p != MAP_FAILED);
	madvise(p, size, MADV_NOHUGEPAGE); /* so residency is per 4 KiB page */
	memset(p, CANARY, CANARY_SPAN);
	return (struct guest){ p, size };
}

static void guest_free(struct guest *g)
{
	munmap(g->mem, g->size);
}

static bool in_firmware_area(uint64_t a)
{
	return (a >= 0x400 && a < 0x500) ||                     /* BDA */
	       (a >= PC_EBDA_ADDR && a < PC_EBDA_ADDR + 1024) || /* EBDA */
	       (a >= 0xe0000 && a < 0x100000);                 /* BIOS area */
}

static void check_untouched_outside(const struct guest *g)
{
	for (uint64_t a = 0; a < CANARY_SPAN; a++)
		if (!in_firmware_area(a) && g->mem[a] != CANARY)
			g_error("byte at %#" G_GINT64_MODIFIER "x written outside the firmware areas", a);
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (g->size - CANARY_SPAN) / page;
	g_autofree unsigned char *vec = g_malloc(pages);
	g_assert_cmpint(mincore(g->mem + CANARY_SPAN, g->size - CANARY_SPAN, vec), ==, 0);
	for (size_t i = 0; i < pages; i++)
		if (vec[i] & 1)
			g_error("page at %#" G_GINT64_MODIFIER "x touched",
				(uint64_t)(CANARY_SPAN + i * page));
}

static uint16_t rd16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
	return rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

/* Ranges the tables occupy, to prove none overlaps another. */
struct extent {
	uint64_t start, end;
	const char *what;
};

struct extents {
	struct extent e[16];
	unsigned n;
};

static void claim(struct extents *x, uint64_t start, uint64_t len, const char *what)
{
	g_assert_cmpuint(start, >=, 0xe0000);
	g_assert_cmpuint(start + len, <=, 0x100000);
	for (unsigned i = 0; i < x->n; i++)
		if (start < x->e[i].end && x->e[i].start < start + len)
			g_error("%s overlaps %s", what, x->e[i].what);
	g_assert_cmpuint(x->n, <, G_N_ELEMENTS(x->e));
	x->e[x->n++] = (struct extent){ start, start + len, what };
}

/* ---- BIOS data area ------------------------------------------------------------------ */

static void check_bda(const uint8_t *mem)
{
	g_assert_cmphex(rd16(mem + 0x400), ==, 0x3f8);       /* COM1 */
	g_assert_cmphex(rd16(mem + 0x402), ==, 0);           /* COM2-4 absent */
	g_assert_cmphex(rd16(mem + 0x404), ==, 0);
	g_assert_cmphex(rd16(mem + 0x406), ==, 0);
	g_assert_cmphex(rd16(mem + 0x40e), ==, PC_EBDA_ADDR >> 4);
	uint16_t equip = rd16(mem + 0x410);
	g_assert_cmpuint(equip & 1, ==, 0);                  /* no diskette */
	g_assert_cmpuint(equip >> 1 & 1, ==, 1);             /* x87 */
	g_assert_cmpuint(equip >> 4 & 3, ==, 2);             /* 80x25 colour */
	g_assert_cmpuint(equip >> 9 & 7, ==, 1);             /* one serial port */
	g_assert_cmpuint(rd16(mem + 0x413), ==, 639);        /* base memory, KiB */
	g_assert_cmpuint(mem[0x449], ==, 3);                 /* video mode */
	g_assert_cmpuint(rd16(mem + 0x44a), ==, 80);         /* columns */
	g_assert_cmpuint(rd16(mem + 0x44c), >=, 80 * 25 * 2); /* page size */
	g_assert_cmphex(rd16(mem + 0x463), ==, 0x3d4);       /* colour CRTC */
	g_assert_cmpuint(mem[0x484], ==, 24);                /* rows - 1 */
	g_assert_cmpuint(rd16(mem + 0x485), ==, 16);         /* character height */
	/* the EBDA begins with its size in KiB, and the size fits below 640 KiB */
	uint64_t ebda = (uint64_t)rd16(mem + 0x40e) << 4;
	g_assert_cmpuint(mem[ebda], ==, 1);
	g_assert_cmpuint(ebda + mem[ebda] * 1024, ==, 640 * 1024);
	g_assert_cmpuint(rd16(mem + 0x413) * 1024, ==, ebda);
}

/* ---- MP tables (MultiProcessor Specification 1.4) ------------------------------------- */

static uint64_t mp_scan(const uint8_t *mem, uint64_t start, uint64_t len)
{
	for (uint64_t a = start; a + 16 <= start + len; a += 16)
		if (memcmp(mem + a, "_MP_", 4) == 0 && mem[a + 8] != 0 &&
		    sum8(mem + a, mem[a + 8] * 16) == 0)
			return a;
	return 0;
}

/* 4: the first KiB of the EBDA, else the last KiB of base memory, then the
 * BIOS ROM between 0xf0000 and 0xfffff. */
static uint64_t mp_find(const uint8_t *mem)
{
	uint64_t ebda = (uint64_t)rd16(mem + 0x40e) << 4;
	uint64_t base_end = (uint64_t)rd16(mem + 0x413) * 1024;
	uint64_t a = ebda ? mp_scan(mem, ebda, 1024) : 0;
	if (!a)
		a = mp_scan(mem, base_end - 1024, 1024);
	if (!a)
		a = mp_scan(mem, 0xf0000, 0x10000);
	return a;
}

static void check_mp(const uint8_t *mem, unsigned nr_vcpus, uint64_t mpf, struct extents *x)
{
	const uint8_t *f = mem + mpf;
	g_assert_cmpuint(f[8], ==, 1);                       /* 16 bytes */
	g_assert_cmpuint(f[9], ==, 4);                       /* version 1.4 */
	g_assert_cmpuint(sum8(f, 16), ==, 0);
	g_assert_cmpuint(f[11], ==, 0);                      /* a configuration table exists */
	claim(x, mpf, 16, "MP floating pointer");

	uint64_t ct = rd32(f + 4);
	const uint8_t *c = mem + ct;
	g_assert_cmpmem(c, 4, "PCMP", 4);
	uint16_t len = rd16(c + 4);
	g_assert_cmpuint(len, >=, 44);
	claim(x, ct, len, "MP configuration table");
	g_assert_cmpuint(c[6], ==, 4);
	g_assert_cmpuint(sum8(c, len), ==, 0);
	for (unsigned i = 8; i < 8 + 8 + 12; i++)            /* OEM and product ids */
		g_assert_true(g_ascii_isprint(c[i]));
	g_assert_cmphex(rd32(c + 28), ==, 0);                /* no OEM table */
	g_assert_cmphex(rd32(c + 36), ==, PC_LAPIC_ADDR);
	g_assert_cmpuint(rd16(c + 40), ==, 0);               /* no extended entries */
	g_assert_cmpuint(c[42], ==, 0);

	unsigned count = 0, cpus = 0, isa_bus = 0xff, ioapic_id = 0xff, last_type = 0;
	int pin_of_irq[16], irq_on_pin[24];
	bool extint_lint0 = false, nmi_lint1 = false;
	memset(pin_of_irq, -1, sizeof(pin_of_irq));
	memset(irq_on_pin, -1, sizeof(irq_on_pin));
	uint32_t off = 44;
	while (off < len) {
		const uint8_t *e = c + off;
		g_assert_cmpuint(e[0], >=, last_type);           /* entries in type order */
		last_type = e[0];
		switch (e[0]) {
		case 0: /* processor */
			g_assert_cmpuint(off + 20, <=, len);
			g_assert_cmpuint(e[1], ==, cpus);            /* APIC ids 0..n-1 */
			g_assert_cmphex(e[2], ==, 0x14);             /* KVM's xAPIC version */
			g_assert_cmpuint(e[3] & 1, ==, 1);           /* enabled */
			g_assert_cmpuint(e[3] >> 1 & 1, ==, cpus == 0); /* bootstrap: vCPU 0 only */
			g_assert_cmpuint(rd32(e + 4) >> 8 & 0xf, ==, 6); /* family 6 */
			g_assert_cmpuint(rd32(e + 8) & 0x201, ==, 0x201); /* FPU, APIC */
			cpus++;
			off += 20;
			break;
		case 1: /* bus */
			g_assert_cmpuint(off + 8, <=, len);
			g_assert_cmpmem(e + 2, 6, "ISA   ", 6);
			isa_bus = e[1];
			off += 8;
			break;
		case 2: /* I/O APIC */
			g_assert_cmpuint(off + 8, <=, len);
			g_assert_cmpuint(e[1], ==, nr_vcpus);        /* the id after the processors' */
			g_assert_cmphex(e[2], ==, 0x11);
			g_assert_cmpuint(e[3] & 1, ==, 1);
			g_assert_cmphex(rd32(e + 4), ==, PC_IOAPIC_ADDR);
			ioapic_id = e[1];
			off += 8;
			break;
		case 3: /* I/O interrupt assignment */
			g_assert_cmpuint(off + 8, <=, len);
			g_assert_cmpuint(e[1], ==, 0);               /* INT */
			g_assert_cmphex(rd16(e + 2), ==, 0);         /* conforms to ISA: edge, high */
			g_assert_cmpuint(e[4], ==, isa_bus);
			g_assert_cmpuint(e[5], <, 16);
			g_assert_cmpuint(e[6], ==, ioapic_id);
			g_assert_cmpuint(e[7], <, 24);
			g_assert_cmpint(pin_of_irq[e[5]], ==, -1);   /* one entry per IRQ */
			g_assert_cmpint(irq_on_pin[e[7]], ==, -1);   /* and per pin */
			pin_of_irq[e[5]] = e[7];
			irq_on_pin[e[7]] = e[5];
			off += 8;
			break;
		case 4: /* local interrupt assignment */
			g_assert_cmpuint(off + 8, <=, len);
			g_assert_cmpuint(e[6], ==, 0xff);            /* every local APIC */
			if (e[1] == 3 && e[7] == 0)
				extint_lint0 = true;
			else if (e[1] == 1 && e[7] == 1)
				nmi_lint1 = true;
			else
				g_error("local interrupt type %u on LINT%u", e[1], e[7]);
			off += 8;
			break;
		default:
			g_error("MP entry type %u at offset %u", e[0], off);
		}
		count++;
	}
	g_assert_cmpuint(off, ==, len);
	g_assert_cmpuint(count, ==, rd16(c + 34));
	g_assert_cmpuint(cpus, ==, nr_vcpus);
	g_assert_cmpuint(isa_bus, ==, 0);
	g_assert_cmpuint(ioapic_id, ==, nr_vcpus);
	g_assert_true(extint_lint0 && nmi_lint1);
	/* ISA IRQs as the machine wires them: IRQ0 on PC_FW_IRQ0_GSI (2, as on
	 * a PC), the cascade IRQ 2 absent, the rest identity */
	g_assert_cmpint(pin_of_irq[0], ==, PC_FW_IRQ0_GSI);
	g_assert_cmpint(pin_of_irq[2], ==, -1);
	for (int irq = 1; irq < 16; irq++)
		if (irq != 2)
			g_assert_cmpint(pin_of_irq[irq], ==, irq);
}

/* ---- ACPI tables (ACPI 6.5, chapter 5) ------------------------------------------------- */

static uint64_t rsdp_scan(const uint8_t *mem, uint64_t start, uint64_t len)
{
	for (uint64_t a = start; a + 20 <= start + len; a += 16)
		if (memcmp(mem + a, "RSD PTR ", 8) == 0 && sum8(mem + a, 20) == 0)
			return a;
	return 0;
}

/* 5.2.5.1: the first KiB of the EBDA, then 0xe0000-0xfffff, on 16-byte
 * boundaries. */
static uint64_t rsdp_find(const uint8_t *mem)
{
	uint64_t ebda = (uint64_t)rd16(mem + 0x40e) << 4;
	uint64_t a = ebda ? rsdp_scan(mem, ebda, 1024) : 0;
	return a ? a : rsdp_scan(mem, 0xe0000, 0x20000);
}

/* A table's header (5.2.6): signature, a length inside the BIOS area,
 * a zero checksum, 16-byte alignment.  Returns the length. */
static uint32_t check_sdt(const uint8_t *mem, uint64_t addr, const char *sig, struct extents *x)
{
	g_assert_cmpuint(addr % 16, ==, 0);
	g_assert_cmpuint(addr, >=, 0xe0000);
	g_assert_cmpuint(addr + 36, <=, 0x100000);
	const uint8_t *t = mem + addr;
	g_assert_cmpmem(t, 4, sig, 4);
	uint32_t len = rd32(t + 4);
	g_assert_cmpuint(len, >=, 36);
	claim(x, addr, len, sig);
	g_assert_cmpuint(sum8(t, len), ==, 0);
	g_assert_cmpmem(t + 10, 6, "DBGPRX", 6);
	return len;
}

static void check_fadt(const uint8_t *mem, uint64_t addr, struct extents *x)
{
	uint32_t len = check_sdt(mem, addr, "FACP", x);
	const uint8_t *t = mem + addr;
	g_assert_cmpuint(len, ==, 276);                      /* ACPI 6.0 and later */
	g_assert_cmpuint(t[8], ==, 6);
	g_assert_cmpuint(t[131], ==, 5);                     /* FADT minor version */
	uint32_t flags = rd32(t + 112);
	g_assert_cmpuint(flags >> 20 & 1, ==, 1);            /* HW_REDUCED_ACPI */
	g_assert_cmpuint(flags & 1, ==, 1);                  /* WBINVD, as IA-PC needs */
	uint16_t iapc = rd16(t + 109);
	g_assert_cmpuint(iapc & 7, ==, 7);                   /* legacy devices, 8042, no VGA */
	/* hardware-reduced: no FACS and no PM blocks are needed */
	g_assert_cmphex(rd32(t + 36), ==, 0);
	g_assert_cmphex(rd64(t + 132), ==, 0);
	uint64_t dsdt = rd64(t + 140);
	g_assert_cmphex(dsdt, !=, 0);
	g_assert_cmphex(rd32(t + 40), ==, dsdt);             /* 32-bit DSDT agrees */
	uint32_t dlen = check_sdt(mem, dsdt, "DSDT", x);
	g_assert_cmpuint(dlen, ==, 36);                      /* an empty definition block */
	g_assert_cmpuint(mem[dsdt + 8], >=, 2);
}

static void check_madt(const uint8_t *mem, uint64_t addr, unsigned nr_vcpus, struct extents *x)
{
	uint32_t len = check_sdt(mem, addr, "APIC", x);
	const uint8_t *t = mem + addr;
	g_assert_cmphex(rd32(t + 36), ==, PC_LAPIC_ADDR);
	g_assert_cmpuint(rd32(t + 40) & 1, ==, 1);           /* PCAT_COMPAT */

	g_autofree bool *seen = g_new0(bool, nr_vcpus);
	unsigned cpus = 0, ioapics = 0, isos = 0, nmis = 0, x2nmis = 0;
	bool first_cpu = true;
	uint32_t off = 44;
	while (off < len) {
		const uint8_t *e = t + off;
		g_assert_cmpuint(off + 2, <=, len);
		g_assert_cmpuint(e[1], >=, 2);
		g_assert_cmpuint(off + e[1], <=, len);
		switch (e[0]) {
		case 0: /* processor local APIC */
			g_assert_cmpuint(e[1], ==, 8);
			g_assert_cmpuint(e[3], <, nr_vcpus);
			g_assert_cmpuint(e[3], <, 255);
			g_assert_false(seen[e[3]]);
			seen[e[3]] = true;
			g_assert_cmpuint(e[2], ==, e[3]);            /* processor UID */
			g_assert_cmphex(rd32(e + 4), ==, 1);         /* enabled */
			if (first_cpu)
				g_assert_cmpuint(e[3], ==, 0);           /* the BSP leads */
			first_cpu = false;
			cpus++;
			break;
		case 9: /* processor local x2APIC */
			g_assert_cmpuint(e[1], ==, 16);
			g_assert_cmpuint(rd32(e + 4), >=, 255);      /* only where xAPIC ids end */
			g_assert_cmpuint(rd32(e + 4), <, nr_vcpus);
			g_assert_false(seen[rd32(e + 4)]);
			seen[rd32(e + 4)] = true;
			g_assert_cmphex(rd32(e + 8), ==, 1);
			g_assert_cmpuint(rd32(e + 12), ==, rd32(e + 4));
			g_assert_false(first_cpu);
			cpus++;
			break;
		case 1: /* I/O APIC */
			g_assert_cmpuint(e[1], ==, 12);
			g_assert_cmpuint(e[2], <, 255);
			if (nr_vcpus < 255)
				g_assert_cmpuint(e[2], ==, nr_vcpus);
			g_assert_cmphex(rd32(e + 4), ==, PC_IOAPIC_ADDR);
			g_assert_cmpuint(rd32(e + 8), ==, 0);        /* GSI base */
			ioapics++;
			break;
		case 2: /* interrupt source override */
			g_assert_cmpuint(e[1], ==, 10);
			g_assert_cmpuint(e[2], ==, 0);               /* ISA */
			g_assert_cmpuint(e[3], ==, 0);               /* IRQ0 only */
			g_assert_cmpuint(rd32(e + 4), ==, PC_FW_IRQ0_GSI);
			g_assert_cmphex(rd16(e + 8), ==, 0);         /* conforms: edge, high */
			isos++;
			break;
		case 4: /* local APIC NMI */
			g_assert_cmpuint(e[1], ==, 6);
			g_assert_cmpuint(e[2], ==, 0xff);            /* all processors */
			g_assert_cmpuint(e[5], ==, 1);               /* LINT1 */
			nmis++;
			break;
		case 10: /* local x2APIC NMI */
			g_assert_cmpuint(e[1], ==, 12);
			g_assert_cmphex(rd32(e + 4), ==, 0xffffffff);
			g_assert_cmpuint(e[8], ==, 1);
			x2nmis++;
			break;
		default:
			g_error("MADT entry type %u at offset %u", e[0], off);
		}
		off += e[1];
	}
	g_assert_cmpuint(off, ==, len);
	g_assert_cmpuint(cpus, ==, nr_vcpus);
	g_assert_cmpuint(ioapics, ==, 1);
	g_assert_cmpuint(isos, ==, 1);
	g_assert_cmpuint(nmis, ==, 1);
	g_assert_cmpuint(x2nmis, ==, nr_vcpus > 255);
}

struct acpi_found {
	uint64_t rsdp, rsdt, xsdt, fadt, dsdt, madt;
};

static struct acpi_found check_acpi(const uint8_t *mem, unsigned nr_vcpus, struct extents *x)
{
	struct acpi_found a = { .rsdp = rsdp_find(mem) };
	g_assert_cmphex(a.rsdp, !=, 0);
	const uint8_t *r = mem + a.rsdp;
	g_assert_cmpuint(r[15], ==, 2);                      /* revision */
	g_assert_cmpmem(r + 9, 6, "DBGPRX", 6);
	g_assert_cmpuint(rd32(r + 20), ==, 36);
	g_assert_cmpuint(sum8(r, 36), ==, 0);                /* extended checksum */
	claim(x, a.rsdp, 36, "RSDP");
	a.rsdt = rd32(r + 16);
	a.xsdt = rd64(r + 24);

	uint32_t rlen = check_sdt(mem, a.rsdt, "RSDT", x);
	uint32_t xlen = check_sdt(mem, a.xsdt, "XSDT", x);
	g_assert_cmpuint((rlen - 36) % 4, ==, 0);
	g_assert_cmpuint((xlen - 36) % 8, ==, 0);
	unsigned n = (rlen - 36) / 4;
	g_assert_cmpuint((xlen - 36) / 8, ==, n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t p = rd32(mem + a.rsdt + 36 + 4 * i);
		g_assert_cmphex(rd64(mem + a.xsdt + 36 + 8 * i), ==, p);
		if (memcmp(mem + p, "FACP", 4) == 0) {
			g_assert_cmphex(a.fadt, ==, 0);
			a.fadt = p;
		} else if (memcmp(mem + p, "APIC", 4) == 0) {
			g_assert_cmphex(a.madt, ==, 0);
			a.madt = p;
		} else {
			g_error("unexpected table %.4s", (const char *)mem + p);
		}
	}
	g_assert_cmphex(a.fadt, !=, 0);
	g_assert_cmphex(a.madt, !=, 0);
	check_fadt(mem, a.fadt, x);
	a.dsdt = rd64(mem + a.fadt + 140);
	check_madt(mem, a.madt, nr_vcpus, x);
	return a;
}

/* ---- the whole set, for several machines ----------------------------------------- */

struct machine {
	unsigned nr_vcpus;
	uint64_t mem_size;
};

static void check_all(const struct guest *g, unsigned nr_vcpus, const struct pc_firmware *fw)
{
	struct extents x = { .n = 0 };
	check_bda(g->mem);
	uint64_t mpf = mp_find(g->mem);
	g_assert_cmphex(mpf, ==, fw->mp_floating);
	if (nr_vcpus <= PC_FW_MP_MAX_VCPUS) {
		g_assert_cmphex(mpf, !=, 0);
		check_mp(g->mem, nr_vcpus, mpf, &x);
	}
	struct acpi_found a = check_acpi(g->mem, nr_vcpus, &x);
	g_assert_cmphex(a.rsdp, ==, fw->rsdp);
	check_untouched_outside(g);
}

static void test_tables(gconstpointer data)
{
	const struct machine *m = data;
	struct guest g = guest_new(m->mem_size);
	struct pc_firmware fw;
	g_autoptr(GError) err = NULL;
	g_assert_true(pc_firmware_build(g.mem, g.size, m->nr_vcpus, &fw, &err));
	g_assert_no_error(err);
	check_all(&g, m->nr_vcpus, &fw);
	guest_free(&g);
}

/* Building again for a smaller machine leaves nothing of the larger one. */
static void test_rebuild(void)
{
	struct guest g = guest_new(64 * MiB);
	struct pc_firmware fw;
	g_assert_true(pc_firmware_build(g.mem, g.size, VMDBG_MAX_VCPUS, &fw, NULL));
	g_assert_true(pc_firmware_build(g.mem, g.size, PC_FW_MP_MAX_VCPUS, &fw, NULL));
	g_assert_true(pc_firmware_build(g.mem, g.size, 1, &fw, NULL));
	check_all(&g, 1, &fw);
	guest_free(&g);
}

static void test_refused(void)
{
	struct guest g = guest_new(64 * MiB);
	struct pc_firmware fw = { 0, 0 };
	static const struct machine bad[] = {
		{ 0, 64 * MiB },
		{ VMDBG_MAX_VCPUS + 1, 64 * MiB },
		{ 1, MiB - 1 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) err = NULL;
		g_assert_false(pc_firmware_build(g.mem, bad[i].mem_size, bad[i].nr_vcpus, &fw, &err));
		g_assert_nonnull(err);
		g_test_message("refused: %s", err->message);
	}
	for (uint64_t a = 0; a < CANARY_SPAN; a++)
		g_assert_cmpuint(g.mem[a], ==, CANARY);
	guest_free(&g);
}

/* ---- ACPICA's disassembler ------------------------------------------------------------ */

static bool has_trouble(const char *text)
{
	g_autofree char *low = g_ascii_strdown(text, -1);
	return strstr(low, "error") || strstr(low, "warning") || strstr(low, "invalid") ||
	       strstr(low, "incorrect") || strstr(low, "unknown") || strstr(text, "****");
}

/* Runs iasl -d on one table and returns what it said: on its terminal and
 * in the disassembly, where it writes its complaints as comments (up to the
 * raw hex dump, whose ASCII column could say anything). */
static char *iasl_verdict(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	g_autofree char *dat = g_strdup_printf("%s/%s.dat", dir, name);
	g_autofree char *dsl = g_strdup_printf("%s/%s.dsl", dir, name);
	g_assert_true(g_file_set_contents(dat, (const char *)p, len, NULL));
	const char *argv[] = { "iasl", "-d", dat, NULL };
	g_autofree char *out = NULL, *err = NULL, *text = NULL;
	int status = -1;
	g_autoptr(GError) error = NULL;
	g_assert_true(g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
				   &err, &status, &error));
	g_assert_no_error(error);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);  /* g_spawn_check_wait_status is 2.70 */
	g_assert_true(g_file_get_contents(dsl, &text, NULL, NULL));
	char *raw = strstr(text, "Raw Table Data");
	if (raw)
		*raw = '\0';
	const char *body = strstr(text, "*/"); /* past iasl's banner */
	g_assert_nonnull(body);
	g_unlink(dat);
	g_unlink(dsl);
	return g_strconcat(out, err, body, NULL);
}

/* ACPICA's disassembler reads every ACPI table without a complaint.  It
 * cannot load an RSDP from a file (acfileio.c: "Loading an RSDP is not
 * supported"), so the RSDP is checked by check_acpi() alone. */
static void test_iasl(gconstpointer data)
{
	g_autofree char *iasl = g_find_program_in_path("iasl");
	if (!iasl) {
		g_test_skip("iasl not found (Debian package acpica-tools)");
		return;
	}
	const struct machine *m = data;
	struct guest g = guest_new(m->mem_size);
	struct pc_firmware fw;
	g_assert_true(pc_firmware_build(g.mem, g.size, m->nr_vcpus, &fw, NULL));
	struct extents x = { .n = 0 };
	struct acpi_found a = check_acpi(g.mem, m->nr_vcpus, &x);
	g_autofree char *dir = g_dir_make_tmp("test-vm-firmware-XXXXXX", NULL);
	g_assert_nonnull(dir);
	const struct { const char *name; uint64_t addr; } tables[] = {
		{ "rsdt", a.rsdt }, { "xsdt", a.xsdt }, { "facp", a.fadt },
		{ "dsdt", a.dsdt }, { "apic", a.madt },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
		const uint8_t *t = g.mem + tables[i].addr;
		g_autofree char *said = iasl_verdict(dir, tables[i].name, t, rd32(t + 4));
		if (has_trouble(said))
			g_error("iasl -d complains about the %s:\n%s", tables[i].name, said);
	}
	/* and the complaint detector is not blind: a bad checksum is noticed */
	g_autofree uint8_t *bad = g_memdup2(g.mem + a.madt, rd32(g.mem + a.madt + 4));
	bad[9] ^= 0x55;
	g_autofree char *said = iasl_verdict(dir, "bad-apic", bad, rd32(bad + 4));
	g_assert_true(has_trouble(said));
	g_rmdir(dir);
	guest_free(&g);
}

/* ---- CPUID topology ------------------------------------------------------------------ */

/* What KVM_GET_SUPPORTED_CPUID gave on a 2-core, 2-thread host (values as
 * the Intel SDM Vol. 2A lays them out): the guest must not see them. */
static const struct cpuid_leaf host_leaves[] = {
	{ 1, 0, 0x000906ea, 0x04100800, 0x7ffafbff, 0xbfebfbff },  /* 16 logical, APIC id 4, HTT */
	{ 4, 0, 0x1c004121, 0x01c0003f, 0x3f, 0 },                  /* L1d, 2 threads, 8 cores */
	{ 4, 1, 0x1c004122, 0x01c0003f, 0x3f, 0 },                  /* L1i */
	{ 4, 2, 0x1c004143, 0x00c0003f, 0x3ff, 0 },                 /* L2 */
	{ 4, 3, 0x1c03c163, 0x03c0003f, 0x2fff, 6 },                /* L3, 16 threads */
	{ 4, 4, 0, 0, 0, 0 },                                        /* no more caches */
	{ 0xb, 0, 1, 2, 0x100, 4 },                                  /* SMT: 2 threads */
	{ 0xb, 1, 4, 16, 0x201, 4 },                                 /* core: 16 */
	{ 0xb, 2, 0, 0, 2, 4 },
	{ 0x80000001, 0, 0, 0, 0x00000121, 0x2c100800 },
	{ 0x80000008, 0, 0x3027, 0, 0x0000700f, 0 },                 /* NC 15 */
	{ 7, 0, 0, 0x029c6fbf, 0, 0 },                               /* not topology */
};

static struct cpuid_leaf *fitted(unsigned index, unsigned nvcpus)
{
	struct cpuid_leaf *e = g_memdup2(host_leaves, sizeof(host_leaves));
	cpuid_fit_vcpu(e, G_N_ELEMENTS(host_leaves), index, nvcpus);
	return e;
}

static const struct cpuid_leaf *leaf(const struct cpuid_leaf *e, uint32_t fn, uint32_t sub)
{
	for (size_t i = 0; i < G_N_ELEMENTS(host_leaves); i++)
		if (e[i].function == fn && e[i].index == sub)
			return &e[i];
	g_assert_not_reached();
}

static void test_cpuid_one_vcpu(void)
{
	g_autofree struct cpuid_leaf *e = fitted(0, 1);
	/* leaf 1: APIC id 0, 1 logical processor, no HTT; the rest kept */
	g_assert_cmphex(leaf(e, 1, 0)->ebx, ==, 0x00010800);
	g_assert_cmphex(leaf(e, 1, 0)->edx, ==, 0xafebfbff);
	g_assert_cmphex(leaf(e, 1, 0)->eax, ==, 0x000906ea);
	/* leaf 4: 1 core, each cache shared by 1 thread; sizes kept */
	for (uint32_t sub = 0; sub < 4; sub++) {
		g_assert_cmphex(leaf(e, 4, sub)->eax >> 14, ==, 0);
		g_assert_cmphex(leaf(e, 4, sub)->eax & 0x3fff, ==, host_leaves[1 + sub].eax & 0x3fff);
		g_assert_cmphex(leaf(e, 4, sub)->ebx, ==, host_leaves[1 + sub].ebx);
	}
	g_assert_cmphex(leaf(e, 4, 4)->eax, ==, 0);
	/* leaf 0xB: SMT level 1 thread, core level 1 core, then invalid */
	g_assert_cmphex(leaf(e, 0xb, 0)->eax, ==, 0);
	g_assert_cmphex(leaf(e, 0xb, 0)->ebx, ==, 1);
	g_assert_cmphex(leaf(e, 0xb, 0)->ecx, ==, 0x100);
	g_assert_cmphex(leaf(e, 0xb, 1)->eax, ==, 0);
	g_assert_cmphex(leaf(e, 0xb, 1)->ebx, ==, 1);
	g_assert_cmphex(leaf(e, 0xb, 1)->ecx, ==, 0x201);
	g_assert_cmphex(leaf(e, 0xb, 2)->ecx & 0xff00, ==, 0);
	g_assert_cmphex(leaf(e, 0xb, 2)->ebx, ==, 0);
	for (uint32_t sub = 0; sub < 3; sub++)
		g_assert_cmphex(leaf(e, 0xb, sub)->edx, ==, 0);
	/* AMD: NC 0, CmpLegacy clear */
	g_assert_cmphex(leaf(e, 0x80000008, 0)->ecx, ==, 0x00000000);
	g_assert_cmphex(leaf(e, 0x80000001, 0)->ecx, ==, 0x00000121 & ~2u);
	g_assert_cmphex(leaf(e, 7, 0)->ebx, ==, 0x029c6fbf);
}

static void test_cpuid_smp(void)
{
	for (unsigned index = 0; index < 5; index++) {
		g_autofree struct cpuid_leaf *e = fitted(index, 5);
		g_assert_cmphex(leaf(e, 1, 0)->ebx, ==, 0x00050800 | index << 24);
		g_assert_true(leaf(e, 1, 0)->edx & (1u << 28));
		/* 5 cores: L1/L2 per core, L3 shared by all 5 */
		g_assert_cmphex(leaf(e, 4, 0)->eax, ==, (4u << 26) | 0x121);
		g_assert_cmphex(leaf(e, 4, 2)->eax, ==, (4u << 26) | 0x143);
		g_assert_cmphex(leaf(e, 4, 3)->eax, ==, (4u << 26) | (4u << 14) | 0x163);
		/* x2APIC id = index; shifting by 3 bits gives the package */
		g_assert_cmphex(leaf(e, 0xb, 1)->eax, ==, 3);
		g_assert_cmphex(leaf(e, 0xb, 1)->ebx, ==, 5);
		g_assert_cmphex(leaf(e, 0xb, 0)->edx, ==, index);
		g_assert_cmphex(leaf(e, 0x80000008, 0)->ecx, ==, 0x3004);
		g_assert_true(leaf(e, 0x80000001, 0)->ecx & 2u);
	}
	g_assert_cmpuint(cpuid_id_bits(1), ==, 0);
	g_assert_cmpuint(cpuid_id_bits(2), ==, 1);
	g_assert_cmpuint(cpuid_id_bits(3), ==, 2);
	g_assert_cmpuint(cpuid_id_bits(256), ==, 8);
	/* 256 vCPUs: leaf 1's 8-bit count and leaf 4's 6-bit core field saturate */
	g_autofree struct cpuid_leaf *e = fitted(255, 256);
	g_assert_cmphex(leaf(e, 1, 0)->ebx >> 16, ==, 0xffff);
	g_assert_cmphex(leaf(e, 4, 0)->eax >> 26, ==, 63);
	g_assert_cmphex(leaf(e, 0xb, 1)->ebx, ==, 256);
	g_assert_cmphex(leaf(e, 0xb, 1)->eax, ==, 8);
	g_assert_cmphex(leaf(e, 0x80000008, 0)->ecx, ==, 0x80ff);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	static const unsigned cpus[] = { 1, 2, PC_FW_MP_MAX_VCPUS, 255, VMDBG_MAX_VCPUS };
	static const uint64_t sizes[] = { 64 * MiB, 3072 * MiB };
	static struct machine machines[G_N_ELEMENTS(cpus) * G_N_ELEMENTS(sizes)];
	size_t n = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(cpus); i++)
		for (size_t j = 0; j < G_N_ELEMENTS(sizes); j++) {
			machines[n] = (struct machine){ cpus[i], sizes[j] };
			g_autofree char *path = g_strdup_printf(
				"/vm-firmware/tables/%ucpu-%" G_GUINT64_FORMAT "M", cpus[i],
				sizes[j] / MiB);
			g_test_add_data_func(path, &machines[n], test_tables);
			n++;
		}
	g_test_add_func("/vm-firmware/rebuild", test_rebuild);
	g_test_add_func("/vm-firmware/refused", test_refused);
	g_test_add_func("/vm-firmware/cpuid/one-vcpu", test_cpuid_one_vcpu);
	g_test_add_func("/vm-firmware/cpuid/smp", test_cpuid_smp);
	static const struct machine small = { 2, 64 * MiB }, large = { VMDBG_MAX_VCPUS, 64 * MiB };
	g_test_add_data_func("/vm-firmware/iasl/2cpu", &small, test_iasl);
	g_test_add_data_func("/vm-firmware/iasl/max-vcpus", &large, test_iasl);
	return g_test_run();
}
