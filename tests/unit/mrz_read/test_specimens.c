/* The ICAO Utopia specimens (ERIKSSON ANNA MARIA: TD1, TD2, TD3) rendered in
 * OCR-B at 150, 300, 600 and 1200 dpi read exactly and parse as the
 * specimen says (ICAO 9303 Parts 4-6). */
#include <math.h>

#include "common.h"
#include "dxtest.h"

int main(void)
{
    mrt_init();
    static const int dpis[] = {150, 300, 600, 1200};
    dx_mrz_read_result *r = malloc(sizeof *r);
    REQUIRE(r);
    for (int f = 1; f <= 3; f++)
        for (size_t k = 0; k < sizeof dpis / sizeof *dpis; k++) {
            char label[64];
            snprintf(label, sizeof label, "TD%d at %d dpi", f, dpis[k]);
            /* the whole page, except at 1200 dpi (the MRZ and a margin) */
            mrt_case c = {.format = f, .p = {.dpi = dpis[k], .page = dpis[k] < 1200,
                                             .noise_sigma = 2, .seed = (uint64_t)(f * 10 + k)}};
            dx_status st;
            bool exact = mrt_read(&c, r, &st, label);
            CHECK_MSG(exact, "%s", label);
            if (st != DX_OK)
                continue;
            CHECK_MSG(r->mrz.format == (f == 1 ? DX_MRZ_TD1 : f == 2 ? DX_MRZ_TD2 : DX_MRZ_TD3),
                      "%s: format %d", label, r->mrz.format);
            CHECK_MSG(r->mrz.valid, "%s: a check fails", label);
            CHECK_STR(r->mrz.surname, "ERIKSSON");
            CHECK_STR(r->mrz.given_names, "ANNA MARIA");
            CHECK_STR(r->mrz.document_number, f == 3 ? "L898902C3" : "D23145890");
            CHECK(r->mrz.birth_date.year == 1974 && r->mrz.birth_date.month == 8 &&
                  r->mrz.birth_date.day == 12);
            CHECK_MSG(r->n_repairs == 0, "%s: %zu repairs on a clean image", label, r->n_repairs);
            CHECK_MSG(mrt_angle_diff(r->rotation_deg, 0) < 0.5, "%s: rotation %.2f", label,
                      r->rotation_deg);
            CHECK_MSG(r->dpi_estimated && fabs(r->dpi - dpis[k]) < 0.05 * dpis[k],
                      "%s: dpi estimated %.1f", label, r->dpi);
            CHECK_MSG(r->mean_confidence > 0.8, "%s: mean confidence %.2f", label,
                      r->mean_confidence);
            /* the lines are where the MRZ is: at the bottom, one under the other */
            for (size_t i = 0; i < r->n_lines; i++) {
                const dx_mrz_box *b = &r->lines[i].box;
                CHECK(b->w > 25 * 2.54 / 25.4 * dpis[k] && b->h > 0 && b->h < 0.25 * dpis[k]);
                CHECK(b->x >= 0 && b->y >= 0 && b->x + b->w <= r->width + 0.01 &&
                      b->y + b->h <= r->height + 0.01);
                if (i > 0)
                    CHECK(b->y > r->lines[i - 1].box.y);
                if (c.p.page)
                    CHECK(b->y > 0.6 * r->height);
            }
            char *json = dx_mrz_read_to_json(r, NULL);
            CHECK(json && strstr(json, "\"rotation_deg\"") && strstr(json, "\"repairs\"") &&
                  strstr(json, "\"confidence\""));
            free(json);
        }
    free(r);
    mrzs_done();
    return dxtest_done();
}
