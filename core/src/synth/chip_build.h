/* docex synth — the chip contents of a synthetic Utopia ePassport.
 *
 * Builds the LDS 1.7 files a chip serves (ICAO 9303 Part 10), whole, outer tag
 * included, and the SOD signed with the test PKI of share/trust/test (made by
 * hw/pki/mkpki).  dx_synth_chip_write() writes a chip directory for the
 * simulated chip's card side: the EF files, chip.json and the chip's private
 * keys (TEST ONLY).
 *
 * Reproducible: the same options and seed give the same bytes.  Keys come from
 * the committed pool, the SOD's signingTime from the options (never the wall
 * clock), and RSA PKCS#1 v1.5 signatures are deterministic.
 *
 * All functions are internal (dx_synth_), thread-safe, and report failures
 * through *err: DX_ERR_INVALID_ARG for options out of range, DX_ERR_NOT_FOUND /
 * DX_ERR_IO for trust files and the chip directory, DX_ERR_DATA for a key or
 * certificate that does not fit, DX_ERR_NO_MEMORY, DX_ERR_INTERNAL when
 * OpenSSL, libjpeg or OpenJPEG fail.  Builders append to `out`, which the
 * caller initialised with dx_synth_der_init() and frees with
 * dx_synth_der_free(); on failure `out` holds nothing useful. */
#ifndef DOCEX_SYNTH_CHIP_BUILD_H
#define DOCEX_SYNTH_CHIP_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "docex/docex.h"
#include "docex/mrz.h"
#include "synth/der.h"
#include "synth/holder.h"

/* ---- object identifiers --------------------------------------------------- */
/* 9303 Part 10 §4.6.2, Part 12 §9, Part 11 §6.1 */
#define DX_SYNTH_OID_LDS_SECURITY_OBJECT "2.23.136.1.1.1"
#define DX_SYNTH_OID_CSCA_MASTER_LIST "2.23.136.1.1.2"
#define DX_SYNTH_OID_AA_PROTOCOL "2.23.136.1.1.5"
#define DX_SYNTH_OID_ECDSA_PLAIN_SHA256 "0.4.0.127.0.7.1.1.4.1.3"
/* BSI TR-03110 Part 3 / 9303 Part 11 §9.2: PACE and Chip Authentication */
#define DX_SYNTH_OID_PACE_ECDH_GM_AES_128 "0.4.0.127.0.7.2.2.4.2.2"
#define DX_SYNTH_OID_PACE_ECDH_GM_AES_192 "0.4.0.127.0.7.2.2.4.2.3"
#define DX_SYNTH_OID_PACE_ECDH_GM_AES_256 "0.4.0.127.0.7.2.2.4.2.4"
#define DX_SYNTH_OID_PACE_ECDH_IM_AES_128 "0.4.0.127.0.7.2.2.4.4.2"
#define DX_SYNTH_OID_CA_ECDH_AES_128 "0.4.0.127.0.7.2.2.3.2.2"
#define DX_SYNTH_OID_PK_ECDH "0.4.0.127.0.7.2.2.1.2"

/* PACE standardized domain parameters (9303 Part 11 §9.5.1) */
#define DX_SYNTH_PACE_P256 12            /* NIST P-256 */
#define DX_SYNTH_PACE_BRAINPOOL_P256 13  /* brainpoolP256r1 */
#define DX_SYNTH_PACE_P384 15            /* NIST P-384 (16 is brainpoolP384r1) */

/* ---- files of the trust directory (hw/pki/mkpki) ------------------------ */
#define DX_SYNTH_TRUST_CSCA_CERT "utopia-csca.cert.pem"
#define DX_SYNTH_TRUST_DS_CERT "utopia-ds.cert.pem"
#define DX_SYNTH_TRUST_DS_KEY "utopia-ds.key.pem"
#define DX_SYNTH_TRUST_ROGUE_CSCA_CERT "rogue/rogue-csca.cert.pem"
#define DX_SYNTH_TRUST_ROGUE_DS_CERT "rogue/rogue-ds.cert.pem"
#define DX_SYNTH_TRUST_ROGUE_DS_KEY "rogue/rogue-ds.key.pem"
/* pool/<kind>-N.key.pem, N = 0, 1, ... (at least 2 of each for a clone) */
#define DX_SYNTH_POOL_AA_RSA "aa-rsa"
#define DX_SYNTH_POOL_AA_ECDSA "aa-ecdsa"
#define DX_SYNTH_POOL_CA_ECDH "ca-ecdh"

#define DX_SYNTH_CHIP_FORMAT "docex.chip/1"
#define DX_SYNTH_CHIP_MAX_PACE 6

typedef enum dx_synth_face_format {
    DX_SYNTH_FACE_JPEG = 0,     /* 19794-5 image data type 0 */
    DX_SYNTH_FACE_JPEG2000 = 1  /* 19794-5 image data type 1 (a JP2 file) */
} dx_synth_face_format;

typedef enum dx_synth_aa {
    DX_SYNTH_AA_NONE = 0,
    DX_SYNTH_AA_RSA = 1,   /* RSA 1024 (ISO/IEC 9796-2 on the card side) */
    DX_SYNTH_AA_ECDSA = 2  /* ECDSA brainpoolP256r1, ecdsa-plain-SHA256 */
} dx_synth_aa;

/* One PACEInfo: protocol OID (text) and standardized parameter id. */
typedef struct dx_synth_pace_info {
    const char *oid;
    int parameter_id;
} dx_synth_pace_info;

typedef struct dx_synth_chip_options {
    /* DG11 (name, place and date of birth), DG12 (authority, date of issue),
     * the sex in DG2's face record, and the CAN when `can` is "". */
    const dx_synth_holder *holder;
    /* The MRZ stored in DG1 (2 x 44, 2 x 36 or 3 x 30), e.g. from
     * dx_synth_mrz_compose(); it may differ from the printed one. */
    char dg1_mrz[DX_MRZ_MAX_LINES][45];
    size_t dg1_mrz_lines;
    /* The MRZ the BAC / PACE-MRZ keys in chip.json come from; 0 lines: the
     * DG1 MRZ (an issuer's chip: what docex synth makes). */
    char access_mrz[DX_MRZ_MAX_LINES][45];
    size_t access_mrz_lines;
    char can[7];                   /* 6 digits; "" = holder->can ("" there too: none) */
    /* The portrait, RGB8, row after row (stride bytes apart, 0 = width * 3);
     * the caller keeps ownership. */
    const uint8_t *portrait_rgb;
    size_t portrait_width, portrait_height, portrait_stride;
    dx_synth_face_format face_format;
    int jpeg_quality;              /* 1..100 (default 75) */
    int jp2_ratio;                 /* JPEG 2000 compression ratio, >= 1 (default 20) */
    uint8_t eye_colour, hair_colour; /* ISO/IEC 19794-5 codes (default 0: unspecified) */
    bool bac;                      /* chip.json "bac" (default true) */
    bool pace;                     /* EF.CardAccess with the PACEInfos below */
    dx_synth_pace_info pace_infos[DX_SYNTH_CHIP_MAX_PACE];
    size_t n_pace_infos;           /* 0 with pace: ECDH-GM AES-128 on brainpoolP256r1 */
    dx_synth_aa aa;                /* DG15 (and an ActiveAuthenticationInfo in DG14 for ECDSA) */
    bool chip_auth;                /* DG14 with ECDH Chip Authentication on brainpoolP256r1 */
    const char *trust_dir;         /* share/trust/test */
    uint64_t seed;                 /* picks the AA and CA keys from the pool */
    char signing_date[9];          /* YYYYMMDD, the SOD's signingTime (12:00:00Z);
                                    * "" = holder->issue_date.  Within the DS's validity. */
    /* chip defects (one or more) */
    int tampered_dg;               /* 0, or a DG the chip serves (1, 2, 11, 12, 14, 15):
                                    * the SOD holds the hash of that DG altered in one
                                    * byte, the chip serves the genuine file, so exactly
                                    * that hash mismatches and nothing else */
    bool untrusted_ds;             /* sign with the rogue DS (not chained to the CSCA) */
    bool clone;                    /* the chip's AA private key is another pool key
                                    * than the one in DG15 (needs aa) */
} dx_synth_chip_options;

/* Defaults: no holder, no MRZ, no portrait; JPEG quality 75, JPEG 2000 ratio
 * 20, BAC on, PACE off, no AA, no CA, seed 0, no defect. */
void dx_synth_chip_options_default(dx_synth_chip_options *o);

/* Write chip_dir (created if missing; one level) with EF.COM, EF.DG1, EF.DG2,
 * EF.DG11, EF.DG12, EF.DG14 (CA or ECDSA AA), EF.DG15 (AA), EF.SOD,
 * EF.CardAccess (PACE), aa_private.pem / ca_private.pem (copies of pool keys,
 * TEST ONLY) and chip.json (format docex.chip/1).  Optional files a previous
 * run left there and this one does not write are removed. */
dx_status dx_synth_chip_write(const dx_synth_chip_options *o, const char *chip_dir,
                              dx_error *err);

/* ---- single files (9303 Part 10 §4.6 - §4.7, Part 11 §9.2) --------------- */

/* EF.COM: 60 { 5F01 LDS version ("0107"), 5F36 Unicode version ("040000"),
 * 5C tag list (one byte per DG: 61 DG1, 75 DG2, 6B DG11...) }. */
dx_status dx_synth_chip_build_com(const char *lds_version, const char *unicode_version,
                                  const uint8_t *dg_tags, size_t n_tags, dx_synth_der *out,
                                  dx_error *err);

/* EF.DG1: 61 { 5F1F the MRZ lines concatenated }. */
dx_status dx_synth_chip_build_dg1(const char lines[][45], size_t n_lines, dx_synth_der *out,
                                  dx_error *err);

/* Encode the portrait for DG2: JPEG (libjpeg, 4:2:0, `quality`) or JP2
 * (OpenJPEG, lossy 9/7, `quality` = compression ratio).  *image is the
 * caller's, free(). */
dx_status dx_synth_chip_encode_face(const uint8_t *rgb, size_t width, size_t height,
                                    size_t stride, dx_synth_face_format format, int quality,
                                    uint8_t **image, size_t *image_len, dx_error *err);

typedef struct dx_synth_face {
    const uint8_t *image;          /* JPEG or JP2 file bytes */
    size_t image_len;
    dx_synth_face_format format;
    uint16_t width, height;
    uint8_t gender;                /* 19794-5: 0 unspecified, 1 male, 2 female */
    uint8_t eye_colour, hair_colour;
} dx_synth_face;

/* EF.DG2: 75 { 7F61 { 02 count 1, 7F60 { A1 biometric header template,
 * 5F2E ISO/IEC 19794-5:2005 face record with one full frontal image } } }. */
dx_status dx_synth_chip_build_dg2(const dx_synth_face *face, dx_synth_der *out, dx_error *err);

/* EF.DG11: 6B { 5C, 5F0E full name (SURNAME<<GIVEN<NAMES), 5F11 place of
 * birth, 5F2B date of birth YYYYMMDD } (empty holder fields left out). */
dx_status dx_synth_chip_build_dg11(const dx_synth_holder *h, dx_synth_der *out, dx_error *err);

/* EF.DG12: 6C { 5C, 5F19 issuing authority, 5F26 date of issue YYYYMMDD }. */
dx_status dx_synth_chip_build_dg12(const dx_synth_holder *h, dx_synth_der *out, dx_error *err);

/* SecurityInfos (a DER SET): the PACEInfos, ChipAuthenticationInfo +
 * ChipAuthenticationPublicKeyInfo when ca_key is set, ActiveAuthenticationInfo
 * (ecdsa-plain-SHA256) when aa_ecdsa. */
dx_status dx_synth_chip_build_security_infos(const dx_synth_pace_info *pace, size_t n_pace,
                                             EVP_PKEY *ca_key, bool aa_ecdsa,
                                             dx_synth_der *out, dx_error *err);

/* EF.DG14: 6E { SecurityInfos }; EF.CardAccess: SecurityInfos of PACE. */
dx_status dx_synth_chip_build_dg14(const dx_synth_pace_info *pace, size_t n_pace,
                                   EVP_PKEY *ca_key, bool aa_ecdsa, dx_synth_der *out,
                                   dx_error *err);
dx_status dx_synth_chip_build_card_access(const dx_synth_pace_info *pace, size_t n_pace,
                                          dx_synth_der *out, dx_error *err);

/* EF.DG15: 6F { SubjectPublicKeyInfo of the AA key } (the public half of
 * aa_key; a private key is never written). */
dx_status dx_synth_chip_build_dg15(EVP_PKEY *aa_key, dx_synth_der *out, dx_error *err);

typedef struct dx_synth_dg_hash {
    int dg;                        /* 1..16 */
    uint8_t sha256[32];
} dx_synth_dg_hash;

/* EF.SOD: 77 { ContentInfo SignedData: eContentType ldsSecurityObject,
 * LDSSecurityObject { v0, sha256, hashes }, signed by ds_key (RSA, SHA-256)
 * with ds_cert included; signed attributes contentType, signingTime
 * (signing_date YYYYMMDD at 12:00:00Z) and messageDigest }. */
dx_status dx_synth_chip_build_sod(const dx_synth_dg_hash *hashes, size_t n, EVP_PKEY *ds_key,
                                  X509 *ds_cert, const char *signing_date, dx_synth_der *out,
                                  dx_error *err);

#endif
