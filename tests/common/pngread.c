/* PNG decoding for tests.  See pngread.h. */
#include "pngread.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct read_state {
    char *err;
    size_t errsize;
};

static void on_error(png_structp png, png_const_charp msg)
{
    struct read_state *st = png_get_error_ptr(png);
    snprintf(st->err, st->errsize, "libpng: %s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

int dxt_png_read(const char *path, dxt_png *img, char *err, size_t errsize)
{
    struct read_state st = {err, errsize};
    png_structp png = NULL;
    png_infop info = NULL;
    png_bytep *volatile rows = NULL;
    uint8_t *volatile pixels = NULL;
    FILE *volatile fp;
    volatile int rc = -1;

    memset(img, 0, sizeof *img);
    if (errsize)
        err[0] = '\0';
    fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errsize, "%s: cannot open", path);
        return -1;
    }
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, on_error, on_warning);
    if (png)
        info = png_create_info_struct(png);
    if (!png || !info) {
        snprintf(err, errsize, "%s: out of memory", path);
        goto done;
    }
    if (setjmp(png_jmpbuf(png)))
        goto done;
    png_init_io(png, fp);
    png_set_user_limits(png, 100000, 100000);
    png_read_info(png, info);
    img->width = png_get_image_width(png, info);
    img->height = png_get_image_height(png, info);
    img->bit_depth = png_get_bit_depth(png, info);
    img->color_type = png_get_color_type(png, info);
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE)
        png_set_interlace_handling(png);
    png_read_update_info(png, info);
    img->channels = png_get_channels(png, info);
    img->rowbytes = png_get_rowbytes(png, info);
    pixels = malloc(img->rowbytes * img->height);
    rows = malloc(sizeof *rows * img->height);
    if (!pixels || !rows) {
        snprintf(err, errsize, "%s: out of memory", path);
        goto done;
    }
    for (uint32_t y = 0; y < img->height; y++)
        rows[y] = pixels + (size_t)y * img->rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    img->pixels = pixels;
    pixels = NULL;
    rc = 0;
done:
    if (rc != 0 && err[0] && strncmp(err, "libpng", 6) == 0) {
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s", err);
        snprintf(err, errsize, "%s: %s", path, tmp);
    }
    png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
    free(rows);
    free(pixels);
    fclose(fp);
    return rc;
}

void dxt_png_free(dxt_png *img)
{
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

const char *dxt_png_color_name(int color_type)
{
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return "gray";
    case PNG_COLOR_TYPE_RGB: return "rgb";
    case PNG_COLOR_TYPE_PALETTE: return "palette";
    case PNG_COLOR_TYPE_GRAY_ALPHA: return "gray+alpha";
    case PNG_COLOR_TYPE_RGB_ALPHA: return "rgba";
    default: return "unknown";
    }
}
