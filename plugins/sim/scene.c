/* sim — scenes: scene.json plus one <illumination>.png per light.
 *
 * A scene is read in two steps: sim_scene_load() at open() parses the manifest
 * and every PNG header (enough for get_frame_format()); sim_light_decode()
 * decodes a light's pixels on its first capture and keeps them. */
#include "sim.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SIM_SCENE_FORMAT "docex.scene/1"

static const struct {
    const char *name;
    uint32_t lo, hi;
    dx_geometry geometry;
    const char *description;
} std_illums[] = {
#define X(e, n, lo, hi, geom, desc) {n, lo, hi, geom, desc},
    DX_ILLUMINATIONS(X)
#undef X
};

static int std_index(const char *name)
{
    for (size_t i = 0; i < sizeof std_illums / sizeof std_illums[0]; i++)
        if (strcmp(std_illums[i].name, name) == 0)
            return (int)i;
    return -1;
}

static char *str_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static char *path_join(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + 1 + strlen(name) + strlen(ext) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", dir, name, ext);
    return p;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= DX_ILLUM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* ---- PNG ----------------------------------------------------------------- */

typedef struct png_err {
    const dxp_host *host;
    char message[200];
} png_err;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_err *e = png_get_error_ptr(png);
    snprintf(e->message, sizeof e->message, "%s", msg ? msg : "libpng error");
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    png_err *e = png_get_error_ptr(png);
    dxp_log(e->host, DXP_LOG_DEBUG, "libpng: %s", msg ? msg : "");
}

/* Sets up the read transforms that turn any PNG into GRAY8, GRAY16 (LE) or
 * RGB24; returns the resulting format.  Must run inside the setjmp scope. */
static dxp_pixel_format png_setup_transforms(png_structp png, png_infop info, bool *reduced)
{
    int ct = png_get_color_type(png, info);
    int bd = png_get_bit_depth(png, info);
    dxp_pixel_format fmt;

    *reduced = false;
    if (ct == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
        fmt = DXP_PIXEL_RGB24;
    } else if (ct == PNG_COLOR_TYPE_GRAY || ct == PNG_COLOR_TYPE_GRAY_ALPHA) {
        if (bd < 8)
            png_set_expand_gray_1_2_4_to_8(png);
        fmt = bd == 16 ? DXP_PIXEL_GRAY16 : DXP_PIXEL_GRAY8;
    } else {
        fmt = DXP_PIXEL_RGB24;
    }
    if (ct & PNG_COLOR_MASK_ALPHA || ct == PNG_COLOR_TYPE_PALETTE)
        png_set_strip_alpha(png);
    if (bd == 16) {
        if (fmt == DXP_PIXEL_GRAY16) {
            png_set_swap(png); /* PNG is big-endian, GRAY16 is little-endian */
        } else {
            png_set_scale_16(png);
            *reduced = true;
        }
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    return fmt;
}

/* Every chunk's declared length stays inside the file, up to IEND (up to
 * the first IDAT when not `whole`: opening a scene reads only the header, a
 * truncated image fails when it is captured); the file is left just after
 * the signature.  libpng allocates a chunk's buffer
 * from its declared length before reading it (1.2 GB asked for by a 56-byte
 * file: tests/fuzz/corpus/png/huge-chunk-length.png). */
static bool chunks_fit(FILE *fp, bool whole, char *msg, size_t size)
{
    struct stat sb;
    uint64_t pos = 8;
    uint8_t h[8];
    if (fstat(fileno(fp), &sb) != 0) {
        snprintf(msg, size, "cannot examine the file: %s", strerror(errno));
        return false;
    }
    for (;;) {
        if (fseek(fp, (long)pos, SEEK_SET) != 0 || fread(h, 1, 8, fp) != 8) {
            snprintf(msg, size, "truncated at byte %llu (no IEND)", (unsigned long long)pos);
            return false;
        }
        uint64_t n = (uint64_t)h[0] << 24 | (uint64_t)h[1] << 16 | (uint64_t)h[2] << 8 | h[3];
        if (!whole && memcmp(h + 4, "IDAT", 4) == 0)
            break; /* the header's read ends here; the image data is streamed */
        if (pos + 12 + n > (uint64_t)sb.st_size) {
            char type[5] = "????";
            for (int k = 0; k < 4; k++)
                if ((h[4 + k] >= 'A' && h[4 + k] <= 'Z') || (h[4 + k] >= 'a' && h[4 + k] <= 'z'))
                    type[k] = (char)h[4 + k];
            snprintf(msg, size, "chunk %s at byte %llu: %llu bytes, past the end of the file", type,
                     (unsigned long long)pos, (unsigned long long)n);
            return false;
        }
        if (memcmp(h + 4, "IEND", 4) == 0)
            break;
        pos += 12 + n;
    }
    return fseek(fp, 8, SEEK_SET) == 0;
}

/* Reads the header of light->path (and, when `decode`, the pixels). */
static dx_status png_read_light(const dxp_host *host, sim_light *light, bool decode)
{
    png_err err = {host, ""};
    png_structp png = NULL;
    png_infop info = NULL;
    FILE *volatile fp = NULL;
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    uint8_t sig[8];
    dx_status st = DX_ERR_DATA;

    fp = fopen(light->path, "rb");
    if (!fp) {
        dxp_log(host, DXP_LOG_ERROR, "%s: cannot open: %s", light->path, strerror(errno));
        st = errno == ENOENT ? DX_ERR_NOT_FOUND : DX_ERR_IO;
        goto fail;
    }
    if (fread(sig, 1, sizeof sig, fp) != sizeof sig || png_sig_cmp(sig, 0, sizeof sig) != 0) {
        snprintf(err.message, sizeof err.message, "not a PNG file (bad signature)");
        goto fail_logged;
    }
    if (!chunks_fit(fp, decode, err.message, sizeof err.message))
        goto fail_logged;
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, png_on_error, png_on_warning);
    if (png)
        info = png_create_info_struct(png);
    if (!png || !info) {
        st = DX_ERR_NO_MEMORY;
        goto fail;
    }
    if (setjmp(png_jmpbuf(png)))
        goto fail_logged;
    png_set_user_limits(png, SIM_MAX_SIDE, SIM_MAX_SIDE);
    png_init_io(png, fp);
    png_set_sig_bytes(png, sizeof sig);
    png_read_info(png, info);

    uint32_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int ct = png_get_color_type(png, info), bd = png_get_bit_depth(png, info);
    bool reduced;
    dxp_pixel_format fmt = png_setup_transforms(png, info, &reduced);
    uint32_t bpp = dxp_pixel_size(fmt);

    if (w == 0 || h == 0 || (uint64_t)w * h > SIM_MAX_PIXELS ||
        (size_t)w * h > SIM_MAX_BYTES / bpp) {
        snprintf(err.message, sizeof err.message,
                 "image size %ux%u out of range (at most %llu megapixels)", w, h,
                 (unsigned long long)(SIM_MAX_PIXELS / 1000000u));
        goto fail_logged;
    }
    if (png_get_rowbytes(png, info) != (size_t)w * bpp) {
        snprintf(err.message, sizeof err.message,
                 "unsupported layout (colour type %d, depth %d)", ct, bd);
        goto fail_logged;
    }
    if (!decode) {
        light->width = w;
        light->height = h;
        light->format = fmt;
        light->png_color_type = ct;
        light->png_bit_depth = bd;
        if (reduced)
            dxp_log(host, DXP_LOG_INFO, "%s: 16-bit colour reduced to 8-bit RGB", light->path);
        st = DX_OK;
        goto done;
    }
    if (w != light->width || h != light->height || fmt != light->format) {
        snprintf(err.message, sizeof err.message, "file changed since the scene was opened");
        goto fail_logged;
    }
    size_t stride = (size_t)w * bpp;
    pixels = malloc(stride * h);
    rows = malloc(sizeof *rows * h);
    if (!pixels || !rows) {
        st = DX_ERR_NO_MEMORY;
        goto fail;
    }
    for (uint32_t y = 0; y < h; y++)
        rows[y] = pixels + stride * y;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    light->pixels = pixels;
    pixels = NULL;
    st = DX_OK;
    goto done;

fail_logged:
    dxp_log(host, DXP_LOG_ERROR, "%s: malformed PNG: %s", light->path, err.message);
    st = DX_ERR_DATA;
fail:
done:
    if (png)
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    free(rows);
    free(pixels);
    if (fp)
        fclose(fp);
    return st;
}

dx_status sim_light_decode(const dxp_host *host, sim_light *light)
{
    if (light->pixels)
        return DX_OK;
    return png_read_light(host, light, true);
}

/* ---- scene.json ---------------------------------------------------------- */

typedef struct manifest_err {
    char text[256];
} manifest_err;

#define MERR(e, ...) (snprintf((e)->text, sizeof (e)->text, __VA_ARGS__), DX_ERR_DATA)

static dx_status parse_vendor(json_t *illums, const char *key, json_t *v, dxp_illumination *out,
                              char **desc_out, manifest_err *e)
{
    static const char *const geoms[] = DX_GEOMETRY_NAMES;
    json_t *band = json_object_get(v, "band_nm");
    json_t *geom = json_object_get(v, "geometry");
    json_t *desc = json_object_get(v, "description");

    if (!json_is_object(v))
        return MERR(e, "illuminations.%s: not an object", key);
    if (!json_is_array(band) || json_array_size(band) != 2 ||
        !json_is_integer(json_array_get(band, 0)) || !json_is_integer(json_array_get(band, 1)))
        return MERR(e, "illuminations.%s.band_nm: expected [lo, hi] in nm", key);
    json_int_t lo = json_integer_value(json_array_get(band, 0));
    json_int_t hi = json_integer_value(json_array_get(band, 1));
    if (lo < 1 || hi > 100000 || lo > hi)
        return MERR(e, "illuminations.%s.band_nm: [%lld, %lld] out of range", key,
                    (long long)lo, (long long)hi);
    if (!json_is_string(geom))
        return MERR(e, "illuminations.%s.geometry: expected a string", key);
    int g = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(json_string_value(geom), geoms[i]) == 0)
            g = i;
    if (g < 0)
        return MERR(e, "illuminations.%s.geometry: unknown \"%s\"", key, json_string_value(geom));
    if (desc && !json_is_string(desc))
        return MERR(e, "illuminations.%s.description: expected a string", key);
    (void)illums;
    out->band_lo_nm = (uint32_t)lo;
    out->band_hi_nm = (uint32_t)hi;
    out->geometry = (dx_geometry)g;
    *desc_out = NULL;
    if (desc) {
        *desc_out = str_dup(json_string_value(desc));
        if (!*desc_out)
            return DX_ERR_NO_MEMORY;
    }
    return DX_OK;
}

/* Checks the top-level keys that do not depend on the PNGs. */
static dx_status parse_top(json_t *root, sim_scene *scene, manifest_err *e)
{
    json_t *v;

    if (!json_is_object(root))
        return MERR(e, "top level is not an object");
    v = json_object_get(root, "format");
    if (v && (!json_is_string(v) || strcmp(json_string_value(v), SIM_SCENE_FORMAT) != 0))
        return MERR(e, "format: expected \"%s\"", SIM_SCENE_FORMAT);
    v = json_object_get(root, "dpi");
    if (!v)
        return MERR(e, "dpi: missing (required)");
    if (!json_is_integer(v) || json_integer_value(v) < 50 || json_integer_value(v) > 4800)
        return MERR(e, "dpi: expected an integer 50..4800");
    scene->dpi = (uint32_t)json_integer_value(v);
    v = json_object_get(root, "name");
    if (v && !json_is_string(v))
        return MERR(e, "name: expected a string");
    if (v && !(scene->name = str_dup(json_string_value(v))))
        return DX_ERR_NO_MEMORY;
    v = json_object_get(root, "page_mm");
    if (v) {
        json_t *w = json_object_get(v, "width"), *h = json_object_get(v, "height");
        if (!json_is_object(v) || !json_is_number(w) || !json_is_number(h) ||
            json_number_value(w) <= 0 || json_number_value(h) <= 0)
            return MERR(e, "page_mm: expected {\"width\": mm, \"height\": mm}, both > 0");
    }
    scene->background[0] = scene->background[1] = scene->background[2] = 40;
    v = json_object_get(root, "background");
    if (v) {
        if (!json_is_array(v) || json_array_size(v) != 3)
            return MERR(e, "background: expected [r, g, b]");
        for (size_t i = 0; i < 3; i++) {
            json_t *c = json_array_get(v, i);
            if (!json_is_integer(c) || json_integer_value(c) < 0 || json_integer_value(c) > 255)
                return MERR(e, "background[%zu]: expected an integer 0..255", i);
            scene->background[i] = (uint8_t)json_integer_value(c);
        }
    }
    v = json_object_get(root, "illuminations");
    if (v && !json_is_object(v))
        return MERR(e, "illuminations: expected an object");
    v = json_object_get(root, "exposure_us");
    if (v) {
        const char *k;
        json_t *x;
        if (!json_is_object(v))
            return MERR(e, "exposure_us: expected an object");
        json_object_foreach(v, k, x) {
            if (!json_is_integer(x) || json_integer_value(x) < 0 ||
                json_integer_value(x) > 3600000000LL)
                return MERR(e, "exposure_us.%s: expected an integer 0..3600000000", k);
        }
    }
    return DX_OK;
}

static dx_status add_light(const dxp_host *host, sim_scene *scene, const char *name,
                           const dxp_illumination *ill, char *desc, json_t *exposures)
{
    sim_light *l = &scene->lights[scene->n_lights];
    dxp_illumination *d = &scene->illums[scene->n_lights];
    json_t *x = exposures ? json_object_get(exposures, name) : NULL;
    dx_status st;

    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->exposure_us = x ? (int64_t)json_integer_value(x) : -1;
    if (!(l->path = path_join(scene->dir, name, ".png"))) {
        free(desc);
        return DX_ERR_NO_MEMORY;
    }
    scene->descriptions[scene->n_lights] = desc;
    *d = *ill;
    d->name = l->name;
    d->description = desc ? desc : ill->description;
    scene->n_lights++;
    st = png_read_light(host, l, false);
    if (st == DX_ERR_NOT_FOUND)
        st = DX_ERR_IO; /* it was there a moment ago */
    return st;
}

static void note_formats(sim_scene *scene)
{
    static const dxp_pixel_format order[] = {DXP_PIXEL_GRAY8, DXP_PIXEL_GRAY16, DXP_PIXEL_RGB24};
    scene->n_formats = 0;
    for (size_t f = 0; f < 3; f++)
        for (uint32_t i = 0; i < scene->n_lights; i++)
            if (scene->lights[i].format == order[f]) {
                scene->formats[scene->n_formats++] = order[f];
                break;
            }
}

/* Debug-logs PNGs in the directory that are no illumination of the scene. */
static void log_ignored(const dxp_host *host, sim_scene *scene)
{
    DIR *d;
    struct dirent *ent;

    if (!host->log_enabled || !host->log_enabled(host->ctx, DXP_LOG_DEBUG))
        return;
    if (!(d = opendir(scene->dir)))
        return;
    while ((ent = readdir(d))) {
        size_t n = strlen(ent->d_name);
        char name[DX_ILLUM_NAME_MAX];
        if (n < 5 || strcmp(ent->d_name + n - 4, ".png") != 0)
            continue;
        if (n - 4 < sizeof name) {
            memcpy(name, ent->d_name, n - 4);
            name[n - 4] = '\0';
            if (sim_scene_find(scene, name))
                continue;
        }
        dxp_log(host, DXP_LOG_DEBUG, "%s/%s: ignored: not a standard illumination and not "
                "declared in scene.json", scene->dir, ent->d_name);
    }
    closedir(d);
}

dx_status sim_scene_load(const dxp_host *host, const char *dir, sim_scene *scene)
{
    json_t *root = NULL;
    json_error_t jerr;
    manifest_err merr = {""};
    char *manifest = NULL;
    struct stat st_dir;
    dx_status st;
    size_t cap;

    memset(scene, 0, sizeof *scene);
    if (!(scene->dir = str_dup(dir)) || !(manifest = path_join(dir, "scene.json", ""))) {
        st = DX_ERR_NO_MEMORY;
        goto fail;
    }
    if (stat(dir, &st_dir) != 0) {
        dxp_log(host, DXP_LOG_ERROR, "scene %s: %s", dir, strerror(errno));
        st = DX_ERR_NOT_FOUND;
        goto fail;
    }
    if (!S_ISDIR(st_dir.st_mode)) {
        dxp_log(host, DXP_LOG_ERROR, "scene %s: not a directory", dir);
        st = DX_ERR_NOT_FOUND;
        goto fail;
    }
    if (!is_file(manifest)) {
        dxp_log(host, DXP_LOG_ERROR, "scene %s: no scene.json (%s)", dir, manifest);
        st = DX_ERR_NOT_FOUND;
        goto fail;
    }
    root = json_load_file(manifest, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        dxp_log(host, DXP_LOG_ERROR, "%s: malformed JSON at line %d column %d: %s", manifest,
                jerr.line, jerr.column, jerr.text);
        st = DX_ERR_DATA;
        goto fail;
    }
    if ((st = parse_top(root, scene, &merr)) != DX_OK)
        goto fail_manifest;

    json_t *vendors = json_object_get(root, "illuminations");
    json_t *exposures = json_object_get(root, "exposure_us");
    cap = DX_ILLUM_COUNT + (vendors ? json_object_size(vendors) : 0);
    scene->lights = calloc(cap, sizeof *scene->lights);
    scene->illums = calloc(cap, sizeof *scene->illums);
    scene->descriptions = calloc(cap, sizeof *scene->descriptions);
    if (!scene->lights || !scene->illums || !scene->descriptions) {
        st = DX_ERR_NO_MEMORY;
        goto fail;
    }
    for (size_t i = 0; i < DX_ILLUM_COUNT; i++) {
        char *png = path_join(dir, std_illums[i].name, ".png");
        bool present = png && is_file(png);
        free(png);
        if (!png) {
            st = DX_ERR_NO_MEMORY;
            goto fail;
        }
        if (!present)
            continue;
        dxp_illumination ill = {.name = std_illums[i].name,
                                .band_lo_nm = std_illums[i].lo,
                                .band_hi_nm = std_illums[i].hi,
                                .geometry = std_illums[i].geometry,
                                .description = std_illums[i].description};
        if ((st = add_light(host, scene, std_illums[i].name, &ill, NULL, exposures)) != DX_OK)
            goto fail;
    }
    if (vendors) {
        const char *key;
        json_t *v;
        json_object_foreach(vendors, key, v) {
            dxp_illumination ill = {0};
            char *desc = NULL;
            if (std_index(key) >= 0) {
                dxp_log(host, DXP_LOG_WARNING, "%s: illuminations.%s ignored: a standard "
                        "illumination keeps its standard band", manifest, key);
                continue;
            }
            if (!valid_name(key)) {
                st = MERR(&merr, "illuminations: bad name \"%s\" (want [a-z0-9_], < %d chars)",
                          key, DX_ILLUM_NAME_MAX);
                goto fail_manifest;
            }
            if ((st = parse_vendor(vendors, key, v, &ill, &desc, &merr)) != DX_OK) {
                if (st == DX_ERR_DATA)
                    goto fail_manifest;
                goto fail;
            }
            char *png = path_join(dir, key, ".png");
            bool present = png && is_file(png);
            free(png);
            if (!png) {
                free(desc);
                st = DX_ERR_NO_MEMORY;
                goto fail;
            }
            if (!present) {
                dxp_log(host, DXP_LOG_DEBUG, "scene %s: %s declared but no %s.png", dir, key,
                        key);
                free(desc);
                continue;
            }
            if ((st = add_light(host, scene, key, &ill, desc, exposures)) != DX_OK)
                goto fail;
        }
    }
    if (scene->n_lights == 0) {
        dxp_log(host, DXP_LOG_ERROR, "scene %s: no <illumination>.png images", dir);
        st = DX_ERR_NOT_FOUND;
        goto fail;
    }
    note_formats(scene);
    log_ignored(host, scene);
    dxp_log(host, DXP_LOG_DEBUG, "scene %s: %u illuminations at %u dpi", dir, scene->n_lights,
            scene->dpi);
    json_decref(root);
    free(manifest);
    return DX_OK;

fail_manifest:
    dxp_log(host, DXP_LOG_ERROR, "%s: %s", manifest, merr.text);
    st = DX_ERR_DATA;
fail:
    json_decref(root);
    free(manifest);
    sim_scene_free(scene);
    return st;
}

void sim_scene_free(sim_scene *scene)
{
    if (!scene)
        return;
    for (uint32_t i = 0; i < scene->n_lights; i++) {
        free(scene->lights[i].path);
        free(scene->lights[i].pixels);
        if (scene->descriptions)
            free(scene->descriptions[i]);
    }
    free(scene->lights);
    free(scene->illums);
    free(scene->descriptions);
    free(scene->dir);
    free(scene->name);
    memset(scene, 0, sizeof *scene);
}

sim_light *sim_scene_find(sim_scene *scene, const char *name)
{
    for (uint32_t i = 0; i < scene->n_lights; i++)
        if (strcmp(scene->lights[i].name, name) == 0)
            return &scene->lights[i];
    return NULL;
}
