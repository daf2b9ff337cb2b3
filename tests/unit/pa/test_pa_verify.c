/* Passive authentication (core/src/icao/pa.c, ICAO 9303 Part 11 §5.1) on
 * synthetic Utopia chips (dx_synth_chip_write) and on SODs built here:
 * genuine, each tampered DG, untrusted DS, a DG read but not in the SOD, a
 * revoked DS (with and without the CRL), an expired DS, trust from the
 * master list alone, every allowed hash, V1 objects, broken signatures and
 * contents, malformed SODs and LDSSecurityObjects, the JSON report.
 *   test-pa_verify TRUST_DIR */
#include <jansson.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dxtest.h"
#include "icao/pa.h"
#include "icao/trust.h"
#include "pa_util.h"
#include "synth/der.h"

static const char *trust;
static dx_trust_store *ts_crl1;   /* CSCA + the empty CRL (number 1) */
static dx_trust_store *ts_plain;  /* CSCA only */
static dx_trust_store *ts_crl2;   /* CSCA + CRL number 2 (revokes DS 2) */
static dx_trust_store *ts_both;   /* CSCA + both CRLs */
static int64_t at_2026;

#define R(s) dx_pa_result_name((s).result)
#define CHECK_STEP(s, want)                                                                \
    CHECK_MSG((s).result == (want), "%s: %s (%s)", #s, R(s), (s).detail)

static dx_trust_store *store_of(const char *const *files)
{
    dx_trust_store *ts = NULL;
    dx_error err = {0};
    char path[1024];
    REQUIRE(dx_trust_store_new(&ts, &err) == DX_OK);
    for (; *files; files++) {
        snprintf(path, sizeof path, "%s/%s", trust, *files);
        CHECK_MSG(dx_trust_store_add_file(ts, path, &err) == DX_OK, "%s: %s", *files,
                  err.message);
    }
    return ts;
}

static dx_status pa(const pa_chip *c, const dx_trust_store *ts, int64_t at, dx_pa_report *r)
{
    dx_error err = {0};
    dx_status st = dx_pa_verify(c->sod, c->sod_len, c->dgs, c->n_dgs, ts, at, r, &err);
    if (st != DX_OK && getenv("PA_VERBOSE"))
        fprintf(stderr, "  dx_pa_verify: %s\n", err.message);
    return st;
}

static const dx_pa_dg_result *dg_of(const dx_pa_report *r, int n)
{
    for (size_t i = 0; i < r->n_dgs; i++)
        if (r->dgs[i].number == n)
            return &r->dgs[i];
    return NULL;
}

static void check_all_passed(const dx_pa_report *r, const char *what)
{
    CHECK_MSG(r->overall == DX_PA_PASSED, "%s: overall %s: %s", what,
              dx_pa_result_name(r->overall), r->overall_detail);
    CHECK_STEP(r->parse, DX_PA_PASSED);
    CHECK_STEP(r->signature, DX_PA_PASSED);
    CHECK_STEP(r->message_digest, DX_PA_PASSED);
    CHECK_STEP(r->chain, DX_PA_PASSED);
    CHECK_STEP(r->validity, DX_PA_PASSED);
    CHECK_STEP(r->key_usage, DX_PA_PASSED);
    CHECK_STEP(r->dg_hashes, DX_PA_PASSED);
}

/* ---- genuine ------------------------------------------------------------ */

static void test_genuine(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    pa_chip c;
    dx_pa_report r;
    json_t *j;

    pa_chip_options(&o, &h, trust);
    REQUIRE(pa_chip_build(&o, "genuine", &c));
    CHECK(pa(&c, ts_crl1, at_2026, &r) == DX_OK);
    check_all_passed(&r, "genuine");
    CHECK_STEP(r.crl, DX_PA_PASSED);
    CHECK(r.n_dgs == 6);
    for (size_t i = 0; i < r.n_dgs; i++) {
        CHECK_MSG(r.dgs[i].result == DX_PA_PASSED, "DG%d: %s", r.dgs[i].number,
                  r.dgs[i].detail);
        CHECK(strlen(r.dgs[i].expected) == 64 && !strcmp(r.dgs[i].expected, r.dgs[i].computed));
    }
    CHECK(dg_of(&r, 1) && dg_of(&r, 2) && dg_of(&r, 11) && dg_of(&r, 12) && dg_of(&r, 14) &&
          dg_of(&r, 15) && !dg_of(&r, 3));
    CHECK_STR(r.signing_time, "2024-04-16T12:00:00Z");
    CHECK_STR(r.hash_algorithm, "SHA-256");
    CHECK_STR(r.digest_algorithm, "SHA-256");
    CHECK_STR(r.at_iso, "2026-01-01T00:00:00Z");
    CHECK(r.lso_version == 0 && !r.lds_version[0]);
    CHECK(r.ds.present && strstr(r.ds.subject, "CN=Utopia Test Document Signer 1"));
    CHECK(strstr(r.ds.subject, "C=UT") != NULL);
    CHECK_STR(r.ds.serial, "1001");
    CHECK_STR(r.ds.not_before, "2024-01-01T00:00:00Z");
    CHECK_STR(r.ds.not_after, "2035-12-31T23:59:59Z");
    CHECK(r.csca.present && strstr(r.csca.subject, "CN=Utopia Test CSCA"));
    CHECK_STR(r.csca.serial, "1000");
    CHECK(strstr(r.csca.source, "utopia-csca.cert.pem") != NULL);
    CHECK_MSG(strstr(r.validity.detail, "signingTime 2024-04-16T12:00:00Z within") != NULL, "%s",
              r.validity.detail);
    CHECK_MSG(strstr(r.crl.detail, "CRL number 1") != NULL, "%s", r.crl.detail);
    CHECK(strstr(r.key_usage.detail, "critical") != NULL);

    /* the JSON report */
    j = dx_pa_report_to_json(&r);
    REQUIRE(j);
    CHECK_STR(json_string_value(json_object_get(j, "result")), "passed");
    CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(j, "steps"),
                                                                "chain"), "result")), "passed");
    CHECK(json_array_size(json_object_get(j, "data_groups")) == 6);
    CHECK_STR(json_string_value(json_object_get(json_object_get(j, "sod"), "signing_time")),
              "2024-04-16T12:00:00Z");
    CHECK_STR(json_string_value(json_object_get(json_object_get(j, "csca"), "serial")), "1000");
    char *text = json_dumps(j, JSON_COMPACT);
    CHECK(text && strlen(text) > 500);
    free(text);
    json_decref(j);

    /* at 0: now (the DS is valid until 2035) */
    CHECK(pa(&c, ts_crl1, 0, &r) == DX_OK);
    CHECK(r.at > pa_year(2025) && r.overall == DX_PA_PASSED);

    /* without a CRL: passed, revocation not checked */
    CHECK(pa(&c, ts_plain, at_2026, &r) == DX_OK);
    CHECK_STEP(r.crl, DX_PA_NOT_CHECKED);
    CHECK(r.overall == DX_PA_PASSED && strstr(r.overall_detail, "revocation not checked"));

    /* without a trust store: the chain is not checked, nor is the verdict */
    CHECK(pa(&c, NULL, at_2026, &r) == DX_OK);
    CHECK_STEP(r.chain, DX_PA_NOT_CHECKED);
    CHECK_STEP(r.crl, DX_PA_NOT_CHECKED);
    CHECK_STEP(r.signature, DX_PA_PASSED);
    CHECK(r.overall == DX_PA_NOT_CHECKED);

    /* the CRL of the revoked DS does not touch this DS */
    CHECK(pa(&c, ts_crl2, at_2026, &r) == DX_OK);
    CHECK_STEP(r.crl, DX_PA_PASSED);
    CHECK(r.overall == DX_PA_PASSED);

    /* a DG read but not in the SOD; a DG of the SOD not read */
    {
        static const uint8_t dg3[] = {0x63, 0x02, 0x01, 0x00};
        dx_pa_dg dgs[DX_PA_MAX_DG];
        size_t n = 0;
        for (size_t i = 0; i < c.n_dgs; i++)
            if (c.dgs[i].number != 2)
                dgs[n++] = c.dgs[i];
        dx_error err = {0};
        CHECK(dx_pa_verify(c.sod, c.sod_len, dgs, n, ts_crl1, at_2026, &r, &err) == DX_OK);
        CHECK(dg_of(&r, 2) && dg_of(&r, 2)->result == DX_PA_NOT_READ && dg_of(&r, 2)->in_sod &&
              !dg_of(&r, 2)->read && !dg_of(&r, 2)->computed[0]);
        CHECK_STEP(r.dg_hashes, DX_PA_PASSED);
        CHECK(r.overall == DX_PA_PASSED);
        dgs[n++] = (dx_pa_dg){3, dg3, sizeof dg3};
        CHECK(dx_pa_verify(c.sod, c.sod_len, dgs, n, ts_crl1, at_2026, &r, &err) == DX_OK);
        CHECK(dg_of(&r, 3) && dg_of(&r, 3)->result == DX_PA_FAILED && !dg_of(&r, 3)->in_sod &&
              strlen(dg_of(&r, 3)->computed) == 64 && !dg_of(&r, 3)->expected[0]);
        CHECK_MSG(strstr(dg_of(&r, 3)->detail, "no hash for DG3") != NULL, "%s",
                  dg_of(&r, 3)->detail);
        CHECK_STEP(r.dg_hashes, DX_PA_FAILED);
        CHECK_STEP(r.signature, DX_PA_PASSED);
        CHECK_STEP(r.chain, DX_PA_PASSED);
        CHECK(r.overall == DX_PA_FAILED && strstr(r.overall_detail, "dg_hashes"));
        /* nothing read at all */
        CHECK(dx_pa_verify(c.sod, c.sod_len, NULL, 0, ts_crl1, at_2026, &r, &err) == DX_OK);
        CHECK_STEP(r.dg_hashes, DX_PA_NOT_CHECKED);
        CHECK(r.overall == DX_PA_NOT_CHECKED && r.n_dgs == 6);
        /* bad arguments */
        dgs[n - 1].number = 1;
        CHECK(dx_pa_verify(c.sod, c.sod_len, dgs, n, ts_crl1, at_2026, &r, &err) ==
              DX_ERR_INVALID_ARG);
        dgs[n - 1].number = 17;
        CHECK(dx_pa_verify(c.sod, c.sod_len, dgs, n, ts_crl1, at_2026, &r, &err) ==
              DX_ERR_INVALID_ARG);
        CHECK(dx_pa_verify(c.sod, c.sod_len, dgs, n, ts_crl1, at_2026, NULL, &err) ==
              DX_ERR_INVALID_ARG);
        CHECK(dx_pa_verify(NULL, 0, NULL, 0, ts_crl1, at_2026, &r, &err) == DX_ERR_INVALID_ARG);
    }
    pa_chip_free(&c);
}

/* ---- defects of the synthetic chip ------------------------------------- */

static void test_tampered(void)
{
    static const int dgs[] = {1, 2, 11, 12, 14, 15};
    for (size_t k = 0; k < sizeof dgs / sizeof *dgs; k++) {
        dx_synth_holder h;
        dx_synth_chip_options o;
        pa_chip c;
        dx_pa_report r;
        char name[32];
        pa_chip_options(&o, &h, trust);
        o.tampered_dg = dgs[k];
        snprintf(name, sizeof name, "tampered-%d", dgs[k]);
        REQUIRE(pa_chip_build(&o, name, &c));
        CHECK(pa(&c, ts_crl1, at_2026, &r) == DX_OK);
        CHECK_STEP(r.parse, DX_PA_PASSED);
        CHECK_STEP(r.signature, DX_PA_PASSED);
        CHECK_STEP(r.message_digest, DX_PA_PASSED);
        CHECK_STEP(r.chain, DX_PA_PASSED);
        CHECK_STEP(r.validity, DX_PA_PASSED);
        CHECK_STEP(r.key_usage, DX_PA_PASSED);
        CHECK_STEP(r.crl, DX_PA_PASSED);
        CHECK_STEP(r.dg_hashes, DX_PA_FAILED);
        CHECK(r.overall == DX_PA_FAILED);
        for (size_t i = 0; i < r.n_dgs; i++) {
            const dx_pa_dg_result *d = &r.dgs[i];
            if (d->number == dgs[k]) {
                CHECK_MSG(d->result == DX_PA_FAILED, "tampered DG%d: %s", d->number,
                          dx_pa_result_name(d->result));
                CHECK(strlen(d->expected) == 64 && strlen(d->computed) == 64 &&
                      strcmp(d->expected, d->computed) != 0);
                CHECK(strstr(d->detail, "differs") != NULL);
            } else {
                CHECK_MSG(d->result == DX_PA_PASSED, "tampered DG%d: DG%d %s", dgs[k],
                          d->number, dx_pa_result_name(d->result));
            }
        }
        char want[16];
        snprintf(want, sizeof want, "(DG%d)", dgs[k]);
        CHECK_MSG(strstr(r.dg_hashes.detail, want) != NULL, "%s", r.dg_hashes.detail);
        pa_chip_free(&c);
    }
}

static void test_untrusted(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    pa_chip c;
    dx_pa_report r;
    pa_chip_options(&o, &h, trust);
    o.untrusted_ds = true;
    REQUIRE(pa_chip_build(&o, "untrusted", &c));
    CHECK(pa(&c, ts_crl1, at_2026, &r) == DX_OK);
    CHECK_STEP(r.parse, DX_PA_PASSED);
    CHECK_STEP(r.signature, DX_PA_PASSED);
    CHECK_STEP(r.message_digest, DX_PA_PASSED);
    CHECK_STEP(r.chain, DX_PA_FAILED);
    CHECK_MSG(strstr(r.chain.detail, "does not chain") != NULL, "%s", r.chain.detail);
    CHECK_STEP(r.crl, DX_PA_NOT_CHECKED);
    CHECK_STEP(r.validity, DX_PA_NOT_CHECKED); /* the DS is in date, the CSCA unknown */
    CHECK_STEP(r.key_usage, DX_PA_PASSED);
    CHECK_STEP(r.dg_hashes, DX_PA_PASSED);
    CHECK(r.overall == DX_PA_FAILED && strstr(r.overall_detail, "chain"));
    CHECK(r.ds.present && strstr(r.ds.subject, "Document Signer 1") && !r.csca.present);
    pa_chip_free(&c);
}

/* The revoked DS signs the genuine chip's hashes (the builder signs with the
 * Utopia DS only; dx_synth_chip_build_sod takes any DS). */
static void test_revoked(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    pa_chip c;
    dx_pa_report r;
    dx_synth_dg_hash hashes[DX_PA_MAX_DG];
    dx_synth_der sod;
    dx_error err = {0};
    EVP_PKEY *key = pa_key(trust, "utopia-ds-revoked.key.pem");
    X509 *cert = pa_cert(trust, "utopia-ds-revoked.cert.pem");

    REQUIRE(key && cert);
    pa_chip_options(&o, &h, trust);
    REQUIRE(pa_chip_build(&o, "revoked", &c));
    for (size_t i = 0; i < c.n_dgs; i++) {
        unsigned n = 0;
        hashes[i].dg = c.dgs[i].number;
        EVP_Digest(c.dgs[i].data, c.dgs[i].len, hashes[i].sha256, &n, EVP_sha256(), NULL);
    }
    dx_synth_der_init(&sod);
    REQUIRE(dx_synth_chip_build_sod(hashes, c.n_dgs, key, cert, "20240416", &sod, &err) == DX_OK);
    free(c.sod);
    c.sod = dx_synth_der_take(&sod, &c.sod_len);
    REQUIRE(c.sod);
    REQUIRE(pa_write(pa_tmp("revoked/EF.SOD"), c.sod, c.sod_len));

    /* with the CRL that revokes it: failed */
    CHECK(pa(&c, ts_crl2, at_2026, &r) == DX_OK);
    CHECK_STEP(r.signature, DX_PA_PASSED);
    CHECK_STEP(r.chain, DX_PA_PASSED);
    CHECK_STEP(r.validity, DX_PA_PASSED);
    CHECK_STEP(r.dg_hashes, DX_PA_PASSED);
    CHECK_STEP(r.crl, DX_PA_FAILED);
    CHECK_MSG(strstr(r.crl.detail, "revoked since 2025-01-15T00:00:00Z (keyCompromise)") &&
              strstr(r.crl.detail, "CRL number 2"), "%s", r.crl.detail);
    CHECK(r.overall == DX_PA_FAILED && strstr(r.overall_detail, "crl"));
    CHECK_STR(r.ds.serial, "1002");
    /* both CRLs in the store: the newer (number 2) is used */
    CHECK(pa(&c, ts_both, at_2026, &r) == DX_OK);
    CHECK_STEP(r.crl, DX_PA_FAILED);
    /* without a CRL: not checked, and the verdict passes with that said */
    CHECK(pa(&c, ts_plain, at_2026, &r) == DX_OK);
    CHECK_STEP(r.crl, DX_PA_NOT_CHECKED);
    CHECK(strstr(r.crl.detail, "no CRL") != NULL);
    CHECK(r.overall == DX_PA_PASSED);
    /* with the older CRL, which does not list it yet */
    CHECK(pa(&c, ts_crl1, at_2026, &r) == DX_OK);
    CHECK_STEP(r.crl, DX_PA_PASSED);
    /* a CRL past its nextUpdate is no proof of non-revocation: not checked */
    CHECK(pa(&c, ts_crl1, pa_year(2046), &r) == DX_OK);
    CHECK_STEP(r.crl, DX_PA_NOT_CHECKED);
    CHECK(strstr(r.crl.detail, "nextUpdate") != NULL);
    EVP_PKEY_free(key);
    X509_free(cert);
    pa_chip_free(&c);
}

static void test_expired(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    pa_chip c;
    dx_pa_report r;
    pa_chip_options(&o, &h, trust);
    REQUIRE(pa_chip_build(&o, "expired", &c));
    CHECK(pa(&c, ts_crl1, pa_year(2036) + 86400 * 150, &r) == DX_OK);
    CHECK_STEP(r.validity, DX_PA_FAILED);
    CHECK_MSG(strstr(r.validity.detail, "DS expired (on 2035-12-31T23:59:59Z)") &&
              strstr(r.validity.detail, "CSCA valid"), "%s", r.validity.detail);
    CHECK_STEP(r.signature, DX_PA_PASSED);
    CHECK_STEP(r.chain, DX_PA_PASSED);
    CHECK_STEP(r.dg_hashes, DX_PA_PASSED);
    CHECK(r.overall == DX_PA_FAILED && strstr(r.overall_detail, "validity"));
    /* not yet valid */
    CHECK(pa(&c, ts_crl1, pa_year(2023), &r) == DX_OK);
    CHECK_STEP(r.validity, DX_PA_FAILED);
    CHECK(strstr(r.validity.detail, "DS not yet valid") != NULL);
    /* after the CSCA too */
    CHECK(pa(&c, ts_crl1, pa_year(2047), &r) == DX_OK);
    CHECK(strstr(r.validity.detail, "CSCA expired") != NULL);
    pa_chip_free(&c);
}

/* ---- trust from the master list alone ------------------------------------ */

static void flip_and_load(const uint8_t *ml, size_t len, size_t at, const char *what,
                          const pa_chip *c)
{
    uint8_t *copy = malloc(len);
    dx_trust_store *ts = NULL;
    dx_error err = {0};
    REQUIRE(copy);
    memcpy(copy, ml, len);
    copy[at] ^= 0x01;
    REQUIRE(pa_write(pa_tmp("trust-ml-bad/utopia.ml"), copy, len));
    CHECK_MSG(dx_trust_store_load(pa_tmp("trust-ml-bad"), &ts, &err) == DX_ERR_DATA && !ts,
              "a master list with a byte of its %s changed was used", what);
    CHECK_MSG(strstr(err.message, "utopia.ml") != NULL, "%s", err.message);
    /* the same byte changed, offered as a file: refused too */
    REQUIRE(dx_trust_store_new(&ts, &err) == DX_OK);
    CHECK(dx_trust_store_add_mem(ts, "bad.ml", copy, len, &err) == DX_ERR_DATA);
    CHECK(dx_trust_store_csca_count(ts) == 0);
    if (dx_trust_store_ml_count(ts) == 1)
        CHECK(!dx_trust_store_ml_at(ts, 0)->verified);
    dx_pa_report r;
    CHECK(pa(c, ts, at_2026, &r) == DX_OK);
    CHECK_STEP(r.chain, DX_PA_FAILED);
    dx_trust_store_free(ts);
    free(copy);
}

static const uint8_t *find(const uint8_t *h, size_t hn, const void *n, size_t nn)
{
    for (size_t i = 0; nn && i + nn <= hn; i++)
        if (!memcmp(h + i, n, nn))
            return h + i;
    return NULL;
}

static void test_master_list(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    pa_chip c;
    dx_pa_report r;
    dx_trust_store *ts = NULL;
    dx_error err = {0};
    char src[1024];
    size_t len = 0;
    uint8_t *ml;

    pa_chip_options(&o, &h, trust);
    REQUIRE(pa_chip_build(&o, "ml", &c));
    REQUIRE(mkdir(pa_tmp("trust-ml"), 0700) == 0 && mkdir(pa_tmp("trust-ml-bad"), 0700) == 0);
    snprintf(src, sizeof src, "%s/utopia.ml", trust);
    REQUIRE(pa_copy(src, pa_tmp("trust-ml/utopia.ml")));
    CHECK_MSG(dx_trust_store_load(pa_tmp("trust-ml"), &ts, &err) == DX_OK, "%s", err.message);
    REQUIRE(ts);
    CHECK(dx_trust_store_csca_count(ts) == 1 && dx_trust_store_ml_count(ts) == 1);
    const dx_trust_ml *m = dx_trust_store_ml_at(ts, 0);
    REQUIRE(m);
    CHECK(m->verified && m->n_certs == 1 && m->n_cscas == 1);
    CHECK(strstr(m->signer, "CN=Utopia Test Master List Signer") != NULL);
    CHECK_MSG(strstr(m->detail, "a CSCA the list itself carries") != NULL, "%s", m->detail);
    CHECK(pa(&c, ts, at_2026, &r) == DX_OK);
    check_all_passed(&r, "trust from utopia.ml");
    CHECK_STR(r.csca.source, "utopia.ml");
    CHECK_STEP(r.crl, DX_PA_NOT_CHECKED);
    dx_trust_store_free(ts);

    /* one byte changed: in the list's content, in the signature, in the
     * signed attributes: never used */
    ml = pa_slurp(src, NULL, &len);
    REQUIRE(ml);
    {
        CMS_ContentInfo *cms = NULL;
        const uint8_t *content = NULL;
        size_t clen = 0;
        REQUIRE(dx_pa_signed_data_parse(ml, len, DX_TRUST_OID_MASTER_LIST, "ml", &cms, &content,
                                        &clen, &err) == DX_OK);
        const uint8_t *at = find(ml, len, content, clen);
        REQUIRE(at);
        flip_and_load(ml, len, (size_t)(at - ml) + clen / 2, "certList", &c);
        flip_and_load(ml, len, (size_t)(at - ml) + 1, "CscaMasterList header", &c);
        CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
        ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
        const uint8_t *sp = find(ml, len, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig));
        REQUIRE(sp);
        flip_and_load(ml, len, (size_t)(sp - ml) + 7, "signature", &c);
        const uint8_t *tp = find(ml, len, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04", 9);
        REQUIRE(tp); /* the messageDigest attribute's OID, then its value */
        flip_and_load(ml, len, (size_t)(tp - ml) + 20, "messageDigest attribute", &c);
        flip_and_load(ml, len, len / 2, "middle", &c);
        CMS_ContentInfo_free(cms);
    }
    free(ml);
    pa_chip_free(&c);
}

/* ---- SODs made here -------------------------------------------------------- */

static void test_hashes_and_versions(void)
{
    static const struct {
        const char *md, *oid, *name;
    } hs[] = {{"SHA1", "1.3.14.3.2.26", "SHA-1"},
              {"SHA224", "2.16.840.1.101.3.4.2.4", "SHA-224"},
              {"SHA256", "2.16.840.1.101.3.4.2.1", "SHA-256"},
              {"SHA384", "2.16.840.1.101.3.4.2.2", "SHA-384"},
              {"SHA512", "2.16.840.1.101.3.4.2.3", "SHA-512"}};
    dx_synth_holder h;
    dx_synth_chip_options o;
    pa_chip c;
    dx_pa_report r;
    EVP_PKEY *key = pa_key(trust, "utopia-ds.key.pem");
    X509 *cert = pa_cert(trust, "utopia-ds.cert.pem");
    REQUIRE(key && cert);
    pa_chip_options(&o, &h, trust);
    REQUIRE(pa_chip_build(&o, "hashes", &c));
    for (size_t i = 0; i < sizeof hs / sizeof *hs; i++)
        for (int v = 0; v <= 1; v++) {
            size_t ll = 0, sl = 0;
            uint8_t *lso = pa_lso(&c, hs[i].md, hs[i].oid, v, &ll), *sod;
            const EVP_MD *md = i == 0 ? EVP_sha1() : i == 3 ? EVP_sha384()
                             : i == 4 ? EVP_sha512() : EVP_sha256();
            REQUIRE(lso);
            sod = pa_sod_sign(lso, ll, key, cert, md, 0, NULL, 0, &sl);
            REQUIRE(sod);
            dx_error err = {0};
            CHECK_MSG(dx_pa_verify(sod, sl, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err) == DX_OK,
                      "%s", err.message);
            check_all_passed(&r, hs[i].name);
            CHECK_STR(r.hash_algorithm, hs[i].name);
            CHECK(r.lso_version == (uint32_t)v);
            if (v == 1) {
                CHECK_STR(r.lds_version, "0108");
                CHECK_STR(r.unicode_version, "040000");
            }
            CHECK((int)strlen(r.dgs[0].computed) == 2 * EVP_MD_get_size(EVP_get_digestbyname(hs[i].md)));
            free(sod);
            free(lso);
        }
    EVP_PKEY_free(key);
    X509_free(cert);
    pa_chip_free(&c);
}

static void test_broken_sods(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    pa_chip c;
    dx_pa_report r;
    dx_error err = {0};
    EVP_PKEY *key = pa_key(trust, "utopia-ds.key.pem"), *ckey = pa_key(trust, "utopia-csca.key.pem");
    X509 *cert = pa_cert(trust, "utopia-ds.cert.pem"), *ccert = pa_cert(trust, "utopia-csca.cert.pem");
    size_t ll = 0, ol = 0, sl = 0;
    uint8_t *lso, *other, *sod;

    REQUIRE(key && cert && ckey && ccert);
    pa_chip_options(&o, &h, trust);
    REQUIRE(pa_chip_build(&o, "broken", &c));
    lso = pa_lso(&c, "SHA256", "2.16.840.1.101.3.4.2.1", 0, &ll);
    other = pa_lso(&c, "SHA256", "2.16.840.1.101.3.4.2.1", 1, &ol);
    REQUIRE(lso && other);

    /* a bit of the signature flipped */
    REQUIRE((sod = pa_sod_sign(lso, ll, key, cert, EVP_sha256(), PA_SOD_BAD_SIG, NULL, 0, &sl)));
    CHECK(dx_pa_verify(sod, sl, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err) == DX_OK);
    CHECK_STEP(r.signature, DX_PA_FAILED);
    CHECK_STEP(r.message_digest, DX_PA_PASSED);
    CHECK_STEP(r.chain, DX_PA_PASSED);
    CHECK(r.overall == DX_PA_FAILED);
    free(sod);

    /* the content replaced after signing: the messageDigest no longer fits */
    REQUIRE((sod = pa_sod_sign(lso, ll, key, cert, EVP_sha256(), PA_SOD_SWAP_CONTENT, other, ol,
                               &sl)));
    CHECK(dx_pa_verify(sod, sl, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err) == DX_OK);
    CHECK_STEP(r.signature, DX_PA_PASSED);
    CHECK_STEP(r.message_digest, DX_PA_FAILED);
    CHECK_MSG(strstr(r.message_digest.detail, "differs") != NULL, "%s", r.message_digest.detail);
    CHECK(r.overall == DX_PA_FAILED);
    free(sod);

    /* no certificate in the SignedData */
    REQUIRE((sod = pa_sod_sign(lso, ll, key, cert, EVP_sha256(), PA_SOD_NO_CERTS, NULL, 0, &sl)));
    CHECK(dx_pa_verify(sod, sl, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err) == DX_OK);
    CHECK_STEP(r.signature, DX_PA_FAILED);
    CHECK_STEP(r.message_digest, DX_PA_PASSED);
    CHECK_STEP(r.chain, DX_PA_FAILED);
    CHECK(!r.ds.present && r.overall == DX_PA_FAILED);
    free(sod);

    /* no signed attributes */
    REQUIRE((sod = pa_sod_sign(lso, ll, key, cert, EVP_sha256(), PA_SOD_NO_ATTRS, NULL, 0, &sl)));
    CHECK(dx_pa_verify(sod, sl, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err) == DX_OK);
    CHECK_STEP(r.message_digest, DX_PA_FAILED);
    CHECK(r.signature.result != DX_PA_PASSED && r.overall == DX_PA_FAILED);
    CHECK(!r.signing_time[0]);
    free(sod);

    /* eContentType id-data */
    REQUIRE((sod = pa_sod_sign(lso, ll, key, cert, EVP_sha256(), PA_SOD_ECONTENT_DATA, NULL, 0,
                               &sl)));
    CHECK(dx_pa_verify(sod, sl, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err) == DX_ERR_DATA);
    CHECK_STEP(r.parse, DX_PA_FAILED);
    CHECK_MSG(strstr(err.message, "eContentType 1.2.840.113549.1.7.1") != NULL, "%s", err.message);
    CHECK_STEP(r.signature, DX_PA_NOT_CHECKED);
    CHECK(r.overall == DX_PA_FAILED);
    free(sod);

    /* signed by the CSCA itself: not a DS */
    REQUIRE((sod = pa_sod_sign(lso, ll, ckey, ccert, EVP_sha256(), 0, NULL, 0, &sl)));
    CHECK(dx_pa_verify(sod, sl, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err) == DX_OK);
    CHECK_STEP(r.signature, DX_PA_PASSED);
    CHECK_STEP(r.chain, DX_PA_FAILED);
    CHECK_STEP(r.key_usage, DX_PA_FAILED);
    CHECK(r.overall == DX_PA_FAILED);
    free(sod);

    /* signed by the Master List Signer: it chains and has digitalSignature,
     * but its extended key usage says it signs master lists, not SODs */
    {
        EVP_PKEY *mkey = pa_key(trust, "utopia-mls.key.pem");
        X509 *mcert = pa_cert(trust, "utopia-mls.cert.pem");
        REQUIRE(mkey && mcert);
        REQUIRE((sod = pa_sod_sign(lso, ll, mkey, mcert, EVP_sha256(), 0, NULL, 0, &sl)));
        CHECK(dx_pa_verify(sod, sl, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err) == DX_OK);
        CHECK_STEP(r.signature, DX_PA_PASSED);
        CHECK_STEP(r.chain, DX_PA_PASSED);
        CHECK_STEP(r.key_usage, DX_PA_FAILED);
        CHECK_MSG(strstr(r.key_usage.detail, "Master List Signer") != NULL, "%s",
                  r.key_usage.detail);
        CHECK(r.overall == DX_PA_FAILED);
        free(sod);
        EVP_PKEY_free(mkey);
        X509_free(mcert);
    }
    free(lso);
    free(other);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ckey);
    X509_free(cert);
    X509_free(ccert);
    pa_chip_free(&c);
}

/* Every prefix, one byte more, and bytes flipped: DX_ERR_DATA or a report,
 * never a crash (ASan checks the reads). */
static void test_malformed_sod(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    pa_chip c;
    dx_pa_report r;
    dx_error err = {0};
    size_t bad = 0;
    uint8_t *buf;

    pa_chip_options(&o, &h, trust);
    REQUIRE(pa_chip_build(&o, "malformed", &c));
    for (size_t n = 0; n < c.sod_len; n += (n < 64 || n > c.sod_len - 64) ? 1 : 7) {
        uint8_t *p = malloc(n ? n : 1);
        REQUIRE(p);
        memcpy(p, c.sod, n);
        dx_status st = dx_pa_verify(p, n, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err);
        if (!((n == 0 && st == DX_ERR_INVALID_ARG) || (st == DX_ERR_DATA &&
                                                       r.parse.result == DX_PA_FAILED)))
            bad++;
        free(p);
    }
    CHECK_MSG(bad == 0, "%zu prefixes of EF.SOD were not refused", bad);
    buf = malloc(c.sod_len + 1);
    REQUIRE(buf);
    memcpy(buf, c.sod, c.sod_len);
    buf[c.sod_len] = 0x00;
    CHECK(dx_pa_verify(buf, c.sod_len + 1, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err) ==
          DX_ERR_DATA);
    buf[0] = 0x78;
    CHECK(dx_pa_verify(buf, c.sod_len, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err) ==
          DX_ERR_DATA);
    CHECK(strstr(err.message, "EF.SOD") != NULL);
    /* flipped bytes: a verdict or a parse error, and never "passed" */
    srand(7);
    size_t passed = 0;
    for (int i = 0; i < 400; i++) {
        memcpy(buf, c.sod, c.sod_len);
        size_t at = (size_t)rand() % c.sod_len;
        buf[at] ^= (uint8_t)(1u << (rand() % 8));
        dx_status st = dx_pa_verify(buf, c.sod_len, c.dgs, c.n_dgs, ts_crl1, at_2026, &r, &err);
        CHECK(st == DX_OK || st == DX_ERR_DATA);
        if (st == DX_OK && r.overall == DX_PA_PASSED) {
            passed++;
            if (getenv("PA_VERBOSE"))
                fprintf(stderr, "  still passes: byte %zu of %zu flipped\n", at, c.sod_len);
        }
    }
    /* a flip in the unsigned certificate's signature, or in parts DER does
     * not constrain, may still pass; count them for the log */
    printf("  flipped-byte SODs still passing: %zu of 400\n", passed);
    free(buf);
    pa_chip_free(&c);
}

/* LDSSecurityObject: each rule of Part 10 §4.6.2.3 broken once. */
static dx_status lso(const char *ver, const char *alg, const char *hashes, const char *tail)
{
    /* the parts are hex; the SEQUENCE is put around them here */
    char hex[4096];
    uint8_t der[2048], body[2048];
    size_t n = 0, b = 0;
    dx_pa_lso out;
    dx_error err = {0};
    snprintf(hex, sizeof hex, "%s%s%s%s", ver, alg, hashes, tail);
    for (const char *p = hex; p[0] && p[1]; p += 2) {
        unsigned v;
        sscanf(p, "%2x", &v);
        body[b++] = (uint8_t)v;
    }
    der[n++] = 0x30;
    if (b > 127) {
        der[n++] = 0x82;
        der[n++] = (uint8_t)(b >> 8);
        der[n++] = (uint8_t)b;
    } else {
        der[n++] = (uint8_t)b;
    }
    memcpy(der + n, body, b);
    dx_status st = dx_pa_lso_parse(der, n + b, &out, &err);
    if (st != DX_OK && getenv("PA_VERBOSE"))
        fprintf(stderr, "  %s\n", err.message);
    return st;
}

static void test_lso_rules(void)
{
#define H32 "0000000000000000000000000000000000000000000000000000000000000000"
#define H30 "000000000000000000000000000000000000000000000000000000000000"
    const char *v0 = "020100", *v1 = "020101", *v2 = "020102";
    const char *sha256 = "300d06096086480165030402010500", *sha256np = "300b0609608648016503040201";
    const char *md5 = "300c06082a864886f70d02050500";
    const char *par = "300f060960864801650304020104020000";
    const char *two = "304e" "3025020101" "0420" H32 "3025020102" "0420" H32;
    const char *one = "3027" "3025020101" "0420" H32;
    const char *dup = "304e" "3025020101" "0420" H32 "3025020101" "0420" H32;
    const char *dg17 = "304e" "3025020101" "0420" H32 "3025020111" "0420" H32;
    const char *dg0 = "304e" "3025020100" "0420" H32 "3025020102" "0420" H32;
    const char *short_h = "304c" "3025020101" "0420" H32 "3023020102" "041e" H30;
    const char *vinfo = "300e130430313038130630343030303";
    char vi[64];
    snprintf(vi, sizeof vi, "%s0", vinfo);

    CHECK(lso(v0, sha256, two, "") == DX_OK);
    CHECK(lso(v0, sha256np, two, "") == DX_OK);
    CHECK(lso(v1, sha256, two, vi) == DX_OK);
    CHECK(lso(v2, sha256, two, "") == DX_ERR_DATA);
    CHECK(lso(v1, sha256, two, "") == DX_ERR_DATA);
    CHECK(lso(v0, sha256, two, vi) == DX_ERR_DATA);
    CHECK(lso(v0, md5, two, "") == DX_ERR_DATA);
    CHECK(lso(v0, par, two, "") == DX_ERR_DATA);
    CHECK(lso(v0, sha256, one, "") == DX_ERR_DATA);
    CHECK(lso(v0, sha256, dup, "") == DX_ERR_DATA);
    CHECK(lso(v0, sha256, dg17, "") == DX_ERR_DATA);
    CHECK(lso(v0, sha256, dg0, "") == DX_ERR_DATA);
    CHECK(lso(v0, sha256, short_h, "") == DX_ERR_DATA);
    CHECK(lso(v0, sha256, two, "0500") == DX_ERR_DATA);
    CHECK(lso("", sha256, two, "") == DX_ERR_DATA);
    CHECK(lso(v0, "", two, "") == DX_ERR_DATA);
    CHECK(lso(v0, sha256, "", "") == DX_ERR_DATA);
    {
        dx_pa_lso out;
        dx_error err = {0};
        static const uint8_t trailing[] = {0x30, 0x00, 0x00};
        CHECK(dx_pa_lso_parse(trailing, sizeof trailing, &out, &err) == DX_ERR_DATA);
        CHECK(dx_pa_lso_parse(NULL, 0, &out, &err) == DX_ERR_DATA);
    }
#undef H32
#undef H30
}

int main(int argc, char **argv)
{
    static const char *const crl1[] = {"utopia-csca.cert.pem", "utopia-csca.crl.pem", NULL};
    static const char *const plain[] = {"utopia-csca.cert.pem", NULL};
    static const char *const crl2[] = {"utopia-csca.cert.pem", "utopia-csca-revoked.crl.pem",
                                       NULL};
    static const char *const both[] = {"utopia-csca-revoked.crl.pem", "utopia-csca.cert.pem",
                                       "utopia-csca.crl.pem", NULL};
    if (argc != 2) {
        fprintf(stderr, "usage: %s TRUST_DIR\n", argv[0]);
        return 2;
    }
    trust = argv[1];
    at_2026 = pa_year(2026);
    ts_crl1 = store_of(crl1);
    ts_plain = store_of(plain);
    ts_crl2 = store_of(crl2);
    ts_both = store_of(both);
    CHECK(dx_trust_store_crl_count(ts_both) == 2 && dx_trust_store_csca_count(ts_both) == 1);

    test_genuine();
    test_tampered();
    test_untrusted();
    test_revoked();
    test_expired();
    test_master_list();
    test_hashes_and_versions();
    test_broken_sods();
    test_malformed_sod();
    test_lso_rules();

    dx_trust_store_free(ts_crl1);
    dx_trust_store_free(ts_plain);
    dx_trust_store_free(ts_crl2);
    dx_trust_store_free(ts_both);
    pa_tmp_cleanup();
    return dxtest_done();
}
