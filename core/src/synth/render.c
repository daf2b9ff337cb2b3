/* docex synth — drawing a page under one light.
 *
 * The page is drawn in mm (cairo scaled by dpi / 25.4).  Each element's
 * material answers each light as an examiner knows it:
 *   substrate          white: cream; UV: dull (dark) — office paper glows;
 *                      IR: bright; transmitted: bright, with the watermark
 *   background inks    colour in white light, IR-transparent (drop out at 870)
 *   data and MRZ ink   carbon black: dark under every light (IR-absorbing);
 *                      labels, signature and photo dyes are IR-transparent
 *   emblem, fibres     invisible in white light, glow in their own colours
 *                      under UV (emblem green at 365 nm, orange at 254 nm)
 *   OVD                gold diffuse, purple at grazing light, mirror coaxial
 *   thread             dark band in transmitted light, windows in reflection
 *   perforation        holes: bright in transmitted light
 * Inks multiply the light under them; fluorescence adds. */
#include "synth/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <pango/pangocairo.h>
#include <png.h>

#include "image/image.h"

typedef enum lclass { L_VIS, L_OBL, L_COAX, L_UVA, L_UVB, L_UVC, L_IR, L_TVIS, L_TIR } lclass;

typedef struct light {
    lclass c;
    double ir_dropout; /* 0 (visible) .. 1 (IR-transparent inks vanish) */
    bool transmitted, uv, reflected_vis;
} light;

static bool light_of(const char *name, light *l)
{
    static const struct {
        const char *n;
        lclass c;
        double drop;
    } t[] = {{"white", L_VIS, 0},    {"oblique", L_OBL, 0},   {"coaxial", L_COAX, 0},
             {"uv365", L_UVA, 0},    {"uv313", L_UVB, 0},     {"uv254", L_UVC, 0},
             {"ir730", L_IR, 0.55},  {"ir870", L_IR, 1},      {"ir950", L_IR, 1},
             {"white_transmitted", L_TVIS, 0}, {"ir_transmitted", L_TIR, 1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].n, name) == 0) {
            l->c = t[i].c;
            l->ir_dropout = t[i].drop;
            l->transmitted = t[i].c == L_TVIS || t[i].c == L_TIR;
            l->uv = t[i].c == L_UVA || t[i].c == L_UVB || t[i].c == L_UVC;
            l->reflected_vis = t[i].c == L_VIS || t[i].c == L_OBL || t[i].c == L_COAX;
            return true;
        }
    return false;
}

/* ---- small deterministic generator ------------------------------------- */

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double urand(uint64_t *s)
{
    return (double)(mix(s) >> 11) / 9007199254740992.0;
}

static double nrand(uint64_t *s)
{
    double u = urand(s), v = urand(s);
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

uint64_t dx_synth_face_seed(const dx_synth_holder *h)
{
    uint64_t x = 1469598103934665603ull; /* FNV-1a over the identity */
    const char *parts[] = {h->surname, h->given_names, h->birth_date};
    for (size_t p = 0; p < 3; p++)
        for (const char *c = parts[p]; *c; c++)
            x = (x ^ (unsigned char)*c) * 1099511628211ull;
    return x ? x : 1;
}

/* ---- ink helpers --------------------------------------------------------- */

/* An ink of colour (r,g,b) 0..255 in white light: how it looks under `l`.
 * ir_absorbing: carbon (dark in IR), else a dye that IR passes.  Returns
 * false when the ink is invisible under this light. */
static bool ink_colour(const light *l, double r, double g, double b, bool ir_absorbing,
                       double out[3])
{
    double lum = (0.3 * r + 0.59 * g + 0.11 * b) / 255;
    switch (l->c) {
    case L_VIS:
    case L_COAX:
        out[0] = r / 255, out[1] = g / 255, out[2] = b / 255;
        return true;
    case L_OBL: /* grazing light: inks a little darker, less saturated */
        out[0] = (0.8 * r + 0.2 * lum * 255) / 255 * 0.95;
        out[1] = (0.8 * g + 0.2 * lum * 255) / 255 * 0.95;
        out[2] = (0.8 * b + 0.2 * lum * 255) / 255 * 0.95;
        return true;
    case L_UVA:
    case L_UVB:
    case L_UVC: /* inks absorb UV: darker than the dull paper */
        out[0] = out[1] = out[2] = 0.45 + 0.4 * lum;
        return true;
    case L_IR: {
        double v = ir_absorbing ? 0.12 + 0.2 * lum : 1 - (1 - lum) * (1 - l->ir_dropout) * 0.7;
        if (!ir_absorbing && l->ir_dropout >= 1)
            return false;
        out[0] = out[1] = out[2] = v;
        return true;
    }
    case L_TVIS: /* seen through the paper: the ink still absorbs */
        out[0] = 0.35 + 0.65 * r / 255, out[1] = 0.35 + 0.65 * g / 255,
        out[2] = 0.35 + 0.65 * b / 255;
        return true;
    case L_TIR:
        if (!ir_absorbing)
            return false;
        out[0] = out[1] = out[2] = 0.3;
        return true;
    }
    return false;
}

static bool set_ink(cairo_t *cr, const light *l, double r, double g, double b, bool ir_abs)
{
    double c[3];
    if (!ink_colour(l, r, g, b, ir_abs, c))
        return false;
    cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    return true;
}

static void set_glow(cairo_t *cr, double r, double g, double b, double a)
{
    cairo_set_operator(cr, CAIRO_OPERATOR_ADD);
    cairo_set_source_rgba(cr, r / 255, g / 255, b / 255, a);
}

/* ---- text ---------------------------------------------------------------- */

/* The layout of `text` in `font` with cap height about `h` mm (caller unrefs). */
static PangoLayout *text_layout(cairo_t *cr, const char *font, double h, const char *text)
{
    PangoLayout *lay = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    /* pango sizes are in points of the user space: 1 unit = 1 mm here; the
     * cap height of these fonts is about 0.72 of the size */
    pango_font_description_set_absolute_size(fd, h / 0.72 * PANGO_SCALE);
    pango_layout_set_font_description(lay, fd);
    pango_layout_set_text(lay, text, -1);
    pango_font_description_free(fd);
    return lay;
}

/* Draw `text` with its top left at (x, y) mm, cap height about `h` mm. */
static void text_at(cairo_t *cr, const char *font, double x, double y, double h, const char *text)
{
    PangoLayout *lay = text_layout(cr, font, h, text);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, lay);
    g_object_unref(lay);
}

static void text_path_at(cairo_t *cr, const char *font, double x, double y, double h,
                         const char *text)
{
    PangoLayout *lay = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_font_description_set_absolute_size(fd, h / 0.72 * PANGO_SCALE);
    pango_layout_set_font_description(lay, fd);
    pango_layout_set_text(lay, text, -1);
    cairo_move_to(cr, x, y);
    pango_cairo_layout_path(cr, lay);
    pango_font_description_free(fd);
    g_object_unref(lay);
}

/* ---- elements -------------------------------------------------------------- */

typedef struct rctx {
    const dx_synth_render_opts *o;
    const dx_spec_layout *lay;
    light l;
    cairo_t *cr;
    double px_per_mm;
} rctx;

static void rect_path(cairo_t *cr, dx_rect_mm r)
{
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
}

static void draw_substrate(rctx *c, const dx_spec_element *e)
{
    bool bright = c->o->defects.bright_paper;
    double v[3] = {0, 0, 0};
    switch (c->l.c) {
    case L_VIS: v[0] = 245, v[1] = 242, v[2] = 232; break;
    case L_OBL: v[0] = 214, v[1] = 210, v[2] = 199; break;
    case L_COAX: v[0] = 238, v[1] = 238, v[2] = 233; break;
    case L_UVA:
        if (bright) v[0] = 160, v[1] = 172, v[2] = 245;
        else v[0] = 30, v[1] = 28, v[2] = 44;
        break;
    case L_UVB:
        if (bright) v[0] = 110, v[1] = 118, v[2] = 190;
        else v[0] = 24, v[1] = 22, v[2] = 34;
        break;
    case L_UVC:
        if (bright) v[0] = 80, v[1] = 84, v[2] = 140;
        else v[0] = 18, v[1] = 18, v[2] = 26;
        break;
    case L_IR: v[0] = v[1] = v[2] = 230; break;
    case L_TVIS: v[0] = 200, v[1] = 195, v[2] = 178; break;
    case L_TIR: v[0] = v[1] = v[2] = 212; break;
    }
    if (bright && c->l.reflected_vis) /* brighteners: a cold white */
        v[0] -= 3, v[1] += 2, v[2] += 12;
    cairo_set_operator(c->cr, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_rgb(c->cr, v[0] / 255, v[1] / 255, fmin(v[2], 255) / 255);
    rect_path(c->cr, e->rect);
    cairo_fill(c->cr);
}

/* Guilloche: two families of modulated waves and a rosette, printed in two
 * IR-transparent colours. */
static void draw_guilloche(rctx *c, const dx_spec_element *e)
{
    cairo_t *cr = c->cr;
    const dx_synth_visual_defects *d = &c->o->defects;
    double lw = 0.07, alpha = 1;
    if (d->bg_blur_mm > 0) { /* a reprint from a scan: lines spread and fade */
        lw += 2 * d->bg_blur_mm;
        alpha = 0.07 / lw;
    }
    cairo_save(cr);
    rect_path(cr, e->rect);
    cairo_clip(cr);
    cairo_translate(cr, d->bg_shift_mm, d->bg_shift_mm * 0.6);
    cairo_set_line_width(cr, lw);
    static const double col[2][3] = {{118, 172, 190}, {214, 158, 184}};
    for (int fam = 0; fam < 2; fam++) {
        double ic[3];
        if (!ink_colour(&c->l, col[fam][0], col[fam][1], col[fam][2], false, ic))
            continue;
        cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
        cairo_set_source_rgba(cr, ic[0], ic[1], ic[2], alpha);
        for (double y0 = e->rect.y - 4; y0 < e->rect.y + e->rect.h + 4; y0 += 1.1) {
            for (double x = e->rect.x - 2; x <= e->rect.x + e->rect.w + 2; x += 0.25) {
                double ph = fam ? 0.9 : 0;
                double y = y0 + 1.3 * sin(2 * M_PI * x / 23.0 + y0 * 0.31 + ph) +
                           0.55 * sin(2 * M_PI * x / 7.1 + y0 * 0.17 + 2 * ph);
                if (x <= e->rect.x - 2)
                    cairo_move_to(cr, x, y);
                else
                    cairo_line_to(cr, x, y);
            }
            cairo_stroke(cr);
        }
    }
    /* rosette (hypotrochoid) centred in the right third */
    double ic[3];
    if (ink_colour(&c->l, 150, 120, 175, false, ic)) {
        double cx = e->rect.x + e->rect.w * 0.72, cy = e->rect.y + e->rect.h * 0.42;
        double R = fmin(e->rect.w, e->rect.h) * 0.22, r = R * 0.37, dd = R * 0.55;
        cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
        cairo_set_source_rgba(cr, ic[0], ic[1], ic[2], alpha);
        for (int i = 0; i <= 3700; i++) {
            double t = i * 2 * M_PI * 37 / 3700.0;
            double x = cx + (R - r) * cos(t) + dd * cos((R - r) / r * t);
            double y = cy + (R - r) * sin(t) - dd * sin((R - r) / r * t);
            if (i == 0)
                cairo_move_to(cr, x, y);
            else
                cairo_line_to(cr, x, y);
        }
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

static void draw_fibres(rctx *c, const dx_spec_element *e)
{
    if (c->o->defects.no_fibres || c->l.c == L_IR || c->l.transmitted)
        return;
    static const double glow[3][3] = {{240, 50, 60}, {70, 110, 255}, {235, 225, 60}};
    uint64_t s = c->o->seed ^ 0xF1B3E5ull;
    cairo_t *cr = c->cr;
    cairo_save(cr);
    rect_path(cr, e->rect); /* fibres only where the paper has them */
    cairo_clip(cr);
    cairo_set_line_width(cr, 0.09);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (int i = 0; i < e->count; i++) {
        double x = e->rect.x + 1 + urand(&s) * (e->rect.w - 2);
        double y = e->rect.y + 1 + urand(&s) * (e->rect.h - 2);
        double a = urand(&s) * 2 * M_PI, len = 2 + 3 * urand(&s), bend = nrand(&s) * 0.6;
        int k = (int)(mix(&s) % 3);
        double x1 = x + len * cos(a), y1 = y + len * sin(a);
        double mx = (x + x1) / 2 - bend * sin(a), my = (y + y1) / 2 + bend * cos(a);
        cairo_move_to(cr, x, y);
        cairo_curve_to(cr, mx, my, mx, my, x1, y1);
        if (c->l.uv) {
            double k2 = c->l.c == L_UVA ? 0.95 : 0.45;
            set_glow(cr, glow[k][0], glow[k][1], glow[k][2], k2);
        } else { /* faintly visible in the paper */
            cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
            cairo_set_source_rgb(cr, 0.93, 0.92, 0.93);
        }
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

static void emblem_path(cairo_t *cr, dx_rect_mm r)
{
    double cx = r.x + r.w / 2, cy = r.y + r.h / 2, R = fmin(r.w, r.h) / 2;
    cairo_new_path(cr);
    cairo_arc(cr, cx, cy, R * 0.95, 0, 2 * M_PI);
    cairo_new_sub_path(cr);
    cairo_arc_negative(cr, cx, cy, R * 0.85, 2 * M_PI, 0);
    cairo_new_sub_path(cr);
    for (int i = 0; i < 32; i++) { /* sixteen-pointed star */
        double a = i * M_PI / 16 - M_PI / 2, rr = (i % 2 ? 0.32 : 0.7) * R;
        if (i == 0)
            cairo_move_to(cr, cx + rr * cos(a), cy + rr * sin(a));
        else
            cairo_line_to(cr, cx + rr * cos(a), cy + rr * sin(a));
    }
    cairo_close_path(cr);
}

static void draw_uv_emblem(rctx *c, const dx_spec_element *e)
{
    const dx_synth_visual_defects *d = &c->o->defects;
    if (d->no_uv_emblem || !c->l.uv)
        return;
    cairo_t *cr = c->cr;
    emblem_path(cr, e->rect);
    if (c->l.c == L_UVA)
        d->wrong_uv_colour ? set_glow(cr, 70, 110, 255, 0.85) : set_glow(cr, 60, 225, 120, 0.85);
    else if (c->l.c == L_UVC)
        d->wrong_uv_colour ? set_glow(cr, 70, 110, 255, 0.6) : set_glow(cr, 240, 120, 40, 0.75);
    else
        set_glow(cr, 120, 200, 150, 0.4);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    cairo_fill(cr);
    /* the state's letters in the centre */
    text_path_at(cr, "DejaVu Sans Bold", e->rect.x + e->rect.w / 2 - e->rect.w * 0.14,
                 e->rect.y + e->rect.h / 2 - e->rect.h * 0.06, e->rect.h * 0.09, "UTO");
    cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_fill(cr);
}

static void draw_header(rctx *c, const dx_spec_element *e)
{
    if (!set_ink(c->cr, &c->l, 40, 60, 120, false))
        return;
    text_at(c->cr, "DejaVu Sans Bold", e->rect.x, e->rect.y, e->rect.h * 0.45, e->title);
    text_at(c->cr, "DejaVu Sans", e->rect.x + e->rect.w * 0.45, e->rect.y + e->rect.h * 0.2,
            e->rect.h * 0.22, e->subtitle);
}

static void draw_microprint(rctx *c, const dx_spec_element *e)
{
    if (!set_ink(c->cr, &c->l, 90, 60, 110, false))
        return;
    char line[512] = "";
    size_t n = strlen(e->text[0] ? e->text : "UTOPIA");
    for (size_t i = 0; i + n + 1 < sizeof line && i < (size_t)(e->rect.w / (e->rect.h * 0.75)); i += n)
        strncat(line, e->text[0] ? e->text : "UTOPIA", sizeof line - strlen(line) - 1);
    cairo_save(c->cr);
    rect_path(c->cr, e->rect);
    cairo_clip(c->cr);
    text_at(c->cr, "DejaVu Sans Condensed", e->rect.x, e->rect.y - e->rect.h * 0.25,
            e->rect.h * 0.7, line);
    cairo_restore(c->cr);
}

/* ---- the portrait ----------------------------------------------------------- */

static void draw_face(cairo_t *cr, double w, double h, uint64_t seed)
{
    uint64_t s = seed;
    static const double skins[][3] = {{0.94, 0.80, 0.69}, {0.85, 0.66, 0.50}, {0.66, 0.47, 0.33},
                                      {0.45, 0.31, 0.22}, {0.97, 0.86, 0.77}};
    static const double hairs[][3] = {{0.15, 0.10, 0.07}, {0.45, 0.30, 0.15}, {0.80, 0.65, 0.35},
                                      {0.55, 0.55, 0.55}, {0.30, 0.12, 0.08}};
    const double *skin = skins[mix(&s) % 5], *hair = hairs[mix(&s) % 5];
    double bg = 0.80 + 0.12 * urand(&s);
    double fw = w * (0.30 + 0.06 * urand(&s)), fh = h * (0.30 + 0.05 * urand(&s));
    double cx = w / 2 + (urand(&s) - 0.5) * w * 0.04, cy = h * 0.45;
    double hair_vol = 1.05 + 0.25 * urand(&s);
    /* background: light, plain (9303 Part 3 photo guidance) */
    cairo_set_source_rgb(cr, bg, bg, bg * 1.02 > 1 ? 1 : bg * 1.02);
    cairo_paint(cr);
    /* shoulders */
    cairo_set_source_rgb(cr, 0.2 + 0.4 * urand(&s), 0.2 + 0.3 * urand(&s), 0.25 + 0.4 * urand(&s));
    cairo_save(cr);
    cairo_translate(cr, w / 2, h * 1.02);
    cairo_scale(cr, w * 0.55, h * 0.28);
    cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
    cairo_restore(cr);
    cairo_fill(cr);
    /* neck */
    cairo_set_source_rgb(cr, skin[0] * 0.92, skin[1] * 0.92, skin[2] * 0.92);
    cairo_rectangle(cr, cx - fw * 0.45, cy + fh * 0.6, fw * 0.9, h * 0.25);
    cairo_fill(cr);
    /* hair behind */
    cairo_set_source_rgb(cr, hair[0], hair[1], hair[2]);
    cairo_save(cr);
    cairo_translate(cr, cx, cy - fh * 0.12);
    cairo_scale(cr, fw * hair_vol, fh * 1.05);
    cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
    cairo_restore(cr);
    cairo_fill(cr);
    /* face */
    cairo_pattern_t *g = cairo_pattern_create_radial(cx - fw * 0.2, cy - fh * 0.2, fw * 0.1, cx, cy,
                                                     fw * 1.1);
    cairo_pattern_add_color_stop_rgb(g, 0, fmin(1, skin[0] * 1.06), fmin(1, skin[1] * 1.06),
                                     fmin(1, skin[2] * 1.06));
    cairo_pattern_add_color_stop_rgb(g, 1, skin[0] * 0.8, skin[1] * 0.8, skin[2] * 0.8);
    cairo_set_source(cr, g);
    cairo_save(cr);
    cairo_translate(cr, cx, cy);
    cairo_scale(cr, fw * 0.82, fh);
    cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
    cairo_restore(cr);
    cairo_fill(cr);
    cairo_pattern_destroy(g);
    /* fringe */
    cairo_set_source_rgb(cr, hair[0], hair[1], hair[2]);
    cairo_save(cr);
    cairo_translate(cr, cx + (urand(&s) - 0.5) * fw * 0.3, cy - fh * 0.78);
    cairo_scale(cr, fw * 0.85, fh * (0.25 + 0.15 * urand(&s)));
    cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
    cairo_restore(cr);
    cairo_fill(cr);
    /* eyes, brows */
    double ey = cy - fh * 0.12, ex = fw * (0.30 + 0.05 * urand(&s));
    for (int side = -1; side <= 1; side += 2) {
        cairo_set_source_rgb(cr, 0.97, 0.97, 0.97);
        cairo_save(cr);
        cairo_translate(cr, cx + side * ex, ey);
        cairo_scale(cr, fw * 0.14, fh * 0.06);
        cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
        cairo_restore(cr);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.2 + 0.3 * urand(&s), 0.25 + 0.2 * urand(&s), 0.2);
        cairo_arc(cr, cx + side * ex, ey, fh * 0.05, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, hair[0] * 0.8, hair[1] * 0.8, hair[2] * 0.8);
        cairo_set_line_width(cr, fh * 0.035);
        cairo_move_to(cr, cx + side * (ex - fw * 0.16), ey - fh * 0.14);
        cairo_line_to(cr, cx + side * (ex + fw * 0.16), ey - fh * (0.16 + 0.04 * urand(&s)));
        cairo_stroke(cr);
    }
    /* nose and mouth */
    cairo_set_source_rgb(cr, skin[0] * 0.7, skin[1] * 0.65, skin[2] * 0.6);
    cairo_set_line_width(cr, fh * 0.025);
    cairo_move_to(cr, cx, ey + fh * 0.05);
    cairo_line_to(cr, cx - fw * 0.06, cy + fh * 0.28);
    cairo_line_to(cr, cx + fw * 0.05, cy + fh * 0.3);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.6 + 0.2 * urand(&s), 0.3, 0.3);
    cairo_set_line_width(cr, fh * 0.04);
    double mw = fw * (0.22 + 0.1 * urand(&s));
    cairo_move_to(cr, cx - mw, cy + fh * 0.5);
    cairo_curve_to(cr, cx - mw / 2, cy + fh * 0.56, cx + mw / 2, cy + fh * 0.56, cx + mw,
                   cy + fh * 0.5);
    cairo_stroke(cr);
}

dx_status dx_synth_portrait(uint64_t face_seed, uint32_t w, uint32_t h, uint8_t *rgb,
                            dx_error *err)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "portrait %ux%u: out of memory", w, h);
    }
    cairo_t *cr = cairo_create(s);
    draw_face(cr, w, h, face_seed);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    const uint8_t *p = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint32_t v = *(const uint32_t *)(p + (size_t)y * stride + 4 * x);
            uint8_t *o = rgb + ((size_t)y * w + x) * 3;
            o[0] = (uint8_t)(v >> 16), o[1] = (uint8_t)(v >> 8), o[2] = (uint8_t)v;
        }
    cairo_surface_destroy(s);
    return DX_OK;
}

/* The face drawn into the page's rect, as the light shows its dyes:
 * contrast 1 (colour), or a grey at reduced contrast (IR, ghost). */
static void paint_face(rctx *c, dx_rect_mm r, uint64_t seed, double contrast, bool grey,
                       cairo_operator_t op)
{
    cairo_t *cr = c->cr;
    int pw = (int)ceil(r.w * c->px_per_mm), ph = (int)ceil(r.h * c->px_per_mm);
    if (pw < 2 || ph < 2)
        return;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
    cairo_t *fc = cairo_create(s);
    draw_face(fc, pw, ph, seed);
    cairo_destroy(fc);
    cairo_surface_flush(s);
    if (grey || contrast < 1) {
        uint8_t *p = cairo_image_surface_get_data(s);
        int stride = cairo_image_surface_get_stride(s);
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++) {
                uint32_t *px = (uint32_t *)(p + (size_t)y * stride + 4 * x);
                double ch[3] = {(*px >> 16) & 255, (*px >> 8) & 255, *px & 255};
                if (grey)
                    ch[0] = ch[1] = ch[2] = 0.3 * ch[0] + 0.59 * ch[1] + 0.11 * ch[2];
                for (int k = 0; k < 3; k++)
                    ch[k] = 255 - (255 - ch[k]) * contrast;
                *px = ((uint32_t)lround(ch[0]) << 16) | ((uint32_t)lround(ch[1]) << 8) |
                      (uint32_t)lround(ch[2]);
            }
        cairo_surface_mark_dirty(s);
    }
    cairo_save(cr);
    cairo_translate(cr, r.x, r.y);
    cairo_scale(cr, r.w / pw, r.h / ph);
    cairo_set_source_surface(cr, s, 0, 0);
    cairo_set_operator(cr, op);
    cairo_rectangle(cr, 0, 0, pw, ph);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(s);
}

static void draw_portrait(rctx *c, const dx_spec_element *e)
{
    uint64_t seed = c->o->defects.face_seed ? c->o->defects.face_seed
                                            : dx_synth_face_seed(c->o->holder);
    switch (c->l.c) {
    case L_VIS:
    case L_COAX: paint_face(c, e->rect, seed, 1, false, CAIRO_OPERATOR_MULTIPLY); break;
    case L_OBL: paint_face(c, e->rect, seed, 0.9, false, CAIRO_OPERATOR_MULTIPLY); break;
    case L_IR: /* the colour layer passes IR: only a trace stays */
        paint_face(c, e->rect, seed, 0.12 + 0.3 * (1 - c->l.ir_dropout), true,
                   CAIRO_OPERATOR_MULTIPLY);
        break;
    case L_TIR: break;
    case L_TVIS: paint_face(c, e->rect, seed, 0.6, false, CAIRO_OPERATOR_MULTIPLY); break;
    default: paint_face(c, e->rect, seed, 0.5, true, CAIRO_OPERATOR_MULTIPLY); break;
    }
}

static void draw_ghost(rctx *c, const dx_spec_element *e)
{
    /* the ghost repeats the holder's face (a substituted photo does not) */
    uint64_t seed = dx_synth_face_seed(c->o->holder);
    double k = c->l.reflected_vis ? 0.38 : c->l.c == L_IR ? 0.3 : c->l.transmitted ? 0.25 : 0.2;
    if (c->l.c == L_TIR)
        return;
    paint_face(c, e->rect, seed, k, true, CAIRO_OPERATOR_MULTIPLY);
}

static void draw_thread(rctx *c, const dx_spec_element *e)
{
    cairo_t *cr = c->cr;
    if (c->l.transmitted) {
        cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        rect_path(cr, e->rect);
        cairo_fill(cr);
        return;
    }
    double v = c->l.c == L_COAX ? 0.98 : c->l.c == L_OBL ? 0.55 : c->l.c == L_IR ? 0.7
             : c->l.uv ? 0.05 : 0.68;
    cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
    cairo_set_source_rgb(cr, v, v, v * 1.01 > 1 ? 1 : v * 1.01);
    for (double y = e->rect.y + 2; y + 4 <= e->rect.y + e->rect.h; y += 9) /* windows */
        cairo_rectangle(cr, e->rect.x, y, e->rect.w, 4);
    cairo_fill(cr);
}

static void month_date(const char *yyyymmdd, char *out, size_t size)
{
    static const char *const mon[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    int m = (yyyymmdd[4] - '0') * 10 + yyyymmdd[5] - '0';
    snprintf(out, size, "%.2s %s %.4s", yyyymmdd + 6, mon[(m >= 1 && m <= 12) ? m - 1 : 0],
             yyyymmdd);
}

/* The text of visual-zone field `key`. */
static void field_value(const dx_synth_render_opts *o, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    if (o->defects.viz_key[0] && strcmp(o->defects.viz_key, key) == 0) {
        snprintf(out, size, "%s", o->defects.viz_value);
        return;
    }
    dx_synth_field_text(o->holder, key, out, size);
}

void dx_synth_field_text(const dx_synth_holder *h, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    if (!strcmp(key, "document_code")) snprintf(out, size, "%s", h->document_code);
    else if (!strcmp(key, "issuing_state")) snprintf(out, size, "%s", h->issuing_state);
    else if (!strcmp(key, "document_number")) snprintf(out, size, "%s", h->document_number);
    else if (!strcmp(key, "surname")) snprintf(out, size, "%s", h->surname);
    else if (!strcmp(key, "given_names")) snprintf(out, size, "%s", h->given_names);
    else if (!strcmp(key, "nationality")) snprintf(out, size, "%s", h->nationality);
    else if (!strcmp(key, "nationality_name"))
        snprintf(out, size, "%s", strcmp(h->nationality, "UTO") == 0 ? "UTOPIAN" : h->nationality);
    else if (!strcmp(key, "birth_date")) month_date(h->birth_date, out, size);
    else if (!strcmp(key, "issue_date")) month_date(h->issue_date, out, size);
    else if (!strcmp(key, "expiry_date")) month_date(h->expiry_date, out, size);
    else if (!strcmp(key, "sex")) snprintf(out, size, "%c", h->sex);
    else if (!strcmp(key, "place_of_birth")) snprintf(out, size, "%s", h->place_of_birth);
    else if (!strcmp(key, "authority")) snprintf(out, size, "%s", h->authority);
    else if (!strcmp(key, "optional_data")) snprintf(out, size, "%s", h->optional_data);
    else if (!strcmp(key, "can")) snprintf(out, size, "%s", h->can);
}

#define LABEL_H 1.15
#define VALUE_H 2.3
#define VALUE_DY 1.9
#define VALUE_FONT "DejaVu Sans"

bool dx_synth_field_box(const dx_spec_layout *l, const char *key, dx_rect_mm *out, int *side)
{
    for (size_t i = 0; i < l->n_elems; i++) {
        const dx_spec_element *e = &l->elems[i];
        if (e->type != DX_ELEM_DATA)
            continue;
        for (size_t f = 0; f < e->n_fields; f++)
            if (strcmp(e->fields[f].key, key) == 0 ||
                (strcmp(key, "nationality") == 0 && strcmp(e->fields[f].key, "nationality_name") == 0)) {
                const dx_spec_field *sf = &e->fields[f];
                /* the value's line, as wide as the data area allows */
                double x1 = e->rect.x + e->rect.w;
                for (size_t g = 0; g < e->n_fields; g++) /* up to the next field on the row */
                    if (g != f && fabs(e->fields[g].y - sf->y) < 0.5 && e->fields[g].x > sf->x &&
                        e->fields[g].x < x1)
                        x1 = e->fields[g].x;
                *out = (dx_rect_mm){sf->x - 0.2, sf->y + VALUE_DY * sf->size - 0.3,
                                    x1 - sf->x, (VALUE_H / 0.72 * 1.25) * sf->size + 0.6};
                if (side)
                    *side = e->side;
                return true;
            }
    }
    return false;
}

static void draw_data(rctx *c, const dx_spec_element *e)
{
    cairo_t *cr = c->cr;
    for (size_t i = 0; i < e->n_fields; i++) {
        const dx_spec_field *f = &e->fields[i];
        if (set_ink(cr, &c->l, 50, 70, 130, false))
            text_at(cr, "DejaVu Sans", f->x, f->y, LABEL_H * f->size, f->label);
        char v[96];
        field_value(c->o, f->key, v, sizeof v);
        if (v[0] && set_ink(cr, &c->l, 22, 22, 28, true))
            text_at(cr, VALUE_FONT, f->x, f->y + VALUE_DY * f->size, VALUE_H * f->size, v);
    }
}

dx_status dx_synth_field_draw(const dx_spec_layout *l, const char *key, const char *text,
                              dx_rect_mm area, double dpi, dx_synth_image *out,
                              dx_rect_mm *cells, double *em_mm, dx_error *err)
{
    memset(out, 0, sizeof *out);
    const dx_spec_field *f = NULL;
    for (size_t i = 0; i < l->n_elems && !f; i++)
        for (size_t k = 0; l->elems[i].type == DX_ELEM_DATA && k < l->elems[i].n_fields && !f; k++)
            if (strcmp(l->elems[i].fields[k].key, key) == 0)
                f = &l->elems[i].fields[k];
    if (!f)
        return dx_error_set(err, DX_ERR_NOT_FOUND, "synth: %s shows no field \"%s\"", l->id, key);
    double ppm = dpi / 25.4;
    if (!(dpi >= 50 && dpi <= 2400) || !(area.w * ppm >= 0.5 && area.w * ppm < 20000) ||
        !(area.h * ppm >= 0.5 && area.h * ppm < 20000))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "synth: field %s: %.1f x %.1f mm at %g dpi is no image", key, area.w,
                            area.h, dpi);
    long w = lround(area.w * ppm), h = lround(area.h * ppm);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "synth: %ldx%ld image: out of memory", w, h);
    }
    out->data = malloc((size_t)w * (size_t)h);
    if (!out->data) {
        cairo_surface_destroy(s);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "synth: out of memory");
    }
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, ppm, ppm);
    cairo_translate(cr, -area.x, -area.y);
    cairo_set_source_rgb(cr, 0, 0, 0);
    /* as draw_data prints the value (text_at); the cells from that layout */
    double x = f->x, y = f->y + VALUE_DY * f->size, ch = VALUE_H * f->size;
    PangoLayout *lay = text_layout(cr, VALUE_FONT, ch, text);
    for (size_t i = 0; cells && text[i]; i++) {
        PangoRectangle r;
        pango_layout_index_to_pos(lay, (int)i, &r);
        cells[i] = (dx_rect_mm){x + (double)r.x / PANGO_SCALE, y + (double)r.y / PANGO_SCALE,
                                (double)r.width / PANGO_SCALE, (double)r.height / PANGO_SCALE};
    }
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, lay);
    g_object_unref(lay);
    if (em_mm)
        *em_mm = ch / 0.72;
    cairo_destroy(cr);
    cairo_surface_flush(s);
    const uint8_t *p = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (long j = 0; j < h; j++)
        for (long i = 0; i < w; i++) {
            uint32_t v = *(const uint32_t *)(p + (size_t)j * stride + 4 * (size_t)i);
            double g = 0.3 * ((v >> 16) & 255) + 0.59 * ((v >> 8) & 255) + 0.11 * (v & 255);
            out->data[(size_t)j * w + i] = (uint8_t)(g + 0.5);
        }
    cairo_surface_destroy(s);
    out->width = (uint32_t)w;
    out->height = (uint32_t)h;
    out->channels = 1;
    out->bits = 8;
    return DX_OK;
}

static void draw_signature(rctx *c, const dx_spec_element *e)
{
    cairo_t *cr = c->cr;
    if (!set_ink(cr, &c->l, 30, 40, 120, false))
        return;
    uint64_t s = dx_synth_face_seed(c->o->holder) ^ 0x5167ull;
    double x = e->rect.x + 2, y = e->rect.y + e->rect.h * 0.6;
    cairo_set_line_width(cr, 0.28);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_move_to(cr, x, y);
    for (int i = 0; i < 9 && x < e->rect.x + e->rect.w - 6; i++) {
        double dx = 2 + 3 * urand(&s), up = e->rect.h * (0.15 + 0.3 * urand(&s));
        cairo_curve_to(cr, x + dx * 0.3, y - up, x + dx * 0.7, y + up * 0.8, x + dx,
                       y + (urand(&s) - 0.5) * 1.5);
        x += dx;
    }
    cairo_stroke(cr);
    cairo_move_to(cr, e->rect.x + 3, e->rect.y + e->rect.h * 0.8);
    cairo_curve_to(cr, e->rect.x + 12, e->rect.y + e->rect.h * 0.95, e->rect.x + 20,
                   e->rect.y + e->rect.h * 0.7, x, e->rect.y + e->rect.h * 0.75);
    cairo_stroke(cr);
}

static void draw_ovd(rctx *c, const dx_spec_element *e)
{
    cairo_t *cr = c->cr;
    double base[3], line[3];
    cairo_operator_t op = CAIRO_OPERATOR_OVER;
    switch (c->l.c) {
    case L_VIS: base[0] = 200, base[1] = 184, base[2] = 110; line[0] = 110, line[1] = 150, line[2] = 90; break;
    case L_OBL: base[0] = 150, base[1] = 70, base[2] = 160; line[0] = 230, line[1] = 200, line[2] = 240; break;
    case L_COAX: base[0] = 250, base[1] = 250, base[2] = 246; line[0] = 60, line[1] = 60, line[2] = 70; break;
    case L_IR: base[0] = base[1] = base[2] = 175; line[0] = line[1] = line[2] = 140; break;
    case L_TVIS:
    case L_TIR:
        op = CAIRO_OPERATOR_MULTIPLY;
        base[0] = base[1] = base[2] = 120; line[0] = line[1] = line[2] = 100;
        break;
    default: base[0] = base[1] = base[2] = 40; line[0] = line[1] = line[2] = 34; break;
    }
    cairo_save(cr);
    cairo_set_operator(cr, op);
    double r = 1.5;
    dx_rect_mm q = e->rect;
    cairo_new_path(cr);
    cairo_arc(cr, q.x + q.w - r, q.y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, q.x + q.w - r, q.y + q.h - r, r, 0, M_PI / 2);
    cairo_arc(cr, q.x + r, q.y + q.h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, q.x + r, q.y + r, r, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, base[0] / 255, base[1] / 255, base[2] / 255);
    cairo_fill_preserve(cr);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, line[0] / 255, line[1] / 255, line[2] / 255);
    cairo_set_line_width(cr, 0.18);
    double cx = q.x + q.w / 2, cy = q.y + q.h / 2;
    for (double rr = 0.8; rr < q.w; rr += 0.9) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, cx, cy, rr, 0, 2 * M_PI);
    }
    cairo_stroke(cr);
    emblem_path(cr, (dx_rect_mm){q.x + q.w * 0.2, q.y + q.h * 0.2, q.w * 0.6, q.h * 0.6});
    cairo_fill(cr);
    cairo_restore(cr);
}

static void draw_watermark(rctx *c, const dx_spec_element *e)
{
    if (!c->l.transmitted || c->o->defects.no_watermark)
        return;
    cairo_t *cr = c->cr;
    /* multitone: the emblem denser (darker), the letters thinner (lighter) */
    double d = fmin(e->rect.w, e->rect.h);
    emblem_path(cr, (dx_rect_mm){e->rect.x + 1, e->rect.y + (e->rect.h - d) / 2 + 0.5, d - 1, d - 1});
    cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
    cairo_set_source_rgb(cr, 0.72, 0.72, 0.72);
    cairo_fill(cr);
    text_path_at(cr, "DejaVu Sans Bold", e->rect.x + d + 1.5, e->rect.y + e->rect.h * 0.2,
                 e->rect.h * 0.5, "UTO");
    set_glow(cr, 28, 28, 28, 1);
    cairo_fill(cr);
}

static void draw_perforation(rctx *c, const dx_spec_element *e)
{
    char v[64];
    field_value(c->o, e->key[0] ? e->key : "document_number", v, sizeof v);
    if (c->o->defects.viz_key[0] && strcmp(c->o->defects.viz_key, "document_number") == 0) {
        /* perforated at issue: not changed by an altered visual zone */
        snprintf(v, sizeof v, "%s", c->o->holder->document_number);
    }
    /* the number as 0.5 mm dots, reading bottom to top: rasterise it onto a
     * grid and punch a hole at every inked cell */
    const double pitch = 0.5;
    int cols = (int)(e->rect.h / pitch), rows = (int)(e->rect.w / pitch);
    if (cols < 4 || rows < 4)
        return;
    cairo_surface_t *m = cairo_image_surface_create(CAIRO_FORMAT_A8, cols, rows);
    cairo_t *mc = cairo_create(m);
    double ch = rows * 0.62;
    text_at(mc, "DejaVu Sans Mono Bold", 0.5, (rows - ch / 0.72) / 2 + 0.3, ch, v);
    cairo_destroy(mc);
    cairo_surface_flush(m);
    const uint8_t *p = cairo_image_surface_get_data(m);
    int stride = cairo_image_surface_get_stride(m);
    cairo_t *cr = c->cr;
    cairo_new_path(cr);
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++)
            if (p[(size_t)r * stride + k] > 110) {
                /* rotate: text column k runs up the page from the bottom */
                double x = e->rect.x + (r + 0.5) * pitch;
                double y = e->rect.y + e->rect.h - (k + 0.5) * pitch;
                cairo_new_sub_path(cr);
                cairo_arc(cr, x, y, 0.17, 0, 2 * M_PI);
            }
    cairo_surface_destroy(m);
    if (c->l.transmitted) {
        cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
        cairo_set_source_rgb(cr, 1, 1, 1);
    } else {
        cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
        cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    }
    cairo_fill(cr);
}

#define MRZ_PITCH 2.54   /* 10 characters per inch (9303 Part 3 §4.3) */
#define MRZ_CAP_H 2.35   /* OCR-B size I: 2.0 to 3.0 mm */

static double mrz_line_pitch(const dx_rect_mm *r, size_t n)
{
    return fmin(r->h / (double)n, 4.3);
}

dx_rect_mm dx_synth_mrz_cell(const dx_spec_layout *l, size_t n_lines, unsigned line,
                             unsigned column)
{
    for (size_t i = 0; i < l->n_elems; i++)
        if (l->elems[i].type == DX_ELEM_MRZ) {
            const dx_rect_mm *r = &l->elems[i].rect;
            double lp = mrz_line_pitch(r, n_lines);
            double y0 = r->y + (r->h - lp * (double)n_lines) / 2;
            return (dx_rect_mm){r->x + 1.0 + column * MRZ_PITCH, y0 + line * lp, MRZ_PITCH, lp};
        }
    return (dx_rect_mm){0, 0, 0, 0};
}

static void draw_mrz(rctx *c, const dx_spec_element *e)
{
    cairo_t *cr = c->cr;
    const dx_synth_render_opts *o = c->o;
    bool ir_abs = !o->defects.inkjet_mrz;
    if (!set_ink(cr, &c->l, 15, 15, 18, ir_abs))
        return;
    if (o->defects.inkjet_mrz && c->l.reflected_vis) /* dye ink: a little bluish */
        cairo_set_source_rgb(cr, 0.07, 0.07, 0.1);
    for (size_t ln = 0; ln < o->n_mrz; ln++)
        for (size_t col = 0; o->mrz[ln][col]; col++) {
            char ch[2] = {o->mrz[ln][col], 0};
            dx_rect_mm cell = dx_synth_mrz_cell(c->lay, o->n_mrz, (unsigned)ln, (unsigned)col);
            (void)e;
            /* the glyph's layout box starts about 0.3 cap heights above the cap top */
            text_at(cr, "OCR B", cell.x + 0.25, cell.y + (cell.h - MRZ_CAP_H) / 2 - MRZ_CAP_H * 0.3,
                    MRZ_CAP_H, ch);
        }
}

/* ---- the page ---------------------------------------------------------------- */

static void draw_page(rctx *c, int side)
{
    const dx_spec_layout *l = c->lay;
    for (size_t i = 0; i < l->n_elems; i++) {
        const dx_spec_element *e = &l->elems[i];
        if (e->side != side)
            continue;
        cairo_save(c->cr);
        switch (e->type) {
        case DX_ELEM_SUBSTRATE: draw_substrate(c, e); break;
        case DX_ELEM_GUILLOCHE: draw_guilloche(c, e); break;
        case DX_ELEM_FIBRES: draw_fibres(c, e); break;
        case DX_ELEM_UV_EMBLEM: draw_uv_emblem(c, e); break;
        case DX_ELEM_HEADER: draw_header(c, e); break;
        case DX_ELEM_MICROPRINT: draw_microprint(c, e); break;
        case DX_ELEM_PORTRAIT: draw_portrait(c, e); break;
        case DX_ELEM_THREAD: draw_thread(c, e); break;
        case DX_ELEM_DATA: draw_data(c, e); break;
        case DX_ELEM_SIGNATURE: draw_signature(c, e); break;
        case DX_ELEM_OVD: draw_ovd(c, e); break;
        case DX_ELEM_GHOST: draw_ghost(c, e); break;
        case DX_ELEM_WATERMARK: draw_watermark(c, e); break;
        case DX_ELEM_PERFORATION: draw_perforation(c, e); break;
        case DX_ELEM_MRZ: draw_mrz(c, e); break;
        case DX_ELEM_COUNT: break;
        }
        cairo_restore(c->cr);
    }
}

/* Gaussian blur of an xRGB32 buffer, sigma in pixels (three box passes). */
static void box_blur(uint8_t *p, int w, int h, int stride, int radius)
{
    if (radius < 1)
        return;
    int n = w > h ? w : h;
    uint32_t *tmp = malloc((size_t)n * 3 * sizeof *tmp);
    uint8_t *line = malloc((size_t)n * 4);
    if (!tmp || !line) {
        free(tmp);
        free(line);
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
        int len = pass ? h : w, count = pass ? w : h;
        for (int j = 0; j < count; j++) {
            for (int i = 0; i < len; i++)
                memcpy(line + 4 * i, pass ? p + (size_t)i * stride + 4 * j
                                          : p + (size_t)j * stride + 4 * i, 4);
            uint32_t acc[3] = {0, 0, 0};
            for (int i = -radius - 1; i < radius; i++) {
                int k = i < 0 ? 0 : i >= len ? len - 1 : i;
                for (int ch = 0; ch < 3; ch++)
                    acc[ch] += line[4 * k + ch];
            }
            for (int i = 0; i < len; i++) {
                int add = i + radius < len ? i + radius : len - 1;
                int sub = i - radius - 1 < 0 ? 0 : i - radius - 1;
                for (int ch = 0; ch < 3; ch++) {
                    acc[ch] += line[4 * add + ch];
                    acc[ch] -= line[4 * sub + ch];
                    tmp[3 * i + ch] = acc[ch];
                }
            }
            for (int i = 0; i < len; i++) {
                uint8_t *o = pass ? p + (size_t)i * stride + 4 * j : p + (size_t)j * stride + 4 * i;
                for (int ch = 0; ch < 3; ch++)
                    o[ch] = (uint8_t)((tmp[3 * i + ch] + radius) / (uint32_t)(2 * radius + 1));
            }
        }
    }
    free(tmp);
    free(line);
}

dx_status dx_synth_render(const dx_synth_render_opts *o, int side, const char *illumination,
                          dx_synth_image *out, dx_error *err)
{
    memset(out, 0, sizeof *out);
    light l;
    if (!light_of(illumination, &l))
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "synth: cannot draw under \"%s\"",
                            illumination);
    const dx_spec_layout *lay = o->layout;
    if (side < 0 || (size_t)side >= lay->n_sides)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "synth: no side %d", side);
    if (!(o->dpi >= 50 && o->dpi <= 1200))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "synth: dpi %g outside 50..1200", o->dpi);
    double ppm = o->dpi / 25.4, g = o->glass_mm > 0 ? o->glass_mm : 0;
    int w = (int)lround((lay->page_w_mm + 2 * g) * ppm), h = (int)lround((lay->page_h_mm + 2 * g) * ppm);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "synth: %dx%d image: out of memory", w, h);
    }
    cairo_t *cr = cairo_create(s);
    /* the glass (no document): dark in reflection, the lamp in transmission */
    double glass = l.transmitted ? 1.0 : l.uv ? 0.03 : 0.14;
    cairo_set_source_rgb(cr, glass, glass, glass);
    cairo_paint(cr);
    cairo_scale(cr, ppm, ppm);
    cairo_translate(cr, g + o->shift_x_mm, g + o->shift_y_mm);
    if (o->rotation_deg != 0) {
        cairo_translate(cr, lay->page_w_mm / 2, lay->page_h_mm / 2);
        cairo_rotate(cr, -o->rotation_deg * M_PI / 180);
        cairo_translate(cr, -lay->page_w_mm / 2, -lay->page_h_mm / 2);
    }
    cairo_rectangle(cr, 0, 0, lay->page_w_mm, lay->page_h_mm);
    cairo_clip(cr);
    rctx c = {o, lay, l, cr, ppm};
    draw_page(&c, side);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    uint8_t *p = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    if (o->blur_px > 0.3)
        box_blur(p, w, h, stride, (int)lround(o->blur_px * 1.2));
    bool ir = l.c == L_IR || l.c == L_TIR;
    out->width = (uint32_t)w;
    out->height = (uint32_t)h;
    out->channels = ir ? 1 : 3;
    out->bits = ir ? 16 : 8;
    out->data = malloc((size_t)w * h * out->channels * (out->bits / 8));
    if (!out->data) {
        cairo_surface_destroy(s);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "synth: out of memory");
    }
    uint64_t ns = o->seed ^ 0xA015Eull ^ ((uint64_t)(unsigned char)illumination[0] << 40) ^
                  ((uint64_t)strlen(illumination) << 48) ^ ((uint64_t)side << 56);
    for (const char *q = illumination; *q; q++)
        ns = ns * 31 + (unsigned char)*q;
    double cx = w / 2.0, cy = h / 2.0, rmax2 = cx * cx + cy * cy;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t v = *(const uint32_t *)(p + (size_t)y * stride + 4 * x);
            double ch[3] = {(v >> 16) & 255, (v >> 8) & 255, v & 255};
            double gain = 1;
            if (o->vignetting > 0) {
                double r2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / rmax2;
                gain = 1 - o->vignetting * r2;
            }
            size_t i = (size_t)y * w + x;
            if (ir) {
                double gy = (0.3 * ch[0] + 0.59 * ch[1] + 0.11 * ch[2]) * gain * 257;
                if (o->noise > 0)
                    gy += nrand(&ns) * o->noise * 257;
                ((uint16_t *)out->data)[i] = (uint16_t)(gy < 0 ? 0 : gy > 65535 ? 65535 : gy + 0.5);
            } else {
                double n = o->noise > 0 ? nrand(&ns) * o->noise : 0;
                for (int k = 0; k < 3; k++) {
                    double q = ch[k] * gain + n;
                    out->data[3 * i + k] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q + 0.5);
                }
            }
        }
    cairo_surface_destroy(s);
    return DX_OK;
}

void dx_synth_image_free(dx_synth_image *img)
{
    if (img) {
        free(img->data);
        memset(img, 0, sizeof *img);
    }
}

typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
    bool failed;
} membuf;

static void mem_write(png_structp png, png_bytep data, png_size_t len)
{
    membuf *m = png_get_io_ptr(png);
    if (m->failed)
        return;
    if (m->n + len > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1 << 16;
        while (cap < m->n + len)
            cap *= 2;
        uint8_t *q = realloc(m->p, cap);
        if (!q) {
            m->failed = true;
            return;
        }
        m->p = q;
        m->cap = cap;
    }
    memcpy(m->p + m->n, data, len);
    m->n += len;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

static dx_status png_encode(const dx_synth_image *img, double dpi, int filters, uint8_t **png_out,
                            size_t *len, dx_error *err)
{
    membuf m = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "PNG: out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(m.p);
        return dx_error_set(err, DX_ERR_INTERNAL, "PNG encoding failed");
    }
    png_set_write_fn(png, &m, mem_write, mem_flush);
    png_set_compression_level(png, 1); /* as captures: level 1, see docex.h */
    png_set_filter(png, 0, filters);
    png_set_IHDR(png, info, img->width, img->height, img->bits,
                 img->channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_uint_32 ppm = (png_uint_32)lround(dpi / 0.0254);
    png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
    png_write_info(png, info);
    const uint16_t probe = 1;
    if (img->bits == 16 && *(const uint8_t *)&probe == 1)
        png_set_swap(png); /* host order is little-endian, PNG's is big-endian */
    size_t row = (size_t)img->width * img->channels * (img->bits / 8);
    for (uint32_t y = 0; y < img->height; y++)
        png_write_row(png, img->data + y * row);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    if (m.failed) {
        free(m.p);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "PNG: out of memory");
    }
    *png_out = m.p;
    *len = m.n;
    return DX_OK;
}

dx_status dx_synth_png_encode(const dx_synth_image *img, double dpi, uint8_t **png_out,
                              size_t *len, dx_error *err)
{
    return png_encode(img, dpi, PNG_ALL_FILTERS, png_out, len, err);
}

/* Synthetic pages compress better unfiltered, and decode faster: a 600 dpi
 * white capture of the bench scene 3.97 MB unfiltered against 4.92 MB with
 * the adaptive filters at zlib level 1, a 300 dpi reference 1.45 against
 * 1.80 MB (their noise leaves the row differences no smaller than the
 * samples).  Unfiltered, dx_png_encode (libdeflate level 4, see
 * image/png_write.c) writes them as 3.94 and 1.44 MB in about 20% less CPU
 * time than libpng at zlib level 1 (105 against 128 ms, 35 against 45 ms). */
dx_status dx_synth_png_encode_unfiltered(const dx_synth_image *img, double dpi, uint8_t **png_out,
                                         size_t *len, dx_error *err)
{
    if (png_out)
        *png_out = NULL;
    if (len)
        *len = 0;
    if (!img || (img->channels != 1 && img->channels != 3) || (img->bits != 8 && img->bits != 16))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PNG: %d channels of %d bits",
                            img ? img->channels : 0, img ? img->bits : 0);
    dx_image_view v = {
        .data = img->data,
        .width = img->width,
        .height = img->height,
        .stride = (size_t)img->width * (size_t)img->channels * (size_t)(img->bits / 8),
        .format = img->channels == 3 ? (img->bits == 16 ? DX_PIX_RGB16 : DX_PIX_RGB8)
                                     : (img->bits == 16 ? DX_PIX_GRAY16 : DX_PIX_GRAY8),
    };
    return dx_png_encode(&v, dpi, png_out, len, err);
}
