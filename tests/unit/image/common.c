#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dxtest.h"

static const char *specimens, *scratch;

void img_init(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s SPECIMENS_DIR SCRATCH_DIR\n", argv[0]);
        exit(2);
    }
    specimens = argv[1];
    scratch = argv[2];
    char cmd[4200]; /* a fresh scratch directory: synth never overwrites a scene */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (strchr(scratch, '\'') || system(cmd) != 0)
        exit(2);
    mkdir(scratch, 0755);
    dx_log_set_levels("error");
}

int img_scene(const char *name, const scene_opts *so)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", scratch, name);
    dx_synth_options o = {0};
    o.specimen = "UTO-P-2024";
    o.specimens_dir = specimens;
    o.out_dir = dir;
    o.seed = 5;
    o.dpi = so->dpi;
    o.no_chip = true;
    o.today = 20261126;
    o.glass_mm = so->glass_mm;
    o.shift_x_mm = so->shift_x_mm;
    o.shift_y_mm = so->shift_y_mm;
    o.rotation_deg = so->rotation_deg;
    o.noise = so->noise;
    o.blur_px = so->blur_px;
    o.lights = so->lights;
    if (so->defect)
        o.defects[o.n_defects++] = so->defect;
    dx_error err = {0};
    dx_status st = dx_synth_scene_write(&o, NULL, NULL, &err);
    CHECK_MSG(st == DX_OK, "synth %s: %s", name, err.message);
    return st == DX_OK;
}

int img_load(const char *name, const char *light, dx_png_image *out)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s/%s.png", scratch, name, light);
    dx_error err = {0};
    if (dx_png_load(path, out, &err) != DX_OK) {
        CHECK_MSG(0, "%s: %s", path, err.message);
        return 0;
    }
    return 1;
}

/* synth draws the page translated by (glass + shift) and rotated by
 * -rotation_deg (cairo, y down) about the page's centre. */
void img_truth(const scene_opts *o, double u, double v, double *x, double *y)
{
    double ppm = o->dpi / 25.4, th = -o->rotation_deg * M_PI / 180;
    double cu = u - PAGE_W / 2, cv = v - PAGE_H / 2;
    double X = o->glass_mm + o->shift_x_mm + PAGE_W / 2 + cos(th) * cu - sin(th) * cv;
    double Y = o->glass_mm + o->shift_y_mm + PAGE_H / 2 + sin(th) * cu + cos(th) * cv;
    *x = X * ppm;
    *y = Y * ppm;
}
