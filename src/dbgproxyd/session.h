/*
 * session.h - what the files of one gdb session share (private to
 * dbgproxyd): struct session, the request context, and the helpers the
 * packet handlers call.  session.c owns the connection (bytes, acks, the
 * packet table, attach and close); threads.c the vCPUs as threads;
 * runctl.c stops and resumes; regmem.c registers and memory;
 * breakpoints.c software and hardware points; monitor.c the monitor
 * commands.
 *
 * Packets are handled one at a time, in order.  A handler that needs the
 * VM marks the session busy and finishes from the VM's reply callback;
 * packets that arrive meanwhile wait (gdb sends one at a time anyway, but
 * a pipelining client must not break us).  Every reply goes out in one
 * write together with any pending ack.
 *
 * Target states: STOPPED (gdb talks to us), RUNNING (vCPUs run; only
 * Ctrl-C is expected), STOPPING (a vCPU stopped or Ctrl-C came: PAUSE is
 * on its way so that all vCPUs are stopped before gdb hears of it),
 * EXITED (the guest shut down).  Stops that arrive together are queued
 * and reported one per resume, the way gdbserver does.
 */
#ifndef SESSION_H
#define SESSION_H

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "sockio.h"
#include "hwdebug.h"
#include "packets.h"
#include "rsp-codec.h"

#define PACKET_SIZE    0x20000          /* advertised PacketSize (payload bytes) */
#define MEM_CHUNK      VMDBG_MAX_MEM_XFER
#define MAX_BACKLOG    (8u << 20)          /* replies gdb has not read */
#define MAX_INCOMING   (8u << 20)          /* packets waiting for their turn, */
#define INCOMING_OVERHEAD 128u             /* counting each one's bookkeeping */
#define READ_CHUNK     65536

enum target_state { TGT_STOPPED, TGT_RUNNING, TGT_STOPPING, TGT_EXITED };

struct incoming {
	bool oversize;
	GBytes *packet;
};

struct session {
	struct daemon *d;
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
	size_t incoming_bytes;        /* their payloads, bounded by MAX_INCOMING */
	bool busy;
	bool processing;              /* process_incoming() is on the stack */
	bool attached;                /* the initial PAUSE is done */
	bool detached;                /* D done: the VM already let go */
	enum target_state target;
	uint32_t nr_vcpus;
	uint32_t g_vcpu;              /* Hg */
	int64_t c_vcpu;               /* Hc: -1 = all */
	uint32_t last_vcpu;           /* thread of the last reported stop */
	GString *stop_reply;          /* the last stop reply, for '?' */
	GQueue pending_stops;         /* struct vmdbg_stopped *, not yet reported */
	bool interrupted;             /* Ctrl-C waiting for its stop */
	bool interrupt_queued;        /* Ctrl-C came behind a resume not yet handled */
	bool guest_dead;              /* the guest shut down: inspect only */
	bool closed;                  /* session_close() ran: freed by the loop later */
	bool mode_told;               /* gdb was told its description no longer fits */
	uint32_t resume_default;      /* the last RESUME, to repeat after a stale stop */
	GArray *resume_entries;       /* struct vmdbg_resume_entry */
	struct regcache **caches;     /* per vCPU */
	GHashTable *sw_bps;           /* gva (uint64_t*) -> kind */
	struct hwslots *hw;           /* hardware breakpoints and watchpoints */
	struct vmdbg_guest_debug hw_committed; /* what the VM has now */
};

/* A VM request's callback context: the session may be gone by the reply. */
struct op {
	struct daemon *d;
	uint64_t session_id;
	uint32_t vcpu;
	uint64_t addr;
	uint64_t len;
	unsigned outstanding;
	bool failed;
	GError *err;
	GByteArray *buf;
	GBytes *data;
	int signal;
	struct vmdbg_stopped ev;
	void (*then)(struct session *s, struct op *op);
};

#define SIGNAL_GUEST_DEAD 3   /* SIGQUIT, as QEMU's gdbstub reports a shutdown */

/* session.c */
bool send_vm(struct session *s, const GByteArray *f, uint32_t seq, vmlink_reply_fn fn,
		    struct op *op);
bool vm_ready(struct session *s);
bool x86_auto(const struct session *s);
const struct regset *regset_of(struct session *s, uint32_t vcpu);
struct op *op_new(struct session *s);
struct session *op_session(const struct op *op);
uint64_t tid_of(uint32_t vcpu);
void finish(struct session *s);
void flush(struct session *s);
void op_free(struct op *op);
void reply(struct session *s, const char *payload);
void reply_errno(struct session *s, unsigned code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void reply_error(struct session *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void with_regs(struct session *s, uint32_t vcpu, const struct reg_handle *const *hs,
		      unsigned n, struct op *op, void (*then)(struct session *, struct op *));
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

/* runctl.c */
bool take_pending_stop(struct session *s, struct vmdbg_stopped *out);
void detach_done(void *ctx, const struct vmdbg_msg *m, const GError *err);
void do_resume(struct session *s);
void h_continue(void *ctx, const struct pkt_param *p);
void h_detach(void *ctx, const struct pkt_param *p);
void h_kill(void *ctx, const struct pkt_param *p);
void h_step(void *ctx, const struct pkt_param *p);
void h_vcont(void *ctx, const struct pkt_param *p);
void h_vcont_query(void *ctx, const struct pkt_param *p);
void handle_interrupt(struct session *s);

/* regmem.c */
void h_read_mem(void *ctx, const struct pkt_param *p);
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
