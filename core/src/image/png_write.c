/* PNG encoding of the images docex writes itself (synthetic pages, evidence
 * crops): 8- or 16-bit grey or RGB, not interlaced, every row with filter
 * type 0 (None), one zlib stream made by libdeflate in one call.
 *
 * The file (PNG spec, 3rd ed. §5): signature, IHDR, pHYs (when the dpi is
 * known), the zlib stream cut into IDAT chunks of at most 1 MiB, IEND.
 *
 * The level, libdeflate's 4, is the lowest that is no larger than zlib
 * level 1 (what libpng wrote here before) on any page of `docex synth
 * --specimen UTO-P-2024 --seed 7` at 300 and 600 dpi.  CPU time on one core
 * of the rows' copy and compression, least of 9-15 runs, against libpng at
 * zlib level 1, unfiltered:
 *   600 dpi white  zlib 1 130 ms 3.968 MB   libdeflate 4 115 ms 3.936 MB
 *   300 dpi white  zlib 1  44 ms 1.444 MB   libdeflate 4  37 ms 1.441 MB
 *   600 dpi ir870  zlib 1  27 ms 0.277 MB   libdeflate 4  31 ms 0.207 MB
 *   600 dpi white, --noise 2 (a sensor's)
 *                  zlib 1 264 ms 8.46 MB    libdeflate 4 217 ms 7.82 MB
 * Level 1 is the fastest (86 ms at 600 dpi) but 3% larger (4.10 MB), 2 and
 * 3 are larger than zlib 1 on some page (2: 600 dpi white; 3: 300 dpi white
 * and oblique); 5 is smaller (3.86 MB) but 7% slower than 4 on these pages
 * and slower than zlib 1 on the noisy one (284 ms), 6 slower than zlib 1.
 * Only the 16-bit IR pages (compressed 45-60 times) are no faster: zlib 1
 * does not hash the bytes inside long matches, libdeflate does. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "image/image.h"

#define PNG_LEVEL 4
/* the largest chunk length, width and height PNG allows */
#define PNG_MAX_LEN 0x7fffffffu
/* IDAT chunks of at most this: readers do not mind the size; libpng cuts
 * the stream at the size of its buffer (8 KiB unless set), 12 bytes a cut */
#define IDAT_MAX ((size_t)1 << 20)

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A chunk whose n bytes of data are already at p + 8: length, type, CRC-32
 * of type and data (§5.3).  Returns the size of the whole chunk. */
static size_t chunk_close(uint8_t *p, const char *type, size_t n)
{
    put32(p, (uint32_t)n);
    memcpy(p + 4, type, 4);
    put32(p + 8 + n, (uint32_t)libdeflate_crc32(0, p + 4, n + 4));
    return n + 12;
}

/* The filtered rows (§7.3): filter byte 0, then the row; 16-bit samples
 * big-endian (§7.1). */
static void rows_put(const dx_image_view *v, size_t rb, bool wide, uint8_t *raw)
{
    const uint16_t probe = 1;
    bool swap = wide && *(const uint8_t *)&probe == 1;
    for (uint32_t y = 0; y < v->height; y++) {
        const uint8_t *s = (const uint8_t *)v->data + (size_t)y * v->stride;
        uint8_t *d = raw + (size_t)y * (rb + 1);
        *d++ = 0;
        if (!swap) {
            memcpy(d, s, rb);
            continue;
        }
        for (size_t i = 0; i < rb; i += 2) {
            d[i] = s[i + 1];
            d[i + 1] = s[i];
        }
    }
}

static dx_status encode(const dx_image_view *v, double dpi, size_t idat_max, int level, uint8_t **png,
                        size_t *len, dx_error *err)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const size_t bpp_of[4] = {1, 2, 3, 6};
    uint8_t *raw = NULL, *out = NULL;
    struct libdeflate_compressor *c = NULL;
    dx_status st;

    if (png)
        *png = NULL;
    if (len)
        *len = 0;
    if (!v || !v->data || !png || !len)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PNG: no image or no output");
    if ((unsigned)v->format > DX_PIX_RGB16)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PNG: unknown pixel format %d",
                            (int)v->format);
    if (!v->width || !v->height || v->width > PNG_MAX_LEN || v->height > PNG_MAX_LEN)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PNG: %u x %u pixels (1 to 2^31-1 each)",
                            v->width, v->height);
    if (!idat_max || idat_max > PNG_MAX_LEN)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PNG: IDAT chunks of %zu bytes", idat_max);
    double ppm = dpi > 0 ? round(dpi / 0.0254) : 0; /* NaN: no pHYs */
    if (ppm > PNG_MAX_LEN)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PNG: %g dpi is too high", dpi);

    size_t bpp = bpp_of[v->format];
    bool wide = v->format == DX_PIX_GRAY16 || v->format == DX_PIX_RGB16;
    /* rb: bytes of a row; raw_size: the filtered rows */
    if (v->width > (SIZE_MAX - 1) / bpp)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PNG: %u pixels wide is too large", v->width);
    size_t rb = (size_t)v->width * bpp;
    if (v->stride < rb)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PNG: stride %zu < row of %zu bytes",
                            v->stride, rb);
    if (v->height > SIZE_MAX / (rb + 1) || (size_t)(v->height - 1) > (SIZE_MAX - rb) / v->stride)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PNG: %u x %u pixels is too large", v->width,
                            v->height);
    size_t raw_size = (size_t)v->height * (rb + 1);

    if (!(raw = malloc(raw_size)) || !(c = libdeflate_alloc_compressor(level))) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "PNG: out of memory");
        goto fail;
    }
    rows_put(v, rb, wide, raw);

    /* the output: headers, then the zlib stream compressed in place of the
     * IDAT chunks, spread into chunks after; the bound allows for the most
     * chunks the stream can need */
    size_t head = 8 + 25 + (ppm > 0 ? 21 : 0);
    size_t bound = libdeflate_zlib_compress_bound(c, raw_size);
    size_t max_chunks = bound / idat_max + 1;
    if (bound > SIZE_MAX - head - 12 || max_chunks > (SIZE_MAX - head - 12 - bound) / 12) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "PNG: %u x %u pixels is too large", v->width,
                          v->height);
        goto fail;
    }
    size_t cap = head + bound + 12 * max_chunks + 12;
    if (!(out = malloc(cap))) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "PNG: out of memory");
        goto fail;
    }

    size_t pos = 0;
    memcpy(out, sig, 8);
    pos += 8;
    /* IHDR: bit depth, colour type 0 (grey) or 2 (RGB), compression 0,
     * filter method 0, no interlace */
    put32(out + pos + 8, v->width);
    put32(out + pos + 12, v->height);
    out[pos + 16] = wide ? 16 : 8;
    out[pos + 17] = v->format == DX_PIX_RGB8 || v->format == DX_PIX_RGB16 ? 2 : 0;
    out[pos + 18] = out[pos + 19] = out[pos + 20] = 0;
    pos += chunk_close(out + pos, "IHDR", 13);
    if (ppm > 0) { /* pHYs: pixels per metre on x and y, unit 1 (metre) */
        put32(out + pos + 8, (uint32_t)ppm);
        put32(out + pos + 12, (uint32_t)ppm);
        out[pos + 16] = 1;
        pos += chunk_close(out + pos, "pHYs", 9);
    }
    /* IDAT: the stream lands at the first chunk's data; chunk k's data then
     * moves 12 k bytes up to make room for the chunk headers and CRCs, the
     * last chunk first (each header and CRC, written once its chunk has
     * moved, falls on bytes already moved away or free) */
    size_t z = libdeflate_zlib_compress(c, raw, raw_size, out + pos + 8, bound);
    free(raw);
    raw = NULL;
    if (!z) { /* cannot happen with the bound's room */
        st = dx_error_set(err, DX_ERR_INTERNAL, "PNG: compression failed");
        goto fail;
    }
    size_t n_chunks = (z + idat_max - 1) / idat_max;
    for (size_t k = n_chunks; k-- > 0;) {
        size_t n = k + 1 < n_chunks ? idat_max : z - k * idat_max;
        uint8_t *at = out + pos + k * (idat_max + 12);
        if (k)
            memmove(at + 8, out + pos + 8 + k * idat_max, n);
        chunk_close(at, "IDAT", n);
    }
    pos += z + 12 * n_chunks;
    pos += chunk_close(out + pos, "IEND", 0);

    libdeflate_free_compressor(c);
    uint8_t *fit = realloc(out, pos); /* give back the bound's slack */
    *png = fit ? fit : out;
    *len = pos;
    return DX_OK;

fail:
    libdeflate_free_compressor(c);
    free(raw);
    free(out);
    return st;
}

dx_status dx_png_encode_split(const dx_image_view *v, double dpi, size_t idat_max, uint8_t **png,
                              size_t *len, dx_error *err)
{
    return encode(v, dpi, idat_max, PNG_LEVEL, png, len, err);
}

dx_status dx_png_encode(const dx_image_view *v, double dpi, uint8_t **png, size_t *len,
                        dx_error *err)
{
    return encode(v, dpi, IDAT_MAX, PNG_LEVEL, png, len, err);
}

/* Evidence crops of an inspection: the six-light bench case's 27 crops, 5.8 MB
 * of rows, take 30 ms at level 1 against 48 ms at 4 (one core), for 1.48
 * against 1.38 MB. */
dx_status dx_png_encode_fast(const dx_image_view *v, double dpi, uint8_t **png, size_t *len,
                             dx_error *err)
{
    return encode(v, dpi, IDAT_MAX, 1, png, len, err);
}
