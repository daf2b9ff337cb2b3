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
 * 4. dx_png_load: a FIFO is refused at once, a missing file is DX_ERR_IO. */
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdeflate.h>

#include "image/image.h"

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

    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
