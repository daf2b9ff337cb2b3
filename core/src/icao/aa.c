/* Active Authentication, terminal side (ICAO 9303 Part 11 §6.1; RSA:
 * ISO/IEC 9796-2 digital signature scheme 1; ECDSA: BSI TR-03111).
 * See aa.h. */
#include "icao/aa.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "icao/pa.h"

#define DX_CAT_AA "aa"

const char *dx_aa_outcome_name(dx_aa_outcome r)
{
    return r == DX_AA_PASSED ? "passed" : r == DX_AA_FAILED ? "failed" : "not_checked";
}

static void verdict(dx_aa_result *r, dx_aa_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void verdict(dx_aa_result *r, dx_aa_outcome o, const char *fmt, ...)
{
    va_list ap;
    r->result = o;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

/* ISO/IEC 10118-3 hash identifiers of the trailer xx CC (ISO/IEC 9796-2). */
static const struct {
    uint8_t id;
    const char *md, *name;
} rsa_hashes[] = {
    {0x33, "SHA1", "SHA-1"},     {0x34, "SHA256", "SHA-256"}, {0x35, "SHA512", "SHA-512"},
    {0x36, "SHA384", "SHA-384"}, {0x38, "SHA224", "SHA-224"}, {0x31, "RIPEMD160", "RIPEMD-160"},
};

/* DG14 ActiveAuthenticationInfo signatureAlgorithm (9303 Part 11 §9.2.9):
 * BSI TR-03111 ecdsa-plain-signatures, and the X9.62 OIDs seen instead. */
static const struct {
    const char *oid, *md, *name;
} ecdsa_algs[] = {
    {"0.4.0.127.0.7.1.1.4.1.1", "SHA1", "SHA-1"},
    {"0.4.0.127.0.7.1.1.4.1.2", "SHA224", "SHA-224"},
    {"0.4.0.127.0.7.1.1.4.1.3", "SHA256", "SHA-256"},
    {"0.4.0.127.0.7.1.1.4.1.4", "SHA384", "SHA-384"},
    {"0.4.0.127.0.7.1.1.4.1.5", "SHA512", "SHA-512"},
    {"0.4.0.127.0.7.1.1.4.1.6", "RIPEMD160", "RIPEMD-160"},
    {"1.2.840.10045.4.1", "SHA1", "SHA-1"},
    {"1.2.840.10045.4.3.1", "SHA224", "SHA-224"},
    {"1.2.840.10045.4.3.2", "SHA256", "SHA-256"},
    {"1.2.840.10045.4.3.3", "SHA384", "SHA-384"},
    {"1.2.840.10045.4.3.4", "SHA512", "SHA-512"},
};

static void describe_key(EVP_PKEY *key, dx_aa_result *out)
{
    char group[64] = "";
    if (EVP_PKEY_is_a(key, "RSA")) {
        snprintf(out->key, sizeof out->key, "RSA %d", EVP_PKEY_get_bits(key));
    } else if (EVP_PKEY_is_a(key, "EC")) {
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           NULL) != 1)
            snprintf(group, sizeof group, "explicit parameters, %d bits",
                     EVP_PKEY_get_bits(key));
        snprintf(out->key, sizeof out->key, "EC %.60s", group);
    } else {
        snprintf(out->key, sizeof out->key, "%s", EVP_PKEY_get0_type_name(key)
                                                      ? EVP_PKEY_get0_type_name(key) : "unknown");
    }
    ERR_clear_error();
}

/* Part 11 §6.1.2, ISO/IEC 9796-2 scheme 1: open the signature, check
 * header, padding, trailer and hash. */
static dx_status verify_rsa(EVP_PKEY *key, const uint8_t *ch, size_t clen, const uint8_t *sig,
                            size_t slen, dx_aa_result *out, dx_error *err)
{
    int bits = EVP_PKEY_get_bits(key);
    size_t k = (size_t)EVP_PKEY_get_size(key), flen = 0, tl = 0, hl, start, m1_len;
    uint8_t *f = NULL, h[EVP_MAX_MD_SIZE];
    unsigned hlen = 0;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_MD *md = NULL;
    EVP_MD_CTX *mctx = NULL;
    const char *mdname = NULL, *hname = NULL;
    bool partial;
    char why[200], trailer[8];
    dx_status st = DX_OK;

    snprintf(out->algorithm, sizeof out->algorithm, "RSA ISO/IEC 9796-2 scheme 1");
    if (bits <= 0 || bits % 8 || k < 32) {
        verdict(out, DX_AA_NOT_CHECKED, "an RSA modulus of %d bits: only whole bytes (and at "
                "least 256 bits) are supported", bits);
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "Active Authentication: %s", out->detail);
    }
    if (slen != k) {
        verdict(out, DX_AA_FAILED, "the signature has %zu bytes; the %d-bit modulus needs %zu",
                slen, bits, k);
        return DX_OK;
    }
    if (!(f = OPENSSL_zalloc(k)) || !(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL))) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "Active Authentication: out of memory");
        verdict(out, DX_AA_NOT_CHECKED, "out of memory");
        goto done;
    }
    flen = k;
    if (EVP_PKEY_verify_recover_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) != 1 ||
        EVP_PKEY_verify_recover(ctx, f, &flen, sig, slen) != 1 || flen > k) {
        verdict(out, DX_AA_FAILED, "the RSA public-key operation refused the signature: %s",
                dx_pa_ossl_why(why, sizeof why));
        goto done;
    }
    if (flen < k) {
        memmove(f + (k - flen), f, flen);
        memset(f, 0, k - flen);
    }

    /* trailer: BC (SHA-1) or hash identifier || CC */
    if (f[k - 1] == 0xBC) {
        tl = 1;
        mdname = "SHA1";
        hname = "SHA-1";
    } else if (f[k - 1] == 0xCC) {
        tl = 2;
        for (size_t i = 0; i < sizeof rsa_hashes / sizeof *rsa_hashes; i++)
            if (rsa_hashes[i].id == f[k - 2]) {
                mdname = rsa_hashes[i].md;
                hname = rsa_hashes[i].name;
            }
        if (!mdname) {
            verdict(out, DX_AA_FAILED, "trailer %02XCC names hash %02X, which is not SHA-1, "
                    "SHA-2 or RIPEMD-160", f[k - 2], f[k - 2]);
            goto done;
        }
    } else {
        verdict(out, DX_AA_FAILED, "the recovered block ends in %02X, not the trailer BC or "
                "xxCC: not an ISO/IEC 9796-2 block (another key signed, or the signature is "
                "corrupt)", f[k - 1]);
        goto done;
    }
    snprintf(out->hash, sizeof out->hash, "%s", hname);
    if (!(md = EVP_MD_fetch(NULL, mdname, NULL))) {
        verdict(out, DX_AA_NOT_CHECKED, "%s is not available: %s", hname,
                dx_pa_ossl_why(why, sizeof why));
        st = dx_error_set(err, DX_ERR_UNSUPPORTED, "Active Authentication: %s", out->detail);
        goto done;
    }
    hl = (size_t)EVP_MD_get_size(md);
    if (k < tl + hl + 2) {
        verdict(out, DX_AA_FAILED, "a %d-bit modulus has no room for a %s hash", bits, hname);
        goto done;
    }

    /* header: 01 + more-data bit + 0: 6 partial recovery, 4 total recovery */
    if ((f[0] >> 4) == 0x6) {
        partial = true;
    } else if ((f[0] >> 4) == 0x4) {
        partial = false;
    } else {
        verdict(out, DX_AA_FAILED, "header nibble %X is neither 6 (partial recovery) nor 4 "
                "(total recovery): not an ISO/IEC 9796-2 scheme 1 block", f[0] >> 4);
        goto done;
    }
    snprintf(out->recovery, sizeof out->recovery, "%s", partial ? "partial" : "total");
    /* padding: the nibbles B ... B A before the message */
    if ((f[0] & 0x0F) == 0x0A) {
        start = 1;
    } else if ((f[0] & 0x0F) == 0x0B) {
        size_t i = 1, end = k - tl - hl;
        while (i < end && f[i] == 0xBB)
            i++;
        if (i >= end || f[i] != 0xBA) {
            verdict(out, DX_AA_FAILED, "the padding (B nibbles ending in A) is malformed at "
                    "byte %zu", i);
            goto done;
        }
        start = i + 1;
    } else {
        verdict(out, DX_AA_FAILED, "after the header, nibble %X is neither A (message follows) "
                "nor B (padding)", f[0] & 0x0F);
        goto done;
    }
    if (start >= k - tl - hl) {
        verdict(out, DX_AA_FAILED, "no recoverable message M1 in the block");
        goto done;
    }
    m1_len = k - tl - hl - start;

    /* H = hash(M1 || challenge) (partial) or hash(M1) (total) */
    if (!(mctx = EVP_MD_CTX_new()) || EVP_DigestInit_ex2(mctx, md, NULL) != 1 ||
        EVP_DigestUpdate(mctx, f + start, m1_len) != 1 ||
        (partial && EVP_DigestUpdate(mctx, ch, clen) != 1) ||
        EVP_DigestFinal_ex(mctx, h, &hlen) != 1 || hlen != hl) {
        verdict(out, DX_AA_NOT_CHECKED, "%s failed: %s", hname, dx_pa_ossl_why(why, sizeof why));
        st = dx_error_set(err, DX_ERR_INTERNAL, "Active Authentication: %s", out->detail);
        goto done;
    }
    if (CRYPTO_memcmp(h, f + k - tl - hl, hl) != 0) {
        verdict(out, DX_AA_FAILED, "the %s in the signature differs from %s(M1%s) with the "
                "recovered M1 of %zu bytes: the chip did not sign this challenge with the DG15 "
                "key", hname, hname, partial ? " || challenge" : "", m1_len);
        goto done;
    }
    if (!partial && (m1_len < clen || CRYPTO_memcmp(f + start + m1_len - clen, ch, clen) != 0)) {
        verdict(out, DX_AA_FAILED, "total recovery: the recovered message of %zu bytes does not "
                "end with the challenge", m1_len);
        goto done;
    }
    if (tl == 1)
        snprintf(trailer, sizeof trailer, "BC");
    else
        snprintf(trailer, sizeof trailer, "%02XCC", f[k - 2]);
    verdict(out, DX_AA_PASSED, "%s recovery: M1 of %zu bytes recovered, %s(M1%s) matches, "
            "trailer %s", partial ? "partial" : "total", m1_len, hname,
            partial ? " || challenge" : ", which ends with the challenge", trailer);
done:
    EVP_MD_CTX_free(mctx);
    EVP_MD_free(md);
    EVP_PKEY_CTX_free(ctx);
    if (f)
        OPENSSL_clear_free(f, k);
    ERR_clear_error();
    return st;
}

/* Part 11 §6.1.2 with ECDSA: plain r || s (TR-03111 §5.2.1) -> DER. */
static dx_status verify_ecdsa(EVP_PKEY *key, const char *oid, const uint8_t *ch, size_t clen,
                              const uint8_t *sig, size_t slen, dx_aa_result *out, dx_error *err)
{
    const char *mdname = NULL, *hname = NULL;
    int bits = EVP_PKEY_get_bits(key);
    size_t olen = bits > 0 ? ((size_t)bits + 7) / 8 : 0;
    BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *es = NULL;
    unsigned char *der = NULL;
    int der_len;
    EVP_MD_CTX *mctx = NULL;
    char why[200];
    dx_status st = DX_OK;
    int rv;

    snprintf(out->algorithm, sizeof out->algorithm, "ECDSA (plain r||s)");
    if (!oid)
        oid = "0.4.0.127.0.7.1.1.4.1.3";
    snprintf(out->oid, sizeof out->oid, "%s", oid);
    for (size_t i = 0; i < sizeof ecdsa_algs / sizeof *ecdsa_algs; i++)
        if (!strcmp(ecdsa_algs[i].oid, oid)) {
            mdname = ecdsa_algs[i].md;
            hname = ecdsa_algs[i].name;
        }
    if (!mdname) {
        verdict(out, DX_AA_NOT_CHECKED, "signature algorithm %s is not an ECDSA algorithm of "
                "BSI TR-03111 or X9.62", oid);
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "Active Authentication: %s", out->detail);
    }
    snprintf(out->hash, sizeof out->hash, "%s", hname);
    if (!olen) {
        verdict(out, DX_AA_NOT_CHECKED, "the EC key's group order is unknown");
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "Active Authentication: %s", out->detail);
    }
    if (slen != 2 * olen) {
        verdict(out, DX_AA_FAILED, "the signature has %zu bytes; plain r||s on a group of %d "
                "bits has %zu", slen, bits, 2 * olen);
        return DX_OK;
    }
    if (!(r = BN_bin2bn(sig, (int)olen, NULL)) || !(s = BN_bin2bn(sig + olen, (int)olen, NULL)) ||
        !(es = ECDSA_SIG_new()) || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        verdict(out, DX_AA_NOT_CHECKED, "out of memory");
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "Active Authentication: out of memory");
        goto done;
    }
    /* es owns r and s now */
    if ((der_len = i2d_ECDSA_SIG(es, &der)) <= 0 || !(mctx = EVP_MD_CTX_new())) {
        verdict(out, DX_AA_NOT_CHECKED, "out of memory");
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "Active Authentication: out of memory");
        goto done;
    }
    if (EVP_DigestVerifyInit_ex(mctx, NULL, mdname, NULL, NULL, key, NULL) != 1) {
        verdict(out, DX_AA_NOT_CHECKED, "ECDSA with %s cannot be set up: %s", hname,
                dx_pa_ossl_why(why, sizeof why));
        st = dx_error_set(err, DX_ERR_UNSUPPORTED, "Active Authentication: %s", out->detail);
        goto done;
    }
    rv = EVP_DigestVerify(mctx, der, (size_t)der_len, ch, clen);
    if (rv == 1)
        verdict(out, DX_AA_PASSED, "ECDSA with %s over the challenge verifies with the DG15 key",
                hname);
    else
        verdict(out, DX_AA_FAILED, "ECDSA with %s over the challenge does not verify with the "
                "DG15 key%s%s", hname, rv < 0 ? ": " : "",
                rv < 0 ? dx_pa_ossl_why(why, sizeof why) : "");
done:
    EVP_MD_CTX_free(mctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    ERR_clear_error();
    return st;
}

/* 9303 Part 11 §6.1.2: verify the INTERNAL AUTHENTICATE response. */
dx_status dx_aa_verify(EVP_PKEY *dg15_key, const char *sig_alg_oid, const uint8_t *challenge,
                       size_t clen, const uint8_t *sig, size_t slen, dx_aa_result *out,
                       dx_error *err)
{
    dx_status st;
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "Active Authentication: no result");
    memset(out, 0, sizeof *out);
    if (!dg15_key || !challenge || !clen || (!sig && slen)) {
        verdict(out, DX_AA_NOT_CHECKED, "no %s", !dg15_key ? "DG15 key" : !challenge || !clen
                                                                         ? "challenge"
                                                                         : "signature");
        return dx_error_set(err, DX_ERR_INVALID_ARG, "Active Authentication: %s", out->detail);
    }
    describe_key(dg15_key, out);
    if (!sig)
        sig = (const uint8_t *)"";
    if (EVP_PKEY_is_a(dg15_key, "RSA")) {
        st = verify_rsa(dg15_key, challenge, clen, sig, slen, out, err);
        if (sig_alg_oid && st == DX_OK) {
            size_t u = strlen(out->detail);
            snprintf(out->detail + u, sizeof out->detail - u, " (the algorithm %s given for "
                     "ECDSA was ignored: the key is RSA)", sig_alg_oid);
        }
    } else if (EVP_PKEY_is_a(dg15_key, "EC")) {
        st = verify_ecdsa(dg15_key, sig_alg_oid, challenge, clen, sig, slen, out, err);
    } else {
        snprintf(out->algorithm, sizeof out->algorithm, "none");
        verdict(out, DX_AA_NOT_CHECKED, "the DG15 key is %s, neither RSA nor EC", out->key);
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "Active Authentication: %s", out->detail);
    }
    dx_log(DX_CAT_AA, DX_LOG_DEBUG, "Active Authentication (%s, %s): %s: %s", out->algorithm,
           out->key, dx_aa_outcome_name(out->result), out->detail);
    return st;
}

/* 9303 Part 11 §6.1.1: INTERNAL AUTHENTICATE with a fresh challenge. */
dx_status dx_aa_command(EVP_PKEY *dg15_key, uint8_t challenge[DX_AA_CHALLENGE_LEN], dx_apdu *cmd,
                        dx_error *err)
{
    size_t ne = 0;
    if (!challenge || !cmd)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "INTERNAL AUTHENTICATE: no buffer");
    if (RAND_bytes(challenge, DX_AA_CHALLENGE_LEN) != 1) {
        char why[200];
        return dx_error_set(err, DX_ERR_INTERNAL, "INTERNAL AUTHENTICATE: no random challenge: "
                            "%s", dx_pa_ossl_why(why, sizeof why));
    }
    if (dg15_key && EVP_PKEY_is_a(dg15_key, "RSA"))
        ne = (size_t)EVP_PKEY_get_size(dg15_key);
    else if (dg15_key && EVP_PKEY_is_a(dg15_key, "EC") && EVP_PKEY_get_bits(dg15_key) > 0)
        ne = 2 * (((size_t)EVP_PKEY_get_bits(dg15_key) + 7) / 8);
    if (ne <= 256)
        ne = 256;
    if (ne > 65536)
        ne = 65536;
    memset(cmd, 0, sizeof *cmd);
    cmd->cla = 0x00;
    cmd->ins = 0x88;
    cmd->data = challenge;
    cmd->nc = DX_AA_CHALLENGE_LEN;
    cmd->ne = ne;
    cmd->extended = ne > 256;
    return DX_OK;
}

static json_t *s_or_null(const char *s)
{
    return s && s[0] ? dx_pa_json_str(s) : json_null();
}

json_t *dx_aa_result_to_json(const dx_aa_result *r)
{
    if (!r)
        return NULL;
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "result",
                     dx_aa_outcome_name(r->result), "algorithm", s_or_null(r->algorithm),
                     "hash", s_or_null(r->hash), "recovery", s_or_null(r->recovery), "key",
                     s_or_null(r->key), "oid", s_or_null(r->oid), "detail",
                     s_or_null(r->detail));
}
