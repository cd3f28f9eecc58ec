/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-vm-boot.c - the boot loaders (src/dbgproxy-vm/core/vm-boot.h) against the specs:
 * synthetic Multiboot, Multiboot2 and Linux images built here, the boot
 * information read back with parsers of the test's own (written from
 * Multiboot 0.6.96 3.3, Multiboot2 2.0 3.6 and boot.rst/zero-page.rst, not
 * from the loader), every refusal, and two real images from Debian
 * (GNU Mach, memtest86+) fetched with tests/fetch-deb.sh when apt can.
 *
 * Every load runs on guest memory filled with FILL: a successful load may
 * change only the kernel, the boot information, the initrd and the GDT; a
 * refused one nothing at all.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "vm-boot.h"
#include "x86-paging.h"
#include "vm-pclayout.h"

#define GMEM   (4u << 20)
#define FILL   0x5a
#define MiB    (1u << 20)

/* ---- spec constants (the test's own) ------------------------------------------------ */

#define MB1_MAGIC        0x1BADB002u
#define MB1_EAX          0x2BADB002u
#define MB1_AOUT_KLUDGE  (1u << 16)
#define MB2_MAGIC        0xE85250D6u
#define MB2_EAX          0x36D76289u

/* ---- little-endian helpers ------------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

static void append32(GByteArray *b, uint32_t v)
{
	uint8_t x[4];
	wr32(x, v);
	g_byte_array_append(b, x, 4);
}

/* ---- guest memory ---------------------------------------------------------------------- */

static uint8_t *guest_new(uint64_t size)
{
	uint8_t *m = g_malloc(size);
	memset(m, FILL, size);
	return m;
}

static bool in_range(uint64_t a, uint64_t lo, uint64_t hi)
{
	return a >= lo && a < hi;
}

/* Every byte that differs from FILL lies in an area the image names. */
static void check_writes(const uint8_t *mem, uint64_t size, const struct boot_image *img)
{
	for (uint64_t a = 0; a < size; a++) {
		if (mem[a] == FILL)
			continue;
		if (in_range(a, img->load_start, img->load_end) || in_range(a, img->info_start, img->info_end) ||
		    in_range(a, img->initrd_start, img->initrd_end) || in_range(a, PC_GDT_ADDR, PC_GDT_END))
			continue;
		g_error("byte 0x%" G_GINT64_MODIFIER "x written outside the kernel [0x%" G_GINT64_MODIFIER
			"x, 0x%" G_GINT64_MODIFIER "x), info [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
			"x), initrd and GDT", a, img->load_start, img->load_end, img->info_start, img->info_end);
	}
}

static void check_untouched(const uint8_t *mem, uint64_t size)
{
	for (uint64_t a = 0; a < size; a++)
		if (mem[a] != FILL)
			g_error("refused load wrote byte 0x%" G_GINT64_MODIFIER "x", a);
}

static void assert_disjoint(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	if (a0 < b1 && b0 < a1)
		g_error("[0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x) overlaps [0x%" G_GINT64_MODIFIER
			"x, 0x%" G_GINT64_MODIFIER "x)", a0, a1, b0, b1);
}

/* A C string in guest memory, checked to end inside it. */
static const char *guest_str(const uint8_t *mem, uint64_t size, uint64_t addr)
{
	g_assert_cmphex(addr, <, size);
	g_assert_nonnull(memchr(mem + addr, 0, size - addr));
	return (const char *)mem + addr;
}

static bool load(const uint8_t *f, size_t n, struct boot_request *req, struct boot_image *img)
{
	GError *err = NULL;
	bool ok = boot_load(f, n, req, img, &err);
	g_assert_no_error(err);
	check_writes(req->mem, req->mem_size, img);
	return ok;
}

/* The load is refused with a message containing fragment, and changes nothing. */
static void expect_refusal_req(const uint8_t *f, size_t n, struct boot_request req, const char *fragment)
{
	if (!req.mem_size)
		req.mem_size = GMEM;
	g_autofree uint8_t *mem = guest_new(req.mem_size);
	req.mem = mem;
	struct boot_image img;
	GError *err = NULL;
	g_assert_false(boot_load(f, n, &req, &img, &err));
	g_assert_nonnull(err);
	if (!strstr(err->message, fragment))
		g_error("error '%s' does not mention '%s'", err->message, fragment);
	g_test_message("refused as expected: %s", err->message);
	g_error_free(err);
	check_untouched(mem, req.mem_size);
}

static void expect_refusal(const uint8_t *f, size_t n, enum boot_protocol p, const char *fragment)
{
	expect_refusal_req(f, n, (struct boot_request){ .protocol = p, .cmdline = "" }, fragment);
}

/* The e820 map the spec'd PC has (vm-pclayout.h): low RAM, EBDA, BIOS, high RAM. */
static void check_e820(const struct pc_e820_entry *got, size_t n, uint64_t mem_size)
{
	const struct pc_e820_entry want[] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xe0000, 0x20000, 2 }, { MiB, mem_size - MiB, 1 },
	};
	g_assert_cmpuint(n, ==, G_N_ELEMENTS(want));
	for (size_t i = 0; i < n; i++) {
		g_assert_cmphex(got[i].addr, ==, want[i].addr);
		g_assert_cmphex(got[i].size, ==, want[i].size);
		g_assert_cmpuint(got[i].type, ==, want[i].type);
	}
}

/* Segment descriptor fields (Intel SDM Vol. 3A 3.4.5). */
static void check_gdt(const uint8_t *mem, bool long64)
{
	uint64_t code = rd64(mem + PC_GDT_ADDR + PC_GDT_CODE_SEL);
	uint64_t data = rd64(mem + PC_GDT_ADDR + PC_GDT_DATA_SEL);
	g_assert_cmphex(rd64(mem + PC_GDT_ADDR), ==, 0);
	for (int i = 0; i < 2; i++) {
		uint64_t d = i ? data : code;
		uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
		uint32_t base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000));
		g_assert_cmphex(base, ==, 0);
		g_assert_cmphex(limit, ==, 0xfffff);
		g_assert_cmpuint((d >> 55) & 1, ==, 1);         /* G */
		g_assert_cmpuint((d >> 47) & 1, ==, 1);         /* P */
		g_assert_cmpuint((d >> 45) & 3, ==, 0);         /* DPL */
		g_assert_cmpuint((d >> 44) & 1, ==, 1);         /* S */
	}
	g_assert_cmpuint((code >> 40) & 0xf, ==, 0xb);          /* execute/read, accessed */
	g_assert_cmpuint((data >> 40) & 0xf, ==, 0x3);          /* read/write, accessed */
	g_assert_cmpuint((code >> 53) & 1, ==, long64);          /* L */
	g_assert_cmpuint((code >> 54) & 1, ==, !long64);         /* D */
	g_assert_cmpuint((data >> 54) & 1, ==, 1);
}

/* ---- image builders -------------------------------------------------------------------- */

/* An x86 ELF executable with one PT_LOAD at paddr/vaddr holding payload
 * (at file offset 0x100) and bss more zero bytes; entry at vaddr + entry_off. */
static GByteArray *make_elf_payload(bool is64, uint64_t paddr, uint64_t vaddr, const void *payload, size_t len,
				    uint64_t bss, uint64_t entry_off)
{
	GByteArray *f = g_byte_array_new();
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t off = 0x100;
	g_byte_array_set_size(f, (guint)(off + len));
	memset(f->data, 0, off);
	memcpy(f->data + off, payload, len);
	if (is64) {
		Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
				  .e_entry = vaddr + entry_off, .e_phoff = ehsize, .e_ehsize = (Elf64_Half)ehsize,
				  .e_phentsize = (Elf64_Half)phsize, .e_phnum = 1 };
		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS64;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = off, .p_vaddr = vaddr, .p_paddr = paddr,
				  .p_filesz = len, .p_memsz = len + bss, .p_flags = PF_R | PF_X };
		memcpy(f->data, &eh, sizeof(eh));
		memcpy(f->data + ehsize, &ph, sizeof(ph));
	} else {
		Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
				  .e_entry = (Elf32_Addr)(vaddr + entry_off), .e_phoff = (Elf32_Off)ehsize,
				  .e_ehsize = (Elf32_Half)ehsize, .e_phentsize = (Elf32_Half)phsize, .e_phnum = 1 };
		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = (Elf32_Off)off, .p_vaddr = (Elf32_Addr)vaddr,
				  .p_paddr = (Elf32_Addr)paddr, .p_filesz = (Elf32_Word)len,
				  .p_memsz = (Elf32_Word)(len + bss), .p_flags = PF_R | PF_X };
		memcpy(f->data, &eh, sizeof(eh));
		memcpy(f->data + ehsize, &ph, sizeof(ph));
	}
	return f;
}

/* A multiboot ELF: a 64-byte segment of 0x90 starting with the multiboot
 * header, bss more zero bytes; entry right after the header. */
static GByteArray *make_elf(bool is64, uint64_t paddr, uint64_t vaddr, uint32_t mb_flags, uint32_t bss)
{
	uint8_t seg[64];
	memset(seg, 0x90, sizeof(seg));
	wr32(seg, MB1_MAGIC);
	wr32(seg + 4, mb_flags);
	wr32(seg + 8, (uint32_t)-(MB1_MAGIC + mb_flags));
	return make_elf_payload(is64, paddr, vaddr, seg, sizeof(seg), bss, 12);
}

/* Add a second PT_LOAD (ELF32 or ELF64) to an image from make_elf_payload(). */
static void elf_add_segment(GByteArray *f, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	bool is64 = f->data[EI_CLASS] == ELFCLASS64;
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t data_off = f->len;
	g_byte_array_set_size(f, (guint)(f->len + filesz));
	memset(f->data + data_off, 0xab, filesz);
	if (is64) {
		Elf64_Ehdr eh;
		memcpy(&eh, f->data, sizeof(eh));
		Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = data_off, .p_vaddr = paddr, .p_paddr = paddr,
				  .p_filesz = filesz, .p_memsz = memsz };
		memcpy(f->data + ehsize + eh.e_phnum * phsize, &ph, sizeof(ph));
		eh.e_phnum++;
		memcpy(f->data, &eh, sizeof(eh));
	} else {
		Elf32_Ehdr eh;
		memcpy(&eh, f->data, sizeof(eh));
		Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = (Elf32_Off)data_off, .p_vaddr = (Elf32_Addr)paddr,
				  .p_paddr = (Elf32_Addr)paddr, .p_filesz = (Elf32_Word)filesz,
				  .p_memsz = (Elf32_Word)memsz };
		memcpy(f->data + ehsize + eh.e_phnum * phsize, &ph, sizeof(ph));
		eh.e_phnum++;
		memcpy(f->data, &eh, sizeof(eh));
	}
}

/* Multiboot2 header tags (spec 3.1.3): u16 type, u16 flags, u32 size, payload, padded to 8. */
static void mb2_tag(GByteArray *tags, uint16_t type, uint16_t flags, const uint32_t *payload, size_t n)
{
	uint8_t h[8];
	wr16(h, type);
	wr16(h + 2, flags);
	wr32(h + 4, (uint32_t)(8 + 4 * n));
	g_byte_array_append(tags, h, 8);
	for (size_t i = 0; i < n; i++)
		append32(tags, payload[i]);
	while (tags->len % 8)
		g_byte_array_append(tags, (const uint8_t *)"", 1);
}

/* The header: magic, arch, header_length, checksum, the tags, the end tag. */
static GByteArray *mb2_header(const GByteArray *tags, uint32_t arch)
{
	GByteArray *h = g_byte_array_new();
	uint32_t len = 16 + (tags ? tags->len : 0) + 8;
	append32(h, MB2_MAGIC);
	append32(h, arch);
	append32(h, len);
	append32(h, (uint32_t)-(MB2_MAGIC + arch + len));
	if (tags)
		g_byte_array_append(h, tags->data, tags->len);
	mb2_tag(h, 0, 0, NULL, 0);
	return h;
}

/* An ELF whose 0x200-byte segment at paddr starts with a multiboot2 header. */
static GByteArray *make_mb2_elf(bool is64, uint64_t paddr, const GByteArray *tags)
{
	g_autoptr(GByteArray) h = mb2_header(tags, 0);
	uint8_t seg[0x200];
	memset(seg, 0xf4, sizeof(seg));
	g_assert_cmpuint(h->len, <=, sizeof(seg) - 16);
	memcpy(seg, h->data, h->len);
	return make_elf_payload(is64, paddr, paddr, seg, sizeof(seg), 0x1000, 0x1f0);
}

/* Linux boot.rst setup header offsets. */
#define LX_SETUP_SECTS     0x1f1
#define LX_BOOT_FLAG       0x1fe
#define LX_JUMP            0x200
#define LX_HEADER          0x202
#define LX_VERSION         0x206
#define LX_TYPE_OF_LOADER  0x210
#define LX_LOADFLAGS       0x211
#define LX_CODE32_START    0x214
#define LX_RAMDISK_IMAGE   0x218
#define LX_RAMDISK_SIZE    0x21c
#define LX_CMD_LINE_PTR    0x228
#define LX_INITRD_ADDR_MAX 0x22c
#define LX_KERNEL_ALIGN    0x230
#define LX_RELOCATABLE     0x234
#define LX_XLOADFLAGS      0x236
#define LX_CMDLINE_SIZE    0x238
#define LX_HW_SUBARCH      0x23c
#define LX_SETUP_DATA      0x250
#define LX_PREF_ADDRESS    0x258
#define LX_INIT_SIZE       0x260
#define LX_HDR_END         0x26c   /* 2.15: kernel_info_offset ends here */
/* zero-page.rst */
#define BP_ACPI_RSDP       0x070
#define BP_SENTINEL        0x1ef
#define BP_E820_ENTRIES    0x1e8
#define BP_E820_TABLE      0x2d0

struct lx_opts {
	uint16_t version;
	uint8_t setup_sects;
	uint8_t loadflags;
	uint16_t xloadflags;
	bool relocatable;
	uint32_t kernel_alignment;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint32_t code32_start;
	size_t pm_size;
};

static const struct lx_opts lx_default = {
	.version = 0x020f, .setup_sects = 4, .loadflags = 1, .xloadflags = 1 | 2,
	.kernel_alignment = 0x200000, .pref_address = 0x100000, .init_size = 0x80000,
	.initrd_addr_max = 0x7fffffff, .cmdline_size = 2047, .code32_start = 0x100000, .pm_size = 0x3000,
};

static uint8_t pm_byte(size_t i)
{
	return (uint8_t)(i * 13 + 7);
}

static GByteArray *make_bzimage(const struct lx_opts *o)
{
	unsigned sects = o->setup_sects ? o->setup_sects : 4;
	size_t setup = (sects + 1) * 512u;
	GByteArray *f = g_byte_array_new();
	g_byte_array_set_size(f, (guint)(setup + o->pm_size));
	for (size_t i = 0; i < setup; i++)
		f->data[i] = (uint8_t)(i * 3);
	for (size_t i = 0; i < o->pm_size; i++)
		f->data[setup + i] = pm_byte(i);
	uint8_t *d = f->data;
	memset(d + LX_SETUP_SECTS, 0, LX_HDR_END - LX_SETUP_SECTS);
	d[BP_SENTINEL] = 0xff;
	d[LX_SETUP_SECTS] = o->setup_sects;
	wr16(d + LX_BOOT_FLAG, 0xaa55);
	d[LX_JUMP] = 0xeb;
	d[LX_JUMP + 1] = LX_HDR_END - LX_HEADER;
	memcpy(d + LX_HEADER, "HdrS", 4);
	wr16(d + LX_VERSION, o->version);
	wr16(d + 0x1fa, 0xffff);                    /* vid_mode "normal" */
	d[LX_LOADFLAGS] = o->loadflags;
	wr32(d + LX_CODE32_START, o->code32_start);
	wr32(d + LX_INITRD_ADDR_MAX, o->initrd_addr_max);
	wr32(d + LX_KERNEL_ALIGN, o->kernel_alignment);
	d[LX_RELOCATABLE] = o->relocatable;
	d[0x235] = 21;                              /* min_alignment */
	wr16(d + LX_XLOADFLAGS, o->xloadflags);
	wr32(d + LX_CMDLINE_SIZE, o->cmdline_size);
	wr32(d + LX_HW_SUBARCH, 0x12345678);        /* nonsense a loader must not pass on */
	wr64(d + LX_SETUP_DATA, 0x1122334455667788ull);
	wr64(d + LX_PREF_ADDRESS, o->pref_address);
	wr32(d + LX_INIT_SIZE, o->init_size);
	wr32(d + 0x264, 0x190);                     /* handover_offset */
	return f;
}

/* An ACPI RSDP (ACPI 6.4 5.2.5.3) at addr in guest memory. */
static void put_rsdp(uint8_t *mem, uint64_t addr, uint8_t revision)
{
	uint8_t *r = mem + addr;
	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "DBGPRX", 6);
	r[15] = revision;
	wr32(r + 16, 0xe1000);
	wr32(r + 20, 36);
	wr64(r + 24, 0xe2000);
	uint8_t sum = 0;
	for (int i = 0; i < 20; i++)
		sum = (uint8_t)(sum + r[i]);
	r[8] = (uint8_t)-sum;
	sum = 0;
	for (int i = 0; i < 36; i++)
		sum = (uint8_t)(sum + r[i]);
	r[32] = (uint8_t)-sum;
}

/* ---- Multiboot v1: an independent reader of the boot information (3.3) ------------------- */

struct mb1_info {
	uint32_t flags, mem_lower, mem_upper;
	const char *cmdline, *loader;
	uint32_t mods_count, mods_addr;
	struct pc_e820_entry map[8];
	size_t nmap;
	uint64_t end; /* highest byte + 1 of the structures read */
};

static void mb1_read(const uint8_t *mem, uint64_t size, uint32_t mbi, struct mb1_info *i)
{
	memset(i, 0, sizeof(*i));
	g_assert_cmphex((uint64_t)mbi + 88, <=, size);
	i->flags = rd32(mem + mbi);
	i->end = mbi + 88;
	g_assert_true(i->flags & (1u << 0));
	i->mem_lower = rd32(mem + mbi + 4);
	i->mem_upper = rd32(mem + mbi + 8);
	g_assert_true(i->flags & (1u << 2));
	i->cmdline = guest_str(mem, size, rd32(mem + mbi + 16));
	i->end = MAX(i->end, rd32(mem + mbi + 16) + strlen(i->cmdline) + 1);
	if (i->flags & (1u << 3)) {
		i->mods_count = rd32(mem + mbi + 20);
		i->mods_addr = rd32(mem + mbi + 24);
		g_assert_cmphex((uint64_t)i->mods_addr + 16 * i->mods_count, <=, size);
		i->end = MAX(i->end, i->mods_addr + 16ull * i->mods_count);
	}
	g_assert_true(i->flags & (1u << 6));
	uint32_t len = rd32(mem + mbi + 44), addr = rd32(mem + mbi + 48);
	g_assert_cmphex((uint64_t)addr + len, <=, size);
	for (uint32_t off = 0; off < len; i->nmap++) {
		/* each entry: size (not counting itself), base_addr, length, type */
		uint32_t esize = rd32(mem + addr + off);
		g_assert_cmpuint(esize, >=, 20);
		g_assert_cmpuint(i->nmap, <, G_N_ELEMENTS(i->map));
		i->map[i->nmap].addr = rd64(mem + addr + off + 4);
		i->map[i->nmap].size = rd64(mem + addr + off + 12);
		i->map[i->nmap].type = rd32(mem + addr + off + 20);
		off += esize + 4;
		g_assert_cmpuint(off, <=, len);
	}
	i->end = MAX(i->end, (uint64_t)addr + len);
	g_assert_true(i->flags & (1u << 9));
	i->loader = guest_str(mem, size, rd32(mem + mbi + 64));
}

static void test_mb1_elf(void)
{
	for (int is64 = 0; is64 < 2; is64++) {
		g_autoptr(GByteArray) f = make_elf(is64, MiB, MiB, 0x3, 0x1000);
		g_autofree uint8_t *mem = guest_new(GMEM);
		struct boot_request req = { .mem = mem, .mem_size = GMEM, .cmdline = "console=ttyS0" };
		struct boot_image img;
		g_assert_true(load(f->data, f->len, &req, &img));
		g_assert_cmpint(img.protocol, ==, BOOT_MULTIBOOT);
		g_assert_cmpint(img.mode, ==, BOOT_MODE_PROT32);
		g_assert_cmphex(img.entry, ==, MiB + 12);
		g_assert_cmphex(img.eax, ==, MB1_EAX);
		g_assert_cmpint(img.elf64, ==, is64);
		g_assert_cmphex(img.load_start, ==, MiB);
		g_assert_cmphex(img.load_end, ==, MiB + 64 + 0x1000);
		g_assert_cmphex(rd32(mem + MiB), ==, MB1_MAGIC);
		g_assert_cmphex(mem[MiB + 63], ==, 0x90);
		for (unsigned i = 64; i < 64 + 0x1000; i++)      /* bss zeroed */
			g_assert_cmphex(mem[MiB + i], ==, 0);
		g_assert_cmphex(mem[MiB + 64 + 0x1000], ==, FILL);

		struct mb1_info mi;
		mb1_read(mem, GMEM, img.ebx, &mi);
		g_assert_cmpuint(mi.mem_lower, ==, 639);
		g_assert_cmpuint(mi.mem_upper, ==, (GMEM - MiB) / 1024);
		g_assert_cmpstr(mi.cmdline, ==, "console=ttyS0");
		g_assert_cmpstr(mi.loader, ==, "dbgproxy-vm");
		g_assert_false(mi.flags & (1u << 3));          /* no modules */
		check_e820(mi.map, mi.nmap, GMEM);
		/* the same map as vm-pclayout.h's */
		struct pc_e820_entry map[PC_E820_MAX];
		g_assert_cmpuint(pc_e820_map(GMEM, map), ==, mi.nmap);
		/* the boot information sits in the boot data area, off the kernel */
		g_assert_cmphex(img.ebx, >=, PC_BOOT_DATA_ADDR);
		g_assert_cmphex(mi.end, <=, img.info_end);
		g_assert_cmphex(img.info_start, <=, img.ebx);
		assert_disjoint(img.info_start, img.info_end, img.load_start, img.load_end);
		check_gdt(mem, false);
	}
}

static void test_mb1_higher_half_entry(void)
{
	/* linked at 0xffffffff80100000, loaded at 1 MiB: the entry is moved */
	g_autoptr(GByteArray) f = make_elf(true, MiB, 0xffffffff80100000ull, 0x3, 0);
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	g_assert_cmphex(img.entry, ==, MiB + 12);
}

static void test_mb1_aout_kludge(void)
{
	/* header at file offset 0: header_addr 0x200000 = load_addr, 40 bytes, bss to +0x100 */
	uint8_t f[64];
	memset(f, 0xcc, sizeof(f));
	uint32_t h[8] = { MB1_MAGIC, MB1_AOUT_KLUDGE, (uint32_t)-(MB1_MAGIC + MB1_AOUT_KLUDGE),
			  0x200000, 0x200000, 0x200000 + 40, 0x200000 + 0x100, 0x200020 };
	for (int i = 0; i < 8; i++)
		wr32(f + 4 * i, h[i]);
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM, .protocol = BOOT_MULTIBOOT };
	struct boot_image img;
	g_assert_true(load(f, sizeof(f), &req, &img));
	g_assert_cmphex(img.entry, ==, 0x200020);
	g_assert_false(img.elf64);
	g_assert_cmphex(mem[0x200000 + 39], ==, 0xcc);
	g_assert_cmphex(mem[0x200000 + 40], ==, 0);
	g_assert_cmphex(mem[0x200000 + 0xff], ==, 0);
	g_assert_cmphex(mem[0x200000 + 0x100], ==, FILL);
	struct mb1_info mi;
	mb1_read(mem, GMEM, img.ebx, &mi);
	g_assert_cmpstr(mi.cmdline, ==, "");
}

/* GRUB's own multiboot image (grub-mkimage -O i386-multiboot) loads at
 * 0x9000 with flags MEMORY_INFO: the boot information must go around it. */
static void test_mb1_grub_at_0x9000(void)
{
	static const uint32_t flags = 0x2;
	uint8_t code[0x18000];
	memset(code, 0x90, sizeof(code));
	wr32(code + 8, MB1_MAGIC);
	wr32(code + 12, flags);
	wr32(code + 16, (uint32_t)-(MB1_MAGIC + flags));
	g_autoptr(GByteArray) f = make_elf_payload(false, 0x9000, 0x9000, code, sizeof(code), 0x8000, 0);
	static const uint8_t module[300] = { 1, 2, 3 };
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM, .cmdline = "grub", .initrd = module,
				    .initrd_size = sizeof(module), .initrd_name = "/boot/grub/grub.cfg" };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	g_assert_cmphex(img.load_start, ==, 0x9000);
	g_assert_cmphex(img.load_end, ==, 0x9000 + sizeof(code) + 0x8000);
	struct mb1_info mi;
	mb1_read(mem, GMEM, img.ebx, &mi);
	/* every piece of the information is off the kernel */
	assert_disjoint(img.ebx, mi.end, img.load_start, img.load_end);
	assert_disjoint(img.info_start, img.info_end, img.load_start, img.load_end);
	g_assert_cmphex(img.ebx, >=, PC_BOOT_DATA_ADDR);
	g_assert_cmphex(mi.end, <=, 0x9000);      /* the gap below the kernel */
	g_assert_cmpuint(mi.mods_count, ==, 1);
	uint32_t ms = rd32(mem + mi.mods_addr), me = rd32(mem + mi.mods_addr + 4);
	g_assert_cmpuint(me - ms, ==, sizeof(module));
	g_assert_cmpuint(ms % 4096, ==, 0);
	g_assert_cmpmem(mem + ms, sizeof(module), module, sizeof(module));
	g_assert_cmpstr(guest_str(mem, GMEM, rd32(mem + mi.mods_addr + 8)), ==, "/boot/grub/grub.cfg");
	assert_disjoint(ms, me, img.load_start, img.load_end);
	assert_disjoint(ms, me, img.ebx, mi.end);
	g_assert_cmphex(img.initrd_start, ==, ms);
	g_assert_cmphex(img.initrd_end, ==, me);
}

/* No gap in conventional memory: the information goes right above the kernel. */
static void test_mb1_info_above_kernel(void)
{
	uint8_t code[0x9e800];
	memset(code, 0x90, sizeof(code));
	wr32(code, MB1_MAGIC);
	wr32(code + 4, 0x3);
	wr32(code + 8, (uint32_t)-(MB1_MAGIC + 0x3));
	/* [0x1000, 0x9f800) leaves no page-aligned gap below the EBDA */
	g_autoptr(GByteArray) f = make_elf_payload(false, 0x1000, 0x1000, code, sizeof(code), 0, 16);
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM, .cmdline = "low" };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	g_assert_cmphex(img.ebx, ==, MiB);     /* above 1 MiB, not in the EBDA/VGA/BIOS hole */

	/* with a second segment up high, right above that one, page-aligned */
	elf_add_segment(f, 0x180000, 0x123, 0x123);
	memset(mem, FILL, GMEM);
	g_assert_true(load(f->data, f->len, &req, &img));
	g_assert_cmphex(img.ebx, ==, 0x181000);
	struct mb1_info mi;
	mb1_read(mem, GMEM, img.ebx, &mi);
	g_assert_cmpstr(mi.cmdline, ==, "low");

	/* and nothing fits when the kernel fills that too */
	g_autoptr(GByteArray) full = make_elf_payload(false, 0x1000, 0x1000, code, sizeof(code), 0x400, 16);
	elf_add_segment(full, MiB, 0x10, GMEM - MiB);
	expect_refusal(full->data, full->len, BOOT_MULTIBOOT, "no room for the multiboot information");
}

static void test_mb1_module_high(void)
{
	g_autoptr(GByteArray) f = make_elf(false, MiB, MiB, 0x1 | 0x2, 0x1000);
	size_t n = 1536 * 1024;    /* too big for conventional memory */
	g_autofree uint8_t *initrd = g_malloc(n);
	for (size_t i = 0; i < n; i++)
		initrd[i] = (uint8_t)(i >> 3);
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM, .initrd = initrd, .initrd_size = n };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	struct mb1_info mi;
	mb1_read(mem, GMEM, img.ebx, &mi);
	g_assert_cmpuint(mi.mods_count, ==, 1);
	uint32_t ms = rd32(mem + mi.mods_addr), me = rd32(mem + mi.mods_addr + 4);
	g_assert_cmpuint(ms % 4096, ==, 0);                 /* flag bit 0 */
	g_assert_cmpuint(ms, >=, img.load_end);
	g_assert_cmpuint(me - ms, ==, n);
	g_assert_cmpmem(mem + ms, n, initrd, n);
	g_assert_cmpstr(guest_str(mem, GMEM, rd32(mem + mi.mods_addr + 8)), ==, "");
	/* too big for the memory there is */
	req.initrd_size = GMEM;
	g_autofree uint8_t *huge = g_malloc0(GMEM);
	req.initrd = huge;
	req.mem = NULL;
	expect_refusal_req(f->data, f->len, req, "no room for the multiboot module");
}

static void test_mb1_flags(void)
{
	/* 0 page-align, 1 memory info, 16 a.out (ignored for ELF), 17-31 optional */
	const uint32_t ok[] = { 0, 0x1, 0x2, 0x3, MB1_AOUT_KLUDGE | 0x3, 0xfffe0003 };
	for (unsigned i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_autoptr(GByteArray) f = make_elf(false, MiB, MiB, ok[i], 0);
		g_autofree uint8_t *mem = guest_new(GMEM);
		struct boot_request req = { .mem = mem, .mem_size = GMEM };
		struct boot_image img;
		g_assert_true(load(f->data, f->len, &req, &img));
	}
	/* bit 2 (video mode) and the unnamed bits 3-15 are requirements it cannot meet */
	g_autoptr(GByteArray) v = make_elf(false, MiB, MiB, 0x7, 0);
	expect_refusal(v->data, v->len, BOOT_AUTO, "requires multiboot features 0x4");
	expect_refusal(v->data, v->len, BOOT_AUTO, "video mode");
	for (unsigned bit = 3; bit < 16; bit++) {
		g_autoptr(GByteArray) u = make_elf(false, MiB, MiB, 0x3 | 1u << bit, 0);
		g_autofree char *want = g_strdup_printf("features 0x%x", 1u << bit);
		expect_refusal(u->data, u->len, BOOT_MULTIBOOT, want);
	}
}

static void test_mb1_malformed(void)
{
	uint8_t zeros[256] = { 0 };
	expect_refusal(zeros, sizeof(zeros), BOOT_MULTIBOOT, "no multiboot header");
	expect_refusal(zeros, 3, BOOT_MULTIBOOT, "no multiboot header");
	expect_refusal(zeros, sizeof(zeros), BOOT_AUTO, "not a kernel this loader knows");

	/* bad checksum */
	g_autoptr(GByteArray) f = make_elf(false, MiB, MiB, 0x3, 0);
	f->data[0x100 + 8] ^= 1;
	expect_refusal(f->data, f->len, BOOT_AUTO, "not a kernel");

	/* header past the first 8 KiB */
	uint8_t late[8192 + 64];
	memset(late, 0, sizeof(late));
	wr32(late + 8192, MB1_MAGIC);
	wr32(late + 8196, MB1_AOUT_KLUDGE);
	wr32(late + 8200, (uint32_t)-(MB1_MAGIC + MB1_AOUT_KLUDGE));
	expect_refusal(late, sizeof(late), BOOT_MULTIBOOT, "no multiboot header");

	/* a segment beyond guest memory, or wrapping around it */
	g_autoptr(GByteArray) big = make_elf(true, GMEM - 16, GMEM - 16, 0x3, 0);
	expect_refusal(big->data, big->len, BOOT_MULTIBOOT, "does not fit");
	g_autoptr(GByteArray) wrap = make_elf(true, MiB, MiB, 0x3, 0);
	elf_add_segment(wrap, 0x200000, 0, UINT64_MAX - 0x100000);
	expect_refusal(wrap->data, wrap->len, BOOT_MULTIBOOT, "does not fit");
	g_autoptr(GByteArray) wrap2 = make_elf(true, UINT64_MAX - 8, UINT64_MAX - 8, 0x3, 0);
	expect_refusal(wrap2->data, wrap2->len, BOOT_MULTIBOOT, "does not fit");

	/* a segment over the IVT/BDA/GDT page */
	g_autoptr(GByteArray) low = make_elf(true, 0x800, 0x800, 0x3, 0);
	expect_refusal(low->data, low->len, BOOT_MULTIBOOT, "boot area below 0x1000");

	/* overlapping segments */
	g_autoptr(GByteArray) ov = make_elf(false, MiB, MiB, 0x3, 0x1000);
	elf_add_segment(ov, MiB + 0x800, 0x10, 0x10);
	expect_refusal(ov->data, ov->len, BOOT_MULTIBOOT, "overlap");

	/* program headers past the end of the file */
	g_autoptr(GByteArray) ph = make_elf(true, MiB, MiB, 0x3, 0);
	Elf64_Ehdr eh;
	memcpy(&eh, ph->data, sizeof(eh));
	eh.e_phnum = 200;
	memcpy(ph->data, &eh, sizeof(eh));
	expect_refusal(ph->data, ph->len, BOOT_MULTIBOOT, "program headers");

	/* segment file range past the end of the file, or an offset that wraps */
	g_autoptr(GByteArray) seg = make_elf(true, MiB, MiB, 0x3, 0);
	Elf64_Phdr p;
	memcpy(&p, seg->data + sizeof(Elf64_Ehdr), sizeof(p));
	p.p_filesz = MiB;
	p.p_memsz = MiB;
	memcpy(seg->data + sizeof(Elf64_Ehdr), &p, sizeof(p));
	expect_refusal(seg->data, seg->len, BOOT_MULTIBOOT, "outside the");
	p.p_offset = UINT64_MAX - 8;
	p.p_filesz = 64;
	memcpy(seg->data + sizeof(Elf64_Ehdr), &p, sizeof(p));
	expect_refusal(seg->data, seg->len, BOOT_MULTIBOOT, "outside the");
	/* file size bigger than memory size */
	p.p_offset = 0x100;
	p.p_filesz = 64;
	p.p_memsz = 32;
	memcpy(seg->data + sizeof(Elf64_Ehdr), &p, sizeof(p));
	expect_refusal(seg->data, seg->len, BOOT_MULTIBOOT, "in the file but only");

	/* not x86 */
	g_autoptr(GByteArray) arm = make_elf(true, MiB, MiB, 0x3, 0);
	memcpy(&eh, arm->data, sizeof(eh));
	eh.e_machine = EM_AARCH64;
	memcpy(arm->data, &eh, sizeof(eh));
	expect_refusal(arm->data, arm->len, BOOT_MULTIBOOT, "x86 executable");

	/* entry point outside memory */
	g_autoptr(GByteArray) ent = make_elf(false, MiB, MiB, 0x3, 0);
	Elf32_Ehdr eh32;
	memcpy(&eh32, ent->data, sizeof(eh32));
	eh32.e_entry = GMEM + 0x10;
	memcpy(ent->data, &eh32, sizeof(eh32));
	expect_refusal(ent->data, ent->len, BOOT_MULTIBOOT, "entry point");

	/* a.out kludge: header_addr below load_addr; load_end below load_addr; bss_end too low */
	const uint32_t bad[][8] = {
		{ 0, 0, 0, 0x100000, 0x200000, 0, 0, 0x200000 },
		{ 0, 0, 0, 0x200000, 0x200000, 0x100000, 0, 0x200000 },
		{ 0, 0, 0, 0x200000, 0x200000, 0x200040, 0x200020, 0x200000 },
		{ 0, 0, 0, 0x200100, 0x200000, 0, 0, 0x200000 },       /* image would start before the file */
	};
	const char *why[] = { "header_addr", "load_end_addr", "bss_end_addr", "header_addr" };
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint8_t a[64] = { 0 };
		for (int k = 3; k < 8; k++)
			wr32(a + 4 * k, bad[i][k]);
		wr32(a, MB1_MAGIC);
		wr32(a + 4, MB1_AOUT_KLUDGE);
		wr32(a + 8, (uint32_t)-(MB1_MAGIC + MB1_AOUT_KLUDGE));
		expect_refusal(a, sizeof(a), BOOT_MULTIBOOT, why[i]);
	}
	/* a.out fields cut off by the end of the file */
	uint8_t cut[20] = { 0 };
	wr32(cut, MB1_MAGIC);
	wr32(cut + 4, MB1_AOUT_KLUDGE);
	wr32(cut + 8, (uint32_t)-(MB1_MAGIC + MB1_AOUT_KLUDGE));
	expect_refusal(cut, sizeof(cut), BOOT_MULTIBOOT, "truncated");
	/* neither ELF nor a.out */
	wr32(cut + 4, 0);
	wr32(cut + 8, (uint32_t)-MB1_MAGIC);
	expect_refusal(cut, sizeof(cut), BOOT_MULTIBOOT, "neither an ELF file");
	/* too little memory */
	expect_refusal_req(f->data, f->len, (struct boot_request){ .mem_size = MiB }, "below 2 MiB");
}

/* elf_load into a window that does not start at 0: the AArch64 machine's
 * RAM at 0x40000000; segments must fall inside it, machine must match. */
static void test_elf_aarch64_window(void)
{
	const uint64_t base = 0x40000000ull;
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_window w = { mem, base, GMEM, 0 };
	g_autoptr(GByteArray) f = make_elf(true, base + 0x80000, base + 0x80000, 0x3, 0x100);
	Elf64_Ehdr eh;
	memcpy(&eh, f->data, sizeof(eh));
	eh.e_machine = EM_AARCH64;
	memcpy(f->data, &eh, sizeof(eh));
	struct boot_image img = { 0 };
	GError *err = NULL;
	g_assert_true(elf_load(f->data, f->len, &w, EM_AARCH64, &img, &err));
	g_assert_no_error(err);
	g_assert_cmphex(img.entry, ==, base + 0x80000 + 12);
	g_assert_cmphex(img.load_start, ==, base + 0x80000);
	g_assert_cmphex(img.load_end, ==, base + 0x80000 + 64 + 0x100);
	g_assert_cmphex(rd32(mem + 0x80000), ==, MB1_MAGIC); /* the segment's first bytes */
	/* an x86 image is refused by the AArch64 loader, and the reverse */
	struct boot_window w0 = { mem, 0, GMEM, 0 };
	g_assert_false(elf_load(f->data, f->len, &w0, 0, &img, &err));
	g_assert_nonnull(strstr(err->message, "x86"));
	g_clear_error(&err);
	/* below the window, and past its end: nothing written */
	memset(mem, FILL, GMEM);
	const uint64_t bad[] = { base - 0x1000, base + GMEM - 16 };
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GByteArray) o = make_elf(true, base + 0x1000, base + 0x1000, 0x3, 0);
		elf_add_segment(o, bad[i], 0x20, 0x20);
		memcpy(&eh, o->data, sizeof(eh));
		eh.e_machine = EM_AARCH64;
		memcpy(o->data, &eh, sizeof(eh));
		g_assert_false(elf_load(o->data, o->len, &w, EM_AARCH64, &img, &err));
		g_assert_nonnull(strstr(err->message, "does not fit"));
		g_clear_error(&err);
	}
	check_untouched(mem, GMEM);
	/* not an ELF file at all */
	g_assert_false(elf_load((const uint8_t *)"MZ\0\0", 4, &w, EM_AARCH64, &img, &err));
	g_assert_nonnull(strstr(err->message, "not an ELF"));
	g_clear_error(&err);
}

/* ---- Multiboot2: an independent walk of the boot information (3.6) ------------------- */

struct mb2_tag_ref {
	uint32_t type, size;
	uint64_t addr;
};

/* Walk the tags: 8-byte aligned, sizes inside total_size, ending with the end tag. */
static GArray *mb2_walk(const uint8_t *mem, uint64_t size, uint32_t info)
{
	g_assert_cmpuint(info % 8, ==, 0);
	g_assert_cmphex((uint64_t)info + 16, <=, size);
	uint32_t total = rd32(mem + info);
	g_assert_cmpuint(rd32(mem + info + 4), ==, 0);          /* reserved */
	g_assert_cmphex((uint64_t)info + total, <=, size);
	GArray *tags = g_array_new(FALSE, FALSE, sizeof(struct mb2_tag_ref));
	uint64_t pos = 8;
	for (;;) {
		g_assert_cmpuint(pos % 8, ==, 0);
		g_assert_cmpuint(pos + 8, <=, total);
		struct mb2_tag_ref t = { rd32(mem + info + pos), rd32(mem + info + pos + 4), info + pos };
		g_assert_cmpuint(t.size, >=, 8);
		g_assert_cmpuint(pos + t.size, <=, total);
		if (t.type == 0) {
			g_assert_cmpuint(t.size, ==, 8);
			g_assert_cmpuint(pos + 8, ==, total);
			break;
		}
		g_array_append_val(tags, t);
		pos = (pos + t.size + 7) & ~7ull;
	}
	return tags;
}

static const struct mb2_tag_ref *mb2_find(const GArray *tags, uint32_t type)
{
	const struct mb2_tag_ref *found = NULL;
	for (guint i = 0; i < tags->len; i++) {
		const struct mb2_tag_ref *t = &g_array_index(tags, struct mb2_tag_ref, i);
		if (t->type == type) {
			g_assert_null(found);                   /* each at most once here */
			found = t;
		}
	}
	return found;
}

static const char *mb2_string(const uint8_t *mem, const struct mb2_tag_ref *t)
{
	g_assert_nonnull(t);
	g_assert_cmpuint(t->size, >, 8);
	g_assert_cmpuint(mem[t->addr + t->size - 1], ==, 0);
	return (const char *)mem + t->addr + 8;
}

static void test_mb2_elf(void)
{
	g_autoptr(GByteArray) tags = g_byte_array_new();
	const uint32_t want[] = { 1, 2, 3, 4, 6, 14, 15 };
	mb2_tag(tags, 1, 0, want, G_N_ELEMENTS(want));              /* required request */
	mb2_tag(tags, 6, 0, NULL, 0);                              /* module alignment */
	for (int is64 = 0; is64 < 2; is64++) {
		g_autoptr(GByteArray) f = make_mb2_elf(is64, 0x200000, tags);
		static const uint8_t initrd[5000] = { 9, 8, 7 };
		g_autofree uint8_t *mem = guest_new(GMEM);
		put_rsdp(mem, 0xe0000, 0);
		struct boot_request req = { .mem = mem, .mem_size = GMEM, .cmdline = "hello mb2",
					    .initrd = initrd, .initrd_size = sizeof(initrd),
					    .initrd_name = "initrd.img", .acpi_rsdp = 0xe0000 };
		struct boot_image img;
		GError *err = NULL;
		g_assert_true(boot_load(f->data, f->len, &req, &img, &err));
		g_assert_no_error(err);
		g_assert_cmpint(img.protocol, ==, BOOT_MULTIBOOT2);
		g_assert_cmpint(img.mode, ==, BOOT_MODE_PROT32);
		g_assert_cmphex(img.eax, ==, MB2_EAX);
		g_assert_cmphex(img.entry, ==, 0x2001f0);
		g_assert_cmpint(img.elf64, ==, is64);
		g_autoptr(GArray) t = mb2_walk(mem, GMEM, img.ebx);
		g_assert_cmpstr(mb2_string(mem, mb2_find(t, 1)), ==, "hello mb2");
		g_assert_cmpstr(mb2_string(mem, mb2_find(t, 2)), ==, "dbgproxy-vm");
		const struct mb2_tag_ref *mod = mb2_find(t, 3);
		g_assert_nonnull(mod);
		uint32_t ms = rd32(mem + mod->addr + 8), me = rd32(mem + mod->addr + 12);
		g_assert_cmpuint(ms % 4096, ==, 0);
		g_assert_cmpuint(me - ms, ==, sizeof(initrd));
		g_assert_cmpmem(mem + ms, sizeof(initrd), initrd, sizeof(initrd));
		g_assert_cmpstr((const char *)mem + mod->addr + 16, ==, "initrd.img");
		g_assert_cmpuint(mod->size, ==, 16 + sizeof("initrd.img"));
		assert_disjoint(ms, me, img.load_start, img.load_end);
		assert_disjoint(ms, me, img.ebx, img.ebx + rd32(mem + img.ebx));
		const struct mb2_tag_ref *mi = mb2_find(t, 4);
		g_assert_cmpuint(mi->size, ==, 16);
		g_assert_cmpuint(rd32(mem + mi->addr + 8), ==, 639);
		g_assert_cmpuint(rd32(mem + mi->addr + 12), ==, (GMEM - MiB) / 1024);
		const struct mb2_tag_ref *mm = mb2_find(t, 6);
		g_assert_cmpuint(rd32(mem + mm->addr + 8), ==, 24);    /* entry_size */
		g_assert_cmpuint(rd32(mem + mm->addr + 12), ==, 0);    /* entry_version */
		g_assert_cmpuint((mm->size - 16) % 24, ==, 0);
		struct pc_e820_entry map[8];
		size_t n = (mm->size - 16) / 24;
		for (size_t i = 0; i < n; i++) {
			const uint8_t *e = mem + mm->addr + 16 + 24 * i;
			map[i] = (struct pc_e820_entry){ rd64(e), rd64(e + 8), rd32(e + 16) };
			g_assert_cmpuint(rd32(e + 20), ==, 0);
		}
		check_e820(map, n, GMEM);
		const struct mb2_tag_ref *r = mb2_find(t, 14);
		g_assert_nonnull(r);
		g_assert_cmpuint(r->size, ==, 8 + 20);
		g_assert_cmpmem(mem + r->addr + 8, 20, mem + 0xe0000, 20);
		g_assert_null(mb2_find(t, 15));
		g_assert_null(mb2_find(t, 21));                         /* not relocatable */
		g_assert_null(mb2_find(t, 8));                          /* no console declared */
		assert_disjoint(img.info_start, img.info_end, img.load_start, img.load_end);
		g_assert_cmphex(img.ebx, >=, img.info_start);
		g_assert_cmphex(img.ebx + rd32(mem + img.ebx), <=, img.info_end);
		check_gdt(mem, false);
		/* only the RSDP (which the test put there) outside the loader's areas */
		memset(mem + 0xe0000, FILL, 36);
		check_writes(mem, GMEM, &img);
	}
}

static void test_mb2_rsdp_v2(void)
{
	g_autoptr(GByteArray) f = make_mb2_elf(false, 0x200000, NULL);
	g_autofree uint8_t *mem = guest_new(GMEM);
	put_rsdp(mem, 0xf0000, 2);
	struct boot_request req = { .mem = mem, .mem_size = GMEM, .acpi_rsdp = 0xf0000 };
	struct boot_image img;
	GError *err = NULL;
	g_assert_true(boot_load(f->data, f->len, &req, &img, &err));
	g_assert_no_error(err);
	g_autoptr(GArray) t = mb2_walk(mem, GMEM, img.ebx);
	g_assert_null(mb2_find(t, 14));
	const struct mb2_tag_ref *r = mb2_find(t, 15);
	g_assert_nonnull(r);
	g_assert_cmpuint(r->size, ==, 8 + 36);
	g_assert_cmpmem(mem + r->addr + 8, 36, mem + 0xf0000, 36);
	g_assert_null(mb2_find(t, 3));                                  /* no initrd, no module */
	/* an RSDP address with nothing there */
	req.acpi_rsdp = 0xe0000;
	req.mem = NULL;
	expect_refusal_req(f->data, f->len, req, "no ACPI RSDP at 0xe0000");
	req.acpi_rsdp = GMEM - 8;
	expect_refusal_req(f->data, f->len, req, "no ACPI RSDP");
}

/* A raw (non-ELF) image placed by the address tag (3.1.5). */
static GByteArray *make_mb2_raw(size_t hdr_off, uint32_t header_addr, uint32_t load_addr, uint32_t load_end,
				uint32_t bss_end, bool entry_tag, uint32_t entry)
{
	g_autoptr(GByteArray) tags = g_byte_array_new();
	const uint32_t addr[] = { header_addr, load_addr, load_end, bss_end };
	mb2_tag(tags, 2, 0, addr, 4);
	if (entry_tag)
		mb2_tag(tags, 3, 0, &entry, 1);
	g_autoptr(GByteArray) h = mb2_header(tags, 0);
	GByteArray *f = g_byte_array_new();
	g_byte_array_set_size(f, (guint)(hdr_off + h->len + 0x100));
	for (guint i = 0; i < f->len; i++)
		f->data[i] = (uint8_t)(0x40 + i % 7);
	memcpy(f->data + hdr_off, h->data, h->len);
	return f;
}

static void test_mb2_address_tag(void)
{
	/* header at file offset 8, header_addr 0x200008: the image starts at load_addr 0x200000 */
	g_autoptr(GByteArray) f = make_mb2_raw(8, 0x200008, 0x200000, 0, 0x201000, true, 0x200040);
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	g_assert_cmpint(img.protocol, ==, BOOT_MULTIBOOT2);
	g_assert_cmphex(img.entry, ==, 0x200040);
	g_assert_cmphex(img.load_start, ==, 0x200000);
	g_assert_cmphex(img.load_end, ==, 0x201000);
	g_assert_cmpmem(mem + 0x200000, f->len, f->data, f->len);
	g_assert_cmphex(mem[0x200000 + f->len], ==, 0);             /* bss */
	g_assert_cmphex(mem[0x200fff], ==, 0);

	/* load_end_addr limits what is loaded; load_addr -1 loads from the file's start */
	g_autoptr(GByteArray) g = make_mb2_raw(16, 0x300010, 0xffffffffu, 0x300080, 0, true, 0x300010);
	memset(mem, FILL, GMEM);
	g_assert_true(load(g->data, g->len, &req, &img));
	g_assert_cmphex(img.load_start, ==, 0x300000);
	g_assert_cmphex(img.load_end, ==, 0x300080);
	g_assert_cmpmem(mem + 0x300000, 0x80, g->data, 0x80);
	g_assert_cmphex(mem[0x300080], ==, FILL);

	/* refusals */
	g_autoptr(GByteArray) noentry = make_mb2_raw(0, 0x200000, 0x200000, 0, 0, false, 0);
	expect_refusal(noentry->data, noentry->len, BOOT_AUTO, "no entry address tag");
	g_autoptr(GByteArray) below = make_mb2_raw(0, 0x100000, 0x200000, 0, 0, true, 0x200000);
	expect_refusal(below->data, below->len, BOOT_AUTO, "header_addr");
	g_autoptr(GByteArray) before = make_mb2_raw(0, 0x200010, 0x200000, 0, 0, true, 0x200000);
	expect_refusal(before->data, before->len, BOOT_AUTO, "before the file's start");
	g_autoptr(GByteArray) m1 = make_mb2_raw(0x20, 0x10, 0xffffffffu, 0, 0, true, 0x200000);
	expect_refusal(m1->data, m1->len, BOOT_AUTO, "below the header's file offset");
	g_autoptr(GByteArray) le = make_mb2_raw(0, 0x200000, 0x200000, 0x100000, 0, true, 0x200000);
	expect_refusal(le->data, le->len, BOOT_AUTO, "load_end_addr");
	g_autoptr(GByteArray) bss = make_mb2_raw(0, 0x200000, 0x200000, 0x200100, 0x200010, true, 0x200000);
	expect_refusal(bss->data, bss->len, BOOT_AUTO, "bss_end_addr");
	g_autoptr(GByteArray) past = make_mb2_raw(0, 0x200000, 0x200000, 0x280000, 0, true, 0x200000);
	expect_refusal(past->data, past->len, BOOT_AUTO, "outside the");
	g_autoptr(GByteArray) huge = make_mb2_raw(0, 0x200000, 0x200000, 0, 0xfffff000u, true, 0x200000);
	expect_refusal(huge->data, huge->len, BOOT_AUTO, "does not fit");
	g_autoptr(GByteArray) ent = make_mb2_raw(0, 0x200000, 0x200000, 0, 0, true, GMEM);
	expect_refusal(ent->data, ent->len, BOOT_AUTO, "entry point");
}

static void test_mb2_relocatable(void)
{
	/* linked at 1 MiB; may live in [0x200000, 0x3fffff], 1 MiB aligned */
	const uint32_t reloc[][4] = {
		{ 0x200000, 0x3fffff, 0x100000, 0 },      /* lowest */
		{ 0x200000, 0x3fffff, 0x100000, 1 },      /* lowest */
		{ 0x200000, 0x3fffff, 0x100000, 2 },      /* highest */
		{ 0x0, 0xffffffff, 0x1000, 0 },           /* at 1 MiB: where it is */
	};
	const uint64_t want[] = { 0x200000, 0x200000, 0x300000, 0x100000 };
	for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
		g_autoptr(GByteArray) tags = g_byte_array_new();
		mb2_tag(tags, 10, 0, reloc[i], 4);
		g_autoptr(GByteArray) f = make_mb2_elf(false, MiB, tags);
		g_autofree uint8_t *mem = guest_new(GMEM);
		struct boot_request req = { .mem = mem, .mem_size = GMEM };
		struct boot_image img;
		g_assert_true(load(f->data, f->len, &req, &img));
		g_assert_cmphex(img.load_start, ==, want[i]);
		g_assert_cmphex(img.entry, ==, want[i] + 0x1f0);
		g_assert_cmphex(rd32(mem + want[i]), ==, MB2_MAGIC);
		g_autoptr(GArray) t = mb2_walk(mem, GMEM, img.ebx);
		const struct mb2_tag_ref *lb = mb2_find(t, 21);
		g_assert_nonnull(lb);
		g_assert_cmpuint(lb->size, ==, 12);
		g_assert_cmphex(rd32(mem + lb->addr + 8), ==, want[i]);
	}
	/* no room between the bounds */
	g_autoptr(GByteArray) tags = g_byte_array_new();
	const uint32_t tight[] = { 0x200000, 0x200fff, 0x1000, 0 };
	mb2_tag(tags, 10, 0, tight, 4);
	g_autoptr(GByteArray) f = make_mb2_elf(false, MiB, tags);
	expect_refusal(f->data, f->len, BOOT_AUTO, "relocatable image");
}

static void test_mb2_requests(void)
{
	/* understood tags this machine has no information for: fine even when required */
	const uint32_t have_not[] = { 5, 7, 8, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 14, 15 };
	g_autoptr(GByteArray) t1 = g_byte_array_new();
	mb2_tag(t1, 1, 0, have_not, G_N_ELEMENTS(have_not));
	g_autoptr(GByteArray) f1 = make_mb2_elf(false, MiB, t1);
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM };
	struct boot_image img;
	g_assert_true(load(f1->data, f1->len, &req, &img));
	g_autoptr(GArray) tags = mb2_walk(mem, GMEM, img.ebx);
	g_assert_null(mb2_find(tags, 8));
	g_assert_null(mb2_find(tags, 5));

	/* ELF sections (not given) and unknown tags: refused when required, fine when optional */
	const uint32_t cannot[] = { 9, 22, 1000 };
	for (unsigned i = 0; i < G_N_ELEMENTS(cannot); i++) {
		g_autoptr(GByteArray) t = g_byte_array_new();
		const uint32_t r[] = { 1, cannot[i] };
		mb2_tag(t, 1, 0, r, 2);
		g_autoptr(GByteArray) f = make_mb2_elf(false, MiB, t);
		g_autofree char *frag = g_strdup_printf("information tag %u", cannot[i]);
		expect_refusal(f->data, f->len, BOOT_AUTO, frag);
		g_autoptr(GByteArray) o = g_byte_array_new();
		mb2_tag(o, 1, 1, r, 2);
		g_autoptr(GByteArray) g = make_mb2_elf(false, MiB, o);
		memset(mem, FILL, GMEM);
		g_assert_true(load(g->data, g->len, &req, &img));
	}
}

static void test_mb2_console(void)
{
	/* console required, EGA text supported: the text screen is the console */
	g_autoptr(GByteArray) t = g_byte_array_new();
	const uint32_t ega = 3;
	mb2_tag(t, 4, 0, &ega, 1);
	g_autoptr(GByteArray) f = make_mb2_elf(false, MiB, t);
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	g_autoptr(GArray) tags = mb2_walk(mem, GMEM, img.ebx);
	const struct mb2_tag_ref *fb = mb2_find(tags, 8);
	g_assert_nonnull(fb);
	g_assert_cmpuint(fb->size, >=, 31);
	g_assert_cmphex(rd64(mem + fb->addr + 8), ==, 0xb8000);   /* framebuffer_addr */
	g_assert_cmpuint(rd32(mem + fb->addr + 16), ==, 160);     /* pitch */
	g_assert_cmpuint(rd32(mem + fb->addr + 20), ==, 80);      /* width, characters */
	g_assert_cmpuint(rd32(mem + fb->addr + 24), ==, 25);      /* height */
	g_assert_cmpuint(mem[fb->addr + 28], ==, 16);             /* bpp */
	g_assert_cmpuint(mem[fb->addr + 29], ==, 2);              /* EGA text */

	/* console required without EGA text: nothing to offer */
	g_autoptr(GByteArray) t2 = g_byte_array_new();
	const uint32_t req_only = 1;
	mb2_tag(t2, 4, 0, &req_only, 1);
	g_autoptr(GByteArray) f2 = make_mb2_elf(false, MiB, t2);
	expect_refusal(f2->data, f2->len, BOOT_AUTO, "console");
	/* ... unless the tag is optional */
	g_autoptr(GByteArray) t3 = g_byte_array_new();
	mb2_tag(t3, 4, 1, &req_only, 1);
	g_autoptr(GByteArray) f3 = make_mb2_elf(false, MiB, t3);
	memset(mem, FILL, GMEM);
	g_assert_true(load(f3->data, f3->len, &req, &img));
}

static void test_mb2_header_tags(void)
{
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM };
	struct boot_image img;
	/* required: framebuffer 5, EFI 7/8/9, unknown 42 -> refused; optional -> ignored */
	const struct {
		uint16_t type;
		uint32_t n;
		const char *why;
	} cases[] = {
		{ 5, 3, "graphics framebuffer" }, { 7, 0, "EFI" }, { 8, 1, "EFI" }, { 9, 1, "EFI" },
		{ 42, 2, "header tag 42" }, { 11, 0, "header tag 11" },
	};
	const uint32_t payload[] = { 1024, 768, 32 };
	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GByteArray) t = g_byte_array_new();
		mb2_tag(t, cases[i].type, 0, payload, cases[i].n);
		g_autoptr(GByteArray) f = make_mb2_elf(false, MiB, t);
		expect_refusal(f->data, f->len, BOOT_AUTO, cases[i].why);
		g_autoptr(GByteArray) o = g_byte_array_new();
		mb2_tag(o, cases[i].type, 1, payload, cases[i].n);
		g_autoptr(GByteArray) g = make_mb2_elf(false, MiB, o);
		memset(mem, FILL, GMEM);
		g_assert_true(load(g->data, g->len, &req, &img));
	}
	/* tags too short for their fields */
	const uint16_t sized[] = { 2, 3, 4, 5, 10 };
	for (unsigned i = 0; i < G_N_ELEMENTS(sized); i++) {
		g_autoptr(GByteArray) t = g_byte_array_new();
		mb2_tag(t, sized[i], 1, NULL, 0);
		g_autoptr(GByteArray) f = make_mb2_elf(false, MiB, t);
		expect_refusal(f->data, f->len, BOOT_AUTO, "needs");
	}
}

static void test_mb2_malformed(void)
{
	/* wrong architecture (4 = MIPS) */
	g_autoptr(GByteArray) h = mb2_header(NULL, 4);
	expect_refusal(h->data, h->len, BOOT_MULTIBOOT2, "architecture 4");
	/* header_length too short to hold the end tag, and past the file */
	g_autoptr(GByteArray) s = mb2_header(NULL, 0);
	wr32(s->data + 8, 16);
	wr32(s->data + 12, (uint32_t)-(MB2_MAGIC + 16));
	expect_refusal(s->data, s->len, BOOT_MULTIBOOT2, "header_length");
	wr32(s->data + 8, 0x10000);
	wr32(s->data + 12, (uint32_t)-(MB2_MAGIC + 0x10000));
	expect_refusal(s->data, s->len, BOOT_MULTIBOOT2, "header_length");
	/* a tag whose size runs past the header */
	g_autoptr(GByteArray) t = mb2_header(NULL, 0);
	wr32(t->data + 16 + 4, 0x100);
	expect_refusal(t->data, t->len, BOOT_MULTIBOOT2, "outside the header");
	wr32(t->data + 16 + 4, 4);
	expect_refusal(t->data, t->len, BOOT_MULTIBOOT2, "outside the header");
	/* tags that never end: an optional unknown tag where the end tag should be */
	g_autoptr(GByteArray) u = mb2_header(NULL, 0);
	wr16(u->data + 16, 77);
	wr16(u->data + 18, 1);
	expect_refusal(u->data, u->len, BOOT_MULTIBOOT2, "without an end tag");
	/* bad checksum; not 8-byte aligned; past the first 32 KiB */
	g_autoptr(GByteArray) c = mb2_header(NULL, 0);
	c->data[12] ^= 1;
	expect_refusal(c->data, c->len, BOOT_MULTIBOOT2, "no multiboot2 header");
	g_autoptr(GByteArray) ok = mb2_header(NULL, 0);
	uint8_t mis[64] = { 0 };
	memcpy(mis + 4, ok->data, ok->len);
	expect_refusal(mis, sizeof(mis), BOOT_MULTIBOOT2, "no multiboot2 header");
	g_autofree uint8_t *late = g_malloc0(32768 + 64);
	memcpy(late + 32768, ok->data, ok->len);
	expect_refusal(late, 32768 + 64, BOOT_MULTIBOOT2, "no multiboot2 header");
	/* a header alone: neither ELF nor an address tag */
	expect_refusal(ok->data, ok->len, BOOT_MULTIBOOT2, "neither an ELF file");
	/* header ending exactly at 32 KiB is still found */
	memset(late, 0, 32768 + 64);
	memcpy(late + 32768 - ok->len, ok->data, ok->len);
	expect_refusal(late, 32768 + 64, BOOT_MULTIBOOT2, "neither an ELF file");
}

/* ---- Linux: an independent reader of boot_params (zero-page.rst) ------------------------ */

static const uint8_t *zero_page(const uint8_t *mem, const struct boot_image *img)
{
	g_assert_cmphex((uint64_t)img->esi + 4096, <=, PC_BASE_MEM_END);
	return mem + img->esi;
}

/* Fields the loader writes; everything else in the header is the file's. */
static bool lx_written(size_t off)
{
	return off == LX_TYPE_OF_LOADER || in_range(off, LX_CODE32_START, LX_CODE32_START + 4) ||
	       in_range(off, LX_RAMDISK_IMAGE, LX_RAMDISK_IMAGE + 8) ||
	       in_range(off, LX_CMD_LINE_PTR, LX_CMD_LINE_PTR + 4) ||
	       in_range(off, LX_HW_SUBARCH, LX_HW_SUBARCH + 12) || in_range(off, LX_SETUP_DATA, LX_SETUP_DATA + 8);
}

static void check_zero_page(const uint8_t *mem, uint64_t mem_size, const struct boot_image *img,
			    const uint8_t *file, const char *cmdline)
{
	const uint8_t *bp = zero_page(mem, img);
	size_t hdr_end = 0x202 + file[0x201];
	for (size_t o = LX_SETUP_SECTS; o < hdr_end; o++)
		if (!lx_written(o))
			g_assert_cmphex(bp[o], ==, file[o]);
	for (size_t o = 0; o < LX_SETUP_SECTS; o++)
		if (o < BP_ACPI_RSDP || o >= BP_ACPI_RSDP + 8)
			if (o != BP_E820_ENTRIES)
				g_assert_cmphex(bp[o], ==, 0);
	g_assert_cmpuint(bp[BP_SENTINEL], ==, 0);
	g_assert_cmphex(bp[LX_TYPE_OF_LOADER], ==, 0xff);
	g_assert_cmphex(rd32(bp + LX_HW_SUBARCH), ==, 0);
	g_assert_cmphex(rd64(bp + LX_SETUP_DATA), ==, 0);
	uint32_t cmd = rd32(bp + LX_CMD_LINE_PTR);
	g_assert_cmphex(cmd, <, 0xa0000);
	g_assert_cmphex(cmd, >=, PC_BOOT_DATA_ADDR);
	g_assert_cmpstr(guest_str(mem, mem_size, cmd), ==, cmdline);
	assert_disjoint(cmd, cmd + strlen(cmdline) + 1, img->esi, img->esi + 4096);
	g_assert_cmpuint(rd32(bp + 0x0c8), ==, 0);                        /* ext_cmd_line_ptr */
	/* e820 */
	size_t n = bp[BP_E820_ENTRIES];
	struct pc_e820_entry map[8];
	g_assert_cmpuint(n, <=, G_N_ELEMENTS(map));
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = bp + BP_E820_TABLE + 20 * i;
		map[i] = (struct pc_e820_entry){ rd64(e), rd64(e + 8), rd32(e + 16) };
	}
	check_e820(map, n, mem_size);
	for (size_t o = BP_E820_TABLE + 20 * n; o < 4096; o++)
		g_assert_cmphex(bp[o], ==, 0);
}

/* The 64-bit entry's page tables map [0, 4 GiB) onto itself. */
static void check_identity(const uint8_t *mem, uint64_t mem_size, uint64_t cr3)
{
	struct x86_paging pg = { .cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = cr3, .cr4 = X86_CR4_PAE,
				 .efer = X86_EFER_LMA };
	const uint64_t probe[] = { 0, 0x1000, 0x9fbff, 0xb8000, 0x100000, 0x1fffff, 0x200000,
				   mem_size - 1, 0x40000000, 0xbfffffff, 0xfee00000, 0xffffffff };
	for (unsigned i = 0; i < G_N_ELEMENTS(probe); i++) {
		uint64_t gpa = 0, contig = 0;
		g_assert_true(x86_translate(&pg, mem, mem_size, probe[i], &gpa, &contig));
		g_assert_cmphex(gpa, ==, probe[i]);
		g_assert_cmphex(contig, ==, 0x200000 - (probe[i] & 0x1fffff)); /* 2 MiB pages */
	}
	uint64_t gpa, contig;
	g_assert_false(x86_translate(&pg, mem, mem_size, 0x100000000ull, &gpa, &contig));
	g_assert_false(x86_translate(&pg, mem, mem_size, 0xffffffff80000000ull, &gpa, &contig));
	/* every level present and writable: the kernel writes through them */
	uint64_t pml4e = rd64(mem + cr3);
	g_assert_cmphex(pml4e & 3, ==, 3);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t pdpte = rd64(mem + (pml4e & ~0xfffull) + 8 * i);
		g_assert_cmphex(pdpte & 3, ==, 3);
		for (unsigned j = 0; j < 512; j++)
			g_assert_cmphex(rd64(mem + (pdpte & ~0xfffull) + 8 * j) & 0x83, ==, 0x83);
	}
	/* the tables lie in the boot data area */
	g_assert_cmphex(cr3 % 4096, ==, 0);
	g_assert_cmphex(cr3, >=, PC_BOOT_DATA_ADDR);
	g_assert_cmphex(cr3, <, PC_BASE_MEM_END);
}

static void test_linux_64(void)
{
	g_autoptr(GByteArray) f = make_bzimage(&lx_default);
	size_t n = 10000;
	g_autofree uint8_t *initrd = g_malloc(n);
	for (size_t i = 0; i < n; i++)
		initrd[i] = (uint8_t)(i ^ 0x33);
	g_autofree uint8_t *mem = guest_new(GMEM);
	const char *cmdline = "console=ttyS0 root=/dev/vda";
	struct boot_request req = { .mem = mem, .mem_size = GMEM, .cmdline = cmdline, .initrd = initrd,
				    .initrd_size = n, .acpi_rsdp = 0xe0000 };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	g_assert_cmpint(img.protocol, ==, BOOT_LINUX);
	g_assert_cmpint(img.mode, ==, BOOT_MODE_LONG64);
	g_assert_cmphex(img.entry, ==, 0x100200);
	g_assert_cmphex(img.load_start, ==, MiB);
	g_assert_cmphex(img.load_end, ==, MiB + lx_default.pm_size);
	g_assert_cmphex(img.eax, ==, 0);
	g_assert_cmphex(img.ebx, ==, 0);
	for (size_t i = 0; i < lx_default.pm_size; i++)
		if (mem[MiB + i] != pm_byte(i))
			g_error("protected-mode kernel byte %zu differs", i);
	check_zero_page(mem, GMEM, &img, f->data, cmdline);
	const uint8_t *bp = zero_page(mem, &img);
	g_assert_cmphex(rd64(bp + BP_ACPI_RSDP), ==, 0xe0000);
	g_assert_cmphex(rd32(bp + LX_CODE32_START), ==, MiB);
	/* the initrd: page-aligned, as high as memory allows, above init_size */
	uint32_t ri = rd32(bp + LX_RAMDISK_IMAGE), rs = rd32(bp + LX_RAMDISK_SIZE);
	g_assert_cmpuint(rs, ==, n);
	g_assert_cmpuint(rd32(bp + 0x0c0), ==, 0);
	g_assert_cmpuint(rd32(bp + 0x0c4), ==, 0);
	g_assert_cmpuint(ri % 4096, ==, 0);
	g_assert_cmpuint(ri + rs, <=, GMEM);
	g_assert_cmpuint(ri + rs + 4096, >, GMEM);
	g_assert_cmpuint(ri, >=, MiB + lx_default.init_size);
	g_assert_cmpmem(mem + ri, n, initrd, n);
	check_identity(mem, GMEM, img.cr3);
	assert_disjoint(img.cr3, img.cr3 + 6 * 4096, img.esi, img.esi + 4096);
	check_gdt(mem, true);
}

static void test_linux_32(void)
{
	struct lx_opts o = lx_default;
	o.version = 0x020a;          /* before xloadflags */
	o.xloadflags = 1;            /* not read before 2.12 */
	g_autoptr(GByteArray) f = make_bzimage(&o);
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	g_assert_cmpint(img.mode, ==, BOOT_MODE_PROT32);
	g_assert_cmphex(img.entry, ==, MiB);
	g_assert_cmphex(img.cr3, ==, 0);
	g_assert_cmphex(img.ebx, ==, 0);
	check_zero_page(mem, GMEM, &img, f->data, "");
	const uint8_t *bp = zero_page(mem, &img);
	g_assert_cmpuint(rd32(bp + LX_RAMDISK_IMAGE), ==, 0);
	g_assert_cmpuint(rd64(bp + BP_ACPI_RSDP), ==, 0);
	check_gdt(mem, false);

	/* setup_sects 0 means 4; the entry follows code32_start */
	o = lx_default;
	o.setup_sects = 0;
	o.xloadflags = 0;
	o.code32_start = 0x100100;
	g_autoptr(GByteArray) g = make_bzimage(&o);
	memset(mem, FILL, GMEM);
	g_assert_true(load(g->data, g->len, &req, &img));
	g_assert_cmphex(img.entry, ==, 0x100100);
	g_assert_cmphex(mem[MiB], ==, pm_byte(0));
	g_assert_cmphex(rd32(zero_page(mem, &img) + LX_CODE32_START), ==, 0x100100);
}

static void test_linux_relocatable(void)
{
	/* relocatable with room at pref_address: loaded there, code32_start follows */
	struct lx_opts o = lx_default;
	o.relocatable = true;
	o.pref_address = 0x200000;
	o.init_size = 0x100000;
	o.xloadflags = 0;
	g_autoptr(GByteArray) f = make_bzimage(&o);
	const uint64_t mem_size = 8 * MiB;
	g_autofree uint8_t *mem = guest_new(mem_size);
	struct boot_request req = { .mem = mem, .mem_size = mem_size, .cmdline = "x" };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	g_assert_cmphex(img.load_start, ==, 0x200000);
	g_assert_cmphex(img.entry, ==, 0x200000);
	g_assert_cmphex(rd32(zero_page(mem, &img) + LX_CODE32_START), ==, 0x200000);
	g_assert_cmphex(mem[0x200000], ==, pm_byte(0));

	/* a pref_address below 1 MiB is not used: loaded at 1 MiB, it runs
	 * at 2 MiB (kernel_alignment) */
	o.pref_address = 0x80000;
	o.xloadflags = 1;
	g_autoptr(GByteArray) g = make_bzimage(&o);
	memset(mem, FILL, mem_size);
	g_assert_true(load(g->data, g->len, &req, &img));
	g_assert_cmphex(img.load_start, ==, MiB);
	g_assert_cmphex(img.entry, ==, MiB + 0x200);
	o.init_size = 0x600000;                /* 2 MiB + 6 MiB: just fits */
	g_autoptr(GByteArray) g2 = make_bzimage(&o);
	memset(mem, FILL, mem_size);
	g_assert_true(load(g2->data, g2->len, &req, &img));
	o.init_size = 0x600001;
	g_autoptr(GByteArray) g3 = make_bzimage(&o);
	expect_refusal_req(g3->data, g3->len, (struct boot_request){ .mem_size = mem_size }, "init_size");

	/* pref_address (16 MiB, LOAD_PHYSICAL_ADDR) beyond memory: the kernel
	 * would move itself there from anywhere lower, so it cannot run */
	o.pref_address = 0x1000000;
	o.init_size = 0x100000;
	g_autoptr(GByteArray) h = make_bzimage(&o);
	expect_refusal_req(h->data, h->len, (struct boot_request){ .mem_size = mem_size }, "init_size");
}

static void test_linux_initrd_limit(void)
{
	struct lx_opts o = lx_default;
	o.initrd_addr_max = 0x2fffff;   /* highest byte */
	o.xloadflags = 1;               /* not above 4G: initrd_addr_max rules */
	g_autoptr(GByteArray) f = make_bzimage(&o);
	const uint64_t mem_size = 8 * MiB;
	g_autofree uint8_t *mem = guest_new(mem_size);
	static const uint8_t initrd[0x1800] = { 1 };
	struct boot_request req = { .mem = mem, .mem_size = mem_size, .initrd = initrd,
				    .initrd_size = sizeof(initrd) };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	const uint8_t *bp = zero_page(mem, &img);
	uint32_t ri = rd32(bp + LX_RAMDISK_IMAGE);
	g_assert_cmphex(ri, ==, 0x2fe000);
	g_assert_cmphex(img.initrd_start, ==, ri);
	g_assert_cmphex(img.initrd_end, ==, ri + sizeof(initrd));
	/* no room between the kernel's init_size and initrd_addr_max */
	o.initrd_addr_max = MiB + o.init_size + 0x1000;
	g_autoptr(GByteArray) g = make_bzimage(&o);
	req.mem = NULL;
	expect_refusal_req(g->data, g->len, req, "initrd does not fit");
}

static void test_linux_cmdline_size(void)
{
	struct lx_opts o = lx_default;
	o.cmdline_size = 10;
	g_autoptr(GByteArray) f = make_bzimage(&o);
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM, .cmdline = "0123456789" };
	struct boot_image img;
	g_assert_true(load(f->data, f->len, &req, &img));
	check_zero_page(mem, GMEM, &img, f->data, "0123456789");
	req.cmdline = "0123456789a";
	req.mem = NULL;
	expect_refusal_req(f->data, f->len, req, "at most 10");
	/* a command line bigger than conventional memory can hold */
	o.cmdline_size = 0xffffffff;
	g_autoptr(GByteArray) g = make_bzimage(&o);
	g_autofree char *huge = g_malloc(0xa0000);
	memset(huge, 'x', 0xa0000 - 1);
	huge[0xa0000 - 1] = 0;
	req.cmdline = huge;
	expect_refusal_req(g->data, g->len, req, "no room for the command line");
}

static void test_linux_refusals(void)
{
	struct lx_opts o = lx_default;
	o.loadflags = 0;
	g_autoptr(GByteArray) z = make_bzimage(&o);
	expect_refusal(z->data, z->len, BOOT_AUTO, "zImage");
	o = lx_default;
	o.version = 0x0205;
	g_autoptr(GByteArray) v = make_bzimage(&o);
	expect_refusal(v->data, v->len, BOOT_AUTO, "2.06");
	o = lx_default;
	o.setup_sects = 65;
	g_autoptr(GByteArray) s = make_bzimage(&o);
	expect_refusal(s->data, s->len, BOOT_AUTO, "setup_sects 65");
	/* the setup code ends where the file does: no protected-mode kernel */
	g_autoptr(GByteArray) t = make_bzimage(&lx_default);
	expect_refusal(t->data, 5 * 512, BOOT_LINUX, "truncated");
	expect_refusal(t->data, 0x240, BOOT_LINUX, "truncated");
	expect_refusal(t->data, 0x100, BOOT_LINUX, "not a Linux bzImage");
	/* needing more memory than there is */
	o = lx_default;
	o.init_size = 0xffffffff;
	g_autoptr(GByteArray) i = make_bzimage(&o);
	expect_refusal(i->data, i->len, BOOT_AUTO, "init_size");
	/* non-relocatable, told to run below 1 MiB */
	o = lx_default;
	o.pref_address = 0x10000;
	g_autoptr(GByteArray) p = make_bzimage(&o);
	expect_refusal(p->data, p->len, BOOT_AUTO, "init_size");
	/* 32-bit entry outside the kernel */
	o = lx_default;
	o.xloadflags = 0;
	o.code32_start = 0x10000;
	g_autoptr(GByteArray) c = make_bzimage(&o);
	expect_refusal(c->data, c->len, BOOT_AUTO, "code32_start");
	o.code32_start = 0x100000 + (uint32_t)o.pm_size;
	g_autoptr(GByteArray) c2 = make_bzimage(&o);
	expect_refusal(c2->data, c2->len, BOOT_AUTO, "code32_start");
	/* 64-bit entry past the kernel */
	o = lx_default;
	o.pm_size = 0x200;
	g_autoptr(GByteArray) e = make_bzimage(&o);
	expect_refusal(e->data, e->len, BOOT_AUTO, "64-bit entry");
	/* a multiboot image forced through the Linux protocol */
	g_autoptr(GByteArray) mb = make_elf(false, MiB, MiB, 0x3, 0);
	expect_refusal(mb->data, mb->len, BOOT_LINUX, "not a Linux bzImage");
}

/* ---- protocol choice ------------------------------------------------------------------- */

static void test_auto_detect(void)
{
	g_autofree uint8_t *mem = guest_new(GMEM);
	struct boot_request req = { .mem = mem, .mem_size = GMEM };
	struct boot_image img;
	/* both multiboot headers: auto picks multiboot2, either can be forced */
	g_autoptr(GByteArray) h = mb2_header(NULL, 0);
	uint8_t seg[0x100];
	memset(seg, 0x90, sizeof(seg));
	memcpy(seg, h->data, h->len);
	wr32(seg + 0x40, MB1_MAGIC);
	wr32(seg + 0x44, 0x2);
	wr32(seg + 0x48, (uint32_t)-(MB1_MAGIC + 0x2));
	g_autoptr(GByteArray) f = make_elf_payload(false, MiB, MiB, seg, sizeof(seg), 0, 0x80);
	g_assert_true(load(f->data, f->len, &req, &img));
	g_assert_cmpint(img.protocol, ==, BOOT_MULTIBOOT2);
	g_assert_cmphex(img.eax, ==, MB2_EAX);
	req.protocol = BOOT_MULTIBOOT;
	memset(mem, FILL, GMEM);
	g_assert_true(load(f->data, f->len, &req, &img));
	g_assert_cmpint(img.protocol, ==, BOOT_MULTIBOOT);
	g_assert_cmphex(img.eax, ==, MB1_EAX);
	/* a bzImage */
	req.protocol = BOOT_AUTO;
	g_autoptr(GByteArray) l = make_bzimage(&lx_default);
	memset(mem, FILL, GMEM);
	g_assert_true(load(l->data, l->len, &req, &img));
	g_assert_cmpint(img.protocol, ==, BOOT_LINUX);
	/* a multiboot-only image forced through multiboot2 */
	g_autoptr(GByteArray) m = make_elf(false, MiB, MiB, 0x3, 0);
	expect_refusal(m->data, m->len, BOOT_MULTIBOOT2, "no multiboot2 header");
	g_assert_cmpstr(boot_protocol_name(BOOT_MULTIBOOT), ==, "Multiboot");
	g_assert_cmpstr(boot_protocol_name(BOOT_MULTIBOOT2), ==, "Multiboot2");
	g_assert_cmpstr(boot_protocol_name(BOOT_LINUX), ==, "Linux");
	g_assert_cmpstr(boot_protocol_name(BOOT_AUTO), ==, "auto");
}

/* ---- reading files ---------------------------------------------------------------------- */

static GBytes *gzip_bytes(const void *data, size_t n)
{
	g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
	size_t cap = n + n / 10 + 4096;
	uint8_t *out = g_malloc(cap);
	gsize r, w;
	GError *err = NULL;
	GConverterResult res = g_converter_convert(G_CONVERTER(z), data, n, out, cap, G_CONVERTER_INPUT_AT_END,
						   &r, &w, &err);
	g_assert_no_error(err);
	g_assert_cmpint(res, ==, G_CONVERTER_FINISHED);
	return g_bytes_new_take(out, w);
}

static char *write_tmp(const char *dir, const char *name, const void *data, size_t n)
{
	char *path = g_build_filename(dir, name, NULL);
	GError *err = NULL;
	g_assert_true(g_file_set_contents(path, data, (gssize)n, &err));
	g_assert_no_error(err);
	return path;
}

static void expect_read_error(const char *path, const char *fragment)
{
	GBytes *b = NULL;
	GError *err = NULL;
	g_assert_false(boot_read_file(path, &b, &err));
	g_assert_null(b);
	g_assert_nonnull(err);
	if (!strstr(err->message, fragment))
		g_error("error '%s' does not mention '%s'", err->message, fragment);
	g_error_free(err);
}

static void test_read_file(void)
{
	g_autofree char *dir = g_dir_make_tmp("test-vm-boot-XXXXXX", NULL);
	g_assert_nonnull(dir);
	size_t n = 3 * MiB + 123;
	g_autofree uint8_t *data = g_malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	g_autoptr(GBytes) gz = gzip_bytes(data, n);
	gsize gzlen;
	const uint8_t *gzp = g_bytes_get_data(gz, &gzlen);

	g_autofree char *plain = write_tmp(dir, "plain", data, n);
	g_autofree char *zipped = write_tmp(dir, "k.gz", gzp, gzlen);
	GBytes *b = NULL;
	GError *err = NULL;
	g_assert_true(boot_read_file(plain, &b, &err));
	g_assert_no_error(err);
	g_assert_cmpmem(g_bytes_get_data(b, NULL), g_bytes_get_size(b), data, n);
	g_bytes_unref(b);
	g_assert_true(boot_read_file(zipped, &b, &err));
	g_assert_no_error(err);
	g_assert_cmpmem(g_bytes_get_data(b, NULL), g_bytes_get_size(b), data, n);
	g_bytes_unref(b);

	/* two members, as `cat a.gz b.gz` makes, then zero padding */
	g_autoptr(GBytes) gz2 = gzip_bytes("tail", 4);
	g_autoptr(GByteArray) cat = g_byte_array_new();
	g_byte_array_append(cat, gzp, (guint)gzlen);
	g_byte_array_append(cat, g_bytes_get_data(gz2, NULL), (guint)g_bytes_get_size(gz2));
	static const uint8_t pad[512];
	g_byte_array_append(cat, pad, sizeof(pad));
	g_autofree char *two = write_tmp(dir, "two.gz", cat->data, cat->len);
	g_assert_true(boot_read_file(two, &b, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(g_bytes_get_size(b), ==, n + 4);
	g_assert_cmpmem((const uint8_t *)g_bytes_get_data(b, NULL) + n, 4, "tail", 4);
	g_bytes_unref(b);

	/* trailing garbage, truncation, corruption, an empty file, no file */
	g_byte_array_append(cat, (const uint8_t *)"junk", 4);
	g_autofree char *junk = write_tmp(dir, "junk.gz", cat->data, cat->len);
	expect_read_error(junk, "trailing data");
	g_autofree char *cut = write_tmp(dir, "cut.gz", gzp, gzlen / 2);
	expect_read_error(cut, "truncated");
	g_autofree uint8_t *bad = g_memdup2(gzp, gzlen);
	for (size_t i = 20; i < 60; i++)
		bad[i] ^= 0x55;
	g_autofree char *corrupt = write_tmp(dir, "bad.gz", bad, gzlen);
	expect_read_error(corrupt, "gzip");
	g_autofree char *empty = write_tmp(dir, "empty", "", 0);
	expect_read_error(empty, "empty file");
	g_autofree char *missing = g_build_filename(dir, "missing", NULL);
	expect_read_error(missing, "missing");

	/* more than 512 MiB once gunzipped (513 MiB of zeros compress to ~500 KiB) */
	if (g_test_slow() || g_getenv("DBGPROXY_TEST_BIG")) {
		size_t big = BOOT_FILE_MAX + MiB;
		g_autofree uint8_t *zeros = g_malloc0(big);
		g_autoptr(GBytes) bz = gzip_bytes(zeros, big);
		g_autofree char *bomb = write_tmp(dir, "bomb.gz", g_bytes_get_data(bz, NULL), g_bytes_get_size(bz));
		expect_read_error(bomb, "more than 512 MiB");
		g_unlink(bomb);
	}
	const char *names[] = { plain, zipped, two, junk, cut, corrupt, empty };
	for (unsigned i = 0; i < G_N_ELEMENTS(names); i++)
		g_unlink(names[i]);
	g_rmdir(dir);
}

/* ---- real images from Debian ------------------------------------------------------------- */

/* tests/fetch-deb.sh PACKAGE DESTDIR: the unpacked package, or NULL after
 * g_test_skip().  The script is found through G_TEST_SRCDIR or TOP_SRCDIR
 * (make check sets it), beside the test's directory, or under the current
 * one; the cache is DBGPROXY_DEB_CACHE, else DEB_CACHE (make check), else
 * deb-cache beside the test binary. */
static char *fetch_deb(const char *package)
{
	const char *srcdir = g_getenv("G_TEST_SRCDIR");
	if (!srcdir)
		srcdir = g_getenv("TOP_SRCDIR");
	g_autofree char *here = g_path_get_dirname(g_test_get_filename(G_TEST_BUILT, "x", NULL));
	g_autofree char *c1 = srcdir ? g_build_filename(srcdir, "tests", "fetch-deb.sh", NULL) : NULL;
	g_autofree char *c2 = g_build_filename(here, "..", "fetch-deb.sh", NULL);
	g_autofree char *c3 = g_build_filename("tests", "fetch-deb.sh", NULL);
	const char *script = NULL;
	const char *cands[] = { c1, c2, c3 };
	for (unsigned i = 0; i < G_N_ELEMENTS(cands) && !script; i++)
		if (cands[i] && g_file_test(cands[i], G_FILE_TEST_IS_REGULAR))
			script = cands[i];
	if (!script) {
		g_test_skip("tests/fetch-deb.sh not found (set G_TEST_SRCDIR to the source tree)");
		return NULL;
	}
	const char *cache = g_getenv("DBGPROXY_DEB_CACHE");
	if (!cache)
		cache = g_getenv("DEB_CACHE");
	g_autofree char *def = g_build_filename(here, "deb-cache", NULL);
	const char *argv[] = { "/bin/sh", script, package, cache ? cache : def, NULL };
	g_autofree char *out = NULL, *err = NULL;
	int status = 0;
	GError *e = NULL;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &e)) {
		g_autofree char *msg = g_strdup_printf("cannot run %s: %s", script, e->message);
		g_error_free(e);
		g_test_skip(msg);
		return NULL;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {  /* g_spawn_check_wait_status is 2.70 */
		g_autofree char *msg = g_strdup_printf("%s %s: %s", script, package, g_strstrip(err));
		g_test_skip(msg);
		return NULL;
	}
	return g_strdup(g_strstrip(out));
}

static void test_real_gnumach(void)
{
	g_autofree char *dir = fetch_deb("gnumach-image-1.8-486-dbg");
	if (!dir)
		return;
	g_autofree char *path = g_build_filename(dir, "boot", "gnumach-1.8-486-dbg.gz", NULL);
	g_autoptr(GBytes) k = NULL;
	GError *err = NULL;
	g_assert_true(boot_read_file(path, &k, &err));
	g_assert_no_error(err);
	gsize n;
	const uint8_t *f = g_bytes_get_data(k, &n);
	g_assert_cmpmem(f, 4, ELFMAG, 4);
	/* the multiboot header's flags, for the record */
	for (size_t o = 0; o + 12 <= MIN(n, 8192); o += 4)
		if (rd32(f + o) == MB1_MAGIC && rd32(f + o) + rd32(f + o + 4) + rd32(f + o + 8) == 0)
			g_test_message("GNU Mach: multiboot header at file offset 0x%zx, flags 0x%08x", o,
				       rd32(f + o + 4));
	const uint64_t mem_size = 64 * MiB;
	g_autofree uint8_t *mem = guest_new(mem_size);
	struct boot_request req = { .mem = mem, .mem_size = mem_size, .cmdline = "console=com0" };
	struct boot_image img;
	g_assert_true(load(f, n, &req, &img));
	g_assert_cmpint(img.protocol, ==, BOOT_MULTIBOOT);
	g_assert_cmpint(img.mode, ==, BOOT_MODE_PROT32);
	g_assert_cmphex(img.entry, ==, 0x1000000);
	g_assert_cmphex(img.eax, ==, MB1_EAX);
	struct mb1_info mi;
	mb1_read(mem, mem_size, img.ebx, &mi);
	g_assert_cmpstr(mi.cmdline, ==, "console=com0");
	g_assert_cmpuint(mi.mem_upper, ==, (mem_size - MiB) / 1024);
	assert_disjoint(img.info_start, img.info_end, img.load_start, img.load_end);
	g_test_message("GNU Mach: %s, kernel [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
		       "x), MBI at 0x%x, entry 0x%" G_GINT64_MODIFIER "x", img.elf64 ? "ELF64" : "ELF32",
		       img.load_start, img.load_end, img.ebx, img.entry);
}

static void test_real_memtest(void)
{
	g_autofree char *dir = fetch_deb("memtest86+");
	if (!dir)
		return;
	const struct {
		const char *file;
		enum boot_cpu_mode mode;
	} imgs[] = { { "memtest86+x64.bin", BOOT_MODE_LONG64 }, { "memtest86+ia32.bin", BOOT_MODE_PROT32 } };
	for (unsigned i = 0; i < G_N_ELEMENTS(imgs); i++) {
		g_autofree char *path = g_build_filename(dir, "boot", imgs[i].file, NULL);
		g_autoptr(GBytes) k = NULL;
		GError *err = NULL;
		g_assert_true(boot_read_file(path, &k, &err));
		g_assert_no_error(err);
		gsize n;
		const uint8_t *f = g_bytes_get_data(k, &n);
		g_test_message("%s: boot protocol %u.%02u, loadflags 0x%x, xloadflags 0x%x, relocatable %u, "
			       "pref_address 0x%" G_GINT64_MODIFIER "x, init_size 0x%x, cmdline_size %u",
			       imgs[i].file, f[LX_VERSION + 1], f[LX_VERSION], f[LX_LOADFLAGS],
			       rd16(f + LX_XLOADFLAGS), f[LX_RELOCATABLE], rd64(f + LX_PREF_ADDRESS),
			       rd32(f + LX_INIT_SIZE), rd32(f + LX_CMDLINE_SIZE));
		const uint64_t mem_size = 64 * MiB;
		g_autofree uint8_t *mem = guest_new(mem_size);
		struct boot_request req = { .mem = mem, .mem_size = mem_size, .cmdline = "console=ttyS0,115200" };
		struct boot_image img;
		g_assert_true(load(f, n, &req, &img));
		g_assert_cmpint(img.protocol, ==, BOOT_LINUX);
		g_assert_cmpint(img.mode, ==, imgs[i].mode);
		g_assert_cmphex(img.load_start, ==, MiB);
		g_assert_cmphex(img.entry, ==, img.mode == BOOT_MODE_LONG64 ? MiB + 0x200 : rd32(f + LX_CODE32_START));
		check_zero_page(mem, mem_size, &img, f, "console=ttyS0,115200");
		if (img.mode == BOOT_MODE_LONG64)
			check_identity(mem, mem_size, img.cr3);
		check_gdt(mem, img.mode == BOOT_MODE_LONG64);
		unsigned setup = (f[LX_SETUP_SECTS] ? f[LX_SETUP_SECTS] : 4) + 1;
		g_assert_cmpmem(mem + MiB, n - setup * 512, f + setup * 512, n - setup * 512);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/boot/mb1/elf32-elf64", test_mb1_elf);
	g_test_add_func("/boot/mb1/higher-half-entry", test_mb1_higher_half_entry);
	g_test_add_func("/boot/mb1/aout-kludge", test_mb1_aout_kludge);
	g_test_add_func("/boot/mb1/grub-at-0x9000", test_mb1_grub_at_0x9000);
	g_test_add_func("/boot/mb1/info-above-kernel", test_mb1_info_above_kernel);
	g_test_add_func("/boot/mb1/module-high", test_mb1_module_high);
	g_test_add_func("/boot/mb1/flags", test_mb1_flags);
	g_test_add_func("/boot/mb1/malformed", test_mb1_malformed);
	g_test_add_func("/boot/elf/aarch64-window", test_elf_aarch64_window);
	g_test_add_func("/boot/mb2/elf", test_mb2_elf);
	g_test_add_func("/boot/mb2/rsdp-v2", test_mb2_rsdp_v2);
	g_test_add_func("/boot/mb2/address-tag", test_mb2_address_tag);
	g_test_add_func("/boot/mb2/relocatable", test_mb2_relocatable);
	g_test_add_func("/boot/mb2/info-requests", test_mb2_requests);
	g_test_add_func("/boot/mb2/console", test_mb2_console);
	g_test_add_func("/boot/mb2/header-tags", test_mb2_header_tags);
	g_test_add_func("/boot/mb2/malformed", test_mb2_malformed);
	g_test_add_func("/boot/linux/64-bit", test_linux_64);
	g_test_add_func("/boot/linux/32-bit", test_linux_32);
	g_test_add_func("/boot/linux/relocatable", test_linux_relocatable);
	g_test_add_func("/boot/linux/initrd-limit", test_linux_initrd_limit);
	g_test_add_func("/boot/linux/cmdline-size", test_linux_cmdline_size);
	g_test_add_func("/boot/linux/refusals", test_linux_refusals);
	g_test_add_func("/boot/auto-detect", test_auto_detect);
	g_test_add_func("/boot/read-file", test_read_file);
	g_test_add_func("/boot/real/gnumach", test_real_gnumach);
	g_test_add_func("/boot/real/memtest86+", test_real_memtest);
	return g_test_run();
}
