/* The MRZ result as JSON (share/schemas/mrz.schema.json). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "docex/mrz.h"

static json_t *date_json(const dx_mrz_date *d)
{
    char buf[16];
    if (!d->valid || !d->year || !d->month || !d->day)
        return json_null();
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", d->year, d->month, d->day);
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

char *dx_mrz_to_json(const dx_mrz *m)
{
    json_t *root = json_object(), *fields = json_object(), *checks = json_array(),
           *warnings = json_array(), *lines = json_array();
    char sex[2] = {m->sex, '\0'};
    char *text = NULL;
    if (!root || !fields || !checks || !warnings || !lines)
        goto out;
    json_object_set_new(root, "format", json_string(dx_mrz_format_name(m->format)));
    json_object_set_new(root, "valid", json_boolean(m->valid));
    for (size_t i = 0; i < m->n_lines; i++)
        json_array_append_new(lines, json_string(m->lines[i]));
    json_object_set(root, "mrz", lines);
    json_object_set_new(fields, "document_code", json_string(m->document_code));
    json_object_set_new(fields, "issuing_state", json_string(m->issuing_state));
    json_object_set_new(fields, "issuing_state_name",
                        str_or_null(dx_mrz_code_name(m->issuing_state)));
    json_object_set_new(fields, "document_number", json_string(m->document_number));
    json_object_set_new(fields, "nationality", json_string(m->nationality));
    json_object_set_new(fields, "nationality_name", str_or_null(dx_mrz_code_name(m->nationality)));
    json_object_set_new(fields, "birth_date", date_json(&m->birth_date));
    json_object_set_new(fields, "birth_date_raw", json_string(m->birth_date.raw));
    json_object_set_new(fields, "sex", m->sex ? json_string(sex) : json_null());
    json_object_set_new(fields, "expiry_date", date_json(&m->expiry_date));
    json_object_set_new(fields, "expiry_date_raw", json_string(m->expiry_date.raw));
    json_object_set_new(fields, "surname", json_string(m->surname));
    json_object_set_new(fields, "given_names", json_string(m->given_names));
    json_object_set_new(fields, "name_truncated", json_boolean(m->name_truncated));
    json_object_set_new(fields, "optional_data", json_string(m->optional_data));
    if (m->format == DX_MRZ_TD1)
        json_object_set_new(fields, "optional_data_2", json_string(m->optional_data_2));
    json_object_set(root, "fields", fields);
    for (size_t i = 0; i < m->n_checks; i++) {
        const dx_mrz_check *c = &m->checks[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(c->name));
        json_object_set_new(o, "ok", json_boolean(c->ok));
        json_object_set_new(o, "expected", json_string(c->expected));
        json_object_set_new(o, "found", json_string(c->found));
        json_array_append_new(checks, o);
    }
    json_object_set(root, "checks", checks);
    for (size_t i = 0; i < m->n_warnings; i++)
        json_array_append_new(warnings, json_string(m->warnings[i]));
    json_object_set(root, "warnings", warnings);
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
out:
    json_decref(lines);
    json_decref(warnings);
    json_decref(checks);
    json_decref(fields);
    json_decref(root);
    return text;
}
