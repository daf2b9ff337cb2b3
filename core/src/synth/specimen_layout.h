/* docex synth — a specimen's page layout, read from its specimen.json
 * (share/specimens/<ID>/specimen.json, schema share/schemas/specimen.schema.json).
 * The renderer draws each element in its rectangle; the feature list refers
 * to the same elements by id, so the drawing and the checks share one source. */
#ifndef DOCEX_SYNTH_SPECIMEN_LAYOUT_H
#define DOCEX_SYNTH_SPECIMEN_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "docex/docex.h"
#include "docex/mrz.h"
#include "synth/holder.h"

#define DX_SPEC_MAX_ELEMENTS 48
#define DX_SPEC_MAX_FIELDS 16
#define DX_SPEC_MAX_SIDES 2
#define DX_SPEC_MAX_LIGHTS 16

typedef enum dx_elem_type {
    DX_ELEM_SUBSTRATE,
    DX_ELEM_GUILLOCHE,
    DX_ELEM_FIBRES,
    DX_ELEM_UV_EMBLEM,
    DX_ELEM_HEADER,
    DX_ELEM_MICROPRINT,
    DX_ELEM_PORTRAIT,
    DX_ELEM_THREAD,
    DX_ELEM_DATA,
    DX_ELEM_SIGNATURE,
    DX_ELEM_OVD,
    DX_ELEM_GHOST,
    DX_ELEM_WATERMARK,
    DX_ELEM_PERFORATION,
    DX_ELEM_MRZ,
    DX_ELEM_COUNT
} dx_elem_type;

typedef struct dx_rect_mm {
    double x, y, w, h;
} dx_rect_mm;

typedef struct dx_spec_field {
    char label[64];
    char key[32];      /* a dx_synth_holder field, or nationality_name */
    double x, y;       /* mm: top left of the label */
    double size;       /* scale of the text, 1 = normal */
} dx_spec_field;

typedef struct dx_spec_element {
    char id[32];
    int side;          /* index into sides */
    dx_elem_type type;
    dx_rect_mm rect;
    char title[64], subtitle[64], text[32], key[32];
    int count;
    dx_spec_field fields[DX_SPEC_MAX_FIELDS];
    size_t n_fields;
} dx_spec_element;

typedef struct dx_spec_layout {
    char id[32];
    char name[128];
    char dir[4096];                 /* the specimen's directory */
    dx_mrz_format format;
    char document_type[32];
    double page_w_mm, page_h_mm;
    char sides[DX_SPEC_MAX_SIDES][16];
    size_t n_sides;
    char lights[DX_SPEC_MAX_LIGHTS][DX_ILLUM_NAME_MAX];
    size_t n_lights;
    int reference_dpi;
    char valid_from[11], valid_until[11]; /* YYYY-MM-DD or "" */
    dx_synth_holder holder;         /* the specimen's sample holder */
    char chip_aa[8];                /* "rsa", "ecdsa" or "" */
    bool chip_auth;
    int pace_params[4];
    size_t n_pace;
    dx_spec_element elems[DX_SPEC_MAX_ELEMENTS];
    size_t n_elems;
} dx_spec_layout;

/* Find specimen `id` under `specimens_dir` (share/docex/specimens) and read
 * its layout.  DX_ERR_NOT_FOUND (naming the ids there), DX_ERR_DATA (what,
 * where, why). */
dx_status dx_spec_layout_load(const char *specimens_dir, const char *id, dx_spec_layout *out,
                              dx_error *err);

/* The element with `id`, or NULL. */
const dx_spec_element *dx_spec_layout_find(const dx_spec_layout *l, const char *id);

#endif
