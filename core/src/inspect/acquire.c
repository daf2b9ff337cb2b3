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

static dx_status read_whole(const char *path, uint8_t **data, size_t *len, dx_error *err)
{
    dx_status st;
    FILE *f = dx_file_open_regular(path, &st, err);
    struct stat sb;
    *data = NULL;
    if (!f)
        return st;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0 || (size_t)sb.st_size > MAX_CAPTURE_BYTES) {
        fclose(f);
        return dx_error_set(err, DX_ERR_DATA, "%s: larger than %zu MB", path, MAX_CAPTURE_BYTES >> 20);
    }
    *len = (size_t)sb.st_size;
    if (!(*data = malloc(*len ? *len : 1))) {
        fclose(f);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    if (fread(*data, 1, *len, f) != *len) {
        free(*data);
        *data = NULL;
        fclose(f);
        return dx_error_set(err, DX_ERR_IO, "%s: read error", path);
    }
    fclose(f);
    return DX_OK;
}

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

/* Copy the captures of set `src` into CASE/<sub> (sub "capture" or
 * "capture/back") with a capture.json of their SHA-256s; the side's lights. */
static dx_status copy_set(dx_inspection *in, const char *src, const char *sub, ins_side *side,
                          dx_error *err)
{
    dx_capture_set *set = NULL;
    dx_manifest m;
    char dir[4300];
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
    for (size_t i = 0; i < set->n && side->n_lights < INS_MAX_LIGHTS; i++) {
        const dx_capture_entry *e = &set->entries[i];
        const dx_illumination *il = dx_illumination_find(e->illumination);
        ins_light *l = &side->lights[side->n_lights];
        dx_capture_record r;
        uint8_t *data = NULL;
        size_t len = 0;
        char name[64], rel[256];
        if (!il) {
            dx_log(DX_CAT_INSPECT, DX_LOG_WARNING, "%s: illumination %s is not a standard one: skipped",
                   e->path, e->illumination);
            continue;
        }
        dx_ins_fmt(name, sizeof name, "%s.png", e->illumination);
        dx_ins_fmt(rel, sizeof rel, "%s/%s", sub, name);
        light_init(l, in->case_dir, rel, e->illumination);
        double t0 = dx_ins_now_ms();
        if ((st = read_whole(e->path, &data, &len, err)) != DX_OK)
            goto done;
        /* durable with the rest of the case, before findings.json (dx_fs_sync) */
        st = dx_file_write_atomic_deferred(dir, name, data, len, l->sha256, err);
        if (st != DX_OK) {
            free(data);
            goto done;
        }
        if (e->sha256[0] && strcmp(e->sha256, l->sha256) != 0) {
            free(data);
            st = dx_error_set(err, DX_ERR_DATA, "%s: SHA-256 %s differs from %s recorded in the set: "
                              "the file changed while it was copied", e->path, l->sha256, e->sha256);
            goto done;
        }
        l->dpi = e->dpi;
        memset(&r, 0, sizeof r);
        /* the header says what the manifest records; the pixels are decoded
         * later, on every core (dx_ins_prepare) */
        if (!png_header(data, len, &r)) {
            free(data);
            st = dx_error_set(err, DX_ERR_DATA, "%s: not a PNG image (no valid IHDR header)", e->path);
            goto done;
        }
        free(data);
        in->t_load += dx_ins_now_ms() - t0;
        r.illum = *il;
        dx_strlcpy(r.file, name, sizeof r.file);
        r.dpi = (uint32_t)lround(l->dpi);
        r.timestamp_us = r.host_time_us = dx_now_us();
        r.exposure_us = -1;
        r.bytes = len;
        memcpy(r.sha256, l->sha256, sizeof r.sha256);
        if ((st = dx_manifest_add_capture(&m, &r)) != DX_OK) {
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

dx_status dx_ins_acquire_device(dx_inspection *in, dx_host *host, json_t *warnings, dx_error *err)
{
    const char *lights[DX_SPECIMEN_MAX_ILLUMINATIONS + 1] = {NULL};
    dx_capture_options co;
    dx_capture_set *set = NULL;
    char dir[4300];
    dx_status st, cst;
    dx_error ce = {0};
    dx_ins_fmt(dir, sizeof dir, "%s/capture", in->case_dir);
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
    dx_ins_progress(in, "capture", "%s: capturing %s", in->o->device,
             in->spec ? "the specimen's lights" : "every light the device offers");
    cst = dx_capture_set_write(host, &co, capture_progress, in, &ce);
    if (cst != DX_OK)
        json_array_append_new(warnings, json_sprintf("capture: %s", ce.message));
    if ((st = dx_capture_set_open(dir, &set, err)) != DX_OK) {
        if (cst != DX_OK)
            return dx_error_set(err, cst, "%s", ce.message);
        return st;
    }
    ins_side *side = &in->sides[0];
    dx_strlcpy(side->dir, dir, sizeof side->dir);
    dx_strlcpy(side->name, "front", sizeof side->name);
    for (size_t i = 0; i < set->n && side->n_lights < INS_MAX_LIGHTS; i++) {
        const dx_capture_entry *e = &set->entries[i];
        ins_light *l = &side->lights[side->n_lights++];
        char rel[256];
        const char *base = strrchr(e->path, '/');
        dx_ins_fmt(rel, sizeof rel, "capture/%s", base ? base + 1 : e->path);
        light_init(l, in->case_dir, rel, e->illumination);
        memcpy(l->sha256, e->sha256, sizeof l->sha256);
        l->dpi = e->dpi;
    }
    dx_capture_set_close(set);
    in->n_sides = 1;
    if (side->n_lights == 0)
        return dx_error_set(err, cst != DX_OK ? cst : DX_ERR_NOT_FOUND, "%s: nothing captured%s%s",
                            in->o->device, cst != DX_OK ? ": " : "", cst != DX_OK ? ce.message : "");
    if (dx_ins_interrupted(in))
        return dx_error_set(err, DX_ERR_CANCELLED, "interrupted after the capture");
    return DX_OK;
}

