/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-boot-priv.h - what the boot loaders (vm-boot.c, vm-boot-mb2.c,
 * vm-boot-linux.c) share: the load plan, the boot-data placement, the boot
 * GDT and little-endian accessors.  Not for other callers.
 *
 * A load is a plan first: the kernel's segments (file range -> physical
 * range), then the areas for the boot information, each checked against
 * guest memory and everything already placed.  Only a complete plan is
 * written to guest memory, so a refused image changes nothing.
 */
#ifndef VM_BOOT_PRIV_H
#define VM_BOOT_PRIV_H

#include <string.h>

#include "vm-boot.h"

#define BOOT_ERROR boot_error_quark()
GQuark boot_error_quark(void);

#define BOOT_PAGE   0x1000u
#define BOOT_4GIB   0x100000000ull

/* Copy file bytes [file_off, +filesz) to guest-physical paddr, then zero up to memsz. */
struct boot_seg {
	uint64_t file_off, filesz, paddr, memsz;
};

struct boot_range {
	uint64_t start, end;
};

struct boot_plan {
	const uint8_t *file;
	size_t size;
	struct boot_window w;
	GArray *segs;        /* struct boot_seg: the kernel */
	GArray *used;        /* struct boot_range, sorted by start: all that is placed */
	uint64_t entry;      /* physical */
	bool elf64;
	uint64_t load_start, load_end; /* hull of the kernel, after boot_plan_check_kernel */
};

typedef struct boot_plan boot_plan_t;
void boot_plan_init(struct boot_plan *p, const uint8_t *file, size_t size, const struct boot_window *w);
void boot_plan_clear(struct boot_plan *p);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(boot_plan_t, boot_plan_clear)

/* Add a kernel segment after checking its file range (memsz 0 is allowed
 * and takes no memory). */
bool boot_plan_add_segment(struct boot_plan *p, uint64_t file_off, uint64_t filesz, uint64_t paddr,
			   uint64_t memsz, GError **error);

/* The PT_LOAD segments of an ELF executable, and its entry point moved to
 * the physical address of the segment holding it.  want_machine as for
 * elf_load(). */
bool boot_elf_parse(struct boot_plan *p, unsigned want_machine, GError **error);

/* Move every segment and the entry point by delta (multiboot2 relocation). */
void boot_plan_relocate(struct boot_plan *p, uint64_t delta);

/* Check every segment against the window and the others; on success the
 * segments are placed (in p->used) and load_start/load_end set. */
bool boot_plan_check_kernel(struct boot_plan *p, GError **error);

/* Place size bytes aligned to align: the lowest gap in
 * [PC_BOOT_DATA_ADDR, PC_BASE_MEM_END) that overlaps nothing placed, else
 * (unless low_only) right above the highest byte placed (at least
 * PC_HIGH_MEM) and below 4 GiB.  what names the area in the error. */
bool boot_plan_area(struct boot_plan *p, uint64_t size, uint64_t align, bool low_only, const char *what,
		    uint64_t *addr, GError **error);

/* Mark [start, end) as placed. */
void boot_plan_take(struct boot_plan *p, uint64_t start, uint64_t end);

/* Write the kernel's segments into guest memory. */
void boot_plan_write_kernel(const struct boot_plan *p);

/* Write the boot GDT (null, null, code, data) at PC_GDT_ADDR. */
void boot_write_gdt(uint8_t *mem, enum boot_cpu_mode mode);

/* Both multiboot protocols, once the plan is complete: write the kernel,
 * the GDT, the information (mbi at info) and module 0 (the initrd, at
 * mod), and describe the 32-bit entry with EAX = magic, EBX = info. */
void boot_write_multiboot(const struct boot_request *req, const struct boot_plan *p,
			  uint64_t info, const GByteArray *mbi, uint64_t mod, uint32_t magic,
			  struct boot_image *out);

/* The Multiboot2 and Linux loaders (boot_load() picks one). */
bool multiboot2_find_header(const uint8_t *file, size_t size, size_t *off);
bool multiboot2_load(const uint8_t *file, size_t size, const struct boot_request *req,
		     struct boot_image *out, GError **error);
bool linux_detect(const uint8_t *file, size_t size);
bool linux_load(const uint8_t *file, size_t size, const struct boot_request *req,
		struct boot_image *out, GError **error);

static inline uint64_t boot_align_up(uint64_t v, uint64_t align)
{
	if (align <= 1)
		return v;
	uint64_t r = v % align;
	return r ? v + (align - r) : v; /* callers keep v + align far below 2^64 */
}

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return GUINT32_FROM_LE(v);
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return GUINT64_FROM_LE(v);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	v = GUINT32_TO_LE(v);
	memcpy(p, &v, 4);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	v = GUINT64_TO_LE(v);
	memcpy(p, &v, 8);
}

/* Append to a boot-information buffer: n bytes, zero-filled, after
 * padding the buffer to align; returns the offset of the new bytes. */
static inline size_t info_append(GByteArray *b, size_t n, size_t align)
{
	size_t off = (size_t)boot_align_up(b->len, align);
	size_t old = b->len;
	g_byte_array_set_size(b, (guint)(off + n));
	memset(b->data + old, 0, off + n - old);
	return off;
}

#endif
