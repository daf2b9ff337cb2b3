/* LDS parsers, part 3: DG14 (SecurityInfos) and DG15 (the Active
 * Authentication key) — synthetic chips with RSA and ECDSA AA keys and ECDH
 * Chip Authentication, the keys compared with the pool keys of
 * share/trust/test; an EC key with explicit curve parameters; every kind of
 * SecurityInfo; EF.CardAccess (9303 Part 11 Appendix G.1 known answer);
 * OBJECT IDENTIFIER text.
 *   test-lds_security TRUST_DIR KNOWN_ANSWERS.json */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dxtest.h"
#include "icao/lds.h"
#include "lds_test.h"

static const char *trust;

static const dx_lds_security_info *find_kind(const dx_lds_security_infos *s, dx_lds_si_kind k)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->infos[i].kind == k)
            return &s->infos[i];
    return NULL;
}

static bool key_equals_file(const EVP_PKEY *k, const char *dir, const char *name)
{
    char path[1200];
    EVP_PKEY *f;
    int eq;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = lt_load_key(path);
    if (!f)
        return false;
    eq = EVP_PKEY_eq(k, f);
    EVP_PKEY_free(f);
    ERR_clear_error();
    return eq == 1;
}

/* The fixture chip: RSA AA, ECDH Chip Authentication, PACE. */
static void test_rsa_chip(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char dir[512];
    uint8_t *buf;
    size_t n;
    dx_error err = {0};
    dx_lds_security_infos s;
    dx_lds_pubkey k;
    const dx_lds_security_info *si;

    fix_holder(&h);
    fix_options(&o, &h, trust);
    REQUIRE(lt_mkchip(&o, dir, sizeof dir));

    buf = lt_slurp(dir, "EF.DG14", &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg14(buf, n, &s, &err) == DX_OK);
    CHECK(s.n == 3);
    CHECK_MSG(s.notes.n == 0, "%s", s.notes.text[0]);
    si = find_kind(&s, DX_LDS_SI_PACE);
    REQUIRE(si);
    CHECK_STR(si->oid, DX_SYNTH_OID_PACE_ECDH_GM_AES_128);
    CHECK(si->has_version && si->version == 2 && si->parameter_id == DX_SYNTH_PACE_BRAINPOOL_P256);
    CHECK(si->ka == DX_CHIP_KA_ECDH && si->cipher == DX_CHIP_AES128);
    CHECK(si->raw == buf + si->offset && si->raw[0] == 0x30);
    /* the PACEInfos as the PACE code reads them */
    CHECK(s.pace.n_pace == 1 && s.pace.pace[0].supported && s.pace.pace[0].parameter_id == 13 &&
          s.pace.pace[0].mapping == DX_PACE_GM && s.pace.n_other == 2);
    si = find_kind(&s, DX_LDS_SI_CA);
    REQUIRE(si);
    CHECK_STR(si->oid, DX_SYNTH_OID_CA_ECDH_AES_128);
    CHECK(si->has_version && si->version == 1 && !si->has_key_id);
    CHECK(si->ka == DX_CHIP_KA_ECDH && si->cipher == DX_CHIP_AES128);
    si = find_kind(&s, DX_LDS_SI_CA_PUBLIC_KEY);
    REQUIRE(si);
    CHECK_STR(si->oid, DX_SYNTH_OID_PK_ECDH);
    CHECK(si->ka == DX_CHIP_KA_ECDH && !si->has_key_id && !si->has_version);
    REQUIRE(si->public_key.key);
    CHECK_STR(si->public_key.algorithm, "EC");
    CHECK_STR(si->public_key.curve, "brainpoolP256r1");
    CHECK(si->public_key.bits == 256 && !si->public_key.explicit_params);
    CHECK(si->public_key.spki > si->raw && si->public_key.spki + si->public_key.spki_len <=
                                               si->raw + si->raw_len);
    CHECK(key_equals_file(si->public_key.key, dir, "ca_private.pem"));
    CHECK(lt_pool_index(trust, DX_SYNTH_POOL_CA_ECDH, si->public_key.key) >= 0);
    CHECK(find_kind(&s, DX_LDS_SI_AA) == NULL);
    dx_lds_security_infos_free(&s);
    dx_lds_security_infos_free(&s);
    free(buf);

    buf = lt_slurp(dir, "EF.DG15", &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg15(buf, n, &k, &err) == DX_OK);
    CHECK_STR(k.algorithm, "RSA");
    CHECK(k.bits == 1024 && k.curve[0] == '\0' && !k.explicit_params);
    CHECK(k.spki == buf + 3 && k.spki_len == n - 3);
    CHECK(key_equals_file(k.key, dir, "aa_private.pem"));
    CHECK(lt_pool_index(trust, DX_SYNTH_POOL_AA_RSA, k.key) >= 0);
    dx_lds_pubkey_free(&k);
    free(buf);

    /* EF.CardAccess through the same SecurityInfos parser */
    buf = lt_slurp(dir, "EF.CardAccess", &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_security_infos(buf, n, "EF.CardAccess", &s, &err) == DX_OK);
    CHECK(s.n == 1 && s.infos[0].kind == DX_LDS_SI_PACE && s.pace.n_pace == 1);
    dx_lds_security_infos_free(&s);
    free(buf);
    lt_rmdir(dir);
}

/* ECDSA AA: DG14 also holds an ActiveAuthenticationInfo, DG15 an EC key. */
static void test_ecdsa_chip(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char dir[512];
    uint8_t *buf;
    size_t n;
    dx_error err = {0};
    dx_lds_security_infos s;
    dx_lds_pubkey k;
    const dx_lds_security_info *si;

    fix_holder(&h);
    fix_options(&o, &h, trust);
    o.aa = DX_SYNTH_AA_ECDSA;
    o.chip_auth = false;
    o.pace = false;
    o.seed = 3;
    REQUIRE(lt_mkchip(&o, dir, sizeof dir));
    buf = lt_slurp(dir, "EF.DG14", &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg14(buf, n, &s, &err) == DX_OK);
    CHECK(s.n == 1 && s.pace.n_pace == 0);
    si = find_kind(&s, DX_LDS_SI_AA);
    REQUIRE(si);
    CHECK_STR(si->oid, DX_SYNTH_OID_AA_PROTOCOL);
    CHECK(si->has_version && si->version == 1);
    CHECK_STR(si->algorithm, DX_SYNTH_OID_ECDSA_PLAIN_SHA256);
    dx_lds_security_infos_free(&s);
    free(buf);

    buf = lt_slurp(dir, "EF.DG15", &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg15(buf, n, &k, &err) == DX_OK);
    CHECK_STR(k.algorithm, "EC");
    CHECK_STR(k.curve, "brainpoolP256r1");
    CHECK(k.bits == 256 && !k.explicit_params);
    CHECK(key_equals_file(k.key, dir, "aa_private.pem"));
    CHECK(lt_pool_index(trust, DX_SYNTH_POOL_AA_ECDSA, k.key) >= 0);
    dx_lds_pubkey_free(&k);
    free(buf);
    lt_rmdir(dir);
}

/* An EC key whose SubjectPublicKeyInfo spells the curve out (ECParameters,
 * RFC 3279 §2.3.5), as many chips write it: d2i_PUBKEY loads it, OpenSSL
 * recognises brainpoolP256r1, and the key equals the pool key. */
static void test_explicit_curve(void)
{
    char path[1200];
    EVP_PKEY *pool;
    unsigned char *spki = NULL;
    int len;
    dx_synth_der d;
    dx_lds_pubkey k;
    dx_lds_security_infos s;
    dx_error err = {0};
    uint8_t *buf;
    size_t n;

    snprintf(path, sizeof path, "%s/pool/%s-1.key.pem", trust, DX_SYNTH_POOL_AA_ECDSA);
    pool = lt_load_key(path);
    REQUIRE(pool);
    REQUIRE(EVP_PKEY_set_utf8_string_param(pool, OSSL_PKEY_PARAM_EC_ENCODING,
                                           OSSL_PKEY_EC_ENCODING_EXPLICIT) == 1);
    len = i2d_PUBKEY(pool, &spki);
    REQUIRE(len > 200);  /* prime, a, b, generator, order spelled out */
    dx_synth_der_init(&d);
    dx_synth_der_tlv(&d, 0x6F, spki, (size_t)len);
    buf = lt_take(&d, &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg15(buf, n, &k, &err) == DX_OK);
    CHECK_STR(k.algorithm, "EC");
    CHECK(k.explicit_params);
    CHECK_STR(k.curve, "brainpoolP256r1");
    CHECK(k.bits == 256);
    CHECK(EVP_PKEY_eq(k.key, pool) == 1);
    dx_lds_pubkey_free(&k);
    free(buf);

    /* the same as a Chip Authentication key in DG14, with a keyId */
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x6E);
    dx_synth_der_begin(&d, 0x31);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, DX_SYNTH_OID_PK_ECDH);
    dx_synth_der_raw(&d, spki, (size_t)len);
    dx_synth_der_uint(&d, 7);
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    buf = lt_take(&d, &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg14(buf, n, &s, &err) == DX_OK);
    CHECK(s.n == 1 && s.infos[0].kind == DX_LDS_SI_CA_PUBLIC_KEY);
    CHECK(s.infos[0].has_key_id && s.infos[0].key_id == 7);
    CHECK(s.infos[0].public_key.explicit_params);
    CHECK(EVP_PKEY_eq(s.infos[0].public_key.key, pool) == 1);
    dx_lds_security_infos_free(&s);
    free(buf);
    OPENSSL_free(spki);
    EVP_PKEY_free(pool);
}

/* Every kind of SecurityInfo, unknown ones kept. */
static void test_every_kind(void)
{
    static const uint8_t cvca[] = {0x01, 0x1C}, sfid[] = {0x1C};
    dx_synth_der d;
    dx_lds_security_infos s;
    dx_error err = {0};
    uint8_t *buf;
    size_t n;
    const dx_lds_security_info *si;

    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x6E);
    dx_synth_der_begin(&d, 0x31);
    /* TerminalAuthenticationInfo with efCVCA */
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.2");
    dx_synth_der_uint(&d, 1);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_tlv(&d, 0x04, cvca, 2);
    dx_synth_der_tlv(&d, 0x04, sfid, 1);
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    /* PACEDomainParameterInfo: id-PACE-ECDH-GM, ecPublicKey parameters, id 2 */
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.4.2");
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "1.2.840.10045.2.1");
    dx_synth_der_oid(&d, "1.3.36.3.3.2.8.1.1.7");
    dx_synth_der_end(&d);
    dx_synth_der_uint(&d, 2);
    dx_synth_der_end(&d);
    /* ChipAuthenticationInfo DH 3DES with keyId 1 */
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.3.1.1");
    dx_synth_der_uint(&d, 1);
    dx_synth_der_uint(&d, 1);
    dx_synth_der_end(&d);
    /* ChipAuthenticationDomainParameterInfo: id-CA-ECDH, keyId 1 */
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.3.2");
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.1.2");
    dx_synth_der_end(&d);
    dx_synth_der_uint(&d, 1);
    dx_synth_der_end(&d);
    /* PACEInfo with IM (parsed, not supported by PACE), AES-256, P-384 */
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.4.4.4");
    dx_synth_der_uint(&d, 2);
    dx_synth_der_uint(&d, 15);
    dx_synth_der_end(&d);
    /* unknown: CardInfoLocator-like, and a private OID with a big arc */
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.6");
    dx_synth_der_tlv_str(&d, 0x16, "http://example.invalid");
    dx_synth_der_end(&d);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "1.3.6.1.4.1.99999.1");
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    buf = lt_take(&d, &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg14(buf, n, &s, &err) == DX_OK);
    CHECK(s.n == 7);
    CHECK_MSG(s.notes.n == 0, "%s", s.notes.text[0]);

    si = find_kind(&s, DX_LDS_SI_TA);
    REQUIRE(si);
    CHECK_STR(si->oid, "0.4.0.127.0.7.2.2.2");
    CHECK(si->version == 1 && si->has_ef_cvca && si->ef_cvca == 0x011C);
    si = find_kind(&s, DX_LDS_SI_PACE_DOMAIN);
    REQUIRE(si);
    CHECK_STR(si->algorithm, "1.2.840.10045.2.1");
    CHECK(si->parameter_id == 2 && si->ka == DX_CHIP_KA_ECDH);
    si = find_kind(&s, DX_LDS_SI_CA);
    REQUIRE(si);
    CHECK(si->ka == DX_CHIP_KA_DH && si->cipher == DX_CHIP_3DES && si->has_key_id &&
          si->key_id == 1);
    si = find_kind(&s, DX_LDS_SI_CA_DOMAIN);
    REQUIRE(si);
    CHECK_STR(si->algorithm, "0.4.0.127.0.7.1.2");
    CHECK(si->ka == DX_CHIP_KA_ECDH && si->has_key_id && si->key_id == 1);
    si = find_kind(&s, DX_LDS_SI_PACE);
    REQUIRE(si);
    CHECK(si->ka == DX_CHIP_KA_ECDH && si->cipher == DX_CHIP_AES256 && si->parameter_id == 15);
    CHECK(s.pace.n_pace == 1 && !s.pace.pace[0].supported &&
          s.pace.pace[0].mapping == DX_PACE_IM);
    {
        size_t unknown = 0;
        for (size_t i = 0; i < s.n; i++)
            if (s.infos[i].kind == DX_LDS_SI_UNKNOWN) {
                unknown++;
                CHECK(strcmp(s.infos[i].oid, "0.4.0.127.0.7.2.2.6") == 0 ||
                      strcmp(s.infos[i].oid, "1.3.6.1.4.1.99999.1") == 0);
                CHECK(s.infos[i].raw_len > 0 && s.infos[i].raw == buf + s.infos[i].offset);
            }
        CHECK(unknown == 2);
    }
    CHECK_STR(dx_lds_si_kind_name(DX_LDS_SI_CA_PUBLIC_KEY), "ChipAuthenticationPublicKeyInfo");
    CHECK_STR(dx_lds_si_kind_name(DX_LDS_SI_UNKNOWN), "unknown SecurityInfo");
    dx_lds_security_infos_free(&s);
    free(buf);
}

/* 9303 Part 11 Appendix G.1: the PACEInfo, alone in EF.CardAccess's SET. */
static void test_card_access_kat(const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je), *pi;
    uint8_t v[128], set[130];
    size_t n;
    dx_lds_security_infos s;
    dx_error err = {0};

    REQUIRE(root);
    pi = json_object_get(root, "pace_info");
    REQUIRE(pi);
    n = lt_unhex(json_string_value(json_object_get(pi, "bytes")), v, sizeof v);
    REQUIRE(n > 0 && n < 128);
    set[0] = 0x31;
    set[1] = (uint8_t)n;
    memcpy(set + 2, v, n);
    {
        uint8_t *exact = lt_dup(set, n + 2);
        REQUIRE(dx_lds_parse_security_infos(exact, n + 2, "EF.CardAccess", &s, &err) == DX_OK);
        free(exact);
    }
    REQUIRE(s.n == 1);
    CHECK(s.infos[0].kind == DX_LDS_SI_PACE);
    CHECK_STR(s.infos[0].oid, json_string_value(json_object_get(pi, "oid")));
    CHECK(s.infos[0].parameter_id ==
          (int32_t)json_integer_value(json_object_get(pi, "parameter_id")));
    CHECK(s.infos[0].version == 2);
    CHECK(s.pace.n_pace == 1 && s.pace.pace[0].supported);
    dx_lds_security_infos_free(&s);
    json_decref(root);
}

static void test_oid_text(void)
{
    char buf[64];
    static const uint8_t aa[] = {0x67, 0x81, 0x08, 0x01, 0x01, 0x05},
                         big[] = {0x88, 0x37, 0x03},             /* 2.999.3 */
                         zero[] = {0x00},                        /* 0.0 */
                         cut[] = {0x2B, 0x06, 0x81},             /* continuation at the end */
                         lead[] = {0x2B, 0x80, 0x01},            /* not minimal */
                         huge[] = {0x2B, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80,
                                   0x80, 0x80, 0x80, 0x00};      /* an arc above 2^64 */
    CHECK(dx_lds_oid_text(aa, sizeof aa, buf, sizeof buf));
    CHECK_STR(buf, "2.23.136.1.1.5");
    CHECK(dx_lds_oid_text(big, sizeof big, buf, sizeof buf));
    CHECK_STR(buf, "2.999.3");
    CHECK(dx_lds_oid_text(zero, sizeof zero, buf, sizeof buf));
    CHECK_STR(buf, "0.0");
    CHECK(!dx_lds_oid_text(cut, sizeof cut, buf, sizeof buf) && buf[0] == '\0');
    CHECK(!dx_lds_oid_text(lead, sizeof lead, buf, sizeof buf));
    CHECK(!dx_lds_oid_text(huge, sizeof huge, buf, sizeof buf));
    CHECK(!dx_lds_oid_text(aa, 0, buf, sizeof buf));
    CHECK(!dx_lds_oid_text(aa, sizeof aa, buf, 8));  /* does not fit */
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TRUST_DIR KNOWN_ANSWERS.json\n", argv[0]);
        return 2;
    }
    trust = argv[1];
    test_rsa_chip();
    test_ecdsa_chip();
    test_explicit_curve();
    test_every_kind();
    test_card_access_kat(argv[2]);
    test_oid_text();
    return dxtest_done();
}
