/* bench-synth: time to synthesize one full scene (every light + chip).
 *
 *   bench-synth [--dpi N] [--reps R] [--specimen ID] [--specimens DIR] [--keep DIR]
 *
 * For each specimen (default both), R runs (default 3) of dx_synth_scene_write()
 * at N dpi (default 600) with all eleven standard lights and the chip, into a
 * temporary directory; prints the median wall time of the whole scene, of the
 * chip and of each light (drawing + PNG encoding + atomic write), and the
 * bytes written. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "docex/synth.h"

#define MAX_STEPS 16

typedef struct run {
    double t0, last;
    char names[MAX_STEPS][32];
    double dt[MAX_STEPS];
    int n;
} run;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void step(const char *line, void *user)
{
    run *r = user;
    double t = now();
    if (r->n < MAX_STEPS) {
        sscanf(line, "%31s", r->names[r->n]);
        r->dt[r->n++] = t - r->last;
    }
    r->last = t;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long long du(const char *dir)
{
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "du -sb '%s'", dir);
    FILE *p = popen(cmd, "r");
    long long n = 0;
    if (p) {
        if (fscanf(p, "%lld", &n) != 1)
            n = 0;
        pclose(p);
    }
    return n;
}

int main(int argc, char **argv)
{
    double dpi = 600;
    int reps = 3;
    const char *only = NULL, *specimens = NULL, *keep = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dpi") && i + 1 < argc) dpi = atof(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--specimen") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--specimens") && i + 1 < argc) specimens = argv[++i];
        else if (!strcmp(argv[i], "--keep") && i + 1 < argc) keep = argv[++i];
        else {
            fprintf(stderr, "usage: bench-synth [--dpi N] [--reps R] [--specimen ID] "
                            "[--specimens DIR] [--keep DIR]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 50 || !(dpi >= 50 && dpi <= 1200))
        return 2;
    const char *ids[] = {"UTO-P-2024", "UTO-ID-2021"};
    char tmpl[] = "/tmp/docex-bench-synth-XXXXXX";
    const char *base = keep ? keep : mkdtemp(tmpl);
    if (!base)
        return 2;
    mkdir(base, 0755);
    static const char *const all[] = {"all", NULL};
    printf("docex synth: one full scene (11 lights + chip) at %.0f dpi, median of %d runs\n", dpi,
           reps);
    for (size_t s = 0; s < 2; s++) {
        if (only && strcmp(only, ids[s]))
            continue;
        run *runs = calloc((size_t)reps, sizeof *runs);
        double *total = calloc((size_t)reps, sizeof *total);
        long long bytes = 0;
        for (int r = 0; r < reps; r++) {
            char out[4096];
            snprintf(out, sizeof out, "%.4000s/%s-%d", base, ids[s], r);
            dx_synth_options o = {0};
            o.specimen = ids[s];
            o.specimens_dir = specimens;
            o.out_dir = out;
            o.seed = (uint64_t)r + 1;
            o.dpi = dpi;
            o.lights = all;
            dx_error err = {0};
            runs[r].t0 = runs[r].last = now();
            if (dx_synth_scene_write(&o, step, &runs[r], &err) != DX_OK) {
                fprintf(stderr, "bench-synth: %s\n", err.message);
                return 1;
            }
            total[r] = now() - runs[r].t0;
            bytes = du(out);
            if (!keep) {
                char cmd[4300];
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", out);
                if (system(cmd) != 0)
                    fprintf(stderr, "bench-synth: could not remove %s\n", out);
            }
        }
        printf("\n%s: %.2f s per scene (%.1f MB written)\n", ids[s], median(total, reps),
               bytes / 1e6);
        for (int k = 0; k < runs[0].n; k++) {
            double v[50];
            for (int r = 0; r < reps; r++)
                v[r] = runs[r].dt[k];
            printf("  %-18s %7.0f ms\n", runs[0].names[k], median(v, reps) * 1000);
        }
        free(runs);
        free(total);
    }
    if (!keep)
        rmdir(base);
    return 0;
}
