/* bench-similarity: dx_measure_similarity_of() timed on real regions of a
 * synthetic scene, and the very same arrays written out for OpenCV's
 * matchTemplate (bench_inspect.py similarity) — see README.md.
 *
 *   bench-similarity --scene DIR --specimens DIR --out DIR [--specimen ID]
 *                    [--dpi 300] [--shifts 0.5,1.0] [--reps 9] [--budget-ms 2000]
 *
 * The scene's white light is registered (dx_reg_estimate) and resampled to
 * page coordinates at --dpi, as are white_transmitted (same transform) and
 * the specimen's reference images (dx_reg_identity at the reference dpi).
 * For every region the docex call is timed (CPU time of the thread, and wall
 * time) with each shift and with 0 mm (the part that is not the NCC search:
 * luminance planes, template mean, summed-area tables of one window, one
 * correlation, SSIM), the calls interleaved, median of --reps rounds after a
 * warm-up round (fewer, at least 3, once a case has used --budget-ms).
 * Then the luminance of the search window (the region grown by the shift,
 * clipped to the image) and of the template (the reference region, resized
 * to the region's size when they differ) are written as float32 .npy files,
 * one line per case goes to OUT/cases.tsv. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "docex/docex.h"
#include "docex/specimen.h"
#include "image/image.h"
#include "image/measure.h"
#include "image/register.h"

#define MAX_SHIFTS 8
#define MAX_REPS 101

typedef struct region_case {
    const char *name;    /* printed */
    const char *light;   /* illumination of the capture */
    dx_reg_rect ra;      /* region of the capture */
    dx_reg_rect rb;      /* region of the reference */
    int against_capture; /* 1: rb is another region of the same capture */
} region_case;

typedef struct box {
    int x0, y0, x1, y1;
} box;

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

/* CPU time of this thread: what the call itself costs, whatever else the
 * machine runs meanwhile (a shared 2-core machine). */
static double cpu_ms(void)
{
    return clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The pixels whose centres lie in r, clipped (as measure.c's box_of). */
static box box_of(const dx_reg_image *im, dx_reg_rect r)
{
    double ppm = im->dpi / 25.4;
    box b = {(int)ceil((r.x - im->x_mm) * ppm - 0.5), (int)ceil((r.y - im->y_mm) * ppm - 0.5),
             (int)ceil((r.x + r.w - im->x_mm) * ppm - 0.5),
             (int)ceil((r.y + r.h - im->y_mm) * ppm - 0.5)};
    if (b.x0 < 0) b.x0 = 0;
    if (b.y0 < 0) b.y0 = 0;
    if (b.x1 > im->w) b.x1 = im->w;
    if (b.y1 > im->h) b.y1 = im->h;
    return b;
}

/* The arrays docex's similarity works on, by docex's own functions
 * (image/measure.h): the luminance of box b, and the template resized. */
static float *lum_plane(const dx_reg_image *im, box b)
{
    return dx_measure_lum_plane(im, b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
}

static float *resize_plane(const float *s, int w, int h, int dw, int dh)
{
    return dx_measure_resize_plane(s, w, h, dw, dh);
}

/* A float32 h x w array as NumPy's .npy (format 1.0). */
static int write_npy(const char *path, const float *px, int w, int h)
{
    char hdr[128];
    int n = snprintf(hdr, sizeof hdr,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", h, w);
    int total = 10 + n + 1;
    int pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint16_t hl = (uint16_t)(n + pad + 1);
    unsigned char magic[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                               (unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
    fwrite(magic, 1, 10, f);
    fwrite(hdr, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    size_t cnt = (size_t)w * h;
    int rc = fwrite(px, sizeof *px, cnt, f) == cnt ? 0 : -1;
    if (fclose(f))
        rc = -1;
    return rc;
}

/* Resample one light of the scene with the transform found on white. */
static int load_capture(const dx_capture_set *set, const char *light, double scene_dpi,
                        const dx_specimen_info *info, dx_reg_transform *t, int estimate,
                        double dpi, dx_reg_image *out)
{
    const dx_capture_entry *e = dx_capture_set_find(set, light);
    if (!e) {
        fprintf(stderr, "bench-similarity: the scene has no %s capture\n", light);
        return -1;
    }
    dx_png_image png;
    dx_error err = {0};
    double td = now_ms();
    if (dx_png_load(e->path, &png, &err) != DX_OK) {
        fprintf(stderr, "bench-similarity: %s: %s\n", e->path, err.message);
        return -1;
    }
    td = now_ms() - td;
    double cdpi = e->dpi ? e->dpi : png.dpi > 0 ? png.dpi : scene_dpi;
    int rc = -1;
    double t0 = now_ms();
    if (estimate && dx_reg_estimate(&png.view, cdpi, info->page_width_mm, info->page_height_mm,
                                    NULL, t, &err) != DX_OK) {
        fprintf(stderr, "bench-similarity: registration of %s: %s\n", light, err.message);
        goto out;
    }
    double t1 = now_ms();
    if (dx_reg_resample(&png.view, t, dpi, NULL, out, &err) != DX_OK) {
        fprintf(stderr, "bench-similarity: resampling %s: %s\n", light, err.message);
        goto out;
    }
    double t2 = now_ms();
    printf("  capture %-18s %u x %u at %.0f dpi: PNG decode %.0f ms; -> %d x %d at %.0f dpi%s: "
           "resample %.0f ms\n", light, png.view.width, png.view.height, cdpi, td, out->w,
           out->h, dpi, estimate ? "" : " (white's transform)", t2 - t1);
    if (estimate)
        printf("  registration on white: %.0f ms, confidence %.2f\n", t1 - t0, t->confidence);
    rc = 0;
out:
    dx_png_image_free(&png);
    return rc;
}

static int load_reference(const dx_specimen *spec, const char *light, double dpi,
                          dx_reg_image *out)
{
    const dx_specimen_info *info = dx_specimen_info_get(spec);
    for (size_t i = 0; i < dx_specimen_reference_count(spec); i++) {
        const dx_specimen_reference *r = dx_specimen_reference_at(spec, i);
        if (r->side != 0 || strcmp(r->illumination, light))
            continue;
        dx_png_image png;
        dx_error err = {0};
        if (!r->present || dx_png_load(r->path, &png, &err) != DX_OK) {
            fprintf(stderr, "bench-similarity: reference %s: %s\n", r->path,
                    r->present ? err.message : "missing (build docex-data)");
            return -1;
        }
        /* the image is the page: its dpi is its width over the page's (the
         * manifest's reference_dpi should say the same) */
        double rdpi = png.view.width * 25.4 / info->page_width_mm;
        dx_reg_transform t;
        dx_reg_identity(rdpi, info->page_width_mm, info->page_height_mm, png.view.width,
                        png.view.height, &t);
        dx_status st = dx_reg_resample(&png.view, &t, dpi, NULL, out, &err);
        if (st != DX_OK)
            fprintf(stderr, "bench-similarity: resampling %s: %s\n", r->path, err.message);
        else
            printf("  reference %-16s %u x %u at %.0f dpi -> %d x %d at %.0f dpi%s\n", light,
                   png.view.width, png.view.height, rdpi, out->w, out->h, dpi,
                   fabs(rdpi - info->reference_dpi) > 0.03 * rdpi
                       ? " (NOTE: specimen.json's reference_dpi says otherwise)" : "");
        dx_png_image_free(&png);
        return st == DX_OK ? 0 : -1;
    }
    fprintf(stderr, "bench-similarity: the specimen lists no %s reference\n", light);
    return -1;
}

/* Median CPU ms (ms) and wall ms (wall) of dx_measure_similarity_of for each
 * of the n searches, the calls interleaved round by round (shift[0],
 * shift[1], ..., shift[0], ...) so that a change of the machine's load touches
 * every search alike: up to `reps` rounds after one warm-up round, at least
 * 3, no new round once budget_ms is spent. */
static int time_case(const dx_reg_image *a, dx_reg_rect ra, const dx_reg_image *b,
                     dx_reg_rect rb, const double *shift, int n, int reps, double budget_ms,
                     double *ms, double *wall, dx_measure_similarity *m, int *rounds)
{
    static double v[MAX_SHIFTS + 1][MAX_REPS], w[MAX_SHIFTS + 1][MAX_REPS];
    dx_error err = {0};
    for (int s = 0; s < n; s++)
        if (dx_measure_similarity_of(a, ra, b, rb, shift[s], &m[s], &err) != DX_OK) {
            fprintf(stderr, "bench-similarity: %s\n", err.message);
            return -1;
        }
    double start = now_ms();
    int r = 0;
    while (r < reps && (r < 3 || now_ms() - start < budget_ms)) {
        for (int s = 0; s < n; s++) {
            double t0 = now_ms(), c0 = cpu_ms();
            dx_measure_similarity_of(a, ra, b, rb, shift[s], &m[s], &err);
            v[s][r] = cpu_ms() - c0;
            w[s][r] = now_ms() - t0;
        }
        r++;
    }
    for (int s = 0; s < n; s++) {
        ms[s] = median(v[s], r);
        wall[s] = median(w[s], r);
    }
    *rounds = r;
    return 0;
}

static dx_reg_rect rect_of(dx_specimen_rect r)
{
    return (dx_reg_rect){r.x, r.y, r.w, r.h};
}

int main(int argc, char **argv)
{
    const char *scene = NULL, *specimens = NULL, *out = NULL, *id = "UTO-P-2024";
    const char *shifts_arg = "0.5,1.0";
    double dpi = 300, budget = 2000;
    int reps = 9;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench-similarity: %s: missing value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--scene")) scene = v;
        else if (!strcmp(a, "--specimens")) specimens = v;
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--specimen")) id = v;
        else if (!strcmp(a, "--dpi")) dpi = atof(v);
        else if (!strcmp(a, "--shifts")) shifts_arg = v;
        else if (!strcmp(a, "--reps")) reps = atoi(v);
        else if (!strcmp(a, "--budget-ms")) budget = atof(v);
        else {
            fprintf(stderr, "usage: bench-similarity --scene DIR --specimens DIR --out DIR "
                            "[--specimen ID] [--dpi 300] [--shifts 0.5,1.0] [--reps 9] "
                            "[--budget-ms 2000]\n");
            return 2;
        }
    }
    if (!scene || !out || reps < 1 || reps > MAX_REPS || !(dpi >= 50 && dpi <= 1200)) {
        fprintf(stderr, "bench-similarity: --scene and --out are required (see README.md)\n");
        return 2;
    }
    double shifts[MAX_SHIFTS];
    int n_shifts = 0;
    for (const char *p = shifts_arg; *p && n_shifts < MAX_SHIFTS;) {
        char *end;
        shifts[n_shifts++] = strtod(p, &end);
        if (end == p)
            return 2;
        p = *end == ',' ? end + 1 : end;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    dx_log_set_levels("error");
    if (mkdir(out, 0755) && errno != EEXIST) {
        perror(out);
        return 2;
    }

    int rc = 2;
    dx_error err = {0};
    dx_specimen *spec = NULL;
    dx_capture_set *set = NULL;
    dx_reg_image white = {0}, trans = {0}, ref_white = {0}, ref_trans = {0};
    FILE *tsv = NULL;
    if (dx_specimen_open(specimens, id, &spec, &err) != DX_OK ||
        dx_capture_set_open(scene, &set, &err) != DX_OK) {
        fprintf(stderr, "bench-similarity: %s\n", err.message);
        goto out;
    }
    const dx_specimen_info *info = dx_specimen_info_get(spec);
    const dx_specimen_feature *f_bg = dx_specimen_feature_find(spec, "background_pattern");
    const dx_specimen_feature *f_wm = dx_specimen_feature_find(spec, "watermark");
    const dx_specimen_feature *f_gh = dx_specimen_feature_find(spec, "photo_ghost");
    const dx_specimen_element *e_ph = dx_specimen_element_find(spec, "photo");
    const dx_specimen_element *e_of =
        f_gh && f_gh->expected.of ? dx_specimen_element_find(spec, f_gh->expected.of) : NULL;
    if (!f_bg || !f_wm || !f_gh || !e_ph || !e_of) {
        fprintf(stderr, "bench-similarity: %s lacks the features background_pattern, "
                        "watermark, photo_ghost or the element photo\n", id);
        goto out;
    }
    printf("== images (%s, scene %s)\n", id, scene);
    dx_reg_transform t;
    if (load_capture(set, "white", 600, info, &t, 1, dpi, &white) ||
        load_capture(set, "white_transmitted", 600, info, &t, 0, dpi, &trans) ||
        load_reference(spec, "white", dpi, &ref_white) ||
        load_reference(spec, "white_transmitted", dpi, &ref_trans))
        goto out;

    region_case cases[] = {
        {"background", "white", rect_of(f_bg->region), rect_of(f_bg->region), 0},
        {"watermark", "white_transmitted", rect_of(f_wm->region), rect_of(f_wm->region), 0},
        {"photo", "white", rect_of(e_ph->rect), rect_of(e_ph->rect), 0},
        {"ghost-vs-photo", "white", rect_of(f_gh->region), rect_of(e_of->rect), 1},
        /* the background region taken 3 px right and 2 px up of the reference's:
         * a registration error the search must find (best shift -3,+2) */
        {"background-offset", "white", rect_of(f_bg->region), rect_of(f_bg->region), 0},
    };
    size_t n_cases = sizeof cases / sizeof *cases;
    cases[n_cases - 1].ra.x += 3 * 25.4 / dpi;
    cases[n_cases - 1].ra.y -= 2 * 25.4 / dpi;
    char path[4200];
    snprintf(path, sizeof path, "%s/cases.tsv", out);
    if (!(tsv = fopen(path, "w"))) {
        perror(path);
        goto out;
    }
    fprintf(tsv, "name\tlight\tshift_mm\tshift_px\ttw\tth\tsw\tsh\tox0\toy0\tdocex_ms\t"
                 "docex_ms_shift0\tdocex_wall_ms\tdocex_wall_ms_shift0\treps\tncc\tssim\tdx_px\t"
                 "dy_px\ttemplate\tsearch\n");
    printf("== docex: dx_measure_similarity_of at %.0f dpi, CPU time of the call (median of up to "
           "%d rounds, the searches of a case interleaved)\n", dpi, reps);
    for (size_t c = 0; c < n_cases; c++) {
        const region_case *rc_ = &cases[c];
        int tr = !strcmp(rc_->light, "white_transmitted");
        const dx_reg_image *a = tr ? &trans : &white;
        const dx_reg_image *b = rc_->against_capture ? a : tr ? &ref_trans : &ref_white;
        /* searches[0] = 0 mm: everything but the search */
        double searches[MAX_SHIFTS + 1] = {0}, ms[MAX_SHIFTS + 1], wall[MAX_SHIFTS + 1];
        dx_measure_similarity m[MAX_SHIFTS + 1];
        int rounds;
        memcpy(searches + 1, shifts, sizeof *shifts * (size_t)n_shifts);
        if (time_case(a, rc_->ra, b, rc_->rb, searches, n_shifts + 1, reps, budget, ms, wall,
                      m, &rounds))
            goto out;
        box ba = box_of(a, rc_->ra), bb = box_of(b, rc_->rb);
        int tw = ba.x1 - ba.x0, th = ba.y1 - ba.y0, bw = bb.x1 - bb.x0, bh = bb.y1 - bb.y0;
        float *braw = lum_plane(b, bb);
        float *tpl = braw && (bw != tw || bh != th) ? resize_plane(braw, bw, bh, tw, th) : braw;
        snprintf(path, sizeof path, "%s/%s.template.npy", out, rc_->name);
        int bad = !tpl || write_npy(path, tpl, tw, th);
        if (tpl != braw)
            free(tpl);
        free(braw);
        if (bad) {
            perror(path);
            goto out;
        }
        printf("  %-17s %d x %d px, %d round%s: 0 mm: %.2f ms (wall %.2f; ncc %.4f, ssim %.4f)\n",
               rc_->name, tw, th, rounds, rounds == 1 ? "" : "s", ms[0], wall[0], m[0].ncc,
               m[0].ssim);
        for (int s = 0; s < n_shifts; s++) {
            double ppm = dpi / 25.4;
            int sh = (int)lround(shifts[s] * ppm);
            box bs = {ba.x0 - sh, ba.y0 - sh, ba.x1 + sh, ba.y1 + sh};
            if (bs.x0 < 0) bs.x0 = 0;
            if (bs.y0 < 0) bs.y0 = 0;
            if (bs.x1 > a->w) bs.x1 = a->w;
            if (bs.y1 > a->h) bs.y1 = a->h;
            float *srch = lum_plane(a, bs);
            char spath[4200];
            snprintf(spath, sizeof spath, "%s/%s.s%g.search.npy", out, rc_->name, shifts[s]);
            if (!srch || write_npy(spath, srch, bs.x1 - bs.x0, bs.y1 - bs.y0)) {
                perror(spath);
                free(srch);
                goto out;
            }
            free(srch);
            const dx_measure_similarity *q = &m[s + 1];
            printf("  %-17s %d x %d px, shift +-%d px (%.1f mm): %.2f ms (wall %.2f; ncc %.4f, "
                   "ssim %.4f)\n",
                   rc_->name, tw, th, sh, shifts[s], ms[s + 1], wall[s + 1], q->ncc, q->ssim);
            fprintf(tsv, "%s\t%s\t%g\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t%.6f"
                         "\t%.6f\t%ld\t%ld\t%s.template.npy\t%s.s%g.search.npy\n",
                    rc_->name, rc_->light, shifts[s], sh, tw, th, bs.x1 - bs.x0, bs.y1 - bs.y0,
                    ba.x0 - bs.x0, ba.y0 - bs.y0, ms[s + 1], ms[0], wall[s + 1], wall[0], rounds,
                    q->ncc, q->ssim,
                    lround(q->dx_mm * ppm), lround(q->dy_mm * ppm), rc_->name, rc_->name,
                    shifts[s]);
        }
    }
    rc = 0;
out:
    if (tsv && fclose(tsv))
        rc = 2;
    dx_reg_image_free(&white);
    dx_reg_image_free(&trans);
    dx_reg_image_free(&ref_white);
    dx_reg_image_free(&ref_trans);
    dx_capture_set_close(set);
    dx_specimen_close(spec);
    return rc;
}
