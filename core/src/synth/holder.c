/* docex synth — the holder record, its JSON form, and the MRZ composed from it
 * (ICAO 9303 Part 4 §4.2 for TD3, Part 5 §4.2 for TD1). */
#include "synth/holder.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

void dx_synth_holder_default(dx_synth_holder *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->document_code, sizeof h->document_code, "P");
    snprintf(h->issuing_state, sizeof h->issuing_state, "UTO");
    snprintf(h->surname, sizeof h->surname, "ERIKSSON");
    snprintf(h->given_names, sizeof h->given_names, "ANNA MARIA");
    snprintf(h->document_number, sizeof h->document_number, "L898902C3");
    snprintf(h->nationality, sizeof h->nationality, "UTO");
    snprintf(h->birth_date, sizeof h->birth_date, "19740812");
    h->sex = 'F';
    snprintf(h->expiry_date, sizeof h->expiry_date, "20340415");
    snprintf(h->issue_date, sizeof h->issue_date, "20240416");
    snprintf(h->place_of_birth, sizeof h->place_of_birth, "ZENITH");
    snprintf(h->authority, sizeof h->authority, "UTOPIA PASSPORT OFFICE");
    snprintf(h->optional_data, sizeof h->optional_data, "ZE184226B");
    snprintf(h->can, sizeof h->can, "123456");
}

static bool is_date(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    int y = atoi((char[5]){s[0], s[1], s[2], s[3], 0});
    int m = (s[4] - '0') * 10 + s[5] - '0', d = (s[6] - '0') * 10 + s[7] - '0';
    if (y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* Upper-case letters, digits and the separators a visual zone may show. */
static bool text_ok(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr(extra, *s))
            return false;
    return true;
}

static const struct field {
    const char *name;
    size_t off, size;
    const char *extra; /* allowed besides A-Z 0-9; NULL for dates */
    bool letters_only, required;
} fields[] = {
#define F(n, extra, lo, req) {#n, offsetof(dx_synth_holder, n), sizeof(((dx_synth_holder *)0)->n), extra, lo, req}
    F(document_code, "", true, true),
    F(issuing_state, "", true, true),
    F(surname, " -'", false, true),
    F(given_names, " -'", false, false),
    F(document_number, "", false, true),
    F(nationality, "", true, true),
    F(birth_date, NULL, false, true),
    F(expiry_date, NULL, false, true),
    F(issue_date, NULL, false, true),
    F(place_of_birth, " -'.,", false, false),
    F(authority, " -'.,", false, false),
    F(optional_data, "", false, false),
    F(can, "", false, false),
#undef F
};

static dx_status check_holder(const dx_synth_holder *h, const char *where, dx_error *err)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field *f = &fields[i];
        const char *v = (const char *)h + f->off;
        if (f->required && !v[0])
            return dx_error_set(err, DX_ERR_DATA, "%s: %s: required", where, f->name);
        if (!f->extra) {
            if (!is_date(v))
                return dx_error_set(err, DX_ERR_DATA, "%s: %s: \"%s\" is not a date YYYYMMDD",
                                    where, f->name, v);
            continue;
        }
        if (!text_ok(v, f->extra) ||
            (f->letters_only && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(v)))
            return dx_error_set(err, DX_ERR_DATA,
                                "%s: %s: \"%s\" has a character the document cannot print "
                                "(upper-case A-Z%s%s)",
                                where, f->name, v, f->letters_only ? "" : ", 0-9",
                                f->extra[0] ? " and separators" : "");
    }
    if (h->sex != 'M' && h->sex != 'F' && h->sex != 'X')
        return dx_error_set(err, DX_ERR_DATA, "%s: sex: expected M, F or X", where);
    if (h->can[0] && (strlen(h->can) != 6 || strspn(h->can, "0123456789") != 6))
        return dx_error_set(err, DX_ERR_DATA, "%s: can: expected 6 digits", where);
    if (strcmp(h->birth_date, h->issue_date) > 0 || strcmp(h->issue_date, h->expiry_date) >= 0)
        return dx_error_set(err, DX_ERR_DATA,
                            "%s: dates: expected birth <= issue < expiry, found %s, %s, %s",
                            where, h->birth_date, h->issue_date, h->expiry_date);
    return DX_OK;
}

dx_status dx_synth_holder_apply(json_t *root, const char *where, dx_synth_holder *h,
                                dx_error *err)
{
    if (!json_is_object(root))
        return dx_error_set(err, DX_ERR_DATA, "%s: expected a JSON object", where);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t i;
        for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (strcmp(fields[i].name, key) == 0)
                break;
        if (strcmp(key, "sex") == 0) {
            const char *s = json_string_value(v);
            if (!s || strlen(s) != 1)
                return dx_error_set(err, DX_ERR_DATA, "%s: sex: expected \"M\", \"F\" or \"X\"",
                                    where);
            h->sex = s[0];
            continue;
        }
        if (i == sizeof fields / sizeof fields[0])
            return dx_error_set(err, DX_ERR_DATA, "%s: unknown field \"%s\"", where, key);
        const char *s = json_string_value(v);
        const struct field *f = &fields[i];
        if (!s || strlen(s) >= (f->extra ? f->size : 11))
            return dx_error_set(err, DX_ERR_DATA,
                                "%s: %s: expected a string of at most %zu characters", where, key,
                                f->size - 1);
        char *dst = (char *)h + f->off;
        /* dates may be written 1974-08-12 */
        if (!f->extra && strlen(s) == 10 && s[4] == '-' && s[7] == '-')
            snprintf(dst, f->size, "%.4s%.2s%.2s", s, s + 5, s + 8);
        else
            snprintf(dst, f->size, "%s", s);
    }
    return check_holder(h, where, err);
}

dx_status dx_synth_holder_load(const char *path, dx_synth_holder *h, dx_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return dx_error_set(err, je.line < 0 ? DX_ERR_IO : DX_ERR_DATA, "%s:%d:%d: %s", path,
                            je.line, je.column, je.text);
    dx_status st = dx_synth_holder_apply(root, path, h, err);
    json_decref(root);
    return st;
}

char *dx_synth_holder_to_json(const dx_synth_holder *h)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = (const char *)h + fields[i].off;
        if (!fields[i].extra && strlen(v) == 8) {
            char iso[11];
            snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", v, v + 4, v + 6);
            json_object_set_new(o, fields[i].name, json_string(iso));
        } else {
            json_object_set_new(o, fields[i].name, json_string(v));
        }
        if (strcmp(fields[i].name, "nationality") == 0) {
            char sx[2] = {h->sex, 0};
            json_object_set_new(o, "sex", json_string(sx));
        }
    }
    char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2));
    json_decref(o);
    return s;
}

/* Copy `src` into the field [pos, pos+len) of `line`, spaces and separators
 * as '<'; false when it does not fit. */
static bool put(char *line, size_t pos, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n > len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        line[pos + i] = (c == ' ' || c == '-' || c == '\'' || c == '.' || c == ',') ? '<' : c;
    }
    return true;
}

static void put_cd(char *line, size_t pos, const char *s, size_t n)
{
    line[pos] = (char)('0' + dx_mrz_check_digit(s, n));
}

/* PRIMARY<<SECONDARY<NAMES, truncated to the field (9303 Part 3 §4.6). */
static void put_name(char *line, size_t pos, size_t len, const dx_synth_holder *h)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s  %s", h->surname, h->given_names);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == ' ')
        buf[--n] = '\0';
    if (n > len)
        buf[len] = '\0';
    put(line, pos, len, buf);
}

static void mrz_date(char out[7], const char *yyyymmdd)
{
    memcpy(out, yyyymmdd + 2, 6);
    out[6] = '\0';
}

dx_status dx_synth_mrz_compose(const dx_synth_holder *h, dx_mrz_format format,
                               char lines[DX_MRZ_MAX_LINES][45], size_t *n_lines,
                               dx_error *err)
{
    char birth[7], expiry[7];
    char sex = h->sex == 'X' ? '<' : h->sex; /* 9303 Part 4 §4.2.2: '<' unspecified */
    mrz_date(birth, h->birth_date);
    mrz_date(expiry, h->expiry_date);
    memset(lines, 0, DX_MRZ_MAX_LINES * 45);
    if (format == DX_MRZ_TD3) {
        char *l1 = lines[0], *l2 = lines[1];
        memset(l1, '<', 44);
        memset(l2, '<', 44);
        if (!put(l1, 0, 2, h->document_code) || !put(l1, 2, 3, h->issuing_state))
            return dx_error_set(err, DX_ERR_DATA, "MRZ: document code or state too long");
        put_name(l1, 5, 39, h);
        if (!put(l2, 0, 9, h->document_number))
            return dx_error_set(err, DX_ERR_DATA,
                                "MRZ: document number %s is longer than 9 characters (TD3)",
                                h->document_number);
        put_cd(l2, 9, l2, 9);
        put(l2, 10, 3, h->nationality);
        put(l2, 13, 6, birth);
        put_cd(l2, 19, l2 + 13, 6);
        l2[20] = sex;
        put(l2, 21, 6, expiry);
        put_cd(l2, 27, l2 + 21, 6);
        if (!put(l2, 28, 14, h->optional_data))
            return dx_error_set(err, DX_ERR_DATA, "MRZ: optional data longer than 14 (TD3)");
        /* 9303 Part 4 §4.2.2: '<' check digit for empty personal number */
        l2[42] = h->optional_data[0] ? (char)('0' + dx_mrz_check_digit(l2 + 28, 14)) : '<';
        char comp[64];
        /* composite: positions 1-10, 14-20, 22-43 (9303 Part 4 §4.2.2.2) */
        snprintf(comp, sizeof comp, "%.10s%.7s%.22s", l2, l2 + 13, l2 + 21);
        put_cd(l2, 43, comp, 39);
        *n_lines = 2;
        return DX_OK;
    }
    if (format == DX_MRZ_TD1) {
        char *l1 = lines[0], *l2 = lines[1], *l3 = lines[2];
        memset(l1, '<', 30);
        memset(l2, '<', 30);
        memset(l3, '<', 30);
        if (!put(l1, 0, 2, h->document_code) || !put(l1, 2, 3, h->issuing_state))
            return dx_error_set(err, DX_ERR_DATA, "MRZ: document code or state too long");
        size_t dn = strlen(h->document_number);
        if (dn <= 9) {
            put(l1, 5, 9, h->document_number);
            put_cd(l1, 14, l1 + 5, 9);
            if (!put(l1, 15, 15, h->optional_data))
                return dx_error_set(err, DX_ERR_DATA, "MRZ: optional data longer than 15 (TD1)");
        } else {
            /* 9303 Part 5 §4.2.2 note: the number goes on in the optional
             * data, its check digit after it, and '<' at position 15 */
            if (dn > 22)
                return dx_error_set(err, DX_ERR_DATA, "MRZ: document number %s too long (TD1)",
                                    h->document_number);
            put(l1, 5, 9, h->document_number);
            l1[14] = '<';
            put(l1, 15, dn - 9, h->document_number + 9);
            l1[15 + dn - 9] = (char)('0' + dx_mrz_check_digit(h->document_number, dn));
            if (h->optional_data[0])
                return dx_error_set(err, DX_ERR_DATA,
                                    "MRZ: no room for optional data after a long document "
                                    "number (TD1)");
        }
        put(l2, 0, 6, birth);
        put_cd(l2, 6, l2, 6);
        l2[7] = sex;
        put(l2, 8, 6, expiry);
        put_cd(l2, 14, l2 + 8, 6);
        put(l2, 15, 3, h->nationality);
        char comp[64];
        snprintf(comp, sizeof comp, "%.25s%.7s%.7s%.11s", l1 + 5, l2, l2 + 8, l2 + 18);
        put_cd(l2, 29, comp, 25 + 7 + 7 + 11);
        put_name(l3, 0, 30, h);
        *n_lines = 3;
        return DX_OK;
    }
    return dx_error_set(err, DX_ERR_UNSUPPORTED, "MRZ: format %s is not made by synth",
                        dx_mrz_format_name(format));
}
