/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-boot-mb2.c - Multiboot2 loader (Multiboot2 Specification 2.0: 3.1 OS
 * image format, 3.3 I386 machine state, 3.6 boot information format).
 *
 * ELF images are loaded by their program headers unless the header has an
 * address tag; a relocatable image (tag 10) is moved to the lowest (or,
 * when it prefers, highest) aligned address its bounds allow above 1 MiB,
 * and told where it landed (information tag 21).  There is no EFI and no
 * graphics: EFI tags and a framebuffer request are refused unless marked
 * optional; a kernel that declares EGA text support is handed the text
 * screen at 0xb8000 as its console (framebuffer tag, type 2).
 *
 * Information requests follow 3.1.4: a required request fails only for a
 * tag this loader does not understand, or does not give although the
 * information exists (9, ELF sections); information this machine does not
 * have (BIOS boot device, VBE, APM, EFI, SMBIOS, network, ACPI without
 * firmware tables) is simply absent.
 */
#include "vm-boot-priv.h"
#include "vm-pclayout.h"

#include <elf.h>

#define MB2_HEADER_MAGIC      0xE85250D6u
#define MB2_HEADER_SEARCH     32768u
#define MB2_HEADER_ALIGN      8u
#define MB2_ARCH_I386         0u
#define MB2_BOOTLOADER_MAGIC  0x36D76289u

/* Header tags (3.1.3 - 3.1.12). */
#define MB2_HT_END            0
#define MB2_HT_INFO_REQUEST   1
#define MB2_HT_ADDRESS        2
#define MB2_HT_ENTRY_ADDRESS  3
#define MB2_HT_CONSOLE_FLAGS  4
#define MB2_HT_FRAMEBUFFER    5
#define MB2_HT_MODULE_ALIGN   6
#define MB2_HT_EFI_BS         7
#define MB2_HT_ENTRY_EFI32    8
#define MB2_HT_ENTRY_EFI64    9
#define MB2_HT_RELOCATABLE    10
#define MB2_HT_OPTIONAL       1u        /* flags bit 0 */
#define MB2_CONSOLE_REQUIRED  (1u << 0)
#define MB2_CONSOLE_EGA_TEXT  (1u << 1)
#define MB2_RELOC_PREFER_HIGH 2u

/* Information tags (3.6). */
#define MB2_IT_END            0
#define MB2_IT_CMDLINE        1
#define MB2_IT_LOADER_NAME    2
#define MB2_IT_MODULE         3
#define MB2_IT_BASIC_MEMINFO  4
#define MB2_IT_BOOTDEV        5
#define MB2_IT_MMAP           6
#define MB2_IT_VBE            7
#define MB2_IT_FRAMEBUFFER    8
#define MB2_IT_ELF_SECTIONS   9
#define MB2_IT_APM            10
#define MB2_IT_EFI32          11
#define MB2_IT_EFI64          12
#define MB2_IT_SMBIOS         13
#define MB2_IT_ACPI_OLD       14
#define MB2_IT_ACPI_NEW       15
#define MB2_IT_NETWORK        16
#define MB2_IT_EFI_MMAP       17
#define MB2_IT_EFI_BS         18
#define MB2_IT_EFI32_IH       19
#define MB2_IT_EFI64_IH       20
#define MB2_IT_LOAD_BASE_ADDR 21
#define MB2_IT_LAST           21
#define MB2_MMAP_ENTRY        24u       /* base_addr, length, type, reserved */
#define MB2_FB_TYPE_EGA_TEXT  2u

#define ACPI_RSDP_V1_SIZE     20u
#define ACPI_RSDP_V2_SIZE     36u
#define ACPI_RSDP_REVISION    15        /* offset of the revision byte */

#define BOOT_LOADER_NAME      "dbgproxy-vm"

/* What the header asks for. */
struct mb2_header {
	size_t off;
	bool have_address;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	bool have_entry;
	uint32_t entry_addr;
	bool have_reloc;
	uint32_t min_addr, max_addr, align, preference;
	bool ega_console;
};

bool multiboot2_find_header(const uint8_t *file, size_t size, size_t *off)
{
	size_t limit = MIN(size, (size_t)MB2_HEADER_SEARCH);
	for (size_t o = 0; o + 16 <= limit; o += MB2_HEADER_ALIGN) {
		uint32_t magic = le32(file + o), arch = le32(file + o + 4);
		uint32_t len = le32(file + o + 8), sum = le32(file + o + 12);
		if (magic == MB2_HEADER_MAGIC && (uint32_t)(magic + arch + len + sum) == 0) {
			*off = o;
			return true;
		}
	}
	return false;
}

static bool tag_too_short(uint16_t type, uint32_t size, uint32_t need, GError **error)
{
	if (size >= need)
		return false;
	g_set_error(error, BOOT_ERROR, 1, "multiboot2 header tag %u is %u bytes, needs %u", type, size, need);
	return true;
}

/* Whether a required information request for type can be met (3.1.4). */
static bool info_request_ok(uint32_t type)
{
	return type <= MB2_IT_LAST && type != MB2_IT_ELF_SECTIONS;
}

static bool parse_tag(struct mb2_header *h, const uint8_t *t, uint16_t type, uint16_t flags, uint32_t size,
		      GError **error)
{
	bool optional = flags & MB2_HT_OPTIONAL;
	switch (type) {
	case MB2_HT_INFO_REQUEST:
		for (uint32_t i = 8; i + 4 <= size; i += 4) {
			uint32_t want = le32(t + i);
			if (!optional && !info_request_ok(want)) {
				g_set_error(error, BOOT_ERROR, 1,
					    "kernel requires multiboot2 information tag %u, which this loader "
					    "does not provide", want);
				return false;
			}
		}
		return true;
	case MB2_HT_ADDRESS:
		if (tag_too_short(type, size, 24, error))
			return false;
		h->have_address = true;
		h->header_addr = le32(t + 8);
		h->load_addr = le32(t + 12);
		h->load_end_addr = le32(t + 16);
		h->bss_end_addr = le32(t + 20);
		return true;
	case MB2_HT_ENTRY_ADDRESS:
		if (tag_too_short(type, size, 12, error))
			return false;
		h->have_entry = true;
		h->entry_addr = le32(t + 8);
		return true;
	case MB2_HT_CONSOLE_FLAGS: {
		if (tag_too_short(type, size, 12, error))
			return false;
		uint32_t cf = le32(t + 8);
		h->ega_console = cf & MB2_CONSOLE_EGA_TEXT;
		if (!optional && (cf & MB2_CONSOLE_REQUIRED) && !h->ega_console) {
			g_set_error(error, BOOT_ERROR, 1,
				    "kernel requires a console but does not support EGA text, the only "
				    "console this machine has (multiboot2 console flags 0x%x)", cf);
			return false;
		}
		return true;
	}
	case MB2_HT_FRAMEBUFFER:
		if (tag_too_short(type, size, 20, error))
			return false;
		if (!optional) {
			g_set_error(error, BOOT_ERROR, 1,
				    "kernel requires a graphics framebuffer (%ux%ux%u, multiboot2 header tag 5); "
				    "this machine has none", le32(t + 8), le32(t + 12), le32(t + 16));
			return false;
		}
		return true;
	case MB2_HT_MODULE_ALIGN:
		return true; /* modules are always page-aligned */
	case MB2_HT_EFI_BS:
	case MB2_HT_ENTRY_EFI32:
	case MB2_HT_ENTRY_EFI64:
		if (!optional) {
			g_set_error(error, BOOT_ERROR, 1,
				    "kernel requires EFI (multiboot2 header tag %u); this machine has no firmware",
				    type);
			return false;
		}
		return true;
	case MB2_HT_RELOCATABLE:
		if (tag_too_short(type, size, 24, error))
			return false;
		h->have_reloc = true;
		h->min_addr = le32(t + 8);
		h->max_addr = le32(t + 12);
		h->align = le32(t + 16);
		h->preference = le32(t + 20);
		return true;
	default:
		if (!optional) {
			g_set_error(error, BOOT_ERROR, 1, "unsupported required multiboot2 header tag %u", type);
			return false;
		}
		return true;
	}
}

static bool parse_header(const uint8_t *file, size_t size, struct mb2_header *h, GError **error)
{
	memset(h, 0, sizeof(*h));
	if (!multiboot2_find_header(file, size, &h->off)) {
		g_set_error(error, BOOT_ERROR, 1,
			    "no multiboot2 header (magic 0x%08x with a valid checksum, 8-byte aligned) "
			    "in the first %u bytes", MB2_HEADER_MAGIC, MB2_HEADER_SEARCH);
		return false;
	}
	const uint8_t *hp = file + h->off;
	uint32_t arch = le32(hp + 4), len = le32(hp + 8);
	if (arch != MB2_ARCH_I386) {
		g_set_error(error, BOOT_ERROR, 1, "multiboot2 header for architecture %u, not i386 (0)", arch);
		return false;
	}
	size_t limit = MIN(size, (size_t)MB2_HEADER_SEARCH);
	if (len < 16 + 8 || len > limit - h->off) {
		g_set_error(error, BOOT_ERROR, 1,
			    "multiboot2 header at 0x%zx has header_length %u: it must hold the end tag and "
			    "end within the file's first %u bytes", h->off, len, MB2_HEADER_SEARCH);
		return false;
	}
	size_t pos = 16;
	for (;;) {
		if (pos > len || len - pos < 8) {
			g_set_error(error, BOOT_ERROR, 1,
				    "multiboot2 header tags run past header_length without an end tag");
			return false;
		}
		const uint8_t *t = hp + pos;
		uint16_t type = le16(t), flags = le16(t + 2);
		uint32_t tsize = le32(t + 4);
		if (tsize < 8 || tsize > len - pos) {
			g_set_error(error, BOOT_ERROR, 1,
				    "multiboot2 header tag %u at offset %zu has size %u, outside the header",
				    type, pos, tsize);
			return false;
		}
		if (type == MB2_HT_END)
			return true;
		if (!parse_tag(h, t, type, flags, tsize, error))
			return false;
		pos += (size_t)boot_align_up(tsize, 8);
	}
}

/* 3.1.5: the address tag gives one segment. */
static bool address_tag_segment(struct boot_plan *p, const struct mb2_header *h, GError **error)
{
	uint64_t load = h->load_addr, file_off;
	if (h->load_addr == 0xffffffffu) {
		/* -1: the file is loaded from its start */
		if (h->header_addr < h->off) {
			g_set_error(error, BOOT_ERROR, 1,
				    "multiboot2 header_addr 0x%x is below the header's file offset 0x%zx",
				    h->header_addr, h->off);
			return false;
		}
		load = h->header_addr - h->off;
		file_off = 0;
	} else {
		if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > h->off) {
			g_set_error(error, BOOT_ERROR, 1,
				    "multiboot2 header_addr 0x%x and load_addr 0x%x put the image before the "
				    "file's start", h->header_addr, h->load_addr);
			return false;
		}
		file_off = h->off - (h->header_addr - h->load_addr);
	}
	uint64_t filesz = p->size - file_off;
	if (h->load_end_addr) {
		if (h->load_end_addr < load) {
			g_set_error(error, BOOT_ERROR, 1, "multiboot2 load_end_addr below load_addr");
			return false;
		}
		filesz = h->load_end_addr - load;
	}
	uint64_t memsz = filesz;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < load + filesz) {
			g_set_error(error, BOOT_ERROR, 1, "multiboot2 bss_end_addr below the loaded image");
			return false;
		}
		memsz = h->bss_end_addr - load;
	}
	return boot_plan_add_segment(p, file_off, filesz, load, memsz, error);
}

/* 3.1.11: move the image inside [min_addr, max_addr], aligned, above 1 MiB:
 * as low as possible unless it prefers high. */
static bool relocate(struct boot_plan *p, const struct mb2_header *h, GError **error)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (guint i = 0; i < p->segs->len; i++) {
		const struct boot_seg *s = &g_array_index(p->segs, struct boot_seg, i);
		if (s->memsz == 0)
			continue;
		if (s->paddr >= BOOT_4GIB || s->memsz > BOOT_4GIB - s->paddr) {
			g_set_error(error, BOOT_ERROR, 1,
				    "relocatable image has a segment [0x%" G_GINT64_MODIFIER "x, +0x%"
				    G_GINT64_MODIFIER "x) beyond 4 GiB", s->paddr, s->memsz);
			return false;
		}
		lo = MIN(lo, s->paddr);
		hi = MAX(hi, s->paddr + s->memsz);
	}
	if (lo == UINT64_MAX)
		return true; /* nothing to move; boot_plan_check_kernel() refuses it */
	uint64_t span = hi - lo, align = MAX(h->align, 1u);
	uint64_t min = MAX((uint64_t)h->min_addr, PC_HIGH_MEM);
	uint64_t max = MIN((uint64_t)h->max_addr + 1, MIN(p->w.size, BOOT_4GIB));
	uint64_t base = boot_align_up(min, align);
	if (base < max && max - base >= span && h->preference == MB2_RELOC_PREFER_HIGH)
		base = (max - span) / align * align;
	if (base >= max || max - base < span) {
		g_set_error(error, BOOT_ERROR, 1,
			    "relocatable image of 0x%" G_GINT64_MODIFIER "x bytes does not fit in "
			    "[0x%x, 0x%x] aligned to 0x%x within guest memory",
			    span, h->min_addr, h->max_addr, h->align);
		return false;
	}
	boot_plan_relocate(p, base - lo);
	return true;
}

/* The RSDP the firmware tables put down, as tag 14 (ACPI 1.0, revision 0)
 * or 15 (revision >= 2) wants it. */
static bool read_rsdp(const struct boot_request *req, uint32_t *tag, uint32_t *len, GError **error)
{
	uint64_t a = req->acpi_rsdp;
	if (a > req->mem_size || req->mem_size - a < ACPI_RSDP_V1_SIZE ||
	    memcmp(req->mem + a, "RSD PTR ", 8) != 0) {
		g_set_error(error, BOOT_ERROR, 1, "no ACPI RSDP at 0x%" G_GINT64_MODIFIER "x", a);
		return false;
	}
	bool v2 = req->mem[a + ACPI_RSDP_REVISION] >= 2;
	*tag = v2 ? MB2_IT_ACPI_NEW : MB2_IT_ACPI_OLD;
	*len = v2 ? ACPI_RSDP_V2_SIZE : ACPI_RSDP_V1_SIZE;
	if (req->mem_size - a < *len) {
		g_set_error(error, BOOT_ERROR, 1, "ACPI RSDP at 0x%" G_GINT64_MODIFIER "x runs past memory", a);
		return false;
	}
	return true;
}

static size_t add_tag(GByteArray *b, uint32_t type, size_t payload)
{
	size_t off = info_append(b, 8 + payload, 8);
	put32(b->data + off, type);
	put32(b->data + off + 4, (uint32_t)(8 + payload));
	return off;
}

static void add_string_tag(GByteArray *b, uint32_t type, const char *s)
{
	size_t n = strlen(s);
	size_t off = add_tag(b, type, n + 1);
	memcpy(b->data + off + 8, s, n);
}

struct mb2_info_args {
	const struct boot_request *req;
	const struct mb2_header *h;
	uint64_t mod_addr, load_base;
	uint32_t rsdp_tag, rsdp_len;
};

/* Build the boot information (3.6); nothing in it depends on where it sits. */
static GByteArray *mb2_build_info(const struct mb2_info_args *a)
{
	const struct boot_request *req = a->req;
	GByteArray *b = g_byte_array_new();
	info_append(b, 8, 8); /* total_size, reserved */
	add_string_tag(b, MB2_IT_CMDLINE, req->cmdline ? req->cmdline : "");
	add_string_tag(b, MB2_IT_LOADER_NAME, BOOT_LOADER_NAME);
	if (req->initrd) {
		const char *name = req->initrd_name ? req->initrd_name : "";
		size_t off = add_tag(b, MB2_IT_MODULE, 8 + strlen(name) + 1);
		put32(b->data + off + 8, (uint32_t)a->mod_addr);
		put32(b->data + off + 12, (uint32_t)(a->mod_addr + req->initrd_size));
		memcpy(b->data + off + 16, name, strlen(name));
	}
	struct pc_e820_entry map[PC_E820_MAX];
	size_t n = pc_e820_map(req->mem_size, map);
	uint64_t upper = 0;
	for (size_t i = 0; i < n; i++)
		if (map[i].addr == PC_HIGH_MEM && map[i].type == PC_E820_RAM)
			upper = map[i].size;
	size_t off = add_tag(b, MB2_IT_BASIC_MEMINFO, 8);
	put32(b->data + off + 8, PC_BASE_MEM_END >> 10);
	put32(b->data + off + 12, (uint32_t)MIN(upper >> 10, 0xffffffffu));
	off = add_tag(b, MB2_IT_MMAP, 8 + n * MB2_MMAP_ENTRY);
	put32(b->data + off + 8, MB2_MMAP_ENTRY);
	put32(b->data + off + 12, 0); /* entry_version */
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = b->data + off + 16 + i * MB2_MMAP_ENTRY;
		put64(e + 0, map[i].addr);
		put64(e + 8, map[i].size);
		put32(e + 16, map[i].type);
	}
	if (a->h->ega_console) {
		/* common part only: EGA text has no colour information */
		off = add_tag(b, MB2_IT_FRAMEBUFFER, 24);
		put64(b->data + off + 8, PC_VGA_TEXT_ADDR);
		put32(b->data + off + 16, PC_VGA_TEXT_COLS * 2);  /* pitch, bytes */
		put32(b->data + off + 20, PC_VGA_TEXT_COLS);
		put32(b->data + off + 24, PC_VGA_TEXT_ROWS);
		b->data[off + 28] = 16;                           /* bits per character cell */
		b->data[off + 29] = MB2_FB_TYPE_EGA_TEXT;
	}
	if (a->rsdp_tag) {
		off = add_tag(b, a->rsdp_tag, a->rsdp_len);
		memcpy(b->data + off + 8, req->mem + req->acpi_rsdp, a->rsdp_len);
	}
	if (a->h->have_reloc) {
		off = add_tag(b, MB2_IT_LOAD_BASE_ADDR, 4);
		put32(b->data + off + 8, (uint32_t)a->load_base);
	}
	add_tag(b, MB2_IT_END, 0);
	put32(b->data, b->len);
	return b;
}

bool multiboot2_load(const uint8_t *file, size_t size, const struct boot_request *req,
		     struct boot_image *out, GError **error)
{
	struct mb2_header h;
	if (!parse_header(file, size, &h, error))
		return false;
	struct boot_window w = { req->mem, 0, req->mem_size, PC_BOOT_DATA_ADDR };
	g_auto(boot_plan_t) p = { 0 };
	boot_plan_init(&p, file, size, &w);
	bool is_elf = size >= SELFMAG && memcmp(file, ELFMAG, SELFMAG) == 0;
	if (h.have_address) {
		if (!address_tag_segment(&p, &h, error))
			return false;
		if (is_elf && !h.have_entry) {
			/* the ELF header's entry, taken as physical */
			g_auto(boot_plan_t) elf = { 0 };
			boot_plan_init(&elf, file, size, &w);
			if (!boot_elf_parse(&elf, 0, error))
				return false;
			p.entry = elf.entry;
			p.elf64 = elf.elf64;
		}
	} else if (is_elf) {
		if (!boot_elf_parse(&p, 0, error))
			return false;
	} else {
		g_set_error(error, BOOT_ERROR, 1,
			    "neither an ELF file nor a multiboot2 header with an address tag");
		return false;
	}
	if (h.have_entry)
		p.entry = h.entry_addr;
	else if (!is_elf) {
		g_set_error(error, BOOT_ERROR, 1, "multiboot2 header has an address tag but no entry address tag");
		return false;
	}
	if (h.have_reloc && !relocate(&p, &h, error))
		return false;
	if (!boot_plan_check_kernel(&p, error))
		return false;
	if (p.entry >= req->mem_size || p.entry > UINT32_MAX) {
		g_set_error(error, BOOT_ERROR, 1,
			    "entry point 0x%" G_GINT64_MODIFIER "x is outside guest memory", p.entry);
		return false;
	}

	struct mb2_info_args a = { .req = req, .h = &h, .load_base = p.load_start };
	if (req->acpi_rsdp && !read_rsdp(req, &a.rsdp_tag, &a.rsdp_len, error))
		return false;
	g_autoptr(GByteArray) sizing = mb2_build_info(&a);
	uint64_t info;
	if (!boot_plan_area(&p, sizing->len, BOOT_PAGE, false, "multiboot2 information", &info, error))
		return false;
	if (req->initrd && !boot_plan_area(&p, MAX(req->initrd_size, 1), BOOT_PAGE, false,
					   "multiboot2 module (the initrd)", &a.mod_addr, error))
		return false;
	g_autoptr(GByteArray) mbi = mb2_build_info(&a);

	boot_write_multiboot(req, &p, info, mbi, a.mod_addr, MB2_BOOTLOADER_MAGIC, out);
	return true;
}
