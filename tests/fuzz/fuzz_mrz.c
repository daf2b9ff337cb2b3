/* Fuzz target: the MRZ parser (dx_mrz_parse, dx_mrz_to_json,
 * dx_mrz_check_digit).
 *
 * Input: the text of an MRZ, lines separated by '\n' (at most 8 lines are
 * passed; a NUL ends its line, as it would for C strings).  Promises checked:
 *   - dx_mrz_parse() returns DX_OK, or DX_ERR_DATA with a message;
 *   - on DX_OK: a known format with its line count and length, every line
 *     of the MRZ alphabet, at most DX_MRZ_MAX_CHECKS checks and
 *     DX_MRZ_MAX_WARNINGS warnings, every string terminated, `valid` true
 *     exactly when every check passed, the same result a second time, and
 *     dx_mrz_to_json() well-formed JSON (read back with jansson) that agrees
 *     with the struct;
 *   - dx_mrz_check_digit() over the whole input is -1..9, and -1 exactly
 *     when a byte is not of the MRZ alphabet. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docex/mrz.h"
#include "fuzz.h"

#define MAX_LINES 8

static const dx_mrz_options opts = {20261126};

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static int mrz_alphabet(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '<'))
            return 0;
    return 1;
}

static void check_result(const dx_mrz *m)
{
    size_t width = 0, n_lines = 0;
    int all_ok = 1;

    switch (m->format) {
    case DX_MRZ_TD1: width = 30, n_lines = 3; break;
    case DX_MRZ_TD2: case DX_MRZ_MRVB: width = 36, n_lines = 2; break;
    case DX_MRZ_TD3: case DX_MRZ_MRVA: width = 44, n_lines = 2; break;
    default: FUZZ_ASSERT(0, "DX_OK with format %d", (int)m->format);
    }
    FUZZ_ASSERT(m->n_lines == n_lines, "%s with %zu lines", dx_mrz_format_name(m->format),
                m->n_lines);
    for (size_t i = 0; i < m->n_lines; i++) {
        FUZZ_ASSERT(terminated(m->lines[i], sizeof m->lines[i]), "line %zu not terminated", i);
        FUZZ_ASSERT(strlen(m->lines[i]) == width, "line %zu: %zu characters for %s", i,
                    strlen(m->lines[i]), dx_mrz_format_name(m->format));
        FUZZ_ASSERT(mrz_alphabet(m->lines[i], width), "line %zu: not the MRZ alphabet", i);
    }
    FUZZ_ASSERT(m->n_checks > 0 && m->n_checks <= DX_MRZ_MAX_CHECKS, "%zu checks", m->n_checks);
    FUZZ_ASSERT(m->n_warnings <= DX_MRZ_MAX_WARNINGS, "%zu warnings", m->n_warnings);
    for (size_t i = 0; i < m->n_checks; i++) {
        const dx_mrz_check *c = &m->checks[i];
        FUZZ_ASSERT(terminated(c->name, sizeof c->name) && c->name[0], "check %zu: name", i);
        FUZZ_ASSERT(terminated(c->expected, sizeof c->expected), "check %s: expected", c->name);
        FUZZ_ASSERT(terminated(c->found, sizeof c->found), "check %s: found", c->name);
        all_ok &= c->ok;
    }
    FUZZ_ASSERT(m->valid == (all_ok != 0), "valid %d, but checks all ok %d", m->valid, all_ok);
    for (size_t i = 0; i < m->n_warnings; i++)
        FUZZ_ASSERT(terminated(m->warnings[i], sizeof m->warnings[i]), "warning %zu", i);
#define TERM(f) FUZZ_ASSERT(terminated(m->f, sizeof m->f), #f " not terminated")
    TERM(document_code);
    TERM(issuing_state);
    TERM(document_number);
    TERM(nationality);
    TERM(surname);
    TERM(given_names);
    TERM(optional_data);
    TERM(optional_data_2);
    TERM(birth_date.raw);
    TERM(expiry_date.raw);
#undef TERM
    FUZZ_ASSERT(!m->birth_date.valid || m->birth_date.month <= 12, "birth month %d",
                m->birth_date.month);
    FUZZ_ASSERT(!m->expiry_date.valid || (m->expiry_date.month >= 1 && m->expiry_date.month <= 12 &&
                                          m->expiry_date.day >= 1 && m->expiry_date.day <= 31),
                "expiry %d-%d", m->expiry_date.month, m->expiry_date.day);
}

static void check_json(const dx_mrz *m)
{
    char *text = dx_mrz_to_json(m);
    json_error_t jerr;
    json_t *root, *v;

    FUZZ_ASSERT(text != NULL, "dx_mrz_to_json: NULL");
    root = json_loads(text, 0, &jerr);
    FUZZ_ASSERT(root != NULL, "dx_mrz_to_json: not JSON: %s", jerr.text);
    v = json_object_get(root, "valid");
    FUZZ_ASSERT(json_is_boolean(v) && json_is_true(v) == m->valid, "JSON valid");
    v = json_object_get(root, "format");
    FUZZ_ASSERT(json_is_string(v) && strcmp(json_string_value(v), dx_mrz_format_name(m->format)) == 0,
                "JSON format");
    v = json_object_get(root, "checks");
    FUZZ_ASSERT(json_is_array(v) && json_array_size(v) == m->n_checks, "JSON checks");
    v = json_object_get(root, "warnings");
    FUZZ_ASSERT(json_is_array(v) && json_array_size(v) == m->n_warnings, "JSON warnings");
    v = json_object_get(root, "fields");
    FUZZ_ASSERT(json_is_object(v), "JSON fields");
    FUZZ_ASSERT(json_is_string(json_object_get(v, "document_number")), "JSON document_number");
    json_decref(root);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    const char *lines[MAX_LINES];
    size_t n = 0;
    dx_mrz *m, *again;
    dx_error err;
    dx_status st;
    int d;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    d = dx_mrz_check_digit((const char *)data, size);
    FUZZ_ASSERT(d >= -1 && d <= 9, "dx_mrz_check_digit: %d", d);
    FUZZ_ASSERT((d == -1) == !mrz_alphabet((const char *)data, size),
                "dx_mrz_check_digit: %d for %s MRZ text", d,
                mrz_alphabet((const char *)data, size) ? "" : "non-");

    for (char *s = text; n < MAX_LINES;) {
        char *nl = memchr(s, '\n', (size_t)(text + size - s));
        lines[n++] = s;
        if (!nl)
            break;
        *nl = '\0';
        s = nl + 1;
    }

    m = malloc(sizeof *m);
    again = malloc(sizeof *again);
    if (!m || !again)
        goto out;
    memset(&err, 0, sizeof err);
    st = dx_mrz_parse(lines, n, &opts, m, &err);
    if (st != DX_OK) {
        FUZZ_ASSERT(st == DX_ERR_DATA, "dx_mrz_parse: status %d (%s)", (int)st, err.message);
        FUZZ_ASSERT(err.status == st && err.message[0] &&
                        terminated(err.message, sizeof err.message),
                    "DX_ERR_DATA without a message");
        goto out;
    }
    check_result(m);
    check_json(m);
    /* deterministic: the same input gives the same result */
    FUZZ_ASSERT(dx_mrz_parse(lines, n, &opts, again, &err) == DX_OK, "second parse failed");
    FUZZ_ASSERT(again->valid == m->valid && again->n_checks == m->n_checks &&
                    strcmp(again->document_number, m->document_number) == 0,
                "second parse differs");
out:
    free(again);
    free(m);
    free(text);
    return 0;
}
