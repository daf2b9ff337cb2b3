/* Rotation within +-10 degrees and upside down, grey and colour: the MRZ is
 * found, read exactly, and its rotation reported. */
#include "common.h"
#include "dxtest.h"

int main(void)
{
    mrt_init();
    static const double angles[] = {10, -10, 4.5, -7.3, 180, 173, -171, 190};
    dx_mrz_read_result *r = malloc(sizeof *r);
    REQUIRE(r);
    for (int f = 1; f <= 3; f++)
        for (size_t k = 0; k < sizeof angles / sizeof *angles; k++)
            for (int colour = 0; colour < 2; colour++) {
                if (colour && (k % 2))
                    continue;
                char label[80];
                snprintf(label, sizeof label, "TD%d rotated %.1f, %s", f, angles[k],
                         colour ? "colour" : "grey");
                mrt_case c = {.format = f, .seed = k * 7 + (uint64_t)f,
                              .p = {.dpi = 300, .rotation_deg = angles[k], .colour = colour,
                                    .page = true, .noise_sigma = 3, .seed = k}};
                dx_status st;
                CHECK_MSG(mrt_read(&c, r, &st, label), "%s", label);
                if (st == DX_OK)
                    CHECK_MSG(mrt_angle_diff(r->rotation_deg, angles[k]) < 1.0,
                              "%s: rotation read %.2f", label, r->rotation_deg);
            }
    free(r);
    mrzs_done();
    return dxtest_done();
}
