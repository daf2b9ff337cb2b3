/* docex synth — reading a specimen's layout from specimen.json.  The file is
 * outside input (a lab may add specimens): every field is checked and an
 * error says which one and why. */
#include "docex/specimen.h"
#include "synth/specimen_layout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#define SPEC_FORMAT "docex.specimen/1"

static const char *const type_names[DX_ELEM_COUNT] = {
    "substrate", "guilloche", "fibres",    "uv_emblem", "header",    "microprint",
    "portrait",  "thread",    "data",      "signature", "ovd",       "ghost",
    "watermark", "perforation", "mrz"};

typedef struct ctx {
    const char *path;
    dx_error *err;
} ctx;

static dx_status bad(ctx *c, const char *where, const char *why)
{
    return dx_error_set(c->err, DX_ERR_DATA, "%s: %s: %s", c->path, where, why);
}

static dx_status get_str(ctx *c, json_t *o, const char *key, char *dst, size_t size, bool req,
                         const char *where)
{
    json_t *v = json_object_get(o, key);
    char w[160];
    snprintf(w, sizeof w, "%s%s%s", where, where[0] ? "." : "", key);
    if (!v || json_is_null(v)) {
        if (req)
            return bad(c, w, "required");
        dst[0] = '\0';
        return DX_OK;
    }
    const char *s = json_string_value(v);
    if (!s)
        return bad(c, w, "expected a string");
    if (strlen(s) >= size)
        return bad(c, w, "too long");
    snprintf(dst, size, "%s", s);
    return DX_OK;
}

static dx_status get_rect(ctx *c, json_t *v, dx_rect_mm *r, double pw, double ph,
                          const char *where)
{
    double a[4];
    if (!json_is_array(v) || json_array_size(v) != 4)
        return bad(c, where, "expected [x, y, width, height] in mm");
    for (size_t i = 0; i < 4; i++) {
        json_t *n = json_array_get(v, i);
        if (!json_is_number(n))
            return bad(c, where, "expected [x, y, width, height] in mm");
        a[i] = json_number_value(n);
    }
    if (a[0] < 0 || a[1] < 0 || a[2] <= 0 || a[3] <= 0 || a[0] + a[2] > pw + 1e-9 ||
        a[1] + a[3] > ph + 1e-9)
        return bad(c, where, "outside the page or empty");
    *r = (dx_rect_mm){a[0], a[1], a[2], a[3]};
    return DX_OK;
}

static dx_status load_element(ctx *c, dx_spec_layout *l, json_t *e, size_t i)
{
    char where[64], type[32], side[16];
    dx_spec_element *el = &l->elems[l->n_elems];
    dx_status st;
    memset(el, 0, sizeof *el);
    snprintf(where, sizeof where, "layout[%zu]", i);
    if (!json_is_object(e))
        return bad(c, where, "expected an object");
    if ((st = get_str(c, e, "id", el->id, sizeof el->id, true, where)) ||
        (st = get_str(c, e, "type", type, sizeof type, true, where)) ||
        (st = get_str(c, e, "side", side, sizeof side, true, where)) ||
        (st = get_str(c, e, "title", el->title, sizeof el->title, false, where)) ||
        (st = get_str(c, e, "subtitle", el->subtitle, sizeof el->subtitle, false, where)) ||
        (st = get_str(c, e, "text", el->text, sizeof el->text, false, where)) ||
        (st = get_str(c, e, "key", el->key, sizeof el->key, false, where)))
        return st;
    int t;
    for (t = 0; t < DX_ELEM_COUNT; t++)
        if (strcmp(type_names[t], type) == 0)
            break;
    if (t == DX_ELEM_COUNT)
        return bad(c, where, "type: unknown element type");
    el->type = (dx_elem_type)t;
    el->side = -1;
    for (size_t s = 0; s < l->n_sides; s++)
        if (strcmp(l->sides[s], side) == 0)
            el->side = (int)s;
    if (el->side < 0)
        return bad(c, where, "side: not one of the specimen's sides");
    if (dx_spec_layout_find(l, el->id))
        return bad(c, where, "id: used twice");
    char w2[80];
    snprintf(w2, sizeof w2, "%s.rect", where);
    if ((st = get_rect(c, json_object_get(e, "rect"), &el->rect, l->page_w_mm, l->page_h_mm, w2)))
        return st;
    json_t *cnt = json_object_get(e, "count");
    if (cnt) {
        if (!json_is_integer(cnt) || json_integer_value(cnt) < 0 ||
            json_integer_value(cnt) > 10000)
            return bad(c, where, "count: expected an integer 0..10000");
        el->count = (int)json_integer_value(cnt);
    }
    json_t *fields = json_object_get(e, "fields");
    if (fields) {
        if (!json_is_array(fields) || json_array_size(fields) > DX_SPEC_MAX_FIELDS)
            return bad(c, where, "fields: expected an array of at most 16");
        size_t k;
        json_t *f;
        json_array_foreach(fields, k, f) {
            dx_spec_field *sf = &el->fields[k];
            char fw[96];
            snprintf(fw, sizeof fw, "%s.fields[%zu]", where, k);
            if ((st = get_str(c, f, "label", sf->label, sizeof sf->label, true, fw)) ||
                (st = get_str(c, f, "key", sf->key, sizeof sf->key, true, fw)))
                return st;
            json_t *at = json_object_get(f, "at"), *size = json_object_get(f, "size");
            if (!json_is_array(at) || json_array_size(at) != 2 ||
                !json_is_number(json_array_get(at, 0)) || !json_is_number(json_array_get(at, 1)))
                return bad(c, fw, "at: expected [x, y] in mm");
            sf->x = json_number_value(json_array_get(at, 0));
            sf->y = json_number_value(json_array_get(at, 1));
            if (sf->x < 0 || sf->y < 0 || sf->x > l->page_w_mm || sf->y > l->page_h_mm)
                return bad(c, fw, "at: outside the page");
            sf->size = size ? json_number_value(size) : 1.0;
            if (!(sf->size >= 0.3 && sf->size <= 3))
                return bad(c, fw, "size: expected 0.3..3");
            el->n_fields++;
        }
    }
    l->n_elems++;
    return DX_OK;
}

static dx_status load(ctx *c, json_t *root, dx_spec_layout *l)
{
    dx_status st;
    char fmt[32], icao[8];
    if (!json_is_object(root))
        return bad(c, "top level", "expected an object");
    if ((st = get_str(c, root, "format", fmt, sizeof fmt, true, "")))
        return st;
    if (strcmp(fmt, SPEC_FORMAT) != 0)
        return bad(c, "format", "expected \"" SPEC_FORMAT "\"");
    json_t *doc = json_object_get(root, "document");
    if ((st = get_str(c, root, "id", l->id, sizeof l->id, true, "")) ||
        (st = get_str(c, root, "name", l->name, sizeof l->name, true, "")) ||
        (st = get_str(c, root, "valid_from", l->valid_from, sizeof l->valid_from, false, "")) ||
        (st = get_str(c, root, "valid_until", l->valid_until, sizeof l->valid_until, false, "")))
        return st;
    if (!json_is_object(doc))
        return bad(c, "document", "expected an object");
    if ((st = get_str(c, doc, "icao_format", icao, sizeof icao, true, "document")) ||
        (st = get_str(c, doc, "type", l->document_type, sizeof l->document_type, true, "document")))
        return st;
    if (strcmp(icao, "TD3") == 0)
        l->format = DX_MRZ_TD3;
    else if (strcmp(icao, "TD1") == 0)
        l->format = DX_MRZ_TD1;
    else
        return bad(c, "document.icao_format", "expected TD1 or TD3 (the formats synth draws)");
    json_t *page = json_object_get(root, "page_mm");
    l->page_w_mm = json_number_value(json_object_get(page, "width"));
    l->page_h_mm = json_number_value(json_object_get(page, "height"));
    if (!(l->page_w_mm >= 20 && l->page_w_mm <= 400 && l->page_h_mm >= 20 && l->page_h_mm <= 400))
        return bad(c, "page_mm", "expected {\"width\": mm, \"height\": mm}, 20..400");
    json_t *sides = json_object_get(root, "sides"), *lights = json_object_get(root, "illuminations");
    if (!json_is_array(sides) || json_array_size(sides) < 1 ||
        json_array_size(sides) > DX_SPEC_MAX_SIDES)
        return bad(c, "sides", "expected an array of 1 or 2 names");
    for (size_t i = 0; i < json_array_size(sides); i++) {
        const char *s = json_string_value(json_array_get(sides, i));
        if (!s || !s[0] || strlen(s) >= sizeof l->sides[0] || strchr(s, '/') || s[0] == '.')
            return bad(c, "sides", "expected short names");
        snprintf(l->sides[l->n_sides++], sizeof l->sides[0], "%s", s);
    }
    if (!json_is_array(lights) || json_array_size(lights) < 1 ||
        json_array_size(lights) > DX_SPEC_MAX_LIGHTS)
        return bad(c, "illuminations", "expected an array of 1 to 16 standard names");
    for (size_t i = 0; i < json_array_size(lights); i++) {
        const char *s = json_string_value(json_array_get(lights, i));
        if (!s || !dx_illumination_find(s))
            return bad(c, "illuminations", "expected standard illumination names");
        snprintf(l->lights[l->n_lights++], sizeof l->lights[0], "%s", s);
    }
    json_t *dpi = json_object_get(root, "reference_dpi");
    if (!json_is_integer(dpi) || json_integer_value(dpi) < 50 || json_integer_value(dpi) > 1200)
        return bad(c, "reference_dpi", "expected an integer 50..1200");
    l->reference_dpi = (int)json_integer_value(dpi);
    json_t *chip = json_object_get(root, "chip");
    if (chip) {
        if ((st = get_str(c, chip, "aa", l->chip_aa, sizeof l->chip_aa, false, "chip")))
            return st;
        if (l->chip_aa[0] && strcmp(l->chip_aa, "rsa") && strcmp(l->chip_aa, "ecdsa"))
            return bad(c, "chip.aa", "expected \"rsa\", \"ecdsa\" or null");
        l->chip_auth = json_is_true(json_object_get(chip, "chip_auth"));
        json_t *pace = json_object_get(chip, "pace");
        if (pace && (!json_is_array(pace) || json_array_size(pace) > 4))
            return bad(c, "chip.pace", "expected up to 4 parameter ids");
        for (size_t i = 0; pace && i < json_array_size(pace); i++) {
            json_t *p = json_array_get(pace, i);
            if (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) > 31)
                return bad(c, "chip.pace", "expected standardized domain parameter ids");
            l->pace_params[l->n_pace++] = (int)json_integer_value(p);
        }
    }
    json_t *layout = json_object_get(root, "layout");
    if (!json_is_array(layout) || json_array_size(layout) > DX_SPEC_MAX_ELEMENTS)
        return bad(c, "layout", "expected an array of at most 48 elements");
    size_t i;
    json_t *e;
    json_array_foreach(layout, i, e) {
        if ((st = load_element(c, l, e, i)))
            return st;
    }
    return DX_OK;
}

dx_status dx_spec_layout_load(const char *specimens_dir, const char *id, dx_spec_layout *out,
                              dx_error *err)
{
    char path[4200];
    memset(out, 0, sizeof *out);
    if (!id || !id[0] || strchr(id, '/') || id[0] == '.' || strlen(id) >= sizeof out->id)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "specimen \"%s\": not a specimen id",
                            id ? id : "");
    snprintf(out->dir, sizeof out->dir, "%s/%s", specimens_dir, id);
    snprintf(path, sizeof path, "%s/specimen.json", out->dir);
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        struct stat sb;
        if (stat(path, &sb) != 0) {
            /* the specimen module's message: it names the ids that are there */
            dx_specimen *sp = NULL;
            dx_status st = dx_specimen_open(specimens_dir, id, &sp, err);
            dx_specimen_close(sp);
            return st != DX_OK ? st
                               : dx_error_set(err, DX_ERR_NOT_FOUND, "specimen %s: not found in %s", id,
                                              specimens_dir);
        }
        return dx_error_set(err, DX_ERR_DATA, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    ctx c = {path, err};
    dx_status st = load(&c, root, out);
    if (st == DX_OK && strcmp(out->id, id) != 0)
        st = bad(&c, "id", "differs from the directory's name");
    if (st == DX_OK) {
        dx_synth_holder_default(&out->holder);
        json_t *h = json_object_get(root, "holder");
        if (h)
            st = dx_synth_holder_apply(h, path, &out->holder, err);
    }
    json_decref(root);
    return st;
}

const dx_spec_element *dx_spec_layout_find(const dx_spec_layout *l, const char *id)
{
    for (size_t i = 0; i < l->n_elems; i++)
        if (strcmp(l->elems[i].id, id) == 0)
            return &l->elems[i];
    return NULL;
}
