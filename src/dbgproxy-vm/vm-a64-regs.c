/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-a64-regs.c - the simulated AArch64 machine's registers as vmdbg
 * serves them (vm-a64.c has the other calls): KVM's own arm64 register
 * ids — core registers, the system registers the vCPU has, SVE when the
 * machine has it — read and written while the vCPU is stopped.
 */
#include "vm-a64-priv.h"

#include <string.h>

static const struct {
	uint64_t id;
	uint64_t reset;
} sysregs[NR_SYSREGS] = {
	/* MIDR_EL1 implementer 0x00 is "reserved for software use": a simulator */
	[SR_MIDR]       = { VMDBG_ARM64_SYSREG(3, 0, 0, 0, 0), 0 },
	[SR_MPIDR]      = { VMDBG_ARM64_SYSREG(3, 0, 0, 0, 5), 1ull << 31 }, /* RES1; Aff0 added */
	[SR_SCTLR]      = { VMDBG_ARM64_SYSREG(3, 0, 1, 0, 0), 0x30d00800ull }, /* RES1 bits, MMU off */
	[SR_CPACR]      = { VMDBG_ARM64_SYSREG(3, 0, 1, 0, 2), 0 },
	[SR_TTBR0]      = { VMDBG_ARM64_SYSREG(3, 0, 2, 0, 0), 0 },
	[SR_TTBR1]      = { VMDBG_ARM64_SYSREG(3, 0, 2, 0, 1), 0 },
	[SR_TCR]        = { VMDBG_ARM64_SYSREG(3, 0, 2, 0, 2), 0 },
	[SR_ESR]        = { VMDBG_ARM64_SYSREG(3, 0, 5, 2, 0), 0 },
	[SR_FAR]        = { VMDBG_ARM64_SYSREG(3, 0, 6, 0, 0), 0 },
	[SR_MAIR]       = { VMDBG_ARM64_SYSREG(3, 0, 10, 2, 0), 0 },
	[SR_VBAR]       = { VMDBG_ARM64_SYSREG(3, 0, 12, 0, 0), 0 },
	[SR_CONTEXTIDR] = { VMDBG_ARM64_SYSREG(3, 0, 13, 0, 1), 0 },
	[SR_TPIDR_EL1]  = { VMDBG_ARM64_SYSREG(3, 0, 13, 0, 4), 0 },
	[SR_TPIDR_EL0]  = { VMDBG_ARM64_SYSREG(3, 3, 13, 0, 2), 0 },
	[SR_MDSCR]      = { VMDBG_ARM64_SYSREG(2, 0, 0, 2, 2), 0 },
};

uint64_t sim_sysreg_reset(unsigned k)
{
	return sysregs[k].reset;
}

/* ---- registers ------------------------------------------------------------------------ */

/* Where a register id's value lives in a vCPU (PSTATE is composed, and
 * returns NULL with *special set).  NULL for an id the vCPU lacks. */
void *sim_reg_storage(struct vm_a64 *vm, struct sim_vcpu *v, uint64_t id, bool *pstate)
{
	*pstate = false;
	for (unsigned n = 0; n < 31; n++)
		if (id == VMDBG_ARM64_X(n))
			return &v->cpu.x[n];
	if (id == VMDBG_ARM64_SP)
		return &v->sp_el0;
	if (id == VMDBG_ARM64_SP_EL1)
		return &v->cpu.sp;
	if (id == VMDBG_ARM64_PC)
		return &v->cpu.pc;
	if (id == VMDBG_ARM64_PSTATE) {
		*pstate = true;
		return NULL;
	}
	if (id == VMDBG_ARM64_ELR_EL1)
		return &v->elr_el1;
	for (unsigned i = 0; i < NR_SPSR; i++)
		if (id == VMDBG_ARM64_SPSR(i))
			return &v->spsr[i];
	if (id == VMDBG_ARM64_FPSR)
		return &v->cpu.fpsr;
	if (id == VMDBG_ARM64_FPCR)
		return &v->cpu.fpcr;
	for (unsigned i = 0; i < NR_SYSREGS; i++)
		if (id == sysregs[i].id)
			return &v->sys[i];
	for (unsigned n = 0; n < 32; n++) {
		/* with SVE, KVM serves the V registers only as the low bits of Z */
		if (!v->sve_vl && id == VMDBG_ARM64_V(n))
			return v->cpu.v[n];
		if (v->sve_vl && id == VMDBG_ARM64_ZREG(n))
			return v->z[n];
	}
	if (v->sve_vl) {
		for (unsigned n = 0; n < 16; n++)
			if (id == VMDBG_ARM64_PREG(n))
				return v->p[n];
		if (id == VMDBG_ARM64_FFR)
			return v->ffr;
	}
	return NULL;
}

static void list_ids(const struct sim_vcpu *v, GArray *ids)
{
	uint64_t id;
	for (unsigned n = 0; n < 31; n++) {
		id = VMDBG_ARM64_X(n);
		g_array_append_val(ids, id);
	}
	const uint64_t core[] = { VMDBG_ARM64_SP, VMDBG_ARM64_PC, VMDBG_ARM64_PSTATE,
				  VMDBG_ARM64_SP_EL1, VMDBG_ARM64_ELR_EL1 };
	g_array_append_vals(ids, core, G_N_ELEMENTS(core));
	for (unsigned i = 0; i < NR_SPSR; i++) {
		id = VMDBG_ARM64_SPSR(i);
		g_array_append_val(ids, id);
	}
	for (unsigned n = 0; n < 32 && !v->sve_vl; n++) {
		id = VMDBG_ARM64_V(n);
		g_array_append_val(ids, id);
	}
	const uint64_t fp[] = { VMDBG_ARM64_FPSR, VMDBG_ARM64_FPCR };
	g_array_append_vals(ids, fp, G_N_ELEMENTS(fp));
	if (v->sve_vl) {
		for (unsigned n = 0; n < 32; n++) {
			id = VMDBG_ARM64_ZREG(n);
			g_array_append_val(ids, id);
		}
		for (unsigned n = 0; n < 16; n++) {
			id = VMDBG_ARM64_PREG(n);
			g_array_append_val(ids, id);
		}
		id = VMDBG_ARM64_FFR;
		g_array_append_val(ids, id);
		id = VMDBG_ARM64_SVE_VLS;
		g_array_append_val(ids, id);
	}
	for (unsigned i = 0; i < NR_SYSREGS; i++)
		g_array_append_val(ids, sysregs[i].id);
}

bool a64_reg_list(struct vm *base, uint32_t vcpu, GArray *ids, GError **error)
{
	struct vm_a64 *vm = of(base);
	if (!vm_check_vcpu(vm->nr_vcpus, vcpu, error))
		return false;
	list_ids(&vm->vcpus[vcpu], ids);
	return true;
}

/* KVM_REG_ARM64_SVE_VLS: the one vector length the vCPU has. */
static void append_sve_vls(const struct sim_vcpu *v, GByteArray *values)
{
	uint64_t vls[8] = { 0 };
	unsigned vq = v->sve_vl / 128;
	vls[(vq - 1) / 64] = GUINT64_TO_LE(1ull << ((vq - 1) % 64));
	g_byte_array_append(values, (const guint8 *)vls, sizeof(vls));
}

bool a64_get_regs(struct vm *base, uint32_t vcpu, const uint64_t *ids, uint32_t count,
			 GByteArray *values, GError **error)
{
	struct vm_a64 *vm = of(base);
	if (count == 1 && ids[0] == VMDBG_ARM64_SVE_VLS && vcpu < vm->nr_vcpus &&
	    vm->vcpus[vcpu].sve_vl) {
		append_sve_vls(&vm->vcpus[vcpu], values);  /* configuration: no lock, no stop needed */
		return true;
	}
	sim_ctl_lock(vm);
	struct sim_vcpu *v = sim_stopped_vcpu(vm, vcpu, error);
	bool ok = v != NULL;
	for (uint32_t i = 0; ok && i < count; i++) {
		bool pstate;
		void *p = sim_reg_storage(vm, v, ids[i], &pstate);
		uint32_t bytes = vmdbg_reg_bytes(ids[i]);
		if (pstate) {
			uint64_t val = GUINT64_TO_LE(sim_pstate_of(v));
			g_byte_array_append(values, (const guint8 *)&val, sizeof(val));
		} else if (v->sve_vl && ids[i] == VMDBG_ARM64_SVE_VLS) {
			append_sve_vls(v, values);
		} else if (p) {
			g_byte_array_append(values, p, bytes);
		} else {
			g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
				    "register id 0x%016" G_GINT64_MODIFIER "x is not one of vCPU %u's",
				    ids[i], vcpu);
			ok = false;
		}
	}
	sim_ctl_unlock(vm);
	return ok;
}

/* Is a new value of a register acceptable?  Only PSTATE and the SVE
 * registers have bits the simulated vCPU cannot take. */
static bool value_ok(const struct sim_vcpu *v, uint64_t id, const uint8_t *val, GError **error)
{
	if (id == VMDBG_ARM64_PSTATE) {
		uint64_t ps;
		memcpy(&ps, val, sizeof(ps));
		ps = GUINT64_FROM_LE(ps);
		if ((ps & ~(PSTATE_NZCV_MASK | PSTATE_DAIF_MASK | PSTATE_M_MASK)) != 0 ||
		    (ps & PSTATE_M_MASK) != PSTATE_M_EL1H) {
			g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
				    "pstate 0x%" G_GINT64_MODIFIER "x: the simulated vCPU runs only "
				    "at EL1h in AArch64 (M = 0x5) and keeps only NZCV and DAIF", ps);
			return false;
		}
		return true;
	}
	if ((id & VMDBG_ARM64_GROUP_MASK) != VMDBG_ARM64_SVE_GROUP)
		return true;
	/* Z: vl/8 bytes of a 256-byte container; P and FFR: vl/64 of 32 */
	unsigned used = vmdbg_reg_bytes(id) == 256 ? v->sve_vl / 8 : v->sve_vl / 64;
	for (unsigned b = used; b < vmdbg_reg_bytes(id); b++)
		if (val[b]) {
			g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
				    "register id 0x%016" G_GINT64_MODIFIER "x: bits past the %u-bit "
				    "vector length must be zero", id, v->sve_vl);
			return false;
		}
	return true;
}

bool a64_set_regs(struct vm *base, const struct vmdbg_reg_vals *vals, GError **error)
{
	struct vm_a64 *vm = of(base);
	sim_ctl_lock(vm);
	struct sim_vcpu *v = sim_stopped_vcpu(vm, vals->vcpu, error);
	bool ok = v != NULL;
	/* check all, then apply all */
	for (int pass = 0; ok && pass < 2; pass++) {
		size_t off = 0;
		for (uint32_t i = 0; ok && i < vals->count; i++) {
			uint64_t id;
			const uint8_t *val;
			uint32_t size;
			vmdbg_regvals_next(vals, &off, &id, &val, &size);
			bool pstate;
			void *p = sim_reg_storage(vm, v, id, &pstate);
			if (pass == 0) {
				if (v->sve_vl && id == VMDBG_ARM64_SVE_VLS) {
					g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
						    "KVM_REG_ARM64_SVE_VLS is fixed when the VM is "
						    "created (--sve-vl); nothing was changed");
					ok = false;
				} else if (!p && !pstate) {
					g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
						    "register id 0x%016" G_GINT64_MODIFIER
						    "x is not one of vCPU %u's; nothing was changed",
						    id, vals->vcpu);
					ok = false;
				} else {
					ok = value_ok(v, id, val, error);
				}
			} else if (pstate) {
				uint64_t ps;
				memcpy(&ps, val, sizeof(ps));
				ps = GUINT64_FROM_LE(ps);
				v->cpu.nzcv = (uint32_t)(ps & PSTATE_NZCV_MASK);
				v->daif = ps & PSTATE_DAIF_MASK;
			} else {
				memcpy(p, val, vmdbg_reg_bytes(id));
			}
		}
	}
	sim_ctl_unlock(vm);
	return ok;
}
