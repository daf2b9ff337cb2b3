/* The LDS files of the ePassport (ICAO 9303 Part 10, LDS 1.7): the file
 * table, EF.COM, DG1, DG2 (ISO/IEC 19794-5), DG5, DG7, DG11, DG12.  DG14 and
 * DG15 are in lds_security.c, image decoding in lds_image.c.  See lds.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "icao/lds.h"

/* ---- the file table (9303 Part 10 §3: FIDs and SFIs; §4.6 - §4.7: tags) --- */

static const dx_lds_file_info files[] = {
    {"EF.COM", 0, 0x60, 0x011E, 0x1E, false, "common data: LDS version and tag list"},
    {"EF.DG1", 1, 0x61, 0x0101, 0x01, false, "MRZ information"},
    {"EF.DG2", 2, 0x75, 0x0102, 0x02, false, "encoded face"},
    {"EF.DG3", 3, 0x63, 0x0103, 0x03, false, "encoded fingers"},
    {"EF.DG4", 4, 0x76, 0x0104, 0x04, false, "encoded irises"},
    {"EF.DG5", 5, 0x65, 0x0105, 0x05, false, "displayed portrait"},
    {"EF.DG6", 6, 0x66, 0x0106, 0x06, false, "reserved for future use"},
    {"EF.DG7", 7, 0x67, 0x0107, 0x07, false, "displayed signature or usual mark"},
    {"EF.DG8", 8, 0x68, 0x0108, 0x08, false, "data features"},
    {"EF.DG9", 9, 0x69, 0x0109, 0x09, false, "structure features"},
    {"EF.DG10", 10, 0x6A, 0x010A, 0x0A, false, "substance features"},
    {"EF.DG11", 11, 0x6B, 0x010B, 0x0B, false, "additional personal details"},
    {"EF.DG12", 12, 0x6C, 0x010C, 0x0C, false, "additional document details"},
    {"EF.DG13", 13, 0x6D, 0x010D, 0x0D, false, "optional details"},
    {"EF.DG14", 14, 0x6E, 0x010E, 0x0E, false, "security options"},
    {"EF.DG15", 15, 0x6F, 0x010F, 0x0F, false, "Active Authentication public key info"},
    {"EF.DG16", 16, 0x70, 0x0110, 0x10, false, "persons to notify"},
    {"EF.SOD", 0, 0x77, 0x011D, 0x1D, false, "document security object"},
    {"EF.CardAccess", 0, 0, 0x011C, 0x1C, true, "SecurityInfos for PACE"},
};
#define N_FILES (sizeof files / sizeof files[0])

size_t dx_lds_file_count(void)
{
    return N_FILES;
}

const dx_lds_file_info *dx_lds_file_at(size_t i)
{
    return i < N_FILES ? &files[i] : NULL;
}

const dx_lds_file_info *dx_lds_file_by_dg(int dg)
{
    return dg >= 1 && dg <= 16 ? &files[dg] : NULL;
}

const dx_lds_file_info *dx_lds_file_by_tag(uint32_t tag)
{
    if (tag == 0)
        return NULL;
    for (size_t i = 0; i < N_FILES; i++)
        if (files[i].tag == tag)
            return &files[i];
    return NULL;
}

const dx_lds_file_info *dx_lds_file_by_fid(uint16_t fid)
{
    for (size_t i = 0; i < N_FILES; i++)
        if (files[i].fid == fid)
            return &files[i];
    return NULL;
}

const dx_lds_file_info *dx_lds_file_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_FILES; i++)
        if (strcasecmp(files[i].name, name) == 0 || strcasecmp(files[i].name + 3, name) == 0)
            return &files[i];
    return NULL;
}

int dx_lds_dg_of_tag(uint32_t tag)
{
    const dx_lds_file_info *f = dx_lds_file_by_tag(tag);
    return f ? f->dg : 0;
}

/* ---- helpers ------------------------------------------------------------------ */

void dx_lds_note(dx_lds_notes *notes, const char *fmt, ...)
{
    va_list ap;
    if (!notes)
        return;
    if (notes->n >= DX_LDS_MAX_NOTES) {
        notes->more = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(notes->text[notes->n++], sizeof notes->text[0], fmt, ap);
    va_end(ap);
}

dx_status dx_lds_open(const uint8_t *buf, size_t n, uint32_t tag, const char *what,
                      dx_tlv_reader *inner, dx_tlv *outer, dx_lds_notes *notes, dx_error *err)
{
    dx_tlv_reader r;
    dx_status st;

    if (!buf && n)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "%s: NULL buffer", what);
    dx_tlv_reader_init(&r, buf, n, what);
    if (n == 0)
        return dx_error_set(err, DX_ERR_DATA, "%s: the file is empty", what);
    st = dx_tlv_read(&r, outer, err);
    if (st != DX_OK)
        return st;
    if (outer->tag != tag)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset 0: the file starts with tag %X, "
                            "%X expected", what, (unsigned)outer->tag, (unsigned)tag);
    if (!outer->constructed)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset 0: tag %X is not constructed",
                            what, (unsigned)tag);
    if (!dx_tlv_reader_done(&r))
        dx_lds_note(notes, "%zu bytes after the file's data object (offset %zu) ignored",
                    r.len - r.pos, r.pos);
    dx_tlv_reader_enter(inner, &r, outer, what);
    return DX_OK;
}

bool dx_lds_oid_text(const uint8_t *v, size_t len, char *buf, size_t cap)
{
    size_t used = 0;
    bool first = true;

    if (cap)
        buf[0] = '\0';
    if (!v || len == 0 || cap == 0 || (v[len - 1] & 0x80))
        return false;
    for (size_t i = 0; i < len;) {
        uint64_t arc = 0;
        size_t start = i;
        int k;
        if (v[i] == 0x80)
            goto bad; /* not minimal */
        do {
            if (i >= len || i - start >= 9 || arc > (UINT64_MAX >> 7))
                goto bad;
            arc = (arc << 7) | (v[i] & 0x7F);
        } while (v[i++] & 0x80);
        if (first) {
            unsigned top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
            k = snprintf(buf + used, cap - used, "%u.%llu", top,
                         (unsigned long long)(arc - 40u * top));
            first = false;
        } else {
            k = snprintf(buf + used, cap - used, ".%llu", (unsigned long long)arc);
        }
        if (k < 0 || (size_t)k >= cap - used)
            goto bad;
        used += (size_t)k;
    }
    return true;
bad:
    buf[0] = '\0';
    return false;
}

/* Up to 24 bytes for a message: "text" when printable, else hex. */
static const char *show(const uint8_t *p, size_t n, char *buf, size_t cap)
{
    size_t m = n > 24 ? 24 : n, used = 0;
    bool printable = true;
    for (size_t i = 0; i < m; i++)
        if (p[i] < 0x20 || p[i] > 0x7E || p[i] == '"')
            printable = false;
    if (printable) {
        snprintf(buf, cap, "\"%.*s\"%s", (int)m, (const char *)p, m < n ? "..." : "");
        return buf;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < m && used + 3 < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%02X", p[i]);
    if (m < n && used + 4 < cap)
        snprintf(buf + used, cap - used, "...");
    return buf;
}

static bool all_digits(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

/* ---- EF.COM (9303 Part 10 §4.6.1) ---------------------------------------- */

dx_status dx_lds_parse_com(const uint8_t *buf, size_t n, dx_lds_com *out, dx_error *err)
{
    const char *what = "EF.COM";
    dx_tlv_reader r;
    dx_tlv outer, t;
    dx_status st;
    bool seen_ver = false, seen_uni = false, seen_list = false;
    char s[64];

    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.COM: NULL argument");
    memset(out, 0, sizeof *out);
    st = dx_lds_open(buf, n, 0x60, what, &r, &outer, &out->notes, err);
    if (st != DX_OK)
        goto fail;
    while (!dx_tlv_reader_done(&r)) {
        if ((st = dx_tlv_read(&r, &t, err)) != DX_OK)
            goto fail;
        if (t.tag == 0x5F01) {
            if (seen_ver)
                goto repeated;
            seen_ver = true;
            if (t.len != 4 || !all_digits(t.value, 4)) {
                st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the LDS version (5F01) "
                                  "must be 4 digits, found %s", what, t.offset,
                                  show(t.value, t.len, s, sizeof s));
                goto fail;
            }
            memcpy(out->lds_version, t.value, 4);
            out->lds_major = (unsigned)((t.value[0] - '0') * 10 + (t.value[1] - '0'));
            out->lds_minor = (unsigned)((t.value[2] - '0') * 10 + (t.value[3] - '0'));
        } else if (t.tag == 0x5F36) {
            if (seen_uni)
                goto repeated;
            seen_uni = true;
            if (t.len != 6 || !all_digits(t.value, 6)) {
                st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the Unicode version "
                                  "(5F36) must be 6 digits, found %s", what, t.offset,
                                  show(t.value, t.len, s, sizeof s));
                goto fail;
            }
            memcpy(out->unicode_version, t.value, 6);
            out->unicode_major = (unsigned)((t.value[0] - '0') * 10 + (t.value[1] - '0'));
            out->unicode_minor = (unsigned)((t.value[2] - '0') * 10 + (t.value[3] - '0'));
            out->unicode_release = (unsigned)((t.value[4] - '0') * 10 + (t.value[5] - '0'));
        } else if (t.tag == 0x5C) {
            if (seen_list)
                goto repeated;
            seen_list = true;
            for (size_t i = 0; i < t.len; i++) {
                int dg = dx_lds_dg_of_tag(t.value[i]);
                if (dg == 0)
                    dx_lds_note(&out->notes, "tag list (offset %zu): %02X is not a data "
                                "group's tag (ignored)", t.offset, t.value[i]);
                else if (out->dg_mask & (1u << dg))
                    dx_lds_note(&out->notes, "tag list (offset %zu): DG%d listed again",
                                t.offset, dg);
                else {
                    out->dg_mask |= 1u << dg;
                    out->dgs[out->n_dgs++] = dg;
                }
            }
        } else {
            dx_lds_note(&out->notes, "unknown tag %X at offset %zu (ignored)",
                        (unsigned)t.tag, t.offset);
        }
        continue;
    repeated:
        st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag %X appears twice", what,
                          t.offset, (unsigned)t.tag);
        goto fail;
    }
    if (!seen_ver || !seen_uni || !seen_list) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: no %s", what,
                          !seen_ver ? "LDS version (5F01)" : !seen_uni ? "Unicode version (5F36)"
                                                                      : "tag list (5C)");
        goto fail;
    }
    return DX_OK;
fail:
    memset(out, 0, sizeof *out);
    return st;
}

bool dx_lds_com_has(const dx_lds_com *com, int dg)
{
    return com && dg >= 1 && dg <= 16 && (com->dg_mask & (1u << dg));
}

/* ---- EF.DG1 (9303 Part 10 §4.7.1) ---------------------------------------- */

dx_status dx_lds_parse_dg1(const uint8_t *buf, size_t n, const dx_mrz_options *opts,
                           dx_lds_dg1 *out, dx_error *err)
{
    const char *what = "EF.DG1";
    dx_tlv_reader r;
    dx_tlv outer, t;
    dx_status st;
    char lines[3][45];
    const char *lp[3];
    size_t n_lines, width;
    dx_error e = {0};

    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG1: NULL argument");
    memset(out, 0, sizeof *out);
    st = dx_lds_open(buf, n, 0x61, what, &r, &outer, &out->notes, err);
    if (st != DX_OK)
        goto fail;
    if ((st = dx_tlv_read_expect(&r, 0x5F1F, &t, err)) != DX_OK)
        goto fail;
    while (!dx_tlv_reader_done(&r)) {
        dx_tlv x;
        if ((st = dx_tlv_read(&r, &x, err)) != DX_OK)
            goto fail;
        dx_lds_note(&out->notes, "tag %X at offset %zu after the MRZ (ignored)",
                    (unsigned)x.tag, x.offset);
    }
    if (t.len == 90) {
        n_lines = 3;
        width = 30;
    } else if (t.len == 72 || t.len == 88) {
        n_lines = 2;
        width = t.len / 2;
    } else {
        st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: an MRZ of %zu characters; 90 "
                          "(TD1), 72 (TD2) or 88 (TD3) expected", what, t.offset, t.len);
        goto fail;
    }
    for (size_t i = 0; i < t.len; i++) {
        uint8_t c = t.value[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '<')) {
            st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: MRZ character %zu is %02X, "
                              "not of the MRZ alphabet (A-Z, 0-9, <)", what,
                              t.offset + (size_t)(t.value - t.raw) + i, i + 1, c);
            goto fail;
        }
    }
    memcpy(out->text, t.value, t.len);
    out->text[t.len] = '\0';
    out->len = t.len;
    for (size_t i = 0; i < n_lines; i++) {
        memcpy(lines[i], t.value + i * width, width);
        lines[i][width] = '\0';
        lp[i] = lines[i];
    }
    st = dx_mrz_parse(lp, n_lines, opts, &out->mrz, &e);
    if (st != DX_OK) {
        st = dx_error_set(err, st, "%s: offset %zu: %s", what, t.offset, e.message);
        goto fail;
    }
    return DX_OK;
fail:
    memset(out, 0, sizeof *out);
    return st;
}

/* ---- EF.DG2 (9303 Part 10 §4.7.2; ISO/IEC 19794-5:2005 §5) ---------------- */

/* A bounds-checked cursor over the binary 19794-5 record (not BER-TLV). */
typedef struct cursor {
    const uint8_t *p;
    size_t len, pos;
    size_t base;               /* offset of p in the file */
    const char *what;
    dx_error *err;
} cursor;

static dx_status cur_need(cursor *c, size_t n, const char *field)
{
    if (n > c->len - c->pos)
        return dx_error_set(c->err, DX_ERR_DATA, "%s: offset %zu: %s cut off: %zu bytes "
                            "needed, %zu left in the biometric data block", c->what,
                            c->base + c->pos, field, n, c->len - c->pos);
    return DX_OK;
}

static uint32_t cur_be(cursor *c, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | c->p[c->pos + i];
    c->pos += n;
    return v;
}

static void bcd_copy(uint8_t *dst, const dx_tlv *t, size_t n, bool *has)
{
    if (t->len == n) {
        memcpy(dst, t->value, n);
        *has = true;
    }
}

/* A1: biometric header template (9303 Part 10 §4.7.2; ISO/IEC 7816-11). */
static dx_status parse_bht(const dx_tlv_reader *parent, const dx_tlv *a1, const char *what,
                           dx_lds_bht *bht, dx_lds_notes *notes, dx_error *err)
{
    dx_tlv_reader r;
    bool owner = false, type = false;
    uint32_t seen = 0;

    dx_tlv_reader_enter(&r, parent, a1, what);
    while (!dx_tlv_reader_done(&r)) {
        dx_tlv t;
        dx_status st = dx_tlv_read(&r, &t, err);
        if (st != DX_OK)
            return st;
        if (t.tag >= 0x80 && t.tag <= 0x88) {
            uint32_t bit = 1u << (t.tag - 0x80);
            if (seen & bit)
                return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag %X appears twice "
                                    "in the biometric header template", what, t.offset,
                                    (unsigned)t.tag);
            seen |= bit;
        }
        switch (t.tag) {
        case 0x80:
            bcd_copy(bht->version, &t, 2, &bht->has_version);
            break;
        case 0x81:
            if (t.len < 1 || t.len > 3)
                return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: biometric type (81) "
                                    "of %zu bytes (1 to 3)", what, t.offset, t.len);
            bht->type = 0;
            for (size_t i = 0; i < t.len; i++)
                bht->type = (bht->type << 8) | t.value[i];
            bht->has_type = true;
            break;
        case 0x82:
            if (t.len == 1) {
                bht->subtype = t.value[0];
                bht->has_subtype = true;
            }
            break;
        case 0x83:
            bcd_copy(bht->creation, &t, 7, &bht->has_creation);
            break;
        case 0x85:
            bcd_copy(bht->validity, &t, 8, &bht->has_validity);
            break;
        case 0x86:
            if (t.len == 2) {
                bht->creator = (uint16_t)(t.value[0] << 8 | t.value[1]);
                bht->has_creator = true;
            }
            break;
        case 0x87:
        case 0x88:
            if (t.len != 2)
                return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: format %s (%X) of %zu "
                                    "bytes, 2 expected", what, t.offset,
                                    t.tag == 0x87 ? "owner" : "type", (unsigned)t.tag, t.len);
            if (t.tag == 0x87) {
                bht->format_owner = (uint16_t)(t.value[0] << 8 | t.value[1]);
                owner = true;
            } else {
                bht->format_type = (uint16_t)(t.value[0] << 8 | t.value[1]);
                type = true;
            }
            break;
        default:
            dx_lds_note(notes, "biometric header template: tag %X at offset %zu ignored",
                        (unsigned)t.tag, t.offset);
        }
    }
    if (!owner || !type)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the biometric header template "
                            "has no format %s (%s)", what, a1->offset,
                            !owner ? "owner" : "type", !owner ? "87" : "88");
    if (bht->format_owner != 0x0101 || bht->format_type != 0x0008)
        dx_lds_note(notes, "biometric header template at offset %zu: format owner %04X, type "
                    "%04X (0101, 0008 for an ISO/IEC 19794-5 face expected)", a1->offset,
                    bht->format_owner, bht->format_type);
    return DX_OK;
}

/* ISO/IEC 19794-5:2005 §5: one facial record (header; per image: facial
 * information, feature points, image information, image data), its faces
 * appended to out. */
static dx_status parse_face_record(const dx_tlv *bdb, size_t instance, const dx_lds_bht *bht,
                                   const char *what, dx_lds_dg2 *out, dx_error *err)
{
    cursor c = {bdb->value, bdb->len, 0, bdb->offset + (size_t)(bdb->value - bdb->raw), what,
                err};
    dx_status st;
    char version[4];
    uint32_t record_length;
    uint16_t n_images;

    if ((st = cur_need(&c, 14, "the facial record header")) != DX_OK)
        return st;
    if (memcmp(c.p, "FAC\0", 4) != 0) {
        char s[64];
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the biometric data block is "
                            "not an ISO/IEC 19794-5 record (it starts with %s, not \"FAC\\0\")",
                            what, c.base, show(c.p, 4, s, sizeof s));
    }
    c.pos = 4;
    memcpy(version, c.p + 4, 4);
    if (version[3] != '\0' || !all_digits((const uint8_t *)version, 3)) {
        char s[64];
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: facial record version %s is "
                            "not 3 digits and a NUL", what, c.base + 4,
                            show(c.p + 4, 4, s, sizeof s));
    }
    if (memcmp(version, "010", 4) != 0)
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "%s: offset %zu: ISO/IEC 19794-5 version "
                            "%s; only 010 (19794-5:2005) is supported", what, c.base + 4,
                            version);
    c.pos = 8;
    record_length = cur_be(&c, 4);
    n_images = (uint16_t)cur_be(&c, 2);
    if (record_length != bdb->len)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the facial record declares "
                            "%lu bytes, its biometric data block holds %zu", what, c.base + 8,
                            (unsigned long)record_length, bdb->len);
    if (n_images == 0)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the facial record holds no "
                            "facial image (count 0)", what, c.base + 12);
    for (uint16_t k = 0; k < n_images; k++) {
        dx_lds_face *f;
        size_t start = c.pos, fixed, left;
        uint32_t block;
        uint16_t nfp;

        if (c.pos == c.len)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the facial record declares "
                                "%u facial images, it holds %u", what, c.base + 12,
                                (unsigned)n_images, (unsigned)k);
        if (out->n_faces == DX_LDS_MAX_FACES)
            return dx_error_set(err, DX_ERR_DATA, "%s: more than %d facial images", what,
                                DX_LDS_MAX_FACES);
        if ((st = cur_need(&c, 20, "the facial information block")) != DX_OK)
            return st;
        f = &out->faces[out->n_faces];
        memset(f, 0, sizeof *f);
        f->instance = instance;
        f->index = k;
        f->bht = *bht;
        f->bdb_tag = bdb->tag;
        memcpy(f->version, version, 4);
        f->record_length = record_length;
        f->n_images = n_images;
        block = cur_be(&c, 4);
        nfp = (uint16_t)cur_be(&c, 2);
        f->block_length = block;
        f->n_feature_points = nfp;
        f->gender = (uint8_t)cur_be(&c, 1);
        f->eye_colour = (uint8_t)cur_be(&c, 1);
        f->hair_colour = (uint8_t)cur_be(&c, 1);
        f->property_mask = cur_be(&c, 3);
        f->expression = (uint16_t)cur_be(&c, 2);
        for (int i = 0; i < 3; i++)
            f->pose[i] = (uint8_t)cur_be(&c, 1);
        for (int i = 0; i < 3; i++)
            f->pose_uncertainty[i] = (uint8_t)cur_be(&c, 1);
        fixed = 20 + 8 * (size_t)nfp + 12;
        left = c.len - start;
        if (block > left)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: facial image %u declares "
                                "%lu bytes, only %zu are left in the record", what,
                                c.base + start, (unsigned)k + 1, (unsigned long)block, left);
        if (block <= fixed)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: facial image %u declares "
                                "%lu bytes, less than its %zu bytes of facial information, "
                                "%u feature points and image information, and an image",
                                what, c.base + start, (unsigned)k + 1, (unsigned long)block,
                                fixed, (unsigned)nfp);
        c.pos += 8 * (size_t)nfp;  /* feature points: inside the block, checked above */
        f->face_image_type = (uint8_t)cur_be(&c, 1);
        f->image_data_type = (uint8_t)cur_be(&c, 1);
        f->width = (uint16_t)cur_be(&c, 2);
        f->height = (uint16_t)cur_be(&c, 2);
        f->colour_space = (uint8_t)cur_be(&c, 1);
        f->source_type = (uint8_t)cur_be(&c, 1);
        f->device_type = (uint16_t)cur_be(&c, 2);
        f->quality = (uint16_t)cur_be(&c, 2);
        f->image = c.p + c.pos;
        f->image_len = block - fixed;
        f->image_offset = c.base + c.pos;
        f->image_format = dx_lds_image_sniff(f->image, f->image_len);
        c.pos = start + block;
        if (f->image_data_type > DX_LDS_FACE_JPEG2000)
            dx_lds_note(&out->notes, "face %zu: image data type %u is neither JPEG (0) nor "
                        "JPEG 2000 (1)", out->n_faces + 1, f->image_data_type);
        out->n_faces++;
    }
    if (c.pos != c.len)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: %zu bytes after the last of the "
                            "%u facial images the record declares", what, c.base + c.pos,
                            c.len - c.pos, (unsigned)n_images);
    return DX_OK;
}

dx_status dx_lds_parse_dg2(const uint8_t *buf, size_t n, dx_lds_dg2 *out, dx_error *err)
{
    const char *what = "EF.DG2";
    dx_tlv_reader r, group;
    dx_tlv outer, bigt, count;
    dx_status st;
    uint32_t declared;

    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG2: NULL argument");
    memset(out, 0, sizeof *out);
    st = dx_lds_open(buf, n, 0x75, what, &r, &outer, &out->notes, err);
    if (st != DX_OK)
        goto fail;
    if ((st = dx_tlv_read_expect(&r, 0x7F61, &bigt, err)) != DX_OK)
        goto fail;
    while (!dx_tlv_reader_done(&r)) {
        dx_tlv x;
        if ((st = dx_tlv_read(&r, &x, err)) != DX_OK)
            goto fail;
        dx_lds_note(&out->notes, "tag %X at offset %zu after the biometric information group "
                    "template (ignored)", (unsigned)x.tag, x.offset);
    }
    dx_tlv_reader_enter(&group, &r, &bigt, what);
    if ((st = dx_tlv_read_expect(&group, 0x02, &count, err)) != DX_OK ||
        (st = dx_tlv_get_uint(&count, &declared, "EF.DG2: number of instances", err)) != DX_OK)
        goto fail;
    if (declared == 0) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the number of instances is 0",
                          what, count.offset);
        goto fail;
    }
    while (!dx_tlv_reader_done(&group)) {
        dx_tlv bit, a1, bdb;
        dx_tlv_reader tr;
        dx_lds_bht bht;

        if ((st = dx_tlv_read(&group, &bit, err)) != DX_OK)
            goto fail;
        if (bit.tag != 0x7F60) {
            dx_lds_note(&out->notes, "tag %X at offset %zu in the biometric information group "
                        "template (ignored)", (unsigned)bit.tag, bit.offset);
            continue;
        }
        if (out->n_instances == declared) {
            st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the number of instances (%lu, "
                              "offset %zu) is less than the templates (7F60) that follow",
                              what, bit.offset, (unsigned long)declared, count.offset);
            goto fail;
        }
        dx_tlv_reader_enter(&tr, &group, &bit, what);
        if ((st = dx_tlv_read_expect(&tr, 0xA1, &a1, err)) != DX_OK)
            goto fail;
        memset(&bht, 0, sizeof bht);
        if ((st = parse_bht(&tr, &a1, what, &bht, &out->notes, err)) != DX_OK)
            goto fail;
        if ((st = dx_tlv_read(&tr, &bdb, err)) != DX_OK)
            goto fail;
        if (bdb.tag != 0x5F2E && bdb.tag != 0x7F2E) {
            st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: expected the biometric data "
                              "block (5F2E or 7F2E), found tag %X", what, bdb.offset,
                              (unsigned)bdb.tag);
            goto fail;
        }
        while (!dx_tlv_reader_done(&tr)) {
            dx_tlv x;
            if ((st = dx_tlv_read(&tr, &x, err)) != DX_OK)
                goto fail;
            dx_lds_note(&out->notes, "tag %X at offset %zu after the biometric data block "
                        "(ignored)", (unsigned)x.tag, x.offset);
        }
        if ((st = parse_face_record(&bdb, out->n_instances, &bht, what, out, err)) != DX_OK)
            goto fail;
        out->n_instances++;
    }
    if (out->n_instances != declared) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the number of instances is %lu, "
                          "the group holds %zu biometric information templates (7F60)", what,
                          count.offset, (unsigned long)declared, out->n_instances);
        goto fail;
    }
    return DX_OK;
fail:
    memset(out, 0, sizeof *out);
    return st;
}

dx_status dx_lds_face_decode(const dx_lds_face *face, size_t max_pixels, dx_lds_pixels *out,
                             dx_error *err)
{
    char what[48];
    dx_status st;
    bool jpeg;
    size_t used = 0;

    if (!face || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG2 face: NULL argument");
    snprintf(what, sizeof what, "EF.DG2 face %zu (offset %zu)", face->index + 1,
             face->image_offset);
    st = dx_lds_image_decode(face->image, face->image_len, max_pixels, what, out, err);
    if (st != DX_OK)
        return st;
    if (out->width != face->width || out->height != face->height)
        used += (size_t)snprintf(out->mismatch, sizeof out->mismatch, "the record declares "
                                 "%ux%u pixels, the image has %zux%zu", (unsigned)face->width,
                                 (unsigned)face->height, out->width, out->height);
    jpeg = out->format == DX_LDS_IMAGE_JPEG;
    if ((face->image_data_type == DX_LDS_FACE_JPEG && !jpeg) ||
        (face->image_data_type == DX_LDS_FACE_JPEG2000 && jpeg) ||
        face->image_data_type > DX_LDS_FACE_JPEG2000)
        snprintf(out->mismatch + used, sizeof out->mismatch - used, "%sthe image data type is "
                 "%u (%s), the image is %s", used ? "; " : "", face->image_data_type,
                 face->image_data_type == DX_LDS_FACE_JPEG ? "JPEG"
                 : face->image_data_type == DX_LDS_FACE_JPEG2000 ? "JPEG 2000" : "unknown",
                 dx_lds_image_format_name(out->format));
    return DX_OK;
}

/* ---- EF.DG5, EF.DG7 (9303 Part 10 §4.7.5, §4.7.7) ----------------------- */

static dx_status parse_displayed(const uint8_t *buf, size_t n, int dg, uint32_t image_tag,
                                 dx_lds_displayed *out, dx_error *err)
{
    const dx_lds_file_info *fi = dx_lds_file_by_dg(dg);
    const char *what = fi->name;
    dx_tlv_reader r;
    dx_tlv outer, count;
    dx_status st;
    uint32_t declared;

    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "%s: NULL argument", what);
    memset(out, 0, sizeof *out);
    st = dx_lds_open(buf, n, fi->tag, what, &r, &outer, &out->notes, err);
    if (st != DX_OK)
        goto fail;
    out->dg = dg;
    if ((st = dx_tlv_read_expect(&r, 0x02, &count, err)) != DX_OK ||
        (st = dx_tlv_get_uint(&count, &declared, what, err)) != DX_OK)
        goto fail;
    while (!dx_tlv_reader_done(&r)) {
        dx_tlv t;
        if ((st = dx_tlv_read(&r, &t, err)) != DX_OK)
            goto fail;
        if (t.tag != image_tag) {
            dx_lds_note(&out->notes, "tag %X at offset %zu (ignored)", (unsigned)t.tag,
                        t.offset);
            continue;
        }
        if (out->n == declared || out->n == DX_LDS_MAX_IMAGES) {
            st = out->n == declared
                     ? dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: more images (%X) than "
                                    "the count (offset %zu) says: %lu", what, t.offset,
                                    (unsigned)image_tag, count.offset, (unsigned long)declared)
                     : dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: more than %d images",
                                    what, t.offset, DX_LDS_MAX_IMAGES);
            goto fail;
        }
        if (t.len == 0) {
            st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: empty image (%X)", what,
                              t.offset, (unsigned)image_tag);
            goto fail;
        }
        out->images[out->n].data = t.value;
        out->images[out->n].len = t.len;
        out->images[out->n].offset = t.offset + (size_t)(t.value - t.raw);
        out->images[out->n].format = dx_lds_image_sniff(t.value, t.len);
        out->n++;
    }
    if (out->n != declared) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the count says %lu images, the "
                          "file holds %zu", what, count.offset, (unsigned long)declared, out->n);
        goto fail;
    }
    return DX_OK;
fail:
    memset(out, 0, sizeof *out);
    return st;
}

dx_status dx_lds_parse_dg5(const uint8_t *buf, size_t n, dx_lds_displayed *out, dx_error *err)
{
    return parse_displayed(buf, n, 5, 0x5F40, out, err);
}

dx_status dx_lds_parse_dg7(const uint8_t *buf, size_t n, dx_lds_displayed *out, dx_error *err)
{
    return parse_displayed(buf, n, 7, 0x5F43, out, err);
}

/* ---- EF.DG11, EF.DG12 (9303 Part 10 §4.7.11, §4.7.12) -------------------- */

/* Where the first byte that is not UTF-8 (or a NUL) is; n when all are. */
static size_t utf8_bad(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp, min;
        if (c == 0)
            return i;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return i;
        }
        if (k > n - i - 1)
            return i;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += k + 1;
    }
    return n;
}

static dx_status get_text(const dx_tlv *t, const char *what, const char *field, char **out,
                          dx_error *err)
{
    size_t bad = utf8_bad(t->value, t->len);
    char *s;
    if (bad < t->len)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: %s (%X): byte %zu (%02X) is not "
                            "UTF-8 text", what, t->offset + (size_t)(t->value - t->raw) + bad,
                            field, (unsigned)t->tag, bad + 1, t->value[bad]);
    s = malloc(t->len + 1);
    if (!s)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", what);
    memcpy(s, t->value, t->len);
    s[t->len] = '\0';
    *out = s;
    return DX_OK;
}

/* 8 (or 14) ASCII digits, or 4 (or 7) bytes of BCD: "YYYYMMDD[hhmmss]". */
static dx_status get_digits(const dx_tlv *t, const char *what, const char *field,
                            size_t digits, char *out, dx_error *err)
{
    char s[64];
    if (t->len == digits && all_digits(t->value, digits)) {
        memcpy(out, t->value, digits);
        out[digits] = '\0';
        return DX_OK;
    }
    if (t->len == digits / 2) {
        for (size_t i = 0; i < t->len; i++) {
            uint8_t hi = t->value[i] >> 4, lo = t->value[i] & 15;
            if (hi > 9 || lo > 9)
                goto bad;
            out[2 * i] = (char)('0' + hi);
            out[2 * i + 1] = (char)('0' + lo);
        }
        out[digits] = '\0';
        return DX_OK;
    }
bad:
    out[0] = '\0';
    return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: %s (%X) must be %zu digits (or %zu "
                        "bytes of BCD), found %s", what, t->offset, field, (unsigned)t->tag,
                        digits, digits / 2, show(t->value, t->len, s, sizeof s));
}

static char *name_part(const char *s, size_t n)
{
    char *o;
    size_t a = 0, b = n, j = 0;
    while (a < b && (s[a] == '<' || s[a] == ' '))
        a++;
    while (b > a && (s[b - 1] == '<' || s[b - 1] == ' '))
        b--;
    o = malloc(b - a + 1);
    if (!o)
        return NULL;
    for (size_t i = a; i < b; i++)
        o[j++] = s[i] == '<' ? ' ' : s[i];
    o[j] = '\0';
    return o;
}

static void name_free(dx_lds_name *nm)
{
    free(nm->raw);
    free(nm->primary);
    free(nm->secondary);
    memset(nm, 0, sizeof *nm);
}

static dx_status get_name(const dx_tlv *t, const char *what, const char *field,
                          dx_lds_name *nm, dx_error *err)
{
    dx_status st = get_text(t, what, field, &nm->raw, err);
    const char *sep;
    size_t len;
    if (st != DX_OK)
        return st;
    len = strlen(nm->raw);
    sep = strstr(nm->raw, "<<");
    if (sep) {
        nm->primary = name_part(nm->raw, (size_t)(sep - nm->raw));
        nm->secondary = name_part(sep + 2, len - (size_t)(sep + 2 - nm->raw));
    } else {
        nm->primary = name_part(nm->raw, len);
        nm->secondary = name_part("", 0);
    }
    if (!nm->primary || !nm->secondary) {
        name_free(nm);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", what);
    }
    return DX_OK;
}

/* The fields of DG11 and DG12, by tag. */
typedef enum field_kind { F_TEXT, F_NAME, F_DATE, F_TIME, F_BLOB, F_NAMES } field_kind;

typedef struct field {
    uint32_t tag;
    field_kind kind;
    const char *label;
    size_t at;                 /* offsetof the member */
    size_t count_at;           /* F_NAMES: offsetof the count */
} field;

#define FLD(tag, kind, label, type, member) {tag, kind, label, offsetof(type, member), 0}
#define NAMES(tag, label, type, member, count) \
    {tag, F_NAMES, label, offsetof(type, member), offsetof(type, count)}

static const field dg11_fields[] = {
    FLD(0x5F0E, F_NAME, "full name", dx_lds_dg11, full_name),
    NAMES(0x5F0F, "other name", dx_lds_dg11, other_names, n_other_names),
    FLD(0x5F10, F_TEXT, "personal number", dx_lds_dg11, personal_number),
    FLD(0x5F2B, F_DATE, "full date of birth", dx_lds_dg11, birth_date),
    FLD(0x5F11, F_TEXT, "place of birth", dx_lds_dg11, place_of_birth),
    FLD(0x5F42, F_TEXT, "address", dx_lds_dg11, address),
    FLD(0x5F12, F_TEXT, "telephone", dx_lds_dg11, telephone),
    FLD(0x5F13, F_TEXT, "profession", dx_lds_dg11, profession),
    FLD(0x5F14, F_TEXT, "title", dx_lds_dg11, title),
    FLD(0x5F15, F_TEXT, "personal summary", dx_lds_dg11, personal_summary),
    FLD(0x5F16, F_BLOB, "proof of citizenship", dx_lds_dg11, proof_of_citizenship),
    FLD(0x5F17, F_TEXT, "other valid travel document numbers", dx_lds_dg11, other_td_numbers),
    FLD(0x5F18, F_TEXT, "custody information", dx_lds_dg11, custody),
};

static const field dg12_fields[] = {
    FLD(0x5F19, F_TEXT, "issuing authority", dx_lds_dg12, issuing_authority),
    FLD(0x5F26, F_DATE, "date of issue", dx_lds_dg12, issue_date),
    NAMES(0x5F1A, "name of other person", dx_lds_dg12, other_persons, n_other_persons),
    FLD(0x5F1B, F_TEXT, "endorsements and observations", dx_lds_dg12, endorsements),
    FLD(0x5F1C, F_TEXT, "tax or exit requirements", dx_lds_dg12, tax_exit),
    FLD(0x5F1D, F_BLOB, "image of the front", dx_lds_dg12, image_front),
    FLD(0x5F1E, F_BLOB, "image of the rear", dx_lds_dg12, image_rear),
    FLD(0x5F55, F_TIME, "date and time of personalisation", dx_lds_dg12, personalisation_time),
    FLD(0x5F56, F_TEXT, "personalisation system serial number", dx_lds_dg12,
        personalisation_device),
};

typedef struct detail_spec {
    int dg;
    const field *fields;
    size_t n_fields;
    size_t tag_list_at, n_tag_list_at, notes_at;
} detail_spec;

static const detail_spec dg11_spec = {11, dg11_fields, sizeof dg11_fields / sizeof dg11_fields[0],
                                      offsetof(dx_lds_dg11, tag_list),
                                      offsetof(dx_lds_dg11, n_tag_list),
                                      offsetof(dx_lds_dg11, notes)};
static const detail_spec dg12_spec = {12, dg12_fields, sizeof dg12_fields / sizeof dg12_fields[0],
                                      offsetof(dx_lds_dg12, tag_list),
                                      offsetof(dx_lds_dg12, n_tag_list),
                                      offsetof(dx_lds_dg12, notes)};

#define MEMBER(base, off, type) ((type *)(void *)((char *)(base) + (off)))

static void details_free(const detail_spec *sp, void *res)
{
    for (size_t i = 0; i < sp->n_fields; i++) {
        const field *f = &sp->fields[i];
        if (f->kind == F_TEXT) {
            free(*MEMBER(res, f->at, char *));
        } else if (f->kind == F_NAME) {
            name_free(MEMBER(res, f->at, dx_lds_name));
        } else if (f->kind == F_NAMES) {
            dx_lds_name *v = *MEMBER(res, f->at, dx_lds_name *);
            size_t cnt = *MEMBER(res, f->count_at, size_t);
            for (size_t k = 0; k < cnt && v; k++)
                name_free(&v[k]);
            free(v);
        }
    }
}

/* The tags of a tag list (5C): BER tags one after the other (1 to 3 bytes). */
static dx_status parse_tag_list(const dx_tlv *t, const char *what, uint32_t *tags, size_t *n,
                                dx_error *err)
{
    size_t i = 0;
    *n = 0;
    while (i < t->len) {
        size_t start = i;
        uint32_t tag = t->value[i++];
        if ((tag & 0x1F) == 0x1F) {
            do {
                if (i >= t->len || i - start >= DX_TLV_MAX_TAG_BYTES)
                    return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag list (5C): tag "
                                        "%zu is cut off or longer than %d bytes", what,
                                        t->offset, *n + 1, DX_TLV_MAX_TAG_BYTES);
                tag = (tag << 8) | t->value[i];
            } while (t->value[i++] & 0x80);
        }
        if (*n == DX_LDS_MAX_TAG_LIST)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag list (5C) of more than "
                                "%d tags", what, t->offset, DX_LDS_MAX_TAG_LIST);
        tags[(*n)++] = tag;
    }
    return DX_OK;
}

/* A0 { 02 count, <tag> name... } (other names, other persons). */
static dx_status parse_names_group(const dx_tlv_reader *parent, const dx_tlv *a0,
                                   const field *f, const char *what, void *res, dx_error *err)
{
    dx_tlv_reader r;
    dx_tlv count;
    uint32_t declared;
    dx_status st;
    size_t before = *MEMBER(res, f->count_at, size_t), got = 0;

    dx_tlv_reader_enter(&r, parent, a0, what);
    if ((st = dx_tlv_read_expect(&r, 0x02, &count, err)) != DX_OK ||
        (st = dx_tlv_get_uint(&count, &declared, what, err)) != DX_OK)
        return st;
    while (!dx_tlv_reader_done(&r)) {
        dx_tlv t;
        dx_lds_name **v = MEMBER(res, f->at, dx_lds_name *);
        size_t *cnt = MEMBER(res, f->count_at, size_t);
        dx_lds_name *nv;
        if ((st = dx_tlv_read(&r, &t, err)) != DX_OK)
            return st;
        if (t.tag != f->tag)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: tag %X among the %ss (%X "
                                "expected)", what, t.offset, (unsigned)t.tag, f->label,
                                (unsigned)f->tag);
        if (got == declared)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the count (offset %zu) says "
                                "%lu %ss, there are more", what, t.offset, count.offset,
                                (unsigned long)declared, f->label);
        nv = realloc(*v, (*cnt + 1) * sizeof *nv);
        if (!nv)
            return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", what);
        *v = nv;
        memset(&nv[*cnt], 0, sizeof nv[0]);
        (*cnt)++;
        if ((st = get_name(&t, what, f->label, &nv[*cnt - 1], err)) != DX_OK)
            return st;
        got++;
    }
    if (got != declared)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the count says %lu %ss, there "
                            "are %zu", what, count.offset, (unsigned long)declared, f->label,
                            *MEMBER(res, f->count_at, size_t) - before);
    return DX_OK;
}

static dx_status parse_details(const uint8_t *buf, size_t n, const detail_spec *sp, void *res,
                               dx_error *err)
{
    const dx_lds_file_info *fi = dx_lds_file_by_dg(sp->dg);
    const char *what = fi->name;
    dx_lds_notes *notes = MEMBER(res, sp->notes_at, dx_lds_notes);
    uint32_t *tag_list = MEMBER(res, sp->tag_list_at, uint32_t);
    size_t *n_tag_list = MEMBER(res, sp->n_tag_list_at, size_t);
    uint32_t seen = 0;          /* bit i: field i */
    bool has_list = false, names_group = false;
    dx_tlv_reader r;
    dx_tlv outer;
    dx_status st;

    st = dx_lds_open(buf, n, fi->tag, what, &r, &outer, notes, err);
    if (st != DX_OK)
        return st;
    while (!dx_tlv_reader_done(&r)) {
        dx_tlv t;
        const field *f = NULL;
        size_t fi_idx = 0;
        if ((st = dx_tlv_read(&r, &t, err)) != DX_OK)
            return st;
        if (t.tag == 0x5C) {
            if (has_list)
                return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: a second tag list (5C)",
                                    what, t.offset);
            has_list = true;
            if ((st = parse_tag_list(&t, what, tag_list, n_tag_list, err)) != DX_OK)
                return st;
            continue;
        }
        if (t.tag == 0xA0) {
            for (size_t i = 0; i < sp->n_fields; i++)
                if (sp->fields[i].kind == F_NAMES)
                    f = &sp->fields[i], fi_idx = i;
            if (names_group)
                return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: a second group of %ss "
                                    "(A0)", what, t.offset, f->label);
            names_group = true;
            seen |= 1u << fi_idx;
            if ((st = parse_names_group(&r, &t, f, what, res, err)) != DX_OK)
                return st;
            continue;
        }
        for (size_t i = 0; i < sp->n_fields; i++)
            if (sp->fields[i].tag == t.tag)
                f = &sp->fields[i], fi_idx = i;
        if (!f) {
            dx_lds_note(notes, "unknown tag %X at offset %zu (ignored)", (unsigned)t.tag,
                        t.offset);
            continue;
        }
        if ((seen & (1u << fi_idx)) && f->kind != F_NAMES)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: %s (%X) appears twice", what,
                                t.offset, f->label, (unsigned)t.tag);
        seen |= 1u << fi_idx;
        switch (f->kind) {
        case F_TEXT:
            st = get_text(&t, what, f->label, MEMBER(res, f->at, char *), err);
            break;
        case F_NAME:
            st = get_name(&t, what, f->label, MEMBER(res, f->at, dx_lds_name), err);
            break;
        case F_DATE:
            st = get_digits(&t, what, f->label, 8, MEMBER(res, f->at, char), err);
            break;
        case F_TIME:
            st = get_digits(&t, what, f->label, 14, MEMBER(res, f->at, char), err);
            break;
        case F_BLOB: {
            dx_lds_blob *b = MEMBER(res, f->at, dx_lds_blob);
            b->data = t.value;
            b->len = t.len;
            b->offset = t.offset + (size_t)(t.value - t.raw);
            break;
        }
        case F_NAMES: {
            /* a bare name outside A0 (earlier LDS versions) */
            dx_lds_name **v = MEMBER(res, f->at, dx_lds_name *);
            size_t *cnt = MEMBER(res, f->count_at, size_t);
            dx_lds_name *nv = realloc(*v, (*cnt + 1) * sizeof *nv);
            if (!nv)
                return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", what);
            *v = nv;
            memset(&nv[*cnt], 0, sizeof nv[0]);
            (*cnt)++;
            st = get_name(&t, what, f->label, &nv[*cnt - 1], err);
            break;
        }
        }
        if (st != DX_OK)
            return st;
    }
    /* the tag list against the fields */
    if (!has_list) {
        dx_lds_note(notes, "no tag list (5C)");
        return DX_OK;
    }
    for (size_t k = 0; k < *n_tag_list; k++) {
        uint32_t tag = tag_list[k];
        bool known = false;
        for (size_t i = 0; i < sp->n_fields; i++)
            if (sp->fields[i].tag == tag || (tag == 0xA0 && sp->fields[i].kind == F_NAMES)) {
                known = true;
                if (!(seen & (1u << i)))
                    dx_lds_note(notes, "the tag list names %X (%s), the file does not hold it",
                                (unsigned)tag, sp->fields[i].label);
            }
        if (!known)
            dx_lds_note(notes, "the tag list names %X, not a field of %s", (unsigned)tag, what);
    }
    for (size_t i = 0; i < sp->n_fields; i++) {
        bool listed = false;
        if (!(seen & (1u << i)))
            continue;
        for (size_t k = 0; k < *n_tag_list; k++)
            if (tag_list[k] == sp->fields[i].tag ||
                (tag_list[k] == 0xA0 && sp->fields[i].kind == F_NAMES))
                listed = true;
        if (!listed)
            dx_lds_note(notes, "%s (%X) is not in the tag list", sp->fields[i].label,
                        (unsigned)sp->fields[i].tag);
    }
    return DX_OK;
}

dx_status dx_lds_parse_dg11(const uint8_t *buf, size_t n, dx_lds_dg11 *out, dx_error *err)
{
    dx_status st;
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG11: NULL argument");
    memset(out, 0, sizeof *out);
    st = parse_details(buf, n, &dg11_spec, out, err);
    if (st != DX_OK)
        dx_lds_dg11_free(out);
    return st;
}

void dx_lds_dg11_free(dx_lds_dg11 *d)
{
    if (!d)
        return;
    details_free(&dg11_spec, d);
    memset(d, 0, sizeof *d);
}

dx_status dx_lds_parse_dg12(const uint8_t *buf, size_t n, dx_lds_dg12 *out, dx_error *err)
{
    dx_status st;
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG12: NULL argument");
    memset(out, 0, sizeof *out);
    st = parse_details(buf, n, &dg12_spec, out, err);
    if (st != DX_OK)
        dx_lds_dg12_free(out);
    return st;
}

void dx_lds_dg12_free(dx_lds_dg12 *d)
{
    if (!d)
        return;
    details_free(&dg12_spec, d);
    memset(d, 0, sizeof *d);
}
