/* The Lua rule engine (internal; a public dx_ API comes later).
 *
 * A rule set is one Lua file run in its own sandboxed lua_State: base (without
 * dofile/loadfile, load in text mode only), string, table, math, utf8, and a
 * require() that loads only <lib_dir>/<name>.lua.  The file declares checks
 * with check{ id, notation = {light, property, feature}, mode, group, run }
 * (validated at load time, errors name file:line).  dx_rules_run() calls each
 * check's run(ctx) under lua_pcall with a memory cap (custom lua_Alloc) and an
 * instruction budget (count hook); a check that errors, loops or allocates
 * without bound becomes ABORTED with its traceback, and the run goes on.
 *
 * The document reaches the rules through a provider (callbacks + user data),
 * so the engine does not know how measurements are made.
 *
 * Results aggregate by the BSI TR-03135 precedence
 * failed > aborted > undetermined > passed > not supported, per group and
 * overall (see aggregate.c for how the modes count).
 *
 * Threads: a dx_rules_set is used from one thread at a time.
 *
 * The header is not installed; its functions are exported (DX_API) so that
 * the docex command can use them until the public rules API exists. */
#ifndef DOCEX_RULES_H
#define DOCEX_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"

#define DX_CAT_RULES "rules"

/* Ordered by precedence: a larger value wins when results aggregate. */
typedef enum dx_rules_result {
    DX_RULES_NOT_SUPPORTED = 0,
    DX_RULES_PASSED = 1,
    DX_RULES_UNDETERMINED = 2,
    DX_RULES_ABORTED = 3,
    DX_RULES_FAILED = 4
} dx_rules_result;

typedef enum dx_rules_mode {
    DX_RULES_MANDATORY = 0,
    DX_RULES_OPTIONAL = 1,
    DX_RULES_EVALUATORY = 2 /* reported, never part of a verdict */
} dx_rules_mode;

typedef enum dx_rules_group {
    DX_RULES_GROUP_MRZ = 0,
    DX_RULES_GROUP_OPTICAL = 1,
    DX_RULES_GROUP_CHIP = 2,
    DX_RULES_GROUP_CROSS = 3,
    DX_RULES_GROUP_COUNT_ = 4
} dx_rules_group;

DX_API const char *dx_rules_result_str(dx_rules_result r);  /* "passed", "not_supported", ... */
DX_API const char *dx_rules_mode_str(dx_rules_mode m);
DX_API const char *dx_rules_group_str(dx_rules_group g);
DX_API bool dx_rules_result_parse(const char *s, dx_rules_result *out);
DX_API bool dx_rules_mode_parse(const char *s, dx_rules_mode *out);
DX_API bool dx_rules_group_parse(const char *s, dx_rules_group *out);

/* ---- limits -------------------------------------------------------------- */

typedef struct dx_rules_options {
    const char *lib_dir;     /* require() root; NULL: <datadir>/scripts/lib */
    size_t mem_limit;        /* bytes per lua_State; 0: 64 MiB */
    uint64_t check_budget;   /* VM instructions per check run; 0: 50 million */
    uint64_t load_budget;    /* VM instructions to load the file; 0: 10 million */
    /* An object whose members become read-only globals while the file loads
     * and runs (e.g. SPECIMEN: the specimen, so a rule set can declare one
     * check per feature); NULL: none.  Copied into the sandbox at open. */
    const json_t *globals;
} dx_rules_options;

/* ---- the provider: the document as the rules see it ---------------------- */

/* A region: a feature of the specimen (feature != NULL) or a rectangle in mm
 * on the page, under one light (NULL: the feature's default light). */
typedef struct dx_rules_rect {
    double x, y, w, h; /* mm */
} dx_rules_rect;

typedef struct dx_rules_region_ref {
    const char *feature; /* specimen feature or layout element id, or NULL */
    dx_rules_rect rect;  /* when feature == NULL */
    const char *light;   /* illumination name, or NULL */
} dx_rules_region_ref;

/* What region methods measure; each is one provider call. */
typedef enum dx_rules_measure {
    DX_RULES_M_MEAN = 0,
    DX_RULES_M_STATS,
    DX_RULES_M_CONTRAST,
    DX_RULES_M_FLUORESCENCE, /* `other`: the substrate region */
    DX_RULES_M_ABSORPTION,
    DX_RULES_M_SIMILARITY,   /* `other`: the reference region, or NULL: the specimen's */
    DX_RULES_M_FIBRES,
    DX_RULES_M_SHARPNESS,
    DX_RULES_M_BRIGHT_FRACTION, /* share of bright pixels (light through the page) */
    DX_RULES_M_SURROUND,     /* against a ring around the region */
    DX_RULES_M_COLOUR,       /* mean colour: CIE L*a*b* and RGB */
    DX_RULES_M_VIZ,          /* a visual-zone field against the text the MRZ gives */
    DX_RULES_M_COUNT_
} dx_rules_measure;

DX_API const char *dx_rules_measure_str(dx_rules_measure m); /* "mean", "stats", ... */

#define DX_RULES_MAX_FIELDS 16

/* A measurement: one number (n_fields == 0; the method returns `value`), or
 * that number and named details (the method returns value, table); stats
 * returns the table alone. */
typedef struct dx_rules_measurement {
    double value;
    size_t n_fields;
    struct {
        char name[32];
        double value;
    } fields[DX_RULES_MAX_FIELDS];
} dx_rules_measurement;

typedef struct dx_rules_capture_info {
    int width, height; /* pixels */
    double dpi;
    char sha256[65];   /* hex, or "" */
} dx_rules_capture_info;

/* Every callback may be NULL (then: absent / not supported).  Called from the
 * thread that calls dx_rules_run(), only during it. */
typedef struct dx_rules_provider {
    void *user;
    /* The document's data as JSON, `part` one of "specimen" (id, features...),
     * "mrz" (valid, fields, checks, warnings), "chip", "inspection" (date,
     * today, source...): a borrowed reference
     * valid during the run, or NULL when absent (ctx.<part> is nil). */
    json_t *(*document)(void *user, const char *part);
    /* true and *out filled when there is a capture under `light`. */
    bool (*capture)(void *user, const char *light, dx_rules_capture_info *out);
    /* Measure `what` on `region` (`other`: see dx_rules_measure).  DX_OK with
     * *out filled; DX_ERR_UNSUPPORTED when this provider cannot (the method
     * returns nil, "not supported: ..."); another status with err set for a
     * failure (nil, message). */
    dx_status (*measure)(void *user, dx_rules_measure what, const dx_rules_region_ref *region,
                         const dx_rules_region_ref *other, dx_rules_measurement *out,
                         dx_error *err);
} dx_rules_provider;

/* ---- rule sets --------------------------------------------------------- */

typedef struct dx_rules_notation {
    char *light, *property, *feature; /* TR-03135 (light, property, feature) */
} dx_rules_notation;

typedef struct dx_rules_check_info {
    char *id;
    dx_rules_notation notation;
    dx_rules_mode mode;
    dx_rules_group group;
    char *where; /* "file:line" of the declaration */
} dx_rules_check_info;

typedef struct dx_rules_set dx_rules_set;

/* Load a rule file into a new sandbox.  A syntax error, a failing top-level
 * statement, an invalid check{} or a file without checks is DX_ERR_DATA with
 * "file:line: why" in err; a missing file DX_ERR_NOT_FOUND. */
DX_API dx_status dx_rules_open(const char *path, const dx_rules_options *opts, dx_rules_set **out,
                        dx_error *err);
DX_API void dx_rules_free(dx_rules_set *rs);
DX_API size_t dx_rules_count(const dx_rules_set *rs);
DX_API const dx_rules_check_info *dx_rules_check_at(const dx_rules_set *rs, size_t i);
/* Bytes the sandbox holds now (tests). */
DX_API size_t dx_rules_memory(const dx_rules_set *rs);

/* ---- findings ------------------------------------------------------------ */

typedef struct dx_rules_finding {
    dx_rules_check_info check;   /* copied from the set */
    dx_rules_result result;
    enum { DX_RULES_V_NONE, DX_RULES_V_NUMBER, DX_RULES_V_TEXT } value_kind;
    double value;
    char *value_text;
    bool has_min, has_max;       /* expected = {min=, max=} */
    double min, max;
    char *expected_text;         /* or expected = "text" */
    bool has_region;
    dx_rules_region_ref region;  /* feature/light strings owned */
    bool has_related;            /* a cross-check's other place (`related = region`) */
    dx_rules_region_ref related;
    char *light;                 /* light of the evidence, or NULL */
    char *message;
    char *traceback;             /* aborted checks */
    double duration_ms;
} dx_rules_finding;

typedef struct dx_rules_report {
    dx_rules_finding *findings;
    size_t n_findings;
    dx_rules_result groups[DX_RULES_GROUP_COUNT_]; /* after dx_rules_aggregate() */
    dx_rules_result verdict;
} dx_rules_report;

/* Run every check of `rs` on the document `p` gives, in declaration order,
 * appending to *report (which starts zeroed or from an earlier run) and
 * aggregating.  Check failures are findings, not errors: only out of memory
 * on the C side or a broken set returns non-DX_OK. */
DX_API dx_status dx_rules_run(dx_rules_set *rs, const dx_rules_provider *p, dx_rules_report *report,
                       dx_error *err);
/* Aggregate by TR-03135 precedence into report->groups and ->verdict. */
DX_API void dx_rules_aggregate(dx_rules_report *report);
/* Aggregate results: precedence maximum (NOT_SUPPORTED when n == 0). */
DX_API dx_rules_result dx_rules_precedence(const dx_rules_result *results, size_t n);
DX_API void dx_rules_report_clear(dx_rules_report *report);
/* findings.json: {verdict, groups{mrz,optical,chip,cross}, findings[...]}; new reference. */
DX_API json_t *dx_rules_report_json(const dx_rules_report *report);
DX_API json_t *dx_rules_finding_json(const dx_rules_finding *f);

/* ---- rule unit tests (docex rules test) --------------------------------- */

typedef struct dx_rules_test_outcome {
    char *where;   /* "file:line" of the expect{} */
    char *what;    /* "check mrz_valid", "verdict", "group optical" */
    bool ok;
    char *detail;  /* "expected failed, got passed: <message>" when !ok */
} dx_rules_test_outcome;

typedef struct dx_rules_test_result {
    char *test_file;
    char *rule_file;
    size_t n_fixtures;
    dx_rules_test_outcome *outcomes;
    size_t n_outcomes, n_failed;
} dx_rules_test_result;

/* Run one test file NAME_test.lua against the rule set NAME.lua beside it
 * (or the file its `rules "other.lua"` names).  DX_OK when it ran (outcomes
 * say what passed); DX_ERR_* when the test or the rule set did not load. */
DX_API dx_status dx_rules_test_file(const char *test_path, const dx_rules_options *opts,
                             dx_rules_test_result *out, dx_error *err);
DX_API void dx_rules_test_result_clear(dx_rules_test_result *r);

#endif
