/* Passive authentication of an ePassport chip (ICAO 9303 Part 11 §5.1,
 * Part 10 §4.6.2, Part 12): EF.SOD parsed, its CMS signature checked with
 * the Document Signer's key, the DS certificate chained to a CSCA of a trust
 * store (trust.h), its validity, key usage and revocation, and every data
 * group read hashed and compared with the SOD.  OpenSSL 3 (CMS, X509_STORE,
 * EVP) throughout.
 *
 * EF.SOD and the data groups are outside bytes: the outer tag 77 and the
 * LDSSecurityObject are split with the bounds-checked BER-TLV reader
 * (tlv.h), the CMS ContentInfo with d2i on its exact length.  A malformed
 * SOD is DX_ERR_DATA with a message saying what, where and why.
 *
 * Each step has its own result (passed / failed / not checked) and a detail
 * text; dx_pa_report_to_json() writes them for chip.json.
 *
 * All functions are reentrant; a dx_trust_store may be shared by threads. */
#ifndef DOCEX_ICAO_PA_H
#define DOCEX_ICAO_PA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/cms.h>
#include <openssl/types.h>
#include <openssl/x509.h>

#include "docex/docex.h"
#include "icao/trust.h"

#define DX_PA_OID_LDS_SECURITY_OBJECT "2.23.136.1.1.1"
#define DX_PA_MAX_DG 16
#define DX_PA_MAX_HASH 64          /* SHA-512 */

typedef enum dx_pa_result {
    DX_PA_NOT_CHECKED = 0,
    DX_PA_PASSED = 1,
    DX_PA_FAILED = 2,
    DX_PA_NOT_READ = 3             /* data groups only: in the SOD, not read */
} dx_pa_result;

/* "not_checked", "passed", "failed", "not_read". */
const char *dx_pa_result_name(dx_pa_result r);

/* ---- the LDSSecurityObject (9303 Part 10 §4.6.2.3) ----------------------- */

typedef struct dx_pa_lso {
    uint32_t version;              /* 0 (V0) or 1 (V1, with ldsVersionInfo) */
    int hash_nid;                  /* NID_sha1, NID_sha224, NID_sha256, NID_sha384, NID_sha512 */
    const char *hash_name;         /* "SHA-256" (static) */
    char hash_oid[32];             /* "2.16.840.1.101.3.4.2.1" */
    size_t hash_len;
    struct {
        int number;                /* 1..16, each at most once */
        uint8_t hash[DX_PA_MAX_HASH];
    } dg[DX_PA_MAX_DG];
    size_t n_dg;                   /* 2..16 (the ASN.1's SIZE) */
    bool has_version_info;
    char lds_version[16];          /* "0108" */
    char unicode_version[16];      /* "040000" */
} dx_pa_lso;

/* LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm,
 * dataGroupHashValues SEQUENCE OF DataGroupHash { dataGroupNumber,
 * dataGroupHashValue }, ldsVersionInfo OPTIONAL (V1 only) }: exactly one
 * object in buf.  The hash algorithm must be SHA-1 or SHA-2 (Part 12 §4.1),
 * each hash of its length.  DX_ERR_DATA otherwise. */
dx_status dx_pa_lso_parse(const uint8_t *buf, size_t len, dx_pa_lso *out, dx_error *err);

/* ---- CMS SignedData (RFC 5652 as 9303 Part 10 §4.6.2 / Part 12 §9 use it) - */

/* A DER ContentInfo of exactly `len` bytes holding SignedData with
 * eContentType `econtent_oid` and the content attached.  *content points
 * into *cms.  `what` names the data in messages ("EF.SOD").  DX_ERR_DATA. */
dx_status dx_pa_signed_data_parse(const uint8_t *der, size_t len, const char *econtent_oid,
                                  const char *what, CMS_ContentInfo **cms,
                                  const uint8_t **content, size_t *content_len, dx_error *err);

/* The certificate of the SignedData's `certificates` that the SignerInfo
 * names (issuer and serial, or subjectKeyIdentifier), or NULL.  Not
 * up-referenced: it lives as long as cms. */
X509 *dx_pa_signer_cert(CMS_ContentInfo *cms, CMS_SignerInfo *si);

/* The two checks of one SignerInfo (RFC 5652 §5.4, §5.6, §11). */
typedef struct dx_pa_signer_check {
    dx_pa_result signature;        /* signature over the signed attributes, signer's key */
    char signature_detail[512];
    dx_pa_result digest;           /* contentType and messageDigest attributes vs content */
    char digest_detail[512];
    char digest_alg[16];           /* "SHA-256" */
    char signature_alg[64];        /* "sha256WithRSAEncryption", "rsaEncryption", ... */
    char expected[2 * DX_PA_MAX_HASH + 1];  /* messageDigest, hex */
    char computed[2 * DX_PA_MAX_HASH + 1];  /* digest of the content, hex */
} dx_pa_signer_check;

/* Check `si` of `cms` with `signer`'s public key: signed attributes must be
 * present, contentType equal to the eContentType, messageDigest equal to the
 * digest of `content` (SHA-1 or SHA-2), and the signature must verify
 * (CMS_SignerInfo_verify).  Never fails: the results say what happened. */
void dx_pa_signer_verify(CMS_ContentInfo *cms, CMS_SignerInfo *si, X509 *signer,
                         const uint8_t *content, size_t content_len, dx_pa_signer_check *out);

/* The signingTime signed attribute as Unix time and ISO 8601 text
 * ("2024-04-16T12:00:00Z"); false when absent or malformed. */
bool dx_pa_signing_time(CMS_SignerInfo *si, int64_t *unix_time, char iso[32]);

/* ---- EF.SOD (9303 Part 10 §4.6.2) ---------------------------------------- */

typedef struct dx_pa_sod {
    CMS_ContentInfo *cms;
    const uint8_t *econtent;       /* the LDSSecurityObject's DER, inside cms */
    size_t econtent_len;
    dx_pa_lso lso;
    CMS_SignerInfo *si;            /* the first SignerInfo (inside cms) */
    size_t n_signers;              /* 9303 recommends exactly one */
    X509 *ds;                      /* the DS certificate from SignedData.certificates that
                                    * the SignerInfo names, or NULL (inside cms) */
    STACK_OF(X509) *certs;         /* every certificate of the SignedData (owned) */
    bool has_signing_time;
    int64_t signing_time;
    char signing_time_iso[32];
} dx_pa_sod;

/* 77 { ContentInfo SignedData { eContentType 2.23.136.1.1.1,
 * LDSSecurityObject } }: the whole file, outer tag included, nothing after
 * it.  *out is freed with dx_pa_sod_free().  DX_ERR_DATA for malformed
 * bytes, DX_ERR_NO_MEMORY. */
dx_status dx_pa_sod_parse(const uint8_t *sod, size_t len, dx_pa_sod **out, dx_error *err);
void dx_pa_sod_free(dx_pa_sod *s);

/* ---- passive authentication (9303 Part 11 §5.1) -------------------------- */

/* One data group as read from the chip, whole (outer tag included).
 * The caller owns `data`. */
typedef struct dx_pa_dg {
    int number;                    /* 1..16 */
    const uint8_t *data;
    size_t len;
} dx_pa_dg;

typedef struct dx_pa_step {
    dx_pa_result result;
    char detail[768];
} dx_pa_step;

typedef struct dx_pa_cert_info {
    bool present;
    char subject[256];             /* RFC 2253 */
    char issuer[256];
    char serial[80];               /* hex, upper case */
    char not_before[32];           /* ISO 8601, "2024-01-01T00:00:00Z" */
    char not_after[32];
    char sha256[65];               /* of the DER, hex */
    char source[256];              /* CSCA: the trust store file it came from */
} dx_pa_cert_info;

typedef struct dx_pa_dg_result {
    int number;
    dx_pa_result result;           /* passed, failed, not_read */
    bool in_sod, read;
    char expected[2 * DX_PA_MAX_HASH + 1]; /* from the SOD, hex ("" when not in it) */
    char computed[2 * DX_PA_MAX_HASH + 1]; /* of the DG read, hex ("" when not read) */
    char detail[160];
} dx_pa_dg_result;

typedef struct dx_pa_report {
    dx_pa_result overall;
    char overall_detail[512];
    int64_t at;                    /* the time of the check (Unix) */
    char at_iso[32];
    /* the steps, in order */
    dx_pa_step parse;              /* EF.SOD's structure */
    dx_pa_step signature;          /* CMS signature with the DS key */
    dx_pa_step message_digest;     /* signed attributes vs the LDSSecurityObject */
    dx_pa_step chain;              /* DS -> a CSCA of the trust store */
    dx_pa_step validity;           /* DS and CSCA valid at `at` */
    dx_pa_step key_usage;          /* DS keyUsage digitalSignature, not a CA */
    dx_pa_step crl;                /* the CSCA's newest CRL */
    dx_pa_step dg_hashes;          /* every DG read against the SOD */
    /* what the SOD says */
    uint32_t lso_version;
    char hash_algorithm[16];       /* LDSSecurityObject's, "SHA-256" */
    char digest_algorithm[16];     /* SignerInfo's */
    char signature_algorithm[64];
    char lds_version[16], unicode_version[16];   /* V1 only, else "" */
    char signing_time[32];         /* "" when the SOD has none */
    dx_pa_cert_info ds, csca;
    dx_pa_dg_result dgs[DX_PA_MAX_DG];   /* every DG in the SOD or read, by number */
    size_t n_dgs;
} dx_pa_report;

/* Part 11 §5.1: passive authentication of `sod` (EF.SOD, whole) and the data
 * groups read (any order; numbers 1..16, each once; not EF.COM), against
 * `ts` (NULL: chain, CSCA validity and CRL are not checked) at time
 * `at_unix` (0: now).  The report is always filled in.  Returns DX_OK when
 * the SOD could be parsed, whatever the verdict (see out->overall);
 * DX_ERR_DATA when the SOD is malformed (out->parse says why, every other
 * step is not checked); DX_ERR_INVALID_ARG for bad arguments;
 * DX_ERR_NO_MEMORY.
 *
 * overall is passed when parse, signature, message_digest, chain, validity,
 * key_usage and dg_hashes passed and crl did not fail (no CRL: not checked);
 * failed when any step failed; not checked otherwise (no trust store, no
 * data group read). */
dx_status dx_pa_verify(const uint8_t *sod, size_t sod_len, const dx_pa_dg *dgs, size_t n_dgs,
                       const dx_trust_store *ts, int64_t at_unix, dx_pa_report *out,
                       dx_error *err);

/* The report as JSON (new reference): {"result", "detail", "at", "steps":
 * {name: {"result", "detail"}}, "sod": {...}, "ds": {...}|null,
 * "csca": {...}|null, "data_groups": [{"dg", "result", "expected",
 * "computed", "detail"}]}.  NULL only when out of memory. */
json_t *dx_pa_report_to_json(const dx_pa_report *r);

/* ---- helpers shared with trust.c and aa.c -------------------------------- */

/* ASN1_TIME as "YYYY-MM-DDTHH:MM:SSZ" ("" when not convertible). */
void dx_pa_asn1_time_iso(const ASN1_TIME *t, char out[32]);
/* Unix time as "YYYY-MM-DDTHH:MM:SSZ". */
void dx_pa_unix_iso(int64_t t, char out[32]);
/* The allowed hash of 9303 Part 12 §4.1 for a NID (SHA-1, SHA-224, SHA-256,
 * SHA-384, SHA-512): its display name, or NULL for any other. */
const char *dx_pa_hash_name(int nid);
/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void dx_pa_hex(const uint8_t *d, size_t n, char *out);
/* A distinguished name as RFC 2253 text, ASCII only (other bytes escaped). */
void dx_pa_name_str(const X509_NAME *name, char *out, size_t size);
/* A certificate's subject, issuer, serial, validity and SHA-256. */
void dx_pa_cert_info_fill(X509 *x, dx_pa_cert_info *out);
/* A JSON string of text that may hold bytes that are not UTF-8 (file
 * names): those become '?'.  NULL text gives JSON null. */
json_t *dx_pa_json_str(const char *text);
/* An ASN1_TIME as Unix time; false when it is not a time. */
bool dx_pa_asn1_time_unix(const ASN1_TIME *t, int64_t *out);
/* The first OpenSSL error of this thread as text (the queue is cleared);
 * "no detail" when there is none. */
const char *dx_pa_ossl_why(char *buf, size_t size);

#endif
