/* Registration of a capture to the specimen's page (internal).
 *
 * Coordinates.  Page coordinates (u, v) are in mm from the page's top left
 * corner as the specimen describes it (u right, v down).  Capture coordinates
 * (x, y) are in pixels of the capture with pixel centres at integer + 0.5
 * (the convention of image.h: pixel i covers [i, i + 1)).
 *
 * A dx_reg_transform maps page mm to capture pixels:
 *     x = m[0][0] u + m[0][1] v + m[0][2]
 *     y = m[1][0] u + m[1][1] v + m[1][2]
 * dx_reg_estimate() gives a similarity (m[0][0] = m[1][1], m[0][1] = -m[1][0]).
 * The transform depends only on the geometry of the capture, so one estimated
 * on one light (white) applies unchanged to every other light of the same
 * capture set: estimate once, resample each light with dx_reg_resample().
 *
 * Resampled images (dx_reg_image) hold float samples on the 8-bit scale
 * (0..255; a 16-bit capture keeps its precision as fractions: v16 / 257),
 * 1 channel (grey captures) or 3 interleaved (RGB), rows packed.  Floats keep
 * 16-bit IR exact and make the measurements (measure.h) one code path.
 *
 * Thread safety: no state is kept between calls; any thread may call.
 */
#ifndef DOCEX_IMAGE_REGISTER_H
#define DOCEX_IMAGE_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"
#include "docex/mrz_read.h"

/* A rectangle on the page, mm. */
typedef struct dx_reg_rect {
    double x, y, w, h;
} dx_reg_rect;

typedef struct dx_reg_transform {
    double m[2][3];         /* page mm -> capture px (see above) */
    double inv[2][3];       /* capture px -> page mm */
    double scale;           /* px per mm found (expected: dpi / 25.4) */
    double rotation_deg;    /* the page's rotation on the glass, counter-clockwise on
                               screen, (-180, 180] (the MRZ reader's convention) */
    double page_w_mm, page_h_mm;
    uint32_t width, height; /* of the capture it was estimated on */
    /* quality (dx_reg_estimate only; 0 / 1 for dx_reg_identity) */
    double residual_px;     /* RMS distance of the page edge points used to the
                               fitted page outline, capture px */
    double inliers;         /* share of the edge samples that found an edge and
                               agreed with the fitted lines, 0..1 */
    double confidence;      /* 0..1: inliers, times the agreement of the found
                               scale with the dpi, times exp(-residual_px / 2) */
    bool transmitted;       /* the capture was read as transmitted light (bright glass) */
    bool turned;            /* the page lies upside down (the 180-degree choice) */
} dx_reg_transform;

typedef struct dx_reg_options {
    /* -1: detect from the capture's border (default with NULL options),
     * 0: reflected light (glass darker than the page), 1: transmitted (brighter). */
    int transmitted;
    /* Optional hint to settle the 180-degree ambiguity of a rectangle: the MRZ
     * as dx_mrz_read_image() found it in this capture (its lines' corners), and
     * where the MRZ lies on the page (mrz_rect_mm; w = 0: the bottom fifth of
     * the page).  Without it the page is taken as upright (|rotation| < 90). */
    const dx_mrz_read_result *mrz;
    dx_reg_rect mrz_rect_mm;
} dx_reg_options;

/* Find the page (`page_w_mm` x `page_h_mm`) in `capture` (`capture_dpi` > 0):
 * anywhere on the glass, rotated up to about +-20 degrees (upside down too
 * with the MRZ hint).  Otsu threshold of a coarse copy, glass = the pixels of
 * the glass class connected to the border, the page = the largest component
 * of the rest; its second moments give a first pose; then at full resolution
 * each side's edge is found with sub-pixel precision along 64 normals, a line
 * is fitted to each side (outliers rejected), the four corners intersected and
 * a similarity fitted to them.  An image of the page's size at that dpi
 * (within 3%) is taken as the page itself, cropped (identity, confidence
 * 0.5).  `opts` may be NULL.
 * DX_ERR_INVALID_ARG: bad view or sizes; DX_ERR_NOT_FOUND: no page (no
 * contrast between glass and page, the page too small or cut by the image's
 * border). */
dx_status dx_reg_estimate(const dx_image_view *capture, double capture_dpi, double page_w_mm,
                          double page_h_mm, const dx_reg_options *opts, dx_reg_transform *out,
                          dx_error *err);

/* The transform of an image that already is the page at `dpi` (no glass,
 * no rotation: the specimen's reference images). */
void dx_reg_identity(double dpi, double page_w_mm, double page_h_mm, uint32_t width,
                     uint32_t height, dx_reg_transform *out);

/* Page mm -> capture px and back. */
void dx_reg_apply(const dx_reg_transform *t, double u, double v, double *x, double *y);
void dx_reg_apply_inverse(const dx_reg_transform *t, double x, double y, double *u, double *v);

typedef struct dx_reg_image {
    int w, h, ch;           /* ch: 1 or 3 */
    float *px;              /* w * h * ch, interleaved, 0..255 scale; owned */
    double dpi;             /* of the page coordinates */
    double x_mm, y_mm;      /* page position of the top left corner of pixel (0, 0) */
    size_t n_outside;       /* samples that fell outside the capture (set to 0) */
    size_t mapped;          /* px's bytes when mapped (dx_pixels_alloc, or a cached reference page), else 0 */
} dx_reg_image;

/* Resample `capture` into page coordinates at `target_dpi` (10..2400) over
 * `rect_mm` (NULL: the whole page).  Output pixel (i, j) is the capture at
 * page point (x_mm + (i + 0.5) / ppm, y_mm + (j + 0.5) / ppm), ppm =
 * target_dpi / 25.4: bilinear, and when the capture is finer than the target
 * by a factor r >= 1.5, the mean of ceil(r) x ceil(r) bilinear samples over
 * the output pixel (a box prefilter against aliasing).  The capture must have
 * the size the transform was made for (DX_ERR_INVALID_ARG otherwise).  Grey
 * 8/16-bit gives ch = 1, RGB 8/16-bit ch = 3. */
dx_status dx_reg_resample(const dx_image_view *capture, const dx_reg_transform *t,
                          double target_dpi, const dx_reg_rect *rect_mm, dx_reg_image *out,
                          dx_error *err);

void dx_reg_image_free(dx_reg_image *img);

#endif
