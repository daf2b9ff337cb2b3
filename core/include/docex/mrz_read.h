/* docex — reading the machine readable zone from an image (ICAO 9303 Part 3).
 *
 * dx_mrz_read_image() finds the MRZ in a capture (any rotation within +-10
 * degrees, and upside down; 150-1200 dpi; grey or colour), segments its lines
 * and fixed-pitch character cells, recognises each OCR-B character with a
 * classifier built from the OCR-B font (templates compiled into libdocex),
 * repairs ambiguous characters where the field's character class allows it
 * and the check digits then pass, and parses the result with dx_mrz_parse().
 *
 * Thread safety: every function here may be called from any thread; they keep
 * no state between calls.
 */
#ifndef DOCEX_MRZ_READ_H
#define DOCEX_MRZ_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"
#include "docex/mrz.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dx_pixfmt {
    DX_PIX_GRAY8 = 0,
    DX_PIX_GRAY16 = 1, /* host byte order */
    DX_PIX_RGB8 = 2,
    DX_PIX_RGB16 = 3   /* host byte order */
} dx_pixfmt;

/* An image in memory, owned by the caller (only read). */
typedef struct dx_image_view {
    const void *data;
    uint32_t width, height;
    size_t stride;      /* bytes from one row to the next (>= width * bytes per pixel) */
    dx_pixfmt format;
} dx_image_view;

typedef struct dx_mrz_read_options {
    double dpi;                    /* the image's resolution if known, else 0 (estimated) */
    const dx_mrz_options *parse;   /* for dx_mrz_parse(); NULL = defaults */
    bool no_repair;                /* report the characters as recognised, unrepaired */
} dx_mrz_read_options;

/* An axis-aligned box in image pixels (origin top left). */
typedef struct dx_mrz_box {
    double x, y, w, h;
} dx_mrz_box;

typedef struct dx_mrz_read_line {
    char text[45];             /* as read, after repair */
    char raw[45];              /* as recognised, before repair */
    size_t length;
    float confidence[44];      /* per character, 0..1 */
    dx_mrz_box box;            /* the line's bounding box in the image */
    double corners[4][2];      /* the line's rotated rectangle: top left, top right,
                                  bottom right, bottom left in reading direction */
} dx_mrz_read_line;

typedef struct dx_mrz_repair {
    unsigned line, column;     /* 0-based */
    char from, to;
} dx_mrz_repair;

#define DX_MRZ_MAX_REPAIRS 32

typedef struct dx_mrz_read_result {
    dx_mrz mrz;                /* dx_mrz_parse() of the lines read (after repair) */
    size_t n_lines;
    dx_mrz_read_line lines[DX_MRZ_MAX_LINES];
    /* Direction of the text in the image: degrees counter-clockwise on screen
     * from the +x axis, (-180, 180]; about 180 when upside down. */
    double rotation_deg;
    dx_mrz_repair repairs[DX_MRZ_MAX_REPAIRS];
    size_t n_repairs;
    double mean_confidence;
    uint32_t width, height;    /* of the image */
    double dpi;                /* as given, else estimated from the 10 cpi pitch */
    bool dpi_estimated;
} dx_mrz_read_result;

/* Find and read the MRZ in `img`.  Returns DX_OK with *out filled in (whether
 * every check passed is out->mrz.valid), DX_ERR_NOT_FOUND when the image holds
 * no MRZ that can be read ("no MRZ found"), DX_ERR_INVALID_ARG for a bad view.
 * `opts` may be NULL. */
DX_API dx_status dx_mrz_read_image(const dx_image_view *img, const dx_mrz_read_options *opts,
                                   dx_mrz_read_result *out, dx_error *err);

/* The same on a PNG file (8 or 16 bit, grey, grey+alpha, RGB, RGBA, palette).
 * The dpi comes from opts->dpi, else from the file's pHYs, else it is
 * estimated.  DX_ERR_IO when it cannot be read, DX_ERR_DATA when it is not a
 * valid PNG. */
DX_API dx_status dx_mrz_read_file(const char *path, const dx_mrz_read_options *opts,
                                  dx_mrz_read_result *out, dx_error *err);

/* The result as JSON (share/schemas/mrz_read.schema.json): dx_mrz_to_json()'s
 * object plus "lines", "rotation_deg", "repairs" and "source" (`file` may be
 * NULL).  Caller frees; NULL when out of memory. */
DX_API char *dx_mrz_read_to_json(const dx_mrz_read_result *r, const char *file);

#ifdef __cplusplus
}
#endif
#endif
