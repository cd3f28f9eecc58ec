/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * x86-paging.h - guest-virtual to guest-physical translation for x86, done
 * by walking the guest's page tables in guest memory.  Pure: no KVM calls,
 * so it works from any thread while the vCPU is stopped, and is unit-tested
 * against hand-built page tables.
 */
#ifndef X86_PAGING_H
#define X86_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The control registers that select the paging mode (Intel SDM Vol. 3A
 * 4.1.1 "Four Paging Modes"). */
struct x86_paging {
	uint64_t cr0, cr3, cr4, efer;
};

#define X86_CR0_PE    (1ull << 0)
#define X86_CR0_PG    (1ull << 31)
#define X86_CR4_PSE   (1ull << 4)
#define X86_CR4_PAE   (1ull << 5)
#define X86_CR4_LA57  (1ull << 12)
#define X86_EFER_LMA  (1ull << 10)

/* Translate gva.  On success *gpa is the physical address and *contig the
 * number of bytes from gva to the end of its page (so callers can walk a
 * range page by page).  Fails when the address is not mapped, not
 * canonical, or the walk reads outside guest memory. */
bool x86_translate(const struct x86_paging *pg, const uint8_t *mem, uint64_t mem_size,
		   uint64_t gva, uint64_t *gpa, uint64_t *contig);

#endif
