/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * guest.c - the dbgproxyd test guest (freestanding, x86-64, ring 0).
 *
 * Every vCPU prints one line on COM1 and then spins in tick(), which the
 * integration and end-to-end tests use as a breakpoint target:
 *   counters[cpu] grows by `step` on every call, and vCPU 0 copies
 *   mailbox_in to mailbox_out, so a debugger can write memory and watch the
 *   guest react; each pass of vCPU 0 also stores one byte of ring[16] (the
 *   watchpoint tests watch all sixteen) and 8 bytes across the boundary of
 *   the two pages of straddle_pages.
 */

#define COM1_PORT 0x3f8

volatile unsigned long counters[8];
volatile unsigned long step = 1;
volatile unsigned long mailbox_in;
volatile unsigned long mailbox_out;
volatile unsigned long io_loop_enable; /* set by a debugger: vCPU 1 enters io_loop */
volatile unsigned char conform_scratch[64]; /* never touched: vmdbg-conform --scratch */
volatile unsigned long spin_count;     /* set by a debugger: vCPU 0's next pass runs spin() */
volatile unsigned long spin_result;
volatile unsigned char ring[16];      /* vCPU 0 stores ring_pos into ring[ring_pos % 16], */
volatile unsigned long ring_pos;      /* then adds 1: each byte changes every 16 passes */
/* two pages; vCPU 0 stores ring_pos into the 8 bytes across their boundary */
volatile unsigned char straddle_pages[2][4096] __attribute__((aligned(4096)));

/* Defined and statically initialised in boot.S (byte i = (i * 7 + 3) & 0xff).
 * The reference below makes the compiler describe its type in the DWARF,
 * so that gdb can `print pattern_buf` as well as `x/256xb &pattern_buf`. */
extern volatile unsigned char pattern_buf[256];
__attribute__((used)) static volatile unsigned char *const pattern_buf_ref = pattern_buf;

void tick(unsigned cpu);
void spin(void);
void reg_probe(void); /* boot.S: known register values at reg_probe_point */
void io_loop(void) __attribute__((noreturn)); /* boot.S: port I/O forever */
void guest_main(unsigned cpu) __attribute__((noreturn));

static int print_lock;

static inline void outb(unsigned short port, unsigned char val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static void lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static void serial_puts(const char *s)
{
	while (*s)
		outb(COM1_PORT, (unsigned char)*s++);
}

static void serial_putu(unsigned v)
{
	char buf[12];
	int i = sizeof(buf);

	buf[--i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	serial_puts(&buf[i]);
}

__attribute__((noinline)) void tick(unsigned cpu)
{
	counters[cpu] += step;
	if (cpu == 0)
		mailbox_out = mailbox_in;
}

/* spin_count rounds of arithmetic on ONE source line (the range-stepping
 * tests `next` over it), then spin_count is cleared. */
__attribute__((noinline)) void spin(void)
{
	unsigned long s = counters[0], n = spin_count;
	for (unsigned long i = 0; i < n; i++) s = (s ^ i) * 3;
	spin_result = s;
	spin_count = 0;
}

void guest_main(unsigned cpu)
{
	lock(&print_lock);
	serial_puts("dbgproxy-guest: cpu ");
	serial_putu(cpu);
	serial_puts(" up\n");
	unlock(&print_lock);

	for (;;) {
		tick(cpu);
		if (cpu == 0 && spin_count)
			spin();
		if (cpu == 0) {
			ring[ring_pos % 16] = (unsigned char)ring_pos;
			*(volatile unsigned long *)&straddle_pages[0][4092] = ring_pos;
			ring_pos = ring_pos + 1;
			reg_probe();
		}
		else if (cpu == 1 && io_loop_enable)
			io_loop();
		__builtin_ia32_pause();
	}
}
