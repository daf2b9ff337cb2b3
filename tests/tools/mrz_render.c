/* mrz-render — render MRZ test images (PNG + ground-truth JSON).
 *
 *   mrz-render --out X.png [--truth X.json] [--specimen td1|td2|td3 | --random SEED
 *              --format td1|td2|td3 | LINE...] [--dpi N] [--rotate DEG] [--blur SIGMA]
 *              [--noise SIGMA] [--jpeg Q] [--light G] [--colour] [--no-page]
 *              [--spread PX] [--char-height MM] [--seed N] [--bits 8|16]
 *   mrz-render --emit-templates > core/src/icao/ocr_glyphs.c
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrz_synth.h"

static int fmt_of(const char *s)
{
    if (!strcmp(s, "td1") || !strcmp(s, "TD1"))
        return 1;
    if (!strcmp(s, "td2") || !strcmp(s, "TD2"))
        return 2;
    if (!strcmp(s, "td3") || !strcmp(s, "TD3"))
        return 3;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},      {"truth", required_argument, 0, 't'},
        {"specimen", required_argument, 0, 'S'}, {"random", required_argument, 0, 'R'},
        {"format", required_argument, 0, 'f'},   {"dpi", required_argument, 0, 'd'},
        {"rotate", required_argument, 0, 'r'},   {"blur", required_argument, 0, 'b'},
        {"noise", required_argument, 0, 'n'},    {"jpeg", required_argument, 0, 'j'},
        {"light", required_argument, 0, 'l'},    {"colour", no_argument, 0, 'c'},
        {"no-page", no_argument, 0, 'P'},        {"spread", required_argument, 0, 'p'},
        {"char-height", required_argument, 0, 'H'}, {"seed", required_argument, 0, 's'},
        {"bits", required_argument, 0, 'B'},     {"emit-templates", no_argument, 0, 'E'}, {"font", required_argument, 0, 'F'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    mrzs_params p = {.dpi = 300, .page = true};
    const char *out = NULL, *truth = NULL, *font = NULL;
    int specimen = 0, format = 3, emit = 0, bits = 8;
    long long random_seed = -1;
    char err[256];
    int c;
    while ((c = getopt_long(argc, argv, "o:t:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 't': truth = optarg; break;
        case 'S': specimen = fmt_of(optarg); if (!specimen) goto usage; break;
        case 'R': random_seed = atoll(optarg); break;
        case 'f': format = fmt_of(optarg); if (!format) goto usage; break;
        case 'd': p.dpi = atoi(optarg); break;
        case 'r': p.rotation_deg = atof(optarg); break;
        case 'b': p.blur_sigma_px = atof(optarg); break;
        case 'n': p.noise_sigma = atof(optarg); break;
        case 'j': p.jpeg_quality = atoi(optarg); break;
        case 'l': p.light_gradient = atof(optarg); break;
        case 'c': p.colour = true; break;
        case 'P': p.page = false; break;
        case 'p': p.ink_spread_px = atof(optarg); break;
        case 'H': p.char_height_mm = atof(optarg); break;
        case 's': p.seed = strtoull(optarg, NULL, 0); break;
        case 'E': emit = 1; break;
        case 'B': bits = atoi(optarg); if (bits != 8 && bits != 16) goto usage; break;
        case 'F': font = optarg; break;
        case 'h':
        default:
            goto usage;
        }
    }
    if (mrzs_init(font, err, sizeof err)) {
        fprintf(stderr, "mrz-render: %s\n", err);
        return 2;
    }
    if (emit) {
        int rc = mrzs_emit_templates(stdout, err, sizeof err);
        if (rc)
            fprintf(stderr, "mrz-render: %s\n", err);
        mrzs_done();
        return rc ? 2 : 0;
    }
    if (!out)
        goto usage;
    char L[3][45];
    const char *lines[3];
    size_t n = 0;
    if (optind < argc) {
        for (; optind < argc && n < 3; optind++) {
            snprintf(L[n], sizeof L[n], "%s", argv[optind]);
            n++;
        }
    } else if (random_seed >= 0) {
        uint64_t rng = (uint64_t)random_seed;
        n = mrzs_random_mrz(&rng, format, L);
    } else {
        n = mrzs_specimen(specimen ? specimen : 3, L);
    }
    for (size_t i = 0; i < n; i++)
        lines[i] = L[i];
    mrzs_image img;
    if (mrzs_render(lines, n, &p, &img, err, sizeof err)) {
        fprintf(stderr, "mrz-render: %s\n", err);
        mrzs_done();
        return 2;
    }
    if (mrzs_write_png_bits(out, &img, p.dpi, bits)) {
        fprintf(stderr, "mrz-render: cannot write %s\n", out);
        mrzs_image_free(&img);
        mrzs_done();
        return 2;
    }
    if (truth) {
        FILE *f = fopen(truth, "w");
        if (!f) {
            fprintf(stderr, "mrz-render: cannot write %s\n", truth);
            mrzs_image_free(&img);
            mrzs_done();
            return 2;
        }
        fprintf(f, "{\n  \"image\": \"%s\",\n  \"lines\": [", out);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s\"%s\"", i ? ", " : "", L[i]);
        fprintf(f,
                "],\n  \"width\": %d,\n  \"height\": %d,\n  \"dpi\": %d,\n"
                "  \"rotation_deg\": %g,\n  \"blur_sigma_px\": %g,\n  \"noise_sigma\": %g,\n"
                "  \"jpeg_quality\": %d,\n  \"light_gradient\": %g,\n  \"colour\": %s,\n"
                "  \"page\": %s,\n  \"ink_spread_px\": %g,\n  \"char_height_mm\": %g,\n"
                "  \"seed\": %llu\n}\n",
                img.width, img.height, p.dpi, p.rotation_deg, p.blur_sigma_px, p.noise_sigma,
                p.jpeg_quality, p.light_gradient, p.colour ? "true" : "false",
                p.page ? "true" : "false", p.ink_spread_px,
                p.char_height_mm > 0 ? p.char_height_mm : 2.2, (unsigned long long)p.seed);
        fclose(f);
    }
    mrzs_image_free(&img);
    mrzs_done();
    return 0;
usage:
    fprintf(stderr,
            "usage: mrz-render --out X.png [--truth X.json] [--specimen td1|td2|td3 |\n"
            "         --random SEED --format td1|td2|td3 | LINE...] [--dpi N] [--rotate DEG]\n"
            "         [--blur SIGMA] [--noise SIGMA] [--jpeg Q] [--light G] [--colour]\n"
            "         [--no-page] [--spread PX] [--char-height MM] [--seed N] [--bits 8|16]\n"
            "       mrz-render --emit-templates > core/src/icao/ocr_glyphs.c\n");
    return 2;
}
