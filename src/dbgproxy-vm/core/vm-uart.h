/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-uart.h - a National Semiconductor PC16550D ("16550A") UART as a PC
 * wires it on COM1: eight byte-wide registers, the interrupt output gated by
 * MCR.OUT2, a terminal that is always connected (CTS, DSR, DCD asserted).
 *
 * Transmission is instant: a byte written to THR goes straight to
 * ops.tx, so THRE and TEMT are always set when the guest looks.  Received
 * bytes come from the host console through an input queue of
 * UART_RX_QUEUE bytes; the first 16 of them (1 with the FIFOs disabled)
 * are the ones "inside" the UART, which is what a FIFO reset discards.
 * Line errors cannot happen on that path; only loopback mode, where the
 * guest can write faster than it reads, can overrun (LSR.OE).
 *
 * Register and bit names are the datasheet's (PC16550D, section 8
 * "Registers", table II).  Not thread-safe; the caller serialises.
 */
#ifndef VM_UART_H
#define VM_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Register offsets from the base port (PC16550D table II). */
#define UART_RBR 0u   /* receiver buffer (read, DLAB=0) */
#define UART_THR 0u   /* transmitter holding (write, DLAB=0) */
#define UART_DLL 0u   /* divisor latch LSB (DLAB=1) */
#define UART_IER 1u   /* interrupt enable (DLAB=0) */
#define UART_DLM 1u   /* divisor latch MSB (DLAB=1) */
#define UART_IIR 2u   /* interrupt identification (read) */
#define UART_FCR 2u   /* FIFO control (write) */
#define UART_LCR 3u   /* line control */
#define UART_MCR 4u   /* modem control */
#define UART_LSR 5u   /* line status */
#define UART_MSR 6u   /* modem status */
#define UART_SCR 7u   /* scratch */
#define UART_NR_REGS 8u

#define UART_FIFO_SIZE 16u
#define UART_RX_QUEUE 4096u

struct uart_ops {
	void (*tx)(void *opaque, uint8_t byte);       /* a transmitted byte */
	void (*set_irq)(void *opaque, bool level);    /* only on a change */
	void *opaque;
};

struct uart {
	struct uart_ops ops;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;          /* FIFO enable, DMA mode and trigger bits as written */
	uint8_t rbr;          /* the last byte the guest read */
	uint8_t lsr_oe;       /* LSR.OE latched until LSR is read */
	uint8_t msr_lines;    /* CTS/DSR/RI/DCD as last seen (MSR bits 7:4) */
	uint8_t msr_delta;    /* DCTS/DDSR/TERI/DDCD, cleared by reading MSR */
	bool thre_pending;    /* THR-empty interrupt not yet acknowledged */
	bool irq_level;       /* what set_irq last reported */
	/* host input: a ring of rx_count bytes starting at rx_head */
	uint8_t rx[UART_RX_QUEUE];
	size_t rx_head, rx_count;
	/* loopback input: what the guest transmitted with MCR.LOOP set */
	uint8_t loop[UART_FIFO_SIZE];
	size_t loop_count;
};

void uart_init(struct uart *u, const struct uart_ops *ops);
/* reg is the offset from the base port, 0..7. */
uint8_t uart_read(struct uart *u, unsigned reg);
void uart_write(struct uart *u, unsigned reg, uint8_t val);
/* Host bytes for the receiver; returns how many fitted in the input queue. */
size_t uart_receive(struct uart *u, const uint8_t *bytes, size_t n);

#endif
