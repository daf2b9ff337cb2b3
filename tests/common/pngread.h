/* Decode a PNG file into memory for tests (libpng), keeping its bit depth and
 * colour type: no expansion, no stripping, 16-bit samples as stored
 * (big-endian).  Returns 0 and fills *img, or -1 with a message in err. */
#ifndef DOCEX_TEST_PNGREAD_H
#define DOCEX_TEST_PNGREAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct dxt_png {
    uint32_t width, height;
    int bit_depth;        /* 1, 2, 4, 8, 16 */
    int color_type;       /* PNG_COLOR_TYPE_* */
    int channels;
    size_t rowbytes;
    uint8_t *pixels;      /* height * rowbytes */
} dxt_png;

int dxt_png_read(const char *path, dxt_png *img, char *err, size_t errsize);
void dxt_png_free(dxt_png *img);
/* "gray", "rgb", "palette", "gray+alpha", "rgba" */
const char *dxt_png_color_name(int color_type);

#endif
