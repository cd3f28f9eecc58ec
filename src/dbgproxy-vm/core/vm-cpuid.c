/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-cpuid.c - CPUID topology leaves fitted to the VM (vm-cpuid.h).
 */
#include "vm-cpuid.h"

unsigned cpuid_id_bits(unsigned n)
{
	unsigned bits = 0;
	while (bits < 32 && (1ull << bits) < n)
		bits++;
	return bits;
}

static void fit_extended_topology(struct cpuid_leaf *e, unsigned index, unsigned nvcpus)
{
	/* ECX[15:8] level type: 1 SMT, 2 core; ECX[7:0] the level number;
	 * EAX[4:0] how far to shift the x2APIC id to get the next level's id;
	 * EBX[15:0] logical processors at this level */
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = 1u << 8;
		break;
	case 1:
		e->eax = cpuid_id_bits(nvcpus);
		e->ebx = nvcpus;
		e->ecx = (2u << 8) | 1u;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index & 0xffu; /* type 0: invalid, no more levels */
		break;
	}
	e->edx = index;
}

void cpuid_fit_vcpu(struct cpuid_leaf *e, size_t n, unsigned index, unsigned nvcpus)
{
	if (nvcpus == 0)
		nvcpus = 1;
	for (size_t i = 0; i < n; i++) {
		struct cpuid_leaf *l = &e[i];
		switch (l->function) {
		case 1: {
			unsigned count = nvcpus > 255 ? 255 : nvcpus;
			l->ebx = (l->ebx & 0x0000ffffu) | ((index & 0xffu) << 24) | (count << 16);
			if (nvcpus > 1)
				l->edx |= 1u << 28;
			else
				l->edx &= ~(1u << 28);
			break;
		}
		case 4: {
			unsigned type = l->eax & 0x1fu, level = (l->eax >> 5) & 7u;
			if (type == 0) /* no more caches */
				break;
			/* 12 bits of sharing threads, 6 of cores */
			unsigned cores = nvcpus > 64 ? 64 : nvcpus;
			unsigned sharing = level >= 3 ? (nvcpus > 4096 ? 4096 : nvcpus) : 1;
			l->eax = (l->eax & 0x3fffu) | ((sharing - 1) << 14) | ((cores - 1) << 26);
			break;
		}
		case 0xb:
		case 0x1f:
			fit_extended_topology(l, index, nvcpus);
			break;
		case 0x80000001:
			if (nvcpus > 1)
				l->ecx |= 1u << 1;
			else
				l->ecx &= ~(1u << 1);
			break;
		case 0x80000008:
			/* ECX[7:0] NC, [15:12] ApicIdCoreIdSize (0: derive from NC) */
			l->ecx = (l->ecx & ~0xf0ffu) | ((nvcpus - 1) & 0xffu) |
				 ((cpuid_id_bits(nvcpus) & 0xfu) << 12);
			break;
		case 0x8000001e:
			/* EAX extended APIC id; EBX[15:8] threads per core - 1, [7:0]
			 * core id; ECX[10:8] nodes per processor - 1, [7:0] node id */
			l->eax = index;
			l->ebx = index & 0xffu;
			l->ecx = 0;
			break;
		default:
			break;
		}
	}
}
