/* Writes the seed corpus of the lds fuzz target (tests/fuzz/fuzz_lds.c):
 *
 *   lds-mkseeds TRUST_DIR OUT_DIR
 *
 * Each seed is the target's selector byte followed by a file: synthetic chip
 * files made by dx_synth_chip_write() with a small (24 x 32) portrait so that
 * the corpus stays small, hand-built files with every field of DG11, DG12
 * and every kind of SecurityInfo, DG5 / DG7, an EC key with explicit curve
 * parameters, and bare images (JPEG, JP2, J2K).  Deterministic but for the
 * pool keys, which the trust directory fixes.  Only seed-* files are written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lds_test.h"

enum { S_COM = 0, S_DG1, S_DG2, S_DISPLAYED, S_DG11, S_DG12, S_DG14, S_DG15, S_IMAGE, S_CA };

#define W 24
#define H 32

static const char *out_dir;
static int failures;

static void put(const char *name, int selector, const uint8_t *b, size_t n)
{
    char path[1200];
    FILE *f;
    uint8_t sel = (uint8_t)selector;
    snprintf(path, sizeof path, "%s/seed-%s", out_dir, name);
    f = fopen(path, "wb");
    if (!f || !b || fwrite(&sel, 1, 1, f) != 1 || fwrite(b, 1, n, f) != n) {
        fprintf(stderr, "lds-mkseeds: cannot write %s\n", path);
        failures++;
    }
    if (f)
        fclose(f);
}

static void put_der(const char *name, int selector, dx_synth_der *d)
{
    size_t n;
    uint8_t *b = lt_take(d, &n);
    put(name, selector, b, n);
    free(b);
}

static void put_file(const char *dir, const char *file, const char *name, int selector)
{
    size_t n;
    uint8_t *b = lt_slurp(dir, file, &n);
    put(name, selector, b, n);
    free(b);
}

static const uint8_t *small_portrait(void)
{
    static uint8_t px[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = px + (y * W + x) * 3;
            int dx = x - W / 2, dy = y - H / 2 + 3;
            bool head = dx * dx + dy * dy < 60;
            p[0] = (uint8_t)(head ? 220 : 150 + y);
            p[1] = (uint8_t)(head ? 180 : 170 + x);
            p[2] = (uint8_t)(head ? 150 : 200);
        }
    return px;
}

static uint8_t *image(dx_synth_face_format fmt, int quality, size_t *n)
{
    uint8_t *img = NULL;
    dx_error err = {0};
    if (dx_synth_chip_encode_face(small_portrait(), W, H, 0, fmt, quality, &img, n, &err)) {
        fprintf(stderr, "lds-mkseeds: %s\n", err.message);
        failures++;
        return NULL;
    }
    return img;
}

static void chips(const char *trust)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char dir[512];
    dx_error err = {0};
    char lines[DX_MRZ_MAX_LINES][45];
    size_t nl = 0;

    fix_holder(&h);
    fix_options(&o, &h, trust);
    o.portrait_rgb = small_portrait();
    o.portrait_width = W;
    o.portrait_height = H;
    o.jpeg_quality = 40;
    if (!lt_mkchip(&o, dir, sizeof dir)) {
        failures++;
        return;
    }
    put_file(dir, "EF.COM", "com", S_COM);
    put_file(dir, "EF.DG1", "dg1-td3", S_DG1);
    put_file(dir, "EF.DG2", "dg2-jpeg", S_DG2);
    put_file(dir, "EF.DG11", "dg11", S_DG11);
    put_file(dir, "EF.DG12", "dg12", S_DG12);
    put_file(dir, "EF.DG14", "dg14-ca-pace", S_DG14);
    put_file(dir, "EF.DG15", "dg15-rsa", S_DG15);
    put_file(dir, "EF.CardAccess", "card-access", S_CA);
    lt_rmdir(dir);

    o.face_format = DX_SYNTH_FACE_JPEG2000;
    o.jp2_ratio = 30;
    o.aa = DX_SYNTH_AA_ECDSA;
    o.chip_auth = false;
    o.pace = false;
    snprintf(h.document_code, sizeof h.document_code, "ID");
    if (dx_synth_mrz_compose(&h, DX_MRZ_TD1, lines, &nl, &err) != DX_OK) {
        fprintf(stderr, "lds-mkseeds: %s\n", err.message);
        failures++;
        return;
    }
    for (size_t i = 0; i < nl; i++)
        memcpy(o.dg1_mrz[i], lines[i], sizeof lines[i]);
    o.dg1_mrz_lines = nl;
    if (!lt_mkchip(&o, dir, sizeof dir)) {
        failures++;
        return;
    }
    put_file(dir, "EF.DG1", "dg1-td1", S_DG1);
    put_file(dir, "EF.DG2", "dg2-jp2", S_DG2);
    put_file(dir, "EF.DG14", "dg14-aa", S_DG14);
    put_file(dir, "EF.DG15", "dg15-ec", S_DG15);
    lt_rmdir(dir);
}

static void appendix_d(void)
{
    uint8_t b[64];
    size_t n = lt_unhex("60145F0104303130365F36063034303030305C026175", b, sizeof b);
    put("com-appendix-d", S_COM, b, n);
}

static void details(void)
{
    dx_synth_der d;
    static const uint8_t tags11[] = {0x5F, 0x0E, 0xA0, 0x5F, 0x10, 0x5F, 0x2B, 0x5F, 0x11,
                                     0x5F, 0x42, 0x5F, 0x12, 0x5F, 0x13, 0x5F, 0x14, 0x5F, 0x15,
                                     0x5F, 0x16, 0x5F, 0x17, 0x5F, 0x18};
    static const uint8_t bcd[] = {0x19, 0x74, 0x08, 0x12};
    static const uint8_t tags12[] = {0x5F, 0x19, 0x5F, 0x26, 0xA0, 0x5F, 0x1B, 0x5F, 0x1C,
                                     0x5F, 0x1D, 0x5F, 0x1E, 0x5F, 0x55, 0x5F, 0x56};
    static const uint8_t when[] = {0x20, 0x24, 0x04, 0x16, 0x09, 0x30, 0x00};
    size_t jl = 0;
    uint8_t *jpeg = image(DX_SYNTH_FACE_JPEG, 30, &jl);

    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x6B);
    dx_synth_der_tlv(&d, 0x5C, tags11, sizeof tags11);
    dx_synth_der_tlv_str(&d, 0x5F0E, "ERIKSSON<<ANNA<MARIA");
    dx_synth_der_begin(&d, 0xA0);
    dx_synth_der_uint(&d, 2);
    dx_synth_der_tlv_str(&d, 0x5F0F, "ERIKSSON<<\xC3\x85SA");
    dx_synth_der_tlv_str(&d, 0x5F0F, "SVENSSON<<ANNA");
    dx_synth_der_end(&d);
    dx_synth_der_tlv_str(&d, 0x5F10, "123456789");
    dx_synth_der_tlv(&d, 0x5F2B, bcd, sizeof bcd);
    dx_synth_der_tlv_str(&d, 0x5F11, "ZENITH<UTOPIA");
    dx_synth_der_tlv_str(&d, 0x5F42, "1<\xC3\x96STRA<STREET<ZENITH");
    dx_synth_der_tlv_str(&d, 0x5F12, "+99 555 0100");
    dx_synth_der_tlv_str(&d, 0x5F13, "EXAMINER");
    dx_synth_der_tlv_str(&d, 0x5F14, "DR");
    dx_synth_der_tlv_str(&d, 0x5F15, "SPECIMEN HOLDER");
    dx_synth_der_tlv(&d, 0x5F16, jpeg, jl);
    dx_synth_der_tlv_str(&d, 0x5F17, "X1234567<Y7654321");
    dx_synth_der_tlv_str(&d, 0x5F18, "NONE");
    dx_synth_der_end(&d);
    put_der("dg11-full", S_DG11, &d);

    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x6C);
    dx_synth_der_tlv(&d, 0x5C, tags12, sizeof tags12);
    dx_synth_der_tlv_str(&d, 0x5F19, "UTOPIA PASSPORT OFFICE");
    dx_synth_der_tlv_str(&d, 0x5F26, "20240416");
    dx_synth_der_begin(&d, 0xA0);
    dx_synth_der_uint(&d, 1);
    dx_synth_der_tlv_str(&d, 0x5F1A, "ERIKSSON<<NILS");
    dx_synth_der_end(&d);
    dx_synth_der_tlv_str(&d, 0x5F1B, "NO ENDORSEMENTS");
    dx_synth_der_tlv_str(&d, 0x5F1C, "NONE");
    dx_synth_der_tlv(&d, 0x5F1D, jpeg, jl);
    dx_synth_der_tlv(&d, 0x5F1E, jpeg, jl > 40 ? 40 : jl);
    dx_synth_der_tlv(&d, 0x5F55, when, sizeof when);
    dx_synth_der_tlv_str(&d, 0x5F56, "UTO-PERSO-0042");
    dx_synth_der_end(&d);
    put_der("dg12-full", S_DG12, &d);
    free(jpeg);
}

static void displayed(void)
{
    size_t jl = 0, pl = 0;
    uint8_t *jpeg = image(DX_SYNTH_FACE_JPEG, 30, &jl), *jp2 = image(DX_SYNTH_FACE_JPEG2000, 40, &pl);
    dx_synth_der d;

    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x67);
    dx_synth_der_uint(&d, 2);
    dx_synth_der_tlv(&d, 0x5F43, jpeg, jl);
    dx_synth_der_tlv(&d, 0x5F43, jp2, pl);
    dx_synth_der_end(&d);
    put_der("dg7", S_DISPLAYED, &d);
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x65);
    dx_synth_der_uint(&d, 1);
    dx_synth_der_tlv(&d, 0x5F40, jpeg, jl);
    dx_synth_der_end(&d);
    put_der("dg5", S_DISPLAYED, &d);

    put("image-jpeg", S_IMAGE, jpeg, jl);
    put("image-jp2", S_IMAGE, jp2, pl);
    /* the JP2's codestream box as a bare J2K codestream */
    for (size_t pos = 0; jp2 && pl - pos >= 8;) {
        size_t bl = (size_t)jp2[pos] << 24 | (size_t)jp2[pos + 1] << 16 |
                    (size_t)jp2[pos + 2] << 8 | jp2[pos + 3];
        if (bl == 0)
            bl = pl - pos;
        if (bl < 8 || bl > pl - pos)
            break;
        if (memcmp(jp2 + pos + 4, "jp2c", 4) == 0) {
            put("image-j2k", S_IMAGE, jp2 + pos + 8, bl - 8);
            break;
        }
        pos += bl;
    }
    free(jpeg);
    free(jp2);
}

static void security(const char *trust)
{
    char path[1200];
    EVP_PKEY *k;
    unsigned char *spki = NULL;
    int len;
    dx_synth_der d;
    static const uint8_t cvca[] = {0x01, 0x1C};

    snprintf(path, sizeof path, "%s/pool/%s-0.key.pem", trust, DX_SYNTH_POOL_CA_ECDH);
    k = lt_load_key(path);
    if (!k || EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING,
                                             OSSL_PKEY_EC_ENCODING_EXPLICIT) != 1 ||
        (len = i2d_PUBKEY(k, &spki)) <= 0) {
        fprintf(stderr, "lds-mkseeds: cannot make the explicit-curve key\n");
        failures++;
        EVP_PKEY_free(k);
        return;
    }
    dx_synth_der_init(&d);
    dx_synth_der_tlv(&d, 0x6F, spki, (size_t)len);
    put_der("dg15-ec-explicit", S_DG15, &d);

    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x6E);
    dx_synth_der_begin(&d, 0x31);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.2");
    dx_synth_der_uint(&d, 1);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_tlv(&d, 0x04, cvca, 2);
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.4.2");
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "1.2.840.10045.2.1");
    dx_synth_der_end(&d);
    dx_synth_der_uint(&d, 2);
    dx_synth_der_end(&d);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.3.2");
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.1.2");
    dx_synth_der_end(&d);
    dx_synth_der_uint(&d, 1);
    dx_synth_der_end(&d);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "0.4.0.127.0.7.2.2.3.2.4");
    dx_synth_der_uint(&d, 2);
    dx_synth_der_uint(&d, 1);
    dx_synth_der_end(&d);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, DX_SYNTH_OID_PK_ECDH);
    dx_synth_der_raw(&d, spki, (size_t)len);
    dx_synth_der_uint(&d, 1);
    dx_synth_der_end(&d);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, "1.3.6.1.4.1.99999.1");
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    put_der("dg14-every-kind", S_DG14, &d);
    OPENSSL_free(spki);
    EVP_PKEY_free(k);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TRUST_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[2];
    chips(argv[1]);
    appendix_d();
    details();
    displayed();
    security(argv[1]);
    return failures ? 1 : 0;
}
