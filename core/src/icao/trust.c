/* The trust store of passive authentication: CSCAs, master lists, CRLs
 * (ICAO 9303 Part 12 §5-§9).  See trust.h for what a master list is worth. */
#include "icao/trust.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "icao/pa.h"
#include "icao/tlv.h"

#define DX_CAT_TRUST "trust"
/* The largest file read: master lists of every State are a few MB. */
#define TRUST_MAX_FILE (64u << 20)

typedef struct anchor {
    X509 *cert;
    char source[256];
    bool from_list;             /* came from a master list (not a certificate file) */
} anchor;

typedef struct crl_entry {
    X509_CRL *crl;
    char source[256];
} crl_entry;

struct dx_trust_store {
    X509_STORE *store;          /* the anchors, for X509_STORE_CTX */
    anchor *anchors;
    size_t n_anchors, cap_anchors;
    crl_entry *crls;
    size_t n_crls, cap_crls;
    dx_trust_ml *mls;
    size_t n_mls, cap_mls;
    dx_trust_note *notes;
    size_t n_notes, cap_notes;
};

/* What a file held, before it joins the store. */
typedef enum item_kind { ITEM_CERT, ITEM_CRL, ITEM_ML } item_kind;
typedef struct item {
    item_kind kind;
    X509 *cert;
    X509_CRL *crl;
    uint8_t *der;               /* ITEM_ML: the CMS ContentInfo */
    size_t der_len;
    char file[256];
} item;
typedef struct items {
    item *v;
    size_t n, cap;
} items;

static bool grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 8;
    void *q = realloc(*p, nc * elem);
    if (!q)
        return false;
    *p = q;
    *cap = nc;
    return true;
}

/* snprintf that may cut the text short (messages built from messages). */
static void setf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void setf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

static void note(dx_trust_store *ts, const char *file, bool skipped, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(dx_trust_store *ts, const char *file, bool skipped, const char *fmt, ...)
{
    dx_trust_note *n;
    va_list ap;
    if (!grow((void **)&ts->notes, &ts->cap_notes, ts->n_notes, sizeof *ts->notes))
        return;
    n = &ts->notes[ts->n_notes++];
    memset(n, 0, sizeof *n);
    snprintf(n->file, sizeof n->file, "%s", file);
    n->skipped = skipped;
    va_start(ap, fmt);
    vsnprintf(n->text, sizeof n->text, fmt, ap);
    va_end(ap);
    dx_log(DX_CAT_TRUST, skipped ? DX_LOG_INFO : DX_LOG_DEBUG, "%s: %s%s", n->file,
           skipped ? "skipped: " : "", n->text);
}

static void items_free(items *it)
{
    for (size_t i = 0; i < it->n; i++) {
        X509_free(it->v[i].cert);
        X509_CRL_free(it->v[i].crl);
        free(it->v[i].der);
    }
    free(it->v);
    memset(it, 0, sizeof *it);
}

static item *items_add(items *it, item_kind k, const char *file)
{
    if (!grow((void **)&it->v, &it->cap, it->n, sizeof *it->v))
        return NULL;
    item *x = &it->v[it->n++];
    memset(x, 0, sizeof *x);
    x->kind = k;
    snprintf(x->file, sizeof x->file, "%s", file);
    return x;
}

dx_status dx_trust_store_new(dx_trust_store **out, dx_error *err)
{
    dx_trust_store *ts = calloc(1, sizeof *ts);
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "trust store: no output");
    *out = NULL;
    if (!ts || !(ts->store = X509_STORE_new())) {
        free(ts);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "trust store: out of memory");
    }
    *out = ts;
    return DX_OK;
}

void dx_trust_store_free(dx_trust_store *ts)
{
    if (!ts)
        return;
    X509_STORE_free(ts->store);
    for (size_t i = 0; i < ts->n_anchors; i++)
        X509_free(ts->anchors[i].cert);
    for (size_t i = 0; i < ts->n_crls; i++)
        X509_CRL_free(ts->crls[i].crl);
    free(ts->anchors);
    free(ts->crls);
    free(ts->mls);
    free(ts->notes);
    free(ts);
}

size_t dx_trust_store_csca_count(const dx_trust_store *ts)
{
    return ts ? ts->n_anchors : 0;
}

X509 *dx_trust_store_csca_at(const dx_trust_store *ts, size_t i, const char **source)
{
    if (!ts || i >= ts->n_anchors)
        return NULL;
    if (source)
        *source = ts->anchors[i].source;
    return ts->anchors[i].cert;
}

size_t dx_trust_store_crl_count(const dx_trust_store *ts)
{
    return ts ? ts->n_crls : 0;
}

X509_CRL *dx_trust_store_crl_at(const dx_trust_store *ts, size_t i, const char **source)
{
    if (!ts || i >= ts->n_crls)
        return NULL;
    if (source)
        *source = ts->crls[i].source;
    return ts->crls[i].crl;
}

size_t dx_trust_store_ml_count(const dx_trust_store *ts)
{
    return ts ? ts->n_mls : 0;
}

const dx_trust_ml *dx_trust_store_ml_at(const dx_trust_store *ts, size_t i)
{
    return ts && i < ts->n_mls ? &ts->mls[i] : NULL;
}

size_t dx_trust_store_note_count(const dx_trust_store *ts)
{
    return ts ? ts->n_notes : 0;
}

const dx_trust_note *dx_trust_store_note_at(const dx_trust_store *ts, size_t i)
{
    return ts && i < ts->n_notes ? &ts->notes[i] : NULL;
}

const char *dx_trust_store_source_of(const dx_trust_store *ts, X509 *cert)
{
    for (size_t i = 0; ts && cert && i < ts->n_anchors; i++)
        if (X509_cmp(ts->anchors[i].cert, cert) == 0)
            return ts->anchors[i].source;
    return NULL;
}

/* ---- chains -------------------------------------------------------------- */

static bool verify_with(X509_STORE *st, X509 *leaf, STACK_OF(X509) *untrusted, bool check_time,
                        int64_t at, STACK_OF(X509) **chain, char *why, size_t why_size)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_VERIFY_PARAM *vp;
    unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
    bool ok = false;

    if (chain)
        *chain = NULL;
    if (!ctx || X509_STORE_CTX_init(ctx, st, leaf, untrusted) != 1) {
        snprintf(why, why_size, "out of memory");
        goto done;
    }
    vp = X509_STORE_CTX_get0_param(ctx);
    if (check_time)
        X509_VERIFY_PARAM_set_time(vp, (time_t)at);
    else
        flags |= X509_V_FLAG_NO_CHECK_TIME;
    X509_VERIFY_PARAM_set_flags(vp, flags);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
    if (X509_verify_cert(ctx) == 1) {
        ok = true;
        if (chain)
            *chain = X509_STORE_CTX_get1_chain(ctx);
    } else {
        int e = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
        X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
        char subj[200] = "";
        if (cur)
            dx_pa_name_str(X509_get_subject_name(cur), subj, sizeof subj);
        snprintf(why, why_size, "%s (depth %d%s%s)", X509_verify_cert_error_string(e), depth,
                 subj[0] ? ": " : "", subj);
    }
done:
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* Part 11 §5.1.1: DS (or MLS) -> an anchor of the store. */
bool dx_trust_store_verify_cert(const dx_trust_store *ts, X509 *leaf, STACK_OF(X509) *untrusted,
                                bool check_time, int64_t at_unix, STACK_OF(X509) **chain,
                                char *why, size_t why_size)
{
    if (chain)
        *chain = NULL;
    if (!ts || !leaf) {
        snprintf(why, why_size, "no %s", ts ? "certificate" : "trust store");
        return false;
    }
    if (ts->n_anchors == 0) {
        snprintf(why, why_size, "the trust store holds no CSCA");
        return false;
    }
    return verify_with(ts->store, leaf, untrusted, check_time, at_unix, chain, why, why_size);
}

/* ---- CRLs ---------------------------------------------------------------- */

static bool crl_issued_by(X509_CRL *crl, X509 *issuer)
{
    EVP_PKEY *k = X509_get0_pubkey(issuer);
    bool ok = k && X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) == 0 &&
              X509_CRL_verify(crl, k) == 1;
    ERR_clear_error();
    return ok;
}

/* Is a newer than b?  cRLNumber when both have one, else thisUpdate. */
static bool crl_newer(X509_CRL *a, X509_CRL *b)
{
    ASN1_INTEGER *na = X509_CRL_get_ext_d2i(a, NID_crl_number, NULL, NULL);
    ASN1_INTEGER *nb = X509_CRL_get_ext_d2i(b, NID_crl_number, NULL, NULL);
    bool newer;
    if (na && nb)
        newer = ASN1_INTEGER_cmp(na, nb) > 0;
    else
        newer = ASN1_TIME_compare(X509_CRL_get0_lastUpdate(a), X509_CRL_get0_lastUpdate(b)) > 0;
    ASN1_INTEGER_free(na);
    ASN1_INTEGER_free(nb);
    ERR_clear_error();
    return newer;
}

/* Part 12 §7.1.4: the newest full CRL of `issuer`. */
X509_CRL *dx_trust_store_find_crl(const dx_trust_store *ts, X509 *issuer, const char **source)
{
    X509_CRL *best = NULL;
    const char *src = NULL;
    for (size_t i = 0; ts && issuer && i < ts->n_crls; i++) {
        X509_CRL *c = ts->crls[i].crl;
        if (X509_CRL_get_ext_by_NID(c, NID_delta_crl, -1) >= 0 || !crl_issued_by(c, issuer))
            continue;
        if (!best || crl_newer(c, best)) {
            best = c;
            src = ts->crls[i].source;
        }
    }
    if (source)
        *source = src;
    return best;
}

/* ---- reading files ------------------------------------------------------- */

/* d2i on exactly len bytes. */
static X509 *cert_der(const uint8_t *d, size_t len)
{
    const unsigned char *p = d;
    X509 *x = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
    if (x && (size_t)(p - d) != len) {
        X509_free(x);
        x = NULL;
    }
    ERR_clear_error();
    return x;
}

static X509_CRL *crl_der(const uint8_t *d, size_t len)
{
    const unsigned char *p = d;
    X509_CRL *c = len <= LONG_MAX ? d2i_X509_CRL(NULL, &p, (long)len) : NULL;
    if (c && (size_t)(p - d) != len) {
        X509_CRL_free(c);
        c = NULL;
    }
    ERR_clear_error();
    return c;
}

static bool cms_der(const uint8_t *d, size_t len)
{
    const unsigned char *p = d;
    CMS_ContentInfo *c = len <= LONG_MAX ? d2i_CMS_ContentInfo(NULL, &p, (long)len) : NULL;
    bool ok = c && (size_t)(p - d) == len;
    CMS_ContentInfo_free(c);
    ERR_clear_error();
    return ok;
}

static bool add_ml_item(items *it, const char *file, const uint8_t *d, size_t len)
{
    item *x = items_add(it, ITEM_ML, file);
    if (!x || !(x->der = malloc(len)))
        return false;
    memcpy(x->der, d, len);
    x->der_len = len;
    return true;
}

/* One DER object: certificate, CRL or CMS ContentInfo. */
static size_t parse_der(dx_trust_store *ts, const char *file, const uint8_t *d, size_t len,
                        items *it)
{
    X509 *x;
    X509_CRL *c;
    item *i;
    if ((x = cert_der(d, len))) {
        if (!(i = items_add(it, ITEM_CERT, file))) {
            X509_free(x);
            return 0;
        }
        i->cert = x;
        return 1;
    }
    if ((c = crl_der(d, len))) {
        if (!(i = items_add(it, ITEM_CRL, file))) {
            X509_CRL_free(c);
            return 0;
        }
        i->crl = c;
        return 1;
    }
    if (cms_der(d, len))
        return add_ml_item(it, file, d, len) ? 1 : 0;
    (void)ts;
    return 0;
}

static bool has_pem(const uint8_t *d, size_t len)
{
    static const char b[] = "-----BEGIN ";
    for (size_t i = 0; i + sizeof b - 1 <= len; i++)
        if (d[i] == '-' && memcmp(d + i, b, sizeof b - 1) == 0)
            return true;
    return false;
}

/* Every PEM block: certificates, CRLs, CMS; keys and the rest are noted. */
static size_t parse_pem(dx_trust_store *ts, const char *file, const uint8_t *d, size_t len,
                        items *it)
{
    BIO *b = len <= INT_MAX ? BIO_new_mem_buf(d, (int)len) : NULL;
    size_t found = 0, blocks = 0;
    if (!b) {
        note(ts, file, true, "too large or out of memory");
        return 0;
    }
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;
        if (PEM_read_bio(b, &name, &header, &data, &dlen) != 1) {
            unsigned long e = ERR_peek_last_error();
            if (!(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
                char why[160];
                note(ts, file, true, "PEM block %zu is malformed: %s", blocks + 1,
                     dx_pa_ossl_why(why, sizeof why));
            }
            ERR_clear_error();
            break;
        }
        blocks++;
        if (!strcmp(name, "CERTIFICATE") || !strcmp(name, "X509 CERTIFICATE")) {
            X509 *x = cert_der(data, (size_t)dlen);
            item *i = x ? items_add(it, ITEM_CERT, file) : NULL;
            if (i) {
                i->cert = x;
                found++;
            } else {
                X509_free(x);
                note(ts, file, true, "PEM block %zu (%s) is not a valid certificate", blocks,
                     name);
            }
        } else if (!strcmp(name, "X509 CRL")) {
            X509_CRL *c = crl_der(data, (size_t)dlen);
            item *i = c ? items_add(it, ITEM_CRL, file) : NULL;
            if (i) {
                i->crl = c;
                found++;
            } else {
                X509_CRL_free(c);
                note(ts, file, true, "PEM block %zu (X509 CRL) is not a valid CRL", blocks);
            }
        } else if (!strcmp(name, "CMS") || !strcmp(name, "PKCS7")) {
            if (add_ml_item(it, file, data, (size_t)dlen))
                found++;
        } else if (strstr(name, "PRIVATE KEY")) {
            note(ts, file, true, "PEM block %zu is a private key: ignored (a trust store needs "
                 "none; keep keys out of it)", blocks);
        } else {
            note(ts, file, true, "PEM block %zu (%.60s) ignored", blocks, name);
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
    }
    BIO_free(b);
    if (!blocks)
        note(ts, file, true, "no PEM block");
    return found;
}

static size_t parse_bytes(dx_trust_store *ts, const char *file, const uint8_t *d, size_t len,
                          items *it)
{
    if (len == 0) {
        note(ts, file, true, "empty file");
        return 0;
    }
    /* DER starts with a SEQUENCE; PEM has a BEGIN line (after any text) */
    if (d[0] == 0x30) {
        size_t n = parse_der(ts, file, d, len, it);
        if (n)
            return n;
    }
    if (has_pem(d, len))
        return parse_pem(ts, file, d, len, it);
    note(ts, file, true, "not a DER certificate, CRL or CMS master list, nor PEM");
    return 0;
}

/* ---- joining the store --------------------------------------------------- */

/* A CA certificate becomes an anchor; false (and why) otherwise. */
static bool add_anchor(dx_trust_store *ts, X509 *x, const char *source, bool from_list,
                       char *why, size_t why_size)
{
    for (size_t i = 0; i < ts->n_anchors; i++)
        if (X509_cmp(ts->anchors[i].cert, x) == 0) {
            snprintf(why, why_size, "already in the store (from %s)", ts->anchors[i].source);
            return false;
        }
    if (X509_check_ca(x) == 0) {
        snprintf(why, why_size, "not a CA certificate (no basicConstraints CA, no keyUsage "
                 "keyCertSign): a Document Signer or Master List Signer is not a trust anchor");
        ERR_clear_error();
        return false;
    }
    if (!grow((void **)&ts->anchors, &ts->cap_anchors, ts->n_anchors, sizeof *ts->anchors) ||
        X509_STORE_add_cert(ts->store, x) != 1 || !X509_up_ref(x)) {
        snprintf(why, why_size, "cannot be added: out of memory");
        ERR_clear_error();
        return false;
    }
    anchor *a = &ts->anchors[ts->n_anchors++];
    a->cert = x;
    a->from_list = from_list;
    snprintf(a->source, sizeof a->source, "%s", source);
    return true;
}

static bool has_mls_eku(X509 *x)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    ASN1_OBJECT *want = OBJ_txt2obj(DX_TRUST_OID_MLS_EKU, 1);
    bool ok = false;
    for (int i = 0; eku && want && i < sk_ASN1_OBJECT_num(eku); i++)
        if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0)
            ok = true;
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    ASN1_OBJECT_free(want);
    ERR_clear_error();
    return ok;
}

/* CscaMasterList ::= SEQUENCE { version CscaMasterListVersion (v0),
 * certList SET OF Certificate } (9303 Part 12 §9). */
static dx_status parse_master_list(const uint8_t *d, size_t len, STACK_OF(X509) **out,
                                   size_t *bad, dx_error *err)
{
    dx_tlv_reader top, r, rs;
    dx_tlv seq, ver, set;
    uint32_t v = 0;
    dx_status st;
    STACK_OF(X509) *certs = sk_X509_new_null();

    *out = NULL;
    *bad = 0;
    if (!certs)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "CscaMasterList: out of memory");
    dx_tlv_reader_init(&top, d, len, "CscaMasterList");
    if ((st = dx_tlv_read_expect(&top, 0x30, &seq, err)))
        goto fail;
    if (!dx_tlv_reader_done(&top)) {
        st = dx_error_set(err, DX_ERR_DATA, "CscaMasterList: data after the SEQUENCE");
        goto fail;
    }
    dx_tlv_reader_enter(&r, &top, &seq, "CscaMasterList");
    if ((st = dx_tlv_read_expect(&r, 0x02, &ver, err)) ||
        (st = dx_tlv_get_uint(&ver, &v, "CscaMasterList version", err)))
        goto fail;
    if (v != 0) {
        st = dx_error_set(err, DX_ERR_DATA, "CscaMasterList: version %u (only v0 exists)",
                          (unsigned)v);
        goto fail;
    }
    if ((st = dx_tlv_read_expect(&r, 0x31, &set, err)))
        goto fail;
    if (!dx_tlv_reader_done(&r)) {
        st = dx_error_set(err, DX_ERR_DATA, "CscaMasterList: data after certList");
        goto fail;
    }
    dx_tlv_reader_enter(&rs, &r, &set, "CscaMasterList certList");
    while (!dx_tlv_reader_done(&rs)) {
        dx_tlv c;
        X509 *x;
        if ((st = dx_tlv_read(&rs, &c, err)))
            goto fail;
        if (c.tag != 0x30 || !(x = cert_der(c.raw, c.raw_len))) {
            (*bad)++;
            continue;
        }
        if (!sk_X509_push(certs, x)) {
            X509_free(x);
            st = dx_error_set(err, DX_ERR_NO_MEMORY, "CscaMasterList: out of memory");
            goto fail;
        }
    }
    *out = certs;
    return DX_OK;
fail:
    sk_X509_pop_free(certs, X509_free);
    return st;
}

/* Part 12 §9: verify one master list and add its CSCAs. */
static bool integrate_ml(dx_trust_store *ts, const item *x)
{
    dx_trust_ml rec;
    CMS_ContentInfo *cms = NULL;
    const uint8_t *content = NULL;
    size_t clen = 0, bad = 0;
    STACK_OF(X509) *list = NULL, *cms_certs = NULL, *chain = NULL;
    STACK_OF(CMS_SignerInfo) *sis;
    CMS_SignerInfo *si;
    X509 *signer;
    X509_STORE *st = NULL;
    dx_pa_signer_check chk;
    dx_error e = {0};
    int64_t when = 0;
    char why[400], anchor_subj[256];
    bool ok = false;

    memset(&rec, 0, sizeof rec);
    snprintf(rec.file, sizeof rec.file, "%s", x->file);
    if (dx_pa_signed_data_parse(x->der, x->der_len, DX_TRUST_OID_MASTER_LIST, "master list",
                                &cms, &content, &clen, &e) != DX_OK) {
        snprintf(rec.detail, sizeof rec.detail, "%s", e.message);
        goto done;
    }
    if (parse_master_list(content, clen, &list, &bad, &e) != DX_OK) {
        snprintf(rec.detail, sizeof rec.detail, "%s", e.message);
        goto done;
    }
    rec.n_certs = (size_t)sk_X509_num(list) + bad;
    if (bad)
        note(ts, x->file, false, "%zu entr%s of certList %s not a certificate: left out", bad,
             bad == 1 ? "y" : "ies", bad == 1 ? "is" : "are");
    sis = CMS_get0_SignerInfos(cms);
    if (sk_CMS_SignerInfo_num(sis) <= 0) {
        snprintf(rec.detail, sizeof rec.detail, "the SignedData has no SignerInfo");
        goto done;
    }
    si = sk_CMS_SignerInfo_value(sis, 0);
    if (!(signer = dx_pa_signer_cert(cms, si))) {
        snprintf(rec.detail, sizeof rec.detail, "the SignedData carries no certificate that "
                 "its SignerInfo names (the Master List Signer's)");
        goto done;
    }
    dx_pa_name_str(X509_get_subject_name(signer), rec.signer, sizeof rec.signer);
    {
        dx_pa_cert_info ci;
        dx_pa_cert_info_fill(signer, &ci);
        snprintf(rec.signer_serial, sizeof rec.signer_serial, "%s", ci.serial);
    }
    if (!dx_pa_signing_time(si, &when, rec.signing_time))
        when = (int64_t)time(NULL);

    /* the CMS signature and messageDigest */
    dx_pa_signer_verify(cms, si, signer, content, clen, &chk);
    if (chk.digest != DX_PA_PASSED || chk.signature != DX_PA_PASSED) {
        setf(rec.detail, sizeof rec.detail, "CMS signature: %s",
                 chk.digest != DX_PA_PASSED ? chk.digest_detail : chk.signature_detail);
        goto done;
    }
    if (!has_mls_eku(signer)) {
        snprintf(rec.detail, sizeof rec.detail, "the signer certificate lacks the extended key "
                 "usage id-icao-cscaMasterListSigningKey (%s)", DX_TRUST_OID_MLS_EKU);
        goto done;
    }
    /* the signer -> a CSCA of the list or of the directory's certificate files */
    if (!(st = X509_STORE_new())) {
        snprintf(rec.detail, sizeof rec.detail, "out of memory");
        goto done;
    }
    for (int i = 0; i < sk_X509_num(list); i++)
        if (X509_check_ca(sk_X509_value(list, i)) != 0)
            X509_STORE_add_cert(st, sk_X509_value(list, i));
    for (size_t i = 0; i < ts->n_anchors; i++)
        if (!ts->anchors[i].from_list)
            X509_STORE_add_cert(st, ts->anchors[i].cert);
    ERR_clear_error();
    cms_certs = CMS_get1_certs(cms);
    if (!verify_with(st, signer, cms_certs, true, when, &chain, why, sizeof why)) {
        char at[32];
        dx_pa_unix_iso(when, at);
        setf(rec.detail, sizeof rec.detail, "the signer %s does not chain to a CSCA of "
                 "the list or of the directory at %s: %s", rec.signer, at, why);
        goto done;
    }
    X509 *top = sk_X509_value(chain, sk_X509_num(chain) - 1);
    const char *src = dx_trust_store_source_of(ts, top);
    dx_pa_name_str(X509_get_subject_name(top), anchor_subj, sizeof anchor_subj);

    /* verified: the list's CSCAs join the store */
    for (int i = 0; i < sk_X509_num(list); i++) {
        X509 *c = sk_X509_value(list, i);
        if (add_anchor(ts, c, x->file, true, why, sizeof why)) {
            rec.n_cscas++;
        } else if (!strstr(why, "already")) {
            char subj[200];
            dx_pa_name_str(X509_get_subject_name(c), subj, sizeof subj);
            note(ts, x->file, true, "certList entry %d (%s): %s", i + 1, subj, why);
        }
    }
    rec.verified = true;
    ok = true;
    snprintf(rec.detail, sizeof rec.detail, "CMS signature verified; the signer chains to %.200s "
             "(%.200s)%s", anchor_subj, src ? src : "a CSCA the list itself carries",
             rec.signing_time[0] ? " at the list's signingTime" : " now (no signingTime)");
done:
    if (!grow((void **)&ts->mls, &ts->cap_mls, ts->n_mls, sizeof *ts->mls))
        ok = false;
    else
        ts->mls[ts->n_mls++] = rec;
    if (ok)
        note(ts, x->file, false, "master list of %zu certificates signed by %s: verified, %zu "
             "CSCA%s added", rec.n_certs, rec.signer, rec.n_cscas, rec.n_cscas == 1 ? "" : "s");
    else
        note(ts, x->file, true, "master list not used: %s", rec.detail);
    sk_X509_pop_free(chain, X509_free);
    sk_X509_pop_free(cms_certs, X509_free);
    sk_X509_pop_free(list, X509_free);
    X509_STORE_free(st);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return ok;
}

static bool integrate_crl(dx_trust_store *ts, item *x)
{
    char iss[200];
    bool known = false;
    for (size_t i = 0; i < ts->n_crls; i++)
        if (X509_CRL_match(ts->crls[i].crl, x->crl) == 0) {
            note(ts, x->file, false, "CRL already in the store (from %s)", ts->crls[i].source);
            return true;
        }
    if (!grow((void **)&ts->crls, &ts->cap_crls, ts->n_crls, sizeof *ts->crls))
        return false;
    crl_entry *c = &ts->crls[ts->n_crls++];
    c->crl = x->crl;
    x->crl = NULL;
    snprintf(c->source, sizeof c->source, "%s", x->file);
    for (size_t i = 0; i < ts->n_anchors && !known; i++)
        known = crl_issued_by(c->crl, ts->anchors[i].cert);
    dx_pa_name_str(X509_CRL_get_issuer(c->crl), iss, sizeof iss);
    if (!known)
        note(ts, x->file, false, "CRL of %s: no CSCA of the store signed it (yet); it is "
             "used only once one does", iss);
    return true;
}

/* Certificates, then master lists, then CRLs.  Returns how many were used. */
static size_t integrate(dx_trust_store *ts, items *it)
{
    size_t used = 0;
    char why[300];
    for (size_t i = 0; i < it->n; i++)
        if (it->v[i].kind == ITEM_CERT) {
            if (add_anchor(ts, it->v[i].cert, it->v[i].file, false, why, sizeof why)) {
                used++;
            } else {
                char subj[200];
                bool dup = strstr(why, "already") != NULL;
                dx_pa_name_str(X509_get_subject_name(it->v[i].cert), subj, sizeof subj);
                note(ts, it->v[i].file, !dup, "certificate %s: %s", subj, why);
                used += dup;
            }
        }
    for (size_t i = 0; i < it->n; i++)
        if (it->v[i].kind == ITEM_ML)
            used += integrate_ml(ts, &it->v[i]);
    for (size_t i = 0; i < it->n; i++)
        if (it->v[i].kind == ITEM_CRL)
            used += integrate_crl(ts, &it->v[i]);
    return used;
}

/* The last note about `file`, for error messages. */
static const char *last_note(const dx_trust_store *ts, const char *file)
{
    for (size_t i = ts->n_notes; i-- > 0;)
        if (!strcmp(ts->notes[i].file, file))
            return ts->notes[i].text;
    return "nothing usable in it";
}

dx_status dx_trust_store_add_mem(dx_trust_store *ts, const char *name, const uint8_t *buf,
                                 size_t len, dx_error *err)
{
    items it = {0};
    size_t used;
    if (!ts || !name || (!buf && len))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "trust store: bad arguments");
    parse_bytes(ts, name, buf, len, &it);
    used = integrate(ts, &it);
    items_free(&it);
    if (!used)
        return dx_error_set(err, DX_ERR_DATA, "trust store: %s: %s", name, last_note(ts, name));
    return DX_OK;
}

static dx_status read_file(const char *path, uint8_t **out, size_t *len, dx_error *err)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    uint8_t *buf;
    *out = NULL;
    if (!f)
        return dx_error_set(err, errno == ENOENT ? DX_ERR_NOT_FOUND : DX_ERR_IO, "%s: %s",
                            path, strerror(errno));
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return dx_error_set(err, DX_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > TRUST_MAX_FILE) {
        fclose(f);
        return dx_error_set(err, DX_ERR_DATA, "%s: %lld bytes, more than the %u MB a trust "
                            "file may have", path, (long long)sb.st_size, TRUST_MAX_FILE >> 20);
    }
    if (!(buf = malloc(sb.st_size ? (size_t)sb.st_size : 1))) {
        fclose(f);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    *len = fread(buf, 1, (size_t)sb.st_size, f);
    if (ferror(f) || *len != (size_t)sb.st_size) {
        fclose(f);
        free(buf);
        return dx_error_set(err, DX_ERR_IO, "%s: read error", path);
    }
    fclose(f);
    *out = buf;
    return DX_OK;
}

dx_status dx_trust_store_add_file(dx_trust_store *ts, const char *path, dx_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    dx_error fe = {0};
    dx_status st;
    if (!ts || !path)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "trust store: bad arguments");
    if ((st = read_file(path, &buf, &len, &fe))) {
        note(ts, path, true, "%s", fe.message);
        if (err)
            *err = fe;
        return st;
    }
    st = dx_trust_store_add_mem(ts, path, buf, len, err);
    free(buf);
    return st;
}

static const char *ext_of(const char *name)
{
    const char *d = strrchr(name, '.');
    return d && d != name ? d + 1 : "";
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Part 12 §5-§9: a directory of CSCAs, master lists and CRLs. */
dx_status dx_trust_store_load(const char *dir, dx_trust_store **out, dx_error *err)
{
    static const char *const trust_ext[] = {"pem", "crt", "cer", "der", "ml", "crl"};
    static const char *const key_ext[] = {"key", "p8", "pk8", "p12", "pfx"};
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n_names = 0, cap = 0;
    dx_trust_store *ts = NULL;
    items it = {0};
    dx_status st;

    if (!out || !dir)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "trust store: no directory");
    *out = NULL;
    if (!(d = opendir(dir)))
        return dx_error_set(err, errno == ENOENT ? DX_ERR_NOT_FOUND : DX_ERR_IO,
                            "trust store %s: %s", dir, strerror(errno));
    if ((st = dx_trust_store_new(&ts, err))) {
        closedir(d);
        return st;
    }
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (!grow((void **)&names, &cap, n_names, sizeof *names) ||
            !(names[n_names] = strdup(de->d_name))) {
            st = dx_error_set(err, DX_ERR_NO_MEMORY, "trust store %s: out of memory", dir);
            closedir(d);
            goto fail;
        }
        n_names++;
    }
    closedir(d);
    if (n_names)
        qsort(names, n_names, sizeof *names, cmp_names);

    for (size_t i = 0; i < n_names; i++) {
        const char *name = names[i], *ext = ext_of(name);
        char path[4096];
        struct stat sb;
        uint8_t *buf = NULL;
        size_t len = 0;
        dx_error fe = {0};
        bool wanted = false, key = false;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (stat(path, &sb) != 0) {
            note(ts, name, true, "%s", strerror(errno));
            continue;
        }
        if (S_ISDIR(sb.st_mode)) {
            note(ts, name, true, "a subdirectory: not searched");
            continue;
        }
        for (size_t k = 0; k < sizeof trust_ext / sizeof *trust_ext; k++)
            wanted |= strcasecmp(ext, trust_ext[k]) == 0;
        for (size_t k = 0; k < sizeof key_ext / sizeof *key_ext; k++)
            key |= strcasecmp(ext, key_ext[k]) == 0;
        if (key) {
            note(ts, name, true, "a private key file: ignored (a trust store needs none)");
            continue;
        }
        if (!wanted) {
            note(ts, name, true, "not a trust file (*.pem, *.crt, *.cer, *.der, *.ml, *.crl): "
                 "ignored");
            continue;
        }
        if (read_file(path, &buf, &len, &fe) != DX_OK) {
            note(ts, name, true, "%s", fe.message);
            continue;
        }
        parse_bytes(ts, name, buf, len, &it);
        free(buf);
    }
    integrate(ts, &it);
    items_free(&it);

    if (ts->n_anchors == 0) {
        char msg[400] = "";
        for (size_t i = 0; i < ts->n_notes; i++) {
            size_t u = strlen(msg);
            if (ts->notes[i].skipped && u + 8 < sizeof msg)
                setf(msg + u, sizeof msg - u, "%s%s: %s", u ? "; " : "",
                         ts->notes[i].file, ts->notes[i].text);
        }
        st = dx_error_set(err, DX_ERR_DATA, "trust store %s: no usable CSCA certificate%s%s",
                          dir, msg[0] ? ": " : " (the directory is empty)", msg);
        goto fail;
    }
    dx_log(DX_CAT_TRUST, DX_LOG_INFO, "trust store %s: %zu CSCAs, %zu master lists, %zu CRLs",
           dir, ts->n_anchors, ts->n_mls, ts->n_crls);
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    *out = ts;
    return DX_OK;
fail:
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    items_free(&it);
    dx_trust_store_free(ts);
    return st;
}

/* ---- JSON ---------------------------------------------------------------- */

json_t *dx_trust_store_to_json(const dx_trust_store *ts)
{
    json_t *mls, *notes, *cscas;
    if (!ts)
        return json_null();
    mls = json_array();
    notes = json_array();
    cscas = json_array();
    for (size_t i = 0; i < ts->n_anchors; i++) {
        dx_pa_cert_info ci;
        dx_pa_cert_info_fill(ts->anchors[i].cert, &ci);
        json_array_append_new(cscas, json_pack("{s:o, s:o, s:o, s:o}", "subject",
                                               dx_pa_json_str(ci.subject), "serial",
                                               dx_pa_json_str(ci.serial), "not_after",
                                               dx_pa_json_str(ci.not_after), "source",
                                               dx_pa_json_str(ts->anchors[i].source)));
    }
    for (size_t i = 0; i < ts->n_mls; i++) {
        const dx_trust_ml *m = &ts->mls[i];
        json_array_append_new(mls, json_pack("{s:o, s:o, s:o, s:o, s:I, s:I, s:b, s:o}", "file",
                                             dx_pa_json_str(m->file), "signer",
                                             dx_pa_json_str(m->signer), "signer_serial",
                                             dx_pa_json_str(m->signer_serial), "signing_time",
                                             m->signing_time[0] ? json_string(m->signing_time)
                                                                : json_null(),
                                             "certificates", (json_int_t)m->n_certs, "cscas",
                                             (json_int_t)m->n_cscas, "verified", m->verified,
                                             "detail", dx_pa_json_str(m->detail)));
    }
    for (size_t i = 0; i < ts->n_notes; i++)
        json_array_append_new(notes, json_pack("{s:o, s:b, s:o}", "file",
                                               dx_pa_json_str(ts->notes[i].file), "skipped",
                                               ts->notes[i].skipped, "text",
                                               dx_pa_json_str(ts->notes[i].text)));
    return json_pack("{s:o, s:I, s:o, s:o}", "cscas", cscas ? cscas : json_null(), "crls",
                     (json_int_t)ts->n_crls, "master_lists", mls ? mls : json_null(), "notes",
                     notes ? notes : json_null());
}
