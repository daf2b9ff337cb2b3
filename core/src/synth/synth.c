/* docex synth — scenes of synthetic Utopia documents, genuine or with
 * defects from the catalogue, with their ground truth. */
#include "docex/synth.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "capture/manifest.h"
#include "host/host_internal.h"
#include "synth/chip_build.h"
#include "synth/holder.h"
#include "synth/render.h"
#include "synth/specimen_layout.h"

/* ---- the defect catalogue ------------------------------------------------ */

static const dx_synth_defect_info catalogue[] = {
    {"photo_substitution", "seed=N (the other face)",
     "the portrait shows another face; the ghost image and the chip's DG2 still show the holder's",
     "cross.portrait_dg2"},
    {"mrz_alteration", "line=L,col=C (1-based),char=X,recompute=0|1",
     "one MRZ character changed; with recompute=1 its check digits are recomputed so they pass",
     "by the field: mrz.check_digits (a check digit covers it, recompute=0), cross.viz_mrz (the "
     "visual zone prints it), chip.read (part of the chip's key) or else cross.mrz_dg1"},
    {"data_mismatch", "field=KEY,value=TEXT", "a visual-zone field differs from the MRZ",
     "cross.viz_mrz"},
    {"bright_paper", "", "office paper with optical brighteners: the page glows under UV",
     "substrate_uv_dull"},
    {"missing_uv_feature", "", "the UV-fluorescent emblem is not printed", "uv_emblem"},
    {"wrong_uv_colour", "", "the emblem glows blue instead of green (UV-A) and orange (UV-C)",
     "uv_emblem"},
    {"inkjet_mrz", "", "the MRZ is printed in IR-transparent dye ink: invisible at ir870",
     "mrz_ir_absorbent"},
    {"missing_watermark", "", "no watermark in transmitted light", "watermark"},
    {"missing_fibres", "", "no fluorescent fibres in the paper", "uv_fibres"},
    {"reprinted_background", "shift=MM,blur=MM", "the guilloche is shifted and/or blurred",
     "background_pattern"},
    {"expired", "date=YYYY-MM-DD (default: a year before today)",
     "the expiry date (visual zone, MRZ, chip) lies in the past", "mrz.expiry"},
    {"chip_dg_tampered", "dg=N (default 1)", "a data group changed after signing: its SOD hash fails",
     "chip.pa.dg_hash"},
    {"chip_untrusted_ds", "", "the SOD is signed by a Document Signer of a rogue CSCA",
     "chip.pa.ds_chain"},
    {"chip_clone", "", "the chip's Active Authentication key is not the one in DG15", "chip.aa"},
    {"chip_mrz_mismatch", "field=surname|document_number|birth_date,value=TEXT",
     "the chip's DG1 differs from the printed MRZ (the chip of another document)",
     "cross.mrz_dg1 (surname), chip.read (document_number, birth_date: the printed MRZ does not open it)"},
};

const dx_synth_defect_info *dx_synth_defect_at(size_t i)
{
    return i < sizeof catalogue / sizeof catalogue[0] ? &catalogue[i] : NULL;
}

typedef struct change {
    int side;            /* -1: the chip */
    dx_rect_mm rect;
    char lights[160];    /* comma separated, "" for the chip */
    char what[96];
} change;

typedef struct applied {
    const dx_synth_defect_info *info;
    json_t *params;
    change changes[96];
    size_t n_changes;
} applied;

typedef struct state {
    const dx_synth_options *o;
    dx_spec_layout lay;
    dx_synth_holder holder;        /* as issued (chip) */
    dx_synth_holder viz;           /* as printed in the visual zone */
    char mrz[DX_MRZ_MAX_LINES][45];      /* printed */
    char dg1_mrz[DX_MRZ_MAX_LINES][45];  /* in the chip */
    size_t n_mrz;
    dx_synth_visual_defects vd;
    int tampered_dg;
    bool untrusted_ds, clone;
    applied defects[DX_SYNTH_MAX_DEFECTS];
    size_t n_defects;
    const char *lights[DX_ILLUM_COUNT + DX_SPEC_MAX_LIGHTS]; /* what to draw */
    size_t n_lights;
} state;

static void add_change(applied *a, int side, dx_rect_mm r, const char *lights, const char *what)
{
    if (a->n_changes >= sizeof a->changes / sizeof a->changes[0])
        return;
    change *c = &a->changes[a->n_changes++];
    c->side = side;
    c->rect = r;
    snprintf(c->lights, sizeof c->lights, "%s", lights);
    snprintf(c->what, sizeof c->what, "%s", what);
}

static bool elem_rect(const state *s, dx_elem_type t, dx_rect_mm *r, int *side)
{
    for (size_t i = 0; i < s->lay.n_elems; i++)
        if (s->lay.elems[i].type == t) {
            *r = s->lay.elems[i].rect;
            *side = s->lay.elems[i].side;
            return true;
        }
    return false;
}

static int mrz_side(const state *s)
{
    dx_rect_mm r;
    int side = 0;
    elem_rect(s, DX_ELEM_MRZ, &r, &side);
    return side;
}

static dx_rect_mm pad(dx_rect_mm r, double p)
{
    return (dx_rect_mm){r.x - p, r.y - p, r.w + 2 * p, r.h + 2 * p};
}

/* Cells of the printed MRZ that differ from `before`: one change each. */
static void mrz_changes(state *s, applied *a, char before[DX_MRZ_MAX_LINES][45], const char *what)
{
    for (size_t l = 0; l < s->n_mrz; l++)
        for (size_t c = 0; s->mrz[l][c]; c++)
            if (s->mrz[l][c] != before[l][c])
                add_change(a, mrz_side(s),
                           pad(dx_synth_mrz_cell(&s->lay, s->n_mrz, (unsigned)l, (unsigned)c), 0.3),
                           "all", what);
}

static void field_change(state *s, applied *a, const char *key, const char *what)
{
    dx_rect_mm r;
    int side;
    if (dx_synth_field_box(&s->lay, key, &r, &side))
        add_change(a, side, pad(r, 0.3), "all", what);
}

/* Check digits of the standard positions, recomputed after an alteration. */
static void recompute_check_digits(state *s)
{
    char (*m)[45] = s->mrz;
#define CD(line, pos, from, n) (m[line][pos] = (char)('0' + dx_mrz_check_digit(m[line] + (from), n)))
    char comp[64];
    if (s->lay.format == DX_MRZ_TD3) {
        CD(1, 9, 0, 9);
        CD(1, 19, 13, 6);
        CD(1, 27, 21, 6);
        if (m[1][42] != '<')
            CD(1, 42, 28, 14);
        snprintf(comp, sizeof comp, "%.10s%.7s%.22s", m[1], m[1] + 13, m[1] + 21);
        m[1][43] = (char)('0' + dx_mrz_check_digit(comp, 39));
    } else {
        if (m[0][14] != '<')
            CD(0, 14, 5, 9);
        CD(1, 6, 0, 6);
        CD(1, 14, 8, 6);
        snprintf(comp, sizeof comp, "%.25s%.7s%.7s%.11s", m[0] + 5, m[1], m[1] + 8, m[1] + 18);
        m[1][29] = (char)('0' + dx_mrz_check_digit(comp, 50));
    }
#undef CD
}

static const char *param(json_t *p, const char *k)
{
    return json_string_value(json_object_get(p, k));
}

static dx_status parse_defect(const char *spec, const dx_synth_defect_info **info, json_t **params,
                              dx_error *err)
{
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    *info = NULL;
    for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++)
        if (strlen(catalogue[i].name) == n && strncmp(catalogue[i].name, spec, n) == 0)
            *info = &catalogue[i];
    if (!*info)
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "--defect %s: unknown defect (see docex synth --list-defects)", spec);
    *params = json_object();
    if (!colon)
        return DX_OK;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", colon + 1);
    for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            json_decref(*params);
            return dx_error_set(err, DX_ERR_INVALID_ARG, "--defect %s: expected NAME:key=value,...",
                                spec);
        }
        *eq = '\0';
        if (!strstr((*info)->params, kv)) {
            json_decref(*params);
            return dx_error_set(err, DX_ERR_INVALID_ARG, "--defect %s: %s takes %s", spec,
                                (*info)->name, (*info)->params[0] ? (*info)->params : "no parameters");
        }
        json_object_set_new(*params, kv, json_string(eq + 1));
    }
    return DX_OK;
}

static int today_ymd(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static dx_status apply_defect(state *s, applied *a, dx_error *err)
{
    const char *name = a->info->name;
    json_t *p = a->params;
    const char *v;
    dx_rect_mm r;
    int side;
    char before[DX_MRZ_MAX_LINES][45];
    memcpy(before, s->mrz, sizeof before);
    if (!strcmp(name, "photo_substitution")) {
        v = param(p, "seed");
        s->vd.face_seed = v ? strtoull(v, NULL, 10) : dx_synth_face_seed(&s->holder) ^ 0xFACEull;
        if (s->vd.face_seed == 0)
            s->vd.face_seed = 1;
        if (elem_rect(s, DX_ELEM_PORTRAIT, &r, &side))
            add_change(a, side, pad(r, 0.2), "all", "portrait of another face");
    } else if (!strcmp(name, "mrz_alteration")) {
        int line = (v = param(p, "line")) ? atoi(v) : (int)s->n_mrz;
        int col = (v = param(p, "col")) ? atoi(v) : 3;
        if (line < 1 || (size_t)line > s->n_mrz || col < 1 || (size_t)col > strlen(s->mrz[0]))
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "mrz_alteration: line %d, col %d is outside the MRZ", line, col);
        char *cp = &s->mrz[line - 1][col - 1];
        char to = (v = param(p, "char")) && strlen(v) == 1 ? v[0]
                  : *cp == '<' ? 'X' : (*cp >= '0' && *cp <= '8') || (*cp >= 'A' && *cp <= 'Y') ? *cp + 1
                  : *cp == '9' ? '0' : 'A';
        if (!((to >= 'A' && to <= 'Z') || (to >= '0' && to <= '9') || to == '<') || to == *cp)
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "mrz_alteration: char must be A-Z, 0-9 or < and differ from '%c'",
                                *cp);
        *cp = to;
        if ((v = param(p, "recompute")) && strcmp(v, "1") == 0)
            recompute_check_digits(s);
        mrz_changes(s, a, before, "altered MRZ character");
    } else if (!strcmp(name, "data_mismatch")) {
        const char *key = (v = param(p, "field")) ? v : "surname";
        const char *val = param(p, "value");
        char alt[64];
        if (!val) { /* one letter changed */
            snprintf(alt, sizeof alt, "%s", s->viz.surname);
            size_t n = strlen(alt);
            alt[n > 2 ? n - 2 : 0] = alt[n > 2 ? n - 2 : 0] == 'O' ? 'E' : 'O';
            val = alt;
        }
        dx_rect_mm fr;
        if (!dx_synth_field_box(&s->lay, key, &fr, &side))
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "data_mismatch: the specimen shows no field \"%s\"", key);
        snprintf(s->vd.viz_key, sizeof s->vd.viz_key, "%s", key);
        snprintf(s->vd.viz_value, sizeof s->vd.viz_value, "%s", val);
        field_change(s, a, key, "visual-zone field differs from the MRZ");
    } else if (!strcmp(name, "bright_paper")) {
        s->vd.bright_paper = true;
        for (size_t i = 0; i < s->lay.n_sides; i++)
            add_change(a, (int)i, (dx_rect_mm){0, 0, s->lay.page_w_mm, s->lay.page_h_mm},
                       "uv254,uv313,uv365,white,oblique,coaxial", "substrate with brighteners");
    } else if (!strcmp(name, "missing_uv_feature") || !strcmp(name, "wrong_uv_colour")) {
        if (name[0] == 'm')
            s->vd.no_uv_emblem = true;
        else
            s->vd.wrong_uv_colour = true;
        if (elem_rect(s, DX_ELEM_UV_EMBLEM, &r, &side))
            add_change(a, side, pad(r, 0.3), "uv254,uv313,uv365", "UV emblem");
    } else if (!strcmp(name, "inkjet_mrz")) {
        s->vd.inkjet_mrz = true;
        if (elem_rect(s, DX_ELEM_MRZ, &r, &side))
            add_change(a, side, r, "all", "MRZ in IR-transparent ink");
    } else if (!strcmp(name, "missing_watermark")) {
        s->vd.no_watermark = true;
        if (elem_rect(s, DX_ELEM_WATERMARK, &r, &side))
            add_change(a, side, pad(r, 0.3), "white_transmitted,ir_transmitted", "no watermark");
    } else if (!strcmp(name, "missing_fibres")) {
        s->vd.no_fibres = true;
        if (elem_rect(s, DX_ELEM_FIBRES, &r, &side))
            for (size_t i = 0; i < s->lay.n_elems; i++)
                if (s->lay.elems[i].type == DX_ELEM_FIBRES)
                    add_change(a, s->lay.elems[i].side, pad(s->lay.elems[i].rect, 0.5), "all",
                               "no fibres");
    } else if (!strcmp(name, "reprinted_background")) {
        s->vd.bg_shift_mm = (v = param(p, "shift")) ? atof(v) : 0.4;
        s->vd.bg_blur_mm = (v = param(p, "blur")) ? atof(v) : 0;
        if (!(fabs(s->vd.bg_shift_mm) <= 10 && s->vd.bg_blur_mm >= 0 && s->vd.bg_blur_mm <= 2))
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "reprinted_background: shift within +-10 mm, blur 0..2 mm");
        for (size_t i = 0; i < s->lay.n_elems; i++)
            if (s->lay.elems[i].type == DX_ELEM_GUILLOCHE)
                add_change(a, s->lay.elems[i].side, s->lay.elems[i].rect, "all",
                           "background reprinted");
    } else if (!strcmp(name, "expired")) {
        int ymd;
        if ((v = param(p, "date"))) {
            int y, m, d;
            if (sscanf(v, "%4d-%2d-%2d", &y, &m, &d) != 3)
                return dx_error_set(err, DX_ERR_INVALID_ARG, "expired: date=YYYY-MM-DD");
            ymd = y * 10000 + m * 100 + d;
        } else {
            ymd = (s->o->today ? s->o->today : today_ymd()) - 10000;
        }
        if (ymd % 10000 == 229) /* a year before (or ten years before) 29 February */
            ymd -= 1;
        if (ymd < 19100101 || ymd > 20991231)
            return dx_error_set(err, DX_ERR_INVALID_ARG, "expired: date out of range");
        dx_synth_holder h = s->holder;
        char d8[16];
        snprintf(d8, sizeof d8, "%08d", ymd);
        memcpy(h.expiry_date, d8, 9);
        snprintf(d8, sizeof d8, "%08d", ymd - 100000 - (ymd % 10000 == 229)); /* ten years before */
        memcpy(h.issue_date, d8, 9);
        dx_error e2 = {0};
        json_t *tmp = json_object();
        dx_status st = dx_synth_holder_apply(tmp, "expired", &h, &e2);
        json_decref(tmp);
        if (st)
            return dx_error_set(err, DX_ERR_INVALID_ARG, "expired: %s", e2.message);
        s->holder = h;
        snprintf(s->viz.expiry_date, sizeof s->viz.expiry_date, "%s", h.expiry_date);
        snprintf(s->viz.issue_date, sizeof s->viz.issue_date, "%s", h.issue_date);
        size_t n;
        if ((st = dx_synth_mrz_compose(&s->holder, s->lay.format, s->mrz, &n, err)))
            return st;
        memcpy(s->dg1_mrz, s->mrz, sizeof s->mrz);
        mrz_changes(s, a, before, "expiry date and its check digits");
        field_change(s, a, "expiry_date", "expiry date");
        field_change(s, a, "issue_date", "issue date");
        add_change(a, -1, (dx_rect_mm){0, 0, 0, 0}, "", "EF.DG1, EF.DG12, EF.SOD");
    } else if (!strcmp(name, "chip_dg_tampered")) {
        s->tampered_dg = (v = param(p, "dg")) ? atoi(v) : 1;
        if (s->tampered_dg < 1 || s->tampered_dg > 16)
            return dx_error_set(err, DX_ERR_INVALID_ARG, "chip_dg_tampered: dg=1..16");
        char w[32];
        snprintf(w, sizeof w, "EF.DG%d", s->tampered_dg);
        add_change(a, -1, (dx_rect_mm){0, 0, 0, 0}, "", w);
    } else if (!strcmp(name, "chip_untrusted_ds")) {
        s->untrusted_ds = true;
        add_change(a, -1, (dx_rect_mm){0, 0, 0, 0}, "", "EF.SOD");
    } else if (!strcmp(name, "chip_clone")) {
        s->clone = true;
        add_change(a, -1, (dx_rect_mm){0, 0, 0, 0}, "", "the chip's AA private key");
    } else if (!strcmp(name, "chip_mrz_mismatch")) {
        const char *key = (v = param(p, "field")) ? v : "surname";
        dx_synth_holder h = s->holder;
        const char *val = param(p, "value");
        if (!strcmp(key, "surname"))
            snprintf(h.surname, sizeof h.surname, "%s", val ? val : "ERIKSEN");
        else if (!strcmp(key, "document_number"))
            snprintf(h.document_number, sizeof h.document_number, "%s", val ? val : "L898902C4");
        else if (!strcmp(key, "birth_date"))
            snprintf(h.birth_date, sizeof h.birth_date, "%s", val ? val : "19740813");
        else
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "chip_mrz_mismatch: field=surname|document_number|birth_date");
        size_t n;
        dx_error e2 = {0};
        json_t *none = json_object(); /* the holder's checks on the changed field */
        dx_status st = dx_synth_holder_apply(none, "chip_mrz_mismatch", &h, &e2);
        json_decref(none);
        if (st)
            return dx_error_set(err, DX_ERR_INVALID_ARG, "%s", e2.message);
        st = dx_synth_mrz_compose(&h, s->lay.format, s->dg1_mrz, &n, err);
        if (st)
            return st;
        add_change(a, -1, (dx_rect_mm){0, 0, 0, 0}, "", "EF.DG1, EF.SOD");
    }
    return DX_OK;
}

/* ---- writing ------------------------------------------------------------- */

static json_t *rect_json(dx_rect_mm r)
{
    json_t *a = json_array();
    double v[4] = {r.x, r.y, r.w, r.h};
    for (int i = 0; i < 4; i++)
        json_array_append_new(a, json_real(round(v[i] * 1000) / 1000));
    return a;
}

static json_t *lines_json(char lines[DX_MRZ_MAX_LINES][45], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(lines[i]));
    return a;
}

/* The checks that must catch a defect, as a list: the catalogue's text
 * "a and b (k=v), c (k=w)" with the part whose parameter matches (a part
 * without one applies always). */
/* What catches an altered MRZ character depends on the field it is in
 * (ICAO 9303 Parts 4-5): a check digit covers it (recompute=0:
 * mrz.check_digits); it is part of the chip's access key (document number,
 * birth and expiry dates and their check digits: the chip refuses the
 * printed MRZ, chip.read) or else DG1 differs (cross.mrz_dg1); the visual
 * zone prints it (cross.viz_mrz). */
static json_t *mrz_alteration_checks(const state *s, const applied *a)
{
    json_t *arr = json_array();
    const char *v;
    bool recompute = (v = json_string_value(json_object_get(a->params, "recompute"))) && !strcmp(v, "1");
    int line = (v = json_string_value(json_object_get(a->params, "line"))) ? atoi(v) : (int)s->n_mrz;
    int col = (v = json_string_value(json_object_get(a->params, "col"))) ? atoi(v) : 3;
    bool digit_covered = false, key = false, viz = false, composite = false;
#define IN(l, c0, c1) (line == (l) && col >= (c0) && col <= (c1))
    if (s->n_mrz == 2) { /* TD3 */
        viz = IN(1, 6, 44) || IN(2, 1, 9) || IN(2, 11, 19) || IN(2, 21, 27);
        key = IN(2, 1, 10) || IN(2, 14, 20) || IN(2, 22, 28);
        digit_covered = IN(2, 1, 10) || IN(2, 14, 20) || IN(2, 22, 28) || IN(2, 29, 43);
        composite = IN(2, 44, 44);
    } else { /* TD1 */
        viz = IN(1, 6, 14) || IN(2, 1, 6) || IN(2, 8, 14) || IN(2, 16, 18) || IN(3, 1, 30);
        key = IN(1, 6, 15) || IN(2, 1, 7) || IN(2, 9, 15);
        digit_covered = IN(1, 6, 30) || IN(2, 1, 7) || IN(2, 9, 15) || IN(2, 19, 29);
        composite = IN(2, 30, 30);
    }
#undef IN
    if (!recompute && (digit_covered || composite))
        json_array_append_new(arr, json_string("mrz.check_digits"));
    if (viz)
        json_array_append_new(arr, json_string("cross.viz_mrz"));
    json_array_append_new(arr, json_string(key ? "chip.read" : "cross.mrz_dg1"));
    return arr;
}

static json_t *expected_checks(const state *s, const applied *a)
{
    json_t *arr;
    if (!strcmp(a->info->name, "mrz_alteration"))
        return mrz_alteration_checks(s, a);
    if (!strcmp(a->info->name, "chip_mrz_mismatch")) {
        /* a key field of the chip's own MRZ: the printed one does not open it */
        const char *f = json_string_value(json_object_get(a->params, "field"));
        arr = json_array();
        json_array_append_new(arr, json_string(f && (!strcmp(f, "document_number") || !strcmp(f, "birth_date"))
                                                   ? "chip.read"
                                                   : "cross.mrz_dg1"));
        return arr;
    }
    arr = json_array();
    char text[256], *outer = NULL;
    snprintf(text, sizeof text, "%s", a->info->expected_check);
    for (char *part = strtok_r(text, ",", &outer); part; part = strtok_r(NULL, ",", &outer)) {
        char *cond = strchr(part, '(');
        if (cond) {
            char key[32] = "", val[32] = "";
            const char *have;
            *cond++ = '\0';
            if (sscanf(cond, "%31[^=]=%31[^)]", key, val) == 2) {
                json_t *pv = json_object_get(a->params, key);
                have = json_string_value(pv);
                if (!(have ? strcmp(have, val) == 0 : strcmp(val, "0") == 0))
                    continue;
            }
        }
        for (char *w = strtok_r(part, " ", &cond); w; w = strtok_r(NULL, " ", &cond))
            if (strcmp(w, "and") != 0)
                json_array_append_new(arr, json_string(w));
    }
    return arr;
}

static json_t *defects_json(const state *s)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < s->n_defects; i++) {
        const applied *a = &s->defects[i];
        json_t *d = json_object(), *ch = json_array();
        json_object_set_new(d, "name", json_string(a->info->name));
        json_object_set(d, "params", a->params);
        json_object_set_new(d, "expected_check", json_string(a->info->expected_check));
        json_object_set_new(d, "expected_checks", expected_checks(s, a));
        json_object_set_new(d, "description", json_string(a->info->changes));
        for (size_t k = 0; k < a->n_changes; k++) {
            const change *c = &a->changes[k];
            json_t *o = json_object();
            if (c->side < 0) {
                json_object_set_new(o, "chip", json_string(c->what));
            } else {
                json_object_set_new(o, "side", json_string(s->lay.sides[c->side]));
                json_object_set_new(o, "region_mm", rect_json(c->rect));
                json_object_set_new(o, "illuminations", json_string(c->lights));
                json_object_set_new(o, "what", json_string(c->what));
            }
            json_array_append_new(ch, o);
        }
        json_object_set_new(d, "changes", ch);
        json_array_append_new(arr, d);
    }
    return arr;
}

static const struct {
    const char *light;
    int us;
} exposures[] = {{"white", 8000},   {"uv254", 250000}, {"uv313", 200000}, {"uv365", 120000},
                 {"ir730", 15000},  {"ir870", 20000},  {"ir950", 25000},
                 {"white_transmitted", 30000}, {"ir_transmitted", 40000}, {"oblique", 12000},
                 {"coaxial", 10000}};

typedef struct job {
    state *s;
    const dx_synth_render_opts *ro;
    int side;
    const char *dir;
    double dpi;
    void (*progress)(const char *, void *);
    void *user;
    pthread_mutex_t lock;
    size_t next;
    dx_status st[DX_ILLUM_COUNT + DX_SPEC_MAX_LIGHTS];
    dx_error err[DX_ILLUM_COUNT + DX_SPEC_MAX_LIGHTS];
    char sha[DX_ILLUM_COUNT + DX_SPEC_MAX_LIGHTS][65];
} job;

static void *light_worker(void *arg)
{
    job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->s->n_lights)
            return NULL;
        const char *light = j->s->lights[i];
        dx_synth_image img;
        uint8_t *png = NULL;
        size_t len = 0;
        char name[64];
        dx_status st = dx_synth_render(j->ro, j->side, light, &img, &j->err[i]);
        if (st == DX_OK) {
            st = dx_synth_png_encode_unfiltered(&img, j->dpi, &png, &len, &j->err[i]);
            dx_synth_image_free(&img);
        }
        if (st == DX_OK) {
            snprintf(name, sizeof name, "%s.png", light);
            st = dx_file_write_atomic(j->dir, name, png, len, j->sha[i], &j->err[i]);
        }
        free(png);
        j->st[i] = st;
        if (st == DX_OK && j->progress) {
            char line[4400];
            snprintf(line, sizeof line, "%-18s %s/%s", light, j->dir, name);
            pthread_mutex_lock(&j->lock);
            j->progress(line, j->user);
            pthread_mutex_unlock(&j->lock);
        }
    }
}

static dx_status write_side(state *s, int side, const char *dir, double dpi,
                            void (*progress)(const char *, void *), void *user, dx_error *err)
{
    const dx_synth_options *o = s->o;
    dx_synth_render_opts ro = {0};
    dx_status st;
    ro.layout = &s->lay;
    ro.holder = &s->viz;
    memcpy(ro.mrz, s->mrz, sizeof ro.mrz);
    ro.n_mrz = s->n_mrz;
    ro.dpi = dpi;
    ro.seed = o->seed;
    ro.defects = s->vd;
    ro.noise = o->noise;
    ro.blur_px = o->blur_px;
    ro.vignetting = o->vignetting;
    ro.glass_mm = o->glass_mm;
    ro.shift_x_mm = o->shift_x_mm;
    ro.shift_y_mm = o->shift_y_mm;
    ro.rotation_deg = o->rotation_deg;
    if ((st = dx_mkdir_p(dir, err)))
        return st;
    json_t *files = json_object(), *exp = json_object();
    /* every light on its own: drawn, encoded and written by a few threads */
    job j = {.s = s, .ro = &ro, .side = side, .dir = dir, .dpi = dpi, .progress = progress,
             .user = user};
    pthread_mutex_init(&j.lock, NULL);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (size_t)ncpu;
    if (nthreads > s->n_lights)
        nthreads = s->n_lights;
    pthread_t th[8];
    size_t started = 0;
    for (size_t t = 1; t < nthreads; t++)
        if (pthread_create(&th[t], NULL, light_worker, &j) == 0)
            started = t;
        else
            break;
    light_worker(&j);
    for (size_t t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&j.lock);
    for (size_t i = 0; i < s->n_lights; i++) {
        const char *light = s->lights[i];
        if (j.st[i] != DX_OK) {
            st = dx_error_set(err, j.st[i], "%s", j.err[i].message);
            goto done;
        }
        char name[64];
        snprintf(name, sizeof name, "%s.png", light);
        json_object_set_new(files, name, json_string(j.sha[i]));
        for (size_t k = 0; k < sizeof exposures / sizeof exposures[0]; k++)
            if (!strcmp(exposures[k].light, light))
                json_object_set_new(exp, light, json_integer(exposures[k].us));
    }
    json_t *root = json_object(), *syn = json_object(), *page = json_object();
    char title[200];
    snprintf(title, sizeof title, "%s%s%s (docex synth; not a real document)", s->lay.id,
             s->lay.n_sides > 1 ? ", " : "", s->lay.n_sides > 1 ? s->lay.sides[side] : "");
    json_object_set_new(root, "format", json_string("docex.scene/1"));
    json_object_set_new(root, "name", json_string(title));
    json_object_set_new(root, "dpi", json_integer(lround(dpi)));
    json_object_set_new(page, "width", json_real(s->lay.page_w_mm + 2 * o->glass_mm));
    json_object_set_new(page, "height", json_real(s->lay.page_h_mm + 2 * o->glass_mm));
    json_object_set_new(root, "page_mm", page);
    json_object_set_new(root, "background", json_pack("[iii]", 36, 36, 36));
    json_object_set_new(root, "exposure_us", exp);
    exp = NULL; /* root owns it now */
    json_object_set_new(syn, "generator", json_string("docex synth " DOCEX_VERSION));
    json_object_set_new(syn, "specimen", json_string(s->lay.id));
    json_object_set_new(syn, "side", json_string(s->lay.sides[side]));
    json_object_set_new(syn, "sides", json_integer((json_int_t)s->lay.n_sides));
    json_object_set_new(syn, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(syn, "page_mm", json_pack("{sfsf}", "width", s->lay.page_w_mm, "height",
                                                  s->lay.page_h_mm));
    json_object_set_new(syn, "placement",
                        json_pack("{sfsfsfsf}", "glass_mm", o->glass_mm, "shift_x_mm",
                                  o->shift_x_mm, "shift_y_mm", o->shift_y_mm, "rotation_deg",
                                  o->rotation_deg));
    json_object_set_new(syn, "realism", json_pack("{sfsfsf}", "noise", o->noise, "blur_px",
                                                  o->blur_px, "vignetting", o->vignetting));
    char *hj = dx_synth_holder_to_json(&s->holder);
    json_object_set_new(syn, "holder", hj ? json_loads(hj, 0, NULL) : json_null());
    free(hj);
    json_object_set_new(syn, "mrz", lines_json(s->mrz, s->n_mrz));
    json_object_set_new(syn, "chip_dg1_mrz", lines_json(s->dg1_mrz, s->n_mrz));
    json_object_set_new(syn, "genuine", json_boolean(s->n_defects == 0));
    json_object_set_new(syn, "chip", o->no_chip ? json_null()
                                     : json_string(side == 0 ? "chip/chip.json" : "../chip/chip.json"));
    json_object_set_new(syn, "defects", defects_json(s));
    json_object_set_new(syn, "files", files);
    files = NULL;
    json_object_set_new(root, "synth", syn);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    size_t n = strlen(text);
    text[n] = '\0';
    char *nl = realloc(text, n + 2);
    if (!nl) {
        free(text);
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    nl[n] = '\n';
    nl[n + 1] = '\0';
    st = dx_file_write_atomic(dir, "scene.json", nl, n + 1, NULL, err);
    free(nl);
done:
    json_decref(files);
    if (st)
        json_decref(exp);
    return st;
}

/* The chip as issued: DG1 from the issued MRZ (or the chip defect's), the
 * holder's own face in DG2 (a substituted printed photo does not change it),
 * access keys from the printed MRZ and the CAN. */
static dx_status write_chip(state *s, dx_error *err)
{
    const dx_synth_options *o = s->o;
    char dir[4300], trust[4200];
    enum { FACE_W = 360, FACE_H = 480 };
    dx_synth_chip_options co;
    dx_status st;
    uint8_t *face = malloc((size_t)FACE_W * FACE_H * 3);
    if (!face)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    if ((st = dx_synth_portrait(dx_synth_face_seed(&s->holder), FACE_W, FACE_H, face, err)))
        goto done;
    dx_synth_chip_options_default(&co);
    co.holder = &s->holder;
    memcpy(co.dg1_mrz, s->dg1_mrz, sizeof co.dg1_mrz);
    co.dg1_mrz_lines = s->n_mrz;
    /* the chip's keys come from the data it was personalised with (DG1):
     * a printed MRZ altered afterwards does not open it */
    co.portrait_rgb = face;
    co.portrait_width = FACE_W;
    co.portrait_height = FACE_H;
    if (o->face_format && strcmp(o->face_format, "jpeg2000") == 0)
        co.face_format = DX_SYNTH_FACE_JPEG2000;
    else if (o->face_format && strcmp(o->face_format, "jpeg") != 0) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "--face %s: expected jpeg or jpeg2000",
                          o->face_format);
        goto done;
    }
    co.pace = s->lay.n_pace > 0;
    for (size_t i = 0; i < s->lay.n_pace && i < DX_SYNTH_CHIP_MAX_PACE; i++) {
        int id = s->lay.pace_params[i];
        co.pace_infos[i].parameter_id = id;
        co.pace_infos[i].oid = id >= 15 ? DX_SYNTH_OID_PACE_ECDH_GM_AES_256
                                        : DX_SYNTH_OID_PACE_ECDH_GM_AES_128;
        co.n_pace_infos++;
    }
    const char *aa = o->chip_aa ? o->chip_aa : s->lay.chip_aa;
    if (strcmp(aa, "rsa") && strcmp(aa, "ecdsa") && strcmp(aa, "none") && aa[0]) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "--chip-aa %s: expected none, rsa or ecdsa", aa);
        goto done;
    }
    co.aa = !strcmp(aa, "rsa")     ? DX_SYNTH_AA_RSA
            : !strcmp(aa, "ecdsa") ? DX_SYNTH_AA_ECDSA
                                   : DX_SYNTH_AA_NONE;
    co.chip_auth = s->lay.chip_auth;
    if (o->trust_dir)
        snprintf(trust, sizeof trust, "%s", o->trust_dir);
    else
        snprintf(trust, sizeof trust, "%s/trust/test", dx_datadir());
    co.trust_dir = trust;
    co.seed = o->seed;
    co.tampered_dg = s->tampered_dg;
    co.untrusted_ds = s->untrusted_ds;
    co.clone = s->clone;
    if (s->clone && co.aa == DX_SYNTH_AA_NONE) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG,
                          "chip_clone: specimen %s offers no Active Authentication", s->lay.id);
        goto done;
    }
    /* the SOD is signed on the issue date, within the test DS's validity */
    snprintf(co.signing_date, sizeof co.signing_date, "%s",
             strcmp(s->holder.issue_date, "20240101") >= 0 ? s->holder.issue_date : "20240101");
    snprintf(dir, sizeof dir, "%s/chip", o->out_dir);
    st = dx_synth_chip_write(&co, dir, err);
done:
    free(face);
    return st;
}

dx_status dx_synth_scene_write(const dx_synth_options *o,
                               void (*progress)(const char *line, void *user), void *user,
                               dx_error *err)
{
    char specdir[4200];
    dx_status st;
    state *s = calloc(1, sizeof *s);
    if (!s)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    s->o = o;
    if (o->specimens_dir)
        snprintf(specdir, sizeof specdir, "%s", o->specimens_dir);
    else
        snprintf(specdir, sizeof specdir, "%s/specimens", dx_datadir());
    if ((st = dx_spec_layout_load(specdir, o->specimen, &s->lay, err)))
        goto done;
    s->holder = s->lay.holder;
    if (o->holder_file && (st = dx_synth_holder_load(o->holder_file, &s->holder, err)))
        goto done;
    if ((st = dx_synth_mrz_compose(&s->holder, s->lay.format, s->mrz, &s->n_mrz, err)))
        goto done;
    memcpy(s->dg1_mrz, s->mrz, sizeof s->mrz);
    s->viz = s->holder;
    for (size_t i = 0; i < o->n_defects; i++) {
        applied *a = &s->defects[s->n_defects];
        memset(a, 0, sizeof *a);
        if ((st = parse_defect(o->defects[i], &a->info, &a->params, err)))
            goto done;
        s->n_defects++;
        if ((st = apply_defect(s, a, err))) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err ? err->message : "");
            st = dx_error_set(err, st, "--defect %s: %s", o->defects[i], msg);
            goto done;
        }
    }
    /* the lights: the specimen's, or those asked for ("all": every standard one) */
    if (!o->lights) {
        for (size_t i = 0; i < s->lay.n_lights; i++)
            s->lights[s->n_lights++] = s->lay.lights[i];
    } else {
        for (const char *const *q = o->lights; *q; q++) {
            bool all = strcmp(*q, "all") == 0;
            for (size_t i = 0; i < DX_ILLUM_COUNT; i++) {
                const char *name = dx_illumination_at(i)->name;
                if (!all && strcmp(name, *q) != 0)
                    continue;
                bool dup = false;
                for (size_t k = 0; k < s->n_lights; k++)
                    dup |= strcmp(s->lights[k], name) == 0;
                if (!dup && s->n_lights < sizeof s->lights / sizeof s->lights[0])
                    s->lights[s->n_lights++] = name;
                if (!all)
                    break;
            }
            if (!all && !dx_illumination_find(*q)) {
                st = dx_error_set(err, DX_ERR_INVALID_ARG,
                                  "--illum %s: not a standard illumination (see "
                                  "share/illuminations.json)",
                                  *q);
                goto done;
            }
        }
    }
    double dpi = o->dpi > 0 ? o->dpi : 300;
    struct stat sb;
    if (stat(o->out_dir, &sb) == 0) {
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/scene.json", o->out_dir);
        if (stat(probe, &sb) == 0) {
            st = dx_error_set(err, DX_ERR_STATE, "%s: already holds a scene (not overwritten)",
                              o->out_dir);
            goto done;
        }
    }
    if ((st = dx_mkdir_p(o->out_dir, err)))
        goto done;
    if (!o->no_chip) {
        if ((st = write_chip(s, err)))
            goto done;
        if (progress) {
            char line[4400];
            snprintf(line, sizeof line, "%-18s %s/chip/ (LDS files, chip.json)", "chip", o->out_dir);
            progress(line, user);
        }
    }
    for (size_t side = 0; side < s->lay.n_sides; side++) {
        char dir[4200];
        if (side == 0)
            snprintf(dir, sizeof dir, "%s", o->out_dir);
        else
            snprintf(dir, sizeof dir, "%s/%s", o->out_dir, s->lay.sides[side]);
        if ((st = write_side(s, (int)side, dir, dpi, progress, user, err)))
            goto done;
    }
done:
    for (size_t i = 0; i < s->n_defects; i++)
        json_decref(s->defects[i].params);
    free(s);
    return st;
}
