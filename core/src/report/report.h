/* The inspection reports (internal): CASE/report.html and CASE/report.pdf,
 * made from an inspection's findings.json (format docex.findings/1, see
 * share/schemas/findings.schema.json) and the files of its case directory.
 *
 * Both reports hold the same content, in this order: the verdict, the
 * document and how its specimen was chosen, the group verdicts, date, docex
 * version and source; the MRZ and the chip summary; the findings (failed
 * first, then aborted, undetermined, passed, not supported; file order within
 * a class) with their evidence images; the files with their SHA-256 (checked
 * against the case directory) and the SHA-256 of CASE/findings.json; the
 * registrations and the timings.
 *
 * findings.json is outside data: every text in it is escaped (HTML) or set as
 * plain text (PDF, pango without markup), invalid UTF-8 and control
 * characters become '?', a text longer than 64 KiB is cut.  A key of the
 * wrong type counts as absent.  Paths in it (evidence, files) are relative to
 * case_dir: a path that is absolute, has a ".." component, leads out of
 * case_dir through a symbolic link, or is not a regular file is refused, and
 * the report says so in place of the image; a missing, corrupt, oversized
 * (over 32 MiB, or over 16384 pixels a side / 32 Mpixels) evidence image is
 * shown as "image missing: <why>".  None of these is an error: the report is
 * still written.  Images beyond 256 MiB in total are left out with a note.
 *
 * Both functions write atomically (a temporary file in out_path's directory,
 * fsync, rename): out_path holds the whole report or is untouched.  They log
 * through the "report" category and never print.  Thread-safe: they share
 * no state (pango's font map is per thread).
 *
 * The header is not installed; its functions are exported (DX_API) so that
 * the docex command can use them. */
#ifndef DOCEX_REPORT_H
#define DOCEX_REPORT_H

#include <jansson.h>

#include "docex/docex.h"

#define DX_CAT_REPORT "report"
#define DX_FINDINGS_FORMAT "docex.findings/1"

/* Write the HTML report of the case: self-contained (CSS inline, every image
 * a data: URI of its PNG bytes, no link out, a Content-Security-Policy that
 * forbids scripts).  `findings` is the findings.json object (borrowed, not
 * changed); out_path NULL means <case_dir>/report.html.
 * DX_OK: written.  DX_ERR_INVALID_ARG: case_dir NULL or findings not an
 * object.  DX_ERR_NOT_FOUND: case_dir is not a directory.  DX_ERR_IO: out_path
 * cannot be written (nothing left behind).  DX_ERR_NO_MEMORY. */
DX_API dx_status dx_report_html(const char *case_dir, const json_t *findings,
                                const char *out_path, dx_error *err);

/* Write the PDF report of the case with cairo: A4 pages, text through pango
 * (plain text, no markup), images scaled to fit, page breaks where a page is
 * full, "page N of M" on every page.  out_path NULL means
 * <case_dir>/report.pdf.  Statuses as dx_report_html(); DX_ERR_INTERNAL when
 * cairo fails for another reason (its status in the message). */
DX_API dx_status dx_report_pdf(const char *case_dir, const json_t *findings,
                               const char *out_path, dx_error *err);

/* As dx_report_pdf(), and *pages (if not NULL) gets the page count. */
DX_API dx_status dx_report_pdf_pages(const char *case_dir, const json_t *findings,
                                     const char *out_path, unsigned *pages, dx_error *err);

#endif
