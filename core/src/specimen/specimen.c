/* Reference specimens: reading and checking specimen.json.
 *
 * A specimen package is outside input (a lab adds its own): every key is
 * checked against the rules of share/schemas/specimen.schema.json, then the
 * cross-references the schema cannot express.  The first broken rule refuses
 * the specimen with "FILE: JSON.PATH: why". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docex/mrz.h"
#include "host/host_internal.h"
#include "specimen/specimen_internal.h"

/* ---- vocabulary ---------------------------------------------------------- */

typedef struct measure_def {
    const char *name;
    double lo, hi;
    unsigned flags;
} measure_def;

#define MEASURE_ROW_(e, name, lo, hi, flags, desc) {name, lo, hi, flags},
static const measure_def measures[] = {DX_SPECIMEN_MEASURES(MEASURE_ROW_)};
#undef MEASURE_ROW_
#define NAME_ROW_(e, name, desc) name,
static const char *const light_names[] = {DX_SPECIMEN_LIGHTS(NAME_ROW_)};
static const char *const property_names[] = {DX_SPECIMEN_PROPERTIES(NAME_ROW_)};
#undef NAME_ROW_
static const char *const mode_names[] = {"mandatory", "optional", "evaluatory"};
static const char *const icao_formats[] = {"TD1", "TD2", "TD3"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *dx_specimen_mode_name(dx_specimen_mode mode)
{
    return (unsigned)mode < COUNT(mode_names) ? mode_names[mode] : "unknown";
}

const char *dx_specimen_light_of(const char *illumination)
{
    const dx_illumination *il = illumination ? dx_illumination_find(illumination) : NULL;
    if (!il)
        return NULL;
    if (il->band_hi_nm <= 400)
        return "UV";
    if (il->band_lo_nm >= 700)
        return "IR";
    return "VI";
}

static int find_name(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

/* ---- the checking context ------------------------------------------------ */

typedef struct ld {
    const char *file;
    dx_error *err;
    dx_specimen *s;
} ld;

static dx_status fail(ld *c, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static dx_status fail(ld *c, const char *where, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (c->err) {
        dx_error_set(c->err, DX_ERR_DATA, "%s: %s: %s", c->file,
                     where[0] ? where : "(top level)", why);
        dx_text_sanitize(c->err->message);
    }
    return DX_ERR_DATA;
}

static dx_status oom(ld *c)
{
    return dx_error_set(c->err, DX_ERR_NO_MEMORY, "%s: out of memory", c->file);
}

/* Input text for a message: at most 40 bytes (cut at a character boundary),
 * control characters as '?'. */
static const char *q(const char *s, char buf[48])
{
    size_t n = strlen(s), k = n > 40 ? 40 : n;
    while (k < n && k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
        k--;
    memcpy(buf, s, k);
    buf[k] = '\0';
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    if (k < n)
        memcpy(buf + k, "...", 4);
    return buf;
}

static const char *jtype(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return "null";
    }
}

static void join(char *dst, size_t n, const char *where, const char *key)
{
    /* a path too long for the message ends in "..." */
    if (snprintf(dst, n, "%s%s%s", where, where[0] ? "." : "", key) >= (int)n && n > 4)
        memcpy(dst + n - 4, "...", 4);
}

static void index_of(char *dst, size_t n, const char *where, size_t i)
{
    snprintf(dst, n, "%s[%zu]", where, i);
}

/* Every key of object `o` is one of `allowed` (NULL-terminated) and each of
 * `required` is there. */
static dx_status check_keys(ld *c, json_t *o, const char *where, const char *const *allowed,
                            const char *const *required)
{
    const char *key;
    json_t *v;
    char w[160], b[48];
    json_object_foreach(o, key, v) {
        size_t i;
        for (i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], key) == 0)
                break;
        if (!allowed[i]) {
            char list[320] = "";
            for (size_t k = 0; allowed[k]; k++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof list - l, "%s%s", k ? ", " : "", allowed[k]);
            }
            return fail(c, where, "unknown key \"%s\" (expected: %s)", q(key, b), list);
        }
    }
    for (size_t i = 0; required && required[i]; i++)
        if (!json_object_get(o, required[i])) {
            join(w, sizeof w, where, required[i]);
            return fail(c, w, "missing");
        }
    return DX_OK;
}

static dx_status want_object(ld *c, json_t *v, const char *where)
{
    if (!json_is_object(v))
        return fail(c, where, "expected an object, found %s", jtype(v));
    return DX_OK;
}

/* ---- strings ------------------------------------------------------------- */

typedef enum text_kind {
    K_TEXT,    /* any text without control characters */
    K_IDENT,   /* [a-z][a-z0-9_]* */
    K_SPECID,  /* [A-Za-z0-9][A-Za-z0-9._-]* */
    K_UPPER,   /* [A-Z]+ */
    K_ALNUM,   /* [A-Z0-9]* */
    K_NAME,    /* [A-Z0-9 '-]* */
    K_PLACE,   /* [A-Z0-9 '.,-]* */
    K_DIGITS,  /* [0-9]* */
    K_DATE     /* YYYY-MM-DD, a real date */
} text_kind;

static const char *const kind_text[] = {
    "text without control characters",
    "a name of lower-case letters, digits and '_', starting with a letter",
    "letters, digits, '.', '_' and '-', starting with a letter or digit",
    "upper-case letters A-Z",
    "upper-case letters A-Z and digits",
    "upper-case letters A-Z, digits, spaces, '-' and '''",
    "upper-case letters A-Z, digits, spaces and - ' . ,",
    "digits",
    "a date YYYY-MM-DD"};

static bool is_date(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
            return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + s[6] - '0', d = (s[8] - '0') * 10 + s[9] - '0';
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* ASCII only, whatever the locale */
static bool alnum(unsigned ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static bool kind_ok(text_kind k, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    if (k == K_DATE)
        return is_date(s);
    if (k == K_IDENT && !(p[0] >= 'a' && p[0] <= 'z'))
        return false;
    if (k == K_SPECID && !alnum(p[0]))
        return false;
    for (; *p; p++) {
        unsigned ch = *p;
        bool up = ch >= 'A' && ch <= 'Z', dig = ch >= '0' && ch <= '9';
        bool ok;
        switch (k) {
        case K_TEXT: ok = ch >= 0x20 && ch != 0x7f; break;
        case K_IDENT: ok = (ch >= 'a' && ch <= 'z') || dig || ch == '_'; break;
        case K_SPECID: ok = alnum(ch) || ch == '.' || ch == '_' || ch == '-'; break;
        case K_UPPER: ok = up; break;
        case K_ALNUM: ok = up || dig; break;
        case K_NAME: ok = up || dig || ch == ' ' || ch == '-' || ch == '\''; break;
        case K_PLACE: ok = up || dig || strchr(" -'.,", (int)ch) != NULL; break;
        case K_DIGITS: ok = dig; break;
        default: ok = false;
        }
        if (!ok)
            return false;
    }
    return true;
}

/* Characters (code points) of UTF-8 text, as the schema's maxLength counts. */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* `v` is a string of `kind` with min..max characters. */
static dx_status text_value(ld *c, json_t *v, const char *where, text_kind kind, size_t min,
                            size_t max, const char **out)
{
    char b[48];
    const char *s = json_string_value(v);
    if (!s)
        return fail(c, where, "expected a string, found %s", jtype(v));
    size_t n = chars(s);
    if (kind != K_DATE && (n < min || n > max)) {
        if (min == max)
            return fail(c, where, "\"%s\": expected %zu character%s", q(s, b), min,
                        min == 1 ? "" : "s");
        if (min == 0)
            return fail(c, where, "\"%s\": expected at most %zu characters", q(s, b), max);
        return fail(c, where, "\"%s\": expected %zu to %zu characters", q(s, b), min, max);
    }
    if (!kind_ok(kind, s))
        return fail(c, where, "\"%s\": expected %s", q(s, b), kind_text[kind]);
    *out = s;
    return DX_OK;
}

static dx_status text_key(ld *c, json_t *o, const char *where, const char *key, text_kind kind,
                          size_t min, size_t max, const char **out)
{
    char w[160];
    join(w, sizeof w, where, key);
    json_t *v = json_object_get(o, key);
    if (!v)
        return fail(c, w, "missing");
    return text_value(c, v, w, kind, min, max, out);
}

/* `v` is one of `names` (n of them). */
static dx_status enum_value(ld *c, json_t *v, const char *where, const char *const *names,
                            size_t n, int *out)
{
    char list[400] = "", b[48];
    const char *s = json_string_value(v);
    int i = s ? find_name(names, n, s) : -1;
    if (i >= 0) {
        *out = i;
        return DX_OK;
    }
    for (size_t k = 0; k < n; k++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", k ? ", " : "", names[k]);
    }
    if (!s)
        return fail(c, where, "expected one of %s, found %s", list, jtype(v));
    return fail(c, where, "\"%s\": expected one of %s", q(s, b), list);
}

/* ---- numbers ------------------------------------------------------------- */

/* A number lo <= x <= hi (lo < x when lo_open); integral when `integer`
 * (JSON Schema counts 25.0 as an integer, so does this). */
static dx_status number_value(ld *c, json_t *v, const char *where, double lo, bool lo_open,
                              double hi, bool integer, double *out)
{
    if (!json_is_number(v))
        return fail(c, where, "expected a number, found %s", jtype(v));
    double x = json_number_value(v);
    if (integer && (!isfinite(x) || x != floor(x)))
        return fail(c, where, "%g: expected an integer", x);
    if (!(lo_open ? x > lo : x >= lo) || !(x <= hi))
        return fail(c, where, lo_open ? "%g: expected more than %g and at most %g"
                                      : "%g: expected %g to %g", x, lo, hi);
    *out = x;
    return DX_OK;
}

/* ---- the manifest -------------------------------------------------------- */

static const char *keep(dx_specimen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *keep(dx_specimen *s, const char *fmt, ...)
{
    va_list ap;
    if (s->n_pool == s->cap_pool) {
        size_t nc = s->cap_pool ? s->cap_pool * 2 : 32;
        char **np = realloc(s->pool, nc * sizeof *np);
        if (!np)
            return NULL;
        s->pool = np;
        s->cap_pool = nc;
    }
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->pool[s->n_pool++] = p;
    return p;
}

static dx_status load_document(ld *c, json_t *root)
{
    static const char *const keys[] = {"type", "icao_format", "document_code", "issuing_state",
                                       "series", NULL};
    dx_specimen_info *in = &c->s->info;
    json_t *d = json_object_get(root, "document");
    dx_status st;
    int f = 0; /* set by enum_value when it succeeds */
    if ((st = want_object(c, d, "document")) || (st = check_keys(c, d, "document", keys, keys)) ||
        (st = text_key(c, d, "document", "type", K_IDENT, 1, 31, &in->document_type)) ||
        (st = enum_value(c, json_object_get(d, "icao_format"), "document.icao_format",
                         icao_formats, COUNT(icao_formats), &f)) ||
        (st = text_key(c, d, "document", "document_code", K_UPPER, 1, 2, &in->document_code)) ||
        (st = text_key(c, d, "document", "issuing_state", K_UPPER, 1, 3, &in->issuing_state)) ||
        (st = text_key(c, d, "document", "series", K_TEXT, 1, 31, &in->series)))
        return st;
    in->icao_format = icao_formats[f];
    char b[48];
    if (!dx_mrz_code_name(in->issuing_state))
        return fail(c, "document.issuing_state",
                    "\"%s\" is not a state or organisation code of ICAO 9303 Part 3",
                    q(in->issuing_state, b));
    return DX_OK;
}

static dx_status load_page_and_dates(ld *c, json_t *root)
{
    static const char *const keys[] = {"width", "height", NULL};
    dx_specimen_info *in = &c->s->info;
    json_t *p = json_object_get(root, "page_mm");
    dx_status st;
    if ((st = want_object(c, p, "page_mm")) || (st = check_keys(c, p, "page_mm", keys, keys)) ||
        (st = number_value(c, json_object_get(p, "width"), "page_mm.width", 20, false, 400, false,
                           &in->page_width_mm)) ||
        (st = number_value(c, json_object_get(p, "height"), "page_mm.height", 20, false, 400,
                           false, &in->page_height_mm)))
        return st;
    if ((st = text_key(c, root, "", "valid_from", K_DATE, 10, 10, &in->valid_from)))
        return st;
    json_t *until = json_object_get(root, "valid_until");
    if (json_is_null(until)) {
        in->valid_until = NULL;
    } else {
        if (!json_is_string(until))
            return fail(c, "valid_until", "expected a date YYYY-MM-DD or null, found %s",
                        jtype(until));
        if ((st = text_value(c, until, "valid_until", K_DATE, 10, 10, &in->valid_until)))
            return st;
        if (strcmp(in->valid_until, in->valid_from) < 0)
            return fail(c, "valid_until", "%s is before valid_from %s", in->valid_until,
                        in->valid_from);
    }
    json_t *dpi = json_object_get(root, "reference_dpi");
    double d;
    if ((st = number_value(c, dpi, "reference_dpi", 50, false, 1200, true, &d)))
        return st;
    in->reference_dpi = (int)d;
    return DX_OK;
}

static dx_status load_sides_and_lights(ld *c, json_t *root)
{
    dx_specimen *s = c->s;
    char w[64], b[48];
    dx_status st;
    json_t *sides = json_object_get(root, "sides"), *lights = json_object_get(root, "illuminations");
    if (!json_is_array(sides))
        return fail(c, "sides", "expected an array of 1 or 2 side names, found %s", jtype(sides));
    if (json_array_size(sides) < 1 || json_array_size(sides) > DX_SPECIMEN_MAX_SIDES)
        return fail(c, "sides", "expected 1 or 2 side names, found %zu", json_array_size(sides));
    for (size_t i = 0; i < json_array_size(sides); i++) {
        const char *name;
        index_of(w, sizeof w, "sides", i);
        if ((st = text_value(c, json_array_get(sides, i), w, K_IDENT, 1, 15, &name)))
            return st;
        if (find_name(s->sides, i, name) >= 0)
            return fail(c, w, "\"%s\" is listed twice", name);
        s->sides[i] = name;
    }
    s->info.sides = s->sides;
    s->info.n_sides = json_array_size(sides);

    const char *std_names[DX_ILLUM_COUNT];
    for (size_t i = 0; i < DX_ILLUM_COUNT; i++)
        std_names[i] = dx_illumination_at(i)->name;
    if (!json_is_array(lights))
        return fail(c, "illuminations", "expected an array of standard illumination names, found %s",
                    jtype(lights));
    if (json_array_size(lights) < 1 || json_array_size(lights) > DX_SPECIMEN_MAX_ILLUMINATIONS)
        return fail(c, "illuminations", "expected 1 to %d names, found %zu",
                    DX_SPECIMEN_MAX_ILLUMINATIONS, json_array_size(lights));
    for (size_t i = 0; i < json_array_size(lights); i++) {
        int k = 0; /* set by enum_value when it succeeds */
        index_of(w, sizeof w, "illuminations", i);
        if ((st = enum_value(c, json_array_get(lights, i), w, std_names, DX_ILLUM_COUNT, &k)))
            return st;
        if (find_name(s->lights, i, std_names[k]) >= 0)
            return fail(c, w, "\"%s\" is listed twice", q(std_names[k], b));
        s->lights[i] = std_names[k];
    }
    s->info.illuminations = s->lights;
    s->info.n_illuminations = json_array_size(lights);
    return DX_OK;
}

/* The sample holder: the fields synth prints, checked as the schema says. */
static const struct holder_rule {
    const char *key;
    bool required;
    text_kind kind;
    size_t min, max;
} holder_rules[] = {
    {"document_code", true, K_UPPER, 1, 2},
    {"issuing_state", true, K_UPPER, 1, 3},
    {"surname", true, K_NAME, 1, 39},
    {"given_names", false, K_NAME, 0, 39},
    {"document_number", true, K_ALNUM, 1, 15},
    {"nationality", true, K_UPPER, 1, 3},
    {"birth_date", true, K_DATE, 10, 10},
    {"sex", true, K_UPPER, 1, 1},
    {"expiry_date", true, K_DATE, 10, 10},
    {"issue_date", true, K_DATE, 10, 10},
    {"place_of_birth", false, K_PLACE, 0, 39},
    {"authority", false, K_PLACE, 0, 39},
    {"optional_data", false, K_ALNUM, 0, 31},
    {"can", false, K_DIGITS, 0, 6},
};

static const char *holder_get(const dx_specimen *s, const char *key)
{
    for (size_t i = 0; i < s->info.n_holder; i++)
        if (strcmp(s->holder[i].key, key) == 0)
            return s->holder[i].value;
    return NULL;
}

static dx_status load_holder(ld *c, json_t *root)
{
    dx_specimen *s = c->s;
    json_t *h = json_object_get(root, "holder");
    const char *allowed[COUNT(holder_rules) + 1], *required[COUNT(holder_rules) + 1];
    size_t nr = 0;
    dx_status st;
    char w[64], b[48];
    if (!h)
        return DX_OK;
    for (size_t i = 0; i < COUNT(holder_rules); i++) {
        allowed[i] = holder_rules[i].key;
        if (holder_rules[i].required)
            required[nr++] = holder_rules[i].key;
    }
    allowed[COUNT(holder_rules)] = NULL;
    required[nr] = NULL;
    if ((st = want_object(c, h, "holder")) || (st = check_keys(c, h, "holder", allowed, required)))
        return st;
    const char *key;
    json_t *v;
    json_object_foreach(h, key, v) {
        const struct holder_rule *r = NULL;
        for (size_t i = 0; i < COUNT(holder_rules); i++)
            if (strcmp(holder_rules[i].key, key) == 0)
                r = &holder_rules[i];
        const char *val;
        join(w, sizeof w, "holder", key);
        if ((st = text_value(c, v, w, r->kind, r->min, r->max, &val)))
            return st;
        if (strcmp(key, "sex") == 0 && strcmp(val, "M") && strcmp(val, "F") && strcmp(val, "X"))
            return fail(c, w, "\"%s\": expected M, F or X", q(val, b));
        if (strcmp(key, "can") == 0 && val[0] && strlen(val) != 6)
            return fail(c, w, "\"%s\": expected 6 digits (or \"\")", q(val, b));
        s->holder[s->info.n_holder++] = (dx_specimen_holder_field){key, val};
    }
    s->info.holder = s->holder;
    /* cross-references: the holder is one of this document's */
    const char *code = holder_get(s, "document_code"), *state = holder_get(s, "issuing_state");
    const char *nat = holder_get(s, "nationality");
    if (strcmp(code, s->info.document_code) != 0)
        return fail(c, "holder.document_code", "\"%s\" differs from document.document_code \"%s\"",
                    code, s->info.document_code);
    if (strcmp(state, s->info.issuing_state) != 0)
        return fail(c, "holder.issuing_state", "\"%s\" differs from document.issuing_state \"%s\"",
                    state, s->info.issuing_state);
    if (!dx_mrz_code_name(nat))
        return fail(c, "holder.nationality",
                    "\"%s\" is not a state or nationality code of ICAO 9303 Part 3", nat);
    const char *birth = holder_get(s, "birth_date"), *issue = holder_get(s, "issue_date");
    const char *expiry = holder_get(s, "expiry_date");
    if (strcmp(birth, issue) > 0 || strcmp(issue, expiry) >= 0)
        return fail(c, "holder", "dates: expected birth_date <= issue_date < expiry_date, found "
                    "%s, %s, %s", birth, issue, expiry);
    return DX_OK;
}

static dx_status load_chip(ld *c, json_t *root)
{
    static const char *const keys[] = {"aa", "chip_auth", "pace", NULL};
    /* standardized domain parameters (ICAO 9303 Part 11): 0-2 MODP,
     * 8-18 elliptic curves; the other ids are reserved */
    static const int pace_ok[] = {0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
    dx_specimen *s = c->s;
    json_t *chip = json_object_get(root, "chip");
    dx_status st;
    char w[64];
    if (!chip)
        return DX_OK;
    if ((st = want_object(c, chip, "chip")) || (st = check_keys(c, chip, "chip", keys, keys)))
        return st;
    s->info.has_chip = true;
    json_t *aa = json_object_get(chip, "aa");
    if (!json_is_null(aa)) {
        static const char *const aas[] = {"rsa", "ecdsa"};
        int k;
        if ((st = enum_value(c, aa, "chip.aa", aas, 2, &k)))
            return fail(c, "chip.aa", "expected \"rsa\", \"ecdsa\" or null");
        s->info.chip_aa = aas[k];
    }
    json_t *ca = json_object_get(chip, "chip_auth");
    if (!json_is_boolean(ca))
        return fail(c, "chip.chip_auth", "expected true or false, found %s", jtype(ca));
    s->info.chip_auth = json_is_true(ca);
    json_t *pace = json_object_get(chip, "pace");
    if (!json_is_array(pace) || json_array_size(pace) > 4)
        return fail(c, "chip.pace", "expected an array of up to 4 PACE domain parameter ids");
    for (size_t i = 0; i < json_array_size(pace); i++) {
        double d;
        size_t k;
        index_of(w, sizeof w, "chip.pace", i);
        if ((st = number_value(c, json_array_get(pace, i), w, 0, false, 31, true, &d)))
            return st;
        for (k = 0; k < COUNT(pace_ok) && pace_ok[k] != (int)d; k++)
            ;
        if (k == COUNT(pace_ok))
            return fail(c, w, "%d: not a standardized domain parameter id (0-2, 8-18)", (int)d);
        for (k = 0; k < i; k++)
            if (s->pace[k] == (int)d)
                return fail(c, w, "%d is listed twice", (int)d);
        s->pace[i] = (int)d;
    }
    s->info.pace = s->pace;
    s->info.n_pace = json_array_size(pace);
    return DX_OK;
}

/* [x, y, w, h] in mm inside the page. */
static dx_status rect_value(ld *c, json_t *v, const char *where, dx_specimen_rect *r)
{
    const dx_specimen_info *in = &c->s->info;
    double a[4];
    char w[160];
    dx_status st;
    if (!json_is_array(v) || json_array_size(v) != 4)
        return fail(c, where, "expected [x, y, width, height] in mm, found %s%s", jtype(v),
                    json_is_array(v) ? " of another size" : "");
    for (size_t i = 0; i < 4; i++) {
        index_of(w, sizeof w, where, i);
        if ((st = number_value(c, json_array_get(v, i), w, 0, i >= 2, 400, false, &a[i])))
            return st;
    }
    /* the page's own size may be written as the rect: allow rounding */
    if (a[0] + a[2] > in->page_width_mm + 1e-9 || a[1] + a[3] > in->page_height_mm + 1e-9)
        return fail(c, where, "[%g, %g, %g, %g] reaches outside the page (%g x %g mm)", a[0], a[1],
                    a[2], a[3], in->page_width_mm, in->page_height_mm);
    *r = (dx_specimen_rect){a[0], a[1], a[2], a[3]};
    return DX_OK;
}

static dx_status side_value(ld *c, json_t *v, const char *where, size_t *out)
{
    const char *name;
    char b[48];
    dx_status st = text_value(c, v, where, K_TEXT, 1, 64, &name);
    if (st)
        return st;
    int k = find_name(c->s->sides, c->s->info.n_sides, name);
    if (k < 0)
        return fail(c, where, "\"%s\" is not one of the specimen's sides", q(name, b));
    *out = (size_t)k;
    return DX_OK;
}

static dx_status load_fields(ld *c, json_t *fields, const char *where)
{
    static const char *const keys[] = {"label", "key", "at", "size", NULL};
    static const char *const req[] = {"label", "key", "at", NULL};
    const dx_specimen_info *in = &c->s->info;
    char w[160], w2[200];
    dx_status st;
    if (!json_is_array(fields) || json_array_size(fields) > 16)
        return fail(c, where, "expected an array of at most 16 fields");
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i), *at, *size;
        const char *s;
        double x, y, sz;
        index_of(w, sizeof w, where, i);
        if ((st = want_object(c, f, w)) || (st = check_keys(c, f, w, keys, req)) ||
            (st = text_key(c, f, w, "label", K_TEXT, 1, 63, &s)) ||
            (st = text_key(c, f, w, "key", K_IDENT, 1, 31, &s)))
            return st;
        at = json_object_get(f, "at");
        join(w2, sizeof w2, w, "at");
        if (!json_is_array(at) || json_array_size(at) != 2)
            return fail(c, w2, "expected [x, y] in mm");
        if ((st = number_value(c, json_array_get(at, 0), w2, 0, false, in->page_width_mm, false,
                               &x)) ||
            (st = number_value(c, json_array_get(at, 1), w2, 0, false, in->page_height_mm, false,
                               &y)))
            return st;
        if ((size = json_object_get(f, "size"))) {
            join(w2, sizeof w2, w, "size");
            if ((st = number_value(c, size, w2, 0.3, false, 3, false, &sz)))
                return st;
        }
    }
    return DX_OK;
}

static dx_status load_layout(ld *c, json_t *root)
{
    static const char *const keys[] = {"id", "side", "type", "rect", "count", "title",
                                       "subtitle", "text", "key", "fields", NULL};
    static const char *const req[] = {"id", "side", "type", "rect", NULL};
    dx_specimen *s = c->s;
    json_t *layout = json_object_get(root, "layout");
    char w[64], w2[96];
    dx_status st;
    if (!json_is_array(layout))
        return fail(c, "layout", "expected an array of elements, found %s", jtype(layout));
    if (json_array_size(layout) > DX_SPECIMEN_MAX_ELEMENTS)
        return fail(c, "layout", "%zu elements: at most %d", json_array_size(layout),
                    DX_SPECIMEN_MAX_ELEMENTS);
    for (size_t i = 0; i < json_array_size(layout); i++) {
        json_t *e = json_array_get(layout, i), *v;
        dx_specimen_element *el = &s->elems[i];
        const char *t;
        index_of(w, sizeof w, "layout", i);
        if ((st = want_object(c, e, w)) || (st = check_keys(c, e, w, keys, req)) ||
            (st = text_key(c, e, w, "id", K_IDENT, 1, 31, &el->id)) ||
            (st = text_key(c, e, w, "type", K_IDENT, 1, 31, &el->type)))
            return st;
        join(w2, sizeof w2, w, "side");
        if ((st = side_value(c, json_object_get(e, "side"), w2, &el->side)))
            return st;
        el->side_name = s->sides[el->side];
        join(w2, sizeof w2, w, "rect");
        if ((st = rect_value(c, json_object_get(e, "rect"), w2, &el->rect)))
            return st;
        if ((v = json_object_get(e, "count"))) {
            double d;
            join(w2, sizeof w2, w, "count");
            if ((st = number_value(c, v, w2, 0, false, 10000, true, &d)))
                return st;
        }
        if ((json_object_get(e, "title") && (st = text_key(c, e, w, "title", K_TEXT, 0, 63, &t))) ||
            (json_object_get(e, "subtitle") &&
             (st = text_key(c, e, w, "subtitle", K_TEXT, 0, 63, &t))) ||
            (json_object_get(e, "text") && (st = text_key(c, e, w, "text", K_TEXT, 0, 31, &t))) ||
            (json_object_get(e, "key") && (st = text_key(c, e, w, "key", K_IDENT, 1, 31, &t))))
            return st;
        if ((v = json_object_get(e, "fields"))) {
            join(w2, sizeof w2, w, "fields");
            if ((st = load_fields(c, v, w2)))
                return st;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(s->elems[k].id, el->id) == 0)
                return fail(c, w, "id \"%s\" is used twice (also layout[%zu])", el->id, k);
        s->n_elems = i + 1;
    }
    return DX_OK;
}

static const dx_specimen_element *element_find(const dx_specimen *s, const char *id)
{
    for (size_t i = 0; i < s->n_elems; i++)
        if (strcmp(s->elems[i].id, id) == 0)
            return &s->elems[i];
    return NULL;
}

static dx_status load_expected(ld *c, json_t *e, const char *where, dx_specimen_feature *f)
{
    static const char *const keys[] = {"measure", "min", "max", "hue_deg", "of", NULL};
    static const char *const req[] = {"measure", NULL};
    const char *mnames[COUNT(measures)];
    dx_specimen_expectation *x = &f->expected;
    char w[160], b[48];
    dx_status st;
    int k;
    for (size_t i = 0; i < COUNT(measures); i++)
        mnames[i] = measures[i].name;
    join(w, sizeof w, where, "measure");
    if ((st = want_object(c, e, where)) || (st = check_keys(c, e, where, keys, req)) ||
        (st = enum_value(c, json_object_get(e, "measure"), w, mnames, COUNT(mnames), &k)))
        return st;
    const measure_def *m = &measures[k];
    bool integer = m->flags & DX_SPECIMEN_MEASURE_INTEGER;
    json_t *v;
    x->measure = m->name;
    if ((v = json_object_get(e, "min"))) {
        join(w, sizeof w, where, "min");
        if ((st = number_value(c, v, w, m->lo, false, m->hi, integer, &x->min)))
            return st;
        x->has_min = true;
    }
    if ((v = json_object_get(e, "max"))) {
        join(w, sizeof w, where, "max");
        if ((st = number_value(c, v, w, m->lo, false, m->hi, integer, &x->max)))
            return st;
        x->has_max = true;
    }
    if (!x->has_min && !x->has_max)
        return fail(c, where, "expected \"min\", \"max\" or both");
    if (x->has_min && x->has_max && x->min > x->max)
        return fail(c, where, "min %g is above max %g", x->min, x->max);
    if ((v = json_object_get(e, "hue_deg"))) {
        join(w, sizeof w, where, "hue_deg");
        if (!(m->flags & DX_SPECIMEN_MEASURE_HUE))
            return fail(c, w, "measure %s has no hue", m->name);
        if (!json_is_array(v) || json_array_size(v) != 2)
            return fail(c, w, "expected [from, to] in degrees 0..360");
        if ((st = number_value(c, json_array_get(v, 0), w, 0, false, 360, false, &x->hue_min_deg)) ||
            (st = number_value(c, json_array_get(v, 1), w, 0, false, 360, false, &x->hue_max_deg)))
            return st;
        x->has_hue = true;
    }
    v = json_object_get(e, "of");
    join(w, sizeof w, where, "of");
    if (m->flags & DX_SPECIMEN_MEASURE_OF) {
        if (!v)
            return fail(c, w, "missing (measure %s compares with a layout element)", m->name);
        if ((st = text_value(c, v, w, K_TEXT, 1, 64, &x->of)))
            return st;
        if (!element_find(c->s, x->of))
            return fail(c, w, "\"%s\" is not a layout element id", q(x->of, b));
    } else if (v) {
        return fail(c, w, "only measures that compare two regions take \"of\"");
    }
    return DX_OK;
}

static dx_status load_feature(ld *c, json_t *e, size_t i)
{
    static const char *const keys[] = {"id", "notation", "side", "illumination", "region",
                                       "mode", "expected", "description", NULL};
    static const char *const req[] = {"id", "notation", "illumination", "region", "mode",
                                      "expected", "description", NULL};
    static const char *const nkeys[] = {"light", "property", "feature", NULL};
    dx_specimen *s = c->s;
    dx_specimen_feature *f = &s->feats[i];
    const char **lights = s->feat_lights[i];
    char w[64], w2[96], w3[128], b[48];
    dx_status st;
    int k;
    index_of(w, sizeof w, "features", i);
    if ((st = want_object(c, e, w)) || (st = check_keys(c, e, w, keys, req)) ||
        (st = text_key(c, e, w, "id", K_IDENT, 1, 31, &f->id)))
        return st;
    for (size_t j = 0; j < i; j++)
        if (strcmp(s->feats[j].id, f->id) == 0)
            return fail(c, w, "id \"%s\" is used twice (also features[%zu])", f->id, j);
    /* notation (BSI TR-03135): light, property, feature */
    json_t *n = json_object_get(e, "notation");
    join(w2, sizeof w2, w, "notation");
    if ((st = want_object(c, n, w2)) || (st = check_keys(c, n, w2, nkeys, nkeys)))
        return st;
    join(w3, sizeof w3, w2, "light");
    if ((st = enum_value(c, json_object_get(n, "light"), w3, light_names, COUNT(light_names), &k)))
        return st;
    f->light = light_names[k];
    join(w3, sizeof w3, w2, "property");
    if ((st = enum_value(c, json_object_get(n, "property"), w3, property_names,
                         COUNT(property_names), &k)))
        return st;
    f->property = property_names[k];
    if ((st = text_key(c, n, w2, "feature", K_TEXT, 1, 63, &f->feature)))
        return st;
    /* side: the first when not given */
    json_t *side = json_object_get(e, "side");
    f->side = 0;
    join(w2, sizeof w2, w, "side");
    if (side && (st = side_value(c, side, w2, &f->side)))
        return st;
    f->side_name = s->sides[f->side];
    /* illumination: one name or an array of them, each the specimen's and of the light */
    json_t *il = json_object_get(e, "illumination");
    join(w2, sizeof w2, w, "illumination");
    size_t nl = json_is_array(il) ? json_array_size(il) : 1;
    if (json_is_array(il) && (nl < 1 || nl > DX_SPECIMEN_MAX_ILLUMINATIONS))
        return fail(c, w2, "expected 1 to %d illumination names, found %zu",
                    DX_SPECIMEN_MAX_ILLUMINATIONS, nl);
    if (!json_is_array(il) && !json_is_string(il))
        return fail(c, w2, "expected an illumination name or an array of them, found %s",
                    jtype(il));
    for (size_t j = 0; j < nl; j++) {
        json_t *v = json_is_array(il) ? json_array_get(il, j) : il;
        const char *name;
        if (json_is_array(il))
            index_of(w3, sizeof w3, w2, j);
        else
            snprintf(w3, sizeof w3, "%s", w2);
        if ((st = text_value(c, v, w3, K_TEXT, 1, 64, &name)))
            return st;
        int m = find_name(s->lights, s->info.n_illuminations, name);
        if (m < 0)
            return fail(c, w3, "\"%s\" is not one of the specimen's illuminations", q(name, b));
        if (find_name(lights, j, name) >= 0)
            return fail(c, w3, "\"%s\" is listed twice", name);
        if (strcmp(dx_specimen_light_of(name), f->light) != 0)
            return fail(c, w3, "\"%s\" is %s light, the notation says %s", name,
                        dx_specimen_light_of(name), f->light);
        lights[j] = s->lights[m];
    }
    f->illuminations = lights;
    f->n_illuminations = nl;
    /* region: a layout element on the feature's side, or a rect */
    json_t *r = json_object_get(e, "region");
    join(w2, sizeof w2, w, "region");
    if (json_is_string(r)) {
        const dx_specimen_element *el;
        if ((st = text_value(c, r, w2, K_TEXT, 1, 64, &f->region_element)))
            return st;
        if (!(el = element_find(s, f->region_element)))
            return fail(c, w2, "\"%s\" is not a layout element id", q(f->region_element, b));
        if (el->side != f->side)
            return fail(c, w2, "layout element \"%s\" is on side %s, the feature on %s", el->id,
                        el->side_name, f->side_name);
        f->region = el->rect;
    } else if (json_is_array(r)) {
        if ((st = rect_value(c, r, w2, &f->region)))
            return st;
    } else {
        return fail(c, w2, "expected a layout element id or [x, y, width, height] in mm, found %s",
                    jtype(r));
    }
    join(w2, sizeof w2, w, "mode");
    if ((st = enum_value(c, json_object_get(e, "mode"), w2, mode_names, COUNT(mode_names), &k)))
        return st;
    f->mode = (dx_specimen_mode)k;
    join(w2, sizeof w2, w, "expected");
    if ((st = load_expected(c, json_object_get(e, "expected"), w2, f)) ||
        (st = text_key(c, e, w, "description", K_TEXT, 1, 255, &f->description)))
        return st;
    return DX_OK;
}

static dx_status load_references(ld *c, const char *dir)
{
    dx_specimen *s = c->s;
    for (size_t i = 0; i < s->info.n_sides; i++)
        for (size_t k = 0; k < s->info.n_illuminations; k++) {
            dx_specimen_reference *r = &s->refs[s->n_refs];
            struct stat sb;
            r->side = i;
            r->side_name = s->sides[i];
            r->illumination = s->lights[k];
            r->file = keep(s, "reference/%s/%s.png", s->sides[i], s->lights[k]);
            r->path = r->file ? keep(s, "%s/%s", dir, r->file) : NULL;
            if (!r->path)
                return oom(c);
            r->present = stat(r->path, &sb) == 0 && S_ISREG(sb.st_mode);
            if (!r->present && i == 0) {
                /* the first side as docex synth --out reference writes it: a
                 * scene with the first side at its top */
                const char *file = keep(s, "reference/%s.png", s->lights[k]);
                const char *path = file ? keep(s, "%s/%s", dir, file) : NULL;
                if (!path)
                    return oom(c);
                if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
                    r->file = file;
                    r->path = path;
                    r->present = true;
                }
            }
            s->n_refs++;
        }
    return DX_OK;
}

static dx_status load(ld *c, json_t *root, const char *expect_id, const char *dir)
{
    static const char *const keys[] = {"format", "id", "name", "document", "page_mm",
                                       "valid_from", "valid_until", "sides", "illuminations",
                                       "reference_dpi", "holder", "chip", "layout", "features",
                                       NULL};
    static const char *const req[] = {"format", "id", "name", "document", "page_mm",
                                      "valid_from", "valid_until", "sides", "illuminations",
                                      "reference_dpi", "layout", "features", NULL};
    dx_specimen *s = c->s;
    dx_status st;
    const char *fmt;
    char b[48];
    if (!json_is_object(root))
        return fail(c, "", "expected a JSON object, found %s", jtype(root));
    /* the format first: a later version gets a clear message, not a list of unknown keys */
    json_t *fv = json_object_get(root, "format");
    if (!fv)
        return fail(c, "format", "missing (expected \"" DX_SPECIMEN_FORMAT "\")");
    if ((st = text_value(c, fv, "format", K_TEXT, 1, 64, &fmt)))
        return st;
    if (strcmp(fmt, DX_SPECIMEN_FORMAT) != 0)
        return fail(c, "format", "\"%s\": this version of docex reads \"" DX_SPECIMEN_FORMAT "\"",
                    q(fmt, b));
    s->info.format = fmt;
    if ((st = check_keys(c, root, "", keys, req)) ||
        (st = text_key(c, root, "", "id", K_SPECID, 1, DX_SPECIMEN_ID_MAX - 1, &s->info.id)))
        return st;
    if (expect_id && strcmp(s->info.id, expect_id) != 0)
        return fail(c, "id", "\"%s\" differs from the directory's name \"%s\"", s->info.id,
                    expect_id);
    if ((st = text_key(c, root, "", "name", K_TEXT, 1, 127, &s->info.name)) ||
        (st = load_document(c, root)) || (st = load_page_and_dates(c, root)) ||
        (st = load_sides_and_lights(c, root)) || (st = load_holder(c, root)) ||
        (st = load_chip(c, root)) || (st = load_layout(c, root)))
        return st;
    json_t *features = json_object_get(root, "features");
    if (!json_is_array(features))
        return fail(c, "features", "expected an array of features, found %s", jtype(features));
    if (json_array_size(features) > DX_SPECIMEN_MAX_FEATURES)
        return fail(c, "features", "%zu features: at most %d", json_array_size(features),
                    DX_SPECIMEN_MAX_FEATURES);
    for (size_t i = 0; i < json_array_size(features); i++) {
        if ((st = load_feature(c, json_array_get(features, i), i)))
            return st;
        s->n_feats = i + 1;
    }
    return load_references(c, dir);
}

/* ---- open, close, accessors ---------------------------------------------- */

bool dx_specimen_id_ok(const char *id)
{
    return id && id[0] && strlen(id) < DX_SPECIMEN_ID_MAX && kind_ok(K_SPECID, id);
}

void dx_specimen_close(dx_specimen *spec)
{
    if (!spec)
        return;
    json_decref(spec->root);
    for (size_t i = 0; i < spec->n_pool; i++)
        free(spec->pool[i]);
    free(spec->pool);
    free(spec);
}

dx_status dx_specimen_parse(const char *json, size_t len, const char *file, const char *dir,
                            const char *expect_id, dx_specimen **out, dx_error *err)
{
    json_error_t je;
    dx_specimen *s;
    dx_status st;
    *out = NULL;
    if (len > DX_SPECIMEN_MAX_FILE_BYTES)
        return dx_error_set(err, DX_ERR_DATA, "%s: %zu bytes: larger than a specimen manifest "
                            "may be (%d)", file, len, DX_SPECIMEN_MAX_FILE_BYTES);
    if (!(s = calloc(1, sizeof *s)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", file);
    ld c = {file, err, s};
    s->root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!s->root) {
        st = dx_error_set(err, DX_ERR_DATA, "%s:%d:%d: not JSON: %s", file, je.line, je.column,
                          je.text);
        if (err)
            dx_text_sanitize(err->message);
        goto fail;
    }
    if (!(s->info.path = keep(s, "%s", file)) || !(s->info.dir = keep(s, "%s", dir))) {
        st = oom(&c);
        goto fail;
    }
    if ((st = load(&c, s->root, expect_id, dir)))
        goto fail;
    *out = s;
    return DX_OK;
fail:
    dx_specimen_close(s);
    return st;
}

static char *default_dir(void)
{
    const char *d = dx_datadir();
    size_t n = strlen(d) + sizeof "/specimens";
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/specimens", d);
    return p;
}

/* The ids under `dir`, for a not-found message ("A, B" or "none"). */
static void ids_there(const char *dir, char *out, size_t n)
{
    struct dirent **ents = NULL;
    int k = scandir(dir, &ents, NULL, alphasort);
    out[0] = '\0';
    for (int i = 0; i < k; i++) {
        const char *name = ents[i]->d_name;
        size_t l = strlen(out);
        if (name[0] != '.' && dx_specimen_id_ok(name) && l + strlen(name) + 8 < n)
            snprintf(out + l, n - l, "%s%s", l ? ", " : "", name);
        free(ents[i]);
    }
    free(ents);
    if (!out[0])
        snprintf(out, n, "none");
}

/* Read dir/id/specimen.json and load it; `hint` adds the ids there to a
 * not-found message. */
static dx_status open_in(const char *dir, const char *id, bool hint, dx_specimen **out,
                         dx_error *err)
{
    char *path = NULL, *sdir = NULL, *buf = NULL;
    dx_status st;
    FILE *f = NULL;
    struct stat sb;
    *out = NULL;
    if (!dx_specimen_id_ok(id)) {
        char b[48];
        st = dx_error_set(err, DX_ERR_INVALID_ARG,
                          "specimen \"%s\": not a specimen id (letters, digits, '.', '_', '-', "
                          "at most %d)", id ? q(id, b) : "", DX_SPECIMEN_ID_MAX - 1);
        goto done;
    }
    size_t n = strlen(dir) + strlen(id) + sizeof "/specimen.json" + 2;
    if (!(path = malloc(n)) || !(sdir = malloc(n))) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "specimen %s: out of memory", id);
        goto done;
    }
    snprintf(sdir, n, "%s/%s", dir, id);
    snprintf(path, n, "%s/specimen.json", sdir);
    /* O_NONBLOCK: a FIFO planted as specimen.json must not hang the caller */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || !(f = fdopen(fd, "rb"))) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (e == ENOENT || e == ENOTDIR) {
            char there[256] = "";
            if (hint)
                ids_there(dir, there, sizeof there);
            st = dx_error_set(err, DX_ERR_NOT_FOUND, "specimen %s: not found: no %s%s%s%s", id,
                              path, hint ? " (specimens there: " : "", there, hint ? ")" : "");
        } else {
            st = dx_error_set(err, DX_ERR_IO, "%s: cannot open: %s", path, strerror(e));
        }
        goto done;
    }
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: not a regular file", path);
        goto done;
    }
    if (sb.st_size > DX_SPECIMEN_MAX_FILE_BYTES) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: %lld bytes: larger than a specimen manifest "
                          "may be (%d)", path, (long long)sb.st_size, DX_SPECIMEN_MAX_FILE_BYTES);
        goto done;
    }
    /* one byte more than allowed, to see a file that grew since fstat */
    if (!(buf = malloc(DX_SPECIMEN_MAX_FILE_BYTES + 1))) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", path);
        goto done;
    }
    size_t len = fread(buf, 1, DX_SPECIMEN_MAX_FILE_BYTES + 1, f);
    if (ferror(f)) {
        st = dx_error_set(err, DX_ERR_IO, "%s: read error", path);
        goto done;
    }
    st = dx_specimen_parse(buf, len, path, sdir, id, out, err);
done:
    if (f)
        fclose(f);
    if (st && err)
        dx_text_sanitize(err->message);
    free(buf);
    free(path);
    free(sdir);
    return st;
}

dx_status dx_specimen_open(const char *specimens_dir, const char *id, dx_specimen **out,
                           dx_error *err)
{
    char *def = NULL;
    dx_status st;
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_specimen_open: out is NULL");
    *out = NULL;
    if (!specimens_dir && !(specimens_dir = def = default_dir()))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "specimen: out of memory");
    st = open_in(specimens_dir, id, true, out, err);
    free(def);
    return st;
}

const dx_specimen_info *dx_specimen_info_get(const dx_specimen *spec)
{
    return spec ? &spec->info : NULL;
}

size_t dx_specimen_element_count(const dx_specimen *spec)
{
    return spec ? spec->n_elems : 0;
}

const dx_specimen_element *dx_specimen_element_at(const dx_specimen *spec, size_t i)
{
    return spec && i < spec->n_elems ? &spec->elems[i] : NULL;
}

const dx_specimen_element *dx_specimen_element_find(const dx_specimen *spec, const char *id)
{
    return spec && id ? element_find(spec, id) : NULL;
}

size_t dx_specimen_feature_count(const dx_specimen *spec)
{
    return spec ? spec->n_feats : 0;
}

const dx_specimen_feature *dx_specimen_feature_at(const dx_specimen *spec, size_t i)
{
    return spec && i < spec->n_feats ? &spec->feats[i] : NULL;
}

const dx_specimen_feature *dx_specimen_feature_find(const dx_specimen *spec, const char *id)
{
    for (size_t i = 0; spec && id && i < spec->n_feats; i++)
        if (strcmp(spec->feats[i].id, id) == 0)
            return &spec->feats[i];
    return NULL;
}

size_t dx_specimen_reference_count(const dx_specimen *spec)
{
    return spec ? spec->n_refs : 0;
}

const dx_specimen_reference *dx_specimen_reference_at(const dx_specimen *spec, size_t i)
{
    return spec && i < spec->n_refs ? &spec->refs[i] : NULL;
}

/* ---- listing ------------------------------------------------------------- */

typedef struct listing_impl {
    dx_specimen_listing pub;
    dx_specimen_list_entry *entries;
    char *dir;
    char **strings;             /* ids and messages, one per entry each */
} listing_impl;

void dx_specimen_list_free(dx_specimen_listing *list)
{
    listing_impl *l = (listing_impl *)list;
    if (!l)
        return;
    for (size_t i = 0; i < l->pub.n; i++) {
        dx_specimen_close((dx_specimen *)l->entries[i].spec);
        free(l->strings[2 * i]);
        free(l->strings[2 * i + 1]);
    }
    free(l->entries);
    free(l->strings);
    free(l->dir);
    free(l);
}

static int skip_dot(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

dx_status dx_specimen_list(const char *specimens_dir, dx_specimen_listing **out, dx_error *err)
{
    struct dirent **ents = NULL;
    listing_impl *l;
    dx_status st = DX_OK;
    int n;
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_specimen_list: out is NULL");
    *out = NULL;
    if (!(l = calloc(1, sizeof *l)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "specimen list: out of memory");
    l->dir = specimens_dir ? dx_strdup(specimens_dir) : default_dir();
    if (!l->dir) {
        free(l);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "specimen list: out of memory");
    }
    l->pub.dir = l->dir;
    if ((n = scandir(l->dir, &ents, skip_dot, alphasort)) < 0) {
        st = dx_error_set(err, errno == ENOENT || errno == ENOTDIR ? DX_ERR_NOT_FOUND : DX_ERR_IO,
                          "specimens directory %s: cannot read: %s", l->dir, strerror(errno));
        if (err)
            dx_text_sanitize(err->message);
        dx_specimen_list_free(&l->pub);
        return st;
    }
    l->entries = calloc((size_t)n + 1, sizeof *l->entries);
    l->strings = calloc(2 * (size_t)n + 2, sizeof *l->strings);
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        size_t plen = strlen(l->dir) + strlen(name) + 2;
        char *p = malloc(plen);
        struct stat sb;
        bool is_dir = false;
        if (p) {
            snprintf(p, plen, "%s/%s", l->dir, name);
            is_dir = stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
            free(p);
        }
        if (!l->entries || !l->strings || !p) {
            st = DX_ERR_NO_MEMORY;
        } else if (is_dir) {
            dx_specimen_list_entry *e = &l->entries[l->pub.n];
            dx_error e2 = {0};
            dx_specimen *spec = NULL;
            char *id = dx_strdup(name);
            if (id)
                dx_text_sanitize(id);
            e->status = open_in(l->dir, name, false, &spec, &e2);
            char *msg = dx_strdup(e->status ? e2.message : "");
            l->strings[2 * l->pub.n] = id;
            l->strings[2 * l->pub.n + 1] = msg;
            e->id = id;
            e->error = msg;
            e->spec = spec;
            l->pub.n++;
            if (!id || !msg)
                st = DX_ERR_NO_MEMORY;
        }
        free(ents[i]);
    }
    free(ents);
    if (st) {
        dx_specimen_list_free(&l->pub);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "specimen list: out of memory");
    }
    l->pub.entries = l->entries;
    *out = &l->pub;
    return DX_OK;
}
