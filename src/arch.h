/*
 * arch.h - what dbgproxyd knows about one target architecture: its default
 * target description, how register names bind to the VM's register ids,
 * and which registers a stop reply expedites.  Everything else in the
 * daemon is architecture-neutral.
 */
#ifndef ARCH_H
#define ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* A gdb register name bound to (a slice of) a VM register. */
struct arch_binding {
	uint64_t vm_id;
	uint32_t vm_offset;    /* first byte of the slice within the VM value */
	unsigned gdb_bits;     /* the width gdb must be given for this name */
};

struct arch_ops {
	const char *name;      /* for messages */
	uint32_t vmdbg_arch;   /* enum vmdbg_arch */
	/* The built-in description for a vCPU that serves vm_ids (GArray of uint64_t). */
	char *(*default_tdesc)(const GArray *vm_ids);
	bool (*bind)(const char *name, struct arch_binding *out);
	const char *expedite[4];  /* register names sent with every stop, NULL-terminated */
	const char *const *required; /* registers every description must have, NULL-terminated */
	unsigned sw_bp_kind;      /* breakpoint kind gdb uses (Z0 kind) */
};

const struct arch_ops *arch_for(uint32_t vmdbg_arch);
extern const struct arch_ops arch_x86_64;
extern const struct arch_ops arch_arm64;

#endif
