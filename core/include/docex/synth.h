/* docex synth — a synthetic Utopia document as a scene: one PNG per light
 * (the sim scene format), scene.json with the ground truth (holder, MRZ,
 * every defect with the region it changed), and the chip's files. */
#ifndef DOCEX_SYNTH_H
#define DOCEX_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"

#ifdef __cplusplus
extern "C" {
#ifdef __cplusplus
}
#endif
#endif

#define DX_SYNTH_MAX_DEFECTS 16

typedef struct dx_synth_options {
    const char *specimen;          /* "UTO-P-2024" */
    const char *specimens_dir;     /* NULL: <datadir>/specimens */
    const char *out_dir;           /* created; must not exist or be empty */
    uint64_t seed;
    const char *holder_file;       /* NULL: the specimen's sample holder */
    double dpi;                    /* 0: 300 */
    const char *defects[DX_SYNTH_MAX_DEFECTS]; /* "NAME[:k=v,...]" */
    size_t n_defects;
    const char *const *lights;     /* NULL-terminated, NULL: the specimen's */
    /* scanner realism */
    double noise, blur_px, vignetting, glass_mm, shift_x_mm, shift_y_mm, rotation_deg;
    bool no_chip;                  /* write no chip files */
    const char *face_format;       /* "jpeg" (default) or "jpeg2000" for DG2 */
    const char *chip_aa;           /* "none", "rsa", "ecdsa"; NULL: the specimen's */
    const char *trust_dir;         /* NULL: <datadir>/trust/test */
    int today;                     /* YYYYMMDD for "expired"; 0: today (UTC) */
} dx_synth_options;

/* Write the scene.  Progress lines go to `progress` (may be NULL). */
DX_API dx_status dx_synth_scene_write(const dx_synth_options *o,
                               void (*progress)(const char *line, void *user), void *user,
                               dx_error *err);

/* The defect catalogue, for --help and docs: name, parameters, what it
 * changes, the check expected to catch it. */
typedef struct dx_synth_defect_info {
    const char *name, *params, *changes, *expected_check;
} dx_synth_defect_info;
DX_API const dx_synth_defect_info *dx_synth_defect_at(size_t i); /* NULL past the end */

#ifdef __cplusplus
}
#endif
#endif
