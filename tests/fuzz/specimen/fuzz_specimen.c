/* Fuzz target: the specimen manifest loader (dx_specimen_parse, the core of
 * dx_specimen_open) and dx_specimen_to_json.
 *
 * Input: the bytes of a specimen.json.  The specimen's directory does not
 * exist, so no reference image is present.  Promises checked:
 *   - the loader returns DX_OK, or DX_ERR_DATA with one line "FILE...: why"
 *     in valid UTF-8 and no handle;
 *   - on DX_OK every rule of docex/specimen.h holds in what it gives:
 *     1-2 sides, 1-16 standard illuminations, a page of 20-400 mm, every
 *     rectangle inside the page and not empty, element and feature ids unique,
 *     each feature on a side of the specimen, its illuminations the
 *     specimen's and of its notation's light, a region element on the
 *     feature's side with the same rect, min <= max, "of" naming an element,
 *     one reference per side and light, none present;
 *   - dx_specimen_to_json() is well-formed JSON (read back with jansson)
 *     with as many features and references. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docex/specimen.h"
#include "fuzz.h"
#include "specimen/specimen_internal.h"

#define FILE_NAME "fuzz/specimen.json"

static int utf8_ok(const char *s)
{
    json_t *j = json_string(s); /* jansson checks UTF-8 */
    json_decref(j);
    return j != NULL;
}

static int inside(const dx_specimen_rect *r, const dx_specimen_info *in)
{
    return r->x >= 0 && r->y >= 0 && r->w > 0 && r->h > 0 &&
           r->x + r->w <= in->page_width_mm + 1e-9 && r->y + r->h <= in->page_height_mm + 1e-9;
}

static void check_spec(const dx_specimen *s)
{
    const dx_specimen_info *in = dx_specimen_info_get(s);
    FUZZ_ASSERT(in && !strcmp(in->format, DX_SPECIMEN_FORMAT), "format");
    FUZZ_ASSERT(in->n_sides >= 1 && in->n_sides <= DX_SPECIMEN_MAX_SIDES, "%zu sides", in->n_sides);
    FUZZ_ASSERT(in->n_illuminations >= 1 && in->n_illuminations <= DX_SPECIMEN_MAX_ILLUMINATIONS,
                "%zu illuminations", in->n_illuminations);
    for (size_t i = 0; i < in->n_illuminations; i++)
        FUZZ_ASSERT(dx_illumination_find(in->illuminations[i]), "illumination %zu", i);
    FUZZ_ASSERT(in->page_width_mm >= 20 && in->page_width_mm <= 400 && in->page_height_mm >= 20 &&
                    in->page_height_mm <= 400,
                "page %g x %g", in->page_width_mm, in->page_height_mm);
    FUZZ_ASSERT(in->reference_dpi >= 50 && in->reference_dpi <= 1200, "dpi %d", in->reference_dpi);
    FUZZ_ASSERT(!in->valid_until || strcmp(in->valid_until, in->valid_from) >= 0, "validity");
    FUZZ_ASSERT(strlen(in->id) < DX_SPECIMEN_ID_MAX && dx_specimen_id_ok(in->id), "id");
    size_t ne = dx_specimen_element_count(s), nf = dx_specimen_feature_count(s);
    FUZZ_ASSERT(ne <= DX_SPECIMEN_MAX_ELEMENTS && nf <= DX_SPECIMEN_MAX_FEATURES, "%zu/%zu", ne, nf);
    for (size_t i = 0; i < ne; i++) {
        const dx_specimen_element *e = dx_specimen_element_at(s, i);
        FUZZ_ASSERT(e->side < in->n_sides && !strcmp(e->side_name, in->sides[e->side]),
                    "element %zu side", i);
        FUZZ_ASSERT(inside(&e->rect, in), "element %s outside the page", e->id);
        FUZZ_ASSERT(dx_specimen_element_find(s, e->id) == e, "element id %s twice", e->id);
    }
    for (size_t i = 0; i < nf; i++) {
        const dx_specimen_feature *f = dx_specimen_feature_at(s, i);
        FUZZ_ASSERT(dx_specimen_feature_find(s, f->id) == f, "feature id %s twice", f->id);
        FUZZ_ASSERT(f->side < in->n_sides && !strcmp(f->side_name, in->sides[f->side]),
                    "feature %s side", f->id);
        FUZZ_ASSERT(inside(&f->region, in), "feature %s region outside the page", f->id);
        FUZZ_ASSERT(f->n_illuminations >= 1 && f->n_illuminations <= in->n_illuminations,
                    "feature %s: %zu lights", f->id, f->n_illuminations);
        for (size_t k = 0; k < f->n_illuminations; k++) {
            size_t m;
            for (m = 0; m < in->n_illuminations; m++)
                if (!strcmp(in->illuminations[m], f->illuminations[k]))
                    break;
            FUZZ_ASSERT(m < in->n_illuminations, "feature %s: light not the specimen's", f->id);
            FUZZ_ASSERT(!strcmp(dx_specimen_light_of(f->illuminations[k]), f->light),
                        "feature %s: %s is not %s", f->id, f->illuminations[k], f->light);
        }
        if (f->region_element) {
            const dx_specimen_element *e = dx_specimen_element_find(s, f->region_element);
            FUZZ_ASSERT(e && e->side == f->side &&
                            !memcmp(&e->rect, &f->region, sizeof f->region),
                        "feature %s region element", f->id);
        }
        const dx_specimen_expectation *x = &f->expected;
        FUZZ_ASSERT(x->has_min || x->has_max, "feature %s: no bound", f->id);
        FUZZ_ASSERT(!(x->has_min && x->has_max) || x->min <= x->max, "feature %s: min > max", f->id);
        FUZZ_ASSERT(!x->of || dx_specimen_element_find(s, x->of), "feature %s: of", f->id);
        FUZZ_ASSERT((unsigned)f->mode <= DX_SPECIMEN_EVALUATORY, "feature %s: mode", f->id);
    }
    size_t nr = dx_specimen_reference_count(s);
    FUZZ_ASSERT(nr == in->n_sides * in->n_illuminations, "%zu references", nr);
    for (size_t i = 0; i < nr; i++)
        FUZZ_ASSERT(!dx_specimen_reference_at(s, i)->present, "reference %zu present", i);

    char *text = dx_specimen_to_json(s);
    FUZZ_ASSERT(text, "dx_specimen_to_json failed");
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    FUZZ_ASSERT(j, "to_json is not JSON: %s", je.text);
    FUZZ_ASSERT(json_array_size(json_object_get(j, "features")) == nf, "JSON features");
    FUZZ_ASSERT(json_array_size(json_object_get(j, "layout")) == ne, "JSON layout");
    FUZZ_ASSERT(json_array_size(json_object_get(j, "references")) == nr, "JSON references");
    json_decref(j);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dx_specimen *s = (dx_specimen *)&s;
    dx_error err = {0};
    dx_status st = dx_specimen_parse((const char *)data, size, FILE_NAME, "fuzz-no-such-dir/X",
                                     NULL, &s, &err);
    if (st != DX_OK) {
        FUZZ_ASSERT(st == DX_ERR_DATA || st == DX_ERR_NO_MEMORY, "status %d: %s", (int)st,
                    err.message);
        FUZZ_ASSERT(s == NULL, "a handle with status %d", (int)st);
        FUZZ_ASSERT(err.status == st && !strncmp(err.message, FILE_NAME, strlen(FILE_NAME)),
                    "message: %s", err.message);
        FUZZ_ASSERT(!strchr(err.message, '\n') && utf8_ok(err.message), "message not one line");
        return 0;
    }
    FUZZ_ASSERT(s != NULL, "DX_OK without a handle");
    check_spec(s);
    dx_specimen_close(s);
    return 0;
}
