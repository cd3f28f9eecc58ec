/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-reencode.c - a decoded vmdbg message encoded again with
 * libvmdbg's encoders (test helper: the codec's round trip, used by
 * fuzz-vmdbg-frame and test-vmdbg-doc).
 */
#include "vmdbg-reencode.h"

bool vmdbg_reencode(const struct vmdbg_msg *m, GByteArray *out)
{
	switch (m->type) {
	case VMDBG_HELLO:
		vmdbg_enc_hello_request(VMDBG_GBA(out), m->seq, m->u.hello.version, m->u.hello.features);
		break;
	case VMDBG_HELLO | VMDBG_REPLY:
		vmdbg_enc_hello_reply(VMDBG_GBA(out), m->seq, &m->u.hello);
		break;
	case VMDBG_REG_LIST:
		vmdbg_enc_reg_list_request(VMDBG_GBA(out), m->seq, m->u.vcpu);
		break;
	case VMDBG_REG_LIST | VMDBG_REPLY:
	case VMDBG_GET_REGS: {
		const struct vmdbg_reg_ids *r = &m->u.reg_ids;
		uint64_t *ids = g_new(uint64_t, r->count ? r->count : 1);
		for (uint32_t i = 0; i < r->count; i++)
			ids[i] = vmdbg_reg_ids_get(r, i);
		vmdbg_enc_reg_ids(VMDBG_GBA(out), m->type, m->seq, r->vcpu, ids, r->count);
		g_free(ids);
		break;
	}
	case VMDBG_GET_REGS | VMDBG_REPLY:
	case VMDBG_SET_REGS: {
		const struct vmdbg_reg_vals *v = &m->u.reg_vals;
		uint64_t *ids = g_new(uint64_t, v->count ? v->count : 1);
		GByteArray *vals = g_byte_array_new();
		size_t off = 0;
		uint64_t id;
		const uint8_t *val;
		uint32_t size, n = 0;
		while (vmdbg_regvals_next(v, &off, &id, &val, &size)) {
			if (n >= v->count)
				break;
			ids[n++] = id;
			g_byte_array_append(vals, val, size);
		}
		bool whole = n == v->count;
		if (whole)
			vmdbg_enc_reg_vals(VMDBG_GBA(out), m->type, m->seq, v->vcpu, ids, v->count, vals->data);
		g_byte_array_unref(vals);
		g_free(ids);
		if (!whole)
			return false;
		break;
	}
	case VMDBG_MEM_MAP | VMDBG_REPLY: {
		const struct vmdbg_mem_map *mm = &m->u.mem_map;
		struct vmdbg_mem_region *r = g_new(struct vmdbg_mem_region, mm->nregions + 1);
		for (uint32_t i = 0; i < mm->nregions; i++)
			r[i] = vmdbg_mem_region_get(mm, i);
		vmdbg_enc_mem_map_reply(VMDBG_GBA(out), m->seq, mm, r);
		g_free(r);
		break;
	}
	case VMDBG_READ_MEM:
		vmdbg_enc_read_mem(VMDBG_GBA(out), m->seq, m->u.mem.vcpu, m->u.mem.addr, m->u.mem.len);
		break;
	case VMDBG_READ_MEM | VMDBG_REPLY:
		vmdbg_enc_read_mem_reply(VMDBG_GBA(out), m->seq, m->u.mem.addr, m->u.mem.data,
					 m->u.mem.len);
		break;
	case VMDBG_WRITE_MEM:
		vmdbg_enc_write_mem(VMDBG_GBA(out), m->seq, m->u.mem.vcpu, m->u.mem.addr, m->u.mem.data,
				    m->u.mem.len);
		break;
	case VMDBG_SET_GUEST_DEBUG:
		vmdbg_enc_set_guest_debug(VMDBG_GBA(out), m->seq, &m->u.gdbg);
		break;
	case VMDBG_SW_BP_INSERT:
	case VMDBG_SW_BP_REMOVE:
		vmdbg_enc_sw_bp(VMDBG_GBA(out), m->type, m->seq, &m->u.sw_bp);
		break;
	case VMDBG_WATCH_INSERT:
	case VMDBG_WATCH_REMOVE:
		vmdbg_enc_watch(VMDBG_GBA(out), m->type, m->seq, &m->u.watch);
		break;
	case VMDBG_WATCH_LIST | VMDBG_REPLY: {
		struct vmdbg_watch_info *w = g_new0(struct vmdbg_watch_info, VMDBG_MAX_WATCHES);
		size_t off = 0;
		uint32_t n = 0;
		while (n < VMDBG_MAX_WATCHES && vmdbg_watch_list_next(&m->u.watch_list, &off, &w[n]))
			n++;
		bool whole = n == m->u.watch_list.count;
		if (whole)
			vmdbg_enc_watch_list_reply(VMDBG_GBA(out), m->seq, w, n);
		g_free(w);
		if (!whole)
			return false;
		break;
	}
	case VMDBG_RESUME: {
		const struct vmdbg_resume *r = &m->u.resume;
		struct vmdbg_resume_entry *e = g_new(struct vmdbg_resume_entry,
						     r->count ? r->count : 1);
		for (uint32_t i = 0; i < r->count; i++)
			e[i] = vmdbg_resume_get(r, i);
		vmdbg_enc_resume(VMDBG_GBA(out), m->seq, r->default_action, e, r->count);
		g_free(e);
		break;
	}
	case VMDBG_POINT_COND: {
		const struct vmdbg_point_cond *c = &m->u.cond;
		struct vmdbg_cond_reg *regs = g_new(struct vmdbg_cond_reg, c->nregs + 1);
		for (uint32_t i = 0; i < c->nregs; i++)
			regs[i] = vmdbg_cond_reg_get(c, i);
		const uint8_t *codes[2 * VMDBG_MAX_CONDS];
		uint32_t lens[2 * VMDBG_MAX_CONDS], index;
		size_t off = 0;
		uint32_t n = 0;
		while (n < 2 * VMDBG_MAX_CONDS && vmdbg_cond_next(c, &off, &codes[n], &lens[n], &index))
			n++;
		vmdbg_enc_point_cond(VMDBG_GBA(out), m->seq, c->addr, regs, c->nregs, codes, lens, c->nconds,
				     c->ncmds);
		g_free(regs);
		break;
	}
	case VMDBG_EV_OUTPUT:
		vmdbg_enc_output(VMDBG_GBA(out), m->u.output.vcpu, m->u.output.text, m->u.output.len);
		break;
	case VMDBG_EV_STOPPED:
		vmdbg_enc_stopped(VMDBG_GBA(out), &m->u.stopped);
		break;
	case VMDBG_ERROR: {
		char *text = g_strndup(m->u.error.text, m->u.error.len);
		vmdbg_enc_error(VMDBG_GBA(out), m->seq, m->u.error.code, text);
		g_free(text);
		break;
	}
	default: /* PAUSE, DETACH, MEM_MAP, WATCH_LIST, OK replies (check_msg vetted the type) */
		vmdbg_enc_empty(VMDBG_GBA(out), m->type, m->seq);
		break;
	}
	return true;
}
