/* Fuzz target: the parsers of the ePassport's LDS files (core/src/icao/lds*.c)
 * and the image decoders behind them (libjpeg, OpenJPEG).
 *
 * Input: byte 0 picks the parser (modulo 10), the rest is the file:
 *   0 EF.COM             dx_lds_parse_com
 *   1 EF.DG1             dx_lds_parse_dg1 (and so dx_mrz_parse)
 *   2 EF.DG2             dx_lds_parse_dg2, then dx_lds_face_decode of each face
 *   3 EF.DG5 / EF.DG7    dx_lds_parse_dg5 and _dg7, then each image decoded
 *   4 EF.DG11            dx_lds_parse_dg11
 *   5 EF.DG12            dx_lds_parse_dg12
 *   6 EF.DG14            dx_lds_parse_dg14 (SecurityInfos, d2i_PUBKEY, PACEInfos)
 *   7 EF.DG15            dx_lds_parse_dg15
 *   8 an image           dx_lds_image_decode (JPEG, JP2, J2K)
 *   9 EF.CardAccess      dx_lds_parse_security_infos
 * Images are decoded under a cap of FUZZ_MAX_PIXELS, which keeps each input
 * fast; the cap itself is what the unit tests check at full size.
 *
 * Promises checked:
 *   - each parser returns DX_OK, DX_ERR_DATA or DX_ERR_UNSUPPORTED (or
 *     DX_ERR_NO_MEMORY) with a message naming the file, never reads outside
 *     the input (ASan), never leaks (LSan);
 *   - every view of a result lies inside the input;
 *   - counts stay within their arrays, strings are NUL-terminated UTF-8 as
 *     far as strlen goes, a decoded image has width * height <= the cap and
 *     a buffer of width * height * 3 bytes (touched in full). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "icao/lds.h"

#define FUZZ_MAX_PIXELS ((size_t)1 << 20)

static const uint8_t *in_lo, *in_hi;
static volatile unsigned sink;  /* keeps the pixel reads */

static void check_view(const void *p, size_t n, const char *what)
{
    const uint8_t *b = p;
    if (!b)
        return;
    FUZZ_ASSERT(b >= in_lo && b <= in_hi && n <= (size_t)(in_hi - b), "%s outside the input",
                what);
}

static void check_status(dx_status st, const dx_error *err, const char *prefix)
{
    if (st == DX_OK)
        return;
    FUZZ_ASSERT(st == DX_ERR_DATA || st == DX_ERR_UNSUPPORTED || st == DX_ERR_NO_MEMORY,
                "%s: status %d (%s)", prefix, (int)st, err->message);
    FUZZ_ASSERT(strncmp(err->message, prefix, strlen(prefix)) == 0, "message \"%s\" (%s)",
                err->message, prefix);
}

static void check_notes(const dx_lds_notes *n)
{
    FUZZ_ASSERT(n->n <= DX_LDS_MAX_NOTES, "%zu notes", n->n);
    for (size_t i = 0; i < n->n; i++)
        FUZZ_ASSERT(memchr(n->text[i], 0, sizeof n->text[i]), "note not terminated");
}

static void check_text(const char *s)
{
    volatile size_t n = s ? strlen(s) : 0;
    (void)n;
}

static void decode(const uint8_t *img, size_t n, const char *prefix)
{
    dx_lds_pixels px;
    dx_error err = {0};
    dx_status st = dx_lds_image_decode(img, n, FUZZ_MAX_PIXELS, prefix, &px, &err);
    check_status(st, &err, prefix);
    if (st == DX_OK) {
        unsigned sum = 0;
        FUZZ_ASSERT(px.rgb && px.width && px.height && px.width * px.height <= FUZZ_MAX_PIXELS,
                    "decoded %zux%zu", px.width, px.height);
        for (size_t i = 0; i < px.width * px.height * 3; i++)
            sum += px.rgb[i];
        sink = sum;
    } else {
        FUZZ_ASSERT(px.rgb == NULL, "pixels left on error");
    }
    dx_lds_pixels_free(&px);
}

static void fuzz_com(const uint8_t *b, size_t n)
{
    dx_lds_com r;
    dx_error err = {0};
    dx_status st = dx_lds_parse_com(b, n, &r, &err);
    check_status(st, &err, "EF.COM");
    if (st != DX_OK)
        return;
    FUZZ_ASSERT(r.n_dgs <= 16, "%zu DGs", r.n_dgs);
    for (size_t i = 0; i < r.n_dgs; i++)
        FUZZ_ASSERT(dx_lds_com_has(&r, r.dgs[i]), "DG%d not in the mask", r.dgs[i]);
    check_notes(&r.notes);
}

static void fuzz_dg1(const uint8_t *b, size_t n)
{
    dx_lds_dg1 r;
    dx_error err = {0};
    dx_mrz_options o = {.today = 20250101};
    dx_status st = dx_lds_parse_dg1(b, n, &o, &r, &err);
    check_status(st, &err, "EF.DG1");
    if (st != DX_OK)
        return;
    FUZZ_ASSERT(r.len == 90 || r.len == 72 || r.len == 88, "MRZ of %zu", r.len);
    FUZZ_ASSERT(strlen(r.text) == r.len, "text length");
    FUZZ_ASSERT(r.mrz.n_lines == (r.len == 90 ? 3u : 2u), "%zu lines", r.mrz.n_lines);
}

static void fuzz_dg2(const uint8_t *b, size_t n)
{
    dx_lds_dg2 r;
    dx_error err = {0};
    dx_status st = dx_lds_parse_dg2(b, n, &r, &err);
    check_status(st, &err, "EF.DG2");
    if (st != DX_OK)
        return;
    FUZZ_ASSERT(r.n_faces >= r.n_instances && r.n_faces <= DX_LDS_MAX_FACES, "%zu faces",
                r.n_faces);
    check_notes(&r.notes);
    for (size_t i = 0; i < r.n_faces; i++) {
        const dx_lds_face *f = &r.faces[i];
        dx_lds_pixels px;
        FUZZ_ASSERT(f->image_len > 0 && f->image == b + f->image_offset, "face view");
        check_view(f->image, f->image_len, "face image");
        st = dx_lds_face_decode(f, FUZZ_MAX_PIXELS, &px, &err);
        check_status(st, &err, "EF.DG2 face");
        if (st == DX_OK) {
            bool jpeg = px.format == DX_LDS_IMAGE_JPEG;
            bool differs = px.width != f->width || px.height != f->height ||
                           (f->image_data_type == DX_LDS_FACE_JPEG && !jpeg) ||
                           (f->image_data_type == DX_LDS_FACE_JPEG2000 && jpeg) ||
                           f->image_data_type > DX_LDS_FACE_JPEG2000;
            FUZZ_ASSERT(memchr(px.mismatch, 0, sizeof px.mismatch) &&
                        (px.mismatch[0] != '\0') == differs, "mismatch \"%s\"", px.mismatch);
        }
        dx_lds_pixels_free(&px);
    }
}

static void fuzz_displayed(const uint8_t *b, size_t n)
{
    dx_lds_displayed r;
    dx_error err = {0};
    for (int dg = 5; dg <= 7; dg += 2) {
        dx_status st = dg == 5 ? dx_lds_parse_dg5(b, n, &r, &err) : dx_lds_parse_dg7(b, n, &r, &err);
        check_status(st, &err, dg == 5 ? "EF.DG5" : "EF.DG7");
        if (st != DX_OK)
            continue;
        FUZZ_ASSERT(r.n <= DX_LDS_MAX_IMAGES && r.dg == dg, "%zu images", r.n);
        for (size_t i = 0; i < r.n; i++) {
            check_view(r.images[i].data, r.images[i].len, "displayed image");
            decode(r.images[i].data, r.images[i].len, "EF.DG");
        }
    }
}

static void fuzz_dg11(const uint8_t *b, size_t n)
{
    dx_lds_dg11 r;
    dx_error err = {0};
    dx_status st = dx_lds_parse_dg11(b, n, &r, &err);
    check_status(st, &err, "EF.DG11");
    if (st == DX_OK) {
        FUZZ_ASSERT(r.n_tag_list <= DX_LDS_MAX_TAG_LIST, "tag list");
        FUZZ_ASSERT(!r.full_name.raw || (r.full_name.primary && r.full_name.secondary), "name");
        check_text(r.full_name.raw);
        check_text(r.full_name.primary);
        for (size_t i = 0; i < r.n_other_names; i++)
            check_text(r.other_names[i].secondary);
        check_text(r.address);
        check_text(r.custody);
        FUZZ_ASSERT(strlen(r.birth_date) == 0 || strlen(r.birth_date) == 8, "date");
        check_view(r.proof_of_citizenship.data, r.proof_of_citizenship.len, "proof");
        check_notes(&r.notes);
    }
    dx_lds_dg11_free(&r);
}

static void fuzz_dg12(const uint8_t *b, size_t n)
{
    dx_lds_dg12 r;
    dx_error err = {0};
    dx_status st = dx_lds_parse_dg12(b, n, &r, &err);
    check_status(st, &err, "EF.DG12");
    if (st == DX_OK) {
        check_text(r.issuing_authority);
        for (size_t i = 0; i < r.n_other_persons; i++)
            check_text(r.other_persons[i].primary);
        FUZZ_ASSERT(strlen(r.personalisation_time) == 0 || strlen(r.personalisation_time) == 14,
                    "time");
        check_view(r.image_front.data, r.image_front.len, "front");
        check_view(r.image_rear.data, r.image_rear.len, "rear");
        check_notes(&r.notes);
    }
    dx_lds_dg12_free(&r);
}

static void check_infos(const dx_lds_security_infos *s)
{
    FUZZ_ASSERT(s->pace.n_pace <= DX_PACE_MAX_INFOS, "PACEInfos");
    for (size_t i = 0; i < s->n; i++) {
        const dx_lds_security_info *si = &s->infos[i];
        check_view(si->raw, si->raw_len, "SecurityInfo");
        FUZZ_ASSERT(memchr(si->oid, 0, sizeof si->oid) && si->oid[0], "OID text");
        if (si->kind == DX_LDS_SI_CA_PUBLIC_KEY) {
            FUZZ_ASSERT(si->public_key.key, "no key");
            check_view(si->public_key.spki, si->public_key.spki_len, "SPKI");
        } else {
            FUZZ_ASSERT(!si->public_key.key, "key on a %s", dx_lds_si_kind_name(si->kind));
        }
    }
    check_notes(&s->notes);
}

static void fuzz_dg14(const uint8_t *b, size_t n, bool card_access)
{
    dx_lds_security_infos s;
    dx_error err = {0};
    dx_status st = card_access ? dx_lds_parse_security_infos(b, n, "EF.CardAccess", &s, &err)
                               : dx_lds_parse_dg14(b, n, &s, &err);
    check_status(st, &err, card_access ? "EF.CardAccess" : "EF.DG14");
    if (st == DX_OK)
        check_infos(&s);
    else
        FUZZ_ASSERT(s.n == 0 && s.infos == NULL, "infos left on error");
    dx_lds_security_infos_free(&s);
}

static void fuzz_dg15(const uint8_t *b, size_t n)
{
    dx_lds_pubkey k;
    dx_error err = {0};
    dx_status st = dx_lds_parse_dg15(b, n, &k, &err);
    check_status(st, &err, "EF.DG15");
    if (st == DX_OK) {
        FUZZ_ASSERT(k.key && (strcmp(k.algorithm, "RSA") == 0 || strcmp(k.algorithm, "EC") == 0),
                    "key %s", k.algorithm);
        check_view(k.spki, k.spki_len, "SPKI");
    } else {
        FUZZ_ASSERT(k.key == NULL, "key left on error");
    }
    dx_lds_pubkey_free(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *b;
    size_t n;

    if (size == 0)
        return 0;
    b = data + 1;
    n = size - 1;
    in_lo = b;
    in_hi = b + n;
    switch (data[0] % 10) {
    case 0: fuzz_com(b, n); break;
    case 1: fuzz_dg1(b, n); break;
    case 2: fuzz_dg2(b, n); break;
    case 3: fuzz_displayed(b, n); break;
    case 4: fuzz_dg11(b, n); break;
    case 5: fuzz_dg12(b, n); break;
    case 6: fuzz_dg14(b, n, false); break;
    case 7: fuzz_dg15(b, n); break;
    case 8: decode(b, n, "image"); break;
    default: fuzz_dg14(b, n, true); break;
    }
    return 0;
}
