/* mrz_synth — test images of machine readable zones, rendered here.
 *
 * Renders MRZ lines in the real OCR-B font (Debian fonts-ocr-b, through
 * FreeType) at a chosen dpi on a page-like background (pale tinted paper with
 * a fine line pattern, a "photo", visual-zone text), then degrades the image
 * the ways captures degrade: rotation (any angle, 180 included), uneven light,
 * Gaussian blur, sensor noise, JPEG artefacts, grey or colour.
 *
 * Geometry follows ICAO 9303 Part 3: 10 characters per inch (2.54 mm pitch),
 * 6 lines per inch (4.23 mm line pitch), character height 2.0-2.3 mm
 * (2.2 mm by default).  Also a seeded generator of valid random MRZs (check
 * digits computed here, independently of libdocex) and the OCR-B templates
 * that libdocex's recogniser compiles in (core/src/icao/ocr_glyphs.c).
 *
 * Used by tests/tools/mrz_render.c (the CLI), the mrz_read tests and the
 * tests/bench/mrz_ocr benchmark.  Not part of libdocex. */
#ifndef DOCEX_MRZ_SYNTH_H
#define DOCEX_MRZ_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where Debian's fonts-ocr-b puts the font; $DOCEX_OCRB_FONT overrides. */
#define MRZS_DEFAULT_FONT "/usr/share/fonts/opentype/ocr-b/OCRB.otf"

typedef struct mrzs_params {
    int dpi;                /* 150..1200 */
    double rotation_deg;    /* counter-clockwise as seen on screen; 180 = upside down */
    double blur_sigma_px;   /* Gaussian blur, in output pixels (0 = none) */
    double noise_sigma;     /* Gaussian noise, grey levels (0 = none) */
    int jpeg_quality;       /* 1..100: encode/decode through libjpeg (0 = none) */
    double light_gradient;  /* 0..0.7: light falls off by this share across the page */
    bool colour;            /* RGB (else 8-bit grey) */
    double char_height_mm;  /* 0 = 2.2 */
    bool page;              /* whole document page with visual zone (else MRZ + margin) */
    double ink_spread_px;   /* > 0 bolder, < 0 lighter strokes (printer), in output px */
    uint64_t seed;          /* background, noise, visual zone text */
} mrzs_params;

typedef struct mrzs_image {
    int width, height, channels; /* channels 1 (grey) or 3 (RGB) */
    uint8_t *pixels;             /* width * channels bytes a row, no padding */
} mrzs_image;

/* Load the font (NULL = $DOCEX_OCRB_FONT or MRZS_DEFAULT_FONT).  Returns 0, or
 * -1 with a message (e.g. the font is not installed). */
int mrzs_init(const char *font_path, char *err, size_t errsize);
void mrzs_done(void);

/* Render `n` MRZ lines (all of one length: 30, 36 or 44).  Returns 0 or -1. */
int mrzs_render(const char *const *lines, size_t n, const mrzs_params *p, mrzs_image *out,
                char *err, size_t errsize);
void mrzs_image_free(mrzs_image *img);

/* Write a PNG with its dpi in pHYs.  Returns 0 or -1. */
int mrzs_write_png(const char *path, const mrzs_image *img, int dpi);
/* bits 8 or 16 (a 12-bit sensor's range in 16-bit samples). */
int mrzs_write_png_bits(const char *path, const mrzs_image *img, int dpi, int bits);

/* ICAO 9303 check digit over n characters (independent implementation). */
int mrzs_check_digit(const char *s, size_t n);

/* splitmix64 */
uint64_t mrzs_rand(uint64_t *state);

/* A valid random MRZ: format 1 = TD1, 2 = TD2, 3 = TD3 (as dx_mrz_format).
 * Every check digit correct; names, numbers, dates, codes random.  Returns the
 * line count; lines are NUL-terminated. */
size_t mrzs_random_mrz(uint64_t *rng, int format, char lines[3][45]);

/* The ICAO Utopia specimen of ERIKSSON ANNA MARIA in format 1, 2 or 3. */
size_t mrzs_specimen(int format, char lines[3][45]);

/* Print core/src/icao/ocr_glyphs.c (the recogniser's compiled-in templates). */
int mrzs_emit_templates(FILE *out, char *err, size_t errsize);

#endif
