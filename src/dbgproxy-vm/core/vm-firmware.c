/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-firmware.c - what a PC BIOS leaves in memory for the kernel it starts,
 * written for dbgproxy-vm's PC: the BIOS data area and the EBDA (IBM PC/AT
 * Technical Reference), the MP tables (Intel MultiProcessor Specification
 * 1.4, chapter 4) and the ACPI tables (ACPI 6.5, chapter 5).
 *
 * Each table is written field by field in the order its spec lists them,
 * little-endian, into areas cleared first; its length and checksum are
 * filled in last.  The sizes are planned before anything is written, so a
 * machine too large for the areas fails with nothing written.
 */
#include <inttypes.h>
#include <string.h>

#include "vm-firmware.h"
#include "vm-pclayout.h"
#include "vmdbg.h"

#define FIRMWARE_ERROR g_quark_from_static_string("firmware")

/* ---- a table being written into guest memory -------------------------------- */

struct table {
	uint8_t *p;  /* its first byte */
	size_t len;  /* bytes written so far */
	size_t cap;  /* bytes planned for it */
};

static struct table table_at(uint8_t *mem, uint64_t addr, size_t cap)
{
	return (struct table){ .p = mem + addr, .cap = cap };
}

static void put8(struct table *t, uint8_t v)
{
	g_assert(t->len < t->cap); /* the plan was wrong: a bug, not bad input */
	t->p[t->len++] = v;
}

static void put16(struct table *t, uint16_t v)
{
	put8(t, v & 0xff);
	put8(t, v >> 8);
}

static void put32(struct table *t, uint32_t v)
{
	put16(t, v & 0xffff);
	put16(t, v >> 16);
}

static void put64(struct table *t, uint64_t v)
{
	put32(t, v & 0xffffffffu);
	put32(t, v >> 32);
}

static void put_zeros(struct table *t, size_t n)
{
	while (n--)
		put8(t, 0);
}

/* A fixed-width text field, padded with spaces as the MP spec's OEM id,
 * product id and bus type strings are. */
static void put_text(struct table *t, const char *s, size_t width)
{
	size_t n = strlen(s);
	g_assert(n <= width);
	for (size_t i = 0; i < width; i++)
		put8(t, i < n ? (uint8_t)s[i] : ' ');
}

static void poke16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void poke32(uint8_t *p, uint32_t v)
{
	poke16(p, v & 0xffff);
	poke16(p + 2, v >> 16);
}

/* Both specs' checksum: the byte that makes the whole structure sum to zero
 * modulo 256.  The checksum field itself must still be zero here. */
static uint8_t checksum_fix(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

/* ---- BIOS data area and EBDA ------------------------------------------------- */

/* IBM PC/AT Technical Reference, "BIOS data area" (segment 0x40). */
#define BDA_COM_PORTS        0x00  /* 4 words: COM1..COM4 base ports */
#define BDA_EBDA_SEGMENT     0x0e
#define BDA_EQUIPMENT        0x10
#define BDA_BASE_MEM_KIB     0x13
#define BDA_VIDEO_MODE       0x49
#define BDA_VIDEO_COLS       0x4a
#define BDA_VIDEO_PAGE_SIZE  0x4c
#define BDA_CRTC_BASE        0x63
#define BDA_VIDEO_ROWS_M1    0x84
#define BDA_CHAR_HEIGHT      0x85
#define BDA_SIZE             0x100

/* Equipment word (INT 11h): an x87, 80x25 colour video, one serial port,
 * no diskette drive. */
#define EQUIP_FPU            (1u << 1)
#define EQUIP_VIDEO_80X25    (2u << 4)
#define EQUIP_SERIAL_SHIFT   9

#define COM1_PORT            0x3f8u
#define CRTC_COLOUR_PORT     0x3d4u
#define VGA_MODE_TEXT_80X25  3u
#define VGA_CHAR_HEIGHT      16u
/* 80 x 25 x 2 = 4000 bytes, which the BIOS rounds to 2 KiB pages */
#define VGA_TEXT_PAGE_SIZE   0x1000u

static void write_bda(uint8_t *mem)
{
	uint8_t *bda = mem + PC_BDA_ADDR;
	poke16(bda + BDA_COM_PORTS, COM1_PORT);
	poke16(bda + BDA_EBDA_SEGMENT, PC_EBDA_ADDR >> 4);
	poke16(bda + BDA_EQUIPMENT, EQUIP_FPU | EQUIP_VIDEO_80X25 | 1u << EQUIP_SERIAL_SHIFT);
	poke16(bda + BDA_BASE_MEM_KIB, PC_BASE_MEM_END / 1024);
	bda[BDA_VIDEO_MODE] = VGA_MODE_TEXT_80X25;
	poke16(bda + BDA_VIDEO_COLS, PC_VGA_TEXT_COLS);
	poke16(bda + BDA_VIDEO_PAGE_SIZE, VGA_TEXT_PAGE_SIZE);
	poke16(bda + BDA_CRTC_BASE, CRTC_COLOUR_PORT);
	bda[BDA_VIDEO_ROWS_M1] = PC_VGA_TEXT_ROWS - 1;
	poke16(bda + BDA_CHAR_HEIGHT, VGA_CHAR_HEIGHT);
	/* the EBDA starts with its own size in KiB */
	poke16(mem + PC_EBDA_ADDR, PC_EBDA_SIZE / 1024);
}

/* ---- MP tables (MultiProcessor Specification 1.4, chapter 4) ----------------- */

/* 4.1 MP floating pointer structure */
#define MPF_SIZE             16
#define MPF_CHECKSUM         10
#define MP_SPEC_REV          4     /* version 1.4 */
/* 4.2 MP configuration table header */
#define MPC_HDR_SIZE         44
#define MPC_LENGTH           4
#define MPC_CHECKSUM         7
#define MPC_ENTRY_COUNT      34
#define MPC_OEM_ID           "DBGPROXY"
#define MPC_PRODUCT_ID       "DBGPROXY-VM"
/* 4.3 base table entries */
enum mpc_entry_type {
	MPC_PROCESSOR = 0,
	MPC_BUS = 1,
	MPC_IOAPIC = 2,
	MPC_IO_INTR = 3,
	MPC_LOCAL_INTR = 4,
};
#define MPC_PROCESSOR_SIZE   20
#define MPC_ENTRY_SIZE       8     /* every other base entry */
#define MPC_CPU_EN           0x01
#define MPC_CPU_BP           0x02
#define MPC_IOAPIC_EN        0x01
/* 4.3.4 Table 4-8 interrupt types; PO and EL 00 "conform to the bus" */
enum mp_intr_type { MP_INT = 0, MP_NMI = 1, MP_SMI = 2, MP_EXTINT = 3 };
#define MP_INTR_CONFORMS     0
#define MP_ALL_LOCAL_APICS   0xff
#define MP_ISA_BUS_ID        0
/* Processor entries give CPUID.1 EAX and EDX; a family-6 CPU with an FPU
 * and a local APIC, which is what kernels look at. */
#define MP_CPU_SIGNATURE     0x600u
#define CPUID1_EDX_FPU       (1u << 0)
#define CPUID1_EDX_APIC      (1u << 9)

#define ISA_IRQS             16u
#define ISA_CASCADE_IRQ      2u    /* the slave PIC; no device raises it */
#define LAPIC_LINT0          0
#define LAPIC_LINT1          1

static size_t mp_table_len(unsigned nr_vcpus)
{
	return MPC_HDR_SIZE + (size_t)nr_vcpus * MPC_PROCESSOR_SIZE +
	       MPC_ENTRY_SIZE * (1 /* bus */ + 1 /* I/O APIC */ + (ISA_IRQS - 1) + 2 /* LINT0/1 */);
}

/* 4.3.4: the ISA IRQs as the I/O APIC sees them.  IRQ0 arrives on
 * PC_FW_IRQ0_GSI; the cascade IRQ 2 has no entry, as SeaBIOS leaves it out
 * when it overrides IRQ0 (its src/fw/mptable.c). */
static void put_isa_intr(struct table *t, unsigned irq, unsigned ioapic_id)
{
	put8(t, MPC_IO_INTR);
	put8(t, MP_INT);
	put16(t, MP_INTR_CONFORMS);
	put8(t, MP_ISA_BUS_ID);
	put8(t, irq);
	put8(t, ioapic_id);
	put8(t, irq == 0 ? PC_FW_IRQ0_GSI : irq);
}

static void put_local_intr(struct table *t, enum mp_intr_type type, unsigned lint)
{
	put8(t, MPC_LOCAL_INTR);
	put8(t, type);
	put16(t, MP_INTR_CONFORMS);
	put8(t, MP_ISA_BUS_ID);
	put8(t, 0);
	put8(t, MP_ALL_LOCAL_APICS);
	put8(t, lint);
}

static void write_mp(uint8_t *mem, unsigned nr_vcpus, unsigned ioapic_id)
{
	struct table t = table_at(mem, PC_MP_TABLE_ADDR, mp_table_len(nr_vcpus));
	put_text(&t, "PCMP", 4);
	put16(&t, 0);                 /* base table length, below */
	put8(&t, MP_SPEC_REV);
	put8(&t, 0);                  /* checksum, below */
	put_text(&t, MPC_OEM_ID, 8);
	put_text(&t, MPC_PRODUCT_ID, 12);
	put32(&t, 0);                 /* no OEM table */
	put16(&t, 0);
	put16(&t, 0);                 /* entry count, below */
	put32(&t, PC_LAPIC_ADDR);
	put16(&t, 0);                 /* no extended table */
	put8(&t, 0);
	put8(&t, 0);

	unsigned entries = 0;
	/* entries in type order (4.3): processors, buses, I/O APICs, interrupts */
	for (unsigned id = 0; id < nr_vcpus; id++, entries++) {
		put8(&t, MPC_PROCESSOR);
		put8(&t, id);
		put8(&t, PC_FW_LAPIC_VERSION);
		put8(&t, MPC_CPU_EN | (id == 0 ? MPC_CPU_BP : 0));
		put32(&t, MP_CPU_SIGNATURE);
		put32(&t, CPUID1_EDX_FPU | CPUID1_EDX_APIC);
		put_zeros(&t, 8);
	}
	put8(&t, MPC_BUS);
	put8(&t, MP_ISA_BUS_ID);
	put_text(&t, "ISA", 6);
	entries++;
	put8(&t, MPC_IOAPIC);
	put8(&t, ioapic_id);
	put8(&t, PC_FW_IOAPIC_VERSION);
	put8(&t, MPC_IOAPIC_EN);
	put32(&t, PC_IOAPIC_ADDR);
	entries++;
	for (unsigned irq = 0; irq < ISA_IRQS; irq++) {
		if (irq == ISA_CASCADE_IRQ)
			continue;
		put_isa_intr(&t, irq, ioapic_id);
		entries++;
	}
	/* the 8259A through LINT0 (virtual wire mode), NMI on LINT1, to every
	 * processor as in the spec's default configurations (5.3) */
	put_local_intr(&t, MP_EXTINT, LAPIC_LINT0);
	put_local_intr(&t, MP_NMI, LAPIC_LINT1);
	entries += 2;

	g_assert(t.len == t.cap);
	poke16(t.p + MPC_LENGTH, t.len);
	poke16(t.p + MPC_ENTRY_COUNT, entries);
	t.p[MPC_CHECKSUM] = checksum_fix(t.p, t.len);

	struct table f = table_at(mem, PC_MP_FLOATING_ADDR, MPF_SIZE);
	put_text(&f, "_MP_", 4);
	put32(&f, PC_MP_TABLE_ADDR);
	put8(&f, MPF_SIZE / 16);      /* length in paragraphs */
	put8(&f, MP_SPEC_REV);
	put8(&f, 0);                  /* checksum, below */
	put8(&f, 0);                  /* feature byte 1: a configuration table exists */
	put8(&f, 0);                  /* feature byte 2: IMCRP clear, virtual wire mode
				       * (KVM has no IMCR) */
	put_zeros(&f, 3);
	f.p[MPF_CHECKSUM] = checksum_fix(f.p, MPF_SIZE);
}

/* ---- ACPI tables (ACPI 6.5, chapter 5) ---------------------------------------- */

/* 5.2.5.3 Root System Description Pointer */
#define RSDP_V1_SIZE         20
#define RSDP_SIZE            36
#define RSDP_CHECKSUM        8
#define RSDP_EXT_CHECKSUM    32
#define RSDP_REVISION        2
/* 5.2.6 System Description Table Header */
#define ACPI_HDR_SIZE        36
#define ACPI_HDR_LENGTH      4
#define ACPI_HDR_CHECKSUM    9
#define ACPI_OEM_ID          "DBGPRX"
#define ACPI_OEM_TABLE_ID    "DBGPRXVM"
#define ACPI_OEM_REVISION    1
#define ACPI_CREATOR_ID      "DBGP"
#define ACPI_CREATOR_REV     1
#define ACPI_TABLE_ALIGN     16

#define RSDT_REVISION        1
#define XSDT_REVISION        1
#define DSDT_REVISION        2     /* 64-bit AML integers */
#define SDT_ENTRIES          2     /* FADT, MADT */

/* 5.2.9 FADT, revision 6.5: a hardware-reduced one, as Firecracker writes
 * (src/vmm/src/acpi/mod.rs): no SCI, no PM blocks, no FACS, which the spec
 * allows when HW_REDUCED_ACPI is set and Linux accepts. */
#define FADT_SIZE            276
#define FADT_REVISION        6
#define FADT_MINOR_VERSION   5
#define FADT_PM_PROFILE_UNSPECIFIED 0
#define FADT_C2_NONE         101   /* P_LVL2_LAT > 100: no C2 */
#define FADT_C3_NONE         1001  /* P_LVL3_LAT > 1000: no C3 */
#define ACPI_GAS_SIZE        12
#define ACPI_HYPERVISOR_ID   "DBGPROXY"
/* Table 5.10 fixed feature flags */
#define FADT_F_WBINVD        (1u << 0)
#define FADT_F_PROC_C1       (1u << 2)
#define FADT_F_PWR_BUTTON    (1u << 4)  /* no fixed power button */
#define FADT_F_SLP_BUTTON    (1u << 5)  /* no fixed sleep button */
#define FADT_F_HW_REDUCED_ACPI (1u << 20)
/* 5.2.9.3 IA-PC boot architecture flags: COM1 and the 8042 are there; the
 * VGA text buffer is plain RAM without VGA registers; no PCI, so no MSI. */
#define IAPC_LEGACY_DEVICES  (1u << 0)
#define IAPC_8042            (1u << 1)
#define IAPC_VGA_NOT_PRESENT (1u << 2)
#define IAPC_MSI_NOT_SUPPORTED (1u << 3)

/* 5.2.12 MADT */
#define MADT_REVISION        6
#define MADT_HDR_SIZE        44
#define MADT_PCAT_COMPAT     (1u << 0)  /* there are 8259As */
enum madt_type {
	MADT_LOCAL_APIC = 0,
	MADT_IO_APIC = 1,
	MADT_INT_SRC_OVERRIDE = 2,
	MADT_LOCAL_APIC_NMI = 4,
	MADT_LOCAL_X2APIC = 9,
	MADT_LOCAL_X2APIC_NMI = 10,
};
#define MADT_LOCAL_APIC_LEN  8
#define MADT_IO_APIC_LEN     12
#define MADT_ISO_LEN         10
#define MADT_LAPIC_NMI_LEN   6
#define MADT_X2APIC_LEN      16
#define MADT_X2APIC_NMI_LEN  12
#define MADT_ENABLED         (1u << 0)
#define MADT_ISA_BUS         0
#define MPS_INTI_CONFORMS    0           /* 5.2.12.5 Table 5.26: edge, high on ISA */
#define MADT_ALL_PROCESSORS  0xffu
#define MADT_ALL_X2PROCESSORS 0xffffffffu
/* 5.2.12.12: processors with APIC ids of 255 and up are x2APIC entries */
#define X2APIC_FIRST_ID      255u

static size_t madt_len(unsigned nr_vcpus)
{
	size_t len = MADT_HDR_SIZE + MADT_IO_APIC_LEN + MADT_ISO_LEN + MADT_LAPIC_NMI_LEN;
	for (unsigned id = 0; id < nr_vcpus; id++)
		len += id < X2APIC_FIRST_ID ? MADT_LOCAL_APIC_LEN : MADT_X2APIC_LEN;
	if (nr_vcpus > X2APIC_FIRST_ID)
		len += MADT_X2APIC_NMI_LEN;
	return len;
}

static void acpi_header(struct table *t, const char *signature, uint8_t revision)
{
	put_text(t, signature, 4);
	put32(t, 0);                  /* length, in acpi_finish */
	put8(t, revision);
	put8(t, 0);                   /* checksum, in acpi_finish */
	put_text(t, ACPI_OEM_ID, 6);
	put_text(t, ACPI_OEM_TABLE_ID, 8);
	put32(t, ACPI_OEM_REVISION);
	put_text(t, ACPI_CREATOR_ID, 4);
	put32(t, ACPI_CREATOR_REV);
}

static void acpi_finish(struct table *t)
{
	g_assert(t->len == t->cap);
	poke32(t->p + ACPI_HDR_LENGTH, t->len);
	t->p[ACPI_HDR_CHECKSUM] = checksum_fix(t->p, t->len);
}

/* Where each ACPI table goes: one after the other from PC_ACPI_TABLES_ADDR,
 * each on a 16-byte boundary. */
struct acpi_layout {
	uint64_t rsdt, xsdt, fadt, dsdt, madt, end;
};

static uint64_t align16(uint64_t a)
{
	return (a + ACPI_TABLE_ALIGN - 1) & ~(uint64_t)(ACPI_TABLE_ALIGN - 1);
}

static struct acpi_layout acpi_plan(unsigned nr_vcpus)
{
	struct acpi_layout l;
	l.rsdt = PC_ACPI_TABLES_ADDR;
	l.xsdt = align16(l.rsdt + ACPI_HDR_SIZE + 4 * SDT_ENTRIES);
	l.fadt = align16(l.xsdt + ACPI_HDR_SIZE + 8 * SDT_ENTRIES);
	l.dsdt = align16(l.fadt + FADT_SIZE);
	l.madt = align16(l.dsdt + ACPI_HDR_SIZE);
	l.end = l.madt + madt_len(nr_vcpus);
	return l;
}

static void write_rsdp(uint8_t *mem, uint64_t rsdt, uint64_t xsdt)
{
	struct table t = table_at(mem, PC_ACPI_RSDP_ADDR, RSDP_SIZE);
	put_text(&t, "RSD PTR ", 8);
	put8(&t, 0);                  /* checksum of the ACPI 1.0 part, below */
	put_text(&t, ACPI_OEM_ID, 6);
	put8(&t, RSDP_REVISION);
	put32(&t, rsdt);
	put32(&t, RSDP_SIZE);
	put64(&t, xsdt);
	put8(&t, 0);                  /* extended checksum, below */
	put_zeros(&t, 3);
	t.p[RSDP_CHECKSUM] = checksum_fix(t.p, RSDP_V1_SIZE);
	t.p[RSDP_EXT_CHECKSUM] = checksum_fix(t.p, RSDP_SIZE);
}

static void write_rsdt(uint8_t *mem, const struct acpi_layout *l)
{
	struct table t = table_at(mem, l->rsdt, ACPI_HDR_SIZE + 4 * SDT_ENTRIES);
	acpi_header(&t, "RSDT", RSDT_REVISION);
	put32(&t, l->fadt);
	put32(&t, l->madt);
	acpi_finish(&t);
}

static void write_xsdt(uint8_t *mem, const struct acpi_layout *l)
{
	struct table t = table_at(mem, l->xsdt, ACPI_HDR_SIZE + 8 * SDT_ENTRIES);
	acpi_header(&t, "XSDT", XSDT_REVISION);
	put64(&t, l->fadt);
	put64(&t, l->madt);
	acpi_finish(&t);
}

static void write_fadt(uint8_t *mem, const struct acpi_layout *l)
{
	struct table t = table_at(mem, l->fadt, FADT_SIZE);
	acpi_header(&t, "FACP", FADT_REVISION);
	put32(&t, 0);                 /* FIRMWARE_CTRL: no FACS */
	put32(&t, l->dsdt);           /* DSDT, the same as X_DSDT for ACPI 1.0 readers */
	put8(&t, 0);                  /* reserved */
	put8(&t, FADT_PM_PROFILE_UNSPECIFIED);
	put16(&t, 0);                 /* SCI_INT: none */
	put32(&t, 0);                 /* SMI_CMD: no SMM, always in ACPI mode */
	put8(&t, 0);                  /* ACPI_ENABLE */
	put8(&t, 0);                  /* ACPI_DISABLE */
	put8(&t, 0);                  /* S4BIOS_REQ */
	put8(&t, 0);                  /* PSTATE_CNT */
	put_zeros(&t, 8 * 4);         /* PM1a/PM1b event and control, PM2 control,
				       * PM timer, GPE0, GPE1 blocks: none */
	put_zeros(&t, 8);             /* their lengths, GPE1_BASE, CST_CNT */
	put16(&t, FADT_C2_NONE);      /* P_LVL2_LAT */
	put16(&t, FADT_C3_NONE);      /* P_LVL3_LAT */
	put16(&t, 0);                 /* FLUSH_SIZE */
	put16(&t, 0);                 /* FLUSH_STRIDE */
	put8(&t, 0);                  /* DUTY_OFFSET */
	put8(&t, 0);                  /* DUTY_WIDTH */
	put8(&t, 0);                  /* DAY_ALRM */
	put8(&t, 0);                  /* MON_ALRM */
	put8(&t, 0);                  /* CENTURY */
	put16(&t, IAPC_LEGACY_DEVICES | IAPC_8042 | IAPC_VGA_NOT_PRESENT | IAPC_MSI_NOT_SUPPORTED);
	put8(&t, 0);                  /* reserved */
	put32(&t, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON |
		  FADT_F_HW_REDUCED_ACPI);
	put_zeros(&t, ACPI_GAS_SIZE); /* RESET_REG: none */
	put8(&t, 0);                  /* RESET_VALUE */
	put16(&t, 0);                 /* ARM_BOOT_ARCH */
	put8(&t, FADT_MINOR_VERSION);
	put64(&t, 0);                 /* X_FIRMWARE_CTRL */
	put64(&t, l->dsdt);           /* X_DSDT */
	put_zeros(&t, 8 * ACPI_GAS_SIZE); /* X_ PM and GPE blocks: none */
	put_zeros(&t, 2 * ACPI_GAS_SIZE); /* SLEEP_CONTROL_REG, SLEEP_STATUS_REG */
	put_text(&t, ACPI_HYPERVISOR_ID, 8);
	acpi_finish(&t);
}

/* A DSDT without AML: a valid, empty definition block.  COM1 and the 8042
 * are found by their fixed ports; nothing here needs a method. */
static void write_dsdt(uint8_t *mem, const struct acpi_layout *l)
{
	struct table t = table_at(mem, l->dsdt, ACPI_HDR_SIZE);
	acpi_header(&t, "DSDT", DSDT_REVISION);
	acpi_finish(&t);
}

static void write_madt(uint8_t *mem, const struct acpi_layout *l, unsigned nr_vcpus,
		       unsigned ioapic_id)
{
	struct table t = table_at(mem, l->madt, madt_len(nr_vcpus));
	acpi_header(&t, "APIC", MADT_REVISION);
	put32(&t, PC_LAPIC_ADDR);
	put32(&t, MADT_PCAT_COMPAT);
	/* processors first, the bootstrap processor leading (5.2.12.14); the
	 * ACPI processor UID is the APIC id */
	for (unsigned id = 0; id < nr_vcpus; id++) {
		if (id < X2APIC_FIRST_ID) {
			put8(&t, MADT_LOCAL_APIC);
			put8(&t, MADT_LOCAL_APIC_LEN);
			put8(&t, id);
			put8(&t, id);
			put32(&t, MADT_ENABLED);
		} else {
			put8(&t, MADT_LOCAL_X2APIC);
			put8(&t, MADT_X2APIC_LEN);
			put16(&t, 0);
			put32(&t, id);
			put32(&t, MADT_ENABLED);
			put32(&t, id);
		}
	}
	put8(&t, MADT_IO_APIC);
	put8(&t, MADT_IO_APIC_LEN);
	put8(&t, ioapic_id);
	put8(&t, 0);
	put32(&t, PC_IOAPIC_ADDR);
	put32(&t, 0);                 /* global system interrupt base */
	/* the other ISA IRQs are identity-mapped, which needs no entry (5.2.12.5) */
	put8(&t, MADT_INT_SRC_OVERRIDE);
	put8(&t, MADT_ISO_LEN);
	put8(&t, MADT_ISA_BUS);
	put8(&t, 0);                  /* IRQ0, the timer */
	put32(&t, PC_FW_IRQ0_GSI);
	put16(&t, MPS_INTI_CONFORMS);
	put8(&t, MADT_LOCAL_APIC_NMI);
	put8(&t, MADT_LAPIC_NMI_LEN);
	put8(&t, MADT_ALL_PROCESSORS);
	put16(&t, MPS_INTI_CONFORMS);
	put8(&t, LAPIC_LINT1);
	if (nr_vcpus > X2APIC_FIRST_ID) {
		put8(&t, MADT_LOCAL_X2APIC_NMI);
		put8(&t, MADT_X2APIC_NMI_LEN);
		put16(&t, MPS_INTI_CONFORMS);
		put32(&t, MADT_ALL_X2PROCESSORS);
		put8(&t, LAPIC_LINT1);
		put_zeros(&t, 3);
	}
	acpi_finish(&t);
}

/* ---- the whole set ------------------------------------------------------------ */

G_STATIC_ASSERT(PC_ACPI_RSDP_ADDR >= PC_MP_FLOATING_ADDR + MPF_SIZE);
G_STATIC_ASSERT(PC_MP_TABLE_ADDR >= PC_ACPI_RSDP_ADDR + RSDP_SIZE);
G_STATIC_ASSERT(PC_ACPI_RSDP_ADDR % 16 == 0 && PC_MP_FLOATING_ADDR % 16 == 0);
G_STATIC_ASSERT(PC_FW_END <= PC_BIOS_END && PC_ACPI_TABLES_ADDR >= PC_BIOS_ADDR);

unsigned pc_firmware_ioapic_id(unsigned nr_vcpus)
{
	return nr_vcpus < MP_ALL_LOCAL_APICS ? nr_vcpus : 0;
}

bool pc_firmware_build(uint8_t *mem, uint64_t mem_size, unsigned nr_vcpus,
		       struct pc_firmware *out, GError **error)
{
	if (nr_vcpus == 0 || nr_vcpus > VMDBG_MAX_VCPUS) {
		g_set_error(error, FIRMWARE_ERROR, 1,
			    "firmware tables for %u vCPUs: the machine has 1 to %u", nr_vcpus,
			    VMDBG_MAX_VCPUS);
		return false;
	}
	if (mem_size < PC_BIOS_END) {
		g_set_error(error, FIRMWARE_ERROR, 1,
			    "guest memory of %" PRIu64 " bytes ends below the BIOS area's end (1 MiB)",
			    mem_size);
		return false;
	}
	bool mp = nr_vcpus <= PC_FW_MP_MAX_VCPUS;
	size_t mp_len = mp_table_len(nr_vcpus);
	if (mp && PC_MP_TABLE_ADDR + mp_len > PC_FW_END) {
		g_set_error(error, FIRMWARE_ERROR, 1,
			    "the MP table for %u vCPUs needs %zu bytes at %#x, past %#x", nr_vcpus,
			    mp_len, PC_MP_TABLE_ADDR, PC_FW_END);
		return false;
	}
	struct acpi_layout l = acpi_plan(nr_vcpus);
	if (l.end > PC_ACPI_TABLES_END) {
		g_set_error(error, FIRMWARE_ERROR, 1,
			    "the ACPI tables for %u vCPUs end at %#" PRIx64 ", past %#x", nr_vcpus,
			    l.end, PC_ACPI_TABLES_END);
		return false;
	}

	memset(mem + PC_BDA_ADDR, 0, BDA_SIZE);
	memset(mem + PC_EBDA_ADDR, 0, PC_EBDA_SIZE);
	memset(mem + PC_ACPI_TABLES_ADDR, 0, PC_FW_END - PC_ACPI_TABLES_ADDR);
	write_bda(mem);

	unsigned ioapic_id = pc_firmware_ioapic_id(nr_vcpus);
	if (mp)
		write_mp(mem, nr_vcpus, ioapic_id);
	write_rsdt(mem, &l);
	write_xsdt(mem, &l);
	write_fadt(mem, &l);
	write_dsdt(mem, &l);
	write_madt(mem, &l, nr_vcpus, ioapic_id);
	write_rsdp(mem, l.rsdt, l.xsdt);

	out->rsdp = PC_ACPI_RSDP_ADDR;
	out->mp_floating = mp ? PC_MP_FLOATING_ADDR : 0;
	return true;
}
