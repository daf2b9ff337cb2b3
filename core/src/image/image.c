/* Grey conversion, downscaling and PNG loading (see image.h). */
#include "host/host_internal.h"
#include "image/image.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void dx_gray_free(dx_gray *g)
{
    if (g) {
        free(g->own);
        g->own = NULL;
        g->px = NULL;
        g->w = g->h = 0;
    }
}

dx_status dx_gray_from_view(const dx_image_view *v, dx_gray *out, dx_error *err)
{
    memset(out, 0, sizeof *out);
    static const size_t bpp[4] = {1, 2, 3, 6};
    if (!v || !v->data || v->width == 0 || v->height == 0 || (unsigned)v->format > DX_PIX_RGB16)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "image: no data, no size or unknown format");
    if (v->width > 65536 || v->height > 65536 ||
        (uint64_t)v->width * v->height > (1ull << 28))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "image: %ux%u is too large", v->width,
                            v->height);
    if (v->stride < v->width * bpp[v->format])
        return dx_error_set(err, DX_ERR_INVALID_ARG, "image: stride %zu < row of %u pixels",
                            v->stride, v->width);
    out->w = (int)v->width;
    out->h = (int)v->height;
    if (v->format == DX_PIX_GRAY8 && v->stride == v->width) {
        out->px = v->data; /* no copy */
        return DX_OK;
    }
    out->px = out->own = malloc((size_t)out->w * out->h);
    if (!out->own)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "image: out of memory");
    for (int y = 0; y < out->h; y++) {
        const uint8_t *row = (const uint8_t *)v->data + (size_t)y * v->stride;
        uint8_t *o = out->own + (size_t)y * out->w;
        switch (v->format) {
        case DX_PIX_GRAY8:
            memcpy(o, row, (size_t)out->w);
            break;
        case DX_PIX_GRAY16:
            for (int x = 0; x < out->w; x++) {
                uint16_t s;
                memcpy(&s, row + 2 * (size_t)x, 2);
                o[x] = (uint8_t)(s >> 8);
            }
            break;
        case DX_PIX_RGB8:
            for (int x = 0; x < out->w; x++) {
                const uint8_t *p = row + 3 * (size_t)x;
                o[x] = (uint8_t)((77u * p[0] + 150u * p[1] + 29u * p[2] + 128u) >> 8);
            }
            break;
        case DX_PIX_RGB16:
            for (int x = 0; x < out->w; x++) {
                uint16_t s[3];
                memcpy(s, row + 6 * (size_t)x, 6);
                o[x] = (uint8_t)((77u * (s[0] >> 8) + 150u * (s[1] >> 8) + 29u * (s[2] >> 8) +
                                  128u) >> 8);
            }
            break;
        }
    }
    return DX_OK;
}

dx_status dx_gray_crop_downscale(const dx_gray *src, int x0, int y0, int w, int h, int f,
                                 dx_gray *out, dx_error *err)
{
    memset(out, 0, sizeof *out);
    if (f < 1)
        f = 1;
    if (x0 < 0) {
        w += x0;
        x0 = 0;
    }
    if (y0 < 0) {
        h += y0;
        y0 = 0;
    }
    if (x0 + w > src->w)
        w = src->w - x0;
    if (y0 + h > src->h)
        h = src->h - y0;
    if (w < f || h < f)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "image: empty region");
    out->w = w / f;
    out->h = h / f;
    out->px = out->own = malloc((size_t)out->w * out->h);
    uint32_t *acc = calloc((size_t)out->w, sizeof *acc);
    if (!out->own || !acc) {
        free(acc);
        dx_gray_free(out);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "image: out of memory");
    }
    /* 1/(f*f) as a 16-bit fixed-point factor: (sum * inv) >> 16 */
    uint32_t inv = (65536u + (uint32_t)(f * f) / 2) / (uint32_t)(f * f);
    for (int y = 0; y < out->h; y++) {
        uint32_t *restrict A = acc;
        memset(A, 0, sizeof *A * (size_t)out->w);
        for (int k = 0; k < f; k++) {
            const uint8_t *restrict p = src->px + (size_t)(y0 + y * f + k) * src->w + x0;
            int ow = out->w;
            switch (f) {
            case 1:
                for (int x = 0; x < ow; x++)
                    A[x] += p[x];
                break;
            case 2:
                for (int x = 0; x < ow; x++, p += 2)
                    A[x] += (uint32_t)p[0] + p[1];
                break;
            case 3:
                for (int x = 0; x < ow; x++, p += 3)
                    A[x] += (uint32_t)p[0] + p[1] + p[2];
                break;
            case 4:
                for (int x = 0; x < ow; x++, p += 4)
                    A[x] += (uint32_t)p[0] + p[1] + p[2] + p[3];
                break;
            default:
                for (int x = 0; x < ow; x++, p += f) {
                    uint32_t t = 0;
                    for (int j = 0; j < f; j++)
                        t += p[j];
                    A[x] += t;
                }
            }
        }
        uint8_t *o = out->own + (size_t)y * out->w;
        for (int x = 0; x < out->w; x++) {
            uint32_t v = (A[x] * inv + 32768u) >> 16;
            o[x] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
    free(acc);
    return DX_OK;
}

dx_status dx_gray_downscale(const dx_gray *src, int f, dx_gray *out, dx_error *err)
{
    if (f < 1)
        f = 1;
    if (src->w < f || src->h < f)
        f = 1;
    return dx_gray_crop_downscale(src, 0, 0, src->w, src->h, f, out, err);
}

/* ---- PNG ---------------------------------------------------------------- */

typedef struct png_err_ctx {
    jmp_buf jmp;
    char msg[200];
} png_err_ctx;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_err_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    longjmp(c->jmp, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

#if defined(__SANITIZE_ADDRESS__) || defined(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
#define PIXELS_MAP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define PIXELS_MAP 0
#endif
#endif
#ifndef PIXELS_MAP
#define PIXELS_MAP 1
#endif

void *dx_pixels_alloc(size_t n, size_t *mapped)
{
    *mapped = 0;
    if (PIXELS_MAP && n >= ((size_t)4 << 20)) {
        void *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (m != MAP_FAILED) {
            *mapped = n;
            return m;
        }
    }
    return malloc(n);
}

void dx_pixels_free(void *p, size_t mapped)
{
    if (mapped)
        munmap(p, mapped);
    else
        free(p);
}

void dx_png_image_free(dx_png_image *img)
{
    if (img) {
        dx_pixels_free(img->data, img->mapped);
        memset(img, 0, sizeof *img);
    }
}

/* libpng reading from memory */
typedef struct png_mem {
    const uint8_t *d;
    size_t len, pos;
} png_mem;

static void png_mem_read(png_structp png, png_bytep out, size_t n)
{
    png_mem *m = png_get_io_ptr(png);
    if (n > m->len - m->pos)
        png_error(png, "truncated file");
    memcpy(out, m->d + m->pos, n);
    m->pos += n;
}

/* Every chunk's length stays inside the file, up to IEND: libpng allocates
 * a chunk's buffer from its declared length before reading it (a 56-byte
 * file asked for 1.2 GB). */
static dx_status png_chunks_fit(const uint8_t *d, size_t len, const char *path, dx_error *err)
{
    size_t pos = 8;
    while (len - pos >= 12) {
        uint32_t n = (uint32_t)d[pos] << 24 | (uint32_t)d[pos + 1] << 16 | (uint32_t)d[pos + 2] << 8 |
                     d[pos + 3];
        if (n > len - pos - 12) {
            char type[5] = "????";
            for (int k = 0; k < 4; k++)
                if ((d[pos + 4 + k] >= 'A' && d[pos + 4 + k] <= 'Z') || (d[pos + 4 + k] >= 'a' && d[pos + 4 + k] <= 'z'))
                    type[k] = (char)d[pos + 4 + k];
            return dx_error_set(err, DX_ERR_DATA,
                                "%s: malformed PNG (chunk %s at byte %zu: %u bytes, past the end)",
                                path, type, pos, n);
        }
        if (memcmp(d + pos + 4, "IEND", 4) == 0)
            return DX_OK;
        pos += (size_t)n + 12;
    }
    return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (truncated at byte %zu, no IEND)", path,
                        pos);
}

dx_status dx_png_decode_libpng(const uint8_t *buf, size_t len, const char *path, dx_png_image *out,
                               dx_error *err)
{
    dx_status st;
    memset(out, 0, sizeof *out);
    if (len < 8 || png_sig_cmp(buf, 0, 8))
        return dx_error_set(err, DX_ERR_DATA, "%s: not a PNG file", path);
    if ((st = png_chunks_fit(buf, len, path, err)) != DX_OK)
        return st;
    png_mem mem = {buf, len, 8};
    png_err_ctx ctx;
    ctx.msg[0] = '\0';
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_on_error,
                                             png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    /* volatile: changed between setjmp and longjmp */
    void *volatile data = NULL;
    png_bytep *volatile rows = NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, &info, NULL);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    if (setjmp(ctx.jmp)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(data);
        free(rows);
        return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (%s)", path, ctx.msg);
    }
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* as png_direct.c: no checksums in fuzzing builds */
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    png_set_user_limits(png, 65536, 65536);
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_read_fn(png, &mem, png_mem_read);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), ct = png_get_color_type(png, info);
    if ((uint64_t)w * h > (1ull << 28))
        png_error(png, "image too large");
    if (ct == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (ct == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    if (depth == 16) {
        const uint16_t one = 1;
        if (*(const uint8_t *)&one == 1)
            png_set_swap(png);
    }
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    int odepth = png_get_bit_depth(png, info);
    size_t rb = png_get_rowbytes(png, info);
    if ((channels != 1 && channels != 3) || (odepth != 8 && odepth != 16))
        png_error(png, "unsupported pixel layout");
    data = malloc(rb * h);
    rows = malloc(sizeof(png_bytep) * h);
    if (!data || !rows)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = (png_bytep)data + (size_t)y * rb;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_uint_32 rx = 0, ry = 0;
    int unit = 0;
    if (png_get_pHYs(png, info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER && rx > 0)
        out->dpi = rx * 0.0254;
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    out->data = data;
    out->view.data = data;
    out->view.width = w;
    out->view.height = h;
    out->view.stride = rb;
    out->view.format = channels == 1 ? (odepth == 16 ? DX_PIX_GRAY16 : DX_PIX_GRAY8)
                                     : (odepth == 16 ? DX_PIX_RGB16 : DX_PIX_RGB8);
    return DX_OK;
}

/* The largest PNG file read (a 1200 dpi 16-bit RGB page compresses to well
 * under this). */
#define PNG_MAX_FILE ((size_t)1 << 30)

dx_status dx_png_decode(const uint8_t *buf, size_t len, const char *name, dx_png_image *out,
                        dx_error *err)
{
    dx_status st = dx_png_decode_direct(buf, len, name, out, err);
    if (st == DX_ERR_UNSUPPORTED)
        st = dx_png_decode_libpng(buf, len, name, out, err);
    return st;
}

dx_status dx_png_load(const char *path, dx_png_image *out, dx_error *err)
{
    uint8_t *buf;
    size_t len;
    dx_status st;
    memset(out, 0, sizeof *out);
    /* a regular file only: a FIFO named by outside input must not hang the
     * reader */
    if ((st = dx_file_read(path, PNG_MAX_FILE, &buf, &len, err)) != DX_OK) {
        /* a missing file is an I/O error here (DX_ERR_NOT_FOUND says "no
         * MRZ found" to dx_mrz_read_file's callers) */
        if (st == DX_ERR_NOT_FOUND) {
            st = DX_ERR_IO;
            if (err)
                err->status = st;
        }
        return st;
    }
    st = dx_png_decode(buf, len, path, out, err);
    free(buf);
    return st;
}
