/* Measurements over a region of a registered image (see measure.h). */
#include "image/measure.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/simd.h"

typedef struct box {
    int x0, y0, x1, y1; /* pixels [x0, x1) x [y0, y1) */
} box;

/* The pixels whose centres lie in r (mm), clipped to the image. */
static box box_of(const dx_reg_image *im, dx_reg_rect r)
{
    double ppm = im->dpi / 25.4;
    box b;
    b.x0 = (int)ceil((r.x - im->x_mm) * ppm - 0.5);
    b.y0 = (int)ceil((r.y - im->y_mm) * ppm - 0.5);
    b.x1 = (int)ceil((r.x + r.w - im->x_mm) * ppm - 0.5);
    b.y1 = (int)ceil((r.y + r.h - im->y_mm) * ppm - 0.5);
    if (b.x0 < 0) b.x0 = 0;
    if (b.y0 < 0) b.y0 = 0;
    if (b.x1 > im->w) b.x1 = im->w;
    if (b.y1 > im->h) b.y1 = im->h;
    return b;
}

static bool box_empty(box b)
{
    return b.x1 <= b.x0 || b.y1 <= b.y0;
}

static dx_status check(const dx_reg_image *im, dx_reg_rect r, box *b, dx_error *err)
{
    if (!im || !im->px || im->w <= 0 || im->h <= 0 || (im->ch != 1 && im->ch != 3) ||
        !(im->dpi > 0))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "measure: no image");
    if (!(r.w > 0 && r.h > 0) || !isfinite(r.x) || !isfinite(r.y))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "measure: empty region");
    *b = box_of(im, r);
    if (box_empty(*b))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "measure: region %g,%g %gx%g mm lies outside the image", r.x, r.y,
                            r.w, r.h);
    return DX_OK;
}

static inline float lum_at(const dx_reg_image *im, int x, int y)
{
    const float *p = im->px + ((size_t)y * im->w + x) * im->ch;
    return im->ch == 1 ? p[0] : 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
}

/* Luminance of box b as a packed w x h plane (caller frees). */
static float *lum_plane(const dx_reg_image *im, box b)
{
    return dx_measure_lum_plane(im, b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
}

/* d[x] = 0.299 R + 0.587 G + 0.114 B of w packed RGB pixels: eight at a
 * time, the channels gathered from the 24 samples with shuffles */
DX_SIMD static void lum_row(const float *restrict p, float *restrict d, int w)
{
    const dx_v8f kr = {0.299f, 0.299f, 0.299f, 0.299f, 0.299f, 0.299f, 0.299f, 0.299f};
    const dx_v8f kg = {0.587f, 0.587f, 0.587f, 0.587f, 0.587f, 0.587f, 0.587f, 0.587f};
    const dx_v8f kb = {0.114f, 0.114f, 0.114f, 0.114f, 0.114f, 0.114f, 0.114f, 0.114f};
    int x = 0;
#if defined(__GNUC__) && !defined(__clang__) /* __builtin_shuffle; clang: the scalar loop */
    typedef int dx_v8i __attribute__((vector_size(32)));
    for (; x + 8 <= w; x += 8) {
        dx_v8f a = V8_LOAD(p + 3 * x), b = V8_LOAD(p + 3 * x + 8), c = V8_LOAD(p + 3 * x + 16);
        /* sample 3i + k of the 24: of a (0..7), b (8..15) or c (16..23) */
        dx_v8f r1 = __builtin_shuffle(a, b, (dx_v8i){0, 3, 6, 9, 12, 15, 0, 0});
        dx_v8f g1 = __builtin_shuffle(a, b, (dx_v8i){1, 4, 7, 10, 13, 0, 0, 0});
        dx_v8f b1 = __builtin_shuffle(a, b, (dx_v8i){2, 5, 8, 11, 14, 0, 0, 0});
        dx_v8f r = __builtin_shuffle(r1, c, (dx_v8i){0, 1, 2, 3, 4, 5, 10, 13});
        dx_v8f g = __builtin_shuffle(g1, c, (dx_v8i){0, 1, 2, 3, 4, 8, 11, 14});
        dx_v8f bl = __builtin_shuffle(b1, c, (dx_v8i){0, 1, 2, 3, 4, 9, 12, 15});
        V8_STORE(d + x, kr * r + kg * g + kb * bl);
    }
#else
    (void)kr, (void)kg, (void)kb;
#endif
    for (; x < w; x++)
        d[x] = 0.299f * p[3 * x] + 0.587f * p[3 * x + 1] + 0.114f * p[3 * x + 2];
}

float *dx_measure_lum_plane(const dx_reg_image *im, int x0, int y0, int w, int h)
{
    float *o = malloc((size_t)w * h * sizeof *o);
    if (!o)
        return NULL;
    for (int y = 0; y < h; y++) {
        const float *p = im->px + ((size_t)(y0 + y) * im->w + x0) * im->ch;
        float *d = o + (size_t)y * w;
        if (im->ch == 1)
            memcpy(d, p, (size_t)w * sizeof *d);
        else
            lum_row(p, d, w);
    }
    return o;
}

/* ---- histogram percentiles ------------------------------------------------ */

#define NBIN 1024 /* 1/4-level bins over 0..256 */

static inline int bin_of(float v)
{
    int i = (int)(v * 4);
    return i < 0 ? 0 : i >= NBIN ? NBIN - 1 : i;
}

static double percentile(const uint32_t *hist, size_t n, double q)
{
    size_t want = (size_t)ceil(q * n), acc = 0;
    if (want < 1)
        want = 1;
    for (int i = 0; i < NBIN; i++) {
        acc += hist[i];
        if (acc >= want)
            return (i + 0.5) / 4;
    }
    return 255;
}

static void hue_sat(double r, double g, double b, double *hue, double *sat)
{
    double mx = fmax(r, fmax(g, b)), mn = fmin(r, fmin(g, b)), c = mx - mn;
    *sat = mx > 0 ? c / mx : 0;
    if (c < 2) {
        *hue = -1;
        return;
    }
    double h;
    if (mx == r)
        h = fmod((g - b) / c, 6);
    else if (mx == g)
        h = (b - r) / c + 2;
    else
        h = (r - g) / c + 4;
    h *= 60;
    if (h < 0)
        h += 360;
    *hue = h;
}

dx_status dx_measure_stats_of(const dx_reg_image *im, dx_reg_rect r, dx_measure_stats *out,
                              dx_error *err)
{
    memset(out, 0, sizeof *out);
    box b;
    dx_status st = check(im, r, &b, err);
    if (st != DX_OK)
        return st;
    uint32_t *hist = calloc(4 * NBIN, sizeof *hist);
    if (!hist)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "measure: out of memory");
    double s[4] = {0}, s2[4] = {0};
    size_t n = 0;
    int nch = im->ch;
    for (int y = b.y0; y < b.y1; y++)
        for (int x = b.x0; x < b.x1; x++) {
            const float *p = im->px + ((size_t)y * im->w + x) * nch;
            float v[4];
            for (int c = 0; c < nch; c++)
                v[c] = p[c];
            v[DX_MEASURE_L] = lum_at(im, x, y);
            for (int c = 0; c < 4; c++) {
                if (c >= nch && c != DX_MEASURE_L)
                    continue;
                s[c] += v[c];
                s2[c] += (double)v[c] * v[c];
                hist[c * NBIN + bin_of(v[c])]++;
            }
            n++;
        }
    out->ch = nch;
    out->n = n;
    for (int c = 0; c < 4; c++) {
        if (c >= nch && c != DX_MEASURE_L)
            continue;
        out->mean[c] = s[c] / n;
        double var = s2[c] / n - out->mean[c] * out->mean[c];
        out->sd[c] = var > 0 ? sqrt(var) : 0;
        out->p5[c] = percentile(hist + c * NBIN, n, 0.05);
        out->p50[c] = percentile(hist + c * NBIN, n, 0.50);
        out->p95[c] = percentile(hist + c * NBIN, n, 0.95);
    }
    free(hist);
    if (nch == 3)
        hue_sat(out->mean[0], out->mean[1], out->mean[2], &out->hue_deg, &out->saturation);
    else
        out->hue_deg = -1;
    double p95 = out->p95[DX_MEASURE_L];
    out->contrast = p95 > 0 ? (p95 - out->p5[DX_MEASURE_L]) / p95 : 0;
    return DX_OK;
}

dx_status dx_measure_against_surround(const dx_reg_image *im, dx_reg_rect r, double ring_mm,
                                      dx_measure_surround *out, dx_error *err)
{
    memset(out, 0, sizeof *out);
    box b;
    dx_status st = check(im, r, &b, err);
    if (st != DX_OK)
        return st;
    if (!(ring_mm > 0))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "measure: ring width %g mm", ring_mm);
    box o = box_of(im, (dx_reg_rect){r.x - ring_mm, r.y - ring_mm, r.w + 2 * ring_mm,
                                     r.h + 2 * ring_mm});
    double si = 0, so = 0;
    size_t ni = 0, no = 0;
    for (int y = o.y0; y < o.y1; y++)
        for (int x = o.x0; x < o.x1; x++) {
            double v = lum_at(im, x, y);
            if (x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1)
                si += v, ni++;
            else
                so += v, no++;
        }
    if (!no)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "measure: the ring lies outside the image");
    out->mean_region = si / ni;
    out->mean_ring = so / no;
    out->difference = out->mean_region - out->mean_ring;
    out->absorption = out->mean_ring > 0 ? 1 - out->mean_region / out->mean_ring : 0;
    double mx = fmax(out->mean_region, out->mean_ring);
    out->contrast = mx > 0 ? fabs(out->difference) / mx : 0;
    return DX_OK;
}

dx_status dx_measure_fluorescence_of(const dx_reg_image *uv, dx_reg_rect region,
                                     dx_reg_rect substrate, dx_measure_fluorescence *out,
                                     dx_error *err)
{
    memset(out, 0, sizeof *out);
    dx_measure_stats rs, ss;
    dx_status st;
    if ((st = dx_measure_stats_of(uv, region, &rs, err)) != DX_OK ||
        (st = dx_measure_stats_of(uv, substrate, &ss, err)) != DX_OK)
        return st;
    out->region_mean = rs.mean[DX_MEASURE_L];
    out->substrate_mean = ss.mean[DX_MEASURE_L];
    out->contrast = out->region_mean - out->substrate_mean;
    out->peak_contrast = rs.p95[DX_MEASURE_L] - ss.p50[DX_MEASURE_L];
    box b = box_of(uv, region);
    double lim = ss.p50[DX_MEASURE_L] + 20, acc[3] = {0};
    size_t ng = 0;
    for (int y = b.y0; y < b.y1; y++)
        for (int x = b.x0; x < b.x1; x++)
            if (lum_at(uv, x, y) > lim) {
                ng++;
                if (uv->ch == 3) {
                    const float *p = uv->px + ((size_t)y * uv->w + x) * 3;
                    for (int c = 0; c < 3; c++)
                        acc[c] += p[c] - ss.mean[c];
                }
            }
    out->glow_fraction = (double)ng / rs.n;
    out->hue_deg = -1;
    if (ng && uv->ch == 3) {
        double sat;
        hue_sat(fmax(acc[0] / ng, 0), fmax(acc[1] / ng, 0), fmax(acc[2] / ng, 0), &out->hue_deg,
                &sat);
    }
    return DX_OK;
}

dx_status dx_measure_ir_absorption(const dx_reg_image *ir, const dx_reg_image *white,
                                   dx_reg_rect region, dx_measure_absorption *out, dx_error *err)
{
    memset(out, 0, sizeof *out);
    box b;
    dx_status st = check(ir, region, &b, err);
    if (st != DX_OK)
        return st;
    dx_measure_stats ws;
    if (white) {
        if (white->dpi != ir->dpi || white->x_mm != ir->x_mm || white->y_mm != ir->y_mm ||
            white->w != ir->w || white->h != ir->h)
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "measure: the white and IR images are not on the same grid");
        if ((st = dx_measure_stats_of(white, region, &ws, err)) != DX_OK)
            return st;
    }
    size_t n = 0, nink = 0, npap = 0;
    double sink = 0, spap = 0;
    double paper = white ? ws.p95[DX_MEASURE_L] : 0;
    for (int y = b.y0; y < b.y1; y++)
        for (int x = b.x0; x < b.x1; x++) {
            n++;
            if (!white)
                continue;
            double w = lum_at(white, x, y), v = lum_at(ir, x, y);
            if (w < 0.4 * paper)
                sink += v, nink++;
            else if (w > 0.85 * paper)
                spap += v, npap++;
        }
    double ir_paper;
    if (white && npap) {
        ir_paper = spap / npap;
    } else { /* without white light: the IR image's own paper level */
        dx_measure_stats is;
        if ((st = dx_measure_stats_of(ir, region, &is, err)) != DX_OK)
            return st;
        ir_paper = is.p95[DX_MEASURE_L];
    }
    out->ir_paper_mean = ir_paper;
    if (nink) {
        out->ir_ink_mean = sink / nink;
        out->absorption = ir_paper > 0 ? 1 - out->ir_ink_mean / ir_paper : 0;
    }
    out->ink_fraction = (double)nink / n;
    size_t ndark = 0;
    for (int y = b.y0; y < b.y1; y++)
        for (int x = b.x0; x < b.x1; x++)
            if (lum_at(ir, x, y) < 0.5 * ir_paper)
                ndark++;
    out->dark_fraction = (double)ndark / n;
    return DX_OK;
}

/* ---- similarity -------------------------------------------------------------- */

/* Resize a w x h plane to dw x dh: bilinear, averaged over k x k sub-samples
 * when shrinking by k or more. */
static float *resize_plane(const float *s, int w, int h, int dw, int dh)
{
    return dx_measure_resize_plane(s, w, h, dw, dh);
}

float *dx_measure_resize_plane(const float *s, int w, int h, int dw, int dh)
{
    double rx = (double)w / dw, ry = (double)h / dh;
    int k = (int)ceil(fmax(rx, ry));
    if (k < 1)
        k = 1;
    if (k > 8)
        k = 8;
    /* the sample positions of every output column and row (k per pixel):
     * left/top source pixel and weight, computed once */
    size_t nx = (size_t)dw * k, ny = (size_t)dh * k;
    float *o = malloc((size_t)dw * dh * sizeof *o);
    int *xi = malloc(nx * sizeof *xi), *yi = malloc(ny * sizeof *yi);
    float *xf = malloc(nx * sizeof *xf), *yf = malloc(ny * sizeof *yf), *acc = malloc((size_t)dw * sizeof *acc);
    if (!o || !xi || !yi || !xf || !yf || !acc) {
        free(o), free(xi), free(yi), free(xf), free(yf), free(acc);
        return NULL;
    }
    for (int n = 0; n < 2; n++) {
        int *ii = n ? yi : xi, len = n ? h : w, m = n ? dh : dw;
        float *ff = n ? yf : xf;
        double r = n ? ry : rx;
        for (int i = 0; i < m; i++)
            for (int a = 0; a < k; a++) {
                double v = (i + (a + 0.5) / k) * r - 0.5;
                if (v < 0) v = 0;
                if (v > len - 1) v = len - 1;
                int iv = (int)v;
                if (iv > len - 2) /* the last pixel: its right neighbour is itself */
                    iv = len >= 2 ? len - 2 : 0, v = len >= 2 ? v : 0;
                ii[(size_t)i * k + a] = iv;
                ff[(size_t)i * k + a] = (float)(v - iv);
            }
    }
    float inv = 1.0f / (float)(k * k);
    for (int j = 0; j < dh; j++) {
        for (int i = 0; i < dw; i++)
            acc[i] = 0;
        for (int b = 0; b < k; b++) {
            size_t yy = (size_t)j * k + b;
            const float *r0 = s + (size_t)yi[yy] * w, *r1 = h >= 2 ? r0 + w : r0;
            float fy = yf[yy];
            for (int i = 0; i < dw; i++)
                for (int a = 0; a < k; a++) {
                    size_t xx = (size_t)i * k + a;
                    int ix = xi[xx];
                    int ix1 = w >= 2 ? ix + 1 : ix;
                    float fx = xf[xx];
                    float p = r0[ix] + (r0[ix1] - r0[ix]) * fx, q = r1[ix] + (r1[ix1] - r1[ix]) * fx;
                    acc[i] += p + (q - p) * fy;
                }
        }
        for (int i = 0; i < dw; i++)
            o[(size_t)j * dw + i] = acc[i] * inv;
    }
    free(xi), free(yi), free(xf), free(yf), free(acc);
    return o;
}

static inline void axpy(float *restrict y, const float *restrict x, float a, int n)
{
    int i = 0;
    dx_v8f av = {a, a, a, a, a, a, a, a};
    for (; i + 8 <= n; i += 8)
        V8_STORE(y + i, V8_LOAD(y + i) + av * V8_LOAD(x + i));
    for (; i < n; i++)
        y[i] += a * x[i];
}

/* sum a[i] * b[i], eight lanes at a time. */
static inline float dot(const float *restrict a, const float *restrict b, int n)
{
    int i = 0;
    dx_v8f s = {0, 0, 0, 0, 0, 0, 0, 0};
    for (; i + 8 <= n; i += 8)
        s += V8_LOAD(a + i) * V8_LOAD(b + i);
    float r = (s[0] + s[4]) + (s[1] + s[5]) + (s[2] + s[6]) + (s[3] + s[7]);
    for (; i < n; i++)
        r += a[i] * b[i];
    return r;
}

/* A search plane: luminance S (sw x sh) with its summed-area tables, and a
 * zero-mean template Tz (tw x th, tss = sum Tz^2). */
typedef struct ncc_plane {
    const float *S;
    int sw, shh;
    const double *sat, *sat2; /* NULL when S is the template's size: */
    double s1, s2;            /* then the sums of S and S^2 */
    const float *Tz;
    int tw, th;
    double tss;
} ncc_plane;

static double ncc_at_var(const ncc_plane *p, int ox, int oy, double num)
{
    size_t W1 = (size_t)p->sw + 1, tn = (size_t)p->tw * p->th;
    double s = p->s1, s2 = p->s2;
    if (p->sat) {
        s = p->sat[(size_t)(oy + p->th) * W1 + ox + p->tw] - p->sat[(size_t)oy * W1 + ox + p->tw] -
            p->sat[(size_t)(oy + p->th) * W1 + ox] + p->sat[(size_t)oy * W1 + ox];
        s2 = p->sat2[(size_t)(oy + p->th) * W1 + ox + p->tw] - p->sat2[(size_t)oy * W1 + ox + p->tw] -
             p->sat2[(size_t)(oy + p->th) * W1 + ox] + p->sat2[(size_t)oy * W1 + ox];
    }
    double var = s2 - s * s / tn;
    return var > 1e-6 && p->tss > 1e-6 ? num / sqrt(var * p->tss) : 0;
}

/* NCC at one offset: the template against S at (ox, oy). */
DX_SIMD static double ncc_one(const ncc_plane *p, int ox, int oy)
{
    double num = 0;
    for (int y = 0; y < p->th; y++)
        num += dot(p->S + (size_t)(oy + y) * p->sw + ox, p->Tz + (size_t)y * p->tw, p->tw);
    return ncc_at_var(p, ox, oy, num);
}

/* SSIM's passes over the five moments, eight lanes at a time (written
 * out: gcc -O2 leaves loops with an unknown count scalar). */

/* One row of the horizontal pass: h[0..4][i] = sum over the 11 taps t of
 * k[t] * (a, b, a^2, b^2, ab)[i + t], i < w (a, b padded by 5 each side);
 * the sums kept in registers across the taps. */
DX_SIMD static void ssim_hrow(const float *restrict a, const float *restrict b, const float *k,
                              float *restrict h0, float *restrict h1, float *restrict h2,
                              float *restrict h3, float *restrict h4, int w)
{
    int i = 0;
    for (; i + 8 <= w; i += 8) {
        dx_v8f s0 = {0, 0, 0, 0, 0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0, s4 = s0;
        for (int t = 0; t < 11; t++) {
            dx_v8f kt = {k[t], k[t], k[t], k[t], k[t], k[t], k[t], k[t]};
            dx_v8f av = V8_LOAD(a + i + t), bv = V8_LOAD(b + i + t), ka = kt * av, kb = kt * bv;
            s0 += ka, s1 += kb, s2 += ka * av, s3 += kb * bv, s4 += ka * bv;
        }
        V8_STORE(h0 + i, s0), V8_STORE(h1 + i, s1), V8_STORE(h2 + i, s2), V8_STORE(h3 + i, s3);
        V8_STORE(h4 + i, s4);
    }
    for (; i < w; i++) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
        for (int t = 0; t < 11; t++) {
            float av = a[i + t], bv = b[i + t], ka = k[t] * av, kb = k[t] * bv;
            s0 += ka, s1 += kb, s2 += ka * av, s3 += kb * bv, s4 += ka * bv;
        }
        h0[i] = s0, h1[i] = s1, h2[i] = s2, h3[i] = s3, h4[i] = s4;
    }
}

/* One output row: the vertical pass over the 11 rows g[t] of the five
 * planes (n apart), then the SSIM map of the row into out; its sum. */
DX_SIMD static double ssim_vrow(const float *const g[11], size_t n, const float *k, int w, float *restrict out)
{
    const float C1 = (0.01f * 255) * (0.01f * 255), C2 = (0.03f * 255) * (0.03f * 255);
    dx_v8f c1 = {C1, C1, C1, C1, C1, C1, C1, C1}, c2 = {C2, C2, C2, C2, C2, C2, C2, C2};
    dx_v8f two = {2, 2, 2, 2, 2, 2, 2, 2};
    int i = 0;
    for (; i + 8 <= w; i += 8) {
        dx_v8f m[5];
        for (int p = 0; p < 5; p++)
            m[p] = (dx_v8f){0, 0, 0, 0, 0, 0, 0, 0};
        for (int t = 0; t < 11; t++) {
            dx_v8f kt = {k[t], k[t], k[t], k[t], k[t], k[t], k[t], k[t]};
            for (int p = 0; p < 5; p++)
                m[p] += kt * V8_LOAD(g[t] + (size_t)p * n + i);
        }
        dx_v8f mux = m[0], muy = m[1], vx = m[2] - mux * mux, vy = m[3] - muy * muy, cxy = m[4] - mux * muy;
        V8_STORE(out + i, ((two * mux * muy + c1) * (two * cxy + c2)) / ((mux * mux + muy * muy + c1) * (vx + vy + c2)));
    }
    for (; i < w; i++) {
        float m[5] = {0, 0, 0, 0, 0};
        for (int t = 0; t < 11; t++)
            for (int p = 0; p < 5; p++)
                m[p] += k[t] * g[t][(size_t)p * n + i];
        float mux = m[0], muy = m[1], vx = m[2] - mux * mux, vy = m[3] - muy * muy, cxy = m[4] - mux * muy;
        out[i] = ((2 * mux * muy + C1) * (2 * cxy + C2)) / ((mux * mux + muy * muy + C1) * (vx + vy + C2));
    }
    /* the row's sum: eight float lanes (a row is at most a few thousand
     * values of at most 1) */
    dx_v8f sv = {0, 0, 0, 0, 0, 0, 0, 0};
    float r = 0;
    for (i = 0; i + 8 <= w; i += 8)
        sv += V8_LOAD(out + i);
    for (; i < w; i++)
        r += out[i];
    return (double)((sv[0] + sv[4]) + (sv[1] + sv[5]) + (sv[2] + sv[6]) + (sv[3] + sv[7])) + r;
}

/* Mean SSIM of two w x h planes (Wang et al. 2004: an 11-tap Gaussian
 * window of sigma 1.5, C1 = (0.01 L)^2, C2 = (0.03 L)^2, L = 255; the
 * window clamped at the borders).  The five local moments (mean of x and y,
 * of x^2, y^2 and xy) are blurred together: the horizontal pass reads each
 * row of x and y once for all five, the vertical pass sums 11 rows of the
 * five into one output row and the SSIM of that row is taken at once, in
 * float, four lanes at a time. */
static double ssim(const float *x, const float *y, int w, int h, bool *ok)
{
    size_t n = (size_t)w * h;
    float k[11];
    double ksum = 0, kk[11];
    for (int i = -5; i <= 5; i++)
        ksum += kk[i + 5] = exp(-(i * i) / (2 * 1.5 * 1.5));
    for (int i = 0; i < 11; i++)
        k[i] = (float)(kk[i] / ksum);
    /* H: the horizontally blurred moments, 5 planes; pa, pb: a row of x
     * and y with 5 clamped pixels each side */
    float *buf = malloc((5 * n + 2 * ((size_t)w + 10)) * sizeof *buf);
    if (!buf) {
        *ok = false;
        return 0;
    }
    float *H = buf, *pa = buf + 5 * n, *pb = pa + w + 10;
    for (int r = 0; r < h; r++) {
        const float *xr = x + (size_t)r * w, *yr = y + (size_t)r * w;
        memcpy(pa + 5, xr, (size_t)w * sizeof *pa);
        memcpy(pb + 5, yr, (size_t)w * sizeof *pb);
        for (int i = 0; i < 5; i++) {
            pa[i] = xr[0], pb[i] = yr[0];
            pa[w + 5 + i] = xr[w - 1], pb[w + 5 + i] = yr[w - 1];
        }
        float *h0 = H + (size_t)r * w;
        ssim_hrow(pa, pb, k, h0, h0 + n, h0 + 2 * n, h0 + 3 * n, h0 + 4 * n, w);
    }
    double acc = 0;
    float *map = pa; /* w + 10 floats, free again */
    for (int r = 0; r < h; r++) {
        const float *g[11];
        for (int t = 0; t < 11; t++) {
            int rr = r + t - 5 < 0 ? 0 : r + t - 5 >= h ? h - 1 : r + t - 5;
            g[t] = H + (size_t)rr * w;
        }
        acc += ssim_vrow(g, n, k, w, map);
    }
    free(buf);
    *ok = true;
    return acc / n;
}

typedef struct ncc_cand {
    double v;
    int ox, oy;
} ncc_cand;

/* Keep the `nc` best offsets, at least 2 px apart (a periodic pattern has
 * several peaks: the coarse level must not settle on the wrong one). */
static void cand_add(ncc_cand *c, int nc, double v, int ox, int oy)
{
    int i;
    for (i = 0; i < nc; i++)
        if (abs(c[i].ox - ox) < 2 && abs(c[i].oy - oy) < 2) {
            if (v > c[i].v)
                c[i] = (ncc_cand){v, ox, oy};
            else
                return;
            break;
        }
    if (i == nc) {
        if (v <= c[nc - 1].v)
            return;
        c[nc - 1] = (ncc_cand){v, ox, oy};
        i = nc - 1;
    }
    for (; i > 0 && c[i].v > c[i - 1].v; i--) {
        ncc_cand t = c[i];
        c[i] = c[i - 1];
        c[i - 1] = t;
    }
}

/* Every offset of the template in S: for each template pixel t,
 * num[ox] += t * S[row][x + ox] along the search row (no dependency between
 * the offsets: vectorised), summed per template row in float, per offset in
 * double.  The nc best into c (c[k].v = -2 when unused). */
DX_SIMD static bool ncc_search_all(const ncc_plane *p, ncc_cand *c, int nc)
{
    int nx = p->sw - p->tw + 1;
    for (int k = 0; k < nc; k++)
        c[k] = (ncc_cand){-2, 0, 0};
    if (nx <= 0)
        return true;
    float *rowacc = malloc((size_t)nx * sizeof *rowacc);
    double *num = malloc((size_t)nx * sizeof *num);
    if (!rowacc || !num) {
        free(rowacc);
        free(num);
        return false;
    }
    for (int oy = 0; oy + p->th <= p->shh; oy++) {
        if (nx < 16) {
            /* few offsets a row: a dot product along each template row per
             * offset (the axpy along the offsets would be a few lanes wide) */
            for (int ox = 0; ox < nx; ox++) {
                double v = 0;
                for (int y = 0; y < p->th; y++)
                    v += dot(p->S + (size_t)(oy + y) * p->sw + ox, p->Tz + (size_t)y * p->tw, p->tw);
                cand_add(c, nc, ncc_at_var(p, ox, oy, v), ox, oy);
            }
            continue;
        }
        for (int ox = 0; ox < nx; ox++)
            num[ox] = 0;
        for (int y = 0; y < p->th; y++) {
            const float *sr = p->S + (size_t)(oy + y) * p->sw, *tr = p->Tz + (size_t)y * p->tw;
            for (int ox = 0; ox < nx; ox++)
                rowacc[ox] = 0;
            for (int x = 0; x < p->tw; x++)
                axpy(rowacc, sr + x, tr[x], nx);
            for (int ox = 0; ox < nx; ox++)
                num[ox] += rowacc[ox];
        }
        for (int ox = 0; ox < nx; ox++)
            cand_add(c, nc, ncc_at_var(p, ox, oy, num[ox]), ox, oy);
    }
    free(rowacc);
    free(num);
    return true;
}

/* Summed-area tables of S and S^2, (w + 1) x (h + 1). */
static bool make_sat(const float *S, int w, int h, double **sat, double **sat2)
{
    size_t sn = (size_t)(w + 1) * (h + 1);
    *sat = malloc(sn * sizeof **sat);
    *sat2 = malloc(sn * sizeof **sat2);
    if (!*sat || !*sat2)
        return false;
    /* row 0 and column 0 are zero; the rest is written below */
    for (int x = 0; x <= w; x++)
        (*sat)[x] = (*sat2)[x] = 0;
    for (int y = 0; y < h; y++) {
        double rs = 0, rs2 = 0;
        (*sat)[(size_t)(y + 1) * (w + 1)] = (*sat2)[(size_t)(y + 1) * (w + 1)] = 0;
        for (int x = 0; x < w; x++) {
            double v = S[(size_t)y * w + x];
            rs += v, rs2 += v * v;
            (*sat)[(size_t)(y + 1) * (w + 1) + x + 1] = (*sat)[(size_t)y * (w + 1) + x + 1] + rs;
            (*sat2)[(size_t)(y + 1) * (w + 1) + x + 1] = (*sat2)[(size_t)y * (w + 1) + x + 1] + rs2;
        }
    }
    return true;
}

/* 2 x 2 box mean (w/2 x h/2). */
static float *half_plane(const float *s, int w, int h)
{
    int w2 = w / 2, h2 = h / 2;
    float *o = malloc((size_t)w2 * h2 * sizeof *o);
    if (!o)
        return NULL;
    for (int y = 0; y < h2; y++)
        for (int x = 0; x < w2; x++) {
            const float *p = s + (size_t)2 * y * w + 2 * x;
            o[(size_t)y * w2 + x] = 0.25f * (p[0] + p[1] + p[w] + p[w + 1]);
        }
    return o;
}

/* The sums of s and s^2 over n samples: eight float lanes, added into
 * doubles every 512 samples. */
DX_SIMD static void sums(const float *restrict v, size_t n, double *s1, double *s2)
{
    double a = 0, b = 0;
    for (size_t blk = 0; blk < n; blk += 512) {
        size_t e = blk + 512 < n ? blk + 512 : n, i = blk;
        dx_v8f x = {0, 0, 0, 0, 0, 0, 0, 0}, x2 = x;
        float r = 0, r2 = 0;
        for (; i + 8 <= e; i += 8) {
            dx_v8f t = V8_LOAD(v + i);
            x += t, x2 += t * t;
        }
        for (; i < e; i++)
            r += v[i], r2 += v[i] * v[i];
        a += (double)((x[0] + x[4]) + (x[1] + x[5]) + (x[2] + x[6]) + (x[3] + x[7])) + r;
        b += (double)((x2[0] + x2[4]) + (x2[1] + x2[5]) + (x2[2] + x2[6]) + (x2[3] + x2[7])) + r2;
    }
    *s1 = a, *s2 = b;
}

/* The template made zero-mean: tz = t - mean(t), n samples; the sum of
 * tz^2 into *ss.  Eight float lanes, added into doubles every 4096 samples
 * (a float sum of 4096 samples of at most 255 is exact to a few units in
 * the seventh digit).  tz may be t. */
DX_SIMD static void center(const float *t, size_t n, float *tz, double *ss)
{
    double sum = 0, acc = 0;
    for (size_t b = 0; b < n; b += 4096) {
        size_t e = b + 4096 < n ? b + 4096 : n, i = b;
        dx_v8f v = {0, 0, 0, 0, 0, 0, 0, 0};
        float r = 0;
        for (; i + 8 <= e; i += 8)
            v += V8_LOAD(t + i);
        for (; i < e; i++)
            r += t[i];
        sum += (double)((v[0] + v[4]) + (v[1] + v[5]) + (v[2] + v[6]) + (v[3] + v[7])) + r;
    }
    float m = (float)(sum / (double)n);
    dx_v8f mv = {m, m, m, m, m, m, m, m};
    for (size_t b = 0; b < n; b += 4096) {
        size_t e = b + 4096 < n ? b + 4096 : n, i = b;
        dx_v8f v = {0, 0, 0, 0, 0, 0, 0, 0};
        float r = 0;
        for (; i + 8 <= e; i += 8) {
            dx_v8f d = V8_LOAD(t + i) - mv;
            V8_STORE(tz + i, d);
            v += d * d;
        }
        for (; i < e; i++) {
            float d = t[i] - m;
            tz[i] = d;
            r += d * d;
        }
        acc += (double)((v[0] + v[4]) + (v[1] + v[5]) + (v[2] + v[6]) + (v[3] + v[7])) + r;
    }
    *ss = acc;
}

/* Coarse to fine: the best offsets of the half-resolution search, each
 * refined at full resolution within +-2 px, and the unshifted position.
 * For searches of +-4 px or more on templates of 32 px or more: about a
 * quarter of the exhaustive cost and more for larger shifts. */
static bool ncc_search_pyramid(const ncc_plane *p, int x_no, int y_no, ncc_cand *best)
{
    enum { NC = 4 };
    int tw2 = p->tw / 2, th2 = p->th / 2, sw2 = p->sw / 2, sh2 = p->shh / 2;
    float *S2 = half_plane(p->S, p->sw, p->shh), *T2 = half_plane(p->Tz, p->tw, p->th);
    double *sat = NULL, *sat2 = NULL;
    ncc_cand c[NC];
    bool ok = false;
    if (!S2 || !T2 || !make_sat(S2, sw2, sh2, &sat, &sat2))
        goto done;
    {
        double tss = 0;
        center(T2, (size_t)tw2 * th2, T2, &tss);
        ncc_plane q = {S2, sw2, sh2, sat, sat2, 0, 0, T2, tw2, th2, tss};
        if (!ncc_search_all(&q, c, NC))
            goto done;
    }
    *best = (ncc_cand){ncc_one(p, x_no, y_no), x_no, y_no};
    for (int k = 0; k < NC && c[k].v > -2; k++)
        for (int oy = 2 * c[k].oy - 2; oy <= 2 * c[k].oy + 3; oy++)
            for (int ox = 2 * c[k].ox - 2; ox <= 2 * c[k].ox + 3; ox++) {
                if (ox < 0 || oy < 0 || ox + p->tw > p->sw || oy + p->th > p->shh)
                    continue;
                double v = ncc_one(p, ox, oy);
                if (v > best->v)
                    *best = (ncc_cand){v, ox, oy};
            }
    ok = true;
done:
    free(S2);
    free(T2);
    free(sat);
    free(sat2);
    return ok;
}

dx_status dx_measure_similarity_of(const dx_reg_image *a, dx_reg_rect ra, const dx_reg_image *b,
                                   dx_reg_rect rb, double max_shift_mm,
                                   dx_measure_similarity *out, dx_error *err)
{
    memset(out, 0, sizeof *out);
    box ba, bb;
    dx_status st;
    if ((st = check(a, ra, &ba, err)) != DX_OK || (st = check(b, rb, &bb, err)) != DX_OK)
        return st;
    if (!(max_shift_mm >= 0 && max_shift_mm <= 20))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "measure: shift %g mm outside 0..20",
                            max_shift_mm);
    int tw = ba.x1 - ba.x0, th = ba.y1 - ba.y0;
    int bw = bb.x1 - bb.x0, bh = bb.y1 - bb.y0;
    if (tw < 4 || th < 4 || bw < 4 || bh < 4)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "measure: region under 4 x 4 pixels");
    double ppm = a->dpi / 25.4;
    int sh = (int)lround(max_shift_mm * ppm);
    /* search window: ra grown by the shift, clipped to a */
    box bs = {ba.x0 - sh, ba.y0 - sh, ba.x1 + sh, ba.y1 + sh};
    if (bs.x0 < 0) bs.x0 = 0;
    if (bs.y0 < 0) bs.y0 = 0;
    if (bs.x1 > a->w) bs.x1 = a->w;
    if (bs.y1 > a->h) bs.y1 = a->h;
    int sw = bs.x1 - bs.x0, shh = bs.y1 - bs.y0;
    float *S = lum_plane(a, bs), *Braw = lum_plane(b, bb), *T = NULL, *A = NULL;
    double *sat = NULL, *sat2 = NULL;
    if (!S || !Braw)
        goto nomem;
    T = (bw == tw && bh == th) ? Braw : resize_plane(Braw, bw, bh, tw, th);
    if (!T)
        goto nomem;
    /* zero-mean template */
    size_t tn = (size_t)tw * th;
    double tss = 0;
    float *Tz = malloc(tn * sizeof *Tz);
    if (!Tz)
        goto nomem;
    center(T, tn, Tz, &tss);
    double s1 = 0, s2 = 0;
    if (sw == tw && shh == th)
        sums(S, tn, &s1, &s2); /* one position: no tables */
    else if (!make_sat(S, sw, shh, &sat, &sat2)) {
        free(Tz);
        goto nomem;
    }
    double best = -2;
    int bx = ba.x0 - bs.x0, by = ba.y0 - bs.y0; /* no shift */
    {
        ncc_plane pl = {S, sw, shh, sat, sat2, s1, s2, Tz, tw, th, tss};
        ncc_cand c[1];
        bool ok = sh >= 4 && tw >= 32 && th >= 32 ? ncc_search_pyramid(&pl, bx, by, &c[0])
                                                  : ncc_search_all(&pl, c, 1);
        if (!ok) {
            free(Tz);
            goto nomem;
        }
        if (c[0].v > -2)
            best = c[0].v, bx = c[0].ox, by = c[0].oy;
    }
    free(Tz);
    out->ncc = best < -1 ? 0 : best;
    out->dx_mm = (bx - (ba.x0 - bs.x0)) / ppm;
    out->dy_mm = (by - (ba.y0 - bs.y0)) / ppm;
    A = malloc(tn * sizeof *A);
    if (!A)
        goto nomem;
    for (int y = 0; y < th; y++)
        memcpy(A + (size_t)y * tw, S + (size_t)(by + y) * sw + bx, (size_t)tw * sizeof *A);
    bool ok;
    out->ssim = ssim(A, T, tw, th, &ok);
    if (!ok)
        goto nomem;
    st = DX_OK;
    goto done;
nomem:
    st = dx_error_set(err, DX_ERR_NO_MEMORY, "measure: out of memory");
done:
    if (T != Braw)
        free(T);
    free(Braw);
    free(S);
    free(A);
    free(sat);
    free(sat2);
    return st;
}

/* ---- fibres ------------------------------------------------------------------- */

/* One pixel into the histograms of R, G, B and chroma (max - min). */
static inline void fibre_hist_add(uint32_t *hist, const float *p)
{
    float mx = p[0] > p[1] ? p[0] : p[1], mn = p[0] < p[1] ? p[0] : p[1];
    mx = p[2] > mx ? p[2] : mx;
    mn = p[2] < mn ? p[2] : mn;
    hist[bin_of(p[0])]++;
    hist[NBIN + bin_of(p[1])]++;
    hist[2 * NBIN + bin_of(p[2])]++;
    hist[3 * NBIN + bin_of(mx - mn)]++;
}

/* A row's candidate pixels (1 in cand): far from the paper's median colour
 * med, and not only along it (u, unit); how many.  Branch-free, so that the
 * doubles go two or four at a time. */
DX_SIMD static size_t fibre_candidates(const float *restrict p, int w, const double med[4],
                                       const double u[3], uint8_t *restrict cand)
{
    size_t n = 0;
    for (int x = 0; x < w; x++) {
        double d0 = p[3 * x] - med[0], d1 = p[3 * x + 1] - med[1], d2c = p[3 * x + 2] - med[2];
        double d2 = d0 * d0 + d1 * d1 + d2c * d2c, along = d0 * u[0] + d1 * u[1] + d2c * u[2];
        uint8_t k = (uint8_t)((d2 > 40 * 40) & (d2 - along * along > 30 * 30));
        cand[x] = k;
        n += k;
    }
    return n;
}

dx_status dx_measure_fibres_of(const dx_reg_image *uv, dx_reg_rect region,
                               dx_measure_fibres *out, dx_error *err)
{
    memset(out, 0, sizeof *out);
    box b;
    dx_status st = check(uv, region, &b, err);
    if (st != DX_OK)
        return st;
    if (uv->ch != 3)
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "measure: fibres need a colour image");
    int w = b.x1 - b.x0, h = b.y1 - b.y0;
    size_t n = (size_t)w * h;
    uint8_t *cand = calloc(n, 1);
    uint32_t *queue = malloc(n * sizeof *queue);
    uint32_t *hist = calloc(8 * NBIN, sizeof *hist); /* two sets, added after */
    if (!cand || !queue || !hist) {
        free(cand), free(queue), free(hist);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "measure: out of memory");
    }
    /* the paper: median colour and median chroma of the region (even and
     * odd pixels into their own histograms: paper repeats a bin from one
     * pixel to the next, and one count would wait on the other) */
    for (int y = 0; y < h; y++) {
        const float *p = uv->px + ((size_t)(b.y0 + y) * uv->w + b.x0) * 3;
        for (int x = 0; x < w; x++, p += 3)
            fibre_hist_add(hist + (x & 1) * 4 * NBIN, p);
    }
    for (size_t i = 0; i < 4 * NBIN; i++)
        hist[i] += hist[4 * NBIN + i];
    double med[4];
    for (int c = 0; c < 4; c++)
        med[c] = percentile(hist + c * NBIN, n, 0.5);
    /* A fibre's colour differs from the paper's in hue, not only in level:
     * the difference from the paper's median colour, less its part along
     * that colour (a paper glowing bluish with brighteners keeps its fibres;
     * dark print or paper texture is only darker or brighter). */
    double u[3], un = sqrt(med[0] * med[0] + med[1] * med[1] + med[2] * med[2]);
    for (int c = 0; c < 3; c++)
        u[c] = un >= 1 ? med[c] / un : 1 / sqrt(3.0);
    size_t ncand = 0;
    for (int y = 0; y < h; y++)
        ncand += fibre_candidates(uv->px + ((size_t)(b.y0 + y) * uv->w + b.x0) * 3, w, med, u,
                                  cand + (size_t)y * w);
    out->candidate_fraction = (double)ncand / n;
    double ppm = uv->dpi / 25.4;
    for (size_t s = 0; s < n; s++) {
        if (cand[s] != 1)
            continue;
        size_t qh = 0, qt = 0;
        queue[qt++] = (uint32_t)s;
        cand[s] = 2;
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        while (qh < qt) {
            size_t i = queue[qh++];
            int x = (int)(i % w), y = (int)(i / w);
            sx += x, sy += y, sxx += (double)x * x, syy += (double)y * y, sxy += (double)x * y;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h)
                        continue;
                    size_t j = (size_t)yy * w + xx;
                    if (cand[j] == 1)
                        cand[j] = 2, queue[qt++] = (uint32_t)j;
                }
        }
        out->components++;
        double m = (double)qt;
        if (m < 3)
            continue;
        double mx = sx / m, my = sy / m;
        double a = sxx / m - mx * mx + 1.0 / 12, c = syy / m - my * my + 1.0 / 12,
               bb = sxy / m - mx * my;
        double tr = a + c, det = a * c - bb * bb, disc = sqrt(fmax(tr * tr / 4 - det, 0));
        double l1 = tr / 2 + disc, l2 = fmax(tr / 2 - disc, 1.0 / 12);
        double len_mm = 4 * sqrt(l1) / ppm, elong = sqrt(l1 / l2);
        if (len_mm >= 1 && len_mm <= 10 && elong >= 3)
            out->count++;
    }
    free(cand);
    free(queue);
    free(hist);
    return DX_OK;
}

/* ---- sharpness and fractions ---------------------------------------------------- */

dx_status dx_measure_sharpness_of(const dx_reg_image *im, dx_reg_rect region,
                                  dx_measure_sharpness *out, dx_error *err)
{
    memset(out, 0, sizeof *out);
    box b;
    dx_status st = check(im, region, &b, err);
    if (st != DX_OK)
        return st;
    if (b.x1 - b.x0 < 3 || b.y1 - b.y0 < 3)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "measure: region under 3 x 3 pixels");
    double s = 0, s2 = 0, g = 0;
    size_t n = 0;
    for (int y = b.y0 + 1; y < b.y1 - 1; y++)
        for (int x = b.x0 + 1; x < b.x1 - 1; x++) {
            double c = lum_at(im, x, y), l = lum_at(im, x - 1, y), r = lum_at(im, x + 1, y),
                   u = lum_at(im, x, y - 1), d = lum_at(im, x, y + 1);
            double lap = l + r + u + d - 4 * c;
            s += lap, s2 += lap * lap;
            double gx = (r - l) / 2, gy = (d - u) / 2;
            g += gx * gx + gy * gy;
            n++;
        }
    double m = s / n;
    out->laplacian_var = s2 / n - m * m;
    out->gradient_energy = g / n;
    return DX_OK;
}

dx_status dx_measure_fraction(const dx_reg_image *im, dx_reg_rect region, double level,
                              int above, double *out, dx_error *err)
{
    *out = 0;
    box b;
    dx_status st = check(im, region, &b, err);
    if (st != DX_OK)
        return st;
    size_t n = 0, k = 0;
    for (int y = b.y0; y < b.y1; y++)
        for (int x = b.x0; x < b.x1; x++, n++) {
            double v = lum_at(im, x, y);
            if (above ? v > level : v < level)
                k++;
        }
    *out = (double)k / n;
    return DX_OK;
}
