/* The 9303 Part 3 code table, generated from share/icao/codes.json. */
#ifndef DOCEX_ICAO_MRZ_CODES_H
#define DOCEX_ICAO_MRZ_CODES_H

#include <stddef.h>

typedef struct dx_mrz_code_row {
    const char *code; /* "UTO", "D" (fillers removed) */
    const char *name;
    const char *kind; /* state, organisation, nationality_status, specimen */
} dx_mrz_code_row;

/* Sorted by code (strcmp order): the JSON is kept sorted, and the parser
 * checks it once. */
extern const dx_mrz_code_row dx_mrz_codes[];
extern const size_t dx_mrz_codes_count;

#endif
