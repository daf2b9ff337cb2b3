/* Measurements over a region of a registered image (internal).
 *
 * Every function reads a dx_reg_image (register.h: page coordinates, float
 * samples on the 8-bit scale 0..255, 1 or 3 channels) over a region given in
 * page mm.  The region's pixels are those whose centres lie inside the
 * rectangle, clipped to the image; an empty region is DX_ERR_INVALID_ARG.
 *
 * Units: levels are on the 8-bit scale (0..255, fractions kept for 16-bit
 * captures); ratios are 0..1; angles degrees; lengths mm.
 * Luminance L = 0.299 R + 0.587 G + 0.114 B (Rec. 601, as image.h), or the
 * single channel of a grey image.
 *
 * These are the numbers the Lua rules compare with a specimen's expected
 * ranges; the rules own the thresholds.  No state is kept: any thread may call.
 */
#ifndef DOCEX_IMAGE_MEASURE_H
#define DOCEX_IMAGE_MEASURE_H

#include <stddef.h>

#include "image/register.h"

/* Index of luminance in dx_measure_stats's arrays (channels are 0..ch-1). */
#define DX_MEASURE_L 3

typedef struct dx_measure_stats {
    int ch;                 /* channels of the image (1 or 3) */
    size_t n;               /* pixels in the region */
    /* per channel [0..ch-1] and luminance [DX_MEASURE_L]; percentiles from a
     * histogram of 1/4-level bins */
    double mean[4], sd[4], p5[4], p50[4], p95[4];
    double hue_deg;         /* hue (HSV) of the mean colour, 0..360; -1 when the mean
                               colour is grey (chroma < 2 levels) or the image grey */
    double saturation;      /* HSV saturation of the mean colour, (max - min) / max, 0..1 */
    double contrast;        /* (p95 - p5) / p95 of luminance, 0..1 (0 when p95 = 0) */
} dx_measure_stats;

dx_status dx_measure_stats_of(const dx_reg_image *im, dx_reg_rect r, dx_measure_stats *out,
                              dx_error *err);

/* The region against a ring of width `ring_mm` around it (the rectangle grown
 * by ring_mm on every side, minus the region).
 *   difference = mean_L(region) - mean_L(ring)           levels, -255..255
 *   absorption = 1 - mean_L(region) / mean_L(ring)       ratio (0 when the ring is 0)
 *   contrast   = |difference| / max(mean_L(region), mean_L(ring))   0..1 */
typedef struct dx_measure_surround {
    double mean_region, mean_ring, difference, absorption, contrast;
} dx_measure_surround;

dx_status dx_measure_against_surround(const dx_reg_image *im, dx_reg_rect r, double ring_mm,
                                      dx_measure_surround *out, dx_error *err);

/* Fluorescence of a region under UV against a substrate reference region
 * (paper known to be free of fluorescent print) of the same image.
 *   contrast      = mean_L(region) - mean_L(substrate)                     levels
 *   peak_contrast = p95_L(region) - p50_L(substrate)                        levels
 *   glow_fraction = share of region pixels with L > p50_L(substrate) + 20   0..1
 *   hue_deg       = hue of the mean glow colour: mean over the glowing pixels of
 *                   (colour - the substrate's mean colour); -1 when none glow or
 *                   the image is grey. */
typedef struct dx_measure_fluorescence {
    double region_mean, substrate_mean, contrast, peak_contrast, glow_fraction, hue_deg;
} dx_measure_fluorescence;

dx_status dx_measure_fluorescence_of(const dx_reg_image *uv, dx_reg_rect region,
                                     dx_reg_rect substrate, dx_measure_fluorescence *out,
                                     dx_error *err);

/* IR absorption of the print in a region (B900 ink; BSI TR-03135 (IR, absorbent)).
 * `white` and `ir` are the same capture set registered at the same dpi and
 * origin.  In the white image, paper = p95_L(region); ink pixels have
 * L < 0.4 x paper, paper pixels L > 0.85 x paper.  Then
 *   absorption    = 1 - mean_ir(ink) / mean_ir(paper)    ratio (carbon ~0.8, dye ~0)
 *   ink_fraction  = share of region pixels that are ink in white light
 *   dark_fraction = share of region pixels with ir < 0.5 x mean_ir(paper)
 * (dark_fraction alone, without a white image, is the simple test: pass
 * white = NULL and absorption stays 0.) */
typedef struct dx_measure_absorption {
    double absorption, ink_fraction, dark_fraction, ir_ink_mean, ir_paper_mean;
} dx_measure_absorption;

dx_status dx_measure_ir_absorption(const dx_reg_image *ir, const dx_reg_image *white,
                                   dx_reg_rect region, dx_measure_absorption *out, dx_error *err);

/* Similarity of region `ra` of `a` with region `rb` of `b` (the reference),
 * on luminance.  `rb`'s pixels are resampled (box-filtered bilinear) to
 * `ra`'s pixel size when the sizes differ, so a region can be compared with
 * another of a different size (the ghost image with the portrait).  The
 * reference is searched within +-max_shift_mm of `ra` (registration error).
 *   ncc  = zero-mean normalised cross-correlation at the best shift, -1..1:
 *          sum((A - mean A)(B - mean B)) / sqrt(sum (A - mean A)^2 sum (B - mean B)^2);
 *          the window sums of A come from summed-area tables (double), so a
 *          search costs one multiply-add per template pixel per shift.
 *          0 when either side is flat.
 *   ssim = mean SSIM (Wang, Bovik et al. 2004) at that shift: Gaussian window
 *          sigma 1.5 px (11 x 11), C1 = (0.01 x 255)^2, C2 = (0.03 x 255)^2; -1..1.
 *   dx_mm, dy_mm: the best shift of the reference, mm. */
typedef struct dx_measure_similarity {
    double ncc, ssim, dx_mm, dy_mm;
} dx_measure_similarity;

dx_status dx_measure_similarity_of(const dx_reg_image *a, dx_reg_rect ra, const dx_reg_image *b,
                                   dx_reg_rect rb, double max_shift_mm,
                                   dx_measure_similarity *out, dx_error *err);

/* Fluorescent fibres under UV (RGB image): pixels whose colour differs from
 * the paper's in hue, not only in level (the Euclidean RGB distance d from
 * the region's median colour is > 40 levels, and d's part across that colour,
 * sqrt(d^2 - (d . u)^2) with u the median colour's direction, > 30 levels: so
 * paper glowing bluish with brighteners keeps its fibres, while dark print
 * and paper texture are not candidates), 8-connected components of them;
 * a fibre is a component of length 1..10 mm (4 sqrt(lambda1) from its second
 * moments) and elongation sqrt(lambda1 / lambda2) >= 3.  Blobs (a printed
 * fluorescent emblem, office paper glowing all over) are not fibres.
 * Measure at 200 dpi or more: a fibre is about 0.1 mm wide. */
typedef struct dx_measure_fibres {
    int count;              /* fibres */
    int components;         /* all components of candidate pixels */
    double candidate_fraction; /* share of the region's pixels that are candidates, 0..1 */
} dx_measure_fibres;

dx_status dx_measure_fibres_of(const dx_reg_image *uv, dx_reg_rect region,
                               dx_measure_fibres *out, dx_error *err);

/* Sharpness of print over the region's luminance (interior pixels):
 *   laplacian_var   = variance of the 4-neighbour Laplacian, levels^2
 *   gradient_energy = mean of gx^2 + gy^2 with central differences
 *                     (gx = (L[x+1] - L[x-1]) / 2), levels^2 per px^2.
 * Both depend on the dpi: compare at the same dpi. */
typedef struct dx_measure_sharpness {
    double laplacian_var, gradient_energy;
} dx_measure_sharpness;

dx_status dx_measure_sharpness_of(const dx_reg_image *im, dx_reg_rect region,
                                  dx_measure_sharpness *out, dx_error *err);

/* Share (0..1) of the region's pixels with L > level (above) or L < level
 * (!above): bright_fraction (perforation in transmitted light), dark_fraction. */
dx_status dx_measure_fraction(const dx_reg_image *im, dx_reg_rect region, double level,
                              int above, double *out, dx_error *err);

/* The planes the similarity works on (exported for tests/bench/inspect,
 * which hands the same arrays to OpenCV): the luminance (0.299 R + 0.587 G
 * + 0.114 B, or the grey itself) of the w x h pixels at (x0, y0) of `im`,
 * packed; and a w x h plane resized to dw x dh (bilinear, the mean of k x k
 * sub-samples per pixel, k = ceil of the larger ratio, at most 8).  NULL
 * when out of memory; the caller frees. */
float *dx_measure_lum_plane(const dx_reg_image *im, int x0, int y0, int w, int h);
float *dx_measure_resize_plane(const float *s, int w, int h, int dw, int dh);

#endif
