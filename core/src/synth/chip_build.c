/* docex synth — the chip contents of a synthetic Utopia ePassport (see
 * chip_build.h): LDS 1.7 files (ICAO 9303 Part 10), SecurityInfos (9303 Part
 * 11 §9.2, BSI TR-03110), the SOD signed with the test PKI, chip.json. */
#include "synth/chip_build.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <jpeglib.h>
#include <openjpeg.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define OID_SHA256 "2.16.840.1.101.3.4.2.1"
#define CHIP_NOTE "TEST ONLY: synthetic chip of a Utopia specimen document"
/* A contactless ISO/IEC 14443-4 type B chip as PC/SC reports it (PC/SC Part 3):
 * 3B 88 80 01, historical bytes = application data 00000000 + protocol info
 * 778181 + MBLI/CID 00, TCK = XOR of T0..last historical byte. */
#define CHIP_ATR "3B88800100000000778181007E"
#define POOL_MAX 64

/* Last OpenSSL error as text, for messages. */
static const char *ossl_why(void)
{
    static _Thread_local char buf[160];
    unsigned long e = ERR_peek_last_error();
    if (!e)
        return "no OpenSSL error";
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

static dx_status der_done(dx_synth_der *out, const char *what, dx_error *err)
{
    if (dx_synth_der_ok(out))
        return DX_OK;
    return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory while encoding", what);
}

static bool all_digits(const char *s, size_t n)
{
    if (!s || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool valid_date(const char *s)
{
    if (!all_digits(s, 8))
        return false;
    int m = (s[4] - '0') * 10 + (s[5] - '0'), d = (s[6] - '0') * 10 + (s[7] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* ---- EF.COM (9303 Part 10 §4.6.1) --------------------------------------- */

dx_status dx_synth_chip_build_com(const char *lds_version, const char *unicode_version,
                                  const uint8_t *dg_tags, size_t n_tags, dx_synth_der *out,
                                  dx_error *err)
{
    if (!out || !all_digits(lds_version, 4) || !all_digits(unicode_version, 6) ||
        (n_tags && !dg_tags) || n_tags > 16)
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "EF.COM: the LDS version needs 4 digits, the Unicode version 6, "
                            "and the tag list at most 16 tags");
    dx_synth_der_begin(out, 0x60);
    dx_synth_der_tlv_str(out, 0x5F01, lds_version);
    dx_synth_der_tlv_str(out, 0x5F36, unicode_version);
    dx_synth_der_tlv(out, 0x5C, dg_tags, n_tags);
    dx_synth_der_end(out);
    return der_done(out, "EF.COM", err);
}

/* ---- EF.DG1 (9303 Part 10 §4.7.1) --------------------------------------- */

static dx_status check_mrz(const char lines[][45], size_t n, const char *what, dx_error *err)
{
    size_t want = n == 3 ? 30 : 0;
    if (n == 2)
        want = strnlen(lines[0], 45) == 36 ? 36 : 44;
    if (want == 0)
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "%s: %zu MRZ lines; an MRZ has 2 (TD2, TD3) or 3 (TD1)", what, n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strnlen(lines[i], 45);
        if (len != want)
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "%s: MRZ line %zu has %zu characters, %zu expected", what,
                                i + 1, len, want);
        for (size_t k = 0; k < len; k++) {
            char c = lines[i][k];
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '<'))
                return dx_error_set(err, DX_ERR_INVALID_ARG,
                                    "%s: MRZ line %zu, position %zu: '%c' is not an MRZ "
                                    "character", what, i + 1, k + 1, c);
        }
    }
    return DX_OK;
}

dx_status dx_synth_chip_build_dg1(const char lines[][45], size_t n_lines, dx_synth_der *out,
                                  dx_error *err)
{
    if (!lines || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG1: NULL argument");
    dx_status st = check_mrz(lines, n_lines, "EF.DG1", err);
    if (st)
        return st;
    char mrz[3 * 44 + 1] = "";
    for (size_t i = 0; i < n_lines; i++)
        strcat(mrz, lines[i]);
    dx_synth_der_begin(out, 0x61);
    dx_synth_der_tlv_str(out, 0x5F1F, mrz);
    dx_synth_der_end(out);
    return der_done(out, "EF.DG1", err);
}

/* ---- the face image ------------------------------------------------------- */

typedef struct grow_buf {
    uint8_t *data;
    size_t len, cap, pos;
    bool failed;
} grow_buf;

static bool grow_to(grow_buf *b, size_t need)
{
    if (b->failed)
        return false;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 16384;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    memset(p + b->cap, 0, cap - b->cap);
    b->data = p;
    b->cap = cap;
    return true;
}

/* libjpeg: errors jump back; nothing is printed. */
#define JPEG_CHUNK 4096
typedef struct jpeg_job {
    struct jpeg_error_mgr pub; /* first: libjpeg's err points here */
    struct jpeg_destination_mgr dest;
    struct jpeg_compress_struct cinfo;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    const uint8_t *rgb;
    size_t w, h, stride;
    int quality;
    uint8_t *row;
    uint8_t chunk[JPEG_CHUNK];
    grow_buf out;
} jpeg_job;

static void jpeg_on_error(j_common_ptr c)
{
    jpeg_job *j = (jpeg_job *)(void *)c->err;
    (*c->err->format_message)(c, j->msg);
    longjmp(j->jump, 1);
}

static void jpeg_on_message(j_common_ptr c)
{
    (void)c; /* library code never prints */
}

static jpeg_job *job_of(j_compress_ptr c)
{
    return (jpeg_job *)(void *)c->err;
}

static void jpeg_dest_init(j_compress_ptr c)
{
    jpeg_job *j = job_of(c);
    j->dest.next_output_byte = j->chunk;
    j->dest.free_in_buffer = JPEG_CHUNK;
}

static boolean jpeg_dest_empty(j_compress_ptr c)
{
    jpeg_job *j = job_of(c);
    if (!grow_to(&j->out, j->out.len + JPEG_CHUNK)) {
        snprintf(j->msg, sizeof j->msg, "out of memory");
        longjmp(j->jump, 1);
    }
    memcpy(j->out.data + j->out.len, j->chunk, JPEG_CHUNK);
    j->out.len += JPEG_CHUNK;
    jpeg_dest_init(c);
    return TRUE;
}

static void jpeg_dest_term(j_compress_ptr c)
{
    jpeg_job *j = job_of(c);
    size_t n = JPEG_CHUNK - j->dest.free_in_buffer;
    if (!grow_to(&j->out, j->out.len + n)) {
        snprintf(j->msg, sizeof j->msg, "out of memory");
        longjmp(j->jump, 1);
    }
    memcpy(j->out.data + j->out.len, j->chunk, n);
    j->out.len += n;
}

/* Everything libjpeg touches lives in *j, so nothing is indeterminate after
 * the longjmp. */
static bool jpeg_run(jpeg_job *j)
{
    struct jpeg_compress_struct *c = &j->cinfo;
    c->err = jpeg_std_error(&j->pub);
    j->pub.error_exit = jpeg_on_error;
    j->pub.output_message = jpeg_on_message;
    if (setjmp(j->jump)) {
        jpeg_destroy_compress(c);
        return false;
    }
    jpeg_create_compress(c);
    j->dest.init_destination = jpeg_dest_init;
    j->dest.empty_output_buffer = jpeg_dest_empty;
    j->dest.term_destination = jpeg_dest_term;
    c->dest = &j->dest;
    c->image_width = (JDIMENSION)j->w;
    c->image_height = (JDIMENSION)j->h;
    c->input_components = 3;
    c->in_color_space = JCS_RGB;
    jpeg_set_defaults(c);
    jpeg_set_quality(c, j->quality, TRUE);
    c->dct_method = JDCT_ISLOW; /* integer DCT: the same bytes everywhere */
    jpeg_start_compress(c, TRUE);
    while (c->next_scanline < c->image_height) {
        memcpy(j->row, j->rgb + (size_t)c->next_scanline * j->stride, j->w * 3);
        JSAMPROW r = j->row;
        jpeg_write_scanlines(c, &r, 1);
    }
    jpeg_finish_compress(c);
    jpeg_destroy_compress(c);
    return true;
}

static dx_status encode_jpeg(const uint8_t *rgb, size_t w, size_t h, size_t stride, int quality,
                             uint8_t **image, size_t *len, dx_error *err)
{
    dx_status st = DX_ERR_NO_MEMORY;
    jpeg_job *j = calloc(1, sizeof *j);
    if (!j)
        return dx_error_set(err, st, "DG2 face: out of memory");
    j->rgb = rgb;
    j->w = w;
    j->h = h;
    j->stride = stride;
    j->quality = quality;
    j->row = malloc(w * 3);
    if (!j->row) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "DG2 face: out of memory");
        goto fail;
    }
    if (!jpeg_run(j)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "DG2 face: libjpeg failed: %s", j->msg);
        goto fail;
    }
    *image = j->out.data;
    *len = j->out.len;
    j->out.data = NULL;
    st = DX_OK;
fail:
    free(j->out.data);
    free(j->row);
    free(j);
    return st;
}

/* OpenJPEG: an in-memory output stream (the JP2 writer seeks back) */
static OPJ_SIZE_T ms_write(void *buf, OPJ_SIZE_T n, void *user)
{
    grow_buf *b = user;
    if (n > SIZE_MAX - b->pos || !grow_to(b, b->pos + n))
        return (OPJ_SIZE_T)-1;
    memcpy(b->data + b->pos, buf, n);
    b->pos += n;
    if (b->pos > b->len)
        b->len = b->pos;
    return n;
}

static OPJ_BOOL ms_seek(OPJ_OFF_T to, void *user)
{
    grow_buf *b = user;
    if (to < 0 || !grow_to(b, (size_t)to))
        return OPJ_FALSE;
    b->pos = (size_t)to;
    if (b->pos > b->len)
        b->len = b->pos;
    return OPJ_TRUE;
}

static OPJ_OFF_T ms_skip(OPJ_OFF_T n, void *user)
{
    grow_buf *b = user;
    if (n < 0 && (size_t)-n > b->pos)
        return -1;
    if (!ms_seek((OPJ_OFF_T)b->pos + n, b))
        return -1;
    return n;
}

static void opj_on_error(const char *msg, void *user)
{
    char *dst = user;
    if (!dst[0]) {
        snprintf(dst, JMSG_LENGTH_MAX, "%s", msg);
        dst[strcspn(dst, "\n")] = '\0';
    }
}

static void opj_quiet(const char *msg, void *user)
{
    (void)msg;
    (void)user;
}

static dx_status encode_jp2(const uint8_t *rgb, size_t w, size_t h, size_t stride, int ratio,
                            uint8_t **image, size_t *len, dx_error *err)
{
    dx_status st = DX_ERR_INTERNAL;
    opj_image_t *img = NULL;
    opj_codec_t *codec = NULL;
    opj_stream_t *stream = NULL;
    grow_buf out = {0};
    char msg[JMSG_LENGTH_MAX] = "";
    opj_cparameters_t p;
    opj_image_cmptparm_t cp[3];

    opj_set_default_encoder_parameters(&p);
    p.tcp_numlayers = 1;
    p.tcp_rates[0] = (float)ratio;
    p.cp_disto_alloc = 1;
    p.irreversible = 1; /* 9/7 wavelet, lossy */
    p.tcp_mct = 1;
    size_t side = w < h ? w : h;
    int res = 1;
    while (res < 6 && (side >> res) >= 1)
        res++;
    p.numresolution = res;
    memset(cp, 0, sizeof cp);
    for (int c = 0; c < 3; c++) {
        cp[c].dx = cp[c].dy = 1;
        cp[c].w = (OPJ_UINT32)w;
        cp[c].h = (OPJ_UINT32)h;
        cp[c].prec = 8;
        cp[c].sgnd = 0;
    }
    img = opj_image_create(3, cp, OPJ_CLRSPC_SRGB);
    if (!img) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "DG2 face: out of memory (JPEG 2000 image)");
        goto fail;
    }
    img->x0 = img->y0 = 0;
    img->x1 = (OPJ_UINT32)w;
    img->y1 = (OPJ_UINT32)h;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                img->comps[c].data[y * w + x] = rgb[y * stride + x * 3 + (size_t)c];

    codec = opj_create_compress(OPJ_CODEC_JP2);
    stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_FALSE);
    if (!codec || !stream) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "DG2 face: out of memory (OpenJPEG)");
        goto fail;
    }
    opj_set_error_handler(codec, opj_on_error, msg);
    opj_set_warning_handler(codec, opj_quiet, NULL);
    opj_set_info_handler(codec, opj_quiet, NULL);
    opj_stream_set_write_function(stream, ms_write);
    opj_stream_set_seek_function(stream, ms_seek);
    opj_stream_set_skip_function(stream, ms_skip);
    opj_stream_set_user_data(stream, &out, NULL);
    if (!opj_setup_encoder(codec, &p, img) || !opj_start_compress(codec, img, stream) ||
        !opj_encode(codec, stream) || !opj_end_compress(codec, stream) || out.failed) {
        st = dx_error_set(err, out.failed ? DX_ERR_NO_MEMORY : DX_ERR_INTERNAL,
                          "DG2 face: OpenJPEG failed to encode %zux%zu: %s", w, h,
                          out.failed ? "out of memory" : msg[0] ? msg : "no reason given");
        goto fail;
    }
    *image = out.data;
    *len = out.len;
    out.data = NULL;
    st = DX_OK;
fail:
    free(out.data);
    if (stream)
        opj_stream_destroy(stream);
    if (codec)
        opj_destroy_codec(codec);
    if (img)
        opj_image_destroy(img);
    return st;
}

dx_status dx_synth_chip_encode_face(const uint8_t *rgb, size_t width, size_t height,
                                    size_t stride, dx_synth_face_format format, int quality,
                                    uint8_t **image, size_t *image_len, dx_error *err)
{
    if (!rgb || !image || !image_len)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "DG2 face: NULL argument");
    if (stride == 0)
        stride = width * 3;
    if (width == 0 || height == 0 || width > 65535 || height > 65535 || stride < width * 3)
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "DG2 face: a portrait of %zux%zu (stride %zu) cannot be encoded; "
                            "1 to 65535 pixels a side, stride at least 3 x width",
                            width, height, stride);
    if (format == DX_SYNTH_FACE_JPEG) {
        if (quality < 1 || quality > 100)
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "DG2 face: JPEG quality %d is not in 1..100", quality);
        return encode_jpeg(rgb, width, height, stride, quality, image, image_len, err);
    }
    if (format == DX_SYNTH_FACE_JPEG2000) {
        if (quality < 1 || quality > 1000)
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "DG2 face: JPEG 2000 ratio %d is not in 1..1000", quality);
        return encode_jp2(rgb, width, height, stride, quality, image, image_len, err);
    }
    return dx_error_set(err, DX_ERR_INVALID_ARG, "DG2 face: unknown image format %d", (int)format);
}

/* ---- EF.DG2 (9303 Part 10 §4.7.2, ISO/IEC 19794-5:2005 §5) --------------- */

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

dx_status dx_synth_chip_build_dg2(const dx_synth_face *face, dx_synth_der *out, dx_error *err)
{
    if (!face || !out || !face->image || face->image_len == 0)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG2: no face image");
    if (face->format != DX_SYNTH_FACE_JPEG && face->format != DX_SYNTH_FACE_JPEG2000)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG2: unknown image format %d",
                            (int)face->format);
    enum { HEADER = 14, FACE_INFO = 20, IMAGE_INFO = 12 };
    if (face->image_len > 0xFFFFFFFFu - (HEADER + FACE_INFO + IMAGE_INFO))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG2: face image of %zu bytes too large",
                            face->image_len);
    size_t n = HEADER + FACE_INFO + IMAGE_INFO + face->image_len;
    uint8_t *rec = calloc(1, n);
    if (!rec)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "EF.DG2: out of memory");
    uint8_t *p = rec;
    /* facial record header */
    memcpy(p, "FAC\0" "010\0", 8);
    put_be(p + 8, n, 4);          /* length of the record */
    put_be(p + 12, 1, 2);         /* number of facial images */
    p += HEADER;
    /* facial information block */
    put_be(p, n - HEADER, 4);     /* facial record data length */
    put_be(p + 4, 0, 2);          /* number of feature points */
    p[6] = face->gender;
    p[7] = face->eye_colour;
    p[8] = face->hair_colour;
    /* p[9..11] property mask 0, p[12..13] expression 0 (unspecified),
     * p[14..16] pose angles 0, p[17..19] their uncertainty 0: unspecified */
    p += FACE_INFO;
    /* image information */
    p[0] = 1;                     /* face image type: full frontal */
    p[1] = (uint8_t)face->format; /* image data type: 0 JPEG, 1 JPEG 2000 */
    put_be(p + 2, face->width, 2);
    put_be(p + 4, face->height, 2);
    p[6] = 1;                     /* image colour space: 24 bit RGB */
    p[7] = 2;                     /* source type: static photo, digital still camera */
    put_be(p + 8, 0, 2);          /* device type: unspecified */
    put_be(p + 10, 0, 2);         /* quality: unspecified */
    p += IMAGE_INFO;
    memcpy(p, face->image, face->image_len);

    static const uint8_t version[] = {0x01, 0x01}, type[] = {0x02}, owner[] = {0x01, 0x01},
                         format[] = {0x00, 0x08};
    dx_synth_der_begin(out, 0x75);
    dx_synth_der_begin(out, 0x7F61);      /* biometric information group template */
    dx_synth_der_uint(out, 1);            /* number of instances */
    dx_synth_der_begin(out, 0x7F60);      /* biometric information template */
    dx_synth_der_begin(out, 0xA1);        /* biometric header template */
    dx_synth_der_tlv(out, 0x80, version, sizeof version); /* ICAO header version 1.1 */
    dx_synth_der_tlv(out, 0x81, type, sizeof type);       /* biometric type: face */
    dx_synth_der_tlv(out, 0x87, owner, sizeof owner);     /* format owner: JTC1/SC37 */
    dx_synth_der_tlv(out, 0x88, format, sizeof format);   /* format type: 19794-5 */
    dx_synth_der_end(out);
    dx_synth_der_tlv(out, 0x5F2E, rec, n);                /* biometric data block */
    dx_synth_der_end(out);
    dx_synth_der_end(out);
    dx_synth_der_end(out);
    free(rec);
    return der_done(out, "EF.DG2", err);
}

/* ---- EF.DG11, EF.DG12 (9303 Part 10 §4.7.11 - §4.7.12) ------------------- */

/* "ANNA MARIA" -> "ANNA<MARIA" */
static void filler(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = src[i] == ' ' ? '<' : src[i];
    dst[i] = '\0';
}

static void tag_list_add(uint8_t *list, size_t *n, unsigned tag)
{
    list[(*n)++] = (uint8_t)(tag >> 8);
    list[(*n)++] = (uint8_t)tag;
}

dx_status dx_synth_chip_build_dg11(const dx_synth_holder *h, dx_synth_der *out, dx_error *err)
{
    if (!h || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG11: NULL argument");
    if (!h->surname[0])
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG11: the holder has no surname");
    if (h->birth_date[0] && !valid_date(h->birth_date))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "EF.DG11: birth date \"%s\" is not YYYYMMDD", h->birth_date);
    char surname[sizeof h->surname], given[sizeof h->given_names], place[sizeof h->place_of_birth];
    char name[sizeof surname + 2 + sizeof given];
    filler(surname, sizeof surname, h->surname);
    filler(given, sizeof given, h->given_names);
    filler(place, sizeof place, h->place_of_birth);
    snprintf(name, sizeof name, "%s<<%s", surname, given);
    uint8_t tags[6];
    size_t n = 0;
    tag_list_add(tags, &n, 0x5F0E);
    if (place[0])
        tag_list_add(tags, &n, 0x5F11);
    if (h->birth_date[0])
        tag_list_add(tags, &n, 0x5F2B);
    dx_synth_der_begin(out, 0x6B);
    dx_synth_der_tlv(out, 0x5C, tags, n);
    dx_synth_der_tlv_str(out, 0x5F0E, name);
    if (place[0])
        dx_synth_der_tlv_str(out, 0x5F11, place);
    if (h->birth_date[0])
        dx_synth_der_tlv_str(out, 0x5F2B, h->birth_date);
    dx_synth_der_end(out);
    return der_done(out, "EF.DG11", err);
}

dx_status dx_synth_chip_build_dg12(const dx_synth_holder *h, dx_synth_der *out, dx_error *err)
{
    if (!h || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG12: NULL argument");
    if (h->issue_date[0] && !valid_date(h->issue_date))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "EF.DG12: issue date \"%s\" is not YYYYMMDD", h->issue_date);
    uint8_t tags[4];
    size_t n = 0;
    if (h->authority[0])
        tag_list_add(tags, &n, 0x5F19);
    if (h->issue_date[0])
        tag_list_add(tags, &n, 0x5F26);
    dx_synth_der_begin(out, 0x6C);
    dx_synth_der_tlv(out, 0x5C, tags, n);
    if (h->authority[0])
        dx_synth_der_tlv_str(out, 0x5F19, h->authority);
    if (h->issue_date[0])
        dx_synth_der_tlv_str(out, 0x5F26, h->issue_date);
    dx_synth_der_end(out);
    return der_done(out, "EF.DG12", err);
}

/* ---- SecurityInfos: EF.DG14, EF.CardAccess (9303 Part 11 §9.2) ------------ */

static dx_status check_pace(const dx_synth_pace_info *pace, size_t n, dx_error *err)
{
    if (n && !pace)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PACEInfo: NULL list");
    if (n > DX_SYNTH_CHIP_MAX_PACE)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PACEInfo: %zu entries, at most %d", n,
                            DX_SYNTH_CHIP_MAX_PACE);
    for (size_t i = 0; i < n; i++) {
        dx_synth_der probe;
        dx_synth_der_init(&probe);
        if (pace[i].oid)
            dx_synth_der_oid(&probe, pace[i].oid);
        bool ok = pace[i].oid && dx_synth_der_ok(&probe) &&
                  strncmp(pace[i].oid, "0.4.0.127.0.7.2.2.4.", 20) == 0;
        dx_synth_der_free(&probe);
        if (!ok)
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "PACEInfo %zu: \"%s\" is not a PACE protocol OID "
                                "(0.4.0.127.0.7.2.2.4.x.y)", i + 1,
                                pace[i].oid ? pace[i].oid : "(null)");
        if (pace[i].parameter_id < 0 || pace[i].parameter_id > 31)
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "PACEInfo %zu: parameter id %d is not a standardized one (0..31)",
                                i + 1, pace[i].parameter_id);
    }
    return DX_OK;
}

dx_status dx_synth_chip_build_security_infos(const dx_synth_pace_info *pace, size_t n_pace,
                                             EVP_PKEY *ca_key, bool aa_ecdsa,
                                             dx_synth_der *out, dx_error *err)
{
    dx_status st = check_pace(pace, n_pace, err);
    if (st)
        return st;
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "SecurityInfos: NULL argument");
    dx_synth_der infos[DX_SYNTH_CHIP_MAX_PACE + 3];
    size_t n = 0;
    unsigned char *spki = NULL;
    for (size_t i = 0; i < sizeof infos / sizeof infos[0]; i++)
        dx_synth_der_init(&infos[i]);
    for (size_t i = 0; i < n_pace; i++) {
        /* PACEInfo ::= SEQUENCE { protocol, version INTEGER (2), parameterId } */
        dx_synth_der *d = &infos[n++];
        dx_synth_der_begin(d, 0x30);
        dx_synth_der_oid(d, pace[i].oid);
        dx_synth_der_uint(d, 2);
        dx_synth_der_uint(d, (uint64_t)pace[i].parameter_id);
        dx_synth_der_end(d);
    }
    if (ca_key) {
        if (EVP_PKEY_get_base_id(ca_key) != EVP_PKEY_EC) {
            st = dx_error_set(err, DX_ERR_DATA,
                              "DG14: the Chip Authentication key is not an EC key");
            goto fail;
        }
        int len = i2d_PUBKEY(ca_key, &spki);
        if (len <= 0) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "DG14: cannot encode the CA public key: %s",
                              ossl_why());
            goto fail;
        }
        /* ChipAuthenticationInfo ::= SEQUENCE { protocol, version INTEGER (1) } */
        dx_synth_der *d = &infos[n++];
        dx_synth_der_begin(d, 0x30);
        dx_synth_der_oid(d, DX_SYNTH_OID_CA_ECDH_AES_128);
        dx_synth_der_uint(d, 1);
        dx_synth_der_end(d);
        /* ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol id-PK-ECDH,
         *     chipAuthenticationPublicKey SubjectPublicKeyInfo } */
        d = &infos[n++];
        dx_synth_der_begin(d, 0x30);
        dx_synth_der_oid(d, DX_SYNTH_OID_PK_ECDH);
        dx_synth_der_raw(d, spki, (size_t)len);
        dx_synth_der_end(d);
    }
    if (aa_ecdsa) {
        /* ActiveAuthenticationInfo ::= SEQUENCE { protocol id-icao-mrtd-security-
         *     aaProtocolObject, version INTEGER (1), signatureAlgorithm } (Part 11 §6.1) */
        dx_synth_der *d = &infos[n++];
        dx_synth_der_begin(d, 0x30);
        dx_synth_der_oid(d, DX_SYNTH_OID_AA_PROTOCOL);
        dx_synth_der_uint(d, 1);
        dx_synth_der_oid(d, DX_SYNTH_OID_ECDSA_PLAIN_SHA256);
        dx_synth_der_end(d);
    }
    dx_synth_der_set_of(out, infos, n);
    /* not der_done(): out may be inside an open TLV (EF.DG14's 6E) */
    st = out->failed ? dx_error_set(err, DX_ERR_NO_MEMORY,
                                    "SecurityInfos: out of memory while encoding")
                     : DX_OK;
fail:
    OPENSSL_free(spki);
    for (size_t i = 0; i < sizeof infos / sizeof infos[0]; i++)
        dx_synth_der_free(&infos[i]);
    return st;
}

dx_status dx_synth_chip_build_dg14(const dx_synth_pace_info *pace, size_t n_pace,
                                   EVP_PKEY *ca_key, bool aa_ecdsa, dx_synth_der *out,
                                   dx_error *err)
{
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG14: NULL argument");
    dx_synth_der_begin(out, 0x6E);
    dx_status st = dx_synth_chip_build_security_infos(pace, n_pace, ca_key, aa_ecdsa, out, err);
    dx_synth_der_end(out);
    return st ? st : der_done(out, "EF.DG14", err);
}

dx_status dx_synth_chip_build_card_access(const dx_synth_pace_info *pace, size_t n_pace,
                                          dx_synth_der *out, dx_error *err)
{
    if (n_pace == 0)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.CardAccess: no PACEInfo");
    return dx_synth_chip_build_security_infos(pace, n_pace, NULL, false, out, err);
}

/* ---- EF.DG15 (9303 Part 10 §4.7.15) -------------------------------------- */

dx_status dx_synth_chip_build_dg15(EVP_PKEY *aa_key, dx_synth_der *out, dx_error *err)
{
    if (!aa_key || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG15: NULL argument");
    unsigned char *spki = NULL;
    int len = i2d_PUBKEY(aa_key, &spki);
    if (len <= 0)
        return dx_error_set(err, DX_ERR_INTERNAL, "EF.DG15: cannot encode the AA public key: %s",
                            ossl_why());
    dx_synth_der_tlv(out, 0x6F, spki, (size_t)len);
    OPENSSL_free(spki);
    return der_done(out, "EF.DG15", err);
}

/* ---- EF.SOD (9303 Part 10 §4.6.2, Part 12 §6) ----------------------------- */

dx_status dx_synth_chip_build_sod(const dx_synth_dg_hash *hashes, size_t n, EVP_PKEY *ds_key,
                                  X509 *ds_cert, const char *signing_date, dx_synth_der *out,
                                  dx_error *err)
{
    dx_status st = DX_ERR_INTERNAL;
    dx_synth_der lso;
    BIO *in = NULL;
    CMS_ContentInfo *cms = NULL;
    ASN1_OBJECT *ctype = NULL;
    ASN1_TIME *when = NULL;
    unsigned char *der = NULL;
    char stamp[16];

    dx_synth_der_init(&lso);
    if (!hashes || n == 0 || n > 16 || !ds_key || !ds_cert || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "EF.SOD: 1 to 16 DG hashes, a DS key and certificate are needed");
    for (size_t i = 0; i < n; i++)
        if (hashes[i].dg < 1 || hashes[i].dg > 16)
            return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.SOD: there is no DG%d",
                                hashes[i].dg);
    if (!valid_date(signing_date))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "EF.SOD: signing date \"%s\" is not YYYYMMDD",
                            signing_date ? signing_date : "(null)");
    if (EVP_PKEY_get_base_id(ds_key) != EVP_PKEY_RSA)
        return dx_error_set(err, DX_ERR_DATA,
                            "EF.SOD: the DS key is not RSA; only PKCS#1 v1.5 signatures are "
                            "deterministic, which reproducible chips need");
    if (X509_check_private_key(ds_cert, ds_key) != 1) {
        ERR_clear_error();
        return dx_error_set(err, DX_ERR_DATA,
                            "EF.SOD: the DS key does not belong to the DS certificate");
    }
    snprintf(stamp, sizeof stamp, "%.8s120000Z", signing_date);
    when = ASN1_TIME_new();
    if (!when || !ASN1_TIME_set_string_X509(when, stamp)) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "EF.SOD: signing date \"%s\" is not a date",
                          signing_date);
        goto fail;
    }
    if (ASN1_TIME_compare(when, X509_get0_notBefore(ds_cert)) < 0 ||
        ASN1_TIME_compare(when, X509_get0_notAfter(ds_cert)) > 0) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG,
                          "EF.SOD: signing date %s is outside the DS certificate's validity",
                          signing_date);
        goto fail;
    }

    /* LDSSecurityObject ::= SEQUENCE { version (v0), hashAlgorithm,
     *     dataGroupHashValues SEQUENCE OF DataGroupHash { number, hash } } */
    dx_synth_der_begin(&lso, 0x30);
    dx_synth_der_uint(&lso, 0);
    dx_synth_der_begin(&lso, 0x30);
    dx_synth_der_oid(&lso, OID_SHA256);
    dx_synth_der_end(&lso);
    dx_synth_der_begin(&lso, 0x30);
    for (size_t i = 0; i < n; i++) {
        dx_synth_der_begin(&lso, 0x30);
        dx_synth_der_uint(&lso, (uint64_t)hashes[i].dg);
        dx_synth_der_tlv(&lso, 0x04, hashes[i].sha256, 32);
        dx_synth_der_end(&lso);
    }
    dx_synth_der_end(&lso);
    dx_synth_der_end(&lso);
    if ((st = der_done(&lso, "EF.SOD LDSSecurityObject", err)))
        goto fail;

    /* SignedData: the signingTime goes in before CMS_final, so OpenSSL does
     * not add the wall clock's; no SMIMECapabilities. */
    cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
    ctype = OBJ_txt2obj(DX_SYNTH_OID_LDS_SECURITY_OBJECT, 1);
    if (!cms || !ctype || !CMS_set1_eContentType(cms, ctype)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "EF.SOD: CMS SignedData: %s", ossl_why());
        goto fail;
    }
    CMS_SignerInfo *si = CMS_add1_signer(cms, ds_cert, ds_key, EVP_sha256(),
                                         CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP);
    if (!si || CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, ASN1_STRING_type(when),
                                           when, -1) != 1) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "EF.SOD: CMS signer: %s", ossl_why());
        goto fail;
    }
    in = BIO_new_mem_buf(lso.data, (int)lso.len);
    if (!in || CMS_final(cms, in, NULL, CMS_BINARY) != 1) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "EF.SOD: CMS signature: %s", ossl_why());
        goto fail;
    }
    int len = i2d_CMS_ContentInfo(cms, &der);
    if (len <= 0) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "EF.SOD: CMS encoding: %s", ossl_why());
        goto fail;
    }
    dx_synth_der_tlv(out, 0x77, der, (size_t)len);
    st = der_done(out, "EF.SOD", err);
fail:
    OPENSSL_free(der);
    BIO_free(in);
    CMS_ContentInfo_free(cms);
    ASN1_OBJECT_free(ctype);
    ASN1_TIME_free(when);
    dx_synth_der_free(&lso);
    return st;
}

/* ---- files and keys --------------------------------------------------------- */

static dx_status join(char *dst, size_t size, const char *dir, const char *name, dx_error *err)
{
    int n = snprintf(dst, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "path %s/%s is too long", dir, name);
    return DX_OK;
}

/* Whole file; *data is NUL-terminated, the caller wipes and frees it. */
static dx_status read_all(const char *path, uint8_t **data, size_t *len, dx_error *err)
{
    dx_status st = DX_OK;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return dx_error_set(err, errno == ENOENT ? DX_ERR_NOT_FOUND : DX_ERR_IO,
                            "cannot open %s: %s", path, strerror(errno));
    for (;;) {
        if (cap - n < 4096) {
            if (cap > (1u << 24)) {
                st = dx_error_set(err, DX_ERR_DATA, "%s: larger than 16 MiB", path);
                goto fail;
            }
            uint8_t *p = malloc(cap + 8192);
            if (!p) {
                st = dx_error_set(err, DX_ERR_NO_MEMORY, "reading %s: out of memory", path);
                goto fail;
            }
            if (buf) {
                memcpy(p, buf, n);
                OPENSSL_cleanse(buf, cap);
                free(buf);
            }
            buf = p;
            cap += 8192;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        st = dx_error_set(err, DX_ERR_IO, "cannot read %s", path);
        goto fail;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
fail:
    if (buf) {
        OPENSSL_cleanse(buf, cap);
        free(buf);
    }
    fclose(f);
    return st;
}

static void wipe_free(uint8_t *p, size_t n)
{
    if (p) {
        OPENSSL_cleanse(p, n);
        free(p);
    }
}

static int no_password(char *buf, int size, int rw, void *u)
{
    (void)buf;
    (void)size;
    (void)rw;
    (void)u;
    return -1;
}

/* A private key from a PEM file; *pem (if asked) gets the file's bytes. */
static dx_status load_key(const char *path, EVP_PKEY **key, uint8_t **pem, size_t *pem_len,
                          dx_error *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    dx_status st = read_all(path, &data, &len, err);
    if (st)
        return st;
    BIO *b = BIO_new_mem_buf(data, (int)len);
    *key = b ? PEM_read_bio_PrivateKey(b, NULL, no_password, NULL) : NULL;
    BIO_free(b);
    if (!*key) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: not a PEM private key: %s", path, ossl_why());
        wipe_free(data, len);
        return st;
    }
    if (pem) {
        *pem = data;
        *pem_len = len;
    } else {
        wipe_free(data, len);
    }
    return DX_OK;
}

static dx_status load_cert(const char *path, X509 **cert, dx_error *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    dx_status st = read_all(path, &data, &len, err);
    if (st)
        return st;
    BIO *b = BIO_new_mem_buf(data, (int)len);
    *cert = b ? PEM_read_bio_X509(b, NULL, no_password, NULL) : NULL;
    BIO_free(b);
    free(data);
    if (!*cert)
        return dx_error_set(err, DX_ERR_DATA, "%s: not a PEM certificate: %s", path, ossl_why());
    return DX_OK;
}

static dx_status write_all(const char *dir, const char *name, const void *data, size_t len,
                           dx_error *err)
{
    char path[4096];
    dx_status st = join(path, sizeof path, dir, name, err);
    if (st)
        return st;
    FILE *f = fopen(path, "wb");
    if (!f)
        return dx_error_set(err, DX_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    bool ok = fwrite(data, 1, len, f) == len;
    if (fclose(f) != 0)
        ok = false;
    if (!ok)
        return dx_error_set(err, DX_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    return DX_OK;
}

static dx_status remove_stale(const char *dir, const char *name, dx_error *err)
{
    char path[4096];
    dx_status st = join(path, sizeof path, dir, name, err);
    if (st)
        return st;
    if (unlink(path) != 0 && errno != ENOENT)
        return dx_error_set(err, DX_ERR_IO, "cannot remove the stale %s: %s", path,
                            strerror(errno));
    return DX_OK;
}

/* Number of pool/<kind>-N.key.pem files, N = 0, 1, ... */
static size_t pool_size(const char *trust, const char *kind)
{
    char path[4096];
    size_t n = 0;
    while (n < POOL_MAX) {
        int k = snprintf(path, sizeof path, "%s/pool/%s-%zu.key.pem", trust, kind, n);
        if (k < 0 || (size_t)k >= sizeof path || access(path, R_OK) != 0)
            break;
        n++;
    }
    return n;
}

/* splitmix64: a seed and a salt pick a pool entry */
static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static dx_status pool_key(const char *trust, const char *kind, size_t index, EVP_PKEY **key,
                          uint8_t **pem, size_t *pem_len, dx_error *err)
{
    char path[4096];
    int k = snprintf(path, sizeof path, "%s/pool/%s-%zu.key.pem", trust, kind, index);
    if (k < 0 || (size_t)k >= sizeof path)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "trust directory path too long");
    return load_key(path, key, pem, pem_len, err);
}

/* ---- the chip directory -------------------------------------------------------- */

enum { F_COM, F_DG1, F_DG2, F_DG11, F_DG12, F_DG14, F_DG15, F_SOD, F_CARD_ACCESS, F_COUNT };

static const struct lds_file {
    const char *name, *fid;
    int sfi, dg;
    uint8_t tag; /* in EF.COM's tag list */
    bool outside; /* in the master file, outside the eMRTD application */
} lds_files[F_COUNT] = {
    [F_COM] = {"EF.COM", "011E", 30, 0, 0, false},
    [F_DG1] = {"EF.DG1", "0101", 1, 1, 0x61, false},
    [F_DG2] = {"EF.DG2", "0102", 2, 2, 0x75, false},
    [F_DG11] = {"EF.DG11", "010B", 11, 11, 0x6B, false},
    [F_DG12] = {"EF.DG12", "010C", 12, 12, 0x6C, false},
    [F_DG14] = {"EF.DG14", "010E", 14, 14, 0x6E, false},
    [F_DG15] = {"EF.DG15", "010F", 15, 15, 0x6F, false},
    [F_SOD] = {"EF.SOD", "011D", 29, 0, 0, false},
    [F_CARD_ACCESS] = {"EF.CardAccess", "011C", 28, 0, 0, true},
};

void dx_synth_chip_options_default(dx_synth_chip_options *o)
{
    memset(o, 0, sizeof *o);
    o->face_format = DX_SYNTH_FACE_JPEG;
    o->jpeg_quality = 75;
    o->jp2_ratio = 20;
    o->bac = true;
}

static dx_status check_options(const dx_synth_chip_options *o, const char *chip_dir,
                               dx_error *err)
{
    if (!o || !chip_dir || !chip_dir[0] || !o->holder || !o->trust_dir || !o->trust_dir[0])
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "synthetic chip: options, holder, trust directory and chip "
                            "directory are needed");
    dx_status st = check_mrz(o->dg1_mrz, o->dg1_mrz_lines, "synthetic chip, DG1 MRZ", err);
    if (st)
        return st;
    if (o->access_mrz_lines &&
        (st = check_mrz(o->access_mrz, o->access_mrz_lines, "synthetic chip, access MRZ", err)))
        return st;
    if (!o->portrait_rgb)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "synthetic chip: no portrait for DG2");
    if (o->aa != DX_SYNTH_AA_NONE && o->aa != DX_SYNTH_AA_RSA && o->aa != DX_SYNTH_AA_ECDSA)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "synthetic chip: unknown AA kind %d",
                            (int)o->aa);
    if (o->clone && o->aa == DX_SYNTH_AA_NONE)
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "synthetic chip: the clone defect needs Active Authentication");
    const char *can = o->can[0] ? o->can : o->holder->can;
    if (can[0] && !all_digits(can, 6))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "synthetic chip: CAN \"%s\" is not 6 digits", can);
    if (o->pace && (st = check_pace(o->pace_infos, o->n_pace_infos, err)))
        return st;
    int t = o->tampered_dg;
    bool dg14 = o->chip_auth || o->aa == DX_SYNTH_AA_ECDSA;
    if (t != 0 && t != 1 && t != 2 && t != 11 && t != 12 && !(t == 14 && dg14) &&
        !(t == 15 && o->aa != DX_SYNTH_AA_NONE))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "synthetic chip: cannot tamper with DG%d, the chip does not serve it",
                            t);
    return DX_OK;
}

static void hex_of(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static json_t *chip_json(const dx_synth_chip_options *o, const dx_synth_pace_info *pace,
                         size_t n_pace, const bool *present, const dx_synth_der *files)
{
    json_t *root = json_object(), *mrz = json_array(), *pace_list = json_array(),
           *list = json_array(), *sums = json_object();
    if (!root || !mrz || !pace_list || !list || !sums) {
        json_decref(root);
        json_decref(mrz);
        json_decref(pace_list);
        json_decref(list);
        json_decref(sums);
        return NULL;
    }
    const char(*lines)[45] = o->access_mrz_lines ? o->access_mrz : o->dg1_mrz;
    size_t n_lines = o->access_mrz_lines ? o->access_mrz_lines : o->dg1_mrz_lines;
    for (size_t i = 0; i < n_lines; i++)
        json_array_append_new(mrz, json_string(lines[i]));
    const char *can = o->can[0] ? o->can : o->holder->can;
    for (size_t i = 0; i < n_pace; i++)
        json_array_append_new(pace_list, json_pack("{s:s, s:i}", "oid", pace[i].oid,
                                                   "parameter_id", pace[i].parameter_id));
    for (int f = 0; f < F_COUNT; f++) {
        if (!present[f])
            continue;
        json_t *e = json_pack("{s:s, s:s, s:i}", "name", lds_files[f].name, "fid",
                              lds_files[f].fid, "sfi", lds_files[f].sfi);
        if (e && lds_files[f].outside)
            json_object_set_new(e, "outside_application", json_true());
        json_array_append_new(list, e);
        uint8_t md[32];
        char hex[65];
        EVP_Digest(files[f].data, files[f].len, md, NULL, EVP_sha256(), NULL);
        hex_of(md, 32, hex);
        json_object_set_new(sums, lds_files[f].name, json_string(hex));
    }
    json_object_set_new(root, "format", json_string(DX_SYNTH_CHIP_FORMAT));
    json_object_set_new(root, "note", json_string(CHIP_NOTE));
    json_object_set_new(root, "mrz", mrz);
    json_object_set_new(root, "can", can[0] ? json_string(can) : json_null());
    json_object_set_new(root, "bac", json_boolean(o->bac));
    json_object_set_new(root, "pace", pace_list);
    json_object_set_new(root, "aa",
                        o->aa == DX_SYNTH_AA_NONE
                            ? json_null()
                            : json_pack("{s:s, s:s}", "algorithm",
                                        o->aa == DX_SYNTH_AA_RSA ? "rsa" : "ecdsa",
                                        "private_key", "aa_private.pem"));
    json_object_set_new(root, "ca",
                        o->chip_auth ? json_pack("{s:s, s:s, s:n}", "oid",
                                                 DX_SYNTH_OID_CA_ECDH_AES_128, "private_key",
                                                 "ca_private.pem", "key_id")
                                     : json_null());
    json_object_set_new(root, "files", list);
    json_object_set_new(root, "sha256", sums);
    json_object_set_new(root, "atr", json_string(CHIP_ATR));
    json_object_set_new(root, "extended_length", json_true());
    return root;
}

dx_status dx_synth_chip_write(const dx_synth_chip_options *o, const char *chip_dir,
                              dx_error *err)
{
    dx_status st;
    dx_synth_der files[F_COUNT];
    bool present[F_COUNT] = {false};
    EVP_PKEY *ds_key = NULL, *aa_key = NULL, *chip_aa_key = NULL, *ca_key = NULL;
    X509 *ds_cert = NULL;
    uint8_t *aa_pem = NULL, *ca_pem = NULL, *image = NULL, *variant = NULL;
    size_t aa_pem_len = 0, ca_pem_len = 0, image_len = 0, variant_len = 0;
    char *json_text = NULL;
    json_t *json = NULL;
    char path[4096];

    for (int f = 0; f < F_COUNT; f++)
        dx_synth_der_init(&files[f]);
    if ((st = check_options(o, chip_dir, err)))
        goto fail;

    dx_synth_pace_info pace[DX_SYNTH_CHIP_MAX_PACE];
    size_t n_pace = 0;
    if (o->pace && o->n_pace_infos == 0) {
        pace[0] = (dx_synth_pace_info){DX_SYNTH_OID_PACE_ECDH_GM_AES_128,
                                       DX_SYNTH_PACE_BRAINPOOL_P256};
        n_pace = 1;
    } else if (o->pace) {
        memcpy(pace, o->pace_infos, o->n_pace_infos * sizeof pace[0]);
        n_pace = o->n_pace_infos;
    }
    const char *signing = o->signing_date[0] ? o->signing_date : o->holder->issue_date;

    /* the Document Signer: Utopia's, or the rogue one */
    const char *trust = o->trust_dir;
    if ((st = join(path, sizeof path, trust,
                   o->untrusted_ds ? DX_SYNTH_TRUST_ROGUE_DS_KEY : DX_SYNTH_TRUST_DS_KEY, err)) ||
        (st = load_key(path, &ds_key, NULL, NULL, err)))
        goto fail;
    if ((st = join(path, sizeof path, trust,
                   o->untrusted_ds ? DX_SYNTH_TRUST_ROGUE_DS_CERT : DX_SYNTH_TRUST_DS_CERT,
                   err)) ||
        (st = load_cert(path, &ds_cert, err)))
        goto fail;

    /* keys from the pool, picked by the seed */
    if (o->aa != DX_SYNTH_AA_NONE) {
        const char *kind = o->aa == DX_SYNTH_AA_RSA ? DX_SYNTH_POOL_AA_RSA : DX_SYNTH_POOL_AA_ECDSA;
        size_t n = pool_size(trust, kind);
        if (n < (o->clone ? 2u : 1u)) {
            st = dx_error_set(err, DX_ERR_NOT_FOUND,
                              "%s/pool: %zu %s keys; the chip needs %s (see hw/pki/mkpki)",
                              trust, n, kind, o->clone ? "2" : "1");
            goto fail;
        }
        size_t i = (size_t)(mix(o->seed ^ 0xAA) % n);
        size_t chip_i = o->clone ? (i + 1) % n : i;
        if ((st = pool_key(trust, kind, i, &aa_key, NULL, NULL, err)) ||
            (st = pool_key(trust, kind, chip_i, &chip_aa_key, &aa_pem, &aa_pem_len, err)))
            goto fail;
        if ((o->aa == DX_SYNTH_AA_RSA) != (EVP_PKEY_get_base_id(aa_key) == EVP_PKEY_RSA)) {
            st = dx_error_set(err, DX_ERR_DATA, "%s/pool/%s-%zu.key.pem: wrong key type", trust,
                              kind, i);
            goto fail;
        }
    }
    if (o->chip_auth) {
        size_t n = pool_size(trust, DX_SYNTH_POOL_CA_ECDH);
        if (n == 0) {
            st = dx_error_set(err, DX_ERR_NOT_FOUND,
                              "%s/pool: no %s keys (see hw/pki/mkpki)", trust,
                              DX_SYNTH_POOL_CA_ECDH);
            goto fail;
        }
        size_t i = (size_t)(mix(o->seed ^ 0xCA) % n);
        if ((st = pool_key(trust, DX_SYNTH_POOL_CA_ECDH, i, &ca_key, &ca_pem, &ca_pem_len, err)))
            goto fail;
    }

    /* the data groups */
    if ((st = dx_synth_chip_build_dg1(o->dg1_mrz, o->dg1_mrz_lines, &files[F_DG1], err)))
        goto fail;
    int quality = o->face_format == DX_SYNTH_FACE_JPEG ? o->jpeg_quality : o->jp2_ratio;
    if ((st = dx_synth_chip_encode_face(o->portrait_rgb, o->portrait_width, o->portrait_height,
                                        o->portrait_stride, o->face_format, quality, &image,
                                        &image_len, err)))
        goto fail;
    char sex = o->holder->sex;
    dx_synth_face face = {.image = image,
                          .image_len = image_len,
                          .format = o->face_format,
                          .width = (uint16_t)o->portrait_width,
                          .height = (uint16_t)o->portrait_height,
                          .gender = sex == 'M' ? 1 : sex == 'F' ? 2 : 0,
                          .eye_colour = o->eye_colour,
                          .hair_colour = o->hair_colour};
    if ((st = dx_synth_chip_build_dg2(&face, &files[F_DG2], err)) ||
        (st = dx_synth_chip_build_dg11(o->holder, &files[F_DG11], err)) ||
        (st = dx_synth_chip_build_dg12(o->holder, &files[F_DG12], err)))
        goto fail;
    present[F_DG1] = present[F_DG2] = present[F_DG11] = present[F_DG12] = true;
    if (o->chip_auth || o->aa == DX_SYNTH_AA_ECDSA) {
        if ((st = dx_synth_chip_build_dg14(pace, n_pace, ca_key, o->aa == DX_SYNTH_AA_ECDSA,
                                           &files[F_DG14], err)))
            goto fail;
        present[F_DG14] = true;
    }
    if (o->aa != DX_SYNTH_AA_NONE) {
        if ((st = dx_synth_chip_build_dg15(aa_key, &files[F_DG15], err)))
            goto fail;
        present[F_DG15] = true;
    }

    /* the SOD over the data groups (a tampered DG: over an altered copy) */
    dx_synth_dg_hash hashes[F_COUNT];
    size_t n_hashes = 0;
    uint8_t tags[F_COUNT];
    size_t n_tags = 0;
    for (int f = 0; f < F_COUNT; f++) {
        if (!present[f] || lds_files[f].dg == 0)
            continue;
        const uint8_t *data = files[f].data;
        size_t len = files[f].len;
        if (lds_files[f].dg == o->tampered_dg) {
            variant = malloc(len);
            if (!variant) {
                st = dx_error_set(err, DX_ERR_NO_MEMORY, "synthetic chip: out of memory");
                goto fail;
            }
            memcpy(variant, data, len);
            variant[len - 1] ^= 0x01; /* one bit of the last content byte */
            variant_len = len;
            data = variant;
        }
        hashes[n_hashes].dg = lds_files[f].dg;
        if (!EVP_Digest(data, len, hashes[n_hashes].sha256, NULL, EVP_sha256(), NULL)) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "synthetic chip: SHA-256: %s", ossl_why());
            goto fail;
        }
        n_hashes++;
        tags[n_tags++] = lds_files[f].tag;
    }
    if ((st = dx_synth_chip_build_sod(hashes, n_hashes, ds_key, ds_cert, signing, &files[F_SOD],
                                      err)) ||
        (st = dx_synth_chip_build_com("0107", "040000", tags, n_tags, &files[F_COM], err)))
        goto fail;
    present[F_SOD] = present[F_COM] = true;
    if (o->pace) {
        if ((st = dx_synth_chip_build_card_access(pace, n_pace, &files[F_CARD_ACCESS], err)))
            goto fail;
        present[F_CARD_ACCESS] = true;
    }

    /* write */
    if (mkdir(chip_dir, 0777) != 0 && errno != EEXIST) {
        st = dx_error_set(err, DX_ERR_IO, "cannot create the chip directory %s: %s", chip_dir,
                          strerror(errno));
        goto fail;
    }
    for (int f = 0; f < F_COUNT; f++) {
        st = present[f] ? write_all(chip_dir, lds_files[f].name, files[f].data, files[f].len, err)
                        : remove_stale(chip_dir, lds_files[f].name, err);
        if (st)
            goto fail;
    }
    st = aa_pem ? write_all(chip_dir, "aa_private.pem", aa_pem, aa_pem_len, err)
                : remove_stale(chip_dir, "aa_private.pem", err);
    if (st)
        goto fail;
    st = ca_pem ? write_all(chip_dir, "ca_private.pem", ca_pem, ca_pem_len, err)
                : remove_stale(chip_dir, "ca_private.pem", err);
    if (st)
        goto fail;
    json = chip_json(o, pace, n_pace, present, files);
    json_text = json ? json_dumps(json, JSON_INDENT(2)) : NULL;
    if (!json_text) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "synthetic chip: out of memory (chip.json)");
        goto fail;
    }
    size_t n = strlen(json_text);
    json_text[n] = '\n'; /* json_dumps' NUL becomes the final newline */
    st = write_all(chip_dir, "chip.json", json_text, n + 1, err);
    json_text[n] = '\0';
fail:
    for (int f = 0; f < F_COUNT; f++)
        dx_synth_der_free(&files[f]);
    EVP_PKEY_free(ds_key);
    EVP_PKEY_free(aa_key);
    EVP_PKEY_free(chip_aa_key);
    EVP_PKEY_free(ca_key);
    X509_free(ds_cert);
    wipe_free(aa_pem, aa_pem_len);
    wipe_free(ca_pem, ca_pem_len);
    free(image);
    free(variant);
    (void)variant_len;
    free(json_text);
    json_decref(json);
    return st;
}
