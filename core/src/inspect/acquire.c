/* Acquisition: a capture set, scene or earlier case copied into the case
 * directory (--from), or a capture set taken on a device (--device); each
 * side's lights with their SHA-256. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/manifest.h"
#include "host/host_internal.h"
#include "inspect/inspect_internal.h"

/* The largest capture file copied into a case (a 1200 dpi 16-bit RGB page is
 * about 200 MB uncompressed). */
#define MAX_CAPTURE_BYTES ((size_t)512 * 1024 * 1024)

/* Size, depth and channels from a PNG's IHDR (the pixels as dx_png_load
 * gives them: palette expanded to RGB, alpha dropped); false when the bytes
 * do not start with a PNG signature and a valid IHDR. */
static bool png_header(const uint8_t *d, size_t len, dx_capture_record *r)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len < 33 || memcmp(d, sig, 8) != 0 || memcmp(d + 12, "IHDR", 4) != 0)
        return false;
    r->width = (uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 | (uint32_t)d[18] << 8 | d[19];
    r->height = (uint32_t)d[20] << 24 | (uint32_t)d[21] << 16 | (uint32_t)d[22] << 8 | d[23];
    unsigned depth = d[24], type = d[25];
    if (!r->width || !r->height || (type != 0 && type != 2 && type != 3 && type != 4 && type != 6) ||
        (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16))
        return false;
    r->channels = type == 0 || type == 4 ? 1 : 3;
    r->bit_depth = depth == 16 && type != 3 ? 16 : 8;
    r->pixel_format = r->channels == 1 ? (r->bit_depth == 16 ? "GRAY16" : "GRAY8")
                                       : (r->bit_depth == 16 ? "RGB48" : "RGB24");
    return true;
}

static void light_init(ins_light *l, const char *case_dir, const char *rel, const char *name)
{
    const dx_illumination *il = dx_illumination_find(name);
    memset(l, 0, sizeof *l);
    dx_strlcpy(l->name, name, sizeof l->name);
    dx_strlcpy(l->rel, rel, sizeof l->rel);
    dx_ins_fmt(l->path, sizeof l->path, "%s/%s", case_dir, rel);
    l->transmitted = il && il->geometry == DX_GEOMETRY_TRANSMITTED;
}

/* One capture of a set copied into the case (any thread: touches only c). */
typedef struct copy_job {
    const dx_capture_entry *e;
    const char *dir;           /* CASE/<sub> */
    char name[64];
    char sha256[65];
    size_t len;
    dx_capture_record r;       /* from the header */
    dx_status st;
    dx_error err;
} copy_job;

static void copy_one(void *arg, size_t i)
{
    copy_job *c = &((copy_job *)arg)[i];
    uint8_t *data = NULL;
    if ((c->st = dx_file_read(c->e->path, MAX_CAPTURE_BYTES, &data, &c->len, &c->err)) != DX_OK)
        return;
    /* durable with the rest of the case, before findings.json (dx_fs_sync) */
    c->st = dx_file_write_atomic_deferred(c->dir, c->name, data, c->len, c->sha256, &c->err);
    if (c->st == DX_OK && c->e->sha256[0] && strcmp(c->e->sha256, c->sha256) != 0)
        c->st = dx_error_set(&c->err, DX_ERR_DATA,
                             "%s: SHA-256 %s differs from %s recorded in the set: the file changed "
                             "while it was copied", c->e->path, c->sha256, c->e->sha256);
    /* the header says what the manifest records; the pixels are decoded
     * later, on every core (dx_ins_prepare) */
    if (c->st == DX_OK && !png_header(data, c->len, &c->r))
        c->st = dx_error_set(&c->err, DX_ERR_DATA, "%s: not a PNG image (no valid IHDR header)",
                             c->e->path);
    free(data);
}

/* Copy the captures of set `src` into CASE/<sub> (sub "capture" or
 * "capture/back") with a capture.json of their SHA-256s; the side's lights.
 * The files are copied and hashed on every core; the first failure in the
 * set's order is the one reported. */
static dx_status copy_set(dx_inspection *in, const char *src, const char *sub, ins_side *side,
                          dx_error *err)
{
    dx_capture_set *set = NULL;
    dx_manifest m;
    char dir[4300];
    copy_job jobs[INS_MAX_LIGHTS];
    size_t n = 0;
    dx_status st;
    memset(&m, 0, sizeof m);
    if ((st = dx_capture_set_open(src, &set, err)) != DX_OK)
        return st;
    dx_ins_fmt(dir, sizeof dir, "%s/%s", in->case_dir, sub);
    if ((st = dx_mkdir_p(dir, err)) != DX_OK)
        goto done;
    dx_strlcpy(side->dir, dir, sizeof side->dir);
    dx_ins_fmt(m.device_id, sizeof m.device_id, "files:%s", set->dir);
    dx_ins_fmt(m.settings, sizeof m.settings, "copied from %.400s", set->dir);
    m.started_us = dx_now_us();
    for (size_t i = 0; i < set->n && side->n_lights + n < INS_MAX_LIGHTS; i++) {
        const dx_capture_entry *e = &set->entries[i];
        if (!dx_illumination_find(e->illumination)) {
            dx_log(DX_CAT_INSPECT, DX_LOG_WARNING, "%s: illumination %s is not a standard one: skipped",
                   e->path, e->illumination);
            continue;
        }
        copy_job *c = &jobs[n++];
        memset(c, 0, sizeof *c);
        c->e = e, c->dir = dir;
        dx_ins_fmt(c->name, sizeof c->name, "%s.png", e->illumination);
    }
    double t0 = dx_ins_now_ms();
    dx_ins_parallel(n, copy_one, jobs);
    in->t_load += dx_ins_now_ms() - t0;
    for (size_t k = 0; k < n; k++) {
        copy_job *c = &jobs[k];
        ins_light *l = &side->lights[side->n_lights];
        dx_capture_record *r = &c->r;
        char rel[256];
        if ((st = c->st) != DX_OK) {
            dx_error_set(err, st, "%s", c->err.message);
            goto done;
        }
        dx_ins_fmt(rel, sizeof rel, "%s/%s", sub, c->name);
        light_init(l, in->case_dir, rel, c->e->illumination);
        memcpy(l->sha256, c->sha256, sizeof l->sha256);
        l->dpi = c->e->dpi;
        r->illum = *dx_illumination_find(c->e->illumination);
        dx_strlcpy(r->file, c->name, sizeof r->file);
        r->dpi = (uint32_t)lround(l->dpi);
        r->timestamp_us = r->host_time_us = dx_now_us();
        r->exposure_us = -1;
        r->bytes = c->len;
        memcpy(r->sha256, l->sha256, sizeof r->sha256);
        if ((st = dx_manifest_add_capture(&m, r)) != DX_OK) {
            st = dx_error_set(err, st, "out of memory");
            goto done;
        }
        side->n_lights++;
    }
    m.finished_us = dx_now_us();
    if (side->n_lights == 0) {
        st = dx_error_set(err, DX_ERR_NOT_FOUND, "%s: no capture under a standard light", set->dir);
        goto done;
    }
    st = dx_manifest_write(&m, dir, err);
done:
    dx_manifest_clear(&m);
    dx_capture_set_close(set);
    return st;
}

static bool is_set_dir(const char *dir)
{
    char p[4300];
    struct stat sb;
    dx_ins_fmt(p, sizeof p, "%s/capture.json", dir);
    if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
        return true;
    dx_ins_fmt(p, sizeof p, "%s/scene.json", dir);
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The first side is the directory itself, a second one a subdirectory that
 * is a set of its own (a card's back: DIR/back). */
dx_status dx_ins_acquire_dir(dx_inspection *in, dx_error *err)
{
    dx_status st;
    char base[4300], sub[4300];
    DIR *d;
    struct dirent *e;
    char second[256] = "";
    /* a capture set or scene, or an earlier case directory (CASE/capture) */
    dx_ins_fmt(base, sizeof base, "%s", in->o->from_dir);
    if (!is_set_dir(base)) {
        dx_ins_fmt(sub, sizeof sub, "%s/capture", in->o->from_dir);
        if (is_set_dir(sub))
            dx_ins_fmt(base, sizeof base, "%s", sub);
    }
    if ((st = copy_set(in, base, "capture", &in->sides[0], err)) != DX_OK)
        return st;
    dx_strlcpy(in->sides[0].name, "front", sizeof in->sides[0].name);
    in->n_sides = 1;
    if ((d = opendir(base))) {
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || strcmp(e->d_name, "chip") == 0 ||
                strcmp(e->d_name, "capture") == 0 || strlen(e->d_name) >= 64)
                continue;
            dx_ins_fmt(sub, sizeof sub, "%s/%s", base, e->d_name);
            if (is_set_dir(sub) && (!second[0] || strcmp(e->d_name, second) < 0))
                dx_strlcpy(second, e->d_name, sizeof second);
        }
        closedir(d);
    }
    if (second[0]) {
        char rel[300];
        dx_ins_fmt(sub, sizeof sub, "%s/%s", base, second);
        dx_ins_fmt(rel, sizeof rel, "capture/%s", second);
        if ((st = copy_set(in, sub, rel, &in->sides[1], err)) != DX_OK)
            return st;
        dx_strlcpy(in->sides[1].name, second, sizeof in->sides[1].name);
        in->n_sides = 2;
    }
    return DX_OK;
}

static void capture_progress(const char *illumination, const char *file, dx_status status,
                             const char *message, void *user)
{
    dx_inspection *in = user;
    if (status == DX_OK)
        dx_ins_progress(in, "capture", "%s -> %s", illumination, file ? file : "");
    else
        dx_ins_progress(in, "capture", "%s failed: %s", illumination, message ? message : "");
}

/* Capture side in->n_sides (named `name`) into CASE/capture (the first) or
 * CASE/capture/<name>: the specimen's lights, else every light the device
 * offers.  A light that failed is a warning; nothing captured is an error. */
static dx_status capture_side(dx_inspection *in, dx_host *host, const char *name, json_t *warnings,
                              dx_error *err)
{
    const char *lights[DX_SPECIMEN_MAX_ILLUMINATIONS + 1] = {NULL};
    dx_capture_options co;
    dx_capture_set *set = NULL;
    char dir[4300], sub[300];
    dx_status st, cst;
    dx_error ce = {0};
    size_t s = in->n_sides;
    if (s >= INS_MAX_SIDES)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "side %s: a document has at most %d sides",
                            name, INS_MAX_SIDES);
    if (s == 0)
        dx_ins_fmt(sub, sizeof sub, "capture");
    else
        dx_ins_fmt(sub, sizeof sub, "capture/%s", name);
    dx_ins_fmt(dir, sizeof dir, "%s/%s", in->case_dir, sub);
    memset(&co, 0, sizeof co);
    co.device = in->o->device;
    co.device_settings = in->o->device_settings;
    co.out_dir = dir;
    co.png_compression = -1;
    co.interrupt = in->o->interrupt;
    if (in->spec) { /* the lights the specimen is examined under */
        const dx_specimen_info *si = dx_specimen_info_get(in->spec);
        for (size_t i = 0; i < si->n_illuminations && i < DX_SPECIMEN_MAX_ILLUMINATIONS; i++)
            lights[i] = si->illuminations[i];
        co.illuminations = lights;
    }
    dx_ins_progress(in, "capture", "%s: capturing %s%s%s", in->o->device,
                    in->spec ? "the specimen's lights" : "every light the device offers",
                    s ? ", side " : "", s ? name : "");
    cst = dx_capture_set_write(host, &co, capture_progress, in, &ce);
    if (cst != DX_OK)
        json_array_append_new(warnings, s ? json_sprintf("capture of side %s: %s", name, ce.message)
                                          : json_sprintf("capture: %s", ce.message));
    if ((st = dx_capture_set_open(dir, &set, err)) != DX_OK) {
        if (cst != DX_OK)
            return dx_error_set(err, cst, "%s", ce.message);
        return st;
    }
    ins_side *side = &in->sides[s];
    memset(side, 0, sizeof *side);
    dx_strlcpy(side->dir, dir, sizeof side->dir);
    dx_strlcpy(side->name, name, sizeof side->name);
    for (size_t i = 0; i < set->n && side->n_lights < INS_MAX_LIGHTS; i++) {
        const dx_capture_entry *e = &set->entries[i];
        ins_light *l = &side->lights[side->n_lights++];
        char rel[256];
        const char *base = strrchr(e->path, '/');
        dx_ins_fmt(rel, sizeof rel, "%s/%s", sub, base ? base + 1 : e->path);
        light_init(l, in->case_dir, rel, e->illumination);
        memcpy(l->sha256, e->sha256, sizeof l->sha256);
        l->dpi = e->dpi;
    }
    dx_capture_set_close(set);
    if (side->n_lights == 0)
        return dx_error_set(err, cst != DX_OK ? cst : DX_ERR_NOT_FOUND, "%s: nothing captured%s%s%s%s",
                            in->o->device, s ? " of side " : "", s ? name : "",
                            cst != DX_OK ? ": " : "", cst != DX_OK ? ce.message : "");
    in->n_sides = s + 1;
    if (dx_ins_interrupted(in))
        return dx_error_set(err, DX_ERR_CANCELLED, "interrupted after the capture");
    return DX_OK;
}

dx_status dx_ins_acquire_device(dx_inspection *in, dx_host *host, json_t *warnings, dx_error *err)
{
    in->n_sides = 0;
    return capture_side(in, host, "front", warnings, err);
}

/* A side name as a directory name: [a-z0-9_-], else "back". */
static const char *side_dir_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= sizeof ((ins_side *)0)->name || strcmp(name, "capture") == 0 ||
        strcmp(name, "chip") == 0)
        return "back";
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_' || name[i] == '-'))
            return "back";
    return name;
}

dx_status dx_ins_acquire_back(dx_inspection *in, dx_host *host, const char *name, const char *why,
                              json_t *warnings, dx_error *err)
{
    dx_status st;
    dx_error e = {0};
    name = side_dir_name(name);
    if (in->o->sides == DX_INSPECT_SIDES_FRONT) {
        json_array_append_new(warnings, json_sprintf("side %s was not captured (the front only was "
                                                     "asked for), although %s", name, why));
        dx_ins_progress(in, "capture", "side %s not captured: the front only was asked for", name);
        return DX_OK;
    }
    dx_ins_progress(in, "capture", "side %s next (%s): the document must be turned over", name, why);
    if (in->o->turn_over && in->o->turn_over(name, in->o->turn_over_user) != 0) {
        if (dx_ins_interrupted(in))
            return dx_error_set(err, DX_ERR_CANCELLED, "interrupted before side %s was captured", name);
        json_array_append_new(warnings, json_sprintf("side %s was not captured: the operator did not "
                                                     "turn the document over; only the front is "
                                                     "inspected, although %s", name, why));
        dx_ins_progress(in, "capture", "side %s not captured: the operator stopped at one side", name);
        return DX_OK;
    }
    if (dx_ins_interrupted(in))
        return dx_error_set(err, DX_ERR_CANCELLED, "interrupted before side %s was captured", name);
    st = capture_side(in, host, name, warnings, &e);
    if (st == DX_ERR_CANCELLED)
        return dx_error_set(err, st, "side %s: %s", name, e.message);
    if (st != DX_OK) {
        /* the front is there: inspect it, and say why the back is not */
        json_array_append_new(warnings, json_sprintf("side %s was not captured: %s", name, e.message));
        dx_ins_progress(in, "capture", "side %s not captured: %s", name, e.message);
    }
    return DX_OK;
}

/* ---- was the document turned over? ---------------------------------------- */

/* The side check compares at this resolution: the page's layout, not its print. */
#define SIDE_CHECK_DPI 50.0
/* The second capture is taken for the first side when it resembles the
 * first side's reference by this much more than the second side's (NCC). */
#define SIDE_CHECK_MARGIN 0.15

/* The image turned by 180 degrees, in place (the same page rectangle). */
static void turn_half(dx_reg_image *im)
{
    size_t n = (size_t)im->w * (size_t)im->h, ch = (size_t)im->ch;
    for (size_t i = 0, j = n - 1; i < j; i++, j--)
        for (size_t c = 0; c < ch; c++) {
            float t = im->px[i * ch + c];
            im->px[i * ch + c] = im->px[j * ch + c];
            im->px[j * ch + c] = t;
        }
}

/* NCC of the low-resolution page `low` (either way up) with a reference. */
static double side_ncc(dx_reg_image *low, const dx_reg_image *ref, dx_reg_rect inner)
{
    dx_measure_similarity sm;
    dx_error e = {0};
    double best = -2;
    for (int k = 0; k < 2; k++) {
        if (dx_measure_similarity_of(low, inner, ref, inner, 1.0, &sm, &e) == DX_OK && sm.ncc > best)
            best = sm.ncc;
        turn_half(low); /* twice: as it was */
    }
    return best;
}

void dx_ins_check_sides(dx_inspection *in, json_t *warnings)
{
    const dx_reg_image *ref0, *ref1;
    dx_reg_image low = {0};
    dx_error e = {0};
    ins_light *l;
    if (!in->spec || in->n_sides < 2 || dx_specimen_info_get(in->spec)->n_sides < 2 ||
        !(l = dx_ins_light(in, 1, "white")))
        return;
    /* the references, and side 2's registration, are needed by the rules too:
     * made once, kept */
    if (dx_ins_reference(in, 0, "white", &ref0, NULL, NULL, &e) != DX_OK ||
        dx_ins_reference(in, 1, "white", &ref1, NULL, NULL, &e) != DX_OK ||
        dx_ins_register(in, 1, &e) != DX_OK || dx_ins_light_load(in, l, &e) != DX_OK ||
        dx_reg_resample(&l->png.view, &in->sides[1].t, SIDE_CHECK_DPI, NULL, &low, &e) != DX_OK) {
        dx_log(DX_CAT_INSPECT, DX_LOG_INFO, "side check not made: %s", e.message);
        dx_reg_image_free(&low);
        return;
    }
    dx_reg_rect inner = {5, 5, in->page_w_mm - 10, in->page_h_mm - 10};
    double as0 = side_ncc(&low, ref0, inner), as1 = side_ncc(&low, ref1, inner);
    dx_reg_image_free(&low);
    dx_log(DX_CAT_INSPECT, DX_LOG_INFO, "side check: %s under white resembles side %s's reference "
           "by NCC %.3f, side %s's by %.3f", l->rel, in->sides[0].name, as0, in->sides[1].name, as1);
    if (as0 > as1 + SIDE_CHECK_MARGIN) {
        json_array_append_new(warnings, json_sprintf("the second capture looks like side %s: was the "
                                                     "document turned over? (%s under white: NCC %.2f "
                                                     "with side %s's reference, %.2f with side %s's)",
                                                     in->sides[0].name, l->rel, as0, in->sides[0].name,
                                                     as1, in->sides[1].name));
        dx_ins_progress(in, "capture", "the second capture looks like side %s: was the document "
                        "turned over?", in->sides[0].name);
    }
}
