/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * session.h - what the files of one gdb session share (private to
 * dbgproxyd): struct session, the request context, and the helpers the
 * packet handlers call.  session.c owns the connection (bytes, acks, the
 * packet table, attach and close); threads.c the vCPUs as threads;
 * runctl.c stops and resumes; regmem.c registers and memory;
 * breakpoints.c software and hardware points; monitor.c the monitor
 * commands.
 *
 * The session is one client of the target (target.h), which owns the VM
 * link, the run state, the stop queue, the breakpoint table and the
 * register caches; nothing here encodes a vmdbg frame.
 *
 * Packets are handled one at a time, in order.  A row flagged PKT_F_ASYNC
 * makes the session busy from its handler's call until the handler (or
 * the target's callback it waits for) calls finish(); packets that arrive
 * meanwhile wait (gdb sends one at a time anyway, but a pipelining client
 * must not break us).  A resume is busy until its stop has been reported.
 * Every reply goes out in one write together with any pending ack.  Stops
 * that arrive together are queued by the target and reported one per
 * resume, the way gdbserver does.
 */
#ifndef SESSION_H
#define SESSION_H

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "plugin-host.h"
#include "target.h"
#include "sockio.h"
#include "hwdebug.h"
#include "packets.h"
#include "rsp-codec.h"

#define PACKET_SIZE    0x20000          /* advertised PacketSize (payload bytes) */
#define MAX_BACKLOG    (8u << 20)          /* replies gdb has not read */
#define MAX_INCOMING   (8u << 20)          /* packets waiting for their turn, */
#define INCOMING_OVERHEAD 128u             /* counting each one's bookkeeping */
#define READ_CHUNK     65536

struct incoming {
	bool oversize;
	GByteArray *packet;           /* the payload and a NUL (reused: see spare) */
};

struct session {
	struct daemon *d;
	struct target *t;             /* d->target */
	struct target_client *client; /* this session as the target's client */
	uint64_t id;
	int fd;
	char *peer;
	ev_io read_w, write_w;
	struct rsp_decoder *dec;
	GByteArray *out;
	GByteArray *last;             /* last framed packet, for '-' */
	bool no_ack;
	bool gdb_swbreak, gdb_hwbreak;
	GQueue incoming;              /* struct incoming * */
	GQueue spare;                 /* struct incoming * handled, kept for the next packets */
	size_t incoming_bytes;        /* their payloads, bounded by MAX_INCOMING */
	bool busy;                    /* a PKT_F_ASYNC row runs until finish() */
	bool processing;              /* process_incoming() is on the stack */
	bool attaching;               /* the initial PAUSE is on its way */
	bool attached;                /* it is done */
	bool detached;                /* D or k done: no longer the target's client */
	bool exited;                  /* gdb was told the guest is gone (X) */
	bool closed;                  /* session_close() ran: freed by the loop later */
	bool mode_told;               /* gdb was told its description no longer fits */
	GHashTable *cond_addrs;       /* uint64_t *: points whose conditions the VM holds */
	uint32_t nr_vcpus;
	uint32_t g_vcpu;              /* Hg (a plugin thread: the vCPU for memory) */
	uint64_t g_thread;            /* Hg of a plugin's thread (plugin-host.h), or 0 */
	int64_t c_vcpu;               /* Hc: -1 = all */
	uint32_t last_vcpu;           /* thread of the last reported stop */
	GString *stop_reply;          /* the last stop reply, for '?' */
	bool interrupt_queued;        /* Ctrl-C came behind a resume not yet handled */
	uint32_t resume_default;      /* the last RESUME, to repeat after a stale stop */
	GArray *resume_entries;       /* struct vmdbg_resume_entry */
	GString *scratch;             /* a reply being built (kept: no allocation per packet) */
	uint8_t *membuf;              /* PACKET_SIZE bytes of guest memory being served */
	bool x_bare;                  /* the client asked x0,0 (lldb): x replies without 'b' */
};

/* Every request's context starts with one: the session may be gone (and
 * another in its place) by the time the target calls back. */
struct sref {
	struct daemon *d;
	uint64_t id;
};

#define SIGNAL_GUEST_DEAD 3   /* SIGQUIT, as QEMU's gdbstub reports a shutdown */

/* session.c */
void sref_init(struct sref *r, struct session *s);
struct session *sref_session(const struct sref *r);
bool x86_auto(const struct session *s);
const struct regset *regset_of(struct session *s, uint32_t vcpu);
uint64_t tid_of(uint32_t vcpu);
/* A PKT_F_ASYNC handler is done: the next packet may run. */
void finish(struct session *s);
void flush(struct session *s);
void reply(struct session *s, const char *payload);
/* A reply of len bytes (binary allowed: escaped when framed). */
void reply_bytes(struct session *s, const void *payload, size_t len);
void reply_errno(struct session *s, unsigned code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void reply_error(struct session *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* An 'O' packet: text gdb prints on its console. */
void console_out(struct session *s, const char *text);
/* A qXfer reply: the slice [off, off + len) of data (total bytes). */
void xfer_reply(struct session *s, const char *data, size_t total, uint64_t off, uint64_t len);

/* threads.c */
void h_attached(void *ctx, const struct pkt_param *p);
void h_current_thread(void *ctx, const struct pkt_param *p);
void h_set_thread_c(void *ctx, const struct pkt_param *p);
void h_set_thread_g(void *ctx, const struct pkt_param *p);
void h_thread_alive(void *ctx, const struct pkt_param *p);
void h_thread_extra(void *ctx, const struct pkt_param *p);
void h_thread_info_first(void *ctx, const struct pkt_param *p);
void h_thread_info_next(void *ctx, const struct pkt_param *p);
void h_xfer_threads(void *ctx, const struct pkt_param *p);
/* The plugin thread tid is, NULL when it is none (or runs on a vCPU). */
const struct plugin_thread *plugin_thread_of(struct session *s, int64_t tid);

/* runctl.c */
void session_all_stopped(void *ctx, bool interrupted, const GError *err);
void h_continue(void *ctx, const struct pkt_param *p);
void h_detach(void *ctx, const struct pkt_param *p);
void h_kill(void *ctx, const struct pkt_param *p);
void h_step(void *ctx, const struct pkt_param *p);
void h_vcont(void *ctx, const struct pkt_param *p);
void h_vcont_query(void *ctx, const struct pkt_param *p);
void handle_interrupt(struct session *s);

/* regmem.c */
void h_read_mem(void *ctx, const struct pkt_param *p);
void h_read_mem_bin(void *ctx, const struct pkt_param *p);
void h_qcrc(void *ctx, const struct pkt_param *p);
void h_qsearch_memory(void *ctx, const struct pkt_param *p);
void h_read_reg(void *ctx, const struct pkt_param *p);
void h_read_regs(void *ctx, const struct pkt_param *p);
void h_write_mem_bin(void *ctx, const struct pkt_param *p);
void h_write_mem_hex(void *ctx, const struct pkt_param *p);
void h_write_reg(void *ctx, const struct pkt_param *p);
void h_write_regs(void *ctx, const struct pkt_param *p);

/* breakpoints.c */
void h_insert_point(void *ctx, const struct pkt_param *p);
void h_remove_point(void *ctx, const struct pkt_param *p);

/* monitor.c */
void h_rcmd(void *ctx, const struct pkt_param *p);

#endif
