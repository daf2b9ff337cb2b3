/* Registration of a capture to the specimen's page (see register.h). */
#include "image/register.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

#define DEG (180.0 / M_PI)

/* ---- transforms ---------------------------------------------------------- */

static void set_similarity(dx_reg_transform *t, double a, double b, double tx, double ty)
{
    t->m[0][0] = a, t->m[0][1] = -b, t->m[0][2] = tx;
    t->m[1][0] = b, t->m[1][1] = a, t->m[1][2] = ty;
    double d = a * a + b * b; /* inverse of [[a, -b], [b, a]] is [[a, b], [-b, a]] / d */
    t->inv[0][0] = a / d, t->inv[0][1] = b / d;
    t->inv[1][0] = -b / d, t->inv[1][1] = a / d;
    t->inv[0][2] = -(t->inv[0][0] * tx + t->inv[0][1] * ty);
    t->inv[1][2] = -(t->inv[1][0] * tx + t->inv[1][1] * ty);
    t->scale = sqrt(d);
    double r = -atan2(b, a) * DEG; /* y points down: counter-clockwise on screen is -angle */
    if (r <= -180)
        r += 360;
    t->rotation_deg = r;
}

void dx_reg_apply(const dx_reg_transform *t, double u, double v, double *x, double *y)
{
    *x = t->m[0][0] * u + t->m[0][1] * v + t->m[0][2];
    *y = t->m[1][0] * u + t->m[1][1] * v + t->m[1][2];
}

void dx_reg_apply_inverse(const dx_reg_transform *t, double x, double y, double *u, double *v)
{
    *u = t->inv[0][0] * x + t->inv[0][1] * y + t->inv[0][2];
    *v = t->inv[1][0] * x + t->inv[1][1] * y + t->inv[1][2];
}

void dx_reg_identity(double dpi, double page_w_mm, double page_h_mm, uint32_t width,
                     uint32_t height, dx_reg_transform *out)
{
    memset(out, 0, sizeof *out);
    set_similarity(out, dpi / 25.4, 0, 0, 0);
    out->page_w_mm = page_w_mm;
    out->page_h_mm = page_h_mm;
    out->width = width;
    out->height = height;
    out->inliers = 1;
    out->confidence = 1;
}

/* Least-squares similarity taking page points p[i] to capture points q[i]. */
static void fit_similarity(const double (*p)[2], const double (*q)[2], int n, double *a,
                           double *b, double *tx, double *ty)
{
    double pu = 0, pv = 0, qx = 0, qy = 0;
    for (int i = 0; i < n; i++)
        pu += p[i][0], pv += p[i][1], qx += q[i][0], qy += q[i][1];
    pu /= n, pv /= n, qx /= n, qy /= n;
    double sa = 0, sb = 0, ss = 0;
    for (int i = 0; i < n; i++) {
        double u = p[i][0] - pu, v = p[i][1] - pv, x = q[i][0] - qx, y = q[i][1] - qy;
        sa += u * x + v * y;
        sb += u * y - v * x;
        ss += u * u + v * v;
    }
    *a = sa / ss;
    *b = sb / ss;
    *tx = qx - (*a * pu - *b * pv);
    *ty = qy - (*b * pu + *a * pv);
}

/* ---- finding the page -------------------------------------------------------- */

static int otsu(const dx_gray *g)
{
    double hist[256] = {0};
    size_t n = (size_t)g->w * g->h;
    for (size_t i = 0; i < n; i++)
        hist[g->px[i]]++;
    double sum = 0;
    for (int i = 0; i < 256; i++)
        sum += i * hist[i];
    double w0 = 0, s0 = 0, best = -1;
    int thr = 128;
    for (int t = 0; t < 255; t++) {
        w0 += hist[t];
        s0 += t * hist[t];
        double w1 = (double)n - w0;
        if (w0 == 0 || w1 == 0)
            continue;
        double m0 = s0 / w0, m1 = (sum - s0) / w1;
        double bc = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (bc > best)
            best = bc, thr = t; /* class 0: <= t */
    }
    return thr;
}

static int median_of(const unsigned *hist, size_t n)
{
    size_t acc = 0;
    for (int i = 0; i < 256; i++) {
        acc += hist[i];
        if (2 * acc >= n)
            return i;
    }
    return 255;
}

typedef struct line {
    double nx, ny, c; /* nx x + ny y = c, |n| = 1 */
} line;

/* Total least squares line through pts[keep]; then drop points farther than
 * max(1.5 px, 3 x the median distance) and refit (three rounds). Returns the
 * number kept. */
static int fit_line(double (*pts)[2], int n, bool *keep, line *L)
{
    for (int i = 0; i < n; i++)
        keep[i] = true;
    int m = n;
    for (int round = 0; round < 3; round++) {
        double mx = 0, my = 0;
        m = 0;
        for (int i = 0; i < n; i++)
            if (keep[i])
                mx += pts[i][0], my += pts[i][1], m++;
        if (m < 2)
            return m;
        mx /= m, my /= m;
        double sxx = 0, syy = 0, sxy = 0;
        for (int i = 0; i < n; i++)
            if (keep[i]) {
                double dx = pts[i][0] - mx, dy = pts[i][1] - my;
                sxx += dx * dx, syy += dy * dy, sxy += dx * dy;
            }
        /* direction of the largest eigenvector; the normal is perpendicular */
        double th = 0.5 * atan2(2 * sxy, sxx - syy);
        L->nx = -sin(th), L->ny = cos(th);
        L->c = L->nx * mx + L->ny * my;
        if (round == 2)
            break;
        double d[64 * 2];
        int k = 0;
        for (int i = 0; i < n; i++)
            d[i] = fabs(L->nx * pts[i][0] + L->ny * pts[i][1] - L->c);
        /* median of the distances of all points */
        double tmp[64 * 2];
        memcpy(tmp, d, sizeof(double) * (size_t)n);
        for (int i = 1; i < n; i++) { /* insertion sort, n <= 128 */
            double v = tmp[i];
            int j = i - 1;
            while (j >= 0 && tmp[j] > v)
                tmp[j + 1] = tmp[j], j--;
            tmp[j + 1] = v;
        }
        double lim = fmax(1.5, 3 * tmp[n / 2]);
        for (int i = 0; i < n; i++)
            if ((keep[i] = d[i] <= lim))
                k++;
        m = k;
    }
    return m;
}

static bool intersect(const line *a, const line *b, double *x, double *y)
{
    double det = a->nx * b->ny - a->ny * b->nx;
    if (fabs(det) < 1e-9)
        return false;
    *x = (a->c * b->ny - a->ny * b->c) / det;
    *y = (a->nx * b->c - a->c * b->nx) / det;
    return true;
}

#define NSAMP 64

/* One pass of edge refinement from the transform `t`: edges searched within
 * +-range_px of each side.  On success, `t` is the new fit. */
static dx_status refine(const dx_gray *g, double thr, int pol, double range_px, double W,
                        double H, dx_reg_transform *t, double *residual, double *inliers,
                        dx_error *err)
{
    static const double side_pts[4][2][2] = {
        {{0, 0}, {1, 0}}, {{1, 0}, {1, 1}}, {{1, 1}, {0, 1}}, {{0, 1}, {0, 0}}};
    static const double normals[4][2] = {{0, -1}, {1, 0}, {0, 1}, {-1, 0}};
    double pts[4][NSAMP][2];
    double pp[4][NSAMP][2]; /* the page points they belong to */
    int np[4] = {0};
    line L[4];
    bool keep[4][NSAMP];
    int total_keep = 0;
    double step = 0.5;
    for (int s = 0; s < 4; s++) {
        double nx = t->m[0][0] * normals[s][0] + t->m[0][1] * normals[s][1];
        double ny = t->m[1][0] * normals[s][0] + t->m[1][1] * normals[s][1];
        double nl = hypot(nx, ny);
        nx /= nl, ny /= nl;
        for (int k = 0; k < NSAMP; k++) {
            double f = 0.08 + 0.84 * k / (NSAMP - 1);
            double u = W * (side_pts[s][0][0] + f * (side_pts[s][1][0] - side_pts[s][0][0]));
            double v = H * (side_pts[s][0][1] + f * (side_pts[s][1][1] - side_pts[s][0][1]));
            double px, py;
            dx_reg_apply(t, u, v, &px, &py);
            double ox = px + range_px * nx, oy = py + range_px * ny;
            if (ox < 0 || oy < 0 || ox > g->w || oy > g->h)
                continue; /* the search would start off the image */
            double prev = pol * (dx_gray_sample(g, ox, oy) - thr);
            if (prev >= 0)
                continue; /* no glass where the search starts */
            for (double d = range_px - step; d >= -range_px; d -= step) {
                double cur = pol * (dx_gray_sample(g, px + d * nx, py + d * ny) - thr);
                if (cur >= 0) {
                    double dd = d + step * cur / (cur - prev); /* linear crossing */
                    pts[s][np[s]][0] = px + dd * nx;
                    pts[s][np[s]][1] = py + dd * ny;
                    pp[s][np[s]][0] = u;
                    pp[s][np[s]][1] = v;
                    np[s]++;
                    break;
                }
                prev = cur;
            }
        }
        if (np[s] < 8)
            return dx_error_set(err, DX_ERR_NOT_FOUND,
                                "registration: the page's %s edge was not found",
                                (const char *[]){"top", "right", "bottom", "left"}[s]);
        int m = fit_line(pts[s], np[s], keep[s], &L[s]);
        if (m < 8)
            return dx_error_set(err, DX_ERR_NOT_FOUND,
                                "registration: the page's edges are not straight lines");
        total_keep += m;
    }
    double q[4][2];
    static const double corners[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    double p[4][2];
    for (int c = 0; c < 4; c++) {
        /* corner c joins side c-1 (ending there) and side c */
        if (!intersect(&L[(c + 3) % 4], &L[c], &q[c][0], &q[c][1]))
            return dx_error_set(err, DX_ERR_NOT_FOUND, "registration: parallel page edges");
        p[c][0] = corners[c][0] * W;
        p[c][1] = corners[c][1] * H;
    }
    double a, b, tx, ty;
    fit_similarity((const double(*)[2])p, (const double(*)[2])q, 4, &a, &b, &tx, &ty);
    set_similarity(t, a, b, tx, ty);
    /* residual: distance of the kept edge points to the fitted outline */
    double ss = 0;
    for (int s = 0; s < 4; s++) {
        double nx = a * normals[s][0] - b * normals[s][1];
        double ny = b * normals[s][0] + a * normals[s][1];
        double nl = hypot(nx, ny);
        for (int k = 0; k < np[s]; k++)
            if (keep[s][k]) {
                double x, y;
                dx_reg_apply(t, pp[s][k][0], pp[s][k][1], &x, &y);
                double d = ((pts[s][k][0] - x) * nx + (pts[s][k][1] - y) * ny) / nl;
                ss += d * d;
            }
    }
    *residual = sqrt(ss / total_keep);
    *inliers = total_keep / (4.0 * NSAMP);
    return DX_OK;
}

/* Turn the transform by 180 degrees about the page centre. */
static void turn(dx_reg_transform *t, double W, double H)
{
    double a = -t->m[0][0], b = -t->m[1][0];
    double tx = t->m[0][0] * W + t->m[0][1] * H + t->m[0][2];
    double ty = t->m[1][0] * W + t->m[1][1] * H + t->m[1][2];
    set_similarity(t, a, b, tx, ty);
}

dx_status dx_reg_estimate(const dx_image_view *capture, double capture_dpi, double page_w_mm,
                          double page_h_mm, const dx_reg_options *opts, dx_reg_transform *out,
                          dx_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(capture_dpi >= 10 && capture_dpi <= 4800) || !(page_w_mm > 5 && page_w_mm < 1000) ||
        !(page_h_mm > 5 && page_h_mm < 1000))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "registration: dpi %g or page %g x %g mm out of range", capture_dpi,
                            page_w_mm, page_h_mm);
    dx_gray g = {0}, c = {0};
    uint8_t *bg = NULL;
    int32_t *lab = NULL;
    uint32_t *queue = NULL;
    dx_status st = dx_gray_from_view(capture, &g, err);
    if (st != DX_OK)
        return st;
    double ppm = capture_dpi / 25.4;
    int f = (int)lround(capture_dpi / 50);
    if (f < 1)
        f = 1;
    if ((st = dx_gray_downscale(&g, f, &c, err)) != DX_OK)
        goto fail;
    int cw = c.w, ch = c.h;
    size_t cn = (size_t)cw * ch;
    if (cw < 8 || ch < 8) {
        st = dx_error_set(err, DX_ERR_NOT_FOUND, "registration: image too small");
        goto fail;
    }
    int thr = otsu(&c);
    /* polarity: the image's border is glass */
    unsigned bh[256] = {0};
    size_t nb = 0;
    for (int x = 0; x < cw; x++)
        bh[c.px[x]]++, bh[c.px[(size_t)(ch - 1) * cw + x]]++, nb += 2;
    for (int y = 1; y < ch - 1; y++)
        bh[c.px[(size_t)y * cw]]++, bh[c.px[(size_t)y * cw + cw - 1]]++, nb += 2;
    int border_med = median_of(bh, nb);
    bool transmitted = opts && opts->transmitted >= 0 ? opts->transmitted != 0 : border_med > thr;
    int pol = transmitted ? -1 : 1; /* pol * (v - thr) > 0 on the page */
#define IS_GLASS(v) (transmitted ? (v) > thr : (v) <= thr)
    /* glass: glass-class pixels connected to the border */
    bg = calloc(cn, 1);
    lab = malloc(cn * sizeof *lab);
    queue = malloc(cn * sizeof *queue);
    if (!bg || !lab || !queue) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "registration: out of memory");
        goto fail;
    }
    size_t qh = 0, qt = 0;
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            if (x > 0 && x < cw - 1 && y > 0 && y < ch - 1)
                continue;
            size_t i = (size_t)y * cw + x;
            if (!bg[i] && IS_GLASS(c.px[i]))
                bg[i] = 1, queue[qt++] = (uint32_t)i;
        }
    while (qh < qt) {
        size_t i = queue[qh++];
        int x = (int)(i % cw), y = (int)(i / cw);
        size_t nbr[4] = {x > 0 ? i - 1 : i, x < cw - 1 ? i + 1 : i, y > 0 ? i - cw : i,
                         y < ch - 1 ? i + cw : i};
        for (int k = 0; k < 4; k++)
            if (!bg[nbr[k]] && IS_GLASS(c.px[nbr[k]]))
                bg[nbr[k]] = 1, queue[qt++] = (uint32_t)nbr[k];
    }
    size_t n_glass = qt;
    double W = page_w_mm, H = page_h_mm;
    double expect_area = W * H * ppm * ppm / ((double)f * f);
    dx_reg_transform t = {0};
    t.page_w_mm = W, t.page_h_mm = H, t.width = capture->width, t.height = capture->height;
    if (fabs(capture->width / (W * ppm) - 1) < 0.03 &&
        fabs(capture->height / (H * ppm) - 1) < 0.03) {
        /* the image is the page's size: a scan cropped to the page (a
         * reference image); its border is paper, not glass */
        dx_reg_identity(capture_dpi, W, H, capture->width, capture->height, &t);
        t.confidence = 0.5;
        *out = t;
        goto fail; /* st == DX_OK: only frees */
    }
    if (n_glass < cn / 200) {
        st = dx_error_set(err, DX_ERR_NOT_FOUND, "registration: no glass around the page");
        goto fail;
    }
    /* the page: the largest 4-connected component of the rest */
    for (size_t i = 0; i < cn; i++)
        lab[i] = bg[i] ? -1 : 0;
    int32_t nlab = 0, best = 0;
    size_t best_n = 0;
    for (size_t s = 0; s < cn; s++) {
        if (lab[s] != 0)
            continue;
        lab[s] = ++nlab;
        qh = qt = 0;
        queue[qt++] = (uint32_t)s;
        while (qh < qt) {
            size_t i = queue[qh++];
            int x = (int)(i % cw), y = (int)(i / cw);
            size_t nbr[4] = {x > 0 ? i - 1 : i, x < cw - 1 ? i + 1 : i, y > 0 ? i - cw : i,
                             y < ch - 1 ? i + cw : i};
            for (int k = 0; k < 4; k++)
                if (lab[nbr[k]] == 0)
                    lab[nbr[k]] = nlab, queue[qt++] = (uint32_t)nbr[k];
        }
        if (qt > best_n)
            best_n = qt, best = nlab;
    }
    if (best_n < expect_area * 0.6 || best_n > expect_area * 1.5) {
        st = dx_error_set(err, DX_ERR_NOT_FOUND,
                          "registration: no page of %g x %g mm at %g dpi (largest object %.0f%% "
                          "of its area)", W, H, capture_dpi, 100.0 * best_n / expect_area);
        goto fail;
    }
    /* first pose from the component's moments; levels for the edge threshold */
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    unsigned gh[256] = {0}, ph[256] = {0};
    size_t ng = 0, npg = 0;
    bool touches = false;
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            size_t i = (size_t)y * cw + x;
            if (lab[i] == best) {
                double X = (x + 0.5) * f, Y = (y + 0.5) * f;
                sx += X, sy += Y, sxx += X * X, syy += Y * Y, sxy += X * Y;
                if (!IS_GLASS(c.px[i]))
                    ph[c.px[i]]++, npg++;
                if (x == 0 || y == 0 || x == cw - 1 || y == ch - 1)
                    touches = true;
            } else if (bg[i]) {
                gh[c.px[i]]++, ng++;
            }
        }
    if (touches) {
        st = dx_error_set(err, DX_ERR_NOT_FOUND,
                          "registration: the page reaches the image's border");
        goto fail;
    }
    double n = (double)best_n;
    double mx = sx / n, my = sy / n;
    double mu20 = sxx / n - mx * mx, mu02 = syy / n - my * my, mu11 = sxy / n - mx * my;
    double phi = 0.5 * atan2(2 * mu11, mu20 - mu02); /* major axis, y down */
    if (W < H)
        phi += M_PI / 2;
    while (phi > M_PI / 2)
        phi -= M_PI;
    while (phi <= -M_PI / 2)
        phi += M_PI;
    double a = ppm * cos(phi), b = ppm * sin(phi);
    set_similarity(&t, a, b, mx - (a * W / 2 - b * H / 2), my - (b * W / 2 + a * H / 2));
    double thr_full = (median_of(gh, ng) + median_of(ph, npg)) / 2.0;
    double residual = 0, inl = 0;
    /* coarse pose within about a coarse pixel and a degree: search +-4 mm, then +-1.5 mm */
    if ((st = refine(&g, thr_full, pol, fmax(4 * ppm, 3.0 * f), W, H, &t, &residual, &inl,
                     err)) != DX_OK)
        goto fail;
    if ((st = refine(&g, thr_full, pol, fmax(1.5 * ppm, 4.0), W, H, &t, &residual, &inl,
                     err)) != DX_OK)
        goto fail;
    /* the 180-degree choice */
    if (opts && opts->mrz && opts->mrz->n_lines > 0) {
        double cx = 0, cy = 0;
        size_t k = 0;
        for (size_t l = 0; l < opts->mrz->n_lines && l < DX_MRZ_MAX_LINES; l++)
            for (int j = 0; j < 4; j++)
                cx += opts->mrz->lines[l].corners[j][0], cy += opts->mrz->lines[l].corners[j][1],
                    k++;
        cx /= k, cy /= k;
        dx_reg_rect r = opts->mrz_rect_mm;
        if (!(r.w > 0 && r.h > 0))
            r = (dx_reg_rect){0, H * 0.8, W, H * 0.2};
        double u, v;
        dx_reg_apply_inverse(&t, cx, cy, &u, &v);
        double ex = r.x + r.w / 2, ey = r.y + r.h / 2;
        double d0 = hypot(u - ex, v - ey), d1 = hypot((W - u) - ex, (H - v) - ey);
        if (d1 < d0) {
            turn(&t, W, H);
            t.turned = true;
        }
    }
    t.residual_px = residual;
    t.inliers = inl;
    double sc = 1 - 10 * fabs(t.scale / ppm - 1);
    t.confidence = inl * (sc > 0 ? sc : 0) * exp(-residual / 2);
    t.transmitted = transmitted;
    *out = t;
    st = DX_OK;
fail:
#undef IS_GLASS
    free(bg);
    free(lab);
    free(queue);
    dx_gray_free(&c);
    dx_gray_free(&g);
    return st;
}

/* ---- resampling ------------------------------------------------------------------ */

void dx_reg_image_free(dx_reg_image *img)
{
    if (img) {
        dx_pixels_free(img->px, img->mapped);
        memset(img, 0, sizeof *img);
    }
}

/* A page's samples (a 300 dpi RGB page is 18 MB: mapped, image.h). */
static bool page_alloc(dx_reg_image *out, size_t bytes)
{
    out->px = dx_pixels_alloc(bytes, &out->mapped);
    return out->px != NULL;
}

/* Channel values of pixel (x, y) on the 0..255 scale. */
static inline void fetch(const dx_image_view *v, int x, int y, float *o)
{
    const uint8_t *row = (const uint8_t *)v->data + (size_t)y * v->stride;
    switch (v->format) {
    case DX_PIX_GRAY8: o[0] = row[x]; break;
    case DX_PIX_GRAY16: {
        uint16_t s;
        memcpy(&s, row + 2 * (size_t)x, 2);
        o[0] = s * (1.0f / 257);
        break;
    }
    case DX_PIX_RGB8:
        o[0] = row[3 * (size_t)x], o[1] = row[3 * (size_t)x + 1], o[2] = row[3 * (size_t)x + 2];
        break;
    case DX_PIX_RGB16: {
        uint16_t s[3];
        memcpy(s, row + 6 * (size_t)x, 6);
        o[0] = s[0] * (1.0f / 257), o[1] = s[1] * (1.0f / 257), o[2] = s[2] * (1.0f / 257);
        break;
    }
    }
}

/* Bilinear sample at capture point (x, y); false when outside the image. */
static inline bool bilinear(const dx_image_view *v, int nch, double x, double y, float *o)
{
    if (x < 0 || y < 0 || x > v->width || y > v->height)
        return false;
    x -= 0.5, y -= 0.5;
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x > v->width - 1) x = v->width - 1;
    if (y > v->height - 1) y = v->height - 1;
    int ix = (int)x, iy = (int)y;
    int ix1 = ix + 1 < (int)v->width ? ix + 1 : ix, iy1 = iy + 1 < (int)v->height ? iy + 1 : iy;
    float fx = (float)(x - ix), fy = (float)(y - iy);
    float p00[3], p10[3], p01[3], p11[3];
    fetch(v, ix, iy, p00);
    fetch(v, ix1, iy, p10);
    fetch(v, ix, iy1, p01);
    fetch(v, ix1, iy1, p11);
    for (int k = 0; k < nch; k++) {
        float a = p00[k] + (p10[k] - p00[k]) * fx;
        float b = p01[k] + (p11[k] - p01[k]) * fx;
        o[k] = a + (b - a) * fy;
    }
    return true;
}

/* Output pixel (i, j) is capture pixel (x0 + i, y0 + j), 0 outside. */
static dx_status copy_pixels(const dx_image_view *cap, int x0, int y0, int nch, dx_reg_image *out)
{
    size_t outside = 0;
    /* the columns inside the capture, the same for every row */
    int lo = x0 < 0 ? -x0 : 0, hi = (int)cap->width - x0;
    if (hi > out->w)
        hi = out->w;
    if (hi < lo)
        hi = lo;
    for (int j = 0; j < out->h; j++) {
        float *o = out->px + (size_t)j * out->w * nch;
        int y = y0 + j;
        if (y < 0 || y >= (int)cap->height || hi == lo) {
            memset(o, 0, (size_t)out->w * nch * sizeof(float));
            outside += (size_t)out->w;
            continue;
        }
        memset(o, 0, (size_t)lo * nch * sizeof(float));
        memset(o + (size_t)hi * nch, 0, (size_t)(out->w - hi) * nch * sizeof(float));
        outside += (size_t)(out->w - (hi - lo));
        const uint8_t *row = (const uint8_t *)cap->data + (size_t)y * cap->stride;
        float *d = o + (size_t)lo * nch;
        int n = hi - lo, x = x0 + lo;
        switch (cap->format) {
        case DX_PIX_GRAY8:
            for (int i = 0; i < n; i++)
                d[i] = row[x + i];
            break;
        case DX_PIX_RGB8:
            for (int i = 0; i < 3 * n; i++)
                d[i] = row[3 * (size_t)x + i];
            break;
        case DX_PIX_GRAY16:
        case DX_PIX_RGB16: {
            int k = cap->format == DX_PIX_GRAY16 ? 1 : 3;
            for (int i = 0; i < k * n; i++) {
                uint16_t v;
                memcpy(&v, row + 2 * ((size_t)k * x + i), 2);
                d[i] = v * (1.0f / 257);
            }
            break;
        }
        }
    }
    out->n_outside = outside;
    return DX_OK;
}

/* ---- the box prefilter: exact means of f x f capture pixels -------------- */

/* cols[i] = the sum of f rows, stride bytes apart, of 8-bit samples */
static void box_cols8(const uint8_t *row, size_t stride, int f, size_t n, uint32_t *cols)
{
    for (size_t i = 0; i < n; i++)
        cols[i] = row[i];
    for (int sy = 1; sy < f; sy++) {
        const uint8_t *r = row + (size_t)sy * stride;
        for (size_t i = 0; i < n; i++)
            cols[i] += r[i];
    }
}

/* the same for 16-bit samples (host order) */
static void box_cols16(const uint8_t *row, size_t stride, int f, size_t n, uint32_t *cols)
{
    for (size_t i = 0; i < n; i++)
        cols[i] = 0;
    for (int sy = 0; sy < f; sy++) {
        const uint8_t *r = row + (size_t)sy * stride;
        for (size_t i = 0; i < n; i++) {
            uint16_t v;
            memcpy(&v, r + 2 * i, 2);
            cols[i] += v;
        }
    }
}

/* o[bx * nch + c] = scale * the sum of f neighbouring column sums (64-bit:
 * f x f x 65535 passes 32 bits at f = 256); inlined with constant f and nch
 * for the usual factors, where the loops unroll */
static inline void box_hsum_k(const uint32_t *cols, int iw, int f, int nch, float scale, float *o)
{
    for (int bx = 0; bx < iw; bx++) {
        const uint32_t *l = cols + (size_t)bx * f * nch;
        for (int c = 0; c < nch; c++) {
            int64_t sum = 0;
            for (int sx = 0; sx < f; sx++)
                sum += l[sx * nch + c];
            o[bx * nch + c] = (float)sum * scale;
        }
    }
}

static void box_hsum(const uint32_t *cols, int iw, int f, int nch, float scale, float *o)
{
    if (f == 2 && nch == 3)
        box_hsum_k(cols, iw, 2, 3, scale, o);
    else if (f == 2 && nch == 1)
        box_hsum_k(cols, iw, 2, 1, scale, o);
    else if (f == 3 && nch == 3)
        box_hsum_k(cols, iw, 3, 3, scale, o);
    else if (f == 3 && nch == 1)
        box_hsum_k(cols, iw, 3, 1, scale, o);
    else if (f == 4 && nch == 3)
        box_hsum_k(cols, iw, 4, 3, scale, o);
    else if (f == 4 && nch == 1)
        box_hsum_k(cols, iw, 4, 1, scale, o);
    else
        box_hsum_k(cols, iw, f, nch, scale, o);
}

/* The output columns [*i0, *i1) of a row whose samples a + i d (i = 0..w-1)
 * all lie in [lo, hi) (hi_closed: [lo, hi]): estimated, then moved until
 * both ends hold when computed as the walk computes them (a + i d is
 * monotonic in i, so every column between them holds too). */
static void clip_span(double a, double d, double lo, double hi, bool hi_closed, int w, int *i0,
                      int *i1)
{
#define SPAN_IN(i) (a + (i) * d >= lo && (hi_closed ? a + (i) * d <= hi : a + (i) * d < hi))
    double e0 = 0, e1 = w;
    if (d > 0) {
        e0 = (lo - a) / d, e1 = (hi - a) / d + 1;
    } else if (d < 0) {
        e0 = (hi - a) / d, e1 = (lo - a) / d + 1;
    } else if (!SPAN_IN(0)) {
        *i1 = *i0;
        return;
    }
    int s0 = e0 > *i0 ? (e0 < *i1 ? (int)e0 : *i1) : *i0;
    int s1 = e1 < *i1 ? (e1 > s0 ? (int)e1 : s0) : *i1;
    while (s0 > *i0 && SPAN_IN(s0 - 1))
        s0--;
    while (s0 < s1 && !SPAN_IN(s0))
        s0++;
    while (s1 < *i1 && s1 > s0 && SPAN_IN(s1))
        s1++;
    while (s1 > s0 && !SPAN_IN(s1 - 1))
        s1--;
    *i0 = s0, *i1 = s1;
#undef SPAN_IN
}

/* Bilinear sample of box rows rp[0..h-1] (w samples of nch each; pixel
 * centres at +0.5, clamped at the borders). */
static inline void bilinear_rows(const float *const *rp, int w, int h, int nch, double x, double y,
                                 float *o)
{
    x -= 0.5, y -= 0.5;
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x > w - 1) x = w - 1;
    if (y > h - 1) y = h - 1;
    int ix = (int)x, iy = (int)y;
    int ix1 = ix + 1 < w ? ix + 1 : ix, iy1 = iy + 1 < h ? iy + 1 : iy;
    float fx = (float)(x - ix), fy = (float)(y - iy);
    const float *r0 = rp[iy], *r1 = rp[iy1];
    for (int c = 0; c < nch; c++) {
        float a = r0[ix * nch + c] + (r0[ix1 * nch + c] - r0[ix * nch + c]) * fx;
        float b = r1[ix * nch + c] + (r1[ix1 * nch + c] - r1[ix * nch + c]) * fx;
        o[c] = a + (b - a) * fy;
    }
}

/* The box image of resample_boxed(), made a row at a time into a ring of
 * rows as the output rows need them (a rotated page needs a band of rows as
 * wide as the rotation makes it; the whole image is never held). */
typedef struct box_ring {
    const dx_image_view *cap;
    int f, nch, bx0, by0, iw, ih;
    bool wide;
    float scale;
    size_t lw, skip;
    uint32_t *cols;   /* lw column sums */
    float *rows;      /* n_slots rows of iw * nch */
    int n_slots;
    int *slot_row;    /* the box row in each slot, -1 */
    const float **rp; /* ih row pointers, valid for the rows made last */
} box_ring;

/* Make box rows lo..hi (clamped to the image) available in rp. */
static void ring_need(box_ring *b, int lo, int hi)
{
    lo = lo < 0 ? 0 : lo > b->ih - 1 ? b->ih - 1 : lo;
    hi = hi < 0 ? 0 : hi > b->ih - 1 ? b->ih - 1 : hi;
    for (int by = lo; by <= hi; by++) {
        int slot = by % b->n_slots;
        float *dst = b->rows + (size_t)slot * b->iw * b->nch;
        if (b->slot_row[slot] != by) {
            const uint8_t *row = (const uint8_t *)b->cap->data +
                                 (size_t)(b->by0 + by) * b->f * b->cap->stride + b->skip;
            if (b->wide)
                box_cols16(row, b->cap->stride, b->f, b->lw, b->cols);
            else
                box_cols8(row, b->cap->stride, b->f, b->lw, b->cols);
            box_hsum(b->cols, b->iw, b->f, b->nch, b->scale, dst);
            b->slot_row[slot] = by;
        }
        b->rp[by] = dst;
    }
}

/* Downscaling by ratio >= 2: the capture is box-averaged by f = floor(ratio)
 * first (exact means of f x f pixels, one pass over the bytes), then sampled
 * bilinearly, one sample per output pixel (what is left of the ratio,
 * ratio / f, is under 1.5).  The same box prefilter as the direct path, at a
 * quarter of its cost for 600 -> 300 dpi. */
static dx_status resample_boxed(const dx_image_view *cap, const dx_reg_transform *t, double ppm,
                                dx_reg_rect r, int nch, int f, dx_reg_image *out, dx_error *err)
{
    int w = out->w, h = out->h;
    /* the capture's bounding box of the output rectangle, in box cells */
    double cx[4], cy[4];
    dx_reg_apply(t, r.x, r.y, &cx[0], &cy[0]);
    dx_reg_apply(t, r.x + r.w, r.y, &cx[1], &cy[1]);
    dx_reg_apply(t, r.x, r.y + r.h, &cx[2], &cy[2]);
    dx_reg_apply(t, r.x + r.w, r.y + r.h, &cx[3], &cy[3]);
    double x0 = cx[0], x1 = cx[0], y0 = cy[0], y1 = cy[0];
    for (int i = 1; i < 4; i++) {
        x0 = fmin(x0, cx[i]), x1 = fmax(x1, cx[i]);
        y0 = fmin(y0, cy[i]), y1 = fmax(y1, cy[i]);
    }
    int bw = (int)cap->width / f, bh = (int)cap->height / f;
    int bx0 = (int)floor(x0 / f) - 2, by0 = (int)floor(y0 / f) - 2;
    int bx1 = (int)ceil(x1 / f) + 2, by1 = (int)ceil(y1 / f) + 2;
    if (bx0 < 0) bx0 = 0;
    if (by0 < 0) by0 = 0;
    if (bx1 > bw) bx1 = bw;
    if (by1 > bh) by1 = bh;
    int iw = bx1 - bx0, ih = by1 - by0;
    if (iw < 1 || ih < 1) { /* all outside the capture */
        memset(out->px, 0, (size_t)w * h * nch * sizeof(float));
        out->n_outside = (size_t)w * h;
        return DX_OK;
    }
    double dux = t->m[0][0] / ppm, duy = t->m[1][0] / ppm;
    double dvx = t->m[0][1] / ppm, dvy = t->m[1][1] / ppm;
    double bdx = dux / f, bdy = duy / f;
    /* the rows one output row spans: |bdy| per pixel, and the neighbours
     * of its two ends */
    double band = fabs(bdy) * w + 6;
    box_ring b = {.cap = cap, .f = f, .nch = nch, .bx0 = bx0, .by0 = by0, .iw = iw, .ih = ih,
                  .wide = cap->format == DX_PIX_GRAY16 || cap->format == DX_PIX_RGB16};
    b.n_slots = band < ih ? (int)band : ih;
    b.scale = (b.wide ? 1.0f / 257 : 1.0f) / (float)(f * f);
    b.lw = (size_t)iw * f * nch; /* samples of the capture under one box row */
    b.skip = (size_t)bx0 * f * nch * (b.wide ? 2 : 1);
    b.cols = malloc(b.lw * sizeof *b.cols);
    b.rows = malloc((size_t)b.n_slots * iw * nch * sizeof *b.rows);
    b.slot_row = malloc((size_t)b.n_slots * sizeof *b.slot_row);
    b.rp = calloc((size_t)ih, sizeof *b.rp);
    if (!b.cols || !b.rows || !b.slot_row || !b.rp) {
        free(b.cols), free(b.rows), free(b.slot_row), free((void *)b.rp);
        dx_reg_image_free(out);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "resample: out of memory");
    }
    for (int k = 0; k < b.n_slots; k++)
        b.slot_row[k] = -1;
    double ox, oy;
    size_t outside = 0;
    dx_reg_apply(t, r.x, r.y, &ox, &oy);
    /* each output row in box coordinates (pixel centres at +0.5); the span
     * of it inside both the capture and the box image's interior is walked
     * without a test per pixel */
    double W = cap->width, H = cap->height;
    for (int j = 0; j < h; j++) {
        float *o = out->px + (size_t)j * w * nch;
        double xs = ox + 0.5 * dux + (j + 0.5) * dvx, ys = oy + 0.5 * duy + (j + 0.5) * dvy;
        double bxs = xs / f - bx0 - 0.5, bys = ys / f - by0 - 0.5;
        int i0 = 0, i1 = w;
        clip_span(xs, dux, 0, W, true, w, &i0, &i1);
        clip_span(ys, duy, 0, H, true, w, &i0, &i1);
        if (i1 <= i0) { /* the whole row outside the capture */
            memset(o, 0, (size_t)w * nch * sizeof *o);
            outside += (size_t)w;
            continue;
        }
        double ya = bys, yb = bys + (w - 1) * bdy;
        ring_need(&b, (int)floor(fmin(ya, yb)) - 1, (int)floor(fmax(ya, yb)) + 2);
        clip_span(bxs, bdx, 0, iw - 1, false, w, &i0, &i1);
        clip_span(bys, bdy, 0, ih - 1, false, w, &i0, &i1);
        if (i1 <= i0)
            i0 = i1 = w;
        for (int i = 0; i < w; i++) {
            if (i == i0) {
                float *oi = o + (size_t)i0 * nch;
                if (nch == 3) {
                    for (int q = i0; q < i1; q++, oi += 3) {
                        double bx = bxs + q * bdx, by = bys + q * bdy;
                        int ix = (int)bx, iy = (int)by;
                        float fx = (float)(bx - ix), fy = (float)(by - iy);
                        const float *p0 = b.rp[iy] + (size_t)ix * 3, *p1 = b.rp[iy + 1] + (size_t)ix * 3;
                        for (int c = 0; c < 3; c++) {
                            float a = p0[c] + (p0[3 + c] - p0[c]) * fx;
                            float e = p1[c] + (p1[3 + c] - p1[c]) * fx;
                            oi[c] = a + (e - a) * fy;
                        }
                    }
                } else {
                    for (int q = i0; q < i1; q++) {
                        double bx = bxs + q * bdx, by = bys + q * bdy;
                        int ix = (int)bx, iy = (int)by;
                        float fx = (float)(bx - ix), fy = (float)(by - iy);
                        const float *p0 = b.rp[iy] + ix, *p1 = b.rp[iy + 1] + ix;
                        float a = p0[0] + (p0[1] - p0[0]) * fx, e = p1[0] + (p1[1] - p1[0]) * fx;
                        oi[q - i0] = a + (e - a) * fy;
                    }
                }
                i = i1 - 1;
                continue;
            }
            /* the edges: outside the capture, or near the box image's border */
            double x = xs + i * dux, y = ys + i * duy;
            float *oi = o + (size_t)i * nch;
            if (x < 0 || y < 0 || x > W || y > H) {
                for (int c = 0; c < nch; c++)
                    oi[c] = 0;
                outside++;
                continue;
            }
            bilinear_rows(b.rp, iw, ih, nch, bxs + i * bdx + 0.5, bys + i * bdy + 0.5, oi);
        }
    }
    free(b.cols), free(b.rows), free(b.slot_row), free((void *)b.rp);
    out->n_outside = outside;
    return DX_OK;
}

dx_status dx_reg_resample(const dx_image_view *capture, const dx_reg_transform *t,
                          double target_dpi, const dx_reg_rect *rect_mm, dx_reg_image *out,
                          dx_error *err)
{
    memset(out, 0, sizeof *out);
    static const size_t bpp[4] = {1, 2, 3, 6};
    if (!capture || !capture->data || !t || (unsigned)capture->format > DX_PIX_RGB16 ||
        capture->stride < capture->width * bpp[capture->format])
        return dx_error_set(err, DX_ERR_INVALID_ARG, "resample: bad image view");
    if (capture->width != t->width || capture->height != t->height)
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "resample: the image is %ux%u, the transform was made for %ux%u",
                            capture->width, capture->height, t->width, t->height);
    if (!(target_dpi >= 10 && target_dpi <= 2400))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "resample: dpi %g outside 10..2400",
                            target_dpi);
    dx_reg_rect r = rect_mm ? *rect_mm : (dx_reg_rect){0, 0, t->page_w_mm, t->page_h_mm};
    double ppm = target_dpi / 25.4;
    double fw = r.w * ppm, fh = r.h * ppm;
    if (!(fw >= 1 && fh >= 1 && fw * fh <= (double)(1 << 28) && isfinite(r.x) && isfinite(r.y)))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "resample: region %g x %g mm gives no pixels or too many", r.w, r.h);
    int w = (int)lround(fw), h = (int)lround(fh);
    int nch = capture->format == DX_PIX_RGB8 || capture->format == DX_PIX_RGB16 ? 3 : 1;
    if (!page_alloc(out, (size_t)w * h * nch * sizeof(float)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "resample: out of memory");
    out->w = w, out->h = h, out->ch = nch, out->dpi = target_dpi;
    out->x_mm = r.x, out->y_mm = r.y;
    double ratio = t->scale / ppm; /* capture px per output px */
    {
        /* the page itself at its own dpi (reference images): pixel for pixel */
        double ox, oy;
        dx_reg_apply(t, r.x, r.y, &ox, &oy);
        if (t->m[0][1] == 0 && t->m[1][0] == 0 && fabs(t->m[0][0] / ppm - 1) < 1e-9 &&
            fabs(t->m[1][1] / ppm - 1) < 1e-9 && fabs(ox - lround(ox)) < 1e-6 &&
            fabs(oy - lround(oy)) < 1e-6)
            return copy_pixels(capture, (int)lround(ox), (int)lround(oy), nch, out);
    }
    if (ratio >= 2.0)
        return resample_boxed(capture, t, ppm, r, nch, (int)floor(ratio), out, err);
    int k = ratio >= 1.5 ? (int)ceil(ratio) : 1;
    if (k > 16)
        k = 16;
    double inv_k = 1.0 / k;
    size_t outside = 0;
    /* capture position of output pixel (i, j), sub-sample (sa, sb):
     * P = M (x_mm + (i + (sa + .5)/k) / ppm, y_mm + (j + (sb + .5)/k) / ppm) */
    double dux = t->m[0][0] / ppm, duy = t->m[1][0] / ppm; /* per output px in u */
    double dvx = t->m[0][1] / ppm, dvy = t->m[1][1] / ppm;
    double ox, oy;
    dx_reg_apply(t, r.x, r.y, &ox, &oy);
    for (int j = 0; j < h; j++) {
        float *o = out->px + (size_t)j * w * nch;
        for (int i = 0; i < w; i++, o += nch) {
            float acc[3] = {0, 0, 0}, s[3];
            bool in = true;
            for (int sb = 0; sb < k; sb++) {
                double fv = j + (sb + 0.5) * inv_k;
                for (int sa = 0; sa < k; sa++) {
                    double fu = i + (sa + 0.5) * inv_k;
                    double x = ox + fu * dux + fv * dvx, y = oy + fu * duy + fv * dvy;
                    if (!bilinear(capture, nch, x, y, s)) {
                        in = false;
                        continue;
                    }
                    for (int c = 0; c < nch; c++)
                        acc[c] += s[c];
                }
            }
            float norm = 1.0f / (float)(k * k);
            for (int c = 0; c < nch; c++)
                o[c] = in ? acc[c] * norm : 0;
            if (!in)
                outside++;
        }
    }
    out->n_outside = outside;
    return DX_OK;
}
