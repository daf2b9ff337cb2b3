/* bench-mrz-ocr — OCR time per MRZ and the share of synthetic images read
 * exactly (see README.md).
 *
 *   bench-mrz-ocr [--count N] [--seed S] [--timing-reps R] [--only-dpi D]
 *                 [--tesseract] [--save-failures DIR] [--verbose]
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "docex/mrz_read.h"
#include "icao/ocr.h"
#include "mrz_synth.h"

#ifdef DOCEX_HAVE_TESSERACT
#include <tesseract/capi.h>
#endif

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static dx_image_view view_of(const mrzs_image *img)
{
    dx_image_view v = {img->pixels, (uint32_t)img->width, (uint32_t)img->height,
                       (size_t)img->width * img->channels,
                       img->channels == 3 ? DX_PIX_RGB8 : DX_PIX_GRAY8};
    return v;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Degradations of the synthetic set, drawn from the seed. */
static void draw_params(uint64_t *rng, mrzs_params *p, int only_dpi)
{
    static const int dpis[] = {150, 200, 300, 300, 400, 600, 600, 1200};
    memset(p, 0, sizeof *p);
    double u = (double)(mrzs_rand(rng) % 10000) / 10000.0;
    p->dpi = only_dpi ? only_dpi : dpis[mrzs_rand(rng) % (sizeof dpis / sizeof *dpis)];
    p->rotation_deg = (u * 20.0 - 10.0) + (mrzs_rand(rng) % 8 == 0 ? 180.0 : 0.0);
    double scale = p->dpi / 300.0;
    p->blur_sigma_px = (double)(mrzs_rand(rng) % 100) / 100.0 * 1.2 * scale;
    p->noise_sigma = (double)(mrzs_rand(rng) % 100) / 100.0 * 10.0;
    p->jpeg_quality = mrzs_rand(rng) % 3 == 0 ? 40 + (int)(mrzs_rand(rng) % 50) : 0;
    p->light_gradient = (double)(mrzs_rand(rng) % 100) / 100.0 * 0.5;
    p->colour = mrzs_rand(rng) % 2;
    p->char_height_mm = 2.0 + (double)(mrzs_rand(rng) % 100) / 100.0 * 0.3;
    p->ink_spread_px = ((double)(mrzs_rand(rng) % 100) / 100.0 - 0.4) * 0.8 * scale;
    p->page = mrzs_rand(rng) % 4 != 0;
    p->seed = mrzs_rand(rng);
}

#ifdef DOCEX_HAVE_TESSERACT
/* Tesseract on the strips our locator cut (same detection, other recogniser). */
static int tess_read(TessBaseAPI *api, const dx_image_view *v, double dpi, char L[3][45],
                     size_t *n_lines)
{
    dx_gray g;
    dx_error err;
    dx_ocr_layout lay;
    if (dx_gray_from_view(v, &g, &err))
        return -1;
    int rc = -1;
    if (dx_ocr_locate(&g, dpi, &lay, &err))
        goto out;
    /* orientation: as our reader decides it (cheap look), so only the
     * recogniser differs */
    double m[2];
    for (int o = 0; o < 2; o++) {
        m[o] = 0;
        for (size_t i = 0; i < lay.n_lines; i++) {
            dx_ocr_strip s;
            if (dx_ocr_strip_make(&g, &lay, i, o, &s, &err))
                goto out;
            dx_ocr_cell *cells = calloc((size_t)s.n, sizeof *cells);
            m[o] += dx_ocr_recognise(&s, cells, 12);
            free(cells);
            dx_ocr_strip_free(&s);
        }
    }
    bool up = m[1] > m[0];
    *n_lines = lay.n_lines;
    for (size_t i = 0; i < lay.n_lines; i++) {
        dx_ocr_strip s;
        size_t src = up ? lay.n_lines - 1 - i : i;
        if (dx_ocr_strip_make(&g, &lay, src, up, &s, &err))
            goto out;
        unsigned char *px = malloc((size_t)s.w * s.h);
        for (size_t k = 0; k < (size_t)s.w * s.h; k++)
            px[k] = (unsigned char)lround(255.0 * (1.0 - s.d[k]));
        TessBaseAPISetImage(api, px, s.w, s.h, 1, s.w);
        TessBaseAPISetSourceResolution(api, 300);
        char *t = TessBaseAPIGetUTF8Text(api);
        size_t k = 0;
        for (const char *c = t; c && *c && k < 44; c++)
            if ((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '<')
                L[i][k++] = *c;
        L[i][k] = '\0';
        TessDeleteText(t);
        free(px);
        dx_ocr_strip_free(&s);
    }
    rc = 0;
out:
    dx_gray_free(&g);
    return rc;
}
#endif

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"count", required_argument, 0, 'n'},
                                         {"seed", required_argument, 0, 's'},
                                         {"timing-reps", required_argument, 0, 'r'},
                                         {"only-dpi", required_argument, 0, 'd'},
                                         {"tesseract", no_argument, 0, 't'},
                                         {"save-failures", required_argument, 0, 'f'},
                                         {"verbose", no_argument, 0, 'v'},
                                         {0, 0, 0, 0}};
    int count = 1000, reps = 20, only_dpi = 0, tess = 0, verbose = 0;
    uint64_t seed = 1;
    const char *save = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n': count = atoi(optarg); break;
        case 's': seed = strtoull(optarg, NULL, 0); break;
        case 'r': reps = atoi(optarg); break;
        case 'd': only_dpi = atoi(optarg); break;
        case 't': tess = 1; break;
        case 'f': save = optarg; break;
        case 'v': verbose = 1; break;
        default:
            fprintf(stderr, "usage: bench-mrz-ocr [--count N] [--seed S] [--timing-reps R] "
                            "[--only-dpi D] [--tesseract] [--save-failures DIR] [--verbose]\n");
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char err[256];
    if (mrzs_init(NULL, err, sizeof err)) {
        fprintf(stderr, "bench-mrz-ocr: %s\n", err);
        return 2;
    }
    if (save)
        mkdir(save, 0755);
    dx_log_set_levels("error");

    /* 1. time per TD3 MRZ: a passport page at 300 and 600 dpi, lightly
     * degraded (rotation, noise, blur), grey */
    printf("== OCR time per TD3 MRZ (full 125 x 88 mm page, grey, read from memory)\n");
    double t_ms[2] = {0, 0};
    static const int tdpi[2] = {300, 600};
    for (int k = 0; k < 2; k++) {
        if (reps <= 0)
            break;
        double *ts = malloc(sizeof *ts * (size_t)reps);
        uint64_t rng = seed + 77;
        int ok = 0;
        for (int i = 0; i < reps; i++) {
            char L[3][45];
            const char *lines[3];
            size_t n = mrzs_random_mrz(&rng, 3, L);
            for (size_t j = 0; j < n; j++)
                lines[j] = L[j];
            mrzs_params p = {.dpi = tdpi[k], .rotation_deg = (double)(i % 7) - 3.0,
                             .blur_sigma_px = 0.5 * tdpi[k] / 300.0, .noise_sigma = 3,
                             .page = true, .seed = (uint64_t)i};
            mrzs_image img;
            if (mrzs_render(lines, n, &p, &img, err, sizeof err)) {
                fprintf(stderr, "bench-mrz-ocr: %s\n", err);
                return 2;
            }
            dx_image_view v = view_of(&img);
            dx_mrz_read_result *r = malloc(sizeof *r);
            double t0 = now_ms();
            dx_status st = dx_mrz_read_image(&v, NULL, r, NULL);
            ts[i] = now_ms() - t0;
            if (st == DX_OK && !strcmp(r->lines[0].text, L[0]) && !strcmp(r->lines[1].text, L[1]))
                ok++;
            free(r);
            mrzs_image_free(&img);
        }
        qsort(ts, (size_t)reps, sizeof *ts, cmp_d);
        double sum = 0;
        for (int i = 0; i < reps; i++)
            sum += ts[i];
        t_ms[k] = ts[reps / 2];
        printf("  %4d dpi: median %.1f ms, mean %.1f ms, max %.1f ms per MRZ (%d images, %d read "
               "exactly)\n",
               tdpi[k], ts[reps / 2], sum / reps, ts[reps - 1], reps, ok);
        free(ts);
    }

    /* 2. exact reads over a synthetic set with mixed degradations */
    printf("== exact reads: %d synthetic images (TD1/TD2/TD3, 150-1200 dpi, rotation +-10 "
           "and 180, blur, noise, JPEG, uneven light, grey/colour)\n", count);
    int n_img = 0, found = 0, raw_exact = 0, exact = 0, valid = 0, wrong_valid = 0;
    int lines_total = 0, lines_raw = 0, lines_exact = 0;
    double read_ms = 0;
#ifdef DOCEX_HAVE_TESSERACT
    TessBaseAPI *api = NULL;
    int t_exact = 0, t_lines = 0;
    double t_total_ms = 0;
    if (tess) {
        api = TessBaseAPICreate();
        if (TessBaseAPIInit3(api, NULL, "eng") != 0) {
            fprintf(stderr, "bench-mrz-ocr: Tesseract has no 'eng' data\n");
            return 2;
        }
        TessBaseAPISetVariable(api, "tessedit_char_whitelist", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<");
        TessBaseAPISetPageSegMode(api, PSM_SINGLE_LINE);
    }
#else
    if (tess)
        printf("  (Tesseract comparison not built: libtesseract-dev missing)\n");
#endif
    uint64_t rng = seed;
    for (int i = 0; i < count; i++) {
        char L[3][45];
        const char *lines[3];
        int fmt = (int)(mrzs_rand(&rng) % 4);
        fmt = fmt == 0 ? 1 : fmt == 1 ? 2 : 3;
        size_t n = mrzs_random_mrz(&rng, fmt, L);
        for (size_t j = 0; j < n; j++)
            lines[j] = L[j];
        mrzs_params p;
        draw_params(&rng, &p, only_dpi);
        mrzs_image img;
        if (mrzs_render(lines, n, &p, &img, err, sizeof err)) {
            fprintf(stderr, "bench-mrz-ocr: %s\n", err);
            return 2;
        }
        dx_image_view v = view_of(&img);
        dx_mrz_read_result *r = malloc(sizeof *r);
        dx_error e;
        double t0 = now_ms();
        dx_status st = dx_mrz_read_image(&v, NULL, r, &e);
        read_ms += now_ms() - t0;
        n_img++;
        bool ok = false;
        if (st == DX_OK && r->n_lines == n) {
            found++;
            bool all_raw = true, all = true;
            for (size_t j = 0; j < n; j++) {
                bool a = !strcmp(r->lines[j].raw, L[j]), b = !strcmp(r->lines[j].text, L[j]);
                lines_raw += a;
                lines_exact += b;
                all_raw &= a;
                all &= b;
            }
            raw_exact += all_raw;
            exact += all;
            valid += r->mrz.valid;
            wrong_valid += r->mrz.valid && !all;
            ok = all;
        }
        lines_total += (int)n;
        if (!ok && verbose) {
            printf("  FAIL #%d fmt %d dpi %d rot %.1f blur %.2f noise %.1f jpeg %d light %.2f %s "
                   "spread %.2f page %d: %s\n",
                   i, fmt, p.dpi, p.rotation_deg, p.blur_sigma_px, p.noise_sigma, p.jpeg_quality,
                   p.light_gradient, p.colour ? "rgb" : "grey", p.ink_spread_px, p.page,
                   st ? e.message : "misread");
            if (st == DX_OK)
                for (size_t j = 0; j < n && j < r->n_lines; j++)
                    printf("      want %s\n      got  %s\n      raw  %s\n", L[j], r->lines[j].text,
                           r->lines[j].raw);
        }
        if (!ok && save) {
            char path[512];
            snprintf(path, sizeof path, "%s/fail-%04d.png", save, i);
            mrzs_write_png(path, &img, p.dpi);
        }
#ifdef DOCEX_HAVE_TESSERACT
        if (api) {
            char T[3][45];
            size_t tn = 0;
            memset(T, 0, sizeof T);
            double t1 = now_ms();
            int trc = tess_read(api, &v, 0, T, &tn);
            t_total_ms += now_ms() - t1;
            if (!trc && tn == n) {
                bool all = true;
                for (size_t j = 0; j < n; j++) {
                    bool b = !strcmp(T[j], L[j]);
                    t_lines += b;
                    all &= b;
                }
                t_exact += all;
            }
        }
#endif
        free(r);
        mrzs_image_free(&img);
    }
    if (n_img == 0)
        n_img = 1; /* --count 0: timing only */
    printf("  MRZ found:                 %d / %d\n", found, n_img);
    printf("  exact MRZ before repair:   %d / %d = %.2f %%\n", raw_exact, n_img,
           100.0 * raw_exact / n_img);
    printf("  exact MRZ after repair:    %d / %d = %.2f %%\n", exact, n_img, 100.0 * exact / n_img);
    printf("  exact lines before/after:  %.2f %% / %.2f %% of %d\n", 100.0 * lines_raw / lines_total,
           100.0 * lines_exact / lines_total, lines_total);
    printf("  all checks pass:           %d;  passing but wrong: %d\n", valid, wrong_valid);
    printf("  mean time per image:       %.1f ms\n", read_ms / n_img);
#ifdef DOCEX_HAVE_TESSERACT
    if (api) {
        printf("== Tesseract %s (eng, whitelist A-Z0-9<, single line) on the same located lines\n",
               TessVersion());
        printf("  exact MRZ:                 %d / %d = %.2f %%\n", t_exact, n_img,
               100.0 * t_exact / n_img);
        printf("  exact lines:               %.2f %% of %d\n", 100.0 * t_lines / lines_total,
               lines_total);
        printf("  mean time per image:       %.1f ms (locating + Tesseract)\n", t_total_ms / n_img);
        TessBaseAPIEnd(api);
        TessBaseAPIDelete(api);
    }
#endif
    printf("BENCH-JSON {\"ms_td3_300dpi\": %.2f, \"ms_td3_600dpi\": %.2f, \"images\": %d, "
           "\"found\": %d, \"exact_before_repair\": %d, \"exact_after_repair\": %d, "
           "\"exact_share\": %.4f, \"passing_but_wrong\": %d}\n",
           t_ms[0], t_ms[1], n_img, found, raw_exact, exact, (double)exact / n_img, wrong_valid);
    mrzs_done();
    return 0;
}
