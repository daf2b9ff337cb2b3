/* Which specimen the document is: the one asked for, or identified from the
 * MRZ (document code, issuing state, ICAO format), narrowed by the specimen's
 * validity against the document's expiry date and then by the similarity of
 * the white-light page with each candidate's reference image. */
#include <stdio.h>
#include <string.h>

#include "host/host_internal.h"
#include "inspect/inspect_internal.h"

/* The longest validity of a travel document (years): a document expiring on
 * E was issued after E minus this. */
#define MAX_VALIDITY_YEARS 10

static bool code_matches(const char *spec_code, const char *mrz_code)
{
    /* "P" matches "P" and "PO", "PD"...; a two-letter specimen code only itself */
    if (!spec_code[0] || spec_code[0] != mrz_code[0])
        return false;
    return !spec_code[1] || spec_code[1] == mrz_code[1];
}

/* YYYY-MM-DD -> YYYYMMDD (0 when absent). */
static int date_num(const char *s)
{
    int y, m, d;
    if (!s || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return 0;
    return y * 10000 + m * 100 + d;
}

static bool valid_for_expiry(const dx_specimen_info *si, const dx_mrz_date *e)
{
    int expiry, from = date_num(si->valid_from), until = date_num(si->valid_until);
    if (!e->valid || !e->year)
        return true; /* nothing to narrow with */
    expiry = e->year * 10000 + (e->month ? e->month : 12) * 100 + (e->day ? e->day : 28);
    if (from && expiry <= from)
        return false; /* expires before the series was first issued */
    if (until && until < expiry - MAX_VALIDITY_YEARS * 10000)
        return false; /* the series ended before such a document could be issued */
    return true;
}

/* Similarity of side 0 under white light with the candidate's reference. */
static double visual_score(dx_inspection *in, const dx_specimen *cand)
{
    const dx_specimen_info *si = dx_specimen_info_get(cand);
    const dx_reg_image *page;
    dx_error e = {0};
    double best = -2;
    if (dx_ins_page(in, 0, "white", &page, &e) != DX_OK)
        return -2;
    for (size_t i = 0; i < dx_specimen_reference_count(cand); i++) {
        const dx_specimen_reference *r = dx_specimen_reference_at(cand, i);
        dx_reg_image ref = {0};
        dx_measure_similarity s;
        if (r->side != 0 || strcmp(r->illumination, "white") != 0 || !r->present)
            continue;
        dx_reg_rect inner = {5, 5, si->page_width_mm - 10, si->page_height_mm - 10};
        char key[DX_INS_CACHE_KEY]; /* a candidate's page is not kept (the chosen one's is) */
        if (dx_ins_reference_load(cand, r->path, &ref, NULL, key, &e) == DX_OK &&
            dx_measure_similarity_of(page, inner, &ref, inner, 0.5, &s, &e) == DX_OK)
            best = s.ncc;
        dx_reg_image_free(&ref);
    }
    return best;
}

dx_status dx_ins_identify(dx_inspection *in, json_t **out, dx_error *err)
{
    json_t *j = json_object(), *cands = json_array();
    const char *matched_by = "none";
    char message[512] = "";
    dx_status st = DX_OK;
    *out = NULL;
    if (!j || !cands) {
        json_decref(j);
        json_decref(cands);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    }
    if (in->o->specimen && strcmp(in->o->specimen, "auto") != 0) {
        if ((st = dx_specimen_open(in->specimens_dir, in->o->specimen, &in->spec, err)) != DX_OK)
            goto fail;
        matched_by = "override";
        json_array_append_new(cands, json_string(in->o->specimen));
        dx_ins_fmt(message, sizeof message, "specimen %s as asked (--specimen)", in->o->specimen);
    } else if (!in->have_mrz) {
        dx_ins_fmt(message, sizeof message,
                 "no MRZ read: the document could not be identified; generic rules only");
    } else {
        const dx_mrz *m = &in->mrz.mrz;
        const char *fmt = dx_mrz_format_name(m->format);
        dx_specimen_listing *list = NULL;
        const dx_specimen *match[64];
        size_t n = 0, n_before;
        if ((st = dx_specimen_list(in->specimens_dir, &list, err)) != DX_OK)
            goto fail;
        for (size_t i = 0; i < list->n && n < 64; i++) {
            const dx_specimen *sp = list->entries[i].spec;
            const dx_specimen_info *si;
            if (!sp) {
                dx_log(DX_CAT_INSPECT, DX_LOG_WARNING, "specimen %s skipped: %s",
                       list->entries[i].id, list->entries[i].error);
                continue;
            }
            si = dx_specimen_info_get(sp);
            if (code_matches(si->document_code, m->document_code) &&
                strcmp(si->issuing_state, m->issuing_state) == 0 && strcmp(si->icao_format, fmt) == 0)
                match[n++] = sp;
        }
        for (size_t i = 0; i < n; i++)
            json_array_append_new(cands, json_string(dx_specimen_info_get(match[i])->id));
        n_before = n;
        if (n > 1) { /* narrow by validity */
            size_t k = 0;
            for (size_t i = 0; i < n; i++)
                if (valid_for_expiry(dx_specimen_info_get(match[i]), &m->expiry_date))
                    match[k++] = match[i];
            if (k > 0) {
                n = k;
                matched_by = "mrz+validity";
            }
        }
        if (n > 1) { /* narrow by the look of the page */
            size_t best = 0;
            double best_score = -3;
            for (size_t i = 0; i < n; i++) {
                double sc = visual_score(in, match[i]);
                dx_log(DX_CAT_INSPECT, DX_LOG_INFO, "specimen %s: page similarity %.3f",
                       dx_specimen_info_get(match[i])->id, sc);
                if (sc > best_score) {
                    best_score = sc;
                    best = i;
                }
            }
            match[0] = match[best];
            n = 1;
            matched_by = "mrz+similarity";
        } else if (n == 1 && n_before == 1) {
            matched_by = "mrz";
        }
        if (n == 1) {
            const char *id = dx_specimen_info_get(match[0])->id;
            st = dx_specimen_open(in->specimens_dir, id, &in->spec, err);
            dx_ins_fmt(message, sizeof message, "identified from the MRZ (%s, %s, %s) as %s", m->document_code,
                     m->issuing_state, fmt, id);
        } else {
            matched_by = "none";
            dx_ins_fmt(message, sizeof message,
                     "no specimen of a %s document \"%s\" of %s: unknown document, generic rules only",
                     fmt, m->document_code, m->issuing_state);
        }
        dx_specimen_list_free(list);
        if (st != DX_OK)
            goto fail;
    }
    if (in->spec) {
        const dx_specimen_info *si = dx_specimen_info_get(in->spec);
        json_object_set_new(j, "id", json_string(si->id));
        json_object_set_new(j, "name", json_string(si->name));
    } else {
        json_object_set_new(j, "id", json_null());
        json_object_set_new(j, "name", json_null());
    }
    json_object_set_new(j, "matched_by", json_string(matched_by));
    json_object_set_new(j, "generic", json_boolean(in->spec == NULL));
    json_object_set_new(j, "candidates", cands);
    json_object_set_new(j, "message", json_string(message));
    dx_log(DX_CAT_INSPECT, DX_LOG_INFO, "%s", message);
    *out = j;
    return DX_OK;
fail:
    json_decref(j);
    json_decref(cands);
    return st;
}
