/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-boot.c - the load plan every boot protocol uses, the ELF loader, the
 * boot GDT, the Multiboot (v1) loader (Multiboot Specification 0.6.96,
 * 3.1 OS image format, 3.2 machine state, 3.3 boot information format)
 * and boot_load(), which picks the protocol.
 *
 * Like QEMU, a multiboot ELF image is loaded by its program headers at
 * their physical addresses; the a.out-kludge address fields are used only
 * for non-ELF images.  ELF64 is accepted as well as ELF32 (QEMU accepts
 * only ELF32), so a 64-bit kernel such as GNU Mach boots as built.
 *
 * The boot information is placed after the kernel: in the lowest gap of
 * conventional memory that no loaded byte overlaps, else right above the
 * kernel.  GRUB's own multiboot image loads at 0x9000, so no fixed address
 * below 640 KiB would do.
 */
#include "vm-boot-priv.h"
#include "vm-pclayout.h"

#include <elf.h>

G_DEFINE_QUARK(boot-error-quark, boot_error)

/* Multiboot header (3.1.1, 3.1.2). */
#define MB_HEADER_MAGIC      0x1BADB002u
#define MB_HEADER_SEARCH     8192u        /* the header lies in the first 8 KiB */
#define MB_BOOTLOADER_MAGIC  0x2BADB002u
#define MB_FLAG_PAGE_ALIGN   (1u << 0)    /* modules page-aligned: always done */
#define MB_FLAG_MEMORY_INFO  (1u << 1)    /* mem_* and mmap_*: always given */
#define MB_FLAG_VIDEO_MODE   (1u << 2)
#define MB_FLAG_AOUT_KLUDGE  (1u << 16)   /* the address fields are valid */
#define MB_FLAGS_REQUIRED    0xffffu      /* bits a loader must understand */

/* Multiboot information (3.3): field offsets and flags. */
#define MBI_FLAGS            0
#define MBI_MEM_LOWER        4
#define MBI_MEM_UPPER        8
#define MBI_CMDLINE          16
#define MBI_MODS_COUNT       20
#define MBI_MODS_ADDR        24
#define MBI_MMAP_LENGTH      44
#define MBI_MMAP_ADDR        48
#define MBI_BOOT_LOADER_NAME 64
#define MBI_SIZE             116          /* up to the framebuffer fields */
#define MBI_F_MEM            (1u << 0)
#define MBI_F_CMDLINE        (1u << 2)
#define MBI_F_MODS           (1u << 3)
#define MBI_F_MMAP           (1u << 6)
#define MBI_F_LOADER_NAME    (1u << 9)
#define MB_MOD_SIZE          16           /* mod_start, mod_end, string, reserved */
#define MB_MMAP_ENTRY        24           /* size (= 20), base_addr, length, type */

#define BOOT_LOADER_NAME     "dbgproxy-vm"

/* ---- the load plan ------------------------------------------------------------------ */

void boot_plan_init(struct boot_plan *p, const uint8_t *file, size_t size, const struct boot_window *w)
{
	memset(p, 0, sizeof(*p));
	p->file = file;
	p->size = size;
	p->w = *w;
	p->segs = g_array_new(FALSE, FALSE, sizeof(struct boot_seg));
	p->used = g_array_new(FALSE, FALSE, sizeof(struct boot_range));
}

void boot_plan_clear(struct boot_plan *p)
{
	if (p->segs)
		g_array_unref(p->segs);
	if (p->used)
		g_array_unref(p->used);
	p->segs = p->used = NULL;
}

bool boot_plan_add_segment(struct boot_plan *p, uint64_t file_off, uint64_t filesz, uint64_t paddr,
			   uint64_t memsz, GError **error)
{
	if (file_off > p->size || p->size - file_off < filesz) {
		g_set_error(error, BOOT_ERROR, 1,
			    "segment at file offset 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER
			    "x lies outside the %zu-byte file", file_off, filesz, p->size);
		return false;
	}
	if (filesz > memsz) {
		g_set_error(error, BOOT_ERROR, 1,
			    "segment at 0x%" G_GINT64_MODIFIER "x has 0x%" G_GINT64_MODIFIER
			    "x bytes in the file but only 0x%" G_GINT64_MODIFIER "x in memory",
			    paddr, filesz, memsz);
		return false;
	}
	struct boot_seg s = { file_off, filesz, paddr, memsz };
	g_array_append_val(p->segs, s);
	return true;
}

void boot_plan_relocate(struct boot_plan *p, uint64_t delta)
{
	for (guint i = 0; i < p->segs->len; i++)
		g_array_index(p->segs, struct boot_seg, i).paddr += delta;
	p->entry += delta;
}

static gint range_cmp(gconstpointer a, gconstpointer b)
{
	const struct boot_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

void boot_plan_take(struct boot_plan *p, uint64_t start, uint64_t end)
{
	struct boot_range r = { start, end };
	g_array_append_val(p->used, r);
	g_array_sort(p->used, range_cmp);
}

bool boot_plan_check_kernel(struct boot_plan *p, GError **error)
{
	const struct boot_window *w = &p->w;
	g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(struct boot_range));
	for (guint i = 0; i < p->segs->len; i++) {
		const struct boot_seg *s = &g_array_index(p->segs, struct boot_seg, i);
		if (s->paddr < w->base || s->paddr - w->base > w->size ||
		    w->size - (s->paddr - w->base) < s->memsz) {
			g_set_error(error, BOOT_ERROR, 1,
				    "segment [0x%" G_GINT64_MODIFIER "x, +0x%" G_GINT64_MODIFIER
				    "x) does not fit in guest memory [0x%" G_GINT64_MODIFIER "x, +%"
				    G_GUINT64_FORMAT " MiB)", s->paddr, s->memsz, w->base, w->size >> 20);
			return false;
		}
		if (s->memsz == 0)
			continue;
		if (s->paddr < w->reserved_end) {
			g_set_error(error, BOOT_ERROR, 1,
				    "segment at 0x%" G_GINT64_MODIFIER "x overlaps the boot area below 0x%"
				    G_GINT64_MODIFIER "x", s->paddr, w->reserved_end);
			return false;
		}
		struct boot_range r = { s->paddr, s->paddr + s->memsz };
		g_array_append_val(ranges, r);
	}
	if (ranges->len == 0) {
		g_set_error(error, BOOT_ERROR, 1, "the kernel has no bytes to load");
		return false;
	}
	g_array_sort(ranges, range_cmp);
	for (guint i = 1; i < ranges->len; i++) {
		const struct boot_range *a = &g_array_index(ranges, struct boot_range, i - 1);
		const struct boot_range *b = &g_array_index(ranges, struct boot_range, i);
		if (b->start < a->end) {
			g_set_error(error, BOOT_ERROR, 1,
				    "segments [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
				    "x) and [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x) overlap",
				    a->start, a->end, b->start, b->end);
			return false;
		}
	}
	p->load_start = g_array_index(ranges, struct boot_range, 0).start;
	p->load_end = 0;
	for (guint i = 0; i < ranges->len; i++) {
		const struct boot_range *r = &g_array_index(ranges, struct boot_range, i);
		p->load_end = MAX(p->load_end, r->end);
		boot_plan_take(p, r->start, r->end);
	}
	return true;
}

/* The lowest align-aligned start in [lo, hi) for size bytes that overlaps
 * nothing in used (sorted by start); UINT64_MAX when there is none. */
static uint64_t lowest_gap(const GArray *used, uint64_t lo, uint64_t hi, uint64_t size, uint64_t align)
{
	uint64_t cand = boot_align_up(lo, align);
	for (guint i = 0; i < used->len; i++) {
		const struct boot_range *r = &g_array_index(used, struct boot_range, i);
		if (r->end <= cand)
			continue;
		if (cand >= hi || hi - cand < size || r->start >= cand + size)
			break;
		cand = boot_align_up(r->end, align);
	}
	if (cand >= hi || hi - cand < size)
		return UINT64_MAX;
	return cand;
}

bool boot_plan_area(struct boot_plan *p, uint64_t size, uint64_t align, bool low_only, const char *what,
		    uint64_t *addr, GError **error)
{
	uint64_t a = lowest_gap(p->used, PC_BOOT_DATA_ADDR, PC_BASE_MEM_END, size, align);
	if (a == UINT64_MAX && !low_only) {
		uint64_t top = PC_HIGH_MEM;
		for (guint i = 0; i < p->used->len; i++)
			top = MAX(top, g_array_index(p->used, struct boot_range, i).end);
		uint64_t limit = MIN(p->w.size, BOOT_4GIB);
		a = boot_align_up(top, align);
		if (a > limit || limit - a < size) {
			g_set_error(error, BOOT_ERROR, 1,
				    "no room for the %s (%" G_GUINT64_FORMAT " bytes): no gap below 0x%x and "
				    "not enough memory above the kernel, which ends at 0x%" G_GINT64_MODIFIER
				    "x (guest memory ends at 0x%" G_GINT64_MODIFIER "x)",
				    what, size, PC_BASE_MEM_END, top, limit);
			return false;
		}
	} else if (a == UINT64_MAX) {
		g_set_error(error, BOOT_ERROR, 1,
			    "no room for the %s (%" G_GUINT64_FORMAT " bytes) below 0x%x", what, size,
			    PC_BASE_MEM_END);
		return false;
	}
	boot_plan_take(p, a, a + size);
	*addr = a;
	return true;
}

void boot_plan_write_kernel(const struct boot_plan *p)
{
	for (guint i = 0; i < p->segs->len; i++) {
		const struct boot_seg *s = &g_array_index(p->segs, struct boot_seg, i);
		if (s->memsz == 0)
			continue;
		uint8_t *dst = p->w.mem + (s->paddr - p->w.base);
		memcpy(dst, p->file + s->file_off, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
}

/* Intel SDM Vol. 3A 3.4.5 "Segment Descriptors": base 0, limit 0xfffff
 * pages (G = 1), P = 1, DPL 0, S = 1; types 0xb (code, execute/read,
 * accessed) and 0x3 (data, read/write, accessed); D/B = 1 except in the
 * 64-bit code segment, which has L = 1 instead. */
#define GDT_CODE32  0x00cf9b000000ffffull
#define GDT_CODE64  0x00af9b000000ffffull
#define GDT_DATA    0x00cf93000000ffffull

void boot_write_gdt(uint8_t *mem, enum boot_cpu_mode mode)
{
	memset(mem + PC_GDT_ADDR, 0, PC_GDT_END - PC_GDT_ADDR);
	put64(mem + PC_GDT_ADDR + PC_GDT_CODE_SEL, mode == BOOT_MODE_LONG64 ? GDT_CODE64 : GDT_CODE32);
	put64(mem + PC_GDT_ADDR + PC_GDT_DATA_SEL, GDT_DATA);
}

/* ---- ELF ----------------------------------------------------------------------------- */

/* An entry point given as a virtual address inside a segment whose
 * physical address differs is moved to that physical address. */
static uint64_t entry_to_physical(uint64_t entry, uint64_t vaddr, uint64_t paddr,
				  uint64_t memsz, uint64_t current)
{
	if (entry >= vaddr && entry - vaddr < memsz)
		return paddr + (entry - vaddr);
	return current;
}

bool boot_elf_parse(struct boot_plan *p, unsigned want_machine, GError **error)
{
	const uint8_t *file = p->file;
	size_t size = p->size;
	if (size < SELFMAG || memcmp(file, ELFMAG, SELFMAG) != 0) {
		g_set_error(error, BOOT_ERROR, 1, "not an ELF file");
		return false;
	}
	bool is64 = size > EI_CLASS && file[EI_CLASS] == ELFCLASS64;
	if (size <= EI_DATA || (file[EI_CLASS] != ELFCLASS32 && !is64) || file[EI_DATA] != ELFDATA2LSB) {
		g_set_error(error, BOOT_ERROR, 1, "not a little-endian ELF32/ELF64 file");
		return false;
	}
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (size < ehsize) {
		g_set_error(error, BOOT_ERROR, 1, "ELF header truncated");
		return false;
	}
	uint64_t phoff, entry;
	unsigned phnum, phentsize, machine, type;
	if (is64) {
		Elf64_Ehdr eh;
		memcpy(&eh, file, sizeof(eh));
		phoff = eh.e_phoff; phnum = eh.e_phnum; phentsize = eh.e_phentsize;
		entry = eh.e_entry; machine = eh.e_machine; type = eh.e_type;
	} else {
		Elf32_Ehdr eh;
		memcpy(&eh, file, sizeof(eh));
		phoff = eh.e_phoff; phnum = eh.e_phnum; phentsize = eh.e_phentsize;
		entry = eh.e_entry; machine = eh.e_machine; type = eh.e_type;
	}
	bool machine_ok = want_machine ? machine == want_machine && is64
				       : machine == EM_386 || machine == EM_X86_64;
	if (type != ET_EXEC || !machine_ok) {
		g_set_error(error, BOOT_ERROR, 1, "ELF type %u machine %u: need %s executable", type,
			    machine, want_machine == EM_AARCH64 ? "an AArch64 ELF64" : "an x86");
		return false;
	}
	size_t want = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (phentsize != want || phnum == 0 || phoff > size || (size - phoff) / want < phnum) {
		g_set_error(error, BOOT_ERROR, 1, "ELF program headers lie outside the file");
		return false;
	}
	p->elf64 = is64;
	p->entry = entry;
	unsigned loaded = 0;
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t off, filesz, paddr, vaddr, memsz;
		uint32_t ptype;
		if (is64) {
			Elf64_Phdr ph;
			memcpy(&ph, file + phoff + (uint64_t)i * want, sizeof(ph));
			ptype = ph.p_type; off = ph.p_offset; filesz = ph.p_filesz;
			paddr = ph.p_paddr; vaddr = ph.p_vaddr; memsz = ph.p_memsz;
		} else {
			Elf32_Phdr ph;
			memcpy(&ph, file + phoff + (uint64_t)i * want, sizeof(ph));
			ptype = ph.p_type; off = ph.p_offset; filesz = ph.p_filesz;
			paddr = ph.p_paddr; vaddr = ph.p_vaddr; memsz = ph.p_memsz;
		}
		if (ptype != PT_LOAD)
			continue;
		if (!boot_plan_add_segment(p, off, filesz, paddr, memsz, error))
			return false;
		if (vaddr != paddr)
			p->entry = entry_to_physical(entry, vaddr, paddr, memsz, p->entry);
		loaded++;
	}
	if (loaded == 0) {
		g_set_error(error, BOOT_ERROR, 1, "ELF file has no loadable segment");
		return false;
	}
	return true;
}

bool elf_load(const uint8_t *file, size_t size, const struct boot_window *w, unsigned want_machine,
	      struct boot_image *img, GError **error)
{
	g_auto(boot_plan_t) p = { 0 };
	boot_plan_init(&p, file, size, w);
	if (!boot_elf_parse(&p, want_machine, error) || !boot_plan_check_kernel(&p, error))
		return false;
	boot_plan_write_kernel(&p);
	img->entry = p.entry;
	img->elf64 = p.elf64;
	img->load_start = p.load_start;
	img->load_end = p.load_end;
	return true;
}

/* ---- Multiboot (v1) ------------------------------------------------------------------ */

/* 3.1.3: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
static bool mb1_aout_segments(struct boot_plan *p, size_t hdr_off, GError **error)
{
	const uint8_t *h = p->file + hdr_off;
	if (p->size - hdr_off < 32) {
		g_set_error(error, BOOT_ERROR, 1, "multiboot address fields truncated");
		return false;
	}
	uint32_t header_addr = le32(h + 12), load_addr = le32(h + 16);
	uint32_t load_end = le32(h + 20), bss_end = le32(h + 24);
	p->entry = le32(h + 28);
	if (header_addr < load_addr || header_addr - load_addr > hdr_off) {
		g_set_error(error, BOOT_ERROR, 1,
			    "multiboot header_addr 0x%x and load_addr 0x%x put the image before the file's start",
			    header_addr, load_addr);
		return false;
	}
	uint64_t file_off = hdr_off - (header_addr - load_addr);
	if (load_end && load_end < load_addr) {
		g_set_error(error, BOOT_ERROR, 1, "multiboot load_end_addr below load_addr");
		return false;
	}
	uint64_t filesz = load_end ? (uint64_t)load_end - load_addr : p->size - file_off;
	uint64_t memsz = filesz;
	if (bss_end) {
		if (bss_end < load_addr + filesz) {
			g_set_error(error, BOOT_ERROR, 1, "multiboot bss_end_addr below the loaded image");
			return false;
		}
		memsz = (uint64_t)bss_end - load_addr;
	}
	return boot_plan_add_segment(p, file_off, filesz, load_addr, memsz, error);
}

static bool mb1_find_header(const uint8_t *file, size_t size, size_t *off)
{
	size_t limit = MIN(size, (size_t)MB_HEADER_SEARCH);
	for (size_t o = 0; o + 12 <= limit; o += 4) {
		uint32_t magic = le32(file + o), flags = le32(file + o + 4), sum = le32(file + o + 8);
		if (magic == MB_HEADER_MAGIC && (uint32_t)(magic + flags + sum) == 0) {
			*off = o;
			return true;
		}
	}
	return false;
}

/* Where the pieces of the boot information sit, relative to its start. */
struct mb1_layout {
	size_t cmdline, loader, modstr, mods, mmap, size;
};

/* Build the boot information as it will sit at base (3.3), with module 0
 * at mod_addr.  Called once with base 0 to learn the size. */
static GByteArray *mb1_build_info(const struct boot_request *req, uint64_t base, uint64_t mod_addr)
{
	GByteArray *b = g_byte_array_new();
	struct pc_e820_entry map[PC_E820_MAX];
	size_t n = pc_e820_map(req->mem_size, map);
	const char *cmdline = req->cmdline ? req->cmdline : "";
	const char *modname = req->initrd_name ? req->initrd_name : "";

	size_t mbi = info_append(b, MBI_SIZE, 8);
	size_t cmd = info_append(b, strlen(cmdline) + 1, 1);
	memcpy(b->data + cmd, cmdline, strlen(cmdline));
	size_t loader = info_append(b, sizeof(BOOT_LOADER_NAME), 1);
	memcpy(b->data + loader, BOOT_LOADER_NAME, sizeof(BOOT_LOADER_NAME));
	uint32_t flags = MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MMAP | MBI_F_LOADER_NAME;
	if (req->initrd) {
		size_t str = info_append(b, strlen(modname) + 1, 1);
		memcpy(b->data + str, modname, strlen(modname));
		size_t mod = info_append(b, MB_MOD_SIZE, 8);
		put32(b->data + mod + 0, (uint32_t)mod_addr);
		put32(b->data + mod + 4, (uint32_t)(mod_addr + req->initrd_size));
		put32(b->data + mod + 8, (uint32_t)(base + str));
		put32(b->data + mbi + MBI_MODS_COUNT, 1);
		put32(b->data + mbi + MBI_MODS_ADDR, (uint32_t)(base + mod));
		flags |= MBI_F_MODS;
	}
	size_t mmap = info_append(b, n * MB_MMAP_ENTRY, 8);
	uint64_t upper = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = b->data + mmap + i * MB_MMAP_ENTRY;
		put32(e + 0, MB_MMAP_ENTRY - 4);
		put64(e + 4, map[i].addr);
		put64(e + 12, map[i].size);
		put32(e + 20, map[i].type);
		if (map[i].addr == PC_HIGH_MEM && map[i].type == PC_E820_RAM)
			upper = map[i].size;
	}
	put32(b->data + mbi + MBI_FLAGS, flags);
	put32(b->data + mbi + MBI_MEM_LOWER, PC_BASE_MEM_END >> 10);
	put32(b->data + mbi + MBI_MEM_UPPER, (uint32_t)MIN(upper >> 10, 0xffffffffu));
	put32(b->data + mbi + MBI_CMDLINE, (uint32_t)(base + cmd));
	put32(b->data + mbi + MBI_MMAP_LENGTH, (uint32_t)(n * MB_MMAP_ENTRY));
	put32(b->data + mbi + MBI_MMAP_ADDR, (uint32_t)(base + mmap));
	put32(b->data + mbi + MBI_BOOT_LOADER_NAME, (uint32_t)(base + loader));
	return b;
}

static bool multiboot1_load(const uint8_t *file, size_t size, const struct boot_request *req,
			    struct boot_image *out, GError **error)
{
	size_t hdr;
	if (!mb1_find_header(file, size, &hdr)) {
		g_set_error(error, BOOT_ERROR, 1,
			    "no multiboot header (magic 0x%08x with a valid checksum) in the first %u bytes",
			    MB_HEADER_MAGIC, MB_HEADER_SEARCH);
		return false;
	}
	uint32_t flags = le32(file + hdr + 4);
	/* Bits 0-15 are requirements (3.1.2): page-aligned modules (always
	 * done) and memory information (always given) are provided; a video
	 * mode is not, nor any bit this version of the spec leaves unnamed. */
	uint32_t missing = flags & MB_FLAGS_REQUIRED & ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO);
	if (missing) {
		g_set_error(error, BOOT_ERROR, 1,
			    "kernel requires multiboot features 0x%x this loader does not provide%s "
			    "(header flags 0x%08x)", missing,
			    missing & MB_FLAG_VIDEO_MODE ? " (a video mode: there is no graphics console)" : "",
			    flags);
		return false;
	}
	struct boot_window w = { req->mem, 0, req->mem_size, PC_BOOT_DATA_ADDR };
	g_auto(boot_plan_t) p = { 0 };
	boot_plan_init(&p, file, size, &w);
	bool ok;
	if (size >= SELFMAG && memcmp(file, ELFMAG, SELFMAG) == 0)
		ok = boot_elf_parse(&p, 0, error);
	else if (flags & MB_FLAG_AOUT_KLUDGE)
		ok = mb1_aout_segments(&p, hdr, error);
	else {
		g_set_error(error, BOOT_ERROR, 1,
			    "neither an ELF file nor a multiboot header with address fields");
		ok = false;
	}
	if (!ok || !boot_plan_check_kernel(&p, error))
		return false;
	if (p.entry >= req->mem_size || p.entry > UINT32_MAX) {
		g_set_error(error, BOOT_ERROR, 1,
			    "entry point 0x%" G_GINT64_MODIFIER "x is outside guest memory", p.entry);
		return false;
	}

	/* The information first (it is small and goes low), then module 0. */
	g_autoptr(GByteArray) sizing = mb1_build_info(req, 0, 0);
	uint64_t info, mod = 0;
	if (!boot_plan_area(&p, sizing->len, BOOT_PAGE, false, "multiboot information", &info, error))
		return false;
	if (req->initrd && !boot_plan_area(&p, MAX(req->initrd_size, 1), BOOT_PAGE, false,
					   "multiboot module (the initrd)", &mod, error))
		return false;
	g_autoptr(GByteArray) mbi = mb1_build_info(req, info, mod);

	boot_write_multiboot(req, &p, info, mbi, mod, MB_BOOTLOADER_MAGIC, out);
	return true;
}

void boot_write_multiboot(const struct boot_request *req, const struct boot_plan *p,
			  uint64_t info, const GByteArray *mbi, uint64_t mod, uint32_t magic,
			  struct boot_image *out)
{
	boot_plan_write_kernel(p);
	boot_write_gdt(req->mem, BOOT_MODE_PROT32);
	memcpy(req->mem + info, mbi->data, mbi->len);
	if (req->initrd)
		memcpy(req->mem + mod, req->initrd, req->initrd_size);

	out->mode = BOOT_MODE_PROT32;
	out->entry = p->entry;
	out->eax = magic;
	out->ebx = (uint32_t)info;
	out->load_start = p->load_start;
	out->load_end = p->load_end;
	out->info_start = info;
	out->info_end = info + mbi->len;
	if (req->initrd) {
		out->initrd_start = mod;
		out->initrd_end = mod + req->initrd_size;
	}
	out->elf64 = p->elf64;
}

/* ---- picking the protocol ---------------------------------------------------------- */

const char *boot_protocol_name(enum boot_protocol p)
{
	switch (p) {
	case BOOT_MULTIBOOT:  return "Multiboot";
	case BOOT_MULTIBOOT2: return "Multiboot2";
	case BOOT_LINUX:      return "Linux";
	case BOOT_AUTO:       break;
	}
	return "auto";
}

bool boot_load(const uint8_t *file, size_t size, const struct boot_request *req,
	       struct boot_image *out, GError **error)
{
	memset(out, 0, sizeof(*out));
	if (req->mem_size < (2u << 20)) {
		g_set_error(error, BOOT_ERROR, 1, "guest memory below 2 MiB");
		return false;
	}
	if (req->initrd && req->initrd_size > BOOT_FILE_MAX) {
		g_set_error(error, BOOT_ERROR, 1, "initrd larger than %u MiB", BOOT_FILE_MAX >> 20);
		return false;
	}
	enum boot_protocol proto = req->protocol;
	size_t off;
	if (proto == BOOT_AUTO) {
		if (linux_detect(file, size))
			proto = BOOT_LINUX;
		else if (multiboot2_find_header(file, size, &off))
			proto = BOOT_MULTIBOOT2;
		else if (mb1_find_header(file, size, &off))
			proto = BOOT_MULTIBOOT;
		else {
			g_set_error(error, BOOT_ERROR, 1,
				    "not a kernel this loader knows: no Linux boot header (0xAA55 at 0x1FE, "
				    "\"HdrS\" at 0x202), no multiboot2 header in the first 32 KiB, "
				    "no multiboot header in the first 8 KiB");
			return false;
		}
	}
	bool ok;
	switch (proto) {
	case BOOT_LINUX:
		ok = linux_load(file, size, req, out, error);
		break;
	case BOOT_MULTIBOOT2:
		ok = multiboot2_load(file, size, req, out, error);
		break;
	case BOOT_MULTIBOOT:
		ok = multiboot1_load(file, size, req, out, error);
		break;
	default:
		g_set_error(error, BOOT_ERROR, 1, "unknown boot protocol %d", (int)proto);
		ok = false;
		break;
	}
	if (!ok) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	out->protocol = proto;
	return true;
}
