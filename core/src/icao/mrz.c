/* Machine readable zones: ICAO Doc 9303 Part 3 (common rules: alphabet,
 * check digits, dates, names, codes), Part 4 (TD3), Part 5 (TD1), Part 6
 * (TD2) and Part 7 (MRV-A, MRV-B).
 *
 * Positions in comments are 9303's: 1-based, per line. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docex/mrz.h"
#include "host/host_internal.h"
#include "icao/mrz_codes.h"

const char *dx_mrz_format_name(dx_mrz_format f)
{
    switch (f) {
    case DX_MRZ_TD1: return "TD1";
    case DX_MRZ_TD2: return "TD2";
    case DX_MRZ_TD3: return "TD3";
    case DX_MRZ_MRVA: return "MRV-A";
    case DX_MRZ_MRVB: return "MRV-B";
    default: return "unknown";
    }
}

/* 9303 Part 3 §4.9: weights 7, 3, 1 repeating; '<' = 0, 0-9, A-Z = 10-35. */
static int char_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    if (c == '<')
        return 0;
    return -1;
}

int dx_mrz_check_digit(const char *s, size_t n)
{
    static const int weights[3] = {7, 3, 1};
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int v = char_value(s[i]);
        if (v < 0)
            return -1;
        sum += v * weights[i % 3];
    }
    return sum % 10;
}

/* ---- the code list ------------------------------------------------------- */

static int code_cmp(const void *key, const void *row)
{
    return strcmp(key, ((const dx_mrz_code_row *)row)->code);
}

static const dx_mrz_code_row *code_find(const char *code)
{
    return bsearch(code, dx_mrz_codes, dx_mrz_codes_count, sizeof dx_mrz_codes[0], code_cmp);
}

const char *dx_mrz_code_name(const char *code)
{
    const dx_mrz_code_row *r = code ? code_find(code) : NULL;
    return r ? r->name : NULL;
}

/* ---- building the result ---------------------------------------------- */

static void add_check(dx_mrz *m, const char *name, bool ok, const char *expected,
                      const char *found)
{
    dx_mrz_check *c;
    if (m->n_checks == DX_MRZ_MAX_CHECKS)
        return;
    c = &m->checks[m->n_checks++];
    dx_strlcpy(c->name, name, sizeof c->name);
    c->ok = ok;
    dx_strlcpy(c->expected, expected, sizeof c->expected);
    dx_strlcpy(c->found, found, sizeof c->found);
    if (!ok)
        m->valid = false;
}

static void add_warning(dx_mrz *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_warning(dx_mrz *m, const char *fmt, ...)
{
    va_list ap;
    if (m->n_warnings == DX_MRZ_MAX_WARNINGS)
        return;
    va_start(ap, fmt);
    vsnprintf(m->warnings[m->n_warnings++], sizeof m->warnings[0], fmt, ap);
    va_end(ap);
}

/* Copy line[pos-1 .. pos-1+len) (1-based, as 9303 counts), fillers removed
 * from the end, '<' inside turned into `inner` (0 = keep). */
static void field(char *dst, size_t size, const char *line, int pos, int len, char inner)
{
    int end = len;
    while (end > 0 && line[pos - 1 + end - 1] == '<')
        end--;
    if ((size_t)end >= size)
        end = (int)size - 1;
    for (int i = 0; i < end; i++) {
        char c = line[pos - 1 + i];
        dst[i] = (c == '<' && inner) ? inner : c;
    }
    dst[end] = '\0';
}

/* Check-digit check with expected/found as text, without printf. */
static bool add_digit_check(dx_mrz *m, const char *name, int d, char found)
{
    char exp[3] = {d >= 0 ? (char)('0' + d) : '?', '\0', '\0'};
    char got[2] = {found, '\0'};
    bool ok = d >= 0 && found == '0' + d;
    if (d < 0) {
        exp[0] = '-';
        exp[1] = '1';
    }
    add_check(m, name, ok, exp, got);
    return ok;
}

/* A check digit at line[pos-1] over line[from-1 .. from-1+len). */
static bool check_digit_at(dx_mrz *m, const char *name, const char *line, int from, int len,
                           int pos)
{
    return add_digit_check(m, name, dx_mrz_check_digit(line + from - 1, (size_t)len),
                           line[pos - 1]);
}

/* ---- dates -------------------------------------------------------------- */

static int days_in_month(int y, int mo)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[mo - 1];
}

static int two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool fillers(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] != '<')
            return false;
    return true;
}

/* YYMMDD at line[pos-1].  Birth dates lie in the past: the century is the
 * latest that does not put them after today.  Expiry dates may lie ahead: the
 * century puts them within 50 years ahead of today (9303 gives no rule; this
 * is the usual one).  Birth dates may have unknown parts as fillers (9303 Part
 * 3 §4.7: day, day and month, or the whole date); expiry dates may not. */
static void parse_date(dx_mrz *m, dx_mrz_date *d, const char *name, const char *line, int pos,
                       bool birth, int32_t today)
{
    const char *s = line + pos - 1;
    int ty = today / 10000, yy, mo = 0, dd = 0;
    bool ok;
    memset(d, 0, sizeof *d);
    memcpy(d->raw, s, 6);
    d->raw[6] = '\0';
    if (birth && fillers(s, 6)) {
        d->valid = true;
        add_check(m, name, true, "YYMMDD", d->raw);
        return;
    }
    ok = digits(s, 2);
    if (ok && digits(s + 2, 2)) {
        mo = two(s + 2);
        ok = mo >= 1 && mo <= 12;
        if (ok && digits(s + 4, 2)) {
            dd = two(s + 4);
            ok = dd >= 1 && dd <= 31; /* refined once the year is known */
        } else {
            ok = ok && birth && fillers(s + 4, 2);
        }
    } else {
        ok = ok && birth && fillers(s + 2, 4);
    }
    if (!ok) {
        add_check(m, name, false, birth ? "YYMMDD (unknown parts as <)" : "YYMMDD", d->raw);
        return;
    }
    yy = two(s);
    if (birth) {
        int y = 2000 + yy;
        int t = today % 10000, md = mo * 100 + dd;
        if (y > ty || (y == ty && md > t))
            y -= 100;
        d->year = y;
    } else {
        int y = (ty / 100) * 100 + yy;
        if (y < ty - 49)
            y += 100;
        else if (y > ty + 50)
            y -= 100;
        d->year = y;
    }
    d->month = mo;
    d->day = dd;
    if (dd && dd > days_in_month(d->year, mo)) {
        add_check(m, name, false, "a calendar date", d->raw);
        return;
    }
    d->valid = true;
    add_check(m, name, true, "YYMMDD", d->raw);
}

static int32_t today_utc(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* ---- fields -------------------------------------------------------------- */

/* Document code (positions 1-2 of line 1): 9303 Parts 4-7. */
static void check_document_code(dx_mrz *m, const char *line)
{
    char c0 = line[0], c1 = line[1];
    char found[3] = {c0, c1, '\0'};
    bool ok;
    const char *expected;
    field(m->document_code, sizeof m->document_code, line, 1, 2, 0);
    switch (m->format) {
    case DX_MRZ_TD3:
        ok = c0 == 'P' && (isupper((unsigned char)c1) || c1 == '<');
        expected = "P + letter or <";
        break;
    case DX_MRZ_MRVA:
    case DX_MRZ_MRVB:
        ok = c0 == 'V' && (isupper((unsigned char)c1) || c1 == '<');
        expected = "V + letter or <";
        break;
    case DX_MRZ_TD1:
        /* Part 5 note k: A, C or I; the second character at the State's
         * discretion but not V, and not I after A (AC is the crew member
         * certificate). */
        ok = (c0 == 'A' || c0 == 'C' || c0 == 'I') &&
             ((isupper((unsigned char)c1) && c1 != 'V' && !(c0 == 'A' && c1 == 'I')) ||
              c1 == '<');
        expected = "A, C or I + letter (not V, not AI) or <";
        break;
    default:
        /* Part 6 note k: as TD1, and no C after A (crew certificates are TD1) */
        ok = (c0 == 'A' || c0 == 'C' || c0 == 'I') &&
             ((isupper((unsigned char)c1) && c1 != 'V' && !(c0 == 'A' && c1 == 'C')) ||
              c1 == '<');
        expected = "A, C or I + letter (not V, not AC) or <";
        break;
    }
    add_check(m, "document_code", ok, expected, found);
}

static void check_code(dx_mrz *m, const char *name, char *dst, size_t size, const char *line,
                       int pos)
{
    const char *s = line + pos - 1;
    char raw[4] = {s[0], s[1], s[2], '\0'};
    const dx_mrz_code_row *row;
    bool shape = isupper((unsigned char)s[0]) &&
                 (isupper((unsigned char)s[1]) || s[1] == '<') &&
                 (isupper((unsigned char)s[2]) || s[2] == '<') && !(s[1] == '<' && s[2] != '<');
    field(dst, size, line, pos, 3, 0);
    row = shape ? code_find(dst) : NULL;
    add_check(m, name, row != NULL, "a 9303 Part 3 code", raw);
    if (shape && !row)
        add_warning(m, "%s %s is not a code of ICAO 9303 Part 3", name, dst);
    else if (row && strcmp(row->kind, "specimen") == 0)
        add_warning(m, "%s %s: %s; a specimen, not a real document", name, dst, row->name);
}

static void check_sex(dx_mrz *m, char c)
{
    char found[2] = {c, '\0'};
    m->sex = c;
    add_check(m, "sex", c == 'M' || c == 'F' || c == 'X' || c == '<', "M, F, X or <", found);
    /* 9303 Part 4 §4.2.2: unspecified is '<' in the MRZ and 'X' only in the
     * visual zone; several states print 'X' in the MRZ too, so it passes. */
    if (c == 'X')
        add_warning(m, "sex X: 9303 prints '<' in the MRZ for unspecified (X in the "
                       "visual zone only); accepted");
}

/* Name field (9303 Part 3 §4.6): PRIMARY<<SECONDARY, components separated by
 * '<', letters only.  A field with no filler at its end may be truncated. */
static void parse_name(dx_mrz *m, const char *line, int pos, int len)
{
    const char *s = line + pos - 1;
    char buf[64];
    int sep = -1;
    bool letters = true;
    for (int i = 0; i < len; i++)
        if (!(isupper((unsigned char)s[i]) || s[i] == '<'))
            letters = false;
    for (int i = 0; i + 1 < len; i++)
        if (s[i] == '<' && s[i + 1] == '<') {
            sep = i;
            break;
        }
    if (sep < 0) {
        field(m->surname, sizeof m->surname, line, pos, len, ' ');
        m->given_names[0] = '\0';
    } else {
        field(m->surname, sizeof m->surname, line, pos, sep, ' ');
        /* secondary identifier: skip the separator's second '<' */
        field(m->given_names, sizeof m->given_names, line, pos + sep + 2, len - sep - 2, ' ');
    }
    /* "<<<" followed by more of the name: an empty component */
    if (sep >= 0 && sep + 2 < len && s[sep + 2] == '<') {
        int k = sep + 2;
        while (k < len && s[k] == '<')
            k++;
        if (k < len)
            letters = false;
    }
    {
        /* no leading spaces in what is reported */
        char *g = m->given_names;
        size_t lead = strspn(g, " ");
        memmove(g, g + lead, strlen(g + lead) + 1);
    }
    {
        int shown = len > 47 ? 47 : len;
        memcpy(buf, s, (size_t)shown);
        buf[shown] = '\0';
    }
    add_check(m, "name", letters && s[0] != '<', "PRIMARY<<SECONDARY, letters and <", buf);
    m->name_truncated = s[len - 1] != '<';
    if (m->name_truncated)
        add_warning(m, "the name fills its field and may be truncated");
}

/* Document number of 9 characters at line[pos-1] with its check digit after
 * it; a longer number (TD1, TD2) has '<' as check digit and continues in the
 * optional data at opt_pos, ending with its check digit (9303 Part 5 §4.2.2
 * note j, Part 6 §4.2.4 note j).  Returns how many characters of the
 * optional data the number used (its continuation, check digit and filler). */
static int parse_document_number(dx_mrz *m, const char *line, int pos, bool may_be_long,
                                 const char *optline, int opt_pos, int opt_len)
{
    const char *cd = line + pos - 1 + 9;
    if (may_be_long && *cd == '<' && optline[opt_pos - 1] != '<') {
        /* principal part + continuation up to the first filler; its last
         * character is the check digit over the whole number */
        char full[40];
        int k = 0;
        while (k < opt_len && optline[opt_pos - 1 + k] != '<')
            k++;
        /* the check digit is followed by a filler (Part 5 §4.2.4) */
        if (k >= 2 && k < opt_len) {
            memcpy(full, line + pos - 1, 9);
            memcpy(full + 9, optline + opt_pos - 1, (size_t)(k - 1));
            full[9 + k - 1] = '\0';
            add_digit_check(m, "document_number_check",
                            dx_mrz_check_digit(full, (size_t)(9 + k - 1)),
                            optline[opt_pos - 1 + k - 1]);
            field(m->document_number, sizeof m->document_number, full, 1, 9 + k - 1, 0);
            return k + 1; /* with the filler after the check digit */
        }
    }
    field(m->document_number, sizeof m->document_number, line, pos, 9, 0);
    check_digit_at(m, "document_number_check", line, pos, 9, pos + 9);
    return 0;
}

/* The optional-data check digit (TD3 position 43): over positions 29-42; a
 * filler is allowed when the optional data are all fillers. */
static void check_optional_td3(dx_mrz *m, const char *l2)
{
    if (l2[42] == '<' && fillers(l2 + 28, 14)) {
        add_check(m, "optional_data_check", true, "0 or <", "<");
        return;
    }
    check_digit_at(m, "optional_data_check", l2, 29, 14, 43);
}

/* Composite check digit over the concatenated ranges {line, from, len}. */
static void check_composite(dx_mrz *m, const char *const *ranges, const int *from,
                            const int *len, int n, char found)
{
    char buf[64];
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        memcpy(buf + k, ranges[i] + from[i] - 1, (size_t)len[i]);
        k += (size_t)len[i];
    }
    add_digit_check(m, "composite_check", dx_mrz_check_digit(buf, k), found);
}

static void specimen_markers(dx_mrz *m)
{
    if (m->document_number[0] && strspn(m->document_number, "0") == strlen(m->document_number))
        add_warning(m, "the document number is all zeros: a specimen marker");
}

static void expiry_warning(dx_mrz *m, int32_t today)
{
    const dx_mrz_date *e = &m->expiry_date;
    int32_t ymd;
    if (!e->valid || !e->year)
        return;
    ymd = e->year * 10000 + e->month * 100 + e->day;
    if (ymd < today)
        add_warning(m, "the document expired on %04d-%02d-%02d", e->year, e->month, e->day);
}

/* ---- formats ------------------------------------------------------------- */

/* TD3 (Part 4) and MRV-A (Part 7): 2 x 44.  TD2 (Part 6) and MRV-B (Part 7):
 * 2 x 36.  The second lines share their layout up to position 28. */
static void parse_two_line(dx_mrz *m, int32_t today)
{
    const char *l1 = m->lines[0], *l2 = m->lines[1];
    int width = (int)strlen(l1);
    int used = 0;

    check_document_code(m, l1);
    check_code(m, "issuing_state", m->issuing_state, sizeof m->issuing_state, l1, 3);
    parse_name(m, l1, 6, width - 5);
    used = parse_document_number(m, l2, 1, m->format == DX_MRZ_TD2, l2, 29, 7);
    check_code(m, "nationality", m->nationality, sizeof m->nationality, l2, 11);
    parse_date(m, &m->birth_date, "birth_date", l2, 14, true, today);
    check_digit_at(m, "birth_date_check", l2, 14, 6, 20);
    check_sex(m, l2[20]);
    parse_date(m, &m->expiry_date, "expiry_date", l2, 22, false, today);
    check_digit_at(m, "expiry_date_check", l2, 22, 6, 28);
    switch (m->format) {
    case DX_MRZ_TD3: {
        const char *r[] = {l2, l2, l2};
        const int f[] = {1, 14, 22}, n[] = {10, 7, 22};
        field(m->optional_data, sizeof m->optional_data, l2, 29, 14, 0);
        check_optional_td3(m, l2);
        check_composite(m, r, f, n, 3, l2[43]);
        break;
    }
    case DX_MRZ_TD2: {
        const char *r[] = {l2, l2, l2};
        const int f[] = {1, 14, 22}, n[] = {10, 7, 14};
        /* optional data after what a long document number used */
        field(m->optional_data, sizeof m->optional_data, l2, 29 + used, 7 - used, 0);
        check_composite(m, r, f, n, 3, l2[35]);
        break;
    }
    default: /* MRV-A: 29-44, MRV-B: 29-36; no composite */
        field(m->optional_data, sizeof m->optional_data, l2, 29, width - 28, 0);
        break;
    }
}

/* TD1 (Part 5): 3 x 30. */
static void parse_td1(dx_mrz *m, int32_t today)
{
    const char *l1 = m->lines[0], *l2 = m->lines[1], *l3 = m->lines[2];
    const char *r[] = {l1, l2, l2, l2};
    const int f[] = {6, 1, 9, 19}, n[] = {25, 7, 7, 11};
    int used;

    check_document_code(m, l1);
    check_code(m, "issuing_state", m->issuing_state, sizeof m->issuing_state, l1, 3);
    used = parse_document_number(m, l1, 6, true, l1, 16, 15);
    field(m->optional_data, sizeof m->optional_data, l1, 16 + used, 15 - used, 0);
    parse_date(m, &m->birth_date, "birth_date", l2, 1, true, today);
    check_digit_at(m, "birth_date_check", l2, 1, 6, 7);
    check_sex(m, l2[7]);
    parse_date(m, &m->expiry_date, "expiry_date", l2, 9, false, today);
    check_digit_at(m, "expiry_date_check", l2, 9, 6, 15);
    check_code(m, "nationality", m->nationality, sizeof m->nationality, l2, 16);
    field(m->optional_data_2, sizeof m->optional_data_2, l2, 19, 11, 0);
    check_composite(m, r, f, n, 4, l2[29]);
    parse_name(m, l3, 1, 30);
}

/* ---- entry point ------------------------------------------------------- */

static bool mrz_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '<';
}

dx_status dx_mrz_parse(const char *const *lines, size_t n_lines, const dx_mrz_options *opts,
                       dx_mrz *out, dx_error *err)
{
    const char *kept[DX_MRZ_MAX_LINES];
    size_t lens[DX_MRZ_MAX_LINES], n = 0, given = 0;
    int32_t today = opts && opts->today ? opts->today : today_utc();

    if (!out || (!lines && n_lines))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_mrz_parse: NULL argument");
    memset(out, 0, sizeof *out);
    /* blank lines and surrounding spaces are ignored */
    for (size_t i = 0; i < n_lines; i++) {
        const char *s = lines[i] ? lines[i] : "";
        size_t len;
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        len = strlen(s);
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
                       s[len - 1] == '\n'))
            len--;
        if (!len)
            continue;
        given++;
        if (n < DX_MRZ_MAX_LINES) {
            kept[n] = s;
            lens[n] = len;
        }
        n++;
    }
    if (n == 0)
        return dx_error_set(err, DX_ERR_DATA, "no MRZ: the input has no text line");
    if (n == 1 || n > 3)
        return dx_error_set(err, DX_ERR_DATA, "not an MRZ: %zu line%s; an MRZ has 2 lines "
                            "(TD2, TD3, MRV) or 3 (TD1)", given, given == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < lens[i]; k++)
            if (!mrz_char(kept[i][k])) {
                unsigned char c = (unsigned char)kept[i][k];
                char shown[8];
                if (c >= 0x20 && c < 0x7f)
                    snprintf(shown, sizeof shown, "'%c'", c);
                else
                    snprintf(shown, sizeof shown, "0x%02x", c);
                return dx_error_set(err, DX_ERR_DATA, "not an MRZ: line %zu, column %zu: %s is "
                                    "not an MRZ character (A-Z, 0-9, <)", i + 1, k + 1, shown);
            }
        if (lens[i] != lens[0])
            return dx_error_set(err, DX_ERR_DATA, "not an MRZ: line %zu has %zu characters, "
                                "line 1 has %zu", i + 1, lens[i], lens[0]);
    }
    if (n == 3 && lens[0] == 30)
        out->format = DX_MRZ_TD1;
    else if (n == 2 && lens[0] == 44)
        out->format = kept[0][0] == 'V' ? DX_MRZ_MRVA : DX_MRZ_TD3;
    else if (n == 2 && lens[0] == 36)
        out->format = kept[0][0] == 'V' ? DX_MRZ_MRVB : DX_MRZ_TD2;
    else
        return dx_error_set(err, DX_ERR_DATA, "not an MRZ: %zu lines of %zu characters; an MRZ "
                            "has 3 lines of 30 (TD1), or 2 of 36 (TD2, MRV-B) or 44 (TD3, MRV-A)",
                            n, lens[0]);
    out->n_lines = n;
    for (size_t i = 0; i < n; i++) {
        memcpy(out->lines[i], kept[i], lens[i]);
        out->lines[i][lens[i]] = '\0';
    }
    out->valid = true;
    if (out->format == DX_MRZ_TD1)
        parse_td1(out, today);
    else
        parse_two_line(out, today);
    specimen_markers(out);
    expiry_warning(out, today);
    return DX_OK;
}
