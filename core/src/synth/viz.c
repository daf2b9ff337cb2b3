/* The visual inspection zone against the MRZ (see viz.h). */
#include "synth/viz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/simd.h"
#include "synth/holder.h"
#include "synth/render.h"
#include "synth/specimen_layout.h"

#define SMOOTH_MM 0.08    /* Gaussian sigma applied to both images */
#define RESID_EM 0.03     /* sigma of the ink difference's smoothing, em */
#define TOL_MM 0.1        /* ink this near the other's ink (whole pixels) is no difference */
#define SEP_DRIFT_EM 0.06 /* a name separator (space, hyphen, apostrophe) differs by this */
#define SEP_KERN_EM 0.1   /* ... and its neighbours kern against it differently */
#define GUARD_MM 0.25     /* the box's end, next to the following field: not compared */
#define MIN_CONTRAST 40   /* levels between paper and ink: less is no print at all */

/* ---- the expected fields --------------------------------------------------- */

/* Collapse runs of spaces, trim both ends. */
static void squeeze(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++)
        if (*p != ' ' || (o > s && o[-1] != ' '))
            *o++ = *p;
    while (o > s && o[-1] == ' ')
        o--;
    *o = '\0';
}

/* YYYYMMDD of a date the MRZ gives in full; false when a part is unknown. */
static bool date_of(const dx_mrz_date *d, char out[9])
{
    if (!d->valid || d->year < 1 || d->year > 9999 || d->month < 1 || d->month > 12 ||
        d->day < 1 || d->day > 31)
        return false;
    char buf[32];
    snprintf(buf, sizeof buf, "%04d%02d%02d", d->year, d->month, d->day);
    memcpy(out, buf, 9);
    return true;
}

/* The text field `key` should show by the MRZ ("" when the MRZ does not tell). */
static void text_of(const dx_mrz *m, const char *key, char *out, size_t size)
{
    const char *s = NULL;
    out[0] = '\0';
    if (!strcmp(key, "document_code")) s = m->document_code;
    else if (!strcmp(key, "issuing_state")) s = m->issuing_state;
    else if (!strcmp(key, "document_number")) s = m->document_number;
    else if (!strcmp(key, "nationality")) s = m->nationality;
    else if (!strcmp(key, "surname")) s = m->surname;
    else if (!strcmp(key, "given_names")) s = m->given_names;
    if (s) {
        snprintf(out, size, "%s", s);
        squeeze(out);
        return;
    }
    /* the renderer's own wording: dates "DD MON YYYY", the state's name */
    dx_synth_holder h;
    memset(&h, 0, sizeof h);
    snprintf(h.nationality, sizeof h.nationality, "%.3s", m->nationality);
    if (!strcmp(key, "sex"))
        /* 9303 Part 4 §4.2.2: '<' unspecified in the MRZ, X in the visual zone */
        h.sex = m->sex == '<' ? 'X' : m->sex;
    else if (!strcmp(key, "birth_date") && !date_of(&m->birth_date, h.birth_date))
        return;
    else if (!strcmp(key, "expiry_date") && !date_of(&m->expiry_date, h.expiry_date))
        return;
    else if (strcmp(key, "sex") && strcmp(key, "birth_date") && strcmp(key, "expiry_date") &&
             strcmp(key, "nationality_name"))
        return;
    dx_synth_field_text(&h, key, out, size);
}

static bool mrz_key(const char *key)
{
    static const char *const keys[] = {"document_code", "issuing_state", "document_number",
                                       "surname",       "given_names",   "nationality",
                                       "nationality_name", "birth_date", "expiry_date", "sex"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i], key) == 0)
            return true;
    return false;
}

void dx_viz_fields_free(dx_viz_field *f, size_t n)
{
    if (!f)
        return;
    for (size_t i = 0; i < n; i++)
        dx_reg_image_free(&f[i].expected);
    free(f);
}

/* `text` of field `key` drawn over `area` at `dpi` into *out. */
static dx_status draw_into(const dx_spec_layout *l, const char *key, const char *text,
                           dx_rect_mm area, double dpi, dx_reg_image *out, dx_rect_mm *cells,
                           double *em_mm, dx_error *err)
{
    dx_synth_image img;
    dx_status st = dx_synth_field_draw(l, key, text, area, dpi, &img, cells, em_mm, err);
    if (st)
        return st;
    size_t np = (size_t)img.width * img.height;
    out->px = malloc(np * sizeof *out->px);
    if (!out->px) {
        dx_synth_image_free(&img);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "viz: out of memory");
    }
    for (size_t i = 0; i < np; i++)
        out->px[i] = img.data[i];
    out->w = (int)img.width;
    out->h = (int)img.height;
    out->ch = 1;
    out->dpi = dpi;
    out->x_mm = area.x;
    out->y_mm = area.y;
    dx_synth_image_free(&img);
    return DX_OK;
}

/* Render field `key` showing `text` into *f. */
static dx_status render_field(const dx_spec_layout *l, const char *key, const char *text,
                              double dpi, dx_viz_field *f, dx_error *err)
{
    dx_rect_mm box, cells[DX_VIZ_MAX_TEXT];
    int side = 0;
    if (!dx_synth_field_box(l, key, &box, &side))
        return dx_error_set(err, DX_ERR_NOT_FOUND, "viz: %s shows no field %s", l->id, key);
    snprintf(f->key, sizeof f->key, "%s", key);
    snprintf(f->text, sizeof f->text, "%s", text);
    f->side = side;
    f->box_mm = (dx_reg_rect){box.x, box.y, box.w, box.h};
    dx_status st = draw_into(l, key, f->text, box, dpi, &f->expected, cells, &f->em_mm, err);
    if (st)
        return st;
    f->n_cells = strlen(f->text);
    for (size_t i = 0; i < f->n_cells; i++)
        f->cells_mm[i] = (dx_reg_rect){cells[i].x, cells[i].y, cells[i].w, cells[i].h};
    return DX_OK;
}

dx_status dx_viz_expected(const char *specimens_dir, const char *specimen_id, const dx_mrz *mrz,
                          double dpi, dx_viz_field **out, size_t *n, dx_error *err)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!specimen_id || !mrz || !out || !n)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "viz: NULL argument");
    if (!(dpi >= 100 && dpi <= 1200))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "viz: dpi %g outside 100..1200", dpi);
    char dir[4200];
    if (specimens_dir)
        snprintf(dir, sizeof dir, "%s", specimens_dir);
    else
        snprintf(dir, sizeof dir, "%s/specimens", dx_datadir());
    dx_viz_field *fields = NULL;
    size_t nf = 0;
    dx_status st;
    dx_spec_layout *l = malloc(sizeof *l);
    if (!l)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "viz: out of memory");
    if ((st = dx_spec_layout_load(dir, specimen_id, l, err)))
        goto fail;
    if (mrz->format != l->format) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "viz: the MRZ is %s, %s carries %s",
                          dx_mrz_format_name(mrz->format), l->id, dx_mrz_format_name(l->format));
        goto fail;
    }
    size_t cap = 0;
    for (size_t i = 0; i < l->n_elems; i++)
        cap += l->elems[i].type == DX_ELEM_DATA ? l->elems[i].n_fields : 0;
    fields = calloc(cap ? cap : 1, sizeof *fields);
    if (!fields) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "viz: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < l->n_elems; i++) {
        const dx_spec_element *e = &l->elems[i];
        for (size_t k = 0; e->type == DX_ELEM_DATA && k < e->n_fields; k++) {
            const char *key = e->fields[k].key;
            bool dup = false;
            for (size_t j = 0; j < nf; j++)
                dup |= strcmp(fields[j].key, key) == 0;
            if (dup || !mrz_key(key))
                continue;
            char text[128];
            text_of(mrz, key, text, sizeof text);
            if (!text[0] || strlen(text) >= DX_VIZ_MAX_TEXT)
                continue;
            dx_viz_field *f = &fields[nf];
            if ((st = render_field(l, key, text, dpi, f, err)))
                goto fail;
            nf++;
            f->name = !strcmp(key, "surname") || !strcmp(key, "given_names");
            /* the name field is full: the last name printed may be longer */
            f->open_end = mrz->name_truncated &&
                          (!strcmp(key, "given_names") ||
                           (!strcmp(key, "surname") && !mrz->given_names[0]));
        }
    }
    free(l);
    *out = fields;
    *n = nf;
    return DX_OK;
fail:
    dx_viz_fields_free(fields, nf);
    free(l);
    return st;
}

/* ---- the comparison --------------------------------------------------------- */

typedef struct plane {
    int w, h;
    float *px;
} plane;

/* out[i] = sum over t of k[t] * in[i + t], t = 0..nk-1, i < len: eight
 * outputs at a time, each summed in the order of t (the scalar loop's sums). */
DX_SIMD static void convolve_line(const float *restrict in, const float *restrict k, int nk, int len,
                                  float *restrict out)
{
    int i = 0;
    for (; i + 8 <= len; i += 8) {
        dx_v8f acc = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int t = 0; t < nk; t++) {
            dx_v8f kt = {k[t], k[t], k[t], k[t], k[t], k[t], k[t], k[t]};
            acc += kt * V8_LOAD(in + i + t);
        }
        V8_STORE(out + i, acc);
    }
    for (; i < len; i++) {
        float acc = 0;
        for (int t = 0; t < nk; t++)
            acc += k[t] * in[i + t];
        out[i] = acc;
    }
}

/* Gaussian blur in place, sigma in pixels (separable); beyond the edges the
 * edge pixel repeats, or 0 with `zero`.  Each line is copied with r samples
 * of that border on either side, so the taps need no test. */
static dx_status blur(plane *p, double sigma, bool zero, dx_error *err)
{
    if (sigma < 0.2)
        return DX_OK;
    int r = (int)ceil(3 * sigma);
    int n = p->w > p->h ? p->w : p->h;
    float *k = malloc((size_t)(2 * r + 1) * sizeof *k);
    float *line = malloc((size_t)(n + 2 * r) * sizeof *line), *res = malloc((size_t)n * sizeof *res);
    if (!k || !line || !res) {
        free(k);
        free(line);
        free(res);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "viz: out of memory");
    }
    double sum = 0;
    for (int i = -r; i <= r; i++)
        sum += k[i + r] = (float)exp(-0.5 * i * i / (sigma * sigma));
    for (int i = 0; i <= 2 * r; i++)
        k[i] = (float)(k[i] / sum);
    for (int pass = 0; pass < 2; pass++) {
        int len = pass ? p->h : p->w, count = pass ? p->w : p->h;
        size_t step = pass ? (size_t)p->w : 1;
        for (int j = 0; j < count; j++) {
            float *base = p->px + (pass ? (size_t)j : (size_t)j * p->w);
            for (int i = 0; i < len; i++)
                line[r + i] = base[i * step];
            for (int i = 0; i < r; i++) {
                line[i] = zero ? 0 : base[0];
                line[r + len + i] = zero ? 0 : base[(size_t)(len - 1) * step];
            }
            convolve_line(line, k, 2 * r + 1, len, res);
            for (int i = 0; i < len; i++)
                base[i * step] = res[i];
        }
    }
    free(k);
    free(line);
    free(res);
    return DX_OK;
}

static inline float lum(const dx_reg_image *im, int x, int y)
{
    const float *p = im->px + ((size_t)y * im->w + x) * im->ch;
    return im->ch == 1 ? p[0] : 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
}

/* Bilinear luminance at image point (x, y) px (pixel centres at +0.5); false outside. */
static bool sample(const dx_reg_image *im, double x, double y, float *v)
{
    x -= 0.5;
    y -= 0.5;
    if (x < -0.5 || y < -0.5 || x > im->w - 0.5 || y > im->h - 0.5)
        return false;
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x > im->w - 1) x = im->w - 1;
    if (y > im->h - 1) y = im->h - 1;
    int ix = (int)x, iy = (int)y;
    int ix1 = ix + 1 < im->w ? ix + 1 : ix, iy1 = iy + 1 < im->h ? iy + 1 : iy;
    float fx = (float)(x - ix), fy = (float)(y - iy);
    float a = lum(im, ix, iy) + (lum(im, ix1, iy) - lum(im, ix, iy)) * fx;
    float b = lum(im, ix, iy1) + (lum(im, ix1, iy1) - lum(im, ix, iy1)) * fx;
    *v = a + (b - a) * fy;
    return true;
}

/* The capture's luminance over w x h pixels at `ppm` from page (x0, y0) mm;
 * points outside the capture get NAN. */
static dx_status resample(const dx_reg_image *c, double x0, double y0, double ppm, int w, int h,
                          plane *out, dx_error *err)
{
    out->w = w;
    out->h = h;
    out->px = malloc((size_t)w * h * sizeof *out->px);
    if (!out->px)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "viz: out of memory");
    double cppm = c->dpi / 25.4, r = cppm / ppm;
    int k = r >= 1.5 ? (int)ceil(r) : 1; /* box prefilter of a finer capture */
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            double acc = 0;
            int got = 0;
            for (int b = 0; b < k; b++)
                for (int a = 0; a < k; a++) {
                    double u = x0 + (i + (a + 0.5) / k) / ppm, v = y0 + (j + (b + 0.5) / k) / ppm;
                    float s;
                    if (sample(c, (u - c->x_mm) * cppm, (v - c->y_mm) * cppm, &s)) {
                        acc += s;
                        got++;
                    }
                }
            out->px[(size_t)j * w + i] = got == k * k ? (float)(acc / got) : NAN;
        }
    return DX_OK;
}

/* The five sums of a row pair: of a, b, a^2, b^2 and ab over n samples,
 * added into s[0..4]; eight float lanes within the row (a row is at most a
 * few thousand samples of 0..255: its float sums hold about seven digits,
 * far below the spread that decides), doubles across rows. */
DX_SIMD static void row_sums(const float *restrict a, const float *restrict b, int n, double s[5])
{
    dx_v8f z = {0, 0, 0, 0, 0, 0, 0, 0}, va = z, vb = z, vaa = z, vbb = z, vab = z;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        dx_v8f x = V8_LOAD(a + i), y = V8_LOAD(b + i);
        va += x, vb += y, vaa += x * x, vbb += y * y, vab += x * y;
    }
    double r[5] = {0, 0, 0, 0, 0};
    for (; i < n; i++) {
        double x = a[i], y = b[i];
        r[0] += x, r[1] += y, r[2] += x * x, r[3] += y * y, r[4] += x * y;
    }
    const dx_v8f *v[5] = {&va, &vb, &vaa, &vbb, &vab};
    for (int q = 0; q < 5; q++) {
        const dx_v8f w = *v[q];
        s[q] += (double)((w[0] + w[4]) + (w[1] + w[5]) + (w[2] + w[6]) + (w[3] + w[7])) + r[q];
    }
}

/* Zero-mean NCC of e's window [ex, ex+w) x [ey, ey+h) with c's window at
 * (cx, cy); 0 when either is flat. */
static double ncc(const plane *e, int ex, int ey, const plane *c, int cx, int cy, int w, int h)
{
    double s[5] = {0, 0, 0, 0, 0};
    for (int j = 0; j < h; j++)
        row_sums(e->px + (size_t)(ey + j) * e->w + ex, c->px + (size_t)(cy + j) * c->w + cx, w, s);
    double se = s[0], sc = s[1], see = s[2], scc = s[3], sec = s[4];
    double n = (double)w * h;
    double ve = see - se * se / n, vc = scc - sc * sc / n, cv = sec - se * sc / n;
    /* flat: less than a level of spread per pixel */
    if (ve < n * 1.0 || vc < n * 1.0)
        return 0;
    return cv / sqrt(ve * vc);
}

/* Best NCC of e's window over shifts (sx, sy) in [sx0, sx1] x [sy0, sy1] of
 * c (c's pixel (m + i + sx, m + j + sy) against e's (i, j)). */
static double best_ncc(const plane *e, int ex, int ey, int w, int h, const plane *c, int m,
                       int sx0, int sx1, int sy0, int sy1, int *bx, int *by)
{
    double best = -2;
    for (int sy = sy0; sy <= sy1; sy++)
        for (int sx = sx0; sx <= sx1; sx++) {
            int cx = m + ex + sx, cy = m + ey + sy;
            if (cx < 0 || cy < 0 || cx + w > c->w || cy + h > c->h)
                continue;
            double v = ncc(e, ex, ey, c, cx, cy, w, h);
            if (v > best) {
                best = v;
                if (bx)
                    *bx = sx;
                if (by)
                    *by = sy;
            }
        }
    return best < -1.5 ? 0 : best;
}

/* best_ncc() over [-S, S]^2: every second shift, then the neighbours of the
 * best (the correlation peak of smoothed print is wider than 2 px). */
static double search(const plane *e, int w, int h, const plane *c, int m, int S, int *bx, int *by)
{
    int x = 0, y = 0;
    if (S <= 2)
        return best_ncc(e, 0, 0, w, h, c, m, -S, S, -S, S, bx, by);
    double best = -2;
    for (int sy = -S; sy <= S; sy += 2)
        for (int sx = -S; sx <= S; sx += 2) {
            double v = ncc(e, 0, 0, c, m + sx, m + sy, w, h);
            if (v > best) {
                best = v;
                x = sx;
                y = sy;
            }
        }
    int x0 = x - 1 < -S ? -S : x - 1, x1 = x + 1 > S ? S : x + 1;
    int y0 = y - 1 < -S ? -S : y - 1, y1 = y + 1 > S ? S : y + 1;
    return best_ncc(e, 0, 0, w, h, c, m, x0, x1, y0, y1, bx, by);
}

/* The best shift to a fraction of a pixel: a parabola through the NCC at
 * (bx, by) and its four neighbours. */
static void refine(const plane *e, int ex, int ey, int w, int h, const plane *c, int m, int bx,
                   int by, double *sx, double *sy)
{
    double v0 = ncc(e, ex, ey, c, m + ex + bx, m + ey + by, w, h);
    double l = ncc(e, ex, ey, c, m + ex + bx - 1, m + ey + by, w, h);
    double r = ncc(e, ex, ey, c, m + ex + bx + 1, m + ey + by, w, h);
    double u = ncc(e, ex, ey, c, m + ex + bx, m + ey + by - 1, w, h);
    double d = ncc(e, ex, ey, c, m + ex + bx, m + ey + by + 1, w, h);
    double cx = l - 2 * v0 + r, cy = u - 2 * v0 + d;
    double ox = cx < 0 ? 0.5 * (l - r) / cx : 0, oy = cy < 0 ? 0.5 * (u - d) / cy : 0;
    *sx = bx + fmax(-0.5, fmin(0.5, ox));
    *sy = by + fmax(-0.5, fmin(0.5, oy));
}

/* A segment: characters i..j, columns [x0, x1) of the box, the capture's shift. */
typedef struct segment {
    int i, j, x0, x1;
    double sx, sy;
} segment;

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Ink coverage: the rendering (paper 255, ink 0) and the capture (its paper
 * and ink levels) on one scale, 0 paper .. 1 ink. */
static void ink_of(const plane *in, float paper, float ink, bool clamp, plane *out)
{
    float k = 1 / (paper - ink);
    for (size_t i = 0; i < (size_t)in->w * in->h; i++) {
        float v = (paper - in->px[i]) * k;
        out->px[i] = clamp ? (v < -0.5f ? -0.5f : v > 1.5f ? 1.5f : v) : v;
    }
}

/* Grey dilation: each pixel the largest of its (2t + 1)^2 neighbourhood. */
static void dilate(const float *in, float *out, int w, int h, int t, float *tmp)
{
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            float v = in[(size_t)j * w + i];
            for (int k = i - t; k <= i + t; k++)
                if (k >= 0 && k < w)
                    v = fmaxf(v, in[(size_t)j * w + k]);
            tmp[(size_t)j * w + i] = v;
        }
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            float v = tmp[(size_t)j * w + i];
            for (int k = j - t; k <= j + t; k++)
                if (k >= 0 && k < h)
                    v = fmaxf(v, tmp[(size_t)k * w + i]);
            out[(size_t)j * w + i] = v;
        }
}

/* The segment's ink difference over columns [x0, x1) of the box, the capture
 * at shift (sx, sy) (c's pixel m + i + sx, bilinear between pixels): ink the
 * capture has and the rendering has not within `tol` px (extra), minus ink
 * the rendering has and the capture has not within `tol` px (missing) — so a
 * stroke drawn a fraction of a pixel thicker or displaced does not count, a
 * stroke added or missing does; counted over columns [0, xe) except where
 * skip[i]; smoothed by a Gaussian of `sigma` px (nothing outside the counted
 * area); its largest magnitude over [x0, x1).  0: the same; 1: a blob of ink
 * the size of the Gaussian added or missing.  Sets *r. */
static dx_status residual(const plane *ei, const plane *ci, int m, double sx, double sy, int x0,
                          int x1, int xe, const unsigned char *skip, double sigma, int tol,
                          double *r, dx_error *err)
{
    *r = 0;
    int ix = (int)floor(sx), iy = (int)floor(sy);
    float fx = (float)(sx - ix), fy = (float)(sy - iy);
    int reach = (int)ceil(3 * sigma) + tol;
    int a = x0 - reach < 0 ? 0 : x0 - reach, b = x1 + reach > xe ? xe : x1 + reach;
    if (x1 > xe)
        x1 = xe;
    if (b <= a || x1 <= x0)
        return DX_OK;
    int w = b - a, h = ei->h;
    size_t n = (size_t)w * h;
    float *buf = calloc(5 * n, sizeof *buf); /* calloc: h may be 0 */
    if (!buf)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "viz: out of memory");
    float *cw = buf, *ew = buf + n, *cd = buf + 2 * n, *ed = buf + 3 * n, *tmp = buf + 4 * n;
    for (int j = 0; j < h; j++)
        for (int i = a; i < b; i++) {
            const float *p = ci->px + (size_t)(m + j + iy) * ci->w + m + i + ix;
            float top = p[0] + (p[1] - p[0]) * fx, bot = p[ci->w] + (p[ci->w + 1] - p[ci->w]) * fx;
            cw[(size_t)j * w + i - a] = top + (bot - top) * fy;
            ew[(size_t)j * w + i - a] = ei->px[(size_t)j * ei->w + i];
        }
    dilate(cw, cd, w, h, tol, tmp);
    dilate(ew, ed, w, h, tol, tmp);
    plane R = {w, h, tmp};
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            size_t k = (size_t)j * w + i;
            R.px[k] = skip[a + i] ? 0 : fmaxf(0, cw[k] - ed[k]) - fmaxf(0, ew[k] - cd[k]);
        }
    dx_status st = blur(&R, sigma, true, err);
    if (st == DX_OK)
        for (int j = 0; j < h; j++)
            for (int i = x0; i < x1; i++)
                *r = fmax(*r, fabs(R.px[(size_t)j * w + i - a]));
    free(buf);
    return st;
}

/* The working state of one comparison (dx_viz_compare). */
typedef struct work {
    double ppm, rsig, esig;
    int ew, eh, S, m, drift, reach, tol, xe;
    size_t nb;
    float paper;        /* the box's paper level (first guess) */
    plane c;            /* the capture around the box (m px more each side), smoothed */
    plane e, ei, ci;    /* the rendering, its ink, the capture's ink */
    float *tmp, *core;  /* nb and 2 nb floats */
    unsigned char *skip; /* columns of the box not compared */
    segment seg[DX_VIZ_MAX_TEXT];
} work;

/* Field `f` drawn as `rendering` against the capture in `w`: steps 1-5 of
 * viz.h into *res. */
static dx_status analyse(const dx_viz_field *f, const dx_reg_image *rendering, work *w,
                         dx_viz_match *res, dx_error *err)
{
    const plane *c = &w->c;
    plane *e = &w->e, *ei = &w->ei, *ci = &w->ci;
    int ew = w->ew, eh = w->eh, m = w->m, S = w->S, xe = w->xe;
    double ppm = w->ppm;
    const unsigned char *skip = w->skip;
    dx_status st;
    memset(res, 0, sizeof *res);

    /* 1. the whole field: the registration, and how much more blurred the
     * capture is (optics, resampling): the rendering blurred to match */
    int gx = 0, gy = 0;
    double fx, fy, best_sig = w->esig;
    memcpy(e->px, rendering->px, w->nb * sizeof *e->px);
    if ((st = blur(e, w->esig, false, err)))
        return st;
    double best = search(e, ew, eh, c, m, S, &gx, &gy);
    static const double blur_mm[] = {0.03, 0.045, 0.06, 0.075, 0.1};
    plane t = {ew, eh, w->tmp};
    for (size_t q = 0; q < sizeof blur_mm / sizeof blur_mm[0]; q++) {
        double s2 = sqrt(w->esig * w->esig + pow(blur_mm[q] * ppm, 2));
        memcpy(t.px, rendering->px, w->nb * sizeof *t.px);
        if ((st = blur(&t, s2, false, err)))
            return st;
        double v = best_ncc(&t, 0, 0, ew, eh, c, m, gx - 1, gx + 1, gy - 1, gy + 1, NULL, NULL);
        if (v > best + 0.002) {
            best = v;
            best_sig = s2;
        }
    }
    if (best_sig != w->esig) {
        memcpy(e->px, rendering->px, w->nb * sizeof *e->px);
        if ((st = blur(e, best_sig, false, err)))
            return st;
    }
    if (gx < -S + 1 || gx > S - 1 || gy < -S + 1 || gy > S - 1) /* at the edge: search again */
        res->score = search(e, ew, eh, c, m, S, &gx, &gy);
    else
        res->score = best_ncc(e, 0, 0, ew, eh, c, m, gx - 1, gx + 1, gy - 1, gy + 1, &gx, &gy);
    refine(e, 0, 0, ew, eh, c, m, gx, gy, &fx, &fy);
    res->dx_mm = fx / ppm;
    res->dy_mm = fy / ppm;

    /* 3. ink on one scale, 0 paper .. 1 ink: the rendering's is
     * 1 - level / 255; the capture's paper is its mean where the rendering
     * has no ink near */
    ink_of(e, 255, 0, false, ei);
    plane near = {ew, eh, w->tmp};
    memcpy(near.px, ei->px, w->nb * sizeof *near.px);
    if ((st = blur(&near, 2 * w->rsig, false, err)))
        return st;
    float paper = w->paper;
    double ps = 0, sc = 0, se = 0;
    size_t pn = 0;
    for (int j = 0; j < eh; j++)
        for (int i = 0; i < xe; i++)
            if (!skip[i] && near.px[(size_t)j * ew + i] < 0.002f) {
                ps += c->px[(size_t)(m + j + gy) * c->w + m + i + gx];
                pn++;
            }
    if (pn >= 50)
        paper = (float)(ps / (double)pn);
    for (int j = 0; j < eh; j++)
        for (int i = 0; i < xe; i++)
            if (!skip[i]) {
                sc += paper - c->px[(size_t)(m + j + gy) * c->w + m + i + gx];
                se += ei->px[(size_t)j * ew + i];
            }

    /* 2. the segments: the pairs of neighbouring characters of each word (a
     * one-letter word alone; a date's blank alone, aligned as the character
     * before it), each aligned near the previous one: +-1 px, more after a
     * name's separator; the first near the field's shift, which a name's
     * separators may have pulled by up to `drift`.  Meanwhile the capture's
     * darkness over the rendering's solid strokes is gathered. */
    size_t nseg = 0, ncore = 0;
    float solid = 0; /* the rendering's darkest (1 unless strokes are finer than a pixel) */
    for (size_t k = 0; k < w->nb; k++)
        solid = fmaxf(solid, ei->px[k]);
    int lx = gx, ly = gy, d = 1 + w->drift, reach = w->reach;
    double lfx = fx, lfy = fy;
    for (size_t i = 0; i < f->n_cells; i++) {
        bool space = f->text[i] == ' ';
        if (space && f->name) {
            d += (int)ceil(SEP_DRIFT_EM * f->em_mm * ppm);
            continue;
        }
        size_t j = !space && i + 1 < f->n_cells && f->text[i + 1] != ' ' ? i + 1 : i;
        if (!space && j == i && i > 0 && f->text[i - 1] != ' ')
            continue; /* the last letter of a word: in the previous pair */
        int x0 = (int)floor((f->cells_mm[i].x - rendering->x_mm) * ppm);
        int x1 = (int)ceil((f->cells_mm[j].x + f->cells_mm[j].w - rendering->x_mm) * ppm);
        x0 = x0 < 0 ? 0 : x0;
        x1 = x1 > ew ? ew : x1;
        if (x1 - x0 < 2)
            continue;
        if (!space) {
            int sx0 = lx - d > gx - reach ? lx - d : gx - reach;
            int sx1 = lx + d < gx + reach ? lx + d : gx + reach;
            int sy0 = ly - 1 > gy - 2 ? ly - 1 : gy - 2, sy1 = ly + 1 < gy + 2 ? ly + 1 : gy + 2;
            best_ncc(e, x0, 0, x1 - x0, eh, c, m, sx0, sx1, sy0, sy1, &lx, &ly);
            refine(e, x0, 0, x1 - x0, eh, c, m, lx, ly, &lfx, &lfy);
            d = 1;
            for (int y = 0; y < eh; y++)
                for (int x = x0; x < x1 && x < xe; x++) {
                    float k = ei->px[(size_t)y * ew + x];
                    if (!skip[x] && k > 0.8f * solid)
                        w->core[ncore++] =
                            (paper - c->px[(size_t)(m + y + ly) * c->w + m + x + lx]) / k;
                }
        }
        w->seg[nseg++] = (segment){(int)i, (int)j, x0, x1, lfx, lfy};
    }

    /* 3. the ink scale (levels per unit of ink): such that both hold the
     * same ink (blur and the print's density change neither sum), but within
     * 0.8..1.5 times the darkness found on the strokes' cores (their 30th
     * percentile) — so that a different glyph with more ink (M for F) is not
     * scaled down to look alike */
    double g = se > 0 ? sc / se : 0;
    if (ncore >= 10) {
        qsort(w->core, ncore, sizeof *w->core, cmp_float);
        double gc = w->core[(size_t)(0.3 * (double)(ncore - 1))];
        g = fmax(0.8 * gc, fmin(1.5 * gc, g));
    }
    if (g < MIN_CONTRAST) { /* nothing printed, or nothing where the strokes should be */
        res->min_segment = -1;
        return DX_OK;
    }
    ink_of(c, paper, (float)(paper - g), true, ci);

    /* 4. each segment's ink difference */
    double mn = 1, r;
    for (size_t k = 0; k < nseg; k++) {
        const segment *q = &w->seg[k];
        if ((st = residual(ei, ci, m, q->sx, q->sy, q->x0, q->x1, xe, skip, w->rsig, w->tol, &r,
                           err)))
            return st;
        mn = fmin(mn, 1 - 2 * fmin(r, 1));
    }
    /* 5. after the text: more print is a longer value (unless the MRZ's name
     * was cut) */
    if (!f->open_end && nseg) {
        const segment *q = &w->seg[nseg - 1];
        int x0 = q->x1 + 1 + (int)ceil(2 * w->rsig);
        if ((st = residual(ei, ci, m, q->sx, q->sy, x0, xe, xe, skip, w->rsig, w->tol, &r, err)))
            return st;
        mn = fmin(mn, 1 - 2 * fmin(r, 1));
    }
    res->min_segment = mn;
    return DX_OK;
}

dx_status dx_viz_compare(const dx_viz_field *f, const dx_reg_image *captured, double max_shift_mm,
                         dx_viz_match *out, dx_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!f || !captured || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "viz: NULL argument");
    const dx_reg_image *ex = &f->expected;
    if (!ex->px || ex->w < 2 || ex->h < 2 || ex->ch != 1 || !(ex->dpi >= 50) ||
        !(f->em_mm > 0 && f->em_mm < 100) || f->n_cells >= DX_VIZ_MAX_TEXT ||
        f->n_cells != strnlen(f->text, sizeof f->text))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "viz: field %.32s is not one dx_viz_expected() made", f->key);
    if (!captured->px || captured->w < 1 || captured->h < 1 ||
        (captured->ch != 1 && captured->ch != 3))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "viz: no captured image");
    if (!(captured->dpi >= 100))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "viz: the capture is at %g dpi; comparing text needs 100 or more",
                            captured->dpi);
    if (!(max_shift_mm >= 0 && max_shift_mm <= 3))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "viz: max_shift_mm %g outside 0..3",
                            max_shift_mm);
    /* the capture must cover the box (half a capture pixel of slack) */
    double cppm = captured->dpi / 25.4, tol = 0.5 / cppm;
    double cx0 = captured->x_mm, cy0 = captured->y_mm;
    double cx1 = cx0 + captured->w / cppm, cy1 = cy0 + captured->h / cppm;
    const dx_reg_rect *b = &f->box_mm;
    if (cx0 > b->x + tol || cy0 > b->y + tol || cx1 < b->x + b->w - tol ||
        cy1 < b->y + b->h - tol)
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "viz: field %s: the capture covers page x %.2f..%.2f y %.2f..%.2f mm, "
                            "the field lies at x %.2f..%.2f y %.2f..%.2f mm",
                            f->key, cx0, cx1, cy0, cy1, b->x, b->x + b->w, b->y, b->y + b->h);

    if (captured->n_outside > 0) {
        /* resampled from a capture that may not reach the field: its
         * samples outside are 0 in every channel */
        int i0 = (int)ceil((b->x - cx0) * cppm - 0.5), j0 = (int)ceil((b->y - cy0) * cppm - 0.5);
        int i1 = (int)ceil((b->x + b->w - cx0) * cppm - 0.5);
        int j1 = (int)ceil((b->y + b->h - cy0) * cppm - 0.5);
        size_t zero = 0, all = 0;
        for (int j = j0 < 0 ? 0 : j0; j < j1 && j < captured->h; j++)
            for (int i = i0 < 0 ? 0 : i0; i < i1 && i < captured->w; i++) {
                const float *p = captured->px + ((size_t)j * captured->w + i) * captured->ch;
                bool z = true;
                for (int k = 0; k < captured->ch; k++)
                    z &= p[k] == 0;
                zero += z;
                all++;
            }
        if (zero * 100 > all)
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "viz: field %s at x %.2f..%.2f y %.2f..%.2f mm lies partly "
                                "outside the capture (%zu of its %zu samples)",
                                f->key, b->x, b->x + b->w, b->y, b->y + b->h, zero, all);
    }

    double ppm = ex->dpi / 25.4;
    int ew = ex->w, eh = ex->h;
    size_t nb = (size_t)ew * eh;
    work w = {.ppm = ppm, .ew = ew, .eh = eh, .nb = nb};
    w.S = (int)ceil(max_shift_mm * ppm);
    /* words after a name's separators may sit up to `drift` px off; a
     * segment's shift stays within `reach` px of the field's; the working
     * capture extends S + reach + 2 px around the box */
    int nsep = 0;
    for (size_t i = 0; i < f->n_cells; i++)
        nsep += f->name && f->text[i] == ' ';
    w.drift = (int)ceil(nsep * SEP_DRIFT_EM * f->em_mm * ppm);
    w.reach = 2 * w.drift + 2;
    w.m = w.S + w.reach + 2;
    w.rsig = RESID_EM * f->em_mm * ppm;
    w.tol = (int)floor(TOL_MM * ppm);
    w.xe = ew - (int)ceil(GUARD_MM * ppm);
    dx_status st;
    w.e = (plane){ew, eh, malloc(nb * sizeof(float))};
    w.ei = (plane){ew, eh, malloc(nb * sizeof(float))};
    w.tmp = malloc(nb * sizeof *w.tmp);
    w.skip = calloc((size_t)ew, 1);
    w.core = malloc(2 * nb * sizeof *w.core); /* segments overlap by a character */
    if (!w.e.px || !w.ei.px || !w.tmp || !w.skip || !w.core) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "viz: out of memory");
        goto done;
    }
    if ((st = resample(captured, ex->x_mm - w.m / ppm, ex->y_mm - w.m / ppm, ppm, ew + 2 * w.m,
                       eh + 2 * w.m, &w.c, err)))
        goto done;
    w.ci = (plane){w.c.w, w.c.h, malloc((size_t)w.c.w * w.c.h * sizeof(float))};
    if (!w.ci.px) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "viz: out of memory");
        goto done;
    }

    /* where the capture lies outside the image: the box's paper (its 75th
     * percentile) */
    size_t nv = 0;
    for (int j = 0; j < eh; j++)
        for (int i = 0; i < ew; i++) {
            float v = w.c.px[(size_t)(j + w.m) * w.c.w + i + w.m];
            if (!isnan(v))
                w.tmp[nv++] = v;
        }
    w.paper = 255;
    if (nv) {
        qsort(w.tmp, nv, sizeof *w.tmp, cmp_float);
        w.paper = w.tmp[(size_t)(0.75 * (double)(nv - 1))];
    }
    for (size_t i = 0; i < (size_t)w.c.w * w.c.h; i++)
        if (isnan(w.c.px[i]))
            w.c.px[i] = w.paper;

    /* smooth both alike; a coarser capture: the rendering by its pixel too */
    double sig = SMOOTH_MM * ppm, extra = captured->dpi < ex->dpi ? 0.35 * ppm / cppm : 0;
    w.esig = sqrt(sig * sig + extra * extra);
    if ((st = blur(&w.c, sig, false, err)))
        goto done;

    /* what is not compared: a name's separators (' ', '-' or '\'', with
     * the kerning they bring), the rest of a name the MRZ cut */
    int kern = (int)ceil(SEP_KERN_EM * f->em_mm * ppm);
    for (size_t i = 0; f->name && i < f->n_cells; i++)
        if (f->text[i] == ' ')
            for (int x = (int)floor((f->cells_mm[i].x - ex->x_mm) * ppm) - kern;
                 x < (int)ceil((f->cells_mm[i].x + f->cells_mm[i].w - ex->x_mm) * ppm) + kern;
                 x++)
                if (x >= 0 && x < ew)
                    w.skip[x] = 1;
    if (f->open_end && f->n_cells)
        for (int x = (int)ceil((f->cells_mm[f->n_cells - 1].x + f->cells_mm[f->n_cells - 1].w -
                                ex->x_mm) * ppm); x < ew; x++)
            w.skip[x < 0 ? 0 : x] = 1;

    st = analyse(f, ex, &w, out, err);
done:
    free(w.core);
    free(w.e.px);
    free(w.c.px);
    free(w.ei.px);
    free(w.ci.px);
    free(w.tmp);
    free(w.skip);
    return st;
}
