/* The visual inspection zone against the MRZ: template verification
 * (internal; exported with DX_API so the docex command can use it).
 *
 * The specimen's layout says where each data field is printed and in which
 * typeface and size (share/specimens/<ID>/specimen.json, synth/render.c).  So
 * from the MRZ read off a document, each visual-zone field the MRZ determines
 * can be drawn exactly as the specimen prints it — black ink on white paper,
 * same font, size and place — and compared with the captured field.  A
 * document whose visual zone was altered and MRZ left alone (or the reverse)
 * shows a different text in at least one field.
 *
 * Fields compared (the layout's keys; those the MRZ does not carry — place of
 * birth, authority, issue date, CAN — are not):
 *   document_code, issuing_state, document_number, surname, given_names,
 *   nationality (the code), nationality_name (the state's name: "UTOPIAN"),
 *   birth_date, expiry_date ("DD MON YYYY", the MRZ's century rule), sex
 *   ('<' in the MRZ is printed X).
 * A field the MRZ leaves empty or undetermined (no given names, a date with
 * unknown parts) is not produced.  MRZ fillers '<' in names are taken as
 * spaces; the visual zone may print a hyphen or an apostrophe there (9303
 * Part 3 §4.6), so the comparison lets the words after a separator move a
 * little and does not compare the separator itself.  When the MRZ's name
 * field is full (dx_mrz.name_truncated) the last name field may go on in the
 * visual zone: only the MRZ's part is compared.
 *
 * The light: ir870.  The background (guilloche, rosette) and the labels are
 * IR-transparent inks and vanish at 870 nm, while the data are printed in
 * carbon black (IR-absorbing, synth/render.c), so at ir870 a field's box holds
 * its value on blank paper.  In white light the guilloche lies under every
 * field and the rosette crosses several (passport: birth date, sex, expiry):
 * their lines count as print and genuine fields fail (figures below).  A
 * visual zone reprinted in an IR-transparent ink vanishes at 870 nm and so
 * fails here too — rightly, but the rule should say which it is
 * (dx_measure_ir_absorption() over the field tells the two apart).
 *
 * How dx_viz_compare() measures.  The capture is resampled to the
 * rendering's dpi (luminance; box-filtered when finer) and smoothed by a
 * Gaussian of sigma 0.08 mm; the rendering likewise (and by the capture's
 * pixel when the capture is coarser).
 *   1. Registration: the whole box searched over the capture within
 *      +-max_shift_mm for the best zero-mean normalised cross-correlation
 *      (NCC); then the rendering blurred by 0.03..0.1 mm more where that
 *      raises the NCC (the capture's optics and resampling): `score`, and
 *      dx_mm/dy_mm to a fraction of a pixel.
 *   2. Segments: every pair of neighbouring characters within a word (a
 *      one-letter word alone; a date's blank alone), as wide as their advance
 *      boxes and as high as the box, each aligned by NCC near the previous one
 *      (+-1 px; a name's separator lets the next word move +-0.06 em more).
 *   3. Ink on one scale (0 paper, 1 ink): the capture's paper is its mean
 *      where the rendering has no ink near; its ink scale makes the box hold
 *      as much ink as the rendering (blur and print density change neither
 *      sum), held within 0.8..1.5 times the darkness found on the rendering's
 *      stroke cores so that a glyph with more ink (M for F) is not scaled down
 *      to look alike.
 *   4. A segment's difference: the ink the capture has where the rendering has
 *      none within t, minus the ink the rendering has where the capture has
 *      none within t (t = 0.1 mm in whole pixels: 1 px at 300 dpi, 0 at 200)
 *      — a stroke a fraction of a pixel thicker or displaced is no
 *      difference, a stroke added or missing is — smoothed by a Gaussian of
 *      0.03 em; r its largest magnitude, the segment's score 1 - 2 r (1 the
 *      same; -1 a full stroke added or missing).
 *   5. After the text (to 0.25 mm before the box's end, next to the
 *      following field): the same against blank paper — a longer value.
 *   `min_segment` is the lowest score.  A changed character spoils the
 *   segments it is in however long the field.  `score`, over the whole box,
 *   does not separate: altered fields keep up to 0.98, genuine names printed
 *   with a hyphen fall to 0.59 (the words after it are displaced).
 *
 * The decision: the field matches when min_segment >= DX_VIZ_MIN_SEGMENT.
 * Measured by tests/unit/viz at ir870 (noise 2-4 levels, blur 0.6-0.8 px,
 * registration error up to +-0.3 mm, or the page on the glass turned by 1.5,
 * 4.5 and -7 degrees and registered with dx_reg_estimate; holders with a
 * hyphen, an apostrophe, three-word names, a name the MRZ truncates, sex X),
 * the lowest over every field of 15 genuine documents and the highest of the
 * altered field over 19 altered ones per specimen and dpi:
 *                            genuine (min)   altered (max)
 *   UTO-P-2024  (TD3) 300    0.783           -0.076
 *   UTO-ID-2021 (TD1) 300    0.783            0.224  (birth date 8 -> 6)
 *   UTO-P-2024  (TD3) 200    0.477           -0.074
 *   UTO-ID-2021 (TD1) 200    0.496            0.182  (birth date 8 -> 6)
 * Alterations: one letter of a surname, another surname (shorter, longer),
 * one letter of the given names, one character of the document number (3 ->
 * 8, 7 -> 1, 1 -> 4), one digit of the birth date (4 -> 9, 8 -> 6, 7 -> 8,
 * 1 -> 3) and of the expiry date (4 -> 9, 9 -> 8), the sex (F <-> M).
 * Threshold 0.35: 0.13 below the lowest genuine field (200 dpi, a page turned
 * 4.5 degrees) and 0.13 above the closest alteration (the card's small type,
 * 8 for 6).  The card's type (cap height 1.8 mm) at 200 dpi is the tight
 * case; at 300 dpi the margins are 0.43 and 0.13.  Captures resampled to
 * 100 dpi still separate (card from 300 dpi: genuine 0.84, a birth date digit
 * 1 -> 7 0.22; from 200 dpi: 0.56 and 0.15).  In white light instead the
 * genuine fields fall to -0.92 (the background's lines count as print): no
 * threshold works there.
 *
 * Resolution: a page turned on the glass and resampled at the capture's own
 * dpi loses sharpness unevenly (bilinear interpolation at every phase).
 * Registering it at 1.5 times the capture's dpi (and rendering at that dpi)
 * raised the turned pages' lowest genuine field at 200 dpi from 0.50 to 0.74
 * (card) and from 0.48 to 0.66 (passport); their alterations stayed <= 0.22.
 * The card of docex inspect's acceptance turned -7 degrees with vignetting
 * (200 dpi, "MARY JANE"): lowest field 0.39 registered at 200 dpi, 0.66 at
 * 300 dpi; its data_mismatch surname -0.36 and -0.27.
 *
 * Not modelled: transliterated national characters and the abbreviated names
 * of 9303's truncation rules (the MRZ then legitimately differs from the
 * visual zone); a dark speck of dust of about 0.2 mm on a field counts as
 * print and fails it.
 *
 * Threads: no state is kept; any thread may call. */
#ifndef DOCEX_SYNTH_VIZ_H
#define DOCEX_SYNTH_VIZ_H

#include <stdbool.h>
#include <stddef.h>

#include "docex/docex.h"
#include "docex/mrz.h"
#include "image/register.h"

/* A field matches its MRZ when dx_viz_match.min_segment >= this. */
#define DX_VIZ_MIN_SEGMENT 0.35

#define DX_VIZ_MAX_TEXT 64

typedef struct dx_viz_field {
    char key[32];          /* the layout's key: "surname", "birth_date", ... */
    char text[DX_VIZ_MAX_TEXT]; /* the text as it should be printed (from the MRZ) */
    int side;              /* layout side index */
    dx_reg_rect box_mm;    /* the field's box on the page, mm (value only, not the label) */
    dx_reg_image expected; /* the rendered expectation, 1 channel (paper 255, ink 0), at
                              the dpi asked, covering box_mm; owned */
    /* how dx_viz_compare() cuts the text into segments */
    dx_reg_rect cells_mm[DX_VIZ_MAX_TEXT]; /* each character's advance box, page mm */
    size_t n_cells;        /* strlen(text) */
    double em_mm;          /* the font's size, mm */
    bool name;             /* spaces are MRZ fillers: ' ', '-' or '\'' may be printed */
    bool open_end;         /* the MRZ name was full: the printed value may go on */
} dx_viz_field;

/* The visual-zone fields `mrz` determines, rendered as specimen `specimen_id`
 * (in `specimens_dir`; NULL: dx_datadir()/specimens) prints them at `dpi`
 * (100..1200; 300 is plenty), in layout order.  On DX_OK *out holds *n
 * fields (caller frees with dx_viz_fields_free; *n may be 0).
 * DX_ERR_NOT_FOUND: no such specimen (the message names it and the directory);
 * DX_ERR_DATA: its specimen.json is invalid; DX_ERR_INVALID_ARG: NULL
 * arguments, a dpi out of range, or an MRZ of another format than the
 * specimen's (a TD3 passport MRZ given for a TD1 card); DX_ERR_NO_MEMORY. */
DX_API dx_status dx_viz_expected(const char *specimens_dir, const char *specimen_id,
                                 const dx_mrz *mrz, double dpi, dx_viz_field **out, size_t *n,
                                 dx_error *err);
DX_API void dx_viz_fields_free(dx_viz_field *f, size_t n);

typedef struct dx_viz_match {
    double score;       /* NCC of the whole field at the best shift, -1..1 (1 = the same) */
    double min_segment; /* the worst segment's score 1 - 2 r (above), -1..1 (1 = the
                           same); compare with DX_VIZ_MIN_SEGMENT */
    double dx_mm, dy_mm; /* where the capture's field lies relative to the layout, mm */
} dx_viz_match;

/* Compare field `f` with `captured`: a registered page image (register.h) of
 * side f->side, 1 or 3 channels (luminance is used), at any dpi >= 100 —
 * resampled to the field's dpi here.  Take it at ir870 (see above).  The
 * capture must cover f->box_mm (more, by max_shift_mm, lets the search see
 * the whole field when it is displaced; beyond the capture counts as paper).
 * max_shift_mm: the registration error to allow, 0..3 mm (0.5 is typical).
 * Both are only read; *out is set on DX_OK.  A box with no print at all
 * (or none where the strokes should be) gives min_segment -1.
 * DX_ERR_INVALID_ARG: NULL or empty images, a capture below 100 dpi, a shift
 * out of range, or a capture that does not cover the field: the image's
 * extent does not hold the box (the message gives both extents), or the
 * image was resampled from a capture that did not reach the field (n_outside
 * > 0 and more than 1% of the box's samples are those set to 0).
 * DX_ERR_NO_MEMORY. */
DX_API dx_status dx_viz_compare(const dx_viz_field *f, const dx_reg_image *captured,
                                double max_shift_mm, dx_viz_match *out, dx_error *err);

#endif
