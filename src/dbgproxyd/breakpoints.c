/*
 * breakpoints.c - Z0/z0 software breakpoints (VM-owned) and Z1-Z4 hardware
 * breakpoints and watchpoints through the slot allocator.
 */
#include "session.h"

/* ---- breakpoints -------------------------------------------------------------------------- */

static void sw_bp_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct op *op = ctx;
	struct session *s = op_session(op);
	if (s) {
		bool insert = op->signal;
		if (m) {
			if (insert)
				g_hash_table_insert(s->sw_bps, g_memdup2(&op->addr, 8), GUINT_TO_POINTER(1));
			else
				g_hash_table_remove(s->sw_bps, &op->addr);
			reply(s, "OK");
		} else if (err->domain == VMLINK_ERROR &&
			   err->code == (insert ? VMDBG_E_EXIST : VMDBG_E_NOENT)) {
			/* already as gdb wants it */
			reply(s, "OK");
		} else {
			reply_error(s, "%s breakpoint at 0x%" PRIx64 ": %s",
				    insert ? "cannot insert" : "cannot remove", op->addr, err->message);
		}
		finish(s);
	}
	op_free(op);
}

static void sw_bp(struct session *s, bool insert, const struct pkt_param *p)
{
	struct op *op = op_new(s);
	op->addr = p[1].u;
	op->signal = insert;
	struct vmdbg_sw_bp bp = { .vcpu = s->g_vcpu, .kind = (uint32_t)p[2].u, .addr = p[1].u };
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(s->d->vm);
	vmdbg_enc_sw_bp(f, insert ? VMDBG_SW_BP_INSERT : VMDBG_SW_BP_REMOVE, seq, &bp);
	send_vm(s, f, seq, sw_bp_done, op);
}

/* ---- hardware breakpoints and watchpoints --------------------------------------------- */

struct hw_op {
	struct op base;
	bool insert;
	enum hw_kind kind;
	struct vmdbg_guest_debug sent;
};

static void hw_commit_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct hw_op *hop = ctx;
	struct session *s = op_session(&hop->base);
	if (s) {
		if (m) {
			s->hw_committed = hop->sent;
			reply(s, "OK");
		} else {
			/* the VM did not take it: undo, so our table stays the VM's */
			if (hop->insert)
				hwslots_remove(s->hw, hop->kind, hop->base.addr, hop->base.len, NULL);
			else
				hwslots_insert(s->hw, hop->kind, hop->base.addr, hop->base.len, NULL);
			reply_error(s, "the VM refused the debug registers: %s", err->message);
		}
		finish(s);
	}
	g_free(hop);
}

/* Z1-Z4 / z1-z4: change the slot table, then commit the whole register set
 * to the VM in one SET_GUEST_DEBUG (none when nothing changed). */
static void hw_point(struct session *s, bool insert, const struct pkt_param *p)
{
	enum hw_kind kind = (enum hw_kind)p[0].u;
	g_autoptr(GError) err = NULL;
	bool done = insert ? hwslots_insert(s->hw, kind, p[1].u, p[2].u, &err)
			   : hwslots_remove(s->hw, kind, p[1].u, p[2].u, &err);
	if (!done) {
		g_message("%s hardware point refused: %s", insert ? "inserting" : "removing",
			  err->message);
		reply_error(s, "%s", err->message);
		return;
	}
	struct hw_op *hop = g_new0(struct hw_op, 1);
	hop->base.d = s->d;
	hop->base.session_id = s->id;
	hop->base.addr = p[1].u;
	hop->base.len = p[2].u;
	hop->insert = insert;
	hop->kind = kind;
	hwslots_guest_debug(s->hw, &hop->sent);
	if (memcmp(&hop->sent, &s->hw_committed, sizeof(hop->sent)) == 0) {
		g_free(hop);       /* shared slot: the VM already has this */
		reply(s, "OK");
		return;
	}
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = vmlink_next_seq(s->d->vm);
	vmdbg_enc_set_guest_debug(f, seq, &hop->sent);
	if (!vmlink_send(s->d->vm, f, seq, hw_commit_done, hop)) {
		g_free(hop);
		reply_error(s, "dbgproxyd is not connected to the VM");
		return;
	}
	s->busy = true;
}

/* Z/z type 0 is the VM's software breakpoints, 1-4 the debug registers;
 * other types are not supported (empty reply). */
static void point(struct session *s, bool insert, const struct pkt_param *p)
{
	if (p[0].u == 0)
		sw_bp(s, insert, p);
	else if (p[0].u <= HW_ACCESS)
		hw_point(s, insert, p);
	else
		reply(s, "");
}

void h_insert_point(void *ctx, const struct pkt_param *p)
{
	point(ctx, true, p);
}

void h_remove_point(void *ctx, const struct pkt_param *p)
{
	point(ctx, false, p);
}
