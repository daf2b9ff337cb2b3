/* CASE/report.pdf with cairo-pdf: A4 pages laid out top to bottom, text set
 * by pango as plain text (never markup: findings.json is outside data),
 * broken into lines that go to the next page when a page is full.  The
 * document is laid out twice: once into a PDF that is thrown away, to count
 * the pages for "page N of M", then for real, with the evidence images as
 * placeholders that pdf_images.c replaces with the PNG files' own data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "report/report_internal.h"

#define PAGE_W 595.2756 /* A4, points */
#define PAGE_H 841.8898
#define MARGIN 42.0
#define TOP MARGIN
#define BOTTOM (PAGE_H - MARGIN - 14.0) /* the footer lives below */
#define CONTENT_W (PAGE_W - 2 * MARGIN)
#define LABEL_W 118.0
#define GAP 12.0
#define IMAGE_MAX_H 200.0

enum { F_BODY, F_BOLD, F_SMALL, F_LABEL, F_MONO, F_MONO_SMALL, F_H2, F_H3, F_DOC, F_BIG, F_COUNT };

static const struct {
    const char *family;
    double size;
    bool bold;
} fonts[F_COUNT] = {
    [F_BODY] = {"DejaVu Sans,Sans", 9.0, false},
    [F_BOLD] = {"DejaVu Sans,Sans", 9.0, true},
    [F_SMALL] = {"DejaVu Sans,Sans", 7.5, false},
    [F_LABEL] = {"DejaVu Sans,Sans", 8.5, false},
    [F_MONO] = {"DejaVu Sans Mono,Monospace", 10.0, false},
    [F_MONO_SMALL] = {"DejaVu Sans Mono,Monospace", 7.0, false},
    [F_H2] = {"DejaVu Sans,Sans", 14.0, true},
    [F_H3] = {"DejaVu Sans,Sans", 10.5, true},
    [F_DOC] = {"DejaVu Sans,Sans", 13.0, false},
    [F_BIG] = {"DejaVu Sans,Sans", 34.0, true},
};

typedef struct rgb {
    double r, g, b;
} rgb;

static const rgb INK = {0.11, 0.11, 0.11}, GREY = {0.38, 0.38, 0.38}, RULE = {0.78, 0.78, 0.78};
static const rgb RED = {0.69, 0.0, 0.125}, GREEN = {0.106, 0.498, 0.231},
                 AMBER = {0.63, 0.35, 0.0};
static const rgb MRZ_BG = {0.95, 0.95, 0.95}, TB_BG = {0.92, 0.92, 0.92};

static rgb cls_rgb(dx_report_class c)
{
    return c == DX_REPORT_FAILED ? RED : c == DX_REPORT_PASSED ? GREEN : AMBER;
}

typedef struct pdf {
    cairo_t *cr;
    PangoContext *pc;
    PangoFontDescription *font[F_COUNT];
    const dx_report_model *m;
    bool final;        /* the real pass: images drawn, page count known */
    unsigned page;     /* 1-based */
    unsigned total;    /* pages of the first pass (final pass only) */
    double y;          /* top of the next line, points from the page top */
    bool passthrough;  /* images as placeholders for dx_pdf_splice() */
    dx_pdf_image *imgs; /* the placeholders drawn, in order */
    size_t n_imgs;
    bool imgs_failed;  /* a placeholder could not be made: draw them all anew */
    GPtrArray *laid;   /* the counting pass's layouts (laid_out), in order */
    guint reuse;       /* the final pass: the next of them to match */
} pdf;

/* A layout of the counting pass with what made it: the final pass asks for
 * the same ones in the same order (and a few of its own: footers, labels),
 * so it takes each one made already instead of laying the text out again. */
typedef struct laid_out {
    PangoLayout *l;
    int font, max_lines;
    double width;
    char *text;
} laid_out;

static void laid_out_free(gpointer v)
{
    laid_out *x = v;
    g_object_unref(x->l);
    g_free(x->text);
    g_free(x);
}

static void set_rgb(pdf *p, rgb c)
{
    cairo_set_source_rgb(p->cr, c.r, c.g, c.b);
}

/* A layout of plain `text` (no markup) wrapped at width points; max_lines > 0
 * cuts it there with an ellipsis.  Caller unrefs. */
static PangoLayout *layout(pdf *p, int font, const char *text, double width, int max_lines)
{
    if (!text)
        text = "";
    if (p->final && p->laid && p->reuse < p->laid->len) {
        laid_out *x = g_ptr_array_index(p->laid, p->reuse);
        if (x->font == font && x->width == width && x->max_lines == max_lines &&
            strcmp(x->text, text) == 0) {
            p->reuse++;
            return g_object_ref(x->l);
        }
    }
    PangoLayout *l = pango_layout_new(p->pc);
    pango_layout_set_font_description(l, p->font[font]);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    if (max_lines > 0) {
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
        pango_layout_set_height(l, -max_lines);
    }
    pango_layout_set_text(l, text, -1);
    if (!p->final && p->laid) {
        laid_out *x = g_new(laid_out, 1);
        *x = (laid_out){g_object_ref(l), font, max_lines, width, g_strdup(text)};
        g_ptr_array_add(p->laid, x);
    }
    return l;
}

static double layout_h(PangoLayout *l)
{
    int w, h;
    pango_layout_get_size(l, &w, &h);
    return h / (double)PANGO_SCALE;
}

static void footer(pdf *p)
{
    if (!p->final)
        return; /* the counting pass: it takes no room */
    char right[64];
    const dx_report_model *m = p->m;
    double y = PAGE_H - MARGIN + 2;
    cairo_save(p->cr);
    set_rgb(p, RULE);
    cairo_set_line_width(p->cr, 0.5);
    cairo_move_to(p->cr, MARGIN, y - 3);
    cairo_line_to(p->cr, PAGE_W - MARGIN, y - 3);
    cairo_stroke(p->cr);
    if (p->total)
        snprintf(right, sizeof right, "page %u of %u", p->page, p->total);
    else
        snprintf(right, sizeof right, "page %u", p->page);
    PangoLayout *r = layout(p, F_SMALL, right, 90, 1);
    pango_layout_set_alignment(r, PANGO_ALIGN_RIGHT);
    set_rgb(p, GREY);
    cairo_move_to(p->cr, PAGE_W - MARGIN - 90, y);
    pango_cairo_show_layout(p->cr, r);
    g_object_unref(r);
    char *left = g_strdup_printf("docex inspection report \xe2\x80\x94 %s \xe2\x80\x94 %s",
                                 m->verdict, m->document);
    PangoLayout *l = layout(p, F_SMALL, left, CONTENT_W - 100, 1);
    cairo_move_to(p->cr, MARGIN, y);
    pango_cairo_show_layout(p->cr, l);
    g_object_unref(l);
    g_free(left);
    cairo_restore(p->cr);
}

static void new_page(pdf *p)
{
    footer(p);
    cairo_show_page(p->cr);
    p->page++;
    p->y = TOP;
}

/* Room for h points on this page, else the next page. */
static void ensure(pdf *p, double h)
{
    if (p->y + h > BOTTOM && p->y > TOP + 0.5)
        new_page(p);
}

/* Draw text at x, width w, line by line (a line that does not fit goes to
 * the next page); `label` (may be NULL) in the label column beside the first
 * line; `bg` (may be NULL) behind every line. */
static void block(pdf *p, int font, rgb ink, const rgb *bg, double x, double w, const char *text,
                  const char *label)
{
    PangoLayout *l = layout(p, font, text, w, 0);
    PangoLayoutIter *it = pango_layout_get_iter(l);
    bool first = true;
    do {
        PangoRectangle log;
        pango_layout_iter_get_line_extents(it, NULL, &log);
        int base = pango_layout_iter_get_baseline(it);
        PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
        double lh = log.height / (double)PANGO_SCALE;
        ensure(p, lh);
        if (bg) {
            cairo_rectangle(p->cr, x - 3, p->y, w + 6, lh);
            set_rgb(p, *bg);
            cairo_fill(p->cr);
        }
        set_rgb(p, ink);
        cairo_move_to(p->cr, x + log.x / (double)PANGO_SCALE,
                      p->y + (base - log.y) / (double)PANGO_SCALE);
        if (p->final)
            pango_cairo_show_layout_line(p->cr, line);
        if (first && label && p->final) {
            PangoLayout *ll = layout(p, F_LABEL, label, LABEL_W - 6, 2);
            set_rgb(p, GREY);
            cairo_move_to(p->cr, MARGIN, p->y);
            pango_cairo_show_layout(p->cr, ll);
            g_object_unref(ll);
        }
        p->y += lh;
        first = false;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    g_object_unref(l);
}

static void text(pdf *p, int font, rgb ink, const char *s)
{
    block(p, font, ink, NULL, MARGIN, CONTENT_W, s, NULL);
}

static void kv(pdf *p, const dx_report_kv *rows, size_t n, rgb ink)
{
    for (size_t i = 0; i < n; i++) {
        block(p, F_BODY, ink, NULL, MARGIN + LABEL_W, CONTENT_W - LABEL_W, rows[i].value,
              rows[i].key);
        p->y += 1.5;
    }
}

static void rule(pdf *p, rgb c, double width)
{
    set_rgb(p, c);
    cairo_set_line_width(p->cr, width);
    cairo_move_to(p->cr, MARGIN, p->y + width / 2);
    cairo_line_to(p->cr, PAGE_W - MARGIN, p->y + width / 2);
    cairo_stroke(p->cr);
    p->y += width;
}

static void heading(pdf *p, const char *title)
{
    p->y += 14;
    ensure(p, 60); /* a heading is not left alone at the bottom of a page */
    text(p, F_H2, INK, title);
    p->y += 2;
    rule(p, RULE, 1.0);
    p->y += 6;
}

/* ---- images -------------------------------------------------------------- */

/* The size an image is drawn at in a box of bw x IMAGE_MAX_H. */
static void image_fit(const dx_report_image *img, double bw, double *w, double *h, double *s)
{
    *s = bw / img->width;
    if (img->height * *s > IMAGE_MAX_H)
        *s = IMAGE_MAX_H / img->height;
    *w = img->width * *s;
    *h = img->height * *s;
}

static void image_draw(pdf *p, const dx_report_image *img, double x, double y)
{
    double w, h, s;
    image_fit(img, (CONTENT_W - GAP) / 2, &w, &h, &s);
    if (p->final) {
        cairo_surface_t *is = NULL;
        dx_pdf_png l;
        if (p->passthrough && dx_pdf_png_layout(img->png, img->len, &l) &&
            l.width == (uint32_t)img->width && l.height == (uint32_t)img->height) {
            dx_pdf_image *grown = realloc(p->imgs, (p->n_imgs + 1) * sizeof *grown);
            if (grown)
                p->imgs = grown;
            if (grown && (is = dx_pdf_placeholder(&l, (unsigned)p->n_imgs)) != NULL)
                p->imgs[p->n_imgs++] = (dx_pdf_image){l, s <= 1.0};
            else
                p->imgs_failed = true;
        }
        if (!is)
            is = dx_report_png_surface(img->png, img->len);
        if (cairo_surface_status(is) == CAIRO_STATUS_SUCCESS) {
            cairo_save(p->cr);
            cairo_rectangle(p->cr, x, y, w, h);
            cairo_clip(p->cr);
            cairo_translate(p->cr, x, y);
            cairo_scale(p->cr, s, s);
            cairo_set_source_surface(p->cr, is, 0, 0);
            cairo_pattern_set_filter(cairo_get_source(p->cr),
                                     s > 1.0 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
            cairo_paint(p->cr);
            cairo_restore(p->cr);
        }
        cairo_surface_destroy(is);
    }
    set_rgb(p, GREY);
    cairo_set_line_width(p->cr, 0.5);
    cairo_rectangle(p->cr, x, y, w, h);
    cairo_stroke(p->cr);
}

/* One image (or its note) with its caption: height, and drawn when draw. */
static double figure(pdf *p, const dx_report_image *img, double x, double y, bool draw)
{
    double bw = (CONTENT_W - GAP) / 2, h = 0, w, s;
    draw = draw && p->final; /* the counting pass only measures */
    if (img->ok) {
        image_fit(img, bw, &w, &h, &s);
        if (draw)
            image_draw(p, img, x, y);
    } else {
        PangoLayout *l = layout(p, F_BODY, img->note, bw - 12, 8);
        h = layout_h(l) + 16;
        if (draw) {
            static const double dash[] = {3.0, 2.0};
            cairo_save(p->cr);
            set_rgb(p, AMBER);
            cairo_set_line_width(p->cr, 0.8);
            cairo_set_dash(p->cr, dash, 2, 0);
            cairo_rectangle(p->cr, x, y, bw, h);
            cairo_stroke(p->cr);
            cairo_restore(p->cr);
            set_rgb(p, AMBER);
            cairo_move_to(p->cr, x + 6, y + 8);
            pango_cairo_show_layout(p->cr, l);
        }
        g_object_unref(l);
    }
    h += 3;
    char *cap = img->ok ? g_strdup_printf("%s\n%s\nSHA-256 %s%s%s", img->caption, img->path,
                                          img->sha256, img->note ? "\n" : "",
                                          img->note ? img->note : "")
                        : g_strdup_printf("%s\n%s", img->caption, img->path);
    PangoLayout *c = layout(p, F_SMALL, cap, bw, 8);
    if (draw) {
        set_rgb(p, img->ok && img->note ? AMBER : INK);
        cairo_move_to(p->cr, x, y + h);
        pango_cairo_show_layout(p->cr, c);
    }
    h += layout_h(c);
    g_object_unref(c);
    g_free(cap);
    return h;
}

static void evidence(pdf *p, const dx_report_finding *x)
{
    const dx_report_image *imgs[2];
    int n = 0;
    double row = 0;
    if (x->captured.present)
        imgs[n++] = &x->captured;
    if (x->reference.present)
        imgs[n++] = &x->reference;
    for (int i = 0; i < n; i++) {
        double h = figure(p, imgs[i], 0, 0, false);
        row = h > row ? h : row;
    }
    if (!n)
        return;
    p->y += 4;
    ensure(p, row);
    for (int i = 0; i < n; i++)
        figure(p, imgs[i], MARGIN + i * ((CONTENT_W - GAP) / 2 + GAP), p->y, true);
    p->y += row + 4;
}

/* ---- the sections -------------------------------------------------------- */

static void upper(char *d, size_t size, const char *s)
{
    size_t n = 0;
    for (; s && *s && n + 1 < size; s++)
        d[n++] = *s == '_' ? ' ' : (*s >= 'a' && *s <= 'z') ? (char)(*s - 32) : *s;
    d[n] = '\0';
}

static void head(pdf *p)
{
    const dx_report_model *m = p->m;
    char word[64];
    double y0 = p->y;
    upper(word, sizeof word, m->verdict);
    block(p, F_BIG, cls_rgb(m->verdict_cls), NULL, MARGIN + 12, CONTENT_W - 12, word, NULL);
    block(p, F_DOC, INK, NULL, MARGIN + 12, CONTENT_W - 12, m->document, NULL);
    /* the coloured bar beside verdict and document (same page: both fit) */
    if (p->y > y0) {
        set_rgb(p, cls_rgb(m->verdict_cls));
        cairo_rectangle(p->cr, MARGIN, y0 + 4, 5, p->y - y0 - 4);
        cairo_fill(p->cr);
    }
    p->y += 8;
    kv(p, m->head, m->n_head, INK);
    p->y += 4;
    for (int g = 0; g < 4; g++) {
        char label[48];
        snprintf(label, sizeof label, "Group %s", m->groups[g].key);
        block(p, F_BOLD, cls_rgb(m->group_cls[g]), NULL, MARGIN + LABEL_W,
              CONTENT_W - LABEL_W, m->groups[g].value, label);
        p->y += 1.5;
    }
    if (m->format_note) {
        p->y += 6;
        text(p, F_BOLD, AMBER, m->format_note);
    }
    p->y += 8;
    rule(p, cls_rgb(m->verdict_cls), 2.0);
    if (m->n_warnings) {
        heading(p, "Warnings");
        for (size_t i = 0; i < m->n_warnings; i++) {
            block(p, F_BODY, AMBER, NULL, MARGIN + 10, CONTENT_W - 10, m->warnings[i], NULL);
            p->y += 2;
        }
    }
}

static void mrz_chip(pdf *p)
{
    const dx_report_model *m = p->m;
    heading(p, "MRZ");
    if (m->has_mrz) {
        for (size_t i = 0; i < m->n_mrz_lines; i++)
            block(p, F_MONO, INK, &MRZ_BG, MARGIN + 3, CONTENT_W - 6, m->mrz_lines[i], NULL);
        p->y += 6;
        kv(p, m->mrz, m->n_mrz, INK);
    } else {
        text(p, F_BODY, INK, "No MRZ was read.");
    }
    heading(p, "Chip");
    if (m->has_chip)
        kv(p, m->chip, m->n_chip, INK);
    else
        text(p, F_BODY, INK, "No chip was read.");
}

static void findings(pdf *p)
{
    const dx_report_model *m = p->m;
    heading(p, "Findings");
    text(p, F_BODY, INK, m->summary);
    for (size_t i = 0; i < m->n_findings; i++) {
        const dx_report_finding *x = &m->findings[i];
        char word[64];
        p->y += 10;
        ensure(p, 70);
        double y0 = p->y;
        unsigned page0 = p->page;
        upper(word, sizeof word, x->result);
        char *title = g_strdup_printf("%s  %s", word, x->id);
        block(p, F_H3, cls_rgb(x->cls), NULL, MARGIN + 10, CONTENT_W - 10, title, NULL);
        g_free(title);
        if (x->notation)
            block(p, F_BODY, GREY, NULL, MARGIN + 10, CONTENT_W - 10, x->notation, NULL);
        if (page0 == p->page) {
            set_rgb(p, cls_rgb(x->cls));
            cairo_rectangle(p->cr, MARGIN, y0 + 2, 4, p->y - y0 - 2);
            cairo_fill(p->cr);
        }
        p->y += 3;
        if (x->message)
            block(p, F_BODY, INK, NULL, MARGIN + 10, CONTENT_W - 10, x->message, NULL);
        p->y += 3;
        kv(p, x->rows, x->n_rows, INK);
        evidence(p, x);
        if (x->traceback) {
            p->y += 3;
            block(p, F_MONO_SMALL, INK, &TB_BG, MARGIN + 13, CONTENT_W - 16, x->traceback, NULL);
        }
        p->y += 6;
        rule(p, RULE, 0.5);
    }
}

static void files(pdf *p)
{
    const dx_report_model *m = p->m;
    heading(p, "Files");
    for (size_t i = 0; i < m->n_files; i++) {
        const dx_report_file *f = &m->files[i];
        ensure(p, 30);
        block(p, F_MONO, INK, NULL, MARGIN, CONTENT_W, f->path, NULL);
        char *line = g_strdup_printf("%s, %s bytes \xe2\x80\x94 on disk: %s", f->role, f->bytes,
                                     f->check);
        block(p, F_SMALL, f->check_ok ? GREY : RED, NULL, MARGIN + 10, CONTENT_W - 10, line, NULL);
        g_free(line);
        block(p, F_MONO_SMALL, GREY, NULL, MARGIN + 10, CONTENT_W - 10, f->sha256, NULL);
        p->y += 4;
    }
    p->y += 4;
    text(p, F_BOLD, INK, "SHA-256 of findings.json");
    block(p, F_MONO_SMALL, INK, NULL, MARGIN + 10, CONTENT_W - 10, m->findings_sha256, NULL);
}

static void tail(pdf *p)
{
    const dx_report_model *m = p->m;
    heading(p, "Timings");
    if (m->n_timings)
        kv(p, m->timings, m->n_timings, INK);
    else
        text(p, F_BODY, INK, "No timings recorded.");
    if (m->n_reg) {
        heading(p, "Registration");
        for (size_t i = 0; i < m->n_reg; i++) {
            const char *const *r = &m->reg[i * 6];
            if (m->reg_error[i]) {
                char *bad = g_strdup_printf("%s: not registered: %s", r[0], m->reg_error[i]);
                text(p, F_BODY, RED, bad);
                g_free(bad);
                continue;
            }
            char *line = g_strdup_printf("%s, %s: rotation %s, scale %s, confidence %s, "
                                         "residual %s",
                                         r[0], r[1], r[2], r[3], r[4], r[5]);
            text(p, F_BODY, INK, line);
            g_free(line);
        }
    }
    p->y += 16;
    char *by = g_strdup_printf("Report written by %s from findings.json.", m->generator);
    text(p, F_SMALL, GREY, by);
    g_free(by);
}

/* ---- the passes ---------------------------------------------------------- */

static cairo_status_t null_write(void *closure, const unsigned char *data, unsigned int length)
{
    return CAIRO_STATUS_SUCCESS;
}

static cairo_status_t file_write(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_WRITE_ERROR;
}

/* The final pass's bytes, for dx_pdf_splice(). */
typedef struct membuf {
    unsigned char *p;
    size_t n, cap;
} membuf;

static cairo_status_t mem_write(void *closure, const unsigned char *data, unsigned int length)
{
    membuf *b = closure;
    if (b->n + length > b->cap) {
        size_t cap = b->cap ? b->cap : 1u << 20;
        while (cap < b->n + length)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q)
            return CAIRO_STATUS_NO_MEMORY;
        b->p = q, b->cap = cap;
    }
    memcpy(b->p + b->n, data, length);
    b->n += length;
    return CAIRO_STATUS_SUCCESS;
}

typedef struct pdf_images {
    dx_pdf_image *v;
    size_t n;
    bool failed;
} pdf_images;

/* The pango context of cr with the report's text settings, and its fonts
 * (the caller frees both): render() and dx_report_pdf_warm() alike, so the
 * fonts loaded ahead are the ones drawn. */
static PangoContext *text_context(cairo_t *cr, PangoFontDescription *font[F_COUNT])
{
    PangoContext *pc = pango_cairo_create_context(cr);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(pc, fo);
    cairo_font_options_destroy(fo);
    for (int i = 0; i < F_COUNT; i++) {
        font[i] = pango_font_description_from_string(fonts[i].family);
        pango_font_description_set_absolute_size(font[i], fonts[i].size * PANGO_SCALE);
        pango_font_description_set_weight(font[i], fonts[i].bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    }
    return pc;
}

/* Lay out and draw the whole report on surface s; the page count.  With
 * out_imgs, the final pass draws the images as placeholders, listed there
 * (the caller frees v). */
static cairo_status_t render(const dx_report_model *m, cairo_surface_t *s, bool final,
                             unsigned total, unsigned *pages, pdf_images *out_imgs, GPtrArray *laid)
{
    pdf p = {.m = m, .final = final, .total = total, .page = 1, .y = TOP,
             .passthrough = out_imgs != NULL, .laid = laid};
    cairo_status_t cs;
    p.cr = cairo_create(s);
    p.pc = text_context(p.cr, p.font);
    head(&p);
    mrz_chip(&p);
    findings(&p);
    files(&p);
    tail(&p);
    footer(&p);
    cairo_show_page(p.cr);
    *pages = p.page;
    cs = cairo_status(p.cr);
    for (int i = 0; i < F_COUNT; i++)
        pango_font_description_free(p.font[i]);
    g_object_unref(p.pc);
    cairo_destroy(p.cr);
    if (out_imgs) {
        out_imgs->v = p.imgs;
        out_imgs->n = p.n_imgs;
        out_imgs->failed = p.imgs_failed;
    }
    return cs;
}

static dx_status surface_done(cairo_surface_t *s, cairo_status_t cs, const char *path,
                              dx_error *err)
{
    cairo_surface_finish(s);
    if (cs == CAIRO_STATUS_SUCCESS)
        cs = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (cs == CAIRO_STATUS_SUCCESS)
        return DX_OK;
    if (cs == CAIRO_STATUS_WRITE_ERROR)
        return dx_error_set(err, DX_ERR_IO, "writing %s failed", path);
    if (cs == CAIRO_STATUS_NO_MEMORY)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", path);
    return dx_error_set(err, DX_ERR_INTERNAL, "%s: cairo: %s", path, cairo_status_to_string(cs));
}

void dx_report_pdf_warm(void)
{
    /* what render() sets up, and a line in every font: pango's font map is
     * one per thread, and its first layouts load and shape the fonts (about
     * 20 ms: a quarter of a report's) */
    static const char sample[] = "docex inspection report \xe2\x80\x94 Passed failed undetermined "
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 "
                                 "<<<<<< .,:;!?()[]{}/+-*=_%#@&'\"";
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(null_write, NULL, PAGE_W, PAGE_H);
    cairo_t *cr = cairo_create(s);
    PangoFontDescription *font[F_COUNT];
    PangoContext *pc = text_context(cr, font);
    for (int i = 0; i < F_COUNT; i++) {
        PangoLayout *l = pango_layout_new(pc);
        int w, h;
        pango_layout_set_font_description(l, font[i]);
        pango_layout_set_width(l, (int)(CONTENT_W * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
        pango_layout_set_text(l, sample, -1);
        pango_layout_get_size(l, &w, &h);
        cairo_move_to(cr, MARGIN, MARGIN);
        pango_cairo_show_layout(cr, l);
        g_object_unref(l);
        pango_font_description_free(font[i]);
    }
    g_object_unref(pc);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

/* The final pass's surface writing to fn, with the document's metadata. */
static cairo_surface_t *final_surface(const dx_report_model *m, cairo_write_func_t fn,
                                      void *closure)
{
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(fn, closure, PAGE_W, PAGE_H);
    char word[64];
    upper(word, sizeof word, m->verdict);
    char *title = g_strdup_printf("docex inspection report: %s \xe2\x80\x94 %s", word, m->document);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, m->generator);
    g_free(title);
    return s;
}

dx_status dx_report_pdf_of(const dx_report_model *m, const char *case_dir, const char *out_path,
                           unsigned *pages, dx_error *err)
{
    dx_report_out out = {0};
    char buf[4096];
    unsigned total = 0, n = 0;
    bool spliced = false;
    GPtrArray *laid = NULL;
    dx_status st;
    const char *path = dx_report_out_path(case_dir, out_path, "report.pdf", buf, sizeof buf);
    if (!path) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "report: path too long: %s", case_dir);
        goto done;
    }
    st = dx_report_out_open(&out, path, err);
    if (st != DX_OK)
        goto done;

    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(null_write, NULL, PAGE_W, PAGE_H);
    laid = g_ptr_array_new_with_free_func(laid_out_free);
    st = surface_done(s, render(m, s, false, 0, &total, NULL, laid), path, err);
    if (st != DX_OK)
        goto done;

    /* the final pass into memory with the images as placeholders, spliced
     * into the file (pdf_images.c); drawn again the ordinary way when that
     * cannot be done */
    membuf mb = {0};
    pdf_images pi = {0};
    s = final_surface(m, mem_write, &mb);
    st = surface_done(s, render(m, s, true, total, &n, &pi, laid), path, err);
    if (st == DX_OK && !pi.failed) {
        dx_error se = {0};
        dx_status ss = dx_pdf_splice(mb.p, mb.n, pi.v, pi.n, out.f, &se);
        if (ss == DX_ERR_UNSUPPORTED)
            dx_log(DX_CAT_REPORT, DX_LOG_DEBUG, "%s: %s; images drawn by cairo", path, se.message);
        else if (ss != DX_OK)
            st = dx_error_set(err, ss, "%s: %s", path, se.message);
        else
            spliced = true;
    }
    free(mb.p);
    free(pi.v);
    if (st == DX_OK && !spliced) {
        s = final_surface(m, file_write, out.f);
        st = surface_done(s, render(m, s, true, total, &n, NULL, laid), path, err);
    }
    if (st != DX_OK)
        goto done;
    if (n != total)
        dx_log(DX_CAT_REPORT, DX_LOG_WARNING, "%s: %u pages, %u counted before", path, n, total);
    st = dx_report_out_commit(&out, err);
    if (st == DX_OK) {
        if (pages)
            *pages = n;
        dx_log(DX_CAT_REPORT, DX_LOG_INFO, "%s written: %u pages, %s, %s", path, n, m->verdict,
               m->summary);
    }
done:
    if (laid)
        g_ptr_array_free(laid, TRUE);
    dx_report_out_abort(&out);
    return st;
}

dx_status dx_report_pdf_pages(const char *case_dir, const json_t *fj, const char *out_path,
                              unsigned *pages, dx_error *err)
{
    dx_report_model m;
    dx_status st = dx_report_model_load(&m, case_dir, fj, err);
    if (st == DX_OK)
        st = dx_report_pdf_of(&m, case_dir, out_path, pages, err);
    dx_report_model_free(&m);
    return st;
}

dx_status dx_report_pdf(const char *case_dir, const json_t *fj, const char *out_path,
                        dx_error *err)
{
    return dx_report_pdf_pages(case_dir, fj, out_path, NULL, err);
}
