/*
 * MC146818 RTC/CMOS: board access to the CMOS memory bytes that firmware
 * reads (memory sizes, CPU count, boot order).
 */
#ifndef HW_RTC_MC146818RTC_H
#define HW_RTC_MC146818RTC_H

#include <stdint.h>
#include "hw/isa/isa.h"

#define RTC_ISA_IRQ 8

/* CMOS bytes the PC firmware interface uses. */
#define CMOS_CENTURY      0x32
#define CMOS_BASE_MEM_LO  0x15 /* KiB below 1 MiB */
#define CMOS_BASE_MEM_HI  0x16
#define CMOS_EXT_MEM_LO   0x17 /* KiB from 1 MiB, capped at 0xffff */
#define CMOS_EXT_MEM_HI   0x18
#define CMOS_EXT_MEM2_LO  0x30 /* the same, second copy */
#define CMOS_EXT_MEM2_HI  0x31
#define CMOS_MEM_16M_LO   0x34 /* 64 KiB units from 16 MiB to 4 GiB RAM end */
#define CMOS_MEM_16M_HI   0x35
#define CMOS_MEM_4G_LO    0x5b /* 64 KiB units above 4 GiB (3 bytes) */
#define CMOS_MEM_4G_MID   0x5c
#define CMOS_MEM_4G_HI    0x5d
#define CMOS_NB_CPUS_M1   0x5f /* CPU count - 1 */
#define CMOS_BOOT_ORDER_1 0x3d
#define CMOS_BOOT_ORDER_2 0x38

void mc146818rtc_set_cmos(ISADevice *rtc, unsigned addr, uint8_t val);
uint8_t mc146818rtc_get_cmos(ISADevice *rtc, unsigned addr);

#endif
