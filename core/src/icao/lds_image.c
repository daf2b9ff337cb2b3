/* The images of the LDS (9303 Part 10 §4.7.2 faces, §4.7.5 - §4.7.7 displayed
 * images, §4.7.11 - §4.7.12 document images): JPEG through libjpeg, JPEG
 * 2000 (JP2 files and J2K codestreams) through OpenJPEG, into RGB8.  Neither
 * library may print or exit: libjpeg's error manager jumps back here (its
 * default error_exit calls exit()), warnings included, and OpenJPEG's
 * handlers collect its messages.  See lds.h. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <openjpeg.h>

#include "icao/lds.h"

static const uint8_t jp2_magic[12] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50,
                                      0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A};

dx_lds_image_format dx_lds_image_sniff(const uint8_t *img, size_t n)
{
    if (!img)
        return DX_LDS_IMAGE_UNKNOWN;
    if (n >= 3 && img[0] == 0xFF && img[1] == 0xD8 && img[2] == 0xFF)
        return DX_LDS_IMAGE_JPEG;
    if (n >= sizeof jp2_magic && memcmp(img, jp2_magic, sizeof jp2_magic) == 0)
        return DX_LDS_IMAGE_JP2;
    if (n >= 4 && img[0] == 0xFF && img[1] == 0x4F && img[2] == 0xFF && img[3] == 0x51)
        return DX_LDS_IMAGE_J2K;
    return DX_LDS_IMAGE_UNKNOWN;
}

const char *dx_lds_image_format_name(dx_lds_image_format f)
{
    switch (f) {
    case DX_LDS_IMAGE_JPEG: return "JPEG";
    case DX_LDS_IMAGE_JP2: return "JPEG 2000 (JP2)";
    case DX_LDS_IMAGE_J2K: return "JPEG 2000 (codestream)";
    default: return "unknown";
    }
}

void dx_lds_pixels_free(dx_lds_pixels *px)
{
    if (!px)
        return;
    free(px->rgb);
    memset(px, 0, sizeof *px);
}

static dx_status too_large(const char *what, const char *kind, uint64_t w, uint64_t h,
                           size_t max, dx_error *err)
{
    return dx_error_set(err, DX_ERR_DATA, "%s: the %s declares %llux%llu pixels, more than the "
                        "limit of %zu", what, kind, (unsigned long long)w,
                        (unsigned long long)h, max);
}

/* ---- JPEG (libjpeg) -------------------------------------------------------- */

/* Everything libjpeg touches lives in one heap block, so nothing is
 * indeterminate after the longjmp. */
typedef struct jpeg_job {
    struct jpeg_error_mgr pub;  /* first: cinfo.err points here */
    struct jpeg_decompress_struct cinfo;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    uint8_t *rgb;
    uint8_t *row;
} jpeg_job;

static void jpeg_fail(j_common_ptr c)
{
    jpeg_job *j = (jpeg_job *)(void *)c->err;
    (*c->err->format_message)(c, j->msg);
    longjmp(j->jump, 1);
}

/* Warnings (corrupt data that libjpeg would paper over) are errors here;
 * trace messages are dropped.  Nothing is printed. */
static void jpeg_message(j_common_ptr c, int level)
{
    if (level < 0)
        jpeg_fail(c);
}

static void jpeg_quiet(j_common_ptr c)
{
    (void)c;
}

static dx_status decode_jpeg(const uint8_t *img, size_t n, size_t max, const char *what,
                             dx_lds_pixels *out, dx_error *err)
{
    jpeg_job *j = calloc(1, sizeof *j);
    struct jpeg_decompress_struct *c;
    dx_status st;
    size_t w, h, comps;

    if (!j)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", what);
    c = &j->cinfo;
    c->err = jpeg_std_error(&j->pub);
    j->pub.error_exit = jpeg_fail;
    j->pub.emit_message = jpeg_message;
    j->pub.output_message = jpeg_quiet;
    if (setjmp(j->jump)) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: corrupt JPEG: %s", what, j->msg);
        goto fail;
    }
    jpeg_create_decompress(c);
    jpeg_mem_src(c, img, (unsigned long)n);
    jpeg_read_header(c, TRUE);
    w = c->image_width;
    h = c->image_height;
    if (w == 0 || h == 0) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: the JPEG declares %zux%zu pixels", what, w, h);
        goto fail;
    }
    if (w * h > max) {
        st = too_large(what, "JPEG", w, h, max, err);
        goto fail;
    }
    switch (c->jpeg_color_space) {
    case JCS_GRAYSCALE:
        c->out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        c->out_color_space = JCS_RGB;
        break;
    default:
        st = dx_error_set(err, DX_ERR_UNSUPPORTED, "%s: a JPEG in %s; only grey, YCbCr and RGB "
                          "are supported", what,
                          c->jpeg_color_space == JCS_CMYK ? "CMYK"
                          : c->jpeg_color_space == JCS_YCCK ? "YCCK" : "an unknown colour space");
        goto fail;
    }
    c->dct_method = JDCT_ISLOW;
    jpeg_start_decompress(c);
    comps = (size_t)c->output_components;
    if (c->output_width != w || c->output_height != h || (comps != 1 && comps != 3)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "%s: libjpeg gives %ux%u pixels of %zu "
                          "components for a %zux%zu image", what, (unsigned)c->output_width,
                          (unsigned)c->output_height, comps, w, h);
        goto fail;
    }
    j->rgb = malloc(w * h * 3);
    j->row = malloc(w * comps);
    if (!j->rgb || !j->row) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory for %zux%zu pixels", what,
                          w, h);
        goto fail;
    }
    while (c->output_scanline < c->output_height) {
        size_t y = c->output_scanline;
        JSAMPROW r = j->row;
        uint8_t *dst = j->rgb + y * w * 3;
        if (jpeg_read_scanlines(c, &r, 1) != 1) {
            st = dx_error_set(err, DX_ERR_DATA, "%s: corrupt JPEG: no data for row %zu", what,
                              y);
            goto fail;
        }
        if (comps == 3)
            memcpy(dst, j->row, w * 3);
        else
            for (size_t x = 0; x < w; x++)
                dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = j->row[x];
    }
    jpeg_finish_decompress(c);
    out->rgb = j->rgb;
    out->width = w;
    out->height = h;
    out->format = DX_LDS_IMAGE_JPEG;
    out->components = (unsigned)c->num_components;
    out->precision = (unsigned)c->data_precision;
    j->rgb = NULL;
    st = DX_OK;
fail:
    jpeg_destroy_decompress(c);
    free(j->rgb);
    free(j->row);
    free(j);
    return st;
}

/* ---- JPEG 2000 (OpenJPEG) --------------------------------------------------- */

typedef struct mem_in {
    const uint8_t *p;
    size_t n, pos;
} mem_in;

static OPJ_SIZE_T mem_read(void *buf, OPJ_SIZE_T len, void *user)
{
    mem_in *m = user;
    size_t k;
    if (m->pos >= m->n || len == 0)
        return (OPJ_SIZE_T)-1;
    k = m->n - m->pos < len ? m->n - m->pos : len;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return k;
}

static OPJ_OFF_T mem_skip(OPJ_OFF_T k, void *user)
{
    mem_in *m = user;
    if (k < 0) {
        if ((uint64_t)-(k + 1) + 1 > m->pos)
            return -1;
        m->pos -= (size_t)-k;
        return k;
    }
    m->pos = (uint64_t)k > m->n - m->pos ? m->n : m->pos + (size_t)k;
    return k;
}

static OPJ_BOOL mem_seek(OPJ_OFF_T to, void *user)
{
    mem_in *m = user;
    if (to < 0)
        return OPJ_FALSE;
    m->pos = (uint64_t)to > m->n ? m->n : (size_t)to;
    return OPJ_TRUE;
}

typedef struct opj_msgs {
    char error[160];
} opj_msgs;

static void opj_on_error(const char *msg, void *user)
{
    opj_msgs *m = user;
    if (!m->error[0]) {
        snprintf(m->error, sizeof m->error, "%s", msg);
        m->error[strcspn(m->error, "\n")] = '\0';
    }
}

static void opj_quiet(const char *msg, void *user)
{
    (void)msg;
    (void)user;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Does the JP2 header box (jp2h) hold a palette (pclr)?  OpenJPEG expands a
 * palette into up to 255 full-size components, which the component check
 * after the header cannot see coming.  Boxes: ISO/IEC 15444-1 Annex I. */
static bool jp2_has_palette(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    while (n - pos >= 8) {
        uint64_t len = be32(p + pos);
        size_t hdr = 8;
        if (len == 1) {
            if (n - pos < 16)
                return false;
            len = (uint64_t)be32(p + pos + 8) << 32 | be32(p + pos + 12);
            hdr = 16;
        } else if (len == 0) {
            len = n - pos;
        }
        if (len < hdr || len > n - pos)
            return false;  /* malformed: OpenJPEG will say so */
        if (memcmp(p + pos + 4, "jp2h", 4) == 0) {
            size_t q = pos + hdr, end = pos + (size_t)len;
            while (end - q >= 8) {
                uint32_t sl = be32(p + q);
                if (memcmp(p + q + 4, "pclr", 4) == 0)
                    return true;
                if (sl < 8 || sl > end - q)
                    return false;
                q += sl;
            }
            return false;
        }
        pos += (size_t)len;
    }
    return false;
}

/* A component's sample as an unsigned value of `prec` bits. */
static int32_t sample(const opj_image_comp_t *c, size_t i)
{
    int64_t v = c->data[i];
    int64_t top = (int64_t)((1u << c->prec) - 1);
    if (c->sgnd)
        v += (int64_t)(1u << (c->prec - 1));
    return (int32_t)(v < 0 ? 0 : v > top ? top : v);
}

static uint8_t to8(int32_t v, uint32_t prec)
{
    if (prec == 8)
        return (uint8_t)v;
    if (prec > 8)
        return (uint8_t)(v >> (prec - 8));
    return (uint8_t)((v * 255) / (int32_t)((1u << prec) - 1));
}

static dx_status check_comps(const opj_image_t *im, const char *what, const char *when,
                             dx_error *err)
{
    if (im->numcomps == 0 || im->numcomps > 4)
        return dx_error_set(err, im->numcomps ? DX_ERR_UNSUPPORTED : DX_ERR_DATA,
                            "%s: a JPEG 2000 image of %u components (%s); 1 to 4 are supported",
                            what, im->numcomps, when);
    for (OPJ_UINT32 i = 0; i < im->numcomps; i++) {
        const opj_image_comp_t *c = &im->comps[i];
        if (c->dx != 1 || c->dy != 1)
            return dx_error_set(err, DX_ERR_UNSUPPORTED, "%s: JPEG 2000 component %u is "
                                "subsampled (%ux%u); only full-size components are supported",
                                what, i, c->dx, c->dy);
        if (c->prec == 0 || c->prec > 16)
            return dx_error_set(err, c->prec ? DX_ERR_UNSUPPORTED : DX_ERR_DATA,
                                "%s: JPEG 2000 component %u has %u bits per sample (1 to 16 "
                                "are supported)", what, i, c->prec);
    }
    return DX_OK;
}

static dx_status decode_jp2(const uint8_t *img, size_t n, dx_lds_image_format fmt, size_t max,
                            const char *what, dx_lds_pixels *out, dx_error *err)
{
    opj_codec_t *codec = NULL;
    opj_stream_t *stream = NULL;
    opj_image_t *im = NULL;
    opj_dparameters_t p;
    opj_msgs msgs = {{0}};
    mem_in in = {img, n, 0};
    dx_status st;
    uint8_t *rgb = NULL;
    uint64_t w, h;
    size_t pw, ph;
    bool grey, ycc;

    if (fmt == DX_LDS_IMAGE_JP2 && jp2_has_palette(img, n))
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "%s: a JPEG 2000 image with a palette "
                            "(pclr) is not supported", what);
    codec = opj_create_decompress(fmt == DX_LDS_IMAGE_JP2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
    if (!codec || !stream) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory (OpenJPEG)", what);
        goto fail;
    }
    opj_set_error_handler(codec, opj_on_error, &msgs);
    opj_set_warning_handler(codec, opj_quiet, NULL);
    opj_set_info_handler(codec, opj_quiet, NULL);
    opj_set_default_decoder_parameters(&p);
    if (!opj_setup_decoder(codec, &p) || !opj_decoder_set_strict_mode(codec, OPJ_TRUE)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "%s: OpenJPEG decoder set-up failed: %s", what,
                          msgs.error[0] ? msgs.error : "no reason given");
        goto fail;
    }
    opj_stream_set_read_function(stream, mem_read);
    opj_stream_set_skip_function(stream, mem_skip);
    opj_stream_set_seek_function(stream, mem_seek);
    opj_stream_set_user_data(stream, &in, NULL);
    opj_stream_set_user_data_length(stream, n);
    if (!opj_read_header(stream, codec, &im) || !im) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: corrupt JPEG 2000 header: %s", what,
                          msgs.error[0] ? msgs.error : "no reason given");
        goto fail;
    }
    if (im->x1 <= im->x0 || im->y1 <= im->y0) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: the JPEG 2000 image area is empty", what);
        goto fail;
    }
    w = (uint64_t)im->x1 - im->x0;
    h = (uint64_t)im->y1 - im->y0;
    if (w * h > max) {
        st = too_large(what, "JPEG 2000 image", w, h, max, err);
        goto fail;
    }
    if ((st = check_comps(im, what, "header", err)) != DX_OK)
        goto fail;
    if (!opj_decode(codec, stream, im) || !opj_end_decompress(codec, stream)) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: corrupt JPEG 2000 data: %s", what,
                          msgs.error[0] ? msgs.error : "no reason given");
        goto fail;
    }
    /* what was decoded, checked again before any copy */
    if ((st = check_comps(im, what, "decoded", err)) != DX_OK)
        goto fail;
    pw = im->comps[0].w;
    ph = im->comps[0].h;
    if (pw != w || ph != h) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: JPEG 2000 component 0 is %zux%zu, the image "
                          "%llux%llu", what, pw, ph, (unsigned long long)w,
                          (unsigned long long)h);
        goto fail;
    }
    for (OPJ_UINT32 i = 0; i < im->numcomps; i++)
        if (im->comps[i].w != pw || im->comps[i].h != ph || !im->comps[i].data) {
            st = dx_error_set(err, DX_ERR_DATA, "%s: JPEG 2000 component %u is %ux%u%s, "
                              "component 0 %zux%zu", what, i, im->comps[i].w, im->comps[i].h,
                              im->comps[i].data ? "" : " without data", pw, ph);
            goto fail;
        }
    grey = im->numcomps <= 2;
    if (!grey && im->color_space == OPJ_CLRSPC_CMYK) {
        st = dx_error_set(err, DX_ERR_UNSUPPORTED, "%s: a CMYK JPEG 2000 image is not "
                          "supported", what);
        goto fail;
    }
    ycc = !grey && (im->color_space == OPJ_CLRSPC_SYCC || im->color_space == OPJ_CLRSPC_EYCC);
    if (ycc && (im->comps[1].prec != im->comps[0].prec ||
                im->comps[2].prec != im->comps[0].prec)) {
        st = dx_error_set(err, DX_ERR_UNSUPPORTED, "%s: a YCC JPEG 2000 image whose "
                          "components differ in precision is not supported", what);
        goto fail;
    }
    rgb = malloc(pw * ph * 3);
    if (!rgb) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory for %zux%zu pixels", what,
                          pw, ph);
        goto fail;
    }
    for (size_t i = 0; i < pw * ph; i++) {
        uint8_t *d = rgb + 3 * i;
        if (grey) {
            d[0] = d[1] = d[2] = to8(sample(&im->comps[0], i), im->comps[0].prec);
            continue;
        }
        int32_t a = sample(&im->comps[0], i), b = sample(&im->comps[1], i),
                c = sample(&im->comps[2], i);
        if (ycc) {
            /* sYCC to RGB (IEC 61966-2-1 Amd. 1), as OpenJPEG's tools do it */
            uint32_t prec = im->comps[0].prec;
            int32_t off = (int32_t)(1u << (prec - 1)), top = (int32_t)((1u << prec) - 1);
            int32_t cb = b - off, cr = c - off;
            int32_t r = a + (int32_t)(1.402 * cr);
            int32_t g = a - (int32_t)(0.344 * cb + 0.714 * cr);
            int32_t bl = a + (int32_t)(1.772 * cb);
            a = r < 0 ? 0 : r > top ? top : r;
            b = g < 0 ? 0 : g > top ? top : g;
            c = bl < 0 ? 0 : bl > top ? top : bl;
        }
        d[0] = to8(a, im->comps[0].prec);
        d[1] = to8(b, im->comps[1].prec);
        d[2] = to8(c, im->comps[2].prec);
    }
    out->rgb = rgb;
    out->width = pw;
    out->height = ph;
    out->format = fmt;
    out->components = im->numcomps;
    out->precision = im->comps[0].prec;
    rgb = NULL;
    st = DX_OK;
fail:
    free(rgb);
    if (im)
        opj_image_destroy(im);
    if (stream)
        opj_stream_destroy(stream);
    if (codec)
        opj_destroy_codec(codec);
    return st;
}

dx_status dx_lds_image_decode(const uint8_t *img, size_t n, size_t max_pixels,
                              const char *what, dx_lds_pixels *out, dx_error *err)
{
    dx_lds_image_format f;
    char s[40];

    if (!what)
        what = "image";
    if (!out || (!img && n))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "%s: NULL argument", what);
    memset(out, 0, sizeof *out);
    if (max_pixels == 0)
        max_pixels = DX_LDS_MAX_PIXELS;
    f = dx_lds_image_sniff(img, n);
    switch (f) {
    case DX_LDS_IMAGE_JPEG:
        return decode_jpeg(img, n, max_pixels, what, out, err);
    case DX_LDS_IMAGE_JP2:
    case DX_LDS_IMAGE_J2K:
        return decode_jp2(img, n, f, max_pixels, what, out, err);
    default:
        s[0] = '\0';
        for (size_t i = 0, used = 0; i < n && i < 8; i++)
            used += (size_t)snprintf(s + used, sizeof s - used, "%02X", img[i]);
        return dx_error_set(err, DX_ERR_DATA, "%s: neither JPEG nor JPEG 2000 (%zu bytes%s%s)",
                            what, n, n ? ", starting " : "", s);
    }
}
