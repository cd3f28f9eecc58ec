/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * x86-paging.c - x86 page-table walker (Intel SDM Vol. 3A chapter 4:
 * 4.3 32-bit paging, 4.4 PAE paging, 4.5 4-level and 5-level paging).
 * Only translation is modelled: access rights and accessed/dirty bits are
 * ignored, because a debugger may read what the guest itself may not.
 */
#include "x86-paging.h"

#include <string.h>

#define PTE_P        (1ull << 0)
#define PTE_PS       (1ull << 7)
#define ADDR_MASK_52 0x000ffffffffff000ull

static bool read_entry(const uint8_t *mem, uint64_t mem_size, uint64_t gpa,
		       unsigned width, uint64_t *val)
{
	if (gpa > mem_size || mem_size - gpa < width)
		return false;
	uint64_t v = 0;
	memcpy(&v, mem + gpa, width); /* x86 is little-endian, as is the host */
	*val = v;
	return true;
}

static bool finish(uint64_t base, uint64_t page_size, uint64_t gva, uint64_t *gpa,
		   uint64_t *contig)
{
	uint64_t off = gva & (page_size - 1);
	*gpa = (base & ~(page_size - 1)) + off;
	*contig = page_size - off;
	return true;
}

/* 4.3: two levels of 4-byte entries, 4 MiB pages when CR4.PSE. */
static bool walk_32bit(const struct x86_paging *pg, const uint8_t *mem, uint64_t mem_size,
		       uint64_t gva, uint64_t *gpa, uint64_t *contig)
{
	uint64_t pde, pte;
	uint64_t pde_addr = (pg->cr3 & 0xfffff000ull) + ((gva >> 22) & 0x3ff) * 4;
	if (!read_entry(mem, mem_size, pde_addr, 4, &pde) || !(pde & PTE_P))
		return false;
	if ((pde & PTE_PS) && (pg->cr4 & X86_CR4_PSE)) {
		/* PSE-36: bits 20:13 hold physical address bits 39:32 */
		uint64_t base = (pde & 0xffc00000ull) | ((pde & 0x1fe000ull) << 19);
		return finish(base, 1ull << 22, gva, gpa, contig);
	}
	uint64_t pte_addr = (pde & 0xfffff000ull) + ((gva >> 12) & 0x3ff) * 4;
	if (!read_entry(mem, mem_size, pte_addr, 4, &pte) || !(pte & PTE_P))
		return false;
	return finish(pte & 0xfffff000ull, 4096, gva, gpa, contig);
}

/* 4.4 and 4.5: 8-byte entries; levels from the top, 2 MiB and 1 GiB pages
 * at the PD and PDPT levels. */
static bool walk_levels(uint64_t table, unsigned levels, const uint8_t *mem,
			uint64_t mem_size, uint64_t gva, uint64_t *gpa, uint64_t *contig)
{
	for (unsigned level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t entry;
		if (!read_entry(mem, mem_size, table + ((gva >> shift) & 0x1ff) * 8, 8, &entry) ||
		    !(entry & PTE_P))
			return false;
		if (level == 1)
			return finish(entry & ADDR_MASK_52, 4096, gva, gpa, contig);
		if ((level == 2 || level == 3) && (entry & PTE_PS))
			return finish(entry & ADDR_MASK_52, 1ull << shift, gva, gpa, contig);
		table = entry & ADDR_MASK_52;
	}
	return false;
}

bool x86_translate(const struct x86_paging *pg, const uint8_t *mem, uint64_t mem_size,
		   uint64_t gva, uint64_t *gpa, uint64_t *contig)
{
	bool long_mode = pg->efer & X86_EFER_LMA;

	if (!(pg->cr0 & X86_CR0_PG)) {
		uint64_t limit = long_mode ? UINT64_MAX : 0xffffffffull;
		if (gva > limit)
			return false;
		*gpa = gva;
		*contig = 4096 - (gva & 4095);
		return true;
	}
	if (long_mode) {
		unsigned bits = (pg->cr4 & X86_CR4_LA57) ? 57 : 48;
		/* canonical: bits 63..bits-1 all equal */
		int64_t sext = (int64_t)(gva << (64 - bits)) >> (64 - bits);
		if ((uint64_t)sext != gva)
			return false;
		unsigned levels = (pg->cr4 & X86_CR4_LA57) ? 5 : 4;
		return walk_levels(pg->cr3 & ADDR_MASK_52, levels, mem, mem_size, gva, gpa, contig);
	}
	if (gva > 0xffffffffull)
		return false;
	if (pg->cr4 & X86_CR4_PAE) {
		/* 4.4.1: four PDPTEs at CR3[31:5] */
		uint64_t pdpte;
		uint64_t addr = (pg->cr3 & 0xffffffe0ull) + ((gva >> 30) & 3) * 8;
		if (!read_entry(mem, mem_size, addr, 8, &pdpte) || !(pdpte & PTE_P))
			return false;
		return walk_levels(pdpte & ADDR_MASK_52, 2, mem, mem_size, gva, gpa, contig);
	}
	return walk_32bit(pg, mem, mem_size, gva, gpa, contig);
}
