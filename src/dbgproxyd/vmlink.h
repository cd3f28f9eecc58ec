/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmlink.h - dbgproxyd's connection to a VM: an asynchronous vmdbg client on
 * the daemon's libev loop.
 *
 * The link connects (and reconnects, with back-off) to the VM's socket,
 * says HELLO, fetches every vCPU's REG_LIST (and the configuration
 * registers the architecture needs), and only then reports itself ready.  Requests are pipelined; each gets exactly one callback, in order:
 * with the reply, or with an error (an ERROR frame from the VM, or the link
 * going down).  STOPPED events go to the owner's on_stopped.
 */
#ifndef VMLINK_H
#define VMLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <ev.h>
#include <glib.h>

#include "vmdbg-glib.h"

#define VMLINK_ERROR (vmlink_error_quark())
GQuark vmlink_error_quark(void);
/* GError codes: enum vmdbg_err from the VM, or VMLINK_E_LOST. */
#define VMLINK_E_LOST 1000

struct vmlink;
struct guestmem;

struct vmlink_ops {
	void (*on_ready)(void *owner);                       /* HELLO and REG_LISTs done */
	void (*on_lost)(void *owner, const char *why);        /* after pending requests failed */
	void (*on_stopped)(void *owner, const struct vmdbg_stopped *ev);
	/* what a breakpoint command printed on a vCPU (OUTPUT event) */
	void (*on_output)(void *owner, uint32_t vcpu, const char *text, size_t len);
};

/* reply is the decoded reply (valid during the call only), or NULL with err set. */
typedef void (*vmlink_reply_fn)(void *ctx, const struct vmdbg_msg *reply, const GError *err);

struct vmlink *vmlink_new(struct ev_loop *loop, const char *path,
			  const struct vmlink_ops *ops, void *owner);
void vmlink_free(struct vmlink *l);

bool vmlink_is_ready(const struct vmlink *l);
/* The first connection attempt has ended: the VM answered, or it is not
 * there (or refused); from then on, true */
bool vmlink_tried(const struct vmlink *l);
/* Connection attempts ended so far (the VM answered, or not), and, unless
 * the link is up, why the last one failed or the link was lost. */
unsigned vmlink_attempts(const struct vmlink *l, const char **why_down);
/* Someone waits for the VM (a gdb connecting): if the link is down and
 * waiting out its back-off, try now.  Returns vmlink_attempts() as it was
 * before, so that the caller sees when this attempt has ended. */
unsigned vmlink_retry_now(struct vmlink *l);
const struct vmdbg_hello *vmlink_hello(const struct vmlink *l);
/* The register ids vCPU `vcpu` serves (REG_LIST), as a GArray of uint64_t. */
const GArray *vmlink_reg_ids(const struct vmlink *l, uint32_t vcpu);
/* A vCPU's value of a configuration register the architecture asked for
 * (arch_ops.config_ids), fetched during the handshake; NULL if that vCPU
 * does not have it. */
const GBytes *vmlink_config(const struct vmlink *l, uint32_t vcpu, uint64_t id);
const char *vmlink_path(const struct vmlink *l);

/* Whether to map the VM's guest memory when it offers to (vmdbg
 * SHARED_MEM; default yes): takes effect at the next HELLO. */
void vmlink_set_share_memory(struct vmlink *l, bool share);
/* The VM's RAM, mapped (NULL: not ready, or not shared). */
struct guestmem *vmlink_guestmem(const struct vmlink *l);
/* No request is waiting for its reply: the VM has done all that was asked. */
bool vmlink_idle(const struct vmlink *l);

/* Requests: take a sequence number, encode the frame with it, send it.
 * vmlink_send() returns false (and never calls fn) when the link is not
 * ready; otherwise fn is called exactly once, later. */
uint32_t vmlink_next_seq(struct vmlink *l);
bool vmlink_send(struct vmlink *l, const GByteArray *frame, uint32_t seq,
		 vmlink_reply_fn fn, void *ctx);

/* Drop the connection now (e.g. the daemon exits); reconnection follows
 * unless stop_reconnecting is true. */
void vmlink_disconnect(struct vmlink *l, const char *why, bool stop_reconnecting);

#endif
