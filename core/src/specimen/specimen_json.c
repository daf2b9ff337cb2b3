/* Reference specimens: the JSON of `docex specimen show --json`
 * (share/schemas/specimen_show.schema.json) and the reference images' hashes. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "docex/mrz.h"
#include "host/host_internal.h"
#include "specimen/specimen_internal.h"

dx_status dx_specimen_reference_sha256(const dx_specimen *spec, size_t i, char out[65],
                                       dx_error *err)
{
    const dx_specimen_reference *r = dx_specimen_reference_at(spec, i);
    if (!r || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "specimen reference %zu: no such image", i);
    out[0] = '\0';
    dx_status st = dx_file_sha256(r->path, out, err);
    if (st != DX_OK)
        out[0] = '\0';
    return st == DX_ERR_DATA ? DX_ERR_NOT_FOUND : st; /* not a regular file: no image */
}

static json_t *jnum(double x)
{
    if (x == floor(x) && fabs(x) < 1e15)
        return json_integer((json_int_t)x);
    return json_real(x);
}

static json_t *jrect(const dx_specimen_rect *r)
{
    return json_pack("[oooo]", jnum(r->x), jnum(r->y), jnum(r->w), jnum(r->h));
}

/* Text that may come from outside the manifest (the directory given): JSON
 * strings must be UTF-8. */
static json_t *jtext(const char *s)
{
    char *copy = dx_strdup(s ? s : "");
    json_t *j;
    if (!copy)
        return NULL;
    dx_text_sanitize(copy);
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *jstrings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* json_object_set_new that remembers a failure (NULL value or no memory). */
static void put(json_t *o, const char *key, json_t *v, bool *ok)
{
    if (!o)
        json_decref(v);
    if (!v || !o || json_object_set_new(o, key, v))
        *ok = false;
}

static json_t *manifest_json(const dx_specimen *s, bool *ok)
{
    const dx_specimen_info *in = &s->info;
    json_t *m = json_object(), *doc = json_object(), *page = json_object();
    const char *state_name = dx_mrz_code_name(in->issuing_state);
    put(m, "format", json_string(in->format), ok);
    put(m, "id", json_string(in->id), ok);
    put(m, "name", json_string(in->name), ok);
    put(m, "path", jtext(in->path), ok);
    put(m, "dir", jtext(in->dir), ok);
    put(doc, "type", json_string(in->document_type), ok);
    put(doc, "icao_format", json_string(in->icao_format), ok);
    put(doc, "document_code", json_string(in->document_code), ok);
    put(doc, "issuing_state", json_string(in->issuing_state), ok);
    put(doc, "issuing_state_name", state_name ? jtext(state_name) : json_null(), ok);
    put(doc, "series", json_string(in->series), ok);
    put(m, "document", doc, ok);
    put(page, "width", jnum(in->page_width_mm), ok);
    put(page, "height", jnum(in->page_height_mm), ok);
    put(m, "page_mm", page, ok);
    put(m, "valid_from", json_string(in->valid_from), ok);
    put(m, "valid_until", in->valid_until ? json_string(in->valid_until) : json_null(), ok);
    put(m, "sides", jstrings(in->sides, in->n_sides), ok);
    put(m, "illuminations", jstrings(in->illuminations, in->n_illuminations), ok);
    put(m, "reference_dpi", json_integer(in->reference_dpi), ok);
    if (in->holder) {
        json_t *h = json_object();
        for (size_t i = 0; i < in->n_holder; i++)
            put(h, in->holder[i].key, json_string(in->holder[i].value), ok);
        put(m, "holder", h, ok);
    } else {
        put(m, "holder", json_null(), ok);
    }
    if (in->has_chip) {
        json_t *c = json_object(), *pace = json_array();
        put(c, "aa", in->chip_aa ? json_string(in->chip_aa) : json_null(), ok);
        put(c, "chip_auth", json_boolean(in->chip_auth), ok);
        for (size_t i = 0; pace && i < in->n_pace; i++)
            if (json_array_append_new(pace, json_integer(in->pace[i])))
                *ok = false;
        put(c, "pace", pace, ok);
        put(m, "chip", c, ok);
    } else {
        put(m, "chip", json_null(), ok);
    }
    return m;
}

static json_t *feature_json(const dx_specimen_feature *f, bool *ok)
{
    json_t *o = json_object(), *n = json_object(), *r = json_object(), *x = json_object();
    const dx_specimen_expectation *e = &f->expected;
    put(o, "id", json_string(f->id), ok);
    put(n, "light", json_string(f->light), ok);
    put(n, "property", json_string(f->property), ok);
    put(n, "feature", json_string(f->feature), ok);
    put(o, "notation", n, ok);
    put(o, "side", json_string(f->side_name), ok);
    put(o, "illuminations", jstrings(f->illuminations, f->n_illuminations), ok);
    put(r, "element", f->region_element ? json_string(f->region_element) : json_null(), ok);
    put(r, "rect_mm", jrect(&f->region), ok);
    put(o, "region", r, ok);
    put(o, "mode", json_string(dx_specimen_mode_name(f->mode)), ok);
    put(x, "measure", json_string(e->measure), ok);
    if (e->has_min)
        put(x, "min", jnum(e->min), ok);
    if (e->has_max)
        put(x, "max", jnum(e->max), ok);
    if (e->has_hue)
        put(x, "hue_deg", json_pack("[oo]", jnum(e->hue_min_deg), jnum(e->hue_max_deg)), ok);
    if (e->of)
        put(x, "of", json_string(e->of), ok);
    put(o, "expected", x, ok);
    put(o, "description", json_string(f->description), ok);
    return o;
}

char *dx_specimen_to_json(const dx_specimen *s)
{
    bool ok = true;
    json_t *root, *layout, *features, *refs;
    char *text = NULL;
    size_t present = 0;
    if (!s)
        return NULL;
    root = json_object();
    layout = json_array();
    features = json_array();
    refs = json_array();
    if (!root || !layout || !features || !refs) {
        json_decref(root);
        json_decref(layout);
        json_decref(features);
        json_decref(refs);
        return NULL;
    }
    put(root, "format", json_string("docex.specimen-show/1"), &ok);
    put(root, "specimen", manifest_json(s, &ok), &ok);
    for (size_t i = 0; i < s->n_elems; i++) {
        const dx_specimen_element *e = &s->elems[i];
        json_t *o = json_object();
        put(o, "id", json_string(e->id), &ok);
        put(o, "type", json_string(e->type), &ok);
        put(o, "side", json_string(e->side_name), &ok);
        put(o, "rect_mm", jrect(&e->rect), &ok);
        if (!o || json_array_append_new(layout, o))
            ok = false;
    }
    put(root, "layout", layout, &ok);
    for (size_t i = 0; i < s->n_feats; i++) {
        json_t *o = feature_json(&s->feats[i], &ok);
        if (!o || json_array_append_new(features, o))
            ok = false;
    }
    put(root, "features", features, &ok);
    for (size_t i = 0; i < s->n_refs; i++) {
        const dx_specimen_reference *r = &s->refs[i];
        json_t *o = json_object();
        char sha[65];
        dx_error err = {0};
        put(o, "side", json_string(r->side_name), &ok);
        put(o, "illumination", json_string(r->illumination), &ok);
        put(o, "file", json_string(r->file), &ok);
        if (r->present && dx_specimen_reference_sha256(s, i, sha, &err) == DX_OK) {
            present++;
            put(o, "present", json_true(), &ok);
            put(o, "sha256", json_string(sha), &ok);
        } else {
            put(o, "present", json_false(), &ok);
            put(o, "sha256", json_null(), &ok);
            if (r->present) /* there when opened, unreadable now */
                put(o, "error", jtext(err.message), &ok);
        }
        if (!o || json_array_append_new(refs, o))
            ok = false;
    }
    put(root, "references", refs, &ok);
    put(root, "references_present", json_integer((json_int_t)present), &ok);
    put(root, "references_missing", json_integer((json_int_t)(s->n_refs - present)), &ok);
    if (ok)
        text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(root);
    return text;
}
