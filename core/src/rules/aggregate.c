/* Aggregation of check results (BSI TR-03135 result precedence) and the
 * findings JSON.
 *
 * Precedence: failed > aborted > undetermined > passed > not supported; the
 * aggregate of a group, and of the whole document, is the result of highest
 * precedence among the checks that count.  How the modes count (docex's
 * reading of TR-03135, where the guideline leaves it to the profile):
 *   - mandatory: counts as it is, except that "not supported" counts as
 *     undetermined: a check the profile requires and the system could not
 *     perform leaves the document not verified, never "passed";
 *   - optional: counts as it is when it was performed; "not supported" has
 *     the lowest precedence anyway, so an optional check the system cannot
 *     perform changes nothing;
 *   - evaluatory: reported in the findings, never counted.
 * A group without counted checks is "not supported". */
#include <math.h>
#include <string.h>

#include "rules/rules_internal.h"

static const char *const result_names[] = {"not_supported", "passed", "undetermined", "aborted",
                                           "failed"};
static const char *const mode_names[] = {"mandatory", "optional", "evaluatory"};
static const char *const group_names[] = {"mrz", "optical", "chip", "cross"};

const char *dx_rules_result_str(dx_rules_result r)
{
    return (unsigned)r <= DX_RULES_FAILED ? result_names[r] : "?";
}

const char *dx_rules_mode_str(dx_rules_mode m)
{
    return (unsigned)m <= DX_RULES_EVALUATORY ? mode_names[m] : "?";
}

const char *dx_rules_group_str(dx_rules_group g)
{
    return (unsigned)g < DX_RULES_GROUP_COUNT_ ? group_names[g] : "?";
}

static bool parse(const char *s, const char *const *names, int n, int *out)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return true;
        }
    return false;
}

bool dx_rules_result_parse(const char *s, dx_rules_result *out)
{
    int v;
    if (!parse(s, result_names, 5, &v))
        return false;
    *out = (dx_rules_result)v;
    return true;
}

bool dx_rules_mode_parse(const char *s, dx_rules_mode *out)
{
    int v;
    if (!parse(s, mode_names, 3, &v))
        return false;
    *out = (dx_rules_mode)v;
    return true;
}

bool dx_rules_group_parse(const char *s, dx_rules_group *out)
{
    int v;
    if (!parse(s, group_names, DX_RULES_GROUP_COUNT_, &v))
        return false;
    *out = (dx_rules_group)v;
    return true;
}

dx_rules_result dx_rules_precedence(const dx_rules_result *results, size_t n)
{
    dx_rules_result r = DX_RULES_NOT_SUPPORTED;
    for (size_t i = 0; i < n; i++)
        if (results[i] > r)
            r = results[i];
    return r;
}

/* What a finding contributes to its group (see the top of this file). */
static bool counted(const dx_rules_finding *f, dx_rules_result *as)
{
    switch (f->check.mode) {
    case DX_RULES_MANDATORY:
        *as = f->result == DX_RULES_NOT_SUPPORTED ? DX_RULES_UNDETERMINED : f->result;
        return true;
    case DX_RULES_OPTIONAL:
        *as = f->result;
        return true;
    default:
        return false;
    }
}

void dx_rules_aggregate(dx_rules_report *report)
{
    dx_rules_result overall = DX_RULES_NOT_SUPPORTED;
    for (int g = 0; g < DX_RULES_GROUP_COUNT_; g++)
        report->groups[g] = DX_RULES_NOT_SUPPORTED;
    for (size_t i = 0; i < report->n_findings; i++) {
        const dx_rules_finding *f = &report->findings[i];
        dx_rules_result r;
        if ((unsigned)f->check.group >= DX_RULES_GROUP_COUNT_ || !counted(f, &r))
            continue;
        if (r > report->groups[f->check.group])
            report->groups[f->check.group] = r;
        if (r > overall)
            overall = r;
    }
    report->verdict = overall;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

json_t *dx_rules_finding_json(const dx_rules_finding *f)
{
    json_t *o = json_object(), *v;
    if (!o)
        return NULL;
    json_object_set_new(o, "id", str_or_null(f->check.id));
    json_object_set_new(o, "notation",
                        json_pack("{s:o,s:o,s:o}", "light", str_or_null(f->check.notation.light),
                                  "property", str_or_null(f->check.notation.property), "feature",
                                  str_or_null(f->check.notation.feature)));
    json_object_set_new(o, "mode", json_string(dx_rules_mode_str(f->check.mode)));
    json_object_set_new(o, "group", json_string(dx_rules_group_str(f->check.group)));
    json_object_set_new(o, "result", json_string(dx_rules_result_str(f->result)));
    if (f->value_kind == DX_RULES_V_NUMBER)
        v = num(f->value);
    else if (f->value_kind == DX_RULES_V_TEXT)
        v = str_or_null(f->value_text);
    else
        v = json_null();
    json_object_set_new(o, "value", v);
    if (f->has_min || f->has_max) {
        v = json_object();
        if (f->has_min)
            json_object_set_new(v, "min", num(f->min));
        if (f->has_max)
            json_object_set_new(v, "max", num(f->max));
    } else {
        v = str_or_null(f->expected_text);
    }
    json_object_set_new(o, "expected", v);
    if (f->has_region) {
        v = json_object();
        if (f->region.feature)
            json_object_set_new(v, "feature", json_string(f->region.feature));
        else
            json_object_set_new(v, "rect_mm",
                                json_pack("[o,o,o,o]", num(f->region.rect.x), num(f->region.rect.y),
                                          num(f->region.rect.w), num(f->region.rect.h)));
        if (f->region.light)
            json_object_set_new(v, "light", json_string(f->region.light));
    } else {
        v = json_null();
    }
    json_object_set_new(o, "region", v);
    if (f->has_related) {
        v = json_object();
        if (f->related.feature)
            json_object_set_new(v, "feature", json_string(f->related.feature));
        else
            json_object_set_new(v, "rect_mm",
                                json_pack("[o,o,o,o]", num(f->related.rect.x), num(f->related.rect.y),
                                          num(f->related.rect.w), num(f->related.rect.h)));
        if (f->related.light)
            json_object_set_new(v, "light", json_string(f->related.light));
        json_object_set_new(o, "related", v);
    }
    json_object_set_new(o, "light", str_or_null(f->light));
    json_object_set_new(o, "message", str_or_null(f->message));
    json_object_set_new(o, "traceback", str_or_null(f->traceback));
    json_object_set_new(o, "duration_ms", num(f->duration_ms));
    json_object_set_new(o, "declared_at", str_or_null(f->check.where));
    return o;
}

json_t *dx_rules_report_json(const dx_rules_report *report)
{
    json_t *o = json_object(), *groups = json_object(), *arr = json_array();
    if (!o || !groups || !arr) {
        json_decref(o);
        json_decref(groups);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(o, "verdict", json_string(dx_rules_result_str(report->verdict)));
    for (int g = 0; g < DX_RULES_GROUP_COUNT_; g++)
        json_object_set_new(groups, group_names[g],
                            json_string(dx_rules_result_str(report->groups[g])));
    json_object_set_new(o, "groups", groups);
    for (size_t i = 0; i < report->n_findings; i++) {
        json_t *f = dx_rules_finding_json(&report->findings[i]);
        if (!f) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, f);
    }
    json_object_set_new(o, "findings", arr);
    return o;
}
