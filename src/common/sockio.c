/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * sockio.c - socket plumbing shared by dbgproxyd and dbgproxy-vm (see
 * sockio.h).
 */
#include "sockio.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Is something serving the socket at path?  (A stale one refuses.) */
static bool socket_in_use(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool used = connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0;
	close(fd);
	return used;
}

int sock_listen_unix(const char *path, GError **error)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
			    "unix socket path too long (%zu bytes at most): %s",
			    sizeof(a.sun_path) - 1, path);
		return -1;
	}
	strcpy(a.sun_path, path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
				    "%s exists and is not a socket: not replacing it", path);
			return -1;
		}
		if (socket_in_use(&a)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
				    "%s is in use by another process", path);
			return -1;
		}
		unlink(path); /* stale: its server is gone */
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0 || listen(fd, SOMAXCONN) < 0)
		goto fail;
	return fd;
fail:
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "listen on %s: %s", path,
		    g_strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

bool sock_parse_group(const char *s, gid_t *out)
{
	guint64 n;
	if (g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT32 - 1, &n, NULL)) {
		*out = (gid_t)n;
		return true;
	}
	struct group *gr = getgrnam(s);
	if (!gr)
		return false;
	*out = gr->gr_gid;
	return true;
}

bool sock_set_access(const char *path, gid_t gid, mode_t mode, GError **error)
{
	/* lchown, then chmod only what is still our socket: never a file a
	 * symlink put in its place */
	if (gid != (gid_t)-1 && lchown(path, (uid_t)-1, gid) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot give %s to group %u: %s", path, (unsigned)gid, g_strerror(errno));
		return false;
	}
	struct stat st;
	if (mode && (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode) || chmod(path, mode) < 0)) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno ? errno : EINVAL),
			    "cannot set the mode of %s to %04o: %s", path, (unsigned)mode,
			    g_strerror(errno ? errno : EINVAL));
		return false;
	}
	return true;
}

enum sock_flush sock_flush(int fd, GByteArray *out)
{
	while (out->len) {
		ssize_t n = send(fd, out->data, out->len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return SOCK_FLUSH_PENDING;
			return SOCK_FLUSH_ERROR;
		}
		g_byte_array_remove_range(out, 0, (guint)n);
	}
	return SOCK_FLUSH_DONE;
}

ssize_t sock_recv_append(int fd, GByteArray *in, size_t chunk)
{
	guint old = in->len;
	g_byte_array_set_size(in, old + (guint)chunk);
	ssize_t n = recv(fd, in->data + old, chunk, 0);
	g_byte_array_set_size(in, old + (n > 0 ? (guint)n : 0));
	return n;
}

enum sock_flush sock_flush_fds(int fd, GByteArray *out, const int *fds, unsigned *nfds)
{
	while (*nfds > 0 && out->len > 0) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int) * SOCK_MAX_FDS)];
		} ctl;
		memset(&ctl, 0, sizeof(ctl));
		unsigned n = MIN(*nfds, SOCK_MAX_FDS);
		struct iovec iov = { out->data, out->len };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				      .msg_controllen = CMSG_SPACE(sizeof(int) * n) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
		ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return SOCK_FLUSH_PENDING;
			return SOCK_FLUSH_ERROR;
		}
		g_byte_array_remove_range(out, 0, (guint)sent);
		*nfds = 0;
	}
	return sock_flush(fd, out);
}

ssize_t sock_recv_append_fds(int fd, GByteArray *in, size_t chunk, GArray *fds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * SOCK_MAX_FDS)];
	} ctl;
	guint old = in->len;
	g_byte_array_set_size(in, old + (guint)chunk);
	struct iovec iov = { in->data + old, chunk };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	g_byte_array_set_size(in, old + (n > 0 ? (guint)n : 0));
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int passed;
			memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			g_array_append_val(fds, passed);
		}
	}
	return n;
}
