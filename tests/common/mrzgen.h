/* mrzgen — seeded generator of valid ICAO 9303 MRZs for tests and benchmarks.
 *
 * Every format of 9303 Parts 4-7 (TD1 3x30, TD2 2x36, TD3 2x44, MRV-A 2x44,
 * MRV-B 2x36) with realistic fields: document codes and their second
 * letters, states from a list of 9303 Part 3 codes (UTO, D, ISO alpha-3,
 * EUE, UNO, XX*), names with '<' separators and truncation, birth dates
 * with unknown day or month, sex M/F/X/<, optional data, TD1 document
 * numbers longer than nine characters continued in the optional data.  The
 * check digits come from dx_mrz_check_digit(), the composite from each
 * format's ranges (9303 Part 5 4.2.2, Part 6 4.2.2.2, Part 4 4.2.2.2).
 *
 * The generated values are kept in the form dx_mrz reports them: fillers
 * removed, '<' inside names as spaces, '<' sex reported as 'X'. */
#ifndef DOCEX_TESTS_MRZGEN_H
#define DOCEX_TESTS_MRZGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/mrz.h"

/* splitmix64: a tiny, seedable, portable generator. */
typedef struct mrzgen_rng {
    uint64_t s;
} mrzgen_rng;

uint64_t mrzgen_next(mrzgen_rng *r);
/* uniform in [0, n) (n > 0) */
uint32_t mrzgen_below(mrzgen_rng *r, uint32_t n);

/* Reference date for the generated dates (birth in the past, expiry within
 * 20 years before to 15 years after it). */
#define MRZGEN_TODAY 20261126

typedef struct mrzgen_doc {
    dx_mrz_format format;
    size_t n_lines;
    char lines[DX_MRZ_MAX_LINES][45];
    /* what a parser should report */
    char document_code[3];
    char issuing_state[4];
    char document_number[40];
    char nationality[4];
    char birth_date[7];   /* raw YYMMDD, maybe with '<' */
    int birth_year, birth_month, birth_day; /* 0 = unknown */
    char sex;             /* 'M', 'F', 'X' ('<' in the MRZ: 'X') */
    char sex_raw;         /* as written */
    char expiry_date[7];
    int expiry_year, expiry_month, expiry_day;
    char surname[64];
    char given_names[96];
    bool name_truncated;
    char optional_data[32];   /* TD3 personal number; TD1 line 1 rest */
    char optional_data_2[32]; /* TD1 line 2 */
    bool long_number;         /* TD1 document number > 9 characters */
} mrzgen_doc;

/* A valid MRZ of format f (DX_MRZ_UNKNOWN: any format). */
void mrzgen_make(mrzgen_rng *r, dx_mrz_format f, mrzgen_doc *out);

/* Line length and count of a format (0 for DX_MRZ_UNKNOWN). */
size_t mrzgen_line_len(dx_mrz_format f);
size_t mrzgen_line_count(dx_mrz_format f);

/* The MRZ alphabet: "0-9A-Z<" (37 characters). */
extern const char mrzgen_alphabet[38];

#endif
