/* findings.json into the report model (report_internal.h): every text
 * sanitised and bounded, every path checked to stay in the case directory,
 * the evidence images read and decoded once to know they are usable. */
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cairo.h>

#include "host/host_internal.h"
#include "image/image.h"
#include "report/report_internal.h"

struct dx_report_chunk {
    dx_report_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

#define CHUNK_MIN 65536u

/* ---- arena: every allocation of the model, freed at once --------------- */

static void *arena_alloc(dx_report_model *m, size_t n)
{
    dx_report_chunk *c = m->arena;
    n = (n + 15u) & ~(size_t)15u;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = malloc(sizeof *c + cap);
        if (!c) {
            m->oom = true;
            return NULL;
        }
        c->next = m->arena;
        c->used = 0;
        c->cap = cap;
        m->arena = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

/* Arrays: NULL only when out of memory (n == 0 gives a valid pointer). */
static void *arena_array(dx_report_model *m, size_t n, size_t size)
{
    if (n && size > SIZE_MAX / n) {
        m->oom = true;
        return NULL;
    }
    return arena_alloc(m, n && size ? n * size : 1);
}

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code point,
 * or 0 when it is not one (overlong, surrogate, beyond U+10FFFF, cut). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07u;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3fu);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* A copy of n bytes of s that is valid UTF-8 without control characters
 * (newline and tab kept; the others, C1 controls and invalid bytes become
 * '?'), cut at DX_REPORT_TEXT_MAX bytes with a note.  "" when out of memory. */
static const char *text_n(dx_report_model *m, const char *s, size_t n)
{
    size_t keep = n > DX_REPORT_TEXT_MAX ? DX_REPORT_TEXT_MAX : n;
    char *d = arena_alloc(m, keep + 64);
    size_t o = 0;
    if (!d)
        return "";
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < keep;) {
        uint32_t cp = 0;
        size_t len;
        if (u[i] < 0x80) {
            d[o++] = (u[i] < 0x20 && u[i] != '\n' && u[i] != '\t') || u[i] == 0x7f ? '?'
                                                                                  : (char)u[i];
            i++;
        } else if ((len = utf8_seq(u + i, keep - i, &cp)) != 0 && !(cp >= 0x80 && cp <= 0x9f)) {
            memcpy(d + o, u + i, len);
            o += len;
            i += len;
        } else {
            d[o++] = '?';
            i++;
        }
    }
    if (keep < n)
        o += (size_t)snprintf(d + o, 64, " \xe2\x80\xa6 [cut: %zu bytes]", n);
    d[o] = '\0';
    return d;
}

static const char *text(dx_report_model *m, const char *s)
{
    return s ? text_n(m, s, strlen(s)) : NULL;
}

/* printf into the arena; the arguments are sanitised texts or numbers. */
static const char *textf(dx_report_model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *textf(dx_report_model *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return "";
    char *d = arena_alloc(m, (size_t)n + 1);
    if (!d)
        return "";
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

/* ---- JSON access: a key of the wrong type is absent ---------------------- */

static const json_t *jobj(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_object(v) ? v : NULL;
}

/* The sanitised text of a string member, or NULL. */
static const char *jtext(dx_report_model *m, const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? text_n(m, json_string_value(v), json_string_length(v)) : NULL;
}

static bool jnum(const json_t *o, const char *key, double *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

static const char *num_text(dx_report_model *m, const json_t *v)
{
    if (json_is_integer(v))
        return textf(m, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return textf(m, "%.6g", json_number_value(v));
}

/* A value of any type as text: numbers, strings, booleans; other JSON
 * compact, NULL for null/absent. */
static const char *value_text(dx_report_model *m, const json_t *v)
{
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_number(v))
        return num_text(m, v);
    if (json_is_string(v))
        return text_n(m, json_string_value(v), json_string_length(v));
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    const char *t = s ? text(m, s) : "?";
    free(s);
    return t;
}

static const char *yes_no(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_boolean(v) ? (json_is_true(v) ? "yes" : "no") : NULL;
}

static const char *or_dash(const char *s)
{
    return s ? s : "\xe2\x80\x94";
}

dx_report_class dx_report_class_of(const char *r)
{
    static const char *const names[] = {"failed", "aborted", "undetermined", "passed",
                                        "not_supported"};
    for (size_t i = 0; r && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(r, names[i]) == 0)
            return (dx_report_class)i;
    return DX_REPORT_OTHER;
}

/* ---- paths named by findings.json ---------------------------------------- */

typedef enum where_kind { W_OK, W_REFUSED, W_MISSING } where_kind;

typedef struct load_ctx {
    dx_report_model *m;
    const char *case_dir;
    char case_real[PATH_MAX];
} load_ctx;

/* Resolve the case-relative `rel` (len bytes, may hold a NUL) into resolved:
 * W_OK, or W_REFUSED / W_MISSING with *why (sanitised text). */
static where_kind resolve_in_case(load_ctx *c, const char *rel, size_t len,
                                  char resolved[PATH_MAX], const char **why)
{
    char full[PATH_MAX];
    if (len == 0) {
        *why = "the path is empty";
        return W_REFUSED;
    }
    if (strlen(rel) != len) {
        *why = "the path holds a NUL character";
        return W_REFUSED;
    }
    if (rel[0] == '/') {
        *why = "the path is absolute";
        return W_REFUSED;
    }
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            *why = "the path has a \"..\" component";
            return W_REFUSED;
        }
        p += n;
        while (*p == '/')
            p++;
    }
    for (const char *p = rel; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *why = "the path holds a control character";
            return W_REFUSED;
        }
    if ((size_t)snprintf(full, sizeof full, "%s/%s", c->case_dir, rel) >= sizeof full) {
        *why = "the path is too long";
        return W_REFUSED;
    }
    if (!realpath(full, resolved)) {
        int e = errno;
        *why = e == ENOENT || e == ENOTDIR ? "not found" : textf(c->m, "%s", strerror(e));
        return W_MISSING;
    }
    size_t n = strlen(c->case_real);
    if (strncmp(resolved, c->case_real, n) != 0 ||
        (resolved[n] != '/' && !(n == 1 && c->case_real[0] == '/'))) {
        *why = "the path leads out of the case directory (symbolic link)";
        return W_REFUSED;
    }
    return W_OK;
}

/* Width and height from the IHDR of PNG bytes, or a reason. */
static const char *png_dims(const unsigned char *b, size_t len, int *w, int *h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len < 33 || memcmp(b, sig, 8) != 0)
        return "not a PNG file";
    uint32_t clen = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
    if (clen != 13 || memcmp(b + 12, "IHDR", 4) != 0)
        return "a PNG file without its IHDR header";
    uint32_t ww = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    uint32_t hh = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
    if (ww == 0 || hh == 0)
        return "a PNG of zero size";
    if (ww > DX_REPORT_IMAGE_SIDE_MAX || hh > DX_REPORT_IMAGE_SIDE_MAX ||
        (uint64_t)ww * hh > DX_REPORT_IMAGE_PIXELS_MAX)
        return "a PNG larger than 16384 pixels a side or 32 Mpixels";
    *w = (int)ww;
    *h = (int)hh;
    return NULL;
}

typedef struct mem_reader {
    const unsigned char *b;
    size_t len, pos;
} mem_reader;

static cairo_status_t mem_read(void *closure, unsigned char *data, unsigned int length)
{
    mem_reader *r = closure;
    if (r->len - r->pos < length)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->b + r->pos, length);
    r->pos += length;
    return CAIRO_STATUS_SUCCESS;
}

cairo_surface_t *dx_report_png_surface(const unsigned char *png, size_t len)
{
    /* decoded by image.h (libdeflate for grey and RGB, several times cairo's
     * libpng reader); anything it refuses goes to cairo's reader, whose error
     * surface says why */
    dx_png_image im;
    dx_error e = {0};
    if (dx_png_decode(png, len, "image", &im, &e) == DX_OK) {
        const dx_image_view *v = &im.view;
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)v->width, (int)v->height);
        if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
            unsigned char *dst = cairo_image_surface_get_data(s);
            int stride = cairo_image_surface_get_stride(s);
            /* 16-bit samples are host order: the high byte is p[1] on little-endian */
            const uint16_t one = 1;
            int hi = *(const uint8_t *)&one == 1 ? 1 : 0;
            cairo_surface_flush(s);
            for (uint32_t y = 0; y < v->height; y++) {
                const uint8_t *p = (const uint8_t *)v->data + (size_t)y * v->stride;
                uint32_t *o = (uint32_t *)(void *)(dst + (size_t)y * (size_t)stride);
                for (uint32_t x = 0; x < v->width; x++) {
                    uint32_t r, g, b;
                    switch (v->format) {
                    case DX_PIX_GRAY8: r = g = b = p[x]; break;
                    case DX_PIX_GRAY16: r = g = b = p[2 * x + hi]; break;
                    case DX_PIX_RGB8: r = p[3 * x], g = p[3 * x + 1], b = p[3 * x + 2]; break;
                    default: r = p[6 * x + hi], g = p[6 * x + 2 + hi], b = p[6 * x + 4 + hi]; break;
                    }
                    o[x] = r << 16 | g << 8 | b;
                }
            }
            cairo_surface_mark_dirty(s);
        }
        dx_png_image_free(&im);
        return s;
    }
    mem_reader r = {png, len, 0};
    return cairo_image_surface_create_from_png_stream(mem_read, &r);
}

/* Read the file at resolved (a regular file in the case) into img->png. */
static void image_read(load_ctx *c, const char *resolved, dx_report_image *img)
{
    dx_report_model *m = c->m;
    dx_status st = DX_OK;
    struct stat sb;
    FILE *f = dx_file_open_regular(resolved, &st, NULL);
    if (!f) {
        if (st == DX_ERR_DATA)
            img->note = textf(m, "image refused: %s is not a regular file", img->path);
        else if (st == DX_ERR_NOT_FOUND)
            img->note = textf(m, "image missing: %s not found", img->path);
        else
            img->note = textf(m, "image missing: %s cannot be opened", img->path);
        return;
    }
    if (fstat(fileno(f), &sb) != 0) {
        img->note = textf(m, "image missing: %s cannot be examined", img->path);
        goto done;
    }
    if (sb.st_size > (off_t)DX_REPORT_IMAGE_MAX) {
        img->note = textf(m, "image missing: %s has %lld bytes, over the limit of 32 MiB",
                          img->path, (long long)sb.st_size);
        goto done;
    }
    size_t size = (size_t)sb.st_size;
    if (m->image_bytes + size > DX_REPORT_IMAGES_MAX) {
        img->note = textf(m, "image left out: %s would take the report's images over 256 MiB",
                          img->path);
        goto done;
    }
    img->png = malloc(size + 1);
    if (!img->png) {
        m->oom = true;
        goto done;
    }
    /* one byte more than the size seen: a file that grows is noticed */
    img->len = fread(img->png, 1, size + 1, f);
    if (ferror(f) || img->len != size) {
        img->note = textf(m, "image missing: %s changed or could not be read", img->path);
        goto done;
    }
    const char *why = png_dims(img->png, img->len, &img->width, &img->height);
    if (why) {
        img->note = textf(m, "image missing: %s is %s", img->path, why);
        goto done;
    }
    /* readable: decoded whole (checksums, data, size); what the decoder
     * refuses goes to cairo's reader, whose status says why */
    dx_png_image im;
    dx_error de = {0};
    cairo_status_t cs = CAIRO_STATUS_SUCCESS;
    bool same;
    if (dx_png_decode(img->png, img->len, img->path, &im, &de) == DX_OK) {
        same = im.view.width == (uint32_t)img->width && im.view.height == (uint32_t)img->height;
        dx_png_image_free(&im);
    } else {
        cairo_surface_t *s = dx_report_png_surface(img->png, img->len);
        cs = cairo_surface_status(s);
        same = cs == CAIRO_STATUS_SUCCESS && cairo_image_surface_get_width(s) == img->width &&
               cairo_image_surface_get_height(s) == img->height;
        cairo_surface_destroy(s);
    }
    if (cs == CAIRO_STATUS_NO_MEMORY) {
        m->oom = true;
        goto done;
    }
    if (!same) {
        img->note = textf(m, "image missing: %s is not a readable PNG (%s)", img->path,
                          cs != CAIRO_STATUS_SUCCESS ? cairo_status_to_string(cs)
                                                     : "size differs from its header");
        goto done;
    }
    dx_sha256_hex(img->png, img->len, img->sha256);
    m->image_bytes += img->len;
    img->ok = true;
done:
    fclose(f);
    if (!img->ok) {
        free(img->png);
        img->png = NULL;
        img->len = 0;
    }
}

/* evidence.<key> (with <key>_sha256) of a finding into img. */
static void image_load(load_ctx *c, const json_t *ev, const char *key, const char *what,
                       const char *light, dx_report_image *img)
{
    dx_report_model *m = c->m;
    char resolved[PATH_MAX], shakey[64];
    const char *why = NULL;
    const json_t *p = json_object_get(ev, key);
    if (!p || json_is_null(p))
        return;
    img->present = true;
    img->caption = light ? textf(m, "%s (%s)", what, light) : what;
    img->path = "";
    if (!json_is_string(p)) {
        img->note = "image missing: the evidence path is not a string";
        return;
    }
    img->path = text_n(m, json_string_value(p), json_string_length(p));
    switch (resolve_in_case(c, json_string_value(p), json_string_length(p), resolved, &why)) {
    case W_REFUSED:
        img->note = textf(m, "image refused: \"%s\": %s", img->path, why);
        dx_log(DX_CAT_REPORT, DX_LOG_WARNING, "evidence \"%s\" refused: %s", img->path, why);
        return;
    case W_MISSING:
        img->note = textf(m, "image missing: %s: %s", img->path, why);
        return;
    case W_OK:
        break;
    }
    image_read(c, resolved, img);
    snprintf(shakey, sizeof shakey, "%s_sha256", key);
    const json_t *rec = json_object_get(ev, shakey);
    if (img->ok && json_is_string(rec) && strcasecmp(json_string_value(rec), img->sha256) != 0)
        img->note = textf(m, "warning: the SHA-256 of this file (%s) differs from findings.json's "
                          "(%s)", img->sha256, text(m, json_string_value(rec)));
}

/* ---- the parts of findings.json ------------------------------------------ */

static void load_head(load_ctx *c, const json_t *fj)
{
    dx_report_model *m = c->m;
    const json_t *doc = jobj(fj, "document"), *spec = jobj(doc, "specimen");
    const json_t *src = jobj(fj, "source");
    const char *format = jtext(m, fj, "format");
    if (!format)
        m->format_note = "findings.json has no format: it may not be docex.findings/1";
    else if (strcmp(format, DX_FINDINGS_FORMAT) != 0)
        m->format_note = textf(m, "findings.json says format \"%s\", not " DX_FINDINGS_FORMAT
                               ": what follows may be incomplete", format);

    m->verdict = jtext(m, fj, "verdict");
    if (!m->verdict)
        m->verdict = "unknown";
    m->verdict_cls = dx_report_class_of(m->verdict);

    const char *id = jtext(m, spec, "id"), *name = jtext(m, spec, "name");
    if (json_is_true(json_object_get(spec, "generic")))
        m->document = "unknown document: generic rules only";
    else if (id && name)
        m->document = textf(m, "%s \xe2\x80\x94 %s", id, name);
    else if (id || name)
        m->document = id ? id : name;
    else
        m->document = "no specimen";

    m->head = arena_array(m, 8, sizeof *m->head);
    if (!m->head)
        return;
    size_t n = 0;
    m->head[n++] = (dx_report_kv){"Specimen chosen by", or_dash(jtext(m, spec, "matched_by"))};
    const char *smsg = jtext(m, spec, "message");
    if (smsg && *smsg)
        m->head[n++] = (dx_report_kv){"Specimen choice", smsg};
    const json_t *cand = json_object_get(spec, "candidates");
    if (json_is_array(cand) && json_array_size(cand)) {
        const char *list = "";
        size_t i;
        const json_t *v;
        json_array_foreach(cand, i, v) {
            const char *t = value_text(m, v);
            list = i ? textf(m, "%s, %s", list, or_dash(t)) : or_dash(t);
            if (i >= 50) {
                list = textf(m, "%s, \xe2\x80\xa6 (%zu in all)", list, json_array_size(cand));
                break;
            }
        }
        m->head[n++] = (dx_report_kv){"Candidates", list};
    }
    m->head[n++] = (dx_report_kv){"Date", or_dash(jtext(m, fj, "created"))};
    m->head[n++] = (dx_report_kv){"docex version", or_dash(jtext(m, fj, "docex_version"))};
    const char *kind = jtext(m, src, "kind"), *dev = jtext(m, src, "device");
    const char *chipdev = jtext(m, src, "chip_device"), *from = jtext(m, src, "from");
    const char *source;
    if (kind && strcmp(kind, "device") == 0)
        source = textf(m, "device %s", or_dash(dev));
    else if (kind && strcmp(kind, "files") == 0)
        source = textf(m, "directory %s", or_dash(from));
    else
        source = kind ? kind : "\xe2\x80\x94";
    if (chipdev)
        source = textf(m, "%s, chip reader %s", source, chipdev);
    if (from && kind && strcmp(kind, "files") != 0)
        source = textf(m, "%s, from %s", source, from);
    m->head[n++] = (dx_report_kv){"Source", source};
    m->n_head = n;

    static const char *const gnames[4] = {"mrz", "optical", "chip", "cross"};
    static const char *const glabels[4] = {"MRZ", "optical", "chip", "cross"};
    const json_t *groups = jobj(fj, "groups");
    for (int g = 0; g < 4; g++) {
        const char *r = jtext(m, groups, gnames[g]);
        m->groups[g] = (dx_report_kv){glabels[g], or_dash(r)};
        m->group_cls[g] = dx_report_class_of(r);
    }
}

static void load_mrz_chip(load_ctx *c, const json_t *fj)
{
    dx_report_model *m = c->m;
    const json_t *doc = jobj(fj, "document");
    const json_t *mrz = jobj(doc, "mrz"), *chip = jobj(doc, "chip");
    if (mrz) {
        const json_t *lines = json_object_get(mrz, "lines");
        m->has_mrz = true;
        if (json_is_array(lines)) {
            size_t cnt = json_array_size(lines) > 8 ? 8 : json_array_size(lines);
            m->mrz_lines = arena_array(m, cnt, sizeof *m->mrz_lines);
            for (size_t i = 0; m->mrz_lines && i < cnt; i++)
                m->mrz_lines[m->n_mrz_lines++] = or_dash(value_text(m, json_array_get(lines, i)));
        }
        m->mrz = arena_array(m, 3, sizeof *m->mrz);
        if (m->mrz) {
            const json_t *src = jobj(mrz, "source");
            m->mrz[m->n_mrz++] = (dx_report_kv){"Format", or_dash(jtext(m, mrz, "format"))};
            m->mrz[m->n_mrz++] = (dx_report_kv){"Check digits", yes_no(mrz, "valid") ?
                                                (json_is_true(json_object_get(mrz, "valid"))
                                                     ? "valid" : "INVALID")
                                                : "\xe2\x80\x94"};
            if (src)
                m->mrz[m->n_mrz++] =
                    (dx_report_kv){"Read from", textf(m, "%s, %s",
                                                      or_dash(jtext(m, src, "illumination")),
                                                      or_dash(jtext(m, src, "file")))};
        }
    }
    if (chip) {
        static const struct {
            const char *key, *label;
        } keys[] = {{"read", "Read"},
                    {"verified", "Verified"},
                    {"passive_authentication", "Passive authentication"},
                    {"active_authentication", "Active authentication"},
                    {"dg1_vs_printed_mrz", "DG1 vs printed MRZ"},
                    {"message", "Message"}};
        m->has_chip = true;
        m->chip = arena_array(m, 6, sizeof *m->chip);
        for (size_t i = 0; m->chip && i < 6; i++) {
            const json_t *v = json_object_get(chip, keys[i].key);
            const char *t = json_is_boolean(v) ? (json_is_true(v) ? "yes" : "no")
                                               : value_text(m, v);
            if (t)
                m->chip[m->n_chip++] = (dx_report_kv){keys[i].label, t};
        }
    }
}

static const char *expected_text(dx_report_model *m, const json_t *e)
{
    double lo = 0, hi = 0;
    if (json_is_object(e)) {
        bool has_lo = jnum(e, "min", &lo), has_hi = jnum(e, "max", &hi);
        const char *tlo = has_lo ? num_text(m, json_object_get(e, "min")) : NULL;
        const char *thi = has_hi ? num_text(m, json_object_get(e, "max")) : NULL;
        if (has_lo && has_hi)
            return textf(m, "%s .. %s", tlo, thi);
        if (has_lo)
            return textf(m, "\xe2\x89\xa5 %s", tlo);
        if (has_hi)
            return textf(m, "\xe2\x89\xa4 %s", thi);
        return NULL;
    }
    return value_text(m, e);
}

static const char *region_text(dx_report_model *m, const json_t *r)
{
    double x, y, w, h;
    const char *at = NULL;
    const json_t *rect = json_object_get(r, "rect_mm");
    if (!json_is_object(r))
        return NULL;
    if (jnum(r, "x", &x) && jnum(r, "y", &y) && jnum(r, "w", &w) && jnum(r, "h", &h))
        at = textf(m, "x %.1f, y %.1f, %.1f \xc3\x97 %.1f mm", x, y, w, h);
    else if (json_is_array(rect) && json_array_size(rect) == 4 &&
             json_is_number(json_array_get(rect, 0)) && json_is_number(json_array_get(rect, 1)) &&
             json_is_number(json_array_get(rect, 2)) && json_is_number(json_array_get(rect, 3)))
        at = textf(m, "x %.1f, y %.1f, %.1f \xc3\x97 %.1f mm",
                   json_number_value(json_array_get(rect, 0)),
                   json_number_value(json_array_get(rect, 1)),
                   json_number_value(json_array_get(rect, 2)),
                   json_number_value(json_array_get(rect, 3)));
    const char *side = jtext(m, r, "side"), *feat = jtext(m, r, "feature");
    const char *light = jtext(m, r, "light");
    const char *t = at ? at : "";
    if (side)
        t = textf(m, "%s%son %s", t, *t ? " " : "", side);
    if (feat)
        t = textf(m, "%s%sfeature %s", t, *t ? ", " : "", feat);
    if (light)
        t = textf(m, "%s%sunder %s", t, *t ? ", " : "", light);
    return *t ? t : NULL;
}

static void load_finding(load_ctx *c, const json_t *f, size_t index, dx_report_finding *out)
{
    dx_report_model *m = c->m;
    double d;
    out->index = index;
    if (!json_is_object(f)) {
        out->id = textf(m, "finding %zu", index + 1);
        out->result = "unknown";
        out->cls = DX_REPORT_OTHER;
        out->message = "this entry of findings.json is not an object";
        out->rows = arena_array(m, 0, sizeof *out->rows);
        return;
    }
    out->id = or_dash(jtext(m, f, "id"));
    out->result = jtext(m, f, "result");
    out->cls = dx_report_class_of(out->result);
    if (!out->result)
        out->result = "unknown";
    out->message = jtext(m, f, "message");
    out->traceback = jtext(m, f, "traceback");
    const json_t *nt = jobj(f, "notation");
    if (nt)
        out->notation = textf(m, "(%s, %s, %s)", or_dash(jtext(m, nt, "light")),
                              or_dash(jtext(m, nt, "property")), or_dash(jtext(m, nt, "feature")));
    const char *light = jtext(m, f, "light");
    if (!light)
        light = jtext(m, jobj(f, "region"), "light");

    out->rows = arena_array(m, 8, sizeof *out->rows);
    if (!out->rows)
        return;
    size_t n = 0;
    const char *t;
    out->rows[n++] = (dx_report_kv){"Mode", or_dash(jtext(m, f, "mode"))};
    out->rows[n++] = (dx_report_kv){"Group", or_dash(jtext(m, f, "group"))};
    if ((t = value_text(m, json_object_get(f, "value"))) != NULL)
        out->rows[n++] = (dx_report_kv){"Value", t};
    if ((t = expected_text(m, json_object_get(f, "expected"))) != NULL)
        out->rows[n++] = (dx_report_kv){"Expected", t};
    if ((t = region_text(m, json_object_get(f, "region"))) != NULL)
        out->rows[n++] = (dx_report_kv){"Region", t};
    if (light)
        out->rows[n++] = (dx_report_kv){"Light", light};
    if ((t = jtext(m, f, "rule")) != NULL || (t = jtext(m, f, "declared_at")) != NULL)
        out->rows[n++] = (dx_report_kv){"Rule", t};
    if (jnum(f, "duration_ms", &d))
        out->rows[n++] = (dx_report_kv){"Duration", textf(m, "%.3f ms", d)};
    out->n_rows = n;

    const json_t *ev = jobj(f, "evidence");
    if (ev) {
        image_load(c, ev, "captured", "captured", light, &out->captured);
        /* "reference_is": what the reference image is when not the
         * specimen's (e.g. the chip's DG2 portrait of a cross-check) */
        const json_t *what = json_object_get(ev, "reference_is");
        if (json_is_string(what))
            image_load(c, ev, "reference", text_n(m, json_string_value(what), json_string_length(what)),
                       NULL, &out->reference);
        else
            image_load(c, ev, "reference", "reference", light, &out->reference);
    }
}

static int finding_cmp(const void *a, const void *b)
{
    const dx_report_finding *x = a, *y = b;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void load_findings(load_ctx *c, const json_t *fj)
{
    dx_report_model *m = c->m;
    const json_t *arr = json_object_get(fj, "findings");
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    m->findings = arena_array(m, n, sizeof *m->findings);
    if (!m->findings)
        return;
    for (size_t i = 0; i < n && !m->oom; i++) {
        load_finding(c, json_array_get(arr, i), i, &m->findings[i]);
        m->n_findings++;
        m->class_count[m->findings[i].cls]++;
    }
    qsort(m->findings, m->n_findings, sizeof *m->findings, finding_cmp);

    static const char *const cnames[] = {"failed", "aborted", "undetermined", "passed",
                                         "not supported", "other"};
    const char *s = textf(m, "%zu finding%s", m->n_findings, m->n_findings == 1 ? "" : "s");
    const char *sep = ": ";
    for (int k = 0; k <= DX_REPORT_OTHER; k++)
        if (m->class_count[k]) {
            s = textf(m, "%s%s%zu %s", s, sep, m->class_count[k], cnames[k]);
            sep = ", ";
        }
    m->summary = s;
}

/* The files of findings.json's "files", resolved in the case (here) and
 * hashed on a thread of their own while the evidence images are read. */
typedef struct file_check {
    where_kind kind;
    const char *why;
    char *resolved;     /* malloc'd, when kind is W_OK */
    dx_status st;       /* of hashing, when kind is W_OK */
    char hex[65];
} file_check;

typedef struct files_hash {
    file_check *v;
    size_t n;
    pthread_t tid;
    bool threaded;
} files_hash;

static void *files_hash_main(void *arg)
{
    files_hash *h = arg;
    for (size_t i = 0; i < h->n; i++) {
        dx_error e = {0};
        if (h->v[i].kind == W_OK)
            h->v[i].st = dx_file_sha256(h->v[i].resolved, h->v[i].hex, &e);
    }
    return NULL;
}

static void files_hash_start(load_ctx *c, const json_t *fj, files_hash *h)
{
    const json_t *arr = json_object_get(fj, "files");
    memset(h, 0, sizeof *h);
    h->n = json_is_array(arr) ? json_array_size(arr) : 0;
    if (!h->n || !(h->v = calloc(h->n, sizeof *h->v))) {
        h->n = 0;
        return;
    }
    for (size_t i = 0; i < h->n; i++) {
        const json_t *p = json_object_get(json_array_get(arr, i), "path");
        file_check *f = &h->v[i];
        char resolved[PATH_MAX];
        f->kind = W_REFUSED;
        if (json_is_string(p))
            f->kind = resolve_in_case(c, json_string_value(p), json_string_length(p), resolved,
                                      &f->why);
        if (f->kind == W_OK && !(f->resolved = strdup(resolved))) {
            f->kind = W_MISSING;
            f->why = "out of memory";
        }
    }
    h->threaded = pthread_create(&h->tid, NULL, files_hash_main, h) == 0;
}

static void files_hash_join(files_hash *h)
{
    if (h->threaded)
        pthread_join(h->tid, NULL);
    else if (h->n)
        files_hash_main(h);
    h->threaded = false;
}

static void files_hash_free(files_hash *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->v[i].resolved);
    free(h->v);
}

static void load_files(load_ctx *c, const json_t *fj, const files_hash *h)
{
    dx_report_model *m = c->m;
    const json_t *arr = json_object_get(fj, "files");
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    m->files = arena_array(m, n, sizeof *m->files);
    if (!m->files)
        return;
    for (size_t i = 0; i < n && !m->oom; i++) {
        const json_t *f = json_array_get(arr, i), *p = json_object_get(f, "path");
        const json_t *bytes = json_object_get(f, "bytes");
        const json_t *sha = json_object_get(f, "sha256");
        dx_report_file *o = &m->files[m->n_files++];
        const file_check *fc = i < h->n ? &h->v[i] : NULL;
        struct stat sb;
        o->path = json_is_string(p) ? text_n(m, json_string_value(p), json_string_length(p))
                                    : "\xe2\x80\x94";
        o->role = or_dash(jtext(m, f, "role"));
        o->bytes = json_is_integer(bytes) ? num_text(m, bytes) : "\xe2\x80\x94";
        o->sha256 = or_dash(jtext(m, f, "sha256"));
        if (!json_is_string(p)) {
            o->check = "refused: no path";
            continue;
        }
        if (!fc) { /* out of memory for the checks */
            m->oom = true;
            return;
        }
        switch (fc->kind) {
        case W_REFUSED:
            o->check = textf(m, "refused: %s", fc->why);
            continue;
        case W_MISSING:
            o->check = textf(m, "missing: %s", fc->why);
            continue;
        case W_OK:
            break;
        }
        if (fc->st != DX_OK) {
            o->check = fc->st == DX_ERR_DATA ? "refused: not a regular file"
                                             : textf(m, "missing: %s", dx_status_str(fc->st));
            continue;
        }
        if (!json_is_string(sha) || strcasecmp(json_string_value(sha), fc->hex) != 0) {
            o->check = textf(m, "differs: SHA-256 on disk %s", fc->hex);
            continue;
        }
        if (json_is_integer(bytes) && stat(fc->resolved, &sb) == 0 &&
            (json_int_t)sb.st_size != json_integer_value(bytes)) {
            o->check = textf(m, "differs: %lld bytes on disk", (long long)sb.st_size);
            continue;
        }
        o->check = "ok";
        o->check_ok = true;
    }
}

static void load_tail(load_ctx *c, const json_t *fj)
{
    dx_report_model *m = c->m;
    static const char *const cols[6] = {"Side", "Light", "Rotation", "Scale", "Confidence",
                                        "Residual"};
    static const char *const keys[6] = {"side", "light", "rotation_deg", "scale_px_per_mm",
                                        "confidence", "residual_px"};
    static const int digits[6] = {-1, -1, 2, 2, 3, 2};
    static const char *const units[6] = {"", "", "\xc2\xb0", " px/mm", "", " px"};
    char path[PATH_MAX], hex[65];
    const json_t *reg = json_object_get(fj, "registration");
    size_t n = json_is_array(reg) ? json_array_size(reg) : 0;
    m->reg_cols = cols;
    m->reg = arena_array(m, n * 6, sizeof *m->reg);
    m->reg_error = arena_array(m, n, sizeof *m->reg_error);
    for (size_t i = 0; m->reg && m->reg_error && i < n; i++) {
        const json_t *r = json_array_get(reg, i);
        m->reg_error[i] = jtext(m, r, "error");
        for (int k = 0; k < 6; k++) {
            double d;
            const char *t;
            if (digits[k] >= 0)
                t = jnum(r, keys[k], &d) ? textf(m, "%.*f%s", digits[k], d, units[k]) : NULL;
            else
                t = jtext(m, r, keys[k]);
            m->reg[m->n_reg * 6 + (size_t)k] = or_dash(t);
        }
        m->n_reg++;
    }

    const json_t *warn = json_object_get(fj, "warnings");
    n = json_is_array(warn) ? json_array_size(warn) : 0;
    n = n > 200 ? 200 : n;
    m->warnings = arena_array(m, n, sizeof *m->warnings);
    for (size_t i = 0; m->warnings && i < n; i++)
        m->warnings[m->n_warnings++] = or_dash(value_text(m, json_array_get(warn, i)));

    const json_t *tm = jobj(fj, "timings_ms");
    m->timings = arena_array(m, tm ? json_object_size(tm) : 0, sizeof *m->timings);
    if (tm && m->timings) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)tm, key, v) {
            if (json_is_number(v))
                m->timings[m->n_timings++] =
                    (dx_report_kv){text(m, key), textf(m, "%.1f ms", json_number_value(v))};
        }
    }

    if ((size_t)snprintf(path, sizeof path, "%s/findings.json", c->case_dir) >= sizeof path) {
        m->findings_sha256 = "not computed: path too long";
        return;
    }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        m->findings_sha256 = "no findings.json in the case directory (report made from memory)";
        return;
    }
    dx_error e = {0};
    dx_status st = dx_file_sha256(path, hex, &e);
    m->findings_sha256 = st == DX_OK ? textf(m, "%s", hex)
                                     : textf(m, "cannot be read: %s", dx_status_str(st));
}

dx_status dx_report_model_load(dx_report_model *m, const char *case_dir, const json_t *findings,
                               dx_error *err)
{
    struct stat sb;
    load_ctx c = {.m = m, .case_dir = case_dir};
    memset(m, 0, sizeof *m);
    if (!case_dir)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "report: no case directory given");
    if (!json_is_object(findings))
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "report of %s: the findings are not a JSON object", case_dir);
    if (stat(case_dir, &sb) != 0)
        return dx_error_set(err, errno == ENOENT || errno == ENOTDIR ? DX_ERR_NOT_FOUND : DX_ERR_IO,
                            "case directory %s: %s", case_dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return dx_error_set(err, DX_ERR_NOT_FOUND, "case directory %s: not a directory",
                            case_dir);
    if (!realpath(case_dir, c.case_real))
        return dx_error_set(err, DX_ERR_IO, "case directory %s: %s", case_dir, strerror(errno));
    m->generator = textf(m, "docex %s", dx_version());
    files_hash fh;
    files_hash_start(&c, findings, &fh); /* the files hashed while the images are read */
    load_head(&c, findings);
    load_mrz_chip(&c, findings);
    load_findings(&c, findings);
    files_hash_join(&fh);
    load_files(&c, findings, &fh);
    files_hash_free(&fh);
    load_tail(&c, findings);
    if (m->oom)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "report of %s: out of memory", case_dir);
    return DX_OK;
}

void dx_report_model_free(dx_report_model *m)
{
    for (size_t i = 0; m->findings && i < m->n_findings; i++) {
        free(m->findings[i].captured.png);
        free(m->findings[i].reference.png);
    }
    while (m->arena) {
        dx_report_chunk *next = m->arena->next;
        free(m->arena);
        m->arena = next;
    }
    memset(m, 0, sizeof *m);
}

/* ---- output -------------------------------------------------------------- */

const char *dx_report_out_path(const char *case_dir, const char *out_path, const char *name,
                               char *buf, size_t size)
{
    if (out_path)
        return out_path;
    if ((size_t)snprintf(buf, size, "%s/%s", case_dir, name) >= size)
        return NULL;
    return buf;
}
