/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * target-desc.c - what the VM's vCPUs are to the target (target-priv.h):
 * gdb's one target description (the richest vCPU's, or the user's), one
 * regset per CPU model (vCPUs with the same registers and configuration;
 * a model lacking some of the description's registers has them absent),
 * and a register cache per vCPU; rebuilt when the VM comes back or gdb
 * attaches in another mode (target_use_arch).
 */
#include <inttypes.h>
#include <string.h>

#include "target-priv.h"

static void free_caches(struct target *t)
{
	if (t->caches)
		for (uint32_t v = 0; v < t->nr_vcpus; v++)
			regcache_free(t->caches[v]);
	g_clear_pointer(&t->caches, g_free);
	g_clear_pointer(&t->paging, g_free);
	g_clear_pointer(&t->skip, g_free);
	g_clear_pointer(&t->skip_pc, g_free);
	t->nr_vcpus = 0;
}

void target_forget_vm(struct target *t)
{
	t->generation++;
	t->runs++;
	free_caches(t);
	if (t->tdesc != t->cfg.user_tdesc)
		tdesc_free(t->tdesc);
	t->tdesc = NULL;
	g_clear_pointer(&t->tdesc_error, g_free);
	if (t->regsets)
		g_ptr_array_unref(t->regsets);
	if (t->vcpu_regset)
		g_ptr_array_unref(t->vcpu_regset);
	t->regsets = t->vcpu_regset = NULL;
	t->arch = NULL;
}

struct config_of {
	const struct vmlink *link;
	uint32_t vcpu;
};

static const GBytes *vm_config(const void *ctx, uint64_t id)
{
	const struct config_of *c = ctx;
	return vmlink_config(c->link, c->vcpu, id);
}

/* Do vCPUs v and w have the same configuration (SVE vector length)? */
static bool same_config(const struct target *t, uint32_t v, uint32_t w)
{
	for (unsigned i = 0; t->arch->config_ids && t->arch->config_ids[i]; i++) {
		const GBytes *a = vmlink_config(t->link, v, t->arch->config_ids[i]);
		const GBytes *b = vmlink_config(t->link, w, t->arch->config_ids[i]);
		if ((a == NULL) != (b == NULL) || (a && !g_bytes_equal(a, b)))
			return false;
	}
	return true;
}

/* The registers of vCPU v that the description can show: all of them, but
 * for a vCPU configured otherwise than the description's (another SVE
 * vector length) not those the configuration shapes — gdb has one
 * description, so they are absent there, not shown at a wrong width. */
static GArray *describable_ids(const struct target *t, uint32_t v, uint32_t src)
{
	const GArray *ids = vmlink_reg_ids(t->link, v);
	GArray *out = g_array_copy((GArray *)ids);
	if (same_config(t, v, src) || t->arch != &arch_arm64)
		return out;
	for (guint i = out->len; i-- > 0;) {
		uint64_t id = g_array_index(out, uint64_t, i);
		if ((id & VMDBG_ARM64_GROUP_MASK) == VMDBG_ARM64_SVE_GROUP || id == VMDBG_ARM64_SVE_VLS)
			g_array_remove_index(out, i);
	}
	return out;
}

/* Build the target description, one regset per distinct vCPU model and
 * one cache per vCPU, for `arch` (NULL: the VM architecture's default). */
bool target_learn_vm(struct target *t, const struct arch_ops *arch, GError **error)
{
	const struct vmdbg_hello *h = vmlink_hello(t->link);
	t->arch = arch ? arch : arch_for(h->arch);
	if (h->arch == VMDBG_ARCH_X86_64 && t->cfg.x86_arch && !arch)
		t->arch = t->cfg.x86_arch;
	if (!t->arch) {
		g_set_error(error, TDESC_ERROR, 3, "the VM's architecture %u is not supported", h->arch);
		return false;
	}
	/* the description is the richest vCPU's (vCPUs may differ: SVE on
	 * some); the others' registers it has and they lack are absent */
	uint32_t src = 0;
	for (uint32_t v = 1; v < h->nr_vcpus; v++)
		if (vmlink_reg_ids(t->link, v)->len > vmlink_reg_ids(t->link, src)->len)
			src = v;
	const GArray *ids0 = vmlink_reg_ids(t->link, src);
	if (t->cfg.user_tdesc) {
		t->tdesc = t->cfg.user_tdesc;
	} else {
		struct config_of c = { t->link, src };
		g_autofree char *xml = t->arch->default_tdesc(ids0, vm_config, &c);
		t->tdesc = tdesc_parse("built-in target.xml", xml, strlen(xml), NULL, error);
		if (!t->tdesc)
			return false;
	}
	g_autofree char *what = g_strdup_printf("%s debugging", t->arch->name);
	if (!tdesc_require(t->tdesc, t->arch->required, what, error))
		return false;
	t->regsets = g_ptr_array_new_with_free_func((GDestroyNotify)regset_free);
	t->vcpu_regset = g_ptr_array_new();
	/* one regset per model: vCPUs with the same registers and configuration */
	g_autoptr(GArray) first_of = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (uint32_t v = 0; v < h->nr_vcpus; v++) {
		g_autoptr(GArray) ids = describable_ids(t, v, src);
		struct regset *rs = NULL;
		for (guint i = 0; i < t->regsets->len && !rs; i++)
			if (regset_matches(g_ptr_array_index(t->regsets, i), ids) &&
			    same_config(t, v, g_array_index(first_of, uint32_t, i)))
				rs = g_ptr_array_index(t->regsets, i);
		if (!rs) {
			g_array_append_val(first_of, v);
			rs = v == src ? regset_new(t->tdesc, t->arch, ids, error)
				      : regset_new_partial(t->tdesc, t->arch, ids, error);
			if (!rs) {
				g_prefix_error(error, "vCPU %u: ", v);
				return false;
			}
			g_ptr_array_add(t->regsets, rs);
		}
		g_ptr_array_add(t->vcpu_regset, rs);
	}
	t->nr_vcpus = h->nr_vcpus;
	t->caches = g_new0(struct regcache *, t->nr_vcpus);
	t->paging = g_new0(struct vcpu_paging, t->nr_vcpus);
	t->skip = g_new0(bool, t->nr_vcpus);
	t->skip_pc = g_new0(uint64_t, t->nr_vcpus);
	for (uint32_t v = 0; v < t->nr_vcpus; v++)
		t->caches[v] = regcache_new(target_regset(t, v));
	return true;
}

/* The vCPUs that must step over a point before they run again are the
 * VM's state, not the description's: kept across a rebuild of the caches
 * (else a plugin's dropped hit would trap again and count twice). */
static void restore_skips(struct target *t, uint32_t n, const bool *skip, const uint64_t *pc)
{
	if (!skip || !t->skip || n != t->nr_vcpus)
		return;
	memcpy(t->skip, skip, n * sizeof(*skip));
	memcpy(t->skip_pc, pc, n * sizeof(*pc));
}

bool target_use_arch(struct target *t, const struct arch_ops *arch, GError **error)
{
	uint32_t n = t->nr_vcpus;
	g_autofree bool *skip = t->skip ? g_memdup2(t->skip, n * sizeof(bool)) : NULL;
	g_autofree uint64_t *pc = t->skip_pc ? g_memdup2(t->skip_pc, n * sizeof(uint64_t)) : NULL;
	target_forget_vm(t);
	if (target_learn_vm(t, arch, error)) {
		restore_skips(t, n, skip, pc);
		return true;
	}
	/* the VM's default description stays for the next client */
	target_forget_vm(t);
	g_autoptr(GError) again = NULL;
	if (!target_learn_vm(t, NULL, &again)) {
		target_forget_vm(t);
		t->tdesc_error = g_strdup_printf("target description: %s", again->message);
	} else {
		restore_skips(t, n, skip, pc);
	}
	return false;
}

uint64_t target_generation(const struct target *t)
{
	return t->generation;
}

uint64_t target_runs(const struct target *t)
{
	return t->runs;
}

int target_vcpu_model(const struct target *t, uint32_t vcpu)
{
	if (!t->vcpu_regset || vcpu >= t->nr_vcpus)
		return -1;
	const struct regset *rs = g_ptr_array_index(t->vcpu_regset, vcpu);
	guint i;
	if (!g_ptr_array_find(t->regsets, rs, &i))
		return -1;
	return (int)i;
}

const struct regset *target_model_regset(const struct target *t, unsigned model)
{
	if (!t->vcpu_regset || model >= t->regsets->len)
		return NULL;
	return g_ptr_array_index(t->regsets, model);
}
