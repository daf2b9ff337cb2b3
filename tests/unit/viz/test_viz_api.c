/* The contract of synth/viz.h: which fields the MRZ determines and how they
 * read, the errors, and the comparison on hand-made captures (a field drawn by
 * the renderer with another text: a hyphen for an MRZ filler, more letters,
 * nothing at all).  argv[1]: the specimens directory. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dxtest.h"
#include "synth/holder.h"
#include "synth/render.h"
#include "synth/specimen_layout.h"
#include "synth/viz.h"

#define TODAY 20261126

static const char *specimens;

static void mrz_of(const dx_synth_holder *h, dx_mrz_format fmt, dx_mrz *m)
{
    char lines[DX_MRZ_MAX_LINES][45];
    size_t n = 0;
    dx_error err = {0};
    REQUIRE(dx_synth_mrz_compose(h, fmt, lines, &n, &err) == DX_OK);
    const char *lp[DX_MRZ_MAX_LINES] = {lines[0], lines[1], lines[2]};
    dx_mrz_options o = {.today = TODAY};
    REQUIRE(dx_mrz_parse(lp, n, &o, m, &err) == DX_OK);
}

static const dx_viz_field *find(const dx_viz_field *f, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].key, key))
            return &f[i];
    return NULL;
}

static void check_text(const dx_viz_field *f, size_t n, const char *key, const char *text)
{
    const dx_viz_field *x = find(f, n, key);
    CHECK_MSG(x && !strcmp(x->text, text), "%s: \"%s\", expected \"%s\"", key,
              x ? x->text : "(absent)", text);
}

/* A capture of the page region `r` at `dpi`: paper 230 with field `key`
 * printed as `text` in ink 32 (the ir870 levels), shifted by (sx, sy) mm. */
static void capture_of(const dx_spec_layout *l, const char *key, const char *text, dx_reg_rect r,
                       double dpi, double sx, double sy, dx_reg_image *out)
{
    dx_synth_image img;
    dx_error err = {0};
    dx_rect_mm a = {r.x - sx, r.y - sy, r.w, r.h};
    REQUIRE(dx_synth_field_draw(l, key, text, a, dpi, &img, NULL, NULL, &err) == DX_OK);
    out->w = (int)img.width;
    out->h = (int)img.height;
    out->ch = 1;
    out->dpi = dpi;
    out->x_mm = r.x;
    out->y_mm = r.y;
    out->n_outside = 0;
    out->px = malloc((size_t)out->w * out->h * sizeof *out->px);
    REQUIRE(out->px);
    for (size_t i = 0; i < (size_t)out->w * out->h; i++)
        out->px[i] = 32 + (230 - 32) * img.data[i] / 255.0f;
    dx_synth_image_free(&img);
}

static dx_reg_rect grow(dx_reg_rect r, double d)
{
    return (dx_reg_rect){r.x - d, r.y - d, r.w + 2 * d, r.h + 2 * d};
}

/* The passport: fields, texts, images; the comparison on drawn captures. */
static void check_passport(void)
{
    dx_spec_layout *l = malloc(sizeof *l);
    dx_error err = {0};
    REQUIRE(l && dx_spec_layout_load(specimens, "UTO-P-2024", l, &err) == DX_OK);
    dx_synth_holder h = l->holder;
    snprintf(h.surname, sizeof h.surname, "SMITH-JONES");
    snprintf(h.given_names, sizeof h.given_names, "MARY ANN");
    h.sex = 'X';
    dx_mrz m;
    mrz_of(&h, DX_MRZ_TD3, &m);
    dx_viz_field *f = NULL;
    size_t n = 0;
    REQUIRE(dx_viz_expected(specimens, "UTO-P-2024", &m, 300, &f, &n, &err) == DX_OK);
    printf("UTO-P-2024, %zu fields:", n);
    for (size_t i = 0; i < n; i++)
        printf(" %s=\"%s\"", f[i].key, f[i].text);
    printf("\n");
    CHECK(n == 9);
    check_text(f, n, "document_code", "P");
    check_text(f, n, "issuing_state", "UTO");
    check_text(f, n, "document_number", "L898902C3");
    check_text(f, n, "surname", "SMITH JONES"); /* the MRZ's filler */
    check_text(f, n, "given_names", "MARY ANN");
    check_text(f, n, "nationality_name", "UTOPIAN");
    check_text(f, n, "birth_date", "12 AUG 1974");
    check_text(f, n, "sex", "X"); /* '<' in the MRZ */
    check_text(f, n, "expiry_date", "15 APR 2034");
    CHECK(!find(f, n, "place_of_birth") && !find(f, n, "issue_date") && !find(f, n, "authority"));
    for (size_t i = 0; i < n; i++) {
        const dx_viz_field *x = &f[i];
        dx_rect_mm b;
        int side = -1;
        REQUIRE(dx_synth_field_box(l, x->key, &b, &side));
        CHECK(x->side == side && x->box_mm.x == b.x && x->box_mm.w == b.w);
        CHECK(x->expected.ch == 1 && x->expected.dpi == 300 &&
              x->expected.w == (int)lround(b.w * 300 / 25.4) &&
              x->expected.h == (int)lround(b.h * 300 / 25.4));
        CHECK(x->n_cells == strlen(x->text) && x->em_mm > 2);
        float lo = 255, hi = 0;
        for (size_t k = 0; k < (size_t)x->expected.w * x->expected.h; k++) {
            lo = fminf(lo, x->expected.px[k]);
            hi = fmaxf(hi, x->expected.px[k]);
        }
        CHECK_MSG(lo < 40 && hi == 255, "%s: levels %.0f..%.0f", x->key, lo, hi);
        /* the cells run left to right inside the box */
        CHECK(x->cells_mm[0].x >= x->box_mm.x &&
              x->cells_mm[x->n_cells - 1].x + x->cells_mm[x->n_cells - 1].w <=
                  x->box_mm.x + x->box_mm.w);
    }
    const dx_viz_field *sn = find(f, n, "surname"), *gn = find(f, n, "given_names");
    REQUIRE(sn && gn);
    CHECK(sn->name && gn->name && !sn->open_end && !gn->open_end);
    dx_reg_rect area = grow(sn->box_mm, 2);
    dx_viz_match r;
    struct {
        const char *printed;
        double sx, sy;
        int match; /* 1: above the threshold, 0: below */
    } cases[] = {
        {"SMITH-JONES", 0, 0, 1},     /* as issued: a hyphen where the MRZ has a filler */
        {"SMITH JONES", 0.25, -0.2, 1},
        {"SMITH'JONES", 0, 0, 1},
        {"SMITHXJONES", 0, 0, 0},     /* a letter in the filler's place */
        {"SMITH-JONE", 0, 0, 0},      /* one letter short */
        {"SMITH-JONESS", 0, 0, 0},    /* one letter more */
        {"SMITH-JOMES", 0, 0, 0},
        {"", 0, 0, 0},                /* nothing printed */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dx_reg_image cap;
        capture_of(l, "surname", cases[i].printed, area, 300, cases[i].sx, cases[i].sy, &cap);
        REQUIRE(dx_viz_compare(sn, &cap, 0.5, &r, &err) == DX_OK);
        printf("  surname printed \"%s\" shifted %+.2f,%+.2f: score %.3f min_segment %.3f at "
               "%+.2f,%+.2f\n", cases[i].printed, cases[i].sx, cases[i].sy, r.score,
               r.min_segment, r.dx_mm, r.dy_mm);
        if (cases[i].match)
            CHECK_MSG(r.min_segment >= DX_VIZ_MIN_SEGMENT, "\"%s\": %.3f", cases[i].printed,
                      r.min_segment);
        else
            CHECK_MSG(r.min_segment < DX_VIZ_MIN_SEGMENT, "\"%s\": %.3f", cases[i].printed,
                      r.min_segment);
        if (i == 1)
            CHECK_MSG(fabs(r.dx_mm - 0.25) < 0.06 && fabs(r.dy_mm + 0.2) < 0.06,
                      "shift found %+.3f,%+.3f", r.dx_mm, r.dy_mm);
        if (i == 1) /* the whole field agrees too when the MRZ's filler is printed a blank */
            CHECK(r.score > 0.97);
        free(cap.px);
    }
    /* itself, exactly: 1 */
    REQUIRE(dx_viz_compare(gn, &gn->expected, 0, &r, &err) == DX_OK);
    CHECK_MSG(r.score > 0.999 && r.min_segment > 0.99 && fabs(r.dx_mm) < 0.01 &&
                  fabs(r.dy_mm) < 0.01,
              "self: %.4f %.4f at %+.3f,%+.3f", r.score, r.min_segment, r.dx_mm, r.dy_mm);
    /* a capture at 3 channels and 600 dpi: luminance, box-filtered */
    {
        dx_reg_image g, c3;
        capture_of(l, "given_names", "MARY ANN", grow(gn->box_mm, 1), 600, 0.1, 0, &g);
        c3 = g;
        c3.ch = 3;
        c3.px = malloc((size_t)g.w * g.h * 3 * sizeof *c3.px);
        REQUIRE(c3.px);
        for (size_t k = 0; k < (size_t)g.w * g.h; k++)
            c3.px[3 * k] = c3.px[3 * k + 1] = c3.px[3 * k + 2] = g.px[k];
        REQUIRE(dx_viz_compare(gn, &c3, 0.5, &r, &err) == DX_OK);
        printf("  given_names at 600 dpi RGB: score %.3f min_segment %.3f\n", r.score,
               r.min_segment);
        CHECK(r.min_segment >= DX_VIZ_MIN_SEGMENT && fabs(r.dx_mm - 0.1) < 0.06);
        free(g.px);
        free(c3.px);
    }
    /* the rendering at 100 dpi, the least dpi_expected takes, against a 100 dpi capture */
    {
        dx_viz_field *f100 = NULL;
        size_t n100 = 0;
        REQUIRE(dx_viz_expected(specimens, "UTO-P-2024", &m, 100, &f100, &n100, &err) == DX_OK);
        double lo = 2;
        for (size_t i = 0; i < n100; i++) {
            dx_reg_image g;
            capture_of(l, f100[i].key, f100[i].text, grow(f100[i].box_mm, 1), 100, 0.1, -0.1, &g);
            REQUIRE(dx_viz_compare(&f100[i], &g, 0.5, &r, &err) == DX_OK);
            lo = fmin(lo, r.min_segment);
            free(g.px);
        }
        printf("  every field at 100 dpi: lowest min_segment %.3f\n", lo);
        CHECK(lo >= DX_VIZ_MIN_SEGMENT);
        dx_viz_fields_free(f100, n100);
    }
    /* errors of the comparison */
    dx_reg_image cap;
    capture_of(l, "surname", "SMITH-JONES", (dx_reg_rect){0, 0, 30, 20}, 300, 0, 0, &cap);
    err.message[0] = '\0';
    CHECK(dx_viz_compare(sn, &cap, 0.5, &r, &err) == DX_ERR_INVALID_ARG);
    printf("  a capture elsewhere: %s\n", err.message);
    CHECK(strstr(err.message, "surname") && strstr(err.message, "covers"));
    free(cap.px);
    /* resampled from a capture that stops in the middle of the field */
    capture_of(l, "surname", "SMITH-JONES", grow(sn->box_mm, 1), 300, 0, 0, &cap);
    cap.n_outside = 1000;
    for (int j = 0; j < cap.h; j++)
        for (int i = cap.w / 2; i < cap.w; i++)
            cap.px[(size_t)j * cap.w + i] = 0;
    CHECK(dx_viz_compare(sn, &cap, 0.5, &r, &err) == DX_ERR_INVALID_ARG);
    printf("  a capture cut through the field: %s\n", err.message);
    CHECK(strstr(err.message, "outside the capture") != NULL);
    free(cap.px);
    capture_of(l, "surname", "SMITH-JONES", grow(sn->box_mm, 1), 90, 0, 0, &cap);
    CHECK(dx_viz_compare(sn, &cap, 0.5, &r, &err) == DX_ERR_INVALID_ARG);
    printf("  a capture at 90 dpi: %s\n", err.message);
    cap.dpi = 300;
    CHECK(dx_viz_compare(sn, &cap, 5, &r, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_viz_compare(sn, NULL, 0.5, &r, &err) == DX_ERR_INVALID_ARG);
    dx_viz_field bad = *sn; /* not as dx_viz_expected() makes them */
    bad.em_mm = 0;
    CHECK(dx_viz_compare(&bad, &cap, 0.5, &r, &err) == DX_ERR_INVALID_ARG);
    bad = *sn;
    bad.n_cells = 40;
    CHECK(dx_viz_compare(&bad, &cap, 0.5, &r, &err) == DX_ERR_INVALID_ARG);
    printf("  a field not made by dx_viz_expected: %s\n", err.message);
    CHECK(dx_viz_compare(NULL, &cap, 0.5, &r, &err) == DX_ERR_INVALID_ARG);
    free(cap.px);
    dx_viz_fields_free(f, n);

    /* a full name field: the MRZ's part only, the printed name goes on */
    h = l->holder;
    snprintf(h.surname, sizeof h.surname, "WOLFESCHLEGELSTEIN");
    snprintf(h.given_names, sizeof h.given_names, "HUBERT BLAINE WOLFGANG");
    mrz_of(&h, DX_MRZ_TD3, &m);
    CHECK(m.name_truncated);
    REQUIRE(dx_viz_expected(specimens, "UTO-P-2024", &m, 300, &f, &n, &err) == DX_OK);
    gn = find(f, n, "given_names");
    sn = find(f, n, "surname");
    REQUIRE(gn && sn);
    printf("  truncated MRZ name: given_names \"%s\" (open end %d)\n", gn->text, gn->open_end);
    CHECK(gn->open_end && !sn->open_end && strlen(gn->text) < strlen(h.given_names));
    capture_of(l, "given_names", h.given_names, grow(gn->box_mm, 1), 300, 0, 0, &cap);
    REQUIRE(dx_viz_compare(gn, &cap, 0.5, &r, &err) == DX_OK);
    CHECK_MSG(r.min_segment >= DX_VIZ_MIN_SEGMENT, "truncated: %.3f", r.min_segment);
    free(cap.px);
    dx_viz_fields_free(f, n);
    free(l);
}

/* The card: the visual zone on the front, the MRZ (TD1) on the back. */
static void check_card(void)
{
    dx_spec_layout *l = malloc(sizeof *l);
    dx_error err = {0};
    REQUIRE(l && dx_spec_layout_load(specimens, "UTO-ID-2021", l, &err) == DX_OK);
    dx_mrz m;
    mrz_of(&l->holder, DX_MRZ_TD1, &m);
    dx_viz_field *f = NULL;
    size_t n = 0;
    REQUIRE(dx_viz_expected(specimens, "UTO-ID-2021", &m, 200, &f, &n, &err) == DX_OK);
    printf("UTO-ID-2021, %zu fields:", n);
    for (size_t i = 0; i < n; i++)
        printf(" %s=\"%s\"", f[i].key, f[i].text);
    printf("\n");
    CHECK(n == 7);
    check_text(f, n, "surname", "ERIKSSON");
    check_text(f, n, "given_names", "ANNA MARIA");
    check_text(f, n, "sex", "F");
    check_text(f, n, "nationality", "UTO");
    check_text(f, n, "birth_date", "12 AUG 1974");
    check_text(f, n, "document_number", "D23145890");
    check_text(f, n, "expiry_date", "15 APR 2031");
    CHECK(!find(f, n, "can") && !find(f, n, "place_of_birth"));
    for (size_t i = 0; i < n; i++)
        CHECK(f[i].side == 0 && f[i].expected.dpi == 200);
    dx_viz_fields_free(f, n);

    /* a passport's MRZ for the card, and the card's for the passport */
    dx_mrz td3;
    mrz_of(&l->holder, DX_MRZ_TD3, &td3);
    err.message[0] = '\0';
    CHECK(dx_viz_expected(specimens, "UTO-ID-2021", &td3, 300, &f, &n, &err) ==
          DX_ERR_INVALID_ARG);
    printf("  TD3 MRZ for the card: %s\n", err.message);
    CHECK(strstr(err.message, "TD3") && strstr(err.message, "TD1"));
    CHECK(f == NULL && n == 0);
    CHECK(dx_viz_expected(specimens, "UTO-P-2024", &m, 300, &f, &n, &err) == DX_ERR_INVALID_ARG);
    /* a date the MRZ leaves unknown: the field is not produced */
    dx_mrz m2 = m;
    m2.birth_date.day = 0;
    REQUIRE(dx_viz_expected(specimens, "UTO-ID-2021", &m2, 300, &f, &n, &err) == DX_OK);
    CHECK(n == 6 && !find(f, n, "birth_date"));
    dx_viz_fields_free(f, n);
    free(l);
}

static void check_errors(void)
{
    dx_mrz m;
    dx_synth_holder h;
    dx_synth_holder_default(&h);
    mrz_of(&h, DX_MRZ_TD3, &m);
    dx_viz_field dummy;
    dx_viz_field *f = &dummy; /* set to NULL on error */
    size_t n = 99;
    dx_error err = {0};
    CHECK(dx_viz_expected(specimens, "UTO-X-1999", &m, 300, &f, &n, &err) == DX_ERR_NOT_FOUND);
    printf("unknown specimen: %s\n", err.message);
    CHECK(err.message[0] && strstr(err.message, "UTO-X-1999"));
    CHECK(f == NULL && n == 0);
    CHECK(dx_viz_expected(specimens, "UTO-P-2024", &m, 50, &f, &n, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_viz_expected(specimens, "UTO-P-2024", &m, 5000, &f, &n, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_viz_expected(specimens, "UTO-P-2024", NULL, 300, &f, &n, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_viz_expected(specimens, NULL, &m, 300, &f, &n, &err) == DX_ERR_INVALID_ARG);
    dx_viz_fields_free(NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SPECIMENS\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* in step with the failures on stderr */
    specimens = argv[1];
    dx_log_set_levels("error");
    check_errors();
    check_passport();
    check_card();
    return dxtest_done();
}
