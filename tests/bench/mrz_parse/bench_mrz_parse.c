/* bench-mrz-parse: the MRZ parse + validate benchmark (see README.md).
 *
 *   bench-mrz-parse gen CORPUS [--count N] [--seed S] [--corrupt PERCENT]
 *       writes N generated MRZs (all five formats in turn; PERCENT of them
 *       with one character changed) to CORPUS, one a line:
 *       FORMAT <tab> CORRUPTED(0|1) <tab> LINE1|LINE2[|LINE3]
 *   bench-mrz-parse time CORPUS VERDICTS [--passes P]
 *       parses and validates every MRZ of CORPUS with dx_mrz_parse(), P
 *       timed passes after one warm-up pass; prints MRZs/s (best pass) and
 *       writes one verdict a line to VERDICTS: "1", "0 check,check..." (the
 *       failing checks) or "E message" (not an MRZ). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docex/mrz.h"
#include "mrzgen.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench-mrz-parse gen CORPUS [--count N] [--seed S] [--corrupt PCT]\n"
                    "       bench-mrz-parse time CORPUS VERDICTS [--passes P]\n");
    return 2;
}

static int cmd_gen(int argc, char **argv)
{
    long count = 200000, corrupt_pct = 10;
    uint64_t seed = 9303;
    const char *path;
    FILE *f;
    mrzgen_rng r, rc;
    long corrupted = 0, per[6] = {0};

    if (argc < 1)
        return usage();
    path = argv[0];
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--count") == 0)
            count = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[i + 1], NULL, 0);
        else if (strcmp(argv[i], "--corrupt") == 0)
            corrupt_pct = strtol(argv[i + 1], NULL, 10);
        else
            return usage();
    }
    if (!(f = fopen(path, "w"))) {
        fprintf(stderr, "bench-mrz-parse: %s: %s\n", path, strerror(errno));
        return 2;
    }
    r.s = seed;
    rc.s = seed ^ 0xC0FFEEull;
    for (long i = 0; i < count; i++) {
        static const dx_mrz_format formats[] = {DX_MRZ_TD1, DX_MRZ_TD2, DX_MRZ_TD3,
                                                DX_MRZ_MRVA, DX_MRZ_MRVB};
        mrzgen_doc g;
        bool bad = false;
        mrzgen_make(&r, formats[i % 5], &g);
        per[g.format]++;
        if ((long)mrzgen_below(&rc, 100) < corrupt_pct) {
            /* one character changed to another MRZ character, anywhere but
             * the first (which decides passport/card against visa) */
            size_t w = mrzgen_line_len(g.format);
            size_t ln = mrzgen_below(&rc, (uint32_t)g.n_lines);
            size_t p = ln == 0 ? 1 + mrzgen_below(&rc, (uint32_t)(w - 1))
                               : mrzgen_below(&rc, (uint32_t)w);
            char c;
            do
                c = mrzgen_alphabet[mrzgen_below(&rc, 37)];
            while (c == g.lines[ln][p]);
            g.lines[ln][p] = c;
            bad = true;
            corrupted++;
        }
        fprintf(f, "%s\t%d\t", dx_mrz_format_name(g.format), bad);
        for (size_t k = 0; k < g.n_lines; k++)
            fprintf(f, "%s%s", k ? "|" : "", g.lines[k]);
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "bench-mrz-parse: %s: write failed\n", path);
        return 2;
    }
    printf("corpus: %ld MRZs (TD1 %ld, TD2 %ld, TD3 %ld, MRV-A %ld, MRV-B %ld), %ld with one "
           "character changed, seed %llu -> %s\n",
           count, per[1], per[2], per[3], per[4], per[5], corrupted,
           (unsigned long long)seed, path);
    return 0;
}

typedef struct entry {
    const char *lines[3];
    size_t n;
} entry;

static int cmd_time(int argc, char **argv)
{
    const char *path, *vpath;
    int passes = 5;
    FILE *f, *v;
    char *text = NULL;
    size_t len = 0, cap = 0, n = 0;
    entry *e = NULL;
    dx_mrz *m;
    dx_error err;
    double best = 1e30, total = 0;
    long valid = 0, invalid = 0, errors = 0;

    if (argc < 2)
        return usage();
    path = argv[0];
    vpath = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--passes") == 0)
            passes = atoi(argv[i + 1]);
        else
            return usage();
    }
    if (passes < 1)
        passes = 1;
    if (!(f = fopen(path, "rb"))) {
        fprintf(stderr, "bench-mrz-parse: %s: %s\n", path, strerror(errno));
        return 2;
    }
    for (;;) { /* the whole corpus in memory: parsing is timed, not I/O */
        if (len + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *nt = realloc(text, cap);
            if (!nt) {
                fclose(f);
                free(text);
                return 2;
            }
            text = nt;
        }
        size_t got = fread(text + len, 1, 65536, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    text[len] = '\0';
    for (char *s = text; *s;) {
        char *eol = strchr(s, '\n');
        if (eol)
            *eol = '\0';
        char *t1 = strchr(s, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t2) {
            if (n % 65536 == 0) {
                entry *ne = realloc(e, (n + 65536) * sizeof *e);
                if (!ne)
                    return 2;
                e = ne;
            }
            entry *x = &e[n++];
            x->n = 0;
            for (char *l = t2 + 1; l && x->n < 3;) {
                char *bar = strchr(l, '|');
                if (bar)
                    *bar = '\0';
                x->lines[x->n++] = l;
                l = bar ? bar + 1 : NULL;
            }
        }
        if (!eol)
            break;
        s = eol + 1;
    }
    if (!(m = malloc(sizeof *m)))
        return 2;

    const dx_mrz_options opts = {MRZGEN_TODAY};
    for (int pass = -1; pass < passes; pass++) { /* pass -1: warm-up */
        double t0 = now_s();
        for (size_t i = 0; i < n; i++)
            (void)dx_mrz_parse(e[i].lines, e[i].n, &opts, m, &err);
        double dt = now_s() - t0;
        if (pass >= 0) {
            total += dt;
            if (dt < best)
                best = dt;
        }
    }

    if (!(v = fopen(vpath, "w"))) {
        fprintf(stderr, "bench-mrz-parse: %s: %s\n", vpath, strerror(errno));
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        dx_status st = dx_mrz_parse(e[i].lines, e[i].n, &opts, m, &err);
        if (st != DX_OK) {
            errors++;
            fprintf(v, "E %s\n", err.message);
        } else if (m->valid) {
            valid++;
            fputs("1\n", v);
        } else {
            bool first = true;
            invalid++;
            fputs("0 ", v);
            for (size_t k = 0; k < m->n_checks; k++)
                if (!m->checks[k].ok) {
                    fprintf(v, "%s%s", first ? "" : ",", m->checks[k].name);
                    first = false;
                }
            fputc('\n', v);
        }
    }
    fclose(v);
    printf("docex: %zu MRZs, %d passes: best %.3f s, mean %.3f s: %.0f MRZs/s (%.2f us each); "
           "%ld valid, %ld invalid, %ld not an MRZ\n",
           n, passes, best, total / passes, (double)n / best, best / (double)n * 1e6, valid,
           invalid, errors);
    printf("BENCH-DOCEX {\"mrzs\":%zu,\"passes\":%d,\"best_s\":%.6f,\"mrz_per_s\":%.0f,"
           "\"valid\":%ld,\"invalid\":%ld,\"errors\":%ld}\n",
           n, passes, best, (double)n / best, valid, invalid, errors);
    free(m);
    free(e);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "gen") == 0)
        return cmd_gen(argc - 2, argv + 2);
    if (strcmp(argv[1], "time") == 0)
        return cmd_time(argc - 2, argv + 2);
    return usage();
}
