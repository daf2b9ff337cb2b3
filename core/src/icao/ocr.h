/* MRZ optical reading, internal: locating the MRZ lines, cutting them into
 * fixed-pitch cells, recognising OCR-B (see docex/mrz_read.h). */
#ifndef DOCEX_ICAO_OCR_H
#define DOCEX_ICAO_OCR_H

#include <stdbool.h>
#include <stddef.h>

#include "docex/mrz_read.h"
#include "icao/ocr_glyphs.h"
#include "image/image.h"

/* One MRZ text line found in the image (full-resolution pixel coordinates). */
typedef struct dx_ocr_line {
    double x0, y0, x1, y1;   /* centres of the first and last glyph, left to right in
                                the image (not yet the reading direction) */
    double cap;              /* character height in pixels */
    double pitch;            /* character pitch in pixels */
} dx_ocr_line;

typedef struct dx_ocr_layout {
    size_t n_lines;          /* 2 or 3 */
    dx_ocr_line lines[3];    /* top to bottom as the image shows them */
    size_t n_chars;          /* 30, 36 or 44 */
    double angle;            /* radians, direction of x0->x1 (y down) */
    double pitch;            /* mean pitch in pixels */
    int factor;              /* reduction the lines were found at */
} dx_ocr_layout;

/* Find the MRZ lines in `g` (full resolution).  dpi may be 0.  DX_OK, or
 * DX_ERR_NOT_FOUND. */
dx_status dx_ocr_locate(const dx_gray *g, double dpi, dx_ocr_layout *out, dx_error *err);

/* A rectified line: the glyphs of line `i` of `lay` in reading order
 * (upside_down: read the other way round), resampled so that the cap height is
 * about DX_OCR_TCAP pixels; ink darkness 0..1 (float).  Caller frees s->d. */
typedef struct dx_ocr_strip {
    int w, h;
    float *d;                /* darkness, 1 = ink */
    double ox, oy;           /* image position of strip pixel (0,0)'s centre */
    double ux, uy, vx, vy;   /* image step per strip pixel along and across */
    double c0, pitch;        /* first cell centre (strip x), pitch in strip px */
    int n;                   /* cells */
} dx_ocr_strip;

dx_status dx_ocr_strip_make(const dx_gray *g, const dx_ocr_layout *lay, size_t i, bool upside_down,
                            dx_ocr_strip *s, dx_error *err);
void dx_ocr_strip_free(dx_ocr_strip *s);
/* Turn a strip by 180 degrees in place (the other reading direction). */
void dx_ocr_strip_turn(dx_ocr_strip *s);

/* Scores of every class at each cell of a strip. */
typedef struct dx_ocr_cell {
    float score[DX_OCR_NCLASS];  /* normalised correlation, -1..1 */
    int best;                    /* class index */
    float confidence;            /* 0..1 */
    double cx, cy;               /* centre in strip coordinates */
    double h;                    /* ink height in strip px (0: not measured) */
} dx_ocr_cell;

/* Confidence 0..1 of a reading from its score s1 and the runner-up's s2:
 * how good the match is (0.4 -> 0, 0.85 -> 1) times how clear the margin is
 * (0.12 or more -> 1; none -> 0.25). */
float dx_ocr_confidence(double s1, double s2);

/* Ink height of class k's template in template px. */
double dx_ocr_template_height(int k);

/* Recognise the `s->n` cells of a strip (cells[] has s->n entries); `limit`
 * > 0 recognises only that many cells spread along the line (orientation
 * test).  Returns the mean best score. */
double dx_ocr_recognise(const dx_ocr_strip *s, dx_ocr_cell *cells, int limit);

int dx_ocr_class_of(char c);  /* index in dx_ocr_classes, or -1 */

/* The format (dx_mrz_format) that n_lines lines of n_chars imply; a first
 * letter 'V' makes a visa. */
int dx_ocr_format_of(size_t n_lines, size_t n_chars, const char lines[3][45]);

/* Repair recognised lines in place (mrz_read.c): a character its field's
 * class cannot hold becomes the best-scoring one it can; where a check digit
 * fails, the cheapest one or two substitutions (a letter/digit confusion, or
 * a reading nearly as good) that its field's class allows and that make that
 * check pass; for the composite only positions no passing check covers.
 * cells[l][i] holds the scores of line l, column i. */
void dx_ocr_repair(int fmt, size_t n_lines, size_t len, char L[3][45], dx_ocr_cell *const cells[3]);

#endif
