/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmfix.h - a dbgproxy-vm started by a test (killed by PID, its socket and
 * serial log in a private directory) and a blocking vmdbg client for it:
 * requests with their replies, STOPPED events queued meanwhile.  Every
 * wait is bounded (IO_TIMEOUT_MS); a failure fails the test.
 */
#ifndef VMFIX_H
#define VMFIX_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "vmdbg-glib.h"

#define IO_TIMEOUT_MS 30000

struct vmfix {
	GPid pid;
	char *dir;
	char *sock;
	char *serial;
	int fd;            /* the client connection */
	uint32_t seq;
	GQueue events;     /* struct vmdbg_stopped * received while waiting */
	GString *output;   /* the text of OUTPUT events received (NULL: none yet) */
	GByteArray *in;
	struct vmdbg_hello hello;
};

int connect_unix(const char *path);
char *read_serial(struct vmfix *f);
/* Wait (bounded) until the guest printed `line`. */
void wait_serial(struct vmfix *f, const char *line);
/* Start vm_bin --kernel kernel --socket ... --vcpus N extra, and connect. */
void vmfix_start(struct vmfix *f, const char *vm_bin, const char *kernel, unsigned vcpus,
		 const char *extra);
void vm_stop(struct vmfix *f);
void send_all(int fd, const GByteArray *b);
bool read_frame(int fd, GByteArray *in, GByteArray *frame, int timeout_ms);
/* Send req (encoded with seq) and return the reply frame (m points into
 * it); STOPPED events seen meanwhile are queued. */
GByteArray *transact(struct vmfix *f, GByteArray *req, uint32_t seq, struct vmdbg_msg *m);
uint32_t next_seq(struct vmfix *f);
void expect_ok(struct vmfix *f, GByteArray *req, uint32_t seq, uint8_t type);
/* The ERROR reply's code (its text must not be empty). */
uint32_t expect_error(struct vmfix *f, GByteArray *req, uint32_t seq);
void hello(struct vmfix *f);
void reconnect(struct vmfix *f);
void pause_vm(struct vmfix *f);
void resume_all(struct vmfix *f, uint32_t action);
void read_mem(struct vmfix *f, uint32_t vcpu, uint64_t addr, uint32_t len, uint8_t *out);
uint64_t read_u64(struct vmfix *f, uint64_t addr);
void write_mem(struct vmfix *f, uint64_t addr, const void *data, uint32_t len);
uint64_t get_reg64(struct vmfix *f, uint32_t vcpu, uint64_t id);
/* The next STOPPED event, waiting up to timeout_ms. */
bool wait_stop(struct vmfix *f, struct vmdbg_stopped *out, int timeout_ms);

#endif
