/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-rtc.c - MC146818A clock registers over the host clock, and the CMOS
 * memory a BIOS would have written (see vm-rtc.h).  "DS" is the Motorola
 * MC146818A datasheet; "AT TR" the IBM PC AT Technical Reference.
 */
#include "vm-rtc.h"

#include <string.h>

/* DS, "Address Map". */
#define REG_SECONDS      0x00u
#define REG_SECONDS_ALARM 0x01u
#define REG_MINUTES      0x02u
#define REG_MINUTES_ALARM 0x03u
#define REG_HOURS        0x04u
#define REG_HOURS_ALARM  0x05u
#define REG_DAY_OF_WEEK  0x06u
#define REG_DAY_OF_MONTH 0x07u
#define REG_MONTH        0x08u
#define REG_YEAR         0x09u
#define REG_A            0x0au
#define REG_B            0x0bu
#define REG_C            0x0cu
#define REG_D            0x0du
/* AT TR, "CMOS RAM Address Map". */
#define CMOS_DIAG_STATUS  0x0eu
#define CMOS_SHUTDOWN     0x0fu
#define CMOS_FLOPPY_TYPES 0x10u
#define CMOS_DISK_TYPES   0x12u
#define CMOS_EQUIPMENT    0x14u
#define CMOS_BASE_MEM_LO  0x15u
#define CMOS_BASE_MEM_HI  0x16u
#define CMOS_EXT_MEM_LO   0x17u
#define CMOS_EXT_MEM_HI   0x18u
#define CMOS_CHECKSUM_HI  0x2eu
#define CMOS_CHECKSUM_LO  0x2fu
#define CMOS_EXT_MEM2_LO  0x30u  /* extended memory found by POST */
#define CMOS_EXT_MEM2_HI  0x31u
#define REG_CENTURY       0x32u
/* Not IBM: the layout SeaBIOS/Bochs firmware and their guests use. */
#define CMOS_MEM_16M_LO   0x34u  /* RAM above 16 MiB, 64 KiB units */
#define CMOS_MEM_16M_HI   0x35u
#define CMOS_MEM_4G_LO    0x5bu  /* RAM above 4 GiB, 64 KiB units, 3 bytes */
#define CMOS_MEM_4G_MID   0x5cu
#define CMOS_MEM_4G_HI    0x5du
#define CMOS_CHECKSUM_FIRST 0x10u
#define CMOS_CHECKSUM_LAST  0x2du

/* DS, "Register A". */
#define A_UIP        0x80u
#define A_WRITABLE   0x7fu
#define A_POWER_ON   0x26u   /* DV = 010 (32.768 kHz), RS = 0110 (1024 Hz) */
/* DS, "Register B". */
#define B_SET        0x80u
#define B_PIE        0x40u
#define B_AIE        0x20u
#define B_UIE        0x10u
#define B_SQWE       0x08u
#define B_DM_BINARY  0x04u
#define B_24H        0x02u
#define B_DSE        0x01u
#define B_POWER_ON   B_24H   /* 24-hour, BCD */
/* DS, "Register C" and "Register D". */
#define C_IRQF       0x80u
#define C_UF         0x10u
#define D_VRT        0x80u

#define HOUR_PM      0x80u   /* DS, "Time, Calendar and Alarm Locations" */
#define INDEX_NMI_MASK 0x80u

/* AT TR equipment byte: bit 1 math coprocessor, bits 5:4 = 10 primary
 * display 80x25 colour, no diskette drives (bit 0 = 0). */
#define EQUIPMENT    0x22u
#define BASE_MEM_KIB 640u
#define EXT_MEM_CAP_KIB 0xfc00u  /* 63 MiB, the conventional ceiling */

#define NS_PER_SEC   1000000000ll
#define SECS_PER_DAY 86400ll
/* DS, "Update Cycle": UIP goes high 244 us before the update starts. */
#define UIP_LEAD_NS  244000ll

struct guest_instant {
	int64_t sec;      /* seconds since the epoch on the guest's clock */
	int64_t frac_ns;  /* 0 .. NS_PER_SEC - 1 */
};

struct civil_time {
	int64_t year;
	unsigned month, day, hour, minute, second, weekday; /* weekday 1 = Sunday */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b < 0) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	int64_t r = a % b;
	return r < 0 ? r + b : r;
}

/* Proleptic Gregorian calendar over 400-year eras of 146097 days, with
 * years starting on 1 March so that the leap day ends the year. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	if (m <= 2)
		y--;
	int64_t era = floor_div(y, 400);
	int64_t year_of_era = y - era * 400;
	int64_t day_of_year = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	return era * 146097 + day_of_era - 719468; /* 719468: 0000-03-01 to 1970-01-01 */
}

static void civil_from_seconds(int64_t secs, struct civil_time *t)
{
	int64_t days = floor_div(secs, SECS_PER_DAY);
	int64_t sod = secs - days * SECS_PER_DAY;
	t->hour = (unsigned)(sod / 3600);
	t->minute = (unsigned)(sod / 60 % 60);
	t->second = (unsigned)(sod % 60);
	t->weekday = (unsigned)floor_mod(days + 4, 7) + 1; /* 1970-01-01 was a Thursday */

	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t day_of_era = z - era * 146097;
	int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
			       day_of_era / 146096) / 365;
	int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t mp = (5 * day_of_year + 2) / 153;
	t->day = (unsigned)(day_of_year - (153 * mp + 2) / 5 + 1);
	t->month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	t->year = year_of_era + era * 400 + (t->month <= 2);
}

static bool set_mode(const struct rtc *r)
{
	return r->cmos[REG_B] & B_SET;
}

static struct guest_instant guest_now(const struct rtc *r)
{
	int64_t now = r->ops.now_ns(r->ops.opaque);
	int64_t sec = floor_div(now, NS_PER_SEC) - r->base_host_sec;
	int64_t frac = floor_mod(now, NS_PER_SEC) - r->base_host_frac;
	if (frac < 0) {
		frac += NS_PER_SEC;
		sec--;
	}
	return (struct guest_instant){ r->base_guest_sec + sec, frac };
}

/* Make the guest's clock read guest_sec + frac_ns now. */
static void set_clock(struct rtc *r, int64_t guest_sec, int64_t frac_ns)
{
	int64_t now = r->ops.now_ns(r->ops.opaque);
	r->base_guest_sec = guest_sec;
	r->base_host_sec = floor_div(now, NS_PER_SEC);
	r->base_host_frac = floor_mod(now, NS_PER_SEC) - frac_ns;
	if (r->base_host_frac < 0) {
		r->base_host_frac += NS_PER_SEC;
		r->base_host_sec--;
	}
	r->uf_since = guest_sec;
}

/* DS, "Register B": DM selects binary or BCD for every time, calendar
 * and alarm byte. */
static uint8_t encode(const struct rtc *r, unsigned v)
{
	if (r->cmos[REG_B] & B_DM_BINARY)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned decode(const struct rtc *r, uint8_t raw)
{
	if (r->cmos[REG_B] & B_DM_BINARY)
		return raw;
	return (raw >> 4) * 10u + (raw & 0x0fu);
}

/* In 12-hour mode the hours run 1..12 and bit 7 means PM. */
static uint8_t encode_hour(const struct rtc *r, unsigned hour)
{
	if (r->cmos[REG_B] & B_24H)
		return encode(r, hour);
	unsigned h12 = hour % 12 ? hour % 12 : 12;
	return encode(r, h12) | (hour >= 12 ? HOUR_PM : 0);
}

static unsigned decode_hour(const struct rtc *r, uint8_t raw)
{
	if (r->cmos[REG_B] & B_24H)
		return decode(r, raw);
	return decode(r, raw & ~HOUR_PM) % 12 + ((raw & HOUR_PM) ? 12 : 0);
}

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void store_time(struct rtc *r, int64_t guest_sec)
{
	struct civil_time t;
	civil_from_seconds(guest_sec, &t);
	r->cmos[REG_SECONDS] = encode(r, t.second);
	r->cmos[REG_MINUTES] = encode(r, t.minute);
	r->cmos[REG_HOURS] = encode_hour(r, t.hour);
	r->cmos[REG_DAY_OF_WEEK] = encode(r, t.weekday);
	r->cmos[REG_DAY_OF_MONTH] = encode(r, t.day);
	r->cmos[REG_MONTH] = encode(r, t.month);
	r->cmos[REG_YEAR] = encode(r, (unsigned)floor_mod(t.year, 100));
	r->cmos[REG_CENTURY] = encode(r, (unsigned)floor_mod(floor_div(t.year, 100), 100));
}

/* The time the registers hold; out-of-range values are clamped (the
 * datasheet leaves them undefined). */
static int64_t load_time(const struct rtc *r)
{
	const uint8_t *c = r->cmos;
	int64_t year = clamp(decode(r, c[REG_CENTURY]), 0, 99) * 100 +
		       clamp(decode(r, c[REG_YEAR]), 0, 99);
	unsigned month = clamp(decode(r, c[REG_MONTH]), 1, 12);
	unsigned day = clamp(decode(r, c[REG_DAY_OF_MONTH]), 1, 31);
	int64_t days = days_from_civil(year, month, day);
	return days * SECS_PER_DAY + clamp(decode_hour(r, c[REG_HOURS]), 0, 23) * 3600 +
	       clamp(decode(r, c[REG_MINUTES]), 0, 59) * 60 +
	       clamp(decode(r, c[REG_SECONDS]), 0, 59);
}

static bool is_time_register(unsigned index)
{
	switch (index) {
	case REG_SECONDS: case REG_MINUTES: case REG_HOURS: case REG_DAY_OF_WEEK:
	case REG_DAY_OF_MONTH: case REG_MONTH: case REG_YEAR: case REG_CENTURY:
		return true;
	default:
		return false;
	}
}

/* DS: setting SET aborts any update cycle and clears UIE; the registers
 * keep the time they held.  Clearing SET starts the clock from them. */
static void write_register_b(struct rtc *r, uint8_t val)
{
	bool was_set = set_mode(r);
	if (val & B_SET)
		val &= ~B_UIE;
	if ((val & B_SET) && !was_set) {
		struct guest_instant g = guest_now(r);
		r->cmos[REG_B] = val;
		store_time(r, g.sec);
	} else if (!(val & B_SET) && was_set) {
		r->cmos[REG_B] = val;
		set_clock(r, load_time(r), 0);
	} else {
		r->cmos[REG_B] = val;
	}
}

/* Writing a time register with SET clear changes the running clock
 * (allowed by DS; the next update counts on from the new value). */
static void write_time_register(struct rtc *r, unsigned index, uint8_t val)
{
	if (set_mode(r)) {
		r->cmos[index] = val;
		return;
	}
	struct guest_instant g = guest_now(r);
	store_time(r, g.sec);
	r->cmos[index] = val;
	set_clock(r, load_time(r), g.frac_ns);
}

/* DS, "Register C": reading clears the flags.  Only UF can be set: an
 * update cycle ended since the last read. */
static uint8_t read_register_c(struct rtc *r)
{
	if (set_mode(r))
		return 0;
	struct guest_instant g = guest_now(r);
	uint8_t flags = 0;
	if (g.sec != r->uf_since) {
		flags = C_UF;
		if (r->cmos[REG_B] & B_UIE)
			flags |= C_IRQF;
	}
	r->uf_since = g.sec;
	return flags;
}

static uint8_t read_register(struct rtc *r, unsigned index)
{
	if (is_time_register(index)) {
		if (!set_mode(r))
			store_time(r, guest_now(r).sec);
		return r->cmos[index];
	}
	switch (index) {
	case REG_A: {
		uint8_t a = r->cmos[REG_A];
		if (!set_mode(r) && guest_now(r).frac_ns >= NS_PER_SEC - UIP_LEAD_NS)
			a |= A_UIP;
		return a;
	}
	case REG_C:
		return read_register_c(r);
	case REG_D:
		return D_VRT; /* the battery is good */
	default:
		return r->cmos[index];
	}
}

static void write_register(struct rtc *r, unsigned index, uint8_t val)
{
	if (is_time_register(index)) {
		write_time_register(r, index, val);
		return;
	}
	switch (index) {
	case REG_A:
		r->cmos[REG_A] = val & A_WRITABLE;
		break;
	case REG_B:
		write_register_b(r, val);
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		r->cmos[index] = val;
		break;
	}
}

uint8_t rtc_read(struct rtc *r, unsigned port)
{
	if (port == RTC_DATA)
		return read_register(r, r->index);
	return 0xff; /* the index register is write-only on the AT */
}

void rtc_write(struct rtc *r, unsigned port, uint8_t val)
{
	if (port == RTC_INDEX) {
		r->index = val & (RTC_CMOS_SIZE - 1);
		r->nmi_masked = val & INDEX_NMI_MASK;
	} else if (port == RTC_DATA) {
		write_register(r, r->index, val);
	}
}

static void put16(uint8_t *cmos, unsigned lo, unsigned hi, uint64_t v)
{
	cmos[lo] = v & 0xff;
	cmos[hi] = (v >> 8) & 0xff;
}

/* The memory-size bytes a BIOS writes after POST.  KiB above 1 MiB for
 * the AT bytes, 64 KiB units above 16 MiB and above 4 GiB for the rest. */
static void store_memory_size(uint8_t *cmos, uint64_t mem_size)
{
	const uint64_t mib = 1ull << 20;
	uint64_t ext_kib = mem_size > mib ? (mem_size - mib) >> 10 : 0;
	uint64_t above_16m = mem_size > 16 * mib ? (mem_size - 16 * mib) >> 16 : 0;
	uint64_t above_4g = mem_size > (4096 * mib) ? (mem_size - 4096 * mib) >> 16 : 0;
	if (ext_kib > EXT_MEM_CAP_KIB)
		ext_kib = EXT_MEM_CAP_KIB;
	if (above_16m > 0xffff)
		above_16m = 0xffff;
	if (above_4g > 0xffffff)
		above_4g = 0xffffff;

	put16(cmos, CMOS_BASE_MEM_LO, CMOS_BASE_MEM_HI, BASE_MEM_KIB);
	put16(cmos, CMOS_EXT_MEM_LO, CMOS_EXT_MEM_HI, ext_kib);
	put16(cmos, CMOS_EXT_MEM2_LO, CMOS_EXT_MEM2_HI, ext_kib);
	put16(cmos, CMOS_MEM_16M_LO, CMOS_MEM_16M_HI, above_16m);
	cmos[CMOS_MEM_4G_LO] = above_4g & 0xff;
	cmos[CMOS_MEM_4G_MID] = (above_4g >> 8) & 0xff;
	cmos[CMOS_MEM_4G_HI] = (above_4g >> 16) & 0xff;
}

/* AT TR: a 16-bit sum of bytes 0x10-0x2D, high byte first. */
static void store_checksum(uint8_t *cmos)
{
	unsigned sum = 0;
	for (unsigned i = CMOS_CHECKSUM_FIRST; i <= CMOS_CHECKSUM_LAST; i++)
		sum += cmos[i];
	cmos[CMOS_CHECKSUM_HI] = (sum >> 8) & 0xff;
	cmos[CMOS_CHECKSUM_LO] = sum & 0xff;
}

void rtc_init(struct rtc *r, const struct rtc_ops *ops, uint64_t mem_size)
{
	memset(r, 0, sizeof(*r));
	r->ops = *ops;
	r->cmos[REG_A] = A_POWER_ON;
	r->cmos[REG_B] = B_POWER_ON;
	r->cmos[CMOS_DIAG_STATUS] = 0;   /* POST found nothing wrong */
	r->cmos[CMOS_SHUTDOWN] = 0;      /* a normal (cold) boot */
	r->cmos[CMOS_FLOPPY_TYPES] = 0;  /* no diskette drives */
	r->cmos[CMOS_DISK_TYPES] = 0;    /* no fixed disks */
	r->cmos[CMOS_EQUIPMENT] = EQUIPMENT;
	store_memory_size(r->cmos, mem_size);
	store_checksum(r->cmos);
	r->uf_since = guest_now(r).sec;
}
