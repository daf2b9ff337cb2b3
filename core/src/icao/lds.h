/* The files of the ePassport's Logical Data Structure (ICAO 9303 Part 10,
 * LDS 1.7): one table of the files (DG number, tag, FID, SFI, name), and a
 * parser per file that gives typed results — EF.COM, DG1 (the MRZ, parsed by
 * dx_mrz_parse() like a printed one), DG2 (ISO/IEC 19794-5 face records),
 * DG5 and DG7 (displayed images), DG11, DG12, DG14 (SecurityInfos), DG15
 * (the Active Authentication public key) — and the decoder of the images
 * they carry (JPEG with libjpeg, JPEG 2000 with OpenJPEG) into RGB8 pixels.
 * EF.SOD is not parsed here (passive authentication, pa.c).
 *
 * Input: a whole file as the chip serves it, outer tag included
 * (dx_chip_read_file() gives exactly that).  Every byte goes through the
 * bounds-checked BER-TLV reader (icao/tlv.h) or, for the binary 19794-5
 * record, a bounds-checked cursor; nothing is read past the end.  Bytes after
 * the file's outer object (padding of a file dumped whole) are ignored and
 * noted.
 *
 * Errors: DX_ERR_DATA for malformed bytes, with a message "EF.DG2: offset
 * 123: what is wrong" (offsets from the start of the file);
 * DX_ERR_UNSUPPORTED for well-formed contents this code cannot handle (a
 * 19794-5 version other than 2005's, a CMYK JPEG...); DX_ERR_NO_MEMORY;
 * DX_ERR_INVALID_ARG for NULL arguments.  On any error the result holds
 * nothing that needs freeing (its _free is still safe to call).
 *
 * Ownership: members documented as views (const pointers into `buf`) point
 * into the caller's buffer, which must outlive the result.  Everything else
 * is copied; results that own memory (strings, EVP_PKEY, pixels) have a
 * dx_lds_*_free(), which also accepts a zeroed or already freed result.
 *
 * Findings that are not errors (a tag list that disagrees with the contents,
 * unknown tags, padding after the file) are kept as notes, so that a report
 * can show them; a face image whose size or type is not what its record
 * declares is said in dx_lds_pixels.mismatch.
 *
 * Internal to libdocex (tests link docex-internal); every function is
 * reentrant. */
#ifndef DOCEX_ICAO_LDS_H
#define DOCEX_ICAO_LDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "docex/docex.h"
#include "docex/mrz.h"
#include "icao/chip_crypto.h"
#include "icao/chip_group.h"
#include "icao/pace.h"
#include "icao/tlv.h"

/* ---- the files (9303 Part 10 §3: identifiers; §4.6 - §4.7: tags) --------- */

typedef struct dx_lds_file_info {
    const char *name;          /* "EF.DG2", "EF.COM", "EF.SOD", "EF.CardAccess" */
    int dg;                    /* 1..16; 0 for EF.COM, EF.SOD, EF.CardAccess */
    uint32_t tag;              /* the file's outer tag (75 for DG2); 0 for
                                  EF.CardAccess, whose contents are a SET (31) */
    uint16_t fid;              /* 0102 */
    uint8_t sfi;               /* short EF identifier: 02 */
    bool outside_application;  /* EF.CardAccess: under the master file */
    const char *content;       /* "encoded face" */
} dx_lds_file_info;

/* The table: EF.COM, EF.DG1 ... EF.DG16, EF.SOD, EF.CardAccess, in that order. */
size_t dx_lds_file_count(void);
const dx_lds_file_info *dx_lds_file_at(size_t i);
/* Look-ups; NULL when there is no such file.  by_fid(011D) is EF.SOD. */
const dx_lds_file_info *dx_lds_file_by_dg(int dg);
const dx_lds_file_info *dx_lds_file_by_tag(uint32_t tag);
const dx_lds_file_info *dx_lds_file_by_fid(uint16_t fid);
/* "EF.DG2" or "DG2", case-insensitive. */
const dx_lds_file_info *dx_lds_file_by_name(const char *name);
/* The DG whose outer tag is `tag` (1..16), or 0. */
int dx_lds_dg_of_tag(uint32_t tag);

/* ---- notes and helpers ------------------------------------------------------- */

#define DX_LDS_MAX_NOTES 8

typedef struct dx_lds_notes {
    size_t n;
    bool more;                 /* further notes were dropped */
    char text[DX_LDS_MAX_NOTES][160];
} dx_lds_notes;

/* Append a note; when DX_LDS_MAX_NOTES are there it is dropped and `more`
 * set. */
void dx_lds_note(dx_lds_notes *notes, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Open a file (9303 Part 10 §4.6 - §4.7: one data object under the file's
 * tag): buf must start with an object of tag `tag`; *inner reads its value
 * (messages name `what`, offsets from the start of buf).  Bytes after it are
 * noted in `notes` (may be NULL) and ignored. */
dx_status dx_lds_open(const uint8_t *buf, size_t n, uint32_t tag, const char *what,
                      dx_tlv_reader *inner, dx_tlv *outer, dx_lds_notes *notes, dx_error *err);

/* The dotted text of an OBJECT IDENTIFIER's value bytes ("2.23.136.1.1.5").
 * False (and "" in buf) when the bytes are not a valid OID or do not fit. */
bool dx_lds_oid_text(const uint8_t *value, size_t len, char *buf, size_t cap);

/* ---- EF.COM (9303 Part 10 §4.6.1) ---------------------------------------- */

typedef struct dx_lds_com {
    char lds_version[5];       /* 5F01: "0107" */
    unsigned lds_major, lds_minor;              /* 1, 7 */
    char unicode_version[7];   /* 5F36: "040000" */
    unsigned unicode_major, unicode_minor, unicode_release;
    int dgs[16];               /* 5C: the DGs listed, in list order, each once */
    size_t n_dgs;
    uint32_t dg_mask;          /* bit n set: DGn is listed */
    dx_lds_notes notes;        /* unknown or repeated tags in the list */
} dx_lds_com;

dx_status dx_lds_parse_com(const uint8_t *buf, size_t n, dx_lds_com *out, dx_error *err);
bool dx_lds_com_has(const dx_lds_com *com, int dg);

/* ---- EF.DG1: the MRZ (9303 Part 10 §4.7.1) ------------------------------- */

typedef struct dx_lds_dg1 {
    char text[91];             /* 5F1F as stored: 90 (TD1), 72 (TD2, MRV-B) or
                                  88 (TD3, MRV-A) characters */
    size_t len;
    dx_mrz mrz;                /* the text split into its lines and parsed by
                                  dx_mrz_parse(); mrz.valid says whether every
                                  check digit holds */
    dx_lds_notes notes;
} dx_lds_dg1;

/* `opts` (may be NULL) goes to dx_mrz_parse().  A length that is no MRZ's, a
 * character outside the MRZ alphabet, or text dx_mrz_parse() refuses is
 * DX_ERR_DATA; check digits that fail are not an error (see mrz.valid). */
dx_status dx_lds_parse_dg1(const uint8_t *buf, size_t n, const dx_mrz_options *opts,
                           dx_lds_dg1 *out, dx_error *err);

/* ---- images ------------------------------------------------------------------- */

typedef enum dx_lds_image_format {
    DX_LDS_IMAGE_UNKNOWN = 0,
    DX_LDS_IMAGE_JPEG = 1,     /* FF D8 FF */
    DX_LDS_IMAGE_JP2 = 2,      /* a JPEG 2000 file (JP2 signature box) */
    DX_LDS_IMAGE_J2K = 3       /* a bare JPEG 2000 codestream (FF 4F FF 51) */
} dx_lds_image_format;

/* What the first bytes are. */
dx_lds_image_format dx_lds_image_sniff(const uint8_t *img, size_t n);
/* "JPEG", "JPEG 2000 (JP2)", "JPEG 2000 (codestream)", "unknown". */
const char *dx_lds_image_format_name(dx_lds_image_format f);

/* Default cap on the pixels of an image to decode. */
#define DX_LDS_MAX_PIXELS ((size_t)50 * 1000 * 1000)

/* Decoded pixels, RGB8, row after row, width * 3 bytes a row. */
typedef struct dx_lds_pixels {
    uint8_t *rgb;              /* owned: dx_lds_pixels_free() */
    size_t width, height;
    dx_lds_image_format format;
    unsigned components;       /* of the coded image (1 grey, 3 colour...) */
    unsigned precision;        /* bits per sample of the coded image */
    /* dx_lds_face_decode() only: "" when the image is what the 19794-5 record
     * declares, else what differs (size, image data type). */
    char mismatch[200];
} dx_lds_pixels;

/* Decode a JPEG, a JP2 file or a J2K codestream (told apart by their first
 * bytes) into RGB8.  Grey images are spread over the three channels; JPEG
 * 2000 samples of other precisions are scaled to 8 bits, sYCC converted to
 * RGB, an alpha channel dropped.  `max_pixels` caps width x height, checked
 * from the image's header before anything is decoded (0: DX_LDS_MAX_PIXELS).
 * `what` names the image in messages ("EF.DG2 face 1").
 * DX_ERR_DATA: not an image of these formats, corrupt or truncated data
 * (libjpeg's and OpenJPEG's own complaint is in the message; a JPEG that
 * libjpeg can only decode with a warning counts as corrupt), or more pixels
 * than max_pixels; DX_ERR_UNSUPPORTED: CMYK, more than 4 components,
 * subsampled JPEG 2000 components, precision above 16 bits;
 * DX_ERR_NO_MEMORY. */
dx_status dx_lds_image_decode(const uint8_t *img, size_t n, size_t max_pixels,
                              const char *what, dx_lds_pixels *out, dx_error *err);
void dx_lds_pixels_free(dx_lds_pixels *px);

/* ---- EF.DG2: encoded faces (9303 Part 10 §4.7.2; ISO/IEC 19794-5:2005) --- */

/* Biometric header template A1 (9303 Part 10 §4.7.2; ISO/IEC 7816-11). */
typedef struct dx_lds_bht {
    bool has_version;  uint8_t version[2];  /* 80: patron header version (01 01) */
    bool has_type;     uint32_t type;       /* 81: biometric type, 02 = facial features */
    bool has_subtype;  uint8_t subtype;     /* 82 */
    bool has_creation; uint8_t creation[7]; /* 83: creation date and time, BCD */
    bool has_validity; uint8_t validity[8]; /* 85: validity period, BCD */
    bool has_creator;  uint16_t creator;    /* 86: creator of the reference data (PID) */
    uint16_t format_owner;                  /* 87: 0101 = ISO/IEC JTC 1/SC 37 */
    uint16_t format_type;                   /* 88: 0008 = ISO/IEC 19794-5 face */
} dx_lds_bht;

/* 19794-5 image data types */
#define DX_LDS_FACE_JPEG 0
#define DX_LDS_FACE_JPEG2000 1

/* One facial image of a 19794-5 record. */
typedef struct dx_lds_face {
    size_t instance;           /* which biometric information template (7F60), from 0 */
    size_t index;              /* which facial image of that template's record, from 0 */
    dx_lds_bht bht;
    uint32_t bdb_tag;          /* 5F2E, or 7F2E (enciphered form, parsed alike) */
    /* ISO/IEC 19794-5:2005 §5: the facial record header */
    char version[4];           /* "010" */
    uint32_t record_length;
    uint16_t n_images;         /* facial images in the record */
    /* facial information */
    uint32_t block_length;     /* facial record data length */
    uint16_t n_feature_points; /* feature points: skipped, 8 bytes each */
    uint8_t gender;            /* 0 unspecified, 1 male, 2 female, FF unknown */
    uint8_t eye_colour, hair_colour;
    uint32_t property_mask;    /* 24 bits */
    uint16_t expression;
    uint8_t pose[3];           /* yaw, pitch, roll */
    uint8_t pose_uncertainty[3];
    /* image information */
    uint8_t face_image_type;   /* 0 basic, 1 full frontal, 2 token frontal */
    uint8_t image_data_type;   /* DX_LDS_FACE_JPEG or DX_LDS_FACE_JPEG2000 */
    uint16_t width, height;    /* as declared */
    uint8_t colour_space, source_type;
    uint16_t device_type, quality;
    /* image data: a view into buf */
    const uint8_t *image;
    size_t image_len;
    size_t image_offset;       /* of the image in the file */
    dx_lds_image_format image_format; /* what the bytes are */
} dx_lds_face;

#define DX_LDS_MAX_FACES 16

typedef struct dx_lds_dg2 {
    size_t n_instances;        /* 02 of 7F61: biometric information templates */
    size_t n_faces;            /* facial images over all templates */
    dx_lds_face faces[DX_LDS_MAX_FACES];
    dx_lds_notes notes;
} dx_lds_dg2;

/* Each template's header and 19794-5 record, every length checked against
 * the bytes: an instance count the templates do not match, a record length
 * or facial record data length that does not add up, feature points or an
 * image that run past their block are DX_ERR_DATA.  A 19794-5 version other
 * than "010" is DX_ERR_UNSUPPORTED; more than DX_LDS_MAX_FACES faces is
 * DX_ERR_DATA.  The images are not decoded here. */
dx_status dx_lds_parse_dg2(const uint8_t *buf, size_t n, dx_lds_dg2 *out, dx_error *err);

/* Decode face->image (dx_lds_image_decode, `what` "EF.DG2 face N") and
 * compare it with the record: out->mismatch says when the image's size is
 * not the declared width x height, or its format not the image data type. */
dx_status dx_lds_face_decode(const dx_lds_face *face, size_t max_pixels, dx_lds_pixels *out,
                             dx_error *err);

/* ---- EF.DG5, EF.DG7: displayed portrait, signature (9303 Part 10 §4.7.5,
 * §4.7.7) ---------------------------------------------------------------------- */

#define DX_LDS_MAX_IMAGES 16

typedef struct dx_lds_image {
    const uint8_t *data;       /* view into buf: JPEG or JPEG 2000 bytes */
    size_t len;
    size_t offset;             /* in the file */
    dx_lds_image_format format;
} dx_lds_image;

typedef struct dx_lds_displayed {
    int dg;                    /* 5 or 7 */
    size_t n;                  /* images (the count in 02 matches it) */
    dx_lds_image images[DX_LDS_MAX_IMAGES];
    dx_lds_notes notes;
} dx_lds_displayed;

/* DG5: 65 { 02 count, 5F40 image... }; DG7: 67 { 02 count, 5F43 image... }.
 * Decode an image with dx_lds_image_decode(). */
dx_status dx_lds_parse_dg5(const uint8_t *buf, size_t n, dx_lds_displayed *out, dx_error *err);
dx_status dx_lds_parse_dg7(const uint8_t *buf, size_t n, dx_lds_displayed *out, dx_error *err);

/* ---- EF.DG11, EF.DG12 (9303 Part 10 §4.7.11, §4.7.12) --------------------- */

/* A name as stored ("ERIKSSON<<ANNA<MARIA") and split at the first "<<" into
 * the primary and secondary identifiers, '<' turned into spaces, fillers at
 * the ends dropped ("ERIKSSON", "ANNA MARIA"). */
typedef struct dx_lds_name {
    char *raw;
    char *primary;
    char *secondary;           /* "" when the name has no "<<" */
} dx_lds_name;

/* A binary field (an image): a view into buf. */
typedef struct dx_lds_blob {
    const uint8_t *data;       /* NULL when absent */
    size_t len;
    size_t offset;
} dx_lds_blob;

#define DX_LDS_MAX_TAG_LIST 32

/* Text members are NUL-terminated UTF-8 (validated; a NUL inside is an
 * error), owned, NULL when the field is absent.  Dates are "YYYYMMDD" ("" when
 * absent), from 8 ASCII digits or 4 bytes of BCD. */
typedef struct dx_lds_dg11 {
    uint32_t tag_list[DX_LDS_MAX_TAG_LIST];   /* 5C */
    size_t n_tag_list;
    dx_lds_name full_name;                    /* 5F0E (raw NULL when absent) */
    dx_lds_name *other_names;                 /* 5F0F, in A0 { 02 count, 5F0F... } */
    size_t n_other_names;
    char *personal_number;                    /* 5F10 */
    char birth_date[9];                       /* 5F2B */
    char *place_of_birth;                     /* 5F11 ('<' separators kept) */
    char *address;                            /* 5F42 */
    char *telephone;                          /* 5F12 */
    char *profession;                         /* 5F13 */
    char *title;                              /* 5F14 */
    char *personal_summary;                   /* 5F15 */
    dx_lds_blob proof_of_citizenship;         /* 5F16: an image */
    char *other_td_numbers;                   /* 5F17 */
    char *custody;                            /* 5F18 */
    dx_lds_notes notes;
} dx_lds_dg11;

typedef struct dx_lds_dg12 {
    uint32_t tag_list[DX_LDS_MAX_TAG_LIST];   /* 5C */
    size_t n_tag_list;
    char *issuing_authority;                  /* 5F19 */
    char issue_date[9];                       /* 5F26 */
    dx_lds_name *other_persons;               /* 5F1A, in A0 { 02 count, 5F1A... } */
    size_t n_other_persons;
    char *endorsements;                       /* 5F1B */
    char *tax_exit;                           /* 5F1C */
    dx_lds_blob image_front;                  /* 5F1D */
    dx_lds_blob image_rear;                   /* 5F1E */
    char personalisation_time[15];            /* 5F55: "YYYYMMDDhhmmss" (14 digits
                                                 or 7 bytes BCD), "" when absent */
    char *personalisation_device;             /* 5F56: serial number */
    dx_lds_notes notes;
} dx_lds_dg12;

/* A field that is not UTF-8, a date that is not digits, a repeated field, an
 * A0 whose count lies: DX_ERR_DATA.  Tags the tag list names but the file
 * lacks (and the reverse), and unknown tags, are notes. */
dx_status dx_lds_parse_dg11(const uint8_t *buf, size_t n, dx_lds_dg11 *out, dx_error *err);
void dx_lds_dg11_free(dx_lds_dg11 *d);
dx_status dx_lds_parse_dg12(const uint8_t *buf, size_t n, dx_lds_dg12 *out, dx_error *err);
void dx_lds_dg12_free(dx_lds_dg12 *d);

/* ---- public keys: DG14's Chip Authentication keys, DG15 -------------------- */

typedef struct dx_lds_pubkey {
    EVP_PKEY *key;             /* owned (d2i_PUBKEY) */
    const uint8_t *spki;       /* view: the SubjectPublicKeyInfo's bytes */
    size_t spki_len;
    char algorithm[16];        /* "RSA", "EC", "DH", "DHX" */
    int bits;                  /* modulus, field or prime size */
    char curve[48];            /* EC: the curve's name ("brainpoolP256r1"); also
                                  for explicit parameters OpenSSL recognises;
                                  "" when unnamed */
    bool explicit_params;      /* EC: the SPKI spells the curve out */
} dx_lds_pubkey;

void dx_lds_pubkey_free(dx_lds_pubkey *k);

/* ---- EF.DG14: SecurityInfos (9303 Part 11 §9.2; BSI TR-03110) ------------- */

typedef enum dx_lds_si_kind {
    DX_LDS_SI_UNKNOWN = 0,      /* kept, with its OID and bytes */
    DX_LDS_SI_PACE,             /* PACEInfo: 0.4.0.127.0.7.2.2.4.x.y */
    DX_LDS_SI_PACE_DOMAIN,      /* PACEDomainParameterInfo: 0.4.0.127.0.7.2.2.4.x */
    DX_LDS_SI_CA,               /* ChipAuthenticationInfo: 0.4.0.127.0.7.2.2.3.x.y */
    DX_LDS_SI_CA_DOMAIN,        /* ChipAuthenticationDomainParameterInfo: ...2.2.3.x */
    DX_LDS_SI_CA_PUBLIC_KEY,    /* ChipAuthenticationPublicKeyInfo: 0.4.0.127.0.7.2.2.1.x */
    DX_LDS_SI_TA,               /* TerminalAuthenticationInfo: 0.4.0.127.0.7.2.2.2 */
    DX_LDS_SI_AA                /* ActiveAuthenticationInfo: 2.23.136.1.1.5 */
} dx_lds_si_kind;

/* "PACEInfo", "ChipAuthenticationInfo", ..., "unknown SecurityInfo". */
const char *dx_lds_si_kind_name(dx_lds_si_kind k);

typedef struct dx_lds_security_info {
    dx_lds_si_kind kind;
    char oid[64];                 /* the protocol, dotted */
    const uint8_t *raw;           /* view: the whole SEQUENCE */
    size_t raw_len;
    size_t offset;                /* in the file */
    bool has_version;  uint32_t version;
    bool has_key_id;   uint32_t key_id;       /* CA, CA domain, CA public key: keyId */
    dx_chip_ka ka;                /* PACE, CA...: DH or ECDH from the OID; 0 unknown */
    dx_chip_cipher cipher;        /* PACE, CA: from the OID's last arc; 0 unknown */
    int32_t parameter_id;         /* PACE, PACE domain: -1 when absent */
    char algorithm[64];           /* AA: signatureAlgorithm; PACE / CA domain: the
                                     domain parameters' AlgorithmIdentifier; dotted */
    dx_lds_pubkey public_key;     /* CA public key */
    bool has_ef_cvca;  uint16_t ef_cvca;      /* TA: efCVCA FID */
} dx_lds_security_info;

typedef struct dx_lds_security_infos {
    dx_lds_security_info *infos;  /* owned, file order */
    size_t n;
    dx_card_access pace;          /* its PACEInfos, as dx_pace_parse_card_access()
                                     reads them (classified, ready for dx_pace_choose) */
    dx_lds_notes notes;
} dx_lds_security_infos;

/* SecurityInfos ::= SET OF SecurityInfo, at the start of buf (EF.CardAccess,
 * or the value of DG14); `what` names the file in messages; bytes after the
 * SET are ignored.  A SecurityInfo that is not a SEQUENCE starting with an
 * OID, a known one whose fields are malformed, or a public key OpenSSL cannot
 * load is DX_ERR_DATA; unknown OIDs are kept. */
dx_status dx_lds_parse_security_infos(const uint8_t *buf, size_t n, const char *what,
                                      dx_lds_security_infos *out, dx_error *err);
/* EF.DG14: 6E { SecurityInfos }. */
dx_status dx_lds_parse_dg14(const uint8_t *buf, size_t n, dx_lds_security_infos *out,
                            dx_error *err);
void dx_lds_security_infos_free(dx_lds_security_infos *s);

/* ---- EF.DG15: the Active Authentication public key (9303 Part 10 §4.7.15) -- */

/* 6F { SubjectPublicKeyInfo }: an RSA or EC key (named or explicit curve). */
dx_status dx_lds_parse_dg15(const uint8_t *buf, size_t n, dx_lds_pubkey *out, dx_error *err);

#endif
