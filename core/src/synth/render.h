/* docex synth — drawing a specimen's page under one light (cairo + pango, the
 * OCR-B font for the MRZ).  Every element of the layout is drawn with the
 * response of its material under that light: substrate, IR-transparent and
 * IR-absorbing inks, UV-fluorescent ink and fibres, watermark and
 * perforation in transmitted light, an optically variable element. */
#ifndef DOCEX_SYNTH_RENDER_H
#define DOCEX_SYNTH_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synth/holder.h"
#include "synth/specimen_layout.h"

/* Visual defects (the chip's are in chip_build.h). */
typedef struct dx_synth_visual_defects {
    uint64_t face_seed;          /* portrait drawn with this face (0: the holder's) */
    bool bright_paper;           /* office paper with optical brighteners */
    bool no_uv_emblem;           /* the fluorescent emblem is not printed */
    bool wrong_uv_colour;        /* the emblem glows blue, not green */
    bool inkjet_mrz;             /* the MRZ in IR-transparent (dye) ink */
    bool no_watermark;
    bool no_fibres;
    double bg_shift_mm;          /* reprinted background: shifted by this */
    double bg_blur_mm;           /* ... and/or blurred */
    char viz_key[32];            /* data_mismatch: this visual-zone field ... */
    char viz_value[64];          /* ... shows this value */
} dx_synth_visual_defects;

typedef struct dx_synth_render_opts {
    const dx_spec_layout *layout;
    const dx_synth_holder *holder;             /* the visual zone */
    char mrz[DX_MRZ_MAX_LINES][45];            /* the printed MRZ */
    size_t n_mrz;
    double dpi;
    uint64_t seed;                             /* fibres, noise */
    dx_synth_visual_defects defects;
    /* scanner realism */
    double noise;                              /* sensor noise, sigma in 8-bit levels */
    double blur_px;                            /* optical blur, sigma in pixels */
    double vignetting;                         /* light fall-off at the corners, 0..0.5 */
    double glass_mm;                           /* glass around the page (0: the page only) */
    double shift_x_mm, shift_y_mm, rotation_deg; /* the page on the glass */
} dx_synth_render_opts;

typedef struct dx_synth_image {
    uint32_t width, height;
    int channels;                              /* 3 RGB, 1 grey */
    int bits;                                  /* 8 or 16 */
    uint8_t *data;                             /* rows of width*channels*(bits/8), host order */
} dx_synth_image;

/* Draw side `side` (index into layout->sides) under `illumination`.
 * IR lights give 16-bit grey (a monochrome IR sensor), the others 8-bit RGB. */
dx_status dx_synth_render(const dx_synth_render_opts *o, int side, const char *illumination,
                          dx_synth_image *out, dx_error *err);
void dx_synth_image_free(dx_synth_image *img);

/* A procedurally drawn portrait (no real face): RGB8, w x h, from `face_seed`. */
dx_status dx_synth_portrait(uint64_t face_seed, uint32_t w, uint32_t h, uint8_t *rgb,
                            dx_error *err);

/* The face seed of a holder (from the name and birth date). */
uint64_t dx_synth_face_seed(const dx_synth_holder *h);

/* The box of MRZ character (line, column) on the page, in mm. */
dx_rect_mm dx_synth_mrz_cell(const dx_spec_layout *l, size_t n_lines, unsigned line,
                             unsigned column);
/* The box of the value of visual-zone field `key`, in mm (false: no such field). */
bool dx_synth_field_box(const dx_spec_layout *l, const char *key, dx_rect_mm *out, int *side);

/* The text visual-zone field `key` shows for holder `h`, as the page prints
 * it: dates "DD MON YYYY", nationality_name the state's name ("UTOPIAN");
 * "" for a key that is not a holder field. */
void dx_synth_field_text(const dx_synth_holder *h, const char *key, char *out, size_t size);

/* Field `key`'s value `text` (ASCII) drawn as the page prints it (the
 * layout's font, size and place), black ink on white paper, into `out` (1
 * channel, 8 bit, caller frees with dx_synth_image_free): the page area
 * `area` mm at `dpi`, pixel (0, 0)'s top left corner at (area.x, area.y).
 * `cells` (may be NULL, strlen(text) entries): each character's advance box
 * on the page, mm; `em_mm` (may be NULL): the font's size, mm.
 * DX_ERR_NOT_FOUND: the layout has no data field `key`; DX_ERR_INVALID_ARG:
 * an empty area or a dpi outside 50..2400. */
dx_status dx_synth_field_draw(const dx_spec_layout *l, const char *key, const char *text,
                              dx_rect_mm area, double dpi, dx_synth_image *out,
                              dx_rect_mm *cells, double *em_mm, dx_error *err);

/* PNG bytes of an image (pHYs = dpi), caller frees. */
dx_status dx_synth_png_encode(const dx_synth_image *img, double dpi, uint8_t **png, size_t *len,
                              dx_error *err);
/* The same with no row filter, by dx_png_encode (image/image.h: libdeflate,
 * no libpng; no pHYs when dpi <= 0; synth's pages: smaller and faster to
 * decode, see render.c).  DX_ERR_INVALID_ARG for channels other than 1 or 3
 * or bits other than 8 or 16. */
dx_status dx_synth_png_encode_unfiltered(const dx_synth_image *img, double dpi, uint8_t **png,
                                         size_t *len, dx_error *err);

#endif
