/* The trust store (core/src/icao/trust.c, ICAO 9303 Part 12 §5-§9):
 * directories of CSCAs, master lists and CRLs in PEM and DER, bad files
 * skipped with notes, private keys ignored, master lists verified (signature,
 * signer's extended key usage, chain to a CSCA of the list or directory) or
 * refused with the reason, the newest CRL of a CSCA.
 *   test-pa_trust TRUST_DIR */
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
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

static const dx_trust_note *note_for(const dx_trust_store *ts, const char *file,
                                     const char *text)
{
    for (size_t i = 0; i < dx_trust_store_note_count(ts); i++) {
        const dx_trust_note *n = dx_trust_store_note_at(ts, i);
        if (strstr(n->file, file) && (!text || strstr(n->text, text)))
            return n;
    }
    return NULL;
}

static void dump_notes(const dx_trust_store *ts)
{
    if (!getenv("PA_VERBOSE"))
        return;
    for (size_t i = 0; i < dx_trust_store_note_count(ts); i++) {
        const dx_trust_note *n = dx_trust_store_note_at(ts, i);
        fprintf(stderr, "  note %s%s: %s\n", n->file, n->skipped ? " (skipped)" : "", n->text);
    }
}

static const char *copy_in(const char *dir, const char *name, const char *as)
{
    char src[1024], dst[1024];
    snprintf(src, sizeof src, "%s/%s", trust, name);
    snprintf(dst, sizeof dst, "%s/%s", pa_tmp(dir), as ? as : name);
    REQUIRE(pa_copy(src, dst));
    return as ? as : name;
}

static void mk(const char *dir)
{
    REQUIRE(mkdir(pa_tmp(dir), 0700) == 0);
}

/* A master list made here: CscaMasterList { 0, certs } signed by key/cert. */
static uint8_t *make_ml(X509 *const *certs, size_t n, EVP_PKEY *key, X509 *cert, size_t *len)
{
    dx_synth_der d, *els = calloc(n ? n : 1, sizeof *els);
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
    ASN1_OBJECT *ct = OBJ_txt2obj(DX_TRUST_OID_MASTER_LIST, 1);
    uint8_t *content, *out = NULL;
    unsigned char *der = NULL;
    size_t clen = 0;
    BIO *in = NULL;
    int dl;

    REQUIRE(els && cms && ct);
    for (size_t i = 0; i < n; i++) {
        unsigned char *c = NULL;
        int cl = i2d_X509(certs[i], &c);
        dx_synth_der_init(&els[i]);
        dx_synth_der_raw(&els[i], c, (size_t)cl);
        OPENSSL_free(c);
    }
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_uint(&d, 0);
    dx_synth_der_set_of(&d, els, n);
    dx_synth_der_end(&d);
    REQUIRE(dx_synth_der_ok(&d));
    content = dx_synth_der_take(&d, &clen);
    in = BIO_new_mem_buf(content, (int)clen);
    REQUIRE(in && CMS_set1_eContentType(cms, ct) &&
            CMS_add1_signer(cms, cert, key, EVP_sha256(), CMS_PARTIAL | CMS_BINARY) &&
            CMS_final(cms, in, NULL, CMS_BINARY) == 1);
    dl = i2d_CMS_ContentInfo(cms, &der);
    REQUIRE(dl > 0 && (out = malloc((size_t)dl)));
    memcpy(out, der, (size_t)dl);
    *len = (size_t)dl;
    for (size_t i = 0; i < n; i++)
        dx_synth_der_free(&els[i]);
    free(els);
    free(content);
    OPENSSL_free(der);
    BIO_free(in);
    ASN1_OBJECT_free(ct);
    CMS_ContentInfo_free(cms);
    return out;
}

static void test_share_dir(void)
{
    dx_trust_store *ts = NULL;
    dx_error err = {0};
    const char *src = NULL;
    json_t *j;

    /* the test PKI's directory as it is: keys, DS certificates, a README,
     * subdirectories beside the CSCA, the master list and the CRLs */
    CHECK_MSG(dx_trust_store_load(trust, &ts, &err) == DX_OK, "%s", err.message);
    REQUIRE(ts);
    dump_notes(ts);
    CHECK(dx_trust_store_csca_count(ts) == 1);
    CHECK(dx_trust_store_csca_at(ts, 0, &src) && strstr(src, "utopia-csca.cert.pem"));
    CHECK(dx_trust_store_crl_count(ts) == 2);
    CHECK(dx_trust_store_ml_count(ts) == 1 && dx_trust_store_ml_at(ts, 0)->verified);
    CHECK_MSG(strstr(dx_trust_store_ml_at(ts, 0)->detail, "utopia-csca.cert.pem") != NULL, "%s",
              dx_trust_store_ml_at(ts, 0)->detail);
    CHECK(dx_trust_store_ml_at(ts, 0)->n_cscas == 0); /* the same CSCA, already there */
    CHECK(note_for(ts, "utopia-ds.cert.pem", "not a CA certificate"));
    CHECK(note_for(ts, "utopia-mls.cert.pem", "not a CA certificate"));
    CHECK(note_for(ts, "utopia-csca.key.pem", "private key"));
    CHECK(note_for(ts, "utopia-ds.key.pem", "private key"));
    CHECK(note_for(ts, "rogue", "subdirectory"));
    CHECK(note_for(ts, "pool", "subdirectory"));
    CHECK(note_for(ts, "README.md", "not a trust file"));
    /* the newest CRL of the CSCA: number 2 */
    {
        X509 *csca = dx_trust_store_csca_at(ts, 0, NULL);
        X509_CRL *crl = dx_trust_store_find_crl(ts, csca, &src);
        CHECK(crl && strstr(src, "utopia-csca-revoked.crl.pem"));
        X509 *ds = pa_cert(trust, "utopia-ds.cert.pem");
        CHECK(dx_trust_store_find_crl(ts, ds, NULL) == NULL);
        X509_free(ds);
    }
    j = dx_trust_store_to_json(ts);
    REQUIRE(j);
    CHECK(json_array_size(json_object_get(j, "cscas")) == 1);
    CHECK(json_integer_value(json_object_get(j, "crls")) == 2);
    CHECK(json_is_true(json_object_get(json_array_get(json_object_get(j, "master_lists"), 0),
                                       "verified")));
    CHECK(json_array_size(json_object_get(j, "notes")) >= 8);
    json_decref(j);
    dx_trust_store_free(ts);
}

static void test_formats(void)
{
    dx_trust_store *ts = NULL;
    dx_error err = {0};
    X509 *csca = pa_cert(trust, "utopia-csca.cert.pem");
    X509 *rogue = pa_cert(trust, "rogue/rogue-csca.cert.pem");
    uint8_t *buf;
    size_t len = 0;
    REQUIRE(csca && rogue);

    /* DER certificate, DER CRL, PEM master list (*.pem), a bundle of two
     * certificates, certificate + key in one PEM, a duplicate, junk */
    mk("fmt");
    {
        unsigned char *d = NULL;
        int n = i2d_X509(csca, &d);
        REQUIRE(n > 0 && pa_write(pa_tmp("fmt/csca.der"), d, (size_t)n));
        OPENSSL_free(d);
    }
    {
        FILE *f = fopen(pa_tmp("fmt/bundle.pem"), "w");
        REQUIRE(f);
        fputs("Two CSCAs, one a rogue one (a test only)\n", f);
        PEM_write_X509(f, rogue);
        PEM_write_X509(f, csca);
        fclose(f);
    }
    {
        char path[1024];
        snprintf(path, sizeof path, "%s/utopia-csca-revoked.crl.pem", trust);
        FILE *f = fopen(path, "r");
        REQUIRE(f);
        X509_CRL *crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
        fclose(f);
        unsigned char *d = NULL;
        int n = i2d_X509_CRL(crl, &d);
        REQUIRE(n > 0 && pa_write(pa_tmp("fmt/revoked.crl"), d, (size_t)n));
        OPENSSL_free(d);
        X509_CRL_free(crl);
    }
    {
        char path[1024];
        snprintf(path, sizeof path, "%s/utopia.ml", trust);
        REQUIRE((buf = pa_slurp(path, NULL, &len)));
        FILE *f = fopen(pa_tmp("fmt/ml-as.pem"), "w");
        REQUIRE(f);
        PEM_write(f, "CMS", "", buf, (long)len);
        fclose(f);
        free(buf);
    }
    {
        char path[1024];
        size_t kl = 0, cl = 0;
        snprintf(path, sizeof path, "%s/utopia-ds.key.pem", trust);
        uint8_t *k = pa_slurp(path, NULL, &kl);
        snprintf(path, sizeof path, "%s/utopia-csca.cert.pem", trust);
        uint8_t *c = pa_slurp(path, NULL, &cl);
        REQUIRE(k && c);
        FILE *f = fopen(pa_tmp("fmt/combo.pem"), "w");
        REQUIRE(f);
        fwrite(c, 1, cl, f);
        fwrite(k, 1, kl, f);
        fclose(f);
        free(k);
        free(c);
    }
    REQUIRE(pa_write(pa_tmp("fmt/junk.der"), "\x30\x03\x02\x01", 4));
    REQUIRE(pa_write(pa_tmp("fmt/empty.crt"), "", 0));
    REQUIRE(pa_write(pa_tmp("fmt/bad.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n"
                     "-----END CERTIFICATE-----\n", 58));
    REQUIRE(pa_write(pa_tmp("fmt/notes.txt"), "hello", 5));

    CHECK_MSG(dx_trust_store_load(pa_tmp("fmt"), &ts, &err) == DX_OK, "%s", err.message);
    REQUIRE(ts);
    dump_notes(ts);
    CHECK(dx_trust_store_csca_count(ts) == 2);
    CHECK(dx_trust_store_crl_count(ts) == 1);
    CHECK(dx_trust_store_ml_count(ts) == 1 && dx_trust_store_ml_at(ts, 0)->verified);
    CHECK(note_for(ts, "combo.pem", "private key"));
    CHECK(note_for(ts, "csca.der", "already in the store") ||
          note_for(ts, "bundle.pem", "already in the store"));
    CHECK(note_for(ts, "junk.der", "not a DER certificate"));
    CHECK(note_for(ts, "empty.crt", "empty"));
    CHECK(note_for(ts, "bad.pem", NULL));
    CHECK(note_for(ts, "notes.txt", "not a trust file"));
    dx_trust_store_free(ts);

    /* one file at a time */
    REQUIRE(dx_trust_store_new(&ts, &err) == DX_OK);
    CHECK(dx_trust_store_add_file(ts, pa_tmp("fmt/revoked.crl"), &err) == DX_OK);
    CHECK(note_for(ts, "revoked.crl", "no CSCA of the store signed it"));
    CHECK(dx_trust_store_add_file(ts, pa_tmp("fmt/junk.der"), &err) == DX_ERR_DATA);
    CHECK_MSG(strstr(err.message, "junk.der") != NULL, "%s", err.message);
    CHECK(dx_trust_store_add_file(ts, pa_tmp("fmt/nothing-here.pem"), &err) == DX_ERR_NOT_FOUND);
    CHECK(dx_trust_store_add_file(ts, pa_tmp("fmt/combo.pem"), &err) == DX_OK);
    CHECK(dx_trust_store_csca_count(ts) == 1);
    {
        X509_CRL *crl = dx_trust_store_find_crl(ts, csca, NULL);
        CHECK(crl != NULL); /* usable now that its CSCA is in */
    }
    CHECK(dx_trust_store_add_mem(ts, "x", (const uint8_t *)"", 0, &err) == DX_ERR_DATA);
    CHECK(dx_trust_store_add_mem(NULL, "x", (const uint8_t *)"", 0, &err) == DX_ERR_INVALID_ARG);
    dx_trust_store_free(ts);
    X509_free(csca);
    X509_free(rogue);
}

static void test_unusable_dirs(void)
{
    dx_trust_store *ts = NULL;
    dx_error err = {0};
    CHECK(dx_trust_store_load(pa_tmp("no-such-dir"), &ts, &err) == DX_ERR_NOT_FOUND && !ts);
    mk("empty");
    CHECK(dx_trust_store_load(pa_tmp("empty"), &ts, &err) == DX_ERR_DATA && !ts);
    CHECK_MSG(strstr(err.message, "empty") != NULL, "%s", err.message);
    /* a DS certificate, a key and a CRL: nothing to anchor a chain */
    mk("no-csca");
    copy_in("no-csca", "utopia-ds.cert.pem", NULL);
    copy_in("no-csca", "utopia-ds.key.pem", NULL);
    copy_in("no-csca", "utopia-csca.crl.pem", NULL);
    CHECK(dx_trust_store_load(pa_tmp("no-csca"), &ts, &err) == DX_ERR_DATA && !ts);
    CHECK_MSG(strstr(err.message, "utopia-ds.cert.pem: certificate") &&
              strstr(err.message, "not a CA certificate"), "%s", err.message);
    /* only the rogue CSCA: loads (it is a CA), but no Utopia chip chains to it
     * -- tested in test-pa_verify with the untrusted DS */
    mk("rogue");
    copy_in("rogue", "rogue/rogue-csca.cert.pem", "rogue-csca.cert.pem");
    CHECK(dx_trust_store_load(pa_tmp("rogue"), &ts, &err) == DX_OK);
    dx_trust_store_free(ts);
}

/* Master lists made here: who signs, what they carry. */
static void test_made_lists(void)
{
    EVP_PKEY *mls_key = pa_key(trust, "utopia-mls.key.pem"), *ds_key = pa_key(trust, "utopia-ds.key.pem");
    EVP_PKEY *rogue_key = pa_key(trust, "rogue/rogue-csca.key.pem");
    X509 *mls = pa_cert(trust, "utopia-mls.cert.pem"), *ds = pa_cert(trust, "utopia-ds.cert.pem");
    X509 *csca = pa_cert(trust, "utopia-csca.cert.pem");
    X509 *rogue = pa_cert(trust, "rogue/rogue-csca.cert.pem");
    dx_trust_store *ts = NULL;
    dx_error err = {0};
    size_t len = 0;
    uint8_t *ml;
    REQUIRE(mls_key && ds_key && mls && ds && csca && rogue);

    /* a list of the rogue CSCA signed by the Utopia MLS: verified only when
     * the directory holds the Utopia CSCA the MLS chains to */
    X509 *r1[] = {rogue};
    ml = make_ml(r1, 1, mls_key, mls, &len);
    REQUIRE(dx_trust_store_new(&ts, &err) == DX_OK);
    CHECK(dx_trust_store_add_mem(ts, "rogue-only.ml", ml, len, &err) == DX_ERR_DATA);
    CHECK(dx_trust_store_ml_count(ts) == 1 && !dx_trust_store_ml_at(ts, 0)->verified);
    CHECK_MSG(strstr(dx_trust_store_ml_at(ts, 0)->detail, "does not chain") != NULL, "%s",
              dx_trust_store_ml_at(ts, 0)->detail);
    dx_trust_store_free(ts);
    mk("dir-ml");
    copy_in("dir-ml", "utopia-csca.cert.pem", NULL);
    REQUIRE(pa_write(pa_tmp("dir-ml/other.ml"), ml, len));
    CHECK_MSG(dx_trust_store_load(pa_tmp("dir-ml"), &ts, &err) == DX_OK, "%s", err.message);
    REQUIRE(ts);
    CHECK(dx_trust_store_csca_count(ts) == 2);
    CHECK(dx_trust_store_ml_at(ts, 0)->verified && dx_trust_store_ml_at(ts, 0)->n_cscas == 1);
    CHECK(strstr(dx_trust_store_ml_at(ts, 0)->detail, "utopia-csca.cert.pem") != NULL);
    dx_trust_store_free(ts);
    free(ml);

    /* signed by the DS: no id-icao-cscaMasterListSigningKey */
    X509 *u1[] = {csca};
    ml = make_ml(u1, 1, ds_key, ds, &len);
    REQUIRE(dx_trust_store_new(&ts, &err) == DX_OK);
    CHECK(dx_trust_store_add_mem(ts, "ds-signed.ml", ml, len, &err) == DX_ERR_DATA);
    CHECK_MSG(strstr(dx_trust_store_ml_at(ts, 0)->detail, "extended key") != NULL, "%s",
              dx_trust_store_ml_at(ts, 0)->detail);
    CHECK(dx_trust_store_csca_count(ts) == 0);
    dx_trust_store_free(ts);
    free(ml);

    /* a self-asserted list: the rogue CSCA lists itself and signs with its own
     * key -- no MLS extended key usage, refused */
    if (rogue_key) {
        ml = make_ml(r1, 1, rogue_key, rogue, &len);
        REQUIRE(dx_trust_store_new(&ts, &err) == DX_OK);
        CHECK(dx_trust_store_add_mem(ts, "self.ml", ml, len, &err) == DX_ERR_DATA);
        dx_trust_store_free(ts);
        free(ml);
    }

    /* the Utopia MLS lists the Utopia CSCA and a DS certificate: the DS is
     * left out with a note */
    X509 *u2[] = {csca, ds};
    ml = make_ml(u2, 2, mls_key, mls, &len);
    REQUIRE(dx_trust_store_new(&ts, &err) == DX_OK);
    CHECK(dx_trust_store_add_mem(ts, "mixed.ml", ml, len, &err) == DX_OK);
    CHECK(dx_trust_store_csca_count(ts) == 1);
    CHECK(dx_trust_store_ml_at(ts, 0)->n_certs == 2 && dx_trust_store_ml_at(ts, 0)->n_cscas == 1);
    CHECK(note_for(ts, "mixed.ml", "not a CA certificate"));
    dx_trust_store_free(ts);
    free(ml);

    /* a CMS that is not a master list */
    {
        size_t sl = 0;
        pa_chip c = {0};
        dx_pa_dg dgs[2] = {{1, (const uint8_t *)"a", 1}, {2, (const uint8_t *)"b", 1}};
        memcpy(c.dgs, dgs, sizeof dgs);
        c.n_dgs = 2;
        size_t ll = 0;
        uint8_t *lso = pa_lso(&c, "SHA256", "2.16.840.1.101.3.4.2.1", 0, &ll);
        uint8_t *sod = pa_sod_sign(lso, ll, ds_key, ds, EVP_sha256(), 0, NULL, 0, &sl);
        REQUIRE(sod && sl > 4);
        REQUIRE(dx_trust_store_new(&ts, &err) == DX_OK);
        /* the CMS without the 77 wrapper (4 header bytes for this size) */
        CHECK(dx_trust_store_add_mem(ts, "sod.der", sod + 4, sl - 4, &err) == DX_ERR_DATA);
        CHECK_MSG(strstr(err.message, "eContentType 2.23.136.1.1.1") != NULL, "%s", err.message);
        dx_trust_store_free(ts);
        free(sod);
        free(lso);
    }
    EVP_PKEY_free(mls_key);
    EVP_PKEY_free(ds_key);
    EVP_PKEY_free(rogue_key);
    X509_free(mls);
    X509_free(ds);
    X509_free(csca);
    X509_free(rogue);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TRUST_DIR\n", argv[0]);
        return 2;
    }
    trust = argv[1];
    test_share_dir();
    test_formats();
    test_unusable_dirs();
    test_made_lists();
    pa_tmp_cleanup();
    return dxtest_done();
}
