/* The inspection: from a document on the glass (or a capture set on disk) to
 * a verdict with its evidence (internal; functions DX_API-exported for the
 * docex command, like rules.h).
 *
 * dx_inspect_run() does, in order, writing everything into the case
 * directory as it goes (a later failure never loses what is already there):
 *   1. captures: every light of the specimen (or every light the device
 *      offers) through dx_capture_set_write() into CASE/capture/, or the
 *      files of a capture set / synth scene copied there with their SHA-256
 *      (a second side, e.g. a card's back, in CASE/capture/<side>/); from a
 *      device the back is captured into CASE/capture/<side>/ once the
 *      operator has turned the document over (options' turn_over), when
 *      the specimen has two sides or the front shows no MRZ;
 *   2. the MRZ, read from the capture its ink shows best (ir870 first);
 *   3. the specimen: the one asked for, or identified from the MRZ (document
 *      code, issuing state, format), narrowed by validity dates and by
 *      visual similarity when several match; none: the generic rules only;
 *   4. registration of every side to the specimen's page (one transform per
 *      side, estimated on white, applied to every light of that side);
 *   5. the chip, when a reader is given (opened with the MRZ), or the chip
 *      files a capture directory carries (verified offline): CASE/chip/;
 *   6. the Lua rule sets (scripts/rules: icao, specimen features, the
 *      specimen's own rules.lua, cross-checks, chip) over a provider that
 *      measures with image/measure.h on the registered captures;
 *   7. evidence crops (captured and reference region under the same light)
 *      in CASE/evidence/, findings.json (share/schemas/findings.schema.json),
 *      report.html and report.pdf.
 *
 * Thread safety: one inspection per call; calls on different case
 * directories may run at the same time.
 */
#ifndef DOCEX_INSPECT_H
#define DOCEX_INSPECT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "docex/docex.h"
#include "rules/rules.h"

#define DX_CAT_INSPECT "inspect"
#define DX_FINDINGS_FORMAT "docex.findings/1"
/* Resolution the measurements are made at (page coordinates). */
#define DX_INSPECT_DEFAULT_DPI 300.0

typedef void (*dx_inspect_progress)(const char *stage, const char *message, void *user);
/* Asks the operator to turn the document over on the glass so that side
 * `side_name` (the specimen's name, or "back") faces the scanner; returns
 * 0 once it is done, non-zero to stop at one side (the inspection then goes
 * on with the front only, and says so in its warnings).  Called from the
 * calling thread, between two captures; it may block as long as it needs. */
typedef int (*dx_inspect_turn_over)(const char *side_name, void *user);

/* Which sides a --device inspection captures. */
typedef enum dx_inspect_sides {
    DX_INSPECT_SIDES_AUTO = 0,  /* the back too when the document has one (see below) */
    DX_INSPECT_SIDES_FRONT,     /* the front only; turn_over is never called */
} dx_inspect_sides;

typedef struct dx_inspect_options {
    /* exactly one source: a scanner, or a directory */
    const char *device;           /* "sim:0" */
    const char *device_settings;  /* "k=v,..." for the scanner, or NULL */
    const char *from_dir;         /* capture set (capture.json) or scene (scene.json) */
    const char *chip_device;      /* chip reader ("sim:chip0", "pcsc:..."), or NULL */
    const char *specimen;         /* an id; NULL or "auto": identify */
    const char *specimens_dir;    /* NULL: <datadir>/specimens */
    const char *rules_dir;        /* NULL: <datadir>/scripts/rules */
    const char *lib_dir;          /* NULL: <datadir>/scripts/lib */
    const char *trust_dir;        /* CSCAs, master lists, CRLs; NULL: <datadir>/trust/test */
    const char *out_dir;          /* the case directory: new, or empty */
    int32_t today;                /* YYYYMMDD the document is judged at; 0: today (UTC) */
    double measure_dpi;           /* 0: DX_INSPECT_DEFAULT_DPI */
    int32_t card_timeout_ms;      /* chip: wait for the card; 0: 10 s */
    bool no_reports;              /* findings.json only (benchmarks of the stages) */
    const volatile sig_atomic_t *interrupt;
    dx_inspect_progress progress; /* may be NULL; called from the calling thread */
    void *progress_user;
    /* --device: the back is captured after the front when the specimen asked
     * for has two sides, or (specimen auto) the front shows no MRZ, or the
     * specimen identified has two sides; turn_over is called first (NULL: go
     * on without asking). */
    dx_inspect_sides sides;
    dx_inspect_turn_over turn_over;
    void *turn_over_user;
} dx_inspect_options;

typedef struct dx_inspect_result {
    json_t *findings;             /* findings.json as written (owned) */
    dx_rules_result verdict;
    bool mandatory_failed;        /* exit status 1 */
    bool generic;                 /* no specimen: generic rules only */
    char specimen_id[64];         /* "" when unknown */
    char findings_path[4200], report_html[4200], report_pdf[4200]; /* "" when not written */
    double report_ms, total_ms;   /* the reports (not in findings.json's timings), all */
} dx_inspect_result;

/* Run an inspection.  DX_OK when it ran to its end (the verdict may be
 * anything); an error status when it could not (no capture, the case
 * directory cannot be written, ...) — then err says what, where and why, and
 * what was captured so far stays in the case directory. */
DX_API dx_status dx_inspect_run(dx_host *host, const dx_inspect_options *opts,
                                dx_inspect_result *out, dx_error *err);
DX_API void dx_inspect_result_clear(dx_inspect_result *r);

#endif
