/* Shared by the two report writers: findings.json read once into a model of
 * ready-to-show texts (sanitised UTF-8, never NULL where documented), the
 * evidence images loaded and checked, and an atomic output file. */
#ifndef DOCEX_REPORT_INTERNAL_H
#define DOCEX_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cairo.h>

#include "report/report.h"

#define DX_REPORT_TEXT_MAX (64u * 1024u)           /* bytes of one text shown */
#define DX_REPORT_IMAGE_MAX (32u * 1024u * 1024u)  /* bytes of one image file */
#define DX_REPORT_IMAGES_MAX (256u * 1024u * 1024u) /* bytes of all images */
#define DX_REPORT_IMAGE_SIDE_MAX 16384
#define DX_REPORT_IMAGE_PIXELS_MAX (32u * 1024u * 1024u)

/* Result classes in the order the findings are shown (and the colours). */
typedef enum dx_report_class {
    DX_REPORT_FAILED = 0,
    DX_REPORT_ABORTED,
    DX_REPORT_UNDETERMINED,
    DX_REPORT_PASSED,
    DX_REPORT_NOT_SUPPORTED,
    DX_REPORT_OTHER /* an unknown result text: shown last, amber */
} dx_report_class;

/* A label and a text. */
typedef struct dx_report_kv {
    const char *key, *value;
} dx_report_kv;

/* An evidence image.  When ok, png/len are the file's bytes (a valid PNG of
 * width x height).  note: NULL, or what to show instead of the image (!ok:
 * "image missing: ...", "image refused: ...") or beside it (ok: a SHA-256
 * that differs from the one recorded). */
typedef struct dx_report_image {
    bool present;             /* findings.json names this image */
    bool ok;
    const char *path;         /* as named (sanitised), or "" */
    const char *caption;      /* "captured (uv365)" */
    unsigned char *png;       /* malloc'd, model_free frees */
    size_t len;
    int width, height;
    char sha256[65];          /* of png, when ok */
    const char *note;
} dx_report_image;

typedef struct dx_report_finding {
    size_t index;             /* position in findings.json */
    dx_report_class cls;
    const char *id, *notation, *result, *message;
    const char *traceback;    /* NULL when none */
    dx_report_kv *rows;       /* mode, group, value, expected, region, ... */
    size_t n_rows;
    dx_report_image captured, reference;
} dx_report_finding;

typedef struct dx_report_file {
    const char *path, *role, *bytes, *sha256;
    const char *check;        /* "ok", "differs: ...", "missing: ...", "refused: ..." */
    bool check_ok;
} dx_report_file;

typedef struct dx_report_chunk dx_report_chunk;

typedef struct dx_report_model {
    dx_report_chunk *arena;   /* every text of the model */
    bool oom;
    const char *format_note;  /* NULL, or why the format is unexpected */
    const char *verdict;      /* "failed", ... ("unknown" when absent) */
    dx_report_class verdict_cls;
    const char *document;     /* "UTO-P-2024 — name" / "unknown document: ..." */
    dx_report_kv *head;       /* specimen choice, date, version, source */
    size_t n_head;
    dx_report_kv groups[4];   /* mrz, optical, chip, cross */
    dx_report_class group_cls[4];
    bool has_mrz;
    const char **mrz_lines;
    size_t n_mrz_lines;
    dx_report_kv *mrz;        /* format, valid, source */
    size_t n_mrz;
    bool has_chip;
    dx_report_kv *chip;
    size_t n_chip;
    dx_report_finding *findings; /* in report order */
    size_t n_findings;
    size_t class_count[DX_REPORT_OTHER + 1];
    const char *summary;      /* "12 findings: 2 failed, ..." */
    dx_report_file *files;
    size_t n_files;
    const char *findings_sha256; /* of CASE/findings.json, or why not */
    const char *const *reg_cols; /* 6 column titles */
    const char **reg;         /* n_reg rows x 6 cells */
    const char **reg_error;   /* per row: NULL, or why the side was not registered */
    size_t n_reg;
    const char **warnings;    /* findings.json's "warnings" (texts) */
    size_t n_warnings;
    dx_report_kv *timings;
    size_t n_timings;
    size_t image_bytes;       /* embedded so far (DX_REPORT_IMAGES_MAX) */
    const char *generator;    /* "docex 0.1.0" (this library) */
} dx_report_model;

/* Read `findings` (a JSON object, borrowed) and the files of case_dir it
 * names into *m.  Bad content is shown, not refused: only a missing case_dir
 * (DX_ERR_NOT_FOUND), findings not an object (DX_ERR_INVALID_ARG) or out of
 * memory fail.  dx_report_model_free() in every case. */
dx_status dx_report_model_load(dx_report_model *m, const char *case_dir, const json_t *findings,
                               dx_error *err);
void dx_report_model_free(dx_report_model *m);

/* "failed", ... to a class. */
dx_report_class dx_report_class_of(const char *result);

/* PNG bytes decoded by cairo (an error surface when they are not a PNG);
 * the caller destroys it. */
cairo_surface_t *dx_report_png_surface(const unsigned char *png, size_t len);

/* The two reports from one model (dx_report_model_load), which both only
 * read: the inspection loads it once and writes them at the same time. */
dx_status dx_report_html_of(const dx_report_model *m, const char *case_dir, const char *out_path,
                            dx_error *err);
dx_status dx_report_pdf_of(const dx_report_model *m, const char *case_dir, const char *out_path,
                           unsigned *pages, dx_error *err);

/* Load and shape report.pdf's fonts in the calling thread's pango font map
 * (one per thread), for a dx_report_pdf_of() this thread makes later: a
 * thread that has something else to wait for can do it meanwhile. */
void dx_report_pdf_warm(void);

/* pdf_images.c: report.pdf's images as their PNG files hold them (see there). */
typedef struct dx_pdf_png {
    const unsigned char *png; /* the file, not owned */
    size_t len;
    uint32_t width, height;
    unsigned bits, colors;    /* 8 or 16; 1 (grey) or 3 (RGB) */
    size_t idat_bytes;        /* the zlib stream's length */
} dx_pdf_png;

typedef struct dx_pdf_image {
    dx_pdf_png png;
    bool interpolate;         /* smoothed when scaled (drawn smaller) */
} dx_pdf_image;

/* A non-interlaced 8/16-bit grey or RGB PNG whose IDAT chunks are
 * consecutive: its layout (false for any other). */
bool dx_pdf_png_layout(const unsigned char *png, size_t len, dx_pdf_png *out);
/* An image surface of the PNG's size carrying placeholder `index` (NULL when
 * out of memory or larger than 65535 pixels a side). */
cairo_surface_t *dx_pdf_placeholder(const dx_pdf_png *l, unsigned index);
/* The PDF cairo wrote (pdf, n) to f with placeholder i replaced by
 * images[i]'s PNG data.  DX_ERR_UNSUPPORTED (nothing written) when the PDF
 * is not as expected; DX_ERR_IO, DX_ERR_NO_MEMORY. */
dx_status dx_pdf_splice(const unsigned char *pdf, size_t n, const dx_pdf_image *images,
                        size_t n_images, FILE *f, dx_error *err);

/* An output file written atomically: a temporary file beside `path`, made
 * visible under `path` by dx_report_out_commit() only. */
typedef struct dx_report_out {
    FILE *f;
    char tmp[4096], path[4096], dir[4096];
} dx_report_out;

dx_status dx_report_out_open(dx_report_out *o, const char *path, dx_error *err);
/* Flush, sync, rename; on failure the temporary file is removed. */
dx_status dx_report_out_commit(dx_report_out *o, dx_error *err);
/* Drop the temporary file (no-op after commit). */
void dx_report_out_abort(dx_report_out *o);

/* <case_dir>/<name> into buf when out_path is NULL, else out_path. */
const char *dx_report_out_path(const char *case_dir, const char *out_path, const char *name,
                               char *buf, size_t size);

#endif
