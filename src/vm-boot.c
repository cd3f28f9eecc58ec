/*
 * vm-boot.c - multiboot v1 loader (Multiboot Specification 0.6.96, 3.1 OS
 * image format, 3.2 machine state, 3.3 boot information format).
 *
 * Like QEMU, an ELF image is loaded by its program headers at their
 * physical addresses; the a.out-kludge address fields are used only for
 * non-ELF images.  ELF64 is accepted as well as ELF32 (QEMU accepts only
 * ELF32), so a 64-bit kernel with symbols can be booted as built.
 */
#include "vm-boot.h"

#include <elf.h>
#include <string.h>

#define BOOT_ERROR g_quark_from_static_string("multiboot")

/* Multiboot information flags (3.3). */
#define MBI_MEM         (1u << 0)
#define MBI_CMDLINE     (1u << 2)
#define MBI_MMAP        (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *mem, uint64_t addr, uint32_t v)
{
	memcpy(mem + addr, &v, 4);
}

static void put64(uint8_t *mem, uint64_t addr, uint64_t v)
{
	memcpy(mem + addr, &v, 8);
}

/* Copy filesz bytes from the file and zero up to memsz, after checking
 * both ranges. */
static bool load_segment(const uint8_t *file, size_t size, const struct boot_window *w,
			 uint64_t offset, uint64_t filesz, uint64_t paddr, uint64_t memsz,
			 struct boot_image *img, GError **error)
{
	if (filesz > memsz || offset > size || size - offset < filesz) {
		g_set_error(error, BOOT_ERROR, 1,
			    "segment at file offset 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER
			    "x lies outside the %zu-byte file", offset, filesz, size);
		return false;
	}
	if (paddr < w->base || paddr - w->base > w->size || w->size - (paddr - w->base) < memsz) {
		g_set_error(error, BOOT_ERROR, 1,
			    "segment [0x%" G_GINT64_MODIFIER "x, +0x%" G_GINT64_MODIFIER
			    "x) does not fit in guest memory [0x%" G_GINT64_MODIFIER "x, +%" G_GUINT64_FORMAT
			    " MiB)", paddr, memsz, w->base, w->size >> 20);
		return false;
	}
	if (memsz == 0)
		return true;
	if (paddr < w->reserved_end) {
		g_set_error(error, BOOT_ERROR, 1,
			    "segment at 0x%" G_GINT64_MODIFIER "x overlaps the boot area below 0x%"
			    G_GINT64_MODIFIER "x", paddr, w->reserved_end);
		return false;
	}
	memcpy(w->mem + (paddr - w->base), file + offset, filesz);
	memset(w->mem + (paddr - w->base) + filesz, 0, memsz - filesz);
	if (img->load_end == 0 || paddr < img->load_start)
		img->load_start = paddr;
	if (paddr + memsz > img->load_end)
		img->load_end = paddr + memsz;
	return true;
}

/* An entry point given as a virtual address inside a segment whose
 * physical address differs is moved to that physical address. */
static uint64_t entry_to_physical(uint64_t entry, uint64_t vaddr, uint64_t paddr,
				  uint64_t memsz, uint64_t current)
{
	if (entry >= vaddr && entry - vaddr < memsz)
		return paddr + (entry - vaddr);
	return current;
}

bool elf_load(const uint8_t *file, size_t size, const struct boot_window *w, unsigned want_machine,
	      struct boot_image *img, GError **error)
{
	if (size < SELFMAG || memcmp(file, ELFMAG, SELFMAG) != 0) {
		g_set_error(error, BOOT_ERROR, 1, "not an ELF file");
		return false;
	}
	bool is64 = file[EI_CLASS] == ELFCLASS64;
	if ((file[EI_CLASS] != ELFCLASS32 && !is64) || file[EI_DATA] != ELFDATA2LSB) {
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
	if (phentsize != want || phnum == 0 || phoff > size ||
	    (size - phoff) / want < phnum) {
		g_set_error(error, BOOT_ERROR, 1, "ELF program headers lie outside the file");
		return false;
	}
	img->elf64 = is64;
	img->entry = entry;
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
		if (!load_segment(file, size, w, off, filesz, paddr, memsz, img, error))
			return false;
		if (vaddr != paddr)
			img->entry = entry_to_physical(entry, vaddr, paddr, memsz, img->entry);
		loaded++;
	}
	if (loaded == 0) {
		g_set_error(error, BOOT_ERROR, 1, "ELF file has no loadable segment");
		return false;
	}
	return true;
}

/* 3.1.3: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
static bool load_aout_kludge(const uint8_t *file, size_t size, size_t hdr_off,
			     const struct boot_window *w, struct boot_image *img, GError **error)
{
	if (size - hdr_off < 32) {
		g_set_error(error, BOOT_ERROR, 1, "multiboot address fields truncated");
		return false;
	}
	uint32_t header_addr = le32(file + hdr_off + 12);
	uint32_t load_addr = le32(file + hdr_off + 16);
	uint32_t load_end = le32(file + hdr_off + 20);
	uint32_t bss_end = le32(file + hdr_off + 24);
	img->entry = le32(file + hdr_off + 28);
	if (header_addr < load_addr || header_addr - load_addr > hdr_off) {
		g_set_error(error, BOOT_ERROR, 1, "multiboot header_addr below load_addr");
		return false;
	}
	uint64_t file_off = hdr_off - (header_addr - load_addr);
	uint64_t filesz = load_end ? (uint64_t)load_end - load_addr : size - file_off;
	if (load_end && load_end < load_addr) {
		g_set_error(error, BOOT_ERROR, 1, "multiboot load_end_addr below load_addr");
		return false;
	}
	uint64_t memsz = filesz;
	if (bss_end) {
		if (bss_end < load_addr + filesz) {
			g_set_error(error, BOOT_ERROR, 1, "multiboot bss_end_addr below the loaded image");
			return false;
		}
		memsz = (uint64_t)bss_end - load_addr;
	}
	return load_segment(file, size, w, file_off, filesz, load_addr, memsz, img, error);
}

/* The flat GDT the loader leaves for the guest: null, null, code, data. */
static void build_gdt(uint8_t *mem)
{
	put64(mem, BOOT_GDT_ADDR + 0x00, 0);
	put64(mem, BOOT_GDT_ADDR + 0x08, 0);
	put64(mem, BOOT_GDT_ADDR + BOOT_GDT_CODE_SEL, 0x00cf9b000000ffffull); /* 32-bit code, 4 GiB */
	put64(mem, BOOT_GDT_ADDR + BOOT_GDT_DATA_SEL, 0x00cf93000000ffffull); /* data, 4 GiB */
}

static void build_mbi(uint8_t *mem, uint64_t mem_size, const char *cmdline)
{
	memset(mem + BOOT_MBI_ADDR, 0, BOOT_AREA_END - BOOT_MBI_ADDR);
	uint64_t upper = mem_size > 0x100000 ? mem_size - 0x100000 : 0;
	put32(mem, BOOT_MBI_ADDR + 0, MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME);
	put32(mem, BOOT_MBI_ADDR + 4, 639);                      /* mem_lower, KiB */
	put32(mem, BOOT_MBI_ADDR + 8, (uint32_t)MIN(upper >> 10, 0xffffffffu)); /* mem_upper */

	size_t n = strnlen(cmdline, BOOT_MMAP_ADDR - BOOT_CMDLINE_ADDR - 1);
	memcpy(mem + BOOT_CMDLINE_ADDR, cmdline, n);
	put32(mem, BOOT_MBI_ADDR + 16, BOOT_CMDLINE_ADDR);

	/* mmap: entries of {u32 size(=20), u64 base, u64 length, u32 type} */
	uint64_t e = BOOT_MMAP_ADDR;
	put32(mem, e + 0, 20);
	put64(mem, e + 4, 0);
	put64(mem, e + 12, 0x9fc00);
	put32(mem, e + 20, 1);
	e += 24;
	put32(mem, e + 0, 20);
	put64(mem, e + 4, 0x100000);
	put64(mem, e + 12, upper);
	put32(mem, e + 20, 1);
	e += 24;
	put32(mem, BOOT_MBI_ADDR + 44, (uint32_t)(e - BOOT_MMAP_ADDR)); /* mmap_length */
	put32(mem, BOOT_MBI_ADDR + 48, BOOT_MMAP_ADDR);                 /* mmap_addr */

	static const char loader[] = "dbgproxy-vm";
	memcpy(mem + BOOT_LOADER_ADDR, loader, sizeof(loader));
	put32(mem, BOOT_MBI_ADDR + 64, BOOT_LOADER_ADDR);
}

bool multiboot_load(const uint8_t *file, size_t size, uint8_t *mem, uint64_t mem_size,
		    const char *cmdline, struct boot_image *out, GError **error)
{
	memset(out, 0, sizeof(*out));
	if (mem_size < 2u << 20) {
		g_set_error(error, BOOT_ERROR, 1, "guest memory below 2 MiB");
		return false;
	}
	size_t limit = MIN(size, (size_t)MB_HEADER_SEARCH);
	size_t hdr = SIZE_MAX;
	for (size_t off = 0; off + 12 <= limit; off += 4) {
		uint32_t magic = le32(file + off), flags = le32(file + off + 4);
		uint32_t sum = le32(file + off + 8);
		if (magic == MB_HEADER_MAGIC && (uint32_t)(magic + flags + sum) == 0) {
			hdr = off;
			break;
		}
	}
	if (hdr == SIZE_MAX) {
		g_set_error(error, BOOT_ERROR, 1,
			    "no multiboot header (magic 0x%08x with a valid checksum) in the first %u bytes",
			    MB_HEADER_MAGIC, MB_HEADER_SEARCH);
		return false;
	}
	uint32_t flags = le32(file + hdr + 4);
	/* Bits 0-15 that we do not implement are "must honour" requirements (3.1.2);
	 * we honour 0 (page alignment of modules: there are none) and 1 (memory info). */
	uint32_t required = flags & 0xffff & ~0x3u;
	if (required) {
		g_set_error(error, BOOT_ERROR, 1,
			    "kernel requires multiboot features 0x%x this loader does not provide (video mode?)",
			    required);
		return false;
	}
	bool ok;
	struct boot_window w = { mem, 0, mem_size, BOOT_AREA_END };
	if (size >= 4 && memcmp(file, ELFMAG, SELFMAG) == 0)
		ok = elf_load(file, size, &w, 0, out, error);
	else if (flags & MB_FLAG_AOUT_KLUDGE)
		ok = load_aout_kludge(file, size, hdr, &w, out, error);
	else {
		g_set_error(error, BOOT_ERROR, 1,
			    "neither an ELF file nor a multiboot header with address fields");
		ok = false;
	}
	if (!ok)
		return false;
	if (out->entry >= mem_size) {
		g_set_error(error, BOOT_ERROR, 1,
			    "entry point 0x%" G_GINT64_MODIFIER "x is outside guest memory", out->entry);
		return false;
	}
	build_gdt(mem);
	build_mbi(mem, mem_size, cmdline ? cmdline : "");
	out->mbi = BOOT_MBI_ADDR;
	return true;
}
