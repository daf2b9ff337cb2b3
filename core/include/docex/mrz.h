/* docex — machine readable zones (ICAO Doc 9303 Parts 3-7).
 *
 * dx_mrz_parse() takes the text lines of an MRZ, finds its format, splits every
 * field, checks every check digit and the composite, and reports each check
 * with what it expected and found, never dropping a field that fails.
 * dx_mrz_read_image() (mrz_read.c) finds and recognises the MRZ in a capture.
 */
#ifndef DOCEX_MRZ_H
#define DOCEX_MRZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dx_mrz_format {
    DX_MRZ_UNKNOWN = 0,
    DX_MRZ_TD1 = 1,  /* 3 x 30: identity cards */
    DX_MRZ_TD2 = 2,  /* 2 x 36 */
    DX_MRZ_TD3 = 3,  /* 2 x 44: passports */
    DX_MRZ_MRVA = 4, /* 2 x 44: visa, format A */
    DX_MRZ_MRVB = 5  /* 2 x 36: visa, format B */
} dx_mrz_format;

/* "TD1", "TD2", "TD3", "MRV-A", "MRV-B" or "unknown". */
DX_API const char *dx_mrz_format_name(dx_mrz_format f);

#define DX_MRZ_MAX_LINES 3
#define DX_MRZ_MAX_CHECKS 12
#define DX_MRZ_MAX_WARNINGS 12

/* A date field YYMMDD.  9303 allows unknown parts as '<' (day, or day and
 * month); year, month, day are then 0.  `valid` is false when the text is not
 * a date at all (the check reports it). */
typedef struct dx_mrz_date {
    char raw[7];
    int year, month, day; /* full year chosen by the century rule; 0 = unknown */
    bool valid;
} dx_mrz_date;

typedef struct dx_mrz_check {
    char name[32];      /* "document_number", "birth_date", "expiry_date",
                           "optional_data", "composite", "document_code", "sex",
                           "issuing_state", "nationality", ... */
    bool ok;
    char expected[48];  /* what would have passed ("7", "digit", "M|F|X|<") */
    char found[48];     /* what is there */
} dx_mrz_check;

typedef struct dx_mrz {
    dx_mrz_format format;
    bool valid;                           /* every check passed */
    size_t n_lines;
    char lines[DX_MRZ_MAX_LINES][45];     /* as parsed (upper case, '<' filler) */
    /* fields, '<' filler removed ("" when absent) */
    char document_code[3];
    char issuing_state[4];
    char document_number[40];             /* TD1: continued in the optional data */
    char nationality[4];
    dx_mrz_date birth_date;
    char sex;                             /* as found: 'M', 'F', 'X', '<' (unspecified) */
    dx_mrz_date expiry_date;
    char surname[64];                     /* primary identifier, '<' as space */
    char given_names[96];                 /* secondary identifier, '<' as space */
    bool name_truncated;                  /* the name field is full: may be cut */
    char optional_data[32];
    char optional_data_2[32];             /* TD1 line 2 */
    dx_mrz_check checks[DX_MRZ_MAX_CHECKS];
    size_t n_checks;
    char warnings[DX_MRZ_MAX_WARNINGS][128];
    size_t n_warnings;
} dx_mrz;

typedef struct dx_mrz_options {
    /* Reference date for the century rule and the expiry warning, as
     * YYYYMMDD (e.g. 20261126); 0 = today (UTC). */
    int32_t today;
} dx_mrz_options;

/* ICAO 9303 check digit of `n` characters (weights 7-3-1, '<' = 0, A-Z =
 * 10-35): 0..9, or -1 when a character is not of the MRZ alphabet. */
DX_API int dx_mrz_check_digit(const char *s, size_t n);

/* Parse and validate.  Blank lines and surrounding spaces are ignored; lower
 * case is not accepted.  DX_ERR_DATA when the text is not an MRZ at all (line
 * count, length or characters), with a message saying what is wrong and
 * where; otherwise DX_OK and *out filled in (out->valid says whether every
 * check passed).  `opts` may be NULL. */
DX_API dx_status dx_mrz_parse(const char *const *lines, size_t n_lines, const dx_mrz_options *opts,
                              dx_mrz *out, dx_error *err);

/* The MRZ as JSON (share/schemas/mrz.schema.json); caller frees. */
DX_API char *dx_mrz_to_json(const dx_mrz *m);

/* Is `code` a state or organisation code of 9303 Part 3 (share/docex/icao/
 * codes.json, compiled in)?  Returns its name, or NULL. */
DX_API const char *dx_mrz_code_name(const char *code);

#ifdef __cplusplus
}
#endif
#endif
