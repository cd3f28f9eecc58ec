/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * kvm-probe.h - what this host's KVM really does with debug events, found
 * by running a few instructions in a throw-away VM (nested and software KVMs
 * differ from hardware: kvm_pvm fails to emulate int3, QEMU's emulated SVM
 * delivers int3 to the guest, some accept data breakpoints and never fire).
 */
#ifndef DBGPROXY_KVM_PROBE_H
#define DBGPROXY_KVM_PROBE_H

#include <stdbool.h>
#include <glib.h>

enum kvm_int3_mode {
	KVM_INT3_UNKNOWN = 0,     /* the probe could not run */
	KVM_INT3_DEBUG_EXIT,      /* KVM_EXIT_DEBUG with #BP: the standard path */
	KVM_INT3_INTERNAL_ERROR,  /* KVM_EXIT_INTERNAL_ERROR at the int3 (kvm_pvm) */
	KVM_INT3_TO_GUEST,        /* #BP reaches the guest: breakpoints cannot be trapped */
};

enum kvm_probe_result {
	KVM_PROBE_UNKNOWN = 0, /* could not be tried */
	KVM_PROBE_YES,
	KVM_PROBE_NO,
};

struct kvm_probe {
	enum kvm_int3_mode int3;
	enum kvm_probe_result hw_exec;   /* a DR0 execute breakpoint stops the vCPU */
	enum kvm_probe_result hw_write;  /* a DR0 write watchpoint stops the vCPU */
	enum kvm_probe_result single_step;
	enum kvm_probe_result x87;       /* x87 FPU instructions run (fldz; fstp) */
	enum kvm_probe_result x87_vm;    /* they do in dbgproxy-vm's guests: natively,
					  * or completed on the host CPU */
	char detail[160];                /* what the last surprising probe saw */
};

/* How int3 behaves under KVM_GUESTDBG_USE_SW_BP on the host behind kvm_fd. */
enum kvm_int3_mode kvm_probe_int3(int kvm_fd, char *detail, size_t detail_len);

/* Every probe; false with error when /dev/kvm cannot be used at all. */
/* Does a DR0 write watchpoint stop a vCPU of this host (a throw-away VM)? */
enum kvm_probe_result kvm_probe_hw_write(int kvm_fd, char *detail, size_t detail_len);
/* Does a DR0 execution breakpoint stop a vCPU here?  (a throw-away VM) */
enum kvm_probe_result kvm_probe_hw_exec(int kvm_fd, char *detail, size_t detail_len);

/* Do x87 FPU instructions run in a guest here?  kvm_pvm ends KVM_RUN with
 * an emulation failure at each (only those KVM's emulator knows, FNINIT,
 * FNSTSW, FNSTCW, pass): kernels that use the FPU stop at the first. */
enum kvm_probe_result kvm_probe_x87(int kvm_fd, char *detail, size_t detail_len);
/* Where they do not: does the VM's completion (each run on the host CPU
 * with the guest's state, KVM_GET_FPU/KVM_SET_FPU) work on this host? */
enum kvm_probe_result kvm_probe_x87_completed(int kvm_fd, char *detail, size_t detail_len);

bool kvm_probe_all(const char *dev, struct kvm_probe *out, GError **error);

const char *kvm_int3_mode_name(enum kvm_int3_mode m);

#endif
