/* Property tests of dx_mrz_parse() (issue 3, part 5).
 *
 *   test-mrz_props_<x> valid|mutation|bytes [COUNT] [SEED]
 *
 * valid     generated valid MRZs of every format parse with valid == true and
 *           report the fields that were generated;
 * mutation  changing any one character of a valid MRZ (to another MRZ
 *           character) makes exactly the checks that cover that position
 *           fail: the covering checks come from 9303's ranges, written here
 *           independently of the parser, and a covering check that still
 *           passes must be a coincidence of the 7-3-1 weights (computed with
 *           this file's own check digit, not the parser's);
 * bytes     any bytes give DX_OK or DX_ERR_DATA with a message, and
 *           dx_mrz_to_json() is always well-formed JSON (read back with
 *           jansson) that agrees with the struct.
 * The counts are smaller under ASan (DOCEX_ASAN set). */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docex/mrz.h"
#include "dxtest.h"
#include "mrzgen.h"

static const dx_mrz_options opts = {MRZGEN_TODAY};

static const dx_mrz_format all_formats[] = {DX_MRZ_TD1, DX_MRZ_TD2, DX_MRZ_TD3, DX_MRZ_MRVA,
                                            DX_MRZ_MRVB};

static int failures_shown;
#define SHOW_MAX 25

static void show_mrz(const char *what, const char *const *lines, size_t n)
{
    if (failures_shown++ >= SHOW_MAX)
        return;
    fprintf(stderr, "  %s:\n", what);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "    %s\n", lines[i]);
}

/* ---- an independent model of 9303's checks ------------------------------ */

/* 9303 Part 3 4.9, written apart from the parser: value by table lookup. */
static int ref_value(char c)
{
    const char *p = c ? strchr(mrzgen_alphabet, c) : NULL;
    if (!p)
        return -1;
    return p - mrzgen_alphabet == 36 ? 0 : (int)(p - mrzgen_alphabet);
}

static int ref_cd(const char *s, size_t n)
{
    int sum = 0, w = 7;
    for (size_t i = 0; i < n; i++) {
        int v = ref_value(s[i]);
        if (v < 0)
            return -1;
        sum += v * w;
        w = w == 7 ? 3 : w == 3 ? 1 : 7;
    }
    return sum % 10;
}

static bool ref_cd_ok(const char *data, size_t n, char found)
{
    int d = ref_cd(data, n);
    return d >= 0 && found == '0' + d;
}

enum {
    C_CODE,
    C_STATE,
    C_NAME,
    C_DOCNUM,
    C_NAT,
    C_BIRTH,
    C_BIRTH_CD,
    C_SEX,
    C_EXPIRY,
    C_EXPIRY_CD,
    C_OPT_CD,
    C_COMPOSITE,
    C_COUNT
};
static const char *const check_names[C_COUNT] = {
    "document_code", "issuing_state", "name", "document_number_check", "nationality",
    "birth_date", "birth_date_check", "sex", "expiry_date", "expiry_date_check",
    "optional_data_check", "composite_check",
};

static int check_index(const char *name)
{
    for (int i = 0; i < C_COUNT; i++)
        if (strcmp(check_names[i], name) == 0)
            return i;
    return -1;
}

/* A check's coverage: ranges (line, first, last position, 0-based). */
typedef struct range {
    int line, from, to;
} range;

/* The checks of a format: their ranges (data and check digit); nr[c] == 0
 * for a check the format does not have. */
typedef struct layout {
    range r[C_COUNT][5];
    int nr[C_COUNT];
} layout;

static void add_range(layout *l, int c, int line, int from, int to)
{
    l->r[c][l->nr[c]++] = (range){line, from, to};
}

/* The document number of TD1 (line 1) and TD2 (line 2): nine characters and
 * a check digit; a longer one has '<' as check digit and continues in the
 * optional data, up to its first filler (or the field's end), the last
 * character before it being the check digit over the whole number (9303
 * Part 5 4.2.2 note j; Part 6 4.2.2.2 note j).  *k = characters of the
 * optional data used (continuation + check digit), 0 if not long. */
typedef struct docnum_layout {
    int line, pos, opt, opt_len;
} docnum_layout;

static int long_k(const char *const *L, const docnum_layout *d)
{
    const char *l = L[d->line];
    if (l[d->pos + 9] != '<' || l[d->opt] == '<')
        return 0;
    int k = 0;
    while (k < d->opt_len && l[d->opt + k] != '<')
        k++;
    return k;
}

static bool ref_docnum_ok(const char *const *L, const docnum_layout *d)
{
    const char *l = L[d->line];
    int k = long_k(L, d);
    if (k >= 2) {
        char full[32];
        memcpy(full, l + d->pos, 9);
        memcpy(full + 9, l + d->opt, (size_t)(k - 1));
        return ref_cd_ok(full, (size_t)(9 + k - 1), l[d->opt + k - 1]);
    }
    return ref_cd_ok(l + d->pos, 9, l[d->pos + 9]);
}

static bool has_docnum_layout(dx_mrz_format f, docnum_layout *d)
{
    if (f == DX_MRZ_TD1) {
        *d = (docnum_layout){0, 5, 15, 15};
        return true;
    }
    if (f == DX_MRZ_TD2) {
        *d = (docnum_layout){1, 0, 28, 7};
        return true;
    }
    return false;
}

/* 9303's ranges.  For the long document number, its coverage also takes
 * the continuation, the check digit in the optional data and the filler
 * that ends it (changing that filler lengthens the number). */
static void make_layout(dx_mrz_format f, const char *const *L, layout *l)
{
    memset(l, 0, sizeof *l);
    size_t w = mrzgen_line_len(f);
    const int dl = 1; /* the line of the dates in every format */

    add_range(l, C_CODE, 0, 0, 1);
    add_range(l, C_STATE, 0, 2, 4);
    if (f == DX_MRZ_TD1) {
        add_range(l, C_NAME, 2, 0, 29);
        add_range(l, C_DOCNUM, 0, 5, 14);
        add_range(l, C_BIRTH, dl, 0, 5);
        add_range(l, C_BIRTH_CD, dl, 0, 6);
        add_range(l, C_SEX, dl, 7, 7);
        add_range(l, C_EXPIRY, dl, 8, 13);
        add_range(l, C_EXPIRY_CD, dl, 8, 14);
        add_range(l, C_NAT, dl, 15, 17);
        /* Part 5: upper line 6-30, middle line 1-7, 9-15, 19-29; check 30 */
        add_range(l, C_COMPOSITE, 0, 5, 29);
        add_range(l, C_COMPOSITE, 1, 0, 6);
        add_range(l, C_COMPOSITE, 1, 8, 14);
        add_range(l, C_COMPOSITE, 1, 18, 29);
    } else {
        add_range(l, C_NAME, 0, 5, (int)w - 1);
        add_range(l, C_DOCNUM, 1, 0, 9);
        add_range(l, C_NAT, 1, 10, 12);
        add_range(l, C_BIRTH, 1, 13, 18);
        add_range(l, C_BIRTH_CD, 1, 13, 19);
        add_range(l, C_SEX, 1, 20, 20);
        add_range(l, C_EXPIRY, 1, 21, 26);
        add_range(l, C_EXPIRY_CD, 1, 21, 27);
        if (f == DX_MRZ_TD3) {
            /* Part 4: personal number 29-42, check 43; composite 1-10,
             * 14-20, 22-43, check 44 */
            add_range(l, C_OPT_CD, 1, 28, 42);
            add_range(l, C_COMPOSITE, 1, 0, 9);
            add_range(l, C_COMPOSITE, 1, 13, 19);
            add_range(l, C_COMPOSITE, 1, 21, 43);
        } else if (f == DX_MRZ_TD2) {
            /* Part 6: composite 1-10, 14-20, 22-35, check 36 */
            add_range(l, C_COMPOSITE, 1, 0, 9);
            add_range(l, C_COMPOSITE, 1, 13, 19);
            add_range(l, C_COMPOSITE, 1, 21, 35);
        }
    }
    docnum_layout d;
    if (has_docnum_layout(f, &d)) {
        int k = long_k(L, &d);
        if (k > 0) {
            int end = d.opt + k; /* the filler after the check digit */
            if (end > d.opt + d.opt_len - 1)
                end = d.opt + d.opt_len - 1;
            add_range(l, C_DOCNUM, d.line, d.opt, end);
        }
    }
}

static bool covers(const layout *l, int c, int line, int pos)
{
    for (int i = 0; i < l->nr[c]; i++)
        if (l->r[c][i].line == line && pos >= l->r[c][i].from && pos <= l->r[c][i].to)
            return true;
    return false;
}

static bool ref_code_ok(dx_mrz_format f, const char *s)
{
    bool second = (s[1] >= 'A' && s[1] <= 'Z') || s[1] == '<';
    switch (f) {
    case DX_MRZ_TD3: return s[0] == 'P' && second;
    case DX_MRZ_MRVA:
    case DX_MRZ_MRVB: return s[0] == 'V' && second;
    case DX_MRZ_TD1: /* Part 5 note k: A, C or I; not V second, not AI */
        return (s[0] == 'A' || s[0] == 'C' || s[0] == 'I') && second && s[1] != 'V' &&
               !(s[0] == 'A' && s[1] == 'I');
    default: /* Part 6 note k: as TD1 but AC (crew certificates are TD1) instead of AI */
        return (s[0] == 'A' || s[0] == 'C' || s[0] == 'I') && second && s[1] != 'V' &&
               !(s[0] == 'A' && s[1] == 'C');
    }
}

/* A 9303 Part 3 code: letters, trailing fillers, in the code list. */
static bool ref_state_ok(const char *s)
{
    char code[4];
    int n = 3;
    while (n > 0 && s[n - 1] == '<')
        n--;
    if (n == 0)
        return false;
    for (int i = 0; i < n; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    memcpy(code, s, (size_t)n);
    code[n] = '\0';
    return dx_mrz_code_name(code) != NULL;
}

/* Letters and '<', starting with a letter; the separator "<<" is not
 * followed by a further '<' and then more name (an empty component). */
static bool ref_name_ok(const char *s, int n)
{
    int sep = -1;
    if (s[0] == '<')
        return false;
    for (int i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '<'))
            return false;
    for (int i = 0; i + 1 < n; i++)
        if (s[i] == '<' && s[i + 1] == '<') {
            sep = i;
            break;
        }
    if (sep >= 0 && sep + 2 < n && s[sep + 2] == '<') {
        for (int i = sep + 2; i < n; i++)
            if (s[i] != '<')
                return false;
    }
    return true;
}

static int mdays(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

static bool isdig(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool isfill(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] != '<')
            return false;
    return true;
}

/* YYMMDD (Part 3 3.8 / 4.7): birth dates may leave the day, day and month,
 * or the whole date unknown ('<'); the century is the latest that keeps a
 * birth date in the past, and puts an expiry within 50 years of today. */
static bool ref_date_ok(const char *s, bool birth)
{
    int ty = MRZGEN_TODAY / 10000;
    if (birth && isfill(s, 6))
        return true;
    if (!isdig(s, 2))
        return false;
    int yy = (s[0] - '0') * 10 + s[1] - '0';
    if (birth && isfill(s + 2, 4))
        return true;
    if (!isdig(s + 2, 2))
        return false;
    int mo = (s[2] - '0') * 10 + s[3] - '0';
    if (mo < 1 || mo > 12)
        return false;
    if (birth && isfill(s + 4, 2))
        return true;
    if (!isdig(s + 4, 2))
        return false;
    int dd = (s[4] - '0') * 10 + s[5] - '0';
    int y;
    if (birth) {
        y = 2000 + yy;
        if (y * 10000 + mo * 100 + dd > MRZGEN_TODAY)
            y -= 100;
    } else {
        y = (ty / 100) * 100 + yy;
        if (y < ty - 49)
            y += 100;
        else if (y > ty + 50)
            y -= 100;
    }
    return dd >= 1 && dd <= mdays(y, mo);
}

/* Evaluate every check of format f on the lines: ok[c] (for present ones). */
static void ref_eval(dx_mrz_format f, const char *const *L, const layout *lay, bool ok[C_COUNT])
{
    size_t w = mrzgen_line_len(f);
    const char *l1 = L[0], *l2 = L[1];
    for (int i = 0; i < C_COUNT; i++)
        ok[i] = true;
    ok[C_CODE] = ref_code_ok(f, l1);
    ok[C_STATE] = ref_state_ok(l1 + 2);
    docnum_layout d;
    if (has_docnum_layout(f, &d)) /* TD1, TD2: may be long */
        ok[C_DOCNUM] = ref_docnum_ok(L, &d);
    else /* TD3, MRV: line 2, 1-9, check 10 */
        ok[C_DOCNUM] = ref_cd_ok(l2, 9, l2[9]);
    if (f == DX_MRZ_TD1) {
        ok[C_NAME] = ref_name_ok(L[2], 30);
        ok[C_BIRTH] = ref_date_ok(l2, true);
        ok[C_BIRTH_CD] = ref_cd_ok(l2, 6, l2[6]);
        ok[C_SEX] = strchr("MFX<", l2[7]) != NULL;
        ok[C_EXPIRY] = ref_date_ok(l2 + 8, false);
        ok[C_EXPIRY_CD] = ref_cd_ok(l2 + 8, 6, l2[14]);
        ok[C_NAT] = ref_state_ok(l2 + 15);
    } else {
        ok[C_NAME] = ref_name_ok(l1 + 5, (int)w - 5);
        ok[C_NAT] = ref_state_ok(l2 + 10);
        ok[C_BIRTH] = ref_date_ok(l2 + 13, true);
        ok[C_BIRTH_CD] = ref_cd_ok(l2 + 13, 6, l2[19]);
        ok[C_SEX] = strchr("MFX<", l2[20]) != NULL;
        ok[C_EXPIRY] = ref_date_ok(l2 + 21, false);
        ok[C_EXPIRY_CD] = ref_cd_ok(l2 + 21, 6, l2[27]);
        if (f == DX_MRZ_TD3) /* Part 4: '<' or 0 when the field is unused */
            ok[C_OPT_CD] = isfill(l2 + 28, 14) ? (l2[42] == '<' || l2[42] == '0')
                                               : ref_cd_ok(l2 + 28, 14, l2[42]);
    }
    if (lay->nr[C_COMPOSITE]) {
        char buf[64];
        size_t n = 0;
        for (int i = 0; i < lay->nr[C_COMPOSITE]; i++) {
            const range *r = &lay->r[C_COMPOSITE][i];
            int to = r->to;
            bool last = i == lay->nr[C_COMPOSITE] - 1;
            if (last)
                to--; /* the check digit itself ends the last range */
            memcpy(buf + n, L[r->line] + r->from, (size_t)(to - r->from + 1));
            n += (size_t)(to - r->from + 1);
        }
        const range *lr = &lay->r[C_COMPOSITE][lay->nr[C_COMPOSITE] - 1];
        ok[C_COMPOSITE] = ref_cd_ok(buf, n, L[lr->line][lr->to]);
    }
}

/* ---- the parser's side --------------------------------------------------- */

static dx_status parse_lines(const char *const *lines, size_t n, dx_mrz *m, dx_error *err)
{
    return dx_mrz_parse(lines, n, &opts, m, err);
}

/* Present and failing checks by index; -1 for an unknown name. */
static int parser_checks(const dx_mrz *m, bool present[C_COUNT], bool failed[C_COUNT])
{
    for (int i = 0; i < C_COUNT; i++)
        present[i] = failed[i] = false;
    for (size_t i = 0; i < m->n_checks; i++) {
        int c = check_index(m->checks[i].name);
        if (c < 0)
            return -1;
        present[c] = true;
        if (!m->checks[i].ok)
            failed[c] = true;
    }
    return 0;
}

static void set_str(char *buf, size_t cap, const bool set[C_COUNT])
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < C_COUNT; i++)
        if (set[i])
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", check_names[i]);
    if (!n)
        snprintf(buf, cap, "(none)");
}

/* ---- (a) valid MRZs -------------------------------------------------------- */

static bool date_eq(const dx_mrz_date *d, const char *raw, int y, int mo, int dd)
{
    return strcmp(d->raw, raw) == 0 && d->year == y && d->month == mo && d->day == dd && d->valid;
}

static int prop_valid(long count, uint64_t seed)
{
    mrzgen_rng r = {seed};
    long per[6] = {0}, long_numbers = 0, truncated = 0, unknown_dates = 0;

    for (long i = 0; i < count; i++) {
        mrzgen_doc g;
        dx_mrz m;
        dx_error err = {0};
        const char *L[3];
        bool present[C_COUNT], failed[C_COUNT];
        layout lay;

        mrzgen_make(&r, all_formats[i % 5], &g);
        for (size_t k = 0; k < g.n_lines; k++)
            L[k] = g.lines[k];
        per[g.format]++;
        long_numbers += g.long_number;
        truncated += g.name_truncated;
        unknown_dates += g.birth_day == 0;

        dx_status st = parse_lines(L, g.n_lines, &m, &err);
        CHECK_MSG(st == DX_OK, "status %d: %s", (int)st, err.message);
        if (st != DX_OK) {
            show_mrz("not parsed", L, g.n_lines);
            continue;
        }
        make_layout(g.format, L, &lay);
        bool ok_all = m.valid && m.format == g.format;
        CHECK_MSG(m.format == g.format, "format %s, generated %s", dx_mrz_format_name(m.format),
                  dx_mrz_format_name(g.format));
        CHECK_MSG(m.valid, "a generated MRZ does not validate");
        if (!m.valid) {
            for (size_t k = 0; k < m.n_checks; k++)
                if (!m.checks[k].ok && failures_shown < SHOW_MAX)
                    fprintf(stderr, "    check %s: expected %s, found %s\n", m.checks[k].name,
                            m.checks[k].expected, m.checks[k].found);
        }
        /* the checks of the format, and only those */
        REQUIRE(parser_checks(&m, present, failed) == 0);
        for (int c = 0; c < C_COUNT; c++) {
            CHECK_MSG(present[c] == (lay.nr[c] > 0), "%s: check %s %s",
                      dx_mrz_format_name(g.format), check_names[c],
                      present[c] ? "present but not in 9303" : "missing");
            ok_all &= present[c] == (lay.nr[c] > 0);
        }
#define FIELD_EQ(a, b)                                                                     \
    do {                                                                                   \
        bool eq_ = strcmp((a), (b)) == 0;                                                  \
        CHECK_MSG(eq_, "%s: %s \"%s\", generated \"%s\"", dx_mrz_format_name(g.format), #a, \
                  (a), (b));                                                               \
        ok_all &= eq_;                                                                     \
    } while (0)
        FIELD_EQ(m.document_code, g.document_code);
        FIELD_EQ(m.issuing_state, g.issuing_state);
        FIELD_EQ(m.document_number, g.document_number);
        FIELD_EQ(m.nationality, g.nationality);
        FIELD_EQ(m.surname, g.surname);
        FIELD_EQ(m.given_names, g.given_names);
        FIELD_EQ(m.optional_data, g.optional_data);
        FIELD_EQ(m.optional_data_2, g.optional_data_2);
        bool deq = date_eq(&m.birth_date, g.birth_date, g.birth_year, g.birth_month, g.birth_day);
        CHECK_MSG(deq, "birth date %s %04d-%02d-%02d, generated %s %04d-%02d-%02d",
                  m.birth_date.raw, m.birth_date.year, m.birth_date.month, m.birth_date.day,
                  g.birth_date, g.birth_year, g.birth_month, g.birth_day);
        ok_all &= deq;
        deq = date_eq(&m.expiry_date, g.expiry_date, g.expiry_year, g.expiry_month,
                      g.expiry_day);
        CHECK_MSG(deq, "expiry date %s %04d-%02d-%02d, generated %s %04d-%02d-%02d",
                  m.expiry_date.raw, m.expiry_date.year, m.expiry_date.month,
                  m.expiry_date.day, g.expiry_date, g.expiry_year, g.expiry_month,
                  g.expiry_day);
        ok_all &= deq;
        CHECK_MSG(m.sex == g.sex_raw, "sex '%c', generated '%c' (reported as written)", m.sex,
                  g.sex_raw);
        ok_all &= m.sex == g.sex_raw;
        CHECK_MSG(m.name_truncated == g.name_truncated, "name_truncated %d, generated %d",
                  m.name_truncated, g.name_truncated);
        ok_all &= m.name_truncated == g.name_truncated;
        CHECK(m.n_lines == g.n_lines);
        for (size_t k = 0; k < g.n_lines; k++)
            CHECK(strcmp(m.lines[k], g.lines[k]) == 0);
        if (!ok_all)
            show_mrz("generated", L, g.n_lines);
    }
    printf("valid: %ld MRZs (TD1 %ld, TD2 %ld, TD3 %ld, MRV-A %ld, MRV-B %ld); %ld long TD1 "
           "numbers, %ld truncated names, %ld birth dates with unknown day\n",
           count, per[1], per[2], per[3], per[4], per[5], long_numbers, truncated,
           unknown_dates);
    return 0;
}

/* ---- (b) one character changed --------------------------------------------- */

static int prop_mutation(long per_format, uint64_t seed)
{
    mrzgen_rng r = {seed};
    long mutations = 0, coincidences = 0, mismatches = 0, skipped = 0;
    long cover_fail[C_COUNT] = {0}, cover_coinc[C_COUNT] = {0};

    for (size_t fi = 0; fi < 5; fi++) {
        for (long i = 0; i < per_format; i++) {
            mrzgen_doc g;
            char lines[3][45];
            const char *L[3];
            layout lay;

            mrzgen_make(&r, all_formats[fi], &g);
            for (size_t k = 0; k < g.n_lines; k++) {
                memcpy(lines[k], g.lines[k], sizeof lines[k]);
                L[k] = lines[k];
            }
            make_layout(g.format, L, &lay); /* coverage from the valid MRZ */
            size_t w = mrzgen_line_len(g.format);

            for (size_t ln = 0; ln < g.n_lines; ln++) {
                for (size_t p = 0; p < w; p++) {
                    char orig = lines[ln][p];
                    for (int a = 0; a < 37; a++) {
                        char c = mrzgen_alphabet[a];
                        dx_mrz m;
                        dx_error err = {0};
                        bool present[C_COUNT], failed[C_COUNT], ok[C_COUNT], exp[C_COUNT];
                        if (c == orig)
                            continue;
                        /* The first character 'V' makes a visa of a 44 or 36
                         * line MRZ and its absence a passport or card: a
                         * different format, not a failed check. */
                        if (ln == 0 && p == 0 && (c == 'V' || orig == 'V')) {
                            skipped++;
                            continue;
                        }
                        lines[ln][p] = c;
                        mutations++;
                        dx_status st = parse_lines(L, g.n_lines, &m, &err);
                        if (st != DX_OK || m.format != g.format ||
                            parser_checks(&m, present, failed) != 0) {
                            CHECK_MSG(0, "status %d (%s), format %s", (int)st, err.message,
                                      dx_mrz_format_name(m.format));
                            show_mrz("changed", L, g.n_lines);
                            mismatches++;
                            lines[ln][p] = orig;
                            continue;
                        }
                        ref_eval(g.format, L, &lay, ok);
                        bool same = true;
                        for (int k = 0; k < C_COUNT; k++) {
                            bool cov = covers(&lay, k, (int)ln, (int)p);
                            exp[k] = lay.nr[k] && !ok[k];
                            /* a check that does not cover p cannot fail */
                            if (exp[k] && !cov) {
                                CHECK_MSG(0, "model: %s fails at line %zu pos %zu but does "
                                          "not cover it", check_names[k], ln + 1, p + 1);
                            }
                            if (cov && lay.nr[k]) {
                                if (exp[k])
                                    cover_fail[k]++;
                                else
                                    cover_coinc[k]++;
                            }
                            same &= exp[k] == failed[k];
                        }
                        for (int k = 0; k < C_COUNT; k++)
                            if (covers(&lay, k, (int)ln, (int)p) && lay.nr[k] && !exp[k] &&
                                (k == C_DOCNUM || k == C_BIRTH_CD || k == C_EXPIRY_CD ||
                                 k == C_OPT_CD || k == C_COMPOSITE))
                                coincidences++;
                        char e[256] = "", f[256] = "";
                        if (!same) {
                            mismatches++;
                            set_str(e, sizeof e, exp);
                            set_str(f, sizeof f, failed);
                            show_mrz("changed", L, g.n_lines);
                        }
                        CHECK_MSG(same, "%s line %zu pos %zu '%c'->'%c': failed {%s}, "
                                  "expected {%s}", dx_mrz_format_name(g.format), ln + 1, p + 1,
                                  orig, c, f, e);
                        lines[ln][p] = orig;
                    }
                }
            }
        }
    }
    printf("mutation: %ld single-character changes of %ld MRZs (%ld skipped: 'V' changes the "
           "format); %ld mismatches; check-digit coincidences (a covering check digit still "
           "passing): %ld\n",
           mutations, per_format * 5, skipped, mismatches, coincidences);
    for (int k = 0; k < C_COUNT; k++)
        printf("  %-22s covering changes: %ld failed, %ld still pass\n", check_names[k],
               cover_fail[k], cover_coinc[k]);
    return 0;
}

/* ---- (c) any bytes ---------------------------------------------------------- */

/* Inputs: random bytes, random MRZ-alphabet text, and generated MRZs broken
 * in every way (bytes changed, inserted, deleted, lines dropped, doubled,
 * spaces, lower case, NULs cut the line). */
static size_t make_bytes(mrzgen_rng *r, char *buf, size_t cap)
{
    size_t n = 0;
    uint32_t kind = mrzgen_below(r, 4);
    if (kind == 0) {
        n = mrzgen_below(r, 200);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)mrzgen_below(r, 256);
    } else if (kind == 1) {
        static const char a[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<<<<<<\n\n  ";
        n = mrzgen_below(r, 140);
        for (size_t i = 0; i < n; i++)
            buf[i] = a[mrzgen_below(r, sizeof a - 1)];
    } else {
        mrzgen_doc g;
        mrzgen_make(r, DX_MRZ_UNKNOWN, &g);
        for (size_t k = 0; k < g.n_lines; k++)
            n += (size_t)snprintf(buf + n, cap - n, "%s\n", g.lines[k]);
        /* kind 2: MRZ characters changed (still an MRZ, checks fail);
         * kind 3: anything */
        unsigned edits = 1 + mrzgen_below(r, 8);
        for (unsigned e = 0; e < edits && n > 0; e++) {
            size_t at = mrzgen_below(r, (uint32_t)n);
            switch (kind == 2 ? 1 : mrzgen_below(r, 6)) {
            case 0: buf[at] = (char)mrzgen_below(r, 256); break;
            case 1: buf[at] = mrzgen_alphabet[mrzgen_below(r, 37)]; break;
            case 2: /* delete */
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            case 3: /* insert */
                if (n + 1 < cap) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = " \n<\t\rA0"[mrzgen_below(r, 7)];
                    n++;
                }
                break;
            case 4: buf[at] = (char)tolower((unsigned char)buf[at]); break;
            default: /* duplicate the start (more lines) */
                if (n + at < cap) {
                    memcpy(buf + n, buf, at);
                    n += at;
                }
                break;
            }
        }
    }
    return n;
}

static int prop_bytes(long count, uint64_t seed)
{
    mrzgen_rng r = {seed};
    long ok_n = 0, data_n = 0;
    char buf[1024];

    for (long i = 0; i < count; i++) {
        size_t n = make_bytes(&r, buf, sizeof buf - 1);
        char *lines[16];
        size_t nl = 0;
        dx_mrz m;
        dx_error err;
        /* split at '\n'; a NUL inside a line ends it as C strings do */
        char *text = malloc(n + 1);
        REQUIRE(text);
        memcpy(text, buf, n);
        text[n] = '\0';
        for (char *s = text; nl < 16;) {
            lines[nl++] = s;
            char *nlp = memchr(s, '\n', (size_t)(text + n - s));
            if (!nlp)
                break;
            *nlp = '\0';
            s = nlp + 1;
        }
        memset(&err, 0, sizeof err);
        dx_status st = dx_mrz_parse((const char *const *)lines, nl, &opts, &m, &err);
        if (st == DX_ERR_DATA) {
            data_n++;
            bool msg = err.message[0] != '\0' && memchr(err.message, '\0', sizeof err.message);
            CHECK_MSG(msg && err.status == DX_ERR_DATA, "DX_ERR_DATA without a message");
        } else {
            CHECK_MSG(st == DX_OK, "status %d (%s)", (int)st, err.message);
        }
        if (st == DX_OK) {
            ok_n++;
            char *js = dx_mrz_to_json(&m);
            json_error_t jerr;
            json_t *root = js ? json_loads(js, 0, &jerr) : NULL;
            CHECK_MSG(root != NULL, "dx_mrz_to_json: %s", js ? jerr.text : "NULL");
            if (root) {
                json_t *v = json_object_get(root, "valid");
                json_t *f = json_object_get(root, "format");
                json_t *c = json_object_get(root, "checks");
                CHECK(json_is_boolean(v) && json_is_true(v) == m.valid);
                CHECK(json_is_string(f) &&
                      strcmp(json_string_value(f), dx_mrz_format_name(m.format)) == 0);
                CHECK(json_is_array(c) && json_array_size(c) == m.n_checks);
                CHECK(json_is_object(json_object_get(root, "fields")));
                CHECK(json_is_array(json_object_get(root, "warnings")));
                json_decref(root);
            }
            free(js);
        }
        free(text);
        if (dxtest_failed_ > 50)
            break;
    }
    printf("bytes: %ld inputs: %ld parsed (DX_OK), %ld not an MRZ (DX_ERR_DATA)\n", count, ok_n,
           data_n);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "valid";
    bool asan = getenv("DOCEX_ASAN") != NULL;
    long count = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 0x9303;

    if (strcmp(mode, "valid") == 0)
        prop_valid(count ? count : asan ? 5000 : 50000, seed);
    else if (strcmp(mode, "mutation") == 0)
        prop_mutation(count ? count : asan ? 8 : 60, seed);
    else if (strcmp(mode, "bytes") == 0)
        prop_bytes(count ? count : asan ? 12000 : 300000, seed);
    else {
        fprintf(stderr, "usage: %s valid|mutation|bytes [COUNT] [SEED]\n", argv[0]);
        return 2;
    }
    return dxtest_done();
}
