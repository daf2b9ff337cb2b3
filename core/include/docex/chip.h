/* docex — reading an ePassport chip (ICAO 9303 Parts 10-12).
 *
 * dx_chip_read() drives any chip-reader device: waits for the card, reads
 * EF.CardAccess and opens the chip with PACE when offered (else BAC), with
 * the MRZ information or the CAN; reads EF.COM, EF.SOD and every data group
 * the chip lets it read (secure messaging, READ BINARY past 32767 with odd
 * INS, extended length when reader and chip take it); runs Active
 * Authentication when DG15 is there; then verifies what was read
 * (dx_chip_verify(): DG1 through the MRZ parser, the face of DG2, passive
 * authentication against a trust store, the AA signature).  The result
 * keeps every file, the protocol, APDU counts and timings, and is written as
 * chip.json (share/schemas/chip_read.schema.json).
 *
 * Thread safety: one call at a time per device; dx_device_cancel() from
 * another thread stops a running read (DX_ERR_CANCELLED).
 */
#ifndef DOCEX_CHIP_H
#define DOCEX_CHIP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"
#include "docex/mrz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The key that opens the chip: the MRZ information (BAC, PACE with MRZ) or
 * the card access number (PACE with CAN). */
typedef struct dx_chip_access {
    bool use_can;
    char document_number[40];  /* as in the MRZ, fillers removed */
    char birth_date[7];        /* YYMMDD */
    char expiry_date[7];       /* YYMMDD */
    char can[16];
} dx_chip_access;

/* From the printed MRZ's lines (any format; the check digits need not pass). */
DX_API dx_status dx_chip_access_from_mrz(const char *const *lines, size_t n_lines,
                                         dx_chip_access *out, dx_error *err);

typedef enum dx_chip_extended {
    DX_CHIP_EXTENDED_AUTO = 0, /* try extended length, fall back to short APDUs */
    DX_CHIP_EXTENDED_ON = 1,
    DX_CHIP_EXTENDED_OFF = 2
} dx_chip_extended;

typedef struct dx_chip_read_options {
    const dx_chip_access *access;
    int32_t card_timeout_ms;       /* wait for the card; 0: 10 s, -1: forever */
    bool no_pace;                  /* BAC even when PACE is offered */
    bool no_aa;                    /* skip Active Authentication */
    dx_chip_extended extended;
    size_t short_read;             /* bytes per short READ BINARY; 0: 0xDF */
    const volatile sig_atomic_t *interrupt; /* non-zero: stop (DX_ERR_CANCELLED) */
    /* Only these data groups (1..16); NULL: every one EF.COM lists. */
    const int *only_dgs;
    size_t n_only_dgs;
    /* The printed MRZ, when known: dx_chip_verify() compares DG1 with it. */
    const char *const *printed_mrz;
    size_t n_printed_mrz;
} dx_chip_read_options;

#define DX_CHIP_MAX_FILES 20

typedef struct dx_chip_file {
    char name[16];        /* "EF.COM", "EF.DG2", "EF.SOD", "EF.CardAccess" */
    uint16_t fid;
    int dg;               /* 1..16; 0 for the others */
    dx_status status;     /* DX_OK read; DX_ERR_NOT_FOUND absent; DX_ERR_STATE not allowed
                             (e.g. DG3/DG4 behind Extended Access Control); other: failed */
    char error[200];
    uint8_t *data;        /* the whole file (owned by the result) */
    size_t len;
    char sha256[65];
    double ms;            /* time to select and read it */
    unsigned apdus;
} dx_chip_file;

typedef struct dx_chip_result dx_chip_result;

/* Read the chip in the reader `dev`.  On DX_OK *out holds everything read
 * (free with dx_chip_result_free()).  Errors, each with its own message:
 * DX_ERR_NO_CARD (no card within the time), DX_ERR_ACCESS_DENIED (the chip
 * refused the MRZ/CAN), DX_ERR_CARD_REMOVED, DX_ERR_DISCONNECTED,
 * DX_ERR_CANCELLED, DX_ERR_PROTOCOL (the chip broke the protocol).  On an
 * error after some files were read, *out still holds them (and says where it
 * stopped); it is NULL only when nothing was read. */
DX_API dx_status dx_chip_read(dx_device *dev, const dx_chip_read_options *opts,
                              dx_chip_result **out, dx_error *err);

/* Load the files a read wrote (dx_chip_result_write()) or any directory of
 * EF.* files, for verifying offline. */
DX_API dx_status dx_chip_result_load(const char *dir, dx_chip_result **out, dx_error *err);

/* Verify what was read: DG1 (MRZ parser), DG2's face, passive
 * authentication against the CSCAs / master lists / CRLs in trust_dir (NULL:
 * the chain is not checked), Active Authentication's signature.  at_unix: the
 * time validity is checked at (0: now).  Returns DX_OK when it could run;
 * whether everything verified is dx_chip_result_verified(). */
DX_API dx_status dx_chip_verify(dx_chip_result *r, const char *trust_dir, int64_t at_unix,
                                dx_error *err);
DX_API bool dx_chip_result_verified(const dx_chip_result *r);

DX_API size_t dx_chip_result_file_count(const dx_chip_result *r);
DX_API const dx_chip_file *dx_chip_result_file_at(const dx_chip_result *r, size_t i);
DX_API const dx_chip_file *dx_chip_result_file(const dx_chip_result *r, const char *name);
/* DG1 through dx_mrz_parse(), or NULL when DG1 was not read or is malformed. */
DX_API const dx_mrz *dx_chip_result_dg1(const dx_chip_result *r);

/* Write DIR/EF.* (each file raw), face.png (DG2's first face, decoded) and
 * DIR/chip.json.  DIR is created. */
DX_API dx_status dx_chip_result_write(const dx_chip_result *r, const char *dir, dx_error *err);
/* chip.json as text (caller frees). */
DX_API char *dx_chip_result_to_json(const dx_chip_result *r);
/* One line per step for a terminal. */
DX_API void dx_chip_result_print(const dx_chip_result *r, FILE *f);
DX_API void dx_chip_result_free(dx_chip_result *r);

#ifdef __cplusplus
}
#endif
#endif
