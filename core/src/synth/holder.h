/* docex synth — the holder of a synthetic Utopia document.
 *
 * One record drives everything a document shows: the visual zone, the MRZ
 * (composed by dx_synth_mrz_compose()) and the chip's DG1/DG11/DG12.  Every
 * string is NUL-terminated upper-case text as printed in the visual zone
 * (names with spaces, not '<').  Dates are YYYYMMDD.  No real person: the
 * default is the ICAO 9303 specimen holder of Utopia. */
#ifndef DOCEX_SYNTH_HOLDER_H
#define DOCEX_SYNTH_HOLDER_H

#include <stddef.h>

#include <jansson.h>

#include "docex/docex.h"
#include "docex/mrz.h"

typedef struct dx_synth_holder {
    char document_code[3];    /* "P", "I", "ID", "AC"... without fillers */
    char issuing_state[4];    /* "UTO" */
    char surname[40];         /* "ERIKSSON" */
    char given_names[40];     /* "ANNA MARIA" */
    char document_number[16]; /* "L898902C3"; TD1 allows more than 9 */
    char nationality[4];      /* "UTO" */
    char birth_date[9];       /* YYYYMMDD */
    char sex;                 /* 'M', 'F' or 'X' (printed '<' in the MRZ) */
    char expiry_date[9];      /* YYYYMMDD */
    char issue_date[9];       /* YYYYMMDD */
    char place_of_birth[40];  /* "ZENITH" */
    char authority[40];       /* "UTOPIA PASSPORT OFFICE" */
    char optional_data[32];   /* personal number or "" */
    char can[7];              /* card access number (6 digits) */
} dx_synth_holder;

/* The specimen holder (ERIKSSON ANNA MARIA of Utopia, valid until 2034). */
void dx_synth_holder_default(dx_synth_holder *h);

/* Read FILE.json over *h (fields absent from the file keep their value) and
 * check every field: characters an MRZ can carry, lengths, real dates.
 * DX_ERR_IO / DX_ERR_DATA with what, where and why. */
dx_status dx_synth_holder_load(const char *path, dx_synth_holder *h, dx_error *err);

/* The same from a parsed JSON object; `where` names it in errors. */
dx_status dx_synth_holder_apply(json_t *obj, const char *where, dx_synth_holder *h,
                                dx_error *err);

/* The holder as a JSON object (caller frees with free()). */
char *dx_synth_holder_to_json(const dx_synth_holder *h);

/* Compose the MRZ of `format` (TD1 for "I"/"ID"/"AC" cards, TD3 for
 * passports) with every check digit (ICAO 9303 Parts 4-5).  DX_ERR_DATA when a
 * field cannot be written in that format. */
dx_status dx_synth_mrz_compose(const dx_synth_holder *h, dx_mrz_format format,
                               char lines[DX_MRZ_MAX_LINES][45], size_t *n_lines,
                               dx_error *err);

#endif
