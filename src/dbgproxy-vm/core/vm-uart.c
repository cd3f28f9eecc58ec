/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-uart.c - the PC16550D register model behind COM1 (see vm-uart.h for
 * what is and is not emulated).  Section numbers are those of the National
 * Semiconductor PC16550D datasheet.
 */
#include "vm-uart.h"

#include <string.h>

/* 8.7 Interrupt Enable Register; bits 7:4 always read 0. */
#define IER_ERBFI  0x01u  /* received data available */
#define IER_ETBEI  0x02u  /* transmitter holding register empty */
#define IER_ELSI   0x04u  /* receiver line status */
#define IER_EDSSI  0x08u  /* modem status */
#define IER_MASK   0x0fu

/* 8.6 Interrupt Identification Register, table IV (priority order). */
#define IIR_NO_INT 0x01u  /* bit 0 is 0 while an interrupt is pending */
#define IIR_RLS    0x06u  /* receiver line status (highest) */
#define IIR_RDA    0x04u  /* received data available */
#define IIR_THRE   0x02u  /* transmitter holding register empty */
#define IIR_MS     0x00u  /* modem status (lowest) */
#define IIR_FIFOS  0xc0u  /* bits 7:6 set when FCR0 = 1 */

/* 8.5 FIFO Control Register. */
#define FCR_FIFO_ENABLE 0x01u
#define FCR_RCVR_RESET  0x02u
#define FCR_XMIT_RESET  0x04u
#define FCR_KEPT        0xc9u /* trigger level, DMA mode, enable: stored */

/* 8.1 Line Control Register. */
#define LCR_DLAB   0x80u

/* 8.8 Modem Control Register; bits 7:5 always read 0. */
#define MCR_DTR    0x01u
#define MCR_RTS    0x02u
#define MCR_OUT1   0x04u
#define MCR_OUT2   0x08u
#define MCR_LOOP   0x10u
#define MCR_MASK   0x1fu

/* 8.4 Line Status Register. */
#define LSR_DR     0x01u
#define LSR_OE     0x02u
#define LSR_THRE   0x20u
#define LSR_TEMT   0x40u

/* 8.9 Modem Status Register. */
#define MSR_DCTS   0x01u
#define MSR_DDSR   0x02u
#define MSR_TERI   0x04u
#define MSR_DDCD   0x08u
#define MSR_CTS    0x10u
#define MSR_DSR    0x20u
#define MSR_RI     0x40u
#define MSR_DCD    0x80u

/* 8.3 Programmable Baud Generator: the divisor is not reset (table III);
 * 12 is 9600 baud from the PC's 1.8432 MHz clock, what a BIOS leaves. */
#define DEFAULT_DIVISOR 12u

static bool loopback(const struct uart *u)
{
	return u->mcr & MCR_LOOP;
}

/* How many host bytes are inside the UART: the FIFO, or the single RBR in
 * 16450 mode.  The rest of the queue has not "arrived" yet. */
static size_t rx_window(const struct uart *u)
{
	return (u->fcr & FCR_FIFO_ENABLE) ? UART_FIFO_SIZE : 1;
}

static bool data_ready(const struct uart *u)
{
	return u->loop_count > 0 || (!loopback(u) && u->rx_count > 0);
}

/* Interrupt sources in the priority order of table IV.  A line-status
 * interrupt needs an error, and only OE (loopback overrun) can occur. */
static uint8_t pending_iid(const struct uart *u)
{
	if ((u->ier & IER_ELSI) && u->lsr_oe)
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && data_ready(u))
		return IIR_RDA;
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && u->msr_delta)
		return IIR_MS;
	return IIR_NO_INT;
}

/* INTRPT reaches the PIC through a buffer enabled by OUT2, as on every
 * PC serial port since the IBM Asynchronous Communications Adapter. */
static void update_irq(struct uart *u)
{
	bool level = pending_iid(u) != IIR_NO_INT && (u->mcr & MCR_OUT2);
	if (level != u->irq_level) {
		u->irq_level = level;
		u->ops.set_irq(u->ops.opaque, level);
	}
}

/* MSR bits 7:4.  In loopback the modem inputs are wired to the MCR outputs
 * (8.8: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD); otherwise a terminal is
 * connected and ready, and the ring indicator is off. */
static uint8_t modem_lines(const struct uart *u)
{
	if (!loopback(u))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	uint8_t m = u->mcr, lines = 0;
	if (m & MCR_RTS)
		lines |= MSR_CTS;
	if (m & MCR_DTR)
		lines |= MSR_DSR;
	if (m & MCR_OUT1)
		lines |= MSR_RI;
	if (m & MCR_OUT2)
		lines |= MSR_DCD;
	return lines;
}

/* 8.9: the delta bits record changes of the inputs since MSR was last
 * read; TERI only the trailing edge (1 -> 0) of RI. */
static void sample_modem_lines(struct uart *u)
{
	uint8_t now = modem_lines(u), changed = now ^ u->msr_lines;
	if (changed & MSR_CTS)
		u->msr_delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		u->msr_delta |= MSR_DDSR;
	if ((changed & MSR_RI) && !(now & MSR_RI))
		u->msr_delta |= MSR_TERI;
	if (changed & MSR_DCD)
		u->msr_delta |= MSR_DDCD;
	u->msr_lines = now;
}

static void drop_host_bytes(struct uart *u, size_t n)
{
	if (n > u->rx_count)
		n = u->rx_count;
	u->rx_head = (u->rx_head + n) % UART_RX_QUEUE;
	u->rx_count -= n;
}

/* 8.5: FCR1 clears the receiver FIFO, i.e. the bytes inside the UART. */
static void reset_rx_fifo(struct uart *u)
{
	u->loop_count = 0;
	if (!loopback(u))
		drop_host_bytes(u, rx_window(u));
}

static uint8_t read_rbr(struct uart *u)
{
	if (u->loop_count > 0) {
		u->rbr = u->loop[0];
		memmove(u->loop, u->loop + 1, --u->loop_count);
	} else if (!loopback(u) && u->rx_count > 0) {
		u->rbr = u->rx[u->rx_head];
		drop_host_bytes(u, 1);
	}
	return u->rbr;
}

/* 8.6/table IV: reading IIR acknowledges THRE only when THRE is the source
 * IIR reports. */
static uint8_t read_iir(struct uart *u)
{
	uint8_t iid = pending_iid(u);
	if (iid == IIR_THRE)
		u->thre_pending = false;
	return iid | ((u->fcr & FCR_FIFO_ENABLE) ? IIR_FIFOS : 0);
}

static uint8_t read_lsr(struct uart *u)
{
	uint8_t lsr = LSR_THRE | LSR_TEMT | u->lsr_oe;
	if (data_ready(u))
		lsr |= LSR_DR;
	u->lsr_oe = 0; /* 8.4: OE is reset when the CPU reads LSR */
	return lsr;
}

static uint8_t read_msr(struct uart *u)
{
	uint8_t msr = u->msr_lines | u->msr_delta;
	u->msr_delta = 0;
	return msr;
}

uint8_t uart_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t val = 0xff;

	switch (reg) {
	case UART_RBR:
		val = dlab ? u->dll : read_rbr(u);
		break;
	case UART_IER:
		val = dlab ? u->dlm : u->ier;
		break;
	case UART_IIR:
		val = read_iir(u);
		break;
	case UART_LCR:
		val = u->lcr;
		break;
	case UART_MCR:
		val = u->mcr;
		break;
	case UART_LSR:
		val = read_lsr(u);
		break;
	case UART_MSR:
		val = read_msr(u);
		break;
	case UART_SCR:
		val = u->scr;
		break;
	}
	update_irq(u);
	return val;
}

/* Writing THR acknowledges THRE; the byte leaves at once, so THR is empty
 * again and THRE is re-raised.  Reporting both steps gives the PIC the
 * edge a real UART gives one character time later. */
static void write_thr(struct uart *u, uint8_t byte)
{
	u->thre_pending = false;
	update_irq(u);
	if (!loopback(u)) {
		u->ops.tx(u->ops.opaque, byte);
	} else if (u->loop_count < rx_window(u)) {
		u->loop[u->loop_count++] = byte;
	} else {
		u->lsr_oe = LSR_OE; /* 8.4: the new character is lost */
	}
	u->thre_pending = true;
}

/* Enabling ETBEI with THR empty raises THRE even if an earlier THRE was
 * acknowledged: Linux's 8250 startup test (UART_BUG_THRE) and Windows
 * rely on it. */
static void write_ier(struct uart *u, uint8_t val)
{
	uint8_t old = u->ier;
	u->ier = val & IER_MASK;
	if ((u->ier ^ old) & IER_ETBEI)
		u->thre_pending = u->ier & IER_ETBEI;
}

/* 8.5: the other FCR bits are only programmed with FCR0 = 1, and changing
 * FCR0 clears both FIFOs. */
static void write_fcr(struct uart *u, uint8_t val)
{
	if ((val ^ u->fcr) & FCR_FIFO_ENABLE)
		reset_rx_fifo(u);
	if (!(val & FCR_FIFO_ENABLE)) {
		u->fcr = 0;
		return;
	}
	u->fcr = val & FCR_KEPT;
	if (val & FCR_RCVR_RESET)
		reset_rx_fifo(u);
	/* FCR_XMIT_RESET: the transmitter never holds anything */
}

void uart_write(struct uart *u, unsigned reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			u->dll = val;
		else
			write_thr(u, val);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			write_ier(u, val);
		break;
	case UART_FCR:
		write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & MCR_MASK;
		sample_modem_lines(u);
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only (LSR writes are "factory test" only) */
	case UART_SCR:
		u->scr = val;
		break;
	}
	update_irq(u);
}

size_t uart_receive(struct uart *u, const uint8_t *bytes, size_t n)
{
	size_t room = UART_RX_QUEUE - u->rx_count;
	if (n > room)
		n = room;
	for (size_t i = 0; i < n; i++)
		u->rx[(u->rx_head + u->rx_count + i) % UART_RX_QUEUE] = bytes[i];
	u->rx_count += n;
	update_irq(u);
	return n;
}

/* Table III, UART reset configuration. */
void uart_init(struct uart *u, const struct uart_ops *ops)
{
	memset(u, 0, sizeof(*u));
	u->ops = *ops;
	u->dll = DEFAULT_DIVISOR & 0xff;
	u->dlm = DEFAULT_DIVISOR >> 8;
	u->msr_lines = modem_lines(u);
}
