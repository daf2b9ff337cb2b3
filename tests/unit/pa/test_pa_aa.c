/* Active Authentication's verification (core/src/icao/aa.c, ICAO 9303
 * Part 11 §6.1): signatures made here with the pool's AA keys exactly as the
 * simulated chip makes them (plugins/sim/chip_card.c: ISO/IEC 9796-2 scheme
 * 1 partial recovery, trailer BC or xxCC; ECDSA plain r||s), hand-made
 * blocks for every trailer and for total recovery, and each way a signature
 * can be wrong; the INTERNAL AUTHENTICATE command; synthetic chips and
 * their clones.
 *   test-pa_aa TRUST_DIR */
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dxtest.h"
#include "icao/aa.h"
#include "icao/tlv.h"
#include "pa_util.h"

static const char *trust;
static char pool[1024];

#define CHECK_AA(r, want)                                                                 \
    CHECK_MSG((r).result == (want), "%s: %s (%s)", #want, dx_aa_outcome_name((r).result),  \
              (r).detail)

static EVP_PKEY *pool_key(const char *kind, int n)
{
    char name[64];
    snprintf(name, sizeof name, "%s-%d.key.pem", kind, n);
    return pa_key(pool, name);
}

/* The raw RSA private operation on a block of the modulus' length. */
static bool rsa_raw(EVP_PKEY *key, const uint8_t *f, size_t k, uint8_t *sig)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    size_t sl = k;
    bool ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
              EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
              EVP_PKEY_sign(ctx, sig, &sl, f, k) == 1 && sl == k;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/* As the sim chip does (aa_rsa): F = 6A || M1 || H(M1 || M2) || BC or
 * id CC, M1 random of k - hl - tl - 1 bytes. id 0: trailer BC. */
static size_t sign_partial(EVP_PKEY *key, const char *md, uint8_t id, const uint8_t *ch,
                           size_t clen, uint8_t *sig)
{
    size_t k = (size_t)EVP_PKEY_get_size(key), tl = id ? 2 : 1;
    EVP_MD *m = EVP_MD_fetch(NULL, md, NULL);
    size_t hl = (size_t)EVP_MD_get_size(m), m1 = k - hl - tl - 1;
    uint8_t f[1024], msg[1024];
    unsigned n = 0;
    RAND_bytes(msg, (int)m1);
    memcpy(msg + m1, ch, clen);
    f[0] = 0x6A;
    memcpy(f + 1, msg, m1);
    EVP_Digest(msg, m1 + clen, f + 1 + m1, &n, m, NULL);
    if (id) {
        f[k - 2] = id;
        f[k - 1] = 0xCC;
    } else {
        f[k - 1] = 0xBC;
    }
    EVP_MD_free(m);
    return rsa_raw(key, f, k, sig) ? k : 0;
}

/* Total recovery: F = 4B BB .. BA || M || H(M) || trailer with the whole
 * message M (here nonce || challenge) recovered.  `hash_with_challenge`
 * hashes M || challenge instead (wrong for total recovery). */
static size_t sign_total(EVP_PKEY *key, const char *md, uint8_t id, const uint8_t *m,
                         size_t mlen, const uint8_t *extra, size_t elen, uint8_t *sig)
{
    size_t k = (size_t)EVP_PKEY_get_size(key), tl = id ? 2 : 1;
    EVP_MD *hm = EVP_MD_fetch(NULL, md, NULL);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t hl = (size_t)EVP_MD_get_size(hm), pad = k - tl - hl - mlen;
    uint8_t f[1024];
    unsigned n = 0;
    if (pad < 1)
        return 0;
    memset(f, 0xBB, pad);
    f[0] = pad == 1 ? 0x4A : 0x4B;
    if (pad > 1)
        f[pad - 1] = 0xBA;
    memcpy(f + pad, m, mlen);
    EVP_DigestInit_ex2(c, hm, NULL);
    EVP_DigestUpdate(c, m, mlen);
    if (extra)
        EVP_DigestUpdate(c, extra, elen);
    EVP_DigestFinal_ex(c, f + pad + mlen, &n);
    if (id) {
        f[k - 2] = id;
        f[k - 1] = 0xCC;
    } else {
        f[k - 1] = 0xBC;
    }
    EVP_MD_CTX_free(c);
    EVP_MD_free(hm);
    return rsa_raw(key, f, k, sig) ? k : 0;
}

/* A block of our own making (header, trailer as given), signed raw. */
static size_t sign_block(EVP_PKEY *key, uint8_t b0, uint8_t t1, uint8_t t0, uint8_t *sig)
{
    size_t k = (size_t)EVP_PKEY_get_size(key);
    uint8_t f[1024];
    RAND_bytes(f, (int)k);
    f[0] = b0;
    f[k - 2] = t1;
    f[k - 1] = t0;
    return rsa_raw(key, f, k, sig) ? k : 0;
}

/* As the sim chip does (aa_ecdsa): ECDSA over M2, r and s padded to the
 * group order's length. */
static size_t sign_ecdsa(EVP_PKEY *key, const char *md, const uint8_t *ch, size_t clen,
                         uint8_t *sig, bool der_out)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    uint8_t der[160];
    size_t dl = sizeof der, olen = ((size_t)EVP_PKEY_get_bits(key) + 7) / 8;
    const uint8_t *p = der;
    ECDSA_SIG *s = NULL;
    const BIGNUM *r, *ss;
    size_t out = 0;
    if (EVP_DigestSignInit_ex(c, NULL, md, NULL, NULL, key, NULL) == 1 &&
        EVP_DigestSign(c, der, &dl, ch, clen) == 1 && (s = d2i_ECDSA_SIG(NULL, &p, (long)dl))) {
        if (der_out) {
            memcpy(sig, der, dl);
            out = dl;
        } else {
            ECDSA_SIG_get0(s, &r, &ss);
            BN_bn2binpad(r, sig, (int)olen);
            BN_bn2binpad(ss, sig + olen, (int)olen);
            out = 2 * olen;
        }
    }
    ECDSA_SIG_free(s);
    EVP_MD_CTX_free(c);
    return out;
}

static void test_rsa(void)
{
    static const struct {
        const char *md;
        uint8_t id;
        const char *name;
    } hs[] = {{"SHA1", 0, "SHA-1"},       {"SHA1", 0x33, "SHA-1"},     {"SHA256", 0x34, "SHA-256"},
              {"SHA384", 0x36, "SHA-384"}, {"SHA512", 0x35, "SHA-512"}, {"SHA224", 0x38, "SHA-224"}};
    uint8_t ch[8], sig[1024], bad[1024];
    dx_aa_result r;
    dx_error err = {0};
    size_t sl;

    for (int n = 0; n < 4; n++) {
        EVP_PKEY *key = pool_key("aa-rsa", n), *other = pool_key("aa-rsa", (n + 1) % 4);
        REQUIRE(key && other);
        for (size_t i = 0; i < sizeof hs / sizeof *hs; i++) {
            RAND_bytes(ch, sizeof ch);
            REQUIRE((sl = sign_partial(key, hs[i].md, hs[i].id, ch, 8, sig)));
            CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_PASSED);
            CHECK_STR(r.hash, hs[i].name);
            CHECK_STR(r.recovery, "partial");
            CHECK_STR(r.key, "RSA 1024");
            if (hs[i].id == 0x34)
                CHECK_MSG(strstr(r.detail, "trailer 34CC") != NULL, "%s", r.detail);
            if (!hs[i].id)
                CHECK(strstr(r.detail, "trailer BC") != NULL);
            /* wrong key */
            CHECK(dx_aa_verify(other, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_FAILED);
            /* a bit flipped anywhere */
            memcpy(bad, sig, sl);
            bad[(size_t)n * 29 % sl] ^= 0x10;
            CHECK(dx_aa_verify(key, NULL, ch, 8, bad, sl, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_FAILED);
            /* another challenge */
            uint8_t ch2[8];
            memcpy(ch2, ch, 8);
            ch2[7] ^= 1;
            CHECK(dx_aa_verify(key, NULL, ch2, 8, sig, sl, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_FAILED);
            CHECK_MSG(strstr(r.detail, "did not sign this challenge") != NULL, "%s", r.detail);
            /* truncated; one byte more */
            CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl - 1, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_FAILED);
            CHECK_MSG(strstr(r.detail, "127 bytes") != NULL, "%s", r.detail);
            memcpy(bad, sig, sl);
            bad[sl] = 0;
            CHECK(dx_aa_verify(key, NULL, ch, 8, bad, sl + 1, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_FAILED);
            CHECK(dx_aa_verify(key, NULL, ch, 8, sig, 0, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_FAILED);
        }
        /* an ECDSA OID given with an RSA key: ignored, said so */
        RAND_bytes(ch, sizeof ch);
        REQUIRE((sl = sign_partial(key, "SHA1", 0, ch, 8, sig)));
        CHECK(dx_aa_verify(key, "0.4.0.127.0.7.1.1.4.1.3", ch, 8, sig, sl, &r, &err) == DX_OK);
        CHECK_AA(r, DX_AA_PASSED);
        CHECK(strstr(r.detail, "ignored") != NULL);
        EVP_PKEY_free(key);
        EVP_PKEY_free(other);
    }
}

/* ISO/IEC 9796-2 blocks made by hand: total recovery, padding, headers and
 * trailers that are wrong. */
static void test_rsa_blocks(void)
{
    EVP_PKEY *key = pool_key("aa-rsa", 0);
    uint8_t ch[8], m[64], sig[1024];
    dx_aa_result r;
    dx_error err = {0};
    size_t sl;
    REQUIRE(key);
    RAND_bytes(ch, sizeof ch);
    RAND_bytes(m, sizeof m);

    /* total recovery: M = nonce || challenge, H(M), trailer 34CC */
    memcpy(m + 8, ch, 8);
    REQUIRE((sl = sign_total(key, "SHA256", 0x34, m, 16, NULL, 0, sig)));
    CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
    CHECK_AA(r, DX_AA_PASSED);
    CHECK_STR(r.recovery, "total");
    CHECK_STR(r.hash, "SHA-256");
    /* total recovery, SHA-1 (BC), message filling the block but one byte (4A) */
    {
        size_t k = (size_t)EVP_PKEY_get_size(key), ml = k - 1 - 20 - 1;
        uint8_t big[512];
        RAND_bytes(big, (int)ml);
        memcpy(big + ml - 8, ch, 8);
        REQUIRE((sl = sign_total(key, "SHA1", 0, big, ml, NULL, 0, sig)));
        CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
        CHECK_AA(r, DX_AA_PASSED);
    }
    /* total recovery whose message does not end with the challenge */
    RAND_bytes(m, sizeof m);
    REQUIRE((sl = sign_total(key, "SHA256", 0x34, m, 16, NULL, 0, sig)));
    CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
    CHECK_AA(r, DX_AA_FAILED);
    CHECK_MSG(strstr(r.detail, "does not end with the challenge") != NULL, "%s", r.detail);
    /* total recovery header, but H(M1 || challenge) as partial recovery has */
    REQUIRE((sl = sign_total(key, "SHA256", 0x34, m, 16, ch, 8, sig)));
    CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
    CHECK_AA(r, DX_AA_FAILED);
    /* header nibble 5; trailer 32CC (RIPEMD-128); trailer 0x77; padding broken */
    REQUIRE((sl = sign_block(key, 0x5A, 0x34, 0xCC, sig)));
    CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
    CHECK_AA(r, DX_AA_FAILED);
    CHECK_MSG(strstr(r.detail, "header nibble 5") != NULL, "%s", r.detail);
    REQUIRE((sl = sign_block(key, 0x6A, 0x32, 0xCC, sig)));
    CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
    CHECK_AA(r, DX_AA_FAILED);
    CHECK_MSG(strstr(r.detail, "32CC") != NULL, "%s", r.detail);
    REQUIRE((sl = sign_block(key, 0x6A, 0x34, 0x77, sig)));
    CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
    CHECK_AA(r, DX_AA_FAILED);
    CHECK_MSG(strstr(r.detail, "ends in 77") != NULL, "%s", r.detail);
    REQUIRE((sl = sign_block(key, 0x4B, 0x34, 0xCC, sig)));
    CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
    CHECK_AA(r, DX_AA_FAILED);
    REQUIRE((sl = sign_block(key, 0x63, 0x34, 0xCC, sig)));
    CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
    CHECK_AA(r, DX_AA_FAILED);
    /* a signature not below the modulus */
    memset(sig, 0xFF, 128);
    CHECK(dx_aa_verify(key, NULL, ch, 8, sig, 128, &r, &err) == DX_OK);
    CHECK_AA(r, DX_AA_FAILED);
    CHECK_MSG(strstr(r.detail, "refused") != NULL, "%s", r.detail);
    EVP_PKEY_free(key);
}

static void test_ecdsa(void)
{
    static const struct {
        const char *oid, *md, *name;
    } algs[] = {{NULL, "SHA256", "SHA-256"},
                {"0.4.0.127.0.7.1.1.4.1.1", "SHA1", "SHA-1"},
                {"0.4.0.127.0.7.1.1.4.1.2", "SHA224", "SHA-224"},
                {"0.4.0.127.0.7.1.1.4.1.3", "SHA256", "SHA-256"},
                {"0.4.0.127.0.7.1.1.4.1.4", "SHA384", "SHA-384"},
                {"0.4.0.127.0.7.1.1.4.1.5", "SHA512", "SHA-512"},
                {"1.2.840.10045.4.3.2", "SHA256", "SHA-256"},
                {"1.2.840.10045.4.1", "SHA1", "SHA-1"}};
    uint8_t ch[8], sig[256], bad[256];
    dx_aa_result r;
    dx_error err = {0};
    size_t sl;

    for (int n = 0; n < 4; n++) {
        EVP_PKEY *key = pool_key("aa-ecdsa", n), *other = pool_key("aa-ecdsa", (n + 1) % 4);
        REQUIRE(key && other);
        for (size_t i = 0; i < sizeof algs / sizeof *algs; i++) {
            RAND_bytes(ch, sizeof ch);
            REQUIRE((sl = sign_ecdsa(key, algs[i].md, ch, 8, sig, false)) == 64);
            CHECK(dx_aa_verify(key, algs[i].oid, ch, 8, sig, sl, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_PASSED);
            CHECK_STR(r.hash, algs[i].name);
            CHECK_STR(r.key, "EC brainpoolP256r1");
            CHECK(dx_aa_verify(other, algs[i].oid, ch, 8, sig, sl, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_FAILED);
            memcpy(bad, sig, sl);
            bad[(i * 7) % sl] ^= 0x80;
            CHECK(dx_aa_verify(key, algs[i].oid, ch, 8, bad, sl, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_FAILED);
            ch[0] ^= 1;
            CHECK(dx_aa_verify(key, algs[i].oid, ch, 8, sig, sl, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_FAILED);
            ch[0] ^= 1;
            CHECK(dx_aa_verify(key, algs[i].oid, ch, 8, sig, sl - 1, &r, &err) == DX_OK);
            CHECK_AA(r, DX_AA_FAILED);
            CHECK_MSG(strstr(r.detail, "63 bytes") != NULL, "%s", r.detail);
        }
        /* signed with SHA-384, verified as DG14 says: SHA-256 */
        RAND_bytes(ch, sizeof ch);
        REQUIRE((sl = sign_ecdsa(key, "SHA384", ch, 8, sig, false)));
        CHECK(dx_aa_verify(key, "0.4.0.127.0.7.1.1.4.1.3", ch, 8, sig, sl, &r, &err) == DX_OK);
        CHECK_AA(r, DX_AA_FAILED);
        /* DER instead of plain: refused */
        REQUIRE((sl = sign_ecdsa(key, "SHA256", ch, 8, sig, true)));
        CHECK(dx_aa_verify(key, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
        CHECK_AA(r, DX_AA_FAILED);
        /* r = 0 */
        memset(sig, 0, 32);
        CHECK(dx_aa_verify(key, NULL, ch, 8, sig, 64, &r, &err) == DX_OK);
        CHECK_AA(r, DX_AA_FAILED);
        /* an OID that names no ECDSA algorithm */
        CHECK(dx_aa_verify(key, "1.2.3.4", ch, 8, sig, 64, &r, &err) == DX_ERR_UNSUPPORTED);
        CHECK_AA(r, DX_AA_NOT_CHECKED);
        CHECK(dx_aa_verify(key, "0.4.0.127.0.7.1.1.4.1.9", ch, 8, sig, 64, &r, &err) ==
              DX_ERR_UNSUPPORTED);
        EVP_PKEY_free(key);
        EVP_PKEY_free(other);
    }
    /* a DG15 key with explicit curve parameters (as many States write them) */
    {
        EVP_PKEY *key = pool_key("aa-ecdsa", 0), *pub = NULL;
        unsigned char *der = NULL;
        const unsigned char *p;
        int dl;
        REQUIRE(key);
        REQUIRE(EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING,
                                               OSSL_PKEY_EC_ENCODING_EXPLICIT) == 1);
        REQUIRE((dl = i2d_PUBKEY(key, &der)) > 0);
        p = der;
        REQUIRE((pub = d2i_PUBKEY(NULL, &p, dl)));
        RAND_bytes(ch, sizeof ch);
        REQUIRE((sl = sign_ecdsa(key, "SHA256", ch, 8, sig, false)) == 64);
        CHECK(dx_aa_verify(pub, NULL, ch, 8, sig, sl, &r, &err) == DX_OK);
        CHECK_AA(r, DX_AA_PASSED);
        if (getenv("PA_VERBOSE"))
            fprintf(stderr, "  explicit parameters: %s\n", r.key);
        OPENSSL_free(der);
        EVP_PKEY_free(pub);
        EVP_PKEY_free(key);
    }
    /* P-384: olen 48 */
    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    REQUIRE(p384);
    RAND_bytes(ch, sizeof ch);
    REQUIRE((sl = sign_ecdsa(p384, "SHA384", ch, 8, sig, false)) == 96);
    CHECK(dx_aa_verify(p384, "0.4.0.127.0.7.1.1.4.1.4", ch, 8, sig, sl, &r, &err) == DX_OK);
    CHECK_AA(r, DX_AA_PASSED);
    CHECK_STR(r.key, "EC secp384r1");
    EVP_PKEY_free(p384);
}

static void test_misc(void)
{
    uint8_t ch[8], ch2[8], sig[8] = {0};
    dx_aa_result r;
    dx_error err = {0};
    dx_apdu cmd;
    EVP_PKEY *rsa = pool_key("aa-rsa", 0), *ec = pool_key("aa-ecdsa", 0);
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    EVP_PKEY *big = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2560);
    json_t *j;
    REQUIRE(rsa && ec && ed && big);

    CHECK(dx_aa_verify(ed, NULL, ch, 8, sig, 8, &r, &err) == DX_ERR_UNSUPPORTED);
    CHECK_AA(r, DX_AA_NOT_CHECKED);
    CHECK(strstr(r.detail, "neither RSA nor EC") != NULL);
    CHECK(dx_aa_verify(NULL, NULL, ch, 8, sig, 8, &r, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_aa_verify(rsa, NULL, NULL, 0, sig, 8, &r, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_aa_verify(rsa, NULL, ch, 8, NULL, 8, &r, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_aa_verify(rsa, NULL, ch, 8, sig, 8, NULL, &err) == DX_ERR_INVALID_ARG);

    /* INTERNAL AUTHENTICATE: 00 88 00 00 08 challenge Le */
    CHECK(dx_aa_command(rsa, ch, &cmd, &err) == DX_OK);
    CHECK(cmd.cla == 0 && cmd.ins == 0x88 && cmd.p1 == 0 && cmd.p2 == 0 && cmd.nc == 8 &&
          cmd.data == ch && cmd.ne == 256 && !cmd.extended);
    memcpy(ch2, ch, 8);
    CHECK(dx_aa_command(ec, ch, &cmd, &err) == DX_OK && cmd.ne == 256);
    CHECK(memcmp(ch, ch2, 8) != 0);
    CHECK(dx_aa_command(big, ch, &cmd, &err) == DX_OK && cmd.ne == 320 && cmd.extended);
    CHECK(dx_aa_command(NULL, ch, &cmd, &err) == DX_OK && cmd.ne == 256);
    {
        uint8_t enc[64];
        size_t n = 0;
        CHECK(dx_aa_command(rsa, ch, &cmd, &err) == DX_OK &&
              dx_apdu_encode(&cmd, enc, sizeof enc, &n, &err) == DX_OK && n == 14 &&
              !memcmp(enc, "\x00\x88\x00\x00\x08", 5) && !memcmp(enc + 5, ch, 8) && enc[13] == 0);
    }
    CHECK(dx_aa_command(rsa, NULL, &cmd, &err) == DX_ERR_INVALID_ARG);

    /* JSON */
    {
        uint8_t s[128];
        size_t sl;
        RAND_bytes(ch, 8);
        REQUIRE((sl = sign_partial(rsa, "SHA1", 0, ch, 8, s)));
        CHECK(dx_aa_verify(rsa, NULL, ch, 8, s, sl, &r, &err) == DX_OK);
        j = dx_aa_result_to_json(&r);
        REQUIRE(j);
        CHECK_STR(json_string_value(json_object_get(j, "result")), "passed");
        CHECK_STR(json_string_value(json_object_get(j, "algorithm")), "RSA ISO/IEC 9796-2 scheme 1");
        CHECK_STR(json_string_value(json_object_get(j, "hash")), "SHA-1");
        CHECK(json_is_null(json_object_get(j, "oid")));
        json_decref(j);
    }
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(big);
}

/* DG15 (6F { SubjectPublicKeyInfo }) of a chip directory. */
static EVP_PKEY *dg15_key(const char *dir)
{
    size_t n = 0;
    uint8_t *d = pa_slurp(dir, "EF.DG15", &n);
    dx_tlv t;
    dx_error err = {0};
    EVP_PKEY *k = NULL;
    if (d && dx_tlv_parse_single(d, n, 0x6F, &t, "EF.DG15", &err) == DX_OK) {
        const unsigned char *p = t.value;
        k = d2i_PUBKEY(NULL, &p, (long)t.len);
    }
    free(d);
    return k;
}

/* Synthetic chips: the chip's key (aa_private.pem) answers, DG15 verifies;
 * a clone's key does not match its DG15. */
static void test_chips(void)
{
    static const struct {
        dx_synth_aa aa;
        bool clone;
        const char *name;
    } cs[] = {{DX_SYNTH_AA_RSA, false, "aa-rsa"}, {DX_SYNTH_AA_RSA, true, "aa-rsa-clone"},
              {DX_SYNTH_AA_ECDSA, false, "aa-ec"}, {DX_SYNTH_AA_ECDSA, true, "aa-ec-clone"}};
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
        dx_synth_holder h;
        dx_synth_chip_options o;
        pa_chip c;
        uint8_t ch[8], sig[256];
        size_t sl;
        dx_aa_result r;
        dx_error err = {0};
        pa_chip_options(&o, &h, trust);
        o.aa = cs[i].aa;
        o.clone = cs[i].clone;
        o.seed = i;
        REQUIRE(pa_chip_build(&o, cs[i].name, &c));
        EVP_PKEY *pub = dg15_key(pa_tmp(cs[i].name)), *priv = pa_key(pa_tmp(cs[i].name),
                                                                        "aa_private.pem");
        REQUIRE(pub && priv);
        RAND_bytes(ch, 8);
        if (cs[i].aa == DX_SYNTH_AA_RSA)
            sl = sign_partial(priv, "SHA1", 0, ch, 8, sig);
        else
            sl = sign_ecdsa(priv, "SHA256", ch, 8, sig, false);
        REQUIRE(sl);
        /* DG14's ActiveAuthenticationInfo names ecdsa-plain-SHA256 for ECDSA */
        CHECK(dx_aa_verify(pub, cs[i].aa == DX_SYNTH_AA_ECDSA ? "0.4.0.127.0.7.1.1.4.1.3" : NULL,
                           ch, 8, sig, sl, &r, &err) == DX_OK);
        CHECK_MSG(r.result == (cs[i].clone ? DX_AA_FAILED : DX_AA_PASSED), "%s: %s (%s)",
                  cs[i].name, dx_aa_outcome_name(r.result), r.detail);
        EVP_PKEY_free(pub);
        EVP_PKEY_free(priv);
        pa_chip_free(&c);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TRUST_DIR\n", argv[0]);
        return 2;
    }
    trust = argv[1];
    snprintf(pool, sizeof pool, "%s/pool", trust);
    test_rsa();
    test_rsa_blocks();
    test_ecdsa();
    test_misc();
    test_chips();
    pa_tmp_cleanup();
    return dxtest_done();
}
