/* docex synth: what each light shows, measured; determinism; and every
 * defect of the catalogue changes what it says and nothing else (the images
 * of a defective document equal the genuine one's outside the regions its
 * ground truth lists).
 * argv[1]: the specimens directory, argv[2]: a scratch directory. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "docex/synth.h"
#include "dxtest.h"
#include "image/image.h"

#define DPI 100

static const char *specimens, *scratch;

static int make(const char *name, const char *specimen, uint64_t seed, const char *defect)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", scratch, name);
    dx_synth_options o = {0};
    o.specimen = specimen;
    o.specimens_dir = specimens;
    o.out_dir = dir;
    o.seed = seed;
    o.dpi = DPI;
    o.no_chip = true;
    o.today = 20261126;
    if (defect)
        o.defects[o.n_defects++] = defect;
    dx_error err = {0};
    dx_status st = dx_synth_scene_write(&o, NULL, NULL, &err);
    CHECK_MSG(st == DX_OK, "synth %s %s: %s", specimen, defect ? defect : "", err.message);
    return st == DX_OK;
}

typedef struct img {
    dx_png_image png;
    int w, h, ch, bits;
} img;

static int load(img *m, const char *scene, const char *side, const char *light)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s%s%s/%s.png", scratch, scene, side[0] ? "/" : "", side, light);
    dx_error err = {0};
    if (dx_png_load(path, &m->png, &err) != DX_OK) {
        CHECK_MSG(0, "%s: %s", path, err.message);
        return 0;
    }
    m->w = (int)m->png.view.width;
    m->h = (int)m->png.view.height;
    dx_pixfmt f = m->png.view.format;
    m->ch = (f == DX_PIX_RGB8 || f == DX_PIX_RGB16) ? 3 : 1;
    m->bits = (f == DX_PIX_GRAY16 || f == DX_PIX_RGB16) ? 16 : 8;
    return 1;
}

/* Channel k of pixel (x, y) on a 0..255 scale. */
static double px(const img *m, int x, int y, int k)
{
    const uint8_t *row = (const uint8_t *)m->png.view.data + (size_t)y * m->png.view.stride;
    if (m->ch == 1)
        k = 0;
    if (m->bits == 16)
        return ((const uint16_t *)row)[x * m->ch + k] / 257.0;
    return row[x * m->ch + k];
}

static double lum(const img *m, int x, int y)
{
    if (m->ch == 1)
        return px(m, x, y, 0);
    return 0.3 * px(m, x, y, 0) + 0.59 * px(m, x, y, 1) + 0.11 * px(m, x, y, 2);
}

typedef struct box {
    int x0, y0, x1, y1;
} box;

static box mm(double x, double y, double w, double h)
{
    double k = DPI / 25.4;
    return (box){(int)floor(x * k), (int)floor(y * k), (int)ceil((x + w) * k), (int)ceil((y + h) * k)};
}

/* mean of channel k (-1: luminance) over a box */
static double mean(const img *m, box b, int k)
{
    double s = 0;
    long n = 0;
    for (int y = b.y0; y < b.y1 && y < m->h; y++)
        for (int x = b.x0; x < b.x1 && x < m->w; x++, n++)
            s += k < 0 ? lum(m, x, y) : px(m, x, y, k);
    return n ? s / n : 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* (p95 - p5) / p95 of the luminance: print contrast */
static double contrast(const img *m, box b)
{
    size_t n = 0, cap = (size_t)(b.x1 - b.x0) * (b.y1 - b.y0);
    double *v = malloc(cap * sizeof *v);
    for (int y = b.y0; y < b.y1 && y < m->h; y++)
        for (int x = b.x0; x < b.x1 && x < m->w; x++)
            v[n++] = lum(m, x, y);
    qsort(v, n, sizeof *v, cmp_d);
    double lo = v[n / 20], hi = v[n - 1 - n / 20];
    free(v);
    return hi > 0 ? (hi - lo) / hi : 0;
}

static double frac_above(const img *m, box b, double t)
{
    long n = 0, k = 0;
    for (int y = b.y0; y < b.y1 && y < m->h; y++)
        for (int x = b.x0; x < b.x1 && x < m->w; x++, n++)
            k += lum(m, x, y) > t;
    return n ? (double)k / n : 0;
}

/* pixels that glow in a saturated colour (fibres under UV) */
static long coloured(const img *m, box b)
{
    long k = 0;
    for (int y = b.y0; y < b.y1 && y < m->h; y++)
        for (int x = b.x0; x < b.x1 && x < m->w; x++) {
            double r = px(m, x, y, 0), g = px(m, x, y, 1), bl = px(m, x, y, 2);
            double mx = fmax(r, fmax(g, bl)), mn = fmin(r, fmin(g, bl));
            k += mx > 90 && mx - mn > 60;
        }
    return k;
}

static void free_img(img *m)
{
    dx_png_image_free(&m->png);
}

/* ---- what each light shows --------------------------------------------- */

static void test_lights(void)
{
    img a, b;
    /* substrate at uv365: dull for genuine paper, bright for office paper */
    if (load(&a, "genuine", "", "uv365") && load(&b, "bright_paper", "", "uv365")) {
        double g = mean(&a, mm(8, 62, 30, 9), -1), o = mean(&b, mm(8, 62, 30, 9), -1);
        printf("substrate uv365 luminance: genuine %.1f, bright_paper %.1f\n", g, o);
        CHECK(g < 60);
        CHECK(o > 120);
        free_img(&a);
        free_img(&b);
    }
    /* MRZ at ir870: IR-absorbing ink stays dark; inkjet (dye) vanishes */
    if (load(&a, "genuine", "", "ir870") && load(&b, "inkjet_mrz", "", "ir870")) {
        double g = contrast(&a, mm(5, 73, 115, 13)), o = contrast(&b, mm(5, 73, 115, 13));
        printf("MRZ contrast ir870: genuine %.3f, inkjet_mrz %.3f\n", g, o);
        CHECK(g > 0.5);
        CHECK(o < 0.05);
        /* the guilloche background drops out at ir870 */
        double bg = contrast(&a, mm(60, 2, 36, 9));
        printf("background contrast ir870: %.3f\n", bg);
        CHECK(bg < 0.08);
        CHECK(a.bits == 16 && a.ch == 1);
        free_img(&a);
        free_img(&b);
    }
    if (load(&a, "genuine", "", "white")) { /* ... but is printed in white light */
        double bg = contrast(&a, mm(60, 2, 36, 9));
        printf("background contrast white: %.3f\n", bg);
        CHECK(bg > 0.15);
        double mrz = contrast(&a, mm(5, 73, 115, 13));
        CHECK(mrz > 0.5);
        free_img(&a);
    }
    /* the emblem glows green at uv365 (not when missing, blue when wrong) */
    const char *scenes[] = {"genuine", "missing_uv_feature", "wrong_uv_colour"};
    double gr[3] = {0}, bl[3] = {0}, rd[3] = {0};
    for (int i = 0; i < 3; i++)
        if (load(&a, scenes[i], "", "uv365")) {
            box e = mm(66, 32, 12, 3); /* the ring's bottom and rays */
            e = mm(56, 22, 32, 32);
            rd[i] = mean(&a, e, 0), gr[i] = mean(&a, e, 1), bl[i] = mean(&a, e, 2);
            free_img(&a);
        }
    printf("emblem uv365 mean RGB: genuine %.0f/%.0f/%.0f missing %.0f/%.0f/%.0f wrong %.0f/%.0f/%.0f\n",
           rd[0], gr[0], bl[0], rd[1], gr[1], bl[1], rd[2], gr[2], bl[2]);
    CHECK(gr[0] > rd[0] + 25 && gr[0] > bl[0] + 8);
    CHECK(gr[1] < gr[0] - 40);
    CHECK(bl[2] > gr[2] + 20);
    /* ... and orange at uv254 */
    if (load(&a, "genuine", "", "uv254")) {
        box e = mm(56, 22, 32, 32);
        CHECK(mean(&a, e, 0) > mean(&a, e, 1) + 10 && mean(&a, e, 0) > mean(&a, e, 2) + 20);
        free_img(&a);
    }
    /* watermark in transmitted light only */
    if (load(&a, "genuine", "", "white_transmitted") &&
        load(&b, "missing_watermark", "", "white_transmitted")) {
        box w = mm(87, 60, 32, 12);
        double d = 0;
        long n = 0;
        for (int y = w.y0; y < w.y1; y++)
            for (int x = w.x0; x < w.x1; x++, n++)
                d += fabs(lum(&a, x, y) - lum(&b, x, y));
        printf("watermark: mean |difference| in transmitted light %.1f\n", d / n);
        CHECK(d / n > 5);
        /* perforation: holes let the light through */
        double f = frac_above(&a, mm(120.2, 16, 3.6, 44), 225);
        printf("perforation: %.3f of the region lets light through\n", f);
        CHECK(f > 0.01);
        CHECK(frac_above(&a, mm(100, 62, 3.6, 20), 225) < 0.001);
        /* thread: a dark band through the page */
        CHECK(mean(&a, mm(40.4, 62, 1.0, 9), -1) < 0.6 * mean(&a, mm(35, 62, 4, 9), -1));
        free_img(&a);
        free_img(&b);
    }
    /* the OVD changes between diffuse, grazing and coaxial light */
    double c3[3][3];
    const char *lights[] = {"white", "oblique", "coaxial"};
    for (int i = 0; i < 3; i++)
        if (load(&a, "genuine", "", lights[i])) {
            for (int k = 0; k < 3; k++)
                c3[i][k] = mean(&a, mm(102, 16, 16, 16), k);
            free_img(&a);
        }
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++) {
            double d = sqrt(pow(c3[i][0] - c3[j][0], 2) + pow(c3[i][1] - c3[j][1], 2) +
                            pow(c3[i][2] - c3[j][2], 2));
            printf("OVD %s vs %s: colour distance %.0f\n", lights[i], lights[j], d);
            CHECK(d > 30);
        }
    /* fibres glow under UV; none on missing_fibres */
    if (load(&a, "genuine", "", "uv365") && load(&b, "missing_fibres", "", "uv365")) {
        long g = coloured(&a, mm(2, 60, 121, 26)), o = coloured(&b, mm(2, 60, 121, 26));
        printf("fibre pixels uv365 (lower page): genuine %ld, missing_fibres %ld\n", g, o);
        CHECK(g > 20);
        CHECK(o == 0);
        free_img(&a);
        free_img(&b);
    }
}

/* ---- each defect changes what it says and nothing else ------------------ */

typedef struct region {
    char side[16];
    box b;
    char lights[160];
} region;

static size_t regions_of(const char *scene, const char *side, region *out, size_t cap)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s%s%s/scene.json", scratch, scene, side[0] ? "/" : "", side);
    json_t *root = json_load_file(path, 0, NULL);
    REQUIRE(root);
    size_t n = 0, i, k;
    json_t *d, *c;
    json_array_foreach(json_object_get(json_object_get(root, "synth"), "defects"), i, d) {
        json_array_foreach(json_object_get(d, "changes"), k, c) {
            json_t *r = json_object_get(c, "region_mm");
            if (!r || n == cap)
                continue;
            region *g = &out[n++];
            snprintf(g->side, sizeof g->side, "%s", json_string_value(json_object_get(c, "side")));
            snprintf(g->lights, sizeof g->lights, "%s",
                     json_string_value(json_object_get(c, "illuminations")));
            box b = mm(json_number_value(json_array_get(r, 0)), json_number_value(json_array_get(r, 1)),
                       json_number_value(json_array_get(r, 2)), json_number_value(json_array_get(r, 3)));
            b.x0 -= 1, b.y0 -= 1, b.x1 += 1, b.y1 += 1; /* antialiased edges */
            g->b = b;
        }
    }
    json_decref(root);
    return n;
}

static bool light_listed(const char *list, const char *light)
{
    if (strcmp(list, "all") == 0)
        return true;
    size_t n = strlen(light);
    for (const char *p = list; (p = strstr(p, light)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

static void test_defect_locality(const char *specimen, const char *genuine, const char *defect,
                                 const char *const *sides, const char *const *lights,
                                 bool visual)
{
    char name[64];
    snprintf(name, sizeof name, "%s", defect);
    char *colon = strchr(name, ':');
    if (colon)
        *colon = '\0';
    static int serial;
    char scene[96];
    snprintf(scene, sizeof scene, "%s-%s-%d", specimen, name, ++serial);
    if (!make(scene, specimen, 5, defect))
        return;
    long changed = 0;
    for (const char *const *side = sides; *side; side++) {
        region reg[128];
        size_t nr = regions_of(scene, *side, reg, 128);
        for (const char *const *l = lights; *l; l++) {
            img a, b;
            if (!load(&a, genuine, *side, *l))
                continue;
            if (!load(&b, scene, *side, *l)) {
                free_img(&a);
                continue;
            }
            long outside = 0;
            int ox = -1, oy = -1;
            for (int y = 0; y < a.h; y++)
                for (int x = 0; x < a.w; x++) {
                    bool same = true;
                    for (int k = 0; k < a.ch; k++)
                        same &= px(&a, x, y, k) == px(&b, x, y, k);
                    if (same)
                        continue;
                    changed++;
                    bool inside = false;
                    for (size_t r = 0; r < nr && !inside; r++)
                        inside = x >= reg[r].b.x0 && x < reg[r].b.x1 && y >= reg[r].b.y0 &&
                                 y < reg[r].b.y1 && light_listed(reg[r].lights, *l);
                    if (!inside && outside++ == 0)
                        ox = x, oy = y;
                }
            CHECK_MSG(outside == 0,
                      "%s: %ld pixels changed outside its regions (%s%s%s), the first at "
                      "%.1f, %.1f mm",
                      defect, outside, *side, (*side)[0] ? " " : "", *l, ox * 25.4 / DPI,
                      oy * 25.4 / DPI);
            free_img(&a);
            free_img(&b);
        }
    }
    if (visual)
        CHECK_MSG(changed > 0, "%s changed no pixel", defect);
    else
        CHECK_MSG(changed == 0, "%s (a chip defect) changed %ld pixels", defect, changed);
    printf("%-40s %ld pixels changed, all inside its regions\n", defect, changed);
}

static void test_determinism(void)
{
    const char *lights[] = {"white", "uv365", "ir870", "white_transmitted", NULL};
    REQUIRE(make("genuine-again", "UTO-P-2024", 5, NULL));
    REQUIRE(make("genuine-seed6", "UTO-P-2024", 6, NULL));
    for (const char *const *l = lights; *l; l++) {
        char a[4300], b[4300], c[4300];
        snprintf(a, sizeof a, "%s/genuine/%s.png", scratch, *l);
        snprintf(b, sizeof b, "%s/genuine-again/%s.png", scratch, *l);
        snprintf(c, sizeof c, "%s/genuine-seed6/%s.png", scratch, *l);
        FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb"), *fc = fopen(c, "rb");
        REQUIRE(fa && fb && fc);
        int same = 1, same_c = 1, x, y, z;
        do {
            x = fgetc(fa), y = fgetc(fb), z = fgetc(fc);
            same &= x == y;
            same_c &= x == z;
        } while (x != EOF || y != EOF);
        fclose(fa);
        fclose(fb);
        fclose(fc);
        CHECK_MSG(same, "%s: same seed, different bytes", *l);
        if (!strcmp(*l, "uv365")) /* the fibres follow the seed */
            CHECK_MSG(!same_c, "%s: another seed, same bytes", *l);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test-synth SPECIMENS_DIR SCRATCH_DIR\n");
        return 2;
    }
    specimens = argv[1];
    scratch = argv[2];
    char cmd[4200]; /* a fresh scratch directory: synth never overwrites a scene */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (strchr(scratch, '\'') || system(cmd) != 0)
        return 2;
    mkdir(scratch, 0755);
    REQUIRE(make("genuine", "UTO-P-2024", 5, NULL));
    const char *vis[] = {"bright_paper", "inkjet_mrz", "missing_uv_feature", "wrong_uv_colour",
                         "missing_watermark", "missing_fibres"};
    for (size_t i = 0; i < sizeof vis / sizeof vis[0]; i++)
        REQUIRE(make(vis[i], "UTO-P-2024", 5, vis[i]));
    test_lights();
    test_determinism();

    const char *p_sides[] = {"", NULL};
    const char *all[] = {"white", "uv365", "uv254", "ir870", "white_transmitted",
                         "ir_transmitted", "oblique", "coaxial", NULL};
    const char *defects[] = {"photo_substitution", "mrz_alteration:line=2,col=3",
                             "mrz_alteration:line=2,col=3,char=7,recompute=1",
                             "data_mismatch:field=surname,value=ERIKSEN", "bright_paper",
                             "missing_uv_feature", "wrong_uv_colour", "inkjet_mrz",
                             "missing_watermark", "missing_fibres",
                             "reprinted_background:shift=0.5", "expired"};
    for (size_t i = 0; i < sizeof defects / sizeof defects[0]; i++)
        test_defect_locality("UTO-P-2024", "genuine", defects[i], p_sides, all, true);
    const char *chip[] = {"chip_dg_tampered:dg=2", "chip_untrusted_ds", "chip_clone",
                          "chip_mrz_mismatch"};
    for (size_t i = 0; i < sizeof chip / sizeof chip[0]; i++)
        test_defect_locality("UTO-P-2024", "genuine", chip[i], p_sides, all, false);

    /* the identity card: two sides */
    REQUIRE(make("id-genuine", "UTO-ID-2021", 5, NULL));
    const char *id_sides[] = {"", "back", NULL};
    const char *id_defects[] = {"mrz_alteration:line=1,col=8", "data_mismatch:field=surname",
                                "photo_substitution:seed=99", "expired"};
    for (size_t i = 0; i < sizeof id_defects / sizeof id_defects[0]; i++)
        test_defect_locality("UTO-ID-2021", "id-genuine", id_defects[i], id_sides, all, true);
    return dxtest_done();
}
