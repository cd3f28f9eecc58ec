/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-shm.c - guest RAM in a sealed memfd (vm-shm.h).
 */
#include "vm-shm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

bool vm_shm_create(struct vm_shm *s, const char *name, uint64_t ram_size, uint32_t capacity,
		   GError **error)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t table_bytes = sizeof(struct vmdbg_shm_bp_table) +
			       (uint64_t)capacity * sizeof(struct vmdbg_shm_bp);
	s->ram_size = ram_size;
	s->capacity = capacity;
	s->table_offset = (ram_size + page - 1) / page * page;
	s->map_size = s->table_offset + (table_bytes + page - 1) / page * page;
	const char *what = "memfd_create";
	s->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (s->fd >= 0) {
		what = "ftruncate";
		if (ftruncate(s->fd, (off_t)s->map_size) == 0) {
			what = "fcntl(F_ADD_SEALS)";
			if (fcntl(s->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0) {
				what = "mmap";
				void *p = mmap(NULL, s->map_size, PROT_READ | PROT_WRITE,
					       MAP_SHARED | MAP_NORESERVE, s->fd, 0);
				if (p != MAP_FAILED) {
					s->ram = p;
					s->table = (void *)(s->ram + s->table_offset);
					return true;
				}
			}
		}
	}
	int e = errno;
	g_set_error(error, VM_ERROR, VMDBG_E_HOST, "guest memory (%" G_GUINT64_FORMAT " MiB): %s: %s",
		    ram_size >> 20, what, g_strerror(e));
	vm_shm_destroy(s);
	return false;
}

void vm_shm_destroy(struct vm_shm *s)
{
	if (s->ram)
		munmap(s->ram, s->map_size);
	if (s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

struct vmdbg_shm_bp *vm_shm_bps_begin(struct vm_shm *s)
{
	/* odd: a reader that sees it (or sees it change) reads again */
	__atomic_store_n(&s->table->seq, s->table->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return s->table->e;
}

void vm_shm_bps_end(struct vm_shm *s, uint32_t count)
{
	g_assert(count <= s->capacity);
	__atomic_store_n(&s->table->count, count, __ATOMIC_RELAXED);
	__atomic_store_n(&s->table->seq, s->table->seq + 1, __ATOMIC_RELEASE);
}
