/* LDS parsers, part 4: malformed files.  Every synthetic file cut at every
 * length, every length field made one longer and one shorter, wrong outer
 * tags, each file given to every other parser; then targeted defects with
 * the precise error each must give: counts that lie (DG2 instances, 19794-5
 * images, DG7 images, DG11 other names), 19794-5 lengths that lie, bad
 * characters, bad UTF-8, bad dates, repeated fields, SecurityInfos that are
 * not, keys that do not load or are of the wrong kind.  Every buffer is an
 * exact-size heap copy, so ASan catches any read past the end.
 *   test-lds_malformed TRUST_DIR KNOWN_ANSWERS.json */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dxtest.h"
#include "icao/lds.h"
#include "icao/tlv.h"
#include "lds_test.h"

static const char *trust;

/* ---- one entry point per parser, freeing what it made ------------------------------ */

typedef dx_status (*parse_fn)(const uint8_t *buf, size_t n, dx_error *err);

static dx_status p_com(const uint8_t *b, size_t n, dx_error *e)
{
    dx_lds_com r;
    return dx_lds_parse_com(b, n, &r, e);
}

static dx_status p_dg1(const uint8_t *b, size_t n, dx_error *e)
{
    dx_lds_dg1 r;
    dx_mrz_options o = {.today = 20250101};
    return dx_lds_parse_dg1(b, n, &o, &r, e);
}

static dx_status p_dg2(const uint8_t *b, size_t n, dx_error *e)
{
    dx_lds_dg2 r;
    dx_status st = dx_lds_parse_dg2(b, n, &r, e);
    for (size_t i = 0; st == DX_OK && i < r.n_faces; i++)
        if (r.faces[i].image < b || r.faces[i].image + r.faces[i].image_len > b + n)
            return DX_ERR_INTERNAL;
    return st;
}

static dx_status p_dg7(const uint8_t *b, size_t n, dx_error *e)
{
    dx_lds_displayed r;
    return dx_lds_parse_dg7(b, n, &r, e);
}

static dx_status p_dg11(const uint8_t *b, size_t n, dx_error *e)
{
    dx_lds_dg11 r;
    dx_status st = dx_lds_parse_dg11(b, n, &r, e);
    dx_lds_dg11_free(&r);
    return st;
}

static dx_status p_dg12(const uint8_t *b, size_t n, dx_error *e)
{
    dx_lds_dg12 r;
    dx_status st = dx_lds_parse_dg12(b, n, &r, e);
    dx_lds_dg12_free(&r);
    return st;
}

static dx_status p_dg14(const uint8_t *b, size_t n, dx_error *e)
{
    dx_lds_security_infos r;
    dx_status st = dx_lds_parse_dg14(b, n, &r, e);
    dx_lds_security_infos_free(&r);
    return st;
}

static dx_status p_dg15(const uint8_t *b, size_t n, dx_error *e)
{
    dx_lds_pubkey r;
    dx_status st = dx_lds_parse_dg15(b, n, &r, e);
    dx_lds_pubkey_free(&r);
    return st;
}

typedef struct target {
    const char *file;          /* in the chip directory, or NULL: built here */
    const char *what;          /* the parser's name in messages */
    parse_fn parse;
    uint8_t *buf;
    size_t n;
} target;

static target targets[] = {
    {"EF.COM", "EF.COM", p_com, NULL, 0},
    {"EF.DG1", "EF.DG1", p_dg1, NULL, 0},
    {"EF.DG2", "EF.DG2", p_dg2, NULL, 0},
    {NULL, "EF.DG7", p_dg7, NULL, 0},
    {"EF.DG11", "EF.DG11", p_dg11, NULL, 0},
    {"EF.DG12", "EF.DG12", p_dg12, NULL, 0},
    {"EF.DG14", "EF.DG14", p_dg14, NULL, 0},
    {"EF.DG15", "EF.DG15", p_dg15, NULL, 0},
};
#define N_TARGETS (sizeof targets / sizeof targets[0])

/* Parse an exact-size copy; the status, and a message that names the file
 * whenever it is an error. */
static dx_status run(const target *t, const uint8_t *bytes, size_t n, dx_error *err)
{
    uint8_t *copy = lt_dup(bytes, n);
    dx_status st;
    memset(err, 0, sizeof *err);
    st = t->parse(copy, n, err);
    free(copy);
    if (st != DX_OK) {
        CHECK_MSG(err->message[0] && strncmp(err->message, t->what, strlen(t->what)) == 0,
                  "%s: status %d with message \"%s\"", t->what, (int)st, err->message);
        CHECK_MSG(st == DX_ERR_DATA || st == DX_ERR_UNSUPPORTED, "%s: status %d (%s)", t->what,
                  (int)st, err->message);
    }
    return st;
}

static void expect(const target *t, const uint8_t *bytes, size_t n, dx_status want,
                   const char *needle)
{
    dx_error err;
    dx_status st = run(t, bytes, n, &err);
    CHECK_MSG(st == want, "%s: status %d (%s), %d expected", t->what, (int)st, err.message,
              (int)want);
    if (needle)
        CHECK_MSG(strstr(err.message, needle) != NULL, "%s: \"%s\" lacks \"%s\"", t->what,
                  err.message, needle);
}

/* ---- systematic mutations ------------------------------------------------------------- */

/* Every strict prefix is an error: the outer object declares more. */
static void test_truncations(const target *t)
{
    size_t bad = 0;
    for (size_t k = 0; k < t->n; k++) {
        dx_error err;
        if (run(t, t->buf, k, &err) != DX_ERR_DATA)
            bad++;
    }
    CHECK_MSG(bad == 0, "%s: %zu of %zu prefixes parsed", t->what, bad, t->n);
}

typedef struct len_field {
    size_t at;                 /* first length byte */
    size_t bytes;              /* 1 (short form) or 1 + k */
    bool last;                 /* the last object of its parent (or the file's) */
} len_field;

/* The length fields of every object (recursively into constructed ones). */
static size_t collect(const uint8_t *buf, size_t n, size_t base, len_field *out, size_t cap,
                      size_t count, int depth)
{
    dx_tlv_reader r;
    dx_tlv_reader_init(&r, buf, n, "test");
    while (!dx_tlv_reader_done(&r) && count < cap) {
        dx_tlv t;
        size_t hdr, tag_len;
        if (dx_tlv_read(&r, &t, NULL) != DX_OK)
            break;
        hdr = (size_t)(t.value - t.raw);
        tag_len = t.tag > 0xFFFF ? 3 : t.tag > 0xFF ? 2 : 1;
        out[count].at = base + t.offset + tag_len;
        out[count].bytes = hdr - tag_len;
        out[count].last = dx_tlv_reader_done(&r);
        count++;
        if (t.constructed && depth < 12)
            count = collect(t.value, t.len, base + t.offset + hdr, out, cap, count, depth + 1);
    }
    return count;
}

static bool add_to_length(uint8_t *p, const len_field *f, int delta)
{
    if (f->bytes == 1) {
        int v = p[f->at] + delta;
        if (v < 0)
            return false;
        p[f->at] = (uint8_t)v; /* 7F + 1 = 80: indefinite, also refused */
        return true;
    }
    /* long form: add to the big-endian value after the 8x byte */
    {
        uint64_t v = 0;
        size_t k = f->bytes - 1;
        for (size_t i = 0; i < k; i++)
            v = (v << 8) | p[f->at + 1 + i];
        if ((delta < 0 && v == 0) || (delta > 0 && v + 1 >= ((uint64_t)1 << (8 * k))))
            return false;
        v = delta > 0 ? v + 1 : v - 1;
        for (size_t i = k; i-- > 0;) {
            p[f->at + 1 + i] = (uint8_t)v;
            v >>= 8;
        }
        return true;
    }
}

/* One longer: the last object of a parent then runs past it, always an
 * error; another object eats the first byte of the next, which is then read
 * as something else: an error or other contents (an unknown tag, say).  One
 * shorter: the same.  Never a crash, never a read past the end. */
static void test_lengths(const target *t)
{
    len_field f[4096];
    size_t nf = collect(t->buf, t->n, 0, f, 4096, 0, 0), last_ok = 0, longer_ok = 0,
           shorter_ok = 0, n_last = 0;
    uint8_t *m = lt_dup(t->buf, t->n);

    CHECK(nf > 1);
    for (size_t i = 0; i < nf; i++) {
        dx_error err;
        memcpy(m, t->buf, t->n);
        if (add_to_length(m, &f[i], +1) && run(t, m, t->n, &err) != DX_ERR_DATA) {
            if (f[i].last) {
                last_ok++;
                fprintf(stderr, "%s: the length at offset %zu made longer still parses\n",
                        t->what, f[i].at);
            } else {
                longer_ok++;
            }
        }
        n_last += f[i].last;
        memcpy(m, t->buf, t->n);
        if (add_to_length(m, &f[i], -1) && run(t, m, t->n, &err) == DX_OK)
            shorter_ok++;
        /* the outer length one shorter always fails */
        if (i == 0) {
            memcpy(m, t->buf, t->n);
            if (add_to_length(m, &f[i], -1))
                CHECK(run(t, m, t->n, &err) == DX_ERR_DATA);
        }
    }
    printf("%s: %zu length fields (%zu of last objects); one longer: %zu still parse (%zu of "
           "them last objects); one shorter: %zu still parse\n", t->what, nf, n_last,
           longer_ok + last_ok, last_ok, shorter_ok);
    CHECK(last_ok == 0);
    free(m);
}

/* Another file's tag first; each file to each other parser. */
static void test_wrong_tags(void)
{
    for (size_t i = 0; i < N_TARGETS; i++) {
        const target *t = &targets[i];
        uint8_t *m = lt_dup(t->buf, t->n);
        m[0] = m[0] == 0x61 ? 0x75 : 0x61;
        expect(t, m, t->n, DX_ERR_DATA, "offset 0: the file starts with tag");
        m[0] = 0x04; /* primitive */
        expect(t, m, t->n, DX_ERR_DATA, "offset 0: the file starts with tag 4");
        free(m);
        for (size_t j = 0; j < N_TARGETS; j++)
            if (j != i)
                expect(t, targets[j].buf, targets[j].n, DX_ERR_DATA, "the file starts with tag");
        expect(t, t->buf, 0, DX_ERR_DATA, "the file is empty");
    }
}

/* ---- targeted defects ---------------------------------------------------------------------- */

static const target *target_of(const char *what)
{
    for (size_t i = 0; i < N_TARGETS; i++)
        if (strcmp(targets[i].what, what) == 0)
            return &targets[i];
    return NULL;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void test_com(void)
{
    const target *t = target_of("EF.COM");
    uint8_t *m = lt_dup(t->buf, t->n);
    dx_synth_der d;
    uint8_t *b;
    size_t n;
    dx_lds_com c;
    dx_error err = {0};

    m[6] = 'A'; /* 5F01 "0107" -> "0A07" */
    expect(t, m, t->n, DX_ERR_DATA, "EF.COM: offset 2: the LDS version (5F01) must be 4 digits, "
                                    "found \"0A07\"");
    free(m);

    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x60);
    dx_synth_der_tlv_str(&d, 0x5F01, "0107");
    dx_synth_der_tlv_str(&d, 0x5F36, "040000");
    dx_synth_der_end(&d);
    b = lt_take(&d, &n);
    expect(t, b, n, DX_ERR_DATA, "EF.COM: no tag list (5C)");
    free(b);

    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x60);
    dx_synth_der_tlv_str(&d, 0x5F01, "0107");
    dx_synth_der_tlv_str(&d, 0x5F01, "0107");
    dx_synth_der_end(&d);
    b = lt_take(&d, &n);
    expect(t, b, n, DX_ERR_DATA, "EF.COM: offset 9: tag 5F01 appears twice");
    free(b);

    /* unknown and repeated tags in the list, an unknown object, padding: notes */
    static const uint8_t list[] = {0x61, 0x99, 0x61, 0x75};
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x60);
    dx_synth_der_tlv_str(&d, 0x5F01, "0107");
    dx_synth_der_tlv_str(&d, 0x5F36, "040000");
    dx_synth_der_tlv(&d, 0x5C, list, sizeof list);
    dx_synth_der_tlv_str(&d, 0x5F70, "x");
    dx_synth_der_end(&d);
    dx_synth_der_raw(&d, "\0\0\0", 3);
    b = lt_take(&d, &n);
    REQUIRE(dx_lds_parse_com(b, n, &c, &err) == DX_OK);
    CHECK(c.n_dgs == 2 && c.dgs[0] == 1 && c.dgs[1] == 2);
    CHECK(c.notes.n == 4);
    CHECK(strstr(c.notes.text[0], "3 bytes after the file's data object"));
    CHECK(strstr(c.notes.text[1], "99 is not a data group's tag"));
    CHECK(strstr(c.notes.text[2], "DG1 listed again"));
    CHECK(strstr(c.notes.text[3], "unknown tag 5F70"));
    free(b);
}

static uint8_t *dg1_of(const char *text, size_t *n)
{
    dx_synth_der d;
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x61);
    dx_synth_der_tlv_str(&d, 0x5F1F, text);
    dx_synth_der_end(&d);
    return lt_take(&d, n);
}

static void test_dg1(void)
{
    const target *t = target_of("EF.DG1");
    size_t n;
    uint8_t *b = dg1_of(FIX_MRZ1 FIX_MRZ2 + 1, &n);

    expect(t, b, n, DX_ERR_DATA, "EF.DG1: offset 2: an MRZ of 87 characters; 90 (TD1), 72 (TD2) "
                                 "or 88 (TD3) expected");
    free(b);
    b = dg1_of("P<UTOeriksson<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<" FIX_MRZ2, &n);
    expect(t, b, n, DX_ERR_DATA, "EF.DG1: offset 10: MRZ character 6 is 65, not of the MRZ "
                                 "alphabet");
    free(b);
    /* MRZ characters, but not an MRZ: dx_mrz_parse's own complaint */
    b = dg1_of("<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<"
               "<<<<<<<", &n);
    {
        dx_error err;
        dx_status st = run(t, b, n, &err);
        printf("an MRZ of fillers: %s\n", st == DX_OK ? "parsed (checks fail)" : err.message);
    }
    free(b);
    /* a DG1 without 5F1F */
    {
        static const uint8_t no[] = {0x61, 0x03, 0x5F, 0x20, 0x00};
        expect(t, no, sizeof no, DX_ERR_DATA, "EF.DG1: offset 2: expected tag 5F1F, found 5F20");
    }
    /* check digits that fail are no error */
    {
        char text[89];
        dx_lds_dg1 d;
        dx_error err = {0};
        memcpy(text, FIX_MRZ1 FIX_MRZ2, 89);
        text[44 + 9] = '0'; /* document number check digit */
        b = dg1_of(text, &n);
        REQUIRE(dx_lds_parse_dg1(b, n, NULL, &d, &err) == DX_OK);
        CHECK(!d.mrz.valid);
        free(b);
    }
}

/* Positions in the synthetic DG2: the 02 count, the 19794-5 record. */
typedef struct dg2_map {
    size_t count_at;           /* the value byte of 02 01 01 */
    size_t rec;                /* first byte of the record (value of 5F2E) */
    size_t rec_len;
    size_t a1;                 /* the A1 tag */
} dg2_map;

static dg2_map map_dg2(const uint8_t *b, size_t n)
{
    dg2_map m = {0, 0, 0, 0};
    size_t off, hdr, len;
    REQUIRE(lt_find_tag(b, n, 0x02, &off, &hdr, &len) && len == 1);
    m.count_at = off + hdr;
    REQUIRE(lt_find_tag(b, n, 0x5F2E, &off, &hdr, &len));
    m.rec = off + hdr;
    m.rec_len = len;
    REQUIRE(lt_find_tag(b, n, 0xA1, &off, &hdr, &len));
    m.a1 = off;
    return m;
}

static void test_dg2(void)
{
    const target *t = target_of("EF.DG2");
    dg2_map mp = map_dg2(t->buf, t->n);
    uint8_t *m = lt_dup(t->buf, t->n);
    const size_t face = mp.rec + 14, info = face + 20;
    char want[200];

#define RESET() memcpy(m, t->buf, t->n)
    /* the number of instances lies */
    m[mp.count_at] = 2;
    snprintf(want, sizeof want, "EF.DG2: offset %zu: the number of instances is 2, the group "
             "holds 1 biometric information templates", mp.count_at - 2);
    expect(t, m, t->n, DX_ERR_DATA, want);
    m[mp.count_at] = 0;
    expect(t, m, t->n, DX_ERR_DATA, "the number of instances is 0");
    m[mp.count_at] = 0x80;
    expect(t, m, t->n, DX_ERR_DATA, "negative INTEGER");
    RESET();

    /* 19794-5 header */
    memcpy(m + mp.rec, "FAX", 3);
    snprintf(want, sizeof want, "EF.DG2: offset %zu: the biometric data block is not an ISO/IEC "
             "19794-5 record (it starts with 46415800, not \"FAC\\0\")", mp.rec);
    expect(t, m, t->n, DX_ERR_DATA, want);
    RESET();
    memcpy(m + mp.rec + 4, "030", 3);
    expect(t, m, t->n, DX_ERR_UNSUPPORTED, "ISO/IEC 19794-5 version 030; only 010");
    RESET();
    m[mp.rec + 6] = 'x';
    expect(t, m, t->n, DX_ERR_DATA, "facial record version 30317800 is not 3 digits and a NUL");
    RESET();
    put32(m + mp.rec + 8, (uint32_t)mp.rec_len + 1);
    snprintf(want, sizeof want, "EF.DG2: offset %zu: the facial record declares %zu bytes, its "
             "biometric data block holds %zu", mp.rec + 8, mp.rec_len + 1, mp.rec_len);
    expect(t, m, t->n, DX_ERR_DATA, want);
    put32(m + mp.rec + 8, (uint32_t)mp.rec_len - 1);
    expect(t, m, t->n, DX_ERR_DATA, "the facial record declares");
    RESET();
    m[mp.rec + 13] = 2;
    expect(t, m, t->n, DX_ERR_DATA, "the facial record declares 2 facial images, it holds 1");
    m[mp.rec + 13] = 0;
    expect(t, m, t->n, DX_ERR_DATA, "the facial record holds no facial image (count 0)");
    RESET();

    /* the facial record data length lies */
    put32(m + face, (uint32_t)(mp.rec_len - 14 + 1));
    snprintf(want, sizeof want, "EF.DG2: offset %zu: facial image 1 declares %zu bytes, only %zu "
             "are left in the record", face, mp.rec_len - 14 + 1, mp.rec_len - 14);
    expect(t, m, t->n, DX_ERR_DATA, want);
    put32(m + face, (uint32_t)(mp.rec_len - 14 - 1));
    expect(t, m, t->n, DX_ERR_DATA, "1 bytes after the last of the 1 facial images the record "
                                    "declares");
    put32(m + face, 32);
    expect(t, m, t->n, DX_ERR_DATA, "facial image 1 declares 32 bytes, less than its 32 bytes of "
                                    "facial information, 0 feature points and image "
                                    "information, and an image");
    RESET();
    /* feature points that do not fit */
    m[face + 4] = 0x07;
    m[face + 5] = 0xD0; /* 2000 */
    expect(t, m, t->n, DX_ERR_DATA, "2000 feature points");
    RESET();
    (void)info;

    /* the block cut inside the headers (5F2E with 10 bytes of record) */
    {
        dx_synth_der d;
        static const uint8_t owner[] = {1, 1}, fmt[] = {0, 8};
        uint8_t *b;
        size_t n;
        dx_synth_der_init(&d);
        dx_synth_der_begin(&d, 0x75);
        dx_synth_der_begin(&d, 0x7F61);
        dx_synth_der_uint(&d, 1);
        dx_synth_der_begin(&d, 0x7F60);
        dx_synth_der_begin(&d, 0xA1);
        dx_synth_der_tlv(&d, 0x87, owner, 2);
        dx_synth_der_tlv(&d, 0x88, fmt, 2);
        dx_synth_der_end(&d);
        dx_synth_der_tlv(&d, 0x5F2E, "FAC\0" "010\0" "\0\0", 10);
        dx_synth_der_end(&d);
        dx_synth_der_end(&d);
        dx_synth_der_end(&d);
        b = lt_take(&d, &n);
        expect(t, b, n, DX_ERR_DATA, "the facial record header cut off: 14 bytes needed, 10 "
                                     "left in the biometric data block");
        /* no format owner */
        b[13] = 0x89;
        expect(t, b, n, DX_ERR_DATA, "the biometric header template has no format owner (87)");
        free(b);
    }
    /* the biometric data block under another tag */
    {
        size_t off, hdr, len;
        REQUIRE(lt_find_tag(t->buf, t->n, 0x5F2E, &off, &hdr, &len));
        m[off + 1] = 0x2F;
        snprintf(want, sizeof want, "EF.DG2: offset %zu: expected the biometric data block (5F2E "
                 "or 7F2E), found tag 5F2F", off);
        expect(t, m, t->n, DX_ERR_DATA, want);
        RESET();
    }
    /* A1 missing: the 7F60 starts with the block */
    m[mp.a1] = 0xA2;
    snprintf(want, sizeof want, "EF.DG2: offset %zu: expected tag A1, found A2", mp.a1);
    expect(t, m, t->n, DX_ERR_DATA, want);
    RESET();
#undef RESET
    free(m);
}

static uint8_t *dg11_with(const uint8_t *field, size_t flen, uint32_t tag, size_t *n)
{
    dx_synth_der d;
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x6B);
    dx_synth_der_tlv_str(&d, 0x5F0E, "ERIKSSON<<ANNA");
    dx_synth_der_tlv(&d, tag, field, flen);
    dx_synth_der_end(&d);
    return lt_take(&d, n);
}

static void test_dg11(void)
{
    const target *t = target_of("EF.DG11");
    static const struct {
        const char *bytes;
        size_t len;
        const char *needle;
    } bad_utf8[] = {
        {"ZEN\xC3(H", 6, "offset 25: place of birth (5F11): byte 4 (C3) is not UTF-8 text"},
        {"ZEN\0TH", 6, "byte 4 (00) is not UTF-8 text"},
        {"\xC0\x80", 2, "byte 1 (C0) is not UTF-8 text"},               /* overlong NUL */
        {"\xED\xA0\x80", 3, "byte 1 (ED) is not UTF-8 text"},           /* surrogate */
        {"\xF4\x90\x80\x80", 4, "byte 1 (F4) is not UTF-8 text"},       /* above U+10FFFF */
        {"AB\xE2\x82", 4, "byte 3 (E2) is not UTF-8 text"},             /* cut */
        {"\x80", 1, "byte 1 (80) is not UTF-8 text"},
    };
    size_t n;
    uint8_t *b;

    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        b = dg11_with((const uint8_t *)bad_utf8[i].bytes, bad_utf8[i].len, 0x5F11, &n);
        expect(t, b, n, DX_ERR_DATA, bad_utf8[i].needle);
        free(b);
    }
    b = dg11_with((const uint8_t *)"1974-8-12", 9, 0x5F2B, &n);
    expect(t, b, n, DX_ERR_DATA, "EF.DG11: offset 19: full date of birth (5F2B) must be 8 digits "
                                 "(or 4 bytes of BCD), found \"1974-8-12\"");
    free(b);
    b = dg11_with((const uint8_t *)"\x19\x74\x08\x1A", 4, 0x5F2B, &n);
    expect(t, b, n, DX_ERR_DATA, "found 1974081A");
    free(b);
    b = dg11_with((const uint8_t *)"ERIKSSON", 8, 0x5F0E, &n);
    expect(t, b, n, DX_ERR_DATA, "EF.DG11: offset 19: full name (5F0E) appears twice");
    free(b);

    /* the other names' count lies, both ways */
    for (int lie = 1; lie <= 3; lie += 2) {
        dx_synth_der d;
        dx_synth_der_init(&d);
        dx_synth_der_begin(&d, 0x6B);
        dx_synth_der_begin(&d, 0xA0);
        dx_synth_der_uint(&d, (uint64_t)lie);
        dx_synth_der_tlv_str(&d, 0x5F0F, "ERIKSSON<<ANNA");
        dx_synth_der_tlv_str(&d, 0x5F0F, "SVENSSON<<ANNA");
        dx_synth_der_end(&d);
        dx_synth_der_end(&d);
        b = lt_take(&d, &n);
        expect(t, b, n, DX_ERR_DATA, lie == 1 ? "offset 24: the count (offset 4) says 1 other "
                                                "names, there are more"
                                              : "offset 4: the count says 3 other names, there "
                                                "are 2");
        free(b);
    }
    /* a foreign tag among them */
    {
        dx_synth_der d;
        dx_synth_der_init(&d);
        dx_synth_der_begin(&d, 0x6B);
        dx_synth_der_begin(&d, 0xA0);
        dx_synth_der_uint(&d, 1);
        dx_synth_der_tlv_str(&d, 0x5F0E, "ERIKSSON<<ANNA");
        dx_synth_der_end(&d);
        dx_synth_der_end(&d);
        b = lt_take(&d, &n);
        expect(t, b, n, DX_ERR_DATA, "tag 5F0E among the other names (5F0F expected)");
        free(b);
    }
    /* a tag list with a cut tag */
    {
        static const uint8_t list[] = {0x5F, 0x0E, 0x5F};
        b = dg11_with(list, sizeof list, 0x5C, &n);
        expect(t, b, n, DX_ERR_DATA, "tag list (5C): tag 2 is cut off");
        free(b);
    }
    /* DG12: a personalisation time of 13 digits */
    {
        const target *t12 = target_of("EF.DG12");
        dx_synth_der d;
        dx_synth_der_init(&d);
        dx_synth_der_begin(&d, 0x6C);
        dx_synth_der_tlv_str(&d, 0x5F55, "2024041609300");
        dx_synth_der_end(&d);
        b = lt_take(&d, &n);
        expect(t12, b, n, DX_ERR_DATA, "date and time of personalisation (5F55) must be 14 "
                                       "digits (or 7 bytes of BCD)");
        free(b);
    }
}

static uint8_t *dg14_of(const uint8_t *info, size_t len, size_t *n)
{
    dx_synth_der d;
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x6E);
    dx_synth_der_begin(&d, 0x31);
    dx_synth_der_raw(&d, info, len);
    dx_synth_der_end(&d);
    dx_synth_der_end(&d);
    return lt_take(&d, n);
}

static void test_dg14(void)
{
    const target *t = target_of("EF.DG14");
    size_t n;
    uint8_t *b;
    static const uint8_t not_seq[] = {0x02, 0x01, 0x00};
    static const uint8_t no_oid[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    static const uint8_t bad_oid[] = {0x30, 0x04, 0x06, 0x02, 0x2B, 0x81};
    /* id-PK-ECDH with a SubjectPublicKeyInfo that is not one */
    static const uint8_t bad_key[] = {0x30, 0x10, 0x06, 0x09, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02,
                                      0x02, 0x01, 0x02, 0x30, 0x03, 0x02, 0x01, 0x00};
    /* PACEInfo without its version */
    static const uint8_t no_version[] = {0x30, 0x0C, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00,
                                         0x07, 0x02, 0x02, 0x04, 0x02, 0x02};
    /* ChipAuthenticationInfo with a 5-byte keyId */
    static const uint8_t big_key_id[] = {0x30, 0x16, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07,
                                         0x02, 0x02, 0x03, 0x02, 0x02, 0x02, 0x01, 0x01, 0x02,
                                         0x05, 0x01, 0x02, 0x03, 0x04, 0x05};

    b = dg14_of(not_seq, sizeof not_seq, &n);
    expect(t, b, n, DX_ERR_DATA, "EF.DG14: offset 4: SecurityInfo with tag 2 (SEQUENCE 30 "
                                 "expected)");
    free(b);
    b = dg14_of(no_oid, sizeof no_oid, &n);
    expect(t, b, n, DX_ERR_DATA, "EF.DG14: offset 6: expected tag 6, found 2");
    free(b);
    b = dg14_of(bad_oid, sizeof bad_oid, &n);
    expect(t, b, n, DX_ERR_DATA, "EF.DG14: offset 6: malformed OBJECT IDENTIFIER");
    free(b);
    b = dg14_of(bad_key, sizeof bad_key, &n);
    expect(t, b, n, DX_ERR_DATA, "EF.DG14: offset 17: the SubjectPublicKeyInfo does not load as "
                                 "a public key (OpenSSL: ");
    free(b);
    b = dg14_of(no_version, sizeof no_version, &n);
    expect(t, b, n, DX_ERR_DATA, "EF.DG14: expected tag 2 at offset 18, found the end of the "
                                 "data");
    free(b);
    b = dg14_of(big_key_id, sizeof big_key_id, &n);
    expect(t, b, n, DX_ERR_DATA, "ChipAuthenticationInfo keyId: INTEGER at offset 21 is longer "
                                 "than 4 bytes");
    free(b);
    {
        static const uint8_t empty[] = {0x6E, 0x00};
        static const uint8_t empty_set[] = {0x6E, 0x02, 0x31, 0x00};
        dx_lds_security_infos s;
        dx_error err = {0};
        expect(t, empty, sizeof empty, DX_ERR_DATA, "EF.DG14: expected tag 31 at offset 2, found "
                                                    "the end of the data");
        REQUIRE(dx_lds_parse_dg14(empty_set, sizeof empty_set, &s, &err) == DX_OK);
        CHECK(s.n == 0 && s.notes.n == 1 && strstr(s.notes.text[0], "is empty"));
        dx_lds_security_infos_free(&s);
    }
    /* more than 16 PACEInfos: the PACE parser's limit */
    {
        dx_synth_der d;
        dx_synth_der infos[17];
        for (int i = 0; i < 17; i++) {
            dx_synth_der_init(&infos[i]);
            dx_synth_der_begin(&infos[i], 0x30);
            dx_synth_der_oid(&infos[i], DX_SYNTH_OID_PACE_ECDH_GM_AES_128);
            dx_synth_der_uint(&infos[i], 2);
            dx_synth_der_uint(&infos[i], (uint64_t)i);
            dx_synth_der_end(&infos[i]);
        }
        dx_synth_der_init(&d);
        dx_synth_der_begin(&d, 0x6E);
        dx_synth_der_set_of(&d, infos, 17);
        dx_synth_der_end(&d);
        for (int i = 0; i < 17; i++)
            dx_synth_der_free(&infos[i]);
        b = lt_take(&d, &n);
        expect(t, b, n, DX_ERR_DATA, "EF.DG14: offset 4: PACEInfos: EF.CardAccess: more than 16 "
                                     "PACEInfos");
        free(b);
    }
}

static void test_dg15(void)
{
    const target *t = target_of("EF.DG15");
    uint8_t *m = lt_dup(t->buf, t->n);
    dx_synth_der d;
    uint8_t *b;
    size_t n;

    /* a byte after the key, inside 6F */
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x6F);
    dx_synth_der_raw(&d, t->buf + 3, t->n - 3);
    dx_synth_der_raw(&d, "\x05\x00", 2);
    dx_synth_der_end(&d);
    b = lt_take(&d, &n);
    expect(t, b, n, DX_ERR_DATA, "bytes after the SubjectPublicKeyInfo");
    free(b);
    /* the modulus' BIT STRING damaged */
    m[t->n - 10] ^= 0xFF;
    m[25] = 0x05;
    expect(t, m, t->n, DX_ERR_DATA, "EF.DG15: offset 3: the SubjectPublicKeyInfo does not load");
    free(m);
    /* not a SEQUENCE */
    {
        static const uint8_t octets[] = {0x6F, 0x03, 0x04, 0x01, 0x00};
        expect(t, octets, sizeof octets, DX_ERR_DATA, "EF.DG15: offset 2: expected a "
                                                      "SubjectPublicKeyInfo (SEQUENCE 30), "
                                                      "found tag 4");
    }
    /* an X25519 key: loads, but Active Authentication takes RSA or EC */
    {
        EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        unsigned char *spki = NULL;
        int len;
        REQUIRE(x);
        len = i2d_PUBKEY(x, &spki);
        REQUIRE(len > 0);
        dx_synth_der_init(&d);
        dx_synth_der_tlv(&d, 0x6F, spki, (size_t)len);
        b = lt_take(&d, &n);
        expect(t, b, n, DX_ERR_UNSUPPORTED, "EF.DG15: offset 2: a X25519 key; Active "
                                            "Authentication takes RSA or EC keys");
        free(b);
        OPENSSL_free(spki);
        EVP_PKEY_free(x);
    }
}

/* ---- set-up ----------------------------------------------------------------------------- */

static bool load_targets(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char dir[512];
    uint8_t *jpeg = NULL;
    size_t jl = 0;
    dx_error err = {0};
    static uint8_t small[48 * 64 * 3];
    dx_synth_der d;

    /* a small portrait keeps the DG2 short: the truncation loop parses each prefix */
    for (size_t i = 0; i < sizeof small; i++)
        small[i] = (uint8_t)(i * 7 / 3);
    fix_holder(&h);
    fix_options(&o, &h, trust);
    o.portrait_rgb = small;
    o.portrait_width = 48;
    o.portrait_height = 64;
    if (!lt_mkchip(&o, dir, sizeof dir))
        return false;
    for (size_t i = 0; i < N_TARGETS; i++)
        if (targets[i].file && !(targets[i].buf = lt_slurp(dir, targets[i].file, &targets[i].n)))
            return false;
    lt_rmdir(dir);
    if (dx_synth_chip_encode_face(small, 48, 64, 0, DX_SYNTH_FACE_JPEG, 50, &jpeg, &jl, &err))
        return false;
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x67);
    dx_synth_der_uint(&d, 2);
    dx_synth_der_tlv(&d, 0x5F43, jpeg, jl);
    dx_synth_der_tlv(&d, 0x5F43, jpeg, jl);
    dx_synth_der_end(&d);
    free(jpeg);
    targets[3].buf = lt_take(&d, &targets[3].n);
    return targets[3].buf != NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TRUST_DIR KNOWN_ANSWERS.json\n", argv[0]);
        return 2;
    }
    trust = argv[1];
    REQUIRE(load_targets());
    for (size_t i = 0; i < N_TARGETS; i++) {
        dx_error err;
        REQUIRE(run(&targets[i], targets[i].buf, targets[i].n, &err) == DX_OK);
        test_truncations(&targets[i]);
        test_lengths(&targets[i]);
    }
    test_wrong_tags();
    test_com();
    test_dg1();
    test_dg2();
    test_dg11();
    test_dg14();
    test_dg15();
    for (size_t i = 0; i < N_TARGETS; i++)
        free(targets[i].buf);
    return dxtest_done();
}
