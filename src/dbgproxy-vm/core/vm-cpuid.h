/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-cpuid.h - the CPUID a vCPU reports, fitted to the VM it is in.
 *
 * KVM_GET_SUPPORTED_CPUID describes what KVM can virtualise, and its
 * topology leaves are the host's: a guest given one vCPU on a two-core
 * host read "2 cores" from leaf 4 and leaf 0xB and went looking for the
 * second.  cpuid_fit_vcpu() rewrites every leaf a kernel reads to count
 * and number processors so that the package has exactly nvcpus cores of
 * one thread each, and this vCPU is the one with APIC id `index`
 * (as the MP table and the MADT say, vm-firmware.h):
 *
 *  - leaf 1: EBX[31:24] initial APIC id, EBX[23:16] logical processors
 *    per package, EDX.HTT (bit 28) set when there is more than one;
 *  - leaf 4 (Intel caches): EAX[31:26] cores per package - 1, EAX[25:14]
 *    threads sharing the cache - 1 (all for a cache of level 3 or above,
 *    one for the per-core levels 1 and 2);
 *  - leaves 0xB and 0x1F (extended topology): level 0 SMT with one
 *    thread, level 1 core with nvcpus, higher levels invalid, EDX the
 *    x2APIC id (Intel SDM Vol. 2A, CPUID; 0x1F only keeps the two levels);
 *  - leaf 0x80000008 ECX (AMD): NC = nvcpus - 1 and ApicIdCoreIdSize;
 *  - leaf 0x80000001 ECX.CmpLegacy (bit 1), set when there are several
 *    cores, and leaf 0x8000001E (AMD): one thread per core, EAX the APIC
 *    id, one node.
 *
 * Everything else (features, caches' sizes, the vendor) is left as
 * supported.  Pure: no KVM, no I/O.
 */
#ifndef VM_CPUID_H
#define VM_CPUID_H

#include <stddef.h>
#include <stdint.h>

/* One CPUID leaf/subleaf result; the layout of struct kvm_cpuid_entry2's
 * first six fields is not assumed: the caller copies. */
struct cpuid_leaf {
	uint32_t function;
	uint32_t index;   /* the subleaf (ECX on input) */
	uint32_t eax, ebx, ecx, edx;
};

/* Number of bits an APIC id needs for n processors: ceil(log2(n)). */
unsigned cpuid_id_bits(unsigned n);

/* Rewrite the topology in e[0..n) for vCPU `index` of nvcpus (>= 1). */
void cpuid_fit_vcpu(struct cpuid_leaf *e, size_t n, unsigned index, unsigned nvcpus);

#endif
