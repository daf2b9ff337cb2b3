/* The PNG decoders of image/image.h: png_direct.c (libdeflate) against libpng.
 *
 * 1. Every layout the direct path takes (8/16-bit grey and RGB), written by
 *    libpng with each filter (None, Sub, Up, Average, Paeth, all adaptive),
 *    odd sizes down to 1 x 1, one IDAT or many, with and without pHYs: the
 *    direct decoder gives the same pixels, format, stride and dpi as libpng.
 * 2. Layouts it leaves to libpng (palette, alpha, 1-bit grey, interlaced):
 *    DX_ERR_UNSUPPORTED from the direct path, and dx_png_decode gives libpng's
 *    result.
 * 3. Broken files, each DX_ERR_DATA with the file's name and what is wrong:
 *    truncated anywhere, a CRC error, a zlib stream that is not one, too few
 *    or too many bytes of image data, an unknown filter type, IDAT chunks
 *    that are not consecutive, IHDR not first, an image too large, a chunk
 *    longer than the file (on both paths).
 * 4. dx_png_load: a FIFO is refused at once, a missing file is DX_ERR_IO.
 * 5. The encoder (png_write.c): every format, 1 x 1, odd widths, padded
 *    rows, the stream cut into IDAT chunks of 1 byte up to 1 MiB (rows
 *    longer than a chunk, images of several chunks), read back exactly by
 *    the direct decoder and by libpng on its own; pHYs gives the dpi back
 *    (none when dpi <= 0); the file's chunks are the ones expected; bad
 *    views are DX_ERR_INVALID_ARG, one too large to allocate
 *    DX_ERR_NO_MEMORY; dx_synth_png_encode_unfiltered maps a synth image
 *    onto it; a noisy page-like image is no larger than libpng's at zlib
 *    level 1 (both sizes printed). */
#include <math.h>
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdeflate.h>

#include "image/image.h"
#include "synth/render.h"

static int failures, checks;

static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    checks++;
    if (ok)
        return;
    failures++;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- writing with libpng -------------------------------------------------- */

typedef struct buf {
    uint8_t *d;
    size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->d = realloc(b->d, b->cap);
        if (!b->d)
            abort();
    }
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void wr(png_structp png, png_bytep p, size_t n)
{
    put(png_get_io_ptr(png), p, n);
}

static void fl(png_structp png)
{
    (void)png;
}

static uint32_t rng = 12345;
static uint8_t rnd8(void)
{
    rng = rng * 1103515245u + 12345u;
    return (uint8_t)(rng >> 16);
}

/* A PNG of w x h of `type` (PNG_COLOR_TYPE_*) and `depth`, pixels: smooth
 * ramps plus noise (so that every filter has something to do). */
static buf encode(int w, int h, int type, int depth, int filters, int interlace, size_t zbuf,
                  int phys_dpi)
{
    buf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        abort();
    png_set_write_fn(png, &b, wr, fl);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, type, interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[16];
        for (int i = 0; i < 16; i++)
            pal[i].red = (png_byte)(i * 16), pal[i].green = (png_byte)(255 - i * 16), pal[i].blue = 7;
        png_set_PLTE(png, info, pal, 16);
    }
    if (phys_dpi)
        png_set_pHYs(png, info, (png_uint_32)(phys_dpi / 0.0254 + 0.5), (png_uint_32)(phys_dpi / 0.0254 + 0.5),
                     PNG_RESOLUTION_METER);
    png_set_filter(png, 0, filters);
    png_set_compression_level(png, 1);
    if (zbuf)
        png_set_compression_buffer_size(png, zbuf);
    png_write_info(png, info);
    int ch = type == PNG_COLOR_TYPE_RGB ? 3 : type == PNG_COLOR_TYPE_RGB_ALPHA ? 4
           : type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
    size_t rb = png_get_rowbytes(png, info);
    uint8_t *row = malloc(rb);
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < h; y++) {
            for (size_t i = 0; i < rb; i++) {
                int x = (int)(i / (size_t)(ch * (depth == 16 ? 2 : 1)));
                row[i] = (uint8_t)(x * 3 + y * 5 + (rnd8() & 15));
                if (depth < 8 || type == PNG_COLOR_TYPE_PALETTE)
                    row[i] = depth == 1 ? rnd8() : (uint8_t)(rnd8() & 0x33);
            }
            png_write_row(png, row);
        }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    return b;
}

static void same(const char *what, const uint8_t *file, size_t len)
{
    dx_png_image a, b;
    dx_error ea = {0}, eb = {0};
    dx_status sa = dx_png_decode_direct(file, len, what, &a, &ea);
    dx_status sb = dx_png_decode_libpng(file, len, what, &b, &eb);
    check(sa == DX_OK, "%s: direct: %s", what, ea.message);
    check(sb == DX_OK, "%s: libpng: %s", what, eb.message);
    if (sa == DX_OK && sb == DX_OK) {
        check(a.view.width == b.view.width && a.view.height == b.view.height &&
                  a.view.format == b.view.format && a.view.stride == b.view.stride,
              "%s: layout %ux%u f%d s%zu vs %ux%u f%d s%zu", what, a.view.width, a.view.height,
              (int)a.view.format, a.view.stride, b.view.width, b.view.height, (int)b.view.format,
              b.view.stride);
        check(a.dpi == b.dpi, "%s: dpi %g vs %g", what, a.dpi, b.dpi);
        check(memcmp(a.data, b.data, a.view.stride * a.view.height) == 0, "%s: pixels differ", what);
    }
    if (sa == DX_OK)
        dx_png_image_free(&a);
    if (sb == DX_OK)
        dx_png_image_free(&b);
}

/* ---- hand-made files ---------------------------------------------------- */

static void chunk(buf *b, const char *type, const void *data, size_t n)
{
    uint8_t hdr[8] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n,
                      (uint8_t)type[0], (uint8_t)type[1], (uint8_t)type[2], (uint8_t)type[3]};
    uint32_t crc = libdeflate_crc32(0, type, 4);
    crc = libdeflate_crc32(crc, data, n);
    uint8_t c[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
    put(b, hdr, 8);
    put(b, data, n);
    put(b, c, 4);
}

static void ihdr(buf *b, uint32_t w, uint32_t h, int depth, int type)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t d[13] = {(uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w,
                     (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h,
                     (uint8_t)depth, (uint8_t)type, 0, 0, 0};
    put(b, sig, 8);
    chunk(b, "IHDR", d, 13);
}

static void zput(buf *b, const uint8_t *raw, size_t n, const char *type)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
    size_t cap = libdeflate_zlib_compress_bound(c, n);
    uint8_t *z = malloc(cap);
    size_t zn = libdeflate_zlib_compress(c, raw, n, z, cap);
    chunk(b, type, z, zn);
    free(z);
    libdeflate_free_compressor(c);
}

/* A 4 x 3 grey image whose raw (filtered) rows are `raw` (n bytes). */
static buf handmade(const uint8_t *raw, size_t n)
{
    buf b = {0};
    ihdr(&b, 4, 3, 8, 0);
    zput(&b, raw, n, "IDAT");
    chunk(&b, "IEND", "", 0);
    return b;
}

static void broken(const char *what, const uint8_t *file, size_t len, const char *needle)
{
    dx_png_image img;
    dx_error e = {0};
    dx_status st = dx_png_decode(file, len, "case.png", &img, &e);
    check(st == DX_ERR_DATA, "%s: status %d (%s)", what, (int)st, e.message);
    check(strstr(e.message, "case.png") != NULL, "%s: message names the file: %s", what, e.message);
    if (needle)
        check(strstr(e.message, needle) != NULL, "%s: message says \"%s\": %s", what, needle, e.message);
    if (st == DX_OK)
        dx_png_image_free(&img);
}

/* ---- the encoder ---------------------------------------------------------- */

static const char *const fmt_name[4] = {"GRAY8", "GRAY16", "RGB8", "RGB16"};
static const size_t fmt_bpp[4] = {1, 2, 3, 6};

static int host_le(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* An image of w x h in `format`, rows `pad` bytes longer than the pixels
 * (the padding 0xa5, never written): ramps plus noise in every byte. */
static dx_image_view make_view(uint32_t w, uint32_t h, dx_pixfmt format, size_t pad)
{
    size_t rb = w * fmt_bpp[format], stride = rb + pad;
    uint8_t *d = malloc(stride * h);
    if (!d)
        abort();
    memset(d, 0xa5, stride * h);
    for (uint32_t y = 0; y < h; y++)
        for (size_t i = 0; i < rb; i++)
            d[(size_t)y * stride + i] = (uint8_t)(i / fmt_bpp[format] * 3 + y * 5 + (rnd8() & 31));
    return (dx_image_view){d, w, h, stride, format};
}

typedef struct rd {
    const uint8_t *d;
    size_t n, pos;
} rd;

static void rd_fn(png_structp png, png_bytep out, size_t n)
{
    rd *r = png_get_io_ptr(png);
    if (n > r->n - r->pos)
        png_error(png, "truncated");
    memcpy(out, r->d + r->pos, n);
    r->pos += n;
}

/* libpng alone (none of docex's limits): the pixels packed, 16-bit samples
 * in host order; false when libpng refuses the file. */
static int libpng_read(const uint8_t *file, size_t len, dx_png_image *out)
{
    rd r = {file, len, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    uint8_t *volatile data = NULL;
    png_bytep *volatile rows = NULL;
    memset(out, 0, sizeof *out);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(data);
        free(rows);
        return 0;
    }
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_read_fn(png, &r, rd_fn);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), ct = png_get_color_type(png, info);
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE || (depth != 8 && depth != 16) ||
        (ct != PNG_COLOR_TYPE_GRAY && ct != PNG_COLOR_TYPE_RGB))
        png_error(png, "not a layout the encoder writes");
    if (depth == 16 && host_le())
        png_set_swap(png);
    png_read_update_info(png, info);
    size_t rb = png_get_rowbytes(png, info);
    data = malloc(rb * h);
    rows = malloc(sizeof(png_bytep) * h);
    if (!data || !rows)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = data + (size_t)y * rb;
    png_read_image(png, rows);
    png_read_end(png, info);
    png_uint_32 rx = 0, ry = 0;
    int unit = 0;
    if (png_get_pHYs(png, info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER && rx == ry && rx)
        out->dpi = rx * 0.0254;
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    out->data = data;
    out->view =
        (dx_image_view){data, w, h, rb,
                        ct == PNG_COLOR_TYPE_RGB ? (depth == 16 ? DX_PIX_RGB16 : DX_PIX_RGB8)
                                                 : (depth == 16 ? DX_PIX_GRAY16 : DX_PIX_GRAY8)};
    return 1;
}

/* The decoded image is the view's, pixel for pixel (rows packed). */
static void same_image(const char *what, const char *by, const dx_image_view *v,
                       const dx_png_image *d)
{
    size_t rb = v->width * fmt_bpp[v->format];
    int ok = d->view.width == v->width && d->view.height == v->height &&
             d->view.format == v->format && d->view.stride == rb;
    check(ok, "%s: %s: %ux%u %s stride %zu, wrote %ux%u %s", what, by, d->view.width,
          d->view.height, fmt_name[d->view.format & 3], d->view.stride, v->width, v->height,
          fmt_name[v->format]);
    if (!ok)
        return;
    uint32_t y = 0;
    while (y < v->height && memcmp((const uint8_t *)d->data + (size_t)y * rb,
                                   (const uint8_t *)v->data + (size_t)y * v->stride, rb) == 0)
        y++;
    check(y == v->height, "%s: %s: row %u differs", what, by, y);
}

/* The file's chunks: signature, IHDR, pHYs when `phys`, IDAT chunks of
 * exactly `split` bytes but the last (at most `split`), IEND, nothing after.
 * Returns the number of IDAT chunks (0: not as expected). */
static size_t chunks_as_expected(const char *what, const uint8_t *f, size_t len, int phys,
                                 size_t split)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const char *want = phys ? "IHDR pHYs " : "IHDR ";
    char seen[32] = "";
    size_t pos = 8, n_idat = 0, last = 0;
    int ok = len >= 8 && memcmp(f, sig, 8) == 0;
    while (ok && len - pos >= 12) {
        size_t n =
            (size_t)f[pos] << 24 | (size_t)f[pos + 1] << 16 | (size_t)f[pos + 2] << 8 | f[pos + 3];
        const char *t = (const char *)f + pos + 4;
        if (n > len - pos - 12) {
            ok = 0;
            break;
        }
        if (memcmp(t, "IDAT", 4) == 0) {
            ok = ok && (!n_idat || last == split) && n <= split && n > 0;
            last = n;
            n_idat++;
        } else if (strlen(seen) + 5 < sizeof seen) {
            ok = ok && !(n_idat && memcmp(t, "IEND", 4) != 0); /* nothing else after IDAT */
            strncat(seen, t, 4);
            strcat(seen, " ");
        }
        pos += n + 12;
        if (memcmp(t, "IEND", 4) == 0)
            break;
    }
    char expect[32];
    snprintf(expect, sizeof expect, "%sIEND ", want);
    ok = ok && pos == len && n_idat > 0 && strcmp(seen, expect) == 0;
    check(ok, "%s: chunks \"%s\" + %zu IDAT (last %zu, split %zu), %zu of %zu bytes", what, seen,
          n_idat, last, split, pos, len);
    return ok ? n_idat : 0;
}

/* Encode (split 0: dx_png_encode's own; SIZE_MAX: dx_png_encode_fast, the
 * same layout at libdeflate's level 1), check the chunks, read back by both
 * decoders.  Returns the number of IDAT chunks. */
static size_t round_trip(const char *what, const dx_image_view *v, double dpi, size_t split,
                         size_t *file_len)
{
    uint8_t *f = NULL;
    size_t len = 0, n_idat = 0;
    dx_error e = {0};
    dx_status st = split == SIZE_MAX ? dx_png_encode_fast(v, dpi, &f, &len, &e)
                   : split           ? dx_png_encode_split(v, dpi, split, &f, &len, &e)
                                     : dx_png_encode(v, dpi, &f, &len, &e);
    if (split == SIZE_MAX)
        split = 0;
    check(st == DX_OK && f && len, "%s: encode: %s", what, e.message);
    if (st != DX_OK)
        return 0;
    if (file_len)
        *file_len = len;
    n_idat = chunks_as_expected(what, f, len, dpi > 0, split ? split : (size_t)1 << 20);
    double want_dpi = dpi > 0 ? round(dpi / 0.0254) * 0.0254 : 0;
    dx_png_image a, b;
    st = dx_png_decode_direct(f, len, what, &a, &e);
    if (v->width <= 65536 && v->height <= 65536 && (uint64_t)v->width * v->height <= 1u << 28) {
        check(st == DX_OK, "%s: direct decoder: %s", what, e.message);
        if (st == DX_OK) {
            same_image(what, "direct decoder", v, &a);
            check(fabs(a.dpi - want_dpi) < 1e-9 &&
                      fabs(a.dpi - (dpi > 0 ? dpi : 0)) <= 0.0127 + 1e-9,
                  "%s: direct decoder: dpi %.6f for %.6f", what, a.dpi, dpi);
        }
    } else { /* larger than docex reads: refused as such */
        check(st == DX_ERR_DATA && strstr(e.message, "too large"), "%s: direct decoder: %s", what,
              e.message);
    }
    if (st == DX_OK)
        dx_png_image_free(&a);
    check(libpng_read(f, len, &b), "%s: libpng cannot read it", what);
    if (b.data) {
        same_image(what, "libpng", v, &b);
        check(fabs(b.dpi - want_dpi) < 1e-9, "%s: libpng: dpi %.6f for %.6f", what, b.dpi, dpi);
        dx_png_image_free(&b);
    }
    free(f);
    return n_idat;
}

/* libpng's encoding as render.c had it for synth's pages: zlib level 1, no
 * row filter, pHYs. */
static buf libpng_write(const dx_image_view *v, double dpi, int filters)
{
    buf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        abort();
    png_set_write_fn(png, &b, wr, fl);
    png_set_compression_level(png, 1);
    png_set_filter(png, 0, filters);
    int wide = v->format == DX_PIX_GRAY16 || v->format == DX_PIX_RGB16;
    png_set_IHDR(png, info, v->width, v->height, wide ? 16 : 8,
                 v->format >= DX_PIX_RGB8 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_uint_32 ppm = (png_uint_32)lround(dpi / 0.0254);
    png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
    png_write_info(png, info);
    if (wide && host_le())
        png_set_swap(png);
    for (uint32_t y = 0; y < v->height; y++)
        png_write_row(png, (png_const_bytep)v->data + (size_t)y * v->stride);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return b;
}

static double gauss(void)
{
    double u = (rnd8() * 256.0 + rnd8() + 1) / 65537.0, w = (rnd8() * 256.0 + rnd8()) / 65536.0;
    return sqrt(-2 * log(u)) * cos(2 * M_PI * w);
}

/* A page-like RGB image: cream paper with a tinted wave pattern, dark
 * bars of "text", a photo-like gradient box, sensor noise sigma 2. */
static dx_image_view noisy_page(uint32_t w, uint32_t h)
{
    uint8_t *d = malloc((size_t)w * h * 3);
    if (!d)
        abort();
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double r = 238, g = 232, bl = 214;
            double wave = 6 * sin(x * 0.05 + 4 * sin(y * 0.013));
            r += wave, g -= wave / 2, bl += wave / 3;
            if (y % 40 < 14 && x % 300 < 240 && x > w / 3 && (x * 7 + y * 3) % 23 < 15)
                r = 40, g = 38, bl = 45; /* text */
            if (x < w / 4 && y < h / 2 && x > 20 && y > 20)
                r = 120 + 100.0 * x / w, g = 90 + 80.0 * y / h, bl = 100; /* photo */
            double px[3] = {r, g, bl};
            for (int c = 0; c < 3; c++) {
                double s = px[c] + 2 * gauss();
                d[((size_t)y * w + x) * 3 + c] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : lround(s));
            }
        }
    return (dx_image_view){d, w, h, (size_t)w * 3, DX_PIX_RGB8};
}

static void encode_bad(const char *what, const dx_image_view *v, double dpi, size_t split,
                       dx_status want, const char *needle)
{
    uint8_t *f = (uint8_t *)"x";
    size_t len = 99;
    dx_error e = {0};
    dx_status st = dx_png_encode_split(v, dpi, split, &f, &len, &e);
    check(st == want && e.status == want && f == NULL && len == 0,
          "%s: status %d (%s), png %p, len %zu", what, (int)st, e.message, (void *)f, len);
    if (needle)
        check(strstr(e.message, needle) != NULL, "%s: message says \"%s\": %s", what, needle,
              e.message);
    if (st == DX_OK)
        free(f);
}

static void encoder_tests(void)
{
    static const uint32_t sizes[][2] = {{1, 1}, {1, 6}, {5, 1}, {13, 11}, {301, 97}};
    /* 0: dx_png_encode's 1 MiB; SIZE_MAX: dx_png_encode_fast */
    static const size_t splits[] = {1, 7, 64, 0, SIZE_MAX};
    static const double dpis[] = {0, 300, 600, 72.5, -1, 1199.99};
    char what[200];
    int k = 0;

    /* every format, size, split; padded rows for some */
    for (int f = 0; f < 4; f++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (size_t p = 0; p < sizeof splits / sizeof splits[0]; p++) {
                if (splits[p] == 1 && sizes[s][0] * sizes[s][1] > 200)
                    continue; /* a chunk a byte: small images only */
                size_t pad = (size_t)(k % 3 == 0 ? 0 : k % 3 == 1 ? 1 : 17);
                double dpi = dpis[k % 6];
                k++;
                dx_image_view v = make_view(sizes[s][0], sizes[s][1], (dx_pixfmt)f, pad);
                snprintf(what, sizeof what, "encode %s %ux%u pad %zu split %zu dpi %g", fmt_name[f],
                         v.width, v.height, pad, splits[p], dpi);
                size_t n = round_trip(what, &v, dpi, splits[p], NULL);
                size_t rb = v.width * fmt_bpp[f];
                if (splits[p] && splits[p] != SIZE_MAX && rb > splits[p] && v.height > 1)
                    check(n > 1, "%s: rows longer than a chunk, %zu IDAT", what, n);
                free((void *)v.data);
            }

    /* several 1 MiB chunks: noise does not compress */
    {
        dx_image_view v = make_view(1200, 1000, DX_PIX_RGB8, 0);
        uint8_t *d = (uint8_t *)v.data;
        for (size_t i = 0; i < v.stride * v.height; i++)
            d[i] = rnd8();
        size_t len = 0, n = round_trip("encode RGB8 1200x1000 noise", &v, 600, 0, &len);
        check(n == (len - 8 - 25 - 21 - 12) / ((1u << 20) + 12) + 1 && n >= 3,
              "1200x1000 noise: %zu IDAT chunks of 1 MiB for %zu bytes", n, len);
        free(d);
    }
    /* a row (1.2 MB) longer than a 1 MiB chunk: wider than docex reads,
     * libpng reads it */
    {
        dx_image_view v = make_view(200000, 3, DX_PIX_RGB16, 0);
        uint8_t *d = (uint8_t *)v.data;
        for (size_t i = 0; i < v.stride * v.height; i++)
            d[i] = rnd8();
        size_t n = round_trip("encode RGB16 200000x3 noise", &v, 300, 0, NULL);
        check(n >= 3, "200000x3 RGB16 noise: %zu IDAT chunks", n);
        free(d);
    }

    /* pHYs: the dpi back within the metre's rounding */
    for (double dpi = 50; dpi <= 2400; dpi += 37.3) {
        dx_image_view v = make_view(3, 2, DX_PIX_GRAY8, 0);
        snprintf(what, sizeof what, "pHYs for %g dpi", dpi);
        round_trip(what, &v, dpi, 0, NULL);
        free((void *)v.data);
    }

    /* bad views */
    {
        uint8_t px[64] = {0};
        dx_image_view good = {px, 4, 2, 12, DX_PIX_RGB8}, v;
        encode_bad("no view", NULL, 300, 1 << 20, DX_ERR_INVALID_ARG, "PNG");
        v = good, v.data = NULL;
        encode_bad("no data", &v, 300, 1 << 20, DX_ERR_INVALID_ARG, "PNG");
        v = good, v.width = 0;
        encode_bad("width 0", &v, 300, 1 << 20, DX_ERR_INVALID_ARG, "0 x 2");
        v = good, v.height = 0;
        encode_bad("height 0", &v, 300, 1 << 20, DX_ERR_INVALID_ARG, "4 x 0");
        v = good, v.width = 0x80000000u;
        encode_bad("width 2^31", &v, 300, 1 << 20, DX_ERR_INVALID_ARG, "2147483648 x 2");
        v = good, v.height = 0x80000000u;
        encode_bad("height 2^31", &v, 300, 1 << 20, DX_ERR_INVALID_ARG, "4 x 2147483648");
        v = good, v.stride = 11;
        encode_bad("stride short of a row", &v, 300, 1 << 20, DX_ERR_INVALID_ARG, "stride 11");
        v = good, v.format = (dx_pixfmt)4;
        encode_bad("format 4", &v, 300, 1 << 20, DX_ERR_INVALID_ARG, "format 4");
        v = good, v.format = (dx_pixfmt)-1;
        encode_bad("format -1", &v, 300, 1 << 20, DX_ERR_INVALID_ARG, "format -1");
        encode_bad("IDAT chunks of 0 bytes", &good, 300, 0, DX_ERR_INVALID_ARG, "IDAT");
        encode_bad("IDAT chunks of 2^31 bytes", &good, 300, (size_t)1 << 31, DX_ERR_INVALID_ARG,
                   "IDAT");
        encode_bad("1e12 dpi", &good, 1e12, 1 << 20, DX_ERR_INVALID_ARG, "dpi");
        encode_bad("infinite dpi", &good, INFINITY, 1 << 20, DX_ERR_INVALID_ARG, "dpi");
        check(round_trip("the largest dpi", &good, 0x7fffffff * 0.0254, 0, NULL) == 1,
              "the largest dpi is written");
        /* sizes past size_t: (2^31-1) x (2^31-1) RGB16 (2.8e19 bytes) */
        v = good, v.width = v.height = 0x7fffffffu, v.format = DX_PIX_RGB16;
        v.stride = (size_t)v.width * 6;
        encode_bad("(2^31-1)^2 RGB16", &v, 300, 1 << 20, DX_ERR_INVALID_ARG, "too large");
        /* rows that fit, a stride that takes them past the address range */
        v = good, v.height = 0x7fffffffu, v.stride = (size_t)1 << 40;
        encode_bad("stride 2^40 x 2^31 rows", &v, 300, 1 << 20, DX_ERR_INVALID_ARG, "too large");
        /* NULL outputs */
        dx_error e = {0};
        size_t len;
        uint8_t *f;
        check(dx_png_encode(&good, 300, NULL, &len, &e) == DX_ERR_INVALID_ARG, "no png pointer");
        check(dx_png_encode(&good, 300, &f, NULL, &e) == DX_ERR_INVALID_ARG, "no len pointer");
#ifndef __SANITIZE_ADDRESS__
        /* (2^31-1)^2 grey: 4.6e18 bytes fit size_t, not memory (nothing is
         * read from the view before the allocation fails) */
        v = good, v.width = v.height = 0x7fffffffu, v.format = DX_PIX_GRAY8, v.stride = v.width;
        encode_bad("(2^31-1)^2 grey", &v, 300, 1 << 20, DX_ERR_NO_MEMORY, "out of memory");
#endif
    }

    /* dx_synth_png_encode_unfiltered: a synth image onto the view */
    {
        static const int layouts[][2] = {{1, 8}, {1, 16}, {3, 8}, {3, 16}};
        static const dx_pixfmt fmts[] = {DX_PIX_GRAY8, DX_PIX_GRAY16, DX_PIX_RGB8, DX_PIX_RGB16};
        for (int i = 0; i < 4; i++) {
            dx_image_view v = make_view(37, 19, fmts[i], 0);
            dx_synth_image img = {v.width, v.height, layouts[i][0], layouts[i][1],
                                  (uint8_t *)v.data};
            uint8_t *f = NULL;
            size_t len = 0;
            dx_error e = {0};
            dx_png_image a;
            snprintf(what, sizeof what, "synth image %d channels %d bits", layouts[i][0],
                     layouts[i][1]);
            check(dx_synth_png_encode_unfiltered(&img, 600, &f, &len, &e) == DX_OK, "%s: %s", what,
                  e.message);
            check(f && dx_png_decode(f, len, what, &a, &e) == DX_OK, "%s: decode: %s", what,
                  e.message);
            if (f && a.data) {
                same_image(what, "dx_png_decode", &v, &a);
                check(fabs(a.dpi - 600) < 0.0127, "%s: dpi %g", what, a.dpi);
                dx_png_image_free(&a);
            }
            free(f);
            free((void *)v.data);
        }
        uint8_t px[16] = {0};
        dx_synth_image bad2 = {2, 2, 2, 8, px}, bad12 = {2, 2, 1, 12, px};
        uint8_t *f = (uint8_t *)"x";
        size_t len = 9;
        dx_error e = {0};
        check(dx_synth_png_encode_unfiltered(&bad2, 300, &f, &len, &e) == DX_ERR_INVALID_ARG &&
                  !f && !len,
              "synth image of 2 channels: %s", e.message);
        check(dx_synth_png_encode_unfiltered(&bad12, 300, &f, &len, &e) == DX_ERR_INVALID_ARG,
              "synth image of 12 bits: %s", e.message);
    }

    /* size against libpng at zlib level 1 on a noisy page (a 300 dpi
     * page's size) */
    {
        dx_image_view v = noisy_page(1476, 1039);
        uint8_t *f = NULL;
        size_t len = 0;
        dx_error e = {0};
        check(dx_png_encode(&v, 300, &f, &len, &e) == DX_OK, "noisy page: %s", e.message);
        buf none = libpng_write(&v, 300, PNG_FILTER_NONE),
            all = libpng_write(&v, 300, PNG_ALL_FILTERS);
        printf("noisy page 1476x1039 RGB8 (%zu bytes): dx_png_encode %zu bytes, libpng zlib 1 "
               "unfiltered %zu, adaptive filters %zu\n",
               v.stride * v.height, len, none.n, all.n);
        check(f && len <= none.n, "noisy page: %zu bytes, libpng at zlib level 1 %zu", len, none.n);
        round_trip("noisy page", &v, 300, 0, NULL);
        free(f);
        free(none.d);
        free(all.d);
        free((void *)v.data);
    }
}

int main(void)
{
    static const int filters[] = {PNG_FILTER_NONE, PNG_FILTER_SUB, PNG_FILTER_UP, PNG_FILTER_AVG,
                                  PNG_FILTER_PAETH, PNG_ALL_FILTERS};
    static const int sizes[][2] = {{1, 1}, {1, 7}, {9, 1}, {13, 11}, {64, 33}, {301, 97}};
    static const int layouts[][2] = {{PNG_COLOR_TYPE_GRAY, 8}, {PNG_COLOR_TYPE_GRAY, 16},
                                     {PNG_COLOR_TYPE_RGB, 8}, {PNG_COLOR_TYPE_RGB, 16}};
    char what[160];

    /* 1. same pixels as libpng */
    for (size_t l = 0; l < 4; l++)
        for (size_t f = 0; f < 6; f++)
            for (size_t s = 0; s < 6; s++) {
                int many = (int)((l + f + s) % 2); /* small zlib buffer: many IDAT chunks */
                int dpi = s % 3 == 0 ? 0 : 600;
                buf b = encode(sizes[s][0], sizes[s][1], layouts[l][0], layouts[l][1], filters[f], 0,
                               many ? 64 : 0, dpi);
                snprintf(what, sizeof what, "type %d depth %d filter %#x %dx%d%s%s", layouts[l][0],
                         layouts[l][1], filters[f], sizes[s][0], sizes[s][1], many ? " many IDAT" : "",
                         dpi ? " pHYs" : "");
                same(what, b.d, b.n);
                free(b.d);
            }

    /* 2. left to libpng */
    {
        static const struct {
            int type, depth, interlace;
            const char *name;
        } other[] = {{PNG_COLOR_TYPE_PALETTE, 4, 0, "palette"},
                     {PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, "RGBA"},
                     {PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, "grey+alpha"},
                     {PNG_COLOR_TYPE_GRAY, 1, 0, "1-bit grey"},
                     {PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7, "interlaced RGB"}};
        for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
            buf b = encode(37, 21, other[i].type, other[i].depth, PNG_ALL_FILTERS, other[i].interlace, 0, 0);
            dx_png_image a, c;
            dx_error e = {0};
            check(dx_png_decode_direct(b.d, b.n, "x.png", &a, &e) == DX_ERR_UNSUPPORTED,
                  "%s: the direct path leaves it to libpng", other[i].name);
            dx_status s1 = dx_png_decode(b.d, b.n, "x.png", &a, &e);
            dx_status s2 = dx_png_decode_libpng(b.d, b.n, "x.png", &c, &e);
            check(s1 == DX_OK && s2 == DX_OK && a.view.format == c.view.format &&
                      memcmp(a.data, c.data, a.view.stride * a.view.height) == 0,
                  "%s: dx_png_decode gives libpng's pixels", other[i].name);
            if (s1 == DX_OK)
                dx_png_image_free(&a);
            if (s2 == DX_OK)
                dx_png_image_free(&c);
            free(b.d);
        }
    }

    /* 3. broken files */
    {
        buf good = encode(40, 30, PNG_COLOR_TYPE_RGB, 8, PNG_ALL_FILTERS, 0, 200, 300);
        same("the good file", good.d, good.n);
        for (size_t cut = 0; cut < good.n; cut += cut < 64 ? 1 : 37) {
            snprintf(what, sizeof what, "cut at %zu of %zu", cut, good.n);
            broken(what, good.d, cut, NULL);
        }
        uint8_t *bad = malloc(good.n);
        memcpy(bad, good.d, good.n);
        bad[good.n / 2] ^= 0x40;
        broken("a flipped bit", bad, good.n, "CRC");
        free(bad);
        free(good.d);

        uint8_t raw[15] = {0, 1, 2, 3, 4, 1, 1, 1, 1, 1, 2, 9, 9, 9, 9};
        buf b = handmade(raw, 15);
        same("hand-made 4x3", b.d, b.n);
        free(b.d);
        b = handmade(raw, 14);
        broken("one byte short", b.d, b.n, "fewer bytes");
        free(b.d);
        {
            uint8_t more[16];
            memcpy(more, raw, 15);
            more[15] = 0;
            b = handmade(more, 16);
            broken("one byte too many", b.d, b.n, "more bytes");
            free(b.d);
        }
        raw[5] = 7;
        b = handmade(raw, 15);
        broken("filter type 7", b.d, b.n, "filter type 7");
        free(b.d);
        raw[5] = 1;

        /* not a zlib stream, with a valid CRC */
        b = (buf){0};
        ihdr(&b, 4, 3, 8, 0);
        chunk(&b, "IDAT", "not zlib at all", 15);
        chunk(&b, "IEND", "", 0);
        broken("not zlib", b.d, b.n, "zlib");
        free(b.d);

        /* IDAT, tEXt, IDAT */
        {
            struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
            uint8_t z[128];
            size_t zn = libdeflate_zlib_compress(c, raw, 15, z, sizeof z);
            libdeflate_free_compressor(c);
            b = (buf){0};
            ihdr(&b, 4, 3, 8, 0);
            chunk(&b, "IDAT", z, zn / 2);
            chunk(&b, "tEXt", "k\0v", 3);
            chunk(&b, "IDAT", z + zn / 2, zn - zn / 2);
            chunk(&b, "IEND", "", 0);
            broken("IDATs apart", b.d, b.n, "not consecutive");
            free(b.d);
            /* the same split, consecutive: fine */
            b = (buf){0};
            ihdr(&b, 4, 3, 8, 0);
            chunk(&b, "IDAT", z, zn / 2);
            chunk(&b, "IDAT", z + zn / 2, zn - zn / 2);
            chunk(&b, "IEND", "", 0);
            same("two IDATs", b.d, b.n);
            free(b.d);
        }
        /* IHDR not first */
        {
            static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
            b = (buf){0};
            put(&b, sig, 8);
            chunk(&b, "tEXt", "k\0v", 3);
            broken("IHDR not first", b.d, b.n, "IHDR");
            free(b.d);
        }
        /* too large */
        b = (buf){0};
        ihdr(&b, 60000, 60000, 8, 2);
        zput(&b, raw, 15, "IDAT");
        chunk(&b, "IEND", "", 0);
        broken("60000 x 60000", b.d, b.n, "too large");
        free(b.d);
        /* 16000 x 16000 RGB (768 MB) from 15 bytes of data: refused before
         * the memory is asked for */
        b = (buf){0};
        ihdr(&b, 16000, 16000, 8, 2);
        zput(&b, raw, 15, "IDAT");
        chunk(&b, "IEND", "", 0);
        broken("16000 x 16000 from a few bytes", b.d, b.n, "cannot hold");
        free(b.d);
        broken("empty", (const uint8_t *)"", 0, "not a PNG");
        {
            /* a 4 x 2 grey IHDR, then a chunk claiming 1.2 GB (libpng would
             * allocate that much before finding out) */
            b = (buf){0};
            ihdr(&b, 4, 2, 8, 0);
            put(&b, "IENDtEXtk\0v\xcb\x04\xf3\x90", 14);
            chunk(&b, "IEND", "", 0);
            broken("a chunk of 1.2 GB in 56 bytes", b.d, b.n, "past the end");
            dx_png_image img;
            dx_error e = {0};
            check(dx_png_decode_libpng(b.d, b.n, "case.png", &img, &e) == DX_ERR_DATA &&
                      strstr(e.message, "past the end"),
                  "libpng path: the chunk lengths are checked first: %s", e.message);
            free(b.d);
        }
    }

    /* 4. dx_png_load: a FIFO named as a capture is refused without waiting
     * for a writer; a missing file is DX_ERR_IO */
    {
        char dir[] = "/tmp/docex-test-png-XXXXXX", path[64];
        if (mkdtemp(dir)) {
            dx_png_image img;
            dx_error e = {0};
            snprintf(path, sizeof path, "%s/white.png", dir);
            if (mkfifo(path, 0600) == 0) {
                dx_status st = dx_png_load(path, &img, &e);
                check(st == DX_ERR_DATA && strstr(e.message, "not a regular file"),
                      "a FIFO: status %d (%s)", (int)st, e.message);
                unlink(path);
            }
            dx_status st = dx_png_load(path, &img, &e);
            check(st == DX_ERR_IO && e.status == DX_ERR_IO && strstr(e.message, "white.png"),
                  "a missing file: status %d (%s)", (int)st, e.message);
            rmdir(dir);
        }
    }

    /* 5. the encoder */
    encoder_tests();

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
