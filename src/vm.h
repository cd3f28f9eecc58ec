/*
 * vm.h - the machine behind dbgproxy-vm: a KVM VM with one thread per vCPU,
 * seen by the socket server only through these calls.  Every call is made
 * from the control thread; each fails with a GError in VM_ERROR whose code
 * is an enum vmdbg_err, so the server can answer with an ERROR frame.
 */
#ifndef VM_H
#define VM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "vmdbg-codec.h"

#define VM_ERROR (vm_error_quark())
GQuark vm_error_quark(void);

struct vm;

struct vm_config {
	const char *kernel;    /* multiboot ELF */
	const char *cmdline;
	unsigned nr_vcpus;
	uint64_t mem_mib;
	bool start_paused;     /* vCPUs wait for the first RESUME */
	int serial_fd;         /* where guest serial output goes */
};

struct vm *vm_create(const struct vm_config *cfg, GError **error);
/* Stop every vCPU thread and release the VM. */
void vm_destroy(struct vm *vm);

/* The control thread is woken through notify_fd (an eventfd: readable when
 * stop events are queued); vm_pop_stop() takes them in order. */
int vm_notify_fd(struct vm *vm);
bool vm_pop_stop(struct vm *vm, struct vmdbg_stopped *out);

void vm_hello(struct vm *vm, struct vmdbg_hello *out);
bool vm_reg_list(struct vm *vm, uint32_t vcpu, GArray *ids, GError **error);
/* values receives the concatenated values of ids, in order. */
bool vm_get_regs(struct vm *vm, uint32_t vcpu, const uint64_t *ids, uint32_t count,
		 GByteArray *values, GError **error);
bool vm_set_regs(struct vm *vm, const struct vmdbg_reg_vals *vals, GError **error);
/* Returns the bytes read (>= 1), or -1 with EFAULT when the first byte is unmapped. */
long vm_read_mem(struct vm *vm, uint32_t vcpu, uint64_t addr, uint32_t len, uint8_t *out,
		 GError **error);
bool vm_write_mem(struct vm *vm, uint32_t vcpu, uint64_t addr, const uint8_t *data,
		  uint32_t len, GError **error);
bool vm_set_guest_debug(struct vm *vm, const struct vmdbg_guest_debug *g, GError **error);
bool vm_sw_bp_insert(struct vm *vm, const struct vmdbg_sw_bp *bp, GError **error);
bool vm_sw_bp_remove(struct vm *vm, const struct vmdbg_sw_bp *bp, GError **error);
bool vm_pause(struct vm *vm, GError **error);
bool vm_resume(struct vm *vm, const struct vmdbg_resume *r, GError **error);
/* Restore patched bytes, clear guest debug, resume every vCPU. */
void vm_detach(struct vm *vm);

#endif
