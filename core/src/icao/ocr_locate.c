/* Finding the MRZ in an image (ICAO 9303 Part 3: 10 characters per inch,
 * 6 lines per inch, 2-3 lines of 30-44 characters).
 *
 * On a copy reduced to about 1200 pixels on its long side: a local-mean
 * threshold, connected components, chains of components of one height at a
 * steady spacing (text lines), collinear chains merged; then the group of 2 or
 * 3 long parallel lines one line pitch apart whose spans agree — the MRZ.  The
 * angle of its lines (least squares over the glyph centres) is the rotation
 * within +-10 degrees; whether it is upside down is decided when reading. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "icao/ocr.h"

typedef struct comp {
    int x0, y0, x1, y1; /* inclusive bbox */
    int n;
    double sx, sy;
    int next;           /* link to the right neighbour, -1 */
    int chain;
} comp;

typedef struct chain {
    int n;              /* components */
    double a, b;        /* centre line: y = a + b x (reduced image) */
    double xmin, xmax;  /* extent along x */
    double h;           /* median component height */
    double pitch;       /* median spacing of single glyphs, 0 if unknown */
    double cx, cy;      /* mean centre */
    double first_cx, last_cx; /* centre x of the first and last component */
    double first_w, last_w;
    bool merged;
} chain;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int find_root(int *p, int i)
{
    while (p[i] != i) {
        p[i] = p[p[i]];
        i = p[i];
    }
    return i;
}

/* Threshold: ink where darker than the local mean (window 2r+1) by a margin. */
static uint8_t *binarise(const dx_gray *g, int r)
{
    int w = g->w, h = g->h;
    uint32_t *ii = malloc(sizeof *ii * (size_t)(w + 1) * (h + 1));
    uint8_t *bin = calloc((size_t)w * h, 1);
    if (!ii || !bin) {
        free(ii);
        free(bin);
        return NULL;
    }
    memset(ii, 0, sizeof *ii * (size_t)(w + 1));
    for (int y = 0; y < h; y++) {
        uint32_t rs = 0;
        uint32_t *row = ii + (size_t)(y + 1) * (w + 1), *up = row - (w + 1);
        row[0] = 0;
        for (int x = 0; x < w; x++) {
            rs += g->px[(size_t)y * w + x];
            row[x + 1] = up[x + 1] + rs;
        }
    }
    for (int y = 0; y < h; y++) {
        int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > h ? h : y + r + 1;
        for (int x = 0; x < w; x++) {
            int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
            uint32_t s = ii[(size_t)y1 * (w + 1) + x1] - ii[(size_t)y0 * (w + 1) + x1] -
                         ii[(size_t)y1 * (w + 1) + x0] + ii[(size_t)y0 * (w + 1) + x0];
            int area = (x1 - x0) * (y1 - y0);
            int v = g->px[(size_t)y * w + x];
            /* v < mean * 0.85 - 4 */
            if ((int64_t)v * area * 100 < (int64_t)s * 85 - 4 * 100 * (int64_t)area)
                bin[(size_t)y * w + x] = 1;
        }
    }
    free(ii);
    return bin;
}

/* Connected components (8-neighbourhood) by flood fill. */
static int components(const uint8_t *bin, int w, int h, int minh, int maxh, comp **out, int *n_out)
{
    int cap = 1024, n = 0;
    comp *cs = malloc(sizeof *cs * (size_t)cap);
    int *stack = malloc(sizeof *stack * (size_t)w * h);
    uint8_t *seen = calloc((size_t)w * h, 1);
    if (!cs || !stack || !seen) {
        free(cs);
        free(stack);
        free(seen);
        return -1;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i0 = (size_t)y * w + x;
            if (!bin[i0] || seen[i0])
                continue;
            comp c = {x, y, x, y, 0, 0, 0, -1, -1};
            int sp = 0;
            stack[sp++] = (int)i0;
            seen[i0] = 1;
            while (sp) {
                int i = stack[--sp], px = i % w, py = i / w;
                c.n++;
                c.sx += px;
                c.sy += py;
                if (px < c.x0) c.x0 = px;
                if (px > c.x1) c.x1 = px;
                if (py < c.y0) c.y0 = py;
                if (py > c.y1) c.y1 = py;
                for (int dy = -1; dy <= 1; dy++) {
                    int yy = py + dy;
                    if (yy < 0 || yy >= h)
                        continue;
                    for (int dx = -1; dx <= 1; dx++) {
                        int xx = px + dx;
                        if (xx < 0 || xx >= w)
                            continue;
                        size_t j = (size_t)yy * w + xx;
                        if (bin[j] && !seen[j]) {
                            seen[j] = 1;
                            stack[sp++] = (int)j;
                        }
                    }
                }
            }
            int ch = c.y1 - c.y0 + 1, cw = c.x1 - c.x0 + 1;
            if (ch < minh || ch > maxh || cw > 8 * ch || c.n < 6)
                continue;
            /* a solid block is not a glyph */
            if (c.n > 0.92 * cw * ch && cw > 3)
                continue;
            if (n == cap) {
                comp *t = realloc(cs, sizeof *cs * (size_t)cap * 2);
                if (!t) {
                    free(cs);
                    free(stack);
                    free(seen);
                    return -1;
                }
                cs = t;
                cap *= 2;
            }
            cs[n++] = c;
        }
    free(stack);
    free(seen);
    *out = cs;
    *n_out = n;
    return 0;
}

static int cmp_comp_x(const void *a, const void *b)
{
    const comp *p = a, *q = b;
    return p->x0 < q->x0 ? -1 : p->x0 > q->x0;
}

/* Fit a chain from its member components. */
static void fit_chain(const comp *cs, const int *idx, int n, chain *c, double *tmp)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int k = 0; k < n; k++) {
        const comp *p = &cs[idx[k]];
        double x = (p->x0 + p->x1) / 2.0, y = (p->y0 + p->y1) / 2.0;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        tmp[k] = p->y1 - p->y0 + 1;
    }
    double den = n * sxx - sx * sx;
    c->b = n > 1 && fabs(den) > 1e-9 ? (n * sxy - sx * sy) / den : 0;
    c->a = (sy - c->b * sx) / n;
    c->cx = sx / n;
    c->cy = sy / n;
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_double);
    /* the 85th percentile: letters and digits, not the shorter '<' that can
     * fill most of a line */
    c->h = tmp[(n * 85) / 100];
    /* the bbox of a rotated glyph is taller: correct roughly */
    c->h /= 1.0 + 0.6 * fabs(c->b);
    const comp *f = &cs[idx[0]], *l = &cs[idx[n - 1]];
    c->xmin = f->x0;
    c->xmax = l->x1;
    c->first_cx = (f->x0 + f->x1) / 2.0;
    c->last_cx = (l->x0 + l->x1) / 2.0;
    c->first_w = f->x1 - f->x0 + 1;
    c->last_w = l->x1 - l->x0 + 1;
    int m = 0;
    for (int k = 0; k + 1 < n; k++) {
        const comp *p = &cs[idx[k]], *q = &cs[idx[k + 1]];
        double wp = p->x1 - p->x0 + 1, wq = q->x1 - q->x0 + 1;
        double d = (q->x0 + q->x1) / 2.0 - (p->x0 + p->x1) / 2.0;
        if (wp < 0.9 * c->h && wq < 0.9 * c->h && d > 0.8 * c->h && d < 1.6 * c->h)
            tmp[m++] = d;
    }
    if (m >= 3) {
        qsort(tmp, (size_t)m, sizeof *tmp, cmp_double);
        c->pitch = tmp[m / 2] * sqrt(1 + c->b * c->b);
    } else {
        c->pitch = 0;
    }
    c->n = n;
}

static dx_status locate_at(const dx_gray *g, double dpi, int factor, dx_ocr_layout *out,
                           dx_error *err);

/* Perpendicular (signed, y down) distance from chain a's line to point (x, y). */
static double perp(const chain *a, double x, double y)
{
    return (y - (a->a + a->b * x)) / sqrt(1 + a->b * a->b);
}

dx_status dx_ocr_locate(const dx_gray *g, double dpi, dx_ocr_layout *out, dx_error *err)
{
    dx_status st = locate_at(g, dpi, 0, out, err);
    /* small characters on a large image: look again at full resolution */
    if (st == DX_ERR_NOT_FOUND && out->factor > 1)
        st = locate_at(g, dpi, out->factor / 2, out, err);
    return st;
}

static dx_status locate_at(const dx_gray *g, double dpi, int factor, dx_ocr_layout *out,
                           dx_error *err)
{
    memset(out, 0, sizeof *out);
    dx_status st = DX_OK;
    /* work at about 150-200 dpi: characters 12-17 px high */
    int f = 1;
    if (dpi > 0)
        f = (int)floor(dpi / 150.0);
    else
        f = (int)lround((g->w > g->h ? g->w : g->h) / 800.0);
    if (f < 1)
        f = 1;
    if (factor > 0)
        f = factor;
    out->factor = f;
    dx_gray small = {0};
    uint8_t *bin = NULL;
    comp *cs = NULL;
    int n = 0;
    int *parent = NULL, *idx = NULL;
    double *tmp = NULL;
    chain *chains = NULL;
    int n_chains = 0;
    if ((st = dx_gray_downscale(g, f, &small, err)))
        goto done;
    int r = (small.w > small.h ? small.w : small.h) / 60;
    if (r < 10)
        r = 10;
    if (!(bin = binarise(&small, r))) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "mrz read: out of memory");
        goto done;
    }
    int maxh = small.h / 5 < 80 ? small.h / 5 : 80;
    if (maxh < 6)
        maxh = 6;
    if (components(bin, small.w, small.h, 5, maxh, &cs, &n)) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "mrz read: out of memory");
        goto done;
    }
    if (n < 20)
        goto none;
    qsort(cs, (size_t)n, sizeof *cs, cmp_comp_x);
    parent = malloc(sizeof *parent * (size_t)n);
    idx = malloc(sizeof *idx * (size_t)n);
    tmp = malloc(sizeof *tmp * (size_t)n);
    chains = malloc(sizeof *chains * (size_t)n);
    if (!parent || !idx || !tmp || !chains) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "mrz read: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++)
        parent[i] = i;
    /* link each component to its nearest right neighbour on the same line */
    for (int i = 0; i < n; i++) {
        comp *a = &cs[i];
        double ha = a->y1 - a->y0 + 1, cya = (a->y0 + a->y1) / 2.0;
        int best = -1;
        double best_gap = 1e9;
        for (int j = i + 1; j < n; j++) {
            comp *b = &cs[j];
            double hb = b->y1 - b->y0 + 1, hm = ha > hb ? ha : hb;
            double gap = b->x0 - a->x1;
            if (gap > 1.6 * hm && b->x0 - a->x1 > 1.6 * maxh)
                break;
            if (gap > 1.5 * hm || gap < -0.3 * hm)
                continue;
            if ((ha < hb ? ha : hb) < 0.55 * hm)
                continue;
            double cyb = (b->y0 + b->y1) / 2.0;
            if (fabs(cyb - cya) > 0.4 * hm)
                continue;
            if ((b->x0 + b->x1) < (a->x0 + a->x1))
                continue;
            if (gap < best_gap) {
                best_gap = gap;
                best = j;
            }
        }
        if (best >= 0) {
            int ra = find_root(parent, i), rb = find_root(parent, best);
            if (ra != rb)
                parent[rb] = ra;
        }
    }
    /* chains */
    int *order = idx; /* members grouped by root, in x order */
    for (int i = 0; i < n; i++)
        cs[i].chain = find_root(parent, i);
    {
        int *count = calloc((size_t)n, sizeof *count), *start = calloc((size_t)n + 1, sizeof *start);
        if (!count || !start) {
            free(count);
            free(start);
            st = dx_error_set(err, DX_ERR_NO_MEMORY, "mrz read: out of memory");
            goto done;
        }
        for (int i = 0; i < n; i++)
            count[cs[i].chain]++;
        for (int i = 0; i < n; i++)
            start[i + 1] = start[i] + count[i];
        memset(count, 0, sizeof *count * (size_t)n);
        for (int i = 0; i < n; i++)
            order[start[cs[i].chain] + count[cs[i].chain]++] = i;
        for (int rt = 0; rt < n; rt++) {
            int m = start[rt + 1] - start[rt];
            if (m < 5)
                continue;
            chain c;
            fit_chain(cs, order + start[rt], m, &c, tmp);
            c.merged = false;
            if (c.xmax - c.xmin < 8 * c.h)
                continue;
            chains[n_chains++] = c;
        }
        free(count);
        free(start);
    }
    /* merge collinear pieces of one line broken by a lost glyph */
    for (int i = 0; i < n_chains; i++) {
        for (int j = 0; j < n_chains; j++) {
            chain *a = &chains[i], *b = &chains[j];
            if (i == j || a->merged || b->merged || b->xmin < a->xmax)
                continue;
            double hm = a->h > b->h ? a->h : b->h;
            if (fabs(a->h - b->h) > 0.25 * hm || b->xmin - a->xmax > 4 * hm)
                continue;
            if (fabs(perp(a, b->first_cx, b->a + b->b * b->first_cx)) > 0.35 * hm)
                continue;
            double na = a->n, nb = b->n;
            a->a = (a->a * na + b->a * nb) / (na + nb);
            a->b = (a->b * na + b->b * nb) / (na + nb);
            a->xmax = b->xmax;
            a->last_cx = b->last_cx;
            a->last_w = b->last_w;
            a->pitch = a->pitch > 0 && b->pitch > 0 ? (a->pitch * na + b->pitch * nb) / (na + nb)
                                                    : (a->pitch > 0 ? a->pitch : b->pitch);
            a->n += b->n;
            a->cx = (a->xmin + a->xmax) / 2;
            a->cy = a->a + a->b * a->cx;
            b->merged = true;
            j = -1; /* look again from the start for further pieces */
        }
    }
    /* groups of 2-3 long parallel lines one line pitch apart */
    double best_score = 0;
    int best_members[3] = {-1, -1, -1}, best_k = 0;
    for (int i = 0; i < n_chains; i++) {
        chain *a = &chains[i];
        if (a->merged || a->xmax - a->xmin < 18 * a->h)
            continue;
        /* lines below a, nearest first */
        int mem[3] = {i, -1, -1}, k = 1;
        chain *prev = a;
        while (k < 3) {
            int pick = -1;
            double pick_d = 1e9;
            for (int j = 0; j < n_chains; j++) {
                chain *b = &chains[j];
                if (b->merged || j == i || b == prev)
                    continue;
                if (fabs(b->h - a->h) > 0.25 * a->h || fabs(atan(b->b) - atan(a->b)) > 0.04)
                    continue;
                double d = perp(prev, b->cx, b->cy);
                if (d < 1.35 * a->h || d > 2.7 * a->h)
                    continue;
                double la = a->xmax - a->xmin, lb = b->xmax - b->xmin;
                if (lb < 0.8 * la || lb > 1.25 * la)
                    continue;
                double ov = (a->xmax < b->xmax ? a->xmax : b->xmax) -
                            (a->xmin > b->xmin ? a->xmin : b->xmin);
                if (ov < 0.7 * (la < lb ? la : lb))
                    continue;
                if (d < pick_d) {
                    pick_d = d;
                    pick = j;
                }
            }
            if (pick < 0)
                break;
            mem[k++] = pick;
            prev = &chains[pick];
        }
        if (k < 2)
            continue;
        double len = 0;
        for (int q = 0; q < k; q++)
            len += chains[mem[q]].xmax - chains[mem[q]].xmin;
        double score = k * 1e6 + len + chains[mem[0]].cy; /* prefer 3 lines, long, low */
        if (score > best_score) {
            best_score = score;
            memcpy(best_members, mem, sizeof mem);
            best_k = k;
        }
    }
    if (best_k < 2)
        goto none;
    /* the layout, in full-resolution pixels */
    {
        double sb = 0, hsum = 0, psum = 0;
        int pn = 0;
        for (int q = 0; q < best_k; q++) {
            chain *c = &chains[best_members[q]];
            sb += c->b;
            hsum += c->h;
            if (c->pitch > 0) {
                psum += c->pitch;
                pn++;
            }
        }
        double b = sb / best_k, h = hsum / best_k * f;
        double pitch = pn ? psum / pn * f : h * 2.54 / 2.2;
        double cs_ = 1 / sqrt(1 + b * b);
        double maxspan = 0;
        out->n_lines = (size_t)best_k;
        for (int q = 0; q < best_k; q++) {
            chain *c = &chains[best_members[q]];
            /* first and last glyph centres: ends of the extent less half a glyph */
            double gw = 0.62 * h / f;
            double fx = c->first_w < 0.9 * c->h ? c->first_cx : c->xmin + gw / 2;
            double lx = c->last_w < 0.9 * c->h ? c->last_cx : c->xmax - gw / 2;
            dx_ocr_line *L = &out->lines[q];
            L->x0 = (fx + 0.5) * f;
            L->y0 = (c->a + c->b * fx + 0.5) * f;
            L->x1 = (lx + 0.5) * f;
            L->y1 = (c->a + c->b * lx + 0.5) * f;
            L->cap = h;
            L->pitch = pitch;
            double span = (lx - fx) * f / cs_;
            if (span > maxspan)
                maxspan = span;
        }
        /* number of cells from the span and the pitch */
        double cells = maxspan / pitch + 1;
        if (best_k == 3)
            out->n_chars = 30;
        else
            out->n_chars = fabs(cells - 36) < fabs(cells - 44) ? 36 : 44;
        if (best_k == 3 && (cells < 22 || cells > 38))
            goto none;
        if (best_k == 2 && (cells < 28 || cells > 52))
            goto none;
        out->angle = atan(b);
        out->pitch = maxspan / (double)(out->n_chars - 1);
        for (int q = 0; q < best_k; q++)
            out->lines[q].pitch = out->pitch;
    }
    goto done;
none:
    st = dx_error_set(err, DX_ERR_NOT_FOUND, "no MRZ found");
done:
    free(chains);
    free(tmp);
    free(idx);
    free(parent);
    free(cs);
    free(bin);
    dx_gray_free(&small);
    return st;
}
