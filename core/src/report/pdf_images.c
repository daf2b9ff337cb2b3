/* The evidence images of report.pdf, embedded as their PNG files hold them.
 *
 * A PNG's IDAT data is a zlib stream of rows with a filter byte each: exactly
 * what a PDF image stream under /FlateDecode with /DecodeParms << /Predictor
 * 15 >> (PNG prediction) holds (ISO 32000-1, 7.4.4.4).  cairo cannot take such
 * data as it is: it decodes an image surface and deflates it again, at zlib's
 * default level, which was the largest single cost of an inspection.  So the
 * final pass draws each image as a surface of the image's size that carries a
 * placeholder JPEG (a header only, with a comment naming the image), which
 * cairo copies verbatim into an image stream; dx_pdf_splice() then puts the
 * PNG's own data in each such object and writes the cross-reference table
 * anew.  The pixels in the PDF are then those of the evidence file, bit for
 * bit, and nothing is compressed twice.  When the PDF is not what this
 * expects (another cairo writing a cross-reference stream, a placeholder not
 * found), the caller draws the images the ordinary way. */
#define _GNU_SOURCE /* memmem */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>

#include "report/report_internal.h"

#define MARK "docex-pdf-image:"
#define MARK_LEN (sizeof MARK - 1)

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool dx_pdf_png_layout(const unsigned char *png, size_t len, dx_pdf_png *out)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(out, 0, sizeof *out);
    if (!png || len < 8 + 25 || memcmp(png, sig, 8) != 0)
        return false;
    size_t pos = 8;
    bool idat_seen = false, idat_done = false;
    while (pos + 12 <= len) {
        uint32_t n = be32(png + pos);
        const uint8_t *type = png + pos + 4;
        if (n > len - pos - 12)
            return false;
        const uint8_t *data = png + pos + 8;
        if (pos == 8) {
            /* IHDR: grey or RGB, 8 or 16 bits, no interlace */
            if (memcmp(type, "IHDR", 4) != 0 || n != 13)
                return false;
            out->width = be32(data), out->height = be32(data + 4);
            out->bits = data[8];
            out->colors = data[9] == 0 ? 1 : data[9] == 2 ? 3 : 0;
            if (!out->width || !out->height || out->width > INT32_MAX || out->height > INT32_MAX ||
                (out->bits != 8 && out->bits != 16) || !out->colors || data[10] != 0 ||
                data[11] != 0 || data[12] != 0)
                return false;
        } else if (memcmp(type, "IDAT", 4) == 0) {
            if (idat_done)
                return false; /* IDAT chunks are consecutive */
            idat_seen = true;
            out->idat_bytes += n;
        } else {
            if (idat_seen)
                idat_done = true;
            if (memcmp(type, "IEND", 4) == 0)
                break;
        }
        pos += 12 + (size_t)n;
    }
    out->png = png;
    out->len = len;
    return idat_seen && out->idat_bytes > 0;
}

/* The IDAT data of a PNG dx_pdf_png_layout() accepted, joined into dst. */
static void idat_copy(const dx_pdf_png *l, uint8_t *dst)
{
    size_t pos = 8;
    while (pos + 12 <= l->len) {
        uint32_t n = be32(l->png + pos);
        if (memcmp(l->png + pos + 4, "IDAT", 4) == 0) {
            memcpy(dst, l->png + pos + 8, n);
            dst += n;
        } else if (memcmp(l->png + pos + 4, "IEND", 4) == 0) {
            break;
        }
        pos += 12 + (size_t)n;
    }
}

cairo_surface_t *dx_pdf_placeholder(const dx_pdf_png *l, unsigned index)
{
    /* SOI, a comment with the mark and the index, SOF0 with the size and
     * the components, EOI: all cairo reads of a JPEG to describe it */
    uint8_t *j;
    cairo_surface_t *s;
    if (l->width > 65535 || l->height > 65535 || !(j = malloc(64)))
        return NULL;
    size_t n = 0;
    char mark[32];
    int ml = snprintf(mark, sizeof mark, "%s%08x", MARK, index);
    j[n++] = 0xff, j[n++] = 0xd8;
    j[n++] = 0xff, j[n++] = 0xfe, j[n++] = 0, j[n++] = (uint8_t)(ml + 2);
    memcpy(j + n, mark, (size_t)ml);
    n += (size_t)ml;
    unsigned nc = l->colors, sl = 8 + 3 * nc;
    j[n++] = 0xff, j[n++] = 0xc0, j[n++] = 0, j[n++] = (uint8_t)sl, j[n++] = 8;
    j[n++] = (uint8_t)(l->height >> 8), j[n++] = (uint8_t)l->height;
    j[n++] = (uint8_t)(l->width >> 8), j[n++] = (uint8_t)l->width;
    j[n++] = (uint8_t)nc;
    for (unsigned c = 0; c < nc; c++)
        j[n++] = (uint8_t)(c + 1), j[n++] = 0x11, j[n++] = 0;
    j[n++] = 0xff, j[n++] = 0xd9;
    /* the surface is never read: only its size matters to the layout */
    s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)l->width, (int)l->height);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS ||
        cairo_surface_set_mime_data(s, CAIRO_MIME_TYPE_JPEG, j, n, free, j) !=
            CAIRO_STATUS_SUCCESS) {
        free(j);
        cairo_surface_destroy(s);
        return NULL;
    }
    return s;
}

/* ---- the splice ---------------------------------------------------------- */

typedef struct obj {
    size_t num;   /* object number */
    size_t off;   /* in the input */
    size_t end;   /* in the input: the next object's offset, or the table's */
    size_t image; /* placeholder index + 1, or 0 */
    size_t noff;  /* in the output */
} obj;

static int by_off(const void *a, const void *b)
{
    const obj *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int by_num(const void *a, const void *b)
{
    const obj *x = a, *y = b;
    return x->num < y->num ? -1 : x->num > y->num;
}

static const uint8_t *find(const uint8_t *h, size_t hn, const char *needle)
{
    return memmem(h, hn, needle, strlen(needle));
}

static bool put(FILE *f, const void *p, size_t n, size_t *pos)
{
    *pos += n;
    return fwrite(p, 1, n, f) == n;
}

static bool putf(FILE *f, size_t *pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool putf(FILE *f, size_t *pos, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return n > 0 && (size_t)n < sizeof buf && put(f, buf, (size_t)n, pos);
}

/* A decimal number at p, before end (the PDF buffer has no NUL after it):
 * its value and the first byte after its digits; false with no digit or
 * more than 18 of them. */
static bool number_at(const uint8_t *p, const uint8_t *end, unsigned long long *v,
                      const uint8_t **next)
{
    unsigned long long x = 0;
    const uint8_t *q = p;
    while (q < end && *q >= '0' && *q <= '9' && q - p < 18)
        x = x * 10 + (unsigned)(*q++ - '0');
    if (q == p || (q < end && *q >= '0' && *q <= '9'))
        return false;
    *v = x;
    *next = q;
    return true;
}

/* The objects of cairo's cross-reference table (one subsection from 0, then
 * the trailer), sorted by offset; NULL when the PDF has no such table. */
static obj *xref_read(const uint8_t *pdf, size_t n, size_t *count, size_t *entries,
                      size_t *xref_off, const uint8_t **trailer, size_t *trailer_len)
{
    size_t tail = n > 64 ? n - 64 : 0;
    const uint8_t *sx = NULL;
    for (const uint8_t *p = pdf + tail; (p = find(p, n - (size_t)(p - pdf), "startxref")); p++)
        sx = p;
    if (!sx)
        return NULL;
    const uint8_t *end = pdf + n, *e, *q = sx + 9;
    unsigned long long x, first, cnt;
    while (q < end && (*q == '\n' || *q == '\r' || *q == ' '))
        q++;
    if (!number_at(q, end, &x, &e) || x >= n || x + 5 > n || memcmp(pdf + x, "xref\n", 5) != 0)
        return NULL;
    if (!number_at(pdf + x + 5, end, &first, &e) || first != 0 || e >= end || *e != ' ' ||
        !number_at(e + 1, end, &cnt, &e) || e >= end || *e != '\n' || cnt == 0 || cnt > n / 20)
        return NULL;
    const uint8_t *ent = e + 1;
    if ((size_t)(ent - pdf) + cnt * 20 > n)
        return NULL;
    obj *o = calloc(cnt, sizeof *o);
    size_t k = 0;
    if (!o)
        return NULL;
    for (size_t i = 0; i < cnt; i++) {
        const uint8_t *r = ent + i * 20, *d;
        unsigned long long off;
        if (r[17] == 'f')
            continue;
        if (!number_at(r, r + 10, &off, &d) || d != r + 10 || r[17] != 'n' || r[10] != ' ' ||
            r[16] != ' ' || off >= x) {
            free(o);
            return NULL;
        }
        o[k++] = (obj){.num = i, .off = off};
    }
    const uint8_t *t = ent + cnt * 20;
    if (t > sx || (size_t)(sx - t) < 7 || memcmp(t, "trailer", 7) != 0) {
        free(o);
        return NULL;
    }
    qsort(o, k, sizeof *o, by_off);
    for (size_t i = 0; i < k; i++)
        o[i].end = i + 1 < k ? o[i + 1].off : x;
    *count = k;
    *entries = cnt;
    *xref_off = x;
    *trailer = t;
    *trailer_len = (size_t)(sx - t);
    return o;
}

/* Which objects are placeholders (o[i].image); false with err set when one
 * is not as expected or one is missing. */
static bool mark_placeholders(const uint8_t *pdf, obj *o, size_t count, size_t n_images,
                              dx_error *err)
{
    size_t found = 0;
    bool *seen = calloc(n_images ? n_images : 1, sizeof *seen);
    if (!seen) {
        dx_error_set(err, DX_ERR_NO_MEMORY, "PDF images: out of memory");
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        const uint8_t *s = pdf + o[i].off;
        size_t len = o[i].end - o[i].off;
        char head[32];
        int hl = snprintf(head, sizeof head, "%zu 0 obj", o[i].num);
        if (len < (size_t)hl || memcmp(s, head, (size_t)hl) != 0) {
            dx_error_set(err, DX_ERR_UNSUPPORTED, "PDF images: object %zu not at its offset",
                         o[i].num);
            break;
        }
        const uint8_t *m = find(s, len, MARK), *st = find(s, len, "stream");
        if (!m || !st || m < st || (size_t)(m - s) + MARK_LEN + 8 > len)
            continue;
        char hex[9], *e;
        memcpy(hex, m + MARK_LEN, 8);
        hex[8] = '\0';
        unsigned long idx = strtoul(hex, &e, 16);
        if (!find(s, (size_t)(st - s), "/DCTDecode") || *e || idx >= n_images || seen[idx]) {
            dx_error_set(err, DX_ERR_UNSUPPORTED, "PDF images: object %zu is not a placeholder",
                         o[i].num);
            break;
        }
        o[i].image = idx + 1;
        seen[idx] = true;
        found++;
    }
    free(seen);
    if (err->status == DX_OK && found != n_images)
        dx_error_set(err, DX_ERR_UNSUPPORTED, "PDF images: %zu of %zu placeholders found", found,
                     n_images);
    return err->status == DX_OK;
}

/* Object o (a placeholder) as image im: its dictionary and the PNG's data. */
static bool put_image(FILE *f, size_t *pos, const obj *o, const dx_pdf_image *im, uint8_t *data)
{
    const dx_pdf_png *l = &im->png;
    idat_copy(l, data);
    return putf(f, pos,
                "%zu 0 obj\n<< /Type /XObject\n   /Subtype /Image\n   /Width %" PRIu32
                "\n   /Height %" PRIu32 "\n   /ColorSpace %s\n   /BitsPerComponent %u\n"
                "   /Interpolate %s\n   /Filter /FlateDecode\n"
                "   /DecodeParms << /Predictor 15 /Colors %u /BitsPerComponent %u /Columns %" PRIu32
                " >>\n   /Length %zu\n>>\nstream\n",
                o->num, l->width, l->height, l->colors == 1 ? "/DeviceGray" : "/DeviceRGB",
                l->bits, im->interpolate ? "true" : "false", l->colors, l->bits, l->width,
                l->idat_bytes) &&
           put(f, data, l->idat_bytes, pos) && putf(f, pos, "\nendstream\nendobj\n");
}

dx_status dx_pdf_splice(const unsigned char *pdf, size_t n, const dx_pdf_image *images,
                        size_t n_images, FILE *f, dx_error *err)
{
    size_t count = 0, size = 0, xoff = 0, tlen = 0, pos = 0, biggest = 1;
    const uint8_t *trailer = NULL;
    dx_error me = {0};
    obj *o = xref_read(pdf, n, &count, &size, &xoff, &trailer, &tlen);
    if (!o)
        return dx_error_set(err, DX_ERR_UNSUPPORTED,
                            "PDF images: no cross-reference table as expected");
    if (!mark_placeholders(pdf, o, count, n_images, &me)) {
        free(o);
        return dx_error_set(err, me.status, "%s", me.message);
    }
    for (size_t i = 0; i < n_images; i++)
        if (images[i].png.idat_bytes > biggest)
            biggest = images[i].png.idat_bytes;
    uint8_t *data = malloc(biggest);
    if (!data) {
        free(o);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "PDF images: out of memory");
    }
    /* the header up to the first object, then the objects in file order */
    bool ok = put(f, pdf, count ? o[0].off : xoff, &pos);
    for (size_t i = 0; ok && i < count; i++) {
        o[i].noff = pos;
        ok = o[i].image ? put_image(f, &pos, &o[i], &images[o[i].image - 1], data)
                        : put(f, pdf + o[i].off, o[i].end - o[i].off, &pos);
    }
    free(data);
    /* the table for the new offsets, the trailer as it was */
    size_t nx = pos;
    qsort(o, count, sizeof *o, by_num);
    ok = ok && putf(f, &pos, "xref\n0 %zu\n", size);
    for (size_t num = 0, i = 0; ok && num < size; num++) {
        if (i < count && o[i].num == num)
            ok = putf(f, &pos, "%010zu 00000 n \n", o[i++].noff);
        else
            ok = putf(f, &pos, "0000000000 65535 f \n");
    }
    ok = ok && put(f, trailer, tlen, &pos) && putf(f, &pos, "startxref\n%zu\n%%%%EOF\n", nx);
    free(o);
    if (!ok)
        return dx_error_set(err, DX_ERR_IO, "PDF images: write failed");
    return DX_OK;
}
