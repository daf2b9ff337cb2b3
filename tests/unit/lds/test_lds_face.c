/* LDS parsers, part 2: DG2 (ISO/IEC 19794-5 face records) and the images of
 * DG2 and DG7 — synthetic chips with a JPEG and a JPEG 2000 portrait decoded
 * back to the portrait they were made from, J2K codestreams, grey JPEGs,
 * declared sizes the image does not have, corrupt and enormous images.
 *   test-lds_face TRUST_DIR KNOWN_ANSWERS.json */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <openjpeg.h>

#include "dxtest.h"
#include "icao/lds.h"
#include "lds_test.h"

static const char *trust;

/* What the JPEG (quality 75) and JPEG 2000 (ratio 20) portraits may differ
 * from the drawn one, per sample, on average (measured: 1.3 and 0.2). */
#define MEAN_ERROR_MAX 4.0

static uint8_t *chip_dg2(dx_synth_face_format fmt, size_t *n)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char dir[512];
    uint8_t *buf;

    fix_holder(&h);
    fix_options(&o, &h, trust);
    o.face_format = fmt;
    o.eye_colour = 3;   /* 19794-5: brown */
    o.hair_colour = 5;  /* grey */
    if (!lt_mkchip(&o, dir, sizeof dir))
        return NULL;
    buf = lt_slurp(dir, "EF.DG2", n);
    lt_rmdir(dir);
    return buf;
}

static void check_face(const uint8_t *buf, size_t n, dx_synth_face_format fmt)
{
    dx_lds_dg2 d;
    dx_lds_pixels px;
    dx_error err = {0};
    const dx_lds_face *f;
    double mean;
    int max;

    REQUIRE(dx_lds_parse_dg2(buf, n, &d, &err) == DX_OK);
    CHECK(d.n_instances == 1 && d.n_faces == 1);
    CHECK_MSG(d.notes.n == 0, "%s", d.notes.text[0]);
    f = &d.faces[0];
    CHECK(f->instance == 0 && f->index == 0);
    CHECK(f->bht.has_version && f->bht.version[0] == 1 && f->bht.version[1] == 1);
    CHECK(f->bht.has_type && f->bht.type == 2);
    CHECK(f->bht.format_owner == 0x0101 && f->bht.format_type == 0x0008);
    CHECK(!f->bht.has_subtype && !f->bht.has_creation);
    CHECK(f->bdb_tag == 0x5F2E);
    CHECK_STR(f->version, "010");
    CHECK(f->n_images == 1);
    CHECK(f->record_length == 14 + f->block_length);
    CHECK(f->block_length == 20 + 12 + f->image_len);
    CHECK(f->n_feature_points == 0);
    CHECK(f->gender == 2);                 /* F */
    CHECK(f->eye_colour == 3 && f->hair_colour == 5);
    CHECK(f->property_mask == 0 && f->expression == 0);
    CHECK(f->face_image_type == 1);        /* full frontal */
    CHECK(f->image_data_type == (fmt == DX_SYNTH_FACE_JPEG ? 0 : 1));
    CHECK(f->width == FIX_PORTRAIT_W && f->height == FIX_PORTRAIT_H);
    CHECK(f->colour_space == 1 && f->source_type == 2);
    CHECK(f->device_type == 0 && f->quality == 0);
    CHECK(f->image == buf + f->image_offset);
    CHECK(f->image_offset + f->image_len == n);
    CHECK(f->image_format == (fmt == DX_SYNTH_FACE_JPEG ? DX_LDS_IMAGE_JPEG : DX_LDS_IMAGE_JP2));

    /* the image is what the builder encodes */
    {
        uint8_t *img = NULL;
        size_t len = 0;
        REQUIRE(dx_synth_chip_encode_face(fix_portrait(), FIX_PORTRAIT_W, FIX_PORTRAIT_H, 0, fmt,
                                          fmt == DX_SYNTH_FACE_JPEG ? 75 : 20, &img, &len,
                                          &err) == DX_OK);
        CHECK(len == f->image_len && memcmp(img, f->image, len) == 0);
        free(img);
    }

    /* and decodes to the portrait */
    REQUIRE(dx_lds_face_decode(f, 0, &px, &err) == DX_OK);
    CHECK(px.width == FIX_PORTRAIT_W && px.height == FIX_PORTRAIT_H);
    CHECK(px.components == 3 && px.precision == 8);
    CHECK_MSG(px.mismatch[0] == '\0', "%s", px.mismatch);
    lt_pixel_error(px.rgb, fix_portrait(), (size_t)FIX_PORTRAIT_W * FIX_PORTRAIT_H * 3, &mean,
                   &max);
    printf("%s portrait: mean error %.2f, largest %d\n",
           fmt == DX_SYNTH_FACE_JPEG ? "JPEG" : "JPEG 2000", mean, max);
    CHECK_MSG(mean < MEAN_ERROR_MAX, "mean error %.2f", mean);
    dx_lds_pixels_free(&px);
    dx_lds_pixels_free(&px);
}

/* The JP2's codestream box (jp2c) as a bare J2K codestream. */
static uint8_t *jp2_codestream(const uint8_t *jp2, size_t n, size_t *len)
{
    size_t pos = 0;
    while (n - pos >= 8) {
        size_t bl = (size_t)jp2[pos] << 24 | (size_t)jp2[pos + 1] << 16 |
                    (size_t)jp2[pos + 2] << 8 | jp2[pos + 3];
        if (bl == 0)
            bl = n - pos;
        if (bl < 8 || bl > n - pos)
            return NULL;
        if (memcmp(jp2 + pos + 4, "jp2c", 4) == 0) {
            *len = bl - 8;
            return lt_dup(jp2 + pos + 8, bl - 8);
        }
        pos += bl;
    }
    return NULL;
}

static void test_synthetic_faces(void)
{
    size_t n;
    uint8_t *jpeg = chip_dg2(DX_SYNTH_FACE_JPEG, &n);
    REQUIRE(jpeg);
    check_face(jpeg, n, DX_SYNTH_FACE_JPEG);
    free(jpeg);

    uint8_t *jp2 = chip_dg2(DX_SYNTH_FACE_JPEG2000, &n);
    REQUIRE(jp2);
    check_face(jp2, n, DX_SYNTH_FACE_JPEG2000);

    /* the same image as a bare codestream decodes to the same pixels */
    {
        dx_lds_dg2 d;
        dx_lds_pixels a, b;
        dx_error err = {0};
        size_t cl = 0;
        uint8_t *cs;
        REQUIRE(dx_lds_parse_dg2(jp2, n, &d, &err) == DX_OK);
        cs = jp2_codestream(d.faces[0].image, d.faces[0].image_len, &cl);
        REQUIRE(cs);
        CHECK(dx_lds_image_sniff(cs, cl) == DX_LDS_IMAGE_J2K);
        REQUIRE(dx_lds_image_decode(cs, cl, 0, "J2K", &b, &err) == DX_OK);
        REQUIRE(dx_lds_face_decode(&d.faces[0], 0, &a, &err) == DX_OK);
        CHECK(b.format == DX_LDS_IMAGE_J2K && a.format == DX_LDS_IMAGE_JP2);
        CHECK(a.width == b.width && a.height == b.height &&
              memcmp(a.rgb, b.rgb, a.width * a.height * 3) == 0);
        dx_lds_pixels_free(&a);
        dx_lds_pixels_free(&b);
        free(cs);
    }
    free(jp2);
}

/* ---- a grey JPEG, encoded here with libjpeg ------------------------------------ */

typedef struct grey_job {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
} grey_job;

static void grey_fail(j_common_ptr c)
{
    longjmp(((grey_job *)(void *)c->err)->jump, 1);
}

static uint8_t *grey_jpeg(size_t w, size_t h, size_t *len)
{
    struct jpeg_compress_struct c;
    grey_job j;
    unsigned char *mem = NULL;
    unsigned long size = 0;
    uint8_t *row = malloc(w), *out = NULL;

    c.err = jpeg_std_error(&j.pub);
    j.pub.error_exit = grey_fail;
    if (!row || setjmp(j.jump)) {
        jpeg_destroy_compress(&c);
        free(row);
        return NULL;
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &size);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW r = row;
        for (size_t x = 0; x < w; x++)
            row[x] = (uint8_t)((x * 255) / (w - 1));
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    out = lt_dup(mem, size);
    *len = size;
    free(mem);
    free(row);
    return out;
}

static void test_grey_jpeg(void)
{
    size_t n = 0;
    uint8_t *g = grey_jpeg(64, 16, &n);
    dx_lds_pixels px;
    dx_error err = {0};
    REQUIRE(g);
    REQUIRE(dx_lds_image_decode(g, n, 0, "grey", &px, &err) == DX_OK);
    CHECK(px.width == 64 && px.height == 16 && px.components == 1);
    CHECK(px.rgb[0] < 8 && px.rgb[63 * 3] > 247);
    CHECK(px.rgb[30 * 3] == px.rgb[30 * 3 + 1] && px.rgb[30 * 3 + 1] == px.rgb[30 * 3 + 2]);
    dx_lds_pixels_free(&px);
    free(g);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- JPEG 2000 of other kinds, encoded here losslessly with OpenJPEG ----------------- */

typedef struct out_buf {
    uint8_t *p;
    size_t len, cap, pos;
} out_buf;

static OPJ_SIZE_T ob_write(void *buf, OPJ_SIZE_T n, void *user)
{
    out_buf *o = user;
    if (o->pos + n > o->cap) {
        size_t cap = (o->pos + n) * 2;
        uint8_t *q = realloc(o->p, cap);
        if (!q)
            return (OPJ_SIZE_T)-1;
        memset(q + o->cap, 0, cap - o->cap);
        o->p = q;
        o->cap = cap;
    }
    memcpy(o->p + o->pos, buf, n);
    o->pos += n;
    if (o->pos > o->len)
        o->len = o->pos;
    return n;
}

static OPJ_BOOL ob_seek(OPJ_OFF_T to, void *user)
{
    out_buf *o = user;
    if (to < 0 || (size_t)to > o->len)
        return OPJ_FALSE;
    o->pos = (size_t)to;
    return OPJ_TRUE;
}

static OPJ_OFF_T ob_skip(OPJ_OFF_T n, void *user)
{
    out_buf *o = user;
    if (n < 0 && (size_t)-n > o->pos)
        return -1;
    if (n > 0) {
        /* skipping forward writes zeros (the JP2 writer comes back to them) */
        static const uint8_t z[64];
        for (OPJ_OFF_T k = 0; k < n; k += 64)
            if (ob_write((void *)z, (OPJ_SIZE_T)(n - k < 64 ? n - k : 64), o) == (OPJ_SIZE_T)-1)
                return -1;
        return n;
    }
    o->pos -= (size_t)-n;
    return n;
}

static void opj_print(const char *msg, void *user)
{
    (void)user;
    fprintf(stderr, "OpenJPEG: %s", msg);
}

typedef int32_t (*sample_fn)(unsigned comp, size_t x, size_t y);

/* A lossless JP2 of w x h, n components of prec bits (signed or not), in
 * colour space cs; samples from f. */
static uint8_t *make_jp2(size_t w, size_t h, unsigned n, unsigned prec, bool sgnd,
                         OPJ_COLOR_SPACE cs, sample_fn f, size_t *len)
{
    opj_image_cmptparm_t cp[4];
    opj_cparameters_t p;
    opj_image_t *im;
    opj_codec_t *codec;
    opj_stream_t *st;
    out_buf o = {0};
    bool ok;

    memset(cp, 0, sizeof cp);
    for (unsigned c = 0; c < n; c++) {
        cp[c].dx = cp[c].dy = 1;
        cp[c].w = (OPJ_UINT32)w;
        cp[c].h = (OPJ_UINT32)h;
        cp[c].prec = prec;
        cp[c].sgnd = sgnd;
    }
    im = opj_image_create(n, cp, cs);
    if (!im)
        return NULL;
    im->x1 = (OPJ_UINT32)w;
    im->y1 = (OPJ_UINT32)h;
    for (unsigned c = 0; c < n; c++)
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w; x++)
                im->comps[c].data[y * w + x] = f(c, x, y);
    opj_set_default_encoder_parameters(&p);
    p.tcp_numlayers = 1;
    p.tcp_rates[0] = 0;  /* lossless */
    p.cp_disto_alloc = 1;
    p.numresolution = 1;  /* the images are a few pixels */
    p.tcp_mct = 0;
    codec = opj_create_compress(OPJ_CODEC_JP2);
    opj_set_error_handler(codec, opj_print, NULL);
    st = opj_stream_create(4096, OPJ_FALSE);
    opj_stream_set_write_function(st, ob_write);
    opj_stream_set_seek_function(st, ob_seek);
    opj_stream_set_skip_function(st, ob_skip);
    opj_stream_set_user_data(st, &o, NULL);
    ok = opj_setup_encoder(codec, &p, im) && opj_start_compress(codec, im, st) &&
         opj_encode(codec, st) && opj_end_compress(codec, st);
    opj_stream_destroy(st);
    opj_destroy_codec(codec);
    opj_image_destroy(im);
    if (!ok) {
        free(o.p);
        return NULL;
    }
    {
        uint8_t *exact = lt_dup(o.p, o.len);
        *len = o.len;
        free(o.p);
        return exact;
    }
}

static int32_t grey16(unsigned c, size_t x, size_t y)
{
    (void)c;
    (void)y;
    return x == 0 ? 0 : x == 1 ? 0x8000 : 0xFFFF;
}

static int32_t signed8(unsigned c, size_t x, size_t y)
{
    (void)c;
    (void)y;
    return x == 0 ? -128 : x == 1 ? 0 : 127;
}

/* x 0: grey; x 1: red (Y 76, Cb 85, Cr 255); x 2: blue (Y 29, Cb 255, Cr 107) */
static int32_t sycc(unsigned c, size_t x, size_t y)
{
    static const int32_t v[3][3] = {{128, 128, 128}, {76, 85, 255}, {29, 255, 107}};
    (void)y;
    return v[x][c];
}

static int32_t rgba(unsigned c, size_t x, size_t y)
{
    (void)y;
    return c == 3 ? 0 : (int32_t)(x * 100 + c);
}

static void test_jp2_kinds(void)
{
    size_t n;
    uint8_t *j;
    dx_lds_pixels px;
    dx_error err = {0};

    j = make_jp2(3, 2, 1, 16, false, OPJ_CLRSPC_GRAY, grey16, &n);
    REQUIRE(j);
    REQUIRE(dx_lds_image_decode(j, n, 0, "grey16", &px, &err) == DX_OK);
    CHECK(px.components == 1 && px.precision == 16 && px.width == 3 && px.height == 2);
    CHECK(px.rgb[0] == 0 && px.rgb[3] == 128 && px.rgb[6] == 255 && px.rgb[7] == 255);
    dx_lds_pixels_free(&px);
    free(j);

    j = make_jp2(3, 1, 1, 8, true, OPJ_CLRSPC_GRAY, signed8, &n);
    REQUIRE(j);
    REQUIRE(dx_lds_image_decode(j, n, 0, "signed", &px, &err) == DX_OK);
    CHECK(px.rgb[0] == 0 && px.rgb[3] == 128 && px.rgb[6] == 255);
    dx_lds_pixels_free(&px);
    free(j);

    j = make_jp2(3, 1, 3, 8, false, OPJ_CLRSPC_SYCC, sycc, &n);
    REQUIRE(j);
    REQUIRE(dx_lds_image_decode(j, n, 0, "sYCC", &px, &err) == DX_OK);
    CHECK(px.components == 3);
    CHECK(px.rgb[0] == 128 && px.rgb[1] == 128 && px.rgb[2] == 128);
    CHECK_MSG(px.rgb[3] > 245 && px.rgb[4] < 10 && px.rgb[5] < 10, "red %u %u %u", px.rgb[3],
              px.rgb[4], px.rgb[5]);
    CHECK_MSG(px.rgb[6] < 10 && px.rgb[7] < 10 && px.rgb[8] > 245, "blue %u %u %u", px.rgb[6],
              px.rgb[7], px.rgb[8]);
    dx_lds_pixels_free(&px);
    free(j);

    /* RGBA: the alpha channel is dropped */
    j = make_jp2(3, 1, 4, 8, false, OPJ_CLRSPC_SRGB, rgba, &n);
    REQUIRE(j);
    REQUIRE(dx_lds_image_decode(j, n, 0, "RGBA", &px, &err) == DX_OK);
    CHECK(px.components == 4 && px.rgb[3] == 100 && px.rgb[4] == 101 && px.rgb[5] == 102);
    dx_lds_pixels_free(&px);
    free(j);

    /* a palette (pclr box in the JP2 header): refused before OpenJPEG expands it */
    j = make_jp2(2, 1, 1, 8, false, OPJ_CLRSPC_GRAY, signed8, &n);
    REQUIRE(j);
    {
        /* pclr: NE 2, NPC 3, B 7 7 7, entries 2 x 3 */
        static const uint8_t pclr[] = {0, 0, 0, 20, 'p', 'c', 'l', 'r', 0, 2, 3, 7, 7, 7,
                                       0, 0, 0, 255, 255, 255};
        size_t at = 0, hl;
        uint8_t *k;
        for (size_t i = 4; i + 4 <= n && !at; i++)
            if (memcmp(j + i, "jp2h", 4) == 0)
                at = i - 4;
        REQUIRE(at);
        hl = (size_t)j[at] << 24 | (size_t)j[at + 1] << 16 | (size_t)j[at + 2] << 8 | j[at + 3];
        k = malloc(n + sizeof pclr);
        REQUIRE(k);
        memcpy(k, j, at + hl);
        memcpy(k + at + hl, pclr, sizeof pclr);
        memcpy(k + at + hl + sizeof pclr, j + at + hl, n - at - hl);
        put32(k + at, (uint32_t)(hl + sizeof pclr));
        CHECK(dx_lds_image_decode(k, n + sizeof pclr, 0, "pclr", &px, &err) == DX_ERR_UNSUPPORTED);
        CHECK_MSG(strstr(err.message, "pclr: a JPEG 2000 image with a palette (pclr) is not "
                                      "supported"), "%s", err.message);
        free(k);
    }
    free(j);

    /* CMYK (OpenJPEG does not write it: the colour box's EnumCS set to 12): refused */
    j = make_jp2(2, 1, 4, 8, false, OPJ_CLRSPC_SRGB, rgba, &n);
    REQUIRE(j);
    {
        uint8_t *colr = NULL;
        for (size_t i = 0; i + 11 <= n && !colr; i++)
            if (memcmp(j + i, "colr", 4) == 0)
                colr = j + i;
        REQUIRE(colr && colr[4] == 1);  /* method 1: enumerated colour space */
        put32(colr + 7, 12);
    }
    CHECK(dx_lds_image_decode(j, n, 0, "CMYK", &px, &err) == DX_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(err.message, "CMYK: a CMYK JPEG 2000 image is not supported"), "%s",
              err.message);
    free(j);
}

/* ---- DG2 built from a face given here -------------------------------------------- */

static uint8_t *dg2_of(const uint8_t *img, size_t len, dx_synth_face_format fmt, uint16_t w,
                       uint16_t h, size_t *n)
{
    dx_synth_face face = {.image = img, .image_len = len, .format = fmt, .width = w,
                          .height = h, .gender = 1};
    dx_synth_der d;
    dx_error err = {0};
    dx_synth_der_init(&d);
    if (dx_synth_chip_build_dg2(&face, &d, &err) != DX_OK) {
        dx_synth_der_free(&d);
        return NULL;
    }
    return lt_take(&d, n);
}

static uint8_t *encode(dx_synth_face_format fmt, size_t *len)
{
    uint8_t *img = NULL;
    dx_error err = {0};
    if (dx_synth_chip_encode_face(fix_portrait(), FIX_PORTRAIT_W, FIX_PORTRAIT_H, 0, fmt,
                                  fmt == DX_SYNTH_FACE_JPEG ? 75 : 20, &img, len, &err) != DX_OK)
        return NULL;
    uint8_t *exact = lt_dup(img, *len);
    free(img);
    return exact;
}

/* The record declares another size, or another image type: decoded, with
 * the mismatch said. */
static void test_mismatch(void)
{
    size_t il, n;
    uint8_t *img = encode(DX_SYNTH_FACE_JPEG, &il), *buf;
    dx_lds_dg2 d;
    dx_lds_pixels px;
    dx_error err = {0};

    REQUIRE(img);
    buf = dg2_of(img, il, DX_SYNTH_FACE_JPEG, FIX_PORTRAIT_W + 1, FIX_PORTRAIT_H, &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg2(buf, n, &d, &err) == DX_OK);
    CHECK(d.faces[0].width == FIX_PORTRAIT_W + 1);
    REQUIRE(dx_lds_face_decode(&d.faces[0], 0, &px, &err) == DX_OK);
    CHECK_MSG(strstr(px.mismatch, "declares 241x320 pixels, the image has 240x320") != NULL,
              "%s", px.mismatch);
    dx_lds_pixels_free(&px);
    free(buf);

    /* image data type 1 (JPEG 2000) over JPEG bytes */
    buf = dg2_of(img, il, DX_SYNTH_FACE_JPEG2000, FIX_PORTRAIT_W, FIX_PORTRAIT_H, &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg2(buf, n, &d, &err) == DX_OK);
    CHECK(d.faces[0].image_data_type == 1 && d.faces[0].image_format == DX_LDS_IMAGE_JPEG);
    REQUIRE(dx_lds_face_decode(&d.faces[0], 0, &px, &err) == DX_OK);
    CHECK_MSG(strstr(px.mismatch, "image data type is 1 (JPEG 2000), the image is JPEG") != NULL,
              "%s", px.mismatch);
    dx_lds_pixels_free(&px);
    free(buf);
    free(img);
}

/* ---- corrupt and enormous images ----------------------------------------------------- */

static void expect_decode_error(const uint8_t *img, size_t n, size_t max, dx_status want,
                                const char *needle)
{
    dx_lds_pixels px;
    dx_error err = {0};
    uint8_t *exact = lt_dup(img, n);
    dx_status st = dx_lds_image_decode(exact, n, max, "test image", &px, &err);
    CHECK_MSG(st == want, "status %d (%s), %d expected", (int)st, err.message, (int)want);
    CHECK_MSG(strstr(err.message, needle) != NULL, "\"%s\" lacks \"%s\"", err.message, needle);
    CHECK(px.rgb == NULL);
    if (st == DX_OK)
        dx_lds_pixels_free(&px);
    free(exact);
}

/* Offset of the first JPEG marker FF <m>, or 0. */
static size_t jpeg_marker(const uint8_t *p, size_t n, uint8_t m)
{
    for (size_t i = 2; i + 1 < n; i++)
        if (p[i] == 0xFF && p[i + 1] == m)
            return i;
    return 0;
}

static void test_corrupt_jpeg(void)
{
    size_t n;
    uint8_t *img = encode(DX_SYNTH_FACE_JPEG, &n), *bad;
    size_t sof, sos;

    REQUIRE(img);
    bad = lt_dup(img, n);
    /* cut in the middle of the scan */
    expect_decode_error(img, n / 2, 0, DX_ERR_DATA, "corrupt JPEG: Premature end of JPEG file");
    /* cut inside the headers */
    sos = jpeg_marker(img, n, 0xDA);
    REQUIRE(sos);
    expect_decode_error(img, sos, 0, DX_ERR_DATA, "corrupt JPEG");
    /* SOI only */
    expect_decode_error(img, 3, 0, DX_ERR_DATA, "corrupt JPEG");
    /* the Huffman tables destroyed */
    {
        size_t dht = jpeg_marker(img, n, 0xC4);
        REQUIRE(dht);
        memset(bad + dht + 4, 0xFF, 20);
        expect_decode_error(bad, n, 0, DX_ERR_DATA, "corrupt JPEG");
        memcpy(bad, img, n);
    }
    /* entropy-coded data replaced by a marker in the middle */
    bad[sos + 200] = 0xFF;
    bad[sos + 201] = 0xD9;
    expect_decode_error(bad, n, 0, DX_ERR_DATA, "corrupt JPEG");
    memcpy(bad, img, n);
    /* enormous: SOF0 declares 60000 x 60000 */
    sof = jpeg_marker(img, n, 0xC0);
    REQUIRE(sof);
    bad[sof + 5] = 0xEA;
    bad[sof + 6] = 0x60;
    bad[sof + 7] = 0xEA;
    bad[sof + 8] = 0x60;
    expect_decode_error(bad, n, 0, DX_ERR_DATA,
                        "declares 60000x60000 pixels, more than the limit of 50000000");
    /* the genuine image under a lower cap */
    expect_decode_error(img, n, 1000, DX_ERR_DATA, "declares 240x320 pixels, more than the "
                                                   "limit of 1000");
    /* zero height */
    memcpy(bad, img, n);
    bad[sof + 5] = 0;
    bad[sof + 6] = 0;
    expect_decode_error(bad, n, 0, DX_ERR_DATA, "JPEG");
    /* not an image at all */
    expect_decode_error((const uint8_t *)"GIF89a....", 10, 0, DX_ERR_DATA,
                        "neither JPEG nor JPEG 2000 (10 bytes, starting 474946383961");
    expect_decode_error(img, 0, 0, DX_ERR_DATA, "neither JPEG nor JPEG 2000 (0 bytes)");
    free(bad);
    free(img);
}

/* Offset of the J2K marker FF <m> in a codestream, or 0. */
static size_t j2k_marker(const uint8_t *p, size_t n, uint8_t m)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == 0xFF && p[i + 1] == m)
            return i;
    return 0;
}


static void test_corrupt_jp2(void)
{
    size_t n, cl = 0;
    uint8_t *img = encode(DX_SYNTH_FACE_JPEG2000, &n), *bad, *cs;
    size_t siz;

    REQUIRE(img);
    /* truncated JP2: the header is there, the codestream is not complete */
    expect_decode_error(img, n - n / 3, 0, DX_ERR_DATA, "corrupt JPEG 2000");
    /* only the signature box */
    expect_decode_error(img, 12, 0, DX_ERR_DATA, "corrupt JPEG 2000 header");
    /* the JP2 header box destroyed */
    bad = lt_dup(img, n);
    memset(bad + 12, 0xEE, 60);
    expect_decode_error(bad, n, 0, DX_ERR_DATA, "corrupt JPEG 2000");
    free(bad);

    cs = jp2_codestream(img, n, &cl);
    REQUIRE(cs);
    siz = j2k_marker(cs, cl, 0x51);
    REQUIRE(siz == 2);
    /* truncated codestream */
    expect_decode_error(cs, cl / 2, 0, DX_ERR_DATA, "corrupt JPEG 2000");
    /* SIZ with 0 components */
    bad = lt_dup(cs, cl);
    bad[siz + 38] = 0;
    bad[siz + 39] = 0;
    expect_decode_error(bad, cl, 0, DX_ERR_DATA, "corrupt JPEG 2000 header");
    free(bad);
    /* enormous: SIZ declares 60000 x 60000 in one tile */
    bad = lt_dup(cs, cl);
    put32(bad + siz + 6, 60000);   /* Xsiz */
    put32(bad + siz + 10, 60000);  /* Ysiz */
    put32(bad + siz + 22, 60000);  /* XTsiz */
    put32(bad + siz + 26, 60000);  /* YTsiz */
    expect_decode_error(bad, cl, 0, DX_ERR_DATA,
                        "declares 60000x60000 pixels, more than the limit of 50000000");
    free(bad);
    /* garbage after the main header: the tile data corrupted */
    bad = lt_dup(cs, cl);
    {
        size_t sod = j2k_marker(cs, cl, 0x93);
        REQUIRE(sod);
        memset(bad + sod - 12, 0x00, 10);  /* inside the tile-part header (SOT) */
        dx_lds_pixels px;
        dx_error err = {0};
        dx_status st = dx_lds_image_decode(bad, cl, 0, "test image", &px, &err);
        CHECK_MSG(st == DX_ERR_DATA && strstr(err.message, "JPEG 2000"), "%d %s", (int)st,
                  err.message);
        dx_lds_pixels_free(&px);
    }
    free(bad);
    free(cs);
    free(img);
}

/* A corrupt image inside a DG2 that parses: the parse is fine, the decode
 * says what is wrong and where. */
static void test_corrupt_in_dg2(void)
{
    size_t il, n;
    uint8_t *img = encode(DX_SYNTH_FACE_JPEG, &il), *buf;
    dx_lds_dg2 d;
    dx_lds_pixels px;
    dx_error err = {0};

    REQUIRE(img);
    buf = dg2_of(img, il / 2, DX_SYNTH_FACE_JPEG, FIX_PORTRAIT_W, FIX_PORTRAIT_H, &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg2(buf, n, &d, &err) == DX_OK);
    CHECK(dx_lds_face_decode(&d.faces[0], 0, &px, &err) == DX_ERR_DATA);
    CHECK_MSG(strstr(err.message, "EF.DG2 face 1 (offset ") &&
              strstr(err.message, "corrupt JPEG: Premature end of JPEG file"), "%s",
              err.message);
    free(buf);
    free(img);
}

/* ---- DG7 (and DG5): displayed images ------------------------------------------------ */

static void test_dg7(void)
{
    size_t jl, pl, n;
    uint8_t *jpeg = encode(DX_SYNTH_FACE_JPEG, &jl), *jp2 = encode(DX_SYNTH_FACE_JPEG2000, &pl);
    uint8_t *buf;
    dx_synth_der d;
    dx_lds_displayed r;
    dx_lds_pixels px;
    dx_error err = {0};

    REQUIRE(jpeg && jp2);
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x67);
    dx_synth_der_uint(&d, 2);
    dx_synth_der_tlv(&d, 0x5F43, jpeg, jl);
    dx_synth_der_tlv(&d, 0x5F43, jp2, pl);
    dx_synth_der_end(&d);
    buf = lt_take(&d, &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg7(buf, n, &r, &err) == DX_OK);
    CHECK(r.dg == 7 && r.n == 2);
    CHECK(r.images[0].format == DX_LDS_IMAGE_JPEG && r.images[0].len == jl &&
          r.images[0].data == buf + r.images[0].offset);
    CHECK(r.images[1].format == DX_LDS_IMAGE_JP2 && r.images[1].len == pl &&
          memcmp(r.images[1].data, jp2, pl) == 0);
    for (size_t i = 0; i < r.n; i++) {
        REQUIRE(dx_lds_image_decode(r.images[i].data, r.images[i].len, 0, "EF.DG7", &px, &err) ==
                DX_OK);
        CHECK(px.width == FIX_PORTRAIT_W && px.height == FIX_PORTRAIT_H);
        dx_lds_pixels_free(&px);
    }
    /* a DG7 is no DG5 */
    CHECK(dx_lds_parse_dg5(buf, n, &r, &err) == DX_ERR_DATA);
    CHECK_MSG(strstr(err.message, "EF.DG5: offset 0: the file starts with tag 67, 65 expected"),
              "%s", err.message);
    free(buf);

    /* a count that lies, both ways */
    for (int lie = 1; lie <= 3; lie += 2) {
        dx_synth_der_init(&d);
        dx_synth_der_begin(&d, 0x67);
        dx_synth_der_uint(&d, (uint64_t)lie);
        dx_synth_der_tlv(&d, 0x5F43, jpeg, jl);
        dx_synth_der_tlv(&d, 0x5F43, jpeg, jl);
        dx_synth_der_end(&d);
        buf = lt_take(&d, &n);
        CHECK(dx_lds_parse_dg7(buf, n, &r, &err) == DX_ERR_DATA);
        CHECK_MSG(strstr(err.message, lie == 1 ? "more images (5F43) than the count"
                                               : "the count says 3 images, the file holds 2"),
                  "%s", err.message);
        CHECK(r.n == 0);
        free(buf);
    }

    /* DG5 */
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x65);
    dx_synth_der_uint(&d, 1);
    dx_synth_der_tlv(&d, 0x5F40, jpeg, jl);
    dx_synth_der_end(&d);
    buf = lt_take(&d, &n);
    REQUIRE(dx_lds_parse_dg5(buf, n, &r, &err) == DX_OK);
    CHECK(r.dg == 5 && r.n == 1 && r.images[0].len == jl);
    free(buf);
    free(jpeg);
    free(jp2);
}

/* ---- several faces ---------------------------------------------------------------------- */

/* Two templates, the second with a record of two faces and 2 feature points
 * each; a 7F2E block; BHT with every optional field. */
static void test_several_faces(void)
{
    size_t jl, n;
    uint8_t *jpeg = encode(DX_SYNTH_FACE_JPEG, &jl), *rec, *buf;
    dx_synth_der d;
    dx_lds_dg2 r;
    dx_error err = {0};
    size_t face_len = 20 + 16 + 12 + jl, rec_len = 14 + 2 * face_len;
    static const uint8_t ver[] = {1, 1}, type[] = {2}, sub[] = {0x08}, owner[] = {1, 1},
                         fmt[] = {0, 8}, created[] = {0x20, 0x24, 0x04, 0x16, 0x12, 0, 0},
                         valid[] = {0x20, 0x24, 0x04, 0x16, 0x20, 0x34, 0x04, 0x15},
                         creator[] = {0x00, 0x42};

    REQUIRE(jpeg);
    rec = calloc(1, rec_len);
    REQUIRE(rec);
    memcpy(rec, "FAC\0" "010\0", 8);
    put32(rec + 8, (uint32_t)rec_len);
    rec[13] = 2;
    for (int k = 0; k < 2; k++) {
        uint8_t *p = rec + 14 + (size_t)k * face_len;
        put32(p, (uint32_t)face_len);
        p[5] = 2;                /* 2 feature points */
        p[6] = (uint8_t)(1 + k); /* gender */
        p[9] = 0x00;
        p[10] = 0x00;
        p[11] = 0x03;            /* property mask */
        p[13] = 1;               /* expression neutral */
        p[14] = 10;
        p[15] = 20;
        p[16] = 30;
        memset(p + 20, 0xAB, 16); /* feature points */
        p += 36;
        p[0] = 1;
        p[1] = 0;
        p[2] = FIX_PORTRAIT_W >> 8;
        p[3] = FIX_PORTRAIT_W & 0xFF;
        p[4] = FIX_PORTRAIT_H >> 8;
        p[5] = FIX_PORTRAIT_H & 0xFF;
        p[6] = 1;
        memcpy(p + 12, jpeg, jl);
    }
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x75);
    dx_synth_der_begin(&d, 0x7F61);
    dx_synth_der_uint(&d, 2);
    /* 1: the single-face record of a synthetic chip */
    dx_synth_der_begin(&d, 0x7F60);
    dx_synth_der_begin(&d, 0xA1);
    dx_synth_der_tlv(&d, 0x87, owner, 2);
    dx_synth_der_tlv(&d, 0x88, fmt, 2);
    dx_synth_der_end(&d);
    {
        uint8_t *one = calloc(1, 14 + 32 + jl);
        REQUIRE(one);
        memcpy(one, "FAC\0" "010\0", 8);
        put32(one + 8, (uint32_t)(14 + 32 + jl));
        one[13] = 1;
        put32(one + 14, (uint32_t)(32 + jl));
        one[14 + 20 + 1] = 0;
        memcpy(one + 14 + 32, jpeg, jl);
        dx_synth_der_tlv(&d, 0x5F2E, one, 14 + 32 + jl);
        free(one);
    }
    dx_synth_der_end(&d);
    /* 2: two faces, 7F2E, a full header template */
    dx_synth_der_begin(&d, 0x7F60);
    dx_synth_der_begin(&d, 0xA1);
    dx_synth_der_tlv(&d, 0x80, ver, 2);
    dx_synth_der_tlv(&d, 0x81, type, 1);
    dx_synth_der_tlv(&d, 0x82, sub, 1);
    dx_synth_der_tlv(&d, 0x83, created, 7);
    dx_synth_der_tlv(&d, 0x85, valid, 8);
    dx_synth_der_tlv(&d, 0x86, creator, 2);
    dx_synth_der_tlv(&d, 0x87, owner, 2);
    dx_synth_der_tlv(&d, 0x88, fmt, 2);
    dx_synth_der_end(&d);
    dx_synth_der_tlv(&d, 0x7F2E, rec, rec_len);
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    buf = lt_take(&d, &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg2(buf, n, &r, &err) == DX_OK);
    CHECK(r.n_instances == 2 && r.n_faces == 3);
    CHECK(r.faces[0].instance == 0 && r.faces[0].n_images == 1 && r.faces[0].gender == 0);
    CHECK(!r.faces[0].bht.has_version && r.faces[0].bht.format_type == 8);
    for (int k = 1; k <= 2; k++) {
        const dx_lds_face *f = &r.faces[k];
        CHECK(f->instance == 1 && f->index == (size_t)k - 1 && f->n_images == 2);
        CHECK(f->bdb_tag == 0x7F2E && f->n_feature_points == 2);
        CHECK(f->gender == k && f->property_mask == 3 && f->expression == 1);
        CHECK(f->pose[0] == 10 && f->pose[1] == 20 && f->pose[2] == 30);
        CHECK(f->image_len == jl && memcmp(f->image, jpeg, jl) == 0);
        CHECK(f->bht.has_subtype && f->bht.subtype == 8 && f->bht.has_creation &&
              f->bht.creation[4] == 0x12 && f->bht.has_validity && f->bht.validity[4] == 0x20 &&
              f->bht.has_creator && f->bht.creator == 0x42);
    }
    {
        dx_lds_pixels px;
        REQUIRE(dx_lds_face_decode(&r.faces[2], 0, &px, &err) == DX_OK);
        CHECK(px.width == FIX_PORTRAIT_W && px.mismatch[0] == '\0');
        dx_lds_pixels_free(&px);
    }
    free(buf);
    free(rec);
    free(jpeg);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TRUST_DIR KNOWN_ANSWERS.json\n", argv[0]);
        return 2;
    }
    trust = argv[1];
    test_synthetic_faces();
    test_grey_jpeg();
    test_jp2_kinds();
    test_mismatch();
    test_corrupt_jpeg();
    test_corrupt_jp2();
    test_corrupt_in_dg2();
    test_dg7();
    test_several_faces();
    return dxtest_done();
}
