/*
 * threads.c - vCPUs as gdb threads: ids, the thread list (qfThreadInfo,
 * qXfer:threads), names and extra info, Hg/Hc and T.
 */
#include "session.h"

static bool vcpu_of(struct session *s, int64_t tid, uint32_t *vcpu)
{
	if (tid < 1 || (uint64_t)tid > s->nr_vcpus)
		return false;
	*vcpu = (uint32_t)(tid - 1);
	return true;
}

void h_attached(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "1"); /* attached to an existing VM: detaching leaves it running */
}

void h_thread_info_first(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	GString *r = g_string_new("m");
	for (uint32_t v = 0; v < s->nr_vcpus; v++)
		g_string_append_printf(r, "%s%" PRIx64, v ? "," : "", tid_of(v));
	reply(s, r->str);
	g_string_free(r, TRUE);
}

void h_thread_info_next(void *ctx, const struct pkt_param *p)
{
	reply(ctx, "l");
}

void h_current_thread(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	g_autofree char *r = g_strdup_printf("QC%" PRIx64, tid_of(s->last_vcpu));
	reply(s, r);
}

void h_thread_alive(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	reply(s, vcpu_of(s, p[0].tid, &v) ? "OK" : "E01");
}

void h_thread_extra(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	if (!vcpu_of(s, p[0].tid, &v)) {
		reply(s, "E01");
		return;
	}
	g_autofree char *text = g_strdup_printf("vCPU %u%s", v,
						target_guest_dead(s->t) ? ", guest dead" : "");
	GString *r = g_string_new(NULL);
	rsp_put_hex(r, text, strlen(text));
	reply(s, r->str);
	g_string_free(r, TRUE);
}

void h_set_thread_g(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	if (p[0].tid == 0 || p[0].tid == -1) {
		reply(s, "OK"); /* any thread: keep the current one */
		return;
	}
	if (!vcpu_of(s, p[0].tid, &v)) {
		reply(s, "E01");
		return;
	}
	s->g_vcpu = v;
	reply(s, "OK");
}

void h_set_thread_c(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	uint32_t v;
	if (p[0].tid == 0 || p[0].tid == -1) {
		s->c_vcpu = -1;
		reply(s, "OK");
		return;
	}
	if (!vcpu_of(s, p[0].tid, &v)) {
		reply(s, "E01");
		return;
	}
	s->c_vcpu = v;
	reply(s, "OK");
}

/* qXfer reads: "m" + chunk, or "l" + last chunk (gdb manual, "General Query Packets"). */
void h_xfer_threads(void *ctx, const struct pkt_param *p)
{
	struct session *s = ctx;
	GString *x = g_string_new("<?xml version=\"1.0\"?>\n<threads>\n");
	for (uint32_t v = 0; v < s->nr_vcpus; v++)
		g_string_append_printf(x, "  <thread id=\"%" PRIx64 "\" core=\"%u\" name=\"vCPU %u%s\"/>\n",
				       tid_of(v), v, v, target_guest_dead(s->t) ? " (guest dead)" : "");
	g_string_append(x, "</threads>\n");
	xfer_reply(s, x->str, x->len, p[0].u, p[1].u);
	g_string_free(x, TRUE);
}

/* g: every register of the Hg vCPU in one GET_REGS at most. */
