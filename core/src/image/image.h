/* Grey images for the image operations of libdocex (internal). */
#ifndef DOCEX_IMAGE_IMAGE_H
#define DOCEX_IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"
#include "docex/mrz_read.h"

/* An 8-bit grey image, rows packed (stride = w); `own` is what to free (NULL
 * when px points into the caller's image). */
typedef struct dx_gray {
    int w, h;
    const uint8_t *px;
    uint8_t *own;
} dx_gray;

/* Convert any dx_image_view to 8-bit grey (RGB: luma 0.299/0.587/0.114). */
dx_status dx_gray_from_view(const dx_image_view *v, dx_gray *out, dx_error *err);

/* Box-average downscale by an integer factor f >= 1 (f = 1 copies). */
dx_status dx_gray_downscale(const dx_gray *src, int f, dx_gray *out, dx_error *err);

/* Box-average downscale of the region x0..x0+w, y0..y0+h (clipped) by f. */
dx_status dx_gray_crop_downscale(const dx_gray *src, int x0, int y0, int w, int h, int f,
                                 dx_gray *out, dx_error *err);

void dx_gray_free(dx_gray *g);

/* Bilinear sample at (x, y) (pixel centres at integer + 0.5), clamped to the
 * edge. */
static inline float dx_gray_sample(const dx_gray *g, double x, double y)
{
    x -= 0.5;
    y -= 0.5;
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x > g->w - 1) x = g->w - 1;
    if (y > g->h - 1) y = g->h - 1;
    int ix = (int)x, iy = (int)y;
    int ix1 = ix + 1 < g->w ? ix + 1 : ix, iy1 = iy + 1 < g->h ? iy + 1 : iy;
    float fx = (float)(x - ix), fy = (float)(y - iy);
    const uint8_t *r0 = g->px + (size_t)iy * g->w, *r1 = g->px + (size_t)iy1 * g->w;
    float a = r0[ix] + (r0[ix1] - r0[ix]) * fx;
    float b = r1[ix] + (r1[ix1] - r1[ix]) * fx;
    return a + (b - a) * fy;
}

/* A PNG file decoded for reading: 8-bit grey, 16-bit grey (host order), RGB8
 * or RGB16 (alpha dropped, palette expanded).  *dpi is 0 without pHYs.
 * DX_ERR_IO when the file cannot be opened or read, DX_ERR_DATA when it is not
 * a regular file or not a valid PNG (or too large: more than 2^28 pixels). */
typedef struct dx_png_image {
    dx_image_view view;
    void *data;
    double dpi;
    size_t mapped;          /* data's bytes when dx_pixels_alloc mapped them, else 0 */
} dx_png_image;

/* Buffers of pixels (decoded captures, resampled pages): from 4 MiB up
 * mapped with all their pages made in one call (MAP_POPULATE) instead of a
 * fault on each page as it is first written, about 8 % of a six-light
 * inspection; smaller ones, and every one in sanitizer and fuzzing builds
 * (which watch malloc's memory), from malloc.  *mapped: n when mapped, else
 * 0; dx_pixels_free needs it back. */
void *dx_pixels_alloc(size_t n, size_t *mapped);
void dx_pixels_free(void *p, size_t mapped);

dx_status dx_png_load(const char *path, dx_png_image *out, dx_error *err);
/* The same from a PNG file's bytes (`name` for messages). */
dx_status dx_png_decode(const uint8_t *buf, size_t len, const char *name, dx_png_image *out,
                        dx_error *err);
/* The two decoders behind it: png_direct.c (8/16-bit grey or RGB, not
 * interlaced, libdeflate; DX_ERR_UNSUPPORTED for any other layout) and
 * libpng (every layout).  Both give the same pixels for what both decode. */
dx_status dx_png_decode_direct(const uint8_t *buf, size_t len, const char *name, dx_png_image *out,
                               dx_error *err);
dx_status dx_png_decode_libpng(const uint8_t *buf, size_t len, const char *name, dx_png_image *out,
                               dx_error *err);
void dx_png_image_free(dx_png_image *img);

/* PNG bytes of an image (png_write.c): 8/16-bit grey or RGB as the view's
 * format (16-bit samples in host order, written big-endian), not
 * interlaced, every row unfiltered, one zlib stream (libdeflate) in IDAT
 * chunks of at most 1 MiB; pHYs of lround(dpi / 0.0254) pixels per metre,
 * none when dpi <= 0 or NaN.  *png (caller frees) and *len are set on
 * DX_OK, NULL and 0 otherwise.  DX_ERR_INVALID_ARG: no view, data or
 * output, an unknown format, a width or height of 0 or over 2^31-1, a
 * stride shorter than a row, an image whose size does not fit in memory's
 * address range, a dpi over 2^31-1 pixels per metre; DX_ERR_NO_MEMORY.
 * Any thread. */
dx_status dx_png_encode(const dx_image_view *v, double dpi, uint8_t **png, size_t *len,
                        dx_error *err);
/* The same at libdeflate's level 1: about 40 % less time, 7 % larger
 * (the inspection's evidence crops). */
dx_status dx_png_encode_fast(const dx_image_view *v, double dpi, uint8_t **png, size_t *len,
                             dx_error *err);
/* The same with IDAT chunks of at most idat_max bytes (1 .. 2^31-1; the
 * tests cut the stream small). */
dx_status dx_png_encode_split(const dx_image_view *v, double dpi, size_t idat_max, uint8_t **png,
                              size_t *len, dx_error *err);

#endif
