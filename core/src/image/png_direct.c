/* PNG decoding for the layouts captures have (8- or 16-bit grey or RGB, not
 * interlaced), with libdeflate for the image data: about three times the
 * speed of zlib's inflate on 600 dpi captures (tests/bench/inspect).  Any
 * other layout is left to libpng (DX_ERR_UNSUPPORTED), which also decodes
 * these when this path is switched off.
 *
 * The container (PNG spec, 3rd ed. §5) is read strictly: every chunk's
 * length stays inside the buffer and its CRC-32 is checked, IHDR comes
 * first, the IDAT chunks are consecutive, IEND ends the image; the zlib
 * stream's Adler-32 is checked by libdeflate and must inflate to exactly the
 * filtered size.  A file that breaks any of this is DX_ERR_DATA with what and
 * where. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "image/image.h"
#include "image/simd.h"

/* Fuzzing builds (tests/fuzz, DOCEX_FUZZ=ON) skip the CRC-32 and Adler-32
 * checks, as libpng does there, so that mutated files reach the inflate and
 * the filters instead of stopping at a checksum. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define FUZZ_NO_CHECKSUMS 1
#else
#define FUZZ_NO_CHECKSUMS 0
#endif

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline int paeth(int a, int b, int c)
{
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undo the filter of one row in place: `row` rb bytes (a multiple of BPP),
 * `prev` the row above already unfiltered (NULL for the first row).  One
 * function per pixel size, the left and upper-left pixels carried in
 * registers: the byte-by-byte form waits on each store it reads back. */
#define UNFILTER(BPP)                                                                           \
    static bool unfilter_##BPP(uint8_t type, uint8_t *row, const uint8_t *prev, size_t rb)    \
    {                                                                                           \
        uint8_t a[BPP], c[BPP];                                                                 \
        size_t i;                                                                               \
        int k;                                                                                  \
        if (!prev && (type == 2 || type == 4))                                                  \
            type = type == 2 ? 0 : 1; /* no row above: Up is None, Paeth is Sub */             \
        switch (type) {                                                                         \
        case 0:                                                                                 \
            return true;                                                                        \
        case 1: /* Sub */                                                                       \
            for (k = 0; k < BPP; k++)                                                           \
                a[k] = row[k];                                                                  \
            for (i = BPP; i < rb; i += BPP)                                                     \
                for (k = 0; k < BPP; k++)                                                       \
                    row[i + k] = a[k] = (uint8_t)(row[i + k] + a[k]);                           \
            return true;                                                                        \
        case 2: /* Up */                                                                        \
            for (i = 0; i < rb; i++)                                                            \
                row[i] = (uint8_t)(row[i] + prev[i]);                                           \
            return true;                                                                        \
        case 3: /* Average */                                                                   \
            for (k = 0; k < BPP; k++)                                                           \
                a[k] = row[k] = (uint8_t)(row[k] + (prev ? prev[k] >> 1 : 0));                  \
            for (i = BPP; i < rb; i += BPP)                                                     \
                for (k = 0; k < BPP; k++)                                                       \
                    row[i + k] = a[k] =                                                         \
                        (uint8_t)(row[i + k] + ((a[k] + (prev ? prev[i + k] : 0)) >> 1));      \
            return true;                                                                        \
        case 4: /* Paeth */                                                                     \
            for (k = 0; k < BPP; k++) {                                                         \
                a[k] = row[k] = (uint8_t)(row[k] + prev[k]);                                    \
                c[k] = prev[k];                                                                 \
            }                                                                                   \
            for (i = BPP; i < rb; i += BPP)                                                     \
                for (k = 0; k < BPP; k++) {                                                     \
                    int up = prev[i + k];                                                       \
                    row[i + k] = a[k] = (uint8_t)(row[i + k] + paeth(a[k], up, c[k]));          \
                    c[k] = (uint8_t)up;                                                         \
                }                                                                               \
            return true;                                                                        \
        default:                                                                                \
            return false;                                                                       \
        }                                                                                       \
    }
UNFILTER(1)
UNFILTER(2)
UNFILTER(3)
UNFILTER(6)
#undef UNFILTER

static bool unfilter(uint8_t type, uint8_t *row, const uint8_t *prev, size_t rb, size_t bpp)
{
    switch (bpp) {
    case 1: return unfilter_1(type, row, prev, rb);
    case 2: return unfilter_2(type, row, prev, rb);
    case 3: return unfilter_3(type, row, prev, rb);
    default: return unfilter_6(type, row, prev, rb);
    }
}

/* Swap the bytes of each 16-bit sample of n bytes: sixteen samples at a
 * time (a 600 dpi 16-bit IR capture is 12 MB). */
DX_SIMD static void swap16(uint8_t *p, size_t n)
{
    typedef uint16_t v16 __attribute__((vector_size(32), aligned(1), may_alias));
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        v16 v;
        memcpy(&v, p + i, 32);
        v = (v16)((v << 8) | (v >> 8));
        memcpy(p + i, &v, 32);
    }
    for (; i + 1 < n; i += 2) {
        uint8_t b = p[i];
        p[i] = p[i + 1];
        p[i + 1] = b;
    }
}

dx_status dx_png_decode_direct(const uint8_t *d, size_t len, const char *name, dx_png_image *out,
                               dx_error *err)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint32_t w = 0, h = 0;
    unsigned depth = 0, type = 0;
    size_t pos = 8, n_idat = 0, idat_bytes = 0, first_idat = 0;
    bool have_ihdr = false, idat_done = false, have_iend = false, have_phys = false;
    double dpi = 0;
    memset(out, 0, sizeof *out);
    if (len < 8 || memcmp(d, sig, 8) != 0)
        return dx_error_set(err, DX_ERR_DATA, "%s: not a PNG file", name);
    while (!have_iend) {
        if (len - pos < 12)
            return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (truncated at byte %zu, no IEND)",
                                name, pos);
        uint32_t n = be32(d + pos);
        const uint8_t *t = d + pos + 4, *body = d + pos + 8;
        for (int k = 0; k < 4; k++)
            if (!((t[k] >= 'A' && t[k] <= 'Z') || (t[k] >= 'a' && t[k] <= 'z')))
                return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (bad chunk type at byte %zu)",
                                    name, pos);
        if (n > 0x7fffffffu || n > len - pos - 12)
            return dx_error_set(err, DX_ERR_DATA,
                                "%s: malformed PNG (chunk %.4s at byte %zu: %u bytes, past the end)",
                                name, (const char *)t, pos, n);
        uint32_t crc = (uint32_t)libdeflate_crc32(0, t, (size_t)n + 4);
        if (crc != be32(body + n) && !FUZZ_NO_CHECKSUMS)
            return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (chunk %.4s at byte %zu: CRC error)",
                                name, (const char *)t, pos);
        if (!have_ihdr) {
            if (memcmp(t, "IHDR", 4) != 0 || n != 13)
                return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (IHDR is not the first chunk)",
                                    name);
            w = be32(body);
            h = be32(body + 4);
            depth = body[8];
            type = body[9];
            if (!w || !h || w > 65536 || h > 65536 || (uint64_t)w * h > (1ull << 28))
                return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (%u x %u pixels: %s)", name, w,
                                    h, !w || !h ? "empty" : "image too large");
            /* the layouts decoded here; libpng takes the rest */
            if ((depth != 8 && depth != 16) || (type != 0 && type != 2) || body[10] != 0 ||
                body[11] != 0 || body[12] != 0)
                return DX_ERR_UNSUPPORTED;
            have_ihdr = true;
        } else if (memcmp(t, "IDAT", 4) == 0) {
            if (idat_done)
                return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (IDAT chunks not consecutive)",
                                    name);
            if (!n_idat)
                first_idat = pos;
            n_idat++;
            idat_bytes += n;
        } else {
            if (n_idat)
                idat_done = true;
            if (memcmp(t, "IEND", 4) == 0) {
                have_iend = true;
            } else if (memcmp(t, "pHYs", 4) == 0 && n == 9 && !n_idat && !have_phys) {
                /* as libpng: the first one before the image data counts */
                uint32_t px = be32(body);
                have_phys = true;
                if (body[8] == 1 && px > 0)
                    dpi = px * 0.0254;
            } else if (t[0] >= 'A' && t[0] <= 'Z') {
                return DX_ERR_UNSUPPORTED; /* PLTE or an unknown critical chunk */
            }
        }
        pos += (size_t)n + 12;
    }
    if (!n_idat)
        return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (no image data)", name);

    size_t ch = type == 2 ? 3 : 1, bytes = depth / 8, bpp = ch * bytes;
    size_t rb = (size_t)w * bpp, raw_size = (size_t)h * (rb + 1);
    /* deflate expands at most 1032 to 1: a file too small for its size is
     * refused before the image's memory is asked for */
    if (raw_size / 1032 > idat_bytes + 16)
        return dx_error_set(err, DX_ERR_DATA,
                            "%s: malformed PNG (%zu bytes of image data cannot hold %u x %u pixels)",
                            name, idat_bytes, w, h);
    /* the zlib stream: one chunk in place, several joined */
    const uint8_t *z = d + first_idat + 8;
    uint8_t *joined = NULL;
    if (n_idat > 1) {
        size_t p = first_idat, k = 0;
        if (!(joined = malloc(idat_bytes)))
            return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", name);
        for (size_t i = 0; i < n_idat; i++) {
            uint32_t n = be32(d + p);
            memcpy(joined + k, d + p + 8, n);
            k += n;
            p += (size_t)n + 12;
        }
        z = joined;
    }
    size_t mapped;
    uint8_t *px = dx_pixels_alloc(raw_size, &mapped);
    struct libdeflate_decompressor *dec = libdeflate_alloc_decompressor();
    size_t got = 0;
    enum libdeflate_result r = LIBDEFLATE_BAD_DATA;
    if (px && dec && !FUZZ_NO_CHECKSUMS)
        r = libdeflate_zlib_decompress(dec, z, idat_bytes, px, raw_size, &got);
    else if (px && dec && idat_bytes >= 6 && (z[0] & 0x0f) == 8 && (z[0] << 8 | z[1]) % 31 == 0)
        r = libdeflate_deflate_decompress(dec, z + 2, idat_bytes - 6, px, raw_size, &got);
    libdeflate_free_decompressor(dec);
    free(joined);
    if (!px || !dec) {
        dx_pixels_free(px, mapped);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", name);
    }
    if (r == LIBDEFLATE_SUCCESS && got != raw_size)
        r = LIBDEFLATE_SHORT_OUTPUT;
    if (r != LIBDEFLATE_SUCCESS) {
        dx_pixels_free(px, mapped);
        return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (image data: %s)", name,
                            r == LIBDEFLATE_SHORT_OUTPUT ? "fewer bytes than the image needs"
                            : r == LIBDEFLATE_INSUFFICIENT_SPACE ? "more bytes than the image has"
                                                                 : "not a valid zlib stream");
    }
    /* unfilter row by row, moving each row down over its filter byte: the
     * rows end up packed, rb bytes apart */
    for (uint32_t y = 0; y < h; y++) {
        uint8_t f = px[(size_t)y * (rb + 1)];
        uint8_t *row = px + (size_t)y * rb;
        memmove(row, px + (size_t)y * (rb + 1) + 1, rb);
        if (!unfilter(f, row, y ? row - rb : NULL, rb, bpp)) {
            dx_pixels_free(px, mapped);
            return dx_error_set(err, DX_ERR_DATA, "%s: malformed PNG (row %u: filter type %u)", name, y,
                                f);
        }
    }
    if (bytes == 2) { /* big-endian samples to host order */
        const uint16_t one = 1;
        if (*(const uint8_t *)&one == 1)
            swap16(px, (size_t)h * rb);
    }
    out->data = px;
    out->mapped = mapped;
    out->view.data = px;
    out->view.width = w;
    out->view.height = h;
    out->view.stride = rb;
    out->view.format = ch == 1 ? (bytes == 2 ? DX_PIX_GRAY16 : DX_PIX_GRAY8)
                               : (bytes == 2 ? DX_PIX_RGB16 : DX_PIX_RGB8);
    out->dpi = dpi;
    return DX_OK;
}
