/* The measurement provider the rules call (rules.h dx_rules_provider): every
 * region:<method>() of a rule lands here, is resolved to a side, a rectangle
 * in page mm and a light, and measured with image/measure.h on the
 * registered capture.
 *
 * Region names: a specimen feature id (its region, side and first light), a
 * layout element id, "chip.face" (the portrait of the chip's DG2, as the
 * `other` of a similarity) or "viz.<field>" (a visual-zone field the MRZ
 * determines, synth/viz.h).  What each method returns is documented in
 * scripts/rules/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_internal.h"
#include "inspect/inspect_internal.h"
#include "synth/viz.h"

/* Shift searched when a region is compared with the specimen's reference:
 * the registration's error on a page laid anywhere on the glass. */
#define REF_SHIFT_MM 0.15
/* ... for a visual-zone field (printed by another pass than the background) */
#define VIZ_SHIFT_MM 0.5
/* ... with another region of the same capture (ghost image and portrait). */
#define SAME_SHIFT_MM 1.0
/* ... with the chip's portrait (printed with a margin of its own). */
#define FACE_SHIFT_MM 1.5
/* Ring around a region for "surround" (a thread against its paper). */
#define RING_MM 1.5
/* A pixel of light through the page: a hole (perforation) passes the full
 * backlight, paper a part of it.  Bright: above the paper (the region's
 * median) by this share of the way to full scale, and by this many levels
 * at least. */
#define BRIGHT_SHARE 0.2
#define BRIGHT_MIN_STEP 25.0

static dx_status make_viz(dx_inspection *in, dx_error *err)
{
    if (!in->viz_made) {
        dx_error e = {0};
        dx_viz_field *f = NULL;
        in->viz_made = true;
        if (!in->spec) {
            in->viz_status = DX_ERR_UNSUPPORTED;
            dx_ins_fmt(in->viz_error, sizeof in->viz_error, "no specimen: the visual zone's layout is unknown");
        } else if (!in->have_mrz) {
            in->viz_status = DX_ERR_UNSUPPORTED;
            dx_ins_fmt(in->viz_error, sizeof in->viz_error, "no MRZ read: nothing to compare the visual zone with");
        } else {
            in->viz_status = dx_viz_expected(in->specimens_dir, dx_specimen_info_get(in->spec)->id,
                                             &in->mrz.mrz, in->dpi, &f, &in->n_viz, &e);
            if (in->viz_status == DX_OK)
                in->viz = f;
            else
                dx_ins_fmt(in->viz_error, sizeof in->viz_error, "visual zone: %s", e.message);
        }
    }
    if (in->viz_status != DX_OK)
        return dx_error_set(err, in->viz_status, "%s", in->viz_error);
    return DX_OK;
}

void dx_ins_viz_prepare(dx_inspection *in)
{
    dx_error e = {0};
    double t0 = dx_ins_now_ms();
    make_viz(in, &e);
    dx_log(DX_CAT_INSPECT, DX_LOG_DEBUG, "visual zone: %zu fields drawn in %.1f ms", in->n_viz,
           dx_ins_now_ms() - t0);
}

/* The light visual-zone fields are compared under (cross.lua: carbon-black
 * data on a background that vanishes at 870 nm, synth/viz.h). */
#define VIZ_LIGHT "ir870"

typedef struct viz_pre {
    const dx_reg_image *page; /* compared with; NULL: not made */
    dx_status st;
    dx_viz_match vm;
    char error[300];
} viz_pre;

typedef struct viz_ctx {
    dx_inspection *in;
    viz_pre *pre;
} viz_ctx;

/* Compare field i (any thread: touches only pre[i]). */
static void viz_compare_one(void *arg, size_t i)
{
    viz_ctx *c = arg;
    viz_pre *p = &c->pre[i];
    dx_error e = {0};
    if (!p->page)
        return;
    p->st = dx_viz_compare(&((const dx_viz_field *)c->in->viz)[i], p->page, VIZ_SHIFT_MM, &p->vm, &e);
    if (p->st != DX_OK)
        dx_ins_fmt(p->error, sizeof p->error, "%s", e.message);
}

void dx_ins_viz_precompute(dx_inspection *in)
{
    dx_error e = {0};
    viz_pre *pre;
    double t0 = dx_ins_now_ms();
    if (in->viz_pre || make_viz(in, &e) != DX_OK || !in->n_viz ||
        !(pre = calloc(in->n_viz, sizeof *pre)))
        return;
    /* the pages here, on this thread (they load on first use) */
    const dx_viz_field *f = in->viz;
    for (size_t i = 0; i < in->n_viz; i++)
        if (dx_ins_page(in, (size_t)f[i].side, VIZ_LIGHT, &pre[i].page, &e) != DX_OK)
            pre[i].page = NULL;
    viz_ctx ctx = {in, pre};
    dx_ins_parallel(in->n_viz, viz_compare_one, &ctx);
    in->viz_pre = pre;
    in->t_measure += dx_ins_now_ms() - t0;
    dx_log(DX_CAT_INSPECT, DX_LOG_DEBUG, "visual zone: %zu fields compared at %s in %.1f ms", in->n_viz,
           VIZ_LIGHT, dx_ins_now_ms() - t0);
}

static const dx_viz_field *viz_field(dx_inspection *in, const char *key)
{
    const dx_viz_field *f = in->viz;
    for (size_t i = 0; i < in->n_viz; i++)
        if (strcmp(f[i].key, key) == 0)
            return &f[i];
    return NULL;
}

const dx_reg_image *dx_ins_viz_expected(dx_inspection *in, const ins_region *r)
{
    const dx_viz_field *f;
    dx_error e = {0};
    if (!r->is_viz || make_viz(in, &e) != DX_OK || !(f = viz_field(in, r->feature + 4)))
        return NULL;
    return &f->expected;
}

dx_status dx_ins_resolve(dx_inspection *in, const dx_rules_region_ref *ref, ins_region *out,
                         dx_error *err)
{
    const char *light = ref->light;
    memset(out, 0, sizeof *out);
    if (ref->feature) {
        const char *id = ref->feature;
        dx_strlcpy(out->feature, id, sizeof out->feature);
        if (strcmp(id, "chip.face") == 0) {
            out->is_face = true;
            return DX_OK;
        }
        if (strncmp(id, "viz.", 4) == 0) {
            dx_status st = make_viz(in, err);
            const dx_viz_field *f;
            if (st != DX_OK)
                return st;
            if (!(f = viz_field(in, id + 4)))
                return dx_error_set(err, DX_ERR_UNSUPPORTED,
                                    "the visual zone of this document shows no field %s the MRZ gives",
                                    id + 4);
            out->is_viz = true;
            out->side = (size_t)f->side;
            out->rect = f->box_mm;
        } else if (!in->spec) {
            return dx_error_set(err, DX_ERR_UNSUPPORTED, "no specimen: region \"%s\" is unknown", id);
        } else {
            const dx_specimen_feature *sf = dx_specimen_feature_find(in->spec, id);
            const dx_specimen_element *se = dx_specimen_element_find(in->spec, id);
            if (sf) {
                out->side = sf->side;
                out->rect = (dx_reg_rect){sf->region.x, sf->region.y, sf->region.w, sf->region.h};
                if (!light && sf->n_illuminations)
                    light = sf->illuminations[0];
            } else if (se) {
                out->side = se->side;
                out->rect = (dx_reg_rect){se->rect.x, se->rect.y, se->rect.w, se->rect.h};
            } else {
                return dx_error_set(err, DX_ERR_NOT_FOUND,
                                    "specimen %s has no feature or layout element \"%s\"",
                                    dx_specimen_info_get(in->spec)->id, id);
            }
        }
    } else {
        out->side = 0;
        out->rect = (dx_reg_rect){ref->rect.x, ref->rect.y, ref->rect.w, ref->rect.h};
    }
    if (light)
        dx_strlcpy(out->light, light, sizeof out->light);
    return DX_OK;
}

static void field(dx_rules_measurement *m, const char *name, double v)
{
    if (m->n_fields < DX_RULES_MAX_FIELDS) {
        dx_strlcpy(m->fields[m->n_fields].name, name, sizeof m->fields[0].name);
        m->fields[m->n_fields].value = v;
        m->n_fields++;
    }
}

/* sRGB (0..255) to CIE L*a*b* (D65). */
static void srgb_to_lab(double r, double g, double b, double lab[3])
{
    double c[3] = {r / 255.0, g / 255.0, b / 255.0}, xyz[3], f[3];
    static const double white[3] = {0.95047, 1.0, 1.08883};
    for (int i = 0; i < 3; i++)
        c[i] = c[i] <= 0.04045 ? c[i] / 12.92 : pow((c[i] + 0.055) / 1.055, 2.4);
    xyz[0] = 0.4124 * c[0] + 0.3576 * c[1] + 0.1805 * c[2];
    xyz[1] = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    xyz[2] = 0.0193 * c[0] + 0.1192 * c[1] + 0.9505 * c[2];
    for (int i = 0; i < 3; i++) {
        double t = xyz[i] / white[i];
        f[i] = t > 216.0 / 24389.0 ? cbrt(t) : (24389.0 / 27.0 * t + 16.0) / 116.0;
    }
    lab[0] = 116.0 * f[1] - 16.0;
    lab[1] = 500.0 * (f[0] - f[1]);
    lab[2] = 200.0 * (f[1] - f[2]);
}

/* Faces are compared at this resolution: a portrait's likeness does not
 * need finer pixels, and the shift search costs the square of the dpi. */
#define FACE_DPI 100.0

/* The chip's portrait as a page image FACE_DPI, the width of `rect`. */
dx_status dx_ins_face_image(dx_inspection *in, dx_reg_rect rect, dx_reg_image *out, dx_error *err)
{
    if (!in->face_loaded) {
        char path[4300];
        dx_error e = {0};
        in->face_loaded = true;
        if (!in->chip) {
            in->face_status = DX_ERR_UNSUPPORTED;
        } else {
            dx_ins_fmt(path, sizeof path, "%s/chip/face.png", in->case_dir);
            in->face_status = dx_png_load(path, &in->face, &e);
            if (in->face_status != DX_OK)
                in->face_status = DX_ERR_UNSUPPORTED;
        }
    }
    if (in->face_status != DX_OK)
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "%s",
                            in->chip ? "the chip's DG2 holds no portrait that could be decoded"
                                     : "no chip read: no portrait to compare with");
    /* scale the portrait to the width of the region, keeping its aspect */
    double w_mm = rect.w, dpi = in->face.view.width / (w_mm / 25.4);
    double h_mm = in->face.view.height / dpi * 25.4;
    dx_reg_transform t;
    dx_reg_identity(dpi, w_mm, h_mm, in->face.view.width, in->face.view.height, &t);
    return dx_reg_resample(&in->face.view, &t, FACE_DPI, NULL, out, err);
}

static dx_status measure_similarity(dx_inspection *in, const ins_region *r, const dx_reg_image *im,
                                    const dx_rules_region_ref *other, dx_rules_measurement *m,
                                    dx_error *err)
{
    dx_measure_similarity s;
    dx_status st;
    if (!other) {
        const dx_reg_image *ref;
        if ((st = dx_ins_reference(in, r->side, r->light, &ref, NULL, NULL, err)) != DX_OK)
            return st;
        /* the reference is `a`: the capture (finer) is box-filtered down to
         * the reference's pixels, never the reference blown up */
        st = dx_measure_similarity_of(ref, r->rect, im, r->rect, REF_SHIFT_MM, &s, err);
    } else {
        ins_region o;
        if ((st = dx_ins_resolve(in, other, &o, err)) != DX_OK)
            return st;
        if (o.is_face) {
            dx_reg_image face = {0};
            if ((st = dx_ins_face_image(in, r->rect, &face, err)) != DX_OK)
                return st;
            dx_reg_rect all = {face.x_mm, face.y_mm, face.w * 25.4 / face.dpi,
                               face.h * 25.4 / face.dpi};
            /* the face is `a`: the capture is box-filtered down to FACE_DPI */
            dx_reg_rect photo = {r->rect.x, r->rect.y, all.w, fmin(all.h, r->rect.h)};
            all.h = photo.h;
            st = dx_measure_similarity_of(&face, all, im, photo, FACE_SHIFT_MM, &s, err);
            dx_reg_image_free(&face);
        } else {
            const dx_reg_image *oim;
            if (!o.light[0])
                dx_strlcpy(o.light, r->light, sizeof o.light);
            if ((st = dx_ins_page(in, o.side, o.light, &oim, err)) != DX_OK)
                return st;
            st = dx_measure_similarity_of(im, r->rect, oim, o.rect, SAME_SHIFT_MM, &s, err);
        }
    }
    if (st != DX_OK)
        return st;
    m->value = s.ncc;
    field(m, "ncc", s.ncc);
    field(m, "ssim", s.ssim);
    field(m, "dx_mm", s.dx_mm);
    field(m, "dy_mm", s.dy_mm);
    return DX_OK;
}

/* The substrate to compare a glow with: `other`, else the specimen's
 * UV-dull substrate feature on the same side, else the whole side. */
static dx_status substrate_rect(dx_inspection *in, const ins_region *r,
                                const dx_rules_region_ref *other, dx_reg_rect *out, dx_error *err)
{
    if (other) {
        ins_region o;
        dx_status st = dx_ins_resolve(in, other, &o, err);
        if (st != DX_OK)
            return st;
        if (o.side != r->side)
            return dx_error_set(err, DX_ERR_INVALID_ARG, "the substrate region lies on another side");
        *out = o.rect;
        return DX_OK;
    }
    if (in->spec)
        for (size_t i = 0; i < dx_specimen_feature_count(in->spec); i++) {
            const dx_specimen_feature *f = dx_specimen_feature_at(in->spec, i);
            if (f->side == r->side && strcmp(f->property, "dull") == 0 &&
                strcmp(f->light, "UV") == 0) {
                *out = (dx_reg_rect){f->region.x, f->region.y, f->region.w, f->region.h};
                return DX_OK;
            }
        }
    /* the whole side: mostly bare paper, its median is the paper's */
    *out = (dx_reg_rect){0, 0, in->page_w_mm, in->page_h_mm};
    (void)err;
    return DX_OK;
}

static dx_status measure(void *user, dx_rules_measure what, const dx_rules_region_ref *ref,
                         const dx_rules_region_ref *other, dx_rules_measurement *m, dx_error *err)
{
    dx_inspection *in = user;
    ins_region r;
    const dx_reg_image *im;
    dx_status st;
    double t0 = dx_ins_now_ms();
    if ((st = dx_ins_resolve(in, ref, &r, err)) != DX_OK)
        return st;
    if (r.is_face)
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "chip.face is only the `other` of a similarity");
    if (!r.light[0])
        return dx_error_set(err, DX_ERR_INVALID_ARG, "region %s: no light given",
                            r.feature[0] ? r.feature : "rectangle");
    if ((st = dx_ins_page(in, r.side, r.light, &im, err)) != DX_OK)
        return st;
    switch (what) {
    case DX_RULES_M_MEAN:
    case DX_RULES_M_STATS:
    case DX_RULES_M_CONTRAST:
    case DX_RULES_M_COLOUR: {
        dx_measure_stats s;
        if ((st = dx_measure_stats_of(im, r.rect, &s, err)) != DX_OK)
            break;
        if (what == DX_RULES_M_COLOUR) {
            double lab[3], rgb[3];
            for (int c = 0; c < 3; c++)
                rgb[c] = s.ch == 3 ? s.mean[c] : s.mean[DX_MEASURE_L];
            srgb_to_lab(rgb[0], rgb[1], rgb[2], lab);
            m->value = lab[0];
            field(m, "lab_l", lab[0]);
            field(m, "lab_a", lab[1]);
            field(m, "lab_b", lab[2]);
            field(m, "r", rgb[0]);
            field(m, "g", rgb[1]);
            field(m, "b", rgb[2]);
            break;
        }
        m->value = what == DX_RULES_M_CONTRAST ? s.contrast : s.mean[DX_MEASURE_L];
        if (what == DX_RULES_M_MEAN)
            break;
        field(m, "mean", s.mean[DX_MEASURE_L]);
        field(m, "sd", s.sd[DX_MEASURE_L]);
        field(m, "p5", s.p5[DX_MEASURE_L]);
        field(m, "p50", s.p50[DX_MEASURE_L]);
        field(m, "p95", s.p95[DX_MEASURE_L]);
        field(m, "contrast", s.contrast);
        if (s.ch == 3) {
            field(m, "r", s.mean[0]);
            field(m, "g", s.mean[1]);
            field(m, "b", s.mean[2]);
            field(m, "hue_deg", s.hue_deg);
            field(m, "saturation", s.saturation);
        }
        field(m, "pixels", (double)s.n);
        break;
    }
    case DX_RULES_M_FLUORESCENCE: {
        dx_reg_rect sub;
        dx_measure_fluorescence f;
        if ((st = substrate_rect(in, &r, other, &sub, err)) != DX_OK ||
            (st = dx_measure_fluorescence_of(im, r.rect, sub, &f, err)) != DX_OK)
            break;
        m->value = f.peak_contrast;
        field(m, "peak_contrast", f.peak_contrast);
        field(m, "contrast", f.contrast);
        field(m, "glow_fraction", f.glow_fraction);
        field(m, "hue_deg", f.hue_deg);
        field(m, "region_mean", f.region_mean);
        field(m, "substrate_mean", f.substrate_mean);
        break;
    }
    case DX_RULES_M_ABSORPTION: {
        const dx_reg_image *white = NULL;
        dx_measure_absorption a;
        dx_error e = {0};
        if (dx_ins_page(in, r.side, "white", &white, &e) != DX_OK)
            white = NULL; /* dark_fraction alone */
        if ((st = dx_measure_ir_absorption(im, white, r.rect, &a, err)) != DX_OK)
            break;
        m->value = white ? a.absorption : a.dark_fraction;
        field(m, "absorption", a.absorption);
        field(m, "ink_fraction", a.ink_fraction);
        field(m, "dark_fraction", a.dark_fraction);
        field(m, "ir_ink_mean", a.ir_ink_mean);
        field(m, "ir_paper_mean", a.ir_paper_mean);
        field(m, "with_white", white ? 1 : 0);
        break;
    }
    case DX_RULES_M_SIMILARITY:
        st = measure_similarity(in, &r, im, other, m, err);
        break;
    case DX_RULES_M_FIBRES: {
        dx_measure_fibres f;
        if ((st = dx_measure_fibres_of(im, r.rect, &f, err)) != DX_OK)
            break;
        m->value = f.count;
        field(m, "components", f.components);
        field(m, "candidate_fraction", f.candidate_fraction);
        break;
    }
    case DX_RULES_M_SHARPNESS: {
        dx_measure_sharpness s;
        if ((st = dx_measure_sharpness_of(im, r.rect, &s, err)) != DX_OK)
            break;
        m->value = s.laplacian_var;
        field(m, "laplacian_var", s.laplacian_var);
        field(m, "gradient_energy", s.gradient_energy);
        break;
    }
    case DX_RULES_M_BRIGHT_FRACTION: {
        /* bright against the region's own paper (its median): the light
         * falls off towards the corners (vignetting) for hole and paper alike */
        dx_measure_stats ps;
        double level;
        if ((st = dx_measure_stats_of(im, r.rect, &ps, err)) != DX_OK)
            break;
        level = ps.p50[DX_MEASURE_L] + fmax(BRIGHT_MIN_STEP, BRIGHT_SHARE * (255 - ps.p50[DX_MEASURE_L]));
        st = dx_measure_fraction(im, r.rect, level, 1, &m->value, err);
        if (st == DX_OK) {
            field(m, "level", level);
            field(m, "paper", ps.p50[DX_MEASURE_L]);
        }
        break;
    }
    case DX_RULES_M_SURROUND: {
        dx_measure_surround s;
        if ((st = dx_measure_against_surround(im, r.rect, RING_MM, &s, err)) != DX_OK)
            break;
        m->value = s.absorption;
        field(m, "absorption", s.absorption);
        field(m, "difference", s.difference);
        field(m, "contrast", s.contrast);
        field(m, "mean_region", s.mean_region);
        field(m, "mean_ring", s.mean_ring);
        field(m, "ring_mm", RING_MM);
        break;
    }
    case DX_RULES_M_VIZ: {
        dx_viz_match vm;
        const dx_viz_field *f;
        if (!r.is_viz) {
            st = dx_error_set(err, DX_ERR_INVALID_ARG, "viz() measures a viz.<field> region");
            break;
        }
        f = viz_field(in, r.feature + 4);
        const viz_pre *pre = in->viz_pre ? &((const viz_pre *)in->viz_pre)[f - (const dx_viz_field *)in->viz] : NULL;
        if (pre && pre->page == im) { /* made ahead, on every core */
            if ((st = pre->st) != DX_OK) {
                dx_error_set(err, st, "%s", pre->error);
                break;
            }
            vm = pre->vm;
        } else if ((st = dx_viz_compare(f, im, VIZ_SHIFT_MM, &vm, err)) != DX_OK) {
            break;
        }
        m->value = vm.min_segment;
        field(m, "score", vm.score);
        field(m, "min_segment", vm.min_segment);
        field(m, "dx_mm", vm.dx_mm);
        field(m, "dy_mm", vm.dy_mm);
        break;
    }
    default:
        st = dx_error_set(err, DX_ERR_UNSUPPORTED, "%s", dx_rules_measure_str(what));
    }
    in->t_measure += dx_ins_now_ms() - t0;
    return st;
}

static json_t *document(void *user, const char *part)
{
    dx_inspection *in = user;
    if (strcmp(part, "specimen") == 0)
        return in->j_specimen;
    if (strcmp(part, "mrz") == 0)
        return in->j_mrz;
    if (strcmp(part, "chip") == 0)
        return in->j_chip;
    if (strcmp(part, "inspection") == 0)
        return in->j_inspection;
    return NULL;
}

static bool capture(void *user, const char *light, dx_rules_capture_info *out)
{
    dx_inspection *in = user;
    for (size_t s = 0; s < in->n_sides; s++) {
        ins_light *l = dx_ins_light(in, s, light);
        if (l) {
            out->dpi = l->dpi;
            out->width = l->png.view.width ? (int)l->png.view.width : 0;
            out->height = l->png.view.height ? (int)l->png.view.height : 0;
            dx_strlcpy(out->sha256, l->sha256, sizeof out->sha256);
            return true;
        }
    }
    return false;
}

void dx_ins_provider(dx_inspection *in, dx_rules_provider *p)
{
    memset(p, 0, sizeof *p);
    p->user = in;
    p->document = document;
    p->capture = capture;
    p->measure = measure;
}
