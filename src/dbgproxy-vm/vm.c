/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm.c - choosing dbgproxy-vm's back end.
 */
#include "vm.h"

G_DEFINE_QUARK(dbgproxy-vm-error-quark, vm_error)

struct vm *vm_create(const struct vm_config *cfg, GError **error)
{
	switch (cfg->arch) {
	case VMDBG_ARCH_X86_64:
		return vm_kvm_create(cfg, error);
	case VMDBG_ARCH_AARCH64:
		return vm_a64_create(cfg, error);
	default:
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "no back end for architecture %u",
			    cfg->arch);
		return NULL;
	}
}

bool vm_check_vcpu(unsigned nr_vcpus, uint32_t index, GError **error)
{
	if (index < nr_vcpus)
		return true;
	g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "no vCPU %u (the VM has %u)", index, nr_vcpus);
	return false;
}

bool vm_resume_actions(unsigned nr_vcpus, const struct vmdbg_resume *r, uint32_t *actions,
		       struct vm_step_range *ranges, GError **error)
{
	for (unsigned i = 0; i < nr_vcpus; i++)
		actions[i] = r->default_action;
	for (uint32_t i = 0; i < r->count; i++) {
		struct vmdbg_resume_entry e = vmdbg_resume_get(r, i);
		if (!vm_check_vcpu(nr_vcpus, e.vcpu, error))
			return false;
		if (e.action == VMDBG_ACT_RANGE_STEP) {
			if (!ranges) {
				g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
					    "this VM does not offer range stepping");
				return false;
			}
			ranges[e.vcpu] = (struct vm_step_range){ e.start, e.end };
		}
		actions[e.vcpu] = e.action;
	}
	return true;
}
