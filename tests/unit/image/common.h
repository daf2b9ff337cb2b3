/* Shared by the image tests: synthetic scenes made at test time, loaded and
 * registered. */
#ifndef DOCEX_TEST_IMAGE_COMMON_H
#define DOCEX_TEST_IMAGE_COMMON_H

#include "docex/synth.h"
#include "image/image.h"
#include "image/register.h"

#define PAGE_W 125.0
#define PAGE_H 88.0

typedef struct scene_opts {
    double dpi, glass_mm, shift_x_mm, shift_y_mm, rotation_deg, noise, blur_px;
    const char *defect;
    const char *const *lights;
} scene_opts;

/* argv[1] specimens, argv[2] scratch (emptied); exits 2 on a bad call. */
void img_init(int argc, char **argv);
/* Draw scene `name` of UTO-P-2024; false (and a failed check) on error. */
int img_scene(const char *name, const scene_opts *o);
/* Load <scratch>/<name>/<light>.png; false on error. */
int img_load(const char *name, const char *light, dx_png_image *out);
/* The true transform of a scene (page mm -> capture px). */
void img_truth(const scene_opts *o, double u, double v, double *x, double *y);

#endif
