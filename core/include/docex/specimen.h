/* docex — reference specimens: what a genuine document of a series looks like.
 *
 * A specimen is a directory <specimens>/<ID>/ holding specimen.json (schema
 * share/schemas/specimen.schema.json, format "docex.specimen/1") and the
 * reference images reference/<side>/<illumination>.png.  The manifest gives the
 * document (type, ICAO format, issuing state, series), the page size in mm, the
 * validity, the sides, the illuminations it is examined under, a sample holder,
 * the chip's protocols, the page layout (named rectangles in mm) and the list of
 * security features, each named in the notation of BSI TR-03135
 * (light, property, feature) with the lights it is checked under, its region,
 * its mode and the expected measurement.
 *
 * The installed specimens are under dx_datadir()/specimens; a lab keeps its
 * own in any directory and passes it as `specimens_dir`.  Specimen packages
 * are outside input: dx_specimen_open() checks every field against the
 * schema's rules and the cross-references the schema cannot express (region
 * ids exist and lie on the feature's side, illuminations are the specimen's,
 * each within the notation's light, rectangles inside the page, ids unique,
 * real dates, known ICAO codes), and refuses the whole specimen with one
 * message "FILE: JSON.PATH: why" otherwise.
 *
 * Thread safety: an open dx_specimen is never changed; any number of threads
 * may read it (accessors, dx_specimen_to_json()) at the same time.  Close it
 * once, when no thread uses it any more.  Listings are the same.
 *
 * The public structs below are read-only views owned by the handle: do not
 * allocate or copy them by value to keep them, members may be appended in
 * later versions.
 */
#ifndef DOCEX_SPECIMEN_H
#define DOCEX_SPECIMEN_H

#include <stdbool.h>
#include <stddef.h>

#include "docex/docex.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The manifest format this library reads. */
#define DX_SPECIMEN_FORMAT "docex.specimen/1"
/* Limits a manifest must keep (the schema says the same). */
#define DX_SPECIMEN_ID_MAX 32          /* id, with the final NUL: [A-Za-z0-9][A-Za-z0-9._-]* */
#define DX_SPECIMEN_MAX_SIDES 2
#define DX_SPECIMEN_MAX_ILLUMINATIONS 16
#define DX_SPECIMEN_MAX_ELEMENTS 64
#define DX_SPECIMEN_MAX_FEATURES 128
#define DX_SPECIMEN_MAX_FILE_BYTES (1024 * 1024)

/* ---- vocabulary ---------------------------------------------------------- */

/* The lights of the TR-03135 notation.  X(ENUM, "name", "description").  An
 * illumination belongs to one light by its band: upper edge <= 400 nm UV,
 * lower edge >= 700 nm IR, else VI. */
#define DX_SPECIMEN_LIGHTS(X)                                                      \
    X(UV, "UV", "ultraviolet: uv254, uv313, uv365")                                \
    X(IR, "IR", "infrared: ir730, ir870, ir950, ir_transmitted")                   \
    X(VI, "VI", "visible: white, white_transmitted, oblique, coaxial")

/* The properties of the notation.  X(ENUM, "name", "description"). */
#define DX_SPECIMEN_PROPERTIES(X)                                                  \
    X(ABSORBENT, "absorbent", "the print absorbs the light (B900 ink under IR)")   \
    X(BRIGHT, "bright", "the area is bright (optical brighteners under UV)")       \
    X(DULL, "dull", "the area stays dark (no optical brighteners under UV)")       \
    X(INVISIBLE, "invisible", "the print drops out under the light")              \
    X(VISIBLE, "visible", "the print shows under the light")                      \
    X(LUMINESCENT, "luminescent", "the feature glows under the light")            \
    X(PATTERN, "pattern", "the area shows the expected pattern or image")         \
    X(TRANSMITTED, "transmitted", "the feature shows in light through the page")  \
    X(VARIABLE, "variable", "the feature changes with the angle or kind of light") \
    X(RETROREFLECTIVE, "retroreflective", "the feature reflects back along the light")

/* Flags of a measure. */
#define DX_SPECIMEN_MEASURE_INTEGER 1u /* min and max are whole numbers */
#define DX_SPECIMEN_MEASURE_HUE 2u     /* "hue_deg" may restrict the colour */
#define DX_SPECIMEN_MEASURE_OF 4u      /* "of" (a layout element id) is required */

/* The measures an expectation may name, with the range of their values.
 * X(ENUM, "name", lowest, highest, flags, "description"). */
#define DX_SPECIMEN_MEASURES(X)                                                               \
    X(LUMINANCE_MEAN, "luminance_mean", 0, 255, 0,                                             \
      "mean luminance of the region, 8-bit scale")                                             \
    X(FLUORESCENCE_CONTRAST, "fluorescence_contrast", 0, 255, DX_SPECIMEN_MEASURE_HUE,        \
      "luminance of the glowing print above its surroundings, 8-bit scale")                    \
    X(FIBRE_COUNT, "fibre_count", 0, 10000, DX_SPECIMEN_MEASURE_INTEGER,                       \
      "fluorescent fibres counted in the region")                                              \
    X(IR_ABSORPTION, "ir_absorption", 0, 1, 0,                                                 \
      "share of the light the print absorbs, against the bare substrate")                      \
    X(CONTRAST, "contrast", 0, 1, 0, "contrast of the print in the region")                   \
    X(SIMILARITY, "similarity", 0, 1, 0,                                                       \
      "normalised correlation with the region of the reference image")                         \
    X(SIMILARITY_WITH, "similarity_with", 0, 1, DX_SPECIMEN_MEASURE_OF,                        \
      "normalised correlation with another region (\"of\") of the same capture")               \
    X(BRIGHT_FRACTION, "bright_fraction", 0, 1, 0, "share of bright pixels in the region")     \
    X(ABSORPTION_AGAINST_SURROUNDINGS, "absorption_against_surroundings", 0, 1, 0,             \
      "share of the light the feature absorbs, against its surroundings")                      \
    X(COLOUR_CHANGE, "colour_change", 0, 400, 0,                                               \
      "colour difference (CIE76 delta E) of the region between the lights")

typedef enum dx_specimen_mode {
    DX_SPECIMEN_MANDATORY = 0,  /* a failure fails the document */
    DX_SPECIMEN_OPTIONAL = 1,   /* checked when the device can; a failure is reported */
    DX_SPECIMEN_EVALUATORY = 2  /* for evaluation only: never changes the verdict */
} dx_specimen_mode;

/* "mandatory", "optional", "evaluatory" (or "unknown"). */
DX_API const char *dx_specimen_mode_name(dx_specimen_mode mode);

/* The notation light ("UV", "IR", "VI") of a standard illumination, or NULL
 * when `illumination` is not a standard name. */
DX_API const char *dx_specimen_light_of(const char *illumination);

/* ---- an open specimen ---------------------------------------------------- */

typedef struct dx_specimen dx_specimen;

/* A rectangle in mm on a side, from the page's top left corner; always
 * inside the page, w and h > 0. */
typedef struct dx_specimen_rect {
    double x, y, w, h;
} dx_specimen_rect;

typedef struct dx_specimen_holder_field {
    const char *key, *value; /* as in the manifest ("birth_date", "1974-08-12") */
} dx_specimen_holder_field;

/* The manifest's fields.  Every string is NUL-terminated UTF-8 without control
 * characters, owned by the handle. */
typedef struct dx_specimen_info {
    const char *format;         /* DX_SPECIMEN_FORMAT */
    const char *id;             /* equals the directory's name */
    const char *name;
    const char *path;           /* the specimen.json read */
    const char *dir;            /* the specimen's directory */
    const char *document_type;  /* "passport", "identity_card", ... */
    const char *icao_format;    /* "TD1", "TD2" or "TD3" */
    const char *document_code;  /* "P", "I", ... */
    const char *issuing_state;  /* a code of ICAO 9303 Part 3, "UTO" */
    const char *series;
    double page_width_mm, page_height_mm;
    const char *valid_from;     /* YYYY-MM-DD */
    const char *valid_until;    /* YYYY-MM-DD, or NULL when still issued */
    const char *const *sides;   /* n_sides (1 or 2) names, the first is the default */
    size_t n_sides;
    const char *const *illuminations; /* standard names (illumination.h) */
    size_t n_illuminations;
    int reference_dpi;          /* resolution of the reference images */
    const dx_specimen_holder_field *holder; /* sample holder, in file order; */
    size_t n_holder;                        /* NULL and 0 when the file has none */
    bool has_chip;              /* the manifest describes a chip */
    const char *chip_aa;        /* active authentication "rsa" or "ecdsa", NULL for none */
    bool chip_auth;             /* chip authentication */
    const int *pace;            /* standardized PACE domain parameter ids */
    size_t n_pace;
} dx_specimen_info;

/* A layout element: a named rectangle on one side. */
typedef struct dx_specimen_element {
    const char *id;             /* unique among the layout's elements */
    const char *type;           /* "mrz", "portrait", "ovd", ... (synth draws the types it knows) */
    size_t side;                /* index into info->sides */
    const char *side_name;
    dx_specimen_rect rect;
} dx_specimen_element;

/* What a check measures and the range a genuine document gives. */
typedef struct dx_specimen_expectation {
    const char *measure;        /* a name of DX_SPECIMEN_MEASURES */
    bool has_min, has_max;      /* at least one is set; min <= max */
    double min, max;
    bool has_hue;               /* hue of the glow, degrees 0..360; */
    double hue_min_deg, hue_max_deg; /* min > max wraps through 0 (red) */
    const char *of;             /* the layout element compared with, or NULL */
} dx_specimen_expectation;

typedef struct dx_specimen_feature {
    const char *id;             /* unique among the features */
    const char *light;          /* notation: "UV", "IR", "VI" */
    const char *property;       /* notation: a name of DX_SPECIMEN_PROPERTIES */
    const char *feature;        /* notation: "MRZ", "fibres", "security thread", ... */
    size_t side;                /* index into info->sides (default 0) */
    const char *side_name;
    const char *const *illuminations; /* 1 or more of the specimen's, each of `light` */
    size_t n_illuminations;
    const char *region_element; /* the layout element named as region, or NULL */
    dx_specimen_rect region;    /* resolved: the element's rect, or the one given */
    dx_specimen_mode mode;
    dx_specimen_expectation expected;
    const char *description;
} dx_specimen_feature;

/* A reference image the specimen should have: one per side and illumination,
 * reference/<side>/<illumination>.png in the specimen's directory.  For the
 * first side, reference/<illumination>.png is taken when that is missing (the
 * layout of a scene written by `docex synth --out DIR/reference`). */
typedef struct dx_specimen_reference {
    size_t side;                /* index into info->sides */
    const char *side_name;
    const char *illumination;
    const char *file;           /* relative to the specimen's directory: the file
                                   found, else reference/<side>/<illumination>.png */
    const char *path;           /* dir/file */
    bool present;               /* a regular file when the specimen was opened */
} dx_specimen_reference;

/* Open specimen `id` from `specimens_dir` (NULL: dx_datadir()/specimens).
 * On DX_OK *out is a new handle the caller closes with dx_specimen_close().
 * Errors (message "what, where, why", *out set to NULL):
 *   DX_ERR_INVALID_ARG  id is not an id (empty, '/', leading '.', too long)
 *   DX_ERR_NOT_FOUND    no <specimens_dir>/<id>/specimen.json (the message
 *                       names the ids that are there)
 *   DX_ERR_IO           the file cannot be read
 *   DX_ERR_DATA         not a regular file, larger than DX_SPECIMEN_MAX_FILE_BYTES,
 *                       not JSON ("FILE:LINE:COLUMN: not JSON: why"), or a rule
 *                       broken ("FILE: JSON.PATH: why")
 *   DX_ERR_NO_MEMORY
 * Reference images may be missing: dx_specimen_reference_at() says which. */
DX_API dx_status dx_specimen_open(const char *specimens_dir, const char *id, dx_specimen **out,
                                  dx_error *err);
/* Free the handle and everything it owns (NULL is fine). */
DX_API void dx_specimen_close(dx_specimen *spec);

DX_API const dx_specimen_info *dx_specimen_info_get(const dx_specimen *spec);

DX_API size_t dx_specimen_element_count(const dx_specimen *spec);
/* Element i in file order (NULL when i is out of range). */
DX_API const dx_specimen_element *dx_specimen_element_at(const dx_specimen *spec, size_t i);
DX_API const dx_specimen_element *dx_specimen_element_find(const dx_specimen *spec,
                                                           const char *id);

DX_API size_t dx_specimen_feature_count(const dx_specimen *spec);
/* Feature i in file order (NULL when i is out of range). */
DX_API const dx_specimen_feature *dx_specimen_feature_at(const dx_specimen *spec, size_t i);
DX_API const dx_specimen_feature *dx_specimen_feature_find(const dx_specimen *spec,
                                                           const char *id);

/* Reference images: n_sides x n_illuminations, side by side in the order of
 * the manifest. */
DX_API size_t dx_specimen_reference_count(const dx_specimen *spec);
DX_API const dx_specimen_reference *dx_specimen_reference_at(const dx_specimen *spec, size_t i);
/* SHA-256 (lower-case hex) of reference image i, read now.  DX_ERR_NOT_FOUND
 * when it is missing, DX_ERR_IO when it cannot be read, DX_ERR_INVALID_ARG for
 * a bad i. */
DX_API dx_status dx_specimen_reference_sha256(const dx_specimen *spec, size_t i, char out[65],
                                              dx_error *err);

/* Everything as JSON (share/schemas/specimen_show.schema.json, what
 * `docex specimen show --json` prints), reference images hashed now.
 * Caller frees with free(); NULL when out of memory. */
DX_API char *dx_specimen_to_json(const dx_specimen *spec);

/* ---- all specimens of a directory ---------------------------------------- */

/* One subdirectory of the specimens directory. */
typedef struct dx_specimen_list_entry {
    const char *id;             /* the directory's name */
    const dx_specimen *spec;    /* the open specimen, or NULL when broken */
    dx_status status;           /* DX_OK, or why the specimen did not open */
    const char *error;          /* "" or the message of dx_specimen_open() */
} dx_specimen_list_entry;

typedef struct dx_specimen_listing {
    const char *dir;            /* the directory listed */
    size_t n;
    const dx_specimen_list_entry *entries; /* sorted by id (byte order) */
} dx_specimen_listing;

/* Open every specimen of `specimens_dir` (NULL: dx_datadir()/specimens):
 * each subdirectory not starting with '.' is one entry, broken ones included
 * with their error, so that one bad specimen never hides the others (plain
 * files are ignored).  DX_ERR_NOT_FOUND / DX_ERR_IO when the directory itself
 * cannot be read; on DX_OK free *out with dx_specimen_list_free(). */
DX_API dx_status dx_specimen_list(const char *specimens_dir, dx_specimen_listing **out,
                                  dx_error *err);
DX_API void dx_specimen_list_free(dx_specimen_listing *list);

#ifdef __cplusplus
}
#endif
#endif
