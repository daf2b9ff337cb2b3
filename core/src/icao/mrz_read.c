/* Reading the MRZ from an image (docex/mrz_read.h): locate (ocr_locate.c),
 * cut and recognise (ocr_classify.c), decide upside down or not, repair
 * ambiguous characters under the field's character class and the check
 * digits (ICAO 9303 Parts 3-5: field layout of TD1, TD2, TD3, MRV-A, MRV-B),
 * parse (dx_mrz_parse), report. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "docex/mrz_read.h"
#include "icao/ocr.h"
#include "image/image.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- field classes and check digits (9303 Parts 4, 5, 6 and 7) ---------- */

enum { C_A = 1, C_D = 2, C_F = 4, C_SEX = 8 };

typedef struct span {
    int line, start, len;
} span;

typedef struct group {
    span parts[4];
    int nparts;
    int cl, cc;       /* check digit position */
    bool fill_ok;     /* '<' allowed as the check digit when the field is all '<' */
    bool composite;
} group;

int dx_ocr_format_of(size_t n_lines, size_t n_chars, const char lines[3][45])
{
    if (n_lines == 3)
        return DX_MRZ_TD1;
    bool visa = lines[0][0] == 'V';
    if (n_chars == 36)
        return visa ? DX_MRZ_MRVB : DX_MRZ_TD2;
    return visa ? DX_MRZ_MRVA : DX_MRZ_TD3;
}

static unsigned class_at(int fmt, int line, int col, int len)
{
    if (fmt == DX_MRZ_TD1) {
        if (line == 0) {
            if (col == 0)
                return C_A;
            if (col < 5)
                return C_A | C_F;
            if (col < 14)
                return C_A | C_D | C_F;
            if (col == 14)
                return C_D | C_F;
            return C_A | C_D | C_F;
        }
        if (line == 1) {
            if (col < 6)
                return C_D | C_F;
            if (col == 6 || col == 14 || col == 29)
                return C_D;
            if (col == 7)
                return C_SEX;
            if (col < 14)
                return C_D | C_F;
            if (col < 18)
                return C_A | C_F;
            return C_A | C_D | C_F;
        }
        return C_A | C_F;
    }
    if (line == 0)
        return col == 0 ? C_A : C_A | C_F;
    if (col < 9)
        return C_A | C_D | C_F;
    if (col == 9 || col == 19 || col == 27)
        return C_D;
    if (col < 13)
        return C_A | C_F;
    if (col < 19 || (col > 20 && col < 27))
        return C_D | C_F;
    if (col == 20)
        return C_SEX;
    if (fmt == DX_MRZ_TD3) {
        if (col == 42)
            return C_D | C_F;
        if (col == 43)
            return C_D;
    }
    if (fmt == DX_MRZ_TD2 && col == len - 1)
        return C_D;
    return C_A | C_D | C_F;
}

static bool allowed(unsigned cls, char c)
{
    if (cls & C_SEX)
        return c == 'M' || c == 'F' || c == 'X' || c == '<';
    if (c >= 'A' && c <= 'Z')
        return cls & C_A;
    if (c >= '0' && c <= '9')
        return cls & C_D;
    return c == '<' && (cls & C_F);
}

static int groups_for(int fmt, group *g)
{
    int n = 0;
    if (fmt == DX_MRZ_TD1) {
        g[n++] = (group){{{0, 5, 9}}, 1, 0, 14, true, false};
        g[n++] = (group){{{1, 0, 6}}, 1, 1, 6, false, false};
        g[n++] = (group){{{1, 8, 6}}, 1, 1, 14, false, false};
        g[n++] = (group){{{0, 5, 25}, {1, 0, 7}, {1, 8, 7}, {1, 18, 11}}, 4, 1, 29, false, true};
        return n;
    }
    g[n++] = (group){{{1, 0, 9}}, 1, 1, 9, false, false};
    g[n++] = (group){{{1, 13, 6}}, 1, 1, 19, false, false};
    g[n++] = (group){{{1, 21, 6}}, 1, 1, 27, false, false};
    if (fmt == DX_MRZ_TD3) {
        g[n++] = (group){{{1, 28, 14}}, 1, 1, 42, true, false};
        g[n++] = (group){{{1, 0, 10}, {1, 13, 7}, {1, 21, 22}}, 3, 1, 43, false, true};
    } else if (fmt == DX_MRZ_TD2) {
        g[n++] = (group){{{1, 0, 10}, {1, 13, 7}, {1, 21, 14}}, 3, 1, 35, false, true};
    }
    return n;
}

static int digit_of(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return c == '<' ? 0 : -1;
}

static bool group_ok(const group *g, char L[3][45])
{
    static const int w[3] = {7, 3, 1};
    int sum = 0, k = 0;
    bool all_fill = true;
    for (int p = 0; p < g->nparts; p++)
        for (int i = 0; i < g->parts[p].len; i++) {
            char c = L[g->parts[p].line][g->parts[p].start + i];
            int v = digit_of(c);
            if (v < 0)
                return false;
            if (c != '<')
                all_fill = false;
            sum += v * w[k++ % 3];
        }
    char cd = L[g->cl][g->cc];
    if (cd == '<')
        return g->fill_ok && all_fill;
    return cd - '0' == sum % 10;
}

/* Substitutions a reader makes between letters and digits in OCR-B. */
static const char *const confusable[] = {"0ODQU", "1IL", "2Z", "4A", "5S", "6G", "7T", "8B",
                                         "9", "<K"};

static bool confusable_pair(char a, char b)
{
    for (size_t i = 0; i < sizeof confusable / sizeof *confusable; i++)
        if (strchr(confusable[i], a) && strchr(confusable[i], b))
            return true;
    return false;
}

typedef struct alt {
    int line, col;
    char c;
    float cost;
} alt;

static int cmp_alt(const void *a, const void *b)
{
    float x = ((const alt *)a)->cost, y = ((const alt *)b)->cost;
    return x < y ? -1 : x > y;
}

/* Plausible other readings at one position: allowed by the class, and either
 * a letter/digit confusion the classifier finds plausible (within 0.3 of the
 * best score) or any reading nearly as good (within 0.12). */
static int alternatives(const dx_ocr_cell *cell, unsigned cls, char cur, int line, int col, alt *out,
                        int max)
{
    int n = 0;
    int ci = dx_ocr_class_of(cur);
    float s_cur = ci >= 0 ? cell->score[ci] : 1;
    for (int k = 0; k < DX_OCR_NCLASS && n < max; k++) {
        char c = dx_ocr_classes[k];
        if (c == cur || !allowed(cls, c))
            continue;
        float drop = s_cur - cell->score[k];
        if (drop < 0)
            drop = 0;
        if ((confusable_pair(c, cur) && drop < 0.3f) || drop < 0.12f)
            out[n++] = (alt){line, col, c, drop};
    }
    return n;
}

/* Repair: class first, then each failing check digit, then the composite. */
void dx_ocr_repair(int fmt, size_t n_lines, size_t len, char L[3][45], dx_ocr_cell *const cells[3])
{
    /* 1. a character its field cannot hold becomes the best reading it can */
    for (size_t l = 0; l < n_lines; l++)
        for (size_t i = 0; i < len; i++) {
            unsigned cls = class_at(fmt, (int)l, (int)i, (int)len);
            if (allowed(cls, L[l][i]))
                continue;
            int best = -1;
            for (int k = 0; k < DX_OCR_NCLASS; k++)
                if (allowed(cls, dx_ocr_classes[k]) &&
                    (best < 0 || cells[l][i].score[k] > cells[l][i].score[best]))
                    best = k;
            if (best >= 0)
                L[l][i] = dx_ocr_classes[best];
        }
    /* 2. check digits */
    group gs[8];
    int ng = groups_for(fmt, gs);
    bool pass[8] = {false};
    enum { MAXA = 512 };
    alt *alts = malloc(sizeof *alts * MAXA);
    if (!alts)
        return;
    for (int gi = 0; gi < ng; gi++) {
        group *g = &gs[gi];
        if ((pass[gi] = group_ok(g, L)))
            continue;
        int na = 0;
        /* positions: the group's own, or for the composite those that no
         * passing check covers */
        for (int p = 0; p <= g->nparts; p++) {
            int line = p < g->nparts ? g->parts[p].line : g->cl;
            int start = p < g->nparts ? g->parts[p].start : g->cc;
            int plen = p < g->nparts ? g->parts[p].len : 1;
            for (int col = start; col < start + plen; col++) {
                bool covered = false;
                if (g->composite)
                    for (int q = 0; q < gi; q++)
                        if (pass[q]) {
                            const span *sp = &gs[q].parts[0];
                            if ((gs[q].cl == line && gs[q].cc == col) ||
                                (sp->line == line && col >= sp->start && col < sp->start + sp->len))
                                covered = true;
                        }
                if (covered || na >= MAXA - DX_OCR_NCLASS)
                    continue;
                na += alternatives(&cells[line][col],
                                   class_at(fmt, line, col, (int)len), L[line][col], line, col,
                                   alts + na, MAXA - na);
            }
        }
        qsort(alts, (size_t)na, sizeof *alts, cmp_alt);
        bool fixed = false;
        for (int a = 0; a < na && !fixed; a++) {
            char old = L[alts[a].line][alts[a].col];
            L[alts[a].line][alts[a].col] = alts[a].c;
            if (group_ok(g, L))
                fixed = true;
            else
                L[alts[a].line][alts[a].col] = old;
        }
        /* two characters at once, cheapest pairs first (bounded) */
        int lim = na < 40 ? na : 40;
        float best_cost = 1e9f;
        int ba = -1, bb = -1;
        for (int a = 0; a < lim && !fixed; a++)
            for (int b = a + 1; b < lim; b++) {
                if (alts[a].line == alts[b].line && alts[a].col == alts[b].col)
                    continue;
                float cost = alts[a].cost + alts[b].cost;
                if (cost >= best_cost)
                    continue;
                char oa = L[alts[a].line][alts[a].col], ob = L[alts[b].line][alts[b].col];
                L[alts[a].line][alts[a].col] = alts[a].c;
                L[alts[b].line][alts[b].col] = alts[b].c;
                if (group_ok(g, L)) {
                    best_cost = cost;
                    ba = a;
                    bb = b;
                }
                L[alts[a].line][alts[a].col] = oa;
                L[alts[b].line][alts[b].col] = ob;
            }
        if (!fixed && ba >= 0) {
            L[alts[ba].line][alts[ba].col] = alts[ba].c;
            L[alts[bb].line][alts[bb].col] = alts[bb].c;
            fixed = true;
        }
        pass[gi] = fixed;
    }
    free(alts);
}

/* ---- reading ------------------------------------------------------------- */

#ifndef HEIGHT_WEIGHT
#define HEIGHT_WEIGHT 0.08
#endif

typedef struct attempt {
    dx_ocr_strip strips[3];
    dx_ocr_cell *cells[3];
    double mean;
} attempt;

static void attempt_free(attempt *a)
{
    for (int i = 0; i < 3; i++) {
        dx_ocr_strip_free(&a->strips[i]);
        free(a->cells[i]);
        a->cells[i] = NULL;
    }
}

/* Cut the lines of `lay` (reading order: top line first, not turned).  At
 * high resolution the MRZ's region is first box-reduced so that a strip
 * pixel is one to two of its pixels. */
static dx_status make_strips(const dx_gray *g, const dx_ocr_layout *lay, attempt *a, dx_error *err)
{
    memset(a, 0, sizeof *a);
    int f = (int)floor(lay->lines[0].cap / 25.0);
    dx_gray region = {0};
    dx_ocr_layout rl = *lay;
    double offx = 0, offy = 0;
    const dx_gray *src = g;
    if (f >= 2) {
        double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
        for (size_t i = 0; i < lay->n_lines; i++) {
            const dx_ocr_line *L = &lay->lines[i];
            x0 = fmin(x0, fmin(L->x0, L->x1));
            x1 = fmax(x1, fmax(L->x0, L->x1));
            y0 = fmin(y0, fmin(L->y0, L->y1));
            y1 = fmax(y1, fmax(L->y0, L->y1));
        }
        double m = 2.5 * lay->pitch;
        int rx = (int)floor(x0 - m), ry = (int)floor(y0 - m);
        rx = rx < 0 ? 0 : rx;
        ry = ry < 0 ? 0 : ry;
        dx_status st = dx_gray_crop_downscale(g, rx, ry, (int)ceil(x1 + m) - rx,
                                              (int)ceil(y1 + m) - ry, f, &region, err);
        if (st)
            return st;
        offx = rx;
        offy = ry;
        for (size_t i = 0; i < lay->n_lines; i++) {
            dx_ocr_line *L = &rl.lines[i];
            L->x0 = (L->x0 - offx) / f;
            L->x1 = (L->x1 - offx) / f;
            L->y0 = (L->y0 - offy) / f;
            L->y1 = (L->y1 - offy) / f;
            L->cap /= f;
            L->pitch /= f;
        }
        rl.pitch /= f;
        src = &region;
    } else {
        f = 1;
    }
    for (size_t i = 0; i < lay->n_lines; i++) {
        dx_ocr_strip *s = &a->strips[i];
        dx_status st = dx_ocr_strip_make(src, &rl, i, false, s, err);
        if (st) {
            dx_gray_free(&region);
            return st;
        }
        /* back to image coordinates: X = off + f * x */
        s->ox = offx + f * s->ox + 0.5 * f - 0.5;
        s->oy = offy + f * s->oy + 0.5 * f - 0.5;
        s->ux *= f;
        s->uy *= f;
        s->vx *= f;
        s->vy *= f;
        a->cells[i] = calloc((size_t)s->n, sizeof(dx_ocr_cell));
        if (!a->cells[i]) {
            dx_gray_free(&region);
            return dx_error_set(err, DX_ERR_NO_MEMORY, "mrz read: out of memory");
        }
    }
    dx_gray_free(&region);
    return DX_OK;
}

/* The same lines read upside down: the bottom line first, each turned. */
static dx_status turned(const attempt *a, size_t n_lines, attempt *b, dx_error *err)
{
    memset(b, 0, sizeof *b);
    for (size_t i = 0; i < n_lines; i++) {
        const dx_ocr_strip *src = &a->strips[n_lines - 1 - i];
        dx_ocr_strip *s = &b->strips[i];
        *s = *src;
        s->d = malloc(sizeof(float) * (size_t)src->w * src->h);
        b->cells[i] = calloc((size_t)src->n, sizeof(dx_ocr_cell));
        if (!s->d || !b->cells[i])
            return dx_error_set(err, DX_ERR_NO_MEMORY, "mrz read: out of memory");
        memcpy(s->d, src->d, sizeof(float) * (size_t)src->w * src->h);
        dx_ocr_strip_turn(s);
    }
    return DX_OK;
}

static double recognise_all(attempt *a, size_t n_lines, int limit)
{
    double total = 0;
    for (size_t i = 0; i < n_lines; i++)
        total += dx_ocr_recognise(&a->strips[i], a->cells[i], limit);
    return a->mean = total / (double)n_lines;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* How much taller the glyphs are in the strips than in the templates
 * (median over confidently read letters and digits); 1 = right scale. */
static double scale_error(const attempt *a, size_t n_lines)
{
    double th[DX_OCR_NCLASS], r[3 * 44];
    size_t m = 0;
    for (int k = 0; k < DX_OCR_NCLASS; k++)
        th[k] = dx_ocr_template_height(k);
    for (size_t l = 0; l < n_lines; l++)
        for (int i = 0; i < a->strips[l].n && m < 3 * 44; i++) {
            const dx_ocr_cell *c = &a->cells[l][i];
            if (c->h > 0 && th[c->best] > 0 && c->score[c->best] > 0.85f && c->best != 36)
                r[m++] = c->h / th[c->best];
        }
    if (m < 8)
        return 1;
    qsort(r, m, sizeof *r, cmp_dbl);
    return r[m / 2];
}

/* Cut and read the lines of `lay`: upside down or not from a quick look at
 * a dozen cells a line each way; the character height was measured on a mix
 * of letters, digits and '<', so when the glyphs of that look come out taller
 * or shorter than the templates, cut the lines again at the corrected scale;
 * then read every cell.  *lay is updated. */
static dx_status run_attempt(const dx_gray *g, dx_ocr_layout *lay, attempt *out, dx_error *err)
{
    attempt up = {0};
    dx_status st = make_strips(g, lay, out, err);
    if (!st)
        st = turned(out, lay->n_lines, &up, err);
    if (st) {
        attempt_free(&up);
        return st;
    }
    bool upside = recognise_all(&up, lay->n_lines, 12) > recognise_all(out, lay->n_lines, 12);
    if (upside) {
        attempt t = *out;
        *out = up;
        up = t;
    }
    attempt_free(&up);
    double r = scale_error(out, lay->n_lines);
    if (fabs(r - 1) > 0.025 && r > 0.8 && r < 1.25) {
        for (size_t i = 0; i < lay->n_lines; i++)
            lay->lines[i].cap *= r;
        attempt_free(out);
        st = make_strips(g, lay, out, err);
        if (!st && upside) {
            st = turned(out, lay->n_lines, &up, err);
            attempt t = *out;
            *out = up;
            up = t;
            attempt_free(&up);
        }
        if (st)
            return st;
    }
    recognise_all(out, lay->n_lines, 0);
    return DX_OK;
}


/* OCR-B digits stand taller than letters (0 against O, 8 against B...): a
 * reading whose glyph height is off what the class's template predicts, at
 * the scale the confident cells show, loses a little score. */
static void height_prior(attempt *a, size_t n_lines)
{
    double th[DX_OCR_NCLASS];
    for (int k = 0; k < DX_OCR_NCLASS; k++)
        th[k] = dx_ocr_template_height(k);
    double r = scale_error(a, n_lines);
    for (size_t l = 0; l < n_lines; l++)
        for (int i = 0; i < a->strips[l].n; i++) {
            dx_ocr_cell *c = &a->cells[l][i];
            if (c->h <= 0)
                continue;
            for (int k = 0; k < DX_OCR_NCLASS; k++) {
                double d = fabs(c->h - r * th[k]) - 0.4;
                if (d > 0)
                    c->score[k] -= (float)(HEIGHT_WEIGHT * (d > 3 ? 3 : d));
            }
            int best = 0, second = -1;
            for (int k = 1; k < DX_OCR_NCLASS; k++)
                if (c->score[k] > c->score[best])
                    best = k;
            for (int k = 0; k < DX_OCR_NCLASS; k++)
                if (k != best && (second < 0 || c->score[k] > c->score[second]))
                    second = k;
            c->best = best;
            c->confidence = dx_ocr_confidence(c->score[best], c->score[second]);
        }
}

static void corner(const dx_ocr_strip *s, double u, double v, double out[2])
{
    out[0] = s->ox + 0.5 + u * s->ux + v * s->vx;
    out[1] = s->oy + 0.5 + u * s->uy + v * s->vy;
}

dx_status dx_mrz_read_image(const dx_image_view *img, const dx_mrz_read_options *opts,
                            dx_mrz_read_result *out, dx_error *err)
{
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "mrz read: no result");
    memset(out, 0, sizeof *out);
    dx_mrz_read_options defaults = {0};
    if (!opts)
        opts = &defaults;
    dx_gray g = {0};
    dx_status st = dx_gray_from_view(img, &g, err);
    if (st)
        return st;
    out->width = img->width;
    out->height = img->height;
    dx_ocr_layout lay;
    attempt best = {0}, other = {0};
    if ((st = dx_ocr_locate(&g, opts->dpi, &lay, err)))
        goto done;
    if ((st = run_attempt(&g, &lay, &best, err)))
        goto done;
    /* two lines of 36 or 44: when the match is poor, try the other length */
    if (lay.n_lines == 2 && best.mean < 0.75) {
        dx_ocr_layout lay2 = lay;
        lay2.n_chars = lay.n_chars == 44 ? 36 : 44;
        lay2.pitch = lay.pitch * (double)(lay.n_chars - 1) / (double)(lay2.n_chars - 1);
        if (!run_attempt(&g, &lay2, &other, err) && other.mean > best.mean + 0.05) {
            attempt t = best;
            best = other;
            other = t;
            lay = lay2;
        }
        attempt_free(&other);
    }
    if (best.mean < 0.35) {
        st = dx_error_set(err, DX_ERR_NOT_FOUND, "no MRZ found (text found does not read as OCR-B)");
        goto done;
    }
    height_prior(&best, lay.n_lines);
    size_t n = lay.n_chars;
    char L[3][45];
    memset(L, 0, sizeof L);
    double csum = 0;
    for (size_t l = 0; l < lay.n_lines; l++) {
        dx_mrz_read_line *rl = &out->lines[l];
        const dx_ocr_strip *s = &best.strips[l];
        for (size_t i = 0; i < n; i++) {
            L[l][i] = dx_ocr_classes[best.cells[l][i].best];
            rl->confidence[i] = best.cells[l][i].confidence;
            csum += rl->confidence[i];
        }
        memcpy(rl->raw, L[l], n + 1);
        rl->length = n;
        double u0 = s->c0 - s->pitch / 2, u1 = s->c0 + (double)(n - 1) * s->pitch + s->pitch / 2;
        double v0 = s->h / 2.0 - 16, v1 = s->h / 2.0 + 16;
        corner(s, u0, v0, rl->corners[0]);
        corner(s, u1, v0, rl->corners[1]);
        corner(s, u1, v1, rl->corners[2]);
        corner(s, u0, v1, rl->corners[3]);
        double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
        for (int k = 0; k < 4; k++) {
            x0 = fmin(x0, rl->corners[k][0]);
            x1 = fmax(x1, rl->corners[k][0]);
            y0 = fmin(y0, rl->corners[k][1]);
            y1 = fmax(y1, rl->corners[k][1]);
        }
        x0 = fmax(0, x0);
        y0 = fmax(0, y0);
        x1 = fmin(img->width, x1);
        y1 = fmin(img->height, y1);
        rl->box = (dx_mrz_box){x0, y0, x1 - x0, y1 - y0};
    }
    out->n_lines = lay.n_lines;
    out->mean_confidence = csum / (double)(n * lay.n_lines);
    int fmt = dx_ocr_format_of(lay.n_lines, n, L);
    if (!opts->no_repair)
        dx_ocr_repair(fmt, lay.n_lines, n, L, best.cells);
    for (size_t l = 0; l < lay.n_lines; l++) {
        memcpy(out->lines[l].text, L[l], n + 1);
        for (size_t i = 0; i < n; i++)
            if (L[l][i] != out->lines[l].raw[i] && out->n_repairs < DX_MRZ_MAX_REPAIRS)
                out->repairs[out->n_repairs++] =
                    (dx_mrz_repair){(unsigned)l, (unsigned)i, out->lines[l].raw[i], L[l][i]};
    }
    /* geometry: reading direction, resolution */
    {
        const dx_ocr_strip *s = &best.strips[0];
        double deg = atan2(-s->uy, s->ux) * 180.0 / M_PI;
        if (deg <= -180.0)
            deg += 360.0;
        out->rotation_deg = deg;
        double sc = sqrt(s->ux * s->ux + s->uy * s->uy);
        if (opts->dpi > 0) {
            out->dpi = opts->dpi;
        } else {
            out->dpi = s->pitch * sc / 0.1; /* 10 characters per inch */
            out->dpi_estimated = true;
        }
    }
    const char *lines[3] = {L[0], L[1], L[2]};
    st = dx_mrz_parse(lines, lay.n_lines, opts->parse, &out->mrz, err);
done:
    attempt_free(&best);
    dx_gray_free(&g);
    return st;
}

dx_status dx_mrz_read_file(const char *path, const dx_mrz_read_options *opts,
                           dx_mrz_read_result *out, dx_error *err)
{
    if (!path || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "mrz read: no file or no result");
    memset(out, 0, sizeof *out);
    dx_png_image png;
    dx_status st = dx_png_load(path, &png, err);
    if (st)
        return st;
    dx_mrz_read_options o = {0};
    if (opts)
        o = *opts;
    bool from_file = o.dpi <= 0 && png.dpi > 0;
    if (from_file)
        o.dpi = png.dpi;
    st = dx_mrz_read_image(&png.view, &o, out, err);
    if (st == DX_ERR_NOT_FOUND)
        dx_error_set(err, DX_ERR_NOT_FOUND, "%s: no MRZ found", path);
    dx_png_image_free(&png);
    return st;
}

static json_t *rnd(double v, double q)
{
    return json_real(round(v * q) / q);
}

char *dx_mrz_read_to_json(const dx_mrz_read_result *r, const char *file)
{
    char *base = dx_mrz_to_json(&r->mrz);
    json_t *root = base ? json_loads(base, 0, NULL) : NULL;
    free(base);
    if (!root)
        root = json_object();
    if (!root)
        return NULL;
    json_t *lines = json_array();
    for (size_t l = 0; l < r->n_lines; l++) {
        const dx_mrz_read_line *rl = &r->lines[l];
        json_t *o = json_object(), *conf = json_array(), *box = json_object(),
               *corners = json_array();
        for (size_t i = 0; i < rl->length; i++)
            json_array_append_new(conf, rnd(rl->confidence[i], 1000));
        json_object_set_new(box, "x", rnd(rl->box.x, 10));
        json_object_set_new(box, "y", rnd(rl->box.y, 10));
        json_object_set_new(box, "w", rnd(rl->box.w, 10));
        json_object_set_new(box, "h", rnd(rl->box.h, 10));
        for (int k = 0; k < 4; k++)
            json_array_append_new(corners, json_pack("[oo]", rnd(rl->corners[k][0], 10),
                                                     rnd(rl->corners[k][1], 10)));
        json_object_set_new(o, "text", json_string(rl->text));
        json_object_set_new(o, "raw", json_string(rl->raw));
        json_object_set_new(o, "confidence", conf);
        json_object_set_new(o, "box", box);
        json_object_set_new(o, "corners", corners);
        json_array_append_new(lines, o);
    }
    json_object_set_new(root, "lines", lines);
    json_object_set_new(root, "rotation_deg", rnd(r->rotation_deg, 100));
    json_t *reps = json_array();
    for (size_t i = 0; i < r->n_repairs; i++) {
        char from[2] = {r->repairs[i].from, 0}, to[2] = {r->repairs[i].to, 0};
        json_array_append_new(reps, json_pack("{s:i,s:i,s:s,s:s}", "line", (int)r->repairs[i].line,
                                              "column", (int)r->repairs[i].column, "from", from,
                                              "to", to));
    }
    json_object_set_new(root, "repairs", reps);
    json_object_set_new(root, "mean_confidence", rnd(r->mean_confidence, 1000));
    json_t *src = json_object();
    json_object_set_new(src, "file", file ? json_string(file) : json_null());
    json_object_set_new(src, "width", json_integer(r->width));
    json_object_set_new(src, "height", json_integer(r->height));
    json_object_set_new(src, "dpi", rnd(r->dpi, 10));
    json_object_set_new(src, "dpi_estimated", json_boolean(r->dpi_estimated));
    json_object_set_new(root, "source", src);
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return s;
}
