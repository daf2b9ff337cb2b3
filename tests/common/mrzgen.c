/* mrzgen — seeded generator of valid ICAO 9303 MRZs (see mrzgen.h). */
#include "mrzgen.h"

#include <stdio.h>
#include <string.h>

const char mrzgen_alphabet[38] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<";

uint64_t mrzgen_next(mrzgen_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t mrzgen_below(mrzgen_rng *r, uint32_t n)
{
    return (uint32_t)(mrzgen_next(r) % n);
}

#define PICK(r, arr) ((arr)[mrzgen_below((r), (uint32_t)(sizeof(arr) / sizeof((arr)[0])))])

size_t mrzgen_line_len(dx_mrz_format f)
{
    switch (f) {
    case DX_MRZ_TD1: return 30;
    case DX_MRZ_TD2: case DX_MRZ_MRVB: return 36;
    case DX_MRZ_TD3: case DX_MRZ_MRVA: return 44;
    default: return 0;
    }
}

size_t mrzgen_line_count(dx_mrz_format f)
{
    return f == DX_MRZ_TD1 ? 3 : f == DX_MRZ_UNKNOWN ? 0 : 2;
}

/* 9303 Part 3 codes (states, organisations, special nationalities). */
static const char *const states[] = {
    "UTO", "UTO", "UTO", "UTO", "UTO", "D",   "D",   "GBR", "FRA", "NLD", "BEL", "ESP",
    "ITA", "USA", "CAN", "JPN", "CHN", "IND", "BRA", "ZAF", "AUS", "NZL", "SWE", "NOR",
    "FIN", "POL", "CZE", "AUT", "CHE", "IRL", "PRT", "GRC", "TUR", "MEX", "ARG", "KOR",
    "SGP", "EUE", "UNO", "UNA", "UNK", "XOM", "XXA", "XXB", "XXC", "XXX", "GBD", "GBN",
    "GBO", "GBS", "GBP", "NGA", "KEN", "EGY", "ISR", "ARE", "THA", "VNM", "PHL", "IDN",
};
/* Part 4 4.4: PP, PE, PD, PO, PR, PT, PS, PL, PM ("P<" until 2028) */
static const char *const code_p[] = {"P<", "P<", "P<", "PP", "PP", "PE", "PD",
                                     "PO", "PR", "PT", "PS", "PL", "PM"};
/* Part 5 note k: A, C or I; not V second, not AI, AC only for crew member
 * certificates.  Part 6 note k: not V second, no C after A. */
static const char *const code_td1[] = {"I<", "I<", "ID", "IR", "IP", "A<", "AC", "C<", "CR"};
static const char *const code_td2[] = {"I<", "I<", "ID", "IR", "A<", "AR", "C<", "CR"};
static const char *const code_v[] = {"V<", "V<", "V<", "VA", "VB", "VC", "VT"};
static const char *const surnames[] = {
    "ERIKSSON", "SMITH", "MUELLER", "DUPONT", "GARCIA", "ROSSI", "NGUYEN", "KOWALSKI",
    "OBRIEN", "MACDONALD", "LI", "O", "WANG", "SILVA", "DE<LA<CRUZ", "VAN<DER<BERG",
    "BIN<ABDULLAH", "SCHWARZENEGGER", "PAPADOPOULOS", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "HEGEDUS", "KARLSSON<SVENSSON", "ST<JOHN", "MBEKI", "TANAKA",
};
static const char *const given[] = {
    "ANNA",  "MARIA", "JOHN",  "PETER", "JEAN",     "LUC",       "MOHAMMED", "YUKI",
    "ZOE",   "AL",    "X",     "KARL",  "CHRISTOPHER", "ALEXANDRA", "MARIE", "JOSE",
    "WEI",   "OLUWASEUN", "BJORN", "AMELIA", "FRANCOIS", "HANS", "SIGRID", "EMMANUEL",
};

static void put(char *line, size_t pos, const char *s, size_t width)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < width; i++)
        line[pos + i] = i < n ? s[i] : '<';
}

static char digit_char(int d)
{
    return (char)('0' + d);
}

static char cd(const char *s, size_t n)
{
    int d = dx_mrz_check_digit(s, n);
    return d < 0 ? '?' : digit_char(d);
}

/* Remove trailing fillers; '<' inside becomes space when `spaces`. */
static void clean(char *dst, size_t cap, const char *src, size_t n, bool spaces)
{
    while (n > 0 && src[n - 1] == '<')
        n--;
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = spaces && src[i] == '<' ? ' ' : src[i];
    dst[n] = '\0';
}

static void rand_alnum(mrzgen_rng *r, char *dst, size_t n, int digits_pct)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (int)mrzgen_below(r, 100) < digits_pct ? (char)('0' + mrzgen_below(r, 10))
                                                         : (char)('A' + mrzgen_below(r, 26));
    dst[n] = '\0';
}

/* A document number of `len` characters in a realistic shape. */
static void doc_number(mrzgen_rng *r, char *dst, size_t len)
{
    switch (mrzgen_below(r, 5)) {
    case 0: /* all digits */
        rand_alnum(r, dst, len, 100);
        break;
    case 1: /* one letter, then digits */
        rand_alnum(r, dst, len, 100);
        dst[0] = (char)('A' + mrzgen_below(r, 26));
        break;
    case 2: /* two letters, then digits */
        rand_alnum(r, dst, len, 100);
        dst[0] = (char)('A' + mrzgen_below(r, 26));
        dst[1] = (char)('A' + mrzgen_below(r, 26));
        break;
    default: /* mixed */
        rand_alnum(r, dst, len, 60);
        break;
    }
}

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

static void date(mrzgen_rng *r, int y0, int y1, bool may_be_unknown, char raw[7], int *y,
                 int *m, int *d)
{
    *y = y0 + (int)mrzgen_below(r, (uint32_t)(y1 - y0 + 1));
    *m = 1 + (int)mrzgen_below(r, 12);
    *d = 1 + (int)mrzgen_below(r, (uint32_t)days_in(*y, *m));
    raw[0] = digit_char(*y % 100 / 10);
    raw[1] = digit_char(*y % 10);
    raw[2] = digit_char(*m / 10);
    raw[3] = digit_char(*m % 10);
    raw[4] = digit_char(*d / 10);
    raw[5] = digit_char(*d % 10);
    raw[6] = '\0';
    if (may_be_unknown) {
        uint32_t u = mrzgen_below(r, 100);
        if (u < 1) { /* month and day unknown (9303 Part 3 3.8) */
            raw[2] = raw[3] = raw[4] = raw[5] = '<';
            *m = *d = 0;
        } else if (u < 4) { /* day unknown */
            raw[4] = raw[5] = '<';
            *d = 0;
        }
    }
}

/* Names: primary identifier, "<<", secondary identifier, cut to `width`. */
static void names(mrzgen_rng *r, mrzgen_doc *o, char *field, size_t width)
{
    char buf[256];
    size_t n = 0;
    unsigned parts = 1 + (mrzgen_below(r, 10) == 0);
    for (unsigned i = 0; i < parts; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "<" : "", PICK(r, surnames));
    unsigned ng = mrzgen_below(r, 10) == 0 ? 0 : 1 + mrzgen_below(r, 3);
    if (mrzgen_below(r, 12) == 0)
        ng += 3; /* long: likely truncated */
    for (unsigned i = 0; i < ng; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "<" : "<<", PICK(r, given));
    /* 9303 Part 3 4.6: a truncated name ends with an alphabetic character */
    if (n > width) {
        n = width;
        if (buf[n - 1] == '<')
            buf[n - 1] = 'Z';
    }
    buf[n] = '\0';
    put(field, 0, buf, width);
    o->name_truncated = field[width - 1] != '<';
    /* the expected split, from the field text */
    char f[64];
    memcpy(f, field, width);
    f[width] = '\0';
    char *sep = strstr(f, "<<");
    if (sep) {
        clean(o->surname, sizeof o->surname, f, (size_t)(sep - f), true);
        const char *g = sep + 2;
        while (*g == '<')
            g++;
        clean(o->given_names, sizeof o->given_names, g, strlen(g), true);
    } else {
        clean(o->surname, sizeof o->surname, f, width, true);
        o->given_names[0] = '\0';
    }
}

/* Optional data of up to `width` characters, `empty_pct` percent empty. */
static void optional(mrzgen_rng *r, char *dst, size_t width, int empty_pct)
{
    if ((int)mrzgen_below(r, 100) < empty_pct || width == 0) {
        dst[0] = '\0';
        return;
    }
    size_t n = 1 + mrzgen_below(r, (uint32_t)width);
    rand_alnum(r, dst, n, 70);
}

static void common_fields(mrzgen_rng *r, mrzgen_doc *o)
{
    int ty = MRZGEN_TODAY / 10000;
    strcpy(o->issuing_state, PICK(r, states));
    strcpy(o->nationality, mrzgen_below(r, 4) ? o->issuing_state : PICK(r, states));
    date(r, ty - 95, ty - 1, true, o->birth_date, &o->birth_year, &o->birth_month,
         &o->birth_day);
    date(r, ty - 20, ty + 15, false, o->expiry_date, &o->expiry_year, &o->expiry_month,
         &o->expiry_day);
    static const char sexes[] = "MMMFFFX<";
    o->sex_raw = sexes[mrzgen_below(r, 8)];
    o->sex = o->sex_raw == '<' ? 'X' : o->sex_raw;
}

static void set_code(mrzgen_doc *o, const char *code)
{
    clean(o->document_code, sizeof o->document_code, code, 2, false);
}

/* TD3, MRV-A (44) and TD2, MRV-B (36): two lines. */
static void make_two_line(mrzgen_rng *r, dx_mrz_format f, mrzgen_doc *o)
{
    size_t w = mrzgen_line_len(f);
    char *l1 = o->lines[0], *l2 = o->lines[1];
    const char *code = f == DX_MRZ_TD3   ? PICK(r, code_p)
                       : f == DX_MRZ_TD2 ? PICK(r, code_td2)
                                         : PICK(r, code_v);
    char num[16];

    memset(l1, '<', w);
    memset(l2, '<', w);
    l1[w] = l2[w] = '\0';
    common_fields(r, o);
    put(l1, 0, code, 2);
    set_code(o, code);
    put(l1, 2, o->issuing_state, 3);
    names(r, o, l1 + 5, w - 5);

    /* line 2: number 1-9, check 10, nationality 11-13, birth 14-19, check
     * 20, sex 21, expiry 22-27, check 28 (Parts 4, 6, 7) */
    size_t nlen = mrzgen_below(r, 6) == 0 ? 6 + mrzgen_below(r, 3) : 9;
    doc_number(r, num, nlen);
    strcpy(o->document_number, num);
    put(l2, 0, num, 9);
    l2[9] = cd(l2, 9);
    put(l2, 10, o->nationality, 3);
    memcpy(l2 + 13, o->birth_date, 6);
    l2[19] = cd(l2 + 13, 6);
    l2[20] = o->sex_raw;
    memcpy(l2 + 21, o->expiry_date, 6);
    l2[27] = cd(l2 + 21, 6);

    if (f == DX_MRZ_TD3) {
        /* personal number 29-42, its check 43, composite 44 over 1-10,
         * 14-20, 22-43 (Part 4 4.2.2.2) */
        optional(r, o->optional_data, 14, 50);
        put(l2, 28, o->optional_data, 14);
        if (o->optional_data[0])
            l2[42] = cd(l2 + 28, 14);
        else
            l2[42] = mrzgen_below(r, 2) ? '<' : '0'; /* Part 4: '<' or 0 when unused */
        char comp[64];
        size_t n = 0;
        memcpy(comp + n, l2, 10), n += 10;
        memcpy(comp + n, l2 + 13, 7), n += 7;
        memcpy(comp + n, l2 + 21, 22), n += 22;
        l2[43] = cd(comp, n);
    } else if (f == DX_MRZ_TD2) {
        /* optional data 29-35, composite 36 over 1-10, 14-20, 22-35 (Part 6) */
        optional(r, o->optional_data, 7, 50);
        put(l2, 28, o->optional_data, 7);
        char comp[64];
        size_t n = 0;
        memcpy(comp + n, l2, 10), n += 10;
        memcpy(comp + n, l2 + 13, 7), n += 7;
        memcpy(comp + n, l2 + 21, 14), n += 14;
        l2[35] = cd(comp, n);
    } else {
        /* MRV: optional data 29-44 (A) or 29-36 (B), no composite (Part 7) */
        optional(r, o->optional_data, w - 28, 50);
        put(l2, 28, o->optional_data, w - 28);
    }
    o->n_lines = 2;
}

/* TD1 (Part 5 4.2.2). */
static void make_td1(mrzgen_rng *r, mrzgen_doc *o)
{
    char *l1 = o->lines[0], *l2 = o->lines[1], *l3 = o->lines[2];
    const char *code = PICK(r, code_td1);
    char num[24], opt1[16];

    for (int i = 0; i < 3; i++) {
        memset(o->lines[i], '<', 30);
        o->lines[i][30] = '\0';
    }
    common_fields(r, o);
    put(l1, 0, code, 2);
    set_code(o, code);
    put(l1, 2, o->issuing_state, 3);

    if (mrzgen_below(r, 5) == 0) {
        /* Part 5 note j: more than nine characters: the nine principal ones
         * in 6-14, '<' in 15, the rest at the start of the optional data
         * followed by the check digit (over the whole number) and '<'. */
        size_t nlen = 10 + mrzgen_below(r, 4);
        doc_number(r, num, nlen);
        strcpy(o->document_number, num);
        o->long_number = true;
        memcpy(l1 + 5, num, 9);
        l1[14] = '<';
        size_t rest = nlen - 9;
        memcpy(l1 + 15, num + 9, rest);
        l1[15 + rest] = cd(num, nlen);
        l1[16 + rest] = '<';
        size_t room = 30 - (17 + rest);
        if (mrzgen_below(r, 3) == 0) {
            optional(r, opt1, room, 0);
            put(l1, 17 + rest, opt1, room);
            strcpy(o->optional_data, opt1);
        } else {
            o->optional_data[0] = '\0';
        }
    } else {
        size_t nlen = mrzgen_below(r, 6) == 0 ? 6 + mrzgen_below(r, 3) : 9;
        doc_number(r, num, nlen);
        strcpy(o->document_number, num);
        put(l1, 5, num, 9);
        l1[14] = cd(l1 + 5, 9);
        optional(r, o->optional_data, 15, 50);
        put(l1, 15, o->optional_data, 15);
    }

    memcpy(l2, o->birth_date, 6);
    l2[6] = cd(l2, 6);
    l2[7] = o->sex_raw;
    memcpy(l2 + 8, o->expiry_date, 6);
    l2[14] = cd(l2 + 8, 6);
    put(l2, 15, o->nationality, 3);
    optional(r, o->optional_data_2, 11, 60);
    put(l2, 18, o->optional_data_2, 11);
    /* composite: line 1 6-30, line 2 1-7, 9-15, 19-29 */
    char comp[64];
    size_t n = 0;
    memcpy(comp + n, l1 + 5, 25), n += 25;
    memcpy(comp + n, l2, 7), n += 7;
    memcpy(comp + n, l2 + 8, 7), n += 7;
    memcpy(comp + n, l2 + 18, 11), n += 11;
    l2[29] = cd(comp, n);

    names(r, o, l3, 30);
    o->n_lines = 3;
}

void mrzgen_make(mrzgen_rng *r, dx_mrz_format f, mrzgen_doc *out)
{
    memset(out, 0, sizeof *out);
    if (f == DX_MRZ_UNKNOWN)
        f = (dx_mrz_format)(1 + mrzgen_below(r, 5));
    out->format = f;
    if (f == DX_MRZ_TD1)
        make_td1(r, out);
    else
        make_two_line(r, f, out);
}
