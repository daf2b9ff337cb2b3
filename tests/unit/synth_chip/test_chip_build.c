/* The synthetic chip's files: the DER writer, known answers from ICAO 9303,
 * each LDS file's structure, DG2's face record and image, the SOD against the
 * test CSCA, chip.json, the defects (tampered DG, untrusted DS, clone) and
 * determinism.
 *   test-synth_chip TRUST_DIR KNOWN_ANSWERS.json */
#include <jansson.h>
#include <jpeglib.h>
#include <openjpeg.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chip_fixture.h"
#include "dxtest.h"
#include "synth/der.h"

static const char *trust;
static char tmp[512];

static const char *const all_names[] = {"EF.COM",  "EF.DG1",  "EF.DG2",  "EF.DG11",
                                        "EF.DG12", "EF.DG14", "EF.DG15", "EF.SOD",
                                        "EF.CardAccess", "chip.json", "aa_private.pem",
                                        "ca_private.pem"};
#define N_NAMES (sizeof all_names / sizeof all_names[0])

/* ---- helpers ------------------------------------------------------------------ */

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", dir, name ? "/" : "", name ? name : "");
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                buf = NULL;
            }
            buf = p;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool exists(const char *dir, const char *name)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static size_t unhex(const char *hex, uint8_t *out, size_t size)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && n < size; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

typedef struct tlv {
    const uint8_t *start; /* the tag's first byte */
    unsigned tag;
    const uint8_t *v;
    size_t len;
    const uint8_t *next;
} tlv;

/* One BER-TLV, bounds checked (definite lengths, up to 3 tag bytes). */
static bool tlv_read(const uint8_t *p, const uint8_t *end, tlv *t)
{
    if (p >= end)
        return false;
    const uint8_t *start = p;
    unsigned tag = *p++;
    if ((tag & 0x1F) == 0x1F) {
        int k = 0;
        do {
            if (p >= end || ++k > 2)
                return false;
            tag = tag << 8 | *p;
        } while (*p++ & 0x80);
    }
    if (p >= end)
        return false;
    size_t len = *p++;
    if (len & 0x80) {
        size_t k = len & 0x7F;
        if (k == 0 || k > 3 || (size_t)(end - p) < k)
            return false;
        len = 0;
        while (k--)
            len = len << 8 | *p++;
    }
    if ((size_t)(end - p) < len)
        return false;
    t->start = start;
    t->tag = tag;
    t->v = p;
    t->len = len;
    t->next = p + len;
    return true;
}

/* The whole buffer is exactly one TLV with this tag. */
static bool tlv_whole(const uint8_t *p, size_t n, unsigned tag, tlv *t)
{
    return tlv_read(p, p + n, t) && t->tag == tag && t->next == p + n;
}

static bool tlv_child(const tlv *parent, size_t index, tlv *t)
{
    const uint8_t *p = parent->v, *end = parent->v + parent->len;
    for (size_t i = 0;; i++) {
        if (!tlv_read(p, end, t))
            return false;
        if (i == index)
            return true;
        p = t->next;
    }
}

static bool tlv_is(const tlv *t, unsigned tag, const void *bytes, size_t n)
{
    return t->tag == tag && t->len == n && memcmp(t->v, bytes, n) == 0;
}

static dx_status build(const dx_synth_chip_options *o, const char *name)
{
    char dir[1024];
    dx_error err = {0};
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    dx_status st = dx_synth_chip_write(o, dir, &err);
    if (st)
        fprintf(stderr, "  chip %s: %s\n", name, err.message);
    return st;
}

static void path_of(char *dst, size_t size, const char *name)
{
    snprintf(dst, size, "%s/%s", tmp, name);
}

static EVP_PKEY *pem_key(const char *dir, const char *name)
{
    char path[1024];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

static EVP_PKEY *spki_key(const uint8_t *p, size_t n)
{
    const unsigned char *q = p;
    return d2i_PUBKEY(NULL, &q, (long)n);
}

/* The SOD's CMS, and the hashes of its LDSSecurityObject. */
static CMS_ContentInfo *sod_cms(const char *dir)
{
    size_t n;
    uint8_t *sod = slurp(dir, "EF.SOD", &n);
    tlv t;
    CMS_ContentInfo *cms = NULL;
    if (sod && tlv_whole(sod, n, 0x77, &t)) {
        const unsigned char *q = t.v;
        cms = d2i_CMS_ContentInfo(NULL, &q, (long)t.len);
    }
    free(sod);
    return cms;
}

static int sod_hashes(CMS_ContentInfo *cms, uint8_t hashes[17][32], bool have[17])
{
    memset(have, 0, 17);
    ASN1_OCTET_STRING **content = CMS_get0_content(cms);
    if (!content || !*content)
        return -1;
    const uint8_t *p = ASN1_STRING_get0_data(*content);
    size_t n = (size_t)ASN1_STRING_length(*content);
    tlv lso, version, alg, oid, list, e, num, hash;
    static const uint8_t sha256_oid[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
    if (!tlv_whole(p, n, 0x30, &lso) || !tlv_child(&lso, 0, &version) ||
        !tlv_is(&version, 0x02, "\0", 1) || !tlv_child(&lso, 1, &alg) || alg.tag != 0x30 ||
        !tlv_child(&alg, 0, &oid) || !tlv_is(&oid, 0x06, sha256_oid, sizeof sha256_oid) ||
        alg.v + alg.len != oid.next || !tlv_child(&lso, 2, &list) || list.tag != 0x30 ||
        list.next != lso.v + lso.len)
        return -1;
    int count = 0;
    for (size_t i = 0; tlv_child(&list, i, &e); i++) {
        if (e.tag != 0x30 || !tlv_child(&e, 0, &num) || num.tag != 0x02 || num.len != 1 ||
            num.v[0] < 1 || num.v[0] > 16 || !tlv_child(&e, 1, &hash) || hash.tag != 0x04 ||
            hash.len != 32)
            return -1;
        memcpy(hashes[num.v[0]], hash.v, 32);
        have[num.v[0]] = true;
        count++;
    }
    return count;
}

static bool sod_verifies(CMS_ContentInfo *cms, const char *ca_file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", trust, ca_file);
    X509_STORE *store = X509_STORE_new();
    FILE *f = fopen(path, "r");
    X509 *ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    X509_STORE_add_cert(store, ca);
    X509_STORE_set_purpose(store, X509_PURPOSE_ANY);
    BIO *out = BIO_new(BIO_s_mem());
    int ok = CMS_verify(cms, NULL, store, NULL, out, CMS_BINARY);
    ERR_clear_error();
    BIO_free(out);
    X509_free(ca);
    X509_STORE_free(store);
    return ok == 1;
}

static const char *dg_file(int dg)
{
    static char name[32];
    snprintf(name, sizeof name, "EF.DG%d", dg);
    return name;
}

/* DGs whose SOD hash differs from the served file's (a bit per DG). */
static unsigned mismatches(const char *dir, int *n_hashes)
{
    uint8_t hashes[17][32];
    bool have[17];
    unsigned bad = 0;
    CMS_ContentInfo *cms = sod_cms(dir);
    *n_hashes = cms ? sod_hashes(cms, hashes, have) : -1;
    for (int dg = 1; dg <= 16; dg++) {
        size_t n;
        uint8_t *data = slurp(dir, dg_file(dg), &n);
        if (!data && !have[dg])
            continue;
        uint8_t md[32];
        if (!data || !have[dg] || (EVP_Digest(data, n, md, NULL, EVP_sha256(), NULL),
                                   memcmp(md, hashes[dg], 32) != 0))
            bad |= 1u << dg;
        free(data);
    }
    CMS_ContentInfo_free(cms);
    return bad;
}

static bool same_file(const char *a, const char *b, const char *name)
{
    size_t na = 0, nb = 0;
    uint8_t *x = slurp(a, name, &na), *y = slurp(b, name, &nb);
    bool same = (!x && !y) || (x && y && na == nb && memcmp(x, y, na) == 0);
    free(x);
    free(y);
    return same;
}

static void cleanup(const char *name)
{
    char dir[1024], path[1100];
    path_of(dir, sizeof dir, name);
    for (size_t i = 0; i < N_NAMES; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, all_names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* ---- the DER writer ------------------------------------------------------------ */

static bool der_is(dx_synth_der *d, const char *hex)
{
    uint8_t want[256];
    size_t n = unhex(hex, want, sizeof want);
    bool ok = dx_synth_der_ok(d) && d->len == n && memcmp(d->data, want, n) == 0;
    dx_synth_der_free(d);
    dx_synth_der_init(d);
    return ok;
}

static void test_der(void)
{
    dx_synth_der d;
    uint8_t l[5];
    dx_synth_der_init(&d);
    CHECK(dx_synth_der_length_octets(127, l) == 1 && l[0] == 0x7F);
    CHECK(dx_synth_der_length_octets(128, l) == 2 && l[0] == 0x81 && l[1] == 0x80);
    CHECK(dx_synth_der_length_octets(256, l) == 3 && l[0] == 0x82 && l[1] == 1 && l[2] == 0);
    dx_synth_der_oid(&d, "2.23.136.1.1.1");
    CHECK(der_is(&d, "0606678108010101"));
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.4.2.2");
    CHECK(der_is(&d, "060A04007F00070202040202"));
    dx_synth_der_oid(&d, "2.16.840.1.101.3.4.2.1");
    CHECK(der_is(&d, "0609608648016503040201"));
    dx_synth_der_oid(&d, "1..2");
    CHECK(!dx_synth_der_ok(&d));
    dx_synth_der_free(&d);
    dx_synth_der_init(&d);
    dx_synth_der_uint(&d, 0);
    dx_synth_der_uint(&d, 127);
    dx_synth_der_uint(&d, 128);
    dx_synth_der_uint(&d, 0x10001);
    CHECK(der_is(&d, "020100" "02017F" "02020080" "0203010001"));
    /* a long constructed value moves its content when its length grows */
    uint8_t big[300];
    memset(big, 0xAB, sizeof big);
    dx_synth_der_begin(&d, 0x7F61);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_tlv(&d, 0x04, big, sizeof big);
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    CHECK(dx_synth_der_ok(&d) && d.len == 2 + 3 + 4 + 4 + 300);
    CHECK(d.len > 11 && !memcmp(d.data, "\x7F\x61\x82\x01\x34\x30\x82\x01\x30\x04\x82", 11));
    dx_synth_der_free(&d);
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x30);
    CHECK(!dx_synth_der_ok(&d)); /* not ended */
    dx_synth_der_free(&d);
    /* SET OF sorts its elements (X.690 11.6) */
    dx_synth_der e[3];
    for (int i = 0; i < 3; i++)
        dx_synth_der_init(&e[i]);
    dx_synth_der_uint(&e[0], 5);
    dx_synth_der_tlv_str(&e[1], 0x04, "a");
    dx_synth_der_uint(&e[2], 2);
    dx_synth_der_init(&d);
    dx_synth_der_set_of(&d, e, 3);
    CHECK(der_is(&d, "3109020102020105040161"));
    for (int i = 0; i < 3; i++)
        dx_synth_der_free(&e[i]);
    dx_synth_der_free(&d);
}

/* ---- known answers ------------------------------------------------------------- */

static void test_known_answers(const char *kat_path)
{
    json_error_t jerr;
    json_t *kat = json_load_file(kat_path, 0, &jerr);
    REQUIRE(kat);
    dx_error err = {0};
    uint8_t want[512], tags[16];
    dx_synth_der d;
    dx_synth_der_init(&d);

    /* EF.COM of 9303 Part 11 Appendix D */
    json_t *com = json_object_get(kat, "ef_com");
    size_t n_tags = unhex(json_string_value(json_object_get(com, "tags")), tags, sizeof tags);
    size_t n = unhex(json_string_value(json_object_get(com, "bytes")), want, sizeof want);
    CHECK(dx_synth_chip_build_com(json_string_value(json_object_get(com, "lds_version")),
                                  json_string_value(json_object_get(com, "unicode_version")),
                                  tags, n_tags, &d, &err) == DX_OK);
    CHECK_MSG(d.len == n && memcmp(d.data, want, n) == 0, "EF.COM differs from Appendix D");
    dx_synth_der_free(&d);

    /* EF.CardAccess: the one PACEInfo of 9303 Part 11 Appendix G.1 in a SET */
    json_t *pi = json_object_get(kat, "pace_info");
    n = unhex(json_string_value(json_object_get(pi, "bytes")), want, sizeof want);
    dx_synth_pace_info pace = {json_string_value(json_object_get(pi, "oid")),
                               (int)json_integer_value(json_object_get(pi, "parameter_id"))};
    dx_synth_der_init(&d);
    CHECK(dx_synth_chip_build_card_access(&pace, 1, &d, &err) == DX_OK);
    CHECK_MSG(d.len == n + 2 && d.data[0] == 0x31 && d.data[1] == n &&
                  memcmp(d.data + 2, want, n) == 0,
              "EF.CardAccess is not SET { the Appendix G.1 PACEInfo }");
    dx_synth_der_free(&d);

    /* EF.DG1 of the 9303 TD3 specimen */
    json_t *dg1 = json_object_get(kat, "dg1_td3");
    char lines[2][45];
    for (int i = 0; i < 2; i++)
        snprintf(lines[i], sizeof lines[i], "%s",
                 json_string_value(json_array_get(json_object_get(dg1, "mrz"), (size_t)i)));
    n = unhex(json_string_value(json_object_get(dg1, "bytes")), want, sizeof want);
    dx_synth_der_init(&d);
    CHECK(dx_synth_chip_build_dg1((const char(*)[45])lines, 2, &d, &err) == DX_OK);
    CHECK_MSG(d.len == n && memcmp(d.data, want, n) == 0, "EF.DG1 differs");
    dx_synth_der_free(&d);
    json_decref(kat);
}

/* ---- the files of the fixture's chip ------------------------------------------ */

static void check_com(const char *dir, const char *tags, size_t n_tags)
{
    size_t n;
    uint8_t *f = slurp(dir, "EF.COM", &n);
    tlv com, t;
    CHECK(f && tlv_whole(f, n, 0x60, &com));
    CHECK(tlv_child(&com, 0, &t) && tlv_is(&t, 0x5F01, "0107", 4));
    CHECK(tlv_child(&com, 1, &t) && tlv_is(&t, 0x5F36, "040000", 6));
    CHECK(tlv_child(&com, 2, &t) && tlv_is(&t, 0x5C, tags, n_tags) && t.next == com.v + com.len);
    free(f);
}

static double jpeg_error(const uint8_t *img, size_t n, unsigned *w, unsigned *h)
{
    struct jpeg_decompress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, img, (unsigned long)n);
    double sum = 0;
    if (jpeg_read_header(&c, TRUE) == JPEG_HEADER_OK) {
        c.out_color_space = JCS_RGB;
        jpeg_start_decompress(&c);
        *w = c.output_width;
        *h = c.output_height;
        uint8_t *row = malloc((size_t)c.output_width * 3);
        const uint8_t *ref = fix_portrait();
        while (c.output_scanline < c.output_height) {
            size_t y = c.output_scanline;
            JSAMPROW r = row;
            jpeg_read_scanlines(&c, &r, 1);
            for (size_t x = 0; x < (size_t)c.output_width * 3 && x < FIX_PORTRAIT_W * 3; x++)
                sum += abs((int)row[x] - (int)ref[y * FIX_PORTRAIT_W * 3 + x]);
        }
        jpeg_finish_decompress(&c);
        free(row);
    }
    jpeg_destroy_decompress(&c);
    return sum / (FIX_PORTRAIT_W * FIX_PORTRAIT_H * 3.0);
}

typedef struct mem_in {
    const uint8_t *p;
    size_t n, pos;
} mem_in;

static OPJ_SIZE_T mi_read(void *buf, OPJ_SIZE_T n, void *u)
{
    mem_in *m = u;
    if (m->pos >= m->n)
        return (OPJ_SIZE_T)-1;
    if (n > m->n - m->pos)
        n = m->n - m->pos;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    return n;
}

static OPJ_OFF_T mi_skip(OPJ_OFF_T n, void *u)
{
    mem_in *m = u;
    m->pos += (size_t)n;
    return n;
}

static OPJ_BOOL mi_seek(OPJ_OFF_T n, void *u)
{
    ((mem_in *)u)->pos = (size_t)n;
    return OPJ_TRUE;
}

static double jp2_error(const uint8_t *img, size_t n, unsigned *w, unsigned *h)
{
    mem_in m = {img, n, 0};
    opj_codec_t *codec = opj_create_decompress(OPJ_CODEC_JP2);
    opj_stream_t *s = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
    opj_stream_set_read_function(s, mi_read);
    opj_stream_set_skip_function(s, mi_skip);
    opj_stream_set_seek_function(s, mi_seek);
    opj_stream_set_user_data(s, &m, NULL);
    opj_stream_set_user_data_length(s, n);
    opj_dparameters_t p;
    opj_set_default_decoder_parameters(&p);
    opj_image_t *im = NULL;
    double sum = -1;
    if (opj_setup_decoder(codec, &p) && opj_read_header(s, codec, &im) &&
        opj_decode(codec, s, im) && opj_end_decompress(codec, s) && im->numcomps == 3) {
        *w = im->comps[0].w;
        *h = im->comps[0].h;
        const uint8_t *ref = fix_portrait();
        sum = 0;
        for (size_t y = 0; y < FIX_PORTRAIT_H && y < *h; y++)
            for (size_t x = 0; x < FIX_PORTRAIT_W && x < *w; x++)
                for (int c = 0; c < 3; c++)
                    sum += abs(im->comps[c].data[y * *w + x] -
                               (int)ref[(y * FIX_PORTRAIT_W + x) * 3 + (size_t)c]);
        sum /= FIX_PORTRAIT_W * FIX_PORTRAIT_H * 3.0;
    }
    opj_image_destroy(im);
    opj_stream_destroy(s);
    opj_destroy_codec(codec);
    return sum;
}

static uint32_t be(const uint8_t *p, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void check_dg2(const char *dir, int format)
{
    size_t n;
    uint8_t *f = slurp(dir, "EF.DG2", &n);
    tlv dg2, group, count, bit, bht, t, rec;
    REQUIRE(f);
    CHECK(tlv_whole(f, n, 0x75, &dg2) && tlv_child(&dg2, 0, &group) && group.tag == 0x7F61 &&
          group.next == dg2.v + dg2.len);
    CHECK(tlv_child(&group, 0, &count) && tlv_is(&count, 0x02, "\x01", 1));
    CHECK(tlv_child(&group, 1, &bit) && bit.tag == 0x7F60 && bit.next == group.v + group.len);
    CHECK(tlv_child(&bit, 0, &bht) && bht.tag == 0xA1);
    CHECK(tlv_child(&bht, 0, &t) && tlv_is(&t, 0x80, "\x01\x01", 2));
    CHECK(tlv_child(&bht, 1, &t) && tlv_is(&t, 0x81, "\x02", 1));
    CHECK(tlv_child(&bht, 2, &t) && tlv_is(&t, 0x87, "\x01\x01", 2));
    CHECK(tlv_child(&bht, 3, &t) && tlv_is(&t, 0x88, "\x00\x08", 2) &&
          t.next == bht.v + bht.len);
    REQUIRE(tlv_child(&bit, 1, &rec) && rec.tag == 0x5F2E && rec.next == bit.v + bit.len);
    const uint8_t *r = rec.v;
    REQUIRE(rec.len > 46);
    /* ISO/IEC 19794-5:2005 facial record header, facial information, image information */
    CHECK(memcmp(r, "FAC\0" "010\0", 8) == 0);
    CHECK(be(r + 8, 4) == rec.len);              /* record length */
    CHECK(be(r + 12, 2) == 1);                   /* one face */
    CHECK(be(r + 14, 4) == rec.len - 14);        /* facial record data length */
    CHECK(be(r + 18, 2) == 0);                   /* no feature points */
    CHECK(r[20] == 2);                           /* gender: female */
    CHECK(r[21] == 0 && r[22] == 0);             /* eye, hair colour unspecified */
    CHECK(r[34] == 1);                           /* full frontal */
    CHECK(r[35] == format);                      /* JPEG 0, JPEG 2000 1 */
    CHECK(be(r + 36, 2) == FIX_PORTRAIT_W && be(r + 38, 2) == FIX_PORTRAIT_H);
    CHECK(r[40] == 1);                           /* 24 bit RGB */
    const uint8_t *img = r + 46;
    size_t img_len = rec.len - 46;
    unsigned w = 0, h = 0;
    if (format == 0) {
        CHECK(img[0] == 0xFF && img[1] == 0xD8 && img[img_len - 2] == 0xFF &&
              img[img_len - 1] == 0xD9);
        double e = jpeg_error(img, img_len, &w, &h);
        CHECK_MSG(e >= 0 && e < 4.0, "JPEG mean error %.2f", e);
    } else {
        CHECK(memcmp(img, "\0\0\0\x0CjP  \r\n\x87\n", 12) == 0); /* JP2 signature box */
        double e = jp2_error(img, img_len, &w, &h);
        CHECK_MSG(e >= 0 && e < 6.0, "JPEG 2000 mean error %.2f", e);
    }
    CHECK_MSG(w == FIX_PORTRAIT_W && h == FIX_PORTRAIT_H, "decoded %ux%u", w, h);
    free(f);
}

static void check_text_dgs(const char *dir)
{
    size_t n;
    uint8_t *f = slurp(dir, "EF.DG1", &n);
    tlv top, t;
    CHECK(f && tlv_whole(f, n, 0x61, &top) && tlv_child(&top, 0, &t) &&
          tlv_is(&t, 0x5F1F, FIX_MRZ1 FIX_MRZ2, 88) && t.next == top.v + top.len);
    free(f);
    f = slurp(dir, "EF.DG11", &n);
    CHECK(f && tlv_whole(f, n, 0x6B, &top));
    CHECK(tlv_child(&top, 0, &t) && tlv_is(&t, 0x5C, "\x5F\x0E\x5F\x11\x5F\x2B", 6));
    CHECK(tlv_child(&top, 1, &t) && tlv_is(&t, 0x5F0E, "ERIKSSON<<ANNA<MARIA", 20));
    CHECK(tlv_child(&top, 2, &t) && tlv_is(&t, 0x5F11, "ZENITH", 6));
    CHECK(tlv_child(&top, 3, &t) && tlv_is(&t, 0x5F2B, "19740812", 8) &&
          t.next == top.v + top.len);
    free(f);
    f = slurp(dir, "EF.DG12", &n);
    CHECK(f && tlv_whole(f, n, 0x6C, &top));
    CHECK(tlv_child(&top, 0, &t) && tlv_is(&t, 0x5C, "\x5F\x19\x5F\x26", 4));
    CHECK(tlv_child(&top, 1, &t) && tlv_is(&t, 0x5F19, "UTOPIA PASSPORT OFFICE", 22));
    CHECK(tlv_child(&top, 2, &t) && tlv_is(&t, 0x5F26, "20240416", 8) &&
          t.next == top.v + top.len);
    free(f);
}

static const uint8_t OID_CA[] = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02};
static const uint8_t OID_PK_ECDH[] = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x02};
static const uint8_t OID_PACE_GM128[] = {0x04, 0x00, 0x7F, 0x00, 0x07,
                                         0x02, 0x02, 0x04, 0x02, 0x02};
static const uint8_t OID_AA[] = {0x67, 0x81, 0x08, 0x01, 0x01, 0x05};
static const uint8_t OID_ECDSA_PLAIN_SHA256[] = {0x04, 0x00, 0x7F, 0x00, 0x07,
                                                 0x01, 0x01, 0x04, 0x01, 0x03};

/* DG14's SecurityInfos: which kinds it holds, and the CA key. */
typedef struct infos {
    int pace, ca_info, ca_key, aa_info;
    EVP_PKEY *ca_pub;
    bool sorted;
} infos;

static void read_infos(const tlv *set, infos *s)
{
    memset(s, 0, sizeof *s);
    s->sorted = true;
    tlv e, prev = {0}, oid, a, b;
    for (size_t i = 0; tlv_child(set, i, &e); i++) {
        size_t elen = (size_t)(e.next - e.start);
        if (prev.start) {
            size_t plen = (size_t)(prev.next - prev.start);
            size_t m = plen < elen ? plen : elen;
            int c = memcmp(prev.start, e.start, m);
            if (c > 0 || (c == 0 && plen > elen))
                s->sorted = false;
        }
        prev = e;
        if (e.tag != 0x30 || !tlv_child(&e, 0, &oid) || oid.tag != 0x06)
            continue;
        if (tlv_is(&oid, 0x06, OID_PACE_GM128, sizeof OID_PACE_GM128) && tlv_child(&e, 1, &a) &&
            tlv_is(&a, 0x02, "\x02", 1) && tlv_child(&e, 2, &b) && tlv_is(&b, 0x02, "\x0D", 1))
            s->pace++;
        else if (tlv_is(&oid, 0x06, OID_CA, sizeof OID_CA) && tlv_child(&e, 1, &a) &&
                 tlv_is(&a, 0x02, "\x01", 1) && a.next == e.v + e.len)
            s->ca_info++;
        else if (tlv_is(&oid, 0x06, OID_PK_ECDH, sizeof OID_PK_ECDH) && tlv_child(&e, 1, &a) &&
                 a.tag == 0x30 && a.next == e.v + e.len) {
            s->ca_key++;
            s->ca_pub = spki_key(a.start, (size_t)(a.next - a.start));
        } else if (tlv_is(&oid, 0x06, OID_AA, sizeof OID_AA) && tlv_child(&e, 1, &a) &&
                   tlv_is(&a, 0x02, "\x01", 1) && tlv_child(&e, 2, &b) &&
                   tlv_is(&b, 0x06, OID_ECDSA_PLAIN_SHA256, sizeof OID_ECDSA_PLAIN_SHA256))
            s->aa_info++;
    }
}

static EVP_PKEY *dg15_key(const char *dir)
{
    size_t n;
    uint8_t *f = slurp(dir, "EF.DG15", &n);
    tlv t;
    EVP_PKEY *k = NULL;
    if (f && tlv_whole(f, n, 0x6F, &t)) {
        const unsigned char *q = t.v;
        k = d2i_PUBKEY(NULL, &q, (long)t.len);
        if (q != t.v + t.len) {
            EVP_PKEY_free(k);
            k = NULL;
        }
    }
    free(f);
    return k;
}

static void check_chip_json(const char *dir, bool aa, bool ca, bool pace)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/chip.json", dir);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    REQUIRE(j);
    CHECK_STR(json_string_value(json_object_get(j, "format")), "docex.chip/1");
    CHECK(strstr(json_string_value(json_object_get(j, "note")), "TEST ONLY") != NULL);
    json_t *mrz = json_object_get(j, "mrz");
    CHECK(json_array_size(mrz) == 2);
    CHECK_STR(json_string_value(json_array_get(mrz, 0)), FIX_MRZ1);
    CHECK_STR(json_string_value(json_array_get(mrz, 1)), FIX_MRZ2);
    CHECK_STR(json_string_value(json_object_get(j, "can")), "123456");
    CHECK(json_is_true(json_object_get(j, "bac")));
    json_t *p = json_object_get(j, "pace");
    CHECK(json_is_array(p) && json_array_size(p) == (pace ? 1u : 0u));
    if (pace) {
        CHECK_STR(json_string_value(json_object_get(json_array_get(p, 0), "oid")),
                  "0.4.0.127.0.7.2.2.4.2.2");
        CHECK(json_integer_value(json_object_get(json_array_get(p, 0), "parameter_id")) == 13);
    }
    json_t *a = json_object_get(j, "aa");
    if (aa) {
        CHECK_STR(json_string_value(json_object_get(a, "private_key")), "aa_private.pem");
        CHECK(json_string_value(json_object_get(a, "algorithm")) != NULL);
    } else {
        CHECK(json_is_null(a));
    }
    json_t *c = json_object_get(j, "ca");
    if (ca) {
        CHECK_STR(json_string_value(json_object_get(c, "oid")), "0.4.0.127.0.7.2.2.3.2.2");
        CHECK_STR(json_string_value(json_object_get(c, "private_key")), "ca_private.pem");
        CHECK(json_is_null(json_object_get(c, "key_id")));
    } else {
        CHECK(json_is_null(c));
    }
    /* files: each present file with its FID and SFI, hashes of the bytes */
    static const struct {
        const char *name, *fid;
        int sfi;
    } want[] = {{"EF.COM", "011E", 30},  {"EF.DG1", "0101", 1},   {"EF.DG2", "0102", 2},
                {"EF.DG11", "010B", 11}, {"EF.DG12", "010C", 12}, {"EF.DG14", "010E", 14},
                {"EF.DG15", "010F", 15}, {"EF.SOD", "011D", 29},  {"EF.CardAccess", "011C", 28}};
    json_t *files = json_object_get(j, "files"), *sums = json_object_get(j, "sha256");
    size_t k = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!exists(dir, want[i].name))
            continue;
        json_t *e = json_array_get(files, k++);
        CHECK_STR(json_string_value(json_object_get(e, "name")), want[i].name);
        CHECK_STR(json_string_value(json_object_get(e, "fid")), want[i].fid);
        CHECK(json_integer_value(json_object_get(e, "sfi")) == want[i].sfi);
        bool outside = !strcmp(want[i].name, "EF.CardAccess");
        CHECK(json_is_true(json_object_get(e, "outside_application")) == outside);
        size_t n;
        uint8_t *data = slurp(dir, want[i].name, &n), md[32];
        char hex[65];
        EVP_Digest(data, n, md, NULL, EVP_sha256(), NULL);
        for (int b = 0; b < 32; b++)
            snprintf(hex + 2 * b, 3, "%02x", md[b]);
        CHECK_STR(json_string_value(json_object_get(sums, want[i].name)), hex);
        free(data);
    }
    CHECK(json_array_size(files) == k && json_object_size(sums) == k);
    /* the ATR: 3B 8n 80 01, n historical bytes, TCK = XOR of T0..TCK is 0 */
    const char *atr = json_string_value(json_object_get(j, "atr"));
    uint8_t ab[40];
    size_t an = atr ? unhex(atr, ab, sizeof ab) : 0;
    uint8_t x = 0;
    for (size_t i = 1; i < an; i++)
        x ^= ab[i];
    CHECK(an >= 5 && ab[0] == 0x3B && (ab[1] & 0xF0) == 0x80 && an == 5u + (ab[1] & 0x0Fu) && x == 0);
    CHECK(json_is_true(json_object_get(j, "extended_length")));
    json_decref(j);
}

static void test_full_chip(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char dir[1024];
    fix_holder(&h);
    fix_options(&o, &h, trust);
    REQUIRE(build(&o, "full") == DX_OK);
    path_of(dir, sizeof dir, "full");

    check_com(dir, "\x61\x75\x6B\x6C\x6E\x6F", 6);
    check_text_dgs(dir);
    check_dg2(dir, 0);

    /* DG14: PACEInfo, ChipAuthenticationInfo + public key; no AA info for RSA */
    size_t n;
    uint8_t *f = slurp(dir, "EF.DG14", &n);
    tlv dg14, set;
    infos s;
    REQUIRE(f && tlv_whole(f, n, 0x6E, &dg14) && tlv_child(&dg14, 0, &set) && set.tag == 0x31 &&
            set.next == dg14.v + dg14.len);
    read_infos(&set, &s);
    CHECK(s.pace == 1 && s.ca_info == 1 && s.ca_key == 1 && s.aa_info == 0 && s.sorted);
    EVP_PKEY *ca_priv = pem_key(dir, "ca_private.pem");
    CHECK(ca_priv && s.ca_pub && EVP_PKEY_eq(ca_priv, s.ca_pub) == 1);
    CHECK(ca_priv && EVP_PKEY_get_base_id(ca_priv) == EVP_PKEY_EC);
    char group[64] = "";
    if (ca_priv)
        EVP_PKEY_get_utf8_string_param(ca_priv, "group", group, sizeof group, NULL);
    CHECK_STR(group, "brainpoolP256r1");
    EVP_PKEY_free(ca_priv);
    EVP_PKEY_free(s.ca_pub);
    free(f);

    /* DG15: RSA 1024, the public half of aa_private.pem */
    EVP_PKEY *aa_pub = dg15_key(dir), *aa_priv = pem_key(dir, "aa_private.pem");
    CHECK(aa_pub && EVP_PKEY_get_base_id(aa_pub) == EVP_PKEY_RSA && EVP_PKEY_get_bits(aa_pub) == 1024);
    CHECK(aa_pub && aa_priv && EVP_PKEY_eq(aa_pub, aa_priv) == 1);
    EVP_PKEY_free(aa_pub);
    EVP_PKEY_free(aa_priv);
    size_t kn;
    uint8_t *key = slurp(dir, "aa_private.pem", &kn);
    CHECK(key && kn > 9 && memcmp(key, "TEST ONLY", 9) == 0);
    free(key);

    /* EF.CardAccess: SET { PACEInfo } */
    f = slurp(dir, "EF.CardAccess", &n);
    CHECK(f && tlv_whole(f, n, 0x31, &set));
    if (f) {
        read_infos(&set, &s);
        CHECK(s.pace == 1 && s.ca_info == 0 && s.ca_key == 0);
    }
    free(f);

    /* EF.SOD: verifies against the Utopia CSCA, hashes match, signing time
     * from the options, three signed attributes */
    int n_hashes;
    CHECK(mismatches(dir, &n_hashes) == 0);
    CHECK(n_hashes == 6);
    CMS_ContentInfo *cms = sod_cms(dir);
    REQUIRE(cms);
    CHECK(OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed);
    char oid[64];
    OBJ_obj2txt(oid, sizeof oid, CMS_get0_eContentType(cms), 1);
    CHECK_STR(oid, "2.23.136.1.1.1");
    CHECK(sod_verifies(cms, "utopia-csca.cert.pem"));
    CHECK(!sod_verifies(cms, "rogue/rogue-csca.cert.pem"));
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
    CHECK(sk_CMS_SignerInfo_num(sis) == 1);
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
    CHECK(CMS_signed_get_attr_count(si) == 3);
    int at = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
    ASN1_TYPE *tt = at >= 0 ? X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, at), 0) : NULL;
    CHECK(tt && tt->type == V_ASN1_UTCTIME && ASN1_STRING_length(tt->value.utctime) == 13 &&
          !memcmp(ASN1_STRING_get0_data(tt->value.utctime), "240416120000Z", 13));
    CHECK(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1) >= 0);
    CHECK(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1) >= 0);
    STACK_OF(X509) *certs = CMS_get1_certs(cms);
    CHECK(sk_X509_num(certs) == 1);
    char cn[128] = "";
    if (sk_X509_num(certs) == 1)
        X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(certs, 0)),
                                  NID_commonName, cn, sizeof cn);
    CHECK_STR(cn, "Utopia Test Document Signer 1");
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);

    check_chip_json(dir, true, true, true);
}

static void test_variants(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char dir[1024];
    fix_holder(&h);

    /* ECDSA AA without CA: DG14 holds the ActiveAuthenticationInfo (and the
     * PACEInfo); DG15 an EC key on brainpoolP256r1 */
    fix_options(&o, &h, trust);
    o.aa = DX_SYNTH_AA_ECDSA;
    o.chip_auth = false;
    REQUIRE(build(&o, "ecdsa") == DX_OK);
    path_of(dir, sizeof dir, "ecdsa");
    size_t n;
    uint8_t *f = slurp(dir, "EF.DG14", &n);
    tlv dg14, set;
    infos s;
    REQUIRE(f && tlv_whole(f, n, 0x6E, &dg14) && tlv_child(&dg14, 0, &set));
    read_infos(&set, &s);
    CHECK(s.aa_info == 1 && s.ca_info == 0 && s.ca_key == 0 && s.pace == 1 && s.sorted);
    free(f);
    EVP_PKEY *aa_pub = dg15_key(dir), *aa_priv = pem_key(dir, "aa_private.pem");
    CHECK(aa_pub && EVP_PKEY_get_base_id(aa_pub) == EVP_PKEY_EC);
    CHECK(aa_pub && aa_priv && EVP_PKEY_eq(aa_pub, aa_priv) == 1);
    EVP_PKEY_free(aa_pub);
    EVP_PKEY_free(aa_priv);
    CHECK(!exists(dir, "ca_private.pem"));
    int n_hashes;
    CHECK(mismatches(dir, &n_hashes) == 0 && n_hashes == 6);
    check_com(dir, "\x61\x75\x6B\x6C\x6E\x6F", 6);

    /* BAC only, no AA, no CA: no DG14, DG15, EF.CardAccess; written over the
     * full chip's directory, whose now stale files go */
    fix_options(&o, &h, trust);
    o.aa = DX_SYNTH_AA_NONE;
    o.chip_auth = false;
    o.pace = false;
    REQUIRE(build(&o, "ecdsa") == DX_OK);
    CHECK(!exists(dir, "EF.DG14") && !exists(dir, "EF.DG15") && !exists(dir, "EF.CardAccess") &&
          !exists(dir, "aa_private.pem"));
    check_com(dir, "\x61\x75\x6B\x6C", 4);
    CHECK(mismatches(dir, &n_hashes) == 0 && n_hashes == 4);
    check_chip_json(dir, false, false, false);

    /* JPEG 2000 face */
    fix_options(&o, &h, trust);
    o.face_format = DX_SYNTH_FACE_JPEG2000;
    REQUIRE(build(&o, "jp2") == DX_OK);
    path_of(dir, sizeof dir, "jp2");
    check_dg2(dir, 1);
    CHECK(mismatches(dir, &n_hashes) == 0);

    /* several PACEInfos: EF.CardAccess is a DER SET (sorted), chip.json lists them */
    fix_options(&o, &h, trust);
    o.pace_infos[0] = (dx_synth_pace_info){DX_SYNTH_OID_PACE_ECDH_GM_AES_256,
                                           DX_SYNTH_PACE_P384};
    o.pace_infos[1] = (dx_synth_pace_info){DX_SYNTH_OID_PACE_ECDH_GM_AES_128, DX_SYNTH_PACE_P256};
    o.pace_infos[2] = (dx_synth_pace_info){DX_SYNTH_OID_PACE_ECDH_GM_AES_128,
                                           DX_SYNTH_PACE_BRAINPOOL_P256};
    o.n_pace_infos = 3;
    REQUIRE(build(&o, "pace3") == DX_OK);
    path_of(dir, sizeof dir, "pace3");
    f = slurp(dir, "EF.CardAccess", &n);
    CHECK(f && tlv_whole(f, n, 0x31, &set));
    if (f) {
        read_infos(&set, &s);
        CHECK(s.sorted && s.pace == 1); /* one of them is GM AES-128 on 13 */
        tlv e;
        size_t k = 0;
        while (tlv_child(&set, k, &e))
            k++;
        CHECK(k == 3);
    }
    free(f);
    char path[1100];
    snprintf(path, sizeof path, "%s/chip.json", dir);
    json_t *j = json_load_file(path, 0, NULL);
    CHECK(j && json_array_size(json_object_get(j, "pace")) == 3);
    CHECK(j && json_integer_value(json_object_get(json_array_get(json_object_get(j, "pace"), 0),
                                                  "parameter_id")) == 15);
    json_decref(j);

    /* the seed picks the pool keys */
    int distinct = 0;
    fix_options(&o, &h, trust);
    REQUIRE(build(&o, "seed") == DX_OK);
    path_of(dir, sizeof dir, "seed");
    EVP_PKEY *first = dg15_key(dir);
    for (uint64_t seed = 1; seed < 12; seed++) {
        o.seed = seed;
        REQUIRE(build(&o, "seed") == DX_OK);
        EVP_PKEY *k = dg15_key(dir);
        if (k && first && EVP_PKEY_eq(k, first) != 1)
            distinct++;
        EVP_PKEY_free(k);
    }
    EVP_PKEY_free(first);
    CHECK_MSG(distinct > 0, "every seed picked the same AA key");
}

/* ---- determinism and defects --------------------------------------------------- */

static void test_determinism(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char a[1024], b[1024];
    fix_holder(&h);
    fix_options(&o, &h, trust);
    o.seed = 7;
    REQUIRE(build(&o, "det1") == DX_OK);
    REQUIRE(build(&o, "det2") == DX_OK);
    path_of(a, sizeof a, "det1");
    path_of(b, sizeof b, "det2");
    for (size_t i = 0; i < N_NAMES; i++) {
        CHECK(exists(a, all_names[i]));
        CHECK_MSG(same_file(a, b, all_names[i]), "%s differs between two builds", all_names[i]);
    }
    o.face_format = DX_SYNTH_FACE_JPEG2000;
    REQUIRE(build(&o, "det1") == DX_OK);
    REQUIRE(build(&o, "det2") == DX_OK);
    for (size_t i = 0; i < N_NAMES; i++)
        CHECK_MSG(same_file(a, b, all_names[i]), "%s differs between two JPEG 2000 builds",
                  all_names[i]);
}

static void test_defects(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char base[1024], dir[1024];
    int n_hashes;
    fix_holder(&h);
    fix_options(&o, &h, trust);
    REQUIRE(build(&o, "base") == DX_OK);
    path_of(base, sizeof base, "base");

    /* tampered: exactly that DG's hash mismatches; the served files are the
     * genuine ones, the SOD still verifies */
    static const int dgs[] = {1, 2, 11, 12, 14, 15};
    for (size_t i = 0; i < sizeof dgs / sizeof dgs[0]; i++) {
        fix_options(&o, &h, trust);
        o.tampered_dg = dgs[i];
        REQUIRE(build(&o, "tampered") == DX_OK);
        path_of(dir, sizeof dir, "tampered");
        unsigned bad = mismatches(dir, &n_hashes);
        CHECK_MSG(bad == 1u << dgs[i], "tampered DG%d: mismatch mask %#x", dgs[i], bad);
        CHECK(n_hashes == 6);
        for (size_t k = 0; k < N_NAMES; k++)
            if (strcmp(all_names[k], "EF.SOD") && strcmp(all_names[k], "chip.json"))
                CHECK_MSG(same_file(base, dir, all_names[k]), "tampered DG%d changed %s", dgs[i],
                          all_names[k]);
        CMS_ContentInfo *cms = sod_cms(dir);
        CHECK(cms && sod_verifies(cms, "utopia-csca.cert.pem"));
        CMS_ContentInfo_free(cms);
    }

    /* untrusted DS: the SOD verifies against the rogue CSCA only */
    fix_options(&o, &h, trust);
    o.untrusted_ds = true;
    REQUIRE(build(&o, "untrusted") == DX_OK);
    path_of(dir, sizeof dir, "untrusted");
    CMS_ContentInfo *cms = sod_cms(dir);
    REQUIRE(cms);
    CHECK(!sod_verifies(cms, "utopia-csca.cert.pem"));
    CHECK(sod_verifies(cms, "rogue/rogue-csca.cert.pem"));
    CMS_ContentInfo_free(cms);
    CHECK(mismatches(dir, &n_hashes) == 0 && n_hashes == 6);
    for (size_t k = 0; k < N_NAMES; k++)
        if (strcmp(all_names[k], "EF.SOD") && strcmp(all_names[k], "chip.json"))
            CHECK_MSG(same_file(base, dir, all_names[k]), "untrusted DS changed %s", all_names[k]);

    /* clone: the chip's AA key is not DG15's; everything else is the genuine chip */
    static const dx_synth_aa kinds[] = {DX_SYNTH_AA_RSA, DX_SYNTH_AA_ECDSA};
    for (size_t i = 0; i < 2; i++) {
        fix_options(&o, &h, trust);
        o.aa = kinds[i];
        REQUIRE(build(&o, "genuine") == DX_OK);
        o.clone = true;
        REQUIRE(build(&o, "clone") == DX_OK);
        path_of(base, sizeof base, "genuine");
        path_of(dir, sizeof dir, "clone");
        EVP_PKEY *pub = dg15_key(dir), *priv = pem_key(dir, "aa_private.pem");
        CHECK(pub && priv && EVP_PKEY_get_base_id(pub) == EVP_PKEY_get_base_id(priv));
        CHECK(pub && priv && EVP_PKEY_eq(pub, priv) != 1);
        EVP_PKEY_free(pub);
        EVP_PKEY_free(priv);
        for (size_t k = 0; k < N_NAMES; k++)
            if (strcmp(all_names[k], "aa_private.pem"))
                CHECK_MSG(same_file(base, dir, all_names[k]), "clone changed %s", all_names[k]);
        CHECK(!same_file(base, dir, "aa_private.pem"));
        CHECK(mismatches(dir, &n_hashes) == 0);
    }
}

static void test_errors(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    dx_error err = {0};
    char dir[1024];
    fix_holder(&h);
    path_of(dir, sizeof dir, "errors");

#define EXPECT(st_, what_)                                                                 \
    do {                                                                                   \
        memset(&err, 0, sizeof err);                                                       \
        dx_status got_ = dx_synth_chip_write(&o, dir, &err);                               \
        CHECK_MSG(got_ == (st_) && err.message[0], "%s: status %d (%s)", what_, got_,       \
                  err.message);                                                            \
        fix_options(&o, &h, trust);                                                        \
    } while (0)

    fix_options(&o, &h, trust);
    o.dg1_mrz[1][10] = 'a';
    EXPECT(DX_ERR_INVALID_ARG, "lower-case MRZ");
    o.dg1_mrz_lines = 1;
    EXPECT(DX_ERR_INVALID_ARG, "one MRZ line");
    o.dg1_mrz[1][43] = '\0';
    EXPECT(DX_ERR_INVALID_ARG, "short MRZ line");
    o.aa = DX_SYNTH_AA_NONE;
    o.clone = true;
    EXPECT(DX_ERR_INVALID_ARG, "clone without AA");
    o.aa = DX_SYNTH_AA_NONE;
    o.tampered_dg = 15;
    EXPECT(DX_ERR_INVALID_ARG, "tampered DG15 without AA");
    o.tampered_dg = 3;
    EXPECT(DX_ERR_INVALID_ARG, "tampered DG3");
    snprintf(o.signing_date, sizeof o.signing_date, "20100101");
    EXPECT(DX_ERR_INVALID_ARG, "signing before the DS");
    snprintf(o.signing_date, sizeof o.signing_date, "20241301");
    EXPECT(DX_ERR_INVALID_ARG, "month 13");
    o.portrait_rgb = NULL;
    EXPECT(DX_ERR_INVALID_ARG, "no portrait");
    o.jpeg_quality = 0;
    EXPECT(DX_ERR_INVALID_ARG, "JPEG quality 0");
    snprintf(o.can, sizeof o.can, "12A456");
    EXPECT(DX_ERR_INVALID_ARG, "CAN with a letter");
    o.n_pace_infos = 1;
    o.pace_infos[0] = (dx_synth_pace_info){"1.2.3", 13};
    EXPECT(DX_ERR_INVALID_ARG, "not a PACE OID");
    o.trust_dir = "no-such-trust-dir";
    EXPECT(DX_ERR_NOT_FOUND, "missing trust directory");
    CHECK(!exists(dir, "chip.json"));
#undef EXPECT
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TRUST_DIR KNOWN_ANSWERS.json\n", argv[0]);
        return 2;
    }
    trust = argv[1];
    snprintf(tmp, sizeof tmp, "%s/docex-synth-chip.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    REQUIRE(mkdtemp(tmp));

    test_der();
    test_known_answers(argv[2]);
    test_full_chip();
    test_variants();
    test_determinism();
    test_defects();
    test_errors();

    static const char *const dirs[] = {"full",   "ecdsa",    "jp2",       "pace3",   "seed",
                                       "det1",   "det2",     "base",      "tampered", "untrusted",
                                       "genuine", "clone",   "errors"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        cleanup(dirs[i]);
    rmdir(tmp);
    return dxtest_done();
}
