/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-pc.h - the legacy PC I/O port bus of dbgproxy-vm's x86 machine: the
 * devices KVM leaves to userspace (COM1, the keyboard controller, the RTC
 * and CMOS) and the motherboard's miscellaneous ports (POST 0x80, System
 * Control Port A 0x92, Bochs debug console 0xE9, reset control 0xCF9).
 * The interrupt controllers, the PIT and port 0x61 are KVM's; PCI
 * configuration space (0xCF8/0xCFC) does not exist: it floats, so
 * kernels find no PCI.
 *
 * The KVM back end hands every KVM_EXIT_IO to pc_io() and typed host
 * console input to pc_serial_receive(); the platform calls back for
 * transmitted bytes, interrupt line changes, resets and the time.
 * Pure: no KVM, no threads, no I/O of its own.  Not thread-safe: the
 * caller holds one mutex around every call; callbacks are called with it
 * held and must not call back in.
 */
#ifndef VM_PC_H
#define VM_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the devices sit (IBM PC AT Technical Reference, "I/O Address Map";
 * 0xCF9 from the Intel PIIX/ICH datasheets; 0xE9 from Bochs). */
#define PC_PORT_KBD_DATA     0x60u
#define PC_PORT_KBD_STATUS   0x64u   /* status (read), command (write) */
#define PC_PORT_RTC_INDEX    0x70u
#define PC_PORT_RTC_DATA     0x71u
#define PC_PORT_POST         0x80u
#define PC_PORT_SYSCTL_A     0x92u
#define PC_PORT_DEBUGCON     0xe9u
#define PC_PORT_COM1         0x3f8u  /* to 0x3ff */
#define PC_PORT_RST_CNT      0xcf9u

#define PC_SERIAL_RX_QUEUE   4096u

struct pc_platform_ops {
	void (*serial_tx)(void *opaque, uint8_t byte);            /* a byte the guest transmitted on COM1 */
	void (*set_irq)(void *opaque, unsigned irq, bool level);  /* an ISA IRQ line changed level (called only on a change) */
	void (*reset)(void *opaque);                               /* the guest asked for a system reset (i8042 0xFE pulse, port 0x92 bit 0 rising, 0xCF9 with bit 2) */
	int64_t (*now_ns)(void *opaque);                           /* host wall-clock time, ns since the Unix epoch (RTC); tests pass a fixed clock */
	void *opaque;
};

struct pc_platform;

/* mem_size: guest RAM bytes, for the CMOS memory-size bytes.  All four
 * callbacks are required. */
struct pc_platform *pc_platform_new(const struct pc_platform_ops *ops, uint64_t mem_size);
void pc_platform_free(struct pc_platform *pc);

/* One KVM_EXIT_IO: size 1, 2 or 4 bytes, `count` repetitions (string I/O),
 * data laid out as KVM's kvm_run io area (count * size bytes,
 * little-endian).  Writes consume data; reads fill it.  Ports nobody
 * implements read as a floating ISA bus (all ones) and writes are
 * dropped; each such port is logged once, at debug level, the first time
 * it is touched.  Wider accesses to byte-wide device registers are split
 * into byte accesses at port, port+1, ... as the ISA bus does; 0xCF9 only
 * decodes byte accesses, so a dword at 0xCF8 (PCI CONFIG_ADDRESS) never
 * reaches it. */
void pc_io(struct pc_platform *pc, uint16_t port, bool is_write, unsigned size, unsigned count,
	   uint8_t *data);

/* Bytes typed on the host console for COM1's receiver.  They wait in an
 * input queue of at most PC_SERIAL_RX_QUEUE bytes and enter the UART as
 * the guest reads (16-byte FIFO semantics, DR in LSR while anything is
 * pending, receive-data interrupt when enabled).  Returns how many were
 * accepted (fewer when the queue is full). */
size_t pc_serial_receive(struct pc_platform *pc, const uint8_t *bytes, size_t n);

/* Whether a device of this platform decodes the port (for byte accesses). */
bool pc_port_is_handled(uint16_t port);

#endif
