#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mrt_init(void)
{
    char err[256];
    if (mrzs_init(NULL, err, sizeof err)) {
        printf("SKIP: %s\n", err);
        exit(77);
    }
    dx_log_set_levels("error");
}

double mrt_angle_diff(double a, double b)
{
    double d = fmod(fabs(a - b), 360.0);
    return d > 180 ? 360 - d : d;
}

bool mrt_read(const mrt_case *c, dx_mrz_read_result *r, dx_status *st, const char *label)
{
    char L[3][45];
    const char *lines[3];
    size_t n;
    if (c->seed) {
        uint64_t rng = c->seed;
        n = mrzs_random_mrz(&rng, c->format, L);
    } else {
        n = mrzs_specimen(c->format, L);
    }
    for (size_t i = 0; i < n; i++)
        lines[i] = L[i];
    mrzs_image img;
    char err[256];
    if (mrzs_render(lines, n, &c->p, &img, err, sizeof err)) {
        fprintf(stderr, "%s: render: %s\n", label, err);
        *st = DX_ERR_INTERNAL;
        return false;
    }
    dx_image_view v = {img.pixels, (uint32_t)img.width, (uint32_t)img.height,
                       (size_t)img.width * img.channels,
                       img.channels == 3 ? DX_PIX_RGB8 : DX_PIX_GRAY8};
    dx_error e = {0};
    *st = dx_mrz_read_image(&v, NULL, r, &e);
    mrzs_image_free(&img);
    if (*st != DX_OK) {
        fprintf(stderr, "%s: %s (%s)\n", label, dx_status_str(*st), e.message);
        return false;
    }
    bool ok = r->n_lines == n;
    /* GCC 12 at -O3 warns of a read past L for an iteration the bounds rule
     * out (-Wstringop-overread); the lines compared through a pointer */
    for (size_t i = 0; i < n && i < r->n_lines && i < 3; i++) {
        const char *want = lines[i];
        if (strcmp(r->lines[i].text, want) != 0) {
            fprintf(stderr, "%s: line %zu\n  want %s\n  got  %s\n  raw  %s\n", label, i + 1, want,
                    r->lines[i].text, r->lines[i].raw);
            ok = false;
        }
    }
    if (r->n_lines != n)
        fprintf(stderr, "%s: %zu lines read, %zu expected\n", label, r->n_lines, n);
    return ok;
}
