/* Registration (image/register.h): the page found on the glass for several
 * placements (both signs of rotation, shifts, noise and blur, transmitted
 * light, upside down with the MRZ as hint), compared with the placement synth
 * drew; one transform reused on other lights; resampling checked against a
 * scene drawn without placement; bad input.
 * argv[1]: the specimens directory, argv[2]: a scratch directory. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "docex/mrz_read.h"
#include "dxtest.h"
#include "image/measure.h"

static const char *const lights[] = {"white", "ir870", "white_transmitted", NULL};

/* Largest distance (mm) between the found and the true position of the
 * page's corners and centre. */
static double pos_err_mm(const dx_reg_transform *t, const scene_opts *o)
{
    static const double pts[5][2] = {{0, 0}, {PAGE_W, 0}, {PAGE_W, PAGE_H}, {0, PAGE_H},
                                     {PAGE_W / 2, PAGE_H / 2}};
    double worst = 0, ppm = o->dpi / 25.4;
    for (int i = 0; i < 5; i++) {
        double x, y, X, Y;
        dx_reg_apply(t, pts[i][0], pts[i][1], &x, &y);
        img_truth(o, pts[i][0], pts[i][1], &X, &Y);
        double d = hypot(x - X, y - Y) / ppm;
        if (d > worst)
            worst = d;
    }
    return worst;
}

static double angle_diff(double a, double b)
{
    double d = fmod(fabs(a - b), 360.0);
    return d > 180 ? 360 - d : d;
}

static void check_placement(const char *name, scene_opts o, const char *light, int transmitted)
{
    o.lights = lights;
    if (!img_scene(name, &o))
        return;
    dx_png_image png;
    if (!img_load(name, light, &png))
        return;
    dx_reg_transform t;
    dx_error err = {0};
    dx_reg_options opt = {.transmitted = -1};
    clock_t c0 = clock();
    dx_status st = dx_reg_estimate(&png.view, o.dpi, PAGE_W, PAGE_H, &opt, &t, &err);
    double ms = 1000.0 * (clock() - c0) / CLOCKS_PER_SEC;
    CHECK_MSG(st == DX_OK, "%s: %s", name, err.message);
    if (st == DX_OK) {
        double e = pos_err_mm(&t, &o), da = angle_diff(t.rotation_deg, o.rotation_deg);
        printf("register %-14s %-17s rot %+7.3f (true %+6.2f, err %.3f deg) pos err %.3f mm "
               "scale %.4f (%.4f) residual %.2f px inliers %.2f conf %.2f transmitted %d  %.0f ms\n",
               name, light, t.rotation_deg, o.rotation_deg, da, e, t.scale, o.dpi / 25.4,
               t.residual_px, t.inliers, t.confidence, t.transmitted, ms);
        CHECK_MSG(da < 0.3, "%s: rotation %.3f, true %.3f", name, t.rotation_deg, o.rotation_deg);
        CHECK_MSG(e < 0.5, "%s: position off by %.3f mm", name, e);
        CHECK(t.transmitted == transmitted);
        CHECK(t.confidence > 0.5);
    }
    dx_png_image_free(&png);
}

/* One transform from white light, applied to ir870 (16-bit grey): the
 * resampled page matches a scene drawn without placement. */
static void check_reuse(void)
{
    scene_opts o = {.dpi = 300, .glass_mm = 15, .shift_x_mm = 4, .shift_y_mm = -3,
                    .rotation_deg = 7, .lights = lights};
    scene_opts flat = {.dpi = 300, .lights = lights};
    if (!img_scene("reuse", &o) || !img_scene("flat", &flat))
        return;
    dx_png_image w, ir, fw, fir;
    if (!img_load("reuse", "white", &w) || !img_load("reuse", "ir870", &ir) ||
        !img_load("flat", "white", &fw) || !img_load("flat", "ir870", &fir))
        return;
    dx_error err = {0};
    dx_reg_transform t, tf;
    REQUIRE(dx_reg_estimate(&w.view, 300, PAGE_W, PAGE_H, NULL, &t, &err) == DX_OK);
    /* a flat scene is the page: found as such (no glass) */
    REQUIRE(dx_reg_estimate(&fw.view, 300, PAGE_W, PAGE_H, NULL, &tf, &err) == DX_OK);
    CHECK(fabs(tf.rotation_deg) < 1e-9 && fabs(tf.m[0][2]) < 1e-9);
    const struct {
        dx_png_image *cap, *ref;
        const char *light;
        int ch;
    } c[] = {{&w, &fw, "white", 3}, {&ir, &fir, "ir870", 1}};
    for (int i = 0; i < 2; i++) {
        dx_reg_image a, b;
        clock_t c0 = clock();
        REQUIRE(dx_reg_resample(&c[i].cap->view, &t, 300, NULL, &a, &err) == DX_OK);
        double ms = 1000.0 * (clock() - c0) / CLOCKS_PER_SEC;
        REQUIRE(dx_reg_resample(&c[i].ref->view, &tf, 300, NULL, &b, &err) == DX_OK);
        CHECK(a.ch == c[i].ch && a.w == b.w && a.h == b.h);
        CHECK(a.n_outside == 0);
        dx_measure_similarity s;
        dx_reg_rect inner = {3, 3, PAGE_W - 6, PAGE_H - 6};
        REQUIRE(dx_measure_similarity_of(&a, inner, &b, inner, 0, &s, &err) == DX_OK);
        printf("resample %-6s whole page %dx%d ch %d in %.0f ms: ncc with the flat scene %.3f "
               "ssim %.3f\n", c[i].light, a.w, a.h, a.ch, ms, s.ncc, s.ssim);
        CHECK_MSG(s.ncc > 0.9, "%s: ncc %.3f", c[i].light, s.ncc);
        /* downsampled (box prefilter) */
        dx_reg_image d;
        REQUIRE(dx_reg_resample(&c[i].cap->view, &t, 100, NULL, &d, &err) == DX_OK);
        CHECK(d.w == (int)lround(PAGE_W / 25.4 * 100));
        dx_reg_image_free(&d);
        dx_reg_image_free(&a);
        dx_reg_image_free(&b);
    }
    /* the transform is for one image size */
    dx_reg_image bad;
    dx_reg_transform small = t;
    small.width--;
    CHECK(dx_reg_resample(&w.view, &small, 300, NULL, &bad, &err) == DX_ERR_INVALID_ARG);
    dx_png_image_free(&w);
    dx_png_image_free(&ir);
    dx_png_image_free(&fw);
    dx_png_image_free(&fir);
}

/* Upside down: without a hint the page is taken as upright (off by 180);
 * with the MRZ read from the IR capture as hint, the right way round. */
static void check_upside_down(void)
{
    scene_opts o = {.dpi = 300, .glass_mm = 15, .shift_x_mm = -2, .shift_y_mm = 3,
                    .rotation_deg = 176, .lights = lights};
    if (!img_scene("turned", &o))
        return;
    dx_png_image w, ir;
    if (!img_load("turned", "white", &w) || !img_load("turned", "ir870", &ir))
        return;
    dx_error err = {0};
    dx_reg_transform t;
    REQUIRE(dx_reg_estimate(&w.view, 300, PAGE_W, PAGE_H, NULL, &t, &err) == DX_OK);
    CHECK_MSG(angle_diff(t.rotation_deg, -4) < 0.3, "no hint: %.3f", t.rotation_deg);
    CHECK(!t.turned);
    dx_mrz_read_options mo = {.dpi = 300};
    dx_mrz_read_result mrz;
    dx_status st = dx_mrz_read_image(&ir.view, &mo, &mrz, &err);
    CHECK_MSG(st == DX_OK, "mrz: %s", err.message);
    if (st == DX_OK) {
        dx_reg_options opt = {.transmitted = -1, .mrz = &mrz, .mrz_rect_mm = {5, 73, 115, 13}};
        REQUIRE(dx_reg_estimate(&w.view, 300, PAGE_W, PAGE_H, &opt, &t, &err) == DX_OK);
        double e = pos_err_mm(&t, &o);
        printf("register turned (MRZ hint) rot %+.3f (true %+.2f) pos err %.3f mm turned %d\n",
               t.rotation_deg, o.rotation_deg, e, t.turned);
        CHECK(t.turned);
        CHECK_MSG(angle_diff(t.rotation_deg, o.rotation_deg) < 0.3, "%.3f", t.rotation_deg);
        CHECK_MSG(e < 0.5, "turned: %.3f mm", e);
    }
    dx_png_image_free(&w);
    dx_png_image_free(&ir);
}

static void check_errors(void)
{
    dx_error err = {0};
    dx_reg_transform t;
    uint8_t flat[64 * 64];
    memset(flat, 40, sizeof flat);
    dx_image_view v = {flat, 64, 64, 64, DX_PIX_GRAY8};
    CHECK(dx_reg_estimate(&v, 300, PAGE_W, PAGE_H, NULL, &t, &err) == DX_ERR_NOT_FOUND);
    CHECK(dx_reg_estimate(&v, 0, PAGE_W, PAGE_H, NULL, &t, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_reg_estimate(NULL, 300, PAGE_W, PAGE_H, NULL, &t, &err) == DX_ERR_INVALID_ARG);
    /* a small bright square on dark glass is not a page of 125 x 88 mm */
    for (int y = 20; y < 40; y++)
        memset(flat + y * 64 + 20, 220, 20);
    CHECK(dx_reg_estimate(&v, 50, PAGE_W, PAGE_H, NULL, &t, &err) == DX_ERR_NOT_FOUND);
    printf("error: %s\n", err.message);
}

int main(int argc, char **argv)
{
    img_init(argc, argv);
    check_placement("p7", (scene_opts){.dpi = 300, .glass_mm = 15, .shift_x_mm = 4,
                                       .shift_y_mm = -3, .rotation_deg = 7}, "white", 0);
    check_placement("m9", (scene_opts){.dpi = 300, .glass_mm = 15, .shift_x_mm = -5,
                                       .shift_y_mm = 4, .rotation_deg = -9.5}, "white", 0);
    check_placement("small", (scene_opts){.dpi = 300, .glass_mm = 10, .shift_x_mm = 1.3,
                                          .shift_y_mm = 0.7, .rotation_deg = 0.4}, "white", 0);
    check_placement("noisy", (scene_opts){.dpi = 300, .glass_mm = 15, .shift_x_mm = 2,
                                          .shift_y_mm = -4, .rotation_deg = -3.2, .noise = 2,
                                          .blur_px = 1}, "white", 0);
    check_placement("ir", (scene_opts){.dpi = 300, .glass_mm = 15, .shift_x_mm = -3,
                                       .shift_y_mm = 2, .rotation_deg = 5.5}, "ir870", 0);
    check_placement("trans", (scene_opts){.dpi = 300, .glass_mm = 15, .shift_x_mm = 3,
                                          .shift_y_mm = 5, .rotation_deg = -6}, "white_transmitted", 1);
    check_placement("dpi600", (scene_opts){.dpi = 600, .glass_mm = 12, .shift_x_mm = -1,
                                           .shift_y_mm = -2, .rotation_deg = 2.5}, "white", 0);
    check_reuse();
    check_upside_down();
    check_errors();
    return dxtest_done();
}
