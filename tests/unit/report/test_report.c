/* The inspection reports (core/src/report): a case directory built here with
 * evidence PNGs drawn by cairo and a findings.json holding hostile text and
 * hostile paths; the HTML must be self-contained, escaped, ordered, with
 * every readable image embedded byte for byte and every refused or broken
 * one noted; the PDF must have the pages it says and its images as the
 * evidence files hold them; errors name what failed.
 *
 * usage: test-report SCRATCH_DIR */
#define _GNU_SOURCE /* memmem, strcasestr, asprintf */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "dxtest.h"
#include "host/host_internal.h"
#include "image/image.h"
#include "report/report.h"
#include "report/report_internal.h"
#include "synth/render.h"

static char scratch[4096], case_dir[4096];

static void path_in(char *out, size_t size, const char *dir, const char *rel)
{
    REQUIRE((size_t)snprintf(out, size, "%s/%s", dir, rel) < size);
}

/* A w x h RGB PNG with a pattern that depends on seed. */
static void write_png(const char *rel, int w, int h, int seed)
{
    char path[4200];
    path_in(path, sizeof path, case_dir, rel);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 0.2 + 0.1 * (seed % 5), 0.3, 0.8 - 0.1 * (seed % 7));
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 1, 1, 0.9);
    cairo_arc(cr, w / 2.0, h / 2.0, (w < h ? w : h) / 3.0, 0, 6.3);
    cairo_fill(cr);
    cairo_destroy(cr);
    REQUIRE(cairo_surface_write_to_png(s, path) == CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

static void write_bytes(const char *rel, const void *data, size_t n)
{
    char path[4200];
    path_in(path, sizeof path, case_dir, rel);
    FILE *f = fopen(path, "wb");
    REQUIRE(f != NULL);
    REQUIRE(fwrite(data, 1, n, f) == n);
    REQUIRE(fclose(f) == 0);
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    unsigned char *b = malloc(cap + 1);
    REQUIRE(b != NULL);
    size_t r;
    while ((r = fread(b + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
            REQUIRE(b != NULL);
        }
    }
    fclose(f);
    b[len] = '\0';
    *n = len;
    return b;
}

static char *read_case(const char *rel, size_t *n)
{
    char path[4200];
    path_in(path, sizeof path, case_dir, rel);
    return (char *)read_all(path, n);
}

static void sha_of(const char *rel, char hex[65])
{
    char path[4200];
    path_in(path, sizeof path, case_dir, rel);
    REQUIRE(dx_file_sha256(path, hex, NULL) == DX_OK);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, l = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += l)
        n++;
    return n;
}

/* The same over n bytes that may hold NULs (a PDF's streams). */
static size_t count_mem(const char *hay, size_t n, const char *needle)
{
    size_t c = 0, l = strlen(needle);
    for (const char *p = hay; (p = memmem(p, n - (size_t)(p - hay), needle, l)) != NULL; p += l)
        c++;
    return c;
}

/* Files in the case directory whose names start with a dot (temporaries). */
static int temporaries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    REQUIRE(d != NULL);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* ---- findings.json ---------------------------------------------------------- */

static json_t *evidence(const char *captured, const char *reference)
{
    json_t *e = json_object();
    char hex[65];
    if (captured) {
        json_object_set_new(e, "captured", json_string(captured));
        if (captured[0] != '/' && !strstr(captured, "..")) {
            char path[4200];
            path_in(path, sizeof path, case_dir, captured);
            if (dx_file_sha256(path, hex, NULL) == DX_OK)
                json_object_set_new(e, "captured_sha256", json_string(hex));
        }
    }
    if (reference) {
        json_object_set_new(e, "reference", json_string(reference));
        char path[4200];
        path_in(path, sizeof path, case_dir, reference);
        if (dx_file_sha256(path, hex, NULL) == DX_OK)
            json_object_set_new(e, "reference_sha256", json_string(hex));
    }
    return e;
}

static json_t *finding(const char *id, const char *result, const char *group, const char *msg)
{
    return json_pack("{s:s,s:{s:s,s:s,s:s},s:s,s:s,s:s,s:s,s:s,s:f}", "id", id, "notation",
                     "light", "UV", "property", "luminescent", "feature", "emblem", "mode",
                     "mandatory", "group", group, "result", result, "message", msg, "rule",
                     "scripts/rules/specimen.lua:42", "duration_ms", 0.4);
}

static json_t *file_entry(const char *rel, const char *role, const char *sha_override)
{
    char hex[65] = "0000000000000000000000000000000000000000000000000000000000000000";
    char path[4200];
    struct stat sb;
    long long bytes = 0;
    path_in(path, sizeof path, case_dir, rel);
    if (!sha_override && rel[0] != '/' && !strstr(rel, "..")) {
        sha_of(rel, hex);
        REQUIRE(stat(path, &sb) == 0);
        bytes = (long long)sb.st_size;
    }
    return json_pack("{s:s,s:s,s:I,s:s}", "path", rel, "role", role, "bytes", (json_int_t)bytes,
                     "sha256", sha_override ? sha_override : hex);
}

static const char *const HOSTILE_TB =
    "[string \"specimen.lua\"]:42: boom <script>alert(1)</script>\n"
    "stack traceback:\n\t\"quotes\" & 'apostrophes'";

static json_t *base_findings(void)
{
    json_t *fj = json_pack(
        "{s:s,s:s,s:s,s:{s:s,s:s,s:s},"
        "s:{s:{s:s,s:s,s:s,s:b,s:[s],s:s},"
        "s:{s:s,s:[s,s],s:b,s:{s:s,s:s}},"
        "s:{s:b,s:b,s:s,s:s,s:s,s:s}},"
        "s:s,s:{s:s,s:s,s:s,s:s}}",
        "format", "docex.findings/1", "docex_version", "0.1.0", "created", "2026-11-27T01:02:03Z",
        "source", "kind", "device", "device", "sim:0", "chip_device", "sim:chip0",
        "document", "specimen", "id", "UTO-P-2024", "name", "Utopia passport", "matched_by",
        "mrz+similarity", "generic", 0, "candidates", "UTO-P-2024", "message",
        "chosen by the MRZ's issuer and type",
        "mrz", "format", "TD3", "lines", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10", "valid", 1, "source", "illumination",
        "ir870", "file", "capture/ir870.png",
        "chip", "read", 1, "verified", 1, "passive_authentication", "passed",
        "active_authentication", "not_run", "dg1_vs_printed_mrz", "same", "message",
        "chip read & verified",
        "verdict", "failed", "groups", "mrz", "passed", "optical", "failed", "chip", "passed",
        "cross", "passed");
    REQUIRE(fj != NULL);
    json_object_set_new(fj, "registration",
                        json_pack("[{s:s,s:s,s:f,s:f,s:f,s:f},{s:s,s:s}]", "side", "data_page",
                                  "light", "white", "rotation_deg", 3.1, "scale_px_per_mm", 23.6,
                                  "confidence", 0.97, "residual_px", 0.4, "side", "back",
                                  "error", "the page was not found <here>"));
    json_object_set_new(fj, "warnings", json_pack("[s]", "chip: no <card> & no retry"));
    json_object_set_new(fj, "timings_ms",
                        json_pack("{s:f,s:f,s:f,s:i,s:f,s:f,s:f,s:f}", "load", 1.0,
                                  "registration", 2.0, "mrz", 3.0, "chip", 0, "measurements", 4.0,
                                  "lua", 5.0, "report", 6.0, "total", 21.0));
    return fj;
}

/* The evidence images of the main case. */
static void make_case(void)
{
    char path[4200], outside[4200];
    path_in(case_dir, sizeof case_dir, scratch, "case");
    REQUIRE(mkdir(case_dir, 0755) == 0);
    path_in(path, sizeof path, case_dir, "capture");
    REQUIRE(mkdir(path, 0755) == 0);
    path_in(path, sizeof path, case_dir, "evidence");
    REQUIRE(mkdir(path, 0755) == 0);
    write_png("capture/white.png", 320, 220, 1);
    write_png("capture/ir870.png", 320, 220, 2);
    write_bytes("capture/capture.json", "{\"format\":\"docex.capture/1\"}\n", 29);
    write_png("evidence/uv_emblem.captured.png", 40, 30, 3);
    write_png("evidence/uv_emblem.reference.png", 40, 30, 4);
    write_png("evidence/mrz.captured.png", 400, 40, 5);
    write_bytes("evidence/corrupt.png", "this is not a PNG at all, just text\n", 36);
    /* the first half of a valid PNG: right header, cut data */
    size_t n;
    char *png = read_case("capture/white.png", &n);
    REQUIRE(png && n > 200);
    write_bytes("evidence/truncated.png", png, n / 2);
    free(png);
    /* a symbolic link out of the case, and a FIFO */
    path_in(outside, sizeof outside, scratch, "outside.png");
    path_in(path, sizeof path, case_dir, "capture/white.png");
    png = (char *)read_all(path, &n);
    FILE *f = fopen(outside, "wb");
    REQUIRE(f && fwrite(png, 1, n, f) == n && fclose(f) == 0);
    free(png);
    path_in(path, sizeof path, case_dir, "evidence/escape.png");
    REQUIRE(symlink(outside, path) == 0);
    path_in(path, sizeof path, case_dir, "evidence/fifo.png");
    REQUIRE(mkfifo(path, 0644) == 0);
}

static json_t *case_findings(void)
{
    json_t *fj = base_findings(), *arr = json_array(), *f;
    /* 0: passed, with one captured image */
    f = finding("mrz_checks", "passed", "mrz", "check digits valid");
    json_object_set_new(f, "evidence", evidence("evidence/mrz.captured.png", NULL));
    json_object_set_new(f, "light", json_string("ir870"));
    json_array_append_new(arr, f);
    /* 1: aborted, hostile traceback and message */
    f = finding("lua_boom", "aborted", "optical", "<b>bold</b> & \"quoted\" 'text'");
    json_object_set_new(f, "traceback", json_string(HOSTILE_TB));
    json_array_append_new(arr, f);
    /* 2: failed mandatory with both images */
    f = finding("uv_emblem", "failed", "optical", "the emblem does not glow under UV");
    json_object_set_new(f, "value", json_real(1.5));
    json_object_set_new(f, "expected", json_pack("{s:i,s:i}", "min", 40, "max", 255));
    json_object_set_new(f, "region", json_pack("{s:s,s:s,s:f,s:f,s:f,s:f}", "feature",
                                               "uv_emblem", "side", "data_page", "x", 60.0, "y",
                                               30.0, "w", 20.0, "h", 20.0));
    json_object_set_new(f, "light", json_string("uv365"));
    json_object_set_new(f, "evidence", evidence("evidence/uv_emblem.captured.png",
                                                "evidence/uv_emblem.reference.png"));
    json_array_append_new(arr, f);
    /* 3: undetermined, evidence file missing */
    f = finding("missing_ev", "undetermined", "optical", "no evidence on disk");
    json_object_set_new(f, "evidence", evidence("evidence/does_not_exist.png", NULL));
    json_array_append_new(arr, f);
    /* 4: failed, path out of the case */
    f = finding("escape_rel", "failed", "cross", "relative escape");
    json_object_set_new(f, "evidence", evidence("../../etc/passwd", NULL));
    json_array_append_new(arr, f);
    /* 5: not supported, absolute path */
    f = finding("escape_abs", "not_supported", "chip", "absolute path");
    json_object_set_new(f, "evidence", evidence("/etc/passwd", NULL));
    json_array_append_new(arr, f);
    /* 6: passed, a symbolic link that leads out */
    f = finding("symlink_out", "passed", "optical", "symbolic link");
    json_object_set_new(f, "evidence", evidence("evidence/escape.png", NULL));
    json_array_append_new(arr, f);
    /* 7: undetermined, a FIFO */
    f = finding("fifo", "undetermined", "optical", "a FIFO as evidence");
    json_object_set_new(f, "evidence", evidence("evidence/fifo.png", NULL));
    json_array_append_new(arr, f);
    /* 8: failed, corrupt and truncated images */
    f = finding("corrupt", "failed", "optical", "broken images");
    json_object_set_new(f, "expected", json_string("a readable image"));
    json_object_set_new(f, "value", json_string("nothing"));
    json_object_set_new(f, "evidence",
                        evidence("evidence/corrupt.png", "evidence/truncated.png"));
    json_array_append_new(arr, f);
    /* 9: passed, the recorded SHA-256 is wrong */
    f = finding("sha_mismatch", "passed", "optical", "a hash that differs");
    json_t *ev = evidence("evidence/mrz.captured.png", NULL);
    json_object_set_new(ev, "captured_sha256",
                        json_string("11111111111111111111111111111111"
                                    "11111111111111111111111111111111"));
    json_object_set_new(f, "evidence", ev);
    json_array_append_new(arr, f);
    json_object_set_new(fj, "findings", arr);

    json_t *files = json_array();
    json_array_append_new(files, file_entry("capture/white.png", "capture", NULL));
    json_array_append_new(files, file_entry("capture/ir870.png", "capture", NULL));
    json_array_append_new(files, file_entry("capture/capture.json", "capture", NULL));
    json_array_append_new(files, file_entry("evidence/uv_emblem.captured.png", "evidence", NULL));
    json_array_append_new(files, file_entry("evidence/uv_emblem.reference.png", "reference", NULL));
    json_array_append_new(files, file_entry("evidence/mrz.captured.png", "evidence", NULL));
    json_array_append_new(
        files, file_entry("evidence/corrupt.png", "other",
                          "2222222222222222222222222222222222222222222222222222222222222222"));
    json_array_append_new(
        files, file_entry("../../etc/passwd", "other",
                          "3333333333333333333333333333333333333333333333333333333333333333"));
    json_object_set_new(fj, "files", files);
    return fj;
}

/* ---- the checks ------------------------------------------------------------- */

/* The base64 text at p (up to '"') decoded. */
static unsigned char *b64_decode(const char *p, size_t *n)
{
    const char *end = strchr(p, '"');
    REQUIRE(end != NULL);
    size_t len = (size_t)(end - p);
    unsigned char *out = malloc(len / 4 * 3 + 4);
    REQUIRE(out != NULL && len % 4 == 0);
    int r = EVP_DecodeBlock(out, (const unsigned char *)p, (int)len);
    REQUIRE(r >= 0);
    size_t pad = (len && p[len - 1] == '=') + (len > 1 && p[len - 2] == '=');
    *n = (size_t)r - pad;
    return out;
}

static void test_html(void)
{
    json_t *fj = case_findings();
    char out[4200], hex[65];
    dx_error err = {0};
    path_in(out, sizeof out, case_dir, "findings.json");
    REQUIRE(json_dump_file(fj, out, JSON_INDENT(2)) == 0);
    /* 10 (after the dump: jansson writes no invalid UTF-8): invalid UTF-8,
     * control characters, an embedded NUL */
    json_t *odd = finding("odd_text", "passed", "mrz", "x");
    json_object_set_new(odd, "message", json_stringn_nocheck("bad \xff\x01 text\0tail", 16));
    json_array_append_new(json_object_get(fj, "findings"), odd);
    path_in(out, sizeof out, case_dir, "report.html");
    dx_status st = dx_report_html(case_dir, fj, out, &err);
    CHECK_MSG(st == DX_OK, "%s", err.message);
    size_t n;
    char *html = read_case("report.html", &n);
    REQUIRE(html != NULL);
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strcasestr(html, "<script") == NULL);
    CHECK(strstr(html, "src=\"http") == NULL && strstr(html, "href=\"http") == NULL);
    CHECK(strstr(html, "url(") == NULL && strstr(html, "<link") == NULL);
    CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
    CHECK(strstr(html, "&quot;quotes&quot; &amp; &#39;apostrophes&#39;") != NULL);
    CHECK(strstr(html, "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; &#39;text&#39;") != NULL);
    CHECK(strstr(html, "<pre class=\"traceback\">") != NULL);
    CHECK(strstr(html, "bad ?? text?tail") != NULL);
    CHECK(strstr(html, "<div class=\"verdict-word\">FAILED</div>") != NULL);
    CHECK(strstr(html, "<header class=\"verdict failed\">") != NULL);
    CHECK(strstr(html, "UTO-P-2024 \xe2\x80\x94 Utopia passport") != NULL);
    CHECK(strstr(html, "mrz+similarity") != NULL);
    CHECK(strstr(html, "2026-11-27T01:02:03Z") != NULL);
    CHECK(strstr(html, "device sim:0, chip reader sim:chip0") != NULL);
    CHECK(strstr(html, "<span class=\"pill failed\">optical: failed</span>") != NULL);
    CHECK(strstr(html, "P&lt;UTOERIKSSON&lt;&lt;ANNA") != NULL);
    CHECK(strstr(html, "chip read &amp; verified") != NULL);
    CHECK(strstr(html, "(UV, luminescent, emblem)") != NULL);
    CHECK(strstr(html, "40 .. 255") != NULL);
    CHECK(strstr(html, "x 60.0, y 30.0, 20.0 \xc3\x97 20.0 mm on data_page, feature uv_emblem")
          != NULL);
    CHECK(strstr(html, "captured (uv365)") != NULL && strstr(html, "reference (uv365)") != NULL);

    /* images: the 4 readable ones embedded, the others noted */
    CHECK_MSG(count(html, "data:image/png;base64,") == 4, "%zu data URIs",
              count(html, "data:image/png;base64,"));
    CHECK(count(html, "<img ") == 4);
    CHECK(strstr(html, "image refused: &quot;../../etc/passwd&quot;: the path has a "
                       "&quot;..&quot; component") != NULL);
    CHECK(strstr(html, "image refused: &quot;/etc/passwd&quot;: the path is absolute") != NULL);
    CHECK(strstr(html, "image refused: &quot;evidence/escape.png&quot;: the path leads out of "
                       "the case directory") != NULL);
    CHECK(strstr(html, "image refused: evidence/fifo.png is not a regular file") != NULL);
    CHECK(strstr(html, "image missing: evidence/does_not_exist.png: not found") != NULL);
    CHECK(strstr(html, "image missing: evidence/corrupt.png is not a PNG file") != NULL);
    CHECK(strstr(html, "image missing: evidence/truncated.png is not a readable PNG") != NULL);
    CHECK(strstr(html, "differs from findings.json") != NULL);
    CHECK(strstr(html, "root:x:0") == NULL);

    /* the first data URI is uv_emblem's captured image (first failed finding) */
    const char *uv = strstr(html, "id=\"finding-3\"");
    REQUIRE(uv != NULL);
    const char *d = strstr(uv, "data:image/png;base64,");
    REQUIRE(d != NULL);
    CHECK(d == strstr(html, "data:image/png;base64,"));
    size_t blen, flen;
    unsigned char *bytes = b64_decode(d + 22, &blen);
    unsigned char *file = (unsigned char *)read_case("evidence/uv_emblem.captured.png", &flen);
    REQUIRE(file != NULL);
    CHECK(blen == flen && memcmp(bytes, file, flen) == 0);
    free(bytes);
    free(file);

    /* order: failed (2, 4, 8), aborted (1), undetermined (3, 7), passed (0, 6, 9, 10),
     * not supported (5); finding-N is file position N-1 */
    static const int order[] = {2, 4, 8, 1, 3, 7, 0, 6, 9, 10, 5};
    const char *prev = html;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        char id[48];
        snprintf(id, sizeof id, "id=\"finding-%d\"", order[i] + 1);
        const char *at = strstr(html, id);
        CHECK_MSG(at != NULL && at > prev, "finding %d out of order", order[i]);
        if (at)
            prev = at;
    }

    /* files: each with its SHA-256, checked on disk; findings.json's own */
    json_t *files = json_object_get(fj, "files");
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        char cell[200];
        snprintf(cell, sizeof cell, ">%s</td>", json_string_value(json_object_get(f, "path")));
        CHECK_MSG(strstr(html, cell) != NULL, "file %s not listed", cell);
        CHECK(strstr(html, json_string_value(json_object_get(f, "sha256"))) != NULL);
    }
    CHECK(count(html, "<td>ok</td>") == 6);
    CHECK(strstr(html, "differs: SHA-256 on disk") != NULL);
    CHECK(strstr(html, "refused: the path has a &quot;..&quot; component") != NULL);
    sha_of("findings.json", hex);
    char *line = NULL;
    CHECK(asprintf(&line, "SHA-256 of findings.json: <span class=\"hash\">%s</span>", hex) > 0);
    CHECK(line && strstr(html, line) != NULL);
    free(line);
    CHECK(strstr(html, "<th>total</th><td>21.0 ms</td>") != NULL);
    CHECK(strstr(html, "<td>3.10\xc2\xb0</td>") != NULL);
    CHECK(strstr(html, "<td colspan=\"5\" class=\"bad\">not registered: the page was not "
                       "found &lt;here&gt;</td>") != NULL);
    CHECK(strstr(html, "<li class=\"warning\">chip: no &lt;card&gt; &amp; no retry</li>") != NULL);

    /* written atomically, and the same input gives the same bytes */
    CHECK(temporaries(case_dir) == 0);
    CHECK(dx_report_html(case_dir, fj, NULL, &err) == DX_OK);
    size_t n2;
    char *again = read_case("report.html", &n2);
    CHECK(again && n2 == n && memcmp(again, html, n) == 0);
    free(again);
    free(html);
    json_decref(fj);
}

/* "/Type /Page" not followed by "s": the page objects of a PDF. */
static size_t pdf_pages(const char *pdf, size_t n)
{
    size_t c = 0;
    for (const char *p = pdf; (p = memmem(p, n - (size_t)(p - pdf), "/Type /Page", 11)) != NULL;
         p += 11)
        if (p[11] != 's')
            c++;
    return c;
}

/* Pages by pdfinfo (poppler-utils) when it is installed, else 0. */
static unsigned pdfinfo_pages(const char *path)
{
    char cmd[4400], line[256];
    unsigned pages = 0;
    if (system("command -v pdfinfo >/dev/null 2>&1") != 0)
        return 0;
    snprintf(cmd, sizeof cmd, "pdfinfo '%s' 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "Pages: %u", &pages) == 1)
            break;
    pclose(p);
    return pages;
}

/* The cross-reference table points at every object: each in-use entry's
 * offset starts "N 0 obj", startxref at "xref" (poppler rebuilds a broken
 * table without a word, so pdfinfo alone would not tell). */
static bool xref_sound(const char *pdf, size_t n)
{
    const char *sx = NULL;
    for (const char *p = pdf; (p = memmem(p, n - (size_t)(p - pdf), "startxref", 9)); p++)
        sx = p;
    if (!sx)
        return false;
    unsigned long long x = strtoull(sx + 9, NULL, 10), first, cnt;
    if (x + 5 > n || memcmp(pdf + x, "xref\n", 5) != 0 ||
        sscanf(pdf + x + 5, "%llu %llu", &first, &cnt) != 2 || first != 0)
        return false;
    const char *e = memchr(pdf + x + 5, '\n', n - x - 5);
    if (!e || (size_t)(e + 1 - pdf) + cnt * 20 > n)
        return false;
    for (unsigned long long i = 0; i < cnt; i++) {
        const char *r = e + 1 + i * 20;
        if (r[17] == 'f')
            continue;
        unsigned long long off = strtoull(r, NULL, 10);
        char head[32];
        int hl = snprintf(head, sizeof head, "%llu 0 obj", i);
        if (r[17] != 'n' || off + (size_t)hl > n || memcmp(pdf + off, head, (size_t)hl) != 0) {
            printf("xref entry %llu: offset %llu is not its object\n", i, off);
            return false;
        }
    }
    return memmem(e + 1 + cnt * 20, n - (size_t)(e + 1 + cnt * 20 - pdf), "trailer", 7) != NULL;
}

static void test_pdf(void)
{
    json_t *fj = case_findings();
    char out[4200];
    dx_error err = {0};
    unsigned pages = 0;
    path_in(out, sizeof out, case_dir, "report.pdf");
    dx_status st = dx_report_pdf_pages(case_dir, fj, out, &pages, &err);
    CHECK_MSG(st == DX_OK, "%s", err.message);
    size_t n;
    char *pdf = read_case("report.pdf", &n);
    REQUIRE(pdf != NULL);
    CHECK(n > 1000 && memcmp(pdf, "%PDF-", 5) == 0);
    CHECK(memmem(pdf, n, "%%EOF", 5) != NULL);
    size_t counted = pdf_pages(pdf, n);
    printf("case: %u pages (%zu page objects)\n", pages, counted);
    CHECK(pages >= 2);
    CHECK_MSG(counted == pages, "%zu page objects, %u pages", counted, pages);
    char cnt[32];
    snprintf(cnt, sizeof cnt, "/Count %u", pages);
    CHECK(memmem(pdf, n, cnt, strlen(cnt)) != NULL);
    unsigned by_poppler = pdfinfo_pages(out);
    if (by_poppler)
        CHECK_MSG(by_poppler == pages, "pdfinfo: %u pages", by_poppler);
    else
        printf("pdfinfo not installed: page objects counted only\n");
    /* the 4 readable images, nothing else */
    size_t images = 0;
    for (const char *p = pdf; (p = memmem(p, n - (size_t)(p - pdf), "/Subtype /Image", 15)); p++)
        images++;
    CHECK_MSG(images == 4, "%zu images", images);
    CHECK_MSG(count_mem(pdf, n, "/Predictor 15") == 4, "%zu images as their PNGs hold them",
              count_mem(pdf, n, "/Predictor 15"));
    CHECK(xref_sound(pdf, n));
    CHECK(temporaries(case_dir) == 0);
    free(pdf);
    CHECK(dx_report_pdf(case_dir, fj, NULL, &err) == DX_OK);
    json_decref(fj);
}

/* A PNG by docex's synth encoder (libpng, every row filter): w x h, ch
 * channels of bits bits, noise over a gradient. */
static void write_synth_png(const char *rel, uint32_t w, uint32_t h, int ch, int bits)
{
    dx_synth_image im = {w, h, ch, bits, NULL};
    size_t bps = (size_t)bits / 8, n = (size_t)w * h * (size_t)ch;
    im.data = malloc(n * bps);
    REQUIRE(im.data != NULL);
    uint32_t r = 12345;
    for (size_t i = 0; i < n; i++) {
        r = r * 1103515245u + 12345u;
        unsigned v = (unsigned)((i % ((size_t)w * (size_t)ch)) * 40 / ((size_t)w * (size_t)ch)) +
                     (r >> 16) % 200;
        if (bits == 16) {
            uint16_t s = (uint16_t)(v * 257 + (r >> 8) % 257);
            memcpy(im.data + 2 * i, &s, 2);
        } else {
            im.data[i] = (uint8_t)v;
        }
    }
    uint8_t *png;
    size_t len;
    dx_error err = {0};
    REQUIRE(dx_synth_png_encode(&im, 300, &png, &len, &err) == DX_OK);
    write_bytes(rel, png, len);
    free(png);
    free(im.data);
}

/* The same decoded pixels: 8-bit samples exactly; 16-bit ones within 257
 * (poppler takes 16-bit RGB through its colour space, which loses the low
 * bits) or, read back as 8 bits (poppler's grey), their high byte. */
static bool same_pixels(const dx_png_image *want, const dx_png_image *got)
{
    const dx_image_view *x = &want->view, *y = &got->view;
    bool grey = x->format == DX_PIX_GRAY8 || x->format == DX_PIX_GRAY16;
    bool wide = x->format == DX_PIX_GRAY16 || x->format == DX_PIX_RGB16;
    bool ywide = y->format == DX_PIX_GRAY16 || y->format == DX_PIX_RGB16;
    if (grey != (y->format == DX_PIX_GRAY8 || y->format == DX_PIX_GRAY16) || (!wide && ywide) ||
        x->width != y->width || x->height != y->height)
        return false;
    size_t ns = (size_t)x->width * (grey ? 1 : 3);
    for (uint32_t r = 0; r < x->height; r++) {
        const uint8_t *a = (const uint8_t *)x->data + (size_t)r * x->stride;
        const uint8_t *b = (const uint8_t *)y->data + (size_t)r * y->stride;
        for (size_t i = 0; i < ns; i++) {
            uint16_t va = a[i], vb = b[i];
            if (wide)
                memcpy(&va, a + 2 * i, 2);
            if (ywide)
                memcpy(&vb, b + 2 * i, 2);
            if (!wide ? va != vb : ywide ? abs((int)va - (int)vb) > 257 : va >> 8 != vb)
                return false;
        }
    }
    return true;
}

/* The IDAT data of a PNG file of the case, joined (caller frees). */
static uint8_t *idat_of(const char *rel, size_t *n)
{
    size_t len, pos = 8;
    uint8_t *png = (uint8_t *)read_case(rel, &len), *out = malloc(len);
    REQUIRE(png && out && len > 8);
    *n = 0;
    while (pos + 12 <= len) {
        size_t cl = (size_t)png[pos] << 24 | (size_t)png[pos + 1] << 16 |
                    (size_t)png[pos + 2] << 8 | png[pos + 3];
        REQUIRE(cl <= len - pos - 12);
        if (memcmp(png + pos + 4, "IDAT", 4) == 0) {
            memcpy(out + *n, png + pos + 8, cl);
            *n += cl;
        }
        pos += 12 + cl;
    }
    free(png);
    return out;
}

/* report.pdf holds the evidence PNGs' own data (pdf_images.c): every image of
 * 8 and 16 bits, grey and RGB, whatever its row filters and IDAT chunks, is
 * in the PDF byte for byte, and reads back pixel for pixel (by poppler's
 * pdfimages when it is installed); an image it cannot pass through (RGBA) is
 * drawn by cairo beside them; the cross-reference table is sound; a PDF not
 * as the splice expects is refused before a byte is written. */
static void test_pdf_images(void)
{
    char dir[4200], out[4200], saved[4096];
    memcpy(saved, case_dir, sizeof saved);
    path_in(dir, sizeof dir, scratch, "pdfimg");
    REQUIRE(mkdir(dir, 0755) == 0);
    memcpy(case_dir, dir, sizeof case_dir);
    path_in(out, sizeof out, case_dir, "evidence");
    REQUIRE(mkdir(out, 0755) == 0);
    static const char *const names[] = {"evidence/rgb8.png", "evidence/grey16.png",
                                        "evidence/rgb16.png", "evidence/grey8.png"};
    write_png(names[0], 210, 130, 3);
    write_synth_png(names[1], 97, 61, 1, 16);
    write_synth_png(names[2], 64, 33, 3, 16);
    write_synth_png(names[3], 301, 257, 1, 8); /* > 8 KiB: several IDAT chunks */
    {
        char path[4200];
        path_in(path, sizeof path, case_dir, "evidence/rgba.png");
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 50, 40);
        cairo_t *cr = cairo_create(s);
        cairo_set_source_rgba(cr, 0.9, 0.2, 0.1, 0.5);
        cairo_paint(cr);
        cairo_destroy(cr);
        REQUIRE(cairo_surface_write_to_png(s, path) == CAIRO_STATUS_SUCCESS);
        cairo_surface_destroy(s);
    }
    json_t *fj = base_findings(), *arr = json_array(), *f;
    f = finding("pair_one", "failed", "optical", "8-bit RGB beside 16-bit grey");
    json_object_set_new(f, "evidence", evidence(names[0], names[1]));
    json_array_append_new(arr, f);
    f = finding("pair_two", "passed", "optical", "16-bit RGB beside 8-bit grey");
    json_object_set_new(f, "evidence", evidence(names[2], names[3]));
    json_array_append_new(arr, f);
    f = finding("pair_three", "passed", "optical", "RGBA beside the first again");
    json_object_set_new(f, "evidence", evidence("evidence/rgba.png", names[0]));
    json_array_append_new(arr, f);
    json_object_set_new(fj, "findings", arr);
    json_object_set_new(fj, "files", json_array());
    dx_error err = {0};
    unsigned pages = 0;
    path_in(out, sizeof out, case_dir, "report.pdf");
    CHECK_MSG(dx_report_pdf_pages(case_dir, fj, out, &pages, &err) == DX_OK, "%s", err.message);
    size_t n;
    char *pdf = read_case("report.pdf", &n);
    REQUIRE(pdf != NULL);
    CHECK(xref_sound(pdf, n));
    CHECK_MSG(count_mem(pdf, n, "/Predictor 15") == 5, "%zu images passed through",
              count_mem(pdf, n, "/Predictor 15"));
    CHECK(count_mem(pdf, n, "/Subtype /Image") >= 6);
    CHECK(memmem(pdf, n, "/DCTDecode", 10) == NULL);
    CHECK(memmem(pdf, n, "docex-pdf-image:", 16) == NULL);
    /* each PNG's compressed data is in the PDF byte for byte */
    for (size_t i = 0; i < 4; i++) {
        size_t in;
        uint8_t *idat = idat_of(names[i], &in);
        CHECK_MSG(memmem(pdf, n, idat, in) != NULL, "%s: its IDAT data (%zu bytes) not in the PDF",
                  names[i], in);
        free(idat);
    }
    unsigned by_poppler = pdfinfo_pages(out);
    CHECK(by_poppler == 0 || by_poppler == pages);
    {
        char *buf = NULL;
        size_t bl = 0;
        FILE *mf = open_memstream(&buf, &bl);
        dx_pdf_image one = {{0}, false};
        REQUIRE(mf != NULL);
        CHECK(dx_pdf_splice((const unsigned char *)"%PDF-1.5\nnot really\n", 20, &one, 1, mf,
                            &err) == DX_ERR_UNSUPPORTED);
        CHECK(dx_pdf_splice((const unsigned char *)pdf, n, &one, 1, mf, &err) ==
              DX_ERR_UNSUPPORTED); /* no placeholder in it */
        /* cut where a number runs to the end of the buffer (heap copies with
         * no NUL after them: a read past the end shows under ASan) */
        static const char *const cuts[] = {"%PDF-1.5\nstartxref\n123", "%PDF-1.5\nxref\n",
                                           "%PDF-1.5\nxref\n0 1\nstartxref\n9",
                                           "%PDF\nstartxref\n18\nxref\n"};
        for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
            size_t cl = strlen(cuts[k]);
            unsigned char *cut = malloc(cl);
            REQUIRE(cut != NULL);
            memcpy(cut, cuts[k], cl);
            CHECK(dx_pdf_splice(cut, cl, &one, 1, mf, &err) == DX_ERR_UNSUPPORTED);
            free(cut);
        }
        printf("splice refused: %s\n", err.message);
        fflush(mf);
        CHECK(bl == 0);
        fclose(mf);
        free(buf);
    }
    free(pdf);
    if (system("command -v pdfimages >/dev/null 2>&1") != 0) {
        printf("pdfimages not installed: the images were not read back\n");
    } else {
        char cmd[8600], prefix[4200];
        path_in(prefix, sizeof prefix, case_dir, "x");
        snprintf(cmd, sizeof cmd, "pdfimages -png '%s' '%s'", out, prefix);
        CHECK(system(cmd) == 0);
        dx_png_image got[16];
        size_t n_got = 0;
        DIR *d = opendir(case_dir);
        REQUIRE(d != NULL);
        for (struct dirent *de; (de = readdir(d)) != NULL && n_got < 16;) {
            char path[4200];
            if (strncmp(de->d_name, "x-", 2) != 0)
                continue;
            path_in(path, sizeof path, case_dir, de->d_name);
            if (dx_png_load(path, &got[n_got], &err) == DX_OK)
                n_got++;
        }
        closedir(d);
        CHECK_MSG(n_got == 6, "%zu images read back", n_got);
        for (size_t i = 0; i < 4; i++) {
            char path[4200];
            dx_png_image want;
            path_in(path, sizeof path, case_dir, names[i]);
            REQUIRE(dx_png_load(path, &want, &err) == DX_OK);
            size_t found = 0;
            for (size_t k = 0; k < n_got; k++)
                found += same_pixels(&want, &got[k]);
            CHECK_MSG(found == (i == 0 ? 2u : 1u), "%s: in the PDF %zu times pixel for pixel",
                      names[i], found);
            dx_png_image_free(&want);
        }
        for (size_t k = 0; k < n_got; k++)
            dx_png_image_free(&got[k]);
    }
    json_decref(fj);
    memcpy(case_dir, saved, sizeof case_dir);
}

/* 60 findings in a case of their own: several pages. */
static void test_many(void)
{
    char dir[4200], out[4200];
    char saved[4096];
    memcpy(saved, case_dir, sizeof saved);
    path_in(dir, sizeof dir, scratch, "many");
    REQUIRE(mkdir(dir, 0755) == 0);
    memcpy(case_dir, dir, sizeof case_dir);
    path_in(out, sizeof out, case_dir, "evidence");
    REQUIRE(mkdir(out, 0755) == 0);
    write_png("evidence/a.png", 200, 120, 7);
    write_png("evidence/b.png", 120, 200, 8);
    json_t *fj = base_findings(), *arr = json_array();
    static const char *const results[] = {"passed", "failed", "undetermined", "not_supported",
                                          "aborted"};
    for (int i = 0; i < 60; i++) {
        char id[32], msg[200];
        snprintf(id, sizeof id, "check_%02d", i);
        snprintf(msg, sizeof msg, "finding %d: measured against the specimen's reference, "
                                  "within the tolerance of its rule", i);
        json_t *f = finding(id, results[i % 5], "optical", msg);
        json_object_set_new(f, "value", json_real(i * 1.25));
        json_object_set_new(f, "expected", json_pack("{s:f}", "min", 10.0));
        if (i % 10 == 0)
            json_object_set_new(f, "evidence", evidence("evidence/a.png", "evidence/b.png"));
        if (i % 5 == 4)
            json_object_set_new(f, "traceback",
                                json_string("stack traceback:\n\tline 1\n\tline 2"));
        json_array_append_new(arr, f);
    }
    /* a very long message: cut, over several pages of its own */
    char *big = malloc(100001);
    REQUIRE(big != NULL);
    for (int i = 0; i < 100000; i++)
        big[i] = i % 97 == 96 ? ' ' : (char)('a' + i % 26);
    big[100000] = '\0';
    json_t *f = finding("big_message", "failed", "optical", big);
    json_array_append_new(arr, f);
    free(big);
    /* a 33 MiB file (sparse) and a PNG whose header claims 20000 x 20000 pixels */
    char huge[4200];
    path_in(huge, sizeof huge, case_dir, "evidence/huge.png");
    FILE *hf = fopen(huge, "wb");
    REQUIRE(hf != NULL);
    REQUIRE(ftruncate(fileno(hf), 33L * 1024 * 1024) == 0);
    fclose(hf);
    static const unsigned char bomb[40] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                           0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                           0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20, 8, 2, 0, 0, 0};
    write_bytes("evidence/bomb.png", bomb, sizeof bomb);
    f = finding("huge_images", "undetermined", "optical", "oversized evidence");
    json_object_set_new(f, "evidence", evidence("evidence/huge.png", "evidence/bomb.png"));
    json_array_append_new(arr, f);
    json_object_set_new(fj, "findings", arr);
    json_object_set_new(fj, "files", json_array());
    unsigned pages = 0;
    dx_error err = {0};
    path_in(out, sizeof out, case_dir, "report.pdf");
    CHECK(dx_report_pdf_pages(case_dir, fj, out, &pages, &err) == DX_OK);
    size_t n;
    char *pdf = read_case("report.pdf", &n);
    REQUIRE(pdf != NULL);
    size_t counted = pdf_pages(pdf, n);
    printf("many: %u pages (%zu page objects)\n", pages, counted);
    CHECK(pages > 10);
    CHECK(counted == pages);
    unsigned by_poppler = pdfinfo_pages(out);
    CHECK(by_poppler == 0 || by_poppler == pages);
    free(pdf);
    CHECK(dx_report_html(case_dir, fj, NULL, &err) == DX_OK);
    char *html = read_case("report.html", &n);
    REQUIRE(html != NULL);
    CHECK(count(html, "<article ") == 62);
    CHECK(strstr(html, "image missing: evidence/huge.png has 34603008 bytes, over the limit of "
                       "32 MiB") != NULL);
    CHECK(strstr(html, "image missing: evidence/bomb.png is a PNG larger than 16384 pixels")
          != NULL);
    CHECK(strstr(html, "[cut: 100000 bytes]") != NULL);
    CHECK(count(html, "data:image/png;base64,") == 12);
    CHECK(strstr(html, "no findings.json in the case directory") != NULL);
    free(html);
    json_decref(fj);
    memcpy(case_dir, saved, sizeof case_dir);
}

/* Wrong types everywhere, a generic specimen: still a report. */
static void test_odd(void)
{
    dx_error err = {0};
    json_t *fj = json_pack("{s:i,s:i,s:s,s:[i,s,{s:i,s:[s]}],s:{},s:[i],"
                           "s:{s:{s:n,s:n,s:b}, s:s}}",
                           "format", 2, "verdict", 7, "groups", "none", "findings", 1, "x", "id",
                           5, "result", "a", "files", "timings_ms", 1, "document", "specimen",
                           "id", "name", "generic", 1, "mrz", "not an object");
    REQUIRE(fj != NULL);
    char out[4200];
    path_in(out, sizeof out, scratch, "odd.html");
    CHECK_MSG(dx_report_html(case_dir, fj, out, &err) == DX_OK, "%s", err.message);
    size_t n;
    char *html = (char *)read_all(out, &n);
    REQUIRE(html != NULL);
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strstr(html, "unknown document: generic rules only") != NULL);
    CHECK(strstr(html, "findings.json has no format") != NULL);
    CHECK(strstr(html, "this entry of findings.json is not an object") != NULL);
    CHECK(strstr(html, "No MRZ was read.") != NULL);
    CHECK(count(html, "<article ") == 3);
    free(html);
    path_in(out, sizeof out, scratch, "odd.pdf");
    CHECK_MSG(dx_report_pdf(case_dir, fj, out, &err) == DX_OK, "%s", err.message);
    json_decref(fj);
}

static void test_errors(void)
{
    dx_error err = {0};
    json_t *fj = base_findings(), *arr = json_array();
    char missing[4200], out[4200], file_dir[4200];
    path_in(missing, sizeof missing, scratch, "no-such-case");
    /* case_dir missing: the error names it */
    CHECK(dx_report_html(missing, fj, NULL, &err) == DX_ERR_NOT_FOUND);
    CHECK(strstr(err.message, missing) != NULL);
    memset(&err, 0, sizeof err);
    CHECK(dx_report_pdf(missing, fj, NULL, &err) == DX_ERR_NOT_FOUND);
    CHECK(strstr(err.message, missing) != NULL);
    /* case_dir a file */
    path_in(file_dir, sizeof file_dir, case_dir, "findings.json");
    CHECK(dx_report_html(file_dir, fj, NULL, &err) == DX_ERR_NOT_FOUND);
    CHECK(strstr(err.message, "not a directory") != NULL);
    /* not an object, no case */
    CHECK(dx_report_html(case_dir, arr, NULL, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_report_pdf(NULL, fj, NULL, &err) == DX_ERR_INVALID_ARG);
    /* out_path in a missing directory, under a file, a directory, no name */
    path_in(out, sizeof out, scratch, "no-such-dir/report.html");
    memset(&err, 0, sizeof err);
    CHECK(dx_report_html(case_dir, fj, out, &err) == DX_ERR_IO);
    CHECK_MSG(strstr(err.message, out) != NULL, "%s", err.message);
    path_in(out, sizeof out, scratch, "no-such-dir/report.pdf");
    memset(&err, 0, sizeof err);
    CHECK(dx_report_pdf(case_dir, fj, out, &err) == DX_ERR_IO);
    CHECK_MSG(strstr(err.message, out) != NULL, "%s", err.message);
    path_in(out, sizeof out, case_dir, "findings.json/report.html");
    CHECK(dx_report_html(case_dir, fj, out, &err) == DX_ERR_IO);
    path_in(out, sizeof out, case_dir, "evidence");
    memset(&err, 0, sizeof err);
    CHECK(dx_report_html(case_dir, fj, out, &err) == DX_ERR_IO);
    CHECK_MSG(strstr(err.message, out) != NULL, "%s", err.message);
    CHECK(dx_report_pdf(case_dir, fj, out, &err) == DX_ERR_IO);
    CHECK(temporaries(out) == 0 && temporaries(case_dir) == 0);
    path_in(out, sizeof out, case_dir, "");
    CHECK(dx_report_html(case_dir, fj, out, &err) == DX_ERR_INVALID_ARG);
    /* a read-only directory (root writes anyway: only as a user) */
    if (geteuid() != 0) {
        char ro[4200];
        path_in(ro, sizeof ro, scratch, "readonly");
        REQUIRE(mkdir(ro, 0555) == 0);
        path_in(out, sizeof out, ro, "report.pdf");
        CHECK(dx_report_pdf(case_dir, fj, out, &err) == DX_ERR_IO);
        chmod(ro, 0755);
    }
    json_decref(arr);
    json_decref(fj);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    char cmd[4200];
    snprintf(scratch, sizeof scratch, "%s", argv[1]);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    REQUIRE(strchr(scratch, '\'') == NULL && system(cmd) == 0);
    REQUIRE(mkdir(scratch, 0755) == 0);
    /* absolute: the symbolic link made in the case must point out of it */
    char abs[PATH_MAX];
    REQUIRE(realpath(argv[1], abs) != NULL);
    snprintf(scratch, sizeof scratch, "%s", abs);
    make_case();
    test_html();
    test_pdf();
    test_pdf_images();
    test_many();
    test_odd();
    test_errors();
    return dxtest_done();
}
