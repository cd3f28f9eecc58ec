/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-rtc.h - the PC's real-time clock and CMOS memory: a Motorola
 * MC146818A behind index port 0x70 (bit 7 masks NMI) and data port 0x71,
 * with the 128 bytes of battery-backed memory filled as a PC BIOS leaves
 * them (IBM PC AT Technical Reference, "CMOS RAM Address Map").
 *
 * The clock is the host's wall clock (ops.now_ns, UTC) plus an offset the
 * guest changes by writing the time registers; the date and time
 * registers are computed on every read in the data mode and hour format
 * register B selects.  Register A's UIP bit is derived from the same
 * clock (set during the last 244 us of every second), so code that waits
 * for an update cycle to start or end terminates.  With register B's SET
 * bit the registers freeze and take the guest's writes; clearing SET
 * starts the clock from what was written, at the start of a second.  The
 * day of the week always follows from the date.
 *
 * No interrupt is ever raised on PC_IRQ_RTC: periodic, alarm and
 * update-ended interrupts are not emulated.  Register C reports the
 * update-ended flag (UF) for guests that poll it, and reads as the
 * datasheet says (flags cleared by the read); PF and AF stay 0.
 *
 * Not thread-safe; the caller serialises.
 */
#ifndef VM_RTC_H
#define VM_RTC_H

#include <stdbool.h>
#include <stdint.h>

/* Offsets from port 0x70. */
#define RTC_INDEX 0u
#define RTC_DATA  1u
#define RTC_NR_PORTS 2u

#define RTC_CMOS_SIZE 128u

struct rtc_ops {
	int64_t (*now_ns)(void *opaque);  /* ns since the Unix epoch, UTC */
	void *opaque;
};

struct rtc {
	struct rtc_ops ops;
	/* Memory bytes, registers A and B, the alarms, and the time
	 * registers as last computed (or as written while SET). */
	uint8_t cmos[RTC_CMOS_SIZE];
	uint8_t index;
	bool nmi_masked;
	/* The guest's clock read base_guest_sec.000000000 at the host instant
	 * base_host_sec + base_host_frac ns. */
	int64_t base_guest_sec, base_host_sec, base_host_frac;
	int64_t uf_since;   /* guest second of the last register C read */
};

void rtc_init(struct rtc *r, const struct rtc_ops *ops, uint64_t mem_size);
/* port is the offset from 0x70: RTC_INDEX or RTC_DATA. */
uint8_t rtc_read(struct rtc *r, unsigned port);
void rtc_write(struct rtc *r, unsigned port, uint8_t val);

#endif
