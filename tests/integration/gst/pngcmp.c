/* test-pngcmp A.png B.png — exit 0 when both PNGs decode to the same size,
 * bit depth, colour type and pixels; otherwise print the first difference and
 * exit 1 (2 when a file cannot be read). */
#include <stdio.h>
#include <string.h>

#include "pngread.h"

static unsigned sample(const dxt_png *img, const uint8_t *row, size_t i)
{
    return img->bit_depth == 16 ? (unsigned)row[2 * i] << 8 | row[2 * i + 1] : row[i];
}

int main(int argc, char **argv)
{
    dxt_png a, b;
    char err[512];
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: test-pngcmp A.png B.png\n");
        return 2;
    }
    if (dxt_png_read(argv[1], &a, err, sizeof err) != 0) {
        fprintf(stderr, "test-pngcmp: %s\n", err);
        return 2;
    }
    if (dxt_png_read(argv[2], &b, err, sizeof err) != 0) {
        fprintf(stderr, "test-pngcmp: %s\n", err);
        dxt_png_free(&a);
        return 2;
    }
    if (a.width != b.width || a.height != b.height) {
        printf("size differs: %ux%u vs %ux%u\n", a.width, a.height, b.width, b.height);
    } else if (a.bit_depth != b.bit_depth || a.color_type != b.color_type) {
        printf("format differs: %d-bit %s vs %d-bit %s\n", a.bit_depth,
               dxt_png_color_name(a.color_type), b.bit_depth, dxt_png_color_name(b.color_type));
    } else {
        size_t n = a.bit_depth == 16 ? a.rowbytes / 2 : a.rowbytes, diffs = 0;
        int first = 1;
        for (uint32_t y = 0; y < a.height; y++) {
            const uint8_t *ra = a.pixels + (size_t)y * a.rowbytes;
            const uint8_t *rb = b.pixels + (size_t)y * b.rowbytes;
            if (memcmp(ra, rb, a.rowbytes) == 0)
                continue;
            for (size_t i = 0; i < n; i++) {
                unsigned va = sample(&a, ra, i), vb = sample(&b, rb, i);
                if (va == vb)
                    continue;
                if (first)
                    printf("first difference at x=%zu y=%u channel %zu: %u vs %u\n",
                           a.bit_depth >= 8 ? i / (size_t)a.channels : i, y,
                           a.bit_depth >= 8 ? i % (size_t)a.channels : 0, va, vb);
                first = 0;
                diffs++;
            }
        }
        if (diffs)
            printf("%zu samples differ\n", diffs);
        else
            rc = 0;
    }
    if (rc == 0)
        printf("identical: %ux%u, %d-bit %s\n", a.width, a.height, a.bit_depth,
               dxt_png_color_name(a.color_type));
    dxt_png_free(&a);
    dxt_png_free(&b);
    return rc;
}
