/* docex — the chip read's result, shared by chip.c (reading) and
 * chip_verify.c (verification, chip.json, files). */
#ifndef DOCEX_ICAO_CHIP_INTERNAL_H
#define DOCEX_ICAO_CHIP_INTERNAL_H

#include <jansson.h>

#include "docex/chip.h"
#include "icao/chip_file.h"

struct dx_chip_result {
    char device[128];
    uint8_t atr[64];
    size_t atr_len;
    char protocol[16];          /* "PACE", "BAC", "none", "offline" */
    char protocol_detail[96];   /* "ECDH-GM-AES-128, brainpoolP256r1 (13)", "3DES, retail MAC" */
    char password[8];           /* "MRZ", "CAN" */
    char note[300];             /* a fallback taken (PACE -> BAC, extended -> short) */
    bool extended;              /* extended-length reads were used */
    bool offline;               /* loaded from files, not read */
    dx_chip_file files[DX_CHIP_MAX_FILES];
    size_t n_files;
    unsigned apdus;
    uint64_t bytes_sent, bytes_received;
    double wait_ms, access_ms, read_ms, aa_ms, total_ms;
    /* Active Authentication's exchange */
    bool aa_attempted;
    uint8_t aa_challenge[8];
    uint8_t *aa_response;
    size_t aa_len;
    dx_status aa_status;
    char aa_error[200];
    char stopped[300];          /* the error that ended the read early, or "" */
    char printed[DX_MRZ_MAX_LINES][45]; /* the printed MRZ (compared with DG1) */
    size_t n_printed;
    /* verification (chip_verify.c) */
    bool verify_run, verified;
    bool dg1_ok;
    dx_mrz dg1;
    char dg1_error[200];
    json_t *pa;                 /* passive authentication report */
    json_t *aa;                 /* active authentication result */
    json_t *face;               /* DG2's face: format, size, decoded or why not */
    json_t *dg1_vs_printed;     /* DG1 against the printed MRZ */
    uint8_t *face_rgb;
    uint32_t face_w, face_h;
};

double dx_chip_now_ms(void);
const char *dx_chip_file_name(uint16_t fid);
/* The file `name` of the result, added (status NOT_FOUND) when missing. */
dx_chip_file *dx_chip_result_add(dx_chip_result *r, const char *name);
/* Read DIR/aa.json (the challenge and response a read recorded), if any. */
void dx_chip_load_aa(dx_chip_result *r, const char *path);
/* Free the verification's results. */
void dx_chip_verify_clear(dx_chip_result *r);

#endif
