/* Files on the chip (ICAO 9303 Part 10 §3-4, ISO/IEC 7816-4 §11.2-11.3):
 * SELECT and READ BINARY over a channel that is plain or protected by a
 * secure messaging session, and whole-file reads of BER-TLV structured EFs.
 *
 * This is what a later chip reader (core/src/icao/chip.c) drives:
 *   channel {transport, sm = NULL} -> read EF.CardAccess -> PACE or BAC ->
 *   channel.sm = the new session -> select the eMRTD application -> read
 *   EF.COM, EF.SOD, the data groups (offsets past 32767 use READ BINARY with
 *   odd INS B1; set `extended` when reader and chip take extended length). */
#ifndef DOCEX_ICAO_CHIP_FILE_H
#define DOCEX_ICAO_CHIP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icao/apdu.h"
#include "icao/sm.h"

/* File identifiers (9303 Part 10 §3.x): under the MF and in the eMRTD
 * application (LDS1). */
#define DX_EF_CARDACCESS 0x011C
#define DX_EF_ATR_INFO 0x2F01
#define DX_EF_DIR 0x2F00
#define DX_EF_COM 0x011E
#define DX_EF_SOD 0x011D
#define DX_EF_DG(n) (0x0100 + (n))      /* DG1..DG16: 0101..0110 */

/* The eMRTD (LDS1) application identifier. */
#define DX_EMRTD_AID_LEN 7
extern const uint8_t dx_emrtd_aid[DX_EMRTD_AID_LEN];

/* Default bytes per READ BINARY: a protected answer of 223 bytes of data
 * still fits a short response (9303 Part 10 guidance). */
#define DX_CHIP_READ_DEFAULT 0xDF

typedef struct dx_chip_channel {
    dx_apdu_transport transport;
    dx_sm_session *sm;      /* NULL: plain APDUs; borrowed, not freed here */
    size_t max_read;        /* data bytes per READ BINARY; 0: DX_CHIP_READ_DEFAULT */
    bool extended;          /* the reader and chip take extended length */
} dx_chip_channel;

/* One command through the channel (dx_sm_transmit or dx_apdu_transmit). */
dx_status dx_chip_transmit(dx_chip_channel *ch, const dx_apdu *cmd, uint8_t *rsp, size_t cap,
                           dx_rapdu *out, dx_error *err);
/* SELECT by DF name (00 A4 04 0C). */
dx_status dx_chip_select_aid(dx_chip_channel *ch, const uint8_t *aid, size_t n, dx_error *err);
/* SELECT an EF by identifier (00 A4 02 0C). */
dx_status dx_chip_select_ef(dx_chip_channel *ch, uint16_t fid, dx_error *err);
/* READ BINARY of up to n bytes at offset of the current EF (B0, or B1 with
 * DO54 past offset 32767); *got may be less than n at the end of the file.
 * n is at most the channel's read size. */
dx_status dx_chip_read_binary(dx_chip_channel *ch, size_t offset, size_t n, uint8_t *buf,
                              size_t *got, dx_error *err);
/* Select EF `fid` and read the BER-TLV object it holds: *out (malloc'd,
 * free() it) of *len bytes, header included.  A file that declares more than
 * max_size bytes is DX_ERR_DATA.  Statuses: DX_ERR_NOT_FOUND (6A82),
 * DX_ERR_STATE (6982: the access conditions are not met), DX_ERR_PROTOCOL
 * (other status words, or the file ends before its declared length). */
dx_status dx_chip_read_file(dx_chip_channel *ch, uint16_t fid, size_t max_size, uint8_t **out,
                            size_t *len, dx_error *err);

#endif
