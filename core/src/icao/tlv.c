/* BER-TLV reader and writer (ISO/IEC 7816-4 §5.2; ICAO 9303 Part 10 §4).
 * See tlv.h for the rules the reader enforces. */
#include <string.h>

#include "icao/tlv.h"

void dx_tlv_reader_init(dx_tlv_reader *r, const uint8_t *buf, size_t len, const char *what)
{
    r->buf = len ? buf : NULL;
    r->len = buf ? len : 0;
    r->pos = 0;
    r->base = 0;
    r->what = what ? what : "TLV data";
}

void dx_tlv_reader_enter(dx_tlv_reader *child, const dx_tlv_reader *r, const dx_tlv *parent,
                         const char *what)
{
    dx_tlv_reader_init(child, parent->value, parent->len, what ? what : r->what);
    child->base = r->base + (size_t)(parent->value - r->buf);
}

bool dx_tlv_reader_done(const dx_tlv_reader *r)
{
    return r->pos >= r->len;
}

/* Decode the header at p (n bytes available).  *need is set to how many
 * bytes a complete header would take when n is too short. */
static dx_status decode_header(const uint8_t *p, size_t n, size_t at, const char *what,
                               uint32_t *tag_out, bool *constructed, size_t *hdr_len,
                               size_t *value_len, dx_error *err)
{
    size_t i = 0;
    uint32_t tag;

    if (n == 0)
        return dx_error_set(err, DX_ERR_DATA, "%s: expected a data object at offset %zu, "
                            "found the end of the data", what, at);
    tag = p[0];
    if (p[0] == 0x00 || p[0] == 0xFF)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: byte %02X is not a BER tag",
                            what, at, p[0]);
    *constructed = (p[0] & 0x20) != 0;
    i = 1;
    if ((p[0] & 0x1F) == 0x1F) {
        /* long form: subsequent bytes while bit 8 is set */
        for (;;) {
            if (i >= n)
                return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag cut off by the "
                                    "end of the data", what, at);
            if (i == 1 && p[1] == 0x80)
                return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag %02X80 is not "
                                    "minimally encoded", what, at, p[0]);
            if (i >= DX_TLV_MAX_TAG_BYTES)
                return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag longer than %d "
                                    "bytes", what, at, DX_TLV_MAX_TAG_BYTES);
            tag = (tag << 8) | p[i];
            if (!(p[i++] & 0x80))
                break;
        }
    }
    if (i >= n)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag %X has no length (end of "
                            "the data)", what, at, (unsigned)tag);
    if (p[i] < 0x80) {
        *value_len = p[i++];
    } else if (p[i] == 0x80) {
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag %X: indefinite length is "
                            "not allowed", what, at, (unsigned)tag);
    } else {
        size_t nb = p[i] & 0x7F, v = 0;
        if (nb > DX_TLV_MAX_LEN_BYTES)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag %X: length of %zu "
                                "bytes (at most %d)", what, at, (unsigned)tag, nb,
                                DX_TLV_MAX_LEN_BYTES);
        if (n - i - 1 < nb)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag %X: length cut off by "
                                "the end of the data", what, at, (unsigned)tag);
        for (size_t k = 0; k < nb; k++)
            v = (v << 8) | p[i + 1 + k];
        i += 1 + nb;
        *value_len = v;
    }
    *tag_out = tag;
    *hdr_len = i;
    return DX_OK;
}

dx_status dx_tlv_read(dx_tlv_reader *r, dx_tlv *out, dx_error *err)
{
    size_t left = r->len - r->pos, at = r->base + r->pos, hdr = 0, vlen = 0;
    const uint8_t *p = r->buf ? r->buf + r->pos : NULL;
    uint32_t tag = 0;
    bool cons = false;
    dx_status st = decode_header(p, left, at, r->what, &tag, &cons, &hdr, &vlen, err);
    if (st != DX_OK)
        return st;
    if (vlen > left - hdr)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag %X declares %zu bytes of "
                            "value but only %zu are left", r->what, at, (unsigned)tag, vlen,
                            left - hdr);
    out->tag = tag;
    out->constructed = cons;
    out->value = p + hdr;
    out->len = vlen;
    out->raw = p;
    out->raw_len = hdr + vlen;
    out->offset = at;
    r->pos += hdr + vlen;
    return DX_OK;
}

dx_status dx_tlv_read_expect(dx_tlv_reader *r, uint32_t tag, dx_tlv *out, dx_error *err)
{
    dx_tlv t;
    size_t at = r->base + r->pos;
    dx_status st;

    if (dx_tlv_reader_done(r))
        return dx_error_set(err, DX_ERR_DATA, "%s: expected tag %X at offset %zu, found the "
                            "end of the data", r->what, (unsigned)tag, at);
    st = dx_tlv_read(r, &t, err);
    if (st != DX_OK)
        return st;
    if (t.tag != tag) {
        r->pos -= t.raw_len;
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: expected tag %X, found %X",
                            r->what, at, (unsigned)tag, (unsigned)t.tag);
    }
    *out = t;
    return DX_OK;
}

dx_status dx_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, dx_tlv *out,
                      const char *what, dx_error *err)
{
    dx_tlv_reader r;
    dx_tlv_reader_init(&r, buf, len, what);
    while (!dx_tlv_reader_done(&r)) {
        dx_tlv t;
        dx_status st = dx_tlv_read(&r, &t, err);
        if (st != DX_OK)
            return st;
        if (t.tag == tag) {
            *out = t;
            return DX_OK;
        }
    }
    return dx_error_set(err, DX_ERR_NOT_FOUND, "%s: no data object with tag %X", r.what,
                        (unsigned)tag);
}

dx_status dx_tlv_parse_single(const uint8_t *buf, size_t len, uint32_t tag, dx_tlv *out,
                              const char *what, dx_error *err)
{
    dx_tlv_reader r;
    dx_tlv t;
    dx_status st;

    dx_tlv_reader_init(&r, buf, len, what);
    st = tag ? dx_tlv_read_expect(&r, tag, &t, err) : dx_tlv_read(&r, &t, err);
    if (st != DX_OK)
        return st;
    if (!dx_tlv_reader_done(&r))
        return dx_error_set(err, DX_ERR_DATA, "%s: %zu unexpected bytes after the data object "
                            "(tag %X)", r.what, r.len - r.pos, (unsigned)t.tag);
    *out = t;
    return DX_OK;
}

dx_status dx_tlv_peek_header(const uint8_t *buf, size_t avail, uint32_t *tag, size_t *hdr_len,
                             size_t *value_len, const char *what, dx_error *err)
{
    bool cons;
    return decode_header(buf, buf ? avail : 0, 0, what ? what : "TLV data", tag, &cons,
                         hdr_len, value_len, err);
}

dx_status dx_tlv_get_uint(const dx_tlv *t, uint32_t *out, const char *what, dx_error *err)
{
    const uint8_t *v = t->value;
    size_t n = t->len;
    uint32_t x = 0;

    if (!what)
        what = "INTEGER";
    if (n == 0)
        return dx_error_set(err, DX_ERR_DATA, "%s: empty INTEGER at offset %zu", what,
                            t->offset);
    if (v[0] & 0x80)
        return dx_error_set(err, DX_ERR_DATA, "%s: negative INTEGER at offset %zu", what,
                            t->offset);
    if (n > 1 && v[0] == 0x00) {
        v++;
        n--;
    }
    if (n > 4)
        return dx_error_set(err, DX_ERR_DATA, "%s: INTEGER at offset %zu is longer than 4 "
                            "bytes", what, t->offset);
    for (size_t i = 0; i < n; i++)
        x = (x << 8) | v[i];
    *out = x;
    return DX_OK;
}

/* ---- writer --------------------------------------------------------------- */

size_t dx_tlv_len_size(size_t len)
{
    if (len < 0x80)
        return 1;
    if (len <= 0xFF)
        return 2;
    if (len <= 0xFFFF)
        return 3;
    if (len <= 0xFFFFFF)
        return 4;
    return 5;
}

static size_t tag_size(uint32_t tag)
{
    return tag > 0xFFFF ? 3 : tag > 0xFF ? 2 : 1;
}

size_t dx_tlv_header_size(uint32_t tag, size_t len)
{
    return tag_size(tag) + dx_tlv_len_size(len);
}

void dx_tlv_writer_init(dx_tlv_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->len = 0;
    w->overflow = false;
    w->bad_tag = false;
}

static bool room(dx_tlv_writer *w, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return false;
    }
    return true;
}

static void put_tag(dx_tlv_writer *w, uint32_t tag)
{
    size_t n = tag_size(tag);
    if (tag == 0 || tag > 0xFFFFFF) {
        w->bad_tag = true;
        w->overflow = true;
        return;
    }
    if (!room(w, n))
        return;
    for (size_t i = n; i-- > 0;)
        w->buf[w->len++] = (uint8_t)(tag >> (8 * i));
}

static void put_len(dx_tlv_writer *w, size_t len)
{
    size_t n = dx_tlv_len_size(len);
    if ((uint64_t)len > 0xFFFFFFFFu) {
        w->overflow = true;
        return;
    }
    if (!room(w, n))
        return;
    if (n == 1) {
        w->buf[w->len++] = (uint8_t)len;
        return;
    }
    w->buf[w->len++] = (uint8_t)(0x80 | (n - 1));
    for (size_t i = n - 1; i-- > 0;)
        w->buf[w->len++] = (uint8_t)(len >> (8 * i));
}

void dx_tlv_put_raw(dx_tlv_writer *w, const uint8_t *bytes, size_t n)
{
    if (n == 0 || !room(w, n))
        return;
    memcpy(w->buf + w->len, bytes, n);
    w->len += n;
}

void dx_tlv_put(dx_tlv_writer *w, uint32_t tag, const uint8_t *value, size_t len)
{
    put_tag(w, tag);
    put_len(w, len);
    dx_tlv_put_raw(w, value, len);
}

void dx_tlv_put_byte(dx_tlv_writer *w, uint32_t tag, uint8_t value)
{
    dx_tlv_put(w, tag, &value, 1);
}

size_t dx_tlv_begin(dx_tlv_writer *w, uint32_t tag)
{
    put_tag(w, tag);
    /* one length byte for now; dx_tlv_end() widens it when needed */
    if (room(w, 1))
        w->buf[w->len++] = 0;
    return w->len;
}

void dx_tlv_end(dx_tlv_writer *w, size_t mark)
{
    size_t content, n;
    if (w->overflow || mark == 0 || mark > w->len)
        return;
    content = w->len - mark;
    n = dx_tlv_len_size(content);
    if (n > 1) {
        if (!room(w, n - 1))
            return;
        memmove(w->buf + mark + n - 1, w->buf + mark, content);
        w->len += n - 1;
    }
    /* rewrite the length in place, just before the contents */
    {
        size_t at = mark - 1;
        if (n == 1) {
            w->buf[at] = (uint8_t)content;
        } else {
            w->buf[at] = (uint8_t)(0x80 | (n - 1));
            for (size_t i = 0; i < n - 1; i++)
                w->buf[at + 1 + i] = (uint8_t)(content >> (8 * (n - 2 - i)));
        }
    }
}

dx_status dx_tlv_writer_finish(const dx_tlv_writer *w, size_t *len, dx_error *err)
{
    if (w->bad_tag)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "TLV writer: tag 0 or longer than 3 bytes");
    if (w->overflow)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "TLV writer: the data does not fit in "
                            "%zu bytes", w->cap);
    if (len)
        *len = w->len;
    return DX_OK;
}
