/* Fuzz target: the PNG decoders of image/image.h — png_direct.c (the
 * container, libdeflate, the unfiltering) and the libpng path behind it.
 * Captures, reference images and evidence crops are PNG files that may come
 * from outside (docex inspect --from).
 *
 * Input: one PNG file.  Promises checked:
 *   - each decoder returns DX_OK or DX_ERR_DATA with a message naming the
 *     file (the direct one may also say DX_ERR_UNSUPPORTED: a layout it
 *     leaves to libpng, with no message needed), never reads outside the
 *     input (ASan) and never hangs;
 *   - an image it gives has 1..65536 pixels a side, at most 2^28 in all, one
 *     of the four formats and a stride of width x bytes per pixel;
 *   - when both decode the file, they give the same size, format, dpi and
 *     pixels (differential: libpng is the reference). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "image/image.h"

static void sane(const char *who, dx_status st, const dx_png_image *img, const dx_error *e)
{
    static const size_t bpp[4] = {1, 2, 3, 6};
    FUZZ_ASSERT(st == DX_OK || st == DX_ERR_DATA || st == DX_ERR_NO_MEMORY ||
                    (st == DX_ERR_UNSUPPORTED && strcmp(who, "direct") == 0),
                "%s: status %d", who, (int)st);
    if (st == DX_ERR_DATA)
        FUZZ_ASSERT(strstr(e->message, "fuzz.png") != NULL, "%s: message without the file's name: %s", who,
                    e->message);
    if (st != DX_OK)
        return;
    FUZZ_ASSERT(img->view.width >= 1 && img->view.width <= 65536 && img->view.height >= 1 &&
                    img->view.height <= 65536 &&
                    (unsigned long long)img->view.width * img->view.height <= (1ull << 28),
                "%s: %u x %u", who, img->view.width, img->view.height);
    FUZZ_ASSERT((unsigned)img->view.format <= 3, "%s: format %d", who, (int)img->view.format);
    FUZZ_ASSERT(img->view.stride == img->view.width * bpp[img->view.format], "%s: stride %zu", who,
                img->view.stride);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dx_png_image a, b;
    dx_error ea = {0}, eb = {0};
    dx_status sa = dx_png_decode_direct(data, size, "fuzz.png", &a, &ea);
    dx_status sb = dx_png_decode_libpng(data, size, "fuzz.png", &b, &eb);
    sane("direct", sa, &a, &ea);
    sane("libpng", sb, &b, &eb);
    if (sa == DX_OK && sb == DX_OK) {
        FUZZ_ASSERT(a.view.width == b.view.width && a.view.height == b.view.height &&
                        a.view.format == b.view.format,
                    "layouts differ: %ux%u/%d against libpng's %ux%u/%d", a.view.width, a.view.height,
                    (int)a.view.format, b.view.width, b.view.height, (int)b.view.format);
        FUZZ_ASSERT(a.dpi == b.dpi, "dpi %g against libpng's %g", a.dpi, b.dpi);
        FUZZ_ASSERT(memcmp(a.data, b.data, a.view.stride * a.view.height) == 0,
                    "pixels differ from libpng's");
    }
    if (sa == DX_OK)
        dx_png_image_free(&a);
    if (sb == DX_OK)
        dx_png_image_free(&b);
    return 0;
}
