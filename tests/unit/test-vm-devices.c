/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-vm-devices.c - unit tests of the legacy PC devices behind pc_io():
 * the 16550A on COM1, the 8042 keyboard controller, the MC146818A RTC and
 * CMOS, and the motherboard's miscellaneous ports.  Everything goes
 * through the port bus, as a guest would; expectations come from the
 * datasheets and from the probe sequences of real guests (Linux's 8250
 * autoconfig, GRUB's serial probe, GNU Mach's kd driver), not from the
 * device code.  A fixed fake clock; callbacks are recorded.
 */
#include <string.h>
#include <glib.h>

#include "vm-pc.h"
#include "vm-pclayout.h"

/* PC16550D, table II: register offsets from the base port. */
#define COM1        0x3f8u
#define RBR         (COM1 + 0)
#define THR         (COM1 + 0)
#define DLL         (COM1 + 0)
#define IER         (COM1 + 1)
#define DLM         (COM1 + 1)
#define IIR         (COM1 + 2)
#define FCR         (COM1 + 2)
#define LCR         (COM1 + 3)
#define MCR         (COM1 + 4)
#define LSR         (COM1 + 5)
#define MSR         (COM1 + 6)
#define SCR         (COM1 + 7)
#define LCR_DLAB    0x80u
#define LCR_8N1     0x03u
#define IER_ERBFI   0x01u
#define IER_ETBEI   0x02u
#define IER_ELSI    0x04u
#define IIR_NONE    0x01u
#define IIR_RLS     0x06u
#define IIR_RDA     0x04u
#define IIR_THRE    0x02u
#define IIR_FIFO    0xc0u
#define FCR_ENABLE  0x01u
#define FCR_CLR_RX  0x02u
#define FCR_CLR_TX  0x04u
#define MCR_DTR     0x01u
#define MCR_RTS     0x02u
#define MCR_OUT1    0x04u
#define MCR_OUT2    0x08u
#define MCR_LOOP    0x10u
#define LSR_DR      0x01u
#define LSR_OE      0x02u
#define LSR_THRE    0x20u
#define LSR_TEMT    0x40u
#define MSR_CTS     0x10u
#define MSR_DSR     0x20u
#define MSR_RI      0x40u
#define MSR_DCD     0x80u

/* 8042 (IBM PS/2 technical reference). */
#define KBD_DATA    0x60u
#define KBD_STATUS  0x64u
#define KBD_CMD     0x64u
#define ST_OBF      0x01u
#define ST_IBF      0x02u
#define ST_SYS      0x04u
#define ST_CMD      0x08u
#define ST_AUX_OBF  0x20u
#define CB_KBD_INT  0x01u
#define CB_SYS      0x04u
#define CB_XLATE    0x40u
#define ACK         0xfau

/* MC146818A. */
#define RTC_INDEX   0x70u
#define RTC_DATA    0x71u
#define REG_A       0x0au
#define REG_B       0x0bu
#define REG_C       0x0cu
#define REG_D       0x0du
#define B_SET       0x80u
#define B_DM_BIN    0x04u
#define B_24H       0x02u
#define A_UIP       0x80u
#define C_UF        0x10u

#define NS          1000000000ll
/* 2026-11-28 05:09:07 UTC, a Saturday */
#define T_2026_11_28_050907 1795842547ll
#define MIB         (1ull << 20)

/* ---- the fixture: a platform with recording callbacks ---------------------- */

struct fake {
	struct pc_platform *pc;
	GByteArray *tx;
	bool level[16];
	unsigned irq_events[16];   /* set_irq calls per line */
	unsigned resets;
	int64_t now;
};

static void fake_tx(void *opaque, uint8_t byte)
{
	struct fake *f = opaque;
	g_byte_array_append(f->tx, &byte, 1);
}

static void fake_set_irq(void *opaque, unsigned irq, bool level)
{
	struct fake *f = opaque;
	g_assert_cmpuint(irq, <, 16);
	g_assert_true(f->level[irq] != level); /* only changes are reported */
	f->level[irq] = level;
	f->irq_events[irq]++;
}

static void fake_reset(void *opaque)
{
	struct fake *f = opaque;
	f->resets++;
}

static int64_t fake_now(void *opaque)
{
	struct fake *f = opaque;
	return f->now;
}

static struct fake *fake_new_mem(uint64_t mem_size)
{
	struct fake *f = g_new0(struct fake, 1);
	f->tx = g_byte_array_new();
	f->now = T_2026_11_28_050907 * NS + NS / 2;
	struct pc_platform_ops ops = { fake_tx, fake_set_irq, fake_reset, fake_now, f };
	f->pc = pc_platform_new(&ops, mem_size);
	g_assert_nonnull(f->pc);
	return f;
}

static struct fake *fake_new(void)
{
	return fake_new_mem(64 * MIB);
}

static void fake_free(struct fake *f)
{
	pc_platform_free(f->pc);
	g_byte_array_unref(f->tx);
	g_free(f);
}

static void outb(struct fake *f, uint16_t port, uint8_t v)
{
	pc_io(f->pc, port, true, 1, 1, &v);
}

static uint8_t inb(struct fake *f, uint16_t port)
{
	uint8_t v = 0x5a;
	pc_io(f->pc, port, false, 1, 1, &v);
	return v;
}

static uint32_t in_n(struct fake *f, uint16_t port, unsigned size)
{
	uint8_t b[4] = { 0x12, 0x34, 0x56, 0x78 };
	pc_io(f->pc, port, false, size, 1, b);
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void out_n(struct fake *f, uint16_t port, unsigned size, uint32_t v)
{
	uint8_t b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
	pc_io(f->pc, port, true, size, 1, b);
}

static void assert_tx(struct fake *f, const char *want)
{
	g_assert_cmpmem(f->tx->data, f->tx->len, want, strlen(want));
	g_byte_array_set_size(f->tx, 0);
}

/* ---- 16550A ---------------------------------------------------------------- */

/* PC16550D table III, reset configuration; MSR inputs of a connected terminal. */
static void test_uart_reset_state(void)
{
	struct fake *f = fake_new();
	g_assert_cmphex(inb(f, IER), ==, 0x00);
	g_assert_cmphex(inb(f, IIR), ==, IIR_NONE);
	g_assert_cmphex(inb(f, LCR), ==, 0x00);
	g_assert_cmphex(inb(f, MCR), ==, 0x00);
	g_assert_cmphex(inb(f, LSR), ==, LSR_THRE | LSR_TEMT);
	g_assert_cmphex(inb(f, MSR), ==, MSR_CTS | MSR_DSR | MSR_DCD);
	g_assert_cmpuint(f->irq_events[PC_IRQ_COM1], ==, 0);
	fake_free(f);
}

static void test_uart_registers(void)
{
	struct fake *f = fake_new();
	outb(f, IER, 0xff);
	g_assert_cmphex(inb(f, IER), ==, 0x0f);     /* bits 7:4 are always 0 */
	outb(f, IER, 0);
	outb(f, LCR, 0x5b);
	g_assert_cmphex(inb(f, LCR), ==, 0x5b);     /* all 8 bits */
	outb(f, LCR, LCR_8N1);
	outb(f, MCR, 0xe3);
	g_assert_cmphex(inb(f, MCR), ==, 0x03);     /* bits 7:5 are always 0 */
	outb(f, LSR, 0x00);                         /* LSR/MSR writes change nothing */
	outb(f, MSR, 0x00);
	g_assert_cmphex(inb(f, LSR), ==, LSR_THRE | LSR_TEMT);
	g_assert_cmphex(inb(f, MSR) & 0xf0, ==, MSR_CTS | MSR_DSR | MSR_DCD);
	fake_free(f);
}

/* PC16550D 8.12: the scratch register holds what is written.  GRUB's
 * ns8250 probe writes 0x5a and 0xa5 and reads them back. */
static void test_uart_scratch(void)
{
	struct fake *f = fake_new();
	outb(f, SCR, 0x5a);
	g_assert_cmphex(inb(f, SCR), ==, 0x5a);
	outb(f, SCR, 0xa5);
	g_assert_cmphex(inb(f, SCR), ==, 0xa5);
	for (unsigned v = 0; v < 256; v++) {
		outb(f, SCR, (uint8_t)v);
		g_assert_cmphex(inb(f, SCR), ==, v);
	}
	g_assert_cmpuint(f->tx->len, ==, 0);
	fake_free(f);
}

/* PC16550D 8.3: with DLAB set, offsets 0 and 1 are the divisor latch. */
static void test_uart_divisor_latch(void)
{
	struct fake *f = fake_new();
	outb(f, IER, 0x05);
	outb(f, LCR, LCR_DLAB | LCR_8N1);
	outb(f, DLL, 0x01);   /* 115200 baud */
	outb(f, DLM, 0x00);
	g_assert_cmphex(inb(f, DLL), ==, 0x01);
	g_assert_cmphex(inb(f, DLM), ==, 0x00);
	outb(f, DLL, 0x80);   /* 900 baud: 0x0180 */
	outb(f, DLM, 0x01);
	g_assert_cmphex(inb(f, DLL), ==, 0x80);
	g_assert_cmphex(inb(f, DLM), ==, 0x01);
	g_assert_cmphex(inb(f, LCR), ==, LCR_DLAB | LCR_8N1);
	outb(f, LCR, LCR_8N1);
	g_assert_cmpuint(f->tx->len, ==, 0);       /* DLL writes are not data */
	g_assert_cmphex(inb(f, IER), ==, 0x05);    /* DLM writes did not touch IER */
	outb(f, LCR, LCR_DLAB | LCR_8N1);
	g_assert_cmphex(inb(f, DLL), ==, 0x80);    /* the latch keeps its value */
	g_assert_cmphex(inb(f, DLM), ==, 0x01);
	fake_free(f);
}

/* drivers/tty/serial/8250/8250_port.c: autoconfig() and autoconfig_16550a()
 * and the THRE re-assertion test of serial8250_do_startup(). */
static void test_uart_linux_autoconfig(void)
{
	struct fake *f = fake_new();

	uint8_t scratch = inb(f, IER);
	outb(f, IER, 0);
	outb(f, 0x80, 0xff);
	uint8_t scratch2 = inb(f, IER) & 0x0f;
	outb(f, IER, 0x0f);
	outb(f, 0x80, 0);
	uint8_t scratch3 = inb(f, IER) & 0x0f;
	outb(f, IER, scratch);
	g_assert_cmphex(scratch2, ==, 0);
	g_assert_cmphex(scratch3, ==, 0x0f);

	uint8_t save_mcr = inb(f, MCR), save_lcr = inb(f, LCR);
	outb(f, MCR, MCR_LOOP | 0x0a);
	g_assert_cmphex(inb(f, MSR) & 0xf0, ==, 0x90);
	outb(f, MCR, save_mcr);

	outb(f, LCR, 0xbf);     /* UART_LCR_CONF_MODE_B */
	outb(f, FCR, 0);        /* UART_EFR on enhanced parts; FCR here */
	outb(f, LCR, 0);
	outb(f, FCR, FCR_ENABLE);
	g_assert_cmphex(inb(f, IIR) >> 6, ==, 3);   /* a 16550A */

	/* autoconfig_16550a: no EFR behind DLAB (only IIR is there) */
	outb(f, LCR, 0x80);
	g_assert_cmphex(inb(f, IIR), !=, 0);
	outb(f, LCR, 0xbf);
	g_assert_cmphex(inb(f, IIR), !=, 0);
	/* no 64-byte FIFO (TI16750 check): IIR bit 5 stays 0 */
	outb(f, LCR, 0);
	outb(f, FCR, FCR_ENABLE | 0x20);
	g_assert_cmphex(inb(f, IIR) & 0xe0, ==, 0xc0);
	outb(f, FCR, 0);
	g_assert_cmphex(inb(f, IIR) & 0xc0, ==, 0);  /* FIFOs off again */
	outb(f, LCR, save_lcr);
	g_assert_cmphex(inb(f, LSR), !=, 0xff);

	/* serial8250_do_startup: a real 16550 re-asserts THRE when THRI is
	 * enabled again after the interrupt was acknowledged (UART_BUG_THRE). */
	outb(f, IER, IER_ETBEI);
	uint8_t iir1 = inb(f, IIR);
	outb(f, IER, 0);
	outb(f, IER, IER_ETBEI);
	uint8_t iir = inb(f, IIR);
	outb(f, IER, 0);
	g_assert_cmphex(iir1 & IIR_NONE, ==, 0);
	g_assert_cmphex(iir & IIR_NONE, ==, 0);
	g_assert_cmpuint(f->tx->len, ==, 0);
	fake_free(f);
}

/* PC16550D table IV: THRE is set when THR empties, reset by reading IIR
 * (when it is the source) or by writing THR. */
static void test_uart_thre_interrupt(void)
{
	struct fake *f = fake_new();
	outb(f, MCR, MCR_OUT2 | MCR_DTR | MCR_RTS);
	g_assert_false(f->level[PC_IRQ_COM1]);
	outb(f, IER, IER_ETBEI);
	g_assert_true(f->level[PC_IRQ_COM1]);
	g_assert_cmphex(inb(f, IIR), ==, IIR_THRE);
	g_assert_false(f->level[PC_IRQ_COM1]);        /* acknowledged */
	g_assert_cmphex(inb(f, IIR), ==, IIR_NONE);

	/* writing THR: the byte leaves at once, THR is empty again */
	unsigned events = f->irq_events[PC_IRQ_COM1];
	outb(f, THR, 'a');
	assert_tx(f, "a");
	g_assert_true(f->level[PC_IRQ_COM1]);
	g_assert_cmpuint(f->irq_events[PC_IRQ_COM1], ==, events + 1);
	g_assert_cmphex(inb(f, LSR) & (LSR_THRE | LSR_TEMT), ==, LSR_THRE | LSR_TEMT);

	/* writing THR while THRE is still pending: low, then high again (an
	 * edge, as a real UART gives one character time later) */
	events = f->irq_events[PC_IRQ_COM1];
	outb(f, THR, 'b');
	assert_tx(f, "b");
	g_assert_true(f->level[PC_IRQ_COM1]);
	g_assert_cmpuint(f->irq_events[PC_IRQ_COM1], ==, events + 2);

	/* received data has priority over THRE */
	outb(f, IER, IER_ETBEI | IER_ERBFI);
	g_assert_cmpuint(pc_serial_receive(f->pc, (const uint8_t *)"x", 1), ==, 1);
	g_assert_cmphex(inb(f, IIR), ==, IIR_RDA);
	g_assert_cmphex(inb(f, RBR), ==, 'x');
	g_assert_cmphex(inb(f, IIR), ==, IIR_THRE);   /* still pending underneath */
	g_assert_cmphex(inb(f, IIR), ==, IIR_NONE);
	g_assert_false(f->level[PC_IRQ_COM1]);

	/* disabling ETBEI drops a pending THRE */
	outb(f, IER, 0);
	outb(f, IER, IER_ETBEI);
	g_assert_true(f->level[PC_IRQ_COM1]);
	outb(f, IER, 0);
	g_assert_false(f->level[PC_IRQ_COM1]);
	g_assert_cmphex(inb(f, IIR), ==, IIR_NONE);
	fake_free(f);
}

/* On a PC, INTRPT reaches the PIC only with MCR.OUT2 set. */
static void test_uart_out2_gating(void)
{
	struct fake *f = fake_new();
	outb(f, IER, IER_ETBEI);
	g_assert_cmpuint(f->irq_events[PC_IRQ_COM1], ==, 0);
	outb(f, MCR, MCR_OUT2);
	g_assert_true(f->level[PC_IRQ_COM1]);
	outb(f, MCR, 0);
	g_assert_false(f->level[PC_IRQ_COM1]);
	g_assert_cmphex(inb(f, IIR), ==, IIR_THRE);   /* pending all along */
	outb(f, MCR, MCR_OUT2);
	g_assert_false(f->level[PC_IRQ_COM1]);        /* it was acknowledged */
	g_assert_cmpuint(f->irq_events[PC_IRQ_COM1], ==, 2);
	fake_free(f);
}

static void test_uart_receive(void)
{
	struct fake *f = fake_new();
	outb(f, FCR, FCR_ENABLE | FCR_CLR_RX | FCR_CLR_TX);
	outb(f, MCR, MCR_OUT2 | MCR_DTR | MCR_RTS);
	g_assert_cmphex(inb(f, LSR) & LSR_DR, ==, 0);

	uint8_t in[40];
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)('A' + i);
	g_assert_cmpuint(pc_serial_receive(f->pc, in, sizeof(in)), ==, sizeof(in));
	g_assert_false(f->level[PC_IRQ_COM1]);        /* ERBFI not set yet */
	g_assert_cmphex(inb(f, LSR), ==, LSR_DR | LSR_THRE | LSR_TEMT);
	g_assert_cmphex(inb(f, IIR), ==, IIR_FIFO | IIR_NONE);
	outb(f, IER, IER_ERBFI);
	g_assert_true(f->level[PC_IRQ_COM1]);
	g_assert_cmphex(inb(f, IIR), ==, IIR_FIFO | IIR_RDA);
	g_assert_true(f->level[PC_IRQ_COM1]);         /* reading IIR does not clear RDA */

	/* more than the 16-byte FIFO: the rest follows as the guest reads */
	for (unsigned i = 0; i < sizeof(in); i++) {
		g_assert_cmphex(inb(f, LSR) & LSR_DR, ==, LSR_DR);
		g_assert_cmphex(inb(f, RBR), ==, in[i]);
	}
	g_assert_cmphex(inb(f, LSR) & LSR_DR, ==, 0);
	g_assert_cmphex(inb(f, IIR), ==, IIR_FIFO | IIR_NONE);
	g_assert_false(f->level[PC_IRQ_COM1]);

	/* FCR bit 1 empties the receiver FIFO: the 16 bytes inside the UART */
	g_assert_cmpuint(pc_serial_receive(f->pc, in, 20), ==, 20);
	outb(f, FCR, FCR_ENABLE | FCR_CLR_RX);
	for (unsigned i = 16; i < 20; i++)
		g_assert_cmphex(inb(f, RBR), ==, in[i]);
	g_assert_cmphex(inb(f, LSR) & LSR_DR, ==, 0);

	/* string input (insb) reads consecutive bytes */
	g_assert_cmpuint(pc_serial_receive(f->pc, (const uint8_t *)"xyz", 3), ==, 3);
	uint8_t buf[4] = { 0, 0, 0, 0xee };
	pc_io(f->pc, RBR, false, 1, 3, buf);
	g_assert_cmpmem(buf, 3, "xyz", 3);
	g_assert_cmphex(buf[3], ==, 0xee);
	fake_free(f);
}

static void test_uart_receive_limit(void)
{
	struct fake *f = fake_new();
	g_autofree uint8_t *big = g_malloc(5000);
	for (unsigned i = 0; i < 5000; i++)
		big[i] = (uint8_t)i;
	g_assert_cmpuint(pc_serial_receive(f->pc, big, 5000), ==, PC_SERIAL_RX_QUEUE);
	g_assert_cmpuint(pc_serial_receive(f->pc, big, 1), ==, 0);
	g_assert_cmphex(inb(f, RBR), ==, 0x00);
	g_assert_cmpuint(pc_serial_receive(f->pc, big + 7, 3), ==, 1);
	for (unsigned i = 1; i < PC_SERIAL_RX_QUEUE; i++)
		g_assert_cmphex(inb(f, RBR), ==, (uint8_t)i);
	g_assert_cmphex(inb(f, RBR), ==, 7);
	g_assert_cmphex(inb(f, LSR) & LSR_DR, ==, 0);
	fake_free(f);
}

/* PC16550D 8.8, loopback: THR feeds RBR, the modem outputs feed the
 * modem inputs, nothing leaves the UART. */
static void test_uart_loopback(void)
{
	struct fake *f = fake_new();
	g_assert_cmpuint(pc_serial_receive(f->pc, (const uint8_t *)"H", 1), ==, 1);
	outb(f, MCR, MCR_LOOP);
	g_assert_cmphex(inb(f, MSR) & 0xf0, ==, 0);
	outb(f, MCR, MCR_LOOP | MCR_RTS);
	g_assert_cmphex(inb(f, MSR) & 0xf0, ==, MSR_CTS);
	outb(f, MCR, MCR_LOOP | MCR_DTR);
	g_assert_cmphex(inb(f, MSR) & 0xf0, ==, MSR_DSR);
	outb(f, MCR, MCR_LOOP | MCR_OUT1);
	g_assert_cmphex(inb(f, MSR) & 0xf0, ==, MSR_RI);
	outb(f, MCR, MCR_LOOP | MCR_OUT2);
	g_assert_cmphex(inb(f, MSR) & 0xf0, ==, MSR_DCD);
	outb(f, MCR, MCR_LOOP);
	g_assert_cmphex(inb(f, MSR), ==, 0x08);         /* DDCD: DCD changed */
	g_assert_cmphex(inb(f, MSR), ==, 0x00);         /* deltas cleared by the read */

	/* the host's byte waits: the receiver input is disconnected */
	g_assert_cmphex(inb(f, LSR) & LSR_DR, ==, 0);
	outb(f, THR, 'L');
	g_assert_cmpuint(f->tx->len, ==, 0);
	g_assert_cmphex(inb(f, LSR) & LSR_DR, ==, LSR_DR);
	g_assert_cmphex(inb(f, RBR), ==, 'L');
	g_assert_cmphex(inb(f, LSR) & LSR_DR, ==, 0);

	/* 16450 mode: one holding register; a second byte overruns */
	outb(f, IER, IER_ELSI);
	outb(f, MCR, MCR_LOOP | MCR_OUT2);
	outb(f, THR, '1');
	outb(f, THR, '2');
	g_assert_true(f->level[PC_IRQ_COM1]);
	g_assert_cmphex(inb(f, IIR), ==, IIR_RLS);
	g_assert_cmphex(inb(f, LSR), ==, LSR_OE | LSR_DR | LSR_THRE | LSR_TEMT);
	g_assert_cmphex(inb(f, LSR), ==, LSR_DR | LSR_THRE | LSR_TEMT);
	g_assert_false(f->level[PC_IRQ_COM1]);
	g_assert_cmphex(inb(f, RBR), ==, '1');

	/* leaving loopback reconnects the terminal and the host input */
	outb(f, MCR, MCR_OUT2);
	g_assert_cmphex(inb(f, MSR) & 0xf0, ==, MSR_CTS | MSR_DSR | MSR_DCD);
	g_assert_cmphex(inb(f, RBR), ==, 'H');
	outb(f, THR, 'T');
	assert_tx(f, "T");
	fake_free(f);
}

static void test_uart_string_io(void)
{
	struct fake *f = fake_new();
	uint8_t msg[] = "hello, world\n";
	pc_io(f->pc, THR, true, 1, sizeof(msg) - 1, msg);
	assert_tx(f, "hello, world\n");

	/* a 2-byte write at 0x3f8 is THR then IER, as on the ISA bus */
	out_n(f, THR, 2, 0x0541);
	assert_tx(f, "A");
	g_assert_cmphex(inb(f, IER), ==, 0x05);
	/* a 4-byte read at 0x3fc: MCR, LSR, MSR, SCR */
	outb(f, SCR, 0x77);
	outb(f, MCR, MCR_DTR);
	g_assert_cmphex(in_n(f, MCR, 4), ==, 0x77b06001u);
	/* string output of words: every byte, in order */
	uint8_t words[] = { 'a', 0x00, 'b', 0x00 };
	outb(f, IER, 0);
	pc_io(f->pc, THR, true, 2, 2, words);
	assert_tx(f, "ab");
	fake_free(f);
}

/* ---- 8042 keyboard controller -------------------------------------------- */

static uint8_t kbd_wait_read(struct fake *f)
{
	unsigned polls = 0;
	while (!(inb(f, KBD_STATUS) & ST_OBF))
		g_assert_cmpuint(++polls, <, 2);   /* must never spin */
	return inb(f, KBD_DATA);
}

static void kbd_wait_write(struct fake *f, uint16_t port, uint8_t v)
{
	g_assert_cmphex(inb(f, KBD_STATUS) & ST_IBF, ==, 0);
	outb(f, port, v);
}

static void assert_kbd_empty(struct fake *f)
{
	g_assert_cmphex(inb(f, KBD_STATUS) & ST_OBF, ==, 0);
}

static void test_i8042_power_on(void)
{
	struct fake *f = fake_new();
	uint8_t st = inb(f, KBD_STATUS);
	g_assert_cmphex(st & (ST_OBF | ST_IBF | ST_AUX_OBF), ==, 0);
	g_assert_cmphex(st & ST_SYS, ==, ST_SYS);
	g_assert_cmphex(st & 0x10, ==, 0x10);               /* not inhibited */
	kbd_wait_write(f, KBD_CMD, 0x20);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x45);        /* XLATE | SYS | KBD_INT */
	g_assert_cmphex(inb(f, KBD_STATUS) & ST_CMD, ==, ST_CMD);
	fake_free(f);
}

/* GNU Mach i386/i386at/kd.c: cnsetleds() and kd_cmdreg_write(). */
static void test_i8042_mach_setleds(void)
{
	struct fake *f = fake_new();
	kbd_wait_write(f, KBD_DATA, 0xed);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	kbd_wait_write(f, KBD_DATA, 0x04);           /* caps lock */
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	assert_kbd_empty(f);
	g_assert_cmphex(inb(f, KBD_STATUS) & ST_CMD, ==, 0);

	kbd_wait_write(f, KBD_CMD, 0x60);
	kbd_wait_write(f, KBD_DATA, 0x65);           /* Mach: enable IRQ, clear disable */
	assert_kbd_empty(f);
	kbd_wait_write(f, KBD_CMD, 0x20);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x65);
	fake_free(f);
}

static void test_i8042_controller_commands(void)
{
	struct fake *f = fake_new();
	outb(f, KBD_CMD, 0xaa);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x55);
	outb(f, KBD_CMD, 0xab);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x00);
	outb(f, KBD_CMD, 0xc0);
	(void)kbd_wait_read(f);
	assert_kbd_empty(f);

	/* command byte: written with 0x60, read with 0x20; SYS follows bit 2 */
	outb(f, KBD_CMD, 0x60);
	outb(f, KBD_DATA, 0x30);
	outb(f, KBD_CMD, 0x20);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x30);
	g_assert_cmphex(inb(f, KBD_STATUS) & ST_SYS, ==, 0);
	outb(f, KBD_CMD, 0xae);                      /* enable keyboard: bit 4 */
	outb(f, KBD_CMD, 0xa8);                      /* enable aux: bit 5 */
	outb(f, KBD_CMD, 0x20);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x00);
	outb(f, KBD_CMD, 0xad);
	outb(f, KBD_CMD, 0xa7);
	outb(f, KBD_CMD, 0x20);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x30);

	/* no aux device: the interface test fails, aux bytes go nowhere */
	outb(f, KBD_CMD, 0xa9);
	uint8_t aux = kbd_wait_read(f);
	g_assert_cmphex(aux, !=, 0x00);
	g_assert_cmphex(aux, !=, 0xfa);
	g_assert_cmphex(aux, !=, 0xff);
	outb(f, KBD_CMD, 0xd4);
	outb(f, KBD_DATA, 0xff);
	assert_kbd_empty(f);
	g_assert_cmphex(inb(f, KBD_STATUS) & ST_AUX_OBF, ==, 0);
	g_assert_cmpuint(f->resets, ==, 0);
	fake_free(f);
}

static void test_i8042_reset(void)
{
	struct fake *f = fake_new();
	kbd_wait_write(f, KBD_CMD, 0xfe);            /* pulse output port bit 0 */
	g_assert_cmpuint(f->resets, ==, 1);
	outb(f, KBD_CMD, 0xff);                      /* pulse nothing */
	outb(f, KBD_CMD, 0xfd);                      /* pulse bit 1 (A20) only */
	g_assert_cmpuint(f->resets, ==, 1);

	/* A20 the classic way: read the output port, set bit 1, write back */
	outb(f, KBD_CMD, 0xd0);
	uint8_t outport = kbd_wait_read(f);
	g_assert_cmphex(outport & 0x01, ==, 0x01);   /* reset line inactive */
	outb(f, KBD_CMD, 0xd1);
	outb(f, KBD_DATA, outport | 0x02);
	g_assert_cmpuint(f->resets, ==, 1);
	outb(f, KBD_CMD, 0xdd);
	outb(f, KBD_CMD, 0xd0);
	g_assert_cmphex(kbd_wait_read(f) & 0x02, ==, 0);
	outb(f, KBD_CMD, 0xdf);
	outb(f, KBD_CMD, 0xd0);
	g_assert_cmphex(kbd_wait_read(f) & 0x02, ==, 0x02);

	outb(f, KBD_CMD, 0xd1);
	outb(f, KBD_DATA, 0xfe);                     /* bit 0 low: reset */
	g_assert_cmpuint(f->resets, ==, 2);
	fake_free(f);
}

/* The PS/2 keyboard's answers; with translation (command byte bit 6) the
 * controller converts set-2 bytes, so the MF2 ID 0xAB 0x83 reads 0xAB 0x41. */
static void test_i8042_keyboard_commands(void)
{
	struct fake *f = fake_new();
	outb(f, KBD_DATA, 0xf2);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, 0xab);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x41);
	outb(f, KBD_DATA, 0xf0);
	outb(f, KBD_DATA, 0x00);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x41);  /* set 2, translated */

	outb(f, KBD_CMD, 0x60);
	outb(f, KBD_DATA, 0x05);                      /* translation off */
	outb(f, KBD_DATA, 0xf2);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, 0xab);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x83);
	outb(f, KBD_DATA, 0xf0);
	outb(f, KBD_DATA, 0x00);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x02);
	outb(f, KBD_DATA, 0xf0);
	outb(f, KBD_DATA, 0x03);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	outb(f, KBD_DATA, 0xf0);
	outb(f, KBD_DATA, 0x00);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x03);

	outb(f, KBD_DATA, 0xff);                      /* reset: ACK, BAT passed */
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, 0xaa);
	outb(f, KBD_DATA, 0xf0);
	outb(f, KBD_DATA, 0x00);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, 0x02);  /* back to set 2 */

	outb(f, KBD_DATA, 0xf3);
	outb(f, KBD_DATA, 0x20);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	const uint8_t acked[] = { 0xf4, 0xf5, 0xf6 };
	for (unsigned i = 0; i < sizeof(acked); i++) {
		outb(f, KBD_DATA, acked[i]);
		g_assert_cmphex(kbd_wait_read(f), ==, ACK);
	}
	outb(f, KBD_DATA, 0xee);
	g_assert_cmphex(kbd_wait_read(f), ==, 0xee);  /* echo: no ACK */
	outb(f, KBD_DATA, 0x12);
	g_assert_cmphex(kbd_wait_read(f), ==, 0xfe);  /* not a command: resend */
	assert_kbd_empty(f);
	g_assert_cmphex(inb(f, KBD_DATA), ==, 0xfe);  /* empty: the last byte again */
	fake_free(f);
}

static void test_i8042_irq(void)
{
	struct fake *f = fake_new();
	outb(f, KBD_DATA, 0xff);                      /* two answers: FA, AA */
	g_assert_true(f->level[PC_IRQ_KBD]);
	g_assert_cmpuint(f->irq_events[PC_IRQ_KBD], ==, 1);
	g_assert_cmphex(inb(f, KBD_DATA), ==, ACK);
	g_assert_true(f->level[PC_IRQ_KBD]);          /* the next byte loaded ... */
	g_assert_cmpuint(f->irq_events[PC_IRQ_KBD], ==, 3); /* ... with a new edge */
	g_assert_cmphex(inb(f, KBD_DATA), ==, 0xaa);
	g_assert_false(f->level[PC_IRQ_KBD]);

	/* command byte bit 0 clear: OBF without IRQ 1 */
	outb(f, KBD_CMD, 0x60);
	outb(f, KBD_DATA, CB_XLATE | CB_SYS);
	outb(f, KBD_DATA, 0xf4);
	g_assert_cmphex(inb(f, KBD_STATUS) & ST_OBF, ==, ST_OBF);
	g_assert_false(f->level[PC_IRQ_KBD]);
	outb(f, KBD_CMD, 0x60);
	outb(f, KBD_DATA, CB_XLATE | CB_SYS | CB_KBD_INT);
	g_assert_true(f->level[PC_IRQ_KBD]);          /* enabled with OBF set */
	g_assert_cmphex(inb(f, KBD_DATA), ==, ACK);
	g_assert_false(f->level[PC_IRQ_KBD]);
	fake_free(f);
}

/* ---- MC146818A RTC and CMOS ------------------------------------------------- */

static uint8_t cmos_read(struct fake *f, uint8_t index)
{
	outb(f, RTC_INDEX, index);
	return inb(f, RTC_DATA);
}

static void cmos_write(struct fake *f, uint8_t index, uint8_t v)
{
	outb(f, RTC_INDEX, index);
	outb(f, RTC_DATA, v);
}

static void assert_time(struct fake *f, const uint8_t want[8])
{
	static const uint8_t regs[8] = { 0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32 };
	for (unsigned i = 0; i < 8; i++) {
		uint8_t got = cmos_read(f, regs[i]);
		if (got != want[i])
			g_error("RTC register 0x%02x: 0x%02x, want 0x%02x", regs[i], got, want[i]);
	}
}

static void test_rtc_bcd_binary(void)
{
	struct fake *f = fake_new();
	g_assert_cmphex(cmos_read(f, REG_A), ==, 0x26);
	g_assert_cmphex(cmos_read(f, REG_B), ==, B_24H);
	g_assert_cmphex(cmos_read(f, REG_D), ==, 0x80);
	/* sec min hour weekday day month year century: Saturday = 7 */
	assert_time(f, (const uint8_t[]){ 0x07, 0x09, 0x05, 0x07, 0x28, 0x11, 0x26, 0x20 });
	cmos_write(f, REG_B, B_24H | B_DM_BIN);
	assert_time(f, (const uint8_t[]){ 7, 9, 5, 7, 28, 11, 26, 20 });
	fake_free(f);
}

static void test_rtc_12_hour(void)
{
	struct fake *f = fake_new();
	cmos_write(f, REG_B, 0);                       /* 12-hour, BCD */
	g_assert_cmphex(cmos_read(f, 0x04), ==, 0x05);  /* 5 AM */
	f->now += 12 * 3600 * NS;
	g_assert_cmphex(cmos_read(f, 0x04), ==, 0x85);  /* 5 PM */
	cmos_write(f, REG_B, B_DM_BIN);
	g_assert_cmphex(cmos_read(f, 0x04), ==, 0x85);
	f->now -= 5 * 3600 * NS;                       /* 12:09 noon */
	g_assert_cmphex(cmos_read(f, 0x04), ==, 0x8c);
	cmos_write(f, REG_B, 0);
	g_assert_cmphex(cmos_read(f, 0x04), ==, 0x92);
	f->now -= 12 * 3600 * NS;                      /* 00:09 midnight */
	g_assert_cmphex(cmos_read(f, 0x04), ==, 0x12);
	fake_free(f);
}

/* UIP: set for the last 244 us before the second changes. */
static void test_rtc_uip(void)
{
	struct fake *f = fake_new();
	int64_t second = T_2026_11_28_050907 * NS;
	f->now = second + 500000000;
	g_assert_cmphex(cmos_read(f, REG_A), ==, 0x26);
	f->now = second + 999800000;                   /* .9998 s */
	g_assert_cmphex(cmos_read(f, REG_A), ==, A_UIP | 0x26);
	f->now = second + NS - 244000;
	g_assert_cmphex(cmos_read(f, REG_A) & A_UIP, ==, A_UIP);
	f->now = second + NS - 244001;
	g_assert_cmphex(cmos_read(f, REG_A) & A_UIP, ==, 0);
	f->now = second + NS;
	g_assert_cmphex(cmos_read(f, REG_A) & A_UIP, ==, 0);

	/* Linux's mc146818_get_time waits for UIP to clear; a loop over a
	 * moving clock ends, and then the new second shows. */
	f->now = second + 999900000;
	outb(f, RTC_INDEX, REG_A);
	unsigned polls = 0;
	while (inb(f, RTC_DATA) & A_UIP) {
		f->now += 10000;
		g_assert_cmpuint(++polls, <, 100);
	}
	g_assert_cmphex(cmos_read(f, 0x00), ==, 0x08);
	/* register A's divider bits are kept as written, UIP is read-only */
	cmos_write(f, REG_A, 0xa6 | 0x70);
	f->now = second;
	g_assert_cmphex(cmos_read(f, REG_A), ==, 0x76);
	fake_free(f);
}

static void test_rtc_set_mode(void)
{
	struct fake *f = fake_new();
	cmos_write(f, REG_B, B_SET | B_24H);
	f->now += 5 * NS;                              /* frozen: still 05:09:07 */
	assert_time(f, (const uint8_t[]){ 0x07, 0x09, 0x05, 0x07, 0x28, 0x11, 0x26, 0x20 });
	f->now = T_2026_11_28_050907 * NS + 999900000;
	g_assert_cmphex(cmos_read(f, REG_A) & A_UIP, ==, 0);   /* no update cycles */
	/* 1999-12-31 23:59:58 */
	cmos_write(f, 0x00, 0x58);
	cmos_write(f, 0x02, 0x59);
	cmos_write(f, 0x04, 0x23);
	cmos_write(f, 0x07, 0x31);
	cmos_write(f, 0x08, 0x12);
	cmos_write(f, 0x09, 0x99);
	cmos_write(f, 0x32, 0x19);
	g_assert_cmphex(cmos_read(f, 0x00), ==, 0x58);
	cmos_write(f, REG_B, B_24H);
	f->now += 3 * NS;                              /* 2000-01-01 00:00:01, a Saturday */
	assert_time(f, (const uint8_t[]){ 0x01, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20 });
	f->now += 86400 * NS;
	assert_time(f, (const uint8_t[]){ 0x01, 0x00, 0x00, 0x01, 0x02, 0x01, 0x00, 0x20 });

	/* binary data mode, 12-hour: 2001-02-03 04:05:06 PM */
	cmos_write(f, REG_B, B_SET | B_DM_BIN);
	cmos_write(f, 0x00, 6);
	cmos_write(f, 0x02, 5);
	cmos_write(f, 0x04, 0x80 | 4);
	cmos_write(f, 0x07, 3);
	cmos_write(f, 0x08, 2);
	cmos_write(f, 0x09, 1);
	cmos_write(f, 0x32, 20);
	cmos_write(f, REG_B, B_DM_BIN);                /* run, still 12-hour */
	g_assert_cmphex(cmos_read(f, 0x04), ==, 0x84);
	cmos_write(f, REG_B, B_24H | B_DM_BIN);
	assert_time(f, (const uint8_t[]){ 6, 5, 16, 7, 3, 2, 1, 20 });   /* a Saturday */
	fake_free(f);
}

static void test_rtc_register_c(void)
{
	struct fake *f = fake_new();
	(void)cmos_read(f, REG_C);
	g_assert_cmphex(cmos_read(f, REG_C), ==, 0x00);
	f->now += NS;                                  /* an update cycle ended */
	g_assert_cmphex(cmos_read(f, REG_C) & C_UF, ==, C_UF);
	g_assert_cmphex(cmos_read(f, REG_C), ==, 0x00);  /* cleared by the read */
	cmos_write(f, REG_C, 0xff);                    /* read-only */
	cmos_write(f, REG_D, 0x00);
	g_assert_cmphex(cmos_read(f, REG_C), ==, 0x00);
	g_assert_cmphex(cmos_read(f, REG_D), ==, 0x80);
	g_assert_cmpuint(f->irq_events[PC_IRQ_RTC], ==, 0);
	fake_free(f);
}

static void test_rtc_index_and_ram(void)
{
	struct fake *f = fake_new();
	outb(f, RTC_INDEX, 0x80 | REG_D);              /* NMI masked, index 0x0D */
	g_assert_cmphex(inb(f, RTC_DATA), ==, 0x80);
	g_assert_cmphex(cmos_read(f, 0x50), ==, 0x00);
	cmos_write(f, 0x50, 0xa5);
	cmos_write(f, 0x7f, 0x3c);
	g_assert_cmphex(cmos_read(f, 0x50), ==, 0xa5);
	g_assert_cmphex(cmos_read(f, 0x7f), ==, 0x3c);
	g_assert_cmphex(cmos_read(f, 0x80 | 0x7f), ==, 0x3c);
	fake_free(f);
}

static uint16_t cmos_sum(struct fake *f)
{
	unsigned sum = 0;
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += cmos_read(f, (uint8_t)i);
	return (uint16_t)sum;
}

static void check_cmos_memory(uint64_t mem, uint16_t ext_kib, uint16_t above_16m)
{
	struct fake *f = fake_new_mem(mem);
	g_assert_cmphex(cmos_read(f, 0x10), ==, 0x00);   /* no diskette drives */
	g_assert_cmphex(cmos_read(f, 0x12), ==, 0x00);   /* no fixed disks */
	g_assert_cmphex(cmos_read(f, 0x14), ==, 0x22);   /* FPU, 80x25 colour */
	g_assert_cmphex(cmos_read(f, 0x15) | cmos_read(f, 0x16) << 8, ==, 640);
	g_assert_cmphex(cmos_read(f, 0x17) | cmos_read(f, 0x18) << 8, ==, ext_kib);
	g_assert_cmphex(cmos_read(f, 0x30) | cmos_read(f, 0x31) << 8, ==, ext_kib);
	g_assert_cmphex(cmos_read(f, 0x34) | cmos_read(f, 0x35) << 8, ==, above_16m);
	g_assert_cmphex(cmos_read(f, 0x5b) | cmos_read(f, 0x5c) << 8 | cmos_read(f, 0x5d) << 16, ==, 0);
	uint16_t sum = cmos_sum(f);
	g_assert_cmphex(cmos_read(f, 0x2e), ==, sum >> 8);
	g_assert_cmphex(cmos_read(f, 0x2f), ==, sum & 0xff);
	fake_free(f);
}

static void test_rtc_cmos_memory(void)
{
	check_cmos_memory(64 * MIB, 0xfc00, 0x0300);       /* 63 MiB; 48 MiB / 64 KiB */
	check_cmos_memory(3072 * MIB, 0xfc00, 0xbf00);     /* capped; 3056 MiB / 64 KiB */
	check_cmos_memory(8 * MIB, 7 * 1024, 0);
	/* the checksum of the 64 MiB machine, worked by hand:
	 * 0x22 + 0x80 + 0x02 + 0x00 + 0xfc = 0x1a0 */
	struct fake *f = fake_new_mem(64 * MIB);
	g_assert_cmphex(cmos_read(f, 0x2e), ==, 0x01);
	g_assert_cmphex(cmos_read(f, 0x2f), ==, 0xa0);
	fake_free(f);
}

/* ---- miscellaneous ports and the bus -------------------------------------------- */

static void test_misc_sysctl_a(void)
{
	struct fake *f = fake_new();
	g_assert_cmphex(inb(f, 0x92), ==, 0x02);       /* A20 on */
	outb(f, 0x92, 0x00);
	g_assert_cmphex(inb(f, 0x92), ==, 0x00);
	outb(f, 0x92, 0x02);
	g_assert_cmphex(inb(f, 0x92), ==, 0x02);
	g_assert_cmpuint(f->resets, ==, 0);
	outb(f, 0x92, 0x03);                           /* rising edge of bit 0 */
	g_assert_cmpuint(f->resets, ==, 1);
	outb(f, 0x92, 0x03);                           /* still 1: no edge */
	g_assert_cmpuint(f->resets, ==, 1);
	outb(f, 0x92, 0x02);
	outb(f, 0x92, 0x01);
	g_assert_cmpuint(f->resets, ==, 2);
	fake_free(f);
}

static void test_misc_rst_cnt(void)
{
	struct fake *f = fake_new();
	outb(f, 0xcf9, 0x02);                          /* Linux reboot=pci: 0x02 ... */
	g_assert_cmpuint(f->resets, ==, 0);
	g_assert_cmphex(inb(f, 0xcf9), ==, 0x02);
	outb(f, 0xcf9, 0x06);                          /* ... then 0x06 */
	g_assert_cmpuint(f->resets, ==, 1);
	g_assert_cmphex(inb(f, 0xcf9), ==, 0x06);
	/* a dword at 0xCF8 is PCI CONFIG_ADDRESS, not 0xCF9 (devfn 4 here) */
	out_n(f, 0xcf8, 4, 0x80000400u);
	g_assert_cmpuint(f->resets, ==, 1);
	g_assert_cmphex(in_n(f, 0xcf8, 4), ==, 0xffffffffu);
	g_assert_cmphex(in_n(f, 0xcfc, 4), ==, 0xffffffffu);  /* no PCI */
	fake_free(f);
}

static void test_misc_debugcon_post(void)
{
	struct fake *f = fake_new();
	outb(f, 0xe9, 'o');
	outb(f, 0xe9, 'k');
	assert_tx(f, "ok");
	g_assert_cmphex(inb(f, 0xe9), ==, 0xe9);
	outb(f, 0x80, 0x42);
	g_assert_cmphex(inb(f, 0x80), ==, 0xff);
	g_assert_cmpuint(f->tx->len, ==, 0);
	g_assert_true(pc_port_is_handled(0x80));
	fake_free(f);
}

static unsigned debug_messages;

static void count_debug(const gchar *domain, GLogLevelFlags level, const gchar *message,
			gpointer user_data)
{
	if ((level & G_LOG_LEVEL_MASK) == G_LOG_LEVEL_DEBUG && strstr(message, "0x02f8"))
		debug_messages++;
}

static void test_bus_floating(void)
{
	struct fake *f = fake_new();
	/* KVM's own (PIC, PIT, port 0x61), PCI config, COM2, nothing at all */
	static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0x40, 0x43, 0x4d0,
					  0xcf8, 0xcfc, 0x2f8, 0x1234, 0xfffc };
	for (unsigned i = 0; i < G_N_ELEMENTS(ports); i++) {
		g_assert_false(pc_port_is_handled(ports[i]));
		g_assert_cmphex(in_n(f, ports[i], 1), ==, 0xff);
		g_assert_cmphex(in_n(f, ports[i], 2), ==, 0xffff);
		g_assert_cmphex(in_n(f, ports[i], 4), ==, 0xffffffffu);
		out_n(f, ports[i], 4, 0);
	}
	g_assert_cmphex(in_n(f, 0x61, 1), ==, 0xff);  /* a dword here would reach 0x64 */
	outb(f, 0x61, 0x03);
	g_assert_cmpuint(f->tx->len, ==, 0);
	g_assert_cmpuint(f->resets, ==, 0);
	for (unsigned i = 0; i < 16; i++)
		g_assert_cmpuint(f->irq_events[i], ==, 0);

	static const uint16_t handled[] = { 0x3f8, 0x3ff, 0x60, 0x64, 0x70, 0x71, 0x92,
					    0xe9, 0xcf9 };
	for (unsigned i = 0; i < G_N_ELEMENTS(handled); i++)
		g_assert_true(pc_port_is_handled(handled[i]));
	g_assert_false(pc_port_is_handled(0x61));
	g_assert_false(pc_port_is_handled(0x3f7));
	g_assert_false(pc_port_is_handled(0x400));

	/* a string read fills exactly count * size bytes */
	uint8_t buf[12];
	memset(buf, 0x11, sizeof(buf));
	pc_io(f->pc, 0x2f8, false, 2, 3, buf);
	for (unsigned i = 0; i < 6; i++)
		g_assert_cmphex(buf[i], ==, 0xff);
	for (unsigned i = 6; i < sizeof(buf); i++)
		g_assert_cmphex(buf[i], ==, 0x11);

	/* half on a device, half floating: SCR then nothing at 0x400 */
	outb(f, SCR, 0x3c);
	g_assert_cmphex(in_n(f, SCR, 2), ==, 0xff3c);
	fake_free(f);

	/* each floating port is logged once, at debug level */
	f = fake_new();
	GLogFunc old = g_log_set_default_handler(count_debug, NULL);
	debug_messages = 0;
	for (unsigned i = 0; i < 3; i++) {
		(void)inb(f, 0x2f8);
		outb(f, 0x2f8, 0);
	}
	g_log_set_default_handler(old, NULL);
	g_assert_cmpuint(debug_messages, ==, 1);
	fake_free(f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/uart/reset-state", test_uart_reset_state);
	g_test_add_func("/uart/registers", test_uart_registers);
	g_test_add_func("/uart/scratch-grub-probe", test_uart_scratch);
	g_test_add_func("/uart/divisor-latch", test_uart_divisor_latch);
	g_test_add_func("/uart/linux-autoconfig", test_uart_linux_autoconfig);
	g_test_add_func("/uart/thre-interrupt", test_uart_thre_interrupt);
	g_test_add_func("/uart/out2-gating", test_uart_out2_gating);
	g_test_add_func("/uart/receive", test_uart_receive);
	g_test_add_func("/uart/receive-limit", test_uart_receive_limit);
	g_test_add_func("/uart/loopback", test_uart_loopback);
	g_test_add_func("/uart/string-and-split-io", test_uart_string_io);
	g_test_add_func("/i8042/power-on", test_i8042_power_on);
	g_test_add_func("/i8042/mach-setleds", test_i8042_mach_setleds);
	g_test_add_func("/i8042/controller-commands", test_i8042_controller_commands);
	g_test_add_func("/i8042/reset", test_i8042_reset);
	g_test_add_func("/i8042/keyboard-commands", test_i8042_keyboard_commands);
	g_test_add_func("/i8042/irq", test_i8042_irq);
	g_test_add_func("/rtc/bcd-binary", test_rtc_bcd_binary);
	g_test_add_func("/rtc/12-hour", test_rtc_12_hour);
	g_test_add_func("/rtc/uip", test_rtc_uip);
	g_test_add_func("/rtc/set-mode", test_rtc_set_mode);
	g_test_add_func("/rtc/register-c", test_rtc_register_c);
	g_test_add_func("/rtc/index-and-ram", test_rtc_index_and_ram);
	g_test_add_func("/rtc/cmos-memory", test_rtc_cmos_memory);
	g_test_add_func("/misc/sysctl-a", test_misc_sysctl_a);
	g_test_add_func("/misc/rst-cnt", test_misc_rst_cnt);
	g_test_add_func("/misc/debugcon-post", test_misc_debugcon_post);
	g_test_add_func("/bus/floating", test_bus_floating);
	return g_test_run();
}
