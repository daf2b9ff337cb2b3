/* Blur, noise, JPEG artefacts, uneven light, printer ink spread, and a
 * seeded mixed set: read exactly (after repair). */
#include "common.h"
#include "dxtest.h"

int main(void)
{
    mrt_init();
    dx_mrz_read_result *r = malloc(sizeof *r);
    REQUIRE(r);
    struct {
        const char *name;
        mrzs_params p;
    } cases[] = {
        {"blur 1.0 px at 300 dpi", {.dpi = 300, .blur_sigma_px = 1.0, .page = true}},
        {"blur 2.0 px at 600 dpi", {.dpi = 600, .blur_sigma_px = 2.0, .page = true}},
        {"noise sigma 10", {.dpi = 300, .noise_sigma = 10, .page = true}},
        {"JPEG quality 40", {.dpi = 300, .jpeg_quality = 40, .page = true, .colour = true}},
        {"JPEG quality 60 at 200 dpi", {.dpi = 200, .jpeg_quality = 60, .page = true}},
        {"uneven light 0.5", {.dpi = 300, .light_gradient = 0.5, .page = true}},
        {"uneven light 0.5, colour", {.dpi = 300, .light_gradient = 0.5, .colour = true, .page = true}},
        {"bold ink", {.dpi = 300, .ink_spread_px = 0.7, .page = true}},
        {"thin ink", {.dpi = 300, .ink_spread_px = -0.4, .page = true}},
        {"2.0 mm characters", {.dpi = 300, .char_height_mm = 2.0, .page = true}},
        {"2.3 mm characters", {.dpi = 300, .char_height_mm = 2.3, .page = true}},
        {"everything, rotated", {.dpi = 400, .rotation_deg = -6, .blur_sigma_px = 0.8,
                                 .noise_sigma = 6, .jpeg_quality = 70, .light_gradient = 0.4,
                                 .colour = true, .page = true}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
        for (int f = 1; f <= 3; f++) {
            char label[96];
            snprintf(label, sizeof label, "TD%d, %s", f, cases[k].name);
            mrt_case c = {.format = f, .seed = 1000 + k * 3 + (uint64_t)f, .p = cases[k].p};
            c.p.seed = k;
            dx_status st;
            CHECK_MSG(mrt_read(&c, r, &st, label), "%s", label);
        }
    /* a seeded mixed set (the benchmark's kind of image, fewer) */
    int exact = 0, total = 24;
    uint64_t rng = 4242;
    for (int i = 0; i < total; i++) {
        mrt_case c = {.format = 1 + (int)(mrzs_rand(&rng) % 3), .seed = mrzs_rand(&rng) | 1};
        c.p.dpi = 200 + (int)(mrzs_rand(&rng) % 5) * 50;
        c.p.rotation_deg = (double)(mrzs_rand(&rng) % 200) / 10.0 - 10.0 +
                           (mrzs_rand(&rng) % 5 == 0 ? 180 : 0);
        c.p.blur_sigma_px = (double)(mrzs_rand(&rng) % 80) / 100.0;
        c.p.noise_sigma = (double)(mrzs_rand(&rng) % 8);
        c.p.jpeg_quality = mrzs_rand(&rng) % 3 == 0 ? 50 + (int)(mrzs_rand(&rng) % 40) : 0;
        c.p.light_gradient = (double)(mrzs_rand(&rng) % 40) / 100.0;
        c.p.colour = mrzs_rand(&rng) % 2;
        c.p.page = true;
        c.p.seed = (uint64_t)i;
        char label[48];
        snprintf(label, sizeof label, "mixed #%d", i);
        dx_status st;
        exact += mrt_read(&c, r, &st, label);
    }
    printf("mixed set: %d of %d exact\n", exact, total);
    CHECK_MSG(exact == total, "mixed set: %d of %d exact", exact, total);
    free(r);
    mrzs_done();
    return dxtest_done();
}
