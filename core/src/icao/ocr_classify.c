/* Cutting an MRZ line into its fixed-pitch cells and recognising each OCR-B
 * character by normalised correlation with templates rendered from the font
 * (ocr_glyphs.c).  The MRZ is fixed pitch (ICAO 9303 Part 3: 10 per inch), so
 * the cells come from the pitch, which also splits touching characters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "icao/ocr.h"

#define STRIP_H 48
#define STRIP_CAP 25.0 /* median glyph height (letters 24, digits 26) in strip px */
#define NPIX (DX_OCR_TW * DX_OCR_TH)

int dx_ocr_class_of(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= '0' && c <= '9')
        return 26 + c - '0';
    if (c == '<')
        return 36;
    return -1;
}

void dx_ocr_strip_free(dx_ocr_strip *s)
{
    if (s) {
        free(s->d);
        s->d = NULL;
    }
}

/* The first cell from the first inked column (glyphs are about 14 px wide);
 * the pitch is tracked cell by cell when recognising. */
static void strip_grid(dx_ocr_strip *s, double c0)
{
    double pitch = s->pitch;
    s->c0 = c0;
    int a0 = (int)(c0 - 0.9 * pitch), b0 = (int)(c0 + 0.6 * pitch);
    if (a0 < 0)
        a0 = 0;
    if (b0 > s->w - 1)
        b0 = s->w - 1;
    /* the first glyph's left edge: two neighbouring columns each with two
     * or more pixels darker than half way to ink in the band (the bar of a T
     * does that; noise does not) */
    int run = 0;
    for (int u = a0; u <= b0; u++) {
        int dark = 0;
        for (int v = STRIP_H / 2 - 14; v < STRIP_H / 2 + 14; v++)
            dark += s->d[(size_t)v * s->w + u] > 0.5f;
        run = dark >= 2 ? run + 1 : 0;
        if (run == 2) {
            if (fabs(u - 1 + 7.0 - c0) < 0.6 * pitch)
                s->c0 = u - 1 + 7.0;
            break;
        }
    }
}

dx_status dx_ocr_strip_make(const dx_gray *g, const dx_ocr_layout *lay, size_t li, bool upside_down,
                            dx_ocr_strip *s, dx_error *err)
{
    memset(s, 0, sizeof *s);
    const dx_ocr_line *L = &lay->lines[li];
    double dx = L->x1 - L->x0, dy = L->y1 - L->y0, len = sqrt(dx * dx + dy * dy);
    if (len < 1)
        return dx_error_set(err, DX_ERR_NOT_FOUND, "no MRZ found");
    dx /= len;
    dy /= len;
    double sc = L->cap / STRIP_CAP; /* image px per strip px */
    double pitch = lay->pitch / sc;
    double margin = 1.2 * pitch;
    s->n = (int)lay->n_chars;
    s->pitch = pitch;
    s->w = (int)ceil(len / sc + 2 * margin);
    s->h = STRIP_H;
    if (s->w < 8 || s->w > 20000)
        return dx_error_set(err, DX_ERR_NOT_FOUND, "no MRZ found");
    s->ux = dx * sc;
    s->uy = dy * sc;
    s->vx = -dy * sc;
    s->vy = dx * sc;
    s->ox = L->x0 - margin * s->ux - (STRIP_H / 2.0 - 0.5) * s->vx;
    s->oy = L->y0 - margin * s->uy - (STRIP_H / 2.0 - 0.5) * s->vy;
    size_t np = (size_t)s->w * s->h;
    s->d = malloc(sizeof *s->d * np);
    if (!s->d)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "mrz read: out of memory");
    int k = sc > 1.25 ? (int)ceil(sc) : 1;
    if (k > 6)
        k = 6;
    double su[36], sv[36]; /* sub-sample offsets in image px */
    for (int a = 0; a < k; a++)
        for (int b = 0; b < k; b++) {
            double fu = (a + 0.5) / k - 0.5, fv = (b + 0.5) / k - 0.5;
            su[a * k + b] = 0.5 + fu * s->ux + fv * s->vx;
            sv[a * k + b] = 0.5 + fu * s->uy + fv * s->vy;
        }
    float inv = 1.0f / (float)(k * k);
    for (int v = 0; v < s->h; v++) {
        double px = s->ox + v * s->vx, py = s->oy + v * s->vy;
        float *row = s->d + (size_t)v * s->w;
        for (int u = 0; u < s->w; u++, px += s->ux, py += s->uy) {
            float acc = 0;
            for (int q = 0; q < k * k; q++)
                acc += dx_gray_sample(g, px + su[q], py + sv[q]);
            row[u] = acc * inv;
        }
    }
    /* ink and paper levels (2nd and 90th percentiles) in windows of about
     * three cells along the strip, interpolated: light may fall off along the
     * line */
    {
        enum { STEP = 16, HALF = 48 };
        int nb = s->w / STEP + 2;
        float *bp = malloc(sizeof *bp * (size_t)nb), *bi = malloc(sizeof *bi * (size_t)nb);
        if (!bp || !bi) {
            free(bp);
            free(bi);
            dx_ocr_strip_free(s);
            return dx_error_set(err, DX_ERR_NO_MEMORY, "mrz read: out of memory");
        }
        for (int bk = 0; bk < nb; bk++) {
            int c = bk * STEP, u0 = c - HALF < 0 ? 0 : c - HALF,
                u1 = c + HALF > s->w ? s->w : c + HALF;
            uint32_t hist[256] = {0};
            size_t m = 0;
            for (int v = 4; v < STRIP_H - 4; v++)
                for (int u = u0; u < u1; u++) {
                    float x = s->d[(size_t)v * s->w + u];
                    hist[x <= 0 ? 0 : x >= 255 ? 255 : (int)x]++;
                    m++;
                }
            float ink = 0, paper = 255;
            size_t acc = 0;
            bool have_ink = false;
            for (int i = 0; i < 256; i++) {
                acc += hist[i];
                if (!have_ink && acc > m * 2 / 100) {
                    ink = (float)i;
                    have_ink = true;
                }
                if (acc > m * 90 / 100) {
                    paper = (float)i;
                    break;
                }
            }
            bp[bk] = paper;
            bi[bk] = ink;
        }
        /* the ink level: the darkest of the windows' (a window over '<' only
         * is paler), smoothed */
        for (int u = 0; u < s->w; u++) {
            int bk = u / STEP;
            float t = (float)(u - bk * STEP) / STEP;
            float paper = bp[bk] + (bp[bk + 1] - bp[bk]) * t;
            float ink = bi[bk] + (bi[bk + 1] - bi[bk]) * t;
            float range = paper - ink;
            if (range < 12)
                range = 12;
            for (int v = 0; v < s->h; v++) {
                float *d = &s->d[(size_t)v * s->w + u];
                float x = (paper - *d) / range;
                *d = x < 0 ? 0 : x > 1 ? 1 : x;
            }
        }
        free(bp);
        free(bi);
    }
    strip_grid(s, margin);
    if (upside_down)
        dx_ocr_strip_turn(s);
    return DX_OK;
}

void dx_ocr_strip_turn(dx_ocr_strip *s)
{
    size_t np = (size_t)s->w * s->h;
    for (size_t i = 0; i < np / 2; i++) {
        float t = s->d[i];
        s->d[i] = s->d[np - 1 - i];
        s->d[np - 1 - i] = t;
    }
    /* strip pixel (u, v) is now the old (w-1-u, h-1-v) */
    s->ox = s->ox + (s->w - 1) * s->ux + (s->h - 1) * s->vx;
    s->oy = s->oy + (s->w - 1) * s->uy + (s->h - 1) * s->vy;
    s->ux = -s->ux;
    s->uy = -s->uy;
    s->vx = -s->vx;
    s->vy = -s->vy;
    double last = s->c0 + (s->n - 1) * s->pitch;
    strip_grid(s, s->w - 1 - last);
}

float dx_ocr_confidence(double s1, double s2)
{
    double a = (s1 - 0.4) / 0.45, b = (s1 - s2) / 0.12;
    a = a < 0 ? 0 : a > 1 ? 1 : a;
    b = b < 0 ? 0 : b > 1 ? 1 : b;
    return (float)(a * (0.25 + 0.75 * b));
}

double dx_ocr_template_height(int k)
{
    int top = -1, bottom = -1;
    for (int v = 0; v < DX_OCR_TH; v++)
        for (int u = 0; u < DX_OCR_TW; u++)
            if (dx_ocr_glyphs[k][v][u] > 0.45 * 255) {
                if (top < 0)
                    top = v;
                bottom = v;
            }
    return top < 0 ? 0 : bottom - top + 1;
}

/* Templates as zero-mean unit vectors. */
static void prepare_templates(float (*t)[NPIX])
{
    for (int c = 0; c < DX_OCR_NCLASS; c++) {
        double mean = 0, ss = 0;
        for (int i = 0; i < NPIX; i++)
            mean += dx_ocr_glyphs[c][i / DX_OCR_TW][i % DX_OCR_TW];
        mean /= NPIX;
        for (int i = 0; i < NPIX; i++) {
            double v = dx_ocr_glyphs[c][i / DX_OCR_TW][i % DX_OCR_TW] - mean;
            t[c][i] = (float)v;
            ss += v * v;
        }
        float inv = (float)(1.0 / sqrt(ss > 0 ? ss : 1));
        for (int i = 0; i < NPIX; i++)
            t[c][i] *= inv;
    }
}

/* Observation window centred at (x, y) (top-left pixel = round(x - TW/2)),
 * zero-mean unit; false when it holds no ink. */
static bool window(const dx_ocr_strip *s, int x0, int y0, float *o)
{
    double mean = 0, ss = 0;
    for (int v = 0; v < DX_OCR_TH; v++)
        for (int u = 0; u < DX_OCR_TW; u++) {
            int x = x0 + u, y = y0 + v;
            float d = (x < 0 || y < 0 || x >= s->w || y >= s->h) ? 0 : s->d[(size_t)y * s->w + x];
            o[v * DX_OCR_TW + u] = d;
            mean += d;
        }
    mean /= NPIX;
    for (int i = 0; i < NPIX; i++) {
        o[i] -= (float)mean;
        ss += (double)o[i] * o[i];
    }
    if (ss < 1e-3)
        return false;
    float inv = (float)(1.0 / sqrt(ss));
    for (int i = 0; i < NPIX; i++)
        o[i] *= inv;
    return true;
}

static float dot(const float *a, const float *b)
{
    float s = 0;
    for (int i = 0; i < NPIX; i++)
        s += a[i] * b[i];
    return s;
}

/* Ink bounding box within a column range. */
static bool ink_box(const dx_ocr_strip *s, int u0, int u1, int *bx0, int *bx1, int *by0, int *by1)
{
    if (u0 < 0)
        u0 = 0;
    if (u1 > s->w - 1)
        u1 = s->w - 1;
    int x0 = 1 << 30, x1 = -1, y0 = 1 << 30, y1 = -1;
    for (int v = 2; v < s->h - 2; v++)
        for (int u = u0; u <= u1; u++)
            if (s->d[(size_t)v * s->w + u] > 0.45f) {
                if (u < x0) x0 = u;
                if (u > x1) x1 = u;
                if (v < y0) y0 = v;
                if (v > y1) y1 = v;
            }
    if (x1 < 0)
        return false;
    *bx0 = x0;
    *bx1 = x1;
    *by0 = y0;
    *by1 = y1;
    return true;
}

double dx_ocr_recognise(const dx_ocr_strip *s, dx_ocr_cell *cells, int limit)
{
    float (*tpl)[NPIX] = malloc(sizeof(float) * NPIX * DX_OCR_NCLASS);
    float *obs = malloc(sizeof(float) * NPIX);
    int n = s->n;
    double *gx = calloc((size_t)n, sizeof *gx), *gy = calloc((size_t)n, sizeof *gy),
           *gh = calloc((size_t)n, sizeof *gh);
    bool *tall = calloc((size_t)n, sizeof *tall), *want = calloc((size_t)n, sizeof *want);
    double total = 0;
    int counted = 0;
    if (!tpl || !obs || !gx || !gy || !gh || !tall || !want)
        goto done;
    prepare_templates(tpl);
    if (limit > 0 && limit < n) {
        for (int j = 0; j < limit; j++)
            want[(int)lround((double)j * (n - 1) / (limit - 1))] = true;
    } else {
        for (int i = 0; i < n; i++)
            want[i] = true;
    }
    double p = s->pitch;
    /* pass 1: glyph boxes, following the grid along the line */
    double sy = 0, sxy = 0, sxx = 0, sx = 0;
    int nt = 0;
    double last_c = s->c0 - p;
    int last_i = -1;
    bool *meas = calloc((size_t)n, sizeof *meas);
    if (!meas)
        goto done;
    for (int i = 0; i < n; i++) {
        double cx = last_c + (i - last_i) * p;
        gx[i] = cx;
        gy[i] = s->h / 2.0;
        int x0, x1, y0, y1;
        if (!ink_box(s, (int)floor(cx - 0.5 * p + 1), (int)ceil(cx + 0.5 * p - 1), &x0, &x1, &y0, &y1))
            continue;
        double bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        gh[i] = bh;
        if (bw < 0.75 * p && x0 > cx - 0.5 * p + 1.5 && x1 < cx + 0.5 * p - 1.5) {
            double c = (x0 + x1 + 1) / 2.0;
            if (fabs(c - cx) < 0.3 * p) {
                gx[i] = c;
                meas[i] = true;
                last_c = c;
                last_i = i;
            }
        }
        if (bh >= 21 && bh <= 29 && bw < 0.8 * p) {
            double c = (y0 + y1 + 1) / 2.0;
            tall[i] = true;
            gy[i] = c;
            sx += i;
            sxx += (double)i * i;
            sy += c;
            sxy += i * c;
            nt++;
        }
    }
    /* the grid: a line through the measured centres (outliers dropped);
     * a cell without a clean measure takes the grid's place */
    {
        double ga = s->c0, gb = p;
        for (int it = 0; it < 3; it++) {
            double Sx = 0, Sy = 0, Sxx = 0, Sxy = 0;
            int m = 0;
            for (int i = 0; i < n; i++) {
                if (!meas[i] || (it > 0 && fabs(gx[i] - (ga + gb * i)) > 2.5))
                    continue;
                Sx += i;
                Sy += gx[i];
                Sxx += (double)i * i;
                Sxy += i * gx[i];
                m++;
            }
            double den = m * Sxx - Sx * Sx;
            if (m < 4 || fabs(den) < 1e-9)
                break;
            gb = (m * Sxy - Sx * Sy) / den;
            ga = (Sy - gb * Sx) / m;
        }
        for (int i = 0; i < n; i++)
            if (!meas[i] || fabs(gx[i] - (ga + gb * i)) > 2.5)
                gx[i] = ga + gb * i;
    }
    free(meas);
    /* the line's vertical centre, fitted across the tall glyphs */
    double va = s->h / 2.0, vb = 0;
    if (nt >= 3) {
        double den = nt * sxx - sx * sx;
        vb = fabs(den) > 1e-9 ? (nt * sxy - sx * sy) / den : 0;
        va = (sy - vb * sx) / nt;
    }
    for (int i = 0; i < n; i++) {
        double fit = va + vb * i;
        if (!tall[i] || fabs(gy[i] - fit) > 2.5)
            gy[i] = fit;
    }
    /* pass 2: correlation */
    for (int i = 0; i < n; i++) {
        if (!want[i])
            continue;
        dx_ocr_cell *c = &cells[i];
        for (int k = 0; k < DX_OCR_NCLASS; k++)
            c->score[k] = -1;
        int bx = (int)lround(gx[i] - DX_OCR_TW / 2.0), by = (int)lround(gy[i] - DX_OCR_TH / 2.0);
        c->cx = gx[i];
        c->cy = gy[i];
        c->h = gh[i];
        if (window(s, bx, by, obs))
            for (int k = 0; k < DX_OCR_NCLASS; k++)
                c->score[k] = dot(obs, tpl[k]);
        /* shifts of one pixel for the four best */
        int top[4] = {-1, -1, -1, -1};
        for (int k = 0; k < DX_OCR_NCLASS; k++)
            for (int t = 0; t < 4; t++)
                if (top[t] < 0 || c->score[k] > c->score[top[t]]) {
                    for (int q = 3; q > t; q--)
                        top[q] = top[q - 1];
                    top[t] = k;
                    break;
                }
        for (int dyy = -1; dyy <= 1; dyy++)
            for (int dxx = -1; dxx <= 1; dxx++) {
                if (!dxx && !dyy)
                    continue;
                if (!window(s, bx + dxx, by + dyy, obs))
                    continue;
                for (int t = 0; t < 4; t++) {
                    float v = dot(obs, tpl[top[t]]);
                    if (v > c->score[top[t]])
                        c->score[top[t]] = v;
                }
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
        total += c->score[best];
        counted++;
    }
done:
    free(tpl);
    free(obs);
    free(gx);
    free(gy);
    free(gh);
    free(tall);
    free(want);
    return counted ? total / counted : 0;
}
