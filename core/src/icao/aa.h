/* Active Authentication, terminal side (ICAO 9303 Part 11 §6.1): the
 * INTERNAL AUTHENTICATE challenge, and the verification of the chip's
 * signature with the public key of DG15.
 *
 *  - RSA: ISO/IEC 9796-2 digital signature scheme 1.  The signature is
 *    opened with the raw public operation (EVP_PKEY_verify_recover,
 *    RSA_NO_PADDING) into F = header || M1 || H || trailer.  Trailer BC:
 *    SHA-1; xx CC: the hash with ISO/IEC 10118-3 identifier xx (33 SHA-1,
 *    34 SHA-256, 35 SHA-512, 36 SHA-384, 38 SHA-224, 31 RIPEMD-160).  Header
 *    nibble 6: partial recovery, the chip's nonce M1 is recovered and
 *    H = hash(M1 || challenge); nibble 4: total recovery, the whole message
 *    is recovered (after the padding nibbles B...BA), H = hash(M1), and M1
 *    must end with the challenge (otherwise the chip did not sign it).
 *    Modulus lengths that are not a whole number of bytes are not supported.
 *  - ECDSA: the plain signature r || s (BSI TR-03111 §5.2.1), each of the
 *    length of the group order, converted to DER (ECDSA_SIG) and verified
 *    with EVP_DigestVerify over the challenge.  The hash comes from DG14's
 *    ActiveAuthenticationInfo signatureAlgorithm: ecdsa-plain-SHA1/224/256/
 *    384/512 or RIPEMD160 (0.4.0.127.0.7.1.1.4.1.1 to .6), or the X9.62
 *    ecdsa-with-SHA* OIDs some States write there (the hash is taken from
 *    them, the signature must still be plain); SHA-256 when DG14 names none.
 *    A DER-encoded signature is not accepted: 9303 asks for plain.
 *
 * Functions are reentrant. */
#ifndef DOCEX_ICAO_AA_H
#define DOCEX_ICAO_AA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/types.h>

#include "docex/docex.h"
#include "icao/apdu.h"

#define DX_AA_CHALLENGE_LEN 8

typedef enum dx_aa_outcome {
    DX_AA_NOT_CHECKED = 0,
    DX_AA_PASSED = 1,
    DX_AA_FAILED = 2
} dx_aa_outcome;

typedef struct dx_aa_result {
    dx_aa_outcome result;
    char algorithm[48];            /* "RSA ISO/IEC 9796-2 scheme 1", "ECDSA (plain r||s)" */
    char hash[16];                 /* "SHA-1", "SHA-256", ... ("" when not known) */
    char recovery[16];             /* RSA: "partial" or "total" */
    char key[64];                  /* "RSA 1024", "EC brainpoolP256r1" */
    char oid[64];                  /* the signature algorithm OID used, or "" */
    char detail[512];              /* why it passed or failed */
} dx_aa_result;

/* "not_checked", "passed", "failed". */
const char *dx_aa_outcome_name(dx_aa_outcome r);

/* Part 11 §6.1.1: a fresh challenge of 8 random bytes (RAND_bytes) and the
 * INTERNAL AUTHENTICATE command 00 88 00 00 08 <challenge> Le.  cmd->data
 * points into `challenge`, which must outlive cmd.  Le is what the key's
 * signature needs (modulus length, or twice the group order's; extended
 * length when over 256), or 256 without a key.  DX_ERR_INTERNAL when the
 * random generator fails. */
dx_status dx_aa_command(EVP_PKEY *dg15_key, uint8_t challenge[DX_AA_CHALLENGE_LEN], dx_apdu *cmd,
                        dx_error *err);

/* Part 11 §6.1.2: verify the chip's answer `sig` to `challenge` with the
 * DG15 key.  sig_alg_oid: DG14's ActiveAuthenticationInfo signatureAlgorithm
 * (dotted text) for ECDSA, NULL when absent (SHA-256); ignored for RSA.
 * Returns DX_OK with out->result passed or failed (out->detail says why);
 * DX_ERR_INVALID_ARG for missing arguments or an empty challenge,
 * DX_ERR_UNSUPPORTED for a key that is neither RSA nor EC, or an OID that
 * names no usable hash (out->result not checked); DX_ERR_NO_MEMORY. */
dx_status dx_aa_verify(EVP_PKEY *dg15_key, const char *sig_alg_oid, const uint8_t *challenge,
                       size_t clen, const uint8_t *sig, size_t slen, dx_aa_result *out,
                       dx_error *err);

/* {"result", "algorithm", "hash", "recovery", "key", "oid", "detail"}
 * (empty strings as null); a new reference, NULL when out of memory. */
json_t *dx_aa_result_to_json(const dx_aa_result *r);

#endif
