/*
 * breakpoints.c - Z0-Z4 / z0-z4: gdb's points, owned by this session's
 * client in the target's breakpoint table (target.h): software
 * breakpoints the VM plants, hardware breakpoints and watchpoints through
 * the slot allocator.  PKT_F_ASYNC rows: they end with finish().
 */
#include "session.h"

struct point_req {
	struct sref ref;
	bool insert;
	unsigned type;
	uint64_t addr;
};

static void reply_point_error(struct session *s, const struct point_req *r, const GError *err)
{
	if (r->type == 0)
		reply_error(s, "%s breakpoint at 0x%" PRIx64 ": %s",
			    r->insert ? "cannot insert" : "cannot remove", r->addr, err->message);
	else
		reply_error(s, "%s", err->message);
}

static void point_done(void *ctx, const GError *err)
{
	struct point_req *r = ctx;
	struct session *s = sref_session(&r->ref);
	if (s) {
		if (err)
			reply_point_error(s, r, err);
		else
			reply(s, "OK");
		finish(s);
	}
	g_free(r);
}

/* Z/z type 0 is the VM's software breakpoints, 1-4 the debug registers;
 * other types are not supported (empty reply). */
static void point(struct session *s, bool insert, const struct pkt_param *p)
{
	if (p[0].u > HW_ACCESS) {
		reply(s, "");
		finish(s);
		return;
	}
	struct point_req *r = g_new0(struct point_req, 1);
	sref_init(&r->ref, s);
	r->insert = insert;
	r->type = (unsigned)p[0].u;
	r->addr = p[1].u;
	g_autoptr(GError) err = NULL;
	enum target_result res = insert
		? target_point_insert(s->t, s->client, r->type, p[1].u, p[2].u, s->g_vcpu,
				      point_done, r, &err)
		: target_point_remove(s->t, s->client, r->type, p[1].u, p[2].u, s->g_vcpu,
				      point_done, r, &err);
	switch (res) {
	case TARGET_PENDING:
		return;
	case TARGET_DONE:
		reply(s, "OK");
		break;
	case TARGET_FAILED:
		if (r->type)
			g_message("%s hardware point refused: %s", insert ? "inserting" : "removing",
				  err->message);
		reply_point_error(s, r, err);
		break;
	}
	g_free(r);
	finish(s);
}

void h_insert_point(void *ctx, const struct pkt_param *p)
{
	point(ctx, true, p);
}

void h_remove_point(void *ctx, const struct pkt_param *p)
{
	point(ctx, false, p);
}
