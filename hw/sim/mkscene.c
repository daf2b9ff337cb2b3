/* docex-mkscene — generate a scene for the sim plugin.
 *
 *   docex-mkscene --out DIR [--dpi N] [--width-mm W --height-mm H]
 *
 * Draws a synthetic ID-1/TD3-like card of the fictional state Utopia (shapes
 * only: no fonts, no real document, no real person) under every standard
 * illumination and writes DIR/<illumination>.png plus DIR/scene.json.  The
 * layout scales with the page size; the default is TD3, 125 x 88 mm, 150 dpi.
 * Every image is produced row by row, so a 600 dpi scene needs little memory. */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct rect {
    double x0, y0, x1, y1;
} rect;

typedef struct fibre {
    double x0, y0, x1, y1; /* segment, mm */
    int colour;            /* 0 red, 1 blue, 2 yellow */
} fibre;

#define N_CURVES 16
#define MAX_BARS 160
#define N_FIBRES 90
#define MRZ_COLS 44

typedef struct layout {
    double W, H, dpi;
    rect photo;
    double face_cx, face_cy, face_rx, face_ry;
    rect bars[MAX_BARS];
    int bar_kind[MAX_BARS]; /* 0 title, 1 label, 2 value */
    int n_bars;
    double mrz_x0, mrz_y0[2], mrz_cw, mrz_ch;
    int mrz[2][MRZ_COLS]; /* 0 filler '<', 1 glyph-like block, 2 narrow glyph */
    double emb_cx, emb_cy, emb_r;
    double wm_cx, wm_cy, wm_r;
    fibre fibres[N_FIBRES];
} layout;

/* What lies at one point of the card. */
typedef struct sample {
    double gu_a, gu_b;  /* guilloche families, 0..1 coverage */
    int photo;          /* 0 none, 1 photo background, 2 face, 3 hair, 4 shoulders, 5 eye */
    double title, label, value, mrz;
    double emb_ring, emb_disc;
    int fibre;          /* -1 or colour */
    double wm;          /* watermark density -1..1 (0 outside) */
    double retro;       /* coaxial retro-reflective pattern 0..1 */
    double relief;      /* oblique shading -1..1 */
} sample;

static uint64_t rng_state = 0x5EEDu;
static double rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static int in_rect(const rect *r, double x, double y)
{
    return x >= r->x0 && x < r->x1 && y >= r->y0 && y < r->y1;
}

static void add_bar(layout *L, int kind, double x0, double y0, double x1, double y1)
{
    if (L->n_bars >= MAX_BARS)
        return;
    L->bars[L->n_bars] = (rect){x0, y0, x1, y1};
    L->bar_kind[L->n_bars++] = kind;
}

/* A run of word-like bars from x0 up to about x1. */
static void add_words(layout *L, int kind, double x0, double x1, double y, double h)
{
    double x = x0;
    while (x < x1) {
        double len = (kind == 1 ? 3.0 : 4.0) + rnd() * (kind == 1 ? 6.0 : 12.0) * L->W / 125.0;
        if (x + len > x1)
            len = x1 - x;
        if (len < 1.0)
            break;
        add_bar(L, kind, x, y, x + len, y + h);
        x += len + 1.2 + rnd() * 0.8;
    }
}

static void make_layout(layout *L, double W, double H, double dpi)
{
    memset(L, 0, sizeof *L);
    L->W = W;
    L->H = H;
    L->dpi = dpi;
    L->photo = (rect){0.05 * W, 0.22 * H, 0.30 * W, 0.70 * H};
    L->face_cx = (L->photo.x0 + L->photo.x1) / 2;
    L->face_cy = L->photo.y0 + 0.42 * (L->photo.y1 - L->photo.y0);
    L->face_rx = 0.28 * (L->photo.x1 - L->photo.x0);
    L->face_ry = 0.26 * (L->photo.y1 - L->photo.y0);

    /* title: "UTOPIA" and "PASSPORT"-like bars */
    add_bar(L, 0, 0.05 * W, 0.05 * H, 0.32 * W, 0.11 * H);
    add_bar(L, 0, 0.36 * W, 0.06 * H, 0.62 * W, 0.10 * H);
    /* fields right of the photo: label line then value line */
    double fx0 = 0.34 * W, fx1 = 0.94 * W;
    for (int row = 0; row < 6; row++) {
        double y = 0.22 * H + row * 0.083 * H;
        double right = row == 0 ? 0.70 * W : fx0 + (0.35 + 0.6 * rnd()) * (fx1 - fx0);
        add_words(L, 1, fx0, fx0 + (0.15 + 0.2 * rnd()) * (fx1 - fx0), y, 0.012 * H);
        add_words(L, 2, fx0, right, y + 0.022 * H, 0.03 * H);
    }
    /* signature-like bar under the photo */
    add_words(L, 2, L->photo.x0, L->photo.x1, 0.73 * H, 0.025 * H);

    L->mrz_x0 = 0.04 * W;
    L->mrz_cw = 0.92 * W / MRZ_COLS;
    L->mrz_ch = 0.032 * H;
    L->mrz_y0[0] = H - 0.15 * H;
    L->mrz_y0[1] = H - 0.08 * H;
    for (int r = 0; r < 2; r++) {
        int fill_from = r == 0 ? 24 + (int)(rnd() * 10) : 44;
        for (int c = 0; c < MRZ_COLS; c++) {
            int filler = c >= fill_from || (r == 0 && c == 1) || rnd() < (r ? 0.05 : 0.12);
            L->mrz[r][c] = filler ? 0 : rnd() < 0.2 ? 2 : 1;
        }
    }
    L->emb_cx = 0.80 * W;
    L->emb_cy = 0.62 * H;
    L->emb_r = 0.09 * H;
    L->wm_cx = 0.80 * W;
    L->wm_cy = 0.30 * H;
    L->wm_r = 0.13 * H;
    for (int i = 0; i < N_FIBRES; i++) {
        double x = rnd() * W, y = rnd() * H, a = rnd() * M_PI, len = 1.5 + rnd() * 3.0;
        L->fibres[i] = (fibre){x, y, x + cos(a) * len, y + sin(a) * len, (int)(rnd() * 3)};
    }
}

/* Vertical positions of each guilloche curve at x (computed per column). */
typedef struct column {
    double ya[N_CURVES], sa[N_CURVES], yb[N_CURVES], sb[N_CURVES];
} column;

static void make_column(const layout *L, double x, column *col)
{
    for (int k = 0; k < N_CURVES; k++) {
        double base = L->H * (k + 0.5) / N_CURVES, ph = k * 0.7;
        double w1 = 2 * M_PI / (0.22 * L->W), w2 = 2 * M_PI / (0.09 * L->W);
        double amp1 = 0.045 * L->H, amp2 = 0.012 * L->H;
        col->ya[k] = base + amp1 * sin(w1 * x + ph) + amp2 * sin(w2 * x + 2 * ph);
        col->sa[k] = amp1 * w1 * cos(w1 * x + ph) + amp2 * w2 * cos(w2 * x + 2 * ph);
        col->yb[k] = base + amp1 * sin(-w1 * x + ph + 1.3) + amp2 * sin(w2 * x - ph);
        col->sb[k] = -amp1 * w1 * cos(-w1 * x + ph + 1.3) + amp2 * w2 * cos(w2 * x - ph);
    }
}

static double line_cov(double y, double yc, double slope, double half, double px)
{
    double d = fabs(y - yc) / sqrt(1 + slope * slope);
    double c = (half + px / 2 - d) / px; /* box-filtered edge */
    return c < 0 ? 0 : c > 1 ? 1 : c;
}

static double bar_mask(const layout *L, int kind, double x, double y)
{
    for (int i = 0; i < L->n_bars; i++)
        if (L->bar_kind[i] == kind && in_rect(&L->bars[i], x, y))
            return 1.0;
    return 0.0;
}

static double mrz_mask(const layout *L, double x, double y)
{
    for (int r = 0; r < 2; r++) {
        double ry = y - L->mrz_y0[r];
        if (ry < 0 || ry >= L->mrz_ch)
            continue;
        double cx = (x - L->mrz_x0) / L->mrz_cw;
        if (cx < 0 || cx >= MRZ_COLS)
            return 0;
        int c = (int)cx;
        double fx = cx - c, fy = ry / L->mrz_ch;
        switch (L->mrz[r][c]) {
        case 0: /* '<': a small chevron-like block */
            return fx > 0.25 && fx < 0.7 && fabs(fy - 0.5) < 0.12 + 0.25 * fabs(fx - 0.25) ? 1 : 0;
        case 1: /* glyph: a block with a notch */
            return fx > 0.15 && fx < 0.8 && !(fx > 0.38 && fx < 0.57 && fy > 0.3 && fy < 0.7) ? 1
                                                                                             : 0;
        default:
            return fx > 0.38 && fx < 0.6 ? 1 : 0;
        }
    }
    return 0;
}

static void sample_at(const layout *L, const column *col, double x, double y, sample *s)
{
    double px = 25.4 / L->dpi, half = 0.09;
    memset(s, 0, sizeof *s);
    s->fibre = -1;
    for (int k = 0; k < N_CURVES; k++) {
        double a = line_cov(y, col->ya[k], col->sa[k], half, px);
        double b = line_cov(y, col->yb[k], col->sb[k], half, px);
        s->gu_a = a > s->gu_a ? a : s->gu_a;
        s->gu_b = b > s->gu_b ? b : s->gu_b;
    }
    if (in_rect(&L->photo, x, y)) {
        double dx = (x - L->face_cx) / L->face_rx, dy = (y - L->face_cy) / L->face_ry;
        double sx = (x - L->face_cx) / (2.0 * L->face_rx);
        double sy = (y - (L->photo.y1 + 0.1 * (L->photo.y1 - L->photo.y0))) / (0.45 * (L->photo.y1 - L->photo.y0));
        double ex = fabs(x - L->face_cx) - 0.38 * L->face_rx, ey = y - (L->face_cy - 0.12 * L->face_ry);
        s->photo = 1;
        if (sx * sx + sy * sy < 1)
            s->photo = 4;
        if (dx * dx + (dy + 0.25) * (dy + 0.25) < 1.15 && dy < -0.35)
            s->photo = 3;
        if (dx * dx + dy * dy < 1)
            s->photo = (ex * ex / (0.016 * L->face_rx * L->face_rx) +
                        ey * ey / (0.005 * L->face_ry * L->face_ry)) < 1 ||
                       (fabs(x - L->face_cx) < 0.3 * L->face_rx &&
                        fabs(y - (L->face_cy + 0.5 * L->face_ry)) < 0.03 * L->face_ry) ? 5 : 2;
        s->gu_a = s->gu_b = 0;
    }
    s->title = bar_mask(L, 0, x, y);
    s->label = bar_mask(L, 1, x, y);
    s->value = bar_mask(L, 2, x, y);
    s->mrz = mrz_mask(L, x, y);

    double er = hypot(x - L->emb_cx, y - L->emb_cy) / L->emb_r;
    if (er < 1.0) {
        double ang = atan2(y - L->emb_cy, x - L->emb_cx);
        s->emb_disc = er < 0.82 ? 1.0 : 0.0;
        s->emb_ring = (er > 0.86 && er < 0.97) || (er < 0.5 && fabs(sin(6 * ang)) > 0.8) ? 1 : 0;
    }
    double wr = hypot((x - L->wm_cx) / 0.8, y - L->wm_cy) / L->wm_r;
    if (wr < 1.0)
        s->wm = (0.5 + 0.5 * cos(wr * 3 * M_PI)) * (1 - wr * wr) * (wr < 0.35 ? 1 : 0.7);
    for (int i = 0; i < N_FIBRES; i++) {
        const fibre *f = &L->fibres[i];
        double vx = f->x1 - f->x0, vy = f->y1 - f->y0;
        double minx = fmin(f->x0, f->x1) - 0.2, maxx = fmax(f->x0, f->x1) + 0.2;
        double miny = fmin(f->y0, f->y1) - 0.2, maxy = fmax(f->y0, f->y1) + 0.2;
        if (x < minx || x > maxx || y < miny || y > maxy)
            continue;
        double t = ((x - f->x0) * vx + (y - f->y0) * vy) / (vx * vx + vy * vy);
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        if (hypot(x - f->x0 - t * vx, y - f->y0 - t * vy) < fmax(0.07, px * 0.6)) {
            s->fibre = f->colour;
            break;
        }
    }
    /* coaxial: retro-reflective laminate of small rings on a grid */
    double g = 0.11 * L->H;
    double gx = fmod(x + g / 2, g) - g / 2, gy = fmod(y + g / 2, g) - g / 2;
    double gr = hypot(gx, gy);
    s->retro = fabs(gr - 0.28 * g) < 0.05 * g ? 1.0 : 0.0;
    /* oblique: relief of the intaglio title and text (light from the left) */
    double d = 0.25;
    double h_l = bar_mask(L, 0, x - d, y) + 0.6 * bar_mask(L, 2, x - d, y);
    double h_r = bar_mask(L, 0, x + d, y) + 0.6 * bar_mask(L, 2, x + d, y);
    s->relief = h_r - h_l;
}

static double mix(double a, double b, double t)
{
    return a + (b - a) * t;
}

static void ink(double c[3], const double ink_c[3], double t)
{
    for (int i = 0; i < 3; i++)
        c[i] = mix(c[i], ink_c[i], t);
}

static const double PHOTO_RGB[6][3] = {
    {0}, {205, 215, 225}, {222, 184, 150}, {70, 50, 40}, {60, 70, 110}, {40, 30, 30}};

/* Visible light, reflected. */
static void shade_white(const layout *L, const sample *s, double x, double y, double c[3])
{
    static const double gua[3] = {222, 150, 170}, gub[3] = {130, 185, 170},
                        title[3] = {30, 50, 110}, label[3] = {110, 120, 150},
                        value[3] = {25, 25, 35}, mrz[3] = {15, 15, 15}, emb[3] = {200, 170, 90};
    c[0] = 246 - 6 * y / L->H;
    c[1] = 241 - 4 * x / L->W;
    c[2] = 226;
    ink(c, gua, 0.7 * s->gu_a);
    ink(c, gub, 0.7 * s->gu_b);
    if (s->photo)
        memcpy(c, PHOTO_RGB[s->photo], sizeof PHOTO_RGB[0]);
    ink(c, emb, 0.9 * s->emb_ring);
    ink(c, title, s->title);
    ink(c, label, s->label);
    ink(c, value, s->value);
    ink(c, mrz, s->mrz);
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Renders one pixel under every light. */
enum { L_WHITE, L_UV254, L_UV313, L_UV365, L_IR730, L_IR870, L_IR950, L_WT, L_IRT, L_OBL, L_COAX,
       L_COUNT };
static const char *const LIGHT_NAMES[L_COUNT] = {
    "white", "uv254", "uv313", "uv365", "ir730", "ir870", "ir950",
    "white_transmitted", "ir_transmitted", "oblique", "coaxial"};
static const int LIGHT_CHANNELS[L_COUNT] = {3, 3, 1, 3, 1, 1, 1, 1, 1, 3, 3};
static const int LIGHT_DEPTH[L_COUNT] = {8, 8, 8, 8, 8, 16, 16, 8, 8, 8, 8};
static const long LIGHT_EXPOSURE_US[L_COUNT] = {8000, 250000, 200000, 120000, 15000, 20000,
                                                25000, 30000, 40000, 12000, 10000};

static void shade_all(const layout *L, const sample *s, double x, double y, double out[L_COUNT][3])
{
    double w[3];
    shade_white(L, s, x, y, w);
    double carbon = fmax(s->mrz, fmax(s->value * 0.85, s->title * 0.3));
    int dark_photo = s->photo >= 3;

    memcpy(out[L_WHITE], w, sizeof w);
    /* oblique: dimmer, light falling off to the right, relief highlights */
    for (int i = 0; i < 3; i++)
        out[L_OBL][i] = w[i] * (0.62 + 0.22 * (1 - x / L->W)) + 70 * s->relief;
    /* coaxial: flatter, with the retro-reflective laminate bright */
    for (int i = 0; i < 3; i++)
        out[L_COAX][i] = mix(w[i] * 0.85 + 25, 250, 0.75 * s->retro);
    /* uv365: UV-dull substrate, fluorescent emblem, fibres, invisible ink lines */
    {
        double *c = out[L_UV365];
        static const double fib[3][3] = {{255, 60, 60}, {80, 120, 255}, {240, 240, 60}};
        c[0] = 38; c[1] = 26; c[2] = 78;
        ink(c, (double[3]){70, 90, 200}, 0.6 * s->gu_b);
        if (s->photo)
            ink(c, (double[3]){20, 15, 40}, 0.8);
        ink(c, (double[3]){170, 255, 120}, s->emb_disc * 0.9);
        ink(c, (double[3]){60, 120, 50}, s->emb_ring);
        ink(c, (double[3]){15, 10, 30}, fmax(s->title, fmax(s->value, s->mrz)));
        if (s->fibre >= 0)
            memcpy(c, fib[s->fibre], sizeof fib[0]);
    }
    /* uv254: darker, emblem fluoresces orange-red, only the green fibres show */
    {
        double *c = out[L_UV254];
        c[0] = 22; c[1] = 14; c[2] = 36;
        ink(c, (double[3]){255, 120, 60}, s->emb_disc * (0.5 + 0.5 * s->emb_ring));
        ink(c, (double[3]){90, 40, 30}, 0.5 * s->gu_a);
        ink(c, (double[3]){8, 6, 12}, fmax(s->title, fmax(s->value, s->mrz)));
        if (s->fibre == 1)
            memcpy(c, (double[3]){90, 230, 110}, sizeof c[0] * 3);
    }
    /* uv313: grey */
    out[L_UV313][0] = mix(mix(45, 150, s->emb_disc), 18, fmax(s->mrz, s->title));
    /* ir730: partial dropout of the colour inks */
    {
        double v = 212 - 25 * (s->gu_a + s->gu_b) / 2;
        if (s->photo)
            v = dark_photo ? 70 : 150;
        v = mix(v, 190, s->emb_ring * 0.5);
        v = mix(v, 150, s->label);
        v = mix(v, 28, carbon);
        out[L_IR730][0] = v;
    }
    /* ir870 / ir950 (16 bit): background pattern and colour inks drop out */
    {
        double v = 52000 - 1500 * y / L->H;
        if (s->photo)
            v = dark_photo ? 9000 : 30000;
        v = mix(v, 6000, fmax(s->mrz, s->value * 0.9));
        out[L_IR870][0] = v;
        double v2 = 54000 - 1000 * x / L->W;
        if (s->photo)
            v2 = dark_photo ? 11000 : 33000;
        v2 = mix(v2, 7000, fmax(s->mrz, s->value * 0.9));
        out[L_IR950][0] = v2;
    }
    /* transmitted: watermark visible, printing shows as absorption */
    {
        double v = 150 + 70 * s->wm;
        double absorb = fmax(s->mrz, fmax(s->value, s->title)) * 0.6 + 0.25 * (s->gu_a + s->gu_b) / 2;
        if (s->photo)
            absorb = fmax(absorb, dark_photo ? 0.7 : 0.35);
        out[L_WT][0] = v * (1 - absorb);
        double vi = 172 + 30 * s->wm;
        double ai = fmax(s->mrz, s->value * 0.85) * 0.7 + (dark_photo ? 0.6 : s->photo ? 0.3 : 0);
        out[L_IRT][0] = vi * (1 - fmin(ai, 0.9));
    }
}

typedef struct writer {
    FILE *fp;
    png_structp png;
    png_infop info;
    uint8_t *row;
} writer;

static int writer_open(writer *wr, const char *dir, const char *name, uint32_t w, uint32_t h,
                       int channels, int depth, double dpi)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    memset(wr, 0, sizeof *wr);
    if (!(wr->fp = fopen(path, "wb"))) {
        fprintf(stderr, "docex-mkscene: %s: %s\n", path, strerror(errno));
        return -1;
    }
    wr->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    wr->info = wr->png ? png_create_info_struct(wr->png) : NULL;
    wr->row = malloc((size_t)w * channels * (depth / 8));
    if (!wr->png || !wr->info || !wr->row)
        return -1;
    if (setjmp(png_jmpbuf(wr->png)))
        return -1;
    png_init_io(wr->png, wr->fp);
    png_set_compression_level(wr->png, 9);
    png_set_IHDR(wr->png, wr->info, w, h, depth,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_uint_32 ppm = (png_uint_32)lround(dpi / 0.0254);
    png_set_pHYs(wr->png, wr->info, ppm, ppm, PNG_RESOLUTION_METER);
    png_write_info(wr->png, wr->info);
    return 0;
}

static int writer_row(writer *wr)
{
    if (setjmp(png_jmpbuf(wr->png)))
        return -1;
    png_write_row(wr->png, wr->row);
    return 0;
}

static int writer_close(writer *wr, int ok)
{
    int rc = ok ? 0 : -1;
    if (wr->png) {
        if (ok && setjmp(png_jmpbuf(wr->png)) == 0)
            png_write_end(wr->png, NULL);
        else if (ok)
            rc = -1;
        png_destroy_write_struct(&wr->png, &wr->info);
    }
    if (wr->fp && fclose(wr->fp) != 0)
        rc = -1;
    free(wr->row);
    return rc;
}

static int write_manifest(const char *dir, const layout *L, int dpi)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/scene.json", dir);
    if (!(f = fopen(path, "w")))
        return -1;
    fprintf(f, "{\n  \"format\": \"docex.scene/1\",\n");
    fprintf(f, "  \"name\": \"Utopia synthetic card (docex-mkscene, not a real document)\",\n");
    fprintf(f, "  \"dpi\": %d,\n", dpi);
    fprintf(f, "  \"page_mm\": {\"width\": %g, \"height\": %g},\n", L->W, L->H);
    fprintf(f, "  \"background\": [40, 40, 40],\n  \"exposure_us\": {\n");
    for (int i = 0; i < L_COUNT; i++)
        fprintf(f, "    \"%s\": %ld%s\n", LIGHT_NAMES[i], LIGHT_EXPOSURE_US[i],
                i + 1 < L_COUNT ? "," : "");
    fprintf(f, "  }\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: docex-mkscene --out DIR [--dpi N] [--width-mm W --height-mm H]\n"
               "  writes a synthetic Utopia card under every standard light as a sim scene\n"
               "  defaults: --dpi 150 --width-mm 125 --height-mm 88 (TD3)\n");
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    int dpi = 150;
    double W = 125, H = 88;
    writer wr[L_COUNT];
    int ok = 1, opened = 0;
    layout *L = NULL;
    column *cols = NULL;

    for (int i = 1; i < argc; i += 2) { /* options come as NAME VALUE pairs */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--out") && v) {
            out = v;
        } else if (!strcmp(a, "--dpi") && v) {
            dpi = atoi(v);
        } else if (!strcmp(a, "--width-mm") && v) {
            W = atof(v);
        } else if (!strcmp(a, "--height-mm") && v) {
            H = atof(v);
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!out || dpi < 50 || dpi > 4800 || !(W >= 10 && W <= 1000) || !(H >= 10 && H <= 1000)) {
        usage(stderr);
        return 2;
    }
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "docex-mkscene: %s: %s\n", out, strerror(errno));
        return 1;
    }
    uint32_t w = (uint32_t)lround(W / 25.4 * dpi), h = (uint32_t)lround(H / 25.4 * dpi);
    L = malloc(sizeof *L);
    cols = malloc(sizeof *cols * w);
    if (!L || !cols) {
        fprintf(stderr, "docex-mkscene: out of memory\n");
        ok = 0;
        goto done;
    }
    make_layout(L, W, H, dpi);
    for (uint32_t x = 0; x < w; x++)
        make_column(L, (x + 0.5) * 25.4 / dpi, &cols[x]);
    for (; opened < L_COUNT; opened++)
        if (writer_open(&wr[opened], out, LIGHT_NAMES[opened], w, h, LIGHT_CHANNELS[opened],
                        LIGHT_DEPTH[opened], dpi) != 0) {
            opened++;
            ok = 0;
            goto done;
        }
    for (uint32_t y = 0; y < h && ok; y++) {
        double my = (y + 0.5) * 25.4 / dpi;
        for (uint32_t x = 0; x < w; x++) {
            double mx = (x + 0.5) * 25.4 / dpi, px[L_COUNT][3];
            sample s;
            sample_at(L, &cols[x], mx, my, &s);
            shade_all(L, &s, mx, my, px);
            for (int l = 0; l < L_COUNT; l++) {
                int ch = LIGHT_CHANNELS[l];
                for (int c = 0; c < ch; c++) {
                    if (LIGHT_DEPTH[l] == 16) {
                        uint32_t v = (uint32_t)lround(clamp(px[l][c], 0, 65535));
                        wr[l].row[2 * x] = (uint8_t)(v >> 8); /* PNG is big-endian */
                        wr[l].row[2 * x + 1] = (uint8_t)v;
                    } else {
                        wr[l].row[(size_t)x * ch + c] = (uint8_t)lround(clamp(px[l][c], 0, 255));
                    }
                }
            }
        }
        for (int l = 0; l < L_COUNT && ok; l++)
            if (writer_row(&wr[l]) != 0)
                ok = 0;
    }
done:
    for (int l = 0; l < opened; l++)
        if (writer_close(&wr[l], ok) != 0)
            ok = 0;
    if (ok && write_manifest(out, L, dpi) != 0)
        ok = 0;
    free(cols);
    free(L);
    if (!ok) {
        fprintf(stderr, "docex-mkscene: failed to write the scene in %s\n", out);
        return 1;
    }
    return 0;
}
