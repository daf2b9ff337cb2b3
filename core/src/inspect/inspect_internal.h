/* Inspection internals: the document as captured (sides x lights), its
 * registration, and the measurement provider for the rules. */
#ifndef DOCEX_INSPECT_INTERNAL_H
#define DOCEX_INSPECT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "docex/chip.h"
#include "docex/illumination.h"
#include "docex/mrz_read.h"
#include "docex/specimen.h"
#include "image/image.h"
#include "image/measure.h"
#include "image/register.h"
#include "inspect/inspect.h"

#define INS_MAX_SIDES 2
/* the longest key of a page in the reference cache (refcache.c), NUL included */
#define DX_INS_CACHE_KEY 256
#define INS_MAX_LIGHTS 24

typedef struct ins_light {
    char name[DX_ILLUM_NAME_MAX];
    char path[4200];            /* the copy in the case directory */
    char rel[256];              /* relative to the case directory */
    char sha256[65];
    double dpi;                 /* of the capture (0: unknown) */
    bool transmitted;           /* light through the page */
    dx_png_image png;           /* decoded on first use */
    atomic_int decoding;        /* 0, 1 while a thread decodes it, 2 decoded (or failed) */
    bool loaded;
    dx_status load_status;
    char load_error[300];
    dx_reg_image page;          /* registered, at the measurement dpi */
    bool resampled;
    dx_status page_status;
    char page_error[300];
    double ms_decode, ms_resample; /* work done on it */
} ins_light;

typedef struct ins_ref {
    char light[DX_ILLUM_NAME_MAX];
    char path[4200];
    char file[256];
    dx_reg_image img;
    bool loaded;
    dx_status status;
    char error[300];
    char sha256[65];
    char cache_key[DX_INS_CACHE_KEY]; /* decoded here: kept in the cache under this (refcache.c), later */
    double ms;
} ins_ref;

typedef struct ins_side {
    char name[32];              /* the specimen's side name, or "front"/"back" */
    char dir[4200];             /* case directory of its captures */
    ins_light lights[INS_MAX_LIGHTS];
    size_t n_lights;
    dx_reg_transform t;
    bool registered;
    dx_status reg_status;
    char reg_error[300];
    char reg_light[DX_ILLUM_NAME_MAX];
    /* the specimen's reference images of this side, loaded on first use */
    ins_ref refs[INS_MAX_LIGHTS];
    size_t n_refs;
} ins_side;

typedef struct dx_inspection {
    const dx_inspect_options *o;
    double dpi;                         /* measurement dpi */
    char case_dir[4096];
    ins_side sides[INS_MAX_SIDES];
    size_t n_sides;
    double page_w_mm, page_h_mm;        /* of the specimen, or of the ICAO format */
    dx_specimen *spec;                  /* NULL: unknown document */
    const char *specimens_dir;
    /* the MRZ */
    bool have_mrz;
    dx_mrz_read_result mrz;
    size_t mrz_side;
    char mrz_light[DX_ILLUM_NAME_MAX];
    /* the chip */
    dx_chip_result *chip;
    dx_png_image face;                  /* CASE/chip/face.png */
    bool face_loaded;
    dx_status face_status;
    /* the VIZ fields the MRZ determines (viz.h), made on first use */
    void *viz;                          /* dx_viz_field array */
    size_t n_viz;
    bool viz_made;
    dx_status viz_status;
    char viz_error[300];
    void *viz_pre;                      /* their comparisons at ir870, made ahead (provider.c) */
    /* documents the rules see */
    json_t *j_specimen, *j_mrz, *j_chip, *j_inspection;
    /* the first side's lights decoded ahead, registration light first
     * (dx_ins_predecode), until dx_ins_prepare stops it */
    ins_light *pre[INS_MAX_LIGHTS];
    size_t n_pre;
    pthread_t pre_tid;
    bool pre_running;
    atomic_bool pre_stop;
    /* the reference pages decoded in dx_ins_prepare, written to the cache
     * on a thread of their own; dx_ins_sides_free waits for it */
    pthread_t cache_tid;
    bool cache_running;
    struct ins_ref *cache_refs[INS_MAX_SIDES * INS_MAX_LIGHTS];
    size_t n_cache_refs;
    /* timings, ms */
    double t_load, t_registration, t_measure;
} dx_inspection;

/* inspect.c */
/* A progress line: logged, and given to the options' progress callback. */
void dx_ins_progress(dx_inspection *in, const char *stage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The options' interrupt flag is set. */
bool dx_ins_interrupted(dx_inspection *in);

/* acquire.c */
/* --from: copy the set (side 1) and a subdirectory set (side 2, a card's
 * back) into CASE/capture[/NAME] with a capture.json each. */
dx_status dx_ins_acquire_dir(dx_inspection *in, dx_error *err);
/* --device: capture the lights into CASE/capture (side 1, "front"). */
dx_status dx_ins_acquire_device(dx_inspection *in, dx_host *host, json_t *warnings, dx_error *err);
/* --device: the second side `name` (a directory name; else "back") into
 * CASE/capture/<name>, once opts->turn_over said the document was turned
 * over.  `why` ends the warnings when it is not captured (the front only was
 * asked for, the operator stopped, the capture failed): then DX_OK with one
 * side.  An error only when interrupted. */
dx_status dx_ins_acquire_back(dx_inspection *in, dx_host *host, const char *name, const char *why,
                              json_t *warnings, dx_error *err);
/* With a two-sided specimen: a warning when the second capture looks more
 * like the first side's reference than the second's under white (a low
 * resolution NCC; the document was not turned over).  Never fails. */
void dx_ins_check_sides(dx_inspection *in, json_t *warnings);

/* page.c */
/* CLOCK_MONOTONIC in ms. */
double dx_ins_now_ms(void);
/* snprintf for messages and paths that may be cut (never overflows); the
 * compiler's truncation analysis does not apply to it. */
void dx_ins_fmt(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The light `name` of side s, or NULL. */
ins_light *dx_ins_light(dx_inspection *in, size_t s, const char *name);
/* Decode the capture (once). */
dx_status dx_ins_light_load(dx_inspection *in, ins_light *l, dx_error *err);
/* Start decoding the first side's lights on a thread of their own, the
 * registration light first (the MRZ is read meanwhile); dx_ins_light_load()
 * of a light being decoded waits for it; prepare and free stop the thread. */
void dx_ins_predecode(dx_inspection *in);
/* Register side s (once): estimate on white (else the first reflected light). */
dx_status dx_ins_register(dx_inspection *in, size_t s, dx_error *err);
/* The page image of side s under `light` at the measurement dpi (once). */
dx_status dx_ins_page(dx_inspection *in, size_t s, const char *light, const dx_reg_image **out,
                      dx_error *err);
/* The specimen's reference image of side s under `light` (its own dpi). */
dx_status dx_ins_reference(dx_inspection *in, size_t s, const char *light,
                           const dx_reg_image **out, const char **path, const char **sha256,
                           dx_error *err);
/* A reference image of `spec` (file `path`) as a page image at its own dpi
 * (pHYs, else the specimen's reference_dpi), from the reference cache when
 * it has it; the SHA-256 of the bytes decoded into sha when not NULL.  A
 * page decoded here is kept in the cache before this returns when cache_key
 * is NULL; otherwise its key goes there for the caller to keep it later
 * (dx_ins_refcache_store), and "" when there is nothing to keep. */
dx_status dx_ins_reference_load(const dx_specimen *spec, const char *path, dx_reg_image *out,
                                char sha[65], char cache_key[DX_INS_CACHE_KEY], dx_error *err);
/* refcache.c: reference pages kept decoded between inspections, under a
 * key naming what they were made from (the PNG's SHA-256 first). */
/* The cache directory ($DOCEX_CACHE_DIR, "off": none; else
 * $XDG_CACHE_HOME/docex or ~/.cache/docex); false when there is none. */
bool dx_ins_cache_dir(char *out, size_t size);
/* What names the build in a key: the library's GNU build ID, else its version. */
const char *dx_ins_cache_build(void);
/* The page kept under `key`, mapped (dx_reg_image_free unmaps it); false
 * when there is none, or none that is whole and of this key. */
bool dx_ins_refcache_load(const char *key, dx_reg_image *out);
/* Keep `img` under `key` (best effort: false when not kept). */
bool dx_ins_refcache_store(const char *key, const dx_reg_image *img);
/* Register every side, then decode and resample every light and load the
 * reference images, draw the visual zone, on every core (dx_ins_parallel). */
void dx_ins_prepare(dx_inspection *in);
/* fn(ctx, i) for every i < n, on every core (this thread one of them, at
 * most 8), each i once; returns when all are done. */
void dx_ins_parallel(size_t n, void (*fn)(void *ctx, size_t i), void *ctx);
void dx_ins_sides_free(dx_inspection *in);

/* provider.c */
/* A region as the rules name it, resolved: side, rectangle in mm, light. */
typedef struct ins_region {
    size_t side;
    dx_reg_rect rect;
    char light[DX_ILLUM_NAME_MAX];
    char feature[64];
    bool is_face;                       /* "chip.face": the DG2 portrait */
    bool is_viz;                        /* "viz.<key>" */
} ins_region;

dx_status dx_ins_resolve(dx_inspection *in, const dx_rules_region_ref *ref, ins_region *out,
                         dx_error *err);
void dx_ins_provider(dx_inspection *in, dx_rules_provider *p);
/* Draw the visual-zone fields the MRZ determines (once; any one thread,
 * while no rule runs). */
void dx_ins_viz_prepare(dx_inspection *in);
/* Compare every visual-zone field with its side's ir870 page (the light
 * cross.lua reads them under) on every core, ahead of the rules; the
 * viz measure then takes the result.  After dx_ins_prepare(). */
void dx_ins_viz_precompute(dx_inspection *in);
/* A viz.<field> region's expectation: the field as the MRZ says it is
 * printed, drawn in the specimen's typeface (synth/viz.h); NULL otherwise. */
const dx_reg_image *dx_ins_viz_expected(dx_inspection *in, const ins_region *r);
/* The chip's DG2 portrait as a page image as wide as `rect` (100 dpi). */
dx_status dx_ins_face_image(dx_inspection *in, dx_reg_rect rect, dx_reg_image *out, dx_error *err);

/* identify.c */
/* Choose the specimen (opts->specimen, else from the MRZ); sets in->spec and
 * the specimen part of the findings in *j (new object). */
dx_status dx_ins_identify(dx_inspection *in, json_t **j, dx_error *err);

#endif
