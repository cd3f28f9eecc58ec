/* SPDX-License-Identifier: MIT */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-iter.c - libvmdbg's iterators over the variable parts of decoded
 * messages (vmdbg_decode() validated every length they follow), and the
 * names of types and error codes.
 */
#include "vmdbg-codec.h"

#include <string.h>

#include "vmdbg-le.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names ---------------------------------------------------------------- */

const char *vmdbg_type_name(uint8_t type)
{
	static const char *const names[] = {
		[VMDBG_HELLO] = "HELLO",
		[VMDBG_REG_LIST] = "REG_LIST",
		[VMDBG_GET_REGS] = "GET_REGS",
		[VMDBG_SET_REGS] = "SET_REGS",
		[VMDBG_READ_MEM] = "READ_MEM",
		[VMDBG_WRITE_MEM] = "WRITE_MEM",
		[VMDBG_SET_GUEST_DEBUG] = "SET_GUEST_DEBUG",
		[VMDBG_SW_BP_INSERT] = "SW_BP_INSERT",
		[VMDBG_SW_BP_REMOVE] = "SW_BP_REMOVE",
		[VMDBG_PAUSE] = "PAUSE",
		[VMDBG_RESUME] = "RESUME",
		[VMDBG_DETACH] = "DETACH",
		[VMDBG_POINT_COND] = "POINT_COND",
		[VMDBG_MEM_MAP] = "MEM_MAP",
		[VMDBG_WATCH_INSERT] = "WATCH_INSERT",
		[VMDBG_WATCH_REMOVE] = "WATCH_REMOVE",
		[VMDBG_WATCH_LIST] = "WATCH_LIST",
		[VMDBG_EV_STOPPED] = "STOPPED",
		[VMDBG_EV_OUTPUT] = "OUTPUT",
		[VMDBG_ERROR] = "ERROR",
	};
	uint8_t base = type & VMDBG_TYPE_MASK;
	if (base < N_ELEMENTS(names) && names[base])
		return names[base];
	return "UNKNOWN";
}

const char *vmdbg_err_name(uint32_t code)
{
	switch (code) {
	case VMDBG_E_PROTO: return "EPROTO";
	case VMDBG_E_VERSION: return "EVERSION";
	case VMDBG_E_UNKNOWN: return "EUNKNOWN";
	case VMDBG_E_INVAL: return "EINVAL";
	case VMDBG_E_STATE: return "ESTATE";
	case VMDBG_E_FAULT: return "EFAULT";
	case VMDBG_E_EXIST: return "EEXIST";
	case VMDBG_E_NOENT: return "ENOENT";
	case VMDBG_E_BUSY: return "EBUSY";
	case VMDBG_E_NOSPC: return "ENOSPC";
	case VMDBG_E_HOST: return "EHOST";
	default: return "E?";
	}
}

/* ---- iterators ------------------------------------------------------------ */

uint64_t vmdbg_reg_ids_get(const struct vmdbg_reg_ids *ids, uint32_t i)
{
	if (i >= ids->count)
		return 0;
	return get_le64(ids->ids + (size_t)i * 8);
}

bool vmdbg_regvals_next(const struct vmdbg_reg_vals *vals, size_t *offset, uint64_t *id,
			const uint8_t **value, uint32_t *size)
{
	if (*offset + 8 > vals->len)
		return false;
	*id = get_le64(vals->data + *offset);
	*size = vmdbg_reg_bytes(*id);
	if (*size == 0 || *offset + 8 + *size > vals->len)
		return false;
	*value = vals->data + *offset + 8;
	*offset += 8 + *size;
	return true;
}

struct vmdbg_cond_reg vmdbg_cond_reg_get(const struct vmdbg_point_cond *c, uint32_t i)
{
	struct vmdbg_cond_reg e = { 0, 0 };
	if (i >= c->nregs)
		return e;
	e.id = get_le64(c->regs + (size_t)i * 16);
	e.regnum = get_le32(c->regs + (size_t)i * 16 + 8);
	return e;
}

/* offset counts bytes from c->conds; decode checked every length */
bool vmdbg_cond_next(const struct vmdbg_point_cond *c, size_t *offset, const uint8_t **code,
		     uint32_t *len, uint32_t *index)
{
	if (*offset == (size_t)-1)
		return false;
	/* which expression does offset start?  count them: at most 2 × VMDBG_MAX_CONDS */
	size_t o = 0;
	for (uint32_t i = 0; i < c->nconds + c->ncmds; i++) {
		uint32_t l = get_le32(c->conds + o);
		if (o == *offset) {
			*code = c->conds + o + 4;
			*len = l;
			*index = i;
			*offset = o + 4 + l;
			return true;
		}
		o += 4 + l;
	}
	*offset = (size_t)-1;
	return false;
}

struct vmdbg_mem_region vmdbg_mem_region_get(const struct vmdbg_mem_map *m, uint32_t i)
{
	const uint8_t *p = m->regions + (size_t)i * 24;
	return (struct vmdbg_mem_region){ get_le64(p), get_le64(p + 8), get_le64(p + 16) };
}

bool vmdbg_watch_list_next(const struct vmdbg_watch_list *l, size_t *offset,
			   struct vmdbg_watch_info *out)
{
	if (*offset + 40 > l->len)
		return false;
	const uint8_t *p = l->data + *offset;
	memset(out, 0, sizeof(*out));
	out->addr = get_le64(p);
	out->len = get_le64(p + 8);
	out->kind = get_le32(p + 16);
	out->npages = get_le32(p + 20);
	out->hits = get_le64(p + 24);
	out->silent = get_le64(p + 32);
	for (uint32_t i = 0; i < out->npages; i++)
		out->pages[i] = get_le64(p + 40 + (size_t)i * 8);
	*offset += 40 + (size_t)out->npages * 8;
	return true;
}

struct vmdbg_resume_entry vmdbg_resume_get(const struct vmdbg_resume *r, uint32_t i)
{
	struct vmdbg_resume_entry e = { 0, VMDBG_ACT_STAY, 0, 0 };
	if (i >= r->count)
		return e;
	e.vcpu = get_le32(r->entries + (size_t)i * 8);
	e.action = get_le32(r->entries + (size_t)i * 8 + 4);
	if (e.action == VMDBG_ACT_RANGE_STEP) {
		uint32_t k = 0;  /* its range is the k-th: count the ranged entries before it */
		for (uint32_t j = 0; j < i; j++)
			k += get_le32(r->entries + (size_t)j * 8 + 4) == VMDBG_ACT_RANGE_STEP;
		e.start = get_le64(r->ranges + (size_t)k * 16);
		e.end = get_le64(r->ranges + (size_t)k * 16 + 8);
	}
	return e;
}
