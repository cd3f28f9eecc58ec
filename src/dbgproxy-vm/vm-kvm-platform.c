/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-kvm-platform.c - the PC devices behind the KVM machine's I/O and MMIO
 * exits (vm-pc.h), the console input thread and the VGA mirror.
 */
#include "vm-kvm-priv.h"

/* ---- the platform: devices, console, VGA mirror --------------------------------- */

/* COM1 transmits straight through, unbuffered: a prompt without a newline
 * ("db> ") must reach the user. */
void pc_serial_tx(void *opaque, uint8_t byte)
{
	struct vm_kvm *vm = opaque;
	pthread_mutex_lock(&vm->serial_lock);
	ssize_t r;
	do /* a kick (SIGUSR1, no SA_RESTART) may interrupt a blocked write */
		r = write(vm->serial_fd, &byte, 1);
	while (r < 0 && errno == EINTR);
	pthread_mutex_unlock(&vm->serial_lock);
}

void pc_set_irq(void *opaque, unsigned irq, bool level)
{
	struct vm_kvm *vm = opaque;
	struct kvm_irq_level l = { .irq = irq, .level = level };
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		g_warning("KVM_IRQ_LINE(%u, %d): %s", irq, level, g_strerror(errno));
}

void pc_reset(void *opaque)
{
	struct vm_kvm *vm = opaque;
	vm->reset_requested = true; /* the vCPU doing the I/O stops the guest */
}

int64_t pc_now_ns(void *opaque)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Serve a port access; true when it asked for a reset. */
bool handle_io(struct vcpu *v)
{
	struct vm_kvm *vm = v->vm;
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	pthread_mutex_lock(&vm->pc_lock);
	pc_io(vm->pc, run->io.port, run->io.direction == KVM_EXIT_IO_OUT, run->io.size,
	      run->io.count, data);
	bool reset = vm->reset_requested;
	vm->reset_requested = false;
	pthread_mutex_unlock(&vm->pc_lock);
	return reset;
}

/* Nothing is mapped outside RAM but the in-kernel APICs: reads float. */
void handle_mmio(struct vcpu *v)
{
	struct vm_kvm *vm = v->vm;
	struct kvm_run *run = v->run;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	uint64_t page = run->mmio.phys_addr & ~0xfffull;
	pthread_mutex_lock(&vm->pc_lock);
	bool first = g_hash_table_add(vm->unhandled_mmio, g_memdup2(&page, sizeof(page)));
	pthread_mutex_unlock(&vm->pc_lock);
	if (first)
		g_debug("vCPU %u: %s of %u byte(s) at unmapped 0x%" G_GINT64_MODIFIER "x (logged once "
			"per page)", v->index, run->mmio.is_write ? "write" : "read", run->mmio.len,
			(uint64_t)run->mmio.phys_addr);
}

/* The host console feeds COM1's receiver: bytes wait in the platform's
 * queue while it is full.  Enter sends CR, as a terminal in raw mode does. */
void *console_thread(void *arg)
{
	struct vm_kvm *vm = arg;
	uint8_t buf[256];
	for (;;) {
		struct pollfd p[2] = { { vm->serial_in_fd, POLLIN, 0 }, { vm->quit_fd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		/* read no more than is there: another reader of the same terminal
		 * must not leave this thread blocked where destroy cannot end it */
		int avail = 0;
		if (ioctl(vm->serial_in_fd, FIONREAD, &avail) < 0)
			avail = 1;
		ssize_t n = read(vm->serial_in_fd, buf, avail > 0 ? MIN((size_t)avail, sizeof(buf)) : 1);
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			break; /* end of input: the console is gone, the guest runs on */
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = '\r';
		size_t done = 0;
		while (done < (size_t)n) {
			pthread_mutex_lock(&vm->pc_lock);
			done += pc_serial_receive(vm->pc, buf + done, (size_t)n - done);
			pthread_mutex_unlock(&vm->pc_lock);
			if (done < (size_t)n) { /* the guest is not reading: wait, or quit */
				struct pollfd q = { vm->quit_fd, POLLIN, 0 };
				if (poll(&q, 1, 20) > 0)
					return NULL;
			}
		}
	}
	return NULL;
}

/* The VGA text buffer is plain RAM; --vga FILE shows it as 25 lines of
 * text, rewritten (atomically, by rename) when it changes. */
static void vga_render(const uint8_t *cells, GString *out)
{
	g_string_truncate(out, 0);
	for (unsigned row = 0; row < PC_VGA_TEXT_ROWS; row++) {
		gsize start = out->len;
		for (unsigned col = 0; col < PC_VGA_TEXT_COLS; col++) {
			uint8_t c = cells[2 * (row * PC_VGA_TEXT_COLS + col)];
			g_string_append_c(out, c >= 0x20 && c < 0x7f ? (char)c : ' ');
		}
		while (out->len > start && out->str[out->len - 1] == ' ')
			g_string_truncate(out, out->len - 1);
		g_string_append_c(out, '\n');
	}
}

void *vga_thread(void *arg)
{
	struct vm_kvm *vm = arg;
	g_autoptr(GString) text = g_string_new(NULL), last = g_string_new(NULL);
	g_autofree char *tmp = g_strdup_printf("%s.tmp", vm->vga_file);
	uint8_t cells[2 * PC_VGA_TEXT_COLS * PC_VGA_TEXT_ROWS];
	bool first = true;
	for (;;) {
		memcpy(cells, vm->mem + PC_VGA_TEXT_ADDR, sizeof(cells));
		vga_render(cells, text);
		if (first || !g_string_equal(text, last)) {
			GError *err = NULL;
			if (!g_file_set_contents(tmp, text->str, (gssize)text->len, &err) ||
			    rename(tmp, vm->vga_file) < 0) {
				g_warning("--vga %s: %s", vm->vga_file, err ? err->message : g_strerror(errno));
				g_clear_error(&err);
				return NULL;
			}
			g_string_assign(last, text->str);
			first = false;
		}
		struct pollfd q = { vm->quit_fd, POLLIN, 0 };
		if (poll(&q, 1, VGA_MIRROR_PERIOD_MS) > 0)
			return NULL;
	}
}
