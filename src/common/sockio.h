/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * sockio.h - the socket plumbing both programs share: a Unix listening
 * socket that never replaces anything but a stale socket, the
 * non-blocking send loop of an output buffer, and reading into an input
 * buffer.  Plain functions over file descriptors and GByteArrays; the
 * callers own the watchers.
 */
#ifndef SOCKIO_H
#define SOCKIO_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

/* Listen on a Unix stream socket at path: non-blocking, close-on-exec,
 * mode 0600 (whoever reaches it controls a guest), backlog SOMAXCONN.  A
 * stale socket left at path by a dead process is replaced; anything else
 * there — a regular file, a directory, a socket another process serves —
 * is an error that says so, and nothing is removed. */
int sock_listen_unix(const char *path, GError **error);

/* Open the socket at path (just created by sock_listen_unix) to a group:
 * give it to gid (-1: leave the group) with mode (0: leave the mode).
 * The caller must be in the group (or privileged). */
bool sock_set_access(const char *path, gid_t gid, mode_t mode, GError **error);
/* A group name or number; false if there is no such group */
bool sock_parse_group(const char *s, gid_t *out);

enum sock_flush {
	SOCK_FLUSH_DONE,      /* everything was sent */
	SOCK_FLUSH_PENDING,   /* the socket is full: wait for it to be writable */
	SOCK_FLUSH_ERROR,     /* the connection failed: errno says why */
};

/* Send as much of out as the socket takes now (removing it from out). */
enum sock_flush sock_flush(int fd, GByteArray *out);

/* Receive up to chunk more bytes at the end of in.  Returns what recv()
 * returned (0 at end of stream, -1 with errno, EAGAIN/EINTR included). */
ssize_t sock_recv_append(int fd, GByteArray *in, size_t chunk);

/* Descriptors passed with the bytes (SCM_RIGHTS): at most this many at once. */
#define SOCK_MAX_FDS 4

/* sock_flush(), but the first bytes sent carry the descriptors fds[0 ..
 * *nfds) with them; *nfds becomes 0 once they have gone (the caller still
 * owns and closes its copies).  out must not be empty while *nfds > 0. */
enum sock_flush sock_flush_fds(int fd, GByteArray *out, const int *fds, unsigned *nfds);

/* sock_recv_append(), also taking the descriptors that came with the
 * bytes: appended to fds (a GArray of int, close-on-exec, the caller's to
 * close).  Descriptors beyond SOCK_MAX_FDS in one message are lost (the
 * kernel closes them). */
ssize_t sock_recv_append_fds(int fd, GByteArray *in, size_t chunk, GArray *fds);

#endif
