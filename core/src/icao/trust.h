/* The trust store of passive authentication (ICAO 9303 Part 11 §5.1, Part 12
 * §5-§9): CSCA certificates, CSCA master lists and CRLs read from a
 * directory or from single files.
 *
 * What goes in:
 *  - CSCA certificates: *.pem, *.crt, *.cer, *.der, PEM (one or several
 *    certificates) or DER.  Only CA certificates (basicConstraints CA, or
 *    keyUsage keyCertSign; X509_check_ca()) become trust anchors: a Document
 *    Signer or Master List Signer certificate in the directory is reported
 *    and skipped.  Self-signed CSCAs and link certificates (9303 Part 12
 *    §5.1.1) are both anchors: the chain of a DS needs to reach any one of
 *    them (X509_V_FLAG_PARTIAL_CHAIN).
 *  - CSCA master lists (Part 12 §9): *.ml, or any DER/PEM file whose content
 *    is a CMS SignedData with eContentType id-icao-cscaMasterList
 *    (2.23.136.1.1.2) holding CscaMasterList { version 0, certList }.  A list
 *    is used only when its CMS signature verifies (signed attributes,
 *    messageDigest), its signer certificate carries the extended key usage
 *    id-icao-cscaMasterListSigningKey (2.23.136.1.1.3) and chains to a CSCA
 *    of the list itself or to a CSCA certificate file of the directory, at
 *    the list's signingTime (at the time of loading when it has none).
 *
 *    WHAT THAT GIVES: the check proves the list is intact and was signed by
 *    the holder of a CSCA key it names.  It does not make the list more
 *    trusted than the directory it came from: the signer usually chains to a
 *    CSCA carried by the list itself, so whoever can write to the directory
 *    can put in a list of their own making that verifies just as well.  The
 *    trust anchors are what the directory holds; keep it write-protected.
 *    Each list's record (dx_trust_store_ml_at()) says who signed it, how
 *    many CSCAs it gave and whether it verified, or why not.
 *  - CRLs (Part 12 §7.1.4): *.crl, PEM or DER.  dx_trust_store_find_crl()
 *    hands passive authentication the newest CRL a CSCA signed.
 *
 * Bad files (unreadable, malformed, a master list that does not verify) are
 * recorded as notes (file, what, why) and skipped; private keys found in the
 * directory are ignored with a note; subdirectories are not searched.  Only
 * a directory that yields no CSCA at all is an error.
 *
 * Thread safety: loading and adding files must not run concurrently with
 * anything else on the same store; once loaded, any number of threads may
 * use a store through the const functions. */
#ifndef DOCEX_ICAO_TRUST_H
#define DOCEX_ICAO_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/types.h>
#include <openssl/x509.h>

#include "docex/docex.h"

#define DX_TRUST_OID_MASTER_LIST "2.23.136.1.1.2"
#define DX_TRUST_OID_MLS_EKU "2.23.136.1.1.3"

typedef struct dx_trust_store dx_trust_store;

/* One note about a file or an item in it. */
typedef struct dx_trust_note {
    char file[256];             /* the file's name (as given; base name in a directory) */
    bool skipped;               /* the file or item was not used */
    char text[512];             /* what and why */
} dx_trust_note;

/* One master list and what became of it. */
typedef struct dx_trust_ml {
    char file[256];
    char signer[256];           /* the Master List Signer's subject (RFC 2253), "" if none */
    char signer_serial[80];     /* hex */
    char signing_time[32];      /* "2025-01-01T00:00:00Z", "" when absent */
    size_t n_certs;             /* certificates in certList */
    size_t n_cscas;             /* of them added as trust anchors (new, CA) */
    bool verified;
    char detail[512];           /* verified: what it chained to; else why not */
} dx_trust_ml;

/* An empty store.  DX_ERR_NO_MEMORY. */
dx_status dx_trust_store_new(dx_trust_store **out, dx_error *err);
void dx_trust_store_free(dx_trust_store *ts);

/* Part 12 §5-§9: read every file of `dir` (not its subdirectories) in name
 * order: CSCA certificates first, then master lists (which may chain to
 * them), then CRLs.  DX_ERR_NOT_FOUND / DX_ERR_IO when the directory cannot
 * be read; DX_ERR_DATA when it yields no CSCA (the message names the files
 * and why each was skipped), *out is then NULL. */
dx_status dx_trust_store_load(const char *dir, dx_trust_store **out, dx_error *err);

/* Add one file (format detected from the content: PEM or DER certificate,
 * CRL or master list; a master list may chain to CSCAs already in the store
 * from certificate files).  DX_OK when something of it was used;
 * DX_ERR_DATA when nothing was (a note says why); DX_ERR_NOT_FOUND /
 * DX_ERR_IO when it cannot be read. */
dx_status dx_trust_store_add_file(dx_trust_store *ts, const char *path, dx_error *err);
/* The same on bytes in memory; `name` stands for the file in notes. */
dx_status dx_trust_store_add_mem(dx_trust_store *ts, const char *name, const uint8_t *buf,
                                 size_t len, dx_error *err);

size_t dx_trust_store_csca_count(const dx_trust_store *ts);
/* The i-th trust anchor (owned by the store) and the file it came from. */
X509 *dx_trust_store_csca_at(const dx_trust_store *ts, size_t i, const char **source);
size_t dx_trust_store_crl_count(const dx_trust_store *ts);
X509_CRL *dx_trust_store_crl_at(const dx_trust_store *ts, size_t i, const char **source);
size_t dx_trust_store_ml_count(const dx_trust_store *ts);
const dx_trust_ml *dx_trust_store_ml_at(const dx_trust_store *ts, size_t i);
size_t dx_trust_store_note_count(const dx_trust_store *ts);
const dx_trust_note *dx_trust_store_note_at(const dx_trust_store *ts, size_t i);

/* Part 11 §5.1.1 step 2: build the chain of `leaf` to a trust anchor of the
 * store (X509_STORE_CTX; `untrusted` may be NULL or the other certificates
 * the SOD carries).  Flags: X509_V_FLAG_PARTIAL_CHAIN (any anchor of the
 * store ends a chain, link certificates included), purpose any (DS
 * certificates carry ICAO key usages, not the TLS/S-MIME ones OpenSSL's
 * purposes know), no CRL check here (dx_trust_store_find_crl()).  Time:
 * `at_unix` for the validity of each certificate, or with check_time false
 * no validity check (X509_V_FLAG_NO_CHECK_TIME; the caller checks it as a
 * step of its own).  Returns true when a chain was found; then *chain (may
 * be NULL) receives it, leaf first, anchor last (the caller frees it with
 * sk_X509_pop_free(chain, X509_free)).  On false,
 * why[] says why. */
bool dx_trust_store_verify_cert(const dx_trust_store *ts, X509 *leaf, STACK_OF(X509) *untrusted,
                                bool check_time, int64_t at_unix, STACK_OF(X509) **chain,
                                char *why, size_t why_size);
/* The file a trust anchor came from (matched by content), or NULL when
 * `cert` is not an anchor of the store. */
const char *dx_trust_store_source_of(const dx_trust_store *ts, X509 *cert);
/* Part 12 §7.1.4: the newest CRL (highest cRLNumber, else latest
 * thisUpdate) issued by `issuer`: same name and a signature that verifies
 * with its key.  NULL when the store has none; *source names its file. */
X509_CRL *dx_trust_store_find_crl(const dx_trust_store *ts, X509 *issuer, const char **source);

/* A summary for reports: counts, the master lists, the notes. */
json_t *dx_trust_store_to_json(const dx_trust_store *ts);

#endif
