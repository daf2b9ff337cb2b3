/* The visual zone against the MRZ (synth/viz.h) on synthetic documents drawn
 * at test time with docex synth: genuine documents of several holders (names
 * with hyphens, apostrophes, three words, a name the MRZ truncates, sex X) under
 * scanner noise, blur and registration error, and data_mismatch defects of
 * each field the MRZ determines.  Every field of every document is compared;
 * the figures are printed (viz.h quotes them) and checked against
 * DX_VIZ_MIN_SEGMENT with a margin.  Under the sanitizers (DOCEX_ASAN) a
 * quicker subset: one seed per holder, every other alteration.
 * argv[1]: specimens directory, argv[2]: scratch directory (emptied),
 * argv[3]: the specimen (UTO-P-2024 or UTO-ID-2021), argv[4]: the scenes'
 * dpi (default 300). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "docex/synth.h"
#include "dxtest.h"
#include "image/image.h"
#include "image/register.h"
#include "synth/holder.h"
#include "synth/render.h"
#include "synth/specimen_layout.h"
#include "synth/viz.h"

static double DPI = 300; /* argv[4] */
#define TODAY 20261126
#define MAX_SHIFT_MM 0.5
#define MARGIN 0.10 /* "clearly" above / below the threshold */

static const char *specimens, *scratch, *spec_id;
static dx_spec_layout lay;

/* ---- holders ------------------------------------------------------------------ */

typedef struct hdef {
    const char *surname, *given, *number, *birth, *expiry;
    char sex;
} hdef;

static const hdef holders[] = {
    {"ERIKSSON", "ANNA MARIA", "L898902C3", "1974-08-12", "2034-04-15", 'F'},
    {"NGUYEN", "VAN THANH", "X41K77203", "1988-01-30", "2031-11-02", 'M'},
    {"SMITH-JONES", "JOHN", "P00123456", "1961-12-05", "2029-06-21", 'M'},
    {"O'BRIEN", "MARY-KATE ELIZABETH", "B7Q3Z9K12", "2001-07-17", "2033-02-28", 'F'},
    {"VAN DER BERG", "PIETER JAN WILLEM", "4CH8M2J0R", "1955-03-09", "2027-09-14", 'X'},
    /* 18 + 2 + 22 characters: the MRZ truncates the given names (TD1 and TD3) */
    {"WOLFESCHLEGELSTEIN", "HUBERT BLAINE WOLFGANG", "ZZ9912345", "1999-10-31", "2030-12-01", 'M'},
};
enum { NH = sizeof holders / sizeof holders[0] };

static void make_holder(int i, dx_synth_holder *h)
{
    const hdef *d = &holders[i];
    *h = lay.holder; /* document code, state, issue date, place, authority */
    snprintf(h->surname, sizeof h->surname, "%s", d->surname);
    snprintf(h->given_names, sizeof h->given_names, "%s", d->given);
    snprintf(h->document_number, sizeof h->document_number, "%s", d->number);
    snprintf(h->birth_date, sizeof h->birth_date, "%.4s%.2s%.2s", d->birth, d->birth + 5,
             d->birth + 8);
    snprintf(h->expiry_date, sizeof h->expiry_date, "%.4s%.2s%.2s", d->expiry, d->expiry + 5,
             d->expiry + 8);
    h->sex = d->sex;
    h->optional_data[0] = '\0';
}

/* The MRZ the document carries, parsed as a reader would. */
static int holder_mrz(int i, dx_mrz *m)
{
    dx_synth_holder h;
    make_holder(i, &h);
    char lines[DX_MRZ_MAX_LINES][45];
    size_t n = 0;
    dx_error err = {0};
    dx_status st = dx_synth_mrz_compose(&h, lay.format, lines, &n, &err);
    CHECK_MSG(st == DX_OK, "compose %s: %s", h.surname, err.message);
    if (st)
        return 0;
    const char *lp[DX_MRZ_MAX_LINES] = {lines[0], lines[1], lines[2]};
    dx_mrz_options o = {.today = TODAY};
    st = dx_mrz_parse(lp, n, &o, m, &err);
    CHECK_MSG(st == DX_OK && m->valid, "parse %s: %s", h.surname, err.message);
    return st == DX_OK;
}

/* ---- scenes --------------------------------------------------------------------- */

typedef struct scene {
    int holder;
    uint64_t seed;
    double noise, blur_px, shift_x_mm, shift_y_mm;
    bool placed;        /* on the glass, rotated: registered with dx_reg_estimate on white */
    double rotation_deg, vignetting; /* placed: turned by this on the glass */
    const char *field;  /* data_mismatch of this field ... */
    const char *value;  /* ... showing this (NULL: synth's own one-letter change) */
} scene;

static int scene_no;

/* Draw the scene; its directory in dir. */
static int draw(const scene *sc, char *dir, size_t size)
{
    snprintf(dir, size, "%s/s%02d", scratch, scene_no++);
    char hpath[4200], defect[256];
    snprintf(hpath, sizeof hpath, "%s.holder.json", dir);
    dx_synth_holder h;
    make_holder(sc->holder, &h);
    char *js = dx_synth_holder_to_json(&h);
    FILE *fp = fopen(hpath, "w");
    REQUIRE(js && fp);
    fputs(js, fp);
    fclose(fp);
    free(js);
    static const char *const ir_only[] = {"ir870", NULL}, *const both[] = {"white", "ir870", NULL};
    dx_synth_options o = {0};
    o.specimen = spec_id;
    o.specimens_dir = specimens;
    o.out_dir = dir;
    o.seed = sc->seed;
    o.holder_file = hpath;
    o.dpi = DPI;
    o.no_chip = true;
    o.today = TODAY;
    o.noise = sc->noise;
    o.blur_px = sc->blur_px;
    o.lights = sc->placed ? both : ir_only;
    if (sc->placed) {
        o.glass_mm = 10;
        o.rotation_deg = sc->rotation_deg;
        o.vignetting = sc->vignetting;
        o.shift_x_mm = sc->shift_x_mm;
        o.shift_y_mm = sc->shift_y_mm;
    } else {
        /* the page itself, its print displaced: taken as registered
         * (dx_reg_identity), the displacement is the registration error */
        o.shift_x_mm = sc->shift_x_mm;
        o.shift_y_mm = sc->shift_y_mm;
    }
    if (sc->field) {
        if (sc->value)
            snprintf(defect, sizeof defect, "data_mismatch:field=%s,value=%s", sc->field,
                     sc->value);
        else
            snprintf(defect, sizeof defect, "data_mismatch:field=%s", sc->field);
        o.defects[o.n_defects++] = defect;
    }
    dx_error err = {0};
    dx_status st = dx_synth_scene_write(&o, NULL, NULL, &err);
    CHECK_MSG(st == DX_OK, "synth %s: %s", dir, err.message);
    return st == DX_OK;
}

/* Side `side` of a drawn scene under `light`, registered to the page at DPI
 * (`t`: the transform to use; NULL: estimate it on this image). */
static int load(const char *dir, int side, const char *light, const dx_reg_transform *t,
                dx_reg_transform *found, dx_reg_image *out)
{
    char path[4400];
    if (side == 0)
        snprintf(path, sizeof path, "%s/%s.png", dir, light);
    else
        snprintf(path, sizeof path, "%s/%s/%s.png", dir, lay.sides[side], light);
    dx_png_image png;
    dx_error err = {0};
    if (dx_png_load(path, &png, &err) != DX_OK) {
        CHECK_MSG(0, "%s: %s", path, err.message);
        return 0;
    }
    dx_reg_transform tt;
    dx_status st = DX_OK;
    if (t)
        tt = *t;
    else if (found)
        st = dx_reg_estimate(&png.view, DPI, lay.page_w_mm, lay.page_h_mm, NULL, &tt, &err);
    else
        dx_reg_identity(DPI, lay.page_w_mm, lay.page_h_mm, png.view.width, png.view.height, &tt);
    if (st == DX_OK)
        st = dx_reg_resample(&png.view, &tt, DPI, NULL, out, &err);
    CHECK_MSG(st == DX_OK, "%s: %s", path, err.message);
    if (found)
        *found = tt;
    dx_png_image_free(&png);
    return st == DX_OK;
}

/* ---- figures ---------------------------------------------------------------------- */

#define MAX_KEYS 16

typedef struct figure {
    char key[32];
    double gen_min, gen_score_min;       /* genuine fields */
    double def_max, def_score_max;       /* the altered field */
    double other_min;                    /* the other fields of altered documents */
    int n_gen, n_def;
    char worst_gen[96], worst_def[96];
} figure;

static figure figs[MAX_KEYS];
static size_t n_figs;

static figure *fig(const char *key)
{
    for (size_t i = 0; i < n_figs; i++)
        if (!strcmp(figs[i].key, key))
            return &figs[i];
    REQUIRE(n_figs < MAX_KEYS);
    figure *f = &figs[n_figs++];
    memset(f, 0, sizeof *f);
    snprintf(f->key, sizeof f->key, "%s", key);
    f->gen_min = f->gen_score_min = f->other_min = 2;
    f->def_max = f->def_score_max = -2;
    return f;
}

/* How a document's comparisons count: checked and recorded in the figures;
 * white light (recorded apart, not checked); only shown. */
typedef enum mode { RECORD, WHITE, SHOW } mode;

static double white_gen_min = 2, white_alt_max = -2, cmp_seconds;
static int cmp_count;

/* Compare every field of one document; print one line per field. */
static void compare_doc(const char *label, const scene *sc, dx_reg_image *im_by_side, mode md)
{
    bool record = md == RECORD;
    dx_mrz m;
    if (!holder_mrz(sc->holder, &m))
        return;
    dx_viz_field *f = NULL;
    size_t n = 0;
    dx_error err = {0};
    dx_status st = dx_viz_expected(specimens, spec_id, &m, DPI, &f, &n, &err);
    CHECK_MSG(st == DX_OK, "%s: expected: %s", label, err.message);
    if (st)
        return;
    CHECK(n >= 7);
    for (size_t i = 0; i < n; i++) {
        dx_viz_match r;
        clock_t t0 = clock();
        st = dx_viz_compare(&f[i], &im_by_side[f[i].side], MAX_SHIFT_MM, &r, &err);
        cmp_seconds += (double)(clock() - t0) / CLOCKS_PER_SEC;
        cmp_count++;
        CHECK_MSG(st == DX_OK, "%s %s: %s", label, f[i].key, err.message);
        if (st)
            continue;
        bool altered = sc->field && !strcmp(sc->field, f[i].key);
        printf("  %-30s %-16s %-24s score %.3f  min_segment %.3f  at %+.2f,%+.2f mm%s\n", label,
               f[i].key, f[i].text, r.score, r.min_segment, r.dx_mm, r.dy_mm,
               altered ? "  <- altered" : "");
        if (md == WHITE) {
            if (altered)
                white_alt_max = fmax(white_alt_max, r.min_segment);
            else
                white_gen_min = fmin(white_gen_min, r.min_segment);
        }
        if (!record)
            continue;
        figure *g = fig(f[i].key);
        char where[96];
        snprintf(where, sizeof where, "%s \"%s\"", label, f[i].text);
        if (!sc->field) {
            g->n_gen++;
            if (r.min_segment < g->gen_min) {
                g->gen_min = r.min_segment;
                snprintf(g->worst_gen, sizeof g->worst_gen, "%s", where);
            }
            g->gen_score_min = fmin(g->gen_score_min, r.score);
            CHECK_MSG(r.min_segment >= DX_VIZ_MIN_SEGMENT + MARGIN,
                      "genuine %s %s: %.3f below %.2f + %.2f", label, f[i].key, r.min_segment,
                      DX_VIZ_MIN_SEGMENT, MARGIN);
        } else if (altered) {
            g->n_def++;
            if (r.min_segment > g->def_max) {
                g->def_max = r.min_segment;
                snprintf(g->worst_def, sizeof g->worst_def, "%s", label);
            }
            g->def_score_max = fmax(g->def_score_max, r.score);
            CHECK_MSG(r.min_segment <= DX_VIZ_MIN_SEGMENT - MARGIN,
                      "altered %s %s: %.3f not below %.2f - %.2f", label, f[i].key, r.min_segment,
                      DX_VIZ_MIN_SEGMENT, MARGIN);
        } else {
            g->other_min = fmin(g->other_min, r.min_segment);
            CHECK_MSG(r.min_segment >= DX_VIZ_MIN_SEGMENT + MARGIN,
                      "unaltered %s %s: %.3f below %.2f + %.2f", label, f[i].key, r.min_segment,
                      DX_VIZ_MIN_SEGMENT, MARGIN);
        }
    }
    dx_viz_fields_free(f, n);
}

/* The side that carries the visual zone. */
static int viz_side(void)
{
    for (size_t i = 0; i < lay.n_elems; i++)
        if (lay.elems[i].type == DX_ELEM_DATA)
            for (size_t k = 0; k < lay.elems[i].n_fields; k++)
                if (!strcmp(lay.elems[i].fields[k].key, "surname"))
                    return lay.elems[i].side;
    return 0;
}

static void run_scene(const char *label, const scene *sc)
{
    char dir[4200];
    if (!draw(sc, dir, sizeof dir))
        return;
    int side = viz_side();
    dx_reg_image im[DX_SPEC_MAX_SIDES] = {{0}};
    if (sc->placed) {
        /* registered on white as the inspection does, the transform applied to ir870 */
        dx_reg_transform t;
        dx_reg_image white = {0};
        if (!load(dir, side, "white", NULL, &t, &white) ||
            !load(dir, side, "ir870", &t, NULL, &im[side]))
            return;
        printf("  %-30s registration: scale %.3f px/mm (true %.3f), rotation %.2f deg, "
               "confidence %.2f\n", label, t.scale, DPI / 25.4, t.rotation_deg, t.confidence);
        compare_doc(label, sc, im, RECORD);
        /* the same document compared in white light: measured, not decided on */
        dx_reg_image ir = im[side];
        im[side] = white;
        char l2[64];
        snprintf(l2, sizeof l2, "%s [white]", label);
        compare_doc(l2, sc, im, WHITE);
        im[side] = ir;
        dx_reg_image_free(&white);
    } else {
        if (!load(dir, side, "ir870", NULL, NULL, &im[side]))
            return;
        compare_doc(label, sc, im, RECORD);
    }
    dx_reg_image_free(&im[side]);
}

/* The text field `key` of holder `holder` shows, into b[64]. */
static const char *printed(int holder, const char *key, char *b)
{
    dx_synth_holder h;
    make_holder(holder, &h);
    dx_synth_field_text(&h, key, b, 64);
    return b;
}

/* That text with the character at `pos` (from 0; negative: from the end)
 * replaced by `c`, into b[64]. */
static const char *alter(int holder, const char *key, int pos, char c, char *b)
{
    printed(holder, key, b);
    int n = (int)strlen(b);
    int i = pos < 0 ? n + pos : pos;
    if (i >= 0 && i < n)
        b[i] = c;
    return b;
}

/* A coarser capture: the page drawn at DPI resampled to `dpi` (the rendering
 * stays at DPI), genuine and with one digit of the birth date changed. */
static void coarse_capture(double dpi, bool altered)
{
    char bd[64];
    scene sc = {.holder = 3, .seed = altered ? 8 : 9, .noise = 3, .blur_px = 0.7,
                .shift_x_mm = 0.2, .field = altered ? "birth_date" : NULL,
                .value = altered ? alter(3, "birth_date", -1, '7', bd) : NULL};
    char dir[4200];
    if (!draw(&sc, dir, sizeof dir))
        return;
    int side = viz_side();
    char path[4400];
    if (side == 0)
        snprintf(path, sizeof path, "%s/ir870.png", dir);
    else
        snprintf(path, sizeof path, "%s/%s/ir870.png", dir, lay.sides[side]);
    dx_png_image png;
    dx_error err = {0};
    REQUIRE(dx_png_load(path, &png, &err) == DX_OK);
    dx_reg_transform t;
    dx_reg_identity(DPI, lay.page_w_mm, lay.page_h_mm, png.view.width, png.view.height, &t);
    dx_reg_image im[DX_SPEC_MAX_SIDES] = {{0}};
    REQUIRE(dx_reg_resample(&png.view, &t, dpi, NULL, &im[side], &err) == DX_OK);
    dx_png_image_free(&png);
    char label[64];
    snprintf(label, sizeof label, "%s h3 at %.0f dpi", altered ? "birth_date 1->7" : "genuine",
             dpi);
    compare_doc(label, &sc, im, SHOW);
    /* decided on, at no margin: a coarse capture blurs the glyphs */
    dx_mrz m;
    REQUIRE(holder_mrz(sc.holder, &m));
    dx_viz_field *f = NULL;
    size_t n = 0;
    REQUIRE(dx_viz_expected(specimens, spec_id, &m, DPI, &f, &n, &err) == DX_OK);
    double gen = 2, alt = -2;
    for (size_t i = 0; i < n; i++) {
        dx_viz_match r;
        REQUIRE(dx_viz_compare(&f[i], &im[f[i].side], MAX_SHIFT_MM, &r, &err) == DX_OK);
        if (altered && !strcmp(f[i].key, "birth_date"))
            alt = r.min_segment;
        else
            gen = fmin(gen, r.min_segment);
    }
    printf("  %s: genuine fields min %.3f", label, gen);
    if (altered)
        printf(", altered field %.3f", alt);
    printf("\n");
    CHECK_MSG(gen >= DX_VIZ_MIN_SEGMENT, "%s: %.3f", label, gen);
    if (altered)
        CHECK_MSG(alt < DX_VIZ_MIN_SEGMENT, "%s: %.3f", label, alt);
    dx_viz_fields_free(f, n);
    dx_reg_image_free(&im[side]);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s SPECIMENS SCRATCH SPECIMEN\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* in step with the failures on stderr */
    specimens = argv[1];
    scratch = argv[2];
    spec_id = argv[3];
    if (argc > 4)
        DPI = atof(argv[4]);
    /* under the sanitizers (slow): one seed per holder, every other alteration */
    bool quick = getenv("DOCEX_ASAN") != NULL;
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (strchr(scratch, '\'') || system(cmd) != 0)
        return 2;
    mkdir(scratch, 0755);
    dx_log_set_levels("error");
    dx_error err = {0};
    REQUIRE(dx_spec_layout_load(specimens, spec_id, &lay, &err) == DX_OK);
    printf("%s at %.0f dpi: %s, visual zone on side %s; threshold min_segment >= %.2f (margin "
           "%.2f)%s\n", spec_id, DPI, dx_mrz_format_name(lay.format), lay.sides[viz_side()],
           DX_VIZ_MIN_SEGMENT, MARGIN, quick ? "; quick (DOCEX_ASAN)" : "");

    /* genuine: every holder twice, noise 2..4, blur 0.7 px, registration
     * error up to +-0.3 mm */
    static const double shifts[][2] = {{0.3, -0.3}, {-0.3, 0.2}, {0.15, 0.3}, {-0.2, -0.25},
                                       {0.0, 0.3},  {0.3, 0.0}};
    printf("genuine documents (ir870):\n");
    for (int h = 0; h < NH; h++)
        for (int s = 0; s < (quick ? 1 : 2); s++) {
            scene sc = {.holder = h, .seed = 11 + (uint64_t)(h * 2 + s), .noise = 2 + (h + s) % 3,
                        .blur_px = s ? 0.7 : 0.6, .shift_x_mm = shifts[(h + 3 * s) % 6][0],
                        .shift_y_mm = shifts[(h + 3 * s) % 6][1]};
            char label[64];
            snprintf(label, sizeof label, "genuine h%d seed %d", h, (int)sc.seed);
            run_scene(label, &sc);
        }
    /* placed on the glass, turned, registered as the inspection does */
    static const double turns[][3] = {{1.5, 0.7, 0}, {4.5, 0.8, 0}, {-7, 0.7, 0.2}};
    for (int k = 0; k < 3; k++) {
        scene sc = {.holder = k * 2 + (k == 1), .seed = 41 + (uint64_t)k, .noise = 3,
                    .blur_px = turns[k][1], .shift_x_mm = 1.5, .shift_y_mm = -2, .placed = true,
                    .rotation_deg = turns[k][0], .vignetting = turns[k][2]};
        char label[64];
        snprintf(label, sizeof label, "genuine h%d turned %+.1f", sc.holder, turns[k][0]);
        run_scene(label, &sc);
    }

    /* altered: one field each (data_mismatch), the rest as issued */
    typedef struct alt {
        int holder;
        const char *field;
        int pos;          /* the character changed ... */
        char to;          /* ... into this; 0: `value` */
        const char *value, *what;
    } alt;
    static const alt alts[] = {
        {0, "surname", 0, 0, NULL, "one letter (synth's own)"},
        {3, "surname", 4, 'A', NULL, "one letter E->A"},
        {4, "surname", -3, 'I', NULL, "one letter E->I"},
        {0, "surname", 0, 0, "LINDQVIST", "another name"},
        {2, "surname", 0, 0, "SMYTHE", "a shorter name"},
        {1, "surname", 0, 0, "NGUYENOVA", "a longer name"},
        {0, "given_names", 8, 'T', NULL, "one letter I->T"},
        {4, "given_names", 1, 'A', NULL, "one letter I->A"},
        {0, "document_number", -1, '8', NULL, "one character 3->8"},
        {1, "document_number", 5, '1', NULL, "one character 7->1"},
        {0, "birth_date", -1, '9', NULL, "one digit 4->9"},
        {1, "birth_date", -1, '6', NULL, "one digit 8->6"},
        {3, "birth_date", 1, '8', NULL, "one digit 7->8 (day)"},
        {0, "expiry_date", -1, '9', NULL, "one digit 4->9"},
        {2, "expiry_date", -1, '8', NULL, "one digit 9->8"},
        {0, "sex", 0, 0, "M", "F->M"},
        {1, "sex", 0, 0, "F", "M->F"},
    };
    printf("altered documents (ir870):\n");
    for (size_t i = 0; i < sizeof alts / sizeof alts[0]; i += quick ? 2 : 1) {
        char was[64], now[64];
        const alt *a = &alts[i];
        const char *value = a->to ? alter(a->holder, a->field, a->pos, a->to, now) : a->value;
        scene sc = {.holder = a->holder, .seed = 71 + (uint64_t)i, .noise = 2 + i % 3,
                    .blur_px = 0.7, .shift_x_mm = shifts[i % 6][0],
                    .shift_y_mm = shifts[i % 6][1], .field = a->field, .value = value};
        char label[64];
        snprintf(label, sizeof label, "%s: %s", a->field, a->what);
        printf("  -- %s (h%d): \"%s\" printed as \"%s\"\n", a->field, a->holder,
               printed(a->holder, a->field, was), value ? value : "(synth's change)");
        run_scene(label, &sc);
    }
    /* altered documents placed on the glass, turned */
    char bd[64], dn[64];
    scene sp = {.holder = 0, .seed = 99, .noise = 3, .blur_px = 0.8, .shift_x_mm = -1,
                .shift_y_mm = 2, .placed = true, .rotation_deg = 4.5, .field = "birth_date",
                .value = alter(0, "birth_date", 0, '3', bd)};
    run_scene("birth_date: 1->3, turned +4.5", &sp);
    scene sq = {.holder = 1, .seed = 98, .noise = 2, .blur_px = 0.7, .shift_x_mm = 2,
                .shift_y_mm = -1, .placed = true, .rotation_deg = -7, .vignetting = 0.2,
                .field = "document_number", .value = alter(1, "document_number", 2, '4', dn)};
    run_scene("document_number: 1->4, turned -7", &sq);

    printf("coarser captures:\n");
    for (int k = 0; k < 2; k++) {
        if (!quick) {
            coarse_capture(200, k);
            coarse_capture(150, k);
        }
        coarse_capture(100, k);
    }

    printf("figures (min_segment; score in brackets):\n");
    double gmin = 2, dmax = -2;
    for (size_t i = 0; i < n_figs; i++) {
        const figure *g = &figs[i];
        printf("  %-16s genuine min %.3f [%.3f] (%d)", g->key, g->gen_min, g->gen_score_min,
               g->n_gen);
        if (g->n_def)
            printf("   altered max %.3f [%.3f] (%d, %s)   other fields min %.3f", g->def_max,
                   g->def_score_max, g->n_def, g->worst_def, g->other_min);
        printf("\n");
        gmin = fmin(gmin, fmin(g->gen_min, g->other_min));
        if (g->n_def)
            dmax = fmax(dmax, g->def_max);
    }
    for (size_t i = 0; i < n_figs; i++)
        if (figs[i].gen_min == gmin)
            printf("  lowest genuine field: %s\n", figs[i].worst_gen);
    printf("dx_viz_compare: %d fields, %.1f ms each (CPU)\n", cmp_count,
           cmp_count ? 1000 * cmp_seconds / cmp_count : 0);
    printf("white light instead of ir870 (documents on the glass): genuine fields min %.3f, "
           "altered field %.3f\n", white_gen_min, white_alt_max);
    printf("%s at %.0f dpi: genuine min %.3f, altered max %.3f, threshold %.2f\n", spec_id, DPI,
           gmin, dmax, DX_VIZ_MIN_SEGMENT);
    return dxtest_done();
}
