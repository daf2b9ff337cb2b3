/* Passive authentication (ICAO 9303 Part 11 §5.1; EF.SOD: Part 10 §4.6.2;
 * certificate profiles: Part 12).  See pa.h. */
#include "icao/pa.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "icao/tlv.h"

#define DX_CAT_PA "pa"

/* ---- helpers ------------------------------------------------------------- */

const char *dx_pa_result_name(dx_pa_result r)
{
    switch (r) {
    case DX_PA_PASSED: return "passed";
    case DX_PA_FAILED: return "failed";
    case DX_PA_NOT_READ: return "not_read";
    case DX_PA_NOT_CHECKED: break;
    }
    return "not_checked";
}

/* 9303 Part 12 §4.1: the hash functions a SOD may use. */
const char *dx_pa_hash_name(int nid)
{
    switch (nid) {
    case NID_sha1: return "SHA-1";
    case NID_sha224: return "SHA-224";
    case NID_sha256: return "SHA-256";
    case NID_sha384: return "SHA-384";
    case NID_sha512: return "SHA-512";
    default: return NULL;
    }
}

static size_t hash_len(int nid)
{
    switch (nid) {
    case NID_sha1: return 20;
    case NID_sha224: return 28;
    case NID_sha256: return 32;
    case NID_sha384: return 48;
    case NID_sha512: return 64;
    default: return 0;
    }
}

/* OpenSSL's name for EVP_MD_fetch(). */
static const char *hash_fetch_name(int nid)
{
    switch (nid) {
    case NID_sha1: return "SHA1";
    case NID_sha224: return "SHA224";
    case NID_sha256: return "SHA256";
    case NID_sha384: return "SHA384";
    case NID_sha512: return "SHA512";
    default: return NULL;
    }
}

void dx_pa_hex(const uint8_t *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = '\0';
}

const char *dx_pa_ossl_why(char *buf, size_t size)
{
    unsigned long e = ERR_get_error();
    if (!e) {
        snprintf(buf, size, "no detail");
    } else {
        const char *reason = ERR_reason_error_string(e), *lib = ERR_lib_error_string(e);
        if (reason)
            snprintf(buf, size, "%s (%s)", reason, lib ? lib : "OpenSSL");
        else
            ERR_error_string_n(e, buf, size);
    }
    ERR_clear_error();
    return buf;
}

void dx_pa_unix_iso(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    out[0] = '\0';
    if (gmtime_r(&tt, &tm))
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void dx_pa_asn1_time_iso(const ASN1_TIME *t, char out[32])
{
    struct tm tm;
    out[0] = '\0';
    if (t && ASN1_TIME_to_tm(t, &tm) == 1)
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ERR_clear_error();
}

bool dx_pa_asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
        ERR_clear_error();
        return false;
    }
    *out = (int64_t)timegm(&tm);
    return true;
}

void dx_pa_name_str(const X509_NAME *name, char *out, size_t size)
{
    BIO *b = BIO_new(BIO_s_mem());
    int n = 0;
    out[0] = '\0';
    if (!b)
        return;
    /* RFC 2253 flags escape control characters and bytes above 127: ASCII */
    if (name && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0)
        n = BIO_read(b, out, (int)(size > 1 ? size - 1 : 0));
    out[n > 0 ? n : 0] = '\0';
    BIO_free(b);
    ERR_clear_error();
}

void dx_pa_cert_info_fill(X509 *x, dx_pa_cert_info *out)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    BIGNUM *bn = NULL;
    char *hex = NULL;

    memset(out, 0, sizeof *out);
    if (!x)
        return;
    out->present = true;
    dx_pa_name_str(X509_get_subject_name(x), out->subject, sizeof out->subject);
    dx_pa_name_str(X509_get_issuer_name(x), out->issuer, sizeof out->issuer);
    if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) && (hex = BN_bn2hex(bn)))
        snprintf(out->serial, sizeof out->serial, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
    dx_pa_asn1_time_iso(X509_get0_notBefore(x), out->not_before);
    dx_pa_asn1_time_iso(X509_get0_notAfter(x), out->not_after);
    if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32)
        dx_pa_hex(md, 32, out->sha256);
    ERR_clear_error();
}

json_t *dx_pa_json_str(const char *text)
{
    json_t *j;
    char *copy;
    size_t n;
    if (!text)
        return json_null();
    if ((j = json_string(text)))
        return j;
    /* not UTF-8: keep ASCII, replace the rest */
    n = strlen(text);
    if (!(copy = malloc(n + 1)))
        return NULL;
    for (size_t i = 0; i <= n; i++)
        copy[i] = (unsigned char)text[i] < 0x80 ? text[i] : '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* An OBJECT IDENTIFIER data object (tag 06) as an ASN1_OBJECT, through d2i
 * on the object's exact bytes. */
static dx_status tlv_oid(const dx_tlv *t, ASN1_OBJECT **out, const char *what, dx_error *err)
{
    const unsigned char *p = t->raw;
    ASN1_OBJECT *o = NULL;
    if (t->raw_len > LONG_MAX || !(o = d2i_ASN1_OBJECT(NULL, &p, (long)t->raw_len)) ||
        (size_t)(p - t->raw) != t->raw_len) {
        ASN1_OBJECT_free(o);
        ERR_clear_error();
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: not a valid OBJECT IDENTIFIER",
                            what, t->offset);
    }
    *out = o;
    return DX_OK;
}

/* ---- LDSSecurityObject (9303 Part 10 §4.6.2.3) --------------------------- */

static bool printable(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              strchr(" '()+,-./:=?", c)) || c == 0)
            return false;
    }
    return true;
}

/* 9303 Part 10 §4.6.2.3: LDSSecurityObject. */
dx_status dx_pa_lso_parse(const uint8_t *buf, size_t len, dx_pa_lso *out, dx_error *err)
{
    static const char W[] = "LDSSecurityObject";
    dx_tlv_reader top, r, ra, rh;
    dx_tlv seq, ver, alg, oid, hv;
    ASN1_OBJECT *obj = NULL;
    uint32_t v = 0;
    dx_status st;

    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "%s: no output", W);
    memset(out, 0, sizeof *out);
    dx_tlv_reader_init(&top, buf, len, W);
    if ((st = dx_tlv_read_expect(&top, 0x30, &seq, err)))
        return st;
    if (!dx_tlv_reader_done(&top))
        return dx_error_set(err, DX_ERR_DATA, "%s: %zu bytes after the SEQUENCE", W,
                            len - seq.raw_len);
    dx_tlv_reader_enter(&r, &top, &seq, W);

    /* version LDSSecurityObjectVersion { v0(0), v1(1) } */
    if ((st = dx_tlv_read_expect(&r, 0x02, &ver, err)) ||
        (st = dx_tlv_get_uint(&ver, &v, "LDSSecurityObject version", err)))
        return st;
    if (v > 1)
        return dx_error_set(err, DX_ERR_DATA, "%s: version %u (only V0 and V1 exist)", W,
                            (unsigned)v);
    out->version = v;

    /* hashAlgorithm DigestAlgorithmIdentifier { OID, parameters NULL or absent } */
    if ((st = dx_tlv_read_expect(&r, 0x30, &alg, err)))
        return st;
    dx_tlv_reader_enter(&ra, &r, &alg, "LDSSecurityObject hashAlgorithm");
    if ((st = dx_tlv_read_expect(&ra, 0x06, &oid, err)) ||
        (st = tlv_oid(&oid, &obj, "LDSSecurityObject hashAlgorithm", err)))
        return st;
    out->hash_nid = OBJ_obj2nid(obj);
    OBJ_obj2txt(out->hash_oid, sizeof out->hash_oid, obj, 1);
    ASN1_OBJECT_free(obj);
    if (!dx_tlv_reader_done(&ra)) {
        dx_tlv par;
        if ((st = dx_tlv_read(&ra, &par, err)))
            return st;
        if (par.tag != 0x05 || par.len != 0)
            return dx_error_set(err, DX_ERR_DATA, "%s: hashAlgorithm parameters (tag %X, %zu "
                                "bytes) where only NULL or nothing may stand", W,
                                (unsigned)par.tag, par.len);
        if (!dx_tlv_reader_done(&ra))
            return dx_error_set(err, DX_ERR_DATA, "%s: data after the hashAlgorithm "
                                "parameters", W);
    }
    if (!(out->hash_name = dx_pa_hash_name(out->hash_nid)))
        return dx_error_set(err, DX_ERR_DATA, "%s: hash algorithm %s is not SHA-1, SHA-224, "
                            "SHA-256, SHA-384 or SHA-512 (9303 Part 12 §4.1)", W, out->hash_oid);
    out->hash_len = hash_len(out->hash_nid);

    /* dataGroupHashValues SEQUENCE SIZE (2..ub-DataGroups) OF DataGroupHash */
    if ((st = dx_tlv_read_expect(&r, 0x30, &hv, err)))
        return st;
    dx_tlv_reader_enter(&rh, &r, &hv, "LDSSecurityObject dataGroupHashValues");
    while (!dx_tlv_reader_done(&rh)) {
        dx_tlv dgh, num, hash;
        dx_tlv_reader rd;
        uint32_t n = 0;
        if ((st = dx_tlv_read_expect(&rh, 0x30, &dgh, err)))
            return st;
        if (out->n_dg == DX_PA_MAX_DG)
            return dx_error_set(err, DX_ERR_DATA, "%s: more than %d data group hashes", W,
                                DX_PA_MAX_DG);
        dx_tlv_reader_enter(&rd, &rh, &dgh, "LDSSecurityObject DataGroupHash");
        if ((st = dx_tlv_read_expect(&rd, 0x02, &num, err)) ||
            (st = dx_tlv_get_uint(&num, &n, "DataGroupHash dataGroupNumber", err)))
            return st;
        if (n < 1 || n > DX_PA_MAX_DG)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: data group number %u (1 to "
                                "16)", W, num.offset, (unsigned)n);
        for (size_t i = 0; i < out->n_dg; i++)
            if (out->dg[i].number == (int)n)
                return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: DG%u's hash appears "
                                    "twice", W, num.offset, (unsigned)n);
        if ((st = dx_tlv_read_expect(&rd, 0x04, &hash, err)))
            return st;
        if (hash.len != out->hash_len)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: DG%u's hash has %zu bytes, "
                                "%s has %zu", W, hash.offset, (unsigned)n, hash.len,
                                out->hash_name, out->hash_len);
        if (!dx_tlv_reader_done(&rd))
            return dx_error_set(err, DX_ERR_DATA, "%s: data after DG%u's hash", W,
                                (unsigned)n);
        out->dg[out->n_dg].number = (int)n;
        memcpy(out->dg[out->n_dg].hash, hash.value, hash.len);
        out->n_dg++;
    }
    if (out->n_dg < 2)
        return dx_error_set(err, DX_ERR_DATA, "%s: %zu data group hash%s (at least 2: DG1 and "
                            "DG2)", W, out->n_dg, out->n_dg == 1 ? "" : "es");

    /* ldsVersionInfo LDSVersionInfo OPTIONAL -- present exactly when V1 */
    if (!dx_tlv_reader_done(&r)) {
        dx_tlv vi, lv, uv;
        dx_tlv_reader rv;
        if ((st = dx_tlv_read_expect(&r, 0x30, &vi, err)))
            return st;
        dx_tlv_reader_enter(&rv, &r, &vi, "LDSSecurityObject ldsVersionInfo");
        if ((st = dx_tlv_read_expect(&rv, 0x13, &lv, err)) ||
            (st = dx_tlv_read_expect(&rv, 0x13, &uv, err)))
            return st;
        if (!dx_tlv_reader_done(&rv))
            return dx_error_set(err, DX_ERR_DATA, "%s: data after ldsVersionInfo", W);
        if (lv.len == 0 || lv.len >= sizeof out->lds_version || !printable(lv.value, lv.len) ||
            uv.len == 0 || uv.len >= sizeof out->unicode_version ||
            !printable(uv.value, uv.len))
            return dx_error_set(err, DX_ERR_DATA, "%s: ldsVersionInfo strings must be 1 to %zu "
                                "printable characters", W, sizeof out->lds_version - 1);
        memcpy(out->lds_version, lv.value, lv.len);
        memcpy(out->unicode_version, uv.value, uv.len);
        out->has_version_info = true;
        if (!dx_tlv_reader_done(&r))
            return dx_error_set(err, DX_ERR_DATA, "%s: data after ldsVersionInfo", W);
    }
    if (out->version == 1 && !out->has_version_info)
        return dx_error_set(err, DX_ERR_DATA, "%s: version V1 without ldsVersionInfo", W);
    if (out->version == 0 && out->has_version_info)
        return dx_error_set(err, DX_ERR_DATA, "%s: ldsVersionInfo in a V0 object (V1 needed)",
                            W);
    return DX_OK;
}

/* ---- CMS SignedData ------------------------------------------------------ */

/* RFC 5652 §3, §5.1-§5.2: ContentInfo of SignedData with attached content. */
dx_status dx_pa_signed_data_parse(const uint8_t *der, size_t len, const char *econtent_oid,
                                  const char *what, CMS_ContentInfo **cms_out,
                                  const uint8_t **content, size_t *content_len, dx_error *err)
{
    const unsigned char *p = der;
    CMS_ContentInfo *cms = NULL;
    ASN1_OCTET_STRING **pos;
    const ASN1_OBJECT *ect;
    char why[200], oid[80];
    dx_status st;

    *cms_out = NULL;
    if (!der || len == 0)
        return dx_error_set(err, DX_ERR_DATA, "%s: no CMS data", what);
    if (len > LONG_MAX)
        return dx_error_set(err, DX_ERR_DATA, "%s: %zu bytes is too long", what, len);
    ERR_clear_error();
    if (!(cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)))
        return dx_error_set(err, DX_ERR_DATA, "%s: not a CMS ContentInfo: %s", what,
                            dx_pa_ossl_why(why, sizeof why));
    if ((size_t)(p - der) != len) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: %zu bytes after the CMS ContentInfo", what,
                          len - (size_t)(p - der));
        goto fail;
    }
    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        OBJ_obj2txt(oid, sizeof oid, CMS_get0_type(cms), 1);
        st = dx_error_set(err, DX_ERR_DATA, "%s: CMS content type %s is not signedData", what,
                          oid);
        goto fail;
    }
    ect = CMS_get0_eContentType(cms);
    oid[0] = '\0';
    if (ect)
        OBJ_obj2txt(oid, sizeof oid, ect, 1);
    if (strcmp(oid, econtent_oid) != 0) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: eContentType %s, expected %s", what,
                          oid[0] ? oid : "(none)", econtent_oid);
        goto fail;
    }
    pos = CMS_get0_content(cms);
    if (!pos || !*pos || ASN1_STRING_length(*pos) <= 0) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: the SignedData carries no content (a detached "
                          "signature)", what);
        goto fail;
    }
    *content = ASN1_STRING_get0_data(*pos);
    *content_len = (size_t)ASN1_STRING_length(*pos);
    *cms_out = cms;
    return DX_OK;
fail:
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return st;
}

X509 *dx_pa_signer_cert(CMS_ContentInfo *cms, CMS_SignerInfo *si)
{
    STACK_OF(X509) *certs = CMS_get1_certs(cms);
    X509 *found = NULL;
    for (int i = 0; i < sk_X509_num(certs); i++)
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) {
            found = sk_X509_value(certs, i);
            break;
        }
    /* the ContentInfo keeps its own reference to `found` */
    sk_X509_pop_free(certs, X509_free);
    ERR_clear_error();
    return found;
}

/* RFC 5652 §5.4 (message digest), §5.6 (signature), §11.1-§11.2. */
void dx_pa_signer_verify(CMS_ContentInfo *cms, CMS_SignerInfo *si, X509 *signer,
                         const uint8_t *content, size_t content_len, dx_pa_signer_check *out)
{
    X509_ALGOR *dig = NULL, *sig = NULL;
    const ASN1_OBJECT *dobj = NULL;
    ASN1_OBJECT *ct;
    ASN1_OCTET_STRING *md_attr;
    EVP_MD *md = NULL;
    uint8_t got[EVP_MAX_MD_SIZE];
    unsigned got_len = 0;
    char why[200], a[80], b[80];
    int dnid;

    memset(out, 0, sizeof *out);
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
    if (sig) {
        const ASN1_OBJECT *so = NULL;
        X509_ALGOR_get0(&so, NULL, NULL, sig);
        int snid = OBJ_obj2nid(so);
        if (snid != NID_undef)
            snprintf(out->signature_alg, sizeof out->signature_alg, "%s", OBJ_nid2ln(snid));
        else
            OBJ_obj2txt(out->signature_alg, sizeof out->signature_alg, so, 1);
    }
    if (dig)
        X509_ALGOR_get0(&dobj, NULL, NULL, dig);
    dnid = dobj ? OBJ_obj2nid(dobj) : NID_undef;
    if (!dx_pa_hash_name(dnid)) {
        a[0] = '\0';
        if (dobj)
            OBJ_obj2txt(a, sizeof a, dobj, 1);
        snprintf(out->digest_detail, sizeof out->digest_detail, "the SignerInfo's "
                 "digestAlgorithm %s is not SHA-1 or SHA-2 (9303 Part 12 §4.1)",
                 a[0] ? a : "(none)");
        out->digest = DX_PA_FAILED;
        snprintf(out->signature_detail, sizeof out->signature_detail,
                 "not checked: unusable digestAlgorithm");
        goto done;
    }
    snprintf(out->digest_alg, sizeof out->digest_alg, "%s", dx_pa_hash_name(dnid));
    if (CMS_signed_get_attr_count(si) <= 0) {
        out->digest = DX_PA_FAILED;
        snprintf(out->digest_detail, sizeof out->digest_detail, "the SignerInfo has no signed "
                 "attributes; contentType and messageDigest are required (RFC 5652 §5.3, "
                 "9303 Part 10 §4.6.2.2)");
        snprintf(out->signature_detail, sizeof out->signature_detail,
                 "not checked: no signed attributes to verify");
        goto done;
    }

    /* contentType attribute = eContentType (RFC 5652 §11.1) */
    ct = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT);
    if (!ct) {
        out->digest = DX_PA_FAILED;
        snprintf(out->digest_detail, sizeof out->digest_detail, "the contentType signed "
                 "attribute is missing, repeated or malformed (RFC 5652 §11.1)");
    } else if (OBJ_cmp(ct, CMS_get0_eContentType(cms)) != 0) {
        OBJ_obj2txt(a, sizeof a, ct, 1);
        OBJ_obj2txt(b, sizeof b, CMS_get0_eContentType(cms), 1);
        out->digest = DX_PA_FAILED;
        snprintf(out->digest_detail, sizeof out->digest_detail, "the contentType signed "
                 "attribute %s differs from the eContentType %s", a, b);
    }
    /* messageDigest attribute = digest of the eContent octets (§11.2) */
    md_attr = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
                                          V_ASN1_OCTET_STRING);
    if (!(md = EVP_MD_fetch(NULL, hash_fetch_name(dnid), NULL)) ||
        EVP_Digest(content, content_len, got, &got_len, md, NULL) != 1) {
        out->digest = DX_PA_FAILED;
        snprintf(out->digest_detail, sizeof out->digest_detail, "%s of the content: %s",
                 out->digest_alg, dx_pa_ossl_why(why, sizeof why));
        goto signature;
    }
    dx_pa_hex(got, got_len, out->computed);
    if (!md_attr) {
        out->digest = DX_PA_FAILED;
        snprintf(out->digest_detail, sizeof out->digest_detail, "the messageDigest signed "
                 "attribute is missing, repeated or malformed (RFC 5652 §11.2)");
        goto signature;
    }
    if ((size_t)ASN1_STRING_length(md_attr) <= DX_PA_MAX_HASH)
        dx_pa_hex(ASN1_STRING_get0_data(md_attr), (size_t)ASN1_STRING_length(md_attr),
                  out->expected);
    if (out->digest == DX_PA_FAILED)
        goto signature;
    if ((unsigned)ASN1_STRING_length(md_attr) != got_len ||
        memcmp(ASN1_STRING_get0_data(md_attr), got, got_len) != 0) {
        out->digest = DX_PA_FAILED;
        snprintf(out->digest_detail, sizeof out->digest_detail, "the messageDigest attribute "
                 "%s differs from the %s of the content, %s", out->expected[0] ? out->expected
                 : "(too long)", out->digest_alg, out->computed);
    } else {
        out->digest = DX_PA_PASSED;
        snprintf(out->digest_detail, sizeof out->digest_detail, "contentType matches; "
                 "messageDigest equals the %s of the content, %s", out->digest_alg,
                 out->computed);
    }

signature:
    if (!signer) {
        snprintf(out->signature_detail, sizeof out->signature_detail,
                 "not checked: no signer certificate");
    } else if (CMS_SignerInfo_set1_signer_cert(si, signer), CMS_SignerInfo_verify(si) == 1) {
        char subj[256];
        dx_pa_name_str(X509_get_subject_name(signer), subj, sizeof subj);
        out->signature = DX_PA_PASSED;
        snprintf(out->signature_detail, sizeof out->signature_detail, "the signature (%s, %s) "
                 "over the signed attributes verifies with the key of %s", out->signature_alg,
                 out->digest_alg, subj);
    } else {
        out->signature = DX_PA_FAILED;
        snprintf(out->signature_detail, sizeof out->signature_detail, "the signature (%s, %s) "
                 "over the signed attributes does not verify with the signer's key: %s",
                 out->signature_alg, out->digest_alg, dx_pa_ossl_why(why, sizeof why));
    }
done:
    EVP_MD_free(md);
    ERR_clear_error();
}

bool dx_pa_signing_time(CMS_SignerInfo *si, int64_t *unix_time, char iso[32])
{
    const ASN1_OBJECT *o = OBJ_nid2obj(NID_pkcs9_signingTime);
    ASN1_TIME *t = CMS_signed_get0_data_by_OBJ(si, o, -3, V_ASN1_UTCTIME);
    if (!t)
        t = CMS_signed_get0_data_by_OBJ(si, o, -3, V_ASN1_GENERALIZEDTIME);
    ERR_clear_error();
    iso[0] = '\0';
    if (!t || !dx_pa_asn1_time_unix(t, unix_time))
        return false;
    dx_pa_asn1_time_iso(t, iso);
    return iso[0] != '\0';
}

/* ---- EF.SOD -------------------------------------------------------------- */

void dx_pa_sod_free(dx_pa_sod *s)
{
    if (!s)
        return;
    sk_X509_pop_free(s->certs, X509_free);
    CMS_ContentInfo_free(s->cms);
    free(s);
}

/* 9303 Part 10 §4.6.2: EF.SOD = 77 { ContentInfo }. */
dx_status dx_pa_sod_parse(const uint8_t *sod, size_t len, dx_pa_sod **out, dx_error *err)
{
    dx_tlv outer;
    dx_pa_sod *s;
    dx_error e = {0};
    dx_status st;
    STACK_OF(CMS_SignerInfo) *sis;

    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.SOD: no output");
    *out = NULL;
    if ((st = dx_tlv_parse_single(sod, len, 0x77, &outer, "EF.SOD", err)))
        return st;
    if (!(s = calloc(1, sizeof *s)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "EF.SOD: out of memory");
    if ((st = dx_pa_signed_data_parse(outer.value, outer.len, DX_PA_OID_LDS_SECURITY_OBJECT,
                                      "EF.SOD", &s->cms, &s->econtent, &s->econtent_len, err)))
        goto fail;
    if ((st = dx_pa_lso_parse(s->econtent, s->econtent_len, &s->lso, &e))) {
        st = dx_error_set(err, st, "EF.SOD: %s", e.message);
        goto fail;
    }
    sis = CMS_get0_SignerInfos(s->cms);
    if (sk_CMS_SignerInfo_num(sis) <= 0) {
        st = dx_error_set(err, DX_ERR_DATA, "EF.SOD: the SignedData has no SignerInfo");
        goto fail;
    }
    s->n_signers = (size_t)sk_CMS_SignerInfo_num(sis);
    s->si = sk_CMS_SignerInfo_value(sis, 0);
    s->certs = CMS_get1_certs(s->cms);
    s->ds = dx_pa_signer_cert(s->cms, s->si);
    s->has_signing_time = dx_pa_signing_time(s->si, &s->signing_time, s->signing_time_iso);
    ERR_clear_error();
    *out = s;
    return DX_OK;
fail:
    dx_pa_sod_free(s);
    ERR_clear_error();
    return st;
}

/* ---- passive authentication ---------------------------------------------- */

static void step(dx_pa_step *s, dx_pa_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void step(dx_pa_step *s, dx_pa_result r, const char *fmt, ...)
{
    va_list ap;
    s->result = r;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof s->detail, fmt, ap);
    va_end(ap);
}

static const char *crl_reason_name(long r)
{
    static const char *const names[] = {
        "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
        "cessationOfOperation", "certificateHold", "(7)", "removeFromCRL",
        "privilegeWithdrawn", "aACompromise"};
    return r >= 0 && r <= 10 ? names[r] : "unknown reason";
}

static void crl_number(X509_CRL *crl, char *out, size_t size)
{
    ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    BIGNUM *bn = n ? ASN1_INTEGER_to_BN(n, NULL) : NULL;
    char *dec = bn ? BN_bn2dec(bn) : NULL;
    snprintf(out, size, "%s", dec ? dec : "(none)");
    OPENSSL_free(dec);
    BN_free(bn);
    ASN1_INTEGER_free(n);
    ERR_clear_error();
}

/* Part 11 §5.1.1: is `x` valid at `at`?  Appends to msg. */
static bool valid_at(X509 *x, int64_t at, const char *role, char *msg, size_t size)
{
    int64_t nb = 0, na = 0;
    char b[32], a[32];
    size_t used = strlen(msg);
    dx_pa_asn1_time_iso(X509_get0_notBefore(x), b);
    dx_pa_asn1_time_iso(X509_get0_notAfter(x), a);
    if (!dx_pa_asn1_time_unix(X509_get0_notBefore(x), &nb) ||
        !dx_pa_asn1_time_unix(X509_get0_notAfter(x), &na)) {
        snprintf(msg + used, size - used, "%s%s: validity is not readable", used ? "; " : "",
                 role);
        return false;
    }
    if (at < nb) {
        snprintf(msg + used, size - used, "%s%s not yet valid (from %s)", used ? "; " : "",
                 role, b);
        return false;
    }
    if (at > na) {
        snprintf(msg + used, size - used, "%s%s expired (on %s)", used ? "; " : "", role, a);
        return false;
    }
    snprintf(msg + used, size - used, "%s%s valid %s to %s", used ? "; " : "", role, b, a);
    return true;
}

/* 9303 Part 12 §7.1.1: a Master List or Deviation List Signer carries its
 * extendedKeyUsage; a DS does not. */
static const char *signer_role(X509 *x)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    const char *role = NULL;
    char oid[64];
    for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++) {
        OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku, i), 1);
        if (!strcmp(oid, "2.23.136.1.1.3"))
            role = "Master List Signer (2.23.136.1.1.3)";
        else if (!strcmp(oid, "2.23.136.1.1.8"))
            role = "Deviation List Signer (2.23.136.1.1.8)";
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    ERR_clear_error();
    return role;
}

static void not_checked_all(dx_pa_report *out, const char *why)
{
    dx_pa_step *steps[] = {&out->signature, &out->message_digest, &out->chain, &out->validity,
                           &out->key_usage, &out->crl, &out->dg_hashes};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (!steps[i]->detail[0])
            step(steps[i], DX_PA_NOT_CHECKED, "not checked: %s", why);
}

/* The DG table: every DG of the SOD or read, by number (Part 11 §5.1.1
 * step 3). */
static void check_dgs(const dx_pa_sod *s, const dx_pa_dg *dgs, size_t n_dgs, dx_pa_report *out)
{
    EVP_MD *md = s ? EVP_MD_fetch(NULL, hash_fetch_name(s->lso.hash_nid), NULL) : NULL;
    size_t passed = 0, failed = 0, not_read = 0, extra = 0, n_read = 0;
    char fails[256] = "", why[160];

    out->n_dgs = 0;
    for (int n = 1; n <= DX_PA_MAX_DG; n++) {
        const dx_pa_dg *rd = NULL;
        int si = -1;
        for (size_t i = 0; i < n_dgs; i++)
            if (dgs[i].number == n)
                rd = &dgs[i];
        if (s)
            for (size_t i = 0; i < s->lso.n_dg; i++)
                if (s->lso.dg[i].number == n)
                    si = (int)i;
        if (!rd && si < 0)
            continue;
        dx_pa_dg_result *d = &out->dgs[out->n_dgs++];
        memset(d, 0, sizeof *d);
        d->number = n;
        d->in_sod = si >= 0;
        d->read = rd != NULL;
        if (si >= 0)
            dx_pa_hex(s->lso.dg[si].hash, s->lso.hash_len, d->expected);
        if (rd)
            n_read++;
        if (!s) {
            d->result = DX_PA_NOT_CHECKED;
            snprintf(d->detail, sizeof d->detail, "not checked: no SOD to compare with");
            continue;
        }
        if (rd && md) {
            uint8_t h[EVP_MAX_MD_SIZE];
            unsigned hl = 0;
            if (EVP_Digest(rd->data ? rd->data : (const uint8_t *)"", rd->len, h, &hl, md,
                           NULL) == 1)
                dx_pa_hex(h, hl, d->computed);
            else
                snprintf(d->detail, sizeof d->detail, "%.24s failed: %.120s", s->lso.hash_name,
                         dx_pa_ossl_why(why, sizeof why));
        }
        if (!rd) {
            d->result = DX_PA_NOT_READ;
            snprintf(d->detail, sizeof d->detail, "in the SOD, not read");
            not_read++;
        } else if (si < 0) {
            d->result = DX_PA_FAILED;
            snprintf(d->detail, sizeof d->detail, "read from the chip, but the SOD has no hash "
                     "for DG%d", n);
            extra++;
            failed++;
        } else if (!d->computed[0]) {
            d->result = DX_PA_FAILED;
            failed++;
        } else if (strcmp(d->expected, d->computed) == 0) {
            d->result = DX_PA_PASSED;
            snprintf(d->detail, sizeof d->detail, "%s matches the SOD", s->lso.hash_name);
            passed++;
        } else {
            d->result = DX_PA_FAILED;
            snprintf(d->detail, sizeof d->detail, "%s of the DG read differs from the SOD's",
                     s->lso.hash_name);
            failed++;
        }
        if (d->result == DX_PA_FAILED) {
            size_t u = strlen(fails);
            snprintf(fails + u, sizeof fails - u, "%sDG%d", u ? ", " : "", n);
        }
    }
    EVP_MD_free(md);
    if (!s)
        return;
    if (failed)
        step(&out->dg_hashes, DX_PA_FAILED, "%zu of %zu data groups read failed (%s): %zu "
             "hash mismatch%s, %zu not in the SOD; %zu in the SOD not read", failed, n_read,
             fails, failed - extra, failed - extra == 1 ? "" : "es", extra, not_read);
    else if (!n_read)
        step(&out->dg_hashes, DX_PA_NOT_CHECKED, "not checked: no data group was read (%zu in "
             "the SOD)", s->lso.n_dg);
    else
        step(&out->dg_hashes, DX_PA_PASSED, "%zu data group%s read, each matches its %s in the "
             "SOD; %zu in the SOD not read", passed, passed == 1 ? "" : "s", s->lso.hash_name,
             not_read);
}

static void check_crl(const dx_trust_store *ts, X509 *ds, X509 *issuer, int64_t at,
                      dx_pa_report *out)
{
    const char *src = NULL;
    X509_CRL *crl = dx_trust_store_find_crl(ts, issuer, &src);
    X509_REVOKED *rev = NULL;
    char num[64], upd[32], next[32], subj[256];
    int64_t nu = 0;

    dx_pa_name_str(X509_get_subject_name(issuer), subj, sizeof subj);
    if (!crl) {
        step(&out->crl, DX_PA_NOT_CHECKED, "not checked: the trust store has no CRL from %s",
             subj);
        return;
    }
    crl_number(crl, num, sizeof num);
    dx_pa_asn1_time_iso(X509_CRL_get0_lastUpdate(crl), upd);
    dx_pa_asn1_time_iso(X509_CRL_get0_nextUpdate(crl), next);
    if (X509_CRL_get0_by_cert(crl, &rev, ds) == 1 && rev) {
        char when[32];
        ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
        long rc = reason ? ASN1_ENUMERATED_get(reason) : 0;
        dx_pa_asn1_time_iso(X509_REVOKED_get0_revocationDate(rev), when);
        step(&out->crl, DX_PA_FAILED, "the DS certificate is revoked since %s (%s) on CRL "
             "number %s of %s (issued %s, file %s)", when, reason ? crl_reason_name(rc)
             : "no reason given", num, subj, upd, src ? src : "?");
        ASN1_ENUMERATED_free(reason);
    } else if (X509_CRL_get0_nextUpdate(crl) &&
               dx_pa_asn1_time_unix(X509_CRL_get0_nextUpdate(crl), &nu) && nu < at) {
        step(&out->crl, DX_PA_NOT_CHECKED, "not checked: the DS is not on CRL number %s of %s "
             "(file %s), but that CRL's nextUpdate %s is before the time of the check: a "
             "newer CRL is needed", num, subj, src ? src : "?", next);
    } else {
        step(&out->crl, DX_PA_PASSED, "not revoked: not on CRL number %s of %s (issued %s, "
             "next update %s, file %s)", num, subj, upd, next[0] ? next : "none",
             src ? src : "?");
    }
    ERR_clear_error();
}

static void overall(dx_pa_report *out)
{
    struct { const char *name; const dx_pa_step *s; } st[] = {
        {"parse", &out->parse},       {"signature", &out->signature},
        {"message_digest", &out->message_digest}, {"chain", &out->chain},
        {"validity", &out->validity}, {"key_usage", &out->key_usage},
        {"crl", &out->crl},           {"dg_hashes", &out->dg_hashes}};
    char failed[256] = "", unchecked[256] = "";
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        char *buf = NULL;
        if (st[i].s->result == DX_PA_FAILED)
            buf = failed;
        else if (st[i].s->result != DX_PA_PASSED)
            buf = unchecked;
        if (buf) {
            size_t u = strlen(buf);
            snprintf(buf + u, 256 - u, "%s%s", u ? ", " : "", st[i].name);
        }
    }
    if (failed[0]) {
        out->overall = DX_PA_FAILED;
        snprintf(out->overall_detail, sizeof out->overall_detail, "failed: %.240s%s%.240s", failed,
                 unchecked[0] ? "; not checked: " : "", unchecked);
        return;
    }
    /* everything needed passed; only the CRL may be unchecked */
    bool only_crl = !unchecked[0] || strcmp(unchecked, "crl") == 0;
    if (only_crl) {
        out->overall = DX_PA_PASSED;
        snprintf(out->overall_detail, sizeof out->overall_detail, "passed%s",
                 unchecked[0] ? " (revocation not checked: no current CRL)" : "");
    } else {
        out->overall = DX_PA_NOT_CHECKED;
        snprintf(out->overall_detail, sizeof out->overall_detail, "not checked: %s", unchecked);
    }
}

/* 9303 Part 11 §5.1: passive authentication. */
dx_status dx_pa_verify(const uint8_t *sod, size_t sod_len, const dx_pa_dg *dgs, size_t n_dgs,
                       const dx_trust_store *ts, int64_t at_unix, dx_pa_report *out,
                       dx_error *err)
{
    dx_pa_sod *s = NULL;
    dx_error e = {0};
    dx_status st;
    dx_pa_signer_check chk;
    STACK_OF(X509) *chain = NULL;
    char why[512];

    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "passive authentication: no report");
    memset(out, 0, sizeof *out);
    out->at = at_unix ? at_unix : (int64_t)time(NULL);
    dx_pa_unix_iso(out->at, out->at_iso);
    if (!sod || sod_len == 0 || (n_dgs && !dgs)) {
        step(&out->parse, DX_PA_FAILED, "no EF.SOD given");
        not_checked_all(out, "no EF.SOD");
        out->overall = DX_PA_FAILED;
        snprintf(out->overall_detail, sizeof out->overall_detail, "failed: no EF.SOD");
        return dx_error_set(err, DX_ERR_INVALID_ARG, "passive authentication: %s",
                            !sod || !sod_len ? "no EF.SOD" : "data groups NULL");
    }
    for (size_t i = 0; i < n_dgs; i++) {
        if (dgs[i].number < 1 || dgs[i].number > DX_PA_MAX_DG || (dgs[i].len && !dgs[i].data))
            return dx_error_set(err, DX_ERR_INVALID_ARG, "passive authentication: data group "
                                "%zu: number %d (1..16) or no data", i, dgs[i].number);
        for (size_t j = 0; j < i; j++)
            if (dgs[j].number == dgs[i].number)
                return dx_error_set(err, DX_ERR_INVALID_ARG, "passive authentication: DG%d "
                                    "given twice", dgs[i].number);
    }

    /* 1. EF.SOD's structure */
    if ((st = dx_pa_sod_parse(sod, sod_len, &s, &e)) != DX_OK) {
        step(&out->parse, DX_PA_FAILED, "%s", e.message);
        not_checked_all(out, "EF.SOD could not be parsed");
        check_dgs(NULL, dgs, n_dgs, out);
        overall(out);
        dx_log(DX_CAT_PA, DX_LOG_INFO, "%s", e.message);
        if (err)
            *err = e;
        return st;
    }
    step(&out->parse, DX_PA_PASSED, "77 { SignedData }, eContentType ldsSecurityObject, "
         "LDSSecurityObject V%u with %zu %s hashes%s; %zu SignerInfo%s%s", (unsigned)s->lso.version,
         s->lso.n_dg, s->lso.hash_name, s->lso.has_version_info ? " and ldsVersionInfo" : "",
         s->n_signers, s->n_signers == 1 ? "" : "s (9303 recommends one; the first is checked)",
         s->ds ? ", the DS certificate included" : ", no DS certificate");
    out->lso_version = s->lso.version;
    snprintf(out->hash_algorithm, sizeof out->hash_algorithm, "%s", s->lso.hash_name);
    snprintf(out->lds_version, sizeof out->lds_version, "%s", s->lso.lds_version);
    snprintf(out->unicode_version, sizeof out->unicode_version, "%s", s->lso.unicode_version);
    if (s->has_signing_time)
        snprintf(out->signing_time, sizeof out->signing_time, "%s", s->signing_time_iso);
    dx_pa_cert_info_fill(s->ds, &out->ds);

    /* 2. the signature over the signed attributes, the messageDigest */
    dx_pa_signer_verify(s->cms, s->si, s->ds, s->econtent, s->econtent_len, &chk);
    snprintf(out->digest_algorithm, sizeof out->digest_algorithm, "%s", chk.digest_alg);
    snprintf(out->signature_algorithm, sizeof out->signature_algorithm, "%s",
             chk.signature_alg);
    step(&out->message_digest, chk.digest, "%s", chk.digest_detail);
    if (!s->ds)
        step(&out->signature, DX_PA_FAILED, "the SignedData carries no certificate that the "
             "SignerInfo names: the DS certificate is needed to verify (9303 Part 10 §4.6.2.2)");
    else
        step(&out->signature, chk.signature, "%s", chk.signature_detail);

    /* 3. DS -> CSCA; validity; key usage */
    if (!s->ds) {
        step(&out->chain, DX_PA_FAILED, "no DS certificate");
        step(&out->validity, DX_PA_NOT_CHECKED, "not checked: no DS certificate");
        step(&out->key_usage, DX_PA_NOT_CHECKED, "not checked: no DS certificate");
        step(&out->crl, DX_PA_NOT_CHECKED, "not checked: no DS certificate");
    } else {
        X509 *anchor = NULL, *issuer = NULL;
        char msg[sizeof out->validity.detail] = "";
        bool ok = true;
        if (!ts) {
            step(&out->chain, DX_PA_NOT_CHECKED, "not checked: no trust store");
        } else if (!dx_trust_store_verify_cert(ts, s->ds, s->certs, false, 0, &chain, why,
                                               sizeof why)) {
            step(&out->chain, DX_PA_FAILED, "the DS certificate does not chain to a CSCA of "
                 "the trust store: %s", why);
        } else if (sk_X509_num(chain) < 2) {
            step(&out->chain, DX_PA_FAILED, "the SOD is signed with a trust anchor's own "
                 "certificate, not by a Document Signer (9303 Part 12 §5)");
        } else {
            const char *src;
            anchor = sk_X509_value(chain, sk_X509_num(chain) - 1);
            issuer = sk_X509_value(chain, 1);
            src = dx_trust_store_source_of(ts, anchor);
            dx_pa_cert_info_fill(anchor, &out->csca);
            snprintf(out->csca.source, sizeof out->csca.source, "%s", src ? src : "");
            step(&out->chain, DX_PA_PASSED, "the DS certificate chains to the CSCA %s "
                 "(serial %s, from %s)%s", out->csca.subject, out->csca.serial,
                 src ? src : "the trust store",
                 sk_X509_num(chain) > 2 ? " through a certificate the SOD carries" : "");
        }
        ok = valid_at(s->ds, out->at, "DS", msg, sizeof msg);
        if (chain)
            for (int i = 1; i < sk_X509_num(chain); i++)
                ok = valid_at(sk_X509_value(chain, i), out->at,
                              i == sk_X509_num(chain) - 1 ? "CSCA" : "link certificate", msg,
                              sizeof msg) && ok;
        if (s->has_signing_time) {
            int64_t nb = 0, na = 0;
            size_t u = strlen(msg);
            bool in = dx_pa_asn1_time_unix(X509_get0_notBefore(s->ds), &nb) &&
                      dx_pa_asn1_time_unix(X509_get0_notAfter(s->ds), &na) &&
                      s->signing_time >= nb && s->signing_time <= na;
            snprintf(msg + u, sizeof msg - u, "; signingTime %s %s", s->signing_time_iso,
                     in ? "within the DS validity" : "OUTSIDE the DS validity");
        }
        if (!ok)
            step(&out->validity, DX_PA_FAILED, "at %s: %s", out->at_iso, msg);
        else if (!chain)
            step(&out->validity, DX_PA_NOT_CHECKED, "at %s: %s; the CSCA not checked (no "
                 "chain)", out->at_iso, msg);
        else
            step(&out->validity, DX_PA_PASSED, "at %s: %s", out->at_iso, msg);

        /* 9303 Part 12 §7.1.1: DS keyUsage digitalSignature (critical), not a
         * CA, not a list signer */
        uint32_t ku = X509_get_key_usage(s->ds);
        int kx = X509_get_ext_by_NID(s->ds, NID_key_usage, -1);
        bool critical = kx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(s->ds, kx));
        const char *role = signer_role(s->ds);
        if (X509_check_ca(s->ds) != 0)
            step(&out->key_usage, DX_PA_FAILED, "the DS certificate is a CA certificate "
                 "(basicConstraints CA or keyCertSign)");
        else if (role)
            step(&out->key_usage, DX_PA_FAILED, "the signer's extendedKeyUsage makes it a %s, "
                 "not a Document Signer", role);
        else if (kx < 0)
            step(&out->key_usage, DX_PA_FAILED, "the DS certificate has no keyUsage extension "
                 "(9303 Part 12 requires digitalSignature)");
        else if (!(ku & KU_DIGITAL_SIGNATURE))
            step(&out->key_usage, DX_PA_FAILED, "the DS certificate's keyUsage lacks "
                 "digitalSignature (0x%X)", (unsigned)ku);
        else
            step(&out->key_usage, DX_PA_PASSED, "keyUsage digitalSignature%s",
                 critical ? " (critical)" : " (not marked critical as 9303 Part 12 asks)");
        ERR_clear_error();

        /* 4. revocation (Part 11 §5.1.1, Part 12 §7.1.4) */
        if (!ts)
            step(&out->crl, DX_PA_NOT_CHECKED, "not checked: no trust store");
        else if (!issuer)
            step(&out->crl, DX_PA_NOT_CHECKED, "not checked: the DS does not chain to a CSCA "
                 "of the trust store");
        else
            check_crl(ts, s->ds, issuer, out->at, out);
    }

    /* 5. the data groups */
    check_dgs(s, dgs, n_dgs, out);
    overall(out);
    dx_log(DX_CAT_PA, DX_LOG_DEBUG, "passive authentication: %s", out->overall_detail);
    sk_X509_pop_free(chain, X509_free);
    dx_pa_sod_free(s);
    ERR_clear_error();
    return DX_OK;
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *step_json(const dx_pa_step *s)
{
    return json_pack("{s:s, s:o}", "result", dx_pa_result_name(s->result), "detail",
                     dx_pa_json_str(s->detail));
}

static json_t *str_or_null(const char *s)
{
    return s && s[0] ? dx_pa_json_str(s) : json_null();
}

static json_t *cert_json(const dx_pa_cert_info *c, bool with_source)
{
    json_t *j;
    if (!c->present)
        return json_null();
    j = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "subject", dx_pa_json_str(c->subject),
                  "issuer", dx_pa_json_str(c->issuer), "serial", dx_pa_json_str(c->serial),
                  "not_before", str_or_null(c->not_before), "not_after",
                  str_or_null(c->not_after), "sha256", dx_pa_json_str(c->sha256));
    if (j && with_source)
        json_object_set_new(j, "source", str_or_null(c->source));
    return j;
}

json_t *dx_pa_report_to_json(const dx_pa_report *r)
{
    json_t *root, *steps, *sod, *dgs;
    if (!r)
        return NULL;
    steps = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "parse", step_json(&r->parse),
                      "signature", step_json(&r->signature), "message_digest",
                      step_json(&r->message_digest), "chain", step_json(&r->chain),
                      "validity", step_json(&r->validity), "key_usage",
                      step_json(&r->key_usage), "crl", step_json(&r->crl), "dg_hashes",
                      step_json(&r->dg_hashes));
    sod = json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "lds_security_object_version",
                    (json_int_t)r->lso_version, "hash_algorithm", str_or_null(r->hash_algorithm),
                    "digest_algorithm", str_or_null(r->digest_algorithm),
                    "signature_algorithm", str_or_null(r->signature_algorithm),
                    "lds_version", str_or_null(r->lds_version), "unicode_version",
                    str_or_null(r->unicode_version), "signing_time",
                    str_or_null(r->signing_time));
    dgs = json_array();
    for (size_t i = 0; dgs && i < r->n_dgs; i++) {
        const dx_pa_dg_result *d = &r->dgs[i];
        json_array_append_new(dgs, json_pack("{s:i, s:s, s:b, s:b, s:o, s:o, s:o}", "dg",
                                             d->number, "result", dx_pa_result_name(d->result),
                                             "in_sod", d->in_sod, "read", d->read, "expected",
                                             str_or_null(d->expected), "computed",
                                             str_or_null(d->computed), "detail",
                                             dx_pa_json_str(d->detail)));
    }
    root = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "result",
                     dx_pa_result_name(r->overall), "detail", dx_pa_json_str(r->overall_detail),
                     "at", str_or_null(r->at_iso), "steps", steps ? steps : json_null(), "sod",
                     sod ? sod : json_null(), "ds", cert_json(&r->ds, false), "csca",
                     cert_json(&r->csca, true), "data_groups", dgs ? dgs : json_null());
    return root;
}
