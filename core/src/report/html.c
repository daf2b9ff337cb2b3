/* CASE/report.html: one self-contained file (CSS inline, images as data:
 * URIs, no script, no link out), every text from findings.json escaped. */
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"

/* Class names and labels by dx_report_class (never from input). */
static const char *const cls_css[] = {"failed", "aborted", "undetermined", "passed",
                                      "not-supported", "other"};

static const char css[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:0 auto;max-width:60em;"
    "padding:1em 1.5em;color:#1d1d1d;background:#fff;line-height:1.4}\n"
    "h2{border-bottom:2px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\n"
    "h3{margin:.2em 0;font-size:1.1em}\n"
    "table{border-collapse:collapse}\n"
    "td,th{padding:.15em .6em .15em 0;vertical-align:top;text-align:left}\n"
    "table.kv th{font-weight:normal;color:#555;white-space:nowrap}\n"
    "table.grid td,table.grid th{border:1px solid #ccc;padding:.2em .4em}\n"
    "table.grid th{background:#f0f0f0}\n"
    "code,pre,.mono{font-family:'DejaVu Sans Mono',monospace}\n"
    ".hash{font-family:'DejaVu Sans Mono',monospace;font-size:.8em;word-break:break-all}\n"
    "header.verdict{border:4px solid;border-radius:8px;padding:1em 1.2em}\n"
    ".verdict-word{font-size:3.2em;font-weight:bold;letter-spacing:.05em;line-height:1.1}\n"
    ".document{font-size:1.4em;margin:.2em 0 .6em}\n"
    ".pill{display:inline-block;border:2px solid;border-radius:1em;padding:0 .7em;"
    "margin:.4em .4em 0 0;font-weight:bold}\n"
    ".failed{color:#b00020;border-color:#b00020}\n"
    ".passed{color:#1b7f3b;border-color:#1b7f3b}\n"
    ".aborted,.undetermined,.not-supported,.other{color:#a05a00;border-color:#d08a00}\n"
    "header.verdict table,header.verdict .document{color:#1d1d1d}\n"
    "pre.mrz{font-size:1.15em;background:#f6f6f6;padding:.6em;border:1px solid #ddd;"
    "white-space:pre;overflow-x:auto}\n"
    "article.finding{border-left:6px solid;padding:.4em .9em;margin:1.2em 0;"
    "background:#fafafa}\n"
    "article.finding table,article.finding p{color:#1d1d1d}\n"
    ".result{text-transform:uppercase;margin-right:.5em}\n"
    ".notation{color:#555;font-weight:normal}\n"
    ".message{white-space:pre-wrap}\n"
    ".evidence{display:flex;gap:1em;flex-wrap:wrap;margin:.6em 0}\n"
    ".evidence figure{margin:0;flex:1 1 45%;max-width:48%;color:#1d1d1d}\n"
    ".evidence img{width:100%;height:auto;max-height:28em;object-fit:contain;"
    "image-rendering:pixelated;border:1px solid #999;background:#ddd}\n"
    ".evidence figcaption{font-size:.9em}\n"
    ".note{border:1px dashed #a05a00;color:#a05a00;padding:1em;white-space:pre-wrap}\n"
    ".warning{color:#a05a00;font-weight:bold;white-space:pre-wrap}\n"
    "pre.traceback{background:#2b2b2b;color:#f0f0f0;padding:.6em;white-space:pre-wrap;"
    "word-break:break-all;font-size:.85em}\n"
    ".bad{color:#b00020;font-weight:bold}\n"
    "footer{margin-top:2em;color:#777;font-size:.85em}\n";

/* Text as HTML character data or attribute value. */
static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* The verdict or a result in capitals, '_' as ' ' (ASCII only). */
static void esc_upper(FILE *f, const char *s)
{
    char buf[64];
    size_t n = 0;
    for (; s && *s && n < sizeof buf - 1; s++)
        buf[n++] = *s == '_' ? ' ' : (*s >= 'a' && *s <= 'z') ? (char)(*s - 32) : *s;
    buf[n] = '\0';
    esc(f, buf);
}

static void base64(FILE *f, const unsigned char *b, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4];
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | b[i + 2];
        out[0] = tab[v >> 18];
        out[1] = tab[(v >> 12) & 63];
        out[2] = tab[(v >> 6) & 63];
        out[3] = tab[v & 63];
        fwrite(out, 1, 4, f);
    }
    if (i < n) {
        unsigned v = (unsigned)b[i] << 16 | (i + 1 < n ? (unsigned)b[i + 1] << 8 : 0u);
        out[0] = tab[v >> 18];
        out[1] = tab[(v >> 12) & 63];
        out[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[3] = '=';
        fwrite(out, 1, 4, f);
    }
}

static void kv_table(FILE *f, const dx_report_kv *kv, size_t n)
{
    if (!n)
        return;
    fputs("<table class=\"kv\">\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><th>", f);
        esc(f, kv[i].key);
        fputs("</th><td>", f);
        esc(f, kv[i].value);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void figure(FILE *f, const dx_report_image *img)
{
    fputs("<figure>", f);
    if (img->ok) {
        fprintf(f, "<img width=\"%d\" height=\"%d\" alt=\"", img->width, img->height);
        esc(f, img->caption);
        fputs("\" src=\"data:image/png;base64,", f);
        base64(f, img->png, img->len);
        fputs("\">", f);
    } else {
        fputs("<div class=\"note\">", f);
        esc(f, img->note);
        fputs("</div>", f);
    }
    fputs("<figcaption>", f);
    esc(f, img->caption);
    if (img->path && *img->path) {
        fputs("<br><span class=\"mono\">", f);
        esc(f, img->path);
        fputs("</span>", f);
    }
    if (img->ok) {
        fputs("<br><span class=\"hash\">SHA-256 ", f);
        esc(f, img->sha256);
        fputs("</span>", f);
        if (img->note) {
            fputs("<br><span class=\"warning\">", f);
            esc(f, img->note);
            fputs("</span>", f);
        }
    }
    fputs("</figcaption></figure>\n", f);
}

static void head(FILE *f, const dx_report_model *m)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "img-src data:; style-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"",
          f);
    esc(f, m->generator);
    fputs("\">\n<title>docex inspection: ", f);
    esc_upper(f, m->verdict);
    fputs(" \xe2\x80\x94 ", f);
    esc(f, m->document);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);

    fprintf(f, "<header class=\"verdict %s\">\n<div class=\"verdict-word\">",
            cls_css[m->verdict_cls]);
    esc_upper(f, m->verdict);
    fputs("</div>\n<div class=\"document\">", f);
    esc(f, m->document);
    fputs("</div>\n", f);
    kv_table(f, m->head, m->n_head);
    fputs("<div class=\"groups\">", f);
    for (int g = 0; g < 4; g++) {
        fprintf(f, "<span class=\"pill %s\">", cls_css[m->group_cls[g]]);
        esc(f, m->groups[g].key);
        fputs(": ", f);
        esc(f, m->groups[g].value);
        fputs("</span>", f);
    }
    fputs("</div>\n</header>\n", f);
    if (m->format_note) {
        fputs("<p class=\"warning\">", f);
        esc(f, m->format_note);
        fputs("</p>\n", f);
    }
    if (m->n_warnings) {
        fputs("<section id=\"warnings\">\n<h2>Warnings</h2>\n<ul>\n", f);
        for (size_t i = 0; i < m->n_warnings; i++) {
            fputs("<li class=\"warning\">", f);
            esc(f, m->warnings[i]);
            fputs("</li>\n", f);
        }
        fputs("</ul>\n</section>\n", f);
    }
}

static void mrz_chip(FILE *f, const dx_report_model *m)
{
    fputs("<section id=\"mrz\">\n<h2>MRZ</h2>\n", f);
    if (m->has_mrz) {
        fputs("<pre class=\"mrz\">", f);
        for (size_t i = 0; i < m->n_mrz_lines; i++) {
            esc(f, m->mrz_lines[i]);
            fputc('\n', f);
        }
        fputs("</pre>\n", f);
        kv_table(f, m->mrz, m->n_mrz);
    } else {
        fputs("<p>No MRZ was read.</p>\n", f);
    }
    fputs("</section>\n<section id=\"chip\">\n<h2>Chip</h2>\n", f);
    if (m->has_chip)
        kv_table(f, m->chip, m->n_chip);
    else
        fputs("<p>No chip was read.</p>\n", f);
    fputs("</section>\n", f);
}

static void findings(FILE *f, const dx_report_model *m)
{
    fputs("<section id=\"findings\">\n<h2>Findings</h2>\n<p>", f);
    esc(f, m->summary);
    fputs("</p>\n", f);
    for (size_t i = 0; i < m->n_findings; i++) {
        const dx_report_finding *x = &m->findings[i];
        fprintf(f, "<article class=\"finding %s\" id=\"finding-%zu\">\n<h3><span class=\"result\">",
                cls_css[x->cls], x->index + 1);
        esc_upper(f, x->result);
        fputs("</span><span class=\"mono\">", f);
        esc(f, x->id);
        fputs("</span>", f);
        if (x->notation) {
            fputs(" <span class=\"notation\">", f);
            esc(f, x->notation);
            fputs("</span>", f);
        }
        fputs("</h3>\n", f);
        if (x->message) {
            fputs("<p class=\"message\">", f);
            esc(f, x->message);
            fputs("</p>\n", f);
        }
        kv_table(f, x->rows, x->n_rows);
        if (x->captured.present || x->reference.present) {
            fputs("<div class=\"evidence\">\n", f);
            if (x->captured.present)
                figure(f, &x->captured);
            if (x->reference.present)
                figure(f, &x->reference);
            fputs("</div>\n", f);
        }
        if (x->traceback) {
            fputs("<pre class=\"traceback\">", f);
            esc(f, x->traceback);
            fputs("</pre>\n", f);
        }
        fputs("</article>\n", f);
    }
    fputs("</section>\n", f);
}

static void files(FILE *f, const dx_report_model *m)
{
    fputs("<section id=\"files\">\n<h2>Files</h2>\n<table class=\"grid\">\n"
          "<tr><th>File</th><th>Role</th><th>Bytes</th><th>SHA-256</th><th>On disk</th></tr>\n",
          f);
    for (size_t i = 0; i < m->n_files; i++) {
        const dx_report_file *x = &m->files[i];
        fputs("<tr><td class=\"mono\">", f);
        esc(f, x->path);
        fputs("</td><td>", f);
        esc(f, x->role);
        fputs("</td><td>", f);
        esc(f, x->bytes);
        fputs("</td><td class=\"hash\">", f);
        esc(f, x->sha256);
        fprintf(f, "</td><td%s>", x->check_ok ? "" : " class=\"bad\"");
        esc(f, x->check);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n<p>SHA-256 of findings.json: <span class=\"hash\">", f);
    esc(f, m->findings_sha256);
    fputs("</span></p>\n</section>\n", f);
}

static void tail(FILE *f, const dx_report_model *m)
{
    fputs("<section id=\"timings\">\n<h2>Timings</h2>\n", f);
    if (m->n_timings) {
        fputs("<table class=\"grid\">\n", f);
        for (size_t i = 0; i < m->n_timings; i++) {
            fputs("<tr><th>", f);
            esc(f, m->timings[i].key);
            fputs("</th><td>", f);
            esc(f, m->timings[i].value);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    } else {
        fputs("<p>No timings recorded.</p>\n", f);
    }
    fputs("</section>\n", f);
    if (m->n_reg) {
        fputs("<section id=\"registration\">\n<h2>Registration</h2>\n<table class=\"grid\">\n<tr>",
              f);
        for (int k = 0; k < 6; k++) {
            fputs("<th>", f);
            esc(f, m->reg_cols[k]);
            fputs("</th>", f);
        }
        fputs("</tr>\n", f);
        for (size_t i = 0; i < m->n_reg; i++) {
            fputs("<tr>", f);
            if (m->reg_error[i]) {
                fputs("<td>", f);
                esc(f, m->reg[i * 6]);
                fputs("</td><td colspan=\"5\" class=\"bad\">not registered: ", f);
                esc(f, m->reg_error[i]);
                fputs("</td></tr>\n", f);
                continue;
            }
            for (int k = 0; k < 6; k++) {
                fputs("<td>", f);
                esc(f, m->reg[i * 6 + (size_t)k]);
                fputs("</td>", f);
            }
            fputs("</tr>\n", f);
        }
        fputs("</table>\n</section>\n", f);
    }
    fputs("<footer>Report written by ", f);
    esc(f, m->generator);
    fputs(" from findings.json.</footer>\n</body>\n</html>\n", f);
}

dx_status dx_report_html_of(const dx_report_model *m, const char *case_dir, const char *out_path,
                            dx_error *err)
{
    dx_report_out out = {0};
    char buf[4096];
    dx_status st;
    const char *path = dx_report_out_path(case_dir, out_path, "report.html", buf, sizeof buf);
    if (!path) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "report: path too long: %s", case_dir);
        goto done;
    }
    st = dx_report_out_open(&out, path, err);
    if (st != DX_OK)
        goto done;
    head(out.f, m);
    mrz_chip(out.f, m);
    findings(out.f, m);
    files(out.f, m);
    tail(out.f, m);
    st = dx_report_out_commit(&out, err);
    if (st == DX_OK)
        dx_log(DX_CAT_REPORT, DX_LOG_INFO, "%s written: %s, %s", path, m->verdict, m->summary);
done:
    dx_report_out_abort(&out);
    return st;
}

dx_status dx_report_html(const char *case_dir, const json_t *fj, const char *out_path,
                         dx_error *err)
{
    dx_report_model m;
    dx_status st = dx_report_model_load(&m, case_dir, fj, err);
    if (st == DX_OK)
        st = dx_report_html_of(&m, case_dir, out_path, err);
    dx_report_model_free(&m);
    return st;
}
